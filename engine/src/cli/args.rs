//! The command line as typed: clap definitions, no validation beyond syntax.
//!
//! [`Cli::parse_from`] gives these; [`super::config`] turns them into validated settings before
//! anything runs.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use strategy::research::AsPaperParams;

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

    /// Simulations: reproduce published market-making experiments with the strategy crate's
    /// models.
    #[command(subcommand)]
    Simulate(SimulateCommand),

    /// Replay a recording up to a moment and show why the quote there is where it is: the book
    /// top, every signal (forced flow and the LFWM lean, toxicity and its components,
    /// volatility, fitted fill intensities), the fair value, each term of the spread, and the
    /// quotes; then the distributions of toxicity, volatility and half-spread over the replay.
    ///
    /// The replay runs the configured strategy (`[strategy]` of the config) on one thread, in
    /// exchange time, exactly as the quoting core would; the risk state is calm. Without
    /// `--at` it stops at the end of the recording.
    #[command(after_help = "Examples:\n  \
        halcyon explain --data ../shared/data/binance-usdm/btcusdt_20240808.gz --at 2024-08-08T23:57:00Z\n  \
        halcyon explain --data ../shared/data/binance-usdm/btcusdt_20240808.gz --at +90s --inventory 5\n  \
        halcyon explain --data ../shared/data/binance-usdm/btcusdt_20240808.gz --config my.toml --json")]
    Explain(ExplainArgs),
}

/// Arguments of `halcyon explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The recording to replay (any format `halcyon inspect` reads).
    #[arg(long, value_name = "RECORDING")]
    pub data: PathBuf,

    /// When to stop, in exchange time: a UTC time (`2024-08-08T23:57:00Z`, fractions allowed)
    /// or `+<duration>` after the recording's first event (`+90s`, `+2m 30s`). Default: the
    /// end of the recording.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,

    /// Engine configuration (its `[strategy]` table is used). Default: `configs/halcyon.toml`
    /// if it exists, else the built-in copy.
    #[arg(long, value_name = "TOML")]
    pub config: Option<PathBuf>,

    /// Instrument definitions. Default: `configs/instruments.toml` if it exists, else the
    /// built-in copy.
    #[arg(long, value_name = "TOML")]
    pub instruments: Option<PathBuf>,

    /// Symbol to explain. Default: the first of the config's `quoting.instruments`.
    #[arg(long)]
    pub symbol: Option<String>,

    /// Inventory (lots, positive long) to quote with at that moment.
    #[arg(long, value_name = "LOTS", default_value_t = 0, allow_negative_numbers = true)]
    pub inventory: i64,

    /// Print the report as JSON (with the strategy config used) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What `halcyon simulate` runs.
#[derive(Debug, Subcommand)]
pub enum SimulateCommand {
    /// The experiment of Avellaneda & Stoikov (2008), "High-frequency trading in a limit order
    /// book", Quantitative Finance 8(3), §3.3: the inventory strategy against a symmetric one.
    ///
    /// Each path: the mid moves ±σ√dt per step; a quote δ from the mid is filled with
    /// probability A·e^(−kδ)·dt; the inventory strategy quotes the optimal spread
    /// γσ²(T−t) + (2/γ)ln(1+γ/k) around the reservation price s − qγσ²(T−t), the symmetric
    /// strategy the same spread around the mid. Both run on the same random draws. Prints,
    /// per strategy, the average spread and the mean and standard deviation of the final
    /// profit (marked at the last mid) and of the final inventory, like the paper's tables.
    /// Paper's parameters: s0 = 100, T = 1, σ = 2, dt = 0.005, A = 140, k = 1.5, q0 = 0.
    #[command(after_help = "Examples:\n  \
        halcyon simulate as-paper --gamma 0.1\n  \
        halcyon simulate as-paper --gamma 1 --paths 10000 --seed 7 --json")]
    AsPaper(AsPaperArgs),
}

/// Arguments of `halcyon simulate as-paper`. Defaults are the paper's.
#[derive(Debug, clap::Args)]
pub struct AsPaperArgs {
    /// Risk aversion γ of the inventory strategy (the paper's tables use 0.1, 0.01 and 1).
    #[arg(long, value_name = "GAMMA", allow_negative_numbers = true)]
    pub gamma: f64,

    /// Number of simulated paths.
    #[arg(long, value_name = "N", default_value_t = AsPaperParams::default().paths)]
    pub paths: u64,

    /// Seed of the random generator: the same seed gives the same output.
    #[arg(long, default_value_t = AsPaperParams::default().seed)]
    pub seed: u64,

    /// Volatility σ of the mid, dollars per √(unit of time).
    #[arg(long, allow_negative_numbers = true, default_value_t = AsPaperParams::default().sigma)]
    pub sigma: f64,

    /// Scale A of the fill intensity A·e^(−kδ), orders per unit of time.
    #[arg(long, allow_negative_numbers = true, default_value_t = AsPaperParams::default().a)]
    pub a: f64,

    /// Decay k of the fill intensity A·e^(−kδ), per dollar of distance from the mid.
    #[arg(long, allow_negative_numbers = true, default_value_t = AsPaperParams::default().k)]
    pub k: f64,

    /// Time step; the horizon T = 1 is split into round(T/dt) equal steps.
    #[arg(long, allow_negative_numbers = true, default_value_t = AsPaperParams::default().dt)]
    pub dt: f64,

    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
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
