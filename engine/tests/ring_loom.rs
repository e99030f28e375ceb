//! Loom models of the ring's protocol: every interleaving (up to a preemption bound) and every
//! value the C11 memory model lets each load return, on rings of 2 slots and a handful of items.
//!
//! ```sh
//! CARGO_TARGET_DIR=target/loom RUSTFLAGS="--cfg halcyon_loom" \
//!     cargo test -p halcyon-engine --release --test ring_loom
//! ```
//!
//! Slot cells are `loom::cell::UnsafeCell`s, so loom itself fails a model in which the producer
//! writes a slot while a consumer reads it (a torn read); the models also check each value.
//! Waits spin through `loom::thread::yield_now` (the strategies do so under `cfg(halcyon_loom)`), and a
//! park timeout is modelled as one that expires at once, except with `Blocking::untimed()`,
//! where a lost wake-up is a deadlock loom reports.
#![cfg(halcyon_loom)]

use engine::ring::{Blocking, BusySpin, Closed, Consumer, RingBuilder, WaitStrategy};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicU64, Ordering};
use loom::thread;

/// A slot of two words, both derived from the sequence; `FILL` matches no sequence.
type Pair = [u64; 2];
const FILL: Pair = [u64::MAX; 2];

fn pair(sequence: u64) -> Pair {
    [sequence * 3 + 1, sequence * 5 + 2]
}

/// Preemption bound of most models: 3 finds the usual two- and three-preemption bugs and keeps
/// each model under a second. The two with a parked consumer and a spinning producer use 2
/// (at 3 they take 20-80 s each). `RING_LOOM_PREEMPTIONS=n` sets every model's bound, for a
/// deeper run.
const PREEMPTIONS: usize = 3;

/// Runs `model` under loom with the given preemption bound (see [`PREEMPTIONS`]).
fn check(preemptions: usize, model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound =
        Some(std::env::var("RING_LOOM_PREEMPTIONS").map_or(preemptions, |bound| bound.parse().unwrap()));
    builder.check(model);
}

/// Reads until `Closed`, asserting 0, 1, 2, … with intact contents; calls `each` per slot.
fn drain(
    consumer: &mut Consumer<Pair>,
    mut wait: impl WaitStrategy,
    max: usize,
    mut each: impl FnMut(u64),
) -> u64 {
    let mut next = 0;
    while consumer
        .wait_poll(&mut wait, max, |value, sequence| {
            assert_eq!(sequence, next, "out of order");
            assert_eq!(*value, pair(sequence), "torn or stale slot {sequence}");
            each(sequence);
            next += 1;
        })
        .is_ok()
    {}
    next
}

// One producer, one consumer, two slots, three items: the third push wraps onto slot 0 and
// must wait until the consumer has read sequence 0. Items 0-1 go out in one publish.
#[test]
fn one_consumer_wraps_without_loss_duplication_or_tearing() {
    check(PREEMPTIONS, || {
        let mut builder = RingBuilder::new(2, FILL).unwrap();
        builder.consumer("reader", &[]);
        let (mut producer, mut consumers) = builder.build();
        let mut consumer = consumers.pop().unwrap();

        let reader = thread::spawn(move || drain(&mut consumer, BusySpin, 2, |_| ()));
        let mut wait = BusySpin;
        producer.push(pair(0), &mut wait);
        producer.push(pair(1), &mut wait);
        producer.publish();
        producer.push(pair(2), &mut wait);
        producer.close();
        assert_eq!(reader.join().unwrap(), 3);
    });
}

// `push_batch` of three items into two slots: the batch is larger than the ring, so the
// producer must publish its first two items before it waits for the consumer to free slot 0
// (else a deadlock loom reports), then write the third through the same local index.
#[test]
fn a_batch_larger_than_the_ring_is_split_without_loss_or_tearing() {
    check(PREEMPTIONS, || {
        let mut builder = RingBuilder::new(2, FILL).unwrap();
        builder.consumer("reader", &[]);
        let (mut producer, mut consumers) = builder.build();
        let mut consumer = consumers.pop().unwrap();

        let reader = thread::spawn(move || drain(&mut consumer, BusySpin, 2, |_| ()));
        producer.push_batch(3, &mut BusySpin, pair);
        producer.close();
        assert_eq!(reader.join().unwrap(), 3);
    });
}

// `second` is built after `first`: it must never see a slot `first` has not consumed, even
// though both read the producer's slots directly, and the producer (gated by `second`, the
// leaf) must not overwrite what `second` has not read. `first` polls on the producer's thread
// (its races with the producer are the first model's), which keeps the model to two threads.
#[test]
fn a_dependent_consumer_sees_a_slot_only_after_its_dependency() {
    check(PREEMPTIONS, || {
        let mut builder = RingBuilder::new(2, FILL).unwrap();
        let first = builder.consumer("first", &[]);
        builder.consumer("second", &[first]);
        let (mut producer, consumers) = builder.build();
        let [mut first, mut second]: [Consumer<Pair>; 2] = consumers.try_into().unwrap();
        // Sequences `first` has checked, stored inside its callback: before its cursor.
        let first_progress = Arc::new(AtomicU64::new(0));

        let downstream = thread::spawn({
            let first_progress = Arc::clone(&first_progress);
            move || {
                drain(&mut second, BusySpin, 2, |sequence| {
                    // Relaxed is enough here: the ring's cursors must carry the ordering.
                    assert!(first_progress.load(Ordering::Relaxed) > sequence, "second saw {sequence} first");
                })
            }
        });
        let mut wait = BusySpin;
        for sequence in 0..3 {
            producer.push(pair(sequence), &mut wait);
            producer.publish();
            let read = first.poll(2, |value, sequence| {
                assert_eq!(*value, pair(sequence));
                first_progress.store(sequence + 1, Ordering::Relaxed);
            });
            assert_eq!(read, 1);
        }
        drop(producer);
        assert_eq!(downstream.join().unwrap(), 3);
    });
}

// `first` reads one slot and is dropped; `second`, built after it, must still get all three
// items, and the producer must not wait forever for the dropped consumer. `first` runs on the
// producer's thread (two threads keep the model small).
#[test]
fn a_dropped_consumer_stops_gating() {
    check(PREEMPTIONS, || {
        let mut builder = RingBuilder::new(2, FILL).unwrap();
        let first = builder.consumer("first", &[]);
        builder.consumer("second", &[first]);
        let (mut producer, consumers) = builder.build();
        let [mut first, mut second]: [Consumer<Pair>; 2] = consumers.try_into().unwrap();

        let reader = thread::spawn(move || drain(&mut second, BusySpin, 2, |_| ()));
        let mut wait = BusySpin;
        producer.push(pair(0), &mut wait);
        producer.publish();
        assert_eq!(first.poll(1, |value, sequence| assert_eq!(*value, pair(sequence))), 1);
        drop(first);
        producer.push(pair(1), &mut wait);
        producer.push(pair(2), &mut wait);
        producer.close();
        assert_eq!(reader.join().unwrap(), 3);
    });
}

// A Blocking consumer with a timeout (modelled as expiring at once): the announce, re-check,
// withdraw and the producer's claim-and-unpark run against every interleaving, on a wrapping
// ring.
#[test]
fn a_blocking_consumer_wraps_without_loss() {
    check(2, || {
        let mut builder = RingBuilder::new(2, FILL).unwrap();
        builder.consumer("sleeper", &[]);
        let (mut producer, mut consumers) = builder.build();
        let mut consumer = consumers.pop().unwrap();

        let reader = thread::spawn(move || drain(&mut consumer, Blocking::new(), 2, |_| ()));
        let mut wait = BusySpin;
        for sequence in 0..3 {
            producer.push(pair(sequence), &mut wait);
            producer.publish();
        }
        drop(producer);
        assert_eq!(reader.join().unwrap(), 3);
    });
}

// With no timeout at all, close must still wake a parked consumer: close unparks under the
// parker's mutex, which the consumer took to register before its re-check, so this wake-up
// cannot be lost. (The publish wake-up can be, and close then covers it: loom checks that the
// consumer ends either way.)
#[test]
fn close_wakes_a_parked_consumer_without_a_timeout() {
    check(PREEMPTIONS, || {
        let mut builder = RingBuilder::new(2, FILL).unwrap();
        builder.consumer("sleeper", &[]);
        let (mut producer, mut consumers) = builder.build();
        let mut consumer = consumers.pop().unwrap();

        let reader = thread::spawn(move || drain(&mut consumer, Blocking::new().untimed(), 2, |_| ()));
        producer.try_push(pair(0)).unwrap();
        producer.publish();
        producer.close();
        assert_eq!(reader.join().unwrap(), 1);
    });
}

// With no timeout, a consumer whose publish wake-up was lost must not stall a producer that
// fills the ring and waits for it: the waiting producer wakes parked consumers that can move.
// Three items through two slots: if the wake-up for item 1 is lost, the push of item 2 waits
// for the parked consumer. (Without `wake_blockers` loom finds that livelock.)
#[test]
fn a_producer_waiting_for_room_wakes_a_parked_consumer() {
    check(2, || {
        let mut builder = RingBuilder::new(2, FILL).unwrap();
        builder.consumer("sleeper", &[]);
        let (mut producer, mut consumers) = builder.build();
        let mut consumer = consumers.pop().unwrap();

        let reader = thread::spawn(move || drain(&mut consumer, Blocking::new().untimed(), 1, |_| ()));
        let mut wait = BusySpin;
        for sequence in 0..3 {
            producer.push(pair(sequence), &mut wait);
            producer.publish();
        }
        producer.close();
        assert_eq!(reader.join().unwrap(), 3);
    });
}

// `Closed` is sticky, and a consumer that has read nothing of an empty closed ring gets it at
// once.
#[test]
fn closed_is_final() {
    check(PREEMPTIONS, || {
        let mut builder = RingBuilder::new(2, FILL).unwrap();
        builder.consumer("late", &[]);
        let (producer, mut consumers) = builder.build();
        let mut consumer = consumers.pop().unwrap();
        let closer = thread::spawn(move || producer.close());
        let mut wait = Blocking::new();
        while consumer.wait_poll(&mut wait, 2, |_, _| panic!("nothing was published")) != Err(Closed) {}
        assert_eq!(consumer.wait_poll(&mut wait, 2, |_, _| ()), Err(Closed));
        closer.join().unwrap();
    });
}
