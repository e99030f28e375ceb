//! Unit conversions shared by the estimators: nanoseconds and seconds, basis points, and the
//! feed's fixed-point prices and rates.

use feeds::{Nanos, RateE8};

/// Nanoseconds in one second, as `f64`.
pub(super) const NANOS_PER_SEC: f64 = 1e9;

/// Basis points in one.
pub(super) const BPS: f64 = 10_000.0;

/// Scale of [`feeds::PriceE8`] and [`RateE8`].
pub(super) const E8: f64 = feeds::E8 as f64;

/// Seconds from `earlier` to `later`, 0 if negative.
#[inline]
pub(super) fn seconds_between(earlier: Nanos, later: Nanos) -> f64 {
    later.saturating_since(earlier).max(0) as f64 / NANOS_PER_SEC
}

/// Nanoseconds of a validated number of seconds.
pub(super) fn nanos(seconds: f64) -> i64 {
    (seconds * NANOS_PER_SEC).round() as i64
}

/// A funding rate as a fraction.
#[inline]
pub(super) fn rate(rate: RateE8) -> f64 {
    rate.0 as f64 / E8
}
