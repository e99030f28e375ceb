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

use crate::intent::{Approved, OrderIntent};
use crate::limits::{BPS, RiskLimits};
use crate::reason::Reason;
use feeds::{ClearReason, ContractKind, Event, EventKind, FeedCondition, Instrument, Lots, Nanos};

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

/// When and why the kill switch was thrown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KillEvent {
    /// When: the time given to [`RiskGate::kill_at`] or [`RiskGate::on_pnl`]; for a stale-data
    /// kill, and for [`RiskGate::kill`], the gate's local clock (the latest receive time or
    /// [`on_time`](RiskGate::on_time); zero before either).
    pub time: Nanos,
    /// Why: [`Reason::Manual`], [`Reason::MaxLoss`], [`Reason::Drawdown`],
    /// [`Reason::Cascade`], or the data fault that lasted (see [`Reason`]).
    pub reason: Reason,
}

/// What one lot of the instrument is worth in quote currency, for `max_position_notional`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LotValue {
    /// A linear contract (USDT-M): a position of `n` lots at a price of `p` ticks is worth
    /// `n × p × quote_per_lot_tick` (tick size × lot size × contract size; BTCUSDT:
    /// 0.1 × 0.001 = 0.0001 USDT).
    Linear {
        /// Quote currency per lot per tick. Finite and positive.
        quote_per_lot_tick: f64,
    },
    /// An inverse contract (COIN-M): each lot is a fixed quote value whatever the price
    /// (lot size × contract size; BTCUSD_PERP: 1 × 100 USD).
    Inverse {
        /// Quote currency per lot. Finite and positive.
        quote_per_lot: f64,
    },
}

impl LotValue {
    /// The value of one lot of `instrument`, from its tick, lot and contract size.
    pub fn of(instrument: &Instrument) -> LotValue {
        // The contract size is a decimal at the edge; f64 is what the notional check needs.
        let contract_size = instrument.contract_size.to_string().parse::<f64>().unwrap_or(f64::NAN);
        let per_lot = instrument.lot.to_f64() * contract_size;
        match instrument.kind {
            ContractKind::Linear => {
                LotValue::Linear { quote_per_lot_tick: per_lot * instrument.tick.to_f64() }
            }
            ContractKind::Inverse => LotValue::Inverse { quote_per_lot: per_lot },
        }
    }

    /// Quote-currency value of `lots` (absolute) at a fair value of `fair_value` ticks.
    #[inline]
    pub fn notional(self, lots: f64, fair_value: f64) -> f64 {
        match self {
            LotValue::Linear { quote_per_lot_tick } => lots * fair_value * quote_per_lot_tick,
            LotValue::Inverse { quote_per_lot } => lots * quote_per_lot,
        }
    }

    fn is_valid(self) -> bool {
        let value = match self {
            LotValue::Linear { quote_per_lot_tick } => quote_per_lot_tick,
            LotValue::Inverse { quote_per_lot } => quote_per_lot,
        };
        value.is_finite() && value > 0.0
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

/// Buckets of the latency baseline's window.
const LAG_BUCKETS: usize = 16;

/// The trailing minimum of latency samples over a window, in [`LAG_BUCKETS`] buckets of local
/// time: each bucket keeps its samples' minimum, and the minimum of the buckets covers the last
/// 15 to 16 bucket lengths, the window to within a sixteenth. Fixed size, constant time per
/// sample (a bucket change rescans 16 values). Why buckets rather than the exact monotonic
/// deque: the deque needs room for every sample of the window, unbounded at a feed's rate.
#[derive(Clone, Debug)]
struct LagBaseline {
    /// Local nanoseconds per bucket, positive.
    bucket_len: i64,
    /// Minimum latency per bucket, by bucket number modulo [`LAG_BUCKETS`]; `i64::MAX` if empty.
    minima: [i64; LAG_BUCKETS],
    /// Bucket number (local time / `bucket_len`) of the latest sample; `None` before the first.
    current: Option<i64>,
    /// Minimum of `minima`.
    minimum: i64,
}

impl LagBaseline {
    fn new(window: Nanos) -> LagBaseline {
        LagBaseline {
            bucket_len: (window.0 / LAG_BUCKETS as i64).max(1),
            minima: [i64::MAX; LAG_BUCKETS],
            current: None,
            minimum: i64::MAX,
        }
    }

    /// Adds a sample `latency` taken at local time `now` (non-decreasing across calls) and
    /// returns its excess over the baseline (`≥ 0`).
    #[inline]
    fn sample(&mut self, now: Nanos, latency: i64) -> i64 {
        let bucket = now.0.div_euclid(self.bucket_len);
        let slot = |bucket: i64| bucket.rem_euclid(LAG_BUCKETS as i64) as usize;
        match self.current {
            Some(current) if bucket <= current => {}
            current => {
                // Empty the buckets the window has moved past (all of them after a long pause).
                let first =
                    current.map_or(bucket, |current| (current + 1).max(bucket - LAG_BUCKETS as i64 + 1));
                for passed in first..=bucket {
                    self.minima[slot(passed)] = i64::MAX;
                }
                self.minimum = self.minima.iter().copied().min().unwrap_or(i64::MAX);
                self.current = Some(bucket);
            }
        }
        let kept = &mut self.minima[slot(self.current.unwrap_or(bucket))];
        *kept = (*kept).min(latency);
        self.minimum = self.minimum.min(latency);
        latency.saturating_sub(self.minimum)
    }

    /// The baseline, `None` before the first sample.
    fn baseline(&self) -> Option<i64> {
        (self.minimum != i64::MAX).then_some(self.minimum)
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

    /// Follows one event of the instrument.
    ///
    /// - Any event: its receive time is the latest sign of life (for silence) and moves the
    ///   local clock.
    /// - A market-data event (book, best bid/offer, trade, liquidation, mark price, open
    ///   interest): its exchange time moves the gate's exchange clock (the latest seen: the
    ///   venue's streams arrive slightly out of time order).
    /// - A book level, clear or best bid/offer: its exchange time is the latest book update.
    /// - A pushed event (a diff level, best bid/offer, trade, liquidation, mark price): its
    ///   latency `receive − exchange` is a lag sample. Snapshots (requested, and late by their
    ///   request's round trip), open interest (polled), feed statuses and frame ends are not.
    /// - A [`FeedCondition::Gap`] or [`FeedCondition::Reconnected`]: a gap is outstanding, and
    ///   stays so until a snapshot has loaded (a snapshot clear, then a snapshot level marked
    ///   last), the same rule that makes the book trusted again. An abandoned book while
    ///   reloading puts the gap back.
    ///
    /// Then, if the data is unhealthy (see [`RiskGate::data_fault`]) and has been so for more
    /// than `kill_after_stale` of local time, the kill switch is thrown with that fault.
    #[inline]
    pub fn on_event(&mut self, event: &Event) {
        let receive = event.receive_time;
        self.last_receive = Some(self.last_receive.map_or(receive, |last| last.max(receive)));
        let local_now = self.advance_local(receive);
        let (market_data, pushed) = match event.kind() {
            EventKind::BookLevel(level) => {
                self.note_book_update(event.exchange_time);
                if level.last && level.snapshot && self.feed == FeedHealth::Reloading {
                    self.feed = FeedHealth::Healthy;
                }
                (true, !level.snapshot)
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
                (true, false)
            }
            EventKind::Bbo(_) => {
                self.note_book_update(event.exchange_time);
                (true, true)
            }
            EventKind::Trade(_) | EventKind::Liquidation(_) | EventKind::MarkPrice(_) => (true, true),
            EventKind::OpenInterest(_) => (true, false),
            EventKind::FeedStatus(status) => {
                match status.condition {
                    FeedCondition::Gap | FeedCondition::Reconnected => self.feed = FeedHealth::Gap,
                    // A resync follows a gap already noted; staleness is measured here, by time.
                    FeedCondition::Resync | FeedCondition::Stale => {}
                }
                (false, false)
            }
            EventKind::FrameEnd(_) => (false, false),
        };
        if market_data {
            let time = event.exchange_time;
            self.exchange_now = Some(self.exchange_now.map_or(time, |now| now.max(time)));
        }
        if pushed {
            let latency = receive.saturating_since(event.exchange_time);
            self.lag_excess = Some(self.lag.sample(local_now, latency));
        }
        self.watch_staleness();
    }

    /// Moves the local clock to `local_now` (a timer's tick, from the clock that stamps the
    /// feed's receive times; an earlier time than the latest seen changes nothing), then
    /// checks for staleness as [`RiskGate::on_event`] does. Without events this is what
    /// notices a silent feed: call it from the engine's idle loop or a timer, more often than
    /// `max_silence`.
    #[inline]
    pub fn on_time(&mut self, local_now: Nanos) {
        self.advance_local(local_now);
        self.watch_staleness();
    }

    /// Follows the session's PnL, in quote currency (realised plus marked-to-market, fees
    /// included, zero at the session's start), computed at `now`. Throws the kill switch, at
    /// `now`, with [`Reason::MaxLoss`] if the PnL is below `−max_loss` or is not a number (the
    /// book keeping is broken: we cannot see our loss), else with [`Reason::Drawdown`] if it is
    /// more than `max_drawdown` below the session's peak (the highest PnL reported, never below
    /// zero). The peak is kept across [`RiskGate::reset`]: a reset while still beyond a limit
    /// is killed again at the next report.
    pub fn on_pnl(&mut self, now: Nanos, pnl: f64) {
        self.pnl = Some(pnl);
        if !pnl.is_finite() {
            self.trigger(now, Reason::MaxLoss);
            return;
        }
        self.peak_pnl = self.peak_pnl.max(pnl);
        if pnl < -self.limits.max_loss {
            self.trigger(now, Reason::MaxLoss);
        } else if self.peak_pnl - pnl > self.limits.max_drawdown {
            self.trigger(now, Reason::Drawdown);
        }
    }

    /// Tells the gate how many of our orders are open on the instrument: resting, and sent but
    /// not yet acknowledged or cancelled. Call it whenever the count changes (or before each
    /// round of checks); [`Reason::OpenOrders`] refuses intents while it is at
    /// `max_open_orders` or more.
    #[inline]
    pub fn on_open_orders(&mut self, open_orders: usize) {
        self.open_orders = open_orders;
    }

    #[inline]
    fn note_book_update(&mut self, time: Nanos) {
        if self.last_book_update.is_none_or(|last| time > last) {
            self.last_book_update = Some(time);
        }
    }

    #[inline]
    fn advance_local(&mut self, time: Nanos) -> Nanos {
        let now = self.local_now.map_or(time, |now| now.max(time));
        self.local_now = Some(now);
        now
    }

    /// Starts, keeps or stops the unhealthy timer at the local clock, and kills when it has run
    /// for more than `kill_after_stale`.
    #[inline]
    fn watch_staleness(&mut self) {
        let Some(now) = self.local_now else { return };
        if self.kill.is_some() {
            self.unhealthy_since = None;
            return;
        }
        match self.data_fault() {
            None => self.unhealthy_since = None,
            Some(fault) => {
                let since = *self.unhealthy_since.get_or_insert(now);
                if now.saturating_since(since) > self.limits.kill_after_stale.0 {
                    self.trigger(now, fault);
                }
            }
        }
    }

    /// What the gate itself sees wrong with the market data right now, by its own clocks, in
    /// check order: a gap outstanding ([`Reason::FeedGap`]), a book older than
    /// `max_book_age` by the latest exchange time seen ([`Reason::BookStale`]), lag
    /// ([`Reason::FeedLag`]), silence ([`Reason::FeedSilent`]). `None` when healthy, and before
    /// the first book update and the first event (a feed that never started is not stale; the
    /// checks refuse it anyway).
    ///
    /// For the engine's timer: when this is `Some`, pull the quotes; no intent would pass.
    pub fn data_fault(&self) -> Option<Reason> {
        let limits = &self.limits;
        if self.feed != FeedHealth::Healthy {
            return Some(Reason::FeedGap);
        }
        if let (Some(last), Some(now)) = (self.last_book_update, self.exchange_now)
            && now.saturating_since(last) > limits.max_book_age.0
        {
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
        None
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

    /// Throws the kill switch by hand, at the gate's local clock: every [`check`](RiskGate::check)
    /// is rejected with [`Reason::Killed`] until [`RiskGate::reset`]. Latched: a second kill
    /// keeps the first event (and is counted). Use [`Reason::Manual`] for an operator's kill
    /// and [`Reason::Cascade`] for the cascade detector's.
    pub fn kill(&mut self, reason: Reason) {
        let now = self.local_now.unwrap_or(Nanos::ZERO);
        self.kill_at(now, reason);
    }

    /// [`RiskGate::kill`] at a given time.
    pub fn kill_at(&mut self, time: Nanos, reason: Reason) {
        self.kills += 1;
        if self.kill.is_none() {
            self.kill = Some(KillEvent { time, reason });
            self.unhealthy_since = None;
        }
    }

    /// An automatic trigger: throws the switch if it is open. Once latched, automatic
    /// conditions are not counted again (they would count on every event).
    #[inline]
    fn trigger(&mut self, time: Nanos, reason: Reason) {
        if self.kill.is_none() {
            self.kill_at(time, reason);
        }
    }

    /// Opens the kill switch again and restarts the unhealthy timer. Feed health, clocks, the
    /// PnL peak and the counters are untouched, so a condition that still holds throws it again
    /// at its next evaluation (a loss at the next PnL, stale data after `kill_after_stale`).
    pub fn reset(&mut self) {
        self.kill = None;
        self.unhealthy_since = None;
    }

    /// True while the kill switch is latched.
    #[inline]
    pub fn is_killed(&self) -> bool {
        self.kill.is_some()
    }

    /// Why the kill switch was thrown, while it is latched.
    #[inline]
    pub fn kill_reason(&self) -> Option<Reason> {
        self.kill.map(|kill| kill.reason)
    }

    /// The event that latched the kill switch (the first trigger since the last reset), while it
    /// is latched.
    #[inline]
    pub fn kill_event(&self) -> Option<KillEvent> {
        self.kill
    }

    /// Kill triggers since construction: every [`kill`](RiskGate::kill) and
    /// [`kill_at`](RiskGate::kill_at), latched or not, and every automatic trigger (loss,
    /// drawdown, stale data) that threw an open switch.
    #[inline]
    pub fn kill_count(&self) -> u64 {
        self.kills
    }

    /// True while the switch is latched and the limits ask to flatten: the engine should, after
    /// cancelling everything, work the position down with exits checked by
    /// [`RiskGate::check_exit`].
    #[inline]
    pub fn should_flatten(&self) -> bool {
        self.kill.is_some() && self.limits.flatten
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

    /// The local clock: the latest receive time or [`on_time`](RiskGate::on_time); `None`
    /// before either.
    #[inline]
    pub fn local_now(&self) -> Option<Nanos> {
        self.local_now
    }

    /// The latency baseline (`receive − exchange`, the clock offset plus the best network
    /// latency of the window), in nanoseconds; `None` before the first sample.
    #[inline]
    pub fn lag_baseline(&self) -> Option<Nanos> {
        self.lag.baseline().map(Nanos)
    }

    /// The latest sample's latency above the baseline; `None` before the first sample.
    #[inline]
    pub fn lag_excess(&self) -> Option<Nanos> {
        self.lag_excess.map(Nanos)
    }

    /// The latest session PnL reported, and the session's peak (never below zero).
    #[inline]
    pub fn pnl(&self) -> (Option<f64>, f64) {
        (self.pnl, self.peak_pnl)
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
    use super::*;
    use feeds::{Bbo, BookClear, BookLevel, FeedStatus, InstrumentId, Instruments, Seq, Side, Ticks, Trade};

    const MS: i64 = Nanos::PER_MILLI;

    /// An event at `time_ms`, received at the same time.
    fn event(time_ms: i64, kind: EventKind) -> Event {
        received(time_ms, time_ms, kind)
    }

    /// An event the exchange stamped at `exchange_ms` and we received at `receive_ms`.
    fn received(exchange_ms: i64, receive_ms: i64, kind: EventKind) -> Event {
        Event::new(Nanos(exchange_ms * MS), Nanos(receive_ms * MS), Seq(1), InstrumentId(0), kind)
    }

    const BBO: EventKind =
        EventKind::Bbo(Bbo { bid: Ticks(999), bid_qty: Lots(1), ask: Ticks(1001), ask_qty: Lots(1) });

    fn bbo(time_ms: i64) -> Event {
        event(time_ms, BBO)
    }

    fn trade(exchange_ms: i64, receive_ms: i64) -> Event {
        let trade = Trade {
            price: Ticks(1000),
            qty: Lots(1),
            aggressor: Side::Bid,
            aggregated: false,
            forced: false,
        };
        received(exchange_ms, receive_ms, EventKind::Trade(trade))
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

    /// Limits of 10 lots position, 5 per order, 100 bps band, 1 s of book age; the rest default
    /// (250 ms of lag, 1 s of silence, kill after 10 s of stale data, 4 open orders).
    fn limits() -> RiskLimits {
        RiskLimits {
            max_position: Lots(10),
            max_order_qty: Lots(5),
            price_band_bps: 100.0,
            max_book_age: Nanos(1000 * MS),
            ..RiskLimits::default()
        }
    }

    /// A gate with [`limits`] that has seen a best bid/offer at 0 ms.
    fn gate() -> RiskGate {
        gate_with(limits())
    }

    fn gate_with(limits: RiskLimits) -> RiskGate {
        let mut gate = RiskGate::new(limits);
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
        assert_eq!(gate.data_fault(), Some(Reason::FeedGap));
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
        assert_eq!(gate.data_fault(), None);
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
    fn lag_is_measured_against_the_trailing_minimum_not_the_clocks() {
        // Our clock runs 1.27 s behind the exchange's, as in the BTCUSDT recording: raw
        // latencies are about -1.27 s. Latency 5 ms, then 3 ms (the baseline), then 8 ms.
        let mut gate = RiskGate::new(limits());
        let offset = -1_270;
        for (ms, latency) in [(0, 5), (10, 3), (20, 8)] {
            gate.on_event(&received(ms, ms + offset + latency, BBO));
        }
        assert_eq!(gate.lag_baseline(), Some(Nanos((offset + 3) * MS)));
        assert_eq!(gate.lag_excess(), Some(Nanos(5 * MS)));
        let market = MarketContext { now: Nanos(20 * MS), ..market() };
        assert!(gate.check(buy(999, 1), &market).is_approved());
        // A trade 253 ms late (250 above the baseline) is still fine; 254 ms is lag.
        gate.on_event(&trade(30, 30 + offset + 253));
        assert!(gate.check(buy(999, 1), &market).is_approved());
        gate.on_event(&trade(31, 31 + offset + 254));
        assert_eq!(gate.data_fault(), Some(Reason::FeedLag));
        assert_eq!(gate.check(buy(999, 1), &market).reason(), Some(Reason::FeedLag));
        // The next event on time clears it: lag is judged on the latest sample.
        gate.on_event(&received(40, 40 + offset + 4, BBO));
        assert_eq!(gate.check(buy(999, 1), &market).reason(), None);
        // Snapshot levels (requested, late by a round trip), feed statuses and open interest
        // are not samples.
        gate.on_event(&received(
            50,
            50 + offset + 900,
            EventKind::BookLevel(BookLevel {
                side: Side::Bid,
                price: Ticks(999),
                qty: Lots(1),
                last: false,
                snapshot: true,
            }),
        ));
        gate.on_event(&received(
            50,
            50 + offset + 900,
            EventKind::OpenInterest(feeds::OpenInterest { qty: Lots(5) }),
        ));
        assert_eq!(gate.lag_excess(), Some(Nanos(MS)));
    }

    #[test]
    fn a_lasting_rise_in_latency_becomes_the_baseline_after_the_window() {
        // A 1.6 s window (buckets of 100 ms): latency rises from 0 to 400 ms for good.
        let mut gate = RiskGate::new(RiskLimits { lag_window: Nanos(1_600 * MS), ..limits() });
        gate.on_event(&received(0, 0, BBO));
        let mut flagged_until = None;
        for ms in (100..4_000).step_by(50) {
            gate.on_event(&received(ms - 400, ms, BBO));
            if gate.data_fault() == Some(Reason::FeedLag) {
                flagged_until = Some(ms);
            }
        }
        // Flagged while the 0 ms sample is in the window (15 to 16 buckets back), then not.
        let flagged_until = flagged_until.unwrap();
        assert!((1_500..1_600).contains(&flagged_until), "{flagged_until}");
        assert_eq!(gate.lag_baseline(), Some(Nanos(400 * MS)));
    }

    #[test]
    fn the_baseline_forgets_everything_after_a_long_pause() {
        let mut baseline = LagBaseline::new(Nanos(1_600 * MS));
        assert_eq!(baseline.baseline(), None);
        assert_eq!(baseline.sample(Nanos(0), -5), 0);
        assert_eq!(baseline.sample(Nanos(50 * MS), 7), 12);
        // Within the window the minimum holds; long after it, the first new sample is alone.
        assert_eq!(baseline.sample(Nanos(1_400 * MS), 0), 5);
        assert_eq!(baseline.sample(Nanos(100_000 * MS), 9), 0);
        assert_eq!(baseline.baseline(), Some(9));
    }

    #[test]
    fn silence_is_noticed_by_the_timer() {
        let mut gate = gate();
        // 1 s after the last event is still fine (inclusive), 1 ms more is a missed heartbeat.
        gate.on_time(Nanos(1_000 * MS));
        assert_eq!(gate.data_fault(), None);
        assert!(gate.check(buy(999, 1), &market()).is_approved());
        gate.on_time(Nanos(1_001 * MS));
        assert_eq!(gate.data_fault(), Some(Reason::FeedSilent));
        assert_eq!(gate.check(buy(999, 1), &market()).reason(), Some(Reason::FeedSilent));
        // A timer running late (an earlier time) does not move the clock back.
        gate.on_time(Nanos(10 * MS));
        assert_eq!(gate.local_now(), Some(Nanos(1_001 * MS)));
        // Any event is a sign of life, even one that changes nothing.
        gate.on_event(&status(1_002, FeedCondition::Resync));
        assert_eq!(gate.check(buy(999, 1), &market()).reason(), None);
    }

    #[test]
    fn data_stale_for_longer_than_the_limit_kills() {
        let mut gate = gate_with(RiskLimits { kill_after_stale: Nanos(2_000 * MS), ..limits() });
        // Silent from 1 001 ms on (first seen at the 1 100 ms tick); the timer starts there and
        // kills when more than 2 s have passed.
        for ms in (100..=3_100).step_by(100) {
            gate.on_time(Nanos(ms * MS));
            assert!(!gate.is_killed(), "{ms}");
        }
        gate.on_time(Nanos(3_101 * MS));
        assert_eq!(
            gate.kill_event(),
            Some(KillEvent { time: Nanos(3_101 * MS), reason: Reason::FeedSilent })
        );
        assert_eq!(gate.kill_count(), 1);
        assert_eq!(gate.check(buy(999, 1), &market()).reason(), Some(Reason::Killed));
        // Once killed, further staleness is not counted again; the feed coming back does not
        // reopen the switch.
        gate.on_time(Nanos(9_000 * MS));
        gate.on_event(&bbo(9_001));
        assert_eq!(gate.kill_count(), 1);
        assert!(gate.is_killed());
        gate.reset();
        assert!(gate.check(buy(999, 1), &MarketContext { now: Nanos(9_001 * MS), ..market() }).is_approved());
    }

    #[test]
    fn a_healthy_moment_restarts_the_stale_timer() {
        let mut gate = gate_with(RiskLimits { kill_after_stale: Nanos(2_000 * MS), ..limits() });
        // Silences of 1.5 s between events, each over the 1 s limit, but the data is healthy
        // again at each event: 20 s of it never kills.
        for second in 1..=20 {
            let ms = second * 1_500;
            gate.on_time(Nanos((ms - 1) * MS));
            assert_eq!(gate.data_fault(), Some(Reason::FeedSilent));
            gate.on_event(&bbo(ms));
            assert_eq!(gate.data_fault(), None);
        }
        assert!(!gate.is_killed());
    }

    #[test]
    fn a_book_that_stops_while_trades_flow_is_stale_and_then_killed() {
        let mut gate = gate_with(RiskLimits { kill_after_stale: Nanos(3_000 * MS), ..limits() });
        // Trades every 100 ms, no book update after 0 ms: stale from the trade at 1 100 ms
        // (1 000 ms after it is still fresh), killed more than 3 s later.
        let mut killed_at = None;
        for ms in (100..=6_000).step_by(100) {
            gate.on_event(&trade(ms, ms));
            if ms == 1_000 {
                assert_eq!(gate.data_fault(), None);
            }
            if ms == 1_100 {
                assert_eq!(gate.data_fault(), Some(Reason::BookStale));
            }
            if gate.is_killed() && killed_at.is_none() {
                killed_at = Some(ms);
            }
        }
        assert_eq!(killed_at, Some(4_200));
        assert_eq!(gate.kill_reason(), Some(Reason::BookStale));
    }

    #[test]
    fn a_gap_that_does_not_heal_kills() {
        let mut gate = gate();
        gate.on_event(&status(10, FeedCondition::Gap));
        for ms in (20..=10_010).step_by(10) {
            gate.on_event(&level(ms, true, false));
        }
        assert!(!gate.is_killed());
        gate.on_event(&level(10_011, true, false));
        assert_eq!(gate.kill_event(), Some(KillEvent { time: Nanos(10_011 * MS), reason: Reason::FeedGap }));
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
    fn the_notional_limit_values_the_position_at_the_fair_value() {
        // BTCUSDT from the workspace's instrument table: 0.1 × 0.001 = 0.0001 USDT per lot-tick.
        let instruments = Instruments::from_toml(include_str!("../../configs/instruments.toml")).unwrap();
        let btcusdt = instruments.get(InstrumentId(0)).unwrap();
        assert_eq!(btcusdt.symbol, "BTCUSDT");
        let LotValue::Linear { quote_per_lot_tick } = LotValue::of(btcusdt) else { panic!("linear") };
        assert!((quote_per_lot_tick - 0.0001).abs() < 1e-15);
        // 10 000 USDT of notional allowed, position limit out of the way.
        let limits = RiskLimits {
            max_position: Lots(1_000),
            max_order_qty: Lots(100),
            max_position_notional: 10_000.0,
            ..limits()
        };
        let mut gate = RiskGate::for_instrument(limits, btcusdt);
        gate.on_event(&bbo(0));
        // At 62 000.0 USDT (620 000 ticks) a lot is 62 USDT: 161 lots is 9 982, 162 is 10 044.
        let at = |position| MarketContext { fair_value: 620_000.0, position: Lots(position), ..market() };
        assert!(gate.check(buy(620_000, 100), &at(61)).is_approved());
        assert_eq!(gate.check(buy(620_000, 100), &at(62)).reason(), Some(Reason::NotionalLimit));
        assert_eq!(gate.check(sell(620_000, 100), &at(-62)).reason(), Some(Reason::NotionalLimit));
        // Reducing is always allowed, even far over the limit.
        assert!(gate.check(sell(620_000, 100), &at(500)).is_approved());
        // The same gate without a lot value skips the check.
        let mut unvalued = RiskGate::new(limits);
        unvalued.on_event(&bbo(0));
        assert!(unvalued.check(buy(620_000, 100), &at(62)).is_approved());
    }

    #[test]
    fn an_inverse_lot_is_worth_its_contract_whatever_the_price() {
        let value = LotValue::Inverse { quote_per_lot: 100.0 };
        assert_eq!(value.notional(3.0, 620_000.0), 300.0);
        assert_eq!(value.notional(3.0, 1.0), 300.0);
        let mut gate =
            gate_with(RiskLimits { max_position_notional: 500.0, ..limits() }).with_lot_value(value);
        assert!(gate.check(buy(999, 5), &market()).is_approved());
        assert_eq!(
            gate.check(buy(999, 5), &MarketContext { position: Lots(1), ..market() }).reason(),
            Some(Reason::NotionalLimit)
        );
    }

    #[test]
    #[should_panic(expected = "RiskGate::with_lot_value")]
    fn a_lot_value_that_is_not_positive_is_a_construction_bug() {
        let _ = gate().with_lot_value(LotValue::Linear { quote_per_lot_tick: 0.0 });
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
        gate.kill(Reason::Manual);
        gate.kill(Reason::Cascade);
        assert!(gate.is_killed());
        assert_eq!(gate.kill_reason(), Some(Reason::Manual));
        // A manual kill is stamped with the gate's local clock (the best bid/offer at 0 ms).
        assert_eq!(gate.kill_event(), Some(KillEvent { time: Nanos(0), reason: Reason::Manual }));
        assert_eq!(gate.kill_count(), 2);
        // Killed outranks everything, even a sound intent in a sound market, and stays.
        for _ in 0..3 {
            assert_eq!(gate.check(buy(999, 1), &market()), Verdict::Reject(Reason::Killed));
        }
        // Events do not reopen it; only reset does.
        gate.on_event(&clear(10, ClearReason::Snapshot, true));
        assert!(gate.is_killed());
        gate.reset();
        assert!(!gate.is_killed());
        assert_eq!(gate.kill_event(), None);
        assert!(gate.check(buy(999, 1), &market()).is_approved());
        // The next kill is latched afresh, at the time given.
        gate.kill_at(Nanos(77), Reason::Cascade);
        assert_eq!(gate.kill_event(), Some(KillEvent { time: Nanos(77), reason: Reason::Cascade }));
        assert_eq!(gate.kill_count(), 3);
    }

    #[test]
    fn a_session_loss_or_drawdown_kills() {
        // Limits: lose at most 100, give back at most 150 from the peak.
        let mut gate = self::gate();
        gate.on_pnl(Nanos(1), -100.0);
        assert!(!gate.is_killed());
        gate.on_pnl(Nanos(2), -100.5);
        assert_eq!(gate.kill_event(), Some(KillEvent { time: Nanos(2), reason: Reason::MaxLoss }));
        // Still beyond the limit after a reset: killed again at the next report.
        gate.reset();
        gate.on_pnl(Nanos(3), -101.0);
        assert_eq!(gate.kill_event(), Some(KillEvent { time: Nanos(3), reason: Reason::MaxLoss }));
        assert_eq!(gate.kill_count(), 2);

        // Up 300, then back to 150 (a drawdown of exactly 150): fine; to 149.9: killed, though
        // the session is still in profit.
        let mut gate = self::gate();
        for (time, pnl) in [(1, 50.0), (2, 300.0), (3, 200.0), (4, 150.0)] {
            gate.on_pnl(Nanos(time), pnl);
        }
        assert!(!gate.is_killed());
        assert_eq!(gate.pnl(), (Some(150.0), 300.0));
        gate.on_pnl(Nanos(5), 149.9);
        assert_eq!(gate.kill_reason(), Some(Reason::Drawdown));

        // A PnL that is not a number: the book keeping is broken, kill.
        let mut gate = self::gate();
        gate.on_pnl(Nanos(1), f64::NAN);
        assert_eq!(gate.kill_reason(), Some(Reason::MaxLoss));
        // The peak never starts below zero: a session that only lost is judged by max_loss
        // first, then by the drawdown from zero.
        let mut gate = gate_with(RiskLimits { max_loss: 500.0, max_drawdown: 150.0, ..limits() });
        gate.on_pnl(Nanos(1), -150.0);
        assert!(!gate.is_killed());
        gate.on_pnl(Nanos(2), -151.0);
        assert_eq!(gate.kill_reason(), Some(Reason::Drawdown));
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
