//! The feed thread's work: frame bytes in, events into the ring.
//!
//! [`FeedHandler::on_frame`] decodes one Binance USD-M frame (the scanner, or simd-json's tape
//! for everything else), runs depth diffs and snapshots through the instrument's
//! [`DepthSequencer`] (Binance's local-book procedure: a break becomes a gap event), writes the
//! resulting events into ring slots, appends a [`FrameEnd`] carrying the frame's stamps, and
//! publishes the whole frame with one cursor store. A frame that does not decode is counted,
//! logged (the first few, with the reason) and still gets its `FrameEnd`, so the core's
//! accounting of frames stays exact; the feed carries on with the next frame.
//!
//! Nothing here allocates once the decoder's buffers have grown to the largest frame seen.

use crate::clock::TscClock;
use crate::latency::{FrameClass, LatencyHistograms, Metric, Stage};
use crate::ring::{Producer, WaitStrategy};
use feeds::venue::binance::{Decoder, DepthSequencer, Message, SyncOutcome};
use feeds::{Event, EventKind, EventSink, FrameEnd, InstrumentId, Instruments, Nanos, Seq};

/// Frames that fail to decode are logged with their reason up to this many times.
const LOGGED_ERRORS: u64 = 10;

/// Counters of the feed thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FeedStats {
    /// Frames handled.
    pub frames: u64,
    /// Events published, not counting `FrameEnd`s.
    pub events: u64,
    /// Frames that did not decode.
    pub decode_errors: u64,
    /// Depth diffs that did not chain (each also published as a gap event).
    pub gaps: u64,
    /// Depth diffs held until a snapshot arrives.
    pub buffered_diffs: u64,
    /// Depth diffs dropped as older than the book.
    pub stale_diffs: u64,
}

/// Decodes frames and publishes their events. One per feed thread.
pub struct FeedHandler {
    decoder: Decoder,
    sequencers: Vec<DepthSequencer>,
    stats: FeedStats,
    histograms: LatencyHistograms,
    /// Frames still to go before latencies are recorded.
    warmup: u64,
}

impl FeedHandler {
    /// A handler for the Binance USD-M instruments of `instruments`, recording latencies after
    /// the first `warmup` frames.
    pub fn new(instruments: Instruments, warmup: u64) -> FeedHandler {
        let sequencers = instruments.iter().map(|(id, _)| DepthSequencer::new(id)).collect();
        FeedHandler {
            decoder: Decoder::new(instruments),
            sequencers,
            stats: FeedStats::default(),
            histograms: LatencyHistograms::new(&[Metric::Stage(Stage::Parse), Metric::Stage(Stage::Publish)]),
            warmup,
        }
    }

    /// Handles one frame whose bytes were in hand at `in_hand`: decodes it (in place), pushes
    /// its events and a [`FrameEnd`] into the ring, and publishes them. `receive_time` is the
    /// frame's receive time as the events will carry it (the recorded one in a replay).
    #[inline]
    pub fn on_frame<Wait: WaitStrategy>(
        &mut self,
        frame: FrameInput<'_>,
        clock: &TscClock,
        producer: &mut Producer<Event>,
        wait: &mut Wait,
    ) {
        let mut sink = RingSink { producer, wait };
        let (frame_kind, end) = self.decode_frame(frame, clock, &mut sink);
        sink.producer.publish();
        self.record_latency(frame_kind, &end);
    }

    /// Decodes one frame into `sink`: its events, then its [`FrameEnd`] (the same events the
    /// ring would get). For runs without a ring (the single-thread replay, the stress overlay)
    /// and for tools that want a recording's events.
    #[inline]
    pub fn decode_into(&mut self, frame: FrameInput<'_>, clock: &TscClock, sink: &mut impl EventSink) {
        let (frame_kind, end) = self.decode_frame(frame, clock, sink);
        self.record_latency(frame_kind, &end);
    }

    /// [`decode_into`](Self::decode_into) for a frame held in memory: its bytes are copied
    /// into `scratch` (the decoder works in place, as on a socket buffer) and it is in hand now.
    #[inline]
    pub fn decode_owned(
        &mut self,
        frame: &feeds::inspect::OwnedFrame,
        scratch: &mut Vec<u8>,
        clock: &TscClock,
        sink: &mut impl EventSink,
    ) {
        scratch.clear();
        scratch.extend_from_slice(&frame.payload);
        let input = FrameInput {
            payload: scratch,
            receive_time: frame.receive_time,
            channel: &frame.channel,
            in_hand: clock.now(),
        };
        self.decode_into(input, clock, sink);
    }

    fn decode_frame(
        &mut self,
        frame: FrameInput<'_>,
        clock: &TscClock,
        sink: &mut impl EventSink,
    ) -> (u8, FrameEnd) {
        let FrameInput { payload, receive_time, channel, in_hand } = frame;
        self.stats.frames += 1;
        let mut sink = CountingSink { inner: sink, events: 0 };
        let decoded = self.decoder.decode(payload, receive_time, channel);
        let parsed = clock.now();
        let (frame_kind, instrument, exchange_time) = match decoded {
            Ok(message) => {
                let kind = message.kind().code();
                let (instrument, exchange_time) = match message {
                    Message::Depth(diff) => {
                        let outcome = self.sequencers[diff.instrument.index()].on_diff(&diff, &mut sink);
                        count(&mut self.stats, outcome);
                        (diff.instrument, diff.exchange_time)
                    }
                    Message::Snapshot(snapshot) => {
                        let outcome =
                            self.sequencers[snapshot.instrument.index()].on_snapshot(&snapshot, &mut sink);
                        count(&mut self.stats, outcome);
                        (snapshot.instrument, snapshot.exchange_time)
                    }
                    Message::Event(_, event) => {
                        sink.push(event);
                        (event.instrument, event.exchange_time)
                    }
                    Message::Ignored(_) => (InstrumentId(0), Nanos(0)),
                };
                (kind, instrument, exchange_time)
            }
            Err(error) => {
                self.stats.decode_errors += 1;
                if self.stats.decode_errors <= LOGGED_ERRORS {
                    tracing::warn!(frame = self.stats.frames, %error, "frame did not decode; skipped");
                }
                (FrameEnd::UNDECODED, InstrumentId(0), Nanos(0))
            }
        };
        let events = sink.events;
        self.stats.events += u64::from(events);
        let published = clock.now();
        let end = FrameEnd { frame_kind, events, in_hand, parsed, published };
        sink.inner.push(Event::new(
            exchange_time,
            receive_time,
            Seq(0),
            instrument,
            EventKind::FrameEnd(end),
        ));
        (frame_kind, end)
    }

    fn record_latency(&mut self, frame_kind: u8, end: &FrameEnd) {
        if self.warmup > 0 {
            self.warmup -= 1;
        } else {
            let class = FrameClass::of_binance(frame_kind);
            self.histograms.record(Metric::Stage(Stage::Parse), class, end.parsed.0 - end.in_hand.0);
            self.histograms.record(Metric::Stage(Stage::Publish), class, end.published.0 - end.parsed.0);
        }
    }

    /// Instruments whose book waits for a depth snapshot (before the first one, after a gap,
    /// after a reconnect): a live feed requests one for each.
    pub fn awaiting_snapshot(&self) -> impl Iterator<Item = InstrumentId> + '_ {
        self.sequencers
            .iter()
            .enumerate()
            .filter(|(_, sequencer)| sequencer.needs_snapshot())
            .map(|(index, _)| InstrumentId(u32::try_from(index).unwrap_or(u32::MAX)))
    }

    /// The connection was lost: every instrument's book procedure starts over (buffer, then
    /// snapshot), and a [`FeedCondition::Reconnected`](feeds::FeedCondition) status per
    /// instrument tells the core its book is untrusted until the next snapshot. Published as
    /// one frame per instrument.
    pub fn on_disconnect<Wait: WaitStrategy>(
        &mut self,
        receive_time: Nanos,
        clock: &TscClock,
        producer: &mut Producer<Event>,
        wait: &mut Wait,
    ) {
        for index in 0..self.sequencers.len() {
            self.sequencers[index].restart();
            let instrument = InstrumentId(u32::try_from(index).unwrap_or(u32::MAX));
            let status = feeds::FeedStatus {
                condition: feeds::FeedCondition::Reconnected,
                expected: Seq(0),
                received: Seq(0),
            };
            let event =
                Event::new(receive_time, receive_time, Seq(0), instrument, EventKind::FeedStatus(status));
            self.publish_events(std::slice::from_ref(&event), FrameEnd::UNDECODED, clock, producer, wait);
        }
    }

    /// Publishes events that did not come from a frame of this feed (a slow lane's open
    /// interest, liquidations from another venue, an options reading) as one frame of kind
    /// `frame_kind`, closed by its `FrameEnd` like any other.
    pub fn publish_events<Wait: WaitStrategy>(
        &mut self,
        events: &[Event],
        frame_kind: u8,
        clock: &TscClock,
        producer: &mut Producer<Event>,
        wait: &mut Wait,
    ) {
        let Some(last) = events.last() else { return };
        let in_hand = clock.now();
        for event in events {
            producer.push(*event, wait);
        }
        let count = u32::try_from(events.len()).unwrap_or(u32::MAX);
        self.stats.frames += 1;
        self.stats.events += u64::from(count);
        let end = FrameEnd { frame_kind, events: count, in_hand, parsed: in_hand, published: clock.now() };
        producer.push(
            Event::new(
                last.exchange_time,
                last.receive_time,
                Seq(0),
                last.instrument,
                EventKind::FrameEnd(end),
            ),
            wait,
        );
        producer.publish();
    }

    /// Counts a frame that was decoded beforehand (a normalized capture, an overlay) and is
    /// published as it is: `events` events before its `FrameEnd`.
    #[inline]
    pub fn count_decoded_frame(&mut self, events: u32) {
        self.stats.frames += 1;
        self.stats.events += u64::from(events);
    }

    /// Counters so far.
    pub fn stats(&self) -> FeedStats {
        self.stats
    }

    /// Ends the handler, keeping what a report needs.
    pub fn finish(self) -> (FeedStats, LatencyHistograms) {
        (self.stats, self.histograms)
    }
}

/// One frame for [`FeedHandler::on_frame`].
pub struct FrameInput<'a> {
    /// The frame's bytes; decoded in place.
    pub payload: &'a mut [u8],
    /// Receive time the events will carry.
    pub receive_time: Nanos,
    /// The recording's channel for the frame (URL of an HTTP capture), or `""`.
    pub channel: &'a str,
    /// When the bytes were in hand, on the engine's clock.
    pub in_hand: Nanos,
}

fn count(stats: &mut FeedStats, outcome: SyncOutcome) {
    match outcome {
        SyncOutcome::Gap { expected, received } => {
            stats.gaps += 1;
            // Rare (a lost update): worth a line each, the book is untrusted until resynced.
            tracing::warn!(
                expected = expected.0,
                received = received.0,
                "depth diff does not chain: gap, resyncing"
            );
        }
        SyncOutcome::Buffered => stats.buffered_diffs += 1,
        SyncOutcome::Stale => {
            stats.stale_diffs += 1;
            // Before the first snapshot older diffs are normal; the first few after it (a
            // duplicate, a replayed frame) are worth a line.
            if stats.stale_diffs <= LOGGED_ERRORS {
                tracing::info!(
                    stale = stats.stale_diffs,
                    "depth diff older than the book (a duplicate?): dropped"
                );
            }
        }
        SyncOutcome::Applied | SyncOutcome::SnapshotApplied { .. } => {}
    }
}

/// Pushes decoded events straight into ring slots.
struct RingSink<'a, Wait> {
    producer: &'a mut Producer<Event>,
    wait: &'a mut Wait,
}

impl<Wait: WaitStrategy> EventSink for RingSink<'_, Wait> {
    #[inline]
    fn push(&mut self, event: Event) {
        self.producer.push(event, self.wait);
    }
}

/// Counts the events of one frame on their way to the real sink.
struct CountingSink<'a, Sink: ?Sized> {
    inner: &'a mut Sink,
    events: u32,
}

impl<Sink: EventSink + ?Sized> EventSink for CountingSink<'_, Sink> {
    #[inline]
    fn push(&mut self, event: Event) {
        self.inner.push(event);
        self.events += 1;
    }
}
