//! Properties of the quoting core over random books, signals, policies and inventories
//! (proptest). The books are built event by event through the real [`OrderBook`]; the signals
//! a policy sees are set by the test (a wrapper policy swaps them in), so each property holds
//! "other inputs fixed".
//!
//! - Quotes never cross the book or each other, sit on positive prices and never let a full
//!   fill take inventory past the limit, whatever a policy returns.
//! - The spread never narrows as toxicity τ or volatility σ rises, for every policy.
//! - At zero inventory in a calm state, quotes are symmetric about the centre.
//! - Inventory skew moves both quotes away from the side that would grow the position.
//! - The LFWM equals the microprice without forced flow, moves monotonically toward forced
//!   flow without passing it, decays with its time constant, and never exceeds its cap.
//! - The asymmetric smoother (toxicity's last step) rises faster than it falls.

use feeds::{
    BookClear, BookLevel, ClearReason, E8, Event, EventKind, InstrumentId, Liquidation, Lots, Nanos,
    OrderBook, PriceE8, Seq, Side, Step, Ticks,
};
use proptest::prelude::*;
use strategy::decay::AsymmetricSmoother;
use strategy::forced_flow::{ForcedFlow, LfwmConfig};
use strategy::{
    AnyPolicy, FairValue, PolicyInput, PolicyKind, Quoter, Quotes, RiskAdjust, Scale, Signals, SpreadPolicy,
    SpreadTerms, StrategyConfig, TopOfBook,
};

const TICK: Step = Step::decimal_places(1);
const LOT: Step = Step::decimal_places(3);

/// A fair value chosen by the test, anywhere relative to the book.
struct Pinned(f64);

impl FairValue for Pinned {
    fn fair_value(&mut self, _: &Signals, _: f64) -> Option<f64> {
        Some(self.0)
    }
}

/// Spread terms chosen by the test, sensible or not.
struct Given {
    bid: f64,
    ask: f64,
    skew: f64,
}

impl SpreadPolicy for Given {
    fn spread(&mut self, _: &PolicyInput<'_>) -> SpreadTerms {
        SpreadTerms {
            bid: self.bid,
            ask: self.ask,
            skew: self.skew,
            ..SpreadTerms::symmetric(PolicyKind::Fixed, 0.0)
        }
    }
}

/// A configured policy that sees the signals the test chose instead of the engine's.
struct WithSignals {
    signals: Signals,
    policy: AnyPolicy,
}

impl SpreadPolicy for WithSignals {
    fn spread(&mut self, input: &PolicyInput<'_>) -> SpreadTerms {
        self.policy.spread(&PolicyInput { signals: &self.signals, ..*input })
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

/// A quoter whose book is the snapshot, told about every event.
fn with_book<Fair: FairValue, Policy: SpreadPolicy>(
    mut quoter: Quoter<Fair, Policy>,
    bid: (i64, i64),
    ask: (i64, i64),
) -> (Quoter<Fair, Policy>, OrderBook) {
    let mut book = OrderBook::with_capacity(16);
    for event in snapshot(bid, ask) {
        book.apply(&event).unwrap();
        quoter.on_event(&event, &book);
    }
    (quoter, book)
}

/// Signals of a market whose only known facts are the ones the test sets.
fn signals(top: TopOfBook, tau: f64, sigma_bps: f64, vol_ratio: f64) -> Signals {
    let mut signals = Signals {
        top: Some(top),
        mid: Some(top.mid()),
        imbalance: Some(top.imbalance()),
        microprice: Some(top.microprice()),
        ..Signals::default()
    };
    signals.toxicity.value = tau;
    signals.volatility.sigma = sigma_bps / 1e4;
    signals.volatility.fast = sigma_bps / 1e4;
    signals.volatility.ratio = vol_ratio;
    signals.arrivals.a = 2.0;
    signals.arrivals.k = 0.8;
    signals
}

/// A configured quoter seeing `signals`, on a BTCUSDT-like book around 617 000 ticks.
fn policy_quoter(
    policy: PolicyKind,
    signals: Signals,
    max_inventory: i64,
) -> Quoter<strategy::FairValueKind, WithSignals> {
    let config = StrategyConfig { policy, max_inventory: Lots(max_inventory), ..StrategyConfig::default() };
    let policy = WithSignals { signals, policy: AnyPolicy::from_config(&config) };
    Quoter::new(config, TICK, LOT, config.fair_value, policy)
}

fn any_policy() -> impl Strategy<Value = PolicyKind> {
    prop_oneof![
        Just(PolicyKind::Fixed),
        Just(PolicyKind::AvellanedaStoikov),
        Just(PolicyKind::Glft),
        Just(PolicyKind::ToxicityAware),
    ]
}

/// A BTCUSDT-like top of book: a few ticks wide, any queue sizes.
fn any_top() -> impl Strategy<Value = TopOfBook> {
    (600_000_i64..640_000, 1_i64..5, 1_i64..10_000, 1_i64..10_000).prop_map(
        |(bid, width, bid_qty, ask_qty)| TopOfBook {
            bid: Ticks(bid),
            bid_qty: Lots(bid_qty),
            ask: Ticks(bid + width),
            ask_qty: Lots(ask_qty),
        },
    )
}

/// Quote prices, for comparisons.
fn prices(quotes: Quotes) -> (Option<i64>, Option<i64>) {
    (quotes.bid.map(|level| level.price.0), quotes.ask.map(|level| level.price.0))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn quotes_never_cross_and_never_pass_the_inventory_limit(
        bid in 1_i64..2_000_000,
        spread in 1_i64..500,
        (bid_qty, ask_qty) in (1_i64..10_000, 1_i64..10_000),
        fair_offset in -5_000.0_f64..5_000.0,
        (half_bid, half_ask) in (-10.0_f64..2_000.0, -10.0_f64..2_000.0),
        skew in -3_000.0_f64..3_000.0,
        inventory in -60_i64..60,
        order_qty in 1_i64..20,
        max_inventory in 1_i64..40,
        size_multiplier in 0.0_f64..1.0,
    ) {
        let config = StrategyConfig {
            min_half_spread_ticks: 0.5,
            max_half_spread_bps: 10_000.0,
            order_qty: Lots(order_qty),
            max_inventory: Lots(max_inventory),
            ..StrategyConfig::default()
        };
        let ask = bid + spread;
        let fair = bid as f64 + fair_offset;
        let (mut quoter, book) = with_book(
            Quoter::new(config, TICK, LOT, Pinned(fair), Given { bid: half_bid, ask: half_ask, skew }),
            (bid, bid_qty),
            (ask, ask_qty),
        );
        let risk = RiskAdjust { spread_multiplier: 1.0, size_multiplier };
        let quotes = quoter.quote(&book, Lots(inventory), risk);
        let size = if size_multiplier > 0.0 { ((order_qty as f64 * size_multiplier).floor() as i64).max(1) } else { 0 };
        if let Some(level) = quotes.bid {
            prop_assert!(level.price.0 > 0 && level.price.0 < ask, "{quotes:?}");
            prop_assert!(level.qty.0 > 0 && level.qty.0 <= size);
            prop_assert!(inventory + level.qty.0 <= max_inventory);
        } else {
            // A bid goes missing only at the inventory limit, at size 0, or below tick 1.
            let centre = fair - skew;
            prop_assert!(
                inventory >= max_inventory || size == 0 || centre - half_bid.max(0.5) < 1.0 + 1e-6,
                "{quotes:?}"
            );
        }
        if let Some(level) = quotes.ask {
            prop_assert!(level.price.0 > bid, "{quotes:?}");
            prop_assert!(level.qty.0 > 0 && level.qty.0 <= size);
            prop_assert!(inventory - level.qty.0 >= -max_inventory);
        } else {
            prop_assert!(inventory <= -max_inventory || size == 0 || fair - skew + half_ask.max(0.5) < 1.0, "{quotes:?}");
        }
        if let (Some(bid_level), Some(ask_level)) = (quotes.bid, quotes.ask) {
            prop_assert!(bid_level.price < ask_level.price, "{quotes:?}");
        }
    }

    #[test]
    fn the_spread_never_narrows_as_toxicity_or_volatility_rises(
        policy in any_policy(),
        top in any_top(),
        (tau_low, tau_step) in (0.0_f64..1.0, 0.0_f64..1.0),
        (sigma_low, sigma_step) in (0.05_f64..5.0, 0.0_f64..5.0),
        (ratio_low, ratio_step) in (0.2_f64..4.0, 0.0_f64..4.0),
        inventory in -10_i64..=10,
    ) {
        let tau_high = (tau_low + tau_step).min(1.0);
        let calm = signals(top, tau_low, sigma_low, ratio_low);
        let cases = [
            signals(top, tau_high, sigma_low, ratio_low),
            signals(top, tau_low, sigma_low + sigma_step, ratio_low),
            signals(top, tau_low, sigma_low, ratio_low + ratio_step),
        ];
        let book_of = |signals: Signals| {
            with_book(policy_quoter(policy, signals, 20), (top.bid.0, top.bid_qty.0), (top.ask.0, top.ask_qty.0))
        };
        let (mut quoter, book) = book_of(calm);
        quoter.quote(&book, Lots(inventory), RiskAdjust::CALM);
        let before = quoter.decision().spread;
        for stressed in cases {
            let (mut quoter, book) = book_of(stressed);
            quoter.quote(&book, Lots(inventory), RiskAdjust::CALM);
            let after = quoter.decision().spread;
            prop_assert!(after.bid >= before.bid - 1e-9, "{}: bid {} → {}", policy.name(), before.bid, after.bid);
            prop_assert!(after.ask >= before.ask - 1e-9, "{}: ask {} → {}", policy.name(), before.ask, after.ask);
        }
        // The risk state's multiplier widens too.
        let (mut quoter, book) = book_of(calm);
        quoter.quote(&book, Lots(inventory), RiskAdjust { spread_multiplier: 2.0, size_multiplier: 1.0 });
        prop_assert!(quoter.decision().spread.bid >= before.bid && quoter.decision().spread.ask >= before.ask);
    }

    #[test]
    fn quotes_are_symmetric_about_the_centre_at_zero_inventory_when_calm(
        policy in any_policy(),
        top in any_top(),
        sigma in 0.05_f64..5.0,
        tau in 0.0_f64..1.0,
    ) {
        // Calm: volatility at its long-run level, no forced flow (the test's signals have none).
        let (mut quoter, book) = with_book(
            policy_quoter(policy, signals(top, tau, sigma, 1.0), 10),
            (top.bid.0, top.bid_qty.0),
            (top.ask.0, top.ask_qty.0),
        );
        let quotes = quoter.quote(&book, Lots(0), RiskAdjust::CALM);
        let decision = *quoter.decision();
        prop_assert_eq!(decision.spread.skew, 0.0);
        prop_assert_eq!(decision.spread.bid, decision.spread.ask);
        let (Some(bid), Some(ask)) = (quotes.bid, quotes.ask) else {
            return Err(TestCaseError::fail(format!("{quotes:?}")));
        };
        // Unless the never-cross guard moved one, each quote is its half-spread from the centre,
        // rounded outward by less than a tick.
        let centre = decision.centre;
        let half = decision.spread.bid;
        if bid.price.0 != top.ask.0 - 1 && ask.price.0 != top.bid.0 + 1 {
            let below = centre - bid.price.0 as f64;
            let above = ask.price.0 as f64 - centre;
            prop_assert!(below >= half - 1e-6 && below < half + 1.0 + 1e-6, "{below} vs {half}");
            prop_assert!(above >= half - 1e-6 && above < half + 1.0 + 1e-6, "{above} vs {half}");
        }
    }

    #[test]
    fn inventory_moves_both_quotes_away_from_growing_the_position(
        policy in any_policy(),
        top in any_top(),
        sigma in 0.05_f64..5.0,
        inventory in 1_i64..10,
    ) {
        let quote_at = |inventory: i64| {
            let (mut quoter, book) = with_book(
                policy_quoter(policy, signals(top, 0.0, sigma, 1.0), 50),
                (top.bid.0, top.bid_qty.0),
                (top.ask.0, top.ask_qty.0),
            );
            let quotes = quoter.quote(&book, Lots(inventory), RiskAdjust::CALM);
            (prices(quotes), quoter.decision().spread.skew)
        };
        let ((flat_bid, flat_ask), _) = quote_at(0);
        let ((long_bid, long_ask), long_skew) = quote_at(inventory);
        let ((short_bid, short_ask), short_skew) = quote_at(-inventory);
        // Long: the centre moves down, so we buy less readily and sell more readily.
        prop_assert!(long_skew > 0.0 && short_skew < 0.0, "{} {long_skew} {short_skew}", policy.name());
        prop_assert!(long_bid <= flat_bid && long_ask <= flat_ask);
        prop_assert!(short_bid >= flat_bid && short_ask >= flat_ask);
    }

    #[test]
    fn the_lfwm_leans_toward_forced_flow_within_its_cap(
        micro in 600_000.0_f64..640_000.0,
        offsets in proptest::collection::vec(-2_000.0_f64..2_000.0, 1..6),
        sizes in proptest::collection::vec(1_i64..20_000, 6),
        half_spread in 0.5_f64..100.0,
        wait in 0.0_f64..120.0,
    ) {
        let scale = Scale { tick: 0.1, lot: 0.001 };
        let config = LfwmConfig::default();
        let mut flow = ForcedFlow::new(&config, scale);
        let now = Nanos(1_000_000_000);
        // No forced flow: the microprice exactly.
        prop_assert_eq!(flow.update(now, Some(micro)).lfwm(micro, half_spread), micro);
        // Forced prints at one price on one side of the microprice pull the LFWM toward it,
        // monotonically as they accumulate, never past it, and never more than the cap.
        let side_sign = if offsets[0] >= 0.0 { 1.0 } else { -1.0 };
        let price_ticks = micro + side_sign * offsets[0].abs().max(1.0);
        let mut previous = micro;
        for size in sizes.iter().take(offsets.len()) {
            let liquidation = Liquidation {
                side: if side_sign > 0.0 { Side::Bid } else { Side::Ask },
                price: PriceE8(0),
                average_price: PriceE8((price_ticks * 0.1 * E8 as f64).round() as i64),
                qty: Lots(*size),
            };
            flow.on_liquidation(now, &liquidation);
            let reading = *flow.update(now, Some(micro));
            let lfwm = reading.lfwm(micro, half_spread);
            let cap = reading.cap.min(half_spread);
            prop_assert!((lfwm - micro).abs() <= cap + 1e-9);
            prop_assert!((lfwm - previous) * side_sign >= -1e-9, "{previous} → {lfwm}: not toward {price_ticks}");
            prop_assert!((price_ticks - lfwm) * side_sign >= -1e-6, "passes the flow");
            previous = lfwm;
        }
        prop_assert!(previous != micro, "the flow moved nothing");
        // Time passing without new prints: intensity decays with the time constant, and the
        // lean only shrinks.
        let start = *flow.update(now, Some(micro));
        let later_time = Nanos(now.0 + (wait * 1e9) as i64);
        let later = *flow.update(later_time, Some(micro));
        let expected = start.intensity * (-wait / config.tau_s).exp();
        prop_assert!((later.intensity - expected).abs() <= 1e-9 * start.intensity.max(1.0));
        prop_assert!(later.lean.abs() <= start.lean.abs() + 1e-9);
        let (lean_then, lean_later) =
            (start.lfwm(micro, half_spread) - micro, later.lfwm(micro, half_spread) - micro);
        prop_assert!(lean_later.abs() <= lean_then.abs() + 1e-9);
    }

    #[test]
    fn smoothing_rises_faster_than_it_falls(
        level in 0.0_f64..0.5,
        step in 0.01_f64..0.5,
        seconds in 0.05_f64..10.0,
    ) {
        let at = |s: f64| Nanos((s * 1e9) as i64);
        let mut up = AsymmetricSmoother::new(level, 1.0, 30.0);
        up.update(at(0.0), level);
        let rose = up.update(at(seconds), level + step) - level;
        let mut down = AsymmetricSmoother::new(level + step, 1.0, 30.0);
        down.update(at(0.0), level + step);
        let fell = level + step - down.update(at(seconds), level);
        prop_assert!(rose > fell, "rose {rose}, fell {fell}");
        prop_assert!((0.0..=1.0).contains(&up.value()) && (0.0..=1.0).contains(&down.value()));
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
