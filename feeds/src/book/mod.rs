//! The L2 order book, keyed by integer ticks.
//!
//! - [`OrderBook`]: both sides of one instrument's book and its sync state. Feed it every
//!   event with [`OrderBook::apply`]; read it at [`Applied::UpdateComplete`] while
//!   [`OrderBook::is_trusted`]. This is what the quoting core holds.
//! - [`Ladder`]: one side, generic over the marker types [`Bids`] and [`Asks`]: a dense
//!   tick-indexed window around the best price and a sorted overflow past it. Use it directly
//!   only to build another book shape; the [`OrderBook`] owns two.
//! - [`Depth`], [`SideDepth`], [`Notional`]: resting size within a band around the mid, in exact
//!   integers, from [`OrderBook::depth_within_bps`].
//! - [`Applied`], [`BookError`], [`LevelChange`]: what an event or a `set` did.
//!
//! ## Sync rules
//! A book is *untrusted* when new. A snapshot [`BookClear`](crate::BookClear) empties it and
//! starts *loading*; the snapshot's levels follow, and its `last` level makes the book *trusted*.
//! Diffs keep it so. A gap or reconnect ([`FeedStatus`](crate::FeedStatus)), an abandonment, or
//! any [`BookError`] (an invalid level, a crossed book after a complete update, a level whose
//! snapshot flag is out of place) makes it untrusted until the next snapshot completes. Levels
//! keep being applied to an untrusted book; only quoting stops.
//!
//! ## Why a dense window around the best, with a sorted overflow
//! Each side maps a price to a *rank*, smaller for better, and keeps a window of
//! [`DEFAULT_WINDOW_TICKS`] (65 536) consecutive ranks as a ring of quantity slots, one per tick,
//! plus a bitmap of the non-empty slots; the levels deeper than the window sit in a `Vec` sorted
//! worst first (see [`Ladder`] for the layout and its re-anchoring):
//! - *Change*: a level in the window is one slot write and one bitmap bit, wherever it is. Past
//!   the window, a binary search and a shift of the better overflow levels.
//! - *Find*: the best is a tracked rank; after it is removed the next one is a bitmap scan (64
//!   ticks per word). A level's quantity is one load in the window.
//! - *Read*: top-n and depth walk the bitmap from the best, then the overflow.
//!
//! Measured on the Binance BTCUSDT `@depth@0ms` recording (445 263 book events) with `cargo bench
//! --bench book` on a 2-core machine, the sorted `Vec` this replaced and the window built and run
//! alternately, several runs each; the `BTreeMap` baseline ran in the same runs. Times per
//! iteration, except the first row:
//!
//! | bench                                  | sorted `Vec` | window  | two `BTreeMap`s |
//! |----------------------------------------|--------------|---------|-----------------|
//! | `apply_all_depth_events`, per event    | 48–50 ns     | 10.1 ns | 45–49 ns        |
//! | `apply_top_of_book_update` (2 diffs)   | 9.0 ns       | 10.2 ns |                 |
//! | `insert_remove_near_top` (2 diffs)     | 10.6 ns      | 10.6 ns |                 |
//! | `best_bid_ask`                         | 0.96 ns      | 1.2 ns  |                 |
//! | `depth_within_25bps` (≈ 1 680 levels)  | 2.2 µs       | 2.6 µs  |                 |
//! | `top_10` (both sides)                  | 14 ns        | 32 ns   |                 |
//!
//! The sorted `Vec` (best level at the end) spent 42% of its apply time in `memmove`: the stream
//! inserts and removes about 164 000 levels, on average 514 levels from the best, and each moved
//! every better level. The window makes those writes O(1), at the price of slower walks: top-n
//! and depth step through a bitmap instead of a contiguous slice. (The sorted `Vec`'s queries
//! varied with the build: 21 ns for `top_10` and 3.2 µs for `depth_within_25bps` in another.)
//! A `BTreeMap` allocates nodes and chases pointers. A `HashMap` with a tracked best
//! (hftbacktest's `HashMapMarketDepth`) must scan for the next best and sort for top-n.
//!
//! The window's costs are memory (520 KiB per side, about 1 MiB per book) and re-anchoring when
//! the price runs past it (never in this recording). Its default size is the knee of the curve
//! on this recording (scratch runs of [`OrderBook::with_window`], same machine): apply took 26 ns
//! per event with a 1 024-tick window, 15 ns with 4 096, 9.7 ns with 16 384, 8.6 ns with 65 536
//! and 8.3 ns with 262 144 (4× the memory). The bitmap costs about 0.5 ns per event against
//! scanning the slots themselves, and bounds the scans: finding a next best 20 000 ticks away
//! takes 0.16 µs instead of 4.7 µs, a walk of the whole book 6 µs instead of 33 µs.
//!
//! ## Guarantees
//! - No allocation per update while each side holds at most the `levels_per_side` given to
//!   [`OrderBook::with_capacity`] past its window; any number of levels fit in the window. A
//!   side whose overflow outgrows it grows that `Vec` (amortised doubling) and keeps the larger
//!   buffer. The BTCUSDT recording ended with about 340 bids and 150 asks past the default
//!   window.
//! - Memory: each side allocates its window at construction, `W × 8` bytes of slots and `W / 8`
//!   of bitmap (520 KiB at the default `W` of 65 536 ticks), zeroed, its pages mapped by the OS
//!   as they are first written.
//! - Never panics on any event or argument: bad input is a [`BookError`].
//! - Pure: no I/O, no clocks, no threads.

mod depth;
mod ladder;
mod order_book;

pub use depth::{Depth, Notional, SideDepth};
pub use ladder::{Asks, BestFirst, Bids, BookSide, DEFAULT_WINDOW_TICKS, Ladder, LevelChange};
pub use order_book::{Applied, BookError, OrderBook};
