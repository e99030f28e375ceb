//! The shipped stress scenarios (`configs/stress-*.toml`) laid over the real BTCUSDT recording:
//! the overlay keeps the stream's frames, clocks and book consistent, the scenarios look like
//! cascades, and the quoting core's cascade detector, with its default configuration, reaches
//! CASCADE inside each scenario's cascade window and quotes nothing while there. The plain
//! recording never reaches CASCADE.
//!
//! Everything the scenarios add is synthetic (seeded draws); the book dynamics under it are the
//! recording's. The recording is decoded once by the feed's own decoder and each scenario laid
//! over it once, shared by the tests. Heavy: run in release
//! (`cargo test -p halcyon-engine --release --test stress`).

mod common;

use engine::clock::TscClock;
use engine::gateway::CountingGateway;
use engine::pipeline::core::{CoreConfig, QuotingCore};
use engine::replay::series::Regime;
use engine::replay::source::decode_frames;
use engine::stress::{Direction, Overlay, StressConfig, StressError, overlay, overlay_observed};
use feeds::venue::binance::MessageKind;
use feeds::{Event, EventKind, InstrumentId, Instruments, Nanos, OrderBook, Side, Step};
use risk::cascade::CascadeState;
use risk::cascade::config::CascadeConfig;
use std::sync::OnceLock;

const BTCUSDT: InstrumentId = InstrumentId(0);

const SCENARIOS: [&str; 3] = ["stress-long-liquidation", "stress-short-squeeze", "stress-flash-crash"];

/// The recording, decoded, with what the core needs.
struct Recording {
    events: Vec<Event>,
    instruments: Instruments,
    core_config: CoreConfig,
    tick: Step,
    lot: Step,
}

fn recording() -> &'static Recording {
    static RECORDING: OnceLock<Recording> = OnceLock::new();
    RECORDING.get_or_init(|| {
        let setup = common::Setup::btcusdt(usize::MAX);
        let (events, stats) = decode_frames(&setup.frames, &setup.instruments, &TscClock::new());
        assert_eq!(stats.gaps, 0);
        let spec = setup.instruments.get(BTCUSDT).expect("BTCUSDT");
        let (tick, lot) = (spec.tick, spec.lot);
        Recording { events, instruments: setup.instruments, core_config: setup.core_config, tick, lot }
    })
}

/// The `[stress]` table of a shipped scenario file.
fn scenario(name: &str) -> StressConfig {
    let path = common::configs_dir().join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let mut table: toml::Table = toml::from_str(&text).unwrap();
    let stress = table.remove("stress").unwrap_or_else(|| panic!("{name}: no [stress] table"));
    assert!(table.is_empty(), "{name}: only a [stress] table, found {:?}", table.keys().collect::<Vec<_>>());
    stress.try_into().unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// Each shipped scenario laid over the recording (once).
fn overlaid(index: usize) -> &'static (StressConfig, Overlay) {
    static OVERLAYS: [OnceLock<(StressConfig, Overlay)>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    OVERLAYS[index].get_or_init(|| {
        let config = scenario(SCENARIOS[index]);
        let data = recording();
        let result = overlay(&data.events, BTCUSDT, data.tick, data.lot, &config)
            .expect("the scenario fits the recording");
        (config, result)
    })
}

fn seconds(since: Nanos, time: Nanos) -> f64 {
    time.saturating_since(since) as f64 / Nanos::PER_SECOND as f64
}

fn is_frame_end(event: &Event) -> bool {
    matches!(event.kind(), EventKind::FrameEnd(_))
}

/// The output split into frames, each marked real (the recording's, mapped) or synthetic, with
/// the index of the real frame it is. A frame is real when its `FrameEnd` is the next real
/// frame's: the overlay copies real `FrameEnd`s, and a synthetic one carries the previous real
/// frame's local stamps, never the next one's.
fn frames<'a>(input: &'a [Event], output: &'a [Event]) -> Vec<(&'a [Event], Option<&'a [Event]>)> {
    let split = |events: &'a [Event]| -> Vec<&'a [Event]> {
        let mut frames = Vec::new();
        let mut start = 0;
        for (index, event) in events.iter().enumerate() {
            if is_frame_end(event) {
                frames.push(&events[start..=index]);
                start = index + 1;
            }
        }
        assert_eq!(start, events.len(), "every event is inside a frame");
        frames
    };
    let real = split(input);
    let mut next = 0;
    split(output)
        .into_iter()
        .map(|frame| {
            let is_real = real.get(next).is_some_and(|candidate| candidate.last() == frame.last());
            next += usize::from(is_real);
            (frame, is_real.then(|| real[next - 1]))
        })
        .collect()
}

#[test]
fn the_shipped_scenarios_parse_and_validate() {
    for name in SCENARIOS {
        let config = scenario(name);
        config.validate().unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(config.name, name.trim_start_matches("stress-"));
    }
    assert_eq!(scenario("stress-short-squeeze").direction, Direction::Up);
}

#[test]
fn frames_clocks_and_the_rest_of_the_recording_are_kept() {
    let data = recording();
    for index in 0..SCENARIOS.len() {
        let (config, result) = overlaid(index);
        let stats = &result.stats;
        let frames = frames(&data.events, &result.events);
        let real = frames.iter().filter(|(_, real)| real.is_some()).count();
        let input_frames = data.events.iter().filter(|event| is_frame_end(event)).count();
        assert_eq!(real, input_frames, "{}: every real frame is kept, in order", config.name);
        assert_eq!(frames.len() as u64, input_frames as u64 + stats.synthetic_frames);
        assert_eq!(result.events.len() as u64, data.events.len() as u64 + stats.synthetic_events);

        let mut clock = Nanos(i64::MIN);
        let mut offset = 0;
        for (frame, real) in &frames {
            let EventKind::FrameEnd(end) = frame.last().unwrap().kind() else { unreachable!() };
            assert_eq!(end.events as usize, frame.len() - 1, "{}: FrameEnd counts its frame", config.name);
            match real {
                Some(original) => {
                    assert_eq!(frame.len(), original.len());
                    let time = frame.iter().map(|event| event.exchange_time).max().unwrap();
                    if time < stats.start || time >= stats.end {
                        assert_eq!(
                            frame, original,
                            "{}: outside the window the recording is untouched",
                            config.name
                        );
                    }
                    for (mapped, original) in frame.iter().zip(original.iter()) {
                        assert_eq!(
                            std::mem::discriminant(&mapped.kind()),
                            std::mem::discriminant(&original.kind())
                        );
                        assert_eq!(
                            (mapped.exchange_time, mapped.receive_time),
                            (original.exchange_time, original.receive_time)
                        );
                    }
                    offset = frame.last().unwrap().receive_time.0 - frame.last().unwrap().exchange_time.0;
                }
                None => {
                    for event in frame.iter() {
                        assert!(
                            event.exchange_time >= clock,
                            "{}: a synthetic event moved the clock back",
                            config.name
                        );
                        assert_eq!(
                            event.receive_time.0 - event.exchange_time.0,
                            offset,
                            "{}: receive offset",
                            config.name
                        );
                    }
                    let kind = MessageKind::from_code(end.frame_kind);
                    assert!(kind.is_some() || end.frame_kind == engine::stress::OPTIONS_FRAME_KIND);
                }
            }
            clock = clock.max(frame.iter().map(|event| event.exchange_time).max().unwrap());
        }

        let cascade: Vec<_> = result.regimes.iter().filter(|span| span.regime == Regime::Cascade).collect();
        assert_eq!(cascade.len(), 1);
        assert_eq!((cascade[0].start, cascade[0].end), (stats.onset, stats.cascade_end));
        assert_eq!(seconds(stats.first_event, stats.onset), config.onset_s);
        let stressed: f64 = result
            .regimes
            .iter()
            .filter(|span| span.regime == Regime::Stressed)
            .map(|span| seconds(span.start, span.end))
            .sum();
        assert!((stressed - config.ramp_s - config.tail_s).abs() < 1e-6);
    }
}

/// FNV-1a over a book's levels, `depth` per side (all with `usize::MAX`), and its trust.
fn digest(book: &OrderBook, depth: usize) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let mut fold = |value: i64| {
        for byte in value.to_le_bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for side in [Side::Bid, Side::Ask] {
        fold(book.levels(side) as i64);
        for (price, qty) in book.top(side, depth) {
            fold(price.0);
            fold(qty.0);
        }
    }
    fold(i64::from(book.is_trusted()));
    hash
}

#[test]
fn a_consumer_of_the_output_holds_the_overlays_book_and_it_stays_trusted() {
    let data = recording();
    for name in SCENARIOS {
        let config = scenario(name);
        // The shadow at every frame end: its top 20 levels a side, and the whole book at every
        // 500th frame end.
        let mut expected = Vec::new();
        let mut frame = 0_u64;
        let result =
            overlay_observed(&data.events, BTCUSDT, data.tick, data.lot, &config, |index, shadow| {
                let depth = if frame.is_multiple_of(500) { usize::MAX } else { 20 };
                expected.push((index, depth, digest(shadow, depth)));
                frame += 1;
            })
            .unwrap();
        assert_eq!(result.stats.book_errors, 0, "{name}");
        let mut consumer = OrderBook::with_capacity(8192);
        let mut checks = expected.iter();
        let mut trusted_since = None;
        for (index, event) in result.events.iter().enumerate() {
            if event.instrument == BTCUSDT {
                consumer
                    .apply(event)
                    .unwrap_or_else(|error| panic!("{name}: event {index} {event:?}: {error}"));
            }
            if is_frame_end(event) {
                let &(at, depth, digest_then) = checks.next().expect("one observation per frame end");
                assert_eq!(at, index);
                assert_eq!(
                    digest(&consumer, depth),
                    digest_then,
                    "{name}: the consumer's book at event {index}"
                );
                if consumer.is_trusted() {
                    trusted_since.get_or_insert(event.exchange_time);
                } else {
                    assert!(trusted_since.is_none(), "{name}: untrusted at event {index}");
                }
                assert!(!consumer.is_crossed(), "{name}: crossed at event {index}");
            }
        }
        assert!(checks.next().is_none());
        assert!(
            seconds(result.stats.first_event, trusted_since.unwrap()) < 1.0,
            "{name}: trusted from the snapshot on"
        );
    }
}

/// Depth within ±10 bps (quote currency) and the mid of `book`, if two-sided.
fn depth_and_mid(book: &OrderBook) -> Option<(f64, f64)> {
    let ((bid, _), (ask, _)) = book.best_bid().zip(book.best_ask())?;
    let depth = book.depth_within_bps(10);
    let notional = (depth.bid.notional.get() + depth.ask.notional.get()) as f64 * 0.1 * 0.001;
    Some((notional, (bid.0 + ask.0) as f64 / 2.0))
}

/// `(seconds, depth, mid)` of `events`' book at the first frame end of each whole second.
fn sample_book(events: &[Event], first: Nanos) -> Vec<(i64, f64, f64)> {
    let mut book = OrderBook::with_capacity(8192);
    let mut samples = Vec::new();
    let mut next = 0;
    for event in events {
        if event.instrument == BTCUSDT {
            let _ = book.apply(event);
        }
        let second = event.exchange_time.saturating_since(first) / Nanos::PER_SECOND;
        if is_frame_end(event) && second >= next && book.is_trusted() {
            if let Some((depth, mid)) = depth_and_mid(&book) {
                samples.push((second, depth, mid));
            }
            next = second + 1;
        }
    }
    samples
}

#[test]
fn the_scenarios_look_like_cascades() {
    let data = recording();
    for index in 0..SCENARIOS.len() {
        let (config, result) = overlaid(index);
        let stats = &result.stats;
        let name = &config.name;
        let first = stats.first_event;
        let sign = config.direction.sign() as f64;

        // The move: the consumer's mid at its extreme, against the reference, within a third of
        // the configured move (noise, walks) and within 1.5-4.5 %.
        let stressed = sample_book(&result.events, first);
        let calm = sample_book(&data.events, first);
        let reference = stats.reference_mid;
        let extreme =
            stressed.iter().map(|&(_, _, mid)| sign * (mid / reference - 1.0) * 1e4).fold(f64::MIN, f64::max);
        assert!(
            (extreme / config.price_move_bps - 1.0).abs() < 0.33,
            "{name}: extreme move {extreme:.0} bps"
        );
        assert!((150.0..=450.0).contains(&extreme), "{name}: extreme move {extreme:.0} bps");

        // Depth within ±10 bps at peak stress, against the recording's own at the same second.
        let peak = (config.onset_s + 0.1 * config.duration_s).ceil() as i64
            ..=(config.onset_s + config.trough_at * config.duration_s).floor() as i64;
        let ratios: Vec<f64> = stressed
            .iter()
            .filter(|(second, ..)| peak.contains(second))
            .filter_map(|&(second, depth, _)| {
                calm.iter().find(|sample| sample.0 == second).map(|&(_, real, _)| depth / real)
            })
            .collect();
        let ratio = ratios.iter().sum::<f64>() / ratios.len() as f64;
        assert!(ratios.len() >= 3, "{name}: {peak:?}");
        let kept = 1.0 - config.depth_withdrawal;
        assert!(
            ratio < kept + 0.1 && ratio > kept - 0.2,
            "{name}: depth at peak {ratio:.2} of the recording's"
        );

        // Hundreds of liquidations, each a walk of forced prints; toxic flow too.
        assert!(stats.liquidations >= 200, "{name}: {stats:?}");
        assert!(stats.forced_trades >= stats.liquidations && stats.toxic_trades >= stats.toxic_orders);
        assert!(stats.toxic_orders >= 50, "{name}: {stats:?}");
        assert_eq!(stats.skipped_orders, 0);
        let mut liquidations = 0;
        let mut mark_funding = Vec::new();
        let mut basis = Vec::new();
        let mut short_iv = Vec::new();
        for event in &result.events {
            let at = seconds(first, event.exchange_time);
            match event.kind() {
                EventKind::Liquidation(liquidation) => {
                    liquidations += 1;
                    assert_eq!(liquidation.side, config.direction.taker_side());
                    assert!(liquidation.qty.0 > 0 && liquidation.average_price.0 > 0);
                    // A sell's limit is below its average fill, a buy's above.
                    assert!(sign * (liquidation.price.0 - liquidation.average_price.0) as f64 > 0.0);
                    assert!((config.start_s()..config.end_s()).contains(&at));
                }
                EventKind::Trade(trade) if trade.forced => {
                    assert_eq!(trade.aggressor, config.direction.taker_side())
                }
                EventKind::MarkPrice(mark) => {
                    mark_funding.push((at, mark.funding_rate.0));
                    basis.push((at, (mark.mark.0 as f64 / mark.index.0 as f64 - 1.0) * 1e4));
                }
                EventKind::Options(options) => short_iv.push((at, options.short_iv.0, options.long_iv.0)),
                _ => {}
            }
        }
        assert_eq!(liquidations, stats.liquidations);

        // Readings every second over the whole recording.
        assert!(mark_funding.len() >= 340 && short_iv.len() >= 340, "{name}");
        // Funding flips sign over the cascade and stays.
        let funding = |at: f64| mark_funding.iter().find(|(time, _)| *time >= at).unwrap().1 as f64 / 1e8;
        assert!((funding(1.0) - config.funding_before).abs() < 1e-8);
        assert!((funding(config.cascade_end_s() + 1.0) - config.funding_after).abs() < 1e-8);
        assert!(
            config.funding_before * config.funding_after < 0.0,
            "{name}: the shipped scenarios flip funding"
        );
        // The basis: at its calm premium before, widened in the direction of the move during.
        let mean_basis = |from: f64, to: f64| {
            let values: Vec<f64> =
                basis.iter().filter(|(at, _)| (from..to).contains(at)).map(|(_, b)| *b).collect();
            values.iter().sum::<f64>() / values.len() as f64
        };
        assert!((mean_basis(5.0, config.start_s()) - config.basis_before_bps).abs() < 0.5, "{name}");
        let during = mean_basis(config.onset_s, config.onset_s + config.trough_at * config.duration_s);
        assert!(
            sign * (during - config.basis_before_bps) > 5.0,
            "{name}: basis {during:.1} bps in the cascade"
        );
        // Open interest falls by its share.
        let (before, after) = stats.open_interest;
        assert!(
            (1.0 - after.0 as f64 / before.0 as f64 - config.oi_drop).abs() < 1e-6,
            "{name}: {before:?} -> {after:?}"
        );
        // Short-dated vol is bid toward its peak; long-dated stays.
        let peak_iv = short_iv.iter().map(|&(_, short, _)| short).max().unwrap() as f64 / 1e8;
        assert!((peak_iv - config.iv_short_peak).abs() < 0.01, "{name}: {peak_iv}");
        assert!(short_iv.iter().all(|&(_, _, long)| long as f64 / 1e8 == config.iv_long));
        assert!((short_iv[0].1 as f64 / 1e8 - config.iv_short_before).abs() < 1e-8);
        eprintln!(
            "{name}: extreme {extreme:.0} bps, depth at peak {ratio:.2} of the recording's, {} liquidations \
             ({:.1} M USDT, {} prints), {} toxic orders, open interest -{:.0} %, {} re-publications, {} -> {} events",
            stats.liquidations,
            stats.liquidated_notional / 1e6,
            stats.forced_trades,
            stats.toxic_orders,
            config.oi_drop * 100.0,
            stats.republications,
            data.events.len(),
            result.events.len(),
        );
    }
}

/// Runs the quoting core with the shipped (default) cascade configuration over `events`; returns
/// the first time in CASCADE, the time spent in it, the new orders sent, and checks that nothing
/// rests at any frame end while in CASCADE.
fn run_core(events: &[Event], label: &str) -> (Option<Nanos>, i64, u64) {
    let data = recording();
    assert_eq!(data.core_config.cascade, CascadeConfig::default(), "the shipped detector is the default one");
    let encoder =
        engine::order::BinanceOrderEncoder::new("test-key", b"test-secret", &data.instruments).unwrap();
    let mut core = QuotingCore::new(
        &data.core_config,
        &data.instruments,
        encoder,
        CountingGateway::new(),
        TscClock::new(),
    );
    let mut entered = None;
    for event in events {
        core.on_event(event);
        if is_frame_end(event) {
            let report = core.cascade_report();
            if report[0].state == CascadeState::Cascade {
                entered.get_or_insert(event.exchange_time);
                assert_eq!(
                    core.resting_orders(BTCUSDT),
                    0,
                    "{label}: an order rests in CASCADE at {event:?}"
                );
            }
        }
    }
    let report = core.cascade_report();
    (entered, report[0].time_in_state[CascadeState::Cascade.index()], core.stats().new_orders)
}

#[test]
fn the_detector_reaches_cascade_in_each_scenario_and_stops_quoting() {
    for index in 0..SCENARIOS.len() {
        let (config, result) = overlaid(index);
        let (entered, time_in_cascade, new_orders) = run_core(&result.events, &config.name);
        let entered = entered.unwrap_or_else(|| panic!("{}: never reached CASCADE", config.name));
        let stats = &result.stats;
        assert!(
            (stats.onset..stats.cascade_end).contains(&entered),
            "{}: CASCADE entered at {:.1} s, the cascade runs {} to {} s",
            config.name,
            seconds(stats.first_event, entered),
            config.onset_s,
            config.cascade_end_s()
        );
        assert!(time_in_cascade > 0);
        assert!(new_orders > 0, "{}: the core quoted before the cascade", config.name);
        eprintln!(
            "{}: CASCADE at {:.1} s (onset {} s), {:.0} s in it",
            config.name,
            seconds(stats.first_event, entered),
            config.onset_s,
            time_in_cascade as f64 / 1e9
        );
    }
}

#[test]
fn the_plain_recording_never_reaches_cascade() {
    let (entered, time_in_cascade, new_orders) = run_core(&recording().events, "plain");
    assert_eq!((entered, time_in_cascade), (None, 0));
    assert!(new_orders > 0);
}

#[test]
fn the_overlay_is_deterministic() {
    let data = recording();
    let (config, result) = overlaid(0);
    let again = overlay(&data.events, BTCUSDT, data.tick, data.lot, config).unwrap();
    assert!(result.events.iter().map(Event::to_bytes).eq(again.events.iter().map(Event::to_bytes)));
    let other = StressConfig { seed: config.seed + 1, ..config.clone() };
    let different = overlay(&data.events, BTCUSDT, data.tick, data.lot, &other).unwrap();
    assert_ne!(different.stats, result.stats, "another seed, other draws");
}

#[test]
fn scenarios_that_do_not_fit_the_recording_are_errors() {
    let data = recording();
    let late = StressConfig { onset_s: 300.0, ..StressConfig::default() };
    let error = overlay(&data.events, BTCUSDT, data.tick, data.lot, &late).unwrap_err();
    assert!(matches!(error, StressError::PastRecording { .. }), "{error}");
    assert!(error.to_string().contains("past its last event"), "{error}");
    // The REST snapshot arrives about 0.3 s in: no book to displace before it.
    let early = StressConfig { onset_s: 0.1, ramp_s: 0.0, ..StressConfig::default() };
    let error = overlay(&data.events, BTCUSDT, data.tick, data.lot, &early).unwrap_err();
    assert!(matches!(error, StressError::NoBook { .. }), "{error}");
    // Valid but enormous: 2900 steps of 5000 levels a side.
    let huge = StressConfig {
        onset_s: 150.0,
        ramp_s: 100.0,
        duration_s: 100.0,
        tail_s: 90.0,
        step_ms: 100,
        book_levels: 5000,
        ..StressConfig::default()
    };
    let error = overlay(&data.events, BTCUSDT, data.tick, data.lot, &huge).unwrap_err();
    assert!(matches!(error, StressError::TooLarge { what: "book events", .. }), "{error}");
    let bad = StressConfig { liquidation_branching: 1.2, ..StressConfig::default() };
    let error = overlay(&data.events, BTCUSDT, data.tick, data.lot, &bad).unwrap_err();
    assert!(error.to_string().starts_with("stress.liquidation_branching = 1.2"), "{error}");
    assert_eq!(
        overlay(&[], BTCUSDT, data.tick, data.lot, &StressConfig::default()).unwrap_err(),
        StressError::NoEvents
    );
}
