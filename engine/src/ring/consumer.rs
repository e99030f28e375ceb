//! [`Consumer`]: one reader of a ring, with its own cursor.

use super::builder::ConsumerId;
use super::cursor::DROPPED;
use super::park::{ParkSite, Parking};
use super::sequences::Shared;
use super::slots::RawSlots;
use super::sync::{Arc, ThreadId};
use super::wait::WaitStrategy;

/// One reader of a ring. Reads every published slot exactly once, in sequence order, once
/// every consumer it was built `after` has read it; marks slots consumed a batch at a time,
/// which lets the producer reuse them.
///
/// `Send`: move it to the thread that reads. Dropping it stops it gating the producer and its
/// dependents (they are then gated by its own dependencies), so a reader that exits early
/// cannot deadlock the ring.
///
/// ```
/// use engine::ring::{Closed, RingBuilder, SpinThenYield};
///
/// let mut builder = RingBuilder::new(8, 0u64)?;
/// builder.consumer("sum", &[]);
/// let (mut producer, mut consumers) = builder.build();
/// let mut consumer = consumers.remove(0);
/// for value in 1..=5 {
///     producer.try_push(value).unwrap();
/// }
/// producer.close(); // publishes, then closes
/// let mut wait = SpinThenYield::default();
/// let mut sum = 0;
/// assert_eq!(consumer.wait_poll(&mut wait, 2, |value, _| sum += value), Ok(2));
/// assert_eq!(consumer.wait_poll(&mut wait, 9, |value, _| sum += value), Ok(3));
/// assert_eq!(consumer.wait_poll(&mut wait, 9, |value, _| sum += value), Err(Closed));
/// assert_eq!((sum, consumer.consumed()), (15, 5));
/// # Ok::<(), engine::ring::RingError>(())
/// ```
pub struct Consumer<T> {
    shared: Arc<Shared<T>>,
    /// `shared.slots`, held here so that a poll indexes the cells without going through the
    /// `Arc` (valid while `shared` is).
    slots: RawSlots<T>,
    id: ConsumerId,
    name: &'static str,
    /// The next sequence to read: slots consumed so far. The value of this consumer's shared
    /// cursor, which only it stores.
    position: u64,
    /// Sequences below this are readable (published, and consumed by every dependency), as last
    /// read. Can be stale (too low), never too high.
    readable_limit: u64,
    /// The thread this consumer registered for unparking, if it ever parked.
    registered: Option<ThreadId>,
}

/// The ring is closed and this consumer has read every slot it ever will.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the ring is closed and drained")]
pub struct Closed;

impl<T: Copy + Send> Consumer<T> {
    pub(super) fn new(shared: Arc<Shared<T>>, id: ConsumerId, name: &'static str) -> Self {
        let slots = shared.slots.raw();
        Self { shared, slots, id, name, position: 0, readable_limit: 0, registered: None }
    }

    /// The name given to [`RingBuilder::consumer`](super::RingBuilder::consumer).
    #[inline]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// This consumer's id, as returned by [`RingBuilder::consumer`](super::RingBuilder::consumer).
    #[inline]
    pub fn id(&self) -> ConsumerId {
        self.id
    }

    /// Reads up to `max` available slots, calling `f(&value, sequence)` for each in order, then
    /// marks them all consumed with ONE release store. Never waits. Returns how many were read.
    ///
    /// Re-reads the producer's cursor (or its dependencies' cursors) only when it has consumed
    /// everything it knew to be available. `f` gets a copy of the slot, so it may take as long
    /// as it likes; the producer reuses the slots only after the batch is marked consumed.
    #[inline]
    pub fn poll<F: FnMut(&T, u64)>(&mut self, max: usize, mut f: F) -> usize {
        if self.position >= self.readable_limit && !self.refresh() {
            return 0;
        }
        let count = (self.readable_limit - self.position).min(u64::try_from(max).unwrap_or(u64::MAX));
        if count == 0 {
            return 0;
        }
        let end = self.position + count;
        let slots = self.slots;
        for sequence in self.position..end {
            // SAFETY: `Slots::read`'s contract holds. `sequence < readable_limit`, which was loaded
            // with Acquire from the producer's cursor, or from dependencies' cursors that each
            // dependency stored (Release) after reading the slot, itself after its Acquire load
            // of the producer's cursor: either way the producer's write of `sequence`
            // happens-before this read. The producer does not write this cell again (sequence
            // `sequence + capacity`) until it has loaded (Acquire) our cursor, or that of a
            // consumer built after us (never ahead of ours), at or past `sequence + 1`; we store
            // ours (Release) only below, after this read. `slots` is alive while `self.shared`
            // is.
            let value = unsafe { slots.read(sequence) };
            f(&value, sequence);
        }
        self.position = end;
        // Release: the reads above happen-before the producer (or a dependent) sees them freed.
        self.shared.sequences.consumers[self.id.index()].cursor.store(end);
        count as usize
    }

    /// Waits with `wait` until at least one slot is available, then behaves as
    /// [`poll`](Consumer::poll). `Err(Closed)` once the producer has closed and this consumer
    /// has read everything it ever will (every slot published before the close).
    #[inline]
    pub fn wait_poll<W: WaitStrategy, F: FnMut(&T, u64)>(
        &mut self,
        wait: &mut W,
        max: usize,
        f: F,
    ) -> Result<usize, Closed> {
        if self.position >= self.readable_limit && !self.refresh() {
            self.wait_for_slots(wait)?;
        }
        Ok(self.poll(max, f))
    }

    /// Slots consumed so far.
    #[inline]
    pub fn consumed(&self) -> u64 {
        self.position
    }

    /// Re-reads the limit; whether something is readable now.
    #[inline]
    fn refresh(&mut self) -> bool {
        let limit = self.shared.sequences.readable_limit(self.id.index());
        debug_assert!(limit >= self.readable_limit, "limits only grow: {limit} < {}", self.readable_limit);
        self.readable_limit = limit;
        limit > self.position
    }

    #[cold]
    #[inline(never)]
    fn wait_for_slots<W: WaitStrategy>(&mut self, wait: &mut W) -> Result<(), Closed> {
        wait.reset();
        loop {
            let closed = self.shared.sequences.is_closed();
            if closed {
                // The Acquire load of the flag makes the final cursor visible.
                if self.refresh() {
                    return Ok(());
                }
                if self.position >= self.shared.sequences.published.value() {
                    return Err(Closed);
                }
                // Our dependencies are still draining.
            }
            wait.idle(Parking::consumer(ParkSite {
                sequences: &self.shared.sequences,
                index: self.id.index(),
                position: self.position,
                closed_seen: closed,
                registered: &mut self.registered,
                max_wake_after: self.shared.slots.capacity() as u64 / 2,
            }));
            if self.refresh() {
                return Ok(());
            }
        }
    }
}

impl<T> Drop for Consumer<T> {
    /// Stops gating: the producer and this consumer's dependents look through it to its own
    /// dependencies. Unparks the ring's parked consumers, so that dependents re-check.
    fn drop(&mut self) {
        let sequences = &self.shared.sequences;
        // Release: our reads happen-before the producer reuses the slots.
        sequences.consumers[self.id.index()].cursor.store(DROPPED);
        sequences.wake_announced();
    }
}

impl<T> std::fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("name", &self.name)
            .field("id", &self.id)
            .field("consumed", &self.position)
            .finish_non_exhaustive()
    }
}
