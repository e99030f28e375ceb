//! [`LaneStats`]: what each lane has done, readable from any thread.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The lanes, for [`SlowLanes::stats`](super::SlowLanes::stats).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lane {
    /// Binance REST open interest polling.
    OpenInterest,
    /// Binance REST depth snapshots on request.
    Snapshot,
    /// Bybit v5 public linear WebSocket.
    Bybit,
    /// Deribit options WebSocket.
    Deribit,
}

impl Lane {
    /// Every lane.
    pub const ALL: [Lane; 4] = [Lane::OpenInterest, Lane::Snapshot, Lane::Bybit, Lane::Deribit];

    /// The lane's name in reports.
    pub const fn name(self) -> &'static str {
        match self {
            Lane::OpenInterest => "open_interest",
            Lane::Snapshot => "snapshot",
            Lane::Bybit => "bybit",
            Lane::Deribit => "deribit",
        }
    }
}

/// Counters of one lane. Counters are relaxed atomics (each is exact; two read together may be
/// from slightly different moments); the last error is behind a mutex touched only on errors.
#[derive(Debug, Default)]
pub struct LaneStats {
    frames: AtomicU64,
    events: AtomicU64,
    errors: AtomicU64,
    connects: AtomicU64,
    reconnects: AtomicU64,
    last_error: Mutex<String>,
}

/// A copy of a lane's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LaneStatsSnapshot {
    /// Frames (WebSocket messages, HTTP responses) received.
    pub frames: u64,
    /// Events pushed into the queue (including ones the full queue dropped).
    pub events: u64,
    /// Errors: failed connections and requests, frames that did not decode.
    pub errors: u64,
    /// Successful connections.
    pub connects: u64,
    /// Reconnection attempts after a connection was lost or failed.
    pub reconnects: u64,
    /// The last error, with context; empty if none.
    pub last_error: String,
}

impl LaneStats {
    pub(crate) fn frame(&self) {
        self.frames.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn event(&self) {
        self.events.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn connected(&self) {
        self.connects.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reconnecting(&self) {
        self.reconnects.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn error(&self, message: impl std::fmt::Display) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut last) = self.last_error.lock() {
            *last = message.to_string();
        }
    }

    /// The counters now.
    pub fn snapshot(&self) -> LaneStatsSnapshot {
        LaneStatsSnapshot {
            frames: self.frames.load(Ordering::Relaxed),
            events: self.events.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            connects: self.connects.load(Ordering::Relaxed),
            reconnects: self.reconnects.load(Ordering::Relaxed),
            last_error: self.last_error.lock().map(|last| last.clone()).unwrap_or_default(),
        }
    }
}
