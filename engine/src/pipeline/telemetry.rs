//! The telemetry consumer: counts what flows through the ring, and logs rates.
//!
//! It runs *after* the quoting core in the ring's dependency graph (it sees a slot only once the
//! core has consumed it), so its counts at any moment are what the core has finished. Rates
//! are logged through `tracing` every `log_every` of wall-clock time; telemetry is the one
//! consumer allowed a wall clock because nothing it does feeds a decision.

use feeds::{Event, EventKind, FeedCondition};
use std::time::{Duration, Instant};

/// Counts by event kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TelemetryReport {
    /// Frames (frame ends).
    pub frames: u64,
    /// Book level events.
    pub book_levels: u64,
    /// Book clears (snapshots starting).
    pub book_clears: u64,
    /// Best bid/offer events.
    pub bbos: u64,
    /// Trades.
    pub trades: u64,
    /// Liquidations.
    pub liquidations: u64,
    /// Mark price / funding updates.
    pub mark_prices: u64,
    /// Open interest updates.
    pub open_interest: u64,
    /// Options readings.
    pub options: u64,
    /// Feed gaps.
    pub gaps: u64,
    /// Other feed status events.
    pub feed_status: u64,
}

/// Counts events and logs rates.
pub struct Telemetry {
    report: TelemetryReport,
    log_every: Duration,
    last_log: Instant,
    frames_at_last_log: u64,
}

impl Telemetry {
    /// Logs every `log_every` (never, if zero).
    pub fn new(log_every: Duration) -> Telemetry {
        Telemetry {
            report: TelemetryReport::default(),
            log_every,
            last_log: Instant::now(),
            frames_at_last_log: 0,
        }
    }

    /// Takes one event.
    #[inline]
    pub fn on_event(&mut self, event: &Event) {
        let report = &mut self.report;
        match event.kind() {
            EventKind::FrameEnd(_) => report.frames += 1,
            EventKind::BookLevel(_) => report.book_levels += 1,
            EventKind::BookClear(_) => report.book_clears += 1,
            EventKind::Bbo(_) => report.bbos += 1,
            EventKind::Trade(_) => report.trades += 1,
            EventKind::Liquidation(_) => report.liquidations += 1,
            EventKind::MarkPrice(_) => report.mark_prices += 1,
            EventKind::OpenInterest(_) => report.open_interest += 1,
            EventKind::Options(_) => report.options += 1,
            EventKind::FeedStatus(status) if status.condition == FeedCondition::Gap => report.gaps += 1,
            EventKind::FeedStatus(_) => report.feed_status += 1,
        }
    }

    /// Called after each batch: logs the frame rate when it is time.
    pub fn tick(&mut self) {
        if self.log_every.is_zero() {
            return;
        }
        let elapsed = self.last_log.elapsed();
        if elapsed >= self.log_every {
            let frames = self.report.frames - self.frames_at_last_log;
            tracing::info!(
                frames = self.report.frames,
                rate = (frames as f64 / elapsed.as_secs_f64()).round(),
                gaps = self.report.gaps,
                "telemetry"
            );
            self.last_log = Instant::now();
            self.frames_at_last_log = self.report.frames;
        }
    }

    /// The counts.
    pub fn finish(self) -> TelemetryReport {
        self.report
    }
}
