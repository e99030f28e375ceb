//! The overlay on a small synthetic recording (no data files): a snapshot, then a minute of
//! diffs, best bid/offer prints and trades around 10 000.0 USDT, every 50 ms, built here from a
//! seeded generator. Checks the frame structure, the consumer's book against the shadow, the
//! displacement, the walks and the restore, by hand where the numbers allow.

use super::*;
use feeds::venue::binance::MessageKind;
use feeds::{Bbo, BookClear, BookLevel, ClearReason, EventKind, FrameEnd, Lots, Seq, Side, Trade};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const INSTRUMENT: InstrumentId = InstrumentId(0);
/// 2024-08-08 23:54:16 UTC, a whole second plus 250 ms.
const FIRST: i64 = 1_723_161_256_250_000_000;
/// Receive − exchange of the synthetic recording.
const OFFSET: i64 = -1_270_000_000;
/// The mid of the synthetic book, ticks (10 000.0 USDT at a 0.1 tick).
const MID: i64 = 100_000;

fn steps() -> (Step, Step) {
    (Step::from_text("0.1").unwrap(), Step::from_text("0.001").unwrap())
}

/// Frames of `kinds` at `time` with update id `seq`, closed by a `FrameEnd` of `frame_kind`.
fn frame(events: &mut Vec<Event>, time: i64, seq: u64, frame_kind: MessageKind, kinds: &[EventKind]) {
    let event = |kind| Event::new(Nanos(time), Nanos(time + OFFSET), Seq(seq), INSTRUMENT, kind);
    events.extend(kinds.iter().map(|&kind| event(kind)));
    let stamp = Nanos(time / 1000);
    let end = FrameEnd {
        frame_kind: frame_kind.code(),
        events: kinds.len() as u32,
        in_hand: stamp,
        parsed: stamp,
        published: stamp,
    };
    events.push(Event::new(Nanos(time), Nanos(time + OFFSET), Seq(0), INSTRUMENT, EventKind::FrameEnd(end)));
}

fn level(side: Side, price: i64, qty: i64, last: bool, snapshot: bool) -> EventKind {
    EventKind::BookLevel(BookLevel { side, price: Ticks(price), qty: Lots(qty), last, snapshot })
}

/// 62 s of a synthetic market: a snapshot of 60 levels a side, one tick apart around [`MID`],
/// 20-59 lots each; then every 50 ms a diff of two levels near the touch (never crossing), a
/// best bid/offer print and, every other time, a trade.
fn recording() -> Vec<Event> {
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let mut events = Vec::new();
    let mut seq = 1_000;
    let mut snapshot = vec![EventKind::BookClear(BookClear { reason: ClearReason::Snapshot, last: false })];
    for k in 0..60 {
        snapshot.push(level(Side::Bid, MID - 1 - k, 20 + rng.random_range(0..40), false, true));
    }
    for k in 0..60 {
        snapshot.push(level(Side::Ask, MID + 1 + k, 20 + rng.random_range(0..40), k == 59, true));
    }
    frame(&mut events, FIRST, seq, MessageKind::DepthSnapshot, &snapshot);
    for k in 1..=1240 {
        let time = FIRST + k * 50_000_000;
        seq += 3;
        let (bid, ask) = (MID - 1 - rng.random_range(0..5), MID + 1 + rng.random_range(0..5));
        let diff = [
            level(Side::Bid, bid, rng.random_range(0..60), false, false),
            level(Side::Ask, ask, 1 + rng.random_range(0..60), true, false),
        ];
        frame(&mut events, time, seq, MessageKind::DepthUpdate, &diff);
        let bbo = Bbo { bid: Ticks(MID - 1), bid_qty: Lots(30), ask: Ticks(MID + 1), ask_qty: Lots(30) };
        frame(&mut events, time + 1_000_000, seq, MessageKind::BookTicker, &[EventKind::Bbo(bbo)]);
        if k % 2 == 0 {
            let aggressor = if rng.random::<bool>() { Side::Bid } else { Side::Ask };
            let price = Ticks(if aggressor == Side::Bid { MID + 1 } else { MID - 1 });
            let trade = Trade { price, qty: Lots(2), aggressor, aggregated: false, forced: false };
            frame(
                &mut events,
                time + 2_000_000,
                7_000 + k as u64,
                MessageKind::Trade,
                &[EventKind::Trade(trade)],
            );
        }
    }
    events
}

/// A scenario that fits the synthetic recording: ramp 10-20 s, cascade 20-40 s (extreme at
/// 30 s), tail 40-55 s; a 1 % fall without noise, 30 levels a side re-published.
fn scenario() -> StressConfig {
    StressConfig {
        name: "unit".into(),
        onset_s: 20.0,
        ramp_s: 10.0,
        duration_s: 20.0,
        tail_s: 15.0,
        trough_at: 0.5,
        book_levels: 30,
        price_move_bps: 100.0,
        path_noise_bps: 0.0,
        liquidation_rate: 2.0,
        liquidation_median_usdt: 500.0,
        toxic_median_usdt: 500.0,
        max_order_usdt: 5000.0,
        ..StressConfig::default()
    }
}

/// The shadow book at one frame end: its index in the output, its levels, its trust.
struct Shadow {
    index: usize,
    bids: Vec<(Ticks, Lots)>,
    asks: Vec<(Ticks, Lots)>,
    trusted: bool,
}

/// The overlay of `config` on [`recording`], with the shadow at every frame end.
fn run(config: &StressConfig) -> (Vec<Event>, Overlay, Vec<Shadow>) {
    let events = recording();
    let (tick, lot) = steps();
    let mut shadows = Vec::new();
    let result = overlay_observed(&events, INSTRUMENT, tick, lot, config, |index, book| {
        let side = |side| book.top(side, usize::MAX).collect::<Vec<_>>();
        shadows.push(Shadow {
            index,
            bids: side(Side::Bid),
            asks: side(Side::Ask),
            trusted: book.is_trusted(),
        });
    })
    .unwrap();
    (events, result, shadows)
}

#[test]
fn frames_stay_frames_and_the_consumer_holds_the_shadow() {
    let (_, result, shadows) = run(&scenario());
    assert!(result.stats.liquidations > 10 && result.stats.republications > 50, "{:?}", result.stats);
    let mut consumer = OrderBook::with_capacity(64);
    let mut count = 0_u32;
    let mut shadows = shadows.iter();
    let mut clock = Nanos(i64::MIN);
    for (index, event) in result.events.iter().enumerate() {
        assert!(event.exchange_time >= clock, "this recording is in order, and so is the overlay");
        clock = event.exchange_time;
        assert_eq!(event.receive_time.0 - event.exchange_time.0, OFFSET);
        if let EventKind::FrameEnd(end) = event.kind() {
            assert_eq!(end.events, count, "event {index}");
            count = 0;
            let shadow = shadows.next().unwrap();
            assert_eq!(shadow.index, index);
            assert!(consumer.top(Side::Bid, usize::MAX).eq(shadow.bids.iter().copied()), "bids at {index}");
            assert!(consumer.top(Side::Ask, usize::MAX).eq(shadow.asks.iter().copied()), "asks at {index}");
            assert_eq!(consumer.is_trusted(), shadow.trusted);
            assert!(consumer.is_trusted(), "event {index}");
        } else {
            count += 1;
            consumer.apply(event).unwrap_or_else(|error| panic!("event {index}: {error}"));
        }
    }
    assert!(shadows.next().is_none());
}

#[test]
fn the_path_displaces_the_book_and_the_restore_gives_the_real_one_back() {
    let config = StressConfig { liquidation_rate: 0.0, toxic_rate: 0.0, spread_bps: 0.0, ..scenario() };
    let (events, result, _) = run(&config);
    assert_eq!((result.stats.liquidations, result.stats.toxic_orders), (0, 0));
    // The reference is the real mid at the ramp's start, 100 000 ticks; the extreme, 1 % of it
    // down, is -1000 ticks exactly (no noise).
    assert_eq!(result.stats.reference_mid, MID as f64);
    assert_eq!(result.stats.extreme_displacement, Ticks(-1000));
    let mut consumer = OrderBook::with_capacity(64);
    let mut real = OrderBook::with_capacity(64);
    let at = |seconds: f64| Nanos(FIRST + (seconds * 1e9) as i64);
    let (mut checked, mut at_extreme) = (0, 0);
    // The real book as of the last real frame the output has passed: a real frame's `FrameEnd`
    // is copied, a synthetic one never equals it.
    let mut fed = 0;
    for event in &result.events {
        consumer.apply(event).unwrap();
        if !matches!(event.kind(), EventKind::FrameEnd(_)) {
            continue;
        }
        let Some(position) = events[fed..].iter().position(|original| original == event) else { continue };
        for original in &events[fed..=fed + position] {
            real.apply(original).unwrap();
        }
        fed += position + 1;
        let best_bid = |book: &OrderBook| book.best_bid().map(|(price, _)| price.0);
        if event.exchange_time == at(30.0) {
            // At the extreme the whole book sits 1000 ticks lower, its touch thinned to 30 %.
            let (bid, qty) = consumer.best_bid().unwrap();
            assert_eq!(bid.0 - best_bid(&real).unwrap(), -1000, "{:?}", consumer.best_bid());
            let real_qty = real.qty_at(Side::Bid, Ticks(bid.0 + 1000));
            assert_eq!(qty.0, ((real_qty.0 as f64 * 0.3).round() as i64).max(1));
            at_extreme += 1;
        }
        if event.exchange_time < at(10.0) || event.exchange_time >= at(55.0) {
            // Outside the window the book is the real one, all of it.
            for side in [Side::Bid, Side::Ask] {
                assert!(consumer.top(side, usize::MAX).eq(real.top(side, usize::MAX)), "{event:?}");
            }
            checked += 1;
        }
    }
    assert!(checked > 100);
    assert_eq!(at_extreme, 1);
}

#[test]
fn a_liquidation_walks_the_book_from_the_touch() {
    let (_, result, _) = run(&scenario());
    let events = &result.events;
    let mut book = OrderBook::with_capacity(64);
    let mut walks = 0;
    let mut index = 0;
    while index < events.len() {
        // A walk: trade frames (one print each), a depth frame, a forceOrder frame.
        let is_forced = matches!(events[index].kind(), EventKind::Trade(trade) if trade.forced);
        if !is_forced {
            book.apply(&events[index]).unwrap();
            index += 1;
            continue;
        }
        let before: Vec<_> = book.top(Side::Bid, usize::MAX).collect();
        let mut prints = Vec::new();
        while let EventKind::Trade(trade) = events[index].kind() {
            assert!(trade.forced && trade.aggressor == Side::Ask);
            prints.push((trade.price, trade.qty));
            assert!(
                matches!(events[index + 1].kind(), EventKind::FrameEnd(end) if end.events == 1 && end.frame_kind == MessageKind::Trade.code())
            );
            index += 2;
        }
        // The prints take the best bids in order, each level whole but the last.
        for (k, &(price, qty)) in prints.iter().enumerate() {
            assert_eq!(price, before[k].0);
            if k + 1 < prints.len() {
                assert_eq!(qty, before[k].1);
            } else {
                assert!(qty.0 > 0 && qty <= before[k].1);
            }
        }
        // The depth frame leaves what was not taken.
        for (k, &(price, qty)) in prints.iter().enumerate() {
            let EventKind::BookLevel(level) = events[index].kind() else { panic!("{:?}", events[index]) };
            assert_eq!(
                (level.side, level.price, level.qty, level.last),
                (Side::Bid, price, Lots(before[k].1.0 - qty.0), k + 1 == prints.len())
            );
            book.apply(&events[index]).unwrap();
            index += 1;
        }
        assert!(
            matches!(events[index].kind(), EventKind::FrameEnd(end) if end.frame_kind == MessageKind::DepthUpdate.code())
        );
        // The forceOrder: the walk's size and VWAP; its limit 50 bps below the worst fill.
        let EventKind::Liquidation(liquidation) = events[index + 1].kind() else {
            panic!("{:?}", events[index + 1])
        };
        let filled: i64 = prints.iter().map(|(_, qty)| qty.0).sum();
        let traded: i64 = prints.iter().map(|(price, qty)| price.0 * qty.0).sum();
        assert_eq!((liquidation.side, liquidation.qty), (Side::Ask, Lots(filled)));
        assert_eq!(
            i128::from(liquidation.average_price.0),
            i128::from(traded) * 10_000_000 / i128::from(filled)
        );
        let worst = prints.last().unwrap().0.0 * 10_000_000;
        assert_eq!(liquidation.price.0, worst * 9_950 / 10_000);
        walks += 1;
        index += 1;
    }
    assert_eq!(walks, result.stats.liquidations);
}

#[test]
fn readings_run_every_second_from_the_first_whole_one() {
    let (_, result, _) = run(&scenario());
    let marks: Vec<_> = result
        .events
        .iter()
        .filter_map(|event| match event.kind() {
            EventKind::MarkPrice(mark) => Some((event.exchange_time, mark)),
            _ => None,
        })
        .collect();
    // The recording runs 62.25 s from 0.25 s past a whole second: readings at 1 s … 62 s.
    assert_eq!(marks.len(), 62);
    assert_eq!(marks[0].0, Nanos(FIRST + 750_000_000));
    let (_, calm) = marks[0];
    assert_eq!(calm.funding_rate.0, 30_000); // 0.03 %
    // Mark = the book's mid (10 000.0 USDT); index = mark / (1 + 2 bp), within the 0.3 bp noise.
    assert!((calm.mark.0 - 1_000_000_000_000).abs() <= 50_000_000, "{calm:?}"); // within 5 ticks
    let basis = calm.mark.0 as f64 / calm.index.0 as f64 - 1.0;
    assert!((basis * 1e4 - 2.0).abs() < 1.5, "{basis}");
    // Next funding: 2024-08-09 00:00 UTC.
    assert_eq!(calm.next_funding_time, Nanos(1_723_161_600 * Nanos::PER_SECOND));
    assert_eq!(marks.last().unwrap().1.funding_rate.0, -20_000);
    let open_interest: Vec<Lots> = result
        .events
        .iter()
        .filter_map(|event| if let EventKind::OpenInterest(oi) = event.kind() { Some(oi.qty) } else { None })
        .collect();
    assert_eq!(open_interest[0], Lots(80_000_000));
    assert_eq!(*open_interest.last().unwrap(), Lots(73_600_000)); // -8 %
    assert!(open_interest.windows(2).all(|pair| pair[1] <= pair[0]));
}

#[test]
fn the_same_scenario_gives_the_same_events() {
    let (_, first, _) = run(&scenario());
    let (_, second, _) = run(&scenario());
    assert!(first.events.iter().map(Event::to_bytes).eq(second.events.iter().map(Event::to_bytes)));
    assert_eq!(first.stats, second.stats);
}

#[test]
fn bad_inputs_are_errors() {
    let events = recording();
    let (tick, lot) = steps();
    let fine = Step::from_text("0.000000001").unwrap();
    let error = overlay(&events, INSTRUMENT, fine, lot, &scenario()).unwrap_err();
    assert!(matches!(error, StressError::Step { what: "tick", .. }), "{error}");
    let late = StressConfig { tail_s: 60.0, ..scenario() };
    assert!(matches!(overlay(&events, INSTRUMENT, tick, lot, &late), Err(StressError::PastRecording { .. })));
    // Before the snapshot's frame there is no book; the snapshot is the first frame here, so
    // drop it.
    let without_snapshot: Vec<Event> = events.iter().skip(122).copied().collect();
    let error = overlay(&without_snapshot, INSTRUMENT, tick, lot, &scenario()).unwrap_err();
    assert!(matches!(error, StressError::NoBook { .. }), "{error}");
    // Valid, but enormous: a 55 s window at 100 ms steps with 5000 levels a side is 5.5 M
    // book events, fine; 55 orders a second with branching 0.9999 is not.
    let huge = StressConfig { liquidation_rate: 100.0, liquidation_branching: 0.9999, ..scenario() };
    let error = overlay(&events, INSTRUMENT, tick, lot, &huge).unwrap_err();
    assert!(matches!(error, StressError::TooLarge { what: "orders", .. }), "{error}");
    assert!(error.to_string().contains("lower stress.liquidation_rate"), "{error}");
    let bad = StressConfig { step_ms: 10, ..scenario() };
    assert_eq!(
        overlay(&events, INSTRUMENT, tick, lot, &bad).unwrap_err().to_string(),
        "stress.step_ms = 10: must be in [100, 1000] milliseconds"
    );
}
