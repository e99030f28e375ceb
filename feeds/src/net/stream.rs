//! The connection manager the feed thread drives: [`MarketStream`].
//!
//! It owns a `mio::Poll` and up to two [`WsClient`]s: the *primary*, whose frames are
//! delivered, and during a rollover its *successor*. Each [`MarketStream::poll`] call waits as
//! the [`PollMode`] says, reads what is ready, hands every message to the [`StreamHandler`],
//! and runs the timers:
//!
//! - **Connect** at the first poll; a failed attempt (refused, timed out, TLS error, upgrade
//!   rejected with e.g. 503) is reported as [`StreamEvent::ConnectFailed`], then
//!   [`StreamEvent::BackingOff`] says how long until the next attempt ([`Backoff`]: exponential,
//!   full jitter, seeded). Success is [`StreamEvent::Connected`].
//! - **Disconnect** on error, close frame, EOF, or no message for `stale_after_ms`:
//!   [`StreamEvent::Disconnected`], then backoff and reconnect as above. A connection open for
//!   `healthy_after_ms` resets the backoff.
//! - **Rollover** (make-before-break): once the primary is `rollover_after_s` old, a successor
//!   connects while the primary keeps delivering. When the successor delivers its first
//!   message, the primary is closed, [`StreamEvent::RolledOver`] is emitted, and then that
//!   message is delivered. So the handler sees every frame the old connection delivered before
//!   the switch, then only the new connection's: never an interleaving of the two. Frames the
//!   old connection had not yet read are dropped with it; the same market event may arrive on
//!   both connections around the switch, and the venue's sequencer (Binance `U`/`u`/`pu`)
//!   discards what it has already applied.
//!
//! ## Steady state
//! `poll` allocates nothing once the connections are open and their buffers warm (the `Events`
//! list is preallocated; events are passed by value). Connecting, disconnecting and their
//! events may allocate: they are rare and off the per-message path.

use std::time::{Duration, Instant};

use mio::{Events, Poll, Token};

use super::backoff::Backoff;
use super::client::{ClientOptions, ReadStatus, WsClient};
use super::config::{PollMode, StreamConfig};
use super::endpoint::Endpoint;
use super::error::{StreamError, WsError};

/// Which connection a frame or event belongs to: numbered from 1 in the order the attempts
/// were made, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnectionId(pub u64);

/// What happened to the connections; delivered through [`StreamHandler::on_event`].
#[derive(Debug)]
pub enum StreamEvent {
    /// A connection is open (the handshake succeeded). During a rollover this is the successor,
    /// whose frames are delivered only from [`StreamEvent::RolledOver`] on.
    Connected {
        /// The new connection.
        connection: ConnectionId,
    },
    /// A connection attempt failed before opening (refused, timeout, TLS, upgrade rejected).
    ConnectFailed {
        /// The failed attempt.
        connection: ConnectionId,
        /// Why.
        reason: WsError,
    },
    /// An open connection ended.
    Disconnected {
        /// The connection that ended.
        connection: ConnectionId,
        /// Why.
        reason: DisconnectReason,
    },
    /// The next attempt waits `delay`; `attempt` counts the failures since the last reset.
    BackingOff {
        /// Failures since the backoff was last reset, this one included.
        attempt: u32,
        /// Time until the next attempt.
        delay: Duration,
    },
    /// `to` replaced `from`: `from` is closed and nothing more comes from it.
    RolledOver {
        /// The old connection, now closed.
        from: ConnectionId,
        /// The new primary connection.
        to: ConnectionId,
    },
}

/// Why an open connection ended.
#[derive(Debug)]
pub enum DisconnectReason {
    /// The server sent a close frame (with this code, if any).
    Closed {
        /// RFC 6455 §7.4 status code.
        code: Option<u16>,
    },
    /// No message for `stale_after_ms`.
    Stale {
        /// How long it had been silent.
        silent_for: Duration,
    },
    /// A read, write or protocol error, or EOF without a close frame.
    Failed(WsError),
}

/// What the feed thread does with the stream's output.
pub trait StreamHandler {
    /// One Text or Binary message, mutable so it can be decoded in place. Valid only during
    /// the call. Stamp the receive time here if needed.
    fn on_frame(&mut self, payload: &mut [u8], connection: ConnectionId);
    /// A connection event.
    fn on_event(&mut self, event: StreamEvent);
}

/// The manager's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Connections opened (rollover successors included).
    pub connects: u64,
    /// Attempts that failed before opening.
    pub failed_attempts: u64,
    /// Open connections that ended other than by rollover.
    pub disconnects: u64,
    /// Primary connections opened after a disconnect or failed attempt.
    pub reconnects: u64,
    /// Make-before-break switches completed.
    pub rollovers: u64,
    /// Messages delivered to the handler.
    pub messages: u64,
    /// Their payload bytes.
    pub bytes: u64,
}

struct Slot {
    id: ConnectionId,
    client: WsClient,
    /// When the handshake completed; `None` while connecting.
    opened_at: Option<Instant>,
    /// The socket reported readiness since we last read it to `WouldBlock` (mio is
    /// edge-triggered).
    ready: bool,
}

/// The connection manager. See the module docs.
pub struct MarketStream {
    endpoint: Endpoint,
    options: ClientOptions,
    subscribe: Vec<String>,
    mode: PollMode,
    epoll_timeout: Duration,
    stale_after: Duration,
    healthy_after: Duration,
    rollover_after: Duration,
    poll: Poll,
    events: Events,
    primary: Option<Slot>,
    successor: Option<Slot>,
    /// When the next primary attempt may start; `None`: now.
    next_attempt_at: Option<Instant>,
    /// When the next rollover attempt may start after a failed one.
    next_rollover_at: Option<Instant>,
    backoff: Backoff,
    rollover_backoff: Backoff,
    /// The next primary that opens is a reconnect (a primary was lost or an attempt failed).
    reconnecting: bool,
    next_id: u64,
    mask_seed: u64,
    stats: StreamStats,
    /// The endpoint's address, resolved when the stream was built (on the caller's thread) so
    /// that reconnects and rollovers do not wait on DNS on the feed thread; forgotten when a
    /// primary attempt fails, so the next one resolves afresh (nothing flows meanwhile).
    address: Option<std::net::SocketAddr>,
}

impl MarketStream {
    /// Checks the config, builds the TLS configuration, creates the poller. Connects at the
    /// first [`poll`](Self::poll).
    pub fn new(config: &StreamConfig) -> Result<MarketStream, StreamError> {
        config.validate()?;
        let endpoint = Endpoint::parse(&config.url).map_err(super::error::ConfigError::from)?;
        let tls = if endpoint.is_secure() { Some(config.tls_client_config()?) } else { None };
        let address = super::client::resolve(&endpoint).ok();
        let options = ClientOptions {
            connect_timeout: Duration::from_millis(config.connect_timeout_ms),
            read_buffer_bytes: config.read_buffer_bytes,
            max_message_bytes: config.max_message_bytes,
            mask_seed: config.backoff_seed,
            tls,
        };
        let initial = Duration::from_millis(config.initial_backoff_ms);
        let max = Duration::from_millis(config.max_backoff_ms);
        Ok(MarketStream {
            endpoint,
            options,
            subscribe: config.subscribe.clone(),
            mode: config.poll,
            epoll_timeout: Duration::from_millis(config.epoll_timeout_ms),
            stale_after: Duration::from_millis(config.stale_after_ms),
            healthy_after: Duration::from_millis(config.healthy_after_ms),
            rollover_after: config.rollover_after(),
            poll: Poll::new().map_err(StreamError::Poll)?,
            events: Events::with_capacity(16),
            primary: None,
            successor: None,
            next_attempt_at: None,
            next_rollover_at: None,
            backoff: Backoff::new(initial, max, config.backoff_seed),
            rollover_backoff: Backoff::new(initial, max, config.backoff_seed ^ 0x5EED),
            reconnecting: false,
            next_id: 1,
            address,
            mask_seed: config.backoff_seed,
            stats: StreamStats::default(),
        })
    }

    /// The counters.
    pub fn stats(&self) -> &StreamStats {
        &self.stats
    }

    /// The connection whose frames are delivered, once it is open.
    pub fn connection(&self) -> Option<ConnectionId> {
        self.primary.as_ref().filter(|slot| slot.opened_at.is_some()).map(|slot| slot.id)
    }

    /// Sends a Text message on the primary connection (queued until it opens).
    pub fn send_text(&mut self, text: &str) -> Result<(), WsError> {
        match &mut self.primary {
            Some(slot) => slot.client.send_text(text),
            None => Err(WsError::NotOpen),
        }
    }

    /// Handles what is ready, then returns: in busy mode without sleeping, in epoll mode after
    /// at most `epoll_timeout_ms` (less if a reconnect is due sooner). Only a failure of the
    /// poller itself is an error; connection trouble is reported through `handler`.
    pub fn poll(&mut self, handler: &mut impl StreamHandler) -> Result<(), StreamError> {
        let now = Instant::now();
        if self.primary.is_none() && self.next_attempt_at.is_none_or(|at| now >= at) {
            self.next_attempt_at = None;
            self.start_primary(handler);
        }
        let timeout = match self.mode {
            PollMode::Busy => Duration::ZERO,
            PollMode::Epoll => match self.next_attempt_at {
                Some(at) => self.epoll_timeout.min(at.saturating_duration_since(now)),
                None => self.epoll_timeout,
            },
        };
        match self.poll.poll(&mut self.events, Some(timeout)) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(StreamError::Poll(error)),
        }
        for event in self.events.iter() {
            let token = event.token();
            for slot in [&mut self.primary, &mut self.successor].into_iter().flatten() {
                if Token(slot.id.0 as usize) == token {
                    slot.ready = true;
                }
            }
        }
        self.drive_primary(handler);
        self.drive_successor(handler);
        self.run_timers(handler);
        Ok(())
    }

    fn start_primary(&mut self, handler: &mut impl StreamHandler) {
        match self.open_slot() {
            Ok(slot) => self.primary = Some(slot),
            Err((id, error)) => {
                self.stats.failed_attempts += 1;
                // The address may have moved: resolve again before the next attempt.
                self.address = None;
                handler.on_event(StreamEvent::ConnectFailed { connection: id, reason: error });
                self.schedule_reconnect(handler);
            }
        }
    }

    fn open_slot(&mut self) -> Result<Slot, (ConnectionId, WsError)> {
        let id = ConnectionId(self.next_id);
        self.next_id += 1;
        let mut options = self.options.clone();
        options.mask_seed = self.mask_seed ^ id.0.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let address = match self.address {
            Some(address) => address,
            None => super::client::resolve(&self.endpoint).map_err(|error| (id, error))?,
        };
        self.address = Some(address);
        let mut client = WsClient::connect_to(
            &self.endpoint,
            address,
            &options,
            self.poll.registry(),
            Token(id.0 as usize),
        )
        .map_err(|error| (id, error))?;
        for message in &self.subscribe {
            client.send_text(message).map_err(|error| (id, error))?;
        }
        Ok(Slot { id, client, opened_at: None, ready: true })
    }

    fn schedule_reconnect(&mut self, handler: &mut impl StreamHandler) {
        self.reconnecting = true;
        let (attempt, delay) = self.backoff.next_delay();
        self.next_attempt_at = Some(Instant::now() + delay);
        handler.on_event(StreamEvent::BackingOff { attempt, delay });
    }

    /// The primary is gone: promote the successor if there is one, else back off.
    fn lose_primary(&mut self, handler: &mut impl StreamHandler) {
        self.primary = self.successor.take();
        if self.primary.is_none() {
            self.schedule_reconnect(handler);
        }
    }

    fn drive_primary(&mut self, handler: &mut impl StreamHandler) {
        let Some(slot) = &mut self.primary else { return };
        if slot.opened_at.is_none() {
            match advance(slot, &mut self.stats, handler) {
                Ok(true) => {
                    if std::mem::take(&mut self.reconnecting) {
                        self.stats.reconnects += 1;
                    }
                }
                Ok(false) => return,
                Err(error) => {
                    let connection = slot.id;
                    self.stats.failed_attempts += 1;
                    // The address may have moved: resolve again before the next attempt.
                    self.address = None;
                    handler.on_event(StreamEvent::ConnectFailed { connection, reason: error });
                    self.lose_primary(handler);
                    return;
                }
            }
        }
        if !slot.ready {
            return;
        }
        slot.ready = false;
        let connection = slot.id;
        let stats = &mut self.stats;
        let result = slot.client.read_frames(|payload| {
            stats.messages += 1;
            stats.bytes += payload.len() as u64;
            handler.on_frame(payload, connection);
        });
        let reason = match result {
            Ok(ReadStatus::Open) => return,
            Ok(ReadStatus::Closed { code }) => DisconnectReason::Closed { code },
            Err(error) => DisconnectReason::Failed(error),
        };
        self.stats.disconnects += 1;
        handler.on_event(StreamEvent::Disconnected { connection, reason });
        self.lose_primary(handler);
    }

    fn drive_successor(&mut self, handler: &mut impl StreamHandler) {
        let Some(slot) = &mut self.successor else { return };
        if slot.opened_at.is_none() {
            match advance(slot, &mut self.stats, handler) {
                Ok(true) => {}
                Ok(false) => return,
                Err(error) => {
                    let connection = slot.id;
                    self.stats.failed_attempts += 1;
                    handler.on_event(StreamEvent::ConnectFailed { connection, reason: error });
                    self.successor = None;
                    self.delay_rollover();
                    return;
                }
            }
        }
        if !slot.ready {
            return;
        }
        slot.ready = false;
        let connection = slot.id;
        let stats = &mut self.stats;
        let primary = &mut self.primary;
        let mut switched = false;
        let result = slot.client.read_frames(|payload| {
            if !switched {
                switched = true;
                // The successor's first message: retire the old connection before delivering.
                if let Some(mut old) = primary.take() {
                    old.client.close();
                    stats.rollovers += 1;
                    handler.on_event(StreamEvent::RolledOver { from: old.id, to: connection });
                }
            }
            stats.messages += 1;
            stats.bytes += payload.len() as u64;
            handler.on_frame(payload, connection);
        });
        let outcome = match result {
            Ok(ReadStatus::Open) => None,
            Ok(ReadStatus::Closed { code }) => Some(DisconnectReason::Closed { code }),
            Err(error) => Some(DisconnectReason::Failed(error)),
        };
        if switched {
            self.primary = self.successor.take();
            self.rollover_backoff.reset();
        }
        if let Some(reason) = outcome {
            self.stats.disconnects += 1;
            handler.on_event(StreamEvent::Disconnected { connection, reason });
            if switched {
                self.lose_primary(handler);
            } else {
                self.successor = None;
                self.delay_rollover();
            }
        }
    }

    fn delay_rollover(&mut self) {
        let (_, delay) = self.rollover_backoff.next_delay();
        self.next_rollover_at = Some(Instant::now() + delay);
    }

    fn run_timers(&mut self, handler: &mut impl StreamHandler) {
        let now = Instant::now();
        // Stale connections: primary and an open successor alike.
        for is_primary in [true, false] {
            let slot = if is_primary { &mut self.primary } else { &mut self.successor };
            let Some(open) = slot.as_ref() else { continue };
            let Some(opened_at) = open.opened_at else { continue };
            let last = open.client.stats().last_message.unwrap_or(opened_at).max(opened_at);
            let silent_for = now.saturating_duration_since(last);
            if silent_for < self.stale_after {
                continue;
            }
            let Some(mut stale) = slot.take() else { continue };
            stale.client.close();
            self.stats.disconnects += 1;
            handler.on_event(StreamEvent::Disconnected {
                connection: stale.id,
                reason: DisconnectReason::Stale { silent_for },
            });
            if is_primary {
                self.lose_primary(handler);
            } else {
                self.delay_rollover();
            }
        }
        let Some(primary) = &self.primary else { return };
        let Some(opened_at) = primary.opened_at else { return };
        let age = now.saturating_duration_since(opened_at);
        if age >= self.healthy_after && self.backoff.attempts() > 0 {
            self.backoff.reset();
        }
        if age >= self.rollover_after
            && self.successor.is_none()
            && self.next_rollover_at.is_none_or(|at| now >= at)
        {
            self.next_rollover_at = None;
            match self.open_slot() {
                Ok(slot) => self.successor = Some(slot),
                Err((connection, reason)) => {
                    self.stats.failed_attempts += 1;
                    handler.on_event(StreamEvent::ConnectFailed { connection, reason });
                    self.delay_rollover();
                }
            }
        }
    }
}

/// Advances a connecting slot; on opening, stamps it and reports [`StreamEvent::Connected`].
fn advance(
    slot: &mut Slot,
    stats: &mut StreamStats,
    handler: &mut impl StreamHandler,
) -> Result<bool, WsError> {
    if !slot.client.advance()? {
        return Ok(false);
    }
    slot.opened_at = Some(Instant::now());
    // Bytes that followed the upgrade response may already be buffered: read at once.
    slot.ready = true;
    stats.connects += 1;
    handler.on_event(StreamEvent::Connected { connection: slot.id });
    Ok(true)
}
