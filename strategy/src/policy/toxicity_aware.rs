//! `toxicity_aware`: the flagship policy. A GLFT core, widened when the tape turns toxic or
//! volatile, and further on the side forced flow is hitting.
//!
//! With the GLFT terms of [`Glft::terms`] (half-spread `c1 + ½σc2`, skew `qσc2`):
//!
//! - toxicity multiplier `m_τ = 1 + a_τ · τ` (`τ` the smoothed toxicity score in `[0, 1]`);
//! - volatility multiplier `m_σ = 1 + a_σ · max(0, σ_fast/σ_slow − 1)`: only a rise of
//!   short-term volatility over its own long-run level widens;
//! - flow multipliers `1 + a_flow · bid_pressure` on the bid and `1 + a_flow · ask_pressure` on
//!   the ask, where the pressures (from [`ForcedFlowReading`](crate::forced_flow::ForcedFlowReading))
//!   are the lean weight `ω/ω_max` times the share of forced notional selling (hitting bids) or
//!   buying (lifting asks);
//! - bid half-spread = base · m_τ · m_σ · bid flow, ask likewise; the quoter then applies the
//!   risk state's multiplier and clips to `[fee + min ticks, max]`.
//!
//! The quotes are centred on the fair value the config names, by default the LFWM, so the
//! policy leans toward forced flow (through the centre) and away from it (through the width)
//! at once. Every multiplier is at least 1 and non-decreasing in its input, so the spread never
//! narrows when `τ` or `σ` rises.

use crate::config::StrategyConfigError;
use crate::policy::glft::{Glft, GlftConfig};
use crate::spread_policy::{PolicyInput, PolicyKind, SpreadPolicy, SpreadTerms};
use serde::{Deserialize, Serialize};

/// `[strategy.toxicity_aware]`; the GLFT core reads `[strategy.glft]`.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ToxicityAwareConfig {
    /// `a_τ`: widening at full toxicity (τ = 1 multiplies the half-spread by `1 + a_τ`).
    /// Default 1.5. In `[0, 100]`.
    pub a_tau: f64,
    /// `a_σ`: widening per unit of `σ_fast/σ_slow − 1`. Default 1.0. In `[0, 100]`.
    pub a_sigma: f64,
    /// `a_flow`: extra widening of the side forced flow hits, at full pressure. Default 1.0.
    /// In `[0, 100]`.
    pub a_flow: f64,
}

impl Default for ToxicityAwareConfig {
    fn default() -> ToxicityAwareConfig {
        ToxicityAwareConfig { a_tau: 1.5, a_sigma: 1.0, a_flow: 1.0 }
    }
}

impl ToxicityAwareConfig {
    /// Checks every field; the first bad one is named.
    pub fn validate(&self) -> Result<(), StrategyConfigError> {
        for (field, value) in [
            ("toxicity_aware.a_tau", self.a_tau),
            ("toxicity_aware.a_sigma", self.a_sigma),
            ("toxicity_aware.a_flow", self.a_flow),
        ] {
            if !(0.0..=100.0).contains(&value) {
                return Err(StrategyConfigError::new(field, value, "must be between 0 and 100"));
            }
        }
        Ok(())
    }
}

/// The toxicity-aware policy.
#[derive(Clone, Debug)]
pub struct ToxicityAware {
    config: ToxicityAwareConfig,
    glft: Glft,
}

impl ToxicityAware {
    /// The policy with its GLFT core.
    pub fn new(config: ToxicityAwareConfig, glft: &GlftConfig) -> ToxicityAware {
        ToxicityAware { config, glft: Glft::new(*glft) }
    }
}

impl SpreadPolicy for ToxicityAware {
    #[inline]
    fn spread(&mut self, input: &PolicyInput<'_>) -> SpreadTerms {
        let mut terms = self.glft.spread(input);
        let signals = input.signals;
        let config = &self.config;
        let tau = signals.toxicity.value.clamp(0.0, 1.0);
        let ratio = signals.volatility.ratio;
        let excess = if ratio.is_finite() { (ratio - 1.0).max(0.0) } else { 0.0 };
        terms.policy = PolicyKind::ToxicityAware;
        terms.toxicity_multiplier = 1.0 + config.a_tau * tau;
        terms.volatility_multiplier = 1.0 + config.a_sigma * excess;
        terms.bid_flow_multiplier = 1.0 + config.a_flow * signals.forced.bid_pressure.clamp(0.0, 1.0);
        terms.ask_flow_multiplier = 1.0 + config.a_flow * signals.forced.ask_pressure.clamp(0.0, 1.0);
        let both = terms.base * terms.toxicity_multiplier * terms.volatility_multiplier;
        terms.bid = both * terms.bid_flow_multiplier;
        terms.ask = both * terms.ask_flow_multiplier;
        terms
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::Signals;
    use feeds::{Lots, Step};

    fn input(signals: &Signals) -> PolicyInput<'_> {
        PolicyInput {
            signals,
            fair_value: 617_000.0,
            inventory: Lots(3),
            order_qty: Lots(1),
            max_inventory: Lots(10),
            tick: Step::decimal_places(1),
        }
    }

    fn calm() -> Signals {
        let mut signals = Signals::default();
        signals.volatility.sigma = 0.6e-4;
        signals.volatility.ratio = 0.8;
        signals.arrivals.a = 4.0;
        signals.arrivals.k = 0.06;
        signals
    }

    #[test]
    fn calm_is_the_glft_core() {
        let signals = calm();
        let glft = Glft::new(GlftConfig::default()).spread(&input(&signals));
        let terms = ToxicityAware::new(ToxicityAwareConfig::default(), &GlftConfig::default())
            .spread(&input(&signals));
        assert_eq!(terms.policy, PolicyKind::ToxicityAware);
        // τ = 0, fast/slow below 1 and no forced flow: every multiplier is 1.
        assert_eq!(
            (
                terms.toxicity_multiplier,
                terms.volatility_multiplier,
                terms.bid_flow_multiplier,
                terms.ask_flow_multiplier
            ),
            (1.0, 1.0, 1.0, 1.0)
        );
        assert_eq!(
            (terms.bid, terms.ask, terms.skew, terms.base),
            (glft.bid, glft.ask, glft.skew, glft.base)
        );
    }

    #[test]
    fn each_multiplier_is_as_documented() {
        let mut signals = calm();
        signals.toxicity.value = 0.4;
        signals.volatility.ratio = 1.5;
        signals.forced.bid_pressure = 0.3;
        signals.forced.ask_pressure = 0.1;
        let config = ToxicityAwareConfig { a_tau: 1.5, a_sigma: 2.0, a_flow: 1.0 };
        let terms = ToxicityAware::new(config, &GlftConfig::default()).spread(&input(&signals));
        // 1 + 1.5·0.4 = 1.6; 1 + 2·(1.5 − 1) = 2; bid 1 + 0.3, ask 1 + 0.1.
        let near =
            |actual: f64, expected: f64| assert!((actual - expected).abs() < 1e-12, "{actual} vs {expected}");
        near(terms.toxicity_multiplier, 1.6);
        near(terms.volatility_multiplier, 2.0);
        near(terms.bid, terms.base * 1.6 * 2.0 * 1.3);
        near(terms.ask, terms.base * 1.6 * 2.0 * 1.1);
        // Nonsense signals cannot narrow the spread: τ clamps to [0, 1], a NaN ratio counts as 1.
        signals.toxicity.value = -3.0;
        signals.volatility.ratio = f64::NAN;
        signals.forced.bid_pressure = -1.0;
        let terms = ToxicityAware::new(config, &GlftConfig::default()).spread(&input(&signals));
        assert_eq!(
            (terms.toxicity_multiplier, terms.volatility_multiplier, terms.bid_flow_multiplier),
            (1.0, 1.0, 1.0)
        );
    }

    #[test]
    fn bad_values_are_named() {
        let bad = ToxicityAwareConfig { a_sigma: f64::NAN, ..ToxicityAwareConfig::default() };
        assert_eq!(bad.validate().unwrap_err().field(), "toxicity_aware.a_sigma");
    }
}
