//! [`StrategyConfig`]: what the quoter is told, read from the engine's config file and checked
//! once at start-up with [`StrategyConfig::validate`].
//!
//! Every field has a default (see [`StrategyConfig::default`]), so a config names only what it
//! changes; unknown fields are errors, so a misspelt one is not silently ignored. Sizes are in
//! lots of the instrument (BTCUSDT on Binance USD-M: 0.001 BTC), spreads and skew in basis
//! points of the fair value, with a floor in ticks.
//!
//! ```
//! # use strategy::StrategyConfig;
//! # use feeds::Lots;
//! let config: StrategyConfig = toml::from_str("half_spread_bps = 2.5\norder_qty = 3")?;
//! assert_eq!(config.half_spread_bps, 2.5);
//! assert_eq!(config.order_qty, Lots(3));
//! assert_eq!(config.max_inventory, StrategyConfig::default().max_inventory);
//! config.validate()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use feeds::Lots;
use serde::{Deserialize, Deserializer};

/// Basis points in one.
pub(crate) const BPS: f64 = 10_000.0;

/// The quoter's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StrategyConfig {
    /// Half the quoted spread, in basis points of the fair value, before the tick floor.
    /// Default 1.0 (about 62 ticks on BTCUSDT at 61 700 USDT with a 0.1 tick). In `[0, 10 000]`.
    pub half_spread_bps: f64,
    /// Floor of each half-spread, in ticks. Default 1.0. At least 0.5, so that a bid and an ask
    /// around the same fair value are always at least one tick apart.
    pub min_half_spread_ticks: f64,
    /// Size of each quote, in lots. Default 1. Positive.
    #[serde(deserialize_with = "lots")]
    pub order_qty: Lots,
    /// Largest inventory (long or short), in lots, the quoter builds. At `+max_inventory` it
    /// stops bidding, at `−max_inventory` it stops offering, and in between a quote's size is
    /// cut so that its full fill cannot pass the limit. Default 10. Positive.
    #[serde(deserialize_with = "lots")]
    pub max_inventory: Lots,
    /// Inventory skew: how far both quotes move against the inventory, in basis points of the
    /// fair value, at full inventory (±`max_inventory`); linear in between. Long inventory moves
    /// both quotes down (sell more readily, buy less), short moves them up. Default 0.5.
    /// In `[0, 10 000]`.
    pub skew_bps_at_max_inventory: f64,
}

impl Default for StrategyConfig {
    fn default() -> StrategyConfig {
        StrategyConfig {
            half_spread_bps: 1.0,
            min_half_spread_ticks: 1.0,
            order_qty: Lots(1),
            max_inventory: Lots(10),
            skew_bps_at_max_inventory: 0.5,
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
    /// Checks every field; the first bad one is named in the error.
    pub fn validate(&self) -> Result<(), StrategyConfigError> {
        fn check(
            ok: bool,
            field: &'static str,
            value: impl ToString,
            requirement: &'static str,
        ) -> Result<(), StrategyConfigError> {
            if ok {
                Ok(())
            } else {
                Err(StrategyConfigError { field, value: value.to_string(), requirement })
            }
        }
        let bps_range = 0.0..=BPS;
        check(
            bps_range.contains(&self.half_spread_bps),
            "half_spread_bps",
            self.half_spread_bps,
            "must be between 0 and 10000",
        )?;
        check(
            self.min_half_spread_ticks >= 0.5 && self.min_half_spread_ticks.is_finite(),
            "min_half_spread_ticks",
            self.min_half_spread_ticks,
            "must be a finite number of at least 0.5",
        )?;
        check(self.order_qty.0 > 0, "order_qty", self.order_qty, "must be positive")?;
        check(self.max_inventory.0 > 0, "max_inventory", self.max_inventory, "must be positive")?;
        check(
            bps_range.contains(&self.skew_bps_at_max_inventory),
            "skew_bps_at_max_inventory",
            self.skew_bps_at_max_inventory,
            "must be between 0 and 10000",
        )
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
        let cases: [(&str, StrategyConfig); 6] = [
            ("half_spread_bps", StrategyConfig { half_spread_bps: -1.0, ..StrategyConfig::default() }),
            ("half_spread_bps", StrategyConfig { half_spread_bps: f64::NAN, ..StrategyConfig::default() }),
            (
                "min_half_spread_ticks",
                StrategyConfig { min_half_spread_ticks: 0.25, ..StrategyConfig::default() },
            ),
            ("order_qty", StrategyConfig { order_qty: Lots(0), ..StrategyConfig::default() }),
            ("max_inventory", StrategyConfig { max_inventory: Lots(-5), ..StrategyConfig::default() }),
            (
                "skew_bps_at_max_inventory",
                StrategyConfig { skew_bps_at_max_inventory: f64::INFINITY, ..StrategyConfig::default() },
            ),
        ];
        for (field, config) in cases {
            let error = config.validate().unwrap_err();
            assert_eq!(error.field(), field, "{error}");
            assert!(error.to_string().contains(field), "{error}");
        }
    }

    #[test]
    fn unknown_and_mistyped_fields_do_not_parse() {
        assert!(toml::from_str::<StrategyConfig>("half_spread = 2.0").is_err());
        assert!(toml::from_str::<StrategyConfig>("order_qty = 1.5").is_err());
    }
}
