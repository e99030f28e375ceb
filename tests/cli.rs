//! End-to-end tests of the `halcyon` binary: what a user types, what they get back.

mod common;

use common::{data_dir, halcyon, text};

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

#[test]
fn bench_tick_to_quote_json_has_the_keys_the_spec_names() {
    let recording = data_dir().join("binance-usdm/btcusdt_20240808.gz");
    // A short, unpinned, back-to-back run: CI machines have two cores.
    let output = halcyon(&[
        "bench",
        "tick-to-quote",
        "--data",
        recording.to_str().unwrap(),
        "--limit",
        "8000",
        "--warmup",
        "2000",
        "--burst",
        "--no-pin",
        "--baseline",
        "--json",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["frames"], 8000);
    assert_eq!(report["measured_frames"], 6000);
    assert_eq!(report["pinned"], false);
    assert_eq!(report["same_orders"], true, "halcyon and the baseline sent the same orders");
    for percentile in ["p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns"] {
        assert!(report["end_to_end"][percentile].as_u64().unwrap() > 0, "{percentile}");
        assert!(report["baseline"]["end_to_end"][percentile].as_u64().unwrap() > 0, "{percentile}");
    }
    assert_eq!(report["end_to_end"]["count"], 6000);
    for stage in ["parse", "publish", "hop", "apply", "decide", "encode"] {
        assert!(report["stages"][stage]["count"].as_u64().unwrap() > 0, "{stage}");
    }
    for kind in ["depth_update", "book_ticker", "trade"] {
        assert!(report["by_kind"][kind]["end_to_end"]["count"].as_u64().unwrap() > 0, "{kind}");
    }
    for ratio in ["ratio_p50", "ratio_p99", "ratio_p999"] {
        assert!(report[ratio].as_f64().unwrap() > 0.0, "{ratio}");
    }
    assert!(report["clock"]["read_ns"].as_f64().unwrap() > 0.0);
    assert!(report["orders"]["messages"].as_u64().unwrap() > 0);
    assert_eq!(report["core"]["frames"], 8000);
    assert_eq!(report["recorder"]["frames"], 8000);
    assert_eq!(report["telemetry"]["frames"], 8000);
    // The risk state and the parameters used are in every report.
    let cascade = &report["cascade"][0];
    assert_eq!(cascade["state"], "normal", "{cascade}");
    assert_eq!(cascade["time_fraction"]["normal"], 1.0, "{cascade}");
    assert_eq!(cascade["kill"], serde_json::Value::Null);
    assert_eq!(report["config"]["strategy"]["policy"], "toxicity_aware");
    assert_eq!(report["config"]["risk"]["max_book_age_ms"], 1000);
    assert_eq!(report["config"]["cascade"]["warn_on"], 0.45);
    assert_eq!(report["config"]["cascade"]["signals"]["depth_collapse"], 0.1);
}

#[test]
fn bench_arguments_are_checked_before_anything_runs() {
    let recording = data_dir().join("binance-usdm/btcusdt_20240808.gz");
    let path = recording.to_str().unwrap();
    for (args, expected) in [
        (vec!["--rate", "0"], "--rate 0"),
        (vec!["--limit", "0"], "--limit 0"),
        (vec!["--limit", "100", "--warmup", "100"], "--warmup 100"),
        (vec!["--config", "/nonexistent/halcyon.toml"], "/nonexistent/halcyon.toml"),
    ] {
        let mut all = vec!["bench", "tick-to-quote", "--data", path];
        all.extend(args.iter().copied());
        let output = halcyon(&all);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let message = text(&output.stderr);
        assert!(message.contains(expected), "{args:?}: {message}");
    }
    // A config with a typo: the file and the key.
    let dir = std::env::temp_dir().join(format!("halcyon-cli-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("halcyon.toml");
    std::fs::write(&bad, "[threads]\npin = true\nfeed_core = 0\nquoting_cores = 1\n").unwrap();
    let output = halcyon(&["bench", "tick-to-quote", "--data", path, "--config", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let message = text(&output.stderr);
    assert!(message.contains("halcyon.toml") && message.contains("quoting_cores"), "{message}");
    std::fs::remove_dir_all(dir).unwrap();
    // Burst and rate are exclusive: a usage error.
    let output = halcyon(&["bench", "tick-to-quote", "--data", path, "--burst", "--rate", "5"]);
    assert_eq!(output.status.code(), Some(2));
    let help = text(&halcyon(&["bench", "tick-to-quote", "--help"]).stdout);
    assert!(help.contains("--baseline") && help.contains("Examples"), "{help}");
}

#[test]
fn bench_says_why_it_runs_unpinned() {
    let recording = data_dir().join("binance-usdm/btcusdt_20240808.gz");
    let dir = std::env::temp_dir().join(format!("halcyon-cli-pin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("halcyon.toml");
    // Core 4096 exists on no machine this runs on.
    std::fs::write(&config, "[threads]\nfeed_core = 0\nquoting_core = 4096\n").unwrap();
    let output = halcyon(&[
        "bench",
        "tick-to-quote",
        "--data",
        recording.to_str().unwrap(),
        "--limit",
        "3000",
        "--warmup",
        "1000",
        "--burst",
        "--config",
        config.to_str().unwrap(),
    ]);
    std::fs::remove_dir_all(dir).unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let log = text(&output.stderr);
    assert!(log.contains("running unpinned") && log.contains("core 4096"), "{log}");
    assert!(text(&output.stdout).contains("unpinned, yielding waits"));
}

#[test]
fn live_commands_explain_themselves_and_refuse_bad_settings() {
    let output = halcyon(&["--help"]);
    let help = text(&output.stdout);
    for command in ["run", "record", "venue", "ctl"] {
        assert!(help.contains(&format!("  {command} ")), "{command} missing from\n{help}");
    }
    for command in ["run", "record", "venue", "ctl"] {
        let output = halcyon(&[command, "--help"]);
        assert!(output.status.success() && text(&output.stdout).contains("Example"), "{command} --help");
    }
    // A bad endpoint names the key; a bad poll mode names the choices.
    let output = halcyon(&["run", "--set", "live.ws_url=http://example.invalid"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("live.ws_url"), "{}", text(&output.stderr));
    let output = halcyon(&["run", "--set", "live.poll=spin"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("`busy` or `epoll`"), "{}", text(&output.stderr));
}

#[test]
fn a_run_that_never_connects_is_an_error_not_an_empty_summary() {
    // Port 1 on loopback refuses connections: the feed retries with backoff, then the run ends.
    let output = halcyon(&[
        "run",
        "--set",
        "live.ws_url=ws://127.0.0.1:1",
        "--set",
        "lanes.rest_url=http://127.0.0.1:1",
        "--set",
        "lanes.bybit.enabled=false",
        "--set",
        "lanes.deribit.enabled=false",
        "--set",
        "control.enabled=false",
        "--set",
        "threads.pin=false",
        "--set",
        "live.poll=epoll",
        "--duration",
        "1s",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("never connected to ws://127.0.0.1:1"), "{stderr}");
    assert!(stderr.contains("connection attempt failed"), "the attempts are logged: {stderr}");
}
