//! [`StrategyConfig`]: what the quoter is told, read from the engine's config file (the
//! `[strategy]` table and its sub-tables) and checked once at start-up with
//! [`StrategyConfig::validate`].
//!
//! Every field has a default (see each type's `Default`), so a config names only what it
//! changes; unknown fields are errors, so a misspelt one is not silently ignored. Sizes are in
//! lots of the instrument (BTCUSDT on Binance USD-M: 0.001 BTC), price distances in ticks or
//! basis points of the fair value as each field says.
//!
//! Layout:
//! - top level: which policy and fair value, sizes, inventory limit, the half-spread floor
//!   (maker fee + minimum ticks) and cap, whether quotes may cross the book;
//! - one table per policy: `[strategy.fixed]`, `[strategy.avellaneda_stoikov]`,
//!   `[strategy.glft]`, `[strategy.toxicity_aware]` (only the selected one is used, all are
//!   validated);
//! - one table per signal: `[strategy.lfwm]`, `[strategy.toxicity]`, `[strategy.volatility]`,
//!   `[strategy.arrivals]`, `[strategy.stoikov]`.
//!
//! ```
//! # use strategy::{PolicyKind, StrategyConfig};
//! # use feeds::Lots;
//! let config: StrategyConfig = toml::from_str(
//!     "policy = \"glft\"\norder_qty = 3\n[glft]\ngamma = 0.05\n",
//! )?;
//! assert_eq!(config.policy, PolicyKind::Glft);
//! assert_eq!(config.order_qty, Lots(3));
//! assert_eq!(config.glft.gamma, 0.05);
//! assert_eq!(config.max_inventory, StrategyConfig::default().max_inventory);
//! config.validate()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::arrivals::ArrivalConfig;
use crate::fair_value::FairValueKind;
use crate::forced_flow::LfwmConfig;
use crate::policy::avellaneda_stoikov::AvellanedaStoikovConfig;
use crate::policy::fixed::FixedConfig;
use crate::policy::glft::GlftConfig;
use crate::policy::toxicity_aware::ToxicityAwareConfig;
use crate::spread_policy::PolicyKind;
use crate::stoikov::StoikovConfig;
use crate::toxicity::ToxicityConfig;
use crate::volatility::VolatilityConfig;
use feeds::Lots;
use serde::{Deserialize, Deserializer, Serialize};

/// Basis points in one.
pub(crate) const BPS: f64 = 10_000.0;

/// The quoter's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StrategyConfig {
    /// Which spread policy decides the half-spreads and the skew. Default `toxicity_aware`.
    pub policy: PolicyKind,
    /// Where the quotes are centred: `lfwm` (the liquidation-flow-weighted mid, the default) or
    /// `microprice`.
    pub fair_value: FairValueKind,
    /// Which microprice the policy and the fair value start from: `weighted` (the default,
    /// `bid + I·(ask − bid)`) or `stoikov` (`mid + g*(I, S)`, the adjustment table estimated
    /// online; the weighted one is used until the table is fitted).
    pub microprice: MicropriceKind,
    /// Size of each quote, in lots. Default 1. Positive.
    #[serde(deserialize_with = "lots")]
    pub order_qty: Lots,
    /// Largest inventory (long or short), in lots, the quoter builds. At `+max_inventory` it
    /// stops bidding, at `−max_inventory` it stops offering, and in between a quote's size is
    /// cut so that its full fill cannot pass the limit. Default 10. Positive.
    #[serde(deserialize_with = "lots")]
    pub max_inventory: Lots,
    /// Maker fee in basis points (negative for a rebate). The half-spread is never below
    /// `maker_fee_bps` of the fair value plus `min_half_spread_ticks`. Default 2.0, Binance
    /// USD-M's regular tier (0.0200 %) and what the simulated exchange charges by default;
    /// market-maker tiers are at or below 0. In `[−100, 100]`.
    pub maker_fee_bps: f64,
    /// Minimum half-spread above the fee, in ticks. Default 1.0. At least 0.5, so a bid and an
    /// ask around the same centre are always at least one tick apart.
    pub min_half_spread_ticks: f64,
    /// Largest half-spread, in basis points of the fair value. Default 25. At least the floor.
    pub max_half_spread_bps: f64,
    /// Let a quote cross the book's opposite best (take liquidity). Default false: a bid is
    /// held at best ask − 1 tick and an ask at best bid + 1 tick.
    pub allow_cross: bool,
    /// `[strategy.fixed]`.
    pub fixed: FixedConfig,
    /// `[strategy.avellaneda_stoikov]`.
    pub avellaneda_stoikov: AvellanedaStoikovConfig,
    /// `[strategy.glft]`.
    pub glft: GlftConfig,
    /// `[strategy.toxicity_aware]`.
    pub toxicity_aware: ToxicityAwareConfig,
    /// `[strategy.lfwm]`: forced flow and the liquidation-flow-weighted mid.
    pub lfwm: LfwmConfig,
    /// `[strategy.toxicity]`: the toxicity score.
    pub toxicity: ToxicityConfig,
    /// `[strategy.volatility]`.
    pub volatility: VolatilityConfig,
    /// `[strategy.arrivals]`: the online fit of fill intensities `A·e^(−kδ)`.
    pub arrivals: ArrivalConfig,
    /// `[strategy.stoikov]`: Stoikov's micro-price adjustment table.
    pub stoikov: StoikovConfig,
}

/// The microprices a config can name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MicropriceKind {
    /// Imbalance-weighted mid (Stoikov 2018's first-order approximation).
    #[default]
    Weighted,
    /// Stoikov's micro-price with the adjustment table estimated online.
    Stoikov,
}

impl MicropriceKind {
    /// The config spelling.
    pub fn name(self) -> &'static str {
        match self {
            MicropriceKind::Weighted => "weighted",
            MicropriceKind::Stoikov => "stoikov",
        }
    }
}

impl Default for StrategyConfig {
    fn default() -> StrategyConfig {
        StrategyConfig {
            policy: PolicyKind::default(),
            fair_value: FairValueKind::default(),
            microprice: MicropriceKind::default(),
            order_qty: Lots(1),
            max_inventory: Lots(10),
            maker_fee_bps: 2.0,
            min_half_spread_ticks: 1.0,
            max_half_spread_bps: 25.0,
            allow_cross: false,
            fixed: FixedConfig::default(),
            avellaneda_stoikov: AvellanedaStoikovConfig::default(),
            glft: GlftConfig::default(),
            toxicity_aware: ToxicityAwareConfig::default(),
            lfwm: LfwmConfig::default(),
            toxicity: ToxicityConfig::default(),
            volatility: VolatilityConfig::default(),
            arrivals: ArrivalConfig::default(),
            stoikov: StoikovConfig::default(),
        }
    }
}

fn lots<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Lots, D::Error> {
    i64::deserialize(deserializer).map(Lots)
}

/// A [`StrategyConfig`] field with a value that makes no sense.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("strategy config: {field} = {value}: {requirement}")]
pub struct StrategyConfigError {
    field: &'static str,
    value: String,
    requirement: &'static str,
}

impl StrategyConfigError {
    /// `field` (spelt as in the config file, with its table: `toxicity.rise_half_life_s`) has
    /// `value`, which breaks `requirement`.
    pub fn new(field: &'static str, value: impl ToString, requirement: &'static str) -> StrategyConfigError {
        StrategyConfigError { field, value: value.to_string(), requirement }
    }

    /// The offending field, as spelt in the config file.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What the field must be.
    pub fn requirement(&self) -> &'static str {
        self.requirement
    }
}

impl StrategyConfig {
    /// Checks every field, then every table; the first bad one is named in the error.
    pub fn validate(&self) -> Result<(), StrategyConfigError> {
        let check = |ok: bool, field: &'static str, value: f64, requirement: &'static str| {
            if ok { Ok(()) } else { Err(StrategyConfigError::new(field, value, requirement)) }
        };
        check(self.order_qty.0 > 0, "order_qty", self.order_qty.0 as f64, "must be positive")?;
        check(self.max_inventory.0 > 0, "max_inventory", self.max_inventory.0 as f64, "must be positive")?;
        check(
            (-100.0..=100.0).contains(&self.maker_fee_bps),
            "maker_fee_bps",
            self.maker_fee_bps,
            "must be between -100 and 100",
        )?;
        check(
            self.min_half_spread_ticks >= 0.5 && self.min_half_spread_ticks.is_finite(),
            "min_half_spread_ticks",
            self.min_half_spread_ticks,
            "must be a finite number of at least 0.5",
        )?;
        check(
            (0.0..=BPS).contains(&self.max_half_spread_bps) && self.max_half_spread_bps > self.maker_fee_bps,
            "max_half_spread_bps",
            self.max_half_spread_bps,
            "must be between 0 and 10000 and above maker_fee_bps",
        )?;
        self.fixed.validate()?;
        self.avellaneda_stoikov.validate()?;
        self.glft.validate()?;
        self.toxicity_aware.validate()?;
        self.lfwm.validate()?;
        self.toxicity.validate()?;
        self.volatility.validate()?;
        self.arrivals.validate()?;
        self.stoikov.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_an_empty_file_gives_them() {
        assert_eq!(StrategyConfig::default().validate(), Ok(()));
        let parsed: StrategyConfig = toml::from_str("").unwrap();
        assert_eq!(parsed, StrategyConfig::default());
    }

    #[test]
    fn each_bad_field_is_named() {
        let default = StrategyConfig::default;
        let mut cases: Vec<(&str, StrategyConfig)> = vec![
            ("order_qty", StrategyConfig { order_qty: Lots(0), ..default() }),
            ("max_inventory", StrategyConfig { max_inventory: Lots(-5), ..default() }),
            ("maker_fee_bps", StrategyConfig { maker_fee_bps: f64::NAN, ..default() }),
            ("min_half_spread_ticks", StrategyConfig { min_half_spread_ticks: 0.25, ..default() }),
            ("max_half_spread_bps", StrategyConfig { max_half_spread_bps: -1.0, ..default() }),
            ("max_half_spread_bps", StrategyConfig { maker_fee_bps: 30.0, ..default() }),
        ];
        let mut nested = |field, change: fn(&mut StrategyConfig)| {
            let mut config = default();
            change(&mut config);
            cases.push((field, config));
        };
        nested("fixed.half_spread_bps", |config| config.fixed.half_spread_bps = -1.0);
        nested("fixed.skew_bps_at_max_inventory", |config| {
            config.fixed.skew_bps_at_max_inventory = f64::INFINITY
        });
        nested("avellaneda_stoikov.gamma", |config| config.avellaneda_stoikov.gamma = 0.0);
        nested("toxicity_aware.a_tau", |config| config.toxicity_aware.a_tau = -1.0);
        nested("lfwm.tau_s", |config| config.lfwm.tau_s = 0.0);
        nested("lfwm.omega_max", |config| config.lfwm.omega_max = 1.5);
        for (field, config) in cases {
            let error = config.validate().unwrap_err();
            assert_eq!(error.field(), field, "{error}");
            assert!(error.to_string().contains(field), "{error}");
        }
    }

    #[test]
    fn nested_tables_parse() {
        let config: StrategyConfig = toml::from_str(
            "policy = \"avellaneda_stoikov\"\nfair_value = \"microprice\"\n\
             [avellaneda_stoikov]\ngamma = 0.001\nhorizon_s = 30\n[lfwm]\ntau_s = 10\n",
        )
        .unwrap();
        assert_eq!(config.policy, PolicyKind::AvellanedaStoikov);
        assert_eq!(config.fair_value, FairValueKind::Microprice);
        assert_eq!((config.avellaneda_stoikov.gamma, config.avellaneda_stoikov.horizon_s), (0.001, 30.0));
        assert_eq!(config.lfwm.tau_s, 10.0);
        assert_eq!(config.lfwm.omega_max, LfwmConfig::default().omega_max);
        assert!(toml::from_str::<StrategyConfig>("policy = \"aggressive\"").is_err());
        assert!(toml::from_str::<StrategyConfig>("[lfwm]\ntau = 3").is_err());
    }

    #[test]
    fn unknown_and_mistyped_fields_do_not_parse() {
        assert!(toml::from_str::<StrategyConfig>("half_spread = 2.0").is_err());
        assert!(toml::from_str::<StrategyConfig>("order_qty = 1.5").is_err());
    }
}
