//! [`Funding`]: index, premium, funding rate and mark price of the synthetic perpetual, moved on
//! once a second.
//!
//! - The **premium** of the perpetual over spot moves towards its regime's value (calm: the
//!   crowded side's carry; cascade: the other way) with a [`PREMIUM_ADJUST_S`] time constant.
//! - The **index** (spot) follows `fair / (1 + premium)` with an [`INDEX_LAG_S`] lag, so a
//!   fast move of the perpetual opens a basis of its own.
//! - The **funding rate** is Binance's formula `F = P + clamp(I − P, −0.05 %, 0.05 %)` with the
//!   interest `I` = 0.01 % and `P` the average premium `(mid − index) / index`. Binance averages
//!   over the 8 h period; here an EMA of [`FUNDING_AVERAGE_S`], compressed so that the flip
//!   shows within a cascade of a minute or two.
//! - The **mark price** is Binance's median of `index × (1 + F × time to funding / 8 h)`,
//!   `index + moving-average basis` ([`BASIS_AVERAGE_S`]) and the last trade.
//!
//! Prices are in ticks (`f64`); rates are fractions (0.0001 = 0.01 %).

use super::frames::MarkPrice;

/// The index's lag behind spot, s.
pub const INDEX_LAG_S: f64 = 2.0;
/// Time constant of the premium's move to its regime's value, s.
pub const PREMIUM_ADJUST_S: f64 = 10.0;
/// Time constant of the premium average behind the funding rate, s.
pub const FUNDING_AVERAGE_S: f64 = 20.0;
/// Time constant of the mark price's moving-average basis, s.
pub const BASIS_AVERAGE_S: f64 = 60.0;
/// Binance's interest rate per funding period.
const INTEREST: f64 = 0.0001;
/// Binance's clamp of the interest-minus-premium term.
const FUNDING_CLAMP: f64 = 0.0005;
/// Funding happens every 8 h from midnight UTC.
const FUNDING_PERIOD_MS: i64 = 8 * 3_600_000;

/// The derivative's state.
pub(super) struct Funding {
    /// Premium in calm and in the cascade.
    targets: [f64; 2],
    premium: f64,
    /// Ticks.
    index: f64,
    premium_average: f64,
    /// Ticks.
    basis_average: f64,
    rate: f64,
}

/// `1 − e^(−1/τ)`: the weight of a one-second step of an EMA of time constant `τ`.
fn one_second(time_constant: f64) -> f64 {
    1.0 - (-1.0 / time_constant).exp()
}

impl Funding {
    /// Settled state for a fair price `fair` in calm, with premiums `calm` and `cascade`.
    pub fn new(fair: f64, calm: f64, cascade: f64) -> Funding {
        let index = fair / (1.0 + calm);
        let mut funding = Funding {
            targets: [calm, cascade],
            premium: calm,
            index,
            premium_average: calm,
            basis_average: fair - index,
            rate: 0.0,
        };
        funding.rate = funding.formula();
        funding
    }

    fn formula(&self) -> f64 {
        self.premium_average + (INTEREST - self.premium_average).clamp(-FUNDING_CLAMP, FUNDING_CLAMP)
    }

    /// One second on, with the perpetual's fair price and mid now.
    pub fn on_second(&mut self, fair: f64, mid: f64, in_cascade: bool) {
        let target = self.targets[usize::from(in_cascade)];
        self.premium += (target - self.premium) * one_second(PREMIUM_ADJUST_S);
        self.index += (fair / (1.0 + self.premium) - self.index) * one_second(INDEX_LAG_S);
        let premium = (mid - self.index) / self.index;
        self.premium_average += (premium - self.premium_average) * one_second(FUNDING_AVERAGE_S);
        self.basis_average += (mid - self.index - self.basis_average) * one_second(BASIS_AVERAGE_S);
        self.rate = self.formula();
    }

    /// The current funding rate.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The mark price update at exchange time `event_ms`, with the last trade price, on a tick
    /// of `tick` quote.
    pub fn mark_price(&self, event_ms: i64, last_trade: f64, tick: f64) -> MarkPrice {
        let next_funding_ms = (event_ms.div_euclid(FUNDING_PERIOD_MS) + 1) * FUNDING_PERIOD_MS;
        let to_funding = (next_funding_ms - event_ms) as f64 / FUNDING_PERIOD_MS as f64;
        let mut prices =
            [self.index * (1.0 + self.rate * to_funding), self.index + self.basis_average, last_trade];
        prices.sort_by(f64::total_cmp);
        let e8 = |ticks: f64| (ticks * tick * 1e8).round() as i64;
        MarkPrice {
            mark: e8(prices[1]),
            index: e8(self.index),
            settle: e8(self.index),
            funding: (self.rate * 1e8).round() as i64,
            next_funding_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_funding_formula_clamps_towards_the_interest() {
        // A settled premium P: F = P + clamp(0.01 % − P, ±0.05 %).
        // TC0: P = +8 bp ⇒ 0.08 % − 0.05 % = +0.03 %.  TC1: P = −12 bp ⇒ −0.12 % + 0.05 % =
        // −0.07 %.  TC2: P within 5 bp of the interest ⇒ exactly the interest.
        for (premium, rate) in [(0.0008, 0.0003), (-0.0012, -0.0007), (0.0003, 0.0001)] {
            let funding = Funding::new(600_000.0, premium, 0.0);
            assert!((funding.rate() - rate).abs() < 1e-12, "{premium}: {}", funding.rate());
        }
    }

    #[test]
    fn the_rate_turns_when_the_premium_flips_and_the_mark_is_a_median() {
        // Calm at +8 bp, then a cascade at −6 bp with the price falling 5 bp a second: the
        // index lags, the premium average crosses zero within half a minute.
        let mut funding = Funding::new(600_000.0, 0.0008, -0.0006);
        let mut fair = 600_000.0;
        let mut flipped = None;
        for second in 1..=60 {
            fair *= 1.0 - 0.0005;
            funding.on_second(fair, fair, true);
            if funding.rate() < 0.0 && flipped.is_none() {
                flipped = Some(second);
            }
        }
        assert!(flipped.is_some_and(|second| second <= 30), "{flipped:?}");
        // 2024-08-08 12:00:00 UTC: the next funding is at 16:00, a half period away.
        let mark = funding.mark_price(1_723_118_400_000, fair, 0.1);
        assert_eq!(mark.next_funding_ms, 1_723_132_800_000);
        assert_eq!(mark.funding, (funding.rate() * 1e8).round() as i64);
        let mut candidates =
            [funding.index * (1.0 + funding.rate() * 0.5), funding.index + funding.basis_average, fair];
        candidates.sort_by(f64::total_cmp);
        assert_eq!(mark.mark, (candidates[1] * 0.1 * 1e8).round() as i64);
    }
}
