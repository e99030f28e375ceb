//! One replay: a market (a recording, a normalized capture, or a recording with a stress
//! scenario laid over it) through the quoting core and the simulated exchange, sampled, then
//! summarised.
//!
//! [`load_market`] reads and prepares the market once; [`replay`] runs one configuration on it
//! (the threaded pipeline, exactly as live, or the single-thread runner for sweeps and
//! throughput); both give the same orders, fills and digest.

use super::sampler::Sampler;
use super::series::{RegimeSpan, Series};
use super::source::decode_frames;
use super::summary::{SummaryInput, TradingSummary, summarize};
use super::tap::TappedVenue;
use crate::cli::CliError;
use crate::cli::engine_config::EngineConfig;
use crate::clock::TscClock;
use crate::latency::LatencyReport;
use crate::order::BinanceOrderEncoder;
use crate::pipeline::core::CoreStats;
use crate::pipeline::feed::FeedStats;
use crate::pipeline::inline::run_inline;
use crate::pipeline::pacing::Pacing;
use crate::pipeline::{MarketInput, PipelineConfig, PipelineRun, run_pipeline};
use crate::sys::affinity::CorePlan;
use crate::venue::{SimulatedExchange, VenueStats};
use feeds::inspect::OwnedFrame;
use feeds::recording::{RecordingFormat, detect_format, open_frames};
use feeds::{Event, InstrumentId, Instruments};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A throwaway credential: replayed orders are signed exactly as live ones, with a key that is
/// not an account's (the bytes, and so the digest, depend on it).
const REPLAY_API_KEY: &str = "halcyon-replay-key-not-an-account-00000000000000000000000000000000";
const REPLAY_SECRET: &[u8] = b"halcyon-replay-secret-not-an-account-0000000000000000000000000000";

/// A market ready to replay, any number of times.
pub struct Market {
    /// The instruments the events' ids refer to.
    pub instruments: Instruments,
    /// The frames or events.
    pub data: MarketData,
    /// Market regimes (a stress scenario's schedule); empty: all calm.
    pub regimes: Vec<RegimeSpan>,
    /// What it is, for reports: the file, and the scenario laid over it.
    pub source: String,
    /// The stress scenario's name, if one is laid over the recording.
    pub scenario: Option<String>,
}

/// Raw frames or decoded events.
pub enum MarketData {
    /// Raw exchange frames, decoded during the run.
    Frames(Vec<OwnedFrame>),
    /// Events decoded beforehand.
    Events(Vec<Event>),
    /// A finished normalized event file, streamed by single-thread runs (read whole by the
    /// threaded pipeline).
    EventFile(PathBuf),
}

impl Market {
    /// Keeps only the frames received within `seconds` of the first (an event file is read
    /// into memory to be cut).
    pub fn truncate(&mut self, seconds: f64) -> Result<(), CliError> {
        let span = (seconds * 1e9) as i64;
        if let MarketData::EventFile(path) = &self.data {
            self.data = MarketData::Events(feeds::recording::EventFile::open(path)?.into_events());
        }
        match &mut self.data {
            MarketData::Frames(frames) => {
                if let Some(first) = frames.first().map(|frame| frame.receive_time.0) {
                    frames.retain(|frame| frame.receive_time.0 - first < span);
                }
            }
            MarketData::Events(events) => {
                let Some(first) = events.first().map(|event| event.receive_time.0) else { return Ok(()) };
                let mut keep = 0;
                for (index, event) in events.iter().enumerate() {
                    if matches!(event.kind(), feeds::EventKind::FrameEnd(_)) {
                        if event.receive_time.0 - first >= span {
                            break;
                        }
                        keep = index + 1;
                    }
                }
                events.truncate(keep);
            }
            MarketData::EventFile(_) => unreachable!("read into memory above"),
        }
        Ok(())
    }

    /// The run's input.
    pub fn input(&self) -> MarketInput<'_> {
        match &self.data {
            MarketData::Frames(frames) => MarketInput::Frames(frames),
            MarketData::Events(events) => MarketInput::Events(events),
            MarketData::EventFile(path) => MarketInput::EventFile(path),
        }
    }
}

/// Reads `path` (any recording halcyon reads, or a normalized event capture) for quoting with
/// `config`, laying `config.stress` over it if set. `instruments` is used unless the file
/// carries its own table (a normalized capture does).
pub fn load_market(
    path: &Path,
    instruments: &Instruments,
    config: &EngineConfig,
) -> Result<Market, CliError> {
    let io = |source| CliError::Io { path: path.to_owned(), source };
    let format = detect_format(path).map_err(io)?;
    if format == RecordingFormat::Events && config.stress.is_none() {
        // Checked (header, trailer) now; its records are validated as a run reads them.
        let stream = feeds::recording::EventStream::open(path)?;
        if stream.is_empty() {
            return Err(CliError::Argument(format!("{}: nothing to replay (no events)", path.display())));
        }
        return Ok(Market {
            instruments: stream.instruments().clone(),
            data: MarketData::EventFile(path.to_owned()),
            regimes: Vec::new(),
            source: path.display().to_string(),
            scenario: None,
        });
    }
    let (instruments, events, frames) = if format == RecordingFormat::Events {
        let file = feeds::recording::events::EventFile::open(path)?;
        if let Some(warning) = file.warning() {
            tracing::warn!("{warning}");
        }
        (file.instruments().clone(), Some(file.into_events()), None)
    } else {
        let mut reader = open_frames(path)?;
        let (frames, errors) = OwnedFrame::read_all(reader.as_mut());
        for error in errors.iter().take(5) {
            tracing::warn!("{error}");
        }
        if errors.iter().any(|error| error.is_fatal()) && frames.is_empty() {
            return Err(errors
                .into_iter()
                .next()
                .map_or_else(|| CliError::Argument("no frames".into()), Into::into));
        }
        (instruments.clone(), None, Some(frames))
    };
    let empty = events.as_ref().is_some_and(Vec::is_empty) || frames.as_ref().is_some_and(Vec::is_empty);
    if empty {
        return Err(CliError::Argument(format!("{}: nothing to replay (no frames)", path.display())));
    }
    let source = path.display().to_string();
    let Some(stress) = &config.stress else {
        let data = match (events, frames) {
            (Some(events), _) => MarketData::Events(events),
            (None, Some(frames)) => MarketData::Frames(frames),
            (None, None) => unreachable!("one of the two was read"),
        };
        return Ok(Market { instruments, data, regimes: Vec::new(), source, scenario: None });
    };
    let events = match (events, frames) {
        (Some(events), _) => events,
        (None, Some(frames)) => decode_frames(&frames, &instruments, &TscClock::new()).0,
        (None, None) => unreachable!("one of the two was read"),
    };
    let instrument = quoted_instrument(&instruments, config)?;
    let spec =
        instruments.get(instrument).ok_or_else(|| CliError::Argument("quoted instrument missing".into()))?;
    let overlay =
        crate::stress::overlay(&events, instrument, spec.tick, spec.lot, stress).map_err(|error| {
            CliError::Config {
                path: PathBuf::from(config.source.describe()),
                message: format!("stress: {error}"),
            }
        })?;
    Ok(Market {
        instruments,
        data: MarketData::Events(overlay.events),
        regimes: overlay.regimes,
        source,
        scenario: Some(stress.name.clone()),
    })
}

/// The first quoted instrument's id.
fn quoted_instrument(instruments: &Instruments, config: &EngineConfig) -> Result<InstrumentId, CliError> {
    let core = config.core_config(instruments, 0)?;
    core.quote.first().copied().ok_or_else(|| CliError::Argument("nothing to quote".into()))
}

/// How a replay runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threading {
    /// Feed, core, recorder and telemetry threads around the ring, as live.
    Pipeline(Pacing),
    /// Feed and core on the calling thread, no ring (sweeps, throughput).
    Inline,
}

/// What a replay prints and writes as JSON.
#[derive(Clone, Debug, Serialize)]
pub struct ReplaySummary {
    /// The recording.
    pub data: String,
    /// The stress scenario laid over it, if any.
    pub scenario: Option<String>,
    /// Events the core took, frame ends included.
    pub events: u64,
    /// Frames.
    pub frames: u64,
    /// Trading results.
    #[serde(flatten)]
    pub trading: TradingSummary,
    /// Order actions.
    pub orders: OrderCounts,
    /// The simulated exchange's counters.
    pub venue: VenueStats,
    /// Stage and end-to-end latencies on the engine's clock.
    pub latency: LatencyReport,
    /// Events handled per wall-clock second.
    pub events_per_sec: f64,
    /// Frames handled per wall-clock second.
    pub frames_per_sec: f64,
    /// Wall time of the run, seconds (loading excluded).
    pub wall_seconds: f64,
    /// `pipeline` or `inline`.
    pub threads: &'static str,
    /// FNV-1a over every order message and fill, hex: equal runs print equal digests.
    pub digest: String,
    /// The feed's counters.
    pub feed: FeedStats,
    /// The core's counters.
    pub core: CoreStats,
    /// What the simulation leaves out, said with every result.
    pub notes: Vec<String>,
    /// The configuration used, in full.
    pub config: serde_json::Value,
}

/// Order actions of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct OrderCounts {
    /// Order messages sent.
    pub messages: u64,
    /// New orders.
    pub new: u64,
    /// Amendments.
    pub replaces: u64,
    /// Cancels.
    pub cancels: u64,
    /// Actions held back by the order-rate budget.
    pub rate_limited: u64,
    /// Actions the venue refused.
    pub venue_rejects: u64,
}

/// What the simulation does not model; printed with every summary.
pub const NOTES: [&str; 3] = [
    "Market impact of our own fills is not replayed into the book: the recorded book stays as recorded.",
    "Queue position is modelled from displayed depth and trades (see simulator.queue); hidden and iceberg liquidity are not.",
    "Fees are charged per fill at the configured maker/taker rates; funding payments are not charged.",
];

/// [`NOTES`], and a warning when the strategy quotes as if its fee were lower than the one the
/// simulated exchange charges (its half-spread floor would not cover the fee).
fn notes(config: &EngineConfig) -> Vec<String> {
    let mut notes: Vec<String> = NOTES.iter().map(|note| (*note).to_owned()).collect();
    let charged: f64 = config.simulator.maker_fee_bps.try_into().unwrap_or(0.0);
    if config.strategy.maker_fee_bps < charged {
        notes.push(format!(
            "strategy.maker_fee_bps = {} is below the simulator's maker fee of {charged} bps: the half-spread floor \
             does not cover the fee (set strategy.maker_fee_bps to the fee the account pays)",
            config.strategy.maker_fee_bps
        ));
    }
    notes
}

/// A finished replay.
pub struct ReplayRun {
    /// The summary.
    pub summary: ReplaySummary,
    /// The time series and fills, for reports.
    pub series: Series,
}

/// What a run against the simulated exchange is built from: the core's settings, the order
/// encoder, the simulated exchange (tapped for the digest) and the sampler, for the first
/// quoted instrument. Replay and paper mode build theirs the same way.
pub struct SimulatedRun {
    /// The quoting core's settings.
    pub core_config: crate::pipeline::core::CoreConfig,
    /// Signs the orders (with a throwaway key: nothing leaves the process).
    pub encoder: BinanceOrderEncoder,
    /// The simulated exchange, tapped for the digest.
    pub venue: TappedVenue<SimulatedExchange>,
    /// Samples the first quoted instrument.
    pub sampler: Sampler,
    /// The sampled instrument.
    pub instrument: InstrumentId,
    /// Its tick.
    pub tick: feeds::Step,
    /// Its lot.
    pub lot: feeds::Step,
    /// Its symbol.
    pub symbol: String,
}

impl SimulatedRun {
    /// The parts for quoting `config` on `instruments`.
    pub fn new(instruments: &Instruments, config: &EngineConfig) -> Result<SimulatedRun, CliError> {
        let config_error =
            |message: String| CliError::Config { path: PathBuf::from(config.source.describe()), message };
        let core_config = config.core_config(instruments, 0)?;
        let instrument = *core_config.quote.first().ok_or_else(|| config_error("nothing to quote".into()))?;
        let spec =
            instruments.get(instrument).ok_or_else(|| config_error("quoted instrument missing".into()))?;
        let (tick, lot) = (spec.tick, spec.lot);
        let symbol = spec.symbol.to_string();
        let encoder = BinanceOrderEncoder::new(REPLAY_API_KEY, REPLAY_SECRET, instruments)
            .map_err(|error| CliError::Argument(format!("order encoder: {error}")))?;
        let exchange = SimulatedExchange::new(&config.simulator, instruments)
            .map_err(|error| config_error(format!("simulator: {error}")))?;
        let venue = TappedVenue::new(exchange);
        let interval = i64::from(config.replay.sample_interval_ms) * 1_000_000;
        let sampler = Sampler::new(instrument, tick, lot, interval);
        Ok(SimulatedRun { core_config, encoder, venue, sampler, instrument, tick, lot, symbol })
    }
}

/// Where a simulated run's market came from, for its summary.
pub struct RunSource<'a> {
    /// What it is: a file, or a live endpoint.
    pub data: String,
    /// The stress scenario laid over it, if any.
    pub scenario: Option<String>,
    /// Its regimes (a stress scenario's schedule).
    pub regimes: &'a [RegimeSpan],
    /// `pipeline`, `inline` or `live`.
    pub threads: &'static str,
}

/// Runs `config` on `market`.
pub fn replay(market: &Market, config: &EngineConfig, threading: Threading) -> Result<ReplayRun, CliError> {
    let instruments = &market.instruments;
    let parts = SimulatedRun::new(instruments, config)?;
    let SimulatedRun { core_config, encoder, venue, sampler, instrument: _, tick, lot, symbol } = parts;
    let clock = TscClock::new();
    let run: PipelineRun<TappedVenue<SimulatedExchange>, Sampler> = match threading {
        Threading::Inline => {
            run_inline(market.input(), instruments, &core_config, encoder, venue, sampler, &clock)?
        }
        Threading::Pipeline(pacing) => {
            let pipeline = PipelineConfig {
                ring_capacity: config.ring_capacity,
                feed_core: config.feed_core,
                quoting_core: config.quoting_core,
                pacing,
                journal: None,
                telemetry_every: Duration::ZERO,
            };
            let plan = CorePlan::detect();
            run_pipeline(
                market.input(),
                instruments,
                &core_config,
                encoder,
                venue,
                sampler,
                &pipeline,
                &plan,
                &clock,
            )?
        }
    };
    let source = RunSource {
        data: market.source.clone(),
        scenario: market.scenario.clone(),
        regimes: &market.regimes,
        threads: match threading {
            Threading::Pipeline(_) => "pipeline",
            Threading::Inline => "inline",
        },
    };
    Ok(summarize_run(run, &source, config, tick, lot, symbol))
}

/// The summary and series of a finished run against the simulated exchange.
pub fn summarize_run(
    run: PipelineRun<TappedVenue<SimulatedExchange>, Sampler>,
    source: &RunSource<'_>,
    config: &EngineConfig,
    tick: feeds::Step,
    lot: feeds::Step,
    symbol: String,
) -> ReplayRun {
    let (samples, exposure) = run.observer.finish();
    let digest = run.gateway.digest();
    let messages = run.gateway.messages();
    let (exchange, fills) = run.gateway.into_parts();
    let cascade = run.cascade.first().copied();
    let time_in_state =
        cascade.map_or([0; risk::cascade::CascadeState::COUNT], |summary| summary.time_in_state);
    let final_account = exchange_account(&fills, tick, lot);
    let (trading, fill_records) = summarize(&SummaryInput {
        samples: &samples,
        fills: &fills,
        account: final_account,
        exposure,
        time_in_state,
        tick,
        lot,
        regimes: source.regimes,
    });
    let core = run.core;
    let wall = run.wall_seconds.max(1e-9);
    let summary = ReplaySummary {
        data: source.data.clone(),
        scenario: source.scenario.clone(),
        events: core.events,
        frames: run.frames,
        trading,
        orders: OrderCounts {
            messages,
            new: core.new_orders,
            replaces: core.replaces,
            cancels: core.cancels,
            rate_limited: core.rate_limited,
            venue_rejects: core.venue_rejects,
        },
        venue: exchange.stats(),
        latency: run.latency,
        events_per_sec: core.events as f64 / wall,
        frames_per_sec: run.frames as f64 / wall,
        wall_seconds: run.wall_seconds,
        threads: source.threads,
        digest: format!("{digest:016x}"),
        feed: run.feed,
        core,
        notes: notes(config),
        config: config.to_json(),
    };
    let series = Series { symbol, samples, fills: fill_records, regimes: source.regimes.to_vec() };
    ReplayRun { summary, series }
}

/// The account rebuilt from the fills (the core's own is the same; rebuilding keeps the
/// summary independent of what the core exposes at the end).
fn exchange_account(
    fills: &[crate::gateway::Fill],
    tick: feeds::Step,
    lot: feeds::Step,
) -> crate::account::Account {
    let mut account = crate::account::Account::new(tick, lot);
    for fill in fills {
        account.apply(fill);
    }
    account
}
