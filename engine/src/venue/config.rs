//! The simulated exchange's settings: the engine TOML's venue table, and the error that names a
//! bad key.
//!
//! - [`VenueConfig`]: seed, latencies, queue model, post-only and fees; every key optional.
//! - [`LatencyModel`]: how one leg's latency is drawn (`constant`, `uniform`, `lognormal`).
//! - [`FeedLatency`]: how late the market data reaches us (`recorded` or a constant).
//! - [`QueueConfig`]: which queue-position model, and the shape of the probabilistic one.
//! - [`VenueError`]: a setting out of range, naming its key.
//!
//! ```toml
//! seed = 1
//! feed_latency = "recorded"            # or { constant_us = 2000 }
//! feed_latency_floor_us = 0
//! post_only = true
//! maker_fee_bps = 2.0
//! taker_fee_bps = 5.0
//!
//! [entry_latency]                      # ours → the matching engine
//! model = "lognormal"
//! median_us = 3000
//! sigma = 0.5
//!
//! [response_latency]                   # the matching engine → us
//! model = "constant"
//! us = 3000
//!
//! [queue]
//! model = "probabilistic"              # or "risk_averse" (the default)
//! shape = "power"                      # or "log"
//! power = 2.0
//! ```

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The longest latency any setting may ask for: ten seconds, in microseconds. Longer is a typo
/// (milliseconds written as microseconds the other way round gives 3 µs, which is allowed).
pub const MAX_LATENCY_US: u64 = 10_000_000;

/// The largest fee magnitude accepted, basis points (1 %).
const MAX_FEE_BPS: i64 = 100;

/// The simulated exchange's settings (`[simulator]`/`[venue]` table of the engine TOML).
///
/// Unknown keys are errors; a missing key takes the default documented on its field. Call
/// [`validate`](VenueConfig::validate) (the constructor does) before use.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct VenueConfig {
    /// Seed of the latency draws (ChaCha8; the entry and response legs use separate streams).
    /// Default 1. The same seed and recording give the same run, bit for bit.
    pub seed: u64,
    /// How late each market event reaches the quoting core. Default `"recorded"`.
    pub feed_latency: FeedLatency,
    /// Added to every feed latency, µs. Default 0.
    pub feed_latency_floor_us: u64,
    /// From the core's decision to the matching engine. Default constant 3000 µs.
    ///
    /// Why 3 ms: order entry to Binance from a cloud region near its matching engine (AWS
    /// Tokyo) takes a few milliseconds end to end (TLS websocket, gateway, risk checks), with
    /// a tail that a `lognormal` model reproduces better than a constant.
    pub entry_latency: LatencyModel,
    /// From the matching engine's execution or ack back to us. Default constant 3000 µs (the
    /// same path in reverse).
    pub response_latency: LatencyModel,
    /// Queue-position model. Default `risk_averse`.
    pub queue: QueueConfig,
    /// Our orders are Binance `timeInForce=GTX` (post-only): one that would cross is refused.
    /// Default true, as the order encoder sends. With false, a crossing order takes the
    /// displayed opposite levels at the taker fee and rests the rest.
    pub post_only: bool,
    /// Fee of a maker execution, basis points of notional; negative is a rebate. Default 2.0
    /// (Binance USD-M VIP 0: 0.0200 %). Taken exactly as written (no float on the way).
    pub maker_fee_bps: Decimal,
    /// Fee of a taker execution, basis points of notional. Default 5.0 (Binance USD-M VIP 0:
    /// 0.0500 %).
    pub taker_fee_bps: Decimal,
}

impl Default for VenueConfig {
    fn default() -> VenueConfig {
        VenueConfig {
            seed: 1,
            feed_latency: FeedLatency::Recorded,
            feed_latency_floor_us: 0,
            entry_latency: LatencyModel::Constant { us: 3_000 },
            response_latency: LatencyModel::Constant { us: 3_000 },
            queue: QueueConfig::default(),
            post_only: true,
            maker_fee_bps: Decimal::new(20, 1),
            taker_fee_bps: Decimal::new(50, 1),
        }
    }
}

/// How one leg's latency is drawn, in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum LatencyModel {
    /// Always `us`.
    Constant {
        /// The latency, µs.
        us: u64,
    },
    /// Uniform on `[min_us, max_us]` (whole nanoseconds).
    Uniform {
        /// Smallest latency, µs.
        min_us: u64,
        /// Largest latency, µs (at least `min_us`).
        max_us: u64,
    },
    /// `median_us × exp(sigma × Z)`, `Z` standard normal: a right-skewed latency with a tail.
    Lognormal {
        /// The median, µs (positive).
        median_us: f64,
        /// Standard deviation of the logarithm (0 to 3); 0 is the constant `median_us`.
        sigma: f64,
    },
}

/// How late market data reaches the quoting core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FeedLatency {
    /// From the recording: `receive − exchange` time, less its running minimum so far. The
    /// recorder's clock and the exchange's are not synchronised (the Binance recording's runs
    /// about 1.27 s behind), so only the excess over the fastest frame seen is latency. The
    /// minimum is causal (it only looks back) and deterministic.
    Recorded,
    /// Always this many microseconds (TOML: `feed_latency = { constant_us = 2000 }`).
    ConstantUs(u64),
}

/// Which queue-position model, and its shape.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueConfig {
    /// Default `risk_averse`.
    pub model: QueueModelKind,
    /// Shape `f` of the probabilistic model. Default `power`.
    pub shape: QueueShape,
    /// Exponent `n` of the `power` shape, `f(x) = xⁿ`: 0 < n ≤ 10. Default 2.
    pub power: f64,
}

impl Default for QueueConfig {
    fn default() -> QueueConfig {
        QueueConfig { model: QueueModelKind::RiskAverse, shape: QueueShape::Power, power: 2.0 }
    }
}

/// How a decrease of the displayed quantity at our price moves us up the queue.
///
/// The default is `risk_averse` because it cannot flatter: it assumes every cancel came from
/// behind us, so only prints advance us. A backtest that fills too often overstates a market
/// maker's edge (fills that would not have happened are mostly the good ones); one that fills
/// too rarely only understates it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueModelKind {
    /// Only trades advance us; the queue ahead is only ever capped at the displayed quantity.
    RiskAverse,
    /// Cancels are shared between ahead and behind us by [`QueueShape`] (see
    /// [`queue`](super::queue)).
    Probabilistic,
}

/// The weight `f` the probabilistic model gives a queue of `x` lots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueShape {
    /// `f(x) = xⁿ`, `n` = [`QueueConfig::power`].
    Power,
    /// `f(x) = ln(1 + x)`.
    Log,
}

/// A setting of the venue is out of range; [`key`](VenueError::key) names it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {problem}")]
pub struct VenueError {
    key: &'static str,
    problem: String,
}

impl VenueError {
    fn new(key: &'static str, problem: impl Into<String>) -> VenueError {
        VenueError { key, problem: problem.into() }
    }

    /// The offending key, dotted from the venue table (`entry_latency.sigma`).
    pub fn key(&self) -> &'static str {
        self.key
    }
}

impl VenueConfig {
    /// Checks every setting; the error names the first bad key.
    pub fn validate(&self) -> Result<(), VenueError> {
        if let FeedLatency::ConstantUs(us) = self.feed_latency {
            check_us("feed_latency.constant_us", us)?;
        }
        check_us("feed_latency_floor_us", self.feed_latency_floor_us)?;
        validate_latency(
            &self.entry_latency,
            [
                "entry_latency.us",
                "entry_latency.min_us",
                "entry_latency.max_us",
                "entry_latency.median_us",
                "entry_latency.sigma",
            ],
        )?;
        validate_latency(
            &self.response_latency,
            [
                "response_latency.us",
                "response_latency.min_us",
                "response_latency.max_us",
                "response_latency.median_us",
                "response_latency.sigma",
            ],
        )?;
        let power = self.queue.power;
        if !(power.is_finite() && power > 0.0 && power <= 10.0) {
            return Err(VenueError::new("queue.power", format!("{power} must be above 0 and at most 10")));
        }
        check_fee("maker_fee_bps", self.maker_fee_bps)?;
        check_fee("taker_fee_bps", self.taker_fee_bps)?;
        Ok(())
    }
}

fn check_us(key: &'static str, us: u64) -> Result<(), VenueError> {
    if us > MAX_LATENCY_US {
        return Err(VenueError::new(key, format!("{us} µs is above the {MAX_LATENCY_US} µs (10 s) limit")));
    }
    Ok(())
}

fn check_fee(key: &'static str, bps: Decimal) -> Result<(), VenueError> {
    if bps.abs() > Decimal::from(MAX_FEE_BPS) {
        return Err(VenueError::new(key, format!("{bps} must be between -{MAX_FEE_BPS} and {MAX_FEE_BPS}")));
    }
    Ok(())
}

/// `keys`: the names of `us`, `min_us`, `max_us`, `median_us`, `sigma` under this leg.
fn validate_latency(model: &LatencyModel, keys: [&'static str; 5]) -> Result<(), VenueError> {
    let [us_key, min_key, max_key, median_key, sigma_key] = keys;
    match *model {
        LatencyModel::Constant { us } => check_us(us_key, us),
        LatencyModel::Uniform { min_us, max_us } => {
            check_us(max_key, max_us)?;
            if min_us > max_us {
                return Err(VenueError::new(min_key, format!("{min_us} is above max_us = {max_us}")));
            }
            Ok(())
        }
        LatencyModel::Lognormal { median_us, sigma } => {
            if !(median_us.is_finite() && median_us > 0.0 && median_us <= MAX_LATENCY_US as f64) {
                return Err(VenueError::new(
                    median_key,
                    format!("{median_us} must be above 0 and at most {MAX_LATENCY_US}"),
                ));
            }
            if !(sigma.is_finite() && (0.0..=3.0).contains(&sigma)) {
                return Err(VenueError::new(sigma_key, format!("{sigma} must be between 0 and 3")));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_table_is_the_documented_defaults() {
        let config: VenueConfig = toml::from_str("").unwrap();
        assert_eq!(config, VenueConfig::default());
        assert_eq!(config.entry_latency, LatencyModel::Constant { us: 3_000 });
        assert_eq!(config.maker_fee_bps.to_string(), "2.0");
        assert_eq!(config.queue.model, QueueModelKind::RiskAverse);
        config.validate().unwrap();
    }

    #[test]
    fn every_key_reads_from_toml_and_round_trips() {
        let text = r#"
            seed = 42
            feed_latency = { constant_us = 2500 }
            feed_latency_floor_us = 100
            post_only = false
            maker_fee_bps = -0.5
            taker_fee_bps = "4.5"
            [entry_latency]
            model = "lognormal"
            median_us = 3000
            sigma = 0.4
            [response_latency]
            model = "uniform"
            min_us = 1000
            max_us = 2000
            [queue]
            model = "probabilistic"
            shape = "log"
        "#;
        let config: VenueConfig = toml::from_str(text).unwrap();
        config.validate().unwrap();
        assert_eq!(config.feed_latency, FeedLatency::ConstantUs(2_500));
        assert_eq!(config.entry_latency, LatencyModel::Lognormal { median_us: 3_000.0, sigma: 0.4 });
        assert_eq!(config.response_latency, LatencyModel::Uniform { min_us: 1_000, max_us: 2_000 });
        // The rebate is exactly −0.5, not the nearest double.
        assert_eq!(config.maker_fee_bps, Decimal::new(-5, 1));
        assert_eq!(config.taker_fee_bps, Decimal::new(45, 1));
        assert_eq!(
            config.queue,
            QueueConfig { model: QueueModelKind::Probabilistic, shape: QueueShape::Log, power: 2.0 }
        );
        let again: VenueConfig = toml::from_str(&toml::to_string(&config).unwrap()).unwrap();
        assert_eq!(again, config);
        let recorded: VenueConfig = toml::from_str("feed_latency = \"recorded\"").unwrap();
        assert_eq!(recorded.feed_latency, FeedLatency::Recorded);
    }

    #[test]
    fn unknown_keys_are_errors() {
        for text in [
            "maker_fee = 1.0",
            "[queue]\nmodle = \"log\"",
            "[entry_latency]\nmodel = \"constant\"\nus = 1\nsigma = 2.0",
            "[entry_latency]\nmodel = \"gamma\"\nus = 1",
        ] {
            assert!(toml::from_str::<VenueConfig>(text).is_err(), "{text}");
        }
    }

    #[test]
    fn validation_names_the_bad_key() {
        type Spoil = fn(&mut VenueConfig);
        let cases: [(Spoil, &str); 7] = [
            (|c| c.entry_latency = LatencyModel::Constant { us: MAX_LATENCY_US + 1 }, "entry_latency.us"),
            (
                |c| c.response_latency = LatencyModel::Uniform { min_us: 5, max_us: 4 },
                "response_latency.min_us",
            ),
            (
                |c| c.entry_latency = LatencyModel::Lognormal { median_us: 0.0, sigma: 1.0 },
                "entry_latency.median_us",
            ),
            (
                |c| c.response_latency = LatencyModel::Lognormal { median_us: 1.0, sigma: f64::NAN },
                "response_latency.sigma",
            ),
            (|c| c.queue.power = 0.0, "queue.power"),
            (|c| c.maker_fee_bps = Decimal::from(101), "maker_fee_bps"),
            (|c| c.feed_latency = FeedLatency::ConstantUs(u64::MAX), "feed_latency.constant_us"),
        ];
        for (spoil, key) in cases {
            let mut config = VenueConfig::default();
            spoil(&mut config);
            let error = config.validate().unwrap_err();
            assert_eq!(error.key(), key);
            assert!(error.to_string().starts_with(key), "{error}");
        }
    }
}
