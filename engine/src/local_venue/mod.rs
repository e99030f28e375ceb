//! The local Binance USD-M venue: a recording served on loopback with Binance's protocol, so
//! the engine's live feed can be proven without an exchange (`halcyon venue`, and
//! [`LocalVenue::start`] for in-process tests).
//!
//! - [`Tape`]: the recording made ready to serve (frames from the first REST snapshot on, kept
//!   verbatim, classified with feeds' Binance decoder).
//! - [`LocalBook`] / [`VenueBook`]: the venue's own book, the oracle clients are compared with.
//! - [`replay`]: one replay clock for the venue, broadcast to every client.
//! - [`ws`]: `/stream?streams=..` and `/ws/<name>`, live SUBSCRIBE, pings.
//! - [`rest`]: `/fapi/v1/depth`, `exchangeInfo`, `openInterest` (synthetic), `ping`, `time`.
//! - [`faults`]: drop, stall, delay, duplicate, reorder, gap, garbage, refuse.
//! - [`control`]: `/venue/status`, `/venue/book`, `/venue/pause`, `/venue/resume`,
//!   `/venue/fault`.
//! - [`config`]: [`VenueConfig`] and `configs/venue.toml`.
//!
//! ## Lifecycle
//! [`LocalVenue::start`] loads the tape, binds the port (0 picks one), and runs the server and
//! the replay on a tokio runtime of its own; the [`VenueHandle`] it returns drives and
//! observes the venue from plain threads and shuts it down (also on drop). The replay clock
//! starts with the first WebSocket client ([`StartMode::FirstClient`]) or at once.
//!
//! ## Guarantees
//! - Frames go out verbatim, in recording order (unless a fault says otherwise), to every
//!   client subscribed to their stream; no client misses a frame for being slow (back-pressure
//!   slows the replay instead).
//! - Bad requests get Binance's error JSON; nothing a client sends makes the venue panic.
//! - This is a test venue, not the hot path: it allocates and locks freely.

pub mod book;
pub mod config;
pub mod control;
pub mod faults;
pub mod open_interest;
pub mod replay;
pub mod rest;
mod shared;
pub mod tape;
pub mod ws;

pub use book::{LocalBook, VenueBook};
pub use config::{FaultTrigger, OpenInterestConfig, ScheduledFault, StartMode, VenueConfig};
pub use faults::{AppliedFault, Fault};
pub use shared::{VenueStatus, WriteStamp};
pub use tape::{Tape, TapeStats};

use axum::Router;
use axum::routing::{get, post};
use shared::Shared;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The venue could not start or answer.
#[derive(Debug, thiserror::Error)]
pub enum VenueError {
    /// The recording could not be read.
    #[error("recording: {0}")]
    Recording(feeds::recording::RecordingError),
    /// The recording has no REST depth snapshot to start the book from.
    #[error("{0}: no REST depth snapshot to start from (the venue's book begins at the first one)")]
    NoSnapshot(String),
    /// The configuration does not make sense.
    #[error("venue config: {0}")]
    Config(String),
    /// Binding or running the server failed.
    #[error("venue server on {addr}: {source}")]
    Io {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A symbol the recording does not carry.
    #[error("unknown symbol {0}")]
    UnknownSymbol(String),
}

/// Starts local venues.
pub struct LocalVenue;

impl LocalVenue {
    /// Loads `recording` and starts serving it.
    pub fn start(config: VenueConfig, recording: &Path) -> Result<VenueHandle, VenueError> {
        let tape = Tape::load(recording, &config.instruments)?;
        LocalVenue::start_tape(config, Arc::new(tape))
    }

    /// Serves a tape already loaded (tests share one tape between venues).
    pub fn start_tape(config: VenueConfig, tape: Arc<Tape>) -> Result<VenueHandle, VenueError> {
        config.validate().map_err(VenueError::Config)?;
        let wanted = SocketAddr::new(config.bind, config.port);
        let io = |source| VenueError::Io { addr: wanted, source };
        let listener = std::net::TcpListener::bind(wanted).map_err(io)?;
        listener.set_nonblocking(true).map_err(io)?;
        let addr = listener.local_addr().map_err(io)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("halcyon-venue")
            .enable_all()
            .build()
            .map_err(io)?;
        let shared = Arc::new(Shared::new(tape, config, addr));
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(listener).map_err(io)?
        };
        let app = router(Arc::clone(&shared));
        let mut shutdown = shared.shutdown.subscribe();
        runtime.spawn(async move {
            let stop = async move {
                let _ = shutdown.wait_for(|&stop| stop).await;
            };
            if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(stop).await {
                tracing::error!(target: "engine::local_venue", %error, "server stopped");
            }
        });
        runtime.spawn(replay::run(Arc::clone(&shared)));
        tracing::info!(target: "engine::local_venue", %addr, "venue listening");
        Ok(VenueHandle { shared, runtime: Some(runtime) })
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/stream", get(ws::combined))
        .route("/ws", get(ws::raw))
        .route("/ws/{*streams}", get(ws::raw_named))
        .route("/fapi/v1/ping", get(rest::ping))
        .route("/fapi/v1/time", get(rest::time))
        .route("/fapi/v1/depth", get(rest::depth))
        .route("/fapi/v1/exchangeInfo", get(rest::exchange_info))
        .route("/fapi/v1/openInterest", get(rest::open_interest_handler))
        .route("/venue/status", get(control::status))
        .route("/venue/book", get(control::book))
        .route("/venue/pause", post(control::pause))
        .route("/venue/resume", post(control::resume))
        .route("/venue/fault", post(control::fault))
        .with_state(shared)
}

/// A running venue. Dropping it shuts the venue down.
pub struct VenueHandle {
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl VenueHandle {
    /// The bound address (the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// The combined-stream URL for `streams`: `ws://127.0.0.1:PORT/stream?streams=a/b`.
    pub fn ws_url(&self, streams: &[&str]) -> String {
        format!("ws://{}/stream?streams={}", self.addr(), streams.join("/"))
    }

    /// The raw-stream URL for `streams`: `ws://127.0.0.1:PORT/ws/a/b`.
    pub fn raw_ws_url(&self, streams: &[&str]) -> String {
        format!("ws://{}/ws/{}", self.addr(), streams.join("/"))
    }

    /// The REST base URL: `http://127.0.0.1:PORT` (append `/fapi/v1/depth?..`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// The tape being served.
    pub fn tape(&self) -> &Arc<Tape> {
        &self.shared.tape
    }

    /// Queues a fault; it is applied before the next frame.
    pub fn inject(&self, fault: Fault) -> Result<(), VenueError> {
        fault.validate().map_err(VenueError::Config)?;
        self.shared.inject(fault, "api");
        Ok(())
    }

    /// Freezes the replay clock. When this returns the venue's books no longer change (frames
    /// already handed to connections may still be in flight to clients).
    pub fn pause(&self) {
        self.shared.set_paused(true);
    }

    /// Unfreezes the replay clock; the schedule shifts by the time paused.
    pub fn resume(&self) {
        self.shared.set_paused(false);
    }

    /// The top `levels` of the venue's book for `symbol`, as `/venue/book` prints it.
    pub fn book(&self, symbol: &str, levels: usize) -> Result<VenueBook, VenueError> {
        let index =
            self.shared.tape.symbol(symbol).ok_or_else(|| VenueError::UnknownSymbol(symbol.to_owned()))?;
        Ok(self.shared.state().books[index].top(&self.shared.tape.symbols[index], levels))
    }

    /// The status report.
    pub fn status(&self) -> VenueStatus {
        self.shared.status()
    }

    /// Waits until every frame has been sent; `false` on timeout.
    pub fn wait_finished(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.shared.state().finished {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The write stamps so far (empty unless `config.stamp_writes`), in write order.
    pub fn write_stamps(&self) -> Vec<WriteStamp> {
        self.shared.stamps.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Stops the server, the replay and every connection (dropped without close frames).
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.shared.shutdown.send(true);
        self.shared.wake.notify_one();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

impl Drop for VenueHandle {
    fn drop(&mut self) {
        self.stop();
    }
}
