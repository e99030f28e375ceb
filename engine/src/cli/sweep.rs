//! `halcyon sweep` and `halcyon sweep merge`.

use super::args::{SweepArgs, SweepCommand, SweepMergeArgs};
use super::config::load_instruments;
use super::engine_config::{EngineConfig, read};
use super::{CliError, EXIT_OK};
use crate::replay::sweep::{
    Grid, Metric, Shard, SweepResults, check_grid, load_datasets, merge, rank, ranked_csv, run_sweep,
    runs_csv,
};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

/// Runs `halcyon sweep` (or `sweep merge`); returns the exit status.
pub fn run(arguments: &SweepArgs) -> Result<u8, CliError> {
    if let Some(SweepCommand::Merge(merge_arguments)) = &arguments.command {
        return run_merge(merge_arguments);
    }
    let metric = Metric::parse(&arguments.rank_by)?;
    let grid_path = arguments.grid.as_deref().ok_or_else(|| {
        CliError::Argument("--grid <TOML> is required (or use `halcyon sweep merge`)".to_owned())
    })?;
    let shard = arguments.shard.as_deref().map_or(Ok(Shard::ALL), Shard::parse)?;
    let jobs = match arguments.jobs {
        Some(0) => return Err(CliError::Argument("--jobs 0: at least one job must run".to_owned())),
        Some(jobs) => jobs,
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let base = EngineConfig::load_text(arguments.config.as_deref())?;
    let (instruments, _) = load_instruments(arguments.instruments.as_deref(), None)?;
    let grid = Grid::parse(&read(grid_path)?, grid_path, arguments.data.as_deref())?;
    check_grid(&grid, &base)?;
    let mine = grid.runs().iter().filter(|run| shard.takes(run.index)).count();
    eprintln!(
        "halcyon sweep: {} configurations x {} datasets = {} runs; shard {}/{} runs {} on {} jobs",
        grid.combinations(),
        grid.datasets.len(),
        grid.runs().len(),
        shard.index,
        shard.count,
        mine,
        jobs
    );
    let markets = load_datasets(&grid, &base, &instruments)?;
    let bar = if arguments.quiet { ProgressBar::hidden() } else { ProgressBar::new(mine as u64) };
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {elapsed} elapsed, ~{eta} left")
    {
        bar.set_style(style);
    }
    let results = run_sweep(&grid, &base, &markets, shard, jobs, &|| bar.inc(1))?;
    bar.finish_and_clear();
    finish(&results, metric, arguments.out.as_deref())
}

fn run_merge(arguments: &SweepMergeArgs) -> Result<u8, CliError> {
    let metric = Metric::parse(&arguments.rank_by)?;
    let mut shards = Vec::with_capacity(arguments.shards.len());
    for path in &arguments.shards {
        let file = if path.is_dir() { path.join("results.json") } else { path.clone() };
        let text = read(&file)?;
        let results: SweepResults = serde_json::from_str(&text).map_err(|error| CliError::Config {
            path: file.clone(),
            message: format!("not sweep results: {error}"),
        })?;
        shards.push(results);
    }
    let merged = merge(shards)?;
    finish(&merged, metric, arguments.out.as_deref())
}

/// Prints the ranked table and writes results.json, results.csv (ranked) and runs.csv.
fn finish(results: &SweepResults, metric: Metric, out: Option<&Path>) -> Result<u8, CliError> {
    let ranked = rank(results, metric);
    let table = ranked_csv(&ranked, &results.axes);
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).map_err(|source| CliError::Io { path: dir.to_owned(), source })?;
        let write = |name: &str, text: String| {
            let path: PathBuf = dir.join(name);
            std::fs::write(&path, text).map_err(|source| CliError::Io { path, source })
        };
        let json =
            serde_json::to_string_pretty(results).map_err(|error| CliError::Argument(error.to_string()))?;
        write("results.json", json + "\n")?;
        write("results.csv", table.clone())?;
        write("runs.csv", runs_csv(results))?;
    }
    print!("{table}");
    Ok(EXIT_OK)
}
