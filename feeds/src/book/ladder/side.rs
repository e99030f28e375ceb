//! Which side a ladder holds: the marker types [`Bids`] and [`Asks`] and the [`BookSide`] trait
//! that orders their prices.
//!
//! Both sides share one storage order through a *rank*: an `i64` that is smaller for a better
//! price. Bids rank `!price` (that is `−price − 1`), asks rank `price`. The bitwise complement
//! reverses the order like negation does but is total on `i64` (`−i64::MIN` overflows,
//! `!i64::MIN` is `i64::MAX`), and it is its own inverse, so `price == rank ^ flip` with a
//! per-side `flip` of all ones (bids) or zero (asks). That lets one iterator type walk either
//! side.

use crate::units::{Side, Ticks};
use std::cmp::Ordering;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Bids {}
    impl Sealed for super::Asks {}
}

/// Which side a [`Ladder`](super::Ladder) holds, and so which of two prices is better. Sealed:
/// implemented by [`Bids`] and [`Asks`] only.
pub trait BookSide: sealed::Sealed {
    /// The side as a value.
    const SIDE: Side;

    /// Compares two prices from worst to best: `Greater` when `a` is a better price than `b`
    /// (higher for bids, lower for asks).
    fn order(a: Ticks, b: Ticks) -> Ordering;

    /// The price's rank: smaller is better, one per tick, so `rank(a) < rank(b)` exactly when
    /// `a` is the better price. `!price` for bids, `price` for asks; total on `i64`.
    fn rank(price: Ticks) -> i64;

    /// The price of a rank: the inverse of [`BookSide::rank`].
    #[inline]
    fn price(rank: i64) -> Ticks {
        Ticks(rank ^ flip(Self::SIDE))
    }
}

/// Marker for the bid side: a higher price is better.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Bids;

/// Marker for the ask side: a lower price is better.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Asks;

impl BookSide for Bids {
    const SIDE: Side = Side::Bid;

    #[inline]
    fn order(a: Ticks, b: Ticks) -> Ordering {
        a.cmp(&b)
    }

    #[inline]
    fn rank(price: Ticks) -> i64 {
        !price.0
    }
}

impl BookSide for Asks {
    const SIDE: Side = Side::Ask;

    #[inline]
    fn order(a: Ticks, b: Ticks) -> Ordering {
        b.cmp(&a)
    }

    #[inline]
    fn rank(price: Ticks) -> i64 {
        price.0
    }
}

/// What to XOR a rank of `side` with to get its price (and a price to get its rank): all ones
/// for bids (`!rank`), zero for asks.
#[inline]
pub(super) const fn flip(side: Side) -> i64 {
    match side {
        Side::Bid => !0,
        Side::Ask => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_are_smaller_for_better_prices_and_invert() {
        // Bids: 101 beats 100, so it ranks lower: !101 = −102 < !100 = −101.
        assert_eq!((Bids::rank(Ticks(101)), Bids::rank(Ticks(100))), (-102, -101));
        // Asks: 100 beats 101 and ranks lower as it is.
        assert_eq!((Asks::rank(Ticks(100)), Asks::rank(Ticks(101))), (100, 101));
        // The extremes map onto the extremes without overflow: the best possible bid
        // (i64::MAX) ranks i64::MIN, the worst (i64::MIN) ranks i64::MAX.
        assert_eq!(Bids::rank(Ticks(i64::MAX)), i64::MIN);
        assert_eq!(Bids::rank(Ticks(i64::MIN)), i64::MAX);
        for price in [i64::MIN, -1, 0, 1, 616_597, i64::MAX] {
            assert_eq!(Bids::price(Bids::rank(Ticks(price))), Ticks(price));
            assert_eq!(Asks::price(Asks::rank(Ticks(price))), Ticks(price));
        }
    }

    #[test]
    fn rank_order_agrees_with_order() {
        let prices = [i64::MIN, i64::MIN + 1, -5, 0, 7, i64::MAX - 1, i64::MAX].map(Ticks);
        for a in prices {
            for b in prices {
                // `order` is worst → best (Greater = a better); ranks are best → worst.
                assert_eq!(Bids::order(a, b), Bids::rank(b).cmp(&Bids::rank(a)), "{a:?} {b:?}");
                assert_eq!(Asks::order(a, b), Asks::rank(b).cmp(&Asks::rank(a)), "{a:?} {b:?}");
            }
        }
    }
}
