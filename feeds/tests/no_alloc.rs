//! The feed path's "no allocation once warm" guarantee, counted rather than assumed.
//!
//! A counting global allocator wraps [`System`] and counts every `alloc` and `realloc` of the
//! calling thread in a thread-local counter. Tests in this binary run on parallel threads, so
//! each measured section reads only its own thread's count: a difference of two readings around
//! the code under test.
//!
//! - `decoding_sequencing_and_book_keeping_allocate_nothing_once_warm`: a warm-up pass over the
//!   whole binance-usdm recording (read with [`LinesReader`]), then a second pass over the same
//!   frames held in memory, counting per stage: copying the frame into one reused buffer,
//!   `Decoder::decode` (production path), `Decoder::decode_with_tape` (reference path), the
//!   depth sequencer (buffering, the snapshot, and diffs once synced), event-sink pushes into a
//!   `Vec<Event>` with retained capacity, and `OrderBook::apply`.
//! - `frame_readers_allocate_nothing_in_steady_state`: a fresh reader allocates its buffers when
//!   it opens and while they grow to the longest line; after its first 1000 frames, reading the
//!   rest must allocate nothing.

use std::fmt;
use std::path::PathBuf;

use feeds::recording::{CryptofeedReader, FrameReader, LinesReader};
use feeds::venue::binance::{Decoder, DepthSequencer, Message, SyncOutcome};
use feeds::{Event, Instruments, Nanos, OrderBook, Side};

use testkit::data_dir;

#[global_allocator]
static ALLOCATOR: testkit::CountingAllocator = testkit::CountingAllocator;

use testkit::thread_allocations as allocations;

/// Runs `work` and adds the allocations it made to `counter`.
#[inline]
fn counted<T>(counter: &mut u64, work: impl FnOnce() -> T) -> T {
    let before = allocations();
    let result = work();
    *counter += allocations() - before;
    result
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn binance_usdm_file() -> PathBuf {
    data_dir().join("binance-usdm/btcusdt_20240808.gz")
}

fn instruments() -> Instruments {
    Instruments::from_toml(include_str!("../../configs/instruments.toml")).unwrap()
}

/// The URL the recording's REST snapshot was fetched from. The recording does not keep it; the
/// tape-only decoder needs it to attribute the snapshot (the production decoder attributes it
/// to the one instrument it has seen diffs for).
const SNAPSHOT_URL: &str = "https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT&limit=1000";

/// Allocations per stage of the feed path, and what each stage did.
#[derive(Default)]
struct Stages {
    frames: u64,
    copy: u64,
    decode: u64,
    decode_with_tape: u64,
    sequencer_buffering: u64,
    sequencer_snapshot: u64,
    sequencer_synced: u64,
    sink: u64,
    book: u64,
    // What happened, to show the measured pass did the real work.
    diffs_buffered: u64,
    diffs_applied: u64,
    snapshots: u64,
    events: u64,
    book_errors: u64,
    max_levels: usize,
}

impl Stages {
    /// `(stage, allocations)` for every stage.
    fn allocations(&self) -> [(&'static str, u64); 8] {
        [
            ("frame copy into the reused buffer", self.copy),
            ("Decoder::decode (production)", self.decode),
            ("Decoder::decode_with_tape (reference)", self.decode_with_tape),
            ("DepthSequencer::on_diff, buffering before the snapshot", self.sequencer_buffering),
            ("DepthSequencer::on_snapshot", self.sequencer_snapshot),
            ("DepthSequencer::on_diff, synced", self.sequencer_synced),
            ("event sink pushes (Vec<Event>)", self.sink),
            ("OrderBook::apply", self.book),
        ]
    }
}

impl fmt::Display for Stages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} frames: {} diffs buffered, {} snapshot(s), {} diffs applied, {} events, {} book errors, \
             at most {} levels a side",
            self.frames,
            self.diffs_buffered,
            self.snapshots,
            self.diffs_applied,
            self.events,
            self.book_errors,
            self.max_levels
        )?;
        for (stage, count) in self.allocations() {
            writeln!(f, "  {stage:<58} {count:>8} allocations")?;
        }
        Ok(())
    }
}

/// The feed thread's work after decoding, for one message: sequencer or sink, then the book.
fn process(
    message: &Message<'_>,
    sequencer: &mut DepthSequencer,
    events: &mut Vec<Event>,
    book: &mut OrderBook,
    stages: &mut Stages,
) {
    events.clear();
    match message {
        Message::Depth(diff) => {
            let buffering = sequencer.needs_snapshot();
            let counter =
                if buffering { &mut stages.sequencer_buffering } else { &mut stages.sequencer_synced };
            match counted(counter, || sequencer.on_diff(diff, events)) {
                SyncOutcome::Buffered => stages.diffs_buffered += 1,
                SyncOutcome::Applied => stages.diffs_applied += 1,
                _ => {}
            }
        }
        Message::Snapshot(snapshot) => {
            counted(&mut stages.sequencer_snapshot, || sequencer.on_snapshot(snapshot, events));
            stages.snapshots += 1;
        }
        Message::Event(_, event) => counted(&mut stages.sink, || events.push(*event)),
        Message::Ignored(_) => {}
    }
    stages.events += events.len() as u64;
    counted(&mut stages.book, || {
        for event in events.iter() {
            if book.apply(event).is_err() {
                stages.book_errors += 1;
            }
        }
    });
    stages.max_levels = stages.max_levels.max(book.levels(Side::Bid)).max(book.levels(Side::Ask));
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn decoding_sequencing_and_book_keeping_allocate_nothing_once_warm() {
    let instruments = instruments();
    let btcusdt = instruments.find("binance-usdm", "BTCUSDT").unwrap();
    let mut decoder = Decoder::new(instruments.clone());
    let mut reference = Decoder::new(instruments);
    // 1000 snapshot levels a side plus room for the levels diffs add beyond them (the book
    // reaches 5,170 levels a side in this recording).
    let mut book = OrderBook::with_capacity(8192);
    let mut events: Vec<Event> = Vec::with_capacity(4096);

    // Warm-up: the whole recording through the reader, both decoders, the sequencer and the
    // book; the frames are kept for the measured pass.
    let mut frames: Vec<(Nanos, Vec<u8>)> = Vec::new();
    let mut warm_up = Stages::default();
    let mut sequencer = DepthSequencer::new(btcusdt);
    let mut reader = LinesReader::open(binance_usdm_file()).unwrap();
    let mut copy = Vec::new();
    while let Some(frame) = reader.next_frame() {
        let frame = frame.unwrap_or_else(|error| panic!("{error}"));
        frames.push((frame.receive_time, frame.payload.to_vec()));
        counted(&mut warm_up.copy, || {
            copy.clear();
            copy.extend_from_slice(frame.payload);
        });
        let result = counted(&mut warm_up.decode_with_tape, || {
            reference.decode_with_tape(&mut copy, frame.receive_time, SNAPSHOT_URL).map(|_| ())
        });
        result.unwrap_or_else(|error| panic!("tape decoder: {error}"));
        let message = counted(&mut warm_up.decode, || decoder.decode(frame.payload, frame.receive_time, ""))
            .unwrap_or_else(|error| panic!("{error}"));
        process(&message, &mut sequencer, &mut events, &mut book, &mut warm_up);
        warm_up.frames += 1;
    }
    println!("warm-up pass (allocations expected here):\n{warm_up}");
    assert_eq!(warm_up.frames, 93_954);
    assert_eq!(warm_up.book_errors, 0);
    assert!(book.is_trusted());

    // Measured pass: the same frames from memory, a fresh sequencer (allocated here, before
    // counting) so that buffering, the snapshot and the synced diffs all happen again; the
    // book and the event buffer keep what the warm-up grew them to.
    let longest = frames.iter().map(|(_, frame)| frame.len()).max().unwrap_or(0);
    let mut buffer: Vec<u8> = Vec::with_capacity(longest);
    let mut tape_buffer: Vec<u8> = Vec::with_capacity(longest);
    let mut sequencer = DepthSequencer::new(btcusdt);
    let mut stages = Stages::default();
    let before = allocations();
    for (receive_time, frame) in &frames {
        counted(&mut stages.copy, || {
            buffer.clear();
            buffer.extend_from_slice(frame);
            tape_buffer.clear();
            tape_buffer.extend_from_slice(frame);
        });
        let result = counted(&mut stages.decode_with_tape, || {
            reference.decode_with_tape(&mut tape_buffer, *receive_time, SNAPSHOT_URL).is_ok()
        });
        assert!(result, "the tape decoder failed on a real frame");
        let message = counted(&mut stages.decode, || decoder.decode(&mut buffer, *receive_time, ""));
        let Ok(message) = message else { panic!("decoding a real frame failed") };
        process(&message, &mut sequencer, &mut events, &mut book, &mut stages);
        stages.frames += 1;
    }
    let total = allocations() - before;
    println!("measured pass:\n{stages}  total over the measured loop: {total} allocations");

    // The measured pass did the real work: every frame, the snapshot, the whole diff chain.
    assert_eq!(stages.frames, 93_954);
    assert_eq!(stages.snapshots, 1);
    assert_eq!(stages.diffs_buffered + stages.diffs_applied, 6_551);
    assert_eq!(stages.book_errors, 0);
    assert!(book.is_trusted());
    assert_eq!(sequencer.stats().gaps, 0);

    // The stages after decoding, and the frame copy: nothing.
    for (stage, count) in [
        ("frame copy into the reused buffer", stages.copy),
        ("DepthSequencer::on_diff, buffering before the snapshot", stages.sequencer_buffering),
        ("DepthSequencer::on_snapshot", stages.sequencer_snapshot),
        ("DepthSequencer::on_diff, synced", stages.sequencer_synced),
        ("event sink pushes", stages.sink),
        ("OrderBook::apply", stages.book),
    ] {
        assert_eq!(count, 0, "{stage} allocated once warm\n{stages}");
    }
    // Regression: the tape decoder once allocated on every frame (simd-json's `Tape::null()`
    // holds one node on the heap); it now moves its tape's Vec out and back instead.
    assert_eq!(stages.decode_with_tape, 0, "Decoder::decode_with_tape allocated once warm\n{stages}");
    assert_eq!(stages.decode, 0, "Decoder::decode allocated once warm\n{stages}");
    assert_eq!(total, 0);
}

/// Reads `warm` frames, then counts allocations over the rest. Returns `(frames, allocations)`.
fn steady_state(reader: &mut dyn FrameReader, warm: usize) -> (u64, u64) {
    for _ in 0..warm {
        reader.next_frame().expect("enough frames to warm up").unwrap_or_else(|error| panic!("{error}"));
    }
    let mut frames = 0;
    let mut bytes = 0;
    let before = allocations();
    while let Some(frame) = reader.next_frame() {
        let Ok(frame) = frame else { panic!("a real line failed to read") };
        frames += 1;
        bytes += frame.payload.len();
    }
    let allocated = allocations() - before;
    assert!(bytes > 0);
    (frames, allocated)
}

#[test]
fn frame_readers_allocate_nothing_in_steady_state() {
    // The binance-usdm recording (gzip): its longest line, the 42 kB REST snapshot, is line
    // 55, inside the warm-up.
    let opened = allocations();
    let mut reader = LinesReader::open(binance_usdm_file()).unwrap();
    let at_open = allocations() - opened;
    let (frames, allocated) = steady_state(&mut reader, 1000);
    println!(
        "LinesReader (gzip): {at_open} allocations at open; {frames} frames after the first 1000: {allocated} allocations"
    );
    assert_eq!(frames, 93_954 - 1000);
    assert_eq!(allocated, 0, "LinesReader allocated in steady state");

    // The cryptofeed capture (plain text, connection lines skipped).
    let path = data_dir().join("cryptofeed/BINANCE_FUTURES.ws.1.0");
    let mut reader = CryptofeedReader::open(&path).unwrap();
    let (frames, allocated) = steady_state(&mut reader, 1000);
    println!("CryptofeedReader: {frames} frames after the first 1000: {allocated} allocations");
    assert!(frames > 500);
    assert_eq!(allocated, 0, "CryptofeedReader allocated in steady state");
}
