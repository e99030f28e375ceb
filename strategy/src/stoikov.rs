//! Stoikov's micro-price: the mid plus an adjustment `g*(I, S)` estimated online from the
//! Markov chain of the top of the book.
//!
//! - [`StoikovMicroprice`]: the estimator. Give it every completed, trusted top of the book
//!   ([`StoikovMicroprice::on_top`]) and tell it when the book stops being trusted
//!   ([`StoikovMicroprice::on_reset`]); ask it for [`adjustment`](StoikovMicroprice::adjustment)
//!   or [`microprice`](StoikovMicroprice::microprice) of a top, and read the fitted table
//!   with [`table`](StoikovMicroprice::table) for reports.
//! - [`StoikovConfig`]: buckets, forgetting, refit cadence, warm-up, iterations, move cap.
//!
//! Use it where the fair value should be "where the mid is expected to go", learnt from the
//! instrument's own book, rather than the fixed rule of the imbalance-weighted mid
//! ([`TopOfBook::microprice`]), which always leans by `(I − ½)·spread` whatever the data say.
//!
//! # The estimator (Stoikov 2018)
//! The state of the book is `x = (I, S)`: the queue imbalance `I = Qb / (Qb + Qa)` in one of
//! `n = imbalance_buckets` buckets, and the spread `S` in ticks in one of `spread_buckets`
//! buckets (`1, 2, …` ticks; wider spreads go into the last). Between two observations the
//! mid either stays (a transition `x → y` counted in `Q`) or changes by `ΔM` (a transition
//! counted in `R`, with its size). Per state `x`, over the transitions out of it:
//!
//! - `Q(x, y)`: the fraction that keep the mid and end in `y`;
//! - `R₂(x, y)`: the fraction that change the mid and end in `y`;
//! - `m(x)`: the mean mid change, ticks (0 for those that keep it): `R₁·K` in the paper,
//!   where `K` lists the possible changes and `R₁` their probabilities.
//!
//! Then `G¹ = (I − Q)⁻¹ m` is the expected mid change at the first change of the mid,
//! `B = (I − Q)⁻¹ R₂` the distribution of the state just after it, and
//! `g* = G¹ + B·G¹ + B²·G¹ + …`, truncated after `iterations` terms (the paper's
//! notebook stops at `G⁶`, six terms: the default). The micro-price is `mid + g*(I, S)`, in ticks.
//!
//! **Symmetrisation.** As in the paper, every observed transition `(I, S) → (I', S')` with
//! change `ΔM` also counts as its mirror image `(1 − I, S) → (1 − I', S')` with `−ΔM`, so the
//! table is odd in the imbalance: `g*(1 − I, S) = −g*(I, S)`, and a drift of the mid over the
//! sample does not leak into it. Imbalance buckets are therefore symmetric about ½: bucket
//! `k` of `n` holds `k/n ≤ I < (k+1)/n` below ½ and `k/n < I ≤ (k+1)/n` above it, so that
//! swapping the queues maps bucket `k` to `n − 1 − k` exactly (computed in integers from the
//! queue sizes). With an even `n`, equal queues (`I = ½`
//! exactly) sit on the boundary of the two middle buckets: they are counted in the upper
//! one (their mirror image in the lower) and their adjustment is the mean of the two, 0.
//!
//! # Online
//! The counts are decayed exponentially in event time (half-life `half_life_s`), so the table
//! follows the market. Every `refit_interval_s` of event time, [`StoikovMicroprice::on_top`]
//! rebuilds `Q`, `R₂`, `m` from the symmetrised counts and solves `(I − Q)·[G¹ | B] = [m | R₂]`
//! by Gauss–Jordan elimination with partial pivoting (about `2·states³` multiply-adds: 16 000
//! for the default 20 states), in scratch space allocated at construction (at most
//! [`MAX_STATES`] states, about `4·states²` numbers in all). Until the decayed number of
//! observed transitions reaches `min_transitions`, there is no table and the adjustment is
//! `None`.
//!
//! Two departures from the paper's code, for a chain estimated online from any data:
//! - A state from which no change of the mid has been seen (never visited, or only ever
//!   followed by states that keep the mid) would make `I − Q` singular. The chain is stopped
//!   with probability `ε = 10⁻⁹` per step (no mid change), which makes `I − Q` strictly
//!   diagonally dominant: such states get `g* = 0`, every other state moves by `O(ε)`.
//! - The paper keeps only mid changes of at most one tick (its large-tick stocks rarely move
//!   more, and `K` is fixed). A 0.1-USDT-tick BTCUSDT mid moves 5 to 50 ticks between two
//!   100 ms depth updates, so every change is counted, with its size capped at
//!   `max_move_ticks` (winsorised: its direction is kept, a sweep's size does not swamp a
//!   state's mean).
//!
//! # Bounds
//! Each `|G¹(x)| ≤ max_move_ticks` (a mean of capped changes, weighted by absorption
//! probabilities that sum to at most 1), and each row of `B` sums to at most 1, so every
//! term `Bᵏ·G¹` is within `±max_move_ticks` and `|g*| ≤ iterations · max_move_ticks`. That
//! is the only bound that holds for every chain (a chain whose every step moves up by the
//! cap reaches it); the computed table is clamped to it, so rounding cannot leave it. In
//! particular the micro-price need not lie between the bid and the ask: on the paper's
//! large-tick stocks it does (nearly), on BTCUSDT it does not (below).
//!
//! # On BTCUSDT
//! From `strategy/tests/stoikov.rs`, on the 2024-08-08 Binance USD-M recording (345 s, 6548
//! trusted book updates, 5672 distinct tops, default config): the spread is one tick at 99 %
//! of the distinct tops; the mid changes at 8.5 % of them, and then mostly by 5 to 100 ticks
//! (a 0.1 USDT tick against a book that is thin behind the touch). The table at the end of
//! the recording, one-tick spread, `I` from 0 to 1 in tenths:
//!
//! ```text
//! −17.8 −12.2 −8.3 −4.4 −1.3 | +1.3 +4.4 +8.3 +12.2 +17.8   ticks
//! ```
//!
//! monotone, and far outside the spread (the imbalance-weighted mid moves at most ±0.5 tick);
//! the wider-spread row (51 distinct tops) is noise. Predicting the mid one second ahead, once
//! fitted and from earlier data only, the mean squared error is 6825 ticks² for the mid, 6819
//! for the imbalance-weighted mid and 6561 for this micro-price (−3.9 %; −1.8 % five seconds
//! ahead, −0.5 % at the next change of the mid). Its sign is right for 73 % of the points
//! where both it and the mid one second later differ from the mid, but its mean absolute
//! error is higher than the mid's (39.3 against 37.9 ticks): it estimates the mean of a
//! heavy-tailed change whose median is near 0. The gain at one second depends on the cap on
//! counted changes (`max_move_ticks`): −13.6, −26.9, −114, −264 and −258 ticks² for caps of
//! ½, 1 (the paper's), 5, 20 (the default) and 1000 ticks. Six minutes of one calm evening are evidence
//! that the signal exists on this book, not a calibration.
//!
//! # References
//! - S. Stoikov, "The micro-price: a high-frequency estimator of future prices", Quantitative
//!   Finance 18(12), 2018 (SSRN 2970694): definitions of `G¹`, `B` and `g*` as the limit of
//!   `Gⁿ⁺¹ = G¹ + B·Gⁿ`, and the symmetrisation.
//! - The paper's published notebook, github.com/sstoikov/microprice ("Microprice - Big Data
//!   Conference.ipynb"), functions `prep_data_sym` (mirror the imbalance bucket
//!   `n − 1 − k`, negate `ΔM`; drop changes over one tick), `estimate` (`Q` and `R₁` from the
//!   row-normalised `[Q counts | move counts]`, `G¹ = (I − Q)⁻¹R₁K`, `B = (I − Q)⁻¹R₂`) and
//!   `plot_Gstar` (`G⁶ = Σ_{k<6} Bᵏ G¹`). Its `Q` is block-diagonal in the spread (a step that
//!   keeps the mid is assumed to keep the spread); here `Q` spans all states.
//! - Issue #2 of that repository: quantile buckets of the unsymmetrised imbalance do not
//!   mirror into each other; the buckets must be symmetric about ½ (fixed-width here).
//!
//! Never panics on data: zero, negative or huge sizes and prices are handled in 128-bit
//! integers, a crossed or locked top is not a state (it breaks the chain like
//! [`StoikovMicroprice::on_reset`]), and time going backwards counts as no time elapsed.

use crate::config::StrategyConfigError;
use crate::decay::NANOS_PER_SEC;
use crate::signals::TopOfBook;
use feeds::Nanos;
use serde::{Deserialize, Serialize};

/// Most states (`imbalance_buckets · spread_buckets`) accepted: a refit is `O(states³)`.
pub const MAX_STATES: usize = 64;

/// Probability per step that the chain is stopped with no mid change: keeps `I − Q`
/// invertible when a state never sees the mid change (see the module docs).
const STOP: f64 = 1e-9;

/// The counts are rescaled before a new observation's weight would exceed `2^RESCALE_HALF_LIVES`.
const RESCALE_HALF_LIVES: f64 = 32.0;

/// How the micro-price is estimated. Errors name fields `stoikov.<field>`, as for a
/// `[strategy.stoikov]` table.
///
/// ```
/// # use strategy::stoikov::StoikovConfig;
/// let config: StoikovConfig = toml::from_str("imbalance_buckets = 6\nhalf_life_s = 600")?;
/// assert_eq!((config.imbalance_buckets, config.half_life_s), (6, 600.0));
/// assert_eq!(config.spread_buckets, StoikovConfig::default().spread_buckets);
/// config.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoikovConfig {
    /// Buckets of the imbalance `I ∈ [0, 1]`, symmetric about ½. Default 10, the default of
    /// the public Python ports of the paper's code (the paper's own notebook uses 4 for its
    /// CVX example). In `[2, 32]`.
    pub imbalance_buckets: usize,
    /// Buckets of the spread: 1, 2, … ticks, wider spreads in the last. Default 2: on BTCUSDT
    /// the spread is one tick 99 % of the time, so a second bucket ("wider") is all the rare
    /// wide states can fill. In `[1, 8]`, with `imbalance_buckets · spread_buckets ≤ 64`.
    pub spread_buckets: usize,
    /// Half-life of the transition counts, seconds of event time. Default 1800. Finite and
    /// positive.
    pub half_life_s: f64,
    /// Event time between refits of the table, seconds. Default 10. Finite and non-negative
    /// (0: at every new top, for tests; a refit is `O(states³)`).
    pub refit_interval_s: f64,
    /// Decayed number of observed transitions (not counting their mirror images) before the
    /// table is used. Default 1000 (about a minute of BTCUSDT depth updates). Finite and at
    /// least 1.
    pub min_transitions: f64,
    /// Terms of `g* = Σ_{k < iterations} Bᵏ·G¹`. Default 6, the paper's `G⁶`. In `[1, 100]`.
    pub iterations: usize,
    /// Largest mid change counted, ticks: larger changes are counted at this size, with their
    /// sign. Default 20: on BTCUSDT a cap of 20 ticks and no cap give the same one-second
    /// error, a cap of 5 ticks or less much less of the gain (see the module docs). Finite and
    /// at least ½ (the smallest change of the mid).
    pub max_move_ticks: f64,
}

impl Default for StoikovConfig {
    fn default() -> StoikovConfig {
        StoikovConfig {
            imbalance_buckets: 10,
            spread_buckets: 2,
            half_life_s: 1800.0,
            refit_interval_s: 10.0,
            min_transitions: 1000.0,
            iterations: 6,
            max_move_ticks: 20.0,
        }
    }
}

impl StoikovConfig {
    /// Checks every field; the first bad one is named in the error (`stoikov.<field>`).
    pub fn validate(&self) -> Result<(), StrategyConfigError> {
        fn check(
            ok: bool,
            field: &'static str,
            value: impl ToString,
            requirement: &'static str,
        ) -> Result<(), StrategyConfigError> {
            if ok { Ok(()) } else { Err(StrategyConfigError::new(field, value, requirement)) }
        }
        check(
            (2..=32).contains(&self.imbalance_buckets),
            "stoikov.imbalance_buckets",
            self.imbalance_buckets,
            "must be between 2 and 32",
        )?;
        check(
            (1..=8).contains(&self.spread_buckets),
            "stoikov.spread_buckets",
            self.spread_buckets,
            "must be between 1 and 8",
        )?;
        check(
            self.imbalance_buckets * self.spread_buckets <= MAX_STATES,
            "stoikov.spread_buckets",
            self.spread_buckets,
            "times imbalance_buckets must be at most 64",
        )?;
        check(
            self.half_life_s.is_finite() && self.half_life_s > 0.0,
            "stoikov.half_life_s",
            self.half_life_s,
            "must be a finite positive number",
        )?;
        check(
            self.refit_interval_s.is_finite() && self.refit_interval_s >= 0.0,
            "stoikov.refit_interval_s",
            self.refit_interval_s,
            "must be a finite non-negative number",
        )?;
        check(
            self.min_transitions.is_finite() && self.min_transitions >= 1.0,
            "stoikov.min_transitions",
            self.min_transitions,
            "must be a finite number of at least 1",
        )?;
        check(
            (1..=100).contains(&self.iterations),
            "stoikov.iterations",
            self.iterations,
            "must be between 1 and 100",
        )?;
        check(
            self.max_move_ticks.is_finite() && self.max_move_ticks >= 0.5,
            "stoikov.max_move_ticks",
            self.max_move_ticks,
            "must be a finite number of at least 0.5",
        )
    }
}

/// Where a top of the book sits in the state space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Located {
    /// The state it is counted in: `spread bucket · imbalance_buckets + imbalance bucket`.
    state: usize,
    /// Equal queues with an even number of imbalance buckets: on the boundary of the two
    /// middle buckets, whose adjustments average to 0.
    tie: bool,
}

/// The last state seen, the origin of the next transition.
#[derive(Clone, Copy, Debug)]
struct Previous {
    top: TopOfBook,
    state: usize,
    /// `bid + ask`, ticks: twice the mid, exact.
    mid_twice: i128,
}

/// Stoikov's micro-price with its adjustment table estimated online; see the
/// [module docs](self).
#[derive(Clone, Debug)]
pub struct StoikovMicroprice {
    imbalance_buckets: usize,
    spread_buckets: usize,
    /// `imbalance_buckets · spread_buckets`.
    states: usize,
    iterations: usize,
    max_move: f64,
    min_transitions: f64,
    /// Half-life, nanoseconds.
    half_life: f64,
    /// Nanoseconds between refits.
    refit_interval: i64,
    /// Scaled decayed counts of transitions `x → y` that kept the mid, `states × states`,
    /// row-major by `x`. The decayed count at time `t` is the stored value times
    /// `2^(−(t − scaled)/half_life)`; only ratios are used, except for `evidence`.
    stay: Box<[f64]>,
    /// Scaled decayed counts of transitions `x → y` that changed the mid, as `stay`.
    land: Box<[f64]>,
    /// Scaled decayed sums of the (capped) mid change, ticks, over transitions from `x`.
    moved: Box<[f64]>,
    /// Scaled decayed count of observed transitions (without mirror images).
    evidence: f64,
    /// The time the stored counts are scaled to (see `stay`); at most `time`.
    scaled: Nanos,
    /// The latest time seen; never decreases.
    time: Nanos,
    /// The last refit's time; `None` before the first.
    refitted: Option<Nanos>,
    /// The previous top and its state; `None` at the start, after a reset or a crossed top.
    previous: Option<Previous>,
    /// Transitions observed (without mirror images), for reports.
    transitions: u64,
    /// `g*` by state, ticks, from the last successful refit; all 0 when not `fitted`.
    /// Odd under the mirror map, within `±iterations · max_move`.
    table: Box<[f64]>,
    /// True when `table` comes from a refit with at least `min_transitions` of evidence.
    fitted: bool,
    /// Scratch: the augmented system `[I − Q | m | R₂]`, `states × (2·states + 1)`.
    system: Box<[f64]>,
    /// Scratch: `Bᵏ·G¹` and the next power, `states` each.
    power: Box<[f64]>,
    next: Box<[f64]>,
}

impl StoikovMicroprice {
    /// An estimator with no data and no table. Allocates every count and all the scratch
    /// space a refit needs.
    ///
    /// # Panics
    /// If `config` does not [validate](StoikovConfig::validate): a construction bug.
    pub fn new(config: &StoikovConfig) -> StoikovMicroprice {
        if let Err(error) = config.validate() {
            panic!("StoikovMicroprice::new with an invalid config: {error}");
        }
        let states = config.imbalance_buckets * config.spread_buckets;
        let zeros = |len: usize| vec![0.0; len].into_boxed_slice();
        StoikovMicroprice {
            imbalance_buckets: config.imbalance_buckets,
            spread_buckets: config.spread_buckets,
            states,
            iterations: config.iterations,
            max_move: config.max_move_ticks,
            min_transitions: config.min_transitions,
            half_life: config.half_life_s * NANOS_PER_SEC,
            refit_interval: (config.refit_interval_s * NANOS_PER_SEC).round() as i64,
            stay: zeros(states * states),
            land: zeros(states * states),
            moved: zeros(states),
            evidence: 0.0,
            scaled: Nanos(i64::MIN),
            time: Nanos(i64::MIN),
            refitted: None,
            previous: None,
            transitions: 0,
            table: zeros(states),
            fitted: false,
            system: zeros(states * (2 * states + 1)),
            power: zeros(states),
            next: zeros(states),
        }
    }

    /// A completed, trusted top of the book at `time` (exchange time). Counts the transition
    /// from the previous top, if there is one and this top differs from it (a top with the
    /// same prices and sizes is not a new observation), then refits the table if
    /// `refit_interval_s` has passed since the last refit. A crossed or locked top is not a
    /// state: it only forgets the previous one.
    pub fn on_top(&mut self, time: Nanos, top: &TopOfBook) {
        if time > self.time {
            self.time = time;
        }
        if self.scaled.0 == i64::MIN {
            self.scaled = self.time;
        }
        if self.previous.is_none_or(|previous| previous.top != *top) {
            match self.locate(top) {
                Some(located) => {
                    let mid_twice = i128::from(top.bid.0) + i128::from(top.ask.0);
                    if let Some(previous) = self.previous {
                        let change = (mid_twice - previous.mid_twice) as f64 / 2.0;
                        self.count(previous.state, located.state, change);
                    }
                    self.previous = Some(Previous { top: *top, state: located.state, mid_twice });
                }
                None => self.previous = None,
            }
        }
        if self.refitted.is_none_or(|last| self.time.saturating_since(last) >= self.refit_interval) {
            self.refit();
        }
    }

    /// The book stopped being trusted (a gap, a resync): the next top starts a new chain.
    /// The counts and the table are kept.
    #[inline]
    pub fn on_reset(&mut self) {
        self.previous = None;
    }

    /// `g*(I, S)` for this top, ticks: how far above the mid the micro-price is. `None` before
    /// the table is [`fitted`](Self::fitted), and for a crossed or locked top.
    #[inline]
    pub fn adjustment(&self, top: &TopOfBook) -> Option<f64> {
        if !self.fitted {
            return None;
        }
        let located = self.locate(top)?;
        Some(if located.tie { 0.0 } else { self.table[located.state] })
    }

    /// The micro-price `mid + g*(I, S)`, ticks. `None` when [`adjustment`](Self::adjustment)
    /// is.
    #[inline]
    pub fn microprice(&self, top: &TopOfBook) -> Option<f64> {
        self.adjustment(top).map(|adjustment| top.mid() + adjustment)
    }

    /// `g*` for imbalance bucket `imbalance` (0 is the lowest imbalance, the ask queue
    /// largest) and spread bucket `spread` (0 is one tick), ticks, as of the last refit.
    /// `None` before the table is fitted or outside the buckets.
    pub fn table(&self, imbalance: usize, spread: usize) -> Option<f64> {
        (self.fitted && imbalance < self.imbalance_buckets && spread < self.spread_buckets)
            .then(|| self.table[spread * self.imbalance_buckets + imbalance])
    }

    /// True when the table is in use: the last refit had at least `min_transitions` of
    /// decayed evidence.
    #[inline]
    pub fn fitted(&self) -> bool {
        self.fitted
    }

    /// The imbalance buckets.
    #[inline]
    pub fn imbalance_buckets(&self) -> usize {
        self.imbalance_buckets
    }

    /// The spread buckets.
    #[inline]
    pub fn spread_buckets(&self) -> usize {
        self.spread_buckets
    }

    /// Transitions observed since construction (each also counted as its mirror image).
    #[inline]
    pub fn transitions(&self) -> u64 {
        self.transitions
    }

    /// The decayed number of observed transitions at the latest time seen: the evidence a
    /// refit compares with `min_transitions`.
    pub fn evidence(&self) -> f64 {
        self.evidence * self.scale_to(self.time)
    }

    /// The state of `top`; `None` if it is crossed or locked.
    fn locate(&self, top: &TopOfBook) -> Option<Located> {
        let spread = i128::from(top.ask.0) - i128::from(top.bid.0);
        if spread <= 0 {
            return None;
        }
        let spread_bucket = (spread.min(self.spread_buckets as i128) - 1) as usize;
        let n = self.imbalance_buckets as i128;
        let (bid, ask) = (i128::from(top.bid_qty.0.max(0)), i128::from(top.ask_qty.0.max(0)));
        let total = bid + ask;
        // Below ½, bucket k holds k/n ≤ I < (k+1)/n; above ½, the mirror image, so that
        // swapping the queues maps bucket k to n − 1 − k exactly.
        let (imbalance, tie) = if bid == ask || total == 0 {
            (n / 2, n % 2 == 0)
        } else if bid < ask {
            (bid * n / total, false)
        } else {
            (n - 1 - ask * n / total, false)
        };
        Some(Located { state: spread_bucket * self.imbalance_buckets + imbalance as usize, tie })
    }

    /// `2^(−(now − scaled)/half_life)`: turns stored counts into decayed counts at `now`.
    fn scale_to(&self, now: Nanos) -> f64 {
        let elapsed = now.saturating_since(self.scaled).max(0) as f64;
        (-elapsed / self.half_life).exp2()
    }

    /// Decays the stored counts to `now` and makes it the scale's reference.
    fn rescale(&mut self, now: Nanos) {
        let factor = self.scale_to(now);
        for count in self.stay.iter_mut().chain(self.land.iter_mut()).chain(self.moved.iter_mut()) {
            *count *= factor;
        }
        self.evidence *= factor;
        self.scaled = now;
    }

    /// Counts the transition `from → to` with mid change `change` (ticks) at the latest time.
    fn count(&mut self, from: usize, to: usize, change: f64) {
        let mut exponent = self.time.saturating_since(self.scaled).max(0) as f64 / self.half_life;
        if exponent > RESCALE_HALF_LIVES {
            self.rescale(self.time);
            exponent = 0.0;
        }
        let weight = exponent.exp2();
        let cell = from * self.states + to;
        if change == 0.0 {
            self.stay[cell] += weight;
        } else {
            self.land[cell] += weight;
            self.moved[from] += weight * change.clamp(-self.max_move, self.max_move);
        }
        self.evidence += weight;
        self.transitions += 1;
    }

    /// Rebuilds the table from the counts, if there is enough evidence.
    fn refit(&mut self) {
        self.refitted = Some(self.time);
        self.rescale(self.time);
        self.fitted = self.evidence >= self.min_transitions && self.solve();
        if !self.fitted {
            self.table.fill(0.0);
        }
    }

    /// Builds `[I − Q | m | R₂]` from the symmetrised counts, solves it in place and sums
    /// `g* = Σ_{k < iterations} Bᵏ·G¹` into `table`. False if the result is not finite.
    fn solve(&mut self) -> bool {
        let (n, buckets) = (self.states, self.imbalance_buckets);
        let width = 2 * n + 1;
        for x in 0..n {
            let mirror_x = mirror(x, buckets);
            let row = &mut self.system[x * width..(x + 1) * width];
            row.fill(0.0);
            let mut total = 0.0;
            for y in 0..n {
                let mirror_y = mirror(y, buckets);
                let stay = self.stay[x * n + y] + self.stay[mirror_x * n + mirror_y];
                let land = self.land[x * n + y] + self.land[mirror_x * n + mirror_y];
                row[y] = -stay;
                row[n + 1 + y] = land;
                total += stay + land;
            }
            row[n] = self.moved[x] - self.moved[mirror_x];
            if total > 0.0 {
                // Row x of Q, R₂ and m, with the chain kept going with probability 1 − ε.
                let keep = (1.0 - STOP) / total;
                row.iter_mut().for_each(|value| *value *= keep);
            }
            row[x] += 1.0;
        }
        if !eliminate(&mut self.system, n, width) {
            return false;
        }
        // Column n is now G¹ and columns n+1.. are B.
        let system = &self.system;
        for x in 0..n {
            self.power[x] = system[x * width + n];
        }
        self.table.copy_from_slice(&self.power);
        for _ in 1..self.iterations {
            for x in 0..n {
                let b = &system[x * width + n + 1..(x + 1) * width];
                self.next[x] = b.iter().zip(self.power.iter()).map(|(b, g)| b * g).sum();
            }
            std::mem::swap(&mut self.power, &mut self.next);
            for (total, term) in self.table.iter_mut().zip(self.power.iter()) {
                *total += term;
            }
        }
        if !self.table.iter().all(|value| value.is_finite()) {
            return false;
        }
        // Exactly odd (rounding in the elimination is not), and within the bound that holds
        // for every chain.
        let bound = self.iterations as f64 * self.max_move;
        for x in 0..n {
            let mirror_x = mirror(x, buckets);
            if mirror_x >= x {
                let odd = ((self.table[x] - self.table[mirror_x]) / 2.0).clamp(-bound, bound);
                self.table[x] = odd;
                self.table[mirror_x] = -odd;
            }
        }
        true
    }
}

/// The mirror image of `state` with `n` imbalance buckets: imbalance bucket `k → n − 1 − k`,
/// same spread bucket.
#[inline]
fn mirror(state: usize, n: usize) -> usize {
    state - state % n + (n - 1 - state % n)
}

/// Gauss–Jordan elimination with partial pivoting on the `n × n` left block of the row-major
/// `n × width` matrix `system`, applied to every column: on success the right-hand columns
/// hold the solution. False if a pivot is zero or not finite.
fn eliminate(system: &mut [f64], n: usize, width: usize) -> bool {
    for column in 0..n {
        let pivot_row = (column..n)
            .max_by(|&a, &b| system[a * width + column].abs().total_cmp(&system[b * width + column].abs()))
            .unwrap_or(column);
        let pivot = system[pivot_row * width + column];
        if !(pivot.is_finite() && pivot != 0.0) {
            return false;
        }
        if pivot_row != column {
            for k in 0..width {
                system.swap(pivot_row * width + k, column * width + k);
            }
        }
        for k in column..width {
            system[column * width + k] /= pivot;
        }
        for row in 0..n {
            let factor = system[row * width + column];
            if row == column || factor == 0.0 {
                continue;
            }
            for k in column..width {
                system[row * width + k] -= factor * system[column * width + k];
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_random::Uniforms;
    use feeds::{Lots, Ticks};
    use proptest::prelude::*;

    fn top(bid: i64, bid_qty: i64, ask: i64, ask_qty: i64) -> TopOfBook {
        TopOfBook { bid: Ticks(bid), bid_qty: Lots(bid_qty), ask: Ticks(ask), ask_qty: Lots(ask_qty) }
    }

    /// Refits at every top, from the first transition on.
    fn eager(imbalance_buckets: usize, spread_buckets: usize, iterations: usize) -> StoikovConfig {
        StoikovConfig {
            imbalance_buckets,
            spread_buckets,
            iterations,
            refit_interval_s: 0.0,
            min_transitions: 1.0,
            ..StoikovConfig::default()
        }
    }

    /// Feeds `tops` one nanosecond apart.
    fn feed(estimator: &mut StoikovMicroprice, tops: &[TopOfBook]) {
        for (i, top) in tops.iter().enumerate() {
            estimator.on_top(Nanos(i as i64 + 1), top);
        }
    }

    #[test]
    fn defaults_validate_and_an_empty_table_gives_them() {
        assert_eq!(StoikovConfig::default().validate(), Ok(()));
        assert_eq!(toml::from_str::<StoikovConfig>("").unwrap(), StoikovConfig::default());
        assert!(toml::from_str::<StoikovConfig>("buckets = 3").is_err());
    }

    #[test]
    fn each_bad_field_is_named() {
        let default = StoikovConfig::default();
        let cases = [
            ("stoikov.imbalance_buckets", StoikovConfig { imbalance_buckets: 1, ..default }),
            ("stoikov.spread_buckets", StoikovConfig { spread_buckets: 0, ..default }),
            ("stoikov.spread_buckets", StoikovConfig { imbalance_buckets: 32, spread_buckets: 3, ..default }),
            ("stoikov.half_life_s", StoikovConfig { half_life_s: 0.0, ..default }),
            ("stoikov.refit_interval_s", StoikovConfig { refit_interval_s: f64::NAN, ..default }),
            ("stoikov.min_transitions", StoikovConfig { min_transitions: 0.5, ..default }),
            ("stoikov.iterations", StoikovConfig { iterations: 0, ..default }),
            ("stoikov.max_move_ticks", StoikovConfig { max_move_ticks: f64::INFINITY, ..default }),
        ];
        for (field, config) in cases {
            assert_eq!(config.validate().unwrap_err().field(), field);
        }
    }

    #[test]
    #[should_panic(expected = "StoikovMicroprice::new with an invalid config")]
    fn an_invalid_config_is_a_construction_bug() {
        StoikovMicroprice::new(&StoikovConfig { iterations: 0, ..StoikovConfig::default() });
    }

    #[test]
    fn buckets_are_symmetric_about_one_half() {
        let estimator = StoikovMicroprice::new(&eager(10, 2, 6));
        let bucket = |bid_qty, ask_qty| estimator.locate(&top(100, bid_qty, 101, ask_qty)).unwrap();
        // Below ½, [k/10, (k+1)/10): I = 0.3 is bucket 3. Above, the mirror image: I = 0.7 is
        // bucket 6 (the mirror of 3), not 7.
        assert_eq!(bucket(3, 7).state, 3);
        assert_eq!(bucket(7, 3).state, 6);
        assert_eq!(bucket(0, 5).state, 0);
        assert_eq!(bucket(5, 0).state, 9);
        // Equal queues: counted in the upper middle bucket, flagged as a tie.
        assert_eq!(bucket(4, 4), Located { state: 5, tie: true });
        assert_eq!(bucket(0, 0), Located { state: 5, tie: true });
        // Spread 2 ticks and wider go to the second spread bucket.
        assert_eq!(estimator.locate(&top(100, 3, 102, 7)).unwrap().state, 13);
        assert_eq!(estimator.locate(&top(100, 3, 190, 7)).unwrap().state, 13);
        // Crossed and locked tops are not states.
        assert_eq!(estimator.locate(&top(100, 3, 100, 7)), None);
        assert_eq!(estimator.locate(&top(101, 3, 100, 7)), None);
        // Odd bucket counts have a middle bucket that is its own mirror image.
        let odd = StoikovMicroprice::new(&eager(3, 1, 6));
        assert_eq!(odd.locate(&top(100, 4, 101, 4)), Some(Located { state: 1, tie: false }));
        for (a, b) in [(1, 2), (1, 1_000), (999, 1_000), (i64::MAX, 1), (i64::MAX, i64::MAX - 1)] {
            let (low, high) = (bucket(a, b).state, bucket(b, a).state);
            assert_eq!(low, 9 - high, "{a} vs {b}");
        }
    }

    #[test]
    fn a_hand_built_chain() {
        // Three imbalance buckets L (I < 1/3), M, H (I > 2/3), one spread bucket. The tops:
        //   100×1 / 101×9 (L) → 100×5 / 101×5 (M) → 100×9 / 101×1 (H)
        //   → 101×5 / 102×5 (M, mid +1) → 101×9 / 102×1 (H) → 102×1 / 103×9 (L, mid +1)
        // are the transitions L→M, M→H, M→H (mid kept), H→M +1, H→L +1. With their mirror
        // images (L↔H, ΔM → −ΔM), per state:
        //   L: →M kept; −1 landing in M; −1 landing in H          (3 transitions)
        //   M: →H kept ×2; →L kept ×2                              (4)
        //   H: →M kept; +1 landing in M; +1 landing in L           (3)
        // so Q = [[0, 1/3, 0], [1/2, 0, 1/2], [0, 1/3, 0]], m = (−2/3, 0, 2/3),
        // R₂ = [[0, 1/3, 1/3], [0, 0, 0], [1/3, 1/3, 0]]. Solving (I − Q)·[G¹ | B] = [m | R₂]:
        //   G¹ = (−2/3, 0, 2/3); B(M) = (1/4, 1/2, 1/4), B(L) = (1/12, 1/2, 5/12), B(H) its mirror.
        // Then B·G¹ = −G¹/3 (an H state moves up and often lands in L), so
        //   g* = G¹·Σ_{k<K} (−1/3)^k: K = 1: ±2/3; K = 2: ±4/9; K = 6: ±364/729; K → ∞: ±1/2.
        // (Checked with exact fractions in Python.)
        let tops = [
            top(100, 1, 101, 9),
            top(100, 5, 101, 5),
            top(100, 9, 101, 1),
            top(101, 5, 102, 5),
            top(101, 9, 102, 1),
            top(102, 1, 103, 9),
        ];
        for (iterations, expected) in [(1, 2.0 / 3.0), (2, 4.0 / 9.0), (6, 364.0 / 729.0), (100, 0.5)] {
            let mut estimator = StoikovMicroprice::new(&eager(3, 1, iterations));
            feed(&mut estimator, &tops);
            assert_eq!(estimator.transitions(), 5);
            assert!(estimator.fitted());
            let table = [0, 1, 2].map(|k| estimator.table(k, 0).unwrap());
            for (got, want) in table.iter().zip([-expected, 0.0, expected]) {
                assert!(
                    (got - want).abs() < 1e-9,
                    "{iterations} iterations: {table:?}, expected ±{expected}"
                );
            }
            // The micro-price of the last top (L, mid 102.5) is below its mid.
            let last = tops[5];
            assert_eq!(estimator.adjustment(&last), Some(table[0]));
            assert_eq!(estimator.microprice(&last), Some(102.5 + table[0]));
        }
    }

    #[test]
    fn symmetrisation_makes_the_table_odd_in_the_imbalance() {
        // Only up-moves are ever observed, from every bucket: without the mirror images the
        // table would be positive everywhere; with them it is odd.
        let mut estimator = StoikovMicroprice::new(&eager(4, 2, 6));
        let mut tops = Vec::new();
        for step in 0..40_i64 {
            let (bid, spread) = (1_000 + step, 1 + step % 3);
            tops.push(top(bid, 1 + step % 7, bid + spread, 1 + step % 5));
        }
        feed(&mut estimator, &tops);
        assert!(estimator.fitted());
        for spread in 0..2 {
            for k in 0..4 {
                let (low, high) =
                    (estimator.table(k, spread).unwrap(), estimator.table(3 - k, spread).unwrap());
                assert_eq!(low, -high, "bucket {k}, spread bucket {spread}");
            }
        }
        // Equal queues with an even bucket count: exactly 0.
        assert_eq!(estimator.adjustment(&top(1_000, 6, 1_001, 6)), Some(0.0));
        assert_eq!(estimator.table(4, 0), None);
        assert_eq!(estimator.table(0, 2), None);
    }

    #[test]
    fn the_table_rises_with_the_imbalance_when_the_imbalance_predicts_the_move() {
        // A queue-reactive book (one spread tick): each step one queue gains or loses one lot;
        // when a queue empties, the price moves through it by one tick and both new queues are
        // drawn from 1..=10. A large bid queue against a small ask queue means the ask tends
        // to empty first, so the mid tends to go up: g* must not fall as I rises.
        let mut random = Uniforms::seeded(7);
        let draw = |random: &mut Uniforms| 1 + (random.uniform() * 10.0) as i64;
        let mut estimator = StoikovMicroprice::new(&StoikovConfig {
            imbalance_buckets: 6,
            spread_buckets: 1,
            refit_interval_s: 1.0,
            ..StoikovConfig::default()
        });
        let (mut bid, mut bid_qty, mut ask_qty) = (10_000, 5, 5);
        for step in 0..100_000_i64 {
            let change = if random.uniform() < 0.5 { 1 } else { -1 };
            if random.uniform() < 0.5 {
                bid_qty += change
            } else {
                ask_qty += change
            }
            if bid_qty == 0 {
                bid -= 1;
                (bid_qty, ask_qty) = (draw(&mut random), draw(&mut random));
            } else if ask_qty == 0 {
                bid += 1;
                (bid_qty, ask_qty) = (draw(&mut random), draw(&mut random));
            }
            estimator.on_top(Nanos(step * 1_000_000), &top(bid, bid_qty, bid + 1, ask_qty));
        }
        assert!(estimator.fitted());
        let table: Vec<f64> = (0..6).map(|k| estimator.table(k, 0).unwrap()).collect();
        assert!(table.windows(2).all(|pair| pair[0] <= pair[1]), "{table:?}");
        // About ±0.06, ±0.21, ±0.41 ticks: inside the spread, as in the paper's stocks.
        assert!(table[5] > 0.1, "{table:?}");
    }

    #[test]
    fn repeats_resets_and_crossed_tops_are_not_transitions() {
        let mut estimator = StoikovMicroprice::new(&eager(4, 1, 6));
        let a = top(100, 1, 101, 3);
        let b = top(100, 3, 101, 1);
        feed(&mut estimator, &[a, a, b, b]);
        assert_eq!(estimator.transitions(), 1);
        estimator.on_reset();
        estimator.on_top(Nanos(10), &a);
        assert_eq!(estimator.transitions(), 1, "no transition across a reset");
        estimator.on_top(Nanos(11), &top(101, 1, 101, 1));
        estimator.on_top(Nanos(12), &b);
        assert_eq!(estimator.transitions(), 1, "no transition across a locked top");
        assert_eq!(estimator.adjustment(&top(101, 1, 100, 1)), None);
        // Time going backwards counts as no time elapsed.
        estimator.on_top(Nanos(-5), &a);
        assert_eq!(estimator.transitions(), 2);
        assert!((estimator.evidence() - 2.0).abs() < 1e-9);
    }

    #[test]
    fn warm_up_and_forgetting() {
        // Half-life 1 s, at least 5 transitions, refit every second.
        let config = StoikovConfig {
            imbalance_buckets: 4,
            spread_buckets: 1,
            half_life_s: 1.0,
            refit_interval_s: 1.0,
            min_transitions: 5.0,
            ..StoikovConfig::default()
        };
        let mut estimator = StoikovMicroprice::new(&config);
        let (a, b) = (top(100, 1, 101, 3), top(101, 3, 102, 1));
        const MS: i64 = 1_000_000;
        for i in 0..10 {
            estimator.on_top(Nanos(i * MS), if i % 2 == 0 { &a } else { &b });
        }
        // Nine transitions, but no refit since the first top: no table yet.
        assert!(!estimator.fitted());
        assert_eq!(estimator.adjustment(&a), None);
        estimator.on_top(Nanos(1_000 * MS), &a);
        assert!(estimator.fitted());
        assert!(estimator.adjustment(&a).is_some());
        // At 10 s the nine transitions of the first 10 ms have decayed by about 2^−10, the one
        // at 1 s by 2^−9, and the new one not at all: far below 5.
        estimator.on_top(Nanos(10_000 * MS), &b);
        let early: f64 = (1..10).map(|i| (-(10_000.0 - i as f64) / 1_000.0).exp2()).sum();
        let expected = early + 0.5_f64.powi(9) + 1.0;
        assert!((estimator.evidence() - expected).abs() < 1e-9, "{} vs {expected}", estimator.evidence());
        assert!(!estimator.fitted());
        assert_eq!(estimator.microprice(&a), None);
    }

    fn any_top() -> impl Strategy<Value = TopOfBook> {
        let price = prop_oneof![1_i64..200, Just(i64::MAX - 2), Just(i64::MIN)];
        let size = prop_oneof![0_i64..20, Just(i64::MAX), -3_i64..0];
        (price, -1_i64..6, size.clone(), size).prop_map(|(bid, spread, bid_qty, ask_qty)| {
            top(bid, bid_qty, bid.saturating_add(spread), ask_qty)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Whatever the tops, times and resets: no panic, and once fitted every adjustment is
        /// finite, odd under swapping the queues, and within `±iterations · max_move_ticks`
        /// (each `Bᵏ·G¹` term is an average of capped mid changes; see the module docs).
        #[test]
        fn any_input_gives_bounded_odd_adjustments(
            (imbalance_buckets, spread_buckets) in (2_usize..9, 1_usize..4),
            iterations in 1_usize..12,
            max_move_ticks in 0.5_f64..30.0,
            steps in proptest::collection::vec((any_top(), -5_i64..1_000_000_000, 0_u8..20), 1..200),
        ) {
            let config = StoikovConfig {
                imbalance_buckets,
                spread_buckets,
                iterations,
                max_move_ticks,
                half_life_s: 0.5,
                refit_interval_s: 0.0,
                min_transitions: 1.0,
            };
            let mut estimator = StoikovMicroprice::new(&config);
            let bound = iterations as f64 * max_move_ticks;
            let mut time = 0_i64;
            for (top, step, reset) in &steps {
                time = time.saturating_add(*step);
                if *reset == 0 { estimator.on_reset() } else { estimator.on_top(Nanos(time), top) }
                if let Some(adjustment) = estimator.adjustment(top) {
                    prop_assert!(adjustment.is_finite() && adjustment.abs() <= bound, "{adjustment}");
                    let swapped = TopOfBook { bid_qty: top.ask_qty, ask_qty: top.bid_qty, ..*top };
                    prop_assert_eq!(estimator.adjustment(&swapped), Some(-adjustment));
                    prop_assert!(estimator.microprice(top).is_some_and(f64::is_finite));
                }
            }
            prop_assert!(estimator.evidence().is_finite());
        }
    }
}
