//! What the quoter wants resting on the book, and the tick-grid rounding that gets it there.
//!
//! - [`QuoteLevel`]: one order we want: a price on the tick grid and a size in lots.
//! - [`Quotes`]: the bid and the ask we want now; either side may be absent, and
//!   [`Quotes::NONE`] means "pull everything".
//!
//! Rounding always moves a quote away from the fair value: bids down, asks up
//! (`round_bid_down`, `round_ask_up`), so rounding never makes a quote more aggressive than the
//! policy asked for (beyond a 10⁻⁹-tick tolerance that keeps floating-point noise from moving a
//! price that is meant to sit exactly on the grid by a whole tick).

use feeds::{Lots, Ticks};

/// One quote: price and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct QuoteLevel {
    /// Price on the instrument's tick grid. Positive.
    pub price: Ticks,
    /// Size in lots. Positive.
    pub qty: Lots,
}

/// The quotes wanted now. When both sides are present, `bid.price < ask.price`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Quotes {
    /// The bid, if we want one.
    pub bid: Option<QuoteLevel>,
    /// The ask, if we want one.
    pub ask: Option<QuoteLevel>,
}

impl Quotes {
    /// No quotes on either side: pull everything.
    pub const NONE: Quotes = Quotes { bid: None, ask: None };

    /// True when neither side is quoted.
    #[inline]
    pub fn is_none(&self) -> bool {
        self.bid.is_none() && self.ask.is_none()
    }
}

/// How close to a grid point, in ticks, a price counts as on it.
const GRID_TOLERANCE: f64 = 1e-9;

/// The highest grid price at or below `price` (in ticks); `None` if `price` is not finite or
/// out of the `i64` range.
#[inline]
pub(crate) fn round_bid_down(price: f64) -> Option<Ticks> {
    to_ticks((price + GRID_TOLERANCE).floor())
}

/// The lowest grid price at or above `price` (in ticks); `None` if `price` is not finite or
/// out of the `i64` range.
#[inline]
pub(crate) fn round_ask_up(price: f64) -> Option<Ticks> {
    to_ticks((price - GRID_TOLERANCE).ceil())
}

#[inline]
fn to_ticks(whole: f64) -> Option<Ticks> {
    // 2⁶³ is exactly representable; every whole f64 strictly inside ±2⁶³ fits an i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (whole.is_finite() && whole > -LIMIT && whole < LIMIT).then_some(Ticks(whole as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bids_round_down_and_asks_round_up() {
        // Fair value 618 002.4 with a 0.5-tick half-spread: the bid 618 001.9 goes down to
        // 618 001, the ask 618 002.9 up to 618 003. Neither ends up nearer the fair value.
        assert_eq!(round_bid_down(618_001.9), Some(Ticks(618_001)));
        assert_eq!(round_ask_up(618_002.9), Some(Ticks(618_003)));
        // On the grid they stay put, even with floating-point noise either side.
        assert_eq!(round_bid_down(618_002.0), Some(Ticks(618_002)));
        assert_eq!(round_bid_down(618_002.0 - 1e-10), Some(Ticks(618_002)));
        assert_eq!(round_ask_up(618_003.0 + 1e-10), Some(Ticks(618_003)));
        // Negative prices round the same way (the quoter drops them afterwards).
        assert_eq!(round_bid_down(-0.5), Some(Ticks(-1)));
        assert_eq!(round_ask_up(-0.5), Some(Ticks(0)));
    }

    #[test]
    fn nonsense_does_not_round() {
        for price in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e19, -1e19] {
            assert_eq!(round_bid_down(price), None, "{price}");
            assert_eq!(round_ask_up(price), None, "{price}");
        }
    }

    #[test]
    fn none_is_empty() {
        assert!(Quotes::NONE.is_none());
        let bid = QuoteLevel { price: Ticks(1), qty: Lots(1) };
        assert!(!Quotes { bid: Some(bid), ask: None }.is_none());
    }
}
