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

    /// Benchmarks: measure the engine on real recorded data.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// What `halcyon bench` measures.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Tick-to-quote latency through the real threads: a recording's frames are released by the
    /// feed thread on a schedule, decoded and published into the ring, and turned by the quoting
    /// core into quote decisions and signed order messages. Prints p50/p90/p99/p99.9/max per
    /// stage (parse, publish, hop, apply, decide, encode) and end to end, overall and per frame
    /// kind.
    ///
    /// Pacing: by default the recording's own inter-arrival times are kept, compressed to
    /// `--rate` frames per second on average; `--burst` releases frames back to back (a queueing
    /// stress, not an idle-pipeline latency). `--baseline` also runs, in the same process on the
    /// same frames and schedule, the pipeline a typical bot uses (serde_json typed parse +
    /// crossbeam bounded channel + the same core) and prints halcyon/baseline per percentile.
    ///
    /// Exit status 3 if frames failed to decode, a frame was lost, or the baseline's order
    /// messages differ from halcyon's (the two would not have done the same work).
    #[command(after_help = "Examples:\n  \
        halcyon bench tick-to-quote --data ../shared/data/binance-usdm/btcusdt_20240808.gz --baseline\n  \
        halcyon bench tick-to-quote --data ../shared/data/binance-usdm/btcusdt_20240808.gz --burst --json")]
    TickToQuote(TickToQuoteArgs),
}

/// Arguments of `halcyon bench tick-to-quote`.
#[derive(Debug, clap::Args)]
pub struct TickToQuoteArgs {
    /// The recording whose frames are replayed (any format `halcyon inspect` reads).
    #[arg(long, value_name = "RECORDING")]
    pub data: PathBuf,

    /// Mean release rate in frames per second; the recording's inter-arrival pattern is kept.
    #[arg(long, value_name = "FRAMES_PER_SEC", default_value_t = 10_000.0, conflicts_with = "burst")]
    pub rate: f64,

    /// Release frames back to back instead of paced.
    #[arg(long)]
    pub burst: bool,

    /// Also run the typical-bot baseline and print the ratios.
    #[arg(long)]
    pub baseline: bool,

    /// Print the report as JSON instead of tables.
    #[arg(long)]
    pub json: bool,

    /// Frames handled before latencies are recorded (caches, branch predictors and buffers
    /// warm up on real traffic).
    #[arg(long, value_name = "FRAMES", default_value_t = 5_000)]
    pub warmup: u64,

    /// Use only the first N frames of the recording.
    #[arg(long, value_name = "FRAMES")]
    pub limit: Option<usize>,

    /// Engine configuration. Default: `configs/halcyon.toml` if it exists, else the built-in
    /// copy.
    #[arg(long, value_name = "TOML")]
    pub config: Option<PathBuf>,

    /// Instrument definitions. Default: `configs/instruments.toml` if it exists, else the
    /// built-in copy.
    #[arg(long, value_name = "TOML")]
    pub instruments: Option<PathBuf>,

    /// Run the feed and quoting threads unpinned (overrides the configuration).
    #[arg(long)]
    pub no_pin: bool,

    /// Journal the ring's events to this file (64-byte records).
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
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
