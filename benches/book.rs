//! Order book apply and query costs, on the real BTCUSDT book stream.
//!
//! The whole recording is decoded once, before timing, into the book [`Event`]s production
//! would publish: every frame through the [`Decoder`], depth diffs and the REST snapshot through
//! the [`DepthSequencer`] (Binance's buffering, snapshot and `pu`-chaining steps). Then:
//!
//! - `book_apply/apply_all_depth_events`: every event into a fresh
//!   `OrderBook::with_capacity(8192)`; throughput is events, so the time divided by the event
//!   count is ns per event.
//! - `book_apply/iterate_events_only`: the same loop reading each event without applying it,
//!   the harness's own overhead.
//! - `book_apply/btreemap_baseline`: the same events into a `BTreeMap` per side with the same
//!   crossed-book check, the shape the `book` module docs argue against.
//! - `book_update/apply_top_of_book_update`: a diff changing the quantity of the third-best bid
//!   and one restoring it, through [`OrderBook::apply`]; `insert_remove_near_top`: a diff adding
//!   a level inside the top of the bids and one removing it (a slot write in the side's window).
//! - `book_query/*`: reads of the final book the quoting core makes per update.

mod common;

use std::collections::BTreeMap;
use std::hint::black_box;

use common::configure;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use feeds::venue::binance::{Decoder, DepthSequencer, Message, SyncOutcome, VENUE};
use feeds::{BookLevel, ClearReason, Event, EventKind, Lots, OrderBook, Seq, Side, Ticks};

/// Levels per side the benchmarked books are built with: far above the 1000-level snapshot plus
/// the levels diffs add beyond it, so no apply allocates.
const LEVELS_PER_SIDE: usize = 8192;

/// The recording's book events, decoded and sequenced as production does.
fn book_events() -> Vec<Event> {
    let instruments = common::instruments();
    let instrument = instruments.lookup(VENUE, b"BTCUSDT").expect("BTCUSDT is configured");
    let mut decoder = Decoder::new(instruments);
    let mut sequencer = DepthSequencer::new(instrument);
    let mut events = Vec::new();
    common::for_each_frame(|receive_time, payload| {
        match decoder.decode(payload, receive_time, "") {
            Ok(Message::Depth(diff)) => {
                if let SyncOutcome::Gap { expected, received } = sequencer.on_diff(&diff, &mut events) {
                    panic!(
                        "the recording has no gaps, yet one was found: expected {expected:?}, got {received:?}"
                    );
                }
            }
            Ok(Message::Snapshot(snapshot)) => {
                sequencer.on_snapshot(&snapshot, &mut events);
            }
            Ok(_) => {}
            Err(error) => panic!("recorded frame does not decode: {error}"),
        }
        true
    });
    let stats = sequencer.stats();
    assert_eq!(stats.snapshots, 1, "the recording holds one REST snapshot");
    eprintln!(
        "book events: {} ({} diffs applied, {} stale, 1 snapshot)",
        events.len(),
        stats.applied,
        stats.stale
    );
    events
}

/// Applies every event to a fresh book; panics on any book error, since a bench of a book that
/// rejects its input measures nothing useful.
fn final_book(events: &[Event]) -> OrderBook {
    let mut book = OrderBook::with_capacity(LEVELS_PER_SIDE);
    for (index, event) in events.iter().enumerate() {
        if let Err(error) = book.apply(event) {
            panic!("book error at event {index}: {error}");
        }
    }
    assert!(book.is_trusted(), "the final book must be trusted");
    eprintln!(
        "final book: {} bids, {} asks, best {:?} / {:?}",
        book.levels(Side::Bid),
        book.levels(Side::Ask),
        book.best_bid(),
        book.best_ask()
    );
    book
}

/// The baseline book: one ordered map per side.
#[derive(Default)]
struct BTreeMapBook {
    bids: BTreeMap<Ticks, Lots>,
    asks: BTreeMap<Ticks, Lots>,
}

impl BTreeMapBook {
    /// Applies a level or a clear; at the end of an update, reports whether the book is crossed.
    fn apply(&mut self, event: &Event) -> bool {
        match event.kind() {
            EventKind::BookLevel(BookLevel { side, price, qty, last, .. }) => {
                let ladder = match side {
                    Side::Bid => &mut self.bids,
                    Side::Ask => &mut self.asks,
                };
                if qty.0 > 0 {
                    ladder.insert(price, qty);
                } else {
                    ladder.remove(&price);
                }
                last && self.is_crossed()
            }
            EventKind::BookClear(clear) => {
                self.bids.clear();
                self.asks.clear();
                clear.reason == ClearReason::Snapshot && clear.last && self.is_crossed()
            }
            _ => false,
        }
    }

    fn is_crossed(&self) -> bool {
        matches!(
            (self.bids.last_key_value(), self.asks.first_key_value()),
            (Some((bid, _)), Some((ask, _))) if bid >= ask
        )
    }
}

/// A one-level diff event on the book's instrument.
fn level_event(template: &Event, seq: Seq, side: Side, price: Ticks, qty: Lots) -> Event {
    let level = BookLevel { side, price, qty, last: true, snapshot: false };
    Event::new(
        template.exchange_time,
        template.receive_time,
        seq,
        template.instrument,
        EventKind::BookLevel(level),
    )
}

fn book(c: &mut Criterion) {
    let events = book_events();
    let mut book = final_book(&events);
    let template = *events.last().expect("the recording has book events");

    let mut group = c.benchmark_group("book_apply");
    configure(&mut group);
    group.throughput(Throughput::Elements(events.len() as u64));
    // NB: the book is built fresh in the setup, not cloned: `Vec::clone` keeps the length, not
    // the capacity, so a cloned empty book would allocate while it fills, which production's
    // preallocated book does not.
    group.bench_function("apply_all_depth_events", |b| {
        b.iter_batched(
            || OrderBook::with_capacity(LEVELS_PER_SIDE),
            |mut book| {
                for event in &events {
                    let _ = black_box(book.apply(event));
                }
                book
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("iterate_events_only", |b| {
        b.iter_batched(
            || OrderBook::with_capacity(LEVELS_PER_SIDE),
            |book| {
                for event in &events {
                    black_box(event);
                }
                book
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("btreemap_baseline", |b| {
        b.iter_batched(
            BTreeMapBook::default,
            |mut book| {
                for event in &events {
                    black_box(book.apply(event));
                }
                book
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("book_update");
    configure(&mut group);
    group.throughput(Throughput::Elements(2));
    let seq = Seq(book.last_update_id().0 + 1);
    let (price, qty) = book.top(Side::Bid, 3).last().expect("the book has three bids");
    let change = level_event(&template, seq, Side::Bid, price, Lots(qty.0 + 1));
    let restore = level_event(&template, seq, Side::Bid, price, qty);
    group.bench_function("apply_top_of_book_update", |b| {
        b.iter(|| {
            let _ = black_box(book.apply(black_box(&change)));
            let _ = black_box(book.apply(black_box(&restore)));
        })
    });
    // The best empty tick below the best bid.
    let best_bid = book.best_bid().expect("the book has bids").0;
    let gap = (1..)
        .map(|below| Ticks(best_bid.0 - below))
        .find(|&price| book.qty_at(Side::Bid, price) == Lots::ZERO)
        .expect("some tick below the best bid is empty");
    let insert = level_event(&template, seq, Side::Bid, gap, Lots(1));
    let remove = level_event(&template, seq, Side::Bid, gap, Lots::ZERO);
    let depth = book.top(Side::Bid, usize::MAX).take_while(|&(price, _)| price > gap).count();
    eprintln!("insert_remove_near_top: bid {gap:?}, {depth} better bid levels");
    group.bench_function("insert_remove_near_top", |b| {
        b.iter(|| {
            let _ = black_box(book.apply(black_box(&insert)));
            let _ = black_box(book.apply(black_box(&remove)));
        })
    });
    group.finish();
    assert!(book.is_trusted(), "the micro benches must leave the book trusted");

    let mut group = c.benchmark_group("book_query");
    configure(&mut group);
    group.bench_function("best_bid_ask", |b| {
        b.iter(|| {
            let book = black_box(&book);
            (book.best_bid(), book.best_ask())
        })
    });
    group.bench_function("depth_within_25bps", |b| b.iter(|| black_box(&book).depth_within_bps(25)));
    group.bench_function("top_10", |b| {
        b.iter(|| {
            let book = black_box(&book);
            let mut levels = [(Ticks(0), Lots::ZERO); 20];
            let top = book.top(Side::Bid, 10).chain(book.top(Side::Ask, 10));
            for (slot, level) in levels.iter_mut().zip(top) {
                *slot = level;
            }
            levels
        })
    });
    let depth = book.depth_within_bps(25);
    eprintln!("depth within 25 bps: {} bid levels, {} ask levels", depth.bid.levels, depth.ask.levels);
    group.finish();
}

criterion_group!(benches, book);
criterion_main!(benches);
