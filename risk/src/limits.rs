//! [`RiskLimits`]: the gate's configuration, read from the engine's config file (the `[risk]`
//! table) and checked once at start-up with [`RiskLimits::validate`].
//!
//! Every field has a default (see [`RiskLimits::default`]); unknown fields are errors. Sizes are
//! in lots of the instrument, notionals, losses and drawdowns in the quote currency (USDT for
//! Binance USD-M), the price band in basis points of the fair value, and durations in
//! milliseconds in the file (`max_book_age_ms`), nanoseconds in memory. The order-rate budget's
//! settings sit in the `[risk.rate]` sub-table ([`OrderRateLimits`]).
//!
//! ```
//! # use feeds::{Lots, Nanos};
//! # use risk::RiskLimits;
//! let limits: RiskLimits = toml::from_str(
//!     "max_position = 20\nmax_book_age_ms = 250\n[rate]\nwindows = [{ window_ms = 1000, max_orders = 50 }]",
//! )?;
//! assert_eq!(limits.max_position, Lots(20));
//! assert_eq!(limits.max_book_age, Nanos(250_000_000));
//! assert_eq!(limits.rate.windows().count(), 1);
//! limits.validate()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::budget::OrderRateLimits;
use feeds::{Lots, Nanos};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Basis points in one.
pub(crate) const BPS: f64 = 10_000.0;

/// Pre-trade limits, the stale-data guard's thresholds, the kill switch's triggers and the
/// order-rate budget.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskLimits {
    /// Largest absolute position, in lots, an order may lead to. Default 10. Positive.
    #[serde(deserialize_with = "lots")]
    pub max_position: Lots,
    /// Largest absolute position an order may lead to, in quote currency at the fair value
    /// (see [`LotValue`](crate::LotValue)). Default 1 000 (BTCUSDT: 10 lots of 0.001 BTC are about
    /// 620 USDT at 62 000, so `max_position` binds first until the price passes 100 000).
    /// Finite and positive.
    pub max_position_notional: f64,
    /// Largest size of one order, in lots. Default 5. Positive.
    #[serde(deserialize_with = "lots")]
    pub max_order_qty: Lots,
    /// Most orders of ours that may be open on the instrument (resting or in flight) when an
    /// intent is checked: with this many open, every intent is refused. Default 4: twice the
    /// one-bid-one-ask steady state, so a replace or a re-place while a cancel is in flight
    /// passes, and leaked orders (cancels that never land) stop quoting. Positive.
    pub max_open_orders: u32,
    /// How far from the fair value an order's price may be, in basis points of the fair value.
    /// Default 50 (0.5 %). In `(0, 10 000]`.
    pub price_band_bps: f64,
    /// How long the book may go without an update (book level, clear or best bid/offer, by
    /// exchange time) before orders are refused. Default 1 s; in the file, `max_book_age_ms`.
    /// Positive. (The BTCUSDT recording's longest quiet spell is about 0.11 s.)
    #[serde(rename = "max_book_age_ms", deserialize_with = "millis", serialize_with = "as_millis")]
    pub max_book_age: Nanos,
    /// How far the feed's latency (receive time − exchange time) may rise above its baseline,
    /// the trailing minimum over `lag_window`, before orders are refused. Default 250 ms; in the
    /// file, `max_lag_ms`. Positive. The baseline absorbs the offset between our clock and the
    /// exchange's (the BTCUSDT recording's clock runs about 1.27 s behind, so its raw latency is
    /// negative); over that recording the excess peaks at 113 ms (99.9th percentile 94 ms).
    #[serde(rename = "max_lag_ms", deserialize_with = "millis", serialize_with = "as_millis")]
    pub max_lag: Nanos,
    /// How far back the latency baseline looks. Default 5 minutes; in the file,
    /// `lag_window_ms`. Positive. Longer keeps a lasting rise of latency flagged for longer
    /// before it becomes the new baseline; shorter follows clock drift faster.
    #[serde(rename = "lag_window_ms", deserialize_with = "millis", serialize_with = "as_millis")]
    pub lag_window: Nanos,
    /// How long the feed may go without any event (by local receive time, a missed heartbeat)
    /// before orders are refused. Default 1 s; in the file, `max_silence_ms`. Positive. Needs
    /// [`RiskGate::on_time`](crate::RiskGate::on_time) from a timer: without events nothing else
    /// moves the local clock. (The BTCUSDT recording's longest silence is 0.34 s.)
    #[serde(rename = "max_silence_ms", deserialize_with = "millis", serialize_with = "as_millis")]
    pub max_silence: Nanos,
    /// How long the data may stay unhealthy (a feed gap, a stale book, lag or silence, without a
    /// healthy moment in between, by local time) before the kill switch is thrown. Default 10 s;
    /// in the file, `kill_after_stale_ms`. Positive.
    #[serde(rename = "kill_after_stale_ms", deserialize_with = "millis", serialize_with = "as_millis")]
    pub kill_after_stale: Nanos,
    /// Session loss, in quote currency, beyond which the kill switch is thrown: a PnL below
    /// `−max_loss`. Default 100. Finite and positive.
    pub max_loss: f64,
    /// Drawdown from the session's peak PnL (never below zero, the session's start), in quote
    /// currency, beyond which the kill switch is thrown. Default 150. Finite and positive.
    pub max_drawdown: f64,
    /// Whether a kill also flattens: besides cancelling everything, the engine works the
    /// position down with reduce-only exits, which the gate then approves
    /// ([`RiskGate::check_exit`](crate::RiskGate::check_exit)). Default false: a kill only
    /// cancels, and a person decides.
    pub flatten: bool,
    /// The order-rate budget (`[risk.rate]`), for the engine's
    /// [`OrderRateBudget`](crate::OrderRateBudget); the gate itself does not use it.
    pub rate: OrderRateLimits,
}

impl Default for RiskLimits {
    fn default() -> RiskLimits {
        RiskLimits {
            max_position: Lots(10),
            max_position_notional: 1_000.0,
            max_order_qty: Lots(5),
            max_open_orders: 4,
            price_band_bps: 50.0,
            max_book_age: Nanos(Nanos::PER_SECOND),
            max_lag: Nanos(250 * Nanos::PER_MILLI),
            lag_window: Nanos(300 * Nanos::PER_SECOND),
            max_silence: Nanos(Nanos::PER_SECOND),
            kill_after_stale: Nanos(10 * Nanos::PER_SECOND),
            max_loss: 100.0,
            max_drawdown: 150.0,
            flatten: false,
            rate: OrderRateLimits::default(),
        }
    }
}

fn lots<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Lots, D::Error> {
    i64::deserialize(deserializer).map(Lots)
}

/// Writes a duration the way [`millis`] reads it: whole milliseconds.
pub(crate) fn as_millis<S: Serializer>(value: &Nanos, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_i64(value.0 / Nanos::PER_MILLI)
}

pub(crate) fn millis<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Nanos, D::Error> {
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
    /// The offending field, as spelt in the config file (`rate.windows[0].max_orders` inside
    /// `[risk.rate]`).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What the field must be.
    pub fn requirement(&self) -> &'static str {
        self.requirement
    }

    /// `Ok` if `ok`, else the error for `field` holding `value`.
    pub(crate) fn check(
        ok: bool,
        field: &'static str,
        value: impl ToString,
        requirement: &'static str,
    ) -> Result<(), RiskLimitsError> {
        if ok { Ok(()) } else { Err(RiskLimitsError { field, value: value.to_string(), requirement }) }
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
            RiskLimitsError::check(ok, field, value, requirement)
        }
        let positive_millis = |field, nanos: Nanos| {
            check(nanos.0 > 0, field, nanos.0 as f64 / Nanos::PER_MILLI as f64, "must be positive")
        };
        let positive_amount = |field, amount: f64| {
            check(amount.is_finite() && amount > 0.0, field, amount, "must be finite and positive")
        };
        check(self.max_position.0 > 0, "max_position", self.max_position, "must be positive")?;
        positive_amount("max_position_notional", self.max_position_notional)?;
        check(self.max_order_qty.0 > 0, "max_order_qty", self.max_order_qty, "must be positive")?;
        check(self.max_open_orders > 0, "max_open_orders", self.max_open_orders, "must be positive")?;
        check(
            self.price_band_bps > 0.0 && self.price_band_bps <= BPS,
            "price_band_bps",
            self.price_band_bps,
            "must be above 0 and at most 10000",
        )?;
        positive_millis("max_book_age_ms", self.max_book_age)?;
        positive_millis("max_lag_ms", self.max_lag)?;
        positive_millis("lag_window_ms", self.lag_window)?;
        positive_millis("max_silence_ms", self.max_silence)?;
        positive_millis("kill_after_stale_ms", self.kill_after_stale)?;
        positive_amount("max_loss", self.max_loss)?;
        positive_amount("max_drawdown", self.max_drawdown)?;
        self.rate.validate()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn limits_written_out_read_back_the_same() {
        // Reports carry the limits used; what they print must be a valid `[risk]` table.
        let limits = RiskLimits { max_lag: Nanos(75_000_000), ..RiskLimits::default() };
        let text = toml::to_string(&limits).unwrap();
        assert!(text.contains("max_lag_ms = 75"), "{text}");
        assert_eq!(toml::from_str::<RiskLimits>(&text).unwrap(), limits);
    }

    use super::*;
    use crate::budget::RateWindow;

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
            ("max_position_notional", RiskLimits { max_position_notional: 0.0, ..RiskLimits::default() }),
            (
                "max_position_notional",
                RiskLimits { max_position_notional: f64::INFINITY, ..RiskLimits::default() },
            ),
            ("max_open_orders", RiskLimits { max_open_orders: 0, ..RiskLimits::default() }),
            ("max_lag_ms", RiskLimits { max_lag: Nanos(0), ..RiskLimits::default() }),
            ("lag_window_ms", RiskLimits { lag_window: Nanos(-1), ..RiskLimits::default() }),
            ("max_silence_ms", RiskLimits { max_silence: Nanos(0), ..RiskLimits::default() }),
            ("kill_after_stale_ms", RiskLimits { kill_after_stale: Nanos(0), ..RiskLimits::default() }),
            ("max_loss", RiskLimits { max_loss: -1.0, ..RiskLimits::default() }),
            ("max_drawdown", RiskLimits { max_drawdown: f64::NAN, ..RiskLimits::default() }),
            (
                "rate.cancel_reserve_pct",
                RiskLimits {
                    rate: OrderRateLimits { cancel_reserve_pct: 150, ..OrderRateLimits::default() },
                    ..RiskLimits::default()
                },
            ),
        ];
        for (field, limits) in cases {
            let error = limits.validate().unwrap_err();
            assert_eq!(error.field(), field, "{error}");
            assert!(error.to_string().contains(field), "{error}");
        }
    }

    #[test]
    fn every_key_of_the_file_is_read() {
        let text = r#"
            max_position = 7
            max_position_notional = 2500.5
            max_order_qty = 3
            max_open_orders = 6
            price_band_bps = 20
            max_book_age_ms = 500
            max_lag_ms = 100
            lag_window_ms = 60000
            max_silence_ms = 2000
            kill_after_stale_ms = 5000
            max_loss = 40
            max_drawdown = 60.5
            flatten = true

            [rate]
            windows = [{ window_ms = 1000, max_orders = 50 }, { window_ms = 60000, max_orders = 900 }]
            count_cancels = true
            cancel_reserve_pct = 20
        "#;
        let limits: RiskLimits = toml::from_str(text).unwrap();
        let millis = |ms| Nanos(ms * Nanos::PER_MILLI);
        let expected = RiskLimits {
            max_position: Lots(7),
            max_position_notional: 2500.5,
            max_order_qty: Lots(3),
            max_open_orders: 6,
            price_band_bps: 20.0,
            max_book_age: millis(500),
            max_lag: millis(100),
            lag_window: millis(60_000),
            max_silence: millis(2_000),
            kill_after_stale: millis(5_000),
            max_loss: 40.0,
            max_drawdown: 60.5,
            flatten: true,
            rate: OrderRateLimits {
                windows: [
                    Some(RateWindow { window: millis(1_000), max_orders: 50 }),
                    Some(RateWindow { window: millis(60_000), max_orders: 900 }),
                ],
                count_cancels: true,
                cancel_reserve_pct: 20,
            },
        };
        assert_eq!(limits, expected);
        assert_eq!(limits.validate(), Ok(()));
    }

    #[test]
    fn the_rate_table_takes_one_or_two_windows_and_no_stray_keys() {
        let windows = |list: &str| toml::from_str::<RiskLimits>(&format!("[rate]\nwindows = [{list}]"));
        let one = windows("{ window_ms = 10, max_orders = 2 }").unwrap();
        assert_eq!(one.rate.windows, [Some(RateWindow { window: Nanos(10_000_000), max_orders: 2 }), None]);
        // A partial table keeps the other defaults.
        assert_eq!(one.rate.count_cancels, OrderRateLimits::default().count_cancels);
        let error = windows("").unwrap_err().to_string();
        assert!(error.contains("rate.windows"), "{error}");
        let three = ["{ window_ms = 1, max_orders = 1 }"; 3].join(", ");
        assert!(windows(&three).is_err());
        assert!(windows("{ window = 10, max_orders = 2 }").is_err());
        assert!(toml::from_str::<RiskLimits>("[rate]\ncancel_reserve = 3").is_err());
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
