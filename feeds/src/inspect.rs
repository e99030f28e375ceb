//! [`Inspector`]: what is in a Binance USD-M recording, and whether the book rebuilt from it is
//! the exchange's.
//!
//! Feed it frames (from any [`FrameReader`], plus REST snapshots from another recording,
//! interleaved by receive time); it decodes each with the same [`Decoder`] and
//! [`DepthSequencer`] the live feed uses, applies the book events to one [`OrderBook`] per
//! instrument, and produces an [`Inspection`]: counts per message kind, time span, parse errors,
//! gaps, and the **book check**.
//!
//! The book check: Binance stamps a `bookTicker` with the update id `u` of the book update that
//! produced it. Whenever a ticker's `u` equals the `u` of an applied depth diff (in either arrival
//! order), the rebuilt book's best bid and ask (price and quantity) are compared with the
//! ticker's. With `@depth@0ms` diffs every update is a diff, so many compare; with `@100ms`
//! diffs only tickers whose update closed a 100 ms window can.

use crate::book::OrderBook;
use crate::event::{Bbo, Event, EventKind};
use crate::instrument::Instruments;
use crate::recording::{Frame, FrameReader, RecordingError};
use crate::units::{InstrumentId, Nanos, Seq};
use crate::venue::binance::{Decoder, DepthSequencer, Message, MessageKind, SyncOutcome};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// How many error messages and mismatches a report keeps verbatim.
const SAMPLES: usize = 10;
/// How many tickers per instrument wait for the diff with their `u`.
const PENDING_TICKERS: usize = 256;

/// The book check's result.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BookCheck {
    /// Tickers compared with the rebuilt book.
    pub compared: u64,
    /// Of those, how many disagreed on best bid or ask price or quantity.
    pub mismatched: u64,
    /// Tickers that could not be compared (no applied diff with their `u`, or book untrusted).
    pub not_comparable: u64,
}

/// Times covered by the recording.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct TimeSpan {
    /// Earliest local receive time, ns since the epoch.
    pub first_receive_ns: i64,
    /// Latest local receive time.
    pub last_receive_ns: i64,
    /// Earliest exchange time among decoded events.
    pub first_exchange_ns: i64,
    /// Latest exchange time.
    pub last_exchange_ns: i64,
    /// `last_receive_ns - first_receive_ns` in seconds.
    pub seconds: f64,
}

/// Per-instrument part of the report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct InstrumentReport {
    /// Exchange symbol.
    pub symbol: String,
    /// Frames decoded for it (snapshots included).
    pub frames: u64,
    /// Depth diffs applied to the book.
    pub diffs_applied: u64,
    /// Diffs dropped as older than the book (before the snapshot, duplicates).
    pub diffs_stale: u64,
    /// Diffs still waiting for a snapshot at the end.
    pub diffs_unsynced: u64,
    /// Gaps detected.
    pub gaps: u64,
    /// Snapshots applied.
    pub snapshots: u64,
    /// Book check for this instrument.
    pub book_check: BookCheck,
    /// Whether the book was trusted at the end.
    pub trusted_at_end: bool,
    /// Book levels at the end (bids, asks).
    pub levels_at_end: [usize; 2],
}

/// Everything `halcyon inspect` reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Inspection {
    /// Frames read (decoded or not), snapshots from a side recording included.
    pub frames: u64,
    /// Frames that did not decode.
    pub parse_errors: u64,
    /// Lines or records the recording reader could not read.
    pub read_errors: u64,
    /// Gaps in the depth diff chain, all instruments.
    pub gaps: u64,
    /// Frames per message kind (every kind listed, zero included).
    pub counts: BTreeMap<&'static str, u64>,
    /// Events produced (book levels, tickers, trades, …).
    pub events: u64,
    /// Book check over all instruments.
    pub book_check: BookCheck,
    /// Times covered.
    pub time_span: TimeSpan,
    /// Frames taken by the fast scanner vs the simd-json tape decoder.
    pub decoded_fast: u64,
    /// See `decoded_fast`.
    pub decoded_tape: u64,
    /// Book updates after which the book was crossed or held an invalid level.
    pub book_errors: u64,
    /// Per instrument, by symbol.
    pub instruments: BTreeMap<String, InstrumentReport>,
    /// The first few errors and mismatches, verbatim, with the frame number.
    pub samples: Vec<String>,
}

/// One instrument's book state during inspection.
struct Track {
    book: OrderBook,
    sequencer: DepthSequencer,
    /// Tickers whose `u` is ahead of the book, waiting for that diff.
    pending: VecDeque<(Seq, Bbo)>,
    report: InstrumentReport,
}

/// Runs the inspection frame by frame.
pub struct Inspector {
    decoder: Decoder,
    tracks: Vec<Track>,
    events: Vec<Event>,
    report: Inspection,
}

impl Inspector {
    /// An inspector for the Binance USD-M instruments of `instruments`.
    pub fn new(instruments: Instruments) -> Inspector {
        let tracks = instruments
            .iter()
            .map(|(id, instrument)| Track {
                book: OrderBook::with_capacity(8192),
                sequencer: DepthSequencer::new(id),
                pending: VecDeque::with_capacity(PENDING_TICKERS),
                report: InstrumentReport { symbol: instrument.symbol.clone(), ..InstrumentReport::default() },
            })
            .collect();
        let mut report = Inspection::default();
        for kind in MessageKind::ALL {
            report.counts.insert(kind.report_name(), 0);
        }
        Inspector { decoder: Decoder::new(instruments), tracks, events: Vec::with_capacity(4096), report }
    }

    /// Reads `reader` to the end, with `side_frames` (REST snapshots recorded separately, in
    /// receive-time order) interleaved by receive time.
    pub fn run(mut self, reader: &mut dyn FrameReader, side_frames: &mut [OwnedFrame]) -> Inspection {
        let mut side = side_frames.iter_mut().peekable();
        while let Some(next) = reader.next_frame() {
            match next {
                Ok(frame) => {
                    while let Some(early) = side.next_if(|f| f.receive_time <= frame.receive_time) {
                        self.frame(early.as_frame());
                    }
                    self.frame(frame);
                }
                Err(error) => self.read_error(&error),
            }
        }
        for late in side {
            self.frame(late.as_frame());
        }
        self.finish()
    }

    fn read_error(&mut self, error: &RecordingError) {
        self.report.read_errors += 1;
        self.sample(format!("read error: {error}"));
    }

    fn sample(&mut self, text: String) {
        if self.report.samples.len() < SAMPLES {
            self.report.samples.push(text);
        }
    }

    /// Decodes and applies one frame.
    pub fn frame(&mut self, frame: Frame<'_>) {
        self.report.frames += 1;
        let number = self.report.frames;
        let span = &mut self.report.time_span;
        if span.first_receive_ns == 0 || frame.receive_time.0 < span.first_receive_ns {
            span.first_receive_ns = frame.receive_time.0;
        }
        span.last_receive_ns = span.last_receive_ns.max(frame.receive_time.0);
        self.events.clear();
        let message = match self.decoder.decode(frame.payload, frame.receive_time, frame.channel) {
            Ok(message) => message,
            Err(error) => {
                self.report.parse_errors += 1;
                let text = format!("frame {number}: parse error: {error}");
                self.sample(text);
                return;
            }
        };
        *self.report.counts.entry(message.kind().report_name()).or_default() += 1;
        let mut completed = None;
        let instrument = match message {
            Message::Depth(diff) => {
                let track = &mut self.tracks[diff.instrument.index()];
                if let SyncOutcome::Applied = track.sequencer.on_diff(&diff, &mut self.events) {
                    completed = Some(diff.last_update_id);
                }
                Some(diff.instrument)
            }
            Message::Snapshot(snapshot) => {
                let track = &mut self.tracks[snapshot.instrument.index()];
                if let SyncOutcome::SnapshotApplied { replayed } =
                    track.sequencer.on_snapshot(&snapshot, &mut self.events)
                    && replayed > 0
                {
                    completed = track.sequencer.last_update_id();
                }
                Some(snapshot.instrument)
            }
            Message::Event(_, event) => {
                self.events.push(event);
                Some(event.instrument)
            }
            Message::Ignored(_) => None,
        };
        let Some(instrument) = instrument else { return };
        self.tracks[instrument.index()].report.frames += 1;
        self.apply_events(number);
        if let Some(update_id) = completed {
            self.settle_pending(instrument, update_id, number);
        }
    }

    fn apply_events(&mut self, number: u64) {
        for index in 0..self.events.len() {
            let event = self.events[index];
            self.report.events += 1;
            let span = &mut self.report.time_span;
            if event.exchange_time.0 > 0 {
                if span.first_exchange_ns == 0 || event.exchange_time.0 < span.first_exchange_ns {
                    span.first_exchange_ns = event.exchange_time.0;
                }
                span.last_exchange_ns = span.last_exchange_ns.max(event.exchange_time.0);
            }
            match event.kind() {
                EventKind::Bbo(bbo) => self.on_ticker(event.instrument, event.seq, bbo, number),
                EventKind::BookLevel(_) | EventKind::BookClear(_) | EventKind::FeedStatus(_) => {
                    if let Err(error) = self.tracks[event.instrument.index()].book.apply(&event) {
                        self.report.book_errors += 1;
                        self.sample(format!("frame {number}: book error: {error}"));
                    }
                }
                _ => {}
            }
        }
    }

    /// A ticker: compare now if the book is at its `u`, else wait for that diff.
    fn on_ticker(&mut self, instrument: InstrumentId, update_id: Seq, bbo: Bbo, number: u64) {
        let track = &mut self.tracks[instrument.index()];
        let at = track.sequencer.last_applied_diff();
        if at == Some(update_id) {
            self.compare(instrument, bbo, number);
        } else if at.is_none_or(|at| update_id > at) {
            if track.pending.len() == PENDING_TICKERS && track.pending.pop_front().is_some() {
                track.report.book_check.not_comparable += 1;
            }
            track.pending.push_back((update_id, bbo));
        } else {
            track.report.book_check.not_comparable += 1;
        }
    }

    /// A diff with `u = update_id` was applied: compare the ticker waiting for it, if any.
    fn settle_pending(&mut self, instrument: InstrumentId, update_id: Seq, number: u64) {
        while let Some(&(seq, bbo)) = self.tracks[instrument.index()].pending.front() {
            if seq > update_id {
                break;
            }
            let track = &mut self.tracks[instrument.index()];
            track.pending.pop_front();
            if seq == update_id {
                self.compare(instrument, bbo, number);
            } else {
                track.report.book_check.not_comparable += 1;
            }
        }
    }

    fn compare(&mut self, instrument: InstrumentId, bbo: Bbo, number: u64) {
        let track = &mut self.tracks[instrument.index()];
        if !track.book.is_trusted() {
            track.report.book_check.not_comparable += 1;
            return;
        }
        track.report.book_check.compared += 1;
        let book = (track.book.best_bid(), track.book.best_ask());
        let ticker = (Some((bbo.bid, bbo.bid_qty)), Some((bbo.ask, bbo.ask_qty)));
        if book != ticker {
            track.report.book_check.mismatched += 1;
            let text = format!(
                "frame {number}: book check mismatch for {}: book {book:?}, ticker {ticker:?}",
                track.report.symbol
            );
            self.sample(text);
        }
    }

    fn finish(mut self) -> Inspection {
        let stats = self.decoder.stats();
        self.report.decoded_fast = stats.fast;
        self.report.decoded_tape = stats.tape;
        let span = &mut self.report.time_span;
        span.seconds = (span.last_receive_ns - span.first_receive_ns) as f64 / Nanos::PER_SECOND as f64;
        for mut track in self.tracks {
            let stats = track.sequencer.stats();
            track.report.book_check.not_comparable += track.pending.len() as u64;
            track.report.diffs_applied = stats.applied;
            track.report.diffs_stale = stats.stale;
            track.report.gaps = stats.gaps;
            track.report.snapshots = stats.snapshots;
            track.report.diffs_unsynced = track.sequencer.buffered() as u64;
            track.report.trusted_at_end = track.book.is_trusted();
            track.report.levels_at_end =
                [track.book.levels(crate::Side::Bid), track.book.levels(crate::Side::Ask)];
            self.report.gaps += stats.gaps;
            let check = &mut self.report.book_check;
            check.compared += track.report.book_check.compared;
            check.mismatched += track.report.book_check.mismatched;
            check.not_comparable += track.report.book_check.not_comparable;
            if track.report.frames > 0 {
                self.report.instruments.insert(track.report.symbol.clone(), track.report);
            }
        }
        self.report
    }
}

/// A frame held in memory (REST snapshots from a side recording).
#[derive(Clone, Debug)]
pub struct OwnedFrame {
    /// Local receive time.
    pub receive_time: Nanos,
    /// Channel (URL).
    pub channel: String,
    /// Raw bytes.
    pub payload: Vec<u8>,
}

impl OwnedFrame {
    /// Borrows as a [`Frame`].
    pub fn as_frame(&mut self) -> Frame<'_> {
        Frame { receive_time: self.receive_time, channel: &self.channel, payload: &mut self.payload }
    }

    /// Reads a whole (small) recording into memory, sorted by receive time. Read errors are
    /// returned with the frames that did read.
    pub fn read_all(reader: &mut dyn FrameReader) -> (Vec<OwnedFrame>, Vec<RecordingError>) {
        let (mut frames, mut errors) = (Vec::new(), Vec::new());
        while let Some(next) = reader.next_frame() {
            match next {
                Ok(frame) => frames.push(OwnedFrame {
                    receive_time: frame.receive_time,
                    channel: frame.channel.to_owned(),
                    payload: frame.payload.to_vec(),
                }),
                Err(error) => errors.push(error),
            }
        }
        frames.sort_by_key(|frame| frame.receive_time);
        (frames, errors)
    }
}
