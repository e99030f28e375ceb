//! Queue position of one resting order: how much displayed quantity is ahead of it, and how
//! prints and depth changes at its price move it up.
//!
//! - [`QueueModel`]: the configured model ([`risk_averse`](QueueModel::RiskAverse) or
//!   [`probabilistic`](QueueModel::Probabilistic)); [`QueueModel::on_depth`] is its one rule.
//! - [`on_print`]: what a print at our price does, the same under every model.
//!
//! An order joins behind the displayed quantity at its price: the recorded book never contains
//! our order, so everything displayed there was placed before it. A print at our price (the
//! aggressor on the other side) eats the queue ahead first; what exceeds it executes us.
//!
//! A decrease of the displayed quantity that prints do not explain is a cancel, from ahead of
//! us or from behind. `risk_averse` assumes behind: the queue ahead only shrinks by prints, and
//! is only ever capped at the displayed quantity (no more than that can be ahead of us).
//! `probabilistic` shares it as in Moallemi & Yuan, "A model for queue position valuation in a
//! limit order book" (2017), in the form hftbacktest's documentation gives ("Probability Queue
//! Models"): with `front` lots ahead of us and `back` behind, a cancel of `d` lots comes from
//! behind with probability `p = f(back) / (f(back) + f(front))`, so the queue ahead loses
//! `(1 − p)·d`, plus whatever of the behind share exceeds `back` (it cannot come from there).
//! Written here from that formula.
//!
//! Limit of both: the depth and trade streams are not ordered with respect to each other. A
//! depth update that already shows a print the venue only sees afterwards takes the decrease
//! as a cancel (a share of it from ahead, under `probabilistic`; a cap, under `risk_averse`)
//! and the print then eats the queue ahead again, so the queue can move up faster than it
//! should by up to one print.

use super::config::{QueueConfig, QueueModelKind, QueueShape};
use feeds::Lots;

/// The configured queue-position model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum QueueModel {
    /// Only prints advance us.
    RiskAverse,
    /// Unexplained decreases are shared between ahead and behind by `f`.
    Probabilistic(Shape),
}

/// The weight `f` of a queue of `x` lots in the probabilistic model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    /// `f(x) = xⁿ`.
    Power(f64),
    /// `f(x) = ln(1 + x)`.
    Log,
}

impl QueueModel {
    /// The model `config` asks for.
    pub fn from_config(config: &QueueConfig) -> QueueModel {
        match config.model {
            QueueModelKind::RiskAverse => QueueModel::RiskAverse,
            QueueModelKind::Probabilistic => QueueModel::Probabilistic(match config.shape {
                QueueShape::Power => Shape::Power(config.power),
                QueueShape::Log => Shape::Log,
            }),
        }
    }

    /// The queue ahead after a depth update set our level from `previous` to `displayed`, with
    /// `traded` lots printed at our price since the level last changed.
    ///
    /// The prints already moved `front` (see [`on_print`]), and the level they left is
    /// `previous − traded`; of its decrease to `displayed`, the prints are not counted again.
    /// `back = previous − traded − front` is what stood behind us. The result never exceeds
    /// `displayed`. The probabilistic share is rounded to the nearest lot (a lot of BTCUSDT is
    /// 0.001 BTC: a rounding error far below what the model can claim to know).
    pub fn on_depth(&self, front: Lots, previous: Lots, traded: Lots, displayed: Lots) -> Lots {
        let displayed = displayed.0.max(0);
        let level = previous.0.saturating_sub(traded.0).max(0);
        let front = front.0.max(0);
        let estimate = match *self {
            QueueModel::RiskAverse => front,
            QueueModel::Probabilistic(shape) => {
                let front = front.min(level);
                let back = level - front;
                let cancelled = level - displayed;
                if cancelled <= 0 || front == 0 {
                    front
                } else {
                    let behind = shape.behind_share(front as f64, back as f64);
                    let from_back = behind * cancelled as f64;
                    let from_front = (1.0 - behind) * cancelled as f64 + (from_back - back as f64).max(0.0);
                    front - (from_front.round() as i64).clamp(0, front)
                }
            }
        };
        Lots(estimate.min(displayed))
    }
}

impl Shape {
    /// `p = f(back) / (f(back) + f(front))`: the share of a cancel that came from behind us.
    /// `front` is positive.
    fn behind_share(self, front: f64, back: f64) -> f64 {
        match self {
            // f(back) / (f(back) + f(front)) = 1 / (1 + (front / back)ⁿ), which cannot
            // overflow to ∞/∞ for long queues.
            Shape::Power(power) => {
                if back <= 0.0 {
                    0.0
                } else {
                    1.0 / (1.0 + (front / back).powf(power))
                }
            }
            Shape::Log => {
                let (f_back, f_front) = (back.ln_1p(), front.ln_1p());
                f_back / (f_back + f_front)
            }
        }
    }
}

/// A print of `qty` lots at our price: returns the queue ahead after it, and how much of the
/// print reached past the queue ahead to us (before our open quantity caps it).
#[inline]
pub fn on_print(front: Lots, qty: Lots) -> (Lots, Lots) {
    let qty = qty.0.max(0);
    let eaten = front.0.clamp(0, qty);
    (Lots(front.0.max(0) - eaten), Lots(qty - eaten))
}

#[cfg(test)]
mod tests {
    use super::*;

    const POWER_2: QueueModel = QueueModel::Probabilistic(Shape::Power(2.0));
    const POWER_3: QueueModel = QueueModel::Probabilistic(Shape::Power(3.0));
    const LOG: QueueModel = QueueModel::Probabilistic(Shape::Log);

    #[test]
    fn prints_eat_the_queue_ahead_first() {
        // 5 ahead, a print of 3: 2 ahead, nothing reaches us.
        assert_eq!(on_print(Lots(5), Lots(3)), (Lots(2), Lots(0)));
        // 5 ahead, a print of 8: nobody ahead, 3 reach us.
        assert_eq!(on_print(Lots(5), Lots(8)), (Lots(0), Lots(3)));
        assert_eq!(on_print(Lots(0), Lots(4)), (Lots(0), Lots(4)));
    }

    #[test]
    fn risk_averse_ignores_cancels_and_caps_at_the_displayed_quantity() {
        // 60 ahead of us in a level of 100; 50 cancelled: still 60 ahead, but only 50 shown.
        assert_eq!(QueueModel::RiskAverse.on_depth(Lots(60), Lots(100), Lots(0), Lots(90)), Lots(60));
        assert_eq!(QueueModel::RiskAverse.on_depth(Lots(60), Lots(100), Lots(0), Lots(50)), Lots(50));
        // The level grows: newcomers join behind us.
        assert_eq!(QueueModel::RiskAverse.on_depth(Lots(60), Lots(100), Lots(0), Lots(150)), Lots(60));
    }

    #[test]
    fn probabilistic_shares_a_cancel_by_the_formula() {
        // Level 100, front 60, back 40, shrinks to 50: d = 50.
        // power 2: p = 40² / (40² + 60²) = 1600 / 5200 = 0.3077; ahead loses 0.6923 × 50 = 34.6 → 35.
        assert_eq!(POWER_2.on_depth(Lots(60), Lots(100), Lots(0), Lots(50)), Lots(25));
        // power 3: p = 64 000 / 280 000 = 0.2286; ahead loses 0.7714 × 50 = 38.6 → 39.
        assert_eq!(POWER_3.on_depth(Lots(60), Lots(100), Lots(0), Lots(50)), Lots(21));
        // log: p = ln 41 / (ln 41 + ln 61) = 3.7136 / 7.8245 = 0.4746; ahead loses 26.3 → 26.
        assert_eq!(LOG.on_depth(Lots(60), Lots(100), Lots(0), Lots(50)), Lots(34));
        // Risk averse on the same change: capped only.
        assert_eq!(QueueModel::RiskAverse.on_depth(Lots(60), Lots(100), Lots(0), Lots(50)), Lots(50));
    }

    #[test]
    fn probabilistic_does_not_count_prints_twice() {
        // Level 100, we joined behind 60; a print of 20 took the front to 40 (on_print). The
        // next depth update shows 80: the print explains it all, nobody cancelled.
        assert_eq!(POWER_2.on_depth(Lots(40), Lots(100), Lots(20), Lots(80)), Lots(40));
        // It shows 70: 10 cancelled from a level of 80 = 40 ahead + 40 behind: p = ½, 5 from ahead.
        assert_eq!(POWER_2.on_depth(Lots(40), Lots(100), Lots(20), Lots(70)), Lots(35));
    }

    #[test]
    fn a_cancel_larger_than_the_back_comes_from_the_front() {
        // Front 90, back 10, d = 60: p = 100 / 8200 = 0.0122, behind share 0.73 ≤ 10 → front
        // loses 59.3 → 59.
        assert_eq!(POWER_2.on_depth(Lots(90), Lots(100), Lots(0), Lots(40)), Lots(31));
        // Front 10, back 90, d = 95: p = 8100 / 8200, behind share 93.8 > 90 → the excess 3.8
        // comes from ahead too: ahead loses 1.2 + 3.8 = 5.0 → 5; and never more than shown.
        assert_eq!(POWER_2.on_depth(Lots(10), Lots(100), Lots(0), Lots(5)), Lots(5));
        // Nothing behind: the whole cancel is ahead.
        assert_eq!(POWER_2.on_depth(Lots(100), Lots(100), Lots(0), Lots(70)), Lots(70));
        assert_eq!(LOG.on_depth(Lots(100), Lots(100), Lots(0), Lots(70)), Lots(70));
    }

    #[test]
    fn probabilistic_never_moves_us_back_nor_past_the_front() {
        for model in [POWER_2, POWER_3, LOG, QueueModel::RiskAverse] {
            for front in 0..=20 {
                for displayed in 0..=25 {
                    for traded in 0..=5 {
                        let after = model.on_depth(Lots(front), Lots(20), Lots(traded), Lots(displayed));
                        assert!(
                            after.0 >= 0 && after.0 <= front && after.0 <= displayed,
                            "{model:?} {front} {displayed} {traded}"
                        );
                    }
                }
            }
        }
    }
}
