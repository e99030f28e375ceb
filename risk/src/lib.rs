//! # halcyon-risk: whether we may
//!
//! Every order the strategy wants goes through here before it reaches a venue:
//!
//! - [`intent`]: [`OrderIntent`], what the strategy asks for, and [`Approved<T>`], the proof that
//!   the gate let it through. Only this crate builds an `Approved`, so code that sends orders
//!   takes `Approved<OrderIntent>` and cannot be handed an unchecked one.
//! - [`gate`]: the [`RiskGate`]: pre-trade checks ([`RiskGate::check`] → [`Verdict`]) against a
//!   [`MarketContext`] (size, open orders, position in lots and in notional, price band); the
//!   stale-data guard (feed gap, book age, exchange-to-local lag, missed heartbeat); and the kill
//!   switch (manual, session loss or drawdown, data stale for too long), each kill a
//!   [`KillEvent`].
//! - [`budget`]: the [`OrderRateBudget`], the venue's order-rate limits as exact sliding windows,
//!   with room always kept for cancels.
//! - [`cascade`]: the cascade-loop detector: its signals (liquidations, open interest, funding,
//!   basis, depth, spread, volatility, toxicity, options priming) as stresses in `[0, 1]`, the
//!   state machine NORMAL → WARNING → CASCADE → COOLDOWN with hysteresis, dwell times and hard
//!   triggers, and its config; every state change a [`Transition`](cascade::Transition).
//! - [`limits`]: [`RiskLimits`], the gate's and the budget's config, defaults and validation.
//! - [`reason`]: [`Reason`], why an intent was refused (or the switch thrown), with stable
//!   names for reports.
//!
//! ## Lifecycle
//! Validate [`RiskLimits`] when the config is read; build one [`RiskGate`] per instrument
//! ([`RiskGate::for_instrument`]; it owns no buffers) and one [`OrderRateBudget`] per account
//! (its ring is allocated there). Per event of the instrument, call [`RiskGate::on_event`]; from
//! a timer, [`RiskGate::on_time`] (a silent feed sends no events); as they change,
//! [`RiskGate::on_pnl`] and [`RiskGate::on_open_orders`]. Per order intent, call
//! [`RiskGate::check`] and keep only what comes back approved; per order action, ask
//! [`OrderRateBudget::try_acquire`] before sending. [`RiskGate::kill`] (or an automatic trigger)
//! latches the kill switch until [`RiskGate::reset`]; while it is latched, cancel everything and,
//! if [`RiskGate::should_flatten`], work the position down with [`RiskGate::check_exit`]. Step
//! the cascade detector with the signals' inputs on a fixed event-time cadence (and at once on a
//! liquidation, open interest, mark price or feed status); its
//! [`adjust`](cascade::detector::CascadeDetector::adjust) says how wide and how big to quote, or
//! not at all.
//!
//! ## Guarantees
//! - No I/O, no threads, no locks, and no clock read: time is what events carry (exchange and
//!   receive times) and what the caller passes ([`MarketContext::now`], [`RiskGate::on_time`],
//!   [`OrderRateBudget::try_acquire`]).
//! - No allocation after construction; counters are fixed arrays.
//! - Deterministic: the same events, intents, contexts and times give the same verdicts.
//! - A refusal is a [`Verdict::Reject`] with a [`Reason`] (or `false` from the budget), never an
//!   error or a panic. Only invalid limits passed to [`RiskGate::new`] or
//!   [`OrderRateBudget::new`] panic (a construction bug).
//! - Depends only on `feeds`: the gate judges intents, whoever made them.

pub mod budget;
pub mod cascade;
pub mod gate;
pub mod intent;
pub mod limits;
pub mod reason;

pub use budget::{ActionKind, OrderRateBudget, OrderRateLimits, RateWindow};
pub use gate::{KillEvent, LotValue, MarketContext, RiskGate, Verdict};
pub use intent::{Approved, OrderIntent};
pub use limits::{RiskLimits, RiskLimitsError};
pub use reason::Reason;
