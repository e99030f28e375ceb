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
//! # The stress mapping
//! Every signal has a raw measure `x` (its [`SignalReading::value`]) and three levels from the
//! config: *calm* (stress 0), *warn* (0.5) and *cascade* (1). The stress is piecewise linear
//! between them and clamped: 0 at or before calm, `0.5·(x − calm)/(warn − calm)` up to warn,
//! `0.5 + 0.5·(x − warn)/(cascade − warn)` up to cascade, 1 beyond. The levels may fall
//! (`calm > warn > cascade`, as for depth) as well as rise. A `NaN` measure is stress 0.
//!
//! # The signals
//! Defaults in parentheses; `N` is a liquidation's notional in the quote currency,
//! `qty × lot × average price`.
//!
//! **Liquidations** (of longs and shorts alike). Two views of the same prints, and the larger
//! stress wins.
//! - *Intensity ratio* (the reading's value): the Hawkes-style decayed intensity of liquidation
//!   notional `λ(t) = Σ Nᵢ e^(−(t−tᵢ)/τ) / τ` (quote per second, `τ` =
//!   `liquidation_time_constant_s`, 30 s) over a slow baseline
//!   `B(t) = max(B₀, Σ' Nᵢ e^(−(t−tᵢ)/T) / (T · E(t)))` with `T` =
//!   `liquidation_baseline_time_constant_s` (1800 s), floored at `B₀` =
//!   `liquidation_floor_per_s` (1000 quote/s). `E(t) = ∫' e^(−(t−s)/T) ds / T` is the decayed
//!   time watched, so the baseline is bias-corrected for a short watch: a constant rate `R` since
//!   the start gives exactly `B = R` (`E = 1 − e^(−t/T)`). `Σ'` and `∫'` leave out the
//!   liquidations and the time while the baseline is frozen: from the moment the ratio
//!   reaches its warn level until it falls below halfway back to calm (stress 0.25; the
//!   hysteresis keeps a ratio hovering at warn from letting the burst in one print at a time).
//!   The baseline learns the calm: a burst would otherwise, early in a watch, drag the
//!   baseline up with it and hide itself. Mapping: calm 1, warn
//!   `liquidation_ratio_warn` (4), cascade `liquidation_ratio_cascade` (10).
//! - *Branching ratio*: the share of liquidations triggered by earlier ones. For a stationary
//!   Hawkes process with branching ratio `n` and an exponential kernel of rate `β`, the counts
//!   `N(Δ)` in windows of length `Δ` have the Fano factor
//!   `F(Δ) = Var N(Δ) / E N(Δ) = 1 + (1/(1−n)² − 1)·(1 − (1 − e^(−κΔ))/(κΔ))`, `κ = β(1−n)`,
//!   which tends to `1/(1−n)²` for windows long against the kernel. So
//!   `n̂ = 1 − 1/√F`, clamped to `[0, 0.999]`, from the counts in `branching_bucket_s` (1 s)
//!   buckets over the last `branching_window_buckets` (300) complete buckets, once they hold
//!   `branching_min_events` (20) liquidations. With buckets not much longer than the kernel,
//!   `F` is below its limit and `n̂` errs low; a rate that steps up inside the window (an
//!   exogenous shock) raises `F` and errs high. Mapping: calm `branching_calm` (0.5), warn
//!   `branching_warn` (0.7), cascade `branching_cascade` (0.9). The estimate remembers a
//!   burst for the whole window, and a self-exciting flow running at its usual rate, or
//!   stopped, is no danger; so this stress is multiplied by the activity
//!   `clamp((ratio − 1) / (liquidation_ratio_warn − 1), 0, 1)`: nothing at the baseline rate,
//!   fully from the intensity's warn level on, where it tells a burst that feeds itself
//!   (stress up to 1) from one that does not (the intensity's own stress).
//! - Hard trigger [`HardTrigger::LiquidationSpike`]: the intensity ratio at or above
//!   `spike_ratio` (20) while the price moved more than `spike_sigmas` (5) standard
//!   deviations over the last `spike_window_s` (10) seconds:
//!   `|ln(p(t) / p(t − W))| > k·σ₁·√W`, with `σ₁` the trailing standard deviation of
//!   1-second log returns of the price (see *Price*).
//!
//! **Open interest.** From the open-interest events, a ring of samples `(t, OI, p)` spaced
//! `oi_long_window_s / 96` apart, and the relative change over `oi_short_window_s` (300) and
//! `oi_long_window_s` (900): `ΔOI/OI = OI(t)/OI(t − W) − 1` against the newest sample at least
//! `W` old (the oldest one while fewer than `W` seconds have been watched; samples taken before
//! any price is known are not kept). Falling open interest is positions closing; it is the loop
//! only when price moves with it: down for a long unwind (longs sell and are liquidated), up
//! for a short squeeze (shorts buy back). So the stress of a window is the mapping of
//! `ΔOI/OI` (calm 0, warn `−oi_warn` (−2 %), cascade
//! `−oi_cascade` (−5 %)) times a price gate `min(1, |Δp/p| / oi_min_price_move)` (0.3 %) over
//! the same window; rising open interest, or a flat price, is no stress. The reading is the
//! more stressed window; its value is that window's `ΔOI/OI`. The price is the mark price once
//! a mark has been seen (liquidations are triggered on the mark), else the last mid or trade.
//!
//! **Funding.** The predicted funding rate `r` of the mark-price events (the value, as a
//! fraction: 0.0001 = 0.01 %). Crowded carry shows as a positive rate; the stress is its flip.
//! Only if `r ≥ funding_carry` (0.01 %) at some time in the last `funding_lookback_s` (8 h),
//! the stress maps `r` with calm `funding_carry`, warn 0 (the sign flip), cascade
//! `funding_cascade` (−0.01 %); a rate that was never carry is no stress.
//!
//! **Basis.** `b = (mark − index) / index` at each mark-price event, as a z-score against its
//! own exponentially weighted mean and variance (half-life `basis_half_life_s`, 1800 s), both
//! taken *before* the sample joins them: `z = (b − b̄) / √(var + s₀²)` with `s₀` =
//! `basis_std_floor` (0.5 bp), so a basis that never moved does not make infinite z-scores of
//! a tick of noise. The value is `z`; the stress maps `|z|` with calm 0, warn `basis_warn` (2),
//! cascade `basis_cascade` (4): a perp falling through its index (long unwind) or squeezed far
//! above it.
//!
//! **Depth** and **Spread.** From [`on_book`](CascadeSignals::on_book): each is smoothed by a
//! time-weighted exponential moving average (each update's value holds until the next; half-lives
//! `depth_fast_half_life_s`, `spread_fast_half_life_s`, 2 s) and divided by a baseline, the
//! time-weighted **median** of the raw measure with exponentially decaying weights (half-lives
//! `depth_baseline_half_life_s`, `spread_baseline_half_life_s`, 600 s), kept in a histogram of
//! 128 log-spaced bins 10 % wide around the first value. A median rather than a mean because
//! depth is lumpy: on the calm 2024-08-08 BTCUSDT recording the notional within ±10 bps jumps
//! between about 17 M and 50 M USDT as one wall enters and leaves the band, and a mean baseline
//! (about 30 M) calls the ordinary 11–17 M a withdrawal. The baseline is frozen (the held
//! values stop joining the histogram) from the moment the ratio reaches its warn level until
//! it is back past halfway to calm (stress below 0.25), so a withdrawal does not become the
//! new normal while it lasts. A held value joins with at most
//! 5 s of weight (a book that went quiet, or untrusted, is not the market for that long).
//! - Depth: value `D̃/D_med`, calm 1, warn `depth_warn` (0.5), cascade `depth_cascade` (0.2);
//!   [`HardTrigger::DepthCollapse`] below `depth_collapse` (0.1).
//! - Spread: value `S̃ / max(S_med, S₀)`, with `S₀` = `spread_floor_bps` (0.5 bp): a
//!   one-tick BTCUSDT spread is 0.016 bp, and a ratio to it would call every second tick a
//!   crisis; the floor says what widening matters. Calm 1, warn `spread_warn` (3), cascade
//!   `spread_cascade` (10).
//!
//! **Volatility.** The strategy's fast/slow volatility ratio as given (the value); calm 1, warn
//! `volatility_warn` (2), cascade `volatility_cascade` (4). (On the calm BTCUSDT recording the
//! ratio's p90 is 1.46 and p99 1.59: a warn at 1.5 would sit inside an ordinary tape.)
//!
//! **Toxicity.** The strategy's `τ` (clamped to `[0, 1]`), sustained: its exponentially
//! weighted mean over samples with time constant `toxicity_time_constant_s` (30 s), so a
//! single spike does not count. Calm `toxicity_calm` (0.4), warn `toxicity_warn` (0.65),
//! cascade `toxicity_cascade` (0.85). (The strategy's `τ` on the calm BTCUSDT recording: p50
//! 0.39, p90 0.58, p99 0.70.)
//!
//! **Options priming** ([`CascadeInputs::priming`]), from
//! [`on_options`](CascadeSignals::on_options): the mean of three stresses,
//! - term-structure inversion `short_iv / long_iv − 1`: calm 0, warn `inversion_warn` (0.05),
//!   cascade `inversion_cascade` (0.25);
//! - a jump in short-dated IV, `short_iv / ī − 1` against its exponentially weighted mean
//!   (half-life `iv_jump_half_life_s`, 3600 s) before the sample: calm 0, warn `iv_jump_warn`
//!   (0.15), cascade `iv_jump_cascade` (0.5);
//! - open interest concentrated at strikes near spot into expiry (within 48 h), the share
//!   given: calm `oi_share_calm` (0.3), warn `oi_share_warn` (0.5), cascade `oi_share_cascade`
//!   (0.7).
//!
//! A mean because priming lowers the detector's thresholds rather than firing: one component
//! at its extreme primes by a third, all three fully. Without an options feed, or when its
//! last reading is older than `options_max_age_s` (600 s), the priming is 0.
//!
//! **Infrastructure.** [`HardTrigger::Infrastructure`] while
//! [`on_infrastructure`](CascadeSignals::on_infrastructure) last said unhealthy, or after a
//! [`FeedCondition::Stale`] event until the next market event or a
//! [`FeedCondition::Reconnected`]. When several hard triggers hold, the first of
//! Infrastructure, LiquidationSpike, DepthCollapse is reported.
//!
//! **Price.** The last book mid or trade price (ticks), sampled previous-tick on a 1-second
//! grid aligned to the epoch; `σ₁²` is the exponentially weighted mean (half-life
//! `price_vol_half_life_s`, 300 s) of squared 1-second log returns (a return over a gap of `k`
//! seconds counts once, divided by `k`), floored at `price_vol_floor_bps` (0.2 bp).
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
//!
//! # References
//! - A. G. Hawkes, "Spectra of some self-exciting and mutually exciting point processes",
//!   *Biometrika* 58(1), 1971: the self-exciting process and its branching structure.
//! - V. Filimonov and D. Sornette, "Quantifying reflexivity in financial markets: toward a
//!   prediction of flash crashes", *Physical Review E* 85, 056108, 2012: the branching ratio as
//!   a measure of endogeneity.
//! - S. J. Hardiman, N. Bercot and J.-P. Bouchaud, "Critical reflexivity in financial markets: a
//!   Hawkes process analysis", *European Physical Journal B* 86, 442, 2013: the variance of
//!   Hawkes counts, `Var N(Δ) / E N(Δ) → 1/(1−n)²`.
//! - J. Da Fonseca and R. Zaatour, "Hawkes process: fast calibration, application to trade
//!   clustering, and diffusive limit", *Journal of Futures Markets* 34(6), 2014: the moments
//!   of counts of the exponential-kernel Hawkes process, from whose covariance density
//!   `F(Δ)` above follows (and is checked against a simulation in the tests).
//! - Y. Ogata, "On Lewis' simulation method for point processes", *IEEE Transactions on
//!   Information Theory* 27(1), 1981: the thinning simulation the scenario tests use.

use feeds::{Event, EventKind, FeedCondition, Nanos, RateE8};
use serde::{Deserialize, Serialize};
use std::f64::consts::LN_2;

use super::{CascadeInputs, CascadeSignal, HardTrigger, SignalReading};

/// Nanoseconds in one second, as `f64`.
const NANOS_PER_SEC: f64 = 1e9;

/// Basis points in one.
const BPS: f64 = 10_000.0;

/// Scale of [`feeds::PriceE8`] and [`RateE8`].
const E8: f64 = feeds::E8 as f64;

/// The longest time, interval or window accepted, in seconds (one day).
const MAX_SECONDS: f64 = 86_400.0;

/// The most buckets the branching-ratio ring may have (a day of 1-second buckets).
const MAX_BRANCHING_BUCKETS: u32 = 86_400;

/// Fewest complete buckets before a branching ratio is estimated.
const MIN_BRANCHING_BUCKETS: usize = 10;

/// Largest branching ratio reported: `n̂ → 1` as `F → ∞`.
const MAX_BRANCHING: f64 = 0.999;

/// A bucket's count is capped here, so that sums of squares over a day of buckets fit a `u64`.
const MAX_BUCKET_COUNT: u64 = 1_000_000;

/// The 1-second price grid keeps this many samples.
const PRICE_GRID: usize = 64;

/// The longest spike window, seconds: the grid must hold one more sample.
const MAX_SPIKE_WINDOW_S: u32 = 60;

const _: () = assert!((MAX_SPIKE_WINDOW_S as usize) < PRICE_GRID);

/// 1-second returns seen before `σ₁` is trusted (and a spike can be called).
const MIN_PRICE_RETURNS: u64 = 30;

/// Open-interest samples kept; they are spaced `oi_long_window_s / OI_SPACING_DIVISOR` apart.
const OI_RING: usize = 128;

/// See [`OI_RING`]: 96 spacings span the long window with a third of the ring to spare.
const OI_SPACING_DIVISOR: f64 = 96.0;

/// Bins of the baseline histograms.
const MEDIAN_BINS: usize = 128;

/// Width of one bin of the baseline histograms, in natural-log units (10 %).
const MEDIAN_BIN_WIDTH: f64 = 0.095_310_179_804_324_86; // ln(1.1)

/// The most weight, in seconds, one held book value adds to a baseline.
const MAX_HOLD_S: f64 = 5.0;

/// Largest implied volatility accepted (10 000 %/year); above it an input is nonsense.
const MAX_IMPLIED: f64 = 100.0;

/// How the cascade signals are measured and mapped to stresses: the `[cascade.signals]` table.
///
/// Every threshold is a level of the signal's raw measure: *warn* maps to stress 0.5 and
/// *cascade* to 1, with stress 0 at the measure's calm level (see the [module](self) docs for
/// each measure and its calm level). Times are in seconds. Every field has a default; unknown
/// fields are errors.
///
/// ```
/// # use risk::cascade::signals::SignalsConfig;
/// let config: SignalsConfig = toml::from_str("depth_warn = 0.6\noi_cascade = 0.08")?;
/// assert_eq!(config.depth_warn, 0.6);
/// assert_eq!(config.spread_warn, SignalsConfig::default().spread_warn);
/// config.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignalsConfig {
    /// Seconds of their own data before the depth, spread and basis baselines (and the
    /// liquidation intensity's) are trusted and their readings known. Default 30. In
    /// `[0, 86 400]`.
    pub warmup_s: f64,
    /// Seconds after which an open-interest, mark-price or strategy reading with no newer
    /// sample becomes unknown. Default 300. Positive, at most 86 400.
    pub max_age_s: f64,

    /// Time constant `τ` of the liquidation intensity, seconds. Default 30. Positive, at most
    /// 86 400.
    pub liquidation_time_constant_s: f64,
    /// Time constant `T` of the liquidation baseline, seconds. Default 1800. At least
    /// `liquidation_time_constant_s`, at most 86 400.
    pub liquidation_baseline_time_constant_s: f64,
    /// Floor `B₀` of the liquidation baseline, quote currency per second: below it, a few
    /// prints are not a burst. Default 1000 (3.6 M USDT an hour; a guess at a quiet hour of
    /// BTCUSDT liquidations, not calibrated: none of the recordings holds liquidations).
    /// Positive and finite.
    pub liquidation_floor_per_s: f64,
    /// Intensity ratio `λ/B` at which liquidations warn (stress 0.5). Default 4. Above 1.
    pub liquidation_ratio_warn: f64,
    /// Intensity ratio `λ/B` of a cascade (stress 1). Default 10. Above
    /// `liquidation_ratio_warn`, finite.
    pub liquidation_ratio_cascade: f64,
    /// Width of the buckets whose counts estimate the branching ratio, seconds. Default 1.
    /// Positive, at most 3600. (Binance's `forceOrder` stream pushes at most one liquidation a
    /// second per symbol, so its counts in 1-second buckets are never above 1: use a venue that
    /// pushes every liquidation, or wider buckets.)
    pub branching_bucket_s: f64,
    /// How many complete buckets the branching ratio is estimated over. Default 300 (five
    /// minutes of 1-second buckets). In `[10, 86 400]`.
    pub branching_window_buckets: u32,
    /// Fewest liquidations in the window before the branching ratio is estimated. Default 20.
    /// At least 2.
    pub branching_min_events: u32,
    /// Branching ratio at and below which it is no stress. Default 0.5. In `[0, 1)`.
    pub branching_calm: f64,
    /// Branching ratio that warns (stress 0.5). Default 0.7. Above `branching_calm`.
    pub branching_warn: f64,
    /// Branching ratio of a cascade (stress 1): nine in ten liquidations caused by earlier
    /// ones. Default 0.9. Above `branching_warn`, below 1.
    pub branching_cascade: f64,
    /// Intensity ratio that, with a large price move, is a
    /// [`LiquidationSpike`](HardTrigger::LiquidationSpike). Default 20. At least
    /// `liquidation_ratio_warn`, finite.
    pub spike_ratio: f64,
    /// The price move, in standard deviations of `spike_window_s` seconds of price, that
    /// with `spike_ratio` makes a spike. Default 5 (the calm BTCUSDT recording's largest
    /// 10-second move is about 3 of them). Positive and finite.
    pub spike_sigmas: f64,
    /// The window of the spike's price move, whole seconds. Default 10. In `[1, 60]`.
    pub spike_window_s: u32,
    /// Half-life of the variance of 1-second price returns, seconds. Default 300. Positive, at
    /// most 86 400.
    pub price_vol_half_life_s: f64,
    /// Floor of the 1-second return standard deviation, basis points. Default 0.2 (the calm
    /// BTCUSDT recording's is about 1.2). Positive and finite.
    pub price_vol_floor_bps: f64,

    /// The short open-interest window, seconds. Default 300. Positive.
    pub oi_short_window_s: f64,
    /// The long open-interest window, seconds. Default 900. At least `oi_short_window_s`, at
    /// most 86 400.
    pub oi_long_window_s: f64,
    /// Fall of open interest over a window, as a fraction, that warns (with the price moving).
    /// Default 0.02 (ΔOI/OI = −2 %). Positive.
    pub oi_warn: f64,
    /// Fall of open interest over a window, as a fraction, of a cascade. Default 0.05
    /// (ΔOI/OI = −5 %). Above `oi_warn`, below 1.
    pub oi_cascade: f64,
    /// Price move over the same window, as a fraction, at and above which a fall of open
    /// interest counts fully (below it, in proportion). Default 0.003 (0.3 %). Positive, below
    /// 1.
    pub oi_min_price_move: f64,

    /// Funding rate, as a fraction per funding period, that counts as positive carry.
    /// Default 0.0001 (0.01 %, Binance's neutral rate). Positive, below 0.01.
    pub funding_carry: f64,
    /// Negative funding rate, as a fraction, of a cascade (stress 1); 0 warns. Default −0.0001
    /// (−0.01 %). Negative, above −0.01.
    pub funding_cascade: f64,
    /// How long a positive carry is remembered, seconds: a flip counts only within it.
    /// Default 28 800 (8 h, one Binance funding period). Positive, at most 86 400.
    pub funding_lookback_s: f64,

    /// Half-life of the basis mean and variance, seconds. Default 1800. Positive, at most
    /// 86 400.
    pub basis_half_life_s: f64,
    /// Floor `s₀` added in quadrature to the basis standard deviation, as a fraction.
    /// Default 0.00005 (0.5 bp). Positive, below 0.01.
    pub basis_std_floor: f64,
    /// `|z|` of the basis that warns. Default 2. Positive.
    pub basis_warn: f64,
    /// `|z|` of the basis of a cascade. Default 4. Above `basis_warn`, finite.
    pub basis_cascade: f64,

    /// Half-life of the smoothed depth, seconds. Default 2. Positive.
    pub depth_fast_half_life_s: f64,
    /// Half-life of the weights of the depth baseline (a median), seconds. Default 600. At
    /// least `depth_fast_half_life_s`, at most 86 400.
    pub depth_baseline_half_life_s: f64,
    /// Depth ratio (smoothed depth over baseline) that warns. Default 0.5 (half the book gone).
    /// Below 1.
    pub depth_warn: f64,
    /// Depth ratio of a cascade. Default 0.2. Below `depth_warn`, positive.
    pub depth_cascade: f64,
    /// Depth ratio below which [`DepthCollapse`](HardTrigger::DepthCollapse) holds. Default 0.1.
    /// Below `depth_cascade`; 0 turns the trigger off.
    pub depth_collapse: f64,

    /// Half-life of the smoothed spread, seconds. Default 2. Positive.
    pub spread_fast_half_life_s: f64,
    /// Half-life of the weights of the spread baseline (a median), seconds. Default 600. At
    /// least `spread_fast_half_life_s`, at most 86 400.
    pub spread_baseline_half_life_s: f64,
    /// Floor `S₀` of the spread baseline, basis points. Default 0.5. At least 0, finite.
    pub spread_floor_bps: f64,
    /// Spread ratio (smoothed spread over the floored baseline) that warns. Default 3. Above 1.
    pub spread_warn: f64,
    /// Spread ratio of a cascade. Default 10. Above `spread_warn`, finite.
    pub spread_cascade: f64,

    /// Fast/slow volatility ratio that warns. Default 2. Above 1.
    pub volatility_warn: f64,
    /// Fast/slow volatility ratio of a cascade. Default 4. Above `volatility_warn`, finite.
    pub volatility_cascade: f64,

    /// Time constant of the sustained toxicity, seconds. Default 30. Positive, at most 86 400.
    pub toxicity_time_constant_s: f64,
    /// Sustained `τ` at and below which it is no stress. Default 0.4. In `[0, 1)`.
    pub toxicity_calm: f64,
    /// Sustained `τ` that warns. Default 0.65. Above `toxicity_calm`.
    pub toxicity_warn: f64,
    /// Sustained `τ` of a cascade. Default 0.85. Above `toxicity_warn`, at most 1.
    pub toxicity_cascade: f64,

    /// Seconds after which the last options reading no longer primes. Default 600. Positive,
    /// at most 86 400.
    pub options_max_age_s: f64,
    /// Term-structure inversion `short_iv/long_iv − 1` that primes by a half. Default 0.05.
    /// Positive.
    pub inversion_warn: f64,
    /// Term-structure inversion that primes fully. Default 0.25. Above `inversion_warn`, finite.
    pub inversion_cascade: f64,
    /// Half-life of the short-dated IV mean the jump is measured against, seconds.
    /// Default 3600. Positive, at most 86 400.
    pub iv_jump_half_life_s: f64,
    /// Jump `short_iv / mean − 1` that primes by a half. Default 0.15. Positive.
    pub iv_jump_warn: f64,
    /// Jump that primes fully. Default 0.5. Above `iv_jump_warn`, finite.
    pub iv_jump_cascade: f64,
    /// Share of open interest near spot into expiry at and below which it does not prime.
    /// Default 0.3. In `[0, 1)`.
    pub oi_share_calm: f64,
    /// Share that primes by a half. Default 0.5. Above `oi_share_calm`.
    pub oi_share_warn: f64,
    /// Share that primes fully. Default 0.7. Above `oi_share_warn`, at most 1.
    pub oi_share_cascade: f64,
}

impl Default for SignalsConfig {
    fn default() -> SignalsConfig {
        SignalsConfig {
            warmup_s: 30.0,
            max_age_s: 300.0,
            liquidation_time_constant_s: 30.0,
            liquidation_baseline_time_constant_s: 1800.0,
            liquidation_floor_per_s: 1000.0,
            liquidation_ratio_warn: 4.0,
            liquidation_ratio_cascade: 10.0,
            branching_bucket_s: 1.0,
            branching_window_buckets: 300,
            branching_min_events: 20,
            branching_calm: 0.5,
            branching_warn: 0.7,
            branching_cascade: 0.9,
            spike_ratio: 20.0,
            spike_sigmas: 5.0,
            spike_window_s: 10,
            price_vol_half_life_s: 300.0,
            price_vol_floor_bps: 0.2,
            oi_short_window_s: 300.0,
            oi_long_window_s: 900.0,
            oi_warn: 0.02,
            oi_cascade: 0.05,
            oi_min_price_move: 0.003,
            funding_carry: 0.0001,
            funding_cascade: -0.0001,
            funding_lookback_s: 28_800.0,
            basis_half_life_s: 1800.0,
            basis_std_floor: 0.00005,
            basis_warn: 2.0,
            basis_cascade: 4.0,
            depth_fast_half_life_s: 2.0,
            depth_baseline_half_life_s: 600.0,
            depth_warn: 0.5,
            depth_cascade: 0.2,
            depth_collapse: 0.1,
            spread_fast_half_life_s: 2.0,
            spread_baseline_half_life_s: 600.0,
            spread_floor_bps: 0.5,
            spread_warn: 3.0,
            spread_cascade: 10.0,
            volatility_warn: 2.0,
            volatility_cascade: 4.0,
            toxicity_time_constant_s: 30.0,
            toxicity_calm: 0.4,
            toxicity_warn: 0.65,
            toxicity_cascade: 0.85,
            options_max_age_s: 600.0,
            inversion_warn: 0.05,
            inversion_cascade: 0.25,
            iv_jump_half_life_s: 3600.0,
            iv_jump_warn: 0.15,
            iv_jump_cascade: 0.5,
            oi_share_calm: 0.3,
            oi_share_warn: 0.5,
            oi_share_cascade: 0.7,
        }
    }
}

/// A [`SignalsConfig`] field with a value that makes no sense.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cascade signals config: {field} = {value}: {requirement}")]
pub struct SignalsConfigError {
    field: &'static str,
    value: String,
    requirement: &'static str,
}

impl SignalsConfigError {
    /// The offending field, as spelt in the config file (`cascade.signals.depth_warn`).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What the field must be.
    pub fn requirement(&self) -> &'static str {
        self.requirement
    }
}

impl SignalsConfig {
    /// Checks every field; the first bad one is named in the error. Each field is checked
    /// against those before it, so a `NaN` is blamed on itself.
    pub fn validate(&self) -> Result<(), SignalsConfigError> {
        fn check(
            ok: bool,
            field: &'static str,
            value: f64,
            requirement: &'static str,
        ) -> Result<(), SignalsConfigError> {
            if ok { Ok(()) } else { Err(SignalsConfigError { field, value: value.to_string(), requirement }) }
        }
        let seconds = |x: f64| x > 0.0 && x <= MAX_SECONDS;
        const SECONDS: &str = "must be above 0 and at most 86400 seconds";
        let finite_above = |x: f64, low: f64| x.is_finite() && x > low;

        check(
            (0.0..=MAX_SECONDS).contains(&self.warmup_s),
            "cascade.signals.warmup_s",
            self.warmup_s,
            "must be in [0, 86400] seconds",
        )?;
        check(seconds(self.max_age_s), "cascade.signals.max_age_s", self.max_age_s, SECONDS)?;

        let c = self;
        check(
            seconds(c.liquidation_time_constant_s),
            "cascade.signals.liquidation_time_constant_s",
            c.liquidation_time_constant_s,
            SECONDS,
        )?;
        check(
            c.liquidation_baseline_time_constant_s >= c.liquidation_time_constant_s
                && c.liquidation_baseline_time_constant_s <= MAX_SECONDS,
            "cascade.signals.liquidation_baseline_time_constant_s",
            c.liquidation_baseline_time_constant_s,
            "must be at least liquidation_time_constant_s and at most 86400 seconds",
        )?;
        check(
            finite_above(c.liquidation_floor_per_s, 0.0),
            "cascade.signals.liquidation_floor_per_s",
            c.liquidation_floor_per_s,
            "must be positive and finite",
        )?;
        check(
            finite_above(c.liquidation_ratio_warn, 1.0),
            "cascade.signals.liquidation_ratio_warn",
            c.liquidation_ratio_warn,
            "must be finite and above 1",
        )?;
        check(
            finite_above(c.liquidation_ratio_cascade, c.liquidation_ratio_warn),
            "cascade.signals.liquidation_ratio_cascade",
            c.liquidation_ratio_cascade,
            "must be finite and above liquidation_ratio_warn",
        )?;
        check(
            c.branching_bucket_s > 0.0 && c.branching_bucket_s <= 3600.0,
            "cascade.signals.branching_bucket_s",
            c.branching_bucket_s,
            "must be above 0 and at most 3600 seconds",
        )?;
        check(
            (MIN_BRANCHING_BUCKETS as u32..=MAX_BRANCHING_BUCKETS).contains(&c.branching_window_buckets),
            "cascade.signals.branching_window_buckets",
            f64::from(c.branching_window_buckets),
            "must be in [10, 86400]",
        )?;
        check(
            c.branching_min_events >= 2,
            "cascade.signals.branching_min_events",
            f64::from(c.branching_min_events),
            "must be at least 2",
        )?;
        check(
            (0.0..1.0).contains(&c.branching_calm),
            "cascade.signals.branching_calm",
            c.branching_calm,
            "must be in [0, 1)",
        )?;
        check(
            c.branching_warn > c.branching_calm && c.branching_warn < 1.0,
            "cascade.signals.branching_warn",
            c.branching_warn,
            "must be above branching_calm and below 1",
        )?;
        check(
            c.branching_cascade > c.branching_warn && c.branching_cascade < 1.0,
            "cascade.signals.branching_cascade",
            c.branching_cascade,
            "must be above branching_warn and below 1",
        )?;
        check(
            c.spike_ratio.is_finite() && c.spike_ratio >= c.liquidation_ratio_warn,
            "cascade.signals.spike_ratio",
            c.spike_ratio,
            "must be finite and at least liquidation_ratio_warn",
        )?;
        check(
            finite_above(c.spike_sigmas, 0.0),
            "cascade.signals.spike_sigmas",
            c.spike_sigmas,
            "must be positive and finite",
        )?;
        check(
            (1..=MAX_SPIKE_WINDOW_S).contains(&c.spike_window_s),
            "cascade.signals.spike_window_s",
            f64::from(c.spike_window_s),
            "must be in [1, 60] seconds",
        )?;
        check(
            seconds(c.price_vol_half_life_s),
            "cascade.signals.price_vol_half_life_s",
            c.price_vol_half_life_s,
            SECONDS,
        )?;
        check(
            finite_above(c.price_vol_floor_bps, 0.0),
            "cascade.signals.price_vol_floor_bps",
            c.price_vol_floor_bps,
            "must be positive and finite",
        )?;

        check(
            seconds(c.oi_short_window_s),
            "cascade.signals.oi_short_window_s",
            c.oi_short_window_s,
            SECONDS,
        )?;
        check(
            c.oi_long_window_s >= c.oi_short_window_s && c.oi_long_window_s <= MAX_SECONDS,
            "cascade.signals.oi_long_window_s",
            c.oi_long_window_s,
            "must be at least oi_short_window_s and at most 86400 seconds",
        )?;
        check(
            c.oi_warn > 0.0 && c.oi_warn < 1.0,
            "cascade.signals.oi_warn",
            c.oi_warn,
            "must be above 0 and below 1",
        )?;
        check(
            c.oi_cascade > c.oi_warn && c.oi_cascade < 1.0,
            "cascade.signals.oi_cascade",
            c.oi_cascade,
            "must be above oi_warn and below 1",
        )?;
        check(
            c.oi_min_price_move > 0.0 && c.oi_min_price_move < 1.0,
            "cascade.signals.oi_min_price_move",
            c.oi_min_price_move,
            "must be above 0 and below 1",
        )?;

        check(
            c.funding_carry > 0.0 && c.funding_carry < 0.01,
            "cascade.signals.funding_carry",
            c.funding_carry,
            "must be above 0 and below 0.01",
        )?;
        check(
            c.funding_cascade < 0.0 && c.funding_cascade > -0.01,
            "cascade.signals.funding_cascade",
            c.funding_cascade,
            "must be below 0 and above -0.01",
        )?;
        check(
            seconds(c.funding_lookback_s),
            "cascade.signals.funding_lookback_s",
            c.funding_lookback_s,
            SECONDS,
        )?;

        check(
            seconds(c.basis_half_life_s),
            "cascade.signals.basis_half_life_s",
            c.basis_half_life_s,
            SECONDS,
        )?;
        check(
            c.basis_std_floor > 0.0 && c.basis_std_floor < 0.01,
            "cascade.signals.basis_std_floor",
            c.basis_std_floor,
            "must be above 0 and below 0.01",
        )?;
        check(
            finite_above(c.basis_warn, 0.0),
            "cascade.signals.basis_warn",
            c.basis_warn,
            "must be positive and finite",
        )?;
        check(
            finite_above(c.basis_cascade, c.basis_warn),
            "cascade.signals.basis_cascade",
            c.basis_cascade,
            "must be finite and above basis_warn",
        )?;

        check(
            seconds(c.depth_fast_half_life_s),
            "cascade.signals.depth_fast_half_life_s",
            c.depth_fast_half_life_s,
            SECONDS,
        )?;
        check(
            c.depth_baseline_half_life_s >= c.depth_fast_half_life_s
                && c.depth_baseline_half_life_s <= MAX_SECONDS,
            "cascade.signals.depth_baseline_half_life_s",
            c.depth_baseline_half_life_s,
            "must be at least depth_fast_half_life_s and at most 86400 seconds",
        )?;
        check(
            c.depth_warn > 0.0 && c.depth_warn < 1.0,
            "cascade.signals.depth_warn",
            c.depth_warn,
            "must be above 0 and below 1",
        )?;
        check(
            c.depth_cascade > 0.0 && c.depth_cascade < c.depth_warn,
            "cascade.signals.depth_cascade",
            c.depth_cascade,
            "must be above 0 and below depth_warn",
        )?;
        check(
            c.depth_collapse >= 0.0 && c.depth_collapse < c.depth_cascade,
            "cascade.signals.depth_collapse",
            c.depth_collapse,
            "must be at least 0 and below depth_cascade",
        )?;

        check(
            seconds(c.spread_fast_half_life_s),
            "cascade.signals.spread_fast_half_life_s",
            c.spread_fast_half_life_s,
            SECONDS,
        )?;
        check(
            c.spread_baseline_half_life_s >= c.spread_fast_half_life_s
                && c.spread_baseline_half_life_s <= MAX_SECONDS,
            "cascade.signals.spread_baseline_half_life_s",
            c.spread_baseline_half_life_s,
            "must be at least spread_fast_half_life_s and at most 86400 seconds",
        )?;
        check(
            c.spread_floor_bps.is_finite() && c.spread_floor_bps >= 0.0,
            "cascade.signals.spread_floor_bps",
            c.spread_floor_bps,
            "must be finite and at least 0",
        )?;
        check(
            finite_above(c.spread_warn, 1.0),
            "cascade.signals.spread_warn",
            c.spread_warn,
            "must be finite and above 1",
        )?;
        check(
            finite_above(c.spread_cascade, c.spread_warn),
            "cascade.signals.spread_cascade",
            c.spread_cascade,
            "must be finite and above spread_warn",
        )?;

        check(
            finite_above(c.volatility_warn, 1.0),
            "cascade.signals.volatility_warn",
            c.volatility_warn,
            "must be finite and above 1",
        )?;
        check(
            finite_above(c.volatility_cascade, c.volatility_warn),
            "cascade.signals.volatility_cascade",
            c.volatility_cascade,
            "must be finite and above volatility_warn",
        )?;

        check(
            seconds(c.toxicity_time_constant_s),
            "cascade.signals.toxicity_time_constant_s",
            c.toxicity_time_constant_s,
            SECONDS,
        )?;
        check(
            (0.0..1.0).contains(&c.toxicity_calm),
            "cascade.signals.toxicity_calm",
            c.toxicity_calm,
            "must be in [0, 1)",
        )?;
        check(
            c.toxicity_warn > c.toxicity_calm && c.toxicity_warn < 1.0,
            "cascade.signals.toxicity_warn",
            c.toxicity_warn,
            "must be above toxicity_calm and below 1",
        )?;
        check(
            c.toxicity_cascade > c.toxicity_warn && c.toxicity_cascade <= 1.0,
            "cascade.signals.toxicity_cascade",
            c.toxicity_cascade,
            "must be above toxicity_warn and at most 1",
        )?;

        check(
            seconds(c.options_max_age_s),
            "cascade.signals.options_max_age_s",
            c.options_max_age_s,
            SECONDS,
        )?;
        check(
            finite_above(c.inversion_warn, 0.0),
            "cascade.signals.inversion_warn",
            c.inversion_warn,
            "must be positive and finite",
        )?;
        check(
            finite_above(c.inversion_cascade, c.inversion_warn),
            "cascade.signals.inversion_cascade",
            c.inversion_cascade,
            "must be finite and above inversion_warn",
        )?;
        check(
            seconds(c.iv_jump_half_life_s),
            "cascade.signals.iv_jump_half_life_s",
            c.iv_jump_half_life_s,
            SECONDS,
        )?;
        check(
            finite_above(c.iv_jump_warn, 0.0),
            "cascade.signals.iv_jump_warn",
            c.iv_jump_warn,
            "must be positive and finite",
        )?;
        check(
            finite_above(c.iv_jump_cascade, c.iv_jump_warn),
            "cascade.signals.iv_jump_cascade",
            c.iv_jump_cascade,
            "must be finite and above iv_jump_warn",
        )?;
        check(
            (0.0..1.0).contains(&c.oi_share_calm),
            "cascade.signals.oi_share_calm",
            c.oi_share_calm,
            "must be in [0, 1)",
        )?;
        check(
            c.oi_share_warn > c.oi_share_calm && c.oi_share_warn < 1.0,
            "cascade.signals.oi_share_warn",
            c.oi_share_warn,
            "must be above oi_share_calm and below 1",
        )?;
        check(
            c.oi_share_cascade > c.oi_share_warn && c.oi_share_cascade <= 1.0,
            "cascade.signals.oi_share_cascade",
            c.oi_share_cascade,
            "must be above oi_share_warn and at most 1",
        )
    }
}

/// The piecewise-linear stress of a measure `x` with levels `calm` (0), `warn` (0.5) and
/// `cascade` (1), rising or falling, clamped to `[0, 1]`; 0 for `NaN`.
fn stress(x: f64, calm: f64, warn: f64, cascade: f64) -> f64 {
    if x.is_nan() {
        return 0.0;
    }
    // A falling mapping is the rising one of the negated values.
    let (x, calm, warn, cascade) =
        if cascade >= calm { (x, calm, warn, cascade) } else { (-x, -calm, -warn, -cascade) };
    if x <= calm {
        0.0
    } else if x <= warn {
        0.5 * (x - calm) / (warn - calm)
    } else if x < cascade {
        0.5 + 0.5 * (x - warn) / (cascade - warn)
    } else {
        1.0
    }
}

/// Whether a baseline is frozen, given whether it was and its signal's stress now: it
/// freezes at the warn level (stress 0.5) and thaws only halfway back to calm (below 0.25), so
/// that a ratio hovering at warn does not let a burst in one update at a time.
#[inline]
fn freeze(frozen: bool, stress: f64) -> bool {
    if frozen { stress >= 0.25 } else { stress >= 0.5 }
}

/// `e^(−elapsed · rate)` for a rate per nanosecond; 1 for `elapsed ≤ 0`.
#[inline]
fn decay(elapsed: i64, rate: f64) -> f64 {
    if elapsed <= 0 { 1.0 } else { (-(elapsed as f64) * rate).exp() }
}

/// Decay rate per nanosecond of a half-life in seconds.
fn half_life_rate(seconds: f64) -> f64 {
    LN_2 / (seconds * NANOS_PER_SEC)
}

/// Decay rate per nanosecond of a time constant in seconds.
fn time_constant_rate(seconds: f64) -> f64 {
    1.0 / (seconds * NANOS_PER_SEC)
}

/// Seconds from `earlier` to `later`, 0 if negative.
#[inline]
fn seconds_between(earlier: Nanos, later: Nanos) -> f64 {
    later.saturating_since(earlier).max(0) as f64 / NANOS_PER_SEC
}

/// Nanoseconds of a validated number of seconds.
fn nanos(seconds: f64) -> i64 {
    (seconds * NANOS_PER_SEC).round() as i64
}

/// The exponentially weighted mean of irregularly timed samples, `Σ wᵢ xᵢ / Σ wᵢ` with
/// `wᵢ = e^(−(t − tᵢ)·rate)`: unbiased from the first sample.
#[derive(Clone, Copy, Debug)]
struct DecayedMean {
    sum: f64,
    weight: f64,
    time: Nanos,
    rate: f64,
}

impl DecayedMean {
    fn new(rate: f64) -> DecayedMean {
        DecayedMean { sum: 0.0, weight: 0.0, time: Nanos(i64::MIN), rate }
    }

    fn add(&mut self, time: Nanos, x: f64) {
        if self.weight > 0.0 {
            let factor = decay(time.saturating_since(self.time), self.rate);
            self.sum *= factor;
            self.weight *= factor;
        }
        self.time = self.time.max(time);
        self.sum += x;
        self.weight += 1.0;
    }

    /// The mean; `None` before the first sample (or once every weight has decayed away).
    fn mean(&self) -> Option<f64> {
        (self.weight > 0.0).then(|| self.sum / self.weight)
    }
}

/// A time-weighted exponential moving average of a piecewise-constant signal: each value holds
/// until the next, and the average at `t` weighs the value held at `s` by `e^(−(t−s)·rate)`.
#[derive(Clone, Copy, Debug)]
struct HeldAverage {
    value: f64,
    held: f64,
    time: Nanos,
    rate: f64,
    started: bool,
}

impl HeldAverage {
    fn new(rate: f64) -> HeldAverage {
        HeldAverage { value: f64::NAN, held: f64::NAN, time: Nanos(i64::MIN), rate, started: false }
    }

    fn value_at(&self, now: Nanos) -> f64 {
        if !self.started {
            return f64::NAN;
        }
        let factor = decay(now.saturating_since(self.time), self.rate);
        self.value * factor + self.held * (1.0 - factor)
    }

    fn update(&mut self, time: Nanos, x: f64) {
        if self.started {
            self.value = self.value_at(time);
        } else {
            self.value = x;
            self.started = true;
        }
        self.time = self.time.max(time);
        self.held = x;
    }
}

/// A median with exponentially decaying weights, from a histogram of `MEDIAN_BINS` log-spaced
/// bins centred on the first value (values outside fall in the edge bins). Each bin also keeps
/// the weighted mean of its values' logs, and the median is that mean in the bin where the
/// cumulative weight crosses half: exact when the bin holds one value, within the bin's 10 %
/// otherwise.
///
/// Weights are stored grown by `e^((t − epoch)·rate)` rather than decayed, so adding is O(1);
/// the bins are rescaled when the growth nears `e^40`.
#[derive(Clone, Debug)]
struct DecayedMedian {
    weights: [f64; MEDIAN_BINS],
    /// `Σ w·ln x` per bin.
    logs: [f64; MEDIAN_BINS],
    /// Natural log of the lower edge of bin 0.
    origin: f64,
    epoch: Nanos,
    rate: f64,
    started: bool,
}

impl DecayedMedian {
    fn new(rate: f64) -> DecayedMedian {
        DecayedMedian {
            weights: [0.0; MEDIAN_BINS],
            logs: [0.0; MEDIAN_BINS],
            origin: 0.0,
            epoch: Nanos(0),
            rate,
            started: false,
        }
    }

    /// Adds `weight` (seconds) at the value `x > 0`, at `time`.
    fn add(&mut self, time: Nanos, x: f64, weight: f64) {
        if !(x > 0.0 && x.is_finite() && weight > 0.0) {
            return;
        }
        let log = x.ln();
        if !self.started {
            self.origin = log - (MEDIAN_BINS / 2) as f64 * MEDIAN_BIN_WIDTH - MEDIAN_BIN_WIDTH / 2.0;
            self.epoch = time;
            self.started = true;
        }
        let mut growth = time.saturating_since(self.epoch).max(0) as f64 * self.rate;
        if growth > 40.0 {
            let factor = (-growth).exp();
            self.weights.iter_mut().chain(self.logs.iter_mut()).for_each(|value| *value *= factor);
            self.epoch = time;
            growth = 0.0;
        }
        let bin =
            ((log - self.origin) / MEDIAN_BIN_WIDTH).floor().clamp(0.0, (MEDIAN_BINS - 1) as f64) as usize;
        let weight = weight * growth.exp();
        self.weights[bin] += weight;
        self.logs[bin] += weight * log;
    }

    /// The weighted median; `None` before any weight.
    fn median(&self) -> Option<f64> {
        let total: f64 = self.weights.iter().sum();
        if total.is_nan() || total <= 0.0 {
            return None;
        }
        let mut below = 0.0;
        for (weight, log) in self.weights.iter().zip(&self.logs) {
            below += weight;
            if *weight > 0.0 && below >= total / 2.0 {
                return Some((log / weight).exp());
            }
        }
        None
    }
}

/// Counts of events in fixed buckets over a trailing window, and their Fano factor.
#[derive(Clone, Debug)]
struct BucketCounts {
    counts: Box<[u32]>,
    /// Where the next complete bucket goes.
    head: usize,
    /// Complete buckets held, at most `counts.len()`.
    filled: usize,
    sum: u64,
    sum_of_squares: u64,
    /// Index (time / width) of the open bucket; `None` before the first advance.
    bucket: Option<i64>,
    open: u64,
    width: i64,
}

impl BucketCounts {
    fn new(buckets: usize, width: i64) -> BucketCounts {
        BucketCounts {
            counts: vec![0; buckets].into_boxed_slice(),
            head: 0,
            filled: 0,
            sum: 0,
            sum_of_squares: 0,
            bucket: None,
            open: 0,
            width,
        }
    }

    /// Closes every bucket that ended by `time`.
    fn advance(&mut self, time: Nanos) {
        let index = time.0.div_euclid(self.width);
        let Some(open) = self.bucket else {
            self.bucket = Some(index);
            return;
        };
        if index <= open {
            return;
        }
        let count = self.open;
        self.push(count);
        // The buckets between were empty; no more than the ring holds need writing.
        let empty = (index - open - 1).min(self.counts.len() as i64);
        for _ in 0..empty {
            self.push(0);
        }
        self.bucket = Some(index);
        self.open = 0;
    }

    fn push(&mut self, count: u64) {
        let count = count.min(MAX_BUCKET_COUNT);
        if self.filled == self.counts.len() {
            let old = u64::from(self.counts[self.head]);
            self.sum -= old;
            self.sum_of_squares -= old * old;
        } else {
            self.filled += 1;
        }
        self.counts[self.head] = count as u32;
        self.sum += count;
        self.sum_of_squares += count * count;
        self.head = (self.head + 1) % self.counts.len();
    }

    fn record(&mut self, time: Nanos) {
        self.advance(time);
        self.open = self.open.saturating_add(1);
    }

    /// `1 − 1/√F` from the Fano factor of the complete buckets, clamped to
    /// `[0, MAX_BRANCHING]`; `None` with fewer than `min_events` events or
    /// `MIN_BRANCHING_BUCKETS` buckets.
    fn branching(&self, min_events: u64) -> Option<f64> {
        if self.filled < MIN_BRANCHING_BUCKETS || self.sum < min_events.max(1) {
            return None;
        }
        let n = self.filled as f64;
        let mean = self.sum as f64 / n;
        let variance = (self.sum_of_squares as f64 - self.sum as f64 * mean) / (n - 1.0);
        let fano = variance / mean;
        Some(if fano > 1.0 { (1.0 - 1.0 / fano.sqrt()).clamp(0.0, MAX_BRANCHING) } else { 0.0 })
    }
}

/// Liquidation intensity, baseline and branching ratio.
#[derive(Clone, Debug)]
struct LiquidationTrack {
    seen: bool,
    /// `Σ Nᵢ e^(−(t−tᵢ)/τ) / τ`, quote per second, as of `time`.
    intensity: f64,
    /// `Σ' Nᵢ e^(−(t−tᵢ)/T) / T`, as of `time`.
    baseline_notional: f64,
    /// `E(t)`, the decayed share of watched, unfrozen time, as of `time`.
    exposure: f64,
    /// The baseline is frozen (see [`freeze`]).
    frozen: bool,
    time: Nanos,
    started: bool,
    fast_rate: f64,
    slow_rate: f64,
    counts: BucketCounts,
}

impl LiquidationTrack {
    fn new(config: &SignalsConfig) -> LiquidationTrack {
        LiquidationTrack {
            seen: false,
            intensity: 0.0,
            baseline_notional: 0.0,
            exposure: 0.0,
            frozen: false,
            time: Nanos(0),
            started: false,
            fast_rate: time_constant_rate(config.liquidation_time_constant_s),
            slow_rate: time_constant_rate(config.liquidation_baseline_time_constant_s),
            counts: BucketCounts::new(
                config.branching_window_buckets as usize,
                nanos(config.branching_bucket_s).max(1),
            ),
        }
    }

    /// Decays everything to `now` and re-decides the freeze.
    fn advance(&mut self, now: Nanos, config: &SignalsConfig) {
        if !self.started {
            self.started = true;
            self.time = now;
        }
        let elapsed = now.saturating_since(self.time);
        if elapsed > 0 {
            self.intensity *= decay(elapsed, self.fast_rate);
            let factor = decay(elapsed, self.slow_rate);
            self.baseline_notional *= factor;
            self.exposure = self.exposure * factor + if self.frozen { 0.0 } else { 1.0 - factor };
            self.time = now;
        }
        self.counts.advance(now);
        self.refreeze(config);
    }

    /// Freezes the baseline at the warn level, thaws it halfway back to calm.
    fn refreeze(&mut self, config: &SignalsConfig) {
        let ratio = self.ratio(config);
        self.frozen = freeze(
            self.frozen,
            stress(ratio, 1.0, config.liquidation_ratio_warn, config.liquidation_ratio_cascade),
        );
    }

    fn on_liquidation(&mut self, time: Nanos, notional: f64, config: &SignalsConfig) {
        self.advance(time, config);
        self.seen = true;
        self.intensity += notional * self.fast_rate * NANOS_PER_SEC;
        if !self.frozen {
            self.baseline_notional += notional * self.slow_rate * NANOS_PER_SEC;
        }
        self.counts.record(time);
        self.refreeze(config);
    }

    fn baseline(&self, config: &SignalsConfig) -> f64 {
        let learned = if self.exposure > 1e-12 { self.baseline_notional / self.exposure } else { 0.0 };
        learned.max(config.liquidation_floor_per_s)
    }

    fn ratio(&self, config: &SignalsConfig) -> f64 {
        self.intensity / self.baseline(config)
    }
}

/// The last price and its 1-second grid.
#[derive(Clone, Debug)]
struct PriceTrack {
    /// The last mid or trade price, ticks; `NaN` before the first.
    last: f64,
    grid: [f64; PRICE_GRID],
    /// The latest grid second sampled; `None` before the first price.
    second: Option<i64>,
    /// Grid samples taken (the first price counts as one).
    samples: u64,
    returns: u64,
    /// Mean of squared 1-second log returns.
    variance: DecayedMean,
}

impl PriceTrack {
    fn new(config: &SignalsConfig) -> PriceTrack {
        PriceTrack {
            last: f64::NAN,
            grid: [f64::NAN; PRICE_GRID],
            second: None,
            samples: 0,
            returns: 0,
            variance: DecayedMean::new(half_life_rate(config.price_vol_half_life_s)),
        }
    }

    /// Samples the grid up to `now` with the price held.
    fn advance(&mut self, now: Nanos) {
        let Some(second) = self.second else { return };
        let target = now.0.div_euclid(Nanos::PER_SECOND);
        if target <= second {
            return;
        }
        let previous = self.grid[second.rem_euclid(PRICE_GRID as i64) as usize];
        let gap = target - second;
        for offset in (gap - gap.min(PRICE_GRID as i64) + 1)..=gap {
            self.grid[(second + offset).rem_euclid(PRICE_GRID as i64) as usize] = self.last;
        }
        self.samples = self.samples.saturating_add(gap as u64);
        self.second = Some(target);
        let r = (self.last / previous).ln();
        if r.is_finite() {
            self.variance.add(Nanos(target.saturating_mul(Nanos::PER_SECOND)), r * r / gap as f64);
            self.returns += 1;
        }
    }

    fn on_price(&mut self, time: Nanos, price: f64) {
        if !(price > 0.0 && price.is_finite()) {
            return;
        }
        if self.second.is_none() {
            let second = time.0.div_euclid(Nanos::PER_SECOND);
            self.second = Some(second);
            self.grid[second.rem_euclid(PRICE_GRID as i64) as usize] = price;
            self.samples = 1;
        } else {
            self.advance(time);
        }
        self.last = price;
    }

    /// `σ₁`, the 1-second return standard deviation (a fraction), floored; `None` until enough
    /// returns.
    fn sigma(&self, floor: f64) -> Option<f64> {
        if self.returns < MIN_PRICE_RETURNS {
            return None;
        }
        Some(self.variance.mean()?.sqrt().max(floor))
    }

    /// `ln(p(now) / p(now − window))` with the grid advanced to `now`; `None` without enough
    /// history.
    fn log_move(&self, window: u32) -> Option<f64> {
        let second = self.second?;
        if self.samples <= u64::from(window) {
            return None;
        }
        let then = self.grid[(second - i64::from(window)).rem_euclid(PRICE_GRID as i64) as usize];
        let r = (self.last / then).ln();
        r.is_finite().then_some(r)
    }
}

/// One open-interest sample.
#[derive(Clone, Copy, Debug)]
struct OiSample {
    time: Nanos,
    open_interest: f64,
    /// The reference price at the time (NaN if none).
    price: f64,
}

/// A ring of open-interest samples.
#[derive(Clone, Debug)]
struct OpenInterestTrack {
    ring: [OiSample; OI_RING],
    /// Next write position.
    head: usize,
    len: usize,
    latest: Option<OiSample>,
    spacing: i64,
}

impl OpenInterestTrack {
    fn new(config: &SignalsConfig) -> OpenInterestTrack {
        let empty = OiSample { time: Nanos(0), open_interest: f64::NAN, price: f64::NAN };
        OpenInterestTrack {
            ring: [empty; OI_RING],
            head: 0,
            len: 0,
            latest: None,
            spacing: nanos(config.oi_long_window_s / OI_SPACING_DIVISOR),
        }
    }

    fn newest(&self) -> Option<&OiSample> {
        (self.len > 0).then(|| &self.ring[(self.head + OI_RING - 1) % OI_RING])
    }

    fn on_open_interest(&mut self, time: Nanos, open_interest: f64, price: f64) {
        if !(open_interest > 0.0 && open_interest.is_finite()) {
            return;
        }
        let sample = OiSample { time, open_interest, price };
        self.latest = Some(sample);
        // A sample without a price could never show the price moving: it is not kept.
        let spaced = self.newest().is_none_or(|newest| time.saturating_since(newest.time) >= self.spacing);
        if price.is_finite() && spaced {
            self.ring[self.head] = sample;
            self.head = (self.head + 1) % OI_RING;
            self.len = (self.len + 1).min(OI_RING);
        }
    }

    /// `(ΔOI/OI, Δp/p)` from the newest sample at least `window` old at `now` (the oldest
    /// held, if none is; the latest, with no change, if none is held) to the latest sample and
    /// the price `price_now`.
    fn change(&self, now: Nanos, window: i64, price_now: f64) -> Option<(f64, f64)> {
        let latest = self.latest?;
        let cutoff = now.0.saturating_sub(window);
        let oldest = (self.head + OI_RING - self.len) % OI_RING;
        let mut reference = self.ring[oldest];
        for offset in 0..self.len {
            let sample = self.ring[(oldest + offset) % OI_RING];
            if sample.time.0 <= cutoff {
                reference = sample;
            } else {
                break;
            }
        }
        if self.len == 0 {
            reference = latest;
        }
        let open_interest = latest.open_interest / reference.open_interest - 1.0;
        let price = price_now / reference.price - 1.0;
        Some((open_interest, price))
    }
}

/// Mark price, funding and basis.
#[derive(Clone, Copy, Debug)]
struct MarkTrack {
    first: Option<Nanos>,
    last: Nanos,
    /// Mark price in ticks.
    mark: f64,
    funding: f64,
    last_carry: Option<Nanos>,
    z: f64,
    basis_mean: DecayedMean,
    basis_square: DecayedMean,
}

impl MarkTrack {
    fn new(config: &SignalsConfig) -> MarkTrack {
        let rate = half_life_rate(config.basis_half_life_s);
        MarkTrack {
            first: None,
            last: Nanos(0),
            mark: f64::NAN,
            funding: f64::NAN,
            last_carry: None,
            z: f64::NAN,
            basis_mean: DecayedMean::new(rate),
            basis_square: DecayedMean::new(rate),
        }
    }

    fn on_mark(&mut self, time: Nanos, mark: f64, index: f64, funding: f64, config: &SignalsConfig) {
        if !(mark > 0.0 && mark.is_finite()) {
            return;
        }
        self.first.get_or_insert(time);
        self.last = time;
        self.mark = mark;
        if funding.is_finite() {
            self.funding = funding;
            if funding >= config.funding_carry {
                self.last_carry = Some(time);
            }
        }
        if index > 0.0 && index.is_finite() {
            let basis = (mark - index) / index;
            if let (Some(mean), Some(square)) = (self.basis_mean.mean(), self.basis_square.mean()) {
                let variance = (square - mean * mean).max(0.0);
                self.z = (basis - mean) / (variance + config.basis_std_floor * config.basis_std_floor).sqrt();
            }
            self.basis_mean.add(time, basis);
            self.basis_square.add(time, basis * basis);
        }
    }
}

/// Smoothed book measure against its median baseline.
#[derive(Clone, Debug)]
struct BookGauge {
    fast: HeldAverage,
    baseline: DecayedMedian,
    first: Option<Nanos>,
    last: Nanos,
    /// The raw value held since `last`.
    held: f64,
    /// The baseline is frozen.
    frozen: bool,
}

impl BookGauge {
    fn new(fast_half_life_s: f64, baseline_half_life_s: f64) -> BookGauge {
        BookGauge {
            fast: HeldAverage::new(half_life_rate(fast_half_life_s)),
            baseline: DecayedMedian::new(half_life_rate(baseline_half_life_s)),
            first: None,
            last: Nanos(0),
            held: f64::NAN,
            frozen: false,
        }
    }

    /// Smoothed value over `max(baseline, floor)` at `now`; `None` before any value.
    fn ratio(&self, now: Nanos, floor: f64) -> Option<f64> {
        self.first?;
        let fast = self.fast.value_at(now);
        let baseline = self.baseline.median().unwrap_or(self.held).max(floor);
        let ratio = fast / baseline;
        ratio.is_finite().then_some(ratio)
    }

    /// A new raw value at `time`; the value held until now joins the baseline unless it is
    /// [frozen](freeze) by the ratio's `stress`.
    fn update(&mut self, time: Nanos, x: f64, floor: f64, stress: impl Fn(f64) -> f64) {
        if !(x >= 0.0 && x.is_finite()) {
            return;
        }
        if self.first.is_none() {
            self.first = Some(time);
        } else {
            let level = self.ratio(time, floor).map_or(0.0, stress);
            self.frozen = freeze(self.frozen, level);
            if !self.frozen {
                let held_for = seconds_between(self.last, time).min(MAX_HOLD_S);
                self.baseline.add(time, self.held, held_for);
            }
        }
        self.fast.update(time, x);
        self.last = time;
        self.held = x;
    }

    fn warm(&self, now: Nanos, warmup_s: f64) -> bool {
        self.first.is_some_and(|first| seconds_between(first, now) >= warmup_s)
    }
}

/// The strategy's readings.
#[derive(Clone, Copy, Debug)]
struct StrategyTrack {
    volatility_ratio: f64,
    volatility_time: Nanos,
    toxicity: DecayedMean,
    toxicity_time: Nanos,
}

/// The options feed.
#[derive(Clone, Copy, Debug)]
struct OptionsTrack {
    last: Option<Nanos>,
    inversion: f64,
    jump: f64,
    share: f64,
    short_mean: DecayedMean,
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
            strategy: StrategyTrack {
                volatility_ratio: f64::NAN,
                volatility_time: Nanos(0),
                toxicity: DecayedMean::new(time_constant_rate(config.toxicity_time_constant_s)),
                toxicity_time: Nanos(0),
            },
            options: OptionsTrack {
                last: None,
                inversion: f64::NAN,
                jump: f64::NAN,
                share: f64::NAN,
                short_mean: DecayedMean::new(half_life_rate(config.iv_jump_half_life_s)),
            },
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
    /// price and funding, trades (their price), and feed status (a stale feed is an
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
        let depth_stress = |ratio| stress(ratio, 1.0, config.depth_warn, config.depth_cascade);
        let spread_stress = |ratio| stress(ratio, 1.0, config.spread_warn, config.spread_cascade);
        self.depth.update(now, depth_notional, 0.0, depth_stress);
        self.spread.update(now, spread_bps, config.spread_floor_bps, spread_stress);
        self.price.on_price(now, mid);
    }

    /// The strategy's fast/slow volatility ratio and toxicity `τ` at `time`. A non-finite or
    /// negative ratio, or a non-finite `τ`, is ignored (each on its own); `τ` is clamped to
    /// `[0, 1]`.
    pub fn on_strategy(&mut self, time: Nanos, vol_ratio: f64, toxicity: f64) {
        let now = self.clock(time);
        if vol_ratio >= 0.0 && vol_ratio.is_finite() {
            self.strategy.volatility_ratio = vol_ratio;
            self.strategy.volatility_time = now;
        }
        if toxicity.is_finite() {
            self.strategy.toxicity.add(now, toxicity.clamp(0.0, 1.0));
            self.strategy.toxicity_time = now;
        }
    }

    /// An options reading at `time`: annualised at-the-money implied volatility of the
    /// short-dated (under 48 h) and longer-dated expiries, and the share of open interest at
    /// strikes near spot among expiries within 48 h. Ignored unless both vols are in
    /// `(0, 100]` and the share in `[0, 1]`.
    pub fn on_options(&mut self, time: Nanos, short_iv: f64, long_iv: f64, oi_near_spot_share: f64) {
        let valid = |iv: f64| iv > 0.0 && iv <= MAX_IMPLIED;
        if !(valid(short_iv) && valid(long_iv) && (0.0..=1.0).contains(&oi_near_spot_share)) {
            return;
        }
        let now = self.clock(time);
        let options = &mut self.options;
        options.inversion = short_iv / long_iv - 1.0;
        options.jump = options.short_mean.mean().map_or(0.0, |mean| short_iv / mean - 1.0);
        options.short_mean.add(now, short_iv);
        options.share = oi_near_spot_share;
        options.last = Some(now);
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
        let fresh = |time: Nanos| seconds_between(time, now) <= config.max_age_s;

        // Liquidations.
        let liquidations = &self.liquidations;
        let ratio = liquidations.ratio(&config);
        if liquidations.seen && seconds_between(start, now) >= config.warmup_s {
            let intensity =
                stress(ratio, 1.0, config.liquidation_ratio_warn, config.liquidation_ratio_cascade);
            let branching =
                liquidations.counts.branching(u64::from(config.branching_min_events)).map_or(0.0, |n| {
                    stress(n, config.branching_calm, config.branching_warn, config.branching_cascade)
                });
            let activity = ((ratio - 1.0) / (config.liquidation_ratio_warn - 1.0)).clamp(0.0, 1.0);
            inputs.readings[CascadeSignal::Liquidations.index()] =
                SignalReading { value: ratio, stress: intensity.max(branching * activity), known: true };
        }

        // Open interest.
        if let Some(latest) = self.open_interest.latest
            && fresh(latest.time)
        {
            let price = self.reference_price();
            let window = |seconds: f64| {
                let (open_interest, moved) = self.open_interest.change(now, nanos(seconds), price)?;
                let gate =
                    if moved.is_finite() { (moved.abs() / config.oi_min_price_move).min(1.0) } else { 0.0 };
                let level = stress(open_interest, 0.0, -config.oi_warn, -config.oi_cascade) * gate;
                Some((open_interest, level))
            };
            let short = window(config.oi_short_window_s).unwrap_or((0.0, 0.0));
            let long = window(config.oi_long_window_s).unwrap_or((0.0, 0.0));
            let (value, level) = if long.1 > short.1 { long } else { short };
            inputs.readings[CascadeSignal::OpenInterest.index()] =
                SignalReading { value, stress: level, known: true };
        }

        // Funding and basis.
        if self.mark.first.is_some() && fresh(self.mark.last) {
            let mark = &self.mark;
            if mark.funding.is_finite() {
                let carried = mark
                    .last_carry
                    .is_some_and(|time| seconds_between(time, now) <= config.funding_lookback_s);
                let level = if carried {
                    stress(mark.funding, config.funding_carry, 0.0, config.funding_cascade)
                } else {
                    0.0
                };
                inputs.readings[CascadeSignal::Funding.index()] =
                    SignalReading { value: mark.funding, stress: level, known: true };
            }
            if mark.first.is_some_and(|first| seconds_between(first, now) >= config.warmup_s)
                && mark.z.is_finite()
            {
                let level = stress(mark.z.abs(), 0.0, config.basis_warn, config.basis_cascade);
                inputs.readings[CascadeSignal::Basis.index()] =
                    SignalReading { value: mark.z, stress: level, known: true };
            }
        }

        // Depth and spread.
        let depth_ratio = self.depth.ratio(now, 0.0).filter(|_| self.depth.warm(now, config.warmup_s));
        if let Some(ratio) = depth_ratio {
            let level = stress(ratio, 1.0, config.depth_warn, config.depth_cascade);
            inputs.readings[CascadeSignal::Depth.index()] =
                SignalReading { value: ratio, stress: level, known: true };
        }
        if let Some(ratio) = self.spread.ratio(now, config.spread_floor_bps)
            && self.spread.warm(now, config.warmup_s)
        {
            let level = stress(ratio, 1.0, config.spread_warn, config.spread_cascade);
            inputs.readings[CascadeSignal::Spread.index()] =
                SignalReading { value: ratio, stress: level, known: true };
        }

        // The strategy's readings.
        let strategy = &self.strategy;
        if strategy.volatility_ratio.is_finite() && fresh(strategy.volatility_time) {
            let ratio = strategy.volatility_ratio;
            let level = stress(ratio, 1.0, config.volatility_warn, config.volatility_cascade);
            inputs.readings[CascadeSignal::Volatility.index()] =
                SignalReading { value: ratio, stress: level, known: true };
        }
        if let Some(toxicity) = strategy.toxicity.mean()
            && fresh(strategy.toxicity_time)
        {
            let level = stress(toxicity, config.toxicity_calm, config.toxicity_warn, config.toxicity_cascade);
            inputs.readings[CascadeSignal::Toxicity.index()] =
                SignalReading { value: toxicity, stress: level, known: true };
        }

        // Options priming.
        let options = &self.options;
        if options.last.is_some_and(|time| seconds_between(time, now) <= config.options_max_age_s) {
            let inversion = stress(options.inversion, 0.0, config.inversion_warn, config.inversion_cascade);
            let jump = stress(options.jump, 0.0, config.iv_jump_warn, config.iv_jump_cascade);
            let share =
                stress(options.share, config.oi_share_calm, config.oi_share_warn, config.oi_share_cascade);
            inputs.priming = (inversion + jump + share) / 3.0;
        }

        // Hard triggers.
        let spike = ratio >= config.spike_ratio
            && liquidations.seen
            && match (
                self.price.sigma(config.price_vol_floor_bps / BPS),
                self.price.log_move(config.spike_window_s),
            ) {
                (Some(sigma), Some(moved)) => {
                    moved.abs() > config.spike_sigmas * sigma * f64::from(config.spike_window_s).sqrt()
                }
                _ => false,
            };
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
        self.liquidations.counts.branching(u64::from(self.config.branching_min_events))
    }

    /// The price the open-interest signal compares: the mark (ticks) once one has been seen,
    /// else the last mid or trade; `NaN` before any.
    fn reference_price(&self) -> f64 {
        if self.mark.mark.is_finite() { self.mark.mark } else { self.price.last }
    }
}

/// A funding rate as a fraction.
#[inline]
fn rate(rate: RateE8) -> f64 {
    rate.0 as f64 / E8
}

#[cfg(test)]
mod tests {
    use super::*;
    use feeds::{InstrumentId, Liquidation, Lots, MarkPrice, OpenInterest, PriceE8, Seq, Side, Ticks, Trade};

    /// BTCUSDT's tick and lot.
    const TICK: f64 = 0.1;
    const LOT: f64 = 0.001;
    /// 2024-08-08 23:54:16 UTC, the BTCUSDT recording's start: any time works, a real one reads better.
    const T0: i64 = 1_723_161_256 * Nanos::PER_SECOND;

    fn at(seconds: f64) -> Nanos {
        Nanos(T0 + (seconds * NANOS_PER_SEC).round() as i64)
    }

    fn event(seconds: f64, kind: EventKind) -> Event {
        Event::new(at(seconds), at(seconds), Seq(0), InstrumentId(0), kind)
    }

    /// A long liquidated for `btc` at `price` USDT.
    fn liquidation(seconds: f64, btc: f64, price: f64) -> Event {
        let e8 = PriceE8((price * E8).round() as i64);
        let qty = Lots((btc / LOT).round() as i64);
        event(
            seconds,
            EventKind::Liquidation(Liquidation { side: Side::Ask, price: e8, average_price: e8, qty }),
        )
    }

    fn mark(seconds: f64, mark: f64, index: f64, funding: f64) -> Event {
        event(
            seconds,
            EventKind::MarkPrice(MarkPrice {
                mark: PriceE8((mark * E8).round() as i64),
                index: PriceE8((index * E8).round() as i64),
                funding_rate: RateE8((funding * E8).round() as i64),
                next_funding_time: at(28_800.0),
            }),
        )
    }

    fn open_interest(seconds: f64, btc: f64) -> Event {
        event(seconds, EventKind::OpenInterest(OpenInterest { qty: Lots((btc / LOT).round() as i64) }))
    }

    fn trade(seconds: f64, price: f64) -> Event {
        let price = Ticks((price / TICK).round() as i64);
        event(
            seconds,
            EventKind::Trade(Trade {
                price,
                qty: Lots(1),
                aggressor: Side::Ask,
                aggregated: false,
                forced: false,
            }),
        )
    }

    fn signals() -> CascadeSignals {
        CascadeSignals::new(&SignalsConfig::default(), TICK, LOT)
    }

    fn reading(signals: &mut CascadeSignals, seconds: f64, signal: CascadeSignal) -> SignalReading {
        *signals.inputs(at(seconds)).reading(signal)
    }

    fn close(actual: f64, expected: f64, tolerance: f64) {
        assert!((actual - expected).abs() <= tolerance, "{actual} is not {expected} ± {tolerance}");
    }

    /// SplitMix64 (Steele, Lea and Flood 2014): a tiny seeded generator for the synthetic
    /// processes below.
    struct SplitMix64(u64);

    impl SplitMix64 {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Uniform in `(0, 1]`.
        fn uniform(&mut self) -> f64 {
            ((self.next() >> 11) + 1) as f64 / (1_u64 << 53) as f64
        }
    }

    /// Event times of a Hawkes process with baseline `mu` per second, branching ratio `n` and
    /// kernel `n·β·e^(−β·t)`, on `[0, horizon)`, by Ogata's thinning.
    fn hawkes(rng: &mut SplitMix64, mu: f64, n: f64, beta: f64, horizon: f64) -> Vec<f64> {
        let (mut t, mut excitation, mut times) = (0.0, 0.0, Vec::new());
        loop {
            // The intensity only decays until the next event: its current value bounds it.
            let bound = mu + excitation;
            let wait = -rng.uniform().ln() / bound;
            excitation *= (-beta * wait).exp();
            t += wait;
            if t >= horizon {
                return times;
            }
            if rng.uniform() * bound <= mu + excitation {
                times.push(t);
                excitation += n * beta;
            }
        }
    }

    // --- The mapping and the config ---

    #[test]
    fn stress_is_piecewise_linear_through_calm_warn_and_cascade() {
        // Rising: calm 1, warn 4, cascade 10.
        assert_eq!(stress(0.5, 1.0, 4.0, 10.0), 0.0);
        assert_eq!(stress(1.0, 1.0, 4.0, 10.0), 0.0);
        assert_eq!(stress(2.5, 1.0, 4.0, 10.0), 0.25); // halfway to warn
        assert_eq!(stress(4.0, 1.0, 4.0, 10.0), 0.5);
        assert_eq!(stress(7.0, 1.0, 4.0, 10.0), 0.75); // halfway from warn to cascade
        assert_eq!(stress(10.0, 1.0, 4.0, 10.0), 1.0);
        assert_eq!(stress(f64::INFINITY, 1.0, 4.0, 10.0), 1.0);
        // Falling, as for depth: calm 1, warn 0.5, cascade 0.2.
        assert_eq!(stress(1.3, 1.0, 0.5, 0.2), 0.0);
        assert_eq!(stress(0.75, 1.0, 0.5, 0.2), 0.25);
        assert_eq!(stress(0.5, 1.0, 0.5, 0.2), 0.5);
        close(stress(0.35, 1.0, 0.5, 0.2), 0.75, 1e-12);
        assert_eq!(stress(0.0, 1.0, 0.5, 0.2), 1.0);
        // Unknown is no stress.
        assert_eq!(stress(f64::NAN, 1.0, 4.0, 10.0), 0.0);
    }

    #[test]
    fn defaults_validate_and_an_empty_file_gives_them() {
        assert_eq!(SignalsConfig::default().validate(), Ok(()));
        assert_eq!(toml::from_str::<SignalsConfig>("").unwrap(), SignalsConfig::default());
        assert!(toml::from_str::<SignalsConfig>("depth_wran = 0.4").is_err());
        let config =
            SignalsConfig { spike_window_s: 20, funding_cascade: -0.0003, ..SignalsConfig::default() };
        let written = toml::to_string(&config).unwrap();
        assert_eq!(toml::from_str::<SignalsConfig>(&written).unwrap(), config);
    }

    #[test]
    fn each_bad_field_is_named() {
        let base = SignalsConfig::default();
        let cases = [
            ("cascade.signals.warmup_s", SignalsConfig { warmup_s: -1.0, ..base }),
            ("cascade.signals.max_age_s", SignalsConfig { max_age_s: 0.0, ..base }),
            (
                "cascade.signals.liquidation_time_constant_s",
                SignalsConfig { liquidation_time_constant_s: f64::NAN, ..base },
            ),
            (
                "cascade.signals.liquidation_baseline_time_constant_s",
                SignalsConfig { liquidation_baseline_time_constant_s: 10.0, ..base },
            ),
            (
                "cascade.signals.liquidation_floor_per_s",
                SignalsConfig { liquidation_floor_per_s: 0.0, ..base },
            ),
            ("cascade.signals.liquidation_ratio_warn", SignalsConfig { liquidation_ratio_warn: 1.0, ..base }),
            (
                "cascade.signals.liquidation_ratio_cascade",
                SignalsConfig { liquidation_ratio_cascade: 3.0, ..base },
            ),
            ("cascade.signals.branching_bucket_s", SignalsConfig { branching_bucket_s: 0.0, ..base }),
            (
                "cascade.signals.branching_window_buckets",
                SignalsConfig { branching_window_buckets: 5, ..base },
            ),
            ("cascade.signals.branching_min_events", SignalsConfig { branching_min_events: 1, ..base }),
            ("cascade.signals.branching_calm", SignalsConfig { branching_calm: 1.0, ..base }),
            ("cascade.signals.branching_warn", SignalsConfig { branching_warn: 0.4, ..base }),
            ("cascade.signals.branching_cascade", SignalsConfig { branching_cascade: 1.0, ..base }),
            ("cascade.signals.spike_ratio", SignalsConfig { spike_ratio: 2.0, ..base }),
            ("cascade.signals.spike_sigmas", SignalsConfig { spike_sigmas: f64::INFINITY, ..base }),
            ("cascade.signals.spike_window_s", SignalsConfig { spike_window_s: 61, ..base }),
            ("cascade.signals.spike_window_s", SignalsConfig { spike_window_s: 0, ..base }),
            ("cascade.signals.price_vol_half_life_s", SignalsConfig { price_vol_half_life_s: 1e6, ..base }),
            ("cascade.signals.price_vol_floor_bps", SignalsConfig { price_vol_floor_bps: -0.1, ..base }),
            ("cascade.signals.oi_short_window_s", SignalsConfig { oi_short_window_s: 0.0, ..base }),
            ("cascade.signals.oi_long_window_s", SignalsConfig { oi_long_window_s: 60.0, ..base }),
            ("cascade.signals.oi_warn", SignalsConfig { oi_warn: -0.02, ..base }),
            ("cascade.signals.oi_cascade", SignalsConfig { oi_cascade: 0.01, ..base }),
            ("cascade.signals.oi_min_price_move", SignalsConfig { oi_min_price_move: 0.0, ..base }),
            ("cascade.signals.funding_carry", SignalsConfig { funding_carry: 0.0, ..base }),
            ("cascade.signals.funding_cascade", SignalsConfig { funding_cascade: 0.0001, ..base }),
            ("cascade.signals.funding_lookback_s", SignalsConfig { funding_lookback_s: f64::NAN, ..base }),
            ("cascade.signals.basis_half_life_s", SignalsConfig { basis_half_life_s: 0.0, ..base }),
            ("cascade.signals.basis_std_floor", SignalsConfig { basis_std_floor: 0.0, ..base }),
            ("cascade.signals.basis_warn", SignalsConfig { basis_warn: 0.0, ..base }),
            ("cascade.signals.basis_cascade", SignalsConfig { basis_cascade: 2.0, ..base }),
            ("cascade.signals.depth_fast_half_life_s", SignalsConfig { depth_fast_half_life_s: 0.0, ..base }),
            (
                "cascade.signals.depth_baseline_half_life_s",
                SignalsConfig { depth_baseline_half_life_s: 1.0, ..base },
            ),
            ("cascade.signals.depth_warn", SignalsConfig { depth_warn: 1.0, ..base }),
            ("cascade.signals.depth_cascade", SignalsConfig { depth_cascade: 0.6, ..base }),
            ("cascade.signals.depth_collapse", SignalsConfig { depth_collapse: 0.2, ..base }),
            (
                "cascade.signals.spread_fast_half_life_s",
                SignalsConfig { spread_fast_half_life_s: -2.0, ..base },
            ),
            (
                "cascade.signals.spread_baseline_half_life_s",
                SignalsConfig { spread_baseline_half_life_s: 1.0, ..base },
            ),
            ("cascade.signals.spread_floor_bps", SignalsConfig { spread_floor_bps: f64::NAN, ..base }),
            ("cascade.signals.spread_warn", SignalsConfig { spread_warn: 0.5, ..base }),
            ("cascade.signals.spread_cascade", SignalsConfig { spread_cascade: 3.0, ..base }),
            ("cascade.signals.volatility_warn", SignalsConfig { volatility_warn: 1.0, ..base }),
            ("cascade.signals.volatility_cascade", SignalsConfig { volatility_cascade: 1.5, ..base }),
            (
                "cascade.signals.toxicity_time_constant_s",
                SignalsConfig { toxicity_time_constant_s: 0.0, ..base },
            ),
            ("cascade.signals.toxicity_calm", SignalsConfig { toxicity_calm: -0.1, ..base }),
            ("cascade.signals.toxicity_warn", SignalsConfig { toxicity_warn: 0.1, ..base }),
            ("cascade.signals.toxicity_cascade", SignalsConfig { toxicity_cascade: 1.1, ..base }),
            ("cascade.signals.options_max_age_s", SignalsConfig { options_max_age_s: 0.0, ..base }),
            ("cascade.signals.inversion_warn", SignalsConfig { inversion_warn: 0.0, ..base }),
            ("cascade.signals.inversion_cascade", SignalsConfig { inversion_cascade: 0.05, ..base }),
            ("cascade.signals.iv_jump_half_life_s", SignalsConfig { iv_jump_half_life_s: 0.0, ..base }),
            ("cascade.signals.iv_jump_warn", SignalsConfig { iv_jump_warn: f64::NAN, ..base }),
            ("cascade.signals.iv_jump_cascade", SignalsConfig { iv_jump_cascade: 0.1, ..base }),
            ("cascade.signals.oi_share_calm", SignalsConfig { oi_share_calm: 1.0, ..base }),
            ("cascade.signals.oi_share_warn", SignalsConfig { oi_share_warn: 0.3, ..base }),
            ("cascade.signals.oi_share_cascade", SignalsConfig { oi_share_cascade: 1.5, ..base }),
        ];
        for (field, config) in cases {
            let error = config.validate().unwrap_err();
            assert_eq!(error.field(), field, "{error}");
            assert!(error.to_string().contains(field), "{error}");
        }
    }

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

    // --- Liquidations ---

    #[test]
    fn a_steady_liquidation_rate_is_its_own_baseline() {
        // Synthetic: 0.5 BTC at 60 000 (30 000 USDT) every 2 s from the start, a steady
        // 15 000 USDT/s. The bias-corrected baseline is the rate from the first minutes on, and
        // the intensity converges to it, so the ratio tends to 1 and there is no stress.
        let mut signals = signals();
        signals.inputs(at(0.0));
        for k in 0..600 {
            signals.on_event(&liquidation(1.0 + 2.0 * f64::from(k), 0.5, 60_000.0));
        }
        let reading = reading(&mut signals, 1200.0, CascadeSignal::Liquidations);
        assert!(reading.known);
        close(signals.liquidations.baseline(&signals.config), 15_000.0, 150.0);
        // The intensity, just after a print, sawtooths around the rate: within 1/τ of a print.
        close(reading.value, 1.0, 0.05);
        assert_eq!(reading.stress, 0.0);
        // One print a bucket every other bucket: counts 0, 1, 0, 1 … have a Fano factor of
        // about 1/2, under-dispersed, so no branching.
        assert_eq!(signals.branching_ratio(), Some(0.0));
    }

    #[test]
    fn a_burst_raises_the_ratio_against_a_frozen_baseline() {
        // Synthetic: 30 000 USDT every 2 s for 10 minutes (15 000 USDT/s), then ten times as
        // much, every 0.2 s, for a minute.
        let mut signals = signals();
        signals.inputs(at(0.0));
        for k in 0..300 {
            signals.on_event(&liquidation(2.0 * f64::from(k), 0.5, 60_000.0));
        }
        let before = signals.liquidations.baseline(&signals.config);
        close(before, 15_000.0, 150.0);
        let mut first_warn = None;
        for k in 0..300 {
            let seconds = 600.0 + 0.2 * f64::from(k);
            signals.on_event(&liquidation(seconds, 0.5, 60_000.0));
            let reading = reading(&mut signals, seconds, CascadeSignal::Liquidations);
            if first_warn.is_none() && reading.value >= 4.0 {
                first_warn = Some((seconds - 600.0, signals.liquidations.baseline(&signals.config)));
            }
        }
        let reading = reading(&mut signals, 660.0, CascadeSignal::Liquidations);
        let (warned_after, frozen) = first_warn.unwrap();
        // Until the ratio reached 4, about 20 s in, the burst joined the baseline: with ten
        // minutes watched, 20 s of 135 000 USDT/s more than usual add about
        // 20·135 000/620 ≈ 4 400 USDT/s. (Without a freeze it would keep climbing.) From then
        // on it is frozen, and stays so: the decays of the notional and of the time watched
        // cancel exactly.
        assert!(frozen > before * 1.2 && frozen < before * 1.4, "{frozen} vs {before}");
        close(signals.liquidations.baseline(&signals.config), frozen, frozen * 1e-12);
        assert!(warned_after > 15.0 && warned_after < 25.0, "{warned_after}");
        // After 60 s of the 10× rate the intensity is 1 + 9·(1 − e^(−2)) ≈ 8.8 times the old
        // rate, the ratio that over the frozen baseline.
        close(reading.value, 15_000.0 * (1.0 + 9.0 * (1.0 - (-2.0_f64).exp())) / frozen, 0.1);
        assert!(reading.stress > 0.5 && reading.stress < 1.0, "{reading:?}");
        // The burst is a rate step inside the window, which the Fano factor reads as some
        // clustering: of the last 300 one-second buckets, 120 hold 1, 60 hold 5 and the rest
        // none: mean 1.4, variance (1620 − 300·1.4²)/299, F ≈ 2.47, n̂ ≈ 0.36 (no stress).
        let fano = (1620.0 - 300.0 * 1.4 * 1.4) / 299.0 / 1.4;
        close(signals.branching_ratio().unwrap(), 1.0 - 1.0 / f64::sqrt(fano), 1e-12);
    }

    #[test]
    fn the_fano_factor_gives_the_branching_ratio() {
        // Synthetic counts: 0 and 8 alternately. Mean 4, variance 16·n/(n − 1) over n
        // buckets, Fano ≈ 4, so n̂ = 1 − 1/2 = 0.5.
        let mut counts = BucketCounts::new(100, Nanos::PER_SECOND);
        for second in 0..=100_i64 {
            let time = Nanos(second * Nanos::PER_SECOND);
            counts.advance(time);
            for _ in 0..if second % 2 == 0 { 8 } else { 0 } {
                counts.record(time);
            }
        }
        counts.advance(Nanos(101 * Nanos::PER_SECOND));
        let fano = 16.0 * 100.0 / 99.0 / 4.0;
        close(counts.branching(20).unwrap(), 1.0 - 1.0 / f64::sqrt(fano), 1e-12);
        // Too few events: no estimate.
        assert_eq!(counts.branching(1_000), None);
        // A long silence empties the ring without walking a day of buckets one by one.
        counts.advance(Nanos(1_000_000 * Nanos::PER_SECOND));
        assert_eq!((counts.sum, counts.sum_of_squares, counts.filled), (0, 0, 100));
    }

    #[test]
    fn the_branching_ratio_of_a_simulated_hawkes_process_matches_the_theory() {
        // Synthetic: an hour of a Hawkes process with μ = 1/s, n = 0.8 and β = 5/s (Ogata
        // thinning, seed 7). For 1-second buckets the Fano factor is not its long-window limit
        // 1/(1 − n)² = 25 but F(1) = 1 + 24·(1 − (1 − e^(−κ))/κ) with κ = β(1 − n) = 1,
        // ≈ 9.8, so n̂ ≈ 1 − 1/√9.8 ≈ 0.68: low, as the module docs warn. Over 3600 buckets
        // the estimate lands within a few hundredths of that.
        let mut rng = SplitMix64(7);
        let times = hawkes(&mut rng, 1.0, 0.8, 5.0, 3600.0);
        let config = SignalsConfig { branching_window_buckets: 3600, ..SignalsConfig::default() };
        let mut signals = CascadeSignals::new(&config, TICK, LOT);
        signals.inputs(at(0.0));
        for &t in &times {
            signals.on_event(&liquidation(t, 0.5, 60_000.0));
        }
        signals.inputs(at(3600.0));
        let kappa: f64 = 1.0;
        let fano = 1.0 + 24.0 * (1.0 - (1.0 - (-kappa).exp()) / kappa);
        let expected = 1.0 - 1.0 / fano.sqrt();
        let estimate = signals.branching_ratio().unwrap();
        close(estimate, expected, 0.05);
        // And a Poisson process of the same mean rate (n = 0) reads as unclustered.
        let mut signals = CascadeSignals::new(&config, TICK, LOT);
        signals.inputs(at(0.0));
        for &t in &hawkes(&mut SplitMix64(7), 5.0, 0.0, 5.0, 3600.0) {
            signals.on_event(&liquidation(t, 0.5, 60_000.0));
        }
        signals.inputs(at(3600.0));
        assert!(signals.branching_ratio().unwrap() < 0.1, "{:?}", signals.branching_ratio());
    }

    #[test]
    fn branching_tells_a_clustered_burst_and_counts_only_while_it_flows() {
        // Synthetic: one 30 000 USDT print every 2 s for 10 minutes (15 000 USDT/s), then a
        // minute at ten times that rate, either clustered (60 prints of 30 000 USDT in one
        // second out of every twelve) or even (one print of 30 000 USDT every 0.2 s), then
        // silence.
        let run = |clustered: bool| {
            let mut signals = signals();
            signals.inputs(at(0.0));
            for k in 0..300 {
                signals.on_event(&liquidation(2.0 * f64::from(k), 0.5, 60_000.0));
            }
            for k in 0..300 {
                let seconds = if clustered {
                    600.0 + 12.0 * f64::from(k / 60) + 0.01 * f64::from(k % 60)
                } else {
                    600.0 + 0.2 * f64::from(k)
                };
                signals.on_event(&liquidation(seconds, 0.5, 60_000.0));
            }
            let during = reading(&mut signals, 660.0, CascadeSignal::Liquidations);
            let branching_during = signals.branching_ratio().unwrap();
            let after = reading(&mut signals, 900.0, CascadeSignal::Liquidations);
            (during, branching_during, after, signals.branching_ratio().unwrap())
        };
        let activity = |ratio: f64| ((ratio - 1.0) / 3.0).clamp(0.0, 1.0);
        let (during, branching, after, branching_after) = run(true);
        // Clustered: of the last 300 one-second buckets, 5 hold 60 or 61, the others 0 or 1:
        // F ≈ 42, n̂ ≈ 0.85, stress ≈ 0.87. The intensity is past warn (activity 1), and the
        // branching stress is the larger.
        close(branching, 0.85, 0.01);
        assert!(during.value > 4.0, "{during:?}");
        let intensity = stress(during.value, 1.0, 4.0, 10.0);
        let clustering = stress(branching, 0.5, 0.7, 0.9);
        assert!(clustering > intensity, "{clustering} vs {intensity}");
        close(during.stress, clustering, 1e-12);
        // Even: the same notional, no clustering beyond the rate step: the stress is the
        // intensity's.
        let (even, even_branching, ..) = run(false);
        assert!(even_branching < 0.5, "{even_branching}");
        close(even.stress, stress(even.value, 1.0, 4.0, 10.0), 1e-12);
        // Four minutes after the burst the window still holds it (n̂ > 0.7), but the flow has
        // stopped: activity 0, no stress.
        assert!(branching_after > 0.7, "{branching_after}");
        assert_eq!(activity(after.value), 0.0);
        assert!(after.value < 0.05 && after.stress == 0.0, "{after:?}");
    }

    #[test]
    fn a_spike_needs_both_the_intensity_and_the_price_move() {
        // Synthetic: a price wandering ±1 tick around 60 000 every 100 ms for five minutes
        // (σ₁ at its floor-ish level), then a 60 bp fall over 5 s, with and without a burst of
        // liquidations.
        let run = |burst: bool, fall: bool| {
            let mut signals = signals();
            let mut price = 600_000.0;
            for k in 0..3000 {
                let seconds = 0.1 * f64::from(k);
                price += if k % 3 == 0 {
                    1.0
                } else if k % 3 == 1 {
                    -1.0
                } else {
                    0.0
                };
                signals.on_book(at(seconds), 20e6, 0.016, price);
            }
            signals.on_event(&liquidation(0.0, 0.01, 60_000.0));
            for k in 0..50 {
                let seconds = 300.0 + 0.1 * f64::from(k);
                if fall {
                    price *= 1.0 - 0.006 / 50.0;
                }
                signals.on_book(at(seconds), 20e6, 0.016, price);
                if burst {
                    signals.on_event(&liquidation(seconds, 5.0, 60_000.0));
                }
            }
            signals.inputs(at(305.0)).hard
        };
        assert_eq!(run(true, true), Some(HardTrigger::LiquidationSpike));
        assert_eq!(run(true, false), None);
        assert_eq!(run(false, true), None);
    }

    // --- Open interest ---

    #[test]
    fn falling_open_interest_is_stress_only_with_the_price_moving() {
        // Synthetic: open interest every 10 s and trades at the same times, 10 minutes flat at
        // 80 000 BTC and 60 000 USDT; then over 5 minutes a fall of `oi` (fraction) with the
        // price moving by `price` (fraction).
        let run = |oi: f64, price: f64| {
            let mut signals = signals();
            for k in 0..=90 {
                let seconds = 10.0 * f64::from(k);
                let progress = ((seconds - 600.0) / 300.0).clamp(0.0, 1.0);
                signals.on_event(&trade(seconds, 60_000.0 * (1.0 + price * progress)));
                signals.on_event(&open_interest(seconds, 80_000.0 * (1.0 - oi * progress)));
            }
            reading(&mut signals, 900.0, CascadeSignal::OpenInterest)
        };
        // Flat: known, no stress.
        let flat = run(0.0, 0.0);
        assert!(flat.known);
        assert_eq!((flat.value, flat.stress), (0.0, 0.0));
        // −3 % with the price down 1 %: past warn (−2 %), a third of the way to cascade (−5 %).
        let unwind = run(0.03, -0.01);
        close(unwind.value, -0.03, 1e-9);
        close(unwind.stress, 0.5 + 0.5 / 3.0, 1e-9);
        // The same with the price up 1 %: a short squeeze, the same stress.
        close(run(0.03, 0.01).stress, 0.5 + 0.5 / 3.0, 1e-9);
        // The price moving only 0.15 %, half of `oi_min_price_move`: half the stress.
        close(run(0.03, -0.0015).stress, (0.5 + 0.5 / 3.0) / 2.0, 1e-9);
        // Flat price: deleveraging, not a cascade. Rising open interest: no stress.
        assert_eq!(run(0.03, 0.0).stress, 0.0);
        assert_eq!(run(-0.05, -0.01).stress, 0.0);
        // −6 % and −2 %: past cascade.
        assert_eq!(run(0.06, -0.02).stress, 1.0);
    }

    #[test]
    fn open_interest_goes_unknown_when_it_stops() {
        let mut signals = signals();
        signals.on_event(&open_interest(0.0, 80_000.0));
        // Zero open interest is nonsense and ignored.
        signals.on_event(&open_interest(10.0, 0.0));
        assert!(reading(&mut signals, 299.0, CascadeSignal::OpenInterest).known);
        assert!(!reading(&mut signals, 301.0, CascadeSignal::OpenInterest).known);
    }

    // --- Funding and basis ---

    #[test]
    fn funding_stress_is_a_flip_from_carry() {
        // Synthetic mark-price events with mark = index (no basis).
        let mut signals = signals();
        let at_rate = |signals: &mut CascadeSignals, seconds: f64, rate: f64| {
            signals.on_event(&mark(seconds, 60_000.0, 60_000.0, rate));
            reading(signals, seconds, CascadeSignal::Funding)
        };
        // Without carry first, a negative rate is not a flip.
        let reading = at_rate(&mut signals, 0.0, -0.0002);
        assert!(reading.known);
        assert_eq!((reading.value, reading.stress), (-0.0002, 0.0));
        // Carry at +0.01 %: calm. Then 0.005 % (halfway to the flip), 0 (the flip, warn),
        // −0.005 % and −0.01 % (cascade) and beyond.
        assert_eq!(at_rate(&mut signals, 10.0, 0.0001).stress, 0.0);
        close(at_rate(&mut signals, 20.0, 0.00005).stress, 0.25, 1e-12);
        assert_eq!(at_rate(&mut signals, 30.0, 0.0).stress, 0.5);
        close(at_rate(&mut signals, 40.0, -0.00005).stress, 0.75, 1e-12);
        assert_eq!(at_rate(&mut signals, 50.0, -0.0001).stress, 1.0);
        assert_eq!(at_rate(&mut signals, 60.0, -0.0002).stress, 1.0);
        // Eight hours after the carry was last seen, the flip is forgotten.
        assert_eq!(at_rate(&mut signals, 10.0 + 28_800.5, -0.0002).stress, 0.0);
    }

    #[test]
    fn basis_is_a_z_score_of_its_own_history() {
        // Synthetic: a basis alternating +1 bp and +3 bp every second for ten minutes (mean
        // 2 bp, standard deviation 1 bp), then −4 bp: six standard deviations below, less the
        // floor: z = −6 / √(1 + 0.25) ≈ −5.37.
        let mut signals = signals();
        for k in 0..600 {
            let basis = if k % 2 == 0 { 0.0001 } else { 0.0003 };
            signals.on_event(&mark(f64::from(k), 60_000.0 * (1.0 + basis), 60_000.0, 0.0001));
        }
        let calm = reading(&mut signals, 599.0, CascadeSignal::Basis);
        assert!(calm.known && calm.value.abs() < 1.5 && calm.stress < 0.4, "{calm:?}");
        signals.on_event(&mark(600.0, 60_000.0 * (1.0 - 0.0004), 60_000.0, 0.0001));
        let dislocated = reading(&mut signals, 600.0, CascadeSignal::Basis);
        close(dislocated.value, -6.0 / 1.25_f64.sqrt(), 0.05);
        assert_eq!(dislocated.stress, 1.0);
        // Before the warm-up the basis is unknown.
        let mut signals = CascadeSignals::new(&SignalsConfig::default(), TICK, LOT);
        signals.on_event(&mark(0.0, 60_000.0, 60_000.0, 0.0001));
        signals.on_event(&mark(1.0, 60_001.0, 60_000.0, 0.0001));
        assert!(!reading(&mut signals, 1.0, CascadeSignal::Basis).known);
        assert!(reading(&mut signals, 1.0, CascadeSignal::Funding).known);
    }

    // --- Depth and spread ---

    #[test]
    fn the_depth_baseline_is_a_median_that_ignores_a_passing_wall() {
        // Synthetic, shaped like the 2024-08-08 BTCUSDT recording: 17 M USDT within the band
        // 60 % of the time and 50 M (a wall inside the band) 40 %, alternating every 30 s,
        // updates every 100 ms, for 20 minutes. The median baseline is 17 M (a mean would be
        // about 30 M), so 11 M is a mild 0.65 and not a withdrawal.
        let mut signals = signals();
        for k in 0..12_000 {
            let seconds = 0.1 * f64::from(k);
            let depth = if (seconds / 30.0) as i64 % 5 < 3 { 17e6 } else { 50e6 };
            signals.on_book(at(seconds), depth, 0.016, 600_000.0);
        }
        let baseline = signals.depth.baseline.median().unwrap();
        close(baseline, 17e6, 17e6 * 0.1);
        for k in 0..300 {
            signals.on_book(at(1200.0 + 0.1 * f64::from(k)), 11e6, 0.016, 600_000.0);
        }
        let reading = reading(&mut signals, 1230.0, CascadeSignal::Depth);
        close(reading.value, 11.0 / 17.0, 0.07);
        assert!(reading.stress < 0.4, "{reading:?}");
    }

    #[test]
    fn a_depth_withdrawal_warns_freezes_the_baseline_and_collapses() {
        // Synthetic: 20 M USDT for five minutes, then 6 M (30 %) for five minutes, then 1 M.
        let mut signals = signals();
        let book = |signals: &mut CascadeSignals, from: f64, to: f64, depth: f64| {
            let mut seconds = from;
            while seconds < to {
                signals.on_book(at(seconds), depth, 0.016, 600_000.0);
                seconds += 0.1;
            }
        };
        book(&mut signals, 0.0, 300.0, 20e6);
        let calm = reading(&mut signals, 300.0, CascadeSignal::Depth);
        close(calm.value, 1.0, 1e-12);
        close(calm.stress, 0.0, 1e-12);
        book(&mut signals, 300.0, 600.0, 6e6);
        // The baseline does not learn the withdrawal: the ratio stays at 0.3 (stress 0.5 +
        // 0.5·(0.5 − 0.3)/(0.5 − 0.2) ≈ 0.83), and no hard trigger yet.
        let withdrawn = signals.inputs(at(600.0));
        close(signals.depth.baseline.median().unwrap(), 20e6, 20e6 * 0.1);
        close(withdrawn.reading(CascadeSignal::Depth).value, 0.3, 0.03);
        close(withdrawn.reading(CascadeSignal::Depth).stress, 0.5 + 0.5 * 0.2 / 0.3, 0.05);
        assert_eq!(withdrawn.hard, None);
        // 1 M is 5 % of the baseline: the smoothed depth (half-life 2 s) passes 10 % within
        // 2·log2(5/1)… seconds, and the collapse is a hard trigger.
        book(&mut signals, 600.0, 620.0, 1e6);
        let collapsed = signals.inputs(at(620.0));
        assert_eq!(collapsed.reading(CascadeSignal::Depth).stress, 1.0);
        assert_eq!(collapsed.hard, Some(HardTrigger::DepthCollapse));
    }

    #[test]
    fn spread_widening_is_measured_against_a_floor() {
        // Synthetic: a one-tick spread (0.016 bp) for five minutes, then 3 bp for a minute.
        // Against the 0.5 bp floor that is a ratio of 6, halfway from warn (3) to cascade (10)
        // less a little.
        let mut signals = signals();
        for k in 0..3000 {
            signals.on_book(at(0.1 * f64::from(k)), 20e6, 0.016, 600_000.0);
        }
        let calm = reading(&mut signals, 300.0, CascadeSignal::Spread);
        close(calm.value, 0.016 / 0.5, 1e-9);
        assert_eq!(calm.stress, 0.0);
        for k in 0..600 {
            signals.on_book(at(300.0 + 0.1 * f64::from(k)), 20e6, 3.0, 600_000.0);
        }
        let wide = reading(&mut signals, 360.0, CascadeSignal::Spread);
        close(wide.value, 6.0, 1e-6);
        close(wide.stress, 0.5 + 0.5 * 3.0 / 7.0, 1e-6);
        // A single 50 ms flash of 2.5 bp in a one-tick market (as the recording has) is noise.
        let mut signals = signals_with_book(300.0);
        signals.on_book(at(300.0), 20e6, 2.5, 600_000.0);
        signals.on_book(at(300.05), 20e6, 0.016, 600_000.0);
        assert!(reading(&mut signals, 300.05, CascadeSignal::Spread).stress < 0.01);
    }

    fn signals_with_book(seconds: f64) -> CascadeSignals {
        let mut signals = signals();
        let mut t = 0.0;
        while t < seconds {
            signals.on_book(at(t), 20e6, 0.016, 600_000.0);
            t += 0.1;
        }
        signals
    }

    #[test]
    fn book_readings_wait_for_the_warm_up() {
        let mut signals = signals();
        signals.on_book(at(0.0), 20e6, 0.016, 600_000.0);
        signals.on_book(at(29.0), 20e6, 0.016, 600_000.0);
        assert!(!reading(&mut signals, 29.0, CascadeSignal::Depth).known);
        assert!(reading(&mut signals, 30.0, CascadeSignal::Depth).known);
        assert!(reading(&mut signals, 30.0, CascadeSignal::Spread).known);
    }

    // --- The strategy's readings, options, infrastructure ---

    #[test]
    fn volatility_and_sustained_toxicity_map_their_levels() {
        let mut signals = signals();
        // Ratio 3: halfway from warn (2, stress 0.5) to cascade (4, stress 1).
        signals.on_strategy(at(0.0), 3.0, 0.2);
        let volatility = reading(&mut signals, 0.0, CascadeSignal::Volatility);
        assert_eq!((volatility.value, volatility.stress), (3.0, 0.75));
        assert_eq!(reading(&mut signals, 0.0, CascadeSignal::Toxicity).stress, 0.0);
        // Synthetic: τ = 1 for 2 s after a minute at 0.2: the sustained mean barely moves.
        for k in 1..=60 {
            signals.on_strategy(at(f64::from(k)), 1.0, 0.2);
        }
        signals.on_strategy(at(61.0), f64::NAN, 1.0);
        signals.on_strategy(at(62.0), f64::NAN, 1.0);
        let toxicity = reading(&mut signals, 62.0, CascadeSignal::Toxicity);
        assert!(toxicity.value < 0.3 && toxicity.stress < 0.2, "{toxicity:?}");
        // The NaN ratios were ignored, the last good one kept.
        assert_eq!(reading(&mut signals, 62.0, CascadeSignal::Volatility).value, 1.0);
        // τ = 0.9 sustained for five minutes: past cascade (0.85).
        for k in 63..=363 {
            signals.on_strategy(at(f64::from(k)), 1.0, 0.9);
        }
        assert_eq!(reading(&mut signals, 363.0, CascadeSignal::Toxicity).stress, 1.0);
    }

    #[test]
    fn options_prime_by_inversion_jump_and_concentration() {
        let mut signals = signals();
        // Synthetic: a contango (short 40 %, long 50 %), with 30 % of near-dated OI near spot,
        // for an hour: no priming.
        for k in 0..60 {
            signals.on_options(at(60.0 * f64::from(k)), 0.40, 0.50, 0.3);
        }
        close(signals.inputs(at(3540.0)).priming, 0.0, 1e-12);
        // Short-dated IV jumps to 60 % (+50 % on its mean: full), above the long 50 % by 20 %
        // (inversion stress 0.5 + 0.5·0.15/0.2 = 0.875), with 60 % near spot (0.75).
        signals.on_options(at(3600.0), 0.60, 0.50, 0.6);
        close(signals.inputs(at(3600.0)).priming, (0.875 + 1.0 + 0.75) / 3.0, 1e-9);
        // Ten minutes later the reading is stale and primes nothing; so does a nonsense one.
        assert_eq!(signals.inputs(at(4201.0)).priming, 0.0);
        signals.on_options(at(4300.0), f64::NAN, 0.5, 0.5);
        signals.on_options(at(4300.0), 0.5, 0.5, 1.5);
        assert_eq!(signals.inputs(at(4300.0)).priming, 0.0);
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
