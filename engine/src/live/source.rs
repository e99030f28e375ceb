//! The live feed thread: the exchange's WebSocket, the book sync procedure, the slow lanes'
//! events, all into the ring.
//!
//! [`LiveSource`] is the [`FeedSource`] of a live or paper run. Its loop, on the feed thread:
//!
//! 1. [`MarketStream::poll`]: every frame ready on the socket is stamped (wall-clock receive
//!    time, engine clock in hand), captured raw if recording is on, decoded in place and
//!    published ([`FeedHandler::on_frame`]). Connection events arrive here too: a lost
//!    connection restarts every book's procedure ([`FeedHandler::on_disconnect`]: the core
//!    sees a `Reconnected` status and pulls its quotes until the next snapshot).
//! 2. Depth snapshots: while a subscribed book waits for one (before the first, after a gap, after
//!    a reconnect) and the stream is open, one is requested from the REST lane (a non-blocking
//!    send; at most one in flight per symbol, and no more often than `resync_interval_ms`);
//!    answers are taken with `try_recv` and go through the same decoder and sequencer, as
//!    Binance's procedure says (diffs buffered meanwhile).
//! 3. Slow-lane events (open interest, another venue's liquidations, options readings) are
//!    popped from their lock-free queue and published as frames of their own.
//! 4. A heartbeat frame (no events) after `heartbeat_ms` without a frame, so the core applies
//!    operator commands and publishes metrics in a quiet market. A connected stream quiet for
//!    `silence_warn_ms` is logged and counted as a stall (past `stale_after_ms` the connection
//!    manager also drops and reopens it).
//!
//! It returns when asked to stop (the shared flag), after `stop_after_s`, or after
//! `stop_when_idle_ms` without a frame; the pipeline then closes the ring.
//!
//! Nothing here blocks: the socket is non-blocking, the channels are polled.

use super::config::LiveConfig;
use crate::clock::TscClock;
use crate::metrics::{FeedMetrics, LaneMetrics};
use crate::pipeline::FeedSource;
use crate::pipeline::feed::{FeedHandler, FeedStats, FrameInput};
use crate::ring::{Producer, WaitStrategy};
use crossbeam_channel::{Receiver, Sender, TrySendError};
use feeds::lanes::{LaneQueue, SnapshotRequest, SnapshotResponse, wall_clock};
use feeds::net::{DisconnectReason, FrameTap, MarketStream, StreamEvent, StreamHandler};
use feeds::{Event, FrameEnd, InstrumentId, Nanos};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Slow-lane events published per loop turn at most (the socket comes first).
const LANE_EVENTS_PER_TURN: usize = 64;

/// A subscribed symbol's snapshot bookkeeping.
struct SnapshotSlot {
    instrument: InstrumentId,
    symbol: String,
    in_flight: bool,
    next_request: Instant,
}

/// Why the live feed stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The stop flag was raised (Ctrl-C, the caller).
    Asked,
    /// `stop_after_s` elapsed.
    Duration,
    /// `stop_when_idle_ms` passed without a frame.
    Idle,
}

/// Counters of the live feed thread beyond the feed handler's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LiveFeedStats {
    /// Connections opened (the first included).
    pub connects: u64,
    /// Connection attempts that failed before opening (refused, timed out, TLS, upgrade).
    pub connect_failures: u64,
    /// Connections lost.
    pub disconnects: u64,
    /// Of those, connections dropped for silence (`stale_after_ms`).
    pub stale_drops: u64,
    /// Times a connected stream was quiet past `silence_warn_ms` (a stall).
    pub silences: u64,
    /// 24-hour rollovers (make-before-break).
    pub rollovers: u64,
    /// Snapshot requests sent to the REST lane.
    pub snapshot_requests: u64,
    /// Snapshot requests that failed (HTTP error, timeout) and will be retried.
    pub snapshot_failures: u64,
    /// Snapshots decoded into the book procedure.
    pub snapshots: u64,
    /// Slow-lane events published.
    pub lane_events: u64,
    /// Heartbeat frames published.
    pub heartbeats: u64,
}

/// What the live feed thread hands back to the caller when it stops.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct LiveFeedReport {
    /// Counters.
    pub stats: LiveFeedStats,
    /// Why it stopped.
    pub stopped: Option<StopReason>,
    /// Frames (and snapshots) written to the capture, when recording.
    pub captured: Option<u64>,
}

/// The live feed: the stream, the REST lane's channels, the slow-lane queue.
pub struct LiveSource {
    stream: MarketStream,
    config: LiveConfig,
    snapshots: Vec<SnapshotSlot>,
    requests: Sender<SnapshotRequest>,
    responses: Receiver<SnapshotResponse>,
    lanes: Option<LaneQueue>,
    tap: Option<FrameTap>,
    metrics: Option<FeedMetrics>,
    lane_metrics: Option<LaneCounters>,
    stop: Arc<AtomicBool>,
    report: Sender<LiveFeedReport>,
}

/// The slow lanes' metric handles, by the kind of event each lane delivers: open interest
/// (Binance REST), liquidations and funding (Bybit), options readings (Deribit); drops are
/// the shared queue's.
#[derive(Clone, Debug)]
pub struct LaneCounters {
    /// `lane="open_interest"`.
    pub open_interest: LaneMetrics,
    /// `lane="bybit"`.
    pub bybit: LaneMetrics,
    /// `lane="deribit"`.
    pub deribit: LaneMetrics,
    /// `lane="queue"`: events dropped because the feed thread was behind.
    pub queue: LaneMetrics,
}

impl LaneCounters {
    /// The handles, from the registry.
    pub fn new(metrics: &crate::metrics::Metrics) -> LaneCounters {
        LaneCounters {
            open_interest: metrics.lane("open_interest"),
            bybit: metrics.lane("bybit"),
            deribit: metrics.lane("deribit"),
            queue: metrics.lane("queue"),
        }
    }

    fn count(&self, event: &Event) {
        match event.kind() {
            feeds::EventKind::OpenInterest(_) => self.open_interest.inc_events(),
            feeds::EventKind::Options(_) => self.deribit.inc_events(),
            _ => self.bybit.inc_events(),
        }
    }
}

/// The channels a [`LiveSource`] talks to the REST lane through, and the rest of its wiring.
pub struct LiveWiring {
    /// Snapshot requests to the REST lane.
    pub requests: Sender<SnapshotRequest>,
    /// Its answers.
    pub responses: Receiver<SnapshotResponse>,
    /// Slow-lane events, if any lane runs.
    pub lanes: Option<LaneQueue>,
    /// Raw capture, if recording.
    pub tap: Option<FrameTap>,
    /// Feed metrics, if exported.
    pub metrics: Option<FeedMetrics>,
    /// Slow-lane metrics, if exported.
    pub lane_metrics: Option<LaneCounters>,
    /// Raised to stop.
    pub stop: Arc<AtomicBool>,
    /// Where the feed's own report goes when it stops.
    pub report: Sender<LiveFeedReport>,
}

impl LiveSource {
    /// A live feed for `symbols` (resolved to `instruments`) over `stream`.
    pub fn new(
        stream: MarketStream,
        config: &LiveConfig,
        symbols: &[(InstrumentId, String)],
        wiring: LiveWiring,
    ) -> LiveSource {
        let now = Instant::now();
        let snapshots = symbols
            .iter()
            .map(|(instrument, symbol)| SnapshotSlot {
                instrument: *instrument,
                symbol: symbol.clone(),
                in_flight: false,
                next_request: now,
            })
            .collect();
        LiveSource {
            stream,
            config: config.clone(),
            snapshots,
            requests: wiring.requests,
            responses: wiring.responses,
            lanes: wiring.lanes,
            tap: wiring.tap,
            metrics: wiring.metrics,
            lane_metrics: wiring.lane_metrics,
            stop: wiring.stop,
            report: wiring.report,
        }
    }
}

/// The stream's frames and connection events, straight into the ring.
struct RingHandler<'a, Wait> {
    feed: &'a mut FeedHandler,
    producer: &'a mut Producer<Event>,
    wait: &'a mut Wait,
    clock: &'a TscClock,
    tap: Option<&'a mut FrameTap>,
    stats: &'a mut LiveFeedStats,
    connected: bool,
    disconnected: bool,
    frames: u64,
}

impl<Wait: WaitStrategy> StreamHandler for RingHandler<'_, Wait> {
    #[inline]
    fn on_frame(&mut self, payload: &mut [u8], _connection: feeds::net::ConnectionId) {
        let in_hand = self.clock.now();
        let receive_time = wall_clock();
        if let Some(tap) = self.tap.as_deref_mut() {
            tap.record(receive_time, payload);
        }
        let input = FrameInput { payload, receive_time, channel: "", in_hand };
        self.feed.on_frame(input, self.clock, self.producer, self.wait);
        self.frames += 1;
    }

    fn on_event(&mut self, event: StreamEvent) {
        match event {
            StreamEvent::Connected { .. } => {
                self.stats.connects += 1;
                self.connected = true;
                tracing::info!(?event, "market stream connected");
            }
            StreamEvent::Disconnected { ref reason, .. } => {
                self.stats.disconnects += 1;
                self.stats.stale_drops += u64::from(matches!(reason, DisconnectReason::Stale { .. }));
                self.connected = false;
                self.disconnected = true;
                tracing::warn!(?event, "market stream lost; books untrusted until resynced");
                self.feed.on_disconnect(wall_clock(), self.clock, self.producer, self.wait);
            }
            StreamEvent::RolledOver { .. } => {
                self.stats.rollovers += 1;
                tracing::info!(?event, "market stream rolled over to a new connection");
            }
            StreamEvent::ConnectFailed { .. } => {
                self.stats.connect_failures += 1;
                tracing::warn!(?event, "market stream: connection attempt failed");
            }
            StreamEvent::BackingOff { .. } => tracing::info!(?event, "market stream: reconnecting"),
        }
    }
}

impl FeedSource for LiveSource {
    fn run<Wait: WaitStrategy>(
        mut self,
        feed: &mut FeedHandler,
        producer: &mut Producer<Event>,
        wait: &mut Wait,
        clock: &TscClock,
        _spin: bool,
    ) {
        let started = Instant::now();
        let stop_after =
            (self.config.stop_after_s > 0.0).then(|| Duration::from_secs_f64(self.config.stop_after_s));
        let idle_limit =
            (self.config.stop_when_idle_ms > 0).then(|| Duration::from_millis(self.config.stop_when_idle_ms));
        let heartbeat = Duration::from_millis(self.config.heartbeat_ms);
        let silence_warn = Duration::from_millis(self.config.silence_warn_ms);
        let mut silent = false;
        let resync = Duration::from_millis(self.config.resync_interval_ms);
        let mut stats = LiveFeedStats::default();
        let mut connected = false;
        let mut last_frame = Instant::now();
        let mut last_published = Instant::now();
        let mut published = (FeedStats::default(), LiveFeedStats::default());
        let mut lane_batch: Vec<Event> = Vec::with_capacity(LANE_EVENTS_PER_TURN);
        let mut lane_dropped = 0_u64;
        let mut scratch: Vec<u8> = Vec::new();
        let stopped = loop {
            if self.stop.load(Ordering::Relaxed) {
                break StopReason::Asked;
            }
            let now = Instant::now();
            if stop_after.is_some_and(|limit| now.duration_since(started) >= limit) {
                break StopReason::Duration;
            }
            if idle_limit.is_some_and(|limit| stats.connects > 0 && now.duration_since(last_frame) >= limit) {
                break StopReason::Idle;
            }

            // 1. The socket.
            let mut handler = RingHandler {
                feed,
                producer,
                wait,
                clock,
                tap: self.tap.as_mut(),
                stats: &mut stats,
                connected,
                disconnected: false,
                frames: 0,
            };
            if let Err(error) = self.stream.poll(&mut handler) {
                tracing::warn!(%error, "market stream");
            }
            let (frames, now_connected, disconnected) =
                (handler.frames, handler.connected, handler.disconnected);
            connected = now_connected;
            if disconnected {
                for slot in &mut self.snapshots {
                    slot.in_flight = false;
                }
            }
            let now = Instant::now();
            if frames > 0 {
                if silent {
                    tracing::info!(
                        silent_ms = now.duration_since(last_frame).as_millis() as u64,
                        "market stream resumed"
                    );
                    silent = false;
                }
                last_frame = now;
                last_published = now;
            } else if connected && !silent && now.duration_since(last_frame) >= silence_warn {
                silent = true;
                stats.silences += 1;
                tracing::warn!(
                    silent_ms = now.duration_since(last_frame).as_millis() as u64,
                    "market stream silent: no frame while connected (a stall?)"
                );
            }

            // 2. Snapshots: answers, then requests.
            while let Ok(response) = self.responses.try_recv() {
                let slot = self.snapshots.iter_mut().find(|slot| slot.instrument == response.instrument);
                if let Some(slot) = slot {
                    slot.in_flight = false;
                }
                match response.result {
                    Ok(body) => {
                        stats.snapshots += 1;
                        scratch.clear();
                        scratch.extend_from_slice(&body);
                        if let Some(tap) = self.tap.as_mut() {
                            tap.record(response.receive_time, &scratch);
                        }
                        let input = FrameInput {
                            payload: &mut scratch,
                            receive_time: response.receive_time,
                            channel: &response.url,
                            in_hand: clock.now(),
                        };
                        feed.on_frame(input, clock, producer, wait);
                        last_published = now;
                    }
                    Err(error) => {
                        stats.snapshot_failures += 1;
                        tracing::warn!(url = %response.url, %error, "depth snapshot failed; retrying");
                    }
                }
            }
            if connected {
                for instrument in feed.awaiting_snapshot() {
                    let Some(slot) = self.snapshots.iter_mut().find(|slot| slot.instrument == instrument)
                    else {
                        continue;
                    };
                    if slot.in_flight || now < slot.next_request {
                        continue;
                    }
                    let request = SnapshotRequest {
                        instrument,
                        symbol: slot.symbol.clone(),
                        limit: self.config.snapshot_limit,
                    };
                    match self.requests.try_send(request) {
                        Ok(()) => {
                            stats.snapshot_requests += 1;
                            slot.in_flight = true;
                            slot.next_request = now + resync;
                            tracing::info!(symbol = %slot.symbol, "depth snapshot requested");
                        }
                        Err(TrySendError::Full(_)) => {}
                        Err(TrySendError::Disconnected(_)) => {
                            tracing::error!("the REST lane is gone: no snapshot can be fetched");
                            slot.next_request = now + resync;
                        }
                    }
                }
            }

            // 3. Slow lanes.
            if let Some(lanes) = &self.lanes {
                lane_batch.clear();
                while lane_batch.len() < LANE_EVENTS_PER_TURN {
                    let Some(event) = lanes.pop() else { break };
                    lane_batch.push(event);
                }
                for event in &lane_batch {
                    feed.publish_events(
                        std::slice::from_ref(event),
                        FrameEnd::SLOW_LANE,
                        clock,
                        producer,
                        wait,
                    );
                    stats.lane_events += 1;
                    last_published = now;
                    if let Some(counters) = &self.lane_metrics {
                        counters.count(event);
                    }
                }
                let dropped = lanes.dropped();
                if dropped > lane_dropped {
                    if let Some(counters) = &self.lane_metrics {
                        counters.queue.add_dropped(dropped - lane_dropped);
                    }
                    tracing::warn!(
                        dropped = dropped - lane_dropped,
                        "slow-lane events dropped: the feed thread is behind"
                    );
                    lane_dropped = dropped;
                }
            }

            // 4. Heartbeat.
            if now.duration_since(last_published) >= heartbeat {
                publish_heartbeat(producer, wait, clock);
                stats.heartbeats += 1;
                last_published = now;
            }

            if let Some(metrics) = &self.metrics {
                let current = (feed.stats(), stats);
                if current != published {
                    publish_counts(metrics, &published, &current);
                    published = current;
                }
            }
        };
        tracing::info!(reason = ?stopped, "live feed stopping");
        let captured = self.tap.take().and_then(|tap| match tap.finish() {
            Ok(written) => {
                tracing::info!(?written, "capture written");
                Some(written.frames)
            }
            Err(error) => {
                tracing::error!(%error, "capture: writing failed");
                None
            }
        });
        let _ = self.report.send(LiveFeedReport { stats, stopped: Some(stopped), captured });
    }
}

/// Adds to the feed metrics what changed between `before` and `now`.
fn publish_counts(
    metrics: &FeedMetrics,
    before: &(FeedStats, LiveFeedStats),
    now: &(FeedStats, LiveFeedStats),
) {
    let ((feed0, live0), (feed1, live1)) = (before, now);
    let reconnects = |live: &LiveFeedStats| live.connects.saturating_sub(1);
    metrics.add_counts([
        feed1.frames - feed0.frames,
        feed1.events - feed0.events,
        feed1.decode_errors - feed0.decode_errors,
        feed1.gaps - feed0.gaps,
        live1.snapshots - live0.snapshots,
        reconnects(live1) - reconnects(live0),
        live1.rollovers - live0.rollovers,
        live1.silences - live0.silences,
        live1.disconnects - live0.disconnects,
        live1.snapshot_requests - live0.snapshot_requests,
        feed1.stale_diffs - feed0.stale_diffs,
    ]);
}

/// An empty frame: the core closes it without deciding; its observer applies operator
/// commands and publishes metrics.
fn publish_heartbeat<Wait: WaitStrategy>(producer: &mut Producer<Event>, wait: &mut Wait, clock: &TscClock) {
    let now = clock.now();
    let end =
        FrameEnd { frame_kind: FrameEnd::HEARTBEAT, events: 0, in_hand: now, parsed: now, published: now };
    producer.push(
        Event::new(Nanos(0), Nanos(0), feeds::Seq(0), InstrumentId(0), feeds::EventKind::FrameEnd(end)),
        wait,
    );
    producer.publish();
}
