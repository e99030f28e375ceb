//! Parameter sweeps: a grid of configurations over datasets (recordings, with or without a
//! stress scenario), run in parallel, ranked, with results per market regime.
//!
//! - [`Grid::parse`] reads the grid file: `[grid]` maps config keys (dotted, any key of the
//!   engine configuration) to lists of values; `[[dataset]]` lists what to run them on.
//! - [`Grid::runs`] enumerates every (dataset, combination) in a fixed order, so a run's index
//!   means the same thing in every process: that is what lets [`Shard`] split a sweep across
//!   machines (`--shard i/n` takes every run whose index is `i − 1` modulo `n`) and
//!   [`merge`] put the slices back together into the table one process would have printed.
//! - [`rank`] totals each configuration over the datasets and sorts by a [`Metric`].
//!
//! Regimes come from the market, never from the configuration run (a stress scenario's
//! schedule: ramp and tail are `stressed`, the cascade `cascade`, the rest `calm`), so every
//! configuration is judged over the same windows.

use super::run::{Market, ReplayRun, Threading, load_market, replay};
use crate::cli::CliError;
use crate::cli::engine_config::{ConfigSource, EngineConfig, read, with_overrides};
use feeds::Instruments;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One dataset of a sweep.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    /// Name in reports. Default: the recording's file name, with the scenario's.
    #[serde(default)]
    pub name: Option<String>,
    /// The recording.
    pub data: PathBuf,
    /// A config file whose `[stress]` table is laid over the recording.
    #[serde(default)]
    pub stress: Option<PathBuf>,
    /// Use only the first this many seconds of the recording (receive time).
    #[serde(default)]
    pub duration_s: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrid {
    #[serde(default)]
    grid: BTreeMap<String, Vec<toml::Value>>,
    #[serde(default)]
    dataset: Vec<Dataset>,
}

/// A parsed grid.
#[derive(Clone, Debug)]
pub struct Grid {
    /// Config key → values, keys in sorted order.
    pub axes: Vec<(String, Vec<toml::Value>)>,
    /// Datasets, in file order.
    pub datasets: Vec<Dataset>,
}

/// One run of a sweep: a dataset and one value per axis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    /// Position in the full enumeration.
    pub index: usize,
    /// Index of the dataset.
    pub dataset: usize,
    /// Index of the combination (the same across datasets).
    pub combination: usize,
    /// Key = value for every axis.
    pub params: BTreeMap<String, String>,
}

impl Grid {
    /// Parses a grid file's text; `path` names it in errors. `fallback_data` is the dataset
    /// when the file names none.
    pub fn parse(text: &str, path: &Path, fallback_data: Option<&Path>) -> Result<Grid, CliError> {
        let error = |message: String| CliError::Config { path: path.to_owned(), message };
        let raw: RawGrid = toml::from_str(text).map_err(|e| error(e.to_string().trim_end().to_owned()))?;
        let mut axes = Vec::with_capacity(raw.grid.len());
        for (key, values) in raw.grid {
            if values.is_empty() {
                return Err(error(format!("grid.\"{key}\" has no values")));
            }
            if key.starts_with("stress") {
                return Err(error(format!(
                    "grid.\"{key}\": stress scenarios are datasets, not grid axes (use [[dataset]] stress = ...)"
                )));
            }
            if key.split('.').any(str::is_empty) {
                return Err(error(format!("grid.\"{key}\" is not a dotted config key")));
            }
            axes.push((key, values));
        }
        let datasets = if raw.dataset.is_empty() {
            let data = fallback_data.ok_or_else(|| {
                error("no [[dataset]] in the grid and no --data: nothing to run on".to_owned())
            })?;
            vec![Dataset { name: None, data: data.to_owned(), stress: None, duration_s: None }]
        } else {
            raw.dataset
        };
        if let Some(dataset) =
            datasets.iter().find(|dataset| dataset.duration_s.is_some_and(|d| d.is_nan() || d <= 0.0))
        {
            return Err(error(format!(
                "dataset {}: duration_s must be a positive number of seconds",
                dataset.data.display()
            )));
        }
        Ok(Grid { axes, datasets })
    }

    /// Combinations per dataset.
    pub fn combinations(&self) -> usize {
        self.axes.iter().map(|(_, values)| values.len()).product()
    }

    /// Every run, datasets outermost, then combinations with the last axis varying fastest.
    pub fn runs(&self) -> Vec<RunSpec> {
        let combinations = self.combinations();
        let mut runs = Vec::with_capacity(combinations * self.datasets.len());
        for dataset in 0..self.datasets.len() {
            for combination in 0..combinations {
                let mut rest = combination;
                let mut params = BTreeMap::new();
                for (key, values) in self.axes.iter().rev() {
                    params.insert(key.clone(), value_text(&values[rest % values.len()]));
                    rest /= values.len();
                }
                runs.push(RunSpec { index: runs.len(), dataset, combination, params });
            }
        }
        runs
    }

    /// The values of combination `combination`, key → value.
    fn values(&self, combination: usize) -> Vec<(&str, &toml::Value)> {
        let mut rest = combination;
        let mut values = Vec::with_capacity(self.axes.len());
        for (key, axis) in self.axes.iter().rev() {
            values.push((key.as_str(), &axis[rest % axis.len()]));
            rest /= axis.len();
        }
        values
    }

    /// A dataset's name in reports.
    pub fn dataset_name(&self, index: usize) -> String {
        let dataset = &self.datasets[index];
        if let Some(name) = &dataset.name {
            return name.clone();
        }
        let stem = |path: &Path| {
            path.file_name().map_or_else(String::new, |name| name.to_string_lossy().into_owned())
        };
        match &dataset.stress {
            Some(stress) => format!("{} + {}", stem(&dataset.data), stem(stress)),
            None => stem(&dataset.data),
        }
    }
}

/// A grid value as reports show it: strings bare, everything else as TOML writes it.
fn value_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A slice of a sweep: `i/n`, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which slice, 1..=count.
    pub index: usize,
    /// How many slices.
    pub count: usize,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// Parses `i/n`.
    pub fn parse(text: &str) -> Result<Shard, CliError> {
        let bad = || CliError::Argument(format!("--shard {text}: expected i/n with 1 <= i <= n (e.g. 2/8)"));
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = index.trim().parse().map_err(|_| bad())?;
        let count: usize = count.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether run `index` belongs to this slice.
    pub fn takes(&self, index: usize) -> bool {
        index % self.count == self.index - 1
    }
}

/// What a sweep records of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// Which run.
    #[serde(flatten)]
    pub spec: RunSpec,
    /// Dataset name.
    pub dataset_name: String,
    /// Net PnL, quote currency.
    pub net_pnl: f64,
    /// Fees.
    pub fees: f64,
    /// Fills.
    pub fills: u64,
    /// Base units traded as maker.
    pub maker_volume: f64,
    /// Largest drawdown.
    pub max_drawdown: f64,
    /// Quantity-weighted 5 s markout, bps.
    pub markout_5s: Option<f64>,
    /// Two-sided quote uptime.
    pub uptime: f64,
    /// Share of time the detector spent in CASCADE.
    pub cascade_time: f64,
    /// Net PnL per market regime.
    pub regime_pnl: BTreeMap<String, f64>,
    /// Fills per market regime.
    pub regime_fills: BTreeMap<String, u64>,
    /// Per-sample PnL changes' Sharpe-like ratio (mean / std of 1 s PnL changes); `None`
    /// without variation.
    pub sharpe: Option<f64>,
    /// The run's digest.
    pub digest: String,
    /// Wall time, seconds (not part of the table: it varies run to run).
    pub wall_seconds: f64,
}

/// The file a sweep (or a shard of one) writes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SweepResults {
    /// Axes: key → values (as TOML text).
    pub axes: Vec<(String, Vec<String>)>,
    /// Dataset names.
    pub datasets: Vec<String>,
    /// Runs in the whole sweep.
    pub total_runs: usize,
    /// Which slice this is.
    pub shard: Shard,
    /// Results, by run index.
    pub runs: Vec<RunResult>,
}

/// Ranking metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Net PnL over all datasets (higher is better).
    NetPnl,
    /// Mean of the per-run Sharpe-like ratios (higher is better).
    Sharpe,
    /// Quantity-weighted 5 s markout (higher is better).
    Markout5s,
    /// Largest drawdown over the datasets (lower is better).
    MaxDrawdown,
    /// Fills (higher is better).
    Fills,
    /// Net PnL within cascade windows (higher is better).
    CascadePnl,
}

impl Metric {
    /// Parses a `--rank-by` value.
    pub fn parse(text: &str) -> Result<Metric, CliError> {
        Ok(match text {
            "net_pnl" => Metric::NetPnl,
            "sharpe" => Metric::Sharpe,
            "markout_5s" => Metric::Markout5s,
            "max_drawdown" => Metric::MaxDrawdown,
            "fills" => Metric::Fills,
            "cascade_pnl" => Metric::CascadePnl,
            other => {
                return Err(CliError::Argument(format!(
                    "--rank-by {other}: expected one of net_pnl, sharpe, markout_5s, max_drawdown, fills, cascade_pnl"
                )));
            }
        })
    }
}

/// One configuration's totals over the datasets.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ranked {
    /// Rank, 1 = best.
    pub rank: usize,
    /// The combination.
    pub combination: usize,
    /// Its parameters.
    pub params: BTreeMap<String, String>,
    /// Net PnL summed over datasets.
    pub net_pnl: f64,
    /// Net PnL per regime, summed over datasets.
    pub regime_pnl: BTreeMap<String, f64>,
    /// Fills.
    pub fills: u64,
    /// Largest drawdown of any dataset.
    pub max_drawdown: f64,
    /// Mean 5 s markout over runs that have one.
    pub markout_5s: Option<f64>,
    /// Mean Sharpe-like ratio over runs that have one.
    pub sharpe: Option<f64>,
    /// Runs that went into the totals.
    pub runs: usize,
}

/// Loads every dataset of `grid`: each recording once, with its stress scenario laid over.
pub fn load_datasets(
    grid: &Grid,
    base: &(String, ConfigSource),
    instruments: &Instruments,
) -> Result<Vec<Market>, CliError> {
    grid.datasets
        .iter()
        .map(|dataset| {
            let config = dataset_config(base, dataset, &[])?;
            let mut market = load_market(&dataset.data, instruments, &config)?;
            if let Some(seconds) = dataset.duration_s {
                market.truncate(seconds)?;
            }
            Ok(market)
        })
        .collect()
}

/// The base configuration with the dataset's `[stress]` table and `values` applied.
fn dataset_config(
    base: &(String, ConfigSource),
    dataset: &Dataset,
    values: &[(&str, &toml::Value)],
) -> Result<EngineConfig, CliError> {
    let (text, source) = base;
    let source_path = PathBuf::from(source.describe());
    let mut table: toml::Table = toml::from_str(text).map_err(|e| CliError::Config {
        path: source_path.clone(),
        message: e.to_string().trim_end().to_owned(),
    })?;
    if let Some(stress_path) = &dataset.stress {
        let stress_text = read(stress_path)?;
        let stress_table: toml::Table = toml::from_str(&stress_text).map_err(|e| CliError::Config {
            path: stress_path.clone(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        let stress = stress_table.get("stress").cloned().ok_or_else(|| CliError::Config {
            path: stress_path.clone(),
            message: "has no [stress] table".to_owned(),
        })?;
        table.insert("stress".to_owned(), stress);
    }
    let text = toml::to_string(&table).map_err(|e| CliError::Argument(e.to_string()))?;
    let overrides: Vec<(String, toml::Value)> =
        values.iter().map(|(key, value)| ((*key).to_owned(), (*value).clone())).collect();
    with_overrides(&text, source, &overrides)
}

/// Checks every combination parses into a valid configuration before anything runs.
pub fn check_grid(grid: &Grid, base: &(String, ConfigSource)) -> Result<(), CliError> {
    for combination in 0..grid.combinations() {
        for dataset in &grid.datasets {
            dataset_config(base, dataset, &grid.values(combination))?;
        }
    }
    Ok(())
}

/// Runs the runs of `shard` on `jobs` threads, calling `progress` after each.
pub fn run_sweep(
    grid: &Grid,
    base: &(String, ConfigSource),
    markets: &[Market],
    shard: Shard,
    jobs: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<SweepResults, CliError> {
    let all = grid.runs();
    let total_runs = all.len();
    let mine: Vec<RunSpec> = all.into_iter().filter(|run| shard.takes(run.index)).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|error| CliError::Argument(format!("cannot start {jobs} sweep threads: {error}")))?;
    let results: Result<Vec<RunResult>, CliError> = pool.install(|| {
        mine.par_iter()
            .map(|spec| {
                let dataset = &grid.datasets[spec.dataset];
                let config = dataset_config(base, dataset, &grid.values(spec.combination))?;
                let run = replay(&markets[spec.dataset], &config, Threading::Inline)?;
                progress();
                Ok(result_of(spec, grid.dataset_name(spec.dataset), &run))
            })
            .collect()
    });
    Ok(SweepResults {
        axes: grid
            .axes
            .iter()
            .map(|(key, values)| (key.clone(), values.iter().map(value_text).collect()))
            .collect(),
        datasets: (0..grid.datasets.len()).map(|index| grid.dataset_name(index)).collect(),
        total_runs,
        shard,
        runs: results?,
    })
}

fn result_of(spec: &RunSpec, dataset_name: String, run: &ReplayRun) -> RunResult {
    let trading = &run.summary.trading;
    let cascade_time = trading.state_time.get("cascade").map_or(0.0, |time| time.fraction);
    RunResult {
        spec: spec.clone(),
        dataset_name,
        net_pnl: trading.pnl.net,
        fees: trading.pnl.fees,
        fills: trading.fills,
        maker_volume: trading.maker_volume,
        max_drawdown: trading.max_drawdown,
        markout_5s: trading.markouts_bps.s5,
        uptime: trading.quote_uptime.two_sided,
        cascade_time,
        regime_pnl: trading.regimes.iter().map(|(name, result)| ((*name).to_owned(), result.pnl)).collect(),
        regime_fills: trading
            .regimes
            .iter()
            .map(|(name, result)| ((*name).to_owned(), result.fills))
            .collect(),
        sharpe: sharpe(&run.series.samples),
        digest: run.summary.digest.clone(),
        wall_seconds: run.summary.wall_seconds,
    }
}

/// Mean over standard deviation of the 1 s changes of net PnL (from the samples).
fn sharpe(samples: &[super::series::Sample]) -> Option<f64> {
    let mut changes = Vec::new();
    let mut last: Option<(i64, f64)> = None;
    for sample in samples.iter().filter(|sample| sample.pnl.is_finite()) {
        match last {
            None => last = Some((sample.time.0, sample.pnl)),
            Some((time, pnl)) if sample.time.0 - time >= 1_000_000_000 => {
                changes.push(sample.pnl - pnl);
                last = Some((sample.time.0, sample.pnl));
            }
            Some(_) => {}
        }
    }
    if changes.len() < 2 {
        return None;
    }
    let mean = changes.iter().sum::<f64>() / changes.len() as f64;
    let variance =
        changes.iter().map(|change| (change - mean).powi(2)).sum::<f64>() / (changes.len() - 1) as f64;
    (variance > 0.0).then(|| mean / variance.sqrt())
}

/// Joins shard results into one; refuses shards of different sweeps or overlapping runs, and
/// says which runs are missing.
pub fn merge(shards: Vec<SweepResults>) -> Result<SweepResults, CliError> {
    let mut shards = shards.into_iter();
    let mut merged = shards.next().ok_or_else(|| CliError::Argument("nothing to merge".to_owned()))?;
    for shard in shards {
        if shard.axes != merged.axes
            || shard.datasets != merged.datasets
            || shard.total_runs != merged.total_runs
        {
            return Err(CliError::Argument(
                "the shards come from different sweeps (axes, datasets or run counts differ)".to_owned(),
            ));
        }
        merged.runs.extend(shard.runs);
    }
    merged.runs.sort_by_key(|run| run.spec.index);
    if let Some(pair) = merged.runs.windows(2).find(|pair| pair[0].spec.index == pair[1].spec.index) {
        return Err(CliError::Argument(format!("run {} appears in two shards", pair[0].spec.index)));
    }
    if merged.runs.len() != merged.total_runs {
        let have: std::collections::BTreeSet<usize> = merged.runs.iter().map(|run| run.spec.index).collect();
        let missing: Vec<String> = (0..merged.total_runs)
            .filter(|index| !have.contains(index))
            .take(10)
            .map(|i| i.to_string())
            .collect();
        tracing::warn!(
            "merged {} of {} runs; missing runs include {}",
            merged.runs.len(),
            merged.total_runs,
            missing.join(", ")
        );
    }
    merged.shard = Shard::ALL;
    Ok(merged)
}

/// Totals per combination over datasets, sorted by `metric` (ties by combination index).
pub fn rank(results: &SweepResults, metric: Metric) -> Vec<Ranked> {
    let mut by_combination: BTreeMap<usize, Ranked> = BTreeMap::new();
    let mut markouts: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    let mut sharpes: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    for run in &results.runs {
        let entry = by_combination.entry(run.spec.combination).or_insert_with(|| Ranked {
            rank: 0,
            combination: run.spec.combination,
            params: run.spec.params.clone(),
            net_pnl: 0.0,
            regime_pnl: BTreeMap::new(),
            fills: 0,
            max_drawdown: 0.0,
            markout_5s: None,
            sharpe: None,
            runs: 0,
        });
        entry.net_pnl += run.net_pnl;
        for (regime, pnl) in &run.regime_pnl {
            *entry.regime_pnl.entry(regime.clone()).or_insert(0.0) += pnl;
        }
        entry.fills += run.fills;
        entry.max_drawdown = entry.max_drawdown.max(run.max_drawdown);
        entry.runs += 1;
        markouts.entry(run.spec.combination).or_default().extend(run.markout_5s);
        sharpes.entry(run.spec.combination).or_default().extend(run.sharpe);
    }
    let mean =
        |values: &Vec<f64>| (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
    let mut ranked: Vec<Ranked> = by_combination
        .into_values()
        .map(|mut entry| {
            entry.markout_5s = markouts.get(&entry.combination).and_then(mean);
            entry.sharpe = sharpes.get(&entry.combination).and_then(mean);
            entry
        })
        .collect();
    let key = |entry: &Ranked| -> f64 {
        match metric {
            Metric::NetPnl => entry.net_pnl,
            Metric::Sharpe => entry.sharpe.unwrap_or(f64::NEG_INFINITY),
            Metric::Markout5s => entry.markout_5s.unwrap_or(f64::NEG_INFINITY),
            Metric::MaxDrawdown => -entry.max_drawdown,
            Metric::Fills => entry.fills as f64,
            Metric::CascadePnl => entry.regime_pnl.get("cascade").copied().unwrap_or(0.0),
        }
    };
    ranked.sort_by(|a, b| key(b).total_cmp(&key(a)).then(a.combination.cmp(&b.combination)));
    for (index, entry) in ranked.iter_mut().enumerate() {
        entry.rank = index + 1;
    }
    ranked
}

/// The ranked table as CSV (deterministic: no wall times).
pub fn ranked_csv(ranked: &[Ranked], axes: &[(String, Vec<String>)]) -> String {
    let mut out = String::new();
    let keys: Vec<&str> = axes.iter().map(|(key, _)| key.as_str()).collect();
    let _ = write!(out, "rank");
    for key in &keys {
        let _ = write!(out, ",{key}");
    }
    let _ = writeln!(
        out,
        ",net_pnl,calm_pnl,stressed_pnl,cascade_pnl,fills,max_drawdown,markout_5s_bps,sharpe,runs"
    );
    for entry in ranked {
        let _ = write!(out, "{}", entry.rank);
        for key in &keys {
            let value = entry.params.get(*key).map_or("", String::as_str);
            let _ = write!(out, ",{}", value.replace(',', ";"));
        }
        let regime = |name: &str| entry.regime_pnl.get(name).copied().unwrap_or(0.0);
        let option = |value: Option<f64>| value.map_or(String::new(), |v| format!("{v:.6}"));
        let _ = writeln!(
            out,
            ",{:.6},{:.6},{:.6},{:.6},{},{:.6},{},{},{}",
            entry.net_pnl,
            regime("calm"),
            regime("stressed"),
            regime("cascade"),
            entry.fills,
            entry.max_drawdown,
            option(entry.markout_5s),
            option(entry.sharpe),
            entry.runs
        );
    }
    out
}

/// Every run as CSV rows (deterministic: no wall times).
pub fn runs_csv(results: &SweepResults) -> String {
    let mut out = String::new();
    let keys: Vec<&str> = results.axes.iter().map(|(key, _)| key.as_str()).collect();
    let _ = write!(out, "run,dataset");
    for key in &keys {
        let _ = write!(out, ",{key}");
    }
    let _ = writeln!(
        out,
        ",net_pnl,fees,fills,maker_volume,max_drawdown,markout_5s_bps,uptime,cascade_time,calm_pnl,stressed_pnl,cascade_pnl,digest"
    );
    for run in &results.runs {
        let _ = write!(out, "{},{}", run.spec.index, run.dataset_name.replace(',', ";"));
        for key in &keys {
            let _ =
                write!(out, ",{}", run.spec.params.get(*key).map_or("", String::as_str).replace(',', ";"));
        }
        let regime = |name: &str| run.regime_pnl.get(name).copied().unwrap_or(0.0);
        let _ = writeln!(
            out,
            ",{:.6},{:.6},{},{:.6},{:.6},{},{:.4},{:.4},{:.6},{:.6},{:.6},{}",
            run.net_pnl,
            run.fees,
            run.fills,
            run.maker_volume,
            run.max_drawdown,
            run.markout_5s.map_or(String::new(), |v| format!("{v:.6}")),
            run.uptime,
            run.cascade_time,
            regime("calm"),
            regime("stressed"),
            regime("cascade"),
            run.digest
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(text: &str) -> Grid {
        Grid::parse(text, Path::new("grid.toml"), Some(Path::new("data.gz"))).unwrap()
    }

    #[test]
    fn runs_enumerate_every_combination_in_a_fixed_order() {
        let grid =
            grid("[grid]\n\"strategy.policy\" = [\"fixed\", \"glft\"]\n\"strategy.order_qty\" = [1, 2, 3]\n");
        let runs = grid.runs();
        assert_eq!(runs.len(), 6);
        assert_eq!(runs[0].params["strategy.order_qty"], "1");
        assert_eq!(runs[0].params["strategy.policy"], "fixed");
        // The last key in sorted order varies fastest.
        assert_eq!(runs[1].params["strategy.policy"], "glft");
        assert_eq!(runs[2].params["strategy.order_qty"], "2");
        let distinct: std::collections::BTreeSet<_> =
            runs.iter().map(|run| format!("{:?}", run.params)).collect();
        assert_eq!(distinct.len(), 6);
    }

    #[test]
    fn shards_partition_the_runs() {
        let grid = grid("[grid]\n\"strategy.order_qty\" = [1, 2, 3, 4, 5, 6, 7]\n");
        let runs = grid.runs();
        let shards: Vec<Shard> = (1..=3).map(|i| Shard { index: i, count: 3 }).collect();
        for run in &runs {
            assert_eq!(shards.iter().filter(|shard| shard.takes(run.index)).count(), 1);
        }
        assert!(Shard::parse("0/3").is_err());
        assert!(Shard::parse("4/3").is_err());
        assert!(Shard::parse("x").is_err());
        assert_eq!(Shard::parse("2/3").unwrap(), Shard { index: 2, count: 3 });
    }

    #[test]
    fn bad_grid_keys_are_named() {
        let base = (String::new(), ConfigSource::BuiltIn);
        let grid = grid("[grid]\n\"strategy.no_such_key\" = [1]\n");
        let error = check_grid(&grid, &base).unwrap_err().to_string();
        assert!(error.contains("no_such_key"), "{error}");
    }

    #[test]
    fn a_grid_without_data_is_refused() {
        let error =
            Grid::parse("[grid]\n\"strategy.order_qty\" = [1]\n", Path::new("g.toml"), None).unwrap_err();
        assert!(error.to_string().contains("nothing to run on"), "{error}");
        let error = Grid::parse("[grid]\n\"stress.seed\" = [1]\n", Path::new("g.toml"), Some(Path::new("d")))
            .unwrap_err();
        assert!(error.to_string().contains("datasets"), "{error}");
    }
}
