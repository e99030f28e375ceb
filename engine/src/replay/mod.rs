//! `halcyon replay` and sweeps: the engine on a recording against the simulated exchange.
//!
//! - [`source`]: a recording's frames decoded into the events the ring would carry.
//! - [`tap`]: the gateway wrapper that digests every order and fill and keeps the fills.
//! - [`sampler`]: the observer on the core's thread that samples the quoting state.
//! - [`series`]: the time series a run records (samples, fills, regimes).
//! - [`summary`]: PnL, drawdown, inventory, markouts, uptime, time per risk state,
//!   percentiles.
//! - [`run`]: loading a market (with an optional stress overlay) and running one config.
//! - [`sweep`]: grids of configs over datasets, shards and merging, ranking.

pub mod run;
pub mod sampler;
pub mod series;
pub mod source;
pub mod summary;
pub mod sweep;
pub mod tap;
