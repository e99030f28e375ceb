//! Properties of the gate over random limits, intents and market contexts: whatever it approves
//! satisfies every limit, and whatever it rejects, it rejects for the first check that fails.

use feeds::{Bbo, Event, EventKind, InstrumentId, Lots, Nanos, Seq, Side, Ticks};
use proptest::prelude::*;
use risk::{MarketContext, OrderIntent, Reason, RiskGate, RiskLimits, Verdict};

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Bid), Just(Side::Ask)]
}

proptest! {
    #[test]
    fn an_approved_intent_satisfies_every_limit(
        (max_position, max_order_qty) in (1_i64..100, 1_i64..50),
        price_band_bps in 0.1_f64..500.0,
        max_book_age_ms in 1_i64..2_000,
        book_trusted in any::<bool>(),
        (last_update_ms, age_ms) in (0_i64..1_000_000, -100_i64..3_000),
        fair_value in prop_oneof![Just(f64::NAN), -10.0_f64..10.0, 1_000.0_f64..2_000_000.0],
        position in -150_i64..150,
        side in side(),
        price_offset in -50_000_i64..50_000,
        qty in -5_i64..80,
    ) {
        let limits = RiskLimits {
            max_position: Lots(max_position),
            max_order_qty: Lots(max_order_qty),
            price_band_bps,
            max_book_age: Nanos(max_book_age_ms * Nanos::PER_MILLI),
        };
        let mut gate = RiskGate::new(limits);
        let update = Nanos(last_update_ms * Nanos::PER_MILLI);
        let bbo = Bbo { bid: Ticks(1), bid_qty: Lots(1), ask: Ticks(2), ask_qty: Lots(1) };
        gate.on_event(&Event::new(update, update, Seq(1), InstrumentId(0), EventKind::Bbo(bbo)));
        let now = Nanos(update.0 + age_ms * Nanos::PER_MILLI);
        let market = MarketContext { book_trusted, now, fair_value, position: Lots(position) };
        let price = Ticks(if fair_value.is_finite() { fair_value as i64 } else { 1_000 } + price_offset);
        let intent = OrderIntent { instrument: InstrumentId(0), side, price, qty: Lots(qty) };

        let verdict = gate.check(intent, &market);
        let after = position + side.sign() * qty;
        // The checks, in the gate's order, written out independently.
        let expected = if !book_trusted {
            Some(Reason::BookUntrusted)
        } else if age_ms > max_book_age_ms {
            Some(Reason::BookStale)
        } else if qty <= 0 || qty > max_order_qty {
            Some(Reason::OrderSize)
        } else if after.abs() > max_position && after.abs() >= position.abs() {
            Some(Reason::PositionLimit)
        } else if !(price.0 > 0
            && fair_value > 0.0
            && (price.0 as f64 - fair_value).abs() <= fair_value * price_band_bps / 10_000.0)
        {
            Some(Reason::PriceBand)
        } else {
            None
        };
        prop_assert_eq!(verdict.reason(), expected);
        if let Verdict::Approve(approved) = verdict {
            prop_assert_eq!(*approved.get(), intent);
            prop_assert!(after.abs() <= max_position || after.abs() < position.abs());
        }
        // Kill switch: the same intent is refused while latched, and judged the same after.
        gate.kill(Reason::PriceBand);
        prop_assert_eq!(gate.check(intent, &market), Verdict::Reject(Reason::Killed));
        gate.reset();
        prop_assert_eq!(gate.check(intent, &market).reason(), expected);
    }
}
