//! # halcyon-strategy: what we want to quote
//!
//! From market events to the two quotes we want resting, for one instrument:
//!
//! - [`signals`]: [`Signals`], what the market looks like (top of book, mid, microprice, last
//!   trade, event time), kept current by the [`SignalEngine`].
//! - [`fair_value`]: the [`FairValue`] role, where the quote centre sits;
//!   [`MicropriceFairValue`].
//! - [`spread_policy`]: the [`SpreadPolicy`] role, how wide to quote ([`PolicyInput`] in,
//!   [`HalfSpreads`] out); [`FixedSpread`].
//! - [`quote`]: [`QuoteLevel`] and [`Quotes`], what the quoter wants, and tick-grid rounding.
//! - [`quoter`]: the [`Quoter`], composing the above with inventory skew, inventory limits and
//!   post-only safety; [`DefaultQuoter`] is the engine's first combination.
//! - [`config`]: [`StrategyConfig`], its defaults and its validation.
//!
//! ## Lifecycle
//! Validate a [`StrategyConfig`] when the config is read and build a [`Quoter`] once (the only
//! place this crate may allocate). Then, per event of the instrument: apply it to the
//! [`OrderBook`](feeds::OrderBook), pass it to [`Quoter::on_event`], and at a completed book
//! update ask [`Quoter::quote`] and hand the result to the risk gate.
//!
//! ## Guarantees
//! - No I/O, no threads, no locks, and no clock: time is the exchange time carried by events.
//! - No allocation per event or per quote: everything is allocated at construction.
//! - Deterministic: the same events and config give bit-identical quotes.
//! - Prices and sizes are integer [`Ticks`](feeds::Ticks) and [`Lots`](feeds::Lots); `f64` only
//!   for signal maths, turned back into ticks by rounding away from the fair value.
//! - Bad input never panics: an untrusted book, an empty side or an unknown fair value gives
//!   [`Quotes::NONE`]. Only an invalid config passed to a constructor does (a construction bug).

pub mod config;
pub mod fair_value;
pub mod quote;
pub mod quoter;
pub mod signals;
pub mod spread_policy;

pub use config::{StrategyConfig, StrategyConfigError};
pub use fair_value::{FairValue, MicropriceFairValue};
pub use quote::{QuoteLevel, Quotes};
pub use quoter::{DefaultQuoter, Quoter};
pub use signals::{LastTrade, SignalEngine, Signals, TopOfBook};
pub use spread_policy::{FixedSpread, HalfSpreads, PolicyInput, SpreadPolicy};
