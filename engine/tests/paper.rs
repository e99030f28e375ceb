//! Paper mode end to end against the local venue on 127.0.0.1: the real BTCUSDT recording
//! served over Binance's protocol by `halcyon venue`'s server, read by the live feed thread
//! (WebSocket, REST snapshot, book procedure), quoted by the same core and filled by the same
//! simulated exchange as `halcyon replay`.
//!
//! Bounded in time: the venue replays a slice of the recording at a multiple of its pace, the
//! engine stops once the stream has been idle for a moment. Threads run unpinned and the feed
//! waits in epoll, so two cores are shared fairly with the venue and the test runner.

use engine::cli::engine_config::{ConfigSource, EngineConfig};
use engine::live::paper::{PaperOptions, PaperRun, run_paper};
use engine::local_venue::{LocalVenue, Tape, VenueConfig, VenueHandle};
use engine::replay::run::{Market, MarketData, Threading, replay};
use feeds::Instruments;
use feeds::inspect::OwnedFrame;
use feeds::recording::open_frames;

fn instruments() -> Instruments {
    testkit::replay::instruments()
}

/// The recording's frames received within `seconds` of the first.
fn recording(seconds: f64) -> Vec<OwnedFrame> {
    let path = testkit::data_dir().join("binance-usdm/btcusdt_20240808.gz");
    let mut reader = open_frames(&path).expect("the BTCUSDT recording");
    let (mut frames, errors) = OwnedFrame::read_all(reader.as_mut());
    assert!(errors.is_empty(), "{errors:?}");
    let first = frames[0].receive_time.0;
    frames.retain(|frame| ((frame.receive_time.0 - first) as f64) < seconds * 1e9);
    frames
}

fn venue(frames: &[OwnedFrame], speed: f64) -> VenueHandle {
    let tape = Tape::from_frames(
        frames.iter().map(|frame| (frame.receive_time, frame.channel.as_str(), frame.payload.clone())),
        &instruments(),
    )
    .expect("tape");
    let mut config = VenueConfig::new(instruments());
    config.speed = speed;
    LocalVenue::start_tape(config, std::sync::Arc::new(tape)).expect("venue starts")
}

/// The engine configuration of a paper run against `venue`, plus `extra` TOML.
fn paper_config(venue: &VenueHandle, extra: &str) -> EngineConfig {
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

fn paper(config: &EngineConfig) -> PaperRun {
    run_paper(config, &instruments(), PaperOptions { no_signal_handler: true, ..PaperOptions::default() })
        .expect("paper run")
}

#[test]
fn paper_mode_quotes_and_fills_as_a_replay_of_the_same_recording() {
    let frames = recording(120.0);
    let venue = venue(&frames, 20.0);
    let config = paper_config(&venue, "");
    let paper = paper(&config);
    venue.shutdown();
    let market = Market {
        instruments: instruments(),
        data: MarketData::Frames(frames),
        regimes: Vec::new(),
        source: "btcusdt_20240808.gz, first 120 s".into(),
        scenario: None,
    };
    let replayed = replay(&market, &config, Threading::Inline).expect("replay");
    let (live, recorded) = (&paper.run.summary, &replayed.summary);
    eprintln!(
        "paper: frames {} fills {} position {} net {:.4} new {} | replay: frames {} fills {} position {} net {:.4} new {}",
        live.frames,
        live.trading.fills,
        live.trading.inventory.last,
        live.trading.pnl.net,
        live.orders.new,
        recorded.frames,
        recorded.trading.fills,
        recorded.trading.inventory.last,
        recorded.trading.pnl.net,
        recorded.orders.new,
    );
    assert_eq!(paper.feed.stats.disconnects, 0);
    assert_eq!(paper.checks.orders_while_untrusted, 0);
    assert!(live.orders.new > 0 && recorded.orders.new > 0);
}
