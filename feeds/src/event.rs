//! The normalized event vocabulary: one `Copy` record per market fact, one cache line each.
//!
//! An [`Event`] is what the feed thread publishes into the ring and what every consumer reads.
//! It is a 64-byte, 64-aligned record: a header every event has (exchange time, receive time,
//! sequence number, instrument) and a packed body. Build one with [`Event::new`] from a typed
//! [`EventKind`], read it back with [`Event::kind`]; the packing is private, so a body can only
//! ever be decoded as the kind it was built from.
//!
//! Kinds:
//! - [`BookLevel`]: one price level set to a quantity (zero removes it). The last level of an
//!   exchange update carries `last = true`; a consumer's book is consistent only at such events.
//! - [`BookClear`]: the book is emptied because a snapshot follows (or because it was abandoned).
//! - [`Bbo`]: best bid and offer as the exchange printed them.
//! - [`Trade`]: a print, with the aggressor's side.
//! - [`Liquidation`]: a forced order, with its side, limit price, average fill price and size.
//! - [`MarkPrice`]: mark, index, funding rate and next funding time.
//! - [`OpenInterest`]: open interest in lots.
//! - [`OptionsReading`]: the options market's view of the underlying (short- and long-dated
//!   at-the-money implied volatility, open interest near spot), from an options venue.
//! - [`FeedStatus`]: the feed's own health: a gap, a resync, stale data, a reconnect.
//! - [`FrameEnd`]: the events before it came from one frame; carries the feed thread's local
//!   timestamps for that frame (in hand, parsed, published), so a consumer knows when a frame's
//!   facts are complete and how long they took to reach it.
//!
//! The tag is a byte with ten kinds used: other venues' facts fit as new kinds without changing
//! the layout.
//!
//! Why packed rather than a plain `enum` field: the widest bodies (a best bid/offer, a mark price)
//! are four 64-bit values; as a Rust enum next to a 28-byte header the record would be 72 bytes
//! and straddle two cache lines in the ring. Packed, it is exactly one.

use crate::units::{InstrumentId, Lots, Nanos, PriceE8, RateE8, Seq, Side, Ticks};
use std::fmt;

/// One price level of a book update: set `price` on `side` to `qty` (zero removes the level).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookLevel {
    /// Side of the book.
    pub side: Side,
    /// Price of the level.
    pub price: Ticks,
    /// New total quantity at the level; zero removes it.
    pub qty: Lots,
    /// True on the last level of one exchange update (a diff or a snapshot): the book is
    /// consistent with the exchange's after applying it.
    pub last: bool,
    /// True when the level belongs to a snapshot rather than a diff.
    pub snapshot: bool,
}

/// Why a [`BookClear`] was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ClearReason {
    /// A snapshot's levels follow; the book is trusted after its `last` level.
    Snapshot = 0,
    /// The book was abandoned (gap, disconnect); a snapshot will follow later.
    Abandoned = 1,
}

/// The book is emptied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookClear {
    /// Why.
    pub reason: ClearReason,
    /// True when nothing follows in the same update (an empty snapshot).
    pub last: bool,
}

/// Best bid and offer as printed by the exchange (Binance `bookTicker`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bbo {
    /// Best bid price.
    pub bid: Ticks,
    /// Quantity at the best bid.
    pub bid_qty: Lots,
    /// Best ask price.
    pub ask: Ticks,
    /// Quantity at the best ask.
    pub ask_qty: Lots,
}

/// A trade print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trade {
    /// Price.
    pub price: Ticks,
    /// Size.
    pub qty: Lots,
    /// Side of the aggressor (`Bid`: a buyer lifted the offer).
    pub aggressor: Side,
    /// True for an aggregated trade (Binance `aggTrade`): several fills of one taker order.
    pub aggregated: bool,
    /// True when the exchange marks the print as forced (liquidation, insurance fund, ADL).
    pub forced: bool,
}

/// A forced (liquidation) order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Liquidation {
    /// Side of the liquidation order (`Ask`: a long was liquidated and sells).
    pub side: Side,
    /// The order's limit price (the exchange computes it; not always on the tick grid).
    pub price: PriceE8,
    /// Average fill price so far.
    pub average_price: PriceE8,
    /// Filled quantity so far.
    pub qty: Lots,
}

/// Mark price, index price and funding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarkPrice {
    /// Mark price.
    pub mark: PriceE8,
    /// Index price.
    pub index: PriceE8,
    /// Current (predicted) funding rate.
    pub funding_rate: RateE8,
    /// When the next funding happens.
    pub next_funding_time: Nanos,
}

/// Open interest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenInterest {
    /// Open interest in lots of the instrument.
    pub qty: Lots,
}

/// The options market's view of the underlying, as an options feed summarises it (Deribit
/// `ticker` `mark_iv` and `open_interest` across expiries, say).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionsReading {
    /// Annualised at-the-money implied volatility of expiries within 48 h (`RateE8(80_000_000)`
    /// is 80 %).
    pub short_iv: RateE8,
    /// Annualised at-the-money implied volatility of longer-dated expiries.
    pub long_iv: RateE8,
    /// Share of the short-dated expiries' open interest at strikes near spot, in `[0, 1]`.
    pub oi_near_spot_share: RateE8,
}

/// What happened to the feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum FeedCondition {
    /// An update does not chain to the previous one: the book is untrusted until resynced.
    Gap = 0,
    /// A resync started (a snapshot was requested).
    Resync = 1,
    /// No data for longer than allowed.
    Stale = 2,
    /// The connection was re-established.
    Reconnected = 3,
}

/// The feed's own health.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedStatus {
    /// What happened.
    pub condition: FeedCondition,
    /// For a gap: the sequence number that would have chained (the previous update's last id).
    pub expected: Seq,
    /// For a gap: the previous-id the offending update carried.
    pub received: Seq,
}

/// The end of one frame's events, and the feed thread's local timestamps for the frame.
///
/// The feed publishes one after the events decoded from each frame (after none, for a frame that
/// decoded to nothing, so latency is still measured). The stamps are the feed's monotonic clock:
/// `in_hand` when it had the frame's bytes, `parsed` when they were decoded and sequenced,
/// `published` just before the frame's events were made visible to consumers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameEnd {
    /// The venue decoder's kind of the frame (for Binance, [`MessageKind::code`](crate::venue::binance::MessageKind::code));
    /// [`FrameEnd::UNDECODED`] when the frame did not decode.
    pub frame_kind: u8,
    /// Events published for the frame before this one.
    pub events: u32,
    /// When the frame's bytes were in the feed thread's hands.
    pub in_hand: Nanos,
    /// When the frame was decoded and sequenced.
    pub parsed: Nanos,
    /// Just before the frame's events were published.
    pub published: Nanos,
}

impl FrameEnd {
    /// `frame_kind` of a frame that failed to decode.
    pub const UNDECODED: u8 = u8::MAX;
    /// `frame_kind` of a frame of events from a slow lane (open interest polled over REST,
    /// another venue's liquidations, an options reading), published by a live feed.
    pub const SLOW_LANE: u8 = 0xFD;
    /// `frame_kind` of a live feed's heartbeat: no events, no market time; it only lets the
    /// core's thread act on operator commands in a quiet market. The core and the venue pass
    /// over it.
    pub const HEARTBEAT: u8 = 0xFC;
}

/// The typed body of an [`Event`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// See [`BookLevel`].
    BookLevel(BookLevel),
    /// See [`BookClear`].
    BookClear(BookClear),
    /// See [`Bbo`].
    Bbo(Bbo),
    /// See [`Trade`].
    Trade(Trade),
    /// See [`Liquidation`].
    Liquidation(Liquidation),
    /// See [`MarkPrice`].
    MarkPrice(MarkPrice),
    /// See [`OpenInterest`].
    OpenInterest(OpenInterest),
    /// See [`FeedStatus`].
    FeedStatus(FeedStatus),
    /// See [`OptionsReading`].
    Options(OptionsReading),
    /// See [`FrameEnd`].
    FrameEnd(FrameEnd),
}

#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Tag {
    BookLevel = 0,
    BookClear = 1,
    Bbo = 2,
    Trade = 3,
    Liquidation = 4,
    MarkPrice = 5,
    OpenInterest = 6,
    FeedStatus = 7,
    FrameEnd = 8,
    Options = 9,
}

impl Tag {
    fn from_byte(byte: u8) -> Option<Tag> {
        Some(match byte {
            0 => Tag::BookLevel,
            1 => Tag::BookClear,
            2 => Tag::Bbo,
            3 => Tag::Trade,
            4 => Tag::Liquidation,
            5 => Tag::MarkPrice,
            6 => Tag::OpenInterest,
            7 => Tag::FeedStatus,
            8 => Tag::FrameEnd,
            9 => Tag::Options,
            _ => return None,
        })
    }
}

const FLAG_LAST: u8 = 1;
const FLAG_SNAPSHOT: u8 = 1 << 1;
const FLAG_AGGREGATED: u8 = 1 << 2;
const FLAG_FORCED: u8 = 1 << 3;

/// One market fact, one cache line.
///
/// `seq` is the exchange's sequence number where the kind has one: the final update id `u` of
/// the diff a [`BookLevel`] belongs to, a snapshot's `lastUpdateId`, a `bookTicker`'s `u`, a
/// trade id. It is zero where the exchange sends none.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(C, align(64))]
pub struct Event {
    /// When the exchange says the fact happened (its event or transaction time).
    pub exchange_time: Nanos,
    /// When the frame carrying it was in our hands (local clock).
    pub receive_time: Nanos,
    /// Exchange sequence number (see the type's docs).
    pub seq: Seq,
    /// Which instrument.
    pub instrument: InstrumentId,
    tag: Tag,
    /// A [`Side`], [`ClearReason`] or [`FeedCondition`] discriminant, by tag.
    code: u8,
    flags: u8,
    body: [i64; 4],
}

const _: () = assert!(std::mem::size_of::<Event>() == 64);

impl Event {
    /// Packs a typed event.
    #[inline]
    pub fn new(
        exchange_time: Nanos,
        receive_time: Nanos,
        seq: Seq,
        instrument: InstrumentId,
        kind: EventKind,
    ) -> Event {
        let (tag, code, flags, body) = match kind {
            EventKind::BookLevel(level) => (
                Tag::BookLevel,
                level.side as u8,
                flag(level.last, FLAG_LAST) | flag(level.snapshot, FLAG_SNAPSHOT),
                [level.price.0, level.qty.0, 0, 0],
            ),
            EventKind::BookClear(clear) => {
                (Tag::BookClear, clear.reason as u8, flag(clear.last, FLAG_LAST), [0; 4])
            }
            EventKind::Bbo(bbo) => (Tag::Bbo, 0, 0, [bbo.bid.0, bbo.bid_qty.0, bbo.ask.0, bbo.ask_qty.0]),
            EventKind::Trade(trade) => (
                Tag::Trade,
                trade.aggressor as u8,
                flag(trade.aggregated, FLAG_AGGREGATED) | flag(trade.forced, FLAG_FORCED),
                [trade.price.0, trade.qty.0, 0, 0],
            ),
            EventKind::Liquidation(liquidation) => (
                Tag::Liquidation,
                liquidation.side as u8,
                0,
                [liquidation.price.0, liquidation.average_price.0, liquidation.qty.0, 0],
            ),
            EventKind::MarkPrice(mark) => (
                Tag::MarkPrice,
                0,
                0,
                [mark.mark.0, mark.index.0, mark.funding_rate.0, mark.next_funding_time.0],
            ),
            EventKind::OpenInterest(open_interest) => {
                (Tag::OpenInterest, 0, 0, [open_interest.qty.0, 0, 0, 0])
            }
            EventKind::FeedStatus(status) => (
                Tag::FeedStatus,
                status.condition as u8,
                0,
                [status.expected.0 as i64, status.received.0 as i64, 0, 0],
            ),
            EventKind::Options(options) => {
                (Tag::Options, 0, 0, [options.short_iv.0, options.long_iv.0, options.oi_near_spot_share.0, 0])
            }
            EventKind::FrameEnd(end) => (
                Tag::FrameEnd,
                end.frame_kind,
                0,
                [end.in_hand.0, end.parsed.0, end.published.0, i64::from(end.events)],
            ),
        };
        Event { exchange_time, receive_time, seq, instrument, tag, code, flags, body }
    }

    /// The typed body.
    #[inline]
    pub fn kind(&self) -> EventKind {
        let [a, b, c, d] = self.body;
        match self.tag {
            Tag::BookLevel => EventKind::BookLevel(BookLevel {
                side: self.side(),
                price: Ticks(a),
                qty: Lots(b),
                last: self.has(FLAG_LAST),
                snapshot: self.has(FLAG_SNAPSHOT),
            }),
            Tag::BookClear => EventKind::BookClear(BookClear {
                reason: if self.code == ClearReason::Abandoned as u8 {
                    ClearReason::Abandoned
                } else {
                    ClearReason::Snapshot
                },
                last: self.has(FLAG_LAST),
            }),
            Tag::Bbo => {
                EventKind::Bbo(Bbo { bid: Ticks(a), bid_qty: Lots(b), ask: Ticks(c), ask_qty: Lots(d) })
            }
            Tag::Trade => EventKind::Trade(Trade {
                price: Ticks(a),
                qty: Lots(b),
                aggressor: self.side(),
                aggregated: self.has(FLAG_AGGREGATED),
                forced: self.has(FLAG_FORCED),
            }),
            Tag::Liquidation => EventKind::Liquidation(Liquidation {
                side: self.side(),
                price: PriceE8(a),
                average_price: PriceE8(b),
                qty: Lots(c),
            }),
            Tag::MarkPrice => EventKind::MarkPrice(MarkPrice {
                mark: PriceE8(a),
                index: PriceE8(b),
                funding_rate: RateE8(c),
                next_funding_time: Nanos(d),
            }),
            Tag::OpenInterest => EventKind::OpenInterest(OpenInterest { qty: Lots(a) }),
            Tag::Options => EventKind::Options(OptionsReading {
                short_iv: RateE8(a),
                long_iv: RateE8(b),
                oi_near_spot_share: RateE8(c),
            }),
            Tag::FeedStatus => EventKind::FeedStatus(FeedStatus {
                condition: match self.code {
                    0 => FeedCondition::Gap,
                    1 => FeedCondition::Resync,
                    2 => FeedCondition::Stale,
                    _ => FeedCondition::Reconnected,
                },
                expected: Seq(a as u64),
                received: Seq(b as u64),
            }),
            Tag::FrameEnd => EventKind::FrameEnd(FrameEnd {
                frame_kind: self.code,
                events: d as u32,
                in_hand: Nanos(a),
                parsed: Nanos(b),
                published: Nanos(c),
            }),
        }
    }

    /// The event as 64 little-endian bytes: the header fields, then tag, code and flags, then
    /// the body, zero-padded. Equal events give equal bytes, so this is what a recorder
    /// journals and what a digest of a run folds.
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut bytes = [0_u8; 64];
        bytes[0..8].copy_from_slice(&self.exchange_time.0.to_le_bytes());
        bytes[8..16].copy_from_slice(&self.receive_time.0.to_le_bytes());
        bytes[16..24].copy_from_slice(&self.seq.0.to_le_bytes());
        bytes[24..28].copy_from_slice(&self.instrument.0.to_le_bytes());
        bytes[28] = self.tag as u8;
        bytes[29] = self.code;
        bytes[30] = self.flags;
        for (index, value) in self.body.iter().enumerate() {
            bytes[32 + 8 * index..40 + 8 * index].copy_from_slice(&value.to_le_bytes());
        }
        bytes
    }

    /// The event back from [`to_bytes`](Event::to_bytes)' layout; `None` if the tag, code or
    /// flags are not ones an event can have (a corrupt or foreign record), or the padding is
    /// not zero.
    pub fn from_bytes(bytes: &[u8; 64]) -> Option<Event> {
        let word = |at: usize| {
            let mut le = [0_u8; 8];
            le.copy_from_slice(&bytes[at..at + 8]);
            i64::from_le_bytes(le)
        };
        let mut instrument = [0_u8; 4];
        instrument.copy_from_slice(&bytes[24..28]);
        let tag = Tag::from_byte(bytes[28])?;
        let (code, flags) = (bytes[29], bytes[30]);
        let code_ok = match tag {
            Tag::BookLevel | Tag::Trade | Tag::Liquidation => code <= 1,
            Tag::BookClear => code <= 1,
            Tag::FeedStatus => code <= 3,
            Tag::FrameEnd => true,
            Tag::Bbo | Tag::MarkPrice | Tag::OpenInterest | Tag::Options => code == 0,
        };
        let allowed = match tag {
            Tag::BookLevel => FLAG_LAST | FLAG_SNAPSHOT,
            Tag::BookClear => FLAG_LAST,
            Tag::Trade => FLAG_AGGREGATED | FLAG_FORCED,
            _ => 0,
        };
        if !code_ok || flags & !allowed != 0 || bytes[31] != 0 {
            return None;
        }
        Some(Event {
            exchange_time: Nanos(word(0)),
            receive_time: Nanos(word(8)),
            seq: Seq(word(16) as u64),
            instrument: InstrumentId(u32::from_le_bytes(instrument)),
            tag,
            code,
            flags,
            body: [word(32), word(40), word(48), word(56)],
        })
    }

    /// True for the event that completes one exchange book update (a diff or a snapshot).
    #[inline]
    pub fn is_last_of_update(&self) -> bool {
        matches!(self.tag, Tag::BookLevel | Tag::BookClear) && self.has(FLAG_LAST)
    }

    #[inline]
    fn side(&self) -> Side {
        if self.code == Side::Ask as u8 { Side::Ask } else { Side::Bid }
    }

    #[inline]
    fn has(&self, bit: u8) -> bool {
        self.flags & bit != 0
    }
}

#[inline]
const fn flag(on: bool, bit: u8) -> u8 {
    if on { bit } else { 0 }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("exchange_time", &self.exchange_time)
            .field("receive_time", &self.receive_time)
            .field("seq", &self.seq)
            .field("instrument", &self.instrument)
            .field("kind", &self.kind())
            .finish()
    }
}

/// Where decoders put the events they produce: a preallocated buffer, or the ring's publisher.
pub trait EventSink {
    /// Takes one event. Must not allocate once warm.
    fn push(&mut self, event: Event);
}

impl EventSink for Vec<Event> {
    #[inline]
    fn push(&mut self, event: Event) {
        Vec::push(self, event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(kind: EventKind) {
        let event = Event::new(Nanos(1), Nanos(2), Seq(u64::MAX), InstrumentId(7), kind);
        assert_eq!(event.kind(), kind);
        assert_eq!(event.seq, Seq(u64::MAX));
        assert_eq!(Event::from_bytes(&event.to_bytes()), Some(event));
    }

    #[test]
    fn foreign_bytes_are_refused() {
        let event = Event::new(
            Nanos(1),
            Nanos(2),
            Seq(3),
            InstrumentId(4),
            EventKind::OpenInterest(OpenInterest { qty: Lots(5) }),
        );
        let mut bytes = event.to_bytes();
        bytes[28] = 42;
        assert_eq!(Event::from_bytes(&bytes), None, "unknown tag");
        let mut bytes = event.to_bytes();
        bytes[30] = FLAG_LAST;
        assert_eq!(Event::from_bytes(&bytes), None, "a flag open interest never carries");
        let mut bytes = event.to_bytes();
        bytes[31] = 1;
        assert_eq!(Event::from_bytes(&bytes), None, "padding");
    }

    #[test]
    fn bytes_tell_events_apart() {
        let trade = |qty| {
            Event::new(
                Nanos(1),
                Nanos(2),
                Seq(3),
                InstrumentId(4),
                EventKind::Trade(Trade {
                    price: Ticks(618_003),
                    qty: Lots(qty),
                    aggressor: Side::Ask,
                    aggregated: false,
                    forced: false,
                }),
            )
        };
        assert_eq!(trade(6).to_bytes(), trade(6).to_bytes());
        assert_ne!(trade(6).to_bytes(), trade(7).to_bytes());
        let bytes = trade(6).to_bytes();
        assert_eq!(&bytes[0..8], &1_i64.to_le_bytes());
        assert_eq!(&bytes[24..28], &4_u32.to_le_bytes());
        assert_eq!(&bytes[32..40], &618_003_i64.to_le_bytes());
    }

    #[test]
    fn every_kind_survives_packing() {
        round_trip(EventKind::BookLevel(BookLevel {
            side: Side::Ask,
            price: Ticks(618_003),
            qty: Lots(3_330),
            last: true,
            snapshot: false,
        }));
        round_trip(EventKind::BookClear(BookClear { reason: ClearReason::Abandoned, last: true }));
        round_trip(EventKind::Bbo(Bbo {
            bid: Ticks(618_002),
            bid_qty: Lots(2_507),
            ask: Ticks(618_003),
            ask_qty: Lots(2_510),
        }));
        round_trip(EventKind::Trade(Trade {
            price: Ticks(618_003),
            qty: Lots(6),
            aggressor: Side::Bid,
            aggregated: true,
            forced: true,
        }));
        round_trip(EventKind::Liquidation(Liquidation {
            side: Side::Ask,
            price: PriceE8(-1),
            average_price: PriceE8(i64::MAX),
            qty: Lots(14),
        }));
        round_trip(EventKind::MarkPrice(MarkPrice {
            mark: PriceE8(1_179_415_000_000),
            index: PriceE8(1_178_462_659_091),
            funding_rate: RateE8(-38_167),
            next_funding_time: Nanos(1_562_306_400_000_000_000),
        }));
        round_trip(EventKind::OpenInterest(OpenInterest { qty: Lots(10_659_509) }));
        round_trip(EventKind::FeedStatus(FeedStatus {
            condition: FeedCondition::Gap,
            expected: Seq(5_123_107_837_557),
            received: Seq(5_123_107_831_937),
        }));
        round_trip(EventKind::Options(OptionsReading {
            short_iv: RateE8(95_000_000),
            long_iv: RateE8(52_000_000),
            oi_near_spot_share: RateE8(41_000_000),
        }));
        round_trip(EventKind::FrameEnd(FrameEnd {
            frame_kind: 3,
            events: 41,
            in_hand: Nanos(1_000),
            parsed: Nanos(2_100),
            published: Nanos(2_150),
        }));
    }

    #[test]
    fn an_event_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Event>(), 64);
        assert_eq!(std::mem::align_of::<Event>(), 64);
    }
}
