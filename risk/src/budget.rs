//! [`OrderRateBudget`]: the venue's order-rate limits, kept on our side so that we never hit them,
//! with room always left for cancels.
//!
//! - [`OrderRateLimits`]: the configuration (`[risk.rate]` in the engine's file): up to
//!   [`MAX_RATE_WINDOWS`] sliding windows ([`RateWindow`]: at most `max_orders` actions per
//!   `window`), whether the venue counts cancels, and the share of each window held back for them.
//! - [`OrderRateBudget`]: the budget itself. Ask it before sending each action:
//!   [`try_acquire`](OrderRateBudget::try_acquire) takes one unit and says whether the action may
//!   go; [`available`](OrderRateBudget::available) says how many could, without taking any.
//! - [`ActionKind`]: what is being sent: a new order, a replace (amend) or a cancel.
//!
//! One budget per venue account: every instrument's orders draw from it.
//!
//! # The venue: Binance USD-M futures
//! The defaults mirror Binance's documented defaults for USDⓈ-M futures:
//! - **1 200 orders per minute and 300 per 10 seconds, per account.** Binance FAQ "Rate Limits on
//!   Binance Futures" (binance.com/en/support/faq/rate-limits-on-binance-futures-281596e222414cdd9051664ea621cdc3,
//!   last updated 2023-08-04): "the default order limit per account/sub-account is 1,200/min";
//!   "there is an additional 10-second limit, default at 300/10s". Higher tiers get more (the
//!   10-second limit is a third of the minute limit), hence the configuration.
//! - **New orders and amendments count; cancels do not.** The USDⓈ-M API reference gives
//!   `POST /fapi/v1/order` (New Order) and `PUT /fapi/v1/order` (Modify Order, and the WebSocket
//!   API's `order.modify`) a cost of 1 on the 10 s order count (`X-MBX-ORDER-COUNT-10S`) and 1
//!   on the 1 min order count (`X-MBX-ORDER-COUNT-1M`), while `DELETE /fapi/v1/order` (Cancel
//!   Order, and `order.cancel`) has only a request weight of 1 against the per-IP weight limit
//!   (2 400/min), and the WebSocket API's cancel response reports no order count
//!   (developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api, pages New
//!   Order, Modify Order, Cancel Order). A batch placement (`POST /fapi/v1/batchOrders`) costs 5
//!   on the 10 s count: send batches as five [`ActionKind::New`].
//!
//! So by default cancels are not counted (`count_cancels = false`) and are never refused: pulling
//! quotes must not wait for budget. The per-IP request weight they do use is not modelled here
//! (one cancel is 1 of 2 400 per minute). For a venue that counts cancels, set
//! `count_cancels = true`: cancels then draw from the same windows and may use all of them, while
//! new orders and replaces stop `cancel_reserve_pct` short, so a burst of quote updates can never
//! leave us unable to cancel.
//!
//! # Exact sliding windows
//! A window of length `W` allowing `N` actions means: no interval of length `W` (any start, not
//! only aligned ones) contains more than `N` accepted actions. That is stricter than a venue
//! counting in fixed, aligned buckets, so it is safe whichever way the venue counts. The budget
//! keeps the times of the last `C` counted actions in a ring (`C` the largest `max_orders`,
//! allocated at construction); an action at `now` fits a window if fewer than its limit `L` of
//! the kept times lie in `(now − W, now]`, which, the times being in order, is a single look at
//! the `L`-th most recent time. No allocation and no scan per call; `available` is a binary
//! search.
//!
//! Why not a token bucket: a bucket refilling at `N / W` with room for `N` lets up to `2N`
//! through in a window that straddles a refill, exceeding the venue's count; and it cannot say
//! exactly when room frees up.
//!
//! ```
//! # use feeds::Nanos;
//! # use risk::budget::{ActionKind, OrderRateBudget, OrderRateLimits, RateWindow};
//! let limits = OrderRateLimits {
//!     windows: [Some(RateWindow { window: Nanos(10 * Nanos::PER_SECOND), max_orders: 10 }), None],
//!     count_cancels: true,
//!     cancel_reserve_pct: 20,
//! };
//! let mut budget = OrderRateBudget::new(limits);
//! // New orders may use 10 − 20 % = 8 of the window; cancels all 10.
//! let now = Nanos(0);
//! assert_eq!(budget.available(now, ActionKind::New), 8);
//! for _ in 0..8 {
//!     assert!(budget.try_acquire(now, ActionKind::New));
//! }
//! assert!(!budget.try_acquire(now, ActionKind::Replace));
//! assert!(budget.try_acquire(now, ActionKind::Cancel));
//! assert!(budget.try_acquire(now, ActionKind::Cancel));
//! assert!(!budget.try_acquire(now, ActionKind::Cancel));
//! // Ten seconds after the first, the window has moved past all of them.
//! assert!(budget.try_acquire(Nanos(10 * Nanos::PER_SECOND), ActionKind::New));
//! ```

use crate::limits::RiskLimitsError;
use feeds::Nanos;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

/// How many windows an [`OrderRateLimits`] may have.
pub const MAX_RATE_WINDOWS: usize = 2;

/// The largest `max_orders` of a window: bounds the ring (8 bytes per slot) a budget allocates.
pub const MAX_ORDERS_PER_WINDOW: u32 = 1_000_000;

/// What an order action does, for the budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ActionKind {
    /// Places a new order.
    New = 0,
    /// Amends a resting order in place (Binance `order.modify`).
    Replace = 1,
    /// Cancels a resting order.
    Cancel = 2,
}

impl ActionKind {
    /// Every kind; `ALL[k as usize] == k`.
    pub const ALL: [ActionKind; 3] = [ActionKind::New, ActionKind::Replace, ActionKind::Cancel];
}

/// One sliding window: at most `max_orders` counted actions in any interval of length `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateWindow {
    /// Length of the window; in the file, `window_ms`. Positive.
    #[serde(
        rename = "window_ms",
        deserialize_with = "crate::limits::millis",
        serialize_with = "crate::limits::as_millis"
    )]
    pub window: Nanos,
    /// Actions allowed per window. In `1..=`[`MAX_ORDERS_PER_WINDOW`].
    pub max_orders: u32,
}

/// The order-rate budget's configuration: the `[risk.rate]` table.
///
/// ```toml
/// [risk.rate]
/// windows = [{ window_ms = 10000, max_orders = 300 }, { window_ms = 60000, max_orders = 1200 }]
/// count_cancels = false
/// cancel_reserve_pct = 10
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrderRateLimits {
    /// The windows, at least one, each enforced; `None` slots are unused and come last. In the
    /// file, a list of one or two `{ window_ms, max_orders }`. Default: Binance USD-M's
    /// 300 per 10 s and 1 200 per minute.
    #[serde(deserialize_with = "windows", serialize_with = "windows_out")]
    pub windows: [Option<RateWindow>; MAX_RATE_WINDOWS],
    /// Whether the venue counts cancels against these windows. Default false (Binance USD-M
    /// does not): cancels are then never refused nor recorded.
    pub count_cancels: bool,
    /// When cancels are counted, the share of each window, in percent rounded up to whole
    /// actions, that new orders and replaces may not use, so that cancels always find room.
    /// Default 10. In `0..100`, and leaving new orders at least one action per window. Unused
    /// when cancels are not counted.
    pub cancel_reserve_pct: u32,
}

impl Default for OrderRateLimits {
    fn default() -> OrderRateLimits {
        OrderRateLimits {
            windows: [
                Some(RateWindow { window: Nanos(10 * Nanos::PER_SECOND), max_orders: 300 }),
                Some(RateWindow { window: Nanos(60 * Nanos::PER_SECOND), max_orders: 1_200 }),
            ],
            count_cancels: false,
            cancel_reserve_pct: 10,
        }
    }
}

/// Writes the windows the way [`windows`] reads them: a list of the ones in use.
fn windows_out<S: serde::Serializer>(
    windows: &[Option<RateWindow>; MAX_RATE_WINDOWS],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(windows.iter().flatten())
}

fn windows<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<[Option<RateWindow>; MAX_RATE_WINDOWS], D::Error> {
    let list = Vec::<RateWindow>::deserialize(deserializer)?;
    if list.is_empty() || list.len() > MAX_RATE_WINDOWS {
        return Err(D::Error::custom(format!(
            "rate.windows: {} windows given, 1 to {MAX_RATE_WINDOWS} allowed",
            list.len()
        )));
    }
    let mut windows = [None; MAX_RATE_WINDOWS];
    for (slot, window) in windows.iter_mut().zip(list) {
        *slot = Some(window);
    }
    Ok(windows)
}

impl OrderRateLimits {
    /// The windows in use.
    pub fn windows(&self) -> impl Iterator<Item = RateWindow> + '_ {
        self.windows.iter().flatten().copied()
    }

    /// How many actions of `window` new orders and replaces must leave to cancels:
    /// `ceil(max_orders × cancel_reserve_pct / 100)` when cancels are counted, else 0.
    pub fn cancel_reserve(&self, window: RateWindow) -> u32 {
        if !self.count_cancels {
            return 0;
        }
        let reserve = (u64::from(window.max_orders) * u64::from(self.cancel_reserve_pct)).div_ceil(100);
        u32::try_from(reserve).unwrap_or(u32::MAX)
    }

    /// Checks every field; the first bad one is named in the error, as in the file
    /// (`rate.windows[1].max_orders`).
    pub fn validate(&self) -> Result<(), RiskLimitsError> {
        const WINDOW_MS: [&str; MAX_RATE_WINDOWS] =
            ["rate.windows[0].window_ms", "rate.windows[1].window_ms"];
        const MAX_ORDERS: [&str; MAX_RATE_WINDOWS] =
            ["rate.windows[0].max_orders", "rate.windows[1].max_orders"];
        fn check(
            ok: bool,
            field: &'static str,
            value: impl ToString,
            requirement: &'static str,
        ) -> Result<(), RiskLimitsError> {
            RiskLimitsError::check(ok, field, value, requirement)
        }
        check(self.windows[0].is_some(), "rate.windows", "[]", "needs at least one window")?;
        check(
            self.cancel_reserve_pct < 100,
            "rate.cancel_reserve_pct",
            self.cancel_reserve_pct,
            "must be below 100",
        )?;
        let mut ended = false;
        for (index, slot) in self.windows.iter().enumerate() {
            let Some(window) = slot else {
                ended = true;
                continue;
            };
            check(!ended, "rate.windows", index, "unused window slots must come last")?;
            let millis = window.window.0 as f64 / Nanos::PER_MILLI as f64;
            check(window.window.0 > 0, WINDOW_MS[index], millis, "must be positive")?;
            check(
                (1..=MAX_ORDERS_PER_WINDOW).contains(&window.max_orders),
                MAX_ORDERS[index],
                window.max_orders,
                "must be at least 1 and at most 1000000",
            )?;
            check(
                self.cancel_reserve(*window) < window.max_orders,
                MAX_ORDERS[index],
                window.max_orders,
                "must leave new orders at least one action after the cancel reserve",
            )?;
        }
        Ok(())
    }
}

/// A window as the budget applies it.
#[derive(Clone, Copy, Debug)]
struct Limit {
    /// Window length in nanoseconds, positive.
    window: i64,
    /// Actions allowed to cancels (the whole window), `≤` the ring's capacity.
    all: usize,
    /// Actions allowed to new orders and replaces: `all − reserve`, at least 1.
    orders: usize,
}

/// The order-rate budget: exact sliding windows over the times of the actions it let through.
///
/// Allocates its ring once, in [`OrderRateBudget::new`]; every other method is allocation-free
/// and constant time, except [`available`](OrderRateBudget::available) and
/// [`used`](OrderRateBudget::used) (logarithmic).
#[derive(Clone, Debug)]
pub struct OrderRateBudget {
    limits: [Option<Limit>; MAX_RATE_WINDOWS],
    count_cancels: bool,
    /// Times (ns) of the most recent counted actions, oldest at `head`; non-decreasing from
    /// `head` onwards. `len ≤ times.len()`; once full, each new time overwrites the oldest.
    times: Box<[i64]>,
    head: usize,
    len: usize,
    /// The latest time seen; an earlier `now` is taken as this one.
    latest: i64,
    /// Granted and refused actions per [`ActionKind`].
    granted: [u64; 3],
    refused: [u64; 3],
}

impl OrderRateBudget {
    /// A budget enforcing `limits`, with nothing spent.
    ///
    /// # Panics
    /// If `limits` do not [validate](OrderRateLimits::validate) (validate them with the rest of
    /// [`RiskLimits`](crate::RiskLimits) when the config is read).
    pub fn new(limits: OrderRateLimits) -> OrderRateBudget {
        if let Err(error) = limits.validate() {
            panic!("OrderRateBudget::new: {error}");
        }
        let mut applied = [None; MAX_RATE_WINDOWS];
        for (slot, window) in applied.iter_mut().zip(limits.windows()) {
            let all = window.max_orders as usize;
            let orders = all - limits.cancel_reserve(window) as usize;
            *slot = Some(Limit { window: window.window.0, all, orders });
        }
        let capacity = limits.windows().map(|window| window.max_orders as usize).max().unwrap_or(1);
        OrderRateBudget {
            limits: applied,
            count_cancels: limits.count_cancels,
            times: vec![i64::MIN; capacity].into_boxed_slice(),
            head: 0,
            len: 0,
            latest: i64::MIN,
            granted: [0; 3],
            refused: [0; 3],
        }
    }

    /// Takes one unit of budget for an action of `kind` sent at `now`, if every window has room
    /// for it; true if the action may be sent. A cancel the venue does not count is always
    /// granted and not recorded.
    ///
    /// Times must not go backwards; an earlier `now` is taken as the latest seen.
    #[inline]
    pub fn try_acquire(&mut self, now: Nanos, kind: ActionKind) -> bool {
        let now = self.advance(now);
        if kind == ActionKind::Cancel && !self.count_cancels {
            self.granted[kind as usize] += 1;
            return true;
        }
        let fits = self.limits.iter().flatten().all(|limit| {
            let allowed = self.allowed(limit, kind);
            // Fewer than `allowed` kept times lie in (now − window, now] exactly when the
            // `allowed`-th most recent one (if there is one) is at or before now − window.
            allowed > self.len || now.saturating_sub(self.recent(allowed)) >= limit.window
        });
        if fits {
            self.push(now);
            self.granted[kind as usize] += 1;
        } else {
            self.refused[kind as usize] += 1;
        }
        fits
    }

    /// How many actions of `kind` could be sent at `now` (none are taken). `usize::MAX` for a
    /// cancel the venue does not count.
    pub fn available(&self, now: Nanos, kind: ActionKind) -> usize {
        if kind == ActionKind::Cancel && !self.count_cancels {
            return usize::MAX;
        }
        let now = now.0.max(self.latest);
        self.limits
            .iter()
            .flatten()
            .map(|limit| self.allowed(limit, kind).saturating_sub(self.in_window(now, limit.window)))
            .min()
            .unwrap_or(0)
    }

    /// Counted actions in `(now − window, now]` for each configured window, in configuration
    /// order (unused slots `0`), for metrics.
    pub fn used(&self, now: Nanos) -> [usize; MAX_RATE_WINDOWS] {
        let now = now.0.max(self.latest);
        self.limits.map(|limit| limit.map_or(0, |limit| self.in_window(now, limit.window)))
    }

    /// Actions of `kind` granted so far.
    #[inline]
    pub fn granted(&self, kind: ActionKind) -> u64 {
        self.granted[kind as usize]
    }

    /// Actions of `kind` refused so far.
    #[inline]
    pub fn refused(&self, kind: ActionKind) -> u64 {
        self.refused[kind as usize]
    }

    #[inline]
    fn advance(&mut self, now: Nanos) -> i64 {
        self.latest = self.latest.max(now.0);
        self.latest
    }

    #[inline]
    fn allowed(&self, limit: &Limit, kind: ActionKind) -> usize {
        match kind {
            ActionKind::Cancel => limit.all,
            ActionKind::New | ActionKind::Replace => limit.orders,
        }
    }

    /// The `k`-th most recent kept time, `1 ≤ k ≤ len`.
    #[inline]
    fn recent(&self, k: usize) -> i64 {
        debug_assert!((1..=self.len).contains(&k));
        self.times[(self.head + self.len - k) % self.times.len()]
    }

    #[inline]
    fn push(&mut self, now: i64) {
        let capacity = self.times.len();
        if self.len == capacity {
            self.times[self.head] = now;
            self.head = (self.head + 1) % capacity;
        } else {
            self.times[(self.head + self.len) % capacity] = now;
            self.len += 1;
        }
        debug_assert!(self.len < 2 || self.recent(2) <= self.recent(1), "kept times are in order");
    }

    /// Kept times in `(now − window, now]`: a binary search for the first one after
    /// `now − window`, the times being in order.
    fn in_window(&self, now: i64, window: i64) -> usize {
        let start = now.saturating_sub(window);
        // The kept times at or before `start` form a prefix (oldest first): find its length.
        let (mut low, mut high) = (0, self.len);
        while low < high {
            let middle = (low + high) / 2;
            if self.times[(self.head + middle) % self.times.len()] <= start {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        self.len - low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = Nanos::PER_MILLI;

    fn at(ms: i64) -> Nanos {
        Nanos(ms * MS)
    }

    /// One window of `max_orders` per `window_ms`, cancels counted with a `reserve_pct` reserve.
    fn limits(window_ms: i64, max_orders: u32, reserve_pct: u32) -> OrderRateLimits {
        OrderRateLimits {
            windows: [Some(RateWindow { window: at(window_ms), max_orders }), None],
            count_cancels: true,
            cancel_reserve_pct: reserve_pct,
        }
    }

    #[test]
    fn the_defaults_are_binance_usdm_and_validate() {
        let limits = OrderRateLimits::default();
        assert_eq!(limits.validate(), Ok(()));
        let windows: Vec<_> = limits.windows().map(|window| (window.window, window.max_orders)).collect();
        assert_eq!(windows, [(at(10_000), 300), (at(60_000), 1_200)]);
        // Binance does not count cancels, so nothing is held back for them.
        assert!(!limits.count_cancels);
        assert_eq!(limits.cancel_reserve(limits.windows[0].unwrap()), 0);
        let counted = OrderRateLimits { count_cancels: true, ..limits };
        assert_eq!(counted.cancel_reserve(counted.windows[0].unwrap()), 30);
        assert_eq!(counted.cancel_reserve(counted.windows[1].unwrap()), 120);
    }

    #[test]
    fn the_reserve_rounds_up_to_whole_actions() {
        // 10 % of 15 is 1.5: two actions are kept for cancels, 13 left to new orders.
        let budget = OrderRateBudget::new(limits(1_000, 15, 10));
        assert_eq!(budget.available(at(0), ActionKind::New), 13);
        assert_eq!(budget.available(at(0), ActionKind::Cancel), 15);
        // A zero reserve leaves the whole window to everyone.
        let budget = OrderRateBudget::new(limits(1_000, 15, 0));
        assert_eq!(budget.available(at(0), ActionKind::Replace), 15);
    }

    #[test]
    fn the_window_slides_exactly() {
        // 3 per 100 ms, no reserve. Actions at 0, 10 and 20 ms fill it; the fourth fits only
        // once the first has left (0, 100]: at 100 ms exactly, not at 99 ms.
        let mut budget = OrderRateBudget::new(limits(100, 3, 0));
        for ms in [0, 10, 20] {
            assert!(budget.try_acquire(at(ms), ActionKind::New), "{ms}");
        }
        assert!(!budget.try_acquire(at(99), ActionKind::New));
        assert_eq!(budget.available(at(99), ActionKind::New), 0);
        assert_eq!(budget.available(at(100), ActionKind::New), 1);
        assert!(budget.try_acquire(at(100), ActionKind::New));
        // Now 10, 20, 100 are in the window: the next fits at 110.
        assert!(!budget.try_acquire(at(109), ActionKind::Replace));
        assert!(budget.try_acquire(at(110), ActionKind::Replace));
        assert_eq!(budget.used(at(110)), [3, 0]);
        assert_eq!(budget.used(at(1_000)), [0, 0]);
        assert_eq!((budget.granted(ActionKind::New), budget.refused(ActionKind::New)), (4, 1));
        assert_eq!((budget.granted(ActionKind::Replace), budget.refused(ActionKind::Replace)), (1, 1));
    }

    #[test]
    fn every_window_must_have_room() {
        // 2 per 10 ms and 3 per 100 ms: the short window refuses a third at once, the long one
        // a fourth 20 ms later although the short one has room again.
        let mut budget = OrderRateBudget::new(OrderRateLimits {
            windows: [
                Some(RateWindow { window: at(10), max_orders: 2 }),
                Some(RateWindow { window: at(100), max_orders: 3 }),
            ],
            count_cancels: false,
            cancel_reserve_pct: 10,
        });
        assert!(budget.try_acquire(at(0), ActionKind::New));
        assert!(budget.try_acquire(at(0), ActionKind::New));
        assert!(!budget.try_acquire(at(5), ActionKind::New));
        assert!(budget.try_acquire(at(10), ActionKind::New));
        assert_eq!(budget.available(at(20), ActionKind::New), 0);
        assert!(!budget.try_acquire(at(20), ActionKind::New));
        assert!(budget.try_acquire(at(100), ActionKind::New));
    }

    #[test]
    fn uncounted_cancels_are_never_refused_nor_recorded() {
        let mut budget = OrderRateBudget::new(OrderRateLimits { count_cancels: false, ..limits(100, 2, 50) });
        // Without counted cancels there is no reserve: both actions go to new orders.
        assert!(budget.try_acquire(at(0), ActionKind::New));
        assert!(budget.try_acquire(at(0), ActionKind::New));
        assert!(!budget.try_acquire(at(0), ActionKind::New));
        for _ in 0..1_000 {
            assert!(budget.try_acquire(at(1), ActionKind::Cancel));
        }
        assert_eq!(budget.available(at(1), ActionKind::Cancel), usize::MAX);
        assert_eq!(budget.used(at(1)), [2, 0]);
        assert_eq!(budget.granted(ActionKind::Cancel), 1_000);
    }

    #[test]
    fn counted_cancels_use_the_reserve_that_orders_may_not() {
        // 10 per second with a 30 % reserve: 7 for orders, all 10 for cancels.
        let mut budget = OrderRateBudget::new(limits(1_000, 10, 30));
        for _ in 0..7 {
            assert!(budget.try_acquire(at(0), ActionKind::New));
        }
        assert!(!budget.try_acquire(at(0), ActionKind::New));
        for _ in 0..3 {
            assert!(budget.try_acquire(at(0), ActionKind::Cancel));
        }
        assert!(!budget.try_acquire(at(0), ActionKind::Cancel));
        // Cancels first do not reserve anything for orders: they may fill the window.
        let mut budget = OrderRateBudget::new(limits(1_000, 10, 30));
        for _ in 0..10 {
            assert!(budget.try_acquire(at(0), ActionKind::Cancel));
        }
        assert_eq!(budget.available(at(0), ActionKind::New), 0);
    }

    #[test]
    fn a_clock_going_back_is_taken_as_the_latest_time() {
        let mut budget = OrderRateBudget::new(limits(100, 1, 0));
        assert!(budget.try_acquire(at(50), ActionKind::New));
        // At "0 ms" (taken as 50 ms) the window is still full; at 150 ms it is free.
        assert!(!budget.try_acquire(at(0), ActionKind::New));
        assert!(budget.try_acquire(at(150), ActionKind::New));
    }

    #[test]
    fn the_ring_wraps_around() {
        // Many windows' worth of actions through a ring of 4.
        let mut budget = OrderRateBudget::new(limits(10, 4, 0));
        let mut granted = 0;
        for ms in 0..1_000 {
            granted += usize::from(budget.try_acquire(at(ms), ActionKind::New));
            granted += usize::from(budget.try_acquire(at(ms), ActionKind::New));
        }
        // Four per 10 ms over 1 s.
        assert_eq!(granted, 400);
    }

    #[test]
    fn each_bad_field_is_named() {
        let window = |window_ms, max_orders| Some(RateWindow { window: at(window_ms), max_orders });
        let base = limits(1_000, 10, 0);
        let cases = [
            ("rate.windows", OrderRateLimits { windows: [None, None], ..base }),
            ("rate.windows", OrderRateLimits { windows: [None, window(10, 1)], ..base }),
            ("rate.windows[0].window_ms", OrderRateLimits { windows: [window(0, 1), None], ..base }),
            ("rate.windows[1].max_orders", OrderRateLimits { windows: [window(1, 1), window(1, 0)], ..base }),
            ("rate.windows[0].max_orders", OrderRateLimits { windows: [window(1, 2_000_000), None], ..base }),
            ("rate.cancel_reserve_pct", OrderRateLimits { cancel_reserve_pct: 100, ..base }),
            // 90 % of 2, rounded up, leaves nothing to new orders.
            ("rate.windows[0].max_orders", OrderRateLimits { cancel_reserve_pct: 90, ..limits(1, 2, 0) }),
        ];
        for (field, limits) in cases {
            let error = limits.validate().unwrap_err();
            assert_eq!(error.field(), field, "{error}");
            assert!(error.to_string().contains(field), "{error}");
        }
    }

    #[test]
    #[should_panic(expected = "OrderRateBudget::new: risk limits: rate.cancel_reserve_pct = 100")]
    fn invalid_limits_are_a_construction_bug() {
        let _ =
            OrderRateBudget::new(OrderRateLimits { cancel_reserve_pct: 100, ..OrderRateLimits::default() });
    }
}
