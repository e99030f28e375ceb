//! Events, limits, intents and markets shared by the gate's unit tests.

use super::{MarketContext, RiskGate};
use crate::intent::OrderIntent;
use crate::limits::RiskLimits;
use feeds::{
    Bbo, BookClear, BookLevel, ClearReason, Event, EventKind, FeedCondition, FeedStatus, InstrumentId, Lots,
    Nanos, Seq, Side, Ticks, Trade,
};

pub(super) const MS: i64 = Nanos::PER_MILLI;

/// An event at `time_ms`, received at the same time.
pub(super) fn event(time_ms: i64, kind: EventKind) -> Event {
    received(time_ms, time_ms, kind)
}

/// An event the exchange stamped at `exchange_ms` and we received at `receive_ms`.
pub(super) fn received(exchange_ms: i64, receive_ms: i64, kind: EventKind) -> Event {
    Event::new(Nanos(exchange_ms * MS), Nanos(receive_ms * MS), Seq(1), InstrumentId(0), kind)
}

pub(super) const BBO: EventKind =
    EventKind::Bbo(Bbo { bid: Ticks(999), bid_qty: Lots(1), ask: Ticks(1001), ask_qty: Lots(1) });

pub(super) fn bbo(time_ms: i64) -> Event {
    event(time_ms, BBO)
}

pub(super) fn trade(exchange_ms: i64, receive_ms: i64) -> Event {
    let trade =
        Trade { price: Ticks(1000), qty: Lots(1), aggressor: Side::Bid, aggregated: false, forced: false };
    received(exchange_ms, receive_ms, EventKind::Trade(trade))
}

pub(super) fn status(time_ms: i64, condition: FeedCondition) -> Event {
    event(time_ms, EventKind::FeedStatus(FeedStatus { condition, expected: Seq(1), received: Seq(2) }))
}

pub(super) fn clear(time_ms: i64, reason: ClearReason, last: bool) -> Event {
    event(time_ms, EventKind::BookClear(BookClear { reason, last }))
}

pub(super) fn level(time_ms: i64, last: bool, snapshot: bool) -> Event {
    event(
        time_ms,
        EventKind::BookLevel(BookLevel { side: Side::Bid, price: Ticks(999), qty: Lots(1), last, snapshot }),
    )
}

/// Limits of 10 lots position, 5 per order, 100 bps band, 1 s of book age; the rest default
/// (250 ms of lag, 1 s of silence, kill after 10 s of stale data, 4 open orders).
pub(super) fn limits() -> RiskLimits {
    RiskLimits {
        max_position: Lots(10),
        max_order_qty: Lots(5),
        price_band_bps: 100.0,
        max_book_age: Nanos(1000 * MS),
        ..RiskLimits::default()
    }
}

/// A gate with [`limits`] that has seen a best bid/offer at 0 ms.
pub(super) fn gate() -> RiskGate {
    gate_with(limits())
}

pub(super) fn gate_with(limits: RiskLimits) -> RiskGate {
    let mut gate = RiskGate::new(limits);
    gate.on_event(&bbo(0));
    gate
}

pub(super) fn buy(price: i64, qty: i64) -> OrderIntent {
    OrderIntent { instrument: InstrumentId(0), side: Side::Bid, price: Ticks(price), qty: Lots(qty) }
}

pub(super) fn sell(price: i64, qty: i64) -> OrderIntent {
    OrderIntent { side: Side::Ask, ..buy(price, qty) }
}

/// Trusted book, 0.5 s after the last book update, fair value 1000, flat.
pub(super) fn market() -> MarketContext {
    MarketContext { book_trusted: true, now: Nanos(500 * MS), fair_value: 1000.0, position: Lots(0) }
}
