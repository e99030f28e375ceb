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
//! [simulator]                 # replay and paper: see crate::venue::VenueConfig
//! [replay]                    # sample_interval_ms, data
//! [stress]                    # optional: a cascade laid over the recording (crate::stress)
//! [live]                      # live market data: see crate::live::config::LiveConfig
//! [control]                   # metrics and operator commands: see crate::control::ControlConfig
//! [lanes]                     # slow lanes: see feeds::lanes::LanesConfig
//! ```
//!
//! Unknown keys are errors (a typo must not silently fall back to a default), and every error
//! names the file and the key.

use super::CliError;
use crate::control::ControlConfig;
use crate::live::config::LiveConfig;
use crate::pipeline::MIN_RING_CAPACITY;
use crate::pipeline::core::CoreConfig;
use crate::stress::StressConfig;
use crate::venue::VenueConfig;
use feeds::Instruments;
use feeds::lanes::LanesConfig;
use risk::RiskLimits;
use risk::cascade::config::CascadeConfig;
use serde::{Deserialize, Serialize};
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
    #[serde(default)]
    simulator: VenueConfig,
    #[serde(default)]
    replay: ReplayConfig,
    #[serde(default)]
    stress: Option<StressConfig>,
    #[serde(default)]
    live: LiveConfig,
    #[serde(default)]
    control: ControlConfig,
    #[serde(default)]
    lanes: LanesConfig,
}

/// The `[replay]` table: how `halcyon replay` samples, and what it replays by default.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReplayConfig {
    /// Event time between the report's samples, milliseconds (also the markouts' resolution).
    /// Default 100.
    pub sample_interval_ms: u32,
    /// The recording to replay when `--data` is not given (relative to the working directory).
    pub data: Option<PathBuf>,
}

impl Default for ReplayConfig {
    fn default() -> ReplayConfig {
        ReplayConfig { sample_interval_ms: 100, data: None }
    }
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
    /// The simulated exchange of replay and paper mode (validated).
    pub simulator: VenueConfig,
    /// Replay sampling and default data.
    pub replay: ReplayConfig,
    /// A stress scenario to lay over the replayed recording (validated).
    pub stress: Option<StressConfig>,
    /// Live market data: endpoints, streams, reconnects (validated).
    pub live: LiveConfig,
    /// Metrics and the operator's control endpoint of a live run.
    pub control: ControlConfig,
    /// Slow lanes of a live run: REST (snapshots, open interest), Bybit, Deribit (validated).
    pub lanes: LanesConfig,
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
        raw.simulator.validate().map_err(|e| error(format!("simulator: {e}")))?;
        if raw.replay.sample_interval_ms == 0 {
            return Err(error("replay.sample_interval_ms = 0: must be at least 1".to_owned()));
        }
        if let Some(stress) = &raw.stress {
            stress.validate().map_err(|e| error(e.to_string()))?;
        }
        raw.live.validate().map_err(error)?;
        raw.lanes.validate().map_err(|e| error(e.to_string()))?;
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
            simulator: raw.simulator,
            replay: raw.replay,
            stress: raw.stress,
            live: raw.live,
            control: raw.control,
            lanes: raw.lanes,
            source,
        })
    }

    /// The whole configuration as JSON, for reports (every value, defaults included).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "source": self.source.describe(),
            "ring": { "capacity": self.ring_capacity },
            "threads": { "feed_core": self.feed_core, "quoting_core": self.quoting_core },
            "quoting": {
                "venue": self.venue,
                "instruments": self.symbols,
                "min_reprice_ticks": self.min_reprice_ticks,
                "client_id_prefix": self.client_id_prefix,
            },
            "strategy": self.strategy,
            "risk": self.risk,
            "cascade": self.cascade,
            "simulator": self.simulator,
            "replay": self.replay,
            "stress": self.stress,
            "live": self.live,
            "control": self.control,
            "lanes": self.lanes,
        })
    }

    /// Loads `path`, or `configs/halcyon.toml` if it exists, or the built-in copy.
    pub fn load(path: Option<&Path>) -> Result<EngineConfig, CliError> {
        let (text, source) = EngineConfig::load_text(path)?;
        EngineConfig::from_toml(&text, source)
    }

    /// The text [`load`](EngineConfig::load) would parse, and where it came from (sweeps edit
    /// the text before parsing it).
    pub fn load_text(path: Option<&Path>) -> Result<(String, ConfigSource), CliError> {
        Ok(match path {
            Some(path) => (read(path)?, ConfigSource::File(path.to_owned())),
            None if Path::new(DEFAULT_ENGINE_CONFIG).is_file() => {
                let path = PathBuf::from(DEFAULT_ENGINE_CONFIG);
                (read(&path)?, ConfigSource::File(path))
            }
            None => (BUILT_IN_ENGINE_CONFIG.to_owned(), ConfigSource::BuiltIn),
        })
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

/// Parses a `key=value` override (`strategy.policy=fixed`, `strategy.order_qty=2`): the value
/// as TOML (a number, a boolean, a quoted string, an array), else as a bare string.
pub fn parse_override(text: &str) -> Result<(String, toml::Value), CliError> {
    let (key, value) = text.split_once('=').ok_or_else(|| {
        CliError::Argument(format!("--set {text}: expected key=value, e.g. strategy.policy=fixed"))
    })?;
    let (key, value) = (key.trim(), value.trim());
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err(CliError::Argument(format!("--set {text}: `{key}` is not a dotted config key")));
    }
    let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut table| table.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_owned()));
    Ok((key.to_owned(), parsed))
}

/// Sets `a.b.c = value` in `table`, creating tables on the way.
pub fn set_dotted(table: &mut toml::Table, key: &str, value: toml::Value) -> Result<(), String> {
    let mut parts = key.split('.').peekable();
    let mut current = table;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            current.insert(part.to_owned(), value);
            return Ok(());
        }
        let entry = current.entry(part.to_owned()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = entry.as_table_mut().ok_or_else(|| format!("{key}: `{part}` is a value, not a table"))?;
    }
    Ok(())
}

/// `text` with `overrides` applied (each a dotted key and a value), parsed and validated; the
/// source names the overrides so errors and reports say where a value came from.
pub fn with_overrides(
    text: &str,
    source: &ConfigSource,
    overrides: &[(String, toml::Value)],
) -> Result<EngineConfig, CliError> {
    if overrides.is_empty() {
        return EngineConfig::from_toml(text, source.clone());
    }
    let path = PathBuf::from(source.describe());
    let mut table: toml::Table = toml::from_str(text)
        .map_err(|e| CliError::Config { path: path.clone(), message: e.to_string().trim_end().to_owned() })?;
    for (key, value) in overrides {
        set_dotted(&mut table, key, value.clone())
            .map_err(|message| CliError::Config { path: path.clone(), message })?;
    }
    let text = toml::to_string(&table).map_err(|e| CliError::Argument(e.to_string()))?;
    let described: Vec<String> = overrides.iter().map(|(key, value)| format!("{key} = {value}")).collect();
    let label =
        ConfigSource::File(PathBuf::from(format!("{} with {}", source.describe(), described.join(", "))));
    EngineConfig::from_toml(&text, label)
}

/// Reads a UTF-8 text file, naming it in errors.
pub(crate) fn read(path: &Path) -> Result<String, CliError> {
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
        assert_eq!(config.simulator, VenueConfig::default());
        assert_eq!(config.replay, ReplayConfig::default());
        assert_eq!(config.stress, None);
        assert_eq!(config.live, LiveConfig::default());
        assert_eq!(config.control, ControlConfig::default());
        assert_eq!(config.lanes, LanesConfig::default());
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
    fn overrides_reach_any_key_and_bad_ones_are_named() {
        let (key, value) = parse_override("strategy.policy=fixed").unwrap();
        assert_eq!((key.as_str(), value.as_str()), ("strategy.policy", Some("fixed")));
        let (_, value) = parse_override("strategy.order_qty = 2").unwrap();
        assert_eq!(value.as_integer(), Some(2));
        let config = with_overrides(
            "",
            &ConfigSource::BuiltIn,
            &[
                parse_override("strategy.order_qty=3").unwrap(),
                parse_override("strategy.toxicity_aware.a_tau=2.5").unwrap(),
            ],
        )
        .unwrap();
        assert_eq!(config.strategy.order_qty, feeds::Lots(3));
        let error = with_overrides("", &ConfigSource::BuiltIn, &[parse_override("strategy.nope=1").unwrap()])
            .unwrap_err()
            .to_string();
        assert!(error.contains("nope") && error.contains("strategy.nope = 1"), "{error}");
        assert!(parse_override("no-equals-sign").is_err());
        let mut table = toml::Table::new();
        set_dotted(&mut table, "a.b", toml::Value::Integer(1)).unwrap();
        assert!(set_dotted(&mut table, "a.b.c", toml::Value::Integer(1)).unwrap_err().contains("`b`"));
    }

    #[test]
    fn unknown_symbols_are_named() {
        let config = parse("[quoting]\ninstruments = [\"NOPEUSDT\"]\n").unwrap();
        let instruments = Instruments::from_toml(include_str!("../../../configs/instruments.toml")).unwrap();
        let error = config.core_config(&instruments, 0).unwrap_err().to_string();
        assert!(error.contains("NOPEUSDT"), "{error}");
    }
}
