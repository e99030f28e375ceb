//! [`Scale`]: an instrument's tick and lot as numbers, to turn ticks and lots into money.
//!
//! Prices and sizes stay integers everywhere; signals that compare flows across instruments
//! or against a dollar figure (bps moved per $1M traded, liquidation notional) need the quote
//! currency value of `price × qty`, which this computes in `f64`. Linear contracts only: the
//! notional of `qty` lots at `price` ticks is `price·tick × qty·lot` in the quote asset.

use feeds::{Lots, Step, Ticks};

/// Tick and lot sizes as `f64`, in quote and base units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// Quote-asset value of one tick (BTCUSDT: 0.1 USDT).
    pub tick: f64,
    /// Base-asset quantity of one lot (BTCUSDT: 0.001 BTC).
    pub lot: f64,
}

impl Scale {
    /// The scale of an instrument with these steps.
    pub fn new(tick: Step, lot: Step) -> Scale {
        Scale { tick: tick.to_f64(), lot: lot.to_f64() }
    }

    /// Quote-asset notional of `qty` lots at `price` ticks.
    #[inline]
    pub fn notional(&self, price: Ticks, qty: Lots) -> f64 {
        price.0 as f64 * self.tick * qty.0 as f64 * self.lot
    }

    /// A price in ticks (fractional allowed) as a quote-asset price.
    #[inline]
    pub fn price(&self, ticks: f64) -> f64 {
        ticks * self.tick
    }
}

impl Default for Scale {
    /// One tick is one unit of quote and one lot one unit of base.
    fn default() -> Scale {
        Scale { tick: 1.0, lot: 1.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn btcusdt_notional() {
        let scale = Scale::new(Step::decimal_places(1), Step::decimal_places(3));
        // 61 700.0 USDT × 0.005 BTC = 308.5 USDT.
        assert!((scale.notional(Ticks(617_000), Lots(5)) - 308.5).abs() < 1e-9);
        assert!((scale.price(617_000.5) - 61_700.05).abs() < 1e-9);
    }
}
