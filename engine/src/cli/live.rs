//! `halcyon run` (paper mode) and `halcyon record`.

use super::args::{RecordArgs, RunArgs, WireToQuoteArgs};
use super::config::load_instruments;
use super::engine_config::{EngineConfig, parse_override, with_overrides};
use super::{CliError, EXIT_OK};
use crate::live::config::PollMode;
use crate::live::paper::{PaperOptions, PaperRun, run_paper};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// The configuration with `--set` overrides applied.
fn load(config: Option<&Path>, overrides: &[String]) -> Result<EngineConfig, CliError> {
    let (text, source) = EngineConfig::load_text(config)?;
    let overrides =
        overrides.iter().map(|text| parse_override(text)).collect::<Result<Vec<_>, CliError>>()?;
    with_overrides(&text, &source, &overrides)
}

/// Runs `halcyon run`; returns the exit status.
pub fn run(arguments: &RunArgs) -> Result<u8, CliError> {
    let mut config = load(arguments.config.as_deref(), &arguments.overrides)?;
    if arguments.no_pin {
        config.feed_core = None;
        config.quoting_core = None;
    }
    if let Some(duration) = arguments.duration {
        config.live.stop_after_s = duration.as_secs_f64();
    }
    let (instruments, _) = load_instruments(arguments.instruments.as_deref(), None)?;
    let paper = run_paper(&config, &instruments, PaperOptions::default())?;
    let json = summary_json(&paper)?;
    let text = serde_json::to_string_pretty(&json).map_err(|error| CliError::Argument(error.to_string()))?;
    let mut stdout = std::io::stdout().lock();
    let table = format!("{}{}", super::replay::table(&paper.run.summary), live_table(&paper));
    match arguments.json.as_deref() {
        Some(path) if path == Path::new("-") => writeln!(stdout, "{text}").map_err(CliError::Output)?,
        Some(path) => {
            std::fs::write(path, format!("{text}\n"))
                .map_err(|source| CliError::Io { path: path.to_owned(), source })?;
            write!(stdout, "{table}").map_err(CliError::Output)?;
        }
        None => write!(stdout, "{table}").map_err(CliError::Output)?,
    }
    never_connected(&paper)?;
    if let Some(dir) = &arguments.out {
        let title = format!("halcyon run (paper): {}", paper.run.summary.data);
        let files = crate::report::write_report(dir, &paper.run.series, &json, &title)
            .map_err(|error| CliError::Argument(format!("report: {error}")))?;
        eprintln!("report: {}", files.html.display());
    }
    Ok(EXIT_OK)
}

/// A run whose market stream never opened had no market to trade: an error, not a summary of
/// nothing.
fn never_connected(paper: &PaperRun) -> Result<(), CliError> {
    let stats = &paper.feed.stats;
    if stats.connects > 0 {
        return Ok(());
    }
    Err(CliError::Argument(format!(
        "no market data: never connected to {} ({} attempts failed; the log says why)",
        paper.run.summary.data, stats.connect_failures
    )))
}

/// The replay-shaped summary with the live feed's counters and checks added.
fn summary_json(paper: &PaperRun) -> Result<serde_json::Value, CliError> {
    let mut json =
        serde_json::to_value(&paper.run.summary).map_err(|error| CliError::Argument(error.to_string()))?;
    if let Some(object) = json.as_object_mut() {
        object.insert("mode".into(), serde_json::json!("paper"));
        object.insert(
            "live".into(),
            serde_json::json!({
                "feed": paper.feed,
                "checks": paper.checks,
                "operator_commands": paper.commands,
            }),
        );
    }
    Ok(json)
}

fn live_table(paper: &PaperRun) -> String {
    let mut out = String::new();
    let stats = &paper.feed.stats;
    let checks = &paper.checks;
    let _ = writeln!(
        out,
        "live feed: {} connects, {} disconnects, {} rollovers; snapshots {} requested, {} applied, {} failed; \
         {} slow-lane events; stopped: {:?}",
        stats.connects,
        stats.disconnects,
        stats.rollovers,
        stats.snapshot_requests,
        stats.snapshots,
        stats.snapshot_failures,
        stats.lane_events,
        paper.feed.stopped,
    );
    let _ = writeln!(
        out,
        "book trust: lost {} times, {} frames untrusted, {} orders placed while untrusted; {} operator commands",
        checks.trust_lost, checks.untrusted_frames, checks.orders_while_untrusted, paper.commands,
    );
    out
}

/// Runs `halcyon record`; returns the exit status.
pub fn record(arguments: &RecordArgs) -> Result<u8, CliError> {
    let mut config = load(arguments.config.as_deref(), &arguments.overrides)?;
    config.live.record = Some(arguments.out.clone());
    if let Some(duration) = arguments.duration {
        config.live.stop_after_s = duration.as_secs_f64();
    }
    // Recording needs no pinned core: the socket is read as fast as it delivers.
    config.feed_core = None;
    config.quoting_core = None;
    let (instruments, _) = load_instruments(arguments.instruments.as_deref(), None)?;
    let options = PaperOptions { paused: true, ..PaperOptions::default() };
    let paper = run_paper(&config, &instruments, options)?;
    never_connected(&paper)?;
    let summary = &paper.run.summary;
    let Some(captured) = paper.feed.captured else {
        return Err(CliError::Argument(format!(
            "{}: the capture could not be written (see the log above)",
            arguments.out.display()
        )));
    };
    let bytes = std::fs::metadata(&arguments.out).map(|meta| meta.len()).unwrap_or(0);
    println!(
        "recorded {} frames ({} bytes) to {}: {} gaps, {} decode errors, {} snapshots, {} reconnects; stopped: {:?}",
        captured,
        bytes,
        arguments.out.display(),
        summary.feed.gaps,
        summary.feed.decode_errors,
        paper.feed.stats.snapshots,
        paper.feed.stats.disconnects,
        paper.feed.stopped,
    );
    Ok(EXIT_OK)
}

/// Depth frames at the start of a wire-to-quote run left out (the book's sync: diffs buffered
/// before the snapshot are decided long after they were written).
const WIRE_TO_QUOTE_WARMUP: usize = 200;

/// Runs `halcyon bench wire-to-quote`; returns the exit status.
pub fn wire_to_quote(arguments: &WireToQuoteArgs) -> Result<u8, CliError> {
    use crate::local_venue::{LocalVenue, Tape, VenueConfig};
    if !(arguments.speed > 0.0 && arguments.seconds > 0.0) {
        return Err(CliError::Argument("--speed and --seconds must be positive".into()));
    }
    let mut config = load(arguments.config.as_deref(), &[])?;
    let (instruments, _) = load_instruments(None, None)?;
    let mut reader = feeds::recording::open_frames(&arguments.data)?;
    let (frames, errors) = feeds::inspect::OwnedFrame::read_all(reader.as_mut());
    if let Some(error) = errors.iter().find(|error| error.is_fatal()) {
        return Err(CliError::Argument(error.to_string()));
    }
    let first = frames.first().map_or(0, |frame| frame.receive_time.0);
    let span = (arguments.seconds * 1e9) as i64;
    let kept = frames.iter().take_while(|frame| frame.receive_time.0 - first < span);
    let tape = Tape::from_frames(
        kept.map(|frame| (frame.receive_time, frame.channel.as_str(), frame.payload.clone())),
        &instruments,
    )
    .map_err(|error| CliError::Argument(format!("venue: {error}")))?;
    let mut venue_config = VenueConfig::new(instruments.clone());
    venue_config.speed = arguments.speed;
    venue_config.stamp_writes = true;
    let venue = LocalVenue::start_tape(venue_config, std::sync::Arc::new(tape))
        .map_err(|error| CliError::Argument(format!("venue: {error}")))?;

    config.feed_core = None;
    config.quoting_core = None;
    config.live.ws_url = format!("ws://{}", venue.addr());
    config.live.poll = if arguments.busy_poll { PollMode::Busy } else { PollMode::Epoll };
    config.live.stop_when_idle_ms = 1500;
    config.lanes.rest_url = venue.rest_url();
    config.lanes.open_interest_interval_s = 0;
    config.lanes.bybit.enabled = false;
    config.lanes.deribit.enabled = false;
    config.control.enabled = false;
    let options =
        PaperOptions { no_signal_handler: true, decision_stamps: 1 << 20, ..PaperOptions::default() };
    let paper = run_paper(&config, &instruments, options)?;
    let written = venue.write_stamps();
    venue.shutdown();

    let written: std::collections::HashMap<u64, std::time::Instant> = written
        .iter()
        .filter(|stamp| stamp.update_id != 0)
        .map(|stamp| (stamp.update_id, stamp.at))
        .collect();
    let decided = paper.stamps.map(|stamps| stamps.decided).unwrap_or_default();
    let mut histogram = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 10_000_000_000, 3)
        .map_err(|error| CliError::Argument(error.to_string()))?;
    let mut matched = 0_u64;
    for (update_id, at) in decided.iter().skip(WIRE_TO_QUOTE_WARMUP) {
        if let Some(write) = written.get(update_id) {
            let nanos = u64::try_from(at.saturating_duration_since(*write).as_nanos()).unwrap_or(u64::MAX);
            let _ = histogram.record(nanos.clamp(1, 10_000_000_000));
            matched += 1;
        }
    }
    let quantile = |q: f64| histogram.value_at_quantile(q);
    // The engine's own part (frame in hand -> decided), from the run's stage histograms.
    let in_engine = paper.run.summary.latency.get(crate::latency::Metric::EndToEnd).map(|report| report.all);
    let result = serde_json::json!({
        "data": arguments.data.display().to_string(),
        "seconds": arguments.seconds,
        "speed": arguments.speed,
        "poll": if arguments.busy_poll { "busy" } else { "epoll" },
        "depth_frames_written": written.len(),
        "depth_frames_decided": decided.len(),
        "measured": matched,
        "warmup_skipped": WIRE_TO_QUOTE_WARMUP,
        "wire_to_quote_ns": {
            "p50": quantile(0.5), "p90": quantile(0.9), "p99": quantile(0.99),
            "p999": quantile(0.999), "max": histogram.max(),
        },
        "in_engine_end_to_end": in_engine,
        "feed": paper.feed,
        "frames": paper.run.summary.frames,
    });
    if arguments.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&result).map_err(|error| CliError::Argument(error.to_string()))?
        );
    } else {
        println!(
            "wire-to-quote over loopback ({} depth frames measured of {} written; {} s of {} at {}x, feed {}):",
            matched,
            written.len(),
            arguments.seconds,
            arguments.data.display(),
            arguments.speed,
            if arguments.busy_poll { "busy-polling" } else { "in epoll" },
        );
        println!(
            "  p50 {:.1} us  p90 {:.1} us  p99 {:.1} us  p99.9 {:.1} us  max {:.1} us",
            quantile(0.5) as f64 / 1e3,
            quantile(0.9) as f64 / 1e3,
            quantile(0.99) as f64 / 1e3,
            quantile(0.999) as f64 / 1e3,
            histogram.max() as f64 / 1e3,
        );
        if let Some(inside) = &in_engine {
            println!(
                "  of which in the engine (frame in hand -> quote decided, every frame): p50 {:.2} us  p99 {:.2} us  p99.9 {:.2} us",
                inside.p50_ns as f64 / 1e3,
                inside.p99_ns as f64 / 1e3,
                inside.p999_ns as f64 / 1e3,
            );
        }
    }
    Ok(if matched > 0 { EXIT_OK } else { super::EXIT_DATA_PROBLEMS })
}
