//! The simulated exchange of replay and paper mode: queue position, latency, fees.
//!
//! - [`SimulatedExchange`]: the matching engine behind the [`Gateway`](crate::gateway::Gateway)
//!   role. The quoting core hands it every market event (`on_market`) and every order action
//!   (`send`), and polls its execution reports. Its module docs ([`exchange`]) say how time,
//!   matching and post-only work.
//! - [`VenueConfig`]: its settings, the engine TOML's venue table ([`config`]).
//! - [`queue`]: where our order stands at its price, and the `risk_averse` and `probabilistic`
//!   models of how it moves up.
//! - [`latency`]: the feed latency of each event, and the entry and response legs' draws.
//! - [`fees`]: maker and taker fees on the exact notional.
//! - [`VenueStats`]: what the venue did, for the replay summary.
//!
//! ## Guarantees
//! - Deterministic: the same config (seed included), instruments, events and actions give the
//!   same reports, bit for bit. No clock is read; time is the events'.
//! - Never panics on market input: an unknown instrument, an invalid level, a crossed book, a
//!   print of zero size are counted in [`VenueStats`] and otherwise ignored.
//! - No allocation per event or action once warm, within the preallocated room
//!   ([`exchange::ORDERS_RESERVED`] live orders, [`exchange::REQUESTS_RESERVED`] actions in
//!   flight, [`exchange::REPORTS_RESERVED`] undelivered reports); no locks, no I/O.
//!
//! ## What it leaves out
//! Our own executions are not replayed into the book (no market impact); hidden and iceberg
//! liquidity are invisible; funding is not charged.

pub mod config;
pub mod exchange;
pub mod fees;
pub mod latency;
pub mod queue;
pub mod stats;

pub use config::{
    FeedLatency, LatencyModel, QueueConfig, QueueModelKind, QueueShape, VenueConfig, VenueError,
};
pub use exchange::{OpenOrder, SimulatedExchange};
pub use stats::{RejectCounts, VenueStats};
