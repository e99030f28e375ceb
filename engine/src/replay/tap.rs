//! [`TappedVenue`]: a gateway wrapped so a replay sees what crossed it. Every order message is
//! counted and digested, every fill recorded and digested, before being passed on unchanged.
//!
//! The digest is what makes a replay's determinism checkable: FNV-1a over every order message
//! byte (each carries its event-time timestamp and request id) and every fill's time, order
//! id, side, price, quantity and fee, in the order they happened. Two runs of the same
//! recording and configuration must print the same digest, whatever the threads did.

use crate::gateway::{ExecutionReport, FNV_OFFSET, Fill, Gateway, fnv1a};
use crate::order::OrderAction;
use feeds::Event;

/// A gateway that records what crosses it.
pub struct TappedVenue<Venue> {
    inner: Venue,
    messages: u64,
    bytes: u64,
    digest: u64,
    fills: Vec<Fill>,
}

/// Fills reserved for before the first one arrives; a longer run grows the list (a replay's
/// bookkeeping, not a live path).
const FILLS_RESERVED: usize = 16_384;

impl<Venue: Gateway> TappedVenue<Venue> {
    /// Wraps `inner`.
    pub fn new(inner: Venue) -> TappedVenue<Venue> {
        TappedVenue {
            inner,
            messages: 0,
            bytes: 0,
            digest: FNV_OFFSET,
            fills: Vec::with_capacity(FILLS_RESERVED),
        }
    }

    /// Order messages sent.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// Order message bytes sent.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The digest of every order message and fill so far.
    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// Fills so far, in order.
    pub fn fills(&self) -> &[Fill] {
        &self.fills
    }

    /// The wrapped venue.
    pub fn inner(&self) -> &Venue {
        &self.inner
    }

    /// Unwraps: the venue and the fills.
    pub fn into_parts(self) -> (Venue, Vec<Fill>) {
        (self.inner, self.fills)
    }
}

impl<Venue: Gateway> Gateway for TappedVenue<Venue> {
    #[inline]
    fn send(&mut self, action: &OrderAction, message: &[u8]) {
        self.messages += 1;
        self.bytes += message.len() as u64;
        self.digest = fnv1a(self.digest, message);
        self.inner.send(action, message);
    }

    #[inline]
    fn on_market(&mut self, event: &Event) {
        self.inner.on_market(event);
    }

    #[inline]
    fn poll_report(&mut self) -> Option<ExecutionReport> {
        let report = self.inner.poll_report()?;
        if let ExecutionReport::Filled(fill) = &report {
            self.digest = fnv1a(self.digest, &fill_bytes(fill));
            self.fills.push(*fill);
        }
        Some(report)
    }
}

/// A fill's identity as bytes, for the digest.
fn fill_bytes(fill: &Fill) -> [u8; 57] {
    let mut bytes = [0_u8; 57];
    bytes[0..8].copy_from_slice(&fill.time.0.to_le_bytes());
    bytes[8..16].copy_from_slice(&fill.client_id.0.to_le_bytes());
    bytes[16] = fill.side as u8;
    bytes[17..25].copy_from_slice(&fill.price.0.to_le_bytes());
    bytes[25..33].copy_from_slice(&fill.qty.0.to_le_bytes());
    bytes[33..41].copy_from_slice(&fill.leaves.0.to_le_bytes());
    bytes[41..57].copy_from_slice(&fill.fee.serialize());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::{CountingGateway, Liquidity};
    use crate::order::ClientOrderId;
    use feeds::{InstrumentId, Lots, Nanos, Side, Ticks};
    use rust_decimal::Decimal;

    #[test]
    fn a_different_fee_changes_the_digest() {
        let fill = |fee| Fill {
            time: Nanos(1),
            instrument: InstrumentId(0),
            client_id: ClientOrderId(7),
            side: Side::Bid,
            price: Ticks(617_000),
            qty: Lots(1),
            leaves: Lots(0),
            liquidity: Liquidity::Maker,
            fee,
        };
        assert_ne!(fill_bytes(&fill(Decimal::new(1, 2))), fill_bytes(&fill(Decimal::new(2, 2))));
        let venue = TappedVenue::new(CountingGateway::new());
        assert_eq!(venue.digest(), FNV_OFFSET);
    }
}
