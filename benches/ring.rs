//! Hand-off latency and throughput of halcyon's ring against the `disruptor` crate, crossbeam's
//! `ArrayQueue` and a bounded crossbeam channel, with the bare core-to-core floor beside them.
//!
//! Every contender carries the same [`Message`]: a 64-byte `Copy` struct aligned to one cache
//! line, like the market `Event`. Every queue holds [`CAPACITY`] slots. The two threads of a
//! measurement are pinned to two different cores (`core_affinity`, with the core list read once
//! on the main thread before anything is pinned).
//!
//! # Measurements
//!
//! - **floor**: two threads bounce a counter through two cache-padded `AtomicU64`s: one cache
//!   line moved per hop, nothing else. Measured twice, spinning with and without a `pause`
//!   (`spin_loop`) per poll, because which one is faster depends on where the host put the
//!   virtual cores; the judged ratio uses the faster. A third reference, `floor, cursor+slot`,
//!   is the bare protocol of a cursor-based queue (the ring, the disruptor): write a 64-byte
//!   slot line, store a cursor; the reader spins on the cursor, then reads the slot. Two cache
//!   lines per message and no bookkeeping, so the distance from it to the ring is roughly
//!   what the ring's bookkeeping costs. It is a reference, not a bound: how the spinning and
//!   the stores interleave matters too, and the ring has been measured below it.
//! - **hop**: one-way latency by ping-pong. Thread A sends a message through the contender,
//!   thread B echoes it back through a second instance of the *same* contender, and A times the
//!   round trip with the time-stamp counter; one hop is half of it. The return leg is always the
//!   same primitive as the outbound leg, so every contender pays for two of its own hops.
//! - **paced**: one-way latency of a lone message. The sender writes the time-stamp counter into
//!   the message just before sending, one message every [`PACE_NANOS`] (paced by spinning, and
//!   never before the receiver has acknowledged the previous message, so the receiver is idle,
//!   spinning on an empty queue, when each message arrives, and a descheduled receiver delays
//!   one sample, not hundreds). The receiver reads the message, then the counter. The counter is
//!   `rdtsc` (after an `lfence` on the receiving side, so it is read after the message),
//!   converted to nanoseconds by a calibration against `std::time::Instant`; it is invariant
//!   and common to all cores here, and the offset between the two cores' counters is estimated
//!   first and printed (from the fastest trip each way, so it assumes both ways are equally
//!   fast: a large value may be asymmetry rather than skew; the paced and hop floors agreeing
//!   is the better check). On this VM the counter moves in
//!   steps of 26 ticks (10 ns), measured at start and printed: every p50 is therefore the
//!   median of the samples spread evenly over the step around each (grouped data), which
//!   resolves it to well under a step; p99 and beyond are recorded values, in whole steps.
//! - **burst**: the sender pushes messages as fast as it can, publishing each (`burst`) or every
//!   64 at once (`burst64`, for the contenders that have batch publication); the receiver counts
//!   them and checks order and contents. Each contender sends [`BURST_MESSAGES`] per repetition,
//!   in [`BURST_BLOCKS`] blocks interleaved with the other contenders' (see below); a block's
//!   throughput is messages per second between the receiver seeing its first and last message,
//!   and a repetition's is the harmonic mean of its blocks' (all blocks are the same size).
//!
//! Every message is checked on arrival (order, contents, count) and a lost or reordered message
//! panics, so the compiler cannot drop the work and a broken queue cannot post a good number.
//! Timings are never asserted.
//!
//! # Contenders
//!
//! - `halcyon ring`: [`RingBuilder`] with one consumer, `push` + `publish` per message (burst64:
//!   one `push_batch` of 64, one `publish`), `wait_poll` with [`BusySpin`] (no `pause` between
//!   checks, like the disruptor's `BusySpin`).
//! - `ring, pause wait`: the same ring with a wait strategy that pauses (`spin_loop` hint) per
//!   idle step, as `BusySpin` did before it was measured here. A diagnostic: it separates the
//!   ring's data structure from its wait strategy.
//! - `ring, per-push batch` (burst64 only): the same ring, each batch written by 64 `push`
//!   calls, then one `publish`: what `push_batch` saves.
//! - `disruptor handler`: the `disruptor` crate (4.4) as its README configures it,
//!   `build_single_producer(CAPACITY, Message::default, BusySpin).handle_events_with(handler)`,
//!   the handler thread pinned with `pin_at_core`, one `publish` per message (burst64:
//!   `batch_publish(64, …)`). In the hop measurement the handler echoes into a second
//!   single-producer disruptor that thread A reads with an `EventPoller`: a handler-based
//!   disruptor has no receiving end of its own, so the return path is polled.
//! - `disruptor hint`: the same with `BusySpinWithSpinLoopHint` (a `pause` per idle step, like
//!   the ring's `BusySpin`).
//! - `disruptor poller`: both legs read by an `EventPoller` spun (no `pause`) on our own pinned
//!   thread: the thread model of the ring rows.
//! - `ArrayQueue spin`: `crossbeam_queue::ArrayQueue`, spinning on `push` when full and on `pop`.
//! - `channel recv`: `crossbeam_channel::bounded`, blocking `send` and `recv`, as a typical bot
//!   does (crossbeam spins briefly, then yields, then parks).
//! - `channel try_recv`: the same channel with `try_send` / `try_recv` in a busy spin.
//!
//! # Reading the output
//!
//! One repetition runs [`BLOCKS`] rounds of one short hop block and one paced block of every
//! contender, then [`BURST_BLOCKS`] rounds of one burst block of every contender, the order
//! rotating from round to round. The host moves the two virtual cores every few seconds on this
//! machine, between a placement where the floor is about 45 ns (they behave like two hardware
//! threads of one core) and one where it is about 240 ns, so only short interleaved blocks give
//! every contender the same mix of placements. A table cell is the median over [`REPETITIONS`]
//! of the percentile of a repetition's merged blocks, in nanoseconds (hop: half the round trip),
//! or of a repetition's burst throughput.
//!
//! The judged ratios (`ring hop p50 / floor hop p50` ≤ 1.5, `ring hop p50 / disruptor hop p50`
//! ≤ 0.8, `ring burst / disruptor burst` ≥ 1) are medians of ratios between blocks run back to
//! back, so both sides of a ratio saw the same placement; they are taken against the
//! configuration the brief names (`disruptor handler`) and against the best disruptor
//! configuration of each block. When the floor is bimodal, hop ratios are also given per
//! placement. Everything goes to `target/ring-bench.json`. The machine is shared: compare
//! numbers within one run.
//!
//! # Modes
//!
//! `cargo bench --bench ring` passes `--bench` and runs the full measurement. `cargo test
//! --benches` passes nothing: every contender then runs unpinned, for a few thousand messages,
//! with waits that yield, and only the message checks count. With fewer than two cores the full
//! mode also runs unpinned with yielding waits, and says its numbers mean nothing.

use std::hint::black_box;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use core_affinity::CoreId;
use crossbeam_channel::{Receiver, Sender, TryRecvError, TrySendError};
use crossbeam_queue::ArrayQueue;
use crossbeam_utils::CachePadded;
use disruptor::wait_strategies::WaitStrategy as DisruptorWait;
use disruptor::{EventPoller, Polling, ProcessorSettings, Producer as _};
use engine::ring::{BusySpin, Closed, Parking, RingBuilder, SpinThenYield, WaitStrategy};
use hdrhistogram::Histogram;

/// Slots in every queue: 64 KiB of messages, well inside one core's L2.
const CAPACITY: usize = 1024;
/// Messages per publish in the `burst64` column.
const BATCH: usize = 64;
/// Gap between two paced messages: far longer than a hop, so the receiver is idle in between.
const PACE_NANOS: u64 = 2_000;
/// Messages per contender per repetition in the full mode's bursts, sent in [`BURST_BLOCKS`]
/// blocks (each a multiple of [`BATCH`]).
const BURST_MESSAGES: u64 = 10_000_000;
/// Burst blocks per contender per repetition in the full mode.
const BURST_BLOCKS: usize = 10;
/// Repetitions of every measurement in the full mode.
const REPETITIONS: usize = 5;
/// Hop and paced blocks per repetition in the full mode.
const BLOCKS: usize = 20;

/// One cache line, like the market `Event`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C, align(64))]
struct Message {
    /// Position in the stream, from 0.
    sequence: u64,
    /// Time-stamp counter at send (paced measurement only).
    sent_tsc: u64,
    /// `payload[k] == sequence ^ k`, checked on arrival.
    payload: [u64; 6],
}

const _: () = assert!(size_of::<Message>() == 64);
const _: () = assert!(BURST_MESSAGES.is_multiple_of(BURST_BLOCKS as u64 * BATCH as u64));

impl Message {
    #[inline]
    fn new(sequence: u64) -> Self {
        Self { sequence, sent_tsc: 0, payload: std::array::from_fn(|k| sequence ^ k as u64) }
    }

    #[inline]
    fn is_intact(&self) -> bool {
        self.payload[5] == self.sequence ^ 5 && self.payload[0] == self.sequence
    }
}

// ---------------------------------------------------------------------------------------------
// Clock

/// Reads the time-stamp counter. Not ordered with earlier loads: use it for send stamps.
#[cfg(target_arch = "x86_64")]
#[inline]
fn read_tsc() -> u64 {
    // SAFETY: `rdtsc` exists on every x86_64 processor and only reads the counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Reads the time-stamp counter after every earlier load has completed: use it for receive
/// stamps, so the counter is read after the message was.
#[cfg(target_arch = "x86_64")]
#[inline]
fn read_tsc_after_loads() -> u64 {
    // SAFETY: `lfence` is part of SSE2, which every x86_64 processor has, and `rdtsc` exists on
    // every x86_64 processor; neither touches memory.
    unsafe {
        core::arch::x86_64::_mm_lfence();
        core::arch::x86_64::_rdtsc()
    }
}

/// Elsewhere the "counter" is nanoseconds since the first read.
#[cfg(not(target_arch = "x86_64"))]
fn read_tsc() -> u64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

#[cfg(not(target_arch = "x86_64"))]
fn read_tsc_after_loads() -> u64 {
    std::sync::atomic::fence(Ordering::SeqCst);
    read_tsc()
}

/// The time-stamp counter's rate, calibrated against `Instant`, and its step.
#[derive(Clone, Copy)]
struct Tsc {
    nanos_per_tick: f64,
    /// The counter advances in steps of this many ticks (1: every tick). On this VM it is 26
    /// ticks, 10 ns: a single stamp cannot tell 40 ns from 49 ns, see [`grouped_median`].
    step: u64,
}

impl Tsc {
    fn calibrate(window: Duration) -> Self {
        let (start_ticks, start) = (read_tsc(), Instant::now());
        thread::sleep(window);
        let (end_ticks, elapsed) = (read_tsc(), start.elapsed());
        Self {
            nanos_per_tick: elapsed.as_nanos() as f64 / end_ticks.saturating_sub(start_ticks).max(1) as f64,
            step: Self::measure_step(),
        }
    }

    /// The largest step (8 to 256 ticks) that nine in ten timed delays of varying length are
    /// within 2 ticks of a multiple of; 1 when there is none (a counter that moves every tick
    /// puts only 5 in `step` delays that close by chance). The delays stay short (a few steps)
    /// so that a step that is not a whole number of ticks does not drift out of the tolerance.
    fn measure_step() -> u64 {
        let delays: Vec<u64> = (0..20_000u32)
            .map(|index| {
                let start = read_tsc();
                for _ in 0..index % 7 {
                    std::hint::spin_loop();
                }
                read_tsc().wrapping_sub(start)
            })
            .collect();
        (8..=256u64)
            .rev()
            .find(|&step| {
                let close = delays.iter().filter(|&&delay| (delay + 2) % step <= 4).count();
                close * 10 >= delays.len() * 9
            })
            .unwrap_or(1)
    }

    fn nanos(self, ticks: u64) -> f64 {
        ticks as f64 * self.nanos_per_tick
    }

    fn ticks(self, nanos: u64) -> u64 {
        (nanos as f64 / self.nanos_per_tick).round() as u64
    }
}

// ---------------------------------------------------------------------------------------------
// Settings, pinning and waiting

/// What one run measures and where.
struct Settings {
    /// `cargo bench` (true) or `cargo test --benches` (false).
    full: bool,
    /// Sender core, receiver core; `None` when running unpinned.
    cores: [Option<CoreId>; 2],
    tsc: Tsc,
    /// Round trips or paced messages run, unrecorded, at the start of every block.
    warm_up: u64,
    /// Recorded round trips per contender per block.
    round_trips: u64,
    /// Recorded paced messages per contender per block.
    paced_messages: u64,
    pace_ticks: u64,
    /// Hop and paced blocks per repetition.
    blocks: usize,
    /// Messages per burst block (a multiple of [`BATCH`]).
    burst_messages: u64,
    /// Burst blocks per contender per repetition.
    burst_blocks: usize,
    repetitions: usize,
}

fn pin(core: Option<CoreId>) {
    if let Some(core) = core
        && !core_affinity::set_for_current(core)
    {
        eprintln!("warning: could not pin a bench thread to core {}", core.id);
    }
}

/// How every wait in one run behaves: busy spin when pinned, yielding otherwise (an unpinned
/// spinning thread can hold the core the thread it waits for needs).
trait Waiting: Send + Sync + 'static {
    /// The ring's wait strategy.
    type Ring: WaitStrategy + Default + Send;
    /// The ring's wait strategy for the pause diagnostic row.
    type RingPause: WaitStrategy + Default + Send;
    /// The disruptor's wait strategy for handler threads, and with a spin-loop hint.
    type Disruptor: DisruptorWait + 'static;
    type DisruptorHint: DisruptorWait + 'static;
    fn disruptor() -> Self::Disruptor;
    fn disruptor_hint() -> Self::DisruptorHint;
    /// Called on every empty poll of the bench's own spin loops.
    fn idle();
}

/// Busy spin everywhere.
struct Spinning;

impl Waiting for Spinning {
    type Ring = BusySpin;
    type RingPause = Pause;
    type Disruptor = disruptor::BusySpin;
    type DisruptorHint = disruptor::BusySpinWithSpinLoopHint;

    fn disruptor() -> disruptor::BusySpin {
        disruptor::BusySpin
    }

    fn disruptor_hint() -> disruptor::BusySpinWithSpinLoopHint {
        disruptor::BusySpinWithSpinLoopHint
    }

    #[inline]
    fn idle() {}
}

/// Spin-then-yield (the ring) or yield on every empty poll (everything else).
struct Yielding;

impl Waiting for Yielding {
    type Ring = SpinThenYield;
    type RingPause = SpinThenYield;
    type Disruptor = YieldNow;
    type DisruptorHint = YieldNow;

    fn disruptor() -> YieldNow {
        YieldNow
    }

    fn disruptor_hint() -> YieldNow {
        YieldNow
    }

    fn idle() {
        thread::yield_now();
    }
}

/// A ring wait strategy that pauses (`std::hint::spin_loop`) per idle step, as the ring's
/// `BusySpin` did before these measurements.
#[derive(Default)]
struct Pause;

impl WaitStrategy for Pause {
    #[inline]
    fn reset(&mut self) {}

    #[inline]
    fn idle(&mut self, _parking: Parking<'_>) {
        std::hint::spin_loop();
    }
}

/// A disruptor wait strategy that yields the core on every empty poll.
#[derive(Clone, Copy)]
struct YieldNow;

impl DisruptorWait for YieldNow {
    fn wait_for(&self, _sequence: disruptor::Sequence) {
        thread::yield_now();
    }
}

// ---------------------------------------------------------------------------------------------
// The contenders behind one interface

/// The sending half of a contender.
trait Transmit: Send {
    fn send(&mut self, message: Message);

    /// Sends messages `first..first + count` as one batch where the contender has batches.
    fn send_batch(&mut self, first: u64, count: usize) {
        for sequence in first..first + count as u64 {
            self.send(Message::new(sequence));
        }
    }

    /// No more messages: the receiver drains what was sent, then sees the end.
    fn finish(self);
}

/// The receiving half of a contender.
trait Receive: Send {
    /// Waits for at least one message and hands every available one to `each`; returns how
    /// many, or `None` once the sender has finished and everything was received.
    fn receive(&mut self, each: impl FnMut(&Message)) -> Option<usize>;
}

/// Creates one sender/receiver pair; called on the unpinned main thread.
type Pair<Tx, Rx> = fn() -> (Tx, Rx);

// halcyon ring

struct RingSender<Wait> {
    producer: engine::ring::Producer<Message>,
    wait: Wait,
}

struct RingReceiver<Wait> {
    consumer: engine::ring::Consumer<Message>,
    wait: Wait,
}

fn ring_pair<Wait: WaitStrategy + Default + Send>() -> (RingSender<Wait>, RingReceiver<Wait>) {
    let mut builder = RingBuilder::new(CAPACITY, Message::default()).expect("CAPACITY is a power of two");
    builder.consumer("bench", &[]);
    let (producer, consumers) = builder.build();
    let consumer = consumers.into_iter().next().expect("one consumer was added");
    (RingSender { producer, wait: Wait::default() }, RingReceiver { consumer, wait: Wait::default() })
}

impl<Wait: WaitStrategy + Send> Transmit for RingSender<Wait> {
    #[inline]
    fn send(&mut self, message: Message) {
        self.producer.push(message, &mut self.wait);
        self.producer.publish();
    }

    #[inline]
    fn send_batch(&mut self, first: u64, count: usize) {
        // Ring sequence `next` carries message `first`.
        let next = self.producer.published() + self.producer.pending();
        let offset = first.wrapping_sub(next);
        self.producer
            .push_batch(count, &mut self.wait, |sequence| Message::new(sequence.wrapping_add(offset)));
        self.producer.publish();
    }

    fn finish(self) {
        self.producer.close();
    }
}

/// The ring's sender with batches written by one `push` per message (before `push_batch`), for
/// the `ring, per-push batch` row.
struct RingPerPushSender<Wait>(RingSender<Wait>);

fn ring_per_push_pair<Wait: WaitStrategy + Default + Send>() -> (RingPerPushSender<Wait>, RingReceiver<Wait>)
{
    let (sender, receiver) = ring_pair();
    (RingPerPushSender(sender), receiver)
}

impl<Wait: WaitStrategy + Send> Transmit for RingPerPushSender<Wait> {
    #[inline]
    fn send(&mut self, message: Message) {
        self.0.send(message);
    }

    #[inline]
    fn send_batch(&mut self, first: u64, count: usize) {
        let RingSender { producer, wait } = &mut self.0;
        for sequence in first..first + count as u64 {
            producer.push(Message::new(sequence), wait);
        }
        producer.publish();
    }

    fn finish(self) {
        self.0.finish();
    }
}

impl<Wait: WaitStrategy + Send> Receive for RingReceiver<Wait> {
    #[inline]
    fn receive(&mut self, mut each: impl FnMut(&Message)) -> Option<usize> {
        loop {
            match self.consumer.wait_poll(&mut self.wait, CAPACITY, |message, _sequence| each(message)) {
                Ok(0) => continue,
                Ok(received) => return Some(received),
                Err(Closed) => return None,
            }
        }
    }
}

// disruptor

type DisruptorProducer = disruptor::SingleProducer<Message, disruptor::SingleConsumerBarrier>;
type DisruptorPoller = EventPoller<Message, disruptor::SingleProducerBarrier>;

struct DisruptorSender(DisruptorProducer);

struct DisruptorReceiver<W: Waiting> {
    poller: DisruptorPoller,
    waiting: PhantomData<W>,
}

/// A disruptor read by an `EventPoller` on our own thread.
fn disruptor_poller_pair<W: Waiting>() -> (DisruptorSender, DisruptorReceiver<W>) {
    let builder = disruptor::build_single_producer(CAPACITY, Message::default, W::disruptor());
    let (poller, builder) = builder.new_event_poller();
    (DisruptorSender(builder.build()), DisruptorReceiver { poller, waiting: PhantomData })
}

impl Transmit for DisruptorSender {
    #[inline]
    fn send(&mut self, message: Message) {
        self.0.publish(|slot| *slot = message);
    }

    #[inline]
    fn send_batch(&mut self, first: u64, count: usize) {
        self.0.batch_publish(count, |slots| {
            for (sequence, slot) in (first..).zip(slots) {
                *slot = Message::new(sequence);
            }
        });
    }

    /// Dropping the producer shuts the disruptor down and joins its handler threads.
    fn finish(self) {}
}

impl<W: Waiting> Receive for DisruptorReceiver<W> {
    #[inline]
    fn receive(&mut self, mut each: impl FnMut(&Message)) -> Option<usize> {
        loop {
            match self.poller.poll() {
                Ok(mut events) => {
                    let mut received = 0;
                    for message in &mut events {
                        each(message);
                        received += 1;
                    }
                    return Some(received);
                }
                Err(Polling::NoEvents) => W::idle(),
                Err(Polling::Shutdown) => return None,
            }
        }
    }
}

// crossbeam ArrayQueue

/// The queue and the sender's "finished" flag.
struct SharedQueue {
    queue: ArrayQueue<Message>,
    finished: CachePadded<AtomicBool>,
}

struct QueueSender<W: Waiting> {
    shared: Arc<SharedQueue>,
    waiting: PhantomData<W>,
}

struct QueueReceiver<W: Waiting> {
    shared: Arc<SharedQueue>,
    waiting: PhantomData<W>,
}

fn queue_pair<W: Waiting>() -> (QueueSender<W>, QueueReceiver<W>) {
    let shared = Arc::new(SharedQueue {
        queue: ArrayQueue::new(CAPACITY),
        finished: CachePadded::new(AtomicBool::new(false)),
    });
    (
        QueueSender { shared: Arc::clone(&shared), waiting: PhantomData },
        QueueReceiver { shared, waiting: PhantomData },
    )
}

impl<W: Waiting> Transmit for QueueSender<W> {
    #[inline]
    fn send(&mut self, mut message: Message) {
        while let Err(back) = self.shared.queue.push(message) {
            message = back;
            W::idle();
        }
    }

    fn finish(self) {
        self.shared.finished.store(true, Ordering::Release);
    }
}

impl<W: Waiting> Receive for QueueReceiver<W> {
    #[inline]
    fn receive(&mut self, mut each: impl FnMut(&Message)) -> Option<usize> {
        loop {
            if let Some(message) = self.shared.queue.pop() {
                each(&message);
                return Some(1);
            }
            if self.shared.finished.load(Ordering::Acquire) {
                // Everything sent before `finish` is in the queue by now.
                let message = self.shared.queue.pop()?;
                each(&message);
                return Some(1);
            }
            W::idle();
        }
    }
}

// crossbeam channel, blocking

struct ChannelSender(Sender<Message>);
struct ChannelReceiver(Receiver<Message>);

fn channel_pair() -> (ChannelSender, ChannelReceiver) {
    let (sender, receiver) = crossbeam_channel::bounded(CAPACITY);
    (ChannelSender(sender), ChannelReceiver(receiver))
}

impl Transmit for ChannelSender {
    #[inline]
    fn send(&mut self, message: Message) {
        self.0.send(message).expect("the receiver outlives the sender");
    }

    fn finish(self) {}
}

impl Receive for ChannelReceiver {
    #[inline]
    fn receive(&mut self, mut each: impl FnMut(&Message)) -> Option<usize> {
        let message = self.0.recv().ok()?;
        each(&message);
        Some(1)
    }
}

// crossbeam channel, spinning

struct ChannelTrySender<W: Waiting>(Sender<Message>, PhantomData<W>);
struct ChannelTryReceiver<W: Waiting>(Receiver<Message>, PhantomData<W>);

fn channel_try_pair<W: Waiting>() -> (ChannelTrySender<W>, ChannelTryReceiver<W>) {
    let (sender, receiver) = crossbeam_channel::bounded(CAPACITY);
    (ChannelTrySender(sender, PhantomData), ChannelTryReceiver(receiver, PhantomData))
}

impl<W: Waiting> Transmit for ChannelTrySender<W> {
    #[inline]
    fn send(&mut self, mut message: Message) {
        loop {
            match self.0.try_send(message) {
                Ok(()) => return,
                Err(TrySendError::Full(back)) => message = back,
                Err(TrySendError::Disconnected(_)) => panic!("the receiver outlives the sender"),
            }
            W::idle();
        }
    }

    fn finish(self) {}
}

impl<W: Waiting> Receive for ChannelTryReceiver<W> {
    #[inline]
    fn receive(&mut self, mut each: impl FnMut(&Message)) -> Option<usize> {
        loop {
            match self.0.try_recv() {
                Ok(message) => {
                    each(&message);
                    return Some(1);
                }
                Err(TryRecvError::Empty) => W::idle(),
                Err(TryRecvError::Disconnected) => return None,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Recorders

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_max(1 << 40, 3).expect("valid histogram bounds")
}

/// Receiver side of the paced measurement.
struct PacedRecorder {
    latency_ticks: Histogram<u64>,
    warm_up: u64,
    expected: u64,
    /// Receipts stamped before their send: the two cores' counters disagree.
    clock_inversions: u64,
}

impl PacedRecorder {
    fn new(warm_up: u64) -> Self {
        Self { latency_ticks: new_histogram(), warm_up, expected: 0, clock_inversions: 0 }
    }

    #[inline]
    fn record(&mut self, message: &Message) {
        // Read the message before the clock: a contender that hands out a reference into its
        // slot must pay for the slot's cache line too, as one that copies it out first does.
        let (sequence, sent, intact) = black_box((message.sequence, message.sent_tsc, message.is_intact()));
        let received = read_tsc_after_loads();
        assert!(
            sequence == self.expected && intact,
            "paced message {sequence} arrived damaged or out of order (expected {})",
            self.expected
        );
        self.expected += 1;
        if sequence >= self.warm_up {
            if received < sent {
                self.clock_inversions += 1;
            }
            self.latency_ticks.saturating_record(received.saturating_sub(sent));
        }
    }
}

/// Receiver side of the burst measurement.
struct BurstCounter {
    received: u64,
    total: u64,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl BurstCounter {
    fn new(total: u64) -> Self {
        Self { received: 0, total, first: None, last: None }
    }

    #[inline]
    fn count(&mut self, message: &Message) {
        assert!(
            message.sequence == self.received && message.is_intact(),
            "burst message {} arrived damaged or out of order (expected {})",
            message.sequence,
            self.received
        );
        self.received += 1;
        if self.received == 1 {
            self.first = Some(Instant::now());
        }
        if self.received == self.total {
            self.last = Some(Instant::now());
        }
    }

    /// Messages per second between the first and the last receipt.
    fn rate(&self) -> f64 {
        assert_eq!(self.received, self.total, "messages were lost");
        let (first, last) = (self.first.expect("first message"), self.last.expect("last message"));
        (self.total - 1) as f64 / last.duration_since(first).as_secs_f64().max(1e-9)
    }
}

// ---------------------------------------------------------------------------------------------
// Generic measurements

/// Round trips through two `pair`s; returns the round-trip histogram in ticks.
fn hop<Tx: Transmit, Rx: Receive>(settings: &Settings, pair: Pair<Tx, Rx>) -> Histogram<u64> {
    let (mut outbound, mut outbound_rx) = pair();
    let (mut back, mut back_rx) = pair();
    let total = settings.warm_up + settings.round_trips;
    thread::scope(|scope| {
        let echo = scope.spawn(move || {
            pin(settings.cores[1]);
            let mut echoed = 0u64;
            while let Some(received) = outbound_rx.receive(|message| back.send(*message)) {
                echoed += received as u64;
            }
            back.finish();
            echoed
        });
        let ping = scope.spawn(move || {
            pin(settings.cores[0]);
            let round_trip = ping(settings, total, |message| outbound.send(message), &mut back_rx);
            outbound.finish();
            while back_rx.receive(|_| panic!("nothing more was sent")).is_some() {}
            round_trip
        });
        let round_trip = ping.join().expect("ping thread");
        assert_eq!(echo.join().expect("echo thread"), total, "the echo thread lost messages");
        round_trip
    })
}

/// The ping side of a hop measurement: `total` round trips, the first `warm_up` unrecorded.
fn ping(
    settings: &Settings,
    total: u64,
    mut send: impl FnMut(Message),
    back: &mut impl Receive,
) -> Histogram<u64> {
    let mut round_trip = new_histogram();
    for round in 0..total {
        let message = Message::new(round);
        let mut echoed = message;
        let start = read_tsc();
        send(message);
        back.receive(|message| echoed = *message).expect("the echo runs until we finish");
        let end = read_tsc_after_loads();
        assert_eq!(echoed, message, "the echo changed the message");
        if round >= settings.warm_up {
            round_trip.saturating_record(end.saturating_sub(start));
        }
    }
    round_trip
}

/// One message every `pace_ticks`; returns the receiver's recorder.
fn paced<W: Waiting, Tx: Transmit, Rx: Receive>(settings: &Settings, pair: Pair<Tx, Rx>) -> PacedRecorder {
    let (mut sender, mut receiver) = pair();
    let total = settings.warm_up + settings.paced_messages;
    let acknowledged = CachePadded::new(AtomicU64::new(0));
    thread::scope(|scope| {
        let receive = scope.spawn(|| {
            pin(settings.cores[1]);
            let mut recorder = PacedRecorder::new(settings.warm_up);
            while receiver
                .receive(|message| {
                    recorder.record(message);
                    acknowledged.store(recorder.expected, Ordering::Release);
                })
                .is_some()
            {}
            recorder
        });
        scope.spawn(|| {
            pin(settings.cores[0]);
            send_paced::<W>(settings, total, &acknowledged, |message| sender.send(message));
            sender.finish();
        });
        let recorder = receive.join().expect("paced receiver");
        assert_eq!(recorder.expected, total, "paced messages were lost");
        recorder
    })
}

/// The paced sender's loop: waits out the pace and for the receiver to acknowledge the previous
/// message, stamps, sends.
fn send_paced<W: Waiting>(
    settings: &Settings,
    total: u64,
    acknowledged: &AtomicU64,
    mut send: impl FnMut(Message),
) {
    let mut last = read_tsc();
    for sequence in 0..total {
        while read_tsc().wrapping_sub(last) < settings.pace_ticks
            || acknowledged.load(Ordering::Acquire) != sequence
        {
            W::idle();
        }
        let mut message = Message::new(sequence);
        last = read_tsc();
        message.sent_tsc = last;
        send(message);
    }
}

/// A burst block of `settings.burst_messages`, published `batch` at a time; returns
/// messages/second.
fn burst<Tx: Transmit, Rx: Receive>(settings: &Settings, pair: Pair<Tx, Rx>, batch: usize) -> f64 {
    let (mut sender, mut receiver) = pair();
    let total = settings.burst_messages;
    thread::scope(|scope| {
        let receive = scope.spawn(move || {
            pin(settings.cores[1]);
            let mut counter = BurstCounter::new(total);
            while receiver.receive(|message| counter.count(message)).is_some() {}
            counter
        });
        scope.spawn(move || {
            pin(settings.cores[0]);
            send_burst(total, batch, &mut sender);
            sender.finish();
        });
        black_box(receive.join().expect("burst receiver")).rate()
    })
}

fn send_burst(total: u64, batch: usize, sender: &mut impl Transmit) {
    if batch == 1 {
        for sequence in 0..total {
            sender.send(black_box(Message::new(sequence)));
        }
    } else {
        for first in (0..total).step_by(batch) {
            sender.send_batch(black_box(first), batch);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Disruptor with a managed handler thread

/// A disruptor whose handler runs on its own thread, pinned to the receiver core.
fn disruptor_with_handler(
    settings: &Settings,
    wait: impl DisruptorWait + 'static,
    handler: impl FnMut(&Message, disruptor::Sequence, bool) + Send + 'static,
) -> DisruptorSender {
    let builder = disruptor::build_single_producer(CAPACITY, Message::default, wait);
    let builder = match settings.cores[1] {
        Some(core) => builder.pin_at_core(core.id),
        None => builder,
    };
    DisruptorSender(builder.handle_events_with(handler).build())
}

fn disruptor_handler_hop<W: Waiting>(
    settings: &Settings,
    wait: impl DisruptorWait + 'static,
) -> Histogram<u64> {
    let (mut back, mut back_rx) = disruptor_poller_pair::<W>();
    let echoed = Arc::new(AtomicU64::new(0));
    let handler_echoed = Arc::clone(&echoed);
    let mut count = 0;
    let mut outbound = disruptor_with_handler(settings, wait, move |message, _, _| {
        back.send(*message);
        count += 1;
        handler_echoed.store(count, Ordering::Relaxed);
    });
    let total = settings.warm_up + settings.round_trips;
    let round_trip = thread::scope(|scope| {
        scope
            .spawn(move || {
                pin(settings.cores[0]);
                let round_trip = ping(settings, total, |message| outbound.send(message), &mut back_rx);
                // Joins the handler thread, which drops (shuts down) `back`.
                outbound.finish();
                while back_rx.receive(|_| panic!("nothing more was sent")).is_some() {}
                round_trip
            })
            .join()
            .expect("ping thread")
    });
    assert_eq!(echoed.load(Ordering::Relaxed), total, "the handler lost messages");
    round_trip
}

fn disruptor_handler_paced<W: Waiting>(
    settings: &Settings,
    wait: impl DisruptorWait + 'static,
) -> PacedRecorder {
    let total = settings.warm_up + settings.paced_messages;
    let done = Arc::new(Mutex::new(None));
    let handler_done = Arc::clone(&done);
    let acknowledged = Arc::new(CachePadded::new(AtomicU64::new(0)));
    let handler_acknowledged = Arc::clone(&acknowledged);
    let mut recorder = Some(PacedRecorder::new(settings.warm_up));
    let mut sender = disruptor_with_handler(settings, wait, move |message, _, _| {
        let Some(current) = recorder.as_mut() else { panic!("message after the last") };
        current.record(message);
        handler_acknowledged.store(current.expected, Ordering::Release);
        if current.expected == total {
            *handler_done.lock().expect("not poisoned") = recorder.take();
        }
    });
    thread::scope(|scope| {
        scope
            .spawn(|| {
                pin(settings.cores[0]);
                send_paced::<W>(settings, total, &acknowledged, |message| sender.send(message));
                sender.finish();
            })
            .join()
            .expect("paced sender");
    });
    done.lock().expect("not poisoned").take().expect("every paced message arrived")
}

fn disruptor_handler_burst(settings: &Settings, wait: impl DisruptorWait + 'static, batch: usize) -> f64 {
    let total = settings.burst_messages;
    let done = Arc::new(Mutex::new(None));
    let handler_done = Arc::clone(&done);
    let mut counter = Some(BurstCounter::new(total));
    let mut sender = disruptor_with_handler(settings, wait, move |message, _, _| {
        let Some(current) = counter.as_mut() else { panic!("message after the last") };
        current.count(message);
        if current.received == total {
            *handler_done.lock().expect("not poisoned") = counter.take();
        }
    });
    thread::scope(|scope| {
        scope
            .spawn(|| {
                pin(settings.cores[0]);
                send_burst(total, batch, &mut sender);
                sender.finish();
            })
            .join()
            .expect("burst sender");
    });
    let counter = done.lock().expect("not poisoned").take().expect("every burst message arrived");
    black_box(counter).rate()
}

// ---------------------------------------------------------------------------------------------
// The floor

/// One empty poll of the floor's spin loops: `W::idle`, after a `pause` if `PAUSE`.
#[inline]
fn floor_idle<W: Waiting, const PAUSE: bool>() {
    if PAUSE {
        std::hint::spin_loop();
    }
    W::idle();
}

/// Round trips of a bare counter through two cache-padded atomics; ticks.
fn floor_hop<W: Waiting, const PAUSE: bool>(settings: &Settings) -> Histogram<u64> {
    let ping = CachePadded::new(AtomicU64::new(0));
    let pong = CachePadded::new(AtomicU64::new(0));
    let total = settings.warm_up + settings.round_trips;
    thread::scope(|scope| {
        scope.spawn(|| {
            pin(settings.cores[1]);
            for round in 1..=total {
                while ping.load(Ordering::Acquire) != round {
                    floor_idle::<W, PAUSE>();
                }
                pong.store(round, Ordering::Release);
            }
        });
        scope
            .spawn(|| {
                pin(settings.cores[0]);
                let mut round_trip = new_histogram();
                for round in 1..=total {
                    let start = read_tsc();
                    ping.store(round, Ordering::Release);
                    while pong.load(Ordering::Acquire) != round {
                        floor_idle::<W, PAUSE>();
                    }
                    let end = read_tsc_after_loads();
                    if round > settings.warm_up {
                        round_trip.saturating_record(end.saturating_sub(start));
                    }
                }
                round_trip
            })
            .join()
            .expect("floor ping thread")
    })
}

/// Paced stamps through one cache-padded atomic: the floor of the paced measurement.
fn floor_paced<W: Waiting, const PAUSE: bool>(settings: &Settings) -> PacedRecorder {
    let stamp = CachePadded::new(AtomicU64::new(0));
    let acknowledged = CachePadded::new(AtomicU64::new(0));
    let total = settings.warm_up + settings.paced_messages;
    thread::scope(|scope| {
        let receive = scope.spawn(|| {
            pin(settings.cores[1]);
            let mut recorder = PacedRecorder::new(settings.warm_up);
            let mut last = 0;
            for sequence in 0..total {
                let sent = loop {
                    let sent = stamp.load(Ordering::Acquire);
                    if sent != last {
                        break sent;
                    }
                    floor_idle::<W, PAUSE>();
                };
                let mut message = Message::new(sequence);
                message.sent_tsc = sent;
                recorder.record(&message);
                last = sent;
                acknowledged.store(sequence + 1, Ordering::Release);
            }
            recorder
        });
        scope.spawn(|| {
            pin(settings.cores[0]);
            send_paced::<W>(settings, total, &acknowledged, |message| {
                stamp.store(message.sent_tsc, Ordering::Release);
            });
        });
        receive.join().expect("floor paced receiver")
    })
}

/// One 64-byte slot written and read word by word: a `Message` without `unsafe`.
#[repr(align(64))]
struct SlotLine([AtomicU64; 8]);

/// The least a cursor-based queue does per message: write the message into its slot line,
/// store the cursor; the reader spins on the cursor, then reads the slot line. Two cache lines
/// per message, no other bookkeeping. Slots are used round-robin, as in a ring of
/// [`CAPACITY`]; the protocol never lets the writer lap the reader (ping-pong or acknowledged).
struct CursorAndSlots {
    cursor: CachePadded<AtomicU64>,
    slots: Box<[SlotLine]>,
}

impl CursorAndSlots {
    fn new() -> Self {
        Self {
            cursor: CachePadded::new(AtomicU64::new(0)),
            slots: (0..CAPACITY).map(|_| SlotLine(std::array::from_fn(|_| AtomicU64::new(0)))).collect(),
        }
    }

    /// Writes `message` as the `count`-th message (from 1) and publishes it.
    #[inline]
    fn send(&self, count: u64, message: &Message) {
        let words = [message.sequence, message.sent_tsc, message.payload[0], message.payload[1]]
            .into_iter()
            .chain(message.payload[2..].iter().copied());
        for (cell, word) in self.slots[count as usize % CAPACITY].0.iter().zip(words) {
            cell.store(word, Ordering::Relaxed);
        }
        self.cursor.store(count, Ordering::Release);
    }

    /// Waits until the `count`-th message is published and reads it.
    #[inline]
    fn receive<W: Waiting, const PAUSE: bool>(&self, count: u64) -> Message {
        while self.cursor.load(Ordering::Acquire) < count {
            floor_idle::<W, PAUSE>();
        }
        let mut words =
            self.slots[count as usize % CAPACITY].0.iter().map(|cell| cell.load(Ordering::Relaxed));
        let mut next = || words.next().expect("eight words");
        let (sequence, sent_tsc) = (next(), next());
        Message { sequence, sent_tsc, payload: std::array::from_fn(|_| next()) }
    }
}

/// Round trips through two [`CursorAndSlots`]; ticks.
fn two_line_hop<W: Waiting, const PAUSE: bool>(settings: &Settings) -> Histogram<u64> {
    let (outbound, back) = (CursorAndSlots::new(), CursorAndSlots::new());
    let total = settings.warm_up + settings.round_trips;
    thread::scope(|scope| {
        scope.spawn(|| {
            pin(settings.cores[1]);
            for count in 1..=total {
                back.send(count, &outbound.receive::<W, PAUSE>(count));
            }
        });
        scope
            .spawn(|| {
                pin(settings.cores[0]);
                let mut round_trip = new_histogram();
                for count in 1..=total {
                    let message = Message::new(count - 1);
                    let start = read_tsc();
                    outbound.send(count, &message);
                    let echoed = back.receive::<W, PAUSE>(count);
                    let end = read_tsc_after_loads();
                    assert_eq!(echoed, message, "the echo changed the message");
                    if count > settings.warm_up {
                        round_trip.saturating_record(end.saturating_sub(start));
                    }
                }
                round_trip
            })
            .join()
            .expect("two-line ping thread")
    })
}

/// Paced messages through one [`CursorAndSlots`].
fn two_line_paced<W: Waiting, const PAUSE: bool>(settings: &Settings) -> PacedRecorder {
    let mailbox = CursorAndSlots::new();
    let acknowledged = CachePadded::new(AtomicU64::new(0));
    let total = settings.warm_up + settings.paced_messages;
    thread::scope(|scope| {
        let receive = scope.spawn(|| {
            pin(settings.cores[1]);
            let mut recorder = PacedRecorder::new(settings.warm_up);
            for count in 1..=total {
                recorder.record(&mailbox.receive::<W, PAUSE>(count));
                acknowledged.store(count, Ordering::Release);
            }
            recorder
        });
        scope.spawn(|| {
            pin(settings.cores[0]);
            send_paced::<W>(settings, total, &acknowledged, |message| {
                mailbox.send(message.sequence + 1, &message)
            });
        });
        receive.join().expect("two-line paced receiver")
    })
}

/// Offset of the receiver core's counter over the sender core's, in ticks: stamps go both ways
/// through one atomic each; the fastest trip each way is `latency ± offset`.
fn tsc_offset_ticks(settings: &Settings, exchanges: u64) -> f64 {
    let there = CachePadded::new(AtomicU64::new(0));
    let back = CachePadded::new(AtomicU64::new(0));
    // Waits for a stamp other than `last` in `cell`; returns it and how long ago it was taken.
    let next_stamp = |cell: &AtomicU64, last: u64| loop {
        let sent = cell.load(Ordering::Acquire);
        if sent != last {
            return (sent, read_tsc_after_loads().wrapping_sub(sent));
        }
    };
    thread::scope(|scope| {
        let far = scope.spawn(|| {
            pin(settings.cores[1]);
            let (mut fastest, mut last) = (u64::MAX, 0);
            for _ in 0..exchanges {
                let (sent, age) = next_stamp(&there, last);
                (last, fastest) = (sent, fastest.min(age));
                back.store(read_tsc(), Ordering::Release);
            }
            fastest
        });
        let near = scope.spawn(|| {
            pin(settings.cores[0]);
            let (mut fastest, mut last) = (u64::MAX, 0);
            for _ in 0..exchanges {
                there.store(read_tsc(), Ordering::Release);
                let (sent, age) = next_stamp(&back, last);
                (last, fastest) = (sent, fastest.min(age));
            }
            fastest
        });
        let (there_fastest, back_fastest) = (far.join().expect("far"), near.join().expect("near"));
        // Fastest there = L + offset and fastest back = L − offset, each as a wrapping u64.
        (there_fastest as i64 as f64 - back_fastest as i64 as f64) / 2.0
    })
}

// ---------------------------------------------------------------------------------------------
// Statistics

/// Latency percentiles in nanoseconds.
#[derive(Clone, Copy, Debug, Default)]
struct Percentiles {
    p50: f64,
    p90: f64,
    p99: f64,
    p999: f64,
}

impl Percentiles {
    /// `scale` converts a recorded value to the reported one (½ for round trips). The median
    /// is the [`grouped_median`]; the tails are recorded values.
    fn of(histogram: &Histogram<u64>, tsc: Tsc, scale: f64) -> Self {
        let at = |quantile| tsc.nanos(histogram.value_at_quantile(quantile)) * scale;
        let p50 = grouped_median(histogram, tsc.step) * tsc.nanos_per_tick * scale;
        Self { p50, p90: at(0.9), p99: at(0.99), p999: at(0.999) }
    }

    /// The median of each percentile over repetitions.
    fn median(repetitions: &[Percentiles]) -> Option<Self> {
        if repetitions.is_empty() {
            return None;
        }
        let of = |field: fn(&Percentiles) -> f64| median(repetitions.iter().map(field).collect());
        Some(Self { p50: of(|p| p.p50), p90: of(|p| p.p90), p99: of(|p| p.p99), p999: of(|p| p.p999) })
    }

    fn to_json(self) -> serde_json::Value {
        serde_json::json!({ "p50": self.p50, "p90": self.p90, "p99": self.p99, "p99_9": self.p999 })
    }
}

/// The median of `histogram` (ticks) with each recorded value spread evenly over the counter
/// step around it, as grouped data.
///
/// A difference of two stamps is a whole number of steps; since a message's timing is
/// unrelated to when the counter steps, a true 45 ns lands on 40 or 50 ns in proportion to
/// where it lies between them. Spreading each value over its step and interpolating recovers
/// the median to well under a step, where the plain histogram median is off by up to half a
/// step (5 ns on this VM: over 10 % of a near-core hop). With a step of 1 tick it is the plain
/// median to within a tick.
fn grouped_median(histogram: &Histogram<u64>, step: u64) -> f64 {
    let step = step as f64;
    let mut groups = std::collections::BTreeMap::<u64, u64>::new();
    for recorded in histogram.iter_recorded() {
        let group = (recorded.value_iterated_to() as f64 / step).round() as u64;
        *groups.entry(group).or_default() += recorded.count_at_value();
    }
    let half = histogram.len() as f64 / 2.0;
    let mut below = 0.0;
    for (group, count) in groups {
        let count = count as f64;
        if below + count >= half {
            return (group as f64 - 0.5 + (half - below) / count) * step;
        }
        below += count;
    }
    f64::NAN
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) { (values[middle - 1] + values[middle]) / 2.0 } else { values[middle] }
}

/// Everything measured for one contender.
struct Row {
    name: &'static str,
    how: &'static str,
    /// Hop percentiles of each repetition (all its blocks merged).
    hop: Vec<Percentiles>,
    /// Hop p50 of every block, in run order: aligned across rows, so block `i` of two rows ran
    /// back to back.
    hop_block_p50: Vec<f64>,
    /// Paced percentiles of each repetition (all its blocks merged).
    paced: Vec<Percentiles>,
    clock_inversions: u64,
    /// Burst messages per second of each repetition (all its blocks), publishing each message.
    burst: Vec<f64>,
    /// The same, publishing [`BATCH`] messages at once.
    burst_batch: Vec<f64>,
    /// Messages per second of every burst block, aligned across rows like `hop_block_p50`.
    burst_block: Vec<f64>,
    /// The same for batched bursts.
    burst_batch_block: Vec<f64>,
    /// This repetition's blocks so far, merged (round trips in ticks).
    hop_merged: Option<Histogram<u64>>,
    /// This repetition's blocks so far, merged (one-way ticks).
    paced_merged: Option<Histogram<u64>>,
}

impl Row {
    fn new(name: &'static str, how: &'static str) -> Self {
        Self {
            name,
            how,
            hop: Vec::new(),
            hop_block_p50: Vec::new(),
            paced: Vec::new(),
            clock_inversions: 0,
            burst: Vec::new(),
            burst_batch: Vec::new(),
            burst_block: Vec::new(),
            burst_batch_block: Vec::new(),
            hop_merged: None,
            paced_merged: None,
        }
    }

    fn hop(&self) -> Option<Percentiles> {
        Percentiles::median(&self.hop)
    }

    fn paced(&self) -> Option<Percentiles> {
        Percentiles::median(&self.paced)
    }

    fn add_hop_block(&mut self, settings: &Settings, round_trip: Histogram<u64>) {
        let round_trip_p50 = grouped_median(&round_trip, settings.tsc.step);
        self.hop_block_p50.push(settings.tsc.nanos_per_tick * round_trip_p50 / 2.0);
        let merged = self.hop_merged.get_or_insert_with(new_histogram);
        merged.add(&round_trip).expect("same histogram bounds");
    }

    fn add_paced_block(&mut self, recorder: PacedRecorder) {
        self.clock_inversions += recorder.clock_inversions;
        let merged = self.paced_merged.get_or_insert_with(new_histogram);
        merged.add(&recorder.latency_ticks).expect("same histogram bounds");
    }

    /// Closes a repetition: its merged blocks become one entry of `hop` and `paced`, and its
    /// last `settings.burst_blocks` burst blocks one rate each (equal message counts: the rate of
    /// the whole is the harmonic mean of the blocks').
    fn end_repetition(&mut self, settings: &Settings) {
        if let Some(round_trip) = self.hop_merged.take() {
            self.hop.push(Percentiles::of(&round_trip, settings.tsc, 0.5));
        }
        if let Some(one_way) = self.paced_merged.take() {
            self.paced.push(Percentiles::of(&one_way, settings.tsc, 1.0));
        }
        let whole = |blocks: &[f64]| {
            let last = &blocks[blocks.len().saturating_sub(settings.burst_blocks)..];
            (!last.is_empty()).then(|| last.len() as f64 / last.iter().map(|rate| 1.0 / rate).sum::<f64>())
        };
        self.burst.extend(whole(&self.burst_block));
        self.burst_batch.extend(whole(&self.burst_batch_block));
    }
}

/// Median (None when empty) of a row's burst rates.
fn median_rate(rates: &[f64]) -> Option<f64> {
    (!rates.is_empty()).then(|| median(rates.to_vec()))
}

/// Element-wise best (lowest when `lowest`, else highest) of aligned series.
fn best_of(series: &[&[f64]], lowest: bool) -> Vec<f64> {
    let length = series.iter().map(|values| values.len()).min().unwrap_or(0);
    (0..length)
        .map(|index| {
            let values = series.iter().map(|values| values[index]);
            if lowest { values.fold(f64::INFINITY, f64::min) } else { values.fold(0.0, f64::max) }
        })
        .collect()
}

/// The median over pairs of `numerator[i] / denominator[i]`, for the pairs `keep(i)` selects:
/// blocks or repetitions of two rows that ran back to back, so both saw the same placement of
/// the virtual cores.
fn paired_ratio(numerator: &[f64], denominator: &[f64], keep: impl Fn(usize) -> bool) -> f64 {
    assert_eq!(numerator.len(), denominator.len(), "ratios pair runs one to one");
    let ratios = numerator.iter().zip(denominator).enumerate().filter(|&(index, _)| keep(index));
    median(ratios.map(|(_, (top, bottom))| top / bottom).collect())
}

// ---------------------------------------------------------------------------------------------
// The run

/// Row indices, in table order.
const FLOOR: usize = 0;
const FLOOR_PAUSE: usize = 1;
const TWO_LINE: usize = 2;
const RING: usize = 3;
const RING_PAUSE: usize = 4;
const RING_PER_PUSH: usize = 5;
const DISRUPTOR: usize = 6;
const DISRUPTOR_HINT: usize = 7;
const DISRUPTOR_POLLER: usize = 8;
const ARRAY_QUEUE: usize = 9;
const CHANNEL_RECV: usize = 10;
const CHANNEL_TRY_RECV: usize = 11;

fn new_rows() -> Vec<Row> {
    vec![
        Row::new("floor", "two cache-padded AtomicU64s, pure spin (paced: one AtomicU64 stamp)"),
        Row::new("floor, pause", "the same with std::hint::spin_loop per poll"),
        Row::new("floor, cursor+slot", "64-byte slot line then a cursor per message, spin_loop per poll"),
        Row::new(
            "halcyon ring",
            "push + publish per message (burst64: push_batch(64) + publish); wait_poll(BusySpin)",
        ),
        Row::new("ring, pause wait", "the same, with a WaitStrategy that pauses per idle step"),
        Row::new("ring, per-push batch", "burst64 only: 64 push calls + publish, wait_poll(BusySpin)"),
        Row::new("disruptor handler", "build_single_producer(BusySpin).handle_events_with, pinned handler"),
        Row::new("disruptor hint", "the same with BusySpinWithSpinLoopHint"),
        Row::new("disruptor poller", "EventPoller spun without pause on our own pinned thread"),
        Row::new("ArrayQueue spin", "crossbeam_queue::ArrayQueue, spin on push/pop"),
        Row::new("channel recv", "crossbeam_channel::bounded, blocking send/recv"),
        Row::new("channel try_recv", "crossbeam_channel::bounded, try_send/try_recv spin"),
    ]
}

/// Repetition number `repetition`: `blocks` rounds of one hop block and one paced block per
/// contender, then one burst (and one batched burst, where there are batches) per contender.
fn repetition<W: Waiting>(settings: &Settings, rows: &mut [Row], repetition: usize) {
    for _ in 0..settings.blocks {
        let hops = [
            (FLOOR, floor_hop::<W, false>(settings)),
            (FLOOR_PAUSE, floor_hop::<W, true>(settings)),
            (TWO_LINE, two_line_hop::<W, true>(settings)),
            (RING, hop(settings, ring_pair::<W::Ring>)),
            (RING_PAUSE, hop(settings, ring_pair::<W::RingPause>)),
            (DISRUPTOR, disruptor_handler_hop::<W>(settings, W::disruptor())),
            (DISRUPTOR_HINT, disruptor_handler_hop::<W>(settings, W::disruptor_hint())),
            (DISRUPTOR_POLLER, hop(settings, disruptor_poller_pair::<W>)),
            (ARRAY_QUEUE, hop(settings, queue_pair::<W>)),
            (CHANNEL_RECV, hop(settings, channel_pair)),
            (CHANNEL_TRY_RECV, hop(settings, channel_try_pair::<W>)),
        ];
        for (index, round_trip) in hops {
            rows[index].add_hop_block(settings, round_trip);
        }
        let paced = [
            (FLOOR, floor_paced::<W, false>(settings)),
            (FLOOR_PAUSE, floor_paced::<W, true>(settings)),
            (TWO_LINE, two_line_paced::<W, true>(settings)),
            (RING, paced::<W, _, _>(settings, ring_pair::<W::Ring>)),
            (RING_PAUSE, paced::<W, _, _>(settings, ring_pair::<W::RingPause>)),
            (DISRUPTOR, disruptor_handler_paced::<W>(settings, W::disruptor())),
            (DISRUPTOR_HINT, disruptor_handler_paced::<W>(settings, W::disruptor_hint())),
            (DISRUPTOR_POLLER, paced::<W, _, _>(settings, disruptor_poller_pair::<W>)),
            (ARRAY_QUEUE, paced::<W, _, _>(settings, queue_pair::<W>)),
            (CHANNEL_RECV, paced::<W, _, _>(settings, channel_pair)),
            (CHANNEL_TRY_RECV, paced::<W, _, _>(settings, channel_try_pair::<W>)),
        ];
        for (index, recorder) in paced {
            rows[index].add_paced_block(recorder);
        }
    }
    // Bursts are blocks too, each contender's turn rotating from block to block, so that no
    // contender always runs first or last, nor alone in one placement of the cores.
    let bursts: [(usize, &dyn Fn() -> f64); 8] = [
        (RING, &|| burst(settings, ring_pair::<W::Ring>, 1)),
        (RING_PAUSE, &|| burst(settings, ring_pair::<W::RingPause>, 1)),
        (DISRUPTOR, &|| disruptor_handler_burst(settings, W::disruptor(), 1)),
        (DISRUPTOR_HINT, &|| disruptor_handler_burst(settings, W::disruptor_hint(), 1)),
        (DISRUPTOR_POLLER, &|| burst(settings, disruptor_poller_pair::<W>, 1)),
        (ARRAY_QUEUE, &|| burst(settings, queue_pair::<W>, 1)),
        (CHANNEL_RECV, &|| burst(settings, channel_pair, 1)),
        (CHANNEL_TRY_RECV, &|| burst(settings, channel_try_pair::<W>, 1)),
    ];
    let batched: [(usize, &dyn Fn() -> f64); 6] = [
        (RING, &|| burst(settings, ring_pair::<W::Ring>, BATCH)),
        (RING_PAUSE, &|| burst(settings, ring_pair::<W::RingPause>, BATCH)),
        (RING_PER_PUSH, &|| burst(settings, ring_per_push_pair::<W::Ring>, BATCH)),
        (DISRUPTOR, &|| disruptor_handler_burst(settings, W::disruptor(), BATCH)),
        (DISRUPTOR_HINT, &|| disruptor_handler_burst(settings, W::disruptor_hint(), BATCH)),
        (DISRUPTOR_POLLER, &|| burst(settings, disruptor_poller_pair::<W>, BATCH)),
    ];
    for block in 0..settings.burst_blocks {
        for offset in 0..bursts.len() {
            let (index, run) = bursts[(offset + block + repetition) % bursts.len()];
            rows[index].burst_block.push(run());
        }
        for offset in 0..batched.len() {
            let (index, run) = batched[(offset + block + repetition) % batched.len()];
            rows[index].burst_batch_block.push(run());
        }
    }
    for row in rows.iter_mut() {
        row.end_repetition(settings);
    }
}

fn main() {
    let full = std::env::args().any(|argument| argument == "--bench");
    // Read once, before any thread is pinned: a pinned thread sees only its own core.
    let core_ids = core_affinity::get_core_ids().unwrap_or_default();
    let pinned = full && core_ids.len() >= 2;
    let tsc = Tsc::calibrate(Duration::from_millis(if full { 200 } else { 10 }));
    let settings = Settings {
        full,
        cores: if pinned { [Some(core_ids[0]), Some(core_ids[1])] } else { [None, None] },
        tsc,
        warm_up: if full { 1_000 } else { 100 },
        round_trips: if full { 10_000 } else { 500 },
        paced_messages: if full { 5_000 } else { 200 },
        pace_ticks: tsc.ticks(PACE_NANOS),
        blocks: if full { BLOCKS } else { 1 },
        burst_messages: if full { BURST_MESSAGES / BURST_BLOCKS as u64 } else { 20 * BATCH as u64 },
        burst_blocks: if full { BURST_BLOCKS } else { 1 },
        repetitions: if full { REPETITIONS } else { 1 },
    };

    if !full {
        eprintln!("ring bench, quick mode (no --bench): unpinned, yielding waits, message checks only");
    } else if !pinned {
        eprintln!(
            "WARNING: {} core(s) available: running unpinned with yielding waits; \
             these numbers are NOT meaningful",
            core_ids.len()
        );
    }
    eprintln!(
        "cores {:?}, TSC {:.3} GHz in steps of {} ticks, {} repetitions of {} blocks of {} round trips and {} paced \
         messages (+ {} warm-up each), paced every {} ns, bursts of {} blocks of {}",
        settings.cores.map(|core| core.map(|core| core.id)),
        1.0 / tsc.nanos_per_tick,
        tsc.step,
        settings.repetitions,
        settings.blocks,
        settings.round_trips,
        settings.paced_messages,
        settings.warm_up,
        PACE_NANOS,
        settings.burst_blocks,
        settings.burst_messages
    );

    let offset_ns = pinned.then(|| tsc.nanos_per_tick * tsc_offset_ticks(&settings, 20_000));
    if let Some(offset) = offset_ns {
        eprintln!("TSC offset of core {} over core {}: {offset:+.1} ns", core_ids[1].id, core_ids[0].id);
    }

    let mut rows = new_rows();
    for index in 0..settings.repetitions {
        let started = Instant::now();
        if pinned {
            repetition::<Spinning>(&settings, &mut rows, index);
        } else {
            repetition::<Yielding>(&settings, &mut rows, index);
        }
        eprintln!("repetition {}/{} done in {:.1?}", index + 1, settings.repetitions, started.elapsed());
        if full {
            eprint!("{}", table(&rows, Shown::Latest));
        }
    }

    if !full {
        println!("ring bench quick mode: every message of every contender arrived, in order and intact");
        return;
    }
    let summary = Summary::of(&rows);
    println!();
    println!(
        "== ring bench summary: ns one-way, median over {} repetitions of {} interleaved blocks ==",
        settings.repetitions, settings.blocks
    );
    if !pinned {
        println!("NOT MEANINGFUL: fewer than two cores, ran unpinned");
    }
    print!("{}", table(&rows, Shown::Median));
    println!();
    print!("{}", summary.text());
    let inversions: u64 = rows.iter().map(|row| row.clock_inversions).sum();
    if inversions > 0 {
        println!("note: {inversions} paced receipts were stamped before their send (TSC skew)");
    }
    write_json(&settings, &rows, &summary, offset_ns, pinned);
}

/// Which repetitions a table shows.
#[derive(Clone, Copy)]
enum Shown {
    /// The latest only (progress).
    Latest,
    /// The median of all.
    Median,
}

fn table(rows: &[Row], shown: Shown) -> String {
    let cell = |value: Option<f64>, precision: usize| match value {
        Some(value) => format!("{value:.precision$}"),
        None => "—".to_owned(),
    };
    let pick = |repetitions: &[Percentiles]| match shown {
        Shown::Latest => repetitions.last().copied(),
        Shown::Median => Percentiles::median(repetitions),
    };
    let rate = |rates: &[f64]| match shown {
        Shown::Latest => rates.last().copied(),
        Shown::Median => median_rate(rates),
    };
    let mut text = format!(
        "{:<20} | {:>8} | {:>8} | {:>9} | {:>9} | {:>8} | {:>9} | {:>12} | {:>14}\n{}\n",
        "contender",
        "hop p50",
        "hop p99",
        "hop p99.9",
        "paced p50",
        "p99",
        "p99.9",
        "burst Mmsg/s",
        "burst64 Mmsg/s",
        "-".repeat(127)
    );
    for row in rows {
        let (hop, paced) = (pick(&row.hop), pick(&row.paced));
        text += &format!(
            "{:<20} | {:>8} | {:>8} | {:>9} | {:>9} | {:>8} | {:>9} | {:>12} | {:>14}\n",
            row.name,
            cell(hop.map(|p| p.p50), 1),
            cell(hop.map(|p| p.p99), 1),
            cell(hop.map(|p| p.p999), 1),
            cell(paced.map(|p| p.p50), 1),
            cell(paced.map(|p| p.p99), 1),
            cell(paced.map(|p| p.p999), 1),
            cell(rate(&row.burst).map(|rate| rate / 1e6), 2),
            cell(rate(&row.burst_batch).map(|rate| rate / 1e6), 2),
        );
    }
    text
}

/// One acceptance ratio.
struct Ratio {
    name: String,
    value: f64,
    target: f64,
    /// The value must be at most (true) or at least (false) the target.
    at_most: bool,
}

impl Ratio {
    fn met(&self) -> bool {
        if self.at_most { self.value <= self.target } else { self.value >= self.target }
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "value": self.value,
            "target": self.target,
            "at_most": self.at_most,
            "met": self.met(),
        })
    }
}

/// The hop ratios over the blocks of one placement of the virtual cores.
struct Placement {
    name: &'static str,
    blocks: usize,
    floor_p50: f64,
    ratios: Vec<Ratio>,
}

/// The judged ratios, overall and per placement.
struct Summary {
    ratios: Vec<Ratio>,
    /// Empty unless the floor was bimodal.
    placements: Vec<Placement>,
    /// The floor's block p50s, fastest and slowest.
    floor_range: (f64, f64),
}

impl Summary {
    fn of(rows: &[Row]) -> Self {
        let blocks = |index: usize| rows[index].hop_block_p50.as_slice();
        let floor = best_of(&[blocks(FLOOR), blocks(FLOOR_PAUSE)], true);
        let disruptor = best_of(&[blocks(DISRUPTOR), blocks(DISRUPTOR_HINT), blocks(DISRUPTOR_POLLER)], true);
        let hop_ratios = |keep: &dyn Fn(usize) -> bool| {
            vec![
                Ratio {
                    name: "ring hop p50 / floor hop p50 (faster floor)".to_owned(),
                    value: paired_ratio(blocks(RING), &floor, keep),
                    target: 1.5,
                    at_most: true,
                },
                Ratio {
                    name: "ring hop p50 / disruptor handler hop p50".to_owned(),
                    value: paired_ratio(blocks(RING), blocks(DISRUPTOR), keep),
                    target: 0.8,
                    at_most: true,
                },
                Ratio {
                    name: "ring hop p50 / best disruptor hop p50".to_owned(),
                    value: paired_ratio(blocks(RING), &disruptor, keep),
                    target: 0.8,
                    at_most: true,
                },
            ]
        };
        let burst_ratio = |name: &str, ring: &[f64], disruptor: &[f64]| Ratio {
            name: name.to_owned(),
            value: paired_ratio(ring, disruptor, |_| true),
            target: 1.0,
            at_most: false,
        };
        let rates = |index: usize| rows[index].burst_block.as_slice();
        let batched = |index: usize| rows[index].burst_batch_block.as_slice();
        let mut ratios = hop_ratios(&|_| true);
        ratios.extend([
            burst_ratio("ring burst / disruptor handler burst", rates(RING), rates(DISRUPTOR)),
            burst_ratio(
                "ring burst / best disruptor burst",
                rates(RING),
                &best_of(&[rates(DISRUPTOR), rates(DISRUPTOR_HINT), rates(DISRUPTOR_POLLER)], false),
            ),
            burst_ratio("ring burst64 / disruptor handler burst64", batched(RING), batched(DISRUPTOR)),
            burst_ratio(
                "ring burst64 / best disruptor burst64",
                batched(RING),
                &best_of(&[batched(DISRUPTOR), batched(DISRUPTOR_HINT), batched(DISRUPTOR_POLLER)], false),
            ),
        ]);

        let fastest = floor.iter().copied().fold(f64::INFINITY, f64::min);
        let slowest = floor.iter().copied().fold(0.0, f64::max);
        let mut placements = Vec::new();
        // Two placements when the floor spreads over more than 2x: split at the geometric mean.
        if slowest > 2.0 * fastest {
            let split = (fastest * slowest).sqrt();
            for (name, near) in
                [("near (floor below the split)", true), ("far (floor above the split)", false)]
            {
                let keep = |index: usize| (floor[index] < split) == near;
                let kept: Vec<f64> =
                    (0..floor.len()).filter(|&index| keep(index)).map(|index| floor[index]).collect();
                if !kept.is_empty() {
                    placements.push(Placement {
                        name,
                        blocks: kept.len(),
                        floor_p50: median(kept),
                        ratios: hop_ratios(&keep),
                    });
                }
            }
        }
        Self { ratios, placements, floor_range: (fastest, slowest) }
    }

    fn text(&self) -> String {
        let line = |ratio: &Ratio| {
            format!(
                "{:<46} {:>6.2}  (target {} {:.1}: {})\n",
                ratio.name,
                ratio.value,
                if ratio.at_most { "≤" } else { "≥" },
                ratio.target,
                if ratio.met() { "met" } else { "MISSED" }
            )
        };
        let mut text: String = self.ratios.iter().map(line).collect();
        text += &format!(
            "\nfloor hop p50 per block (faster floor): {:.1} to {:.1} ns\n",
            self.floor_range.0, self.floor_range.1
        );
        for placement in &self.placements {
            text += &format!(
                "placement {}: {} blocks, floor p50 {:.1} ns\n",
                placement.name, placement.blocks, placement.floor_p50
            );
            for ratio in &placement.ratios {
                text += &format!("  {}", line(ratio));
            }
        }
        text
    }
}

fn write_json(settings: &Settings, rows: &[Row], summary: &Summary, offset_ns: Option<f64>, pinned: bool) {
    let contenders: Vec<_> = rows
        .iter()
        .map(|row| {
            serde_json::json!({
                "name": row.name,
                "configuration": row.how,
                "hop_one_way_ns": row.hop().map(Percentiles::to_json),
                "hop_repetitions": row.hop.iter().map(|p| p.to_json()).collect::<Vec<_>>(),
                "hop_block_p50_ns": row.hop_block_p50,
                "paced_one_way_ns": row.paced().map(Percentiles::to_json),
                "paced_repetitions": row.paced.iter().map(|p| p.to_json()).collect::<Vec<_>>(),
                "paced_clock_inversions": row.clock_inversions,
                "burst_messages_per_second": median_rate(&row.burst),
                "burst_repetitions": row.burst,
                "burst_block_messages_per_second": row.burst_block,
                "burst64_messages_per_second": median_rate(&row.burst_batch),
                "burst64_repetitions": row.burst_batch,
                "burst64_block_messages_per_second": row.burst_batch_block,
            })
        })
        .collect();
    let placements: Vec<_> = summary
        .placements
        .iter()
        .map(|placement| {
            serde_json::json!({
                "name": placement.name,
                "blocks": placement.blocks,
                "floor_p50_ns": placement.floor_p50,
                "ratios": placement.ratios.iter().map(Ratio::to_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let unix_seconds =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_secs());
    let report = serde_json::json!({
        "bench": "ring",
        "unix_time": unix_seconds,
        "full": settings.full,
        "pinned": pinned,
        "meaningful": pinned,
        "cores": settings.cores.map(|core| core.map(|core| core.id)),
        "tsc_ghz": 1.0 / settings.tsc.nanos_per_tick,
        "tsc_offset_ns": offset_ns,
        "tsc_step_ticks": settings.tsc.step,
        "message_bytes": size_of::<Message>(),
        "capacity": CAPACITY,
        "repetitions": settings.repetitions,
        "blocks_per_repetition": settings.blocks,
        "warm_up_per_block": settings.warm_up,
        "round_trips_per_block": settings.round_trips,
        "paced_messages_per_block": settings.paced_messages,
        "pace_ns": PACE_NANOS,
        "burst_blocks_per_repetition": settings.burst_blocks,
        "burst_messages_per_block": settings.burst_messages,
        "burst64_batch": BATCH,
        "statistic": "percentiles of each repetition's merged blocks, median over repetitions; \
                      p50 = grouped median over the TSC step, tails = recorded values; \
                      hop = round trip / 2; burst = harmonic mean of a repetition's blocks; \
                      ratios = median of ratios between back-to-back blocks",
        "contenders": contenders,
        "ratios": summary.ratios.iter().map(Ratio::to_json).collect::<Vec<_>>(),
        "floor_block_p50_range_ns": [summary.floor_range.0, summary.floor_range.1],
        "placements": placements,
    });
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let path = target.join("ring-bench.json");
    let text = serde_json::to_string_pretty(&report).expect("the report serializes");
    match std::fs::write(&path, text) {
        Ok(()) => println!("wrote {}", path.display()),
        Err(error) => eprintln!("could not write {}: {error}", path.display()),
    }
}
