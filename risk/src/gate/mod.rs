//! [`RiskGate`]: the pre-trade check every order intent goes through, the stale-data guard and
//! the kill switch.
//!
//! - [`RiskGate`]: holds the [`RiskLimits`]; follows the feed's health and timing from events
//!   ([`RiskGate::on_event`]) and a timer ([`RiskGate::on_time`]), the session's PnL
//!   ([`RiskGate::on_pnl`]) and our open orders ([`RiskGate::on_open_orders`]); checks intents
//!   ([`RiskGate::check`], and [`RiskGate::check_exit`] for reduce-only exits); owns the kill
//!   switch.
//! - [`MarketContext`]: what the engine knows at the time of a check that the gate does not
//!   follow itself: whether its book is trusted, the event time, the fair value, the position.
//! - [`Verdict`]: [`Approve`](Verdict::Approve) with an [`Approved`] intent, or
//!   [`Reject`](Verdict::Reject) with the [`Reason`].
//! - [`KillEvent`]: when and why the kill switch was thrown.
//! - [`LotValue`]: what one lot is worth in quote currency, for the notional limit.
//!
//! One gate guards one instrument: feed it that instrument's events, and check that
//! instrument's intents. The order-rate budget ([`OrderRateBudget`](crate::OrderRateBudget))
//! is per account and sits beside the gates; the cascade detector's kill option is wired by the
//! engine, through [`RiskGate::kill`] with [`Reason::Cascade`].
//!
//! # Two clocks
//! Book staleness is judged by **exchange time** (the events' `exchange_time`, and
//! [`MarketContext::now`]): a quiet book is one the exchange has not changed. Silence, the
//! stale-data kill timer and the kill events the gate throws itself run on the **local clock**:
//! the events' `receive_time` and the times given to [`RiskGate::on_time`], which must come
//! from the same clock as the feed's receive stamps (in replay, the recording's).
//!
//! Lag compares the two. Clocks are never in sync (the BTCUSDT recording's local clock runs
//! about 1.27 s behind the exchange's, so its raw `receive − exchange` is about −1.27 s), so the
//! gate keeps a baseline, the minimum latency over the last `lag_window`, which is the clock
//! offset plus the best network latency of that window, and flags lag when the latest event's
//! latency exceeds it by more than `max_lag`. Why the trailing minimum: the offset is unknown
//! and drifts slowly, latency noise is one-sided (a frame is never early), so the minimum
//! estimates the offset without a synchronised clock; a latency rise that lasts longer than the
//! window becomes the new baseline, which is why the window is long (minutes) and why staleness
//! that lasts `kill_after_stale` kills first.

mod health;
mod kill;
mod lag;
mod lot_value;
#[cfg(test)]
mod test_support;

pub use kill::KillEvent;
pub use lot_value::LotValue;

use crate::intent::{Approved, OrderIntent};
use crate::limits::{BPS, RiskLimits};
use crate::reason::Reason;
use feeds::{Instrument, Lots, Nanos};
use health::FeedHealth;
use lag::LagBaseline;

/// What the engine knows at the time of a check.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MarketContext {
    /// Whether the engine's book is trusted ([`OrderBook::is_trusted`](feeds::OrderBook::is_trusted)).
    pub book_trusted: bool,
    /// The current event time (exchange time of the latest event), for the staleness check.
    pub now: Nanos,
    /// Fair value in ticks, for the price band and the notional limit. Must be finite and
    /// positive or every order is rejected with [`Reason::PriceBand`].
    pub fair_value: f64,
    /// Current position in lots (positive long), before the order.
    pub position: Lots,
}

/// The gate's answer for one intent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The intent passed every check.
    Approve(Approved<OrderIntent>),
    /// The first check the intent failed.
    Reject(Reason),
}

impl Verdict {
    /// True for [`Verdict::Approve`].
    #[inline]
    pub fn is_approved(&self) -> bool {
        matches!(self, Verdict::Approve(_))
    }

    /// The rejection reason; `None` if approved.
    #[inline]
    pub fn reason(&self) -> Option<Reason> {
        match self {
            Verdict::Approve(_) => None,
            Verdict::Reject(reason) => Some(*reason),
        }
    }

    /// The approved intent; `None` if rejected.
    #[inline]
    pub fn approved(self) -> Option<Approved<OrderIntent>> {
        match self {
            Verdict::Approve(approved) => Some(approved),
            Verdict::Reject(_) => None,
        }
    }
}

/// Pre-trade checks, the stale-data guard and the kill switch, for one instrument.
///
/// Allocates nothing, ever; every method is a few comparisons.
///
/// ```
/// # use feeds::{InstrumentId, Lots, Nanos, Side, Ticks};
/// # use risk::{MarketContext, OrderIntent, Reason, RiskGate, RiskLimits, Verdict};
/// let mut gate = RiskGate::new(RiskLimits::default());
/// let intent =
///     OrderIntent { instrument: InstrumentId(0), side: Side::Bid, price: Ticks(618_000), qty: Lots(1) };
/// let market =
///     MarketContext { book_trusted: false, now: Nanos(0), fair_value: 618_001.0, position: Lots(0) };
/// assert_eq!(gate.check(intent, &market), Verdict::Reject(Reason::BookUntrusted));
/// ```
#[derive(Clone, Debug)]
pub struct RiskGate {
    limits: RiskLimits,
    /// For the notional limit; `None` (gate built with [`RiskGate::new`] alone) skips it.
    lot_value: Option<LotValue>,
    /// Latest exchange time of a book level, clear or best bid/offer; `None` before the first.
    last_book_update: Option<Nanos>,
    /// Latest exchange time of any market-data event; `None` before the first.
    exchange_now: Option<Nanos>,
    feed: FeedHealth,
    /// Latest local time seen: receive times and [`RiskGate::on_time`]; `None` before either.
    local_now: Option<Nanos>,
    /// Latest receive time of any event; `None` before the first. `≤ local_now`.
    last_receive: Option<Nanos>,
    lag: LagBaseline,
    /// Excess latency of the latest sample over the baseline; `None` before the first.
    lag_excess: Option<i64>,
    /// Local time since which the data has been unhealthy without a healthy moment; `None`
    /// while healthy (or killed).
    unhealthy_since: Option<Nanos>,
    /// Our orders open on the instrument, as the engine last said.
    open_orders: usize,
    /// Latest session PnL and its peak (never below zero, the session's start).
    pnl: Option<f64>,
    peak_pnl: f64,
    /// The kill event that latched the switch, while it is latched.
    kill: Option<KillEvent>,
    /// Kill triggers since construction (see [`RiskGate::kill_count`]).
    kills: u64,
    /// Rejections per reason, indexed by [`Reason::index`].
    rejections: [u64; Reason::COUNT],
    approvals: u64,
}

impl RiskGate {
    /// A gate enforcing `limits`, with a healthy feed, no event seen yet, no open orders, a
    /// flat session and the kill switch open. Without a [`LotValue`]
    /// ([`RiskGate::with_lot_value`], or [`RiskGate::for_instrument`]) it cannot value a position
    /// and skips the notional limit.
    ///
    /// # Panics
    /// If `limits` do not [validate](RiskLimits::validate): validate them when the config is
    /// read, and report the error there.
    pub fn new(limits: RiskLimits) -> RiskGate {
        if let Err(error) = limits.validate() {
            panic!("RiskGate::new: {error}");
        }
        RiskGate {
            limits,
            lot_value: None,
            last_book_update: None,
            exchange_now: None,
            feed: FeedHealth::Healthy,
            local_now: None,
            last_receive: None,
            lag: LagBaseline::new(limits.lag_window),
            lag_excess: None,
            unhealthy_since: None,
            open_orders: 0,
            pnl: None,
            peak_pnl: 0.0,
            kill: None,
            kills: 0,
            rejections: [0; Reason::COUNT],
            approvals: 0,
        }
    }

    /// A gate for `instrument`: [`RiskGate::new`] with the instrument's [`LotValue`], so that
    /// every limit, the notional one included, is enforced.
    ///
    /// # Panics
    /// As [`RiskGate::new`] and [`RiskGate::with_lot_value`].
    pub fn for_instrument(limits: RiskLimits, instrument: &Instrument) -> RiskGate {
        RiskGate::new(limits).with_lot_value(LotValue::of(instrument))
    }

    /// Values positions with `value`, enabling the notional limit.
    ///
    /// # Panics
    /// If the value is not finite and positive (a construction bug).
    pub fn with_lot_value(mut self, value: LotValue) -> RiskGate {
        assert!(value.is_valid(), "RiskGate::with_lot_value: {value:?} is not finite and positive");
        self.lot_value = Some(value);
        self
    }

    /// Tells the gate how many of our orders are open on the instrument: resting, and sent but
    /// not yet acknowledged or cancelled. Call it whenever the count changes (or before each
    /// round of checks); [`Reason::OpenOrders`] refuses intents while it is at
    /// `max_open_orders` or more.
    #[inline]
    pub fn on_open_orders(&mut self, open_orders: usize) {
        self.open_orders = open_orders;
    }

    /// Checks one intent, in this order, and rejects with the first reason that applies:
    /// 1. [`Reason::Killed`]: the kill switch is latched.
    /// 2. [`Reason::FeedGap`]: a gap is outstanding (see [`RiskGate::on_event`]).
    /// 3. [`Reason::BookUntrusted`]: `market.book_trusted` is false.
    /// 4. [`Reason::BookStale`]: no book update seen yet, or `market.now` is more than
    ///    `max_book_age` after the last one.
    /// 5. [`Reason::FeedLag`]: the latest pushed event's latency exceeds the baseline by more
    ///    than `max_lag`.
    /// 6. [`Reason::FeedSilent`]: the local clock is more than `max_silence` past the latest
    ///    receive time (it moves only with events and [`RiskGate::on_time`]).
    /// 7. [`Reason::OrderSize`]: `qty` is not positive or exceeds `max_order_qty`.
    /// 8. [`Reason::OpenOrders`]: `max_open_orders` or more of our orders are open (the gate
    ///    cannot tell a new order from a replace, so a replace at the limit is refused too).
    /// 9. [`Reason::PositionLimit`]: a full fill would leave |position| above `max_position`,
    ///    unless the order reduces |position| (so an over-limit position can be worked down).
    /// 10. [`Reason::PriceBand`]: the price is not positive, the fair value is not finite and
    ///     positive, or |price − fair value| exceeds `price_band_bps` of the fair value.
    /// 11. [`Reason::NotionalLimit`]: a full fill would leave a position worth more than
    ///     `max_position_notional` at the fair value, unless the order reduces |position|.
    ///     Skipped by a gate without a [`LotValue`].
    ///
    /// Otherwise approves. Every verdict is counted. A check changes no state but the counters:
    /// time moves only with [`on_event`](RiskGate::on_event) and [`on_time`](RiskGate::on_time).
    pub fn check(&mut self, intent: OrderIntent, market: &MarketContext) -> Verdict {
        let verdict = self.first_failure(&intent, market);
        self.count(intent, verdict)
    }

    /// Checks a reduce-only exit: an order that brings the position towards zero without
    /// crossing it, as the engine sends to flatten after a kill when `flatten` is set. Rejects
    /// with the first reason that applies:
    /// 1. [`Reason::Killed`]: the kill switch is latched and `flatten` is off.
    /// 2. [`Reason::OrderSize`] and 3. [`Reason::OpenOrders`], as in [`RiskGate::check`].
    /// 4. [`Reason::PositionLimit`]: the order does not reduce |position| or would cross zero.
    /// 5. [`Reason::PriceBand`], as in [`RiskGate::check`].
    ///
    /// The data checks are skipped on purpose: an exit only takes risk off, it is a limit
    /// order inside the price band around the engine's last fair value, and a stale feed is
    /// one of the reasons to flatten.
    pub fn check_exit(&mut self, intent: OrderIntent, market: &MarketContext) -> Verdict {
        let verdict = self.first_exit_failure(&intent, market);
        self.count(intent, verdict)
    }

    #[inline]
    fn count(&mut self, intent: OrderIntent, failure: Option<Reason>) -> Verdict {
        match failure {
            Some(reason) => {
                self.rejections[reason.index()] += 1;
                Verdict::Reject(reason)
            }
            None => {
                self.approvals += 1;
                Verdict::Approve(Approved::new(intent))
            }
        }
    }

    #[inline]
    fn first_failure(&self, intent: &OrderIntent, market: &MarketContext) -> Option<Reason> {
        let limits = &self.limits;
        if self.kill.is_some() {
            return Some(Reason::Killed);
        }
        if self.feed != FeedHealth::Healthy {
            return Some(Reason::FeedGap);
        }
        if !market.book_trusted {
            return Some(Reason::BookUntrusted);
        }
        let stale = self
            .last_book_update
            .is_none_or(|last| market.now.saturating_since(last) > limits.max_book_age.0);
        if stale {
            return Some(Reason::BookStale);
        }
        if self.lag_excess.is_some_and(|excess| excess > limits.max_lag.0) {
            return Some(Reason::FeedLag);
        }
        if let (Some(last), Some(now)) = (self.last_receive, self.local_now)
            && now.saturating_since(last) > limits.max_silence.0
        {
            return Some(Reason::FeedSilent);
        }
        if let Some(reason) = self.order_failure(intent) {
            return Some(reason);
        }
        let (before, after) = positions(intent, market);
        let reduces = after < before;
        if after > i128::from(limits.max_position.0) && !reduces {
            return Some(Reason::PositionLimit);
        }
        if !in_band(intent, market, limits.price_band_bps) {
            return Some(Reason::PriceBand);
        }
        if let Some(value) = self.lot_value
            && value.notional(after as f64, market.fair_value) > limits.max_position_notional
            && !reduces
        {
            return Some(Reason::NotionalLimit);
        }
        None
    }

    #[inline]
    fn first_exit_failure(&self, intent: &OrderIntent, market: &MarketContext) -> Option<Reason> {
        if self.kill.is_some() && !self.limits.flatten {
            return Some(Reason::Killed);
        }
        if let Some(reason) = self.order_failure(intent) {
            return Some(reason);
        }
        // Reduce-only: the order's signed size is against the position and no larger.
        let position = i128::from(market.position.0);
        let signed = i128::from(intent.side.sign()) * i128::from(intent.qty.0);
        let reduces_only =
            position != 0 && signed.signum() == -position.signum() && signed.abs() <= position.abs();
        if !reduces_only {
            return Some(Reason::PositionLimit);
        }
        if !in_band(intent, market, self.limits.price_band_bps) {
            return Some(Reason::PriceBand);
        }
        None
    }

    /// The checks on the order itself, shared by entries and exits: size, open orders.
    #[inline]
    fn order_failure(&self, intent: &OrderIntent) -> Option<Reason> {
        if intent.qty.0 <= 0 || intent.qty > self.limits.max_order_qty {
            return Some(Reason::OrderSize);
        }
        if self.open_orders >= self.limits.max_open_orders as usize {
            return Some(Reason::OpenOrders);
        }
        None
    }

    /// Our open orders, as last reported.
    #[inline]
    pub fn open_orders(&self) -> usize {
        self.open_orders
    }

    /// The lot value used for the notional limit; `None` if it is skipped.
    #[inline]
    pub fn lot_value(&self) -> Option<LotValue> {
        self.lot_value
    }

    /// Rejections so far, per reason, in [`Reason::ALL`] order (the kill-only reasons stay 0).
    pub fn rejections(&self) -> [(Reason, u64); Reason::COUNT] {
        Reason::ALL.map(|reason| (reason, self.rejections[reason.index()]))
    }

    /// Rejections so far with `reason`.
    #[inline]
    pub fn rejected(&self, reason: Reason) -> u64 {
        self.rejections[reason.index()]
    }

    /// Approvals so far.
    #[inline]
    pub fn approvals(&self) -> u64 {
        self.approvals
    }

    /// The limits enforced.
    #[inline]
    pub fn limits(&self) -> &RiskLimits {
        &self.limits
    }
}

/// |position| before and after a full fill of `intent`, widened so that nothing overflows.
#[inline]
fn positions(intent: &OrderIntent, market: &MarketContext) -> (i128, i128) {
    let position = i128::from(market.position.0);
    let after = position + i128::from(intent.side.sign()) * i128::from(intent.qty.0);
    (position.abs(), after.abs())
}

/// The price band: a positive price within `band_bps` of a finite, positive fair value.
#[inline]
fn in_band(intent: &OrderIntent, market: &MarketContext, band_bps: f64) -> bool {
    let fair = market.fair_value;
    intent.price.0 > 0
        && fair.is_finite()
        && fair > 0.0
        && (intent.price.0 as f64 - fair).abs() <= fair * band_bps / BPS
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn a_sound_intent_is_approved_and_carried_through() {
        let mut gate = gate();
        let verdict = gate.check(buy(999, 5), &market());
        assert_eq!(verdict.approved().map(|approved| *approved.get()), Some(buy(999, 5)));
        assert_eq!(verdict.approved().map(Approved::into_inner), Some(buy(999, 5)));
        assert_eq!(gate.approvals(), 1);
    }

    #[test]
    fn an_untrusted_book_is_refused() {
        let mut gate = gate();
        let market = MarketContext { book_trusted: false, ..market() };
        assert_eq!(gate.check(buy(999, 1), &market), Verdict::Reject(Reason::BookUntrusted));
    }

    #[test]
    fn open_orders_at_the_limit_refuse_every_intent() {
        let mut gate = gate();
        assert_eq!(gate.limits().max_open_orders, 4);
        gate.on_open_orders(3);
        assert!(gate.check(buy(999, 1), &market()).is_approved());
        gate.on_open_orders(4);
        assert_eq!(gate.open_orders(), 4);
        assert_eq!(gate.check(buy(999, 1), &market()).reason(), Some(Reason::OpenOrders));
        // The order's own size is judged first.
        assert_eq!(gate.check(buy(999, 9), &market()).reason(), Some(Reason::OrderSize));
        gate.on_open_orders(0);
        assert!(gate.check(sell(1001, 1), &market()).is_approved());
    }

    #[test]
    fn order_sizes_outside_one_to_max_are_refused() {
        let mut gate = gate();
        for qty in [0, -1, 6] {
            assert_eq!(gate.check(buy(999, qty), &market()).reason(), Some(Reason::OrderSize), "{qty}");
        }
        assert!(gate.check(buy(999, 5), &market()).is_approved());
    }

    #[test]
    fn the_position_limit_holds_but_can_be_worked_down() {
        let mut gate = gate();
        let at = |position| MarketContext { position: Lots(position), ..market() };
        // Long 6: buying 4 ends at 10 (allowed), buying 5 at 11 (refused).
        assert!(gate.check(buy(999, 4), &at(6)).is_approved());
        assert_eq!(gate.check(buy(999, 5), &at(6)).reason(), Some(Reason::PositionLimit));
        // Short 8: selling 3 ends at −11.
        assert_eq!(gate.check(sell(1001, 3), &at(-8)).reason(), Some(Reason::PositionLimit));
        // Long 14 (over the limit already): selling 2 reduces it to 12, allowed; buying is not.
        assert!(gate.check(sell(1001, 2), &at(14)).is_approved());
        assert_eq!(gate.check(buy(999, 1), &at(14)).reason(), Some(Reason::PositionLimit));
        // Long 3: selling 5 flips to short 2, within the limit.
        assert!(gate.check(sell(1001, 5), &at(3)).is_approved());
        // Absurd positions do not overflow.
        assert_eq!(gate.check(buy(999, 5), &at(i64::MAX)).reason(), Some(Reason::PositionLimit));
    }

    #[test]
    fn prices_outside_the_band_are_refused() {
        let mut gate = gate();
        // 100 bps of 1000 ticks is 10 ticks: 990 and 1010 are in, 989 and 1011 out.
        assert!(gate.check(buy(990, 1), &market()).is_approved());
        assert!(gate.check(sell(1010, 1), &market()).is_approved());
        assert_eq!(gate.check(buy(989, 1), &market()).reason(), Some(Reason::PriceBand));
        assert_eq!(gate.check(sell(1011, 1), &market()).reason(), Some(Reason::PriceBand));
        // A non-positive price, or a fair value that is not usable.
        assert_eq!(gate.check(buy(0, 1), &market()).reason(), Some(Reason::PriceBand));
        for fair_value in [f64::NAN, f64::INFINITY, 0.0, -1000.0] {
            let market = MarketContext { fair_value, ..market() };
            assert_eq!(gate.check(buy(999, 1), &market).reason(), Some(Reason::PriceBand), "{fair_value}");
        }
    }

    #[test]
    fn exits_pass_a_kill_only_when_flattening_and_only_if_they_reduce() {
        let long = |position| MarketContext { position: Lots(position), ..market() };
        // Without `flatten`, a kill stops exits too.
        let mut gate = gate();
        gate.kill(Reason::Manual);
        assert!(!gate.should_flatten());
        assert_eq!(gate.check_exit(sell(1001, 1), &long(3)).reason(), Some(Reason::Killed));

        let mut gate = gate_with(RiskLimits { flatten: true, ..limits() });
        gate.kill(Reason::Drawdown);
        assert!(gate.should_flatten());
        // Long 3: selling 1 to 3 reduces; selling 4 would cross to short; buying adds.
        assert!(gate.check_exit(sell(1001, 3), &long(3)).is_approved());
        assert_eq!(gate.check_exit(sell(1001, 4), &long(3)).reason(), Some(Reason::PositionLimit));
        assert_eq!(gate.check_exit(buy(999, 1), &long(3)).reason(), Some(Reason::PositionLimit));
        assert_eq!(gate.check_exit(buy(999, 1), &long(0)).reason(), Some(Reason::PositionLimit));
        // Short 2: buying 2 closes it.
        assert!(gate.check_exit(buy(999, 2), &long(-2)).is_approved());
        // Size and band still hold; the data checks do not apply (an untrusted, stale book).
        assert_eq!(gate.check_exit(sell(1001, 6), &long(9)).reason(), Some(Reason::OrderSize));
        assert_eq!(gate.check_exit(sell(1_100, 1), &long(3)).reason(), Some(Reason::PriceBand));
        let blind = MarketContext { book_trusted: false, now: Nanos(60_000 * MS), ..long(3) };
        assert!(gate.check_exit(sell(1001, 1), &blind).is_approved());
        // The regular check stays shut.
        assert_eq!(gate.check(sell(1001, 1), &long(3)).reason(), Some(Reason::Killed));
        // Not killed: exits are judged the same way.
        gate.reset();
        assert!(!gate.should_flatten());
        assert!(gate.check_exit(sell(1001, 1), &long(3)).is_approved());
    }

    #[test]
    fn every_verdict_is_counted_by_reason() {
        let mut gate = gate();
        gate.check(buy(999, 1), &market());
        gate.check(buy(999, 9), &market());
        gate.check(buy(999, 9), &market());
        gate.check(buy(900, 1), &market());
        gate.check_exit(buy(999, 1), &market());
        assert_eq!(gate.approvals(), 1);
        assert_eq!(gate.rejected(Reason::OrderSize), 2);
        let counts = gate.rejections();
        assert_eq!(counts.map(|(reason, _)| reason), Reason::ALL);
        assert_eq!(counts.iter().map(|(_, count)| count).sum::<u64>(), 4);
        assert_eq!(counts[Reason::PriceBand.index()], (Reason::PriceBand, 1));
        assert_eq!(counts[Reason::PositionLimit.index()], (Reason::PositionLimit, 1));
    }

    #[test]
    #[should_panic(expected = "RiskGate::new: risk limits: max_order_qty = 0")]
    fn invalid_limits_are_a_construction_bug() {
        let _ = RiskGate::new(RiskLimits { max_order_qty: Lots(0), ..RiskLimits::default() });
    }
}
