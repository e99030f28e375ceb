//! Where the quote centre sits.
//!
//! - [`FairValue`]: the role. Turns [`Signals`] into a price in ticks, or `None` when it cannot
//!   say (the quoter then quotes nothing).
//! - [`MicropriceFairValue`]: the imbalance-weighted mid ([`Signals::microprice`]). The first
//!   implementation because it needs nothing beyond the top of the book and is already a better
//!   short-horizon predictor than the mid (Stoikov, "The micro-price", 2018).
//!
//! The liquidation-flow-weighted fair value of the design (leaning from the microprice toward
//! the decayed, notional-weighted mean price of forced flow) is another implementation of the
//! same role.

use crate::signals::Signals;

/// Computes the fair value, in ticks, from the signals.
///
/// Takes `&mut self` so an implementation may keep state between calls (decayed averages);
/// it is called once per [`Quoter::quote`](crate::Quoter::quote) and must not allocate.
pub trait FairValue {
    /// Fair value in ticks of the instrument; `None` when unknown. A returned value must be
    /// finite; the quoter treats anything else as unknown.
    fn fair_value(&mut self, signals: &Signals) -> Option<f64>;
}

/// Fair value = the imbalance-weighted microprice, `bid + I · (ask − bid)` with
/// `I = Qb / (Qb + Qa)`. Unknown while the book is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MicropriceFairValue;

impl FairValue for MicropriceFairValue {
    #[inline]
    fn fair_value(&mut self, signals: &Signals) -> Option<f64> {
        signals.microprice
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_microprice_is_the_fair_value_and_unknown_stays_unknown() {
        let mut fair = MicropriceFairValue;
        assert_eq!(fair.fair_value(&Signals::default()), None);
        let signals = Signals { microprice: Some(618_002.75), ..Signals::default() };
        assert_eq!(fair.fair_value(&signals), Some(618_002.75));
    }
}
