//! What an execution costs: [`FeeSchedule`], the maker and taker rates applied to the exact
//! notional of each fill.
//!
//! `fee = price × tick × qty × lot × bps / 10⁴`, in `rust_decimal`: ticks and lots become
//! decimals through the instrument's [`Step`](feeds::Step)s, the rates are the configured
//! decimals, and nothing is rounded. A fee is exact to the last digit (28 significant digits
//! cover any price × size × rate an exchange prints); rounding to the exchange's fee precision
//! (Binance charges to 8 decimals) would add a bias of up to half a unit per fill for nothing.
//! The result is what [`Account`](crate::account::Account) books: its notional is computed the
//! same way.

use crate::gateway::Liquidity;
use feeds::{InstrumentId, Instruments, Lots, Ticks};
use rust_decimal::Decimal;

/// Maker and taker rates and each instrument's tick and lot.
#[derive(Clone, Debug)]
pub struct FeeSchedule {
    /// Maker rate: bps / 10⁴ (0.0002 for 2 bps).
    maker: Decimal,
    /// Taker rate: bps / 10⁴.
    taker: Decimal,
    /// `(tick, lot)` of each instrument, by id.
    steps: Vec<(Decimal, Decimal)>,
}

/// Basis points in one.
const BPS: i64 = 10_000;

impl FeeSchedule {
    /// Rates in basis points (negative: a rebate) for the instruments of `instruments`.
    pub fn new(maker_bps: Decimal, taker_bps: Decimal, instruments: &Instruments) -> FeeSchedule {
        let steps =
            instruments.iter().map(|(_, spec)| (spec.tick.to_decimal(), spec.lot.to_decimal())).collect();
        FeeSchedule { maker: maker_bps / Decimal::from(BPS), taker: taker_bps / Decimal::from(BPS), steps }
    }

    /// `price` ticks × `qty` lots of `instrument` in quote currency; zero for an unknown
    /// instrument.
    #[inline]
    pub fn notional(&self, instrument: InstrumentId, price: Ticks, qty: Lots) -> Decimal {
        match self.steps.get(instrument.index()) {
            // Saturating: an absurd order (i64::MAX lots) must not panic the venue.
            Some(&(tick, lot)) => Decimal::from(price.0)
                .saturating_mul(tick)
                .saturating_mul(Decimal::from(qty.0))
                .saturating_mul(lot),
            None => Decimal::ZERO,
        }
    }

    /// The fee of one execution; negative is a rebate.
    #[inline]
    pub fn fee(&self, instrument: InstrumentId, price: Ticks, qty: Lots, liquidity: Liquidity) -> Decimal {
        let rate = match liquidity {
            Liquidity::Maker => self.maker,
            Liquidity::Taker => self.taker,
        };
        self.notional(instrument, price, qty).saturating_mul(rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absurd_size_saturates_instead_of_panicking() {
        let fees = FeeSchedule::new(Decimal::new(20, 1), Decimal::new(50, 1), &testkit_free_instruments());
        let huge = fees.fee(InstrumentId(0), Ticks(i64::MAX), Lots(i64::MAX), Liquidity::Maker);
        assert!(huge > Decimal::from(i64::MAX));
    }

    #[test]
    fn fees_are_exact_decimals() {
        let instruments = testkit_free_instruments();
        let fees = FeeSchedule::new(Decimal::new(20, 1), Decimal::new(-15, 1), &instruments);
        let btc = InstrumentId(0);
        // 0.003 BTC at 61,700.1 = 185.1003 USDT; 2 bps of it = 0.03702006 exactly.
        assert_eq!(fees.notional(btc, Ticks(617_001), Lots(3)), Decimal::new(1_851_003, 4));
        assert_eq!(fees.fee(btc, Ticks(617_001), Lots(3), Liquidity::Maker), Decimal::new(3_702_006, 8));
        // −1.5 bps as taker: a rebate of 0.027765045.
        assert_eq!(fees.fee(btc, Ticks(617_001), Lots(3), Liquidity::Taker), Decimal::new(-27_765_045, 9));
        assert_eq!(fees.fee(InstrumentId(9), Ticks(1), Lots(1), Liquidity::Maker), Decimal::ZERO);
    }

    fn testkit_free_instruments() -> Instruments {
        Instruments::from_toml(
            "[[instrument]]\nvenue = \"binance-usdm\"\nsymbol = \"BTCUSDT\"\ntick_size = \"0.10\"\n\
             lot_size = \"0.001\"\nbase = \"BTC\"\nquote = \"USDT\"\n",
        )
        .unwrap()
    }
}
