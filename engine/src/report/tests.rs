//! Report tests on a synthetic [`Series`]: the real one comes from a replay run (being written
//! alongside this module), so these build one by hand with every awkward case in it: a book
//! that starts one-sided (NaN mid), missing quotes, a cascade with its state runs and regime
//! windows, a flapping state, fills with markouts past the end of the recording.

use super::*;
use crate::gateway::Liquidity;
use crate::replay::series::{FillRecord, Regime, RegimeSpan, Sample};
use feeds::{Nanos, Side};
use risk::cascade::CascadeState;
use serde_json::json;
use std::fs;

/// 2024-08-09 12:00:00 UTC.
const START_S: i64 = 1_723_204_800;
const STEP_NS: i64 = 100 * Nanos::PER_MILLI;

/// A synthetic replay of `n` samples 100 ms apart: calm, a cascade around 50 %, a one-sample
/// WARNING flap at 80 %.
pub(crate) fn synthetic(n: usize) -> Series {
    let mut samples = Vec::with_capacity(n);
    let mut fills = Vec::new();
    let (mut position, mut cash) = (0.0_f64, 0.0_f64);
    let mut noise = 0x2545_f491_4f6c_dd1d_u64;
    let mut walk = 0.0;
    let at = |fraction: f64| (n as f64 * fraction) as usize;
    for i in 0..n {
        let time = Nanos(START_S * Nanos::PER_SECOND + i as i64 * STEP_NS);
        noise ^= noise << 13;
        noise ^= noise >> 7;
        noise ^= noise << 17;
        walk += ((noise >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 4.0;
        let state = match i {
            _ if i == at(0.8) => CascadeState::Warning,
            _ if i < at(0.40) => CascadeState::Normal,
            _ if i < at(0.48) => CascadeState::Warning,
            _ if i < at(0.55) => CascadeState::Cascade,
            _ if i < at(0.65) => CascadeState::Cooldown,
            _ => CascadeState::Normal,
        };
        let phase = i as f64 / n as f64;
        // Down 250 through the cascade, half of it back by the end of the cooldown.
        let crash =
            250.0 * ((phase - 0.46) / 0.09).clamp(0.0, 1.0) - 125.0 * ((phase - 0.55) / 0.10).clamp(0.0, 1.0);
        let book_ready = i >= at(0.02);
        let mid = if book_ready { 60_000.0 + 40.0 * (phase * 12.0).sin() + walk - crash } else { f64::NAN };
        let toxicity = match state {
            CascadeState::Normal => 0.15 + 0.1 * (phase * 40.0).sin().abs(),
            CascadeState::Warning => 0.6,
            CascadeState::Cascade => 0.95,
            CascadeState::Cooldown => 0.5,
        };
        let half_spread_bps = 1.0 + 4.0 * toxicity;
        let quoting = book_ready && state != CascadeState::Cascade;
        let half_spread = mid * half_spread_bps * 1e-4;
        let bid = (quoting && i % 50 != 7).then_some(mid - half_spread);
        let ask = quoting.then_some(mid + half_spread);
        if quoting && i % 37 == 0 {
            let (side, price) = if (i / 37) % 2 == 0 {
                (Side::Bid, mid - half_spread)
            } else {
                (Side::Ask, mid + half_spread)
            };
            let qty = 0.001 * (1 + i % 3) as f64;
            let signed = qty * side.sign() as f64;
            position += signed;
            cash -= signed * price;
            let left = n - i;
            fills.push(FillRecord {
                time,
                side,
                price,
                qty,
                liquidity: if i % 5 == 0 { Liquidity::Taker } else { Liquidity::Maker },
                fee: price * qty * if i % 5 == 0 { 4e-4 } else { -1e-5 },
                position,
                markouts_bps: [
                    (left > 10).then_some(0.4),
                    (left > 50).then_some(-0.8),
                    (left > 300).then_some(1.2),
                ],
            });
        }
        samples.push(Sample {
            time,
            mid,
            bid,
            ask,
            fair_value: if book_ready { mid + 0.3 * (phase * 90.0).sin() } else { f64::NAN },
            position,
            pnl: if book_ready { cash + position * mid } else { 0.0 },
            toxicity,
            volatility_bps: 0.6 + 3.0 * crash.abs() / 250.0 + 0.2 * (phase * 33.0).cos(),
            half_spread_bps: if quoting { half_spread_bps } else { f64::NAN },
            state,
            cascade_score: toxicity * 0.9,
        });
    }
    let span = |from: f64, to: f64, regime| RegimeSpan {
        start: samples[at(from)].time,
        end: samples[at(to).min(n - 1)].time,
        regime,
    };
    let regimes = if n >= 100 {
        vec![
            span(0.38, 0.46, Regime::Stressed),
            span(0.46, 0.56, Regime::Cascade),
            span(0.56, 0.62, Regime::Stressed),
        ]
    } else {
        Vec::new()
    };
    Series { symbol: "BTCUSDT".to_owned(), samples, fills, regimes }
}

fn summary() -> serde_json::Value {
    json!({
        "symbol": "BTCUSDT",
        "pnl": { "net": 123.456789, "fees": -4.5, "by_regime": { "calm": 80.0, "cascade": -12.25 } },
        "fills": { "count": 311, "maker_share": 0.8 },
        "config": { "policy": "toxicity_aware", "simulator": { "queue_model": "probabilistic", "latency_ms": 5 } },
    })
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("halcyon-report-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path).unwrap().lines().map(str::to_owned).collect()
}

/// `NaN` anywhere, or `inf` standing as a word of its own (not inside "info" or "fills").
fn non_finite_text(text: &str) -> Option<usize> {
    if let Some(at) = text.find("NaN") {
        return Some(at);
    }
    let bytes = text.as_bytes();
    text.match_indices("inf").map(|(at, _)| at).find(|&at| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + 3).copied();
        !before.is_some_and(|c| c.is_ascii_alphabetic()) && !after.is_some_and(|c| c.is_ascii_alphabetic())
    })
}

#[test]
fn csv_rows_match_the_series() {
    let series = synthetic(5_000);
    let dir = scratch("rows");
    let files = write_report(&dir, &series, &summary(), "rows").unwrap();
    for path in files.paths() {
        assert!(path.is_file(), "{} missing", path.display());
    }
    for path in [&files.quotes, &files.inventory, &files.pnl, &files.signals] {
        assert_eq!(lines(path).len(), series.samples.len() + 1, "{}", path.display());
    }
    let fills = lines(&files.fills);
    assert_eq!(fills.len(), series.fills.len() + 1);
    assert!(series.fills.len() > 50);
    // Every row has as many cells as the header; the last fills' 30 s markout is past the end.
    for path in [&files.quotes, &files.fills, &files.inventory, &files.pnl, &files.signals, &files.state] {
        let rows = lines(path);
        let width = rows[0].split(',').count();
        assert!(rows.iter().all(|row| row.split(',').count() == width), "{}", path.display());
    }
    assert!(fills.last().unwrap().ends_with(','));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn missing_quote_is_an_empty_cell() {
    let series = synthetic(1_000);
    let dir = scratch("empty-cell");
    let files = write_report(&dir, &series, &summary(), "cells").unwrap();
    let quotes = lines(&files.quotes);
    let (index, sample) = series
        .samples
        .iter()
        .enumerate()
        .find(|(_, s)| s.bid.is_none() && s.ask.is_some())
        .expect("a one-sided quote");
    let cells: Vec<&str> = quotes[index + 1].split(',').collect();
    assert_eq!(cells[0], sample.time.0.to_string());
    assert_eq!(cells[3], "", "bid");
    assert_eq!(cells[4].parse::<f64>().unwrap(), sample.ask.unwrap());
    // The first samples have no book: mid and fair value are empty, never "NaN".
    assert_eq!(quotes[1].split(',').nth(2), Some(""));
    for path in files.paths() {
        assert_eq!(non_finite_text(&fs::read_to_string(path).unwrap()), None, "{}", path.display());
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn state_csv_has_one_row_per_run() {
    let series = synthetic(2_000);
    let dir = scratch("state");
    let files = write_report(&dir, &series, &summary(), "state").unwrap();
    let rows = lines(&files.state);
    assert_eq!(rows[0], "start_ns,end_ns,state");
    let changes = series.samples.windows(2).filter(|pair| pair[0].state != pair[1].state).count();
    assert_eq!(rows.len() - 1, changes + 1);
    // NORMAL, WARNING, CASCADE, COOLDOWN, NORMAL, the WARNING flap, NORMAL.
    let states: Vec<&str> = rows[1..].iter().map(|row| row.rsplit(',').next().unwrap()).collect();
    assert_eq!(states, ["NORMAL", "WARNING", "CASCADE", "COOLDOWN", "NORMAL", "WARNING", "NORMAL"]);
    // Runs tile the recording: each ends where the next starts.
    let bounds: Vec<(i64, i64)> = rows[1..]
        .iter()
        .map(|row| {
            let cells: Vec<&str> = row.split(',').collect();
            (cells[0].parse().unwrap(), cells[1].parse().unwrap())
        })
        .collect();
    assert!(bounds.windows(2).all(|pair| pair[0].1 == pair[1].0));
    assert_eq!(bounds[0].0, series.samples[0].time.0);
    assert_eq!(bounds.last().unwrap().1, series.samples.last().unwrap().time.0);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn page_has_five_plots_the_summary_and_no_non_finite_text() {
    let series = synthetic(5_000);
    let dir = scratch("page");
    let files = write_report(&dir, &series, &summary(), "BTCUSDT <replay>").unwrap();
    let page = fs::read_to_string(&files.html).unwrap();
    assert_eq!(page.matches("<svg").count(), 5);
    for key in
        ["symbol", "pnl.net", "pnl.by_regime.cascade", "fills.maker_share", "config.simulator.queue_model"]
    {
        assert!(page.contains(&format!("<th>{key}</th>")), "summary key {key}");
    }
    assert!(page.contains("123.457"));
    assert!(page.contains("BTCUSDT &lt;replay&gt;"));
    assert!(page.contains("Market impact of our own fills is not replayed into the book"));
    assert!(page.contains("queue model: probabilistic"));
    for needle in ["WARNING", "CASCADE", "COOLDOWN", "buy fill", "sell fill", "12:00:00"] {
        assert!(page.contains(needle), "{needle}");
    }
    assert_eq!(
        non_finite_text(&page),
        None,
        "{:?}",
        non_finite_text(&page).map(|at| &page[at.saturating_sub(80)..at + 20])
    );
    assert!(only_svg_namespace(&page));
    let _ = fs::remove_dir_all(&dir);
}

/// The only URL a self-contained page may hold is the SVG namespace name (never fetched).
fn only_svg_namespace(page: &str) -> bool {
    !page.contains("<script")
        && page.replace("http://www.w3.org/2000/svg", "").find("http").is_none()
        && !page.contains("src=")
        && !page.contains("<link")
}

#[test]
fn empty_series_writes_headers_and_says_so() {
    let dir = scratch("empty");
    let files = write_report(&dir, &Series::default(), &serde_json::Value::Null, "empty").unwrap();
    for path in &files.paths()[..6] {
        assert_eq!(lines(path).len(), 1, "{}", path.display());
    }
    let page = fs::read_to_string(&files.html).unwrap();
    assert!(page.contains("No data"));
    assert!(!page.contains("<svg"));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn all_nan_columns_draw_nothing_and_print_nothing() {
    let mut series = synthetic(500);
    for sample in &mut series.samples {
        sample.mid = f64::NAN;
        sample.fair_value = f64::NAN;
        sample.pnl = f64::NAN;
        sample.position = f64::INFINITY;
        sample.toxicity = f64::NAN;
        sample.volatility_bps = f64::NEG_INFINITY;
        sample.cascade_score = f64::NAN;
        sample.bid = Some(f64::NAN);
        sample.ask = None;
    }
    for fill in &mut series.fills {
        fill.price = f64::NAN;
    }
    let dir = scratch("nan");
    let files = write_report(&dir, &series, &json!({ "pnl": { "net": null } }), "nan").unwrap();
    let page = fs::read_to_string(&files.html).unwrap();
    assert_eq!(page.matches("<svg").count(), 5);
    assert_eq!(non_finite_text(&page), None);
    // Axis ticks and zero lines are two-point polylines; a data line would have more.
    let longest = page
        .split("points=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().split_whitespace().count());
    assert!(longest.max().unwrap_or(0) <= 2, "no data line to draw");
    // Samples with a single instant still get an axis.
    series.samples.truncate(1);
    series.fills.clear();
    series.regimes.clear();
    write_report(&dir, &series, &json!({}), "one").unwrap();
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn long_replays_stay_small() {
    // 100 000 samples (2.8 hours at 100 ms) and about 2 600 fills.
    let series = synthetic(100_000);
    let dir = scratch("size");
    let files = write_report(&dir, &series, &summary(), "size").unwrap();
    let size = fs::metadata(&files.html).unwrap().len();
    assert!(size < 2_000_000, "report.html is {size} bytes");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn io_errors_name_the_path() {
    let dir = scratch("io");
    fs::create_dir_all(&dir).unwrap();
    let blocker = dir.join("not-a-dir");
    fs::write(&blocker, "x").unwrap();
    let error = write_report(&blocker.join("report"), &Series::default(), &json!({}), "io").unwrap_err();
    assert!(error.to_string().contains("not-a-dir"), "{error}");
    let _ = fs::remove_dir_all(&dir);
}
