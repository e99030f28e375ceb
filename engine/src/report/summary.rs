//! The replay summary (JSON) flattened into `key → text` rows for the report's table.
//!
//! Nested object keys are joined with `.` (`pnl.net`); array elements are numbered
//! (`fills.0.price`), except that an array of plain values prints on one row
//! (`[1, 5, 30]`). Numbers print with six significant digits, integers in full.

use serde_json::Value;

/// Flattened rows, depth first in the summary's key order (alphabetical, unless `serde_json`'s
/// `preserve_order` feature is on); at most `limit` of them, the second value being how many
/// were left out.
pub(crate) fn flatten(summary: &Value, limit: usize) -> (Vec<(String, String)>, usize) {
    let mut rows = Vec::new();
    let mut left_out = 0;
    walk(summary, &mut String::new(), &mut rows, &mut left_out, limit);
    (rows, left_out)
}

/// The value at a dotted path of objects (`"config.venue"`), if every step exists.
pub(crate) fn lookup<'a>(summary: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(summary, |value, key| value.as_object()?.get(key))
}

fn walk(
    value: &Value,
    key: &mut String,
    rows: &mut Vec<(String, String)>,
    left_out: &mut usize,
    limit: usize,
) {
    let mut descend = |child_key: &str, child: &Value, key: &mut String| {
        let length = key.len();
        if !key.is_empty() {
            key.push('.');
        }
        key.push_str(child_key);
        walk(child, key, rows, left_out, limit);
        key.truncate(length);
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (child_key, child) in map {
                descend(child_key, child, key);
            }
        }
        Value::Array(items) if items.iter().any(|item| item.is_object() || item.is_array()) => {
            for (index, item) in items.iter().enumerate() {
                descend(&index.to_string(), item, key);
            }
        }
        _ => {
            if rows.len() < limit {
                let name = if key.is_empty() { "summary".to_owned() } else { key.clone() };
                rows.push((name, scalar(value)));
            } else {
                *left_out += 1;
            }
        }
    }
}

/// A leaf (or an empty container, or an array of plain values) as table text.
fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "–".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => match (number.as_i64(), number.as_u64(), number.as_f64()) {
            (Some(integer), _, _) => integer.to_string(),
            (_, Some(integer), _) => integer.to_string(),
            (_, _, Some(float)) => number_text(float),
            _ => number.to_string(),
        },
        Value::String(text) => text.clone(),
        Value::Array(items) => format!("[{}]", items.iter().map(scalar).collect::<Vec<_>>().join(", ")),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// Six significant digits without trailing zeros; scientific outside `1e-4 ..= 1e9`.
pub(crate) fn number_text(value: f64) -> String {
    if !value.is_finite() {
        return "–".to_owned();
    }
    let magnitude = value.abs();
    if value == 0.0 {
        return "0".to_owned();
    }
    if !(1e-4..1e9).contains(&magnitude) {
        return format!("{value:.4e}");
    }
    let digits_before_point = magnitude.log10().floor() as i32 + 1;
    let decimals = (6 - digits_before_point).max(0) as usize;
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    if text == "-0" { "0".to_owned() } else { text.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_keys_join_with_dots() {
        let summary = json!({
            "symbol": "BTCUSDT",
            "pnl": { "net": 12.345678, "fees": -0.5, "by_regime": { "calm": 3 } },
            "horizons_s": [1, 5, 30],
            "runs": [{ "policy": "glft" }],
            "empty": {},
            "missing": null,
        });
        let (rows, left_out) = flatten(&summary, 100);
        // Key order depends on serde_json's `preserve_order` feature: compare as sets.
        let mut keys: Vec<&str> = rows.iter().map(|(key, _)| key.as_str()).collect();
        keys.sort_unstable();
        let expected = [
            "empty",
            "horizons_s",
            "missing",
            "pnl.by_regime.calm",
            "pnl.fees",
            "pnl.net",
            "runs.0.policy",
            "symbol",
        ];
        assert_eq!(keys, expected);
        let value = |key: &str| rows.iter().find(|row| row.0 == key).map(|row| row.1.as_str());
        assert_eq!(value("pnl.net"), Some("12.3457"));
        assert_eq!(value("horizons_s"), Some("[1, 5, 30]"));
        assert_eq!(value("missing"), Some("–"));
        assert_eq!(left_out, 0);
        let (rows, left_out) = flatten(&summary, 2);
        assert_eq!((rows.len(), left_out), (2, 6));
        assert_eq!(lookup(&summary, "pnl.by_regime.calm"), Some(&json!(3)));
        assert_eq!(lookup(&summary, "pnl.nothing"), None);
    }

    #[test]
    fn numbers_print_sensibly() {
        for (value, text) in [
            (0.0, "0"),
            (65_000.125, "65000.1"),
            (1.5, "1.5"),
            (-0.000_123_456_7, "-0.000123457"),
            (0.000_01, "1.0000e-5"),
            (2.5e12, "2.5000e12"),
            (-0.000_000_000_1 * 0.0, "0"),
            (f64::NAN, "–"),
        ] {
            assert_eq!(number_text(value), text, "{value}");
        }
    }
}
