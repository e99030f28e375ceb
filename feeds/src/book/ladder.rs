//! One side of the book: price levels in a sorted `Vec`, best level at the end.
//!
//! A [`Ladder<Bids>`] holds bids in ascending price order and a [`Ladder<Asks>`] holds asks in
//! descending price order, so in both the best level is the last element. The side is a marker
//! type ([`Bids`], [`Asks`]) implementing [`BookSide`], which says which of two prices is
//! better; everything else is shared code, monomorphised per side.
//!
//! Invariants (checked by `debug_assert!` around every touched index):
//! - prices are strictly increasing in storage order (worst → best) under [`BookSide::order`];
//! - every stored quantity is positive (a zero quantity removes its level).

use super::depth::SideDepth;
use crate::units::{Lots, Side, Ticks};
use std::cmp::Ordering;
use std::marker::PhantomData;
use std::{iter, slice};

/// How many levels nearest the top [`Ladder::set`] compares one by one before it falls back to a
/// binary search of the rest: most updates land there.
// NB: not yet measured; 4 levels are one cache line of `(Ticks, Lots)` pairs.
const TOP_PROBE: usize = 4;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Bids {}
    impl Sealed for super::Asks {}
}

/// Which side a [`Ladder`] holds, and so which of two prices is better. Sealed: implemented by
/// [`Bids`] and [`Asks`] only.
pub trait BookSide: sealed::Sealed {
    /// The side as a value.
    const SIDE: Side;

    /// Compares two prices from worst to best: `Greater` when `a` is a better price than `b`
    /// (higher for bids, lower for asks). This is the ladder's storage order.
    fn order(a: Ticks, b: Ticks) -> Ordering;
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
}

impl BookSide for Asks {
    const SIDE: Side = Side::Ask;

    #[inline]
    fn order(a: Ticks, b: Ticks) -> Ordering {
        b.cmp(&a)
    }
}

/// What [`Ladder::set`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LevelChange {
    /// A new level was inserted.
    Inserted,
    /// An existing level got a new quantity (possibly the same one).
    Updated,
    /// An existing level was removed.
    Removed,
    /// A removal of a level that was not there: nothing changed.
    Absent,
}

/// Iterator over a ladder's levels, best first.
pub type BestFirst<'a> = iter::Copied<iter::Rev<slice::Iter<'a, (Ticks, Lots)>>>;

/// One side of an L2 book: `(price, quantity)` levels sorted so the best is at the end.
///
/// Allocates only at construction ([`Ladder::with_capacity`]) and when the side holds more levels
/// than that capacity; then the `Vec` grows (doubling, amortised) and keeps the larger buffer,
/// including across [`Ladder::clear`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ladder<S: BookSide> {
    /// Worst first, best last; prices strictly increasing under `S::order`; every qty > 0.
    levels: Vec<(Ticks, Lots)>,
    side: PhantomData<S>,
}

impl<S: BookSide> Default for Ladder<S> {
    fn default() -> Self {
        Ladder::with_capacity(0)
    }
}

impl<S: BookSide> Ladder<S> {
    /// An empty side with room for `levels` levels before it allocates again.
    pub fn with_capacity(levels: usize) -> Self {
        Ladder { levels: Vec::with_capacity(levels), side: PhantomData }
    }

    /// Which side this is.
    #[inline]
    pub const fn side(&self) -> Side {
        S::SIDE
    }

    /// Number of levels.
    #[inline]
    pub fn len(&self) -> usize {
        self.levels.len()
    }

    /// True when the side has no levels.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    /// Levels the side holds before it must allocate.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.levels.capacity()
    }

    /// The best level: highest bid or lowest ask.
    #[inline]
    pub fn best(&self) -> Option<(Ticks, Lots)> {
        self.levels.last().copied()
    }

    /// The levels, best first.
    #[inline]
    pub fn iter(&self) -> BestFirst<'_> {
        self.levels.iter().rev().copied()
    }

    /// Quantity at `price`; zero if there is no level there. O(log n).
    #[inline]
    pub fn qty_at(&self, price: Ticks) -> Lots {
        match self.locate(price) {
            Ok(index) => self.levels[index].1,
            Err(_) => Lots::ZERO,
        }
    }

    /// Sets the level at `price` to `qty`; a quantity of zero (or less) removes it.
    ///
    /// Finds the level by comparing the top 4 levels, then by binary search; an
    /// insertion or removal shifts only the levels better than `price`. Never allocates while
    /// `len() < capacity()`.
    ///
    /// [`OrderBook`](super::OrderBook) rejects negative quantities before they reach here.
    #[inline]
    pub fn set(&mut self, price: Ticks, qty: Lots) -> LevelChange {
        let (change, touched) = match (self.locate(price), qty.0 > 0) {
            (Ok(index), true) => {
                self.levels[index].1 = qty;
                (LevelChange::Updated, index)
            }
            (Ok(index), false) => {
                self.levels.remove(index);
                (LevelChange::Removed, index)
            }
            (Err(index), true) => {
                self.levels.insert(index, (price, qty));
                (LevelChange::Inserted, index)
            }
            (Err(index), false) => (LevelChange::Absent, index),
        };
        self.debug_assert_sorted_around(touched);
        change
    }

    /// Removes every level, keeping the capacity.
    #[inline]
    pub fn clear(&mut self) {
        self.levels.clear();
    }

    /// Quantity, notional and level count of the levels from the best down to `worst`
    /// inclusive (bids priced at or above it, asks at or below it). Walks only those levels.
    pub fn depth_to(&self, worst: Ticks) -> SideDepth {
        let mut depth = SideDepth::default();
        for (price, qty) in self.iter() {
            if S::order(price, worst) == Ordering::Less {
                break;
            }
            depth.add(price, qty);
        }
        depth
    }

    /// Where `price` is (`Ok`) or would be inserted (`Err`) in storage order, like
    /// [`slice::binary_search`]: checks the top `TOP_PROBE` levels one by one, then binary
    /// searches the rest.
    #[inline]
    fn locate(&self, price: Ticks) -> Result<usize, usize> {
        let levels = &self.levels;
        let below_probe = levels.len().saturating_sub(TOP_PROBE);
        for index in (below_probe..levels.len()).rev() {
            match S::order(levels[index].0, price) {
                Ordering::Equal => return Ok(index),
                // The level is worse than `price`, and every level above it is better.
                Ordering::Less => return Err(index + 1),
                Ordering::Greater => {}
            }
        }
        levels[..below_probe].binary_search_by(|&(level, _)| S::order(level, price))
    }

    /// Checks the invariants on the levels next to `index`: after an insertion or update that is
    /// the touched level and its neighbours; after a removal, the two levels that became
    /// neighbours. Cheap enough for every mutation in debug builds.
    #[inline]
    fn debug_assert_sorted_around(&self, index: usize) {
        if cfg!(debug_assertions) {
            let start = index.saturating_sub(1);
            let end = index.saturating_add(2).min(self.levels.len());
            if let Some(around) = self.levels.get(start..end) {
                debug_assert!(
                    around.windows(2).all(|pair| S::order(pair[0].0, pair[1].0) == Ordering::Less),
                    "{:?} ladder out of order around index {index}: {around:?}",
                    S::SIDE,
                );
                debug_assert!(
                    around.iter().all(|&(_, qty)| qty.0 > 0),
                    "{:?} ladder stores a non-positive quantity around index {index}: {around:?}",
                    S::SIDE,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn bids(levels: &[(i64, i64)]) -> Ladder<Bids> {
        let mut ladder = Ladder::with_capacity(16);
        for &(price, qty) in levels {
            ladder.set(Ticks(price), Lots(qty));
        }
        ladder
    }

    fn asks(levels: &[(i64, i64)]) -> Ladder<Asks> {
        let mut ladder = Ladder::with_capacity(16);
        for &(price, qty) in levels {
            ladder.set(Ticks(price), Lots(qty));
        }
        ladder
    }

    fn listed<S: BookSide>(ladder: &Ladder<S>) -> Vec<(i64, i64)> {
        ladder.iter().map(|(price, qty)| (price.0, qty.0)).collect()
    }

    #[test]
    fn bids_insert_update_remove_at_top_middle_and_bottom() {
        // Five bids, given out of order; best (highest) first when listed.
        let mut ladder = bids(&[(100, 1), (104, 5), (102, 3), (101, 2), (103, 4)]);
        assert_eq!(listed(&ladder), [(104, 5), (103, 4), (102, 3), (101, 2), (100, 1)]);

        // Top: a new best bid above 104, then its size changes, then it goes.
        assert_eq!(ladder.set(Ticks(105), Lots(9)), LevelChange::Inserted);
        assert_eq!(ladder.best(), Some((Ticks(105), Lots(9))));
        assert_eq!(ladder.set(Ticks(105), Lots(7)), LevelChange::Updated);
        assert_eq!(ladder.best(), Some((Ticks(105), Lots(7))));
        assert_eq!(ladder.set(Ticks(105), Lots(0)), LevelChange::Removed);
        assert_eq!(ladder.best(), Some((Ticks(104), Lots(5))));

        // Middle: 102 changes, then is removed; 101 and 103 become neighbours.
        assert_eq!(ladder.set(Ticks(102), Lots(30)), LevelChange::Updated);
        assert_eq!(ladder.set(Ticks(102), Lots(0)), LevelChange::Removed);
        assert_eq!(listed(&ladder), [(104, 5), (103, 4), (101, 2), (100, 1)]);
        // A gap level (between 101 and 103) is inserted in the middle.
        assert_eq!(ladder.set(Ticks(102), Lots(6)), LevelChange::Inserted);

        // Bottom: below everything (deeper than the top probe: the binary-search path).
        assert_eq!(ladder.set(Ticks(90), Lots(8)), LevelChange::Inserted);
        assert_eq!(ladder.set(Ticks(100), Lots(0)), LevelChange::Removed);
        assert_eq!(listed(&ladder), [(104, 5), (103, 4), (102, 6), (101, 2), (90, 8)]);

        // Removing a level that is not there changes nothing.
        assert_eq!(ladder.set(Ticks(95), Lots(0)), LevelChange::Absent);
        assert_eq!(ladder.len(), 5);
    }

    #[test]
    fn asks_are_best_lowest() {
        // Same prices on the ask side: the lowest is best.
        let mut ladder = asks(&[(100, 1), (104, 5), (102, 3), (101, 2), (103, 4)]);
        assert_eq!(listed(&ladder), [(100, 1), (101, 2), (102, 3), (103, 4), (104, 5)]);

        // Top: 99 undercuts 100; removing it brings 100 back.
        assert_eq!(ladder.set(Ticks(99), Lots(9)), LevelChange::Inserted);
        assert_eq!(ladder.best(), Some((Ticks(99), Lots(9))));
        assert_eq!(ladder.set(Ticks(99), Lots(0)), LevelChange::Removed);
        assert_eq!(ladder.best(), Some((Ticks(100), Lots(1))));

        // Middle and bottom (the bottom of the ask side is the highest price).
        assert_eq!(ladder.set(Ticks(102), Lots(0)), LevelChange::Removed);
        assert_eq!(ladder.set(Ticks(110), Lots(7)), LevelChange::Inserted);
        assert_eq!(ladder.set(Ticks(104), Lots(50)), LevelChange::Updated);
        assert_eq!(listed(&ladder), [(100, 1), (101, 2), (103, 4), (104, 50), (110, 7)]);
    }

    #[test]
    fn qty_at_missing_levels_is_zero() {
        let ladder = bids(&[(10, 1), (20, 2), (30, 3), (40, 4), (50, 5), (60, 6)]);
        assert_eq!(ladder.qty_at(Ticks(20)), Lots(2)); // below the top probe
        assert_eq!(ladder.qty_at(Ticks(60)), Lots(6)); // the best
        for missing in [0, 5, 15, 55, 65, i64::MIN, i64::MAX] {
            assert_eq!(ladder.qty_at(Ticks(missing)), Lots::ZERO, "price {missing}");
        }
        assert_eq!(Ladder::<Asks>::default().qty_at(Ticks(1)), Lots::ZERO);
    }

    #[test]
    fn depth_to_walks_from_the_best_and_includes_the_limit() {
        // Bids 103×1, 102×2, 101×3: down to 102 inclusive is 3 lots,
        // notional 103×1 + 102×2 = 307 tick·lots, over 2 levels.
        let ladder = bids(&[(101, 3), (102, 2), (103, 1)]);
        let depth = ladder.depth_to(Ticks(102));
        assert_eq!((depth.levels, depth.qty, depth.notional.get()), (2, Lots(3), 307));
        // A limit better than the best takes nothing.
        assert_eq!(ladder.depth_to(Ticks(104)).levels, 0);

        // Asks 201×4, 202×5: up to 201 is only the best, 804 tick·lots.
        let ladder = asks(&[(202, 5), (201, 4)]);
        let depth = ladder.depth_to(Ticks(201));
        assert_eq!((depth.levels, depth.qty, depth.notional.get()), (1, Lots(4), 804));
        assert_eq!(ladder.depth_to(Ticks(i64::MAX)).qty, Lots(9));
    }

    #[test]
    fn clear_keeps_capacity() {
        let mut ladder = bids(&[(1, 1), (2, 2)]);
        let capacity = ladder.capacity();
        ladder.clear();
        assert!(ladder.is_empty());
        assert_eq!(ladder.best(), None);
        assert_eq!(ladder.capacity(), capacity);
    }

    /// Checks a ladder against a `BTreeMap` model after one `set`.
    fn check_against_model<S: BookSide>(
        ladder: &mut Ladder<S>,
        model: &mut BTreeMap<i64, i64>,
        price: i64,
        qty: i64,
    ) -> Result<(), TestCaseError> {
        let expected_change = match (model.contains_key(&price), qty > 0) {
            (true, true) => LevelChange::Updated,
            (true, false) => LevelChange::Removed,
            (false, true) => LevelChange::Inserted,
            (false, false) => LevelChange::Absent,
        };
        if qty > 0 {
            model.insert(price, qty);
        } else {
            model.remove(&price);
        }
        prop_assert_eq!(ladder.set(Ticks(price), Lots(qty)), expected_change);

        // Best first: descending prices for bids, ascending for asks.
        let mut expected: Vec<(i64, i64)> = model.iter().map(|(&p, &q)| (p, q)).collect();
        if S::SIDE == Side::Bid {
            expected.reverse();
        }
        prop_assert_eq!(listed(ladder), expected.clone());
        prop_assert_eq!(ladder.len(), model.len());
        prop_assert_eq!(ladder.best().map(|(p, q)| (p.0, q.0)), expected.first().copied());
        prop_assert_eq!(ladder.qty_at(Ticks(price)).0, model.get(&price).copied().unwrap_or(0));
        Ok(())
    }

    proptest! {
        #[test]
        fn ladders_match_a_btreemap_model(
            capacity in 0usize..8,
            operations in prop::collection::vec((any::<bool>(), 1i64..=48, -1i64..=4), 0..300),
        ) {
            let mut bids = Ladder::<Bids>::with_capacity(capacity);
            let mut asks = Ladder::<Asks>::with_capacity(capacity);
            let (mut bid_model, mut ask_model) = (BTreeMap::new(), BTreeMap::new());
            for (is_bid, price, qty) in operations {
                if is_bid {
                    check_against_model(&mut bids, &mut bid_model, price, qty)?;
                } else {
                    check_against_model(&mut asks, &mut ask_model, price, qty)?;
                }
            }
        }

        #[test]
        fn extreme_prices_keep_order(
            operations in prop::collection::vec((any::<i64>(), any::<i64>()), 0..64),
        ) {
            let mut ladder = Ladder::<Asks>::with_capacity(4);
            let mut model = BTreeMap::new();
            for (price, qty) in operations {
                check_against_model(&mut ladder, &mut model, price, qty)?;
            }
        }
    }
}
