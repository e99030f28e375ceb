//! What Binance USD-M sends: message kinds and the decoded message shapes.
//!
//! Formats are those of Binance's USD-M futures documentation ("Websocket Market Streams":
//! Diff. Book Depth, Individual Symbol Book Ticker, Trade, Aggregate Trade, Liquidation Order,
//! Mark Price; REST "Order Book", "Open Interest", "Exchange Information"). A frame is either a
//! combined-stream wrapper `{"stream":"<name>","data":{…}}` or the bare payload.
//!
//! A decoded frame is a [`Message`]: a depth diff or snapshot (many levels, borrowed from the
//! decoder's reusable buffers), or a single ready [`Event`].

use crate::event::Event;
use crate::units::{InstrumentId, Lots, Nanos, Seq, Ticks};

/// Venue name of Binance USD-M futures in the instrument registry.
pub const VENUE: &str = "binance-usdm";

/// The kind of a Binance frame, as counted by `halcyon inspect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum MessageKind {
    /// `depthUpdate`: a diff of the book, chained by `pu`.
    DepthUpdate,
    /// `bookTicker`: best bid and offer.
    BookTicker,
    /// `trade`: one fill.
    Trade,
    /// `aggTrade`: the fills of one taker order at one price.
    AggTrade,
    /// `forceOrder`: a liquidation order.
    ForceOrder,
    /// `markPriceUpdate`: mark, index, funding.
    MarkPrice,
    /// REST `/fapi/v1/depth`: a book snapshot with `lastUpdateId`.
    DepthSnapshot,
    /// REST `/fapi/v1/openInterest`.
    OpenInterest,
    /// `kline`: recognised, not used by halcyon.
    Kline,
}

impl MessageKind {
    /// Every kind, in report order.
    pub const ALL: [MessageKind; 9] = [
        MessageKind::DepthUpdate,
        MessageKind::BookTicker,
        MessageKind::Trade,
        MessageKind::AggTrade,
        MessageKind::ForceOrder,
        MessageKind::MarkPrice,
        MessageKind::DepthSnapshot,
        MessageKind::OpenInterest,
        MessageKind::Kline,
    ];

    /// The name used in reports and JSON (`depth_update`, `book_ticker`, …).
    pub const fn report_name(self) -> &'static str {
        match self {
            MessageKind::DepthUpdate => "depth_update",
            MessageKind::BookTicker => "book_ticker",
            MessageKind::Trade => "trade",
            MessageKind::AggTrade => "agg_trade",
            MessageKind::ForceOrder => "liquidation",
            MessageKind::MarkPrice => "mark_price",
            MessageKind::DepthSnapshot => "snapshot",
            MessageKind::OpenInterest => "open_interest",
            MessageKind::Kline => "kline",
        }
    }

    /// A one-byte code for the kind (its position in [`MessageKind::ALL`]), as carried by
    /// [`FrameEnd::frame_kind`](crate::event::FrameEnd::frame_kind).
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The kind of a [`MessageKind::code`]; `None` for any other byte.
    pub fn from_code(code: u8) -> Option<MessageKind> {
        MessageKind::ALL.get(usize::from(code)).copied()
    }

    /// The kind named by a payload's `"e"` field.
    pub fn from_event_type(name: &[u8]) -> Option<MessageKind> {
        Some(match name {
            b"depthUpdate" => MessageKind::DepthUpdate,
            b"bookTicker" => MessageKind::BookTicker,
            b"trade" => MessageKind::Trade,
            b"aggTrade" => MessageKind::AggTrade,
            b"forceOrder" => MessageKind::ForceOrder,
            b"markPriceUpdate" => MessageKind::MarkPrice,
            b"kline" => MessageKind::Kline,
            _ => return None,
        })
    }
}

/// One price level of a depth message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceLevel {
    /// Price.
    pub price: Ticks,
    /// Absolute quantity at the price (zero removes the level).
    pub qty: Lots,
}

/// A `depthUpdate` diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepthUpdate<'a> {
    /// Instrument.
    pub instrument: InstrumentId,
    /// Transaction time `T` (event time `E` when `T` is absent).
    pub exchange_time: Nanos,
    /// Local receive time of the frame.
    pub receive_time: Nanos,
    /// `U`: first update id in the diff.
    pub first_update_id: Seq,
    /// `u`: final update id in the diff.
    pub last_update_id: Seq,
    /// `pu`: final update id of the previous diff on this stream.
    pub prev_last_update_id: Seq,
    /// Bid levels, as sent.
    pub bids: &'a [PriceLevel],
    /// Ask levels, as sent.
    pub asks: &'a [PriceLevel],
}

/// A REST depth snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepthSnapshot<'a> {
    /// Instrument (from the request URL, or the decoder's only instrument).
    pub instrument: InstrumentId,
    /// Transaction time `T` (or `E`; zero if the response has neither, as spot's does).
    pub exchange_time: Nanos,
    /// Local receive time of the response.
    pub receive_time: Nanos,
    /// `lastUpdateId`.
    pub last_update_id: Seq,
    /// Bids, best first.
    pub bids: &'a [PriceLevel],
    /// Asks, best first.
    pub asks: &'a [PriceLevel],
}

/// A decoded frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// A book diff, for the [`DepthSequencer`](super::DepthSequencer).
    Depth(DepthUpdate<'a>),
    /// A book snapshot, for the [`DepthSequencer`](super::DepthSequencer).
    Snapshot(DepthSnapshot<'a>),
    /// A frame that is exactly one event.
    Event(MessageKind, Event),
    /// A kind halcyon recognises and does not use.
    Ignored(MessageKind),
}

impl Message<'_> {
    /// The kind of frame this came from.
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::Depth(_) => MessageKind::DepthUpdate,
            Message::Snapshot(_) => MessageKind::DepthSnapshot,
            Message::Event(kind, _) | Message::Ignored(kind) => *kind,
        }
    }
}
