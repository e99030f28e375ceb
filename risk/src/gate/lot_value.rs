//! [`LotValue`]: what one lot of an instrument is worth in quote currency, which the gate's
//! notional limit (`max_position_notional`) needs to value a position.

use feeds::{ContractKind, Instrument};

/// What one lot of the instrument is worth in quote currency, for `max_position_notional`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LotValue {
    /// A linear contract (USDT-M): a position of `n` lots at a price of `p` ticks is worth
    /// `n × p × quote_per_lot_tick` (tick size × lot size × contract size; BTCUSDT:
    /// 0.1 × 0.001 = 0.0001 USDT).
    Linear {
        /// Quote currency per lot per tick. Finite and positive.
        quote_per_lot_tick: f64,
    },
    /// An inverse contract (COIN-M): each lot is a fixed quote value whatever the price
    /// (lot size × contract size; BTCUSD_PERP: 1 × 100 USD).
    Inverse {
        /// Quote currency per lot. Finite and positive.
        quote_per_lot: f64,
    },
}

impl LotValue {
    /// The value of one lot of `instrument`, from its tick, lot and contract size.
    pub fn of(instrument: &Instrument) -> LotValue {
        // The contract size is a decimal at the edge; f64 is what the notional check needs.
        let contract_size = instrument.contract_size.to_string().parse::<f64>().unwrap_or(f64::NAN);
        let per_lot = instrument.lot.to_f64() * contract_size;
        match instrument.kind {
            ContractKind::Linear => {
                LotValue::Linear { quote_per_lot_tick: per_lot * instrument.tick.to_f64() }
            }
            ContractKind::Inverse => LotValue::Inverse { quote_per_lot: per_lot },
        }
    }

    /// Quote-currency value of `lots` (absolute) at a fair value of `fair_value` ticks.
    #[inline]
    pub fn notional(self, lots: f64, fair_value: f64) -> f64 {
        match self {
            LotValue::Linear { quote_per_lot_tick } => lots * fair_value * quote_per_lot_tick,
            LotValue::Inverse { quote_per_lot } => lots * quote_per_lot,
        }
    }

    pub(super) fn is_valid(self) -> bool {
        let value = match self {
            LotValue::Linear { quote_per_lot_tick } => quote_per_lot_tick,
            LotValue::Inverse { quote_per_lot } => quote_per_lot,
        };
        value.is_finite() && value > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::gate::{MarketContext, RiskGate};
    use crate::limits::RiskLimits;
    use crate::reason::Reason;
    use feeds::{InstrumentId, Instruments, Lots};

    #[test]
    fn the_notional_limit_values_the_position_at_the_fair_value() {
        // BTCUSDT from the workspace's instrument table: 0.1 × 0.001 = 0.0001 USDT per lot-tick.
        let instruments = Instruments::from_toml(include_str!("../../../configs/instruments.toml")).unwrap();
        let btcusdt = instruments.get(InstrumentId(0)).unwrap();
        assert_eq!(btcusdt.symbol, "BTCUSDT");
        let LotValue::Linear { quote_per_lot_tick } = LotValue::of(btcusdt) else { panic!("linear") };
        assert!((quote_per_lot_tick - 0.0001).abs() < 1e-15);
        // 10 000 USDT of notional allowed, position limit out of the way.
        let limits = RiskLimits {
            max_position: Lots(1_000),
            max_order_qty: Lots(100),
            max_position_notional: 10_000.0,
            ..limits()
        };
        let mut gate = RiskGate::for_instrument(limits, btcusdt);
        gate.on_event(&bbo(0));
        // At 62 000.0 USDT (620 000 ticks) a lot is 62 USDT: 161 lots is 9 982, 162 is 10 044.
        let at = |position| MarketContext { fair_value: 620_000.0, position: Lots(position), ..market() };
        assert!(gate.check(buy(620_000, 100), &at(61)).is_approved());
        assert_eq!(gate.check(buy(620_000, 100), &at(62)).reason(), Some(Reason::NotionalLimit));
        assert_eq!(gate.check(sell(620_000, 100), &at(-62)).reason(), Some(Reason::NotionalLimit));
        // Reducing is always allowed, even far over the limit.
        assert!(gate.check(sell(620_000, 100), &at(500)).is_approved());
        // The same gate without a lot value skips the check.
        let mut unvalued = RiskGate::new(limits);
        unvalued.on_event(&bbo(0));
        assert!(unvalued.check(buy(620_000, 100), &at(62)).is_approved());
    }

    #[test]
    fn an_inverse_lot_is_worth_its_contract_whatever_the_price() {
        let value = LotValue::Inverse { quote_per_lot: 100.0 };
        assert_eq!(value.notional(3.0, 620_000.0), 300.0);
        assert_eq!(value.notional(3.0, 1.0), 300.0);
        let mut gate =
            gate_with(RiskLimits { max_position_notional: 500.0, ..limits() }).with_lot_value(value);
        assert!(gate.check(buy(999, 5), &market()).is_approved());
        assert_eq!(
            gate.check(buy(999, 5), &MarketContext { position: Lots(1), ..market() }).reason(),
            Some(Reason::NotionalLimit)
        );
    }

    #[test]
    #[should_panic(expected = "RiskGate::with_lot_value")]
    fn a_lot_value_that_is_not_positive_is_a_construction_bug() {
        let _ = gate().with_lot_value(LotValue::Linear { quote_per_lot_tick: 0.0 });
    }
}
