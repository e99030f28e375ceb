//! End-to-end tests of `halcyon explain` on the real Binance USD-M BTCUSDT recording: what a
//! researcher types, and whether the numbers it prints add up to the quotes it prints.

mod common;

use common::{data_dir, halcyon, text};

fn recording() -> String {
    data_dir().join("binance-usdm/btcusdt_20240808.gz").to_str().unwrap().to_owned()
}

fn json(args: &[&str]) -> serde_json::Value {
    let output = halcyon(args);
    assert!(output.status.success(), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn number(value: &serde_json::Value) -> f64 {
    value.as_f64().unwrap_or_else(|| panic!("not a number: {value}"))
}

#[test]
fn the_printed_terms_add_up_to_the_printed_quotes() {
    let data = recording();
    for inventory in ["0", "4", "-7"] {
        let report = json(&[
            "explain",
            "--data",
            &data,
            "--at",
            "2024-08-08T23:57:00Z",
            "--inventory",
            inventory,
            "--json",
        ]);
        assert_eq!(report["symbol"], "BTCUSDT");
        assert!(report["at"].as_str().unwrap().starts_with("2024-08-08T23:56:59"), "{}", report["at"]);
        assert!(report["events"].as_u64().unwrap() > 100_000);
        assert_eq!(report["config"]["policy"], "toxicity_aware", "the default config's policy");
        let decision = &report["explanation"]["decision"];
        assert_eq!(decision["outcome"], "quoted");
        let spread = &decision["spread"];
        let signals = &report["explanation"]["signals"];
        // fair value = microprice + lean, the lean within its caps.
        let microprice = number(&decision["microprice"]);
        let fair = number(&decision["fair_value"]);
        assert_eq!(microprice, number(&signals["microprice"]));
        let cap = number(&spread["bid"]).min(number(&spread["ask"])).min(number(&signals["forced"]["cap"]));
        assert!((fair - microprice).abs() <= cap + 1e-9);
        // centre = fair − skew; each half-spread in [floor, cap] and equal to
        // base × multipliers × risk (clipped).
        let centre = number(&decision["centre"]);
        assert!((centre - (fair - number(&spread["skew"]))).abs() < 1e-6);
        let both = number(&spread["base"])
            * number(&spread["toxicity_multiplier"])
            * number(&spread["volatility_multiplier"])
            * number(&spread["risk_multiplier"]);
        let (floor, top) = (number(&spread["floor"]), number(&spread["cap"]));
        for (side, flow) in [("bid", "bid_flow_multiplier"), ("ask", "ask_flow_multiplier")] {
            let expected = (both * number(&spread[flow])).clamp(floor, top);
            assert!((number(&spread[side]) - expected).abs() < 1e-6, "{side}: {spread}");
        }
        // The quotes: bid = ⌊centre − bid half⌋, ask = ⌈centre + ask half⌉, unless held off the
        // opposite best.
        let book = &signals["top"];
        let (best_bid, best_ask) = (number(&book["bid"]), number(&book["ask"]));
        let bid = number(&decision["quotes"]["bid"]["price"]);
        let ask = number(&decision["quotes"]["ask"]["price"]);
        let ideal_bid = (centre - number(&spread["bid"]) + 1e-9).floor();
        let ideal_ask = (centre + number(&spread["ask"]) - 1e-9).ceil();
        assert!(bid == ideal_bid || bid == best_ask - 1.0, "bid {bid} vs {ideal_bid}");
        assert!(ask == ideal_ask || ask == best_bid + 1.0, "ask {ask} vs {ideal_ask}");
        assert!(bid < ask);
        // Distributions over the replay so far.
        let distributions = &report["distributions"];
        assert!(distributions["samples"].as_u64().unwrap() > 100);
        for key in ["tau", "sigma_bps_per_sqrt_s", "half_spread_bps"] {
            let p = &distributions[key];
            assert!(
                number(&p["p10"]) <= number(&p["p50"]) && number(&p["p50"]) <= number(&p["max"]),
                "{key}"
            );
        }
    }
}

#[test]
fn the_text_report_shows_every_section_and_is_deterministic() {
    let data = recording();
    let run = || halcyon(&["explain", "--data", &data, "--at", "+120s"]);
    let (first, second) = (run(), run());
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(first.stdout, second.stdout, "same data, config and --at: same bytes");
    let report = text(&first.stdout);
    for section in [
        "book ",
        "microprice",
        "forced flow",
        "toxicity",
        "crossing",
        "vpin",
        "volatility",
        "arrivals",
        "fair value",
        "spread        policy toxicity_aware",
        "quotes        bid",
        "over the replay",
        "half-spread bps",
    ] {
        assert!(report.contains(section), "no {section:?} in:\n{report}");
    }
}

#[test]
fn another_policy_from_a_config_file() {
    let dir = std::env::temp_dir().join(format!("halcyon-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("as.toml");
    std::fs::write(
        &config,
        "[strategy]\npolicy = \"avellaneda_stoikov\"\n[strategy.avellaneda_stoikov]\ngamma = 0.0002\n",
    )
    .unwrap();
    let report = json(&["explain", "--data", &recording(), "--config", config.to_str().unwrap(), "--json"]);
    assert_eq!(report["explanation"]["decision"]["spread"]["policy"], "avellaneda_stoikov");
    assert_eq!(report["config"]["avellaneda_stoikov"]["gamma"], 0.0002);
    // A config with a misspelt key is refused, naming it.
    std::fs::write(&config, "[strategy]\npolicy = \"glft\"\n[strategy.glft]\ngama = 1\n").unwrap();
    let output = halcyon(&["explain", "--data", &recording(), "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("gama"), "{}", text(&output.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_arguments_say_what_is_wrong() {
    let data = recording();
    for (at, message) in [
        ("yesterday", "expected a UTC time"),
        ("2024-08-09T12:00:00Z", "after the recording's last event"),
        ("2024-08-08T20:00:00Z", "before the recording's first event"),
        ("+2h", "after the recording's last event"),
    ] {
        let output = halcyon(&["explain", "--data", &data, "--at", at]);
        assert_eq!(output.status.code(), Some(1), "--at {at}");
        assert!(text(&output.stderr).contains(message), "--at {at}: {}", text(&output.stderr));
    }
    let output = halcyon(&["explain", "--data", "/nonexistent/recording.gz"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("/nonexistent/recording.gz"));
    let output = halcyon(&["explain", "--data", &data, "--symbol", "DOGEUSDT"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("DOGEUSDT"));
    let output = halcyon(&["explain", "--help"]);
    assert!(output.status.success());
    assert!(text(&output.stdout).contains("--at"));
}
