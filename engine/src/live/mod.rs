//! Live market data and paper trading: the exchange's streams through the same feed thread,
//! ring, quoting core and risk gate as a replay.
//!
//! - [`config`]: the `[live]` table (endpoints, streams, reconnects, stop conditions).
//! - `source`: the live feed thread ([`FeedSource`](crate::pipeline::FeedSource)): the
//!   WebSocket, the book sync procedure with REST snapshots, slow-lane events, heartbeats.
//! - `observer`: operator commands and metrics on the core's thread.
//! - `paper`: `halcyon run` in paper mode, wiring it all together.

pub mod config;
pub mod observer;
pub mod paper;
pub mod source;
