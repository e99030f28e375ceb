//! [`SpinThenYield`]: spin a while, then yield the core on every step.

use super::WaitStrategy;
use crate::ring::park::Parking;
use crate::ring::sync;

/// Spins for the first `spins` idle steps of a wait, then calls
/// [`std::thread::yield_now`] on each further step. A burst that arrives within the spins is
/// seen as fast as with [`BusySpin`](super::BusySpin); a quiet ring costs a `sched_yield` per
/// step, which lets other threads on the core run. Under loom every step yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpinThenYield {
    /// Idle steps spent spinning before yielding.
    spins: u32,
    /// Idle steps so far in the current wait (saturates).
    spun: u32,
}

impl SpinThenYield {
    /// Spins used by [`SpinThenYield::default`]: about 10 µs of `pause` on current x86 cores,
    /// longer than a typical gap inside a burst of market data, shorter than a time slice.
    pub const DEFAULT_SPINS: u32 = 256;

    /// Spins `spins` idle steps per wait before yielding (0: yield at once).
    pub const fn new(spins: u32) -> Self {
        Self { spins, spun: 0 }
    }

    /// The number of spins before yielding.
    pub const fn spins(&self) -> u32 {
        self.spins
    }
}

impl Default for SpinThenYield {
    fn default() -> Self {
        Self::new(Self::DEFAULT_SPINS)
    }
}

impl WaitStrategy for SpinThenYield {
    #[inline]
    fn reset(&mut self) {
        self.spun = 0;
    }

    #[inline]
    fn idle(&mut self, _parking: Parking<'_>) {
        if self.spun < self.spins {
            self.spun += 1;
            sync::spin_loop();
        } else {
            sync::yield_now();
        }
    }
}
