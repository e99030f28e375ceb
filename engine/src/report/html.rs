//! The self-contained report page: title, summary tables, the stacked plots with HTML legends,
//! and notes on what the replay does not model. No script, no external stylesheet or font:
//! the page opens from a file, offline, years later.

use super::plot::{Ink, Plot, Swatch};
use super::summary::{self, flatten};
use super::utc;
use crate::replay::series::Series;
use serde_json::Value;
use std::fmt::Write as _;

/// Most summary rows the page shows (a sweep's summary can list thousands of runs).
const SUMMARY_ROWS: usize = 400;

const STYLE: &str = "\
body{margin:0;background:#f6f6f4;color:#222;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
main{max-width:1340px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:14px;margin:0}
.meta{color:#666;margin:0}
.tables{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
table{border-collapse:collapse;background:#fff;border:1px solid #e0e0e0;font-size:13px}
caption{text-align:left;font-weight:600;padding:0 0 3px}
th,td{padding:2px 10px;border-top:1px solid #eee;text-align:left;vertical-align:top}
th{font-weight:normal;color:#555;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
td{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:0 0 6px;background:#fff;border:1px solid #e0e0e0;padding:8px 0 0}
figcaption{display:flex;flex-wrap:wrap;align-items:center;gap:4px 18px;padding:0 16px 2px}
figure svg{display:block;max-width:100%;height:auto}
.legend{display:flex;flex-wrap:wrap;gap:2px 14px;margin:0;padding:0;list-style:none;font-size:12px;color:#444}
.legend li{display:flex;align-items:center;gap:5px}
.line{display:inline-block;width:20px;height:0;border-top:2px solid}
.band{display:inline-block;width:14px;height:11px;border:1px solid rgba(0,0,0,.12)}
.marker{font-size:13px;line-height:1}
.empty{padding:40px;background:#fff;border:1px solid #e0e0e0;text-align:center;color:#666}
.notes li{margin:2px 0}
details{margin:6px 0}
details>summary{cursor:pointer;font-weight:600}
";

/// The whole page. `plots` is empty when the series holds no data.
pub(crate) fn page(title: &str, series: &Series, summary: &Value, plots: &[Plot]) -> String {
    let mut out = String::with_capacity(64 * 1024 + plots.iter().map(|plot| plot.svg.len()).sum::<usize>());
    let title = escape(title);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n"
    );
    let _ = writeln!(out, "<p class=\"meta\">{}</p>", escape(&overview(series)));
    let (headline, details) = split_summary(summary);
    out.push_str("<h2>Summary</h2>\n");
    summary_tables(&mut out, &headline);
    out.push_str("<h2>Time series</h2>\n");
    if plots.is_empty() {
        out.push_str("<p class=\"empty\">No data: the replay recorded no samples and no fills.</p>\n");
    }
    for (index, plot) in plots.iter().enumerate() {
        let _ = write!(out, "<figure id=\"plot-{}\">\n<figcaption><h3>", index + 1);
        out.push_str(&escape(plot.title));
        out.push_str("</h3><ul class=\"legend\">");
        for entry in &plot.legend {
            out.push_str("<li>");
            swatch(&mut out, &entry.swatch);
            out.push_str(&escape(&entry.label));
            out.push_str("</li>");
        }
        out.push_str("</ul></figcaption>\n");
        out.push_str(&plot.svg);
        out.push_str("\n</figure>\n");
    }
    notes(&mut out, series, summary, !plots.is_empty());
    if let Value::Object(details) = &details
        && !details.is_empty()
    {
        out.push_str("<h2>Details</h2>\n");
        for (key, value) in details {
            let _ = writeln!(out, "<details><summary>{}</summary>", escape(key));
            let mut one = serde_json::Map::new();
            one.insert(key.clone(), value.clone());
            summary_tables(&mut out, &Value::Object(one));
            out.push_str("</details>\n");
        }
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// `BTCUSDT · 36 000 samples · 412 fills · 2024-08-09 12:00:00 → 13:00:00 UTC`.
fn overview(series: &Series) -> String {
    let symbol = if series.symbol.is_empty() { "(no symbol)" } else { &series.symbol };
    let mut text = format!("{symbol} · {} samples · {} fills", series.samples.len(), series.fills.len());
    let times = series.samples.iter().map(|s| s.time).chain(series.fills.iter().map(|f| f.time));
    if let (Some(first), Some(last)) = (times.clone().min(), times.max()) {
        let _ = write!(text, " · {} → {} UTC", utc::iso_millis(first), utc::iso_millis(last));
    }
    text
}

/// Top-level keys of a replay summary that are reference material (the full configuration,
/// latency histograms, counters, the notes shown below): they go in collapsed sections after
/// the plots, so the results and the plots come first.
const DETAIL_KEYS: [&str; 6] = ["config", "latency", "feed", "core", "venue", "notes"];

/// The summary split into what heads the page and what is folded away at its end.
fn split_summary(summary: &Value) -> (Value, Value) {
    let Value::Object(map) = summary else { return (summary.clone(), Value::Null) };
    let (mut headline, mut details) = (serde_json::Map::new(), serde_json::Map::new());
    for (key, value) in map {
        if DETAIL_KEYS.contains(&key.as_str()) {
            details.insert(key.clone(), value.clone());
        } else {
            headline.insert(key.clone(), value.clone());
        }
    }
    (Value::Object(headline), Value::Object(details))
}

/// One table per top-level key of the summary (top-level plain values share one), each row
/// keyed by the full dotted path.
fn summary_tables(out: &mut String, summary: &Value) {
    let (rows, left_out) = flatten(summary, SUMMARY_ROWS);
    let has_content = match summary {
        Value::Object(map) => !map.is_empty(),
        Value::Null => false,
        _ => true,
    };
    if !has_content {
        out.push_str("<p class=\"meta\">No summary was given.</p>\n");
        return;
    }
    let group_of = |key: &str| match key.split_once('.') {
        Some((group, _)) => group.to_owned(),
        None => String::new(),
    };
    // Groups in first-appearance order; plain top-level values first, as "run".
    let mut groups: Vec<(String, Vec<&(String, String)>)> = vec![(String::new(), Vec::new())];
    for row in &rows {
        let group = group_of(&row.0);
        match groups.iter_mut().find(|(name, _)| *name == group) {
            Some((_, members)) => members.push(row),
            None => groups.push((group, vec![row])),
        }
    }
    out.push_str("<div class=\"tables\">\n");
    for (group, members) in groups.iter().filter(|(_, members)| !members.is_empty()) {
        let caption = if group.is_empty() { "run" } else { group };
        let _ = writeln!(out, "<table><caption>{}</caption>", escape(caption));
        for (key, value) in members {
            let _ = writeln!(out, "<tr><th>{}</th><td>{}</td></tr>", escape(key), escape(value));
        }
        out.push_str("</table>\n");
    }
    out.push_str("</div>\n");
    if left_out > 0 {
        let _ =
            writeln!(out, "<p class=\"meta\">{left_out} more summary values are in the JSON summary.</p>");
    }
}

fn notes(out: &mut String, series: &Series, summary: &Value, plotted: bool) {
    out.push_str("<h2>Notes</h2>\n<ul class=\"notes\">\n");
    let mut note = |text: &str| {
        let _ = writeln!(out, "<li>{}</li>", escape(text));
    };
    note(
        "Market impact of our own fills is not replayed into the book: the recorded market moves as it did, \
         whatever we traded, so results are optimistic where our size would have moved prices.",
    );
    match summary::lookup(summary, "config.simulator") {
        Some(Value::Object(venue)) if !venue.is_empty() => {
            let (rows, _) = flatten(&Value::Object(venue.clone()), 40);
            // The queue model first: it decides which passive quotes fill at all.
            let (queue, rest): (Vec<_>, Vec<_>) = rows.iter().partition(|(key, _)| key.contains("queue"));
            for (key, value) in queue.iter().chain(rest.iter()) {
                note(&format!("Simulated venue, {}: {value}", key.replace(['.', '_'], " ")));
            }
        }
        Some(Value::String(venue)) => note(&format!("Simulated venue: {venue}.")),
        _ => note("The summary does not describe the simulated venue (queue, latency and fee models)."),
    }
    note("Times are exchange event times, UTC.");
    if plotted {
        note(
            "Plots are thinned to the lowest and highest value per pixel column (fills likewise per side), so spikes \
             survive; the CSV files next to this page hold every sample and every fill.",
        );
        note(
            "Shaded bands show the cascade detector's state (WARNING, CASCADE, COOLDOWN; none when NORMAL); \
             the strip along the top marks the market's stressed and cascade regime windows.",
        );
    }
    if series.samples.iter().any(|s| !s.mid.is_finite()) {
        note("Gaps in the mid line are times the book had no two sides.");
    }
    out.push_str("</ul>\n");
}

fn swatch(out: &mut String, swatch: &Swatch) {
    let css = |ink: &Ink| ink.css();
    let _ = match swatch {
        Swatch::Line(ink) => write!(out, "<span class=\"line\" style=\"border-color:{}\"></span>", css(ink)),
        Swatch::Band(ink) => write!(out, "<span class=\"band\" style=\"background:{}\"></span>", css(ink)),
        Swatch::Marker(glyph, ink) => {
            write!(out, "<span class=\"marker\" style=\"color:{}\">{glyph}</span>", css(ink))
        }
    };
}

/// Text for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup() {
        assert_eq!(escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
    }
}
