//! Stress scenarios: a **synthetic** liquidation cascade laid over a real recording's events, so
//! the cascade runs through the recording's own book dynamics.
//!
//! - [`overlay()`]: the recording's decoded events (as the feed produces them: each frame's events
//!   then its `FrameEnd`) and a [`StressConfig`] in, an [`Overlay`] out: the rewritten events,
//!   the [`RegimeSpan`]s of the scenario, and [`OverlayStats`].
//! - [`overlay_observed()`]: the same, calling an observer with the book the overlay's consumer
//!   holds at every frame end (for tests: a consumer fed the output must hold exactly that).
//! - [`StressConfig`] (the `[stress]` table of the engine's config), [`Direction`],
//!   [`PathShape`], and [`StressConfigError`], the first bad key.
//! - [`Schedule`]: the scenario's curves over time (stress level, price move, funding).
//!
//! Nothing here is market data: liquidations, toxic orders, the price path, the withdrawal,
//! mark/index/funding, open interest and the options readings are drawn from seeded generators.
//! Reports built on an overlay must say so.
//!
//! # How the overlay rewrites the stream
//! The window is `[onset − ramp, onset + duration + tail]` seconds after the first event (see
//! [`path`] for the curves). Outside it, the recording's events pass through unchanged; the
//! scenario's periodic readings (mark price, open interest, options) run over the whole
//! recording, so their baselines exist before the stress.
//!
//! 1. **Price path.** Every `step_ms` the target displacement (the path, plus mean-reverting
//!    noise) is rounded to whole ticks `Δ`; when `Δ`, the depth withdrawal or the spread gap
//!    changes, the book is **re-published**: a `DepthSnapshot` frame with a snapshot
//!    [`BookClear`](feeds::BookClear) and the `book_levels` best levels per side of the real
//!    book, shifted by `Δ` and withdrawn, the last flagged `last`. Between re-publications every
//!    real price is shifted by the same `Δ` (book levels, best bid/offer, trades), so the real
//!    book's own updates ride along. Synthetic book updates carry the real book's last update
//!    id as `seq`: the consumer's `last_update_id` never leaves the real chain, and the next
//!    real diff (whose `pu` is that id) follows on. At the window's end the whole real book is
//!    re-published unshifted, and the consumer's book is the real one again. A snapshot rather
//!    than a diff from the old view to the new: a shift changes the quantity at nearly every
//!    price, so the diff would be as long, and a snapshot of the nearest `book_levels` bounds
//!    both the cost (about 1000 events a step) and what the consumer holds to what the overlay
//!    controls.
//! 2. **Depth withdrawal.** Levels within `depth_band_bps` of the mid keep `1 − w` of their
//!    quantity (at least one lot), `w = depth_withdrawal × stress level`; levels closer than half
//!    the spread gap (`spread_bps × stress level`) are pulled entirely. The band is measured from
//!    the real mid at the last re-publication, so a level's treatment depends on its price alone
//!    until the next one.
//! 3. **Liquidations** arrive as a Hawkes process ([`hawkes`]; base rate
//!    `liquidation_rate × level²`), sizes lognormal. Each is a forced market order that walks the
//!    book the consumer holds: one `trade` frame per level consumed (`forced`, aggressor the
//!    liquidation's side), one `depthUpdate` frame reducing or removing those levels, then a
//!    `forceOrder` frame with the [`Liquidation`](feeds::Liquidation) (average price the walk's
//!    VWAP, limit price [`LIQUIDATION_LIMIT_BPS`] past the worst fill), all at one exchange time.
//!    Frames as Binance sends them (a `trade` message is one fill) rather than one frame of
//!    prints and levels: the core then decides between the prints and the book's update, as it
//!    would live. Synthetic prints carry no trade id (`seq` 0): the recording's ids cannot make
//!    room for them. Every liquidation is pushed, as Bybit's `allLiquidation` does (Binance's
//!    `forceOrder` stream would show at most one a second). **The path drives the displacement; the walks are the impact on top of
//!    it**: they consume the thinned book near the touch and print ahead of the path, the
//!    recording's own updates and the next re-publication refill it. So the permanent move is
//!    the path's (which the config controls) and the transient one the flow's.
//! 4. **Toxic taker flow**: non-forced market orders in the cascade's direction, a Poisson
//!    process at `toxic_rate × level`, walking the book the same way (without the `forceOrder`).
//! 5. **Mark price** every second (Binance `markPrice@1s`): mark = the consumer's mid; index =
//!    the real mid plus the displacement lagged by `index_lag_s` (spot follows the perp), less
//!    the calm premium `basis_before_bps`, with noise; so the basis widens in the direction of
//!    the move. Funding moves from `funding_before` to `funding_after` over the cascade.
//! 6. **Open interest** every `open_interest_interval_s`: the baseline, falling by `oi_drop` in
//!    step with the cumulative liquidated notional.
//! 7. **Options** every `options_interval_s`: short-dated IV from `iv_short_before` toward
//!    `iv_short_peak` with the stress (held after the cascade), long-dated IV constant, the share
//!    of open interest near spot rising likewise.
//!
//! A recording that carries its own liquidations, mark prices or open interest keeps them
//! (shifted in the window) beside the scenario's; the BTCUSDT recording has none.
//!
//! # Guarantees
//! - Frames stay frames: every event is inside a frame closed by a `FrameEnd` whose `events`
//!   counts it; a real frame keeps its events one for one (mapped in the window). Synthetic
//!   frames get their own `FrameEnd` with the Binance [`MessageKind`](feeds::venue::binance::MessageKind)
//!   code of what they imitate (options readings, which no Binance message carries, get
//!   [`OPTIONS_FRAME_KIND`]), and the local stamps of the last real frame.
//! - Time: a synthetic frame is stamped at its scheduled exchange time, never before any event
//!   already emitted (the recording's own streams interleave up to ~110 ms out of order; real
//!   events keep their stamps). Its receive time is its exchange time plus the recording's
//!   current receive offset (receive − exchange of the latest real event), so latency and lag
//!   models see the recording's own offsets.
//! - The consumer's book is never crossed by the overlay, stays trusted wherever the real one
//!   is, and equals the overlay's shadow at every frame end.
//! - Deterministic: the same events and scenario (seed included) give the same output, bit for
//!   bit. A bad scenario is an error naming the key, never a panic.

pub mod config;
pub mod hawkes;
mod overlay;
pub mod path;
#[cfg(test)]
mod tests;

pub use config::{Direction, PathShape, StressConfig, StressConfigError};
pub use path::Schedule;

use crate::replay::series::RegimeSpan;
use feeds::{Event, InstrumentId, Lots, Nanos, OrderBook, Step, Ticks};

/// `FrameEnd::frame_kind` of a synthetic options reading: the first code past Binance's
/// [`MessageKind`](feeds::venue::binance::MessageKind)s (no Binance message carries one; an
/// options venue's decoder would have its own kinds).
pub const OPTIONS_FRAME_KIND: u8 = feeds::venue::binance::MessageKind::ALL.len() as u8;

/// How far past the worst fill a liquidation order's limit price is, basis points: the forced
/// order is an IOC priced to fill.
pub const LIQUIDATION_LIMIT_BPS: i64 = 50;

/// The most book events the re-publications of one scenario may add (about 1.6 GB of events):
/// `book_levels` a side at every step of the window is the upper estimate checked.
pub const MAX_SYNTHETIC_EVENTS: f64 = 25_000_000.0;

/// The most liquidations and toxic orders one scenario may draw, by the upper estimate
/// `(liquidation_rate / (1 − liquidation_branching) + toxic_rate) × window`.
pub const MAX_SYNTHETIC_ORDERS: f64 = 500_000.0;

/// A recording with a stress scenario laid over it.
#[derive(Clone, Debug)]
pub struct Overlay {
    /// The rewritten events, in frames (see the [module](self) docs).
    pub events: Vec<Event>,
    /// The scenario's regimes: the ramp and the tail `Stressed`, the cascade `Cascade`
    /// (spans of zero length are left out).
    pub regimes: Vec<RegimeSpan>,
    /// What the overlay did.
    pub stats: OverlayStats,
}

/// What an overlay did: the window, and counts of what it added.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct OverlayStats {
    /// Exchange time of the recording's first event (times of the scenario count from it).
    pub first_event: Nanos,
    /// Start of the ramp (the window).
    pub start: Nanos,
    /// The onset of the cascade.
    pub onset: Nanos,
    /// The end of the cascade.
    pub cascade_end: Nanos,
    /// The end of the tail (the window); the recording passes through unchanged after it.
    pub end: Nanos,
    /// The real mid at the window's start, ticks: the price the move's basis points are of.
    pub reference_mid: f64,
    /// The largest displacement, ticks (signed: negative for a fall).
    pub extreme_displacement: Ticks,
    /// Liquidations emitted (each a walk and a `forceOrder`).
    pub liquidations: u64,
    /// Their filled quantity.
    pub liquidated_qty: Lots,
    /// Their filled notional, quote currency.
    pub liquidated_notional: f64,
    /// Forced trade prints (one per level a liquidation consumed).
    pub forced_trades: u64,
    /// Toxic taker orders emitted.
    pub toxic_orders: u64,
    /// Their trade prints.
    pub toxic_trades: u64,
    /// Orders drawn but not emitted (no trusted book to walk at their time).
    pub skipped_orders: u64,
    /// Book re-publications (the final restore included).
    pub republications: u64,
    /// Frames the overlay added.
    pub synthetic_frames: u64,
    /// Events the overlay added, their `FrameEnd`s included.
    pub synthetic_events: u64,
    /// Open interest at the first and at the last reading.
    pub open_interest: (Lots, Lots),
    /// Mark-price, open-interest and options readings emitted.
    pub readings: u64,
    /// Book events the shadow refused (a crossed or invalid update; the consumer refuses them
    /// too). Zero unless the recording itself has them.
    pub book_errors: u64,
}

/// Why a scenario cannot be laid over a recording.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StressError {
    /// The scenario does not validate.
    #[error(transparent)]
    Config(#[from] StressConfigError),
    /// The recording has no events.
    #[error("the recording has no events")]
    NoEvents,
    /// The window ends after the recording's last event.
    #[error(
        "the scenario ends {end_s:.1} s after the recording's first event (stress.onset_s + duration_s + tail_s), \
         past its last event at {recording_s:.1} s"
    )]
    PastRecording {
        /// The window's end, seconds after the first event.
        end_s: f64,
        /// The last event, seconds after the first.
        recording_s: f64,
    },
    /// The instrument's book is not trusted when the ramp starts.
    #[error(
        "no trusted book of the instrument at the ramp's start, {start_s:.1} s after the first event \
         (stress.onset_s − ramp_s): start the scenario later"
    )]
    NoBook {
        /// The ramp's start, seconds after the first event.
        start_s: f64,
    },
    /// The scenario would add more than the overlay allows (see [`MAX_SYNTHETIC_EVENTS`] and
    /// [`MAX_SYNTHETIC_ORDERS`]; periodic readings are limited to a week's): a valid but
    /// enormous configuration, or a recording far too long.
    #[error("the scenario would add about {estimate:.0} {what}, more than {limit:.0}: {advice}")]
    TooLarge {
        /// What: `"book events"`, `"orders"` or `"readings"`.
        what: &'static str,
        /// The upper estimate.
        estimate: f64,
        /// The limit.
        limit: f64,
        /// Which keys to change.
        advice: &'static str,
    },
    /// The tick or lot size cannot be expressed in the units the events need.
    #[error("the instrument's {what} step {step} is finer than 10⁻⁸ or not positive")]
    Step {
        /// `"tick"` or `"lot"`.
        what: &'static str,
        /// The step.
        step: String,
    },
}

/// Lays `scenario` over `events` (the decoded events of a recording, in order, frames closed by
/// their `FrameEnd`s) for `instrument`, whose prices are whole `tick`s and quantities whole
/// `lot`s. See the [module](self) docs.
pub fn overlay(
    events: &[Event],
    instrument: InstrumentId,
    tick: Step,
    lot: Step,
    scenario: &StressConfig,
) -> Result<Overlay, StressError> {
    overlay::run(events, instrument, tick, lot, scenario, &mut |_, _| {})
}

/// [`overlay()`], calling `observer` after every frame end it emits with the frame end's index in
/// the output and the book a consumer of the output holds at that point (the overlay's shadow).
pub fn overlay_observed(
    events: &[Event],
    instrument: InstrumentId,
    tick: Step,
    lot: Step,
    scenario: &StressConfig,
    mut observer: impl FnMut(usize, &OrderBook),
) -> Result<Overlay, StressError> {
    overlay::run(events, instrument, tick, lot, scenario, &mut observer)
}
