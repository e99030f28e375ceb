//! Control and test endpoints, on the same server as the exchange endpoints (never refused):
//!
//! - `GET /venue/status`: [`VenueStatus`](super::VenueStatus) as JSON;
//! - `GET /venue/book?symbol=&levels=`: the venue's own book,
//!   `{"symbol","lastUpdateId","T","bids":[["p","q"]..],"asks":..}`, `levels` default 1000;
//! - `POST /venue/pause`, `POST /venue/resume`: freeze and unfreeze the replay clock; once
//!   `pause` has answered, the venue's books no longer change;
//! - `POST /venue/fault` with a [`Fault`] as JSON (`{"kind":"stall","seconds":2}`): queued,
//!   applied before the next frame.

use super::faults::Fault;
use super::shared::Shared;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message}))).into_response()
}

/// `GET /venue/status`.
pub(crate) async fn status(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.status()).into_response()
}

/// `GET /venue/book`.
pub(crate) async fn book(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(name) = params.get("symbol") else {
        return bad_request("symbol is required".to_owned());
    };
    let Some(symbol) = shared.tape.symbol(name) else {
        return bad_request(format!("unknown symbol {name}"));
    };
    let levels = match params.get("levels").map(|text| text.parse::<usize>()) {
        None => 1000,
        Some(Ok(levels)) if levels > 0 => levels,
        Some(_) => return bad_request("levels must be a positive integer".to_owned()),
    };
    let book = shared.state().books[symbol].top(&shared.tape.symbols[symbol], levels);
    Json(book).into_response()
}

/// `POST /venue/pause`.
pub(crate) async fn pause(State(shared): State<Arc<Shared>>) -> Response {
    shared.set_paused(true);
    Json(json!({"paused": true})).into_response()
}

/// `POST /venue/resume`.
pub(crate) async fn resume(State(shared): State<Arc<Shared>>) -> Response {
    shared.set_paused(false);
    Json(json!({"paused": false})).into_response()
}

/// `POST /venue/fault`.
pub(crate) async fn fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let fault: Fault = match serde_json::from_slice(&body) {
        Ok(fault) => fault,
        Err(error) => return bad_request(format!("not a fault: {error}")),
    };
    if let Err(why) = fault.validate() {
        return bad_request(why);
    }
    shared.inject(fault, "control");
    Json(json!({"queued": fault})).into_response()
}
