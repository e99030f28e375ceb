//! The quoter on the real Binance USD-M BTCUSDT recording (2024-08-08, ~94k frames): every
//! event goes through the feed's decoder, sequencer and book, then to the quoter, which is
//! asked for quotes at every completed book update and at every frame end.
//!
//! - `quotes_on_the_btcusdt_recording_never_cross_and_stay_on_grid`: the quote invariants on
//!   every quote, for every policy, and the microprice inside the touch; the fixed policy's
//!   prices recomputed independently.
//! - `the_quoter_allocates_nothing_per_event`: `on_event` and `quote` counted with a counting
//!   allocator over the whole recording, for every policy.
//! - `replaying_twice_gives_identical_quotes`: a digest of every quote, two passes.
//! - `a_calm_tape_gives_mostly_tight_spreads`: the distributions of τ, σ and the half-spread
//!   of the default (toxicity-aware) quoter over the recording, printed, and checked.

use feeds::{Event, Lots, OrderBook};
use strategy::{ConfiguredQuoter, PolicyKind, Quotes, RiskAdjust, StrategyConfig, TopOfBook};
use testkit::replay::Replay;

#[global_allocator]
static ALLOCATOR: testkit::CountingAllocator = testkit::CountingAllocator;

use testkit::thread_allocations as allocations;

// ---------------------------------------------------------------------------------------------
// The pass

/// Inventories cycled through, one per quote, so every pass exercises skew both ways and both
/// inventory limits (the default `max_inventory` is 10).
const INVENTORIES: [i64; 6] = [0, 3, -3, 10, -10, 7];

/// What one pass saw.
#[derive(Default, Debug)]
struct Pass {
    quotes: u64,
    /// Quotes asked while the book was untrusted (all must be `NONE`).
    untrusted: u64,
    two_sided: u64,
    bid_only: u64,
    ask_only: u64,
    /// Quotes whose bid or ask was held back from crossing the book.
    clamped: u64,
    /// Allocations inside `on_event` and `quote`.
    allocations: u64,
    /// FNV-1a over every quote's prices and sizes.
    digest: u64,
    /// Once per second of exchange time: τ, σ (bps/√s) and the mean final half-spread in bps,
    /// at zero inventory.
    samples: Vec<(f64, f64, f64)>,
    next_sample: i64,
}

impl Pass {
    fn fold(&mut self, value: i64) {
        for byte in value.to_le_bytes() {
            self.digest = (self.digest ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Replays the recording through the quoter `config` describes, checking every quote.
fn run(config: StrategyConfig) -> Pass {
    let mut replay = Replay::open();
    let mut quoter = ConfiguredQuoter::from_config(config, replay.tick(), replay.lot());
    let mut pass =
        Pass { digest: 0xcbf2_9ce4_8422_2325, samples: Vec::with_capacity(1024), ..Pass::default() };
    let quote = |quoter: &mut ConfiguredQuoter, book: &OrderBook, pass: &mut Pass| {
        let inventory = Lots(INVENTORIES[(pass.quotes % INVENTORIES.len() as u64) as usize]);
        let before = allocations();
        let quotes = quoter.quote(book, inventory, RiskAdjust::CALM);
        pass.allocations += allocations() - before;
        check(quoter, book, inventory, &config, quotes, pass);
        let decision = quoter.decision();
        let time = decision.time.0;
        if inventory.0 == 0 && decision.fair_value.is_some() && time >= pass.next_sample {
            pass.next_sample = time - time % 1_000_000_000 + 1_000_000_000;
            let signals = quoter.signals();
            let bps = 10_000.0 / decision.microprice;
            pass.samples.push((
                signals.toxicity.value,
                signals.volatility.sigma * 10_000.0,
                decision.half_spread() * bps,
            ));
        }
    };
    while replay.next_frame(|event: &Event, book: &OrderBook| {
        let before = allocations();
        quoter.on_event(event, book);
        pass.allocations += allocations() - before;
        if event.is_last_of_update() {
            quote(&mut quoter, book, &mut pass);
        }
    }) {
        // Between frames the book is always at a whole update: quote there too, which covers
        // the ticker and trade frames before the snapshot, when the book is untrusted.
        quote(&mut quoter, &replay.book, &mut pass);
    }
    assert_eq!(replay.frames, 93_954);
    pass
}

/// The invariants of one quote.
fn check(
    quoter: &ConfiguredQuoter,
    book: &OrderBook,
    inventory: Lots,
    config: &StrategyConfig,
    quotes: Quotes,
    pass: &mut Pass,
) {
    pass.quotes += 1;
    if !book.is_trusted() {
        pass.untrusted += 1;
        assert_eq!(quotes, Quotes::NONE, "quote #{} from an untrusted book", pass.quotes);
        return;
    }
    let top = TopOfBook::of(book).expect("a trusted book at a whole update is two-sided and uncrossed");
    let signals = quoter.signals();
    // The signals see the book the quote was asked for.
    assert_eq!(signals.top, Some(top));
    let microprice = signals.microprice.expect("a microprice with a trusted book");
    let weighted = signals.weighted_microprice.expect("a weighted microprice with a trusted book");
    assert!(
        (top.bid.0 as f64..=top.ask.0 as f64).contains(&weighted),
        "microprice {weighted} outside {top:?}"
    );
    if config.microprice == strategy::config::MicropriceKind::Weighted {
        assert_eq!(microprice, weighted);
    } else if let Some(adjustment) = signals.stoikov_adjustment {
        assert_eq!(microprice, top.mid() + adjustment);
    }
    let fair = quoter.last_fair_value().expect("a fair value with a trusted book");
    let decision = quoter.decision();
    let spread = decision.spread;
    // The lean toward forced flow never passes its cap or the half-spread.
    let lean_cap = spread.bid.min(spread.ask).min(signals.forced.cap);
    assert!((fair - microprice).abs() <= lean_cap + 1e-9, "lean {} over {lean_cap}", fair - microprice);
    // The half-spreads are within [floor, cap], the floor at least one tick here.
    assert!(spread.floor >= config.min_half_spread_ticks && spread.floor <= spread.cap);
    for half in [spread.bid, spread.ask] {
        assert!((spread.floor..=spread.cap).contains(&half), "{spread:?}");
    }
    // Where the quotes would sit without the book. For the fixed policy this is recomputed
    // here from the config (the skew ratio clamps at ±1); for the others it is the decision's
    // own centre and half-spreads, whose bounds are checked above.
    let (centre, half_bid, half_ask) = if config.policy == PolicyKind::Fixed {
        // The policy scales by the microprice; the centre is the fair value less the skew.
        let half = (microprice * config.fixed.half_spread_bps / 10_000.0).max(spread.floor);
        let ratio = (inventory.0 as f64 / config.max_inventory.0 as f64).clamp(-1.0, 1.0);
        (fair - microprice * config.fixed.skew_bps_at_max_inventory / 10_000.0 * ratio, half, half)
    } else {
        (decision.centre, spread.bid, spread.ask)
    };
    // Long inventory never raises the centre above the fair value, short never lowers it.
    assert!(inventory.0 * (centre - fair).signum() as i64 <= 0 || (centre - fair).abs() < 1e-9);
    let tolerance = 1e-6;
    let mut clamped = false;
    if let Some(bid) = quotes.bid {
        assert!(bid.price < top.ask, "bid {bid:?} would take the ask {top:?}");
        assert!(
            bid.qty.0 > 0 && bid.qty <= config.order_qty && inventory.0 + bid.qty.0 <= config.max_inventory.0
        );
        let ideal = centre - half_bid;
        // On the grid, rounded down: the highest tick at or below the ideal bid, or held at
        // one tick under the best ask.
        let on_grid = bid.price.0 as f64 <= ideal + tolerance && bid.price.0 as f64 > ideal - 1.0 - tolerance;
        clamped |= !on_grid;
        assert!(on_grid || bid.price.0 == top.ask.0 - 1, "bid {bid:?} for ideal {ideal}, {top:?}");
    } else {
        assert!(inventory >= config.max_inventory, "no bid at inventory {inventory:?}");
    }
    if let Some(ask) = quotes.ask {
        assert!(ask.price > top.bid, "ask {ask:?} would take the bid {top:?}");
        assert!(
            ask.qty.0 > 0
                && ask.qty <= config.order_qty
                && inventory.0 - ask.qty.0 >= -config.max_inventory.0
        );
        let ideal = centre + half_ask;
        let on_grid =
            ask.price.0 as f64 >= ideal - tolerance && (ask.price.0 as f64) < ideal + 1.0 + tolerance;
        clamped |= !on_grid;
        assert!(on_grid || ask.price.0 == top.bid.0 + 1, "ask {ask:?} for ideal {ideal}, {top:?}");
    } else {
        assert!(inventory.0 <= -config.max_inventory.0, "no ask at inventory {inventory:?}");
    }
    match (quotes.bid, quotes.ask) {
        (Some(bid), Some(ask)) => {
            assert!(bid.price < ask.price, "{quotes:?}");
            pass.two_sided += 1;
        }
        (Some(_), None) => pass.bid_only += 1,
        (None, Some(_)) => pass.ask_only += 1,
        (None, None) => panic!("no quotes from a trusted book at inventory {inventory:?}"),
    }
    pass.clamped += u64::from(clamped);
    for level in [quotes.bid, quotes.ask] {
        let (price, qty) = level.map_or((0, 0), |level| (level.price.0, level.qty.0));
        pass.fold(price);
        pass.fold(qty);
    }
}

/// The config with `policy` and otherwise the defaults.
fn with_policy(policy: PolicyKind) -> StrategyConfig {
    StrategyConfig { policy, ..StrategyConfig::default() }
}

const POLICIES: [PolicyKind; 4] =
    [PolicyKind::Fixed, PolicyKind::AvellanedaStoikov, PolicyKind::Glft, PolicyKind::ToxicityAware];

#[test]
fn quotes_on_the_btcusdt_recording_never_cross_and_stay_on_grid() {
    for policy in POLICIES {
        let pass = run(with_policy(policy));
        eprintln!("{}: {:?}", policy.name(), Pass { samples: Vec::new(), ..pass });
        // Before the snapshot (~0.3 s in) the ticker and trade frames find the book untrusted.
        assert!(pass.untrusted > 0, "{pass:?}");
        // After it, everything is quoted: both sides, or one at an inventory limit (a third of
        // the quotes are asked at ±max_inventory).
        assert!(pass.two_sided > 60_000, "{pass:?}");
        assert!(pass.bid_only > 10_000 && pass.ask_only > 10_000, "{pass:?}");
        assert_eq!(pass.quotes, pass.untrusted + pass.two_sided + pass.bid_only + pass.ask_only);
    }

    // Stoikov's micro-price may leave the touch (its adjustment reaches ±18 ticks here); the
    // quotes still never cross.
    let stoikov =
        StrategyConfig { microprice: strategy::config::MicropriceKind::Stoikov, ..StrategyConfig::default() };
    let pass = run(stoikov);
    assert!(pass.two_sided > 60_000, "{:?}", Pass { samples: Vec::new(), ..pass });
    assert_eq!(pass.allocations, 0);

    // The microprice never leaves the touch, so only a skew larger than the half-spread pushes
    // a quote across the book: half a tick of spread and up to 1 bp (about 62 ticks) of skew
    // make the post-only clamp work on real books.
    let mut tight = with_policy(PolicyKind::Fixed);
    tight.fixed.half_spread_bps = 0.0;
    tight.fixed.skew_bps_at_max_inventory = 1.0;
    tight.min_half_spread_ticks = 0.5;
    tight.maker_fee_bps = 0.0;
    let pass = run(tight);
    assert!(pass.clamped > 10_000, "{:?}", Pass { samples: Vec::new(), ..pass });
}

#[test]
fn the_quoter_allocates_nothing_per_event() {
    for policy in POLICIES {
        let pass = run(with_policy(policy));
        assert!(pass.quotes > 90_000);
        assert_eq!(pass.allocations, 0, "{}: {} allocations", policy.name(), pass.allocations);
    }
}

#[test]
fn replaying_twice_gives_identical_quotes() {
    let (first, second) = (run(StrategyConfig::default()), run(StrategyConfig::default()));
    eprintln!("quote digest {:016x} over {} quotes", first.digest, first.quotes);
    assert_eq!((first.digest, first.quotes), (second.digest, second.quotes));
}

/// The `p` quantile (nearest rank) of `values`.
fn quantile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1]
}

#[test]
fn a_calm_tape_gives_mostly_tight_spreads() {
    let config = StrategyConfig::default();
    let pass = run(config);
    assert!(pass.samples.len() > 300, "{} samples", pass.samples.len());
    let mut table = String::from("per second, zero inventory, default config (toxicity_aware):\n");
    let column = |index: usize| {
        pass.samples.iter().map(|sample| [sample.0, sample.1, sample.2][index]).collect::<Vec<_>>()
    };
    let mut percentiles = Vec::new();
    for (index, name) in ["tau", "sigma_bps_per_sqrt_s", "half_spread_bps"].iter().enumerate() {
        let mut values = column(index);
        let row: Vec<f64> = [0.1, 0.5, 0.9, 0.99, 1.0].iter().map(|&p| quantile(&mut values, p)).collect();
        table += &format!(
            "  {name:<22} p10 {:>8.4}  p50 {:>8.4}  p90 {:>8.4}  p99 {:>8.4}  max {:>8.4}\n",
            row[0], row[1], row[2], row[3], row[4]
        );
        percentiles.push(row);
    }
    eprintln!("{table}");
    for (tau, sigma, half) in &pass.samples {
        assert!((0.0..=1.0).contains(tau) && sigma.is_finite() && *sigma > 0.0 && half.is_finite());
    }
    // Mostly tight: the median half-spread is within 1.5x the tightest the policy quoted
    // over the run (p10), and the widest moments are exceptions, not the rule.
    let half = &percentiles[2];
    assert!(half[1] <= 1.5 * half[0], "median half-spread {} vs p10 {}", half[1], half[0]);
}
