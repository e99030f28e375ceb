//! The trading account of one instrument: position, cash and fees, exact to the last lot and
//! the last fraction of a cent.
//!
//! [`Account::apply`] takes each [`Fill`] the venue reports. Prices and sizes arrive as integer
//! ticks and lots; the account turns them into quote currency with `rust_decimal`, so cash is
//! the exact sum of `∓ price × qty` and fees, never a float that drifts. Marking to market
//! (the PnL the risk gate and the reports follow) uses the same exact arithmetic; a float view
//! ([`Account::pnl_f64`]) is offered for signals and plots.
//!
//! Sign conventions: position is positive long, in lots; cash is quote currency, starting at
//! zero, reduced by what we buy and by fees (a negative fee, a maker rebate, adds to it).

use crate::gateway::{Fill, Liquidity};
use feeds::{Lots, Side, Step};
use rust_decimal::Decimal;

/// Position, cash and traded volume of one instrument.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Account {
    tick: Decimal,
    lot: Decimal,
    /// `tick × lot` as a float, and cash as a float, kept beside the exact values so marking
    /// to market on every decision costs a multiply, not a decimal conversion.
    tick_lot_f64: f64,
    cash_f64: f64,
    position: Lots,
    cash: Decimal,
    fees: Decimal,
    fills: u64,
    maker_lots: i64,
    taker_lots: i64,
    maker_notional: Decimal,
    taker_notional: Decimal,
}

impl Account {
    /// An empty account for an instrument with this price tick and lot step.
    pub fn new(tick: Step, lot: Step) -> Account {
        Account {
            tick: tick.to_decimal(),
            lot: lot.to_decimal(),
            tick_lot_f64: tick.to_f64() * lot.to_f64(),
            cash_f64: 0.0,
            position: Lots(0),
            cash: Decimal::ZERO,
            fees: Decimal::ZERO,
            fills: 0,
            maker_lots: 0,
            taker_lots: 0,
            maker_notional: Decimal::ZERO,
            taker_notional: Decimal::ZERO,
        }
    }

    /// Books one execution: position, cash (price × quantity, then the fee) and volume.
    /// A non-positive quantity changes nothing.
    pub fn apply(&mut self, fill: &Fill) {
        if fill.qty.0 <= 0 {
            return;
        }
        let notional = self.notional(fill.price.0, fill.qty.0);
        match fill.side {
            Side::Bid => {
                self.position = Lots(self.position.0.saturating_add(fill.qty.0));
                self.cash -= notional;
            }
            Side::Ask => {
                self.position = Lots(self.position.0.saturating_sub(fill.qty.0));
                self.cash += notional;
            }
        }
        self.cash -= fill.fee;
        self.cash_f64 = self.cash.try_into().unwrap_or(f64::NAN);
        self.fees += fill.fee;
        self.fills += 1;
        match fill.liquidity {
            Liquidity::Maker => {
                self.maker_lots += fill.qty.0;
                self.maker_notional += notional;
            }
            Liquidity::Taker => {
                self.taker_lots += fill.qty.0;
                self.taker_notional += notional;
            }
        }
    }

    /// `price` ticks × `qty` lots in quote currency.
    #[inline]
    pub fn notional(&self, price_ticks: i64, qty_lots: i64) -> Decimal {
        Decimal::from(price_ticks) * self.tick * Decimal::from(qty_lots) * self.lot
    }

    /// Position, lots (positive long).
    #[inline]
    pub fn position(&self) -> Lots {
        self.position
    }

    /// Cash, quote currency: what selling brought in minus what buying cost, net of fees.
    #[inline]
    pub fn cash(&self) -> Decimal {
        self.cash
    }

    /// Fees paid, quote currency (negative: net rebates received).
    #[inline]
    pub fn fees(&self) -> Decimal {
        self.fees
    }

    /// Executions booked.
    #[inline]
    pub fn fills(&self) -> u64 {
        self.fills
    }

    /// Lots traded as maker and as taker.
    #[inline]
    pub fn volume_lots(&self) -> (i64, i64) {
        (self.maker_lots, self.taker_lots)
    }

    /// Quote-currency notional traded as maker and as taker.
    #[inline]
    pub fn volume_notional(&self) -> (Decimal, Decimal) {
        (self.maker_notional, self.taker_notional)
    }

    /// Net PnL with the position marked at `mark` ticks: cash + position × mark (fees
    /// included).
    pub fn pnl(&self, mark_ticks: i64) -> Decimal {
        self.cash + self.notional(mark_ticks, self.position.0)
    }

    /// Net PnL with the position marked at a fractional price in ticks (a mid between two
    /// ticks), as a float for signals and plots.
    #[inline]
    pub fn pnl_f64(&self, mark_ticks: f64) -> f64 {
        self.cash_f64 + self.position.0 as f64 * mark_ticks * self.tick_lot_f64
    }

    /// Gross PnL (before fees) marked at `mark` ticks.
    pub fn gross_pnl(&self, mark_ticks: i64) -> Decimal {
        self.pnl(mark_ticks) + self.fees
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::ClientOrderId;
    use feeds::{InstrumentId, Nanos, Ticks};

    fn fill(side: Side, price: i64, qty: i64, liquidity: Liquidity, fee: Decimal) -> Fill {
        Fill {
            time: Nanos(0),
            instrument: InstrumentId(0),
            client_id: ClientOrderId(1),
            side,
            price: Ticks(price),
            qty: Lots(qty),
            leaves: Lots(0),
            liquidity,
            fee,
        }
    }

    #[test]
    fn a_round_trip_reconciles_to_the_cent() {
        // BTCUSDT: tick 0.10, lot 0.001. Buy 0.005 at 61,700.00, sell it at 61,700.30.
        let mut account = Account::new(Step::from_text("0.1").unwrap(), Step::from_text("0.001").unwrap());
        let rebate = Decimal::new(-3085, 5); // −0.03085: a −0.01 % maker fee on 308.5
        account.apply(&fill(Side::Bid, 617_000, 5, Liquidity::Maker, rebate));
        assert_eq!(account.position(), Lots(5));
        assert_eq!(account.cash(), Decimal::new(-30_846_915, 5));
        account.apply(&fill(Side::Ask, 617_003, 5, Liquidity::Maker, Decimal::ZERO));
        assert_eq!(account.position(), Lots(0));
        // 308.5015 − 308.5 + 0.03085 = 0.03235, exactly.
        assert_eq!(account.cash(), Decimal::new(3_235, 5));
        assert_eq!(account.pnl(0), account.cash());
        assert_eq!(account.fees(), rebate);
        assert_eq!(account.gross_pnl(0), Decimal::new(150, 5));
        assert_eq!(account.volume_lots(), (10, 0));
        assert_eq!(account.fills(), 2);
    }

    #[test]
    fn an_open_position_is_marked() {
        let mut account = Account::new(Step::from_text("0.1").unwrap(), Step::from_text("0.001").unwrap());
        account.apply(&fill(Side::Ask, 600_000, 2, Liquidity::Taker, Decimal::new(60, 3)));
        // Short 0.002 from 60,000.0; marked at 59,990.0: +0.02, minus the 0.06 fee.
        assert_eq!(account.pnl(599_900), Decimal::new(-40, 3));
        assert!((account.pnl_f64(599_900.0) + 0.04).abs() < 1e-9);
        assert_eq!(account.volume_lots(), (0, 2));
    }
}
