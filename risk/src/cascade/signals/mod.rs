//! [`CascadeSignals`]: the fingerprints of the cascade loop, each turned into a stress in
//! `[0, 1]` for the [detector](super::detector).
//!
//! - [`CascadeSignals`]: the estimators. Feed it every event of the instrument
//!   ([`on_event`](CascadeSignals::on_event): liquidations, open interest, mark price and funding,
//!   trades, feed status), every trusted completed book update
//!   ([`on_book`](CascadeSignals::on_book): depth within ±10 bps, spread, mid), the strategy's
//!   volatility ratio and toxicity ([`on_strategy`](CascadeSignals::on_strategy)), an optional
//!   options feed ([`on_options`](CascadeSignals::on_options)) and the engine's view of its own
//!   infrastructure ([`on_infrastructure`](CascadeSignals::on_infrastructure)); read the
//!   [`CascadeInputs`] of any moment with [`inputs`](CascadeSignals::inputs).
//! - [`SignalsConfig`]: time constants and the thresholds of every stress mapping (the
//!   `[cascade.signals]` table), checked with [`SignalsConfig::validate`].
//! - [`SignalsConfigError`]: the first bad field, named `cascade.signals.<field>`.
//!
//! ```
//! # use feeds::{Event, EventKind, InstrumentId, Nanos, OpenInterest, Lots, Seq};
//! # use risk::cascade::CascadeSignal;
//! # use risk::cascade::signals::{CascadeSignals, SignalsConfig};
//! // BTCUSDT: a tick of 0.1 USDT, a lot of 0.001 BTC.
//! let mut signals = CascadeSignals::new(&SignalsConfig::default(), 0.1, 0.001);
//! let second = |s: i64| Nanos(1_723_161_256 * Nanos::PER_SECOND + s * Nanos::PER_SECOND);
//! assert!(!signals.inputs(second(0)).reading(CascadeSignal::OpenInterest).known);
//! let oi = |lots| EventKind::OpenInterest(OpenInterest { qty: Lots(lots) });
//! signals.on_event(&Event::new(second(1), second(1), Seq(0), InstrumentId(0), oi(80_000_000)));
//! let inputs = signals.inputs(second(2));
//! assert!(inputs.reading(CascadeSignal::OpenInterest).known);
//! assert_eq!(inputs.reading(CascadeSignal::OpenInterest).stress, 0.0);
//! assert_eq!((inputs.priming, inputs.hard), (0.0, None)); // no options feed, nothing extreme
//! ```
//!
//! # The signals
//! Every reading has a raw measure (its [`SignalReading::value`]) and a stress that maps it
//! piecewise linearly from the measure's *calm* level (stress 0) through *warn* (0.5) to
//! *cascade* (1), clamped; the levels are [`SignalsConfig`] fields. Each concept has its own
//! private submodule, whose docs give the definitions, the defaults and the reasons for them
//! (read the source, or `cargo doc --document-private-items`):
//!
//! - `stress`: the mapping, and the freeze that keeps a baseline from learning a cascade while
//!   it lasts.
//! - `liquidations` ([`CascadeSignal::Liquidations`]): the value is the ratio of the decayed
//!   intensity of liquidation notional to its slow baseline (calm 1); the stress is the larger
//!   of the ratio's and, while liquidations flow above the baseline, the branching ratio's (the
//!   share of liquidations triggered by earlier ones). A high ratio with a large price move is
//!   [`HardTrigger::LiquidationSpike`].
//! - `open_interest` ([`CascadeSignal::OpenInterest`]): the fall of open interest `ΔOI/OI` over
//!   a short and a long window (5 and 15 minutes; calm 0), a stress only with the price moving.
//! - `mark` ([`CascadeSignal::Funding`], [`CascadeSignal::Basis`]): the predicted funding rate,
//!   a stress only as a flip from positive carry; and the mark − index basis as a z-score of its
//!   own history (calm 0).
//! - `book` ([`CascadeSignal::Depth`], [`CascadeSignal::Spread`]): the depth within ±10 bps and
//!   the spread, smoothed, over their median baselines (calm 1); a collapsed depth ratio is
//!   [`HardTrigger::DepthCollapse`].
//! - `strategy` ([`CascadeSignal::Volatility`], [`CascadeSignal::Toxicity`]): the strategy's
//!   fast/slow volatility ratio (calm 1), and its toxicity `τ` sustained (calm `toxicity_calm`).
//! - `options` ([`CascadeInputs::priming`]): the mean of the stresses of a term-structure
//!   inversion, a jump in short-dated implied volatility, and open interest concentrated near
//!   spot into expiry.
//! - `price`: the last mid or trade price on a 1-second grid, and its volatility, for the spike.
//! - `config`, `units`, `decay`: [`SignalsConfig`] and its validation, unit conversions, and the
//!   exponential decays and decayed averages the estimators share.
//!
//! **Infrastructure.** [`HardTrigger::Infrastructure`] while
//! [`on_infrastructure`](CascadeSignals::on_infrastructure) last said unhealthy, or after a
//! [`FeedCondition::Stale`] event until the next market event or a
//! [`FeedCondition::Reconnected`]. When several hard triggers hold, the first of
//! Infrastructure, LiquidationSpike, DepthCollapse is reported.
//!
//! # Knowing
//! A reading is `known` only once its data has arrived: liquidations after the first
//! liquidation, depth, spread and basis after `warmup_s` (30 s) of their own data (a baseline
//! needs history), liquidations also only after `warmup_s` of watching, the rest from their
//! first sample. Open interest, mark-price readings (funding, basis) and the strategy's
//! readings become unknown again when their last sample is older than `max_age_s` (300 s); the
//! book's readings keep their last values (a stale or untrusted book is the gate's and
//! [`on_infrastructure`](CascadeSignals::on_infrastructure)'s business).
//!
//! # Time
//! Time is event time. The estimators share one clock, the largest time seen: an input older
//! than it (the venue's streams are stamped by different clocks) counts as simultaneous, so
//! nothing decays by a negative interval. Readings do not depend on how often
//! [`inputs`](CascadeSignals::inputs) is called, except that the liquidation baseline's freeze
//! is decided at each update and each call.
//!
//! # Guarantees
//! No allocation after [`CascadeSignals::new`] (which allocates the branching-ratio ring), no
//! I/O, no clock. Deterministic: the same calls give the same readings, bit for bit. Bad input
//! (`NaN`, infinities, zero or negative prices and open interest, time going backwards) is
//! ignored or clamped, never a panic; only an invalid config passed to
//! [`CascadeSignals::new`] panics.

// The submodules are private: the public API is `CascadeSignals` here and the config types
// re-exported below. So the module docs name them without links, as rustdoc would make broken
// links of links to private items (`rustdoc::private_intra_doc_links`).
mod book;
mod config;
mod decay;
mod liquidations;
mod mark;
mod open_interest;
mod options;
mod price;
mod strategy;
mod stress;
#[cfg(test)]
mod test_support;
mod units;

pub use config::{SignalsConfig, SignalsConfigError};

use feeds::{Event, EventKind, FeedCondition, Nanos};

use super::{CascadeInputs, CascadeSignal, HardTrigger, SignalReading};
use book::{BookGauge, depth_stress, spread_stress};
use liquidations::LiquidationTrack;
use mark::MarkTrack;
use open_interest::OpenInterestTrack;
use options::OptionsTrack;
use price::PriceTrack;
use strategy::StrategyTrack;
use units::{E8, rate, seconds_between};

/// Whether a sample taken at `time` is still known at `now`: no older than `max_age_s`.
fn fresh(time: Nanos, now: Nanos, config: &SignalsConfig) -> bool {
    seconds_between(time, now) <= config.max_age_s
}

/// The cascade signals of one instrument: see the [module](self) docs.
#[derive(Clone, Debug)]
pub struct CascadeSignals {
    config: SignalsConfig,
    /// Quote currency per tick.
    tick: f64,
    /// Base units per lot.
    lot: f64,
    /// The first input's time; `None` before it.
    start: Option<Nanos>,
    /// The clock: the largest input time seen.
    now: Nanos,
    liquidations: LiquidationTrack,
    price: PriceTrack,
    open_interest: OpenInterestTrack,
    mark: MarkTrack,
    depth: BookGauge,
    spread: BookGauge,
    strategy: StrategyTrack,
    options: OptionsTrack,
    infrastructure_down: bool,
    feed_stale: bool,
}

impl CascadeSignals {
    /// Signals for an instrument whose tick is `tick` quote units and whose lot is `lot` base
    /// units (0.1 and 0.001 for Binance BTCUSDT). Allocates the branching-ratio ring; nothing
    /// after.
    ///
    /// # Panics
    /// If the config does not [validate](SignalsConfig::validate), or `tick` or `lot` is not
    /// positive and finite: construction bugs.
    pub fn new(config: &SignalsConfig, tick: f64, lot: f64) -> CascadeSignals {
        if let Err(error) = config.validate() {
            panic!("CascadeSignals::new with an invalid config: {error}");
        }
        assert!(
            tick > 0.0 && tick.is_finite(),
            "CascadeSignals::new: tick must be positive and finite, got {tick}"
        );
        assert!(
            lot > 0.0 && lot.is_finite(),
            "CascadeSignals::new: lot must be positive and finite, got {lot}"
        );
        CascadeSignals {
            config: *config,
            tick,
            lot,
            start: None,
            now: Nanos(i64::MIN),
            liquidations: LiquidationTrack::new(config),
            price: PriceTrack::new(config),
            open_interest: OpenInterestTrack::new(config),
            mark: MarkTrack::new(config),
            depth: BookGauge::new(config.depth_fast_half_life_s, config.depth_baseline_half_life_s),
            spread: BookGauge::new(config.spread_fast_half_life_s, config.spread_baseline_half_life_s),
            strategy: StrategyTrack::new(config),
            options: OptionsTrack::new(config),
            infrastructure_down: false,
            feed_stale: false,
        }
    }

    /// The config.
    pub fn config(&self) -> &SignalsConfig {
        &self.config
    }

    /// Moves the clock to `time` (never back) and returns it. The first call starts the
    /// watch: liquidations are counted from it.
    fn clock(&mut self, time: Nanos) -> Nanos {
        if self.start.is_none() {
            self.start = Some(time);
            self.liquidations.advance(time, &self.config);
        }
        self.now = self.now.max(time);
        self.now
    }

    /// One event of the instrument, at its exchange time: liquidations, open interest, mark
    /// price and funding, trades (their price), options readings, and feed status (a stale feed is an
    /// infrastructure trigger until the next market event or a reconnect). Book events are
    /// ignored: the book reaches the signals through [`on_book`](CascadeSignals::on_book).
    pub fn on_event(&mut self, event: &Event) {
        let kind = event.kind();
        let market = matches!(
            kind,
            EventKind::Trade(_)
                | EventKind::Liquidation(_)
                | EventKind::MarkPrice(_)
                | EventKind::OpenInterest(_)
                | EventKind::Options(_)
        );
        if !market && !matches!(kind, EventKind::FeedStatus(_)) {
            return;
        }
        let now = self.clock(event.exchange_time);
        if market {
            self.feed_stale = false;
        }
        match kind {
            EventKind::Liquidation(liquidation) => {
                let price = if liquidation.average_price.0 > 0 {
                    liquidation.average_price
                } else {
                    liquidation.price
                };
                let notional = liquidation.qty.0 as f64 * self.lot * price.0 as f64 / E8;
                if notional > 0.0 && notional.is_finite() {
                    self.liquidations.on_liquidation(now, notional, &self.config);
                }
            }
            EventKind::OpenInterest(open_interest) => {
                let reference = self.reference_price();
                self.open_interest.on_open_interest(now, open_interest.qty.0 as f64, reference);
            }
            EventKind::MarkPrice(mark) => {
                let to_ticks = |price: feeds::PriceE8| price.0 as f64 / E8 / self.tick;
                let funding = rate(mark.funding_rate);
                self.mark.on_mark(now, to_ticks(mark.mark), to_ticks(mark.index), funding, &self.config);
            }
            EventKind::Trade(trade) => self.price.on_price(now, trade.price.0 as f64),
            EventKind::Options(options) => {
                let (short, long, share) =
                    (rate(options.short_iv), rate(options.long_iv), rate(options.oi_near_spot_share));
                if OptionsTrack::accepts(short, long, share) {
                    self.options.on_options(now, short, long, share);
                }
            }
            EventKind::FeedStatus(status) => match status.condition {
                FeedCondition::Stale => self.feed_stale = true,
                FeedCondition::Reconnected => self.feed_stale = false,
                FeedCondition::Gap | FeedCondition::Resync => {}
            },
            _ => {}
        }
    }

    /// One trusted, completed book update at `time`: the notional resting within ±10 bps of
    /// the mid on both sides (quote currency), the spread in basis points, and the mid in ticks.
    /// Non-finite or negative values are ignored (each on its own).
    pub fn on_book(&mut self, time: Nanos, depth_notional: f64, spread_bps: f64, mid: f64) {
        let now = self.clock(time);
        let config = self.config;
        self.depth.update(now, depth_notional, 0.0, |ratio| depth_stress(ratio, &config));
        self.spread.update(now, spread_bps, config.spread_floor_bps, |ratio| spread_stress(ratio, &config));
        self.price.on_price(now, mid);
    }

    /// The strategy's fast/slow volatility ratio and toxicity `τ` at `time`. A non-finite or
    /// negative ratio, or a non-finite `τ`, is ignored (each on its own); `τ` is clamped to
    /// `[0, 1]`.
    pub fn on_strategy(&mut self, time: Nanos, vol_ratio: f64, toxicity: f64) {
        let now = self.clock(time);
        self.strategy.on_strategy(now, vol_ratio, toxicity);
    }

    /// An options reading at `time`: annualised at-the-money implied volatility of the
    /// short-dated (under 48 h) and longer-dated expiries, and the share of open interest at
    /// strikes near spot among expiries within 48 h. Ignored unless both vols are in
    /// `(0, 100]` and the share in `[0, 1]`.
    pub fn on_options(&mut self, time: Nanos, short_iv: f64, long_iv: f64, oi_near_spot_share: f64) {
        if !OptionsTrack::accepts(short_iv, long_iv, oi_near_spot_share) {
            return;
        }
        let now = self.clock(time);
        self.options.on_options(now, short_iv, long_iv, oi_near_spot_share);
    }

    /// The engine's view of its own infrastructure at `time`: false while a feed is down or
    /// stale beyond its limit, or the venue unreachable; [`HardTrigger::Infrastructure`] holds
    /// until it says true again.
    pub fn on_infrastructure(&mut self, time: Nanos, healthy: bool) {
        self.clock(time);
        self.infrastructure_down = !healthy;
    }

    /// The readings at `now` (the clock, if `now` is earlier), every decay advanced to it.
    /// The inputs' time is that clock.
    pub fn inputs(&mut self, now: Nanos) -> CascadeInputs {
        let now = self.clock(now);
        let config = self.config;
        let start = self.start.unwrap_or(now);
        self.liquidations.advance(now, &config);
        self.price.advance(now);

        let mut inputs = CascadeInputs::unknown(now);
        let known = |value: f64, stress: f64| SignalReading { value, stress, known: true };
        let depth_ratio = self.depth.warm_ratio(now, 0.0, config.warmup_s);
        let spread_ratio = self.spread.warm_ratio(now, config.spread_floor_bps, config.warmup_s);
        let readings = [
            (CascadeSignal::Liquidations, self.liquidations.reading(seconds_between(start, now), &config)),
            (CascadeSignal::OpenInterest, self.open_interest.reading(now, self.reference_price(), &config)),
            (CascadeSignal::Funding, self.mark.funding_reading(now, &config)),
            (CascadeSignal::Basis, self.mark.basis_reading(now, &config)),
            (CascadeSignal::Depth, depth_ratio.map(|ratio| known(ratio, depth_stress(ratio, &config)))),
            (CascadeSignal::Spread, spread_ratio.map(|ratio| known(ratio, spread_stress(ratio, &config)))),
            (CascadeSignal::Volatility, self.strategy.volatility_reading(now, &config)),
            (CascadeSignal::Toxicity, self.strategy.toxicity_reading(now, &config)),
        ];
        for (signal, reading) in readings {
            if let Some(reading) = reading {
                inputs.readings[signal.index()] = reading;
            }
        }
        if let Some(priming) = self.options.priming(now, &config) {
            inputs.priming = priming;
        }

        // Hard triggers.
        let spike = self.liquidations.spike(&self.price, &config);
        let collapse = depth_ratio.is_some_and(|ratio| ratio < config.depth_collapse);
        inputs.hard = if self.infrastructure_down || self.feed_stale {
            Some(HardTrigger::Infrastructure)
        } else if spike {
            Some(HardTrigger::LiquidationSpike)
        } else if collapse {
            Some(HardTrigger::DepthCollapse)
        } else {
            None
        };
        inputs
    }

    /// The branching ratio `n̂` of the liquidations as of the last update or
    /// [`inputs`](CascadeSignals::inputs) call; `None` while too few have been seen.
    pub fn branching_ratio(&self) -> Option<f64> {
        self.liquidations.branching(&self.config)
    }

    /// The price the open-interest signal compares: the mark (ticks) once one has been seen,
    /// else the last mid or trade; `NaN` before any.
    fn reference_price(&self) -> f64 {
        if self.mark.mark.is_finite() { self.mark.mark } else { self.price.last }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cascade::signals::test_support::*;
    use feeds::{InstrumentId, Liquidation, Lots, OpenInterest, PriceE8, Seq, Side};

    #[test]
    #[should_panic(
        expected = "CascadeSignals::new with an invalid config: cascade signals config: cascade.signals.depth_warn"
    )]
    fn an_invalid_config_is_a_construction_bug() {
        CascadeSignals::new(&SignalsConfig { depth_warn: 2.0, ..SignalsConfig::default() }, TICK, LOT);
    }

    #[test]
    #[should_panic(expected = "tick must be positive")]
    fn a_zero_tick_is_a_construction_bug() {
        CascadeSignals::new(&SignalsConfig::default(), 0.0, LOT);
    }

    #[test]
    fn nothing_is_known_before_data() {
        let mut signals = signals();
        let inputs = signals.inputs(at(0.0));
        assert_eq!(inputs.time, at(0.0));
        assert!(inputs.readings.iter().all(|reading| !reading.known && reading.stress == 0.0));
        assert_eq!((inputs.priming, inputs.hard), (0.0, None));
        // Time going backwards is the clock.
        assert_eq!(signals.inputs(at(-5.0)).time, at(0.0));
    }

    #[test]
    fn infrastructure_and_a_stale_feed_are_hard_triggers() {
        let mut signals = signals();
        signals.on_infrastructure(at(0.0), false);
        assert_eq!(signals.inputs(at(0.0)).hard, Some(HardTrigger::Infrastructure));
        signals.on_infrastructure(at(1.0), true);
        assert_eq!(signals.inputs(at(1.0)).hard, None);
        let stale = feeds::FeedStatus { condition: FeedCondition::Stale, expected: Seq(0), received: Seq(0) };
        signals.on_event(&event(2.0, EventKind::FeedStatus(stale)));
        assert_eq!(signals.inputs(at(2.0)).hard, Some(HardTrigger::Infrastructure));
        signals.on_event(&trade(3.0, 60_000.0));
        assert_eq!(signals.inputs(at(3.0)).hard, None);
    }

    // --- Robustness ---

    #[test]
    fn nonsense_and_time_going_backwards_never_panic() {
        let mut signals = signals();
        let nasty = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, 0.0, 1e300, -0.0, f64::MIN_POSITIVE];
        for (k, &x) in nasty.iter().enumerate() {
            let seconds = 100.0 - 10.0 * k as f64; // backwards
            signals.on_book(at(seconds), x, x, x);
            signals.on_strategy(at(seconds), x, x);
            signals.on_options(at(seconds), x, x, x);
            signals.on_event(&mark(seconds, x.clamp(-1e9, 1e9), 0.0, 0.0));
            signals.on_event(&liquidation(seconds, x.clamp(-1e6, 1e6), 60_000.0));
            signals.on_event(&open_interest(seconds, x.clamp(-1e9, 1e9)));
        }
        signals.on_event(&Event::new(
            Nanos(i64::MIN),
            Nanos(0),
            Seq(0),
            InstrumentId(0),
            EventKind::OpenInterest(OpenInterest { qty: Lots(i64::MIN) }),
        ));
        signals.on_event(&Event::new(
            Nanos(0),
            Nanos(0),
            Seq(0),
            InstrumentId(0),
            EventKind::Liquidation(Liquidation {
                side: Side::Bid,
                price: PriceE8(i64::MAX),
                average_price: PriceE8(i64::MIN),
                qty: Lots(i64::MAX),
            }),
        ));
        for seconds in [0.0, 50.0, 100.0, 1e6] {
            let inputs = signals.inputs(at(seconds));
            for reading in inputs.readings {
                assert!((0.0..=1.0).contains(&reading.stress), "{inputs:?}");
                assert!(!reading.known || !reading.value.is_nan(), "{inputs:?}");
            }
            assert!((0.0..=1.0).contains(&inputs.priming));
        }
        // The far future, then the far past.
        let far = signals.inputs(Nanos(i64::MAX));
        assert_eq!(far.time, Nanos(i64::MAX));
        assert_eq!(signals.inputs(Nanos(i64::MIN)).time, Nanos(i64::MAX));
    }

    #[test]
    fn readings_do_not_depend_on_how_often_they_are_read() {
        // Synthetic book and mark-price streams, read every 10 ms by one copy and every 5 s by
        // another: the same readings at the common times (up to rounding).
        let mut often = signals();
        let mut seldom = signals();
        for k in 0..6000 {
            let seconds = 0.05 * f64::from(k);
            let depth = 20e6 * (1.0 + 0.5 * (seconds / 7.0).sin());
            let spread = 0.016 * (1.0 + (seconds / 3.0).cos().abs());
            for signals in [&mut often, &mut seldom] {
                signals.on_book(at(seconds), depth, spread, 600_000.0 + (seconds / 5.0).sin() * 30.0);
                if k % 20 == 0 {
                    signals.on_event(&mark(seconds, 60_000.0 + seconds.sin(), 60_000.0, 0.0001));
                    signals.on_event(&open_interest(seconds, 80_000.0 - seconds));
                }
            }
            often.inputs(at(seconds + 0.01));
            if k % 100 == 99 {
                let a = often.inputs(at(seconds + 0.02));
                let b = seldom.inputs(at(seconds + 0.02));
                for (x, y) in a.readings.iter().zip(&b.readings) {
                    assert_eq!(x.known, y.known);
                    if x.known {
                        close(x.value, y.value, 1e-9 * x.value.abs().max(1.0));
                        close(x.stress, y.stress, 1e-9);
                    }
                }
            }
        }
    }
}
