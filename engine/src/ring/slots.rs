//! The preallocated slot array: `capacity` cells, a power of two, allocated once by
//! [`RingBuilder::new`](super::RingBuilder::new) and never again. Sequence `s` lives in cell
//! `s & mask`.
//!
//! This is where the ring's raw memory is touched. The cells do not know which sequences are
//! safe to touch, so [`Slots::write`] and [`Slots::read`] are `unsafe fn`s: their callers in
//! `producer.rs` and `consumer.rs` discharge the contract from the cursor protocol, each with
//! its own `// SAFETY:` argument next to the cursor arithmetic that proves it.

use std::collections::TryReserveError;

use super::sync::UnsafeCell;

/// `capacity` cells of `T`, indexed by sequence modulo capacity.
pub(super) struct Slots<T> {
    /// Invariant: `cells.len()` is a power of two, at least 2.
    cells: Box<[UnsafeCell<T>]>,
    /// `cells.len() - 1`: the low bits of a sequence are its cell index.
    mask: u64,
}

// SAFETY: `Slots` is shared between the producer thread and consumer threads, which access its
// cells through `write` and `read` only. Their contract (never a write concurrent with another
// access to the same cell) rules out data races. Values cross threads by copy (`read` returns a
// `T`, never a `&T`), so `T: Send` suffices: no `&T` is ever shared between threads.
unsafe impl<T: Send> Sync for Slots<T> {}

impl<T: Copy> Slots<T> {
    /// Allocates `capacity` cells holding `fill`. `capacity` must be a power of two >= 2
    /// (checked by the builder; asserted here).
    pub(super) fn new(capacity: usize, fill: T) -> Result<Self, TryReserveError> {
        assert!(capacity.is_power_of_two() && capacity >= 2, "capacity {capacity} was not validated");
        let mut cells = Vec::new();
        cells.try_reserve_exact(capacity)?;
        cells.extend((0..capacity).map(|_| UnsafeCell::new(fill)));
        Ok(Self { cells: cells.into_boxed_slice(), mask: capacity as u64 - 1 })
    }

    /// Writes `value` into the cell of `sequence`.
    ///
    /// # Safety
    /// No other access to the cell of `sequence` may run concurrently, and every earlier read
    /// of that cell must happen-before this call. The producer guarantees both by writing
    /// `sequence` only once every consumer's cursor (loaded with Acquire) is past
    /// `sequence - capacity`, the previous sequence in this cell, and only from the one
    /// `Producer` (`&mut self`).
    #[inline]
    pub(super) unsafe fn write(&self, sequence: u64, value: T) {
        self.cell(sequence).with_mut(|cell| {
            // SAFETY: `cell` points into a live allocation owned by `self`, aligned and
            // initialized; the caller guarantees exclusive access to it for this call.
            unsafe { cell.write(value) }
        });
    }

    /// Copies the value out of the cell of `sequence`.
    ///
    /// # Safety
    /// The write of `sequence` must happen-before this call, and no write to the cell may run
    /// concurrently. Consumers guarantee both by reading only below the limit they loaded
    /// (Acquire) from the producer's cursor or their dependencies' cursors, and by storing
    /// their own cursor (Release) only after the read; the producer does not overwrite the
    /// cell before it sees that store.
    #[inline]
    pub(super) unsafe fn read(&self, sequence: u64) -> T {
        self.cell(sequence).with(|cell| {
            // SAFETY: `cell` points into a live allocation owned by `self`, aligned and
            // initialized (filled at construction); the caller guarantees no concurrent write.
            unsafe { cell.read() }
        })
    }

    /// Number of cells.
    #[inline]
    pub(super) fn capacity(&self) -> usize {
        self.cells.len()
    }

    #[inline]
    fn cell(&self, sequence: u64) -> &UnsafeCell<T> {
        // NB: a plain index; the bounds check is one compare against a value in a register and
        // never fails (`sequence & mask < len` because `len` is a power of two). Not worth an
        // `unsafe` `get_unchecked` without a measurement that says otherwise.
        &self.cells[(sequence & self.mask) as usize]
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    // Sequences wrap onto cells modulo the capacity: with 4 cells, sequence 4 reuses cell 0,
    // and a sequence near u64::MAX still lands inside the array.
    #[test]
    fn sequences_wrap_onto_cells() {
        let slots = Slots::new(4, 0u64).unwrap();
        assert_eq!(slots.capacity(), 4);
        for sequence in [0, 1, 2, 3, 4, 5, 1 << 40, u64::MAX - 1, u64::MAX] {
            // SAFETY: single-threaded test; nothing else touches `slots`.
            unsafe { slots.write(sequence, sequence) };
            // SAFETY: as above; the write happened just before on this thread.
            let read = unsafe { slots.read(sequence) };
            // SAFETY: as above; 4000 sequences later is the same cell.
            let same_cell = unsafe { slots.read(sequence.wrapping_add(4 * 1000)) };
            assert_eq!((read, same_cell), (sequence, sequence), "{sequence}");
        }
    }

    // A fresh ring reads back the fill value in every cell.
    #[test]
    fn cells_start_filled() {
        let slots = Slots::new(8, [7u8; 3]).unwrap();
        for sequence in 0..8 {
            // SAFETY: single-threaded test.
            assert_eq!(unsafe { slots.read(sequence) }, [7u8; 3]);
        }
    }
}
