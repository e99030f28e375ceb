//! The fast path: a strict, schema-specific scanner for the hot kinds.
//!
//! `depthUpdate`, `bookTicker` and `trade` are most of the traffic. For them a generic JSON
//! parser spends its time on work the schema makes unnecessary (building a tape of every node,
//! then looking keys up in it). [`scan`] reads the bytes once, in the order Binance writes them,
//! and parses numbers straight into ticks and lots.
//!
//! It is an accelerator, never an authority: it accepts only frames it can read with certainty —
//! exactly the documented keys, each once, `"e"` first and the symbol before any price, plain
//! ASCII strings with no escapes, integers with no sign, fraction or exponent, nothing after the
//! closing brace but whitespace — and returns `None` for anything else, including every error.
//! The caller then decodes the frame with the validating [`tape`](super::tape) decoder, which
//! gives the canonical result or error. Hence the contract, checked on every real frame and
//! under fuzzing: whenever `scan` returns a message, the tape decoder returns the same one.

use super::decode::{Field, Levels};
use super::symbols::Symbols;
use super::tape::{aggressor, millis_to_nanos, non_negative_qty, order_type_is_forced, positive_price};
use super::wire::{DepthUpdate, Message, MessageKind, PriceLevel};
use crate::event::{Bbo, Event, EventKind, Trade};
use crate::fixed::Step;
use crate::units::{InstrumentId, Lots, Nanos, Seq, Ticks};

/// A cursor over the frame's bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    #[inline]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next non-whitespace byte, consumed.
    #[inline]
    fn next(&mut self) -> Option<u8> {
        self.skip_whitespace();
        let byte = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(byte)
    }

    #[inline]
    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.next()? == byte).then_some(())
    }

    /// A string with no escapes and only printable ASCII; returns its contents.
    #[inline]
    fn string(&mut self) -> Option<&'a [u8]> {
        self.expect(b'"')?;
        let start = self.pos;
        loop {
            let byte = *self.bytes.get(self.pos)?;
            self.pos += 1;
            match byte {
                b'"' => return Some(&self.bytes[start..self.pos - 1]),
                b'\\' | 0..=0x1f | 0x80..=0xff => return None,
                _ => {}
            }
        }
    }

    /// A JSON integer with no sign, fraction or exponent, that fits `u64`.
    #[inline]
    fn unsigned(&mut self) -> Option<u64> {
        self.skip_whitespace();
        let start = self.pos;
        let mut value: u64 = 0;
        // Millisecond times and update ids have 13 digits: take the first eight at once.
        if let Some(eight) = self.bytes.get(self.pos..self.pos + 8).and_then(eight_digits) {
            value = eight;
            self.pos += 8;
        }
        while let Some(&byte) = self.bytes.get(self.pos) {
            let digit = byte.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            // NB: wrapping, bounded by the digit count below; see `Step::parse_prefix`.
            value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
            self.pos += 1;
        }
        let digits = self.pos - start;
        // No leading zeros (JSON), no fraction or exponent following, and at most 19 digits
        // (always within u64; longer numbers are left to the tape decoder).
        if digits == 0 || digits > 19 || (digits > 1 && self.bytes[start] == b'0') {
            return None;
        }
        match self.bytes.get(self.pos) {
            Some(b'.' | b'e' | b'E') => None,
            _ => Some(value),
        }
    }

    #[inline]
    fn boolean(&mut self) -> Option<bool> {
        self.skip_whitespace();
        let rest = self.bytes.get(self.pos..)?;
        if rest.starts_with(b"true") {
            self.pos += 4;
            Some(true)
        } else if rest.starts_with(b"false") {
            self.pos += 5;
            Some(false)
        } else {
            None
        }
    }

    /// After a value: `true` if another member follows (`,`), `false` at `}`.
    #[inline]
    fn member_follows(&mut self) -> Option<bool> {
        match self.next()? {
            b',' => Some(true),
            b'}' => Some(false),
            _ => None,
        }
    }

    /// The key of the next member, with its colon consumed.
    #[inline]
    fn key(&mut self) -> Option<&'a [u8]> {
        let key = self.string()?;
        self.expect(b':')?;
        Some(key)
    }

    fn at_end(&mut self) -> bool {
        self.skip_whitespace();
        self.pos == self.bytes.len()
    }

    /// A quoted decimal number parsed in place, in one pass: `"` number `"`, nothing else
    /// inside the quotes.
    #[inline]
    fn quoted_number(&mut self, step: Step) -> Option<i64> {
        self.expect(b'"')?;
        let rest = self.bytes.get(self.pos..)?;
        let (count, used) = step.parse_prefix(rest).ok()?;
        if rest.get(used) != Some(&b'"') {
            return None;
        }
        self.pos += used + 1;
        Some(count)
    }

    #[inline]
    fn price(&mut self, tick: Step, field: Field) -> Option<Ticks> {
        positive_price(self.quoted_number(tick)?, field).ok()
    }

    #[inline]
    fn qty(&mut self, lot: Step, field: Field) -> Option<Lots> {
        non_negative_qty(self.quoted_number(lot)?, field).ok()
    }

    fn millis(&mut self, field: Field) -> Option<Nanos> {
        millis_to_nanos(self.unsigned()?, field).ok()
    }

    /// `[["price","qty"], …]` into `out`.
    #[inline]
    fn levels(&mut self, tick: Step, lot: Step, field: Field, out: &mut Vec<PriceLevel>) -> Option<()> {
        self.expect(b'[')?;
        self.skip_whitespace();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.expect(b'[')?;
            let price = self.price(tick, field)?;
            self.expect(b',')?;
            let qty = self.qty(lot, field)?;
            self.expect(b']')?;
            out.push(PriceLevel { price, qty });
            match self.next()? {
                b',' => continue,
                b']' => return Some(()),
                _ => return None,
            }
        }
    }
}

/// The value of eight ASCII digits, or `None` if any byte is not a digit.
///
/// SWAR: the bytes are read as one little-endian `u64` (first digit lowest), checked to be
/// `'0'..='9'` all at once, then combined pairwise — digits into 2-digit, 4-digit and finally the
/// 8-digit value — with three multiplies instead of eight dependent multiply-adds.
#[inline]
fn eight_digits(bytes: &[u8]) -> Option<u64> {
    let chunk = u64::from_le_bytes(bytes.try_into().ok()?);
    // Every byte is 0x30..=0x39: its high nibble is 3, and adding 6 keeps it 3.
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    if chunk & HIGH_NIBBLES != ZEROS || chunk.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES != ZEROS {
        return None;
    }
    let digits = chunk - ZEROS; // no borrow: every byte is at least '0'
    // Byte i holds digit i, the most significant first. Adjacent digits into 2-digit values in
    // every other byte: d[i] * 10 + d[i + 1].
    let pairs = (digits.wrapping_mul(10).wrapping_add(digits >> 8)) & 0x00FF_00FF_00FF_00FF;
    // Adjacent pairs into 4-digit values: lane k of the product is p[k - 1] * 100 + p[k].
    let quads = (pairs.wrapping_mul(1 + (100 << 16)) >> 16) & 0x0000_FFFF_0000_FFFF;
    // The two 4-digit halves: the upper 32 bits of the product are q[0] * 10_000 + q[1].
    Some(quads.wrapping_mul(1 + (10_000 << 32)) >> 32)
}

/// Tries the fast path on one frame; `None` means "use the tape decoder".
///
/// A depth message comes back with empty level slices: its levels are in `levels`, and the
/// caller attaches them (this keeps the result free of borrows, so a caller can fall back).
pub fn scan(
    bytes: &[u8],
    receive_time: Nanos,
    symbols: &Symbols,
    levels: &mut Levels,
) -> Option<Message<'static>> {
    let mut cursor = Cursor { bytes, pos: 0 };
    cursor.expect(b'{')?;
    let message = match cursor.key()? {
        b"stream" => {
            cursor.string()?;
            cursor.expect(b',')?;
            if cursor.key()? != b"data" {
                return None;
            }
            cursor.expect(b'{')?;
            if cursor.key()? != b"e" {
                return None;
            }
            let message = payload(&mut cursor, receive_time, symbols, levels)?;
            cursor.expect(b'}')?;
            message
        }
        b"e" => payload(&mut cursor, receive_time, symbols, levels)?,
        _ => return None,
    };
    cursor.at_end().then_some(message)
}

/// Keys seen so far, one bit each, so a duplicate key makes the scan give up.
#[derive(Default)]
struct Seen(u32);

impl Seen {
    #[inline]
    fn first(&mut self, bit: u32) -> Option<()> {
        let mask = 1 << bit;
        if self.0 & mask != 0 {
            return None;
        }
        self.0 |= mask;
        Some(())
    }

    #[inline]
    fn has(&self, bit: u32) -> bool {
        self.0 & (1 << bit) != 0
    }
}

/// The payload object, from the value of `"e"` to its closing brace.
#[inline]
fn payload(
    cursor: &mut Cursor<'_>,
    receive_time: Nanos,
    symbols: &Symbols,
    levels: &mut Levels,
) -> Option<Message<'static>> {
    let kind = MessageKind::from_event_type(cursor.string()?)?;
    match kind {
        MessageKind::DepthUpdate => depth_update(cursor, receive_time, symbols, levels),
        MessageKind::BookTicker => book_ticker(cursor, receive_time, symbols),
        MessageKind::Trade => trade(cursor, receive_time, symbols),
        _ => None,
    }
}

/// The instrument and steps once `"s"` has been read.
type Resolved = (InstrumentId, Step, Step);

/// The members every hot payload has (`E`, `T`, `s`) and the duplicate-key guard. Kind-specific
/// keys use bits from [`Common::FIRST_FREE_BIT`] on.
#[derive(Default)]
struct Common {
    seen: Seen,
    event_time: Nanos,
    transaction_time: Nanos,
    resolved: Option<Resolved>,
}

impl Common {
    const EVENT_TIME: u32 = 0;
    const TRANSACTION_TIME: u32 = 1;
    const SYMBOL: u32 = 2;
    const FIRST_FREE_BIT: u32 = 3;

    /// Reads the value of `key` if it is a common member: `Some(true)`; `Some(false)` if the key
    /// is not one; `None` to give up.
    #[inline]
    fn read(&mut self, key: &[u8], cursor: &mut Cursor<'_>, symbols: &Symbols) -> Option<bool> {
        match key {
            b"E" => {
                self.seen.first(Self::EVENT_TIME)?;
                self.event_time = cursor.millis(Field::EventTime)?;
            }
            b"T" => {
                self.seen.first(Self::TRANSACTION_TIME)?;
                self.transaction_time = cursor.millis(Field::TransactionTime)?;
            }
            b"s" => {
                self.seen.first(Self::SYMBOL)?;
                self.resolved = Some(symbols.resolve(cursor.string()?).ok()?);
            }
            _ => return Some(false),
        }
        Some(true)
    }

    /// Marks a kind-specific key as seen; `None` on a duplicate.
    #[inline]
    fn first(&mut self, bit: u32) -> Option<()> {
        self.seen.first(Self::FIRST_FREE_BIT + bit)
    }

    /// The tick and lot steps; `None` if a price comes before the symbol.
    #[inline]
    fn steps(&self) -> Option<(Step, Step)> {
        self.resolved.map(|(_, tick, lot)| (tick, lot))
    }

    /// After the closing brace: the instrument and exchange time (`T`, else `E`), if `E`, `s`
    /// and every kind-specific key in `required` (bit numbers) were present.
    #[inline]
    fn finish(&self, required: &[u32]) -> Option<(InstrumentId, Nanos)> {
        let complete = self.seen.has(Self::EVENT_TIME)
            && self.seen.has(Self::SYMBOL)
            && required.iter().all(|&bit| self.seen.has(Self::FIRST_FREE_BIT + bit));
        if !complete {
            return None;
        }
        let time =
            if self.seen.has(Self::TRANSACTION_TIME) { self.transaction_time } else { self.event_time };
        Some((self.resolved?.0, time))
    }
}

fn depth_update(
    cursor: &mut Cursor<'_>,
    receive_time: Nanos,
    symbols: &Symbols,
    levels: &mut Levels,
) -> Option<Message<'static>> {
    const FIRST: u32 = 0;
    const LAST: u32 = 1;
    const PREV: u32 = 2;
    const BIDS: u32 = 3;
    const ASKS: u32 = 4;
    let mut common = Common::default();
    let (mut first, mut last, mut prev) = (0, 0, 0);
    levels.clear();
    while cursor.member_follows()? {
        let key = cursor.key()?;
        if common.read(key, cursor, symbols)? {
            continue;
        }
        match key {
            b"U" => {
                common.first(FIRST)?;
                first = cursor.unsigned()?;
            }
            b"u" => {
                common.first(LAST)?;
                last = cursor.unsigned()?;
            }
            b"pu" => {
                common.first(PREV)?;
                prev = cursor.unsigned()?;
            }
            b"b" => {
                common.first(BIDS)?;
                let (tick, lot) = common.steps()?;
                cursor.levels(tick, lot, Field::Bids, &mut levels.bids)?;
            }
            b"a" => {
                common.first(ASKS)?;
                let (tick, lot) = common.steps()?;
                cursor.levels(tick, lot, Field::Asks, &mut levels.asks)?;
            }
            _ => return None,
        }
    }
    let (instrument, exchange_time) = common.finish(&[FIRST, LAST, PREV, BIDS, ASKS])?;
    if first > last {
        return None;
    }
    Some(Message::Depth(DepthUpdate {
        instrument,
        exchange_time,
        receive_time,
        first_update_id: Seq(first),
        last_update_id: Seq(last),
        prev_last_update_id: Seq(prev),
        bids: &[],
        asks: &[],
    }))
}

fn book_ticker(cursor: &mut Cursor<'_>, receive_time: Nanos, symbols: &Symbols) -> Option<Message<'static>> {
    const ID: u32 = 0;
    const BID: u32 = 1;
    const BID_QTY: u32 = 2;
    const ASK: u32 = 3;
    const ASK_QTY: u32 = 4;
    let mut common = Common::default();
    let mut update_id = 0;
    let mut bbo = Bbo { bid: Ticks(0), bid_qty: Lots(0), ask: Ticks(0), ask_qty: Lots(0) };
    while cursor.member_follows()? {
        let key = cursor.key()?;
        if common.read(key, cursor, symbols)? {
            continue;
        }
        match key {
            b"u" => {
                common.first(ID)?;
                update_id = cursor.unsigned()?;
            }
            b"b" => {
                common.first(BID)?;
                bbo.bid = cursor.price(common.steps()?.0, Field::BidPrice)?;
            }
            b"B" => {
                common.first(BID_QTY)?;
                bbo.bid_qty = cursor.qty(common.steps()?.1, Field::BidQty)?;
            }
            b"a" => {
                common.first(ASK)?;
                bbo.ask = cursor.price(common.steps()?.0, Field::AskPrice)?;
            }
            b"A" => {
                common.first(ASK_QTY)?;
                bbo.ask_qty = cursor.qty(common.steps()?.1, Field::AskQty)?;
            }
            _ => return None,
        }
    }
    let (instrument, exchange_time) = common.finish(&[ID, BID, BID_QTY, ASK, ASK_QTY])?;
    let event = Event::new(exchange_time, receive_time, Seq(update_id), instrument, EventKind::Bbo(bbo));
    Some(Message::Event(MessageKind::BookTicker, event))
}

fn trade(cursor: &mut Cursor<'_>, receive_time: Nanos, symbols: &Symbols) -> Option<Message<'static>> {
    const ID: u32 = 0;
    const PRICE: u32 = 1;
    const QTY: u32 = 2;
    const ORDER_TYPE: u32 = 3;
    const MAKER: u32 = 4;
    let mut common = Common::default();
    let mut id = 0;
    let (mut price, mut qty) = (Ticks(0), Lots(0));
    let (mut forced, mut buyer_is_maker) = (false, false);
    while cursor.member_follows()? {
        let key = cursor.key()?;
        if common.read(key, cursor, symbols)? {
            continue;
        }
        match key {
            b"t" => {
                common.first(ID)?;
                id = cursor.unsigned()?;
            }
            b"p" => {
                common.first(PRICE)?;
                price = cursor.price(common.steps()?.0, Field::TradePrice)?;
            }
            b"q" => {
                common.first(QTY)?;
                qty = cursor.qty(common.steps()?.1, Field::TradeQty)?;
            }
            b"X" => {
                common.first(ORDER_TYPE)?;
                forced = order_type_is_forced(cursor.string()?);
            }
            b"m" => {
                common.first(MAKER)?;
                buyer_is_maker = cursor.boolean()?;
            }
            _ => return None,
        }
    }
    let (instrument, exchange_time) = common.finish(&[ID, PRICE, QTY, MAKER])?;
    if qty.0 == 0 {
        return None;
    }
    let trade = Trade { price, qty, aggressor: aggressor(buyer_is_maker), aggregated: false, forced };
    let event = Event::new(exchange_time, receive_time, Seq(id), instrument, EventKind::Trade(trade));
    Some(Message::Event(MessageKind::Trade, event))
}

#[cfg(test)]
mod tests {
    use super::eight_digits;

    #[test]
    fn eight_digits_match_the_plain_loop() {
        for text in [b"00000000", b"12345678", b"99999999", b"17231612", b"00000001", b"10000000"] {
            let expected = std::str::from_utf8(text).unwrap().parse::<u64>().unwrap();
            assert_eq!(eight_digits(text), Some(expected));
        }
        // Any byte out of range, including those just around '0'..='9'.
        for bad in [b"1234567/", b"1234567:", b"/2345678", b"1234 678", b"1234567\xff", b"123456\"8"] {
            assert_eq!(eight_digits(&bad[..8]), None, "{bad:?}");
        }
        assert_eq!(eight_digits(b"1234567"), None);
        // Exhaustively, every position with every non-digit byte.
        for position in 0..8 {
            for byte in (0..=255u8).filter(|b| !b.is_ascii_digit()) {
                let mut text = *b"55555555";
                text[position] = byte;
                assert_eq!(eight_digits(&text), None);
            }
        }
    }
}
