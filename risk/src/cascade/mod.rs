//! The cascade-loop detector: is a liquidation cascade under way?
//!
//! The loop (see `DESIGN.md`): unwind → vol up → mechanical hedging → price down → liquidations
//! → vol up again. Its fingerprints are turned into stresses and fused by a state machine:
//!
//! - [`signals`]: [`CascadeSignals`](signals::CascadeSignals) follows events (liquidations, open
//!   interest, mark price and funding), the book's depth and spread, and the strategy's
//!   volatility and toxicity readings, and produces [`CascadeInputs`]: one
//!   [`SignalReading`] per [`CascadeSignal`], each with a stress in `[0, 1]` (0 at its
//!   baseline, 0.5 at "warn", 1 at "cascade"), the options priming, and any hard trigger.
//! - [`detector`]: [`CascadeDetector`](detector::CascadeDetector), the state machine NORMAL →
//!   WARNING → CASCADE → COOLDOWN → NORMAL with hysteresis and minimum dwell times; every state
//!   change is a [`Transition`] with the time, the score and the readings that drove it.
//! - [`config`]: [`CascadeConfig`](config::CascadeConfig), thresholds, weights and dwell times.
//!
//! Everything is pure, deterministic, driven by event time and allocation-free after
//! construction, like the rest of the gate.

pub mod config;
pub mod detector;
pub mod signals;

use feeds::Nanos;
use serde::Serialize;

/// One signal of the loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum CascadeSignal {
    /// Liquidation clustering: Hawkes-style intensity of liquidation notional against its
    /// baseline, and its branching ratio (self-excitation near 1 is self-sustaining).
    Liquidations = 0,
    /// Open interest dumping (ΔOI/OI over 5 and 15 minutes) with price moving the same way.
    OpenInterest = 1,
    /// Predicted funding flipping sign from positive carry.
    Funding = 2,
    /// Mark − index basis, as a z-score of its own trailing history.
    Basis = 3,
    /// Book depth within ±10 bps of the mid against its trailing baseline (withdrawal).
    Depth = 4,
    /// The book's spread against its trailing baseline (widening).
    Spread = 5,
    /// Fast/slow realised volatility ratio (from the strategy's signals).
    Volatility = 6,
    /// Toxicity τ sustained (from the strategy's signals).
    Toxicity = 7,
}

impl CascadeSignal {
    /// How many signals there are.
    pub const COUNT: usize = 8;

    /// Every signal; `ALL[s.index()] == s`.
    pub const ALL: [CascadeSignal; CascadeSignal::COUNT] = [
        CascadeSignal::Liquidations,
        CascadeSignal::OpenInterest,
        CascadeSignal::Funding,
        CascadeSignal::Basis,
        CascadeSignal::Depth,
        CascadeSignal::Spread,
        CascadeSignal::Volatility,
        CascadeSignal::Toxicity,
    ];

    /// Dense index, for per-signal tables.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Snake-case name for reports and config keys.
    pub const fn name(self) -> &'static str {
        match self {
            CascadeSignal::Liquidations => "liquidations",
            CascadeSignal::OpenInterest => "open_interest",
            CascadeSignal::Funding => "funding",
            CascadeSignal::Basis => "basis",
            CascadeSignal::Depth => "depth",
            CascadeSignal::Spread => "spread",
            CascadeSignal::Volatility => "volatility",
            CascadeSignal::Toxicity => "toxicity",
        }
    }
}

/// One signal's value and stress at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SignalReading {
    /// The signal's own measure (its units are the signal's: a ratio, a fraction, a z-score);
    /// `NaN` while unknown (serialised as `null`).
    pub value: f64,
    /// Stress in `[0, 1]`: 0 at its baseline, 0.5 at "warn", 1 at "cascade". 0 while unknown.
    pub stress: f64,
    /// False while the signal has no data (no open-interest feed, no mark price yet…): an
    /// unknown signal is left out of the score, its weight renormalised over the known ones.
    pub known: bool,
}

impl SignalReading {
    /// Nothing known.
    pub const UNKNOWN: SignalReading = SignalReading { value: f64::NAN, stress: 0.0, known: false };
}

/// A condition that goes straight to CASCADE, whatever the score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HardTrigger {
    /// Extreme liquidation intensity together with a multi-sigma price move.
    LiquidationSpike,
    /// Depth within the band collapsed far below its baseline.
    DepthCollapse,
    /// The infrastructure failed (feed down or stale beyond a limit, venue unreachable).
    Infrastructure,
}

/// Everything the detector is given at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CascadeInputs {
    /// Event time of the readings.
    pub time: Nanos,
    /// One reading per [`CascadeSignal`], by [`CascadeSignal::index`].
    pub readings: [SignalReading; CascadeSignal::COUNT],
    /// Options priming in `[0, 1]` (short-dated IV above longer-dated, a jump in short-dated
    /// IV, open interest concentrated near spot into expiry): lowers the detector's on
    /// thresholds rather than firing. 0 without an options feed.
    pub priming: f64,
    /// A hard trigger, if one holds now.
    pub hard: Option<HardTrigger>,
}

impl CascadeInputs {
    /// Inputs at `time` with every signal unknown, no priming and no hard trigger.
    pub fn unknown(time: Nanos) -> CascadeInputs {
        CascadeInputs {
            time,
            readings: [SignalReading::UNKNOWN; CascadeSignal::COUNT],
            priming: 0.0,
            hard: None,
        }
    }

    /// The reading of `signal`.
    #[inline]
    pub fn reading(&self, signal: CascadeSignal) -> &SignalReading {
        &self.readings[signal.index()]
    }
}

/// The detector's states.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CascadeState {
    /// Quote normally.
    #[default]
    Normal,
    /// Stress is building: widen and cut size.
    Warning,
    /// The loop is running: cancel everything, quote nothing.
    Cascade,
    /// After a cascade: ramp spread and size back to normal; back to CASCADE if stress returns.
    Cooldown,
}

impl CascadeState {
    /// How many states there are.
    pub const COUNT: usize = 4;

    /// Every state; `ALL[s.index()] == s`.
    pub const ALL: [CascadeState; CascadeState::COUNT] =
        [CascadeState::Normal, CascadeState::Warning, CascadeState::Cascade, CascadeState::Cooldown];

    /// Dense index.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Upper-case name, as logs and reports print it.
    pub const fn name(self) -> &'static str {
        match self {
            CascadeState::Normal => "NORMAL",
            CascadeState::Warning => "WARNING",
            CascadeState::Cascade => "CASCADE",
            CascadeState::Cooldown => "COOLDOWN",
        }
    }
}

/// One state change, with what drove it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Transition {
    /// When (event time).
    pub time: Nanos,
    /// From.
    pub from: CascadeState,
    /// To.
    pub to: CascadeState,
    /// The weighted score at the time.
    pub score: f64,
    /// The hard trigger, for a jump to CASCADE that the score alone did not make.
    pub trigger: Option<HardTrigger>,
    /// Every signal's value and stress at the time.
    pub readings: [SignalReading; CascadeSignal::COUNT],
    /// The options priming at the time.
    pub priming: f64,
}

/// What the current state asks of the quotes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CascadeAdjust {
    /// Multiplies both half-spreads; at least 1.
    pub spread_multiplier: f64,
    /// Multiplies the quote size, in `[0, 1]`.
    pub size_multiplier: f64,
    /// False in CASCADE: cancel everything and quote nothing.
    pub quoting: bool,
}

impl CascadeAdjust {
    /// NORMAL: no widening, full size, quoting.
    pub const NORMAL: CascadeAdjust =
        CascadeAdjust { spread_multiplier: 1.0, size_multiplier: 1.0, quoting: true };
}
