//! The command line as typed: clap definitions, no validation beyond syntax.
//!
//! [`Cli::parse_from`] gives these; [`super::config`] turns them into validated settings before
//! anything runs.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// halcyon: a low-latency market-making engine for crypto perpetual futures.
#[derive(Debug, Parser)]
#[command(name = "halcyon", version, about, long_about = None, arg_required_else_help = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read a recording and report what is in it: frames per kind, time span, parse errors,
    /// gaps in the depth chain, and a book check (the book rebuilt from depth diffs compared with
    /// every bookTicker that carries the same update id).
    ///
    /// Recording formats are detected from the content: `<receive_ns> <frame>` lines (plain or
    /// gzip), cryptofeed captures (`<epoch_seconds>: <frame>`), and halcyon captures.
    #[command(after_help = "Examples:\n  \
        halcyon inspect ../shared/data/binance-usdm/btcusdt_20240808.gz\n  \
        halcyon inspect ../shared/data/cryptofeed/BINANCE_FUTURES.ws.1.0 \\\n      \
        --snapshots ../shared/data/cryptofeed/BINANCE_FUTURES.http.0.0 --json")]
    Inspect(InspectArgs),
}

/// Arguments of `halcyon inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The recording to read.
    pub recording: PathBuf,

    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Instrument definitions (TOML `[[instrument]]` tables). Default:
    /// `configs/instruments.toml` if it exists, else the copy built into the binary.
    #[arg(long, value_name = "TOML")]
    pub instruments: Option<PathBuf>,

    /// Take instrument definitions from a Binance `exchangeInfo` JSON response instead.
    #[arg(long, value_name = "JSON", conflicts_with = "instruments")]
    pub exchange_info: Option<PathBuf>,

    /// A recording of REST depth snapshots taken alongside (e.g. cryptofeed's
    /// `BINANCE_FUTURES.http.0.0`); they are interleaved with the stream by receive time.
    /// Repeatable.
    #[arg(long, value_name = "RECORDING")]
    pub snapshots: Vec<PathBuf>,

    /// Exit with status 3 if there were parse or read errors, gaps, or book check mismatches.
    #[arg(long)]
    pub strict: bool,
}
