//! A synthetic market tape (`halcyon simulate market`): from a seed, a self-consistent Binance
//! USD-M recording with a calm regime and a liquidation cascade, so the whole pipeline can be
//! shown anywhere without a real recording.
//!
//! - [`generate`] writes the tape described by a [`MarketConfig`] to a new halcyon capture
//!   ([`feeds::recording::CaptureWriter`]) and returns a [`MarketSummary`].
//! - [`MarketConfig`] holds every knob, with defaults; [`MarketConfig::validate`] names the
//!   first bad key ([`ConfigError`]).
//! - [`SynthError`] is what can go wrong: a bad config, or the file (its path named).
//!
//! The same configuration gives a byte-identical file. Nothing reads a clock or the OS's
//! entropy: every draw comes from the seed (ChaCha8; the market on one stream, network
//! latencies on another), and the wall time appears only in the summary.
//!
//! # What the tape holds
//! The frames Binance sends, exactly as it sends them, so they go through the real decoder,
//! sequencer and book: a combined-stream websocket with `depthUpdate` (`@depth@0ms`, `U`/`u`/`pu`
//! chained), `bookTicker` (on every change of the best bid or ask, stamped with the book's update
//! id), `trade` (one per fill), `forceOrder` and `markPriceUpdate` (`@markPrice@1s`); a REST
//! depth snapshot (`limit=1000`) shortly after the stream opens; REST open interest every
//! `open_interest_poll_s`. Receive times are exchange times plus a network latency, in order
//! on the websocket, REST responses where
//! their receive time falls.
//!
//! # The model
//! - **Fair price.** A geometric random walk (`calm_vol_bps_per_sqrt_s`); in the cascade, a
//!   higher volatility and a trend of `cascade_move_bps` in `cascade_direction`, front-loaded
//!   (`1 − (1 − x)²` of the elapsed share `x`).
//! - **Makers** keep a price-level book around the fair price: orders arrive (half near the
//!   touch, half spread over 40 bps, sizes log-normal and growing away from the touch, with
//!   occasional walls), are cancelled (faster as the level count passes `levels_per_side`);
//!   after the fair price moves, quotes left through it are taken by arbitrageurs or pulled,
//!   and a touch left behind is joined at the new quote, so the spread stays a tick or two in
//!   calm. Levels beyond the depth range are pruned.
//! - **Takers** arrive as a Poisson process (`taker_rate_per_s`), buy or sell, log-normal
//!   sizes, and walk the book: one `trade` per maker order filled, one to three per level.
//!   Every fill is taken out of the book, and the next diff says so: a consumer's book and the
//!   trades never disagree.
//! - **The cascade** (`cascade_onset_s` for `cascade_duration_s`): liquidations as a Hawkes
//!   process (sampled by Ogata's thinning) of baseline `liquidation_rate_per_s`, branching
//!   ratio `hawkes_branching_ratio` and decay `hawkes_decay_per_s`, mostly against the crowded
//!   side; each is an IOC order walking the book (its fills printed with `"X":"LIQUIDATION"`)
//!   and a `forceOrder`. Makers withdraw `depth_withdrawal` of the depth within
//!   `withdrawal_band_bps` and widen the spread to `cascade_spread_bps`; takers come faster,
//!   larger and mostly in the cascade's direction. Open interest falls by what is liquidated
//!   plus `cascade_open_interest_drop_pct`. The premium flips (`calm_premium_bps` to
//!   `-cascade_premium_bps`), so the funding rate turns.
//! - **Calm liquidations** are a plain Poisson process (`calm_liquidation_rate_per_s`, 0 for
//!   none); the cascade's excitation ends with it, so with no calm rate every liquidation lies
//!   inside the cascade window.
//! - **Mark, index, funding** every second: the index follows the spot price (fair over one plus
//!   the premium) with a 2 s lag; funding is Binance's formula, the premium average plus
//!   `clamp(0.01 % − average, ±0.05 %)`, with the premium averaged over 20 s rather than the 8 h
//!   period so the flip shows within a cascade; the mark is the median of Binance's two
//!   index-based prices and the last trade.
//!
//! # Choices
//! - Binance pushes at most one `forceOrder` per symbol per second (the latest). By default
//!   every liquidation is pushed when it happens, so the tape shows the whole process;
//!   `force_order_snapshots = true` pushes only the latest each second, as Binance does. Their
//!   trades are printed either way.
//! - A liquidation's fills are printed with `"X":"LIQUIDATION"`, which the decoder marks as
//!   forced; ordinary takers print `"MARKET"`.
//! - The diff stream is `@depth@0ms` with a diff every 10–100 ms (configurable), as in the
//!   recording the engine is tested on; every level changed in the window is listed with its
//!   quantity at the window's end.

pub mod config;

mod book;
mod frames;
mod funding;
mod hawkes;
mod model;
mod output;
mod random;

pub use config::{CascadeDirection, ConfigError, Grid, MarketConfig};

use feeds::recording::RecordingError;
use feeds::venue::binance::MessageKind;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Why a tape could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The configuration is invalid; nothing was written.
    #[error("invalid market config: {0}")]
    Config(#[from] ConfigError),
    /// Creating or writing the capture failed (the message names the file and where).
    #[error("cannot write the market tape: {source}")]
    Write {
        /// The capture's path.
        path: PathBuf,
        /// What failed.
        source: RecordingError,
    },
}

/// Prices over the tape, in the quote currency.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PriceRange {
    /// First trade.
    pub open: f64,
    /// Lowest trade.
    pub low: f64,
    /// Highest trade.
    pub high: f64,
    /// Last trade.
    pub close: f64,
}

/// The cascade as it happened.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CascadeSummary {
    /// `down` or `up`.
    pub direction: &'static str,
    /// Seconds from the start.
    pub onset_s: f64,
    /// Seconds from the start.
    pub end_s: f64,
    /// Mid price at the onset.
    pub mid_at_onset: f64,
    /// Mid price at the end.
    pub mid_at_end: f64,
    /// `mid_at_end / mid_at_onset − 1`, in bps.
    pub move_bps: f64,
    /// Liquidations within the window.
    pub liquidations: u64,
    /// Open interest at the onset and the end.
    pub open_interest: [f64; 2],
    /// Funding rate just before the onset, and its extreme from the onset on (lowest for a
    /// down cascade, highest for an up one).
    pub funding: [f64; 2],
}

/// What [`generate`] wrote.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MarketSummary {
    /// The capture written.
    pub path: PathBuf,
    /// Seed.
    pub seed: u64,
    /// Symbol.
    pub symbol: String,
    /// Exchange time covered, s.
    pub duration_s: f64,
    /// Frames per kind (`depth_update`, `book_ticker`, `trade`, `liquidation`, `mark_price`,
    /// `snapshot`, `open_interest`).
    pub frames: BTreeMap<&'static str, u64>,
    /// All frames.
    pub frames_total: u64,
    /// Taker orders that traded (liquidations excluded).
    pub taker_orders: u64,
    /// Trade prints.
    pub trades: u64,
    /// Liquidations (each a `forceOrder` unless `force_order_snapshots` held some back).
    pub liquidations: u64,
    /// Quantity liquidated, base asset.
    pub liquidated_qty: f64,
    /// Trade prices.
    pub price: PriceRange,
    /// Mean levels per side of the book, sampled each second.
    pub mean_levels_per_side: f64,
    /// Open interest at the start and the last poll, base asset.
    pub open_interest: [f64; 2],
    /// The cascade, if the tape has one.
    pub cascade: Option<CascadeSummary>,
    /// Size of the capture, bytes.
    pub file_bytes: u64,
    /// Wall time the generation took, s.
    pub wall_time_s: f64,
}

/// Generates the tape of `config` into a new capture at `out` (an existing file is refused,
/// not overwritten) and summarises it.
pub fn generate(config: &MarketConfig, out: &Path) -> Result<MarketSummary, SynthError> {
    let started = Instant::now();
    let resolved = config.resolve()?;
    let write_error = |source| SynthError::Write { path: out.to_path_buf(), source };
    let market = model::Market::new(config, &resolved, out).map_err(write_error)?;
    let (tally, file_bytes, counts) = market.run().map_err(write_error)?;

    let frames: BTreeMap<&'static str, u64> = MessageKind::ALL
        .iter()
        .filter(|kind| !matches!(kind, MessageKind::AggTrade | MessageKind::Kline))
        .map(|kind| (kind.report_name(), counts[usize::from(kind.code())]))
        .collect();
    let (tick, lot) = (resolved.tick, resolved.lot);
    let quote = |ticks: i64| tick.value(ticks as f64);
    let cascade = config.cascade.then(|| CascadeSummary {
        direction: config.cascade_direction.name(),
        onset_s: config.cascade_onset_s,
        end_s: config.cascade_onset_s + config.cascade_duration_s,
        mid_at_onset: tick.value(tally.mid_at_onset),
        mid_at_end: tick.value(tally.mid_at_end),
        move_bps: (tally.mid_at_end / tally.mid_at_onset - 1.0) * 1e4,
        liquidations: tally.liquidations_in_cascade,
        open_interest: [
            lot.value(tally.open_interest_at_onset.round()),
            lot.value(tally.open_interest_at_end.round()),
        ],
        funding: [tally.funding_before_onset, tally.funding_extreme],
    });
    Ok(MarketSummary {
        path: out.to_path_buf(),
        seed: config.seed,
        symbol: config.symbol.clone(),
        duration_s: config.duration_s,
        frames_total: frames.values().sum(),
        frames,
        taker_orders: tally.taker_orders,
        trades: tally.trades,
        liquidations: tally.liquidations,
        liquidated_qty: lot.value(tally.liquidated_lots as f64),
        price: PriceRange {
            open: quote(tally.first_trade.unwrap_or(0)),
            low: quote(tally.low_trade),
            high: quote(tally.high_trade),
            close: quote(tally.last_trade),
        },
        mean_levels_per_side: tally.level_sum as f64 / (2 * tally.level_samples.max(1)) as f64,
        open_interest: [
            lot.value(tally.open_interest_first.round()),
            lot.value(tally.open_interest_last.round()),
        ],
        cascade,
        file_bytes,
        wall_time_s: started.elapsed().as_secs_f64(),
    })
}
