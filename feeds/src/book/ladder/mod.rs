//! One side of the book: a dense tick-indexed window around the best price, and a sorted
//! overflow for the levels deeper than it.
//!
//! - [`Ladder`]: one side, generic over the marker types [`Bids`] and [`Asks`] ([`BookSide`]).
//!   [`Ladder::with_capacity`] gives the default window; [`Ladder::with_window`] sizes it.
//! - [`BestFirst`]: its levels, best first.
//! - [`LevelChange`]: what a [`Ladder::set`] did.
//!
//! ## Layout
//! Each price maps to a *rank*, smaller for better ([`BookSide::rank`]: `!price` for bids,
//! `price` for asks), so both sides share one code path. A ladder holds:
//! - a **window** of `W` consecutive ranks `low..low + W` (`W` a power of two,
//!   [`DEFAULT_WINDOW_TICKS`] by default): one `i64` quantity slot per tick, zero meaning no
//!   level, and a bitmap of the non-empty slots. It always holds the best level. Setting a level
//!   inside it is a slot write and a bit flip, wherever the level is.
//! - an **overflow**: the levels worse than the window, in a `Vec` sorted worst first, so that
//!   the levels just past the window's edge, where most overflow traffic and every hand-over to
//!   the window happen, are at its end and move with a `push`, a `pop` or a short shift.
//! - the best rank, kept up to date by every `set`, and the level counts.
//!
//! The window is anchored so that the best sits `W/8` ticks from its better edge: the book grows
//! worse from the best, so 7/8 of the window is on that side. It moves (*re-anchors*) when a new
//! best is better than the window, when the best drifts more than `W/2` into it (removals at the
//! top), and when its last level goes and the best comes from the overflow. The window is a
//! ring (rank `r` in slot `r mod W`), so a move looks only at the ranks that leave or enter it:
//! moving toward better prices by `d` ticks scans the bitmap of the `min(d, W)` leaving ticks for
//! levels to hand to the overflow; moving toward worse prices pulls the overflow levels that now
//! fit. Neither shifts the slots that stay.
//!
//! ## Costs
//! - `set` in the window, `best`, `len`, `qty_at` in the window: O(1).
//! - `set` or `qty_at` past the window: a binary search of the overflow, and for an insertion or
//!   removal a shift of the better overflow levels.
//! - Removing the best: a bitmap scan to the next level, at most `W/64` words.
//! - `iter`, `depth_to`: a bitmap walk from the best, 64 ticks per word, then the overflow.
//! - `clear`: the `W/64` bitmap words and one store per level.
//! - A re-anchor: see [`Ladder::reanchors`].
//!
//! Why this layout, and its measured costs against the sorted `Vec` it replaced, are in the
//! [book module docs](super#why-a-dense-window-around-the-best-with-a-sorted-overflow).
//!
//! Memory: `W × 8` bytes of slots and `W / 8` of bitmap per side, 520 KiB at the default window,
//! so about 1 MiB per two-sided book; a clone copies all of it.
//!
//! Invariants (`debug_assert!`ed after every `set`; fully checked by the tests):
//! - the best level, when there is one, is in the window, its slot non-zero, at most `W/2`
//!   from the window's better edge (unless the window is at the top of the rank range);
//! - no window slot better than the best is non-zero; every overflow level ranks past the
//!   window; every stored quantity is positive; a slot's bitmap bit is set exactly when it is
//!   non-zero.

mod overflow;
mod side;
mod window;

pub use side::{Asks, Bids, BookSide};

use super::depth::SideDepth;
use crate::units::{Lots, Ticks};
use overflow::Overflow;
use std::fmt;
use std::iter::{FusedIterator, Rev};
use std::slice;
use window::{Window, WindowLevels};

/// Ticks per side in the window of [`Ladder::with_capacity`]: 6 553.6 USD for BTCUSDT's 0.10
/// tick, anchored with 819.2 USD on the better side of the best and 5 734.4 USD on the worse.
pub const DEFAULT_WINDOW_TICKS: usize = 65_536;

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

/// One side of an L2 book: `(price, quantity)` levels in a dense window of ticks around the best
/// price, and a sorted overflow past it.
///
/// - The window spans `W` ticks (a power of two, [`DEFAULT_WINDOW_TICKS`] unless set with
///   [`Ladder::with_window`]): a ring of quantity slots, one per tick, and a bitmap of the
///   non-empty ones. It always holds the best level, anchored `W/8` ticks from its better edge so
///   that 7/8 of it covers the worse prices where the book rests. A `set` in it is O(1).
/// - Levels worse than the window sit in a `Vec` sorted worst first: a `set` there is a binary
///   search and a shift of the better overflow levels.
/// - When the best leaves the window's range, the window moves: see [`Ladder::reanchors`].
///
/// Allocates only at construction: the window (`W × 8` bytes of slots and `W / 8` of bitmap,
/// 520 KiB at the default) and the overflow's capacity. The overflow grows (doubling, amortised)
/// if more levels than that sit past the window, and keeps the larger buffer, including across
/// [`Ladder::clear`]. A clone copies the whole window. Why this layout, with measurements: the
/// [book module docs](crate::book#why-a-dense-window-around-the-best-with-a-sorted-overflow).
#[derive(Clone)]
pub struct Ladder<S: BookSide> {
    /// Holds every level ranked `window.low()..=window.last()`, the best among them.
    window: Window,
    /// Every level ranked past `window.last()`.
    overflow: Overflow<S>,
    /// Rank of the best level: `None` exactly when the side is empty. In the window, its slot
    /// non-zero, at most `W/2` past `window.low()` unless `window.low()` is at its maximum.
    best: Option<i64>,
    /// Times the window moved while the side held levels.
    reanchors: u64,
}

impl<S: BookSide> Default for Ladder<S> {
    /// The default window and no overflow capacity: [`Ladder::with_capacity`]`(0)`.
    fn default() -> Self {
        Ladder::with_capacity(0)
    }
}

impl<S: BookSide> Ladder<S> {
    /// An empty side with the default window of [`DEFAULT_WINDOW_TICKS`] ticks and room for
    /// `levels` levels past it before it allocates again.
    pub fn with_capacity(levels: usize) -> Self {
        Ladder::with_window(DEFAULT_WINDOW_TICKS, levels)
    }

    /// An empty side whose window spans `window_ticks` ticks, with room for `overflow_levels`
    /// levels past the window before it allocates again.
    ///
    /// Size the window to hold the levels that change often: a few percent of the price on
    /// either side of the best. It takes `window_ticks × 8` bytes of slots and `window_ticks / 8`
    /// of bitmap.
    ///
    /// # Panics
    /// If `window_ticks` is not a power of two.
    pub fn with_window(window_ticks: usize, overflow_levels: usize) -> Self {
        Ladder {
            window: Window::new(window_ticks),
            overflow: Overflow::with_capacity(overflow_levels),
            best: None,
            reanchors: 0,
        }
    }

    /// Which side this is.
    #[inline]
    pub const fn side(&self) -> crate::units::Side {
        S::SIDE
    }

    /// Number of levels.
    #[inline]
    pub fn len(&self) -> usize {
        self.window.levels() + self.overflow.len()
    }

    /// True when the side has no levels.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.best.is_none()
    }

    /// Levels the side holds past its window before it must allocate. The window holds any
    /// number of levels within it without allocating.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.overflow.capacity()
    }

    /// Ticks the window spans.
    #[inline]
    pub fn window_ticks(&self) -> usize {
        self.window.width()
    }

    /// Times the window has moved while the side held levels, since construction. Placing the
    /// window on an empty side (for its first level, or the first after a clear) moves nothing
    /// and is not counted.
    ///
    /// The window moves when the best gets more than `W/8` ticks better or `3W/8` ticks worse
    /// than where it was anchored: at the default window and BTCUSDT's 0.10 tick, 819 USD up or
    /// 2 458 USD down for the bids (about 1.3% and 4% of a 61 660 USD price), the reverse for
    /// the asks. The BTCUSDT recording in the [book module docs](super) moves neither window.
    // NB: a re-anchor is the one step of a `set` that is not O(1) or O(log n): O(W/64 + levels
    // moved). Toward better prices it scans the leaving ticks' bitmap (up to 1 024 words at the
    // default W) and pushes their levels onto the overflow; toward worse prices it pops the
    // overflow levels that fit. Measured with a scratch harness on the 2-core bench machine: a
    // removal of the best that moves the window worse plus the re-insertion that moves it back,
    // 32 000 ticks each way, took 0.87 µs for both (7.6 µs when moves scanned slots, without the
    // bitmap); allocation only if the overflow outgrows its capacity.
    #[inline]
    pub fn reanchors(&self) -> u64 {
        self.reanchors
    }

    /// The best level: highest bid or lowest ask.
    #[inline]
    pub fn best(&self) -> Option<(Ticks, Lots)> {
        self.best.map(|rank| (S::price(rank), Lots(self.window.get(rank))))
    }

    /// The levels, best first.
    #[inline]
    pub fn iter(&self) -> BestFirst<'_> {
        let start = self.best.unwrap_or(self.window.low());
        BestFirst {
            window: self.window.iter_from(start),
            flip: side::flip(S::SIDE),
            overflow: self.overflow.iter(),
        }
    }

    /// Quantity at `price`; zero if there is no level there. O(1) in the window, O(log n) past
    /// it.
    #[inline]
    pub fn qty_at(&self, price: Ticks) -> Lots {
        let rank = S::rank(price);
        if self.window.contains(rank) {
            Lots(self.window.get(rank))
        } else if rank > self.window.last() {
            self.overflow.qty_at(price)
        } else {
            Lots::ZERO
        }
    }

    /// Sets the level at `price` to `qty`; a quantity of zero (or less) removes it.
    ///
    /// In the window: a slot write, and after removing the best a scan to the next level. Past
    /// the window: a binary search of the overflow and a shift of its better levels. Better than
    /// the window: a re-anchor (see [`Ladder::reanchors`]). Never allocates unless the overflow
    /// outgrows its capacity.
    ///
    /// [`OrderBook`](super::OrderBook) rejects negative quantities before they reach here.
    #[inline]
    pub fn set(&mut self, price: Ticks, qty: Lots) -> LevelChange {
        let rank = S::rank(price);
        let qty = qty.0.max(0);
        let change = if self.best.is_none() {
            self.set_on_empty(rank, qty)
        } else if self.window.contains(rank) {
            self.set_in_window(rank, qty)
        } else if rank > self.window.last() {
            self.overflow.set(price, Lots(qty))
        } else if qty == 0 {
            // Better than the window, so better than the best: nothing there.
            LevelChange::Absent
        } else {
            self.reanchor(rank);
            self.set_in_window(rank, qty)
        };
        self.debug_assert_best();
        change
    }

    /// Removes every level, keeping the window's position and the overflow's capacity. Visits
    /// the window's bitmap (`W / 64` words) and its levels, not every tick.
    #[inline]
    pub fn clear(&mut self) {
        self.best = None;
        self.window.clear();
        self.overflow.clear();
    }

    /// Quantity, notional and level count of the levels from the best down to `worst`
    /// inclusive (bids priced at or above it, asks at or below it). Walks only those levels.
    pub fn depth_to(&self, worst: Ticks) -> SideDepth {
        let limit = S::rank(worst);
        let mut depth = SideDepth::default();
        let Some(best) = self.best else { return depth };
        for (rank, qty) in self.window.iter_from(best) {
            if rank > limit {
                return depth;
            }
            depth.add(S::price(rank), Lots(qty));
        }
        for &(price, qty) in self.overflow.iter() {
            if S::rank(price) > limit {
                break;
            }
            depth.add(price, qty);
        }
        depth
    }

    /// `set` on an empty side: anchors the window around the new best if it is not well placed
    /// (free: there is nothing to move).
    #[cold]
    fn set_on_empty(&mut self, rank: i64, qty: i64) -> LevelChange {
        if qty == 0 {
            return LevelChange::Absent;
        }
        if !self.well_placed(rank) {
            self.reanchor(rank);
        }
        self.window.set(rank, qty);
        self.best = Some(rank);
        LevelChange::Inserted
    }

    /// `set` of a rank in the window on a side with levels.
    #[inline]
    fn set_in_window(&mut self, rank: i64, qty: i64) -> LevelChange {
        let old = self.window.set(rank, qty);
        match (old != 0, qty != 0) {
            (false, true) => {
                if self.best.is_none_or(|best| rank < best) {
                    self.best = Some(rank);
                }
                LevelChange::Inserted
            }
            (true, true) => LevelChange::Updated,
            (true, false) => {
                if self.best == Some(rank) {
                    self.replace_best(rank);
                }
                LevelChange::Removed
            }
            (false, false) => LevelChange::Absent,
        }
    }

    /// Finds the new best after the best at `removed` went: the next window level, or the
    /// overflow's best. Re-anchors if that is too deep in the window or past it.
    fn replace_best(&mut self, removed: i64) {
        if let Some(next) = self.window.next_level_after(removed) {
            self.best = Some(next);
            if !self.well_placed(next) {
                self.reanchor(next);
            }
        } else if let Some((price, _)) = self.overflow.best() {
            let next = S::rank(price);
            self.reanchor(next);
            self.best = Some(next);
        } else {
            self.best = None;
        }
    }

    /// True when `rank` is in the window and at most `W/2` into it, or as deep as the window can
    /// go (at the top of the rank range).
    #[inline]
    fn well_placed(&self, rank: i64) -> bool {
        self.window.contains(rank)
            && (self.window.offset(rank) <= self.window.width() as u64 / 2
                || self.window.low() == self.window.max_low())
    }

    /// Moves the window so that `best`, the rank of the side's best level after this `set`, sits
    /// `W/8` from its better edge (or as close as the rank range allows): levels falling off the
    /// worse end go to the overflow, overflow levels now inside come in.
    fn reanchor(&mut self, best: i64) {
        let margin = (self.window.width() / 8) as i64;
        let low = best.saturating_sub(margin).min(self.window.max_low());
        let old_low = self.window.low();
        if low == old_low {
            return;
        }
        if !self.is_empty() {
            self.reanchors += 1;
        }
        if low < old_low {
            let overflow = &mut self.overflow;
            self.window.move_better(low, |rank, qty| overflow.push_best(S::price(rank), Lots(qty)));
        } else {
            self.window.move_worse(low);
            while let Some((price, qty)) = self.overflow.best() {
                let rank = S::rank(price);
                if rank > self.window.last() {
                    break;
                }
                self.overflow.pop_best();
                self.window.set(rank, qty.0);
            }
        }
    }

    /// Cheap checks of the best level's invariants.
    #[inline]
    fn debug_assert_best(&self) {
        if cfg!(debug_assertions) {
            match self.best {
                Some(best) => {
                    debug_assert!(self.well_placed(best), "{:?} best {best} badly placed: {self:?}", S::SIDE);
                    debug_assert!(self.window.get(best) > 0, "{:?} best {best} has no level", S::SIDE);
                    debug_assert!(
                        self.overflow.best().is_none_or(|(price, _)| S::rank(price) > self.window.last()),
                        "{:?} overflow best {:?} inside the window",
                        S::SIDE,
                        self.overflow.best()
                    );
                }
                None => debug_assert!(
                    self.window.levels() == 0 && self.overflow.len() == 0,
                    "{:?} side with levels but no best",
                    S::SIDE
                ),
            }
        }
    }

    /// Every invariant, O(W + n): for tests.
    #[cfg(test)]
    fn check(&self) -> Result<(), String> {
        self.window.check()?;
        self.overflow.check()?;
        let first = self.window.iter_from(self.window.low()).next().map(|(rank, _)| rank);
        if first != self.best {
            return Err(format!("best {:?} but the first window level is {first:?}", self.best));
        }
        if let Some(best) = self.best
            && !self.well_placed(best)
        {
            return Err(format!(
                "best {best} badly placed in {}..={}",
                self.window.low(),
                self.window.last()
            ));
        }
        if self.best.is_none() && self.overflow.len() != 0 {
            return Err("overflow levels and no best".into());
        }
        if let Some((price, _)) = self.overflow.best()
            && S::rank(price) <= self.window.last()
        {
            return Err(format!("overflow best {price:?} inside the window"));
        }
        if self.iter().count() != self.len() {
            return Err(format!("{} levels listed, len {}", self.iter().count(), self.len()));
        }
        Ok(())
    }
}

/// Same levels, regardless of where the windows are anchored.
impl<S: BookSide> PartialEq for Ladder<S> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<S: BookSide> Eq for Ladder<S> {}

/// The side, the window's rank span and the levels best first (not the window's slots).
impl<S: BookSide> fmt::Debug for Ladder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ladder")
            .field("side", &S::SIDE)
            .field("window_ranks", &(self.window.low()..=self.window.last()))
            .field("reanchors", &self.reanchors)
            .field("levels", &fmt::from_fn(|f| f.debug_list().entries(self.iter()).finish()))
            .finish()
    }
}

/// Iterator over a ladder's levels, best first: the window's levels from the best, then the
/// overflow's. The same type for both sides.
#[derive(Clone, Debug)]
pub struct BestFirst<'a> {
    window: WindowLevels<'a>,
    /// XOR that turns a rank into a price ([`side::flip`]).
    flip: i64,
    overflow: Rev<slice::Iter<'a, (Ticks, Lots)>>,
}

impl Iterator for BestFirst<'_> {
    type Item = (Ticks, Lots);

    #[inline]
    fn next(&mut self) -> Option<(Ticks, Lots)> {
        match self.window.next() {
            Some((rank, qty)) => Some((Ticks(rank ^ self.flip), Lots(qty))),
            None => self.overflow.next().copied(),
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.window.left() + self.overflow.len();
        (left, Some(left))
    }
}

impl ExactSizeIterator for BestFirst<'_> {}

impl FusedIterator for BestFirst<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Side;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// A ladder holding `levels`, given as `(price, qty)` in any order.
    fn filled<S: BookSide>(levels: &[(i64, i64)]) -> Ladder<S> {
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
        let mut ladder = filled::<Bids>(&[(100, 1), (104, 5), (102, 3), (101, 2), (103, 4)]);
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

        // Bottom: below everything.
        assert_eq!(ladder.set(Ticks(90), Lots(8)), LevelChange::Inserted);
        assert_eq!(ladder.set(Ticks(100), Lots(0)), LevelChange::Removed);
        assert_eq!(listed(&ladder), [(104, 5), (103, 4), (102, 6), (101, 2), (90, 8)]);

        // Removing a level that is not there changes nothing.
        assert_eq!(ladder.set(Ticks(95), Lots(0)), LevelChange::Absent);
        assert_eq!(ladder.len(), 5);
        ladder.check().unwrap();
    }

    #[test]
    fn asks_are_best_lowest() {
        // Same prices on the ask side: the lowest is best.
        let mut ladder = filled::<Asks>(&[(100, 1), (104, 5), (102, 3), (101, 2), (103, 4)]);
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
        ladder.check().unwrap();
    }

    #[test]
    fn qty_at_missing_levels_is_zero() {
        let ladder = filled::<Bids>(&[(10, 1), (20, 2), (30, 3), (40, 4), (50, 5), (60, 6)]);
        assert_eq!(ladder.qty_at(Ticks(20)), Lots(2));
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
        let ladder = filled::<Bids>(&[(101, 3), (102, 2), (103, 1)]);
        let depth = ladder.depth_to(Ticks(102));
        assert_eq!((depth.levels, depth.qty, depth.notional.get()), (2, Lots(3), 307));
        // A limit better than the best takes nothing.
        assert_eq!(ladder.depth_to(Ticks(104)).levels, 0);

        // Asks 201×4, 202×5: up to 201 is only the best, 804 tick·lots.
        let ladder = filled::<Asks>(&[(202, 5), (201, 4)]);
        let depth = ladder.depth_to(Ticks(201));
        assert_eq!((depth.levels, depth.qty, depth.notional.get()), (1, Lots(4), 804));
        assert_eq!(ladder.depth_to(Ticks(i64::MAX)).qty, Lots(9));
    }

    #[test]
    fn depth_to_reaches_into_the_overflow() {
        // Window of 16 ticks; the best ask 100 sits 2 ticks (16/8) in, so the window is
        // 98..=113 and 150, 200 are overflow levels.
        let mut ladder = Ladder::<Asks>::with_window(16, 4);
        for (price, qty) in [(100, 1), (110, 2), (150, 3), (200, 4)] {
            ladder.set(Ticks(price), Lots(qty));
        }
        assert_eq!(ladder.capacity(), 4);
        assert_eq!(ladder.qty_at(Ticks(150)), Lots(3));
        assert_eq!(ladder.qty_at(Ticks(151)), Lots::ZERO);
        // Up to 150: 100×1 + 110×2 + 150×3 = 770 tick·lots, 6 lots, 3 levels.
        let depth = ladder.depth_to(Ticks(150));
        assert_eq!((depth.levels, depth.qty, depth.notional.get()), (3, Lots(6), 770));
        assert_eq!(ladder.iter().len(), 4);
        ladder.check().unwrap();
    }

    #[test]
    fn clear_keeps_capacity() {
        let mut ladder = filled::<Bids>(&[(1, 1), (2, 2)]);
        let capacity = ladder.capacity();
        ladder.clear();
        assert!(ladder.is_empty());
        assert_eq!(ladder.best(), None);
        assert_eq!(ladder.capacity(), capacity);
        ladder.check().unwrap();
    }

    #[test]
    fn reanchoring_both_ways() {
        // W = 16: the best is anchored 2 ticks (W/8) from the window's better edge and may
        // drift 8 ticks (W/2) into it. Asks, so ranks are prices and lower is better.
        let mut ladder = Ladder::<Asks>::with_window(16, 8);

        // The first level anchors the window for free: best 1000, window 998..=1013.
        ladder.set(Ticks(1000), Lots(1));
        assert_eq!((ladder.window.low(), ladder.window.last()), (998, 1013));
        assert_eq!(ladder.reanchors(), 0);
        // 1005 and 1013 go in the window, 1014 and 1020 past it into the overflow.
        for (price, qty) in [(1005, 2), (1013, 3), (1014, 4), (1020, 5)] {
            ladder.set(Ticks(price), Lots(qty));
        }
        assert_eq!((ladder.window.levels(), ladder.overflow.len()), (3, 2));

        // Toward better prices: an ask at 990 is below the window (998). The window moves to
        // 988..=1003 (990 − 2): 1005 and 1013 fall off the worse end into the overflow.
        ladder.set(Ticks(990), Lots(6));
        assert_eq!(ladder.reanchors(), 1);
        assert_eq!((ladder.window.low(), ladder.window.last()), (988, 1003));
        assert_eq!((ladder.window.levels(), ladder.overflow.len()), (2, 4));
        assert_eq!(listed(&ladder), [(990, 6), (1000, 1), (1005, 2), (1013, 3), (1014, 4), (1020, 5)]);
        ladder.check().unwrap();

        // Toward worse prices by removing the best: 1000 is 12 ticks in, more than W/2 = 8,
        // so the window moves to 998..=1013 and takes 1005 and 1013 back from the overflow.
        ladder.set(Ticks(990), Lots(0));
        assert_eq!(ladder.reanchors(), 2);
        assert_eq!((ladder.window.low(), ladder.window.last()), (998, 1013));
        assert_eq!((ladder.window.levels(), ladder.overflow.len()), (3, 2));
        ladder.check().unwrap();

        // Removing the best twice more: without 1000 the best is 1005, 7 ticks in, and nothing
        // moves; without 1005 it is 1013, 15 ticks in, so the window moves to 1011..=1026 and
        // takes 1014 and 1020 from the overflow.
        ladder.set(Ticks(1000), Lots(0));
        assert_eq!(ladder.reanchors(), 2);
        ladder.set(Ticks(1005), Lots(0));
        assert_eq!(ladder.reanchors(), 3);
        assert_eq!((ladder.window.low(), ladder.window.last()), (1011, 1026));
        assert_eq!(listed(&ladder), [(1013, 3), (1014, 4), (1020, 5)]);
        assert_eq!(ladder.overflow.len(), 0);
        ladder.check().unwrap();

        // Bids mirror it: ranks are !price, so a higher bid is better than the window.
        let mut ladder = Ladder::<Bids>::with_window(16, 8);
        ladder.set(Ticks(1000), Lots(1)); // window 987..=1002 in prices, best 2 ticks from the top
        ladder.set(Ticks(980), Lots(2)); // 20 ticks below the best, 7 past the window: overflow
        assert_eq!((ladder.window.levels(), ladder.overflow.len()), (1, 1));
        // 1050 is better than the window: it moves up to 1037..=1052, 1000 to the overflow.
        ladder.set(Ticks(1050), Lots(3));
        assert_eq!((ladder.window.levels(), ladder.overflow.len(), ladder.reanchors()), (1, 2, 1));
        // Removing 1050 empties the window: the overflow's best, 1000, becomes the best and the
        // window moves back to 987..=1002 around it; 980 stays in the overflow.
        ladder.set(Ticks(1050), Lots(0));
        assert_eq!((ladder.window.levels(), ladder.overflow.len(), ladder.reanchors()), (1, 1, 2));
        assert_eq!(listed(&ladder), [(1000, 1), (980, 2)]);
        ladder.check().unwrap();
    }

    #[test]
    fn clear_zeroes_only_what_was_written_and_keeps_the_anchor() {
        let mut ladder = Ladder::<Bids>::with_window(64, 0);
        for price in [500, 499, 470] {
            ladder.set(Ticks(price), Lots(1));
        }
        let (low, last) = (ladder.window.low(), ladder.window.last());
        ladder.clear();
        assert_eq!((ladder.len(), ladder.best()), (0, None));
        assert_eq!((ladder.window.low(), ladder.window.last()), (low, last));
        ladder.check().unwrap();
        // Refilling after the clear finds no stale levels.
        ladder.set(Ticks(480), Lots(2));
        assert_eq!(listed(&ladder), [(480, 2)]);
        ladder.check().unwrap();
    }

    #[test]
    fn equality_ignores_where_the_window_is() {
        // Same levels, reached through different anchors: equal. A clone is equal too.
        // `moved` anchors on 97 (window 96..=103) and keeps that window when 97 goes, since 100
        // is only W/2 = 4 ticks in; `direct` anchors on 100 (window 99..=106).
        let mut moved = Ladder::<Asks>::with_window(8, 0);
        moved.set(Ticks(97), Lots(1));
        moved.set(Ticks(100), Lots(2));
        moved.set(Ticks(97), Lots(0));
        let mut direct = Ladder::<Asks>::with_window(8, 0);
        direct.set(Ticks(100), Lots(2));
        assert_eq!((moved.window.low(), direct.window.low()), (96, 99));
        assert_eq!(moved, direct);
        assert_eq!(moved.clone(), moved);
        direct.set(Ticks(101), Lots(1));
        assert_ne!(moved, direct);
    }

    #[test]
    fn extreme_prices_with_a_tiny_window() {
        // Bids at the very top and bottom of the price range: rank !i64::MAX = i64::MIN is the
        // best possible, !i64::MIN = i64::MAX the worst; anchoring saturates at both ends.
        let mut ladder = Ladder::<Bids>::with_window(8, 0);
        for price in [i64::MIN, i64::MIN + 1, 0, i64::MAX - 1, i64::MAX] {
            ladder.set(Ticks(price), Lots(1));
            ladder.check().unwrap();
        }
        assert_eq!(ladder.best(), Some((Ticks(i64::MAX), Lots(1))));
        assert_eq!(ladder.window.low(), i64::MIN);
        for price in [i64::MAX, i64::MAX - 1, 0] {
            ladder.set(Ticks(price), Lots(0));
            ladder.check().unwrap();
        }
        // Only the two worst bids remain: the window sits at the top of the rank range.
        assert_eq!(listed(&ladder), [(i64::MIN + 1, 1), (i64::MIN, 1)]);
        assert_eq!(ladder.window.last(), i64::MAX);
        assert_eq!(ladder.qty_at(Ticks(i64::MIN)), Lots(1));
    }

    #[test]
    #[should_panic(expected = "window width must be a power of two")]
    fn window_must_be_a_power_of_two() {
        let _ = Ladder::<Bids>::with_window(1000, 0);
    }

    /// Checks a ladder against a `BTreeMap` model after one `set`; with `full`, every invariant
    /// (O(W)), not just the listing.
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
        check_listing(ladder, model)?;
        prop_assert_eq!(ladder.qty_at(Ticks(price)).0, model.get(&price).copied().unwrap_or(0));
        Ok(())
    }

    /// Checks the listing, length and best against the model, and every invariant when the
    /// window is small enough for an O(W) check per step.
    fn check_listing<S: BookSide>(
        ladder: &Ladder<S>,
        model: &BTreeMap<i64, i64>,
    ) -> Result<(), TestCaseError> {
        // Best first: descending prices for bids, ascending for asks.
        let mut expected: Vec<(i64, i64)> = model.iter().map(|(&p, &q)| (p, q)).collect();
        if S::SIDE == Side::Bid {
            expected.reverse();
        }
        prop_assert_eq!(listed(ladder), expected.clone());
        prop_assert_eq!(ladder.len(), model.len());
        prop_assert_eq!(ladder.iter().len(), model.len());
        prop_assert_eq!(ladder.best().map(|(p, q)| (p.0, q.0)), expected.first().copied());
        if ladder.window_ticks() <= 1024
            && let Err(broken) = ladder.check()
        {
            return Err(TestCaseError::fail(format!("{broken}: {ladder:?}")));
        }
        Ok(())
    }

    /// One step of a walk for the small-window property.
    #[derive(Clone, Debug)]
    enum Step {
        /// Set a level `offset` ticks from the walk's centre.
        Set(i64, i64),
        /// Move the centre by this many ticks.
        Drift(i64),
        /// Remove the best level.
        RemoveBest,
        /// Clear the side.
        Clear,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            8 => (-40i64..=40, -1i64..=4).prop_map(|(offset, qty)| Step::Set(offset, qty)),
            2 => prop_oneof![-20i64..=20, -300i64..=300, -5000i64..=5000].prop_map(Step::Drift),
            2 => Just(Step::RemoveBest),
            1 => Just(Step::Clear),
        ]
    }

    /// Plays a random walk on one side with a small window, against the model.
    fn walk<S: BookSide>(window: usize, start: i64, steps: &[Step]) -> Result<(), TestCaseError> {
        let mut ladder = Ladder::<S>::with_window(window, 2);
        let mut model = BTreeMap::new();
        let mut centre = start;
        for step in steps {
            match *step {
                Step::Set(offset, qty) => {
                    check_against_model(&mut ladder, &mut model, centre.saturating_add(offset), qty)?
                }
                Step::Drift(by) => centre = centre.saturating_add(by),
                Step::RemoveBest => {
                    if let Some((best, _)) = ladder.best() {
                        check_against_model(&mut ladder, &mut model, best.0, 0)?;
                    }
                }
                Step::Clear => {
                    ladder.clear();
                    model.clear();
                    check_listing(&ladder, &model)?;
                }
            }
        }
        // Drain from the top: every removal of the best finds the next one.
        while let Some((best, _)) = ladder.best() {
            check_against_model(&mut ladder, &mut model, best.0, 0)?;
        }
        prop_assert!(model.is_empty());
        Ok(())
    }

    fn window_width() -> impl Strategy<Value = usize> {
        prop_oneof![Just(1usize), Just(2), Just(8), Just(64)]
    }

    fn walk_start() -> impl Strategy<Value = i64> {
        prop_oneof![Just(0i64), Just(616_597), -1_000_000i64..1_000_000, Just(i64::MIN), Just(i64::MAX)]
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

        #[test]
        fn small_windows_match_a_btreemap_model_on_random_walks(
            window in window_width(),
            start in walk_start(),
            bid_steps in prop::collection::vec(step(), 0..200),
            ask_steps in prop::collection::vec(step(), 0..200),
        ) {
            walk::<Bids>(window, start, &bid_steps)?;
            walk::<Asks>(window, start, &ask_steps)?;
        }

        #[test]
        fn small_windows_keep_order_at_extreme_prices(
            window in window_width(),
            operations in prop::collection::vec(
                (
                    any::<bool>(),
                    prop_oneof![
                        any::<i64>(),
                        (0i64..16).prop_map(|below| i64::MAX - below),
                        (0i64..16).prop_map(|above| i64::MIN + above),
                        -16i64..16,
                    ],
                    -1i64..=3,
                ),
                0..128,
            ),
        ) {
            let mut bids = Ladder::<Bids>::with_window(window, 0);
            let mut asks = Ladder::<Asks>::with_window(window, 0);
            let (mut bid_model, mut ask_model) = (BTreeMap::new(), BTreeMap::new());
            for (is_bid, price, qty) in operations {
                if is_bid {
                    check_against_model(&mut bids, &mut bid_model, price, qty)?;
                } else {
                    check_against_model(&mut asks, &mut ask_model, price, qty)?;
                }
            }
        }
    }
}
