//! What the strategy asks to do, and the proof that risk let it.
//!
//! - [`OrderIntent`]: one order the strategy wants placed: instrument, side, price, size.
//! - [`Approved<T>`]: a `T` that went through [`RiskGate::check`](crate::RiskGate::check) and
//!   passed. Only this crate can build one, so an API that takes an `Approved<OrderIntent>`
//!   (the order gateway's `send`) cannot be handed an unchecked order:
//!
//! ```compile_fail,E0423
//! # use feeds::{InstrumentId, Lots, Side, Ticks};
//! # use risk::{Approved, OrderIntent};
//! let intent = OrderIntent { instrument: InstrumentId(0), side: Side::Bid, price: Ticks(1), qty: Lots(1) };
//! let forged = Approved(intent); // error: the field is private
//! ```

use feeds::{InstrumentId, Lots, Side, Ticks};

/// One order the strategy wants placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OrderIntent {
    /// Which instrument.
    pub instrument: InstrumentId,
    /// `Bid` to buy, `Ask` to sell.
    pub side: Side,
    /// Limit price on the instrument's tick grid.
    pub price: Ticks,
    /// Size in lots.
    pub qty: Lots,
}

/// Proof that the risk gate approved `T`; only this crate can build one (private field, no
/// public constructor).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Approved<T>(T);

impl<T> Approved<T> {
    /// Wraps `value`: only the gate may, after its checks pass.
    #[inline]
    pub(crate) fn new(value: T) -> Approved<T> {
        Approved(value)
    }

    /// The approved value.
    #[inline]
    pub fn get(&self) -> &T {
        &self.0
    }

    /// The approved value, giving up the proof.
    #[inline]
    pub fn into_inner(self) -> T {
        self.0
    }
}
