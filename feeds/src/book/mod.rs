//! The L2 order book, keyed by integer ticks.
//!
//! - [`OrderBook`]: both sides of one instrument's book and its sync state. Feed it every
//!   event with [`OrderBook::apply`]; read it at [`Applied::UpdateComplete`] while
//!   [`OrderBook::is_trusted`]. This is what the quoting core holds.
//! - [`Ladder`]: one side, generic over the marker types [`Bids`] and [`Asks`]. Use it directly
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
//! ## Why a sorted `Vec` with the best level at the end
//! Each side is a `Vec<(Ticks, Lots)>`, bids ascending and asks descending, so the best level is
//! the last element. Updates cluster at the top of the book, which is the end of the `Vec`:
//! - *Find*: compare the top 4 levels, then binary-search the rest: ≤ 4 comparisons near the
//!   top, 4 + ⌈log₂ n⌉ deeper. No scan of the book.
//! - *Change*: an updated quantity is written in place; an insertion or removal at depth `d`
//!   from the best moves `d` levels (16 bytes each) with one `memmove`, nothing below it.
//! - *Read*: best is `last()`, top-n is a reverse slice walk over contiguous memory, a level's
//!   quantity is a binary search.
//!
//! The alternatives lose on the hot path: a `BTreeMap` allocates nodes on insertion and chases
//! pointers on every lookup and walk; a `HashMap` with a tracked best (hftbacktest's
//! `HashMapMarketDepth`) must scan to find the next best after the top level goes, and top-n
//! needs a sort; a dense tick-indexed array is O(1) per update but must be re-centred when price
//! runs and skips empty ticks on every walk of a sparse book.
//!
//! ## Guarantees
//! - No allocation per update while each side holds at most the `levels_per_side` given to
//!   [`OrderBook::with_capacity`]. A side that outgrows it grows its `Vec` (amortised doubling)
//!   and keeps the larger buffer; size the capacity above the venue's depth (1000 levels for a
//!   Binance USD-M snapshot, plus room for diffs beyond it).
//! - Never panics on any event or argument: bad input is a [`BookError`].
//! - Pure: no I/O, no clocks, no threads.

mod depth;
mod ladder;
mod order_book;

pub use depth::{Depth, Notional, SideDepth};
pub use ladder::{Asks, BestFirst, Bids, BookSide, Ladder, LevelChange};
pub use order_book::{Applied, BookError, OrderBook};
