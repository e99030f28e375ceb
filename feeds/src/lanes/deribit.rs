//! The Deribit options lane: choose options, subscribe their tickers, keep the board, and push
//! an [`OptionsReading`](crate::OptionsReading) every interval.
//!
//! Sequence per connection ("public/set_heartbeat", "public/get_index_price",
//! "public/get_instruments", "public/subscribe" in Deribit's API v2 docs):
//! 1. `public/set_heartbeat {interval}`; every `test_request` is answered with `public/test`.
//! 2. `public/get_index_price {index_name: "<currency>_usd"}`.
//! 3. `public/get_instruments {currency, kind: "option", expired: false}`.
//! 4. Choose (the rule): active options of the nearest `expiries` expiries not yet expired at the
//!    server's time (`usOut`), with strikes within `strike_band_pct` % of the index; at most
//!    `max_options`, nearest to the index first.
//! 5. `public/subscribe` `ticker.{name}.{ticker_interval}` in batches of 50.

use super::config::DeribitLaneConfig;
use super::queue::LaneQueue;
use super::reconnect::{backoff, before_reconnect, connect, payload};
use super::stats::LaneStats;
use super::wall_clock;
use crate::event::{Event, EventKind};
use crate::options_board::{BoardSettings, OptionsBoard};
use crate::units::{InstrumentId, Nanos, Seq};
use crate::venue::deribit::{DeribitMessage, InstrumentInfo, decode_frame};
use futures_util::{SinkExt, StreamExt};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

pub(crate) struct DeribitLane {
    pub config: DeribitLaneConfig,
    pub quoted: InstrumentId,
    pub tls: Arc<rustls::ClientConfig>,
    pub queue: LaneQueue,
    pub stats: Arc<LaneStats>,
}

const ID_HEARTBEAT: u64 = 1;
const ID_INDEX: u64 = 2;
const ID_INSTRUMENTS: u64 = 3;
const ID_SUBSCRIBE: u64 = 4;
const ID_TEST: u64 = 5;
const ID_UNSUBSCRIBE: u64 = 6;

/// The options to watch (see the module docs for the rule).
pub(crate) fn choose_options(
    list: &[InstrumentInfo],
    currency: &str,
    index: f64,
    now: Nanos,
    config: &DeribitLaneConfig,
) -> Vec<String> {
    let live: Vec<&InstrumentInfo> = list
        .iter()
        .filter(|info| {
            info.kind == "option" && info.is_active && info.expiration > now && info.base_currency == currency
        })
        .collect();
    let mut expiries: Vec<Nanos> = live.iter().map(|info| info.expiration).collect();
    expiries.sort_unstable();
    expiries.dedup();
    expiries.truncate(config.expiries);
    let band = config.strike_band_pct / 100.0;
    let mut chosen: Vec<(f64, &str)> = live
        .iter()
        .filter(|info| expiries.contains(&info.expiration))
        .filter_map(|info| info.strike.map(|strike| (strike, info.instrument_name.as_str())))
        .filter(|(strike, _)| (strike / index - 1.0).abs() <= band)
        .map(|(strike, name)| ((strike - index).abs(), name))
        .collect();
    chosen.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
    chosen.truncate(config.max_options);
    chosen.into_iter().map(|(_, name)| name.to_owned()).collect()
}

fn request(id: u64, method: &str, params: &str) -> Message {
    Message::text(format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"{method}\",\"params\":{params}}}"))
}

impl DeribitLane {
    pub(crate) async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = backoff(self.config.reconnect_min_ms, self.config.reconnect_max_ms);
        let settings = BoardSettings {
            short_dated_hours: self.config.short_dated_hours,
            near_spot_pct: self.config.near_spot_pct,
        };
        loop {
            match connect(&self.config.url, &self.tls, &mut shutdown).await {
                None => return,
                Some(Ok(socket)) => {
                    self.stats.connected();
                    backoff.reset();
                    let mut board = OptionsBoard::new(&self.config.currency, settings);
                    if let Err(error) = self.session(socket, &mut board, &mut shutdown).await {
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
        &self,
        socket: tokio_tungstenite::WebSocketStream<S>,
        board: &mut OptionsBoard,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), String>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let (mut sink, mut stream) = socket.split();
        let send_error = |error: tokio_tungstenite::tungstenite::Error| format!("send: {error}");
        let currency = &self.config.currency;
        sink.send(request(
            ID_HEARTBEAT,
            "public/set_heartbeat",
            &format!("{{\"interval\":{}}}", self.config.heartbeat_s),
        ))
        .await
        .map_err(send_error)?;
        let index_name = format!("{}_usd", currency.to_lowercase());
        sink.send(request(
            ID_INDEX,
            "public/get_index_price",
            &format!("{{\"index_name\":\"{index_name}\"}}"),
        ))
        .await
        .map_err(send_error)?;
        let period = Duration::from_secs(self.config.interval_s);
        let mut readings = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        // Re-choosing: a fresh index, then a fresh instrument list, then the difference
        // subscribed and unsubscribed (0: never; ten years is never enough).
        let reselect_period = Duration::from_secs(if self.config.reselect_s == 0 {
            315_360_000
        } else {
            self.config.reselect_s
        });
        let mut reselect =
            tokio::time::interval_at(tokio::time::Instant::now() + reselect_period, reselect_period);
        let mut index = None;
        let mut watched: BTreeSet<String> = BTreeSet::new();
        loop {
            tokio::select! {
                message = stream.next() => {
                    let Some(mut payload) = payload(message)? else { continue };
                    self.stats.frame();
                    match decode_frame(&mut payload) {
                        Ok(DeribitMessage::Ticker(ticker)) => {
                            board.update(ticker);
                        }
                        Ok(DeribitMessage::TestRequest) => {
                            sink.send(request(ID_TEST, "public/test", "{}")).await.map_err(send_error)?;
                        }
                        Ok(DeribitMessage::IndexPrice { index_price, .. }) if index.is_none() => {
                            index = Some(index_price);
                            let params = format!("{{\"currency\":\"{currency}\",\"kind\":\"option\",\"expired\":false}}");
                            sink.send(request(ID_INSTRUMENTS, "public/get_instruments", &params)).await.map_err(send_error)?;
                        }
                        Ok(DeribitMessage::Instruments { list, server_time }) => {
                            let now = server_time.unwrap_or_else(wall_clock);
                            let chosen: BTreeSet<String> =
                                choose_options(&list, currency, index.unwrap_or(f64::NAN), now, &self.config)
                                    .into_iter()
                                    .collect();
                            if chosen.is_empty() {
                                self.stats.error(format!("no {currency} options to watch around index {index:?}"));
                            }
                            let added: Vec<&String> = chosen.difference(&watched).collect();
                            let dropped: Vec<&String> = watched.difference(&chosen).collect();
                            for (names, id, method) in
                                [(&added, ID_SUBSCRIBE, "public/subscribe"), (&dropped, ID_UNSUBSCRIBE, "public/unsubscribe")]
                            {
                                for batch in names.chunks(50) {
                                    let channels: Vec<String> = batch
                                        .iter()
                                        .map(|name| format!("\"ticker.{name}.{}\"", self.config.ticker_interval))
                                        .collect();
                                    let params = format!("{{\"channels\":[{}]}}", channels.join(","));
                                    sink.send(request(id, method, &params)).await.map_err(send_error)?;
                                }
                            }
                            board.retain(|name| chosen.contains(name));
                            watched = chosen;
                        }
                        Ok(DeribitMessage::RpcError { id, code, message }) => {
                            self.stats.error(format!("request {id}: error {code}: {message}"));
                        }
                        Ok(_) => {}
                        Err(error) => self.stats.error(format!("{}: {error}", self.config.url)),
                    }
                }
                _ = reselect.tick() => {
                    index = None;
                    sink.send(request(
                        ID_INDEX,
                        "public/get_index_price",
                        &format!("{{\"index_name\":\"{index_name}\"}}"),
                    ))
                    .await
                    .map_err(send_error)?;
                }
                _ = readings.tick() => self.push_reading(board),
                _ = shutdown.changed() => {
                    let _ = sink.send(Message::Close(None)).await;
                    return Ok(());
                }
            }
        }
    }

    /// The board's reading at its own clock (the newest ticker's time), for the quoted
    /// instrument.
    fn push_reading(&self, board: &mut OptionsBoard) {
        let Some(now) = board.newest_timestamp() else { return };
        board.remove_expired(now);
        if let Some(reading) = board.reading(now) {
            let event = Event::new(now, wall_clock(), Seq(0), self.quoted, EventKind::Options(reading));
            self.stats.event();
            self.queue.push(event);
        }
    }
}
