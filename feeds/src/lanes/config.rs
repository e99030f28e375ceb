//! [`LanesConfig`]: the `[lanes]` table of the engine config.
//!
//! ```toml
//! [lanes]
//! rest_url = "https://fapi.binance.com"   # Binance USD-M REST base
//! instrument = "BTCUSDT"                   # the quoted binance-usdm instrument
//! open_interest_interval_s = 10            # 0 = no open interest polling
//! http_timeout_ms = 5000
//!
//! [lanes.bybit]
//! enabled = true
//! url = "wss://stream.bybit.com/v5/public/linear"
//! symbols = { BTCUSDT = "BTCUSDT" }        # bybit-linear symbol = quoted binance-usdm symbol
//! liquidations = true                      # allLiquidation feeds the core
//! mark_price = false                       # tickers' mark/index/funding feed the core
//! open_interest = false                    # tickers' open interest feeds the core
//!
//! [lanes.deribit]
//! enabled = true
//! url = "wss://www.deribit.com/ws/api/v2"
//! currency = "BTC"
//! instrument = "BTCUSDT"
//! interval_s = 5
//! short_dated_hours = 48
//! near_spot_pct = 5
//! expiries = 4
//! strike_band_pct = 10
//! max_options = 200
//! reselect_s = 3600                        # re-choose the options hourly (0: never)
//! ```
//!
//! Why mark price and open interest from Bybit are off by default: Binance's own streams feed
//! them for the quoted instrument, and one series mixing two venues' open interest would be
//! wrong. Liquidations are on: Bybit's `allLiquidation` reports every liquidation, Binance's
//! `forceOrder` at most one per symbol per second.

use serde::Deserialize;
use std::collections::BTreeMap;

/// A `[lanes]` value that makes no sense.
#[derive(Debug, thiserror::Error)]
pub enum LanesConfigError {
    /// The TOML did not parse or did not match the schema.
    #[error("[lanes]: {0}")]
    Toml(#[from] toml::de::Error),
    /// A value out of range or inconsistent.
    #[error("[lanes] {field}: {message}")]
    Invalid {
        /// The key.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// The slow lanes' configuration. Defaults are documented per field.
#[derive(Clone, Debug, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LanesConfig {
    /// Binance USD-M REST base URL. Default `https://fapi.binance.com`.
    pub rest_url: String,
    /// The quoted `binance-usdm` symbol whose open interest is polled. Default `BTCUSDT`.
    pub instrument: String,
    /// Seconds between open interest polls; 0 turns the lane off. Default 10.
    pub open_interest_interval_s: u64,
    /// Timeout of one HTTP request (connect to last byte), ms. Default 5000.
    pub http_timeout_ms: u64,
    /// Capacity of the snapshot request and response channels. Default 16.
    pub snapshot_channel_capacity: usize,
    /// `[lanes.bybit]`.
    pub bybit: BybitLaneConfig,
    /// `[lanes.deribit]`.
    pub deribit: DeribitLaneConfig,
}

impl Default for LanesConfig {
    fn default() -> LanesConfig {
        LanesConfig {
            rest_url: "https://fapi.binance.com".to_owned(),
            instrument: "BTCUSDT".to_owned(),
            open_interest_interval_s: 10,
            http_timeout_ms: 5_000,
            snapshot_channel_capacity: 16,
            bybit: BybitLaneConfig::default(),
            deribit: DeribitLaneConfig::default(),
        }
    }
}

/// `[lanes.bybit]`: the Bybit v5 public linear WebSocket lane.
#[derive(Clone, Debug, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BybitLaneConfig {
    /// Run the lane. Default true.
    pub enabled: bool,
    /// Stream URL. Default `wss://stream.bybit.com/v5/public/linear`.
    pub url: String,
    /// `bybit-linear` symbol → quoted `binance-usdm` symbol. Default `BTCUSDT → BTCUSDT`.
    pub symbols: BTreeMap<String, String>,
    /// Liquidations feed the core. Default true.
    pub liquidations: bool,
    /// Mark, index and funding feed the core. Default false.
    pub mark_price: bool,
    /// Open interest feeds the core. Default false.
    pub open_interest: bool,
    /// Seconds between `{"op":"ping"}` (Bybit recommends 20). Default 20.
    pub ping_interval_s: u64,
    /// First reconnect delay, ms; doubles per failure up to `reconnect_max_ms`, with ±50 %
    /// jitter. Default 500.
    pub reconnect_min_ms: u64,
    /// Longest reconnect delay, ms. Default 30000.
    pub reconnect_max_ms: u64,
}

impl Default for BybitLaneConfig {
    fn default() -> BybitLaneConfig {
        BybitLaneConfig {
            enabled: true,
            url: "wss://stream.bybit.com/v5/public/linear".to_owned(),
            symbols: BTreeMap::from([("BTCUSDT".to_owned(), "BTCUSDT".to_owned())]),
            liquidations: true,
            mark_price: false,
            open_interest: false,
            ping_interval_s: 20,
            reconnect_min_ms: 500,
            reconnect_max_ms: 30_000,
        }
    }
}

/// `[lanes.deribit]`: the Deribit options lane.
#[derive(Clone, Debug, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeribitLaneConfig {
    /// Run the lane. Default true.
    pub enabled: bool,
    /// JSON-RPC WebSocket URL. Default `wss://www.deribit.com/ws/api/v2`.
    pub url: String,
    /// Options currency. Default `BTC`.
    pub currency: String,
    /// The quoted `binance-usdm` symbol the readings are for. Default `BTCUSDT`.
    pub instrument: String,
    /// Seconds between readings pushed to the core. Default 5.
    pub interval_s: u64,
    /// Expiries within this many hours are short-dated. Default 48.
    pub short_dated_hours: f64,
    /// Strikes within this many percent of spot are near spot. Default 5.
    pub near_spot_pct: f64,
    /// Watch the options of the nearest this many expiries. Default 4.
    pub expiries: usize,
    /// Watch strikes within this many percent of the index. Default 10.
    pub strike_band_pct: f64,
    /// At most this many options are subscribed (nearest to the index first). Default 200.
    pub max_options: usize,
    /// Ticker channel interval (`100ms`, `agg2`, `raw` needs auth). Default `100ms`.
    pub ticker_interval: String,
    /// `public/set_heartbeat` interval, s (Deribit's minimum is 10). Default 30.
    pub heartbeat_s: u64,
    /// Seconds between re-choosing the options to watch (a new index, expiries rolled); 0
    /// keeps the first choice for the connection's life. Default 3600.
    pub reselect_s: u64,
    /// First reconnect delay, ms (doubling, jittered). Default 500.
    pub reconnect_min_ms: u64,
    /// Longest reconnect delay, ms. Default 30000.
    pub reconnect_max_ms: u64,
}

impl Default for DeribitLaneConfig {
    fn default() -> DeribitLaneConfig {
        DeribitLaneConfig {
            enabled: true,
            url: "wss://www.deribit.com/ws/api/v2".to_owned(),
            currency: "BTC".to_owned(),
            instrument: "BTCUSDT".to_owned(),
            interval_s: 5,
            short_dated_hours: 48.0,
            near_spot_pct: 5.0,
            expiries: 4,
            strike_band_pct: 10.0,
            max_options: 200,
            ticker_interval: "100ms".to_owned(),
            heartbeat_s: 30,
            reselect_s: 3600,
            reconnect_min_ms: 500,
            reconnect_max_ms: 30_000,
        }
    }
}

impl LanesConfig {
    /// Reads the *contents* of a `[lanes]` table (the keys above, without the header) and
    /// validates them.
    pub fn from_toml(text: &str) -> Result<LanesConfig, LanesConfigError> {
        let config: LanesConfig = toml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks ranges and URLs.
    pub fn validate(&self) -> Result<(), LanesConfigError> {
        let invalid =
            |field, message: &str| Err(LanesConfigError::Invalid { field, message: message.to_owned() });
        if !(self.rest_url.starts_with("http://") || self.rest_url.starts_with("https://")) {
            return invalid("rest_url", "must start with http:// or https://");
        }
        if self.http_timeout_ms == 0 {
            return invalid("http_timeout_ms", "must be positive");
        }
        if self.snapshot_channel_capacity == 0 {
            return invalid("snapshot_channel_capacity", "must be positive");
        }
        let websocket = |url: &str| url.starts_with("ws://") || url.starts_with("wss://");
        let bybit = &self.bybit;
        if bybit.enabled {
            if !websocket(&bybit.url) {
                return invalid("bybit.url", "must start with ws:// or wss://");
            }
            if bybit.symbols.is_empty() {
                return invalid("bybit.symbols", "map at least one bybit symbol to a quoted symbol");
            }
            if bybit.ping_interval_s == 0 {
                return invalid("bybit.ping_interval_s", "must be positive");
            }
            if bybit.reconnect_min_ms == 0 || bybit.reconnect_max_ms < bybit.reconnect_min_ms {
                return invalid("bybit.reconnect_min_ms", "need 0 < reconnect_min_ms <= reconnect_max_ms");
            }
        }
        let deribit = &self.deribit;
        if deribit.enabled {
            if !websocket(&deribit.url) {
                return invalid("deribit.url", "must start with ws:// or wss://");
            }
            if deribit.currency.is_empty() {
                return invalid("deribit.currency", "must not be empty");
            }
            if deribit.interval_s == 0 {
                return invalid("deribit.interval_s", "must be positive");
            }
            if !(deribit.short_dated_hours > 0.0 && deribit.short_dated_hours.is_finite()) {
                return invalid("deribit.short_dated_hours", "must be positive");
            }
            if !(deribit.near_spot_pct > 0.0 && deribit.near_spot_pct < 100.0) {
                return invalid("deribit.near_spot_pct", "must be in (0, 100)");
            }
            if !(deribit.strike_band_pct > 0.0 && deribit.strike_band_pct < 100.0) {
                return invalid("deribit.strike_band_pct", "must be in (0, 100)");
            }
            if deribit.expiries < 2 {
                return invalid("deribit.expiries", "need at least 2 (a short-dated one and a later one)");
            }
            if deribit.max_options == 0 {
                return invalid("deribit.max_options", "must be positive");
            }
            if deribit.heartbeat_s < 10 {
                return invalid("deribit.heartbeat_s", "Deribit's minimum heartbeat interval is 10 s");
            }
            if deribit.reconnect_min_ms == 0 || deribit.reconnect_max_ms < deribit.reconnect_min_ms {
                return invalid("deribit.reconnect_min_ms", "need 0 < reconnect_min_ms <= reconnect_max_ms");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let config = LanesConfig::from_toml("").unwrap();
        assert_eq!(config, LanesConfig::default());
        assert!(config.bybit.liquidations && !config.bybit.mark_price && !config.bybit.open_interest);
        let config = LanesConfig::from_toml(
            "open_interest_interval_s = 0\n[lanes.bybit]\nsymbols = { ETHUSDT = \"ETHUSDT\" }\nmark_price = true\n"
                .replace("[lanes.bybit]", "[bybit]")
                .as_str(),
        )
        .unwrap();
        assert_eq!(config.open_interest_interval_s, 0);
        assert!(config.bybit.mark_price);
        assert_eq!(config.bybit.symbols["ETHUSDT"], "ETHUSDT");
    }

    #[test]
    fn nonsense_is_refused_with_the_key() {
        for (text, key) in [
            ("rest_url = \"ftp://x\"", "rest_url"),
            ("[bybit]\nurl = \"https://x\"", "bybit.url"),
            ("[deribit]\nexpiries = 1", "deribit.expiries"),
            ("[deribit]\nheartbeat_s = 5", "deribit.heartbeat_s"),
            ("[deribit]\nnear_spot_pct = 0", "deribit.near_spot_pct"),
        ] {
            let error = LanesConfig::from_toml(text).unwrap_err().to_string();
            assert!(error.contains(key), "{text}: {error}");
        }
        assert!(LanesConfig::from_toml("typo = 1").is_err());
    }
}
