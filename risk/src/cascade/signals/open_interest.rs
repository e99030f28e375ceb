//! Open interest: [`OpenInterestTrack`], a ring of samples of open interest and price, gives the
//! [`CascadeSignal::OpenInterest`] reading.
//!
//! Defaults in parentheses.
//!
//! From the open-interest events, a ring of samples `(t, OI, p)` spaced
//! `oi_long_window_s / 96` apart, and the relative change over `oi_short_window_s` (300) and
//! `oi_long_window_s` (900): `ΔOI/OI = OI(t)/OI(t − W) − 1` against the newest sample at least
//! `W` old (the oldest one while fewer than `W` seconds have been watched; samples taken before
//! any price is known are not kept). Falling open interest is positions closing; it is the loop
//! only when price moves with it: down for a long unwind (longs sell and are liquidated), up
//! for a short squeeze (shorts buy back). So the stress of a window is the mapping of
//! `ΔOI/OI` (calm 0, warn `−oi_warn` (−2 %), cascade
//! `−oi_cascade` (−5 %)) times a price gate `min(1, |Δp/p| / oi_min_price_move)` (0.3 %) over
//! the same window; rising open interest, or a flat price, is no stress. The reading is the
//! more stressed window; its value is that window's `ΔOI/OI`. The price is the mark price once
//! a mark has been seen (liquidations are triggered on the mark), else the last mid or trade.
//!
//! [`CascadeSignal::OpenInterest`]: crate::cascade::CascadeSignal::OpenInterest

use feeds::Nanos;

use super::config::SignalsConfig;
use super::fresh;
use super::stress::stress;
use super::units::nanos;
use crate::cascade::SignalReading;

/// Open-interest samples kept; they are spaced `oi_long_window_s / OI_SPACING_DIVISOR` apart.
const OI_RING: usize = 128;

/// See [`OI_RING`]: 96 spacings span the long window with a third of the ring to spare.
const OI_SPACING_DIVISOR: f64 = 96.0;

/// One open-interest sample.
#[derive(Clone, Copy, Debug)]
struct OiSample {
    time: Nanos,
    open_interest: f64,
    /// The reference price at the time (NaN if none).
    price: f64,
}

/// A ring of open-interest samples.
#[derive(Clone, Debug)]
pub(super) struct OpenInterestTrack {
    ring: [OiSample; OI_RING],
    /// Next write position.
    head: usize,
    len: usize,
    latest: Option<OiSample>,
    spacing: i64,
}

impl OpenInterestTrack {
    pub(super) fn new(config: &SignalsConfig) -> OpenInterestTrack {
        let empty = OiSample { time: Nanos(0), open_interest: f64::NAN, price: f64::NAN };
        OpenInterestTrack {
            ring: [empty; OI_RING],
            head: 0,
            len: 0,
            latest: None,
            spacing: nanos(config.oi_long_window_s / OI_SPACING_DIVISOR),
        }
    }

    fn newest(&self) -> Option<&OiSample> {
        (self.len > 0).then(|| &self.ring[(self.head + OI_RING - 1) % OI_RING])
    }

    pub(super) fn on_open_interest(&mut self, time: Nanos, open_interest: f64, price: f64) {
        if !(open_interest > 0.0 && open_interest.is_finite()) {
            return;
        }
        let sample = OiSample { time, open_interest, price };
        self.latest = Some(sample);
        // A sample without a price could never show the price moving: it is not kept.
        let spaced = self.newest().is_none_or(|newest| time.saturating_since(newest.time) >= self.spacing);
        if price.is_finite() && spaced {
            self.ring[self.head] = sample;
            self.head = (self.head + 1) % OI_RING;
            self.len = (self.len + 1).min(OI_RING);
        }
    }

    /// `(ΔOI/OI, Δp/p)` from the newest sample at least `window` old at `now` (the oldest
    /// held, if none is; the latest, with no change, if none is held) to the latest sample and
    /// the price `price_now`.
    fn change(&self, now: Nanos, window: i64, price_now: f64) -> Option<(f64, f64)> {
        let latest = self.latest?;
        let cutoff = now.0.saturating_sub(window);
        let oldest = (self.head + OI_RING - self.len) % OI_RING;
        let mut reference = self.ring[oldest];
        for offset in 0..self.len {
            let sample = self.ring[(oldest + offset) % OI_RING];
            if sample.time.0 <= cutoff {
                reference = sample;
            } else {
                break;
            }
        }
        if self.len == 0 {
            reference = latest;
        }
        let open_interest = latest.open_interest / reference.open_interest - 1.0;
        let price = price_now / reference.price - 1.0;
        Some((open_interest, price))
    }

    /// The [`OpenInterest`](crate::cascade::CascadeSignal::OpenInterest) reading at `now`,
    /// against the reference price `price` (ticks); `None` before the first sample or once the latest is
    /// older than `max_age_s`.
    pub(super) fn reading(&self, now: Nanos, price: f64, config: &SignalsConfig) -> Option<SignalReading> {
        let latest = self.latest?;
        if !fresh(latest.time, now, config) {
            return None;
        }
        let window = |seconds: f64| {
            let (open_interest, moved) = self.change(now, nanos(seconds), price)?;
            let gate =
                if moved.is_finite() { (moved.abs() / config.oi_min_price_move).min(1.0) } else { 0.0 };
            let level = stress(open_interest, 0.0, -config.oi_warn, -config.oi_cascade) * gate;
            Some((open_interest, level))
        };
        let short = window(config.oi_short_window_s).unwrap_or((0.0, 0.0));
        let long = window(config.oi_long_window_s).unwrap_or((0.0, 0.0));
        let (value, level) = if long.1 > short.1 { long } else { short };
        Some(SignalReading { value, stress: level, known: true })
    }
}

#[cfg(test)]
mod tests {
    use crate::cascade::CascadeSignal;
    use crate::cascade::signals::test_support::*;

    #[test]
    fn falling_open_interest_is_stress_only_with_the_price_moving() {
        // Synthetic: open interest every 10 s and trades at the same times, 10 minutes flat at
        // 80 000 BTC and 60 000 USDT; then over 5 minutes a fall of `oi` (fraction) with the
        // price moving by `price` (fraction).
        let run = |oi: f64, price: f64| {
            let mut signals = signals();
            for k in 0..=90 {
                let seconds = 10.0 * f64::from(k);
                let progress = ((seconds - 600.0) / 300.0).clamp(0.0, 1.0);
                signals.on_event(&trade(seconds, 60_000.0 * (1.0 + price * progress)));
                signals.on_event(&open_interest(seconds, 80_000.0 * (1.0 - oi * progress)));
            }
            reading(&mut signals, 900.0, CascadeSignal::OpenInterest)
        };
        // Flat: known, no stress.
        let flat = run(0.0, 0.0);
        assert!(flat.known);
        assert_eq!((flat.value, flat.stress), (0.0, 0.0));
        // −3 % with the price down 1 %: past warn (−2 %), a third of the way to cascade (−5 %).
        let unwind = run(0.03, -0.01);
        close(unwind.value, -0.03, 1e-9);
        close(unwind.stress, 0.5 + 0.5 / 3.0, 1e-9);
        // The same with the price up 1 %: a short squeeze, the same stress.
        close(run(0.03, 0.01).stress, 0.5 + 0.5 / 3.0, 1e-9);
        // The price moving only 0.15 %, half of `oi_min_price_move`: half the stress.
        close(run(0.03, -0.0015).stress, (0.5 + 0.5 / 3.0) / 2.0, 1e-9);
        // Flat price: deleveraging, not a cascade. Rising open interest: no stress.
        assert_eq!(run(0.03, 0.0).stress, 0.0);
        assert_eq!(run(-0.05, -0.01).stress, 0.0);
        // −6 % and −2 %: past cascade.
        assert_eq!(run(0.06, -0.02).stress, 1.0);
    }

    #[test]
    fn open_interest_goes_unknown_when_it_stops() {
        let mut signals = signals();
        signals.on_event(&open_interest(0.0, 80_000.0));
        // Zero open interest is nonsense and ignored.
        signals.on_event(&open_interest(10.0, 0.0));
        assert!(reading(&mut signals, 299.0, CascadeSignal::OpenInterest).known);
        assert!(!reading(&mut signals, 301.0, CascadeSignal::OpenInterest).known);
    }
}
