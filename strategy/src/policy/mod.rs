//! Spread policies: the models that decide how wide to quote and where inventory puts the
//! centre, one per file, and [`AnyPolicy`], the one a config selects.
//!
//! - [`fixed`]: constant bps half-spread, linear skew.
//! - [`avellaneda_stoikov`]: the closed-form reservation price and optimal spread of
//!   Avellaneda & Stoikov (2008), over a rolling horizon.
//! - [`glft`]: the Guéant–Lehalle–Fernandez-Tapia closed-form approximation, with fill
//!   intensities fitted online.
//! - [`toxicity_aware`]: GLFT widened by toxicity, volatility and forced flow.

pub mod avellaneda_stoikov;
pub mod fixed;
pub mod glft;
pub mod toxicity_aware;

use crate::config::StrategyConfig;
use crate::spread_policy::{PolicyInput, PolicyKind, SpreadPolicy, SpreadTerms};
use avellaneda_stoikov::AvellanedaStoikov;
use fixed::FixedSpread;
use glft::Glft;
use toxicity_aware::ToxicityAware;

/// The policy a [`StrategyConfig`] selects; dispatches with a `match` (no trait object).
#[derive(Clone, Debug)]
pub enum AnyPolicy {
    /// `fixed`.
    Fixed(FixedSpread),
    /// `avellaneda_stoikov`.
    AvellanedaStoikov(AvellanedaStoikov),
    /// `glft`.
    Glft(Glft),
    /// `toxicity_aware`.
    ToxicityAware(ToxicityAware),
}

impl AnyPolicy {
    /// The policy `config.policy` names, with its table's parameters.
    pub fn from_config(config: &StrategyConfig) -> AnyPolicy {
        match config.policy {
            PolicyKind::Fixed => AnyPolicy::Fixed(FixedSpread::new(config.fixed)),
            PolicyKind::AvellanedaStoikov => {
                AnyPolicy::AvellanedaStoikov(AvellanedaStoikov::new(config.avellaneda_stoikov))
            }
            PolicyKind::Glft => AnyPolicy::Glft(Glft::new(config.glft)),
            PolicyKind::ToxicityAware => {
                AnyPolicy::ToxicityAware(ToxicityAware::new(config.toxicity_aware, &config.glft))
            }
        }
    }
}

impl SpreadPolicy for AnyPolicy {
    #[inline]
    fn spread(&mut self, input: &PolicyInput<'_>) -> SpreadTerms {
        match self {
            AnyPolicy::Fixed(policy) => policy.spread(input),
            AnyPolicy::AvellanedaStoikov(policy) => policy.spread(input),
            AnyPolicy::Glft(policy) => policy.spread(input),
            AnyPolicy::ToxicityAware(policy) => policy.spread(input),
        }
    }
}
