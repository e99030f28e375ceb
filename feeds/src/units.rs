//! Units of the hot path, each its own type.
//!
//! - [`Ticks`]: a price as a whole number of the instrument's tick size. Every price that the
//!   exchange constrains to the tick grid (book levels, best bid/offer, trades) is carried so.
//! - [`Lots`]: a quantity as a whole number of the instrument's lot (step) size.
//! - [`PriceE8`]: a price in units of 10⁻⁸ of the quote asset, for prices the exchange computes
//!   and does not round to the grid (mark, index, a liquidation's average fill price).
//! - [`RateE8`]: a dimensionless rate in units of 10⁻⁸ (funding rates).
//! - [`Nanos`]: a point in time, nanoseconds since the Unix epoch.
//! - [`Seq`]: an exchange sequence number (book update id, trade id).
//! - [`InstrumentId`]: the engine's dense index of an instrument in its registry.
//! - [`Side`]: bid or ask; for a trade, the aggressor's side.
//!
//! All conversions between these and primitive integers live here, so that a bare `i64` never
//! crosses an API boundary.

use std::fmt;

macro_rules! integer_unit {
    ($(#[$meta:meta])* $name:ident($inner:ty)) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(transparent)]
        #[repr(transparent)]
        pub struct $name(pub $inner);

        impl $name {
            /// Zero of this unit.
            pub const ZERO: Self = Self(0);

            /// The raw integer.
            #[inline]
            pub const fn get(self) -> $inner {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

integer_unit!(
    /// A price as a whole number of the instrument's tick size.
    Ticks(i64)
);
integer_unit!(
    /// A quantity as a whole number of the instrument's lot (step) size. Never negative in a
    /// book; zero removes a level.
    Lots(i64)
);
integer_unit!(
    /// A price in units of 10⁻⁸ of the quote asset: exact for every price an exchange prints
    /// with at most eight decimals, on the tick grid or not.
    PriceE8(i64)
);
integer_unit!(
    /// A dimensionless rate in units of 10⁻⁸ (a funding rate of 0.01 % is `RateE8(10_000)`).
    RateE8(i64)
);
integer_unit!(
    /// A point in time: nanoseconds since the Unix epoch (UTC). Exchange and receive times are
    /// both carried in this unit; which clock a value came from is said by the field holding it.
    Nanos(i64)
);
integer_unit!(
    /// An exchange sequence number: a book update id, a trade id, a snapshot's `lastUpdateId`.
    Seq(u64)
);
integer_unit!(
    /// The engine's dense index of an instrument in its [`Instruments`](crate::Instruments)
    /// registry.
    InstrumentId(u32)
);

/// Scale of [`PriceE8`] and [`RateE8`]: how many units make one.
pub const E8: i64 = 100_000_000;

impl Nanos {
    /// Nanoseconds in one millisecond.
    pub const PER_MILLI: i64 = 1_000_000;
    /// Nanoseconds in one microsecond.
    pub const PER_MICRO: i64 = 1_000;
    /// Nanoseconds in one second.
    pub const PER_SECOND: i64 = 1_000_000_000;

    /// Converts exchange milliseconds since the epoch; `None` if out of range.
    #[inline]
    pub const fn from_millis(millis: i64) -> Option<Self> {
        match millis.checked_mul(Self::PER_MILLI) {
            Some(nanos) => Some(Self(nanos)),
            None => None,
        }
    }

    /// Converts microseconds since the epoch; `None` if out of range.
    #[inline]
    pub const fn from_micros(micros: i64) -> Option<Self> {
        match micros.checked_mul(Self::PER_MICRO) {
            Some(nanos) => Some(Self(nanos)),
            None => None,
        }
    }

    /// Signed difference `self - earlier` in nanoseconds, saturating.
    #[inline]
    pub const fn saturating_since(self, earlier: Nanos) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl InstrumentId {
    /// The id as an index into dense per-instrument tables.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// Side of the book; for a trade, the side of the aggressor (`Bid` = buyer took the ask).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum Side {
    /// Bids (buyers). For a trade: the buyer was the aggressor.
    Bid = 0,
    /// Asks (sellers). For a trade: the seller was the aggressor.
    Ask = 1,
}

impl Side {
    /// The other side.
    #[inline]
    pub const fn opposite(self) -> Side {
        match self {
            Side::Bid => Side::Ask,
            Side::Ask => Side::Bid,
        }
    }

    /// `+1` for bids, `-1` for asks: the sign of the position an execution on this side adds.
    #[inline]
    pub const fn sign(self) -> i64 {
        match self {
            Side::Bid => 1,
            Side::Ask => -1,
        }
    }

    /// Lower-case name as used in reports and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Side::Bid => "bid",
            Side::Ask => "ask",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_convert_exactly_and_refuse_overflow() {
        // A real Binance `E`: 2024-08-08 23:54:16.299 UTC.
        assert_eq!(Nanos::from_millis(1_723_161_256_299), Some(Nanos(1_723_161_256_299_000_000)));
        assert_eq!(Nanos::from_millis(i64::MAX / 1000), None);
        assert_eq!(Nanos::from_micros(1_582_329_602_111_000), Some(Nanos(1_582_329_602_111_000_000)));
    }

    #[test]
    fn sides_are_opposite_and_signed() {
        assert_eq!(Side::Bid.opposite(), Side::Ask);
        assert_eq!(Side::Ask.sign(), -1);
        assert_eq!(format!("{:?}", Ticks(618_002)), "Ticks(618002)");
    }
}
