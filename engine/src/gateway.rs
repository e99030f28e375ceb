//! Where order messages go, and how the venue answers: the [`Gateway`] role, the
//! [`ExecutionReport`]s it hands back, and the counting gateway.
//!
//! The quoting core hands every encoded order message to a gateway. The live gateway (a later
//! issue) writes them to the venue's socket; the simulated exchange of replay and paper mode
//! ([`crate::venue`]) matches them against the recorded book. Both answer with execution
//! reports (accepted, rejected, filled) that the core polls between events. [`CountingGateway`] is the benchmark's venue: it counts the
//! messages and folds their bytes into a digest, so a run can be compared with another bit for
//! bit and the compiler cannot drop the encoding as dead code.

use crate::order::{ClientOrderId, OrderAction};
use feeds::{Event, InstrumentId, Lots, Nanos, Side, Ticks};
use rust_decimal::Decimal;

/// Takes the order messages the quoting core produces and hands back the venue's answers.
/// Called on the core thread: implementations must not block or allocate per call once warm.
pub trait Gateway: Send {
    /// One order action and its encoded message.
    fn send(&mut self, action: &OrderAction, message: &[u8]);

    /// A market event, in the ring's order, before the core handles it. A simulated venue
    /// matches our orders against these; a live one ignores them (the default).
    #[inline]
    fn on_market(&mut self, _event: &Event) {}

    /// The next answer of the venue that has reached us, if any. The core drains this before
    /// each event it handles.
    #[inline]
    fn poll_report(&mut self) -> Option<ExecutionReport> {
        None
    }
}

/// Whether a fill added liquidity (our order rested) or took it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Liquidity {
    /// Our resting order was hit.
    Maker,
    /// Our order crossed and took resting liquidity.
    Taker,
}

/// One execution of one of our orders, as the venue reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    /// Exchange time of the execution.
    pub time: Nanos,
    /// Which instrument.
    pub instrument: InstrumentId,
    /// Which order.
    pub client_id: ClientOrderId,
    /// Our order's side: `Bid` bought.
    pub side: Side,
    /// Execution price.
    pub price: Ticks,
    /// Quantity executed now.
    pub qty: Lots,
    /// Quantity of the order still open after this execution (zero: fully filled).
    pub leaves: Lots,
    /// Maker or taker.
    pub liquidity: Liquidity,
    /// Fee charged for this execution, in quote currency; negative is a rebate.
    pub fee: Decimal,
}

/// Why the venue refused an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// A post-only (GTX) order or amendment would have crossed the book and taken liquidity.
    WouldCross,
    /// No live order has this client id (already filled or cancelled).
    UnknownOrder,
    /// A new order reused the client id of a live order.
    DuplicateId,
    /// The price or quantity is not positive.
    InvalidOrder,
}

/// An answer of the venue to one of our actions, or an execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecutionReport {
    /// The venue did what `action` asked (placed, amended, cancelled).
    Accepted {
        /// Exchange time at which the venue acted.
        time: Nanos,
        /// The action.
        action: OrderAction,
    },
    /// The venue refused `action`.
    Rejected {
        /// Exchange time at which the venue refused it.
        time: Nanos,
        /// The action.
        action: OrderAction,
        /// Why.
        reason: RejectReason,
    },
    /// One of our orders traded.
    Filled(Fill),
}

/// Counts messages and digests their bytes (FNV-1a, 64-bit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountingGateway {
    /// Messages sent.
    pub messages: u64,
    /// Bytes sent.
    pub bytes: u64,
    /// FNV-1a of every byte sent, in order.
    pub digest: u64,
}

/// FNV-1a's 64-bit offset basis: the state of a digest of nothing.
pub(crate) const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl CountingGateway {
    /// Nothing sent yet.
    pub fn new() -> CountingGateway {
        CountingGateway { messages: 0, bytes: 0, digest: FNV_OFFSET }
    }
}

impl Default for CountingGateway {
    fn default() -> CountingGateway {
        CountingGateway::new()
    }
}

impl Gateway for CountingGateway {
    #[inline]
    fn send(&mut self, _action: &OrderAction, message: &[u8]) {
        self.messages += 1;
        self.bytes += message.len() as u64;
        self.digest = fnv1a(self.digest, message);
    }
}

/// Folds `bytes` into an FNV-1a state.
#[inline]
pub(crate) fn fnv1a(mut state: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        state ^= u64::from(byte);
        state = state.wrapping_mul(FNV_PRIME);
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_vectors() {
        // FNV-1a 64-bit test vectors (Fowler/Noll/Vo reference: "" and "a").
        assert_eq!(fnv1a(FNV_OFFSET, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
