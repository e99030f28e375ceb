//! The order vocabulary: who an order is, what it is, and what we ask the venue to do with it.
//!
//! - [`ClientOrderId`]: our id for one order, sent as the venue's client order id. The session
//!   prefix and a sequence number packed in a `u64`, with a fixed text form (see its docs).
//! - [`WorkingOrder`]: one of our orders as we believe it rests, or will rest, at the venue.
//! - [`OrderAction`]: place a new order, cancel one, or replace one in place (price and size).
//! - [`ActionBuffer`]: a fixed-capacity list of actions; the [`OrderManager`] appends to it and
//!   the caller drains it, without allocating.
//!
//! [`OrderManager`]: super::OrderManager

use feeds::{InstrumentId, Lots, Side, Ticks};
use std::fmt;

/// Our id for one order: a session prefix (high 32 bits) and a sequence number (low 32 bits).
///
/// # Text form
/// The venue sees `hc` (halcyon), the prefix as 10 decimal digits, `-`, and the sequence as 10
/// decimal digits, both zero-padded: prefix 42, sequence 7 is `hc0000000042-0000000007`. The
/// form is fixed so that
/// - a restarted engine recognises its own orders ([`ClientOrderId::parse`]) and which session
///   placed them ([`ClientOrderId::prefix`]), e.g. to cancel what a crashed run left behind;
/// - every id has the same length ([`ClientOrderId::TEXT_LEN`] = 23 bytes), and text order is
///   numeric order within a prefix;
/// - it fits Binance's rule for `newClientOrderId`, `^[\.A-Z\:/a-z0-9_-]{1,36}$` (USD-M
///   Futures "New Order (TRADE)").
///
/// Binance wants a client order id unique among open orders, so a new session must not reuse a
/// prefix whose orders may still be open: derive it from the start time, for example.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientOrderId(pub u64);

impl ClientOrderId {
    /// Length of the text form in bytes.
    pub const TEXT_LEN: usize = 23;
    /// The mark every halcyon id starts with.
    pub const MARK: &'static [u8; 2] = b"hc";

    /// The id of order `sequence` of session `prefix`.
    #[inline]
    pub const fn new(prefix: u32, sequence: u32) -> ClientOrderId {
        ClientOrderId(((prefix as u64) << 32) | sequence as u64)
    }

    /// The session prefix.
    #[inline]
    pub const fn prefix(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// The sequence number within the session.
    #[inline]
    pub const fn sequence(self) -> u32 {
        self.0 as u32
    }

    /// The text form, `hc<prefix:010>-<sequence:010>`.
    pub fn to_text(self) -> [u8; Self::TEXT_LEN] {
        let mut text = [0; Self::TEXT_LEN];
        text[..2].copy_from_slice(Self::MARK);
        write_ten_digits(&mut text[2..12], self.prefix());
        text[12] = b'-';
        write_ten_digits(&mut text[13..], self.sequence());
        text
    }

    /// Reads the text form back; `None` if `text` is not exactly a halcyon client order id.
    pub fn parse(text: &[u8]) -> Option<ClientOrderId> {
        if text.len() != Self::TEXT_LEN || &text[..2] != Self::MARK || text[12] != b'-' {
            return None;
        }
        Some(ClientOrderId::new(read_ten_digits(&text[2..12])?, read_ten_digits(&text[13..])?))
    }
}

/// Writes `value` as exactly ten zero-padded decimal digits (`u32::MAX` has ten).
fn write_ten_digits(out: &mut [u8], mut value: u32) {
    for byte in out.iter_mut().rev() {
        *byte = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Reads ten decimal digits; `None` on a non-digit or a value above `u32::MAX`.
fn read_ten_digits(text: &[u8]) -> Option<u32> {
    let mut value: u64 = 0;
    for &byte in text {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + u64::from(digit);
    }
    u32::try_from(value).ok()
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.to_text();
        // The text form is ASCII by construction.
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientOrderId({self})")
    }
}

/// One of our orders: a post-only limit order on one side of one instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkingOrder {
    /// Which instrument.
    pub instrument: InstrumentId,
    /// Our id for it; the venue knows the order by this id (see [`ClientOrderId`]).
    pub client_id: ClientOrderId,
    /// The book side it rests on: `Bid` buys, `Ask` sells.
    pub side: Side,
    /// Limit price.
    pub price: Ticks,
    /// The order's total quantity as the venue knows it (Binance `quantity`, the order's
    /// `origQty`), including any part already filled. What is still open is tracked by the
    /// [`OrderManager`](super::OrderManager) ([`RestingOrder::open_qty`](super::RestingOrder::open_qty)).
    pub qty: Lots,
}

/// What we ask the venue to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderAction {
    /// Place this order (Binance `order.place`).
    New(WorkingOrder),
    /// Cancel this order (Binance `order.cancel`).
    Cancel(WorkingOrder),
    /// Amend a resting order in place to a new price and quantity (Binance `order.modify`). The
    /// order keeps its identity: `new` has the same instrument, side and client id as `old`.
    Replace {
        /// The order as it rests now.
        old: WorkingOrder,
        /// The order as it should rest after the amendment.
        new: WorkingOrder,
    },
}

impl OrderAction {
    /// The order this action concerns, as it will be once the action is done: the placed order,
    /// the cancelled order, or the amended order (`new`).
    #[inline]
    pub fn order(&self) -> &WorkingOrder {
        match self {
            OrderAction::New(order) | OrderAction::Cancel(order) => order,
            OrderAction::Replace { new, .. } => new,
        }
    }

    /// The client id of the order this action concerns.
    #[inline]
    pub fn client_id(&self) -> ClientOrderId {
        self.order().client_id
    }
}

/// [`ActionBuffer::try_push`] found no room; the action is handed back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("action buffer full ({} actions)", ActionBuffer::CAPACITY)]
pub struct ActionBufferFull(pub OrderAction);

/// A fixed-capacity list of order actions: an array and a length, so appending never allocates.
///
/// The manager only appends; the caller [`clear`](ActionBuffer::clear)s it once the actions are
/// sent (typically once per frame). [`ActionBuffer::CAPACITY`] covers one reconcile of four
/// instruments, each of which emits at most two actions (one per side).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionBuffer {
    /// Invariant: `actions[i].is_some()` exactly for `i < len`.
    actions: [Option<OrderAction>; ActionBuffer::CAPACITY],
    len: usize,
}

impl ActionBuffer {
    /// How many actions the buffer holds.
    pub const CAPACITY: usize = 8;

    /// An empty buffer.
    pub const fn new() -> ActionBuffer {
        ActionBuffer { actions: [None; ActionBuffer::CAPACITY], len: 0 }
    }

    /// Appends `action`, or hands it back if the buffer is full.
    #[inline]
    pub fn try_push(&mut self, action: OrderAction) -> Result<(), ActionBufferFull> {
        match self.actions.get_mut(self.len) {
            Some(slot) => {
                *slot = Some(action);
                self.len += 1;
                Ok(())
            }
            None => Err(ActionBufferFull(action)),
        }
    }

    /// Number of actions held.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if there are none.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Room left.
    #[inline]
    pub fn remaining(&self) -> usize {
        ActionBuffer::CAPACITY - self.len
    }

    /// The action at `index`, in the order appended.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&OrderAction> {
        self.actions[..self.len].get(index).and_then(Option::as_ref)
    }

    /// Forgets every action.
    #[inline]
    pub fn clear(&mut self) {
        self.actions = [None; ActionBuffer::CAPACITY];
        self.len = 0;
    }

    /// The actions in the order appended.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = &OrderAction> {
        self.actions[..self.len].iter().flatten()
    }
}

impl Default for ActionBuffer {
    fn default() -> ActionBuffer {
        ActionBuffer::new()
    }
}

impl<'a> IntoIterator for &'a ActionBuffer {
    type Item = &'a OrderAction;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Option<OrderAction>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.actions[..self.len].iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(sequence: u32) -> WorkingOrder {
        WorkingOrder {
            instrument: InstrumentId(0),
            client_id: ClientOrderId::new(7, sequence),
            side: Side::Bid,
            price: Ticks(618_003),
            qty: Lots(5),
        }
    }

    #[test]
    fn client_id_text_is_fixed_width_and_reads_back() {
        let id = ClientOrderId::new(42, 7);
        assert_eq!(&id.to_text(), b"hc0000000042-0000000007");
        assert_eq!(id.to_string(), "hc0000000042-0000000007");
        assert_eq!(format!("{id:?}"), "ClientOrderId(hc0000000042-0000000007)");
        assert_eq!(ClientOrderId::parse(b"hc0000000042-0000000007"), Some(id));
        // The extremes keep the width: u32::MAX has ten digits.
        let last = ClientOrderId::new(u32::MAX, u32::MAX);
        assert_eq!(&last.to_text(), b"hc4294967295-4294967295");
        assert_eq!(ClientOrderId::parse(&last.to_text()), Some(last));
        assert_eq!((last.prefix(), last.sequence()), (u32::MAX, u32::MAX));
    }

    #[test]
    fn foreign_or_malformed_ids_are_not_ours() {
        for text in [
            &b"web_kSXaLrP2VO9WsM5PC2Qv"[..], // a Binance app order
            b"hc0000000042-000000007",        // one digit short
            b"hc0000000042_0000000007",       // wrong separator
            b"HC0000000042-0000000007",       // wrong mark
            b"hc4294967296-0000000007",       // prefix above u32::MAX
            b"hc00000000a2-0000000007",       // not a digit
            b"",
        ] {
            assert_eq!(ClientOrderId::parse(text), None, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn client_id_text_matches_binance_rule() {
        // ^[\.A-Z\:/a-z0-9_-]{1,36}$
        let text = ClientOrderId::new(u32::MAX, 1).to_text();
        assert!(text.len() <= 36);
        assert!(text.iter().all(|b| b.is_ascii_alphanumeric() || b"._:/-".contains(b)));
    }

    #[test]
    fn buffer_fills_to_capacity_then_hands_back() {
        let mut buffer = ActionBuffer::new();
        for sequence in 0..ActionBuffer::CAPACITY as u32 {
            buffer.try_push(OrderAction::New(order(sequence))).unwrap();
        }
        assert_eq!((buffer.len(), buffer.remaining()), (ActionBuffer::CAPACITY, 0));
        let extra = OrderAction::Cancel(order(99));
        assert_eq!(buffer.try_push(extra), Err(ActionBufferFull(extra)));
        // Iteration is in append order, by `iter` and by `&buffer`.
        let sequences: Vec<u32> = buffer.iter().map(|a| a.client_id().sequence()).collect();
        assert_eq!(sequences, (0..ActionBuffer::CAPACITY as u32).collect::<Vec<_>>());
        assert_eq!((&buffer).into_iter().count(), ActionBuffer::CAPACITY);
        assert_eq!(buffer.get(1), Some(&OrderAction::New(order(1))));
        buffer.clear();
        assert!(buffer.is_empty());
        assert_eq!(buffer.get(0), None);
        assert_eq!(buffer.iter().count(), 0);
    }

    #[test]
    fn replace_concerns_the_new_order() {
        let old = order(3);
        let new = WorkingOrder { price: Ticks(618_004), ..old };
        let action = OrderAction::Replace { old, new };
        assert_eq!(action.order(), &new);
        assert_eq!(action.client_id(), old.client_id);
    }
}
