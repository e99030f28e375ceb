//! [`Decoder`]: one Binance USD-M frame in, one [`Message`] out.
//!
//! The decoder tries the [`scan`](super::scan) fast path for the hot kinds and falls back to the
//! validating simd-json [`tape`](super::tape) decoder for everything else (other kinds, unusual
//! layouts, and every error, so errors are always the tape decoder's). Its buffers are reused
//! frame to frame: once warm, decoding allocates nothing.

use super::scan::scan;
use super::symbols::Symbols;
use super::tape::TapeDecoder;
use super::wire::{DepthUpdate, Message, PriceLevel, VENUE};
use crate::fixed::FixedError;
use crate::instrument::Instruments;
use crate::units::{InstrumentId, Nanos};
use std::fmt;

/// Reusable level buffers a depth message borrows.
#[derive(Default)]
pub struct Levels {
    /// Bid levels of the last depth message.
    pub bids: Vec<PriceLevel>,
    /// Ask levels of the last depth message.
    pub asks: Vec<PriceLevel>,
}

impl Levels {
    /// Buffers that hold `levels` per side before they grow.
    pub fn with_capacity(levels: usize) -> Levels {
        Levels { bids: Vec::with_capacity(levels), asks: Vec::with_capacity(levels) }
    }

    /// Empties both sides, keeping the allocations.
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }
}

/// A field of a Binance message, for error context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The frame as a whole.
    Frame,
    /// `data`: the payload of a combined-stream frame.
    Data,
    /// `stream`: the stream name of a combined-stream frame.
    Stream,
    /// `e`: event type.
    EventType,
    /// `E`: event time (ms).
    EventTime,
    /// `T`: transaction or trade time (ms).
    TransactionTime,
    /// `s`: symbol.
    Symbol,
    /// `U`: first update id of a depth diff.
    FirstUpdateId,
    /// `u`: final update id of a depth diff or book ticker.
    LastUpdateId,
    /// `pu`: final update id of the previous diff.
    PrevLastUpdateId,
    /// `b`: bid levels of a depth diff.
    Bids,
    /// `a`: ask levels of a depth diff.
    Asks,
    /// `b`: best bid price of a book ticker.
    BidPrice,
    /// `B`: best bid quantity.
    BidQty,
    /// `a`: best ask price of a book ticker.
    AskPrice,
    /// `A`: best ask quantity.
    AskQty,
    /// `t`: trade id.
    TradeId,
    /// `a`: aggregate trade id.
    AggTradeId,
    /// `p`: trade price.
    TradePrice,
    /// `q`: trade quantity.
    TradeQty,
    /// `X`: order type of a trade (`MARKET`, or a forced type).
    OrderType,
    /// `m`: is the buyer the maker?
    BuyerIsMaker,
    /// `p`: mark price.
    MarkPrice,
    /// `i`: index price.
    IndexPrice,
    /// `r`: funding rate.
    FundingRate,
    /// `T` of a mark price update: next funding time (ms).
    NextFundingTime,
    /// `lastUpdateId` of a REST depth snapshot.
    SnapshotUpdateId,
    /// `bids` of a REST depth snapshot.
    SnapshotBids,
    /// `asks` of a REST depth snapshot.
    SnapshotAsks,
    /// `openInterest` of the REST response.
    OpenInterest,
    /// `symbol` of the REST open interest response.
    OpenInterestSymbol,
    /// `time` of the REST open interest response (ms).
    OpenInterestTime,
    /// `o`: the order object of a liquidation.
    Order,
    /// `S`: liquidation order side.
    OrderSide,
    /// `p`: liquidation order price.
    OrderPrice,
    /// `ap`: average fill price.
    AveragePrice,
    /// `z`: filled accumulated quantity.
    FilledQty,
}

impl Field {
    /// The JSON key of the field.
    pub const fn key(self) -> &'static str {
        match self {
            Field::Frame => "",
            Field::Data => "data",
            Field::Stream => "stream",
            Field::EventType => "e",
            Field::EventTime => "E",
            Field::TransactionTime | Field::NextFundingTime => "T",
            Field::Symbol => "s",
            Field::FirstUpdateId => "U",
            Field::LastUpdateId => "u",
            Field::PrevLastUpdateId => "pu",
            Field::Bids | Field::BidPrice => "b",
            Field::Asks | Field::AskPrice | Field::AggTradeId => "a",
            Field::BidQty => "B",
            Field::AskQty => "A",
            Field::TradeId => "t",
            Field::TradePrice | Field::MarkPrice | Field::OrderPrice => "p",
            Field::TradeQty => "q",
            Field::OrderType => "X",
            Field::BuyerIsMaker => "m",
            Field::IndexPrice => "i",
            Field::FundingRate => "r",
            Field::SnapshotUpdateId => "lastUpdateId",
            Field::SnapshotBids => "bids",
            Field::SnapshotAsks => "asks",
            Field::OpenInterest => "openInterest",
            Field::OpenInterestSymbol => "symbol",
            Field::OpenInterestTime => "time",
            Field::Order => "o",
            Field::OrderSide => "S",
            Field::AveragePrice => "ap",
            Field::FilledQty => "z",
        }
    }
}

/// What was wrong with a frame.
#[derive(Clone, Debug, PartialEq)]
pub enum DecodeErrorKind {
    /// Not valid JSON (simd-json's verdict, with the byte offset).
    Json {
        /// Byte offset simd-json reports.
        offset: usize,
        /// simd-json's description.
        error: String,
    },
    /// A required field is absent.
    Missing,
    /// A field has the wrong JSON type.
    WrongType {
        /// What was expected.
        expected: &'static str,
    },
    /// A decimal string is not an exact count of the instrument's step.
    Number(FixedError),
    /// A field's value is impossible (negative price, zero time, `U > u`, …).
    Invalid {
        /// Why.
        reason: &'static str,
    },
    /// The `"e"` event type is not one halcyon knows.
    UnknownEventType,
    /// An object that is neither a stream event nor a known REST response.
    UnknownMessage,
    /// The symbol is not in the instrument registry.
    UnknownInstrument,
    /// A depth snapshot arrived and nothing says which instrument it is for.
    NoSnapshotInstrument,
}

/// A frame that could not be decoded. Frames are independent: the next one decodes normally; a
/// lost depth diff is caught by the [`DepthSequencer`](super::DepthSequencer) as a gap.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodeError {
    field: Field,
    kind: DecodeErrorKind,
}

impl DecodeError {
    pub(super) fn json(error: simd_json::Error) -> DecodeError {
        DecodeError {
            field: Field::Frame,
            kind: DecodeErrorKind::Json { offset: error.index(), error: format!("{:?}", error.error()) },
        }
    }
    pub(super) fn malformed(field: Field) -> DecodeError {
        DecodeError { field, kind: DecodeErrorKind::WrongType { expected: "well-formed value" } }
    }
    pub(super) fn missing(field: Field) -> DecodeError {
        DecodeError { field, kind: DecodeErrorKind::Missing }
    }
    pub(super) fn wrong_type(field: Field, expected: &'static str) -> DecodeError {
        DecodeError { field, kind: DecodeErrorKind::WrongType { expected } }
    }
    pub(super) fn number(field: Field, error: FixedError) -> DecodeError {
        DecodeError { field, kind: DecodeErrorKind::Number(error) }
    }
    pub(super) fn invalid(field: Field, reason: &'static str) -> DecodeError {
        DecodeError { field, kind: DecodeErrorKind::Invalid { reason } }
    }
    pub(super) fn unknown_event_type() -> DecodeError {
        DecodeError { field: Field::EventType, kind: DecodeErrorKind::UnknownEventType }
    }
    pub(super) fn unknown_message() -> DecodeError {
        DecodeError { field: Field::Frame, kind: DecodeErrorKind::UnknownMessage }
    }
    pub(crate) fn unknown_instrument() -> DecodeError {
        DecodeError { field: Field::Symbol, kind: DecodeErrorKind::UnknownInstrument }
    }
    pub(super) fn no_snapshot_instrument() -> DecodeError {
        DecodeError { field: Field::Frame, kind: DecodeErrorKind::NoSnapshotInstrument }
    }

    /// What was wrong.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.kind
    }

    /// The field it was wrong in.
    pub fn field(&self) -> Field {
        self.field
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.field.key();
        match &self.kind {
            DecodeErrorKind::Json { offset, error } => write!(f, "invalid JSON at byte {offset}: {error}"),
            DecodeErrorKind::Missing => write!(f, "missing field \"{key}\""),
            DecodeErrorKind::WrongType { expected } => write!(f, "field \"{key}\": expected {expected}"),
            DecodeErrorKind::Number(error) => write!(f, "field \"{key}\": {error}"),
            DecodeErrorKind::Invalid { reason } => write!(f, "field \"{key}\": {reason}"),
            DecodeErrorKind::UnknownEventType => write!(f, "unknown event type \"e\""),
            DecodeErrorKind::UnknownMessage => write!(f, "not a Binance USD-M stream event or REST response"),
            DecodeErrorKind::UnknownInstrument => {
                write!(f, "symbol is not a configured {VENUE} instrument")
            }
            DecodeErrorKind::NoSnapshotInstrument => {
                write!(f, "depth snapshot without a symbol: name it in the URL or configure one instrument")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Decoding counters, for reports and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Frames decoded by the scanner.
    pub fast: u64,
    /// Frames decoded (or rejected) by the tape decoder.
    pub tape: u64,
}

/// Decodes Binance USD-M frames into [`Message`]s.
pub struct Decoder {
    instruments: Instruments,
    symbols: Symbols,
    /// Which instruments depth diffs have been seen for: `DepthSeen::One` lets a snapshot without a
    /// symbol be attributed to the book being built.
    depth_seen: DepthSeen,
    tape: TapeDecoder,
    levels: Levels,
    fast_path: bool,
    stats: DecodeStats,
}

impl Decoder {
    /// A decoder for the Binance USD-M instruments of `instruments`, with buffers sized for a
    /// 1000-level snapshot.
    pub fn new(instruments: Instruments) -> Decoder {
        Decoder {
            symbols: Symbols::new(&instruments),
            instruments,
            depth_seen: DepthSeen::None,
            tape: TapeDecoder::default(),
            levels: Levels::with_capacity(1024),
            fast_path: true,
            stats: DecodeStats::default(),
        }
    }

    /// Turns the scanner off (every frame through the tape decoder), for comparison runs.
    pub fn with_fast_path(mut self, enabled: bool) -> Decoder {
        self.fast_path = enabled;
        self
    }

    /// The instrument registry.
    pub fn instruments(&self) -> &Instruments {
        &self.instruments
    }

    /// Counters so far.
    pub fn stats(&self) -> DecodeStats {
        self.stats
    }

    /// Decodes one frame. `payload` may be modified in place. `channel` is the recording's
    /// channel for the frame (an HTTP capture's URL names the symbol of a depth snapshot).
    #[inline]
    pub fn decode(
        &mut self,
        payload: &mut [u8],
        receive_time: Nanos,
        channel: &str,
    ) -> Result<Message<'_>, DecodeError> {
        if self.fast_path
            && let Some(message) = scan(payload, receive_time, &self.symbols, &mut self.levels)
        {
            self.stats.fast += 1;
            self.depth_seen.note(&message);
            return Ok(attach_levels(message, &self.levels));
        }
        self.stats.tape += 1;
        let snapshot_instrument = self.snapshot_instrument(channel);
        let message =
            self.tape.decode(payload, receive_time, &self.symbols, snapshot_instrument, &mut self.levels)?;
        self.depth_seen.note(&message);
        Ok(message)
    }

    /// Which instrument a depth snapshot without a symbol is for: the URL's `symbol=`, else the
    /// only configured Binance instrument, else the only one depth diffs have been seen for.
    fn snapshot_instrument(&self, channel: &str) -> Option<InstrumentId> {
        if let Some(symbol) = symbol_from_url(channel) {
            return self.symbols.resolve(symbol.as_bytes()).ok().map(|(id, _, _)| id);
        }
        self.symbols.only().or(match self.depth_seen {
            DepthSeen::One(id) => Some(id),
            _ => None,
        })
    }

    /// Decodes with the tape decoder only (reference path for differential tests and benches).
    pub fn decode_with_tape(
        &mut self,
        payload: &mut [u8],
        receive_time: Nanos,
        channel: &str,
    ) -> Result<Message<'_>, DecodeError> {
        let snapshot_instrument = self.snapshot_instrument(channel);
        self.tape.decode(payload, receive_time, &self.symbols, snapshot_instrument, &mut self.levels)
    }

    /// Decodes with the scanner only; `None` where it would defer to the tape decoder.
    pub fn decode_with_scan(&mut self, payload: &[u8], receive_time: Nanos) -> Option<Message<'_>> {
        let message = scan(payload, receive_time, &self.symbols, &mut self.levels)?;
        Some(attach_levels(message, &self.levels))
    }
}

/// Instruments depth diffs have been decoded for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DepthSeen {
    None,
    One(InstrumentId),
    Several,
}

impl DepthSeen {
    #[inline]
    fn note(&mut self, message: &Message<'_>) {
        if let Message::Depth(depth) = message {
            *self = match *self {
                DepthSeen::None => DepthSeen::One(depth.instrument),
                DepthSeen::One(id) if id == depth.instrument => DepthSeen::One(id),
                _ => DepthSeen::Several,
            };
        }
    }
}

/// Points a scanned depth message at the levels the scan wrote.
#[inline]
fn attach_levels<'l>(message: Message<'static>, levels: &'l Levels) -> Message<'l> {
    match message {
        Message::Depth(depth) => {
            Message::Depth(DepthUpdate { bids: &levels.bids, asks: &levels.asks, ..depth })
        }
        other => other,
    }
}

/// The `symbol=` query parameter of a REST URL.
fn symbol_from_url(url: &str) -> Option<&str> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| pair.strip_prefix("symbol="))
}
