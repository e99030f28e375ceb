//! [`Blocking`]: sleep until the producer has published enough.

use std::time::Duration;

use super::WaitStrategy;
use crate::ring::park::Parking;

/// Parks the consumer thread until the producer has published the next slot (or, with
/// [`wake_after`](Blocking::wake_after), `n` more slots than the consumer had seen), the ring
/// closes, or the timeout passes. The thread uses no CPU while parked; waking costs a futex
/// system call on the producer's side and a few microseconds of scheduler latency.
///
/// The producer makes that system call only for a consumer that is actually parked and due:
/// when no consumer is parked its publish costs one extra relaxed load and a not-taken branch.
///
/// # Late wake-ups, and the timeout
/// The producer puts no fence between storing its cursor and loading the parked count (a
/// `SeqCst` fence per publish is the cost this design avoids), so a consumer that parks at the
/// very moment its slot is published can miss that wake-up. It is then woken by the next
/// publish, by the producer finding the ring full (which wakes every parked consumer that could
/// free room), by close, or at the latest by the timeout (default
/// [`Blocking::DEFAULT_TIMEOUT`]). Close and the drop of a consumer never miss: they pay the
/// fence.
///
/// A consumer built `after` others is woken by the producer's publishes, not by its
/// dependencies (that would put a wake-up check on their path): it sees what they released at
/// the next publish that reaches its threshold, or at the timeout. Prefer `Blocking` for such
/// consumers only where that latency is fine (telemetry, recording).
///
/// Given to the producer (`push` on a full ring), `Blocking` yields instead: consumers never
/// wake the producer, as that would put a system call on their path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocking {
    /// Slots to be published past what the consumer has seen before it is woken (>= 1).
    wake_after: u64,
    /// Longest sleep; `None` (loom only) for none.
    timeout: Option<Duration>,
}

impl Blocking {
    /// Timeout of [`Blocking::new`]: a missed wake-up costs at most this much latency.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(10);

    /// Wakes on the next publish, with the default timeout.
    pub const fn new() -> Self {
        Self { wake_after: 1, timeout: Some(Self::DEFAULT_TIMEOUT) }
    }

    /// Wakes only once `slots` more slots are published than the consumer had seen when it
    /// parked: for batch consumers such as a recorder, one wake-up per `slots` slots instead of
    /// one per publish. At least 1, and at most half the ring's capacity (a consumer woken only
    /// when the ring is full would hold up the producer). After a timeout, or when the producer
    /// finds the ring full, the consumer takes what there is.
    #[must_use]
    pub const fn wake_after(self, slots: u64) -> Self {
        Self { wake_after: if slots == 0 { 1 } else { slots }, ..self }
    }

    /// Sleeps at most `timeout` at a time.
    #[must_use]
    pub const fn timeout(self, timeout: Duration) -> Self {
        Self { timeout: Some(timeout), ..self }
    }

    /// Under loom only: parks without a timeout, so that loom reports a deadlock if a wake-up
    /// is lost (loom models a timeout as one that expires at once).
    #[cfg(halcyon_loom)]
    #[must_use]
    pub const fn untimed(self) -> Self {
        Self { timeout: None, ..self }
    }

    /// The wake threshold, in slots.
    pub const fn slots_per_wake(&self) -> u64 {
        self.wake_after
    }
}

impl Default for Blocking {
    fn default() -> Self {
        Self::new()
    }
}

impl WaitStrategy for Blocking {
    #[inline]
    fn reset(&mut self) {}

    #[inline]
    fn idle(&mut self, parking: Parking<'_>) {
        parking.park_for(self.wake_after, self.timeout);
    }
}
