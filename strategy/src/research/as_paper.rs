//! The numerical experiment of Avellaneda & Stoikov (2008), §3.3: their inventory strategy
//! against a symmetric benchmark, by Monte Carlo.
//!
//! - [`AsPaperParams`]: the experiment's parameters; [`Default`] is the paper's (s0 = 100,
//!   T = 1, σ = 2, dt = 0.005, q0 = 0, A = 140, k = 1.5, γ = 0.1, 1000 paths), seed 1.
//!   Check them with [`AsPaperParams::validate`] where they are read.
//! - [`run`]: simulates both strategies on the same paths and returns an [`AsPaperReport`]:
//!   one [`StrategyStats`] per strategy (average spread, mean and standard deviation of the
//!   final profit and of the final inventory), the columns of the paper's tables.
//!
//! # The model
//! The mid moves by `+σ√dt` or `−σ√dt` with probability ½ each step. An order resting `δ` away
//! from the mid is filled within a step with probability `λ(δ)·dt`, `λ(δ) = A·e^{−kδ}`, one unit
//! per fill. Both strategies quote the total spread of
//! [`optimal_spread`] at time `t`:
//!
//! - **inventory**: centred on the reservation price [`reservation_price`]
//!   `r = s − q·γ·σ²·(T−t)`, so `bid = r − spread/2`, `ask = r + spread/2`;
//! - **symmetric**: the same spread at the same step, centred on the mid `s`.
//!
//! The final profit is `cash + q_T·s_T`, inventory marked at the terminal mid. Each path records
//! the average of its quoted spreads over the steps; a strategy's `spread` is the mean of those
//! averages over paths.
//!
//! # Choices where the paper is not explicit
//! Fixed here, so that results can be compared run to run:
//!
//! 1. **Order within a step.** Quotes are computed from the state at `t` (mid `s_t`, inventory
//!    `q_t`, time left `T − t`); then fills are decided against `s_t`, at the quoted prices;
//!    then the mid moves to `s_{t+dt}`. This follows the paper's description (quotes computed at
//!    `t`, state updated at `t + dt`, wealth changing by `s ± δ`).
//! 2. **Both sides can fill in one step,** independently: the bid with probability
//!    `min(1, λ(δ_b)·dt)`, the ask with `min(1, λ(δ_a)·dt)`. The paper's literal `λ·dt` is
//!    kept rather than the exact Poisson `1 − e^{−λ·dt}`; with `A·dt = 0.7` the two differ
//!    noticeably, and `λ·dt` is what the paper states. When a large inventory pushes a quote
//!    through the mid, `λ·dt` can exceed 1 and the fill is certain.
//! 3. **The grid** has `steps = round(T/dt)` steps of length `T/steps` (exactly `dt` when `dt`
//!    divides `T`, as in the paper: 200 steps). Quotes are set at `t_i = i·T/steps` for
//!    `i = 0 … steps−1`, so the last quote has one step left, never zero.
//! 4. **The symmetric benchmark** uses the inventory strategy's spread *at that step* (the
//!    spread does not depend on inventory, so it is the same number), not one constant average
//!    spread held over the whole run. The 2008 journal text describes a constant average
//!    spread; the 2006 preprint "the same spread". The reported average spreads are equal
//!    either way; the profits differ a little.
//! 5. **Statistics**: standard deviations are sample ones (divisor `paths − 1`; 0 for one path).
//!
//! # Common random numbers
//! Both strategies run in lockstep on each path and share every random draw, so their
//! comparison is paired: the same mid path, and for each step the same two uniforms `u_b`,
//! `u_a` in `[0, 1)` — a side fills when its uniform is below its fill probability. Each step
//! draws exactly three uniforms, in the order `u_b`, `u_a`, then the mid's move (up if below
//! ½), whatever happened before, so the two strategies never fall out of step. Paths are
//! simulated one after another from a single `ChaCha8Rng::seed_from_u64(seed)` stream: the same
//! seed gives a bit-identical report on the same build.
//!
//! # Reference
//! M. Avellaneda and S. Stoikov, "High-frequency trading in a limit order book", *Quantitative
//! Finance* 8(3), 2008, 217–224, §3.3 and Tables 1–3.

use crate::policy::avellaneda_stoikov::{optimal_spread, reservation_price};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// The most steps (`T/dt`) [`AsPaperParams::validate`] accepts: a bound on run time, far
/// above the paper's 200.
pub const MAX_STEPS: f64 = 10_000_000.0;

/// Parameters of the experiment. Names follow the paper; prices in dollars, time in the unit
/// of `horizon`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AsPaperParams {
    /// Initial mid `s0`. Finite.
    pub s0: f64,
    /// Horizon `T`: the run covers `[0, T]`. Finite, positive.
    pub horizon: f64,
    /// Volatility `σ` of the mid, dollars per √(time unit). Finite, `≥ 0`.
    pub sigma: f64,
    /// Time step `dt`, in `(0, T]`; see the module docs for how the grid is built from it.
    pub dt: f64,
    /// Initial inventory `q0`, units. Finite.
    pub q0: f64,
    /// Arrival-rate scale `A` of `λ(δ) = A·e^{−kδ}`, orders per time unit. Finite, positive.
    pub a: f64,
    /// Arrival-rate decay `k`, per dollar. Finite, positive.
    pub k: f64,
    /// Risk aversion `γ` of the inventory strategy, per dollar. Finite, positive.
    pub gamma: f64,
    /// Number of simulated paths, `≥ 1`.
    pub paths: u64,
    /// Seed of the ChaCha8 generator.
    pub seed: u64,
}

impl Default for AsPaperParams {
    /// The paper's §3.3 parameters with γ = 0.1 (its Table 1), 1000 paths, seed 1.
    fn default() -> Self {
        Self {
            s0: 100.0,
            horizon: 1.0,
            sigma: 2.0,
            dt: 0.005,
            q0: 0.0,
            a: 140.0,
            k: 1.5,
            gamma: 0.1,
            paths: 1000,
            seed: 1,
        }
    }
}

impl AsPaperParams {
    /// Checks every parameter; the error says which one is wrong, what it must be, and what it
    /// was. Each message begins with the field's name (`gamma must be positive, got -1`), so a
    /// caller whose options are named after the fields can point at the option.
    pub fn validate(&self) -> Result<(), String> {
        let finite = [
            ("s0", self.s0),
            ("horizon", self.horizon),
            ("sigma", self.sigma),
            ("dt", self.dt),
            ("q0", self.q0),
            ("a", self.a),
            ("k", self.k),
            ("gamma", self.gamma),
        ];
        for (name, value) in finite {
            if !value.is_finite() {
                return Err(format!("{name} must be a finite number, got {value}"));
            }
        }
        for (name, value) in [("gamma", self.gamma), ("a", self.a), ("k", self.k), ("horizon", self.horizon)]
        {
            if value <= 0.0 {
                return Err(format!("{name} must be positive, got {value}"));
            }
        }
        if self.sigma < 0.0 {
            return Err(format!("sigma must not be negative, got {}", self.sigma));
        }
        if self.dt <= 0.0 || self.dt > self.horizon {
            return Err(format!("dt must be in (0, horizon] = (0, {}], got {}", self.horizon, self.dt));
        }
        if self.horizon / self.dt > MAX_STEPS {
            return Err(format!(
                "dt must leave at most {MAX_STEPS} steps in the horizon {}, got {} (horizon/dt = {})",
                self.horizon,
                self.dt,
                self.horizon / self.dt
            ));
        }
        if self.paths == 0 {
            return Err("paths must be at least 1, got 0".to_owned());
        }
        Ok(())
    }

    /// Number of steps on the grid: `round(T/dt)`, at least 1. Meaningful for valid
    /// parameters.
    #[must_use]
    pub fn steps(&self) -> u64 {
        // NB: the float-to-int cast saturates; validate() bounds T/dt by MAX_STEPS.
        ((self.horizon / self.dt).round() as u64).max(1)
    }
}

/// One strategy's results, the columns of the paper's tables.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StrategyStats {
    /// Average quoted spread (ask − bid): per path the mean over steps, then the mean over
    /// paths.
    pub spread: f64,
    /// Mean final profit `cash + q_T·s_T` over paths.
    pub profit_mean: f64,
    /// Sample standard deviation of the final profit over paths (0 for one path).
    pub profit_std: f64,
    /// Mean final inventory `q_T` over paths.
    pub q_mean: f64,
    /// Sample standard deviation of the final inventory over paths (0 for one path).
    pub q_std: f64,
}

/// The result of [`run`]: the parameters used and both strategies' statistics, computed on the
/// same paths and random draws.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AsPaperReport {
    /// The parameters the report was computed with.
    pub params: AsPaperParams,
    /// Steps per path (`round(T/dt)`).
    pub steps: u64,
    /// Quotes around the reservation price.
    pub inventory: StrategyStats,
    /// The same spreads around the mid.
    pub symmetric: StrategyStats,
}

/// Runs the experiment.
///
/// # Panics
/// If `params` is invalid (a bug of the caller, which should have called
/// [`AsPaperParams::validate`]); the message carries the validation error.
#[must_use]
pub fn run(params: &AsPaperParams) -> AsPaperReport {
    if let Err(message) = params.validate() {
        panic!("invalid AsPaperParams: {message}");
    }
    let steps = params.steps();
    let step = params.horizon / steps as f64;
    let move_size = params.sigma * step.sqrt();
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let mut inventory = Collector::default();
    let mut symmetric = Collector::default();

    for _ in 0..params.paths {
        let mut mid = params.s0;
        let mut books = [Book::new(params.q0), Book::new(params.q0)];
        let mut spread_sum = 0.0;
        for i in 0..steps {
            let time_left = (steps - i) as f64 * step;
            let spread = optimal_spread(params.gamma, params.sigma, time_left, params.k);
            spread_sum += spread;
            let centres = [reservation_price(mid, books[0].q, params.gamma, params.sigma, time_left), mid];
            // Exactly three draws per step, shared by both strategies (common random numbers).
            let u_bid: f64 = rng.random();
            let u_ask: f64 = rng.random();
            let up = rng.random::<f64>() < 0.5;
            for (book, centre) in books.iter_mut().zip(centres) {
                let (bid, ask) = (centre - spread / 2.0, centre + spread / 2.0);
                if u_bid < fill_probability(mid - bid, params.a, params.k, step) {
                    book.q += 1.0;
                    book.cash -= bid;
                }
                if u_ask < fill_probability(ask - mid, params.a, params.k, step) {
                    book.q -= 1.0;
                    book.cash += ask;
                }
            }
            mid += if up { move_size } else { -move_size };
        }
        let average_spread = spread_sum / steps as f64;
        inventory.add(&books[0], mid, average_spread);
        symmetric.add(&books[1], mid, average_spread);
    }
    AsPaperReport { params: *params, steps, inventory: inventory.stats(), symmetric: symmetric.stats() }
}

/// `λ(δ)·dt` with `λ(δ) = A·e^{−kδ}`: the chance that an order `distance` from the mid is
/// filled within a step. May exceed 1 (a certain fill) for quotes through the mid.
#[inline]
fn fill_probability(distance: f64, a: f64, k: f64, step: f64) -> f64 {
    a * (-k * distance).exp() * step
}

/// One strategy's position on one path.
#[derive(Clone, Copy, Debug)]
struct Book {
    /// Inventory, units (whole numbers, held as `f64` for the price arithmetic).
    q: f64,
    /// Cash from fills: + ask when sold, − bid when bought.
    cash: f64,
}

impl Book {
    fn new(q0: f64) -> Self {
        Self { q: q0, cash: 0.0 }
    }
}

/// Per-strategy accumulators over paths.
#[derive(Clone, Copy, Debug, Default)]
struct Collector {
    spread: Moments,
    profit: Moments,
    q: Moments,
}

impl Collector {
    fn add(&mut self, book: &Book, final_mid: f64, average_spread: f64) {
        self.spread.add(average_spread);
        self.profit.add(book.cash + book.q * final_mid);
        self.q.add(book.q);
    }

    fn stats(&self) -> StrategyStats {
        StrategyStats {
            spread: self.spread.mean,
            profit_mean: self.profit.mean,
            profit_std: self.profit.sample_std(),
            q_mean: self.q.mean,
            q_std: self.q.sample_std(),
        }
    }
}

/// Running mean and sum of squared deviations (Welford): one pass, no storage, stable.
#[derive(Clone, Copy, Debug, Default)]
struct Moments {
    count: u64,
    mean: f64,
    /// Σ (x − mean)² over the values so far.
    squares: f64,
}

impl Moments {
    fn add(&mut self, value: f64) {
        self.count += 1;
        let delta = value - self.mean;
        self.mean += delta / self.count as f64;
        self.squares += delta * (value - self.mean);
    }

    fn sample_std(&self) -> f64 {
        if self.count < 2 { 0.0 } else { (self.squares / (self.count - 1) as f64).sqrt() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(gamma: f64, paths: u64, seed: u64) -> AsPaperParams {
        AsPaperParams { gamma, paths, seed, ..AsPaperParams::default() }
    }

    #[test]
    fn the_default_is_the_papers_table_1() {
        let params = AsPaperParams::default();
        assert_eq!(
            (params.s0, params.horizon, params.sigma, params.dt, params.q0),
            (100.0, 1.0, 2.0, 0.005, 0.0)
        );
        assert_eq!((params.a, params.k, params.gamma, params.paths, params.seed), (140.0, 1.5, 0.1, 1000, 1));
        assert_eq!(params.validate(), Ok(()));
        assert_eq!(params.steps(), 200);
    }

    #[test]
    fn validation_names_the_parameter_and_the_value() {
        let base = AsPaperParams::default();
        // TC: (what was changed, the start of the message).
        let cases: [(AsPaperParams, &str); 13] = [
            (AsPaperParams { gamma: -1.0, ..base }, "gamma must be positive, got -1"),
            (AsPaperParams { gamma: 0.0, ..base }, "gamma must be positive, got 0"),
            (AsPaperParams { gamma: f64::NAN, ..base }, "gamma must be a finite number, got NaN"),
            (AsPaperParams { paths: 0, ..base }, "paths must be at least 1, got 0"),
            (AsPaperParams { dt: 0.0, ..base }, "dt must be in (0, horizon] = (0, 1], got 0"),
            (AsPaperParams { dt: 1.5, ..base }, "dt must be in (0, horizon] = (0, 1], got 1.5"),
            (AsPaperParams { dt: 1e-9, ..base }, "dt must leave at most"),
            (AsPaperParams { sigma: -0.5, ..base }, "sigma must not be negative, got -0.5"),
            (AsPaperParams { sigma: f64::INFINITY, ..base }, "sigma must be a finite number, got inf"),
            (AsPaperParams { a: 0.0, ..base }, "a must be positive, got 0"),
            (AsPaperParams { k: -2.0, ..base }, "k must be positive, got -2"),
            (AsPaperParams { horizon: 0.0, ..base }, "horizon must be positive, got 0"),
            (AsPaperParams { s0: f64::NEG_INFINITY, ..base }, "s0 must be a finite number, got -inf"),
        ];
        for (params, expected) in cases {
            let message = params.validate().expect_err(expected);
            assert!(message.starts_with(expected), "{message:?} should start with {expected:?}");
        }
        // Edge values that are allowed: no volatility, dt = T (one step), one path.
        let edges = AsPaperParams { sigma: 0.0, dt: 1.0, paths: 1, ..base };
        assert_eq!(edges.validate(), Ok(()));
        assert_eq!(edges.steps(), 1);
    }

    #[test]
    #[should_panic(expected = "invalid AsPaperParams: paths must be at least 1, got 0")]
    fn running_invalid_parameters_is_a_bug() {
        let _ = run(&with(0.1, 0, 1));
    }

    #[test]
    fn the_same_seed_gives_the_same_report_and_another_seed_does_not() {
        let first = run(&with(0.1, 200, 7));
        assert_eq!(first, run(&with(0.1, 200, 7)));
        let other = run(&with(0.1, 200, 8));
        assert_ne!(first.inventory, other.inventory);
        assert_ne!(first.symmetric, other.symmetric);
        // The spread is deterministic: the seed cannot change it.
        assert_eq!(first.inventory.spread, other.inventory.spread);
    }

    #[test]
    fn the_average_spread_is_the_closed_form_averaged_over_the_grid() {
        // Quotes at t_i = i·dt, i = 0..199, so T − t_i runs 1, 0.995, …, 0.005 and averages
        // (1 + 0.005)/2 = 0.5025. Average spread = γσ²·0.5025 + (2/γ)·ln(1 + γ/k); python3:
        //   γ = 0.1:  0.1·4·0.5025 + 20·ln(1 + 0.1/1.5)  = 1.4917704227514232
        //   γ = 1:    1·4·0.5025 + 2·ln(1 + 1/1.5)       = 3.031651247531981
        for (gamma, expected) in [(0.1, 1.491_770_422_751_423_2), (1.0, 3.031_651_247_531_981)] {
            let report = run(&with(gamma, 20, 1));
            assert!((report.inventory.spread - expected).abs() < 1e-12, "{gamma}: {report:?}");
            assert_eq!(report.symmetric.spread, report.inventory.spread);
        }
    }

    #[test]
    fn the_inventory_strategy_holds_less_inventory_and_less_risk() {
        // γ = 0.1, the paper's Table 1: the skew keeps q near zero (paper: std(q) 2.9 against
        // 8.4, std(profit) 6.6 against 12.7). With 400 paths the gap is many standard errors.
        let report = run(&with(0.1, 400, 3));
        let (inventory, symmetric) = (report.inventory, report.symmetric);
        assert!(inventory.q_std < 0.6 * symmetric.q_std, "{report:?}");
        assert!(inventory.profit_std < 0.7 * symmetric.profit_std, "{report:?}");
        // Both earn about the paper's 65–68 (the profit's standard error here is under 1).
        assert!((60.0..72.0).contains(&inventory.profit_mean), "{report:?}");
        assert!((60.0..75.0).contains(&symmetric.profit_mean), "{report:?}");
        assert!(inventory.q_mean.abs() < 1.0, "{report:?}");
    }

    #[test]
    fn a_very_risk_averse_dealer_gives_up_profit() {
        // γ = 1 (the paper's Table 3): wide spreads and a strong skew cost about a third of
        // the symmetric strategy's profit (paper: 31.4 against 44.0).
        let report = run(&with(1.0, 300, 5));
        assert!(report.inventory.profit_mean < report.symmetric.profit_mean - 5.0, "{report:?}");
        assert!(report.inventory.q_std < report.symmetric.q_std, "{report:?}");
    }

    #[test]
    fn without_volatility_the_strategies_coincide_draw_for_draw() {
        // σ = 0: r = s, so both strategies post the same quotes, and with shared draws they
        // must get the same fills on every path, to the bit.
        let params = AsPaperParams { sigma: 0.0, paths: 50, ..AsPaperParams::default() };
        let report = run(&params);
        assert_eq!(report.inventory, report.symmetric);
        // The mid never moves, so profit is the spread captured: a positive number.
        assert!(report.inventory.profit_mean > 0.0, "{report:?}");
    }

    #[test]
    fn one_path_has_no_dispersion() {
        let report = run(&with(0.1, 1, 1));
        assert_eq!((report.inventory.profit_std, report.inventory.q_std), (0.0, 0.0));
        assert_eq!(report.inventory.q_mean.fract(), 0.0, "inventory moves in whole units");
    }

    #[test]
    fn moments_match_a_direct_computation() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, Σ(x − 5)² = 32, sample variance 32/7.
        let mut moments = Moments::default();
        for value in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
            moments.add(value);
        }
        assert!((moments.mean - 5.0).abs() < 1e-12);
        assert!((moments.sample_std() - (32.0_f64 / 7.0).sqrt()).abs() < 1e-12);
    }
}
