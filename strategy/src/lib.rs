//! # halcyon-strategy: what we want to quote
//!
//! From market events to the two quotes we want resting, for one instrument:
//!
//! - Signals, kept current by the [`SignalEngine`] into one `Copy` [`Signals`]:
//!   - [`signals`]: top of book, mid, imbalance-weighted microprice, last trade;
//!   - [`stoikov`]: Stoikov's micro-price `mid + g*(I, S)`, its adjustment table estimated
//!     online;
//!   - [`taker`]: trade prints regrouped into the aggressive orders that made them;
//!   - [`forced_flow`]: liquidations and toxic sweeps, and the liquidation-flow-weighted mid;
//!   - [`toxicity`]: the toxicity score `τ ∈ [0, 1]` and its six components;
//!   - [`volatility`]: fast, slow, jump-robust and implied-blended volatility;
//!   - [`arrivals`]: fill intensity `A·e^(−kδ)` fitted online;
//!   - their building blocks: [`decay`] (event-time exponential forgetting), [`window`]
//!     (causal trailing percentiles), [`scale`] (ticks and lots as money).
//! - [`fair_value`]: the [`FairValue`] role, where the quote centre sits ([`FairValueKind`]:
//!   microprice or LFWM).
//! - [`spread_policy`]: the [`SpreadPolicy`] role, how wide to quote and how far inventory
//!   moves the centre ([`PolicyInput`] in, [`SpreadTerms`] out); [`policy`]: `fixed`,
//!   `avellaneda_stoikov`, `glft`, `toxicity_aware`, and [`AnyPolicy`], the configured one.
//! - [`quote`]: [`QuoteLevel`] and [`Quotes`], what the quoter wants, and tick-grid rounding.
//! - [`quoter`]: the [`Quoter`], composing the above with the risk state's [`RiskAdjust`],
//!   the half-spread floor and cap, inventory limits and post-only safety;
//!   [`ConfiguredQuoter`] is the combination a config selects.
//! - [`explain`]: [`Decision`] and [`Explanation`], why a quote is where it is.
//! - [`config`]: [`StrategyConfig`], its defaults and its validation.
//! - [`research`]: seeded Monte Carlo reproductions of published experiments (offline only).
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

pub mod arrivals;
pub mod config;
pub mod decay;
pub mod explain;
pub mod fair_value;
pub mod forced_flow;
pub mod policy;
pub mod quote;
pub mod quoter;
pub mod research;
pub mod scale;
pub mod signals;
pub mod spread_policy;
pub mod stoikov;
pub mod taker;
pub mod toxicity;
pub mod volatility;
pub mod window;

#[cfg(test)]
mod test_random;

pub use config::{StrategyConfig, StrategyConfigError};
pub use explain::{Decision, Explanation, QuoteOutcome};
pub use fair_value::{FairValue, FairValueKind};
pub use policy::AnyPolicy;
pub use quote::{QuoteLevel, Quotes};
pub use quoter::{ConfiguredQuoter, Quoter, RiskAdjust};
pub use scale::Scale;
pub use signals::{LastTrade, SignalEngine, Signals, TopOfBook};
pub use spread_policy::{PolicyInput, PolicyKind, SpreadPolicy, SpreadTerms};
