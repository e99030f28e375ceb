//! The WebSocket side: Binance USD-M "Websocket Market Streams" on loopback.
//!
//! - `/stream?streams=<a>/<b>`: combined streams, every frame `{"stream":..,"data":..}` as
//!   recorded;
//! - `/ws/<a>` (or `/ws/<a>/<b>`, and `/ws` with nothing): raw streams, the `data` payload only;
//! - live requests `{"method":"SUBSCRIBE"|"UNSUBSCRIBE"|"LIST_SUBSCRIPTIONS"|"SET_PROPERTY"|
//!   "GET_PROPERTY","params":[..],"id":N}` answered `{"result":..,"id":N}`; errors as Binance
//!   documents them (`{"code":3,"msg":"Invalid JSON: .."}`, code 2 invalid request, code 1
//!   invalid value type, code 0 unknown property);
//! - a server ping every `ping_interval` (Binance: 3 minutes); a client that has left a ping
//!   unanswered for `pong_timeout` (Binance: 10 minutes) is disconnected at the next ping time;
//!   every connection is closed `max_connection` after it opened (Binance: 24 hours).
//!
//! Frames go to a connection only for the streams it subscribed (see [`Tape::resolve`] for
//! names and aliases); a client joining mid-replay gets frames from then on, as on an exchange.

use super::shared::{ClientSlot, Outgoing, Shared};
use super::tape::{Tape, TapeItem};
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::sync::mpsc;

/// How frames are framed on a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    /// `/stream`: the combined wrapper.
    Combined,
    /// `/ws`: the raw payload.
    Raw,
}

/// `GET /stream?streams=a/b`.
pub(crate) async fn combined(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let streams = query.get("streams").map(|list| split_streams(list)).unwrap_or_default();
    accept(shared, upgrade, Framing::Combined, streams)
}

/// `GET /ws/<a>/<b>`.
pub(crate) async fn raw_named(
    State(shared): State<Arc<Shared>>,
    Path(streams): Path<String>,
    upgrade: WebSocketUpgrade,
) -> Response {
    accept(shared, upgrade, Framing::Raw, split_streams(&streams))
}

/// `GET /ws`.
pub(crate) async fn raw(State(shared): State<Arc<Shared>>, upgrade: WebSocketUpgrade) -> Response {
    accept(shared, upgrade, Framing::Raw, Vec::new())
}

fn split_streams(list: &str) -> Vec<String> {
    list.split('/').filter(|name| !name.is_empty()).map(str::to_owned).collect()
}

fn accept(
    shared: Arc<Shared>,
    upgrade: WebSocketUpgrade,
    framing: Framing,
    streams: Vec<String>,
) -> Response {
    if shared.refusing() {
        return (StatusCode::SERVICE_UNAVAILABLE, "refused (fault)").into_response();
    }
    upgrade.on_upgrade(move |socket| serve(socket, shared, framing, streams))
}

/// What a connection subscribed: names as given, and per tape stream how many names deliver it.
struct Subscriptions {
    names: Vec<String>,
    delivering: Vec<u16>,
}

impl Subscriptions {
    fn new(tape: &Tape) -> Subscriptions {
        Subscriptions { names: Vec::new(), delivering: vec![0; tape.streams.len()] }
    }

    fn add(&mut self, tape: &Tape, name: &str) {
        if self.names.iter().any(|known| known == name) {
            return;
        }
        if let Some(stream) = tape.resolve(name) {
            self.delivering[usize::from(stream)] += 1;
        }
        self.names.push(name.to_owned());
    }

    fn remove(&mut self, tape: &Tape, name: &str) {
        let Some(at) = self.names.iter().position(|known| known == name) else { return };
        self.names.remove(at);
        if let Some(stream) = tape.resolve(name) {
            let count = &mut self.delivering[usize::from(stream)];
            *count = count.saturating_sub(1);
        }
    }

    fn delivers(&self, stream: u16) -> bool {
        self.delivering.get(usize::from(stream)).is_some_and(|&count| count > 0)
    }
}

#[derive(Deserialize)]
struct Request {
    method: Value,
    #[serde(default)]
    params: Option<Value>,
    #[serde(default)]
    id: Value,
}

/// Answers one live request; updates the subscriptions and framing.
fn answer(text: &str, tape: &Tape, subscriptions: &mut Subscriptions, framing: &mut Framing) -> Value {
    let request: Request = match serde_json::from_str(text) {
        Ok(request) => request,
        Err(error) => return json!({"code": 3, "msg": format!("Invalid JSON: {error}"), "id": Value::Null}),
    };
    let id = request.id;
    let Some(method) = request.method.as_str() else {
        return json!({"code": 1, "msg": "Invalid value type: expected String", "id": id});
    };
    let params = request.params.unwrap_or(Value::Array(Vec::new()));
    let names = || -> Option<Vec<String>> {
        params.as_array()?.iter().map(|name| name.as_str().map(str::to_owned)).collect()
    };
    match method {
        "SUBSCRIBE" | "UNSUBSCRIBE" => {
            let Some(names) = names() else {
                return json!({"code": 1, "msg": "Invalid value type: expected Array of String", "id": id});
            };
            for name in &names {
                if method == "SUBSCRIBE" {
                    subscriptions.add(tape, name);
                } else {
                    subscriptions.remove(tape, name);
                }
            }
            json!({"result": Value::Null, "id": id})
        }
        "LIST_SUBSCRIPTIONS" => json!({"result": subscriptions.names, "id": id}),
        "SET_PROPERTY" => match params.as_array().map(Vec::as_slice) {
            Some([Value::String(property), Value::Bool(on)]) if property == "combined" => {
                *framing = if *on { Framing::Combined } else { Framing::Raw };
                json!({"result": Value::Null, "id": id})
            }
            Some([Value::String(property), _]) if property == "combined" => {
                json!({"code": 1, "msg": "Invalid value type: expected Boolean", "id": id})
            }
            _ => json!({"code": 0, "msg": "Unknown property", "id": id}),
        },
        "GET_PROPERTY" => match params.as_array().map(Vec::as_slice) {
            Some([Value::String(property)]) if property == "combined" => {
                json!({"result": *framing == Framing::Combined, "id": id})
            }
            _ => json!({"code": 0, "msg": "Unknown property", "id": id}),
        },
        _ => json!({"code": 2, "msg": "Invalid request: unknown method", "id": id}),
    }
}

/// One connection, until it closes, a `drop` fault, a timeout or shutdown.
async fn serve(mut socket: WebSocket, shared: Arc<Shared>, mut framing: Framing, streams: Vec<String>) {
    let tape = Arc::clone(&shared.tape);
    let mut subscriptions = Subscriptions::new(&tape);
    for name in &streams {
        subscriptions.add(&tape, name);
    }
    let (sender, mut queue) = mpsc::channel(shared.config.client_buffer);
    let id = shared.next_client.fetch_add(1, Ordering::Relaxed);
    shared.client_list().push(ClientSlot { id, sender });
    {
        let mut state = shared.state();
        state.clients += 1;
        state.connections += 1;
    }
    shared.wake.notify_one();
    tracing::info!(target: "engine::local_venue", id, ?framing, ?streams, "client connected");
    let mut shutdown = shared.shutdown.subscribe();
    let config = &shared.config;
    let mut ping =
        tokio::time::interval_at(tokio::time::Instant::now() + config.ping_interval, config.ping_interval);
    let mut unanswered_since: Option<Instant> = None;
    let expiry = tokio::time::sleep(config.max_connection);
    tokio::pin!(expiry);
    let why = loop {
        tokio::select! {
            outgoing = queue.recv() => match outgoing {
                Some(Outgoing::Frame(position)) => {
                    let Some(TapeItem::Stream { stream, combined, raw, .. }) = tape.frames.get(position).map(|f| &f.item) else {
                        continue;
                    };
                    if !subscriptions.delivers(*stream) {
                        continue;
                    }
                    let text = if framing == Framing::Combined { combined.clone() } else { raw.clone() };
                    shared.stamp(position);
                    if socket.send(Message::Text(text)).await.is_err() {
                        break "write failed";
                    }
                }
                Some(Outgoing::Garbage(text)) => {
                    if socket.send(Message::Text(text)).await.is_err() {
                        break "write failed";
                    }
                }
                Some(Outgoing::Drop) | None => break "dropped (fault)",
            },
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) => break "closed by client",
                Some(Ok(Message::Text(text))) => {
                    let reply = answer(text.as_str(), &tape, &mut subscriptions, &mut framing);
                    if socket.send(Message::Text(Utf8Bytes::from(reply.to_string()))).await.is_err() {
                        break "write failed";
                    }
                }
                Some(Ok(Message::Pong(_))) => unanswered_since = None,
                Some(Ok(Message::Close(_))) => break "close frame",
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if unanswered_since.is_some_and(|since| since.elapsed() >= config.pong_timeout) {
                    break "no pong";
                }
                unanswered_since.get_or_insert_with(Instant::now);
                if socket.send(Message::Ping(axum::body::Bytes::from_static(b"halcyon"))).await.is_err() {
                    break "write failed";
                }
            },
            _ = &mut expiry => break "connection lifetime reached",
            _ = shutdown.changed() => break "shutdown",
        }
    };
    shared.client_list().retain(|slot| slot.id != id);
    shared.state().clients -= 1;
    tracing::info!(target: "engine::local_venue", id, why, "client disconnected");
    // Dropping the socket closes TCP without a close frame: abrupt, as a `drop` fault wants.
    drop(socket);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tape() -> Tape {
        Tape {
            frames: Vec::new(),
            streams: vec!["btcusdt@depth@0ms".to_owned(), "btcusdt@trade".to_owned()],
            symbols: Vec::new(),
            start_time: feeds::Nanos(0),
            stats: Default::default(),
        }
    }

    #[test]
    fn live_requests_are_answered_as_binance_documents() {
        let tape = tape();
        let mut subscriptions = Subscriptions::new(&tape);
        let mut framing = Framing::Raw;
        let reply = answer(
            r#"{"method":"SUBSCRIBE","params":["btcusdt@depth"],"id":1}"#,
            &tape,
            &mut subscriptions,
            &mut framing,
        );
        assert_eq!(reply, json!({"result": null, "id": 1}));
        // The alias delivers the recorded diff stream.
        assert!(subscriptions.delivers(0) && !subscriptions.delivers(1));
        let reply =
            answer(r#"{"method":"LIST_SUBSCRIPTIONS","id":3}"#, &tape, &mut subscriptions, &mut framing);
        assert_eq!(reply, json!({"result": ["btcusdt@depth"], "id": 3}));
        answer(
            r#"{"method":"UNSUBSCRIBE","params":["btcusdt@depth"],"id":4}"#,
            &tape,
            &mut subscriptions,
            &mut framing,
        );
        assert!(!subscriptions.delivers(0));
        let reply = answer(
            r#"{"method":"SET_PROPERTY","params":["combined",true],"id":5}"#,
            &tape,
            &mut subscriptions,
            &mut framing,
        );
        assert_eq!(reply, json!({"result": null, "id": 5}));
        assert_eq!(framing, Framing::Combined);
        assert_eq!(answer("{nope", &tape, &mut subscriptions, &mut framing)["code"], 3);
        assert_eq!(answer(r#"{"method":"FLY","id":6}"#, &tape, &mut subscriptions, &mut framing)["code"], 2);
    }
}
