//! [`VenueStats`]: what the simulated exchange did in a run, for the replay summary.

use crate::gateway::RejectReason;
use rust_decimal::Decimal;
use serde::Serialize;

/// Counters of one simulated exchange. Every field only grows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VenueStats {
    /// Actions the core sent (counted when sent; the rest are counted when they arrive).
    pub sent: u64,
    /// New orders that reached the matching engine.
    pub orders: u64,
    /// Cancels that reached it.
    pub cancels: u64,
    /// Amendments (replaces) that reached it.
    pub replaces: u64,
    /// Actions it carried out.
    pub accepted: u64,
    /// Actions it refused, by reason.
    pub rejects: RejectCounts,
    /// Executions of our orders.
    pub fills: u64,
    /// Executions of a resting order.
    pub maker_fills: u64,
    /// Executions of a crossing order (only with `post_only = false`).
    pub taker_fills: u64,
    /// Lots executed as maker.
    pub maker_lots: i64,
    /// Lots executed as taker.
    pub taker_lots: i64,
    /// Maker executions caused by the book crossing our price rather than by a print.
    pub cross_fills: u64,
    /// Fees charged, quote currency (negative: net rebates). Exact.
    pub fees: Decimal,
    /// Market events ignored as odd: an unknown instrument, a print of zero or negative size
    /// or price.
    pub ignored_events: u64,
    /// Book events the venue's own book refused or that broke its trust (an invalid level, a
    /// crossed update).
    pub book_errors: u64,
    /// Complete book updates seen while the book was not trusted (no queue or cross update).
    pub untrusted_updates: u64,
}

/// Refusals by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RejectCounts {
    /// A post-only order or amendment would have crossed.
    pub would_cross: u64,
    /// No live order had the id.
    pub unknown_order: u64,
    /// A new order reused a live id.
    pub duplicate_id: u64,
    /// Non-positive price or quantity, an unknown instrument, or an amendment changing the
    /// order's side or instrument or cutting it below what is filled.
    pub invalid_order: u64,
}

impl RejectCounts {
    /// Counts one refusal.
    #[inline]
    pub fn count(&mut self, reason: RejectReason) {
        match reason {
            RejectReason::WouldCross => self.would_cross += 1,
            RejectReason::UnknownOrder => self.unknown_order += 1,
            RejectReason::DuplicateId => self.duplicate_id += 1,
            RejectReason::InvalidOrder => self.invalid_order += 1,
        }
    }

    /// All refusals.
    #[inline]
    pub fn total(&self) -> u64 {
        self.would_cross + self.unknown_order + self.duplicate_id + self.invalid_order
    }
}
