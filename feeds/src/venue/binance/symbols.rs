//! [`Symbols`]: the table the decoders resolve a payload's `"s"` in.
//!
//! Built once from the [`Instruments`] registry, it holds only this venue's instruments, each
//! with its symbol bytes as the venue prints them in payloads (upper case) and its steps, so that
//! resolving a symbol is a short compare of bytes with no venue check and no second lookup for
//! the steps.

use super::decode::DecodeError;
use super::wire::VENUE;
use crate::fixed::Step;
use crate::instrument::Instruments;
use crate::units::InstrumentId;

/// One instrument as the decoders need it.
#[derive(Clone, Debug)]
struct Entry {
    /// Upper-case symbol bytes.
    symbol: Box<[u8]>,
    id: InstrumentId,
    tick: Step,
    lot: Step,
}

/// This venue's instruments, by symbol.
#[derive(Clone, Debug, Default)]
pub struct Symbols {
    entries: Vec<Entry>,
}

impl Symbols {
    /// The [`VENUE`] instruments of `instruments`.
    pub fn new(instruments: &Instruments) -> Symbols {
        let entries = instruments
            .iter()
            .filter(|(_, instrument)| instrument.venue == VENUE)
            .map(|(id, instrument)| Entry {
                symbol: instrument.symbol.to_ascii_uppercase().into_bytes().into_boxed_slice(),
                id,
                tick: instrument.tick,
                lot: instrument.lot,
            })
            .collect();
        Symbols { entries }
    }

    /// The instrument and its tick and lot steps for a payload's symbol. Exact bytes first (what
    /// the venue sends), then ignoring ASCII case.
    #[inline]
    pub fn resolve(&self, symbol: &[u8]) -> Result<(InstrumentId, Step, Step), DecodeError> {
        let entry = self
            .entries
            .iter()
            .find(|entry| *entry.symbol == *symbol)
            .or_else(|| self.entries.iter().find(|entry| entry.symbol.eq_ignore_ascii_case(symbol)))
            .ok_or(DecodeError::unknown_instrument())?;
        Ok((entry.id, entry.tick, entry.lot))
    }

    /// The tick and lot steps of an instrument of this venue.
    #[inline]
    pub fn steps(&self, id: InstrumentId) -> Result<(Step, Step), DecodeError> {
        let entry =
            self.entries.iter().find(|entry| entry.id == id).ok_or(DecodeError::unknown_instrument())?;
        Ok((entry.tick, entry.lot))
    }

    /// The only instrument of this venue, if there is exactly one.
    pub fn only(&self) -> Option<InstrumentId> {
        match self.entries.as_slice() {
            [entry] => Some(entry.id),
            _ => None,
        }
    }
}
