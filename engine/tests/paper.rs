//! Paper mode end to end against the local venue on 127.0.0.1: the real BTCUSDT recording
//! served over Binance's protocol by `halcyon venue`'s server, read by the live feed thread
//! (WebSocket, REST snapshot, book procedure), quoted by the same core and filled by the same
//! simulated exchange as `halcyon replay`.
//!
//! Bounded in time: the venue replays a slice of the recording at a multiple of its pace, the
//! engine stops once the stream has been idle for a moment. Threads run unpinned and the feed
//! waits in epoll, so two cores are shared fairly with the venue and the test runner.

mod support;

use engine::cli::engine_config::EngineConfig;
use engine::live::paper::{PaperOptions, PaperRun, run_paper};
use engine::replay::run::{Market, MarketData, Threading, replay};
use feeds::inspect::OwnedFrame;
use feeds::recording::open_frames;
use support::{instruments, paper_config, recording, venue};

fn paper(config: &EngineConfig) -> PaperRun {
    run_paper(config, &instruments(), PaperOptions { no_signal_handler: true, ..PaperOptions::default() })
        .expect("paper run")
}

/// The whole recording through the venue at 40x its pace, against `halcyon replay` of the same
/// recording with the same config.
///
/// Tolerance, and why: the venue serves from the depth diff that straddles the recording's
/// first snapshot (about 40 frames in); the replay also reads the bookTickers and trades before
/// it, which warm the strategy's signals a little earlier, so a handful of quote updates (and
/// the post-only refusals that follow them) differ near the start. Fills, position and PnL are
/// the same. Both runs use a constant feed latency in the simulator: with `"recorded"` it is
/// derived from receive times, which live are this machine's clock at 40x speed, not the
/// recorder's (that run differs by a fill or so; the note of the issue has the numbers).
#[test]
fn paper_mode_quotes_and_fills_as_a_replay_of_the_same_recording() {
    let frames = recording(400.0);
    let venue = venue(&frames, 40.0);
    let config = paper_config(&venue, "[simulator]\nfeed_latency = { constant_us = 2000 }\n");
    let paper = paper(&config);
    venue.shutdown();
    let market = Market {
        instruments: instruments(),
        data: MarketData::Frames(frames),
        regimes: Vec::new(),
        source: "btcusdt_20240808.gz".into(),
        scenario: None,
    };
    let replayed = replay(&market, &config, Threading::Inline).expect("replay");
    let (live, recorded) = (&paper.run.summary, &replayed.summary);
    let line = |summary: &engine::replay::run::ReplaySummary| {
        format!(
            "frames {} fills {} position {} net {:.4} new {} replaces {} cancels {} rejects {} uptime {:?}",
            summary.frames,
            summary.trading.fills,
            summary.trading.inventory.last,
            summary.trading.pnl.net,
            summary.orders.new,
            summary.orders.replaces,
            summary.orders.cancels,
            summary.orders.venue_rejects,
            summary.trading.quote_uptime,
        )
    };
    eprintln!("paper:  {}\nreplay: {}", line(live), line(recorded));
    assert_eq!(paper.feed.stats.disconnects, 0);
    assert_eq!(paper.feed.stats.snapshots, 1, "one snapshot, no resync: {:?}", paper.feed);
    assert_eq!(paper.run.summary.feed.gaps, 0);
    assert_eq!(paper.checks.orders_while_untrusted, 0);
    // Every frame the venue holds reached the core (the replay also has the ~40 before).
    assert!(recorded.frames - live.frames < 100, "{} vs {}", live.frames, recorded.frames);
    assert!(recorded.trading.fills > 0, "the comparison needs fills");
    assert_eq!(live.trading.fills, recorded.trading.fills);
    assert_eq!(live.trading.inventory.last, recorded.trading.inventory.last);
    assert!((live.trading.pnl.net - recorded.trading.pnl.net).abs() < 0.01, "net PnL differs");
    assert_eq!(live.orders.new, recorded.orders.new);
    let replaces = (live.orders.replaces as f64 - recorded.orders.replaces as f64).abs();
    assert!(replaces <= 0.01 * recorded.orders.replaces as f64, "replaces differ by {replaces}");
    assert!(live.orders.venue_rejects.abs_diff(recorded.orders.venue_rejects) <= 3);
}

/// `halcyon record`'s path: a paused paper run with `live.record` captures every frame and the
/// REST snapshot, raw; the capture reads back as a recording and replays without a gap.
#[test]
fn a_recorded_capture_replays_without_a_gap() {
    let frames = recording(60.0);
    let venue = venue(&frames, 30.0);
    let capture = std::env::temp_dir().join(format!("halcyon-capture-{}.txt", std::process::id()));
    let mut config = paper_config(&venue, "");
    config.live.record = Some(capture.clone());
    let options = PaperOptions { no_signal_handler: true, paused: true, ..PaperOptions::default() };
    let paper = run_paper(&config, &instruments(), options).expect("recording run");
    venue.shutdown();
    let captured = paper.feed.captured.expect("the capture was written");
    assert_eq!(captured, paper.run.summary.feed.frames, "every frame the feed handled is in the capture");
    assert_eq!(paper.run.summary.orders.new, 0, "a paused run quotes nothing");

    let mut reader = open_frames(&capture).expect("the capture reads as a recording");
    let (read, errors) = OwnedFrame::read_all(reader.as_mut());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(read.len() as u64, captured);
    let market = Market {
        instruments: instruments(),
        data: MarketData::Frames(read),
        regimes: Vec::new(),
        source: capture.display().to_string(),
        scenario: None,
    };
    let replayed = replay(&market, &config, Threading::Inline).expect("the capture replays");
    assert_eq!(replayed.summary.feed.gaps, 0);
    assert_eq!(replayed.summary.feed.decode_errors, 0);
    assert!(replayed.summary.orders.new > 0, "the replay of the capture quotes");
    let _ = std::fs::remove_file(&capture);
}
