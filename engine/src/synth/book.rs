//! [`LevelBook`]: the exchange's side of the synthetic market, a price-level book that
//! remembers which levels changed since the last depth diff.
//!
//! Each side is a `BTreeMap` from price (ticks) to quantity (lots). A sorted map rather than a
//! dense tick array because the generator needs the best level, ordered walks from it (takers
//! sweeping, snapshots), the n-th level (random cancels) and a few hundred levels spread over
//! thousands of ticks; at a few hundred thousand operations per simulated ten minutes it is
//! nowhere near the generator's cost, which is printing frames.
//!
//! Every change is recorded by price in a per-side list; [`LevelBook::drain_changes`] turns the
//! list into the levels of one `depthUpdate` (each touched price once, with its quantity now,
//! zero for a removed level), so a diff always says exactly what changed the book.

use feeds::Side;
use std::collections::BTreeMap;

/// One price level: price in ticks, quantity in lots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Level {
    /// Price, ticks.
    pub price: i64,
    /// Quantity, lots (zero in a diff: the level is gone).
    pub qty: i64,
}

/// A two-sided price-level book with change tracking.
///
/// Invariant (checked by `debug_assert!` after each mutation): no zero or negative quantity is
/// stored, and a non-empty book is not crossed.
#[derive(Default)]
pub(super) struct LevelBook {
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
    /// Prices changed since the last drain, with repeats.
    changed_bids: Vec<i64>,
    /// See `changed_bids`.
    changed_asks: Vec<i64>,
}

impl LevelBook {
    fn side(&self, side: Side) -> &BTreeMap<i64, i64> {
        match side {
            Side::Bid => &self.bids,
            Side::Ask => &self.asks,
        }
    }

    /// Best bid as `(price, qty)`.
    pub fn best_bid(&self) -> Option<(i64, i64)> {
        self.bids.last_key_value().map(|(&price, &qty)| (price, qty))
    }

    /// Best ask as `(price, qty)`.
    pub fn best_ask(&self) -> Option<(i64, i64)> {
        self.asks.first_key_value().map(|(&price, &qty)| (price, qty))
    }

    /// Best level of `side`.
    pub fn best(&self, side: Side) -> Option<(i64, i64)> {
        match side {
            Side::Bid => self.best_bid(),
            Side::Ask => self.best_ask(),
        }
    }

    /// Levels on `side`.
    pub fn levels(&self, side: Side) -> usize {
        self.side(side).len()
    }

    /// Quantity at `price` on `side` (zero if no level).
    pub fn qty_at(&self, side: Side, price: i64) -> i64 {
        self.side(side).get(&price).copied().unwrap_or(0)
    }

    /// The price of the `n`-th level of `side`, best first.
    pub fn nth_price(&self, side: Side, n: usize) -> Option<i64> {
        match side {
            Side::Bid => self.bids.keys().rev().nth(n).copied(),
            Side::Ask => self.asks.keys().nth(n).copied(),
        }
    }

    /// The levels of `side`, best first.
    pub fn best_first(&self, side: Side) -> Box<dyn Iterator<Item = Level> + '_> {
        let level = |(&price, &qty): (&i64, &i64)| Level { price, qty };
        match side {
            Side::Bid => Box::new(self.bids.iter().rev().map(level)),
            Side::Ask => Box::new(self.asks.iter().map(level)),
        }
    }

    /// Sets `price` on `side` to `qty` (zero or less removes the level) and records the change.
    pub fn set(&mut self, side: Side, price: i64, qty: i64) {
        let (map, changed) = match side {
            Side::Bid => (&mut self.bids, &mut self.changed_bids),
            Side::Ask => (&mut self.asks, &mut self.changed_asks),
        };
        if qty > 0 {
            map.insert(price, qty);
        } else {
            map.remove(&price);
        }
        changed.push(price);
        debug_assert!(!self.is_crossed(), "the synthetic book crossed at {price}");
    }

    /// Adds `qty` at `price` on `side`.
    pub fn add(&mut self, side: Side, price: i64, qty: i64) {
        let now = self.qty_at(side, price) + qty;
        self.set(side, price, now);
    }

    /// True if both sides are non-empty and the best bid is at or above the best ask.
    pub fn is_crossed(&self) -> bool {
        matches!((self.best_bid(), self.best_ask()), (Some((bid, _)), Some((ask, _))) if bid >= ask)
    }

    /// Takes liquidity from `side` best first: up to `qty` lots, not past `limit` (a price no
    /// worse than which the taker trades, `None` for a market order), and never the side's
    /// last `keep_levels` levels. Appends each level's fill to `fills`; returns the lots taken.
    pub fn take(
        &mut self,
        side: Side,
        qty: i64,
        limit: Option<i64>,
        keep_levels: usize,
        fills: &mut Vec<Level>,
    ) -> i64 {
        let mut left = qty;
        while left > 0 && self.levels(side) > keep_levels {
            let Some((price, available)) = self.best(side) else { break };
            let beyond = match (side, limit) {
                (Side::Bid, Some(limit)) => price < limit,
                (Side::Ask, Some(limit)) => price > limit,
                (_, None) => false,
            };
            if beyond {
                break;
            }
            let filled = left.min(available);
            self.set(side, price, available - filled);
            fills.push(Level { price, qty: filled });
            left -= filled;
        }
        qty - left
    }

    /// The changed levels since the last drain, each price once with its quantity now, in
    /// ascending price on both sides (as Binance lists them); forgets the changes.
    pub fn drain_changes(&mut self, bids: &mut Vec<Level>, asks: &mut Vec<Level>) {
        bids.clear();
        asks.clear();
        for (changed, map, out) in [
            (&mut self.changed_bids, &self.bids, &mut *bids),
            (&mut self.changed_asks, &self.asks, &mut *asks),
        ] {
            changed.sort_unstable();
            changed.dedup();
            out.extend(
                changed.iter().map(|&price| Level { price, qty: map.get(&price).copied().unwrap_or(0) }),
            );
            changed.clear();
        }
    }

    /// True if anything changed since the last drain.
    pub fn has_changes(&self) -> bool {
        !self.changed_bids.is_empty() || !self.changed_asks.is_empty()
    }

    /// Forgets the changes (the warm-up's, which no diff reports).
    pub fn forget_changes(&mut self) {
        self.changed_bids.clear();
        self.changed_asks.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> LevelBook {
        let mut book = LevelBook::default();
        for (price, qty) in [(99, 5), (98, 7), (95, 20)] {
            book.set(Side::Bid, price, qty);
        }
        for (price, qty) in [(101, 4), (102, 6), (110, 30)] {
            book.set(Side::Ask, price, qty);
        }
        book.forget_changes();
        book
    }

    #[test]
    fn a_taker_walks_levels_up_to_its_limit_and_the_diff_says_so() {
        // Buy 12 lots with a limit of 105: 4 at 101, 6 at 102, and 110 is beyond the limit,
        // so 10 of 12 fill and both touched levels are gone from the diff's point of view.
        let mut book = book();
        let mut fills = Vec::new();
        assert_eq!(book.take(Side::Ask, 12, Some(105), 0, &mut fills), 10);
        assert_eq!(fills, [Level { price: 101, qty: 4 }, Level { price: 102, qty: 6 }]);
        assert_eq!(book.best_ask(), Some((110, 30)));
        let (mut bids, mut asks) = (Vec::new(), Vec::new());
        book.drain_changes(&mut bids, &mut asks);
        assert!(bids.is_empty());
        assert_eq!(asks, [Level { price: 101, qty: 0 }, Level { price: 102, qty: 0 }]);
        assert!(!book.has_changes());
    }

    #[test]
    fn a_market_order_leaves_the_levels_it_must_keep() {
        // Sell 100 lots, keeping one bid level: 5 at 99 and 7 at 98, then 95 is kept.
        let mut book = book();
        let mut fills = Vec::new();
        assert_eq!(book.take(Side::Bid, 100, None, 1, &mut fills), 12);
        assert_eq!(book.best_bid(), Some((95, 20)));
        assert_eq!(book.nth_price(Side::Ask, 2), Some(110));
    }

    #[test]
    fn repeated_changes_are_one_level_in_the_diff() {
        let mut book = book();
        book.add(Side::Bid, 99, 1);
        book.set(Side::Bid, 97, 3);
        book.set(Side::Bid, 97, 0);
        book.add(Side::Bid, 99, 1);
        let (mut bids, mut asks) = (Vec::new(), Vec::new());
        book.drain_changes(&mut bids, &mut asks);
        assert_eq!(bids, [Level { price: 97, qty: 0 }, Level { price: 99, qty: 7 }]);
        assert!(asks.is_empty());
    }
}
