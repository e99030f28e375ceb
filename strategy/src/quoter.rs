//! [`Quoter`]: signals → spread policy → fair value → quotes, for one instrument.
//!
//! The quoter owns a [`SignalEngine`] and one implementation of each role ([`FairValue`],
//! [`SpreadPolicy`]), as type parameters so every call is statically dispatched and inlined.
//! [`ConfiguredQuoter`] is the combination a [`StrategyConfig`] selects ([`FairValueKind`] and
//! [`AnyPolicy`]).
//!
//! Lifecycle: build once with [`Quoter::new`] or [`ConfiguredQuoter::from_config`]; give it
//! every event of its instrument with [`Quoter::on_event`] (after applying the event to the
//! book); ask for [`Quoter::quote`] whenever the engine may act, typically when a book update
//! completes; [`Quoter::decision`] and [`Quoter::explain`] say why the last quote is where it
//! is.
//!
//! Quote construction, in order:
//! 1. Nothing ([`Quotes::NONE`]) unless the book is trusted, has both sides and is not crossed,
//!    and the microprice is known.
//! 2. The policy's [`SpreadTerms`](crate::SpreadTerms), computed around the microprice: half-spread per side and
//!    the inventory skew. Nothing if any is not finite.
//! 3. Each half-spread times the risk state's spread multiplier ([`RiskAdjust`]), then clipped
//!    to `[floor, cap]`: floor = `maker_fee_bps` of the microprice + `min_half_spread_ticks`
//!    (never below half a tick, so a bid and an ask cannot meet), cap = `max_half_spread_bps`.
//! 4. The fair value, given the smaller half-spread (the LFWM lean is capped at it), and the
//!    centre = fair value − skew.
//! 5. Rounding away from the centre: bid = ⌊centre − bid half⌋, ask = ⌈centre + ask half⌉.
//! 6. Unless `allow_cross`: bid ≤ best ask − 1, ask ≥ best bid + 1, so neither quote would
//!    take liquidity from the book the quote was computed against.
//! 7. Sizes: `order_qty` times the risk state's size multiplier (rounded down to whole lots,
//!    at least one lot unless the multiplier is 0),
//!    cut so a full fill keeps |inventory| ≤ `max_inventory`; a side with nothing left (or a
//!    non-positive price) is dropped.

use crate::config::{BPS, StrategyConfig};
use crate::explain::{Decision, Explanation, QuoteOutcome};
use crate::fair_value::{FairValue, FairValueKind};
use crate::policy::AnyPolicy;
use crate::quote::{QuoteLevel, Quotes, round_ask_up, round_bid_down};
use crate::scale::Scale;
use crate::signals::{SignalEngine, Signals, TopOfBook};
use crate::spread_policy::{PolicyInput, SpreadPolicy};
use feeds::{Event, Lots, Nanos, OrderBook, Side, Step, Ticks};

/// The smallest half-spread the quoter ever uses, in ticks.
const MIN_HALF_SPREAD_TICKS: f64 = 0.5;

/// What the risk state asks of the quotes: how much wider, and how much smaller.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct RiskAdjust {
    /// Multiplies both half-spreads; at least 1 (WARNING and COOLDOWN widen).
    pub spread_multiplier: f64,
    /// Multiplies the quote size, in `[0, 1]` (0 quotes nothing).
    pub size_multiplier: f64,
}

impl RiskAdjust {
    /// A calm state: no widening, full size.
    pub const CALM: RiskAdjust = RiskAdjust { spread_multiplier: 1.0, size_multiplier: 1.0 };
}

impl Default for RiskAdjust {
    fn default() -> RiskAdjust {
        RiskAdjust::CALM
    }
}

/// Composes signals → spread policy → fair value → quote construction for one instrument.
/// Generic over the roles (static dispatch).
///
/// ```
/// # use feeds::{BookClear, BookLevel, ClearReason, Event, EventKind, InstrumentId, Lots, Nanos,
/// #     OrderBook, Seq, Side, Step, Ticks};
/// # use strategy::{ConfiguredQuoter, PolicyKind, QuoteLevel, RiskAdjust, StrategyConfig};
/// # let event = |kind| Event::new(Nanos(1), Nanos(1), Seq(7), InstrumentId(0), kind);
/// # let level = |side, price, qty, last| {
/// #     event(EventKind::BookLevel(BookLevel {
/// #         side, price: Ticks(price), qty: Lots(qty), last, snapshot: true,
/// #     }))
/// # };
/// let mut config = StrategyConfig {
///     policy: PolicyKind::Fixed,
///     maker_fee_bps: 0.0,
///     min_half_spread_ticks: 2.0,
///     ..Default::default()
/// };
/// config.fixed.half_spread_bps = 0.0;
/// let mut quoter = ConfiguredQuoter::from_config(config, Step::decimal_places(1), Step::decimal_places(3));
/// let mut book = OrderBook::with_capacity(16);
/// for event in [
///     event(EventKind::BookClear(BookClear { reason: ClearReason::Snapshot, last: false })),
///     level(Side::Bid, 618_000, 5, false),
///     level(Side::Ask, 618_010, 5, true),
/// ] {
///     book.apply(&event)?;
///     quoter.on_event(&event, &book);
/// }
/// // Equal queues: fair value is the mid, 618 005; two ticks either side.
/// let quotes = quoter.quote(&book, Lots(0), RiskAdjust::CALM);
/// assert_eq!(quotes.bid, Some(QuoteLevel { price: Ticks(618_003), qty: Lots(1) }));
/// assert_eq!(quotes.ask, Some(QuoteLevel { price: Ticks(618_007), qty: Lots(1) }));
/// # Ok::<(), feeds::book::BookError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Quoter<Fair: FairValue = FairValueKind, Policy: SpreadPolicy = AnyPolicy> {
    config: StrategyConfig,
    tick: Step,
    signals: SignalEngine,
    fair: Fair,
    policy: Policy,
    decision: Decision,
}

/// The quoter a [`StrategyConfig`] describes: its fair value and its policy.
pub type ConfiguredQuoter = Quoter<FairValueKind, AnyPolicy>;

impl ConfiguredQuoter {
    /// The quoter `config` describes, on an instrument with tick size `tick` and lot size
    /// `lot`.
    ///
    /// # Panics
    /// If `config` does not [validate](StrategyConfig::validate).
    pub fn from_config(config: StrategyConfig, tick: Step, lot: Step) -> ConfiguredQuoter {
        Quoter::new(config, tick, lot, config.fair_value, AnyPolicy::from_config(&config))
    }
}

impl<Fair: FairValue, Policy: SpreadPolicy> Quoter<Fair, Policy> {
    /// A quoter for an instrument with tick size `tick` and lot size `lot`. Allocates nothing
    /// afterwards.
    ///
    /// # Panics
    /// If `config` does not [validate](StrategyConfig::validate): validate it when the config
    /// is read, and report the error there.
    pub fn new(
        config: StrategyConfig,
        tick: Step,
        lot: Step,
        fair: Fair,
        policy: Policy,
    ) -> Quoter<Fair, Policy> {
        if let Err(error) = config.validate() {
            panic!("Quoter::new: {error}");
        }
        let signals = SignalEngine::new(&config, Scale::new(tick, lot));
        Quoter { config, tick, signals, fair, policy, decision: Decision::default() }
    }

    /// Takes one event of the instrument, already applied to `book`: updates the signals.
    #[inline]
    pub fn on_event(&mut self, event: &Event, book: &OrderBook) {
        self.signals.on_event(event, book);
    }

    /// One of our orders filled (`side`: our order's side). Feeds the toxicity score's markout
    /// component, with the half-spread of the last quote.
    pub fn on_own_fill(&mut self, time: Nanos, side: Side, price: Ticks, qty: Lots) {
        let half = match side {
            Side::Bid => self.decision.spread.bid,
            Side::Ask => self.decision.spread.ask,
        };
        self.signals.on_own_fill(time, side, price, qty, half);
    }

    /// A liquidation of the same underlying on another venue: see
    /// [`SignalEngine::on_venue_liquidation`].
    pub fn on_venue_liquidation(&mut self, time: Nanos, side: Side, price: f64, quantity: f64, scale: f64) {
        self.signals.on_venue_liquidation(time, side, price, quantity, scale);
    }

    /// An implied volatility (annualised, a fraction) from an options feed: see
    /// [`SignalEngine::on_implied_volatility`].
    pub fn on_implied_volatility(&mut self, time: Nanos, annualised: f64) {
        self.signals.on_implied_volatility(time, annualised);
    }

    /// The quotes wanted now, given the book, the current inventory (lots, positive long) and
    /// what the risk state asks. See the [module docs](self) for each step.
    pub fn quote(&mut self, book: &OrderBook, inventory: Lots, risk: RiskAdjust) -> Quotes {
        let outcome = self.decide(book, inventory, risk);
        self.decision.outcome = outcome;
        self.decision.time = self.signals.signals().exchange_time;
        self.decision.inventory = inventory;
        self.decision.risk = risk;
        if outcome != QuoteOutcome::Quoted {
            self.decision.quotes = Quotes::NONE;
        }
        self.decision.quotes
    }

    fn decide(&mut self, book: &OrderBook, inventory: Lots, risk: RiskAdjust) -> QuoteOutcome {
        self.decision.fair_value = None;
        if !book.is_trusted() {
            return QuoteOutcome::BookUntrusted;
        }
        let Some(top) = TopOfBook::of(book) else { return QuoteOutcome::BookOneSided };
        let signals = self.signals.signals();
        let Some(microprice) = signals.microprice else { return QuoteOutcome::NoFairValue };
        let config = &self.config;
        let input = PolicyInput {
            signals,
            fair_value: microprice,
            inventory,
            order_qty: config.order_qty,
            max_inventory: config.max_inventory,
            tick: self.tick,
        };
        let mut terms = self.policy.spread(&input);
        let spread_multiplier =
            if risk.spread_multiplier.is_finite() { risk.spread_multiplier.max(1.0) } else { 1.0 };
        terms.risk_multiplier = spread_multiplier;
        terms.floor = (microprice.abs() * config.maker_fee_bps / BPS + config.min_half_spread_ticks)
            .max(MIN_HALF_SPREAD_TICKS);
        terms.cap = (microprice.abs() * config.max_half_spread_bps / BPS).max(terms.floor);
        // The multipliers (toxicity, volatility, forced flow) say how much wider than calm to
        // quote. Calm is never tighter than the floor (the fee plus a tick or so): a policy
        // whose own base is below it is lifted to it first, so its widening scales what is
        // actually quoted instead of being erased by the floor.
        if terms.base.is_finite() && terms.base > 0.0 && terms.base < terms.floor {
            let lift = terms.floor / terms.base;
            terms.bid *= lift;
            terms.ask *= lift;
            terms.base = terms.floor;
        }
        terms.bid = (terms.bid * spread_multiplier).clamp(terms.floor, terms.cap);
        terms.ask = (terms.ask * spread_multiplier).clamp(terms.floor, terms.cap);
        self.decision.spread = terms;
        if !(terms.bid.is_finite() && terms.ask.is_finite() && terms.skew.is_finite()) {
            return QuoteOutcome::NonFiniteSpread;
        }
        let Some(fair_value) =
            self.fair.fair_value(signals, terms.bid.min(terms.ask)).filter(|fair| fair.is_finite())
        else {
            return QuoteOutcome::NoFairValue;
        };
        self.decision.fair_value = Some(fair_value);
        self.decision.microprice = microprice;
        let centre = fair_value - terms.skew;
        self.decision.centre = centre;
        let mut bid = round_bid_down(centre - terms.bid);
        let mut ask = round_ask_up(centre + terms.ask);
        if !config.allow_cross {
            bid = bid.map(|price| price.min(Ticks(top.ask.0 - 1)));
            ask = ask.map(|price| price.max(Ticks(top.bid.0.saturating_add(1))));
        }
        let (bid_room, ask_room) = self.room(inventory, risk);
        let quotes = Quotes { bid: level(bid, bid_room), ask: level(ask, ask_room) };
        debug_assert!(match (quotes.bid, quotes.ask) {
            (Some(bid), Some(ask)) => bid.price < ask.price,
            _ => true,
        });
        self.decision.quotes = quotes;
        QuoteOutcome::Quoted
    }

    /// Sizes the bid and the ask may have: `order_qty` scaled by the risk state, cut to what
    /// keeps |inventory| within `max_inventory` after a full fill; zero or less means no quote.
    #[inline]
    fn room(&self, inventory: Lots, risk: RiskAdjust) -> (Lots, Lots) {
        let StrategyConfig { order_qty, max_inventory, .. } = self.config;
        let scale = if risk.size_multiplier.is_finite() { risk.size_multiplier.clamp(0.0, 1.0) } else { 0.0 };
        // Rounded down, but never below one lot while the multiplier is positive: a cut size
        // still quotes (a one-lot quote cannot be cut further), only 0 stops quoting.
        let size = if scale > 0.0 { ((order_qty.0 as f64 * scale).floor() as i64).max(1) } else { 0 };
        let bid = max_inventory.0.saturating_sub(inventory.0).min(size);
        let ask = max_inventory.0.saturating_add(inventory.0).min(size);
        (Lots(bid), Lots(ask))
    }

    /// The signals as of the last event.
    #[inline]
    pub fn signals(&self) -> &Signals {
        self.signals.signals()
    }

    /// The last [`Quoter::quote`]'s decision: outcome, fair value, centre, every spread term
    /// and the quotes.
    #[inline]
    pub fn decision(&self) -> &Decision {
        &self.decision
    }

    /// The fair value (ticks) the last [`Quoter::quote`] computed; `None` if it had none. For
    /// the risk gate's price band.
    #[inline]
    pub fn last_fair_value(&self) -> Option<f64> {
        self.decision.fair_value
    }

    /// The signals now together with the last decision: why the last quote is where it is.
    pub fn explain(&self) -> Explanation {
        Explanation { signals: *self.signals.signals(), decision: self.decision }
    }

    /// The configuration.
    #[inline]
    pub fn config(&self) -> &StrategyConfig {
        &self.config
    }

    /// The instrument's tick size.
    #[inline]
    pub fn tick(&self) -> Step {
        self.tick
    }
}

/// A quote at `price` for `qty`, if both make sense.
#[inline]
fn level(price: Option<Ticks>, qty: Lots) -> Option<QuoteLevel> {
    price.filter(|price| price.0 > 0 && qty.0 > 0).map(|price| QuoteLevel { price, qty })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::fixed::{FixedConfig, FixedSpread};
    use crate::spread_policy::{PolicyKind, SpreadTerms};
    use feeds::{
        BookClear, BookLevel, ClearReason, EventKind, FeedCondition, FeedStatus, InstrumentId, Nanos, Seq,
        Side,
    };

    /// A fair value fixed by the test, to put it anywhere relative to the book.
    struct Pinned(Option<f64>);

    impl FairValue for Pinned {
        fn fair_value(&mut self, _: &Signals, _: f64) -> Option<f64> {
            self.0
        }
    }

    /// Half-spreads chosen by a test.
    #[derive(Clone, Copy)]
    struct HalfSpreads {
        bid: f64,
        ask: f64,
    }

    /// A policy returning whatever the test says, sensible or not.
    struct Given(HalfSpreads);

    impl SpreadPolicy for Given {
        fn spread(&mut self, _: &PolicyInput<'_>) -> SpreadTerms {
            SpreadTerms { bid: self.0.bid, ask: self.0.ask, ..SpreadTerms::symmetric(PolicyKind::Fixed, 0.0) }
        }
    }

    fn event(kind: EventKind) -> Event {
        Event::new(Nanos(1), Nanos(1), Seq(1), InstrumentId(0), kind)
    }

    /// A trusted book with one level a side, and the quoter told about it.
    fn book_for<Fair: FairValue, Policy: SpreadPolicy>(
        quoter: &mut Quoter<Fair, Policy>,
        bid: (i64, i64),
        ask: (i64, i64),
    ) -> OrderBook {
        let level = |side, (price, qty), last| {
            event(EventKind::BookLevel(BookLevel {
                side,
                price: Ticks(price),
                qty: Lots(qty),
                last,
                snapshot: true,
            }))
        };
        let mut book = OrderBook::with_capacity(16);
        for event in [
            event(EventKind::BookClear(BookClear { reason: ClearReason::Snapshot, last: false })),
            level(Side::Bid, bid, false),
            level(Side::Ask, ask, true),
        ] {
            book.apply(&event).unwrap();
            quoter.on_event(&event, &book);
        }
        book
    }

    fn config(half_spread_bps: f64, min_ticks: f64) -> StrategyConfig {
        StrategyConfig {
            maker_fee_bps: 0.0,
            policy: PolicyKind::Fixed,
            fixed: FixedConfig { half_spread_bps, skew_bps_at_max_inventory: 0.0 },
            min_half_spread_ticks: min_ticks,
            max_half_spread_bps: 10_000.0,
            order_qty: Lots(3),
            max_inventory: Lots(10),
            ..StrategyConfig::default()
        }
    }

    const TICK: Step = Step::decimal_places(1);
    const LOT: Step = Step::decimal_places(3);

    fn pinned(config: StrategyConfig, fair: f64) -> Quoter<Pinned, FixedSpread> {
        Quoter::new(config, TICK, LOT, Pinned(Some(fair)), FixedSpread::new(config.fixed))
    }

    fn prices(quotes: Quotes) -> (Option<i64>, Option<i64>) {
        (quotes.bid.map(|level| level.price.0), quotes.ask.map(|level| level.price.0))
    }

    #[test]
    fn bids_round_down_and_asks_round_up_on_the_grid() {
        // Fair 1000.3, half-spread 1 tick: 999.3 rounds down to 999, 1001.3 up to 1002. The
        // book (990 / 1010) is far away and does not interfere.
        let mut quoter = pinned(config(0.0, 1.0), 1000.3);
        let book = book_for(&mut quoter, (990, 1), (1010, 1));
        let quotes = quoter.quote(&book, Lots(0), RiskAdjust::CALM);
        assert_eq!(prices(quotes), (Some(999), Some(1002)));
        assert_eq!(quotes.bid.unwrap().qty, Lots(3));
        assert_eq!(quoter.last_fair_value(), Some(1000.3));
        // Exactly on the grid: 1000 ± 1.
        let mut quoter = pinned(config(0.0, 1.0), 1000.0);
        let book = book_for(&mut quoter, (990, 1), (1010, 1));
        assert_eq!(prices(quoter.quote(&book, Lots(0), RiskAdjust::CALM)), (Some(999), Some(1001)));
    }

    #[test]
    fn quotes_never_cross_the_book() {
        // Fair value 1020 above the best ask 1010: the bid (1019) would take the ask, so it is
        // held at 1009; the ask 1021 stays.
        let mut quoter = pinned(config(0.0, 1.0), 1020.0);
        let book = book_for(&mut quoter, (990, 1), (1010, 1));
        assert_eq!(prices(quoter.quote(&book, Lots(0), RiskAdjust::CALM)), (Some(1009), Some(1021)));
        // Below the best bid 990: the ask (981) is held at 991.
        let mut quoter = pinned(config(0.0, 1.0), 980.0);
        let book = book_for(&mut quoter, (990, 1), (1010, 1));
        assert_eq!(prices(quoter.quote(&book, Lots(0), RiskAdjust::CALM)), (Some(979), Some(991)));
        // A one-tick book with the fair value on the bid: bid 999 and ask 1001 are both outside.
        let mut quoter = pinned(config(0.0, 1.0), 1000.0);
        let book = book_for(&mut quoter, (1000, 1), (1001, 1));
        assert_eq!(prices(quoter.quote(&book, Lots(0), RiskAdjust::CALM)), (Some(999), Some(1001)));
    }

    #[test]
    fn inventory_skews_both_quotes_against_itself() {
        // Fair 1 000 000 ticks, 1 bp skew at the 10-lot limit: 100 ticks at full inventory,
        // 50 at half. Half-spread 1 bp = 100 ticks.
        let mut config = config(1.0, 1.0);
        config.fixed.skew_bps_at_max_inventory = 1.0;
        let mut quoter = pinned(config, 1_000_000.0);
        let book = book_for(&mut quoter, (900_000, 1), (1_100_000, 1));
        assert_eq!(prices(quoter.quote(&book, Lots(0), RiskAdjust::CALM)), (Some(999_900), Some(1_000_100)));
        // Long 5: both quotes 50 ticks lower (keen to sell, reluctant to buy).
        assert_eq!(prices(quoter.quote(&book, Lots(5), RiskAdjust::CALM)), (Some(999_850), Some(1_000_050)));
        // Short 5: both 50 ticks higher.
        assert_eq!(prices(quoter.quote(&book, Lots(-5), RiskAdjust::CALM)), (Some(999_950), Some(1_000_150)));
        // Past the limit the skew stops growing (and the bid is gone).
        assert_eq!(prices(quoter.quote(&book, Lots(40), RiskAdjust::CALM)), (None, Some(1_000_000)));
    }

    #[test]
    fn a_side_is_dropped_at_the_inventory_limit_and_cut_near_it() {
        let mut quoter = pinned(config(0.0, 1.0), 1000.0);
        let book = book_for(&mut quoter, (990, 1), (1010, 1));
        // Long 10 of 10: no bid, full ask.
        let quotes = quoter.quote(&book, Lots(10), RiskAdjust::CALM);
        assert_eq!((quotes.bid, quotes.ask.map(|level| level.qty)), (None, Some(Lots(3))));
        // Short 10: no ask.
        let quotes = quoter.quote(&book, Lots(-10), RiskAdjust::CALM);
        assert_eq!((quotes.bid.map(|level| level.qty), quotes.ask), (Some(Lots(3)), None));
        // Long 9: a 3-lot bid would end at 12; it is cut to 1 lot.
        assert_eq!(quoter.quote(&book, Lots(9), RiskAdjust::CALM).bid.map(|level| level.qty), Some(Lots(1)));
        // Absurd inventories do not overflow.
        assert!(quoter.quote(&book, Lots(i64::MAX), RiskAdjust::CALM).bid.is_none());
        assert!(quoter.quote(&book, Lots(i64::MIN), RiskAdjust::CALM).ask.is_none());
    }

    #[test]
    fn nothing_is_quoted_without_a_trusted_two_sided_book_and_a_fair_value() {
        // Untrusted: a fresh book with levels set around the sync rules.
        let mut quoter = pinned(config(0.0, 1.0), 1000.0);
        let mut book = OrderBook::with_capacity(16);
        book.set(Side::Bid, Ticks(990), Lots(1)).unwrap();
        book.set(Side::Ask, Ticks(1010), Lots(1)).unwrap();
        assert_eq!(quoter.quote(&book, Lots(0), RiskAdjust::CALM), Quotes::NONE);
        assert_eq!(quoter.last_fair_value(), None);

        // Trusted, then a gap.
        let mut book = book_for(&mut quoter, (990, 1), (1010, 1));
        assert!(!quoter.quote(&book, Lots(0), RiskAdjust::CALM).is_none());
        let gap = event(EventKind::FeedStatus(FeedStatus {
            condition: FeedCondition::Gap,
            expected: Seq(1),
            received: Seq(2),
        }));
        book.apply(&gap).unwrap();
        quoter.on_event(&gap, &book);
        assert_eq!(quoter.quote(&book, Lots(0), RiskAdjust::CALM), Quotes::NONE);

        // Trusted but one-sided: an empty-snapshot book with only a bid.
        let mut book = book_for(&mut quoter, (990, 1), (1010, 1));
        book.set(Side::Ask, Ticks(1010), Lots(0)).unwrap();
        assert_eq!(quoter.quote(&book, Lots(0), RiskAdjust::CALM), Quotes::NONE);

        // Fair value unknown, or not finite.
        for fair in [None, Some(f64::NAN), Some(f64::INFINITY)] {
            let mut quoter = Quoter::new(
                config(0.0, 1.0),
                TICK,
                LOT,
                Pinned(fair),
                FixedSpread::new(FixedConfig { half_spread_bps: 0.0, skew_bps_at_max_inventory: 0.0 }),
            );
            let book = book_for(&mut quoter, (990, 1), (1010, 1));
            assert_eq!(quoter.quote(&book, Lots(0), RiskAdjust::CALM), Quotes::NONE, "{fair:?}");
        }
    }

    #[test]
    fn a_policy_cannot_make_the_quotes_meet() {
        // Zero and negative half-spreads are floored at half a tick: fair 1000 gives 999 / 1001
        // (999.5 rounds down, 1000.5 up).
        for half in [0.0, -3.0] {
            let mut quoter = Quoter::new(
                config(0.0, 1.0),
                TICK,
                LOT,
                Pinned(Some(1000.0)),
                Given(HalfSpreads { bid: half, ask: half }),
            );
            let book = book_for(&mut quoter, (990, 1), (1010, 1));
            assert_eq!(
                prices(quoter.quote(&book, Lots(0), RiskAdjust::CALM)),
                (Some(999), Some(1001)),
                "{half}"
            );
        }
        // A non-finite half-spread: nothing.
        let mut quoter = Quoter::new(
            config(0.0, 1.0),
            TICK,
            LOT,
            Pinned(Some(1000.0)),
            Given(HalfSpreads { bid: f64::NAN, ask: 1.0 }),
        );
        let book = book_for(&mut quoter, (990, 1), (1010, 1));
        assert_eq!(quoter.quote(&book, Lots(0), RiskAdjust::CALM), Quotes::NONE);
    }

    #[test]
    fn a_bid_below_one_tick_is_dropped() {
        // Fair 1.2 ticks, half-spread 1: the bid would be at 0.
        let mut quoter = pinned(config(0.0, 1.0), 1.2);
        let book = book_for(&mut quoter, (1, 1), (5, 1));
        assert_eq!(prices(quoter.quote(&book, Lots(0), RiskAdjust::CALM)), (None, Some(3)));
    }

    #[test]
    fn the_default_quoter_centres_on_the_microprice() {
        // Bid 1000 × 3, ask 1010 × 1: microprice 1007.5, half-spread 2 ticks → 1005 / 1010.
        let config = config(0.0, 2.0);
        let mut quoter = ConfiguredQuoter::from_config(config, TICK, LOT);
        let book = book_for(&mut quoter, (1000, 3), (1010, 1));
        assert_eq!(quoter.signals().microprice, Some(1007.5));
        assert_eq!(prices(quoter.quote(&book, Lots(0), RiskAdjust::CALM)), (Some(1005), Some(1010)));
    }

    #[test]
    fn a_liquidation_event_leans_the_configured_quoter_toward_it() {
        use feeds::{E8, Liquidation, PriceE8};
        // The default config: toxicity-aware policy around the LFWM.
        let mut quoter = ConfiguredQuoter::from_config(StrategyConfig::default(), TICK, LOT);
        let book = book_for(&mut quoter, (617_000, 5), (617_001, 5));
        let calm = quoter.quote(&book, Lots(0), RiskAdjust::CALM);
        assert_eq!(quoter.decision().lean(), 0.0, "no forced flow, no lean");
        // 20 BTC of longs liquidated at 61 650.0, 50 ticks below the book.
        let price = PriceE8(61_650 * E8);
        let liquidation = event(EventKind::Liquidation(Liquidation {
            side: Side::Ask,
            price,
            average_price: price,
            qty: Lots(20_000),
        }));
        quoter.on_event(&liquidation, &book);
        let leaning = quoter.quote(&book, Lots(0), RiskAdjust::CALM);
        let decision = *quoter.decision();
        assert!(
            decision.lean() < 0.0 && decision.lean() >= -decision.spread.bid.min(decision.spread.ask) - 1e-6,
            "{decision:?} {:?}",
            quoter.signals().forced
        );
        assert_eq!(quoter.signals().forced.liquidations, 1);
        // The bid, on the side the forced selling hits, is widened more than the ask.
        assert!(decision.spread.bid_flow_multiplier > decision.spread.ask_flow_multiplier);
        assert!(leaning.bid.unwrap().price < calm.bid.unwrap().price);
        let explanation = quoter.explain();
        assert_eq!(explanation.decision, decision);
        assert_eq!(explanation.signals.forced.mean_price, Some(616_500.0));
    }

    #[test]
    #[should_panic(expected = "Quoter::new: strategy config: order_qty = 0")]
    fn an_invalid_config_is_a_construction_bug() {
        let config = StrategyConfig { order_qty: Lots(0), ..Default::default() };
        let _ = ConfiguredQuoter::from_config(config, TICK, LOT);
    }
}
