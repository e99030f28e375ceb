//! Moving a signal venue's event onto the quoted instrument: its id, and its lot.

use crate::event::{Event, EventKind, Liquidation, OpenInterest};
use crate::fixed::{FixedError, Step};
use crate::units::{InstrumentId, Lots};

/// A quantity that is not a whole number of the target lot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("quantity {qty:?} of lot {from} is not a whole number of lot {to}: {source}")]
pub struct RescaleError {
    /// The quantity, in the source lot.
    pub qty: Lots,
    /// Source lot.
    pub from: Step,
    /// Target lot.
    pub to: Step,
    /// Why.
    pub source: FixedError,
}

/// Exactly `qty` lots of `from` in lots of `to` (Bybit ETHUSDT 0.01 → Binance 0.001 multiplies
/// by 10); an error if it is not a whole number, never a rounding.
pub fn rescale_lots(qty: Lots, from: Step, to: Step) -> Result<Lots, RescaleError> {
    if from == to {
        return Ok(qty);
    }
    to.decimal_to_count(from.count_to_decimal(qty.0)).map(Lots).map_err(|source| RescaleError {
        qty,
        from,
        to,
        source,
    })
}

/// `event` as an event of `instrument`, its quantities moved from lot `from` to lot `to`.
/// Prices are [`PriceE8`](crate::PriceE8) (venue-independent) and are kept; ticks are
/// venue-specific, so book, BBO and trade events are not for rescaling (returned re-tagged
/// only).
pub fn rescale_event(
    event: &Event,
    instrument: InstrumentId,
    from: Step,
    to: Step,
) -> Result<Event, RescaleError> {
    let kind = match event.kind() {
        EventKind::Liquidation(liquidation) => EventKind::Liquidation(Liquidation {
            qty: rescale_lots(liquidation.qty, from, to)?,
            ..liquidation
        }),
        EventKind::OpenInterest(open_interest) => {
            EventKind::OpenInterest(OpenInterest { qty: rescale_lots(open_interest.qty, from, to)? })
        }
        other => other,
    };
    Ok(Event::new(event.exchange_time, event.receive_time, event.seq, instrument, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lots_move_exactly_or_not_at_all() {
        let step = |text| Step::from_text(text).unwrap();
        // Bybit ETHUSDT qtyStep 0.01 into Binance's 0.001: 12 lots are 0.12 ETH, 120 lots.
        assert_eq!(rescale_lots(Lots(12), step("0.01"), step("0.001")), Ok(Lots(120)));
        // The other way only when whole: 0.123 ETH is not a number of 0.01 lots.
        assert_eq!(rescale_lots(Lots(120), step("0.001"), step("0.01")), Ok(Lots(12)));
        assert!(rescale_lots(Lots(123), step("0.001"), step("0.01")).is_err());
        assert_eq!(rescale_lots(Lots(7), step("1"), step("1")), Ok(Lots(7)));
    }
}
