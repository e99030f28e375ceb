//! [`Producer`]: the one writer of a ring.

use super::park::{Parking, Waker};
use super::sequences::Shared;
use super::slots::RawSlots;
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
    /// `shared.slots`, held here so that a push indexes the cells without going through the
    /// `Arc` (valid while `shared` is).
    slots: RawSlots<T>,
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
        let slots = shared.slots.raw();
        Self { shared, slots, next: 0, published: 0, writable_limit: capacity, capacity, waker: Waker::new() }
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

    /// Pushes `count` values, `value(sequence)` for each sequence in turn, as `count` calls of
    /// [`push`](Producer::push) would, but checks for room once per run of free slots rather
    /// than once per value. Not visible to consumers until [`publish`](Producer::publish).
    ///
    /// A batch larger than the free space (or the capacity) is written in parts: when the ring
    /// is full it publishes what is pending, this batch's part included, then waits with `wait`,
    /// as `push` does. `value` runs on this thread, in sequence order, between the writes; if it
    /// panics, the values written so far in this batch are discarded (never published).
    ///
    /// ```
    /// use engine::ring::{RingBuilder, SpinThenYield};
    ///
    /// let mut builder = RingBuilder::new(8, 0u64)?;
    /// builder.consumer("reader", &[]);
    /// let (mut producer, mut consumers) = builder.build();
    /// producer.push_batch(5, &mut SpinThenYield::default(), |sequence| sequence * 10);
    /// producer.publish(); // one store for the five
    /// let mut seen = Vec::new();
    /// assert_eq!(consumers[0].poll(8, |value, _| seen.push(*value)), 5);
    /// assert_eq!(seen, [0, 10, 20, 30, 40]);
    /// # Ok::<(), engine::ring::RingError>(())
    /// ```
    #[inline]
    pub fn push_batch<W: WaitStrategy, F: FnMut(u64) -> T>(
        &mut self,
        count: usize,
        wait: &mut W,
        mut value: F,
    ) {
        let mut remaining = count as u64;
        while remaining > 0 {
            if self.writable_limit - self.next < remaining {
                // Fewer free slots known than wanted: re-read the cursors, and wait only if not
                // even one slot is free.
                self.wait_for_room(wait);
            }
            // `next <= writable_limit` always (we write only below it), and it is above `next`
            // now: `wait_for_room` returns only once at least one slot is free.
            let end = self.next + remaining.min(self.writable_limit - self.next);
            let slots = self.slots;
            let mut sequence = self.next;
            while sequence < end {
                // SAFETY: `RawSlots::write`'s contract holds for every `sequence` in
                // `next..end`, `end <= writable_limit`: as in `Producer::write`. `slots` is
                // alive while `self.shared` is.
                unsafe { slots.write(sequence, value(sequence)) };
                sequence += 1;
            }
            remaining -= end - self.next;
            self.next = end;
        }
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
        // (one `Producer`, `&mut self`). `self.slots` is alive while `self.shared` is.
        unsafe { self.slots.write(self.next, value) };
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

    /// Re-reads the gating cursors; if the next slot is still taken, publishes what is pending
    /// and waits with `wait` until it is free.
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

#[cfg(all(test, not(halcyon_loom)))]
mod tests {
    use super::*;
    use crate::ring::{Consumer, RingBuilder};

    /// A wait that, on each idle step, reads up to `per_step` slots with the ring's one
    /// consumer, on the producer's own thread: a deterministic slow consumer.
    struct DrainWhileWaiting {
        consumer: Consumer<u64>,
        per_step: usize,
        seen: Vec<(u64, u64)>,
        idle_steps: usize,
    }

    impl WaitStrategy for DrainWhileWaiting {
        fn reset(&mut self) {}

        fn idle(&mut self, _parking: Parking<'_>) {
            self.idle_steps += 1;
            let seen = &mut self.seen;
            self.consumer.poll(self.per_step, |value, sequence| seen.push((sequence, *value)));
        }
    }

    fn ring(capacity: usize, per_step: usize) -> (Producer<u64>, DrainWhileWaiting) {
        let mut builder = RingBuilder::new(capacity, u64::MAX).unwrap();
        builder.consumer("reader", &[]);
        let (producer, mut consumers) = builder.build();
        let consumer = consumers.pop().unwrap();
        (producer, DrainWhileWaiting { consumer, per_step, seen: Vec::new(), idle_steps: 0 })
    }

    // A batch that fits is written, not published, and `value` gets each sequence once, in order.
    #[test]
    fn a_batch_that_fits_is_pending_until_publish() {
        let (mut producer, mut wait) = ring(8, 1);
        producer.push_batch(0, &mut wait, |_| panic!("an empty batch asks for no value"));
        producer.push(100, &mut wait);
        let mut asked = Vec::new();
        producer.push_batch(5, &mut wait, |sequence| {
            asked.push(sequence);
            sequence + 100
        });
        assert_eq!(asked, [1, 2, 3, 4, 5]);
        assert_eq!((producer.published(), producer.pending()), (0, 6));
        producer.publish();
        assert_eq!(wait.consumer.poll(16, |value, sequence| assert_eq!(*value, sequence + 100)), 6);
        assert_eq!(wait.idle_steps, 0, "never waited");
    }

    // A ring of 4 and a batch of 10: the first 4 fill the ring, then the producer must publish
    // them (or wait forever) and wait; the consumer frees one slot per idle step, and the
    // producer writes into each freed slot, publishing before each wait. 10 slots, 6 waits.
    #[test]
    fn a_batch_larger_than_the_ring_publishes_before_it_waits() {
        let (mut producer, mut wait) = ring(4, 1);
        producer.push_batch(10, &mut wait, |sequence| sequence * 7);
        assert_eq!((producer.published(), producer.pending()), (9, 1), "all but the last published");
        assert_eq!(wait.idle_steps, 6);
        producer.publish();
        // A poll reads up to the limit it last loaded, so poll until nothing is left.
        while wait.consumer.poll(16, |value, sequence| wait.seen.push((sequence, *value))) > 0 {}
        assert_eq!(wait.seen, (0..10).map(|sequence| (sequence, sequence * 7)).collect::<Vec<_>>());
    }

    // The cached room is refreshed before a batch that does not fit it: after the consumer has
    // read everything, a full-capacity batch goes through without a single idle step, from a
    // position where the ring wraps.
    #[test]
    fn a_stale_room_is_refreshed_without_waiting() {
        let (mut producer, mut wait) = ring(4, 1);
        producer.push_batch(3, &mut wait, |sequence| sequence);
        producer.publish();
        assert_eq!(wait.consumer.poll(16, |_, _| ()), 3);
        producer.push_batch(4, &mut wait, |sequence| sequence);
        producer.publish();
        assert_eq!(wait.idle_steps, 0);
        assert_eq!(wait.consumer.poll(16, |value, sequence| assert_eq!(*value, sequence)), 4);
    }

    // With every consumer dropped nothing gates the producer: a batch of many laps goes through.
    #[test]
    fn a_batch_with_no_consumer_laps_freely() {
        let (mut producer, wait) = ring(4, 1);
        let DrainWhileWaiting { consumer, .. } = wait;
        drop(consumer);
        producer.push_batch(1000, &mut crate::ring::BusySpin, |sequence| sequence);
        assert_eq!(producer.pending(), 1000);
    }
}
