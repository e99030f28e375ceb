//! The report's CSV time series, one file per concern, every sample (never thinned).
//!
//! | file | one row per | columns |
//! |---|---|---|
//! | `quotes.csv` | sample | `time_ns, time_utc, mid, bid, ask, fair_value, half_spread_bps` |
//! | `fills.csv` | fill | `time_ns, time_utc, side, price, qty, liquidity, fee, position, markout_1s_bps, markout_5s_bps, markout_30s_bps` |
//! | `inventory.csv` | sample | `time_ns, position` |
//! | `pnl.csv` | sample | `time_ns, pnl` |
//! | `signals.csv` | sample | `time_ns, toxicity, volatility_bps, cascade_score` |
//! | `state.csv` | run of equal states | `start_ns, end_ns, state` |
//!
//! A missing value (no resting quote, a NaN or infinite number, a markout past the end of the
//! recording) is an empty cell. Every file has its header row even when it has no data rows.
//! Cells are numbers (Rust's shortest round-trip form, never an exponent), ISO 8601 times and
//! fixed words (`buy`/`sell`, `maker`/`taker`, the upper-case state names), so nothing ever
//! needs quoting and no CSV crate is needed.

use super::runs::StateRun;
use crate::gateway::Liquidity;
use crate::replay::series::{FillRecord, Sample};
use feeds::{Nanos, Side};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Header of `quotes.csv`.
pub(crate) const QUOTES_HEADER: &str = "time_ns,time_utc,mid,bid,ask,fair_value,half_spread_bps";
/// Header of `fills.csv`.
pub(crate) const FILLS_HEADER: &str = "time_ns,time_utc,side,price,qty,liquidity,fee,position,\
                                       markout_1s_bps,markout_5s_bps,markout_30s_bps";
/// Header of `inventory.csv`.
pub(crate) const INVENTORY_HEADER: &str = "time_ns,position";
/// Header of `pnl.csv`.
pub(crate) const PNL_HEADER: &str = "time_ns,pnl";
/// Header of `signals.csv`.
pub(crate) const SIGNALS_HEADER: &str = "time_ns,toxicity,volatility_bps,cascade_score";
/// Header of `state.csv`.
pub(crate) const STATE_HEADER: &str = "start_ns,end_ns,state";

/// Writes `header` and one line per item of `rows` (each formatted by `row` into the line
/// buffer, without its newline) to `path`.
pub(crate) fn write_rows<T>(
    path: &Path,
    header: &str,
    rows: &[T],
    mut row: impl FnMut(&mut String, &T),
) -> io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    out.write_all(header.as_bytes())?;
    out.write_all(b"\n")?;
    let mut line = String::with_capacity(256);
    for item in rows {
        line.clear();
        row(&mut line, item);
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

/// A `quotes.csv` row.
pub(crate) fn quote_row(line: &mut String, sample: &Sample) {
    push_time(line, sample.time);
    for value in [sample.mid, opt(sample.bid), opt(sample.ask), sample.fair_value, sample.half_spread_bps] {
        line.push(',');
        push_number(line, value);
    }
}

/// A `fills.csv` row.
pub(crate) fn fill_row(line: &mut String, fill: &FillRecord) {
    push_time(line, fill.time);
    line.push_str(match fill.side {
        Side::Bid => ",buy",
        Side::Ask => ",sell",
    });
    line.push(',');
    push_number(line, fill.price);
    line.push(',');
    push_number(line, fill.qty);
    line.push_str(match fill.liquidity {
        Liquidity::Maker => ",maker",
        Liquidity::Taker => ",taker",
    });
    for value in [fill.fee, fill.position] {
        line.push(',');
        push_number(line, value);
    }
    for markout in fill.markouts_bps {
        line.push(',');
        push_number(line, opt(markout));
    }
}

/// An `inventory.csv` row.
pub(crate) fn inventory_row(line: &mut String, sample: &Sample) {
    push_ns(line, sample.time);
    line.push(',');
    push_number(line, sample.position);
}

/// A `pnl.csv` row.
pub(crate) fn pnl_row(line: &mut String, sample: &Sample) {
    push_ns(line, sample.time);
    line.push(',');
    push_number(line, sample.pnl);
}

/// A `signals.csv` row.
pub(crate) fn signal_row(line: &mut String, sample: &Sample) {
    push_ns(line, sample.time);
    for value in [sample.toxicity, sample.volatility_bps, sample.cascade_score] {
        line.push(',');
        push_number(line, value);
    }
}

/// A `state.csv` row.
pub(crate) fn state_row(line: &mut String, run: &StateRun) {
    let _ = write!(line, "{},{},{}", run.start, run.end, run.state.name());
}

/// `time_ns,time_utc`.
fn push_time(line: &mut String, time: Nanos) {
    push_ns(line, time);
    line.push(',');
    line.push_str(&super::utc::iso_millis(time));
}

fn push_ns(line: &mut String, time: Nanos) {
    let _ = write!(line, "{}", time.0);
}

/// A finite number in its shortest round-trip form; nothing for NaN or an infinity.
fn push_number(line: &mut String, value: f64) {
    if value.is_finite() {
        // `+ 0.0` turns −0 into 0.
        let _ = write!(line, "{}", value + 0.0);
    }
}

fn opt(value: Option<f64>) -> f64 {
    value.unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use risk::cascade::CascadeState;

    #[test]
    fn rows_leave_missing_values_empty() {
        let sample = Sample {
            time: Nanos(1_723_161_256_299_000_000),
            mid: 60_000.5,
            bid: None,
            ask: Some(60_001.0),
            fair_value: f64::NAN,
            position: -0.0,
            pnl: f64::INFINITY,
            toxicity: 0.25,
            volatility_bps: 1e-7,
            half_spread_bps: 1.5,
            state: CascadeState::Warning,
            cascade_score: 0.5,
        };
        let mut line = String::new();
        quote_row(&mut line, &sample);
        assert_eq!(line, "1723161256299000000,2024-08-08T23:54:16.299Z,60000.5,,60001,,1.5");
        line.clear();
        inventory_row(&mut line, &sample);
        assert_eq!(line, "1723161256299000000,0");
        line.clear();
        pnl_row(&mut line, &sample);
        assert_eq!(line, "1723161256299000000,");
        line.clear();
        signal_row(&mut line, &sample);
        assert_eq!(line, "1723161256299000000,0.25,0.0000001,0.5");

        let fill = FillRecord {
            time: Nanos(0),
            side: Side::Ask,
            price: 60_001.0,
            qty: 0.001,
            liquidity: Liquidity::Maker,
            fee: -0.012,
            position: -0.001,
            markouts_bps: [Some(0.5), Some(-1.25), None],
        };
        line.clear();
        fill_row(&mut line, &fill);
        assert_eq!(line, "0,1970-01-01T00:00:00.000Z,sell,60001,0.001,maker,-0.012,-0.001,0.5,-1.25,");
        assert_eq!(line.split(',').count(), FILLS_HEADER.split(',').count());
    }
}
