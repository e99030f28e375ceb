//! The lock-free queue between the control server and the quoting core.
//!
//! [`ControlSender::submit`] (server, slow path) pushes a [`Request`] into a preallocated
//! `crossbeam_queue::ArrayQueue` and gets back the receiving end of a one-slot channel;
//! [`ControlInbox::try_next`] (core) pops without locking or allocating, and
//! [`Request::answer`] puts the [`Reply`] in the slot without blocking. Why an `ArrayQueue`
//! and not a channel for the inbox: the core polls it between events, and an empty
//! `ArrayQueue::pop` is a single atomic load with no waker bookkeeping.

use super::{Command, Reply};
use crossbeam_channel::{Receiver, Sender};
use crossbeam_queue::ArrayQueue;
use std::sync::Arc;

/// One command waiting for the core's answer.
#[derive(Debug)]
pub struct Request {
    command: Command,
    reply_to: Sender<Reply>,
}

impl Request {
    /// What is asked.
    pub fn command(&self) -> Command {
        self.command
    }

    /// Sends the answer back to the server; never blocks. Returns `false` when nobody waits
    /// any more (the server gave up after its timeout), which the core may ignore.
    pub fn answer(self, reply: Reply) -> bool {
        self.reply_to.try_send(reply).is_ok()
    }
}

/// The core's end: poll with [`try_next`](Self::try_next).
#[derive(Debug)]
pub struct ControlInbox {
    queue: Arc<ArrayQueue<Request>>,
}

/// The server's end (cheap to clone).
#[derive(Clone, Debug)]
pub struct ControlSender {
    queue: Arc<ArrayQueue<Request>>,
}

/// Why a request could not be queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The inbox holds `capacity` unanswered requests already: the core is not polling.
    #[error("the engine's control inbox is full (the core is not taking commands)")]
    Full,
}

impl ControlInbox {
    /// A queue of `capacity` requests (at least 1): the core's inbox and the server's sender.
    pub fn with_capacity(capacity: usize) -> (ControlInbox, ControlSender) {
        let queue = Arc::new(ArrayQueue::new(capacity.max(1)));
        (ControlInbox { queue: Arc::clone(&queue) }, ControlSender { queue })
    }

    /// The next request, if any. Lock-free, no allocation.
    #[inline]
    pub fn try_next(&self) -> Option<Request> {
        self.queue.pop()
    }
}

impl ControlSender {
    /// Queues `command`; the returned receiver gets the core's [`Reply`].
    pub fn submit(&self, command: Command) -> Result<Receiver<Reply>, SubmitError> {
        let (reply_to, answer) = crossbeam_channel::bounded(1);
        self.queue.push(Request { command, reply_to }).map_err(|_| SubmitError::Full)?;
        Ok(answer)
    }
}
