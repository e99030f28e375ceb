//! `halcyon simulate`: reproductions of published experiments, run from the strategy crate's
//! [`research`](strategy::research) module.
//!
//! - [`as_paper`]: Avellaneda & Stoikov (2008) §3.3, the inventory strategy against the
//!   symmetric one, as a table or JSON.
//! - [`market`]: a synthetic market tape in halcyon's capture format ([`crate::synth`]).

use super::args::{AsPaperArgs, MarketArgs};
use super::{CliError, EXIT_OK};
use std::fmt::Write as _;
use std::io::Write as _;
use strategy::research::as_paper::run as run_as_paper;
use strategy::research::{AsPaperParams, AsPaperReport};

/// Runs `halcyon simulate as-paper`: checks the arguments, simulates, prints the report.
/// Returns the exit status; a value that does not make sense is a [`CliError::Argument`] naming
/// the option.
pub fn as_paper(arguments: &AsPaperArgs) -> Result<u8, CliError> {
    let params = AsPaperParams {
        gamma: arguments.gamma,
        paths: arguments.paths,
        seed: arguments.seed,
        sigma: arguments.sigma,
        a: arguments.a,
        k: arguments.k,
        dt: arguments.dt,
        ..AsPaperParams::default()
    };
    // Each message starts with the field's name, and the options are named after the fields
    // (`gamma` is `--gamma`); the fields without an option keep their valid defaults.
    params.validate().map_err(|message| CliError::Argument(format!("--{message}")))?;
    let report = run_as_paper(&params);

    let text = if arguments.json {
        let mut text = serde_json::to_string_pretty(&report).map_err(|e| CliError::Output(e.into()))?;
        text.push('\n');
        text
    } else {
        table(&report)
    };
    std::io::stdout().lock().write_all(text.as_bytes()).map_err(CliError::Output)?;
    Ok(EXIT_OK)
}

/// Both strategies side by side, then the parameters.
fn table(report: &AsPaperReport) -> String {
    let params = &report.params;
    let (inventory, symmetric) = (&report.inventory, &report.symmetric);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Avellaneda & Stoikov (2008) §3.3, γ = {}: {} paths, seed {}",
        params.gamma, params.paths, params.seed
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<16} {:>12} {:>12}", "", "inventory", "symmetric");
    let rows = [
        ("average spread", inventory.spread, symmetric.spread, 4),
        ("profit", inventory.profit_mean, symmetric.profit_mean, 2),
        ("std(profit)", inventory.profit_std, symmetric.profit_std, 2),
        ("final q", inventory.q_mean, symmetric.q_mean, 3),
        ("std(final q)", inventory.q_std, symmetric.q_std, 2),
    ];
    for (name, inventory, symmetric, decimals) in rows {
        let _ = writeln!(out, "{name:<16} {inventory:>12.decimals$} {symmetric:>12.decimals$}");
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "parameters  s0 {}  T {}  σ {}  dt {} ({} steps)  q0 {}  A {}  k {}  γ {}",
        params.s0,
        params.horizon,
        params.sigma,
        params.dt,
        report.steps,
        params.q0,
        params.a,
        params.k,
        params.gamma
    );
    let _ = writeln!(out, "inventory   quotes r ± spread/2 around r = s − q·γ·σ²·(T−t)");
    let _ = writeln!(out, "symmetric   the same spread at each step around the mid s; same random draws");
    out
}

/// Runs `halcyon simulate market`: the generator's settings from `--config` (every key
/// optional), the flags over them; writes the capture and prints what it holds.
pub fn market(arguments: &MarketArgs) -> Result<u8, CliError> {
    let mut config = match &arguments.config {
        Some(path) => {
            let text = super::engine_config::read(path)?;
            toml::from_str::<crate::synth::MarketConfig>(&text).map_err(|error| CliError::Config {
                path: path.clone(),
                message: error.to_string().trim_end().to_owned(),
            })?
        }
        None => crate::synth::MarketConfig::default(),
    };
    if let Some(seed) = arguments.seed {
        config.seed = seed;
    }
    if let Some(duration) = arguments.duration {
        config.duration_s = duration;
    }
    if let Some(onset) = arguments.cascade_at {
        config.cascade_onset_s = onset;
    }
    if arguments.no_cascade {
        config.cascade = false;
    }
    if arguments.out.exists() {
        std::fs::remove_file(&arguments.out)
            .map_err(|source| CliError::Io { path: arguments.out.clone(), source })?;
    }
    let summary = crate::synth::generate(&config, &arguments.out).map_err(|error| match error {
        crate::synth::SynthError::Config(error) => CliError::Argument(format!("simulate market: {error}")),
        other => CliError::Argument(other.to_string()),
    })?;
    let text = if arguments.json {
        serde_json::to_string_pretty(&summary).map_err(|e| CliError::Output(e.into()))? + "\n"
    } else {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "halcyon simulate market: {} (synthetic, seed {})",
            arguments.out.display(),
            config.seed
        );
        let _ = writeln!(
            text,
            "{}",
            serde_json::to_string_pretty(&summary).map_err(|e| CliError::Output(e.into()))?
        );
        text
    };
    std::io::stdout().lock().write_all(text.as_bytes()).map_err(CliError::Output)?;
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_both_strategies_and_the_parameters() {
        let report = run_as_paper(&AsPaperParams { paths: 10, ..AsPaperParams::default() });
        let text = table(&report);
        for needle in ["inventory", "symmetric", "average spread", "std(final q)", "(200 steps)", "A 140"] {
            assert!(text.contains(needle), "{needle:?} missing from\n{text}");
        }
        // γ = 0.1: 0.1·4·0.5025 + 20·ln(1 + 0.1/1.5) = 1.49177…, both columns.
        assert_eq!(text.matches("1.4918").count(), 2, "{text}");
    }
}
