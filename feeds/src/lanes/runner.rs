//! [`SlowLanes`]: starts the configured lanes and stops them.

use super::bybit::{BybitLane, Route};
use super::config::{LanesConfig, LanesConfigError};
use super::deribit::DeribitLane;
use super::queue::LaneQueue;
use super::rest::{OpenInterestLane, SnapshotLane, SnapshotRequest, SnapshotResponse};
use super::stats::{Lane, LaneStats, LaneStatsSnapshot};
use super::tls;
use crate::instrument::Instruments;
use crate::venue::binance::{self, Decoder};
use crate::venue::bybit::{self, BybitDecoder};
use crossbeam_channel::{Receiver, Sender};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::runtime::Handle;
use tokio::sync::watch;

/// Why the lanes could not start.
#[derive(Debug, thiserror::Error)]
pub enum LaneError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] LanesConfigError),
    /// A configured symbol is not in the instrument registry.
    #[error("[lanes] {field}: {venue} instrument {symbol:?} is not in the instrument registry")]
    UnknownInstrument {
        /// The key naming it.
        field: &'static str,
        /// Venue.
        venue: &'static str,
        /// Symbol.
        symbol: String,
    },
    /// TLS could not be set up.
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// The runtime thread could not start.
    #[error("lanes runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// The running lanes. Dropping it shuts them down (as [`SlowLanes::shutdown`]).
pub struct SlowLanes {
    shutdown: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
    running: Arc<AtomicUsize>,
    stats: [Arc<LaneStats>; 4],
    requests: Sender<SnapshotRequest>,
    responses: Receiver<SnapshotResponse>,
}

/// Decrements the running-task count when a task ends, however it ends.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How long [`SlowLanes::shutdown`] waits for the tasks.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);

impl SlowLanes {
    /// Starts the lanes on a runtime of their own: one thread (`halcyon-lanes`, unpinned) running
    /// a current-thread tokio runtime.
    pub fn start(
        config: &LanesConfig,
        instruments: &Instruments,
        queue: LaneQueue,
    ) -> Result<SlowLanes, LaneError> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let handle = runtime.handle().clone();
        let mut lanes = SlowLanes::start_on(&handle, config, instruments, queue)?;
        let mut stop = lanes.shutdown.subscribe();
        let thread = std::thread::Builder::new().name("halcyon-lanes".to_owned()).spawn(move || {
            runtime.block_on(async move {
                while !*stop.borrow() {
                    if stop.changed().await.is_err() {
                        break;
                    }
                }
            });
            runtime.shutdown_timeout(SHUTDOWN_TIMEOUT);
        })?;
        lanes.thread = Some(thread);
        Ok(lanes)
    }

    /// Starts the lanes as tasks on `handle` (the caller's runtime).
    pub fn start_on(
        handle: &Handle,
        config: &LanesConfig,
        instruments: &Instruments,
        queue: LaneQueue,
    ) -> Result<SlowLanes, LaneError> {
        config.validate()?;
        let tls = tls::client_config()?;
        let (shutdown, _) = watch::channel(false);
        let stats: [Arc<LaneStats>; 4] = Default::default();
        let (requests, request_rx) = crossbeam_channel::bounded(config.snapshot_channel_capacity);
        let (response_tx, responses) = crossbeam_channel::bounded(config.snapshot_channel_capacity);
        let running = Arc::new(AtomicUsize::new(0));
        let timeout = Duration::from_millis(config.http_timeout_ms);
        let rest_url = config.rest_url.trim_end_matches('/').to_owned();
        let quoted = |field: &'static str, symbol: &str| {
            instruments.find(binance::VENUE, symbol).ok_or_else(|| LaneError::UnknownInstrument {
                field,
                venue: binance::VENUE,
                symbol: symbol.to_owned(),
            })
        };

        // Build every lane before spawning any, so a config error starts nothing.
        let open_interest = if config.open_interest_interval_s > 0 {
            quoted("instrument", &config.instrument)?;
            Some(OpenInterestLane {
                url: format!("{rest_url}/fapi/v1/openInterest?symbol={}", config.instrument),
                interval: Duration::from_secs(config.open_interest_interval_s),
                timeout,
                decoder: Decoder::new(instruments.clone()),
                tls: Arc::clone(&tls),
                queue: queue.clone(),
                stats: Arc::clone(&stats[0]),
            })
        } else {
            None
        };
        let snapshot = SnapshotLane {
            rest_url,
            timeout,
            tls: Arc::clone(&tls),
            requests: request_rx,
            responses: response_tx,
            stats: Arc::clone(&stats[1]),
        };
        let bybit = if config.bybit.enabled {
            let mut routes: Vec<Option<Route>> = vec![None; instruments.len()];
            for (bybit_symbol, quoted_symbol) in &config.bybit.symbols {
                let from = instruments.find(bybit::VENUE, bybit_symbol).ok_or_else(|| {
                    LaneError::UnknownInstrument {
                        field: "bybit.symbols",
                        venue: bybit::VENUE,
                        symbol: bybit_symbol.clone(),
                    }
                })?;
                let to = quoted("bybit.symbols", quoted_symbol)?;
                let (Some(from_instrument), Some(to_instrument)) =
                    (instruments.get(from), instruments.get(to))
                else {
                    continue;
                };
                routes[from.index()] =
                    Some(Route { quoted: to, from_lot: from_instrument.lot, to_lot: to_instrument.lot });
            }
            Some(BybitLane {
                config: config.bybit.clone(),
                decoder: BybitDecoder::new(instruments.clone()),
                routes,
                tls: Arc::clone(&tls),
                queue: queue.clone(),
                stats: Arc::clone(&stats[2]),
            })
        } else {
            None
        };
        let deribit = if config.deribit.enabled {
            Some(DeribitLane {
                config: config.deribit.clone(),
                quoted: quoted("deribit.instrument", &config.deribit.instrument)?,
                tls: Arc::clone(&tls),
                queue,
                stats: Arc::clone(&stats[3]),
            })
        } else {
            None
        };

        let spawn = |future: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>| {
            running.fetch_add(1, Ordering::AcqRel);
            let guard = Running(Arc::clone(&running));
            handle.spawn(async move {
                let _guard = guard;
                future.await;
            });
        };
        if let Some(lane) = open_interest {
            spawn(Box::pin(lane.run(shutdown.subscribe())));
        }
        spawn(Box::pin(snapshot.run(shutdown.subscribe())));
        if let Some(lane) = bybit {
            spawn(Box::pin(lane.run(shutdown.subscribe())));
        }
        if let Some(lane) = deribit {
            spawn(Box::pin(lane.run(shutdown.subscribe())));
        }
        Ok(SlowLanes { shutdown, thread: None, running, stats, requests, responses })
    }

    /// Where the feed thread sends snapshot requests (`try_send`: never blocks).
    pub fn snapshot_requests(&self) -> Sender<SnapshotRequest> {
        self.requests.clone()
    }

    /// Where the feed thread takes snapshot answers (`try_recv`).
    pub fn snapshot_responses(&self) -> Receiver<SnapshotResponse> {
        self.responses.clone()
    }

    /// A lane's counters.
    pub fn stats(&self, lane: Lane) -> LaneStatsSnapshot {
        let index = Lane::ALL.iter().position(|&candidate| candidate == lane).unwrap_or(0);
        self.stats[index].snapshot()
    }

    /// Lane tasks still running.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::Acquire)
    }

    /// Signals every lane to stop and waits up to `SHUTDOWN_TIMEOUT` (2 s) for them; returns true
    /// if all stopped in time. Must not be called from inside the lanes' runtime.
    pub fn shutdown(mut self) -> bool {
        self.stop()
    }

    fn stop(&mut self) -> bool {
        let _ = self.shutdown.send(true);
        let deadline = Instant::now() + SHUTDOWN_TIMEOUT;
        while self.running() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let stopped = self.running() == 0;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        stopped
    }
}

impl Drop for SlowLanes {
    fn drop(&mut self) {
        if self.thread.is_some() || self.running() > 0 {
            self.stop();
        }
    }
}
