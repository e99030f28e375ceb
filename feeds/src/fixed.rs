//! Exact decimal ⇄ integer conversion on a step grid.
//!
//! A [`Step`] is the increment a value must be a whole multiple of: an instrument's tick size for
//! prices, its lot size for quantities, or 10⁻⁸ for [`PriceE8`](crate::PriceE8). It turns the
//! exchange's decimal strings straight into integer counts of the step ([`Step::parse`]) without
//! passing through `f64`, and converts counts to and from [`rust_decimal::Decimal`] for the edges
//! (config, order messages, accounting).
//!
//! Nothing is ever rounded: a value off the grid, with more digits than an `i64` holds, or that
//! is not a plain decimal number is a [`FixedError`].

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::fmt;

/// The most fractional digits a step may have; keeps every count within `i64` for realistic
/// prices and sizes, and matches [`rust_decimal`]'s exact range comfortably.
pub const MAX_DECIMALS: u32 = 12;

/// An increment `units × 10^-decimals`, with `units > 0`.
///
/// Invariant: `units` is not a multiple of 10 when `decimals > 0` (the representation is
/// normalised), so two equal steps compare equal.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Step {
    units: i64,
    decimals: u32,
    /// `10^decimals`, cached.
    pow: i64,
}

/// Why a decimal string or value is not an exact count of a [`Step`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FixedError {
    /// The text was empty (or only a sign).
    #[error("empty number")]
    Empty,
    /// A character that is not part of a plain decimal number, at this byte offset.
    #[error("not a plain decimal number (byte {0})")]
    Syntax(usize),
    /// The value is not a whole multiple of the step.
    #[error("value is off the step grid")]
    OffGrid,
    /// The value does not fit the integer range (too many digits).
    #[error("value out of range (too many digits)")]
    Overflow,
    /// A step that is zero, negative or has more than [`MAX_DECIMALS`] decimals.
    #[error("invalid step: must be positive with at most {MAX_DECIMALS} decimals")]
    InvalidStep,
}

impl Step {
    /// One unit at `decimals` places: 10⁻⁸ is `Step::decimal_places(8)`.
    pub const fn decimal_places(decimals: u32) -> Step {
        assert!(decimals <= MAX_DECIMALS, "Step::decimal_places: too many decimals");
        Step { units: 1, decimals, pow: 10_i64.pow(decimals) }
    }

    /// The step from its decimal value (`0.10`, `0.001`, `5`, `10`).
    pub fn from_decimal(value: Decimal) -> Result<Step, FixedError> {
        if value <= Decimal::ZERO {
            return Err(FixedError::InvalidStep);
        }
        let value = value.normalize();
        let decimals = value.scale();
        if decimals > MAX_DECIMALS {
            return Err(FixedError::InvalidStep);
        }
        let units = i64::try_from(value.mantissa()).map_err(|_| FixedError::InvalidStep)?;
        Ok(Step { units, decimals, pow: 10_i64.pow(decimals) })
    }

    /// The step from its decimal text, as exchanges publish it (`"0.10"`, `"0.00100000"`).
    pub fn from_text(text: &str) -> Result<Step, FixedError> {
        let value: Decimal = text.trim().parse().map_err(|_| FixedError::Syntax(0))?;
        Step::from_decimal(value)
    }

    /// The step as a decimal.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.units, self.decimals)
    }

    /// The step as an `f64` (for signal maths, never for prices on the wire): `0.1` is
    /// `0.1_f64`, exact to the nearest double.
    #[inline]
    pub fn to_f64(self) -> f64 {
        self.count_to_f64(1)
    }

    /// Fractional digits of the step (`0.10` has 1).
    #[inline]
    pub const fn decimals(self) -> u32 {
        self.decimals
    }

    /// Parses an exchange decimal string into a whole count of steps.
    ///
    /// Accepts `-?digits(.digits)?`. Trailing zeros past the step's precision are fine
    /// (`"61800.20"` on a `0.1` step is 618002); any other digit there, or a value that is not a
    /// multiple of the step, is [`FixedError::OffGrid`].
    #[inline]
    pub fn parse(self, text: &[u8]) -> Result<i64, FixedError> {
        match self.parse_prefix(text)? {
            (count, used) if used == text.len() => Ok(count),
            (_, used) => Err(FixedError::Syntax(used)),
        }
    }

    /// Parses the decimal number at the start of `text`, stopping at the first byte that cannot
    /// continue it; returns the count and the bytes used. [`Step::parse`] is this plus "nothing
    /// follows". Scanners use it to parse a number in place, in one pass, and check the
    /// delimiter themselves.
    #[inline]
    pub fn parse_prefix(self, text: &[u8]) -> Result<(i64, usize), FixedError> {
        let negative = text.first() == Some(&b'-');
        let mut index = usize::from(negative);
        let mut value: u64 = 0;
        // NB: digits accumulate with wrapping arithmetic and the digit count bounds the value
        // instead: a checked multiply per digit made the multiply-add chain the parser's
        // critical path (see the `parse` bench).
        // Integer part.
        while let Some(&byte) = text.get(index) {
            let digit = byte.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
            index += 1;
        }
        let mut digits = index - usize::from(negative);
        if index == usize::from(negative) {
            return Err(if index == text.len() { FixedError::Empty } else { FixedError::Syntax(index) });
        }
        // Fractional part: exactly `decimals` places kept, the rest must be zeros.
        let mut kept = 0;
        if text.get(index) == Some(&b'.') {
            index += 1;
            let fraction_start = index;
            while let Some(&byte) = text.get(index) {
                let digit = byte.wrapping_sub(b'0');
                if digit > 9 {
                    break;
                }
                if kept < self.decimals {
                    value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
                    kept += 1;
                    digits += 1;
                } else if digit != 0 {
                    return Err(FixedError::OffGrid);
                }
                index += 1;
            }
            if index == fraction_start {
                return Err(FixedError::Syntax(index));
            }
        }
        if digits > MAX_DIGITS {
            return Err(FixedError::Overflow);
        }
        if kept < self.decimals {
            value = value
                .checked_mul(POWERS_OF_TEN[(self.decimals - kept) as usize])
                .ok_or(FixedError::Overflow)?;
        }
        let value = i64::try_from(value).map_err(|_| FixedError::Overflow)?;
        let count = if self.units == 1 {
            value
        } else if value % self.units == 0 {
            value / self.units
        } else {
            return Err(FixedError::OffGrid);
        };
        Ok((if negative { -count } else { count }, index))
    }

    /// The decimal value of `count` steps, exactly.
    pub fn count_to_decimal(self, count: i64) -> Decimal {
        Decimal::from_i128_with_scale(i128::from(count) * i128::from(self.units), self.decimals)
    }

    /// The whole count of steps in `value`; [`FixedError::OffGrid`] if it is not a multiple.
    pub fn decimal_to_count(self, value: Decimal) -> Result<i64, FixedError> {
        let scaled = value.checked_mul(Decimal::from(self.pow)).ok_or(FixedError::Overflow)?;
        if !scaled.fract().is_zero() {
            return Err(FixedError::OffGrid);
        }
        let whole = scaled.to_i64().ok_or(FixedError::Overflow)?;
        if whole % self.units != 0 {
            return Err(FixedError::OffGrid);
        }
        Ok(whole / self.units)
    }

    /// `count` steps as `f64` in the step's decimal unit (for signal maths, never for books).
    #[inline]
    pub fn count_to_f64(self, count: i64) -> f64 {
        count as f64 * self.units as f64 / self.pow as f64
    }
}

/// `10^n` for every `n` a step's decimals can ask for.
const POWERS_OF_TEN: [u64; MAX_DECIMALS as usize + 1] = {
    let mut table = [1; MAX_DECIMALS as usize + 1];
    let mut n = 1;
    while n < table.len() {
        table[n] = table[n - 1] * 10;
        n += 1;
    }
    table
};

/// The most digits (integer digits plus kept fraction digits, leading zeros included) a number
/// may have: every 19-digit decimal fits `u64`, so accumulation cannot wrap.
const MAX_DIGITS: usize = 19;

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Step({})", self.to_decimal())
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_decimal(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn step(text: &str) -> Step {
        Step::from_text(text).unwrap()
    }

    #[test]
    fn real_binance_prices_parse_on_the_btcusdt_grid() {
        // BTCUSDT perpetual: tickSize 0.10, stepSize 0.001; Binance prints prices with two
        // decimals, so the second one is always a trailing zero.
        let tick = step("0.10");
        let lot = step("0.001");
        assert_eq!(tick.parse(b"61800.20"), Ok(618_002));
        assert_eq!(tick.parse(b"58710.20"), Ok(587_102));
        assert_eq!(lot.parse(b"12.111"), Ok(12_111));
        assert_eq!(lot.parse(b"0.000"), Ok(0));
        assert_eq!(lot.parse(b"3"), Ok(3000));
        // Off the grid is an error, never a rounding.
        assert_eq!(tick.parse(b"61800.25"), Err(FixedError::OffGrid));
        assert_eq!(lot.parse(b"0.0005"), Err(FixedError::OffGrid));
    }

    #[test]
    fn steps_that_are_not_powers_of_ten() {
        let half = step("0.5");
        assert_eq!(half.parse(b"10.5"), Ok(21));
        assert_eq!(half.parse(b"10.2"), Err(FixedError::OffGrid));
        let ten = step("10");
        assert_eq!(ten.parse(b"120"), Ok(12));
        assert_eq!(ten.parse(b"125"), Err(FixedError::OffGrid));
        assert_eq!(ten.parse(b"120.0"), Ok(12));
    }

    #[test]
    fn garbage_and_overflow_are_errors() {
        let tick = step("0.01");
        assert_eq!(tick.parse(b""), Err(FixedError::Empty));
        assert_eq!(tick.parse(b"-"), Err(FixedError::Empty));
        assert_eq!(tick.parse(b"1e5"), Err(FixedError::Syntax(1)));
        assert_eq!(tick.parse(b".5"), Err(FixedError::Syntax(0)));
        assert_eq!(tick.parse(b"5."), Err(FixedError::Syntax(2)));
        assert_eq!(tick.parse(b"+5"), Err(FixedError::Syntax(0)));
        assert_eq!(tick.parse(b"1.2.3"), Err(FixedError::Syntax(3)));
        assert_eq!(tick.parse(b"99999999999999999999"), Err(FixedError::Overflow));
        assert_eq!(tick.parse(b"92233720368547758.08"), Err(FixedError::Overflow));
        assert_eq!(tick.parse(b"-0.05"), Ok(-5));
        assert_eq!(Step::from_text("0"), Err(FixedError::InvalidStep));
        assert_eq!(Step::from_text("-0.1"), Err(FixedError::InvalidStep));
    }

    #[test]
    fn decimals_convert_exactly_both_ways() {
        let tick = step("0.10");
        assert_eq!(tick.count_to_decimal(618_002).to_string(), "61800.2");
        assert_eq!(tick.decimal_to_count("61800.20".parse().unwrap()), Ok(618_002));
        assert_eq!(tick.decimal_to_count("61800.25".parse().unwrap()), Err(FixedError::OffGrid));
        assert_eq!(step("0.00100000"), step("0.001"));
    }

    proptest! {
        #[test]
        fn parse_agrees_with_rust_decimal(count in -10_000_000_000_i64..10_000_000_000, units in 1_i64..50, decimals in 0_u32..9) {
            let step = Step::from_decimal(Decimal::new(units, decimals)).unwrap();
            let text = step.count_to_decimal(count).to_string();
            prop_assert_eq!(step.parse(text.as_bytes()), Ok(count));
            prop_assert_eq!(step.decimal_to_count(text.parse().unwrap()), Ok(count));
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = step("0.001").parse(&bytes);
        }
    }
}
