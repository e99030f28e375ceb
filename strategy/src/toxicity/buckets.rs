//! The ring of time buckets behind two components: crossing (aggressive notional and the
//! microprice at each interval's start) and order-flow imbalance (`Σ e_n` and depth per
//! interval), with the Cont–Kukanov–Stoikov `e_n` itself. See the [module docs](super).

use crate::signals::TopOfBook;

/// Basis points in one.
const BPS: f64 = 10_000.0;

/// Cont–Kukanov–Stoikov `e_n`, the order flow of the change from `previous` to `next` (lots;
/// positive is buying pressure).
#[inline]
pub(super) fn order_flow(previous: &TopOfBook, next: &TopOfBook) -> f64 {
    let (bid, bid_before) = (next.bid_qty.0 as f64, previous.bid_qty.0 as f64);
    let (ask, ask_before) = (next.ask_qty.0 as f64, previous.ask_qty.0 as f64);
    let mut flow = 0.0;
    if next.bid >= previous.bid {
        flow += bid;
    }
    if next.bid <= previous.bid {
        flow -= bid_before;
    }
    if next.ask <= previous.ask {
        flow -= ask;
    }
    if next.ask >= previous.ask {
        flow += ask_before;
    }
    flow
}

/// What happened in one grid interval.
#[derive(Clone, Copy, Debug)]
pub(super) struct Bucket {
    /// The grid interval this bucket holds (`time / interval`); `i64::MIN` when unused.
    slot: i64,
    /// The microprice when the interval began (ticks); `NaN` if none was known.
    open_price: f64,
    /// Aggressive notional of the bursts reported in the interval.
    pub(super) notional: f64,
    /// `Σ e_n` of the tops in the interval.
    pub(super) order_flow: f64,
    /// `Σ (q^b + q^a) / 2` of the tops in the interval.
    pub(super) depth: f64,
    /// Tops in the interval.
    pub(super) tops: u32,
}

impl Bucket {
    const UNUSED: Bucket =
        Bucket { slot: i64::MIN, open_price: f64::NAN, notional: 0.0, order_flow: 0.0, depth: 0.0, tops: 0 };
}

/// A ring of the last grid intervals, one longer than the longest window so that the bucket
/// a window starts at is never the one being filled.
///
/// Invariant: `buckets[s mod len].slot == s` for every slot `s` of the last `len` that has been
/// entered since the first input.
#[derive(Clone, Debug)]
pub(super) struct Buckets {
    buckets: Box<[Bucket]>,
    crossing_slots: usize,
    ofi_slots: usize,
}

impl Buckets {
    pub(super) fn new(crossing_slots: usize, ofi_slots: usize) -> Buckets {
        let len = crossing_slots.max(ofi_slots) + 1;
        Buckets { buckets: vec![Bucket::UNUSED; len].into_boxed_slice(), crossing_slots, ofi_slots }
    }

    #[inline]
    fn index(&self, slot: i64) -> usize {
        slot.rem_euclid(self.buckets.len() as i64) as usize
    }

    /// Opens every slot after `from` up to `to` (only the last `len` of them: older ones would
    /// be overwritten at once), each starting at `price`: no event happened in between.
    pub(super) fn rotate_to(&mut self, from: Option<i64>, to: i64, price: f64) {
        let len = self.buckets.len() as i64;
        let first = match from {
            Some(from) => (from + 1).max(to - len + 1),
            None => to,
        };
        for slot in first..=to {
            let index = self.index(slot);
            self.buckets[index] = Bucket { slot, open_price: price, ..Bucket::UNUSED };
        }
    }

    /// The bucket of `slot`, if it is held.
    #[inline]
    fn get(&self, slot: i64) -> Option<&Bucket> {
        let bucket = &self.buckets[self.index(slot)];
        (bucket.slot == slot).then_some(bucket)
    }

    /// The bucket being filled (of the clock's slot, which `rotate_to` has opened).
    #[inline]
    pub(super) fn current(&mut self, slot: i64) -> &mut Bucket {
        let index = self.index(slot);
        debug_assert_eq!(self.buckets[index].slot, slot);
        &mut self.buckets[index]
    }

    /// `Σ field` over the `window` slots before `slot` (`slot − window ..= slot − 1`).
    #[inline]
    fn sum(&self, slot: i64, window: usize, field: impl Fn(&Bucket) -> f64) -> f64 {
        (1..=window as i64).filter_map(|back| self.get(slot - back)).map(field).sum()
    }

    /// Crossing at the start of `slot` (the current slot), with `microprice` the latest one:
    /// bps moved per $1M over the last `crossing_window_s`, the notional floored at
    /// `min_notional`.
    pub(super) fn crossing(&self, slot: i64, microprice: f64, min_notional: f64) -> f64 {
        let window = self.crossing_slots;
        let Some(start) = self.get(slot - window as i64) else { return f64::NAN };
        let (from, to) = (start.open_price, microprice);
        if !(from > 0.0 && from.is_finite() && to.is_finite()) {
            return f64::NAN;
        }
        let moved_bps = (to - from).abs() / from * BPS;
        let notional = self.sum(slot, window, |bucket| bucket.notional);
        moved_bps / (notional.max(min_notional) / 1e6)
    }

    /// `|Σ e_n| / D̄` over the last `ofi_window_s` before `slot` (the current slot).
    pub(super) fn order_flow_imbalance(&self, slot: i64) -> f64 {
        let window = self.ofi_slots;
        let tops = self.sum(slot, window, |bucket| bucket.tops as f64);
        let depth = self.sum(slot, window, |bucket| bucket.depth);
        if !(tops > 0.0 && depth > 0.0) {
            return f64::NAN;
        }
        let order_flow = self.sum(slot, window, |bucket| bucket.order_flow);
        order_flow.abs() / (depth / tops)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scale::Scale;
    use crate::toxicity::test_support::{MS, SEC, burst, only, raw, top};
    use crate::toxicity::{Toxicity, ToxicityComponent, ToxicityConfig};
    use feeds::Nanos;

    #[test]
    fn cks_order_flow_in_each_case() {
        // Start: bid 100 × 5, ask 102 × 7.
        let before = top(100, 5, 102, 7);
        // Bid price up: the new bid queue is all fresh buying interest, +q^b_n = +3. The ask is
        // unchanged in price, so its size change counts: −(q^a_n − q^a_{n−1}) = 0.
        assert_eq!(order_flow(&before, &top(101, 3, 102, 7)), 3.0);
        // Bid price unchanged: the size change, 8 − 5 = +3.
        assert_eq!(order_flow(&before, &top(100, 8, 102, 7)), 3.0);
        // Bid price down: the old bid queue was consumed or cancelled, −q^b_{n−1} = −5.
        assert_eq!(order_flow(&before, &top(99, 9, 102, 7)), -5.0);
        // Ask price down: new selling interest, −q^a_n = −4.
        assert_eq!(order_flow(&before, &top(100, 5, 101, 4)), -4.0);
        // Ask price unchanged, size 7 → 2: sellers withdrew, −(2 − 7) = +5.
        assert_eq!(order_flow(&before, &top(100, 5, 102, 2)), 5.0);
        // Ask price up: the old ask queue was lifted, +q^a_{n−1} = +7.
        assert_eq!(order_flow(&before, &top(100, 5, 103, 1)), 7.0);
        // Both at once add up: bid up (+3) and ask up (+7).
        assert_eq!(order_flow(&before, &top(101, 3, 103, 1)), 10.0);
    }

    #[test]
    fn ofi_is_the_absolute_flow_over_the_mean_depth_in_its_window() {
        let mut toxicity = Toxicity::new(&only(ToxicityComponent::OrderFlowImbalance), Scale::default());
        let tops = [top(100, 4, 102, 4), top(101, 2, 102, 4), top(101, 2, 102, 1), top(100, 6, 102, 1)];
        // e: none, +2 (bid up), +3 (ask size 4 → 1), −2 (bid down). Σ = 3.
        // Depths (q^b + q^a)/2: 4, 3, 1.5, 3.5 → mean 3.
        for (n, top) in tops.iter().enumerate() {
            let time = Nanos(SEC + n as i64 * 10 * MS);
            toxicity.on_time(time);
            toxicity.on_top(time, top, top.microprice());
        }
        toxicity.on_time(Nanos(SEC + 100 * MS));
        assert_eq!(raw(&toxicity, ToxicityComponent::OrderFlowImbalance), 1.0);
        // Ten seconds later the window holds none of them: undefined.
        toxicity.on_time(Nanos(SEC + 10_100 * MS + 1));
        assert!(raw(&toxicity, ToxicityComponent::OrderFlowImbalance).is_nan());
        // Zero depth (impossible in a trusted book) leaves it undefined rather than infinite.
        toxicity.on_top(Nanos(11 * SEC), &top(100, 0, 102, 0), 101.0);
        toxicity.on_time(Nanos(12 * SEC));
        assert!(raw(&toxicity, ToxicityComponent::OrderFlowImbalance).is_nan());
    }

    #[test]
    fn crossing_is_bps_moved_per_million_of_aggression() {
        let config = ToxicityConfig { crossing_min_notional: 1.0, ..only(ToxicityComponent::Crossing) };
        let mut toxicity = Toxicity::new(&config, Scale::default());
        toxicity.on_top(Nanos(SEC), &top(9_999, 1, 10_001, 1), 10_000.0);
        // No price at the start of the window yet (the first bucket opened without one).
        toxicity.on_time(Nanos(1_100 * MS));
        assert!(raw(&toxicity, ToxicityComponent::Crossing).is_nan());
        // Bursts worth $2M, and the microprice moves 10 bps, within 5 s.
        toxicity.on_burst(&burst(2 * SEC, 1, 1.5e6));
        toxicity.on_burst(&burst(3 * SEC, 2, 0.5e6));
        toxicity.on_top(Nanos(4 * SEC), &top(10_009, 1, 10_011, 1), 10_010.0);
        // At 6.1 s the window [1.1 s, 6.1 s) opened at 10 000: 10 bps / $2M = 5.
        toxicity.on_time(Nanos(6_100 * MS + 1));
        assert!((raw(&toxicity, ToxicityComponent::Crossing) - 5.0).abs() < 1e-9);
        // Five seconds on, no more flow and no move: zero.
        toxicity.on_time(Nanos(11_100 * MS + 1));
        assert_eq!(raw(&toxicity, ToxicityComponent::Crossing), 0.0);
        // A move with no aggression is divided by the floor: 10 bps / $1 (10⁻⁶ M).
        toxicity.on_top(Nanos(12 * SEC), &top(10_019, 1, 10_021, 1), 10_020.0);
        toxicity.on_time(Nanos(12_100 * MS + 1));
        let bps = 10.0 / 10_010.0 * BPS;
        assert!((raw(&toxicity, ToxicityComponent::Crossing) - bps / 1e-6).abs() < 1e-3);
    }
}
