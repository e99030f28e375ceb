//! The command line as typed: clap definitions, no validation beyond syntax.
//!
//! [`Cli::parse_from`] gives these; [`super::config`] turns them into validated settings before
//! anything runs.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use strategy::research::AsPaperParams;

/// halcyon: a low-latency market-making engine for crypto perpetual futures.
#[derive(Debug, Parser)]
#[command(
    name = "halcyon",
    version,
    about = "halcyon: a low-latency market-making engine for crypto perpetual futures",
    long_about = None,
    arg_required_else_help = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Log line format on stderr: `human` (default) or `json` (one JSON object per line).
    /// Default from `HALCYON_LOG_FORMAT`; the filter comes from `HALCYON_LOG`.
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable text lines (colours on a terminal).
    Human,
    /// JSON lines: `timestamp`, `level`, `target`, `message` and the event's fields.
    Json,
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

    /// Run the engine on a recording against the simulated exchange: the same threads, ring,
    /// quoting core and risk gate as live, our orders queued behind the recorded book, filled
    /// by the recorded trades (see `[simulator]`: queue model, latencies, fees). Prints a
    /// summary (PnL, fills, markouts, uptime, time per risk state, spread and toxicity
    /// percentiles, latency, throughput) and a digest of every order and fill: the same data
    /// and config give the same digest, run after run.
    ///
    /// With a `[stress]` table in the config, a synthetic liquidation cascade is laid over
    /// the recording first (configs/stress-*.toml). `--out` writes CSV time series and an HTML
    /// report with plots.
    #[command(after_help = "Examples:\n  \
        halcyon replay --data ../shared/data/binance-usdm/btcusdt_20240808.gz\n  \
        halcyon replay --data ../shared/data/binance-usdm/btcusdt_20240808.gz --out report/ --json summary.json\n  \
        halcyon replay --config configs/stress-long-liquidation.toml --data ../shared/data/binance-usdm/btcusdt_20240808.gz --out stress/\n  \
        halcyon replay --data btcusdt.hev --threads inline")]
    Replay(ReplayArgs),

    /// Run a grid of configurations over recordings and stress scenarios in parallel and rank
    /// them, with results per market regime (calm, stressed, cascade) so a configuration that
    /// wins on average but bleeds in cascades shows it. `sweep merge` joins shard outputs.
    ///
    /// The grid file: a `[grid]` table whose keys are config keys (`"strategy.policy"`,
    /// `"strategy.toxicity_aware.a_tau"`, ...) each with a list of values (every combination
    /// is run), and a `[[dataset]]` list (`data = "<recording>"`, optional `stress =
    /// "<config with a [stress] table>"`, optional `name`). Without datasets, `--data` is used.
    #[command(after_help = "Examples:\n  \
        halcyon sweep --grid configs/sweep-example.toml --jobs 2 --out sweep/\n  \
        halcyon sweep --grid configs/sweep-example.toml --shard 1/4 --out sweep/shard-1\n  \
        halcyon sweep merge sweep/shard-* --out sweep/")]
    Sweep(SweepArgs),

    /// Run the engine on live market data: Binance USD-M's streams (or a local venue that
    /// speaks the protocol: `halcyon venue`), the same feed thread, ring, quoting core and risk
    /// gate as a replay. With `[live] mode = "paper"` orders are filled by the simulated
    /// exchange of `halcyon replay` (`[simulator]`); nothing is sent to an exchange.
    ///
    /// The feed keeps Binance's book procedure (REST snapshot, diffs chained by update id),
    /// reconnects with jittered backoff and resyncs, and rolls connections over before
    /// Binance's 24-hour cut. Slow lanes (`[lanes]`: open interest, Bybit liquidations,
    /// Deribit options) run on their own threads. `[control]` serves Prometheus `/metrics`
    /// and the operator commands of `halcyon ctl` on localhost. Stops on Ctrl-C (or after
    /// `--duration`), then prints the same summary as a replay.
    #[command(after_help = "Examples:\n  \
        halcyon run --config configs/paper.toml\n  \
        halcyon venue --data ../shared/data/binance-usdm/btcusdt_20240808.gz --port 9443 &\n  \
        halcyon run --config configs/paper-local.toml --duration 60s --json summary.json")]
    Run(RunArgs),

    /// Capture live market data raw: every frame of the configured streams, and the REST depth
    /// snapshots, as `<receive_ns> <frame>` lines that `halcyon replay` and `halcyon inspect`
    /// read. The book is kept while recording (gaps and resyncs are reported), nothing is
    /// quoted.
    #[command(after_help = "Examples:\n  \
        halcyon record --config configs/paper.toml --out btcusdt.txt --duration 10m")]
    Record(RecordArgs),

    /// Convert a recording into halcyon's normalized event capture (`.hev`): events already
    /// decoded and sequenced, fixed 64-byte records, so replays skip parsing.
    #[command(after_help = "Example:\n  \
        halcyon convert ../shared/data/binance-usdm/btcusdt_20240808.gz --out btcusdt.hev")]
    Convert(ConvertArgs),

    /// Talk to a running engine's control API: print its status, or kill, reset, pause or
    /// resume quoting. Prints the engine's JSON answer; exits 0 when the engine carried the
    /// command out, 1 when it refused or could not be reached, 2 on bad arguments.
    ///
    /// The token: `--token`, else `--token-file`, else `HALCYON_CONTROL_TOKEN`, else the file
    /// the engine writes a generated token to (`$XDG_RUNTIME_DIR/halcyon/control.token`, or
    /// `./.halcyon/control.token`).
    #[command(after_help = "Examples:\n  \
        halcyon ctl status\n  \
        halcyon ctl kill --url http://127.0.0.1:9464 --token-file /run/halcyon/control.token\n  \
        halcyon ctl reset && halcyon ctl resume")]
    Ctl(CtlArgs),

    /// Serve a recording on loopback as a Binance USD-M venue: WebSocket market streams
    /// (`/stream?streams=..`, `/ws/<name>`, live SUBSCRIBE), REST `/fapi/v1/depth`,
    /// `exchangeInfo`, `openInterest` (synthetic), with injectable faults and control endpoints
    /// (`/venue/status`, `/venue/book`, `/venue/pause`, `/venue/resume`, `/venue/fault`).
    /// Prints its URLs and port, then serves until Ctrl-C.
    #[command(after_help = "Examples:\n  \
        halcyon venue --data ../shared/data/binance-usdm/btcusdt_20240808.gz\n  \
        halcyon venue --data ../shared/data/binance-usdm/btcusdt_20240808.gz --port 0 --speed 10 --config configs/venue.toml\n  \
        curl -XPOST localhost:PORT/venue/fault -d '{\"kind\":\"gap\",\"diffs\":2}'")]
    Venue(VenueArgs),
}

/// What `halcyon ctl` asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CtlCommand {
    /// The engine's state.
    Status,
    /// Latch the kill switch: cancel every order, stop quoting until `reset`.
    Kill,
    /// Clear a latched kill switch.
    Reset,
    /// Pull the quotes until `resume`.
    Pause,
    /// Quote again after `pause` (after a kill, `reset` first).
    Resume,
    /// Print the Prometheus metrics text.
    Metrics,
}

/// Arguments of `halcyon ctl`.
#[derive(Debug, clap::Args)]
pub struct CtlArgs {
    /// The command.
    #[arg(value_enum)]
    pub command: CtlCommand,

    /// The engine's control URL (its `[control].bind`).
    #[arg(long, default_value = "http://127.0.0.1:9464")]
    pub url: String,

    /// The bearer token.
    #[arg(long, value_name = "TOKEN", conflicts_with = "token_file")]
    pub token: Option<String>,

    /// A file holding the bearer token (first line).
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    /// Give up after this many milliseconds (connect, send, and each read).
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub timeout_ms: u64,
}

/// `halcyon venue`.
#[derive(Debug, clap::Args)]
pub struct VenueArgs {
    /// The recording to serve (any frame format `halcyon inspect` reads); the replay starts at
    /// its first REST depth snapshot.
    #[arg(long, value_name = "RECORDING")]
    pub data: PathBuf,

    /// Port to listen on; 0 picks a free one (printed). Default: the config's, else 0.
    #[arg(long)]
    pub port: Option<u16>,

    /// Address to listen on. Default: the config's, else 127.0.0.1.
    #[arg(long, value_name = "IP")]
    pub bind: Option<String>,

    /// Replay speed: recorded gaps are divided by it; 0 sends as fast as clients take.
    /// Default: the config's, else 1.
    #[arg(long)]
    pub speed: Option<f64>,

    /// Venue configuration (`configs/venue.toml`: timings, synthetic open interest, faults).
    #[arg(long, value_name = "TOML")]
    pub config: Option<PathBuf>,

    /// When the replay clock starts. Default: the config's, else `first-client`.
    #[arg(long, value_enum)]
    pub start: Option<VenueStart>,

    /// Exit once every frame has been sent.
    #[arg(long)]
    pub exit_at_end: bool,

    /// Instrument definitions. Default: `configs/instruments.toml` if it exists, else the
    /// built-in copy.
    #[arg(long, value_name = "TOML")]
    pub instruments: Option<PathBuf>,
}

/// When `halcyon venue` starts its replay clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum VenueStart {
    /// When the first WebSocket client connects.
    FirstClient,
    /// At once.
    Now,
}

/// How fast a replay releases frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Pace {
    /// As fast as the engine takes them.
    Fast,
    /// At the recording's own pace (a 6-minute recording takes 6 minutes).
    Recorded,
}

/// Which threads a replay runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReplayThreads {
    /// Feed, quoting core, recorder and telemetry threads around the ring, as live.
    Pipeline,
    /// Decode and quote on one thread, no ring (same orders and digest; fastest backtest).
    Inline,
}

/// Arguments of `halcyon replay`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Engine configuration (with `[simulator]`, `[replay]`, optional `[stress]`). Default:
    /// `configs/halcyon.toml` if it exists, else the built-in copy.
    #[arg(long, value_name = "TOML")]
    pub config: Option<PathBuf>,

    /// The recording (any format `halcyon inspect` reads, or a `.hev` from `halcyon convert`).
    /// Default: the config's `replay.data`.
    #[arg(long, value_name = "RECORDING")]
    pub data: Option<PathBuf>,

    /// Write the summary as JSON to this file (`-` for standard output, instead of the table).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,

    /// Write the report here: CSV time series and report.html.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Release frames as fast as possible, or at the recording's pace.
    #[arg(long, value_enum, default_value_t = Pace::Fast)]
    pub pace: Pace,

    /// Threads to run on.
    #[arg(long, value_enum, default_value_t = ReplayThreads::Pipeline)]
    pub threads: ReplayThreads,

    /// Instrument definitions. Default: `configs/instruments.toml` if it exists, else the
    /// built-in copy.
    #[arg(long, value_name = "TOML")]
    pub instruments: Option<PathBuf>,

    /// Run the feed and quoting threads unpinned (overrides the configuration).
    #[arg(long)]
    pub no_pin: bool,

    /// Override one config key (dotted, any key of the configuration), e.g.
    /// `--set strategy.policy=fixed --set strategy.order_qty=2`. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

/// Arguments of `halcyon convert`.
#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// The recording to convert.
    pub recording: PathBuf,

    /// The `.hev` file to write (replaced if it exists).
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,

    /// Instrument definitions. Default: `configs/instruments.toml` if it exists, else the
    /// built-in copy.
    #[arg(long, value_name = "TOML")]
    pub instruments: Option<PathBuf>,
}

/// Arguments of `halcyon sweep`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SweepArgs {
    /// `sweep merge`.
    #[command(subcommand)]
    pub command: Option<SweepCommand>,

    /// Base engine configuration the grid varies. Default: `configs/halcyon.toml` if it
    /// exists, else the built-in copy.
    #[arg(long, value_name = "TOML")]
    pub config: Option<PathBuf>,

    /// The grid (see above). Required unless merging.
    #[arg(long, value_name = "TOML")]
    pub grid: Option<PathBuf>,

    /// The recording when the grid names no `[[dataset]]`.
    #[arg(long, value_name = "RECORDING")]
    pub data: Option<PathBuf>,

    /// Runs at once (each on one thread). Default: the machine's cores.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Run only slice `i` of `n` (1-based: `1/4` .. `4/4`) of the runs, for a Slurm array or
    /// a Kubernetes indexed job; `sweep merge` joins the slices.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,

    /// Rank by this metric: `net_pnl` (default), `sharpe`, `markout_5s`, `max_drawdown`,
    /// `fills`, or `cascade_pnl`.
    #[arg(long, value_name = "METRIC", default_value = "net_pnl")]
    pub rank_by: String,

    /// Write results.json and results.csv here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Instrument definitions. Default: `configs/instruments.toml` if it exists, else the
    /// built-in copy.
    #[arg(long, value_name = "TOML")]
    pub instruments: Option<PathBuf>,

    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// `halcyon sweep` subcommands.
#[derive(Debug, Subcommand)]
pub enum SweepCommand {
    /// Join the results of shards (`results.json` files, or the folders holding them) into
    /// one ranked table, as a single run would have printed.
    Merge(SweepMergeArgs),
}

/// Arguments of `halcyon sweep merge`.
#[derive(Debug, clap::Args)]
pub struct SweepMergeArgs {
    /// Shard outputs: `results.json` files or folders containing one.
    #[arg(required = true, value_name = "SHARD")]
    pub shards: Vec<PathBuf>,

    /// Rank by this metric (as `sweep --rank-by`).
    #[arg(long, value_name = "METRIC", default_value = "net_pnl")]
    pub rank_by: String,

    /// Write the merged results.json and results.csv here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
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

    /// Generate a synthetic market tape (book, trades, liquidations, funding, open interest)
    /// with calm and cascade regimes from a seed, as Binance USD-M frames in a halcyon capture
    /// (`.hcap`), so every command can be tried without a recording. The same seed gives the
    /// same bytes. Synthetic: no statistical claim about real markets.
    #[command(after_help = "Examples:\n  \
        halcyon simulate market --out synthetic.hcap\n  \
        halcyon simulate market --out calm.hcap --no-cascade --duration 300 --seed 7\n  \
        halcyon replay --data synthetic.hcap --out synthetic-report/")]
    Market(MarketArgs),
}

/// Arguments of `halcyon simulate market`.
#[derive(Debug, clap::Args)]
pub struct MarketArgs {
    /// The capture file to write (replaced if it exists).
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,

    /// Generator settings (TOML; every key optional). Flags below override it.
    #[arg(long, value_name = "TOML")]
    pub config: Option<PathBuf>,

    /// Seed: the same seed gives the same tape.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Length of the tape, seconds.
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,

    /// Seconds from the start at which the cascade begins.
    #[arg(long, value_name = "SECONDS")]
    pub cascade_at: Option<f64>,

    /// A calm tape: no cascade.
    #[arg(long)]
    pub no_cascade: bool,

    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
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

    /// Backtest throughput on one core: the full replay (quoting core, simulated exchange,
    /// sampling) from the raw recording, parsing included, and from halcyon's normalized
    /// capture; median wall time of each stage over `--repeat` runs, frames/s and events/s,
    /// and where the time goes (read, parse, core, exchange). Both paths must give the same
    /// digest (exit status 3 otherwise).
    #[command(after_help = "Example:\n  \
        halcyon bench backtest --data ../shared/data/binance-usdm/btcusdt_20240808.gz")]
    Backtest(BacktestArgs),

    /// Wire-to-quote latency over loopback: a local venue (`halcyon venue`'s server, in this
    /// process) serves the recording over Binance's protocol; the engine runs in paper mode
    /// against it (WebSocket, REST snapshot, book procedure, core, risk, simulated fills). For
    /// every depth diff, the time from the venue's socket write to the end of the quote
    /// decision the frame caused, on one monotonic clock. Prints p50/p90/p99/p99.9/max.
    ///
    /// Runs unpinned with the feed thread waiting in epoll unless `--busy-poll`: the venue
    /// needs a core too.
    #[command(after_help = "Example:\n  \
        halcyon bench wire-to-quote --data ../shared/data/binance-usdm/btcusdt_20240808.gz --seconds 60 --speed 4")]
    WireToQuote(WireToQuoteArgs),
}

/// Arguments of `halcyon bench wire-to-quote`.
#[derive(Debug, clap::Args)]
pub struct WireToQuoteArgs {
    /// The recording the venue serves.
    #[arg(long, value_name = "RECORDING")]
    pub data: PathBuf,

    /// Serve this many seconds of the recording (from its first snapshot on).
    #[arg(long, default_value_t = 60.0)]
    pub seconds: f64,

    /// Replay speed (1 = the recording's own pace).
    #[arg(long, default_value_t = 4.0)]
    pub speed: f64,

    /// The feed thread polls its socket without sleeping (holds a core).
    #[arg(long)]
    pub busy_poll: bool,

    /// Engine configuration (strategy, risk, simulator). Default: `configs/halcyon.toml` if it
    /// exists, else the built-in copy.
    #[arg(long, value_name = "TOML")]
    pub config: Option<PathBuf>,

    /// Print JSON instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `halcyon bench backtest`.
#[derive(Debug, clap::Args)]
pub struct BacktestArgs {
    /// The raw recording.
    #[arg(long, value_name = "RECORDING")]
    pub data: PathBuf,

    /// Runs of each stage; the median is reported.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub repeat: usize,

    /// Engine configuration. Default: `configs/halcyon.toml` if it exists, else the built-in
    /// copy.
    #[arg(long, value_name = "TOML")]
    pub config: Option<PathBuf>,

    /// Instrument definitions. Default: `configs/instruments.toml` if it exists, else the
    /// built-in copy.
    #[arg(long, value_name = "TOML")]
    pub instruments: Option<PathBuf>,

    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
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

/// Arguments of `halcyon run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Engine configuration (`[live]`, `[lanes]`, `[control]`, `[simulator]`, strategy and
    /// risk). Default: `configs/halcyon.toml` if it exists, else the built-in copy.
    #[arg(long, value_name = "TOML")]
    pub config: Option<PathBuf>,

    /// Stop after this long (`90s`, `10m`, `2h`); default: run until Ctrl-C.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub duration: Option<std::time::Duration>,

    /// Write the summary as JSON to this file (`-` for standard output, instead of the table).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,

    /// Write the report here: CSV time series and report.html.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Instrument definitions. Default: `configs/instruments.toml` if it exists, else the
    /// built-in copy.
    #[arg(long, value_name = "TOML")]
    pub instruments: Option<PathBuf>,

    /// Run the feed and quoting threads unpinned (overrides the configuration).
    #[arg(long)]
    pub no_pin: bool,

    /// Override one config key, e.g. `--set live.ws_url=ws://127.0.0.1:9443`. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

/// Arguments of `halcyon record`.
#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// Engine configuration (`[live]`: endpoints and streams; `[quoting] instruments`: the
    /// symbols). Default: `configs/halcyon.toml` if it exists, else the built-in copy.
    #[arg(long, value_name = "TOML")]
    pub config: Option<PathBuf>,

    /// The capture file to write (`<receive_ns> <frame>` lines; replaced if it exists).
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,

    /// Stop after this long (`90s`, `10m`); default: until Ctrl-C.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub duration: Option<std::time::Duration>,

    /// Instrument definitions. Default: `configs/instruments.toml` if it exists, else the
    /// built-in copy.
    #[arg(long, value_name = "TOML")]
    pub instruments: Option<PathBuf>,

    /// Override one config key. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}
