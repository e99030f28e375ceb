//! [`BybitDecoder`]: one Bybit v5 public linear frame in, events and a [`BybitMessage`] out.
//!
//! Why a DOM (`simd_json::BorrowedValue`) rather than the Binance scanner: this is a slow lane
//! (liquidations, tickers a few times a second), and `data` changes shape by topic (an object
//! for tickers, an array for trades and liquidations). Decoding allocates; it is never on the
//! feed thread.
//!
//! `tickers` state: Bybit sends a snapshot on subscribe, then deltas with only the fields that
//! changed ("Ticker": "...the delta message only contains the fields that have changed"). The
//! decoder keeps each symbol's last known mark, index, funding rate, next funding time and open
//! interest, merges every delta into it, and pushes a [`MarkPrice`] once all four of its fields
//! are known and one of them changed, and an [`OpenInterest`] when open interest changed.

use super::wire::{BybitMessage, IgnoredTopic, OpReply, VENUE};
use crate::event::{Event, EventKind, EventSink, Liquidation, MarkPrice, OpenInterest, Trade};
use crate::fixed::{FixedError, Step};
use crate::instrument::Instruments;
use crate::units::{InstrumentId, Lots, Nanos, PriceE8, RateE8, Seq, Side, Ticks};
use simd_json::BorrowedValue;
use simd_json::prelude::*;

/// 10⁻⁸: the grid of [`PriceE8`] and [`RateE8`].
const E8_STEP: Step = Step::decimal_places(8);

/// Why a Bybit frame did not decode. Frames are independent: the next one decodes normally.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BybitError {
    /// Not JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// Neither a topic frame nor an operation reply.
    #[error("not a Bybit v5 public frame (no \"topic\" or \"op\")")]
    UnknownFrame,
    /// A topic this decoder does not know.
    #[error("unknown topic {0:?}")]
    UnknownTopic(String),
    /// A required field is absent or of the wrong JSON type.
    #[error("{topic}: field \"{field}\" is missing or not a {expected}")]
    Field {
        /// The frame's topic.
        topic: String,
        /// The field.
        field: &'static str,
        /// The JSON type expected.
        expected: &'static str,
    },
    /// A decimal string is not an exact count of its step.
    #[error("{topic}: field \"{field}\" = {value:?}: {source}")]
    Number {
        /// The frame's topic.
        topic: String,
        /// The field.
        field: &'static str,
        /// The text.
        value: String,
        /// Why.
        source: FixedError,
    },
    /// A field's value is impossible (an unknown side, a time out of range).
    #[error("{topic}: field \"{field}\": {reason}")]
    Invalid {
        /// The frame's topic.
        topic: String,
        /// The field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The symbol is not a configured `bybit-linear` instrument.
    #[error("{topic}: symbol {symbol:?} is not a configured {VENUE} instrument")]
    UnknownInstrument {
        /// The frame's topic.
        topic: String,
        /// The symbol.
        symbol: String,
    },
}

/// Last known `tickers` facts of one symbol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct TickerState {
    mark: Option<PriceE8>,
    index: Option<PriceE8>,
    funding_rate: Option<RateE8>,
    next_funding_time: Option<Nanos>,
    open_interest: Option<Lots>,
}

/// Decodes Bybit v5 public linear frames into [`Event`]s of `bybit-linear` instruments.
pub struct BybitDecoder {
    instruments: Instruments,
    /// Indexed by [`InstrumentId::index`]; `None` until the symbol's first ticker.
    tickers: Vec<Option<TickerState>>,
}

impl BybitDecoder {
    /// A decoder for the `bybit-linear` instruments of `instruments` (others are ignored).
    pub fn new(instruments: Instruments) -> BybitDecoder {
        let tickers = vec![None; instruments.len()];
        BybitDecoder { instruments, tickers }
    }

    /// The instrument registry.
    pub fn instruments(&self) -> &Instruments {
        &self.instruments
    }

    /// Forgets every symbol's ticker state (after a reconnect Bybit sends fresh snapshots).
    pub fn reset(&mut self) {
        self.tickers.iter_mut().for_each(|state| *state = None);
    }

    /// Decodes one frame, pushing its events into `sink`. `payload` is parsed in place.
    /// `receive_time` is stamped on every event. On error nothing is pushed for the frame
    /// (except liquidations and trades before the bad element of an array).
    pub fn decode(
        &mut self,
        payload: &mut [u8],
        receive_time: Nanos,
        sink: &mut impl EventSink,
    ) -> Result<BybitMessage, BybitError> {
        let value =
            simd_json::to_borrowed_value(payload).map_err(|error| BybitError::Json(error.to_string()))?;
        if let Some(topic) = value.get("topic").and_then(|topic| topic.as_str()) {
            let topic = topic.to_owned();
            let context = Context { topic: &topic, value: &value };
            return self.decode_topic(&context, receive_time, sink);
        }
        if let Some(op) = value.get("op").and_then(|op| op.as_str()) {
            let success = value.get("success").and_then(|success| success.as_bool()).unwrap_or(true);
            let ret_msg = value.get("ret_msg").and_then(|message| message.as_str()).unwrap_or("");
            // "How to Send the Heartbeat Packet": linear answers {"op":"pong"}; spot answers
            // {"op":"ping","ret_msg":"pong"}.
            let reply = match op {
                "subscribe" => OpReply::Subscribe { success },
                "pong" => OpReply::Pong,
                "ping" if ret_msg == "pong" => OpReply::Pong,
                "unsubscribe" => OpReply::Unsubscribe,
                _ => OpReply::Other,
            };
            return Ok(BybitMessage::Reply(reply));
        }
        Err(BybitError::UnknownFrame)
    }

    fn decode_topic(
        &mut self,
        frame: &Context<'_, '_>,
        receive_time: Nanos,
        sink: &mut impl EventSink,
    ) -> Result<BybitMessage, BybitError> {
        let (name, symbol) = frame.topic.rsplit_once('.').unwrap_or((frame.topic, ""));
        let name = name.split('.').next().unwrap_or(name);
        match name {
            "orderbook" => Ok(BybitMessage::Ignored(IgnoredTopic::OrderBook)),
            "kline" => Ok(BybitMessage::Ignored(IgnoredTopic::Kline)),
            "tickers" => self.ticker(frame, symbol, receive_time, sink),
            "publicTrade" => self.trades(frame, receive_time, sink),
            "allLiquidation" => self.liquidations(frame, receive_time, sink),
            _ => Err(BybitError::UnknownTopic(frame.topic.to_owned())),
        }
    }

    fn instrument(&self, frame: &Context<'_, '_>, symbol: &str) -> Result<InstrumentId, BybitError> {
        self.instruments.find(VENUE, symbol).ok_or_else(|| BybitError::UnknownInstrument {
            topic: frame.topic.to_owned(),
            symbol: symbol.to_owned(),
        })
    }

    /// The instrument an array entry of `data` names in its `s`.
    fn entry_instrument(
        &self,
        frame: &Context<'_, '_>,
        entry: &BorrowedValue<'_>,
    ) -> Result<(InstrumentId, &crate::instrument::Instrument), BybitError> {
        let id = self.instrument(frame, frame.string(entry, "s")?)?;
        let instrument = self.instruments.get(id).ok_or_else(|| frame.field("s", "known symbol"))?;
        Ok((id, instrument))
    }

    /// "Ticker": `data` is an object; `ts` is the frame time; `cs` the cross sequence.
    fn ticker(
        &mut self,
        frame: &Context<'_, '_>,
        topic_symbol: &str,
        receive_time: Nanos,
        sink: &mut impl EventSink,
    ) -> Result<BybitMessage, BybitError> {
        let data = frame
            .value
            .get("data")
            .filter(|data| data.is_object())
            .ok_or_else(|| frame.field("data", "object"))?;
        let symbol = data.get("symbol").and_then(|symbol| symbol.as_str()).unwrap_or(topic_symbol);
        let id = self.instrument(frame, symbol)?;
        let instrument = self.instruments.get(id).ok_or_else(|| frame.field("symbol", "known symbol"))?;
        let snapshot = match frame.value.get("type").and_then(|kind| kind.as_str()) {
            Some("snapshot") => true,
            Some("delta") => false,
            _ => return Err(frame.field("type", "\"snapshot\" or \"delta\"")),
        };
        let exchange_time = frame.millis(frame.value.get("ts"), "ts")?;
        let seq = Seq(frame.value.get("cs").and_then(|cs| cs.as_u64()).unwrap_or(0));
        // Parse everything first, so a bad field leaves the state as it was.
        let mark = frame.decimal(data, "markPrice", E8_STEP)?.map(PriceE8);
        let index = frame.decimal(data, "indexPrice", E8_STEP)?.map(PriceE8);
        let funding_rate = frame.decimal(data, "fundingRate", E8_STEP)?.map(RateE8);
        let next_funding_time = match data.get("nextFundingTime") {
            None => None,
            Some(value) => Some(frame.millis(Some(value), "nextFundingTime")?),
        };
        let open_interest = frame.decimal(data, "openInterest", instrument.lot)?.map(Lots);

        let slot = self.tickers.get_mut(id.index()).ok_or_else(|| frame.field("symbol", "known symbol"))?;
        let before = if snapshot { TickerState::default() } else { slot.unwrap_or_default() };
        let mut after = before;
        after.mark = mark.or(before.mark);
        after.index = index.or(before.index);
        after.funding_rate = funding_rate.or(before.funding_rate);
        after.next_funding_time = next_funding_time.or(before.next_funding_time);
        after.open_interest = open_interest.or(before.open_interest);
        let previous = slot.unwrap_or_default();
        *slot = Some(after);

        let funding_changed = (after.mark, after.index, after.funding_rate, after.next_funding_time)
            != (previous.mark, previous.index, previous.funding_rate, previous.next_funding_time)
            || snapshot;
        let mut pushed_mark = false;
        if funding_changed
            && let (Some(mark), Some(index), Some(funding_rate), Some(next_funding_time)) =
                (after.mark, after.index, after.funding_rate, after.next_funding_time)
        {
            let body = MarkPrice { mark, index, funding_rate, next_funding_time };
            sink.push(Event::new(exchange_time, receive_time, seq, id, EventKind::MarkPrice(body)));
            pushed_mark = true;
        }
        let mut pushed_open_interest = false;
        if let Some(qty) = after.open_interest
            && (snapshot || after.open_interest != previous.open_interest)
        {
            let body = OpenInterest { qty };
            sink.push(Event::new(exchange_time, receive_time, seq, id, EventKind::OpenInterest(body)));
            pushed_open_interest = true;
        }
        Ok(BybitMessage::Ticker { snapshot, mark: pushed_mark, open_interest: pushed_open_interest })
    }

    /// "Trade": `data` is an array of `{"T","s","S","v","p","i","seq",..}`; `S` is the taker's
    /// side.
    fn trades(
        &mut self,
        frame: &Context<'_, '_>,
        receive_time: Nanos,
        sink: &mut impl EventSink,
    ) -> Result<BybitMessage, BybitError> {
        let data = frame.data_array()?;
        for trade in data {
            let (id, instrument) = self.entry_instrument(frame, trade)?;
            let price = frame.required_decimal(trade, "p", instrument.tick)?;
            let qty = frame.required_decimal(trade, "v", instrument.lot)?;
            let aggressor = frame.side(trade)?;
            let exchange_time = frame.millis(trade.get("T"), "T")?;
            let seq = Seq(trade.get("seq").and_then(|seq| seq.as_u64()).unwrap_or(0));
            let body =
                Trade { price: Ticks(price), qty: Lots(qty), aggressor, aggregated: false, forced: false };
            sink.push(Event::new(exchange_time, receive_time, seq, id, EventKind::Trade(body)));
        }
        Ok(BybitMessage::Trades(data.len()))
    }

    /// "All Liquidation": `data` is an array of `{"T","s","S","v","p"}`. `S` is the side of
    /// the liquidated *position*: the doc says "When you receive a `Buy` update, this means
    /// that a long position has been liquidated". A liquidated long is closed by a forced sell,
    /// so `Buy` becomes a [`Liquidation`] on [`Side::Ask`] (the side of the forced order, as
    /// Binance's `forceOrder` reports it), and `Sell` becomes [`Side::Bid`]. `p` is the
    /// bankruptcy price; Bybit sends no separate fill price, so it is both prices.
    fn liquidations(
        &mut self,
        frame: &Context<'_, '_>,
        receive_time: Nanos,
        sink: &mut impl EventSink,
    ) -> Result<BybitMessage, BybitError> {
        let data = frame.data_array()?;
        for liquidation in data {
            let (id, instrument) = self.entry_instrument(frame, liquidation)?;
            let price = PriceE8(frame.required_decimal(liquidation, "p", E8_STEP)?);
            let qty = Lots(frame.required_decimal(liquidation, "v", instrument.lot)?);
            let position_side = frame.side(liquidation)?;
            let exchange_time = frame.millis(liquidation.get("T"), "T")?;
            let body = Liquidation { side: position_side.opposite(), price, average_price: price, qty };
            sink.push(Event::new(exchange_time, receive_time, Seq(0), id, EventKind::Liquidation(body)));
        }
        Ok(BybitMessage::Liquidations(data.len()))
    }
}

/// A frame being decoded, for field access with error context.
struct Context<'frame, 'value> {
    topic: &'frame str,
    value: &'frame BorrowedValue<'value>,
}

impl<'frame, 'value> Context<'frame, 'value> {
    /// `data` as an array (trades, liquidations).
    fn data_array(&self) -> Result<&'frame Vec<BorrowedValue<'value>>, BybitError> {
        self.value.get("data").and_then(|data| data.as_array()).ok_or_else(|| self.field("data", "array"))
    }

    fn field(&self, field: &'static str, expected: &'static str) -> BybitError {
        BybitError::Field { topic: self.topic.to_owned(), field, expected }
    }

    fn invalid(&self, field: &'static str, reason: &'static str) -> BybitError {
        BybitError::Invalid { topic: self.topic.to_owned(), field, reason }
    }

    fn string<'object>(
        &self,
        object: &'object BorrowedValue<'_>,
        field: &'static str,
    ) -> Result<&'object str, BybitError> {
        object.get(field).and_then(|value| value.as_str()).ok_or_else(|| self.field(field, "string"))
    }

    /// An optional decimal string on `step`; `""` counts as absent (Bybit sends empty strings
    /// for fields a contract does not have).
    fn decimal(
        &self,
        object: &BorrowedValue<'_>,
        field: &'static str,
        step: Step,
    ) -> Result<Option<i64>, BybitError> {
        let Some(value) = object.get(field) else { return Ok(None) };
        let text = value.as_str().ok_or_else(|| self.field(field, "decimal string"))?;
        if text.is_empty() {
            return Ok(None);
        }
        step.parse(text.as_bytes()).map(Some).map_err(|source| BybitError::Number {
            topic: self.topic.to_owned(),
            field,
            value: text.to_owned(),
            source,
        })
    }

    fn required_decimal(
        &self,
        object: &BorrowedValue<'_>,
        field: &'static str,
        step: Step,
    ) -> Result<i64, BybitError> {
        self.decimal(object, field, step)?.ok_or_else(|| self.field(field, "decimal string"))
    }

    /// Milliseconds since the epoch, as a JSON integer or a decimal string.
    fn millis(&self, value: Option<&BorrowedValue<'_>>, field: &'static str) -> Result<Nanos, BybitError> {
        let value = value.ok_or_else(|| self.field(field, "millisecond time"))?;
        let millis = match value.as_i64() {
            Some(millis) => millis,
            None => value
                .as_str()
                .and_then(|text| text.parse::<i64>().ok())
                .ok_or_else(|| self.field(field, "millisecond time"))?,
        };
        if millis <= 0 {
            return Err(self.invalid(field, "time is not positive"));
        }
        Nanos::from_millis(millis).ok_or_else(|| self.invalid(field, "time out of range"))
    }

    /// `S`: `"Buy"` is [`Side::Bid`], `"Sell"` is [`Side::Ask`].
    fn side(&self, object: &BorrowedValue<'_>) -> Result<Side, BybitError> {
        match self.string(object, "S")? {
            "Buy" => Ok(Side::Bid),
            "Sell" => Ok(Side::Ask),
            _ => Err(self.invalid("S", "side is neither \"Buy\" nor \"Sell\"")),
        }
    }
}
