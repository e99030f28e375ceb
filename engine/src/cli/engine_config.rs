//! The engine configuration file (`configs/halcyon.toml`), validated into settings before any
//! thread starts.
//!
//! ```toml
//! [ring]
//! capacity = 65536            # slots, a power of two >= 4096
//!
//! [threads]
//! pin = true                  # pin the feed and quoting threads (if the machine allows)
//! feed_core = 0
//! quoting_core = 1
//!
//! [quoting]
//! venue = "binance-usdm"
//! instruments = ["BTCUSDT"]   # symbols to quote; their books are kept by the core
//! min_reprice_ticks = 1       # move a resting quote only when its price moves this much
//! client_id_prefix = 1        # our client order ids start with hc<prefix>-
//!
//! [strategy]                  # see strategy::StrategyConfig
//! [risk]                      # see risk::RiskLimits
//! [cascade]                   # see risk::cascade::config::CascadeConfig (and [cascade.signals])
//! ```
//!
//! Unknown keys are errors (a typo must not silently fall back to a default), and every error
//! names the file and the key.

use super::CliError;
use crate::pipeline::MIN_RING_CAPACITY;
use crate::pipeline::core::CoreConfig;
use feeds::Instruments;
use risk::RiskLimits;
use risk::cascade::config::CascadeConfig;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use strategy::StrategyConfig;

/// Where the default engine configuration is looked for.
pub const DEFAULT_ENGINE_CONFIG: &str = "configs/halcyon.toml";

/// The built-in copy of `configs/halcyon.toml`.
const BUILT_IN_ENGINE_CONFIG: &str = include_str!("../../../configs/halcyon.toml");

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    ring: RawRing,
    #[serde(default)]
    threads: RawThreads,
    #[serde(default)]
    quoting: RawQuoting,
    #[serde(default)]
    strategy: StrategyConfig,
    #[serde(default)]
    risk: RiskLimits,
    #[serde(default)]
    cascade: CascadeConfig,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRing {
    #[serde(default = "default_capacity")]
    capacity: usize,
}

impl Default for RawRing {
    fn default() -> RawRing {
        RawRing { capacity: default_capacity() }
    }
}

fn default_capacity() -> usize {
    65_536
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThreads {
    #[serde(default = "yes")]
    pin: bool,
    #[serde(default)]
    feed_core: usize,
    #[serde(default = "one")]
    quoting_core: usize,
}

impl Default for RawThreads {
    fn default() -> RawThreads {
        RawThreads { pin: true, feed_core: 0, quoting_core: 1 }
    }
}

fn yes() -> bool {
    true
}

fn one() -> usize {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuoting {
    #[serde(default = "default_venue")]
    venue: String,
    #[serde(default = "default_symbols")]
    instruments: Vec<String>,
    #[serde(default = "default_reprice")]
    min_reprice_ticks: i64,
    #[serde(default = "one_u32")]
    client_id_prefix: u32,
}

impl Default for RawQuoting {
    fn default() -> RawQuoting {
        RawQuoting {
            venue: default_venue(),
            instruments: default_symbols(),
            min_reprice_ticks: default_reprice(),
            client_id_prefix: 1,
        }
    }
}

fn default_venue() -> String {
    feeds::venue::binance::VENUE.to_owned()
}

fn default_symbols() -> Vec<String> {
    vec!["BTCUSDT".to_owned()]
}

fn default_reprice() -> i64 {
    1
}

fn one_u32() -> u32 {
    1
}

/// Where the configuration came from, for reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    /// A file given or found.
    File(PathBuf),
    /// The copy built into the binary.
    BuiltIn,
}

impl ConfigSource {
    /// For messages and reports.
    pub fn describe(&self) -> String {
        match self {
            ConfigSource::File(path) => path.display().to_string(),
            ConfigSource::BuiltIn => "built-in halcyon.toml".to_owned(),
        }
    }
}

/// The validated engine settings.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Ring slots.
    pub ring_capacity: usize,
    /// Core for the feed thread (`None`: unpinned).
    pub feed_core: Option<usize>,
    /// Core for the quoting thread (`None`: unpinned).
    pub quoting_core: Option<usize>,
    /// Venue of the quoted instruments.
    pub venue: String,
    /// Symbols to quote.
    pub symbols: Vec<String>,
    /// Re-quote threshold in ticks.
    pub min_reprice_ticks: i64,
    /// Client order id prefix.
    pub client_id_prefix: u32,
    /// Strategy parameters (validated).
    pub strategy: StrategyConfig,
    /// Risk limits (validated).
    pub risk: RiskLimits,
    /// Cascade detector and its signals (validated).
    pub cascade: CascadeConfig,
    /// Where it came from.
    pub source: ConfigSource,
}

impl EngineConfig {
    /// Parses and validates a configuration text; `path` names it in errors.
    pub fn from_toml(text: &str, source: ConfigSource) -> Result<EngineConfig, CliError> {
        let error = |message: String| CliError::Config { path: PathBuf::from(source.describe()), message };
        let raw: RawConfig = toml::from_str(text).map_err(|e| error(e.to_string().trim_end().to_owned()))?;
        let capacity = raw.ring.capacity;
        if !capacity.is_power_of_two() || capacity < MIN_RING_CAPACITY {
            return Err(error(format!(
                "ring.capacity = {capacity}: must be a power of two of at least {MIN_RING_CAPACITY} (a whole depth snapshot must fit)"
            )));
        }
        if raw.threads.pin && raw.threads.feed_core == raw.threads.quoting_core {
            return Err(error(format!(
                "threads.feed_core and threads.quoting_core are both {}: pinned threads need a core each (or set threads.pin = false)",
                raw.threads.feed_core
            )));
        }
        if raw.quoting.instruments.is_empty() {
            return Err(error("quoting.instruments is empty: name at least one symbol to quote".to_owned()));
        }
        if raw.quoting.min_reprice_ticks < 1 {
            return Err(error(format!(
                "quoting.min_reprice_ticks = {}: must be at least 1",
                raw.quoting.min_reprice_ticks
            )));
        }
        raw.strategy.validate().map_err(|e| error(format!("strategy: {e}")))?;
        raw.risk.validate().map_err(|e| error(format!("risk: {e}")))?;
        raw.cascade.validate().map_err(|e| error(e.to_string()))?;
        raw.cascade.signals.validate().map_err(|e| error(e.to_string()))?;
        let (feed_core, quoting_core) = if raw.threads.pin {
            (Some(raw.threads.feed_core), Some(raw.threads.quoting_core))
        } else {
            (None, None)
        };
        Ok(EngineConfig {
            ring_capacity: capacity,
            feed_core,
            quoting_core,
            venue: raw.quoting.venue,
            symbols: raw.quoting.instruments,
            min_reprice_ticks: raw.quoting.min_reprice_ticks,
            client_id_prefix: raw.quoting.client_id_prefix,
            strategy: raw.strategy,
            risk: raw.risk,
            cascade: raw.cascade,
            source,
        })
    }

    /// Loads `path`, or `configs/halcyon.toml` if it exists, or the built-in copy.
    pub fn load(path: Option<&Path>) -> Result<EngineConfig, CliError> {
        let (text, source) = match path {
            Some(path) => (read(path)?, ConfigSource::File(path.to_owned())),
            None if Path::new(DEFAULT_ENGINE_CONFIG).is_file() => {
                let path = PathBuf::from(DEFAULT_ENGINE_CONFIG);
                (read(&path)?, ConfigSource::File(path))
            }
            None => (BUILT_IN_ENGINE_CONFIG.to_owned(), ConfigSource::BuiltIn),
        };
        EngineConfig::from_toml(&text, source)
    }

    /// The quoting core's settings, with the quoted symbols resolved in `instruments`.
    pub fn core_config(&self, instruments: &Instruments, warmup_frames: u64) -> Result<CoreConfig, CliError> {
        let mut quote = Vec::with_capacity(self.symbols.len());
        for symbol in &self.symbols {
            let id = instruments.find(&self.venue, symbol).ok_or_else(|| CliError::Config {
                path: PathBuf::from(self.source.describe()),
                message: format!(
                    "quoting.instruments names {symbol} on {}, which the instrument definitions do not have",
                    self.venue
                ),
            })?;
            quote.push(id);
        }
        Ok(CoreConfig {
            quote,
            strategy: self.strategy,
            risk: self.risk,
            cascade: self.cascade,
            min_reprice_ticks: self.min_reprice_ticks,
            client_id_prefix: self.client_id_prefix,
            warmup_frames,
        })
    }
}

fn read(path: &Path) -> Result<String, CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::Io { path: path.to_owned(), source })?;
    String::from_utf8(bytes)
        .map_err(|_| CliError::Config { path: path.to_owned(), message: "is not UTF-8 text".to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<EngineConfig, CliError> {
        EngineConfig::from_toml(text, ConfigSource::File(PathBuf::from("test.toml")))
    }

    #[test]
    fn the_built_in_config_is_valid() {
        let config = EngineConfig::from_toml(BUILT_IN_ENGINE_CONFIG, ConfigSource::BuiltIn).unwrap();
        assert_eq!(config.symbols, ["BTCUSDT"]);
        assert!(config.ring_capacity.is_power_of_two());
        // The file says its values are the defaults: hold it to that, so the documented
        // config and the code cannot drift apart.
        assert_eq!(config.strategy, strategy::StrategyConfig::default());
        assert_eq!(config.risk, risk::RiskLimits::default());
        assert_eq!(config.cascade, CascadeConfig::default());
    }

    #[test]
    fn an_empty_file_takes_the_defaults() {
        let config = parse("").unwrap();
        assert_eq!(config.ring_capacity, 65_536);
        assert_eq!((config.feed_core, config.quoting_core), (Some(0), Some(1)));
    }

    #[test]
    fn bad_values_name_the_file_and_the_key() {
        for (text, expected) in [
            ("[ring]\ncapacity = 1000\n", "ring.capacity = 1000"),
            ("[ring]\ncapacity = 1024\n", "at least 4096"),
            ("[threads]\nfeed_core = 1\nquoting_core = 1\n", "both 1"),
            ("[quoting]\ninstruments = []\n", "quoting.instruments is empty"),
            ("[quoting]\nmin_reprice_ticks = 0\n", "min_reprice_ticks = 0"),
            ("[ring]\ncapacty = 4096\n", "unknown field `capacty`"),
        ] {
            let error = parse(text).unwrap_err().to_string();
            assert!(error.starts_with("test.toml: "), "{error}");
            assert!(error.contains(expected), "{text:?}: {error}");
        }
    }

    #[test]
    fn unknown_symbols_are_named() {
        let config = parse("[quoting]\ninstruments = [\"NOPEUSDT\"]\n").unwrap();
        let instruments = Instruments::from_toml(include_str!("../../../configs/instruments.toml")).unwrap();
        let error = config.core_config(&instruments, 0).unwrap_err().to_string();
        assert!(error.contains("NOPEUSDT"), "{error}");
    }
}
