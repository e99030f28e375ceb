//! Exponential decay, and the decayed averages built on it: [`DecayedMean`] of irregularly
//! timed samples, and [`HeldAverage`] of a piecewise-constant signal. Rates are per nanosecond,
//! from a half-life ([`half_life_rate`]) or a time constant ([`time_constant_rate`]) in seconds;
//! [`decay`] applies one to an interval.

use feeds::Nanos;
use std::f64::consts::LN_2;

use super::units::NANOS_PER_SEC;

/// `e^(−elapsed · rate)` for a rate per nanosecond; 1 for `elapsed ≤ 0`.
#[inline]
pub(super) fn decay(elapsed: i64, rate: f64) -> f64 {
    if elapsed <= 0 { 1.0 } else { (-(elapsed as f64) * rate).exp() }
}

/// Decay rate per nanosecond of a half-life in seconds.
pub(super) fn half_life_rate(seconds: f64) -> f64 {
    LN_2 / (seconds * NANOS_PER_SEC)
}

/// Decay rate per nanosecond of a time constant in seconds.
pub(super) fn time_constant_rate(seconds: f64) -> f64 {
    1.0 / (seconds * NANOS_PER_SEC)
}

/// The exponentially weighted mean of irregularly timed samples, `Σ wᵢ xᵢ / Σ wᵢ` with
/// `wᵢ = e^(−(t − tᵢ)·rate)`: unbiased from the first sample.
#[derive(Clone, Copy, Debug)]
pub(super) struct DecayedMean {
    sum: f64,
    weight: f64,
    time: Nanos,
    rate: f64,
}

impl DecayedMean {
    pub(super) fn new(rate: f64) -> DecayedMean {
        DecayedMean { sum: 0.0, weight: 0.0, time: Nanos(i64::MIN), rate }
    }

    pub(super) fn add(&mut self, time: Nanos, x: f64) {
        if self.weight > 0.0 {
            let factor = decay(time.saturating_since(self.time), self.rate);
            self.sum *= factor;
            self.weight *= factor;
        }
        self.time = self.time.max(time);
        self.sum += x;
        self.weight += 1.0;
    }

    /// The mean; `None` before the first sample (or once every weight has decayed away).
    pub(super) fn mean(&self) -> Option<f64> {
        (self.weight > 0.0).then(|| self.sum / self.weight)
    }
}

/// A time-weighted exponential moving average of a piecewise-constant signal: each value holds
/// until the next, and the average at `t` weighs the value held at `s` by `e^(−(t−s)·rate)`.
#[derive(Clone, Copy, Debug)]
pub(super) struct HeldAverage {
    value: f64,
    held: f64,
    time: Nanos,
    rate: f64,
    started: bool,
}

impl HeldAverage {
    pub(super) fn new(rate: f64) -> HeldAverage {
        HeldAverage { value: f64::NAN, held: f64::NAN, time: Nanos(i64::MIN), rate, started: false }
    }

    pub(super) fn value_at(&self, now: Nanos) -> f64 {
        if !self.started {
            return f64::NAN;
        }
        let factor = decay(now.saturating_since(self.time), self.rate);
        self.value * factor + self.held * (1.0 - factor)
    }

    pub(super) fn update(&mut self, time: Nanos, x: f64) {
        if self.started {
            self.value = self.value_at(time);
        } else {
            self.value = x;
            self.started = true;
        }
        self.time = self.time.max(time);
        self.held = x;
    }
}
