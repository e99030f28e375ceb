//! Volatility of the microprice: how far the price is likely to move per √second.
//!
//! - [`Volatility`]: the estimator. Feed it the microprice at each completed, trusted book
//!   update ([`Volatility::on_microprice`]) and, optionally, an implied volatility from an
//!   options feed ([`Volatility::on_implied`]); read a [`VolatilityReading`].
//! - [`VolatilityReading`]: the estimates, as a fraction of the price per √second
//!   (`1e-4` = 1 bp/√s). `sigma` is the one the spread policies use; the others explain it and
//!   feed the toxicity-aware multiplier (`ratio`).
//! - [`VolatilityConfig`]: sampling interval, half-lives, warm-up, and the implied-vol blend.
//!
//! # Sampling
//! The microprice is sampled *previous-tick* on a grid of `interval_ms` (aligned to the
//! epoch): the price at grid time `t_n = n·I` is the last update at or before `t_n`. The
//! log-return between two consecutive samples at grid points `a < n` is
//! `r = ln(p(t_n) / p(t_a))`, over `Δ = (n − a)·I` seconds.
//!
//! Normally every interval has updates and consecutive samples are adjacent (`n = a + 1`).
//! When a whole interval passes with no update (a resync, during which the book is not
//! trusted and nothing is fed; a halted or very quiet book), the price at the grid points in
//! the gap is unknown. The first of them still takes the last price (previous-tick), and the
//! move to the first price after the gap is **one return over the gap**, sampled at its last
//! grid point with that new price: `Δ` is the gap's length, not one interval, and the gap
//! adds neither a string of zero returns nor a one-interval jump.
//!
//! Every return is normalised to one second, `z = r / √Δ`, so that for a Brownian log-price
//! with volatility `σ` each `z` is `N(0, σ²)` whatever its `Δ`, and each counts once.
//!
//! # Estimates
//! Each is an exponentially weighted mean over samples in event time ([`DecayedMean`], weight
//! `e^(−(t − t_k)/τ)` for the sample at grid time `t_k`), unbiased from the first sample:
//!
//! - realised: `σ̂² = Σ w_k z_k² / Σ w_k`, with the fast half-life (`fast`) and the slow one
//!   (`slow`);
//! - bipower: `σ̂²_BV = Σ w_k (π/2)·|z_k|·|z_{k−1}| / Σ w_k`, fast half-life. Since
//!   `E|Z| = √(2/π)` for a normal `Z`, this estimates `σ²` too, but a single jump `J` enters
//!   it as `|J|·|z|` twice rather than as `J²`: the jump-robust variant (Barndorff-Nielsen &
//!   Shephard 2004).
//!
//! `sigma` is `fast` (or `bipower` when `jump_robust`) once `min_samples` returns have been
//! seen, and `prior_bps_per_sqrt_s` before. An annualised implied volatility `IV` (365-day
//! year) is converted to `σ_iv = IV / √(365 · 86 400)` per √second and, while no older than
//! `implied_max_age_s`, blended in variance: `σ² = (1 − w)·σ_realised² + w·σ_iv²`.
//!
//! # Guarantees
//! No allocation (a handful of scalars), no panics: non-finite or non-positive prices, and
//! implied vols outside `(0, 100]` (10 000 %/year), are ignored, and an update older than the
//! previous one counts as simultaneous with it (no time elapses, as in [`crate::decay`]).
//!
//! # References
//! - O. E. Barndorff-Nielsen and N. Shephard, "Power and bipower variation with stochastic
//!   volatility and jumps", *Journal of Financial Econometrics* 2(1), 2004, 1–37: bipower
//!   variation `(π/2)·Σ|r_k||r_{k−1}|`.
//! - J.P. Morgan/Reuters, *RiskMetrics — Technical Document*, 4th ed., 1996: the EWMA of
//!   squared returns as a variance forecast.
//! - P. R. Hansen and A. Lunde, "Realized variance and market microstructure noise", *Journal
//!   of Business & Economic Statistics* 24(2), 2006: previous-tick sampling on a time grid.

use crate::config::{BPS, StrategyConfigError};
use crate::decay::{Decay, DecayedMean, NANOS_PER_SEC};
use feeds::Nanos;
use serde::{Deserialize, Serialize};
use std::f64::consts::FRAC_PI_2;

/// Seconds in the 365-day year in which implied volatilities are quoted.
const SECONDS_PER_YEAR: f64 = 365.0 * 86_400.0;

/// Longest sampling interval accepted, in milliseconds (one hour).
const MAX_INTERVAL_MS: u64 = 3_600_000;

/// Largest annualised implied volatility accepted (10 000 %/year); above it an input is
/// nonsense, not a market.
const MAX_IMPLIED: f64 = 100.0;

/// How the volatility is estimated. Read from the `[strategy.volatility]` table.
///
/// ```
/// # use strategy::volatility::VolatilityConfig;
/// let config: VolatilityConfig = toml::from_str("interval_ms = 500\njump_robust = false")?;
/// assert_eq!(config.interval_ms, 500);
/// assert_eq!(config.fast_half_life_s, VolatilityConfig::default().fast_half_life_s);
/// config.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct VolatilityConfig {
    /// Return sampling interval, milliseconds. Default 1000. In `[1, 3 600 000]`.
    pub interval_ms: u64,
    /// Half-life of the fast estimates (`fast`, `bipower`, and so `sigma`), seconds.
    /// Default 30. Finite and positive.
    pub fast_half_life_s: f64,
    /// Half-life of the slow estimate, seconds. Default 600. Finite and at least
    /// `fast_half_life_s`.
    pub slow_half_life_s: f64,
    /// Returns sampled before the estimate replaces the prior (and before `ratio` leaves 1).
    /// Default 10. At least 2, so that bipower has a pair of returns.
    pub min_samples: u64,
    /// The volatility used until `min_samples` returns have been seen, bp per √second.
    /// Default 0.6: the median of the jump-robust estimate on the 2024-08-08 BTCUSDT
    /// recording (a calm market by crypto standards; the realised fast estimate's median was
    /// 0.8). Finite and positive.
    pub prior_bps_per_sqrt_s: f64,
    /// Use bipower rather than the realised fast estimate for `sigma`, so that one jump does
    /// not blow the spreads out for a half-life. Default true.
    pub jump_robust: bool,
    /// Weight `w` of the implied variance in `sigma²` while an implied vol is fresh.
    /// Default 0.5. In `[0, 1]`.
    pub implied_weight: f64,
    /// How long an implied vol stays fresh, seconds. Default 600. Finite and positive.
    pub implied_max_age_s: f64,
}

impl Default for VolatilityConfig {
    fn default() -> VolatilityConfig {
        VolatilityConfig {
            interval_ms: 1000,
            fast_half_life_s: 30.0,
            slow_half_life_s: 600.0,
            min_samples: 10,
            prior_bps_per_sqrt_s: 0.6,
            jump_robust: true,
            implied_weight: 0.5,
            implied_max_age_s: 600.0,
        }
    }
}

impl VolatilityConfig {
    /// Checks every field; the first bad one is named in the error (`volatility.<field>`).
    pub fn validate(&self) -> Result<(), StrategyConfigError> {
        fn check(
            ok: bool,
            field: &'static str,
            value: impl ToString,
            requirement: &'static str,
        ) -> Result<(), StrategyConfigError> {
            if ok { Ok(()) } else { Err(StrategyConfigError::new(field, value, requirement)) }
        }
        let positive = |x: f64| x.is_finite() && x > 0.0;
        check(
            (1..=MAX_INTERVAL_MS).contains(&self.interval_ms),
            "volatility.interval_ms",
            self.interval_ms,
            "must be between 1 and 3600000",
        )?;
        check(
            positive(self.fast_half_life_s),
            "volatility.fast_half_life_s",
            self.fast_half_life_s,
            "must be a finite positive number",
        )?;
        check(
            self.slow_half_life_s.is_finite() && self.slow_half_life_s >= self.fast_half_life_s,
            "volatility.slow_half_life_s",
            self.slow_half_life_s,
            "must be finite and at least fast_half_life_s",
        )?;
        check(self.min_samples >= 2, "volatility.min_samples", self.min_samples, "must be at least 2")?;
        check(
            positive(self.prior_bps_per_sqrt_s),
            "volatility.prior_bps_per_sqrt_s",
            self.prior_bps_per_sqrt_s,
            "must be a finite positive number",
        )?;
        check(
            (0.0..=1.0).contains(&self.implied_weight),
            "volatility.implied_weight",
            self.implied_weight,
            "must be between 0 and 1",
        )?;
        check(
            positive(self.implied_max_age_s),
            "volatility.implied_max_age_s",
            self.implied_max_age_s,
            "must be a finite positive number",
        )
    }
}

/// The volatility estimates, each a standard deviation of the log-price per √second (a
/// fraction: `1e-4` is 1 bp/√s; times the price in ticks gives ticks per √s).
///
/// The default (everything zero, no implied) is what [`Signals`](crate::Signals) holds before
/// a [`Volatility`] has written to it; a [`Volatility`] itself starts at its prior.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct VolatilityReading {
    /// What the spread policies use: the prior until `min_samples` returns, then `bipower`
    /// (`jump_robust`) or `fast`, blended in variance with `implied` while it is fresh.
    pub sigma: f64,
    /// Realised, fast half-life. 0 before the first return.
    pub fast: f64,
    /// Realised, slow half-life. 0 before the first return.
    pub slow: f64,
    /// Bipower, fast half-life. 0 before the second return.
    pub bipower: f64,
    /// The implied volatility per √second, while fresh (no older than `implied_max_age_s`
    /// at the latest time seen); `None` otherwise.
    pub implied: Option<f64>,
    /// `fast / slow`: above 1 when volatility is rising. 1 before `min_samples` returns and
    /// whenever `slow` is 0.
    pub ratio: f64,
    /// Returns sampled so far.
    pub returns: u64,
}

/// A point of the price path: a time and the log of the price.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Observation {
    time: Nanos,
    log_price: f64,
}

/// A sampled grid point: its index `n` (time `n·I`) and the log-price there.
#[derive(Clone, Copy, Debug, PartialEq)]
struct GridSample {
    index: i64,
    log_price: f64,
}

/// Estimates the microprice's volatility from its updates; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct Volatility {
    /// Sampling interval `I`, nanoseconds (positive).
    interval: i64,
    min_samples: u64,
    /// Prior `σ`, a fraction per √second.
    prior: f64,
    jump_robust: bool,
    implied_weight: f64,
    implied_max_age_s: f64,
    /// EWMA of `z²`, fast half-life.
    fast: DecayedMean,
    /// EWMA of `z²`, slow half-life.
    slow: DecayedMean,
    /// EWMA of `(π/2)|z_k||z_{k−1}|`, fast half-life.
    bipower: DecayedMean,
    /// The latest price update (its time never decreases).
    last: Option<Observation>,
    /// The latest sampled grid point; always before `last.time`.
    anchor: Option<GridSample>,
    /// `|z|` of the latest return, for the next bipower product.
    previous_abs_z: Option<f64>,
    /// The latest implied volatility (per √second) and when it was given.
    implied: Option<(Nanos, f64)>,
    /// The latest time seen by either input; decides the implied vol's freshness.
    now: Nanos,
    reading: VolatilityReading,
}

impl Volatility {
    /// An estimator with no data, reading the prior.
    ///
    /// # Panics
    /// If `config` does not [validate](VolatilityConfig::validate): a construction bug.
    pub fn new(config: &VolatilityConfig) -> Volatility {
        if let Err(error) = config.validate() {
            panic!("Volatility::new with an invalid config: {error}");
        }
        let prior = config.prior_bps_per_sqrt_s / BPS;
        let fast = Decay::half_life(config.fast_half_life_s);
        Volatility {
            interval: config.interval_ms as i64 * Nanos::PER_MILLI,
            min_samples: config.min_samples,
            prior,
            jump_robust: config.jump_robust,
            implied_weight: config.implied_weight,
            implied_max_age_s: config.implied_max_age_s,
            fast: DecayedMean::new(fast),
            slow: DecayedMean::new(Decay::half_life(config.slow_half_life_s)),
            bipower: DecayedMean::new(fast),
            last: None,
            anchor: None,
            previous_abs_z: None,
            implied: None,
            now: Nanos(i64::MIN),
            reading: VolatilityReading { sigma: prior, ratio: 1.0, ..VolatilityReading::default() },
        }
    }

    /// The microprice (ticks; any positive price unit works, only ratios matter) after a
    /// completed, trusted book update at exchange time `time`. Non-finite and non-positive
    /// prices are ignored; a time before the previous update's counts as equal to it.
    #[inline]
    pub fn on_microprice(&mut self, time: Nanos, microprice_ticks: f64) {
        if !(microprice_ticks.is_finite() && microprice_ticks > 0.0) {
            return;
        }
        let log_price = microprice_ticks.ln();
        let time = match self.last {
            Some(last) if time < last.time => last.time,
            _ => time,
        };
        self.now = self.now.max(time);
        if let Some(last) = self.last {
            // The grid points in [last.time, time), if any: the first carries the previous
            // price. More than one is a gap: its move is one return, to the latest of them.
            let first = ceil_div(last.time.0, self.interval);
            let latest = time.0.saturating_sub(1).div_euclid(self.interval);
            if latest >= first {
                self.sample(first, last.log_price);
            }
            if latest > first {
                self.sample(latest, log_price);
            }
        }
        self.last = Some(Observation { time, log_price });
        self.refresh();
    }

    /// An annualised implied volatility (`0.5` = 50 %/year, 365-day year) given at `time`,
    /// e.g. an at-the-money short-dated option's mark IV. Replaces the previous one; ignored
    /// unless in `(0, 100]`.
    #[inline]
    pub fn on_implied(&mut self, time: Nanos, annualised_iv: f64) {
        if !(annualised_iv > 0.0 && annualised_iv <= MAX_IMPLIED) {
            return;
        }
        let time = match self.implied {
            Some((previous, _)) if time < previous => previous,
            _ => time,
        };
        self.implied = Some((time, annualised_iv / SECONDS_PER_YEAR.sqrt()));
        self.now = self.now.max(time);
        self.refresh();
    }

    /// The estimates as of the latest input.
    #[inline]
    pub fn reading(&self) -> &VolatilityReading {
        &self.reading
    }

    /// Records the previous-tick sample of grid point `index` and the return since the last.
    fn sample(&mut self, index: i64, log_price: f64) {
        if let Some(anchor) = self.anchor {
            // index > anchor.index: the anchor was sampled before the previous update.
            let secs = (index - anchor.index) as f64 * self.interval as f64 / NANOS_PER_SEC;
            let z = (log_price - anchor.log_price) / secs.sqrt();
            let at = Nanos(index.saturating_mul(self.interval));
            let variance = z * z;
            self.fast.add(at, variance);
            self.slow.add(at, variance);
            if let Some(previous) = self.previous_abs_z {
                self.bipower.add(at, FRAC_PI_2 * z.abs() * previous);
            }
            self.previous_abs_z = Some(z.abs());
            self.reading.returns += 1;
        }
        self.anchor = Some(GridSample { index, log_price });
    }

    fn refresh(&mut self) {
        let root = |mean: &DecayedMean| mean.mean().map_or(0.0, f64::sqrt);
        let reading = &mut self.reading;
        reading.fast = root(&self.fast);
        reading.slow = root(&self.slow);
        reading.bipower = root(&self.bipower);
        let warm = reading.returns >= self.min_samples;
        reading.ratio = if warm && reading.slow > 0.0 { reading.fast / reading.slow } else { 1.0 };
        let realised = match (warm, self.jump_robust) {
            (false, _) => self.prior,
            (true, true) => reading.bipower,
            (true, false) => reading.fast,
        };
        reading.implied = self
            .implied
            .filter(|(time, _)| {
                self.now.saturating_since(*time) as f64 / NANOS_PER_SEC <= self.implied_max_age_s
            })
            .map(|(_, sigma)| sigma);
        reading.sigma = match reading.implied {
            Some(implied) => {
                let w = self.implied_weight;
                ((1.0 - w) * realised * realised + w * implied * implied).sqrt()
            }
            None => realised,
        };
    }
}

/// `⌈a / b⌉` for `b > 0`, without overflow.
#[inline]
fn ceil_div(a: i64, b: i64) -> i64 {
    a.div_euclid(b) + i64::from(a.rem_euclid(b) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_random::Uniforms;
    use proptest::prelude::*;

    const SEC: i64 = 1_000_000_000;
    const MS: i64 = 1_000_000;

    fn close(actual: f64, expected: f64, relative: f64) {
        assert!(
            (actual - expected).abs() <= relative * expected.abs(),
            "{actual} != {expected} ± {relative}"
        );
    }

    fn config() -> VolatilityConfig {
        VolatilityConfig::default()
    }

    /// The default prior, as a fraction per √second.
    const PRIOR: f64 = 0.6 / BPS;

    #[test]
    fn defaults_validate_and_an_empty_table_gives_them() {
        assert_eq!(VolatilityConfig::default().validate(), Ok(()));
        assert_eq!(toml::from_str::<VolatilityConfig>("").unwrap(), VolatilityConfig::default());
        assert!(toml::from_str::<VolatilityConfig>("half_life = 3").is_err());
    }

    #[test]
    fn each_bad_field_is_named() {
        let default = VolatilityConfig::default();
        let cases = [
            ("volatility.interval_ms", VolatilityConfig { interval_ms: 0, ..default }),
            ("volatility.fast_half_life_s", VolatilityConfig { fast_half_life_s: 0.0, ..default }),
            ("volatility.slow_half_life_s", VolatilityConfig { slow_half_life_s: 10.0, ..default }),
            ("volatility.slow_half_life_s", VolatilityConfig { slow_half_life_s: f64::INFINITY, ..default }),
            ("volatility.min_samples", VolatilityConfig { min_samples: 1, ..default }),
            ("volatility.prior_bps_per_sqrt_s", VolatilityConfig { prior_bps_per_sqrt_s: -1.0, ..default }),
            ("volatility.implied_weight", VolatilityConfig { implied_weight: 1.5, ..default }),
            ("volatility.implied_weight", VolatilityConfig { implied_weight: f64::NAN, ..default }),
            ("volatility.implied_max_age_s", VolatilityConfig { implied_max_age_s: f64::NAN, ..default }),
        ];
        for (field, config) in cases {
            let error = config.validate().unwrap_err();
            assert_eq!(error.field(), field, "{error}");
        }
    }

    #[test]
    #[should_panic(expected = "Volatility::new with an invalid config")]
    fn an_invalid_config_is_a_construction_bug() {
        Volatility::new(&VolatilityConfig { min_samples: 0, ..config() });
    }

    #[test]
    fn the_prior_holds_until_min_samples_returns() {
        let mut vol = Volatility::new(&config());
        assert_eq!(vol.reading().sigma, PRIOR);
        assert_eq!(vol.reading().ratio, 1.0);
        // One update per second, half-way between grid points, moving ±1 bp.
        let mut log_price = 100_000.0_f64.ln();
        for k in 0..=10 {
            vol.on_microprice(Nanos(k * SEC + SEC / 2), log_price.exp());
            log_price += if k % 2 == 0 { 1e-4 } else { -1e-4 };
            // Update k samples grid point k (the price of update k − 1): k − 1 returns so far.
            assert_eq!(vol.reading().returns, (k as u64).saturating_sub(1));
            assert_eq!(vol.reading().sigma, PRIOR, "update {k}");
        }
        vol.on_microprice(Nanos(11 * SEC + SEC / 2), log_price.exp());
        assert_eq!(vol.reading().returns, 10);
        // Warm: every return was exactly ±1 bp over one second.
        close(vol.reading().fast, 1e-4, 1e-9);
        close(vol.reading().slow, 1e-4, 1e-9);
        close(vol.reading().ratio, 1.0, 1e-9);
        // Bipower of a constant |r|: (π/2)·r², so √(π/2) bp (it assumes normal returns).
        close(vol.reading().bipower, 1e-4 * FRAC_PI_2.sqrt(), 1e-9);
        close(vol.reading().sigma, vol.reading().bipower, 0.0);
    }

    #[test]
    fn a_seeded_random_walk_recovers_its_volatility() {
        // Synthetic data: a Gaussian random walk of the log-price with σ = 2 bp/√s, updated
        // every 100 ms (σ·√0.1 per step) at off-grid times, sampled on a 1 s grid.
        let sigma = 2e-4;
        let mut rng = Uniforms::seeded(7);
        let mut vol = Volatility::new(&VolatilityConfig { slow_half_life_s: 3_000.0, ..config() });
        let mut log_price = 60_000.0_f64.ln();
        let start = 1_723_161_255 * SEC + 37 * MS;
        let mut fast = Vec::new();
        for step in 0..200_000_i64 {
            log_price += sigma * 0.1_f64.sqrt() * rng.normal();
            vol.on_microprice(Nanos(start + step * 100 * MS), log_price.exp());
            if step % 10_000 == 9_999 {
                fast.push(vol.reading().fast);
            }
        }
        let reading = *vol.reading();
        // Grid points S + 1 … S + 19 999 s lie between the first and the last update.
        assert_eq!(reading.returns, 19_998);
        // The slow estimate rests on ~4 300 returns (half-life 3 000 s): within 5 %.
        close(reading.slow, sigma, 0.05);
        // The fast ones on ~43: each reading is noisy (±15 % or so), their average is not.
        let mean_fast = fast.iter().sum::<f64>() / fast.len() as f64;
        close(mean_fast, sigma, 0.05);
        close(reading.bipower, sigma, 0.3);
        close(reading.sigma, reading.bipower, 0.0);
    }

    #[test]
    fn one_jump_moves_fast_far_more_than_bipower() {
        let mut vol = Volatility::new(&config());
        let mut rng = Uniforms::seeded(11);
        let mut log_price = 60_000.0_f64.ln();
        let mut time = 0;
        let step = |vol: &mut Volatility, log_price: f64, time: &mut i64| {
            *time += SEC;
            vol.on_microprice(Nanos(*time + 500 * MS), log_price.exp());
        };
        for _ in 0..300 {
            log_price += 1e-4 * rng.normal();
            step(&mut vol, log_price, &mut time);
        }
        let before = *vol.reading();
        // A 20 bp jump (200 times the one-second variance), then the calm walk resumes.
        log_price += 20e-4;
        step(&mut vol, log_price, &mut time);
        for _ in 0..3 {
            log_price += 1e-4 * rng.normal();
            step(&mut vol, log_price, &mut time);
        }
        let after = *vol.reading();
        let fast_rise = after.fast / before.fast;
        let bipower_rise = after.bipower / before.bipower;
        assert!(fast_rise > 2.5, "{before:?} → {after:?}");
        assert!(bipower_rise < 1.6, "{before:?} → {after:?}");
        assert!(after.ratio > 1.5, "the jump shows in the ratio: {after:?}");
        // jump_robust: the quoted σ follows bipower.
        assert_eq!(after.sigma, after.bipower);
    }

    #[test]
    fn a_gap_is_one_return_over_its_duration() {
        let mut vol = Volatility::new(&VolatilityConfig { min_samples: 2, ..config() });
        let p = 60_000.0;
        vol.on_microprice(Nanos(SEC / 2), p); // grid 1 will carry p
        vol.on_microprice(Nanos(SEC + SEC / 2), p); // samples grid 1
        assert_eq!(vol.reading().returns, 0);
        // Ten seconds without an update (a resync), then the price is 10 bp higher. Grid 2
        // still takes p (a zero return over 1 s); the move is one return of 10 bp over the
        // 9 s from grid 2 to grid 11: z² = (1e-3)² / 9. Not a 10 bp one-second return
        // (z² = 1e-6), and not nine zero returns and a jump.
        let moved = p * 1e-3_f64.exp();
        vol.on_microprice(Nanos(11 * SEC + SEC / 2), moved);
        assert_eq!(vol.reading().returns, 2);
        // Weights 2^(−9/30) (grid 2) and 1 (grid 11): mean = (1e-6 / 9) / (1 + 2^(−0.3)).
        let expected = (1e-6 / 9.0 / (1.0 + 0.5_f64.powf(9.0 / 30.0))).sqrt();
        close(vol.reading().fast, expected, 1e-9);
        // Bipower: |z_gap|·|0| = 0.
        assert_eq!(vol.reading().bipower, 0.0);
        // After the gap, sampling resumes from grid 11 at the new price: grid 12 carries it
        // too (a zero return), then the moves are ordinary one-second returns.
        for (second, bp) in [(12, 2.0), (13, 1.0), (14, 3.0)] {
            vol.on_microprice(Nanos(second * SEC + SEC / 2), moved * (bp * 1e-4_f64).exp());
        }
        assert_eq!(vol.reading().returns, 5);
        assert!(vol.reading().bipower > 0.0, "{:?}", vol.reading());
    }

    #[test]
    fn grid_points_take_the_previous_tick() {
        let mut vol = Volatility::new(&VolatilityConfig { min_samples: 2, ..config() });
        // An update exactly on grid point 1 is the price there.
        vol.on_microprice(Nanos(SEC), 100.0);
        vol.on_microprice(Nanos(SEC + 999 * MS), 110.0); // grid 1 sampled: 100
        vol.on_microprice(Nanos(2 * SEC), 120.0); // no grid point in [1.999 s, 2 s)
        vol.on_microprice(Nanos(3 * SEC - 1), 130.0); // grid 2 sampled: 120 (updated at 2 s)
        assert_eq!(vol.reading().returns, 1);
        close(vol.reading().fast, (120.0_f64 / 100.0).ln(), 1e-12);
        // Out of order: the older time counts as 3 s − 1 ns, so no grid point passes.
        vol.on_microprice(Nanos(SEC), 140.0);
        assert_eq!(vol.reading().returns, 1);
        vol.on_microprice(Nanos(3 * SEC + 1), 150.0); // grid 3 sampled: 140
        assert_eq!(vol.reading().returns, 2);
        // Bad prices are ignored.
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            vol.on_microprice(Nanos(10 * SEC), bad);
        }
        assert_eq!(vol.reading().returns, 2);
    }

    #[test]
    fn implied_vol_is_blended_in_variance_while_fresh() {
        let mut vol =
            Volatility::new(&VolatilityConfig { implied_weight: 0.25, implied_max_age_s: 60.0, ..config() });
        // 80 %/year = 0.8 / √31 536 000 per √s ≈ 1.4246 bp/√s.
        vol.on_implied(Nanos(0), 0.8);
        let implied = 0.8 / 31_536_000.0_f64.sqrt();
        close(vol.reading().implied.unwrap(), implied, 1e-12);
        // Blended with the prior: √(0.75·prior² + 0.25·implied²).
        close(vol.reading().sigma, (0.75 * PRIOR * PRIOR + 0.25 * implied * implied).sqrt(), 1e-12);
        // Stale after 60 s of event time: the prior alone.
        vol.on_microprice(Nanos(60 * SEC), 60_000.0);
        assert!(vol.reading().implied.is_some());
        vol.on_microprice(Nanos(60 * SEC + 1), 60_000.0);
        assert_eq!(vol.reading().implied, None);
        assert_eq!(vol.reading().sigma, PRIOR);
        // Nonsense is ignored.
        vol.on_implied(Nanos(61 * SEC), f64::NAN);
        vol.on_implied(Nanos(61 * SEC), -0.5);
        vol.on_implied(Nanos(61 * SEC), 1e6);
        assert_eq!(vol.reading().implied, None);
    }

    proptest! {
        #[test]
        fn never_panics_and_stays_finite(
            updates in proptest::collection::vec((any::<i64>(), any::<f64>(), any::<bool>()), 0..200),
            interval_ms in 1_u64..5_000,
        ) {
            let mut vol = Volatility::new(&VolatilityConfig { interval_ms, min_samples: 2, ..config() });
            for (time, value, implied) in updates {
                if implied {
                    vol.on_implied(Nanos(time), value);
                } else {
                    vol.on_microprice(Nanos(time), value);
                }
                let reading = vol.reading();
                prop_assert!(reading.sigma.is_finite() && reading.sigma >= 0.0, "{reading:?}");
                prop_assert!(reading.fast.is_finite() && reading.slow.is_finite() && reading.bipower.is_finite());
                prop_assert!(reading.ratio.is_finite() && reading.ratio >= 0.0);
            }
        }

        #[test]
        fn realistic_paths_keep_every_estimate_finite(
            steps in proptest::collection::vec((0_i64..5 * SEC, -0.01_f64..0.01), 1..300),
        ) {
            let mut vol = Volatility::new(&VolatilityConfig { min_samples: 2, ..config() });
            let (mut time, mut log_price) = (1_723_161_255 * SEC, 60_000.0_f64.ln());
            for (dt, r) in steps {
                time += dt;
                log_price += r;
                vol.on_microprice(Nanos(time), log_price.exp());
                let reading = vol.reading();
                prop_assert!(reading.sigma.is_finite() && reading.sigma >= 0.0, "{reading:?}");
            }
        }
    }
}
