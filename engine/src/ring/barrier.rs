//! [`Barrier`]: the consumers whose progress gates someone, and the lowest of their cursors.
//!
//! A consumer's barrier is the consumers it was built `after`; the producer's barrier is the
//! consumers nobody is built after (the leaves of the dependency graph: a consumer's cursor never
//! passes those of its dependencies, so the leaves are the slowest). Only the owner reads a
//! barrier, and only when its cached limit is used up.
//!
//! A dropped consumer stops gating but must not hand its dependents more than its own
//! dependencies allow. So a [`DROPPED`] cursor is looked through: its place in the minimum is
//! taken by the minimum of the dropped consumer's own barrier (recursively; the graph is acyclic
//! because a consumer can only depend on consumers added before it). A dropped consumer with no
//! dependencies, or whose dependencies are all dropped, contributes nothing (`u64::MAX`).

use super::cursor::DROPPED;
use super::sequences::ConsumerState;

/// Indices into the ring's consumer table (`Sequences::consumers`).
pub(super) struct Barrier {
    /// Invariant: each index is lower than the index of every consumer whose barrier this is
    /// (the producer's barrier: any index), and no index repeats.
    consumers: Box<[usize]>,
}

impl Barrier {
    pub(super) fn new(mut consumers: Vec<usize>) -> Self {
        consumers.sort_unstable();
        consumers.dedup();
        Self { consumers: consumers.into_boxed_slice() }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.consumers.is_empty()
    }

    /// The lowest cursor behind this barrier, each loaded with Acquire; `u64::MAX` when no live
    /// consumer is behind it. A lower bound: cursors only grow, so the true minimum can only be
    /// higher by the time the caller uses it.
    #[inline]
    pub(super) fn minimum(&self, table: &[ConsumerState]) -> u64 {
        self.consumers.iter().fold(u64::MAX, |minimum, &index| minimum.min(gate(table, index)))
    }
}

/// What consumer `index` lets through: its cursor, or, once it is dropped, what its own
/// dependencies let through.
fn gate(table: &[ConsumerState], index: usize) -> u64 {
    let consumer = &table[index];
    match consumer.cursor.value() {
        DROPPED => consumer.barrier.minimum(table),
        cursor => cursor,
    }
}

#[cfg(all(test, not(halcyon_loom)))]
mod tests {
    use super::*;
    use crate::ring::sequences::Sequences;

    // Chain a ← b ← c (c after b after a) plus an independent d. The producer is gated by the
    // leaves c and d.
    fn chain() -> Sequences {
        Sequences::new(&[vec![], vec![0], vec![1], vec![]])
    }

    #[test]
    fn minimum_is_the_slowest_live_cursor() {
        let sequences = chain();
        let table = &sequences.consumers;
        for (index, cursor) in [10, 8, 5, 7].into_iter().enumerate() {
            table[index].cursor.store(cursor);
        }
        // TC0: the producer's barrier holds the leaves c (5) and d (7).
        assert_eq!(sequences.producer_gate.minimum(table), 5);
        // TC1: c's barrier is b alone.
        assert_eq!(table[2].barrier.minimum(table), 8);
        // TC2: a has no barrier: nothing gates it but the producer.
        assert_eq!(table[0].barrier.minimum(table), u64::MAX);
    }

    #[test]
    fn a_dropped_consumer_is_looked_through() {
        let sequences = chain();
        let table = &sequences.consumers;
        for (index, cursor) in [10, 8, 5, 7].into_iter().enumerate() {
            table[index].cursor.store(cursor);
        }
        // TC0: b drops at 8: c is now gated by a (10), not by nothing.
        table[1].cursor.store(DROPPED);
        assert_eq!(table[2].barrier.minimum(table), 10);
        // TC1: c drops too: the producer sees through c and b to a (10), and d (7).
        table[2].cursor.store(DROPPED);
        assert_eq!(sequences.producer_gate.minimum(table), 7);
        // TC2: d and a drop: nothing gates the producer any more.
        table[3].cursor.store(DROPPED);
        table[0].cursor.store(DROPPED);
        assert_eq!(sequences.producer_gate.minimum(table), u64::MAX);
    }

    #[test]
    fn an_empty_ring_gates_nothing() {
        let sequences = Sequences::new(&[]);
        assert!(sequences.producer_gate.is_empty());
        assert_eq!(sequences.producer_gate.minimum(&sequences.consumers), u64::MAX);
    }
}
