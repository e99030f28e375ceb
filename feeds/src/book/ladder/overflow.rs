//! The sparse part of a ladder: levels too deep for the window, in a sorted `Vec`.
//!
//! [`Overflow`] keeps them worst first, best last. Levels enter it mostly near the window's worse
//! edge, which is its best end, and the window takes them back from there when it moves: an
//! insertion or removal moves only the levels better than it, and a hand-over at the edge is a
//! `push` or `pop`.

use super::LevelChange;
use super::side::BookSide;
use crate::units::{Lots, Ticks};
use std::cmp::Ordering;
use std::marker::PhantomData;
use std::slice;

/// Levels worse than the window, sorted worst first.
///
/// Allocates only at construction and when it holds more levels than its capacity; then the
/// `Vec` grows (doubling, amortised) and keeps the larger buffer, across clears too.
#[derive(Clone)]
pub(super) struct Overflow<S: BookSide> {
    /// Worst first, best last: prices strictly increasing under `S::order`; every qty > 0.
    levels: Vec<(Ticks, Lots)>,
    side: PhantomData<S>,
}

impl<S: BookSide> Overflow<S> {
    /// Empty, with room for `levels` levels.
    pub(super) fn with_capacity(levels: usize) -> Self {
        Overflow { levels: Vec::with_capacity(levels), side: PhantomData }
    }

    #[inline]
    pub(super) fn len(&self) -> usize {
        self.levels.len()
    }

    #[inline]
    pub(super) fn capacity(&self) -> usize {
        self.levels.capacity()
    }

    #[inline]
    pub(super) fn clear(&mut self) {
        self.levels.clear();
    }

    /// The best level held here.
    #[inline]
    pub(super) fn best(&self) -> Option<(Ticks, Lots)> {
        self.levels.last().copied()
    }

    /// Removes the best level.
    #[inline]
    pub(super) fn pop_best(&mut self) -> Option<(Ticks, Lots)> {
        self.levels.pop()
    }

    /// Adds a level better than every level held.
    #[inline]
    pub(super) fn push_best(&mut self, price: Ticks, qty: Lots) {
        debug_assert!(qty.0 > 0, "pushing a non-positive quantity {qty:?} at {price:?}");
        debug_assert!(
            self.best().is_none_or(|(best, _)| S::order(price, best) == Ordering::Greater),
            "{:?} overflow: {price:?} pushed behind {:?}",
            S::SIDE,
            self.best()
        );
        self.levels.push((price, qty));
    }

    /// The levels, best first.
    #[inline]
    pub(super) fn iter(&self) -> std::iter::Rev<slice::Iter<'_, (Ticks, Lots)>> {
        self.levels.iter().rev()
    }

    /// Quantity at `price`, zero if there is no level. O(log n).
    #[inline]
    pub(super) fn qty_at(&self, price: Ticks) -> Lots {
        match self.locate(price) {
            Ok(index) => self.levels[index].1,
            Err(_) => Lots::ZERO,
        }
    }

    /// Sets the level at `price` to `qty`; zero (or less) removes it. A binary search, then an
    /// in-place write or a shift of the better levels.
    pub(super) fn set(&mut self, price: Ticks, qty: Lots) -> LevelChange {
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

    /// Where `price` is (`Ok`) or would be inserted (`Err`), like [`slice::binary_search`].
    #[inline]
    fn locate(&self, price: Ticks) -> Result<usize, usize> {
        self.levels.binary_search_by(|&(level, _)| S::order(level, price))
    }

    /// Checks the order and quantities next to `index`: after an insertion or update the touched
    /// level and its neighbours, after a removal the two levels that became neighbours.
    #[inline]
    fn debug_assert_sorted_around(&self, index: usize) {
        if cfg!(debug_assertions) {
            let start = index.saturating_sub(1);
            let end = index.saturating_add(2).min(self.levels.len());
            if let Some(around) = self.levels.get(start..end) {
                debug_assert!(
                    around.windows(2).all(|pair| S::order(pair[0].0, pair[1].0) == Ordering::Less),
                    "{:?} overflow out of order around index {index}: {around:?}",
                    S::SIDE,
                );
                debug_assert!(
                    around.iter().all(|&(_, qty)| qty.0 > 0),
                    "{:?} overflow stores a non-positive quantity around index {index}: {around:?}",
                    S::SIDE,
                );
            }
        }
    }

    /// Every check of the order and quantities, O(n): for tests.
    #[cfg(test)]
    pub(super) fn check(&self) -> Result<(), String> {
        if !self.levels.windows(2).all(|pair| S::order(pair[0].0, pair[1].0) == Ordering::Less) {
            return Err(format!("{:?} overflow out of order: {:?}", S::SIDE, self.levels));
        }
        if !self.levels.iter().all(|&(_, qty)| qty.0 > 0) {
            return Err(format!("{:?} overflow with a non-positive quantity: {:?}", S::SIDE, self.levels));
        }
        Ok(())
    }
}
