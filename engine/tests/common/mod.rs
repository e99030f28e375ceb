//! Shared helpers for the engine's integration tests: the real data, the shipped configuration.
#![allow(dead_code)]

use engine::cli::engine_config::EngineConfig;
use engine::order::BinanceOrderEncoder;
use engine::pipeline::core::CoreConfig;
use feeds::Instruments;
use feeds::inspect::OwnedFrame;
use feeds::recording::open_frames;
use std::path::PathBuf;
use testkit::data_dir;

/// Frames handled before latencies are recorded, in these tests.
pub const WARMUP: u64 = 1_000;

/// The repository's `configs/` folder.
pub fn configs_dir() -> PathBuf {
    testkit::workspace_root().join("configs")
}

/// Frames of the real BTCUSDT recording, the shipped instruments and engine configuration.
pub struct Setup {
    /// The first frames of `binance-usdm/btcusdt_20240808.gz`.
    pub frames: Vec<OwnedFrame>,
    /// `configs/instruments.toml`.
    pub instruments: Instruments,
    /// `configs/halcyon.toml`'s core settings, with [`WARMUP`].
    pub core_config: CoreConfig,
}

impl Setup {
    /// The first `frames` frames of the BTCUSDT recording.
    pub fn btcusdt(frames: usize) -> Setup {
        let path = data_dir().join("binance-usdm/btcusdt_20240808.gz");
        let mut reader = open_frames(&path).expect("open the recording");
        let (mut all, errors) = OwnedFrame::read_all(reader.as_mut());
        assert!(errors.is_empty(), "{errors:?}");
        all.truncate(frames);
        let text = std::fs::read_to_string(configs_dir().join("instruments.toml")).unwrap();
        let instruments = Instruments::from_toml(&text).unwrap();
        let config = EngineConfig::load(Some(&configs_dir().join("halcyon.toml"))).expect("shipped config");
        let core_config = config.core_config(&instruments, WARMUP).unwrap();
        Setup { frames: all, instruments, core_config }
    }

    /// An encoder with a test credential.
    pub fn encoder(&self) -> BinanceOrderEncoder {
        BinanceOrderEncoder::new("test-key", b"test-secret", &self.instruments).expect("encoder")
    }
}
