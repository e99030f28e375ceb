//! Prometheus metrics: one registry for the process and cheap handles for the hot threads.
//!
//! - [`Metrics`] owns the registry. It is built once at start from the quoted instruments'
//!   symbols, creates every labelled child then, and encodes the OpenMetrics text the control
//!   server's `GET /metrics` returns ([`Metrics::encode`]). Share it behind an `Arc`.
//! - [`FeedMetrics`] is what the feed thread holds: frames, events, decode errors, gaps,
//!   resyncs, connection events and the feed lag per instrument.
//! - [`InstrumentMetrics`] is what the quoting core holds per instrument: quote decisions,
//!   orders by action, fills, position, PnL, the risk state and the signals behind the quotes.
//! - [`LaneMetrics`] counts a slow lane's events and drops.
//!
//! Handles are clones of the registry's atomics, taken once at start: every update is one
//! relaxed atomic operation — no map lookup, lock or allocation per event. Reading (encoding)
//! takes the registry's locks on the slow path only.
//!
//! Names are `halcyon_*` with the unit in the name (`_ms`, `_ns`, `_bps`, `_lots`, `_seconds`);
//! counters get the `_total` suffix from the encoder. [`NAMES`] lists every
//! metric family.

mod feed;
mod instrument;
mod registry;

pub use feed::{FeedMetrics, LaneMetrics};
pub use instrument::{InstrumentMetrics, OrderAction};
pub use registry::{LANES, Metrics, NAMES, QUANTILES};

/// A monotonic counter (u64 on an `AtomicU64`).
pub type Counter = prometheus_client::metrics::counter::Counter;
/// An integer gauge (i64 on an `AtomicI64`).
pub type IntGauge = prometheus_client::metrics::gauge::Gauge;
/// A floating-point gauge (f64 stored in an `AtomicU64`).
pub type FloatGauge = prometheus_client::metrics::gauge::Gauge<f64, std::sync::atomic::AtomicU64>;
