//! The cheap monotonic clock behind every latency stamp.
//!
//! [`TscClock`] reads the CPU's time-stamp counter through `quanta` (one `rdtsc`, no system
//! call) and scales it to nanoseconds since the clock was created, with quanta's calibration
//! against the OS monotonic clock. Clones share the origin, so stamps taken on different
//! threads compare directly: on x86-64 with an invariant TSC (`constant_tsc`, `nonstop_tsc`)
//! the counter is synchronised across cores. Where no usable TSC exists quanta falls back to the
//! OS monotonic clock and [`TscClock::is_counter`] says so.
//!
//! This is the engine's *latency* clock: it never decides anything. The quoting core's notion
//! of time is event time (exchange timestamps), so replays stay deterministic.
//!
//! Cost: [`TscClock::read_cost`] measures it at start-up and `halcyon bench tick-to-quote`
//! prints it with every run (about 7–10 ns a read on this project's 2-core EPYC machines).

use feeds::Nanos;
use std::hint::black_box;

/// Monotonic nanoseconds from the TSC. Cheap to clone and to read.
#[derive(Clone, Debug)]
pub struct TscClock {
    clock: quanta::Clock,
    /// Raw counter value at creation: stamps are nanoseconds since then.
    origin: u64,
}

impl TscClock {
    /// A clock whose zero is now. Calibrates the counter on first use in the process (a few
    /// milliseconds); call it at start-up, not on a hot path.
    pub fn new() -> TscClock {
        let clock = quanta::Clock::new();
        let origin = clock.raw();
        TscClock { clock, origin }
    }

    /// Nanoseconds since the clock was created.
    #[inline]
    pub fn now(&self) -> Nanos {
        Nanos(self.clock.delta_as_nanos(self.origin, self.clock.raw()) as i64)
    }

    /// True when reads come from the CPU counter (the fast path), false when quanta fell back
    /// to the OS monotonic clock.
    pub fn is_counter(&self) -> bool {
        // The fallback's raw value is already nanoseconds; the counter's scaled delta differs
        // from its raw delta unless the TSC runs at exactly 1 GHz, which no current CPU does.
        let start = self.clock.raw();
        let mut end = start;
        while end.wrapping_sub(start) < 100_000 {
            end = self.clock.raw();
        }
        self.clock.delta_as_nanos(start, end) != end - start
    }

    /// Average cost of one [`TscClock::now`] in nanoseconds, over `reads` back-to-back reads.
    pub fn read_cost(&self, reads: u32) -> f64 {
        let reads = reads.max(1);
        let start = self.now();
        for _ in 0..reads {
            black_box(self.now());
        }
        let elapsed = self.now().0 - start.0;
        elapsed as f64 / f64::from(reads)
    }
}

impl Default for TscClock {
    fn default() -> TscClock {
        TscClock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn is_monotonic_and_tracks_the_os_clock() {
        let clock = TscClock::new();
        let os_start = Instant::now();
        let start = clock.now();
        let mut previous = start;
        for _ in 0..10_000 {
            let now = clock.now();
            assert!(now >= previous, "went backwards: {previous:?} then {now:?}");
            previous = now;
        }
        std::thread::sleep(Duration::from_millis(20));
        let elapsed = clock.now().0 - start.0;
        let os_elapsed = os_start.elapsed().as_nanos() as i64;
        // Both measured the same 20+ ms sleep; scheduling noise cannot make them differ by 10 ms.
        assert!((elapsed - os_elapsed).abs() < 10_000_000, "tsc {elapsed} ns vs os {os_elapsed} ns");
    }

    #[test]
    fn clones_share_the_origin() {
        let clock = TscClock::new();
        let clone = clock.clone();
        let (a, b) = (clock.now(), clone.now());
        assert!(b >= a);
        assert!(b.0 - a.0 < 1_000_000);
    }
}
