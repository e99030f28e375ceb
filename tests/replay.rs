//! `halcyon replay`, `halcyon sweep` and `halcyon convert` end to end, on the real BTCUSDT
//! recording (and on it with the shipped stress scenarios laid over it).

mod common;

use common::{data_dir, halcyon, text};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn recording() -> String {
    data_dir().join("binance-usdm/btcusdt_20240808.gz").display().to_string()
}

/// Runs `halcyon` with `args` plus `--json -`, expects success, parses the summary.
fn summary(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--json", "-"]);
    let output = halcyon(&all);
    assert!(output.status.success(), "{args:?}: {}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| panic!("{error}: {}", text(&output.stdout)))
}

fn number(value: &Value, path: &str) -> f64 {
    let mut current = value;
    for key in path.split('.') {
        current = &current[key];
    }
    current.as_f64().unwrap_or_else(|| panic!("{path} is not a number: {current}"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("halcyon-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn replay_on_the_real_recording_is_deterministic_and_its_summary_complete() {
    let data = recording();
    let first = summary(&["replay", "--data", &data, "--no-pin"]);
    let second = summary(&["replay", "--data", &data, "--no-pin"]);
    assert_eq!(first["digest"], second["digest"], "two runs, two digests");
    assert_eq!(first["fills"], second["fills"]);
    assert_eq!(first["pnl"], second["pnl"]);
    for key in [
        "events",
        "fills",
        "maker_volume",
        "pnl.gross",
        "pnl.fees",
        "pnl.net",
        "max_drawdown",
        "inventory.mean_abs",
        "inventory.max_abs",
        "quote_uptime.two_sided",
        "state_time.normal.seconds",
        "state_time.cascade.seconds",
        "spread_bps.p50",
        "toxicity.p50",
        "events_per_sec",
    ] {
        number(&first, key);
    }
    for horizon in ["1s", "5s", "30s"] {
        assert!(first["markouts_bps"].get(horizon).is_some(), "markouts_bps.{horizon}");
    }
    assert!(first["latency"]["metrics"].as_array().is_some_and(|metrics| !metrics.is_empty()));
    assert!(first["config"]["strategy"]["policy"].is_string(), "the config used is in the summary");
    assert!(first["digest"].as_str().is_some_and(|digest| digest.len() == 16));
    // A calm recording: the engine quotes and trades, the detector stays calm.
    assert!(number(&first, "fills") > 0.0, "no fill in six minutes of quoting");
    assert!(number(&first, "quote_uptime.two_sided") > 0.5);
    assert_eq!(number(&first, "state_time.cascade.seconds"), 0.0);
    // Fees at the default maker rate are positive and equal gross − net.
    let (gross, fees, net) =
        (number(&first, "pnl.gross"), number(&first, "pnl.fees"), number(&first, "pnl.net"));
    assert!(fees > 0.0);
    assert!((gross - fees - net).abs() < 1e-6);
}

#[test]
fn one_thread_and_the_pipeline_give_the_same_orders_and_fills() {
    let data = recording();
    let inline = summary(&["replay", "--data", &data, "--threads", "inline"]);
    let pipeline = summary(&["replay", "--data", &data, "--no-pin"]);
    assert_eq!(inline["digest"], pipeline["digest"]);
    assert_eq!(inline["threads"], "inline");
    assert_eq!(pipeline["threads"], "pipeline");
}

#[test]
fn the_normalized_capture_replays_to_the_same_digest() {
    let dir = temp_dir("convert");
    std::fs::create_dir_all(&dir).unwrap();
    let hev = dir.join("btcusdt.hev");
    let output = halcyon(&["convert", &recording(), "--out", hev.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let from_events = summary(&["replay", "--data", hev.to_str().unwrap(), "--threads", "inline"]);
    let from_frames = summary(&["replay", "--data", &recording(), "--threads", "inline"]);
    assert_eq!(from_events["digest"], from_frames["digest"]);
    // The threaded pipeline reads the file whole instead of streaming it: same run.
    let threaded = summary(&["replay", "--data", hev.to_str().unwrap(), "--no-pin"]);
    assert_eq!(threaded["digest"], from_frames["digest"]);
    assert_eq!(from_events["events"], from_frames["events"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_report_has_csv_series_and_an_html_page_with_plots() {
    let dir = temp_dir("report");
    let output =
        halcyon(&["replay", "--data", &recording(), "--threads", "inline", "--out", dir.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.matches("<svg").count() >= 5, "five plots");
    assert!(html.contains("not replayed"), "the page says our impact is not replayed");
    for name in ["quotes.csv", "fills.csv", "inventory.csv", "pnl.csv", "signals.csv", "state.csv"] {
        let csv = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(csv.lines().count() > 1, "{name} has rows");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The shipped stress scenarios.
fn scenarios() -> Vec<PathBuf> {
    let configs = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&configs)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.file_name().is_some_and(|name| name.to_string_lossy().starts_with("stress-")))
        .collect();
    found.sort();
    assert!(found.len() >= 3, "at least three scenarios ship: {found:?}");
    found
}

/// Rows of `file` in `dir` as maps of column → cell.
fn csv_rows(dir: &Path, file: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(str::to_owned).collect();
    lines.map(|line| header.iter().cloned().zip(line.split(',').map(str::to_owned)).collect()).collect()
}

#[test]
fn every_stress_scenario_reaches_cascade_pulls_the_quotes_and_toxicity_aware_loses_less_than_fixed() {
    let data = recording();
    for scenario in scenarios() {
        let name = scenario.display().to_string();
        let dir = temp_dir("stress");
        let out = dir.to_str().unwrap();
        let aware =
            summary(&["replay", "--config", &name, "--data", &data, "--threads", "inline", "--out", out]);
        assert!(aware["scenario"].is_string(), "{name}: the summary names the scenario");
        assert!(number(&aware, "state_time.cascade.seconds") > 0.0, "{name}: never reached CASCADE");
        assert!(number(&aware, "regimes.cascade.seconds") > 0.0, "{name}: no cascade window");

        // While the detector is in CASCADE, nothing of ours rests: every sample taken inside a
        // CASCADE run of state.csv has an empty bid and ask in quotes.csv.
        let cascades: Vec<(i64, i64)> = csv_rows(&dir, "state.csv")
            .into_iter()
            .filter(|row| row["state"].eq_ignore_ascii_case("cascade"))
            .map(|row| (row["start_ns"].parse().unwrap(), row["end_ns"].parse().unwrap()))
            .collect();
        assert!(!cascades.is_empty(), "{name}: the report shows no CASCADE");
        let mut inside = 0;
        for row in csv_rows(&dir, "quotes.csv") {
            let time: i64 = row["time_ns"].parse().unwrap();
            if cascades.iter().any(|&(start, end)| start <= time && time < end) {
                inside += 1;
                assert!(
                    row["bid"].is_empty() && row["ask"].is_empty(),
                    "{name}: quoting in CASCADE at {time}"
                );
            }
        }
        assert!(inside > 0, "{name}: no sample inside CASCADE");
        let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
        assert!(html.to_lowercase().contains("cascade"), "{name}: the page shows the cascade");

        // The flagship against the fixed spread on the same market: it must lose less.
        let fixed = summary(&[
            "replay",
            "--config",
            &name,
            "--data",
            &data,
            "--threads",
            "inline",
            "--set",
            "strategy.policy=fixed",
        ]);
        let (aware_net, fixed_net) = (number(&aware, "pnl.net"), number(&fixed, "pnl.net"));
        eprintln!(
            "{name}: net PnL toxicity_aware {aware_net:.4} ({} fills), fixed {fixed_net:.4} ({} fills)",
            aware["fills"], fixed["fills"]
        );
        assert!(aware_net > fixed_net, "{name}: toxicity_aware {aware_net} vs fixed {fixed_net}");

        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_sweep_of_sixteen_configurations_shards_and_merges_to_the_same_table() {
    let dir = temp_dir("sweep");
    std::fs::create_dir_all(&dir).unwrap();
    let grid = dir.join("grid.toml");
    std::fs::write(
        &grid,
        format!(
            "[grid]\n\"strategy.policy\" = [\"fixed\", \"toxicity_aware\"]\n\
             \"strategy.order_qty\" = [1, 2]\n\"strategy.min_half_spread_ticks\" = [1.0, 3.0]\n\
             \"quoting.min_reprice_ticks\" = [1, 4]\n\n[[dataset]]\nname = \"first-90s\"\ndata = \"{}\"\nduration_s = 90\n",
            recording().replace('\\', "/")
        ),
    )
    .unwrap();
    let grid = grid.to_str().unwrap();
    let out = |name: &str| dir.join(name).display().to_string();
    let run = |extra: &[&str]| {
        let mut args = vec!["sweep", "--grid", grid, "--quiet"];
        args.extend_from_slice(extra);
        let output = halcyon(&args);
        assert!(output.status.success(), "{args:?}: {}", text(&output.stderr));
        text(&output.stdout)
    };
    let whole = run(&["--jobs", "2", "--out", &out("whole")]);
    assert_eq!(whole.lines().count(), 1 + 16, "a header and sixteen ranked configurations:\n{whole}");
    run(&["--jobs", "1", "--shard", "1/2", "--out", &out("shard-1")]);
    run(&["--jobs", "1", "--shard", "2/2", "--out", &out("shard-2")]);
    let merged = halcyon(&["sweep", "merge", &out("shard-1"), &out("shard-2"), "--out", &out("merged")]);
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    assert_eq!(text(&merged.stdout), whole, "shard + merge prints the table one run printed");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    assert_eq!(read("merged/results.csv"), read("whole/results.csv"));
    assert_eq!(read("merged/runs.csv"), read("whole/runs.csv"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_replay_and_sweep_arguments_are_named() {
    let data = recording();
    for (args, expected) in [
        (vec!["replay"], "no recording to replay"),
        (vec!["replay", "--data", &data, "--set", "strategy.nope=1"], "nope"),
        (vec!["replay", "--data", &data, "--set", "novalue"], "key=value"),
        (vec!["replay", "--data", "/no/such/file"], "/no/such/file"),
        (vec!["sweep"], "--grid"),
        (vec!["sweep", "--grid", "configs/sweep-example.toml", "--shard", "3/2"], "--shard 3/2"),
        (vec!["sweep", "--grid", "configs/sweep-example.toml", "--rank-by", "luck"], "--rank-by luck"),
    ] {
        let output = halcyon(&args);
        assert!(!output.status.success(), "{args:?} succeeded");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
