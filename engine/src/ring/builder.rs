//! [`RingBuilder`]: capacity, fill value and consumer graph in; one producer and its consumers
//! out.

use std::collections::TryReserveError;
// Ring identities only tell `ConsumerId`s of different rings apart; they are not part of the
// ring's protocol, so they stay `std` under loom.
use std::sync::atomic::{AtomicU64 as RingCounter, Ordering as RingCounterOrdering};

use super::consumer::Consumer;
use super::producer::Producer;
use super::sequences::{Sequences, Shared};
use super::slots::Slots;
use super::sync::Arc;

static NEXT_RING: RingCounter = RingCounter::new(0);

/// Sets up a ring: its capacity, the value its slots hold before the first write, and its
/// consumers with their dependencies. [`build`](RingBuilder::build) hands out the
/// [`Producer`] and the [`Consumer`]s; the slots are allocated by [`new`](RingBuilder::new),
/// once.
pub struct RingBuilder<T: Copy + Send> {
    /// Tells this ring's `ConsumerId`s from other rings'.
    ring: u64,
    slots: Slots<T>,
    /// Name and dependencies (indices of earlier consumers) of each consumer, in order.
    consumers: Vec<(&'static str, Vec<usize>)>,
}

/// A consumer of one ring, as returned by [`RingBuilder::consumer`] and [`Consumer::id`]: what
/// other consumers name to be built `after` it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConsumerId {
    ring: u64,
    /// Position in the order consumers were added.
    index: usize,
}

impl ConsumerId {
    /// Position of the consumer in the order consumers were added to the builder (and in the
    /// `Vec` that [`RingBuilder::build`] returns).
    pub fn index(&self) -> usize {
        self.index
    }
}

/// Why a ring could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RingError {
    /// The capacity is not a power of two >= 2 (sequence-to-slot mapping is a mask).
    #[error("ring capacity must be a power of two and at least 2, got {0}")]
    Capacity(usize),
    /// The slots could not be allocated.
    #[error("cannot allocate a ring of {capacity} slots of {slot_bytes} bytes each")]
    Allocation {
        /// The capacity asked for.
        capacity: usize,
        /// The size of one slot.
        slot_bytes: usize,
        /// The allocator's refusal.
        #[source]
        source: TryReserveError,
    },
}

impl<T: Copy + Send> RingBuilder<T> {
    /// A ring of `capacity` slots, each holding `fill` until the producer first writes it
    /// (consumers never see `fill`: they read only published slots). Allocates the slots, the
    /// only allocation of the ring's life besides the small bookkeeping made by `build`.
    ///
    /// `capacity` must be a power of two >= 2, else [`RingError::Capacity`]; a capacity the
    /// allocator refuses is [`RingError::Allocation`].
    ///
    /// ```
    /// use engine::ring::{RingBuilder, RingError};
    ///
    /// assert!(RingBuilder::new(1024, 0u64).is_ok());
    /// let error = RingBuilder::new(1000, 0u64).err().unwrap();
    /// assert!(matches!(error, RingError::Capacity(1000)));
    /// assert_eq!(error.to_string(), "ring capacity must be a power of two and at least 2, got 1000");
    /// ```
    pub fn new(capacity: usize, fill: T) -> Result<RingBuilder<T>, RingError> {
        if capacity < 2 || !capacity.is_power_of_two() {
            return Err(RingError::Capacity(capacity));
        }
        let slots = Slots::new(capacity, fill).map_err(|source| RingError::Allocation {
            capacity,
            slot_bytes: size_of::<T>(),
            source,
        })?;
        let ring = NEXT_RING.fetch_add(1, RingCounterOrdering::Relaxed);
        Ok(RingBuilder { ring, slots, consumers: Vec::new() })
    }

    /// The number of slots.
    pub fn capacity(&self) -> usize {
        self.slots.capacity()
    }

    /// Adds a consumer; it sees a slot only after the producer published it AND every consumer
    /// in `after` has consumed it. `name` is for logs and reports.
    ///
    /// # Panics
    /// If an id in `after` comes from another ring's builder: a wiring bug, which would
    /// otherwise gate this consumer on an unrelated one.
    pub fn consumer(&mut self, name: &'static str, after: &[ConsumerId]) -> ConsumerId {
        let dependencies = after
            .iter()
            .map(|id| {
                assert!(
                    id.ring == self.ring,
                    "ring consumer {name:?} cannot be built after {id:?}: that consumer belongs to another ring"
                );
                id.index
            })
            .collect();
        let index = self.consumers.len();
        self.consumers.push((name, dependencies));
        ConsumerId { ring: self.ring, index }
    }

    /// The producer and the consumers, in the order they were added. The producer is gated by
    /// every consumer: it never overwrites a slot some consumer has not read yet (until that
    /// consumer is dropped). With no consumers at all, nothing gates it.
    pub fn build(self) -> (Producer<T>, Vec<Consumer<T>>) {
        let dependencies: Vec<Vec<usize>> = self.consumers.iter().map(|(_, after)| after.clone()).collect();
        let shared = Arc::new(Shared { slots: self.slots, sequences: Sequences::new(&dependencies) });
        let consumers = self
            .consumers
            .iter()
            .enumerate()
            .map(|(index, &(name, _))| {
                Consumer::new(Arc::clone(&shared), ConsumerId { ring: self.ring, index }, name)
            })
            .collect();
        (Producer::new(shared), consumers)
    }
}

impl<T: Copy + Send> std::fmt::Debug for RingBuilder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RingBuilder")
            .field("capacity", &self.capacity())
            .field("consumers", &self.consumers)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(halcyon_loom)))]
mod tests {
    use super::*;

    // Capacities are masks: 2, 4, …, 2^k are accepted; 0, 1 and anything not a power of two is
    // an error value naming the capacity.
    #[test]
    fn capacity_must_be_a_power_of_two_of_at_least_two() {
        for capacity in [2, 4, 64, 1 << 16] {
            assert_eq!(RingBuilder::new(capacity, 0u8).unwrap().capacity(), capacity);
        }
        for capacity in [0, 1, 3, 6, 1000, (1 << 20) + 1, usize::MAX] {
            match RingBuilder::new(capacity, 0u8) {
                Err(RingError::Capacity(reported)) => assert_eq!(reported, capacity),
                other => panic!("capacity {capacity}: {other:?}"),
            }
        }
    }

    // 2^62 slots of 64 bytes cannot exist: an error, not an abort.
    #[test]
    fn an_impossible_allocation_is_an_error() {
        let error = RingBuilder::new(1 << 62, [0u64; 8]).unwrap_err();
        assert!(matches!(error, RingError::Allocation { slot_bytes: 64, .. }), "{error:?}");
    }

    #[test]
    fn consumers_come_back_in_order() {
        let mut builder = RingBuilder::new(8, 0u32).unwrap();
        let a = builder.consumer("a", &[]);
        let b = builder.consumer("b", &[a]);
        let c = builder.consumer("c", &[a, b, a]);
        let (_producer, consumers) = builder.build();
        let seen: Vec<_> = consumers.iter().map(|consumer| (consumer.name(), consumer.id())).collect();
        assert_eq!(seen, [("a", a), ("b", b), ("c", c)]);
        assert_eq!([a.index(), b.index(), c.index()], [0, 1, 2]);
    }

    // The producer and the consumers are moved to their own threads.
    #[test]
    fn handles_are_send() {
        fn send<Handle: Send>() {}
        send::<Producer<[u64; 8]>>();
        send::<Consumer<[u64; 8]>>();
    }

    #[test]
    #[should_panic(expected = "belongs to another ring")]
    fn a_dependency_from_another_ring_is_a_wiring_bug() {
        let mut one = RingBuilder::new(8, 0u32).unwrap();
        let mut other = RingBuilder::new(8, 0u32).unwrap();
        let foreign = other.consumer("foreign", &[]);
        one.consumer("confused", &[foreign]);
    }
}
