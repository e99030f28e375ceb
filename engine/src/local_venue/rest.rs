//! The REST side: Binance USD-M market data endpoints answered from the venue's state.
//!
//! - `GET /fapi/v1/ping` → `{}`; `GET /fapi/v1/time` → `{"serverTime":ms}` on the replay's
//!   clock (the exchange time of the venue's last book change), not the wall clock.
//! - `GET /fapi/v1/depth?symbol=&limit=` ("Order Book"): limits 5, 10, 20, 50, 100, 500, 1000,
//!   default 500; `{"lastUpdateId","E","T","bids":[["price","qty"]..],"asks":..}` from the
//!   venue's own book, `lastUpdateId` = `u` of the last diff applied to it.
//! - `GET /fapi/v1/exchangeInfo` ("Exchange Information"): the configured `binance-usdm`
//!   instruments with `PRICE_FILTER.tickSize` and `LOT_SIZE.stepSize`.
//! - `GET /fapi/v1/openInterest?symbol=` ("Open Interest"): `{"openInterest","symbol","time"}`,
//!   a synthetic series (see [`open_interest`](super::open_interest)).
//!
//! Errors are Binance's: HTTP 400 with `{"code":-1121,"msg":"Invalid symbol."}`, `-1102` for a
//! missing mandatory parameter, `-1130` for an invalid value. Symbols the recording does not
//! carry are invalid symbols. While a `refuse` fault is in effect every answer is HTTP 503.

use super::book::print;
use super::open_interest::open_interest;
use super::shared::Shared;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use feeds::venue::binance::VENUE;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// `/fapi/v1/depth`, fields in Binance's order (a `json!` map would sort them).
#[derive(Serialize)]
struct DepthResponse {
    #[serde(rename = "lastUpdateId")]
    last_update_id: u64,
    #[serde(rename = "E")]
    event_ms: i64,
    #[serde(rename = "T")]
    transaction_ms: i64,
    bids: Vec<[String; 2]>,
    asks: Vec<[String; 2]>,
}

/// `/fapi/v1/openInterest`, fields in Binance's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OpenInterestResponse {
    open_interest: String,
    symbol: String,
    time: i64,
}

/// Depth limits Binance accepts.
pub const DEPTH_LIMITS: [usize; 7] = [5, 10, 20, 50, 100, 500, 1000];

type Params = Query<HashMap<String, String>>;

fn binance_error(code: i64, message: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"code": code, "msg": message.into()}))).into_response()
}

fn refused() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({"code": -1001, "msg": "Service unavailable (venue fault)."})),
    )
        .into_response()
}

/// The symbol index of a request's `symbol`, or the Binance error code and message.
fn symbol_param(shared: &Shared, params: &HashMap<String, String>) -> Result<usize, (i64, &'static str)> {
    match params.get("symbol").map(String::as_str) {
        None | Some("") => {
            Err((-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."))
        }
        Some(symbol) => shared.tape.symbol(symbol).ok_or((-1121, "Invalid symbol.")),
    }
}

/// `GET /fapi/v1/ping`.
pub(crate) async fn ping(State(shared): State<Arc<Shared>>) -> Response {
    if shared.refusing() {
        return refused();
    }
    Json(json!({})).into_response()
}

/// `GET /fapi/v1/time`.
pub(crate) async fn time(State(shared): State<Arc<Shared>>) -> Response {
    if shared.refusing() {
        return refused();
    }
    let state = shared.state();
    let now = state.books.iter().map(|book| book.exchange_ms()).max().unwrap_or(0);
    Json(json!({"serverTime": now})).into_response()
}

/// `GET /fapi/v1/depth`.
pub(crate) async fn depth(State(shared): State<Arc<Shared>>, Query(params): Params) -> Response {
    if shared.refusing() {
        return refused();
    }
    let symbol = match symbol_param(&shared, &params) {
        Ok(symbol) => symbol,
        Err((code, message)) => return binance_error(code, message),
    };
    let limit = match params.get("limit") {
        None => 500,
        Some(text) => match text.parse::<usize>() {
            Ok(limit) if DEPTH_LIMITS.contains(&limit) => limit,
            _ => return binance_error(-1130, "Data sent for parameter 'limit' is not valid."),
        },
    };
    let book = {
        let state = shared.state();
        state.books[symbol].top(&shared.tape.symbols[symbol], limit)
    };
    Json(DepthResponse {
        last_update_id: book.last_update_id,
        event_ms: book.exchange_ms,
        transaction_ms: book.exchange_ms,
        bids: book.bids,
        asks: book.asks,
    })
    .into_response()
}

/// `GET /fapi/v1/openInterest`.
pub(crate) async fn open_interest_handler(
    State(shared): State<Arc<Shared>>,
    Query(params): Params,
) -> Response {
    if shared.refusing() {
        return refused();
    }
    let symbol = match symbol_param(&shared, &params) {
        Ok(symbol) => symbol,
        Err((code, message)) => return binance_error(code, message),
    };
    let (elapsed_ns, time) = {
        let state = shared.state();
        let elapsed = (state.replay_time.get() - shared.tape.start_time.get()).max(0);
        (elapsed, state.books[symbol].exchange_ms())
    };
    let minute = u64::try_from(elapsed_ns / 60_000_000_000).unwrap_or(0);
    let info = &shared.tape.symbols[symbol];
    let value = open_interest(&shared.config.open_interest, minute, info.qty_decimals);
    Json(OpenInterestResponse {
        open_interest: format!("{value:.prec$}", prec = info.qty_decimals as usize),
        symbol: info.name.clone(),
        time,
    })
    .into_response()
}

/// `GET /fapi/v1/exchangeInfo`.
pub(crate) async fn exchange_info(State(shared): State<Arc<Shared>>) -> Response {
    if shared.refusing() {
        return refused();
    }
    let mut symbols = Vec::new();
    for (_, instrument) in shared.config.instruments.iter().filter(|(_, i)| i.venue == VENUE) {
        let printed = shared.tape.symbol(&instrument.symbol).map(|index| &shared.tape.symbols[index]);
        let price_decimals = printed.map_or(instrument.tick.decimals(), |s| s.price_decimals);
        let qty_decimals = printed.map_or(instrument.lot.decimals(), |s| s.qty_decimals);
        let mut symbol = json!({
            "symbol": instrument.symbol,
            "pair": instrument.symbol,
            "contractType": "PERPETUAL",
            "status": "TRADING",
            "baseAsset": instrument.base,
            "quoteAsset": instrument.quote,
            "marginAsset": instrument.quote,
            "pricePrecision": price_decimals,
            "quantityPrecision": qty_decimals,
            "filters": [
                {"filterType": "PRICE_FILTER", "tickSize": print(instrument.tick, price_decimals, 1),
                 "minPrice": print(instrument.tick, price_decimals, 1), "maxPrice": "0"},
                {"filterType": "LOT_SIZE", "stepSize": print(instrument.lot, qty_decimals, 1),
                 "minQty": print(instrument.lot, qty_decimals, 1), "maxQty": "1000000"},
            ],
        });
        if instrument.kind == feeds::ContractKind::Inverse
            && let Value::Object(map) = &mut symbol
        {
            map.insert(
                "contractSize".to_owned(),
                json!(instrument.contract_size.trunc().to_string().parse::<u64>().unwrap_or(1)),
            );
        }
        symbols.push(symbol);
    }
    let server_time = shared.state().books.iter().map(|book| book.exchange_ms()).max().unwrap_or(0);
    Json(json!({"timezone": "UTC", "serverTime": server_time, "rateLimits": [], "exchangeFilters": [], "symbols": symbols}))
        .into_response()
}
