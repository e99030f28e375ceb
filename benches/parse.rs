//! Parse throughput per hot frame kind, on real Binance USD-M frames.
//!
//! One group per kind (`depthUpdate`, `bookTicker`, `trade`), each timing the same
//! [`FRAMES_PER_KIND`] frames (the first of that kind in the recording) through:
//!
//! - `copy_only`: copying each frame into the reused buffer, and nothing else. Every other path
//!   makes the same copy (simd-json decodes in place, so it needs fresh bytes each time), so
//!   this is the harness's own overhead: subtract it to get a path's parse cost alone.
//! - `scanner`: [`Decoder::decode_with_scan`], halcyon's schema-specific fast path, frame to a
//!   ticks/lots message.
//! - `decoder`: [`Decoder::decode`], what production runs (scan, fall back to the tape).
//! - `simd_json_tape`: [`Decoder::decode_with_tape`], the simd-json tape read straight into
//!   ticks and lots.
//! - `serde_json_typed`: the plain baseline, `serde_json::from_slice` into `#[derive(Deserialize)]`
//!   structs with borrowed `&str` prices and quantities. Parse only: no conversion to ticks, so
//!   it does strictly less than the halcyon paths. The acceptance target is halcyon's path at
//!   ≤ 0.5× this per hot kind.
//! - `simd_json_serde`: the same structs through `simd_json::serde::from_slice`, which
//!   allocates its parse buffers on every call; `simd_json_serde_reused` reuses them
//!   (`from_slice_with_buffers`), as the tape decoder does.
//!
//! One iteration parses the whole set; the throughput is `Elements(frames)`, so criterion's
//! "thrpt" is frames per second and the time divided by the frame count is ns per frame.

mod common;

use std::hint::black_box;

use common::{FrameSet, configure, fresh_copy};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use feeds::Instruments;
use feeds::venue::binance::{Decoder, MessageKind};
use serde::Deserialize;

/// Frames of each kind in a set: enough to mix sizes and prices, small enough that one
/// iteration of the slowest path over the `depthUpdate` set stays around five milliseconds.
const FRAMES_PER_KIND: usize = 2_000;

/// The hot kinds, with their group names (the payload's `"e"`).
const HOT_KINDS: [(MessageKind, &str); 3] = [
    (MessageKind::DepthUpdate, "depthUpdate"),
    (MessageKind::BookTicker, "bookTicker"),
    (MessageKind::Trade, "trade"),
];

// The serde baseline: the combined-stream wrapper and the three payloads, every field the
// halcyon paths read, decimal strings borrowed from the input. Fields are parsed, never read.

/// `{"stream":"…","data":{…}}`.
#[derive(Deserialize)]
#[allow(dead_code)]
struct Stream<'a, Payload> {
    stream: &'a str,
    data: Payload,
}

/// `depthUpdate` payload.
#[derive(Deserialize)]
#[allow(dead_code)]
struct DepthUpdateJson<'a> {
    #[serde(rename = "e")]
    event_type: &'a str,
    #[serde(rename = "E")]
    event_time: u64,
    #[serde(rename = "T")]
    transaction_time: u64,
    #[serde(rename = "s")]
    symbol: &'a str,
    #[serde(rename = "U")]
    first_update_id: u64,
    #[serde(rename = "u")]
    last_update_id: u64,
    #[serde(rename = "pu")]
    prev_last_update_id: u64,
    #[serde(rename = "b", borrow)]
    bids: Vec<(&'a str, &'a str)>,
    #[serde(rename = "a", borrow)]
    asks: Vec<(&'a str, &'a str)>,
}

/// `bookTicker` payload.
#[derive(Deserialize)]
#[allow(dead_code)]
struct BookTickerJson<'a> {
    #[serde(rename = "e")]
    event_type: &'a str,
    #[serde(rename = "u")]
    update_id: u64,
    #[serde(rename = "s")]
    symbol: &'a str,
    #[serde(rename = "b")]
    bid_price: &'a str,
    #[serde(rename = "B")]
    bid_qty: &'a str,
    #[serde(rename = "a")]
    ask_price: &'a str,
    #[serde(rename = "A")]
    ask_qty: &'a str,
    #[serde(rename = "T")]
    transaction_time: u64,
    #[serde(rename = "E")]
    event_time: u64,
}

/// `trade` payload.
#[derive(Deserialize)]
#[allow(dead_code)]
struct TradeJson<'a> {
    #[serde(rename = "e")]
    event_type: &'a str,
    #[serde(rename = "E")]
    event_time: u64,
    #[serde(rename = "T")]
    transaction_time: u64,
    #[serde(rename = "s")]
    symbol: &'a str,
    #[serde(rename = "t")]
    trade_id: u64,
    #[serde(rename = "p")]
    price: &'a str,
    #[serde(rename = "q")]
    qty: &'a str,
    #[serde(rename = "X")]
    order_type: &'a str,
    #[serde(rename = "m")]
    buyer_is_maker: bool,
}

/// A payload type for every input lifetime, so one generic bench serves all kinds.
trait Schema {
    /// The borrowed payload struct.
    type Payload<'a>: Deserialize<'a>;
}

struct DepthUpdateSchema;
struct BookTickerSchema;
struct TradeSchema;

impl Schema for DepthUpdateSchema {
    type Payload<'a> = DepthUpdateJson<'a>;
}
impl Schema for BookTickerSchema {
    type Payload<'a> = BookTickerJson<'a>;
}
impl Schema for TradeSchema {
    type Payload<'a> = TradeJson<'a>;
}

type Wire<'a, S> = Stream<'a, <S as Schema>::Payload<'a>>;

/// The first [`FRAMES_PER_KIND`] frames of each hot kind, classified by the production decoder.
fn load_frames(instruments: &Instruments) -> [FrameSet; 3] {
    let mut sets: [FrameSet; 3] = Default::default();
    let mut decoder = Decoder::new(instruments.clone());
    let mut scratch = Vec::new();
    common::for_each_frame(|receive_time, payload| {
        scratch.clear();
        scratch.extend_from_slice(payload);
        let kind = decoder
            .decode(&mut scratch, receive_time, "")
            .unwrap_or_else(|error| panic!("recorded frame does not decode: {error}"))
            .kind();
        if let Some(index) = HOT_KINDS.iter().position(|&(hot, _)| hot == kind)
            && sets[index].len() < FRAMES_PER_KIND
        {
            sets[index].push(receive_time, payload);
        }
        sets.iter().any(|set| set.len() < FRAMES_PER_KIND)
    });
    for (set, (_, name)) in sets.iter().zip(HOT_KINDS) {
        assert_eq!(set.len(), FRAMES_PER_KIND, "the recording has too few {name} frames");
    }
    sets
}

/// Checks that every path accepts every frame of the set, so no bench times an error path.
fn check_frames<S: Schema>(frames: &FrameSet, kind: MessageKind, instruments: &Instruments) {
    let mut decoder = Decoder::new(instruments.clone());
    let mut buffer = Vec::new();
    for (index, (time, frame)) in frames.iter().enumerate() {
        let scanned = decoder.decode_with_scan(frame, time).map(|message| message.kind());
        assert_eq!(scanned, Some(kind), "scanner declined {kind:?} frame {index}");
        let decoded = decoder.decode(fresh_copy(&mut buffer, frame), time, "").map(|message| message.kind());
        assert_eq!(decoded, Ok(kind), "decoder failed on {kind:?} frame {index}");
        let taped = decoder.decode_with_tape(fresh_copy(&mut buffer, frame), time, "").map(|m| m.kind());
        assert_eq!(taped, Ok(kind), "tape decoder failed on {kind:?} frame {index}");
        if let Err(error) = serde_json::from_slice::<Wire<'_, S>>(frame) {
            panic!("serde_json failed on {kind:?} frame {index}: {error}");
        }
        if let Err(error) = simd_json::serde::from_slice::<Wire<'_, S>>(fresh_copy(&mut buffer, frame)) {
            panic!("simd_json serde failed on {kind:?} frame {index}: {error}");
        }
    }
    assert_eq!(decoder.stats().tape, 0, "production decoder fell back to the tape on {kind:?}");
}

fn bench_kind<S: Schema>(c: &mut Criterion, frames: &FrameSet, kind: MessageKind, name: &str) {
    let instruments = common::instruments();
    check_frames::<S>(frames, kind, &instruments);
    eprintln!(
        "{name}: {} frames, {} bytes, {:.0} bytes/frame",
        frames.len(),
        frames.total_bytes(),
        frames.total_bytes() as f64 / frames.len() as f64
    );
    let mut group = c.benchmark_group(name);
    configure(&mut group);
    group.throughput(Throughput::Elements(frames.len() as u64));
    let mut buffer = Vec::with_capacity(frames.max_len());

    group.bench_function("copy_only", |b| {
        b.iter(|| {
            for (_, frame) in frames.iter() {
                black_box(fresh_copy(&mut buffer, frame));
            }
        })
    });

    // NB: the scanner reads `&[u8]` and needs no copy; it makes one anyway so that every path
    // carries the same harness overhead (`copy_only`).
    let mut decoder = Decoder::new(instruments.clone());
    group.bench_function("scanner", |b| {
        b.iter(|| {
            for (time, frame) in frames.iter() {
                black_box(decoder.decode_with_scan(fresh_copy(&mut buffer, frame), time));
            }
        })
    });

    group.bench_function("decoder", |b| {
        b.iter(|| {
            for (time, frame) in frames.iter() {
                let _ = black_box(decoder.decode(fresh_copy(&mut buffer, frame), time, ""));
            }
        })
    });

    group.bench_function("simd_json_tape", |b| {
        b.iter(|| {
            for (time, frame) in frames.iter() {
                let _ = black_box(decoder.decode_with_tape(fresh_copy(&mut buffer, frame), time, ""));
            }
        })
    });

    group.bench_function("serde_json_typed", |b| {
        b.iter(|| {
            for (_, frame) in frames.iter() {
                let _ = black_box(serde_json::from_slice::<Wire<'_, S>>(fresh_copy(&mut buffer, frame)));
            }
        })
    });

    group.bench_function("simd_json_serde", |b| {
        b.iter(|| {
            for (_, frame) in frames.iter() {
                let _ =
                    black_box(simd_json::serde::from_slice::<Wire<'_, S>>(fresh_copy(&mut buffer, frame)));
            }
        })
    });

    let mut buffers = simd_json::Buffers::new(frames.max_len());
    group.bench_function("simd_json_serde_reused", |b| {
        b.iter(|| {
            for (_, frame) in frames.iter() {
                let _ = black_box(simd_json::serde::from_slice_with_buffers::<Wire<'_, S>>(
                    fresh_copy(&mut buffer, frame),
                    &mut buffers,
                ));
            }
        })
    });

    group.finish();
}

fn parse(c: &mut Criterion) {
    let instruments = common::instruments();
    let [depth, ticker, trade] = load_frames(&instruments);
    bench_kind::<DepthUpdateSchema>(c, &depth, HOT_KINDS[0].0, HOT_KINDS[0].1);
    bench_kind::<BookTickerSchema>(c, &ticker, HOT_KINDS[1].0, HOT_KINDS[1].1);
    bench_kind::<TradeSchema>(c, &trade, HOT_KINDS[2].0, HOT_KINDS[2].1);
}

criterion_group!(benches, parse);
criterion_main!(benches);
