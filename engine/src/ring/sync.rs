//! The one switch between `std` and `loom`: the ring names its atomics, locks, threads and cells
//! through this module, so `--cfg halcyon_loom` swaps every synchronization primitive at once.
//!
//! The shim has no `unsafe`. The std [`UnsafeCell`] wrapper copies loom's `with`/`with_mut`
//! interface, which hands out raw pointers; dereferencing them is up to `slots.rs`.
//! [`ThreadParker`] is std's park/unpark for one consumer; under loom it is a token of its own.

use std::time::Duration;

#[cfg(not(halcyon_loom))]
pub(super) use std::sync::Arc;
#[cfg(not(halcyon_loom))]
pub(super) use std::sync::atomic::{AtomicBool, AtomicU64, Ordering, fence};
#[cfg(not(halcyon_loom))]
pub(super) use std::thread::{ThreadId, yield_now};

#[cfg(halcyon_loom)]
pub(super) use loom::sync::Arc;
#[cfg(halcyon_loom)]
pub(super) use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering, fence};
#[cfg(halcyon_loom)]
pub(super) use loom::thread::{ThreadId, yield_now};

/// One step of a busy wait. Under loom it yields, so that the model checker runs the thread
/// being waited for (a `spin_loop` would be an infinite loop to it).
#[inline]
pub(super) fn spin_loop() {
    #[cfg(not(halcyon_loom))]
    std::hint::spin_loop();
    #[cfg(halcyon_loom)]
    loom::thread::yield_now();
}

/// One step of a busy wait that does not even pause: nothing at all, except under loom, where it
/// yields (see [`spin_loop`]).
#[inline]
pub(super) fn spin_without_pause() {
    #[cfg(halcyon_loom)]
    loom::thread::yield_now();
}

/// Puts one consumer's thread to sleep and wakes it: std's `park_timeout`/`unpark`, with the
/// thread handle registered by the consumer the first time it parks on a thread.
#[cfg(not(halcyon_loom))]
pub(super) struct ThreadParker {
    /// The thread the consumer last parked on. The mutex is taken by the consumer when it
    /// registers a new thread and by an unparker to clone the handle; never while parked.
    thread: std::sync::Mutex<Option<std::thread::Thread>>,
}

#[cfg(not(halcyon_loom))]
impl ThreadParker {
    pub(super) fn new() -> Self {
        Self { thread: std::sync::Mutex::new(None) }
    }

    /// Makes the calling thread the one [`ThreadParker::unpark`] wakes; `registered` is the
    /// caller's memory of the last thread registered, which spares the lock when unchanged.
    pub(super) fn register(&self, registered: &mut Option<ThreadId>) {
        let thread = std::thread::current();
        if *registered != Some(thread.id()) {
            *registered = Some(thread.id());
            *self.thread.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(thread);
        }
    }

    /// Parks the calling (registered) thread until unparked or `timeout` passes (`None`: no
    /// timeout). May return spuriously, so callers re-check.
    pub(super) fn park(&self, timeout: Option<Duration>) {
        match timeout {
            Some(timeout) => std::thread::park_timeout(timeout),
            None => std::thread::park(),
        }
    }

    /// Wakes the registered thread, or makes its next park return at once. Nothing if no thread
    /// registered yet (it has not parked, so there is nothing to wake).
    pub(super) fn unpark(&self) {
        let thread = self.thread.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        if let Some(thread) = thread {
            thread.unpark();
        }
    }
}

/// Loom's model of [`ThreadParker`]: an unpark token per consumer, as std keeps one per thread.
///
/// Not `loom::thread::park`: loom treats an unpark that reaches a thread blocked in `join` or a
/// mutex as a bug, whereas for std it is a harmless stray token, which the ring can produce (a
/// wake-up claimed just as the consumer timed out). Loom has no timed park either: a timeout is
/// modelled as one that expires at once (a legal `park_timeout` outcome, so loom checks the ring
/// is correct when the timeout wakes a consumer, not how fast); `None` waits for the token, so a
/// lost wake-up makes loom fail the model.
///
/// The token is two counters rather than a flag the parked thread clears: loom never lets a
/// thread that loops on a location it has itself written see another thread's newer store.
#[cfg(halcyon_loom)]
pub(super) struct ThreadParker {
    /// Unparks so far; written by unparkers only.
    unparks: AtomicU64,
    /// Unparks consumed by the parked thread; written by it only.
    consumed: AtomicU64,
}

#[cfg(halcyon_loom)]
impl ThreadParker {
    pub(super) fn new() -> Self {
        Self { unparks: AtomicU64::new(0), consumed: AtomicU64::new(0) }
    }

    pub(super) fn register(&self, _registered: &mut Option<ThreadId>) {}

    pub(super) fn park(&self, timeout: Option<Duration>) {
        // A park is a scheduling point: yield even if a token is waiting (loom only makes a
        // looping thread's loads see newer stores after it yields).
        loom::thread::yield_now();
        let consumed = self.consumed.load(Ordering::Relaxed);
        loop {
            // Acquire/Release on the counter, as std's park/unpark synchronize.
            let unparks = self.unparks.load(Ordering::Acquire);
            if unparks != consumed || timeout.is_some() {
                // Consume every pending unpark: std's token is one bit.
                self.consumed.store(unparks, Ordering::Relaxed);
                return;
            }
            loom::thread::yield_now();
        }
    }

    pub(super) fn unpark(&self) {
        self.unparks.fetch_add(1, Ordering::Release);
    }
}

#[cfg(halcyon_loom)]
pub(super) use loom::cell::UnsafeCell;

/// `std::cell::UnsafeCell` with loom's closure-based interface.
#[cfg(not(halcyon_loom))]
#[derive(Debug)]
pub(super) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(halcyon_loom))]
impl<T> UnsafeCell<T> {
    pub(super) const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }

    /// Calls `f` with a pointer for reading the contents.
    #[inline]
    pub(super) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Calls `f` with a pointer for writing the contents.
    #[inline]
    pub(super) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
