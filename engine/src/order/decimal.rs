//! Exact decimal text for a whole count of a [`Step`], without `f64` and without allocating.
//!
//! - [`StepFormat`]: built once per grid (an instrument's tick or lot), it renders `count × step`
//!   with exactly the step's number of decimals: on a `0.10` tick, 618003 ticks is `61800.3`; on
//!   a `0.001` lot, 5 lots is `0.005`; on a `1` lot, 5 lots is `5`.
//! - [`DecimalText`]: the rendered text, held on the stack.
//!
//! The order encoder uses these for Binance's `price` and `quantity`. `Step::count_to_decimal`
//! gives the same digits but through a 96-bit [`rust_decimal::Decimal`] that panics past its range
//! and then needs a formatter; this is a 128-bit multiply and `itoa`, and cannot fail.

use feeds::Step;

/// Renders whole counts of one [`Step`] as exact decimal text.
///
/// A step is `units × 10^-decimals` (`0.10` is 1 × 10⁻¹, `0.5` is 5 × 10⁻¹, `10` is 10 × 10⁰), so
/// `count` steps is the integer `count × units` with the decimal point `decimals` places from the
/// right. The text always has exactly `decimals` fraction digits (the instrument's precision), a
/// leading `0` before a bare fraction, and a `-` for negative counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepFormat {
    /// The step's normalised mantissa, `> 0` (`Step`'s invariant); `i128` so that
    /// `count × units` cannot overflow for any `i64` count.
    units: i128,
    /// Fraction digits of the step, at most [`feeds::fixed::MAX_DECIMALS`].
    decimals: u32,
}

/// The longest text: 39 digits of an `i128` product, a sign, `0.`, and zeros padding a fraction
/// of up to [`feeds::fixed::MAX_DECIMALS`] digits.
const MAX_TEXT: usize = 56;

/// Decimal text rendered by [`StepFormat::format`], held inline.
#[derive(Clone, Copy)]
pub struct DecimalText {
    bytes: [u8; MAX_TEXT],
    len: usize,
}

impl DecimalText {
    /// The text as bytes (ASCII).
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits, '-', '.' are ever written.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    fn push(&mut self, bytes: &[u8]) {
        self.bytes[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }
}

impl std::fmt::Debug for DecimalText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl StepFormat {
    /// The format of `step`'s grid.
    pub fn new(step: Step) -> StepFormat {
        // `Step` keeps a normalised `units × 10^-decimals` and hands it out as a `Decimal` with
        // exactly that mantissa and scale.
        let value = step.to_decimal();
        StepFormat { units: value.mantissa(), decimals: value.scale() }
    }

    /// Fraction digits every rendered value has.
    #[inline]
    pub fn decimals(self) -> u32 {
        self.decimals
    }

    /// `count` steps as exact decimal text.
    #[inline]
    pub fn format(self, count: i64) -> DecimalText {
        // |count| ≤ 2⁶³ and units ≤ 2⁶³ (an i64 mantissa), so the product fits an i128.
        let scaled = i128::from(count) * self.units;
        let mut digits_buffer = itoa::Buffer::new();
        let digits = digits_buffer.format(scaled.unsigned_abs()).as_bytes();
        let decimals = self.decimals as usize;
        let mut text = DecimalText { bytes: [0; MAX_TEXT], len: 0 };
        if scaled < 0 {
            text.push(b"-");
        }
        if decimals == 0 {
            text.push(digits);
        } else if digits.len() > decimals {
            let (whole, fraction) = digits.split_at(digits.len() - decimals);
            text.push(whole);
            text.push(b".");
            text.push(fraction);
        } else {
            text.push(b"0.");
            for _ in digits.len()..decimals {
                text.push(b"0");
            }
            text.push(digits);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(step: &str, count: i64) -> String {
        StepFormat::new(Step::from_text(step).unwrap()).format(count).as_str().to_owned()
    }

    #[test]
    fn binance_grids_render_with_the_instruments_precision() {
        // BTCUSDT: tick 0.10 normalises to 1 × 10⁻¹, so prices have one decimal.
        assert_eq!(format("0.10", 618_003), "61800.3");
        assert_eq!(format("0.10", 618_000), "61800.0");
        // Lot 0.001: five lots are 0.005, a fraction padded with zeros after "0.".
        assert_eq!(format("0.001", 5), "0.005");
        assert_eq!(format("0.001", 1_000), "1.000");
        assert_eq!(format("0.001", 12_111), "12.111");
        // AKROUSDT tick 0.00001: a sub-cent price.
        assert_eq!(format("0.00001", 1_234), "0.01234");
        // Integer lots have no decimal point.
        assert_eq!(format("1", 5), "5");
    }

    #[test]
    fn steps_that_are_not_powers_of_ten_scale_the_count() {
        // 21 half-units is 10.5; 20 is 10.0 (the grid's one decimal is kept).
        assert_eq!(format("0.5", 21), "10.5");
        assert_eq!(format("0.5", 20), "10.0");
        // A step of 10: 12 steps is 120.
        assert_eq!(format("10", 12), "120");
        assert_eq!(format("0.025", 3), "0.075");
    }

    #[test]
    fn zero_negative_and_extreme_counts() {
        assert_eq!(format("0.001", 0), "0.000");
        assert_eq!(format("0.10", -5), "-0.5");
        // The extremes of i64 on the finest grid do not overflow or truncate.
        assert_eq!(format("0.000000000001", i64::MIN), "-9223372.036854775808");
        assert_eq!(format("999999999999", i64::MAX), "9223372036845552434963145224193");
    }

    #[test]
    fn agrees_with_rust_decimal_across_grids() {
        // `Step::count_to_decimal` is the reference within Decimal's range: same digits, same
        // scale. A deterministic sweep of grids and counts, small and large, of both signs.
        let steps = ["0.10", "0.001", "0.00001", "0.0001", "1", "0.5", "10", "0.025", "0.000000000001", "25"];
        let mut count: i64 = 1;
        for step in steps {
            let grid = Step::from_text(step).unwrap();
            let formatter = StepFormat::new(grid);
            for _ in 0..2_000 {
                // Multiplicative walk through magnitudes; the constant is odd, so values vary.
                count = count.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                for candidate in [count >> 40, count >> 20, count % 1_000, -(count >> 44)] {
                    let expected = grid.count_to_decimal(candidate).to_string();
                    assert_eq!(formatter.format(candidate).as_str(), expected, "{step} × {candidate}");
                }
            }
        }
    }
}
