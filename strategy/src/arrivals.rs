//! Fill intensity at a distance from the mid, `λ(δ) = A·e^(−kδ)`, fitted online from takers.
//!
//! - [`ArrivalFit`]: the estimator. Give it every completed [`TakerBurst`]
//!   ([`ArrivalFit::on_burst`]) and the time of every event ([`ArrivalFit::on_time`]); read an
//!   [`ArrivalReading`].
//! - [`ArrivalReading`]: `A` (arrivals per second at the mid) and `k` (decay per tick), as the
//!   GLFT policy ([`crate::policy::glft`]) and Avellaneda–Stoikov take them.
//! - [`ArrivalConfig`]: window, bins, refit cadence and the prior.
//!
//! # Counting
//! A resting quote `δ` ticks from the mid is filled by a taker whose order reaches at least
//! `δ` past the mid. So each burst with a known [`depth_ticks`](TakerBurst::depth_ticks) `D`
//! (how far past the mid before it the last print was, clamped at 0) adds one to every bin
//! `j = 0, 1, …, bins − 1` with `d_j = j·bin_ticks ≤ D`. The counts decay with time constant
//! `τ = window_s`: `N_j(t) = Σ_{bursts i reaching d_j} e^(−(t − t_i)/τ)`. Over the same
//! weighting, the time observed since the first burst `t_0` is
//! `E(t) = ∫_{t_0}^{t} e^(−(t − s)/τ) ds = τ·(1 − e^(−(t − t_0)/τ))`, so
//! `λ_j = N_j / E` is the decayed arrival rate at `d_j`, per second.
//!
//! # Fitting
//! Every `refit_interval_s`, `ln λ_j = ln A − k·d_j` is fitted by ordinary least squares over
//! the bins with `N_j ≥ min_count` (a prefix, since `N_j` falls with `j`). With fewer than three
//! such bins, or a fit with `k ≤ 0` or a non-finite `A` or `k`, the reading reverts to the
//! configured prior (`fitted = false`) rather than keeping the previous fit: a fit the
//! decayed evidence no longer supports is not used.
//!
//! The procedure is the one of the hftbacktest GLFT tutorial ("Guéant–Lehalle–Fernandez-Tapia
//! Market Making Model and Grid Trading", after the quant.stackexchange answer it cites), made
//! online: decayed counts instead of a fixed window. Unweighted least squares, as there: deep
//! bins, with fewer arrivals, are noisier, which `min_count` bounds.
//!
//! # On BTCUSDT
//! The 2024-08-08 Binance USD-M recording (0.1 USDT tick) is far from exponential: about
//! 16–18 bursts/s reach the mid, 4–6/s one tick past it, and then the rate hardly falls (still
//! 3–5/s at 8 ticks; ~10 % of bursts end 20 or more ticks past the mid: partly real sweeps of
//! a thin 0.1-tick ladder, partly a mid tens of milliseconds old at the print while the price
//! moves ~40 ticks/√s). The fitted `k` therefore depends on how far the bins reach: median
//! 0.056/tick with 20 bins (the default), 0.28 with 6, 0.57 with 4 (`A` 3.4, 6.0 and 8.4 per
//! second).
//!
//! Allocates the bins once, at construction; never panics on data (bursts without a mid or
//! with a non-finite depth are ignored; time going backwards counts as no time elapsed).

use crate::config::StrategyConfigError;
use crate::decay::{Decay, NANOS_PER_SEC};
use crate::taker::TakerBurst;
use feeds::Nanos;
use serde::{Deserialize, Serialize};

/// Most bins accepted.
const MAX_BINS: usize = 1024;

/// How arrival intensities are fitted. Read from the `[strategy.arrivals]` table.
///
/// ```
/// # use strategy::arrivals::ArrivalConfig;
/// let config: ArrivalConfig = toml::from_str("window_s = 300\nbins = 10")?;
/// assert_eq!((config.window_s, config.bins), (300.0, 10));
/// config.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArrivalConfig {
    /// Time constant `τ` of the decayed counts, seconds. Default 600. Finite and positive.
    pub window_s: f64,
    /// Number of distance bins `d_j = j·bin_ticks`, `j = 0 … bins − 1`. Default 20.
    /// In `[3, 1024]`.
    pub bins: usize,
    /// Spacing of the bins, ticks. Default 1. Finite and positive.
    pub bin_ticks: f64,
    /// Decayed arrivals a bin needs to enter the fit. Default 5. Finite and at least 1.
    pub min_count: f64,
    /// Time between refits, seconds. Default 5. Finite and non-negative (0: at every
    /// [`ArrivalFit::on_time`]).
    pub refit_interval_s: f64,
    /// `A` used until a fit succeeds: taker arrivals per second reaching the mid. Default
    /// 3.5, close to what the default fit gives on the 2024-08-08 BTCUSDT recording (median
    /// 3.4, 10–90 % range 2.6–7.6). Finite and positive.
    pub prior_a: f64,
    /// `k` used until a fit succeeds, per tick. Default 0.05, close to what the default fit
    /// gives on the same recording (median 0.056, range 0.029–0.060, with a 0.1 USDT tick).
    /// Finite and positive.
    ///
    /// That is a slow decay although most takers fill at the touch: on BTCUSDT the profile
    /// is a cliff at the touch and then a nearly flat tail, which one exponential cannot
    /// follow; over 20 one-tick bins the tail wins (see the module docs).
    pub prior_k: f64,
}

impl Default for ArrivalConfig {
    fn default() -> ArrivalConfig {
        ArrivalConfig {
            window_s: 600.0,
            bins: 20,
            bin_ticks: 1.0,
            min_count: 5.0,
            refit_interval_s: 5.0,
            prior_a: 3.5,
            prior_k: 0.05,
        }
    }
}

impl ArrivalConfig {
    /// Checks every field; the first bad one is named in the error (`arrivals.<field>`).
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
            positive(self.window_s),
            "arrivals.window_s",
            self.window_s,
            "must be a finite positive number",
        )?;
        check((3..=MAX_BINS).contains(&self.bins), "arrivals.bins", self.bins, "must be between 3 and 1024")?;
        check(
            positive(self.bin_ticks),
            "arrivals.bin_ticks",
            self.bin_ticks,
            "must be a finite positive number",
        )?;
        check(
            self.min_count.is_finite() && self.min_count >= 1.0,
            "arrivals.min_count",
            self.min_count,
            "must be a finite number of at least 1",
        )?;
        check(
            self.refit_interval_s.is_finite() && self.refit_interval_s >= 0.0,
            "arrivals.refit_interval_s",
            self.refit_interval_s,
            "must be a finite non-negative number",
        )?;
        check(positive(self.prior_a), "arrivals.prior_a", self.prior_a, "must be a finite positive number")?;
        check(positive(self.prior_k), "arrivals.prior_k", self.prior_k, "must be a finite positive number")
    }
}

/// The fill intensity `λ(δ) = A·e^(−kδ)` in use.
///
/// The default (all zero) is what [`Signals`](crate::Signals) holds before an [`ArrivalFit`]
/// has written to it; policies treat a non-positive `a` or `k` as "unknown" and use their own
/// fallback. An [`ArrivalFit`] starts at its prior.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ArrivalReading {
    /// Arrivals per second of takers reaching the mid (`δ = 0`).
    pub a: f64,
    /// Decay of the arrival rate with distance from the mid, per tick.
    pub k: f64,
    /// True when `a` and `k` come from the latest fit, false when they are the prior.
    pub fitted: bool,
    /// Bursts counted so far (those with a known depth).
    pub bursts: u64,
}

impl ArrivalReading {
    /// `λ(δ) = A·e^(−kδ)`: taker arrivals per second reaching `depth_ticks` past the mid.
    #[inline]
    pub fn intensity(&self, depth_ticks: f64) -> f64 {
        self.a * (-self.k * depth_ticks).exp()
    }
}

/// Fits `λ(δ) = A·e^(−kδ)` to taker bursts; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct ArrivalFit {
    decay: Decay,
    /// `τ`, seconds.
    window_s: f64,
    bin_ticks: f64,
    min_count: f64,
    /// Nanoseconds between refits.
    refit_interval: i64,
    prior_a: f64,
    prior_k: f64,
    /// `N_j` as of `time`: decayed bursts reaching `j·bin_ticks`. Non-increasing in `j`.
    counts: Box<[f64]>,
    /// The latest time seen (never decreases); `counts` are decayed to at most this.
    time: Nanos,
    /// When `counts` were last decayed (at most `time`).
    counted: Nanos,
    /// The first burst's time; `None` before it.
    first: Option<Nanos>,
    /// The last refit's time; `None` before the first.
    refitted: Option<Nanos>,
    reading: ArrivalReading,
}

impl ArrivalFit {
    /// A fit with no data, reading the prior. Allocates the bins.
    ///
    /// # Panics
    /// If `config` does not [validate](ArrivalConfig::validate): a construction bug.
    pub fn new(config: &ArrivalConfig) -> ArrivalFit {
        if let Err(error) = config.validate() {
            panic!("ArrivalFit::new with an invalid config: {error}");
        }
        ArrivalFit {
            decay: Decay::time_constant(config.window_s),
            window_s: config.window_s,
            bin_ticks: config.bin_ticks,
            min_count: config.min_count,
            refit_interval: (config.refit_interval_s * NANOS_PER_SEC).round() as i64,
            prior_a: config.prior_a,
            prior_k: config.prior_k,
            counts: vec![0.0; config.bins].into_boxed_slice(),
            time: Nanos(i64::MIN),
            counted: Nanos(i64::MIN),
            first: None,
            refitted: None,
            reading: ArrivalReading { a: config.prior_a, k: config.prior_k, fitted: false, bursts: 0 },
        }
    }

    /// Counts a completed burst at every bin it reached. Bursts without a mid before them
    /// (`depth_ticks()` is `None`) or with a non-finite depth are ignored.
    #[inline]
    pub fn on_burst(&mut self, burst: &TakerBurst) {
        let Some(depth) = burst.depth_ticks().filter(|depth| depth.is_finite()) else { return };
        let depth = depth.max(0.0);
        self.advance(burst.time);
        self.first.get_or_insert(self.time);
        for (j, count) in self.counts.iter_mut().enumerate() {
            if depth < j as f64 * self.bin_ticks {
                break;
            }
            *count += 1.0;
        }
        self.reading.bursts += 1;
    }

    /// Time has reached `now` (any event's exchange time): refits if `refit_interval_s` has
    /// passed since the last refit.
    #[inline]
    pub fn on_time(&mut self, now: Nanos) {
        self.time = self.time.max(now);
        if self.first.is_none() {
            return;
        }
        let due = self.refitted.is_none_or(|last| self.time.saturating_since(last) >= self.refit_interval);
        if due {
            self.refit();
        }
    }

    /// The intensity in use.
    #[inline]
    pub fn reading(&self) -> &ArrivalReading {
        &self.reading
    }

    /// `λ_j = N_j / E` at the latest time seen, per second, bin by bin; `None` until some
    /// time has passed since the first burst. For diagnostics.
    pub fn rates(&self) -> Option<impl Iterator<Item = f64> + '_> {
        let exposure = self.exposure();
        let factor = self.decay.factor(self.time.saturating_since(self.counted));
        (exposure > 0.0).then(|| self.counts.iter().map(move |count| count * factor / exposure))
    }

    /// Moves the latest time to `now` (if later) and decays the counts to it.
    fn advance(&mut self, now: Nanos) {
        self.time = self.time.max(now);
        if self.time > self.counted {
            let factor = self.decay.factor(self.time.saturating_since(self.counted));
            for count in self.counts.iter_mut() {
                *count *= factor;
            }
            self.counted = self.time;
        }
    }

    /// `E = τ·(1 − e^(−(t − t_0)/τ))`, seconds of decayed exposure since the first burst.
    fn exposure(&self) -> f64 {
        let Some(first) = self.first else { return 0.0 };
        let elapsed = self.time.saturating_since(first) as f64 / NANOS_PER_SEC;
        -self.window_s * (-elapsed / self.window_s).exp_m1()
    }

    fn refit(&mut self) {
        self.advance(self.time);
        self.refitted = Some(self.time);
        let exposure = self.exposure();
        let fit = if exposure > 0.0 { self.least_squares(exposure) } else { None };
        let (a, k, fitted) = match fit {
            Some((a, k)) => (a, k, true),
            None => (self.prior_a, self.prior_k, false),
        };
        self.reading.a = a;
        self.reading.k = k;
        self.reading.fitted = fitted;
    }

    /// OLS of `ln(N_j / E)` on `d_j` over the leading bins with `N_j ≥ min_count`; `(A, k)` if
    /// there are at least three and the fit is sensible.
    fn least_squares(&self, exposure: f64) -> Option<(f64, f64)> {
        let used = self.counts.iter().take_while(|&&count| count >= self.min_count).count();
        if used < 3 {
            return None;
        }
        let n = used as f64;
        let point = |(j, count): (usize, &f64)| (j as f64 * self.bin_ticks, (count / exposure).ln());
        let points = || self.counts[..used].iter().enumerate().map(point);
        let (sum_x, sum_y) = points().fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x, sy + y));
        let (mean_x, mean_y) = (sum_x / n, sum_y / n);
        let (sxx, sxy) = points().fold((0.0, 0.0), |(sxx, sxy), (x, y)| {
            let dx = x - mean_x;
            (sxx + dx * dx, sxy + dx * (y - mean_y))
        });
        let k = -sxy / sxx;
        let a = (mean_y + k * mean_x).exp();
        (k > 0.0 && k.is_finite() && a > 0.0 && a.is_finite()).then_some((a, k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_random::Uniforms;
    use feeds::{Lots, Side, Ticks};

    const SEC: i64 = 1_000_000_000;

    /// A buyer's burst at `time` whose last print is `depth` ticks above the mid before it.
    fn burst(time: i64, depth: f64) -> TakerBurst {
        let last = 600_000;
        TakerBurst {
            time: Nanos(time),
            side: Side::Bid,
            first_price: Ticks(last),
            last_price: Ticks(last),
            levels: 1,
            trades: 1,
            qty: Lots(1),
            price_qty: last as f64,
            notional: 1.0,
            mid_before: Some(last as f64 - depth),
            forced: false,
        }
    }

    #[test]
    fn defaults_validate_and_an_empty_table_gives_them() {
        assert_eq!(ArrivalConfig::default().validate(), Ok(()));
        assert_eq!(toml::from_str::<ArrivalConfig>("").unwrap(), ArrivalConfig::default());
        assert!(toml::from_str::<ArrivalConfig>("window = 3").is_err());
    }

    #[test]
    fn each_bad_field_is_named() {
        let default = ArrivalConfig::default();
        let cases = [
            ("arrivals.window_s", ArrivalConfig { window_s: 0.0, ..default }),
            ("arrivals.bins", ArrivalConfig { bins: 2, ..default }),
            ("arrivals.bin_ticks", ArrivalConfig { bin_ticks: f64::NAN, ..default }),
            ("arrivals.min_count", ArrivalConfig { min_count: 0.5, ..default }),
            ("arrivals.refit_interval_s", ArrivalConfig { refit_interval_s: -1.0, ..default }),
            ("arrivals.prior_a", ArrivalConfig { prior_a: 0.0, ..default }),
            ("arrivals.prior_k", ArrivalConfig { prior_k: f64::INFINITY, ..default }),
        ];
        for (field, config) in cases {
            assert_eq!(config.validate().unwrap_err().field(), field);
        }
    }

    #[test]
    #[should_panic(expected = "ArrivalFit::new with an invalid config")]
    fn an_invalid_config_is_a_construction_bug() {
        ArrivalFit::new(&ArrivalConfig { bins: 0, ..ArrivalConfig::default() });
    }

    #[test]
    fn counts_are_cumulative_and_decay_with_the_window() {
        // Window 100 s, bins at 0, 1, 2, 3 ticks.
        let config = ArrivalConfig { window_s: 100.0, bins: 4, min_count: 1.0, ..ArrivalConfig::default() };
        let mut fit = ArrivalFit::new(&config);
        fit.on_burst(&burst(0, 0.5)); // bin 0
        fit.on_burst(&burst(0, 2.0)); // bins 0, 1, 2 (2.0 reaches d_2 = 2 exactly)
        fit.on_burst(&burst(0, -0.5)); // a print inside the spread: clamped to 0, bin 0
        fit.on_time(Nanos(100 * SEC));
        // After one time constant every count is × 1/e, and E = 100·(1 − 1/e).
        let exposure = 100.0 * (1.0 - (-1.0_f64).exp());
        let expected = [3.0, 1.0, 1.0, 0.0].map(|count| count * (-1.0_f64).exp() / exposure);
        for (rate, expected) in fit.rates().unwrap().zip(expected) {
            assert!((rate - expected).abs() < 1e-12, "{rate} != {expected}");
        }
        assert_eq!(fit.reading().bursts, 3);
        // A burst without a mid is not counted.
        fit.on_burst(&TakerBurst { mid_before: None, ..burst(0, 1.0) });
        assert_eq!(fit.reading().bursts, 3);
    }

    #[test]
    fn exact_exponential_rates_are_recovered_exactly() {
        // Bins 0..5 hold e^(−0.7·j)·1000 bursts each (cumulative), all at t = 0, read 10 s
        // later: λ_j = 1000·e^(−0.7 j)·e^(−10/600) / (600·(1 − e^(−10/600))), so the fit is
        // exact: k = 0.7, A = λ_0.
        // The counts are not whole numbers, so they are written directly: what is under test
        // is the exposure and the least squares.
        let mut fit = ArrivalFit::new(&ArrivalConfig { bins: 6, ..ArrivalConfig::default() });
        let cumulative: Vec<f64> = (0..6).map(|j| 1000.0 * (-0.7 * j as f64).exp()).collect();
        fit.first = Some(Nanos(0));
        fit.counted = Nanos(0);
        fit.time = Nanos(0);
        fit.counts.copy_from_slice(&cumulative);
        fit.on_time(Nanos(10 * SEC));
        let reading = *fit.reading();
        let decay = (-10.0_f64 / 600.0).exp();
        let a = 1000.0 * decay / (600.0 * (1.0 - decay));
        assert!(reading.fitted);
        assert!((reading.k - 0.7).abs() < 1e-9, "{reading:?}");
        assert!((reading.a - a).abs() < 1e-9 * a, "{reading:?} vs A = {a}");
    }

    #[test]
    fn a_synthetic_exponential_depth_stream_is_fitted() {
        // Synthetic data, seeded: taker bursts arrive as a Poisson process of rate 10/s and
        // reach an exponentially distributed depth with rate 0.8 per tick, so
        // P(depth ≥ d) = e^(−0.8 d) and λ(d) = 10·e^(−0.8 d): A = 10, k = 0.8.
        let (rate, k) = (10.0, 0.8);
        let mut rng = Uniforms::seeded(42);
        let mut fit = ArrivalFit::new(&ArrivalConfig::default());
        let mut time = 1_723_161_255.0 * NANOS_PER_SEC;
        let end = time + 3_000.0 * NANOS_PER_SEC;
        while time < end {
            time += rng.exponential(rate) * NANOS_PER_SEC;
            fit.on_burst(&burst(time as i64, rng.exponential(k)));
            fit.on_time(Nanos(time as i64));
        }
        let reading = *fit.reading();
        assert!(reading.fitted, "{reading:?}");
        assert!((reading.k - k).abs() < 0.08 * k, "{reading:?}");
        assert!((reading.a - rate).abs() < 0.15 * rate, "{reading:?}");
        assert!((reading.intensity(1.0) - rate * (-k).exp()).abs() < 0.15 * rate * (-k).exp());
    }

    #[test]
    fn the_prior_holds_until_three_bins_have_enough_arrivals() {
        let config = ArrivalConfig::default();
        let mut fit = ArrivalFit::new(&config);
        assert_eq!(*fit.reading(), ArrivalReading { a: 3.5, k: 0.05, fitted: false, bursts: 0 });
        // Five bursts reaching 1.5 ticks and four reaching 2.5: bins 0 and 1 have five,
        // bin 2 has four. Two bins: not enough.
        for i in 0..5 {
            fit.on_burst(&burst(i * SEC, 1.5));
        }
        for i in 5..9 {
            fit.on_burst(&burst(i * SEC, 2.5));
        }
        fit.on_time(Nanos(9 * SEC));
        assert!(!fit.reading().fitted);
        assert_eq!((fit.reading().a, fit.reading().k), (3.5, 0.05));
        // Two more reaching 2.5: bins 0, 1 and 2 hold about 11, 11 and 6 (decayed a little),
        // and the next refit, 5 s after the last one, fits.
        fit.on_burst(&burst(9 * SEC, 2.5));
        fit.on_burst(&burst(9 * SEC, 2.5));
        fit.on_time(Nanos(13 * SEC));
        assert!(!fit.reading().fitted, "refits wait for refit_interval_s");
        fit.on_time(Nanos(14 * SEC));
        assert!(fit.reading().fitted, "{:?}", fit.reading());
        assert!(fit.reading().k > 0.0);
    }

    #[test]
    fn a_flat_or_rising_profile_is_not_a_fit() {
        // Every burst sweeps 10 ticks: bins 0..=10 are equal, the slope is 0, k = 0.
        let mut fit = ArrivalFit::new(&ArrivalConfig::default());
        for i in 0..50 {
            fit.on_burst(&burst(i * SEC / 10, 10.0));
        }
        fit.on_time(Nanos(5 * SEC));
        assert_eq!(*fit.reading(), ArrivalReading { a: 3.5, k: 0.05, fitted: false, bursts: 50 });
    }

    #[test]
    fn time_going_backwards_is_no_time() {
        let mut fit = ArrivalFit::new(&ArrivalConfig { min_count: 1.0, ..ArrivalConfig::default() });
        fit.on_burst(&burst(10 * SEC, 3.0));
        fit.on_burst(&burst(5 * SEC, 3.0)); // older: counted at 10 s
        fit.on_time(Nanos(0));
        fit.on_time(Nanos(i64::MIN));
        // Both at 10 s and time still there: no exposure yet, so no rates and no fit.
        assert!(fit.rates().is_none());
        assert_eq!(*fit.reading(), ArrivalReading { a: 3.5, k: 0.05, fitted: false, bursts: 2 });
        fit.on_time(Nanos(11 * SEC));
        let expected = 2.0 * (-1.0_f64 / 600.0).exp() / (600.0 * (1.0 - (-1.0_f64 / 600.0).exp()));
        let rate = fit.rates().unwrap().next().unwrap();
        assert!((rate - expected).abs() < 1e-9 * expected, "{rate} != {expected}");
    }
}
