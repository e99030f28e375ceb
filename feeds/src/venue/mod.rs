//! Exchange protocols: one folder per venue, each with the same files (`wire`, `decode`, and
//! `sequencer` where the venue's book is kept): Binance USD-M (the quoted venue), Bybit v5
//! linear and Deribit options (slow-lane signal venues).

pub mod binance;
pub mod bybit;
pub mod deribit;
