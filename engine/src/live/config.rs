//! The `[live]` table: where live market data comes from and how the feed thread keeps it.
//!
//! ```toml
//! [live]
//! mode = "paper"                           # simulated fills ([simulator]); "live" comes with the order gateway
//! ws_url = "wss://fstream.binance.com"     # Binance USD-M market streams (combined: /stream?streams=...);
//!                                          # REST (snapshots, open interest) is [lanes] rest_url
//! streams = ["depth@0ms", "bookTicker", "trade", "forceOrder", "markPrice@1s"]
//! snapshot_limit = 1000                    # levels per side of a REST depth snapshot
//! resync_interval_ms = 1000                # least time between two snapshot requests of one symbol
//! poll = "busy"                            # "busy": the feed thread never sleeps; "epoll": waits up to epoll_timeout_ms
//! epoll_timeout_ms = 1
//! connect_timeout_ms = 5000
//! initial_backoff_ms = 100                 # reconnect backoff: exponential with full jitter
//! max_backoff_ms = 10000
//! stale_after_ms = 30000                   # no message for this long: reconnect
//! rollover_after_s = 84600                 # Binance closes connections after 24 h: open the next one at 23.5 h
//! heartbeat_ms = 100                       # the core hears from the feed at least this often (control commands, metrics)
//! silence_warn_ms = 1000                   # a connected stream quiet this long is logged and counted (a stall)
//! record = "captures/btcusdt.txt"          # optional: every frame, raw, as `<receive_ns> <frame>` lines
//! stop_after_s = 0                         # 0: run until Ctrl-C (`halcyon run --duration` sets it)
//! stop_when_idle_ms = 0                    # 0: never; else stop after this long without a frame (replayed venues)
//! ```

pub use feeds::net::PollMode;
use feeds::net::StreamConfig;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// How orders are filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    /// Live market data, simulated fills (the `[simulator]` exchange).
    Paper,
    /// Live market data, real orders (not built yet: refused with a clear error).
    Live,
}

/// The `[live]` table.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiveConfig {
    /// Paper (simulated fills) or live.
    pub mode: RunMode,
    /// WebSocket base URL of the market streams (`ws://` for a local venue, `wss://` for Binance).
    pub ws_url: String,
    /// Streams subscribed for each quoted symbol, Binance's names without the symbol.
    pub streams: Vec<String>,
    /// Levels per side of a REST depth snapshot (5, 10, 20, 50, 100, 500 or 1000).
    pub snapshot_limit: u32,
    /// Least time between two snapshot requests for one symbol, milliseconds.
    pub resync_interval_ms: u64,
    /// How the feed thread waits.
    pub poll: PollMode,
    /// Longest epoll wait, milliseconds (`poll = "epoll"`).
    pub epoll_timeout_ms: u64,
    /// Connect and handshake timeout, milliseconds.
    pub connect_timeout_ms: u64,
    /// First reconnect delay, milliseconds (doubling, full jitter).
    pub initial_backoff_ms: u64,
    /// Longest reconnect delay, milliseconds.
    pub max_backoff_ms: u64,
    /// A connection silent this long is dropped and reopened, milliseconds.
    pub stale_after_ms: u64,
    /// Open the next connection after this long (make-before-break), seconds.
    pub rollover_after_s: f64,
    /// The feed thread publishes an empty frame after this long without one, milliseconds,
    /// so the core answers control commands and publishes metrics in a quiet market.
    pub heartbeat_ms: u64,
    /// A connected stream without a frame this long is logged and counted as a stall,
    /// milliseconds (past `stale_after_ms` the connection is also dropped).
    pub silence_warn_ms: u64,
    /// Capture every frame (and snapshot) raw to this file.
    pub record: Option<PathBuf>,
    /// Stop after this many seconds (0: run until stopped).
    pub stop_after_s: f64,
    /// Stop after this long without a frame, milliseconds (0: never).
    pub stop_when_idle_ms: u64,
}

impl Default for LiveConfig {
    fn default() -> LiveConfig {
        LiveConfig {
            mode: RunMode::Paper,
            ws_url: "wss://fstream.binance.com".to_owned(),
            streams: ["depth@0ms", "bookTicker", "trade", "forceOrder", "markPrice@1s"]
                .into_iter()
                .map(str::to_owned)
                .collect(),
            snapshot_limit: 1000,
            resync_interval_ms: 1000,
            poll: PollMode::Busy,
            epoll_timeout_ms: 1,
            connect_timeout_ms: 5000,
            initial_backoff_ms: 100,
            max_backoff_ms: 10_000,
            stale_after_ms: 30_000,
            rollover_after_s: 84_600.0,
            heartbeat_ms: 100,
            silence_warn_ms: 1000,
            record: None,
            stop_after_s: 0.0,
            stop_when_idle_ms: 0,
        }
    }
}

impl LiveConfig {
    /// Checks every value; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.ws_url.starts_with("ws://") || self.ws_url.starts_with("wss://")) {
            return Err(format!("live.ws_url = {:?}: must start with ws:// or wss://", self.ws_url));
        }
        if self.streams.is_empty() {
            return Err("live.streams is empty: subscribe at least the depth stream".to_owned());
        }
        if !self.streams.iter().any(|stream| stream.starts_with("depth")) {
            return Err(format!(
                "live.streams = {:?}: has no depth stream (\"depth@0ms\", \"depth@100ms\"): the book cannot be kept",
                self.streams
            ));
        }
        if let Some(stream) =
            self.streams.iter().find(|stream| stream.is_empty() || stream.contains(['/', ' ', '?']))
        {
            return Err(format!("live.streams has {stream:?}: not a stream name"));
        }
        if ![5, 10, 20, 50, 100, 500, 1000].contains(&self.snapshot_limit) {
            return Err(format!(
                "live.snapshot_limit = {}: Binance accepts 5, 10, 20, 50, 100, 500 or 1000",
                self.snapshot_limit
            ));
        }
        let positive = [
            ("live.resync_interval_ms", self.resync_interval_ms),
            ("live.connect_timeout_ms", self.connect_timeout_ms),
            ("live.initial_backoff_ms", self.initial_backoff_ms),
            ("live.max_backoff_ms", self.max_backoff_ms),
            ("live.stale_after_ms", self.stale_after_ms),
            ("live.heartbeat_ms", self.heartbeat_ms),
            ("live.silence_warn_ms", self.silence_warn_ms),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(format!("{key} = 0: must be at least 1"));
        }
        if self.max_backoff_ms < self.initial_backoff_ms {
            return Err(format!(
                "live.max_backoff_ms = {} is below live.initial_backoff_ms = {}",
                self.max_backoff_ms, self.initial_backoff_ms
            ));
        }
        if !(self.rollover_after_s.is_finite()
            && self.rollover_after_s > 0.0
            && self.rollover_after_s <= 86_400.0)
        {
            return Err(format!(
                "live.rollover_after_s = {}: must be in (0, 86400] (Binance closes connections after 24 h)",
                self.rollover_after_s
            ));
        }
        if !(self.stop_after_s.is_finite() && self.stop_after_s >= 0.0) {
            return Err(format!("live.stop_after_s = {}: must be 0 or more", self.stop_after_s));
        }
        Ok(())
    }

    /// The connection manager's settings for `symbols` (the combined-stream URL and this
    /// table's timings).
    pub fn stream_config(&self, symbols: &[String]) -> StreamConfig {
        let mut config = StreamConfig::new(self.stream_url(symbols));
        config.poll = self.poll;
        config.epoll_timeout_ms = self.epoll_timeout_ms;
        config.connect_timeout_ms = self.connect_timeout_ms;
        config.initial_backoff_ms = self.initial_backoff_ms;
        config.max_backoff_ms = self.max_backoff_ms;
        config.stale_after_ms = self.stale_after_ms;
        config.rollover_after_s = self.rollover_after_s;
        config
    }

    /// The combined-stream URL for `symbols`: `{ws_url}/stream?streams=btcusdt@depth@0ms/...`.
    pub fn stream_url(&self, symbols: &[String]) -> String {
        let mut names = Vec::with_capacity(symbols.len() * self.streams.len());
        for symbol in symbols {
            let symbol = symbol.to_ascii_lowercase();
            for stream in &self.streams {
                names.push(format!("{symbol}@{stream}"));
            }
        }
        format!("{}/stream?streams={}", self.ws_url.trim_end_matches('/'), names.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_name_binance() {
        let config = LiveConfig::default();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(
            config.stream_url(&["BTCUSDT".to_owned()]),
            "wss://fstream.binance.com/stream?streams=btcusdt@depth@0ms/btcusdt@bookTicker/btcusdt@trade/\
             btcusdt@forceOrder/btcusdt@markPrice@1s"
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        type Edit = fn(&mut LiveConfig);
        let cases: [(Edit, &str); 6] = [
            (|c| c.ws_url = "http://x".into(), "live.ws_url"),
            (|c| c.ws_url = "ftp://x".into(), "live.ws_url"),
            (|c| c.streams = vec!["bookTicker".into()], "no depth stream"),
            (|c| c.snapshot_limit = 7, "live.snapshot_limit"),
            (|c| c.max_backoff_ms = 1, "live.max_backoff_ms"),
            (|c| c.rollover_after_s = 90_000.0, "live.rollover_after_s"),
        ];
        for (edit, expected) in cases {
            let mut config = LiveConfig::default();
            edit(&mut config);
            let error = config.validate().unwrap_err();
            assert!(error.contains(expected), "{error}");
        }
    }
}
