//! Liquidations, of longs and shorts alike: [`LiquidationTrack`] follows the Hawkes-style
//! intensity of liquidation notional against its baseline, and the branching ratio from the
//! counts of [`BucketCounts`]; it gives the [`CascadeSignal::Liquidations`] reading and the
//! [`HardTrigger::LiquidationSpike`] trigger.
//!
//! Defaults in parentheses; `N` is a liquidation's notional in the quote currency,
//! `qty × lot × average price`.
//!
//! Two views of the same prints, and the larger stress wins.
//! - *Intensity ratio* (the reading's value): the Hawkes-style decayed intensity of liquidation
//!   notional `λ(t) = Σ Nᵢ e^(−(t−tᵢ)/τ) / τ` (quote per second, `τ` =
//!   `liquidation_time_constant_s`, 30 s) over a slow baseline
//!   `B(t) = max(B₀, Σ' Nᵢ e^(−(t−tᵢ)/T) / (T · E(t)))` with `T` =
//!   `liquidation_baseline_time_constant_s` (1800 s), floored at `B₀` =
//!   `liquidation_floor_per_s` (1000 quote/s). `E(t) = ∫' e^(−(t−s)/T) ds / T` is the decayed
//!   time watched, so the baseline is bias-corrected for a short watch: a constant rate `R` since
//!   the start gives exactly `B = R` (`E = 1 − e^(−t/T)`). `Σ'` and `∫'` leave out the
//!   liquidations and the time while the baseline is frozen: from the moment the ratio
//!   reaches its warn level until it falls below halfway back to calm (stress 0.25; the
//!   hysteresis keeps a ratio hovering at warn from letting the burst in one print at a time).
//!   The baseline learns the calm: a burst would otherwise, early in a watch, drag the
//!   baseline up with it and hide itself. Mapping: calm 1, warn
//!   `liquidation_ratio_warn` (4), cascade `liquidation_ratio_cascade` (10).
//! - *Branching ratio*: the share of liquidations triggered by earlier ones. For a stationary
//!   Hawkes process with branching ratio `n` and an exponential kernel of rate `β`, the counts
//!   `N(Δ)` in windows of length `Δ` have the Fano factor
//!   `F(Δ) = Var N(Δ) / E N(Δ) = 1 + (1/(1−n)² − 1)·(1 − (1 − e^(−κΔ))/(κΔ))`, `κ = β(1−n)`,
//!   which tends to `1/(1−n)²` for windows long against the kernel. So
//!   `n̂ = 1 − 1/√F`, clamped to `[0, 0.999]`, from the counts in `branching_bucket_s` (1 s)
//!   buckets over the last `branching_window_buckets` (300) complete buckets, once they hold
//!   `branching_min_events` (20) liquidations. With buckets not much longer than the kernel,
//!   `F` is below its limit and `n̂` errs low; a rate that steps up inside the window (an
//!   exogenous shock) raises `F` and errs high. Mapping: calm `branching_calm` (0.5), warn
//!   `branching_warn` (0.7), cascade `branching_cascade` (0.9). The estimate remembers a
//!   burst for the whole window, and a self-exciting flow running at its usual rate, or
//!   stopped, is no danger; so this stress is multiplied by the activity
//!   `clamp((ratio − 1) / (liquidation_ratio_warn − 1), 0, 1)`: nothing at the baseline rate,
//!   fully from the intensity's warn level on, where it tells a burst that feeds itself
//!   (stress up to 1) from one that does not (the intensity's own stress).
//! - Hard trigger [`HardTrigger::LiquidationSpike`]: the intensity ratio at or above
//!   `spike_ratio` (20) while the price moved more than `spike_sigmas` (5) standard
//!   deviations over the last `spike_window_s` (10) seconds:
//!   `|ln(p(t) / p(t − W))| > k·σ₁·√W`, with `σ₁` the trailing standard deviation of
//!   1-second log returns of the price (see [`price`](super::price)).
//!
//! # References
//! - A. G. Hawkes, "Spectra of some self-exciting and mutually exciting point processes",
//!   *Biometrika* 58(1), 1971: the self-exciting process and its branching structure.
//! - V. Filimonov and D. Sornette, "Quantifying reflexivity in financial markets: toward a
//!   prediction of flash crashes", *Physical Review E* 85, 056108, 2012: the branching ratio as
//!   a measure of endogeneity.
//! - S. J. Hardiman, N. Bercot and J.-P. Bouchaud, "Critical reflexivity in financial markets: a
//!   Hawkes process analysis", *European Physical Journal B* 86, 442, 2013: the variance of
//!   Hawkes counts, `Var N(Δ) / E N(Δ) → 1/(1−n)²`.
//! - J. Da Fonseca and R. Zaatour, "Hawkes process: fast calibration, application to trade
//!   clustering, and diffusive limit", *Journal of Futures Markets* 34(6), 2014: the moments
//!   of counts of the exponential-kernel Hawkes process, from whose covariance density
//!   `F(Δ)` above follows (and is checked against a simulation in the tests).
//! - Y. Ogata, "On Lewis' simulation method for point processes", *IEEE Transactions on
//!   Information Theory* 27(1), 1981: the thinning simulation the scenario tests use.
//!
//! [`CascadeSignal::Liquidations`]: crate::cascade::CascadeSignal::Liquidations
//! [`HardTrigger::LiquidationSpike`]: crate::cascade::HardTrigger::LiquidationSpike

use feeds::Nanos;

use super::config::SignalsConfig;
use super::decay::{decay, time_constant_rate};
use super::price::PriceTrack;
use super::stress::{freeze, stress};
use super::units::{BPS, NANOS_PER_SEC, nanos};
use crate::cascade::SignalReading;

/// The most buckets the branching-ratio ring may have (a day of 1-second buckets).
pub(super) const MAX_BRANCHING_BUCKETS: u32 = 86_400;

/// Fewest complete buckets before a branching ratio is estimated.
pub(super) const MIN_BRANCHING_BUCKETS: usize = 10;

/// Largest branching ratio reported: `n̂ → 1` as `F → ∞`.
const MAX_BRANCHING: f64 = 0.999;

/// A bucket's count is capped here, so that sums of squares over a day of buckets fit a `u64`.
const MAX_BUCKET_COUNT: u64 = 1_000_000;

/// Counts of events in fixed buckets over a trailing window, and their Fano factor.
#[derive(Clone, Debug)]
struct BucketCounts {
    counts: Box<[u32]>,
    /// Where the next complete bucket goes.
    head: usize,
    /// Complete buckets held, at most `counts.len()`.
    filled: usize,
    sum: u64,
    sum_of_squares: u64,
    /// Index (time / width) of the open bucket; `None` before the first advance.
    bucket: Option<i64>,
    open: u64,
    width: i64,
}

impl BucketCounts {
    fn new(buckets: usize, width: i64) -> BucketCounts {
        BucketCounts {
            counts: vec![0; buckets].into_boxed_slice(),
            head: 0,
            filled: 0,
            sum: 0,
            sum_of_squares: 0,
            bucket: None,
            open: 0,
            width,
        }
    }

    /// Closes every bucket that ended by `time`.
    fn advance(&mut self, time: Nanos) {
        let index = time.0.div_euclid(self.width);
        let Some(open) = self.bucket else {
            self.bucket = Some(index);
            return;
        };
        if index <= open {
            return;
        }
        let count = self.open;
        self.push(count);
        // The buckets between were empty; no more than the ring holds need writing.
        let empty = (index - open - 1).min(self.counts.len() as i64);
        for _ in 0..empty {
            self.push(0);
        }
        self.bucket = Some(index);
        self.open = 0;
    }

    fn push(&mut self, count: u64) {
        let count = count.min(MAX_BUCKET_COUNT);
        if self.filled == self.counts.len() {
            let old = u64::from(self.counts[self.head]);
            self.sum -= old;
            self.sum_of_squares -= old * old;
        } else {
            self.filled += 1;
        }
        self.counts[self.head] = count as u32;
        self.sum += count;
        self.sum_of_squares += count * count;
        self.head = (self.head + 1) % self.counts.len();
    }

    fn record(&mut self, time: Nanos) {
        self.advance(time);
        self.open = self.open.saturating_add(1);
    }

    /// `1 − 1/√F` from the Fano factor of the complete buckets, clamped to
    /// `[0, MAX_BRANCHING]`; `None` with fewer than `min_events` events or
    /// `MIN_BRANCHING_BUCKETS` buckets.
    fn branching(&self, min_events: u64) -> Option<f64> {
        if self.filled < MIN_BRANCHING_BUCKETS || self.sum < min_events.max(1) {
            return None;
        }
        let n = self.filled as f64;
        let mean = self.sum as f64 / n;
        let variance = (self.sum_of_squares as f64 - self.sum as f64 * mean) / (n - 1.0);
        let fano = variance / mean;
        Some(if fano > 1.0 { (1.0 - 1.0 / fano.sqrt()).clamp(0.0, MAX_BRANCHING) } else { 0.0 })
    }
}

/// Liquidation intensity, baseline and branching ratio.
#[derive(Clone, Debug)]
pub(super) struct LiquidationTrack {
    seen: bool,
    /// `Σ Nᵢ e^(−(t−tᵢ)/τ) / τ`, quote per second, as of `time`.
    intensity: f64,
    /// `Σ' Nᵢ e^(−(t−tᵢ)/T) / T`, as of `time`.
    baseline_notional: f64,
    /// `E(t)`, the decayed share of watched, unfrozen time, as of `time`.
    exposure: f64,
    /// The baseline is frozen (see [`freeze`]).
    frozen: bool,
    time: Nanos,
    started: bool,
    fast_rate: f64,
    slow_rate: f64,
    counts: BucketCounts,
}

impl LiquidationTrack {
    pub(super) fn new(config: &SignalsConfig) -> LiquidationTrack {
        LiquidationTrack {
            seen: false,
            intensity: 0.0,
            baseline_notional: 0.0,
            exposure: 0.0,
            frozen: false,
            time: Nanos(0),
            started: false,
            fast_rate: time_constant_rate(config.liquidation_time_constant_s),
            slow_rate: time_constant_rate(config.liquidation_baseline_time_constant_s),
            counts: BucketCounts::new(
                config.branching_window_buckets as usize,
                nanos(config.branching_bucket_s).max(1),
            ),
        }
    }

    /// Decays everything to `now` and re-decides the freeze.
    pub(super) fn advance(&mut self, now: Nanos, config: &SignalsConfig) {
        if !self.started {
            self.started = true;
            self.time = now;
        }
        let elapsed = now.saturating_since(self.time);
        if elapsed > 0 {
            self.intensity *= decay(elapsed, self.fast_rate);
            let factor = decay(elapsed, self.slow_rate);
            self.baseline_notional *= factor;
            self.exposure = self.exposure * factor + if self.frozen { 0.0 } else { 1.0 - factor };
            self.time = now;
        }
        self.counts.advance(now);
        self.refreeze(config);
    }

    /// Freezes the baseline at the warn level, thaws it halfway back to calm.
    fn refreeze(&mut self, config: &SignalsConfig) {
        let ratio = self.ratio(config);
        self.frozen = freeze(
            self.frozen,
            stress(ratio, 1.0, config.liquidation_ratio_warn, config.liquidation_ratio_cascade),
        );
    }

    pub(super) fn on_liquidation(&mut self, time: Nanos, notional: f64, config: &SignalsConfig) {
        self.advance(time, config);
        self.seen = true;
        self.intensity += notional * self.fast_rate * NANOS_PER_SEC;
        if !self.frozen {
            self.baseline_notional += notional * self.slow_rate * NANOS_PER_SEC;
        }
        self.counts.record(time);
        self.refreeze(config);
    }

    fn baseline(&self, config: &SignalsConfig) -> f64 {
        let learned = if self.exposure > 1e-12 { self.baseline_notional / self.exposure } else { 0.0 };
        learned.max(config.liquidation_floor_per_s)
    }

    fn ratio(&self, config: &SignalsConfig) -> f64 {
        self.intensity / self.baseline(config)
    }

    /// The branching ratio `n̂` as of the last update; `None` while too few liquidations have
    /// been seen.
    pub(super) fn branching(&self, config: &SignalsConfig) -> Option<f64> {
        self.counts.branching(u64::from(config.branching_min_events))
    }

    /// The [`Liquidations`](crate::cascade::CascadeSignal::Liquidations) reading of a track
    /// [advanced](Self::advance) to now, `watched_s` seconds into the watch; `None` before the
    /// first liquidation or `warmup_s` of watching.
    pub(super) fn reading(&self, watched_s: f64, config: &SignalsConfig) -> Option<SignalReading> {
        if !(self.seen && watched_s >= config.warmup_s) {
            return None;
        }
        let ratio = self.ratio(config);
        let intensity = stress(ratio, 1.0, config.liquidation_ratio_warn, config.liquidation_ratio_cascade);
        let branching = self.branching(config).map_or(0.0, |n| {
            stress(n, config.branching_calm, config.branching_warn, config.branching_cascade)
        });
        let activity = ((ratio - 1.0) / (config.liquidation_ratio_warn - 1.0)).clamp(0.0, 1.0);
        Some(SignalReading { value: ratio, stress: intensity.max(branching * activity), known: true })
    }

    /// Whether [`LiquidationSpike`](crate::cascade::HardTrigger::LiquidationSpike) holds: the
    /// intensity ratio at or above `spike_ratio` while the price moved more than `spike_sigmas`
    /// standard deviations over `spike_window_s`.
    pub(super) fn spike(&self, price: &PriceTrack, config: &SignalsConfig) -> bool {
        self.ratio(config) >= config.spike_ratio
            && self.seen
            && match (price.sigma(config.price_vol_floor_bps / BPS), price.log_move(config.spike_window_s)) {
                (Some(sigma), Some(moved)) => {
                    moved.abs() > config.spike_sigmas * sigma * f64::from(config.spike_window_s).sqrt()
                }
                _ => false,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cascade::signals::CascadeSignals;
    use crate::cascade::signals::test_support::*;
    use crate::cascade::{CascadeSignal, HardTrigger};

    /// Seeded uniforms for the synthetic processes: `rand`'s ChaCha8, the same stream on every
    /// platform and `rand` release.
    struct Uniforms(rand_chacha::ChaCha8Rng);

    impl Uniforms {
        fn seeded(seed: u64) -> Uniforms {
            Uniforms(rand::SeedableRng::seed_from_u64(seed))
        }

        /// Uniform in `(0, 1]`.
        fn uniform(&mut self) -> f64 {
            1.0 - rand::Rng::random::<f64>(&mut self.0)
        }
    }

    /// Event times of a Hawkes process with baseline `mu` per second, branching ratio `n` and
    /// kernel `n·β·e^(−β·t)`, on `[0, horizon)`, by Ogata's thinning.
    fn hawkes(rng: &mut Uniforms, mu: f64, n: f64, beta: f64, horizon: f64) -> Vec<f64> {
        let (mut t, mut excitation, mut times) = (0.0, 0.0, Vec::new());
        loop {
            // The intensity only decays until the next event: its current value bounds it.
            let bound = mu + excitation;
            let wait = -rng.uniform().ln() / bound;
            excitation *= (-beta * wait).exp();
            t += wait;
            if t >= horizon {
                return times;
            }
            if rng.uniform() * bound <= mu + excitation {
                times.push(t);
                excitation += n * beta;
            }
        }
    }

    #[test]
    fn a_steady_liquidation_rate_is_its_own_baseline() {
        // Synthetic: 0.5 BTC at 60 000 (30 000 USDT) every 2 s from the start, a steady
        // 15 000 USDT/s. The bias-corrected baseline is the rate from the first minutes on, and
        // the intensity converges to it, so the ratio tends to 1 and there is no stress.
        let mut signals = signals();
        signals.inputs(at(0.0));
        for k in 0..600 {
            signals.on_event(&liquidation(1.0 + 2.0 * f64::from(k), 0.5, 60_000.0));
        }
        let reading = reading(&mut signals, 1200.0, CascadeSignal::Liquidations);
        assert!(reading.known);
        close(signals.liquidations.baseline(&signals.config), 15_000.0, 150.0);
        // The intensity, just after a print, sawtooths around the rate: within 1/τ of a print.
        close(reading.value, 1.0, 0.05);
        assert_eq!(reading.stress, 0.0);
        // One print a bucket every other bucket: counts 0, 1, 0, 1 … have a Fano factor of
        // about 1/2, under-dispersed, so no branching.
        assert_eq!(signals.branching_ratio(), Some(0.0));
    }

    #[test]
    fn a_burst_raises_the_ratio_against_a_frozen_baseline() {
        // Synthetic: 30 000 USDT every 2 s for 10 minutes (15 000 USDT/s), then ten times as
        // much, every 0.2 s, for a minute.
        let mut signals = signals();
        signals.inputs(at(0.0));
        for k in 0..300 {
            signals.on_event(&liquidation(2.0 * f64::from(k), 0.5, 60_000.0));
        }
        let before = signals.liquidations.baseline(&signals.config);
        close(before, 15_000.0, 150.0);
        let mut first_warn = None;
        for k in 0..300 {
            let seconds = 600.0 + 0.2 * f64::from(k);
            signals.on_event(&liquidation(seconds, 0.5, 60_000.0));
            let reading = reading(&mut signals, seconds, CascadeSignal::Liquidations);
            if first_warn.is_none() && reading.value >= 4.0 {
                first_warn = Some((seconds - 600.0, signals.liquidations.baseline(&signals.config)));
            }
        }
        let reading = reading(&mut signals, 660.0, CascadeSignal::Liquidations);
        let (warned_after, frozen) = first_warn.unwrap();
        // Until the ratio reached 4, about 20 s in, the burst joined the baseline: with ten
        // minutes watched, 20 s of 135 000 USDT/s more than usual add about
        // 20·135 000/620 ≈ 4 400 USDT/s. (Without a freeze it would keep climbing.) From then
        // on it is frozen, and stays so: the decays of the notional and of the time watched
        // cancel exactly.
        assert!(frozen > before * 1.2 && frozen < before * 1.4, "{frozen} vs {before}");
        close(signals.liquidations.baseline(&signals.config), frozen, frozen * 1e-12);
        assert!(warned_after > 15.0 && warned_after < 25.0, "{warned_after}");
        // After 60 s of the 10× rate the intensity is 1 + 9·(1 − e^(−2)) ≈ 8.8 times the old
        // rate, the ratio that over the frozen baseline.
        close(reading.value, 15_000.0 * (1.0 + 9.0 * (1.0 - (-2.0_f64).exp())) / frozen, 0.1);
        assert!(reading.stress > 0.5 && reading.stress < 1.0, "{reading:?}");
        // The burst is a rate step inside the window, which the Fano factor reads as some
        // clustering: of the last 300 one-second buckets, 120 hold 1, 60 hold 5 and the rest
        // none: mean 1.4, variance (1620 − 300·1.4²)/299, F ≈ 2.47, n̂ ≈ 0.36 (no stress).
        let fano = (1620.0 - 300.0 * 1.4 * 1.4) / 299.0 / 1.4;
        close(signals.branching_ratio().unwrap(), 1.0 - 1.0 / f64::sqrt(fano), 1e-12);
    }

    #[test]
    fn the_fano_factor_gives_the_branching_ratio() {
        // Synthetic counts: 0 and 8 alternately. Mean 4, variance 16·n/(n − 1) over n
        // buckets, Fano ≈ 4, so n̂ = 1 − 1/2 = 0.5.
        let mut counts = BucketCounts::new(100, Nanos::PER_SECOND);
        for second in 0..=100_i64 {
            let time = Nanos(second * Nanos::PER_SECOND);
            counts.advance(time);
            for _ in 0..if second % 2 == 0 { 8 } else { 0 } {
                counts.record(time);
            }
        }
        counts.advance(Nanos(101 * Nanos::PER_SECOND));
        let fano = 16.0 * 100.0 / 99.0 / 4.0;
        close(counts.branching(20).unwrap(), 1.0 - 1.0 / f64::sqrt(fano), 1e-12);
        // Too few events: no estimate.
        assert_eq!(counts.branching(1_000), None);
        // A long silence empties the ring without walking a day of buckets one by one.
        counts.advance(Nanos(1_000_000 * Nanos::PER_SECOND));
        assert_eq!((counts.sum, counts.sum_of_squares, counts.filled), (0, 0, 100));
    }

    #[test]
    fn the_branching_ratio_of_a_simulated_hawkes_process_matches_the_theory() {
        // Synthetic: an hour of a Hawkes process with μ = 1/s, n = 0.8 and β = 5/s (Ogata
        // thinning, seed 7). For 1-second buckets the Fano factor is not its long-window limit
        // 1/(1 − n)² = 25 but F(1) = 1 + 24·(1 − (1 − e^(−κ))/κ) with κ = β(1 − n) = 1,
        // ≈ 9.8, so n̂ ≈ 1 − 1/√9.8 ≈ 0.68: low, as the module docs warn. Over 3600 buckets
        // the estimate lands within a few hundredths of that.
        let mut rng = Uniforms::seeded(7);
        let times = hawkes(&mut rng, 1.0, 0.8, 5.0, 3600.0);
        let config = SignalsConfig { branching_window_buckets: 3600, ..SignalsConfig::default() };
        let mut signals = CascadeSignals::new(&config, TICK, LOT);
        signals.inputs(at(0.0));
        for &t in &times {
            signals.on_event(&liquidation(t, 0.5, 60_000.0));
        }
        signals.inputs(at(3600.0));
        let kappa: f64 = 1.0;
        let fano = 1.0 + 24.0 * (1.0 - (1.0 - (-kappa).exp()) / kappa);
        let expected = 1.0 - 1.0 / fano.sqrt();
        let estimate = signals.branching_ratio().unwrap();
        close(estimate, expected, 0.05);
        // And a Poisson process of the same mean rate (n = 0) reads as unclustered.
        let mut signals = CascadeSignals::new(&config, TICK, LOT);
        signals.inputs(at(0.0));
        for &t in &hawkes(&mut Uniforms::seeded(7), 5.0, 0.0, 5.0, 3600.0) {
            signals.on_event(&liquidation(t, 0.5, 60_000.0));
        }
        signals.inputs(at(3600.0));
        assert!(signals.branching_ratio().unwrap() < 0.1, "{:?}", signals.branching_ratio());
    }

    #[test]
    fn branching_tells_a_clustered_burst_and_counts_only_while_it_flows() {
        // Synthetic: one 30 000 USDT print every 2 s for 10 minutes (15 000 USDT/s), then a
        // minute at ten times that rate, either clustered (60 prints of 30 000 USDT in one
        // second out of every twelve) or even (one print of 30 000 USDT every 0.2 s), then
        // silence.
        let run = |clustered: bool| {
            let mut signals = signals();
            signals.inputs(at(0.0));
            for k in 0..300 {
                signals.on_event(&liquidation(2.0 * f64::from(k), 0.5, 60_000.0));
            }
            for k in 0..300 {
                let seconds = if clustered {
                    600.0 + 12.0 * f64::from(k / 60) + 0.01 * f64::from(k % 60)
                } else {
                    600.0 + 0.2 * f64::from(k)
                };
                signals.on_event(&liquidation(seconds, 0.5, 60_000.0));
            }
            let during = reading(&mut signals, 660.0, CascadeSignal::Liquidations);
            let branching_during = signals.branching_ratio().unwrap();
            let after = reading(&mut signals, 900.0, CascadeSignal::Liquidations);
            (during, branching_during, after, signals.branching_ratio().unwrap())
        };
        let activity = |ratio: f64| ((ratio - 1.0) / 3.0).clamp(0.0, 1.0);
        let (during, branching, after, branching_after) = run(true);
        // Clustered: of the last 300 one-second buckets, 5 hold 60 or 61, the others 0 or 1:
        // F ≈ 42, n̂ ≈ 0.85, stress ≈ 0.87. The intensity is past warn (activity 1), and the
        // branching stress is the larger.
        close(branching, 0.85, 0.01);
        assert!(during.value > 4.0, "{during:?}");
        let intensity = stress(during.value, 1.0, 4.0, 10.0);
        let clustering = stress(branching, 0.5, 0.7, 0.9);
        assert!(clustering > intensity, "{clustering} vs {intensity}");
        close(during.stress, clustering, 1e-12);
        // Even: the same notional, no clustering beyond the rate step: the stress is the
        // intensity's.
        let (even, even_branching, ..) = run(false);
        assert!(even_branching < 0.5, "{even_branching}");
        close(even.stress, stress(even.value, 1.0, 4.0, 10.0), 1e-12);
        // Four minutes after the burst the window still holds it (n̂ > 0.7), but the flow has
        // stopped: activity 0, no stress.
        assert!(branching_after > 0.7, "{branching_after}");
        assert_eq!(activity(after.value), 0.0);
        assert!(after.value < 0.05 && after.stress == 0.0, "{after:?}");
    }

    #[test]
    fn a_spike_needs_both_the_intensity_and_the_price_move() {
        // Synthetic: a price wandering ±1 tick around 60 000 every 100 ms for five minutes
        // (σ₁ at its floor-ish level), then a 60 bp fall over 5 s, with and without a burst of
        // liquidations.
        let run = |burst: bool, fall: bool| {
            let mut signals = signals();
            let mut price = 600_000.0;
            for k in 0..3000 {
                let seconds = 0.1 * f64::from(k);
                price += if k % 3 == 0 {
                    1.0
                } else if k % 3 == 1 {
                    -1.0
                } else {
                    0.0
                };
                signals.on_book(at(seconds), 20e6, 0.016, price);
            }
            signals.on_event(&liquidation(0.0, 0.01, 60_000.0));
            for k in 0..50 {
                let seconds = 300.0 + 0.1 * f64::from(k);
                if fall {
                    price *= 1.0 - 0.006 / 50.0;
                }
                signals.on_book(at(seconds), 20e6, 0.016, price);
                if burst {
                    signals.on_event(&liquidation(seconds, 5.0, 60_000.0));
                }
            }
            signals.inputs(at(305.0)).hard
        };
        assert_eq!(run(true, true), Some(HardTrigger::LiquidationSpike));
        assert_eq!(run(true, false), None);
        assert_eq!(run(false, true), None);
    }
}
