//! The feed thread's and the slow lanes' metric handles.

use super::{Counter, IntGauge};

/// The feed thread's handles (clones of the registry's atomics, made by
/// [`Metrics::feed`](super::Metrics::feed)). Every method is one relaxed atomic operation.
#[derive(Clone, Debug)]
pub struct FeedMetrics {
    pub(super) frames: Counter,
    pub(super) events: Counter,
    pub(super) decode_errors: Counter,
    pub(super) gaps: Counter,
    pub(super) resyncs: Counter,
    pub(super) reconnects: Counter,
    pub(super) rollovers: Counter,
    pub(super) stale: Counter,
    pub(super) disconnects: Counter,
    pub(super) snapshot_requests: Counter,
    pub(super) stale_diffs: Counter,
    /// Feed lag per instrument, indexed like the symbols given to `Metrics::new`.
    pub(super) lag_ms: Box<[IntGauge]>,
}

impl FeedMetrics {
    /// One frame in hand.
    #[inline]
    pub fn inc_frames(&self) {
        self.frames.inc();
    }

    /// `count` normalized events published.
    #[inline]
    pub fn add_events(&self, count: u64) {
        self.events.inc_by(count);
    }

    /// A frame that did not decode.
    #[inline]
    pub fn inc_decode_errors(&self) {
        self.decode_errors.inc();
    }

    /// A gap in a sequenced stream (the book must resync).
    #[inline]
    pub fn inc_gaps(&self) {
        self.gaps.inc();
    }

    /// A book resync completed (snapshot applied and the diff chain re-joined).
    #[inline]
    pub fn inc_resyncs(&self) {
        self.resyncs.inc();
    }

    /// A reconnect attempt after a disconnect.
    #[inline]
    pub fn inc_reconnects(&self) {
        self.reconnects.inc();
    }

    /// A planned connection rollover (before the venue's connection lifetime runs out).
    #[inline]
    pub fn inc_rollovers(&self) {
        self.rollovers.inc();
    }

    /// The stream went quiet longer than the stale threshold.
    #[inline]
    pub fn inc_stale(&self) {
        self.stale.inc();
    }

    /// The connection closed or failed.
    #[inline]
    pub fn inc_disconnects(&self) {
        self.disconnects.inc();
    }

    /// A REST depth snapshot was requested.
    #[inline]
    pub fn inc_snapshot_requests(&self) {
        self.snapshot_requests.inc();
    }

    /// Adds what changed since the last call, for a publisher that reads counters now and then:
    /// `[frames, events, decode errors, gaps, resyncs, reconnects, rollovers, stale,
    /// disconnects, snapshot requests, stale diffs]`.
    #[inline]
    pub fn add_counts(&self, counts: [u64; 11]) {
        let counters = [
            &self.frames,
            &self.events,
            &self.decode_errors,
            &self.gaps,
            &self.resyncs,
            &self.reconnects,
            &self.rollovers,
            &self.stale,
            &self.disconnects,
            &self.snapshot_requests,
            &self.stale_diffs,
        ];
        for (counter, count) in counters.into_iter().zip(counts) {
            if count > 0 {
                counter.inc_by(count);
            }
        }
    }

    /// Receive time minus exchange time of the latest event of `instrument` (its index in the
    /// symbols given to `Metrics::new`), in milliseconds. An unknown index is ignored.
    #[inline]
    pub fn set_lag_ms(&self, instrument: usize, lag_ms: i64) {
        if let Some(gauge) = self.lag_ms.get(instrument) {
            gauge.set(lag_ms);
        }
    }
}

/// One slow lane's handles (made by [`Metrics::lane`](super::Metrics::lane)).
#[derive(Clone, Debug)]
pub struct LaneMetrics {
    pub(super) events: Counter,
    pub(super) dropped: Counter,
}

impl LaneMetrics {
    /// An event from this lane reached the feed thread.
    #[inline]
    pub fn inc_events(&self) {
        self.events.inc();
    }

    /// `count` events of this lane were dropped (queue full).
    #[inline]
    pub fn add_dropped(&self, count: u64) {
        self.dropped.inc_by(count);
    }
}
