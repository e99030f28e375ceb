//! # halcyon-strategy: what we want to quote
//!
//! Signals (microprice, liquidation-flow-weighted mid, toxicity, volatility), spread policies
//! and quote construction land here. Pure and deterministic: no I/O, no clocks, no threads;
//! time comes from the events it is given.
