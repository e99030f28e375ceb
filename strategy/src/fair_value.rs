//! Where the quote centre sits.
//!
//! - [`FairValue`]: the role. Turns [`Signals`] into a price in ticks, or `None` when it cannot
//!   say (the quoter then quotes nothing). It is given the half-spread the policy decided,
//!   because the forced-flow lean is capped at one half-spread.
//! - [`FairValueKind`]: the implementations a config can name:
//!   - `microprice`: the imbalance-weighted mid (Stoikov, "The micro-price", 2018), already a
//!     better short-horizon predictor than the mid;
//!   - `lfwm` (default): the liquidation-flow-weighted mid, the microprice leaning toward the
//!     decayed mean price of forced flow (see [`forced_flow`](crate::forced_flow)); equal to
//!     the microprice when there is no forced flow.

use crate::signals::Signals;
use serde::{Deserialize, Serialize};

/// Computes the fair value, in ticks, from the signals.
///
/// Takes `&mut self` so an implementation may keep state between calls; it is called once per
/// [`Quoter::quote`](crate::Quoter::quote) and must not allocate.
pub trait FairValue {
    /// Fair value in ticks of the instrument; `None` when unknown. `half_spread` is the
    /// smaller of the two final half-spreads (ticks). A returned value must be finite; the
    /// quoter treats anything else as unknown.
    fn fair_value(&mut self, signals: &Signals, half_spread: f64) -> Option<f64>;
}

/// The fair values a config can name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FairValueKind {
    /// The imbalance-weighted microprice `bid + I·(ask − bid)`, `I = Qb / (Qb + Qa)`.
    Microprice,
    /// The liquidation-flow-weighted mid: microprice + clip(ω·(L − microprice), ±cap).
    #[default]
    Lfwm,
}

impl FairValueKind {
    /// The config spelling.
    pub fn name(self) -> &'static str {
        match self {
            FairValueKind::Microprice => "microprice",
            FairValueKind::Lfwm => "lfwm",
        }
    }
}

impl FairValue for FairValueKind {
    #[inline]
    fn fair_value(&mut self, signals: &Signals, half_spread: f64) -> Option<f64> {
        let microprice = signals.microprice?;
        Some(match self {
            FairValueKind::Microprice => microprice,
            FairValueKind::Lfwm => signals.forced.lfwm(microprice, half_spread),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forced_flow::ForcedFlowReading;

    #[test]
    fn unknown_stays_unknown_and_no_flow_is_the_microprice() {
        for mut kind in [FairValueKind::Microprice, FairValueKind::Lfwm] {
            assert_eq!(kind.fair_value(&Signals::default(), 3.0), None);
            let signals = Signals { microprice: Some(618_002.75), ..Signals::default() };
            assert_eq!(kind.fair_value(&signals, 3.0), Some(618_002.75));
        }
    }

    #[test]
    fn the_lfwm_leans_within_the_half_spread() {
        let forced = ForcedFlowReading { lean: -10.0, cap: 1_500.0, ..ForcedFlowReading::default() };
        let signals = Signals { microprice: Some(618_000.0), forced, ..Signals::default() };
        assert_eq!(FairValueKind::Lfwm.fair_value(&signals, 4.0), Some(617_996.0));
        assert_eq!(FairValueKind::Lfwm.fair_value(&signals, 40.0), Some(617_990.0));
        assert_eq!(FairValueKind::Microprice.fair_value(&signals, 4.0), Some(618_000.0));
    }
}
