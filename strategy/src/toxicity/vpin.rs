//! VPIN: the buy–sell imbalance over equal-notional buckets, with exact aggressor sides. See
//! the [module docs](super).

use feeds::Side;

/// Equal-notional buckets of buy and sell aggressive flow.
#[derive(Clone, Debug)]
pub(super) struct Vpin {
    /// `V`, quote currency per bucket.
    bucket_notional: f64,
    /// Buy (`Bid` aggressor) and sell notional of the open bucket; `buy + sell < V`.
    buy: f64,
    sell: f64,
    /// `|V^B − V^S|` of the last completed buckets (ring).
    imbalances: Box<[f64]>,
    next: usize,
    completed: usize,
}

impl Vpin {
    pub(super) fn new(bucket_notional: f64, buckets: usize) -> Vpin {
        Vpin {
            bucket_notional,
            buy: 0.0,
            sell: 0.0,
            imbalances: vec![0.0; buckets].into_boxed_slice(),
            next: 0,
            completed: 0,
        }
    }

    /// Adds a print's notional on its aggressor's side, closing every bucket it fills.
    pub(super) fn on_trade(&mut self, aggressor: Side, notional: f64) {
        if !(notional > 0.0 && notional.is_finite()) {
            return;
        }
        let capacity = self.imbalances.len();
        let mut rest = notional;
        let mut closed = 0;
        loop {
            let room = self.bucket_notional - (self.buy + self.sell);
            if rest < room {
                self.add(aggressor, rest);
                return;
            }
            self.add(aggressor, room);
            self.close();
            rest -= room;
            closed += 1;
            if closed > capacity {
                // Every bucket of the window is now this print's; what is left over only
                // decides the open bucket (approximately, for a print this large).
                let tail = rest % self.bucket_notional;
                if tail.is_finite() && tail < self.bucket_notional {
                    self.add(aggressor, tail);
                }
                return;
            }
        }
    }

    #[inline]
    fn add(&mut self, side: Side, notional: f64) {
        match side {
            Side::Bid => self.buy += notional,
            Side::Ask => self.sell += notional,
        }
    }

    fn close(&mut self) {
        self.imbalances[self.next] = (self.buy - self.sell).abs().min(self.bucket_notional);
        self.next = (self.next + 1) % self.imbalances.len();
        self.completed = self.completed.saturating_add(1);
        self.buy = 0.0;
        self.sell = 0.0;
    }

    /// `Σ |V^B − V^S| / (n V)` over the last `n` buckets; `NaN` until `n` have completed.
    pub(super) fn value(&self) -> f64 {
        let buckets = self.imbalances.len();
        if self.completed < buckets {
            return f64::NAN;
        }
        let imbalance: f64 = self.imbalances.iter().sum();
        (imbalance / (buckets as f64 * self.bucket_notional)).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scale::Scale;
    use crate::toxicity::test_support::{MS, SEC, only, raw, trade};
    use crate::toxicity::{Toxicity, ToxicityComponent, ToxicityConfig};
    use feeds::Nanos;

    #[test]
    fn vpin_splits_prints_at_bucket_boundaries() {
        let mut vpin = Vpin::new(100.0, 3);
        // Buy 60, then sell 70: the first bucket closes at buy 60 / sell 40 (|imbalance| 20) and
        // the next opens with sell 30.
        vpin.on_trade(Side::Bid, 60.0);
        vpin.on_trade(Side::Ask, 70.0);
        assert_eq!((vpin.completed, vpin.imbalances[0], vpin.sell), (1, 20.0, 30.0));
        // Buy 250: closes bucket 2 at sell 30 / buy 70 (40), fills bucket 3 with buy 100 (100),
        // and leaves buy 80 in the open bucket.
        vpin.on_trade(Side::Bid, 250.0);
        assert_eq!(vpin.completed, 3);
        assert_eq!(&vpin.imbalances[..], &[20.0, 40.0, 100.0]);
        assert_eq!((vpin.buy, vpin.sell), (80.0, 0.0));
        assert!((vpin.value() - 160.0 / 300.0).abs() < 1e-12);
        // Sell 20 closes the fourth bucket exactly (buy 80 / sell 20: 60); the oldest (20) goes.
        vpin.on_trade(Side::Ask, 20.0);
        assert!((vpin.value() - (40.0 + 100.0 + 60.0) / 300.0).abs() < 1e-12);
        assert_eq!((vpin.buy, vpin.sell), (0.0, 0.0));
    }

    #[test]
    fn vpin_needs_a_full_window_and_survives_absurd_prints() {
        let mut vpin = Vpin::new(100.0, 3);
        vpin.on_trade(Side::Bid, 250.0);
        assert!(vpin.value().is_nan(), "two buckets of three");
        for notional in [f64::NAN, f64::INFINITY, -5.0, 0.0] {
            vpin.on_trade(Side::Ask, notional);
        }
        assert_eq!((vpin.completed, vpin.buy), (2, 50.0));
        // A print of 10³⁰ fills the window (and stops there) on one side: VPIN 1.
        vpin.on_trade(Side::Ask, 1e30);
        assert_eq!(vpin.value(), 1.0);
        assert!(vpin.buy + vpin.sell < 100.0);
    }

    #[test]
    fn vpin_through_the_estimator_uses_trade_notional_and_aggressor() {
        let config = ToxicityConfig {
            vpin_bucket_notional: 1_000.0,
            vpin_buckets: 2,
            ..only(ToxicityComponent::Vpin)
        };
        // Tick 0.5 quote, lot 2 base: 100 ticks × 5 lots = 50 × 10 = 500 quote.
        let mut toxicity = Toxicity::new(&config, Scale { tick: 0.5, lot: 2.0 });
        for (n, side) in [Side::Bid, Side::Bid, Side::Bid, Side::Ask].into_iter().enumerate() {
            toxicity.on_trade(Nanos(SEC + n as i64 * MS), &trade(100, 5, side));
        }
        toxicity.on_time(Nanos(2 * SEC));
        // Buckets: (buy 1000) and (buy 500, sell 500): (1000 + 0) / 2000.
        assert_eq!(raw(&toxicity, ToxicityComponent::Vpin), 0.5);
    }
}
