//! [`Cursor`]: a sequence counter alone on its cache line.
//!
//! Every cursor counts slots: the producer's cursor is the number of slots published (so
//! sequences below it are readable), a consumer's cursor the number of slots it has consumed
//! (so sequences below it are free to overwrite, as far as that consumer is concerned). Each has
//! exactly one writer, and only ever grows, except that a dropped consumer's cursor jumps to
//! [`DROPPED`].

use crossbeam_utils::CachePadded;

use super::sync::{AtomicU64, Ordering};

/// The value a consumer's cursor takes when the consumer is dropped: it no longer gates anyone.
/// Readers treat it as "look through to this consumer's own dependencies" (see `barrier.rs`).
/// A real cursor never gets there: that would take 2^64 - 1 slots.
pub(super) const DROPPED: u64 = u64::MAX;

/// A sequence counter written by one thread and read by others, padded to its own cache line
/// so that its writer does not invalidate its neighbours'.
pub(super) struct Cursor(CachePadded<AtomicU64>);

impl Cursor {
    pub(super) fn new(value: u64) -> Self {
        Self(CachePadded::new(AtomicU64::new(value)))
    }

    /// The value, with Acquire: whatever the writer did before storing it (writing slots for
    /// the producer, reading them for a consumer) happens-before what the caller does next.
    #[inline]
    pub(super) fn value(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Stores `value` with Release, the other half of [`Cursor::value`]: the caller's slot
    /// accesses before the store are visible to, and finished before, anyone who loads it.
    #[inline]
    pub(super) fn store(&self, value: u64) {
        self.0.store(value, Ordering::Release);
    }
}
