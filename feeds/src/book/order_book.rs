//! The two-sided book and its sync rules: which events change it and when it is trusted.

use super::depth::Depth;
use super::ladder::{Asks, BestFirst, Bids, Ladder, LevelChange};
use crate::event::{BookClear, BookLevel, ClearReason, Event, EventKind, FeedCondition};
use crate::units::{Lots, Seq, Side, Ticks};

/// Basis points in one.
const BPS_PER_UNIT: i128 = 10_000;

/// What [`OrderBook::apply`] did with an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Applied {
    /// A level was set or the book cleared in the middle of an exchange update: more events of
    /// the same update follow, and the book is between two exchange states. Don't read it yet.
    Partial,
    /// The event completed an exchange update (it carried `last`): the book is consistent and not
    /// crossed, and [`OrderBook::last_update_id`] is the event's `seq`. Quote from it if
    /// [`OrderBook::is_trusted`].
    UpdateComplete,
    /// The feed reported a gap or a reconnect, or the book was abandoned: it is untrusted now.
    /// Pull quotes until a snapshot completes.
    Invalidated,
    /// Not a book event (a trade, a mark price, a stale or resync notice): nothing changed.
    Ignored,
}

/// Why an event broke the book. Every error leaves the book untrusted until the next snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum BookError {
    /// A level with a non-positive price or a negative quantity. It was not applied.
    #[error("invalid {side:?} level: price {price:?}, qty {qty:?}")]
    InvalidLevel {
        /// Side of the level.
        side: Side,
        /// Its price.
        price: Ticks,
        /// Its quantity.
        qty: Lots,
    },
    /// A complete update left the best bid at or above the best ask. The update was applied.
    #[error("crossed book: best bid {bid:?} >= best ask {ask:?}")]
    Crossed {
        /// Best bid.
        bid: Ticks,
        /// Best ask.
        ask: Ticks,
    },
    /// A level whose `snapshot` flag does not fit the book's state: a diff level in the middle
    /// of a snapshot, or a snapshot level reaching a trusted book with no snapshot
    /// [`BookClear`] before it. The feed interleaved two updates. The level was applied.
    #[error("{side:?} level at {price:?} with snapshot = {snapshot} out of place")]
    UnexpectedLevel {
        /// Side of the level.
        side: Side,
        /// Its price.
        price: Ticks,
        /// The level's `snapshot` flag.
        snapshot: bool,
    },
}

impl BookError {
    /// True when the book must be rebuilt from a snapshot before it is trusted again: for now,
    /// every book error.
    #[inline]
    pub const fn needs_resync(&self) -> bool {
        true
    }
}

/// How far the book can be believed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trust {
    /// Not known to match the exchange: new, after a gap, an error or an abandonment.
    Untrusted,
    /// A snapshot is being loaded: cleared, its levels arriving, its `last` not yet seen.
    Loading,
    /// Rebuilt from a snapshot and kept in step by complete diffs since.
    Trusted,
}

/// An L2 order book keyed by integer [`Ticks`], with [`Lots`] quantities.
///
/// Fed by [`apply`](OrderBook::apply) with the normalized events of one instrument, in order.
/// The book is trusted once a snapshot has been loaded (a snapshot [`BookClear`], its levels,
/// its `last` level) and until a gap, a reconnect, an abandonment or a [`BookError`].
///
/// ```
/// # use feeds::{BookClear, BookLevel, ClearReason, Event, EventKind, InstrumentId, Lots, Nanos,
/// #     OrderBook, Seq, Side, Ticks};
/// # let event = |kind| Event::new(Nanos(0), Nanos(0), Seq(42), InstrumentId(0), kind);
/// # let level = |side, price, qty, last| {
/// #     event(EventKind::BookLevel(BookLevel {
/// #         side, price: Ticks(price), qty: Lots(qty), last, snapshot: true,
/// #     }))
/// # };
/// let mut book = OrderBook::with_capacity(1000);
/// assert!(!book.is_trusted());
///
/// book.apply(&event(EventKind::BookClear(BookClear { reason: ClearReason::Snapshot, last: false })))?;
/// book.apply(&level(Side::Bid, 618_002, 2_507, false))?;
/// book.apply(&level(Side::Ask, 618_003, 2_510, true))?;
///
/// assert!(book.is_trusted());
/// assert_eq!(book.last_update_id(), Seq(42));
/// assert_eq!(book.spread(), Some(Ticks(1)));
/// # Ok::<(), feeds::book::BookError>(())
/// ```
#[derive(Clone, Debug)]
pub struct OrderBook {
    bids: Ladder<Bids>,
    asks: Ladder<Asks>,
    trust: Trust,
    /// `seq` of the last event that completed an update; zero before the first.
    last_update_id: Seq,
}

impl OrderBook {
    /// An empty, untrusted book whose sides each have the default window of
    /// [`DEFAULT_WINDOW_TICKS`](super::DEFAULT_WINDOW_TICKS) ticks around the best price, and
    /// room for `levels_per_side` levels past it before they allocate again.
    pub fn with_capacity(levels_per_side: usize) -> OrderBook {
        OrderBook::from_sides(Ladder::with_capacity(levels_per_side), Ladder::with_capacity(levels_per_side))
    }

    /// An empty, untrusted book whose sides each have a window of `window_ticks` ticks around the
    /// best price and room for `levels_per_side` levels past it ([`Ladder::with_window`]).
    ///
    /// # Panics
    /// If `window_ticks` is not a power of two.
    pub fn with_window(window_ticks: usize, levels_per_side: usize) -> OrderBook {
        OrderBook::from_sides(
            Ladder::with_window(window_ticks, levels_per_side),
            Ladder::with_window(window_ticks, levels_per_side),
        )
    }

    fn from_sides(bids: Ladder<Bids>, asks: Ladder<Asks>) -> OrderBook {
        OrderBook { bids, asks, trust: Trust::Untrusted, last_update_id: Seq(0) }
    }

    /// Applies one event of this book's instrument.
    ///
    /// - [`BookLevel`]: sets the level (zero quantity removes it; removing a missing level is
    ///   fine). Its `last` flag completes the update: `last_update_id` becomes `event.seq`, a
    ///   snapshot being loaded becomes trusted, and the book is checked for a cross.
    /// - [`BookClear`] for a snapshot: empties the book and starts loading the snapshot
    ///   (trusted at its `last` event; the clear itself when it carries `last`, an empty
    ///   snapshot). For an abandonment: empties the book, untrusted.
    /// - [`FeedStatus`](crate::FeedStatus) gap or reconnect: untrusted, levels kept.
    /// - Everything else, including stale and resync notices: [`Applied::Ignored`].
    ///
    /// An error is returned once, at the event that breaks trust; the book stays untrusted
    /// until a snapshot completes, and the rest of a broken update is applied without further
    /// errors (except for invalid levels, which are never applied, and crosses).
    pub fn apply(&mut self, event: &Event) -> Result<Applied, BookError> {
        match event.kind() {
            EventKind::BookLevel(level) => self.apply_level(event.seq, level),
            EventKind::BookClear(clear) => self.apply_clear(event.seq, clear),
            EventKind::FeedStatus(status) => match status.condition {
                FeedCondition::Gap | FeedCondition::Reconnected => {
                    self.trust = Trust::Untrusted;
                    Ok(Applied::Invalidated)
                }
                // A resync follows a gap (already untrusted); staleness is the risk gate's call.
                FeedCondition::Resync | FeedCondition::Stale => Ok(Applied::Ignored),
            },
            EventKind::Bbo(_)
            | EventKind::Trade(_)
            | EventKind::Liquidation(_)
            | EventKind::MarkPrice(_)
            | EventKind::OpenInterest(_)
            | EventKind::Options(_)
            | EventKind::FrameEnd(_) => Ok(Applied::Ignored),
        }
    }

    fn apply_level(&mut self, seq: Seq, level: BookLevel) -> Result<Applied, BookError> {
        let BookLevel { side, price, qty, last, snapshot } = level;
        if price.0 <= 0 || qty.0 < 0 {
            self.trust = Trust::Untrusted;
            return Err(BookError::InvalidLevel { side, price, qty });
        }
        let out_of_place = match self.trust {
            Trust::Loading => !snapshot,
            Trust::Trusted => snapshot,
            Trust::Untrusted => false,
        };
        if out_of_place {
            self.trust = Trust::Untrusted;
        }
        self.set_unchecked(side, price, qty);
        // A cross outranks an out-of-place level: both mean resync, and the cross is what a
        // caller checking the book's shape needs to hear.
        let applied = if last { self.complete_update(seq)? } else { Applied::Partial };
        if out_of_place {
            return Err(BookError::UnexpectedLevel { side, price, snapshot });
        }
        Ok(applied)
    }

    fn apply_clear(&mut self, seq: Seq, clear: BookClear) -> Result<Applied, BookError> {
        self.bids.clear();
        self.asks.clear();
        match clear.reason {
            ClearReason::Snapshot => {
                self.trust = Trust::Loading;
                if clear.last { self.complete_update(seq) } else { Ok(Applied::Partial) }
            }
            ClearReason::Abandoned => {
                // Not an exchange update: `last_update_id` keeps the last one the book saw.
                self.trust = Trust::Untrusted;
                Ok(Applied::Invalidated)
            }
        }
    }

    /// Ends an update at an event carrying `last`: records its id, trusts a loaded snapshot,
    /// and distrusts a crossed book.
    fn complete_update(&mut self, seq: Seq) -> Result<Applied, BookError> {
        self.last_update_id = seq;
        if self.trust == Trust::Loading {
            self.trust = Trust::Trusted;
        }
        if let (Some((bid, _)), Some((ask, _))) = (self.bids.best(), self.asks.best())
            && bid >= ask
        {
            self.trust = Trust::Untrusted;
            return Err(BookError::Crossed { bid, ask });
        }
        Ok(Applied::UpdateComplete)
    }

    /// Sets `price` on `side` to `qty` (zero removes it), bypassing the sync rules: trust and
    /// [`last_update_id`](OrderBook::last_update_id) are untouched. For tests and benchmarks.
    ///
    /// A non-positive price or negative quantity is refused with
    /// [`BookError::InvalidLevel`] and changes nothing.
    #[inline]
    pub fn set(&mut self, side: Side, price: Ticks, qty: Lots) -> Result<LevelChange, BookError> {
        if price.0 <= 0 || qty.0 < 0 {
            return Err(BookError::InvalidLevel { side, price, qty });
        }
        Ok(self.set_unchecked(side, price, qty))
    }

    #[inline]
    fn set_unchecked(&mut self, side: Side, price: Ticks, qty: Lots) -> LevelChange {
        match side {
            Side::Bid => self.bids.set(price, qty),
            Side::Ask => self.asks.set(price, qty),
        }
    }

    /// Empties both sides, keeping their windows and capacity and bypassing the sync rules: trust and
    /// [`last_update_id`](OrderBook::last_update_id) are untouched. For tests and benchmarks.
    #[inline]
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }

    /// True when the book was loaded from a snapshot and nothing has broken it since. Quote only
    /// from a trusted book, and only at [`Applied::UpdateComplete`].
    #[inline]
    pub fn is_trusted(&self) -> bool {
        self.trust == Trust::Trusted
    }

    /// `seq` of the last event that completed an update (a snapshot's `lastUpdateId`, a diff's
    /// final update id); `Seq(0)` before the first.
    #[inline]
    pub fn last_update_id(&self) -> Seq {
        self.last_update_id
    }

    /// Best (highest) bid and its quantity.
    #[inline]
    pub fn best_bid(&self) -> Option<(Ticks, Lots)> {
        self.bids.best()
    }

    /// Best (lowest) ask and its quantity.
    #[inline]
    pub fn best_ask(&self) -> Option<(Ticks, Lots)> {
        self.asks.best()
    }

    /// Best ask minus best bid, when both sides have levels. Zero or negative if crossed.
    #[inline]
    pub fn spread(&self) -> Option<Ticks> {
        match (self.bids.best(), self.asks.best()) {
            (Some((bid, _)), Some((ask, _))) => Some(Ticks(ask.0.saturating_sub(bid.0))),
            _ => None,
        }
    }

    /// True when both sides have levels and the best bid is at or above the best ask.
    #[inline]
    pub fn is_crossed(&self) -> bool {
        matches!((self.bids.best(), self.asks.best()), (Some((bid, _)), Some((ask, _))) if bid >= ask)
    }

    /// Quantity resting at `price` on `side`; zero if there is no level. O(1) within the
    /// window around the best, O(log n) past it.
    #[inline]
    pub fn qty_at(&self, side: Side, price: Ticks) -> Lots {
        match side {
            Side::Bid => self.bids.qty_at(price),
            Side::Ask => self.asks.qty_at(price),
        }
    }

    /// Up to `n` levels of `side`, best first.
    #[inline]
    pub fn top(&self, side: Side, n: usize) -> impl ExactSizeIterator<Item = (Ticks, Lots)> {
        let levels: BestFirst<'_> = match side {
            Side::Bid => self.bids.iter(),
            Side::Ask => self.asks.iter(),
        };
        levels.take(n)
    }

    /// Number of levels on `side`.
    #[inline]
    pub fn levels(&self, side: Side) -> usize {
        match side {
            Side::Bid => self.bids.len(),
            Side::Ask => self.asks.len(),
        }
    }

    /// The bid side.
    #[inline]
    pub fn bids(&self) -> &Ladder<Bids> {
        &self.bids
    }

    /// The ask side.
    #[inline]
    pub fn asks(&self) -> &Ladder<Asks> {
        &self.asks
    }

    /// Quantity and notional resting within ±`bps` basis points of the mid
    /// `(best_bid + best_ask) / 2`, band edges included. All zero unless both sides have levels.
    ///
    /// Exact integer arithmetic on twice the mid (so a half-tick mid is exact): a bid at `p` is
    /// in the band when `p × 2 × 10⁴ ≥ (bid + ask) × (10⁴ − bps)`, an ask when
    /// `p × 2 × 10⁴ ≤ (bid + ask) × (10⁴ + bps)`. Walks each side from the top only as far as
    /// the band reaches.
    pub fn depth_within_bps(&self, bps: u32) -> Depth {
        let (Some((bid, _)), Some((ask, _))) = (self.bids.best(), self.asks.best()) else {
            return Depth::default();
        };
        let twice_mid = i128::from(bid.0) + i128::from(ask.0);
        let bps = i128::from(bps);
        let denominator = 2 * BPS_PER_UNIT;
        // Lowest bid in the band: ceil(twice_mid × (10⁴ − bps) / (2 × 10⁴)).
        let low = twice_mid * (BPS_PER_UNIT - bps);
        let bid_floor = low.div_euclid(denominator) + i128::from(low.rem_euclid(denominator) != 0);
        // Highest ask in the band: floor(twice_mid × (10⁴ + bps) / (2 × 10⁴)).
        let ask_ceiling = (twice_mid * (BPS_PER_UNIT + bps)).div_euclid(denominator);
        // Edges past the i64 range take the whole side.
        let bid_floor = Ticks(i64::try_from(bid_floor).unwrap_or(i64::MIN));
        let ask_ceiling = Ticks(i64::try_from(ask_ceiling).unwrap_or(i64::MAX));
        Depth { bid: self.bids.depth_to(bid_floor), ask: self.asks.depth_to(ask_ceiling) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::FeedStatus;
    use crate::fixed::Step;
    use crate::units::{InstrumentId, Nanos};
    use proptest::prelude::*;

    fn event(seq: u64, kind: EventKind) -> Event {
        Event::new(Nanos(1), Nanos(2), Seq(seq), InstrumentId(0), kind)
    }

    fn level(seq: u64, side: Side, price: i64, qty: i64, last: bool, snapshot: bool) -> Event {
        event(
            seq,
            EventKind::BookLevel(BookLevel { side, price: Ticks(price), qty: Lots(qty), last, snapshot }),
        )
    }

    fn clear(seq: u64, reason: ClearReason, last: bool) -> Event {
        event(seq, EventKind::BookClear(BookClear { reason, last }))
    }

    fn status(condition: FeedCondition) -> Event {
        event(0, EventKind::FeedStatus(FeedStatus { condition, expected: Seq(5), received: Seq(9) }))
    }

    /// The level events of a snapshot with id `seq`: bids, then asks, as `(price, qty)`, best
    /// first or not; the final one is `last`.
    fn snapshot_levels(seq: u64, bids: &[(i64, i64)], asks: &[(i64, i64)]) -> Vec<Event> {
        let levels: Vec<_> = bids
            .iter()
            .map(|&(price, qty)| (Side::Bid, price, qty))
            .chain(asks.iter().map(|&(price, qty)| (Side::Ask, price, qty)))
            .collect();
        let count = levels.len();
        levels
            .into_iter()
            .enumerate()
            .map(|(index, (side, price, qty))| level(seq, side, price, qty, index + 1 == count, true))
            .collect()
    }

    /// Loads a snapshot with id `seq`: bids and asks as `(price, qty)`, best first or not.
    fn load_snapshot(book: &mut OrderBook, seq: u64, bids: &[(i64, i64)], asks: &[(i64, i64)]) {
        assert_eq!(book.apply(&clear(seq, ClearReason::Snapshot, false)), Ok(Applied::Partial));
        for level in snapshot_levels(seq, bids, asks) {
            let expected = if level.is_last_of_update() { Applied::UpdateComplete } else { Applied::Partial };
            assert_eq!(book.apply(&level), Ok(expected));
        }
    }

    fn listed(book: &OrderBook, side: Side) -> Vec<(i64, i64)> {
        book.top(side, usize::MAX).map(|(price, qty)| (price.0, qty.0)).collect()
    }

    #[test]
    fn a_new_book_is_empty_and_untrusted() {
        let book = OrderBook::with_capacity(8);
        assert!(!book.is_trusted());
        assert_eq!(book.last_update_id(), Seq(0));
        assert_eq!((book.best_bid(), book.best_ask(), book.spread()), (None, None, None));
        assert_eq!(book.depth_within_bps(100), Depth::default());
        assert!(!book.is_crossed());
    }

    #[test]
    fn snapshot_clear_levels_last_makes_it_trusted() {
        let mut book = OrderBook::with_capacity(8);
        // A diff before any snapshot applies, completes, but does not make the book trusted.
        assert_eq!(book.apply(&level(7, Side::Bid, 90, 1, true, false)), Ok(Applied::UpdateComplete));
        assert!(!book.is_trusted());
        assert_eq!(book.last_update_id(), Seq(7));

        // The snapshot clears that stale level; mid-snapshot the book is loading, not trusted.
        assert_eq!(book.apply(&clear(100, ClearReason::Snapshot, false)), Ok(Applied::Partial));
        assert_eq!(book.levels(Side::Bid), 0);
        assert_eq!(book.apply(&level(100, Side::Bid, 99, 5, false, true)), Ok(Applied::Partial));
        assert!(!book.is_trusted());
        assert_eq!(book.last_update_id(), Seq(7));
        // Its last level completes it: trusted, id 100.
        assert_eq!(book.apply(&level(100, Side::Ask, 101, 6, true, true)), Ok(Applied::UpdateComplete));
        assert!(book.is_trusted());
        assert_eq!(book.last_update_id(), Seq(100));

        // Diffs keep it trusted and move the id; a partial diff does not move it.
        assert_eq!(book.apply(&level(103, Side::Bid, 100, 2, false, false)), Ok(Applied::Partial));
        assert_eq!(book.last_update_id(), Seq(100));
        assert_eq!(book.apply(&level(103, Side::Bid, 99, 0, true, false)), Ok(Applied::UpdateComplete));
        assert!(book.is_trusted());
        assert_eq!(book.last_update_id(), Seq(103));
        assert_eq!(book.best_bid(), Some((Ticks(100), Lots(2))));
        assert_eq!(book.spread(), Some(Ticks(1)));
    }

    #[test]
    fn an_empty_snapshot_is_one_clear_with_last() {
        let mut book = OrderBook::with_capacity(8);
        assert_eq!(book.apply(&clear(55, ClearReason::Snapshot, true)), Ok(Applied::UpdateComplete));
        assert!(book.is_trusted());
        assert_eq!(book.last_update_id(), Seq(55));
    }

    #[test]
    fn gap_and_reconnect_distrust_but_keep_levels() {
        for condition in [FeedCondition::Gap, FeedCondition::Reconnected] {
            let mut book = OrderBook::with_capacity(8);
            load_snapshot(&mut book, 10, &[(99, 5)], &[(101, 6)]);
            assert_eq!(book.apply(&status(condition)), Ok(Applied::Invalidated));
            assert!(!book.is_trusted());
            assert_eq!(book.best_bid(), Some((Ticks(99), Lots(5))));
            assert_eq!(book.best_ask(), Some((Ticks(101), Lots(6))));
            // Later diffs still apply but do not restore trust; only a snapshot does.
            assert_eq!(book.apply(&level(12, Side::Bid, 98, 1, true, false)), Ok(Applied::UpdateComplete));
            assert!(!book.is_trusted());
            load_snapshot(&mut book, 20, &[(97, 1)], &[]);
            assert!(book.is_trusted());
            assert_eq!(listed(&book, Side::Bid), [(97, 1)]);
        }
    }

    #[test]
    fn stale_and_resync_notices_and_other_kinds_are_ignored() {
        let mut book = OrderBook::with_capacity(8);
        load_snapshot(&mut book, 10, &[(99, 5)], &[(101, 6)]);
        assert_eq!(book.apply(&status(FeedCondition::Stale)), Ok(Applied::Ignored));
        assert_eq!(book.apply(&status(FeedCondition::Resync)), Ok(Applied::Ignored));
        let trade = crate::event::Trade {
            price: Ticks(1),
            qty: Lots(1),
            aggressor: Side::Bid,
            aggregated: false,
            forced: false,
        };
        assert_eq!(book.apply(&event(11, EventKind::Trade(trade))), Ok(Applied::Ignored));
        assert!(book.is_trusted());
        assert_eq!(book.last_update_id(), Seq(10));
    }

    #[test]
    fn an_abandoned_book_is_empty_and_untrusted() {
        let mut book = OrderBook::with_capacity(8);
        load_snapshot(&mut book, 10, &[(99, 5)], &[(101, 6)]);
        assert_eq!(book.apply(&clear(0, ClearReason::Abandoned, true)), Ok(Applied::Invalidated));
        assert!(!book.is_trusted());
        assert_eq!((book.levels(Side::Bid), book.levels(Side::Ask)), (0, 0));
        // The abandonment is not an exchange update: the id of the last one is kept.
        assert_eq!(book.last_update_id(), Seq(10));
    }

    #[test]
    fn a_crossed_update_is_reported_once_complete() {
        let mut book = OrderBook::with_capacity(8);
        load_snapshot(&mut book, 10, &[(99, 5)], &[(101, 6), (102, 4)]);
        // A bid at 101 crosses the ask mid-update: not checked until the update's last event.
        assert_eq!(book.apply(&level(11, Side::Bid, 101, 1, false, false)), Ok(Applied::Partial));
        assert!(book.is_crossed());
        // The same update lifts the 101 ask: uncrossed when complete (101 against 102), no error.
        assert_eq!(book.apply(&level(11, Side::Ask, 101, 0, true, false)), Ok(Applied::UpdateComplete));
        assert!(!book.is_crossed() && book.is_trusted());

        // Now a complete update locks the book (bid = ask = 102): crossed, untrusted, applied.
        assert_eq!(
            book.apply(&level(12, Side::Bid, 102, 3, true, false)),
            Err(BookError::Crossed { bid: Ticks(102), ask: Ticks(102) })
        );
        assert!(!book.is_trusted() && book.is_crossed());
        assert_eq!(book.last_update_id(), Seq(12));
        assert_eq!(book.spread(), Some(Ticks(0)));

        // A crossed snapshot is not trusted either.
        book.apply(&clear(20, ClearReason::Snapshot, false)).unwrap();
        book.apply(&level(20, Side::Ask, 100, 1, false, true)).unwrap();
        assert_eq!(
            book.apply(&level(20, Side::Bid, 105, 1, true, true)),
            Err(BookError::Crossed { bid: Ticks(105), ask: Ticks(100) })
        );
        assert!(!book.is_trusted());
        assert_eq!(book.spread(), Some(Ticks(-5)));
    }

    #[test]
    fn invalid_levels_are_refused_and_distrust() {
        let mut book = OrderBook::with_capacity(8);
        load_snapshot(&mut book, 10, &[(99, 5)], &[(101, 6)]);
        for (price, qty) in [(0, 1), (-5, 1), (100, -1), (i64::MIN, i64::MIN)] {
            assert_eq!(
                book.apply(&level(11, Side::Bid, price, qty, true, false)),
                Err(BookError::InvalidLevel { side: Side::Bid, price: Ticks(price), qty: Lots(qty) })
            );
            assert!(!book.is_trusted());
            assert_eq!(listed(&book, Side::Bid), [(99, 5)]);
            assert_eq!(book.last_update_id(), Seq(10));
        }
        // `set` refuses the same values without touching trust.
        load_snapshot(&mut book, 12, &[(99, 5)], &[(101, 6)]);
        assert!(book.set(Side::Ask, Ticks(0), Lots(1)).is_err());
        assert!(book.is_trusted());
    }

    #[test]
    fn interleaved_snapshot_and_diff_levels_distrust() {
        let mut book = OrderBook::with_capacity(8);
        // A diff level in the middle of a snapshot: reported, applied, the snapshot never trusted.
        book.apply(&clear(10, ClearReason::Snapshot, false)).unwrap();
        assert_eq!(
            book.apply(&level(11, Side::Bid, 99, 1, false, false)),
            Err(BookError::UnexpectedLevel { side: Side::Bid, price: Ticks(99), snapshot: false })
        );
        // The rest of the snapshot applies quietly to the untrusted book.
        assert_eq!(book.apply(&level(10, Side::Ask, 101, 1, true, true)), Ok(Applied::UpdateComplete));
        assert!(!book.is_trusted());
        assert_eq!(book.qty_at(Side::Bid, Ticks(99)), Lots(1));

        // A snapshot level reaching a trusted book without a clear.
        load_snapshot(&mut book, 20, &[(99, 5)], &[(101, 6)]);
        assert_eq!(
            book.apply(&level(20, Side::Ask, 102, 1, true, true)),
            Err(BookError::UnexpectedLevel { side: Side::Ask, price: Ticks(102), snapshot: true })
        );
        assert!(!book.is_trusted());
        assert_eq!(book.last_update_id(), Seq(20));
        assert!(BookError::Crossed { bid: Ticks(1), ask: Ticks(1) }.needs_resync());
    }

    #[test]
    fn set_inserts_updates_and_removes_on_both_sides() {
        let mut book = OrderBook::with_capacity(4);
        for price in [100, 98, 99, 97, 96] {
            assert_eq!(book.set(Side::Bid, Ticks(price), Lots(price - 90)), Ok(LevelChange::Inserted));
            assert_eq!(book.set(Side::Ask, Ticks(price + 10), Lots(price - 90)), Ok(LevelChange::Inserted));
        }
        // Five levels: all in the window, which the capacity of four (levels past it) does not
        // limit.
        assert_eq!((book.levels(Side::Bid), book.levels(Side::Ask)), (5, 5));
        assert_eq!(listed(&book, Side::Bid), [(100, 10), (99, 9), (98, 8), (97, 7), (96, 6)]);
        assert_eq!(listed(&book, Side::Ask), [(106, 6), (107, 7), (108, 8), (109, 9), (110, 10)]);

        // Top, middle, bottom of each side.
        assert_eq!(book.set(Side::Bid, Ticks(100), Lots(0)), Ok(LevelChange::Removed));
        assert_eq!(book.set(Side::Bid, Ticks(98), Lots(80)), Ok(LevelChange::Updated));
        assert_eq!(book.set(Side::Bid, Ticks(95), Lots(5)), Ok(LevelChange::Inserted));
        assert_eq!(book.set(Side::Ask, Ticks(105), Lots(5)), Ok(LevelChange::Inserted));
        assert_eq!(book.set(Side::Ask, Ticks(108), Lots(0)), Ok(LevelChange::Removed));
        assert_eq!(book.set(Side::Ask, Ticks(110), Lots(1)), Ok(LevelChange::Updated));
        assert_eq!(listed(&book, Side::Bid), [(99, 9), (98, 80), (97, 7), (96, 6), (95, 5)]);
        assert_eq!(listed(&book, Side::Ask), [(105, 5), (106, 6), (107, 7), (109, 9), (110, 1)]);
        assert_eq!(book.spread(), Some(Ticks(6)));

        // `top` stops at n; `qty_at` reads any level, zero where there is none.
        assert_eq!(
            book.top(Side::Ask, 2).collect::<Vec<_>>(),
            [(Ticks(105), Lots(5)), (Ticks(106), Lots(6))]
        );
        assert_eq!(book.top(Side::Bid, 0).len(), 0);
        assert_eq!(book.qty_at(Side::Bid, Ticks(96)), Lots(6));
        assert_eq!(book.qty_at(Side::Bid, Ticks(100)), Lots::ZERO);
        assert_eq!(book.qty_at(Side::Ask, Ticks(96)), Lots::ZERO);
        assert_eq!(book.set(Side::Ask, Ticks(108), Lots(0)), Ok(LevelChange::Absent));

        book.clear();
        assert_eq!((book.best_bid(), book.best_ask()), (None, None));
    }

    #[test]
    fn depth_within_bps_by_hand() {
        let mut book = OrderBook::with_capacity(8);
        for (price, qty) in [(9_990, 5), (9_995, 3), (10_000, 2)] {
            book.set(Side::Bid, Ticks(price), Lots(qty)).unwrap();
        }
        for (price, qty) in [(10_002, 1), (10_010, 4), (10_020, 7)] {
            book.set(Side::Ask, Ticks(price), Lots(qty)).unwrap();
        }
        // Mid = (10 000 + 10 002) / 2 = 10 001. ±6 bps of it is ±6.0006 ticks:
        // the band is [9 994.9994, 10 007.0006].
        // Bids in it: 10 000×2 and 9 995×3 → 5 lots, 20 000 + 29 985 = 49 985 tick·lots.
        // Asks in it: 10 002×1 → 1 lot, 10 002 tick·lots.
        let depth = book.depth_within_bps(6);
        assert_eq!((depth.bid.levels, depth.bid.qty, depth.bid.notional.get()), (2, Lots(5), 49_985));
        assert_eq!((depth.ask.levels, depth.ask.qty, depth.ask.notional.get()), (1, Lots(1), 10_002));
        // In quote currency with BTCUSDT's steps (tick 0.1, lot 0.001):
        // 49 985 × 0.1 × 0.001 = 4.9985.
        let (tick, lot) = (Step::from_text("0.1").unwrap(), Step::from_text("0.001").unwrap());
        assert!((depth.bid.notional.to_quote_f64(tick, lot) - 4.9985).abs() < 1e-9);

        // ±10 bps is ±10.001 ticks, [9 990.999, 10 011.001]: 9 990 is just outside, 10 010 in.
        // Asks: 10 002×1 + 10 010×4 = 50 042 tick·lots, 5 lots.
        let depth = book.depth_within_bps(10);
        assert_eq!((depth.bid.levels, depth.bid.qty), (2, Lots(5)));
        assert_eq!((depth.ask.levels, depth.ask.qty, depth.ask.notional.get()), (2, Lots(5), 50_042));

        // 10 000 bps (100 %) and more reach every level; 0 bps around a whole-tick mid
        // reaches nothing (the mid 10 001 holds no level).
        assert_eq!(book.depth_within_bps(10_000).bid.levels, 3);
        assert_eq!(book.depth_within_bps(u32::MAX).ask.levels, 3);
        assert_eq!(book.depth_within_bps(0), Depth::default());
    }

    #[test]
    fn depth_band_edges_are_inclusive_and_half_ticks_exact() {
        // Bid 9 900, ask 10 100: mid 10 000, ±100 bps is exactly [9 900, 10 100].
        let mut book = OrderBook::with_capacity(4);
        book.set(Side::Bid, Ticks(9_900), Lots(1)).unwrap();
        book.set(Side::Ask, Ticks(10_100), Lots(1)).unwrap();
        assert_eq!(book.depth_within_bps(100).bid.levels, 1);
        assert_eq!(book.depth_within_bps(100).ask.levels, 1);
        assert_eq!(book.depth_within_bps(99).bid.levels, 0);

        // Bid 10 000, ask 10 001: mid 10 000.5, half a tick from each. ±0.5 bps of it is
        // ±0.500025 ticks, so both are in; at 0 bps neither is.
        book.clear();
        book.set(Side::Bid, Ticks(10_000), Lots(1)).unwrap();
        book.set(Side::Ask, Ticks(10_001), Lots(1)).unwrap();
        assert_eq!(book.depth_within_bps(1).bid.levels, 1);
        assert_eq!(book.depth_within_bps(1).ask.levels, 1);
        assert_eq!(book.depth_within_bps(0), Depth::default());
    }

    /// One step of a feed, for the properties: well-formed updates and raw events mixed.
    #[derive(Clone, Debug)]
    enum FeedStep {
        /// A snapshot: bids below 50, asks above, so it is never crossed.
        Snapshot(Vec<(i64, i64)>, Vec<(i64, i64)>),
        /// A diff of levels anywhere in 1..100.
        Diff(Vec<(Side, i64, i64)>),
        /// Any single event.
        Raw(Event),
    }

    fn side() -> impl Strategy<Value = Side> {
        prop_oneof![Just(Side::Bid), Just(Side::Ask)]
    }

    fn condition() -> impl Strategy<Value = FeedCondition> {
        prop_oneof![
            Just(FeedCondition::Gap),
            Just(FeedCondition::Resync),
            Just(FeedCondition::Stale),
            Just(FeedCondition::Reconnected),
        ]
    }

    /// Any event at all, with prices and quantities from `value`.
    fn any_event(value: impl Strategy<Value = i64> + Clone + 'static) -> impl Strategy<Value = Event> {
        let kind = prop_oneof![
            (side(), value.clone(), value.clone(), any::<bool>(), any::<bool>()).prop_map(
                |(side, price, qty, last, snapshot)| {
                    EventKind::BookLevel(BookLevel {
                        side,
                        price: Ticks(price),
                        qty: Lots(qty),
                        last,
                        snapshot,
                    })
                }
            ),
            (any::<bool>(), any::<bool>()).prop_map(|(abandoned, last)| {
                let reason = if abandoned { ClearReason::Abandoned } else { ClearReason::Snapshot };
                EventKind::BookClear(BookClear { reason, last })
            }),
            (condition(), any::<u64>(), any::<u64>()).prop_map(|(condition, expected, received)| {
                EventKind::FeedStatus(FeedStatus {
                    condition,
                    expected: Seq(expected),
                    received: Seq(received),
                })
            }),
            (value.clone(), value.clone(), value.clone(), value.clone()).prop_map(|(a, b, c, d)| {
                EventKind::Bbo(crate::event::Bbo {
                    bid: Ticks(a),
                    bid_qty: Lots(b),
                    ask: Ticks(c),
                    ask_qty: Lots(d),
                })
            }),
            (value.clone(), value, side(), any::<bool>(), any::<bool>()).prop_map(
                |(price, qty, aggressor, aggregated, forced)| {
                    EventKind::Trade(crate::event::Trade {
                        price: Ticks(price),
                        qty: Lots(qty),
                        aggressor,
                        aggregated,
                        forced,
                    })
                }
            ),
            any::<i64>()
                .prop_map(|qty| EventKind::OpenInterest(crate::event::OpenInterest { qty: Lots(qty) })),
        ];
        (any::<u64>(), kind).prop_map(|(seq, kind)| event(seq, kind))
    }

    fn feed_step() -> impl Strategy<Value = FeedStep> {
        let levels = |prices: std::ops::RangeInclusive<i64>| prop::collection::vec((prices, 0i64..=5), 0..12);
        prop_oneof![
            2 => (levels(1..=49), levels(51..=99)).prop_map(|(bids, asks)| FeedStep::Snapshot(bids, asks)),
            5 => prop::collection::vec((side(), 1i64..=99, 0i64..=5), 1..6).prop_map(FeedStep::Diff),
            2 => any_event(-2i64..=100).prop_map(FeedStep::Raw),
        ]
    }

    /// Applies one event and checks what the result promises about the book.
    fn apply_and_check(
        book: &mut OrderBook,
        event: &Event,
    ) -> Result<Result<Applied, BookError>, TestCaseError> {
        let result = book.apply(event);
        match result {
            Ok(Applied::UpdateComplete) => {
                prop_assert!(event.is_last_of_update());
                prop_assert!(!book.is_crossed(), "complete and crossed: {book:?}");
                prop_assert_eq!(book.last_update_id(), event.seq);
            }
            Err(BookError::Crossed { bid, ask }) => {
                prop_assert!(book.is_crossed());
                prop_assert_eq!(
                    (book.best_bid().map(|b| b.0), book.best_ask().map(|a| a.0)),
                    (Some(bid), Some(ask))
                );
            }
            _ => {}
        }
        if result.is_err() {
            prop_assert!(!book.is_trusted());
        }
        Ok(result)
    }

    /// Plays `steps` and checks every result against the book (see [`apply_and_check`]).
    fn play_feed(steps: Vec<FeedStep>) -> Result<(), TestCaseError> {
        let mut book = OrderBook::with_capacity(16);
        for (seq, step) in (1..).zip(steps) {
            match step {
                FeedStep::Snapshot(bids, asks) => {
                    let empty = bids.is_empty() && asks.is_empty();
                    prop_assert!(
                        apply_and_check(&mut book, &clear(seq, ClearReason::Snapshot, empty))?.is_ok()
                    );
                    for level in snapshot_levels(seq, &bids, &asks) {
                        let result = apply_and_check(&mut book, &level)?;
                        prop_assert!(result.is_ok(), "{result:?}");
                    }
                    // A well-formed, uncrossed snapshot always restores trust.
                    prop_assert!(book.is_trusted());
                    prop_assert_eq!(book.last_update_id(), Seq(seq));
                }
                FeedStep::Diff(levels) => {
                    let was_trusted = book.is_trusted();
                    let mut crossed = false;
                    for (index, &(side, price, qty)) in levels.iter().enumerate() {
                        let last = index + 1 == levels.len();
                        let result = apply_and_check(&mut book, &level(seq, side, price, qty, last, false))?;
                        crossed |= matches!(result, Err(BookError::Crossed { .. }));
                        // A diff level is out of place only in a snapshot a raw clear left loading.
                        let out_of_place = matches!(result, Err(BookError::UnexpectedLevel { .. }));
                        prop_assert!(
                            result.is_ok() || crossed || (out_of_place && !was_trusted),
                            "{result:?}"
                        );
                    }
                    // A diff keeps trust unless it crossed the book.
                    prop_assert_eq!(book.is_trusted(), was_trusted && !crossed);
                }
                FeedStep::Raw(event) => {
                    let _ = apply_and_check(&mut book, &event)?;
                }
            }
        }
        Ok(())
    }

    /// Applies arbitrary events and runs every query after each.
    fn play_arbitrary(events: &[Event], bps: u32, probe: i64) -> Result<(), TestCaseError> {
        let mut book = OrderBook::with_capacity(4);
        for event in events {
            let _ = apply_and_check(&mut book, event)?;
            let _ = (book.best_bid(), book.best_ask(), book.spread(), book.is_crossed());
            let _ = book.depth_within_bps(bps);
            let _ = book.qty_at(Side::Bid, Ticks(probe));
            prop_assert!(book.top(Side::Ask, 3).count() <= 3);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn never_crossed_after_a_complete_update_unless_reported(
            steps in prop::collection::vec(feed_step(), 0..40),
        ) {
            play_feed(steps)?;
        }

        #[test]
        fn a_narrow_window_gives_the_same_book(
            levels in prop::collection::vec((side(), 1i64..=400, 0i64..=3), 0..200),
            bps in 0u32..20_000,
        ) {
            // 16 ticks per side: most levels live in the overflow and the windows move often.
            let mut narrow = OrderBook::with_window(16, 0);
            let mut wide = OrderBook::with_capacity(0);
            for (side, price, qty) in levels {
                prop_assert_eq!(
                    narrow.set(side, Ticks(price), Lots(qty)),
                    wide.set(side, Ticks(price), Lots(qty))
                );
                prop_assert_eq!((narrow.best_bid(), narrow.best_ask()), (wide.best_bid(), wide.best_ask()));
            }
            for side in [Side::Bid, Side::Ask] {
                prop_assert!(narrow.top(side, usize::MAX).eq(wide.top(side, usize::MAX)));
            }
            prop_assert_eq!(narrow.bids(), wide.bids());
            prop_assert_eq!(narrow.depth_within_bps(bps), wide.depth_within_bps(bps));
        }

        #[test]
        fn apply_never_panics(
            events in prop::collection::vec(any_event(any::<i64>()), 0..64),
            bps in any::<u32>(),
            probe in any::<i64>(),
        ) {
            play_arbitrary(&events, bps, probe)?;
        }
    }
}
