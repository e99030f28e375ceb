//! The simulated exchange, scenario by scenario: queue position, what fills and what does not,
//! fees, latency, post-only, cancels and amendments; then invariants over the real BTCUSDT
//! recording, and no allocation once warm.
//!
//! Synthetic scenarios run on BTCUSDT (tick 0.1, lot 0.001) with zero feed latency and 1 ms
//! entry and response latencies unless they say otherwise. Times are microseconds after `T0`.

use engine::account::Account;
use engine::gateway::{ExecutionReport, Fill, Gateway, Liquidity, RejectReason};
use engine::order::{ClientOrderId, OrderAction, WorkingOrder};
use engine::venue::{
    FeedLatency, LatencyModel, QueueConfig, QueueModelKind, QueueShape, SimulatedExchange, VenueConfig,
};
use feeds::{
    Bbo, BookClear, BookLevel, ClearReason, Event, EventKind, FrameEnd, InstrumentId, Lots, MarkPrice, Nanos,
    OrderBook, PriceE8, RateE8, Seq, Side, Ticks, Trade,
};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::OnceLock;
use testkit::replay::{BTCUSDT, Replay, instruments};
use testkit::thread_allocations;

#[global_allocator]
static ALLOCATOR: testkit::CountingAllocator = testkit::CountingAllocator;

/// 2024-08-08 23:54:15 UTC, the recording's first second.
const T0: i64 = 1_723_161_255_000_000_000;

fn config() -> VenueConfig {
    VenueConfig {
        feed_latency: FeedLatency::ConstantUs(0),
        entry_latency: LatencyModel::Constant { us: 1_000 },
        response_latency: LatencyModel::Constant { us: 1_000 },
        ..VenueConfig::default()
    }
}

fn probabilistic(config: VenueConfig) -> VenueConfig {
    VenueConfig {
        queue: QueueConfig { model: QueueModelKind::Probabilistic, shape: QueueShape::Power, power: 2.0 },
        ..config
    }
}

fn order(sequence: u32, side: Side, price: i64, qty: i64) -> WorkingOrder {
    WorkingOrder {
        instrument: BTCUSDT,
        client_id: ClientOrderId::new(7, sequence),
        side,
        price: Ticks(price),
        qty: Lots(qty),
    }
}

/// A venue fed event by event, with every report it hands back.
struct Harness {
    venue: SimulatedExchange,
    reports: Vec<ExecutionReport>,
    seq: u64,
}

impl Harness {
    fn new(config: VenueConfig) -> Harness {
        Harness {
            venue: SimulatedExchange::new(&config, &instruments()).unwrap(),
            reports: Vec::new(),
            seq: 0,
        }
    }

    /// A market event at `at_us`, received `late_us` later by the recorder's clock.
    fn event_received(&mut self, instrument: InstrumentId, at_us: i64, late_us: i64, kind: EventKind) {
        self.seq += 1;
        let time = Nanos(T0 + at_us * 1_000);
        let event = Event::new(time, Nanos(time.0 + late_us * 1_000), Seq(self.seq), instrument, kind);
        self.venue.on_market(&event);
        while let Some(report) = self.venue.poll_report() {
            self.reports.push(report);
        }
    }

    fn event(&mut self, at_us: i64, kind: EventKind) {
        self.event_received(BTCUSDT, at_us, 0, kind);
    }

    /// A market event that changes nothing for matching: it only moves time.
    fn tick(&mut self, at_us: i64) {
        let mark = MarkPrice {
            mark: PriceE8(1),
            index: PriceE8(1),
            funding_rate: RateE8(0),
            next_funding_time: Nanos(0),
        };
        self.event(at_us, EventKind::MarkPrice(mark));
    }

    fn snapshot(&mut self, at_us: i64, bids: &[(i64, i64)], asks: &[(i64, i64)]) {
        self.event(at_us, EventKind::BookClear(BookClear { reason: ClearReason::Snapshot, last: false }));
        let levels: Vec<(Side, i64, i64)> = bids
            .iter()
            .map(|&(price, qty)| (Side::Bid, price, qty))
            .chain(asks.iter().map(|&(price, qty)| (Side::Ask, price, qty)))
            .collect();
        self.levels(at_us, &levels, true);
    }

    fn diff(&mut self, at_us: i64, levels: &[(Side, i64, i64)]) {
        self.levels(at_us, levels, false);
    }

    fn levels(&mut self, at_us: i64, levels: &[(Side, i64, i64)], snapshot: bool) {
        for (index, &(side, price, qty)) in levels.iter().enumerate() {
            let last = index + 1 == levels.len();
            self.event(
                at_us,
                EventKind::BookLevel(BookLevel { side, price: Ticks(price), qty: Lots(qty), last, snapshot }),
            );
        }
    }

    fn trade(&mut self, at_us: i64, aggressor: Side, price: i64, qty: i64) {
        let trade =
            Trade { price: Ticks(price), qty: Lots(qty), aggressor, aggregated: false, forced: false };
        self.event(at_us, EventKind::Trade(trade));
    }

    fn bbo(&mut self, at_us: i64, bid: i64, ask: i64) {
        self.event(
            at_us,
            EventKind::Bbo(Bbo { bid: Ticks(bid), bid_qty: Lots(1), ask: Ticks(ask), ask_qty: Lots(1) }),
        );
    }

    fn send(&mut self, action: OrderAction) {
        self.venue.send(&action, b"");
    }

    fn ahead(&self, order: &WorkingOrder) -> Option<i64> {
        self.venue.queue_ahead(order.client_id).map(Lots::get)
    }

    fn fills(&self) -> Vec<Fill> {
        self.reports
            .iter()
            .filter_map(|report| match report {
                ExecutionReport::Filled(fill) => Some(*fill),
                _ => None,
            })
            .collect()
    }

    fn rejects(&self) -> Vec<RejectReason> {
        self.reports
            .iter()
            .filter_map(|report| match report {
                ExecutionReport::Rejected { reason, .. } => Some(*reason),
                _ => None,
            })
            .collect()
    }
}

/// Best bid 61,700.0 × 10, then 61,699.9 × 7; best ask 61,700.1 × 8, then 61,700.2 × 4.
fn standard_book(harness: &mut Harness) {
    harness.snapshot(0, &[(617_000, 10), (616_999, 7)], &[(617_001, 8), (617_002, 4)]);
}

/// The standard book, and `bid` (placed at t = 0) resting from t = 1 ms.
fn resting(config: VenueConfig, bid: WorkingOrder) -> Harness {
    let mut harness = Harness::new(config);
    standard_book(&mut harness);
    harness.send(OrderAction::New(bid));
    harness.tick(1_000);
    harness
}

#[test]
fn an_order_joins_behind_the_displayed_quantity() {
    let mut harness = Harness::new(config());
    standard_book(&mut harness);
    let (first, second, third) =
        (order(1, Side::Bid, 617_000, 5), order(2, Side::Bid, 616_999, 1), order(3, Side::Ask, 617_005, 1));
    for o in [first, second, third] {
        harness.send(OrderAction::New(o));
    }
    assert_eq!(harness.ahead(&first), None, "not arrived yet");
    harness.tick(1_000);
    assert_eq!(harness.ahead(&first), Some(10));
    assert_eq!(harness.ahead(&second), Some(7));
    // A price with nothing displayed: first in line.
    assert_eq!(harness.ahead(&third), Some(0));
    assert_eq!(harness.venue.open_orders().count(), 3);
}

#[test]
fn risk_averse_queue_moves_only_on_prints_and_is_capped_at_the_display() {
    let bid = order(1, Side::Bid, 617_000, 5);
    let mut harness = resting(config(), bid);
    assert_eq!(harness.ahead(&bid), Some(10));
    harness.diff(2_000, &[(Side::Bid, 617_000, 20)]); // ten join behind us
    assert_eq!(harness.ahead(&bid), Some(10));
    harness.diff(3_000, &[(Side::Bid, 617_000, 14)]); // six cancel: from behind, says the model
    assert_eq!(harness.ahead(&bid), Some(10));
    harness.trade(4_000, Side::Ask, 617_000, 3); // a print eats the front
    assert_eq!(harness.ahead(&bid), Some(7));
    harness.diff(5_000, &[(Side::Bid, 617_000, 11)]); // the print, as the depth shows it
    assert_eq!(harness.ahead(&bid), Some(7));
    harness.diff(6_000, &[(Side::Bid, 617_000, 5)]); // no more than 5 can be ahead
    assert_eq!(harness.ahead(&bid), Some(5));
    assert!(harness.fills().is_empty());
}

#[test]
fn probabilistic_queue_takes_its_share_of_cancels() {
    let bid = order(1, Side::Bid, 617_000, 5);
    let mut harness = resting(probabilistic(config()), bid);
    harness.diff(2_000, &[(Side::Bid, 617_000, 20)]);
    assert_eq!(harness.ahead(&bid), Some(10));
    // 10 ahead, 10 behind, 6 cancel: p = 10² / (10² + 10²) = ½ from behind, 3 from ahead.
    harness.diff(3_000, &[(Side::Bid, 617_000, 14)]);
    assert_eq!(harness.ahead(&bid), Some(7));
    harness.trade(4_000, Side::Ask, 617_000, 3);
    assert_eq!(harness.ahead(&bid), Some(4));
    // 14 − 3 printed = 11: the depth update explains nothing more, so nobody moves.
    harness.diff(5_000, &[(Side::Bid, 617_000, 11)]);
    assert_eq!(harness.ahead(&bid), Some(4));
    // 4 ahead, 7 behind, 6 cancel: p = 49 / (49 + 16) = 0.754; ahead loses 0.246 × 6 = 1.5 → 1.
    harness.diff(6_000, &[(Side::Bid, 617_000, 5)]);
    assert_eq!(harness.ahead(&bid), Some(3));
    assert!(harness.fills().is_empty());
}

#[test]
fn partial_fills_reconcile_with_the_account_to_the_last_digit() {
    let bid = order(1, Side::Bid, 617_000, 5);
    let mut harness = resting(config(), bid);
    harness.trade(2_000, Side::Ask, 617_000, 12); // 10 ahead, 2 reach us
    assert_eq!(harness.ahead(&bid), Some(0));
    harness.trade(3_000, Side::Ask, 617_000, 1);
    harness.trade(4_000, Side::Ask, 617_000, 4); // 2 left open: the rest of the print is not ours
    harness.tick(10_000);
    let fills = harness.fills();
    let executed: Vec<(i64, i64)> = fills.iter().map(|fill| (fill.qty.0, fill.leaves.0)).collect();
    assert_eq!(executed, [(2, 3), (1, 2), (2, 0)]);
    assert!(fills.iter().all(|fill| fill.price == Ticks(617_000) && fill.liquidity == Liquidity::Maker));
    assert_eq!(harness.venue.queue_ahead(bid.client_id), None, "fully filled orders leave");

    let mut account =
        Account::new(feeds::Step::from_text("0.1").unwrap(), feeds::Step::from_text("0.001").unwrap());
    for fill in &fills {
        account.apply(fill);
    }
    // Bought 0.005 BTC at 61,700.0 = 308.5 USDT, and paid 2 bps of it: 0.0617.
    assert_eq!(account.position(), Lots(5));
    assert_eq!(account.fees(), Decimal::new(617, 4));
    assert_eq!(account.cash(), Decimal::new(-3_085_617, 4));
    assert_eq!(harness.venue.stats().fees, account.fees());
    assert_eq!(harness.venue.stats().maker_lots, 5);
}

#[test]
fn the_ask_side_fills_from_buyers() {
    let ask = order(1, Side::Ask, 617_001, 3);
    let mut harness = resting(config(), ask);
    assert_eq!(harness.ahead(&ask), Some(8));
    harness.trade(2_000, Side::Ask, 617_001, 50); // sellers cannot fill a sell
    harness.trade(3_000, Side::Bid, 617_001, 9); // 8 ahead, 1 reaches us
    harness.trade(4_000, Side::Bid, 617_003, 5); // through our price: the rest
    harness.tick(10_000);
    let executed: Vec<(i64, i64, Side)> =
        harness.fills().iter().map(|f| (f.qty.0, f.leaves.0, f.side)).collect();
    assert_eq!(executed, [(1, 2, Side::Ask), (2, 0, Side::Ask)]);
}

#[test]
fn prints_that_do_not_reach_our_price_never_fill() {
    let bid = order(1, Side::Bid, 617_000, 5);
    let mut harness = resting(config(), bid);
    harness.trade(2_000, Side::Bid, 617_000, 100); // buyers lifting at our price: not our side
    harness.trade(3_000, Side::Ask, 617_001, 100); // sellers above our bid: did not reach it
    harness.trade(4_000, Side::Ask, 617_000, 10); // exactly the queue ahead
    harness.tick(10_000);
    assert!(harness.fills().is_empty());
    assert_eq!(harness.ahead(&bid), Some(0));
    // A print through our price reaches us, whatever the queue.
    harness.trade(11_000, Side::Ask, 616_998, 2);
    // The best ask coming down to our bid: the rest, at our price.
    harness.bbo(12_000, 616_999, 617_000);
    harness.tick(20_000);
    let executed: Vec<(i64, i64, i64)> =
        harness.fills().iter().map(|f| (f.qty.0, f.leaves.0, f.price.0)).collect();
    assert_eq!(executed, [(2, 3, 617_000), (3, 0, 617_000)]);
    assert_eq!(harness.venue.stats().cross_fills, 1);
}

#[test]
fn a_depth_update_crossing_our_price_fills_at_our_price() {
    let ask = order(1, Side::Ask, 617_001, 4);
    let mut harness = resting(config(), ask);
    // The ask level goes, a bid appears at 617,002 and the best ask is now 617,003: a buyer
    // paid more than our offer.
    harness.diff(2_000, &[(Side::Ask, 617_001, 0), (Side::Ask, 617_003, 5), (Side::Ask, 617_002, 0)]);
    assert!(harness.venue.open_orders().len() == 1, "an ask level leaving does not fill us");
    harness.diff(3_000, &[(Side::Bid, 617_002, 4)]);
    harness.tick(10_000);
    let executed: Vec<(i64, i64, Liquidity)> =
        harness.fills().iter().map(|f| (f.qty.0, f.price.0, f.liquidity)).collect();
    assert_eq!(executed, [(4, 617_001, Liquidity::Maker)]);
}

#[test]
fn a_maker_rebate_is_credited_exactly() {
    let config = VenueConfig { maker_fee_bps: Decimal::new(-1, 0), ..config() };
    let bid = order(1, Side::Bid, 617_000, 5);
    let mut harness = resting(config, bid);
    harness.trade(2_000, Side::Ask, 616_990, 5);
    harness.tick(10_000);
    let fills = harness.fills();
    assert_eq!(fills.len(), 1);
    // −1 bp of 308.5 USDT = −0.03085.
    assert_eq!(fills[0].fee, Decimal::new(-3_085, 5));
    assert_eq!(harness.venue.stats().fees, Decimal::new(-3_085, 5));
}

#[test]
fn without_post_only_a_crossing_order_takes_at_the_taker_fee_and_rests_the_rest() {
    let config = VenueConfig { post_only: false, ..config() };
    let mut harness = Harness::new(config);
    standard_book(&mut harness);
    // Buy 15 up to 61,700.2: takes 8 at 61,700.1 and 4 at 61,700.2, rests 3.
    let bid = order(1, Side::Bid, 617_002, 15);
    harness.send(OrderAction::New(bid));
    harness.tick(1_000);
    harness.bbo(2_000, 617_000, 617_001); // the book still shows what we took: no second fill
    harness.tick(5_000);
    let taken: Vec<(i64, i64, i64, Liquidity, Decimal)> =
        harness.fills().iter().map(|f| (f.price.0, f.qty.0, f.leaves.0, f.liquidity, f.fee)).collect();
    assert_eq!(
        taken,
        [
            // 61,700.1 × 0.008 = 493.6008; 5 bps = 0.2468004.
            (617_001, 8, 7, Liquidity::Taker, Decimal::new(2_468_004, 7)),
            // 61,700.2 × 0.004 = 246.8008; 5 bps = 0.1234004.
            (617_002, 4, 3, Liquidity::Taker, Decimal::new(1_234_004, 7)),
        ]
    );
    assert_eq!(harness.ahead(&bid), Some(0));
    // The book stops crossing us, then crosses again: the rest fills as maker.
    harness.bbo(6_000, 617_000, 617_003);
    harness.bbo(7_000, 617_000, 617_002);
    harness.tick(10_000);
    let last = *harness.fills().last().unwrap();
    assert_eq!((last.price.0, last.qty.0, last.leaves.0, last.liquidity), (617_002, 3, 0, Liquidity::Maker));
    let stats = harness.venue.stats();
    assert_eq!((stats.taker_lots, stats.maker_lots, stats.taker_fills, stats.maker_fills), (12, 3, 2, 1));
}

#[test]
fn an_order_does_not_rest_before_its_entry_latency() {
    let mut harness = Harness::new(config());
    standard_book(&mut harness);
    let bid = order(1, Side::Bid, 617_000, 5);
    harness.send(OrderAction::New(bid)); // decided at t = 0, at the venue at t = 1 ms
    harness.trade(500, Side::Ask, 616_990, 5); // through our price, but we are not there yet
    assert_eq!(harness.venue.in_flight(), 1);
    assert_eq!(harness.ahead(&bid), None);
    harness.trade(1_000, Side::Ask, 616_990, 2); // now we are
    assert_eq!(harness.venue.in_flight(), 0);
    // The ack and the fill were made at 1 ms and reach us at 2 ms.
    harness.tick(1_999);
    assert!(harness.reports.is_empty());
    harness.tick(2_000);
    assert_eq!(harness.reports.len(), 2);
    let at = Nanos(T0 + 1_000_000);
    assert_eq!(harness.reports[0], ExecutionReport::Accepted { time: at, action: OrderAction::New(bid) });
    let fill = harness.fills()[0];
    assert_eq!((fill.time, fill.qty, fill.leaves), (at, Lots(2), Lots(3)));
}

#[test]
fn feed_latency_delays_our_decisions() {
    let config = VenueConfig { feed_latency: FeedLatency::Recorded, feed_latency_floor_us: 100, ..config() };
    let mut harness = Harness::new(config);
    // The recorder's clock is 1.27 s behind; this first frame sets the minimum offset.
    let clear = EventKind::BookClear(BookClear { reason: ClearReason::Snapshot, last: true });
    harness.event_received(BTCUSDT, 0, -1_270_000, clear);
    assert_eq!(harness.venue.local_time(), Nanos(T0 + 100_000));
    // 400 µs slower than the fastest: the core sees it at 10 ms + 0.4 ms + the 0.1 ms floor.
    harness.event_received(
        BTCUSDT,
        10_000,
        -1_269_600,
        EventKind::BookClear(BookClear { reason: ClearReason::Snapshot, last: true }),
    );
    assert_eq!(harness.venue.local_time(), Nanos(T0 + 10_500_000));
    // An order decided then reaches the venue at 11.5 ms.
    let ask = order(1, Side::Ask, 617_010, 1);
    harness.send(OrderAction::New(ask));
    harness.event_received(
        BTCUSDT,
        11_499,
        -1_270_000,
        EventKind::Bbo(Bbo { bid: Ticks(617_000), bid_qty: Lots(1), ask: Ticks(617_020), ask_qty: Lots(1) }),
    );
    assert_eq!(harness.ahead(&ask), None);
    harness.event_received(
        BTCUSDT,
        11_500,
        -1_270_000,
        EventKind::Bbo(Bbo { bid: Ticks(617_000), bid_qty: Lots(1), ask: Ticks(617_020), ask_qty: Lots(1) }),
    );
    assert_eq!(harness.ahead(&ask), Some(0));
}

/// Accepted times (arrivals) of a fixed run of orders under `config`.
fn arrivals(config: VenueConfig) -> Vec<Nanos> {
    let mut harness = Harness::new(config);
    standard_book(&mut harness);
    for sequence in 0..50 {
        let at = i64::from(sequence) * 20_000;
        harness.tick(at);
        harness.send(OrderAction::New(order(sequence, Side::Bid, 616_990 - i64::from(sequence), 1)));
    }
    harness.tick(10_000_000);
    harness
        .reports
        .iter()
        .map(|report| match report {
            ExecutionReport::Accepted { time, .. } => *time,
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

#[test]
fn sampled_latencies_repeat_under_a_seed() {
    for model in [
        LatencyModel::Lognormal { median_us: 3_000.0, sigma: 0.6 },
        LatencyModel::Uniform { min_us: 1_000, max_us: 9_000 },
    ] {
        let seeded = |seed| VenueConfig { seed, entry_latency: model, response_latency: model, ..config() };
        let first = arrivals(seeded(11));
        assert_eq!(first.len(), 50);
        assert_eq!(first, arrivals(seeded(11)), "{model:?}");
        assert_ne!(first, arrivals(seeded(12)), "{model:?}");
        // First in, first out: arrivals never go backwards.
        assert!(first.windows(2).all(|pair| pair[0] <= pair[1]));
    }
}

#[test]
fn post_only_refuses_a_crossing_order_and_a_crossing_amendment() {
    let mut harness = Harness::new(config());
    standard_book(&mut harness);
    let crossing = order(1, Side::Bid, 617_001, 1);
    let resting = order(2, Side::Ask, 617_003, 1);
    harness.send(OrderAction::New(crossing));
    harness.send(OrderAction::New(resting));
    harness.tick(1_000);
    assert_eq!(harness.ahead(&crossing), None);
    assert_eq!(harness.ahead(&resting), Some(0));
    // Amending the ask down to the best bid would take: Binance cancels the order.
    harness
        .send(OrderAction::Replace { old: resting, new: WorkingOrder { price: Ticks(617_000), ..resting } });
    harness.tick(3_000);
    assert_eq!(harness.ahead(&resting), None);
    assert_eq!(harness.rejects(), [RejectReason::WouldCross, RejectReason::WouldCross]);
    assert_eq!(harness.venue.stats().rejects.would_cross, 2);
}

#[test]
fn a_cancel_racing_a_fill_is_refused_as_unknown() {
    let bid = order(1, Side::Bid, 617_000, 2);
    let mut harness = resting(config(), bid);
    harness.send(OrderAction::Cancel(bid)); // decided at 1 ms, arrives at 2 ms
    harness.trade(1_500, Side::Ask, 616_999, 5); // fills us first
    harness.tick(5_000);
    assert_eq!(harness.fills().len(), 1);
    assert_eq!(harness.rejects(), [RejectReason::UnknownOrder]);
    assert!(matches!(
        harness.reports.last(),
        Some(ExecutionReport::Rejected { action: OrderAction::Cancel(_), .. })
    ));
    // A cancel that arrives first wins.
    let other = order(2, Side::Bid, 617_000, 2);
    harness.send(OrderAction::New(other));
    harness.tick(6_000);
    harness.send(OrderAction::Cancel(other));
    harness.tick(7_000);
    harness.trade(7_500, Side::Ask, 616_999, 5);
    harness.tick(10_000);
    assert_eq!(harness.fills().len(), 1);
    assert_eq!(harness.venue.stats().cancels, 2);
}

#[test]
fn an_amendment_requeues_at_the_back_and_keeps_what_was_filled() {
    let bid = order(1, Side::Bid, 617_000, 5);
    let mut harness = resting(config(), bid);
    harness.trade(2_000, Side::Ask, 617_000, 12); // 2 filled, nobody ahead
    harness.diff(3_000, &[(Side::Bid, 617_000, 15)]); // 15 join behind us
    assert_eq!(harness.ahead(&bid), Some(0));
    // Same price, total 6: open 6 − 2 = 4, behind the 15.
    let bigger = WorkingOrder { qty: Lots(6), ..bid };
    harness.send(OrderAction::Replace { old: bid, new: bigger });
    harness.tick(4_000);
    assert_eq!(harness.ahead(&bid), Some(15));
    let open = harness.venue.open_orders().next().unwrap();
    assert_eq!((open.order, open.filled, open.open()), (bigger, Lots(2), Lots(4)));
    // Down a tick: behind what is displayed there.
    let lower = WorkingOrder { price: Ticks(616_999), ..bigger };
    harness.send(OrderAction::Replace { old: bigger, new: lower });
    harness.tick(6_000);
    assert_eq!(harness.ahead(&bid), Some(7));
    // Down to the filled quantity: Binance cancels the order.
    harness.send(OrderAction::Replace { old: lower, new: WorkingOrder { qty: Lots(2), ..lower } });
    harness.tick(8_000);
    assert_eq!(harness.ahead(&bid), None);
    assert_eq!(harness.rejects(), [RejectReason::InvalidOrder]);
    // An unknown id.
    harness.send(OrderAction::Replace { old: lower, new: lower });
    harness.tick(10_000);
    assert_eq!(harness.rejects(), [RejectReason::InvalidOrder, RejectReason::UnknownOrder]);
    assert_eq!(harness.venue.stats().replaces, 4);
}

#[test]
fn duplicate_and_invalid_orders_are_refused() {
    let mut harness = Harness::new(config());
    standard_book(&mut harness);
    let bid = order(1, Side::Bid, 616_990, 1);
    harness.send(OrderAction::New(bid));
    harness.send(OrderAction::New(bid));
    harness.send(OrderAction::New(order(2, Side::Bid, 616_990, 0)));
    harness.send(OrderAction::New(WorkingOrder {
        instrument: InstrumentId(999),
        ..order(3, Side::Bid, 616_990, 1)
    }));
    harness.send(OrderAction::Cancel(order(4, Side::Bid, 616_990, 1)));
    harness.tick(5_000);
    assert_eq!(
        harness.rejects(),
        [
            RejectReason::DuplicateId,
            RejectReason::InvalidOrder,
            RejectReason::InvalidOrder,
            RejectReason::UnknownOrder
        ]
    );
    assert_eq!(harness.venue.stats().rejects.total(), 4);
    assert_eq!(harness.venue.stats().accepted, 1);
}

#[test]
fn odd_market_input_is_counted_not_fatal() {
    let bid = order(1, Side::Bid, 617_000, 5);
    let mut harness = resting(config(), bid);
    let trade =
        Trade { price: Ticks(616_000), qty: Lots(5), aggressor: Side::Ask, aggregated: false, forced: false };
    harness.event_received(InstrumentId(999), 2_000, 0, EventKind::Trade(trade)); // unknown instrument
    harness.trade(3_000, Side::Ask, 616_000, 0); // zero size
    harness.trade(3_000, Side::Ask, 0, 5); // zero price
    harness.bbo(4_000, 617_010, 617_000); // crossed best bid/offer
    assert_eq!(harness.venue.stats().ignored_events, 4);
    // A level of negative size: refused by the book, which is untrusted until a snapshot.
    harness.diff(5_000, &[(Side::Bid, 617_000, -3)]);
    // An ask below our bid, which leaves the book crossed: not a market to fill us on.
    harness.diff(6_000, &[(Side::Ask, 616_000, 1)]);
    let stats = harness.venue.stats();
    assert_eq!((stats.book_errors, stats.untrusted_updates), (2, 2));
    harness.tick(10_000);
    assert!(harness.fills().is_empty());
    assert_eq!(harness.ahead(&bid), Some(10));
}

#[test]
fn the_venue_does_not_allocate_once_warm() {
    let instruments = instruments();
    let mut venue = SimulatedExchange::new(&probabilistic(config()), &instruments).unwrap();
    let mut events = Vec::new();
    let event = |at: i64, kind| Event::new(Nanos(T0 + at), Nanos(T0 + at), Seq(0), BTCUSDT, kind);
    events.push(event(0, EventKind::BookClear(BookClear { reason: ClearReason::Snapshot, last: false })));
    for level in 0..20 {
        let last = level == 19;
        events.push(event(
            0,
            EventKind::BookLevel(BookLevel {
                side: Side::Bid,
                price: Ticks(617_000 - level),
                qty: Lots(10),
                last: false,
                snapshot: true,
            }),
        ));
        events.push(event(
            0,
            EventKind::BookLevel(BookLevel {
                side: Side::Ask,
                price: Ticks(617_001 + level),
                qty: Lots(10),
                last,
                snapshot: true,
            }),
        ));
    }
    for step in 1..20_000_i64 {
        let at = step * 100_000; // 0.1 ms apart
        let kind = match step % 4 {
            0 => EventKind::Trade(Trade {
                price: Ticks(617_000 - step % 3),
                qty: Lots(3),
                aggressor: Side::Ask,
                aggregated: false,
                forced: false,
            }),
            1 => EventKind::Trade(Trade {
                price: Ticks(617_001 + step % 3),
                qty: Lots(3),
                aggressor: Side::Bid,
                aggregated: false,
                forced: false,
            }),
            2 => EventKind::BookLevel(BookLevel {
                side: Side::Bid,
                price: Ticks(617_000 - step % 3),
                qty: Lots(5 + step % 7),
                last: true,
                snapshot: false,
            }),
            _ => EventKind::Bbo(Bbo {
                bid: Ticks(617_000),
                bid_qty: Lots(1),
                ask: Ticks(617_001),
                ask_qty: Lots(1),
            }),
        };
        events.push(event(at, kind));
    }
    let mut sequence = 0;
    let mut run = |venue: &mut SimulatedExchange, events: &[Event]| {
        let mut reports = 0_u64;
        for (index, event) in events.iter().enumerate() {
            venue.on_market(event);
            while venue.poll_report().is_some() {
                reports += 1;
            }
            if index % 10 == 0 {
                sequence += 1;
                let bid = order(sequence, Side::Bid, 617_000 - i64::from(sequence % 3), 2);
                venue.send(&OrderAction::New(bid), b"");
                venue
                    .send(&OrderAction::Replace { old: bid, new: WorkingOrder { qty: Lots(3), ..bid } }, b"");
                if sequence > 3 {
                    venue.send(&OrderAction::Cancel(order(sequence - 3, Side::Bid, 0, 0)), b"");
                }
            }
        }
        reports
    };
    let (warm_up, measured) = events.split_at(events.len() / 4);
    assert!(run(&mut venue, warm_up) > 0);
    let before = thread_allocations();
    let reports = run(&mut venue, measured);
    assert_eq!(thread_allocations() - before, 0);
    assert!(reports > 1_000 && venue.stats().fills > 500, "{reports} reports, {:?}", venue.stats());
}

// --- The real recording -------------------------------------------------------------------

/// The BTCUSDT recording's events, each frame closed by a `FrameEnd` as the feed thread does.
fn recording() -> &'static [Event] {
    static EVENTS: OnceLock<Vec<Event>> = OnceLock::new();
    EVENTS.get_or_init(|| {
        let mut replay = Replay::open();
        let mut events = Vec::with_capacity(1 << 20);
        loop {
            let start = events.len();
            if !replay.next_frame(|event, _| events.push(*event)) {
                break;
            }
            if let Some(&last) = events.get(start..).and_then(<[Event]>::last) {
                let end = FrameEnd {
                    frame_kind: 0,
                    events: (events.len() - start) as u32,
                    in_hand: Nanos(0),
                    parsed: Nanos(0),
                    published: Nanos(0),
                };
                events.push(Event::new(
                    last.exchange_time,
                    last.receive_time,
                    Seq(0),
                    BTCUSDT,
                    EventKind::FrameEnd(end),
                ));
            }
        }
        events
    })
}

/// What made one fill: the event being applied, and the best prices after it.
#[derive(Clone, Copy, Debug)]
struct Cause {
    event: Event,
    bid: Option<Ticks>,
    ask: Option<Ticks>,
}

/// One pass of a fixed quoting schedule over the recording.
struct Pass {
    fills: Vec<Fill>,
    causes: Vec<Cause>,
    prices: HashMap<ClientOrderId, Vec<Ticks>>,
    stats: engine::venue::VenueStats,
}

/// Frames between two rounds of the schedule (about 200 ms of this recording).
const EVERY: u64 = 50;

/// Every [`EVERY`] frames, on each side: cancel the last order and place a new one of 1 to 3
/// lots at the best price or one tick behind it (alternately), or amend the last one to there
/// (every fourth round), keeping its size. The schedule reads only the recorded book, so the
/// same actions are sent whatever fills; and since an amendment keeps the size, an order that
/// has filled more under one queue model never has more left to fill under it later.
fn pass(config: &VenueConfig) -> Pass {
    let mut venue = SimulatedExchange::new(config, &instruments()).unwrap();
    let mut book = OrderBook::with_capacity(8_192);
    let (mut fills, mut causes, mut prices) = (Vec::new(), Vec::new(), HashMap::new());
    let mut live: [Option<WorkingOrder>; 2] = [None, None];
    let (mut frames, mut sequence) = (0_u64, 0_u32);
    for event in recording() {
        let _ = book.apply(event);
        let before = venue.stats().fills;
        venue.on_market(event);
        for _ in before..venue.stats().fills {
            causes.push(Cause {
                event: *event,
                bid: book.best_bid().map(|l| l.0),
                ask: book.best_ask().map(|l| l.0),
            });
        }
        while let Some(report) = venue.poll_report() {
            if let ExecutionReport::Filled(fill) = report {
                fills.push(fill);
            }
        }
        if !matches!(event.kind(), EventKind::FrameEnd(_)) {
            continue;
        }
        frames += 1;
        if frames % EVERY != 0 || !book.is_trusted() {
            continue;
        }
        let cycle = frames / EVERY;
        let behind = (cycle % 2) as i64;
        for (slot, side) in [Side::Bid, Side::Ask].into_iter().enumerate() {
            let price = match side {
                Side::Bid => book.best_bid().map(|(price, _)| Ticks(price.0 - behind)),
                Side::Ask => book.best_ask().map(|(price, _)| Ticks(price.0 + behind)),
            };
            let Some(price) = price else { continue };
            let qty = Lots(1 + (cycle % 3) as i64);
            let action = match live[slot] {
                Some(old) if cycle % 4 == 3 => {
                    OrderAction::Replace { old, new: WorkingOrder { price, ..old } }
                }
                old => {
                    if let Some(old) = old {
                        venue.send(&OrderAction::Cancel(old), b"");
                    }
                    sequence += 1;
                    let new = WorkingOrder {
                        instrument: BTCUSDT,
                        client_id: ClientOrderId::new(9, sequence),
                        side,
                        price,
                        qty,
                    };
                    OrderAction::New(new)
                }
            };
            let order = *action.order();
            prices.entry(order.client_id).or_insert_with(Vec::new).push(order.price);
            live[slot] = Some(order);
            venue.send(&action, b"");
        }
    }
    Pass { fills, causes, prices, stats: venue.stats() }
}

fn real_config() -> VenueConfig {
    VenueConfig {
        entry_latency: LatencyModel::Lognormal { median_us: 3_000.0, sigma: 0.5 },
        response_latency: LatencyModel::Lognormal { median_us: 3_000.0, sigma: 0.5 },
        ..VenueConfig::default()
    }
}

/// True when `cause` reaches `fill`'s price: a print by the other side at or through it, no
/// later than the fill, or best prices crossing it.
fn explains(cause: &Cause, fill: &Fill) -> bool {
    let reaches_bid = |price: Ticks| price <= fill.price;
    let reaches_ask = |price: Ticks| price >= fill.price;
    let crossed = |bid: Option<Ticks>, ask: Option<Ticks>| match fill.side {
        Side::Bid => ask.is_some_and(reaches_bid),
        Side::Ask => bid.is_some_and(reaches_ask),
    };
    match cause.event.kind() {
        EventKind::Trade(trade) => {
            trade.aggressor == fill.side.opposite()
                && cause.event.exchange_time <= fill.time
                && match fill.side {
                    Side::Bid => reaches_bid(trade.price),
                    Side::Ask => reaches_ask(trade.price),
                }
        }
        EventKind::Bbo(bbo) => crossed(Some(bbo.bid), Some(bbo.ask)),
        EventKind::BookLevel(BookLevel { last: true, .. })
        | EventKind::BookClear(BookClear { last: true, .. }) => crossed(cause.bid, cause.ask),
        _ => false,
    }
}

#[test]
fn on_the_recording_every_fill_is_explained_and_runs_repeat() {
    let frames = recording().iter().filter(|event| matches!(event.kind(), EventKind::FrameEnd(_))).count();
    assert!(frames > 90_000, "{frames} frames");
    let config = probabilistic(real_config());
    let first = pass(&config);
    let stats = first.stats;
    assert!(stats.orders > 2_000 && stats.replaces > 500, "{stats:?}");
    assert!(first.fills.len() > 100, "{} fills: {stats:?}", first.fills.len());
    // Fills are reported in the order they are made (first in, first out), so the k-th fill
    // polled is the k-th made. Some may still be in flight at the end.
    assert!(first.causes.len() >= first.fills.len());
    let mut done = std::collections::HashSet::new();
    let mut by_trade = 0;
    for (fill, cause) in first.fills.iter().zip(&first.causes) {
        assert!(explains(cause, fill), "{fill:?} made by {cause:?}");
        by_trade += usize::from(matches!(cause.event.kind(), EventKind::Trade(_)));
        assert_eq!(fill.liquidity, Liquidity::Maker);
        assert!(first.prices[&fill.client_id].contains(&fill.price), "{fill:?}");
        assert!(fill.qty.0 > 0 && fill.leaves.0 >= 0);
        // A fully filled order is gone: it never fills again.
        assert!(!done.contains(&fill.client_id), "{fill:?} after the order was done");
        if fill.leaves.0 == 0 {
            done.insert(fill.client_id);
        }
    }
    assert!(by_trade > 0 && by_trade < first.fills.len(), "{by_trade} of {} by prints", first.fills.len());
    assert_eq!(stats.taker_fills, 0);
    assert_eq!(stats.fills as usize, first.causes.len());
    let second = pass(&config);
    assert_eq!(second.fills, first.fills);
    assert_eq!(second.stats, first.stats);
}

#[test]
fn on_the_recording_risk_averse_never_fills_more_than_probabilistic() {
    let risk_averse = pass(&real_config());
    let probabilistic = pass(&probabilistic(real_config()));
    let per_order = |pass: &Pass| {
        let mut filled: HashMap<ClientOrderId, i64> = HashMap::new();
        for fill in &pass.fills {
            *filled.entry(fill.client_id).or_default() += fill.qty.0;
        }
        filled
    };
    let (cautious, hopeful) = (per_order(&risk_averse), per_order(&probabilistic));
    for (id, lots) in &cautious {
        assert!(*lots <= hopeful.get(id).copied().unwrap_or(0), "{id:?}: {lots} > {:?}", hopeful.get(id));
    }
    let (cautious_lots, hopeful_lots) = (risk_averse.stats.maker_lots, probabilistic.stats.maker_lots);
    assert!(cautious_lots > 0 && cautious_lots <= hopeful_lots, "{cautious_lots} vs {hopeful_lots}");
    // Not a theorem, a fact of this recording (and the run is deterministic): cancels ahead of
    // us did advance some orders to a fill, so the two models really differ here.
    assert!(cautious_lots < hopeful_lots, "{cautious_lots} vs {hopeful_lots}");
    // The schedule is the same: the same actions reached the venue.
    assert_eq!(
        (risk_averse.stats.orders, risk_averse.stats.replaces, risk_averse.stats.cancels),
        (probabilistic.stats.orders, probabilistic.stats.replaces, probabilistic.stats.cancels)
    );
}
