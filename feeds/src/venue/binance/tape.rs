//! The validating decoder: simd-json's tape, read straight into ticks and lots.
//!
//! Every frame can be decoded here. simd-json checks the whole document (structure, UTF-8,
//! escapes, numbers) and writes a flat tape of nodes; [`TapeDecoder`] walks the tape once,
//! looking up fields by key, and parses decimal strings with the instrument's [`Step`]s. Nothing
//! goes through a DOM or `f64`. The tape and simd-json's scratch buffers are kept between
//! frames, so once warm a frame costs no allocation.
//!
//! The hot kinds are usually decoded by the faster [`scan`](super::scan) instead; this decoder
//! is the reference it is checked against, and the path for everything else.

use super::decode::{DecodeError, Field, Levels};
use super::symbols::Symbols;
use super::wire::{DepthSnapshot, DepthUpdate, Message, MessageKind, PriceLevel};
use crate::event::{Bbo, Event, EventKind, Liquidation, MarkPrice, OpenInterest, Trade};
use crate::fixed::Step;
use crate::units::{InstrumentId, Lots, Nanos, PriceE8, RateE8, Seq, Side, Ticks};
use simd_json::{Buffers, Node, StaticNode, Tape};

/// Reusable simd-json state: scratch buffers and the tape.
pub struct TapeDecoder {
    buffers: Buffers,
    /// Always empty between calls; only its allocation is kept.
    tape: Tape<'static>,
}

impl Default for TapeDecoder {
    fn default() -> Self {
        TapeDecoder { buffers: Buffers::new(4096), tape: Tape(Vec::new()) }
    }
}

/// Steps for `PriceE8` and `RateE8` values.
const E8_STEP: Step = Step::decimal_places(8);

/// A JSON object on the tape: the nodes after its header.
#[derive(Clone, Copy)]
struct Object<'t, 'i> {
    nodes: &'t [Node<'i>],
    len: usize,
}

/// Number of tape nodes a value occupies.
#[inline]
fn span(node: &Node<'_>) -> usize {
    match node {
        Node::Object { count, .. } | Node::Array { count, .. } => 1 + count,
        _ => 1,
    }
}

impl<'t, 'i> Object<'t, 'i> {
    fn at(nodes: &'t [Node<'i>], what: Field) -> Result<Object<'t, 'i>, DecodeError> {
        match nodes.first() {
            Some(Node::Object { len, count }) => {
                let body = nodes.get(1..1 + count).ok_or(DecodeError::malformed(what))?;
                Ok(Object { nodes: body, len: *len })
            }
            _ => Err(DecodeError::wrong_type(what, "object")),
        }
    }

    /// The value nodes of `key` (first occurrence), or `None`.
    fn get(&self, key: &str) -> Option<&'t [Node<'i>]> {
        let mut index = 0;
        for _ in 0..self.len {
            let name = self.nodes.get(index)?;
            let value = self.nodes.get(index + 1)?;
            let width = span(value);
            if matches!(name, Node::String(name) if *name == key) {
                return self.nodes.get(index + 1..index + 1 + width);
            }
            index += 1 + width;
        }
        None
    }

    fn required(&self, field: Field) -> Result<&'t [Node<'i>], DecodeError> {
        self.get(field.key()).ok_or(DecodeError::missing(field))
    }

    fn str(&self, field: Field) -> Result<&'i str, DecodeError> {
        match self.required(field)?.first() {
            Some(Node::String(text)) => Ok(text),
            _ => Err(DecodeError::wrong_type(field, "string")),
        }
    }

    fn u64(&self, field: Field) -> Result<u64, DecodeError> {
        match self.required(field)?.first() {
            Some(Node::Static(StaticNode::U64(value))) => Ok(*value),
            Some(Node::Static(StaticNode::I64(value))) if *value >= 0 => Ok(*value as u64),
            Some(Node::Static(StaticNode::I64(_))) => Err(DecodeError::invalid(field, "negative")),
            _ => Err(DecodeError::wrong_type(field, "unsigned integer")),
        }
    }

    fn bool(&self, field: Field) -> Result<bool, DecodeError> {
        match self.required(field)?.first() {
            Some(Node::Static(StaticNode::Bool(value))) => Ok(*value),
            _ => Err(DecodeError::wrong_type(field, "boolean")),
        }
    }

    fn millis(&self, field: Field) -> Result<Nanos, DecodeError> {
        millis_to_nanos(self.u64(field)?, field)
    }

    fn step(&self, field: Field, step: Step) -> Result<i64, DecodeError> {
        step.parse(self.str(field)?.as_bytes()).map_err(|error| DecodeError::number(field, error))
    }

    fn price(&self, field: Field, tick: Step) -> Result<Ticks, DecodeError> {
        positive_price(self.step(field, tick)?, field)
    }

    fn qty(&self, field: Field, lot: Step) -> Result<Lots, DecodeError> {
        non_negative_qty(self.step(field, lot)?, field)
    }
}

/// Exchange milliseconds to nanoseconds; zero and overflow are errors.
#[inline]
pub(super) fn millis_to_nanos(millis: u64, field: Field) -> Result<Nanos, DecodeError> {
    match i64::try_from(millis).ok().and_then(Nanos::from_millis) {
        Some(nanos) if nanos.0 > 0 => Ok(nanos),
        Some(_) => Err(DecodeError::invalid(field, "zero time")),
        None => Err(DecodeError::invalid(field, "time out of range")),
    }
}

#[inline]
pub(super) fn positive_price(ticks: i64, field: Field) -> Result<Ticks, DecodeError> {
    if ticks > 0 { Ok(Ticks(ticks)) } else { Err(DecodeError::invalid(field, "price not positive")) }
}

#[inline]
pub(super) fn non_negative_qty(lots: i64, field: Field) -> Result<Lots, DecodeError> {
    if lots >= 0 { Ok(Lots(lots)) } else { Err(DecodeError::invalid(field, "negative quantity")) }
}

impl TapeDecoder {
    /// Decodes one frame (combined-stream wrapper or bare payload). `payload` is modified in
    /// place by simd-json. `snapshot_instrument` names the instrument of a REST depth snapshot,
    /// which does not say its symbol.
    pub fn decode<'l>(
        &mut self,
        payload: &mut [u8],
        receive_time: Nanos,
        symbols: &Symbols,
        snapshot_instrument: Option<InstrumentId>,
        levels: &'l mut Levels,
    ) -> Result<Message<'l>, DecodeError> {
        // NB: `Tape::null()` allocates (it holds one node); moving the Vec out does not.
        let mut tape = Tape(std::mem::take(&mut self.tape.0)).reset();
        let result = simd_json::fill_tape(payload, &mut self.buffers, &mut tape)
            .map_err(DecodeError::json)
            .and_then(|()| decode_tape(&tape.0, receive_time, symbols, snapshot_instrument, levels));
        self.tape = tape.reset();
        result
    }
}

fn decode_tape<'l>(
    nodes: &[Node<'_>],
    receive_time: Nanos,
    symbols: &Symbols,
    snapshot_instrument: Option<InstrumentId>,
    levels: &'l mut Levels,
) -> Result<Message<'l>, DecodeError> {
    let outer = Object::at(nodes, Field::Frame)?;
    // Combined stream: {"stream": "...", "data": {...}}.
    let data = match (outer.get("stream"), outer.get("data")) {
        (Some([Node::String(_)]), Some(data)) => Object::at(data, Field::Data)?,
        (Some(_), Some(_)) => return Err(DecodeError::wrong_type(Field::Stream, "string")),
        _ => outer,
    };
    let Some(event_type) = data.get("e") else {
        if data.get("lastUpdateId").is_some() {
            return decode_snapshot(data, receive_time, symbols, snapshot_instrument, levels);
        }
        if data.get("openInterest").is_some() {
            return decode_open_interest(data, receive_time, symbols);
        }
        return Err(DecodeError::unknown_message());
    };
    let Some(Node::String(event_type)) = event_type.first() else {
        return Err(DecodeError::wrong_type(Field::EventType, "string"));
    };
    let kind = MessageKind::from_event_type(event_type.as_bytes()).ok_or(DecodeError::unknown_event_type())?;
    if kind == MessageKind::Kline {
        return Ok(Message::Ignored(kind));
    }
    if kind == MessageKind::ForceOrder {
        return decode_force_order(data, receive_time, symbols);
    }
    let (instrument, tick, lot) = symbols.resolve(data.str(Field::Symbol)?.as_bytes())?;
    let event_time = data.millis(Field::EventTime)?;
    // `T` is the transaction time, except in a mark price update, where it is the next funding
    // time (and zero for delivery contracts).
    let exchange_time = match data.get("T") {
        Some(_) if kind != MessageKind::MarkPrice => data.millis(Field::TransactionTime)?,
        _ => event_time,
    };
    let event =
        |seq: u64, kind: EventKind| Event::new(exchange_time, receive_time, Seq(seq), instrument, kind);
    match kind {
        MessageKind::DepthUpdate => {
            let first = data.u64(Field::FirstUpdateId)?;
            let last = data.u64(Field::LastUpdateId)?;
            let prev = data.u64(Field::PrevLastUpdateId)?;
            if first > last {
                return Err(DecodeError::invalid(Field::FirstUpdateId, "U > u"));
            }
            levels.clear();
            read_levels(&data, Field::Bids, tick, lot, &mut levels.bids)?;
            read_levels(&data, Field::Asks, tick, lot, &mut levels.asks)?;
            Ok(Message::Depth(DepthUpdate {
                instrument,
                exchange_time,
                receive_time,
                first_update_id: Seq(first),
                last_update_id: Seq(last),
                prev_last_update_id: Seq(prev),
                bids: &levels.bids,
                asks: &levels.asks,
            }))
        }
        MessageKind::BookTicker => {
            let update_id = data.u64(Field::LastUpdateId)?;
            let bbo = Bbo {
                bid: data.price(Field::BidPrice, tick)?,
                bid_qty: data.qty(Field::BidQty, lot)?,
                ask: data.price(Field::AskPrice, tick)?,
                ask_qty: data.qty(Field::AskQty, lot)?,
            };
            Ok(Message::Event(kind, event(update_id, EventKind::Bbo(bbo))))
        }
        MessageKind::Trade | MessageKind::AggTrade => {
            let (id_field, aggregated) = match kind {
                MessageKind::Trade => (Field::TradeId, false),
                _ => (Field::AggTradeId, true),
            };
            let id = data.u64(id_field)?;
            let qty = data.qty(Field::TradeQty, lot)?;
            if qty.0 == 0 {
                return Err(DecodeError::invalid(Field::TradeQty, "zero trade size"));
            }
            let forced = match data.get("X") {
                Some(_) => order_type_is_forced(data.str(Field::OrderType)?.as_bytes()),
                None => false,
            };
            let trade = Trade {
                price: data.price(Field::TradePrice, tick)?,
                qty,
                aggressor: aggressor(data.bool(Field::BuyerIsMaker)?),
                aggregated,
                forced,
            };
            Ok(Message::Event(kind, event(id, EventKind::Trade(trade))))
        }
        MessageKind::MarkPrice => {
            let mark = MarkPrice {
                mark: PriceE8(data.step(Field::MarkPrice, E8_STEP)?),
                index: PriceE8(data.step(Field::IndexPrice, E8_STEP)?),
                funding_rate: RateE8(data.step(Field::FundingRate, E8_STEP)?),
                next_funding_time: match data.u64(Field::NextFundingTime)? {
                    // Delivery contracts send 0: no funding.
                    0 => Nanos::ZERO,
                    millis => millis_to_nanos(millis, Field::NextFundingTime)?,
                },
            };
            // `T` here is the next funding time, not a transaction time.
            let event = Event::new(event_time, receive_time, Seq(0), instrument, EventKind::MarkPrice(mark));
            Ok(Message::Event(kind, event))
        }
        MessageKind::DepthSnapshot
        | MessageKind::OpenInterest
        | MessageKind::ForceOrder
        | MessageKind::Kline => Err(DecodeError::unknown_event_type()),
    }
}

/// Binance's `m`: "is the buyer the market maker?" — then the seller was the aggressor.
#[inline]
pub(super) fn aggressor(buyer_is_maker: bool) -> Side {
    if buyer_is_maker { Side::Ask } else { Side::Bid }
}

/// Trade stream `X` values that mark a forced print (Binance documents `MARKET`, and prints
/// `LIQUIDATION`, `INSURANCE_FUND` and `ADL` for forced flow).
#[inline]
pub(super) fn order_type_is_forced(order_type: &[u8]) -> bool {
    matches!(order_type, b"LIQUIDATION" | b"INSURANCE_FUND" | b"ADL")
}

fn read_levels(
    data: &Object<'_, '_>,
    field: Field,
    tick: Step,
    lot: Step,
    out: &mut Vec<PriceLevel>,
) -> Result<(), DecodeError> {
    let nodes = data.required(field)?;
    let Some(Node::Array { len, .. }) = nodes.first() else {
        return Err(DecodeError::wrong_type(field, "array"));
    };
    let mut index = 1;
    for _ in 0..*len {
        match nodes.get(index..index + 3) {
            Some([Node::Array { len: 2, .. }, Node::String(price), Node::String(qty)]) => {
                let price =
                    tick.parse(price.as_bytes()).map_err(|error| DecodeError::number(field, error))?;
                let qty = lot.parse(qty.as_bytes()).map_err(|error| DecodeError::number(field, error))?;
                out.push(PriceLevel {
                    price: positive_price(price, field)?,
                    qty: non_negative_qty(qty, field)?,
                });
                index += 3;
            }
            _ => return Err(DecodeError::wrong_type(field, "[price, quantity] string pairs")),
        }
    }
    Ok(())
}

fn decode_snapshot<'l>(
    data: Object<'_, '_>,
    receive_time: Nanos,
    symbols: &Symbols,
    snapshot_instrument: Option<InstrumentId>,
    levels: &'l mut Levels,
) -> Result<Message<'l>, DecodeError> {
    let instrument = snapshot_instrument.ok_or(DecodeError::no_snapshot_instrument())?;
    let (tick, lot) = symbols.steps(instrument)?;
    let last_update_id = data.u64(Field::SnapshotUpdateId)?;
    let exchange_time = if data.get("T").is_some() {
        data.millis(Field::TransactionTime)?
    } else if data.get("E").is_some() {
        data.millis(Field::EventTime)?
    } else {
        Nanos::ZERO
    };
    levels.clear();
    read_levels(&data, Field::SnapshotBids, tick, lot, &mut levels.bids)?;
    read_levels(&data, Field::SnapshotAsks, tick, lot, &mut levels.asks)?;
    Ok(Message::Snapshot(DepthSnapshot {
        instrument,
        exchange_time,
        receive_time,
        last_update_id: Seq(last_update_id),
        bids: &levels.bids,
        asks: &levels.asks,
    }))
}

fn decode_open_interest(
    data: Object<'_, '_>,
    receive_time: Nanos,
    symbols: &Symbols,
) -> Result<Message<'static>, DecodeError> {
    let (instrument, _, lot) = symbols.resolve(data.str(Field::OpenInterestSymbol)?.as_bytes())?;
    let qty = data.qty(Field::OpenInterest, lot)?;
    let time = data.millis(Field::OpenInterestTime)?;
    let event =
        Event::new(time, receive_time, Seq(0), instrument, EventKind::OpenInterest(OpenInterest { qty }));
    Ok(Message::Event(MessageKind::OpenInterest, event))
}

fn decode_force_order(
    data: Object<'_, '_>,
    receive_time: Nanos,
    symbols: &Symbols,
) -> Result<Message<'static>, DecodeError> {
    let order = Object::at(data.required(Field::Order)?, Field::Order)?;
    let (instrument, _, lot) = symbols.resolve(order.str(Field::Symbol)?.as_bytes())?;
    let side = match order.str(Field::OrderSide)? {
        "BUY" => Side::Bid,
        "SELL" => Side::Ask,
        _ => return Err(DecodeError::invalid(Field::OrderSide, "neither BUY nor SELL")),
    };
    let price = order.step(Field::OrderPrice, E8_STEP)?;
    let average_price = order.step(Field::AveragePrice, E8_STEP)?;
    if price <= 0 || average_price < 0 {
        return Err(DecodeError::invalid(Field::OrderPrice, "price not positive"));
    }
    let liquidation = Liquidation {
        side,
        price: PriceE8(price),
        average_price: PriceE8(average_price),
        qty: order.qty(Field::FilledQty, lot)?,
    };
    let time = order.millis(Field::TransactionTime)?;
    let event = Event::new(time, receive_time, Seq(0), instrument, EventKind::Liquidation(liquidation));
    Ok(Message::Event(MessageKind::ForceOrder, event))
}
