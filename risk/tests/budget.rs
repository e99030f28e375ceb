//! The order-rate budget under simulated bursts of quote updates: thousands of new orders and
//! replaces interleaved with cancels, at random times, against random windows and against
//! Binance USD-M's defaults. Every answer is compared with a brute-force count over the actions
//! already let through:
//!
//! - nothing is ever let through that would put more than `max_orders` counted actions in any
//!   interval of a window's length (checked again at the end over every accepted time);
//! - a new order or replace is refused exactly when some window already holds `max_orders −
//!   reserve` counted actions: new orders never eat into the cancel reserve;
//! - a counted cancel is refused exactly when some window is full: never while the total in
//!   every window is below the venue's limit; an uncounted cancel is never refused;
//! - `available` is the room the brute force finds.

use feeds::Nanos;
use proptest::prelude::*;
use risk::budget::{ActionKind, MAX_RATE_WINDOWS, OrderRateBudget, OrderRateLimits, RateWindow};

const MS: i64 = Nanos::PER_MILLI;

/// One attempt: the time since the previous one (ns) and what the quoting wants to send.
type Attempt = (i64, ActionKind);

fn kind() -> impl Strategy<Value = ActionKind> {
    // Quote updates are mostly replaces and new orders; cancels come in between.
    prop_oneof![4 => Just(ActionKind::Replace), 3 => Just(ActionKind::New), 2 => Just(ActionKind::Cancel)]
}

/// Random windows (1 or 2, short and small so that they fill up), with or without counted
/// cancels and any valid reserve. Lengths are a few hundred nanoseconds: with attempts a few
/// nanoseconds apart, actions land exactly on, and one nanosecond either side of, every window
/// boundary, where an off-by-one would show.
fn random_limits() -> impl Strategy<Value = OrderRateLimits> {
    let window = (1_i64..300, 2_u32..80)
        .prop_map(|(nanos, max_orders)| RateWindow { window: Nanos(nanos), max_orders });
    (prop::collection::vec(window, 1..=MAX_RATE_WINDOWS), any::<bool>(), 0_u32..60)
        .prop_map(|(list, count_cancels, cancel_reserve_pct)| {
            let mut windows = [None; MAX_RATE_WINDOWS];
            for (slot, window) in windows.iter_mut().zip(list) {
                *slot = Some(window);
            }
            OrderRateLimits { windows, count_cancels, cancel_reserve_pct }
        })
        .prop_filter("valid limits", |limits| limits.validate().is_ok())
}

/// Runs `attempts` through a budget and checks every answer against the brute force.
fn run(limits: OrderRateLimits, attempts: &[Attempt]) -> Result<(), TestCaseError> {
    let mut budget = OrderRateBudget::new(limits);
    let windows: Vec<RateWindow> = limits.windows().collect();
    let reserves: Vec<usize> = windows.iter().map(|&window| limits.cancel_reserve(window) as usize).collect();
    // Times of the counted actions let through, and per window the index of the first one
    // still inside it.
    let mut accepted: Vec<i64> = Vec::with_capacity(attempts.len());
    let mut first_inside = vec![0_usize; windows.len()];
    let mut now = 0_i64;
    for &(gap, kind) in attempts {
        now += gap;
        let mut counts = Vec::with_capacity(windows.len());
        for (index, window) in windows.iter().enumerate() {
            while first_inside[index] < accepted.len()
                && accepted[first_inside[index]] <= now - window.window.0
            {
                first_inside[index] += 1;
            }
            counts.push(accepted.len() - first_inside[index]);
        }
        let counted = kind != ActionKind::Cancel || limits.count_cancels;
        // Room per window for this kind: the whole window for cancels, less the reserve for
        // the rest.
        let room = |index: usize| -> usize {
            let allowed = match kind {
                ActionKind::Cancel => windows[index].max_orders as usize,
                ActionKind::New | ActionKind::Replace => windows[index].max_orders as usize - reserves[index],
            };
            allowed.saturating_sub(counts[index])
        };
        let expected_room = if counted { (0..windows.len()).map(room).min().unwrap() } else { usize::MAX };
        prop_assert_eq!(budget.available(Nanos(now), kind), expected_room, "at {} ns, {:?}", now, kind);
        let granted = budget.try_acquire(Nanos(now), kind);
        prop_assert_eq!(granted, expected_room > 0, "at {} ns, {:?}, in window {:?}", now, kind, counts);
        if kind == ActionKind::Cancel {
            // Never refused while every window is below the venue's count.
            let below_limit =
                counts.iter().zip(&windows).all(|(&count, window)| count < window.max_orders as usize);
            prop_assert!(granted || (counted && !below_limit));
        }
        if granted && counted {
            accepted.push(now);
        }
        if granted && kind != ActionKind::Cancel {
            // The new order left the reserve untouched in every window.
            for (index, window) in windows.iter().enumerate() {
                prop_assert!(counts[index] < window.max_orders as usize - reserves[index]);
            }
        }
    }
    // No interval of a window's length holds more than its count: for each accepted time,
    // the ones in [time, time + window) (two pointers over the sorted times).
    for window in &windows {
        let mut end = 0;
        for start in 0..accepted.len() {
            end = end.max(start);
            while end < accepted.len() && accepted[end] < accepted[start] + window.window.0 {
                end += 1;
            }
            prop_assert!(
                end - start <= window.max_orders as usize,
                "{} in {:?} from {}",
                end - start,
                window,
                accepted[start]
            );
        }
    }
    prop_assert_eq!(
        budget.granted(ActionKind::New)
            + budget.granted(ActionKind::Replace)
            + budget.granted(ActionKind::Cancel)
            + budget.refused(ActionKind::New)
            + budget.refused(ActionKind::Replace)
            + budget.refused(ActionKind::Cancel),
        attempts.len() as u64
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_windows_are_never_exceeded_and_cancels_keep_their_reserve(
        limits in random_limits(),
        // Bursts: many attempts at the same instant, and gaps of a few nanoseconds.
        attempts in prop::collection::vec((prop_oneof![3 => Just(0_i64), 5 => 0_i64..4], kind()), 1_000..4_000),
    ) {
        run(limits, &attempts)?;
    }

    #[test]
    fn binance_defaults_hold_through_minutes_of_quote_updates(
        count_cancels in any::<bool>(),
        // Quote updates every 0–20 ms (about 100 a second, three times what 300 per 10 s
        // allows) for about a minute.
        attempts in prop::collection::vec((0_i64..20 * MS, kind()), 5_000..6_000),
    ) {
        let limits = OrderRateLimits { count_cancels, ..OrderRateLimits::default() };
        run(limits, &attempts)?;
    }
}
