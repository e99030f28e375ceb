//! The Binance REST lanes: open interest polling, and depth snapshots on request.

use super::http::{self, Response};
use super::queue::LaneQueue;
use super::stats::LaneStats;
use super::wall_clock;
use crate::units::{InstrumentId, Nanos};
use crate::venue::binance::{Decoder, Message, MessageKind};
use crossbeam_channel::{Receiver, Sender, TrySendError};
use rustls::ClientConfig;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The feed thread asks for a depth snapshot (non-blocking `try_send`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotRequest {
    /// The instrument the snapshot is for (echoed in the response).
    pub instrument: InstrumentId,
    /// Binance symbol.
    pub symbol: String,
    /// Levels (Binance accepts 5, 10, 20, 50, 100, 500, 1000).
    pub limit: u32,
}

/// The answer to a [`SnapshotRequest`]: the raw body for the feed's own decoder (which also
/// decodes recorded snapshots), or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotResponse {
    /// From the request.
    pub instrument: InstrumentId,
    /// The URL fetched (names the symbol, as a recording's channel does).
    pub url: String,
    /// The body of a 200 answer; otherwise the error with the status and Binance's
    /// `{"code":..,"msg":..}` when it sent one (429: rate limited, 418: IP banned).
    pub result: Result<Vec<u8>, String>,
    /// Wall clock when the answer was in hand.
    pub receive_time: Nanos,
}

/// `Err` text for a non-200 answer.
fn status_error(response: &Response) -> String {
    let what = match response.status {
        429 => " (rate limited: back off)",
        418 => " (IP banned after rate limits: back off)",
        _ => "",
    };
    let body = String::from_utf8_lossy(&response.body[..response.body.len().min(200)]).into_owned();
    format!("HTTP {}{what}: {body}", response.status)
}

/// Sleeps `duration` unless shutdown comes first; false on shutdown.
pub(crate) async fn pause(duration: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    if *shutdown.borrow() {
        return false;
    }
    tokio::select! {
        () = tokio::time::sleep(duration) => !*shutdown.borrow(),
        _ = shutdown.changed() => false,
    }
}

/// Polls `GET {rest_url}/fapi/v1/openInterest?symbol=` every `interval`.
pub(crate) struct OpenInterestLane {
    pub url: String,
    pub interval: Duration,
    pub timeout: Duration,
    pub decoder: Decoder,
    pub tls: Arc<ClientConfig>,
    pub queue: LaneQueue,
    pub stats: Arc<LaneStats>,
}

impl OpenInterestLane {
    pub(crate) async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        loop {
            let answer = http::get(&self.url, self.timeout, &self.tls).await;
            let receive_time = wall_clock();
            match answer {
                Ok(mut response) if response.status == 200 => {
                    self.stats.frame();
                    match self.decoder.decode(&mut response.body, receive_time, &self.url) {
                        Ok(Message::Event(MessageKind::OpenInterest, event)) => {
                            self.stats.event();
                            self.queue.push(event);
                        }
                        Ok(other) => self.stats.error(format!(
                            "{}: not an open interest answer: {:?}",
                            self.url,
                            other.kind()
                        )),
                        Err(error) => self.stats.error(format!("{}: {error}", self.url)),
                    }
                }
                Ok(response) => {
                    self.stats.frame();
                    self.stats.error(format!("{}: {}", self.url, status_error(&response)));
                }
                Err(error) => self.stats.error(error),
            }
            if !pause(self.interval, &mut shutdown).await {
                return;
            }
        }
    }
}

/// Answers snapshot requests.
pub(crate) struct SnapshotLane {
    pub rest_url: String,
    pub timeout: Duration,
    pub tls: Arc<ClientConfig>,
    pub requests: Receiver<SnapshotRequest>,
    pub responses: Sender<SnapshotResponse>,
    pub stats: Arc<LaneStats>,
}

/// How often the snapshot lane looks for requests. NB: the request channel is crossbeam (the
/// feed thread must not touch tokio); an async task cannot block on it, so it polls. 5 ms is
/// far below a snapshot's own latency (tens to hundreds of ms) and costs nothing measurable.
const REQUEST_POLL: Duration = Duration::from_millis(5);

impl SnapshotLane {
    pub(crate) async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            let request = match self.requests.try_recv() {
                Ok(request) => request,
                Err(crossbeam_channel::TryRecvError::Empty) => {
                    if !pause(REQUEST_POLL, &mut shutdown).await {
                        return;
                    }
                    continue;
                }
                Err(crossbeam_channel::TryRecvError::Disconnected) => return,
            };
            let url =
                format!("{}/fapi/v1/depth?symbol={}&limit={}", self.rest_url, request.symbol, request.limit);
            let answer = tokio::select! {
                answer = http::get(&url, self.timeout, &self.tls) => answer,
                _ = shutdown.changed() => return,
            };
            let receive_time = wall_clock();
            let result = match answer {
                Ok(response) if response.status == 200 => {
                    self.stats.frame();
                    self.stats.event();
                    Ok(response.body)
                }
                Ok(response) => {
                    self.stats.frame();
                    let message = status_error(&response);
                    self.stats.error(format!("{url}: {message}"));
                    Err(message)
                }
                Err(error) => {
                    self.stats.error(&error);
                    Err(error.to_string())
                }
            };
            let response = SnapshotResponse { instrument: request.instrument, url, result, receive_time };
            match self.responses.try_send(response) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    self.stats.error("snapshot response channel full: answer dropped")
                }
                Err(TrySendError::Disconnected(_)) => return,
            }
        }
    }
}
