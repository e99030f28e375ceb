//! Wait strategies: what a thread does while the ring has nothing for it.
//!
//! - [`BusySpin`]: `spin_loop` hints, nothing else. Lowest latency; burns its core. For a pinned
//!   thread on a core of its own (the quoting core on a tuned box).
//! - [`SpinThenYield`]: spins a while, then `yield_now`s. Low latency while the ring is busy,
//!   gives the core away when it is not. The default for unpinned threads.
//! - [`Blocking`]: parks the thread until the producer publishes (or `wake_after(n)` slots), with
//!   a timeout as a safety net. For slow or batch consumers (recorder, telemetry) that must not
//!   burn a core. The producer pays no system call unless a consumer is actually parked; see
//!   `park.rs` for the protocol.
//! - [`AnyWait`]: one of the three, picked at run time from a [`WaitKind`] (configuration), and
//!   dispatched with a `match` (no `dyn`).
//!
//! The ring calls [`WaitStrategy::reset`] when a wait begins and [`WaitStrategy::idle`] each
//! time it finds the awaited condition still false. The same strategy value can serve a
//! consumer (`wait_poll`) or the producer (`push` on a full ring); the producer can never sleep
//! (consumers never wake it), so for it [`Parking::park`] yields.

mod any;
mod blocking;
mod busy_spin;
mod spin_then_yield;

pub use any::{AnyWait, ParseWaitKindError, WaitKind};
pub use blocking::Blocking;
pub use busy_spin::BusySpin;
pub use spin_then_yield::SpinThenYield;

use super::park::Parking;

/// How a thread passes the time while the ring has nothing for it. The ring re-checks its
/// condition after every [`idle`](WaitStrategy::idle), so an implementation only decides how
/// long to let pass: spin, yield, or [`Parking::park`].
pub trait WaitStrategy {
    /// A new wait begins (the condition was just found false): forget earlier waits.
    fn reset(&mut self);

    /// The condition is still false: let a little time pass, then return. `parking` can put a
    /// consumer thread to sleep until the producer publishes.
    fn idle(&mut self, parking: Parking<'_>);
}

impl<Wait: WaitStrategy + ?Sized> WaitStrategy for &mut Wait {
    #[inline]
    fn reset(&mut self) {
        (**self).reset();
    }

    #[inline]
    fn idle(&mut self, parking: Parking<'_>) {
        (**self).idle(parking);
    }
}
