//! Markouts: our own fills, marked against the mid a fixed horizon after them. See the
//! [module docs](super).

use super::{NANOS_PER_SEC, ToxicityConfig};
use crate::decay::{Decay, DecayedMean};
use feeds::{Lots, Nanos, Side, Ticks};

/// Largest markout ratio kept, in half-spreads; beyond it the inputs are nonsense.
const MAX_MARKOUT: f64 = 1e6;

/// One of our fills waiting for its horizon.
#[derive(Clone, Copy, Debug)]
struct PendingFill {
    /// When it is marked (clamped ns).
    due: i64,
    side: Side,
    /// Fill price, ticks.
    price: f64,
    /// Half-spread quoted, ticks (positive).
    half_spread: f64,
    /// Size, lots (positive): the markout's weight.
    qty: f64,
}

/// Our fills in a FIFO ring (due times never decrease, as the clock never does), and the
/// decayed mean of their markouts.
#[derive(Clone, Debug)]
pub(super) struct Markouts {
    horizon: i64,
    pending: Box<[PendingFill]>,
    /// Index of the oldest pending fill.
    head: usize,
    len: usize,
    pub(super) dropped: u64,
    pub(super) mean: DecayedMean,
}

impl Markouts {
    pub(super) fn new(config: &ToxicityConfig) -> Markouts {
        let empty = PendingFill { due: 0, side: Side::Bid, price: 0.0, half_spread: 1.0, qty: 0.0 };
        Markouts {
            horizon: (config.markout_horizon_s * NANOS_PER_SEC).round() as i64,
            pending: vec![empty; config.markout_capacity].into_boxed_slice(),
            head: 0,
            len: 0,
            dropped: 0,
            mean: DecayedMean::new(Decay::time_constant(config.markout_time_constant_s)),
        }
    }

    pub(super) fn on_fill(&mut self, now: i64, side: Side, price: Ticks, qty: Lots, half_spread: f64) {
        if !(half_spread > 0.0 && half_spread.is_finite() && qty.0 > 0) {
            return;
        }
        let capacity = self.pending.len();
        if self.len == capacity {
            self.head = (self.head + 1) % capacity;
            self.len -= 1;
            self.dropped += 1;
        }
        self.pending[(self.head + self.len) % capacity] = PendingFill {
            due: now + self.horizon,
            side,
            price: price.0 as f64,
            half_spread,
            qty: qty.0 as f64,
        };
        self.len += 1;
    }

    /// Marks every fill due by `now` against `mid`, the mid as of then.
    pub(super) fn mature(&mut self, now: i64, mid: Option<f64>) {
        while self.len > 0 && self.pending[self.head].due <= now {
            let fill = self.pending[self.head];
            self.head = (self.head + 1) % self.pending.len();
            self.len -= 1;
            match mid {
                Some(mid) => {
                    let adverse = match fill.side {
                        Side::Bid => fill.price - mid,
                        Side::Ask => mid - fill.price,
                    } / fill.half_spread;
                    self.mean.add_weighted(
                        Nanos(fill.due),
                        adverse.clamp(-MAX_MARKOUT, MAX_MARKOUT),
                        fill.qty,
                    );
                }
                None => self.dropped += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::scale::Scale;
    use crate::toxicity::test_support::{MS, SEC, only, raw, top};
    use crate::toxicity::{Toxicity, ToxicityComponent, ToxicityConfig};
    use feeds::{Lots, Nanos, Side, Ticks};

    #[test]
    fn markouts_are_adverse_when_the_mid_moves_through_our_fill() {
        let config = only(ToxicityComponent::Markout);
        // Mid 100 when we fill; 5 s later the mid is 98.
        let run = |side: Side, price: i64| {
            let mut toxicity = Toxicity::new(&config, Scale::default());
            toxicity.on_top(Nanos(SEC), &top(99, 1, 101, 1), 100.0);
            toxicity.on_own_fill(Nanos(SEC), side, Ticks(price), Lots(1), 2.0);
            toxicity.on_top(Nanos(3 * SEC), &top(97, 1, 99, 1), 98.0);
            // Not due yet at 5.9 s: undefined.
            toxicity.on_time(Nanos(5_900 * MS));
            assert!(raw(&toxicity, ToxicityComponent::Markout).is_nan());
            toxicity.on_time(Nanos(6_100 * MS));
            raw(&toxicity, ToxicityComponent::Markout)
        };
        // We bought at 99 (our bid), the mid fell to 98: (99 − 98) / 2 = +0.5 half-spreads lost.
        assert_eq!(run(Side::Bid, 99), 0.5);
        // We sold at 101 (our ask), the mid fell to 98: (98 − 101) / 2 = −1.5, we won.
        assert_eq!(run(Side::Ask, 101), -1.5);
    }

    #[test]
    fn a_markout_uses_the_mid_at_its_horizon_not_later() {
        let mut toxicity = Toxicity::new(&only(ToxicityComponent::Markout), Scale::default());
        toxicity.on_top(Nanos(SEC), &top(99, 1, 101, 1), 100.0);
        toxicity.on_own_fill(Nanos(SEC), Side::Bid, Ticks(99), Lots(1), 1.0);
        // The next event is long after the horizon and brings a new mid; the fill is marked
        // against the mid as of its horizon (100), before that event is applied.
        toxicity.on_time(Nanos(60 * SEC));
        toxicity.on_top(Nanos(60 * SEC), &top(50, 1, 52, 1), 51.0);
        toxicity.on_time(Nanos(61 * SEC));
        assert_eq!(raw(&toxicity, ToxicityComponent::Markout), -1.0);
    }

    #[test]
    fn pending_fills_overflow_by_dropping_the_oldest() {
        let config = ToxicityConfig { markout_capacity: 2, ..only(ToxicityComponent::Markout) };
        let mut toxicity = Toxicity::new(&config, Scale::default());
        toxicity.on_top(Nanos(SEC), &top(99, 1, 101, 1), 100.0);
        // Three fills, room for two: the first (a loss of 10 half-spreads) is dropped.
        toxicity.on_own_fill(Nanos(SEC), Side::Bid, Ticks(110), Lots(1), 1.0);
        toxicity.on_own_fill(Nanos(SEC), Side::Bid, Ticks(99), Lots(1), 1.0);
        toxicity.on_own_fill(Nanos(SEC), Side::Ask, Ticks(101), Lots(3), 1.0);
        assert_eq!(toxicity.dropped_fills(), 1);
        // Ignored: no size, no half-spread.
        toxicity.on_own_fill(Nanos(SEC), Side::Bid, Ticks(99), Lots(0), 1.0);
        toxicity.on_own_fill(Nanos(SEC), Side::Bid, Ticks(99), Lots(1), f64::NAN);
        toxicity.on_time(Nanos(7 * SEC));
        // Both kept fills earned a half-spread: −1, weighted 1 and 3.
        assert_eq!(raw(&toxicity, ToxicityComponent::Markout), -1.0);
        assert_eq!(toxicity.dropped_fills(), 1);
        // A fill that matures with no top ever seen cannot be marked: dropped.
        let mut blind = Toxicity::new(&config, Scale::default());
        blind.on_own_fill(Nanos(SEC), Side::Bid, Ticks(99), Lots(1), 1.0);
        blind.on_time(Nanos(7 * SEC));
        assert_eq!(blind.dropped_fills(), 1);
        assert!(raw(&blind, ToxicityComponent::Markout).is_nan());
    }
}
