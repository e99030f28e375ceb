//! The venue's own order book: the test oracle a client's book is compared with.
//!
//! [`LocalBook`] is deliberately independent of feeds' `OrderBook`: a `BTreeMap` per side from
//! price (ticks) to quantity (lots), built from the starting snapshot plus every depth diff the
//! venue has sent (and those a `gap` fault withheld). Simple beats fast here; the venue's book
//! is touched a few thousand times a second at most. [`VenueBook`] is its printed top of book
//! as `/venue/book` and `/fapi/v1/depth` serve it.

use super::tape::{TapeDiff, TapeSnapshot, TapeSymbol};
use feeds::Step;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What applying a diff did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffOutcome {
    /// Older than the book (`u` below the snapshot's `lastUpdateId`, or not beyond the last
    /// diff): ignored.
    Stale,
    /// Applied, chaining as Binance documents.
    Applied,
    /// Applied although it does not chain: `pu` (or `U` for the first diff after the snapshot)
    /// is not what the book expected. The recording itself has a gap there.
    AppliedOutOfChain {
        /// What the book expected (`u` of the previous diff, or the snapshot's id).
        expected: u64,
        /// What the diff carried.
        received: u64,
    },
}

/// One symbol's book.
#[derive(Clone, Debug, Default)]
pub struct LocalBook {
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
    /// `lastUpdateId` of the snapshot, then `u` of the last diff applied.
    last_update_id: u64,
    /// Whether a diff has been applied since the snapshot (then `pu` must chain).
    chained: bool,
    /// Whether a snapshot has initialised the book.
    initialised: bool,
    /// `T` of the last snapshot or diff applied, in milliseconds.
    exchange_ms: i64,
}

impl LocalBook {
    /// A book from a snapshot.
    pub fn from_snapshot(snapshot: &TapeSnapshot) -> LocalBook {
        let mut book = LocalBook::default();
        book.apply_snapshot(snapshot);
        book
    }

    /// Whether a snapshot has initialised the book.
    pub fn is_initialised(&self) -> bool {
        self.initialised
    }

    /// Replaces the book with a snapshot.
    pub fn apply_snapshot(&mut self, snapshot: &TapeSnapshot) {
        self.bids = snapshot.bids.iter().copied().filter(|&(_, qty)| qty > 0).collect();
        self.asks = snapshot.asks.iter().copied().filter(|&(_, qty)| qty > 0).collect();
        self.last_update_id = snapshot.last_update_id;
        self.exchange_ms = snapshot.exchange_ms;
        self.chained = false;
        self.initialised = true;
    }

    /// Applies a diff following Binance USD-M "How to manage a local order book correctly":
    /// drop diffs with `u < lastUpdateId` (step 3); the first diff must have
    /// `U <= lastUpdateId <= u` (step 4); later diffs' `pu` equals the previous `u` (step 5);
    /// quantities are absolute and zero removes the level (steps 6–8). A book without a
    /// snapshot starts from the first diff it gets.
    pub fn apply_diff(&mut self, diff: &TapeDiff) -> DiffOutcome {
        let outcome = if !self.initialised {
            self.initialised = true;
            DiffOutcome::Applied
        } else if !self.chained {
            if diff.last_update_id < self.last_update_id {
                return DiffOutcome::Stale;
            }
            if diff.first_update_id <= self.last_update_id {
                DiffOutcome::Applied
            } else {
                DiffOutcome::AppliedOutOfChain {
                    expected: self.last_update_id,
                    received: diff.first_update_id,
                }
            }
        } else if diff.last_update_id <= self.last_update_id {
            return DiffOutcome::Stale;
        } else if diff.prev_last_update_id == self.last_update_id {
            DiffOutcome::Applied
        } else {
            DiffOutcome::AppliedOutOfChain {
                expected: self.last_update_id,
                received: diff.prev_last_update_id,
            }
        };
        for (side, levels) in [(&mut self.bids, &diff.bids), (&mut self.asks, &diff.asks)] {
            for &(price, qty) in levels {
                if qty > 0 {
                    side.insert(price, qty);
                } else {
                    side.remove(&price);
                }
            }
        }
        self.last_update_id = diff.last_update_id;
        self.exchange_ms = diff.exchange_ms;
        self.chained = true;
        DiffOutcome::Applied.max_with(outcome)
    }

    /// `lastUpdateId` of the book.
    pub fn last_update_id(&self) -> u64 {
        self.last_update_id
    }

    /// Exchange time of the last change, in milliseconds.
    pub fn exchange_ms(&self) -> i64 {
        self.exchange_ms
    }

    /// Best bid and ask prices in ticks.
    pub fn best(&self) -> (Option<i64>, Option<i64>) {
        (self.bids.keys().next_back().copied(), self.asks.keys().next().copied())
    }

    /// The top `levels` levels of each side, printed on the symbol's grid.
    pub fn top(&self, symbol: &TapeSymbol, levels: usize) -> VenueBook {
        let price = |ticks: i64| print(symbol.tick, symbol.price_decimals, ticks);
        let qty = |lots: i64| print(symbol.lot, symbol.qty_decimals, lots);
        VenueBook {
            symbol: symbol.name.clone(),
            last_update_id: self.last_update_id,
            exchange_ms: self.exchange_ms,
            bids: self.bids.iter().rev().take(levels).map(|(&p, &q)| [price(p), qty(q)]).collect(),
            asks: self.asks.iter().take(levels).map(|(&p, &q)| [price(p), qty(q)]).collect(),
        }
    }

    /// Levels per side.
    pub fn depth(&self) -> (usize, usize) {
        (self.bids.len(), self.asks.len())
    }
}

impl DiffOutcome {
    /// `outcome` unless it is `Applied` (keeps the out-of-chain report).
    fn max_with(self, outcome: DiffOutcome) -> DiffOutcome {
        match outcome {
            DiffOutcome::Applied => self,
            other => other,
        }
    }
}

/// `count` steps printed with `decimals` fractional digits (`618002` on `0.1` with 2 →
/// `61800.20`), as Binance prints prices and quantities.
pub fn print(step: Step, decimals: u32, count: i64) -> String {
    let mut value = step.count_to_decimal(count);
    value.rescale(decimals.max(step.decimals()));
    value.to_string()
}

/// A symbol's printed book: what `/venue/book` returns (and, with `E`/`T`, `/fapi/v1/depth`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueBook {
    /// Symbol.
    pub symbol: String,
    /// `lastUpdateId`: `u` of the last diff applied (the snapshot's id before any).
    #[serde(rename = "lastUpdateId")]
    pub last_update_id: u64,
    /// Exchange time of the last change (ms).
    #[serde(rename = "T")]
    pub exchange_ms: i64,
    /// Bids `["price","qty"]`, best first.
    pub bids: Vec<[String; 2]>,
    /// Asks `["price","qty"]`, best first.
    pub asks: Vec<[String; 2]>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(first: u64, last: u64, prev: u64, bids: &[(i64, i64)]) -> TapeDiff {
        TapeDiff {
            symbol: 0,
            first_update_id: first,
            last_update_id: last,
            prev_last_update_id: prev,
            exchange_ms: 0,
            bids: bids.to_vec(),
            asks: Vec::new(),
        }
    }

    // Synthetic ids: the recording's chain has no break, so a break is made up here.
    #[test]
    fn follows_binance_steps_and_reports_breaks() {
        let snapshot = TapeSnapshot {
            symbol: 0,
            last_update_id: 100,
            exchange_ms: 0,
            bids: vec![(10, 5)],
            asks: vec![(11, 1)],
        };
        let mut book = LocalBook::from_snapshot(&snapshot);
        // Step 3: older than the snapshot.
        assert_eq!(book.apply_diff(&diff(90, 99, 80, &[(10, 0)])), DiffOutcome::Stale);
        // Step 4: straddles the snapshot id.
        assert_eq!(book.apply_diff(&diff(95, 105, 94, &[(10, 0), (9, 2)])), DiffOutcome::Applied);
        // Step 5: chains.
        assert_eq!(book.apply_diff(&diff(106, 110, 105, &[])), DiffOutcome::Applied);
        // A break is reported but still applied.
        assert_eq!(
            book.apply_diff(&diff(120, 130, 115, &[(8, 1)])),
            DiffOutcome::AppliedOutOfChain { expected: 110, received: 115 }
        );
        assert_eq!(book.best(), (Some(9), Some(11)));
        assert_eq!(book.last_update_id(), 130);
    }

    #[test]
    fn prints_on_the_recorded_precision() {
        let tick = Step::from_text("0.10").unwrap();
        assert_eq!(print(tick, 2, 618_002), "61800.20");
        assert_eq!(print(Step::from_text("0.001").unwrap(), 3, 2909), "2.909");
    }
}
