//! [`CascadeConfig`]: the cascade detector's weights, thresholds, dwell times and actions, read
//! from the `[cascade]` table of the engine's config file and checked once at start-up with
//! [`CascadeConfig::validate`].
//!
//! - [`CascadeConfig`]: the whole table. Every field has a default (see
//!   [`CascadeConfig::default`], which also says what each default means); unknown fields are
//!   errors.
//! - [`CascadeWeights`]: the `[cascade.weights]` sub-table, one key per
//!   [`CascadeSignal::name`].
//! - [`CascadeConfigError`]: the first bad field, named as spelt in the file (`cascade.warn_on`,
//!   `cascade.weights.depth`).
//!
//! Scores and thresholds are in `[0, 1]` (the scale of a signal's stress); dwell times are in
//! seconds in the file and in memory, converted to nanoseconds by [`CascadeConfig::dwell`].
//!
//! ```
//! # use feeds::Nanos;
//! # use risk::cascade::{CascadeState, config::CascadeConfig};
//! let config: CascadeConfig = toml::from_str(
//!     "warn_on = 0.5\ncooldown_s = 120\n[weights]\nliquidations = 0.4",
//! )?;
//! assert_eq!(config.warn_on, 0.5);
//! assert_eq!(config.weights.liquidations, 0.4);
//! assert_eq!(config.weights.depth, 0.15); // untouched weights keep their defaults
//! assert_eq!(config.dwell(CascadeState::Cooldown), Nanos(120 * Nanos::PER_SECOND));
//! config.validate()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use feeds::Nanos;
use serde::{Deserialize, Serialize};

use super::{CascadeSignal, CascadeState};

/// The longest dwell time accepted, in seconds (one day): anything longer is a typo, and keeping
/// it bounded keeps every conversion to nanoseconds exact and far from overflow.
pub const MAX_DWELL_S: f64 = 86_400.0;

/// The weight of each signal in the detector's score, `Σ w·stress / Σ w` over the signals
/// known at the time. Only ratios matter: the weights need not sum to 1 (the defaults do).
///
/// Invariants (checked by [`CascadeConfig::validate`]): every weight finite and `≥ 0`, and at
/// least one positive. A weight of 0 turns its signal off.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CascadeWeights {
    /// [`CascadeSignal::Liquidations`]. Default 0.25: forced flow is the loop itself.
    pub liquidations: f64,
    /// [`CascadeSignal::OpenInterest`]. Default 0.15.
    pub open_interest: f64,
    /// [`CascadeSignal::Funding`]. Default 0.10.
    pub funding: f64,
    /// [`CascadeSignal::Basis`]. Default 0.10.
    pub basis: f64,
    /// [`CascadeSignal::Depth`]. Default 0.15: the book leaving is what lets small flow move
    /// price.
    pub depth: f64,
    /// [`CascadeSignal::Spread`]. Default 0.05 (mostly a consequence of depth leaving).
    pub spread: f64,
    /// [`CascadeSignal::Volatility`]. Default 0.10.
    pub volatility: f64,
    /// [`CascadeSignal::Toxicity`]. Default 0.10.
    pub toxicity: f64,
}

impl Default for CascadeWeights {
    fn default() -> CascadeWeights {
        CascadeWeights {
            liquidations: 0.25,
            open_interest: 0.15,
            funding: 0.10,
            basis: 0.10,
            depth: 0.15,
            spread: 0.05,
            volatility: 0.10,
            toxicity: 0.10,
        }
    }
}

impl CascadeWeights {
    /// The weight of `signal`.
    #[inline]
    pub fn get(&self, signal: CascadeSignal) -> f64 {
        self.to_array()[signal.index()]
    }

    /// Every weight, by [`CascadeSignal::index`].
    #[inline]
    pub fn to_array(&self) -> [f64; CascadeSignal::COUNT] {
        [
            self.liquidations,
            self.open_interest,
            self.funding,
            self.basis,
            self.depth,
            self.spread,
            self.volatility,
            self.toxicity,
        ]
    }
}

/// The cascade detector's configuration: the `[cascade]` table.
///
/// Score thresholds come in on/off pairs for hysteresis: a state is entered when the score
/// reaches the *on* threshold and left only when it falls below the lower *off* one, so a
/// score wandering between the two changes nothing. Options priming `p ∈ [0, 1]` lowers both
/// *on* thresholds by `p × priming_discount`, never below their *off* thresholds. The exact
/// rules are in [`detector`](super::detector).
///
/// Invariants (checked by [`validate`](CascadeConfig::validate)):
/// `0 < warn_off < warn_on < cascade_on ≤ 1`, `0 < cascade_off < cascade_on`,
/// `priming_discount ∈ [0, 1]`, dwell times in `[0, MAX_DWELL_S]`, spread multipliers finite
/// and `≥ 1`, size multipliers in `[0, 1]`, and the [weights](CascadeWeights)' own.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CascadeConfig {
    /// Per-signal weights of the score (`[cascade.weights]`).
    pub weights: CascadeWeights,
    /// How each signal is measured and what counts as "warn" and "cascade" for it
    /// (`[cascade.signals]`), validated on its own by
    /// [`SignalsConfig::validate`](super::signals::SignalsConfig::validate).
    pub signals: super::signals::SignalsConfig,
    /// NORMAL → WARNING when the score reaches this (less the priming discount). Default 0.45:
    /// about half the signals at "warn" stress, or a few well past it.
    pub warn_on: f64,
    /// WARNING → NORMAL when the score falls below this (and WARNING has lasted
    /// `min_warning_s`); also decides between NORMAL and WARNING at the end of COOLDOWN.
    /// Default 0.30.
    pub warn_off: f64,
    /// WARNING or COOLDOWN → CASCADE when the score reaches this (less the priming discount).
    /// Default 0.75: most signals well past "warn", several at "cascade".
    pub cascade_on: f64,
    /// CASCADE → COOLDOWN only when the score is below this (and CASCADE has lasted
    /// `min_cascade_s`, with no hard trigger). Default 0.55.
    pub cascade_off: f64,
    /// How far full options priming lowers the *on* thresholds: each becomes
    /// `on − priming × priming_discount`, but never less than its *off* threshold. Default
    /// 0.15, which at full priming brings `warn_on` down to `warn_off` (0.30) and `cascade_on`
    /// to 0.60.
    pub priming_discount: f64,
    /// `β`, the weight of the most stressed known signal in the score:
    /// `score = (1 − β)·Σ w·stress / Σ w + β·max stress`. Default 0.5. In `[0, 1]`; 0 is the
    /// plain weighted mean. With the mean alone, one signal at full stress is diluted by the
    /// calm ones (an open-interest dump alone scored 0.27 with the default weights and never
    /// warned); with β = 0.5 any one signal at full stress warns (score ≥ 0.5), and CASCADE on
    /// the score still needs several signals to agree (or a hard trigger).
    pub peak_weight: f64,
    /// Seconds WARNING lasts at least before it may fall back to NORMAL. Default 10.
    /// (Escalation to CASCADE never waits.)
    pub min_warning_s: f64,
    /// Seconds CASCADE lasts at least before COOLDOWN. Default 30.
    pub min_cascade_s: f64,
    /// Seconds COOLDOWN lasts (unless stress sends it back to CASCADE), over which the spread
    /// and size multipliers ramp back to 1. Default 60.
    pub cooldown_s: f64,
    /// Seconds NORMAL lasts at least, after returning to it, before it may go to WARNING again
    /// (the NORMAL the detector starts in is exempt). Default 5. (A hard trigger never waits.)
    pub min_normal_s: f64,
    /// Half-spread multiplier in WARNING. Default 2.0.
    pub warning_spread_multiplier: f64,
    /// Quote size multiplier in WARNING. Default 0.5.
    pub warning_size_multiplier: f64,
    /// Half-spread multiplier at the start of COOLDOWN, ramping linearly to 1 at its end.
    /// Default 3.0: coming back from a cascade, quote wider than in WARNING.
    pub cooldown_spread_multiplier: f64,
    /// Quote size multiplier at the start of COOLDOWN, ramping linearly to 1 at its end.
    /// Default 0.25.
    pub cooldown_size_multiplier: f64,
    /// Whether entering CASCADE also throws the risk gate's latched kill switch (which then
    /// holds until an operator resets it), rather than only pulling quotes until COOLDOWN.
    /// The detector only reports it; the engine acts on it. Default false.
    pub kill_on_cascade: bool,
    /// How often the engine feeds the detector the book's depth and spread and takes a step,
    /// in milliseconds of event time. Default 100. The engine runs these steps after a frame's
    /// orders are sent (off the critical path; they take effect from the next decision). A
    /// frame that carries a liquidation, open interest, a mark price or a feed status is
    /// evaluated at once, before its decision, so hard triggers are never delayed. In
    /// `[1, 60 000]`.
    pub evaluation_interval_ms: u32,
}

impl Default for CascadeConfig {
    fn default() -> CascadeConfig {
        CascadeConfig {
            signals: super::signals::SignalsConfig::default(),
            weights: CascadeWeights::default(),
            warn_on: 0.45,
            warn_off: 0.30,
            cascade_on: 0.75,
            cascade_off: 0.55,
            priming_discount: 0.15,
            peak_weight: 0.5,
            min_warning_s: 10.0,
            min_cascade_s: 30.0,
            cooldown_s: 60.0,
            min_normal_s: 5.0,
            warning_spread_multiplier: 2.0,
            warning_size_multiplier: 0.5,
            cooldown_spread_multiplier: 3.0,
            cooldown_size_multiplier: 0.25,
            kill_on_cascade: false,
            evaluation_interval_ms: 100,
        }
    }
}

/// A [`CascadeConfig`] field with a value that makes no sense.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cascade config: {field} = {value}: {requirement}")]
pub struct CascadeConfigError {
    field: &'static str,
    value: String,
    requirement: &'static str,
}

impl CascadeConfigError {
    /// The offending field, as spelt in the config file (`cascade.warn_on`,
    /// `cascade.weights.depth`).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What the field must be.
    pub fn requirement(&self) -> &'static str {
        self.requirement
    }
}

impl CascadeConfig {
    /// Checks every field; the first bad one is named in the error.
    pub fn validate(&self) -> Result<(), CascadeConfigError> {
        fn check(
            ok: bool,
            field: &'static str,
            value: f64,
            requirement: &'static str,
        ) -> Result<(), CascadeConfigError> {
            if ok { Ok(()) } else { Err(CascadeConfigError { field, value: value.to_string(), requirement }) }
        }
        let weights = self.weights.to_array();
        for signal in CascadeSignal::ALL {
            let weight = weights[signal.index()];
            check(
                weight.is_finite() && weight >= 0.0,
                weight_field(signal),
                weight,
                "must be finite and at least 0",
            )?;
        }
        let total: f64 = weights.iter().sum();
        check(total > 0.0, "cascade.weights", total, "at least one weight must be positive")?;

        // Each threshold is checked against those already checked, so a NaN is blamed on itself.
        check(
            self.cascade_on > 0.0 && self.cascade_on <= 1.0,
            "cascade.cascade_on",
            self.cascade_on,
            "must be above 0 and at most 1",
        )?;
        check(
            self.warn_on > 0.0 && self.warn_on < self.cascade_on,
            "cascade.warn_on",
            self.warn_on,
            "must be above 0 and below cascade_on",
        )?;
        check(
            self.warn_off > 0.0 && self.warn_off < self.warn_on,
            "cascade.warn_off",
            self.warn_off,
            "must be above 0 and below warn_on",
        )?;
        check(
            self.cascade_off > 0.0 && self.cascade_off < self.cascade_on,
            "cascade.cascade_off",
            self.cascade_off,
            "must be above 0 and below cascade_on",
        )?;
        check(
            (0.0..=1.0).contains(&self.peak_weight),
            "cascade.peak_weight",
            self.peak_weight,
            "must be between 0 and 1",
        )?;
        check(
            (0.0..=1.0).contains(&self.priming_discount),
            "cascade.priming_discount",
            self.priming_discount,
            "must be in [0, 1]",
        )?;

        check(
            (1..=60_000).contains(&self.evaluation_interval_ms),
            "cascade.evaluation_interval_ms",
            f64::from(self.evaluation_interval_ms),
            "must be between 1 and 60000",
        )?;
        let dwell = |seconds: f64| (0.0..=MAX_DWELL_S).contains(&seconds);
        const DWELL: &str = "must be in [0, 86400] seconds";
        check(dwell(self.min_warning_s), "cascade.min_warning_s", self.min_warning_s, DWELL)?;
        check(dwell(self.min_cascade_s), "cascade.min_cascade_s", self.min_cascade_s, DWELL)?;
        check(dwell(self.cooldown_s), "cascade.cooldown_s", self.cooldown_s, DWELL)?;
        check(dwell(self.min_normal_s), "cascade.min_normal_s", self.min_normal_s, DWELL)?;

        let spread = |multiplier: f64| multiplier.is_finite() && multiplier >= 1.0;
        let size = |multiplier: f64| (0.0..=1.0).contains(&multiplier);
        const SPREAD: &str = "must be finite and at least 1";
        const SIZE: &str = "must be in [0, 1]";
        check(
            spread(self.warning_spread_multiplier),
            "cascade.warning_spread_multiplier",
            self.warning_spread_multiplier,
            SPREAD,
        )?;
        check(
            size(self.warning_size_multiplier),
            "cascade.warning_size_multiplier",
            self.warning_size_multiplier,
            SIZE,
        )?;
        check(
            spread(self.cooldown_spread_multiplier),
            "cascade.cooldown_spread_multiplier",
            self.cooldown_spread_multiplier,
            SPREAD,
        )?;
        check(
            size(self.cooldown_size_multiplier),
            "cascade.cooldown_size_multiplier",
            self.cooldown_size_multiplier,
            SIZE,
        )
    }

    /// The minimum time spent in `state` before it may be left for a calmer one: `min_normal_s`,
    /// `min_warning_s`, `min_cascade_s` or `cooldown_s`, in nanoseconds (rounded to the
    /// nearest). Meaningful for a [validated](CascadeConfig::validate) config.
    pub fn dwell(&self, state: CascadeState) -> Nanos {
        let seconds = match state {
            CascadeState::Normal => self.min_normal_s,
            CascadeState::Warning => self.min_warning_s,
            CascadeState::Cascade => self.min_cascade_s,
            CascadeState::Cooldown => self.cooldown_s,
        };
        // `as` saturates (and maps NaN to 0); validated values are far from either edge.
        Nanos((seconds * Nanos::PER_SECOND as f64).round() as i64)
    }
}

/// The file's name of `signal`'s weight.
const fn weight_field(signal: CascadeSignal) -> &'static str {
    match signal {
        CascadeSignal::Liquidations => "cascade.weights.liquidations",
        CascadeSignal::OpenInterest => "cascade.weights.open_interest",
        CascadeSignal::Funding => "cascade.weights.funding",
        CascadeSignal::Basis => "cascade.weights.basis",
        CascadeSignal::Depth => "cascade.weights.depth",
        CascadeSignal::Spread => "cascade.weights.spread",
        CascadeSignal::Volatility => "cascade.weights.volatility",
        CascadeSignal::Toxicity => "cascade.weights.toxicity",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_an_empty_file_gives_them() {
        assert_eq!(CascadeConfig::default().validate(), Ok(()));
        assert_eq!(toml::from_str::<CascadeConfig>("").unwrap(), CascadeConfig::default());
        // The default weights sum to 1, so the score is a plain weighted mean of the stresses.
        let total: f64 = CascadeWeights::default().to_array().iter().sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
    }

    #[test]
    fn weights_are_a_table_keyed_by_signal_name() {
        let config: CascadeConfig = toml::from_str("[weights]\nopen_interest = 0.5\ntoxicity = 0").unwrap();
        assert_eq!(config.weights.get(CascadeSignal::OpenInterest), 0.5);
        assert_eq!(config.weights.get(CascadeSignal::Toxicity), 0.0);
        assert_eq!(config.weights.get(CascadeSignal::Liquidations), 0.25);
        // The field names are the signals' names, in index order.
        let written = toml::to_string(&CascadeWeights::default()).unwrap();
        let keys: Vec<&str> = written.lines().filter_map(|line| line.split(" = ").next()).collect();
        let names: Vec<&str> = CascadeSignal::ALL.iter().map(|signal| signal.name()).collect();
        assert_eq!(keys, names);
    }

    #[test]
    fn unknown_fields_are_errors() {
        assert!(toml::from_str::<CascadeConfig>("warn_onn = 0.5").is_err());
        assert!(toml::from_str::<CascadeConfig>("[weights]\nliquidation = 0.5").is_err());
    }

    #[test]
    fn a_written_config_reads_back_the_same() {
        let config = CascadeConfig { kill_on_cascade: true, cooldown_s: 12.5, ..CascadeConfig::default() };
        let written = toml::to_string(&config).unwrap();
        assert_eq!(toml::from_str::<CascadeConfig>(&written).unwrap(), config);
    }

    #[test]
    fn dwell_times_convert_to_nanoseconds() {
        let config = CascadeConfig { min_normal_s: 0.25, ..CascadeConfig::default() };
        assert_eq!(config.dwell(CascadeState::Normal), Nanos(250_000_000));
        assert_eq!(config.dwell(CascadeState::Warning), Nanos(10 * Nanos::PER_SECOND));
        assert_eq!(config.dwell(CascadeState::Cascade), Nanos(30 * Nanos::PER_SECOND));
        assert_eq!(config.dwell(CascadeState::Cooldown), Nanos(60 * Nanos::PER_SECOND));
    }

    #[test]
    fn each_bad_field_is_named() {
        let base = CascadeConfig::default();
        let weights = |weights: CascadeWeights| CascadeConfig { weights, ..base };
        let cases = [
            ("cascade.weights.depth", weights(CascadeWeights { depth: -0.1, ..CascadeWeights::default() })),
            (
                "cascade.weights.toxicity",
                weights(CascadeWeights { toxicity: f64::NAN, ..CascadeWeights::default() }),
            ),
            (
                "cascade.weights.basis",
                weights(CascadeWeights { basis: f64::INFINITY, ..CascadeWeights::default() }),
            ),
            (
                "cascade.weights",
                weights(CascadeWeights {
                    liquidations: 0.0,
                    open_interest: 0.0,
                    funding: 0.0,
                    basis: 0.0,
                    depth: 0.0,
                    spread: 0.0,
                    volatility: 0.0,
                    toxicity: 0.0,
                }),
            ),
            // Hysteresis: off below on.
            ("cascade.warn_off", CascadeConfig { warn_off: 0.45, ..base }),
            ("cascade.warn_off", CascadeConfig { warn_off: 0.0, ..base }),
            ("cascade.warn_off", CascadeConfig { warn_off: f64::NAN, ..base }),
            ("cascade.warn_on", CascadeConfig { warn_on: 0.8, ..base }),
            ("cascade.warn_on", CascadeConfig { warn_on: f64::NAN, ..base }),
            ("cascade.cascade_on", CascadeConfig { cascade_on: 1.5, ..base }),
            ("cascade.cascade_on", CascadeConfig { cascade_on: f64::NAN, ..base }),
            ("cascade.cascade_off", CascadeConfig { cascade_off: 0.75, ..base }),
            ("cascade.cascade_off", CascadeConfig { cascade_off: -0.1, ..base }),
            ("cascade.priming_discount", CascadeConfig { priming_discount: -0.01, ..base }),
            ("cascade.priming_discount", CascadeConfig { priming_discount: 1.5, ..base }),
            ("cascade.min_warning_s", CascadeConfig { min_warning_s: -1.0, ..base }),
            ("cascade.min_cascade_s", CascadeConfig { min_cascade_s: f64::NAN, ..base }),
            ("cascade.cooldown_s", CascadeConfig { cooldown_s: 1e9, ..base }),
            ("cascade.min_normal_s", CascadeConfig { min_normal_s: f64::INFINITY, ..base }),
            ("cascade.warning_spread_multiplier", CascadeConfig { warning_spread_multiplier: 0.5, ..base }),
            ("cascade.warning_size_multiplier", CascadeConfig { warning_size_multiplier: 1.5, ..base }),
            (
                "cascade.cooldown_spread_multiplier",
                CascadeConfig { cooldown_spread_multiplier: f64::INFINITY, ..base },
            ),
            ("cascade.cooldown_size_multiplier", CascadeConfig { cooldown_size_multiplier: -0.5, ..base }),
        ];
        for (field, config) in cases {
            let error = config.validate().unwrap_err();
            assert_eq!(error.field(), field, "{error}");
            assert!(error.to_string().contains(field), "{error}");
        }
    }

    #[test]
    fn zero_dwell_times_and_discount_are_allowed() {
        let config = CascadeConfig {
            min_warning_s: 0.0,
            min_cascade_s: 0.0,
            cooldown_s: 0.0,
            min_normal_s: 0.0,
            priming_discount: 0.0,
            ..CascadeConfig::default()
        };
        assert_eq!(config.validate(), Ok(()));
    }
}
