//! The threads: feed → ring → quoting core, recorder, telemetry.
//!
//! ```text
//!  frames ──▶ [feed thread] decode + sequence ──push/publish──▶ ═══ ring of Event ═══
//!                                                                 │        │        │
//!                                            (no dependency)  core   recorder   telemetry (after core)
//!                                                               │
//!                                     book → quotes → risk → orders → signed bytes → gateway
//! ```
//!
//! - [`feed::FeedHandler`] decodes frames and publishes their events plus one
//!   [`FrameEnd`] per frame, with a single cursor store per frame.
//! - [`core::QuotingCore`] keeps the books and makes one quote decision per frame.
//! - [`recorder::Recorder`] digests (and optionally journals) the events.
//! - [`telemetry::Telemetry`] counts them, after the core has.
//! - [`pacing`] decides when a recorded frame is released.
//!
//! [`run_recorded`] runs the lot on frames held in memory (the benchmark, and soon replay). The
//! feed and core threads are pinned to the configured cores when [`CorePlan::place`] allows,
//! and wait by busy-spinning; otherwise they run unpinned and wait by spinning then yielding,
//! and the report says why. The recorder and telemetry threads always block (park) and are
//! woken once per [`SLOW_CONSUMER_WAKE`] slots, so the feed thread makes no system call per
//! frame on their behalf.
//!
//! Shutdown: when the feed has released its last frame it closes the ring; every consumer
//! drains what is left, sees the ring closed, and returns its report; the runner joins all four
//! threads. No thread is left spinning.

pub mod core;
pub mod feed;
pub mod inline;
pub mod pacing;
pub mod recorder;
pub mod telemetry;

use self::core::{CoreConfig, CoreStats, QuotingCore};
use self::feed::{FeedHandler, FeedStats, FrameInput};
use self::pacing::{Pacing, Schedule};
use self::recorder::{Recorder, RecorderReport};
use self::telemetry::{Telemetry, TelemetryReport};
use crate::clock::TscClock;
use crate::gateway::{CountingGateway, Gateway};
use crate::latency::{LatencyHistograms, LatencyReport};
use crate::order::BinanceOrderEncoder;
use crate::ring::{Blocking, BusySpin, Consumer, Producer, RingBuilder, SpinThenYield, WaitStrategy};
use crate::sys::affinity::{CorePlan, pin_current_thread};
use feeds::inspect::OwnedFrame;
use feeds::{Event, EventKind, FrameEnd, InstrumentId, Instruments, Nanos, Seq};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Slow consumers (recorder, telemetry) are woken once per this many published slots (at most
/// half the ring), or by their park timeout, [`SLOW_CONSUMER_TIMEOUT`]. Every wake-up of an
/// unpinned thread may preempt a pinned one on a small machine, so they are rare.
pub const SLOW_CONSUMER_WAKE: u64 = 8192;

/// Longest a slow consumer stays parked without a wake-up.
pub const SLOW_CONSUMER_TIMEOUT: Duration = Duration::from_millis(100);

/// Smallest ring accepted: a full Binance depth snapshot (2 × 1000 levels plus a clear and a
/// frame end) must fit, because a frame is published whole.
pub const MIN_RING_CAPACITY: usize = 4096;

/// How the threads run.
#[derive(Clone, Debug)]
pub struct PipelineConfig {
    /// Ring slots (a power of two, at least [`MIN_RING_CAPACITY`]).
    pub ring_capacity: usize,
    /// Core for the feed thread; `None` to leave it unpinned.
    pub feed_core: Option<usize>,
    /// Core for the quoting core thread; `None` to leave it unpinned.
    pub quoting_core: Option<usize>,
    /// When frames are released.
    pub pacing: Pacing,
    /// Journal the events here.
    pub journal: Option<PathBuf>,
    /// Log telemetry this often (zero: never).
    pub telemetry_every: Duration,
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The ring could not be built.
    #[error("ring: {0}")]
    Ring(#[from] crate::ring::RingError),
    /// The ring is too small for a whole frame.
    #[error(
        "ring_capacity {0} is below the minimum of {MIN_RING_CAPACITY} slots (a whole depth snapshot must fit)"
    )]
    RingTooSmall(usize),
    /// The journal could not be created.
    #[error("cannot create the event journal {path}: {source}")]
    Journal {
        /// The journal path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A thread could not be started.
    #[error("cannot start the {name} thread: {source}")]
    Spawn {
        /// Which thread.
        name: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// The market could not be read.
    #[error("{0}")]
    Recording(#[from] feeds::recording::RecordingError),
    /// A thread panicked (a bug: reported, not hidden).
    #[error("the {0} thread panicked")]
    Panicked(&'static str),
}

/// Everything a benchmark run produced: the counting gateway's totals as `orders`.
pub type PipelineReport = PipelineRun<GatewayReport, ()>;

/// The counting gateway's totals, for reports.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GatewayReport {
    /// Messages.
    pub messages: u64,
    /// Bytes.
    pub bytes: u64,
    /// FNV-1a of every message byte, hex.
    pub digest: String,
}

impl From<CountingGateway> for GatewayReport {
    fn from(gateway: CountingGateway) -> GatewayReport {
        GatewayReport {
            messages: gateway.messages,
            bytes: gateway.bytes,
            digest: format!("{:016x}", gateway.digest),
        }
    }
}

/// Runs feed, core, recorder and telemetry threads over `frames` (in order), returns when all
/// have drained and exited. The core sends to a [`CountingGateway`] (the benchmark's venue).
pub fn run_recorded(
    frames: &[OwnedFrame],
    instruments: &Instruments,
    core_config: &CoreConfig,
    encoder: BinanceOrderEncoder,
    config: &PipelineConfig,
    plan: &CorePlan,
    clock: &TscClock,
) -> Result<PipelineReport, PipelineError> {
    let run = run_pipeline(
        MarketInput::Frames(frames),
        instruments,
        core_config,
        encoder,
        CountingGateway::new(),
        (),
        config,
        plan,
        clock,
    )?;
    Ok(run.map_gateway(GatewayReport::from))
}

/// What the feed thread releases: raw frames, decoded on the feed thread as a live feed does,
/// or events decoded beforehand (a normalized capture, a stress overlay), published frame by
/// frame as they are.
#[derive(Clone, Copy, Debug)]
pub enum MarketInput<'a> {
    /// Raw exchange frames.
    Frames(&'a [OwnedFrame]),
    /// Decoded events, each frame's closed by its `FrameEnd`.
    Events(&'a [Event]),
    /// A normalized event file: streamed block by block on one thread
    /// ([`inline::run_inline`]), read whole first by the threaded pipeline.
    EventFile(&'a std::path::Path),
}

impl MarketInput<'_> {
    /// Frames in the input (`FrameEnd`s of decoded events).
    pub fn frames(&self) -> usize {
        match self {
            MarketInput::Frames(frames) => frames.len(),
            MarketInput::Events(events) => events.iter().filter(|event| is_frame_end(event)).count(),
            MarketInput::EventFile(path) => match feeds::recording::EventFile::open(path) {
                Ok(file) => file.events().iter().filter(|event| is_frame_end(event)).count(),
                Err(_) => 0,
            },
        }
    }

    /// Seconds from the first frame's receive time to the last's.
    pub fn receive_span_seconds(&self) -> f64 {
        let times = self.receive_times();
        match (times.iter().min(), times.iter().max()) {
            (Some(first), Some(last)) => (last.0 - first.0) as f64 / 1e9,
            _ => 0.0,
        }
    }

    /// Receive time of each frame, in order.
    fn receive_times(&self) -> Vec<Nanos> {
        match self {
            MarketInput::Frames(frames) => frames.iter().map(|frame| frame.receive_time).collect(),
            MarketInput::Events(events) => {
                events.iter().filter(|event| is_frame_end(event)).map(|event| event.receive_time).collect()
            }
            MarketInput::EventFile(path) => match feeds::recording::EventFile::open(path) {
                Ok(file) => MarketInput::Events(file.events()).receive_times(),
                Err(_) => Vec::new(),
            },
        }
    }
}

fn is_frame_end(event: &Event) -> bool {
    matches!(event.kind(), EventKind::FrameEnd(_))
}

/// Watches the quoting core from its own thread, after each event: a replay samples its state
/// here, a live run publishes metrics and applies operator commands (kill, pause) between
/// frames. Must be cheap: it runs on the hot thread.
pub trait CoreObserver<Venue: Gateway>: Send {
    /// Called after the core has handled `event`.
    fn after_event(&mut self, core: &mut QuotingCore<Venue>, event: &Event);
}

impl<Venue: Gateway> CoreObserver<Venue> for () {
    #[inline]
    fn after_event(&mut self, _core: &mut QuotingCore<Venue>, _event: &Event) {}
}

/// Everything a run produced, with the gateway (as `orders` in reports) and the observer
/// handed back.
#[derive(Debug, serde::Serialize)]
pub struct PipelineRun<Venue, Observer> {
    /// Frames released by the feed.
    pub frames: u64,
    /// Whether the hot threads were pinned.
    pub pinned: bool,
    /// Why they were not, if pinning was asked for.
    pub unpinned_reason: Option<String>,
    /// Wall time from the first frame's release to the last thread's exit.
    pub wall_seconds: f64,
    /// Feed counters.
    pub feed: FeedStats,
    /// Core counters.
    pub core: CoreStats,
    /// Recorder report.
    pub recorder: RecorderReport,
    /// Telemetry counts.
    pub telemetry: TelemetryReport,
    /// Each quoted instrument's cascade detector and kill switch.
    pub cascade: Vec<self::core::CascadeSummary>,
    /// Latency percentiles.
    pub latency: LatencyReport,
    /// The core's gateway, with what it kept.
    #[serde(rename = "orders")]
    pub gateway: Venue,
    /// The observer, with what it kept.
    #[serde(skip)]
    pub observer: Observer,
}

impl<Venue, Observer> PipelineRun<Venue, Observer> {
    /// The same run with the gateway turned into something else (its report, say); the
    /// observer is dropped.
    pub fn map_gateway<Report>(self, report: impl FnOnce(Venue) -> Report) -> PipelineRun<Report, ()> {
        self.map(report, |_| ())
    }

    /// The same run with the observer turned into something else (the part a summary needs).
    pub fn map_observer<Other>(self, map: impl FnOnce(Observer) -> Other) -> PipelineRun<Venue, Other> {
        self.map(|gateway| gateway, map)
    }

    fn map<OtherVenue, Other>(
        self,
        gateway: impl FnOnce(Venue) -> OtherVenue,
        observer: impl FnOnce(Observer) -> Other,
    ) -> PipelineRun<OtherVenue, Other> {
        PipelineRun {
            frames: self.frames,
            pinned: self.pinned,
            unpinned_reason: self.unpinned_reason,
            wall_seconds: self.wall_seconds,
            feed: self.feed,
            core: self.core,
            recorder: self.recorder,
            telemetry: self.telemetry,
            cascade: self.cascade,
            latency: self.latency,
            gateway: gateway(self.gateway),
            observer: observer(self.observer),
        }
    }
}

/// Runs feed, core, recorder and telemetry threads over `input`, the core sending to
/// `gateway` and watched by `observer`; returns when all have drained and exited.
#[allow(clippy::too_many_arguments)]
pub fn run_pipeline<Venue: Gateway, Observer: CoreObserver<Venue>>(
    input: MarketInput<'_>,
    instruments: &Instruments,
    core_config: &CoreConfig,
    encoder: BinanceOrderEncoder,
    gateway: Venue,
    observer: Observer,
    config: &PipelineConfig,
    plan: &CorePlan,
    clock: &TscClock,
) -> Result<PipelineRun<Venue, Observer>, PipelineError> {
    // The feed thread publishes from memory: an event file is read whole first (its receive
    // times also make the schedule).
    let loaded;
    let input = match input {
        MarketInput::EventFile(path) => {
            loaded = feeds::recording::EventFile::open(path)?.into_events();
            MarketInput::Events(&loaded)
        }
        other => other,
    };
    let schedule = Schedule::new(&input.receive_times(), config.pacing);
    let largest_frame = match input {
        MarketInput::Frames(frames) => frames.iter().map(|frame| frame.payload.len()).max().unwrap_or(0),
        MarketInput::Events(_) | MarketInput::EventFile(_) => 0,
    };
    let source = RecordedSource { input, schedule: &schedule, scratch: Vec::with_capacity(largest_frame) };
    run_threads(source, instruments, core_config, encoder, gateway, observer, config, plan, clock)
}

/// What the feed thread runs: it releases the market into the ring through the feed handler
/// and returns when the market is over (the end of a recording, or a stop asked of a live
/// feed). The ring is closed after it returns.
pub trait FeedSource: Send {
    /// Runs on the feed thread. `spin` says whether the thread is pinned (and so may spin
    /// while it waits) or must yield.
    fn run<Wait: WaitStrategy>(
        self,
        feed: &mut FeedHandler,
        producer: &mut Producer<Event>,
        wait: &mut Wait,
        clock: &TscClock,
        spin: bool,
    );
}

/// Runs the feed thread on `source`, and the core, recorder and telemetry threads, the core
/// sending to `gateway` and watched by `observer`; returns when all have drained and exited.
#[allow(clippy::too_many_arguments)]
pub fn run_threads<Source: FeedSource, Venue: Gateway, Observer: CoreObserver<Venue>>(
    source: Source,
    instruments: &Instruments,
    core_config: &CoreConfig,
    encoder: BinanceOrderEncoder,
    gateway: Venue,
    observer: Observer,
    config: &PipelineConfig,
    plan: &CorePlan,
    clock: &TscClock,
) -> Result<PipelineRun<Venue, Observer>, PipelineError> {
    if config.ring_capacity < MIN_RING_CAPACITY {
        return Err(PipelineError::RingTooSmall(config.ring_capacity));
    }
    let recorder = match &config.journal {
        Some(path) => Recorder::with_journal(path)
            .map_err(|source| PipelineError::Journal { path: path.clone(), source })?,
        None => Recorder::new(),
    };
    let placement = plan.place(&[("feed", config.feed_core), ("quoting core", config.quoting_core)]);
    if let Some(reason) = &placement.reason {
        tracing::warn!("running unpinned with yielding waits: {reason}");
    }
    let pinned = placement.pinned();
    let (feed_core, quoting_core) = (placement.cores[0], placement.cores[1]);

    let mut builder = RingBuilder::new(config.ring_capacity, empty_slot())?;
    let core_id = builder.consumer("quoting core", &[]);
    builder.consumer("recorder", &[]);
    builder.consumer("telemetry", &[core_id]);
    let (producer, consumers) = builder.build();
    let mut consumers = consumers.into_iter();
    let (core_consumer, recorder_consumer, telemetry_consumer) =
        match (consumers.next(), consumers.next(), consumers.next()) {
            (Some(core), Some(recorder), Some(telemetry)) => (core, recorder, telemetry),
            _ => unreachable!("three consumers were added"),
        };

    let feed = FeedHandler::new(instruments.clone(), core_config.warmup_frames);
    let core = QuotingCore::new(core_config, instruments, encoder, gateway, clock.clone());
    let telemetry = Telemetry::new(config.telemetry_every);

    let started = Instant::now();
    let outcome = std::thread::scope(|scope| {
        let spawn = |name: &'static str| std::thread::Builder::new().name(format!("halcyon-{name}"));
        let core_thread = spawn("core")
            .spawn_scoped(scope, move || {
                if let Some(cpu) = quoting_core {
                    pin(cpu, "quoting core");
                    run_core(core, observer, core_consumer, &mut BusySpin)
                } else {
                    run_core(core, observer, core_consumer, &mut SpinThenYield::default())
                }
            })
            .map_err(|source| PipelineError::Spawn { name: "quoting core", source })?;
        let recorder_thread = spawn("recorder")
            .spawn_scoped(scope, move || run_recorder(recorder, recorder_consumer))
            .map_err(|source| PipelineError::Spawn { name: "recorder", source })?;
        let telemetry_thread = spawn("telemetry")
            .spawn_scoped(scope, move || run_telemetry(telemetry, telemetry_consumer))
            .map_err(|source| PipelineError::Spawn { name: "telemetry", source })?;
        let feed_clock = clock.clone();
        let feed_thread = spawn("feed")
            .spawn_scoped(scope, move || {
                if let Some(cpu) = feed_core {
                    pin(cpu, "feed");
                    run_feed(feed, source, producer, &feed_clock, &mut BusySpin, true)
                } else {
                    let mut wait = SpinThenYield::default();
                    run_feed(feed, source, producer, &feed_clock, &mut wait, false)
                }
            })
            .map_err(|source| PipelineError::Spawn { name: "feed", source })?;
        let feed = feed_thread.join().map_err(|_| PipelineError::Panicked("feed"))?;
        let core = core_thread.join().map_err(|_| PipelineError::Panicked("quoting core"))?;
        let recorder = recorder_thread.join().map_err(|_| PipelineError::Panicked("recorder"))?;
        let telemetry = telemetry_thread.join().map_err(|_| PipelineError::Panicked("telemetry"))?;
        Ok::<_, PipelineError>((feed, core, recorder, telemetry))
    })?;
    let wall_seconds = started.elapsed().as_secs_f64();
    let ((feed_stats, feed_histograms), (core, observer), recorder, telemetry) = outcome;
    let mut histograms: LatencyHistograms = core.histograms;
    histograms.merge(&feed_histograms);
    Ok(PipelineRun {
        frames: feed_stats.frames,
        pinned,
        unpinned_reason: placement.reason,
        wall_seconds,
        feed: feed_stats,
        core: core.stats,
        recorder,
        telemetry,
        cascade: core.cascade,
        latency: histograms.report(),
        gateway: core.gateway,
        observer,
    })
}

/// What a ring slot holds before its first write (never read: consumers only see published
/// slots).
pub fn empty_slot() -> Event {
    let end = FrameEnd {
        frame_kind: FrameEnd::UNDECODED,
        events: 0,
        in_hand: Nanos(0),
        parsed: Nanos(0),
        published: Nanos(0),
    };
    Event::new(Nanos(0), Nanos(0), Seq(0), InstrumentId(0), EventKind::FrameEnd(end))
}

fn pin(cpu: usize, name: &str) {
    if !pin_current_thread(cpu) {
        tracing::warn!("could not pin the {name} thread to core {cpu}; it runs unpinned");
    }
}

/// The feed thread: runs the source, then closes the ring.
fn run_feed<Source: FeedSource, Wait: WaitStrategy>(
    mut feed: FeedHandler,
    source: Source,
    mut producer: Producer<Event>,
    clock: &TscClock,
    wait: &mut Wait,
    spin: bool,
) -> (FeedStats, LatencyHistograms) {
    source.run(&mut feed, &mut producer, wait, clock, spin);
    producer.close();
    feed.finish()
}

/// A recording's frames or events, released on schedule: a raw frame is copied into the
/// scratch buffer (the socket read of a live feed), decoded and published; a decoded frame's
/// events are published as they are, its `FrameEnd` restamped with this run's clock.
struct RecordedSource<'a> {
    input: MarketInput<'a>,
    schedule: &'a Schedule,
    scratch: Vec<u8>,
}

impl FeedSource for RecordedSource<'_> {
    fn run<Wait: WaitStrategy>(
        mut self,
        feed: &mut FeedHandler,
        producer: &mut Producer<Event>,
        wait: &mut Wait,
        clock: &TscClock,
        spin: bool,
    ) {
        let RecordedSource { input, schedule, ref mut scratch } = self;
        let start = clock.now().0;
        match input {
            MarketInput::Frames(frames) => {
                for (index, frame) in frames.iter().enumerate() {
                    wait_until(clock, start + schedule.offset(index), spin);
                    scratch.clear();
                    scratch.extend_from_slice(&frame.payload);
                    let in_hand = clock.now();
                    let input = FrameInput {
                        payload: scratch,
                        receive_time: frame.receive_time,
                        channel: &frame.channel,
                        in_hand,
                    };
                    feed.on_frame(input, clock, producer, wait);
                }
            }
            MarketInput::Events(events) => {
                let mut index = 0;
                let mut in_hand: Option<Nanos> = None;
                for event in events {
                    let stamp = match in_hand {
                        Some(stamp) => stamp,
                        None => {
                            wait_until(clock, start + schedule.offset(index), spin);
                            let stamp = clock.now();
                            in_hand = Some(stamp);
                            stamp
                        }
                    };
                    if let EventKind::FrameEnd(end) = event.kind() {
                        let end = FrameEnd { in_hand: stamp, parsed: stamp, published: clock.now(), ..end };
                        let restamped = Event::new(
                            event.exchange_time,
                            event.receive_time,
                            event.seq,
                            event.instrument,
                            EventKind::FrameEnd(end),
                        );
                        producer.push(restamped, wait);
                        producer.publish();
                        feed.count_decoded_frame(end.events);
                        in_hand = None;
                        index += 1;
                    } else {
                        producer.push(*event, wait);
                    }
                }
            }
            // Read into memory by `run_pipeline` before the threads start.
            MarketInput::EventFile(_) => unreachable!("run_pipeline loads an event file first"),
        }
    }
}

/// Sleeps through most of a long gap before a frame is due, then spins (or yields, unpinned) to
/// the due time.
///
/// A feed thread with nothing to read should not hold its core, and a live one waits on its
/// socket the same way. On this project's 2-vCPU machines a pinned receiver's one-way p99 was
/// 121 ns with a sleeping sender and 417 ns with a spinning one (same run, quiet machine). The
/// frame's in-hand stamp is taken after the wait, so the wake-up is not counted as latency, as
/// it would not be live either.
pub fn wait_until(clock: &TscClock, due: i64, spin: bool) {
    /// Below this, spin: a sleep overshoots by tens of microseconds (timer slack).
    const SPIN_BELOW_NS: i64 = 150_000;
    loop {
        let now = clock.now().0;
        if now >= due {
            return;
        }
        let left = due - now;
        if left > SPIN_BELOW_NS {
            std::thread::sleep(Duration::from_nanos((left - SPIN_BELOW_NS / 2) as u64));
        } else if spin {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

fn run_core<Venue: Gateway, Observer: CoreObserver<Venue>, Wait: WaitStrategy>(
    mut core: QuotingCore<Venue>,
    mut observer: Observer,
    mut consumer: Consumer<Event>,
    wait: &mut Wait,
) -> (self::core::CoreOutcome<Venue>, Observer) {
    while consumer
        .wait_poll(wait, usize::MAX, |event, _| {
            core.on_event(event);
            observer.after_event(&mut core, event);
        })
        .is_ok()
    {}
    (core.finish(), observer)
}

fn run_recorder(mut recorder: Recorder, mut consumer: Consumer<Event>) -> RecorderReport {
    let mut wait = Blocking::new().wake_after(SLOW_CONSUMER_WAKE).timeout(SLOW_CONSUMER_TIMEOUT);
    while consumer.wait_poll(&mut wait, usize::MAX, |event, _| recorder.on_event(event)).is_ok() {}
    recorder.finish()
}

fn run_telemetry(mut telemetry: Telemetry, mut consumer: Consumer<Event>) -> TelemetryReport {
    let mut wait = Blocking::new().wake_after(SLOW_CONSUMER_WAKE).timeout(SLOW_CONSUMER_TIMEOUT);
    while consumer.wait_poll(&mut wait, usize::MAX, |event, _| telemetry.on_event(event)).is_ok() {
        telemetry.tick();
    }
    telemetry.finish()
}
