//! End-to-end tests of the `halcyon` binary: what a user types, what they get back.

use std::path::PathBuf;
use std::process::{Command, Output};

fn data_dir() -> PathBuf {
    let dir = match std::env::var_os("HALCYON_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    };
    assert!(dir.is_dir(), "real market data folder {} is missing: set HALCYON_DATA", dir.display());
    dir
}

fn halcyon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_halcyon"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run halcyon")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn inspect_json_reports_the_keys_and_numbers_the_spec_names() {
    let recording = data_dir().join("binance-usdm/btcusdt_20240808.gz");
    let output = halcyon(&["inspect", recording.to_str().unwrap(), "--json", "--strict"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["frames"], 93_954);
    assert_eq!(report["parse_errors"], 0);
    assert_eq!(report["gaps"], 0);
    for (kind, count) in [
        ("depth_update", 6_551),
        ("book_ticker", 66_089),
        ("trade", 21_313),
        ("agg_trade", 0),
        ("liquidation", 0),
        ("mark_price", 0),
        ("snapshot", 1),
    ] {
        assert_eq!(report["counts"][kind], count, "{kind}");
    }
    assert!(report["book_check"]["compared"].as_u64().unwrap() > 600);
    assert_eq!(report["book_check"]["mismatched"], 0);
}

#[test]
fn inspect_prints_a_table_by_default() {
    let recording = data_dir().join("cryptofeed/BINANCE_FUTURES.ws.1.0");
    let snapshots = data_dir().join("cryptofeed/BINANCE_FUTURES.http.0.0");
    let output =
        halcyon(&["inspect", recording.to_str().unwrap(), "--snapshots", snapshots.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let table = text(&output.stdout);
    assert!(table.contains("book check    compared"), "{table}");
    for symbol in ["SUSHIUSDT", "AKROUSDT", "KEEPUSDT", "CTKUSDT"] {
        assert!(table.contains(symbol), "{symbol} missing from\n{table}");
    }
}

#[test]
fn strict_mode_fails_on_bad_frames_but_reads_everything_else() {
    // A real recording with two lines damaged in memory and written to a temp file.
    let recording = data_dir().join("cryptofeed/BINANCE_FUTURES.ws.1.0");
    let original = std::fs::read_to_string(recording).unwrap();
    let mut lines: Vec<String> = original.lines().map(str::to_owned).collect();
    lines[10] = lines[10].replacen("\"b\":", "\"b\":\"garbage\",\"x\":", 1);
    lines[20] = "not a timestamp: {}".to_owned();
    let dir = std::env::temp_dir().join(format!("halcyon-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let damaged = dir.join("damaged.ws");
    std::fs::write(&damaged, lines.join("\n")).unwrap();

    let output = halcyon(&["inspect", damaged.to_str().unwrap(), "--json", "--strict"]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["parse_errors"].as_u64().unwrap() + report["read_errors"].as_u64().unwrap(), 2);
    assert_eq!(report["frames"], 1_535 - 1, "every other frame still read");
    let lenient = halcyon(&["inspect", damaged.to_str().unwrap()]);
    assert!(lenient.status.success());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn errors_name_what_was_wrong() {
    // A missing recording: exit 1, the path in the message.
    let output = halcyon(&["inspect", "/nonexistent/recording.gz"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("/nonexistent/recording.gz"), "{}", text(&output.stderr));
    // A bad flag: clap's usage error, exit 2.
    let output = halcyon(&["inspect", "--frobnicate"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--frobnicate"));
    // A bad instrument file: exit 1, the file and the field.
    let dir = std::env::temp_dir().join(format!("halcyon-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("instruments.toml");
    std::fs::write(
        &bad,
        "[[instrument]]\nvenue = \"binance-usdm\"\nsymbol = \"BTCUSDT\"\ntick_size = \"zero\"\nlot_size = \"0.001\"\nbase = \"BTC\"\nquote = \"USDT\"\n",
    )
    .unwrap();
    let recording = data_dir().join("binance-usdm/btcusdt_20240808.gz");
    let output = halcyon(&["inspect", recording.to_str().unwrap(), "--instruments", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let message = text(&output.stderr);
    assert!(message.contains("instruments.toml") && message.contains("tick_size"), "{message}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn help_explains_the_commands() {
    let output = halcyon(&["--help"]);
    assert!(output.status.success());
    assert!(text(&output.stdout).contains("inspect"));
    let output = halcyon(&["inspect", "--help"]);
    let help = text(&output.stdout);
    assert!(help.contains("--snapshots") && help.contains("--strict") && help.contains("Examples"), "{help}");
    // No arguments at all: help on stderr, usage exit status.
    assert_eq!(halcyon(&[]).status.code(), Some(2));
}
