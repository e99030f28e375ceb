//! `halcyon bench backtest`: how fast a full backtest runs on one core, from the raw recording
//! and from halcyon's normalized capture, and where the time goes.
//!
//! Each stage is run `--repeat` times and its median wall time reported:
//! - `read`: the recording read into memory (gzip inflated, frames split);
//! - `decode`: every frame parsed and sequenced into events (no quoting);
//! - `replay_raw`: the full backtest from frames: decode + quoting core + simulated exchange
//!   + sampling, on this thread (`replay --threads inline`);
//! - `convert`: decode + write the normalized capture (a one-time cost per recording);
//! - `load_events`: the normalized capture read whole into memory and validated (what a
//!   threaded replay or a stress overlay does first);
//! - `core_only`: the quoting core on the decoded events with a counting venue (no matching);
//! - `replay_events`: the full backtest on the decoded events already in memory;
//! - `replay_streamed`: the full backtest straight from the normalized capture, streamed block
//!   by block (read and validated as it goes): the normalized path's wall time.
//!
//! The backtests must print the same digest: the same orders and fills every way.

use super::args::BacktestArgs;
use super::config::load_instruments;
use super::engine_config::EngineConfig;
use super::{CliError, EXIT_DATA_PROBLEMS, EXIT_OK};
use crate::clock::TscClock;
use crate::gateway::CountingGateway;
use crate::order::BinanceOrderEncoder;
use crate::pipeline::MarketInput;
use crate::pipeline::inline::run_inline;
use crate::replay::run::{Market, MarketData, Threading, replay};
use crate::replay::source::decode_frames;
use feeds::inspect::OwnedFrame;
use feeds::recording::events::{EventFile, EventFileWriter};
use feeds::recording::open_frames;
use serde_json::json;
use std::time::Instant;

/// Runs the benchmark; returns the exit status.
pub fn run(arguments: &BacktestArgs) -> Result<u8, CliError> {
    if arguments.repeat == 0 {
        return Err(CliError::Argument("--repeat 0: nothing would be measured".to_owned()));
    }
    let config = EngineConfig::load(arguments.config.as_deref())?;
    let (instruments, _) = load_instruments(arguments.instruments.as_deref(), None)?;
    let clock = TscClock::new();
    let repeat = arguments.repeat;
    let data = &arguments.data;

    let read = || -> Result<Vec<OwnedFrame>, CliError> {
        let mut reader = open_frames(data)?;
        let (frames, errors) = OwnedFrame::read_all(reader.as_mut());
        if let Some(error) = errors.into_iter().find(|error| error.is_fatal()) {
            return Err(error.into());
        }
        Ok(frames)
    };
    let (read_s, frames) = median_of(repeat, read)?;
    if frames.is_empty() {
        return Err(CliError::Argument(format!("{}: no frames", data.display())));
    }
    let (decode_s, (events, _)) = median_of(repeat, || Ok(decode_frames(&frames, &instruments, &clock)))?;

    let raw_market = Market {
        instruments: instruments.clone(),
        data: MarketData::Frames(frames),
        regimes: Vec::new(),
        source: data.display().to_string(),
        scenario: None,
    };
    let (replay_raw_s, raw_run) = median_of(repeat, || replay(&raw_market, &config, Threading::Inline))?;
    let MarketData::Frames(frames) = raw_market.data else { unreachable!("built with frames") };

    let hev = std::env::temp_dir().join(format!("halcyon-backtest-{}.hev", std::process::id()));
    let convert = || -> Result<(), CliError> {
        let (events, _) = decode_frames(&frames, &instruments, &clock);
        let _ = std::fs::remove_file(&hev);
        let mut writer = EventFileWriter::create(&hev, &instruments, "bench")?;
        writer.write_all(&events)?;
        writer.finish()?;
        Ok(())
    };
    let (convert_s, ()) = median_of(repeat, convert)?;
    let hev_bytes = std::fs::metadata(&hev).map(|meta| meta.len()).unwrap_or(0);
    let (load_s, file) = median_of(repeat, || Ok(EventFile::open(&hev)?))?;
    // FrameEnd stamps are the decoding run's clock readings: compare everything else.
    let market_events = |events: &[feeds::Event]| -> Vec<feeds::Event> {
        events
            .iter()
            .filter(|event| !matches!(event.kind(), feeds::EventKind::FrameEnd(_)))
            .copied()
            .collect()
    };
    if file.len() != events.len() || market_events(file.events()) != market_events(&events) {
        return Err(CliError::Argument(
            "the normalized capture did not read back the events written".to_owned(),
        ));
    }

    let core_config = config.core_config(&instruments, 0)?;
    let core_only = || -> Result<u64, CliError> {
        let encoder =
            BinanceOrderEncoder::new("halcyon-bench-key-not-an-account", b"not-a-secret", &instruments)
                .map_err(|error| CliError::Argument(format!("order encoder: {error}")))?;
        let run = run_inline(
            MarketInput::Events(&events),
            &instruments,
            &core_config,
            encoder,
            CountingGateway::new(),
            (),
            &clock,
        );
        Ok(run?.core.events)
    };
    let (core_only_s, _) = median_of(repeat, core_only)?;

    let events_market = Market {
        instruments: instruments.clone(),
        data: MarketData::Events(events),
        regimes: Vec::new(),
        source: data.display().to_string(),
        scenario: None,
    };
    let (replay_events_s, events_run) =
        median_of(repeat, || replay(&events_market, &config, Threading::Inline))?;
    let streamed_market = Market {
        instruments: instruments.clone(),
        data: MarketData::EventFile(hev.clone()),
        regimes: Vec::new(),
        source: hev.display().to_string(),
        scenario: None,
    };
    let (streamed_s, streamed_run) =
        median_of(repeat, || replay(&streamed_market, &config, Threading::Inline))?;
    let _ = std::fs::remove_file(&hev);

    let frame_count = raw_run.summary.frames as f64;
    let event_count = events_run.summary.events as f64;
    let same = raw_run.summary.digest == events_run.summary.digest
        && streamed_run.summary.digest == events_run.summary.digest;
    let raw_total = read_s + replay_raw_s;
    // The file streamed block by block: reading and validating overlap the backtest.
    let events_total = streamed_s;
    let report = json!({
        "data": data.display().to_string(),
        "repeat": repeat,
        "frames": raw_run.summary.frames,
        "events": events_run.summary.events,
        "fills": events_run.summary.trading.fills,
        "digest_raw": raw_run.summary.digest,
        "digest_events": events_run.summary.digest,
        "digest_streamed": streamed_run.summary.digest,
        "same_digest": same,
        "normalized_bytes": hev_bytes,
        "median_seconds": {
            "read": read_s, "decode": decode_s, "replay_raw": replay_raw_s, "convert": convert_s,
            "load_events": load_s, "core_only": core_only_s, "replay_events": replay_events_s,
            "replay_streamed": streamed_s,
        },
        "raw_path": {
            "wall_seconds": raw_total,
            "frames_per_sec": frame_count / raw_total,
            "events_per_sec": event_count / raw_total,
        },
        "events_path": {
            "wall_seconds": events_total,
            "frames_per_sec": frame_count / events_total,
            "events_per_sec": event_count / events_total,
        },
        "where_the_time_goes": {
            "read_and_inflate": read_s,
            "parse_and_sequence": decode_s,
            "quoting_core": core_only_s,
            "simulated_exchange_and_sampling": (replay_events_s - core_only_s).max(0.0),
        },
    });
    if arguments.json {
        let text =
            serde_json::to_string_pretty(&report).map_err(|error| CliError::Argument(error.to_string()))?;
        println!("{text}");
    } else {
        println!(
            "halcyon bench backtest: {} ({} frames, {} events), median of {repeat}",
            data.display(),
            frame_count,
            event_count
        );
        println!(
            "  from the raw recording:   {:>8.1} ms  ({:.0} frames/s, {:.0} events/s)",
            raw_total * 1e3,
            frame_count / raw_total,
            event_count / raw_total
        );
        println!("    read + inflate          {:>8.1} ms", read_s * 1e3);
        println!("    backtest (parse incl.)  {:>8.1} ms", replay_raw_s * 1e3);
        println!(
            "  from the normalized capture: {:>5.1} ms  ({:.0} frames/s, {:.0} events/s)",
            events_total * 1e3,
            frame_count / events_total,
            event_count / events_total
        );
        println!("    streamed: read + validate + backtest, {hev_bytes} bytes");
        println!("    backtest on the events in memory {:>6.1} ms", replay_events_s * 1e3);
        println!("    (reading the whole file first    {:>6.1} ms)", load_s * 1e3);
        println!("  where the time goes:");
        println!("    parse + sequence        {:>8.1} ms", decode_s * 1e3);
        println!("    quoting core            {:>8.1} ms", core_only_s * 1e3);
        println!("    exchange + sampling     {:>8.1} ms", (replay_events_s - core_only_s).max(0.0) * 1e3);
        println!("    convert (one-time)      {:>8.1} ms", convert_s * 1e3);
        println!(
            "  digest: raw {} / events {} / streamed {} ({})",
            raw_run.summary.digest,
            events_run.summary.digest,
            streamed_run.summary.digest,
            if same { "same" } else { "DIFFERENT" }
        );
    }
    if !same {
        eprintln!("halcyon: error: the two backtests did not produce the same orders and fills");
        return Ok(EXIT_DATA_PROBLEMS);
    }
    Ok(EXIT_OK)
}

/// Runs `work` `repeat` times; the median wall time and the last result.
fn median_of<T>(repeat: usize, mut work: impl FnMut() -> Result<T, CliError>) -> Result<(f64, T), CliError> {
    let mut times = Vec::with_capacity(repeat);
    let mut last = None;
    for _ in 0..repeat {
        let started = Instant::now();
        let result = work()?;
        times.push(started.elapsed().as_secs_f64());
        last = Some(result);
    }
    times.sort_by(f64::total_cmp);
    let result = last.ok_or_else(|| CliError::Argument("nothing measured".to_owned()))?;
    Ok((times[times.len() / 2], result))
}
