//! The dense part of a ladder: one quantity slot per tick over a fixed span of ranks.
//!
//! - [`Window`]: `width` consecutive ranks `low..=last`, stored as a ring (rank `r` in slot
//!   `r & (width − 1)`), so moving the span touches only the ranks that leave or enter it, never
//!   shifts the rest.
//! - [`WindowLevels`]: its non-empty slots, best (lowest rank) first.
//!
//! The window knows nothing of prices or sides; [`Ladder`](super::Ladder) maps prices to ranks,
//! keeps the best level inside the window and the levels past it in the overflow.

/// `width` consecutive ranks `low..=last()` with a quantity slot each.
///
/// Allocates once, at construction: a zeroed `width × 8`-byte buffer.
#[derive(Clone)]
pub(super) struct Window {
    /// Quantity in lots per slot; zero means no level. Rank `r` of the window is in slot
    /// `r & mask`. Raw `i64` rather than `Lots`: `vec![0i64; n]` is a zeroed allocation whose
    /// pages the OS maps on first touch, while `vec![Lots(0); n]` writes every slot up front.
    slots: Vec<i64>,
    /// `width − 1`; `width` (the length of `slots`) is a power of two.
    mask: u64,
    /// The lowest (best) rank covered. `low <= i64::MAX − mask`, so `last() = low + mask` never
    /// overflows.
    low: i64,
    /// Number of non-zero slots.
    levels: usize,
    /// No slot of a rank above this is non-zero: at least the worst level's rank. Can be stale
    /// (a removal never lowers it); `i64::MIN` after a clear.
    high_water: i64,
}

impl Window {
    /// An empty window of `width` ranks, covering the worst ranks until first moved.
    ///
    /// # Panics
    /// If `width` is not a power of two.
    pub(super) fn new(width: usize) -> Window {
        assert!(width.is_power_of_two(), "window width must be a power of two, got {width}");
        let mask = width as u64 - 1;
        Window { slots: vec![0; width], mask, low: i64::MAX - mask as i64, levels: 0, high_water: i64::MIN }
    }

    /// Number of ranks covered.
    #[inline]
    pub(super) fn width(&self) -> usize {
        self.slots.len()
    }

    /// Lowest (best) rank covered.
    #[inline]
    pub(super) fn low(&self) -> i64 {
        self.low
    }

    /// Highest (worst) rank covered.
    #[inline]
    pub(super) fn last(&self) -> i64 {
        self.low + self.mask as i64
    }

    /// Highest `low` a window of this width can have: the one whose `last()` is `i64::MAX`.
    #[inline]
    pub(super) fn max_low(&self) -> i64 {
        i64::MAX - self.mask as i64
    }

    /// Number of non-empty slots.
    #[inline]
    pub(super) fn levels(&self) -> usize {
        self.levels
    }

    /// True when `rank` is in `low..=last()`.
    #[inline]
    pub(super) fn contains(&self, rank: i64) -> bool {
        // Wrapping: a rank below `low` wraps to at least `2⁶³ − low >= mask + 1` (as
        // `low <= i64::MAX − mask`), so it fails the test like a rank above `last()` does.
        self.offset(rank) <= self.mask
    }

    /// How far `rank` is from `low`; meaningful for a rank in the window.
    #[inline]
    pub(super) fn offset(&self, rank: i64) -> u64 {
        rank.wrapping_sub(self.low) as u64
    }

    #[inline]
    fn slot(&self, rank: i64) -> usize {
        (rank as u64 & self.mask) as usize
    }

    /// Quantity at `rank`, which must be in the window; zero for no level.
    #[inline]
    pub(super) fn get(&self, rank: i64) -> i64 {
        debug_assert!(self.contains(rank), "rank {rank} outside the window {}..={}", self.low, self.last());
        self.slots[self.slot(rank)]
    }

    /// Sets `rank` (in the window) to `qty` (positive, or zero to empty it) and returns the
    /// quantity it had.
    #[inline]
    pub(super) fn set(&mut self, rank: i64, qty: i64) -> i64 {
        debug_assert!(self.contains(rank), "rank {rank} outside the window {}..={}", self.low, self.last());
        debug_assert!(qty >= 0, "negative quantity {qty} at rank {rank}");
        let slot = self.slot(rank);
        let old = std::mem::replace(&mut self.slots[slot], qty);
        self.levels = self.levels + usize::from(qty != 0) - usize::from(old != 0);
        if qty != 0 {
            self.high_water = self.high_water.max(rank);
        }
        old
    }

    /// The best non-empty rank after `rank` (in the window), if any: a scan toward `last()`,
    /// stopping at the high-water mark.
    pub(super) fn next_level_after(&self, rank: i64) -> Option<i64> {
        let end = self.high_water.min(self.last());
        if self.levels == 0 || rank >= end {
            return None;
        }
        // `rank < end <= i64::MAX`: no overflow. At most `width − 1` ranks to look at.
        let first = rank + 1;
        let count = (end - rank) as u64 as usize;
        let start = self.slot(first);
        let head = count.min(self.slots.len() - start);
        let found = match self.slots[start..start + head].iter().position(|&qty| qty != 0) {
            Some(index) => Some(index),
            None => self.slots[..count - head].iter().position(|&qty| qty != 0).map(|index| head + index),
        };
        found.map(|index| first + index as i64)
    }

    /// Empties every slot. `best` must be the lowest non-empty rank when there is one: the slots
    /// from it up to the high-water mark are zeroed (one or two `memset`s), nothing else.
    pub(super) fn clear(&mut self, best: i64) {
        if self.levels != 0 {
            debug_assert!(self.contains(best) && self.get(best) != 0, "clear from a non-level {best}");
            let end = self.high_water.min(self.last());
            self.fill_zero(best, end);
        }
        self.levels = 0;
        self.high_water = i64::MIN;
    }

    /// Zeroes the slots of ranks `first..=end`, all in the window.
    fn fill_zero(&mut self, first: i64, end: i64) {
        if first > end {
            return;
        }
        let count = (end - first) as u64 as usize + 1;
        let start = self.slot(first);
        let head = count.min(self.slots.len() - start);
        self.slots[start..start + head].fill(0);
        self.slots[..count - head].fill(0);
    }

    /// Moves the window to the better ranks `new_low..` (`new_low < low`, `new_low <= max_low()`).
    /// The levels that fall off the worse end go to `evicted` as `(rank, qty)`, worst first.
    ///
    /// Looks at the leaving slots up to the high-water mark, and stops at the last level:
    /// O(min(low − new_low, width)) at most.
    pub(super) fn move_better(&mut self, new_low: i64, mut evicted: impl FnMut(i64, i64)) {
        debug_assert!(new_low < self.low && new_low <= self.max_low());
        // The first rank that leaves: `new_low + width` if the windows overlap, else `low`.
        // `new_low < low <= i64::MAX − mask`, so `new_low + mask + 1` does not overflow.
        let leaving = (new_low + self.mask as i64 + 1).max(self.low);
        let mut rank = self.high_water.min(self.last());
        while self.levels != 0 && rank >= leaving {
            let slot = self.slot(rank);
            let qty = std::mem::take(&mut self.slots[slot]);
            if qty != 0 {
                self.levels -= 1;
                evicted(rank, qty);
            }
            rank -= 1;
        }
        self.low = new_low;
        self.high_water = self.high_water.min(self.last());
    }

    /// Moves the window to the worse ranks `new_low..` (`low < new_low <= max_low()`). No level
    /// may rank below `new_low`; the ranks that enter are empty until the caller sets them. O(1).
    pub(super) fn move_worse(&mut self, new_low: i64) {
        debug_assert!(self.low < new_low && new_low <= self.max_low());
        debug_assert!(
            self.levels == 0 || self.iter_from(self.low).next().is_none_or(|(rank, _)| rank >= new_low),
            "moving the window to {new_low} would drop levels below it"
        );
        self.low = new_low;
    }

    /// The non-empty slots from `rank` (in the window) on, best first.
    #[inline]
    pub(super) fn iter_from(&self, rank: i64) -> WindowLevels<'_> {
        // Every level ranks at or after the best, so starting there finds them all.
        WindowLevels { slots: &self.slots, mask: self.mask, next: rank, left: self.levels }
    }

    /// Every check of the window's invariants, O(width): for tests.
    #[cfg(test)]
    pub(super) fn check(&self) -> Result<(), String> {
        let non_zero = self.slots.iter().filter(|&&qty| qty != 0).count();
        if non_zero != self.levels {
            return Err(format!("{} levels counted, {non_zero} slots non-zero", self.levels));
        }
        if self.slots.iter().any(|&qty| qty < 0) {
            return Err("a negative quantity".into());
        }
        if self.low > self.max_low() {
            return Err(format!("low {} above {}", self.low, self.max_low()));
        }
        if self.levels != 0 {
            let worst =
                (0..=self.mask).rev().map(|offset| self.low + offset as i64).find(|&r| self.get(r) != 0);
            if worst.is_some_and(|worst| worst > self.high_water) {
                return Err(format!("level at {worst:?} above the high-water mark {}", self.high_water));
            }
        }
        Ok(())
    }
}

/// The non-empty slots of a [`Window`] from a starting rank, best first, as `(rank, qty)`.
///
/// Stops after the window's level count, so it never scans past the worst level; and since
/// that count is exact, it ends even if the starting rank were wrong (it would wrap the ring).
#[derive(Clone, Debug)]
pub(super) struct WindowLevels<'a> {
    slots: &'a [i64],
    mask: u64,
    /// Next rank to look at.
    next: i64,
    /// Levels not yet yielded.
    left: usize,
}

impl WindowLevels<'_> {
    /// Levels not yet yielded.
    #[inline]
    pub(super) fn left(&self) -> usize {
        self.left
    }
}

impl Iterator for WindowLevels<'_> {
    type Item = (i64, i64);

    #[inline]
    fn next(&mut self) -> Option<(i64, i64)> {
        while self.left != 0 {
            let rank = self.next;
            // Wraps only past the last level, after which `left` is zero.
            self.next = rank.wrapping_add(1);
            let qty = self.slots[(rank as u64 & self.mask) as usize];
            if qty != 0 {
                self.left -= 1;
                return Some((rank, qty));
            }
        }
        None
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An empty window of `width` ranks from `low`. A new window covers the worst ranks, so
    /// this is a move toward better ones, with nothing to evict.
    fn window_at(width: usize, low: i64) -> Window {
        let mut window = Window::new(width);
        if low != window.low() {
            window.move_better(low, |rank, _| panic!("an empty window evicted {rank}"));
        }
        window
    }

    #[test]
    fn contains_tests_the_span_without_overflow() {
        // Width 8 at low 100 covers 100..=107.
        let window = window_at(8, 100);
        assert!(window.contains(100) && window.contains(107));
        assert!(!window.contains(99) && !window.contains(108));
        // The ranks farthest away wrap far above the mask, not into the span.
        assert!(!window.contains(i64::MIN) && !window.contains(i64::MAX));

        // A fresh window sits at the top of the rank range: i64::MAX − 7 ..= i64::MAX.
        let window = Window::new(8);
        assert_eq!((window.low(), window.last()), (i64::MAX - 7, i64::MAX));
        assert!(window.contains(i64::MAX) && !window.contains(i64::MAX - 8));
        assert!(!window.contains(i64::MIN) && !window.contains(0));

        // At the bottom: i64::MIN ..= i64::MIN + 7.
        let window = window_at(8, i64::MIN);
        assert!(window.contains(i64::MIN) && window.contains(i64::MIN + 7));
        assert!(!window.contains(i64::MIN + 8) && !window.contains(i64::MAX));
    }

    #[test]
    fn ring_slots_survive_a_move() {
        // Width 8 at 16: ranks 16..=23 in slots 0..=7. Levels at 17 (slot 1) and 22 (slot 6).
        let mut window = window_at(8, 16);
        window.set(17, 5);
        window.set(22, 9);
        // Moving better by 3 to 13..=20: 21..=23 leave, so 22 is evicted. Slots 5..=7 now
        // hold ranks 13..=15; 17 stays in slot 1, untouched.
        let mut evicted = Vec::new();
        window.move_better(13, |rank, qty| evicted.push((rank, qty)));
        assert_eq!(evicted, [(22, 9)]);
        assert_eq!((window.get(17), window.get(13), window.levels()), (5, 0, 1));
        // Moving worse by 4 to 17..=24: 13..=16 leave (empty), 21..=24 enter empty.
        window.move_worse(17);
        assert_eq!((window.get(17), window.get(21), window.get(24)), (5, 0, 0));
        window.check().unwrap();
    }

    #[test]
    fn next_level_after_wraps_the_ring_and_stops_at_the_end() {
        // Width 8 at 5: ranks 5..=12, slots 5, 6, 7, 0, 1, 2, 3, 4.
        let mut window = window_at(8, 5);
        window.set(6, 1); // slot 6
        window.set(11, 2); // slot 3, past the ring's wrap
        assert_eq!(window.next_level_after(5), Some(6));
        assert_eq!(window.next_level_after(6), Some(11));
        assert_eq!(window.next_level_after(11), None);
        assert_eq!(window.next_level_after(12), None);
        let levels: Vec<_> = window.iter_from(5).collect();
        assert_eq!(levels, [(6, 1), (11, 2)]);

        // Clearing from the best zeroes 6..=11, through the wrap.
        window.clear(6);
        assert_eq!(window.levels(), 0);
        window.check().unwrap();
        assert_eq!(window.next_level_after(5), None);
    }

    #[test]
    fn a_move_past_the_whole_width_evicts_everything_worst_first() {
        let mut window = window_at(4, 100);
        for (rank, qty) in [(100, 1), (101, 2), (103, 4)] {
            window.set(rank, qty);
        }
        let mut evicted = Vec::new();
        window.move_better(50, |rank, qty| evicted.push((rank, qty)));
        assert_eq!(evicted, [(103, 4), (101, 2), (100, 1)]);
        assert_eq!((window.low(), window.levels()), (50, 0));
        window.check().unwrap();
    }

    #[test]
    #[should_panic(expected = "window width must be a power of two")]
    fn width_must_be_a_power_of_two() {
        let _ = Window::new(48);
    }
}
