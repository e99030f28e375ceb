//! Stoikov's micro-price on the real Binance USD-M BTCUSDT recording (2024-08-08
//! 23:54–00:00 UTC, ~94k frames): every event goes through the feed's decoder, sequencer and
//! book; each completed, trusted book update's top feeds [`StoikovMicroprice`] with the
//! default config, and is then a prediction point.
//!
//! - `the_micro_price_predicts_the_mid_a_second_ahead_no_worse_than_the_mid`: once the table
//!   is fitted, three estimators of the mid one second later (event time) are compared by mean
//!   squared error, in ticks²: the mid, the imbalance-weighted mid
//!   ([`TopOfBook::microprice`]) and the Stoikov micro-price, whose table at each prediction
//!   was fitted from earlier tops only (the estimator is fed the top, then asked; a refit
//!   sees only transitions that have happened). Two passes must be bit-identical, and the
//!   estimator must not allocate once built (refits included). Prints the table `g*(I, S)`
//!   and the errors at three horizons (run with `--nocapture`).

use feeds::{Event, Nanos, OrderBook};
use strategy::signals::TopOfBook;
use strategy::stoikov::{StoikovConfig, StoikovMicroprice};
use testkit::replay::Replay;
use testkit::thread_allocations as allocations;

#[global_allocator]
static ALLOCATOR: testkit::CountingAllocator = testkit::CountingAllocator;

/// One completed, trusted book update.
#[derive(Clone, Copy, Debug)]
struct Point {
    time: Nanos,
    top: TopOfBook,
    /// The Stoikov micro-price of `top` right after it was fed; `None` during warm-up.
    stoikov: Option<f64>,
}

/// Mean squared errors, ticks², of three estimators of a future mid, over the same points.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Errors {
    points: usize,
    mid: f64,
    weighted: f64,
    stoikov: f64,
}

/// What one pass saw.
#[derive(Debug)]
struct Pass {
    points: Vec<Point>,
    /// `g*` by (spread bucket, imbalance bucket) at the end, ticks.
    table: Vec<Vec<f64>>,
    transitions: u64,
    resets: u64,
    /// Allocations made inside the estimator's calls.
    allocations: u64,
    /// FNV-1a over the bits of every prediction and of the final table.
    digest: u64,
}

fn fold(digest: &mut u64, value: f64) {
    for byte in value.to_bits().to_le_bytes() {
        *digest = (*digest ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
}

fn run() -> Pass {
    let mut replay = Replay::open();
    let mut estimator = StoikovMicroprice::new(&StoikovConfig::default());
    let mut points = Vec::with_capacity(8_192);
    let mut resets = 0;
    let mut allocated = 0;
    // The latest exchange time seen: the venue's streams are stamped by different clocks, and
    // the strategy's "now" never goes back (as in `SignalEngine`).
    let mut now = Nanos(i64::MIN);
    let mut trusted = false;
    while replay.next_frame(|event: &Event, book: &OrderBook| {
        now = now.max(event.exchange_time);
        if !event.is_last_of_update() {
            return;
        }
        match TopOfBook::of(book).filter(|_| book.is_trusted()) {
            Some(top) => {
                trusted = true;
                let before = allocations();
                estimator.on_top(now, &top);
                let stoikov = estimator.microprice(&top);
                allocated += allocations() - before;
                points.push(Point { time: now, top, stoikov });
            }
            None if trusted => {
                trusted = false;
                resets += 1;
                let before = allocations();
                estimator.on_reset();
                allocated += allocations() - before;
            }
            None => {}
        }
    }) {}
    assert_eq!(replay.frames, 93_954);
    assert!(estimator.fitted());
    let table: Vec<Vec<f64>> = (0..estimator.spread_buckets())
        .map(|spread| {
            (0..estimator.imbalance_buckets())
                .map(|imbalance| estimator.table(imbalance, spread).unwrap())
                .collect()
        })
        .collect();
    let mut digest = 0xcbf2_9ce4_8422_2325;
    for point in &points {
        fold(&mut digest, point.stoikov.unwrap_or(f64::NAN));
    }
    table.iter().flatten().for_each(|&value| fold(&mut digest, value));
    Pass { points, table, transitions: estimator.transitions(), resets, allocations: allocated, digest }
}

/// The errors against the mid `horizon` later: the mid of the last update at or before
/// `time + horizon`, for points whose horizon ends before the recording does. A zero
/// horizon means "at the next change of the mid".
fn errors(points: &[Point], horizon: i64) -> Errors {
    let mut errors = Errors { points: 0, mid: 0.0, weighted: 0.0, stoikov: 0.0 };
    let mut later = 0;
    for (i, point) in points.iter().enumerate() {
        let mid = point.top.mid();
        let target = if horizon == 0 {
            match points[i + 1..].iter().find(|next| next.top.mid() != mid) {
                Some(next) => next.top.mid(),
                None => break,
            }
        } else {
            let end = point.time.0.saturating_add(horizon);
            later = later.max(i);
            while later + 1 < points.len() && points[later + 1].time.0 <= end {
                later += 1;
            }
            if later + 1 == points.len() {
                break;
            }
            points[later].top.mid()
        };
        let Some(stoikov) = point.stoikov else { continue };
        errors.points += 1;
        errors.mid += (mid - target).powi(2);
        errors.weighted += (point.top.microprice() - target).powi(2);
        errors.stoikov += (stoikov - target).powi(2);
    }
    let n = errors.points as f64;
    Errors { mid: errors.mid / n, weighted: errors.weighted / n, stoikov: errors.stoikov / n, ..errors }
}

#[test]
fn the_micro_price_predicts_the_mid_a_second_ahead_no_worse_than_the_mid() {
    let pass = run();
    let again = run();
    assert_eq!(pass.digest, again.digest, "two passes differ");
    assert_eq!(pass.points.len(), again.points.len());
    assert_eq!(pass.allocations, 0, "the estimator allocated");

    let warm = pass.points.iter().filter(|point| point.stoikov.is_some()).count();
    eprintln!(
        "{} trusted book updates, {} transitions between distinct tops, {} resets, {} predictions after warm-up",
        pass.points.len(),
        pass.transitions,
        pass.resets,
        warm
    );
    let buckets = pass.table[0].len();
    eprintln!("g*(I, S), ticks, at the end of the recording (imbalance buckets of width 1/{buckets}):");
    for (spread, row) in pass.table.iter().enumerate() {
        let cells: Vec<String> = row.iter().map(|value| format!("{value:+7.2}")).collect();
        let label = if spread + 1 == pass.table.len() {
            format!(">= {} tick", spread + 1)
        } else {
            format!("{} tick", spread + 1)
        };
        eprintln!("  S {label:>10}: {}", cells.join(" "));
    }
    let second = errors(&pass.points, Nanos::PER_SECOND);
    for (name, horizon) in
        [("at its next change", 0), ("1 s later", Nanos::PER_SECOND), ("5 s later", 5 * Nanos::PER_SECOND)]
    {
        let e = errors(&pass.points, horizon);
        eprintln!(
            "MSE against the mid {name:>19} ({} points), ticks²: mid {:.1}, imbalance-weighted mid {:.1} ({:+.2} %), Stoikov {:.1} ({:+.2} %)",
            e.points,
            e.mid,
            e.weighted,
            100.0 * (e.weighted / e.mid - 1.0),
            e.stoikov,
            100.0 * (e.stoikov / e.mid - 1.0),
        );
    }
    assert_eq!(second, errors(&again.points, Nanos::PER_SECOND));
    assert!(second.points > 4_000, "{second:?}");
    assert!(second.stoikov.is_finite() && second.mid.is_finite());
    assert!(second.stoikov <= second.mid, "the micro-price predicts worse than the mid: {second:?}");
    // Odd in the imbalance, as the symmetrisation makes it.
    for row in &pass.table {
        for (low, high) in row.iter().zip(row.iter().rev()) {
            assert_eq!(*low, -*high);
        }
    }
}
