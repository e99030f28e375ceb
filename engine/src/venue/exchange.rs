//! [`SimulatedExchange`]: the matching engine of replay and paper mode, behind the [`Gateway`]
//! role.
//!
//! # Two clocks
//! Market events are processed in stream order at their exchange time (the venue's clock, kept
//! monotone as the running maximum). The quoting core lives on a local clock: it handles an
//! event at `decision = exchange time + feed latency` ([`FeedClock`]), also kept monotone.
//! - An action the core sends is stamped with the current local time and reaches the matching
//!   engine at `stamp + entry latency`. It takes effect when the market stream reaches that
//!   time: before the first market event whose exchange time is at or after the arrival.
//! - A report made at exchange time `t` (an ack at the action's arrival, a fill at the print or
//!   the book update that caused it) is delivered at `t + response latency`;
//!   [`poll_report`](Gateway::poll_report) hands out those delivered by the local time.
//!
//! Both legs are first in, first out, as on one websocket connection: an arrival (delivery) is
//! never before the previous one, whatever the latency draws.
//!
//! # Matching
//! - An arriving order joins the queue behind the displayed quantity at its price; prints and
//!   depth changes move it up as [`queue`](super::queue) says.
//! - A print at our price eats the queue ahead, then us (partially if it is smaller than what
//!   we have open). A print strictly through our price (a sell below our bid, a buy above our
//!   ask) swept our level: it executes `min(open, print size)`.
//! - A book whose best opposite price reaches ours (seen at a complete, trusted depth update or
//!   a best bid/offer) executes the rest of the order at our price.
//! - Nothing else executes a resting order. Every resting execution is maker, at our limit.
//! - Our own orders share one print in the order they arrived.
//!
//! Our executions are not replayed into the book: the displayed book stays as recorded, so a
//! fill never removes the liquidity it took, and the queue ahead of our other orders is not
//! shortened by our own executions.
//!
//! # Post-only and taking
//! With `post_only` (Binance `GTX`, the default), a new order or amendment whose price reaches
//! the best opposite price as last seen is refused (`WouldCross`); a refused amendment cancels
//! the order, as Binance does. Without it, a crossing order takes the displayed opposite levels
//! up to its price, best first, at the taker fee, and rests the rest. Since the book keeps what
//! it took, the rest is not executed by that same cross: it executes by the cross rule only once
//! the book has stopped crossing its price and crossed it again.
//!
//! # Hot path
//! After construction, events and actions allocate nothing while the orders, the in-flight
//! actions and the undelivered reports stay within their preallocated room
//! ([`ORDERS_RESERVED`], [`REQUESTS_RESERVED`], [`REPORTS_RESERVED`]); past that the queues
//! grow once. No locks, no I/O; odd input is counted in [`VenueStats`] and otherwise ignored.

use super::config::{VenueConfig, VenueError};
use super::fees::FeeSchedule;
use super::latency::{FeedClock, LatencySampler};
use super::queue::{QueueModel, on_print};
use super::stats::VenueStats;
use crate::gateway::{ExecutionReport, Fill, Gateway, Liquidity, RejectReason};
use crate::order::{ClientOrderId, OrderAction, WorkingOrder};
use feeds::{Event, EventKind, InstrumentId, Instruments, Lots, Nanos, OrderBook, Side, Ticks, Trade};
use std::collections::VecDeque;

/// Live orders the venue holds without allocating.
pub const ORDERS_RESERVED: usize = 64;
/// Actions in flight (sent, not yet arrived) held without allocating.
pub const REQUESTS_RESERVED: usize = 1_024;
/// Reports made and not yet delivered held without allocating.
pub const REPORTS_RESERVED: usize = 4_096;
/// Levels per side past each book's window held without allocating.
const BOOK_LEVELS: usize = 8_192;
/// ChaCha8 streams of the two latency legs.
const ENTRY_STREAM: u64 = 1;
const RESPONSE_STREAM: u64 = 2;

/// One of our orders as the venue sees it: the order, its fills and its queue position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenOrder {
    /// The order as it rests now (after any amendment); `qty` is its total quantity.
    pub order: WorkingOrder,
    /// Executed so far.
    pub filled: Lots,
    /// Displayed quantity estimated ahead of it at its price.
    pub queue_ahead: Lots,
}

impl OpenOrder {
    /// Quantity still open: `order.qty − filled`.
    #[inline]
    pub fn open(&self) -> Lots {
        Lots(self.order.qty.0 - self.filled.0)
    }
}

/// A live order and the queue state the models need.
#[derive(Clone, Copy, Debug)]
struct Resting {
    open: OpenOrder,
    /// Displayed quantity at our price when the level last changed (or we joined).
    level: Lots,
    /// Lots printed at our price since `level` was read.
    traded: Lots,
    /// A depth event touched our level (or cleared the book) in the update being applied.
    touched: bool,
    /// The order crossed the book when it arrived (only without post-only) and the book has
    /// not stopped crossing it since: the cross rule must not execute it again.
    crossed_on_arrival: bool,
}

/// Best prices as last seen, from a complete trusted depth update or a best bid/offer.
#[derive(Clone, Copy, Debug, Default)]
struct Top {
    bid: Option<Ticks>,
    ask: Option<Ticks>,
}

impl Top {
    /// True when an order on `side` at `price` would take: the best opposite reaches it.
    #[inline]
    fn crosses(self, side: Side, price: Ticks) -> bool {
        match side {
            Side::Bid => self.ask.is_some_and(|ask| ask <= price),
            Side::Ask => self.bid.is_some_and(|bid| bid >= price),
        }
    }
}

/// The venue's own view of one instrument.
#[derive(Clone, Debug)]
struct Market {
    book: OrderBook,
    top: Top,
}

#[derive(Clone, Copy, Debug)]
struct Request {
    arrival: Nanos,
    action: OrderAction,
}

#[derive(Clone, Copy, Debug)]
struct Delivery {
    at: Nanos,
    report: ExecutionReport,
}

/// The simulated exchange: matches our orders against the recorded market with queue
/// position, latency and fees. Deterministic: the same config, instruments, events and
/// actions give the same reports.
#[derive(Clone, Debug)]
pub struct SimulatedExchange {
    queue: QueueModel,
    post_only: bool,
    fees: FeeSchedule,
    /// By instrument id.
    markets: Vec<Market>,
    /// In arrival order (which is time priority between our own orders).
    orders: Vec<Resting>,
    /// Invariant: arrivals are non-decreasing front to back.
    requests: VecDeque<Request>,
    /// Invariant: delivery times are non-decreasing front to back.
    reports: VecDeque<Delivery>,
    /// Levels a taking order walks; reused.
    walk: Vec<(Ticks, Lots)>,
    entry: LatencySampler,
    response: LatencySampler,
    feed: FeedClock,
    /// Running maximum of the exchange times seen.
    exchange_now: Nanos,
    /// Running maximum of the decision times (exchange time + feed latency).
    local_now: Nanos,
    last_arrival: Nanos,
    last_delivery: Nanos,
    stats: VenueStats,
}

impl SimulatedExchange {
    /// A venue for `instruments` (each gets its own book, empty and untrusted until a snapshot
    /// arrives in the stream), set up by `config` after validating it.
    pub fn new(config: &VenueConfig, instruments: &Instruments) -> Result<SimulatedExchange, VenueError> {
        config.validate()?;
        let markets = (0..instruments.len())
            .map(|_| Market { book: OrderBook::with_capacity(BOOK_LEVELS), top: Top::default() })
            .collect();
        Ok(SimulatedExchange {
            queue: QueueModel::from_config(&config.queue),
            post_only: config.post_only,
            fees: FeeSchedule::new(config.maker_fee_bps, config.taker_fee_bps, instruments),
            markets,
            orders: Vec::with_capacity(ORDERS_RESERVED),
            requests: VecDeque::with_capacity(REQUESTS_RESERVED),
            reports: VecDeque::with_capacity(REPORTS_RESERVED),
            walk: Vec::with_capacity(BOOK_LEVELS),
            entry: LatencySampler::new(config.entry_latency, config.seed, ENTRY_STREAM),
            response: LatencySampler::new(config.response_latency, config.seed, RESPONSE_STREAM),
            feed: FeedClock::new(config.feed_latency, config.feed_latency_floor_us),
            exchange_now: Nanos(0),
            local_now: Nanos(0),
            last_arrival: Nanos(0),
            last_delivery: Nanos(0),
            stats: VenueStats::default(),
        })
    }

    /// Counters so far.
    #[inline]
    pub fn stats(&self) -> VenueStats {
        self.stats
    }

    /// The venue's clock: the latest exchange time seen.
    #[inline]
    pub fn exchange_time(&self) -> Nanos {
        self.exchange_now
    }

    /// Our clock: the latest decision time (exchange time + feed latency). Actions sent now are
    /// stamped with it.
    #[inline]
    pub fn local_time(&self) -> Nanos {
        self.local_now
    }

    /// The live orders, in arrival order.
    pub fn open_orders(&self) -> impl ExactSizeIterator<Item = OpenOrder> + '_ {
        self.orders.iter().map(|resting| resting.open)
    }

    /// The queue ahead of our live order `client_id`; `None` if it is not live at the venue
    /// (not arrived yet, filled, cancelled, refused).
    pub fn queue_ahead(&self, client_id: ClientOrderId) -> Option<Lots> {
        self.find(client_id).map(|index| self.orders[index].open.queue_ahead)
    }

    /// The venue's book of `instrument`.
    pub fn book(&self, instrument: InstrumentId) -> Option<&OrderBook> {
        self.markets.get(instrument.index()).map(|market| &market.book)
    }

    /// Actions sent that have not reached the matching engine yet.
    #[inline]
    pub fn in_flight(&self) -> usize {
        self.requests.len()
    }

    /// Reports made that have not been handed out yet (delivered or not).
    #[inline]
    pub fn undelivered(&self) -> usize {
        self.reports.len()
    }

    fn find(&self, client_id: ClientOrderId) -> Option<usize> {
        self.orders.iter().position(|resting| resting.open.order.client_id == client_id)
    }

    /// Carries out the actions that have arrived by `now` (exchange time), in order.
    fn arrive_until(&mut self, now: Nanos) {
        while let Some(&Request { arrival, action }) = self.requests.front() {
            if arrival > now {
                break;
            }
            self.requests.pop_front();
            self.arrive(arrival, action);
        }
    }

    fn arrive(&mut self, time: Nanos, action: OrderAction) {
        match action {
            OrderAction::New(order) => {
                self.stats.orders += 1;
                self.place(time, action, order);
            }
            OrderAction::Cancel(order) => {
                self.stats.cancels += 1;
                match self.find(order.client_id) {
                    Some(index) => {
                        self.orders.remove(index);
                        self.accept(time, action);
                    }
                    None => self.reject(time, action, RejectReason::UnknownOrder),
                }
            }
            OrderAction::Replace { old, new } => {
                self.stats.replaces += 1;
                self.amend(time, action, old.client_id, new);
            }
        }
    }

    fn place(&mut self, time: Nanos, action: OrderAction, order: WorkingOrder) {
        let Some(market) = self.markets.get(order.instrument.index()) else {
            return self.reject(time, action, RejectReason::InvalidOrder);
        };
        if order.price.0 <= 0 || order.qty.0 <= 0 {
            return self.reject(time, action, RejectReason::InvalidOrder);
        }
        if self.find(order.client_id).is_some() {
            return self.reject(time, action, RejectReason::DuplicateId);
        }
        let crosses = market.top.crosses(order.side, order.price);
        if crosses && self.post_only {
            return self.reject(time, action, RejectReason::WouldCross);
        }
        let level = market.book.qty_at(order.side, order.price);
        self.orders.push(Resting {
            open: OpenOrder { order, filled: Lots(0), queue_ahead: level },
            level,
            traded: Lots(0),
            touched: false,
            crossed_on_arrival: crosses,
        });
        self.accept(time, action);
        if crosses {
            self.take(self.orders.len() - 1);
        }
    }

    fn amend(&mut self, time: Nanos, action: OrderAction, client_id: ClientOrderId, new: WorkingOrder) {
        let Some(index) = self.find(client_id) else {
            return self.reject(time, action, RejectReason::UnknownOrder);
        };
        let current = self.orders[index].open;
        let same_order = new.client_id == client_id
            && new.instrument == current.order.instrument
            && new.side == current.order.side;
        if !same_order || new.price.0 <= 0 || new.qty.0 <= 0 {
            // Binance keeps the order as it was when an amendment fails its filters.
            return self.reject(time, action, RejectReason::InvalidOrder);
        }
        if new.qty.0 <= current.filled.0 {
            // Binance cancels an order amended to no more than it has executed.
            self.orders.remove(index);
            return self.reject(time, action, RejectReason::InvalidOrder);
        }
        let market = &self.markets[new.instrument.index()];
        let crosses = market.top.crosses(new.side, new.price);
        if crosses && self.post_only {
            // A GTX amendment that would take cancels the order (Binance "Modify Order").
            self.orders.remove(index);
            return self.reject(time, action, RejectReason::WouldCross);
        }
        let level = market.book.qty_at(new.side, new.price);
        // Amended in place: same id and fills, re-queued at the back of its (new) price.
        self.orders[index] = Resting {
            open: OpenOrder { order: new, filled: current.filled, queue_ahead: level },
            level,
            traded: Lots(0),
            touched: false,
            crossed_on_arrival: crosses,
        };
        self.accept(time, action);
        if crosses {
            self.take(index);
        }
    }

    /// Order `index` crossed on arrival (without post-only): it takes the displayed opposite
    /// levels up to its price, best first.
    fn take(&mut self, index: usize) {
        let order = self.orders[index].open.order;
        let mut walk = std::mem::take(&mut self.walk);
        walk.clear();
        let market = &self.markets[order.instrument.index()];
        if market.book.is_trusted() {
            let opposite = order.side.opposite();
            let reaches = |price: Ticks| match order.side {
                Side::Bid => price <= order.price,
                Side::Ask => price >= order.price,
            };
            let mut want = self.orders[index].open.open().0;
            for (price, qty) in market.book.top(opposite, usize::MAX) {
                if want <= 0 || !reaches(price) {
                    break;
                }
                let take = qty.0.min(want);
                if take > 0 {
                    walk.push((price, Lots(take)));
                    want -= take;
                }
            }
        }
        for &(price, qty) in &walk {
            self.execute(index, price, qty.0, Liquidity::Taker);
        }
        self.walk = walk;
        self.sweep();
    }

    fn accept(&mut self, time: Nanos, action: OrderAction) {
        self.stats.accepted += 1;
        self.report(time, ExecutionReport::Accepted { time, action });
    }

    fn reject(&mut self, time: Nanos, action: OrderAction, reason: RejectReason) {
        self.stats.rejects.count(reason);
        self.report(time, ExecutionReport::Rejected { time, action, reason });
    }

    /// Queues a report made at exchange time `time` for delivery after the response latency.
    fn report(&mut self, time: Nanos, report: ExecutionReport) {
        let at = Nanos(time.0.saturating_add(self.response.sample())).max(self.last_delivery);
        self.last_delivery = at;
        self.reports.push_back(Delivery { at, report });
    }

    /// Executes `qty` lots (already capped at what is open) of order `index` at `price`, now.
    fn execute(&mut self, index: usize, price: Ticks, qty: i64, liquidity: Liquidity) {
        let resting = &mut self.orders[index];
        resting.open.filled.0 += qty;
        let order = resting.open.order;
        let leaves = resting.open.open();
        let fee = self.fees.fee(order.instrument, price, Lots(qty), liquidity);
        let stats = &mut self.stats;
        stats.fills += 1;
        stats.fees = stats.fees.saturating_add(fee);
        match liquidity {
            Liquidity::Maker => {
                stats.maker_fills += 1;
                stats.maker_lots = stats.maker_lots.saturating_add(qty);
            }
            Liquidity::Taker => {
                stats.taker_fills += 1;
                stats.taker_lots = stats.taker_lots.saturating_add(qty);
            }
        }
        let time = self.exchange_now;
        self.report(
            time,
            ExecutionReport::Filled(Fill {
                time,
                instrument: order.instrument,
                client_id: order.client_id,
                side: order.side,
                price,
                qty: Lots(qty),
                leaves,
                liquidity,
                fee,
            }),
        );
    }

    /// Forgets fully executed orders, keeping arrival order.
    fn sweep(&mut self) {
        self.orders.retain(|resting| resting.open.open().0 > 0);
    }

    fn on_trade(&mut self, instrument: InstrumentId, trade: Trade) {
        if trade.qty.0 <= 0 || trade.price.0 <= 0 {
            self.stats.ignored_events += 1;
            return;
        }
        let side = trade.aggressor.opposite();
        let mut used = 0;
        for index in 0..self.orders.len() {
            let resting = &mut self.orders[index];
            let order = resting.open.order;
            if order.instrument != instrument || order.side != side {
                continue;
            }
            let available = trade.qty.0 - used;
            let reach = if trade.price == order.price {
                resting.traded.0 = resting.traded.0.saturating_add(trade.qty.0);
                let (front, past) = on_print(resting.open.queue_ahead, trade.qty);
                resting.open.queue_ahead = front;
                past.0.min(available)
            } else if through(side, order.price, trade.price) {
                resting.open.queue_ahead = Lots(0);
                available
            } else {
                continue;
            };
            let qty = reach.min(resting.open.open().0);
            if qty > 0 {
                used += qty;
                self.execute(index, order.price, qty, Liquidity::Maker);
            }
        }
        self.sweep();
    }

    /// A book update of `instrument` completed: move the queues of the orders whose level it
    /// touched, refresh the best prices, and execute what the book now crosses.
    fn on_update_complete(&mut self, instrument: InstrumentId) {
        let market = &mut self.markets[instrument.index()];
        if !market.book.is_trusted() {
            self.stats.untrusted_updates += 1;
            return;
        }
        for resting in self.orders.iter_mut().filter(|r| r.touched && r.open.order.instrument == instrument) {
            let order = resting.open.order;
            let displayed = market.book.qty_at(order.side, order.price);
            resting.open.queue_ahead =
                self.queue.on_depth(resting.open.queue_ahead, resting.level, resting.traded, displayed);
            resting.level = displayed;
            resting.traded = Lots(0);
            resting.touched = false;
        }
        market.top =
            Top { bid: market.book.best_bid().map(|(p, _)| p), ask: market.book.best_ask().map(|(p, _)| p) };
        self.execute_crossed(instrument);
    }

    /// Executes, at their limit, the orders of `instrument` that the best prices reach.
    fn execute_crossed(&mut self, instrument: InstrumentId) {
        let top = self.markets[instrument.index()].top;
        for index in 0..self.orders.len() {
            let resting = &mut self.orders[index];
            let order = resting.open.order;
            if order.instrument != instrument {
                continue;
            }
            let crossed = top.crosses(order.side, order.price);
            if resting.crossed_on_arrival {
                resting.crossed_on_arrival = crossed;
                continue;
            }
            let open = resting.open.open().0;
            if crossed && open > 0 {
                resting.open.queue_ahead = Lots(0);
                self.stats.cross_fills += 1;
                self.execute(index, order.price, open, Liquidity::Maker);
            }
        }
        self.sweep();
    }

    fn on_book_event(&mut self, event: &Event, kind: EventKind) {
        let instrument = event.instrument;
        let market = &mut self.markets[instrument.index()];
        if market.book.apply(event).is_err() {
            self.stats.book_errors += 1;
        }
        let last = match kind {
            EventKind::BookLevel(level) => {
                for resting in &mut self.orders {
                    let order = resting.open.order;
                    if order.instrument == instrument
                        && order.side == level.side
                        && order.price == level.price
                    {
                        resting.touched = true;
                    }
                }
                level.last
            }
            EventKind::BookClear(clear) => {
                for resting in self.orders.iter_mut().filter(|r| r.open.order.instrument == instrument) {
                    resting.touched = true;
                }
                clear.last
            }
            _ => false,
        };
        if last {
            self.on_update_complete(instrument);
        }
    }
}

/// True when a print at `print` on the other side went strictly through our `price` on `side`.
#[inline]
fn through(side: Side, price: Ticks, print: Ticks) -> bool {
    match side {
        Side::Bid => print < price,
        Side::Ask => print > price,
    }
}

impl Gateway for SimulatedExchange {
    /// Stamps `action` with the local time; it reaches the matching engine after the entry
    /// latency. The message bytes are not read (the encoder is tested on its own).
    fn send(&mut self, action: &OrderAction, _message: &[u8]) {
        self.stats.sent += 1;
        let arrival = Nanos(self.local_now.0.saturating_add(self.entry.sample())).max(self.last_arrival);
        self.last_arrival = arrival;
        self.requests.push_back(Request { arrival, action: *action });
    }

    fn on_market(&mut self, event: &Event) {
        let time = event.exchange_time;
        if time > self.exchange_now {
            self.exchange_now = time;
        }
        self.arrive_until(self.exchange_now);
        if let Some(latency) = self.feed.latency(time, event.receive_time) {
            self.local_now = self.local_now.max(Nanos(time.0.saturating_add(latency)));
        }
        let kind = event.kind();
        if matches!(kind, EventKind::FrameEnd(_)) {
            return;
        }
        if event.instrument.index() >= self.markets.len() {
            self.stats.ignored_events += 1;
            return;
        }
        match kind {
            EventKind::BookLevel(_) | EventKind::BookClear(_) | EventKind::FeedStatus(_) => {
                self.on_book_event(event, kind);
            }
            EventKind::Bbo(bbo) => {
                let top = Top {
                    bid: (bbo.bid.0 > 0 && bbo.bid_qty.0 > 0).then_some(bbo.bid),
                    ask: (bbo.ask.0 > 0 && bbo.ask_qty.0 > 0).then_some(bbo.ask),
                };
                if top.bid.zip(top.ask).is_some_and(|(bid, ask)| bid >= ask) {
                    // A crossed best bid/offer is not a market anyone could trade on.
                    self.stats.ignored_events += 1;
                    return;
                }
                self.markets[event.instrument.index()].top = top;
                self.execute_crossed(event.instrument);
            }
            EventKind::Trade(trade) => self.on_trade(event.instrument, trade),
            EventKind::Liquidation(_)
            | EventKind::MarkPrice(_)
            | EventKind::OpenInterest(_)
            | EventKind::Options(_)
            | EventKind::FrameEnd(_) => {}
        }
    }

    fn poll_report(&mut self) -> Option<ExecutionReport> {
        match self.reports.front() {
            Some(delivery) if delivery.at <= self.local_now => self.reports.pop_front().map(|d| d.report),
            _ => None,
        }
    }
}
