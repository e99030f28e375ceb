//! The strategy's readings: [`StrategyTrack`] keeps its fast/slow volatility ratio and its
//! toxicity `τ`, and gives the [`CascadeSignal::Volatility`] and [`CascadeSignal::Toxicity`]
//! readings.
//!
//! Defaults in parentheses.
//!
//! *Volatility.* The strategy's fast/slow volatility ratio as given (the value); calm 1, warn
//! `volatility_warn` (2), cascade `volatility_cascade` (4). (On the calm BTCUSDT recording the
//! ratio's p90 is 1.46 and p99 1.59: a warn at 1.5 would sit inside an ordinary tape.)
//!
//! *Toxicity.* The strategy's `τ` (clamped to `[0, 1]`), sustained: its exponentially
//! weighted mean over samples with time constant `toxicity_time_constant_s` (30 s), so a
//! single spike does not count. Calm `toxicity_calm` (0.4), warn `toxicity_warn` (0.65),
//! cascade `toxicity_cascade` (0.85). (The strategy's `τ` on the calm BTCUSDT recording: p50
//! 0.39, p90 0.58, p99 0.70.)
//!
//! [`CascadeSignal::Volatility`]: crate::cascade::CascadeSignal::Volatility
//! [`CascadeSignal::Toxicity`]: crate::cascade::CascadeSignal::Toxicity

use feeds::Nanos;

use super::config::SignalsConfig;
use super::decay::{DecayedMean, time_constant_rate};
use super::fresh;
use super::stress::stress;
use crate::cascade::SignalReading;

/// The strategy's readings.
#[derive(Clone, Copy, Debug)]
pub(super) struct StrategyTrack {
    volatility_ratio: f64,
    volatility_time: Nanos,
    toxicity: DecayedMean,
    toxicity_time: Nanos,
}

impl StrategyTrack {
    pub(super) fn new(config: &SignalsConfig) -> StrategyTrack {
        StrategyTrack {
            volatility_ratio: f64::NAN,
            volatility_time: Nanos(0),
            toxicity: DecayedMean::new(time_constant_rate(config.toxicity_time_constant_s)),
            toxicity_time: Nanos(0),
        }
    }

    /// The strategy's volatility ratio and toxicity at `now`: see
    /// [`CascadeSignals::on_strategy`](super::CascadeSignals::on_strategy).
    pub(super) fn on_strategy(&mut self, now: Nanos, vol_ratio: f64, toxicity: f64) {
        if vol_ratio >= 0.0 && vol_ratio.is_finite() {
            self.volatility_ratio = vol_ratio;
            self.volatility_time = now;
        }
        if toxicity.is_finite() {
            self.toxicity.add(now, toxicity.clamp(0.0, 1.0));
            self.toxicity_time = now;
        }
    }

    /// The [`Volatility`](crate::cascade::CascadeSignal::Volatility) reading at `now`; `None`
    /// before a ratio or once it is older than `max_age_s`.
    pub(super) fn volatility_reading(&self, now: Nanos, config: &SignalsConfig) -> Option<SignalReading> {
        if !(self.volatility_ratio.is_finite() && fresh(self.volatility_time, now, config)) {
            return None;
        }
        let ratio = self.volatility_ratio;
        let level = stress(ratio, 1.0, config.volatility_warn, config.volatility_cascade);
        Some(SignalReading { value: ratio, stress: level, known: true })
    }

    /// The [`Toxicity`](crate::cascade::CascadeSignal::Toxicity) reading at `now`; `None`
    /// before a `τ` or once the last is older than `max_age_s`.
    pub(super) fn toxicity_reading(&self, now: Nanos, config: &SignalsConfig) -> Option<SignalReading> {
        let toxicity = self.toxicity.mean()?;
        if !fresh(self.toxicity_time, now, config) {
            return None;
        }
        let level = stress(toxicity, config.toxicity_calm, config.toxicity_warn, config.toxicity_cascade);
        Some(SignalReading { value: toxicity, stress: level, known: true })
    }
}

#[cfg(test)]
mod tests {
    use crate::cascade::CascadeSignal;
    use crate::cascade::signals::test_support::*;

    #[test]
    fn volatility_and_sustained_toxicity_map_their_levels() {
        let mut signals = signals();
        // Ratio 3: halfway from warn (2, stress 0.5) to cascade (4, stress 1).
        signals.on_strategy(at(0.0), 3.0, 0.2);
        let volatility = reading(&mut signals, 0.0, CascadeSignal::Volatility);
        assert_eq!((volatility.value, volatility.stress), (3.0, 0.75));
        assert_eq!(reading(&mut signals, 0.0, CascadeSignal::Toxicity).stress, 0.0);
        // Synthetic: τ = 1 for 2 s after a minute at 0.2: the sustained mean barely moves.
        for k in 1..=60 {
            signals.on_strategy(at(f64::from(k)), 1.0, 0.2);
        }
        signals.on_strategy(at(61.0), f64::NAN, 1.0);
        signals.on_strategy(at(62.0), f64::NAN, 1.0);
        let toxicity = reading(&mut signals, 62.0, CascadeSignal::Toxicity);
        assert!(toxicity.value < 0.3 && toxicity.stress < 0.2, "{toxicity:?}");
        // The NaN ratios were ignored, the last good one kept.
        assert_eq!(reading(&mut signals, 62.0, CascadeSignal::Volatility).value, 1.0);
        // τ = 0.9 sustained for five minutes: past cascade (0.85).
        for k in 63..=363 {
            signals.on_strategy(at(f64::from(k)), 1.0, 0.9);
        }
        assert_eq!(reading(&mut signals, 363.0, CascadeSignal::Toxicity).stress, 1.0);
    }
}
