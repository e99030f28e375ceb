//! Reconnect delays: [`Backoff`], exponential with full jitter, from a seeded generator.
//!
//! Attempt `n` (1-based) waits a delay drawn uniformly from `0..=cap(n)` where
//! `cap(n) = min(max, initial · 2^(n-1))` ("full jitter": clients that lost the same server at
//! the same moment spread out instead of returning together). A connection that stays healthy
//! resets the count. The generator is [`SplitMix64`], seeded from the config, so a test (or a
//! replayed incident) sees the same delays every run.

use std::time::Duration;

/// Exponential backoff with full jitter.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    attempt: u32,
    random: SplitMix64,
}

impl Backoff {
    /// A backoff whose first cap is `initial` and whose caps stop growing at `max`.
    pub fn new(initial: Duration, max: Duration, seed: u64) -> Backoff {
        Backoff { initial, max: max.max(initial), attempt: 0, random: SplitMix64::new(seed) }
    }

    /// Counts one more failed attempt and returns it with the delay to wait before the next.
    pub fn next_delay(&mut self) -> (u32, Duration) {
        self.attempt = self.attempt.saturating_add(1);
        let cap = self.cap(self.attempt);
        let cap_nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        let delay = Duration::from_nanos(self.random.below_inclusive(cap_nanos));
        (self.attempt, delay)
    }

    /// The largest delay attempt `attempt` (1-based) can draw.
    pub fn cap(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(63);
        let factor = 1u64 << doublings;
        let nanos = u64::try_from(self.initial.as_nanos()).unwrap_or(u64::MAX).saturating_mul(factor);
        Duration::from_nanos(nanos).min(self.max)
    }

    /// Failed attempts since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Forgets the failures (the connection has been healthy long enough).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// Steele, Lea and Flood's SplitMix64: tiny, fast, and good enough for jitter and WebSocket
/// masking keys (neither needs cryptographic strength; RFC 6455 §10.3 asks masks to be
/// unpredictable to the page's script, which a feed client has none of).
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting at `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.state;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    /// A value in `0..=bound`, by widening multiplication (bias below 2^-64 · bound).
    pub fn below_inclusive(&mut self, bound: u64) -> u64 {
        match bound.checked_add(1) {
            Some(span) => ((u128::from(self.next_u64()) * u128::from(span)) >> 64) as u64,
            None => self.next_u64(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Caps double from 100 ms and stop at 1 s: 100, 200, 400, 800, 1000, 1000 …; each drawn
    // delay lies under its cap; the same seed draws the same delays; reset starts over.
    #[test]
    fn caps_double_to_the_maximum_and_delays_stay_under_them() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1), 7);
        let caps: Vec<u64> = (1..=6).map(|attempt| backoff.cap(attempt).as_millis() as u64).collect();
        assert_eq!(caps, [100, 200, 400, 800, 1000, 1000]);
        let drawn: Vec<(u32, Duration)> = (0..6).map(|_| backoff.next_delay()).collect();
        for (attempt, delay) in &drawn {
            assert!(*delay <= backoff.cap(*attempt), "attempt {attempt}: {delay:?}");
        }
        assert_eq!(drawn.iter().map(|(attempt, _)| *attempt).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6]);
        let mut again = Backoff::new(Duration::from_millis(100), Duration::from_secs(1), 7);
        assert_eq!((0..6).map(|_| again.next_delay()).collect::<Vec<_>>(), drawn);
        again.reset();
        assert_eq!(again.next_delay().0, 1);
        assert_eq!(
            Backoff::new(Duration::from_millis(1), Duration::from_secs(1), 0).cap(u32::MAX),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn jitter_covers_the_whole_range() {
        let mut random = SplitMix64::new(1);
        let draws: Vec<u64> = (0..10_000).map(|_| random.below_inclusive(9)).collect();
        for value in 0..=9 {
            let count = draws.iter().filter(|&&draw| draw == value).count();
            assert!((800..1200).contains(&count), "{value}: {count}");
        }
    }
}
