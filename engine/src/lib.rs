//! # halcyon-engine: making it happen, fast
//!
//! - [`ring`]: the disruptor-style ring the feed thread publishes events into; one producer,
//!   consumers with their own cursors and optional dependencies, busy-spin / spin-then-yield /
//!   blocking waits. The only module with `unsafe`.
//! - [`clock`]: the cheap monotonic clock (TSC through `quanta`) the latency stamps use.
//! - [`latency`]: per-stage and end-to-end histograms, recorded without allocation.
//! - [`gateway`]: where order messages go and the venue's execution reports; the counting
//!   gateway of the benchmark.
//! - [`account`]: position, cash and fees per instrument, exact (`rust_decimal`).
//! - [`local_venue`]: a recording served on loopback with Binance USD-M's protocol (`halcyon venue`),
//!   with faults; the test venue of the live feed.
//! - [`venue`]: the simulated exchange of replay and paper mode: queue position, latency,
//!   fees.
//! - [`replay`]: `halcyon replay` and sweeps: the engine on a recording, with a summary.
//! - [`report`]: CSV time series and the HTML report with plots.
//! - [`stress`]: synthetic liquidation cascades overlaid on real recordings.
//! - [`synth`]: a synthetic market tape (`halcyon simulate market`).
//! - [`order`]: order actions (new, cancel, replace) diffed against resting orders, and their
//!   encoding as signed Binance order messages.
//! - [`pipeline`]: the threads (feed, quoting core, recorder, telemetry), pinning, shutdown.
//! - [`sys`]: operating-system specifics (core pinning) with a no-op fallback.
//! - [`bench`](mod@bench): the typical-bot baseline pipeline the tick-to-quote benchmark compares with.
//! - [`metrics`]: Prometheus metrics: the registry and the hot threads' atomic handles.
//! - [`control`]: the control API (status, kill, reset, pause, resume) and its HTTP server.
//! - [`cli`]: the command line.
//!
//! ## Guarantees
//! - Bad arguments or configuration give an error that names what was wrong, never a panic.
//! - After warm-up the feed thread and the quoting core neither allocate, lock, nor make
//!   system calls per event (checked by a counting allocator in `tests/no_alloc.rs`).

pub mod account;
pub mod bench;
pub mod cli;
pub mod clock;
pub mod control;
pub mod gateway;
pub mod latency;
pub mod live;
pub mod local_venue;
pub mod metrics;
pub mod order;
pub mod pipeline;
pub mod replay;
pub mod report;
pub mod ring;
pub mod stress;
pub mod synth;
pub mod sys;
pub mod venue;
