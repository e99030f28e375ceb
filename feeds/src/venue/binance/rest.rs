//! Binance USD-M REST documents read at start-up: `GET /fapi/v1/exchangeInfo`.
//!
//! (The depth snapshot and open interest responses are hot enough to share the stream
//! decoders; see [`Decoder`](super::Decoder).) Format: Binance USD-M "Exchange Information":
//! `symbols[]` with `symbol`, `contractType`, `baseAsset`, `quoteAsset`, `contractSize`
//! (COIN-M only) and `filters[]`, of which `PRICE_FILTER.tickSize` and `LOT_SIZE.stepSize` give
//! the grid.

use super::wire::VENUE;
use crate::fixed::Step;
use crate::instrument::{ContractKind, Instrument, InstrumentError, Instruments};
use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Deserialize)]
struct ExchangeInfo {
    symbols: Vec<SymbolInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SymbolInfo {
    symbol: String,
    base_asset: String,
    quote_asset: String,
    #[serde(default)]
    contract_size: Option<u64>,
    #[serde(default)]
    status: Option<String>,
    filters: Vec<Filter>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Filter {
    filter_type: String,
    #[serde(default)]
    tick_size: Option<String>,
    #[serde(default)]
    step_size: Option<String>,
}

/// Reads an `exchangeInfo` response into instruments of venue [`VENUE`], keeping the symbols
/// `keep` accepts (all trading and non-trading ones alike; the caller filters by name).
/// Symbols with a `contractSize` (COIN-M) are inverse.
pub fn instruments_from_exchange_info(
    json: &mut [u8],
    keep: impl Fn(&str) -> bool,
) -> Result<Instruments, InstrumentError> {
    let info: ExchangeInfo = simd_json::serde::from_slice(json)
        .map_err(|error| InstrumentError::ExchangeInfo(error.to_string()))?;
    let mut table = Instruments::new();
    for symbol in info.symbols.into_iter().filter(|s| keep(&s.symbol)) {
        let _ = &symbol.status;
        let filter = |name: &str, pick: fn(&Filter) -> Option<&String>| {
            symbol
                .filters
                .iter()
                .find(|f| f.filter_type == name)
                .and_then(pick)
                .ok_or_else(|| InstrumentError::ExchangeInfo(format!("{}: no {name}", symbol.symbol)))
        };
        let step = |field: &'static str, text: &String| {
            Step::from_text(text).map_err(|source| InstrumentError::Step {
                symbol: symbol.symbol.clone(),
                field,
                value: text.clone(),
                source,
            })
        };
        let tick = step("tickSize", filter("PRICE_FILTER", |f| f.tick_size.as_ref())?)?;
        let lot = step("stepSize", filter("LOT_SIZE", |f| f.step_size.as_ref())?)?;
        let (kind, contract_size) = match symbol.contract_size {
            Some(size) => (ContractKind::Inverse, Decimal::from(size)),
            None => (ContractKind::Linear, Decimal::ONE),
        };
        table.add(Instrument {
            venue: VENUE.to_owned(),
            symbol: symbol.symbol.clone(),
            tick,
            lot,
            contract_size,
            base: symbol.base_asset.clone(),
            quote: symbol.quote_asset.clone(),
            kind,
        })?;
    }
    Ok(table)
}
