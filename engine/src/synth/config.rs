//! [`MarketConfig`], what a synthetic tape is made from, and [`ConfigError`], the first bad key
//! [`MarketConfig::validate`] finds.
//!
//! Every field has a default ([`MarketConfig::default`]), so a TOML table or JSON object names
//! only what it changes; an unknown key is an error (`deny_unknown_fields`). The fields are
//! plain numbers, strings, booleans and one enum ([`CascadeDirection`], a `clap::ValueEnum`), so
//! command-line options can be mapped onto them one to one and then validated together.
//!
//! [`Grid`] is the decimal grid of prices or quantities (`"0.10"`, `"0.001"`): it turns
//! counts of the step into the exchange's decimal strings without going through `f64`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Which way the cascade goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum CascadeDirection {
    /// A long unwind: price falls, longs are liquidated (SELL liquidation orders), funding goes
    /// from positive to negative.
    #[default]
    Down,
    /// A short squeeze: price rises, shorts are liquidated (BUY orders), funding goes from
    /// negative to positive.
    Up,
}

impl CascadeDirection {
    /// `-1` for down, `+1` for up.
    pub fn sign(self) -> f64 {
        match self {
            CascadeDirection::Down => -1.0,
            CascadeDirection::Up => 1.0,
        }
    }

    /// `down` or `up`.
    pub fn name(self) -> &'static str {
        match self {
            CascadeDirection::Down => "down",
            CascadeDirection::Up => "up",
        }
    }
}

/// Everything a synthetic market tape is generated from. The same configuration (seed
/// included) gives a byte-identical tape.
///
/// Quantities are in the base asset (BTC for BTCUSDT), prices in the quote asset, rates per
/// second of exchange time. See the [module docs](super) for the model the fields drive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarketConfig {
    /// Seed of every random draw (default 1).
    pub seed: u64,
    /// Length of the tape in seconds of exchange time (default 600; 1 to 86 400).
    pub duration_s: f64,
    /// Exchange time of the tape's start, RFC 3339 UTC (default `2024-08-08T12:00:00Z`).
    pub start: String,
    /// Exchange symbol, as the frames print it (default `BTCUSDT`); uppercase letters and
    /// digits. The stream names use its lowercase form.
    pub symbol: String,
    /// Price step as the exchange publishes it (default `"0.10"`). Prices are printed with as
    /// many decimals as this text has (`61800.20`, as Binance prints BTCUSDT).
    pub tick_size: String,
    /// Quantity step (default `"0.001"`), printed the same way.
    pub lot_size: String,
    /// Fair price at the start (default 60 000).
    pub initial_price: f64,
    /// Volatility of the fair price in calm, in basis points per √second (default 1.0, about
    /// 56 % a year).
    pub calm_vol_bps_per_sqrt_s: f64,
    /// Price levels per side the makers keep on average (default 200; 20..=1000).
    pub levels_per_side: u32,
    /// Shortest interval between depth diffs, ms (default 10; at least 1).
    pub diff_min_interval_ms: f64,
    /// Longest interval between depth diffs, ms (default 100).
    pub diff_max_interval_ms: f64,
    /// Taker (market) orders per second in calm (default 8).
    pub taker_rate_per_s: f64,
    /// Median taker order size in calm (default 0.02); sizes are log-normal.
    pub taker_median_qty: f64,
    /// Shortest network latency from exchange to recorder, ms (default 1).
    pub latency_min_ms: f64,
    /// Longest usual network latency, ms (default 5).
    pub latency_max_ms: f64,
    /// Probability that a frame is delayed by an extra spike (mean 15 ms; default 0.01). A
    /// spike holds back the frames behind it on the same connection, as TCP does.
    pub latency_spike_probability: f64,
    /// Open interest at the start (default 80 000).
    pub initial_open_interest: f64,
    /// Seconds between open interest REST polls (default 5; at least 0.1).
    pub open_interest_poll_s: f64,
    /// Premium of the perpetual over its index in calm, in basis points (default 8, giving a
    /// funding rate of about +0.03 %). Its sign is that of the crowded side: positive before a
    /// down cascade (crowded longs pay), negative before an up cascade.
    pub calm_premium_bps: f64,
    /// Whether the tape has a cascade (default true).
    pub cascade: bool,
    /// Seconds from the start to the cascade's onset (default 300).
    pub cascade_onset_s: f64,
    /// Length of the cascade in seconds (default 90); it must end within the tape.
    pub cascade_duration_s: f64,
    /// Which way the cascade goes (default `down`).
    pub cascade_direction: CascadeDirection,
    /// How far the fair price trends over the cascade, in basis points (default 250).
    pub cascade_move_bps: f64,
    /// Volatility in the cascade, as a multiple of the calm one (default 3).
    pub cascade_vol_multiplier: f64,
    /// Taker order rate in the cascade, as a multiple of the calm one (default 3).
    pub cascade_taker_rate_multiplier: f64,
    /// Taker order size in the cascade, as a multiple of the calm one (default 2).
    pub cascade_taker_size_multiplier: f64,
    /// Share of taker orders in the cascade's direction (default 0.65; 0.5 in calm).
    pub cascade_taker_bias: f64,
    /// Spread the makers leave around the fair price in the cascade, bps (default 2; in calm
    /// one tick).
    pub cascade_spread_bps: f64,
    /// Share of the depth near the touch the makers withdraw in the cascade, 0..=1
    /// (default 0.7).
    pub depth_withdrawal: f64,
    /// How far from the fair price "near the touch" reaches, bps (default 10).
    pub withdrawal_band_bps: f64,
    /// Premium magnitude in the cascade, bps, against the cascade's direction (default 6:
    /// the perpetual falls through its index in a down cascade; the index's lag behind a
    /// moving price adds to it).
    pub cascade_premium_bps: f64,
    /// How much open interest the cascade closes beyond what is liquidated, percent of the
    /// open interest at its onset (default 4).
    pub cascade_open_interest_drop_pct: f64,
    /// Liquidations per second outside the cascade, a plain Poisson process (default 0.02; 0
    /// for none).
    pub calm_liquidation_rate_per_s: f64,
    /// Baseline intensity of the cascade's Hawkes liquidation process, per second
    /// (default 1.0). The mean rate is `baseline / (1 − branching ratio)`.
    pub liquidation_rate_per_s: f64,
    /// Branching ratio of the Hawkes process: the mean number of liquidations each one
    /// triggers, 0..=0.95 (default 0.7).
    pub hawkes_branching_ratio: f64,
    /// Decay rate β of the Hawkes kernel `n·β·e^(−β·t)`, per second (default 2).
    pub hawkes_decay_per_s: f64,
    /// Median liquidation order size (default 0.3); sizes are log-normal.
    pub liquidation_median_qty: f64,
    /// Push at most one `forceOrder` per second, the latest, as Binance's liquidation snapshot
    /// stream does (default false: every liquidation is pushed when it happens, so the tape
    /// shows the whole process; its trades are printed either way).
    pub force_order_snapshots: bool,
}

impl Default for MarketConfig {
    fn default() -> MarketConfig {
        MarketConfig {
            seed: 1,
            duration_s: 600.0,
            start: "2024-08-08T12:00:00Z".to_owned(),
            symbol: "BTCUSDT".to_owned(),
            tick_size: "0.10".to_owned(),
            lot_size: "0.001".to_owned(),
            initial_price: 60_000.0,
            calm_vol_bps_per_sqrt_s: 1.0,
            levels_per_side: 200,
            diff_min_interval_ms: 10.0,
            diff_max_interval_ms: 100.0,
            taker_rate_per_s: 8.0,
            taker_median_qty: 0.02,
            latency_min_ms: 1.0,
            latency_max_ms: 5.0,
            latency_spike_probability: 0.01,
            initial_open_interest: 80_000.0,
            open_interest_poll_s: 5.0,
            calm_premium_bps: 8.0,
            cascade: true,
            cascade_onset_s: 300.0,
            cascade_duration_s: 90.0,
            cascade_direction: CascadeDirection::Down,
            cascade_move_bps: 250.0,
            cascade_vol_multiplier: 3.0,
            cascade_taker_rate_multiplier: 3.0,
            cascade_taker_size_multiplier: 2.0,
            cascade_taker_bias: 0.65,
            cascade_spread_bps: 2.0,
            depth_withdrawal: 0.7,
            withdrawal_band_bps: 10.0,
            cascade_premium_bps: 6.0,
            cascade_open_interest_drop_pct: 4.0,
            calm_liquidation_rate_per_s: 0.02,
            liquidation_rate_per_s: 1.0,
            hawkes_branching_ratio: 0.7,
            hawkes_decay_per_s: 2.0,
            liquidation_median_qty: 0.3,
            force_order_snapshots: false,
        }
    }
}

/// A configuration value that makes no sense: which key, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ConfigError {
    /// The offending key, as spelled in the config.
    pub key: &'static str,
    /// What is wrong with its value.
    pub message: String,
}

fn bad(key: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError { key, message: message.into() }
}

/// The longest tape, in seconds (a day).
const MAX_DURATION_S: f64 = 86_400.0;
/// The largest branching ratio: the mean rate is `1/(1 − n)` times the baseline, 20 at most.
const MAX_BRANCHING: f64 = 0.95;

/// What validation derives from the text fields.
#[derive(Clone, Copy, Debug)]
pub(super) struct Resolved {
    /// Exchange time of the start, ns since the epoch.
    pub start_ns: i64,
    /// Price grid.
    pub tick: Grid,
    /// Quantity grid.
    pub lot: Grid,
}

impl MarketConfig {
    /// Checks every field; the first bad one is returned, named as in the config.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.resolve().map(|_| ())
    }

    pub(super) fn resolve(&self) -> Result<Resolved, ConfigError> {
        let finite = [
            ("duration_s", self.duration_s),
            ("initial_price", self.initial_price),
            ("calm_vol_bps_per_sqrt_s", self.calm_vol_bps_per_sqrt_s),
            ("diff_min_interval_ms", self.diff_min_interval_ms),
            ("diff_max_interval_ms", self.diff_max_interval_ms),
            ("taker_rate_per_s", self.taker_rate_per_s),
            ("taker_median_qty", self.taker_median_qty),
            ("latency_min_ms", self.latency_min_ms),
            ("latency_max_ms", self.latency_max_ms),
            ("latency_spike_probability", self.latency_spike_probability),
            ("initial_open_interest", self.initial_open_interest),
            ("open_interest_poll_s", self.open_interest_poll_s),
            ("calm_premium_bps", self.calm_premium_bps),
            ("cascade_onset_s", self.cascade_onset_s),
            ("cascade_duration_s", self.cascade_duration_s),
            ("cascade_move_bps", self.cascade_move_bps),
            ("cascade_vol_multiplier", self.cascade_vol_multiplier),
            ("cascade_taker_rate_multiplier", self.cascade_taker_rate_multiplier),
            ("cascade_taker_size_multiplier", self.cascade_taker_size_multiplier),
            ("cascade_taker_bias", self.cascade_taker_bias),
            ("cascade_spread_bps", self.cascade_spread_bps),
            ("depth_withdrawal", self.depth_withdrawal),
            ("withdrawal_band_bps", self.withdrawal_band_bps),
            ("cascade_premium_bps", self.cascade_premium_bps),
            ("cascade_open_interest_drop_pct", self.cascade_open_interest_drop_pct),
            ("calm_liquidation_rate_per_s", self.calm_liquidation_rate_per_s),
            ("liquidation_rate_per_s", self.liquidation_rate_per_s),
            ("hawkes_branching_ratio", self.hawkes_branching_ratio),
            ("hawkes_decay_per_s", self.hawkes_decay_per_s),
            ("liquidation_median_qty", self.liquidation_median_qty),
        ];
        for (key, value) in finite {
            if !value.is_finite() {
                return Err(bad(key, format!("must be a finite number, got {value}")));
            }
            if value < 0.0 {
                return Err(bad(key, format!("must not be negative, got {value}")));
            }
        }
        let positive = [
            ("duration_s", self.duration_s),
            ("initial_price", self.initial_price),
            ("diff_min_interval_ms", self.diff_min_interval_ms),
            ("taker_median_qty", self.taker_median_qty),
            ("initial_open_interest", self.initial_open_interest),
            ("open_interest_poll_s", self.open_interest_poll_s),
            ("liquidation_median_qty", self.liquidation_median_qty),
            ("hawkes_decay_per_s", self.hawkes_decay_per_s),
            ("cascade_vol_multiplier", self.cascade_vol_multiplier),
            ("cascade_taker_rate_multiplier", self.cascade_taker_rate_multiplier),
            ("cascade_taker_size_multiplier", self.cascade_taker_size_multiplier),
        ];
        for (key, value) in positive {
            if value <= 0.0 {
                return Err(bad(key, format!("must be positive, got {value}")));
            }
        }
        let at_most = [
            ("duration_s", self.duration_s, MAX_DURATION_S),
            ("calm_vol_bps_per_sqrt_s", self.calm_vol_bps_per_sqrt_s, 100.0),
            ("diff_max_interval_ms", self.diff_max_interval_ms, 1_000.0),
            ("taker_rate_per_s", self.taker_rate_per_s, 1_000.0),
            ("latency_max_ms", self.latency_max_ms, 1_000.0),
            ("latency_spike_probability", self.latency_spike_probability, 1.0),
            ("calm_premium_bps", self.calm_premium_bps, 100.0),
            ("cascade_move_bps", self.cascade_move_bps, 5_000.0),
            ("cascade_vol_multiplier", self.cascade_vol_multiplier, 100.0),
            ("cascade_taker_rate_multiplier", self.cascade_taker_rate_multiplier, 100.0),
            ("cascade_taker_size_multiplier", self.cascade_taker_size_multiplier, 100.0),
            ("cascade_taker_bias", self.cascade_taker_bias, 1.0),
            ("cascade_spread_bps", self.cascade_spread_bps, 200.0),
            ("depth_withdrawal", self.depth_withdrawal, 1.0),
            ("withdrawal_band_bps", self.withdrawal_band_bps, 200.0),
            ("cascade_premium_bps", self.cascade_premium_bps, 100.0),
            ("cascade_open_interest_drop_pct", self.cascade_open_interest_drop_pct, 90.0),
            ("calm_liquidation_rate_per_s", self.calm_liquidation_rate_per_s, 100.0),
            ("liquidation_rate_per_s", self.liquidation_rate_per_s, 100.0),
            ("hawkes_decay_per_s", self.hawkes_decay_per_s, 1_000.0),
        ];
        for (key, value, limit) in at_most {
            if value > limit {
                return Err(bad(key, format!("must be at most {limit}, got {value}")));
            }
        }
        if self.hawkes_branching_ratio > MAX_BRANCHING {
            return Err(bad(
                "hawkes_branching_ratio",
                format!(
                    "must be at most {MAX_BRANCHING} (below 1 for a stationary process), got {}",
                    self.hawkes_branching_ratio
                ),
            ));
        }
        let at_least = [
            ("duration_s", self.duration_s, 1.0),
            ("diff_min_interval_ms", self.diff_min_interval_ms, 1.0),
            ("open_interest_poll_s", self.open_interest_poll_s, 0.1),
        ];
        for (key, value, limit) in at_least {
            if value < limit {
                return Err(bad(key, format!("must be at least {limit}, got {value}")));
            }
        }
        if self.diff_max_interval_ms < self.diff_min_interval_ms {
            return Err(bad(
                "diff_max_interval_ms",
                format!(
                    "must be at least diff_min_interval_ms = {}, got {}",
                    self.diff_min_interval_ms, self.diff_max_interval_ms
                ),
            ));
        }
        if self.latency_max_ms < self.latency_min_ms {
            return Err(bad(
                "latency_max_ms",
                format!(
                    "must be at least latency_min_ms = {}, got {}",
                    self.latency_min_ms, self.latency_max_ms
                ),
            ));
        }
        if !(20..=1000).contains(&self.levels_per_side) {
            return Err(bad(
                "levels_per_side",
                format!("must be in 20..=1000, got {}", self.levels_per_side),
            ));
        }
        if self.cascade {
            if self.cascade_duration_s <= 0.0 {
                return Err(bad("cascade_duration_s", "must be positive when cascade = true"));
            }
            let end = self.cascade_onset_s + self.cascade_duration_s;
            if end > self.duration_s {
                return Err(bad(
                    "cascade_duration_s",
                    format!(
                        "the cascade must end within the tape: onset {} s + duration {} s = {end} s > duration_s {} s",
                        self.cascade_onset_s, self.cascade_duration_s, self.duration_s
                    ),
                ));
            }
        }
        let valid_symbol = !self.symbol.is_empty()
            && self.symbol.len() <= 32
            && self.symbol.bytes().all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit());
        if !valid_symbol {
            return Err(bad(
                "symbol",
                format!("must be 1..=32 uppercase letters and digits, got {:?}", self.symbol),
            ));
        }
        let tick = Grid::parse(&self.tick_size).map_err(|why| bad("tick_size", why))?;
        let lot = Grid::parse(&self.lot_size).map_err(|why| bad("lot_size", why))?;
        let ticks = self.initial_price / tick.to_f64();
        if !(1_000.0..=1e12).contains(&ticks) {
            return Err(bad(
                "initial_price",
                format!("must be 1 000 to 10¹² ticks of {}, got {} ticks", self.tick_size, ticks.round()),
            ));
        }
        for (key, qty) in [
            ("taker_median_qty", self.taker_median_qty),
            ("liquidation_median_qty", self.liquidation_median_qty),
        ] {
            if qty / lot.to_f64() > 1e9 {
                return Err(bad(key, format!("is too large for the lot size {}: {qty}", self.lot_size)));
            }
        }
        if self.initial_open_interest / lot.to_f64() > 1e15 {
            return Err(bad("initial_open_interest", "is too large for the lot size"));
        }
        let start_ns = parse_start(&self.start).map_err(|why| bad("start", why))?;
        Ok(Resolved { start_ns, tick, lot })
    }
}

/// The start time in ns since the epoch: RFC 3339 UTC, after 2001 and before 2200.
fn parse_start(text: &str) -> Result<i64, String> {
    let time = humantime::parse_rfc3339(text.trim()).map_err(|error| {
        format!("{error}; expected RFC 3339 UTC such as 2024-08-08T12:00:00Z, got {text:?}")
    })?;
    let since = time.duration_since(std::time::UNIX_EPOCH).map_err(|_| format!("{text:?} is before 1970"))?;
    let seconds = since.as_secs();
    if !(1_000_000_000..7_258_118_400).contains(&seconds) {
        return Err(format!("must be between 2001 and 2200, got {text:?}"));
    }
    Ok(seconds as i64 * 1_000_000_000 + i64::from(since.subsec_nanos()))
}

/// A decimal step `units × 10^-decimals`, printed with exactly `decimals` fractional digits.
///
/// Unlike [`feeds::Step`], trailing zeros of the text are kept as printed decimals: `"0.10"` is
/// one unit of 0.1 printed as `61800.20`, the way Binance prints BTCUSDT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    units: i64,
    decimals: u32,
    pow: i64,
}

/// The most decimals a [`Grid`] may print.
const MAX_GRID_DECIMALS: u32 = 8;

impl Grid {
    /// Eight decimals: the grid of Binance's mark, index and funding values.
    pub const E8: Grid = Grid { units: 1, decimals: 8, pow: 100_000_000 };
    /// Two decimals, for averages off the tick grid.
    pub const CENTS: Grid = Grid { units: 1, decimals: 2, pow: 100 };

    /// Reads a positive plain decimal (`"0.10"`, `"0.001"`, `"1"`) with at most 8 decimals.
    pub fn parse(text: &str) -> Result<Grid, String> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        if whole.is_empty()
            || !digits(whole)
            || !digits(fraction)
            || (text.contains('.') && fraction.is_empty())
        {
            return Err(format!("must be a plain decimal such as \"0.10\", got {text:?}"));
        }
        let decimals = fraction.len() as u32;
        if decimals > MAX_GRID_DECIMALS || whole.len() > 6 {
            return Err(format!(
                "must have at most {MAX_GRID_DECIMALS} decimals and 6 integer digits, got {text:?}"
            ));
        }
        let pow = 10_i64.pow(decimals);
        let units = whole.parse::<i64>().unwrap_or(0) * pow + fraction.parse::<i64>().unwrap_or(0);
        if units == 0 {
            return Err(format!("must be positive, got {text:?}"));
        }
        Ok(Grid { units, decimals, pow })
    }

    /// The step's value.
    pub fn to_f64(self) -> f64 {
        self.units as f64 / self.pow as f64
    }

    /// `count` steps as a value (`f64`, for summaries), divided last so that printed counts
    /// come out as written: 599 396 ticks of 0.1 are 59939.6.
    pub fn value(self, count: f64) -> f64 {
        count * self.units as f64 / self.pow as f64
    }

    /// The count of steps nearest to `value`.
    pub fn count_of(self, value: f64) -> i64 {
        (value / self.to_f64()).round() as i64
    }

    /// Appends `count` steps as a decimal string (a minus sign for negative counts).
    pub fn write(self, count: i64, out: &mut Vec<u8>) {
        let value = i128::from(count) * i128::from(self.units);
        if value < 0 {
            out.push(b'-');
        }
        let value = value.unsigned_abs();
        let pow = self.pow as u128;
        let mut buffer = itoa::Buffer::new();
        out.extend_from_slice(buffer.format(value / pow).as_bytes());
        if self.decimals > 0 {
            out.push(b'.');
            let fraction = buffer.format(value % pow).as_bytes();
            out.resize(out.len() + self.decimals as usize - fraction.len(), b'0');
            out.extend_from_slice(fraction);
        }
    }
}

impl fmt::Display for Grid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = Vec::new();
        self.write(1, &mut text);
        f.write_str(&String::from_utf8_lossy(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(grid: Grid, count: i64) -> String {
        let mut out = Vec::new();
        grid.write(count, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn grids_print_the_way_binance_does() {
        // TC0: BTCUSDT's tick "0.10": 618 002 ticks are 61800.20, two decimals as printed.
        let tick = Grid::parse("0.10").unwrap();
        assert_eq!(text(tick, 618_002), "61800.20");
        assert_eq!(tick.count_of(61_800.2), 618_002);
        // TC1: the lot "0.001", small and zero counts keep their leading zeros.
        let lot = Grid::parse("0.001").unwrap();
        assert_eq!(
            (text(lot, 14), text(lot, 0), text(lot, 2_507)),
            ("0.014".into(), "0.000".into(), "2.507".into())
        );
        // TC2: a negative funding rate on the E8 grid, and a whole-number step.
        assert_eq!(text(Grid::E8, -38_167), "-0.00038167");
        assert_eq!(text(Grid::parse("5").unwrap(), 3), "15");
        // TC3: nonsense steps.
        for nonsense in ["", "0", "0.000", "-1", "1.", ".1", "1e-3", "0.000000001", "abc"] {
            assert!(Grid::parse(nonsense).is_err(), "{nonsense:?}");
        }
    }

    #[test]
    fn the_defaults_are_valid_and_bad_values_are_named() {
        assert_eq!(MarketConfig::default().validate(), Ok(()));
        type Breaker = fn(&mut MarketConfig);
        let cases: [(&str, Breaker); 8] = [
            ("duration_s", |c| c.duration_s = f64::NAN),
            ("hawkes_branching_ratio", |c| c.hawkes_branching_ratio = 1.0),
            ("cascade_duration_s", |c| c.cascade_onset_s = 590.0),
            ("tick_size", |c| c.tick_size = "0".into()),
            ("start", |c| c.start = "yesterday".into()),
            ("symbol", |c| c.symbol = "btc\"usdt".into()),
            ("diff_max_interval_ms", |c| c.diff_max_interval_ms = 5.0),
            ("levels_per_side", |c| c.levels_per_side = 5),
        ];
        for (key, break_it) in cases {
            let mut config = MarketConfig::default();
            break_it(&mut config);
            let error = config.validate().unwrap_err();
            assert_eq!(error.key, key, "{error}");
            assert!(error.to_string().starts_with(key), "{error}");
        }
        // A cascade past the end is fine when there is no cascade.
        let config = MarketConfig { cascade: false, cascade_onset_s: 590.0, ..MarketConfig::default() };
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn a_config_names_only_what_it_changes_and_unknown_keys_are_refused() {
        let config: MarketConfig = serde_json::from_str(r#"{"seed": 7, "cascade_direction": "up"}"#).unwrap();
        assert_eq!(
            (config.seed, config.cascade_direction, config.duration_s),
            (7, CascadeDirection::Up, 600.0)
        );
        let error = serde_json::from_str::<MarketConfig>(r#"{"sed": 7}"#).unwrap_err();
        assert!(error.to_string().contains("unknown field `sed`"), "{error}");
    }

    #[test]
    fn the_start_is_read_as_utc() {
        let resolved = MarketConfig::default().resolve().unwrap();
        assert_eq!(resolved.start_ns, 1_723_118_400 * 1_000_000_000);
    }
}
