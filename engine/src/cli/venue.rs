//! `halcyon venue`: serve a recording as a local Binance USD-M venue until Ctrl-C (or the end
//! of the recording with `--exit-at-end`). See [`crate::local_venue`].

use super::args::{VenueArgs, VenueStart};
use super::config::load_instruments;
use super::{CliError, EXIT_OK};
use crate::local_venue::{LocalVenue, StartMode, VenueConfig, VenueHandle};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Runs the command: serves until Ctrl-C.
pub fn run(arguments: &VenueArgs) -> Result<u8, CliError> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| CliError::Argument(format!("cannot start the signal handler: {error}")))?;
    std::thread::Builder::new()
        .name("halcyon-ctrl-c".to_owned())
        .spawn(move || {
            runtime.block_on(async {
                let _ = tokio::signal::ctrl_c().await;
            });
            flag.store(true, Ordering::SeqCst);
        })
        .map_err(|error| CliError::Argument(format!("cannot start the signal handler: {error}")))?;
    let stdout = std::io::stdout();
    serve(arguments, &mut stdout.lock(), &|_| interrupted.load(Ordering::SeqCst))
}

/// The configuration the arguments describe: `--config` over the defaults, then the flags.
pub fn venue_config(arguments: &VenueArgs) -> Result<VenueConfig, CliError> {
    let (instruments, _) = load_instruments(arguments.instruments.as_deref(), None)?;
    let mut config = match &arguments.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|source| CliError::Io { path: path.clone(), source })?;
            VenueConfig::from_toml(&text, instruments)
                .map_err(|message| CliError::Config { path: path.clone(), message })?
        }
        None => VenueConfig::new(instruments),
    };
    if let Some(port) = arguments.port {
        config.port = port;
    }
    if let Some(bind) = &arguments.bind {
        config.bind =
            bind.parse().map_err(|_| CliError::Argument(format!("--bind {bind}: not an IP address")))?;
    }
    if let Some(speed) = arguments.speed {
        config.speed = speed;
    }
    match arguments.start {
        Some(VenueStart::FirstClient) => config.start = StartMode::FirstClient,
        Some(VenueStart::Now) => config.start = StartMode::Now,
        None => {}
    }
    config.exit_at_end |= arguments.exit_at_end;
    config.validate().map_err(CliError::Argument)?;
    Ok(config)
}

/// Starts the venue, prints where it listens to `out`, and serves until `stop` says so (or the
/// recording ends, with `--exit-at-end`). The first lines printed are
/// `venue: port <PORT>`, `venue: rest http://..` and `venue: ws ws://../stream?streams=..`.
pub fn serve(
    arguments: &VenueArgs,
    out: &mut dyn Write,
    stop: &dyn Fn(&VenueHandle) -> bool,
) -> Result<u8, CliError> {
    let config = venue_config(arguments)?;
    let exit_at_end = config.exit_at_end;
    let venue = LocalVenue::start(config, &arguments.data)
        .map_err(|error| CliError::Config { path: arguments.data.clone(), message: error.to_string() })?;
    let tape = venue.tape();
    let streams: Vec<&str> = tape.streams.iter().map(String::as_str).collect();
    let printed = (|| {
        writeln!(out, "venue: port {}", venue.addr().port())?;
        writeln!(out, "venue: rest {}", venue.rest_url())?;
        writeln!(out, "venue: ws {}", venue.ws_url(&streams))?;
        writeln!(out, "venue: raw ws {}", venue.raw_ws_url(&streams[..streams.len().min(1)]))?;
        writeln!(
            out,
            "venue: {} frames from the snapshot on ({} streams: {}); control at {}/venue/status",
            tape.stream_frames(),
            tape.streams.len(),
            tape.streams.join(", "),
            venue.rest_url()
        )?;
        out.flush()
    })();
    printed.map_err(CliError::Output)?;
    loop {
        if stop(&venue) {
            break;
        }
        if exit_at_end && venue.wait_finished(Duration::from_millis(50)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = venue.status();
    let _ = writeln!(
        out,
        "venue: stopped after {} frames, {} connections, faults {:?}",
        status.frames_sent, status.connections, status.fault_counts
    );
    venue.shutdown();
    Ok(EXIT_OK)
}
