//! The live feed thread allocates nothing per frame once connected: the real recording served
//! by the local venue over `ws://`, read by [`LiveSource`] (socket, stamping, decoding,
//! sequencing, publishing, snapshot bookkeeping, slow-lane polling, heartbeats, metrics), into
//! a ring a consumer drains.
//!
//! What a connection costs once (the upgrade, buffers sized to the largest frame, the snapshot
//! request) does not depend on how long it runs, so the check is differential: a run three
//! times as long must not allocate more, beyond a few buffers growing to a larger frame.

mod support;

use crossbeam_channel::bounded;
use engine::clock::TscClock;
use engine::live::source::{LiveSource, LiveWiring};
use engine::metrics::Metrics;
use engine::pipeline::FeedSource;
use engine::pipeline::empty_slot;
use engine::pipeline::feed::FeedHandler;
use engine::ring::{RingBuilder, SpinThenYield};
use feeds::InstrumentId;
use feeds::lanes::{LaneQueue, SlowLanes};
use feeds::net::MarketStream;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use support::{instruments, paper_config, recording, venue};
use testkit::thread_allocations;

#[global_allocator]
static ALLOCATOR: testkit::CountingAllocator = testkit::CountingAllocator;

/// Frames the feed thread handled and the allocations it made, over `seconds` of the recording.
fn feed_thread(seconds: f64) -> (u64, u64) {
    let venue = venue(&recording(seconds), 30.0);
    let config = paper_config(&venue, "");
    let instruments = instruments();
    let queue = LaneQueue::new(64);
    let lanes = SlowLanes::start(&config.lanes, &instruments, queue.clone()).expect("lanes");
    let stream = MarketStream::new(&config.live.stream_config(&["BTCUSDT".to_owned()])).expect("stream");
    let metrics = Metrics::new(&["BTCUSDT"]);
    let (report, _reports) = bounded(1);
    let source = LiveSource::new(
        stream,
        &config.live,
        &[(InstrumentId(0), "BTCUSDT".to_owned())],
        LiveWiring {
            requests: lanes.snapshot_requests(),
            responses: lanes.snapshot_responses(),
            lanes: Some(queue),
            tap: None,
            metrics: Some(metrics.feed()),
            lane_metrics: None,
            stop: Arc::new(AtomicBool::new(false)),
            report,
        },
    );
    let mut builder = RingBuilder::new(65_536, empty_slot()).expect("ring");
    builder.consumer("drain", &[]);
    let (mut producer, mut consumers) = builder.build();
    let mut consumer = consumers.pop().expect("one consumer");
    let mut feed = FeedHandler::new(instruments.clone(), 0);
    let clock = TscClock::new();
    let (frames, allocated) = std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut wait = SpinThenYield::default();
            while consumer.wait_poll(&mut wait, usize::MAX, |_, _| ()).is_ok() {}
        });
        let feed_thread = scope.spawn(move || {
            let before = thread_allocations();
            source.run(&mut feed, &mut producer, &mut SpinThenYield::default(), &clock, false);
            let allocated = thread_allocations() - before;
            producer.close();
            (feed.stats().frames, allocated)
        });
        feed_thread.join().expect("the feed thread")
    });
    lanes.shutdown();
    venue.shutdown();
    (frames, allocated)
}

#[test]
fn the_live_feed_thread_does_not_allocate_per_frame() {
    let (short_frames, short) = feed_thread(30.0);
    let (long_frames, long) = feed_thread(90.0);
    eprintln!(
        "30 s: {short_frames} frames, {short} allocations; 90 s: {long_frames} frames, {long} allocations"
    );
    assert!(long_frames > short_frames + 10_000, "{short_frames} vs {long_frames}");
    assert!(
        long <= short + 32,
        "{} more frames made {} more allocations on the feed thread",
        long_frames - short_frames,
        long.saturating_sub(short)
    );
}
