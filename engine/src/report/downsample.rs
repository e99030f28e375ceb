//! Thinning long series to what a plot can show, without losing what matters.
//!
//! - [`min_max`]: a line of `(x, y)` points cut to at most a few points per pixel column: the
//!   lowest and highest of each column (in time order), so a one-sample spike still reaches its
//!   extreme, plus gap markers so a line that broke inside a column still breaks.
//! - [`segments`]: splits a thinned line at its gaps into the polylines to draw.
//!
//! Min–max per column was chosen over every-n-th sampling (which drops spikes) and over
//! Largest-Triangle-Three-Buckets (which keeps shape but not guaranteed extremes): a risk
//! report must show the worst inventory and drawdown exactly.

/// A y value that marks a gap: the line breaks here.
pub(crate) const GAP: f64 = f64::NAN;

/// The points of a line thinned to at most five per column of `columns` equal columns over
/// `x_range`: per column, a gap marker if its first point is a gap, its lowest and highest
/// finite points in x order (a gap between them if one occurred there), and a gap marker if its
/// last point is a gap. A line with at most two points per column comes back unchanged.
///
/// `points` must be in x order; a non-finite y is a gap (NaN, or an infinity that cannot be
/// drawn). Gap markers in the result have y = [`GAP`].
pub(crate) fn min_max(points: &[(f64, f64)], x_range: (f64, f64), columns: usize) -> Vec<(f64, f64)> {
    if points.len() <= 2 * columns || columns == 0 {
        return points.iter().map(|&(x, y)| (x, if y.is_finite() { y } else { GAP })).collect();
    }
    let (x0, x1) = x_range;
    let width = (x1 - x0).max(f64::MIN_POSITIVE);
    let column_of = |x: f64| (((x - x0) / width * columns as f64).floor().max(0.0) as usize).min(columns - 1);
    let mut out = Vec::with_capacity(4 * columns);
    let mut current: Option<(usize, Column)> = None;
    for &(x, y) in points {
        let index = column_of(x);
        match &mut current {
            Some((column_index, column)) if *column_index == index => column.add(x, y),
            _ => {
                if let Some((_, column)) = current.take() {
                    column.flush(&mut out);
                }
                let mut column = Column::default();
                column.add(x, y);
                current = Some((index, column));
            }
        }
    }
    if let Some((_, column)) = current {
        column.flush(&mut out);
    }
    out
}

/// The runs of finite points between gaps, each in x order.
pub(crate) fn segments(points: &[(f64, f64)]) -> Vec<&[(f64, f64)]> {
    points.split(|&(x, y)| !x.is_finite() || !y.is_finite()).filter(|run| !run.is_empty()).collect()
}

/// What one pixel column of a line keeps.
#[derive(Default)]
struct Column {
    /// The x of its first point, and whether that point was a gap.
    first: Option<(f64, bool)>,
    /// The x of its last point, and whether that point was a gap.
    last: Option<(f64, bool)>,
    /// Lowest finite point; the earliest on ties.
    low: Option<(f64, f64)>,
    /// Highest finite point; the earliest on ties.
    high: Option<(f64, f64)>,
    /// A gap came after some finite point (it may be the column's last point).
    gap_after_finite: bool,
}

impl Column {
    fn add(&mut self, x: f64, y: f64) {
        let is_gap = !y.is_finite();
        self.first.get_or_insert((x, is_gap));
        self.last = Some((x, is_gap));
        if is_gap {
            self.gap_after_finite |= self.low.is_some();
            return;
        }
        if self.low.is_none_or(|(_, low)| y < low) {
            self.low = Some((x, y));
        }
        if self.high.is_none_or(|(_, high)| y > high) {
            self.high = Some((x, y));
        }
    }

    fn flush(self, out: &mut Vec<(f64, f64)>) {
        let push_gap = |out: &mut Vec<(f64, f64)>, x: f64| {
            if out.last().is_some_and(|&(_, y)| !y.is_finite()) {
                return;
            }
            out.push((x, GAP));
        };
        let (Some((first_x, first_gap)), Some((last_x, last_gap))) = (self.first, self.last) else {
            return;
        };
        if first_gap {
            push_gap(out, first_x);
        }
        if let (Some(low), Some(high)) = (self.low, self.high) {
            let (early, late) = if low.0 <= high.0 { (low, high) } else { (high, low) };
            out.push(early);
            if late != early {
                // The gap inside the column is placed between the extremes: where exactly it
                // fell is below the resolution of one pixel.
                let inner_gap = self.gap_after_finite && !last_gap;
                if inner_gap {
                    push_gap(out, early.0);
                }
                out.push(late);
            }
        }
        if last_gap {
            push_gap(out, last_x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_pass_through_with_gaps_normalised() {
        let points = [(0.0, 1.0), (1.0, f64::INFINITY), (2.0, 3.0)];
        let thinned = min_max(&points, (0.0, 2.0), 10);
        assert_eq!(thinned.len(), 3);
        assert!(thinned[1].1.is_nan());
        assert_eq!(segments(&thinned), vec![&[(0.0, 1.0)][..], &[(2.0, 3.0)][..]]);
    }

    #[test]
    fn extremes_survive_thinning() {
        // 100 000 points of a gentle wave with one spike up and one spike down, thinned to 100
        // columns: the spikes are single samples, far from any column edge.
        let mut points: Vec<(f64, f64)> =
            (0..100_000).map(|i| (f64::from(i), (f64::from(i) / 5_000.0).sin())).collect();
        points[12_345].1 = 50.0;
        points[67_891].1 = -70.0;
        let thinned = min_max(&points, (0.0, 99_999.0), 100);
        assert!(thinned.len() <= 5 * 100, "{} points", thinned.len());
        let finite = || thinned.iter().filter(|p| p.1.is_finite());
        assert!(finite().any(|&p| p == (12_345.0, 50.0)));
        assert!(finite().any(|&p| p == (67_891.0, -70.0)));
        // Every kept point is an original one, in x order.
        assert!(thinned.windows(2).all(|pair| pair[0].0 <= pair[1].0));
        assert!(finite().all(|&(x, y)| points[x as usize].1 == y));
    }

    #[test]
    fn gaps_survive_thinning() {
        // A line that is missing for points 40 000..60 000 of 100 000: thinned to 100 columns it
        // still breaks into exactly two segments, the gap edges within one column.
        let points: Vec<(f64, f64)> = (0..100_000)
            .map(|i| (f64::from(i), if (40_000..60_000).contains(&i) { f64::NAN } else { 1.0 }))
            .collect();
        let thinned = min_max(&points, (0.0, 99_999.0), 100);
        let runs = segments(&thinned);
        assert_eq!(runs.len(), 2);
        assert!(runs[0].last().unwrap().0 >= 39_000.0 && runs[0].last().unwrap().0 < 40_000.0);
        assert!(runs[1][0].0 >= 60_000.0 && runs[1][0].0 < 61_000.0);
    }

    #[test]
    fn all_gaps_and_empty_lines_draw_nothing() {
        let points = vec![(0.0, f64::NAN); 10_000];
        assert!(segments(&min_max(&points, (0.0, 0.0), 50)).is_empty());
        assert!(min_max(&[], (0.0, 1.0), 50).is_empty());
    }
}
