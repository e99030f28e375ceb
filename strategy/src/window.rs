//! [`TrailingWindow`]: the last N samples of a quantity, for causal percentiles.
//!
//! Signals that have no natural scale (bps moved per $1M traded, levels eaten per burst, a
//! flow imbalance) are turned into "how unusual is this" by ranking the current value against
//! the quantity's own trailing history. Ranking is causal: a value is ranked against the
//! samples before it ([`TrailingWindow::rank`] first, then [`TrailingWindow::push`]), never
//! against itself or anything later.
//!
//! Storage is two fixed arrays allocated at construction; `push` and `rank` are `O(1)` and
//! `O(N)` with no allocation, [`TrailingWindow::quantile`] is an `O(N)` selection in the second
//! array. N of a few hundred to a few thousand keeps a rank well under a microsecond.

/// The last `capacity` finite samples of a quantity, oldest overwritten first.
#[derive(Clone, Debug)]
pub struct TrailingWindow {
    values: Box<[f64]>,
    scratch: Box<[f64]>,
    len: usize,
    next: usize,
}

impl TrailingWindow {
    /// An empty window of `capacity` samples (at least 1).
    pub fn new(capacity: usize) -> TrailingWindow {
        let capacity = capacity.max(1);
        TrailingWindow {
            values: vec![0.0; capacity].into_boxed_slice(),
            scratch: vec![0.0; capacity].into_boxed_slice(),
            len: 0,
            next: 0,
        }
    }

    /// Appends a sample, dropping the oldest when full. Non-finite samples are ignored.
    #[inline]
    pub fn push(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.values[self.next] = x;
        self.next = (self.next + 1) % self.values.len();
        self.len = (self.len + 1).min(self.values.len());
    }

    /// Samples held.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True before the first sample.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Capacity in samples.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.values.len()
    }

    /// The mid-rank percentile of `x` among the samples held, in `[0, 1]`:
    /// `(#below + #equal / 2) / len`. `None` while fewer than `min_samples` are held (or `x` is
    /// not finite): too little history to call anything unusual.
    #[inline]
    pub fn rank(&self, x: f64, min_samples: usize) -> Option<f64> {
        if self.len < min_samples.max(1) || !x.is_finite() {
            return None;
        }
        let (mut below, mut equal) = (0_usize, 0_usize);
        for &value in &self.values[..self.len] {
            below += usize::from(value < x);
            equal += usize::from(value == x);
        }
        Some((below as f64 + equal as f64 / 2.0) / self.len as f64)
    }

    /// The `q`-quantile (`q` in `[0, 1]`, nearest rank) of the samples held; `None` when empty.
    pub fn quantile(&mut self, q: f64) -> Option<f64> {
        if self.len == 0 || !q.is_finite() {
            return None;
        }
        let scratch = &mut self.scratch[..self.len];
        scratch.copy_from_slice(&self.values[..self.len]);
        let index = ((q.clamp(0.0, 1.0) * self.len as f64).ceil() as usize).clamp(1, self.len) - 1;
        let (_, value, _) = scratch.select_nth_unstable_by(index, f64::total_cmp);
        Some(*value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_against_the_history_only() {
        let mut window = TrailingWindow::new(4);
        assert_eq!(window.rank(1.0, 1), None);
        for x in [1.0, 2.0, 3.0, 4.0] {
            window.push(x);
        }
        assert_eq!(window.rank(0.0, 1), Some(0.0));
        assert_eq!(window.rank(5.0, 1), Some(1.0));
        assert_eq!(window.rank(2.5, 1), Some(0.5));
        // Ties count half: 3.0 is above 1 and 2, equal to one.
        assert_eq!(window.rank(3.0, 1), Some(0.625));
        assert_eq!(window.rank(3.0, 5), None, "not enough history");
        // The oldest (1.0) goes first.
        window.push(10.0);
        assert_eq!(window.len(), 4);
        assert_eq!(window.rank(1.5, 1), Some(0.0));
        window.push(f64::NAN);
        assert_eq!(window.len(), 4);
    }

    #[test]
    fn quantiles_by_nearest_rank() {
        let mut window = TrailingWindow::new(100);
        assert_eq!(window.quantile(0.5), None);
        for x in (1..=100).rev() {
            window.push(f64::from(x));
        }
        assert_eq!(window.quantile(0.99), Some(99.0));
        assert_eq!(window.quantile(0.5), Some(50.0));
        assert_eq!(window.quantile(0.0), Some(1.0));
        assert_eq!(window.quantile(1.0), Some(100.0));
        // The stored order is untouched by a quantile.
        assert_eq!(window.rank(50.5, 1), Some(0.5));
    }
}
