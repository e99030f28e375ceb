//! The `halcyon` command line: [`args`] (what was typed), [`config`] (what it means, validated),
//! and one module per command.
//!
//! [`run`] is all `main` calls; it returns the process exit status, and every failure is a
//! [`CliError`] that says what went wrong and where.

pub mod args;
pub mod backtest;
pub mod bench;
pub mod config;
pub mod ctl;
pub mod engine_config;
pub mod explain;
pub mod inspect;
pub mod live;
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

/// The environment variable that picks the log format when `--log-format` is not given.
pub const LOG_FORMAT_ENV: &str = "HALCYON_LOG_FORMAT";

/// The log format: `--log-format`, else `HALCYON_LOG_FORMAT` (`human` or `json`), else human.
/// An unknown value in the environment is reported and ignored.
pub fn log_format(flag: Option<args::LogFormat>) -> args::LogFormat {
    if let Some(format) = flag {
        return format;
    }
    match std::env::var(LOG_FORMAT_ENV) {
        Ok(value) if value.eq_ignore_ascii_case("json") => args::LogFormat::Json,
        Ok(value) if value.eq_ignore_ascii_case("human") || value.is_empty() => args::LogFormat::Human,
        Ok(value) => {
            eprintln!(
                "halcyon: warning: {LOG_FORMAT_ENV}={value:?} is neither `human` nor `json`; using human"
            );
            args::LogFormat::Human
        }
        Err(_) => args::LogFormat::Human,
    }
}

/// Log lines go to stderr; `HALCYON_LOG` sets the filter (`tracing` directives such as `info` or
/// `engine=debug`), default `default_level`. The format is [`log_subscriber`]'s.
fn init_logging(format: args::LogFormat, default_level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("HALCYON_LOG").unwrap_or_else(|_| EnvFilter::new(default_level));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // A second call (tests running commands in-process) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(log_subscriber(format, filter, std::io::stderr, ansi));
}

/// The subscriber that writes log lines to `writer`. `human`: text lines (ANSI colours when
/// `ansi`). `json`: one JSON object per line with `timestamp` (RFC 3339, UTC), `level`,
/// `target`, `message` and the event's own fields at the top level, plus `span` and `spans`
/// when inside spans — what log shippers (Loki, Vector, Elasticsearch) ingest as is.
pub fn log_subscriber<W>(
    format: args::LogFormat,
    filter: tracing_subscriber::EnvFilter,
    writer: W,
    ansi: bool,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'writer> tracing_subscriber::fmt::MakeWriter<'writer> + Send + Sync + 'static,
{
    match format {
        args::LogFormat::Human => Box::new(
            tracing_subscriber::fmt().with_writer(writer).with_ansi(ansi).with_env_filter(filter).finish(),
        ),
        args::LogFormat::Json => Box::new(
            tracing_subscriber::fmt()
                .json()
                .flatten_event(true)
                .with_writer(writer)
                .with_env_filter(filter)
                .finish(),
        ),
    }
}

/// Parses `arguments` and runs the command; returns the exit status. Errors are printed to
/// stderr here.
pub fn run(arguments: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> u8 {
    let cli = match args::Cli::try_parse_from(arguments) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    // The long-running services say what they are doing (connections, resyncs, operator
    // commands, a telemetry line every few seconds); one-shot commands only warn.
    let default_level = match cli.command {
        args::Command::Run(_) | args::Command::Record(_) | args::Command::Venue(_) => "info",
        _ => "warn",
    };
    init_logging(log_format(cli.log_format), default_level);
    let result = match cli.command {
        args::Command::Inspect(arguments) => inspect::run(&arguments),
        args::Command::Bench(args::BenchCommand::TickToQuote(arguments)) => bench::tick_to_quote(&arguments),
        args::Command::Bench(args::BenchCommand::Backtest(arguments)) => backtest::run(&arguments),
        args::Command::Bench(args::BenchCommand::WireToQuote(arguments)) => live::wire_to_quote(&arguments),
        args::Command::Simulate(args::SimulateCommand::AsPaper(arguments)) => simulate::as_paper(&arguments),
        args::Command::Explain(arguments) => explain::run(&arguments),
        args::Command::Replay(arguments) => replay::run(&arguments),
        args::Command::Run(arguments) => live::run(&arguments),
        args::Command::Record(arguments) => live::record(&arguments),
        args::Command::Convert(arguments) => replay::convert(&arguments),
        args::Command::Sweep(arguments) => sweep::run(&arguments),
        args::Command::Simulate(args::SimulateCommand::Market(arguments)) => simulate::market(&arguments),
        args::Command::Ctl(arguments) => Ok(ctl::run(&arguments)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn json_log_lines_are_one_object_per_line_with_flat_fields() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = log_subscriber(
            args::LogFormat::Json,
            tracing_subscriber::EnvFilter::new("info"),
            move || writer.clone(),
            false,
        );
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(addr = "127.0.0.1:9464", port = 9464u64, "control server listening");
            tracing::debug!("filtered out");
            tracing::warn!(error = "connection reset", "feed disconnected");
        });
        let text = String::from_utf8(buffer.0.lock().expect("not poisoned").clone()).expect("UTF-8");
        let lines: Vec<serde_json::Value> =
            text.lines().map(|line| serde_json::from_str(line).expect("each line is JSON")).collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0]["level"], "INFO");
        assert_eq!(lines[0]["message"], "control server listening");
        assert_eq!(lines[0]["addr"], "127.0.0.1:9464");
        assert_eq!(lines[0]["port"], 9464);
        assert!(lines[0]["timestamp"].as_str().is_some_and(|time| time.ends_with('Z')), "{}", lines[0]);
        assert!(lines[0]["target"].as_str().is_some_and(|target| target.starts_with("engine")));
        assert_eq!((&lines[1]["level"], &lines[1]["error"]), (&"WARN".into(), &"connection reset".into()));
    }

    #[test]
    fn the_flag_beats_the_environment() {
        assert_eq!(log_format(Some(args::LogFormat::Json)), args::LogFormat::Json);
        assert_eq!(log_format(Some(args::LogFormat::Human)), args::LogFormat::Human);
    }
}
