//! When the feed thread releases each recorded frame.
//!
//! [`Pacing::Rate`] keeps the recording's own rhythm — its inter-arrival times, bursts and
//! lulls — compressed (or stretched) uniformly so the mean rate is the one asked for.
//! [`Pacing::Burst`] releases frames back to back, as fast as the feed can take them: a stress
//! of queueing, not a latency measurement of an idle pipeline. [`Schedule`] turns either into
//! per-frame offsets from the start, computed before the run so the feed thread only compares
//! a clock read against the next offset.

use feeds::Nanos;

/// How frames are released.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pacing {
    /// The recording's inter-arrival times, scaled so the mean rate is this many frames per
    /// second.
    Rate(f64),
    /// Back to back.
    Burst,
}

/// Release offsets, nanoseconds from the start of the run, one per frame, non-decreasing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    offsets: Vec<i64>,
}

impl Schedule {
    /// The schedule for frames received at `receive_times` (in recording order).
    ///
    /// Frames whose recorded receive time goes backwards keep the previous frame's offset
    /// (recordings merged from several sockets are not always sorted).
    pub fn new(receive_times: &[Nanos], pacing: Pacing) -> Schedule {
        let rate = match pacing {
            Pacing::Burst => return Schedule { offsets: vec![0; receive_times.len()] },
            Pacing::Rate(rate) => rate,
        };
        let Some(first) = receive_times.first() else { return Schedule { offsets: Vec::new() } };
        let span = receive_times.iter().map(|time| time.0).max().unwrap_or(first.0) - first.0;
        let frames = receive_times.len() as f64;
        // Target duration: `frames` at `rate` per second.
        let target_span = frames / rate * Nanos::PER_SECOND as f64;
        let mut offsets = Vec::with_capacity(receive_times.len());
        let mut previous = 0_i64;
        for (index, time) in receive_times.iter().enumerate() {
            let offset = if span > 0 {
                ((time.0 - first.0) as f64 / span as f64 * target_span) as i64
            } else {
                // No rhythm to keep: evenly spaced.
                (index as f64 / rate * Nanos::PER_SECOND as f64) as i64
            };
            previous = offset.max(previous);
            offsets.push(previous);
        }
        Schedule { offsets }
    }

    /// Offset of frame `index`.
    #[inline]
    pub fn offset(&self, index: usize) -> i64 {
        self.offsets[index]
    }

    /// Frames scheduled.
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    /// True when no frame is scheduled.
    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// Time from the first release to the last.
    pub fn duration(&self) -> Nanos {
        Nanos(self.offsets.last().copied().unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_keeps_the_rhythm_and_hits_the_mean() {
        // Three frames at 0, 1 and 4 s; compressed to 3 frames per second the span is 1 s and
        // the gaps keep their 1:3 proportion.
        let times = [Nanos(0), Nanos(1_000_000_000), Nanos(4_000_000_000)];
        let schedule = Schedule::new(&times, Pacing::Rate(3.0));
        assert_eq!(schedule.offset(0), 0);
        assert_eq!(schedule.offset(1), 250_000_000);
        assert_eq!(schedule.offset(2), 1_000_000_000);
    }

    #[test]
    fn out_of_order_times_never_go_back() {
        let times = [Nanos(10), Nanos(30), Nanos(20), Nanos(40)];
        let schedule = Schedule::new(&times, Pacing::Rate(1.0));
        let offsets: Vec<i64> = (0..4).map(|i| schedule.offset(i)).collect();
        assert!(offsets.windows(2).all(|pair| pair[0] <= pair[1]), "{offsets:?}");
    }

    #[test]
    fn burst_and_flat_recordings() {
        let times = [Nanos(5); 4];
        assert_eq!(Schedule::new(&times, Pacing::Burst).duration(), Nanos(0));
        let even = Schedule::new(&times, Pacing::Rate(2.0));
        assert_eq!(even.offset(3), 1_500_000_000);
    }
}
