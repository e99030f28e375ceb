//! The toxicity score `τ ∈ [0, 1]`: how hard takers are leaning on the book right now.
//!
//! - [`Toxicity`]: the estimator. Feed it every event of the instrument (see *Driving it*) and
//!   read [`Toxicity::reading`].
//! - [`ToxicityReading`]: the smoothed score `τ`, the unsmoothed weighted score, and each
//!   component's raw value and causal percentile.
//! - [`ToxicityComponent`]: the six measurements, in the order of
//!   [`ToxicityReading::components`].
//! - [`ToxicityConfig`]: windows, weights and smoothing (the `[strategy.toxicity]` table),
//!   checked with [`ToxicityConfig::validate`].
//!
//! ## How `τ` is made
//! 1. Six components `x_c` are kept current from trades, taker bursts, tops of book and our own
//!    fills (table below). None has a natural scale that means "toxic" across instruments and
//!    regimes, so each is judged against its own recent past.
//! 2. On a fixed event-time grid, at every multiple of `sample_interval_ms` (100 ms) since the
//!    epoch, each component's value is ranked against its own last `history_samples` (3 000,
//!    five minutes) grid values with the mid-rank percentile
//!    `p_c = (#{h < x_c} + #{h = x_c}/2) / n` ([`TrailingWindow::rank`]), **before** `x_c` joins
//!    that history: a value is never ranked against itself or anything later. `p_c` is `None`
//!    while fewer than `min_history` (50) values are held, or while `x_c` is undefined (`NaN`,
//!    which never enters the history).
//! 3. Each percentile becomes a stress `s_c = max(0, (p_c − p₀) / (1 − p₀))` with
//!    `p₀ = calm_percentile` (0.75): only a component in the top quarter of its own recent past
//!    counts, rising linearly to 1 at its maximum. Then
//!    `raw = Σ w_c s_c / Σ w_c` over the components that have a percentile (weights
//!    renormalised over them); 0 when none has one. With `p₀ = 0` this is the plain weighted
//!    mean of percentiles; that version averages 0.5 on any tape by construction (a percentile
//!    is uniform over its own history), and with the slow fall of step 4 it sat near 0.67 on the
//!    calm BTCUSDT recording, widening every quote by two thirds of `a_τ` for no reason. With
//!    `p₀ = 0.75` a calm tape gives `τ` near 0.2 and a tape where every component is at its
//!    recent extreme still reaches 1.
//! 4. `τ` follows `raw` through an [`AsymmetricSmoother`] updated at every grid sample: it rises
//!    with half-life `rise_half_life_s` (1 s) and falls with `fall_half_life_s` (30 s), so a
//!    warning is raised at once and withdrawn with care. A sample's target is taken to have held
//!    since the previous sample.
//!
//! Percentiles make `τ` relative: in a stationary market each is uniform on `[0, 1]`, so `raw`
//! hovers around 0.5 and `τ`, quick to rise and slow to fall, sits above it (p10/p50/p90 of
//! 0.56/0.67/0.76 on the calm BTCUSDT recording). A consumer should read `τ` against that
//! level, not against 0; `τ` near 1 means every component is at the top of its recent range.
//!
//! A sample at grid time `g` sees exactly the events before `g`: the grid is crossed in
//! [`Toxicity::on_time`], which the caller runs first on every event. When one event skips
//! many grid points (a quiet market, a feed gap, a day between sessions) the estimator samples
//! once, at the latest grid point, and the smoother uses the whole elapsed time: the cost of an
//! event never depends on how long the market was silent, and dead air does not flood the
//! histories with copies of an idle state. The histories thus hold one sample per grid
//! interval in which something happened; on a liquid perpetual that is every interval.
//!
//! ## The components
//! Each is `NaN` (undefined) where said; defaults in parentheses.
//! - `crossing`: bps the microprice `m` moved over the last `crossing_window_s` `W` (5 s), per
//!   $1M of aggressive (taker-burst) notional `N` in that window:
//!   `x = |m(g) − m(g − W)| / m(g − W) · 10⁴ / (max(N, N_min) / 10⁶)`, `N_min` =
//!   `crossing_min_notional` (100 000 quote). Undefined without a microprice at the start.
//! - `sweep_depth`: notional-weighted, decayed mean of the levels `L_i` eaten per taker burst,
//!   `x = Σ w_i L_i / Σ w_i` with `w_i = n_i e^(−(t − t_i)/τ_s)`, `n_i` the burst's notional,
//!   `τ_s` = `sweep_time_constant_s` (5 s). Undefined before the first burst.
//! - `order_flow_imbalance`: Cont–Kukanov–Stoikov order-flow imbalance over the last
//!   `ofi_window_s` (10 s) relative to the mean depth at the top over the same tops,
//!   `x = |Σ e_n| / D̄` with `D̄ = mean((q^b_n + q^a_n) / 2)`. Undefined with no top (or no
//!   depth) in the window.
//! - `vpin`: `x = Σ_j |V^B_j − V^S_j| / Σ_j (V^B_j + V^S_j)` over the last `vpin_buckets` (50)
//!   completed buckets of `vpin_bucket_notional` (1 000 000) quote currency, with exact
//!   aggressor sides. Undefined until `vpin_buckets` buckets have completed.
//! - `markout`: qty-weighted, decayed mean (time constant `markout_time_constant_s`, 60 s) of
//!   our fills' adverse markouts `markout_horizon_s` (5 s) after them, in half-spreads.
//!   Undefined until a fill has been marked.
//! - `intensity`: `x = λ̂_fast / λ̂_slow`, the arrival rate of trade prints with an exponential
//!   kernel of time constant `intensity_fast_s` (1 s) over the same with `intensity_slow_s`
//!   (300 s). Undefined before any time has passed.
//!
//! Defaults weight them 0.25, 0.15, 0.20, 0.15, 0.10, 0.15 in that order.
//!
//! **Crossing.** Price moved per dollar of aggression is Kyle's λ measured over seconds: in a
//! thin or one-sided book a little taker flow moves price far. The start price is the
//! microprice when the window opened; `N` sums [`TakerBurst::notional`] in the window's time
//! buckets (buckets of one `sample_interval_ms`, so the window is a whole number of them and a
//! burst counts in the bucket of the time it is reported, at most 10 ms after its prints). A
//! window with little or no aggressive notional does not divide by (nearly) zero: `N` is
//! floored at `N_min`, so a move with no aggression still counts as a move, at the rate of
//! `N_min` (quotes pulled without a trade are a warning too), and a quiet market's tick-sized
//! wobble of the microprice over a handful of small prints does not look like a crash.
//! Default `N_min` ($0.1M) is the smallest 5 s taker notional on the BTCUSDT recording (median
//! $0.84M); an illiquid instrument needs a smaller one.
//!
//! **Sweep depth.** A taker that walks several levels either has urgent information or is being
//! liquidated. Weighting by notional lets one large sweep outweigh many one-lot prints, which
//! an unweighted mean of levels (88 % of BTCUSDT bursts eat one level) would dilute. Without new
//! bursts the mean keeps its last value (no new evidence) while its weight decays, so the next
//! burst after a lull dominates it.
//!
//! **Order-flow imbalance.** Cont, Kukanov & Stoikov (2014) define the contribution of the
//! `n`-th change of the top of book, with `P^b, q^b` the best bid and its size and `P^a, q^a`
//! the best ask and its size:
//!
//! `e_n = 1{P^b_n ≥ P^b_{n−1}} q^b_n − 1{P^b_n ≤ P^b_{n−1}} q^b_{n−1}
//!       − 1{P^a_n ≤ P^a_{n−1}} q^a_n + 1{P^a_n ≥ P^a_{n−1}} q^a_{n−1}`,
//!
//! and show that over an interval the mid moves by about `OFI / (2 D)` ticks, where
//! `OFI = Σ e_n` over the interval and `D` is the depth at the top: `|OFI| / D̄` is twice the
//! mid move, in ticks, that the order flow pushes for, toxic in either direction. `e_n` is taken between consecutive tops passed
//! to [`Toxicity::on_top`] (the first top has none; the first after a resync spans the gap, an
//! outlier that leaves the window with it); the ring of time buckets that holds the
//! crossing notional holds `Σ e_n`, `Σ (q^b + q^a)/2` and the count of tops per bucket.
//!
//! **VPIN.** Easley, López de Prado & O'Hara (2012) measure flow toxicity as the mean absolute
//! buy–sell imbalance over equal-volume buckets. They classify volume with bulk-volume
//! classification because their data had no aggressor flag; ours does, so every print's
//! notional goes to the buy (`Bid` aggressor) or sell side exactly. Buckets are in quote
//! notional, not base volume, so one size fits an instrument at any price. A print that
//! overfills the open bucket is split at the boundary; one larger than the whole window fills
//! every bucket of it (only the window is kept). The default $1M bucket fills about every
//! 2.3 s on the BTCUSDT recording ($150M in 345 s), so the 50-bucket window spans about two
//! minutes of flow. VPIN is defined only over a full window, as the paper defines it: a mean
//! over fewer buckets has a wider distribution and would be ranked against a different quantity.
//!
//! **Markout.** For each of our fills, `markout_horizon_s` after it (in event time), with `M` the
//! last mid seen at the horizon (the top of the book as of that instant: fills mature in
//! [`Toxicity::on_time`], before the event that crosses the horizon is applied):
//! `adverse = (P − M) / h` for a buy, `(M − P) / h` for a sell, `P` the fill price and `h` the
//! half-spread we were quoting (ticks). `−1` is a fill that kept its half-spread (the mid did
//! not move), `0` one that broke even, positive one that lost: the takers knew. Ratios are
//! clamped to `±10⁶` half-spreads (a data error beyond that) so the mean stays finite. Pending
//! fills wait in a ring of `markout_capacity` (256); when it is full the oldest is dropped and
//! counted ([`Toxicity::dropped_fills`]), as is a fill that matures before any top was seen.
//! Fills with a non-positive size or half-spread are ignored.
//!
//! **Intensity.** A Hawkes (1971) process with an exponential kernel has intensity
//! `λ(t) = μ + Σ_{t_i < t} α e^(−(t − t_i)/τ)`; the kernel sum is what a burst of arrivals
//! excites. We do not fit a Hawkes model: we compare the kernel-smoothed arrival rate of trade
//! prints at a fast time constant with the same at a slow one,
//! `λ̂_τ(t) = Σ e^(−(t − t_i)/τ) / (τ (1 − e^(−(t − t_0)/τ)))`, where the second factor
//! (`t_0` the first event seen) removes the start-up bias, so that a steady rate gives a
//! ratio of 1 from the first seconds on, and a self-exciting cluster gives a ratio well
//! above 1.
//!
//! ## Driving it
//! Per event, with its exchange time: [`Toxicity::on_time`] first (crosses the grid, matures
//! fills), then by kind [`Toxicity::on_trade`] for each print, [`Toxicity::on_burst`] for each
//! taker burst the [`BurstDetector`](crate::taker::BurstDetector) closes, and
//! [`Toxicity::on_top`] at each completed update of a trusted book. Our own fills go to
//! [`Toxicity::on_own_fill`]. Each of these also advances time itself, so a caller that skips
//! `on_time` loses nothing but the exact grid timing.
//!
//! ## Time, robustness, cost
//! - Time is the [`Nanos`] passed in, never a clock. An input older than the latest seen is
//!   treated as simultaneous with it (the venue's streams are stamped by different clocks).
//!   Times are clamped to `[0, 2⁶²)` ns (1970 to 2116) so no difference of two can overflow.
//! - No input panics: `NaN` or infinite prices and half-spreads are ignored, zero depth leaves
//!   OFI undefined, huge sizes are summed in `f64`, and a component whose value is not finite
//!   is undefined for that sample.
//! - Everything is allocated in [`Toxicity::new`]: six histories of `history_samples` (two
//!   `f64` arrays each), the bucket ring, the VPIN ring and the pending-fill ring. An event
//!   that crosses no grid point costs a few comparisons and additions; a grid sample ranks six
//!   values against their histories (`6 × history_samples` comparisons, a few µs at 3 000).
//! - Deterministic: the same inputs give bit-identical readings.
//!
//! ## References
//! - R. Cont, A. Kukanov, S. Stoikov, "The price impact of order book events", *Journal of
//!   Financial Econometrics* 12(1), 2014, pp. 47–88 (order-flow imbalance and its price impact).
//! - D. Easley, M. López de Prado, M. O'Hara, "Flow toxicity and liquidity in a high-frequency
//!   world", *Review of Financial Studies* 25(5), 2012, pp. 1457–1493 (VPIN).
//! - A. G. Hawkes, "Spectra of some self-exciting and mutually exciting point processes",
//!   *Biometrika* 58(1), 1971, pp. 83–90.

mod buckets;
mod config;
mod intensity;
mod markout;
#[cfg(test)]
mod test_support;
// The estimator's own tests, out of line: inline they would take this file past 40 KB.
#[cfg(test)]
mod tests;
mod vpin;

pub use config::ToxicityConfig;

use crate::decay::{AsymmetricSmoother, Decay, DecayedMean};
use crate::scale::Scale;
use crate::signals::TopOfBook;
use crate::taker::TakerBurst;
use crate::window::TrailingWindow;
use buckets::{Buckets, order_flow};
use feeds::{Lots, Nanos, Side, Ticks, Trade};
use intensity::Intensity;
use markout::Markouts;
use serde::{Serialize, Serializer};
use vpin::Vpin;

/// Nanoseconds in one second, as `f64`.
const NANOS_PER_SEC: f64 = 1e9;
/// Nanoseconds in one millisecond.
const NANOS_PER_MILLI: i64 = 1_000_000;
/// Input times are clamped to `[0, MAX_TIME]`: any difference of two fits an `i64`.
const MAX_TIME: i64 = i64::MAX / 2;
/// Largest notional one burst contributes (quote currency), so that sums stay finite.
const MAX_NOTIONAL: f64 = 1e18;

// ---------------------------------------------------------------------------------------------
// Readings

/// One of the six measurements behind the toxicity score (see the [module docs](self) for
/// each formula).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToxicityComponent {
    /// Basis points the microprice moved per $1M of aggressive notional.
    Crossing,
    /// Levels eaten per taker burst (notional-weighted, decayed).
    SweepDepth,
    /// Cont–Kukanov–Stoikov order-flow imbalance relative to top-of-book depth, absolute.
    OrderFlowImbalance,
    /// Volume-synchronised probability of informed trading, with exact aggressor sides.
    Vpin,
    /// Our own fills' adverse markouts, in half-spreads.
    Markout,
    /// Fast over slow arrival rate of trade prints.
    Intensity,
}

impl ToxicityComponent {
    /// Every component, in the order of [`ToxicityReading::components`].
    pub const ALL: [ToxicityComponent; 6] = [
        ToxicityComponent::Crossing,
        ToxicityComponent::SweepDepth,
        ToxicityComponent::OrderFlowImbalance,
        ToxicityComponent::Vpin,
        ToxicityComponent::Markout,
        ToxicityComponent::Intensity,
    ];

    /// Snake-case name, as in reports, JSON and the config's `<name>_weight` fields.
    pub const fn name(self) -> &'static str {
        match self {
            ToxicityComponent::Crossing => "crossing",
            ToxicityComponent::SweepDepth => "sweep_depth",
            ToxicityComponent::OrderFlowImbalance => "order_flow_imbalance",
            ToxicityComponent::Vpin => "vpin",
            ToxicityComponent::Markout => "markout",
            ToxicityComponent::Intensity => "intensity",
        }
    }

    /// Position in [`ToxicityComponent::ALL`] and [`ToxicityReading::components`].
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// One component at the last grid sample.
///
/// Equality treats two undefined (`NaN`) raw values as equal, so that readings (and the
/// `Signals` holding them) compare equal when they say the same thing.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ComponentReading {
    /// The component's value (units in the [module docs](self)); `NaN` while undefined.
    #[serde(serialize_with = "finite_or_none")]
    pub raw: f64,
    /// Causal mid-rank percentile of `raw` among the component's previous grid samples, in
    /// `[0, 1]`; `None` while `raw` is undefined or the history is shorter than `min_history`.
    pub percentile: Option<f64>,
}

impl ComponentReading {
    /// Nothing known: `raw` `NaN`, no percentile.
    pub const UNDEFINED: ComponentReading = ComponentReading { raw: f64::NAN, percentile: None };
}

impl Default for ComponentReading {
    fn default() -> ComponentReading {
        ComponentReading::UNDEFINED
    }
}

impl PartialEq for ComponentReading {
    fn eq(&self, other: &ComponentReading) -> bool {
        (self.raw == other.raw || (self.raw.is_nan() && other.raw.is_nan()))
            && self.percentile == other.percentile
    }
}

/// `NaN` (undefined) serialises as `None` (`null`), not as a format-dependent number.
fn finite_or_none<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.is_nan() { serializer.serialize_none() } else { serializer.serialize_f64(*value) }
}

/// The toxicity score at the last grid sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ToxicityReading {
    /// `τ`: the smoothed score, in `[0, 1]`. 0 before the first sample.
    pub value: f64,
    /// The weighted mean of the components' percentiles before smoothing, in `[0, 1]`; 0 when
    /// no component has a percentile.
    pub raw: f64,
    /// Each component, in [`ToxicityComponent::ALL`] order.
    pub components: [ComponentReading; 6],
}

impl ToxicityReading {
    /// The reading of `component`.
    #[inline]
    pub fn component(&self, component: ToxicityComponent) -> &ComponentReading {
        &self.components[component.index()]
    }
}

// ---------------------------------------------------------------------------------------------
// The estimator

/// The toxicity estimator. See the [module docs](self) for what it measures and how to drive
/// it.
#[derive(Clone, Debug)]
pub struct Toxicity {
    scale: Scale,
    /// Grid spacing, ns (positive).
    interval: i64,
    min_history: usize,
    /// `N_min`, quote currency.
    crossing_min_notional: f64,
    weights: [f64; 6],
    calm_percentile: f64,
    /// Latest (clamped) time seen; `None` before the first input.
    clock: Option<i64>,
    /// Index of the grid interval holding `clock`: `clock / interval`.
    slot: i64,
    /// Start of observation (first input's time), for the intensity's bias correction.
    start: i64,
    /// Last microprice passed to `on_top` (ticks, finite and positive); `NaN` before.
    microprice: f64,
    /// Last mid passed to `on_top` (ticks); `None` before.
    mid: Option<f64>,
    /// The top of the previous `on_top`, for `e_n`.
    previous_top: Option<TopOfBook>,
    buckets: Buckets,
    sweep: DecayedMean,
    vpin: Vpin,
    markouts: Markouts,
    intensity: Intensity,
    /// Per component, its previous grid samples.
    histories: [TrailingWindow; 6],
    smoother: AsymmetricSmoother,
    reading: ToxicityReading,
}

impl Toxicity {
    /// An estimator for an instrument of this `scale`, allocating every buffer it will use.
    ///
    /// Panics if `config` does not [validate](ToxicityConfig::validate): configs are checked
    /// when read, so an invalid one here is a construction bug.
    pub fn new(config: &ToxicityConfig, scale: Scale) -> Toxicity {
        if let Err(error) = config.validate() {
            panic!("Toxicity::new: invalid config: {error}");
        }
        let interval = config.sample_interval_ms as i64 * NANOS_PER_MILLI;
        let intervals = |seconds: f64| ((seconds * NANOS_PER_SEC / interval as f64).round() as usize).max(1);
        Toxicity {
            scale,
            interval,
            min_history: config.min_history,
            calm_percentile: config.calm_percentile,
            crossing_min_notional: config.crossing_min_notional,
            weights: config.weights(),
            clock: None,
            slot: 0,
            start: 0,
            microprice: f64::NAN,
            mid: None,
            previous_top: None,
            buckets: Buckets::new(intervals(config.crossing_window_s), intervals(config.ofi_window_s)),
            sweep: DecayedMean::new(Decay::time_constant(config.sweep_time_constant_s)),
            vpin: Vpin::new(config.vpin_bucket_notional, config.vpin_buckets),
            markouts: Markouts::new(config),
            intensity: Intensity::new(config),
            histories: std::array::from_fn(|_| TrailingWindow::new(config.history_samples)),
            smoother: AsymmetricSmoother::new(0.0, config.rise_half_life_s, config.fall_half_life_s),
            reading: ToxicityReading::default(),
        }
    }

    /// Time has reached `now` (the exchange time of the event about to be handled): crosses
    /// the sampling grid (one sample at the latest grid point passed, if any) and marks the
    /// fills whose horizon has passed. Call it first on every event.
    #[inline]
    pub fn on_time(&mut self, now: Nanos) {
        self.advance(now);
    }

    /// A trade print: its notional joins the VPIN buckets on its aggressor's side, and it
    /// counts as one arrival for the intensity.
    #[inline]
    pub fn on_trade(&mut self, time: Nanos, trade: &Trade) {
        let now = self.advance(time);
        self.intensity.on_print(now);
        let notional = self.scale.notional(trade.price, trade.qty);
        self.vpin.on_trade(trade.aggressor, notional);
    }

    /// A completed taker burst: its levels join the sweep-depth mean (weighted by its
    /// notional) and its notional the crossing window's aggressive notional.
    #[inline]
    pub fn on_burst(&mut self, burst: &TakerBurst) {
        let now = self.advance(burst.time);
        // NaN fails the test (`f64::min` would turn it into the cap).
        if burst.notional > 0.0 {
            let notional = burst.notional.min(MAX_NOTIONAL);
            self.sweep.add_weighted(Nanos(now), f64::from(burst.levels), notional);
            self.buckets.current(self.slot).notional += notional;
        }
    }

    /// A completed update of a trusted book, with its top and microprice (ticks): the order
    /// flow `e_n` since the previous top and the depth join the OFI window, the microprice is
    /// the crossing's price, and the mid marks maturing fills.
    #[inline]
    pub fn on_top(&mut self, time: Nanos, top: &TopOfBook, microprice: f64) {
        self.advance(time);
        let bucket = self.buckets.current(self.slot);
        if let Some(previous) = &self.previous_top {
            bucket.order_flow += order_flow(previous, top);
        }
        bucket.depth += (top.bid_qty.0 as f64 + top.ask_qty.0 as f64) / 2.0;
        bucket.tops = bucket.tops.saturating_add(1);
        self.previous_top = Some(*top);
        if microprice.is_finite() && microprice > 0.0 {
            self.microprice = microprice;
        }
        self.mid = Some(top.mid());
    }

    /// One of our orders filled: `side` is our order's side, `half_spread_ticks` the
    /// half-spread we were quoting. It is marked `markout_horizon_s` later.
    #[inline]
    pub fn on_own_fill(&mut self, time: Nanos, side: Side, price: Ticks, qty: Lots, half_spread_ticks: f64) {
        let now = self.advance(time);
        self.markouts.on_fill(now, side, price, qty, half_spread_ticks);
    }

    /// The score and its components at the last grid sample.
    #[inline]
    pub fn reading(&self) -> &ToxicityReading {
        &self.reading
    }

    /// Own fills never marked: dropped from a full pending ring, or matured before any top
    /// of the book was seen.
    #[inline]
    pub fn dropped_fills(&self) -> u64 {
        self.markouts.dropped
    }

    /// Moves the clock to `time` (clamped; never backwards), sampling at the latest grid point
    /// crossed. Returns the clock.
    #[inline]
    fn advance(&mut self, time: Nanos) -> i64 {
        let time = time.0.clamp(0, MAX_TIME);
        let Some(clock) = self.clock else {
            self.clock = Some(time);
            self.start = time;
            self.slot = time / self.interval;
            self.buckets.rotate_to(None, self.slot, self.microprice);
            return time;
        };
        if time <= clock {
            return clock;
        }
        let slot = time / self.interval;
        if slot > self.slot {
            let grid = slot * self.interval;
            self.markouts.mature(grid, self.mid);
            self.buckets.rotate_to(Some(self.slot), slot, self.microprice);
            self.slot = slot;
            self.sample(grid);
        }
        self.markouts.mature(time, self.mid);
        self.clock = Some(time);
        time
    }

    /// Takes one grid sample at `grid` (the start of the current slot): every component's
    /// value, ranked and then remembered, the weighted score and the smoother.
    fn sample(&mut self, grid: i64) {
        let raws = [
            self.buckets.crossing(self.slot, self.microprice, self.crossing_min_notional),
            self.sweep.mean().unwrap_or(f64::NAN),
            self.buckets.order_flow_imbalance(self.slot),
            self.vpin.value(),
            self.markouts.mean.mean().unwrap_or(f64::NAN),
            self.intensity.ratio(grid, self.start),
        ];
        let mut components = [ComponentReading::UNDEFINED; 6];
        for ((component, raw), history) in components.iter_mut().zip(raws).zip(&mut self.histories) {
            let raw = if raw.is_finite() { raw } else { f64::NAN };
            // Causal: ranked against the samples before it, then remembered.
            *component = ComponentReading { raw, percentile: history.rank(raw, self.min_history) };
            history.push(raw);
        }
        let raw = weighted_score(&components, &self.weights, self.calm_percentile);
        let value = self.smoother.update(Nanos(grid), raw).clamp(0.0, 1.0);
        self.reading = ToxicityReading { value, raw, components };
    }

    /// Feeds the smoother one grid sample's raw score (test access to the last stage alone).
    #[cfg(test)]
    fn smooth(&mut self, grid: i64, raw: f64) -> f64 {
        self.smoother.update(Nanos(grid), raw).clamp(0.0, 1.0)
    }
}

/// `Σ w_c s_c / Σ w_c` over the components with a percentile, `s_c = max(0, (p_c − p₀)/(1 − p₀))`,
/// in `[0, 1]`; 0 when none has.
fn weighted_score(components: &[ComponentReading; 6], weights: &[f64; 6], calm: f64) -> f64 {
    let (mut sum, mut total) = (0.0, 0.0);
    for (component, &weight) in components.iter().zip(weights) {
        if let Some(percentile) = component.percentile {
            sum += weight * ((percentile - calm) / (1.0 - calm)).max(0.0);
            total += weight;
        }
    }
    if total > 0.0 { (sum / total).clamp(0.0, 1.0) } else { 0.0 }
}
