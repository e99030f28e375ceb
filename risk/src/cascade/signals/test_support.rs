//! Helpers shared by the unit tests of the signals: BTCUSDT's tick and lot, times from the
//! BTCUSDT recording's start, and events built from prices in USDT and sizes in BTC.

use feeds::{
    Event, EventKind, InstrumentId, Liquidation, Lots, MarkPrice, Nanos, OpenInterest, PriceE8, RateE8, Seq,
    Side, Ticks, Trade,
};

use super::units::{E8, NANOS_PER_SEC};
use super::{CascadeSignals, SignalsConfig};
use crate::cascade::{CascadeSignal, SignalReading};

/// BTCUSDT's tick and lot.
pub(super) const TICK: f64 = 0.1;
pub(super) const LOT: f64 = 0.001;
/// 2024-08-08 23:54:16 UTC, the BTCUSDT recording's start: any time works, a real one reads better.
pub(super) const T0: i64 = 1_723_161_256 * Nanos::PER_SECOND;

pub(super) fn at(seconds: f64) -> Nanos {
    Nanos(T0 + (seconds * NANOS_PER_SEC).round() as i64)
}

pub(super) fn event(seconds: f64, kind: EventKind) -> Event {
    Event::new(at(seconds), at(seconds), Seq(0), InstrumentId(0), kind)
}

/// A long liquidated for `btc` at `price` USDT.
pub(super) fn liquidation(seconds: f64, btc: f64, price: f64) -> Event {
    let e8 = PriceE8((price * E8).round() as i64);
    let qty = Lots((btc / LOT).round() as i64);
    event(seconds, EventKind::Liquidation(Liquidation { side: Side::Ask, price: e8, average_price: e8, qty }))
}

pub(super) fn mark(seconds: f64, mark: f64, index: f64, funding: f64) -> Event {
    event(
        seconds,
        EventKind::MarkPrice(MarkPrice {
            mark: PriceE8((mark * E8).round() as i64),
            index: PriceE8((index * E8).round() as i64),
            funding_rate: RateE8((funding * E8).round() as i64),
            next_funding_time: at(28_800.0),
        }),
    )
}

pub(super) fn open_interest(seconds: f64, btc: f64) -> Event {
    event(seconds, EventKind::OpenInterest(OpenInterest { qty: Lots((btc / LOT).round() as i64) }))
}

pub(super) fn trade(seconds: f64, price: f64) -> Event {
    let price = Ticks((price / TICK).round() as i64);
    event(
        seconds,
        EventKind::Trade(Trade {
            price,
            qty: Lots(1),
            aggressor: Side::Ask,
            aggregated: false,
            forced: false,
        }),
    )
}

pub(super) fn signals() -> CascadeSignals {
    CascadeSignals::new(&SignalsConfig::default(), TICK, LOT)
}

pub(super) fn reading(signals: &mut CascadeSignals, seconds: f64, signal: CascadeSignal) -> SignalReading {
    *signals.inputs(at(seconds)).reading(signal)
}

pub(super) fn close(actual: f64, expected: f64, tolerance: f64) {
    assert!((actual - expected).abs() <= tolerance, "{actual} is not {expected} ± {tolerance}");
}
