//! # halcyon-testkit: what the workspace's tests share
//!
//! - [`data_dir`]: the real recorded market data beside the checkout (tests fail, never skip,
//!   when it is missing).
//! - [`CountingAllocator`] and [`thread_allocations`]: a global allocator that counts the
//!   allocations of each thread, for the "no allocation once warm" checks.
//! - `replay::Replay` (feature `replay`): the Binance USD-M BTCUSDT recording decoded,
//!   sequenced and applied to a book, frame by frame.
//!
//! Only ever a dev-dependency.

#[cfg(feature = "replay")]
pub mod replay;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};

/// The real-data folder: `$HALCYON_DATA` if set, else `shared/data` beside the checkout
/// (`workspace_root/../shared/data`).
///
/// Panics if the folder is missing: CI must fail, not skip, without its data.
pub fn data_dir() -> PathBuf {
    let dir = match std::env::var_os("HALCYON_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("../shared/data"),
    };
    assert!(
        dir.is_dir(),
        "real market data folder {} is missing: set HALCYON_DATA or put shared/data beside the checkout",
        dir.display()
    );
    dir
}

/// The workspace root (where `configs/` is).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Counts every `alloc`, `alloc_zeroed` and `realloc` of the calling thread, then forwards it
/// to [`System`]. Install it in a test binary with
/// `#[global_allocator] static ALLOCATOR: testkit::CountingAllocator = testkit::CountingAllocator;`
/// and read a thread's count with [`thread_allocations`]: tests run on parallel threads, so a
/// check is the difference of two readings on the thread doing the work.
pub struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: during thread teardown the counter may be gone; those allocations are not ours.
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

/// Allocations made by the calling thread so far (zero unless [`CountingAllocator`] is the
/// global allocator).
pub fn thread_allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting touches only a
// const-initialised thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which we pass on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (we forward every allocation).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: as for `alloc` and `dealloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
