//! Instrument metadata and the registry that gives each instrument its dense id.
//!
//! An [`Instrument`] says how to read the exchange's numbers for one contract: its tick and lot
//! [`Step`]s, contract size, assets, and whether it is linear or inverse. [`Instruments`] holds
//! them, built once at start-up from a TOML config ([`Instruments::from_toml`]) or from Binance's
//! `exchangeInfo` (see [`venue::binance::rest`](crate::venue::binance::rest)), and is read
//! without allocation on the hot path ([`Instruments::lookup`]).

use crate::fixed::{FixedError, Step};
use crate::units::InstrumentId;
use rust_decimal::Decimal;
use serde::Deserialize;

/// How a contract's PnL is denominated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContractKind {
    /// Quoted and margined in the quote asset (USDT-M): PnL = qty × Δprice.
    Linear,
    /// Margined in the base asset with a fixed quote-value contract (COIN-M): PnL = contracts ×
    /// contract size × Δ(1/price).
    Inverse,
}

/// One tradable contract.
#[derive(Clone, Debug, PartialEq)]
pub struct Instrument {
    /// Venue name, e.g. `binance-usdm`.
    pub venue: String,
    /// Exchange symbol as the venue prints it, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Price increment.
    pub tick: Step,
    /// Quantity increment.
    pub lot: Step,
    /// Size of one contract (1 for linear USDT-M perpetuals, quote value for inverse).
    pub contract_size: Decimal,
    /// Base asset, e.g. `BTC`.
    pub base: String,
    /// Quote asset, e.g. `USDT`.
    pub quote: String,
    /// Linear or inverse.
    pub kind: ContractKind,
}

/// Why instrument metadata could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum InstrumentError {
    /// The TOML text did not parse or did not match the schema.
    #[error("instrument config: {0}")]
    Toml(#[from] toml::de::Error),
    /// A step was not a positive decimal.
    #[error("instrument {symbol}: {field} = {value:?}: {source}")]
    Step {
        /// Symbol of the instrument.
        symbol: String,
        /// Which field.
        field: &'static str,
        /// The text given.
        value: String,
        /// What was wrong.
        source: FixedError,
    },
    /// A field had a value that makes no sense.
    #[error("instrument {symbol}: {message}")]
    Invalid {
        /// Symbol of the instrument.
        symbol: String,
        /// What was wrong.
        message: String,
    },
    /// The same venue and symbol was given twice.
    #[error("instrument {venue}:{symbol} is defined twice")]
    Duplicate {
        /// Venue.
        venue: String,
        /// Symbol.
        symbol: String,
    },
    /// The `exchangeInfo` document was not what Binance documents.
    #[error("exchangeInfo: {0}")]
    ExchangeInfo(String),
}

/// The instrument table, in id order.
#[derive(Clone, Debug, Default)]
pub struct Instruments {
    list: Vec<Instrument>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    instrument: Vec<ConfigInstrument>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigInstrument {
    venue: String,
    symbol: String,
    tick_size: String,
    lot_size: String,
    #[serde(default = "one")]
    contract_size: String,
    base: String,
    quote: String,
    #[serde(default = "linear")]
    kind: ContractKind,
}

fn one() -> String {
    "1".to_owned()
}

fn linear() -> ContractKind {
    ContractKind::Linear
}

impl Instruments {
    /// An empty table.
    pub fn new() -> Instruments {
        Instruments::default()
    }

    /// Reads `[[instrument]]` tables:
    ///
    /// ```toml
    /// [[instrument]]
    /// venue = "binance-usdm"
    /// symbol = "BTCUSDT"
    /// tick_size = "0.10"
    /// lot_size = "0.001"
    /// base = "BTC"
    /// quote = "USDT"
    /// # contract_size = "1", kind = "linear" are the defaults
    /// ```
    pub fn from_toml(text: &str) -> Result<Instruments, InstrumentError> {
        let file: ConfigFile = toml::from_str(text)?;
        let mut table = Instruments::new();
        for entry in file.instrument {
            let step = |field: &'static str, value: &str| {
                Step::from_text(value).map_err(|source| InstrumentError::Step {
                    symbol: entry.symbol.clone(),
                    field,
                    value: value.to_owned(),
                    source,
                })
            };
            let tick = step("tick_size", &entry.tick_size)?;
            let lot = step("lot_size", &entry.lot_size)?;
            let contract_size: Decimal =
                entry.contract_size.parse().ok().filter(|size: &Decimal| *size > Decimal::ZERO).ok_or_else(
                    || InstrumentError::Invalid {
                        symbol: entry.symbol.clone(),
                        message: format!("contract_size {:?} is not a positive decimal", entry.contract_size),
                    },
                )?;
            table.add(Instrument {
                venue: entry.venue,
                symbol: entry.symbol,
                tick,
                lot,
                contract_size,
                base: entry.base,
                quote: entry.quote,
                kind: entry.kind,
            })?;
        }
        Ok(table)
    }

    /// Adds an instrument and returns its id.
    pub fn add(&mut self, instrument: Instrument) -> Result<InstrumentId, InstrumentError> {
        if instrument.symbol.is_empty() {
            return Err(InstrumentError::Invalid {
                symbol: instrument.symbol,
                message: "empty symbol".to_owned(),
            });
        }
        if self.find(&instrument.venue, &instrument.symbol).is_some() {
            return Err(InstrumentError::Duplicate { venue: instrument.venue, symbol: instrument.symbol });
        }
        let id = InstrumentId(u32::try_from(self.list.len()).map_err(|_| InstrumentError::Invalid {
            symbol: instrument.symbol.clone(),
            message: "too many instruments".to_owned(),
        })?);
        self.list.push(instrument);
        Ok(id)
    }

    /// The instrument with this id.
    #[inline]
    pub fn get(&self, id: InstrumentId) -> Option<&Instrument> {
        self.list.get(id.index())
    }

    /// Finds an instrument by venue and symbol (start-up path).
    pub fn find(&self, venue: &str, symbol: &str) -> Option<InstrumentId> {
        self.list
            .iter()
            .position(|i| i.venue == venue && i.symbol == symbol)
            .map(|index| InstrumentId(index as u32))
    }

    /// Finds an instrument of `venue` by the symbol bytes of a frame, ignoring ASCII case (stream
    /// names are lower case, payloads upper case). Allocation-free; linear in the table, which
    /// holds a handful of instruments.
    #[inline]
    pub fn lookup(&self, venue: &str, symbol: &[u8]) -> Option<InstrumentId> {
        self.list
            .iter()
            .position(|i| i.symbol.as_bytes().eq_ignore_ascii_case(symbol) && i.venue == venue)
            .map(|index| InstrumentId(index as u32))
    }

    /// Number of instruments.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// All instruments with their ids.
    pub fn iter(&self) -> impl Iterator<Item = (InstrumentId, &Instrument)> {
        self.list.iter().enumerate().map(|(index, i)| (InstrumentId(index as u32), i))
    }
}

/// One `[[instrument]]` table as [`Instruments::to_toml`] writes it: the fields
/// [`Instruments::from_toml`] reads, every one spelled out (no defaults relied on).
#[derive(serde::Serialize)]
struct ConfigOutput<'a> {
    instrument: Vec<ConfigOutputInstrument<'a>>,
}

#[derive(serde::Serialize)]
struct ConfigOutputInstrument<'a> {
    venue: &'a str,
    symbol: &'a str,
    tick_size: String,
    lot_size: String,
    contract_size: String,
    base: &'a str,
    quote: &'a str,
    kind: &'static str,
}

impl Instruments {
    /// The table as `[[instrument]]` TOML that [`from_toml`](Self::from_toml) reads back to an
    /// equal table, ids included (the order is kept). Steps are written as exact decimals.
    pub fn to_toml(&self) -> String {
        let output = ConfigOutput {
            instrument: self
                .list
                .iter()
                .map(|instrument| ConfigOutputInstrument {
                    venue: &instrument.venue,
                    symbol: &instrument.symbol,
                    tick_size: instrument.tick.to_string(),
                    lot_size: instrument.lot.to_string(),
                    contract_size: instrument.contract_size.to_string(),
                    base: &instrument.base,
                    quote: &instrument.quote,
                    kind: match instrument.kind {
                        ContractKind::Linear => "linear",
                        ContractKind::Inverse => "inverse",
                    },
                })
                .collect(),
        };
        toml::to_string(&output).expect("a table of strings is always representable as TOML")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BTCUSDT: &str = r#"
        [[instrument]]
        venue = "binance-usdm"
        symbol = "BTCUSDT"
        tick_size = "0.10"
        lot_size = "0.001"
        base = "BTC"
        quote = "USDT"
    "#;

    #[test]
    fn reads_toml_with_defaults() {
        let table = Instruments::from_toml(BTCUSDT).unwrap();
        let id = table.lookup("binance-usdm", b"btcusdt").unwrap();
        let btc = table.get(id).unwrap();
        assert_eq!(btc.tick.parse(b"61800.20"), Ok(618_002));
        assert_eq!(btc.contract_size, Decimal::ONE);
        assert_eq!(btc.kind, ContractKind::Linear);
        assert_eq!(table.lookup("bybit", b"BTCUSDT"), None);
    }

    #[test]
    fn bad_config_says_which_field() {
        let bad = BTCUSDT.replace("\"0.10\"", "\"-0.1\"");
        let error = Instruments::from_toml(&bad).unwrap_err().to_string();
        assert!(error.contains("BTCUSDT") && error.contains("tick_size"), "{error}");
        let twice = format!("{BTCUSDT}{BTCUSDT}");
        assert!(Instruments::from_toml(&twice).unwrap_err().to_string().contains("twice"));
        let unknown = BTCUSDT.replace("base =", "bse =");
        assert!(Instruments::from_toml(&unknown).is_err());
    }
}
