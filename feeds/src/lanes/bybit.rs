//! The Bybit v5 public linear WebSocket lane.

use super::config::BybitLaneConfig;
use super::queue::LaneQueue;
use super::rescale::rescale_event;
use super::rest::pause;
use super::stats::LaneStats;
use super::wall_clock;
use crate::event::{Event, EventKind};
use crate::fixed::Step;
use crate::units::InstrumentId;
use crate::venue::bybit::BybitDecoder;
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_tungstenite::Connector;
use tokio_tungstenite::tungstenite::Message;

/// How to move one Bybit instrument's events onto the quoted one.
#[derive(Clone, Copy)]
pub(crate) struct Route {
    pub quoted: InstrumentId,
    pub from_lot: Step,
    pub to_lot: Step,
}

pub(crate) struct BybitLane {
    pub config: BybitLaneConfig,
    pub decoder: BybitDecoder,
    /// By Bybit instrument index.
    pub routes: Vec<Option<Route>>,
    pub tls: Arc<rustls::ClientConfig>,
    pub queue: LaneQueue,
    pub stats: Arc<LaneStats>,
}

/// Connect (TCP + TLS + WebSocket handshake) must finish within this.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Exponential backoff with ±50 % jitter from a small xorshift generator (no OS entropy: the
/// seed is the wall clock, which is all jitter needs).
pub(crate) struct Backoff {
    min_ms: u64,
    max_ms: u64,
    failures: u32,
    state: u64,
}

impl Backoff {
    pub(crate) fn new(min_ms: u64, max_ms: u64) -> Backoff {
        Backoff { min_ms, max_ms, failures: 0, state: (wall_clock().get() as u64) | 1 }
    }

    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }

    pub(crate) fn next_delay(&mut self) -> Duration {
        let base = self.min_ms.saturating_mul(1_u64 << self.failures.min(20)).min(self.max_ms);
        self.failures = self.failures.saturating_add(1);
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let jitter = self.state % (base + 1);
        Duration::from_millis(base / 2 + jitter)
    }
}

impl BybitLane {
    fn topics(&self) -> Vec<String> {
        let mut topics = Vec::new();
        for symbol in self.config.symbols.keys() {
            if self.config.liquidations {
                topics.push(format!("allLiquidation.{symbol}"));
            }
            if self.config.mark_price || self.config.open_interest {
                topics.push(format!("tickers.{symbol}"));
            }
        }
        topics
    }

    pub(crate) async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = Backoff::new(self.config.reconnect_min_ms, self.config.reconnect_max_ms);
        loop {
            let connect = tokio_tungstenite::connect_async_tls_with_config(
                self.config.url.as_str(),
                None,
                true,
                Some(Connector::Rustls(Arc::clone(&self.tls))),
            );
            let connected = tokio::select! {
                result = tokio::time::timeout(CONNECT_TIMEOUT, connect) => result,
                _ = shutdown.changed() => return,
            };
            match connected {
                Ok(Ok((socket, _))) => {
                    self.stats.connected();
                    backoff.reset();
                    self.decoder.reset();
                    if let Err(error) = self.session(socket, &mut shutdown).await {
                        self.stats.error(format!("{}: {error}", self.config.url));
                    }
                }
                Ok(Err(error)) => self.stats.error(format!("{}: connect: {error}", self.config.url)),
                Err(_) => self.stats.error(format!("{}: connect timed out", self.config.url)),
            }
            if *shutdown.borrow() {
                return;
            }
            self.stats.reconnecting();
            if !pause(backoff.next_delay(), &mut shutdown).await {
                return;
            }
        }
    }

    async fn session<S>(
        &mut self,
        socket: tokio_tungstenite::WebSocketStream<S>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), String>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let (mut sink, mut stream) = socket.split();
        // "How to Subscribe to Topics": at most 10 args per request on the public streams.
        for chunk in self.topics().chunks(10) {
            let request = format!(
                "{{\"op\":\"subscribe\",\"args\":[{}]}}",
                chunk.iter().map(|topic| format!("\"{topic}\"")).collect::<Vec<_>>().join(",")
            );
            sink.send(Message::text(request)).await.map_err(|error| format!("subscribe: {error}"))?;
        }
        let period = Duration::from_secs(self.config.ping_interval_s);
        let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        let mut events: Vec<Event> = Vec::with_capacity(64);
        loop {
            tokio::select! {
                message = stream.next() => {
                    let message = match message {
                        None => return Err("connection closed".to_owned()),
                        Some(Err(error)) => return Err(error.to_string()),
                        Some(Ok(message)) => message,
                    };
                    let mut payload = match message {
                        Message::Text(text) => text.as_bytes().to_vec(),
                        Message::Binary(bytes) => bytes.to_vec(),
                        Message::Close(_) => return Err("closed by the server".to_owned()),
                        _ => continue,
                    };
                    let receive_time = wall_clock();
                    self.stats.frame();
                    events.clear();
                    if let Err(error) = self.decoder.decode(&mut payload, receive_time, &mut events) {
                        self.stats.error(format!("{}: {error}", self.config.url));
                    }
                    for event in &events {
                        self.forward(event);
                    }
                }
                _ = ping.tick() => {
                    // "How to Send the Heartbeat Packet": {"op":"ping"} every 20 s.
                    sink.send(Message::text("{\"op\":\"ping\"}")).await.map_err(|error| format!("ping: {error}"))?;
                }
                _ = shutdown.changed() => {
                    let _ = sink.send(Message::Close(None)).await;
                    return Ok(());
                }
            }
        }
    }

    /// Forwards the kinds the config lets feed the core, re-tagged and rescaled.
    fn forward(&self, event: &Event) {
        let wanted = match event.kind() {
            EventKind::Liquidation(_) => self.config.liquidations,
            EventKind::MarkPrice(_) => self.config.mark_price,
            EventKind::OpenInterest(_) => self.config.open_interest,
            _ => false,
        };
        let Some(Some(route)) = self.routes.get(event.instrument.index()) else { return };
        if !wanted {
            return;
        }
        match rescale_event(event, route.quoted, route.from_lot, route.to_lot) {
            Ok(event) => {
                self.stats.event();
                self.queue.push(event);
            }
            Err(error) => self.stats.error(error),
        }
    }
}
