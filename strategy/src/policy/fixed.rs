//! `fixed`: a constant half-spread in basis points of the fair value, and a linear inventory
//! skew. The baseline every other policy is measured against.
//!
//! - half-spread = `half_spread_bps · fair / 10⁴` on both sides;
//! - skew = `skew_bps_at_max_inventory · fair / 10⁴ · clamp(inventory / max_inventory, ±1)`:
//!   long inventory moves both quotes down (sell more readily, buy less), short moves them up.

use crate::config::{BPS, StrategyConfigError};
use crate::spread_policy::{PolicyInput, PolicyKind, SpreadPolicy, SpreadTerms};
use serde::{Deserialize, Serialize};

/// `[strategy.fixed]`.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FixedConfig {
    /// Half the quoted spread, in basis points of the fair value (the quoter's floor still
    /// applies). Default 1.0 (about 62 ticks on BTCUSDT at 61 700 USDT with a 0.1 tick).
    /// In `[0, 10 000]`.
    pub half_spread_bps: f64,
    /// How far both quotes move against the inventory at ±`max_inventory`, in basis points
    /// of the fair value; linear in between. Default 0.5. In `[0, 10 000]`.
    pub skew_bps_at_max_inventory: f64,
}

impl Default for FixedConfig {
    fn default() -> FixedConfig {
        FixedConfig { half_spread_bps: 1.0, skew_bps_at_max_inventory: 0.5 }
    }
}

impl FixedConfig {
    /// Checks every field; the first bad one is named.
    pub fn validate(&self) -> Result<(), StrategyConfigError> {
        let bps = 0.0..=BPS;
        if !bps.contains(&self.half_spread_bps) {
            return Err(StrategyConfigError::new(
                "fixed.half_spread_bps",
                self.half_spread_bps,
                "must be between 0 and 10000",
            ));
        }
        if !bps.contains(&self.skew_bps_at_max_inventory) {
            return Err(StrategyConfigError::new(
                "fixed.skew_bps_at_max_inventory",
                self.skew_bps_at_max_inventory,
                "must be between 0 and 10000",
            ));
        }
        Ok(())
    }
}

/// The fixed policy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FixedSpread {
    config: FixedConfig,
}

impl FixedSpread {
    /// The policy `config` describes.
    pub fn new(config: FixedConfig) -> FixedSpread {
        FixedSpread { config }
    }
}

impl SpreadPolicy for FixedSpread {
    #[inline]
    fn spread(&mut self, input: &PolicyInput<'_>) -> SpreadTerms {
        // The fair value is in ticks, so bps of it are ticks too.
        let fair = input.fair_value.abs();
        let mut terms = SpreadTerms::symmetric(PolicyKind::Fixed, fair * self.config.half_spread_bps / BPS);
        let ratio = (input.inventory.0 as f64 / input.max_inventory.0.max(1) as f64).clamp(-1.0, 1.0);
        terms.skew = fair * self.config.skew_bps_at_max_inventory / BPS * ratio;
        terms
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::Signals;
    use feeds::{Lots, Step};

    fn input(signals: &Signals, fair_value: f64, inventory: i64) -> PolicyInput<'_> {
        PolicyInput {
            signals,
            fair_value,
            inventory: Lots(inventory),
            order_qty: Lots(1),
            max_inventory: Lots(10),
            tick: Step::decimal_places(1),
        }
    }

    #[test]
    fn bps_of_fair_value_and_a_linear_skew() {
        let signals = Signals::default();
        let mut policy =
            FixedSpread::new(FixedConfig { half_spread_bps: 1.0, skew_bps_at_max_inventory: 1.0 });
        // 1 bp of 617 000 ticks is 61.7 ticks.
        let terms = policy.spread(&input(&signals, 617_000.0, 0));
        assert!((terms.bid - 61.7).abs() < 1e-9 && terms.bid == terms.ask, "{terms:?}");
        assert_eq!(terms.skew, 0.0);
        // Long 5 of 10: half of 61.7 ticks of skew; past the limit it stops growing.
        assert!((policy.spread(&input(&signals, 617_000.0, 5)).skew - 30.85).abs() < 1e-9);
        assert!((policy.spread(&input(&signals, 617_000.0, -50)).skew + 61.7).abs() < 1e-9);
    }

    #[test]
    fn bad_values_are_named() {
        let bad = FixedConfig { half_spread_bps: -1.0, ..FixedConfig::default() };
        assert_eq!(bad.validate().unwrap_err().field(), "fixed.half_spread_bps");
        let bad = FixedConfig { skew_bps_at_max_inventory: f64::NAN, ..FixedConfig::default() };
        assert_eq!(bad.validate().unwrap_err().field(), "fixed.skew_bps_at_max_inventory");
    }
}
