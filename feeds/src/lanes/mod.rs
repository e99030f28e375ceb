//! Slow lanes: tokio tasks that bring other venues' and REST facts to the feed thread (feature
//! `net`).
//!
//! - [`SlowLanes`] starts the lanes on a tokio runtime of its own (one worker thread, unpinned)
//!   or on a [`tokio::runtime::Handle`] the caller owns, and stops them within a bounded time.
//! - [`LaneQueue`]: every lane pushes ready [`Event`](crate::Event)s into it, never blocking;
//!   the feed thread pops them. Full means dropped and counted.
//! - [`LanesConfig`]: the `[lanes]` TOML table.
//! - [`LaneStats`]: per-lane counters readable from any thread.
//! - The depth snapshot lane answers [`SnapshotRequest`]s with [`SnapshotResponse`]s on
//!   crossbeam channels, so the feed thread never waits on HTTP.
//!
//! Lanes: Binance REST open interest polling, Binance REST depth snapshots on request, Bybit v5
//! public linear WebSocket (liquidations; funding/mark and open interest optional), Deribit
//! options WebSocket (an [`OptionsReading`](crate::OptionsReading) every interval).
//!
//! Events are tagged with the *quoted* Binance instrument a lane is mapped to; quantities are
//! rescaled exactly to that instrument's lot ([`rescale_event`]). `receive_time` is the wall
//! clock (ns since the Unix epoch) when the frame was in hand; `exchange_time` is the message's.
//!
//! Nothing here runs on the feed thread: these tasks allocate freely.

mod bybit;
mod config;
mod deribit;
mod http;
mod queue;
mod reconnect;
mod rescale;
mod rest;
mod runner;
mod stats;
mod tls;

pub use config::{BybitLaneConfig, DeribitLaneConfig, LanesConfig, LanesConfigError};
pub use http::HttpError;
pub use queue::LaneQueue;
pub use rescale::{RescaleError, rescale_event};
pub use rest::{SnapshotRequest, SnapshotResponse};
pub use runner::{LaneError, SlowLanes};
pub use stats::{Lane, LaneStats, LaneStatsSnapshot};

/// Wall clock now, ns since the Unix epoch (the lanes' `receive_time`).
pub fn wall_clock() -> crate::Nanos {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    crate::Nanos(i64::try_from(since.as_nanos()).unwrap_or(i64::MAX))
}
