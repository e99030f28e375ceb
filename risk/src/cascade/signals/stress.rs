//! The stress mapping: [`stress`] turns a raw measure into a stress in `[0, 1]`, and [`freeze`]
//! decides when a baseline stops learning.
//!
//! Every signal has a raw measure `x` (its [`SignalReading::value`]) and three levels from the
//! config: *calm* (stress 0), *warn* (0.5) and *cascade* (1). The stress is piecewise linear
//! between them and clamped: 0 at or before calm, `0.5·(x − calm)/(warn − calm)` up to warn,
//! `0.5 + 0.5·(x − warn)/(cascade − warn)` up to cascade, 1 beyond. The levels may fall
//! (`calm > warn > cascade`, as for depth) as well as rise. A `NaN` measure is stress 0.
//!
//! [`SignalReading::value`]: crate::cascade::SignalReading::value

/// The piecewise-linear stress of a measure `x` with levels `calm` (0), `warn` (0.5) and
/// `cascade` (1), rising or falling, clamped to `[0, 1]`; 0 for `NaN`.
pub(super) fn stress(x: f64, calm: f64, warn: f64, cascade: f64) -> f64 {
    if x.is_nan() {
        return 0.0;
    }
    // A falling mapping is the rising one of the negated values.
    let (x, calm, warn, cascade) =
        if cascade >= calm { (x, calm, warn, cascade) } else { (-x, -calm, -warn, -cascade) };
    if x <= calm {
        0.0
    } else if x <= warn {
        0.5 * (x - calm) / (warn - calm)
    } else if x < cascade {
        0.5 + 0.5 * (x - warn) / (cascade - warn)
    } else {
        1.0
    }
}

/// Whether a baseline is frozen, given whether it was and its signal's stress now: it
/// freezes at the warn level (stress 0.5) and thaws only halfway back to calm (below 0.25), so
/// that a ratio hovering at warn does not let a burst in one update at a time.
#[inline]
pub(super) fn freeze(frozen: bool, stress: f64) -> bool {
    if frozen { stress >= 0.25 } else { stress >= 0.5 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cascade::signals::test_support::close;

    #[test]
    fn stress_is_piecewise_linear_through_calm_warn_and_cascade() {
        // Rising: calm 1, warn 4, cascade 10.
        assert_eq!(stress(0.5, 1.0, 4.0, 10.0), 0.0);
        assert_eq!(stress(1.0, 1.0, 4.0, 10.0), 0.0);
        assert_eq!(stress(2.5, 1.0, 4.0, 10.0), 0.25); // halfway to warn
        assert_eq!(stress(4.0, 1.0, 4.0, 10.0), 0.5);
        assert_eq!(stress(7.0, 1.0, 4.0, 10.0), 0.75); // halfway from warn to cascade
        assert_eq!(stress(10.0, 1.0, 4.0, 10.0), 1.0);
        assert_eq!(stress(f64::INFINITY, 1.0, 4.0, 10.0), 1.0);
        // Falling, as for depth: calm 1, warn 0.5, cascade 0.2.
        assert_eq!(stress(1.3, 1.0, 0.5, 0.2), 0.0);
        assert_eq!(stress(0.75, 1.0, 0.5, 0.2), 0.25);
        assert_eq!(stress(0.5, 1.0, 0.5, 0.2), 0.5);
        close(stress(0.35, 1.0, 0.5, 0.2), 0.75, 1e-12);
        assert_eq!(stress(0.0, 1.0, 0.5, 0.2), 1.0);
        // Unknown is no stress.
        assert_eq!(stress(f64::NAN, 1.0, 4.0, 10.0), 0.0);
    }
}
