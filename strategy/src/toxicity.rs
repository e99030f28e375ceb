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

use crate::config::StrategyConfigError;
use crate::decay::{AsymmetricSmoother, Decay, DecayedMean, DecayedSum};
use crate::scale::Scale;
use crate::signals::TopOfBook;
use crate::taker::TakerBurst;
use crate::window::TrailingWindow;
use feeds::{Lots, Nanos, Side, Ticks, Trade};
use serde::{Deserialize, Serialize, Serializer};

/// Basis points in one.
const BPS: f64 = 10_000.0;
/// Nanoseconds in one second, as `f64`.
const NANOS_PER_SEC: f64 = 1e9;
/// Nanoseconds in one millisecond.
const NANOS_PER_MILLI: i64 = 1_000_000;
/// Input times are clamped to `[0, MAX_TIME]`: any difference of two fits an `i64`.
const MAX_TIME: i64 = i64::MAX / 2;
/// Most sample intervals a crossing or OFI window may span (the bucket ring's size).
const MAX_WINDOW_INTERVALS: f64 = 10_000.0;
/// Largest markout ratio kept, in half-spreads; beyond it the inputs are nonsense.
const MAX_MARKOUT: f64 = 1e6;
/// Largest notional one burst contributes (quote currency), so that sums stay finite.
const MAX_NOTIONAL: f64 = 1e18;

// ---------------------------------------------------------------------------------------------
// Config

/// The `[strategy.toxicity]` table: how the toxicity score is measured.
///
/// ```
/// # use strategy::toxicity::ToxicityConfig;
/// let config: ToxicityConfig = toml::from_str("fall_half_life_s = 60.0\nvpin_weight = 0")?;
/// assert_eq!(config.fall_half_life_s, 60.0);
/// assert_eq!(config.crossing_weight, ToxicityConfig::default().crossing_weight);
/// config.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ToxicityConfig {
    /// Spacing of the event-time grid on which components are ranked and `τ` is smoothed, in
    /// milliseconds. Default 100. In `[1, 60 000]`.
    pub sample_interval_ms: u64,
    /// Grid samples each component is ranked against. Default 3 000 (five minutes at 100 ms).
    /// In `[1, 100 000]` (a sample costs `6 ×` this many comparisons).
    pub history_samples: usize,
    /// Samples a component's history needs before its percentile counts. Default 50 (5 s at
    /// 100 ms). In `[1, history_samples]`.
    pub min_history: usize,
    /// Half-life of `τ` rising toward a higher raw score, in seconds. Default 1.0. Positive.
    pub rise_half_life_s: f64,
    /// Half-life of `τ` falling toward a lower raw score, in seconds. Default 30.0. Positive.
    pub fall_half_life_s: f64,
    /// Crossing: the window over which the microprice move and the aggressive notional are
    /// measured, in seconds. Default 5.0. At least one sample interval, at most 10 000.
    pub crossing_window_s: f64,
    /// Crossing: floor of the window's aggressive notional, in quote currency, so a window
    /// with almost no taker flow does not divide by almost zero. Default 100 000. Positive.
    pub crossing_min_notional: f64,
    /// Sweep depth: time constant of the decayed mean of levels per burst, in seconds.
    /// Default 5.0. Positive.
    pub sweep_time_constant_s: f64,
    /// Order-flow imbalance: the window of `Σ e_n` and of the mean depth, in seconds.
    /// Default 10.0. At least one sample interval, at most 10 000.
    pub ofi_window_s: f64,
    /// VPIN: notional of one volume bucket, in quote currency. Default 1 000 000 (a bucket
    /// about every 2.3 s on BTCUSDT in a calm market). Positive.
    pub vpin_bucket_notional: f64,
    /// VPIN: completed buckets averaged. Default 50. In `[1, 10 000]`.
    pub vpin_buckets: usize,
    /// Markout: how long after our fill it is marked against the mid, in seconds. Default
    /// 5.0. In `(0, 3 600]`.
    pub markout_horizon_s: f64,
    /// Markout: time constant of the decayed mean of markouts, in seconds. Default 60.0.
    /// Positive.
    pub markout_time_constant_s: f64,
    /// Markout: fills waiting for their horizon; the oldest is dropped beyond. Default 256.
    /// In `[1, 65 536]`.
    pub markout_capacity: usize,
    /// Intensity: time constant of the fast (current) arrival rate, in seconds. Default 1.0.
    /// Positive, below `intensity_slow_s`.
    pub intensity_fast_s: f64,
    /// Intensity: time constant of the slow (baseline) arrival rate, in seconds. Default 300.0.
    /// Positive.
    pub intensity_slow_s: f64,
    /// Weight of the crossing percentile. Default 0.25.
    pub crossing_weight: f64,
    /// Weight of the sweep-depth percentile. Default 0.15.
    pub sweep_depth_weight: f64,
    /// Weight of the order-flow-imbalance percentile. Default 0.20.
    pub order_flow_imbalance_weight: f64,
    /// Weight of the VPIN percentile. Default 0.15.
    pub vpin_weight: f64,
    /// Weight of the markout percentile. Default 0.10.
    pub markout_weight: f64,
    /// Weight of the intensity percentile. Default 0.15. Every weight is finite and
    /// non-negative and at least one is positive; they need not sum to 1 (the score divides
    /// by the sum of the weights in use).
    pub intensity_weight: f64,
    /// `p₀`: the percentile below which a component adds no stress. Default 0.75. In
    /// `[0, 1)`; 0 gives the plain weighted mean of percentiles.
    pub calm_percentile: f64,
}

impl Default for ToxicityConfig {
    fn default() -> ToxicityConfig {
        ToxicityConfig {
            sample_interval_ms: 100,
            history_samples: 3_000,
            min_history: 50,
            rise_half_life_s: 1.0,
            fall_half_life_s: 30.0,
            crossing_window_s: 5.0,
            crossing_min_notional: 100_000.0,
            sweep_time_constant_s: 5.0,
            ofi_window_s: 10.0,
            vpin_bucket_notional: 1_000_000.0,
            vpin_buckets: 50,
            markout_horizon_s: 5.0,
            markout_time_constant_s: 60.0,
            markout_capacity: 256,
            intensity_fast_s: 1.0,
            intensity_slow_s: 300.0,
            crossing_weight: 0.25,
            sweep_depth_weight: 0.15,
            order_flow_imbalance_weight: 0.20,
            vpin_weight: 0.15,
            markout_weight: 0.10,
            intensity_weight: 0.15,
            calm_percentile: 0.75,
        }
    }
}

impl ToxicityConfig {
    /// Checks every field; the first bad one is named (`toxicity.<field>`) in the error.
    pub fn validate(&self) -> Result<(), StrategyConfigError> {
        fn check(
            ok: bool,
            field: &'static str,
            value: f64,
            requirement: &'static str,
        ) -> Result<(), StrategyConfigError> {
            if ok { Ok(()) } else { Err(StrategyConfigError::new(field, value, requirement)) }
        }
        let positive = |x: f64| x > 0.0 && x.is_finite();
        const POSITIVE: &str = "must be a positive finite number";
        check(
            (1..=60_000).contains(&self.sample_interval_ms),
            "toxicity.sample_interval_ms",
            self.sample_interval_ms as f64,
            "must be between 1 and 60000",
        )?;
        check(
            (1..=100_000).contains(&self.history_samples),
            "toxicity.history_samples",
            self.history_samples as f64,
            "must be between 1 and 100000",
        )?;
        check(
            (1..=self.history_samples).contains(&self.min_history),
            "toxicity.min_history",
            self.min_history as f64,
            "must be between 1 and history_samples",
        )?;
        check(positive(self.rise_half_life_s), "toxicity.rise_half_life_s", self.rise_half_life_s, POSITIVE)?;
        check(positive(self.fall_half_life_s), "toxicity.fall_half_life_s", self.fall_half_life_s, POSITIVE)?;
        let interval_s = self.sample_interval_ms as f64 / 1_000.0;
        let window = |seconds: f64| {
            seconds.is_finite() && seconds >= interval_s && seconds / interval_s <= MAX_WINDOW_INTERVALS
        };
        const WINDOW: &str = "must span between 1 and 10000 sample intervals";
        check(window(self.crossing_window_s), "toxicity.crossing_window_s", self.crossing_window_s, WINDOW)?;
        check(
            positive(self.crossing_min_notional),
            "toxicity.crossing_min_notional",
            self.crossing_min_notional,
            POSITIVE,
        )?;
        check(
            positive(self.sweep_time_constant_s),
            "toxicity.sweep_time_constant_s",
            self.sweep_time_constant_s,
            POSITIVE,
        )?;
        check(window(self.ofi_window_s), "toxicity.ofi_window_s", self.ofi_window_s, WINDOW)?;
        check(
            positive(self.vpin_bucket_notional),
            "toxicity.vpin_bucket_notional",
            self.vpin_bucket_notional,
            POSITIVE,
        )?;
        check(
            (1..=10_000).contains(&self.vpin_buckets),
            "toxicity.vpin_buckets",
            self.vpin_buckets as f64,
            "must be between 1 and 10000",
        )?;
        check(
            positive(self.markout_horizon_s) && self.markout_horizon_s <= 3_600.0,
            "toxicity.markout_horizon_s",
            self.markout_horizon_s,
            "must be positive and at most 3600",
        )?;
        check(
            positive(self.markout_time_constant_s),
            "toxicity.markout_time_constant_s",
            self.markout_time_constant_s,
            POSITIVE,
        )?;
        check(
            (1..=65_536).contains(&self.markout_capacity),
            "toxicity.markout_capacity",
            self.markout_capacity as f64,
            "must be between 1 and 65536",
        )?;
        check(positive(self.intensity_slow_s), "toxicity.intensity_slow_s", self.intensity_slow_s, POSITIVE)?;
        check(
            positive(self.intensity_fast_s) && self.intensity_fast_s < self.intensity_slow_s,
            "toxicity.intensity_fast_s",
            self.intensity_fast_s,
            "must be positive and below intensity_slow_s",
        )?;
        check(
            (0.0..1.0).contains(&self.calm_percentile),
            "toxicity.calm_percentile",
            self.calm_percentile,
            "must be at least 0 and below 1",
        )?;
        const WEIGHT_FIELDS: [&str; 6] = [
            "toxicity.crossing_weight",
            "toxicity.sweep_depth_weight",
            "toxicity.order_flow_imbalance_weight",
            "toxicity.vpin_weight",
            "toxicity.markout_weight",
            "toxicity.intensity_weight",
        ];
        let weights = self.weights();
        for (field, weight) in WEIGHT_FIELDS.into_iter().zip(weights) {
            check(
                weight >= 0.0 && weight.is_finite(),
                field,
                weight,
                "must be a finite number of at least 0",
            )?;
        }
        let total: f64 = weights.iter().sum();
        check(
            total > 0.0 && total.is_finite(),
            "toxicity.crossing_weight",
            total,
            "the weights' sum must be positive and finite",
        )
    }

    /// The weight of `component`.
    #[inline]
    pub fn weight(&self, component: ToxicityComponent) -> f64 {
        self.weights()[component.index()]
    }

    /// The weights in [`ToxicityComponent::ALL`] order.
    fn weights(&self) -> [f64; 6] {
        [
            self.crossing_weight,
            self.sweep_depth_weight,
            self.order_flow_imbalance_weight,
            self.vpin_weight,
            self.markout_weight,
            self.intensity_weight,
        ]
    }
}

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
            self.crossing(),
            self.sweep.mean().unwrap_or(f64::NAN),
            self.order_flow_imbalance(),
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

    /// Crossing at the start of the current slot: bps moved per $1M over the last
    /// `crossing_window_s`.
    fn crossing(&self) -> f64 {
        let window = self.buckets.crossing_slots;
        let Some(start) = self.buckets.get(self.slot - window as i64) else { return f64::NAN };
        let (from, to) = (start.open_price, self.microprice);
        if !(from > 0.0 && from.is_finite() && to.is_finite()) {
            return f64::NAN;
        }
        let moved_bps = (to - from).abs() / from * BPS;
        let notional = self.buckets.sum(self.slot, window, |bucket| bucket.notional);
        moved_bps / (notional.max(self.crossing_min_notional) / 1e6)
    }

    /// `|Σ e_n| / D̄` over the last `ofi_window_s`.
    fn order_flow_imbalance(&self) -> f64 {
        let window = self.buckets.ofi_slots;
        let tops = self.buckets.sum(self.slot, window, |bucket| bucket.tops as f64);
        let depth = self.buckets.sum(self.slot, window, |bucket| bucket.depth);
        if !(tops > 0.0 && depth > 0.0) {
            return f64::NAN;
        }
        let order_flow = self.buckets.sum(self.slot, window, |bucket| bucket.order_flow);
        order_flow.abs() / (depth / tops)
    }

    /// Feeds the smoother one grid sample's raw score (test access to the last stage alone).
    #[cfg(test)]
    fn smooth(&mut self, grid: i64, raw: f64) -> f64 {
        self.smoother.update(Nanos(grid), raw).clamp(0.0, 1.0)
    }
}

/// Cont–Kukanov–Stoikov `e_n`, the order flow of the change from `previous` to `next` (lots;
/// positive is buying pressure).
#[inline]
fn order_flow(previous: &TopOfBook, next: &TopOfBook) -> f64 {
    let (bid, bid_before) = (next.bid_qty.0 as f64, previous.bid_qty.0 as f64);
    let (ask, ask_before) = (next.ask_qty.0 as f64, previous.ask_qty.0 as f64);
    let mut flow = 0.0;
    if next.bid >= previous.bid {
        flow += bid;
    }
    if next.bid <= previous.bid {
        flow -= bid_before;
    }
    if next.ask <= previous.ask {
        flow -= ask;
    }
    if next.ask >= previous.ask {
        flow += ask_before;
    }
    flow
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

// ---------------------------------------------------------------------------------------------
// Time buckets: crossing notional and start price, OFI flow and depth

/// What happened in one grid interval.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    /// The grid interval this bucket holds (`time / interval`); `i64::MIN` when unused.
    slot: i64,
    /// The microprice when the interval began (ticks); `NaN` if none was known.
    open_price: f64,
    /// Aggressive notional of the bursts reported in the interval.
    notional: f64,
    /// `Σ e_n` of the tops in the interval.
    order_flow: f64,
    /// `Σ (q^b + q^a) / 2` of the tops in the interval.
    depth: f64,
    /// Tops in the interval.
    tops: u32,
}

impl Bucket {
    const UNUSED: Bucket =
        Bucket { slot: i64::MIN, open_price: f64::NAN, notional: 0.0, order_flow: 0.0, depth: 0.0, tops: 0 };
}

/// A ring of the last grid intervals, one longer than the longest window so that the bucket
/// a window starts at is never the one being filled.
///
/// Invariant: `buckets[s mod len].slot == s` for every slot `s` of the last `len` that has been
/// entered since the first input.
#[derive(Clone, Debug)]
struct Buckets {
    buckets: Box<[Bucket]>,
    crossing_slots: usize,
    ofi_slots: usize,
}

impl Buckets {
    fn new(crossing_slots: usize, ofi_slots: usize) -> Buckets {
        let len = crossing_slots.max(ofi_slots) + 1;
        Buckets { buckets: vec![Bucket::UNUSED; len].into_boxed_slice(), crossing_slots, ofi_slots }
    }

    #[inline]
    fn index(&self, slot: i64) -> usize {
        slot.rem_euclid(self.buckets.len() as i64) as usize
    }

    /// Opens every slot after `from` up to `to` (only the last `len` of them: older ones would
    /// be overwritten at once), each starting at `price`: no event happened in between.
    fn rotate_to(&mut self, from: Option<i64>, to: i64, price: f64) {
        let len = self.buckets.len() as i64;
        let first = match from {
            Some(from) => (from + 1).max(to - len + 1),
            None => to,
        };
        for slot in first..=to {
            let index = self.index(slot);
            self.buckets[index] = Bucket { slot, open_price: price, ..Bucket::UNUSED };
        }
    }

    /// The bucket of `slot`, if it is held.
    #[inline]
    fn get(&self, slot: i64) -> Option<&Bucket> {
        let bucket = &self.buckets[self.index(slot)];
        (bucket.slot == slot).then_some(bucket)
    }

    /// The bucket being filled (of the clock's slot, which `rotate_to` has opened).
    #[inline]
    fn current(&mut self, slot: i64) -> &mut Bucket {
        let index = self.index(slot);
        debug_assert_eq!(self.buckets[index].slot, slot);
        &mut self.buckets[index]
    }

    /// `Σ field` over the `window` slots before `slot` (`slot − window ..= slot − 1`).
    #[inline]
    fn sum(&self, slot: i64, window: usize, field: impl Fn(&Bucket) -> f64) -> f64 {
        (1..=window as i64).filter_map(|back| self.get(slot - back)).map(field).sum()
    }
}

// ---------------------------------------------------------------------------------------------
// VPIN

/// Equal-notional buckets of buy and sell aggressive flow.
#[derive(Clone, Debug)]
struct Vpin {
    /// `V`, quote currency per bucket.
    bucket_notional: f64,
    /// Buy (`Bid` aggressor) and sell notional of the open bucket; `buy + sell < V`.
    buy: f64,
    sell: f64,
    /// `|V^B − V^S|` of the last completed buckets (ring).
    imbalances: Box<[f64]>,
    next: usize,
    completed: usize,
}

impl Vpin {
    fn new(bucket_notional: f64, buckets: usize) -> Vpin {
        Vpin {
            bucket_notional,
            buy: 0.0,
            sell: 0.0,
            imbalances: vec![0.0; buckets].into_boxed_slice(),
            next: 0,
            completed: 0,
        }
    }

    /// Adds a print's notional on its aggressor's side, closing every bucket it fills.
    fn on_trade(&mut self, aggressor: Side, notional: f64) {
        if !(notional > 0.0 && notional.is_finite()) {
            return;
        }
        let capacity = self.imbalances.len();
        let mut rest = notional;
        let mut closed = 0;
        loop {
            let room = self.bucket_notional - (self.buy + self.sell);
            if rest < room {
                self.add(aggressor, rest);
                return;
            }
            self.add(aggressor, room);
            self.close();
            rest -= room;
            closed += 1;
            if closed > capacity {
                // Every bucket of the window is now this print's; what is left over only
                // decides the open bucket (approximately, for a print this large).
                let tail = rest % self.bucket_notional;
                if tail.is_finite() && tail < self.bucket_notional {
                    self.add(aggressor, tail);
                }
                return;
            }
        }
    }

    #[inline]
    fn add(&mut self, side: Side, notional: f64) {
        match side {
            Side::Bid => self.buy += notional,
            Side::Ask => self.sell += notional,
        }
    }

    fn close(&mut self) {
        self.imbalances[self.next] = (self.buy - self.sell).abs().min(self.bucket_notional);
        self.next = (self.next + 1) % self.imbalances.len();
        self.completed = self.completed.saturating_add(1);
        self.buy = 0.0;
        self.sell = 0.0;
    }

    /// `Σ |V^B − V^S| / (n V)` over the last `n` buckets; `NaN` until `n` have completed.
    fn value(&self) -> f64 {
        let buckets = self.imbalances.len();
        if self.completed < buckets {
            return f64::NAN;
        }
        let imbalance: f64 = self.imbalances.iter().sum();
        (imbalance / (buckets as f64 * self.bucket_notional)).clamp(0.0, 1.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Markouts

/// One of our fills waiting for its horizon.
#[derive(Clone, Copy, Debug)]
struct PendingFill {
    /// When it is marked (clamped ns).
    due: i64,
    side: Side,
    /// Fill price, ticks.
    price: f64,
    /// Half-spread quoted, ticks (positive).
    half_spread: f64,
    /// Size, lots (positive): the markout's weight.
    qty: f64,
}

/// Our fills in a FIFO ring (due times never decrease, as the clock never does), and the
/// decayed mean of their markouts.
#[derive(Clone, Debug)]
struct Markouts {
    horizon: i64,
    pending: Box<[PendingFill]>,
    /// Index of the oldest pending fill.
    head: usize,
    len: usize,
    dropped: u64,
    mean: DecayedMean,
}

impl Markouts {
    fn new(config: &ToxicityConfig) -> Markouts {
        let empty = PendingFill { due: 0, side: Side::Bid, price: 0.0, half_spread: 1.0, qty: 0.0 };
        Markouts {
            horizon: (config.markout_horizon_s * NANOS_PER_SEC).round() as i64,
            pending: vec![empty; config.markout_capacity].into_boxed_slice(),
            head: 0,
            len: 0,
            dropped: 0,
            mean: DecayedMean::new(Decay::time_constant(config.markout_time_constant_s)),
        }
    }

    fn on_fill(&mut self, now: i64, side: Side, price: Ticks, qty: Lots, half_spread: f64) {
        if !(half_spread > 0.0 && half_spread.is_finite() && qty.0 > 0) {
            return;
        }
        let capacity = self.pending.len();
        if self.len == capacity {
            self.head = (self.head + 1) % capacity;
            self.len -= 1;
            self.dropped += 1;
        }
        self.pending[(self.head + self.len) % capacity] = PendingFill {
            due: now + self.horizon,
            side,
            price: price.0 as f64,
            half_spread,
            qty: qty.0 as f64,
        };
        self.len += 1;
    }

    /// Marks every fill due by `now` against `mid`, the mid as of then.
    fn mature(&mut self, now: i64, mid: Option<f64>) {
        while self.len > 0 && self.pending[self.head].due <= now {
            let fill = self.pending[self.head];
            self.head = (self.head + 1) % self.pending.len();
            self.len -= 1;
            match mid {
                Some(mid) => {
                    let adverse = match fill.side {
                        Side::Bid => fill.price - mid,
                        Side::Ask => mid - fill.price,
                    } / fill.half_spread;
                    self.mean.add_weighted(
                        Nanos(fill.due),
                        adverse.clamp(-MAX_MARKOUT, MAX_MARKOUT),
                        fill.qty,
                    );
                }
                None => self.dropped += 1,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Intensity

/// Exponential-kernel arrival counts of trade prints, fast and slow.
#[derive(Clone, Copy, Debug)]
struct Intensity {
    fast: DecayedSum,
    slow: DecayedSum,
}

impl Intensity {
    fn new(config: &ToxicityConfig) -> Intensity {
        Intensity {
            fast: DecayedSum::new(Decay::time_constant(config.intensity_fast_s)),
            slow: DecayedSum::new(Decay::time_constant(config.intensity_slow_s)),
        }
    }

    #[inline]
    fn on_print(&mut self, now: i64) {
        self.fast.add(Nanos(now), 1.0);
        self.slow.add(Nanos(now), 1.0);
    }

    /// `λ̂_fast / λ̂_slow` at `now`, observation having started at `start`; `NaN` when either
    /// rate is undefined or the slow one is zero.
    fn ratio(&self, now: i64, start: i64) -> f64 {
        let rate = |sum: &DecayedSum| {
            let decay = sum.decay();
            let covered = 1.0 - decay.factor(now - start);
            sum.value_at(Nanos(now)) / (decay.tau_secs() * covered)
        };
        let slow = rate(&self.slow);
        if slow > 0.0 { rate(&self.fast) / slow } else { f64::NAN }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEC: i64 = 1_000_000_000;
    const MS: i64 = 1_000_000;

    // -----------------------------------------------------------------------------------------
    // Helpers

    fn top(bid: i64, bid_qty: i64, ask: i64, ask_qty: i64) -> TopOfBook {
        TopOfBook { bid: Ticks(bid), bid_qty: Lots(bid_qty), ask: Ticks(ask), ask_qty: Lots(ask_qty) }
    }

    fn trade(price: i64, qty: i64, aggressor: Side) -> Trade {
        Trade { price: Ticks(price), qty: Lots(qty), aggressor, aggregated: false, forced: false }
    }

    fn burst(time: i64, levels: u32, notional: f64) -> TakerBurst {
        TakerBurst {
            time: Nanos(time),
            side: Side::Bid,
            first_price: Ticks(100),
            last_price: Ticks(100 + i64::from(levels) - 1),
            levels,
            trades: levels,
            qty: Lots(1),
            price_qty: 100.0,
            notional,
            mid_before: Some(99.5),
            forced: false,
        }
    }

    /// Only `component` weighs; short history so tests warm up quickly.
    fn only(component: ToxicityComponent) -> ToxicityConfig {
        let mut config = ToxicityConfig {
            crossing_weight: 0.0,
            sweep_depth_weight: 0.0,
            order_flow_imbalance_weight: 0.0,
            vpin_weight: 0.0,
            markout_weight: 0.0,
            intensity_weight: 0.0,
            min_history: 1,
            ..ToxicityConfig::default()
        };
        match component {
            ToxicityComponent::Crossing => config.crossing_weight = 1.0,
            ToxicityComponent::SweepDepth => config.sweep_depth_weight = 1.0,
            ToxicityComponent::OrderFlowImbalance => config.order_flow_imbalance_weight = 1.0,
            ToxicityComponent::Vpin => config.vpin_weight = 1.0,
            ToxicityComponent::Markout => config.markout_weight = 1.0,
            ToxicityComponent::Intensity => config.intensity_weight = 1.0,
        }
        config
    }

    fn raw(toxicity: &Toxicity, component: ToxicityComponent) -> f64 {
        toxicity.reading().component(component).raw
    }

    // -----------------------------------------------------------------------------------------
    // Config

    #[test]
    fn defaults_validate_and_an_empty_table_gives_them() {
        let config = ToxicityConfig::default();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(toml::from_str::<ToxicityConfig>("").unwrap(), config);
        let total: f64 = ToxicityComponent::ALL.iter().map(|&c| config.weight(c)).sum();
        assert!((total - 1.0).abs() < 1e-12, "default weights sum to 1");
        let written = toml::to_string(&config).unwrap();
        assert_eq!(toml::from_str::<ToxicityConfig>(&written).unwrap(), config, "{written}");
        assert!(toml::from_str::<ToxicityConfig>("rise_half_life = 1.0").is_err(), "unknown field");
        assert!(toml::from_str::<ToxicityConfig>("vpin_buckets = 2.5").is_err(), "mistyped field");
    }

    #[test]
    fn each_bad_field_is_named() {
        let default = ToxicityConfig::default;
        let cases: Vec<(&str, ToxicityConfig)> = vec![
            ("toxicity.sample_interval_ms", ToxicityConfig { sample_interval_ms: 0, ..default() }),
            ("toxicity.history_samples", ToxicityConfig { history_samples: 0, ..default() }),
            ("toxicity.min_history", ToxicityConfig { min_history: 3_001, ..default() }),
            ("toxicity.rise_half_life_s", ToxicityConfig { rise_half_life_s: f64::NAN, ..default() }),
            ("toxicity.fall_half_life_s", ToxicityConfig { fall_half_life_s: 0.0, ..default() }),
            ("toxicity.crossing_window_s", ToxicityConfig { crossing_window_s: 0.05, ..default() }),
            ("toxicity.crossing_window_s", ToxicityConfig { crossing_window_s: 1e9, ..default() }),
            ("toxicity.crossing_min_notional", ToxicityConfig { crossing_min_notional: -1.0, ..default() }),
            (
                "toxicity.sweep_time_constant_s",
                ToxicityConfig { sweep_time_constant_s: f64::INFINITY, ..default() },
            ),
            ("toxicity.ofi_window_s", ToxicityConfig { ofi_window_s: f64::NAN, ..default() }),
            ("toxicity.vpin_bucket_notional", ToxicityConfig { vpin_bucket_notional: 0.0, ..default() }),
            ("toxicity.vpin_buckets", ToxicityConfig { vpin_buckets: 0, ..default() }),
            ("toxicity.markout_horizon_s", ToxicityConfig { markout_horizon_s: 4_000.0, ..default() }),
            (
                "toxicity.markout_time_constant_s",
                ToxicityConfig { markout_time_constant_s: -3.0, ..default() },
            ),
            ("toxicity.markout_capacity", ToxicityConfig { markout_capacity: 0, ..default() }),
            ("toxicity.intensity_slow_s", ToxicityConfig { intensity_slow_s: 0.0, ..default() }),
            ("toxicity.intensity_fast_s", ToxicityConfig { intensity_fast_s: 300.0, ..default() }),
            ("toxicity.vpin_weight", ToxicityConfig { vpin_weight: -0.1, ..default() }),
            ("toxicity.markout_weight", ToxicityConfig { markout_weight: f64::INFINITY, ..default() }),
            ("toxicity.crossing_weight", only(ToxicityComponent::Vpin).with_vpin_weight(0.0)),
        ];
        for (field, config) in cases {
            let error = config.validate().unwrap_err();
            assert_eq!(error.field(), field, "{error}");
            assert!(error.to_string().contains(field), "{error}");
        }
    }

    impl ToxicityConfig {
        fn with_vpin_weight(self, vpin_weight: f64) -> ToxicityConfig {
            ToxicityConfig { vpin_weight, ..self }
        }
    }

    #[test]
    #[should_panic(expected = "Toxicity::new: invalid config")]
    fn an_invalid_config_is_a_construction_bug() {
        let _ = Toxicity::new(
            &ToxicityConfig { history_samples: 0, ..ToxicityConfig::default() },
            Scale::default(),
        );
    }

    #[test]
    fn components_are_named_in_order() {
        let names: Vec<&str> = ToxicityComponent::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(
            names,
            ["crossing", "sweep_depth", "order_flow_imbalance", "vpin", "markout", "intensity"]
        );
        for (index, component) in ToxicityComponent::ALL.into_iter().enumerate() {
            assert_eq!(component.index(), index);
        }
        // Undefined readings are equal to each other, so a default `Signals` equals itself.
        assert_eq!(ToxicityReading::default(), ToxicityReading::default());
        assert!(
            ToxicityReading::default().components.iter().all(|c| c.raw.is_nan() && c.percentile.is_none())
        );
    }

    // -----------------------------------------------------------------------------------------
    // Order-flow imbalance

    #[test]
    fn cks_order_flow_in_each_case() {
        // Start: bid 100 × 5, ask 102 × 7.
        let before = top(100, 5, 102, 7);
        // Bid price up: the new bid queue is all fresh buying interest, +q^b_n = +3. The ask is
        // unchanged in price, so its size change counts: −(q^a_n − q^a_{n−1}) = 0.
        assert_eq!(order_flow(&before, &top(101, 3, 102, 7)), 3.0);
        // Bid price unchanged: the size change, 8 − 5 = +3.
        assert_eq!(order_flow(&before, &top(100, 8, 102, 7)), 3.0);
        // Bid price down: the old bid queue was consumed or cancelled, −q^b_{n−1} = −5.
        assert_eq!(order_flow(&before, &top(99, 9, 102, 7)), -5.0);
        // Ask price down: new selling interest, −q^a_n = −4.
        assert_eq!(order_flow(&before, &top(100, 5, 101, 4)), -4.0);
        // Ask price unchanged, size 7 → 2: sellers withdrew, −(2 − 7) = +5.
        assert_eq!(order_flow(&before, &top(100, 5, 102, 2)), 5.0);
        // Ask price up: the old ask queue was lifted, +q^a_{n−1} = +7.
        assert_eq!(order_flow(&before, &top(100, 5, 103, 1)), 7.0);
        // Both at once add up: bid up (+3) and ask up (+7).
        assert_eq!(order_flow(&before, &top(101, 3, 103, 1)), 10.0);
    }

    #[test]
    fn ofi_is_the_absolute_flow_over_the_mean_depth_in_its_window() {
        let mut toxicity = Toxicity::new(&only(ToxicityComponent::OrderFlowImbalance), Scale::default());
        let tops = [top(100, 4, 102, 4), top(101, 2, 102, 4), top(101, 2, 102, 1), top(100, 6, 102, 1)];
        // e: none, +2 (bid up), +3 (ask size 4 → 1), −2 (bid down). Σ = 3.
        // Depths (q^b + q^a)/2: 4, 3, 1.5, 3.5 → mean 3.
        for (n, top) in tops.iter().enumerate() {
            let time = Nanos(SEC + n as i64 * 10 * MS);
            toxicity.on_time(time);
            toxicity.on_top(time, top, top.microprice());
        }
        toxicity.on_time(Nanos(SEC + 100 * MS));
        assert_eq!(raw(&toxicity, ToxicityComponent::OrderFlowImbalance), 1.0);
        // Ten seconds later the window holds none of them: undefined.
        toxicity.on_time(Nanos(SEC + 10_100 * MS + 1));
        assert!(raw(&toxicity, ToxicityComponent::OrderFlowImbalance).is_nan());
        // Zero depth (impossible in a trusted book) leaves it undefined rather than infinite.
        toxicity.on_top(Nanos(11 * SEC), &top(100, 0, 102, 0), 101.0);
        toxicity.on_time(Nanos(12 * SEC));
        assert!(raw(&toxicity, ToxicityComponent::OrderFlowImbalance).is_nan());
    }

    // -----------------------------------------------------------------------------------------
    // VPIN

    #[test]
    fn vpin_splits_prints_at_bucket_boundaries() {
        let mut vpin = Vpin::new(100.0, 3);
        // Buy 60, then sell 70: the first bucket closes at buy 60 / sell 40 (|imbalance| 20) and
        // the next opens with sell 30.
        vpin.on_trade(Side::Bid, 60.0);
        vpin.on_trade(Side::Ask, 70.0);
        assert_eq!((vpin.completed, vpin.imbalances[0], vpin.sell), (1, 20.0, 30.0));
        // Buy 250: closes bucket 2 at sell 30 / buy 70 (40), fills bucket 3 with buy 100 (100),
        // and leaves buy 80 in the open bucket.
        vpin.on_trade(Side::Bid, 250.0);
        assert_eq!(vpin.completed, 3);
        assert_eq!(&vpin.imbalances[..], &[20.0, 40.0, 100.0]);
        assert_eq!((vpin.buy, vpin.sell), (80.0, 0.0));
        assert!((vpin.value() - 160.0 / 300.0).abs() < 1e-12);
        // Sell 20 closes the fourth bucket exactly (buy 80 / sell 20: 60); the oldest (20) goes.
        vpin.on_trade(Side::Ask, 20.0);
        assert!((vpin.value() - (40.0 + 100.0 + 60.0) / 300.0).abs() < 1e-12);
        assert_eq!((vpin.buy, vpin.sell), (0.0, 0.0));
    }

    #[test]
    fn vpin_needs_a_full_window_and_survives_absurd_prints() {
        let mut vpin = Vpin::new(100.0, 3);
        vpin.on_trade(Side::Bid, 250.0);
        assert!(vpin.value().is_nan(), "two buckets of three");
        for notional in [f64::NAN, f64::INFINITY, -5.0, 0.0] {
            vpin.on_trade(Side::Ask, notional);
        }
        assert_eq!((vpin.completed, vpin.buy), (2, 50.0));
        // A print of 10³⁰ fills the window (and stops there) on one side: VPIN 1.
        vpin.on_trade(Side::Ask, 1e30);
        assert_eq!(vpin.value(), 1.0);
        assert!(vpin.buy + vpin.sell < 100.0);
    }

    #[test]
    fn vpin_through_the_estimator_uses_trade_notional_and_aggressor() {
        let config = ToxicityConfig {
            vpin_bucket_notional: 1_000.0,
            vpin_buckets: 2,
            ..only(ToxicityComponent::Vpin)
        };
        // Tick 0.5 quote, lot 2 base: 100 ticks × 5 lots = 50 × 10 = 500 quote.
        let mut toxicity = Toxicity::new(&config, Scale { tick: 0.5, lot: 2.0 });
        for (n, side) in [Side::Bid, Side::Bid, Side::Bid, Side::Ask].into_iter().enumerate() {
            toxicity.on_trade(Nanos(SEC + n as i64 * MS), &trade(100, 5, side));
        }
        toxicity.on_time(Nanos(2 * SEC));
        // Buckets: (buy 1000) and (buy 500, sell 500): (1000 + 0) / 2000.
        assert_eq!(raw(&toxicity, ToxicityComponent::Vpin), 0.5);
    }

    // -----------------------------------------------------------------------------------------
    // Markout

    #[test]
    fn markouts_are_adverse_when_the_mid_moves_through_our_fill() {
        let config = only(ToxicityComponent::Markout);
        // Mid 100 when we fill; 5 s later the mid is 98.
        let run = |side: Side, price: i64| {
            let mut toxicity = Toxicity::new(&config, Scale::default());
            toxicity.on_top(Nanos(SEC), &top(99, 1, 101, 1), 100.0);
            toxicity.on_own_fill(Nanos(SEC), side, Ticks(price), Lots(1), 2.0);
            toxicity.on_top(Nanos(3 * SEC), &top(97, 1, 99, 1), 98.0);
            // Not due yet at 5.9 s: undefined.
            toxicity.on_time(Nanos(5_900 * MS));
            assert!(raw(&toxicity, ToxicityComponent::Markout).is_nan());
            toxicity.on_time(Nanos(6_100 * MS));
            raw(&toxicity, ToxicityComponent::Markout)
        };
        // We bought at 99 (our bid), the mid fell to 98: (99 − 98) / 2 = +0.5 half-spreads lost.
        assert_eq!(run(Side::Bid, 99), 0.5);
        // We sold at 101 (our ask), the mid fell to 98: (98 − 101) / 2 = −1.5, we won.
        assert_eq!(run(Side::Ask, 101), -1.5);
    }

    #[test]
    fn a_markout_uses_the_mid_at_its_horizon_not_later() {
        let mut toxicity = Toxicity::new(&only(ToxicityComponent::Markout), Scale::default());
        toxicity.on_top(Nanos(SEC), &top(99, 1, 101, 1), 100.0);
        toxicity.on_own_fill(Nanos(SEC), Side::Bid, Ticks(99), Lots(1), 1.0);
        // The next event is long after the horizon and brings a new mid; the fill is marked
        // against the mid as of its horizon (100), before that event is applied.
        toxicity.on_time(Nanos(60 * SEC));
        toxicity.on_top(Nanos(60 * SEC), &top(50, 1, 52, 1), 51.0);
        toxicity.on_time(Nanos(61 * SEC));
        assert_eq!(raw(&toxicity, ToxicityComponent::Markout), -1.0);
    }

    #[test]
    fn pending_fills_overflow_by_dropping_the_oldest() {
        let config = ToxicityConfig { markout_capacity: 2, ..only(ToxicityComponent::Markout) };
        let mut toxicity = Toxicity::new(&config, Scale::default());
        toxicity.on_top(Nanos(SEC), &top(99, 1, 101, 1), 100.0);
        // Three fills, room for two: the first (a loss of 10 half-spreads) is dropped.
        toxicity.on_own_fill(Nanos(SEC), Side::Bid, Ticks(110), Lots(1), 1.0);
        toxicity.on_own_fill(Nanos(SEC), Side::Bid, Ticks(99), Lots(1), 1.0);
        toxicity.on_own_fill(Nanos(SEC), Side::Ask, Ticks(101), Lots(3), 1.0);
        assert_eq!(toxicity.dropped_fills(), 1);
        // Ignored: no size, no half-spread.
        toxicity.on_own_fill(Nanos(SEC), Side::Bid, Ticks(99), Lots(0), 1.0);
        toxicity.on_own_fill(Nanos(SEC), Side::Bid, Ticks(99), Lots(1), f64::NAN);
        toxicity.on_time(Nanos(7 * SEC));
        // Both kept fills earned a half-spread: −1, weighted 1 and 3.
        assert_eq!(raw(&toxicity, ToxicityComponent::Markout), -1.0);
        assert_eq!(toxicity.dropped_fills(), 1);
        // A fill that matures with no top ever seen cannot be marked: dropped.
        let mut blind = Toxicity::new(&config, Scale::default());
        blind.on_own_fill(Nanos(SEC), Side::Bid, Ticks(99), Lots(1), 1.0);
        blind.on_time(Nanos(7 * SEC));
        assert_eq!(blind.dropped_fills(), 1);
        assert!(raw(&blind, ToxicityComponent::Markout).is_nan());
    }

    // -----------------------------------------------------------------------------------------
    // Intensity

    #[test]
    fn intensity_is_one_at_a_steady_rate_and_jumps_with_a_cluster() {
        let mut toxicity = Toxicity::new(&only(ToxicityComponent::Intensity), Scale::default());
        // Ten prints a second for 20 s. Thanks to the start-up correction the slow baseline is
        // already the true rate: the ratio is near 1, not near 300/20.
        let mut time = 0;
        for _ in 0..200 {
            time += 100 * MS;
            toxicity.on_trade(Nanos(time), &trade(100, 1, Side::Bid));
        }
        toxicity.on_time(Nanos(time + 50 * MS));
        let steady = raw(&toxicity, ToxicityComponent::Intensity);
        assert!((steady - 1.0).abs() < 0.1, "{steady}");
        // 100 prints in the next 100 ms: the fast rate leaps, the slow barely moves.
        for n in 0..100 {
            toxicity.on_trade(Nanos(time + 50 * MS + n * MS), &trade(100, 1, Side::Ask));
        }
        toxicity.on_time(Nanos(time + 200 * MS));
        let cluster = raw(&toxicity, ToxicityComponent::Intensity);
        assert!(cluster > 5.0, "{cluster}");
    }

    #[test]
    fn intensity_ratio_by_hand() {
        // Two prints at t₀ = 0, sampled 1 s later: fast (τ = 1 s) sum 2/e over
        // τ (1 − 1/e); slow (τ = 300 s) sum 2 e^(−1/300) over 300 (1 − e^(−1/300)).
        let intensity = {
            let mut intensity = Intensity::new(&ToxicityConfig::default());
            intensity.on_print(0);
            intensity.on_print(0);
            intensity
        };
        let e = std::f64::consts::E;
        let fast = 2.0 / e / (1.0 - 1.0 / e);
        let slow = 2.0 * (-1.0_f64 / 300.0).exp() / (300.0 * (1.0 - (-1.0_f64 / 300.0).exp()));
        assert!((intensity.ratio(SEC, 0) - fast / slow).abs() < 1e-9);
        assert!(intensity.ratio(0, 0).is_nan(), "no time observed");
    }

    // -----------------------------------------------------------------------------------------
    // Crossing and sweep depth

    #[test]
    fn crossing_is_bps_moved_per_million_of_aggression() {
        let config = ToxicityConfig { crossing_min_notional: 1.0, ..only(ToxicityComponent::Crossing) };
        let mut toxicity = Toxicity::new(&config, Scale::default());
        toxicity.on_top(Nanos(SEC), &top(9_999, 1, 10_001, 1), 10_000.0);
        // No price at the start of the window yet (the first bucket opened without one).
        toxicity.on_time(Nanos(1_100 * MS));
        assert!(raw(&toxicity, ToxicityComponent::Crossing).is_nan());
        // Bursts worth $2M, and the microprice moves 10 bps, within 5 s.
        toxicity.on_burst(&burst(2 * SEC, 1, 1.5e6));
        toxicity.on_burst(&burst(3 * SEC, 2, 0.5e6));
        toxicity.on_top(Nanos(4 * SEC), &top(10_009, 1, 10_011, 1), 10_010.0);
        // At 6.1 s the window [1.1 s, 6.1 s) opened at 10 000: 10 bps / $2M = 5.
        toxicity.on_time(Nanos(6_100 * MS + 1));
        assert!((raw(&toxicity, ToxicityComponent::Crossing) - 5.0).abs() < 1e-9);
        // Five seconds on, no more flow and no move: zero.
        toxicity.on_time(Nanos(11_100 * MS + 1));
        assert_eq!(raw(&toxicity, ToxicityComponent::Crossing), 0.0);
        // A move with no aggression is divided by the floor: 10 bps / $1 (10⁻⁶ M).
        toxicity.on_top(Nanos(12 * SEC), &top(10_019, 1, 10_021, 1), 10_020.0);
        toxicity.on_time(Nanos(12_100 * MS + 1));
        let bps = 10.0 / 10_010.0 * BPS;
        assert!((raw(&toxicity, ToxicityComponent::Crossing) - bps / 1e-6).abs() < 1e-3);
    }

    #[test]
    fn sweep_depth_is_a_notional_weighted_decayed_mean() {
        let mut toxicity = Toxicity::new(&only(ToxicityComponent::SweepDepth), Scale::default());
        toxicity.on_time(Nanos(SEC));
        assert!(raw(&toxicity, ToxicityComponent::SweepDepth).is_nan());
        // $900k eating one level, $100k eating eleven: (0.9 × 1 + 0.1 × 11) = 2 levels.
        toxicity.on_burst(&burst(SEC, 1, 9e5));
        toxicity.on_burst(&burst(SEC, 11, 1e5));
        // A burst with no notional carries no weight.
        toxicity.on_burst(&burst(SEC, 50, 0.0));
        toxicity.on_time(Nanos(1_100 * MS));
        assert!((raw(&toxicity, ToxicityComponent::SweepDepth) - 2.0).abs() < 1e-12);
    }

    // -----------------------------------------------------------------------------------------
    // Sampling, ranking, smoothing

    #[test]
    fn a_value_is_never_ranked_against_itself() {
        let mut toxicity = Toxicity::new(&only(ToxicityComponent::SweepDepth), Scale::default());
        // Each 100 ms a deeper burst: the mean rises at every sample. Ranked against the
        // samples before it, each is above all of them: percentile exactly 1. (Ranked with
        // itself included it would be (n − ½)/n.)
        let mut percentiles = Vec::new();
        for n in 1..=20_i64 {
            let time = n * 100 * MS;
            toxicity.on_time(Nanos(time));
            percentiles.push(toxicity.reading().component(ToxicityComponent::SweepDepth).percentile);
            toxicity.on_burst(&burst(time + MS, n as u32, 1e6));
        }
        // The first sample has no burst yet; the second has no history before it.
        assert_eq!(percentiles[..2], [None, None]);
        assert!(percentiles[2..].iter().all(|&p| p == Some(1.0)), "{percentiles:?}");
        assert_eq!(toxicity.reading().raw, 1.0);
    }

    #[test]
    fn samples_fall_on_the_grid_and_a_long_gap_is_one_sample() {
        let mut toxicity = Toxicity::new(&ToxicityConfig::default(), Scale::default());
        toxicity.on_time(Nanos(1_050 * MS));
        toxicity.on_trade(Nanos(1_060 * MS), &trade(100, 1, Side::Bid));
        assert_eq!(toxicity.histories[5].len(), 0, "no grid point crossed yet");
        toxicity.on_time(Nanos(1_099 * MS));
        assert_eq!(toxicity.histories[5].len(), 0);
        toxicity.on_time(Nanos(1_100 * MS));
        assert_eq!(toxicity.histories[5].len(), 1, "the 1.1 s grid point");
        // A day of silence: one sample, not 864 000.
        toxicity.on_time(Nanos(86_400 * SEC));
        assert_eq!(toxicity.histories[5].len(), 2);
        // Time going backwards is no time at all.
        toxicity.on_time(Nanos(SEC));
        toxicity.on_trade(Nanos(0), &trade(100, 1, Side::Bid));
        toxicity.on_time(Nanos(86_400 * SEC + 99 * MS));
        assert_eq!(toxicity.histories[5].len(), 2);
        assert_eq!(toxicity.clock, Some(86_400 * SEC + 99 * MS));
    }

    #[test]
    fn the_score_renormalises_over_the_components_it_has() {
        let mut components = [ComponentReading::UNDEFINED; 6];
        let weights = ToxicityConfig::default().weights();
        assert_eq!(weighted_score(&components, &weights, 0.0), 0.0);
        components[0].percentile = Some(0.8); // crossing, weight 0.25
        components[3].percentile = Some(0.2); // vpin, weight 0.15
        let expected = (0.25 * 0.8 + 0.15 * 0.2) / 0.4;
        assert!((weighted_score(&components, &weights, 0.0) - expected).abs() < 1e-12);
        // With p₀ = 0.75 only the crossing counts: (0.8 − 0.75) / 0.25 = 0.2, vpin adds 0.
        let expected = (0.25 * 0.2 + 0.15 * 0.0) / 0.4;
        assert!((weighted_score(&components, &weights, 0.75) - expected).abs() < 1e-12);
        components[0].percentile = Some(1.0);
        components[3].percentile = Some(1.0);
        assert!((weighted_score(&components, &weights, 0.75) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_score_rises_fast_and_falls_slowly() {
        // Intensity only: two minutes of a jittery tape of about 20 prints a second, one
        // second of a cluster at 2 000 a second, then the calm tape again for a minute.
        let config = only(ToxicityComponent::Intensity);
        let mut toxicity = Toxicity::new(&config, Scale::default());
        let mut seed: u64 = 7;
        let mut jitter = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as i64 % (90 * MS)
        };
        // One print at `time`; a grid sample it triggers is recorded as (τ, raw).
        let print = |toxicity: &mut Toxicity, time: i64, samples: &mut Vec<(f64, f64)>| {
            let before = toxicity.histories[5].len();
            toxicity.on_time(Nanos(time));
            if toxicity.histories[5].len() > before {
                samples.push((toxicity.reading().value, toxicity.reading().raw));
            }
            toxicity.on_trade(Nanos(time), &trade(100, 1, Side::Bid));
        };
        let mut samples = Vec::new();
        let mut time = 0;
        while time < 120 * SEC {
            time += 5 * MS + jitter();
            print(&mut toxicity, time, &mut samples);
        }
        let calm = toxicity.reading().value;
        let cluster_end = time + SEC;
        while time < cluster_end {
            time += MS / 2;
            print(&mut toxicity, time, &mut samples);
        }
        let alarmed = toxicity.reading().value;
        // One second at raw ≈ 1 closes about half the gap (rise half-life 1 s).
        assert!(alarmed - calm > 0.4 * (1.0 - calm), "calm {calm} alarmed {alarmed}");
        while time < 180 * SEC {
            time += 5 * MS + jitter();
            print(&mut toxicity, time, &mut samples);
        }
        // Every sample follows the smoother's law from the one before (100 ms apart), and no
        // fall in one step comes near the largest rise.
        let (rise, fall) = (Decay::half_life(1.0).factor(100 * MS), Decay::half_life(30.0).factor(100 * MS));
        let (mut largest_rise, mut largest_fall) = (0.0_f64, 0.0_f64);
        for pair in samples.windows(2) {
            let ((before, _), (after, raw)) = (pair[0], pair[1]);
            let factor = if raw > before { rise } else { fall };
            assert!((after - (raw + (before - raw) * factor)).abs() < 1e-12);
            largest_rise = largest_rise.max(after - before);
            largest_fall = largest_fall.max(before - after);
        }
        assert!(largest_fall < largest_rise / 5.0, "rise {largest_rise} fall {largest_fall}");
    }

    #[test]
    fn readings_stay_in_range_on_nonsense_inputs() {
        let mut toxicity =
            Toxicity::new(&ToxicityConfig { min_history: 1, ..ToxicityConfig::default() }, Scale::default());
        let extremes = [i64::MIN, -1, 0, 1, i64::MAX];
        for (n, &x) in extremes.iter().cycle().take(200).enumerate() {
            let time = Nanos(if n % 7 == 0 { x } else { n as i64 * 37 * MS });
            toxicity.on_time(time);
            toxicity.on_trade(time, &trade(x, x, if n % 2 == 0 { Side::Bid } else { Side::Ask }));
            toxicity.on_top(
                time,
                &top(x, x, x.saturating_add(1), x.saturating_neg()),
                [f64::NAN, f64::INFINITY, 1e308, -1.0, 0.5][n % 5],
            );
            toxicity.on_burst(&TakerBurst { levels: u32::MAX, notional: f64::MAX, ..burst(time.0, 1, 1.0) });
            toxicity.on_own_fill(time, Side::Ask, Ticks(x), Lots(x), [f64::NAN, 1e-300, 1.0][n % 3]);
            let reading = toxicity.reading();
            assert!(
                (0.0..=1.0).contains(&reading.value) && (0.0..=1.0).contains(&reading.raw),
                "{reading:?}"
            );
            for component in &reading.components {
                assert!(component.percentile.is_none_or(|p| (0.0..=1.0).contains(&p)));
                assert!(!component.raw.is_infinite());
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Properties

    #[derive(Clone, Debug)]
    enum Input {
        Time(i64),
        Trade(i64, i64, i64, bool),
        Burst(i64, u32, f64),
        Top(i64, i64, i64, i64, i64, f64),
        Fill(i64, bool, i64, i64, f64),
    }

    /// A time step: mostly small and forward, sometimes backwards, sometimes absurd.
    fn step() -> impl Strategy<Value = i64> {
        prop_oneof![
            6 => 0..300 * MS,
            1 => -2 * SEC..0,
            1 => 0..100 * SEC,
            1 => prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0), any::<i64>()],
        ]
    }

    fn extreme() -> impl Strategy<Value = i64> {
        prop_oneof![8 => 1..100_000_i64, 1 => any::<i64>(), 1 => prop_oneof![Just(0), Just(i64::MAX), Just(i64::MIN)]]
    }

    fn finite() -> impl Strategy<Value = f64> {
        prop_oneof![8 => 0.0..1e7, 1 => -1e300..1e300, 1 => prop_oneof![Just(0.0), Just(f64::MAX), Just(f64::MIN_POSITIVE)]]
    }

    fn input() -> impl Strategy<Value = Input> {
        prop_oneof![
            3 => step().prop_map(Input::Time),
            4 => (step(), extreme(), extreme(), any::<bool>()).prop_map(|(t, p, q, b)| Input::Trade(t, p, q, b)),
            1 => (step(), 0..50_u32, finite()).prop_map(|(t, l, n)| Input::Burst(t, l, n)),
            3 => (step(), extreme(), extreme(), 1..20_i64, extreme(), finite())
                .prop_map(|(t, b, bq, spread, aq, m)| Input::Top(t, b, bq, spread, aq, m)),
            1 => (step(), any::<bool>(), extreme(), extreme(), finite()).prop_map(|(t, s, p, q, h)| Input::Fill(t, s, p, q, h)),
        ]
    }

    fn small_config() -> impl Strategy<Value = ToxicityConfig> {
        (1..500_u64, 1..200_usize, 1..20_usize, 1..10_usize).prop_map(|(interval, history, min, buckets)| {
            ToxicityConfig {
                sample_interval_ms: interval,
                history_samples: history,
                min_history: min.min(history),
                vpin_buckets: buckets,
                vpin_bucket_notional: 1e5,
                crossing_window_s: 5.0_f64.max(interval as f64 / 1e3),
                ofi_window_s: 10.0_f64.max(interval as f64 / 1e3),
                markout_capacity: 4,
                ..ToxicityConfig::default()
            }
        })
    }

    proptest! {
        #[test]
        fn any_input_keeps_every_reading_in_range(config in small_config(), inputs in prop::collection::vec(input(), 1..400)) {
            let mut toxicity = Toxicity::new(&config, Scale { tick: 0.1, lot: 0.001 });
            let mut time: i64 = 1_700_000_000 * SEC;
            for input in inputs {
                let at = |time: &mut i64, step: i64| {
                    *time = time.saturating_add(step);
                    Nanos(*time)
                };
                match input {
                    Input::Time(step) => toxicity.on_time(at(&mut time, step)),
                    Input::Trade(step, price, qty, buy) => {
                        let now = at(&mut time, step);
                        toxicity.on_time(now);
                        toxicity.on_trade(now, &trade(price, qty, if buy { Side::Bid } else { Side::Ask }));
                    }
                    Input::Burst(step, levels, notional) => {
                        toxicity.on_burst(&burst(at(&mut time, step).0, levels, notional));
                    }
                    Input::Top(step, bid, bid_qty, spread, ask_qty, microprice) => {
                        let now = at(&mut time, step);
                        toxicity.on_time(now);
                        toxicity.on_top(now, &top(bid, bid_qty, bid.saturating_add(spread), ask_qty), microprice);
                    }
                    Input::Fill(step, buy, price, qty, half_spread) => {
                        let side = if buy { Side::Bid } else { Side::Ask };
                        toxicity.on_own_fill(at(&mut time, step), side, Ticks(price), Lots(qty), half_spread);
                    }
                }
                let reading = toxicity.reading();
                prop_assert!((0.0..=1.0).contains(&reading.value), "{reading:?}");
                prop_assert!((0.0..=1.0).contains(&reading.raw), "{reading:?}");
                for component in &reading.components {
                    prop_assert!(component.percentile.is_none_or(|p| (0.0..=1.0).contains(&p)), "{reading:?}");
                    prop_assert!(component.raw.is_nan() || component.raw.is_finite());
                }
            }
        }

        #[test]
        fn a_step_up_moves_tau_further_in_a_second_than_the_same_step_down(
            low in 0.0..0.9_f64,
            step in 0.05..1.0_f64,
            rise in 0.05..5.0_f64,
            slower in 1.5..50.0_f64,
            interval in 1..1_000_u64,
        ) {
            let high = (low + step).min(1.0);
            let config = ToxicityConfig {
                sample_interval_ms: interval,
                rise_half_life_s: rise,
                fall_half_life_s: rise * slower,
                ..ToxicityConfig::default()
            };
            let interval = interval as i64 * MS;
            // Steady state at `from` (long enough to settle), then one second at `to`; how far
            // did τ move?
            let moved = |from: f64, to: f64| {
                let mut toxicity = Toxicity::new(&config, Scale::default());
                let mut grid = 0;
                toxicity.smooth(grid, from);
                for _ in 0..200 {
                    grid += 5 * SEC;
                    toxicity.smooth(grid, from);
                }
                let settled = toxicity.smooth(grid, from);
                let mut value = settled;
                while grid < 1_000 * SEC + SEC {
                    grid += interval;
                    value = toxicity.smooth(grid.min(1_000 * SEC + SEC), to);
                }
                (value - settled).abs()
            };
            let up = moved(low, high);
            let down = moved(high, low);
            prop_assert!(up > down, "up {up} down {down}");
        }
    }
}
