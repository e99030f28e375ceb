//! UTC calendar and clock text for [`Nanos`] timestamps, without a date-time crate: the
//! report only ever prints timestamps, so the proleptic Gregorian conversion below (Howard
//! Hinnant's `civil_from_days`) is all it needs.

use feeds::Nanos;

const SECONDS_PER_DAY: i64 = 86_400;

/// Nanoseconds in one day.
pub(crate) const NANOS_PER_DAY: i64 = SECONDS_PER_DAY * Nanos::PER_SECOND;

/// `2024-08-09T00:14:16.299Z`: ISO 8601, millisecond precision (truncated, so a timestamp
/// never prints as a later millisecond than it is).
pub(crate) fn iso_millis(time: Nanos) -> String {
    let days = time.0.div_euclid(NANOS_PER_DAY);
    let of_day = time.0.rem_euclid(NANOS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let seconds = of_day / Nanos::PER_SECOND;
    let millis = of_day % Nanos::PER_SECOND / Nanos::PER_MILLI;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// `2024-08-09`: the UTC date of the day that starts `days` days after the epoch.
pub(crate) fn date(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `HH:MM:SS` of `seconds` after a UTC midnight, with `decimals` digits of fractional
/// seconds; a `+Nd ` prefix when `seconds` reaches into a later day.
pub(crate) fn clock(seconds: f64, decimals: usize) -> String {
    let scale = 10_f64.powi(decimals as i32);
    // Round once, in integer units of the last printed digit, so 59.9996 s never reads
    // "00:00:60.000".
    let units = (seconds * scale).round() as i64;
    let per_second = scale as i64;
    let whole = units.div_euclid(per_second);
    let fraction = units.rem_euclid(per_second);
    let day = whole.div_euclid(SECONDS_PER_DAY);
    let of_day = whole.rem_euclid(SECONDS_PER_DAY);
    let mut text = String::new();
    if day != 0 {
        text.push_str(&format!("{day:+}d "));
    }
    text.push_str(&format!("{:02}:{:02}:{:02}", of_day / 3600, of_day / 60 % 60, of_day % 60));
    if decimals > 0 {
        text.push_str(&format!(".{fraction:0decimals$}"));
    }
    text
}

/// (year, month 1–12, day 1–31) of the day `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of each 400-year era.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // March = 0
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_millis_matches_known_instants() {
        // TC0: the epoch.
        assert_eq!(iso_millis(Nanos(0)), "1970-01-01T00:00:00.000Z");
        // TC1: a Binance event time (ms 1723161256299), leap year, after February.
        assert_eq!(iso_millis(Nanos(1_723_161_256_299_999_999)), "2024-08-08T23:54:16.299Z");
        // TC2: a leap day.
        assert_eq!(iso_millis(Nanos(1_709_164_800 * Nanos::PER_SECOND)), "2024-02-29T00:00:00.000Z");
        // TC3: before the epoch: the last millisecond of 1969.
        assert_eq!(iso_millis(Nanos(-1)), "1969-12-31T23:59:59.999Z");
        // TC4: 2000-03-01, the day after a century leap day.
        assert_eq!(iso_millis(Nanos(951_868_800 * Nanos::PER_SECOND)), "2000-03-01T00:00:00.000Z");
    }

    #[test]
    fn clock_rounds_and_marks_later_days() {
        assert_eq!(clock(3_723.4, 0), "01:02:03");
        assert_eq!(clock(59.9996, 3), "00:01:00.000");
        assert_eq!(clock(86_400.0 + 61.25, 1), "+1d 00:01:01.3");
        assert_eq!(clock(0.0, 0), "00:00:00");
        assert_eq!(date(19_944), "2024-08-09");
    }
}
