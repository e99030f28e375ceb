//! Axes of the report's plots.
//!
//! - [`TimeAxis`]: the one time axis every plot shares. Its x is seconds since the UTC
//!   midnight before the first timestamp, so that ticks on round numbers of seconds are round
//!   clock times, and plain `f64` keeps sub-microsecond precision (nanoseconds since the epoch
//!   do not fit an `f64` mantissa).
//! - [`ValueAxis`]: a y range padded around the finite values it is given, with its label
//!   precision.

use super::utc;
use feeds::Nanos;

/// Steps between time ticks to choose from, seconds: round clock intervals.
const TIME_STEPS_S: [f64; 22] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0,
    300.0, 600.0, 900.0, 1800.0, 3600.0,
];
/// Longer steps, hours.
const TIME_STEPS_H: [f64; 6] = [2.0, 3.0, 6.0, 12.0, 24.0, 48.0];

/// The shared time axis of the plots.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TimeAxis {
    /// The UTC midnight the x values count from, ns since the epoch.
    midnight: i64,
    /// Left and right ends of the axis, seconds after `midnight`; `start < end`.
    range: (f64, f64),
    /// Seconds between ticks.
    step: f64,
}

impl TimeAxis {
    /// An axis over the earliest to the latest of `times`, at least two seconds wide (a
    /// single instant sits in the middle); `None` when there are no times.
    pub(crate) fn spanning(times: impl IntoIterator<Item = Nanos>) -> Option<Self> {
        let (first, last) = times.into_iter().fold(None, |bounds: Option<(i64, i64)>, time| {
            Some(bounds.map_or((time.0, time.0), |(low, high)| (low.min(time.0), high.max(time.0))))
        })?;
        let midnight = first.div_euclid(utc::NANOS_PER_DAY) * utc::NANOS_PER_DAY;
        let seconds = |time: i64| (time - midnight) as f64 / Nanos::PER_SECOND as f64;
        let (mut start, mut end) = (seconds(first), seconds(last));
        if end - start < 2.0 {
            let centre = (start + end) / 2.0;
            (start, end) = (centre - 1.0, centre + 1.0);
        }
        let step = tick_step(end - start, 10.0);
        Some(TimeAxis { midnight, range: (start, end), step })
    }

    /// The x of `time`.
    pub(crate) fn x(&self, time: Nanos) -> f64 {
        self.x_ns(time.0)
    }

    /// The x of a time given in nanoseconds since the epoch.
    pub(crate) fn x_ns(&self, time: i64) -> f64 {
        (time - self.midnight) as f64 / Nanos::PER_SECOND as f64
    }

    /// Left and right ends, x units.
    pub(crate) fn range(&self) -> (f64, f64) {
        self.range
    }

    /// Tick positions: every multiple of the step inside the range.
    pub(crate) fn ticks(&self) -> Vec<f64> {
        let (start, end) = self.range;
        let first = (start / self.step).ceil() as i64;
        let last = (end / self.step).floor() as i64;
        (first..=last).map(|multiple| multiple as f64 * self.step).collect()
    }

    /// A tick label: `HH:MM:SS`, with as many decimals as the step needs.
    pub(crate) fn label(&self, x: f64) -> String {
        let decimals = (-self.step.log10().floor()).max(0.0) as usize;
        utc::clock(x, decimals)
    }

    /// The UTC date of the axis's midnight (`2024-08-09`), for the axis title.
    pub(crate) fn date(&self) -> String {
        utc::date(self.midnight.div_euclid(utc::NANOS_PER_DAY))
    }
}

/// The smallest round clock step that cuts `span` seconds into at most `max_ticks` ticks.
fn tick_step(span: f64, max_ticks: f64) -> f64 {
    TIME_STEPS_S
        .iter()
        .copied()
        .chain(TIME_STEPS_H.iter().map(|hours| hours * 3600.0))
        .find(|step| span / step <= max_ticks)
        .unwrap_or_else(|| (span / max_ticks / 86_400.0).ceil() * 86_400.0)
}

/// A y range for some values, and how to print its ticks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ValueAxis {
    /// Bottom and top; `low < high`, both finite.
    pub(crate) low: f64,
    /// See `low`.
    pub(crate) high: f64,
    /// Decimals the tick labels need.
    decimals: usize,
}

impl ValueAxis {
    /// The range of the finite `values` padded by 5 % each way (`include` values are
    /// included too, e.g. zero); `(0, 1)` when none is finite, and a unit-wide range around a
    /// constant.
    pub(crate) fn around(values: impl IntoIterator<Item = f64>, include: &[f64]) -> Self {
        let (low, high) = values
            .into_iter()
            .chain(include.iter().copied())
            .filter(|value| value.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), value| (low.min(value), high.max(value)));
        if low > high {
            return Self::fixed(0.0, 1.0);
        }
        let span = high - low;
        if span <= high.abs().max(low.abs()) * 1e-12 || span == 0.0 {
            let half = (high.abs() * 1e-3).max(0.5);
            return Self::fixed(low - half, high + half);
        }
        Self::fixed(low - span * 0.05, high + span * 0.05)
    }

    /// Exactly `low..high` (which must be finite and increasing).
    pub(crate) fn fixed(low: f64, high: f64) -> Self {
        debug_assert!(low.is_finite() && high.is_finite() && low < high, "bad range {low}..{high}");
        // Ticks land near multiples of a tenth of the span; one more digit than that step has.
        let step = (high - low) / 10.0;
        let decimals = (-step.log10().floor()).clamp(0.0, 12.0) as usize;
        ValueAxis { low, high, decimals }
    }

    /// Clamps a value into the range (for drawing shapes that must stay inside the plot).
    pub(crate) fn clamp(&self, value: f64) -> f64 {
        value.clamp(self.low, self.high)
    }

    /// A tick label.
    pub(crate) fn label(&self, value: f64) -> String {
        let text = format!("{value:.*}", self.decimals);
        // "-0.00" reads as a negative number; it is zero.
        if text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.') {
            text[1..].to_owned()
        } else {
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_ticks_fall_on_round_clock_times() {
        // An hour and a half from 2024-08-09 12:03:17 UTC: ticks every 10 minutes, on round
        // clock times.
        let start = 1_723_204_997 * Nanos::PER_SECOND;
        let axis = TimeAxis::spanning([Nanos(start), Nanos(start + 5_400 * Nanos::PER_SECOND)]).unwrap();
        let labels: Vec<String> = axis.ticks().iter().map(|&x| axis.label(x)).collect();
        assert_eq!(
            labels,
            [
                "12:10:00", "12:20:00", "12:30:00", "12:40:00", "12:50:00", "13:00:00", "13:10:00",
                "13:20:00", "13:30:00"
            ]
        );
        assert_eq!(axis.date(), "2024-08-09");
        assert_eq!(axis.x(Nanos(start)), 12.0 * 3600.0 + 197.0);
    }

    #[test]
    fn one_instant_gets_a_two_second_axis() {
        let axis = TimeAxis::spanning([Nanos(10 * Nanos::PER_SECOND + 500_000_000)]).unwrap();
        assert_eq!(axis.range(), (9.5, 11.5));
        let labels: Vec<String> = axis.ticks().iter().map(|&x| axis.label(x)).collect();
        assert_eq!(labels.first().map(String::as_str), Some("00:00:09.6"));
        assert_eq!(labels.last().map(String::as_str), Some("00:00:11.4"));
        assert_eq!(labels.len(), 10);
        assert!(TimeAxis::spanning([]).is_none());
    }

    #[test]
    fn value_ranges_pad_and_survive_degenerate_input() {
        let axis = ValueAxis::around([1.0, f64::NAN, 3.0, f64::INFINITY], &[]);
        assert_eq!((axis.low, axis.high), (0.9, 3.1));
        assert_eq!(axis.label(2.0), "2.0");
        let axis = ValueAxis::around([f64::NAN], &[]);
        assert_eq!((axis.low, axis.high), (0.0, 1.0));
        let axis = ValueAxis::around([60_000.0; 3], &[]);
        assert_eq!((axis.low, axis.high), (59_940.0, 60_060.0));
        let axis = ValueAxis::around([0.001, 0.002], &[0.0]);
        assert!(axis.low < 0.0 && axis.high > 0.002);
        assert_eq!(axis.label(-0.000_000_1), "0.0000");
    }
}
