//! What the market looks like to the strategy, updated event by event.
//!
//! - [`Signals`]: a `Copy` snapshot of everything the signals know: the top of the book, its mid
//!   and imbalance-weighted microprice, the last trade, forced flow and the LFWM lean,
//!   toxicity, volatility, fitted fill intensities, and the latest exchange time seen. This is
//!   what [`FairValue`](crate::FairValue) and [`SpreadPolicy`](crate::SpreadPolicy)
//!   implementations read, and what an explanation prints.
//! - [`SignalEngine`]: keeps [`Signals`] current. Feed it every event of the instrument, after
//!   the event has been applied to the [`OrderBook`], with [`SignalEngine::on_event`].
//!
//! Per event, in order: time advances (a taker burst 100 ms old is closed; toxicity samples
//! its grid); a best bid/offer print refreshes the reference mid for measuring how far takers
//! reach; a trade joins a [`TakerBurst`] and feeds VPIN and intensity;
//! a liquidation enters the forced-flow record; at the end of a book update the top is re-read
//! and feeds volatility, order-flow imbalance and the LFWM lean. A closed burst feeds forced
//! flow (sweeps), toxicity (sweep depth, crossing) and the fill-intensity fit. Everything is
//! allocated when the engine is built; nothing per event.

use crate::arrivals::{ArrivalFit, ArrivalReading};
use crate::config::{MicropriceKind, StrategyConfig};
use crate::forced_flow::{ForcedFlow, ForcedFlowReading};
use crate::scale::Scale;
use crate::stoikov::StoikovMicroprice;
use crate::taker::{BurstDetector, TakerBurst};
use crate::toxicity::{Toxicity, ToxicityReading};
use crate::volatility::{Volatility, VolatilityReading};
use feeds::{Event, EventKind, Lots, Nanos, OrderBook, Side, Ticks};

/// The top of the book as the strategy saw it at the last completed, trusted book update.
///
/// Invariant: `bid < ask`, `bid_qty > 0`, `ask_qty > 0` (a trusted book is never crossed at the
/// end of an update, and a level with zero quantity does not exist).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TopOfBook {
    /// Best bid price.
    pub bid: Ticks,
    /// Quantity at the best bid.
    pub bid_qty: Lots,
    /// Best ask price.
    pub ask: Ticks,
    /// Quantity at the best ask.
    pub ask_qty: Lots,
}

impl TopOfBook {
    /// The top of `book`, if both sides have levels and it is not crossed.
    #[inline]
    pub fn of(book: &OrderBook) -> Option<TopOfBook> {
        let ((bid, bid_qty), (ask, ask_qty)) = (book.best_bid()?, book.best_ask()?);
        (bid < ask && bid_qty.0 > 0 && ask_qty.0 > 0).then_some(TopOfBook { bid, bid_qty, ask, ask_qty })
    }

    /// `(bid + ask) / 2`, in ticks.
    #[inline]
    pub fn mid(&self) -> f64 {
        (self.bid.0 as f64 + self.ask.0 as f64) / 2.0
    }

    /// Queue imbalance `I = Qb / (Qb + Qa)`, in `[0, 1]`: 1 when all the size is on the bid.
    #[inline]
    pub fn imbalance(&self) -> f64 {
        let bid = self.bid_qty.0 as f64;
        let total = bid + self.ask_qty.0 as f64;
        if total > 0.0 { bid / total } else { 0.5 }
    }

    /// Stoikov's imbalance-weighted mid: `bid + I · (ask − bid)`, in ticks. Lies in
    /// `[bid, ask]`; leans toward the ask when the bid queue is the larger (buyers are waiting,
    /// so the next move is more likely up).
    #[inline]
    pub fn microprice(&self) -> f64 {
        let bid = self.bid.0 as f64;
        let ask = self.ask.0 as f64;
        // Clamped so that rounding in the product can never leave the spread.
        (bid + self.imbalance() * (ask - bid)).clamp(bid, ask)
    }
}

/// The last trade print seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LastTrade {
    /// Price.
    pub price: Ticks,
    /// Size.
    pub qty: Lots,
    /// Side of the aggressor (`Bid`: a buyer lifted the offer).
    pub aggressor: Side,
    /// Exchange time of the print.
    pub time: Nanos,
}

/// Everything the signals know, at one point of the event stream. Prices are in ticks of the
/// instrument, `f64` where fractional.
///
/// The book-derived fields (`top`, `mid`, `imbalance`, `microprice`) change only at the end of
/// an exchange update (an event with [`Event::is_last_of_update`]), when the book is consistent,
/// and are `None` while the book is untrusted (before its snapshot, after a gap) or has an
/// empty side. They can be stale by however long the book has gone without an update; the risk
/// gate, not the signals, decides when that is too long.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Signals {
    /// Best bid and ask and their sizes, from the book.
    pub top: Option<TopOfBook>,
    /// `(bid + ask) / 2`. `Some` exactly when `top` is.
    pub mid: Option<f64>,
    /// Queue imbalance `Qb / (Qb + Qa)` in `[0, 1]`. `Some` exactly when `top` is.
    pub imbalance: Option<f64>,
    /// The microprice the config names ([`MicropriceKind`]): by default the imbalance-weighted
    /// mid `bid + I · (ask − bid)`, within `[bid, ask]`; with `stoikov`, `mid + g*(I, S)` once
    /// its table is fitted (the weighted mid before). `Some` exactly when `top` is.
    pub microprice: Option<f64>,
    /// The imbalance-weighted mid, whichever microprice the config names. `Some` exactly when
    /// `top` is.
    pub weighted_microprice: Option<f64>,
    /// Stoikov's adjustment `g*(I, S)` for the current top, in ticks; `None` until its table is
    /// fitted, without a top, or when the config uses the weighted microprice (the table is
    /// then not estimated).
    pub stoikov_adjustment: Option<f64>,
    /// The last trade, from any time since the engine was created.
    pub last_trade: Option<LastTrade>,
    /// The latest exchange time of any event seen; zero before the first. Never decreases:
    /// the venue's streams (book, ticker, trades) are stamped by different clocks and arrive
    /// slightly out of order, and the strategy's notion of "now" must not go backwards.
    pub exchange_time: Nanos,
    /// Times `top` was refreshed from a trusted, two-sided book (at the end of each update).
    pub book_updates: u64,
    /// Forced flow: mean price, intensity, lean weight and the LFWM lean, side pressures.
    pub forced: ForcedFlowReading,
    /// The toxicity score and its components.
    pub toxicity: ToxicityReading,
    /// Volatility estimates (log-return std per √second).
    pub volatility: VolatilityReading,
    /// Fill intensity `A·e^(−kδ)` fitted from taker bursts.
    pub arrivals: ArrivalReading,
    /// Taker bursts completed.
    pub bursts: u64,
}

/// Keeps [`Signals`] current from events and the book.
#[derive(Clone, Debug)]
pub struct SignalEngine {
    signals: Signals,
    scale: Scale,
    bursts: BurstDetector,
    forced: ForcedFlow,
    toxicity: Toxicity,
    volatility: Volatility,
    arrivals: ArrivalFit,
    stoikov: StoikovMicroprice,
    microprice_kind: MicropriceKind,
    /// The freshest mid before a trade, for measuring how far a taker burst reached: the
    /// exchange's best bid/offer print or the book's top, whichever is newer, with its time.
    reference_mid: Option<(Nanos, f64)>,
}

impl SignalEngine {
    /// An engine that knows nothing yet, for an instrument of this `scale`. Allocates every
    /// history it will keep. `config` must validate.
    pub fn new(config: &StrategyConfig, scale: Scale) -> SignalEngine {
        let mut engine = SignalEngine {
            signals: Signals::default(),
            scale,
            bursts: BurstDetector::new(),
            forced: ForcedFlow::new(&config.lfwm, scale),
            toxicity: Toxicity::new(&config.toxicity, scale),
            volatility: Volatility::new(&config.volatility),
            arrivals: ArrivalFit::new(&config.arrivals),
            stoikov: StoikovMicroprice::new(&config.stoikov),
            microprice_kind: config.microprice,
            reference_mid: None,
        };
        engine.publish();
        engine
    }

    /// Takes one event, which the caller has already applied to `book`.
    ///
    /// At the last event of a book update, and at any event that can change the book's trust
    /// (a feed status, a clear), the top of the book is re-read: from `book` if it is trusted,
    /// else cleared. Every event's exchange time advances [`Signals::exchange_time`] and the
    /// time-driven signals.
    #[inline]
    pub fn on_event(&mut self, event: &Event, book: &OrderBook) {
        if event.exchange_time > self.signals.exchange_time {
            self.signals.exchange_time = event.exchange_time;
        }
        let now = self.signals.exchange_time;
        if let Some(burst) = self.bursts.on_time(now) {
            self.on_burst(&burst);
        }
        self.toxicity.on_time(now);
        self.arrivals.on_time(now);
        match event.kind() {
            EventKind::Trade(trade) => {
                self.signals.last_trade = Some(LastTrade {
                    price: trade.price,
                    qty: trade.qty,
                    aggressor: trade.aggressor,
                    time: event.exchange_time,
                });
                let mid = self.reference_mid.map(|(_, mid)| mid);
                if let Some(burst) = self.bursts.on_trade(event.exchange_time, &trade, mid, &self.scale) {
                    self.on_burst(&burst);
                }
                self.toxicity.on_trade(event.exchange_time, &trade);
            }
            // The ticker stream leads the depth stream by tens of milliseconds (median 24 ms on
            // the BTCUSDT recording): its mid is the better reference for a trade.
            EventKind::Bbo(bbo)
                if bbo.bid < bbo.ask
                    && self.reference_mid.is_none_or(|(time, _)| event.exchange_time >= time) =>
            {
                let mid = (bbo.bid.0 as f64 + bbo.ask.0 as f64) / 2.0;
                self.reference_mid = Some((event.exchange_time, mid));
            }
            EventKind::Liquidation(liquidation) => {
                self.forced.on_liquidation(event.exchange_time, &liquidation);
                self.forced.update(now, self.signals.microprice);
            }
            EventKind::BookLevel(_) | EventKind::BookClear(_) if event.is_last_of_update() => {
                self.refresh_top(book);
            }
            EventKind::Options(options) => {
                let short_iv = options.short_iv.0 as f64 / feeds::E8 as f64;
                self.volatility.on_implied(event.exchange_time, short_iv);
            }
            EventKind::BookClear(_) | EventKind::FeedStatus(_) => self.refresh_top(book),
            _ => {}
        }
        self.publish();
    }

    /// One of our own orders filled (`side` is our order's side), with the half-spread we were
    /// quoting, in ticks: feeds the markout component of toxicity.
    pub fn on_own_fill(&mut self, time: Nanos, side: Side, price: Ticks, qty: Lots, half_spread: f64) {
        self.toxicity.on_own_fill(time, side, price, qty, half_spread);
        self.publish();
    }

    /// A liquidation of the same underlying on another venue (`price`, `quantity` in quote and
    /// base units; `scale` that venue's multiplier): forced flow aggregates across venues.
    pub fn on_venue_liquidation(&mut self, time: Nanos, side: Side, price: f64, quantity: f64, scale: f64) {
        self.forced.on_venue_liquidation(time, side, price, quantity, scale);
        self.forced.update(self.signals.exchange_time, self.signals.microprice);
        self.publish();
    }

    /// An implied volatility (annualised, a fraction: 0.5 is 50 %) from an options feed, to
    /// blend into the volatility estimate.
    pub fn on_implied_volatility(&mut self, time: Nanos, annualised: f64) {
        self.volatility.on_implied(time, annualised);
        self.publish();
    }

    fn on_burst(&mut self, burst: &TakerBurst) {
        self.signals.bursts += 1;
        self.forced.on_burst(burst);
        self.toxicity.on_burst(burst);
        self.arrivals.on_burst(burst);
        self.forced.update(self.signals.exchange_time, self.signals.microprice);
    }

    fn refresh_top(&mut self, book: &OrderBook) {
        let now = self.signals.exchange_time;
        let signals = &mut self.signals;
        let top = if book.is_trusted() { TopOfBook::of(book) } else { None };
        signals.top = top;
        signals.mid = top.map(|top| top.mid());
        signals.imbalance = top.map(|top| top.imbalance());
        signals.weighted_microprice = top.map(|top| top.microprice());
        // The table is estimated only when the quotes use it: its refit is a small matrix solve
        // every few seconds, on the event path.
        if self.microprice_kind == MicropriceKind::Stoikov {
            match top {
                Some(top) => self.stoikov.on_top(now, &top),
                None => self.stoikov.on_reset(),
            }
            signals.stoikov_adjustment = top.and_then(|top| self.stoikov.adjustment(&top));
        }
        signals.microprice = match (self.microprice_kind, signals.stoikov_adjustment) {
            (MicropriceKind::Stoikov, Some(adjustment)) => signals.mid.map(|mid| mid + adjustment),
            _ => signals.weighted_microprice,
        };
        match top {
            Some(top) if self.reference_mid.is_none_or(|(time, _)| now >= time) => {
                self.reference_mid = Some((now, top.mid()));
            }
            Some(_) => {}
            None => self.reference_mid = None,
        }
        if let Some(top) = top {
            signals.book_updates += 1;
            // Volatility and toxicity measure the market, not our model of it: the weighted
            // microprice, whichever one the quotes are built from.
            let microprice = top.microprice();
            self.volatility.on_microprice(now, microprice);
            self.toxicity.on_top(now, &top, microprice);
        }
        self.forced.update(now, signals.microprice);
    }

    /// Copies the readings into [`Signals`].
    #[inline]
    fn publish(&mut self) {
        let signals = &mut self.signals;
        signals.forced = *self.forced.reading();
        signals.toxicity = *self.toxicity.reading();
        signals.volatility = *self.volatility.reading();
        signals.arrivals = *self.arrivals.reading();
    }

    /// What the signals know now.
    #[inline]
    pub fn signals(&self) -> &Signals {
        &self.signals
    }

    /// The instrument's scale.
    #[inline]
    pub fn scale(&self) -> Scale {
        self.scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use feeds::{BookClear, BookLevel, ClearReason, FeedCondition, FeedStatus, InstrumentId, Seq, Trade};

    fn event(time: i64, kind: EventKind) -> Event {
        Event::new(Nanos(time), Nanos(time), Seq(1), InstrumentId(0), kind)
    }

    fn level(side: Side, price: i64, qty: i64, last: bool) -> Event {
        event(
            10,
            EventKind::BookLevel(BookLevel {
                side,
                price: Ticks(price),
                qty: Lots(qty),
                last,
                snapshot: true,
            }),
        )
    }

    /// Loads a two-level snapshot into `book` and `engine`, event by event.
    fn load(book: &mut OrderBook, engine: &mut SignalEngine, bid: (i64, i64), ask: (i64, i64)) {
        let events = [
            event(10, EventKind::BookClear(BookClear { reason: ClearReason::Snapshot, last: false })),
            level(Side::Bid, bid.0, bid.1, false),
            level(Side::Ask, ask.0, ask.1, true),
        ];
        for event in &events {
            book.apply(event).unwrap();
            engine.on_event(event, book);
        }
    }

    #[test]
    fn microprice_leans_toward_the_thinner_side() {
        // Bid 100 × 3, ask 102 × 1: I = 3/4, microprice = 100 + 0.75 × 2 = 101.5, above the mid
        // (101) because the bid queue is the larger.
        let top = TopOfBook { bid: Ticks(100), bid_qty: Lots(3), ask: Ticks(102), ask_qty: Lots(1) };
        assert_eq!(top.mid(), 101.0);
        assert_eq!(top.imbalance(), 0.75);
        assert_eq!(top.microprice(), 101.5);
        // Mirror image: the ask queue is the larger, the microprice sits below the mid.
        let top = TopOfBook { bid_qty: Lots(1), ask_qty: Lots(3), ..top };
        assert_eq!(top.microprice(), 100.5);
        // Equal queues: the microprice is the mid.
        let top = TopOfBook { bid_qty: Lots(7), ask_qty: Lots(7), ..top };
        assert_eq!(top.microprice(), top.mid());
    }

    #[test]
    fn the_top_appears_only_once_the_snapshot_completes() {
        let mut book = OrderBook::with_capacity(16);
        let mut engine = SignalEngine::new(&StrategyConfig::default(), Scale::default());
        assert_eq!(engine.signals().top, None);

        let clear = event(10, EventKind::BookClear(BookClear { reason: ClearReason::Snapshot, last: false }));
        book.apply(&clear).unwrap();
        engine.on_event(&clear, &book);
        let bid = level(Side::Bid, 100, 3, false);
        book.apply(&bid).unwrap();
        engine.on_event(&bid, &book);
        // Mid-snapshot: one side only, untrusted; nothing known yet.
        assert_eq!(engine.signals().top, None);

        let ask = level(Side::Ask, 102, 1, true);
        book.apply(&ask).unwrap();
        engine.on_event(&ask, &book);
        let signals = engine.signals();
        assert_eq!(signals.top.map(|top| (top.bid, top.ask)), Some((Ticks(100), Ticks(102))));
        assert_eq!(signals.microprice, Some(101.5));
        assert_eq!(signals.mid, Some(101.0));
        assert_eq!(signals.book_updates, 1);
    }

    #[test]
    fn a_gap_forgets_the_top_and_a_trade_is_remembered() {
        let mut book = OrderBook::with_capacity(16);
        let mut engine = SignalEngine::new(&StrategyConfig::default(), Scale::default());
        load(&mut book, &mut engine, (100, 3), (102, 1));

        let trade = event(
            30,
            EventKind::Trade(Trade {
                price: Ticks(102),
                qty: Lots(1),
                aggressor: Side::Bid,
                aggregated: false,
                forced: false,
            }),
        );
        book.apply(&trade).unwrap();
        engine.on_event(&trade, &book);
        assert_eq!(
            engine.signals().last_trade,
            Some(LastTrade { price: Ticks(102), qty: Lots(1), aggressor: Side::Bid, time: Nanos(30) })
        );

        let gap = event(
            20,
            EventKind::FeedStatus(FeedStatus {
                condition: FeedCondition::Gap,
                expected: Seq(1),
                received: Seq(3),
            }),
        );
        book.apply(&gap).unwrap();
        engine.on_event(&gap, &book);
        let signals = engine.signals();
        assert_eq!((signals.top, signals.microprice), (None, None));
        // The gap's exchange time (20) is older than the trade's (30): time does not go back.
        assert_eq!(signals.exchange_time, Nanos(30));
    }
}
