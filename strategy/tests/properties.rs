//! Properties of quote construction over random books, fair values, policies and inventories:
//! whatever a fair value or a spread policy returns, the quotes never cross the book or each
//! other, sit on positive prices, and never let a full fill take inventory past the limit.

use feeds::{
    BookClear, BookLevel, ClearReason, Event, EventKind, InstrumentId, Lots, Nanos, OrderBook, Seq, Side,
    Step, Ticks,
};
use proptest::prelude::*;
use strategy::{
    FairValue, HalfSpreads, PolicyInput, Quoter, Signals, SpreadPolicy, StrategyConfig, TopOfBook,
};

/// A fair value chosen by the test, anywhere relative to the book.
struct Pinned(f64);

impl FairValue for Pinned {
    fn fair_value(&mut self, _: &Signals) -> Option<f64> {
        Some(self.0)
    }
}

/// Half-spreads chosen by the test, sensible or not.
struct Given(HalfSpreads);

impl SpreadPolicy for Given {
    fn half_spreads(&mut self, _: &PolicyInput<'_>) -> HalfSpreads {
        self.0
    }
}

/// The events of a one-level-a-side snapshot.
fn snapshot(bid: (i64, i64), ask: (i64, i64)) -> [Event; 3] {
    let event = |kind| Event::new(Nanos(1), Nanos(1), Seq(1), InstrumentId(0), kind);
    let level = |side, (price, qty), last| {
        event(EventKind::BookLevel(BookLevel {
            side,
            price: Ticks(price),
            qty: Lots(qty),
            last,
            snapshot: true,
        }))
    };
    [
        event(EventKind::BookClear(BookClear { reason: ClearReason::Snapshot, last: false })),
        level(Side::Bid, bid, false),
        level(Side::Ask, ask, true),
    ]
}

proptest! {
    #[test]
    fn quotes_never_cross_and_never_pass_the_inventory_limit(
        bid in 1_i64..2_000_000,
        spread in 1_i64..500,
        (bid_qty, ask_qty) in (1_i64..10_000, 1_i64..10_000),
        fair_offset in -5_000.0_f64..5_000.0,
        (half_bid, half_ask) in (-10.0_f64..2_000.0, -10.0_f64..2_000.0),
        inventory in -60_i64..60,
        order_qty in 1_i64..20,
        max_inventory in 1_i64..40,
        skew_bps in 0.0_f64..100.0,
    ) {
        let config = StrategyConfig {
            half_spread_bps: 0.0,
            min_half_spread_ticks: 0.5,
            order_qty: Lots(order_qty),
            max_inventory: Lots(max_inventory),
            skew_bps_at_max_inventory: skew_bps,
        };
        let ask = bid + spread;
        let fair = bid as f64 + fair_offset;
        let mut quoter = Quoter::new(
            config,
            Step::decimal_places(1),
            Pinned(fair),
            Given(HalfSpreads { bid: half_bid, ask: half_ask }),
        );
        let mut book = OrderBook::with_capacity(16);
        for event in snapshot((bid, bid_qty), (ask, ask_qty)) {
            book.apply(&event).unwrap();
            quoter.on_event(&event, &book);
        }
        let quotes = quoter.quote(&book, Lots(inventory));
        if let Some(level) = quotes.bid {
            prop_assert!(level.price.0 > 0 && level.price.0 < ask, "{quotes:?}");
            prop_assert!(level.qty.0 > 0 && level.qty.0 <= order_qty);
            prop_assert!(inventory + level.qty.0 <= max_inventory);
        } else {
            // A bid goes missing only at the inventory limit or when it would sit below tick 1.
            let ratio = (inventory as f64 / max_inventory as f64).clamp(-1.0, 1.0);
            let centre = fair - fair.abs() * skew_bps / 1e4 * ratio;
            prop_assert!(inventory >= max_inventory || centre - half_bid.max(0.5) < 1.0 + 1e-6, "{quotes:?}");
        }
        if let Some(level) = quotes.ask {
            prop_assert!(level.price.0 > bid, "{quotes:?}");
            prop_assert!(level.qty.0 > 0 && level.qty.0 <= order_qty);
            prop_assert!(inventory - level.qty.0 >= -max_inventory);
        } else {
            prop_assert!(inventory <= -max_inventory, "{quotes:?}");
        }
        if let (Some(bid_level), Some(ask_level)) = (quotes.bid, quotes.ask) {
            prop_assert!(bid_level.price < ask_level.price, "{quotes:?}");
        }
    }

    #[test]
    fn the_microprice_stays_within_the_touch(
        bid in 1_i64..i64::MAX / 4,
        spread in 1_i64..1_000_000,
        (bid_qty, ask_qty) in (1_i64..i64::MAX / 4, 1_i64..i64::MAX / 4),
    ) {
        let top = TopOfBook {
            bid: Ticks(bid),
            bid_qty: Lots(bid_qty),
            ask: Ticks(bid + spread),
            ask_qty: Lots(ask_qty),
        };
        let microprice = top.microprice();
        prop_assert!(microprice >= bid as f64 && microprice <= (bid + spread) as f64);
        prop_assert!((0.0..=1.0).contains(&top.imbalance()));
    }
}
