//! Volatility and fill-intensity estimates on the real Binance USD-M BTCUSDT recording
//! (2024-08-08 23:54–23:59 UTC, ~94k frames, a calm market): every event goes through the
//! feed's decoder, sequencer and book; the microprice of each completed, trusted book update
//! feeds [`Volatility`], and the taker bursts rebuilt from the trade prints feed
//! [`ArrivalFit`].
//!
//! - `estimates_on_the_btcusdt_recording_are_finite_and_deterministic`: after warm-up `sigma`
//!   is finite and positive at every once-a-second sample, the arrival fit succeeds, and two
//!   passes give bit-identical readings. Prints the distribution of the estimates, and what
//!   the default GLFT policy would quote with them (run with `--nocapture`).

use feeds::{Event, EventKind, Nanos, OrderBook};
use strategy::arrivals::{ArrivalConfig, ArrivalFit, ArrivalReading};
use strategy::policy::glft::{Glft, GlftConfig};
use strategy::scale::Scale;
use strategy::signals::TopOfBook;
use strategy::taker::BurstDetector;
use strategy::volatility::{Volatility, VolatilityConfig, VolatilityReading};
use testkit::replay::{BTCUSDT, Replay, instruments};

/// Basis points in one.
const BPS: f64 = 10_000.0;

/// The readings at one whole second of exchange time.
#[derive(Clone, Copy, Debug)]
struct Sample {
    volatility: VolatilityReading,
    arrivals: ArrivalReading,
    /// The microprice, ticks.
    microprice: f64,
}

/// What one pass saw.
#[derive(Debug, Default)]
struct Pass {
    samples: Vec<Sample>,
    book_updates: u64,
    bursts: u64,
    /// `λ_j` per bin at the end of the recording.
    rates: Vec<f64>,
    /// FNV-1a over the bits of every sampled reading.
    digest: u64,
}

impl Pass {
    fn fold(&mut self, value: f64) {
        for byte in value.to_bits().to_le_bytes() {
            self.digest = (self.digest ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn run() -> Pass {
    let mut replay = Replay::open();
    let lot = instruments().get(BTCUSDT).expect("BTCUSDT").lot;
    let scale = Scale::new(replay.tick(), lot);
    let mut volatility = Volatility::new(&VolatilityConfig::default());
    let mut arrivals = ArrivalFit::new(&ArrivalConfig::default());
    let mut detector = BurstDetector::new();
    let mut pass = Pass { digest: 0xcbf2_9ce4_8422_2325, ..Pass::default() };
    // The top of the book at the last completed, trusted update; `None` while untrusted.
    let mut top: Option<TopOfBook> = None;
    let mut second: Option<i64> = None;
    // The latest exchange time seen: the venue's streams are stamped by different clocks, and
    // the strategy's "now" never goes back (as in `SignalEngine`).
    let mut now = Nanos(i64::MIN);
    while replay.next_frame(|event: &Event, book: &OrderBook| {
        now = now.max(event.exchange_time);
        if let Some(burst) = detector.on_time(now) {
            arrivals.on_burst(&burst);
            pass.bursts += 1;
        }
        arrivals.on_time(now);
        if !book.is_trusted() {
            top = None;
        }
        match event.kind() {
            EventKind::Trade(trade) => {
                let mid = top.map(|top| top.mid());
                if let Some(burst) = detector.on_trade(event.exchange_time, &trade, mid, &scale) {
                    arrivals.on_burst(&burst);
                    pass.bursts += 1;
                }
            }
            _ if event.is_last_of_update() => {
                top = if book.is_trusted() { TopOfBook::of(book) } else { None };
                if let Some(top) = top {
                    volatility.on_microprice(now, top.microprice());
                    pass.book_updates += 1;
                }
            }
            _ => {}
        }
        // One sample per whole second of exchange time, once the book is up.
        let whole = now.0.div_euclid(Nanos::PER_SECOND);
        if let Some(top) = top
            && second.is_none_or(|second| whole > second)
        {
            second = Some(whole);
            pass.samples.push(Sample {
                volatility: *volatility.reading(),
                arrivals: *arrivals.reading(),
                microprice: top.microprice(),
            });
        }
    }) {}
    assert_eq!(replay.frames, 93_954);
    pass.rates = arrivals.rates().expect("bursts were seen").collect();
    let samples = std::mem::take(&mut pass.samples);
    for sample in &samples {
        let (v, a) = (sample.volatility, sample.arrivals);
        for value in [v.sigma, v.fast, v.slow, v.bipower, v.ratio, a.a, a.k, sample.microprice] {
            pass.fold(value);
        }
    }
    pass.samples = samples;
    pass
}

/// The `p`-th percentile (nearest rank) of `values`.
fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * values.len() as f64).ceil().max(1.0) as usize;
    values[rank.min(values.len()) - 1]
}

fn print(name: &str, mut values: Vec<f64>) {
    let [p10, p50, p90, p99] = [10.0, 50.0, 90.0, 99.0].map(|p| percentile(&mut values, p));
    eprintln!("{name:>28}: p10 {p10:>9.4}  p50 {p50:>9.4}  p90 {p90:>9.4}  p99 {p99:>9.4}");
}

#[test]
fn estimates_on_the_btcusdt_recording_are_finite_and_deterministic() {
    let pass = run();
    let min_samples = VolatilityConfig::default().min_samples;
    let warm: Vec<Sample> =
        pass.samples.iter().copied().filter(|sample| sample.volatility.returns >= min_samples).collect();
    assert!(pass.samples.len() > 300, "{} one-second samples", pass.samples.len());
    assert!(warm.len() > 300, "{} warm samples", warm.len());
    for sample in &warm {
        let v = sample.volatility;
        assert!(v.sigma.is_finite() && v.sigma > 0.0, "{v:?}");
        assert!(v.ratio.is_finite() && v.ratio > 0.0, "{v:?}");
        assert!(v.fast > 0.0 && v.slow > 0.0 && v.bipower > 0.0, "{v:?}");
        // Calm BTC: between 0.01 and 10 bp/√s.
        assert!((1e-6..1e-3).contains(&v.sigma), "{v:?}");
    }
    let last = pass.samples.last().unwrap();
    assert!(last.arrivals.fitted, "{:?}", last.arrivals);
    assert!(last.arrivals.a > 0.0 && last.arrivals.k > 0.0);

    let again = run();
    assert_eq!(pass.digest, again.digest, "two passes differ");
    assert_eq!(pass.samples.len(), again.samples.len());

    let glft = Glft::new(GlftConfig::default());
    let fitted: Vec<&Sample> = warm.iter().filter(|sample| sample.arrivals.fitted).collect();
    eprintln!(
        "{} book updates, {} bursts, {} one-second samples ({} warm, {} with a fitted intensity)",
        pass.book_updates,
        pass.bursts,
        pass.samples.len(),
        warm.len(),
        fitted.len()
    );
    let volatility =
        |f: fn(&VolatilityReading) -> f64| warm.iter().map(|s| f(&s.volatility)).collect::<Vec<_>>();
    print("sigma, bp/sqrt(s)", volatility(|v| v.sigma * BPS));
    print("fast, bp/sqrt(s)", volatility(|v| v.fast * BPS));
    print("slow, bp/sqrt(s)", volatility(|v| v.slow * BPS));
    print("bipower, bp/sqrt(s)", volatility(|v| v.bipower * BPS));
    print("fast/slow", volatility(|v| v.ratio));
    print("sigma, ticks/sqrt(s)", warm.iter().map(|s| s.volatility.sigma * s.microprice).collect());
    print("A, per s (fitted)", fitted.iter().map(|s| s.arrivals.a).collect());
    print("k, per tick (fitted)", fitted.iter().map(|s| s.arrivals.k).collect());
    let terms = |s: &Sample| glft.terms(s.volatility.sigma * s.microprice, s.arrivals.a, s.arrivals.k, 1.0);
    print("GLFT half-spread, ticks", warm.iter().map(|s| terms(s).base).collect());
    print("GLFT c1, ticks", warm.iter().map(|s| terms(s).arrival).collect());
    print("GLFT skew at q = 1, ticks", warm.iter().map(|s| terms(s).skew).collect());
    for gamma in [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05] {
        let glft = Glft::new(GlftConfig { gamma, ..GlftConfig::default() });
        let mut terms: Vec<_> = warm
            .iter()
            .map(|s| glft.terms(s.volatility.sigma * s.microprice, s.arrivals.a, s.arrivals.k, 1.0))
            .collect();
        let mut half: Vec<f64> = terms.iter().map(|t| t.base).collect();
        let mut skew: Vec<f64> = terms.drain(..).map(|t| t.skew).collect();
        eprintln!(
            "gamma {gamma}: half-spread p50 {:.2} ticks, skew at q = 1 p50 {:.2} ticks",
            percentile(&mut half, 50.0),
            percentile(&mut skew, 50.0)
        );
    }
    let rates: Vec<String> = pass.rates.iter().take(8).map(|rate| format!("{rate:.4}")).collect();
    eprintln!("lambda_j per s at the end, j = 0..8 ticks: {}", rates.join(" "));
    eprintln!("final: {:?}\n       {:?}", last.volatility, last.arrivals);
}
