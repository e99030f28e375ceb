//! The replay clock and its broadcast: one clock for the whole venue, as an exchange has.
//!
//! The replay walks the tape in order. With `speed > 0` frame *i* is due at
//! `start + (receive_time[i] − receive_time[snapshot]) / speed`, plus the time spent paused;
//! with `speed = 0` it goes as soon as every client has room for it. Each frame updates the
//! venue's book (depth diffs) under the state lock, then goes to every client's queue; a
//! client task filters by its subscriptions and writes. Client queues are bounded and the
//! replay waits for room, so no client ever misses a frame: a slow client slows the venue.
//!
//! Faults are applied here, before the next frame (see [`Fault`]).

use super::book::DiffOutcome;
use super::config::FaultTrigger;
use super::faults::{AppliedFault, Fault, garbage_frame};
use super::shared::{Outgoing, Shared};
use super::tape::TapeItem;
use axum::extract::ws::Utf8Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::time::sleep_until;

/// Runs the replay until the tape ends or the venue shuts down.
pub(crate) async fn run(shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    if shared.config.start == super::config::StartMode::FirstClient {
        loop {
            if shared.state().connections > 0 {
                break;
            }
            tokio::select! {
                _ = shared.wake.notified() => {}
                _ = shutdown.changed() => return,
            }
        }
    }
    shared.state().started = true;
    tracing::info!(target: "engine::local_venue", frames = shared.tape.frames.len(), "replay started");
    let tape = Arc::clone(&shared.tape);
    let start_time = tape.start_time.get();
    let speed = shared.config.speed;
    let mut origin = Instant::now();
    let mut fired = vec![false; shared.config.faults.len()];
    let mut held: Option<usize> = None;
    let mut senders: Vec<(u64, mpsc::Sender<Outgoing>)> = Vec::new();
    let mut position = 0;
    while position < tape.frames.len() {
        if shared.is_shutting_down() {
            return;
        }
        let frame = &tape.frames[position];
        // Scheduled faults whose trigger is met go in the queue before this frame.
        {
            let mut state = shared.state();
            let sent = state.frames_sent;
            let covered = frame.receive_time.get() - start_time;
            for (scheduled, done) in shared.config.faults.iter().zip(fired.iter_mut()) {
                let due = match scheduled.trigger {
                    FaultTrigger::AfterFrames(frames) => sent >= frames,
                    FaultTrigger::AtSeconds(seconds) => covered as f64 >= seconds * 1e9,
                };
                if due && !*done {
                    *done = true;
                    state.pending.push_back((scheduled.fault, "config"));
                }
            }
        }
        // Pause: wait, then shift the schedule by the time paused.
        if shared.state().paused {
            let paused_at = Instant::now();
            while shared.state().paused {
                tokio::select! {
                    _ = shared.wake.notified() => {}
                    _ = shutdown.changed() => return,
                }
            }
            origin += paused_at.elapsed();
            continue;
        }
        apply_pending(&shared, &mut senders, position).await;
        if speed > 0.0 {
            let offset =
                Duration::from_secs_f64((frame.receive_time.get() - start_time).max(0) as f64 / 1e9 / speed);
            let due = origin + offset;
            if Instant::now() < due && !sleep_or_wake(&shared, due.into()).await {
                continue;
            }
        }
        let (stall_until, delay) = {
            let mut state = shared.state();
            let delay = if state.active.delay_left > 0 {
                state.active.delay_left -= 1;
                Some(Duration::from_millis(state.active.delay_ms))
            } else {
                None
            };
            (state.stall_until.take(), delay)
        };
        if let Some(until) = stall_until
            && Instant::now() < until
        {
            // The clock runs on during a stall: what fell due meanwhile goes out as a backlog.
            tokio::select! {
                _ = sleep_until(until.into()) => {}
                _ = shutdown.changed() => return,
            }
        }
        if let Some(delay) = delay {
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.changed() => return,
            }
        }
        // Update the venue's book and counters, decide what goes out.
        let decision = {
            let mut state = shared.state();
            if state.paused {
                // Paused while waiting: the book must not move after `pause` returned.
                None
            } else {
                state.replay_time = frame.receive_time;
                Some(decide(&mut state, &frame.item))
            }
        };
        let Some((send, duplicate, reorder)) = decision else { continue };
        if send {
            let alive = if reorder {
                match held.take() {
                    None => {
                        held = Some(position);
                        true
                    }
                    Some(first) => {
                        broadcast(&shared, &mut senders, Outgoing::Frame(position)).await
                            && broadcast(&shared, &mut senders, Outgoing::Frame(first)).await
                    }
                }
            } else {
                let mut alive = true;
                if let Some(first) = held.take() {
                    alive = broadcast(&shared, &mut senders, Outgoing::Frame(first)).await;
                }
                alive = alive && broadcast(&shared, &mut senders, Outgoing::Frame(position)).await;
                if duplicate {
                    alive = alive && broadcast(&shared, &mut senders, Outgoing::Frame(position)).await;
                }
                alive
            };
            if !alive {
                return;
            }
        }
        position += 1;
        if position % 64 == 0 {
            // With speed 0 and nobody listening nothing here awaits: let the server's tasks run.
            tokio::task::yield_now().await;
        }
    }
    if let Some(first) = held.take() {
        broadcast(&shared, &mut senders, Outgoing::Frame(first)).await;
    }
    shared.state().finished = true;
    tracing::info!(target: "engine::local_venue", frames = shared.state().frames_sent, "replay finished");
}

/// Applies a tape item to the venue's state; says whether to send it, twice, or held for a swap.
fn decide(state: &mut super::shared::State, item: &TapeItem) -> (bool, bool, bool) {
    match item {
        TapeItem::Snapshot(snapshot) => {
            if let Some(book) = state.books.get_mut(snapshot.symbol)
                && !book.is_initialised()
            {
                book.apply_snapshot(snapshot);
            }
            (false, false, false)
        }
        TapeItem::Stream { diff, .. } => {
            let mut withhold = false;
            if let Some(diff) = diff {
                let outcome = state.books.get_mut(diff.symbol).map(|book| book.apply_diff(diff));
                if let Some(DiffOutcome::AppliedOutOfChain { expected, received }) = outcome {
                    state.chain_breaks += 1;
                    tracing::warn!(target: "engine::local_venue", expected, received, u = diff.last_update_id,
                        "the recording's depth chain breaks here");
                }
                if state.active.gap_left > 0 {
                    state.active.gap_left -= 1;
                    state.diffs_withheld += 1;
                    withhold = true;
                }
            }
            if withhold {
                (false, false, false)
            } else {
                state.frames_sent += 1;
                let duplicate = state.active.duplicate_left > 0;
                if duplicate {
                    state.active.duplicate_left -= 1;
                }
                let reorder = state.active.reorder_left > 0;
                if reorder {
                    state.active.reorder_left -= 1;
                }
                (true, duplicate, reorder)
            }
        }
    }
}

/// The combined text of the frame at `position` (a sample for truncated garbage).
fn frame_text(tape: &super::tape::Tape, position: usize) -> String {
    match &tape.frames[position].item {
        TapeItem::Stream { combined, .. } => combined.as_str().to_owned(),
        TapeItem::Snapshot(_) => "{\"stream\":\"".to_owned(),
    }
}

/// Sleeps until `due`; `false` if woken first (pause, fault, shutdown: re-check).
async fn sleep_or_wake(shared: &Shared, due: tokio::time::Instant) -> bool {
    tokio::select! {
        _ = sleep_until(due) => true,
        _ = shared.wake.notified() => false,
    }
}

/// Applies the queued faults.
async fn apply_pending(shared: &Shared, senders: &mut Vec<(u64, mpsc::Sender<Outgoing>)>, position: usize) {
    loop {
        let (fault, source, at_frame) = {
            let mut state = shared.state();
            let Some((fault, source)) = state.pending.pop_front() else { return };
            let at_frame = state.frames_sent;
            *state.counts.entry(fault.name().to_owned()).or_insert(0) += 1;
            state.applied.push(AppliedFault { fault, at_frame, source: source.to_owned() });
            match fault {
                Fault::Stall { seconds } => {
                    state.stall_until = Some(Instant::now() + Duration::from_secs_f64(seconds));
                }
                Fault::Delay { ms, frames } => {
                    state.active.delay_ms = ms;
                    state.active.delay_left = frames;
                }
                Fault::Duplicate { frames } => state.active.duplicate_left += frames,
                Fault::Reorder { frames } => state.active.reorder_left += frames,
                Fault::Gap { diffs } => state.active.gap_left += diffs,
                Fault::Refuse { seconds } => {
                    state.refuse_until = Some(Instant::now() + Duration::from_secs_f64(seconds));
                }
                Fault::Drop | Fault::Garbage { .. } => {}
            }
            (fault, source, at_frame)
        };
        tracing::warn!(target: "engine::local_venue", ?fault, source, at_frame, "fault applied");
        match fault {
            Fault::Drop | Fault::Refuse { .. } => {
                broadcast(shared, senders, Outgoing::Drop).await;
            }
            Fault::Garbage { frames } => {
                let sample = frame_text(&shared.tape, position);
                for index in 0..frames {
                    let text = Utf8Bytes::from(garbage_frame(index, &sample));
                    if !broadcast(shared, senders, Outgoing::Garbage(text)).await {
                        return;
                    }
                }
            }
            _ => {}
        }
    }
}

/// Hands `message` to every client, waiting for room; forgets clients that have gone.
/// `false` if the venue is shutting down.
async fn broadcast(
    shared: &Shared,
    senders: &mut Vec<(u64, mpsc::Sender<Outgoing>)>,
    message: Outgoing,
) -> bool {
    senders.clear();
    senders.extend(shared.client_list().iter().map(|slot| (slot.id, slot.sender.clone())));
    let mut shutdown = shared.shutdown.subscribe();
    let mut gone = false;
    for (_, sender) in senders.iter() {
        tokio::select! {
            result = sender.send(message.clone()) => gone |= result.is_err(),
            _ = shutdown.changed() => return false,
        }
    }
    if gone {
        shared.client_list().retain(|slot| !slot.sender.is_closed());
    }
    senders.clear();
    true
}
