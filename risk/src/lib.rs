//! # halcyon-risk: whether we may
//!
//! Every order the strategy wants goes through here before it reaches a venue:
//!
//! - [`intent`]: [`OrderIntent`], what the strategy asks for, and [`Approved<T>`], the proof that
//!   the gate let it through. Only this crate builds an `Approved`, so code that sends orders
//!   takes `Approved<OrderIntent>` and cannot be handed an unchecked one.
//! - [`gate`]: the [`RiskGate`]: feed health and book staleness from events, pre-trade checks
//!   ([`RiskGate::check`] → [`Verdict`]) against a [`MarketContext`], and the kill switch.
//! - [`limits`]: [`RiskLimits`], the gate's config, its defaults and its validation.
//! - [`reason`]: [`Reason`], why an intent was refused (or the switch thrown), with stable
//!   names for reports.
//!
//! ## Lifecycle
//! Validate [`RiskLimits`] when the config is read; build one [`RiskGate`] per instrument (it owns
//! no buffers). Per event of the instrument,
//! call [`RiskGate::on_event`]; per order intent, call [`RiskGate::check`] and send only what
//! comes back approved. [`RiskGate::kill`] latches the kill switch until [`RiskGate::reset`].
//!
//! ## Guarantees
//! - No I/O, no threads, no locks, and no clock: time is the exchange time carried by events
//!   and by the [`MarketContext`].
//! - No allocation after construction; counters are fixed arrays.
//! - Deterministic: the same events, intents and contexts give the same verdicts.
//! - A refusal is a [`Verdict::Reject`] with a [`Reason`], never an error or a panic. Only
//!   invalid limits passed to [`RiskGate::new`] panic (a construction bug).
//! - Depends only on `feeds`: the gate judges intents, whoever made them.

pub mod gate;
pub mod intent;
pub mod limits;
pub mod reason;

pub use gate::{MarketContext, RiskGate, Verdict};
pub use intent::{Approved, OrderIntent};
pub use limits::{RiskLimits, RiskLimitsError};
pub use reason::Reason;
