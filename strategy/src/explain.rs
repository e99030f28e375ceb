//! Why a quote is where it is.
//!
//! - [`Decision`]: what the last [`Quoter::quote`](crate::Quoter::quote) decided and every
//!   number it decided with: the outcome, the microprice, the fair value after the forced-flow
//!   lean, the centre after the inventory skew, each spread term ([`SpreadTerms`]), the inventory
//!   and risk adjustment it was given, and the quotes. Kept by the quoter (a copy, no
//!   allocation).
//! - [`Explanation`]: a decision together with the [`Signals`] it saw, for `halcyon explain`
//!   and reports. Serialisable.
//!
//! Reading one: bid price = ⌊centre − spread.bid⌋ and ask price = ⌈centre + spread.ask⌉
//! (then held off the opposite best unless crossing is allowed), centre = fair value − skew,
//! fair value = microprice + the lean clipped at `min(cap, half-spread)`.

use crate::quote::Quotes;
use crate::quoter::RiskAdjust;
use crate::signals::Signals;
use crate::spread_policy::{PolicyKind, SpreadTerms};
use feeds::{Lots, Nanos};
use serde::Serialize;

/// How the last quote decision ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteOutcome {
    /// No decision yet.
    #[default]
    NotYet,
    /// Quotes were built (either side may still be absent: inventory limit, size 0).
    Quoted,
    /// The book is not trusted (before its snapshot, after a gap).
    BookUntrusted,
    /// The book has an empty side or is crossed.
    BookOneSided,
    /// No microprice or fair value.
    NoFairValue,
    /// The policy returned a non-finite term.
    NonFiniteSpread,
}

/// One quote decision, term by term. Prices in ticks.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Decision {
    /// Exchange time of the decision (the latest event time the signals had seen).
    pub time: Nanos,
    /// How it ended.
    pub outcome: QuoteOutcome,
    /// The microprice the policy was computed around.
    pub microprice: f64,
    /// The fair value: the microprice plus the capped forced-flow lean (or the microprice when
    /// the config centres on it).
    pub fair_value: Option<f64>,
    /// Fair value − skew.
    pub centre: f64,
    /// Every spread term, final half-spreads included.
    pub spread: SpreadTerms,
    /// Inventory it was given, lots.
    pub inventory: Lots,
    /// What the risk state asked.
    pub risk: RiskAdjust,
    /// The quotes.
    pub quotes: Quotes,
}

impl Default for Decision {
    fn default() -> Decision {
        Decision {
            time: Nanos(0),
            outcome: QuoteOutcome::NotYet,
            microprice: f64::NAN,
            fair_value: None,
            centre: f64::NAN,
            spread: SpreadTerms::symmetric(PolicyKind::default(), f64::NAN),
            inventory: Lots(0),
            risk: RiskAdjust::CALM,
            quotes: Quotes::NONE,
        }
    }
}

impl Decision {
    /// The lean actually applied: fair value − microprice (0 without a fair value).
    pub fn lean(&self) -> f64 {
        self.fair_value.map_or(0.0, |fair| fair - self.microprice)
    }

    /// The final half-spread averaged over both sides, ticks.
    pub fn half_spread(&self) -> f64 {
        (self.spread.bid + self.spread.ask) / 2.0
    }
}

/// A decision and the signals it saw.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Explanation {
    /// The signals at the time of the explanation.
    pub signals: Signals,
    /// The last decision.
    pub decision: Decision,
}
