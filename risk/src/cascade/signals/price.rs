//! The price: [`PriceTrack`] holds the last price and its 1-second grid, for the price move and
//! the volatility of the [`LiquidationSpike`](crate::cascade::HardTrigger::LiquidationSpike)
//! trigger.
//!
//! The last book mid or trade price (ticks), sampled previous-tick on a 1-second
//! grid aligned to the epoch; `σ₁²` is the exponentially weighted mean (half-life
//! `price_vol_half_life_s`, 300 s) of squared 1-second log returns (a return over a gap of `k`
//! seconds counts once, divided by `k`), floored at `price_vol_floor_bps` (0.2 bp).

use feeds::Nanos;

use super::config::SignalsConfig;
use super::decay::{DecayedMean, half_life_rate};

/// The 1-second price grid keeps this many samples.
const PRICE_GRID: usize = 64;

/// The longest spike window, seconds: the grid must hold one more sample.
pub(super) const MAX_SPIKE_WINDOW_S: u32 = 60;

const _: () = assert!((MAX_SPIKE_WINDOW_S as usize) < PRICE_GRID);

/// 1-second returns seen before `σ₁` is trusted (and a spike can be called).
const MIN_PRICE_RETURNS: u64 = 30;

/// The last price and its 1-second grid.
#[derive(Clone, Debug)]
pub(super) struct PriceTrack {
    /// The last mid or trade price, ticks; `NaN` before the first.
    pub(super) last: f64,
    grid: [f64; PRICE_GRID],
    /// The latest grid second sampled; `None` before the first price.
    second: Option<i64>,
    /// Grid samples taken (the first price counts as one).
    samples: u64,
    returns: u64,
    /// Mean of squared 1-second log returns.
    variance: DecayedMean,
}

impl PriceTrack {
    pub(super) fn new(config: &SignalsConfig) -> PriceTrack {
        PriceTrack {
            last: f64::NAN,
            grid: [f64::NAN; PRICE_GRID],
            second: None,
            samples: 0,
            returns: 0,
            variance: DecayedMean::new(half_life_rate(config.price_vol_half_life_s)),
        }
    }

    /// Samples the grid up to `now` with the price held.
    pub(super) fn advance(&mut self, now: Nanos) {
        let Some(second) = self.second else { return };
        let target = now.0.div_euclid(Nanos::PER_SECOND);
        if target <= second {
            return;
        }
        let previous = self.grid[second.rem_euclid(PRICE_GRID as i64) as usize];
        let gap = target - second;
        for offset in (gap - gap.min(PRICE_GRID as i64) + 1)..=gap {
            self.grid[(second + offset).rem_euclid(PRICE_GRID as i64) as usize] = self.last;
        }
        self.samples = self.samples.saturating_add(gap as u64);
        self.second = Some(target);
        let r = (self.last / previous).ln();
        if r.is_finite() {
            self.variance.add(Nanos(target.saturating_mul(Nanos::PER_SECOND)), r * r / gap as f64);
            self.returns += 1;
        }
    }

    pub(super) fn on_price(&mut self, time: Nanos, price: f64) {
        if !(price > 0.0 && price.is_finite()) {
            return;
        }
        if self.second.is_none() {
            let second = time.0.div_euclid(Nanos::PER_SECOND);
            self.second = Some(second);
            self.grid[second.rem_euclid(PRICE_GRID as i64) as usize] = price;
            self.samples = 1;
        } else {
            self.advance(time);
        }
        self.last = price;
    }

    /// `σ₁`, the 1-second return standard deviation (a fraction), floored; `None` until enough
    /// returns.
    pub(super) fn sigma(&self, floor: f64) -> Option<f64> {
        if self.returns < MIN_PRICE_RETURNS {
            return None;
        }
        Some(self.variance.mean()?.sqrt().max(floor))
    }

    /// `ln(p(now) / p(now − window))` with the grid advanced to `now`; `None` without enough
    /// history.
    pub(super) fn log_move(&self, window: u32) -> Option<f64> {
        let second = self.second?;
        if self.samples <= u64::from(window) {
            return None;
        }
        let then = self.grid[(second - i64::from(window)).rem_euclid(PRICE_GRID as i64) as usize];
        let r = (self.last / then).ln();
        r.is_finite().then_some(r)
    }
}
