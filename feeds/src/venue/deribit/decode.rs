//! [`decode_frame`]: one Deribit JSON-RPC frame in, a [`DeribitMessage`] out.

use super::wire::{DeribitMessage, InstrumentInfo, OptionKind, OptionName, OptionTicker};
use crate::units::Nanos;
use simd_json::BorrowedValue;
use simd_json::prelude::*;

/// Why a Deribit frame did not decode. Frames are independent: the next one decodes normally.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DeribitError {
    /// Not JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// Not a JSON-RPC notification, result or error Deribit sends.
    #[error("not a Deribit JSON-RPC frame")]
    UnknownFrame,
    /// A required field is absent or of the wrong JSON type.
    #[error("{context}: field \"{field}\" is missing or not a {expected}")]
    Field {
        /// The channel or method.
        context: String,
        /// The field.
        field: &'static str,
        /// The JSON type expected.
        expected: &'static str,
    },
    /// An instrument name that is not an option name.
    #[error("instrument {name:?}: {reason}")]
    InstrumentName {
        /// The name.
        name: String,
        /// Why.
        reason: &'static str,
    },
}

/// Decodes one frame (a WebSocket message, or an HTTP `get_instruments` body). `payload` is
/// parsed in place.
pub fn decode_frame(payload: &mut [u8]) -> Result<DeribitMessage, DeribitError> {
    let value =
        simd_json::to_borrowed_value(payload).map_err(|error| DeribitError::Json(error.to_string()))?;
    let id = value.get("id").and_then(|id| id.as_u64()).unwrap_or(0);
    match value.get("method").and_then(|method| method.as_str()) {
        Some("subscription") => return notification(&value),
        Some("heartbeat") => {
            let kind =
                value.get("params").and_then(|params| params.get("type")).and_then(|kind| kind.as_str());
            return match kind {
                Some("test_request") => Ok(DeribitMessage::TestRequest),
                Some(_) => Ok(DeribitMessage::Heartbeat),
                None => Err(field("heartbeat", "params.type", "string")),
            };
        }
        Some(_) => return Err(DeribitError::UnknownFrame),
        None => {}
    }
    if let Some(error) = value.get("error") {
        let code = error.get("code").and_then(|code| code.as_i64()).unwrap_or(0);
        let message = error.get("message").and_then(|message| message.as_str()).unwrap_or("").to_owned();
        return Ok(DeribitMessage::RpcError { id, code, message });
    }
    let Some(result) = value.get("result") else { return Err(DeribitError::UnknownFrame) };
    // "public/get_instruments": the result is an array of instrument objects (empty for a
    // currency without live instruments; a subscribe result is an array of channel names).
    if let Some(list) = result.as_array()
        && list.first().is_none_or(|first| first.get("instrument_name").is_some())
    {
        let server_time = value.get("usOut").and_then(|micros| micros.as_i64()).and_then(Nanos::from_micros);
        let list = list.iter().map(instrument).collect::<Result<_, _>>()?;
        return Ok(DeribitMessage::Instruments { list, server_time });
    }
    if let Some(index_price) = result.get("index_price").and_then(|price| price.cast_f64()) {
        return Ok(DeribitMessage::IndexPrice { id, index_price });
    }
    Ok(DeribitMessage::Reply { id })
}

fn field(context: &str, field: &'static str, expected: &'static str) -> DeribitError {
    DeribitError::Field { context: context.to_owned(), field, expected }
}

fn number(object: &BorrowedValue<'_>, context: &str, name: &'static str) -> Result<f64, DeribitError> {
    object.get(name).and_then(|value| value.cast_f64()).ok_or_else(|| field(context, name, "number"))
}

fn millis(object: &BorrowedValue<'_>, context: &str, name: &'static str) -> Result<Nanos, DeribitError> {
    object
        .get(name)
        .and_then(|value| value.as_i64())
        .and_then(Nanos::from_millis)
        .ok_or_else(|| field(context, name, "millisecond time"))
}

/// "Subscriptions": `params.channel` names the channel, `params.data` carries it.
fn notification(value: &BorrowedValue<'_>) -> Result<DeribitMessage, DeribitError> {
    let params = value.get("params").ok_or_else(|| field("subscription", "params", "object"))?;
    let channel = params
        .get("channel")
        .and_then(|channel| channel.as_str())
        .ok_or_else(|| field("subscription", "channel", "string"))?;
    if !channel.starts_with("ticker.") {
        return Ok(DeribitMessage::OtherChannel);
    }
    let data = params.get("data").ok_or_else(|| field(channel, "data", "object"))?;
    let name = data
        .get("instrument_name")
        .and_then(|name| name.as_str())
        .ok_or_else(|| field(channel, "instrument_name", "string"))?;
    // "ticker": `mark_iv` exists only for options.
    if data.get("mark_iv").is_none() {
        return Ok(DeribitMessage::NonOptionTicker);
    }
    let optional_iv =
        |name: &'static str| data.get(name).and_then(|value| value.cast_f64()).filter(|iv| *iv > 0.0);
    Ok(DeribitMessage::Ticker(OptionTicker {
        name: OptionName::parse(name)?,
        timestamp: millis(data, channel, "timestamp")?,
        mark_iv: number(data, channel, "mark_iv")?,
        bid_iv: optional_iv("bid_iv"),
        ask_iv: optional_iv("ask_iv"),
        open_interest: number(data, channel, "open_interest")?,
        underlying_price: number(data, channel, "underlying_price")?,
        index_price: number(data, channel, "index_price")?,
    }))
}

/// One element of a `public/get_instruments` result.
fn instrument(value: &BorrowedValue<'_>) -> Result<InstrumentInfo, DeribitError> {
    let context = "public/get_instruments";
    let text = |name: &'static str| {
        value
            .get(name)
            .and_then(|text| text.as_str())
            .map(str::to_owned)
            .ok_or_else(|| field(context, name, "string"))
    };
    let option_type = match value.get("option_type").and_then(|kind| kind.as_str()) {
        Some("call") => Some(OptionKind::Call),
        Some("put") => Some(OptionKind::Put),
        _ => None,
    };
    Ok(InstrumentInfo {
        instrument_name: text("instrument_name")?,
        kind: text("kind")?,
        base_currency: text("base_currency")?,
        // A perpetual "expires" in the year 3000 (32503708800000 ms), past the range of
        // nanoseconds in an i64: read as never.
        expiration: value
            .get("expiration_timestamp")
            .and_then(|value| value.as_i64())
            .filter(|millis| *millis > 0)
            .map(|millis| Nanos::from_millis(millis).unwrap_or(Nanos(i64::MAX)))
            .ok_or_else(|| field(context, "expiration_timestamp", "millisecond time"))?,
        strike: value.get("strike").and_then(|strike| strike.cast_f64()),
        option_type,
        is_active: value.get("is_active").and_then(|active| active.as_bool()).unwrap_or(true),
    })
}
