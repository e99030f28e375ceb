//! The book's depth and spread: a [`BookGauge`] each, the smoothed measure against a
//! [`DecayedMedian`] baseline, give the [`Depth`](crate::cascade::CascadeSignal::Depth) and
//! [`Spread`](crate::cascade::CascadeSignal::Spread) readings ([`depth_stress`],
//! [`spread_stress`]) and the [`DepthCollapse`](crate::cascade::HardTrigger::DepthCollapse)
//! trigger.
//!
//! Defaults in parentheses.
//!
//! From [`on_book`](super::CascadeSignals::on_book): each is smoothed by a
//! time-weighted exponential moving average (each update's value holds until the next; half-lives
//! `depth_fast_half_life_s`, `spread_fast_half_life_s`, 2 s) and divided by a baseline, the
//! time-weighted **median** of the raw measure with exponentially decaying weights (half-lives
//! `depth_baseline_half_life_s`, `spread_baseline_half_life_s`, 600 s), kept in a histogram of
//! 128 log-spaced bins 10 % wide around the first value. A median rather than a mean because
//! depth is lumpy: on the calm 2024-08-08 BTCUSDT recording the notional within ±10 bps jumps
//! between about 17 M and 50 M USDT as one wall enters and leaves the band, and a mean baseline
//! (about 30 M) calls the ordinary 11–17 M a withdrawal. The baseline is frozen (the held
//! values stop joining the histogram) from the moment the ratio reaches its warn level until
//! it is back past halfway to calm (stress below 0.25), so a withdrawal does not become the
//! new normal while it lasts. A held value joins with at most
//! 5 s of weight (a book that went quiet, or untrusted, is not the market for that long).
//! - Depth: value `D̃/D_med`, calm 1, warn `depth_warn` (0.5), cascade `depth_cascade` (0.2);
//!   [`HardTrigger::DepthCollapse`] below `depth_collapse` (0.1).
//! - Spread: value `S̃ / max(S_med, S₀)`, with `S₀` = `spread_floor_bps` (0.5 bp): a
//!   one-tick BTCUSDT spread is 0.016 bp, and a ratio to it would call every second tick a
//!   crisis; the floor says what widening matters. Calm 1, warn `spread_warn` (3), cascade
//!   `spread_cascade` (10).
//!
//! [`HardTrigger::DepthCollapse`]: crate::cascade::HardTrigger::DepthCollapse

use feeds::Nanos;

use super::config::SignalsConfig;
use super::decay::{HeldAverage, half_life_rate};
use super::stress::{freeze, stress};
use super::units::seconds_between;

/// Bins of the baseline histograms.
const MEDIAN_BINS: usize = 128;

/// Width of one bin of the baseline histograms, in natural-log units (10 %).
const MEDIAN_BIN_WIDTH: f64 = 0.095_310_179_804_324_86; // ln(1.1)

/// The most weight, in seconds, one held book value adds to a baseline.
const MAX_HOLD_S: f64 = 5.0;

/// The stress of a depth ratio (smoothed depth over its baseline).
pub(super) fn depth_stress(ratio: f64, config: &SignalsConfig) -> f64 {
    stress(ratio, 1.0, config.depth_warn, config.depth_cascade)
}

/// The stress of a spread ratio (smoothed spread over its floored baseline).
pub(super) fn spread_stress(ratio: f64, config: &SignalsConfig) -> f64 {
    stress(ratio, 1.0, config.spread_warn, config.spread_cascade)
}

/// A median with exponentially decaying weights, from a histogram of `MEDIAN_BINS` log-spaced
/// bins centred on the first value (values outside fall in the edge bins). Each bin also keeps
/// the weighted mean of its values' logs, and the median is that mean in the bin where the
/// cumulative weight crosses half: exact when the bin holds one value, within the bin's 10 %
/// otherwise.
///
/// Weights are stored grown by `e^((t − epoch)·rate)` rather than decayed, so adding is O(1);
/// the bins are rescaled when the growth nears `e^40`.
#[derive(Clone, Debug)]
struct DecayedMedian {
    weights: [f64; MEDIAN_BINS],
    /// `Σ w·ln x` per bin.
    logs: [f64; MEDIAN_BINS],
    /// Natural log of the lower edge of bin 0.
    origin: f64,
    epoch: Nanos,
    rate: f64,
    started: bool,
}

impl DecayedMedian {
    fn new(rate: f64) -> DecayedMedian {
        DecayedMedian {
            weights: [0.0; MEDIAN_BINS],
            logs: [0.0; MEDIAN_BINS],
            origin: 0.0,
            epoch: Nanos(0),
            rate,
            started: false,
        }
    }

    /// Adds `weight` (seconds) at the value `x > 0`, at `time`.
    fn add(&mut self, time: Nanos, x: f64, weight: f64) {
        if !(x > 0.0 && x.is_finite() && weight > 0.0) {
            return;
        }
        let log = x.ln();
        if !self.started {
            self.origin = log - (MEDIAN_BINS / 2) as f64 * MEDIAN_BIN_WIDTH - MEDIAN_BIN_WIDTH / 2.0;
            self.epoch = time;
            self.started = true;
        }
        let mut growth = time.saturating_since(self.epoch).max(0) as f64 * self.rate;
        if growth > 40.0 {
            let factor = (-growth).exp();
            self.weights.iter_mut().chain(self.logs.iter_mut()).for_each(|value| *value *= factor);
            self.epoch = time;
            growth = 0.0;
        }
        let bin =
            ((log - self.origin) / MEDIAN_BIN_WIDTH).floor().clamp(0.0, (MEDIAN_BINS - 1) as f64) as usize;
        let weight = weight * growth.exp();
        self.weights[bin] += weight;
        self.logs[bin] += weight * log;
    }

    /// The weighted median; `None` before any weight.
    fn median(&self) -> Option<f64> {
        let total: f64 = self.weights.iter().sum();
        if total.is_nan() || total <= 0.0 {
            return None;
        }
        let mut below = 0.0;
        for (weight, log) in self.weights.iter().zip(&self.logs) {
            below += weight;
            if *weight > 0.0 && below >= total / 2.0 {
                return Some((log / weight).exp());
            }
        }
        None
    }
}

/// Smoothed book measure against its median baseline.
#[derive(Clone, Debug)]
pub(super) struct BookGauge {
    fast: HeldAverage,
    baseline: DecayedMedian,
    first: Option<Nanos>,
    last: Nanos,
    /// The raw value held since `last`.
    held: f64,
    /// The baseline is frozen.
    frozen: bool,
}

impl BookGauge {
    pub(super) fn new(fast_half_life_s: f64, baseline_half_life_s: f64) -> BookGauge {
        BookGauge {
            fast: HeldAverage::new(half_life_rate(fast_half_life_s)),
            baseline: DecayedMedian::new(half_life_rate(baseline_half_life_s)),
            first: None,
            last: Nanos(0),
            held: f64::NAN,
            frozen: false,
        }
    }

    /// Smoothed value over `max(baseline, floor)` at `now`; `None` before any value.
    fn ratio(&self, now: Nanos, floor: f64) -> Option<f64> {
        self.first?;
        let fast = self.fast.value_at(now);
        let baseline = self.baseline.median().unwrap_or(self.held).max(floor);
        let ratio = fast / baseline;
        ratio.is_finite().then_some(ratio)
    }

    /// A new raw value at `time`; the value held until now joins the baseline unless it is
    /// [frozen](freeze) by the ratio's `stress`.
    pub(super) fn update(&mut self, time: Nanos, x: f64, floor: f64, stress: impl Fn(f64) -> f64) {
        if !(x >= 0.0 && x.is_finite()) {
            return;
        }
        if self.first.is_none() {
            self.first = Some(time);
        } else {
            let level = self.ratio(time, floor).map_or(0.0, stress);
            self.frozen = freeze(self.frozen, level);
            if !self.frozen {
                let held_for = seconds_between(self.last, time).min(MAX_HOLD_S);
                self.baseline.add(time, self.held, held_for);
            }
        }
        self.fast.update(time, x);
        self.last = time;
        self.held = x;
    }

    fn warm(&self, now: Nanos, warmup_s: f64) -> bool {
        self.first.is_some_and(|first| seconds_between(first, now) >= warmup_s)
    }

    /// The [ratio](Self::ratio) at `now`, once `warmup_s` seconds of values have been seen.
    pub(super) fn warm_ratio(&self, now: Nanos, floor: f64, warmup_s: f64) -> Option<f64> {
        self.ratio(now, floor).filter(|_| self.warm(now, warmup_s))
    }
}

#[cfg(test)]
mod tests {
    use crate::cascade::signals::CascadeSignals;
    use crate::cascade::signals::test_support::*;
    use crate::cascade::{CascadeSignal, HardTrigger};

    #[test]
    fn the_depth_baseline_is_a_median_that_ignores_a_passing_wall() {
        // Synthetic, shaped like the 2024-08-08 BTCUSDT recording: 17 M USDT within the band
        // 60 % of the time and 50 M (a wall inside the band) 40 %, alternating every 30 s,
        // updates every 100 ms, for 20 minutes. The median baseline is 17 M (a mean would be
        // about 30 M), so 11 M is a mild 0.65 and not a withdrawal.
        let mut signals = signals();
        for k in 0..12_000 {
            let seconds = 0.1 * f64::from(k);
            let depth = if (seconds / 30.0) as i64 % 5 < 3 { 17e6 } else { 50e6 };
            signals.on_book(at(seconds), depth, 0.016, 600_000.0);
        }
        let baseline = signals.depth.baseline.median().unwrap();
        close(baseline, 17e6, 17e6 * 0.1);
        for k in 0..300 {
            signals.on_book(at(1200.0 + 0.1 * f64::from(k)), 11e6, 0.016, 600_000.0);
        }
        let reading = reading(&mut signals, 1230.0, CascadeSignal::Depth);
        close(reading.value, 11.0 / 17.0, 0.07);
        assert!(reading.stress < 0.4, "{reading:?}");
    }

    #[test]
    fn a_depth_withdrawal_warns_freezes_the_baseline_and_collapses() {
        // Synthetic: 20 M USDT for five minutes, then 6 M (30 %) for five minutes, then 1 M.
        let mut signals = signals();
        let book = |signals: &mut CascadeSignals, from: f64, to: f64, depth: f64| {
            let mut seconds = from;
            while seconds < to {
                signals.on_book(at(seconds), depth, 0.016, 600_000.0);
                seconds += 0.1;
            }
        };
        book(&mut signals, 0.0, 300.0, 20e6);
        let calm = reading(&mut signals, 300.0, CascadeSignal::Depth);
        close(calm.value, 1.0, 1e-12);
        close(calm.stress, 0.0, 1e-12);
        book(&mut signals, 300.0, 600.0, 6e6);
        // The baseline does not learn the withdrawal: the ratio stays at 0.3 (stress 0.5 +
        // 0.5·(0.5 − 0.3)/(0.5 − 0.2) ≈ 0.83), and no hard trigger yet.
        let withdrawn = signals.inputs(at(600.0));
        close(signals.depth.baseline.median().unwrap(), 20e6, 20e6 * 0.1);
        close(withdrawn.reading(CascadeSignal::Depth).value, 0.3, 0.03);
        close(withdrawn.reading(CascadeSignal::Depth).stress, 0.5 + 0.5 * 0.2 / 0.3, 0.05);
        assert_eq!(withdrawn.hard, None);
        // 1 M is 5 % of the baseline: the smoothed depth (half-life 2 s) passes 10 % within
        // 2·log2(5/1)… seconds, and the collapse is a hard trigger.
        book(&mut signals, 600.0, 620.0, 1e6);
        let collapsed = signals.inputs(at(620.0));
        assert_eq!(collapsed.reading(CascadeSignal::Depth).stress, 1.0);
        assert_eq!(collapsed.hard, Some(HardTrigger::DepthCollapse));
    }

    #[test]
    fn spread_widening_is_measured_against_a_floor() {
        // Synthetic: a one-tick spread (0.016 bp) for five minutes, then 3 bp for a minute.
        // Against the 0.5 bp floor that is a ratio of 6, halfway from warn (3) to cascade (10)
        // less a little.
        let mut signals = signals();
        for k in 0..3000 {
            signals.on_book(at(0.1 * f64::from(k)), 20e6, 0.016, 600_000.0);
        }
        let calm = reading(&mut signals, 300.0, CascadeSignal::Spread);
        close(calm.value, 0.016 / 0.5, 1e-9);
        assert_eq!(calm.stress, 0.0);
        for k in 0..600 {
            signals.on_book(at(300.0 + 0.1 * f64::from(k)), 20e6, 3.0, 600_000.0);
        }
        let wide = reading(&mut signals, 360.0, CascadeSignal::Spread);
        close(wide.value, 6.0, 1e-6);
        close(wide.stress, 0.5 + 0.5 * 3.0 / 7.0, 1e-6);
        // A single 50 ms flash of 2.5 bp in a one-tick market (as the recording has) is noise.
        let mut signals = signals_with_book(300.0);
        signals.on_book(at(300.0), 20e6, 2.5, 600_000.0);
        signals.on_book(at(300.05), 20e6, 0.016, 600_000.0);
        assert!(reading(&mut signals, 300.05, CascadeSignal::Spread).stress < 0.01);
    }

    fn signals_with_book(seconds: f64) -> CascadeSignals {
        let mut signals = signals();
        let mut t = 0.0;
        while t < seconds {
            signals.on_book(at(t), 20e6, 0.016, 600_000.0);
            t += 0.1;
        }
        signals
    }

    #[test]
    fn book_readings_wait_for_the_warm_up() {
        let mut signals = signals();
        signals.on_book(at(0.0), 20e6, 0.016, 600_000.0);
        signals.on_book(at(29.0), 20e6, 0.016, 600_000.0);
        assert!(!reading(&mut signals, 29.0, CascadeSignal::Depth).known);
        assert!(reading(&mut signals, 30.0, CascadeSignal::Depth).known);
        assert!(reading(&mut signals, 30.0, CascadeSignal::Spread).known);
    }
}
