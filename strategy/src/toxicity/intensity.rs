//! Intensity: the fast over the slow kernel-smoothed arrival rate of trade prints. See the
//! [module docs](super).

use super::ToxicityConfig;
use crate::decay::{Decay, DecayedSum};
use feeds::Nanos;

/// Exponential-kernel arrival counts of trade prints, fast and slow.
#[derive(Clone, Copy, Debug)]
pub(super) struct Intensity {
    fast: DecayedSum,
    slow: DecayedSum,
}

impl Intensity {
    pub(super) fn new(config: &ToxicityConfig) -> Intensity {
        Intensity {
            fast: DecayedSum::new(Decay::time_constant(config.intensity_fast_s)),
            slow: DecayedSum::new(Decay::time_constant(config.intensity_slow_s)),
        }
    }

    #[inline]
    pub(super) fn on_print(&mut self, now: i64) {
        self.fast.add(Nanos(now), 1.0);
        self.slow.add(Nanos(now), 1.0);
    }

    /// `λ̂_fast / λ̂_slow` at `now`, observation having started at `start`; `NaN` when either
    /// rate is undefined or the slow one is zero.
    pub(super) fn ratio(&self, now: i64, start: i64) -> f64 {
        let rate = |sum: &DecayedSum| {
            let decay = sum.decay();
            let covered = 1.0 - decay.factor(now - start);
            sum.value_at(Nanos(now)) / (decay.tau_secs() * covered)
        };
        let slow = rate(&self.slow);
        if slow > 0.0 { rate(&self.fast) / slow } else { f64::NAN }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scale::Scale;
    use crate::toxicity::test_support::{MS, SEC, only, raw, trade};
    use crate::toxicity::{Toxicity, ToxicityComponent};
    use feeds::Side;

    #[test]
    fn intensity_is_one_at_a_steady_rate_and_jumps_with_a_cluster() {
        let mut toxicity = Toxicity::new(&only(ToxicityComponent::Intensity), Scale::default());
        // Ten prints a second for 20 s. Thanks to the start-up correction the slow baseline is
        // already the true rate: the ratio is near 1, not near 300/20.
        let mut time = 0;
        for _ in 0..200 {
            time += 100 * MS;
            toxicity.on_trade(Nanos(time), &trade(100, 1, Side::Bid));
        }
        toxicity.on_time(Nanos(time + 50 * MS));
        let steady = raw(&toxicity, ToxicityComponent::Intensity);
        assert!((steady - 1.0).abs() < 0.1, "{steady}");
        // 100 prints in the next 100 ms: the fast rate leaps, the slow barely moves.
        for n in 0..100 {
            toxicity.on_trade(Nanos(time + 50 * MS + n * MS), &trade(100, 1, Side::Ask));
        }
        toxicity.on_time(Nanos(time + 200 * MS));
        let cluster = raw(&toxicity, ToxicityComponent::Intensity);
        assert!(cluster > 5.0, "{cluster}");
    }

    #[test]
    fn intensity_ratio_by_hand() {
        // Two prints at t₀ = 0, sampled 1 s later: fast (τ = 1 s) sum 2/e over
        // τ (1 − 1/e); slow (τ = 300 s) sum 2 e^(−1/300) over 300 (1 − e^(−1/300)).
        let intensity = {
            let mut intensity = Intensity::new(&ToxicityConfig::default());
            intensity.on_print(0);
            intensity.on_print(0);
            intensity
        };
        let e = std::f64::consts::E;
        let fast = 2.0 / e / (1.0 - 1.0 / e);
        let slow = 2.0 * (-1.0_f64 / 300.0).exp() / (300.0 * (1.0 - (-1.0_f64 / 300.0).exp()));
        assert!((intensity.ratio(SEC, 0) - fast / slow).abs() < 1e-9);
        assert!(intensity.ratio(0, 0).is_nan(), "no time observed");
    }
}
