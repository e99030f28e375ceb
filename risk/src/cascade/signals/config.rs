//! [`SignalsConfig`], the `[cascade.signals]` table, and [`SignalsConfigError`], the first bad
//! field [`SignalsConfig::validate`] finds.

use serde::{Deserialize, Serialize};

use super::liquidations::{MAX_BRANCHING_BUCKETS, MIN_BRANCHING_BUCKETS};
use super::price::MAX_SPIKE_WINDOW_S;

/// The longest time, interval or window accepted, in seconds (one day).
const MAX_SECONDS: f64 = 86_400.0;

/// How the cascade signals are measured and mapped to stresses: the `[cascade.signals]` table.
///
/// Every threshold is a level of the signal's raw measure: *warn* maps to stress 0.5 and
/// *cascade* to 1, with stress 0 at the measure's calm level (see the [module](super) docs for
/// each measure and its calm level). Times are in seconds. Every field has a default; unknown
/// fields are errors.
///
/// ```
/// # use risk::cascade::signals::SignalsConfig;
/// let config: SignalsConfig = toml::from_str("depth_warn = 0.6\noi_cascade = 0.08")?;
/// assert_eq!(config.depth_warn, 0.6);
/// assert_eq!(config.spread_warn, SignalsConfig::default().spread_warn);
/// config.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignalsConfig {
    /// Seconds of their own data before the depth, spread and basis baselines (and the
    /// liquidation intensity's) are trusted and their readings known. Default 30. In
    /// `[0, 86 400]`.
    pub warmup_s: f64,
    /// Seconds after which an open-interest, mark-price or strategy reading with no newer
    /// sample becomes unknown. Default 300. Positive, at most 86 400.
    pub max_age_s: f64,

    /// Time constant `τ` of the liquidation intensity, seconds. Default 30. Positive, at most
    /// 86 400.
    pub liquidation_time_constant_s: f64,
    /// Time constant `T` of the liquidation baseline, seconds. Default 1800. At least
    /// `liquidation_time_constant_s`, at most 86 400.
    pub liquidation_baseline_time_constant_s: f64,
    /// Floor `B₀` of the liquidation baseline, quote currency per second: below it, a few
    /// prints are not a burst. Default 1000 (3.6 M USDT an hour; a guess at a quiet hour of
    /// BTCUSDT liquidations, not calibrated: none of the recordings holds liquidations).
    /// Positive and finite.
    pub liquidation_floor_per_s: f64,
    /// Intensity ratio `λ/B` at which liquidations warn (stress 0.5). Default 4. Above 1.
    pub liquidation_ratio_warn: f64,
    /// Intensity ratio `λ/B` of a cascade (stress 1). Default 10. Above
    /// `liquidation_ratio_warn`, finite.
    pub liquidation_ratio_cascade: f64,
    /// Width of the buckets whose counts estimate the branching ratio, seconds. Default 1.
    /// Positive, at most 3600. (Binance's `forceOrder` stream pushes at most one liquidation a
    /// second per symbol, so its counts in 1-second buckets are never above 1: use a venue that
    /// pushes every liquidation, or wider buckets.)
    pub branching_bucket_s: f64,
    /// How many complete buckets the branching ratio is estimated over. Default 300 (five
    /// minutes of 1-second buckets). In `[10, 86 400]`.
    pub branching_window_buckets: u32,
    /// Fewest liquidations in the window before the branching ratio is estimated. Default 20.
    /// At least 2.
    pub branching_min_events: u32,
    /// Branching ratio at and below which it is no stress. Default 0.5. In `[0, 1)`.
    pub branching_calm: f64,
    /// Branching ratio that warns (stress 0.5). Default 0.7. Above `branching_calm`.
    pub branching_warn: f64,
    /// Branching ratio of a cascade (stress 1): nine in ten liquidations caused by earlier
    /// ones. Default 0.9. Above `branching_warn`, below 1.
    pub branching_cascade: f64,
    /// Intensity ratio that, with a large price move, is a
    /// [`LiquidationSpike`](crate::cascade::HardTrigger::LiquidationSpike). Default 20. At least
    /// `liquidation_ratio_warn`, finite.
    pub spike_ratio: f64,
    /// The price move, in standard deviations of `spike_window_s` seconds of price, that
    /// with `spike_ratio` makes a spike. Default 5 (the calm BTCUSDT recording's largest
    /// 10-second move is about 3 of them). Positive and finite.
    pub spike_sigmas: f64,
    /// The window of the spike's price move, whole seconds. Default 10. In `[1, 60]`.
    pub spike_window_s: u32,
    /// Half-life of the variance of 1-second price returns, seconds. Default 300. Positive, at
    /// most 86 400.
    pub price_vol_half_life_s: f64,
    /// Floor of the 1-second return standard deviation, basis points. Default 0.2 (the calm
    /// BTCUSDT recording's is about 1.2). Positive and finite.
    pub price_vol_floor_bps: f64,

    /// The short open-interest window, seconds. Default 300. Positive.
    pub oi_short_window_s: f64,
    /// The long open-interest window, seconds. Default 900. At least `oi_short_window_s`, at
    /// most 86 400.
    pub oi_long_window_s: f64,
    /// Fall of open interest over a window, as a fraction, that warns (with the price moving).
    /// Default 0.02 (ΔOI/OI = −2 %). Positive.
    pub oi_warn: f64,
    /// Fall of open interest over a window, as a fraction, of a cascade. Default 0.05
    /// (ΔOI/OI = −5 %). Above `oi_warn`, below 1.
    pub oi_cascade: f64,
    /// Price move over the same window, as a fraction, at and above which a fall of open
    /// interest counts fully (below it, in proportion). Default 0.003 (0.3 %). Positive, below
    /// 1.
    pub oi_min_price_move: f64,

    /// Funding rate, as a fraction per funding period, that counts as positive carry.
    /// Default 0.0001 (0.01 %, Binance's neutral rate). Positive, below 0.01.
    pub funding_carry: f64,
    /// Negative funding rate, as a fraction, of a cascade (stress 1); 0 warns. Default −0.0001
    /// (−0.01 %). Negative, above −0.01.
    pub funding_cascade: f64,
    /// How long a positive carry is remembered, seconds: a flip counts only within it.
    /// Default 28 800 (8 h, one Binance funding period). Positive, at most 86 400.
    pub funding_lookback_s: f64,

    /// Half-life of the basis mean and variance, seconds. Default 1800. Positive, at most
    /// 86 400.
    pub basis_half_life_s: f64,
    /// Floor `s₀` added in quadrature to the basis standard deviation, as a fraction.
    /// Default 0.00005 (0.5 bp). Positive, below 0.01.
    pub basis_std_floor: f64,
    /// `|z|` of the basis that warns. Default 2. Positive.
    pub basis_warn: f64,
    /// `|z|` of the basis of a cascade. Default 4. Above `basis_warn`, finite.
    pub basis_cascade: f64,

    /// Half-life of the smoothed depth, seconds. Default 2. Positive.
    pub depth_fast_half_life_s: f64,
    /// Half-life of the weights of the depth baseline (a median), seconds. Default 600. At
    /// least `depth_fast_half_life_s`, at most 86 400.
    pub depth_baseline_half_life_s: f64,
    /// Depth ratio (smoothed depth over baseline) that warns. Default 0.5 (half the book gone).
    /// Below 1.
    pub depth_warn: f64,
    /// Depth ratio of a cascade. Default 0.2. Below `depth_warn`, positive.
    pub depth_cascade: f64,
    /// Depth ratio below which [`DepthCollapse`](crate::cascade::HardTrigger::DepthCollapse)
    /// holds. Default 0.1. Below `depth_cascade`; 0 turns the trigger off.
    pub depth_collapse: f64,

    /// Half-life of the smoothed spread, seconds. Default 2. Positive.
    pub spread_fast_half_life_s: f64,
    /// Half-life of the weights of the spread baseline (a median), seconds. Default 600. At
    /// least `spread_fast_half_life_s`, at most 86 400.
    pub spread_baseline_half_life_s: f64,
    /// Floor `S₀` of the spread baseline, basis points. Default 0.5. At least 0, finite.
    pub spread_floor_bps: f64,
    /// Spread ratio (smoothed spread over the floored baseline) that warns. Default 3. Above 1.
    pub spread_warn: f64,
    /// Spread ratio of a cascade. Default 10. Above `spread_warn`, finite.
    pub spread_cascade: f64,

    /// Fast/slow volatility ratio that warns. Default 2. Above 1.
    pub volatility_warn: f64,
    /// Fast/slow volatility ratio of a cascade. Default 4. Above `volatility_warn`, finite.
    pub volatility_cascade: f64,

    /// Time constant of the sustained toxicity, seconds. Default 30. Positive, at most 86 400.
    pub toxicity_time_constant_s: f64,
    /// Sustained `τ` at and below which it is no stress. Default 0.4. In `[0, 1)`.
    pub toxicity_calm: f64,
    /// Sustained `τ` that warns. Default 0.65. Above `toxicity_calm`.
    pub toxicity_warn: f64,
    /// Sustained `τ` of a cascade. Default 0.85. Above `toxicity_warn`, at most 1.
    pub toxicity_cascade: f64,

    /// Seconds after which the last options reading no longer primes. Default 600. Positive,
    /// at most 86 400.
    pub options_max_age_s: f64,
    /// Term-structure inversion `short_iv/long_iv − 1` that primes by a half. Default 0.05.
    /// Positive.
    pub inversion_warn: f64,
    /// Term-structure inversion that primes fully. Default 0.25. Above `inversion_warn`, finite.
    pub inversion_cascade: f64,
    /// Half-life of the short-dated IV mean the jump is measured against, seconds.
    /// Default 3600. Positive, at most 86 400.
    pub iv_jump_half_life_s: f64,
    /// Jump `short_iv / mean − 1` that primes by a half. Default 0.15. Positive.
    pub iv_jump_warn: f64,
    /// Jump that primes fully. Default 0.5. Above `iv_jump_warn`, finite.
    pub iv_jump_cascade: f64,
    /// Share of open interest near spot into expiry at and below which it does not prime.
    /// Default 0.3. In `[0, 1)`.
    pub oi_share_calm: f64,
    /// Share that primes by a half. Default 0.5. Above `oi_share_calm`.
    pub oi_share_warn: f64,
    /// Share that primes fully. Default 0.7. Above `oi_share_warn`, at most 1.
    pub oi_share_cascade: f64,
}

impl Default for SignalsConfig {
    fn default() -> SignalsConfig {
        SignalsConfig {
            warmup_s: 30.0,
            max_age_s: 300.0,
            liquidation_time_constant_s: 30.0,
            liquidation_baseline_time_constant_s: 1800.0,
            liquidation_floor_per_s: 1000.0,
            liquidation_ratio_warn: 4.0,
            liquidation_ratio_cascade: 10.0,
            branching_bucket_s: 1.0,
            branching_window_buckets: 300,
            branching_min_events: 20,
            branching_calm: 0.5,
            branching_warn: 0.7,
            branching_cascade: 0.9,
            spike_ratio: 20.0,
            spike_sigmas: 5.0,
            spike_window_s: 10,
            price_vol_half_life_s: 300.0,
            price_vol_floor_bps: 0.2,
            oi_short_window_s: 300.0,
            oi_long_window_s: 900.0,
            oi_warn: 0.02,
            oi_cascade: 0.05,
            oi_min_price_move: 0.003,
            funding_carry: 0.0001,
            funding_cascade: -0.0001,
            funding_lookback_s: 28_800.0,
            basis_half_life_s: 1800.0,
            basis_std_floor: 0.00005,
            basis_warn: 2.0,
            basis_cascade: 4.0,
            depth_fast_half_life_s: 2.0,
            depth_baseline_half_life_s: 600.0,
            depth_warn: 0.5,
            depth_cascade: 0.2,
            depth_collapse: 0.1,
            spread_fast_half_life_s: 2.0,
            spread_baseline_half_life_s: 600.0,
            spread_floor_bps: 0.5,
            spread_warn: 3.0,
            spread_cascade: 10.0,
            volatility_warn: 2.0,
            volatility_cascade: 4.0,
            toxicity_time_constant_s: 30.0,
            toxicity_calm: 0.4,
            toxicity_warn: 0.65,
            toxicity_cascade: 0.85,
            options_max_age_s: 600.0,
            inversion_warn: 0.05,
            inversion_cascade: 0.25,
            iv_jump_half_life_s: 3600.0,
            iv_jump_warn: 0.15,
            iv_jump_cascade: 0.5,
            oi_share_calm: 0.3,
            oi_share_warn: 0.5,
            oi_share_cascade: 0.7,
        }
    }
}

/// A [`SignalsConfig`] field with a value that makes no sense.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cascade signals config: {field} = {value}: {requirement}")]
pub struct SignalsConfigError {
    field: &'static str,
    value: String,
    requirement: &'static str,
}

impl SignalsConfigError {
    /// The offending field, as spelt in the config file (`cascade.signals.depth_warn`).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What the field must be.
    pub fn requirement(&self) -> &'static str {
        self.requirement
    }
}

impl SignalsConfig {
    /// Checks every field; the first bad one is named in the error. Each field is checked
    /// against those before it, so a `NaN` is blamed on itself.
    pub fn validate(&self) -> Result<(), SignalsConfigError> {
        fn check(
            ok: bool,
            field: &'static str,
            value: f64,
            requirement: &'static str,
        ) -> Result<(), SignalsConfigError> {
            if ok { Ok(()) } else { Err(SignalsConfigError { field, value: value.to_string(), requirement }) }
        }
        let seconds = |x: f64| x > 0.0 && x <= MAX_SECONDS;
        const SECONDS: &str = "must be above 0 and at most 86400 seconds";
        let finite_above = |x: f64, low: f64| x.is_finite() && x > low;

        check(
            (0.0..=MAX_SECONDS).contains(&self.warmup_s),
            "cascade.signals.warmup_s",
            self.warmup_s,
            "must be in [0, 86400] seconds",
        )?;
        check(seconds(self.max_age_s), "cascade.signals.max_age_s", self.max_age_s, SECONDS)?;

        let c = self;
        check(
            seconds(c.liquidation_time_constant_s),
            "cascade.signals.liquidation_time_constant_s",
            c.liquidation_time_constant_s,
            SECONDS,
        )?;
        check(
            c.liquidation_baseline_time_constant_s >= c.liquidation_time_constant_s
                && c.liquidation_baseline_time_constant_s <= MAX_SECONDS,
            "cascade.signals.liquidation_baseline_time_constant_s",
            c.liquidation_baseline_time_constant_s,
            "must be at least liquidation_time_constant_s and at most 86400 seconds",
        )?;
        check(
            finite_above(c.liquidation_floor_per_s, 0.0),
            "cascade.signals.liquidation_floor_per_s",
            c.liquidation_floor_per_s,
            "must be positive and finite",
        )?;
        check(
            finite_above(c.liquidation_ratio_warn, 1.0),
            "cascade.signals.liquidation_ratio_warn",
            c.liquidation_ratio_warn,
            "must be finite and above 1",
        )?;
        check(
            finite_above(c.liquidation_ratio_cascade, c.liquidation_ratio_warn),
            "cascade.signals.liquidation_ratio_cascade",
            c.liquidation_ratio_cascade,
            "must be finite and above liquidation_ratio_warn",
        )?;
        check(
            c.branching_bucket_s > 0.0 && c.branching_bucket_s <= 3600.0,
            "cascade.signals.branching_bucket_s",
            c.branching_bucket_s,
            "must be above 0 and at most 3600 seconds",
        )?;
        check(
            (MIN_BRANCHING_BUCKETS as u32..=MAX_BRANCHING_BUCKETS).contains(&c.branching_window_buckets),
            "cascade.signals.branching_window_buckets",
            f64::from(c.branching_window_buckets),
            "must be in [10, 86400]",
        )?;
        check(
            c.branching_min_events >= 2,
            "cascade.signals.branching_min_events",
            f64::from(c.branching_min_events),
            "must be at least 2",
        )?;
        check(
            (0.0..1.0).contains(&c.branching_calm),
            "cascade.signals.branching_calm",
            c.branching_calm,
            "must be in [0, 1)",
        )?;
        check(
            c.branching_warn > c.branching_calm && c.branching_warn < 1.0,
            "cascade.signals.branching_warn",
            c.branching_warn,
            "must be above branching_calm and below 1",
        )?;
        check(
            c.branching_cascade > c.branching_warn && c.branching_cascade < 1.0,
            "cascade.signals.branching_cascade",
            c.branching_cascade,
            "must be above branching_warn and below 1",
        )?;
        check(
            c.spike_ratio.is_finite() && c.spike_ratio >= c.liquidation_ratio_warn,
            "cascade.signals.spike_ratio",
            c.spike_ratio,
            "must be finite and at least liquidation_ratio_warn",
        )?;
        check(
            finite_above(c.spike_sigmas, 0.0),
            "cascade.signals.spike_sigmas",
            c.spike_sigmas,
            "must be positive and finite",
        )?;
        check(
            (1..=MAX_SPIKE_WINDOW_S).contains(&c.spike_window_s),
            "cascade.signals.spike_window_s",
            f64::from(c.spike_window_s),
            "must be in [1, 60] seconds",
        )?;
        check(
            seconds(c.price_vol_half_life_s),
            "cascade.signals.price_vol_half_life_s",
            c.price_vol_half_life_s,
            SECONDS,
        )?;
        check(
            finite_above(c.price_vol_floor_bps, 0.0),
            "cascade.signals.price_vol_floor_bps",
            c.price_vol_floor_bps,
            "must be positive and finite",
        )?;

        check(
            seconds(c.oi_short_window_s),
            "cascade.signals.oi_short_window_s",
            c.oi_short_window_s,
            SECONDS,
        )?;
        check(
            c.oi_long_window_s >= c.oi_short_window_s && c.oi_long_window_s <= MAX_SECONDS,
            "cascade.signals.oi_long_window_s",
            c.oi_long_window_s,
            "must be at least oi_short_window_s and at most 86400 seconds",
        )?;
        check(
            c.oi_warn > 0.0 && c.oi_warn < 1.0,
            "cascade.signals.oi_warn",
            c.oi_warn,
            "must be above 0 and below 1",
        )?;
        check(
            c.oi_cascade > c.oi_warn && c.oi_cascade < 1.0,
            "cascade.signals.oi_cascade",
            c.oi_cascade,
            "must be above oi_warn and below 1",
        )?;
        check(
            c.oi_min_price_move > 0.0 && c.oi_min_price_move < 1.0,
            "cascade.signals.oi_min_price_move",
            c.oi_min_price_move,
            "must be above 0 and below 1",
        )?;

        check(
            c.funding_carry > 0.0 && c.funding_carry < 0.01,
            "cascade.signals.funding_carry",
            c.funding_carry,
            "must be above 0 and below 0.01",
        )?;
        check(
            c.funding_cascade < 0.0 && c.funding_cascade > -0.01,
            "cascade.signals.funding_cascade",
            c.funding_cascade,
            "must be below 0 and above -0.01",
        )?;
        check(
            seconds(c.funding_lookback_s),
            "cascade.signals.funding_lookback_s",
            c.funding_lookback_s,
            SECONDS,
        )?;

        check(
            seconds(c.basis_half_life_s),
            "cascade.signals.basis_half_life_s",
            c.basis_half_life_s,
            SECONDS,
        )?;
        check(
            c.basis_std_floor > 0.0 && c.basis_std_floor < 0.01,
            "cascade.signals.basis_std_floor",
            c.basis_std_floor,
            "must be above 0 and below 0.01",
        )?;
        check(
            finite_above(c.basis_warn, 0.0),
            "cascade.signals.basis_warn",
            c.basis_warn,
            "must be positive and finite",
        )?;
        check(
            finite_above(c.basis_cascade, c.basis_warn),
            "cascade.signals.basis_cascade",
            c.basis_cascade,
            "must be finite and above basis_warn",
        )?;

        check(
            seconds(c.depth_fast_half_life_s),
            "cascade.signals.depth_fast_half_life_s",
            c.depth_fast_half_life_s,
            SECONDS,
        )?;
        check(
            c.depth_baseline_half_life_s >= c.depth_fast_half_life_s
                && c.depth_baseline_half_life_s <= MAX_SECONDS,
            "cascade.signals.depth_baseline_half_life_s",
            c.depth_baseline_half_life_s,
            "must be at least depth_fast_half_life_s and at most 86400 seconds",
        )?;
        check(
            c.depth_warn > 0.0 && c.depth_warn < 1.0,
            "cascade.signals.depth_warn",
            c.depth_warn,
            "must be above 0 and below 1",
        )?;
        check(
            c.depth_cascade > 0.0 && c.depth_cascade < c.depth_warn,
            "cascade.signals.depth_cascade",
            c.depth_cascade,
            "must be above 0 and below depth_warn",
        )?;
        check(
            c.depth_collapse >= 0.0 && c.depth_collapse < c.depth_cascade,
            "cascade.signals.depth_collapse",
            c.depth_collapse,
            "must be at least 0 and below depth_cascade",
        )?;

        check(
            seconds(c.spread_fast_half_life_s),
            "cascade.signals.spread_fast_half_life_s",
            c.spread_fast_half_life_s,
            SECONDS,
        )?;
        check(
            c.spread_baseline_half_life_s >= c.spread_fast_half_life_s
                && c.spread_baseline_half_life_s <= MAX_SECONDS,
            "cascade.signals.spread_baseline_half_life_s",
            c.spread_baseline_half_life_s,
            "must be at least spread_fast_half_life_s and at most 86400 seconds",
        )?;
        check(
            c.spread_floor_bps.is_finite() && c.spread_floor_bps >= 0.0,
            "cascade.signals.spread_floor_bps",
            c.spread_floor_bps,
            "must be finite and at least 0",
        )?;
        check(
            finite_above(c.spread_warn, 1.0),
            "cascade.signals.spread_warn",
            c.spread_warn,
            "must be finite and above 1",
        )?;
        check(
            finite_above(c.spread_cascade, c.spread_warn),
            "cascade.signals.spread_cascade",
            c.spread_cascade,
            "must be finite and above spread_warn",
        )?;

        check(
            finite_above(c.volatility_warn, 1.0),
            "cascade.signals.volatility_warn",
            c.volatility_warn,
            "must be finite and above 1",
        )?;
        check(
            finite_above(c.volatility_cascade, c.volatility_warn),
            "cascade.signals.volatility_cascade",
            c.volatility_cascade,
            "must be finite and above volatility_warn",
        )?;

        check(
            seconds(c.toxicity_time_constant_s),
            "cascade.signals.toxicity_time_constant_s",
            c.toxicity_time_constant_s,
            SECONDS,
        )?;
        check(
            (0.0..1.0).contains(&c.toxicity_calm),
            "cascade.signals.toxicity_calm",
            c.toxicity_calm,
            "must be in [0, 1)",
        )?;
        check(
            c.toxicity_warn > c.toxicity_calm && c.toxicity_warn < 1.0,
            "cascade.signals.toxicity_warn",
            c.toxicity_warn,
            "must be above toxicity_calm and below 1",
        )?;
        check(
            c.toxicity_cascade > c.toxicity_warn && c.toxicity_cascade <= 1.0,
            "cascade.signals.toxicity_cascade",
            c.toxicity_cascade,
            "must be above toxicity_warn and at most 1",
        )?;

        check(
            seconds(c.options_max_age_s),
            "cascade.signals.options_max_age_s",
            c.options_max_age_s,
            SECONDS,
        )?;
        check(
            finite_above(c.inversion_warn, 0.0),
            "cascade.signals.inversion_warn",
            c.inversion_warn,
            "must be positive and finite",
        )?;
        check(
            finite_above(c.inversion_cascade, c.inversion_warn),
            "cascade.signals.inversion_cascade",
            c.inversion_cascade,
            "must be finite and above inversion_warn",
        )?;
        check(
            seconds(c.iv_jump_half_life_s),
            "cascade.signals.iv_jump_half_life_s",
            c.iv_jump_half_life_s,
            SECONDS,
        )?;
        check(
            finite_above(c.iv_jump_warn, 0.0),
            "cascade.signals.iv_jump_warn",
            c.iv_jump_warn,
            "must be positive and finite",
        )?;
        check(
            finite_above(c.iv_jump_cascade, c.iv_jump_warn),
            "cascade.signals.iv_jump_cascade",
            c.iv_jump_cascade,
            "must be finite and above iv_jump_warn",
        )?;
        check(
            (0.0..1.0).contains(&c.oi_share_calm),
            "cascade.signals.oi_share_calm",
            c.oi_share_calm,
            "must be in [0, 1)",
        )?;
        check(
            c.oi_share_warn > c.oi_share_calm && c.oi_share_warn < 1.0,
            "cascade.signals.oi_share_warn",
            c.oi_share_warn,
            "must be above oi_share_calm and below 1",
        )?;
        check(
            c.oi_share_cascade > c.oi_share_warn && c.oi_share_cascade <= 1.0,
            "cascade.signals.oi_share_cascade",
            c.oi_share_cascade,
            "must be above oi_share_warn and at most 1",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_an_empty_file_gives_them() {
        assert_eq!(SignalsConfig::default().validate(), Ok(()));
        assert_eq!(toml::from_str::<SignalsConfig>("").unwrap(), SignalsConfig::default());
        assert!(toml::from_str::<SignalsConfig>("depth_wran = 0.4").is_err());
        let config =
            SignalsConfig { spike_window_s: 20, funding_cascade: -0.0003, ..SignalsConfig::default() };
        let written = toml::to_string(&config).unwrap();
        assert_eq!(toml::from_str::<SignalsConfig>(&written).unwrap(), config);
    }

    #[test]
    fn each_bad_field_is_named() {
        let base = SignalsConfig::default();
        let cases = [
            ("cascade.signals.warmup_s", SignalsConfig { warmup_s: -1.0, ..base }),
            ("cascade.signals.max_age_s", SignalsConfig { max_age_s: 0.0, ..base }),
            (
                "cascade.signals.liquidation_time_constant_s",
                SignalsConfig { liquidation_time_constant_s: f64::NAN, ..base },
            ),
            (
                "cascade.signals.liquidation_baseline_time_constant_s",
                SignalsConfig { liquidation_baseline_time_constant_s: 10.0, ..base },
            ),
            (
                "cascade.signals.liquidation_floor_per_s",
                SignalsConfig { liquidation_floor_per_s: 0.0, ..base },
            ),
            ("cascade.signals.liquidation_ratio_warn", SignalsConfig { liquidation_ratio_warn: 1.0, ..base }),
            (
                "cascade.signals.liquidation_ratio_cascade",
                SignalsConfig { liquidation_ratio_cascade: 3.0, ..base },
            ),
            ("cascade.signals.branching_bucket_s", SignalsConfig { branching_bucket_s: 0.0, ..base }),
            (
                "cascade.signals.branching_window_buckets",
                SignalsConfig { branching_window_buckets: 5, ..base },
            ),
            ("cascade.signals.branching_min_events", SignalsConfig { branching_min_events: 1, ..base }),
            ("cascade.signals.branching_calm", SignalsConfig { branching_calm: 1.0, ..base }),
            ("cascade.signals.branching_warn", SignalsConfig { branching_warn: 0.4, ..base }),
            ("cascade.signals.branching_cascade", SignalsConfig { branching_cascade: 1.0, ..base }),
            ("cascade.signals.spike_ratio", SignalsConfig { spike_ratio: 2.0, ..base }),
            ("cascade.signals.spike_sigmas", SignalsConfig { spike_sigmas: f64::INFINITY, ..base }),
            ("cascade.signals.spike_window_s", SignalsConfig { spike_window_s: 61, ..base }),
            ("cascade.signals.spike_window_s", SignalsConfig { spike_window_s: 0, ..base }),
            ("cascade.signals.price_vol_half_life_s", SignalsConfig { price_vol_half_life_s: 1e6, ..base }),
            ("cascade.signals.price_vol_floor_bps", SignalsConfig { price_vol_floor_bps: -0.1, ..base }),
            ("cascade.signals.oi_short_window_s", SignalsConfig { oi_short_window_s: 0.0, ..base }),
            ("cascade.signals.oi_long_window_s", SignalsConfig { oi_long_window_s: 60.0, ..base }),
            ("cascade.signals.oi_warn", SignalsConfig { oi_warn: -0.02, ..base }),
            ("cascade.signals.oi_cascade", SignalsConfig { oi_cascade: 0.01, ..base }),
            ("cascade.signals.oi_min_price_move", SignalsConfig { oi_min_price_move: 0.0, ..base }),
            ("cascade.signals.funding_carry", SignalsConfig { funding_carry: 0.0, ..base }),
            ("cascade.signals.funding_cascade", SignalsConfig { funding_cascade: 0.0001, ..base }),
            ("cascade.signals.funding_lookback_s", SignalsConfig { funding_lookback_s: f64::NAN, ..base }),
            ("cascade.signals.basis_half_life_s", SignalsConfig { basis_half_life_s: 0.0, ..base }),
            ("cascade.signals.basis_std_floor", SignalsConfig { basis_std_floor: 0.0, ..base }),
            ("cascade.signals.basis_warn", SignalsConfig { basis_warn: 0.0, ..base }),
            ("cascade.signals.basis_cascade", SignalsConfig { basis_cascade: 2.0, ..base }),
            ("cascade.signals.depth_fast_half_life_s", SignalsConfig { depth_fast_half_life_s: 0.0, ..base }),
            (
                "cascade.signals.depth_baseline_half_life_s",
                SignalsConfig { depth_baseline_half_life_s: 1.0, ..base },
            ),
            ("cascade.signals.depth_warn", SignalsConfig { depth_warn: 1.0, ..base }),
            ("cascade.signals.depth_cascade", SignalsConfig { depth_cascade: 0.6, ..base }),
            ("cascade.signals.depth_collapse", SignalsConfig { depth_collapse: 0.2, ..base }),
            (
                "cascade.signals.spread_fast_half_life_s",
                SignalsConfig { spread_fast_half_life_s: -2.0, ..base },
            ),
            (
                "cascade.signals.spread_baseline_half_life_s",
                SignalsConfig { spread_baseline_half_life_s: 1.0, ..base },
            ),
            ("cascade.signals.spread_floor_bps", SignalsConfig { spread_floor_bps: f64::NAN, ..base }),
            ("cascade.signals.spread_warn", SignalsConfig { spread_warn: 0.5, ..base }),
            ("cascade.signals.spread_cascade", SignalsConfig { spread_cascade: 3.0, ..base }),
            ("cascade.signals.volatility_warn", SignalsConfig { volatility_warn: 1.0, ..base }),
            ("cascade.signals.volatility_cascade", SignalsConfig { volatility_cascade: 1.5, ..base }),
            (
                "cascade.signals.toxicity_time_constant_s",
                SignalsConfig { toxicity_time_constant_s: 0.0, ..base },
            ),
            ("cascade.signals.toxicity_calm", SignalsConfig { toxicity_calm: -0.1, ..base }),
            ("cascade.signals.toxicity_warn", SignalsConfig { toxicity_warn: 0.1, ..base }),
            ("cascade.signals.toxicity_cascade", SignalsConfig { toxicity_cascade: 1.1, ..base }),
            ("cascade.signals.options_max_age_s", SignalsConfig { options_max_age_s: 0.0, ..base }),
            ("cascade.signals.inversion_warn", SignalsConfig { inversion_warn: 0.0, ..base }),
            ("cascade.signals.inversion_cascade", SignalsConfig { inversion_cascade: 0.05, ..base }),
            ("cascade.signals.iv_jump_half_life_s", SignalsConfig { iv_jump_half_life_s: 0.0, ..base }),
            ("cascade.signals.iv_jump_warn", SignalsConfig { iv_jump_warn: f64::NAN, ..base }),
            ("cascade.signals.iv_jump_cascade", SignalsConfig { iv_jump_cascade: 0.1, ..base }),
            ("cascade.signals.oi_share_calm", SignalsConfig { oi_share_calm: 1.0, ..base }),
            ("cascade.signals.oi_share_warn", SignalsConfig { oi_share_warn: 0.3, ..base }),
            ("cascade.signals.oi_share_cascade", SignalsConfig { oi_share_cascade: 1.5, ..base }),
        ];
        for (field, config) in cases {
            let error = config.validate().unwrap_err();
            assert_eq!(error.field(), field, "{error}");
            assert!(error.to_string().contains(field), "{error}");
        }
    }
}
