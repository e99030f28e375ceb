//! [`BusySpin`]: never leave the core.

use super::WaitStrategy;
use crate::ring::park::Parking;
use crate::ring::sync;

/// Spins with [`std::hint::spin_loop`] and never gives up the core: the lowest wake-up latency
/// (the next check comes tens of nanoseconds later), at the price of a core at 100 %. Use it on
/// a pinned thread that has its core to itself. Under loom each step yields, so that the model
/// checker can run the thread being waited for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BusySpin;

impl WaitStrategy for BusySpin {
    #[inline]
    fn reset(&mut self) {}

    #[inline]
    fn idle(&mut self, _parking: Parking<'_>) {
        sync::spin_loop();
    }
}
