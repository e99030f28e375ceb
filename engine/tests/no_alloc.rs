//! After warm-up, the feed thread and the quoting core allocate nothing: a counting global
//! allocator watches both threads while the real BTCUSDT recording flows through the real
//! feed handler, ring and quoting core (strategy, risk gate, order manager, signing encoder).
//!
//! Each thread reads its own allocation count once it has handled the warm-up frames (the
//! snapshot, the first depth diffs and the first orders size every buffer) and again at the
//! end; any difference is a failure.

mod common;

use engine::clock::TscClock;
use engine::gateway::CountingGateway;
use engine::pipeline::core::QuotingCore;
use engine::pipeline::empty_slot;
use engine::pipeline::feed::{FeedHandler, FrameInput};
use engine::ring::{RingBuilder, SpinThenYield};
use testkit::thread_allocations;

#[global_allocator]
static ALLOCATOR: testkit::CountingAllocator = testkit::CountingAllocator;

/// Frames before counting starts on each thread.
const WARMUP_FRAMES: u64 = 10_000;

#[test]
fn feed_and_core_do_not_allocate_once_warm() {
    let setup = common::Setup::btcusdt(usize::MAX);
    let total = setup.frames.len() as u64;
    assert!(total > 90_000);
    let clock = TscClock::new();
    let mut builder = RingBuilder::new(65_536, empty_slot()).unwrap();
    builder.consumer("quoting core", &[]);
    let (mut producer, mut consumers) = builder.build();
    let mut consumer = consumers.pop().unwrap();
    let mut feed = FeedHandler::new(setup.instruments.clone(), 0);
    let mut core = QuotingCore::new(
        &setup.core_config,
        &setup.instruments,
        setup.encoder(),
        CountingGateway::new(),
        clock.clone(),
    );
    let largest = setup.frames.iter().map(|frame| frame.payload.len()).max().unwrap();

    std::thread::scope(|scope| {
        let core_thread = scope.spawn(move || {
            let mut wait = SpinThenYield::default();
            let mut warm = None;
            while consumer
                .wait_poll(&mut wait, usize::MAX, |event, _| {
                    core.on_event(event);
                    if warm.is_none() && core.stats().frames == WARMUP_FRAMES {
                        warm = Some(thread_allocations());
                    }
                })
                .is_ok()
            {}
            let allocated = thread_allocations() - warm.expect("the core got past the warm-up");
            (core, allocated)
        });
        let frames = &setup.frames;
        let feed_clock = clock.clone();
        let feed_thread = scope.spawn(move || {
            let mut scratch = Vec::with_capacity(largest);
            let mut wait = SpinThenYield::default();
            let mut warm = 0;
            for (index, frame) in frames.iter().enumerate() {
                if index as u64 == WARMUP_FRAMES {
                    warm = thread_allocations();
                }
                scratch.clear();
                scratch.extend_from_slice(&frame.payload);
                let input = FrameInput {
                    payload: &mut scratch,
                    receive_time: frame.receive_time,
                    channel: &frame.channel,
                    in_hand: feed_clock.now(),
                };
                feed.on_frame(input, &feed_clock, &mut producer, &mut wait);
            }
            let allocated = thread_allocations() - warm;
            producer.close();
            (feed, allocated)
        });
        let (feed, feed_allocations) = feed_thread.join().unwrap();
        let (core, core_allocations) = core_thread.join().unwrap();
        assert_eq!(feed.stats().frames, total);
        assert_eq!(core.stats().frames, total, "the core saw every frame");
        // The counted stretch did real work: quotes moved and were re-signed.
        assert!(core.stats().decisions > 50_000, "{:?}", core.stats());
        assert!(core.gateway().messages > 1_000, "{:?}", core.gateway());
        assert_eq!(feed_allocations, 0, "feed thread allocations after {WARMUP_FRAMES} warm-up frames");
        assert_eq!(core_allocations, 0, "quoting core allocations after {WARMUP_FRAMES} warm-up frames");
    });
    // The counter is live: a deliberate allocation is seen.
    let before = thread_allocations();
    drop(std::hint::black_box(Box::new(7_u64)));
    assert!(thread_allocations() > before, "the counting allocator counts");
}

/// The replay path: the quoting core with the simulated exchange as its venue, fills and acks
/// flowing back into the core (order manager, account, the strategy's markouts, the risk
/// gate's PnL). After warm-up, handling events allocates nothing on this thread either.
#[test]
fn the_core_with_the_simulated_exchange_does_not_allocate_once_warm() {
    let mut setup = common::Setup::btcusdt(usize::MAX);
    // Quote as a fee-free maker, tight enough for fills to keep flowing back all run long.
    setup.core_config.strategy.maker_fee_bps = 0.0;
    let clock = TscClock::new();
    let (events, _) = engine::replay::source::decode_frames(&setup.frames, &setup.instruments, &clock);
    let venue =
        engine::venue::SimulatedExchange::new(&engine::venue::VenueConfig::default(), &setup.instruments)
            .expect("default venue");
    let mut core =
        QuotingCore::new(&setup.core_config, &setup.instruments, setup.encoder(), venue, clock.clone());
    let mut warm = None;
    let mut fills_when_warm = 0;
    for event in &events {
        core.on_event(event);
        if warm.is_none() && core.stats().frames == WARMUP_FRAMES {
            warm = Some(thread_allocations());
            fills_when_warm = core.stats().fills;
        }
    }
    let allocated = thread_allocations() - warm.expect("past the warm-up");
    let stats = core.stats();
    assert!(stats.fills > fills_when_warm + 50, "fills flowed back after the warm-up: {stats:?}");
    assert!(stats.venue_acks > 1_000, "{stats:?}");
    assert_eq!(allocated, 0, "allocations after {WARMUP_FRAMES} warm-up frames with the simulated exchange");
}
