//! Avellaneda & Stoikov (2008): where to centre the quotes and how wide to make them.
//!
//! M. Avellaneda and S. Stoikov, "High-frequency trading in a limit order book", *Quantitative
//! Finance* 8(3), 2008, 217–224. A dealer with exponential utility (risk aversion `γ`) holds
//! `q` units of an asset whose mid follows `dS = σ dW`, until a horizon `T`; market orders reach
//! a quote `δ` away from the mid at Poisson rate `λ(δ) = A·e^{−kδ}`. The paper's approximate
//! solution (§3.2) splits the quoting decision in two:
//!
//! - [`reservation_price`]: the dealer's indifference price for the asset given inventory,
//!   `r = s − q·γ·σ²·(T−t)`. The quotes are centred here rather than on the mid, which is
//!   what pulls inventory back towards zero.
//! - [`optimal_spread`]: the total distance from bid to ask,
//!   `γ·σ²·(T−t) + (2/γ)·ln(1 + γ/k)`. It does not depend on inventory (a consequence of the
//!   exponential arrival rate).
//!
//! The quotes are then `bid = r − spread/2` and `ask = r + spread/2`.
//!
//! Units: `mid` and the returned prices are in one price unit (ticks, dollars); `sigma` is in
//! price units per square root of the time unit of `time_left`; `k` is per price unit; `gamma`
//! is per price unit (it multiplies wealth in the utility `−e^{−γ·wealth}`). These are pure
//! functions of their arguments: no state, no allocation, no panics (nonsensical arguments give
//! non-finite or meaningless results; validate parameters where they are read).
//!
//! [`AvellanedaStoikov`] is the `SpreadPolicy` that uses these for live quoting. A perpetual
//! has no terminal time, so `T − t` is a constant rolling horizon (`horizon_s`); `σ` is the
//! signals' volatility in ticks per √second, `q` the inventory in quote sizes, and `k` either
//! configured or the online fit of [`arrivals`](crate::arrivals). The paper's own numerical
//! experiment is [`crate::research::as_paper`].

/// The reservation (indifference) price, `r = s − q·γ·σ²·(T−t)` (Avellaneda & Stoikov 2008,
/// §2.2 and eq. (29) of §3.2).
///
/// - `mid`: the mid-price `s`.
/// - `inventory`: `q`, units held, positive long.
/// - `gamma`: risk aversion `γ > 0`, per price unit.
/// - `sigma`: volatility `σ ≥ 0` of the mid, price units per √(time unit).
/// - `time_left`: `T − t ≥ 0`, in the time unit of `sigma`.
///
/// Long inventory puts `r` below the mid (the dealer would rather sell), short above; the
/// adjustment shrinks linearly to zero at the horizon.
#[inline]
#[must_use]
pub fn reservation_price(mid: f64, inventory: f64, gamma: f64, sigma: f64, time_left: f64) -> f64 {
    mid - inventory * gamma * sigma * sigma * time_left
}

/// The optimal total spread `δ^a + δ^b = γ·σ²·(T−t) + (2/γ)·ln(1 + γ/k)` (Avellaneda &
/// Stoikov 2008, eq. (30) of §3.2), in price units: the distance from bid to ask, both sides.
///
/// - `gamma`: risk aversion `γ > 0`, per price unit.
/// - `sigma`: volatility `σ ≥ 0`, price units per √(time unit).
/// - `time_left`: `T − t ≥ 0`, in the time unit of `sigma`.
/// - `k`: decay `k > 0` of the arrival rate `A·e^{−kδ}` with distance `δ` from the mid, per
///   price unit.
///
/// The first term pays for carrying inventory risk to the horizon; the second is the spread
/// that maximises expected utility of the spread income alone, and tends to `2/k` as `γ → 0`.
/// `ln_1p` keeps it accurate for small `γ/k`.
#[inline]
#[must_use]
pub fn optimal_spread(gamma: f64, sigma: f64, time_left: f64, k: f64) -> f64 {
    gamma * sigma * sigma * time_left + (2.0 / gamma) * (gamma / k).ln_1p()
}

/// `[strategy.avellaneda_stoikov]`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AvellanedaStoikovConfig {
    /// Risk aversion `γ`, per tick. Default 0.0001 (with σ ≈ 30 ticks/√s and a 60 s horizon,
    /// the inventory-risk half-spread `½γσ²(T−t)` is about 2.7 ticks on BTCUSDT). Positive.
    pub gamma: f64,
    /// Arrival decay `k`, per tick; 0 (the default) uses the online fit.
    pub k: f64,
    /// The rolling horizon `T − t`, seconds. Default 60. Positive.
    pub horizon_s: f64,
}

impl Default for AvellanedaStoikovConfig {
    fn default() -> AvellanedaStoikovConfig {
        AvellanedaStoikovConfig { gamma: 1e-4, k: 0.0, horizon_s: 60.0 }
    }
}

impl AvellanedaStoikovConfig {
    /// Checks every field; the first bad one is named.
    pub fn validate(&self) -> Result<(), crate::StrategyConfigError> {
        use crate::StrategyConfigError;
        if !(self.gamma > 0.0 && self.gamma.is_finite()) {
            return Err(StrategyConfigError::new("avellaneda_stoikov.gamma", self.gamma, "must be positive"));
        }
        if !(self.k >= 0.0 && self.k.is_finite()) {
            return Err(StrategyConfigError::new(
                "avellaneda_stoikov.k",
                self.k,
                "must be positive, or 0 to use the fitted k",
            ));
        }
        if !(self.horizon_s > 0.0 && self.horizon_s.is_finite()) {
            return Err(StrategyConfigError::new(
                "avellaneda_stoikov.horizon_s",
                self.horizon_s,
                "must be a positive number of seconds",
            ));
        }
        Ok(())
    }
}

/// The Avellaneda–Stoikov policy over a rolling horizon.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AvellanedaStoikov {
    config: AvellanedaStoikovConfig,
}

/// `k` (per tick) used when neither the config nor the fit gives one.
const FALLBACK_K: f64 = 1.0;

impl AvellanedaStoikov {
    /// The policy `config` describes.
    pub fn new(config: AvellanedaStoikovConfig) -> AvellanedaStoikov {
        AvellanedaStoikov { config }
    }
}

impl crate::SpreadPolicy for AvellanedaStoikov {
    #[inline]
    fn spread(&mut self, input: &crate::PolicyInput<'_>) -> crate::SpreadTerms {
        let AvellanedaStoikovConfig { gamma, k, horizon_s } = self.config;
        let fitted = input.signals.arrivals.k;
        let k = if k > 0.0 {
            k
        } else if fitted > 0.0 && fitted.is_finite() {
            fitted
        } else {
            FALLBACK_K
        };
        let sigma = input.sigma_ticks();
        let half = optimal_spread(gamma, sigma, horizon_s, k) / 2.0;
        let mut terms = crate::SpreadTerms::symmetric(crate::PolicyKind::AvellanedaStoikov, half);
        terms.sigma = sigma;
        terms.inventory_risk = gamma * sigma * sigma * horizon_s / 2.0;
        terms.arrival = half - terms.inventory_risk;
        terms.skew =
            input.fair_value - reservation_price(input.fair_value, input.q(), gamma, sigma, horizon_s);
        terms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-12, "{actual} != {expected}");
    }

    #[test]
    fn the_policy_turns_signals_into_the_closed_form_terms() {
        use crate::{PolicyInput, PolicyKind, Signals, SpreadPolicy};
        use feeds::{Lots, Step};
        // σ = 0.5 bp/√s of a 600 000-tick fair value = 30 ticks/√s; γ = 1e-4 per tick,
        // T − t = 60 s, k = 0.5 per tick, q = 2. Independently (python3):
        //   half   = (γσ²τ + (2/γ)·ln(1 + γ/k)) / 2 = 4.699800026662447
        //   risk   = γσ²τ / 2                      = 2.7
        //   arrival = (1/γ)·ln(1 + γ/k)            = 1.9998000266624472
        //   skew   = qγσ²τ                         = 10.8
        let mut signals = Signals::default();
        signals.volatility.sigma = 0.5e-4;
        signals.arrivals.k = 7.0; // ignored: the config names k
        let input = PolicyInput {
            signals: &signals,
            fair_value: 600_000.0,
            inventory: Lots(4),
            order_qty: Lots(2),
            max_inventory: Lots(10),
            tick: Step::decimal_places(1),
        };
        let mut policy =
            AvellanedaStoikov::new(AvellanedaStoikovConfig { gamma: 1e-4, k: 0.5, horizon_s: 60.0 });
        let terms = policy.spread(&input);
        let near =
            |actual: f64, expected: f64| assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
        assert_eq!(terms.policy, PolicyKind::AvellanedaStoikov);
        near(terms.sigma, 30.0);
        near(terms.bid, 4.699800026662447);
        near(terms.ask, 4.699800026662447);
        near(terms.inventory_risk, 2.7);
        near(terms.arrival, 1.9998000266624472);
        near(terms.skew, 10.8);
        // k = 0 in the config: the fitted k from the signals.
        let mut fitted =
            AvellanedaStoikov::new(AvellanedaStoikovConfig { gamma: 1e-4, k: 0.0, horizon_s: 60.0 });
        let mut with_fit = signals;
        with_fit.arrivals.k = 0.5;
        let input = PolicyInput { signals: &with_fit, ..input };
        near(fitted.spread(&input).bid, 4.699800026662447);
    }

    #[test]
    fn reservation_price_moves_against_inventory_and_fades_at_the_horizon() {
        // Flat: the reservation price is the mid.
        close(reservation_price(100.0, 0.0, 0.1, 2.0, 1.0), 100.0);
        // Long 3 with the paper's γ = 0.1, σ = 2, half the horizon left:
        // 100 − 3·0.1·4·0.5 = 99.4.
        close(reservation_price(100.0, 3.0, 0.1, 2.0, 0.5), 99.4);
        // Short 2, γ = 0.01, σ = 1.5, T−t = 0.75: 50.25 + 2·0.01·2.25·0.75 = 50.28375.
        close(reservation_price(50.25, -2.0, 0.01, 1.5, 0.75), 50.28375);
        // At the horizon inventory no longer matters.
        close(reservation_price(100.0, 7.0, 0.1, 2.0, 0.0), 100.0);
    }

    #[test]
    fn optimal_spread_matches_the_closed_form() {
        // Values computed independently with python3's math.log.
        // 0.1·4·1 + (2/0.1)·ln(1 + 0.1/1.5)
        close(optimal_spread(0.1, 2.0, 1.0, 1.5), 1.690_770_422_751_423_3);
        // 0.01·4·0.5 + (2/0.01)·ln(1 + 0.01/1.5)
        close(optimal_spread(0.01, 2.0, 0.5, 1.5), 1.348_908_543_733_702_3);
        // At the horizon: 2·ln(1 + 1/1.5)
        close(optimal_spread(1.0, 2.0, 0.0, 1.5), 1.021_651_247_531_981_2);
        // 0.5·0.25·2 + (2/0.5)·ln(1 + 0.5/3)
        close(optimal_spread(0.5, 0.5, 2.0, 3.0), 0.866_602_719_309_033_4);
    }

    #[test]
    fn optimal_spread_tends_to_two_over_k_for_a_risk_neutral_dealer() {
        // (2/γ)·ln(1 + γ/k) = 2/k − γ/k² + O(γ²): with γ = 1e-9 and k = 1.5 the gap is ~4e-10.
        let spread = optimal_spread(1e-9, 2.0, 0.0, 1.5);
        assert!((spread - 2.0 / 1.5).abs() < 1e-9, "{spread}");
    }

    #[test]
    fn quotes_straddle_the_reservation_price() {
        // The paper's §3.3 parameters at t = 0 with q = 2: the bid and ask are r ∓ spread/2,
        // both below the mid's symmetric quotes because the dealer is long.
        let (gamma, sigma, k) = (0.1, 2.0, 1.5);
        let r = reservation_price(100.0, 2.0, gamma, sigma, 1.0);
        let spread = optimal_spread(gamma, sigma, 1.0, k);
        let (bid, ask) = (r - spread / 2.0, r + spread / 2.0);
        close(ask - bid, spread);
        assert!(ask < 100.0 + spread / 2.0 && bid < 100.0 - spread / 2.0);
        // 100 − 2·0.1·4 = 99.2
        close(r, 99.2);
    }
}
