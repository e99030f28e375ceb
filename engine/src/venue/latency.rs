//! The venue's clocks: how late market data reaches us, and how long our orders and the venue's
//! answers travel.
//!
//! - [`LatencySampler`]: one leg (order entry, or response) drawing from its [`LatencyModel`]
//!   with its own seeded ChaCha8 stream.
//! - [`FeedClock`]: the feed latency of each market event, from the recording's receive times
//!   or a constant.
//!
//! Everything here is deterministic: the same seed and the same events give the same latencies.

use super::config::{FeedLatency, LatencyModel};
use feeds::Nanos;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One leg's latency draws.
#[derive(Clone, Debug)]
pub struct LatencySampler {
    model: LatencyModel,
    rng: ChaCha8Rng,
}

impl LatencySampler {
    /// Draws from `model` with the ChaCha8 stream `stream` of `seed`: two legs with the same seed
    /// and different streams are independent, and changing one leg's model leaves the other's
    /// draws as they were.
    pub fn new(model: LatencyModel, seed: u64, stream: u64) -> LatencySampler {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        LatencySampler { model, rng }
    }

    /// The next latency, nanoseconds (never negative).
    pub fn sample(&mut self) -> i64 {
        match self.model {
            LatencyModel::Constant { us } => micros(us),
            LatencyModel::Uniform { min_us, max_us } => {
                let (low, high) = (micros(min_us), micros(max_us).max(micros(min_us)));
                self.rng.random_range(low..=high)
            }
            LatencyModel::Lognormal { median_us, sigma } => {
                let nanos = median_us * 1e3 * (sigma * standard_normal(&mut self.rng)).exp();
                // `as` saturates: a draw beyond i64 (impossible with validated settings) is the max.
                if nanos.is_finite() { nanos.max(0.0).round() as i64 } else { 0 }
            }
        }
    }
}

fn micros(us: u64) -> i64 {
    i64::try_from(us).unwrap_or(i64::MAX).saturating_mul(Nanos::PER_MICRO)
}

/// A standard normal draw (Box–Muller, one of the pair; rand 0.9 without `rand_distr`).
fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    // 1 − u is in (0, 1], so the logarithm is finite.
    let radius = (-2.0 * (1.0 - rng.random::<f64>()).ln()).sqrt();
    let angle = std::f64::consts::TAU * rng.random::<f64>();
    radius * angle.cos()
}

/// The feed latency of each market event.
///
/// `recorded`: `(receive − exchange) − min(receive − exchange so far) + floor`. The first event
/// with times has latency `floor`; a later faster frame lowers the minimum for the events after
/// it, never before (causal).
#[derive(Clone, Copy, Debug)]
pub struct FeedClock {
    mode: FeedLatency,
    floor: i64,
    /// Smallest `receive − exchange` seen; `None` before the first event with both times.
    min_offset: Option<i64>,
}

impl FeedClock {
    /// A clock for `mode`, adding `floor_us` to every latency.
    pub fn new(mode: FeedLatency, floor_us: u64) -> FeedClock {
        FeedClock { mode, floor: micros(floor_us), min_offset: None }
    }

    /// The latency of an event stamped `exchange` by the venue and `receive` by the recorder,
    /// nanoseconds; `None` when the event lacks one of the times (a frame that did not decode
    /// carries exchange time zero), in which case it does not move the minimum either.
    pub fn latency(&mut self, exchange: Nanos, receive: Nanos) -> Option<i64> {
        if exchange.0 <= 0 {
            return None;
        }
        match self.mode {
            FeedLatency::ConstantUs(us) => Some(micros(us).saturating_add(self.floor)),
            FeedLatency::Recorded => {
                if receive.0 <= 0 {
                    return None;
                }
                let offset = receive.saturating_since(exchange);
                let min = self.min_offset.map_or(offset, |min| min.min(offset));
                self.min_offset = Some(min);
                Some(offset.saturating_sub(min).saturating_add(self.floor))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(model: LatencyModel, seed: u64) -> Vec<i64> {
        let mut sampler = LatencySampler::new(model, seed, 1);
        (0..64).map(|_| sampler.sample()).collect()
    }

    #[test]
    fn draws_repeat_under_a_seed_and_differ_across_seeds() {
        for model in [
            LatencyModel::Uniform { min_us: 1_000, max_us: 5_000 },
            LatencyModel::Lognormal { median_us: 3_000.0, sigma: 0.5 },
        ] {
            assert_eq!(draws(model, 7), draws(model, 7), "{model:?}");
            assert_ne!(draws(model, 7), draws(model, 8), "{model:?}");
            // Another stream of the same seed is another sequence.
            let mut other = LatencySampler::new(model, 7, 2);
            let other: Vec<i64> = (0..64).map(|_| other.sample()).collect();
            assert_ne!(other, draws(model, 7));
        }
        assert_eq!(draws(LatencyModel::Constant { us: 250 }, 1), vec![250_000; 64]);
    }

    #[test]
    fn uniform_stays_in_range_and_lognormal_centres_on_its_median() {
        let mut uniform = LatencySampler::new(LatencyModel::Uniform { min_us: 1_000, max_us: 2_000 }, 3, 1);
        let mut lognormal =
            LatencySampler::new(LatencyModel::Lognormal { median_us: 3_000.0, sigma: 0.5 }, 3, 1);
        let mut below_median = 0;
        for _ in 0..10_000 {
            assert!((1_000_000..=2_000_000).contains(&uniform.sample()));
            let draw = lognormal.sample();
            assert!(draw > 0);
            below_median += usize::from(draw < 3_000_000);
        }
        // Half the draws fall below the median; 10 000 draws put the share within ±3 %.
        assert!((4_700..=5_300).contains(&below_median), "{below_median}");
        // sigma 0 is the median exactly.
        let mut flat = LatencySampler::new(LatencyModel::Lognormal { median_us: 3_000.0, sigma: 0.0 }, 3, 1);
        assert_eq!(flat.sample(), 3_000_000);
    }

    #[test]
    fn recorded_feed_latency_is_the_excess_over_the_running_minimum() {
        // The recorder's clock runs 1.27 s behind the exchange's: offsets are about −1.27 s.
        let mut clock = FeedClock::new(FeedLatency::Recorded, 100);
        let at = |exchange: i64, offset_ms: i64| (Nanos(exchange), Nanos(exchange + offset_ms * 1_000_000));
        let (e, r) = at(1_000_000_000_000, -1_270);
        assert_eq!(clock.latency(e, r), Some(100_000)); // first: floor only
        let (e, r) = at(1_000_010_000_000, -1_265);
        assert_eq!(clock.latency(e, r), Some(5_100_000)); // 5 ms slower than the fastest
        let (e, r) = at(1_000_020_000_000, -1_272);
        assert_eq!(clock.latency(e, r), Some(100_000)); // a new minimum
        let (e, r) = at(1_000_030_000_000, -1_265);
        assert_eq!(clock.latency(e, r), Some(7_100_000));
        // No exchange time (an undecoded frame): no latency, minimum untouched.
        assert_eq!(clock.latency(Nanos(0), Nanos(5)), None);
        let mut constant = FeedClock::new(FeedLatency::ConstantUs(2_000), 100);
        assert_eq!(constant.latency(e, r), Some(2_100_000));
    }
}
