//! Resting quantity and notional near the top of the book.
//!
//! - [`Depth`]: both sides within a band around the mid, from
//!   [`OrderBook::depth_within_bps`](super::OrderBook::depth_within_bps).
//! - [`SideDepth`]: one side's level count, quantity and notional.
//! - [`Notional`]: Σ price × quantity in exact integer tick·lot units; convert to the quote
//!   currency with [`Notional::to_quote_f64`] only where `f64` is wanted (signal maths).

use crate::fixed::Step;
use crate::units::{Lots, Ticks};

/// A notional in tick·lot units: Σ `price_ticks × qty_lots`, exact.
///
/// One unit is one tick times one lot; for a linear contract that is `tick × lot` of the quote
/// currency (0.1 × 0.001 = 0.0001 USDT on Binance BTCUSDT). Sums saturate at the `i128` range,
/// which takes more than two levels of `i64::MAX` price and quantity to reach.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Notional(pub i128);

impl Notional {
    /// Zero notional.
    pub const ZERO: Notional = Notional(0);

    /// The raw integer, in tick·lot units.
    #[inline]
    pub const fn get(self) -> i128 {
        self.0
    }

    /// The notional in the quote currency, given the instrument's tick and lot steps
    /// ([`Instrument::tick`](crate::Instrument::tick), [`Instrument::lot`](crate::Instrument::lot)).
    ///
    /// This is price × quantity: the quote value for a linear contract. For an inverse contract,
    /// whose lots are contracts of a fixed quote value, use the contract size instead.
    #[inline]
    pub fn to_quote_f64(self, tick: Step, lot: Step) -> f64 {
        self.0 as f64 * tick.count_to_f64(1) * lot.count_to_f64(1)
    }
}

/// Resting size on one side of the book within a price band.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SideDepth {
    /// How many levels are in the band.
    pub levels: usize,
    /// Their total quantity (saturating at `i64::MAX`).
    pub qty: Lots,
    /// Their total notional, Σ price × quantity.
    pub notional: Notional,
}

impl SideDepth {
    /// Adds one level.
    #[inline]
    pub(crate) fn add(&mut self, price: Ticks, qty: Lots) {
        self.levels += 1;
        self.qty = Lots(self.qty.0.saturating_add(qty.0));
        self.notional = Notional(self.notional.0.saturating_add(i128::from(price.0) * i128::from(qty.0)));
    }
}

/// Resting size on both sides within a band around the mid. All zero when a side is empty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Depth {
    /// Bids priced at or above the band's lower edge.
    pub bid: SideDepth,
    /// Asks priced at or below the band's upper edge.
    pub ask: SideDepth,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notional_converts_with_tick_and_lot() {
        // BTCUSDT: tick 0.1, lot 0.001. One BTC (1000 lots) at 61 800.2 (618 002 ticks) is
        // 618 002 000 tick·lots, and 618 002 000 × 0.1 × 0.001 = 61 800.2 USDT.
        let tick = Step::from_text("0.10").unwrap();
        let lot = Step::from_text("0.001").unwrap();
        let notional = Notional(618_002 * 1_000);
        assert!((notional.to_quote_f64(tick, lot) - 61_800.2).abs() < 1e-6);

        // A tick of 5 (whole units) and a lot of 0.01: 3 ticks × 7 lots = 21 units
        // = 21 × 5 × 0.01 = 1.05.
        let tick = Step::from_text("5").unwrap();
        let lot = Step::from_text("0.01").unwrap();
        assert!((Notional(21).to_quote_f64(tick, lot) - 1.05).abs() < 1e-12);
    }

    #[test]
    fn sums_saturate_instead_of_overflowing() {
        let mut depth = SideDepth::default();
        for _ in 0..4 {
            depth.add(Ticks(i64::MAX), Lots(i64::MAX));
        }
        assert_eq!(depth.levels, 4);
        assert_eq!(depth.qty, Lots(i64::MAX));
        assert_eq!(depth.notional, Notional(i128::MAX));
    }
}
