//! `halcyon run` in paper mode: live market data, simulated fills.
//!
//! [`run_paper`] wires the pieces and runs until stopped:
//! - a tokio runtime (one worker, unpinned) for the slow lanes (REST depth snapshots, open
//!   interest polling, Bybit and Deribit) and the control server (`/metrics`, operator
//!   commands);
//! - the live feed thread ([`LiveSource`]) and the quoting core around the ring
//!   ([`run_threads`]), the core sending to the replay's simulated exchange and watched by a
//!   [`LiveObserver`] around the replay's sampler, so the summary is a replay's summary;
//! - Ctrl-C, `--duration`, `live.stop_when_idle_ms` or the caller's flag stop the feed; the
//!   ring drains, the threads join, the lanes and the server shut down.

use super::config::RunMode;
use super::observer::{DecisionStamps, LiveObserver, QuotingChecks};
use super::source::{LaneCounters, LiveFeedReport, LiveSource, LiveWiring};
use crate::cli::CliError;
use crate::cli::engine_config::EngineConfig;
use crate::clock::TscClock;
use crate::control::{ControlInbox, ControlServer};
use crate::metrics::Metrics;
use crate::pipeline::pacing::Pacing;
use crate::pipeline::{PipelineConfig, run_threads};
use crate::replay::run::{ReplayRun, RunSource, SimulatedRun, summarize_run};
use crate::sys::affinity::CorePlan;
use feeds::lanes::{LaneQueue, SlowLanes};
use feeds::net::{FrameTap, MarketStream, TapOptions};
use feeds::{InstrumentId, Instruments};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A live run logs a telemetry line (frames, rate, gaps) this often, from the telemetry
/// consumer's thread.
const TELEMETRY_EVERY: Duration = Duration::from_secs(10);

/// Slow-lane events that may wait for the feed thread; more are dropped (and counted).
const LANE_QUEUE_CAPACITY: usize = 4096;

/// What the caller can do with a paper run besides configuring it.
#[derive(Default)]
pub struct PaperOptions {
    /// Raise to stop the run (Ctrl-C raises it too).
    pub stop: Arc<AtomicBool>,
    /// Told the control server's address once it listens (tests bind port 0).
    pub ready: Option<crossbeam_channel::Sender<SocketAddr>>,
    /// Keep this many depth frames' decision instants (wire-to-quote measurement).
    pub decision_stamps: usize,
    /// Do not install a Ctrl-C handler (tests, embedding).
    pub no_signal_handler: bool,
    /// Start paused: the book is kept, nothing is quoted until `resume` (`halcyon record`).
    pub paused: bool,
}

/// A finished paper run.
pub struct PaperRun {
    /// The summary and series, as a replay's.
    pub run: ReplayRun,
    /// The live feed's own counters and why it stopped.
    pub feed: LiveFeedReport,
    /// Quoting versus book trust, frame by frame.
    pub checks: QuotingChecks,
    /// Operator commands applied.
    pub commands: u64,
    /// Decision instants of depth frames, if asked for.
    pub stamps: Option<DecisionStamps>,
    /// The last Prometheus exposition (the metrics as the run ended).
    pub metrics: Option<String>,
}

/// Cores a live run needs beyond the two pinned threads: the slow lanes, the control server
/// (and, on one machine, a local venue) share one.
const SHARED_CORES: usize = 1;

/// Pinned busy-spinning feed and core threads would starve the slow lanes and the control
/// server of a machine with no core to spare: there, both run unpinned with yielding waits.
/// (The feed's own socket wait is `live.poll`; with `busy` it still never sleeps.)
fn share_cores(mut pipeline: PipelineConfig, plan: &CorePlan) -> (PipelineConfig, Option<String>) {
    let pinned = usize::from(pipeline.feed_core.is_some()) + usize::from(pipeline.quoting_core.is_some());
    if pinned == 0 || plan.cores().len() >= pinned + SHARED_CORES {
        return (pipeline, None);
    }
    pipeline.feed_core = None;
    pipeline.quoting_core = None;
    let note = format!(
        "{} cores: the feed and quoting threads run unpinned so the slow lanes and the control server get CPU \
         (pinning needs {} cores for a live run)",
        plan.cores().len(),
        pinned + SHARED_CORES
    );
    (pipeline, Some(note))
}

/// Runs `config` in paper mode until stopped.
pub fn run_paper(
    config: &EngineConfig,
    instruments: &Instruments,
    options: PaperOptions,
) -> Result<PaperRun, CliError> {
    let config_error =
        |message: String| CliError::Config { path: PathBuf::from(config.source.describe()), message };
    if config.live.mode != RunMode::Paper {
        return Err(config_error(
            "live.mode = \"live\": real order entry is not built yet; use mode = \"paper\" (simulated fills)"
                .into(),
        ));
    }
    let parts = SimulatedRun::new(instruments, config)?;
    let symbols: Vec<(InstrumentId, String)> = parts
        .core_config
        .quote
        .iter()
        .filter_map(|&id| instruments.get(id).map(|spec| (id, spec.symbol.to_string())))
        .collect();
    let names: Vec<String> = symbols.iter().map(|(_, symbol)| symbol.clone()).collect();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("halcyon-slow")
        .enable_all()
        .build()
        .map_err(|error| CliError::Argument(format!("cannot start the slow-lane runtime: {error}")))?;

    let metrics = Arc::new(Metrics::new(&names.iter().map(String::as_str).collect::<Vec<_>>()));
    let (inbox, control) = if config.control.enabled {
        let (inbox, sender) = ControlInbox::with_capacity(config.control.inbox_capacity);
        let server = ControlServer::start(&config.control, metrics.clone(), sender, runtime.handle())
            .map_err(|error| config_error(format!("control: {error}")))?;
        tracing::info!(addr = %server.addr(), "control endpoint listening");
        if let Some(ready) = &options.ready {
            let _ = ready.send(server.addr());
        }
        (Some(inbox), Some(server))
    } else {
        (None, None)
    };

    let queue = LaneQueue::new(LANE_QUEUE_CAPACITY);
    let lanes = SlowLanes::start_on(runtime.handle(), &config.lanes, instruments, queue.clone())
        .map_err(|error| config_error(format!("lanes: {error}")))?;
    let (requests, responses) = (lanes.snapshot_requests(), lanes.snapshot_responses());

    if !options.no_signal_handler {
        let stop = options.stop.clone();
        runtime.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                tracing::warn!("Ctrl-C: stopping");
                stop.store(true, Ordering::Relaxed);
            }
        });
    }

    let stream = MarketStream::new(&config.live.stream_config(&names))
        .map_err(|error| config_error(format!("live: {error}")))?;
    let tap = match &config.live.record {
        Some(path) => Some(
            FrameTap::create(path, TapOptions::default())
                .map_err(|source| CliError::Io { path: path.clone(), source })?,
        ),
        None => None,
    };
    let (report_sender, report) = crossbeam_channel::bounded(1);
    let source = LiveSource::new(
        stream,
        &config.live,
        &symbols,
        LiveWiring {
            requests,
            responses,
            lanes: Some(queue),
            tap,
            metrics: Some(metrics.feed()),
            lane_metrics: Some(LaneCounters::new(&metrics)),
            stop: options.stop.clone(),
            report: report_sender,
        },
    );

    let clock = TscClock::new();
    let SimulatedRun { core_config, encoder, venue, sampler, instrument: _, tick, lot, symbol } = parts;
    let mut observer = LiveObserver::new(sampler, inbox, Some(metrics.clone()), instruments, clock.clone());
    if options.paused {
        observer = observer.start_paused();
    }
    if options.decision_stamps > 0 {
        observer = observer.with_decision_stamps(options.decision_stamps);
    }
    let pipeline = PipelineConfig {
        ring_capacity: config.ring_capacity,
        feed_core: config.feed_core,
        quoting_core: config.quoting_core,
        pacing: Pacing::Burst,
        journal: None,
        telemetry_every: TELEMETRY_EVERY,
    };
    let plan = CorePlan::detect();
    let (pipeline, unpinned) = share_cores(pipeline, &plan);
    if let Some(note) = unpinned {
        tracing::warn!("{note}");
    }
    let result =
        run_threads(source, instruments, &core_config, encoder, venue, observer, &pipeline, &plan, &clock);
    lanes.shutdown();
    let exposition = Some(metrics.encode());
    if let Some(server) = control {
        server.shutdown();
    }
    runtime.shutdown_timeout(Duration::from_secs(2));
    let run = result?;
    let feed = report.try_recv().unwrap_or(LiveFeedReport {
        stats: Default::default(),
        stopped: None,
        captured: None,
    });
    let (mut checks, mut commands, mut stamps) = (QuotingChecks::default(), 0, None);
    let run = run.map_observer(|observer| {
        checks = observer.checks();
        commands = observer.commands();
        let (sampler, kept) = observer.into_parts();
        stamps = kept;
        sampler
    });
    let source =
        RunSource { data: config.live.stream_url(&names), scenario: None, regimes: &[], threads: "live" };
    let run = summarize_run(run, &source, config, tick, lot, symbol);
    Ok(PaperRun { run, feed, checks, commands, stamps, metrics: exposition })
}
