//! Exchange-to-local lag: [`LagBaseline`], the trailing minimum of the latency over
//! `lag_window`, and the gate's readings of it ([`RiskGate::lag_baseline`],
//! [`RiskGate::lag_excess`]). The gate samples it in [`RiskGate::on_event`] and refuses intents
//! with [`Reason::FeedLag`](crate::Reason::FeedLag) while the latest sample exceeds the baseline
//! by more than `max_lag` (see "Two clocks" in the module docs of [`gate`](super) for why the
//! trailing minimum).

use super::RiskGate;
use feeds::Nanos;

/// Buckets of the latency baseline's window.
const LAG_BUCKETS: usize = 16;

/// The trailing minimum of latency samples over a window, in [`LAG_BUCKETS`] buckets of local
/// time: each bucket keeps its samples' minimum, and the minimum of the buckets covers the last
/// 15 to 16 bucket lengths, the window to within a sixteenth. Fixed size, constant time per
/// sample (a bucket change rescans 16 values). Why buckets rather than the exact monotonic
/// deque: the deque needs room for every sample of the window, unbounded at a feed's rate.
#[derive(Clone, Debug)]
pub(super) struct LagBaseline {
    /// Local nanoseconds per bucket, positive.
    bucket_len: i64,
    /// Minimum latency per bucket, by bucket number modulo [`LAG_BUCKETS`]; `i64::MAX` if empty.
    minima: [i64; LAG_BUCKETS],
    /// Bucket number (local time / `bucket_len`) of the latest sample; `None` before the first.
    current: Option<i64>,
    /// Minimum of `minima`.
    minimum: i64,
}

impl LagBaseline {
    pub(super) fn new(window: Nanos) -> LagBaseline {
        LagBaseline {
            bucket_len: (window.0 / LAG_BUCKETS as i64).max(1),
            minima: [i64::MAX; LAG_BUCKETS],
            current: None,
            minimum: i64::MAX,
        }
    }

    /// Adds a sample `latency` taken at local time `now` (non-decreasing across calls) and
    /// returns its excess over the baseline (`≥ 0`).
    #[inline]
    pub(super) fn sample(&mut self, now: Nanos, latency: i64) -> i64 {
        let bucket = now.0.div_euclid(self.bucket_len);
        let slot = |bucket: i64| bucket.rem_euclid(LAG_BUCKETS as i64) as usize;
        match self.current {
            Some(current) if bucket <= current => {}
            current => {
                // Empty the buckets the window has moved past (all of them after a long pause).
                let first =
                    current.map_or(bucket, |current| (current + 1).max(bucket - LAG_BUCKETS as i64 + 1));
                for passed in first..=bucket {
                    self.minima[slot(passed)] = i64::MAX;
                }
                self.minimum = self.minima.iter().copied().min().unwrap_or(i64::MAX);
                self.current = Some(bucket);
            }
        }
        let kept = &mut self.minima[slot(self.current.unwrap_or(bucket))];
        *kept = (*kept).min(latency);
        self.minimum = self.minimum.min(latency);
        latency.saturating_sub(self.minimum)
    }

    /// The baseline, `None` before the first sample.
    fn baseline(&self) -> Option<i64> {
        (self.minimum != i64::MAX).then_some(self.minimum)
    }
}

impl RiskGate {
    /// The latency baseline (`receive − exchange`, the clock offset plus the best network
    /// latency of the window), in nanoseconds; `None` before the first sample.
    #[inline]
    pub fn lag_baseline(&self) -> Option<Nanos> {
        self.lag.baseline().map(Nanos)
    }

    /// The latest sample's latency above the baseline; `None` before the first sample.
    #[inline]
    pub fn lag_excess(&self) -> Option<Nanos> {
        self.lag_excess.map(Nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::gate::MarketContext;
    use crate::limits::RiskLimits;
    use crate::reason::Reason;
    use feeds::{BookLevel, EventKind, Lots, Side, Ticks};

    #[test]
    fn lag_is_measured_against_the_trailing_minimum_not_the_clocks() {
        // Our clock runs 1.27 s behind the exchange's, as in the BTCUSDT recording: raw
        // latencies are about -1.27 s. Latency 5 ms, then 3 ms (the baseline), then 8 ms.
        let mut gate = RiskGate::new(limits());
        let offset = -1_270;
        for (ms, latency) in [(0, 5), (10, 3), (20, 8)] {
            gate.on_event(&received(ms, ms + offset + latency, BBO));
        }
        assert_eq!(gate.lag_baseline(), Some(Nanos((offset + 3) * MS)));
        assert_eq!(gate.lag_excess(), Some(Nanos(5 * MS)));
        let market = MarketContext { now: Nanos(20 * MS), ..market() };
        assert!(gate.check(buy(999, 1), &market).is_approved());
        // A trade 253 ms late (250 above the baseline) is still fine; 254 ms is lag.
        gate.on_event(&trade(30, 30 + offset + 253));
        assert!(gate.check(buy(999, 1), &market).is_approved());
        gate.on_event(&trade(31, 31 + offset + 254));
        assert_eq!(gate.data_fault(), Some(Reason::FeedLag));
        assert_eq!(gate.check(buy(999, 1), &market).reason(), Some(Reason::FeedLag));
        // The next event on time clears it: lag is judged on the latest sample.
        gate.on_event(&received(40, 40 + offset + 4, BBO));
        assert_eq!(gate.check(buy(999, 1), &market).reason(), None);
        // Snapshot levels (requested, late by a round trip), feed statuses and open interest
        // are not samples.
        gate.on_event(&received(
            50,
            50 + offset + 900,
            EventKind::BookLevel(BookLevel {
                side: Side::Bid,
                price: Ticks(999),
                qty: Lots(1),
                last: false,
                snapshot: true,
            }),
        ));
        gate.on_event(&received(
            50,
            50 + offset + 900,
            EventKind::OpenInterest(feeds::OpenInterest { qty: Lots(5) }),
        ));
        assert_eq!(gate.lag_excess(), Some(Nanos(MS)));
    }

    #[test]
    fn a_lasting_rise_in_latency_becomes_the_baseline_after_the_window() {
        // A 1.6 s window (buckets of 100 ms): latency rises from 0 to 400 ms for good.
        let mut gate = RiskGate::new(RiskLimits { lag_window: Nanos(1_600 * MS), ..limits() });
        gate.on_event(&received(0, 0, BBO));
        let mut flagged_until = None;
        for ms in (100..4_000).step_by(50) {
            gate.on_event(&received(ms - 400, ms, BBO));
            if gate.data_fault() == Some(Reason::FeedLag) {
                flagged_until = Some(ms);
            }
        }
        // Flagged while the 0 ms sample is in the window (15 to 16 buckets back), then not.
        let flagged_until = flagged_until.unwrap();
        assert!((1_500..1_600).contains(&flagged_until), "{flagged_until}");
        assert_eq!(gate.lag_baseline(), Some(Nanos(400 * MS)));
    }

    #[test]
    fn the_baseline_forgets_everything_after_a_long_pause() {
        let mut baseline = LagBaseline::new(Nanos(1_600 * MS));
        assert_eq!(baseline.baseline(), None);
        assert_eq!(baseline.sample(Nanos(0), -5), 0);
        assert_eq!(baseline.sample(Nanos(50 * MS), 7), 12);
        // Within the window the minimum holds; long after it, the first new sample is alone.
        assert_eq!(baseline.sample(Nanos(1_400 * MS), 0), 5);
        assert_eq!(baseline.sample(Nanos(100_000 * MS), 9), 0);
        assert_eq!(baseline.baseline(), Some(9));
    }
}
