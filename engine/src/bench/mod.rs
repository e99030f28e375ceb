//! Benchmark pipelines that are not the engine itself.
//!
//! - [`baseline`]: the typical-bot pipeline `halcyon bench tick-to-quote --baseline` compares
//!   against (serde_json typed parse, crossbeam bounded channel, the same quoting core).

pub mod baseline;
