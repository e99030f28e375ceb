//! [`DepthSequencer`]: Binance's local order book procedure, diff by diff.
//!
//! Binance USD-M documents how to keep a local book from the diff stream ("How to manage a local
//! order book correctly"). The sequencer implements its steps for one instrument and emits book
//! [`Event`]s only for diffs that chain:
//!
//! 1. Open the stream and buffer the diffs ([`SyncOutcome::Buffered`]).
//! 2. Get a snapshot (the caller does, when [`DepthSequencer::needs_snapshot`] says so).
//! 3. Drop every diff with `u < lastUpdateId` ([`SyncOutcome::Stale`]).
//! 4. The first diff applied must have `U <= lastUpdateId <= u`.
//! 5. Each later diff's `pu` must equal the previous diff's `u`; otherwise the book is out of
//!    sync: a [`FeedCondition::Gap`] event is emitted, the book is to be considered untrusted,
//!    and the procedure restarts at step 2 ([`SyncOutcome::Gap`]).
//! 6. Quantities are absolute; 7. zero removes the level; 8. removing an absent level is normal
//!    (these three are the book's business: [`OrderBook`](crate::OrderBook)).
//!
//! A diff whose `u` is not beyond the last applied one is a duplicate (a replayed or re-sent
//! frame) and is dropped as stale rather than treated as a gap.
//!
//! Buffering is bounded and preallocated ([`DepthSequencer::with_capacity`]); if the buffer
//! fills before a snapshot arrives, it is emptied (the next snapshot will then either chain to
//! newer diffs or show a gap and be requested again) and [`SequencerStats::overflows`] counts it.

use super::wire::{DepthSnapshot, DepthUpdate, PriceLevel};
use crate::event::{
    BookClear, BookLevel, ClearReason, Event, EventKind, EventSink, FeedCondition, FeedStatus,
};
use crate::units::{InstrumentId, Nanos, Seq, Side};

/// What a diff or snapshot did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncOutcome {
    /// The diff chained and its levels were emitted.
    Applied,
    /// No snapshot yet: the diff was kept for later.
    Buffered,
    /// The diff is older than the book (before the snapshot, or a duplicate) and was dropped.
    Stale,
    /// The diff does not chain: a gap event was emitted and a snapshot is needed.
    /// `expected` is the update id the diff should have continued from (the previous `u`, or
    /// the snapshot's `lastUpdateId`), `received` what it carried (`pu`, or `U` for the first
    /// diff after a snapshot).
    Gap {
        /// Update id the diff had to chain to.
        expected: Seq,
        /// What it chained to instead.
        received: Seq,
    },
    /// The snapshot was applied and `replayed` buffered diffs after it.
    SnapshotApplied {
        /// Buffered diffs applied after the snapshot.
        replayed: usize,
    },
}

/// Counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SequencerStats {
    /// Diffs applied.
    pub applied: u64,
    /// Diffs dropped as older than the book.
    pub stale: u64,
    /// Gaps detected.
    pub gaps: u64,
    /// Snapshots applied.
    pub snapshots: u64,
    /// Times the pre-snapshot buffer overflowed and was emptied.
    pub overflows: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Buffering until a snapshot arrives.
    AwaitingSnapshot,
    /// Snapshot applied; the next diff must straddle its `lastUpdateId`.
    AwaitingFirstDiff { snapshot: Seq },
    /// In sync; the next diff's `pu` must be `last`.
    Synced { last: Seq },
}

/// A buffered diff: its header, and where its levels sit in the arena.
#[derive(Clone, Copy)]
struct Buffered {
    exchange_time: Nanos,
    receive_time: Nanos,
    first: Seq,
    last: Seq,
    prev: Seq,
    bids: Span,
    asks: Span,
}

/// The sync state of one instrument's book.
pub struct DepthSequencer {
    instrument: InstrumentId,
    state: State,
    diffs: Vec<Buffered>,
    levels: Vec<PriceLevel>,
    max_diffs: usize,
    max_levels: usize,
    stats: SequencerStats,
}

impl DepthSequencer {
    /// A sequencer that can buffer 4096 diffs / 262,144 levels before its first snapshot.
    pub fn new(instrument: InstrumentId) -> DepthSequencer {
        DepthSequencer::with_capacity(instrument, 4096, 1 << 18)
    }

    /// A sequencer with room for `max_diffs` buffered diffs holding `max_levels` levels in all,
    /// allocated now.
    pub fn with_capacity(instrument: InstrumentId, max_diffs: usize, max_levels: usize) -> DepthSequencer {
        DepthSequencer {
            instrument,
            state: State::AwaitingSnapshot,
            diffs: Vec::with_capacity(max_diffs),
            levels: Vec::with_capacity(max_levels),
            max_diffs,
            max_levels,
            stats: SequencerStats::default(),
        }
    }

    /// True while a snapshot is needed (before the first, and after a gap).
    pub fn needs_snapshot(&self) -> bool {
        self.state == State::AwaitingSnapshot
    }

    /// The `u` of the last applied diff (or the snapshot's id before the first diff).
    pub fn last_update_id(&self) -> Option<Seq> {
        match self.state {
            State::AwaitingSnapshot => None,
            State::AwaitingFirstDiff { snapshot } => Some(snapshot),
            State::Synced { last } => Some(last),
        }
    }

    /// The `u` of the last applied diff, while in sync (not before the first diff after a
    /// snapshot, not after a gap).
    pub fn last_applied_diff(&self) -> Option<Seq> {
        match self.state {
            State::Synced { last } => Some(last),
            _ => None,
        }
    }

    /// Diffs held while waiting for a snapshot.
    pub fn buffered(&self) -> usize {
        self.diffs.len()
    }

    /// Counters so far.
    pub fn stats(&self) -> SequencerStats {
        self.stats
    }

    /// Starts over at step 1, as after a lost connection: the buffered diffs are dropped (the
    /// new connection's diffs will be buffered instead) and the next snapshot is awaited. The
    /// caller tells the book (a [`FeedCondition::Reconnected`] status).
    pub fn restart(&mut self) {
        self.state = State::AwaitingSnapshot;
        self.diffs.clear();
        self.levels.clear();
    }

    /// Feeds one diff of this instrument.
    pub fn on_diff(&mut self, diff: &DepthUpdate<'_>, sink: &mut impl EventSink) -> SyncOutcome {
        let header = Buffered {
            exchange_time: diff.exchange_time,
            receive_time: diff.receive_time,
            first: diff.first_update_id,
            last: diff.last_update_id,
            prev: diff.prev_last_update_id,
            bids: Span(0, 0),
            asks: Span(0, 0),
        };
        match self.state {
            State::AwaitingSnapshot => {
                self.buffer(&header, diff.bids, diff.asks);
                SyncOutcome::Buffered
            }
            _ => {
                let outcome = self.sequence(&header, (diff.bids, diff.asks), sink);
                if let SyncOutcome::Gap { .. } = outcome {
                    // The offending diff is newer than the book: keep it for the next snapshot.
                    self.buffer(&header, diff.bids, diff.asks);
                }
                outcome
            }
        }
    }

    /// Applies a snapshot: emits a clear and its levels, then replays the buffered diffs that
    /// follow it.
    pub fn on_snapshot(&mut self, snapshot: &DepthSnapshot<'_>, sink: &mut impl EventSink) -> SyncOutcome {
        let seq = snapshot.last_update_id;
        let event =
            |kind| Event::new(snapshot.exchange_time, snapshot.receive_time, seq, self.instrument, kind);
        let total = snapshot.bids.len() + snapshot.asks.len();
        sink.push(event(EventKind::BookClear(BookClear { reason: ClearReason::Snapshot, last: total == 0 })));
        let sides = [(Side::Bid, snapshot.bids), (Side::Ask, snapshot.asks)];
        let mut emitted = 0;
        for (side, levels) in sides {
            for level in levels {
                emitted += 1;
                sink.push(event(EventKind::BookLevel(BookLevel {
                    side,
                    price: level.price,
                    qty: level.qty,
                    last: emitted == total,
                    snapshot: true,
                })));
            }
        }
        self.stats.snapshots += 1;
        self.state = State::AwaitingFirstDiff { snapshot: seq };
        let mut replayed = 0;
        let mut outcome = None;
        for index in 0..self.diffs.len() {
            let diff = self.diffs[index];
            // `sequence` reads the arena and updates only state and counters.
            let levels = std::mem::take(&mut self.levels);
            let result = self.sequence(&diff, (&levels[diff.bids.range()], &levels[diff.asks.range()]), sink);
            self.levels = levels;
            match result {
                SyncOutcome::Applied => replayed += 1,
                SyncOutcome::Gap { .. } => {
                    outcome = Some(result);
                    // Keep the diffs from this one on: they may chain to the next snapshot.
                    self.diffs.drain(..index);
                    break;
                }
                _ => {}
            }
        }
        match outcome {
            Some(gap) => {
                self.compact();
                gap
            }
            None => {
                self.diffs.clear();
                self.levels.clear();
                SyncOutcome::SnapshotApplied { replayed }
            }
        }
    }

    /// Steps 3–5 for one diff once a snapshot is in place.
    /// Never touches the buffer: on a gap the caller decides what to keep.
    fn sequence(&mut self, diff: &Buffered, levels: Sides<'_>, sink: &mut impl EventSink) -> SyncOutcome {
        let (bids, asks) = levels;
        match self.state {
            State::AwaitingSnapshot => SyncOutcome::Buffered,
            State::AwaitingFirstDiff { snapshot } => {
                if diff.last < snapshot {
                    self.stats.stale += 1;
                    SyncOutcome::Stale
                } else if diff.first <= snapshot {
                    self.apply(diff, bids, asks, sink)
                } else {
                    self.gap(diff, snapshot, diff.first, sink)
                }
            }
            State::Synced { last } => {
                if diff.last <= last {
                    self.stats.stale += 1;
                    SyncOutcome::Stale
                } else if diff.prev == last {
                    self.apply(diff, bids, asks, sink)
                } else {
                    self.gap(diff, last, diff.prev, sink)
                }
            }
        }
    }

    fn apply(
        &mut self,
        diff: &Buffered,
        bids: &[PriceLevel],
        asks: &[PriceLevel],
        sink: &mut impl EventSink,
    ) -> SyncOutcome {
        let total = bids.len() + asks.len();
        let mut emitted = 0;
        for (side, levels) in [(Side::Bid, bids), (Side::Ask, asks)] {
            for level in levels {
                emitted += 1;
                let kind = EventKind::BookLevel(BookLevel {
                    side,
                    price: level.price,
                    qty: level.qty,
                    last: emitted == total,
                    snapshot: false,
                });
                sink.push(Event::new(
                    diff.exchange_time,
                    diff.receive_time,
                    diff.last,
                    self.instrument,
                    kind,
                ));
            }
        }
        self.stats.applied += 1;
        self.state = State::Synced { last: diff.last };
        SyncOutcome::Applied
    }

    fn gap(
        &mut self,
        diff: &Buffered,
        expected: Seq,
        received: Seq,
        sink: &mut impl EventSink,
    ) -> SyncOutcome {
        let status = FeedStatus { condition: FeedCondition::Gap, expected, received };
        sink.push(Event::new(
            diff.exchange_time,
            diff.receive_time,
            diff.last,
            self.instrument,
            EventKind::FeedStatus(status),
        ));
        self.stats.gaps += 1;
        self.state = State::AwaitingSnapshot;
        SyncOutcome::Gap { expected, received }
    }

    fn buffer(&mut self, diff: &Buffered, bids: &[PriceLevel], asks: &[PriceLevel]) {
        if self.diffs.len() == self.max_diffs || self.levels.len() + bids.len() + asks.len() > self.max_levels
        {
            self.diffs.clear();
            self.levels.clear();
            self.stats.overflows += 1;
            if bids.len() + asks.len() > self.max_levels {
                return;
            }
        }
        let start = self.levels.len() as u32;
        self.levels.extend_from_slice(bids);
        let middle = self.levels.len() as u32;
        self.levels.extend_from_slice(asks);
        let end = self.levels.len() as u32;
        self.diffs.push(Buffered { bids: Span(start, middle), asks: Span(middle, end), ..*diff });
    }

    /// After dropping diffs from the front of the buffer, drop their levels too.
    fn compact(&mut self) {
        let Some(first) = self.diffs.first() else {
            self.levels.clear();
            return;
        };
        let offset = first.bids.0;
        self.levels.drain(..offset as usize);
        for diff in &mut self.diffs {
            diff.bids = Span(diff.bids.0 - offset, diff.bids.1 - offset);
            diff.asks = Span(diff.asks.0 - offset, diff.asks.1 - offset);
        }
    }
}

/// Bid and ask levels of one diff.
type Sides<'a> = (&'a [PriceLevel], &'a [PriceLevel]);

/// Where a buffered diff's levels sit in the arena: `start..end`.
#[derive(Clone, Copy)]
struct Span(u32, u32);

impl Span {
    #[inline]
    fn range(self) -> std::ops::Range<usize> {
        self.0 as usize..self.1 as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::{Lots, Ticks};

    const LEVEL: [PriceLevel; 1] = [PriceLevel { price: Ticks(100), qty: Lots(1) }];

    fn diff(first: u64, last: u64, prev: u64) -> DepthUpdate<'static> {
        DepthUpdate {
            instrument: InstrumentId(0),
            exchange_time: Nanos(1),
            receive_time: Nanos(2),
            first_update_id: Seq(first),
            last_update_id: Seq(last),
            prev_last_update_id: Seq(prev),
            bids: &LEVEL,
            asks: &[],
        }
    }

    fn snapshot(id: u64) -> DepthSnapshot<'static> {
        DepthSnapshot {
            instrument: InstrumentId(0),
            exchange_time: Nanos(1),
            receive_time: Nanos(2),
            last_update_id: Seq(id),
            bids: &LEVEL,
            asks: &LEVEL,
        }
    }

    #[test]
    fn buffered_diffs_straddling_the_snapshot_are_replayed() {
        // Diffs 10..=19, 20..=29, 30..=39 arrive before a snapshot at 25: the first is dropped
        // (u < 25), the second straddles 25 and is applied first, the third chains by pu.
        let mut sequencer = DepthSequencer::new(InstrumentId(0));
        let mut events = Vec::new();
        assert_eq!(sequencer.on_diff(&diff(10, 19, 9), &mut events), SyncOutcome::Buffered);
        assert_eq!(sequencer.on_diff(&diff(20, 29, 19), &mut events), SyncOutcome::Buffered);
        assert_eq!(sequencer.on_diff(&diff(30, 39, 29), &mut events), SyncOutcome::Buffered);
        assert!(events.is_empty());
        assert_eq!(
            sequencer.on_snapshot(&snapshot(25), &mut events),
            SyncOutcome::SnapshotApplied { replayed: 2 }
        );
        // Clear + 2 snapshot levels + one level per applied diff.
        assert_eq!(events.len(), 5);
        assert!(events[2].is_last_of_update());
        assert_eq!(events[4].seq, Seq(39));
        assert_eq!(sequencer.last_update_id(), Some(Seq(39)));
        assert_eq!(sequencer.stats().stale, 1);
        // Live diffs continue the chain; a duplicate is stale; a break is a gap.
        assert_eq!(sequencer.on_diff(&diff(40, 49, 39), &mut events), SyncOutcome::Applied);
        assert_eq!(sequencer.on_diff(&diff(40, 49, 39), &mut events), SyncOutcome::Stale);
        assert_eq!(
            sequencer.on_diff(&diff(60, 69, 59), &mut events),
            SyncOutcome::Gap { expected: Seq(49), received: Seq(59) }
        );
        assert!(sequencer.needs_snapshot());
        let last = events.last().unwrap();
        assert_eq!(
            last.kind(),
            EventKind::FeedStatus(FeedStatus {
                condition: FeedCondition::Gap,
                expected: Seq(49),
                received: Seq(59)
            })
        );
    }

    #[test]
    fn a_snapshot_older_than_every_buffered_diff_is_a_gap() {
        // The buffered diff starts at 30, the snapshot is at 25: updates 26..=29 are missing.
        let mut sequencer = DepthSequencer::new(InstrumentId(0));
        let mut events = Vec::new();
        sequencer.on_diff(&diff(30, 39, 29), &mut events);
        assert_eq!(
            sequencer.on_snapshot(&snapshot(25), &mut events),
            SyncOutcome::Gap { expected: Seq(25), received: Seq(30) }
        );
        assert!(sequencer.needs_snapshot());
        // The diff is kept, and a newer snapshot it straddles brings the book back.
        assert_eq!(
            sequencer.on_snapshot(&snapshot(35), &mut events),
            SyncOutcome::SnapshotApplied { replayed: 1 }
        );
        assert_eq!(sequencer.last_update_id(), Some(Seq(39)));
    }

    #[test]
    fn a_full_buffer_is_emptied_not_grown() {
        let mut sequencer = DepthSequencer::with_capacity(InstrumentId(0), 2, 16);
        let mut events = Vec::new();
        for n in 0..3 {
            sequencer.on_diff(&diff(n * 10, n * 10 + 9, n * 10 - u64::from(n > 0)), &mut events);
        }
        assert_eq!(sequencer.stats().overflows, 1);
        assert_eq!(sequencer.diffs.len(), 1);
        assert_eq!(sequencer.diffs.capacity(), 2);
    }
}
