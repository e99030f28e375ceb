//! [`Quoter`]: signals → fair value → spread policy → quotes, for one instrument.
//!
//! The quoter owns a [`SignalEngine`] and one implementation of each role ([`FairValue`],
//! [`SpreadPolicy`]), as type parameters so every call is statically dispatched and inlined.
//! [`DefaultQuoter`] is the combination the engine starts with: the microprice as fair value and
//! a fixed spread.
//!
//! Lifecycle: build once with [`Quoter::new`]; give it every event of its instrument with
//! [`Quoter::on_event`] (after applying the event to the book); ask for [`Quoter::quote`]
//! whenever the engine may act, typically when a book update completes.
//!
//! Quote construction, in order:
//! 1. Nothing ([`Quotes::NONE`]) unless the book is trusted, has both sides and is not crossed,
//!    and the fair value is known and finite.
//! 2. The policy's half-spreads, each floored at half a tick (so bid and ask cannot meet).
//! 3. Inventory skew: the centre moves from the fair value by
//!    `−fair × skew_bps_at_max_inventory / 10⁴ × inventory / max_inventory` (inventory ratio
//!    clamped to ±1): long inventory lowers both quotes, short raises them.
//! 4. Rounding away from the centre: bid = ⌊centre − half.bid⌋, ask = ⌈centre + half.ask⌉.
//! 5. Post-only safety: bid ≤ best ask − 1, ask ≥ best bid + 1, so neither quote would take
//!    liquidity from the book the quote was computed against.
//! 6. Sizes: `order_qty`, cut so a full fill keeps |inventory| ≤ `max_inventory`; a side with
//!    nothing left (inventory at the limit on that side) or a non-positive price is dropped.

use crate::config::{BPS, StrategyConfig};
use crate::fair_value::{FairValue, MicropriceFairValue};
use crate::quote::{QuoteLevel, Quotes, round_ask_up, round_bid_down};
use crate::signals::{SignalEngine, Signals, TopOfBook};
use crate::spread_policy::{FixedSpread, PolicyInput, SpreadPolicy};
use feeds::{Event, Lots, OrderBook, Step, Ticks};

/// The smallest half-spread the quoter accepts from a policy, in ticks.
const MIN_HALF_SPREAD_TICKS: f64 = 0.5;

/// Composes signals → fair value → spread policy → quote construction for one instrument.
/// Generic over the roles (static dispatch).
///
/// ```
/// # use feeds::{BookClear, BookLevel, ClearReason, Event, EventKind, InstrumentId, Lots, Nanos,
/// #     OrderBook, Seq, Side, Step, Ticks};
/// # use strategy::{DefaultQuoter, QuoteLevel, StrategyConfig};
/// # let event = |kind| Event::new(Nanos(1), Nanos(1), Seq(7), InstrumentId(0), kind);
/// # let level = |side, price, qty, last| {
/// #     event(EventKind::BookLevel(BookLevel {
/// #         side, price: Ticks(price), qty: Lots(qty), last, snapshot: true,
/// #     }))
/// # };
/// let config = StrategyConfig { half_spread_bps: 0.0, min_half_spread_ticks: 2.0, ..Default::default() };
/// let mut quoter = DefaultQuoter::from_config(config, Step::decimal_places(1));
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
/// let quotes = quoter.quote(&book, Lots(0));
/// assert_eq!(quotes.bid, Some(QuoteLevel { price: Ticks(618_003), qty: Lots(1) }));
/// assert_eq!(quotes.ask, Some(QuoteLevel { price: Ticks(618_007), qty: Lots(1) }));
/// # Ok::<(), feeds::book::BookError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Quoter<Fair: FairValue, Policy: SpreadPolicy> {
    config: StrategyConfig,
    tick: Step,
    signals: SignalEngine,
    fair: Fair,
    policy: Policy,
    /// The fair value the last [`Quoter::quote`] used; `None` if it had none (or quoted
    /// nothing before reaching it). Stale as soon as another event arrives.
    last_fair_value: Option<f64>,
}

/// The quoter the engine starts with: microprice fair value, fixed spread.
pub type DefaultQuoter = Quoter<MicropriceFairValue, FixedSpread>;

impl DefaultQuoter {
    /// The default quoter for `config` on an instrument with tick size `tick`.
    ///
    /// # Panics
    /// If `config` does not [validate](StrategyConfig::validate).
    pub fn from_config(config: StrategyConfig, tick: Step) -> DefaultQuoter {
        Quoter::new(config, tick, MicropriceFairValue, FixedSpread::from_config(&config))
    }
}

impl<Fair: FairValue, Policy: SpreadPolicy> Quoter<Fair, Policy> {
    /// A quoter for an instrument with tick size `tick`. Allocates nothing afterwards.
    ///
    /// # Panics
    /// If `config` does not [validate](StrategyConfig::validate): validate it when the config
    /// is read, and report the error there.
    pub fn new(config: StrategyConfig, tick: Step, fair: Fair, policy: Policy) -> Quoter<Fair, Policy> {
        if let Err(error) = config.validate() {
            panic!("Quoter::new: {error}");
        }
        Quoter { config, tick, signals: SignalEngine::new(), fair, policy, last_fair_value: None }
    }

    /// Takes one event of the instrument, already applied to `book`: updates the signals.
    #[inline]
    pub fn on_event(&mut self, event: &Event, book: &OrderBook) {
        self.signals.on_event(event, book);
    }

    /// The quotes wanted now, given the book and the current inventory (lots, positive long).
    ///
    /// Bid = ⌊fair − half.bid⌋ and ask = ⌈fair + half.ask⌉ on the tick grid, both shifted
    /// against the inventory; never crossing the book (bid ≤ best ask − 1, ask ≥ best bid + 1);
    /// a side is dropped when the inventory is at the limit on that side.
    /// [`Quotes::NONE`] when the book is untrusted, empty on a side or crossed, or the fair
    /// value is unknown. See the [module docs](self) for each step.
    pub fn quote(&mut self, book: &OrderBook, inventory: Lots) -> Quotes {
        self.last_fair_value = None;
        if !book.is_trusted() {
            return Quotes::NONE;
        }
        let Some(top) = TopOfBook::of(book) else { return Quotes::NONE };
        let signals = self.signals.signals();
        let Some(fair_value) = self.fair.fair_value(signals).filter(|fair| fair.is_finite()) else {
            return Quotes::NONE;
        };
        self.last_fair_value = Some(fair_value);
        let input = PolicyInput { signals, fair_value, inventory, tick: self.tick };
        let half = self.policy.half_spreads(&input);
        if !(half.bid.is_finite() && half.ask.is_finite()) {
            return Quotes::NONE;
        }
        let centre = fair_value - self.skew_ticks(fair_value, inventory);
        let bid = round_bid_down(centre - half.bid.max(MIN_HALF_SPREAD_TICKS))
            .map(|price| price.min(Ticks(top.ask.0 - 1)));
        let ask = round_ask_up(centre + half.ask.max(MIN_HALF_SPREAD_TICKS))
            .map(|price| price.max(Ticks(top.bid.0.saturating_add(1))));
        let (bid_room, ask_room) = self.room(inventory);
        let quotes = Quotes { bid: level(bid, bid_room), ask: level(ask, ask_room) };
        debug_assert!(match (quotes.bid, quotes.ask) {
            (Some(bid), Some(ask)) => bid.price < ask.price,
            _ => true,
        });
        quotes
    }

    /// How far the quote centre moves below the fair value for this inventory, in ticks
    /// (negative: above).
    #[inline]
    fn skew_ticks(&self, fair_value: f64, inventory: Lots) -> f64 {
        let ratio = (inventory.0 as f64 / self.config.max_inventory.0 as f64).clamp(-1.0, 1.0);
        fair_value.abs() * self.config.skew_bps_at_max_inventory / BPS * ratio
    }

    /// Sizes the bid and the ask may have: `order_qty`, cut to what keeps |inventory| within
    /// `max_inventory` after a full fill; zero or less means no quote on that side.
    #[inline]
    fn room(&self, inventory: Lots) -> (Lots, Lots) {
        let StrategyConfig { order_qty, max_inventory, .. } = self.config;
        let bid = max_inventory.0.saturating_sub(inventory.0).min(order_qty.0);
        let ask = max_inventory.0.saturating_add(inventory.0).min(order_qty.0);
        (Lots(bid), Lots(ask))
    }

    /// The signals as of the last event.
    #[inline]
    pub fn signals(&self) -> &Signals {
        self.signals.signals()
    }

    /// The fair value (ticks) the last [`Quoter::quote`] computed; `None` if it had none. For
    /// the risk gate's price band.
    #[inline]
    pub fn last_fair_value(&self) -> Option<f64> {
        self.last_fair_value
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
    use crate::spread_policy::HalfSpreads;
    use feeds::{
        BookClear, BookLevel, ClearReason, EventKind, FeedCondition, FeedStatus, InstrumentId, Nanos, Seq,
        Side,
    };

    /// A fair value fixed by the test, to put it anywhere relative to the book.
    struct Pinned(Option<f64>);

    impl FairValue for Pinned {
        fn fair_value(&mut self, _: &Signals) -> Option<f64> {
            self.0
        }
    }

    /// A policy returning whatever the test says, sensible or not.
    struct Given(HalfSpreads);

    impl SpreadPolicy for Given {
        fn half_spreads(&mut self, _: &PolicyInput<'_>) -> HalfSpreads {
            self.0
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
            half_spread_bps,
            min_half_spread_ticks: min_ticks,
            order_qty: Lots(3),
            max_inventory: Lots(10),
            skew_bps_at_max_inventory: 0.0,
        }
    }

    fn pinned(config: StrategyConfig, fair: f64) -> Quoter<Pinned, FixedSpread> {
        Quoter::new(config, Step::decimal_places(1), Pinned(Some(fair)), FixedSpread::from_config(&config))
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
        let quotes = quoter.quote(&book, Lots(0));
        assert_eq!(prices(quotes), (Some(999), Some(1002)));
        assert_eq!(quotes.bid.unwrap().qty, Lots(3));
        assert_eq!(quoter.last_fair_value(), Some(1000.3));
        // Exactly on the grid: 1000 ± 1.
        let mut quoter = pinned(config(0.0, 1.0), 1000.0);
        let book = book_for(&mut quoter, (990, 1), (1010, 1));
        assert_eq!(prices(quoter.quote(&book, Lots(0))), (Some(999), Some(1001)));
    }

    #[test]
    fn quotes_never_cross_the_book() {
        // Fair value 1020 above the best ask 1010: the bid (1019) would take the ask, so it is
        // held at 1009; the ask 1021 stays.
        let mut quoter = pinned(config(0.0, 1.0), 1020.0);
        let book = book_for(&mut quoter, (990, 1), (1010, 1));
        assert_eq!(prices(quoter.quote(&book, Lots(0))), (Some(1009), Some(1021)));
        // Below the best bid 990: the ask (981) is held at 991.
        let mut quoter = pinned(config(0.0, 1.0), 980.0);
        let book = book_for(&mut quoter, (990, 1), (1010, 1));
        assert_eq!(prices(quoter.quote(&book, Lots(0))), (Some(979), Some(991)));
        // A one-tick book with the fair value on the bid: bid 999 and ask 1001 are both outside.
        let mut quoter = pinned(config(0.0, 1.0), 1000.0);
        let book = book_for(&mut quoter, (1000, 1), (1001, 1));
        assert_eq!(prices(quoter.quote(&book, Lots(0))), (Some(999), Some(1001)));
    }

    #[test]
    fn inventory_skews_both_quotes_against_itself() {
        // Fair 1 000 000 ticks, 1 bp skew at the 10-lot limit: 100 ticks at full inventory,
        // 50 at half. Half-spread 1 bp = 100 ticks.
        let config = StrategyConfig { skew_bps_at_max_inventory: 1.0, ..config(1.0, 1.0) };
        let mut quoter = pinned(config, 1_000_000.0);
        let book = book_for(&mut quoter, (900_000, 1), (1_100_000, 1));
        assert_eq!(prices(quoter.quote(&book, Lots(0))), (Some(999_900), Some(1_000_100)));
        // Long 5: both quotes 50 ticks lower (keen to sell, reluctant to buy).
        assert_eq!(prices(quoter.quote(&book, Lots(5))), (Some(999_850), Some(1_000_050)));
        // Short 5: both 50 ticks higher.
        assert_eq!(prices(quoter.quote(&book, Lots(-5))), (Some(999_950), Some(1_000_150)));
        // Past the limit the skew stops growing (and the bid is gone).
        assert_eq!(prices(quoter.quote(&book, Lots(40))), (None, Some(1_000_000)));
    }

    #[test]
    fn a_side_is_dropped_at_the_inventory_limit_and_cut_near_it() {
        let mut quoter = pinned(config(0.0, 1.0), 1000.0);
        let book = book_for(&mut quoter, (990, 1), (1010, 1));
        // Long 10 of 10: no bid, full ask.
        let quotes = quoter.quote(&book, Lots(10));
        assert_eq!((quotes.bid, quotes.ask.map(|level| level.qty)), (None, Some(Lots(3))));
        // Short 10: no ask.
        let quotes = quoter.quote(&book, Lots(-10));
        assert_eq!((quotes.bid.map(|level| level.qty), quotes.ask), (Some(Lots(3)), None));
        // Long 9: a 3-lot bid would end at 12; it is cut to 1 lot.
        assert_eq!(quoter.quote(&book, Lots(9)).bid.map(|level| level.qty), Some(Lots(1)));
        // Absurd inventories do not overflow.
        assert!(quoter.quote(&book, Lots(i64::MAX)).bid.is_none());
        assert!(quoter.quote(&book, Lots(i64::MIN)).ask.is_none());
    }

    #[test]
    fn nothing_is_quoted_without_a_trusted_two_sided_book_and_a_fair_value() {
        // Untrusted: a fresh book with levels set around the sync rules.
        let mut quoter = pinned(config(0.0, 1.0), 1000.0);
        let mut book = OrderBook::with_capacity(16);
        book.set(Side::Bid, Ticks(990), Lots(1)).unwrap();
        book.set(Side::Ask, Ticks(1010), Lots(1)).unwrap();
        assert_eq!(quoter.quote(&book, Lots(0)), Quotes::NONE);
        assert_eq!(quoter.last_fair_value(), None);

        // Trusted, then a gap.
        let mut book = book_for(&mut quoter, (990, 1), (1010, 1));
        assert!(!quoter.quote(&book, Lots(0)).is_none());
        let gap = event(EventKind::FeedStatus(FeedStatus {
            condition: FeedCondition::Gap,
            expected: Seq(1),
            received: Seq(2),
        }));
        book.apply(&gap).unwrap();
        quoter.on_event(&gap, &book);
        assert_eq!(quoter.quote(&book, Lots(0)), Quotes::NONE);

        // Trusted but one-sided: an empty-snapshot book with only a bid.
        let mut book = book_for(&mut quoter, (990, 1), (1010, 1));
        book.set(Side::Ask, Ticks(1010), Lots(0)).unwrap();
        assert_eq!(quoter.quote(&book, Lots(0)), Quotes::NONE);

        // Fair value unknown, or not finite.
        for fair in [None, Some(f64::NAN), Some(f64::INFINITY)] {
            let mut quoter = Quoter::new(
                config(0.0, 1.0),
                Step::decimal_places(1),
                Pinned(fair),
                FixedSpread::new(0.0, 1.0),
            );
            let book = book_for(&mut quoter, (990, 1), (1010, 1));
            assert_eq!(quoter.quote(&book, Lots(0)), Quotes::NONE, "{fair:?}");
        }
    }

    #[test]
    fn a_policy_cannot_make_the_quotes_meet() {
        // Zero and negative half-spreads are floored at half a tick: fair 1000 gives 999 / 1001
        // (999.5 rounds down, 1000.5 up).
        for half in [0.0, -3.0] {
            let mut quoter = Quoter::new(
                config(0.0, 1.0),
                Step::decimal_places(1),
                Pinned(Some(1000.0)),
                Given(HalfSpreads { bid: half, ask: half }),
            );
            let book = book_for(&mut quoter, (990, 1), (1010, 1));
            assert_eq!(prices(quoter.quote(&book, Lots(0))), (Some(999), Some(1001)), "{half}");
        }
        // A non-finite half-spread: nothing.
        let mut quoter = Quoter::new(
            config(0.0, 1.0),
            Step::decimal_places(1),
            Pinned(Some(1000.0)),
            Given(HalfSpreads { bid: f64::NAN, ask: 1.0 }),
        );
        let book = book_for(&mut quoter, (990, 1), (1010, 1));
        assert_eq!(quoter.quote(&book, Lots(0)), Quotes::NONE);
    }

    #[test]
    fn a_bid_below_one_tick_is_dropped() {
        // Fair 1.2 ticks, half-spread 1: the bid would be at 0.
        let mut quoter = pinned(config(0.0, 1.0), 1.2);
        let book = book_for(&mut quoter, (1, 1), (5, 1));
        assert_eq!(prices(quoter.quote(&book, Lots(0))), (None, Some(3)));
    }

    #[test]
    fn the_default_quoter_centres_on_the_microprice() {
        // Bid 1000 × 3, ask 1010 × 1: microprice 1007.5, half-spread 2 ticks → 1005 / 1010.
        let config =
            StrategyConfig { half_spread_bps: 0.0, min_half_spread_ticks: 2.0, ..Default::default() };
        let mut quoter = DefaultQuoter::from_config(config, Step::decimal_places(1));
        let book = book_for(&mut quoter, (1000, 3), (1010, 1));
        assert_eq!(quoter.signals().microprice, Some(1007.5));
        assert_eq!(prices(quoter.quote(&book, Lots(0))), (Some(1005), Some(1010)));
    }

    #[test]
    #[should_panic(expected = "Quoter::new: strategy config: order_qty = 0")]
    fn an_invalid_config_is_a_construction_bug() {
        let config = StrategyConfig { order_qty: Lots(0), ..Default::default() };
        let _ = DefaultQuoter::from_config(config, Step::decimal_places(1));
    }
}
