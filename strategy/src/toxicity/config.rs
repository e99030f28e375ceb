//! [`ToxicityConfig`], the `[strategy.toxicity]` table, and its validation.

use super::ToxicityComponent;
use crate::config::StrategyConfigError;
use serde::{Deserialize, Serialize};

/// Most sample intervals a crossing or OFI window may span (the bucket ring's size).
const MAX_WINDOW_INTERVALS: f64 = 10_000.0;

/// The `[strategy.toxicity]` table: how the toxicity score is measured.
///
/// ```
/// # use strategy::toxicity::ToxicityConfig;
/// let config: ToxicityConfig = toml::from_str("fall_half_life_s = 60.0\nvpin_weight = 0")?;
/// assert_eq!(config.fall_half_life_s, 60.0);
/// assert_eq!(config.crossing_weight, ToxicityConfig::default().crossing_weight);
/// config.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ToxicityConfig {
    /// Spacing of the event-time grid on which components are ranked and `τ` is smoothed, in
    /// milliseconds. Default 100. In `[1, 60 000]`.
    pub sample_interval_ms: u64,
    /// Grid samples each component is ranked against. Default 3 000 (five minutes at 100 ms).
    /// In `[1, 100 000]` (a sample costs `6 ×` this many comparisons).
    pub history_samples: usize,
    /// Samples a component's history needs before its percentile counts. Default 50 (5 s at
    /// 100 ms). In `[1, history_samples]`.
    pub min_history: usize,
    /// Half-life of `τ` rising toward a higher raw score, in seconds. Default 1.0. Positive.
    pub rise_half_life_s: f64,
    /// Half-life of `τ` falling toward a lower raw score, in seconds. Default 30.0. Positive.
    pub fall_half_life_s: f64,
    /// Crossing: the window over which the microprice move and the aggressive notional are
    /// measured, in seconds. Default 5.0. At least one sample interval, at most 10 000.
    pub crossing_window_s: f64,
    /// Crossing: floor of the window's aggressive notional, in quote currency, so a window
    /// with almost no taker flow does not divide by almost zero. Default 100 000. Positive.
    pub crossing_min_notional: f64,
    /// Sweep depth: time constant of the decayed mean of levels per burst, in seconds.
    /// Default 5.0. Positive.
    pub sweep_time_constant_s: f64,
    /// Order-flow imbalance: the window of `Σ e_n` and of the mean depth, in seconds.
    /// Default 10.0. At least one sample interval, at most 10 000.
    pub ofi_window_s: f64,
    /// VPIN: notional of one volume bucket, in quote currency. Default 1 000 000 (a bucket
    /// about every 2.3 s on BTCUSDT in a calm market). Positive.
    pub vpin_bucket_notional: f64,
    /// VPIN: completed buckets averaged. Default 50. In `[1, 10 000]`.
    pub vpin_buckets: usize,
    /// Markout: how long after our fill it is marked against the mid, in seconds. Default
    /// 5.0. In `(0, 3 600]`.
    pub markout_horizon_s: f64,
    /// Markout: time constant of the decayed mean of markouts, in seconds. Default 60.0.
    /// Positive.
    pub markout_time_constant_s: f64,
    /// Markout: fills waiting for their horizon; the oldest is dropped beyond. Default 256.
    /// In `[1, 65 536]`.
    pub markout_capacity: usize,
    /// Intensity: time constant of the fast (current) arrival rate, in seconds. Default 1.0.
    /// Positive, below `intensity_slow_s`.
    pub intensity_fast_s: f64,
    /// Intensity: time constant of the slow (baseline) arrival rate, in seconds. Default 300.0.
    /// Positive.
    pub intensity_slow_s: f64,
    /// Weight of the crossing percentile. Default 0.25.
    pub crossing_weight: f64,
    /// Weight of the sweep-depth percentile. Default 0.15.
    pub sweep_depth_weight: f64,
    /// Weight of the order-flow-imbalance percentile. Default 0.20.
    pub order_flow_imbalance_weight: f64,
    /// Weight of the VPIN percentile. Default 0.15.
    pub vpin_weight: f64,
    /// Weight of the markout percentile. Default 0.10.
    pub markout_weight: f64,
    /// Weight of the intensity percentile. Default 0.15. Every weight is finite and
    /// non-negative and at least one is positive; they need not sum to 1 (the score divides
    /// by the sum of the weights in use).
    pub intensity_weight: f64,
    /// `p₀`: the percentile below which a component adds no stress. Default 0.75. In
    /// `[0, 1)`; 0 gives the plain weighted mean of percentiles.
    pub calm_percentile: f64,
}

impl Default for ToxicityConfig {
    fn default() -> ToxicityConfig {
        ToxicityConfig {
            sample_interval_ms: 100,
            history_samples: 3_000,
            min_history: 50,
            rise_half_life_s: 1.0,
            fall_half_life_s: 30.0,
            crossing_window_s: 5.0,
            crossing_min_notional: 100_000.0,
            sweep_time_constant_s: 5.0,
            ofi_window_s: 10.0,
            vpin_bucket_notional: 1_000_000.0,
            vpin_buckets: 50,
            markout_horizon_s: 5.0,
            markout_time_constant_s: 60.0,
            markout_capacity: 256,
            intensity_fast_s: 1.0,
            intensity_slow_s: 300.0,
            crossing_weight: 0.25,
            sweep_depth_weight: 0.15,
            order_flow_imbalance_weight: 0.20,
            vpin_weight: 0.15,
            markout_weight: 0.10,
            intensity_weight: 0.15,
            calm_percentile: 0.75,
        }
    }
}

impl ToxicityConfig {
    /// Checks every field; the first bad one is named (`toxicity.<field>`) in the error.
    pub fn validate(&self) -> Result<(), StrategyConfigError> {
        fn check(
            ok: bool,
            field: &'static str,
            value: f64,
            requirement: &'static str,
        ) -> Result<(), StrategyConfigError> {
            if ok { Ok(()) } else { Err(StrategyConfigError::new(field, value, requirement)) }
        }
        let positive = |x: f64| x > 0.0 && x.is_finite();
        const POSITIVE: &str = "must be a positive finite number";
        check(
            (1..=60_000).contains(&self.sample_interval_ms),
            "toxicity.sample_interval_ms",
            self.sample_interval_ms as f64,
            "must be between 1 and 60000",
        )?;
        check(
            (1..=100_000).contains(&self.history_samples),
            "toxicity.history_samples",
            self.history_samples as f64,
            "must be between 1 and 100000",
        )?;
        check(
            (1..=self.history_samples).contains(&self.min_history),
            "toxicity.min_history",
            self.min_history as f64,
            "must be between 1 and history_samples",
        )?;
        check(positive(self.rise_half_life_s), "toxicity.rise_half_life_s", self.rise_half_life_s, POSITIVE)?;
        check(positive(self.fall_half_life_s), "toxicity.fall_half_life_s", self.fall_half_life_s, POSITIVE)?;
        let interval_s = self.sample_interval_ms as f64 / 1_000.0;
        let window = |seconds: f64| {
            seconds.is_finite() && seconds >= interval_s && seconds / interval_s <= MAX_WINDOW_INTERVALS
        };
        const WINDOW: &str = "must span between 1 and 10000 sample intervals";
        check(window(self.crossing_window_s), "toxicity.crossing_window_s", self.crossing_window_s, WINDOW)?;
        check(
            positive(self.crossing_min_notional),
            "toxicity.crossing_min_notional",
            self.crossing_min_notional,
            POSITIVE,
        )?;
        check(
            positive(self.sweep_time_constant_s),
            "toxicity.sweep_time_constant_s",
            self.sweep_time_constant_s,
            POSITIVE,
        )?;
        check(window(self.ofi_window_s), "toxicity.ofi_window_s", self.ofi_window_s, WINDOW)?;
        check(
            positive(self.vpin_bucket_notional),
            "toxicity.vpin_bucket_notional",
            self.vpin_bucket_notional,
            POSITIVE,
        )?;
        check(
            (1..=10_000).contains(&self.vpin_buckets),
            "toxicity.vpin_buckets",
            self.vpin_buckets as f64,
            "must be between 1 and 10000",
        )?;
        check(
            positive(self.markout_horizon_s) && self.markout_horizon_s <= 3_600.0,
            "toxicity.markout_horizon_s",
            self.markout_horizon_s,
            "must be positive and at most 3600",
        )?;
        check(
            positive(self.markout_time_constant_s),
            "toxicity.markout_time_constant_s",
            self.markout_time_constant_s,
            POSITIVE,
        )?;
        check(
            (1..=65_536).contains(&self.markout_capacity),
            "toxicity.markout_capacity",
            self.markout_capacity as f64,
            "must be between 1 and 65536",
        )?;
        check(positive(self.intensity_slow_s), "toxicity.intensity_slow_s", self.intensity_slow_s, POSITIVE)?;
        check(
            positive(self.intensity_fast_s) && self.intensity_fast_s < self.intensity_slow_s,
            "toxicity.intensity_fast_s",
            self.intensity_fast_s,
            "must be positive and below intensity_slow_s",
        )?;
        check(
            (0.0..1.0).contains(&self.calm_percentile),
            "toxicity.calm_percentile",
            self.calm_percentile,
            "must be at least 0 and below 1",
        )?;
        const WEIGHT_FIELDS: [&str; 6] = [
            "toxicity.crossing_weight",
            "toxicity.sweep_depth_weight",
            "toxicity.order_flow_imbalance_weight",
            "toxicity.vpin_weight",
            "toxicity.markout_weight",
            "toxicity.intensity_weight",
        ];
        let weights = self.weights();
        for (field, weight) in WEIGHT_FIELDS.into_iter().zip(weights) {
            check(
                weight >= 0.0 && weight.is_finite(),
                field,
                weight,
                "must be a finite number of at least 0",
            )?;
        }
        let total: f64 = weights.iter().sum();
        check(
            total > 0.0 && total.is_finite(),
            "toxicity.crossing_weight",
            total,
            "the weights' sum must be positive and finite",
        )
    }

    /// The weight of `component`.
    #[inline]
    pub fn weight(&self, component: ToxicityComponent) -> f64 {
        self.weights()[component.index()]
    }

    /// The weights in [`ToxicityComponent::ALL`] order.
    pub(super) fn weights(&self) -> [f64; 6] {
        [
            self.crossing_weight,
            self.sweep_depth_weight,
            self.order_flow_imbalance_weight,
            self.vpin_weight,
            self.markout_weight,
            self.intensity_weight,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toxicity::test_support::only;

    #[test]
    fn defaults_validate_and_an_empty_table_gives_them() {
        let config = ToxicityConfig::default();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(toml::from_str::<ToxicityConfig>("").unwrap(), config);
        let total: f64 = ToxicityComponent::ALL.iter().map(|&c| config.weight(c)).sum();
        assert!((total - 1.0).abs() < 1e-12, "default weights sum to 1");
        let written = toml::to_string(&config).unwrap();
        assert_eq!(toml::from_str::<ToxicityConfig>(&written).unwrap(), config, "{written}");
        assert!(toml::from_str::<ToxicityConfig>("rise_half_life = 1.0").is_err(), "unknown field");
        assert!(toml::from_str::<ToxicityConfig>("vpin_buckets = 2.5").is_err(), "mistyped field");
    }

    #[test]
    fn each_bad_field_is_named() {
        let default = ToxicityConfig::default;
        let cases: Vec<(&str, ToxicityConfig)> = vec![
            ("toxicity.sample_interval_ms", ToxicityConfig { sample_interval_ms: 0, ..default() }),
            ("toxicity.history_samples", ToxicityConfig { history_samples: 0, ..default() }),
            ("toxicity.min_history", ToxicityConfig { min_history: 3_001, ..default() }),
            ("toxicity.rise_half_life_s", ToxicityConfig { rise_half_life_s: f64::NAN, ..default() }),
            ("toxicity.fall_half_life_s", ToxicityConfig { fall_half_life_s: 0.0, ..default() }),
            ("toxicity.crossing_window_s", ToxicityConfig { crossing_window_s: 0.05, ..default() }),
            ("toxicity.crossing_window_s", ToxicityConfig { crossing_window_s: 1e9, ..default() }),
            ("toxicity.crossing_min_notional", ToxicityConfig { crossing_min_notional: -1.0, ..default() }),
            (
                "toxicity.sweep_time_constant_s",
                ToxicityConfig { sweep_time_constant_s: f64::INFINITY, ..default() },
            ),
            ("toxicity.ofi_window_s", ToxicityConfig { ofi_window_s: f64::NAN, ..default() }),
            ("toxicity.vpin_bucket_notional", ToxicityConfig { vpin_bucket_notional: 0.0, ..default() }),
            ("toxicity.vpin_buckets", ToxicityConfig { vpin_buckets: 0, ..default() }),
            ("toxicity.markout_horizon_s", ToxicityConfig { markout_horizon_s: 4_000.0, ..default() }),
            (
                "toxicity.markout_time_constant_s",
                ToxicityConfig { markout_time_constant_s: -3.0, ..default() },
            ),
            ("toxicity.markout_capacity", ToxicityConfig { markout_capacity: 0, ..default() }),
            ("toxicity.intensity_slow_s", ToxicityConfig { intensity_slow_s: 0.0, ..default() }),
            ("toxicity.intensity_fast_s", ToxicityConfig { intensity_fast_s: 300.0, ..default() }),
            ("toxicity.vpin_weight", ToxicityConfig { vpin_weight: -0.1, ..default() }),
            ("toxicity.markout_weight", ToxicityConfig { markout_weight: f64::INFINITY, ..default() }),
            ("toxicity.crossing_weight", only(ToxicityComponent::Vpin).with_vpin_weight(0.0)),
        ];
        for (field, config) in cases {
            let error = config.validate().unwrap_err();
            assert_eq!(error.field(), field, "{error}");
            assert!(error.to_string().contains(field), "{error}");
        }
    }

    impl ToxicityConfig {
        fn with_vpin_weight(self, vpin_weight: f64) -> ToxicityConfig {
            ToxicityConfig { vpin_weight, ..self }
        }
    }
}
