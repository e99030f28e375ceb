//! [`RiskGate`]: the pre-trade check every order intent goes through.
//!
//! - [`RiskGate`]: holds the [`RiskLimits`], follows the feed's health from events
//!   ([`RiskGate::on_event`]), checks intents ([`RiskGate::check`]) and owns the kill switch.
//! - [`MarketContext`]: what the engine knows at the time of a check that the gate does not
//!   follow itself: whether its book is trusted, the event time, the fair value, the position.
//! - [`Verdict`]: [`Approve`](Verdict::Approve) with an [`Approved`] intent, or
//!   [`Reject`](Verdict::Reject) with the [`Reason`].
//!
//! One gate guards one instrument: feed it that instrument's events, and check that
//! instrument's intents. The order-rate budget and the cascade detector (NORMAL → WARNING →
//! CASCADE → COOLDOWN) will sit beside these checks and throw the same kill switch.

use crate::intent::{Approved, OrderIntent};
use crate::limits::{BPS, RiskLimits};
use crate::reason::Reason;
use feeds::{ClearReason, Event, EventKind, FeedCondition, Lots, Nanos};

/// What the engine knows at the time of a check.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MarketContext {
    /// Whether the engine's book is trusted ([`OrderBook::is_trusted`](feeds::OrderBook::is_trusted)).
    pub book_trusted: bool,
    /// The current event time (exchange time of the latest event), for the staleness check.
    pub now: Nanos,
    /// Fair value in ticks, for the price band. Must be finite and positive or every order is
    /// rejected with [`Reason::PriceBand`].
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

/// The feed's health as the gate follows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FeedHealth {
    /// No gap outstanding.
    Healthy,
    /// A gap or reconnect was reported; waiting for a snapshot.
    Gap,
    /// A snapshot is loading after a gap: its clear has been seen, its last level not yet.
    Reloading,
}

/// Pre-trade checks, the feed-health guard and the kill switch, for one instrument.
///
/// Allocates nothing after construction; every method is a few comparisons.
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
    /// Latest exchange time of a book level, clear or best bid/offer; `None` before the first.
    last_book_update: Option<Nanos>,
    feed: FeedHealth,
    /// Why the kill switch was thrown, while it is latched.
    killed: Option<Reason>,
    /// Rejections per reason, indexed by [`Reason::index`].
    rejections: [u64; Reason::COUNT],
    approvals: u64,
}

impl RiskGate {
    /// A gate enforcing `limits`, with a healthy feed, no book update seen yet and the kill
    /// switch open.
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
            last_book_update: None,
            feed: FeedHealth::Healthy,
            killed: None,
            rejections: [0; Reason::COUNT],
            approvals: 0,
        }
    }

    /// Follows one event of the instrument.
    ///
    /// - A book level, clear or best bid/offer: its exchange time is the latest book update
    ///   (the latest seen: the venue's streams arrive slightly out of time order).
    /// - A [`FeedCondition::Gap`] or [`FeedCondition::Reconnected`]: a gap is outstanding, and
    ///   stays so until a snapshot has loaded (a snapshot clear, then a snapshot level marked
    ///   last), the same rule that makes the book trusted again. An abandoned book while
    ///   reloading puts the gap back.
    #[inline]
    pub fn on_event(&mut self, event: &Event) {
        match event.kind() {
            EventKind::BookLevel(level) => {
                self.note_book_update(event.exchange_time);
                if level.last && level.snapshot && self.feed == FeedHealth::Reloading {
                    self.feed = FeedHealth::Healthy;
                }
            }
            EventKind::BookClear(clear) => {
                self.note_book_update(event.exchange_time);
                if self.feed != FeedHealth::Healthy {
                    self.feed = match (clear.reason, clear.last) {
                        (ClearReason::Snapshot, true) => FeedHealth::Healthy,
                        (ClearReason::Snapshot, false) => FeedHealth::Reloading,
                        (ClearReason::Abandoned, _) => FeedHealth::Gap,
                    };
                }
            }
            EventKind::Bbo(_) => self.note_book_update(event.exchange_time),
            EventKind::FeedStatus(status) => match status.condition {
                FeedCondition::Gap | FeedCondition::Reconnected => self.feed = FeedHealth::Gap,
                // A resync follows a gap already noted; staleness is measured here, by time.
                FeedCondition::Resync | FeedCondition::Stale => {}
            },
            EventKind::Trade(_)
            | EventKind::Liquidation(_)
            | EventKind::MarkPrice(_)
            | EventKind::OpenInterest(_)
            | EventKind::FrameEnd(_) => {}
        }
    }

    #[inline]
    fn note_book_update(&mut self, time: Nanos) {
        if self.last_book_update.is_none_or(|last| time > last) {
            self.last_book_update = Some(time);
        }
    }

    /// Checks one intent, in this order, and rejects with the first reason that applies:
    /// 1. [`Reason::Killed`]: the kill switch is latched.
    /// 2. [`Reason::FeedGap`]: a gap is outstanding (see [`RiskGate::on_event`]).
    /// 3. [`Reason::BookUntrusted`]: `market.book_trusted` is false.
    /// 4. [`Reason::BookStale`]: no book update seen yet, or `market.now` is more than
    ///    `max_book_age` after the last one.
    /// 5. [`Reason::OrderSize`]: `qty` is not positive or exceeds `max_order_qty`.
    /// 6. [`Reason::PositionLimit`]: a full fill would leave |position| above `max_position`,
    ///    unless the order reduces |position| (so an over-limit position can be worked down).
    /// 7. [`Reason::PriceBand`]: the price is not positive, the fair value is not finite and
    ///    positive, or |price − fair value| exceeds `price_band_bps` of the fair value.
    ///
    /// Otherwise approves. Every verdict is counted.
    pub fn check(&mut self, intent: OrderIntent, market: &MarketContext) -> Verdict {
        match self.first_failure(&intent, market) {
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
        if self.killed.is_some() {
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
        if intent.qty.0 <= 0 || intent.qty > limits.max_order_qty {
            return Some(Reason::OrderSize);
        }
        let before = i128::from(market.position.0).abs();
        let after =
            (i128::from(market.position.0) + i128::from(intent.side.sign()) * i128::from(intent.qty.0)).abs();
        if after > i128::from(limits.max_position.0) && after >= before {
            return Some(Reason::PositionLimit);
        }
        let fair = market.fair_value;
        let in_band = intent.price.0 > 0
            && fair.is_finite()
            && fair > 0.0
            && (intent.price.0 as f64 - fair).abs() <= fair * limits.price_band_bps / BPS;
        if !in_band {
            return Some(Reason::PriceBand);
        }
        None
    }

    /// Throws the kill switch: every check is rejected with [`Reason::Killed`] until
    /// [`RiskGate::reset`]. Latched: a second kill keeps the first reason.
    pub fn kill(&mut self, reason: Reason) {
        if self.killed.is_none() {
            self.killed = Some(reason);
        }
    }

    /// Opens the kill switch again. Feed health, book times and counters are untouched.
    pub fn reset(&mut self) {
        self.killed = None;
    }

    /// True while the kill switch is latched.
    #[inline]
    pub fn is_killed(&self) -> bool {
        self.killed.is_some()
    }

    /// Why the kill switch was thrown, while it is latched.
    #[inline]
    pub fn kill_reason(&self) -> Option<Reason> {
        self.killed
    }

    /// True while a feed gap is outstanding (reported and not yet healed by a snapshot).
    #[inline]
    pub fn gap_outstanding(&self) -> bool {
        self.feed != FeedHealth::Healthy
    }

    /// Exchange time of the latest book update seen; `None` before the first.
    #[inline]
    pub fn last_book_update(&self) -> Option<Nanos> {
        self.last_book_update
    }

    /// Rejections so far, per reason, in [`Reason::ALL`] order.
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

#[cfg(test)]
mod tests {
    use super::*;
    use feeds::{Bbo, BookClear, BookLevel, FeedStatus, InstrumentId, Seq, Side, Ticks};

    const MS: i64 = Nanos::PER_MILLI;

    fn event(time_ms: i64, kind: EventKind) -> Event {
        Event::new(Nanos(time_ms * MS), Nanos(time_ms * MS), Seq(1), InstrumentId(0), kind)
    }

    fn bbo(time_ms: i64) -> Event {
        event(
            time_ms,
            EventKind::Bbo(Bbo { bid: Ticks(999), bid_qty: Lots(1), ask: Ticks(1001), ask_qty: Lots(1) }),
        )
    }

    fn status(time_ms: i64, condition: FeedCondition) -> Event {
        event(time_ms, EventKind::FeedStatus(FeedStatus { condition, expected: Seq(1), received: Seq(2) }))
    }

    fn clear(time_ms: i64, reason: ClearReason, last: bool) -> Event {
        event(time_ms, EventKind::BookClear(BookClear { reason, last }))
    }

    fn level(time_ms: i64, last: bool, snapshot: bool) -> Event {
        event(
            time_ms,
            EventKind::BookLevel(BookLevel {
                side: Side::Bid,
                price: Ticks(999),
                qty: Lots(1),
                last,
                snapshot,
            }),
        )
    }

    /// Limits of 10 lots position, 5 per order, 100 bps band, 1 s of book age.
    fn gate() -> RiskGate {
        let mut gate = RiskGate::new(RiskLimits {
            max_position: Lots(10),
            max_order_qty: Lots(5),
            price_band_bps: 100.0,
            max_book_age: Nanos(1000 * MS),
        });
        gate.on_event(&bbo(0));
        gate
    }

    fn buy(price: i64, qty: i64) -> OrderIntent {
        OrderIntent { instrument: InstrumentId(0), side: Side::Bid, price: Ticks(price), qty: Lots(qty) }
    }

    fn sell(price: i64, qty: i64) -> OrderIntent {
        OrderIntent { side: Side::Ask, ..buy(price, qty) }
    }

    /// Trusted book, 0.5 s after the last book update, fair value 1000, flat.
    fn market() -> MarketContext {
        MarketContext { book_trusted: true, now: Nanos(500 * MS), fair_value: 1000.0, position: Lots(0) }
    }

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
    fn a_stale_book_is_refused() {
        let mut gate = gate();
        // Last update at 0 ms; 1000 ms later is still fresh (the limit is inclusive), 1001 not.
        let at = |ms| MarketContext { now: Nanos(ms * MS), ..market() };
        assert!(gate.check(buy(999, 1), &at(1000)).is_approved());
        assert_eq!(gate.check(buy(999, 1), &at(1001)).reason(), Some(Reason::BookStale));
        // A ticker at 900 ms refreshes it.
        gate.on_event(&bbo(900));
        assert!(gate.check(buy(999, 1), &at(1001)).is_approved());
        // An older ticker arriving late does not move the time back.
        gate.on_event(&bbo(100));
        assert_eq!(gate.last_book_update(), Some(Nanos(900 * MS)));
        // Before any book update at all, the book is stale.
        let mut fresh = RiskGate::new(RiskLimits::default());
        assert_eq!(fresh.check(buy(999, 1), &market()).reason(), Some(Reason::BookStale));
    }

    #[test]
    fn a_gap_is_refused_until_a_snapshot_has_loaded() {
        let mut gate = gate();
        gate.on_event(&status(10, FeedCondition::Gap));
        assert!(gate.gap_outstanding());
        // Even with the engine's book still reporting trusted, the gap comes first.
        assert_eq!(gate.check(buy(999, 1), &market()).reason(), Some(Reason::FeedGap));
        // Diffs keep coming (complete updates, not snapshots): still a gap.
        gate.on_event(&level(20, true, false));
        assert_eq!(gate.check(buy(999, 1), &market()).reason(), Some(Reason::FeedGap));
        // A snapshot starts loading: still a gap until its last level.
        gate.on_event(&clear(30, ClearReason::Snapshot, false));
        gate.on_event(&level(30, false, true));
        assert_eq!(gate.check(buy(999, 1), &market()).reason(), Some(Reason::FeedGap));
        gate.on_event(&level(30, true, true));
        assert!(!gate.gap_outstanding());
        assert!(gate.check(buy(999, 1), &market()).is_approved());
    }

    #[test]
    fn a_reconnect_counts_as_a_gap_and_an_abandoned_reload_keeps_it() {
        let mut gate = gate();
        gate.on_event(&status(10, FeedCondition::Reconnected));
        gate.on_event(&clear(20, ClearReason::Snapshot, false));
        gate.on_event(&clear(30, ClearReason::Abandoned, true));
        // A stray last snapshot level without a fresh snapshot clear does not heal it.
        gate.on_event(&level(40, true, true));
        assert_eq!(gate.check(buy(999, 1), &market()).reason(), Some(Reason::FeedGap));
        // An empty snapshot (a clear carrying `last`) does.
        gate.on_event(&clear(50, ClearReason::Snapshot, true));
        assert!(gate.check(buy(999, 1), &market()).is_approved());
        // Stale and resync notices alone change nothing.
        gate.on_event(&status(60, FeedCondition::Stale));
        gate.on_event(&status(60, FeedCondition::Resync));
        assert!(!gate.gap_outstanding());
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
    fn the_kill_switch_latches_until_reset() {
        let mut gate = gate();
        gate.kill(Reason::BookStale);
        gate.kill(Reason::PositionLimit);
        assert!(gate.is_killed());
        assert_eq!(gate.kill_reason(), Some(Reason::BookStale));
        // Killed outranks everything, even a sound intent in a sound market, and stays.
        for _ in 0..3 {
            assert_eq!(gate.check(buy(999, 1), &market()), Verdict::Reject(Reason::Killed));
        }
        // Events do not reopen it; only reset does.
        gate.on_event(&clear(10, ClearReason::Snapshot, true));
        assert!(gate.is_killed());
        gate.reset();
        assert!(!gate.is_killed());
        assert!(gate.check(buy(999, 1), &market()).is_approved());
    }

    #[test]
    fn every_verdict_is_counted_by_reason() {
        let mut gate = gate();
        gate.check(buy(999, 1), &market());
        gate.check(buy(999, 9), &market());
        gate.check(buy(999, 9), &market());
        gate.check(buy(900, 1), &market());
        assert_eq!(gate.approvals(), 1);
        assert_eq!(gate.rejected(Reason::OrderSize), 2);
        let counts = gate.rejections();
        assert_eq!(counts.map(|(reason, _)| reason), Reason::ALL);
        assert_eq!(counts.iter().map(|(_, count)| count).sum::<u64>(), 3);
        assert_eq!(counts[Reason::PriceBand.index()], (Reason::PriceBand, 1));
    }

    #[test]
    #[should_panic(expected = "RiskGate::new: risk limits: max_order_qty = 0")]
    fn invalid_limits_are_a_construction_bug() {
        let _ = RiskGate::new(RiskLimits { max_order_qty: Lots(0), ..RiskLimits::default() });
    }
}
