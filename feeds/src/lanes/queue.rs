//! [`LaneQueue`]: the bounded, lock-free queue from the slow lanes to the feed thread.

use crate::event::Event;
use crossbeam_queue::ArrayQueue;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A bounded multi-producer queue of [`Event`]s. `push` never blocks: when the queue is full the
/// event is dropped and counted (the feed thread is behind; slow facts are refreshed soon).
/// Cloning shares the queue.
#[derive(Clone)]
pub struct LaneQueue {
    events: Arc<ArrayQueue<Event>>,
    dropped: Arc<AtomicU64>,
}

impl LaneQueue {
    /// A queue holding up to `capacity` events (at least 1).
    pub fn new(capacity: usize) -> LaneQueue {
        LaneQueue { events: Arc::new(ArrayQueue::new(capacity.max(1))), dropped: Arc::new(AtomicU64::new(0)) }
    }

    /// Adds an event; false (and counted as dropped) if the queue is full.
    #[inline]
    pub fn push(&self, event: Event) -> bool {
        match self.events.push(event) {
            Ok(()) => true,
            Err(_) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// The oldest event, if any. Never blocks, never allocates.
    #[inline]
    pub fn pop(&self) -> Option<Event> {
        self.events.pop()
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Events dropped because the queue was full, since creation.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}
