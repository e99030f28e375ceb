//! The toxicity score on the real Binance USD-M BTCUSDT recording (2024-08-08, ~94k frames,
//! 345 s of a calm market): every event goes through the feed's decoder, sequencer and book,
//! then to a [`Toxicity`] fed as the signal engine feeds it (time first; trades; taker bursts
//! from a [`BurstDetector`]; the top at each completed update of a trusted book).
//!
//! Our own fills are simulated so that the markout component has something to mark: every
//! 25th print is taken to have filled a one-lot order of ours resting at the touch, on the side
//! the taker hit, quoted at half the touch spread.
//!
//! - `toxicity_on_the_btcusdt_recording`: `τ` and every percentile stay in `[0, 1]`, every
//!   component becomes defined after its warm-up, no call allocates, two passes give
//!   bit-identical readings, and the distribution of `τ` and of each component is printed
//!   (sampled once per second of event time; run with `--nocapture` to see it).

use feeds::{Event, EventKind, Lots, Nanos, OrderBook};
use strategy::scale::Scale;
use strategy::signals::TopOfBook;
use strategy::taker::{BurstDetector, TakerBurst};
use strategy::toxicity::{Toxicity, ToxicityComponent, ToxicityConfig, ToxicityReading};
use testkit::replay::{BTCUSDT, Replay, instruments};
use testkit::thread_allocations as allocations;

#[global_allocator]
static ALLOCATOR: testkit::CountingAllocator = testkit::CountingAllocator;

/// One print in this many is one of our fills.
const FILL_EVERY: u64 = 25;

/// What one pass saw.
#[derive(Debug)]
struct Pass {
    events: u64,
    /// Allocations inside the detector's and the estimator's calls.
    allocations: u64,
    /// FNV-1a over the bits of every reading, after every event.
    digest: u64,
    /// `τ`, then each component's raw value (when defined), once per second of event time.
    per_second: [Vec<f64>; 7],
    /// Seconds after the first event at which each component first had a percentile.
    first_percentile: [Option<f64>; 6],
    /// The reading at the end.
    last: ToxicityReading,
    dropped_fills: u64,
}

impl Pass {
    fn fold(&mut self, value: f64) {
        for byte in value.to_bits().to_le_bytes() {
            self.digest = (self.digest ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn check_and_fold(&mut self, reading: &ToxicityReading) {
        assert!((0.0..=1.0).contains(&reading.value), "{reading:?}");
        assert!((0.0..=1.0).contains(&reading.raw), "{reading:?}");
        self.fold(reading.value);
        self.fold(reading.raw);
        for component in &reading.components {
            assert!(component.percentile.is_none_or(|p| (0.0..=1.0).contains(&p)), "{reading:?}");
            self.fold(component.raw);
            self.fold(component.percentile.unwrap_or(-1.0));
        }
    }
}

/// The estimator and what feeds it, as the signal engine holds them.
struct Feeder {
    scale: Scale,
    toxicity: Toxicity,
    bursts: BurstDetector,
    top: Option<TopOfBook>,
    now: Nanos,
    prints: u64,
}

impl Feeder {
    fn on_burst(&mut self, burst: Option<TakerBurst>) {
        if let Some(burst) = burst {
            self.toxicity.on_burst(&burst);
        }
    }

    /// One event, already applied to `book`.
    fn on_event(&mut self, event: &Event, book: &OrderBook) {
        self.now = self.now.max(event.exchange_time);
        let now = self.now;
        let closed = self.bursts.on_time(now);
        self.on_burst(closed);
        self.toxicity.on_time(now);
        match event.kind() {
            EventKind::Trade(trade) => {
                let mid = self.top.map(|top| top.mid());
                let closed = self.bursts.on_trade(event.exchange_time, &trade, mid, &self.scale);
                self.on_burst(closed);
                self.toxicity.on_trade(event.exchange_time, &trade);
                self.prints += 1;
                if self.prints.is_multiple_of(FILL_EVERY)
                    && let Some(top) = self.top
                {
                    let half_spread = ((top.ask.0 - top.bid.0) as f64 / 2.0).max(0.5);
                    let ours = trade.aggressor.opposite();
                    self.toxicity.on_own_fill(now, ours, trade.price, Lots(1), half_spread);
                }
            }
            EventKind::BookLevel(_) | EventKind::BookClear(_) if event.is_last_of_update() => {
                self.refresh(book)
            }
            EventKind::BookClear(_) | EventKind::FeedStatus(_) => self.refresh(book),
            _ => {}
        }
    }

    fn refresh(&mut self, book: &OrderBook) {
        self.top = if book.is_trusted() { TopOfBook::of(book) } else { None };
        if let Some(top) = self.top {
            self.toxicity.on_top(self.now, &top, top.microprice());
        }
    }
}

/// Replays the recording through a default estimator.
fn run() -> Pass {
    let mut replay = Replay::open();
    let instrument = instruments().get(BTCUSDT).expect("BTCUSDT").clone();
    let scale = Scale::new(instrument.tick, instrument.lot);
    let mut feeder = Feeder {
        scale,
        toxicity: Toxicity::new(&ToxicityConfig::default(), scale),
        bursts: BurstDetector::new(),
        top: None,
        now: Nanos(0),
        prints: 0,
    };
    let mut pass = Pass {
        events: 0,
        allocations: 0,
        digest: 0xcbf2_9ce4_8422_2325,
        per_second: Default::default(),
        first_percentile: [None; 6],
        last: ToxicityReading::default(),
        dropped_fills: 0,
    };
    let mut start = None;
    let mut next_second = i64::MIN;
    while replay.next_frame(|event: &Event, book: &OrderBook| {
        let before = allocations();
        feeder.on_event(event, book);
        pass.allocations += allocations() - before;
        pass.events += 1;
        let reading = *feeder.toxicity.reading();
        pass.check_and_fold(&reading);
        let now = feeder.now.0;
        let start = *start.get_or_insert(now);
        for (first, component) in pass.first_percentile.iter_mut().zip(&reading.components) {
            if first.is_none() && component.percentile.is_some() {
                *first = Some((now - start) as f64 / 1e9);
            }
        }
        if now >= next_second {
            next_second = (now / Nanos::PER_SECOND + 1) * Nanos::PER_SECOND;
            pass.per_second[0].push(reading.value);
            for (series, component) in pass.per_second[1..].iter_mut().zip(&reading.components) {
                if component.raw.is_finite() {
                    series.push(component.raw);
                }
            }
        }
    }) {}
    assert_eq!(replay.frames, 93_954);
    pass.last = *feeder.toxicity.reading();
    pass.dropped_fills = feeder.toxicity.dropped_fills();
    pass
}

/// Nearest-rank quantile of sorted `values`.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let index = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

#[test]
fn toxicity_on_the_btcusdt_recording() {
    let first = run();
    let second = run();

    assert!(first.events > 90_000, "{}", first.events);
    assert_eq!(first.allocations, 0, "the estimator and the burst detector allocated per event");
    assert_eq!(first.dropped_fills, 0);
    for (component, (reading, first_seen)) in
        ToxicityComponent::ALL.iter().zip(first.last.components.iter().zip(&first.first_percentile))
    {
        assert!(reading.percentile.is_some(), "{} undefined at the end: {reading:?}", component.name());
        eprintln!("{:>22} first ranked after {:>6.1} s", component.name(), first_seen.unwrap());
    }
    assert!(first.per_second[0].len() > 300, "one τ sample a second");
    assert!(first.per_second[0].iter().any(|&tau| tau > 0.0));

    // Determinism: every reading after every event, bit for bit.
    assert_eq!(first.digest, second.digest, "two passes gave different readings");
    assert_eq!(first.per_second[0].len(), second.per_second[0].len());

    let names = std::iter::once("tau").chain(ToxicityComponent::ALL.iter().map(|c| c.name()));
    eprintln!("{:>22} {:>6} {:>10} {:>10} {:>10} {:>10}", "per second", "n", "p10", "p50", "p90", "p99");
    for (name, series) in names.zip(&first.per_second) {
        let mut sorted = series.clone();
        sorted.sort_by(f64::total_cmp);
        if sorted.is_empty() {
            eprintln!("{name:>22} {:>6}", 0);
            continue;
        }
        eprintln!(
            "{name:>22} {:>6} {:>10.4} {:>10.4} {:>10.4} {:>10.4}",
            sorted.len(),
            quantile(&sorted, 0.10),
            quantile(&sorted, 0.50),
            quantile(&sorted, 0.90),
            quantile(&sorted, 0.99),
        );
    }
    eprintln!("digest {:016x}, {} events", first.digest, first.events);
}
