//! [`Producer`]: the one writer of a ring.

use super::park::{Parking, Waker};
use super::sequences::Shared;
use super::sync::Arc;
use super::wait::WaitStrategy;

/// The ring's only writer. Writes values into slots with [`push`](Producer::push) or
/// [`try_push`](Producer::try_push), makes them visible in batches with
/// [`publish`](Producer::publish), and ends the stream with [`close`](Producer::close) or by
/// being dropped.
///
/// `Send`, not `Clone`: exactly one producer per ring, on any one thread at a time.
///
/// ```
/// use engine::ring::{RingBuilder, SpinThenYield};
///
/// let mut builder = RingBuilder::new(4, 0u32)?;
/// builder.consumer("reader", &[]);
/// let (mut producer, mut consumers) = builder.build();
/// for value in [10, 11, 12] {
///     producer.push(value, &mut SpinThenYield::default());
/// }
/// assert_eq!(consumers[0].poll(8, |_, _| ()), 0, "nothing is visible before publish");
/// producer.publish();
/// assert_eq!(producer.published(), 3);
/// assert_eq!(consumers[0].poll(8, |value, sequence| assert_eq!(*value, 10 + sequence as u32)), 3);
/// # Ok::<(), engine::ring::RingError>(())
/// ```
pub struct Producer<T> {
    shared: Arc<Shared<T>>,
    /// The sequence the next push writes. `published <= next`; the `next - published` slots in
    /// between are written but pending.
    next: u64,
    /// Slots published: the value of the shared cursor, which only this producer stores.
    published: u64,
    /// Sequences below this can be written without looking at the consumers: the slowest gating
    /// consumer's cursor plus the capacity, as last read. Can be stale (too low: the
    /// consumers have moved on since), never too high (cursors only grow).
    writable_limit: u64,
    /// `slots.capacity()`, as a sequence distance.
    capacity: u64,
    /// Wakes parked consumers after a publish.
    waker: Waker,
}

impl<T> Producer<T> {
    /// Publishes what is pending (see [`Producer::publish`]); no bounds on `T`, for `Drop`.
    #[inline]
    fn publish_pending(&mut self) {
        if self.next == self.published {
            return;
        }
        self.published = self.next;
        // One Release store for the whole batch: every slot written since the last publish
        // happens-before any consumer's Acquire load that returns this value.
        self.shared.sequences.published.store(self.next);
        self.waker.wake_due(&self.shared.sequences, self.next);
    }
}

impl<T: Copy + Send> Producer<T> {
    pub(super) fn new(shared: Arc<Shared<T>>) -> Self {
        let capacity = shared.slots.capacity() as u64;
        Self { shared, next: 0, published: 0, writable_limit: capacity, capacity, waker: Waker::new() }
    }

    /// The number of slots.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.capacity as usize
    }

    /// Writes into the next slot, waiting with `wait` while that slot is still unread by a
    /// gating consumer. Not visible to consumers until [`publish`](Producer::publish).
    ///
    /// When it has to wait, it first publishes what is pending: consumers cannot free slots
    /// they have not been shown, so a batch larger than the free space would wait forever.
    #[inline]
    pub fn push<W: WaitStrategy>(&mut self, value: T, wait: &mut W) {
        if self.next >= self.writable_limit {
            self.wait_for_room(wait);
        }
        self.write(value);
    }

    /// Like [`push`](Producer::push), but never waits: `Err(value)` back when the ring is full.
    /// Pending (pushed, unpublished) slots count as full: publish to let consumers free them.
    /// When full, it unparks any parked consumer that could free room (see
    /// [`Blocking`](super::Blocking)), as `push` does while it waits.
    #[inline]
    pub fn try_push(&mut self, value: T) -> Result<(), T> {
        if self.next >= self.writable_limit && !self.refresh_room() {
            self.waker.wake_blockers(&self.shared.sequences);
            return Err(value);
        }
        self.write(value);
        Ok(())
    }

    /// Makes every pushed slot visible with ONE release store of the cursor (batch publish).
    /// Cheap no-op when nothing is pending. When no consumer is parked it costs, besides the
    /// store, one relaxed load and a not-taken branch; otherwise it may unpark the parked
    /// consumers that are due (see [`Blocking`](super::Blocking)).
    #[inline]
    pub fn publish(&mut self) {
        self.publish_pending();
    }

    /// Number of slots published so far.
    #[inline]
    pub fn published(&self) -> u64 {
        self.published
    }

    /// Number of slots pushed but not yet published.
    #[inline]
    pub fn pending(&self) -> u64 {
        self.next - self.published
    }

    /// How many consumers are parked right now (a relaxed snapshot, for telemetry and tests).
    pub fn parked_consumers(&self) -> usize {
        self.shared.sequences.sleepers.count()
    }

    /// Publishes what is pending and closes the ring: consumers drain everything, then see
    /// [`Closed`](super::Closed). Unparks every parked consumer. Drop does the same.
    pub fn close(self) {
        drop(self);
    }

    #[inline]
    fn write(&mut self, value: T) {
        debug_assert!(self.next < self.writable_limit);
        // SAFETY: `Slots::write`'s contract holds. `next < writable_limit = gate + capacity`,
        // where `gate` is the minimum we loaded (Acquire) of the leaf consumers' cursors, looking
        // through dropped ones (`barrier.rs`); every live consumer's cursor is at least that of
        // some leaf built after it. So every live consumer is past `next - capacity`, the
        // previous sequence in this cell, and its read of it happened before its Release store
        // of its cursor, which happens-before this write. Consumers read only sequences from
        // their cursor up to `published <= next`, all in other cells. We are the only writer
        // (one `Producer`, `&mut self`).
        unsafe { self.shared.slots.write(self.next, value) };
        self.next += 1;
    }

    /// Re-reads the gating cursors; whether the next slot is free.
    fn refresh_room(&mut self) -> bool {
        let sequences = &self.shared.sequences;
        let gate = sequences.producer_gate.minimum(&sequences.consumers);
        // Saturating: `gate` is u64::MAX when no live consumer gates.
        self.writable_limit = gate.saturating_add(self.capacity);
        self.next < self.writable_limit
    }

    #[cold]
    #[inline(never)]
    fn wait_for_room<W: WaitStrategy>(&mut self, wait: &mut W) {
        if self.refresh_room() {
            return;
        }
        self.publish_pending();
        wait.reset();
        loop {
            wait.idle(Parking::unavailable());
            if self.refresh_room() {
                return;
            }
            // A parked consumer may be what we wait for, with no publish coming to wake it
            // (park.rs, "A producer waiting for room").
            self.waker.wake_blockers(&self.shared.sequences);
        }
    }
}

impl<T> Drop for Producer<T> {
    /// Publishes what is pending and closes the ring.
    fn drop(&mut self) {
        self.publish_pending();
        self.shared.sequences.close();
    }
}

impl<T> std::fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("capacity", &self.capacity)
            .field("published", &self.published)
            .field("pending", &(self.next - self.published))
            .finish_non_exhaustive()
    }
}
