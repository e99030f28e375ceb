//! The disruptor-style ring: one producer, any number of consumers, preallocated `Copy` slots.
//!
//! - [`RingBuilder`] takes the capacity (a power of two), the fill value and the consumers with
//!   their dependencies ([`ConsumerId`]s), and builds the ring. Construction errors are
//!   [`RingError`] values.
//! - [`Producer`] is the one writer: [`push`](Producer::push) (waits for room),
//!   [`try_push`](Producer::try_push) (hands the value back when full) or
//!   [`push_batch`](Producer::push_batch) (many values, one room check per run of free slots)
//!   write slots, and [`publish`](Producer::publish) makes them visible, a batch at a time, with
//!   one store.
//! - [`Consumer`] reads: [`poll`](Consumer::poll) never waits, [`wait_poll`](Consumer::wait_poll)
//!   waits with a [`WaitStrategy`] and returns [`Closed`] at the end. A consumer built `after`
//!   others sees a slot only once they have consumed it (e.g. telemetry after the quoting core).
//! - Wait strategies: [`BusySpin`] (pinned threads), [`SpinThenYield`] (unpinned),
//!   [`Blocking`] (slow or batch consumers: park until published), and [`AnyWait`], one of them
//!   picked at run time from a configured [`WaitKind`]. Implement [`WaitStrategy`] for others;
//!   [`Parking`] is how one puts a consumer to sleep.
//!
//! ```
//! use engine::ring::{RingBuilder, SpinThenYield};
//!
//! let mut builder = RingBuilder::new(64, 0u64)?;
//! builder.consumer("summer", &[]);
//! let (mut producer, mut consumers) = builder.build();
//! let mut consumer = consumers.pop().unwrap();
//!
//! let feed = std::thread::spawn(move || {
//!     let mut wait = SpinThenYield::default();
//!     for value in 0..1000u64 {
//!         producer.push(value, &mut wait);
//!         if value % 10 == 9 {
//!             producer.publish(); // one store makes ten slots visible
//!         }
//!     }
//!     producer.close(); // or drop it
//! });
//!
//! let mut wait = SpinThenYield::default();
//! let mut sum = 0;
//! while let Ok(_read) = consumer.wait_poll(&mut wait, 32, |value, _sequence| sum += value) {}
//! feed.join().unwrap();
//! assert_eq!(sum, (0..1000).sum::<u64>());
//! # Ok::<(), engine::ring::RingError>(())
//! ```
//!
//! # Lifecycle
//! 1. **Build.** [`RingBuilder::new`] allocates the slots (the ring's only large allocation),
//!    [`RingBuilder::consumer`] adds consumers, [`RingBuilder::build`] returns the producer and
//!    the consumers, in the order they were added. Move each to its thread.
//! 2. **Publish.** The producer pushes and publishes; each consumer reads each published slot
//!    once, in order. The producer never overwrites a slot a live consumer has not read: when
//!    the ring is full it waits for the slowest one.
//! 3. **Close.** [`Producer::close`], or dropping the producer, publishes what is pending and
//!    marks the ring closed; parked consumers are woken.
//! 4. **Drain.** Consumers read what is left; then `wait_poll` returns `Err(Closed)`, and keeps
//!    returning it. A consumer dropped at any point stops gating the producer and its
//!    dependents, so no thread's early exit can deadlock the others.
//!
//! # Guarantees
//! - After `build`, `push`, `push_batch`, `try_push`, `publish`, `poll` and `wait_poll` neither
//!   allocate, lock nor make system calls, with one exception: unparking a [`Blocking`] consumer
//!   that is parked and due, from `publish`, or from `push`/`push_batch`/`try_push` on a full
//!   ring (a futex wake; the
//!   thread handle is cloned under a mutex that only a consumer parking on a new thread takes).
//!   With no consumer parked, the wake-up check costs one relaxed load and a not-taken branch.
//!   While they wait, `push`, `push_batch` and `wait_poll` do what their [`WaitStrategy`] does (spin, yield,
//!   park).
//! - A consumer sees each published slot exactly once, in sequence order, and whole: the
//!   producer never writes a slot while a consumer may read it.
//! - The producer re-reads the consumers' cursors only when its cached view says the next slot
//!   may still be unread (once per `capacity` pushes at best); a consumer re-reads the producer's
//!   cursor (or its dependencies') only when it has consumed all it knew about.
//! - This module holds all the `unsafe` code of the crate: the accesses to slot memory, whose
//!   contract is spelled out in `slots.rs` and discharged at each call.
//!
//! # Memory orderings, in short
//! The producer writes slots, then stores its cursor with **Release**; consumers load it with
//! **Acquire** before reading. Consumers read, then store their own cursor with **Release**; the
//! producer and dependent consumers load it with **Acquire** before overwriting, or reading,
//! the slot. That is all the hot path orders. Parking adds a `SeqCst` fence on the consumer's
//! side only, and relies on a timeout for the one wake-up that can then be lost: see
//! [`Blocking`] and `park.rs`.
//!
//! # Layout
//! `slots.rs` (the cells), `cursor.rs` (padded counters), `barrier.rs` (whose cursors gate
//! whom), `sequences.rs` (all counters of a ring), `park.rs` (parking protocol), `producer.rs`,
//! `consumer.rs`, `builder.rs`, `wait/` (strategies), `sync.rs` (the std/loom switch).
//!
//! Why our own ring rather than the `disruptor` crate (4.4, used in `benches/ring.rs` as the
//! baseline): it requires `E: Send + Sync`, and its wait strategies spin or sleep a fixed time,
//! with no way to wake a sleeping consumer when data arrives. We need a `Blocking` consumer
//! (recorder, telemetry) that sleeps until woken without the feed thread paying a fence or a
//! system call per publish.

mod barrier;
mod builder;
mod consumer;
mod cursor;
mod park;
mod producer;
mod sequences;
mod slots;
mod sync;
mod wait;

pub use builder::{ConsumerId, RingBuilder, RingError};
pub use consumer::{Closed, Consumer};
pub use park::Parking;
pub use producer::Producer;
pub use wait::{AnyWait, Blocking, BusySpin, ParseWaitKindError, SpinThenYield, WaitKind, WaitStrategy};
