//! The state every task of the venue shares: the tape, the books, the replay's progress, the
//! connected clients, and the status report built from them.
//!
//! One `std::sync::Mutex` guards [`State`]; critical sections are short and never await. The
//! replay updates a book and its counters under the lock *before* it hands the frame to the
//! clients, so once `pause` has set the flag under the same lock the books no longer move: a
//! sync point for comparing a client's book with the venue's.

use super::book::LocalBook;
use super::config::VenueConfig;
use super::faults::{ActiveFaults, AppliedFault, Fault};
use super::tape::Tape;
use axum::extract::ws::Utf8Bytes;
use feeds::Nanos;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::{Notify, mpsc, watch};

/// What the replay hands a client task.
#[derive(Clone, Debug)]
pub(crate) enum Outgoing {
    /// Send tape frame at this position (if the client subscribed its stream).
    Frame(usize),
    /// Send this text frame whatever the subscriptions (a `garbage` fault).
    Garbage(Utf8Bytes),
    /// Close the connection abruptly: drop the socket, no close frame.
    Drop,
}

/// A connected WebSocket client as the replay sees it.
pub(crate) struct ClientSlot {
    pub id: u64,
    pub sender: mpsc::Sender<Outgoing>,
}

/// When a frame went out: for wire-to-quote latency measurements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteStamp {
    /// Position of the frame in the recording (0 = first frame read).
    pub frame_index: u64,
    /// `u` of the frame if it is a depth diff, else 0.
    pub update_id: u64,
    /// Taken just before the first socket write of the frame (to any client).
    pub at: Instant,
}

/// The mutable state of the replay.
pub(crate) struct State {
    pub books: Vec<LocalBook>,
    /// Recording frames broadcast (duplicates counted once, withheld diffs not at all).
    pub frames_sent: u64,
    /// Diffs withheld by `gap` faults.
    pub diffs_withheld: u64,
    /// Diffs whose `pu` (or `U`) did not chain in the recording itself.
    pub chain_breaks: u64,
    pub started: bool,
    pub paused: bool,
    pub finished: bool,
    /// Receive time of the last frame processed (replay "now" on the recording's clock).
    pub replay_time: Nanos,
    pub active: ActiveFaults,
    pub pending: VecDeque<(Fault, &'static str)>,
    pub applied: Vec<AppliedFault>,
    pub counts: BTreeMap<String, u64>,
    pub stall_until: Option<Instant>,
    pub refuse_until: Option<Instant>,
    /// Connected WebSocket clients.
    pub clients: usize,
    /// WebSocket connections accepted so far.
    pub connections: u64,
}

/// Everything the tasks share.
pub(crate) struct Shared {
    pub tape: Arc<Tape>,
    pub config: VenueConfig,
    pub addr: SocketAddr,
    state: Mutex<State>,
    /// Wakes the replay: pause, resume, a fault, a first client, shutdown.
    pub wake: Notify,
    pub clients: Mutex<Vec<ClientSlot>>,
    pub next_client: AtomicU64,
    /// Per tape position: whether its first socket write has been stamped.
    pub stamped: Vec<AtomicBool>,
    pub stamps: Mutex<Vec<WriteStamp>>,
    pub shutdown: watch::Sender<bool>,
}

impl Shared {
    pub fn new(tape: Arc<Tape>, config: VenueConfig, addr: SocketAddr) -> Shared {
        let books = tape
            .symbols
            .iter()
            .map(|symbol| symbol.initial.as_ref().map(LocalBook::from_snapshot).unwrap_or_default())
            .collect();
        let stamped = if config.stamp_writes {
            (0..tape.frames.len()).map(|_| AtomicBool::new(false)).collect()
        } else {
            Vec::new()
        };
        let state = State {
            books,
            frames_sent: 0,
            diffs_withheld: 0,
            chain_breaks: 0,
            started: false,
            paused: false,
            finished: false,
            replay_time: tape.start_time,
            active: ActiveFaults::default(),
            pending: VecDeque::new(),
            applied: Vec::new(),
            counts: BTreeMap::new(),
            stall_until: None,
            refuse_until: None,
            clients: 0,
            connections: 0,
        };
        Shared {
            tape,
            config,
            addr,
            state: Mutex::new(state),
            wake: Notify::new(),
            clients: Mutex::new(Vec::new()),
            next_client: AtomicU64::new(1),
            stamped,
            stamps: Mutex::new(Vec::new()),
            shutdown: watch::channel(false).0,
        }
    }

    /// The state, even if a task panicked while holding it (the data stays usable: every
    /// update is a plain field write).
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The client list (see [`Shared::state`] on poisoning).
    pub fn client_list(&self) -> MutexGuard<'_, Vec<ClientSlot>> {
        self.clients.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a fault for the replay to apply before its next frame.
    pub fn inject(&self, fault: Fault, source: &'static str) {
        self.state().pending.push_back((fault, source));
        self.wake.notify_one();
    }

    /// Freezes or unfreezes the replay clock.
    pub fn set_paused(&self, paused: bool) {
        self.state().paused = paused;
        self.wake.notify_one();
    }

    /// Whether REST and WebSocket upgrades are refused now (a `refuse` fault).
    pub fn refusing(&self) -> bool {
        self.state().refuse_until.is_some_and(|until| Instant::now() < until)
    }

    /// Whether shutdown was asked for.
    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Records the first write of the frame at `position`, if stamping.
    pub fn stamp(&self, position: usize) {
        let Some(flag) = self.stamped.get(position) else { return };
        if flag.swap(true, Ordering::Relaxed) {
            return;
        }
        let at = Instant::now();
        let Some(frame) = self.tape.frames.get(position) else { return };
        let update_id = match &frame.item {
            super::tape::TapeItem::Stream { diff: Some(diff), .. } => diff.last_update_id,
            _ => 0,
        };
        self.stamps.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(WriteStamp {
            frame_index: frame.index,
            update_id,
            at,
        });
    }

    /// The status report.
    pub fn status(&self) -> VenueStatus {
        let state = self.state();
        let last_update_id = self
            .tape
            .symbols
            .iter()
            .zip(&state.books)
            .map(|(symbol, book)| (symbol.name.clone(), book.last_update_id()))
            .collect();
        let replay_seconds = (state.replay_time.get() - self.tape.start_time.get()) as f64 / 1e9;
        VenueStatus {
            frames_sent: state.frames_sent,
            frames_total: self.tape.stream_frames() as u64,
            last_update_id,
            clients: state.clients,
            connections: state.connections,
            started: state.started,
            paused: state.paused,
            finished: state.finished,
            refusing: state.refuse_until.is_some_and(|until| Instant::now() < until),
            replay_seconds,
            chain_breaks: state.chain_breaks,
            diffs_withheld: state.diffs_withheld,
            fault_counts: state.counts.clone(),
            faults_applied: state.applied.clone(),
        }
    }
}

/// What `/venue/status` reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VenueStatus {
    /// Recording frames broadcast so far (a duplicated frame counts once; withheld diffs not).
    pub frames_sent: u64,
    /// WebSocket frames the tape holds.
    pub frames_total: u64,
    /// `lastUpdateId` of the venue's book per symbol.
    pub last_update_id: BTreeMap<String, u64>,
    /// Connected WebSocket clients.
    pub clients: usize,
    /// WebSocket connections accepted so far.
    pub connections: u64,
    /// Whether the replay clock has started.
    pub started: bool,
    /// Whether the replay clock is frozen.
    pub paused: bool,
    /// Whether every frame has been sent.
    pub finished: bool,
    /// Whether a `refuse` fault is in effect.
    pub refusing: bool,
    /// Recording time covered so far, in seconds from the starting snapshot.
    pub replay_seconds: f64,
    /// Diffs that did not chain in the recording itself.
    pub chain_breaks: u64,
    /// Diffs withheld by `gap` faults.
    pub diffs_withheld: u64,
    /// Faults applied, per kind.
    pub fault_counts: BTreeMap<String, u64>,
    /// Every fault applied, in order.
    pub faults_applied: Vec<AppliedFault>,
}
