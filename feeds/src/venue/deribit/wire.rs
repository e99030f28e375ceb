//! Deribit instrument names and the decoded shapes of its JSON-RPC frames.

use super::decode::DeribitError;
use crate::units::Nanos;
use std::fmt;

/// Call or put.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OptionKind {
    /// `C`: a call.
    Call,
    /// `P`: a put.
    Put,
}

/// A Deribit option name taken apart: `BTC-30JUL21-40000-C` is BTC, expiring 2021-07-30 08:00
/// UTC, strike 40000, call.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionName {
    /// Underlying currency (`BTC`, `ETH`, or a linear one such as `XRP_USDC`).
    pub underlying: String,
    /// Expiry label as printed (`30JUL21`): identifies the expiry.
    pub expiry_label: String,
    /// Expiry time: the date at 08:00 UTC ("Naming": options expire at 08:00 UTC).
    pub expiry: Nanos,
    /// Strike price (`d` in a name is a decimal point: `0d625` is 0.625).
    pub strike: f64,
    /// Call or put.
    pub kind: OptionKind,
}

const MONTHS: [&str; 12] =
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

impl OptionName {
    /// Parses `UNDERLYING-DMMMYY-STRIKE-C|P`. Futures and perpetuals (no strike) are errors.
    pub fn parse(name: &str) -> Result<OptionName, DeribitError> {
        let invalid = |reason: &'static str| DeribitError::InstrumentName { name: name.to_owned(), reason };
        let mut parts = name.split('-');
        let (Some(underlying), Some(expiry_label), Some(strike), Some(kind), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid("not UNDERLYING-DMMMYY-STRIKE-C|P"));
        };
        if underlying.is_empty() {
            return Err(invalid("no underlying"));
        }
        let kind = match kind {
            "C" => OptionKind::Call,
            "P" => OptionKind::Put,
            _ => return Err(invalid("option type is neither C nor P")),
        };
        let strike: f64 = strike.replace('d', ".").parse().map_err(|_| invalid("strike is not a number"))?;
        if !(strike.is_finite() && strike > 0.0) {
            return Err(invalid("strike is not positive"));
        }
        let expiry = parse_expiry(expiry_label).ok_or_else(|| invalid("expiry is not DMMMYY"))?;
        Ok(OptionName {
            underlying: underlying.to_owned(),
            expiry_label: expiry_label.to_owned(),
            expiry,
            strike,
            kind,
        })
    }
}

impl fmt::Display for OptionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            OptionKind::Call => "C",
            OptionKind::Put => "P",
        };
        write!(f, "{}-{}-{}-{kind}", self.underlying, self.expiry_label, self.strike)
    }
}

/// `30JUL21` (or `6AUG21`) at 08:00 UTC.
fn parse_expiry(label: &str) -> Option<Nanos> {
    let bytes = label.as_bytes();
    if !(6..=7).contains(&bytes.len()) {
        return None;
    }
    let day_digits = bytes.len() - 5;
    let day: u32 = label.get(..day_digits)?.parse().ok()?;
    let month =
        MONTHS.iter().position(|&month| Some(month) == label.get(day_digits..day_digits + 3))? as u32 + 1;
    let year: i64 = 2000 + label.get(day_digits + 3..)?.parse::<i64>().ok()?;
    if !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(Nanos((days * 86_400 + 8 * 3_600) * Nanos::PER_SECOND))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`
/// algorithm, written out from its description).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// One `ticker.{instrument}.{interval}` notification of an option.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionTicker {
    /// The option.
    pub name: OptionName,
    /// `timestamp`: when Deribit produced the ticker.
    pub timestamp: Nanos,
    /// `mark_iv`: implied volatility of the mark price, in percent (80.5 is 80.5 %).
    pub mark_iv: f64,
    /// `bid_iv`, percent; `None` when absent or zero (no bid).
    pub bid_iv: Option<f64>,
    /// `ask_iv`, percent; `None` when absent or zero (no ask).
    pub ask_iv: Option<f64>,
    /// `open_interest`, in contracts (one contract is one unit of the underlying).
    pub open_interest: f64,
    /// `underlying_price`: the forward the option is priced on (the future of its expiry, or
    /// a synthetic one).
    pub underlying_price: f64,
    /// `index_price`: the spot index.
    pub index_price: f64,
}

/// One instrument of a `public/get_instruments` response.
#[derive(Clone, Debug, PartialEq)]
pub struct InstrumentInfo {
    /// `instrument_name`.
    pub instrument_name: String,
    /// `kind`: `option`, `future`, ...
    pub kind: String,
    /// `base_currency`.
    pub base_currency: String,
    /// `expiration_timestamp` (`Nanos(i64::MAX)` for a perpetual, whose is the year 3000).
    pub expiration: Nanos,
    /// `strike` (options only).
    pub strike: Option<f64>,
    /// `option_type` (options only).
    pub option_type: Option<OptionKind>,
    /// `is_active`.
    pub is_active: bool,
}

/// What one Deribit frame was.
#[derive(Clone, Debug, PartialEq)]
pub enum DeribitMessage {
    /// A `ticker.*` notification of an option.
    Ticker(OptionTicker),
    /// A `ticker.*` notification of a future or perpetual (no implied volatility): ignored.
    NonOptionTicker,
    /// A notification on another channel (`book.*`, `trades.*`): ignored.
    OtherChannel,
    /// A `public/get_instruments` result.
    Instruments {
        /// The instruments.
        list: Vec<InstrumentInfo>,
        /// `usOut`: the server's time when it answered, if given.
        server_time: Option<Nanos>,
    },
    /// A `public/get_index_price` result.
    IndexPrice {
        /// The request's `id`.
        id: u64,
        /// `index_price`.
        index_price: f64,
    },
    /// `{"method":"heartbeat","params":{"type":"test_request"}}`: answer with `public/test`
    /// or the connection is closed.
    TestRequest,
    /// `{"method":"heartbeat","params":{"type":"heartbeat"}}`.
    Heartbeat,
    /// A result of another request (subscribe, set_heartbeat, test), by `id`.
    Reply {
        /// The request's `id` (0 if absent).
        id: u64,
    },
    /// A JSON-RPC error answer.
    RpcError {
        /// The request's `id` (0 if absent).
        id: u64,
        /// `error.code`.
        code: i64,
        /// `error.message`.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiries_are_eight_utc_on_the_named_day() {
        // TC0: BTC-30JUL21: 2021-07-30 08:00:00 UTC is 1627632000; get_instruments in
        // DERIBIT.0 gives expiration_timestamp 1627632000000 for it.
        assert_eq!(parse_expiry("30JUL21"), Some(Nanos(1_627_632_000 * Nanos::PER_SECOND)));
        // TC1: a one-digit day: BTC-6AUG21 expires 1628236800000 (DERIBIT.0).
        assert_eq!(parse_expiry("6AUG21"), Some(Nanos(1_628_236_800 * Nanos::PER_SECOND)));
        // TC2: a leap day, and refusals.
        assert_eq!(parse_expiry("29FEB24"), Some(Nanos((19_782 * 86_400 + 28_800) * Nanos::PER_SECOND)));
        assert_eq!(parse_expiry("30JLY21"), None);
        assert_eq!(parse_expiry("0JUL21"), None);
    }

    #[test]
    fn names_split_into_their_parts() {
        let name = OptionName::parse("BTC-30JUL21-40000-C").unwrap();
        assert_eq!((name.underlying.as_str(), name.strike, name.kind), ("BTC", 40_000.0, OptionKind::Call));
        let name = OptionName::parse("XRP_USDC-30AUG24-0d625-P").unwrap();
        assert_eq!((name.underlying.as_str(), name.strike, name.kind), ("XRP_USDC", 0.625, OptionKind::Put));
        assert!(OptionName::parse("BTC-PERPETUAL").is_err());
        assert!(OptionName::parse("BTC-30JUL21").is_err());
        assert!(OptionName::parse("BTC-30JUL21-40000-X").is_err());
        assert!(OptionName::parse("BTC-30JUL21--C").is_err());
    }
}
