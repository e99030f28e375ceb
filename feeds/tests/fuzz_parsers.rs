//! Robustness of the Binance USD-M decoders: the scanner never disagrees with the tape decoder,
//! and no input makes the decoder, the depth sequencer or the book panic.
//!
//! The contract under test (`venue/binance/scan.rs`): whenever the fast scanner returns a
//! message, the validating tape decoder returns the same one. Since the production
//! [`Decoder::decode`] falls back to the tape decoder for everything the scanner declines, it
//! must also give exactly what a tape-only decoder (`with_fast_path(false)`) gives, messages and
//! errors alike.
//!
//! - `scanner_agrees_with_tape_on_every_real_frame`: every frame of both Binance recordings.
//! - `every_truncation_of_every_kind`: each prefix of one frame of every kind.
//! - `mutated_real_frames_never_panic_or_diverge`: a deterministic mutation fuzzer seeded with
//!   real frames. `HALCYON_FUZZ_CASES` sets the number of cases (default
//!   [`DEFAULT_FUZZ_CASES`]), `HALCYON_FUZZ_SEED` the PRNG seed; `--nocapture` shows the
//!   summary. A campaign: `HALCYON_FUZZ_CASES=1000000 cargo test --release -p halcyon-feeds
//!   --test fuzz_parsers -- --nocapture mutated` (about 4 s).
//! - `generated_frames_keep_the_contract`: proptest-generated `depthUpdate`, `bookTicker` and
//!   `trade` payloads (random key order and subsets, edge-case values).
//! - `malformed_frames_are_the_expected_errors`: a table of malformed inputs (real frames
//!   edited in memory) and the error each must give.
//! - `mark_price_of_a_delivery_contract_decodes`: a bug the fuzzer's seeds found (fails until
//!   it is fixed; see the test).
//!
//! A finding is reported with its input bytes (escaped), so that it can be replayed as a table
//! case; fuzz findings are collected and reported together at the end of a run.

use std::any::Any;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

use feeds::book::Applied;
use feeds::recording::open_frames;
use feeds::venue::binance::{
    DecodeError, DecodeErrorKind, Decoder, DepthSequencer, Field, Message, MessageKind, SyncOutcome,
};
use feeds::{Event, FixedError, Instruments, Nanos, OrderBook};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use testkit::data_dir;

/// Fuzz cases run by default. NB: about 13 s in the debug profile on our 2-core machines
/// (15,000 cases/s; 240,000 cases/s in release), so that a plain `cargo test` stays well under
/// 30 s. Raise it with `HALCYON_FUZZ_CASES` for a real campaign.
const DEFAULT_FUZZ_CASES: u64 = 200_000;

/// Default PRNG seed of the mutation fuzzer.
const DEFAULT_FUZZ_SEED: u64 = 0x4A1C_7011_F00D_5EED;

fn instruments() -> Instruments {
    Instruments::from_toml(include_str!("../../configs/instruments.toml")).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Real frames

/// One recorded frame, owned.
#[derive(Clone, Debug)]
struct Seed {
    receive_time: Nanos,
    channel: String,
    payload: Vec<u8>,
}

fn read_frames(path: &Path) -> Vec<Seed> {
    let mut reader = open_frames(path).unwrap_or_else(|error| panic!("{error}"));
    let mut frames = Vec::new();
    while let Some(frame) = reader.next_frame() {
        let frame = frame.unwrap_or_else(|error| panic!("{error}"));
        frames.push(Seed {
            receive_time: frame.receive_time,
            channel: frame.channel.to_owned(),
            payload: frame.payload.to_vec(),
        });
    }
    frames
}

/// The binance-usdm recording, read once per test binary (gunzipping it in a debug build takes
/// seconds).
fn binance_usdm_frames() -> &'static [Seed] {
    static FRAMES: OnceLock<Vec<Seed>> = OnceLock::new();
    FRAMES.get_or_init(|| read_frames(&data_dir().join("binance-usdm/btcusdt_20240808.gz")))
}

/// The cryptofeed Binance USD-M capture: websocket frames, then the REST snapshots.
fn cryptofeed_frames() -> &'static [Seed] {
    static FRAMES: OnceLock<Vec<Seed>> = OnceLock::new();
    FRAMES.get_or_init(|| {
        let dir = data_dir().join("cryptofeed");
        let mut frames = read_frames(&dir.join("BINANCE_FUTURES.ws.1.0"));
        frames.extend(read_frames(&dir.join("BINANCE_FUTURES.http.0.0")));
        frames
    })
}

/// The `"e"` of a frame, found textually (for sorting seeds; the decoders decide for real).
fn event_type(payload: &[u8]) -> &str {
    let text = std::str::from_utf8(payload).unwrap_or("");
    match text.find(r#""e":""#) {
        Some(start) => {
            let rest = &text[start + 5..];
            &rest[..rest.find('"').unwrap_or(0)]
        }
        None if text.contains("lastUpdateId") => "snapshot",
        None => "",
    }
}

// ---------------------------------------------------------------------------------------------
// The harness: four decoders, a sequencer and a book per instrument, and the tally.

/// Counters and findings of a run.
#[derive(Default)]
struct Tally {
    cases: u64,
    ok: u64,
    errors: u64,
    scanned: u64,
    messages: BTreeMap<&'static str, u64>,
    errors_by_kind: BTreeMap<(&'static str, &'static str), u64>,
    sync: BTreeMap<&'static str, u64>,
    book_errors: u64,
    /// Contract violations (scanner vs tape, decode vs tape-only decode, book promises).
    violations: u64,
    /// The first few violations and panics, with their inputs.
    findings: Vec<String>,
    panics: u64,
}

impl Tally {
    fn finding(&mut self, text: String) {
        if self.findings.len() < 20 {
            self.findings.push(text);
        }
    }

    fn summary(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "cases {}, decoded ok {}, errors {}, taken by the scanner {}, violations {}, panics {}",
            self.cases, self.ok, self.errors, self.scanned, self.violations, self.panics
        );
        let _ = writeln!(text, "  messages: {:?}", self.messages);
        let _ = writeln!(text, "  sequencer outcomes: {:?}, book errors: {}", self.sync, self.book_errors);
        let _ = writeln!(text, "  errors by (kind, field):");
        for ((kind, field), count) in &self.errors_by_kind {
            let _ = writeln!(text, "    {kind:<28} {:<14} {count}", format!("\"{field}\""));
        }
        text
    }
}

fn error_name(error: &DecodeError) -> &'static str {
    match error.kind() {
        DecodeErrorKind::Json { .. } => "json",
        DecodeErrorKind::Missing => "missing",
        DecodeErrorKind::WrongType { .. } => "wrong type",
        DecodeErrorKind::Number(FixedError::Empty) => "number: empty",
        DecodeErrorKind::Number(FixedError::Syntax(_)) => "number: syntax",
        DecodeErrorKind::Number(FixedError::OffGrid) => "number: off grid",
        DecodeErrorKind::Number(FixedError::Overflow) => "number: overflow",
        DecodeErrorKind::Number(FixedError::InvalidStep) => "number: invalid step",
        DecodeErrorKind::Invalid { reason } => reason,
        DecodeErrorKind::UnknownEventType => "unknown event type",
        DecodeErrorKind::UnknownMessage => "unknown message",
        DecodeErrorKind::UnknownInstrument => "unknown instrument",
        DecodeErrorKind::NoSnapshotInstrument => "no snapshot instrument",
    }
}

fn printable(bytes: &[u8]) -> String {
    const MAX: usize = 600;
    let shown = bytes.escape_ascii().to_string();
    if shown.len() > MAX { format!("{}… ({} bytes)", &shown[..MAX], bytes.len()) } else { shown }
}

struct Harness {
    /// The production path: scanner first, tape decoder for the rest.
    production: Decoder,
    /// Tape decoder only, through `decode` (keeps the same snapshot-attribution state).
    reference: Decoder,
    /// `decode_with_scan` only.
    scanner: Decoder,
    /// `decode_with_tape` only.
    tape: Decoder,
    copies: [Vec<u8>; 3],
    /// A sequencer and a book per instrument, indexed by `InstrumentId`.
    books: Vec<(DepthSequencer, OrderBook)>,
    events: Vec<Event>,
    tally: Tally,
    /// `(max_diffs, max_levels)` of the sequencers.
    sequencer_capacity: (usize, usize),
}

impl Harness {
    /// A harness whose sequencers buffer few diffs, so that overflow and compaction are
    /// exercised too.
    fn new() -> Harness {
        Harness::with_sequencer_capacity(64, 4096)
    }

    fn with_sequencer_capacity(max_diffs: usize, max_levels: usize) -> Harness {
        let instruments = instruments();
        let books = (0..instruments.len())
            .map(|index| {
                let id = feeds::InstrumentId(index as u32);
                (DepthSequencer::with_capacity(id, max_diffs, max_levels), OrderBook::with_capacity(1024))
            })
            .collect();
        let sequencer_capacity = (max_diffs, max_levels);
        Harness {
            production: Decoder::new(instruments.clone()),
            reference: Decoder::new(instruments.clone()).with_fast_path(false),
            scanner: Decoder::new(instruments.clone()),
            tape: Decoder::new(instruments),
            copies: Default::default(),
            books,
            events: Vec::with_capacity(4096),
            tally: Tally::default(),
            sequencer_capacity,
        }
    }

    /// What a feed does when resyncs keep failing: reconnect, with a fresh sequencer.
    fn reconnect(&mut self, index: usize) {
        let (max_diffs, max_levels) = self.sequencer_capacity;
        let id = feeds::InstrumentId(index as u32);
        self.books[index].0 = DepthSequencer::with_capacity(id, max_diffs, max_levels);
    }

    /// Decodes `input` every way, checks the contract, feeds what decoded downstream.
    /// Returns the number of contract violations this input caused.
    fn check(&mut self, input: &[u8], receive_time: Nanos, channel: &str) -> u64 {
        let Harness { production, reference, scanner, tape, copies, books, events, tally, .. } = self;
        let [first, second, third] = copies;
        for copy in [&mut *first, &mut *second, &mut *third] {
            copy.clear();
            copy.extend_from_slice(input);
        }
        let produced = production.decode(first, receive_time, channel);
        let referenced = reference.decode(second, receive_time, channel);
        let scanned = scanner.decode_with_scan(input, receive_time);
        let taped = tape.decode_with_tape(third, receive_time, channel);
        tally.cases += 1;
        let before = tally.violations;
        if let Some(message) = &scanned {
            tally.scanned += 1;
            if !matches!(&taped, Ok(taped) if taped == message) {
                // BUG if reached: the scanner took a frame the tape decoder reads differently.
                tally.violations += 1;
                tally.finding(format!(
                    "SCANNER ≠ TAPE\n  input: {}\n  receive_time: {receive_time:?}\n  scan: {message:?}\n  tape: {taped:?}",
                    printable(input)
                ));
            }
        }
        if produced != referenced {
            // BUG if reached: the production decoder differs from the tape-only decoder.
            tally.violations += 1;
            tally.finding(format!(
                "DECODE ≠ TAPE-ONLY DECODE\n  input: {}\n  channel: {channel:?}\n  decode: {produced:?}\n  tape-only: {referenced:?}",
                printable(input)
            ));
        }
        match &produced {
            Ok(message) => {
                tally.ok += 1;
                *tally.messages.entry(message.kind().report_name()).or_default() += 1;
                feed(message, books, events, tally, input);
            }
            Err(error) => {
                tally.errors += 1;
                // Every error renders (Display must not panic either).
                let _ = error.to_string();
                *tally.errors_by_kind.entry((error_name(error), error.field().key())).or_default() += 1;
            }
        }
        tally.violations - before
    }
}

/// Sends a decoded message through the sequencer and the book, as the feed thread does.
fn feed(
    message: &Message<'_>,
    books: &mut [(DepthSequencer, OrderBook)],
    events: &mut Vec<Event>,
    tally: &mut Tally,
    input: &[u8],
) {
    events.clear();
    let outcome = match message {
        Message::Depth(diff) => Some(books[diff.instrument.index()].0.on_diff(diff, events)),
        Message::Snapshot(snapshot) => {
            Some(books[snapshot.instrument.index()].0.on_snapshot(snapshot, events))
        }
        Message::Event(_, event) => {
            events.push(*event);
            None
        }
        Message::Ignored(_) => None,
    };
    if let Some(outcome) = outcome {
        let name = match outcome {
            SyncOutcome::Applied => "applied",
            SyncOutcome::Buffered => "buffered",
            SyncOutcome::Stale => "stale",
            SyncOutcome::Gap { .. } => "gap",
            SyncOutcome::SnapshotApplied { .. } => "snapshot",
        };
        *tally.sync.entry(name).or_default() += 1;
    }
    for event in events.iter() {
        let (_, book) = &mut books[event.instrument.index()];
        match book.apply(event) {
            Ok(Applied::UpdateComplete) if book.is_crossed() => {
                // BUG if reached: `apply` promises a complete update is never crossed.
                tally.violations += 1;
                tally.finding(format!("BOOK CROSSED AT UpdateComplete\n  input: {}", printable(input)));
            }
            Ok(_) => {}
            Err(_) => {
                tally.book_errors += 1;
                if book.is_trusted() {
                    // BUG if reached: every book error leaves the book untrusted.
                    tally.violations += 1;
                    tally.finding(format!("BOOK TRUSTED AFTER ERROR\n  input: {}", printable(input)));
                }
            }
        }
        let _ = (book.best_bid(), book.best_ask(), book.spread(), book.depth_within_bps(25));
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "(non-string panic)".to_owned()
    }
}

/// Runs one case, turning a panic into a recorded finding (and a fresh harness, since a
/// panicking decoder may have left its state half-updated).
fn run_case(harness: &mut Harness, input: &[u8], receive_time: Nanos, channel: &str) {
    let result = catch_unwind(AssertUnwindSafe(|| harness.check(input, receive_time, channel)));
    if let Err(payload) = result {
        // BUG if reached: some input made the decoder, sequencer or book panic.
        let tally = std::mem::take(&mut harness.tally);
        *harness = Harness::new();
        harness.tally = tally;
        harness.tally.cases += 1;
        harness.tally.panics += 1;
        harness.tally.finding(format!(
            "PANIC: {}\n  input: {}\n  receive_time: {receive_time:?}\n  channel: {channel:?}",
            panic_message(payload.as_ref()),
            printable(input)
        ));
    }
}

fn assert_clean(tally: &Tally) {
    assert!(
        tally.violations == 0 && tally.panics == 0,
        "contract violations or panics found:\n{}\n{}",
        tally.findings.join("\n\n"),
        tally.summary()
    );
}

// ---------------------------------------------------------------------------------------------
// 1. Every real frame

#[test]
fn scanner_agrees_with_tape_on_every_real_frame() {
    let mut taken_by_kind = BTreeMap::<String, (u64, u64)>::new();
    for (name, frames) in [("binance-usdm", binance_usdm_frames()), ("cryptofeed", cryptofeed_frames())] {
        let mut harness = Harness::with_sequencer_capacity(4096, 1 << 18);
        let mut decoded = 0;
        for frame in frames {
            let scanned_before = harness.tally.scanned;
            let ok_before = harness.tally.ok;
            harness.check(&frame.payload, frame.receive_time, &frame.channel);
            decoded += harness.tally.ok - ok_before;
            let taken = taken_by_kind.entry(format!("{name} {}", event_type(&frame.payload))).or_default();
            taken.0 += 1;
            taken.1 += harness.tally.scanned - scanned_before;
        }
        println!("{name}: {} frames\n{}", frames.len(), harness.tally.summary());
        assert_clean(&harness.tally);
        // Every real frame decodes (the BTCUSDT snapshot, which names no symbol, is attributed
        // to the one instrument depth diffs were seen for).
        assert_eq!(decoded, frames.len() as u64, "{name}: every real frame decodes");
        if name == "binance-usdm" {
            assert_eq!(frames.len(), 93_954);
            // All 6,551 depthUpdate, 66,089 bookTicker and 21,313 trade frames; only the REST
            // snapshot may go to the tape decoder.
            assert!(harness.tally.scanned >= 93_953, "the scanner takes every hot frame");
            let stats = harness.production.stats();
            assert_eq!((stats.fast, stats.fast + stats.tape), (harness.tally.scanned, 93_954));
            // The real book stays in sync all the way: one snapshot, no gap.
            assert_eq!(harness.tally.sync.get("gap"), None);
            assert_eq!(harness.tally.sync.get("snapshot"), Some(&1));
            assert_eq!(harness.tally.book_errors, 0);
            assert!(harness.books[0].1.is_trusted());
        }
    }
    for (kind, (frames, taken)) in &taken_by_kind {
        println!("  {kind:<36} {frames:>6} frames, {taken:>6} taken by the scanner");
    }
    // The cryptofeed capture's hot kinds are taken too; aggTrade and kline are the tape's.
    assert_eq!(taken_by_kind["cryptofeed depthUpdate"].0, taken_by_kind["cryptofeed depthUpdate"].1);
    assert_eq!(taken_by_kind["cryptofeed bookTicker"].0, taken_by_kind["cryptofeed bookTicker"].1);
    assert_eq!(taken_by_kind["cryptofeed aggTrade"].1, 0);
}

// ---------------------------------------------------------------------------------------------
// 2. The mutation fuzzer

/// SplitMix64: tiny, fast, and deterministic for a given seed.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (`0` when `bound` is 0).
    fn below(&mut self, bound: usize) -> usize {
        if bound == 0 { 0 } else { (self.next_u64() % bound as u64) as usize }
    }

    /// Uniform in `0..=bound`.
    fn up_to(&mut self, bound: usize) -> usize {
        self.below(bound + 1)
    }

    fn percent(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }
}

/// Payloads written from Binance's USD-M documentation ("Liquidation Order Streams", "Mark Price
/// Stream", REST "Open Interest", "Aggregate Trade Streams", "Kline/Candlestick Streams") for the
/// kinds our recordings lack; BTCUSDT so that they decode.
const DOCUMENTED: &[&str] = &[
    r#"{"stream":"btcusdt@forceOrder","data":{"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"9910","ap":"9910","X":"FILLED","l":"0.014","z":"0.014","T":1568014460893}}}"#,
    r#"{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}"#,
    r#"{"stream":"btcusdt@markPrice","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"-0.00038167","T":0}}"#,
    r#"{"openInterest":"10659.509","symbol":"BTCUSDT","time":1589437530011}"#,
    r#"{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.10","q":"100","f":100,"l":105,"T":123456785,"m":true}}"#,
    r#"{"e":"kline","E":1638747660000,"s":"BTCUSDT","k":{"t":1638747660000,"T":1638747719999,"s":"BTCUSDT","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}"#,
];

/// Seeds grouped by family, with the weight each family is picked with: rare kinds are mutated
/// about as often as the common ones.
struct Corpus {
    /// The binance-usdm recording, in order (replayed unmutated between mutated cases).
    stream: &'static [Seed],
    families: Vec<(&'static str, usize, Vec<Seed>)>,
    /// Every seed, for splicing one frame's bytes into another.
    all: Vec<Seed>,
}

/// The value of the first `"data"` member: the bare payload of a combined-stream frame.
fn unwrap_data(payload: &[u8]) -> Option<Vec<u8>> {
    let tokens = Tokens::of(payload);
    let data = tokens.members.iter().find(|member| &payload[member.key.clone()] == br#""data""#)?;
    Some(payload[data.value.clone()].to_vec())
}

/// A real snapshot cut to `levels` per side (through serde_json, so still valid JSON).
fn trimmed_snapshot(seed: &Seed, levels: usize) -> Seed {
    let mut value: serde_json::Value = serde_json::from_slice(&seed.payload).unwrap();
    for side in ["bids", "asks"] {
        value[side].as_array_mut().unwrap().truncate(levels);
    }
    Seed { payload: serde_json::to_vec(&value).unwrap(), ..seed.clone() }
}

impl Corpus {
    fn load() -> Corpus {
        let stream = binance_usdm_frames();
        let cryptofeed = cryptofeed_frames();
        let of = |frames: &[Seed], kind: &str, limit: usize| -> Vec<Seed> {
            frames.iter().filter(|seed| event_type(&seed.payload) == kind).take(limit).cloned().collect()
        };
        let snapshots: Vec<Seed> = stream
            .iter()
            .chain(cryptofeed)
            .filter(|s| event_type(&s.payload) == "snapshot")
            .cloned()
            .collect();
        let mut documented: Vec<Seed> = DOCUMENTED
            .iter()
            .map(|text| Seed {
                receive_time: stream[0].receive_time,
                channel: String::new(),
                payload: text.as_bytes().to_vec(),
            })
            .collect();
        for snapshot in &snapshots {
            documented.push(trimmed_snapshot(snapshot, 3));
            documented.push(trimmed_snapshot(snapshot, 0));
        }
        // Bare payloads (no combined-stream wrapper) of each hot kind.
        for kind in ["depthUpdate", "bookTicker", "trade"] {
            for seed in of(stream, kind, 20) {
                documented.push(Seed { payload: unwrap_data(&seed.payload).unwrap(), ..seed });
            }
        }
        // Depth diffs are weighted towards small ones: cheaper, and as rich in structure.
        let mut depth = of(stream, "depthUpdate", usize::MAX);
        depth.sort_by_key(|seed| seed.payload.len());
        depth.truncate(depth.len() * 3 / 4);
        let families = vec![
            ("depthUpdate", 28, depth),
            ("bookTicker", 16, of(stream, "bookTicker", 3000)),
            ("trade", 16, of(stream, "trade", 3000)),
            (
                "cryptofeed",
                14,
                cryptofeed.iter().filter(|s| event_type(&s.payload) != "snapshot").cloned().collect(),
            ),
            ("documented", 25, documented),
            ("snapshot", 1, snapshots),
        ];
        let all = families.iter().flat_map(|(_, _, seeds)| seeds.iter().cloned()).collect();
        Corpus { stream, families, all }
    }

    fn pick(&self, rng: &mut Rng) -> &Seed {
        let total: usize = self.families.iter().map(|(_, weight, _)| weight).sum();
        let mut roll = rng.below(total);
        for (_, weight, seeds) in &self.families {
            if roll < *weight {
                return rng.pick(seeds);
            }
            roll -= weight;
        }
        unreachable!("weights cover the roll")
    }
}

/// Spans of a JSON-ish text, found by a tolerant tokenizer that never fails: members
/// (`"key": value`), string values and bare number tokens. Ranges are always within the text.
struct Tokens {
    members: Vec<Member>,
    strings: Vec<Range<usize>>,
    numbers: Vec<Range<usize>>,
}

/// A `"key": value` pair: the key with its quotes, and the value's extent.
#[derive(Clone, Debug)]
struct Member {
    key: Range<usize>,
    value: Range<usize>,
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\n' | b'\r' | b'\t')
}

/// Index just past the string starting at `start` (a `"`), or the end of the text.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut index = start + 1;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 2,
            b'"' => return index + 1,
            _ => index += 1,
        }
    }
    bytes.len()
}

/// Index just past the value starting at `start`.
fn value_end(bytes: &[u8], start: usize) -> usize {
    match bytes.get(start) {
        None => bytes.len(),
        Some(b'"') => string_end(bytes, start),
        Some(b'{' | b'[') => {
            let mut depth = 0_usize;
            let mut index = start;
            while index < bytes.len() {
                match bytes[index] {
                    b'"' => {
                        index = string_end(bytes, index);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return index + 1;
                        }
                    }
                    _ => {}
                }
                index += 1;
            }
            bytes.len()
        }
        Some(_) => {
            let mut index = start;
            while index < bytes.len()
                && !matches!(bytes[index], b',' | b'}' | b']')
                && !is_space(bytes[index])
            {
                index += 1;
            }
            index.max(start + 1).min(bytes.len())
        }
    }
}

impl Tokens {
    fn of(bytes: &[u8]) -> Tokens {
        let mut tokens = Tokens { members: Vec::new(), strings: Vec::new(), numbers: Vec::new() };
        let mut index = 0;
        while index < bytes.len() {
            match bytes[index] {
                b'"' => {
                    let end = string_end(bytes, index).min(bytes.len());
                    let mut after = end;
                    while after < bytes.len() && is_space(bytes[after]) {
                        after += 1;
                    }
                    if bytes.get(after) == Some(&b':') {
                        let mut start = after + 1;
                        while start < bytes.len() && is_space(bytes[start]) {
                            start += 1;
                        }
                        let value =
                            start.min(bytes.len())..value_end(bytes, start).max(start.min(bytes.len()));
                        tokens.members.push(Member { key: index..end, value });
                    } else {
                        tokens.strings.push(index..end);
                    }
                    index = end;
                }
                b'-' | b'0'..=b'9' => {
                    let start = index;
                    while index < bytes.len()
                        && matches!(bytes[index], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                    {
                        index += 1;
                    }
                    tokens.numbers.push(start..index);
                }
                _ => index += 1,
            }
        }
        tokens
    }
}

/// JSON-significant tokens and troublemakers to insert.
const TOKENS: &[&str] = &[
    "\"",
    "\\",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "-",
    ".",
    "e",
    "E",
    "+",
    "0",
    "1",
    "7",
    "9",
    "null",
    "true",
    "false",
    "99999999999999999999",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775808",
    "-0",
    "1e308",
    "\"\"",
    "\"x\"",
    "{}",
    "[]",
    "[[]]",
    "\\u0000",
    "\\ud800",
    "\\u00e9",
    "\\\"",
    "\u{e9}",
    "\u{2028}",
    "\x00",
    "\x7f",
    ",\"e\":\"trade\"",
    ",\"s\":\"BTCUSDT\"",
    ",\"u\":1",
    "\"data\":",
    "\"stream\":\"x\",",
];

/// Replacements for the decimal strings (prices, quantities, rates).
const NUMBER_STRINGS: &[&str] = &[
    "",
    "-",
    "0",
    "0.00",
    "-0",
    "-0.00",
    "00.1",
    "01",
    ".5",
    "5.",
    "1..2",
    "--1",
    "+1",
    " 1",
    "1 ",
    "1,5",
    "0x10",
    "NaN",
    "Infinity",
    "6.18e4",
    "1E2",
    "61800.25",
    "61800.123456789012345",
    "61800.20000000000000000000000",
    "123456789012345678901",
    "99999999999999999999",
    "9223372036854775807",
    "922337203685477580.7",
    "92233720368547758.08",
    "0.0000000000001",
    "\\u0036\\u0031800.20",
    "61800.2\\u0030",
    "6\u{0661}",
];

/// Replacements for bare integers (times, update and trade ids).
const INTEGERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "-0",
    "01",
    "00",
    "1.0",
    "1.5",
    "1e3",
    "1E3",
    "-9223372036854775808",
    "9223372036854",
    "9223372036855",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "\"1723161256299\"",
    "\"\"",
    "null",
    "true",
    "[]",
    "{}",
    "-",
];

/// Values of any type, for type changes.
const ANY_VALUES: &[&str] = &[
    "null",
    "true",
    "false",
    "[]",
    "{}",
    "\"\"",
    "\"abc\"",
    "0",
    "-1",
    "1.5",
    "[[\"61800.20\",\"1.000\"]]",
    "[\"61800.20\",\"1.000\"]",
    "[[\"61800.20\",\"1.000\",\"2\"]]",
    "[[61800.2,1]]",
    "{\"a\":1}",
    "\"BTCUSDT\"",
    "\"LIQUIDATION\"",
];

const EVENT_TYPES: &[&str] = &[
    "depthUpdate",
    "bookTicker",
    "trade",
    "aggTrade",
    "forceOrder",
    "markPriceUpdate",
    "kline",
    "",
    "DEPTHUPDATE",
    "depthUpdate ",
    "depth\\u0055pdate",
    "outboundAccountPosition",
];

const SYMBOLS: &[&str] = &[
    "BTCUSDT",
    "btcusdt",
    "BtcUsdt",
    "SUSHIUSDT",
    "ETHUSDT",
    "",
    "BTC\\u0055SDT",
    "BTCUSDT\\u0000",
    "BTCUSDT ",
];

const CHANNELS: &[&str] = &[
    "",
    "https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT&limit=1000",
    "https://fapi.binance.com/fapi/v1/depth?symbol=SUSHIUSDT&limit=1000",
    "https://fapi.binance.com/fapi/v1/depth?symbol=NOPE",
    "https://fapi.binance.com/fapi/v1/depth?symbol=",
    "?&&symbol=btcusdt&symbol=ctkusdt",
    "\u{e9}?symbol=\u{ff}",
    "btcusdt@depth@0ms",
];

/// Whitespace, JSON's and not.
const SPACES: &[&[u8]] = &[b" ", b"\n", b"\t", b"\r\n", b"    ", b"\x0b", b"\x0c", b"\xc2\xa0", b"\x00"];

/// Combined-stream wrappers, well-formed and not.
const WRAPPER_PREFIXES: &[&[u8]] = &[
    br#"{"stream":"btcusdt@trade","data":"#,
    br#"{"stream":"btcusdt@trade", "data" : "#,
    br#"{"stream":1,"data":"#,
    br#"{"data":"#,
    br#"{"stream":"x","stream":"y","data":"#,
];

/// Ends of combined-stream wrappers.
const WRAPPER_SUFFIXES: &[&[u8]] = &[b"}", b",\"stream\":\"x\"}", b"", b"}}"];

/// Invalid UTF-8: a stray byte, a bad continuation, a surrogate, past U+10FFFF, a cut sequence.
const INVALID_UTF8: &[&[u8]] = &[b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82"];

fn splice(input: &mut Vec<u8>, range: Range<usize>, replacement: &[u8]) {
    input.splice(range, replacement.iter().copied());
}

/// Applies one random mutation to `input`.
///
/// A third of the mutations are byte-level (mostly invalid JSON, for the tape decoder's
/// validation); the rest edit the structure (mostly valid JSON with wrong content, which is
/// what tests the scanner's and the tape decoder's checks).
fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &Corpus) {
    let len = input.len();
    let choice = if rng.percent(35) { rng.below(9) } else { 9 + rng.below(15) };
    match choice {
        // Flip a bit.
        0 if len > 0 => {
            let at = rng.below(len);
            input[at] ^= 1 << rng.below(8);
        }
        // Replace a byte with any byte.
        1 if len > 0 => {
            let at = rng.below(len);
            input[at] = rng.byte();
        }
        // Replace a byte with a structural one.
        2 if len > 0 => {
            let at = rng.below(len);
            input[at] = *rng.pick(b"\"\\{}[],:-.e0 \x00\xff");
        }
        // Delete a range.
        3 if len > 0 => {
            let start = rng.below(len);
            let most = if rng.percent(80) { 16 } else { len };
            let end = start + 1 + rng.below((len - start).min(most));
            input.drain(start..end.min(len));
        }
        // Duplicate a range.
        4 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(32)).min(len);
            let copy = input[start..end].to_vec();
            let at = if rng.percent(50) { end } else { rng.up_to(len) };
            splice(input, at..at, &copy);
        }
        // Insert random bytes.
        5 => {
            let at = rng.up_to(len);
            let bytes: Vec<u8> = (0..1 + rng.below(8)).map(|_| rng.byte()).collect();
            splice(input, at..at, &bytes);
        }
        // Insert a JSON token.
        6 | 7 => {
            let at = rng.up_to(len);
            let token = rng.pick(TOKENS).as_bytes();
            splice(input, at..at, token);
        }
        // Truncate.
        8 => input.truncate(rng.below(len.max(1))),
        // Swap two members' values.
        9 => {
            let members = Tokens::of(input).members;
            if members.len() >= 2 {
                let (a, b) = (rng.pick(&members).value.clone(), rng.pick(&members).value.clone());
                let (a, b) = if a.start <= b.start { (a, b) } else { (b, a) };
                if a.end <= b.start {
                    let mut swapped = input[..a.start].to_vec();
                    swapped.extend_from_slice(&input[b.clone()]);
                    swapped.extend_from_slice(&input[a.end..b.start]);
                    swapped.extend_from_slice(&input[a.clone()]);
                    swapped.extend_from_slice(&input[b.end..]);
                    *input = swapped;
                }
            }
        }
        // Replace a decimal string's contents.
        10 | 11 => {
            let strings = Tokens::of(input).strings;
            if !strings.is_empty() {
                let string = rng.pick(&strings).clone();
                let closed = string.end > string.start + 1 && input[string.end - 1] == b'"';
                let inner = string.start + 1..if closed { string.end - 1 } else { string.end };
                let replacement = match rng.below(4) {
                    0 => {
                        // The same number with a digit changed or appended: usually off-grid.
                        let mut digits = input[inner.clone()].to_vec();
                        if digits.is_empty() || rng.percent(50) {
                            digits.push(b'0' + rng.below(10) as u8);
                        } else {
                            let at = rng.below(digits.len());
                            digits[at] = b'0' + rng.below(10) as u8;
                        }
                        digits
                    }
                    1 => {
                        let mut negative = b"-".to_vec();
                        negative.extend_from_slice(&input[inner.clone()]);
                        negative
                    }
                    _ => rng.pick(NUMBER_STRINGS).as_bytes().to_vec(),
                };
                splice(input, inner, &replacement);
            }
        }
        // Replace a bare integer.
        12 | 13 => {
            let numbers = Tokens::of(input).numbers;
            if !numbers.is_empty() {
                let number = rng.pick(&numbers).clone();
                let replacement = match rng.below(3) {
                    0 => {
                        // Off by one (or more) from the original: U/u/pu chains break.
                        let text = std::str::from_utf8(&input[number.clone()]).unwrap_or("0");
                        let value: u64 = text.parse().unwrap_or(0);
                        let delta = rng.below(3) as u64;
                        (if rng.percent(50) { value.wrapping_add(delta) } else { value.wrapping_sub(delta) })
                            .to_string()
                            .into_bytes()
                    }
                    _ => rng.pick(INTEGERS).as_bytes().to_vec(),
                };
                splice(input, number, &replacement);
            }
        }
        // Change a value's type: unquote a string, quote a number, or any other value.
        14 => {
            let members = Tokens::of(input).members;
            if !members.is_empty() {
                let member = rng.pick(&members).clone();
                let value = &input[member.value.clone()];
                let replacement = if value.first() == Some(&b'"') && value.len() >= 2 && rng.percent(40) {
                    value[1..value.len() - 1].to_vec()
                } else if value.first().is_some_and(u8::is_ascii_digit) && rng.percent(40) {
                    [&b"\""[..], value, &b"\""[..]].concat()
                } else {
                    rng.pick(ANY_VALUES).as_bytes().to_vec()
                };
                splice(input, member.value, &replacement);
            }
        }
        // Duplicate a member (same value or another).
        15 => {
            let members = Tokens::of(input).members;
            if !members.is_empty() {
                let member = rng.pick(&members).clone();
                let mut copy = b",".to_vec();
                copy.extend_from_slice(&input[member.key.clone()]);
                copy.push(b':');
                if rng.percent(50) {
                    copy.extend_from_slice(&input[member.value.clone()]);
                } else {
                    copy.extend_from_slice(rng.pick(ANY_VALUES).as_bytes());
                }
                let at = if rng.percent(50) { member.value.end } else { member.key.start };
                if at == member.key.start {
                    // Before the member: `"k":v,` then the original.
                    let mut before = copy[1..].to_vec();
                    before.push(b',');
                    splice(input, at..at, &before);
                } else {
                    splice(input, at..at, &copy);
                }
            }
        }
        // Remove a member and its comma.
        16 => {
            let members = Tokens::of(input).members;
            if !members.is_empty() {
                let member = rng.pick(&members).clone();
                let mut range = member.key.start..member.value.end;
                if input.get(range.end) == Some(&b',') {
                    range.end += 1;
                } else if range.start > 0 && input[range.start - 1] == b',' {
                    range.start -= 1;
                }
                input.drain(range);
            }
        }
        // Insert whitespace, JSON's or not.
        17 => {
            let at = rng.up_to(len);
            let space = *rng.pick(SPACES);
            splice(input, at..at, space);
        }
        // A unicode escape in a key (or a string value).
        18 => {
            let tokens = Tokens::of(input);
            let spans: Vec<Range<usize>> = if rng.percent(70) {
                tokens.members.iter().map(|member| member.key.clone()).collect()
            } else {
                tokens.strings
            };
            if !spans.is_empty() {
                let span = rng.pick(&spans).clone();
                if span.end >= span.start + 3 {
                    let at = span.start + 1 + rng.below(span.end - span.start - 2);
                    let byte = input[at];
                    if byte.is_ascii_alphanumeric() {
                        let escape = if rng.percent(50) {
                            format!("\\u{:04x}", byte)
                        } else {
                            format!("\\u{:04X}", byte)
                        };
                        splice(input, at..at + 1, escape.as_bytes());
                    }
                }
            }
        }
        // Change the event type.
        19 => {
            let members = Tokens::of(input).members;
            if let Some(member) = members.iter().find(|member| &input[member.key.clone()] == b"\"e\"") {
                let replacement = format!("\"{}\"", rng.pick(EVENT_TYPES));
                splice(input, member.value.clone(), replacement.as_bytes());
            }
        }
        // Change the symbol.
        20 => {
            let members = Tokens::of(input).members;
            let symbols: Vec<&Member> = members
                .iter()
                .filter(|member| matches!(&input[member.key.clone()], b"\"s\"" | b"\"symbol\""))
                .collect();
            if !symbols.is_empty() {
                let value = rng.pick(&symbols).value.clone();
                let replacement = format!("\"{}\"", rng.pick(SYMBOLS));
                splice(input, value, replacement.as_bytes());
            }
        }
        // Wrap in, or unwrap from, the combined-stream object (sometimes oddly).
        21 => match unwrap_data(input) {
            Some(data) if rng.percent(70) => *input = data,
            _ => {
                let prefix = *rng.pick(WRAPPER_PREFIXES);
                let suffix = *rng.pick(WRAPPER_SUFFIXES);
                *input = [prefix, &input[..], suffix].concat();
            }
        },
        // Splice in a range of another seed.
        22 => {
            let other = &corpus.all[rng.below(corpus.all.len())].payload;
            if !other.is_empty() {
                let start = rng.below(other.len());
                let end = (start + 1 + rng.below(64)).min(other.len());
                let at = rng.up_to(len);
                let cut = (at + rng.below(16)).min(len);
                splice(input, at..cut, &other[start..end]);
            }
        }
        // Invalid UTF-8 inside a string.
        _ => {
            let strings = Tokens::of(input).strings;
            if let Some(string) = strings.get(rng.below(strings.len().max(1))) {
                let at = (string.start + 1).min(input.len());
                let bad = *rng.pick(INVALID_UTF8);
                splice(input, at..at, bad);
            }
        }
    }
}

/// A random sequence of JSON tokens, which now and then is valid JSON.
fn token_soup(rng: &mut Rng, out: &mut Vec<u8>) {
    const SOUP: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"e\"",
        "\"depthUpdate\"",
        "\"bookTicker\"",
        "\"trade\"",
        "\"s\"",
        "\"BTCUSDT\"",
        "\"E\"",
        "\"T\"",
        "\"U\"",
        "\"u\"",
        "\"pu\"",
        "\"b\"",
        "\"a\"",
        "\"B\"",
        "\"A\"",
        "\"p\"",
        "\"q\"",
        "\"t\"",
        "\"m\"",
        "\"X\"",
        "\"stream\"",
        "\"data\"",
        "\"61800.20\"",
        "\"0.001\"",
        "1723161256299",
        "5123107837557",
        "0",
        "true",
        "false",
        "null",
        " ",
    ];
    for _ in 0..1 + rng.below(40) {
        out.extend_from_slice(rng.pick(SOUP).as_bytes());
    }
}

fn fuzz_cases() -> u64 {
    match std::env::var("HALCYON_FUZZ_CASES") {
        Ok(text) => text.replace('_', "").parse().expect("HALCYON_FUZZ_CASES is a number"),
        Err(_) => DEFAULT_FUZZ_CASES,
    }
}

fn fuzz_seed() -> u64 {
    match std::env::var("HALCYON_FUZZ_SEED") {
        Ok(text) => text.parse().expect("HALCYON_FUZZ_SEED is a number"),
        Err(_) => DEFAULT_FUZZ_SEED,
    }
}

/// Where a resync snapshot comes from: the URL names the symbol.
const RESYNC_CHANNEL: &str = "https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT&limit=1000";

/// The real BTCUSDT snapshot (cut to 20 levels a side), to renumber for resyncs.
struct Resync(serde_json::Value);

impl Resync {
    fn new(corpus: &Corpus) -> Resync {
        let snapshot = corpus.stream.iter().find(|seed| event_type(&seed.payload) == "snapshot").unwrap();
        Resync(serde_json::from_slice(&trimmed_snapshot(snapshot, 20).payload).unwrap())
    }

    fn snapshot(&self, last_update_id: u64) -> Vec<u8> {
        let mut snapshot = self.0.clone();
        snapshot["lastUpdateId"] = last_update_id.into();
        serde_json::to_vec(&snapshot).unwrap()
    }
}

/// The `U` of a real depth diff.
fn first_update_id(payload: &[u8]) -> Option<u64> {
    let member =
        Tokens::of(payload).members.into_iter().find(|member| &payload[member.key.clone()] == b"\"U\"")?;
    std::str::from_utf8(&payload[member.value]).ok()?.parse().ok()
}

#[test]
fn mutated_real_frames_never_panic_or_diverge() {
    let (cases, seed) = (fuzz_cases(), fuzz_seed());
    let corpus = Corpus::load();
    let started = Instant::now();
    let mut rng = Rng(seed);
    let mut harness = Harness::new();
    let mut input = Vec::new();
    let (mut cursor, mut burst, mut resyncs) = (0, 0, 0);
    let mut shapes = BTreeMap::<&'static str, u64>::new();
    let resync = Resync::new(&corpus);
    for _ in 0..cases {
        input.clear();
        let base = corpus.pick(&mut rng);
        let (mut receive_time, mut channel) = (base.receive_time, base.channel.as_str());
        if burst == 0 && rng.percent(1) {
            burst = 1 + rng.below(30);
        }
        let shape = if burst > 0 {
            // A run of the real recording, in order. When BTCUSDT's book needs a snapshot (after
            // the gaps the mutated diffs cause), a live feed would fetch one: the resync
            // snapshot is the real one, renumbered to the next diff's `U` so that it chains.
            // If mutated diffs still buffered make it fail, the feed reconnects (a fresh
            // sequencer) and tries once more.
            let frame = &corpus.stream[cursor % corpus.stream.len()];
            let next_first_update_id = first_update_id(&frame.payload);
            if harness.books[0].0.needs_snapshot()
                && resyncs < 2
                && let Some(id) = next_first_update_id
            {
                if resyncs == 1 {
                    harness.reconnect(0);
                }
                resyncs += 1;
                input.extend_from_slice(&resync.snapshot(id));
                (receive_time, channel) = (frame.receive_time, RESYNC_CHANNEL);
                "resync snapshot"
            } else {
                resyncs = 0;
                burst -= 1;
                cursor += 1;
                input.extend_from_slice(&frame.payload);
                (receive_time, channel) = (frame.receive_time, frame.channel.as_str());
                "real, in order"
            }
        } else {
            match rng.below(100) {
                0..=3 => {
                    let length = if rng.percent(90) { rng.below(64) } else { rng.below(2048) };
                    let alphabet: &[u8] =
                        if rng.percent(50) { b"{}[]\":,0123456789.-eE truefalsn\\u\n" } else { &[] };
                    input.extend(
                        (0..length)
                            .map(|_| if alphabet.is_empty() { rng.byte() } else { *rng.pick(alphabet) }),
                    );
                    "random bytes"
                }
                4..=8 => {
                    input.extend_from_slice(&base.payload[..rng.up_to(base.payload.len())]);
                    "truncated"
                }
                9..=13 => {
                    token_soup(&mut rng, &mut input);
                    "token soup"
                }
                _ => {
                    input.extend_from_slice(&base.payload);
                    let most = if rng.percent(70) { 2 } else { 6 };
                    for _ in 0..1 + rng.below(most) {
                        mutate(&mut rng, &mut input, &corpus);
                    }
                    "mutated"
                }
            }
        };
        *shapes.entry(shape).or_default() += 1;
        if shape != "real, in order" && shape != "resync snapshot" {
            if rng.percent(2) {
                receive_time = Nanos(*rng.pick(&[0, -1, 1, i64::MAX, i64::MIN]));
            }
            if rng.percent(3) {
                channel = *rng.pick(CHANNELS);
            }
        }
        run_case(&mut harness, &input, receive_time, channel);
    }
    let elapsed = started.elapsed();
    println!(
        "mutation fuzzer: seed {seed:#x}, {cases} cases in {:.1} s ({:.0} cases/s)\n  shapes: {shapes:?}\n{}",
        elapsed.as_secs_f64(),
        cases as f64 / elapsed.as_secs_f64(),
        harness.tally.summary()
    );
    assert_clean(&harness.tally);
    assert_eq!(harness.tally.cases, cases);
}

#[test]
fn every_truncation_of_every_kind() {
    let stream = binance_usdm_frames();
    let cryptofeed = cryptofeed_frames();
    let smallest = |frames: &[Seed], kind: &str| -> Seed {
        frames
            .iter()
            .filter(|s| event_type(&s.payload) == kind)
            .min_by_key(|s| s.payload.len())
            .unwrap()
            .clone()
    };
    let mut seeds = vec![
        smallest(stream, "depthUpdate"),
        smallest(stream, "bookTicker"),
        smallest(stream, "trade"),
        smallest(cryptofeed, "aggTrade"),
        smallest(cryptofeed, "kline"),
        trimmed_snapshot(&smallest(cryptofeed, "snapshot"), 2),
    ];
    seeds.extend(DOCUMENTED.iter().map(|text| Seed {
        receive_time: Nanos(1),
        channel: String::new(),
        payload: text.as_bytes().to_vec(),
    }));
    let mut harness = Harness::new();
    for seed in &seeds {
        let decoded = harness.tally.ok;
        for cut in 0..seed.payload.len() {
            run_case(&mut harness, &seed.payload[..cut], seed.receive_time, &seed.channel);
        }
        // No proper prefix of a JSON object is valid JSON: none of them decodes.
        assert_eq!(harness.tally.ok, decoded, "a prefix of {} decoded", printable(&seed.payload));
        run_case(&mut harness, &seed.payload, seed.receive_time, &seed.channel);
    }
    println!("{}", harness.tally.summary());
    assert_clean(&harness.tally);
}

// ---------------------------------------------------------------------------------------------
// 3. Generated frames (proptest)

/// A generated payload: members in order, and how to print them.
#[derive(Clone, Debug)]
struct GeneratedFrame {
    members: Vec<(String, String)>,
    wrapped: bool,
    spacing: &'static str,
}

impl GeneratedFrame {
    fn render(&self) -> Vec<u8> {
        let space = self.spacing;
        let body: Vec<String> = self
            .members
            .iter()
            .map(|(key, value)| format!("{space}\"{key}\"{space}:{space}{value}"))
            .collect();
        let payload = format!("{{{}{space}}}", body.join(","));
        let text = if self.wrapped {
            format!("{{\"stream\":\"btcusdt@x\",{space}\"data\":{payload}}}")
        } else {
            payload
        };
        text.into_bytes()
    }
}

fn quoted<T: std::fmt::Display>(text: T) -> String {
    format!("\"{text}\"")
}

fn edge(values: &'static [&'static str]) -> BoxedStrategy<String> {
    prop::sample::select(values).prop_map(str::to_owned).boxed()
}

/// Mostly `valid`, now and then `invalid`: with a dozen fields a frame, a larger share of
/// invalid values would leave almost no frame whole.
fn mostly(valid: BoxedStrategy<String>, invalid: BoxedStrategy<String>) -> BoxedStrategy<String> {
    prop_oneof![30 => valid, 1 => invalid].boxed()
}

fn millis() -> BoxedStrategy<String> {
    let valid = (1_500_000_000_000_u64..1_800_000_000_000).prop_map(|v| v.to_string()).boxed();
    mostly(valid, prop_oneof![any::<u64>().prop_map(|v| v.to_string()), edge(INTEGERS)].boxed())
}

/// An update or trade id in `range` (so that `U <= u` holds when both are valid), or an edge.
fn update_id(range: Range<u64>) -> BoxedStrategy<String> {
    let valid = range.prop_map(|v| v.to_string()).boxed();
    mostly(valid, prop_oneof![any::<u64>().prop_map(|v| v.to_string()), edge(INTEGERS)].boxed())
}

const BAD_DECIMALS: &[&str] = &[
    "\"61800.25\"",
    "\"61800.123456789012345\"",
    "\"123456789012345678901\"",
    "\"-61800.20\"",
    "\"0\"",
    "\"0.00\"",
    "\"\"",
    "\"-\"",
    "\"abc\"",
    "\"6.18e4\"",
    "\"+61800.2\"",
    "\".5\"",
    "\"5.\"",
    "\" 61800.2\"",
    "\"\\u0036\"",
    "\"61800.2\\u0030\"",
    "\"61800.20000000000000000000\"",
    "61800.2",
    "61800",
    "null",
    "[]",
];

/// A price on BTCUSDT's 0.10 tick, as Binance prints it (or with one decimal), or an edge case.
fn price() -> BoxedStrategy<String> {
    let valid = prop_oneof![
        9 => (1_i64..10_000_000_000).prop_map(|ticks| quoted(format!("{}.{}0", ticks / 10, ticks % 10))),
        1 => (1_i64..1_000_000).prop_map(|ticks| quoted(format!("{}.{}", ticks / 10, ticks % 10))),
    ];
    mostly(valid.boxed(), edge(BAD_DECIMALS))
}

/// A quantity on BTCUSDT's 0.001 lot, or an edge case.
fn qty() -> BoxedStrategy<String> {
    let valid = (0_i64..100_000_000).prop_map(|lots| quoted(format!("{}.{:03}", lots / 1000, lots % 1000)));
    mostly(valid.boxed(), edge(BAD_DECIMALS))
}

fn levels() -> BoxedStrategy<String> {
    let level = mostly(
        (price(), qty()).prop_map(|(price, qty)| format!("[{price},{qty}]")).boxed(),
        edge(&[
            "[]",
            "[\"1.0\"]",
            "[\"1.0\",\"2\",\"3\"]",
            "\"1\"",
            "{}",
            "[1,2]",
            "null",
            "[[\"1.0\",\"1\"]]",
        ]),
    );
    mostly(
        prop::collection::vec(level, 0..6).prop_map(|levels| format!("[{}]", levels.join(","))).boxed(),
        edge(&["\"x\"", "null", "{}", "1", "[[]]", "[", "[[\"1.0\",\"1\"],]"]),
    )
}

fn symbol() -> BoxedStrategy<String> {
    mostly(
        edge(&["\"BTCUSDT\"", "\"btcusdt\""]),
        edge(&["\"SUSHIUSDT\"", "\"ETHUSDT\"", "\"\"", "1", "null", "\"BTC\\u0055SDT\""]),
    )
}

fn event_type_value(kind: &'static str) -> BoxedStrategy<String> {
    mostly(
        Just(quoted(kind)).boxed(),
        prop_oneof![prop::sample::select(EVENT_TYPES).prop_map(quoted), edge(&["1", "null", "\"\""])].boxed(),
    )
}

/// The members of `kind` in the order Binance sends them, each with its value strategy.
fn schema(kind: &'static str) -> Vec<(&'static str, BoxedStrategy<String>)> {
    let mut members = vec![("e", event_type_value(kind))];
    match kind {
        "depthUpdate" => members.extend([
            ("E", millis()),
            ("T", millis()),
            ("s", symbol()),
            ("U", update_id(5_123_107_832_000..5_123_107_832_050)),
            ("u", update_id(5_123_107_832_050..5_123_107_832_100)),
            ("pu", update_id(5_123_107_831_900..5_123_107_832_000)),
            ("b", levels()),
            ("a", levels()),
        ]),
        "bookTicker" => members.extend([
            ("u", update_id(0..u64::MAX)),
            ("s", symbol()),
            ("b", price()),
            ("B", qty()),
            ("a", price()),
            ("A", qty()),
            ("T", millis()),
            ("E", millis()),
        ]),
        _ => members.extend([
            ("E", millis()),
            ("T", millis()),
            ("s", symbol()),
            ("t", update_id(0..u64::MAX)),
            ("p", price()),
            ("q", qty()),
            (
                "X",
                mostly(
                    edge(&["\"MARKET\"", "\"LIQUIDATION\"", "\"ADL\"", "\"INSURANCE_FUND\"", "\"\""]),
                    edge(&["1", "null"]),
                ),
            ),
            ("m", mostly(edge(&["true", "false"]), edge(&["1", "\"true\"", "null", "tru"]))),
        ]),
    }
    members
}

fn any_value() -> BoxedStrategy<String> {
    prop_oneof![millis(), price(), levels(), symbol(), edge(ANY_VALUES)].boxed()
}

fn generated_frame() -> impl Strategy<Value = GeneratedFrame> {
    let kind = prop::sample::select(&["depthUpdate", "bookTicker", "trade"][..]);
    kind.prop_flat_map(|kind| {
        let members: Vec<_> = schema(kind)
            .into_iter()
            .map(|(key, value)| {
                (prop::bool::weighted(0.97), value)
                    .prop_map(move |(present, value)| present.then(|| (key.to_owned(), value)))
            })
            .collect();
        let extra = prop::option::weighted(
            0.1,
            (
                prop::sample::select(&["x", "E", "s", "b", "p", "u", "e", "stream"][..]),
                any_value(),
                any::<usize>(),
            ),
        );
        (
            members,
            extra,
            prop::bool::weighted(0.5),
            any::<u64>(),
            any::<bool>(),
            prop::sample::select(&["", " ", "\n ", "\t", "\r\n"][..]),
        )
    })
    .prop_map(|(members, extra, shuffled, order, wrapped, spacing)| {
        let mut members: Vec<(String, String)> = members.into_iter().flatten().collect();
        if shuffled {
            let mut rng = Rng(order);
            for index in (1..members.len()).rev() {
                members.swap(index, rng.up_to(index));
            }
        }
        if let Some((key, value, at)) = extra {
            members.insert(at % (members.len() + 1), (key.to_owned(), value));
        }
        GeneratedFrame { members, wrapped, spacing }
    })
}

#[test]
fn generated_frames_keep_the_contract() {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|text| text.parse().ok()).unwrap_or(20_000);
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let harness = RefCell::new(Harness::new());
    let result = runner.run(&generated_frame(), |frame| {
        let payload = frame.render();
        let mut harness = harness.borrow_mut();
        let violations = harness.check(&payload, Nanos(1_723_161_255_030_314_667), "");
        if violations > 0 {
            let finding = harness.tally.findings.last().cloned().unwrap_or_default();
            return Err(TestCaseError::fail(finding));
        }
        Ok(())
    });
    let harness = harness.into_inner();
    println!("generated frames:\n{}", harness.tally.summary());
    // BUG if this fails: proptest prints the minimal frame that breaks the contract.
    result.unwrap();
    // The generator reaches both sides: frames the scanner takes and frames that are errors.
    assert!(harness.tally.scanned > harness.tally.cases / 20, "{}", harness.tally.summary());
    assert!(harness.tally.errors > harness.tally.cases / 5, "{}", harness.tally.summary());
}

// ---------------------------------------------------------------------------------------------
// 4. Malformed frames and their errors

/// What a table case must decode to.
#[derive(Debug)]
enum Expected {
    /// simd-json rejects it.
    Json,
    /// This error, in this field.
    Error(Field, DecodeErrorKind),
    /// A message of this kind.
    Message(MessageKind),
}

/// `frame` with the value of its first `"key"` member replaced by `value` (raw JSON text).
fn with_value(frame: &[u8], key: &str, value: impl AsRef<[u8]>) -> Vec<u8> {
    let quoted_key = format!("\"{key}\"");
    let tokens = Tokens::of(frame);
    let member = tokens
        .members
        .iter()
        .find(|member| frame[member.key.clone()] == *quoted_key.as_bytes())
        .unwrap_or_else(|| panic!("no {key} in {}", printable(frame)));
    let mut edited = frame.to_vec();
    splice(&mut edited, member.value.clone(), value.as_ref());
    edited
}

/// `frame` without its first `"key"` member.
fn without(frame: &[u8], key: &str) -> Vec<u8> {
    let quoted_key = format!("\"{key}\"");
    let member = Tokens::of(frame)
        .members
        .into_iter()
        .find(|member| frame[member.key.clone()] == *quoted_key.as_bytes())
        .unwrap();
    let mut edited = frame.to_vec();
    let mut range = member.key.start..member.value.end;
    if edited.get(range.end) == Some(&b',') {
        range.end += 1;
    } else if edited[..range.start].last() == Some(&b',') {
        range.start -= 1;
    }
    edited.drain(range);
    edited
}

#[test]
fn malformed_frames_are_the_expected_errors() {
    use DecodeErrorKind::{
        Invalid, Missing, Number, UnknownEventType, UnknownInstrument, UnknownMessage, WrongType,
    };
    let stream = binance_usdm_frames();
    let first = |kind: &str| stream.iter().find(|s| event_type(&s.payload) == kind).unwrap().payload.clone();
    // Real frames: the first bookTicker and trade, and the smallest depth diff.
    let book_ticker = first("bookTicker");
    let trade = first("trade");
    let depth = stream
        .iter()
        .filter(|s| event_type(&s.payload) == "depthUpdate")
        .min_by_key(|s| s.payload.len())
        .unwrap()
        .payload
        .clone();
    let snapshot =
        trimmed_snapshot(stream.iter().find(|s| event_type(&s.payload) == "snapshot").unwrap(), 2).payload;
    let last_update_id: u64 = {
        let tokens = Tokens::of(&depth);
        let u = tokens.members.iter().find(|m| &depth[m.key.clone()] == b"\"u\"").unwrap();
        std::str::from_utf8(&depth[u.value.clone()]).unwrap().parse().unwrap()
    };
    let invalid = |field, reason| Expected::Error(field, Invalid { reason });
    let wrong_type = |field, expected| Expected::Error(field, WrongType { expected });

    let cases: Vec<(&str, Vec<u8>, Expected)> = vec![
        // TC0: the real frames themselves.
        ("real bookTicker", book_ticker.clone(), Expected::Message(MessageKind::BookTicker)),
        ("real trade", trade.clone(), Expected::Message(MessageKind::Trade)),
        ("real depthUpdate", depth.clone(), Expected::Message(MessageKind::DepthUpdate)),
        // TC1: truncated frames.
        ("truncated bookTicker", book_ticker[..book_ticker.len() / 2].to_vec(), Expected::Json),
        ("bookTicker without its last brace", book_ticker[..book_ticker.len() - 1].to_vec(), Expected::Json),
        ("depth cut inside a level", depth[..depth.len() - 12].to_vec(), Expected::Json),
        // TC2: wrong types.
        (
            "\"E\":\"abc\"",
            with_value(&trade, "E", "\"abc\""),
            wrong_type(Field::EventTime, "unsigned integer"),
        ),
        ("\"E\":1e12", with_value(&trade, "E", "1e12"), wrong_type(Field::EventTime, "unsigned integer")),
        ("\"E\":1.5", with_value(&trade, "E", "1.5"), wrong_type(Field::EventTime, "unsigned integer")),
        ("depth \"b\":\"x\"", with_value(&depth, "b", "\"x\""), wrong_type(Field::Bids, "array")),
        (
            "bookTicker \"b\":\"x\"",
            with_value(&book_ticker, "b", "\"x\""),
            Expected::Error(Field::BidPrice, Number(FixedError::Syntax(0))),
        ),
        (
            "bookTicker \"b\":61800.2",
            with_value(&book_ticker, "b", "61800.2"),
            wrong_type(Field::BidPrice, "string"),
        ),
        (
            "depth levels as numbers",
            with_value(&depth, "a", "[[61800.2,1]]"),
            wrong_type(Field::Asks, "[price, quantity] string pairs"),
        ),
        (
            "depth level of three",
            with_value(&depth, "a", r#"[["61800.20","1.000","2"]]"#),
            wrong_type(Field::Asks, "[price, quantity] string pairs"),
        ),
        ("\"m\":\"false\"", with_value(&trade, "m", "\"false\""), wrong_type(Field::BuyerIsMaker, "boolean")),
        ("\"e\":5", with_value(&trade, "e", "5"), wrong_type(Field::EventType, "string")),
        ("\"s\":null", with_value(&trade, "s", "null"), wrong_type(Field::Symbol, "string")),
        ("\"X\":1", with_value(&trade, "X", "1"), wrong_type(Field::OrderType, "string")),
        ("\"stream\":1", with_value(&trade, "stream", "1"), wrong_type(Field::Stream, "string")),
        ("\"data\":\"x\"", with_value(&trade, "data", "\"x\""), wrong_type(Field::Data, "object")),
        ("top-level array", b"[1,2]".to_vec(), wrong_type(Field::Frame, "object")),
        // TC3: missing fields.
        ("depth without u", without(&depth, "u"), Expected::Error(Field::LastUpdateId, Missing)),
        ("depth without pu", without(&depth, "pu"), Expected::Error(Field::PrevLastUpdateId, Missing)),
        ("depth without a", without(&depth, "a"), Expected::Error(Field::Asks, Missing)),
        ("trade without s", without(&trade, "s"), Expected::Error(Field::Symbol, Missing)),
        ("trade without m", without(&trade, "m"), Expected::Error(Field::BuyerIsMaker, Missing)),
        ("bookTicker without A", without(&book_ticker, "A"), Expected::Error(Field::AskQty, Missing)),
        ("empty object", b"{}".to_vec(), Expected::Error(Field::Frame, UnknownMessage)),
        // TC4: numbers off the grid or too long.
        (
            "too many decimals",
            with_value(&trade, "p", "\"61800.123456789012345\""),
            Expected::Error(Field::TradePrice, Number(FixedError::OffGrid)),
        ),
        (
            "too many digits",
            with_value(&trade, "p", "\"123456789012345678901\""),
            Expected::Error(Field::TradePrice, Number(FixedError::Overflow)),
        ),
        (
            "off the 0.10 tick",
            with_value(&trade, "p", "\"61800.25\""),
            Expected::Error(Field::TradePrice, Number(FixedError::OffGrid)),
        ),
        (
            "off the 0.001 lot",
            with_value(&trade, "q", "\"0.0005\""),
            Expected::Error(Field::TradeQty, Number(FixedError::OffGrid)),
        ),
        (
            "empty price",
            with_value(&book_ticker, "a", "\"\""),
            Expected::Error(Field::AskPrice, Number(FixedError::Empty)),
        ),
        (
            "exponent price",
            with_value(&book_ticker, "a", "\"6e4\""),
            Expected::Error(Field::AskPrice, Number(FixedError::Syntax(1))),
        ),
        // TC5: impossible values.
        (
            "negative price",
            with_value(&trade, "p", "\"-61800.20\""),
            invalid(Field::TradePrice, "price not positive"),
        ),
        (
            "zero price",
            with_value(&book_ticker, "b", "\"0.00\""),
            invalid(Field::BidPrice, "price not positive"),
        ),
        (
            "negative level qty",
            with_value(&depth, "b", r#"[["61800.20","-1.000"]]"#),
            invalid(Field::Bids, "negative quantity"),
        ),
        (
            "zero trade size",
            with_value(&trade, "q", "\"0.000\""),
            invalid(Field::TradeQty, "zero trade size"),
        ),
        ("zero event time", with_value(&trade, "E", "0"), invalid(Field::EventTime, "zero time")),
        ("zero transaction time", with_value(&depth, "T", "0"), invalid(Field::TransactionTime, "zero time")),
        ("negative event time", with_value(&depth, "E", "-1"), invalid(Field::EventTime, "negative")),
        (
            "time past i64 nanoseconds",
            with_value(&trade, "E", "9223372036855"),
            invalid(Field::EventTime, "time out of range"),
        ),
        (
            "U > u",
            with_value(&depth, "U", (last_update_id + 1).to_string()),
            invalid(Field::FirstUpdateId, "U > u"),
        ),
        ("negative update id", with_value(&depth, "pu", "-5"), invalid(Field::PrevLastUpdateId, "negative")),
        // TC6: unknown symbol, event type, message.
        (
            "unknown symbol",
            with_value(&trade, "s", "\"ETHUSDT\""),
            Expected::Error(Field::Symbol, UnknownInstrument),
        ),
        (
            "unknown event type",
            with_value(&trade, "e", "\"trades\""),
            Expected::Error(Field::EventType, UnknownEventType),
        ),
        (
            "snapshot with no symbol anywhere",
            snapshot,
            Expected::Error(Field::Frame, DecodeErrorKind::NoSnapshotInstrument),
        ),
        // TC7: not JSON at all.
        ("random bytes", b"\x8f\x00\x13\xfe{\"e\":".to_vec(), Expected::Json),
        ("empty input", Vec::new(), Expected::Json),
        ("whitespace only", b" \n".to_vec(), Expected::Json),
        ("trailing garbage", [&trade[..], b"x"].concat(), Expected::Json),
        ("invalid UTF-8 in a string", with_value(&trade, "X", b"\"MARK\xffET\""), Expected::Json),
        ("number past u64", with_value(&depth, "u", "18446744073709551616"), Expected::Json),
        ("leading zero", with_value(&depth, "u", "01"), Expected::Json),
        // TC8: what the scanner declines and the tape decoder accepts.
        (
            "duplicate key: the first wins",
            with_value(&trade, "p", "\"61800.30\",\"p\":\"1.00\""),
            Expected::Message(MessageKind::Trade),
        ),
        (
            "escaped key",
            with_value(&trade, "m", "false,\"\\u0078\":1"),
            Expected::Message(MessageKind::Trade),
        ),
        (
            "escaped symbol",
            with_value(&trade, "s", "\"BTC\\u0055SDT\""),
            Expected::Message(MessageKind::Trade),
        ),
        (
            "unknown extra key",
            with_value(&book_ticker, "A", "\"2.510\",\"x\":[1,{}]"),
            Expected::Message(MessageKind::BookTicker),
        ),
        ("kline is ignored", DOCUMENTED[5].as_bytes().to_vec(), Expected::Message(MessageKind::Kline)),
    ];

    let mut failures = Vec::new();
    for (name, input, expected) in &cases {
        let mut decoder = Decoder::new(instruments());
        let mut scanner = Decoder::new(instruments());
        let scanned = scanner.decode_with_scan(input, Nanos(1)).map(|message| message.kind());
        let mut copy = input.clone();
        let result = decoder.decode(&mut copy, Nanos(1), "");
        let ok = match (expected, &result) {
            (Expected::Json, Err(error)) => {
                matches!(error.kind(), DecodeErrorKind::Json { .. }) && error.field() == Field::Frame
            }
            (Expected::Error(field, kind), Err(error)) => error.field() == *field && error.kind() == kind,
            (Expected::Message(kind), Ok(message)) => message.kind() == *kind,
            _ => false,
        };
        // Errors are never the scanner's; what it declines (TC8) the tape decoder decides.
        let scanner_ok = match expected {
            Expected::Message(kind) if name.starts_with("real") => scanned == Some(*kind),
            _ => scanned.is_none(),
        };
        if !ok || !scanner_ok {
            failures.push(format!(
                "{name}: expected {expected:?}, got {result:?} (scanner: {scanned:?})\n  input: {}",
                printable(input)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// `markPriceUpdate`'s `"T"` is the next funding time, and delivery contracts send `0` (no
/// funding): the tape decoder's mark-price arm maps `0` to `Nanos::ZERO` for exactly this.
///
/// Regression: the decoder once read any `"T"` as a transaction time and rejected the zero
/// before reaching the mark-price arm (found by this file's truncation seeds).
#[test]
fn mark_price_of_a_delivery_contract_decodes() {
    let mut decoder = Decoder::new(instruments());
    let mut frame = DOCUMENTED[2].as_bytes().to_vec();
    let result = decoder.decode(&mut frame, Nanos(1), "").map(|message| message.kind());
    assert_eq!(result, Ok(MessageKind::MarkPrice), "input: {}", DOCUMENTED[2]);
}
