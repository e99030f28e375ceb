//! The preallocated slot array: `capacity` cells, a power of two, allocated once by
//! [`RingBuilder::new`](super::RingBuilder::new) and never again. Sequence `s` lives in cell
//! `s & mask`.
//!
//! - [`Slots`] owns the cells; it lives in the ring's shared state, behind the `Arc`.
//! - [`RawSlots`] is a copy of its base pointer and mask that the producer and each consumer
//!   keep in their own struct, so the hot paths index the cells without going through the
//!   `Arc` and without a bounds check.
//!
//! This is where the ring's raw memory is touched. The cells do not know which sequences are
//! safe to touch, so [`RawSlots::write`] and [`RawSlots::read`] are `unsafe fn`s: their callers
//! in `producer.rs` and `consumer.rs` discharge the contract from the cursor protocol, each with
//! its own `// SAFETY:` argument next to the cursor arithmetic that proves it.

use std::collections::TryReserveError;
use std::ptr::NonNull;

use super::sync::UnsafeCell;

/// `capacity` cells of `T`, indexed by sequence modulo capacity.
pub(super) struct Slots<T> {
    /// Invariant: `cells.len()` is a power of two, at least 2. Never reallocated, so pointers
    /// into it stay valid as long as `self` lives.
    cells: Box<[UnsafeCell<T>]>,
    /// `cells.len() - 1`: the low bits of a sequence are its cell index.
    mask: u64,
}

// SAFETY: `Slots` is shared between the producer thread and consumer threads, which access its
// cells through `RawSlots::write` and `RawSlots::read` only. Their contract (never a write
// concurrent with another access to the same cell) rules out data races. Values cross threads
// by copy (`read` returns a `T`, never a `&T`), so `T: Send` suffices: no `&T` is ever shared
// between threads.
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

    /// Number of cells.
    #[inline]
    pub(super) fn capacity(&self) -> usize {
        self.cells.len()
    }

    /// The base pointer and mask, for a producer or consumer to keep next to its other fields.
    /// Valid as long as `self` is (the holder keeps the `Arc` that owns `self`).
    pub(super) fn raw(&self) -> RawSlots<T> {
        RawSlots { base: NonNull::from(&*self.cells).cast(), mask: self.mask }
    }
}

/// A [`Slots`]' base pointer and mask, held by the one that indexes it on a hot path.
///
/// NB: through the `Arc`, every slot access cost a load of the `Arc`'s pointer, of the boxed
/// slice's pointer and length and of the mask, and a bounds check: LLVM cannot keep them in
/// registers across the slot writes and the caller's code, which may write anywhere. With this
/// copy, `Producer::push_batch` writes a run of slots through a local index: `benches/ring.rs`,
/// burst64 column, 449 Mmsg/s against 397 for 64 `push` calls (rows `halcyon ring` and
/// `ring, per-push batch`, one run on the 2-core dev VM, Nov 2026), 1.03x the `disruptor`
/// crate's `batch_publish(64)`. On the per-message path (`push` + `publish`, and the
/// consumer's `poll`) it saves the same loads, but the gain is within the run-to-run noise of
/// the burst column.
pub(super) struct RawSlots<T> {
    /// Cell 0 of the `Slots` this came from.
    base: NonNull<UnsafeCell<T>>,
    /// That `Slots`' mask: `sequence & mask` is always a valid cell index.
    mask: u64,
}

impl<T> Clone for RawSlots<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for RawSlots<T> {}

// SAFETY: a `RawSlots` is a pointer into a `Slots<T>`, which is `Sync` for `T: Send`; its only
// accesses are `write` and `read`, whose contract rules out data races whichever threads call
// them. Sending it (or sharing it) across threads is therefore what sharing `&Slots<T>` is.
unsafe impl<T: Send> Send for RawSlots<T> {}
// SAFETY: as for `Send`: `&RawSlots` grants nothing beyond the `unsafe` accessors.
unsafe impl<T: Send> Sync for RawSlots<T> {}

impl<T: Copy> RawSlots<T> {
    /// The cell of `sequence`.
    ///
    /// # Safety
    /// The `Slots` this came from must be alive.
    #[inline]
    unsafe fn cell<'a>(self, sequence: u64) -> &'a UnsafeCell<T> {
        // SAFETY: `sequence & mask < capacity` (the capacity is a power of two and `mask` is
        // `capacity - 1`), so the pointer stays inside the boxed slice, which the caller
        // guarantees is alive; the cell is initialized (filled at construction).
        unsafe { self.base.add((sequence & self.mask) as usize).as_ref() }
    }

    /// Writes `value` into the cell of `sequence`.
    ///
    /// # Safety
    /// The `Slots` this came from must be alive. No other access to the cell of `sequence` may
    /// run concurrently, and every earlier read of that cell must happen-before this call. The
    /// producer guarantees both by writing `sequence` only once every consumer's cursor (loaded
    /// with Acquire) is past `sequence - capacity`, the previous sequence in this cell, and only
    /// from the one `Producer` (`&mut self`).
    #[inline]
    pub(super) unsafe fn write(self, sequence: u64, value: T) {
        // SAFETY: the caller guarantees the `Slots` is alive.
        let cell = unsafe { self.cell(sequence) };
        cell.with_mut(|cell| {
            // SAFETY: `cell` points into a live allocation, aligned and initialized; the caller
            // guarantees exclusive access to it for this call.
            unsafe { cell.write(value) }
        });
    }

    /// Copies the value out of the cell of `sequence`.
    ///
    /// # Safety
    /// The `Slots` this came from must be alive. The write of `sequence` must happen-before this
    /// call, and no write to the cell may run concurrently. Consumers guarantee both by reading
    /// only below the limit they loaded (Acquire) from the producer's cursor or their
    /// dependencies' cursors, and by storing their own cursor (Release) only after the read;
    /// the producer does not overwrite the cell before it sees that store.
    #[inline]
    pub(super) unsafe fn read(self, sequence: u64) -> T {
        // SAFETY: the caller guarantees the `Slots` is alive.
        let cell = unsafe { self.cell(sequence) };
        cell.with(|cell| {
            // SAFETY: `cell` points into a live allocation, aligned and initialized (filled at
            // construction); the caller guarantees no concurrent write.
            unsafe { cell.read() }
        })
    }
}

#[cfg(all(test, not(halcyon_loom)))]
mod tests {
    use super::*;

    // Sequences wrap onto cells modulo the capacity: with 4 cells, sequence 4 reuses cell 0,
    // and a sequence near u64::MAX still lands inside the array.
    #[test]
    fn sequences_wrap_onto_cells() {
        let slots = Slots::new(4, 0u64).unwrap();
        let raw = slots.raw();
        assert_eq!(slots.capacity(), 4);
        for sequence in [0, 1, 2, 3, 4, 5, 1 << 40, u64::MAX - 1, u64::MAX] {
            // SAFETY: single-threaded test; `slots` is alive and nothing else touches it.
            unsafe { raw.write(sequence, sequence) };
            // SAFETY: as above; the write happened just before on this thread.
            let read = unsafe { raw.read(sequence) };
            // SAFETY: as above; 4000 sequences later is the same cell.
            let same_cell = unsafe { raw.read(sequence.wrapping_add(4 * 1000)) };
            assert_eq!((read, same_cell), (sequence, sequence), "{sequence}");
        }
    }

    // A fresh ring reads back the fill value in every cell.
    #[test]
    fn cells_start_filled() {
        let slots = Slots::new(8, [7u8; 3]).unwrap();
        for sequence in 0..8 {
            // SAFETY: single-threaded test; `slots` is alive.
            assert_eq!(unsafe { slots.raw().read(sequence) }, [7u8; 3]);
        }
    }
}
