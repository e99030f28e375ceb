//! What a replay records over time, for its summary and its report: a sample of the quoting
//! state at a fixed event-time interval (and at every fill), and every fill.
//!
//! Units are the market's, not the engine's: prices in quote currency (USDT for BTCUSDT),
//! positions in base units (BTC), PnL in quote currency, so the CSVs and plots read directly.

use crate::gateway::Liquidity;
use feeds::{Nanos, Side};
use risk::cascade::CascadeState;

/// The quoting state at one instant of event time.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Sample {
    /// Exchange time, nanoseconds since the Unix epoch.
    pub time: Nanos,
    /// Mid of the book, quote currency; NaN while the book has no two sides.
    pub mid: f64,
    /// Our resting bid price, if one rests (as the order manager believes).
    pub bid: Option<f64>,
    /// Our resting ask price, if one rests.
    pub ask: Option<f64>,
    /// The strategy's fair value (quote centre before skew), quote currency; NaN before the
    /// first quote.
    pub fair_value: f64,
    /// Position, base units (positive long).
    pub position: f64,
    /// Net PnL (fees included, position marked at the mid), quote currency.
    pub pnl: f64,
    /// Toxicity τ in `[0, 1]`.
    pub toxicity: f64,
    /// Volatility (the σ the policies use), basis points per √second.
    pub volatility_bps: f64,
    /// The quoted half-spread, basis points of the mid; NaN when not quoting.
    pub half_spread_bps: f64,
    /// The cascade detector's state.
    pub state: CascadeState,
    /// The cascade detector's stress score in `[0, 1]`.
    pub cascade_score: f64,
}

/// One execution of ours.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct FillRecord {
    /// Exchange time of the execution.
    pub time: Nanos,
    /// Our order's side (`Bid`: we bought).
    pub side: Side,
    /// Price, quote currency.
    pub price: f64,
    /// Quantity, base units.
    pub qty: f64,
    /// Maker or taker.
    pub liquidity: Liquidity,
    /// Fee, quote currency (negative: rebate).
    pub fee: f64,
    /// Position after the fill, base units.
    pub position: f64,
    /// Mid-price markouts at 1 s, 5 s and 30 s after the fill, basis points, signed so that
    /// positive is good for us: `side · (mid(t + h) − price) / price`. `None` when the
    /// recording ends first.
    pub markouts_bps: [Option<f64>; 3],
}

/// Horizons of [`FillRecord::markouts_bps`], seconds.
pub const MARKOUT_HORIZONS_S: [u64; 3] = [1, 5, 30];

/// A span of event time in one market regime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RegimeSpan {
    /// Start (inclusive).
    pub start: Nanos,
    /// End (exclusive).
    pub end: Nanos,
    /// Which regime.
    pub regime: Regime,
}

/// Market regimes the reports split results by. They are properties of the market (a stress
/// scenario's schedule), never of the configuration being run, so every configuration is
/// judged over the same windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// Ordinary market.
    Calm,
    /// Stress building or fading around a cascade.
    Stressed,
    /// The cascade itself.
    Cascade,
}

impl Regime {
    /// Every regime, in report order.
    pub const ALL: [Regime; 3] = [Regime::Calm, Regime::Stressed, Regime::Cascade];

    /// Lower-case name.
    pub const fn name(self) -> &'static str {
        match self {
            Regime::Calm => "calm",
            Regime::Stressed => "stressed",
            Regime::Cascade => "cascade",
        }
    }
}

/// Everything a replay recorded over time.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Series {
    /// The quoted instrument's symbol.
    pub symbol: String,
    /// Samples in time order.
    pub samples: Vec<Sample>,
    /// Our executions in time order.
    pub fills: Vec<FillRecord>,
    /// Regime windows (empty: all calm).
    pub regimes: Vec<RegimeSpan>,
}

impl Series {
    /// The regime at `time`: the span containing it, else calm.
    pub fn regime_at(&self, time: Nanos) -> Regime {
        self.regimes
            .iter()
            .find(|span| span.start <= time && time < span.end)
            .map_or(Regime::Calm, |span| span.regime)
    }
}
