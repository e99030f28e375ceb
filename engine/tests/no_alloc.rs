//! After warm-up, the feed thread and the quoting core allocate nothing: a counting global
//! allocator watches both threads while the real BTCUSDT recording flows through the real
//! feed handler, ring and quoting core (strategy, risk gate, order manager, signing encoder).
//!
//! Each thread turns counting on for itself once it has handled the warm-up frames (the
//! snapshot, the first depth diffs and the first orders size every buffer); every allocation,
//! reallocation or free made on a counting thread after that is a failure.

mod common;

use engine::clock::TscClock;
use engine::gateway::CountingGateway;
use engine::pipeline::core::QuotingCore;
use engine::pipeline::empty_slot;
use engine::pipeline::feed::{FeedHandler, FrameInput};
use engine::ring::{RingBuilder, SpinThenYield};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn note() {
    // `try_with`: thread-locals may be gone while a thread is torn down.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: forwards every call to the system allocator unchanged; counting has no effect on the
// memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same layout contract as our caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note();
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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
            while consumer
                .wait_poll(&mut wait, usize::MAX, |event, _| {
                    core.on_event(event);
                    if core.stats().frames == WARMUP_FRAMES {
                        COUNTING.with(|counting| counting.set(true));
                    }
                })
                .is_ok()
            {}
            COUNTING.with(|counting| counting.set(false));
            core
        });
        let frames = &setup.frames;
        let feed_clock = clock.clone();
        let feed_thread = scope.spawn(move || {
            let mut scratch = Vec::with_capacity(largest);
            let mut wait = SpinThenYield::default();
            for (index, frame) in frames.iter().enumerate() {
                if index as u64 == WARMUP_FRAMES {
                    COUNTING.with(|counting| counting.set(true));
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
            COUNTING.with(|counting| counting.set(false));
            producer.close();
            feed
        });
        let feed = feed_thread.join().unwrap();
        let core = core_thread.join().unwrap();
        assert_eq!(feed.stats().frames, total);
        assert_eq!(core.stats().frames, total, "the core saw every frame");
        // The counted stretch did real work: quotes moved and were re-signed.
        assert!(core.stats().decisions > 50_000, "{:?}", core.stats());
        assert!(core.gateway().messages > 1_000, "{:?}", core.gateway());
    });
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed),
        0,
        "allocations on the feed or core thread after {WARMUP_FRAMES} warm-up frames"
    );
    // The counter is live: a deliberate allocation on a counting thread is seen.
    COUNTING.with(|counting| counting.set(true));
    let boxed = std::hint::black_box(Box::new(7_u64));
    COUNTING.with(|counting| counting.set(false));
    drop(boxed);
    assert!(ALLOCATIONS.load(Ordering::Relaxed) >= 1, "the counting allocator counts");
}
