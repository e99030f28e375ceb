//! `halcyon inspect`: read a recording, print what is in it and whether its book checks out.

use super::args::InspectArgs;
use super::config::{InstrumentSource, load_instruments};
use super::{CliError, EXIT_DATA_PROBLEMS, EXIT_OK};
use feeds::inspect::{Inspection, Inspector, OwnedFrame};
use feeds::recording::{detect_format, open_frames};
use std::fmt::Write as _;
use std::io::Write as _;

/// Runs the command; returns the exit status.
pub fn run(arguments: &InspectArgs) -> Result<u8, CliError> {
    let (instruments, source) =
        load_instruments(arguments.instruments.as_deref(), arguments.exchange_info.as_deref())?;
    // Opening first: its errors name the file once and say what it is not.
    let mut reader = open_frames(&arguments.recording)?;
    let format = detect_format(&arguments.recording)
        .map_err(|source| CliError::Io { path: arguments.recording.clone(), source })?;
    let mut side_frames = Vec::new();
    let mut side_errors = 0;
    for path in &arguments.snapshots {
        let mut side = open_frames(path)?;
        let (frames, errors) = OwnedFrame::read_all(side.as_mut());
        for error in &errors {
            eprintln!("halcyon: warning: {error}");
        }
        side_errors += errors.len() as u64;
        side_frames.extend(frames);
    }
    side_frames.sort_by_key(|frame| frame.receive_time);
    let mut report = Inspector::new(instruments).run(reader.as_mut(), &mut side_frames);
    report.read_errors += side_errors;

    let text = if arguments.json {
        let mut value = serde_json::to_value(&report).map_err(|e| CliError::Output(e.into()))?;
        if let Some(object) = value.as_object_mut() {
            object.insert("recording".into(), arguments.recording.display().to_string().into());
            object.insert("format".into(), format!("{format:?}").into());
            object.insert("instruments_source".into(), describe(&source).into());
        }
        let mut text = serde_json::to_string_pretty(&value).map_err(|e| CliError::Output(e.into()))?;
        text.push('\n');
        text
    } else {
        table(&report, &arguments.recording.display().to_string(), &format!("{format:?}"), &source)
    };
    std::io::stdout().lock().write_all(text.as_bytes()).map_err(CliError::Output)?;

    let problems = report.parse_errors + report.read_errors + report.gaps + report.book_check.mismatched;
    Ok(if arguments.strict && problems > 0 { EXIT_DATA_PROBLEMS } else { EXIT_OK })
}

fn describe(source: &InstrumentSource) -> String {
    match source {
        InstrumentSource::File(path) => path.display().to_string(),
        InstrumentSource::BuiltIn => "built-in".to_owned(),
    }
}

/// The human-readable report.
fn table(report: &Inspection, recording: &str, format: &str, source: &InstrumentSource) -> String {
    let mut out = String::new();
    let span = &report.time_span;
    let _ = writeln!(out, "recording     {recording} ({format})");
    let _ = writeln!(out, "instruments   {}", describe(source));
    let _ = writeln!(out, "decoder       Binance USD-M (frames of other venues count as parse errors)");
    let _ = writeln!(
        out,
        "received      {} → {} ({:.3} s)",
        utc(span.first_receive_ns),
        utc(span.last_receive_ns),
        span.seconds
    );
    let _ = writeln!(out, "exchange time {} → {}", utc(span.first_exchange_ns), utc(span.last_exchange_ns));
    let _ = writeln!(
        out,
        "frames        {}   parse errors {}   read errors {}   gaps {}   events {}",
        report.frames, report.parse_errors, report.read_errors, report.gaps, report.events
    );
    let _ = writeln!(
        out,
        "decoded by    scanner {}   simd-json tape {}",
        report.decoded_fast, report.decoded_tape
    );
    let _ = writeln!(out, "\n{:<16}{:>10}", "kind", "frames");
    for (kind, count) in &report.counts {
        let _ = writeln!(out, "{kind:<16}{count:>10}");
    }
    let check = &report.book_check;
    let _ = writeln!(
        out,
        "\nbook check    compared {}   mismatched {}   not comparable {}   book errors {}",
        check.compared, check.mismatched, check.not_comparable, report.book_errors
    );
    let _ = writeln!(
        out,
        "\n{:<12}{:>8}{:>9}{:>7}{:>6}{:>6}{:>10}{:>12}{:>9}  levels",
        "instrument", "frames", "applied", "stale", "gaps", "snaps", "compared", "mismatched", "trusted"
    );
    for (symbol, instrument) in &report.instruments {
        let _ = writeln!(
            out,
            "{:<12}{:>8}{:>9}{:>7}{:>6}{:>6}{:>10}{:>12}{:>9}  {}/{}",
            symbol,
            instrument.frames,
            instrument.diffs_applied,
            instrument.diffs_stale,
            instrument.gaps,
            instrument.snapshots,
            instrument.book_check.compared,
            instrument.book_check.mismatched,
            if instrument.trusted_at_end { "yes" } else { "no" },
            instrument.levels_at_end[0],
            instrument.levels_at_end[1],
        );
    }
    if !report.samples.is_empty() {
        let _ = writeln!(out, "\nfirst problems:");
        for sample in &report.samples {
            let _ = writeln!(out, "  {sample}");
        }
    }
    out
}

/// `YYYY-MM-DD HH:MM:SS.mmm UTC` from nanoseconds since the epoch (proleptic Gregorian).
fn utc(nanos: i64) -> String {
    if nanos <= 0 {
        return "-".to_owned();
    }
    let seconds = nanos.div_euclid(1_000_000_000);
    let millis = nanos.rem_euclid(1_000_000_000) / 1_000_000;
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm, public domain description).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{millis:03} UTC",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn utc_formats_known_instants() {
        // The first receive time of the Binance USD-M recording.
        assert_eq!(utc(1_723_161_255_030_314_667), "2024-08-08 23:54:15.030 UTC");
        assert_eq!(utc(951_782_400_000_000_000), "2000-02-29 00:00:00.000 UTC");
        assert_eq!(utc(0), "-");
    }
}
