//! # halcyon-engine: making it happen, fast
//!
//! - [`ring`]: the disruptor-style ring the feed thread publishes events into; one producer,
//!   consumers with their own cursors and optional dependencies, busy-spin / spin-then-yield /
//!   blocking waits. The only module with `unsafe`.
//! - [`clock`]: the cheap monotonic clock (TSC through `quanta`) the latency stamps use.
//! - [`latency`]: per-stage and end-to-end histograms, recorded without allocation.
//! - [`order`]: order actions (new, cancel, replace) diffed against resting orders, and their
//!   encoding as signed Binance order messages.
//! - [`pipeline`]: the threads (feed, quoting core, recorder, telemetry), pinning, shutdown.
//! - [`sys`]: operating-system specifics (core pinning) with a no-op fallback.
//! - [`cli`]: the command line.
//!
//! ## Guarantees
//! - Bad arguments or configuration give an error that names what was wrong, never a panic.
//! - After warm-up the feed thread and the quoting core neither allocate, lock, nor make
//!   system calls per event (checked by a counting allocator in `tests/no_alloc.rs`).

pub mod cli;
pub mod clock;
pub mod latency;
pub mod order;
pub mod pipeline;
pub mod ring;
pub mod sys;
