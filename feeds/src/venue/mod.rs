//! Exchange protocols: one folder per venue, each with the same files (`wire`, `decode`,
//! `sequencer`).

pub mod binance;
