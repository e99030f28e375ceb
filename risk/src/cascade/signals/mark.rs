//! Mark price, funding and basis: [`MarkTrack`] follows the mark-price events and gives the
//! [`CascadeSignal::Funding`] and [`CascadeSignal::Basis`] readings.
//!
//! Defaults in parentheses.
//!
//! *Funding.* The predicted funding rate `r` of the mark-price events (the value, as a
//! fraction: 0.0001 = 0.01 %). Crowded carry shows as a positive rate; the stress is its flip.
//! Only if `r ≥ funding_carry` (0.01 %) at some time in the last `funding_lookback_s` (8 h),
//! the stress maps `r` with calm `funding_carry`, warn 0 (the sign flip), cascade
//! `funding_cascade` (−0.01 %); a rate that was never carry is no stress.
//!
//! *Basis.* `b = (mark − index) / index` at each mark-price event, as a z-score against its
//! own exponentially weighted mean and variance (half-life `basis_half_life_s`, 1800 s), both
//! taken *before* the sample joins them: `z = (b − b̄) / √(var + s₀²)` with `s₀` =
//! `basis_std_floor` (0.5 bp), so a basis that never moved does not make infinite z-scores of
//! a tick of noise. The value is `z`; the stress maps `|z|` with calm 0, warn `basis_warn` (2),
//! cascade `basis_cascade` (4): a perp falling through its index (long unwind) or squeezed far
//! above it.
//!
//! [`CascadeSignal::Funding`]: crate::cascade::CascadeSignal::Funding
//! [`CascadeSignal::Basis`]: crate::cascade::CascadeSignal::Basis

use feeds::Nanos;

use super::config::SignalsConfig;
use super::decay::{DecayedMean, half_life_rate};
use super::fresh;
use super::stress::stress;
use super::units::seconds_between;
use crate::cascade::SignalReading;

/// Mark price, funding and basis.
#[derive(Clone, Copy, Debug)]
pub(super) struct MarkTrack {
    first: Option<Nanos>,
    last: Nanos,
    /// Mark price in ticks.
    pub(super) mark: f64,
    funding: f64,
    last_carry: Option<Nanos>,
    z: f64,
    basis_mean: DecayedMean,
    basis_square: DecayedMean,
}

impl MarkTrack {
    pub(super) fn new(config: &SignalsConfig) -> MarkTrack {
        let rate = half_life_rate(config.basis_half_life_s);
        MarkTrack {
            first: None,
            last: Nanos(0),
            mark: f64::NAN,
            funding: f64::NAN,
            last_carry: None,
            z: f64::NAN,
            basis_mean: DecayedMean::new(rate),
            basis_square: DecayedMean::new(rate),
        }
    }

    pub(super) fn on_mark(
        &mut self,
        time: Nanos,
        mark: f64,
        index: f64,
        funding: f64,
        config: &SignalsConfig,
    ) {
        if !(mark > 0.0 && mark.is_finite()) {
            return;
        }
        self.first.get_or_insert(time);
        self.last = time;
        self.mark = mark;
        if funding.is_finite() {
            self.funding = funding;
            if funding >= config.funding_carry {
                self.last_carry = Some(time);
            }
        }
        if index > 0.0 && index.is_finite() {
            let basis = (mark - index) / index;
            if let (Some(mean), Some(square)) = (self.basis_mean.mean(), self.basis_square.mean()) {
                let variance = (square - mean * mean).max(0.0);
                self.z = (basis - mean) / (variance + config.basis_std_floor * config.basis_std_floor).sqrt();
            }
            self.basis_mean.add(time, basis);
            self.basis_square.add(time, basis * basis);
        }
    }

    /// Whether a mark has been seen, the last no older than `max_age_s` at `now`.
    fn fresh(&self, now: Nanos, config: &SignalsConfig) -> bool {
        self.first.is_some() && fresh(self.last, now, config)
    }

    /// The [`Funding`](crate::cascade::CascadeSignal::Funding) reading at `now`; `None` before
    /// a funding rate or once the last mark is older than `max_age_s`.
    pub(super) fn funding_reading(&self, now: Nanos, config: &SignalsConfig) -> Option<SignalReading> {
        if !(self.fresh(now, config) && self.funding.is_finite()) {
            return None;
        }
        let carried =
            self.last_carry.is_some_and(|time| seconds_between(time, now) <= config.funding_lookback_s);
        let level = if carried {
            stress(self.funding, config.funding_carry, 0.0, config.funding_cascade)
        } else {
            0.0
        };
        Some(SignalReading { value: self.funding, stress: level, known: true })
    }

    /// The [`Basis`](crate::cascade::CascadeSignal::Basis) reading at `now`; `None` before
    /// `warmup_s` of marks, before a z-score, or once the last mark is older than `max_age_s`.
    pub(super) fn basis_reading(&self, now: Nanos, config: &SignalsConfig) -> Option<SignalReading> {
        let warm = self.first.is_some_and(|first| seconds_between(first, now) >= config.warmup_s);
        if !(self.fresh(now, config) && warm && self.z.is_finite()) {
            return None;
        }
        let level = stress(self.z.abs(), 0.0, config.basis_warn, config.basis_cascade);
        Some(SignalReading { value: self.z, stress: level, known: true })
    }
}

#[cfg(test)]
mod tests {
    use crate::cascade::CascadeSignal;
    use crate::cascade::signals::test_support::*;
    use crate::cascade::signals::{CascadeSignals, SignalsConfig};

    #[test]
    fn funding_stress_is_a_flip_from_carry() {
        // Synthetic mark-price events with mark = index (no basis).
        let mut signals = signals();
        let at_rate = |signals: &mut CascadeSignals, seconds: f64, rate: f64| {
            signals.on_event(&mark(seconds, 60_000.0, 60_000.0, rate));
            reading(signals, seconds, CascadeSignal::Funding)
        };
        // Without carry first, a negative rate is not a flip.
        let reading = at_rate(&mut signals, 0.0, -0.0002);
        assert!(reading.known);
        assert_eq!((reading.value, reading.stress), (-0.0002, 0.0));
        // Carry at +0.01 %: calm. Then 0.005 % (halfway to the flip), 0 (the flip, warn),
        // −0.005 % and −0.01 % (cascade) and beyond.
        assert_eq!(at_rate(&mut signals, 10.0, 0.0001).stress, 0.0);
        close(at_rate(&mut signals, 20.0, 0.00005).stress, 0.25, 1e-12);
        assert_eq!(at_rate(&mut signals, 30.0, 0.0).stress, 0.5);
        close(at_rate(&mut signals, 40.0, -0.00005).stress, 0.75, 1e-12);
        assert_eq!(at_rate(&mut signals, 50.0, -0.0001).stress, 1.0);
        assert_eq!(at_rate(&mut signals, 60.0, -0.0002).stress, 1.0);
        // Eight hours after the carry was last seen, the flip is forgotten.
        assert_eq!(at_rate(&mut signals, 10.0 + 28_800.5, -0.0002).stress, 0.0);
    }

    #[test]
    fn basis_is_a_z_score_of_its_own_history() {
        // Synthetic: a basis alternating +1 bp and +3 bp every second for ten minutes (mean
        // 2 bp, standard deviation 1 bp), then −4 bp: six standard deviations below, less the
        // floor: z = −6 / √(1 + 0.25) ≈ −5.37.
        let mut signals = signals();
        for k in 0..600 {
            let basis = if k % 2 == 0 { 0.0001 } else { 0.0003 };
            signals.on_event(&mark(f64::from(k), 60_000.0 * (1.0 + basis), 60_000.0, 0.0001));
        }
        let calm = reading(&mut signals, 599.0, CascadeSignal::Basis);
        assert!(calm.known && calm.value.abs() < 1.5 && calm.stress < 0.4, "{calm:?}");
        signals.on_event(&mark(600.0, 60_000.0 * (1.0 - 0.0004), 60_000.0, 0.0001));
        let dislocated = reading(&mut signals, 600.0, CascadeSignal::Basis);
        close(dislocated.value, -6.0 / 1.25_f64.sqrt(), 0.05);
        assert_eq!(dislocated.stress, 1.0);
        // Before the warm-up the basis is unknown.
        let mut signals = CascadeSignals::new(&SignalsConfig::default(), TICK, LOT);
        signals.on_event(&mark(0.0, 60_000.0, 60_000.0, 0.0001));
        signals.on_event(&mark(1.0, 60_001.0, 60_000.0, 0.0001));
        assert!(!reading(&mut signals, 1.0, CascadeSignal::Basis).known);
        assert!(reading(&mut signals, 1.0, CascadeSignal::Funding).known);
    }
}
