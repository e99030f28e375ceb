//! End-to-end tests of `halcyon simulate`: what a user types, what they get back.

mod common;

use common::{halcyon, text};

#[test]
fn as_paper_json_has_both_strategies_and_the_parameters() {
    let output = halcyon(&["simulate", "as-paper", "--gamma", "0.1", "--paths", "200", "--json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for strategy in ["inventory", "symmetric"] {
        for key in ["spread", "profit_mean", "profit_std", "q_mean", "q_std"] {
            assert!(report[strategy][key].is_f64(), "{strategy}.{key} in {report}");
        }
    }
    assert_eq!(report["params"]["gamma"], 0.1);
    assert_eq!(report["params"]["paths"], 200);
    assert_eq!(report["params"]["seed"], 1, "the default seed");
    assert_eq!(report["params"]["a"], 140.0, "the paper's A by default");
    // The paper's headline: the inventory strategy holds far less inventory.
    let q_std = |strategy: &str| report[strategy]["q_std"].as_f64().unwrap();
    assert!(q_std("inventory") < q_std("symmetric"), "{report}");
}

#[test]
fn the_same_seed_prints_the_same_bytes() {
    for format in [&["--json"][..], &[][..]] {
        let run = |seed: &str| {
            let mut args = vec!["simulate", "as-paper", "--gamma", "1", "--paths", "100", "--seed", seed];
            args.extend_from_slice(format);
            let output = halcyon(&args);
            assert!(output.status.success(), "{}", text(&output.stderr));
            output.stdout
        };
        let first = run("42");
        assert_eq!(first, run("42"), "{format:?}");
        assert_ne!(first, run("43"), "{format:?}");
    }
}

#[test]
fn the_table_is_readable() {
    let output = halcyon(&["simulate", "as-paper", "--gamma", "0.01", "--paths", "50"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let table = text(&output.stdout);
    for needle in ["inventory", "symmetric", "average spread", "std(profit)", "std(final q)", "50 paths"] {
        assert!(table.contains(needle), "{needle:?} missing from\n{table}");
    }
}

#[test]
fn bad_values_are_refused_with_the_option_named() {
    // TC: (arguments after `--gamma`/`--paths`, what stderr must say).
    let cases: [(&[&str], &str); 6] = [
        (&["--gamma", "0"], "--gamma must be positive, got 0"),
        (&["--gamma", "-1"], "--gamma must be positive, got -1"),
        (&["--gamma", "NaN"], "--gamma must be a finite number"),
        (&["--gamma", "0.1", "--paths", "0"], "--paths must be at least 1, got 0"),
        (&["--gamma", "0.1", "--dt", "2"], "--dt must be in (0, horizon]"),
        (&["--gamma", "0.1", "--sigma", "-2"], "--sigma must not be negative, got -2"),
    ];
    for (extra, message) in cases {
        let mut args = vec!["simulate", "as-paper"];
        args.extend_from_slice(extra);
        let output = halcyon(&args);
        assert_eq!(output.status.code(), Some(1), "{extra:?}: {}", text(&output.stderr));
        assert!(text(&output.stderr).contains(message), "{extra:?}: {}", text(&output.stderr));
        assert!(output.stdout.is_empty(), "{extra:?}: nothing on stdout");
    }
    // A missing --gamma is a usage error (clap), exit 2.
    assert_eq!(halcyon(&["simulate", "as-paper"]).status.code(), Some(2));
}

#[test]
fn help_names_the_paper() {
    let output = halcyon(&["simulate", "as-paper", "--help"]);
    assert!(output.status.success());
    let help = text(&output.stdout);
    assert!(help.contains("Avellaneda & Stoikov (2008)"), "{help}");
    assert!(help.contains("--gamma") && help.contains("--paths") && help.contains("Examples"), "{help}");
    let output = halcyon(&["simulate", "--help"]);
    assert!(text(&output.stdout).contains("as-paper"), "{}", text(&output.stdout));
}
