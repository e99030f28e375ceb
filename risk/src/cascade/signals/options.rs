//! Options priming: [`OptionsTrack`] follows an options feed and gives the
//! [`priming`](crate::cascade::CascadeInputs::priming), which lowers the detector's thresholds
//! rather than firing.
//!
//! Defaults in parentheses.
//!
//! The priming, from [`on_options`](super::CascadeSignals::on_options), is the mean of three
//! stresses,
//! - term-structure inversion `short_iv / long_iv − 1`: calm 0, warn `inversion_warn` (0.05),
//!   cascade `inversion_cascade` (0.25);
//! - a jump in short-dated IV, `short_iv / ī − 1` against its exponentially weighted mean
//!   (half-life `iv_jump_half_life_s`, 3600 s) before the sample: calm 0, warn `iv_jump_warn`
//!   (0.15), cascade `iv_jump_cascade` (0.5);
//! - open interest concentrated at strikes near spot into expiry (within 48 h), the share
//!   given: calm `oi_share_calm` (0.3), warn `oi_share_warn` (0.5), cascade `oi_share_cascade`
//!   (0.7).
//!
//! A mean because priming lowers the detector's thresholds rather than firing: one component
//! at its extreme primes by a third, all three fully. Without an options feed, or when its
//! last reading is older than `options_max_age_s` (600 s), the priming is 0.

use feeds::Nanos;

use super::config::SignalsConfig;
use super::decay::{DecayedMean, half_life_rate};
use super::stress::stress;
use super::units::seconds_between;

/// Largest implied volatility accepted (10 000 %/year); above it an input is nonsense.
const MAX_IMPLIED: f64 = 100.0;

/// The options feed.
#[derive(Clone, Copy, Debug)]
pub(super) struct OptionsTrack {
    last: Option<Nanos>,
    inversion: f64,
    jump: f64,
    share: f64,
    short_mean: DecayedMean,
}

impl OptionsTrack {
    pub(super) fn new(config: &SignalsConfig) -> OptionsTrack {
        OptionsTrack {
            last: None,
            inversion: f64::NAN,
            jump: f64::NAN,
            share: f64::NAN,
            short_mean: DecayedMean::new(half_life_rate(config.iv_jump_half_life_s)),
        }
    }

    /// Whether an options reading makes sense: both vols in `(0, 100]`, the share in `[0, 1]`.
    pub(super) fn accepts(short_iv: f64, long_iv: f64, oi_near_spot_share: f64) -> bool {
        let valid = |iv: f64| iv > 0.0 && iv <= MAX_IMPLIED;
        valid(short_iv) && valid(long_iv) && (0.0..=1.0).contains(&oi_near_spot_share)
    }

    /// An [accepted](Self::accepts) options reading at `now`: see
    /// [`CascadeSignals::on_options`](super::CascadeSignals::on_options).
    pub(super) fn on_options(&mut self, now: Nanos, short_iv: f64, long_iv: f64, oi_near_spot_share: f64) {
        self.inversion = short_iv / long_iv - 1.0;
        self.jump = self.short_mean.mean().map_or(0.0, |mean| short_iv / mean - 1.0);
        self.short_mean.add(now, short_iv);
        self.share = oi_near_spot_share;
        self.last = Some(now);
    }

    /// The priming at `now`; `None` before a reading or once the last is older than
    /// `options_max_age_s`.
    pub(super) fn priming(&self, now: Nanos, config: &SignalsConfig) -> Option<f64> {
        if !self.last.is_some_and(|time| seconds_between(time, now) <= config.options_max_age_s) {
            return None;
        }
        let inversion = stress(self.inversion, 0.0, config.inversion_warn, config.inversion_cascade);
        let jump = stress(self.jump, 0.0, config.iv_jump_warn, config.iv_jump_cascade);
        let share = stress(self.share, config.oi_share_calm, config.oi_share_warn, config.oi_share_cascade);
        Some((inversion + jump + share) / 3.0)
    }
}

#[cfg(test)]
mod tests {
    use crate::cascade::signals::test_support::*;

    #[test]
    fn options_prime_by_inversion_jump_and_concentration() {
        let mut signals = signals();
        // Synthetic: a contango (short 40 %, long 50 %), with 30 % of near-dated OI near spot,
        // for an hour: no priming.
        for k in 0..60 {
            signals.on_options(at(60.0 * f64::from(k)), 0.40, 0.50, 0.3);
        }
        close(signals.inputs(at(3540.0)).priming, 0.0, 1e-12);
        // Short-dated IV jumps to 60 % (+50 % on its mean: full), above the long 50 % by 20 %
        // (inversion stress 0.5 + 0.5·0.15/0.2 = 0.875), with 60 % near spot (0.75).
        signals.on_options(at(3600.0), 0.60, 0.50, 0.6);
        close(signals.inputs(at(3600.0)).priming, (0.875 + 1.0 + 0.75) / 3.0, 1e-9);
        // Ten minutes later the reading is stale and primes nothing; so does a nonsense one.
        assert_eq!(signals.inputs(at(4201.0)).priming, 0.0);
        signals.on_options(at(4300.0), f64::NAN, 0.5, 0.5);
        signals.on_options(at(4300.0), 0.5, 0.5, 1.5);
        assert_eq!(signals.inputs(at(4300.0)).priming, 0.0);
    }
}
