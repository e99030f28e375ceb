//! The Bybit v5 public linear WebSocket lane.

use super::config::BybitLaneConfig;
use super::queue::LaneQueue;
use super::reconnect::{backoff, before_reconnect, connect, payload};
use super::rescale::rescale_event;
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
        let mut backoff = backoff(self.config.reconnect_min_ms, self.config.reconnect_max_ms);
        loop {
            match connect(&self.config.url, &self.tls, &mut shutdown).await {
                None => return,
                Some(Ok(socket)) => {
                    self.stats.connected();
                    backoff.reset();
                    self.decoder.reset();
                    if let Err(error) = self.session(socket, &mut shutdown).await {
                        self.stats.error(format!("{}: {error}", self.config.url));
                    }
                }
                Some(Err(error)) => self.stats.error(error),
            }
            if !before_reconnect(&self.stats, &mut backoff, &mut shutdown).await {
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
                    let Some(mut payload) = payload(message)? else { continue };
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
