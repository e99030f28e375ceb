//! Guéant, Lehalle & Fernandez-Tapia: the closed-form quotes of a market maker with no horizon.
//!
//! O. Guéant, C.-A. Lehalle and J. Fernandez-Tapia, "Dealing with the inventory risk: a
//! solution to the market making problem", *Mathematics and Financial Economics* 7(4), 2013,
//! 477–507 (arXiv:1105.3115); in the form of O. Guéant, "Optimal market making", *Applied
//! Mathematical Finance* 24(2), 2017, 112–154 (arXiv:1605.01862), eqs. (4.6)–(4.7). As in
//! Avellaneda–Stoikov, the mid follows `dS = σ dW` and takers reach a quote `δ` from the mid
//! at Poisson rate `λ(δ) = A·e^(−kδ)`; the dealer has CARA risk aversion `γ`. Far from the
//! horizon, the optimal distances of the bid and the ask from the mid are approximately (with
//! `ξ = γ` and the order size as the unit of inventory, `Δ = 1`)
//!
//! ```text
//! δ_bid(q) = c1 + ((2q + 1)/2)·σ·c2        c1 = (1/γ)·ln(1 + γ/k)
//! δ_ask(q) = c1 − ((2q − 1)/2)·σ·c2        c2 = √( γ/(2·A·k) · (1 + γ/k)^(1 + k/γ) )
//! ```
//!
//! that is, a [`half_spread`] `c1 + ½·σ·c2` around a centre moved down by the [`skew`]
//! `q·σ·c2` (long inventory lowers both quotes). Unlike Avellaneda–Stoikov there is no
//! `T − t`: the quotes do not depend on a session end, which suits a perpetual.
//!
//! Checked against the hftbacktest tutorial "Guéant–Lehalle–Fernandez-Tapia Market Making
//! Model and Grid Trading" (`docs/tutorials/` of nkaz001/hftbacktest), which writes (4.6)–(4.7)
//! with the same `c1`, `c2`, half-spread and skew.
//!
//! - [`c1`], [`c2`], [`half_spread`], [`skew`]: the formulas, pure functions.
//! - [`Glft`]: the [`SpreadPolicy`], with `σ` from the signals' volatility and `A`, `k` from
//!   the online arrival fit ([`crate::arrivals`]); [`Glft::terms`] does the maths from plain
//!   numbers for policies built on it (toxicity-aware).
//! - [`GlftConfig`]: `γ` and the fallback `A`, `k`.
//!
//! # Units
//! Prices in ticks: `σ` in ticks per √second, `k` per tick, `A` per second, `γ` per tick per
//! order-size unit of inventory (it multiplies wealth in ticks × `order_qty`), `q` in order
//! sizes. Then `c1` is in ticks, `c2` in √seconds, and `σ·c2` in ticks.
//!
//! # Comparative statics
//! The half-spread rises with `σ` and falls with `A` and with `k` (`c1` falls with `k`; `c2²`
//! is `x·(1 + x)^(1 + 1/x)/(2A)` with `x = γ/k`, which rises with `x`). It is **not**
//! monotone in `γ`: `c1` falls with `γ` (`ln(1 + x)/x` decreases) while `c2` rises with it
//! (`d ln c2²/dx = (2x − ln(1 + x))/x² > 0`), so more risk aversion narrows the spread when
//! `σ` is small and widens it when `σ` is large. The skew `|q|·σ·c2` always rises with `γ`.

use crate::arrivals::ArrivalConfig;
use crate::config::StrategyConfigError;
use crate::spread_policy::{PolicyInput, PolicyKind, SpreadPolicy, SpreadTerms};
use serde::{Deserialize, Serialize};

/// `c1 = (1/γ)·ln(1 + γ/k)`, ticks: the half-spread a risk-neutral-ish dealer earns for the
/// arrival decay alone (it tends to `1/k` as `γ → 0`). `ln_1p` keeps small `γ/k` exact.
#[inline]
#[must_use]
pub fn c1(gamma: f64, k: f64) -> f64 {
    (gamma / k).ln_1p() / gamma
}

/// `c2 = √( γ/(2·A·k) · (1 + γ/k)^(1 + k/γ) )`, √seconds: the inventory-risk coefficient,
/// multiplied by `σ` (ticks/√s) into ticks. The power is taken as
/// `exp((1 + k/γ)·ln_1p(γ/k))`, accurate for small `γ/k` (where it tends to `e`).
#[inline]
#[must_use]
pub fn c2(gamma: f64, k: f64, a: f64) -> f64 {
    let x = gamma / k;
    (x / (2.0 * a) * ((1.0 + 1.0 / x) * x.ln_1p()).exp()).sqrt()
}

/// The half-spread around the (skewed) centre, `c1 + ½·σ·c2`, ticks.
#[inline]
#[must_use]
pub fn half_spread(c1: f64, c2: f64, sigma: f64) -> f64 {
    c1 + 0.5 * sigma * c2
}

/// How far inventory `q` (order sizes, positive long) moves the quote centre down,
/// `q·σ·c2`, ticks (negative: up).
#[inline]
#[must_use]
pub fn skew(q: f64, c2: f64, sigma: f64) -> f64 {
    q * sigma * c2
}

/// The GLFT policy's parameters: the `[strategy.glft]` table (also the core of
/// `toxicity_aware`).
///
/// ```
/// # use strategy::policy::glft::GlftConfig;
/// let config: GlftConfig = toml::from_str("gamma = 0.2")?;
/// assert_eq!(config.gamma, 0.2);
/// config.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GlftConfig {
    /// Risk aversion `γ`, per tick per order size. Default 0.001. On the 2024-08-08 BTCUSDT
    /// recording (σ ≈ 38 ticks/√s, fitted `A` ≈ 3.4/s and `k` ≈ 0.056/tick at the median)
    /// that gives a half-spread of about 19 ticks (0.3 bp) and a skew of about 3 ticks per
    /// order of inventory, so the ask reaches the mid at about 6 orders long. With such a
    /// small `k` no `γ` gives a spread of a few ticks: the half-spread is at least about
    /// `c1 → 1/k` (18 ticks there) and `γ` mainly sets the skew (0.01: 21 ticks and 10 ticks
    /// per order; 0.05: 26 and 27). Finite and positive.
    pub gamma: f64,
    /// `A` (per second) used while the signals carry no fitted intensity (`a ≤ 0`). Default:
    /// the arrival fit's prior. Finite and positive.
    pub fallback_a: f64,
    /// `k` (per tick) used while the signals carry no fitted intensity (`k ≤ 0`). Default:
    /// the arrival fit's prior. Finite and positive.
    pub fallback_k: f64,
}

impl Default for GlftConfig {
    fn default() -> GlftConfig {
        let arrivals = ArrivalConfig::default();
        GlftConfig { gamma: 0.001, fallback_a: arrivals.prior_a, fallback_k: arrivals.prior_k }
    }
}

impl GlftConfig {
    /// Checks every field; the first bad one is named in the error (`glft.<field>`).
    pub fn validate(&self) -> Result<(), StrategyConfigError> {
        let positive = |x: f64| x.is_finite() && x > 0.0;
        for (field, value) in [
            ("glft.gamma", self.gamma),
            ("glft.fallback_a", self.fallback_a),
            ("glft.fallback_k", self.fallback_k),
        ] {
            if !positive(value) {
                return Err(StrategyConfigError::new(field, value, "must be a finite positive number"));
            }
        }
        Ok(())
    }
}

/// The GLFT spread policy; see the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Glft {
    config: GlftConfig,
}

impl Glft {
    /// The policy with these parameters.
    ///
    /// # Panics
    /// If `config` does not [validate](GlftConfig::validate): a construction bug.
    pub fn new(config: GlftConfig) -> Glft {
        if let Err(error) = config.validate() {
            panic!("Glft::new with an invalid config: {error}");
        }
        Glft { config }
    }

    /// The parameters.
    pub fn config(&self) -> &GlftConfig {
        &self.config
    }

    /// The terms for volatility `sigma_ticks` (ticks/√s), intensity `A = a` (per second) and
    /// `k` (per tick), and inventory `q` (order sizes): `arrival = c1`,
    /// `inventory_risk = ½σc2`, `bid = ask = base = c1 + ½σc2`, `skew = qσc2`, multipliers 1.
    /// No fallbacks here: `a` and `k` must be positive and `sigma_ticks` non-negative, or the
    /// terms are meaningless (non-finite ones make the quoter quote nothing).
    #[inline]
    pub fn terms(&self, sigma_ticks: f64, a: f64, k: f64, q: f64) -> SpreadTerms {
        let gamma = self.config.gamma;
        let c2 = c2(gamma, k, a);
        let arrival = c1(gamma, k);
        let inventory_risk = 0.5 * sigma_ticks * c2;
        let base = arrival + inventory_risk;
        SpreadTerms {
            sigma: sigma_ticks,
            arrival,
            inventory_risk,
            skew: skew(q, c2, sigma_ticks),
            ..SpreadTerms::symmetric(PolicyKind::Glft, base)
        }
    }
}

impl SpreadPolicy for Glft {
    /// `σ` from [`PolicyInput::sigma_ticks`], `A` and `k` from the signals' arrival fit when
    /// both are positive and finite (else the configured fallbacks), `q` from
    /// [`PolicyInput::q`].
    #[inline]
    fn spread(&mut self, input: &PolicyInput<'_>) -> SpreadTerms {
        let arrivals = &input.signals.arrivals;
        let usable = |x: f64| x.is_finite() && x > 0.0;
        let (a, k) = if usable(arrivals.a) && usable(arrivals.k) {
            (arrivals.a, arrivals.k)
        } else {
            (self.config.fallback_a, self.config.fallback_k)
        };
        self.terms(input.sigma_ticks(), a, k, input.q())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrivals::ArrivalReading;
    use crate::signals::Signals;
    use crate::volatility::VolatilityReading;
    use feeds::{Lots, Step};

    fn close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() <= 1e-12 * expected.abs().max(1.0), "{actual} != {expected}");
    }

    /// One parameter set and its values, computed independently with python3's `math`:
    /// `c1 = log(1 + g/k)/g`, `c2 = sqrt(g/(2*A*k) * (1 + g/k)**(1 + k/g))`,
    /// `half = c1 + 0.5*s*c2`, `skew = q*s*c2`, `bid = c1 + (2*q+1)/2*s*c2`,
    /// `ask = c1 - (2*q-1)/2*s*c2`.
    struct Case {
        gamma: f64,
        k: f64,
        a: f64,
        sigma: f64,
        q: f64,
        c1: f64,
        c2: f64,
        half: f64,
        skew: f64,
        bid: f64,
        ask: f64,
    }

    const CASES: [Case; 4] = [
        // TC0: hftbacktest-like intensity, small γ/k.
        Case {
            gamma: 0.1,
            k: 1.5,
            a: 140.0,
            sigma: 2.0,
            q: 3.0,
            c1: 0.6453852113757116,
            c2: 0.025858608060982998,
            half: 0.6712438194366945,
            skew: 0.15515164836589798,
            bid: 0.8263954678025925,
            ask: 0.5160921710707966,
        },
        // TC1: γ/k = 2, short two orders: the centre moves up, the bid goes above the mid.
        Case {
            gamma: 1.0,
            k: 0.5,
            a: 4.0,
            sigma: 3.0,
            q: -2.0,
            c1: 1.0986122886681098,
            c2: 1.1397535284773888,
            half: 2.808242581384193,
            skew: -6.8385211708643325,
            bid: -4.030278589480139,
            ask: 9.646763752248525,
        },
        // TC2: nearly risk-neutral, c1 ≈ 1/k.
        Case {
            gamma: 0.01,
            k: 2.0,
            a: 20.0,
            sigma: 5.0,
            q: 1.0,
            c1: 0.49875415110389676,
            c2: 0.01845628181861112,
            half: 0.5448948556504245,
            skew: 0.0922814090930556,
            bid: 0.6371762647434802,
            ask: 0.45261344655736896,
        },
        // TC3: very risk-averse, thin flow; q = ½ puts the ask at exactly c1.
        Case {
            gamma: 5.0,
            k: 0.3,
            a: 1.0,
            sigma: 0.5,
            q: 0.5,
            c1: 0.5743359249768025,
            c2: 13.22517181428823,
            half: 3.88062887854886,
            skew: 3.3062929535720573,
            bid: 7.186921832120917,
            ask: 0.5743359249768025,
        },
    ];

    #[test]
    fn the_closed_forms_match_independent_values() {
        for case in CASES {
            let Case { gamma, k, a, sigma, q, .. } = case;
            close(c1(gamma, k), case.c1);
            close(c2(gamma, k, a), case.c2);
            close(half_spread(case.c1, case.c2, sigma), case.half);
            close(skew(q, case.c2, sigma), case.skew);
            // The paper's per-side distances: bid = skew + half, ask = half − skew.
            let terms = Glft::new(GlftConfig { gamma, ..GlftConfig::default() }).terms(sigma, a, k, q);
            close(terms.skew + terms.bid, case.bid);
            close(terms.ask - terms.skew, case.ask);
            close(terms.base, case.half);
            close(terms.arrival + terms.inventory_risk, terms.base);
            assert_eq!(
                (terms.policy, terms.sigma, terms.bid, terms.ask),
                (PolicyKind::Glft, sigma, terms.base, terms.base)
            );
            assert_eq!(terms.toxicity_multiplier, 1.0);
            assert_eq!(terms.risk_multiplier, 1.0);
        }
    }

    #[test]
    fn small_risk_aversion_tends_to_one_over_k_and_e() {
        // c1 → 1/k and (1 + γ/k)^(1 + k/γ) → e as γ → 0, so c2 → √(γe/(2Ak)).
        let (gamma, k, a) = (1e-9, 0.5, 4.0);
        assert!((c1(gamma, k) - 2.0).abs() < 1e-8);
        let limit = (gamma * std::f64::consts::E / (2.0 * a * k)).sqrt();
        assert!((c2(gamma, k, a) / limit - 1.0).abs() < 1e-8);
    }

    #[test]
    fn long_inventory_moves_the_centre_down() {
        let glft = Glft::new(GlftConfig::default());
        let flat = glft.terms(20.0, 4.0, 0.5, 0.0);
        let long = glft.terms(20.0, 4.0, 0.5, 2.0);
        let short = glft.terms(20.0, 4.0, 0.5, -2.0);
        assert_eq!(flat.skew, 0.0);
        assert!(long.skew > 0.0 && short.skew < 0.0);
        assert_eq!(long.skew, -short.skew);
        // The half-spread itself does not depend on inventory.
        assert_eq!((long.base, short.base), (flat.base, flat.base));
    }

    #[test]
    fn the_half_spread_rises_with_sigma_and_falls_with_a_and_k() {
        let glft = Glft::new(GlftConfig::default());
        let base = |sigma, a, k| glft.terms(sigma, a, k, 0.0).base;
        for (low, high) in [(0.0, 1.0), (1.0, 10.0), (10.0, 100.0)] {
            assert!(base(low, 4.0, 0.5) < base(high, 4.0, 0.5));
        }
        for (low, high) in [(0.5, 1.0), (1.0, 4.0), (4.0, 50.0)] {
            assert!(base(20.0, low, 0.5) > base(20.0, high, 0.5));
            assert!(base(20.0, 4.0, low / 10.0) > base(20.0, 4.0, high / 10.0));
        }
    }

    #[test]
    fn risk_aversion_narrows_a_calm_spread_and_widens_a_volatile_one() {
        let terms = |gamma, sigma| {
            Glft::new(GlftConfig { gamma, ..GlftConfig::default() }).terms(sigma, 4.0, 0.5, 1.0)
        };
        let gammas = [0.001, 0.01, 0.1, 1.0, 10.0];
        for pair in gammas.windows(2) {
            let (lower, higher) = (pair[0], pair[1]);
            // σ = 0: only c1, which falls with γ.
            assert!(terms(higher, 0.0).base < terms(lower, 0.0).base);
            // σ = 100 ticks/√s: c2, which rises with γ, dominates.
            assert!(terms(higher, 100.0).base > terms(lower, 100.0).base);
            // The skew always rises with γ.
            assert!(terms(higher, 5.0).skew > terms(lower, 5.0).skew);
        }
    }

    #[test]
    fn the_policy_reads_sigma_and_the_fitted_intensity_from_the_signals() {
        let mut glft = Glft::new(GlftConfig { gamma: 0.1, fallback_a: 2.0, fallback_k: 0.3 });
        let mut signals = Signals {
            volatility: VolatilityReading { sigma: 0.5e-4, ..VolatilityReading::default() },
            arrivals: ArrivalReading { a: 6.0, k: 0.7, fitted: true, bursts: 100 },
            ..Signals::default()
        };
        let mut spread = |signals: &Signals| -> SpreadTerms {
            let input = PolicyInput {
                signals,
                fair_value: 600_000.0,
                inventory: Lots(6),
                order_qty: Lots(2),
                max_inventory: Lots(10),
                tick: Step::decimal_places(1),
            };
            glft.spread(&input)
        };
        // σ = 0.5 bp/√s of 600 000 ticks = 30 ticks/√s; q = 6/2 = 3.
        let terms = spread(&signals);
        assert_eq!(
            terms,
            Glft::new(GlftConfig { gamma: 0.1, ..GlftConfig::default() }).terms(30.0, 6.0, 0.7, 3.0)
        );
        // No intensity in the signals (the default reading): the fallback.
        signals.arrivals = ArrivalReading::default();
        let terms = spread(&signals);
        close(terms.arrival, c1(0.1, 0.3));
        close(terms.skew, 3.0 * 30.0 * c2(0.1, 0.3, 2.0));
    }

    #[test]
    fn defaults_validate_and_bad_fields_are_named() {
        assert_eq!(GlftConfig::default().validate(), Ok(()));
        assert_eq!(toml::from_str::<GlftConfig>("").unwrap(), GlftConfig::default());
        assert!(toml::from_str::<GlftConfig>("risk_aversion = 1").is_err());
        let default = GlftConfig::default();
        for (field, config) in [
            ("glft.gamma", GlftConfig { gamma: 0.0, ..default }),
            ("glft.fallback_a", GlftConfig { fallback_a: f64::NAN, ..default }),
            ("glft.fallback_k", GlftConfig { fallback_k: -1.0, ..default }),
        ] {
            assert_eq!(config.validate().unwrap_err().field(), field);
        }
    }

    #[test]
    #[should_panic(expected = "Glft::new with an invalid config")]
    fn an_invalid_config_is_a_construction_bug() {
        Glft::new(GlftConfig { gamma: -1.0, ..GlftConfig::default() });
    }
}
