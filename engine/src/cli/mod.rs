//! The `halcyon` command line: [`args`] (what was typed), [`config`] (what it means, validated),
//! and one module per command.
//!
//! [`run`] is all `main` calls; it returns the process exit status, and every failure is a
//! [`CliError`] that says what went wrong and where.

pub mod args;
pub mod backtest;
pub mod bench;
pub mod config;
pub mod engine_config;
pub mod explain;
pub mod inspect;
pub mod replay;
pub mod simulate;
pub mod sweep;
pub mod venue;

use clap::Parser;
use std::ffi::OsString;
use std::path::PathBuf;

/// A command failed before or while running.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// Which file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Configuration that does not make sense.
    #[error("{path}: {message}")]
    Config {
        /// Which file (or `built-in`).
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// A recording could not be opened.
    #[error("{0}")]
    Recording(#[from] feeds::recording::RecordingError),
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Output(std::io::Error),
    /// An argument value that does not make sense.
    #[error("{0}")]
    Argument(String),
    /// The engine's threads could not run.
    #[error("{0}")]
    Pipeline(#[from] crate::pipeline::PipelineError),
}

/// Exit status: success.
pub const EXIT_OK: u8 = 0;
/// Exit status: the command could not run (bad arguments, unreadable input).
pub const EXIT_ERROR: u8 = 1;
/// Exit status: clap's usage errors.
pub const EXIT_USAGE: u8 = 2;
/// Exit status: `--strict` and the data had problems.
pub const EXIT_DATA_PROBLEMS: u8 = 3;

/// Log lines go to stderr; `HALCYON_LOG` sets the filter (`tracing` directives such as `info` or
/// `engine=debug`), default `warn`.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("HALCYON_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    // A second call (tests running commands in-process) keeps the first subscriber.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_env_filter(filter)
        .try_init();
}

/// Parses `arguments` and runs the command; returns the exit status. Errors are printed to
/// stderr here.
pub fn run(arguments: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> u8 {
    init_logging();
    let cli = match args::Cli::try_parse_from(arguments) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let result = match cli.command {
        args::Command::Inspect(arguments) => inspect::run(&arguments),
        args::Command::Bench(args::BenchCommand::TickToQuote(arguments)) => bench::tick_to_quote(&arguments),
        args::Command::Bench(args::BenchCommand::Backtest(arguments)) => backtest::run(&arguments),
        args::Command::Simulate(args::SimulateCommand::AsPaper(arguments)) => simulate::as_paper(&arguments),
        args::Command::Explain(arguments) => explain::run(&arguments),
        args::Command::Replay(arguments) => replay::run(&arguments),
        args::Command::Convert(arguments) => replay::convert(&arguments),
        args::Command::Sweep(arguments) => sweep::run(&arguments),
        args::Command::Simulate(args::SimulateCommand::Market(arguments)) => simulate::market(&arguments),
        args::Command::Venue(arguments) => venue::run(&arguments),
    };
    match result {
        Ok(status) => status,
        Err(error) => {
            eprintln!("halcyon: error: {error}");
            EXIT_ERROR
        }
    }
}
