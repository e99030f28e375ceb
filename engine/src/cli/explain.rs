//! `halcyon explain`: replay a recording up to a moment and show why the quote there is where it
//! is: the book top, every signal, the fair value, each term of the spread, and the quotes; plus
//! the distributions of toxicity, volatility and half-spread over the replay so far.
//!
//! The replay is synchronous and single-threaded (no ring, no pinning): frames are decoded and
//! sequenced by the feed's own decoder, applied to the book, and given to the configured
//! quoter exactly as the quoting core does. Time is exchange time. Deterministic: the same
//! recording, config and `--at` print the same numbers.

use super::args::ExplainArgs;
use super::config::load_instruments;
use super::engine_config::EngineConfig;
use super::{CliError, EXIT_OK};
use feeds::recording::open_frames;
use feeds::venue::binance::{Decoder, DepthSequencer, Message};
use feeds::{Event, Lots, Nanos, OrderBook, Step, Ticks};
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, UNIX_EPOCH};
use strategy::toxicity::ToxicityComponent;
use strategy::{ConfiguredQuoter, Explanation, QuoteOutcome, RiskAdjust, StrategyConfig};

/// Book capacity per side beyond the dense window (levels), as the quoting core uses.
const BOOK_LEVELS: usize = 8192;

/// Runs `halcyon explain`.
pub fn run(arguments: &ExplainArgs) -> Result<u8, CliError> {
    let config = EngineConfig::load(arguments.config.as_deref())?;
    let (instruments, _) = load_instruments(arguments.instruments.as_deref(), None)?;
    let symbol = arguments.symbol.as_deref().unwrap_or_else(|| config.symbols[0].as_str());
    let instrument = instruments.find(&config.venue, symbol).ok_or_else(|| {
        CliError::Argument(format!("{symbol} on {}: not in the instrument definitions", config.venue))
    })?;
    let spec = instruments.get(instrument).expect("found above");
    let (tick, lot) = (spec.tick, spec.lot);
    let at = arguments.at.as_deref().map(parse_at).transpose()?;

    let mut reader = open_frames(&arguments.data)?;
    let mut decoder = Decoder::new(instruments.clone());
    let mut sequencer = DepthSequencer::new(instrument);
    let mut book = OrderBook::with_capacity(BOOK_LEVELS);
    let mut quoter = ConfiguredQuoter::from_config(config.strategy, tick, lot);
    let mut events: Vec<Event> = Vec::with_capacity(4096);
    let mut replay = Replay::default();
    'frames: while let Some(frame) = reader.next_frame() {
        let frame = match frame {
            Ok(frame) => frame,
            Err(error) => {
                replay.read_errors += 1;
                tracing::warn!("{error}");
                continue;
            }
        };
        events.clear();
        match decoder.decode(frame.payload, frame.receive_time, frame.channel) {
            Ok(Message::Depth(diff)) if diff.instrument == instrument => {
                sequencer.on_diff(&diff, &mut events);
            }
            Ok(Message::Snapshot(snapshot)) if snapshot.instrument == instrument => {
                sequencer.on_snapshot(&snapshot, &mut events);
            }
            Ok(Message::Event(_, event)) if event.instrument == instrument => events.push(event),
            Ok(_) => {}
            Err(_) => replay.decode_errors += 1,
        }
        for event in &events {
            if replay.first.is_none() {
                replay.first = Some(event.exchange_time);
            }
            let limit = at.map(|at| at.resolve(replay.first.unwrap_or(event.exchange_time)));
            if limit.is_some_and(|limit| event.exchange_time > limit) {
                replay.stopped_early = true;
                break 'frames;
            }
            if book.apply(event).is_err() {
                replay.book_errors += 1;
            }
            quoter.on_event(event, &book);
            replay.events += 1;
            replay.last = event.exchange_time;
            if event.is_last_of_update() {
                quoter.quote(&book, Lots(0), RiskAdjust::CALM);
                replay.sample(&quoter);
            }
        }
    }
    let Some(first) = replay.first else {
        return Err(CliError::Argument(format!(
            "{}: no events of {symbol} in the recording",
            arguments.data.display()
        )));
    };
    if let Some(at) = at {
        let limit = at.resolve(first);
        if !replay.stopped_early && limit > replay.last {
            return Err(CliError::Argument(format!(
                "--at {}: after the recording's last event of {symbol} ({})",
                arguments.at.as_deref().unwrap_or_default(),
                format_time(replay.last)
            )));
        }
        if limit < first {
            return Err(CliError::Argument(format!(
                "--at {}: before the recording's first event of {symbol} ({})",
                arguments.at.as_deref().unwrap_or_default(),
                format_time(first)
            )));
        }
    }
    quoter.quote(&book, Lots(arguments.inventory), RiskAdjust::CALM);
    let explanation = quoter.explain();
    let report = Report {
        symbol: symbol.to_owned(),
        venue: config.venue.clone(),
        at: format_time(explanation.signals.exchange_time),
        events: replay.events,
        decode_errors: replay.decode_errors,
        book_errors: replay.book_errors,
        inventory: arguments.inventory,
        config: config.strategy,
        explanation,
        distributions: replay.distributions(),
    };
    let mut out = std::io::stdout().lock();
    let text = if arguments.json {
        serde_json::to_string_pretty(&report).expect("the report serialises") + "\n"
    } else {
        render(&report, tick, lot)
    };
    out.write_all(text.as_bytes()).map_err(CliError::Output)?;
    Ok(EXIT_OK)
}

/// What `--at` says.
#[derive(Clone, Copy, Debug, PartialEq)]
enum At {
    /// An absolute UTC time.
    Time(Nanos),
    /// This long after the recording's first event.
    After(Nanos),
}

impl At {
    fn resolve(self, first: Nanos) -> Nanos {
        match self {
            At::Time(time) => time,
            At::After(offset) => Nanos(first.0.saturating_add(offset.0)),
        }
    }
}

/// Parses `--at`: an RFC 3339 UTC time (`2024-08-08T23:57:00Z`, fractions allowed, `T` or a
/// space) or `+<duration>` after the first event (`+90s`, `+2m 30s`, `+1500ms`).
fn parse_at(text: &str) -> Result<At, CliError> {
    let bad = |why: String| {
        CliError::Argument(format!(
            "--at {text}: {why} (expected a UTC time like 2024-08-08T23:57:00Z, or +<duration> after the first event like +90s)"
        ))
    };
    if let Some(offset) = text.strip_prefix('+') {
        let duration = humantime::parse_duration(offset.trim()).map_err(|error| bad(error.to_string()))?;
        let nanos = i64::try_from(duration.as_nanos()).map_err(|_| bad("too long".to_owned()))?;
        return Ok(At::After(Nanos(nanos)));
    }
    let time = humantime::parse_rfc3339_weak(text.trim().trim_end_matches('Z'))
        .map_err(|error| bad(error.to_string()))?;
    let since = time.duration_since(UNIX_EPOCH).map_err(|_| bad("before 1970".to_owned()))?;
    let nanos = i64::try_from(since.as_nanos()).map_err(|_| bad("too far in the future".to_owned()))?;
    Ok(At::Time(Nanos(nanos)))
}

/// An exchange time as RFC 3339 UTC with milliseconds.
fn format_time(time: Nanos) -> String {
    let time = UNIX_EPOCH + Duration::from_nanos(time.0.max(0) as u64);
    humantime::format_rfc3339_millis(time).to_string()
}

/// What the replay saw, and the per-second samples of the decision at zero inventory.
#[derive(Default)]
struct Replay {
    first: Option<Nanos>,
    last: Nanos,
    events: u64,
    read_errors: u64,
    decode_errors: u64,
    book_errors: u64,
    stopped_early: bool,
    next_sample: i64,
    tau: Vec<f64>,
    sigma_bps: Vec<f64>,
    half_spread_bps: Vec<f64>,
    half_spread_ticks: Vec<f64>,
    lean_ticks: Vec<f64>,
}

impl Replay {
    /// Samples the decision once per second of exchange time.
    fn sample(&mut self, quoter: &ConfiguredQuoter) {
        let decision = quoter.decision();
        let time = decision.time.0;
        if decision.outcome != QuoteOutcome::Quoted || time < self.next_sample {
            return;
        }
        self.next_sample = time - time.rem_euclid(1_000_000_000) + 1_000_000_000;
        let signals = quoter.signals();
        let half = decision.half_spread();
        self.tau.push(signals.toxicity.value);
        self.sigma_bps.push(signals.volatility.sigma * 1e4);
        self.half_spread_ticks.push(half);
        self.half_spread_bps.push(half / decision.microprice * 1e4);
        self.lean_ticks.push(decision.lean());
    }

    fn distributions(&mut self) -> Distributions {
        Distributions {
            samples: self.tau.len(),
            tau: Percentiles::of(&mut self.tau),
            sigma_bps_per_sqrt_s: Percentiles::of(&mut self.sigma_bps),
            half_spread_bps: Percentiles::of(&mut self.half_spread_bps),
            half_spread_ticks: Percentiles::of(&mut self.half_spread_ticks),
            lean_ticks: Percentiles::of(&mut self.lean_ticks),
        }
    }
}

/// Percentiles of one quantity over the replay (nearest rank); `None` without samples.
#[derive(Clone, Copy, Debug, Serialize)]
struct Percentiles {
    p10: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

impl Percentiles {
    fn of(values: &mut [f64]) -> Option<Percentiles> {
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let at = |p: f64| values[((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1];
        Some(Percentiles { p10: at(0.1), p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1.0) })
    }
}

/// Distributions over the replay, sampled once per second of exchange time at zero inventory.
#[derive(Debug, Serialize)]
struct Distributions {
    samples: usize,
    tau: Option<Percentiles>,
    sigma_bps_per_sqrt_s: Option<Percentiles>,
    half_spread_bps: Option<Percentiles>,
    half_spread_ticks: Option<Percentiles>,
    lean_ticks: Option<Percentiles>,
}

/// Everything `explain` prints.
#[derive(Serialize)]
struct Report {
    symbol: String,
    venue: String,
    at: String,
    events: u64,
    decode_errors: u64,
    book_errors: u64,
    inventory: i64,
    config: StrategyConfig,
    explanation: Explanation,
    distributions: Distributions,
}

/// `ticks` as a decimal price.
fn price(ticks: f64, step: Step) -> String {
    if !ticks.is_finite() {
        return "-".to_owned();
    }
    if ticks.fract() == 0.0 && ticks.abs() < 9e15 {
        return (Decimal::from(ticks as i64) * step.to_decimal()).to_string();
    }
    format!("{:.*}", step.decimals() as usize + 3, ticks * step.to_f64())
}

fn whole(ticks: Ticks, step: Step) -> String {
    price(ticks.0 as f64, step)
}

/// The human-readable report.
fn render(report: &Report, tick: Step, lot: Step) -> String {
    let Explanation { signals, decision } = &report.explanation;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "halcyon explain: {} on {} at {} (exchange time), after {} events",
        report.symbol, report.venue, report.at, report.events
    );
    let _ = writeln!(out);
    match signals.top {
        Some(top) => {
            let _ = writeln!(
                out,
                "book          bid {} x {}   ask {} x {}   ({} tick{} wide)",
                whole(top.bid, tick),
                whole(Ticks(top.bid_qty.0), lot),
                whole(top.ask, tick),
                whole(Ticks(top.ask_qty.0), lot),
                top.ask.0 - top.bid.0,
                if top.ask.0 - top.bid.0 == 1 { "" } else { "s" }
            );
            let _ = writeln!(
                out,
                "              mid {}   weighted microprice {}   imbalance {:.3}",
                price(signals.mid.unwrap_or(f64::NAN), tick),
                price(signals.weighted_microprice.unwrap_or(f64::NAN), tick),
                signals.imbalance.unwrap_or(f64::NAN)
            );
            let _ = writeln!(
                out,
                "              stoikov adjustment g*(I, S) {}   microprice used ({}) {}",
                signals
                    .stoikov_adjustment
                    .map_or("- (not estimated, or not fitted yet)".to_owned(), |g| format!("{g:+.3} ticks")),
                report.config.microprice.name(),
                price(signals.microprice.unwrap_or(f64::NAN), tick)
            );
        }
        None => {
            let _ = writeln!(out, "book          not trusted or one-sided: nothing to quote");
        }
    }
    let forced = &signals.forced;
    let _ = writeln!(
        out,
        "forced flow   mean price L {}   intensity {:.0}/s vs baseline {:.0}/s (rho {:.3}, omega {:.4})",
        forced.mean_price.map_or("- (none)".to_owned(), |mean| price(mean, tick)),
        forced.intensity,
        forced.baseline,
        forced.rho,
        forced.omega
    );
    let _ = writeln!(
        out,
        "              lean {:+.3} ticks (cap {:.1})   sell share {:.2}   pressure bid {:.3} ask {:.3}   {} liquidations, {} sweeps",
        forced.lean,
        forced.cap,
        forced.sell_share,
        forced.bid_pressure,
        forced.ask_pressure,
        forced.liquidations,
        forced.sweeps
    );
    let toxicity = &signals.toxicity;
    let _ = writeln!(out, "toxicity      tau {:.3} (raw {:.3})", toxicity.value, toxicity.raw);
    for (component, reading) in ToxicityComponent::ALL.iter().zip(toxicity.components.iter()) {
        let _ = writeln!(
            out,
            "                {:<22} raw {:>12.5}   percentile {}",
            component.name(),
            reading.raw,
            reading.percentile.map_or("-".to_owned(), |p| format!("{p:.3}"))
        );
    }
    let volatility = &signals.volatility;
    let _ = writeln!(
        out,
        "volatility    sigma {:.3} bps/sqrt(s)   fast {:.3}  slow {:.3}  bipower {:.3}  implied {}   fast/slow {:.3}   ({} returns)",
        volatility.sigma * 1e4,
        volatility.fast * 1e4,
        volatility.slow * 1e4,
        volatility.bipower * 1e4,
        volatility.implied.map_or("-".to_owned(), |iv| format!("{:.3}", iv * 1e4)),
        volatility.ratio,
        volatility.returns
    );
    let arrivals = &signals.arrivals;
    let _ = writeln!(
        out,
        "arrivals      A {:.4}/s   k {:.4}/tick   ({}, {} bursts)",
        arrivals.a,
        arrivals.k,
        if arrivals.fitted { "fitted" } else { "prior" },
        arrivals.bursts
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "decision      {:?}", decision.outcome);
    let spread = &decision.spread;
    if decision.outcome == QuoteOutcome::Quoted {
        let _ = writeln!(
            out,
            "fair value    microprice {} + lean {:+.3} ticks = {} (fair_value = \"{}\")",
            price(decision.microprice, tick),
            decision.lean(),
            price(decision.fair_value.unwrap_or(f64::NAN), tick),
            report.config.fair_value.name()
        );
        let _ = writeln!(
            out,
            "spread        policy {}   sigma {:.3} ticks/sqrt(s)",
            spread.policy.name(),
            spread.sigma
        );
        let _ = writeln!(
            out,
            "              arrival {:.3} + inventory risk {:.3} = base {:.3} ticks",
            spread.arrival, spread.inventory_risk, spread.base
        );
        let _ = writeln!(
            out,
            "              x toxicity {:.3} x volatility {:.3} x risk {:.3}; flow bid x{:.3} ask x{:.3}",
            spread.toxicity_multiplier,
            spread.volatility_multiplier,
            spread.risk_multiplier,
            spread.bid_flow_multiplier,
            spread.ask_flow_multiplier
        );
        let _ = writeln!(
            out,
            "              clipped to [{:.3}, {:.3}] -> bid half {:.3}, ask half {:.3} ticks",
            spread.floor, spread.cap, spread.bid, spread.ask
        );
        let _ = writeln!(
            out,
            "              inventory {} lots: skew {:+.3} ticks -> centre {}",
            decision.inventory.0,
            spread.skew,
            price(decision.centre, tick)
        );
        let side = |level: Option<strategy::QuoteLevel>| {
            level.map_or("-".to_owned(), |level| {
                format!("{} x {}", whole(level.price, tick), whole(Ticks(level.qty.0), lot))
            })
        };
        let _ = writeln!(
            out,
            "quotes        bid {}   ask {}",
            side(decision.quotes.bid),
            side(decision.quotes.ask)
        );
    }
    let distributions = &report.distributions;
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "over the replay ({} samples, one per second of exchange time, inventory 0):",
        distributions.samples
    );
    let rows: [(&str, Option<Percentiles>); 5] = [
        ("tau", distributions.tau),
        ("sigma bps/sqrt(s)", distributions.sigma_bps_per_sqrt_s),
        ("half-spread bps", distributions.half_spread_bps),
        ("half-spread ticks", distributions.half_spread_ticks),
        ("lean ticks", distributions.lean_ticks),
    ];
    for (name, row) in rows {
        match row {
            Some(p) => {
                let _ = writeln!(
                    out,
                    "  {name:<18} p10 {:>9.4}  p50 {:>9.4}  p90 {:>9.4}  p99 {:>9.4}  max {:>9.4}",
                    p.p10, p.p50, p.p90, p.p99, p.max
                );
            }
            None => {
                let _ = writeln!(out, "  {name:<18} -");
            }
        }
    }
    if report.decode_errors + report.book_errors > 0 {
        let _ = writeln!(
            out,
            "\nwarning: {} frames did not decode, {} book events were refused",
            report.decode_errors, report.book_errors
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_parses_times_and_offsets() {
        assert_eq!(parse_at("+90s").unwrap(), At::After(Nanos(90_000_000_000)));
        assert_eq!(parse_at("+2m 30s").unwrap(), At::After(Nanos(150_000_000_000)));
        assert_eq!(parse_at("+1500ms").unwrap(), At::After(Nanos(1_500_000_000)));
        // 2024-08-08T23:57:00Z is 1 723 161 420 s after the epoch.
        assert_eq!(parse_at("2024-08-08T23:57:00Z").unwrap(), At::Time(Nanos(1_723_161_420_000_000_000)));
        assert_eq!(parse_at("2024-08-08 23:57:00.5").unwrap(), At::Time(Nanos(1_723_161_420_500_000_000)));
        for bad in ["soon", "+fast", "2024-13-01T00:00:00Z", ""] {
            let error = parse_at(bad).unwrap_err().to_string();
            assert!(error.contains("--at") && error.contains("expected"), "{error}");
        }
        assert_eq!(format_time(Nanos(1_723_161_420_500_000_000)), "2024-08-08T23:57:00.500Z");
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut values: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let p = Percentiles::of(&mut values).unwrap();
        assert_eq!((p.p10, p.p50, p.p90, p.p99, p.max), (10.0, 50.0, 90.0, 99.0, 100.0));
        assert!(Percentiles::of(&mut []).is_none());
    }
}
