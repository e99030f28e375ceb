//! Shared bench helpers: where the real recording lives, the instrument registry, and frames
//! held in memory so no I/O or decompression is timed.

// Each bench file uses a subset of these helpers.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use criterion::{BenchmarkGroup, measurement::WallTime};
use feeds::Instruments;
use feeds::Nanos;
use feeds::recording::open_frames;

/// The Binance USD-M BTCUSDT recording every bench reads (README.md of the data folder).
pub const RECORDING: &str = "binance-usdm/btcusdt_20240808.gz";

/// The real-data folder: `$HALCYON_DATA` if set, else `shared/data` beside the checkout.
///
/// Panics if the folder or the recording is missing: a bench without its data must fail, not
/// measure nothing.
pub fn recording_path() -> PathBuf {
    let dir = match std::env::var_os("HALCYON_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    };
    assert!(
        dir.is_dir(),
        "real market data folder {} is missing: set HALCYON_DATA or put shared/data beside the checkout",
        dir.display()
    );
    let path = dir.join(RECORDING);
    assert!(path.is_file(), "recording {} is missing from the real market data folder", path.display());
    path
}

/// The default instrument registry (`configs/instruments.toml`).
pub fn instruments() -> Instruments {
    Instruments::from_toml(include_str!("../../configs/instruments.toml"))
        .expect("configs/instruments.toml must parse")
}

/// Calls `each` with every frame of the recording, in order, until it returns `false`.
///
/// Panics on any read error: the recording is known to be clean, so an error means the bench
/// would measure something other than what it claims.
pub fn for_each_frame(mut each: impl FnMut(Nanos, &mut [u8]) -> bool) {
    let path = recording_path();
    let mut reader = open_frames(&path).unwrap_or_else(|error| panic!("cannot open recording: {error}"));
    while let Some(next) = reader.next_frame() {
        let frame = next.unwrap_or_else(|error| panic!("recording read error: {error}"));
        if !each(frame.receive_time, frame.payload) {
            break;
        }
    }
}

/// Frames copied out of the recording into one contiguous buffer, in recording order.
#[derive(Default)]
pub struct FrameSet {
    bytes: Vec<u8>,
    /// `(receive_time, start, end)`: frame `i` is `bytes[start..end]`.
    frames: Vec<(Nanos, usize, usize)>,
}

impl FrameSet {
    /// Appends a copy of one frame.
    pub fn push(&mut self, receive_time: Nanos, payload: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(payload);
        self.frames.push((receive_time, start, self.bytes.len()));
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Total payload bytes.
    pub fn total_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// The longest frame, to size a reusable copy buffer.
    pub fn max_len(&self) -> usize {
        self.frames.iter().map(|&(_, start, end)| end - start).max().unwrap_or(0)
    }

    /// The frames with their receive times.
    pub fn iter(&self) -> impl Iterator<Item = (Nanos, &[u8])> {
        self.frames.iter().map(|&(time, start, end)| (time, &self.bytes[start..end]))
    }
}

/// Copies `frame` into the reused `buffer` (no allocation once it has grown to the longest
/// frame) and returns the copy: simd-json decodes in place, so every iteration needs fresh
/// bytes.
#[inline]
pub fn fresh_copy<'b>(buffer: &'b mut Vec<u8>, frame: &[u8]) -> &'b mut [u8] {
    buffer.clear();
    buffer.extend_from_slice(frame);
    buffer.as_mut_slice()
}

/// Modest measurement settings so both bench files finish in minutes on 2 cores.
pub fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.sample_size(30);
}
