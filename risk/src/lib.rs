//! # halcyon-risk: whether we may
//!
//! Pre-trade limits, the order-rate budget, the stale-data guard, the kill switch and the
//! cascade-loop detector land here. Pure and deterministic like `strategy`: inputs are events
//! and the engine's own state, outputs are decisions with reasons.
