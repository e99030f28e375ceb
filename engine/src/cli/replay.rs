//! `halcyon replay` and `halcyon convert`.

use super::args::{ConvertArgs, Pace, ReplayArgs, ReplayThreads};
use super::config::load_instruments;
use super::engine_config::{EngineConfig, parse_override, with_overrides};
use super::{CliError, EXIT_OK};
use crate::clock::TscClock;
use crate::pipeline::pacing::Pacing;
use crate::replay::run::{Market, ReplaySummary, Threading, load_market, replay};
use crate::replay::source::decode_frames;
use feeds::inspect::OwnedFrame;
use feeds::recording::open_frames;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Runs `halcyon replay`; returns the exit status.
pub fn run(arguments: &ReplayArgs) -> Result<u8, CliError> {
    let (text, source) = EngineConfig::load_text(arguments.config.as_deref())?;
    let overrides =
        arguments.overrides.iter().map(|text| parse_override(text)).collect::<Result<Vec<_>, CliError>>()?;
    let mut config = with_overrides(&text, &source, &overrides)?;
    if arguments.no_pin {
        config.feed_core = None;
        config.quoting_core = None;
    }
    let (instruments, _) = load_instruments(arguments.instruments.as_deref(), None)?;
    let data = data_path(arguments.data.as_deref(), &config)?;
    let market = load_market(&data, &instruments, &config)?;
    let threading = match arguments.threads {
        ReplayThreads::Inline => Threading::Inline,
        ReplayThreads::Pipeline => Threading::Pipeline(pacing(arguments.pace, &market)),
    };
    let run = replay(&market, &config, threading)?;
    let json = serde_json::to_value(&run.summary).map_err(|error| CliError::Argument(error.to_string()))?;
    let text = serde_json::to_string_pretty(&json).map_err(|error| CliError::Argument(error.to_string()))?;
    let mut stdout = std::io::stdout().lock();
    match arguments.json.as_deref() {
        Some(path) if path == Path::new("-") => writeln!(stdout, "{text}").map_err(CliError::Output)?,
        Some(path) => {
            std::fs::write(path, format!("{text}\n"))
                .map_err(|source| CliError::Io { path: path.to_owned(), source })?;
            write!(stdout, "{}", table(&run.summary)).map_err(CliError::Output)?;
        }
        None => write!(stdout, "{}", table(&run.summary)).map_err(CliError::Output)?,
    }
    if let Some(dir) = &arguments.out {
        let title = match &run.summary.scenario {
            Some(scenario) => format!("halcyon replay: {} with stress scenario {scenario}", run.summary.data),
            None => format!("halcyon replay: {}", run.summary.data),
        };
        let files = crate::report::write_report(dir, &run.series, &json, &title)
            .map_err(|error| CliError::Argument(format!("report: {error}")))?;
        if arguments.json.as_deref() == Some(Path::new("-")) {
            // Standard output carries the JSON alone.
            eprintln!("report: {}", files.html.display());
        } else {
            writeln!(stdout, "report: {}", files.html.display()).map_err(CliError::Output)?;
        }
    }
    Ok(EXIT_OK)
}

/// `--data`, else the config's `replay.data`.
fn data_path(data: Option<&Path>, config: &EngineConfig) -> Result<PathBuf, CliError> {
    data.map(Path::to_path_buf).or_else(|| config.replay.data.clone()).ok_or_else(|| {
        CliError::Argument(format!(
            "no recording to replay: pass --data <RECORDING> or set replay.data in {}",
            config.source.describe()
        ))
    })
}

/// The recording's own pace, or as fast as it goes.
fn pacing(pace: Pace, market: &Market) -> Pacing {
    if pace == Pace::Fast {
        return Pacing::Burst;
    }
    let input = market.input();
    let frames = input.frames();
    let span = input.receive_span_seconds();
    if frames < 2 || span <= 0.0 { Pacing::Burst } else { Pacing::Rate(frames as f64 / span) }
}

/// The summary as a terminal table.
pub(crate) fn table(summary: &ReplaySummary) -> String {
    let mut out = String::new();
    let trading = &summary.trading;
    let opt = |value: Option<f64>, digits: usize| value.map_or("-".to_owned(), |v| format!("{v:.digits$}"));
    let command = if summary.threads == "live" { "halcyon run (paper)" } else { "halcyon replay" };
    let _ = writeln!(out, "{command}: {}", summary.data);
    if let Some(scenario) = &summary.scenario {
        let _ = writeln!(out, "stress scenario: {scenario}");
    }
    let _ = writeln!(
        out,
        "  {} frames, {} events in {:.3} s ({:.0} events/s, {} threads)",
        summary.frames, summary.events, summary.wall_seconds, summary.events_per_sec, summary.threads
    );
    let _ = writeln!(
        out,
        "  orders: {} new, {} replaced, {} cancelled, {} refused by the venue, {} held by the rate budget",
        summary.orders.new,
        summary.orders.replaces,
        summary.orders.cancels,
        summary.orders.venue_rejects,
        summary.orders.rate_limited
    );
    let _ = writeln!(
        out,
        "  fills: {} ({:.3} maker, {:.3} taker base units; {:.2} maker notional)",
        trading.fills, trading.maker_volume, trading.taker_volume, trading.maker_notional
    );
    let _ = writeln!(
        out,
        "  pnl: net {:.4}  gross {:.4}  fees {:.4}  max drawdown {:.4}",
        trading.pnl.net, trading.pnl.gross, trading.pnl.fees, trading.max_drawdown
    );
    let _ = writeln!(
        out,
        "  inventory: mean |q| {:.4}  max |q| {:.4}  last {:.4}",
        trading.inventory.mean_abs, trading.inventory.max_abs, trading.inventory.last
    );
    let markouts = &trading.markouts_bps;
    let _ = writeln!(
        out,
        "  markouts (bps, + is good): 1s {}  5s {}  30s {}",
        opt(markouts.s1, 2),
        opt(markouts.s5, 2),
        opt(markouts.s30, 2)
    );
    let _ = writeln!(
        out,
        "  quote uptime: two-sided {:.1} %  any side {:.1} %",
        trading.quote_uptime.two_sided * 100.0,
        trading.quote_uptime.any_side * 100.0
    );
    let states: Vec<String> = trading
        .state_time
        .iter()
        .map(|(state, time)| format!("{state} {:.1} s ({:.1} %)", time.seconds, time.fraction * 100.0))
        .collect();
    let _ = writeln!(out, "  risk state time: {}", states.join(", "));
    if let Some(spread) = trading.spread_bps {
        let _ = writeln!(
            out,
            "  quoted spread (bps): p10 {:.2}  p50 {:.2}  p90 {:.2}  p99 {:.2}",
            spread.p10, spread.p50, spread.p90, spread.p99
        );
    }
    if let Some(tau) = trading.toxicity {
        let _ = writeln!(
            out,
            "  toxicity: p10 {:.2}  p50 {:.2}  p90 {:.2}  p99 {:.2}",
            tau.p10, tau.p50, tau.p90, tau.p99
        );
    }
    for (regime, result) in &trading.regimes {
        if result.seconds > 0.0 {
            let _ = writeln!(
                out,
                "  {regime:>8}: {:.1} s, pnl {:.4}, {} fills, markout 5s {}",
                result.seconds,
                result.pnl,
                result.fills,
                opt(result.markouts_bps.s5, 2)
            );
        }
    }
    if let Some(end_to_end) = summary.latency.get(crate::latency::Metric::EndToEnd) {
        let all = &end_to_end.all;
        let _ = writeln!(
            out,
            "  latency frame-in-hand to decided/sent: p50 {} ns  p99 {} ns  p99.9 {} ns",
            all.p50_ns, all.p99_ns, all.p999_ns
        );
    }
    let _ = writeln!(out, "  digest: {}", summary.digest);
    for note in &summary.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    out
}

/// Runs `halcyon convert`; returns the exit status.
pub fn convert(arguments: &ConvertArgs) -> Result<u8, CliError> {
    let (instruments, _) = load_instruments(arguments.instruments.as_deref(), None)?;
    let mut reader = open_frames(&arguments.recording)?;
    let (frames, errors) = OwnedFrame::read_all(reader.as_mut());
    for error in errors.iter().take(5) {
        eprintln!("halcyon: warning: {error}");
    }
    if frames.is_empty() {
        return Err(CliError::Argument(format!("{}: no frames to convert", arguments.recording.display())));
    }
    let (events, stats) = decode_frames(&frames, &instruments, &TscClock::new());
    if arguments.out.exists() {
        std::fs::remove_file(&arguments.out)
            .map_err(|source| CliError::Io { path: arguments.out.clone(), source })?;
    }
    let source =
        arguments.recording.file_name().map_or_else(String::new, |name| name.to_string_lossy().into_owned());
    let mut writer =
        feeds::recording::events::EventFileWriter::create(&arguments.out, &instruments, &source)?;
    writer.write_all(&events)?;
    writer.finish()?;
    println!(
        "{}: {} frames → {} events ({} decode errors, {} gaps) written to {}",
        arguments.recording.display(),
        stats.frames,
        events.len(),
        stats.decode_errors,
        stats.gaps,
        arguments.out.display()
    );
    Ok(EXIT_OK)
}
