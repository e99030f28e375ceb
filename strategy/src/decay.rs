//! Exponential forgetting in event time: the building block of every decayed signal.
//!
//! - [`Decay`]: a time constant `τ`; [`Decay::factor`] is `e^(−Δt/τ)` for an elapsed `Δt`.
//! - [`DecayedSum`]: `Σ x_i · e^(−(t − t_i)/τ)`, a decayed total (notional, counts).
//! - [`DecayedMean`]: `Σ w_i x_i / Σ w_i` with `w_i = e^(−(t − t_i)/τ)`, the bias-free
//!   exponentially weighted mean of irregularly timed samples.
//! - [`AsymmetricSmoother`]: follows a target quickly when it rises and slowly when it falls
//!   (separate half-lives), so a warning is raised at once and withdrawn with care.
//!
//! Time is the exchange's [`Nanos`] carried by events. An update older than the last one (the
//! venue's streams are stamped by different clocks) is treated as simultaneous with it: time
//! never goes backwards, and nothing is decayed by a negative interval.

use feeds::Nanos;
use std::f64::consts::LN_2;

/// Nanoseconds in one second, as `f64`.
pub(crate) const NANOS_PER_SEC: f64 = 1e9;

/// An exponential decay with time constant `τ`: weight `e^(−Δt/τ)` after `Δt`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decay {
    /// `1/τ`, per nanosecond.
    rate: f64,
}

impl Decay {
    /// Decay with time constant `tau_secs` (the weight falls to `1/e` after it). A
    /// non-positive or non-finite constant forgets everything at once.
    pub fn time_constant(tau_secs: f64) -> Decay {
        let rate = if tau_secs > 0.0 && tau_secs.is_finite() {
            1.0 / (tau_secs * NANOS_PER_SEC)
        } else {
            f64::INFINITY
        };
        Decay { rate }
    }

    /// Decay with half-life `secs` (the weight halves after it).
    pub fn half_life(secs: f64) -> Decay {
        Decay::time_constant(secs / LN_2)
    }

    /// The time constant `τ`, in seconds.
    pub fn tau_secs(&self) -> f64 {
        1.0 / (self.rate * NANOS_PER_SEC)
    }

    /// `e^(−elapsed/τ)`; 1 for `elapsed ≤ 0`.
    #[inline]
    pub fn factor(&self, elapsed_nanos: i64) -> f64 {
        if elapsed_nanos <= 0 { 1.0 } else { (-(elapsed_nanos as f64) * self.rate).exp() }
    }
}

/// A decayed total `Σ x_i · e^(−(t − t_i)/τ)`, kept as of the time of its last update.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DecayedSum {
    decay: Decay,
    value: f64,
    time: Nanos,
}

impl DecayedSum {
    /// An empty sum with this decay.
    pub fn new(decay: Decay) -> DecayedSum {
        DecayedSum { decay, value: 0.0, time: Nanos(0) }
    }

    /// Decays the sum to `now` (no-op when `now` is not later than its time).
    #[inline]
    pub fn advance(&mut self, now: Nanos) {
        if now.0 > self.time.0 {
            self.value *= self.decay.factor(now.0 - self.time.0);
            self.time = now;
        }
    }

    /// Adds `x` at `now` (decaying what was there first).
    #[inline]
    pub fn add(&mut self, now: Nanos, x: f64) {
        self.advance(now);
        self.value += x;
    }

    /// The sum as of its last update.
    #[inline]
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The sum as it will be at `now` if nothing is added; does not change it.
    #[inline]
    pub fn value_at(&self, now: Nanos) -> f64 {
        self.value * self.decay.factor(now.0 - self.time.0)
    }

    /// Time of the last update.
    #[inline]
    pub fn time(&self) -> Nanos {
        self.time
    }

    /// The decay.
    #[inline]
    pub fn decay(&self) -> Decay {
        self.decay
    }
}

/// The exponentially weighted mean of irregularly timed samples, `Σ w_i x_i / Σ w_i` with
/// `w_i = e^(−(t − t_i)/τ)`. Unbiased from the first sample (no start-up pull toward zero).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DecayedMean {
    sum: DecayedSum,
    weight: DecayedSum,
}

impl DecayedMean {
    /// No samples yet.
    pub fn new(decay: Decay) -> DecayedMean {
        DecayedMean { sum: DecayedSum::new(decay), weight: DecayedSum::new(decay) }
    }

    /// Adds sample `x` taken at `now` with weight `weight` (1 for a plain mean). Non-finite
    /// samples are ignored.
    #[inline]
    pub fn add_weighted(&mut self, now: Nanos, x: f64, weight: f64) {
        if x.is_finite() && weight.is_finite() && weight > 0.0 {
            self.sum.add(now, x * weight);
            self.weight.add(now, weight);
        }
    }

    /// Adds sample `x` taken at `now`.
    #[inline]
    pub fn add(&mut self, now: Nanos, x: f64) {
        self.add_weighted(now, x, 1.0);
    }

    /// The mean, `None` before the first sample (or once every weight has decayed to zero).
    #[inline]
    pub fn mean(&self) -> Option<f64> {
        let weight = self.weight.value();
        (weight > 0.0).then(|| self.sum.value() / weight)
    }

    /// Total weight as of the last sample (how much evidence the mean rests on).
    #[inline]
    pub fn weight(&self) -> f64 {
        self.weight.value()
    }
}

/// Follows a target with one half-life when it rises and another when it falls.
///
/// After `Δt` the value moves from `v` to `target + (v − target) · e^(−Δt/τ)`, with `τ` from
/// the rise half-life when `target > v`, from the fall half-life otherwise. The first update
/// starts at the target's direction from `initial`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AsymmetricSmoother {
    rise: Decay,
    fall: Decay,
    value: f64,
    time: Option<Nanos>,
}

impl AsymmetricSmoother {
    /// Starts at `initial`; rises with half-life `rise_secs`, falls with `fall_secs`.
    pub fn new(initial: f64, rise_secs: f64, fall_secs: f64) -> AsymmetricSmoother {
        AsymmetricSmoother {
            rise: Decay::half_life(rise_secs),
            fall: Decay::half_life(fall_secs),
            value: initial,
            time: None,
        }
    }

    /// Moves toward `target`, which has held since the previous update, over the time elapsed
    /// since then. Non-finite targets are ignored.
    #[inline]
    pub fn update(&mut self, now: Nanos, target: f64) -> f64 {
        if !target.is_finite() {
            return self.value;
        }
        let elapsed = match self.time {
            Some(last) if now.0 > last.0 => now.0 - last.0,
            Some(_) => 0,
            None => 0,
        };
        if self.time.is_none_or(|last| now.0 > last.0) {
            self.time = Some(now);
        }
        let decay = if target > self.value { self.rise } else { self.fall };
        self.value = target + (self.value - target) * decay.factor(elapsed);
        self.value
    }

    /// The current value.
    #[inline]
    pub fn value(&self) -> f64 {
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1_000_000_000;

    #[test]
    fn half_life_halves() {
        let decay = Decay::half_life(20.0);
        assert!((decay.factor(20 * SEC) - 0.5).abs() < 1e-12);
        assert!((decay.factor(40 * SEC) - 0.25).abs() < 1e-12);
        assert_eq!(decay.factor(0), 1.0);
        assert_eq!(decay.factor(-5 * SEC), 1.0);
        assert!((Decay::time_constant(20.0).factor(20 * SEC) - (-1.0_f64).exp()).abs() < 1e-12);
        assert!((Decay::time_constant(7.0).tau_secs() - 7.0).abs() < 1e-9);
        // A degenerate constant forgets at once rather than producing NaN.
        assert_eq!(Decay::time_constant(0.0).factor(1), 0.0);
    }

    #[test]
    fn sums_decay_and_never_run_backwards() {
        let mut sum = DecayedSum::new(Decay::half_life(1.0));
        sum.add(Nanos(SEC), 8.0);
        sum.add(Nanos(2 * SEC), 4.0); // 8 → 4, plus 4
        assert!((sum.value() - 8.0).abs() < 1e-12);
        assert!((sum.value_at(Nanos(3 * SEC)) - 4.0).abs() < 1e-12);
        // An out-of-order (older) update counts as simultaneous.
        sum.add(Nanos(SEC), 1.0);
        assert!((sum.value() - 9.0).abs() < 1e-12);
        assert_eq!(sum.time(), Nanos(2 * SEC));
    }

    #[test]
    fn the_mean_is_unbiased_and_weights_recent_samples() {
        let mut mean = DecayedMean::new(Decay::half_life(1.0));
        assert_eq!(mean.mean(), None);
        mean.add(Nanos(SEC), 10.0);
        assert_eq!(mean.mean(), Some(10.0));
        // One half-life later a sample of 40: weights 0.5 and 1 → (5 + 40) / 1.5 = 30.
        mean.add(Nanos(2 * SEC), 40.0);
        assert!((mean.mean().unwrap() - 30.0).abs() < 1e-12);
        mean.add(Nanos(3 * SEC), f64::NAN);
        assert!((mean.mean().unwrap() - 30.0).abs() < 1e-12);
    }

    #[test]
    fn the_smoother_rises_fast_and_falls_slowly() {
        let mut smooth = AsymmetricSmoother::new(0.0, 1.0, 30.0);
        smooth.update(Nanos(0), 0.0);
        // One second at target 1: half the way up.
        assert!((smooth.update(Nanos(SEC), 1.0) - 0.5).abs() < 1e-12);
        // One second at target 0: down by only 1 − 2^(−1/30) of the way.
        let down = smooth.update(Nanos(2 * SEC), 0.0);
        assert!((down - 0.5 * 0.5_f64.powf(1.0 / 30.0)).abs() < 1e-12);
        assert!(down > 0.48);
    }
}
