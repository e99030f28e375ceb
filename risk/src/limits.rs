//! [`RiskLimits`]: the gate's configuration, read from the engine's config file and checked once
//! at start-up with [`RiskLimits::validate`].
//!
//! Every field has a default (see [`RiskLimits::default`]); unknown fields are errors. Sizes are
//! in lots of the instrument, the price band in basis points of the fair value, and the book age
//! in milliseconds in the file (`max_book_age_ms`), nanoseconds in memory.
//!
//! ```
//! # use feeds::{Lots, Nanos};
//! # use risk::RiskLimits;
//! let limits: RiskLimits = toml::from_str("max_position = 20\nmax_book_age_ms = 250")?;
//! assert_eq!(limits.max_position, Lots(20));
//! assert_eq!(limits.max_book_age, Nanos(250_000_000));
//! limits.validate()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use feeds::{Lots, Nanos};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

/// Basis points in one.
pub(crate) const BPS: f64 = 10_000.0;

/// Pre-trade limits.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskLimits {
    /// Largest absolute position, in lots, an order may lead to. Default 10. Positive.
    #[serde(deserialize_with = "lots")]
    pub max_position: Lots,
    /// Largest size of one order, in lots. Default 5. Positive.
    #[serde(deserialize_with = "lots")]
    pub max_order_qty: Lots,
    /// How far from the fair value an order's price may be, in basis points of the fair value.
    /// Default 50 (0.5 %). In `(0, 10 000]`.
    pub price_band_bps: f64,
    /// How long the book may go without an update (book level, clear or best bid/offer, by
    /// exchange time) before orders are refused. Default 1 s; in the file, `max_book_age_ms`.
    /// Positive. (The BTCUSDT recording's longest quiet spell is about 0.11 s.)
    #[serde(rename = "max_book_age_ms", deserialize_with = "millis")]
    pub max_book_age: Nanos,
}

impl Default for RiskLimits {
    fn default() -> RiskLimits {
        RiskLimits {
            max_position: Lots(10),
            max_order_qty: Lots(5),
            price_band_bps: 50.0,
            max_book_age: Nanos(Nanos::PER_SECOND),
        }
    }
}

fn lots<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Lots, D::Error> {
    i64::deserialize(deserializer).map(Lots)
}

fn millis<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Nanos, D::Error> {
    let millis = i64::deserialize(deserializer)?;
    Nanos::from_millis(millis).ok_or_else(|| D::Error::custom(format!("{millis} ms is out of range")))
}

/// A [`RiskLimits`] field with a value that makes no sense.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("risk limits: {field} = {value}: {requirement}")]
pub struct RiskLimitsError {
    field: &'static str,
    value: String,
    requirement: &'static str,
}

impl RiskLimitsError {
    /// The offending field, as spelt in the config file.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What the field must be.
    pub fn requirement(&self) -> &'static str {
        self.requirement
    }
}

impl RiskLimits {
    /// Checks every field; the first bad one is named in the error.
    pub fn validate(&self) -> Result<(), RiskLimitsError> {
        fn check(
            ok: bool,
            field: &'static str,
            value: impl ToString,
            requirement: &'static str,
        ) -> Result<(), RiskLimitsError> {
            if ok { Ok(()) } else { Err(RiskLimitsError { field, value: value.to_string(), requirement }) }
        }
        check(self.max_position.0 > 0, "max_position", self.max_position, "must be positive")?;
        check(self.max_order_qty.0 > 0, "max_order_qty", self.max_order_qty, "must be positive")?;
        check(
            self.price_band_bps > 0.0 && self.price_band_bps <= BPS,
            "price_band_bps",
            self.price_band_bps,
            "must be above 0 and at most 10000",
        )?;
        let millis = self.max_book_age.0 as f64 / Nanos::PER_MILLI as f64;
        check(self.max_book_age.0 > 0, "max_book_age_ms", millis, "must be positive")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_an_empty_file_gives_them() {
        assert_eq!(RiskLimits::default().validate(), Ok(()));
        assert_eq!(toml::from_str::<RiskLimits>("").unwrap(), RiskLimits::default());
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            ("max_position", RiskLimits { max_position: Lots(0), ..RiskLimits::default() }),
            ("max_order_qty", RiskLimits { max_order_qty: Lots(-1), ..RiskLimits::default() }),
            ("price_band_bps", RiskLimits { price_band_bps: 0.0, ..RiskLimits::default() }),
            ("price_band_bps", RiskLimits { price_band_bps: f64::NAN, ..RiskLimits::default() }),
            ("max_book_age_ms", RiskLimits { max_book_age: Nanos(-5), ..RiskLimits::default() }),
        ];
        for (field, limits) in cases {
            let error = limits.validate().unwrap_err();
            assert_eq!(error.field(), field, "{error}");
            assert!(error.to_string().contains(field), "{error}");
        }
    }

    #[test]
    fn the_book_age_is_read_in_milliseconds() {
        let limits: RiskLimits = toml::from_str("max_book_age_ms = 3").unwrap();
        assert_eq!(limits.max_book_age, Nanos(3_000_000));
        // The in-memory name is not the file's, and an overflowing age does not parse.
        assert!(toml::from_str::<RiskLimits>("max_book_age = 3").is_err());
        assert!(toml::from_str::<RiskLimits>("max_book_age_ms = 9223372036854775807").is_err());
    }
}
