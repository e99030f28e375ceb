//! The replay report: CSV time series and one self-contained HTML page with SVG plots.
//!
//! [`write_report`] turns a replay's [`Series`] and its JSON summary into a directory:
//!
//! - `quotes.csv`, `fills.csv`, `inventory.csv`, `pnl.csv`, `signals.csv`, `state.csv`: every
//!   sample and fill, never thinned (columns listed in `report/csv.rs`);
//! - `report.html`: the summary as tables, five stacked plots on one time axis (price with our
//!   quotes, fills and risk-state bands; inventory; PnL; toxicity and volatility; risk state
//!   and cascade score) and notes on what the replay does not model. It needs no network: the
//!   plots are inline `<svg>`, the styles inline, there is no script.
//!
//! The page stays small whatever the replay's length: plots keep, per pixel column, only the
//! extremes of each line (so spikes survive), about 1 MB for 100 000 samples.
//! `scripts/check-report.sh` screenshots a page with headless Chromium and fails on a blank
//! render.
//!
//! ## Guarantees
//! - Never panics on an empty series or on NaN or infinite values: they become empty CSV cells
//!   and gaps in the plots; the page never contains `NaN` or `inf`.
//! - Every I/O error names the file it concerns.

mod axis;
mod csv;
mod downsample;
mod html;
mod plot;
mod runs;
mod summary;
mod utc;

#[cfg(test)]
mod tests;

use crate::replay::series::Series;
use std::path::{Path, PathBuf};

/// The files [`write_report`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFiles {
    /// `quotes.csv`: one row per sample (mid, our bid and ask, fair value, half-spread).
    pub quotes: PathBuf,
    /// `fills.csv`: one row per fill, with markouts.
    pub fills: PathBuf,
    /// `inventory.csv`: position per sample.
    pub inventory: PathBuf,
    /// `pnl.csv`: net PnL per sample.
    pub pnl: PathBuf,
    /// `signals.csv`: toxicity, volatility and cascade score per sample.
    pub signals: PathBuf,
    /// `state.csv`: one row per run of equal cascade-detector states.
    pub state: PathBuf,
    /// `report.html`: the page.
    pub html: PathBuf,
}

impl ReportFiles {
    fn in_dir(dir: &Path) -> Self {
        ReportFiles {
            quotes: dir.join("quotes.csv"),
            fills: dir.join("fills.csv"),
            inventory: dir.join("inventory.csv"),
            pnl: dir.join("pnl.csv"),
            signals: dir.join("signals.csv"),
            state: dir.join("state.csv"),
            html: dir.join("report.html"),
        }
    }

    /// Every path, the CSVs first, the page last.
    pub fn paths(&self) -> [&Path; 7] {
        [&self.quotes, &self.fills, &self.inventory, &self.pnl, &self.signals, &self.state, &self.html]
    }
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A file or the directory could not be created or written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A plot could not be drawn (a bug: drawing into a string has no I/O to fail).
    #[error("cannot draw the plot {plot:?}: {message}")]
    Plot {
        /// The plot's title.
        plot: &'static str,
        /// What the plotting library said.
        message: String,
    },
}

/// Writes the report of `series` into `dir` (created if needed, files overwritten): the six
/// CSV files and `report.html`, titled `title`, whose summary tables flatten `summary` (any
/// JSON; `summary["config"]["simulator"]`, if present, is also listed in the notes).
pub fn write_report(
    dir: &Path,
    series: &Series,
    summary: &serde_json::Value,
    title: &str,
) -> Result<ReportFiles, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Io { path: dir.to_owned(), source })?;
    let files = ReportFiles::in_dir(dir);
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| ReportError::Io { path, source }
    };
    let runs = runs::state_runs(&series.samples);
    csv::write_rows(&files.quotes, csv::QUOTES_HEADER, &series.samples, csv::quote_row)
        .map_err(io(&files.quotes))?;
    csv::write_rows(&files.fills, csv::FILLS_HEADER, &series.fills, csv::fill_row)
        .map_err(io(&files.fills))?;
    csv::write_rows(&files.inventory, csv::INVENTORY_HEADER, &series.samples, csv::inventory_row)
        .map_err(io(&files.inventory))?;
    csv::write_rows(&files.pnl, csv::PNL_HEADER, &series.samples, csv::pnl_row).map_err(io(&files.pnl))?;
    csv::write_rows(&files.signals, csv::SIGNALS_HEADER, &series.samples, csv::signal_row)
        .map_err(io(&files.signals))?;
    csv::write_rows(&files.state, csv::STATE_HEADER, &runs, csv::state_row).map_err(io(&files.state))?;

    let times =
        series.samples.iter().map(|sample| sample.time).chain(series.fills.iter().map(|fill| fill.time));
    let plots = match axis::TimeAxis::spanning(times) {
        Some(axis) => plot::render_all(&plot::Canvas { series, axis: &axis, runs: &runs })
            .map_err(|(plot, error)| ReportError::Plot { plot, message: error.to_string() })?,
        None => Vec::new(),
    };
    let page = html::page(title, series, summary, &plots);
    std::fs::write(&files.html, page).map_err(io(&files.html))?;
    Ok(files)
}
