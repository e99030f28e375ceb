//! [`StressConfig`]: one stress scenario, the `[stress]` table of the engine's config file,
//! checked once with [`StressConfig::validate`].
//!
//! - [`StressConfig`]: every key, each with a documented default (see
//!   [`StressConfig::default`]); unknown keys are errors.
//! - [`Direction`]: which side is forced out (`"down"`: longs liquidated; `"up"`: shorts
//!   squeezed).
//! - [`PathShape`]: how the price travels from the onset to the extreme of the move.
//! - [`StressConfigError`]: the first bad key, named as spelt in the file (`stress.onset_s`).
//!
//! Times are seconds of exchange time; the scenario's window is
//! `[onset_s − ramp_s, onset_s + duration_s + tail_s]` after the recording's first event.
//! Everything the scenario adds is **synthetic**: drawn from the seeded generators described on
//! each key, not observed on any venue.
//!
//! ```
//! # use engine::stress::{Direction, StressConfig};
//! let config: StressConfig = toml::from_str(
//!     "name = \"squeeze\"\ndirection = \"up\"\nprice_move_bps = 250\nfunding_before = -0.0002\nfunding_after = 0.0004",
//! )?;
//! assert_eq!(config.direction, Direction::Up);
//! assert_eq!(config.duration_s, StressConfig::default().duration_s); // untouched keys keep defaults
//! config.validate()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::{Deserialize, Serialize};

/// Which way the cascade goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Price falls; longs are liquidated (forced sells, `Liquidation.side` = `Ask`), funding and
    /// basis fall.
    #[default]
    Down,
    /// Price rises; shorts are squeezed (forced buys, `Liquidation.side` = `Bid`), funding and
    /// basis rise.
    Up,
}

impl Direction {
    /// `-1` for down, `+1` for up: the sign of the displacement.
    #[inline]
    pub const fn sign(self) -> i64 {
        match self {
            Direction::Down => -1,
            Direction::Up => 1,
        }
    }

    /// The side of the forced (and toxic) orders: sells for a down move, buys for an up move.
    #[inline]
    pub const fn taker_side(self) -> feeds::Side {
        match self {
            Direction::Down => feeds::Side::Ask,
            Direction::Up => feeds::Side::Bid,
        }
    }
}

/// How the price travels from the onset to the extreme of the move (reached at `trough_at` of
/// the cascade). `v ∈ [0, 1]` is the share of that leg elapsed, the value the share of the leg's
/// move done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PathShape {
    /// `(e^(3v) − 1) / (e³ − 1)`: slow, then faster and faster, as liquidations feed on the
    /// move they cause.
    #[default]
    Accelerating,
    /// `v`: a steady slide.
    Linear,
    /// `1 − (1 − v)³`: most of the move at once, then slowing: a flash crash (pair it with a
    /// small `trough_at` and a large `recovery`).
    Flash,
}

impl PathShape {
    /// The share of the leg's move done after the share `v` of its time, clamped to `[0, 1]`.
    pub fn at(self, v: f64) -> f64 {
        let v = v.clamp(0.0, 1.0);
        match self {
            PathShape::Accelerating => (3.0 * v).exp_m1() / 3.0_f64.exp_m1(),
            PathShape::Linear => v,
            PathShape::Flash => 1.0 - (1.0 - v).powi(3),
        }
    }
}

/// One stress scenario: a synthetic liquidation cascade laid over a recording (see the
/// [module](crate::stress) docs for what each part does to the event stream).
///
/// Invariants (checked by [`validate`](StressConfig::validate)): every number finite and in
/// the range its doc gives; `onset_s ≥ ramp_s` (the ramp starts at or after the recording's
/// first event); `max_order_usdt ≥` both medians.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StressConfig {
    /// Name of the scenario in reports. Default `"stress"`. Non-empty, at most 64 characters.
    pub name: String,
    /// Seed of every random draw (liquidation times and sizes, toxic flow, price noise, index
    /// noise; each its own ChaCha8 stream). Default 1. Same recording, same scenario, same seed:
    /// the same events, bit for bit.
    pub seed: u64,
    /// When the cascade starts, seconds after the recording's first event. Default 150.
    /// At least `ramp_s`, at most 86 400.
    pub onset_s: f64,
    /// Which way it goes. Default `"down"`.
    pub direction: Direction,
    /// Length of the cascade itself, seconds (the `Cascade` regime). Default 75. In `(0, 3600]`.
    pub duration_s: f64,
    /// Seconds of stress building before the onset (depth leaving, some forced flow, implied
    /// vol bid; the `Stressed` regime). Default 60. In `[0, 3600]`.
    pub ramp_s: f64,
    /// Seconds of stress fading after the cascade, over which the price returns to the
    /// recording's own (so that the recording passes through unchanged after the window; the
    /// `Stressed` regime). Default 75. In `[0, 3600]`.
    pub tail_s: f64,
    /// The stress level reached at the onset, as a share of the peak: it scales the depth
    /// withdrawal, the spread gap, the toxic flow and implied vol in the ramp, and, squared,
    /// the liquidation rate (a position is liquidated only once the price reaches it, so forced
    /// flow trails the other signs). Default 0.3. In `[0, 1]`.
    pub ramp_level: f64,
    /// How often the displacement and the depth withdrawal may change, milliseconds of event
    /// time: each change re-publishes the book. Default 200. In `[100, 1000]`.
    pub step_ms: u32,
    /// Levels per side in a re-published book (nearest the touch). Default 500, about ±13 bps
    /// of the BTCUSDT book, beyond the detector's ±10 bps band. In `[20, 5000]`.
    pub book_levels: u32,

    /// Base rate `μ` of the liquidation process at the peak, per second. Default 2.5.
    /// In `[0, 100]`.
    pub liquidation_rate: f64,
    /// Branching ratio `n = α/β` of the Hawkes process: the share of liquidations triggered by
    /// earlier ones. Default 0.6. In `[0, 1)` (at 1 the process explodes).
    pub liquidation_branching: f64,
    /// Decay `β` of the Hawkes kernel `α e^(−β t)`, per second. Default 0.5 (a liquidation's
    /// offspring come within about 2 s). In `(0, 100]`.
    pub liquidation_decay: f64,
    /// Median notional of one liquidation, USDT (sizes are lognormal). Default 15 000.
    /// In `(0, 10⁸]`.
    pub liquidation_median_usdt: f64,
    /// `σ` of the log of a liquidation's notional. Default 1.0 (one in six is above 2.7×
    /// the median). In `[0, 5]`.
    pub liquidation_sigma: f64,
    /// Rate of toxic (non-forced) taker orders in the cascade's direction at the peak, per
    /// second (a Poisson process scaled by the stress level). Default 3. In `[0, 100]`.
    pub toxic_rate: f64,
    /// Median notional of one toxic taker order, USDT (lognormal). Default 20 000. In `(0, 10⁸]`.
    pub toxic_median_usdt: f64,
    /// `σ` of the log of a toxic order's notional. Default 0.8. In `[0, 5]`.
    pub toxic_sigma: f64,
    /// Cap on any synthetic order's notional, USDT. Default 2 000 000. At least both medians,
    /// at most 10⁹.
    pub max_order_usdt: f64,

    /// Size of the move at its extreme, basis points of the price at the window's start.
    /// Default 300 (3 %). In `[0, 5000]`.
    pub price_move_bps: f64,
    /// How the price gets there. Default `"accelerating"`.
    pub path_shape: PathShape,
    /// When the extreme is reached, as a share of `duration_s`. Default 0.6. In `(0, 1]`.
    pub trough_at: f64,
    /// Share of the move retraced by the end of the cascade. Default 0.35. In `[0, 1]`.
    pub recovery: f64,
    /// Share of the move drifted during the ramp. Default 0.1. In `[0, 1]`.
    pub ramp_move: f64,
    /// Noise on the path at the peak stress level, basis points per √s (a mean-reverting
    /// process with a 5 s time constant, scaled by the stress level). Default 3. In `[0, 100]`.
    pub path_noise_bps: f64,

    /// Fraction of the resting quantity within `depth_band_bps` of the mid removed at the peak
    /// (each level keeps at least one lot). Default 0.7. In `[0, 0.99]`.
    pub depth_withdrawal: f64,
    /// Half-width of the withdrawal band around the mid, basis points. Default 25. In
    /// `(0, 1000]`.
    pub depth_band_bps: f64,
    /// Width of the gap pulled around the mid at the peak, basis points: every level closer
    /// than half of it to the mid is withdrawn, so the spread opens to about this. Default 2.
    /// In `[0, 100]`.
    pub spread_bps: f64,

    /// Predicted funding rate before the cascade, a fraction per funding period. Default 0.0003
    /// (0.03 %: crowded longs paying carry). In `[−0.03, 0.03]`.
    pub funding_before: f64,
    /// Predicted funding rate after the cascade (reached at its end). Default −0.0002: the sign
    /// flips as the crowded side is flushed out. In `[−0.03, 0.03]`.
    pub funding_after: f64,
    /// Mark − index basis in calm, basis points of the index. Default 2 (a perp premium). In
    /// `[−500, 500]`.
    pub basis_before_bps: f64,
    /// Time constant with which the index (spot) follows the perp's displacement, seconds: the
    /// basis widens in the direction of the move by about its speed times this. Default 5.
    /// In `[0, 600]`.
    pub index_lag_s: f64,
    /// Standard deviation of the noise on the index, basis points. Default 0.3. In `[0, 50]`.
    pub basis_noise_bps: f64,

    /// Open interest before the cascade, base units (BTC). Default 80 000.
    /// In `(0, 10¹²]`.
    pub open_interest: f64,
    /// Fraction of the open interest closed over the scenario, in step with the cumulative
    /// liquidated notional. Default 0.08. In `[0, 1)`.
    pub oi_drop: f64,
    /// Seconds between open-interest readings (a REST poll: Binance's `/fapi/v1/openInterest`
    /// costs 1 request weight, so once a second is far within the limits). Default 1.
    /// In `[0.1, 60]`.
    pub open_interest_interval_s: f64,

    /// Annualised at-the-money implied vol of the short-dated (under 48 h) expiries before the
    /// stress. Default 0.45. In `(0, 10]`.
    pub iv_short_before: f64,
    /// Short-dated implied vol at the peak; it stays at the level the cascade ends with
    /// afterwards. Default 0.95. In `(0, 10]`.
    pub iv_short_peak: f64,
    /// Longer-dated implied vol, constant. Default 0.5. In `(0, 10]`.
    pub iv_long: f64,
    /// Share of short-dated options open interest at strikes near spot before the stress.
    /// Default 0.35. In `[0, 1]`.
    pub oi_near_spot_before: f64,
    /// That share at the peak. Default 0.75. In `[0, 1]`.
    pub oi_near_spot_peak: f64,
    /// Seconds between options readings. Default 1. In `[0.1, 60]`.
    pub options_interval_s: f64,
}

impl Default for StressConfig {
    fn default() -> StressConfig {
        StressConfig {
            name: "stress".to_owned(),
            seed: 1,
            onset_s: 150.0,
            direction: Direction::Down,
            duration_s: 75.0,
            ramp_s: 60.0,
            tail_s: 75.0,
            ramp_level: 0.3,
            step_ms: 200,
            book_levels: 500,
            liquidation_rate: 2.5,
            liquidation_branching: 0.6,
            liquidation_decay: 0.5,
            liquidation_median_usdt: 15_000.0,
            liquidation_sigma: 1.0,
            toxic_rate: 3.0,
            toxic_median_usdt: 20_000.0,
            toxic_sigma: 0.8,
            max_order_usdt: 2_000_000.0,
            price_move_bps: 300.0,
            path_shape: PathShape::Accelerating,
            trough_at: 0.6,
            recovery: 0.35,
            ramp_move: 0.1,
            path_noise_bps: 3.0,
            depth_withdrawal: 0.7,
            depth_band_bps: 25.0,
            spread_bps: 2.0,
            funding_before: 0.0003,
            funding_after: -0.0002,
            basis_before_bps: 2.0,
            index_lag_s: 5.0,
            basis_noise_bps: 0.3,
            open_interest: 80_000.0,
            oi_drop: 0.08,
            open_interest_interval_s: 1.0,
            iv_short_before: 0.45,
            iv_short_peak: 0.95,
            iv_long: 0.5,
            oi_near_spot_before: 0.35,
            oi_near_spot_peak: 0.75,
            options_interval_s: 1.0,
        }
    }
}

/// A [`StressConfig`] key with a value that makes no sense.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key} = {value}: {requirement}")]
pub struct StressConfigError {
    key: &'static str,
    value: String,
    requirement: &'static str,
}

impl StressConfigError {
    /// The offending key, as spelt in the config file (`stress.onset_s`).
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// What the key must be.
    pub fn requirement(&self) -> &'static str {
        self.requirement
    }
}

/// Checks `value` against the closed range `[low, high]` (NaN fails).
fn within(
    key: &'static str,
    value: f64,
    low: f64,
    high: f64,
    requirement: &'static str,
) -> Result<(), StressConfigError> {
    check((low..=high).contains(&value), key, value, requirement)
}

fn check(
    ok: bool,
    key: &'static str,
    value: impl ToString,
    requirement: &'static str,
) -> Result<(), StressConfigError> {
    if ok { Ok(()) } else { Err(StressConfigError { key, value: value.to_string(), requirement }) }
}

impl StressConfig {
    /// Checks every key; the first bad one is named in the error. Keys are checked in the
    /// order of the struct, each against those before it.
    pub fn validate(&self) -> Result<(), StressConfigError> {
        let c = self;
        check(
            !c.name.trim().is_empty()
                && c.name.chars().count() <= 64
                && !c.name.chars().any(char::is_control),
            "stress.name",
            format!("{:?}", c.name),
            "must be 1 to 64 printable characters",
        )?;
        within("stress.ramp_s", c.ramp_s, 0.0, 3600.0, "must be in [0, 3600] seconds")?;
        check(
            c.onset_s >= c.ramp_s && c.onset_s <= 86_400.0,
            "stress.onset_s",
            c.onset_s,
            "must be at least ramp_s (the ramp starts at or after the recording's first event) and at most 86400",
        )?;
        check(
            c.duration_s > 0.0 && c.duration_s <= 3600.0,
            "stress.duration_s",
            c.duration_s,
            "must be in (0, 3600] seconds",
        )?;
        within("stress.tail_s", c.tail_s, 0.0, 3600.0, "must be in [0, 3600] seconds")?;
        within("stress.ramp_level", c.ramp_level, 0.0, 1.0, "must be in [0, 1]")?;
        check(
            (100..=1000).contains(&c.step_ms),
            "stress.step_ms",
            c.step_ms,
            "must be in [100, 1000] milliseconds",
        )?;
        check(
            (20..=5000).contains(&c.book_levels),
            "stress.book_levels",
            c.book_levels,
            "must be in [20, 5000]",
        )?;

        within("stress.liquidation_rate", c.liquidation_rate, 0.0, 100.0, "must be in [0, 100] per second")?;
        check(
            (0.0..1.0).contains(&c.liquidation_branching),
            "stress.liquidation_branching",
            c.liquidation_branching,
            "must be in [0, 1): at 1 or more the process explodes",
        )?;
        check(
            c.liquidation_decay > 0.0 && c.liquidation_decay <= 100.0,
            "stress.liquidation_decay",
            c.liquidation_decay,
            "must be in (0, 100] per second",
        )?;
        let notional = |x: f64| x > 0.0 && x <= 1e8;
        check(
            notional(c.liquidation_median_usdt),
            "stress.liquidation_median_usdt",
            c.liquidation_median_usdt,
            "must be in (0, 1e8] USDT",
        )?;
        within("stress.liquidation_sigma", c.liquidation_sigma, 0.0, 5.0, "must be in [0, 5]")?;
        within("stress.toxic_rate", c.toxic_rate, 0.0, 100.0, "must be in [0, 100] per second")?;
        check(
            notional(c.toxic_median_usdt),
            "stress.toxic_median_usdt",
            c.toxic_median_usdt,
            "must be in (0, 1e8] USDT",
        )?;
        within("stress.toxic_sigma", c.toxic_sigma, 0.0, 5.0, "must be in [0, 5]")?;
        check(
            c.max_order_usdt >= c.liquidation_median_usdt.max(c.toxic_median_usdt) && c.max_order_usdt <= 1e9,
            "stress.max_order_usdt",
            c.max_order_usdt,
            "must be at least liquidation_median_usdt and toxic_median_usdt, and at most 1e9 USDT",
        )?;

        within("stress.price_move_bps", c.price_move_bps, 0.0, 5000.0, "must be in [0, 5000] basis points")?;
        check(c.trough_at > 0.0 && c.trough_at <= 1.0, "stress.trough_at", c.trough_at, "must be in (0, 1]")?;
        within("stress.recovery", c.recovery, 0.0, 1.0, "must be in [0, 1]")?;
        within("stress.ramp_move", c.ramp_move, 0.0, 1.0, "must be in [0, 1]")?;
        within(
            "stress.path_noise_bps",
            c.path_noise_bps,
            0.0,
            100.0,
            "must be in [0, 100] basis points per root second",
        )?;

        within("stress.depth_withdrawal", c.depth_withdrawal, 0.0, 0.99, "must be in [0, 0.99]")?;
        check(
            c.depth_band_bps > 0.0 && c.depth_band_bps <= 1000.0,
            "stress.depth_band_bps",
            c.depth_band_bps,
            "must be in (0, 1000] basis points",
        )?;
        within("stress.spread_bps", c.spread_bps, 0.0, 100.0, "must be in [0, 100] basis points")?;

        within(
            "stress.funding_before",
            c.funding_before,
            -0.03,
            0.03,
            "must be in [-0.03, 0.03] per funding period",
        )?;
        within(
            "stress.funding_after",
            c.funding_after,
            -0.03,
            0.03,
            "must be in [-0.03, 0.03] per funding period",
        )?;
        within(
            "stress.basis_before_bps",
            c.basis_before_bps,
            -500.0,
            500.0,
            "must be in [-500, 500] basis points",
        )?;
        within("stress.index_lag_s", c.index_lag_s, 0.0, 600.0, "must be in [0, 600] seconds")?;
        within("stress.basis_noise_bps", c.basis_noise_bps, 0.0, 50.0, "must be in [0, 50] basis points")?;

        check(
            c.open_interest > 0.0 && c.open_interest <= 1e12,
            "stress.open_interest",
            c.open_interest,
            "must be in (0, 1e12] base units",
        )?;
        check((0.0..1.0).contains(&c.oi_drop), "stress.oi_drop", c.oi_drop, "must be in [0, 1)")?;
        within(
            "stress.open_interest_interval_s",
            c.open_interest_interval_s,
            0.1,
            60.0,
            "must be in [0.1, 60] seconds",
        )?;

        let vol = |x: f64| x > 0.0 && x <= 10.0;
        check(
            vol(c.iv_short_before),
            "stress.iv_short_before",
            c.iv_short_before,
            "must be in (0, 10] (1000 %)",
        )?;
        check(vol(c.iv_short_peak), "stress.iv_short_peak", c.iv_short_peak, "must be in (0, 10] (1000 %)")?;
        check(vol(c.iv_long), "stress.iv_long", c.iv_long, "must be in (0, 10] (1000 %)")?;
        within("stress.oi_near_spot_before", c.oi_near_spot_before, 0.0, 1.0, "must be in [0, 1]")?;
        within("stress.oi_near_spot_peak", c.oi_near_spot_peak, 0.0, 1.0, "must be in [0, 1]")?;
        within("stress.options_interval_s", c.options_interval_s, 0.1, 60.0, "must be in [0.1, 60] seconds")
    }

    /// Seconds from the recording's first event to the start of the ramp.
    #[inline]
    pub fn start_s(&self) -> f64 {
        self.onset_s - self.ramp_s
    }

    /// Seconds from the recording's first event to the end of the cascade.
    #[inline]
    pub fn cascade_end_s(&self) -> f64 {
        self.onset_s + self.duration_s
    }

    /// Seconds from the recording's first event to the end of the tail, where the recording
    /// passes through unchanged again.
    #[inline]
    pub fn end_s(&self) -> f64 {
        self.cascade_end_s() + self.tail_s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_an_empty_table_gives_them() {
        assert_eq!(StressConfig::default().validate(), Ok(()));
        assert_eq!(toml::from_str::<StressConfig>("").unwrap(), StressConfig::default());
        // The default window: ramp from 90 s, cascade 150–225 s, tail to 300 s: inside the
        // six-minute BTCUSDT recording.
        let config = StressConfig::default();
        assert_eq!((config.start_s(), config.cascade_end_s(), config.end_s()), (90.0, 225.0, 300.0));
    }

    #[test]
    fn unknown_keys_are_errors() {
        assert!(toml::from_str::<StressConfig>("onset = 10").is_err());
        assert!(toml::from_str::<StressConfig>("direction = \"sideways\"").is_err());
        assert!(toml::from_str::<StressConfig>("path_shape = \"zigzag\"").is_err());
    }

    #[test]
    fn a_written_config_reads_back_the_same() {
        let config = StressConfig {
            name: "flash".into(),
            direction: Direction::Up,
            path_shape: PathShape::Flash,
            seed: 42,
            ..StressConfig::default()
        };
        let written = toml::to_string(&config).unwrap();
        assert!(written.contains("direction = \"up\""), "{written}");
        assert_eq!(toml::from_str::<StressConfig>(&written).unwrap(), config);
    }

    #[test]
    fn path_shapes_run_from_zero_to_one() {
        for shape in [PathShape::Accelerating, PathShape::Linear, PathShape::Flash] {
            assert_eq!(shape.at(0.0), 0.0, "{shape:?}");
            assert!((shape.at(1.0) - 1.0).abs() < 1e-12, "{shape:?}");
            assert_eq!(shape.at(-1.0), 0.0);
            assert!((shape.at(2.0) - 1.0).abs() < 1e-12);
        }
        // Halfway through the leg: accelerating has done a fifth, flash seven eighths.
        assert!((PathShape::Accelerating.at(0.5) - 0.182).abs() < 1e-3);
        assert_eq!(PathShape::Flash.at(0.5), 0.875);
        assert_eq!(Direction::Down.sign(), -1);
        assert_eq!(Direction::Up.taker_side(), feeds::Side::Bid);
    }

    #[test]
    fn each_bad_key_is_named() {
        let base = StressConfig::default();
        let cases = [
            ("stress.name", StressConfig { name: " ".into(), ..base.clone() }),
            ("stress.ramp_s", StressConfig { ramp_s: -1.0, ..base.clone() }),
            ("stress.onset_s", StressConfig { onset_s: 30.0, ..base.clone() }),
            ("stress.onset_s", StressConfig { onset_s: f64::NAN, ..base.clone() }),
            ("stress.duration_s", StressConfig { duration_s: 0.0, ..base.clone() }),
            ("stress.tail_s", StressConfig { tail_s: f64::INFINITY, ..base.clone() }),
            ("stress.ramp_level", StressConfig { ramp_level: 1.5, ..base.clone() }),
            ("stress.step_ms", StressConfig { step_ms: 50, ..base.clone() }),
            ("stress.book_levels", StressConfig { book_levels: 5, ..base.clone() }),
            ("stress.liquidation_rate", StressConfig { liquidation_rate: -1.0, ..base.clone() }),
            ("stress.liquidation_branching", StressConfig { liquidation_branching: 1.0, ..base.clone() }),
            ("stress.liquidation_decay", StressConfig { liquidation_decay: 0.0, ..base.clone() }),
            ("stress.liquidation_median_usdt", StressConfig { liquidation_median_usdt: 0.0, ..base.clone() }),
            ("stress.liquidation_sigma", StressConfig { liquidation_sigma: f64::NAN, ..base.clone() }),
            ("stress.toxic_rate", StressConfig { toxic_rate: 1e3, ..base.clone() }),
            ("stress.toxic_median_usdt", StressConfig { toxic_median_usdt: -5.0, ..base.clone() }),
            ("stress.toxic_sigma", StressConfig { toxic_sigma: 6.0, ..base.clone() }),
            ("stress.max_order_usdt", StressConfig { max_order_usdt: 100.0, ..base.clone() }),
            ("stress.price_move_bps", StressConfig { price_move_bps: 6000.0, ..base.clone() }),
            ("stress.trough_at", StressConfig { trough_at: 0.0, ..base.clone() }),
            ("stress.recovery", StressConfig { recovery: 1.2, ..base.clone() }),
            ("stress.ramp_move", StressConfig { ramp_move: -0.1, ..base.clone() }),
            ("stress.path_noise_bps", StressConfig { path_noise_bps: 101.0, ..base.clone() }),
            ("stress.depth_withdrawal", StressConfig { depth_withdrawal: 1.0, ..base.clone() }),
            ("stress.depth_band_bps", StressConfig { depth_band_bps: 0.0, ..base.clone() }),
            ("stress.spread_bps", StressConfig { spread_bps: -1.0, ..base.clone() }),
            ("stress.funding_before", StressConfig { funding_before: 0.5, ..base.clone() }),
            ("stress.funding_after", StressConfig { funding_after: f64::NAN, ..base.clone() }),
            ("stress.basis_before_bps", StressConfig { basis_before_bps: 600.0, ..base.clone() }),
            ("stress.index_lag_s", StressConfig { index_lag_s: -1.0, ..base.clone() }),
            ("stress.basis_noise_bps", StressConfig { basis_noise_bps: 51.0, ..base.clone() }),
            ("stress.open_interest", StressConfig { open_interest: 0.0, ..base.clone() }),
            ("stress.oi_drop", StressConfig { oi_drop: 1.0, ..base.clone() }),
            (
                "stress.open_interest_interval_s",
                StressConfig { open_interest_interval_s: 0.0, ..base.clone() },
            ),
            ("stress.iv_short_before", StressConfig { iv_short_before: 0.0, ..base.clone() }),
            ("stress.iv_short_peak", StressConfig { iv_short_peak: 11.0, ..base.clone() }),
            ("stress.iv_long", StressConfig { iv_long: f64::NAN, ..base.clone() }),
            ("stress.oi_near_spot_before", StressConfig { oi_near_spot_before: -0.1, ..base.clone() }),
            ("stress.oi_near_spot_peak", StressConfig { oi_near_spot_peak: 1.1, ..base.clone() }),
            ("stress.options_interval_s", StressConfig { options_interval_s: 61.0, ..base.clone() }),
        ];
        for (key, config) in cases {
            let error = config.validate().unwrap_err();
            assert_eq!(error.key(), key, "{error}");
            assert!(error.to_string().starts_with(key), "{error}");
        }
    }
}
