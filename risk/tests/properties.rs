//! Properties of the gate over random limits, intents, market contexts and event timings:
//! whatever it approves satisfies every limit, and whatever it rejects, it rejects for the first
//! check that fails; exits only ever reduce the position; the loss and drawdown kill fires at
//! the first breach; and the stale-data kill fires only after, and always soon after, a silence
//! of `max_silence + kill_after_stale`.

use feeds::{Bbo, Event, EventKind, InstrumentId, Lots, Nanos, Seq, Side, Ticks, Trade};
use proptest::prelude::*;
use risk::{KillEvent, LotValue, MarketContext, OrderIntent, Reason, RiskGate, RiskLimits, Verdict};

const MS: i64 = Nanos::PER_MILLI;

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Bid), Just(Side::Ask)]
}

fn bbo(exchange: Nanos, receive: Nanos) -> Event {
    let bbo = Bbo { bid: Ticks(1), bid_qty: Lots(1), ask: Ticks(2), ask_qty: Lots(1) };
    Event::new(exchange, receive, Seq(1), InstrumentId(0), EventKind::Bbo(bbo))
}

fn trade(exchange: Nanos, receive: Nanos) -> Event {
    let trade =
        Trade { price: Ticks(1), qty: Lots(1), aggressor: Side::Bid, aggregated: false, forced: false };
    Event::new(exchange, receive, Seq(2), InstrumentId(0), EventKind::Trade(trade))
}

/// The price band, written out independently of the gate.
fn in_band(price: i64, fair_value: f64, band_bps: f64) -> bool {
    price > 0 && fair_value > 0.0 && (price as f64 - fair_value).abs() <= fair_value * band_bps / 10_000.0
}

proptest! {
    #[test]
    fn an_approved_intent_satisfies_every_limit(
        (max_position, max_order_qty) in (1_i64..100, 1_i64..50),
        price_band_bps in 0.1_f64..500.0,
        max_book_age_ms in 1_i64..2_000,
        (max_lag_ms, max_silence_ms, max_open_orders) in (1_i64..500, 1_i64..2_000, 1_u32..8),
        max_position_notional in 1.0_f64..100_000.0,
        quote_per_lot_tick in prop::option::of(0.000_01_f64..0.01),
        book_trusted in any::<bool>(),
        (last_update_ms, age_ms) in (0_i64..1_000_000, -100_i64..3_000),
        (latency_ms, extra_latency_ms, silence_ms) in (-2_000_i64..2_000, -50_i64..1_000, 0_i64..3_000),
        open_orders in 0_usize..10,
        fair_value in prop_oneof![Just(f64::NAN), -10.0_f64..10.0, 1_000.0_f64..2_000_000.0],
        position in -150_i64..150,
        side in side(),
        price_offset in -50_000_i64..50_000,
        qty in -5_i64..80,
    ) {
        let limits = RiskLimits {
            max_position: Lots(max_position),
            max_position_notional,
            max_order_qty: Lots(max_order_qty),
            max_open_orders,
            price_band_bps,
            max_book_age: Nanos(max_book_age_ms * MS),
            max_lag: Nanos(max_lag_ms * MS),
            max_silence: Nanos(max_silence_ms * MS),
            // Out of the way: this property is about single checks, not the kill timer.
            kill_after_stale: Nanos(86_400_000 * MS),
            ..RiskLimits::default()
        };
        let mut gate = RiskGate::new(limits);
        if let Some(quote_per_lot_tick) = quote_per_lot_tick {
            gate = gate.with_lot_value(LotValue::Linear { quote_per_lot_tick });
        }
        // A best bid/offer at the update time, received `latency` later (by a clock with any
        // offset), then a trade stamped the same, received `extra` later still; then the
        // timer, `silence` after the trade.
        let update = Nanos(last_update_ms * MS);
        let first_receive = Nanos(update.0 + latency_ms * MS);
        let second_receive = Nanos(first_receive.0 + extra_latency_ms * MS);
        gate.on_event(&bbo(update, first_receive));
        gate.on_event(&trade(update, second_receive));
        let last_receive = first_receive.max(second_receive);
        gate.on_time(Nanos(last_receive.0 + silence_ms * MS));
        gate.on_open_orders(open_orders);
        let now = Nanos(update.0 + age_ms * MS);
        let market = MarketContext { book_trusted, now, fair_value, position: Lots(position) };
        let price = Ticks(if fair_value.is_finite() { fair_value as i64 } else { 1_000 } + price_offset);
        let intent = OrderIntent { instrument: InstrumentId(0), side, price, qty: Lots(qty) };

        let verdict = gate.check(intent, &market);
        let after = position + side.sign() * qty;
        let reduces = after.abs() < position.abs();
        // The trade's latency above the lower of the two.
        let lag_excess = extra_latency_ms.max(0);
        let notional = quote_per_lot_tick.map(|value| after.abs() as f64 * fair_value * value);
        // The checks, in the gate's order, written out independently.
        let expected = if !book_trusted {
            Some(Reason::BookUntrusted)
        } else if age_ms > max_book_age_ms {
            Some(Reason::BookStale)
        } else if lag_excess > max_lag_ms {
            Some(Reason::FeedLag)
        } else if silence_ms > max_silence_ms {
            Some(Reason::FeedSilent)
        } else if qty <= 0 || qty > max_order_qty {
            Some(Reason::OrderSize)
        } else if open_orders >= max_open_orders as usize {
            Some(Reason::OpenOrders)
        } else if after.abs() > max_position && !reduces {
            Some(Reason::PositionLimit)
        } else if !in_band(price.0, fair_value, price_band_bps) {
            Some(Reason::PriceBand)
        } else if notional.is_some_and(|notional| notional > max_position_notional) && !reduces {
            Some(Reason::NotionalLimit)
        } else {
            None
        };
        prop_assert_eq!(verdict.reason(), expected);
        prop_assert!(!gate.is_killed());
        if let Verdict::Approve(approved) = verdict {
            prop_assert_eq!(*approved.get(), intent);
            prop_assert!(after.abs() <= max_position || reduces);
            prop_assert!(notional.is_none_or(|notional| notional <= max_position_notional) || reduces);
        }
        // Kill switch: the same intent is refused while latched, and judged the same after.
        gate.kill(Reason::Manual);
        prop_assert_eq!(gate.check(intent, &market), Verdict::Reject(Reason::Killed));
        gate.reset();
        prop_assert_eq!(gate.check(intent, &market).reason(), expected);
    }

    #[test]
    fn an_approved_exit_only_reduces_the_position(
        (killed, flatten) in (any::<bool>(), any::<bool>()),
        (max_order_qty, max_open_orders, open_orders) in (1_i64..50, 1_u32..8, 0_usize..10),
        book_trusted in any::<bool>(),
        position in -150_i64..150,
        side in side(),
        price_offset in -100_i64..100,
        qty in -5_i64..80,
    ) {
        let limits = RiskLimits {
            max_order_qty: Lots(max_order_qty),
            max_open_orders,
            price_band_bps: 50.0,
            flatten,
            ..RiskLimits::default()
        };
        let mut gate = RiskGate::new(limits);
        gate.on_open_orders(open_orders);
        if killed {
            gate.kill(Reason::Drawdown);
        }
        // No event at all: the data checks do not apply to exits.
        let market = MarketContext { book_trusted, now: Nanos(0), fair_value: 10_000.0, position: Lots(position) };
        let intent = OrderIntent {
            instrument: InstrumentId(0),
            side,
            price: Ticks(10_000 + price_offset),
            qty: Lots(qty),
        };
        let verdict = gate.check_exit(intent, &market);
        let after = position + side.sign() * qty;
        let expected = if killed && !flatten {
            Some(Reason::Killed)
        } else if qty <= 0 || qty > max_order_qty {
            Some(Reason::OrderSize)
        } else if open_orders >= max_open_orders as usize {
            Some(Reason::OpenOrders)
        } else if !(after.abs() < position.abs() && after.signum() * position.signum() >= 0) {
            Some(Reason::PositionLimit)
        } else if !in_band(intent.price.0, 10_000.0, 50.0) {
            Some(Reason::PriceBand)
        } else {
            None
        };
        prop_assert_eq!(verdict.reason(), expected);
        if verdict.is_approved() {
            prop_assert!(after.abs() < position.abs());
            prop_assert!(after == 0 || after.signum() == position.signum());
        }
    }

    #[test]
    fn the_loss_and_drawdown_kill_fires_at_the_first_breach(
        pnls in prop::collection::vec(prop_oneof![20 => -400.0_f64..400.0, 1 => Just(f64::NAN)], 1..60),
        (max_loss, max_drawdown) in (1.0_f64..300.0, 1.0_f64..300.0),
    ) {
        let mut gate = RiskGate::new(RiskLimits { max_loss, max_drawdown, ..RiskLimits::default() });
        let mut peak = 0.0_f64;
        let mut expected = None;
        for (index, &pnl) in pnls.iter().enumerate() {
            let time = Nanos(index as i64);
            gate.on_pnl(time, pnl);
            if expected.is_some() {
                continue;
            }
            if pnl.is_nan() {
                expected = Some(KillEvent { time, reason: Reason::MaxLoss });
                continue;
            }
            peak = peak.max(pnl);
            if pnl < -max_loss {
                expected = Some(KillEvent { time, reason: Reason::MaxLoss });
            } else if peak - pnl > max_drawdown {
                expected = Some(KillEvent { time, reason: Reason::Drawdown });
            }
        }
        prop_assert_eq!(gate.kill_event(), expected);
        // Latched: later breaches neither replace the first event nor count again.
        prop_assert_eq!(gate.kill_count(), u64::from(expected.is_some()));
    }

    #[test]
    fn silence_kills_only_after_and_soon_after_max_silence_plus_kill_after_stale(
        gaps in prop::collection::vec(1_i64..4_000, 1..40),
        (max_silence_ms, kill_after_stale_ms, tick_ms) in (1_i64..1_500, 1_i64..3_000, 1_i64..200),
    ) {
        let limits = RiskLimits {
            max_silence: Nanos(max_silence_ms * MS),
            kill_after_stale: Nanos(kill_after_stale_ms * MS),
            // Book age and lag out of the way: silence is the only fault.
            max_book_age: Nanos(86_400_000 * MS),
            ..RiskLimits::default()
        };
        let mut gate = RiskGate::new(limits);
        // Best bids/offers at the given gaps (exchange = receive time); the timer ticks every
        // `tick_ms` in between, and runs on for a last long silence.
        let mut events = vec![0_i64];
        for gap in &gaps {
            events.push(events.last().unwrap() + gap);
        }
        let end = events.last().unwrap() + max_silence_ms + kill_after_stale_ms + 3 * tick_ms;
        let mut next_event = 0;
        let mut kill_at = None;
        let mut tick = 0;
        while tick <= end {
            while next_event < events.len() && events[next_event] <= tick {
                let time = Nanos(events[next_event] * MS);
                gate.on_event(&bbo(time, time));
                next_event += 1;
            }
            gate.on_time(Nanos(tick * MS));
            if kill_at.is_none() && gate.is_killed() {
                kill_at = Some(tick);
                break;
            }
            tick += tick_ms;
        }
        let limit = max_silence_ms + kill_after_stale_ms;
        // Only after: the kill came more than max_silence + kill_after_stale after an event,
        // with none in between.
        let kill_at = kill_at.expect("the final silence is long enough to kill");
        let last_event = *events.iter().filter(|&&event| event <= kill_at).max().unwrap();
        prop_assert!(kill_at - last_event > limit, "killed at {} after an event at {}", kill_at, last_event);
        prop_assert_eq!(gate.kill_event(), Some(KillEvent { time: Nanos(kill_at * MS), reason: Reason::FeedSilent }));
        // Soon after: within two ticks of the limit (one to notice the silence, one to notice
        // the timer ran out).
        prop_assert!(kill_at - last_event <= limit + 2 * tick_ms);
    }
}
