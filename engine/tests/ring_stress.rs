//! Multi-threaded stress of the ring: no slot lost, duplicated or torn under wrap-around, slow
//! consumers, dependencies, drops, close, and every wait strategy.
//!
//! Slots are whole cache lines (`[u64; 8]`) whose every word is derived from the sequence, so a
//! slot read while the producer rewrites it shows up as a mismatch. Rings are small (64 slots)
//! so each run wraps thousands of times. Counts are kept small (this machine has two cores and
//! runs other tests at the same time); the waits are mostly `SpinThenYield` and `Blocking`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use engine::ring::{
    AnyWait, Blocking, BusySpin, Closed, Consumer, RingBuilder, SpinThenYield, WaitKind, WaitStrategy,
};

/// One slot: a cache line.
type Line = [u64; 8];

/// Slots pushed by the big runs: enough to wrap a 64-slot ring thousands of times.
const SLOTS: u64 = if cfg!(debug_assertions) { 100_000 } else { 400_000 };

/// How long any test may take before it counts as hung (they take well under a second).
const DEADLINE: Duration = Duration::from_secs(30);

/// Odd multipliers: each word of a line is the sequence times one of them, so two different
/// sequences never share a word, and a line mixed from two writes never matches either.
const KEYS: [u64; 8] = [
    0x9E37_79B9_7F4A_7C15,
    0xC2B2_AE3D_27D4_EB4F,
    0x1656_67B1_9E37_79F9,
    0x85EB_CA77_C2B2_AE63,
    0x27D4_EB2F_1656_67C5,
    0xFF51_AFD7_ED55_8CCD,
    0xC4CE_B9FE_1A85_EC53,
    0x2545_F491_4F6C_DD1D,
];

fn line(sequence: u64) -> Line {
    std::array::from_fn(|word| sequence.wrapping_mul(KEYS[word]).wrapping_add(word as u64))
}

/// What slots hold before their first write; never equal to a `line`.
const FILL: Line = [u64::MAX; 8];

/// Checks that a consumer sees 0, 1, 2, … with untorn contents.
struct Expect {
    name: &'static str,
    next: u64,
}

impl Expect {
    fn new(name: &'static str) -> Self {
        Self { name, next: 0 }
    }

    fn see(&mut self, value: &Line, sequence: u64) {
        assert_eq!(sequence, self.next, "{}: sequence out of order", self.name);
        assert_eq!(*value, line(sequence), "{}: slot {sequence} torn or stale", self.name);
        self.next += 1;
    }
}

/// xorshift64*: batch sizes and pauses without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound
    }
}

/// Joins every thread, failing the test if one is still running after `DEADLINE` (a hang) and
/// passing on a thread's panic.
fn join_all<R>(threads: Vec<JoinHandle<R>>) -> Vec<R> {
    let start = Instant::now();
    while !threads.iter().all(JoinHandle::is_finished) {
        assert!(start.elapsed() < DEADLINE, "threads still running after {DEADLINE:?}: a hang");
        thread::sleep(Duration::from_millis(1));
    }
    threads
        .into_iter()
        .map(|thread| thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
        .collect()
}

/// Reads until `Closed`, checking every slot; `each` runs after the check. Returns the count.
fn drain(
    mut consumer: Consumer<Line>,
    mut wait: impl WaitStrategy,
    mut max: impl FnMut() -> usize,
    mut each: impl FnMut(u64),
) -> u64 {
    let mut expect = Expect::new(consumer.name());
    while consumer
        .wait_poll(&mut wait, max(), |value, sequence| {
            expect.see(value, sequence);
            each(sequence);
        })
        .is_ok()
    {}
    assert_eq!(consumer.consumed(), expect.next);
    expect.next
}

/// Pushes `count` lines in batches of 1..=2×capacity (so some batches overflow the free space
/// and `push` or `push_batch` must publish them itself), a third each through `try_push`,
/// `push` and `push_batch`.
fn produce(mut producer: engine::ring::Producer<Line>, count: u64, seed: u64, mut wait: impl WaitStrategy) {
    let mut rng = Rng(seed);
    let batch_limit = 2 * producer.capacity() as u64;
    let mut sequence = 0;
    while sequence < count {
        let batch = (1 + rng.below(batch_limit)).min(count - sequence);
        match rng.below(3) {
            0 => {
                for _ in 0..batch {
                    let mut value = line(sequence);
                    while let Err(back) = producer.try_push(value) {
                        value = back;
                        producer.publish();
                        thread::yield_now();
                    }
                    sequence += 1;
                }
            }
            1 => {
                for _ in 0..batch {
                    producer.push(line(sequence), &mut wait);
                    sequence += 1;
                }
            }
            _ => {
                let mut next = sequence;
                producer.push_batch(batch as usize, &mut wait, |ring_sequence| {
                    assert_eq!(ring_sequence, next, "push_batch asked out of order");
                    next += 1;
                    line(ring_sequence)
                });
                assert_eq!(next, sequence + batch);
                sequence = next;
            }
        }
        producer.publish();
        assert_eq!(producer.published(), sequence);
    }
    producer.close();
}

// One producer; `fast` (spin-then-yield), `dependent` after `fast` (blocking), and `slow`
// (blocking, a wake-up per 16 slots, with yields and sleeps). Every consumer must see exactly
// 0..SLOTS in order, untorn, and `dependent` must never see a slot before `fast` has.
#[test]
fn every_consumer_sees_every_slot_once_in_order_untorn() {
    let mut builder = RingBuilder::new(64, FILL).unwrap();
    let fast = builder.consumer("fast", &[]);
    builder.consumer("dependent", &[fast]);
    builder.consumer("slow", &[]);
    let (producer, consumers) = builder.build();
    let [fast, dependent, slow]: [Consumer<Line>; 3] = consumers.try_into().unwrap();

    // Highest sequence `fast` has checked, plus one; stored inside its callback, so before its
    // ring cursor covers that slot.
    let fast_progress = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let threads = vec![
        thread::spawn(move || {
            produce(producer, SLOTS, 0x1234_5678, SpinThenYield::new(64));
            SLOTS
        }),
        thread::spawn({
            let fast_progress = Arc::clone(&fast_progress);
            let mut rng = Rng(7);
            move || {
                drain(
                    fast,
                    SpinThenYield::default(),
                    || 1 + rng.below(80) as usize,
                    |sequence| fast_progress.store(sequence + 1, Ordering::Release),
                )
            }
        }),
        thread::spawn({
            let fast_progress = Arc::clone(&fast_progress);
            let wait = AnyWait::new("blocking".parse::<WaitKind>().unwrap());
            move || {
                drain(
                    dependent,
                    wait,
                    || 64,
                    |sequence| {
                        let upstream = fast_progress.load(Ordering::Acquire);
                        assert!(upstream > sequence, "dependent saw {sequence} before fast had ({upstream})");
                    },
                )
            }
        }),
        thread::spawn({
            let mut rng = Rng(99);
            move || {
                drain(
                    slow,
                    Blocking::new().wake_after(16),
                    || 1 + rng.below(40) as usize,
                    |sequence| {
                        if sequence % 97 == 0 {
                            thread::yield_now();
                        }
                        if sequence % (SLOTS / 40) == 0 {
                            thread::sleep(Duration::from_millis(1));
                        }
                    },
                )
            }
        }),
    ];
    let counts = join_all(threads);
    assert_eq!(counts, [SLOTS; 4]);
    eprintln!("{SLOTS} slots through 3 consumers in {:?}", start.elapsed());
}

// `push_batch` with batches of many laps of a 16-slot ring, against a slow blocking consumer
// and a fast one: each batch must be split, published part by part as the consumers free
// room, and arrive whole and in order.
#[test]
fn batches_of_many_laps_reach_slow_consumers() {
    let count = SLOTS / 4;
    let mut builder = RingBuilder::new(16, FILL).unwrap();
    builder.consumer("fast", &[]);
    builder.consumer("slow", &[]);
    let (mut producer, consumers) = builder.build();
    let [fast, slow]: [Consumer<Line>; 2] = consumers.try_into().unwrap();
    let threads = vec![
        thread::spawn(move || {
            let mut rng = Rng(5);
            let mut wait = SpinThenYield::default();
            let mut sequence = 0;
            while sequence < count {
                // Up to 20 laps; sometimes a small one.
                let batch = (1 + rng.below(20 * 16)).min(count - sequence);
                producer.push_batch(batch as usize, &mut wait, line);
                sequence += batch;
                if rng.below(4) == 0 {
                    producer.publish();
                }
            }
            producer.close();
            count
        }),
        thread::spawn(move || drain(fast, SpinThenYield::default(), || 7, |_| ())),
        thread::spawn({
            let mut rng = Rng(11);
            move || {
                drain(
                    slow,
                    Blocking::new().wake_after(4),
                    || 1 + rng.below(5) as usize,
                    |sequence| {
                        if sequence % 61 == 0 {
                            thread::yield_now();
                        }
                        if sequence % (count / 20) == 0 {
                            thread::sleep(Duration::from_millis(1));
                        }
                    },
                )
            }
        }),
    ];
    assert_eq!(join_all(threads), [count; 3]);
}

// A busy-spinning consumer (the pinned quoting core's strategy) against a spin-then-yield
// producer; kept short, as it burns a core.
#[test]
fn busy_spin_consumer_keeps_order() {
    let count = SLOTS / 4;
    let mut builder = RingBuilder::new(64, FILL).unwrap();
    builder.consumer("busy", &[]);
    let (producer, mut consumers) = builder.build();
    let consumer = consumers.pop().unwrap();
    let threads = vec![
        thread::spawn(move || {
            produce(producer, count, 42, SpinThenYield::default());
            0
        }),
        thread::spawn(move || drain(consumer, BusySpin, || 32, |_| ())),
    ];
    assert_eq!(join_all(threads)[1], count);
}

// Deterministic, on one thread: b is built after a; a ring of 4.
#[test]
fn a_dropped_consumer_stops_gating_the_producer() {
    let mut builder = RingBuilder::new(4, 0u64).unwrap();
    let a = builder.consumer("a", &[]);
    builder.consumer("b", &[a]);
    let (mut producer, consumers) = builder.build();
    let [mut a, b]: [Consumer<u64>; 2] = consumers.try_into().unwrap();

    // 1. Four slots fill the ring; the fifth has nowhere to go.
    for value in 0..4 {
        producer.try_push(value).unwrap();
    }
    producer.publish();
    assert_eq!(producer.try_push(4), Err(4));

    // 2. a reads two, but b (after a) has read none: still full.
    assert_eq!(a.poll(2, |_, _| ()), 2);
    assert_eq!(producer.try_push(4), Err(4));

    // 3. Drop b: now a gates, with two slots read: room for two more.
    drop(b);
    producer.try_push(4).unwrap();
    producer.try_push(5).unwrap();
    assert_eq!(producer.try_push(6), Err(6));

    // 4. Drop a: nobody gates; the producer laps the ring freely.
    drop(a);
    for value in 6..100 {
        producer.try_push(value).unwrap();
    }
    producer.publish();
    assert_eq!(producer.published(), 100);
}

// Chain a ← b ← c: b quits after a few hundred slots. c is then gated by a (not by nothing: it
// must still never see a slot a has not), and the producer by c. Everyone else finishes.
#[test]
fn dependents_of_a_dropped_consumer_stay_behind_its_dependencies() {
    let count = SLOTS / 4;
    let mut builder = RingBuilder::new(64, FILL).unwrap();
    let a = builder.consumer("a", &[]);
    let b = builder.consumer("b", &[a]);
    builder.consumer("c", &[b]);
    let (producer, consumers) = builder.build();
    let [a, mut b, c]: [Consumer<Line>; 3] = consumers.try_into().unwrap();

    let a_progress = Arc::new(AtomicU64::new(0));
    let threads = vec![
        thread::spawn(move || {
            produce(producer, count, 3, SpinThenYield::default());
            count
        }),
        thread::spawn({
            let a_progress = Arc::clone(&a_progress);
            let mut rng = Rng(5);
            move || {
                drain(
                    a,
                    SpinThenYield::default(),
                    || 1 + rng.below(64) as usize,
                    |sequence| {
                        a_progress.store(sequence + 1, Ordering::Release);
                        if sequence % 1000 == 0 {
                            thread::yield_now();
                        }
                    },
                )
            }
        }),
        thread::spawn(move || {
            let mut expect = Expect::new("b");
            let mut wait = SpinThenYield::default();
            while expect.next < 300 {
                b.wait_poll(&mut wait, 7, |value, sequence| expect.see(value, sequence)).unwrap();
            }
            expect.next // b drops here
        }),
        thread::spawn({
            let a_progress = Arc::clone(&a_progress);
            move || {
                drain(
                    c,
                    Blocking::new(),
                    || 50,
                    |sequence| {
                        let upstream = a_progress.load(Ordering::Acquire);
                        assert!(upstream > sequence, "c saw {sequence} before a had ({upstream})");
                    },
                )
            }
        }),
    ];
    let counts = join_all(threads);
    assert_eq!([counts[1], counts[3]], [count, count]);
    assert!(counts[2] >= 300);
}

// Close with slots still pending: every consumer, whatever its wait strategy, reads them all,
// then gets Closed, and keeps getting Closed; every thread ends.
#[test]
fn close_drains_every_consumer_then_reports_closed() {
    let count = 10 * 64 + 7;
    let mut builder = RingBuilder::new(64, FILL).unwrap();
    for name in ["busy-spin", "spin-then-yield", "blocking"] {
        builder.consumer(name, &[]);
    }
    let (mut producer, consumers) = builder.build();
    let mut threads: Vec<JoinHandle<u64>> = consumers
        .into_iter()
        .map(|mut consumer| {
            thread::spawn(move || {
                let mut wait = AnyWait::new(consumer.name().parse().unwrap());
                let mut expect = Expect::new(consumer.name());
                while consumer.wait_poll(&mut wait, 16, |value, sequence| expect.see(value, sequence)).is_ok()
                {
                }
                for _ in 0..3 {
                    assert_eq!(consumer.wait_poll(&mut wait, 16, |_, _| panic!("after Closed")), Err(Closed));
                }
                expect.next
            })
        })
        .collect();
    threads.push(thread::spawn(move || {
        let mut wait = SpinThenYield::default();
        for sequence in 0..count {
            producer.push(line(sequence), &mut wait);
            if sequence % 50 == 0 {
                producer.publish();
            }
        }
        assert!(producer.pending() > 0, "the close below must publish something");
        producer.close();
        count
    }));
    assert_eq!(join_all(threads), [count; 4]);
}

/// Waits until `producer` reports `parked` parked consumers.
fn until_parked(producer: &engine::ring::Producer<u64>, parked: usize) {
    let start = Instant::now();
    while producer.parked_consumers() != parked {
        assert!(start.elapsed() < DEADLINE, "consumer never parked");
        thread::sleep(Duration::from_micros(200));
    }
}

/// A consumer that parks with a one-minute timeout, so a wake-up within the test's deadline
/// came from the producer, and reports what it reads (`Err` at the end).
fn parked_reader(
    mut consumer: Consumer<u64>,
    wait: Blocking,
) -> (mpsc::Receiver<Result<Vec<u64>, Closed>>, JoinHandle<()>) {
    let (sender, receiver) = mpsc::channel();
    let thread = thread::spawn(move || {
        let mut wait = wait.timeout(Duration::from_secs(60));
        loop {
            let mut values = Vec::new();
            let result = consumer.wait_poll(&mut wait, 64, |value, _| values.push(*value));
            let end = result.is_err();
            sender.send(result.map(|_| values)).unwrap();
            if end {
                return;
            }
        }
    });
    (receiver, thread)
}

// A parked Blocking consumer is woken by a publish, and again by close.
#[test]
fn a_parked_consumer_is_woken_by_publish_and_by_close() {
    let mut builder = RingBuilder::new(8, 0u64).unwrap();
    builder.consumer("parked", &[]);
    let (mut producer, mut consumers) = builder.build();
    let (received, thread) = parked_reader(consumers.pop().unwrap(), Blocking::new());

    until_parked(&producer, 1);
    let start = Instant::now();
    producer.try_push(7).unwrap();
    producer.publish();
    assert_eq!(received.recv_timeout(DEADLINE).unwrap(), Ok(vec![7]));
    let publish_wake = start.elapsed();

    until_parked(&producer, 1);
    let start = Instant::now();
    producer.close();
    assert_eq!(received.recv_timeout(DEADLINE).unwrap(), Err(Closed));
    let close_wake = start.elapsed();
    join_all(vec![thread]);
    eprintln!("woken by publish in {publish_wake:?}, by close in {close_wake:?}");
}

// wake_after(4): one published slot does not wake the consumer; the fourth does, and it reads
// all four at once.
#[test]
fn wake_after_n_sleeps_through_fewer_slots() {
    let mut builder = RingBuilder::new(8, 0u64).unwrap();
    builder.consumer("batch", &[]);
    let (mut producer, mut consumers) = builder.build();
    let (received, thread) = parked_reader(consumers.pop().unwrap(), Blocking::new().wake_after(4));

    until_parked(&producer, 1);
    producer.try_push(0).unwrap();
    producer.publish();
    thread::sleep(Duration::from_millis(50));
    assert!(received.try_recv().is_err(), "woken by one slot");
    assert_eq!(producer.parked_consumers(), 1);

    for value in 1..4 {
        producer.try_push(value).unwrap();
        producer.publish();
    }
    assert_eq!(received.recv_timeout(DEADLINE).unwrap(), Ok(vec![0, 1, 2, 3]));

    until_parked(&producer, 1);
    drop(producer);
    assert_eq!(received.recv_timeout(DEADLINE).unwrap(), Err(Closed));
    join_all(vec![thread]);
}
