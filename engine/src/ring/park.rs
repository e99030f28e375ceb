//! Parking: how a consumer sleeps until the producer has published enough, without the producer
//! paying a system call, or even a fence, per publish.
//!
//! - [`Parking`] is what a [`WaitStrategy`](super::WaitStrategy) gets from the ring on each idle
//!   step: [`Parking::park`] puts a consumer thread to sleep; for the producer (nobody would wake
//!   it) it yields instead.
//! - `Parker` (one per consumer) holds the consumer's wake threshold and thread handle.
//! - `Sleepers` (one per ring) counts parked consumers; it is the only word the producer reads
//!   per publish for wake-ups.
//! - `Waker` is the producer's side: after each publish it decides, from `Sleepers` and a
//!   local cache, whether any parked consumer is due.
//!
//! # Protocol
//! Consumer, in [`Parking::park`]:
//! 1. registers its thread handle in its `Parker` (under a mutex, only when the consumer runs on
//!    a thread it has not parked on before);
//! 2. announces: stores its wake threshold `wake_at` (producer cursor value to wake at), then
//!    increments `Sleepers` (count and generation) with Release;
//! 3. `fence(SeqCst)`;
//! 4. re-checks the producer cursor against `wake_at` (and the closed flag, and for a consumer
//!    with dependencies whether they released something);
//! 5. if still not ready, `park_timeout(timeout)` (loom: see `sync::ThreadParker`);
//! 6. withdraws: `wake_at = NOT_PARKED`, decrements the count.
//!
//! Producer, after the Release store of its cursor in `publish`:
//! 1. one Relaxed load of `Sleepers`; if the count is zero, done (the common case: one load,
//!    one predictable branch; the line is written only when a consumer parks or withdraws, so
//!    the load hits the producer's cache);
//! 2. if the word is the one it saw last time and the cursor is below the lowest threshold it
//!    saw then, done (a parked `wake_after(n)` consumer costs nothing more per publish);
//! 3. otherwise (cold path) an Acquire fence, then it scans the parkers: each one whose
//!    `wake_at` the cursor has reached is claimed with a compare-exchange (so one park gets
//!    one unpark) and unparked; it remembers the word and the lowest threshold still pending.
//!
//! # The race the timeout covers
//! Steps 2-4 and the producer's store-then-load are a Dekker pair: the consumer stores its
//! announcement then loads the cursor, the producer stores the cursor then loads the
//! announcement. Ruling out "both load the old value" needs a StoreLoad barrier on *both*
//! sides. The consumer has one (step 3; it is about to sleep anyway). The producer does not:
//! a `fence(SeqCst)` (an `mfence` or locked instruction on x86, a `dmb ish` on ARM) in every
//! publish is exactly the per-event cost this design exists to avoid. So, with the producer's
//! cursor store still in its store buffer while it loads `Sleepers`, a consumer can park just as
//! the slot it waits for is published. It is then woken by whichever comes first:
//! - the next publish (by then the announcement is visible: the consumer's fence made it so
//!   before it loaded the cursor), so in a live stream it is late by one publish interval;
//! - the producer waiting for room in a full ring (see below);
//! - the park timeout (`Blocking`'s default is 10 ms): the bound when the producer goes quiet
//!   right after the lost publish.
//!
//! Close and consumer drop do not have this race. They are rare, so they afford the other half
//! of the pair: store (closed flag, `DROPPED` cursor), `fence(SeqCst)`, then unpark every
//! consumer announced as parked. With `SeqCst` fences on both sides, either the consumer's
//! re-check sees the store or the closer sees the announcement (the thread handle was
//! registered before it, and an unpark that lands before the park makes the park return at
//! once).
//!
//! # A producer waiting for room
//! A parked consumer can be what the producer waits for, with no publish coming to wake it: its
//! wake-up was lost as above, or it has dependencies (below), or its `wake_after` is more than
//! the ring can hold unread. So on every idle step of `push`'s wait, and on every `try_push`
//! that finds the ring full, the producer wakes each parked consumer that could move (its
//! readable limit is past its cursor), whatever its threshold; and `wake_after` is capped at
//! half the capacity so that this stays the exception. The producer is stalled then anyway,
//! so the system calls cost it nothing it had.
//!
//! # Consumers with dependencies
//! They are woken by the producer's publishes (against the producer's cursor), close, a drop,
//! a producer waiting for room, or the timeout, but never by their dependencies: that would put
//! a wake check on the dependencies' `poll`. So a parked dependent sees what its dependencies
//! released at the next publish that reaches its threshold after they released it. After the
//! close, when no publish will come, a dependent still draining behind its dependencies wakes
//! by its timeout.

use std::fmt;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use super::cursor::DROPPED;
use super::sequences::Sequences;
use super::sync::{self, AtomicU64, Ordering, ThreadId, ThreadParker};

/// `Parker::wake_at` when the consumer is not announced as parked.
const NOT_PARKED: u64 = u64::MAX;

/// The low half of the `Sleepers` word counts announced consumers; the high half counts
/// announcements (wrapping), so that the word changes on every announcement.
const COUNT_MASK: u64 = (1 << 32) - 1;
/// One more announced consumer, one more announcement.
const ANNOUNCE: u64 = (1 << 32) + 1;

/// One consumer's parking state.
pub(super) struct Parker {
    /// The producer cursor value at which to wake the consumer, or `NOT_PARKED`. Stored by the
    /// consumer (announce, withdraw); compare-exchanged to `NOT_PARKED` by the producer when it
    /// claims the wake-up, so that one park gets one unpark from it.
    wake_at: AtomicU64,
    /// The consumer's thread, registered the first time it parks on it.
    thread: ThreadParker,
}

impl Parker {
    pub(super) fn new() -> Self {
        Self { wake_at: AtomicU64::new(NOT_PARKED), thread: ThreadParker::new() }
    }

    /// Unparks the consumer's thread (a spurious unpark is harmless: the consumer re-checks and
    /// parks again).
    pub(super) fn unpark(&self) {
        self.thread.unpark();
    }

    /// Whether the consumer is announced as parked (Relaxed; see `Sequences::wake_announced`).
    pub(super) fn is_announced(&self) -> bool {
        self.wake_at.load(Ordering::Relaxed) != NOT_PARKED
    }
}

/// Count and generation of parked consumers, on a line of its own.
pub(super) struct Sleepers(CachePadded<AtomicU64>);

impl Sleepers {
    pub(super) fn new() -> Self {
        Self(CachePadded::new(AtomicU64::new(0)))
    }

    /// How many consumers are announced as parked (a snapshot).
    pub(super) fn count(&self) -> usize {
        (self.0.load(Ordering::Relaxed) & COUNT_MASK) as usize
    }
}

/// What a [`WaitStrategy`](super::WaitStrategy) may do besides spinning and yielding: put the
/// waiting thread to sleep until the producer wakes it. Handed to
/// [`WaitStrategy::idle`](super::WaitStrategy::idle) by the ring, one per idle step.
pub struct Parking<'a> {
    /// `None` for the producer: consumers never wake it, so it cannot sleep.
    site: Option<ParkSite<'a>>,
}

/// Where a consumer parks, and what it has seen.
pub(super) struct ParkSite<'a> {
    pub(super) sequences: &'a Sequences,
    /// The consumer's index in `sequences.consumers`.
    pub(super) index: usize,
    /// The consumer's next sequence to read (everything below is consumed).
    pub(super) position: u64,
    /// Whether the consumer already saw the ring closed: then close is no reason to stay up.
    pub(super) closed_seen: bool,
    /// The thread the consumer registered in its `Parker`; kept by the `Consumer`.
    pub(super) registered: &'a mut Option<ThreadId>,
    /// Largest useful `wake_after`: half the ring (see `wake_threshold`).
    pub(super) max_wake_after: u64,
}

impl<'a> Parking<'a> {
    /// For the producer: it cannot sleep, [`Parking::park`] yields.
    pub(super) fn unavailable() -> Self {
        Self { site: None }
    }

    pub(super) fn consumer(site: ParkSite<'a>) -> Self {
        Self { site: Some(site) }
    }

    /// Whether [`Parking::park`] can put this thread to sleep: true for a consumer, false for
    /// the producer (which [`Parking::park`] makes yield instead).
    pub fn can_sleep(&self) -> bool {
        self.site.is_some()
    }

    /// Sleeps until the producer's cursor is `wake_after` (at least 1) slots past what this
    /// consumer had seen, the ring closes, a consumer is dropped, or `timeout` passes; returns
    /// at once if that is already so. May return early (spurious wake-ups): the ring re-checks.
    /// For a consumer without dependencies "seen" is what it has consumed; for one with
    /// dependencies it is the producer's cursor at the call. For the producer, yields.
    pub fn park(self, wake_after: u64, timeout: Duration) {
        self.park_for(wake_after, Some(timeout));
    }

    /// [`Parking::park`] with an optional timeout (`None` only under loom; see
    /// `sync::ThreadParker`).
    pub(super) fn park_for(self, wake_after: u64, timeout: Option<Duration>) {
        match self.site {
            Some(site) => site.park(wake_after, timeout),
            None => sync::yield_now(),
        }
    }
}

impl fmt::Debug for Parking<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parking").field("can_sleep", &self.can_sleep()).finish()
    }
}

impl ParkSite<'_> {
    fn park(self, wake_after: u64, timeout: Option<Duration>) {
        let sequences = self.sequences;
        let consumer = &sequences.consumers[self.index];
        let parker = &consumer.parker;

        // 1. Register, so that publish, close and drop can find this thread.
        parker.thread.register(self.registered);

        let dependent = !consumer.barrier.is_empty();
        let seen = if dependent { sequences.published.value() } else { self.position };
        let wake_at = wake_threshold(seen, wake_after, self.max_wake_after);

        // 2. Announce. Release on the count: a producer that sees the new count (and fences
        //    with Acquire) sees `wake_at`.
        parker.wake_at.store(wake_at, Ordering::Relaxed);
        sequences.sleepers.0.fetch_add(ANNOUNCE, Ordering::Release);

        // 3. StoreLoad: the announcement is visible before the re-check loads the cursor. Only
        //    half of a Dekker pair; see "The race the timeout covers" above.
        sync::fence(Ordering::SeqCst);

        // 4. Re-check.
        let ready = sequences.published.value() >= wake_at
            || (!self.closed_seen && sequences.is_closed())
            || (dependent && sequences.readable_limit(self.index) > self.position);

        // 5. Sleep.
        if !ready {
            parker.thread.park(timeout);
        }

        // 6. Withdraw. Relaxed: the count only tells the producer where to look, and the
        //    producer's claim of `wake_at` is a compare-exchange that fails harmlessly on this.
        parker.wake_at.store(NOT_PARKED, Ordering::Relaxed);
        sequences.sleepers.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The producer cursor value at which a consumer that has seen `seen` and asked to be woken
/// `wake_after` slots later is due: at least one slot later, at most `max_wake_after` (half the
/// ring: a consumer woken only when the ring is full would hold up the producer each time),
/// and never `NOT_PARKED`.
fn wake_threshold(seen: u64, wake_after: u64, max_wake_after: u64) -> u64 {
    seen.saturating_add(wake_after.clamp(1, max_wake_after.max(1))).min(NOT_PARKED - 1)
}

/// The producer's side of parking: what it saw at its last scan of the parkers.
pub(super) struct Waker {
    /// The `Sleepers` word at the last scan. Can be stale: a new announcement changes the word
    /// (the generation half), which forces a new scan.
    seen: u64,
    /// The lowest `wake_at` still pending at the last scan (`u64::MAX`: none).
    next_due: u64,
}

impl Waker {
    pub(super) fn new() -> Self {
        Self { seen: 0, next_due: u64::MAX }
    }

    /// Wakes the parked consumers whose threshold `published` has reached. Costs one Relaxed
    /// load and a not-taken branch when no consumer is parked.
    #[inline]
    pub(super) fn wake_due(&mut self, sequences: &Sequences, published: u64) {
        let word = sequences.sleepers.0.load(Ordering::Relaxed);
        if word & COUNT_MASK != 0 && (word != self.seen || published >= self.next_due) {
            self.scan(sequences, published, word);
        }
    }

    #[cold]
    #[inline(never)]
    fn scan(&mut self, sequences: &Sequences, published: u64, word: u64) {
        // Pairs with the Release increment of every announcement counted in `word`: their
        // `wake_at` stores are visible below.
        sync::fence(Ordering::Acquire);
        let mut next_due = u64::MAX;
        for consumer in &sequences.consumers {
            let parker = &consumer.parker;
            let wake_at = parker.wake_at.load(Ordering::Relaxed);
            if wake_at == NOT_PARKED {
                continue;
            }
            if wake_at > published {
                next_due = next_due.min(wake_at);
            } else if parker
                .wake_at
                .compare_exchange(wake_at, NOT_PARKED, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                parker.unpark();
            }
        }
        self.seen = word;
        self.next_due = next_due;
    }

    /// For a producer that found the ring full: wakes every parked consumer that can move (its
    /// readable limit is past its cursor), whatever its threshold. Such a consumer may be what
    /// the producer waits for, and no publish will come to wake it: a consumer with
    /// dependencies parked before they released its slots, a consumer whose wake-up was lost
    /// (see "The race the timeout covers"). One Relaxed load when no consumer is parked; called
    /// once per idle step of `push`'s wait and on each `try_push` that fails.
    pub(super) fn wake_blockers(&mut self, sequences: &Sequences) {
        if sequences.sleepers.0.load(Ordering::Relaxed) & COUNT_MASK == 0 {
            return;
        }
        sync::fence(Ordering::Acquire);
        for (index, consumer) in sequences.consumers.iter().enumerate() {
            let parker = &consumer.parker;
            let wake_at = parker.wake_at.load(Ordering::Relaxed);
            if wake_at == NOT_PARKED {
                continue;
            }
            let cursor = consumer.cursor.value();
            // Claim with a compare-exchange, as `scan` does: it writes nothing when the consumer
            // has withdrawn or parked again since the load (then the next call sees that).
            if cursor != DROPPED
                && sequences.readable_limit(index) > cursor
                && parker
                    .wake_at
                    .compare_exchange(wake_at, NOT_PARKED, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                parker.unpark();
            }
        }
    }
}

#[cfg(all(test, not(halcyon_loom)))]
mod tests {
    use super::*;

    // The Sleepers word: each announcement adds one to the count and one to the generation;
    // each withdrawal takes one off the count only. So announce, withdraw, announce again
    // never repeats a word, and the producer's "same word as last scan" shortcut cannot miss
    // a new announcement.
    #[test]
    fn every_announcement_changes_the_word() {
        let mut word: u64 = 0;
        let mut words = vec![word];
        for _ in 0..3 {
            word = word.wrapping_add(ANNOUNCE);
            words.push(word);
            word -= 1;
            words.push(word);
        }
        let mut unique = words.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), words.len(), "{words:x?}");
        assert_eq!(word & COUNT_MASK, 0, "all withdrawn");
        assert_eq!(word >> 32, 3, "three announcements");
        // Two consumers announced at once: count 2.
        assert_eq!(ANNOUNCE.wrapping_mul(2) & COUNT_MASK, 2);
    }

    // A parked consumer's threshold is one publish away by default, at most half a ring away,
    // and never wraps or collides with NOT_PARKED.
    #[test]
    fn wake_thresholds() {
        // A ring of 256 slots: wake_after is capped at 128.
        assert_eq!(wake_threshold(10, 1, 128), 11, "Blocking::new(): the next publish");
        assert_eq!(wake_threshold(10, 0, 128), 11, "wake_after(0) means the next publish too");
        assert_eq!(wake_threshold(10, 64, 128), 74, "wake_after(64)");
        assert_eq!(wake_threshold(10, 1024, 128), 138, "wake_after(1024) on a small ring: half of it");
        assert_eq!(wake_threshold(10, 5, 1), 11, "a ring of 2: every publish");
        assert_eq!(wake_threshold(u64::MAX - 10, 64, 128), NOT_PARKED - 1, "saturates below NOT_PARKED");
    }
}
