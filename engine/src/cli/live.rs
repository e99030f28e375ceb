//! `halcyon run` (paper mode) and `halcyon record`.

use super::args::{RecordArgs, RunArgs};
use super::config::load_instruments;
use super::engine_config::{EngineConfig, parse_override, with_overrides};
use super::{CliError, EXIT_OK};
// use crate::live::paper::{PaperOptions, PaperRun, run_paper};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The configuration with `--set` overrides applied.
fn load(config: Option<&Path>, overrides: &[String]) -> Result<EngineConfig, CliError> {
    let (text, source) = EngineConfig::load_text(config)?;
    let overrides = overrides.iter().map(|text| parse_override(text)).collect::<Result<Vec<_>, CliError>>()?;
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
            std::fs::write(path, format!("{text}\n")).map_err(|source| CliError::Io { path: path.to_owned(), source })?;
            write!(stdout, "{table}").map_err(CliError::Output)?;
        }
        None => write!(stdout, "{table}").map_err(CliError::Output)?,
    }
    if let Some(dir) = &arguments.out {
        let title = format!("halcyon run (paper): {}", paper.run.summary.data);
        let files = crate::report::write_report(dir, &paper.run.series, &json, &title)
            .map_err(|error| CliError::Argument(format!("report: {error}")))?;
        eprintln!("report: {}", files.html.display());
    }
    Ok(EXIT_OK)
}

/// The replay-shaped summary with the live feed's counters and checks added.
fn summary_json(paper: &PaperRun) -> Result<serde_json::Value, CliError> {
    let mut json = serde_json::to_value(&paper.run.summary).map_err(|error| CliError::Argument(error.to_string()))?;
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
    let summary = &paper.run.summary;
    let bytes = std::fs::metadata(&arguments.out).map(|meta| meta.len()).unwrap_or(0);
    println!(
        "recorded {} frames ({} bytes) to {}: {} gaps, {} decode errors, {} snapshots, {} reconnects; stopped: {:?}",
        summary.feed.frames,
        bytes,
        display(&arguments.out),
        summary.feed.gaps,
        summary.feed.decode_errors,
        paper.feed.stats.snapshots,
        paper.feed.stats.disconnects,
        paper.feed.stopped,
    );
    Ok(EXIT_OK)
}

fn display(path: &PathBuf) -> String {
    path.display().to_string()
}
