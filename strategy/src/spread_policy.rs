//! How wide to quote, and where the inventory puts the centre: the spread-policy role.
//!
//! - [`SpreadPolicy`]: the role. Given a [`PolicyInput`] (signals, fair value, inventory), it
//!   returns [`SpreadTerms`]: the half-spread on each side of the quote centre, how far the
//!   inventory moves the centre, and every term that went into them, so a quote can always be
//!   explained.
//! - [`PolicyKind`]: which implementation, as named in the config (`policy = "glft"`).
//!
//! The implementations live in [`policy`](crate::policy): `fixed`, `avellaneda_stoikov`,
//! `glft` and `toxicity_aware`. The quoter then multiplies both half-spreads by the risk
//! state's multiplier, clips each to `[floor, cap]` (fee + minimum ticks, maximum bps), and
//! builds the quotes: bid = ⌊centre − bid half⌋, ask = ⌈centre + ask half⌉ with
//! centre = fair value − skew.
//!
//! Units: ticks of the instrument for every price distance; `σ` in ticks per √second.

use crate::signals::Signals;
use feeds::{Lots, Step};
use serde::{Deserialize, Serialize};

/// What a spread policy may look at.
#[derive(Clone, Copy, Debug)]
pub struct PolicyInput<'a> {
    /// The signals at this quote (volatility, toxicity, forced flow, fill intensities).
    pub signals: &'a Signals,
    /// The fair value the quotes are built around, in ticks. Finite and positive.
    pub fair_value: f64,
    /// Current inventory in lots (positive long).
    pub inventory: Lots,
    /// Size of one quote in lots: the inventory unit of the closed-form models
    /// (`q = inventory / order_qty`).
    pub order_qty: Lots,
    /// The inventory limit in lots.
    pub max_inventory: Lots,
    /// The instrument's tick size.
    pub tick: Step,
}

impl PolicyInput<'_> {
    /// Inventory in quote-size units, `q = inventory / order_qty`.
    #[inline]
    pub fn q(&self) -> f64 {
        self.inventory.0 as f64 / self.order_qty.0.max(1) as f64
    }

    /// Volatility in ticks per √second: the signals' blended log-return volatility times the
    /// fair value.
    #[inline]
    pub fn sigma_ticks(&self) -> f64 {
        self.signals.volatility.sigma * self.fair_value
    }
}

/// Which spread policy, as named in the config.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// A constant half-spread in bps with a linear inventory skew.
    Fixed,
    /// Avellaneda–Stoikov (2008): reservation price and optimal spread over a rolling horizon.
    AvellanedaStoikov,
    /// Guéant–Lehalle–Fernandez-Tapia closed-form approximation, intensities fitted online.
    Glft,
    /// GLFT centred on the liquidation-flow-weighted mid, widened by toxicity, volatility and
    /// forced flow. The default.
    #[default]
    ToxicityAware,
}

impl PolicyKind {
    /// The config spelling.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Fixed => "fixed",
            PolicyKind::AvellanedaStoikov => "avellaneda_stoikov",
            PolicyKind::Glft => "glft",
            PolicyKind::ToxicityAware => "toxicity_aware",
        }
    }
}

/// Every term of one spread decision, in ticks unless said otherwise.
///
/// A policy fills `policy` through `ask`; the quoter then applies `risk_multiplier`, clips to
/// `[floor, cap]` and rewrites `bid` and `ask` with the final half-spreads. So after
/// [`Quoter::quote`](crate::Quoter::quote): bid price = ⌊fair − skew − bid⌋, ask price =
/// ⌈fair − skew + ask⌉ (before the never-cross guard).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SpreadTerms {
    /// The policy that decided.
    pub policy: PolicyKind,
    /// Volatility used, ticks per √second (0 if the policy uses none).
    pub sigma: f64,
    /// The part of the half-spread that pays for adverse selection and order-arrival decay
    /// (AS and GLFT: `(1/γ)·ln(1 + γ/k)`; fixed: the bps half-spread).
    pub arrival: f64,
    /// The part of the half-spread that pays for inventory risk (AS: `½γσ²(T−t)`; GLFT:
    /// `½σ·c2`; fixed: 0).
    pub inventory_risk: f64,
    /// `arrival + inventory_risk`: the half-spread before multipliers; the quoter lifts it to
    /// the floor when the floor is wider (the calm half-spread the multipliers scale).
    pub base: f64,
    /// How far the inventory moves the quote centre down (negative: up), ticks.
    pub skew: f64,
    /// `1 + a_τ·τ` (1 when the policy ignores toxicity).
    pub toxicity_multiplier: f64,
    /// `1 + a_σ·max(0, σ_fast/σ_slow − 1)` (1 when ignored).
    pub volatility_multiplier: f64,
    /// Extra widening of the bid for forced selling hitting bids (1 when none).
    pub bid_flow_multiplier: f64,
    /// Extra widening of the ask for forced buying lifting offers (1 when none).
    pub ask_flow_multiplier: f64,
    /// The risk state's spread multiplier, applied by the quoter (1 in a calm state).
    pub risk_multiplier: f64,
    /// Lowest half-spread allowed: maker fee + the minimum in ticks (set by the quoter).
    pub floor: f64,
    /// Highest half-spread allowed (set by the quoter).
    pub cap: f64,
    /// Half-spread below the centre.
    pub bid: f64,
    /// Half-spread above the centre.
    pub ask: f64,
}

impl SpreadTerms {
    /// Terms with neutral multipliers, `base` on both sides and no skew; the policy and the
    /// quoter fill in the rest.
    pub fn symmetric(policy: PolicyKind, base: f64) -> SpreadTerms {
        SpreadTerms {
            policy,
            sigma: 0.0,
            arrival: base,
            inventory_risk: 0.0,
            base,
            skew: 0.0,
            toxicity_multiplier: 1.0,
            volatility_multiplier: 1.0,
            bid_flow_multiplier: 1.0,
            ask_flow_multiplier: 1.0,
            risk_multiplier: 1.0,
            floor: 0.0,
            cap: f64::INFINITY,
            bid: base,
            ask: base,
        }
    }
}

/// Decides the half-spreads and the inventory skew.
///
/// Takes `&mut self` so an implementation may keep state between calls; it is called once per
/// [`Quoter::quote`](crate::Quoter::quote) and must not allocate. The quoter quotes nothing for
/// non-finite terms, and clips each half-spread into `[floor, cap]`, so a policy cannot make a
/// bid and an ask meet.
pub trait SpreadPolicy {
    /// The terms for this input.
    fn spread(&mut self, input: &PolicyInput<'_>) -> SpreadTerms;
}
