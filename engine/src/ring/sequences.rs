//! [`Sequences`]: every counter of one ring and who waits on whom; [`Shared`]: that plus the
//! slots, the state the producer and the consumers share through an `Arc`.
//!
//! # Memory orderings
//! - The producer writes slots, then stores its cursor with Release; a consumer loads it with
//!   Acquire before reading slots below it. So every slot write below the cursor
//!   happens-before the reads.
//! - A consumer reads slots, then stores its cursor with Release; the producer, and consumers
//!   that depend on it, load it with Acquire. So the reads happen-before the producer overwrites
//!   the slot (no torn read), and, through the producer's own Release/Acquire pair, the
//!   producer's write happens-before a dependent's read (happens-before is transitive).
//! - The closed flag is stored with Release after the last cursor store and loaded with Acquire:
//!   a consumer that sees it closed then loads the final cursor.
//! - Nothing else on the hot path orders anything; parking has its own note in `park.rs`.

use crossbeam_utils::CachePadded;

use super::barrier::Barrier;
use super::cursor::Cursor;
use super::park::{Parker, Sleepers};
use super::slots::Slots;
use super::sync::{self, AtomicBool, Ordering};

/// The slots and the counters, shared by the producer and the consumers.
pub(super) struct Shared<T> {
    pub(super) slots: Slots<T>,
    pub(super) sequences: Sequences,
}

/// The counters of one ring.
pub(super) struct Sequences {
    /// Slots published: sequences below it may be read (by a consumer whose dependencies have
    /// consumed them). Stored only by the producer.
    pub(super) published: Cursor,
    /// Set once, by the producer's close or drop, after its last publish.
    closed: CachePadded<AtomicBool>,
    /// Parked consumers; see `park.rs`.
    pub(super) sleepers: Sleepers,
    /// One entry per consumer, in the order they were added.
    pub(super) consumers: Box<[ConsumerState]>,
    /// The consumers the producer waits for: those no consumer depends on.
    pub(super) producer_gate: Barrier,
}

/// The shared state of one consumer.
pub(super) struct ConsumerState {
    /// Slots consumed, or `DROPPED`. Stored only by the consumer; never above `published` nor
    /// above the cursor of any consumer in `barrier`.
    pub(super) cursor: Cursor,
    /// The consumers this one was built `after`.
    pub(super) barrier: Barrier,
    /// Parking state: written when the consumer parks, read by the producer only when some
    /// consumer is parked.
    pub(super) parker: CachePadded<Parker>,
}

impl Sequences {
    /// Counters for consumers whose dependencies are `dependencies[i]` (indices lower than `i`).
    pub(super) fn new(dependencies: &[Vec<usize>]) -> Self {
        let mut depended_on = vec![false; dependencies.len()];
        for (index, after) in dependencies.iter().enumerate() {
            for &dependency in after {
                assert!(dependency < index, "consumer {index} depends on a later consumer {dependency}");
                depended_on[dependency] = true;
            }
        }
        let leaves = (0..dependencies.len()).filter(|&index| !depended_on[index]).collect();
        Self {
            published: Cursor::new(0),
            closed: CachePadded::new(AtomicBool::new(false)),
            sleepers: Sleepers::new(),
            consumers: dependencies
                .iter()
                .map(|after| ConsumerState {
                    cursor: Cursor::new(0),
                    barrier: Barrier::new(after.clone()),
                    parker: CachePadded::new(Parker::new()),
                })
                .collect(),
            producer_gate: Barrier::new(leaves),
        }
    }

    /// Consumer `index` may read sequences below this. Never lower than an earlier answer.
    #[inline]
    pub(super) fn readable_limit(&self, index: usize) -> u64 {
        let barrier = &self.consumers[index].barrier;
        if barrier.is_empty() {
            return self.published.value();
        }
        match barrier.minimum(&self.consumers) {
            // Every dependency was dropped, and theirs: only the producer gates.
            u64::MAX => self.published.value(),
            // A dependency's cursor never passes the producer's, so this is the limit; no need
            // to touch the producer's (busiest) cache line.
            gate => gate,
        }
    }

    /// Whether the producer has closed the ring (Acquire: then `published` is final).
    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Marks the ring closed and wakes every parked consumer. Call after the last publish.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.wake_announced();
    }

    /// Unparks every consumer announced as parked, after a store that changes what they wait
    /// for (close, a consumer's drop). The `SeqCst` fence is the other half of the one in
    /// `Parking::park`: either the consumer's re-check sees the store, or this sees the
    /// announcement (see "Close and consumer drop" in `park.rs`).
    pub(super) fn wake_announced(&self) {
        sync::fence(Ordering::SeqCst);
        for consumer in &self.consumers {
            if consumer.parker.is_announced() {
                consumer.parker.unpark();
            }
        }
    }
}

#[cfg(all(test, not(halcyon_loom)))]
mod tests {
    use super::*;
    use crate::ring::cursor::DROPPED;

    // b after a; c independent. a's and c's limit is the producer's cursor; b's is a's cursor,
    // or the producer's once a is dropped.
    #[test]
    fn readable_limits() {
        let sequences = Sequences::new(&[vec![], vec![0], vec![]]);
        sequences.published.store(20);
        sequences.consumers[0].cursor.store(12);
        assert_eq!(sequences.readable_limit(0), 20);
        assert_eq!(sequences.readable_limit(1), 12);
        assert_eq!(sequences.readable_limit(2), 20);
        sequences.consumers[0].cursor.store(DROPPED);
        assert_eq!(sequences.readable_limit(1), 20);
    }

    #[test]
    fn the_producer_waits_for_the_leaves_only() {
        // a ← b ← c, a ← d: leaves c and d.
        let sequences = Sequences::new(&[vec![], vec![0], vec![1], vec![0]]);
        for (index, cursor) in [9, 3, 1, 4].into_iter().enumerate() {
            sequences.consumers[index].cursor.store(cursor);
        }
        assert_eq!(sequences.producer_gate.minimum(&sequences.consumers), 1);
        sequences.consumers[2].cursor.store(DROPPED);
        assert_eq!(sequences.producer_gate.minimum(&sequences.consumers), 3, "through c to b");
    }
}
