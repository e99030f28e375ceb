//! The quoting core's metric handles for one instrument.

use super::{Counter, FloatGauge, IntGauge};
use risk::cascade::CascadeState;

/// What an order action did (the `action` label of `halcyon_orders_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderAction {
    /// A new order.
    New,
    /// An amend (replace) of a resting order.
    Amend,
    /// A cancel.
    Cancel,
}

impl OrderAction {
    /// Every action; `ALL[a as usize] == a`.
    pub const ALL: [OrderAction; 3] = [OrderAction::New, OrderAction::Amend, OrderAction::Cancel];

    /// The label value.
    pub const fn name(self) -> &'static str {
        match self {
            OrderAction::New => "new",
            OrderAction::Amend => "amend",
            OrderAction::Cancel => "cancel",
        }
    }
}

/// One instrument's handles in the quoting core (clones of the registry's atomics, made by
/// [`Metrics::instrument`](super::Metrics::instrument)). Every method is one to five relaxed
/// atomic stores.
#[derive(Clone, Debug)]
pub struct InstrumentMetrics {
    pub(super) quote_decisions: Counter,
    /// Indexed by `OrderAction as usize`.
    pub(super) orders: [Counter; 3],
    pub(super) fills: Counter,
    pub(super) rejects: Counter,
    pub(super) position_lots: IntGauge,
    pub(super) position_base: FloatGauge,
    pub(super) pnl_quote: FloatGauge,
    pub(super) fees_quote: FloatGauge,
    pub(super) risk_state: IntGauge,
    /// Indexed by `CascadeState::index()`: 1 for the current state, 0 for the others.
    pub(super) risk_condition: [IntGauge; CascadeState::COUNT],
    pub(super) cascade_score: FloatGauge,
    pub(super) toxicity: FloatGauge,
    pub(super) volatility_fast_bps: FloatGauge,
    pub(super) half_spread_bps: FloatGauge,
    pub(super) book_trusted: IntGauge,
    pub(super) quoting: IntGauge,
    pub(super) killed: IntGauge,
    pub(super) paused: IntGauge,
}

impl InstrumentMetrics {
    /// The core decided quotes (once per decision, whether or not orders changed).
    #[inline]
    pub fn inc_quote_decisions(&self) {
        self.quote_decisions.inc();
    }

    /// One order action sent.
    #[inline]
    pub fn inc_orders(&self, action: OrderAction) {
        self.orders[action as usize].inc();
    }

    /// Several decisions, orders (new, amend, cancel) and rejects at once: a publisher that
    /// reads the core's counters now and then adds what changed since its last read.
    #[inline]
    pub fn add_counts(&self, decisions: u64, orders: [u64; 3], rejects: u64) {
        self.quote_decisions.inc_by(decisions);
        for (counter, count) in self.orders.iter().zip(orders) {
            counter.inc_by(count);
        }
        self.rejects.inc_by(rejects);
    }

    /// Fills since the last call.
    #[inline]
    pub fn add_fills(&self, fills: u64) {
        self.fills.inc_by(fills);
    }

    /// One fill (partial or full).
    #[inline]
    pub fn inc_fills(&self) {
        self.fills.inc();
    }

    /// One order rejected (by the venue or the risk gate).
    #[inline]
    pub fn inc_rejects(&self) {
        self.rejects.inc();
    }

    /// The position, in the instrument's lots and in base units (lots × lot size).
    #[inline]
    pub fn set_position(&self, lots: i64, base_units: f64) {
        self.position_lots.set(lots);
        self.position_base.set(base_units);
    }

    /// Profit and loss in quote currency (realised + marked), and fees paid so far.
    #[inline]
    pub fn set_pnl(&self, pnl_quote: f64, fees_quote: f64) {
        self.pnl_quote.set(pnl_quote);
        self.fees_quote.set(fees_quote);
    }

    /// The risk gate's state and the cascade detector's score.
    #[inline]
    pub fn set_risk(&self, state: CascadeState, score: f64) {
        self.risk_state.set(state.index() as i64);
        for (index, gauge) in self.risk_condition.iter().enumerate() {
            gauge.set(i64::from(index == state.index()));
        }
        self.cascade_score.set(score);
    }

    /// The signals behind the quotes: toxicity (unitless), fast volatility and the quoted
    /// half-spread (both in basis points).
    #[inline]
    pub fn set_signals(&self, toxicity: f64, volatility_fast_bps: f64, half_spread_bps: f64) {
        self.toxicity.set(toxicity);
        self.volatility_fast_bps.set(volatility_fast_bps);
        self.half_spread_bps.set(half_spread_bps);
    }

    /// Whether the book is trusted (in sync) and whether we are quoting.
    #[inline]
    pub fn set_flags(&self, book_trusted: bool, quoting: bool) {
        self.book_trusted.set(i64::from(book_trusted));
        self.quoting.set(i64::from(quoting));
    }

    /// Whether the kill switch is latched and whether quoting is paused by the operator.
    #[inline]
    pub fn set_control(&self, killed: bool, paused: bool) {
        self.killed.set(i64::from(killed));
        self.paused.set(i64::from(paused));
    }
}
