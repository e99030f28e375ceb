//! What the paper-mode tests share: the real recording, a local venue serving it, and the
//! engine configuration of a bounded paper run against that venue.
#![allow(dead_code)] // each test file uses its own part

use engine::cli::engine_config::{ConfigSource, EngineConfig};
use engine::local_venue::{LocalVenue, Tape, VenueConfig, VenueHandle};
use feeds::Instruments;
use feeds::inspect::OwnedFrame;
use feeds::recording::open_frames;

/// The workspace's instruments.
pub fn instruments() -> Instruments {
    testkit::replay::instruments()
}

/// The recording's frames received within `seconds` of the first.
pub fn recording(seconds: f64) -> Vec<OwnedFrame> {
    let path = testkit::data_dir().join("binance-usdm/btcusdt_20240808.gz");
    let mut reader = open_frames(&path).expect("the BTCUSDT recording");
    let (mut frames, errors) = OwnedFrame::read_all(reader.as_mut());
    assert!(errors.is_empty(), "{errors:?}");
    let first = frames[0].receive_time.0;
    frames.retain(|frame| ((frame.receive_time.0 - first) as f64) < seconds * 1e9);
    frames
}

/// A venue serving `frames` at `speed` times their pace, from their first snapshot on.
pub fn venue(frames: &[OwnedFrame], speed: f64) -> VenueHandle {
    let tape = Tape::from_frames(
        frames.iter().map(|frame| (frame.receive_time, frame.channel.as_str(), frame.payload.clone())),
        &instruments(),
    )
    .expect("tape");
    let mut config = VenueConfig::new(instruments());
    config.speed = speed;
    LocalVenue::start_tape(config, std::sync::Arc::new(tape)).expect("venue starts")
}

/// The engine configuration of a paper run against `venue`, plus `extra` TOML: threads
/// unpinned and the feed in epoll (two cores shared with the venue and the test runner), quick
/// reconnects and resyncs, no Bybit or Deribit (not on loopback), no open interest polling, no
/// control server, and a stop once the stream has been idle for 1.5 s.
pub fn paper_config(venue: &VenueHandle, extra: &str) -> EngineConfig {
    let text = format!(
        r#"
[threads]
pin = false
[live]
ws_url = "ws://{addr}"
poll = "epoll"
stale_after_ms = 3000
initial_backoff_ms = 50
max_backoff_ms = 400
resync_interval_ms = 200
stop_when_idle_ms = 1500
[lanes]
rest_url = "{rest}"
open_interest_interval_s = 0
[lanes.bybit]
enabled = false
[lanes.deribit]
enabled = false
[control]
enabled = false
{extra}
"#,
        addr = venue.addr(),
        rest = venue.rest_url(),
    );
    EngineConfig::from_toml(&text, ConfigSource::BuiltIn).expect("paper config")
}
