//! How wide to quote around the fair value.
//!
//! - [`SpreadPolicy`]: the role. Given a [`PolicyInput`] (signals, fair value, inventory, tick
//!   size), returns the [`HalfSpreads`]: distances in ticks from the fair value to the bid and
//!   to the ask.
//! - [`FixedSpread`]: a constant half-spread in basis points of the fair value, floored in
//!   ticks. The simplest real policy; the baseline the others are measured against.
//!
//! Avellaneda–Stoikov, GLFT and toxicity-aware policies are further implementations of the
//! role; their state (volatility estimates, fill intensities) lives in the implementing type.

use crate::config::{BPS, StrategyConfig};
use crate::signals::Signals;
use feeds::{Lots, Step};

/// What a spread policy may look at.
#[derive(Clone, Copy, Debug)]
pub struct PolicyInput<'a> {
    /// The signals at this quote.
    pub signals: &'a Signals,
    /// The fair value the quotes are built around, in ticks. Finite.
    pub fair_value: f64,
    /// Current inventory in lots (positive long).
    pub inventory: Lots,
    /// The instrument's tick size, to turn ticks into prices.
    pub tick: Step,
}

/// Distances from the fair value to each quote, in ticks, before inventory skew and rounding.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HalfSpreads {
    /// Fair value minus the bid.
    pub bid: f64,
    /// The ask minus fair value.
    pub ask: f64,
}

/// Decides the half-spreads.
///
/// Takes `&mut self` so an implementation may keep state between calls; it is called once per
/// [`Quoter::quote`](crate::Quoter::quote) and must not allocate. The quoter floors each
/// returned half-spread at half a tick (and quotes nothing for a non-finite one), so a policy
/// cannot make a bid and an ask meet.
pub trait SpreadPolicy {
    /// The half-spreads for this input.
    fn half_spreads(&mut self, input: &PolicyInput<'_>) -> HalfSpreads;
}

/// The same half-spread on both sides: `half_spread_bps` of the fair value, at least
/// `min_ticks`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FixedSpread {
    /// Half-spread in basis points of the fair value.
    pub half_spread_bps: f64,
    /// Floor of the half-spread in ticks.
    pub min_ticks: f64,
}

impl FixedSpread {
    /// A fixed policy with these parameters.
    pub fn new(half_spread_bps: f64, min_ticks: f64) -> FixedSpread {
        FixedSpread { half_spread_bps, min_ticks }
    }

    /// The policy `config` describes (`half_spread_bps`, `min_half_spread_ticks`).
    pub fn from_config(config: &StrategyConfig) -> FixedSpread {
        FixedSpread::new(config.half_spread_bps, config.min_half_spread_ticks)
    }
}

impl SpreadPolicy for FixedSpread {
    #[inline]
    fn half_spreads(&mut self, input: &PolicyInput<'_>) -> HalfSpreads {
        // The fair value is in ticks, so bps of it are ticks too: no tick size needed.
        let half = (input.fair_value.abs() * self.half_spread_bps / BPS).max(self.min_ticks);
        HalfSpreads { bid: half, ask: half }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(signals: &Signals, fair_value: f64) -> PolicyInput<'_> {
        PolicyInput { signals, fair_value, inventory: Lots(0), tick: Step::decimal_places(1) }
    }

    #[test]
    fn bps_of_fair_value_with_a_tick_floor() {
        let signals = Signals::default();
        // 1 bp of 617 000 ticks (61 700.0 on a 0.1 grid) is 61.7 ticks, above the 1-tick floor.
        let mut policy = FixedSpread::new(1.0, 1.0);
        let half = policy.half_spreads(&input(&signals, 617_000.0));
        assert!((half.bid - 61.7).abs() < 1e-9 && half.bid == half.ask, "{half:?}");
        // 0.01 bp is 0.617 ticks: the floor of 1 tick wins.
        let mut policy = FixedSpread::new(0.01, 1.0);
        assert_eq!(policy.half_spreads(&input(&signals, 617_000.0)), HalfSpreads { bid: 1.0, ask: 1.0 });
    }

    #[test]
    fn built_from_the_config() {
        let config =
            StrategyConfig { half_spread_bps: 3.0, min_half_spread_ticks: 2.0, ..Default::default() };
        assert_eq!(FixedSpread::from_config(&config), FixedSpread { half_spread_bps: 3.0, min_ticks: 2.0 });
    }
}
