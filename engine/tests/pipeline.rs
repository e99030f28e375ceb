//! The threads end to end on the real BTCUSDT recording: every frame reaches every consumer,
//! shutdown drains and joins everything, runs are deterministic, and the typical-bot baseline
//! sends exactly the same order messages as halcyon's pipeline.
//!
//! Runs are unpinned with yielding waits and short (a slice of the recording, released back to
//! back), so they never busy-spin both cores of a CI machine for long.

mod common;

use engine::bench::baseline::run_baseline;
use engine::clock::TscClock;
use engine::pipeline::pacing::{Pacing, Schedule};
use engine::pipeline::{PipelineConfig, PipelineReport, run_recorded};
use engine::sys::affinity::CorePlan;
use std::sync::mpsc;
use std::time::Duration;

const FRAMES: usize = 20_000;

fn config(ring_capacity: usize) -> PipelineConfig {
    PipelineConfig {
        ring_capacity,
        feed_core: None,
        quoting_core: None,
        pacing: Pacing::Burst,
        journal: None,
        telemetry_every: Duration::ZERO,
    }
}

/// Runs the pipeline on a watchdog: a shutdown that hangs fails the test instead of the CI job.
fn run(ring_capacity: usize) -> PipelineReport {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let setup = common::Setup::btcusdt(FRAMES);
        let report = run_recorded(
            &setup.frames,
            &setup.instruments,
            &setup.core_config,
            setup.encoder(),
            &config(ring_capacity),
            &CorePlan::detect(),
            &TscClock::new(),
        )
        .expect("pipeline runs");
        let _ = sender.send(report);
    });
    receiver.recv_timeout(Duration::from_secs(120)).expect("the pipeline shut down and joined its threads")
}

#[test]
fn every_frame_reaches_every_consumer_and_shutdown_drains() {
    // 4096 slots: a depth snapshot alone is 2,000 events, so the ring wraps many times and the
    // producer is gated by the slow (parked) recorder and telemetry consumers.
    let report = run(4096);
    assert_eq!(report.frames, FRAMES as u64);
    assert_eq!(report.feed.decode_errors, 0);
    assert_eq!(report.core.frames, FRAMES as u64, "the core closed every frame");
    assert_eq!(report.recorder.frames, FRAMES as u64, "the recorder drained");
    assert_eq!(report.telemetry.frames, FRAMES as u64, "telemetry drained");
    assert_eq!(report.recorder.events, report.feed.events, "no event lost or duplicated");
    assert_eq!(report.core.events, report.feed.events + FRAMES as u64);
    let telemetry = report.telemetry;
    let market = telemetry.book_levels + telemetry.book_clears + telemetry.bbos + telemetry.trades;
    assert_eq!(market, report.feed.events);
    // The recording's snapshot arrives ~0.3 s in; after it the book is trusted and we quote.
    assert!(report.core.decisions > 10_000, "{:?}", report.core);
    assert!(report.core.new_orders >= 2, "{:?}", report.core);
    assert!(report.gateway.messages > 100, "{:?}", report.gateway);
    assert_eq!(report.core.encode_errors, 0);
    assert_eq!(report.core.book_errors, 0);
    let end_to_end = report.latency.get(engine::latency::Metric::EndToEnd).expect("end to end recorded");
    assert_eq!(end_to_end.all.count, (FRAMES - common::WARMUP as usize) as u64);
}

#[test]
fn runs_are_deterministic_whatever_the_ring_size() {
    let first = run(4096);
    let second = run(65_536);
    assert_eq!(first.recorder.digest, second.recorder.digest, "same events");
    assert_eq!(first.gateway, second.gateway, "same order messages, byte for byte");
    assert_eq!(first.core, second.core);
}

#[test]
fn the_baseline_sends_the_same_orders() {
    let setup = common::Setup::btcusdt(FRAMES);
    let clock = TscClock::new();
    let plan = CorePlan::detect();
    let ours = run_recorded(
        &setup.frames,
        &setup.instruments,
        &setup.core_config,
        setup.encoder(),
        &config(65_536),
        &plan,
        &clock,
    )
    .unwrap();
    let times: Vec<_> = setup.frames.iter().map(|frame| frame.receive_time).collect();
    let schedule = Schedule::new(&times, Pacing::Burst);
    let placement = plan.place(&[("feed", None), ("quoting core", None)]);
    let theirs = run_baseline(
        &setup.frames,
        &schedule,
        &setup.instruments,
        &setup.core_config,
        setup.encoder(),
        &placement,
        &clock,
    )
    .unwrap();
    assert_eq!(theirs.unparsed, 0);
    assert_eq!(theirs.core, ours.core, "the same decisions");
    assert_eq!(theirs.orders, ours.gateway, "the same bytes");
}

#[test]
fn malformed_frames_are_counted_and_the_run_goes_on() {
    // Synthetic defects, made in memory from the real frames (the recording has none): every
    // 500th frame is cut in half, every 777th replaced by garbage.
    let mut setup = common::Setup::btcusdt(FRAMES);
    let mut damaged = 0;
    for (index, frame) in setup.frames.iter_mut().enumerate() {
        if index > 0 && index % 500 == 0 {
            let half = frame.payload.len() / 2;
            frame.payload.truncate(half);
            damaged += 1;
        } else if index > 0 && index % 777 == 0 {
            frame.payload = b"\x00\xffnot json at all".to_vec();
            damaged += 1;
        }
    }
    let report = run_recorded(
        &setup.frames,
        &setup.instruments,
        &setup.core_config,
        setup.encoder(),
        &config(65_536),
        &CorePlan::detect(),
        &TscClock::new(),
    )
    .expect("pipeline runs");
    assert_eq!(report.feed.decode_errors, damaged);
    // Every frame, damaged or not, still closes at the core and reaches every consumer.
    assert_eq!(report.core.frames, FRAMES as u64);
    assert_eq!(report.recorder.frames, FRAMES as u64);
    assert_eq!(report.telemetry.frames, FRAMES as u64);
    assert_eq!(report.recorder.events, report.feed.events);
    // A cut depth diff breaks the update-id chain: the sequencer reports the gap, the book
    // resyncs only with a snapshot (none follows in this slice), and quoting stops rather than
    // quoting off a broken book.
    assert!(report.feed.gaps >= 1, "{:?}", report.feed);
    assert!(report.core.cancels >= 1 || report.core.rejected >= 1, "{:?}", report.core);
}
