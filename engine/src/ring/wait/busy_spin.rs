//! [`BusySpin`]: never leave the core.

use super::WaitStrategy;
use crate::ring::park::Parking;
use crate::ring::sync;

/// Re-checks as fast as it can and never gives up the core: the lowest wake-up latency, at the
/// price of a core at 100 %. Use it on a pinned thread that has its core to itself; elsewhere use
/// [`SpinThenYield`](super::SpinThenYield), which pauses between checks and then yields.
///
/// No `pause` (`std::hint::spin_loop`) between checks, as the `disruptor` crate's `BusySpin`:
/// on our 2-vCPU EPYC machines the pause cost on every measure of `cargo bench --bench ring`
/// (two runs, same session: hop p50 44.7/42.3 ns with it vs 40.9/41.8 without; paced one-way
/// p50 82.6/80.5 vs 52.8/51.8; per-message burst 77.7/80.4 vs 80.9/84.1 Mmsg/s). A pause helps
/// a hyperthread sibling and saves power, neither of which a pinned hot thread wants. Under loom
/// each step yields, so that the model checker can run the thread being waited for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BusySpin;

impl WaitStrategy for BusySpin {
    #[inline]
    fn reset(&mut self) {}

    #[inline]
    fn idle(&mut self, _parking: Parking<'_>) {
        sync::spin_without_pause();
    }
}
