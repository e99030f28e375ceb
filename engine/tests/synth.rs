//! The synthetic market tape (`engine::synth`) read back through the engine's own decoder,
//! sequencer and book: it must decode cleanly, never gap, keep a consumer's book uncrossed and
//! agreeing with its trades and tickers, and show the cascade it was configured with.

use engine::clock::TscClock;
use engine::replay::source::decode_frames;
use engine::synth::{CascadeDirection, MarketConfig, MarketSummary, SynthError, generate};
use feeds::book::Applied;
use feeds::inspect::{Inspection, Inspector, OwnedFrame};
use feeds::recording::open_frames;
use feeds::{Event, EventKind, Nanos, OrderBook, Side};
use std::path::PathBuf;
use std::sync::OnceLock;

/// A fresh path in the temp folder for `name`.
fn temp_path(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("halcyon-synth-{}-{name}.hcap", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// Two minutes: 40 s of calm, a 50 s down cascade, 30 s after.
fn two_minutes() -> MarketConfig {
    MarketConfig {
        seed: 11,
        duration_s: 120.0,
        cascade_onset_s: 40.0,
        cascade_duration_s: 50.0,
        ..MarketConfig::default()
    }
}

/// A generated and decoded tape (its file removed once read).
struct Tape {
    config: MarketConfig,
    summary: MarketSummary,
    frames: Vec<OwnedFrame>,
    events: Vec<Event>,
    /// `halcyon inspect`'s view of the file.
    inspection: Inspection,
}

impl Tape {
    fn generate(name: &str, config: MarketConfig) -> Tape {
        let path = temp_path(name);
        let summary = generate(&config, &path).unwrap_or_else(|error| panic!("{error}"));
        let mut reader = open_frames(&path).expect("the tape opens");
        let (frames, errors) = OwnedFrame::read_all(reader.as_mut());
        assert!(errors.is_empty(), "{errors:?}");
        let (events, stats) = decode_frames(&frames, &testkit::replay::instruments(), &TscClock::new());
        assert_eq!(stats.frames, frames.len() as u64);
        assert_eq!(stats.decode_errors, 0, "{stats:?}");
        assert_eq!(stats.gaps, 0, "{stats:?}");
        let mut reader = open_frames(&path).expect("the tape opens");
        let inspection = Inspector::new(testkit::replay::instruments()).run(reader.as_mut(), &mut []);
        std::fs::remove_file(&path).unwrap();
        Tape { config, summary, frames, events, inspection }
    }

    fn at(&self, seconds: f64) -> Nanos {
        let start = MarketConfig::default().start;
        assert_eq!(self.config.start, start, "the tests use the default start");
        Nanos(1_723_118_400_000_000_000 + (seconds * 1e9) as i64)
    }

    fn onset(&self) -> Nanos {
        self.at(self.config.cascade_onset_s)
    }

    fn end(&self) -> Nanos {
        self.at(self.config.cascade_onset_s + self.config.cascade_duration_s)
    }

    fn kinds(&self) -> impl Iterator<Item = (&Event, EventKind)> {
        self.events.iter().map(|event| (event, event.kind()))
    }
}

fn two_minute_tape() -> &'static Tape {
    static TAPE: OnceLock<Tape> = OnceLock::new();
    TAPE.get_or_init(|| Tape::generate("two-minutes", two_minutes()))
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_others() {
    let config = MarketConfig {
        seed: 5,
        duration_s: 30.0,
        cascade_onset_s: 10.0,
        cascade_duration_s: 10.0,
        ..MarketConfig::default()
    };
    let (first, second, other) = (temp_path("seed-a"), temp_path("seed-b"), temp_path("seed-c"));
    let summary = generate(&config, &first).unwrap();
    generate(&config, &second).unwrap();
    generate(&MarketConfig { seed: 6, ..config.clone() }, &other).unwrap();
    let bytes = |path: &PathBuf| std::fs::read(path).unwrap();
    assert_eq!(bytes(&first), bytes(&second));
    assert_ne!(bytes(&first), bytes(&other));
    assert_eq!(summary.file_bytes, bytes(&first).len() as u64);
    for path in [first, second, other] {
        std::fs::remove_file(path).unwrap();
    }
}

#[test]
fn the_consumer_book_is_trusted_after_the_snapshot_and_never_crossed() {
    let tape = two_minute_tape();
    let mut book = OrderBook::with_capacity(8192);
    let (mut updates, mut trusted_from) = (0, None);
    for (index, event) in tape.events.iter().enumerate() {
        let applied = book.apply(event).unwrap_or_else(|error| panic!("event {index}: {error}"));
        if applied == Applied::UpdateComplete {
            updates += 1;
            assert!(!book.is_crossed(), "event {index}: crossed");
            if book.is_trusted() {
                trusted_from.get_or_insert(index);
            }
            // Trusted from the snapshot on, to the end.
            assert_eq!(book.is_trusted(), trusted_from.is_some(), "event {index}");
        }
    }
    // The snapshot is the first complete update: every diff before it was buffered.
    assert!(trusted_from.is_some());
    assert!(updates > 1_000, "{updates} updates");
    assert!(book.levels(Side::Bid) > 50 && book.levels(Side::Ask) > 50);
}

#[test]
fn every_trade_lies_within_the_book_and_beyond_the_touch_it_took() {
    let tape = two_minute_tape();
    let mut book = OrderBook::with_capacity(8192);
    let (mut bbo, mut checked) = (None, 0);
    for (event, kind) in tape.kinds() {
        let _ = book.apply(event);
        match kind {
            EventKind::Bbo(top) => bbo = Some(top),
            EventKind::Trade(trade) if book.is_trusted() => {
                // Within the consumer's book: it may lag by a diff window, never disagree.
                let worst = |side| book.top(side, usize::MAX).last().map(|(price, _)| price);
                let (lowest, highest) = (worst(Side::Bid).unwrap(), worst(Side::Ask).unwrap());
                assert!(
                    lowest <= trade.price && trade.price <= highest,
                    "{trade:?} outside {lowest:?}..{highest:?}"
                );
                // A buyer lifts the offer or deeper, a seller hits the bid or deeper: the
                // ticker before the trade is the touch it took (tickers are pushed on every
                // change of the top, trades before the ticker of their own batch).
                let top = bbo.expect("a ticker before the first trade");
                match trade.aggressor {
                    Side::Bid => assert!(trade.price >= top.ask, "{trade:?} below the offer {top:?}"),
                    Side::Ask => assert!(trade.price <= top.bid, "{trade:?} above the bid {top:?}"),
                }
                checked += 1;
            }
            _ => {}
        }
    }
    assert!(checked > 1_000, "{checked} trades checked");
}

#[test]
fn tickers_agree_with_the_rebuilt_book_and_trade_ids_increase() {
    let tape = two_minute_tape();
    let inspection = &tape.inspection;
    assert_eq!((inspection.parse_errors, inspection.read_errors, inspection.gaps), (0, 0, 0));
    assert_eq!(inspection.book_errors, 0, "{:?}", inspection.samples);
    assert_eq!(inspection.book_check.mismatched, 0, "{:?}", inspection.samples);
    assert!(inspection.book_check.compared > 100, "{:?}", inspection.book_check);
    assert!(inspection.decoded_fast > inspection.decoded_tape, "the hot kinds take the fast path");

    let ids: Vec<u64> = tape
        .kinds()
        .filter(|(_, kind)| matches!(kind, EventKind::Trade(_)))
        .map(|(event, _)| event.seq.0)
        .collect();
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
    // Receive times increase and follow exchange times by the network latency.
    assert!(tape.frames.windows(2).all(|pair| pair[0].receive_time <= pair[1].receive_time));
    for (event, kind) in tape.kinds() {
        if !matches!(kind, EventKind::FrameEnd(_)) && event.exchange_time.0 > 0 {
            let latency = event.receive_time.0 - event.exchange_time.0;
            assert!((0..500_000_000).contains(&latency), "{latency} ns");
        }
    }
}

#[test]
fn the_summary_counts_what_the_tape_holds() {
    let tape = two_minute_tape();
    let summary = &tape.summary;
    assert_eq!(summary.frames_total, tape.frames.len() as u64);
    let count = |wanted: fn(&EventKind) -> bool| tape.kinds().filter(|(_, kind)| wanted(kind)).count() as u64;
    assert_eq!(summary.trades, count(|kind| matches!(kind, EventKind::Trade(_))));
    assert_eq!(summary.liquidations, count(|kind| matches!(kind, EventKind::Liquidation(_))));
    assert_eq!(summary.frames["liquidation"], summary.liquidations);
    assert_eq!(summary.frames["snapshot"], 1);
    assert_eq!(summary.frames["mark_price"], 120);
    assert_eq!(summary.frames["open_interest"], 24);
    assert!(summary.price.low <= summary.price.open && summary.price.open <= summary.price.high);
    let forced = count(|kind| matches!(kind, EventKind::Trade(trade) if trade.forced));
    assert!(forced >= summary.liquidations, "each liquidation prints at least one forced trade");
}

#[test]
fn liquidations_cluster_in_the_cascade_and_move_the_price_its_way() {
    let tape = two_minute_tape();
    let (onset, end) = (tape.onset(), tape.end());
    let (mut inside, mut outside, mut sells) = (0, 0, 0);
    for (event, kind) in tape.kinds() {
        if let EventKind::Liquidation(liquidation) = kind {
            if (onset..=end).contains(&event.exchange_time) {
                inside += 1;
                sells += u32::from(liquidation.side == Side::Ask);
            } else {
                outside += 1;
            }
        }
    }
    // 50 s of Hawkes at μ/(1 − n) ≈ 3.3/s against 70 s of calm at 0.02/s.
    assert!(inside > 50, "{inside} liquidations in the cascade");
    let (inside_rate, outside_rate) = (f64::from(inside) / 50.0, f64::from(outside) / 70.0);
    assert!(inside_rate > 20.0 * outside_rate, "{inside_rate}/s inside, {outside_rate}/s outside");
    // A long unwind: mostly SELL orders, and the price falls most of the configured 250 bps.
    assert!(f64::from(sells) > 0.8 * f64::from(inside));
    let cascade = tape.summary.cascade.as_ref().unwrap();
    assert!((-400.0..-120.0).contains(&cascade.move_bps), "{cascade:?}");
    assert_eq!(cascade.liquidations, inside as u64);
}

#[test]
fn funding_turns_negative_and_open_interest_falls_across_the_cascade() {
    let tape = two_minute_tape();
    let (onset, end) = (tape.onset(), tape.end());
    let (mut before, mut lowest, mut oi_before, mut oi_after) = (None, f64::MAX, None, None);
    for (event, kind) in tape.kinds() {
        let time = event.exchange_time;
        match kind {
            EventKind::MarkPrice(mark) => {
                let rate = mark.funding_rate.0 as f64 / 1e8;
                if time < onset {
                    before = Some(rate);
                } else if time <= end {
                    lowest = lowest.min(rate);
                }
            }
            EventKind::OpenInterest(oi) if time < onset => oi_before = Some(oi.qty.0),
            EventKind::OpenInterest(oi) if time > end && oi_after.is_none() => oi_after = Some(oi.qty.0),
            _ => {}
        }
    }
    let before = before.unwrap();
    assert!(before >= 0.0001, "crowded longs pay carry before the cascade: {before}");
    assert!(lowest < 0.0, "funding flips in the cascade: lowest {lowest}");
    let (oi_before, oi_after) = (oi_before.unwrap() as f64, oi_after.unwrap() as f64);
    assert!(oi_after < oi_before * 0.98, "open interest {oi_before} → {oi_after}");
}

#[test]
fn without_a_calm_rate_every_liquidation_is_in_the_window_and_an_up_cascade_mirrors() {
    let config = MarketConfig {
        seed: 3,
        duration_s: 60.0,
        cascade_onset_s: 15.0,
        cascade_duration_s: 35.0,
        cascade_direction: CascadeDirection::Up,
        calm_liquidation_rate_per_s: 0.0,
        force_order_snapshots: true,
        ..MarketConfig::default()
    };
    let tape = Tape::generate("up", config);
    let (onset, end) = (tape.onset(), tape.end());
    let (mut liquidations, mut buys, mut lowest_before, mut highest_in) = (0, 0, f64::MAX, f64::MIN);
    let mut last_second = None;
    for (event, kind) in tape.kinds() {
        match kind {
            EventKind::Liquidation(liquidation) => {
                // Pushed as Binance's snapshots: on whole seconds, at most one a second.
                let second = event.exchange_time.0 / 1_000_000_000;
                assert!(event.receive_time > event.exchange_time);
                assert_ne!(last_second, Some(second));
                last_second = Some(second);
                assert!(onset <= event.exchange_time && event.exchange_time <= Nanos(end.0 + 1_000_000_000));
                liquidations += 1;
                buys += u32::from(liquidation.side == Side::Bid);
            }
            EventKind::MarkPrice(mark) => {
                let rate = mark.funding_rate.0 as f64 / 1e8;
                if event.exchange_time < onset {
                    lowest_before = lowest_before.min(rate);
                } else if event.exchange_time <= end {
                    highest_in = highest_in.max(rate);
                }
            }
            _ => {}
        }
    }
    assert!(liquidations > 10 && liquidations <= 36, "{liquidations} snapshots");
    assert!(f64::from(buys) > 0.8 * f64::from(liquidations), "shorts are squeezed: {buys} buys");
    assert!(lowest_before < 0.0 && highest_in > 0.0, "funding {lowest_before} → {highest_in}");
    let cascade = tape.summary.cascade.as_ref().unwrap();
    assert!(cascade.move_bps > 100.0, "{cascade:?}");
    assert!(tape.summary.liquidations > liquidations as u64, "snapshots hold some back");
}

#[test]
fn bad_configs_and_paths_are_errors_naming_them() {
    let path = temp_path("bad");
    let config = MarketConfig { hawkes_branching_ratio: 1.2, ..MarketConfig::default() };
    match generate(&config, &path) {
        Err(SynthError::Config(error)) => assert_eq!(error.key, "hawkes_branching_ratio"),
        other => panic!("{other:?}"),
    }
    assert!(!path.exists(), "nothing is written for a bad config");

    let missing = std::env::temp_dir().join("halcyon-synth-no-such-dir").join("tape.hcap");
    let error =
        generate(&MarketConfig { duration_s: 1.0, cascade: false, ..MarketConfig::default() }, &missing)
            .unwrap_err();
    assert!(matches!(&error, SynthError::Write { path, .. } if *path == missing));
    assert!(error.to_string().contains("halcyon-synth-no-such-dir"), "{error}");

    // An existing file is not overwritten.
    std::fs::write(&path, b"keep me").unwrap();
    assert!(
        generate(&MarketConfig { duration_s: 1.0, cascade: false, ..MarketConfig::default() }, &path)
            .is_err()
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
    std::fs::remove_file(&path).unwrap();
}
