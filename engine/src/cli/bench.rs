//! `halcyon bench tick-to-quote`: the engine's latency, stage by stage, on a real recording,
//! against the typical-bot baseline in the same run.

use super::args::TickToQuoteArgs;
use super::config::load_instruments;
use super::engine_config::EngineConfig;
use super::{CliError, EXIT_DATA_PROBLEMS, EXIT_OK};
use crate::bench::baseline::run_baseline;
use crate::clock::TscClock;
use crate::latency::{LatencyReport, Metric, Percentiles, Stage};
use crate::order::BinanceOrderEncoder;
use crate::pipeline::pacing::{Pacing, Schedule};
use crate::pipeline::{PipelineConfig, PipelineReport, run_recorded};
use crate::sys::affinity::CorePlan;
use feeds::Instruments;
use feeds::inspect::OwnedFrame;
use feeds::recording::open_frames;
use risk::cascade::CascadeState;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

/// A throwaway credential: the benchmark signs every order exactly as the live gateway will,
/// with a key that is not an account's.
const BENCH_API_KEY: &str = "halcyon-bench-key-not-an-account-0000000000000000000000000000000000";
const BENCH_SECRET: &[u8] = b"halcyon-bench-secret-not-an-account-000000000000000000000000000000";

/// Runs the benchmark; returns the exit status.
pub fn tick_to_quote(arguments: &TickToQuoteArgs) -> Result<u8, CliError> {
    if !arguments.burst && (!arguments.rate.is_finite() || arguments.rate <= 0.0) {
        return Err(CliError::Argument(format!(
            "--rate {}: must be a positive number of frames per second",
            arguments.rate
        )));
    }
    if arguments.limit == Some(0) {
        return Err(CliError::Argument("--limit 0: there would be nothing to measure".to_owned()));
    }
    let mut config = EngineConfig::load(arguments.config.as_deref())?;
    if arguments.no_pin {
        config.feed_core = None;
        config.quoting_core = None;
    }
    let (instruments, _) = load_instruments(arguments.instruments.as_deref(), None)?;
    let core_config = config.core_config(&instruments, arguments.warmup)?;

    let mut reader = open_frames(&arguments.data)?;
    let (mut frames, errors) = OwnedFrame::read_all(reader.as_mut());
    for error in errors.iter().take(5) {
        eprintln!("halcyon: warning: {error}");
    }
    if let Some(limit) = arguments.limit {
        frames.truncate(limit);
    }
    if frames.is_empty() {
        return Err(CliError::Argument(format!("{}: no frames to replay", arguments.data.display())));
    }
    if frames.len() as u64 <= arguments.warmup {
        return Err(CliError::Argument(format!(
            "--warmup {} is not below the {} frames replayed: nothing would be measured",
            arguments.warmup,
            frames.len()
        )));
    }

    // Enumerate cores before anything is pinned.
    let plan = CorePlan::detect();
    let clock = TscClock::new();
    let clock_cost = clock.read_cost(1_000_000);
    let pacing = if arguments.burst { Pacing::Burst } else { Pacing::Rate(arguments.rate) };
    let pipeline = PipelineConfig {
        ring_capacity: config.ring_capacity,
        feed_core: config.feed_core,
        quoting_core: config.quoting_core,
        pacing,
        journal: arguments.journal.clone(),
        telemetry_every: Duration::ZERO,
    };
    let report =
        run_recorded(&frames, &instruments, &core_config, encoder(&instruments)?, &pipeline, &plan, &clock)?;

    let baseline = if arguments.baseline {
        let receive_times: Vec<_> = frames.iter().map(|frame| frame.receive_time).collect();
        let schedule = Schedule::new(&receive_times, pacing);
        let placement = plan.place(&[("feed", config.feed_core), ("quoting core", config.quoting_core)]);
        let outcome = run_baseline(
            &frames,
            &schedule,
            &instruments,
            &core_config,
            encoder(&instruments)?,
            &placement,
            &clock,
        )?;
        Some(outcome)
    } else {
        None
    };

    let baseline_latency = baseline.as_ref().map(|outcome| outcome.histograms.report());
    let same_orders = baseline.as_ref().map(|outcome| outcome.orders == report.gateway);
    let context = Context {
        recording: arguments.data.display().to_string(),
        warmup: arguments.warmup,
        pacing,
        clock_cost,
        clock_is_counter: clock.is_counter(),
        same_orders,
        baseline_unparsed: baseline.as_ref().map(|outcome| outcome.unparsed),
        strategy: core_config.strategy,
        risk: core_config.risk,
        cascade: core_config.cascade,
    };
    let text = if arguments.json {
        let mut text = serde_json::to_string_pretty(&to_json(&report, baseline_latency.as_ref(), &context))
            .map_err(|error| CliError::Output(error.into()))?;
        text.push('\n');
        text
    } else {
        table(&report, baseline_latency.as_ref(), &context)
    };
    std::io::stdout().lock().write_all(text.as_bytes()).map_err(CliError::Output)?;
    let mut problems = false;
    if same_orders == Some(false) {
        eprintln!(
            "halcyon: error: the baseline's order messages differ from halcyon's: the two pipelines did not do the same work"
        );
        problems = true;
    }
    if report.feed.decode_errors > 0 || report.core.frames != report.frames {
        eprintln!(
            "halcyon: error: {} frames did not decode; the core closed {} of {} frames",
            report.feed.decode_errors, report.core.frames, report.frames
        );
        problems = true;
    }
    Ok(if problems { EXIT_DATA_PROBLEMS } else { EXIT_OK })
}

fn encoder(instruments: &Instruments) -> Result<BinanceOrderEncoder, CliError> {
    BinanceOrderEncoder::new(BENCH_API_KEY, BENCH_SECRET, instruments)
        .map_err(|error| CliError::Argument(format!("order encoder: {error}")))
}

/// Per instrument: the detector's final state, time fractions per state, transitions, kill.
fn cascade_json(report: &PipelineReport) -> Value {
    Value::Array(
        report
            .cascade
            .iter()
            .map(|summary| {
                let fractions: serde_json::Map<String, Value> = CascadeState::ALL
                    .iter()
                    .map(|state| (state.name().to_lowercase(), json!(summary.fraction(*state))))
                    .collect();
                json!({
                    "instrument": summary.instrument.index(),
                    "state": summary.state,
                    "time_fraction": fractions,
                    "transitions": summary.transitions,
                    "last_transition": summary.last_transition,
                    "kill": summary.kill,
                })
            })
            .collect(),
    )
}

/// Run facts for the report.
struct Context {
    recording: String,
    warmup: u64,
    pacing: Pacing,
    clock_cost: f64,
    clock_is_counter: bool,
    same_orders: Option<bool>,
    baseline_unparsed: Option<u64>,
    strategy: strategy::StrategyConfig,
    risk: risk::RiskLimits,
    cascade: risk::cascade::config::CascadeConfig,
}

fn percentiles(report: &LatencyReport, metric: Metric) -> Percentiles {
    report.get(metric).map(|metric| metric.all).unwrap_or_default()
}

fn ratio(ours: u64, theirs: u64) -> f64 {
    if theirs == 0 { f64::NAN } else { ours as f64 / theirs as f64 }
}

fn latency_json(report: &LatencyReport) -> Value {
    let stages: serde_json::Map<String, Value> = Stage::ALL
        .iter()
        .filter_map(|stage| {
            report.get(Metric::Stage(*stage)).map(|metric| (stage.name().to_owned(), json!(metric.all)))
        })
        .collect();
    let mut by_kind = serde_json::Map::new();
    for metric in &report.metrics {
        for (class, percentiles) in &metric.by_class {
            let entry = by_kind.entry(class.to_string()).or_insert_with(|| json!({}));
            entry[metric.metric] = json!(percentiles);
        }
    }
    json!({
        "end_to_end": percentiles(report, Metric::EndToEnd),
        "tick_to_order": percentiles(report, Metric::TickToOrder),
        "stages": stages,
        "by_kind": by_kind,
    })
}

fn to_json(report: &PipelineReport, baseline: Option<&LatencyReport>, context: &Context) -> Value {
    let mut value = latency_json(&report.latency);
    let (mode, rate) = match context.pacing {
        Pacing::Rate(rate) => ("rate", Some(rate)),
        Pacing::Burst => ("burst", None),
    };
    let object = value.as_object_mut().expect("latency_json builds an object");
    object.insert("recording".into(), json!(context.recording));
    object.insert("frames".into(), json!(report.frames));
    object.insert("warmup_frames".into(), json!(context.warmup));
    object.insert("measured_frames".into(), json!(report.frames.saturating_sub(context.warmup)));
    object.insert("pacing".into(), json!({ "mode": mode, "frames_per_sec": rate }));
    object.insert("pinned".into(), json!(report.pinned));
    object.insert("unpinned_reason".into(), json!(report.unpinned_reason));
    object.insert(
        "clock".into(),
        json!({ "source": if context.clock_is_counter { "tsc" } else { "os-monotonic" }, "read_ns": context.clock_cost }),
    );
    object.insert("wall_seconds".into(), json!(report.wall_seconds));
    object.insert("feed".into(), json!(report.feed));
    object.insert("core".into(), json!(report.core));
    object.insert("cascade".into(), cascade_json(report));
    object.insert(
        "config".into(),
        json!({ "strategy": context.strategy, "risk": context.risk, "cascade": context.cascade }),
    );
    object.insert("orders".into(), json!(report.gateway));
    object.insert("recorder".into(), json!(report.recorder));
    object.insert("telemetry".into(), json!(report.telemetry));
    if let Some(baseline) = baseline {
        let ours = percentiles(&report.latency, Metric::EndToEnd);
        let theirs = percentiles(baseline, Metric::EndToEnd);
        let mut baseline_json = latency_json(baseline);
        baseline_json["unparsed_frames"] = json!(context.baseline_unparsed);
        object.insert("baseline".into(), baseline_json);
        object.insert("same_orders".into(), json!(context.same_orders));
        object.insert("ratio_p50".into(), json!(ratio(ours.p50_ns, theirs.p50_ns)));
        object.insert("ratio_p90".into(), json!(ratio(ours.p90_ns, theirs.p90_ns)));
        object.insert("ratio_p99".into(), json!(ratio(ours.p99_ns, theirs.p99_ns)));
        object.insert("ratio_p999".into(), json!(ratio(ours.p999_ns, theirs.p999_ns)));
    }
    value
}

fn row(out: &mut String, name: &str, p: &Percentiles) {
    let _ = writeln!(
        out,
        "  {name:<15}{:>9}{:>9}{:>9}{:>9}{:>10}{:>11}",
        p.count, p.p50_ns, p.p90_ns, p.p99_ns, p.p999_ns, p.max_ns
    );
}

fn header(out: &mut String, title: &str) {
    let _ = writeln!(
        out,
        "\n{title:<17}{:>9}{:>9}{:>9}{:>9}{:>10}{:>11}",
        "count", "p50", "p90", "p99", "p99.9", "max"
    );
}

fn latency_table(out: &mut String, title: &str, report: &LatencyReport) {
    header(out, title);
    for metric in &report.metrics {
        row(out, metric.metric, &metric.all);
    }
    let _ = writeln!(out, "  per frame kind, end to end:");
    if let Some(end_to_end) = report.get(Metric::EndToEnd) {
        for (class, percentiles) in &end_to_end.by_class {
            row(out, &format!("  {class}"), percentiles);
        }
    }
}

fn table(report: &PipelineReport, baseline: Option<&LatencyReport>, context: &Context) -> String {
    let mut out = String::new();
    let pacing = match context.pacing {
        Pacing::Rate(rate) => format!("paced at {rate} frames/s on average, in the recording's rhythm"),
        Pacing::Burst => "burst (back to back)".to_owned(),
    };
    let _ = writeln!(out, "tick-to-quote  {}", context.recording);
    let _ = writeln!(
        out,
        "frames         {} ({} warm-up, {} measured), {pacing}, {:.2} s",
        report.frames,
        context.warmup,
        report.frames.saturating_sub(context.warmup),
        report.wall_seconds
    );
    let threads = if report.pinned {
        "feed and quoting threads pinned, busy-spin waits".to_owned()
    } else {
        format!(
            "unpinned, yielding waits{}",
            report.unpinned_reason.as_ref().map(|reason| format!(" ({reason})")).unwrap_or_default()
        )
    };
    let _ = writeln!(out, "threads        {threads}");
    let _ = writeln!(
        out,
        "clock          {}, {:.1} ns a read",
        if context.clock_is_counter { "TSC (quanta)" } else { "OS monotonic (no usable TSC)" },
        context.clock_cost
    );
    let core = &report.core;
    let _ = writeln!(
        out,
        "decisions      {} ({} with orders): {} new, {} replace, {} cancel; {} risk rejections",
        core.decisions,
        core.decisions_with_orders,
        core.new_orders,
        core.replaces,
        core.cancels,
        core.rejected
    );
    for summary in &report.cascade {
        let _ = writeln!(
            out,
            "cascade        instrument {}: {} now; time NORMAL {:.4} WARNING {:.4} CASCADE {:.4} COOLDOWN {:.4}; {} transitions{}",
            summary.instrument.index(),
            summary.state.name(),
            summary.fraction(CascadeState::Normal),
            summary.fraction(CascadeState::Warning),
            summary.fraction(CascadeState::Cascade),
            summary.fraction(CascadeState::Cooldown),
            summary.transitions,
            summary.kill.map_or(String::new(), |kill| format!("; KILLED ({})", kill.reason.name())),
        );
    }
    let _ = writeln!(
        out,
        "orders         {} signed messages, {} bytes, digest {}",
        report.gateway.messages, report.gateway.bytes, report.gateway.digest
    );
    let _ = writeln!(
        out,
        "feed           {} events, {} decode errors, {} gaps; recorder digest {}",
        report.feed.events, report.feed.decode_errors, report.feed.gaps, report.recorder.digest
    );
    latency_table(&mut out, "halcyon (ns)", &report.latency);
    if let Some(baseline) = baseline {
        latency_table(&mut out, "baseline (ns)", baseline);
        let _ = writeln!(
            out,
            "  baseline = serde_json typed parse + crossbeam bounded channel + the same core; same orders: {}",
            match context.same_orders {
                Some(true) => "yes",
                _ => "NO",
            }
        );
        let ours = percentiles(&report.latency, Metric::EndToEnd);
        let theirs = percentiles(baseline, Metric::EndToEnd);
        let _ = writeln!(
            out,
            "\nhalcyon/baseline end to end   p50 {:.2}   p90 {:.2}   p99 {:.2}   p99.9 {:.2}",
            ratio(ours.p50_ns, theirs.p50_ns),
            ratio(ours.p90_ns, theirs.p90_ns),
            ratio(ours.p99_ns, theirs.p99_ns),
            ratio(ours.p999_ns, theirs.p999_ns)
        );
    }
    out
}
