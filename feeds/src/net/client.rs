//! One non-blocking WebSocket connection: [`WsClient`], an explicit state machine.
//!
//! ```text
//! Connecting ──► TlsHandshake (wss only) ──► WsHandshake ──► Open ──► Closed
//!  TCP connect     rustls, SNI = host          tungstenite      frames
//! ```
//!
//! [`WsClient::advance`] moves it as far as the socket allows and never waits; the owner calls
//! it again when the socket is ready (or on every busy poll). The whole way to `Open` must take
//! less than the connect timeout. Once open, [`WsClient::read_frames`] reads every complete
//! message available and lends each Text/Binary payload as a mutable slice of the client's own
//! read buffer (no copy unless the message was fragmented), answers pings, and reports a close.
//!
//! ## Steady state
//! Reading allocates nothing once the read buffer has grown to the largest message: frames are
//! parsed in place (module `frame`), pongs are written into a reused buffer.
//! Over TLS, rustls 0.23's buffered `ClientConnection` allocates one buffer per TLS record it
//! decrypts; that is the remaining per-message cost (measured in `tests/net.rs`).

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use rustls::ClientConfig;
use rustls::ClientConnection;
use rustls_pki_types::ServerName;
use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::client::ClientHandshake;
use tungstenite::handshake::{HandshakeError, MidHandshake};

use super::backoff::SplitMix64;
use super::endpoint::Endpoint;
use super::error::WsError;
use super::frame::{self, FrameHeader, opcode};
use super::transport::{HandshakeIo, Transport};

/// How one connection is made and how much it may buffer.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// TCP + TLS + WebSocket handshake must complete within this.
    pub connect_timeout: Duration,
    /// Initial read buffer, bytes; grows (once) to fit the largest message.
    pub read_buffer_bytes: usize,
    /// Largest accepted message, bytes.
    pub max_message_bytes: usize,
    /// Seed of the masking keys of the frames we send.
    pub mask_seed: u64,
    /// The TLS configuration; required for `wss://`.
    pub tls: Option<Arc<ClientConfig>>,
}

impl ClientOptions {
    /// Defaults: 5 s timeout, 256 KiB buffer, 16 MiB messages, no TLS.
    pub fn new() -> ClientOptions {
        ClientOptions {
            connect_timeout: Duration::from_secs(5),
            read_buffer_bytes: 256 * 1024,
            max_message_bytes: 16 * 1024 * 1024,
            mask_seed: 0,
            tls: None,
        }
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions::new()
    }
}

/// Where a [`WsClient`] is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientPhase {
    /// Waiting for the TCP connection.
    Connecting,
    /// TCP is up; the TLS handshake is running.
    TlsHandshake,
    /// The HTTP upgrade is running.
    WsHandshake,
    /// Frames flow.
    Open,
    /// Closed by us, by the peer, or by an error.
    Closed,
}

/// What [`WsClient::read_frames`] found besides messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadStatus {
    /// Still open; everything available was read.
    Open,
    /// The server sent a close frame (with this status code, if any); we answered it and the
    /// connection is now closed.
    Closed {
        /// The close status code (RFC 6455 §7.4), if the frame had one.
        code: Option<u16>,
    },
}

/// A connection's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Text and Binary messages delivered.
    pub messages: u64,
    /// Their payload bytes.
    pub bytes: u64,
    /// Pings answered with a pong.
    pub pings_answered: u64,
    /// When the latest read that delivered a message returned (taken once per socket read,
    /// not per message).
    pub last_message: Option<Instant>,
}

enum State {
    Connecting(Transport),
    TlsHandshake(Transport),
    WsHandshake(MidHandshake<ClientHandshake<HandshakeIo>>),
    Open(Transport),
    Closed,
}

/// One WebSocket client connection over a non-blocking mio socket. See the module docs.
pub struct WsClient {
    state: State,
    url: String,
    deadline: Instant,
    framer: Framer,
}

impl WsClient {
    /// Starts connecting to `endpoint` and registers the socket with `registry` under `token`
    /// (readable and writable, edge-triggered). Resolves the host name here, which may block
    /// on DNS: use IP literals, [`WsClient::connect_to`] with an address resolved beforehand
    /// (as [`MarketStream`](super::MarketStream) does), or accept that cost at connect time.
    pub fn connect(
        endpoint: &Endpoint,
        options: &ClientOptions,
        registry: &Registry,
        token: Token,
    ) -> Result<WsClient, WsError> {
        let address = resolve(endpoint)?;
        WsClient::connect_to(endpoint, address, options, registry, token)
    }

    /// [`WsClient::connect`] to `address`, already resolved from `endpoint`'s host (which still
    /// names the TLS server and the `Host` header): nothing here blocks.
    pub fn connect_to(
        endpoint: &Endpoint,
        address: SocketAddr,
        options: &ClientOptions,
        registry: &Registry,
        token: Token,
    ) -> Result<WsClient, WsError> {
        let deadline = Instant::now() + options.connect_timeout;
        let tls = match (endpoint.is_secure(), &options.tls) {
            (false, _) => None,
            (true, None) => return Err(WsError::Handshake("wss:// needs a TLS configuration".to_owned())),
            (true, Some(config)) => {
                let name = ServerName::try_from(endpoint.host().to_owned()).map_err(|error| {
                    WsError::Handshake(format!("{} is not a valid TLS server name: {error}", endpoint.host()))
                })?;
                Some(ClientConnection::new(Arc::clone(config), name)?)
            }
        };
        let mut socket = TcpStream::connect(address).map_err(WsError::Connect)?;
        registry.register(&mut socket, token, Interest::READABLE | Interest::WRITABLE)?;
        Ok(WsClient {
            state: State::Connecting(Transport::new(socket, tls)),
            url: endpoint.to_string(),
            deadline,
            framer: Framer::new(options),
        })
    }

    /// The phase the connection is in.
    pub fn phase(&self) -> ClientPhase {
        match self.state {
            State::Connecting(_) => ClientPhase::Connecting,
            State::TlsHandshake(_) => ClientPhase::TlsHandshake,
            State::WsHandshake(_) => ClientPhase::WsHandshake,
            State::Open(_) => ClientPhase::Open,
            State::Closed => ClientPhase::Closed,
        }
    }

    /// True when frames flow.
    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open(_))
    }

    /// The counters.
    pub fn stats(&self) -> &ClientStats {
        &self.framer.stats
    }

    /// Moves the connection towards `Open` as far as the socket allows. `Ok(true)` once open
    /// (then also flushes messages queued by [`send_text`](Self::send_text) before opening).
    /// An error, including the connect timeout, closes the connection.
    pub fn advance(&mut self) -> Result<bool, WsError> {
        let result = self.try_advance();
        if result.is_err() {
            self.state = State::Closed;
        }
        result
    }

    fn try_advance(&mut self) -> Result<bool, WsError> {
        loop {
            if !matches!(self.state, State::Open(_) | State::Closed) && Instant::now() >= self.deadline {
                return Err(WsError::Timeout);
            }
            match std::mem::replace(&mut self.state, State::Closed) {
                State::Connecting(transport) => {
                    if let Some(error) = transport.socket.take_error()? {
                        return Err(WsError::Connect(error));
                    }
                    match transport.socket.peer_addr() {
                        Ok(_) => {
                            // Small frames (pongs, subscriptions) must not wait for Nagle.
                            transport.socket.set_nodelay(true)?;
                            self.state = State::TlsHandshake(transport);
                        }
                        Err(error) if error.kind() == io::ErrorKind::NotConnected => {
                            self.state = State::Connecting(transport);
                            return Ok(false);
                        }
                        Err(error) => return Err(WsError::Connect(error)),
                    }
                }
                State::TlsHandshake(mut transport) => {
                    if !transport.drive_tls_handshake()? {
                        self.state = State::TlsHandshake(transport);
                        return Ok(false);
                    }
                    let request = self
                        .url
                        .as_str()
                        .into_client_request()
                        .map_err(|error| WsError::Handshake(error.to_string()))?;
                    let io = HandshakeIo { transport, read: Vec::with_capacity(1024) };
                    let handshake = ClientHandshake::start(io, request, None).map_err(handshake_error)?;
                    self.state = State::WsHandshake(handshake);
                }
                State::WsHandshake(handshake) => match handshake.handshake() {
                    Ok((websocket, _response)) => {
                        let (transport, tail) = websocket.into_inner().finish();
                        self.framer.seed(&tail);
                        self.state = State::Open(transport);
                        if let State::Open(transport) = &mut self.state {
                            self.framer.flush(transport)?;
                        }
                        return Ok(true);
                    }
                    Err(HandshakeError::Interrupted(mut handshake)) => {
                        handshake.get_mut().get_mut().transport.flush()?;
                        self.state = State::WsHandshake(handshake);
                        return Ok(false);
                    }
                    Err(HandshakeError::Failure(error)) => return Err(handshake_error(error)),
                },
                State::Open(transport) => {
                    self.state = State::Open(transport);
                    return Ok(true);
                }
                State::Closed => return Err(WsError::NotOpen),
            }
        }
    }

    /// Reads every complete message available without blocking and hands each Text or Binary
    /// payload to `on_frame` as a mutable slice (Text is not UTF-8-checked here: the JSON
    /// parser checks it). Answers pings, ignores pongs, answers a close and reports it. Reads
    /// until the socket would block, as edge-triggered readiness requires.
    ///
    /// `Err(WsError::NotOpen)` before the connection is open; any other error closes it.
    pub fn read_frames(&mut self, on_frame: impl FnMut(&mut [u8])) -> Result<ReadStatus, WsError> {
        let State::Open(transport) = &mut self.state else { return Err(WsError::NotOpen) };
        let result = self.framer.read(transport, on_frame);
        match result {
            Ok(ReadStatus::Open) => {}
            Ok(ReadStatus::Closed { .. }) | Err(_) => {
                if let State::Open(transport) = &mut self.state {
                    transport.shutdown();
                }
                self.state = State::Closed;
            }
        }
        result
    }

    /// Queues a Text message and sends as much as the socket takes now; the rest goes out on
    /// later calls to [`flush`](Self::flush), [`read_frames`](Self::read_frames) or, before
    /// the connection opens, when it opens. Allocates only if the send buffer must grow.
    pub fn send_text(&mut self, text: &str) -> Result<(), WsError> {
        self.framer.queue(opcode::TEXT, text.as_bytes());
        match &mut self.state {
            State::Open(transport) => self.framer.flush(transport),
            State::Closed => Err(WsError::NotOpen),
            _ => Ok(()),
        }
    }

    /// Sends what is queued, as far as the socket takes it. True when nothing is left.
    pub fn flush(&mut self) -> Result<bool, WsError> {
        match &mut self.state {
            State::Open(transport) => self.framer.flush(transport),
            _ => Ok(()),
        }?;
        Ok(!self.has_pending_writes())
    }

    /// True while queued bytes (or TLS records) wait for the socket.
    pub fn has_pending_writes(&self) -> bool {
        let tls_pending = match &self.state {
            State::Open(transport) | State::Connecting(transport) | State::TlsHandshake(transport) => {
                transport.wants_write()
            }
            State::WsHandshake(handshake) => handshake.get_ref().get_ref().transport.wants_write(),
            State::Closed => false,
        };
        self.framer.pending_writes() || tls_pending
    }

    /// Sends a close frame (1000, normal closure) if open, pushes what the socket takes now,
    /// and closes the socket. Never waits for the server's answer: the caller has moved on.
    pub fn close(&mut self) {
        if let State::Open(transport) = &mut self.state {
            self.framer.queue(opcode::CLOSE, &1000u16.to_be_bytes());
            let _ = self.framer.flush(transport);
            transport.shutdown();
        }
        self.state = State::Closed;
    }
}

/// The first address `endpoint`'s host resolves to (the system resolver: may block).
pub fn resolve(endpoint: &Endpoint) -> Result<SocketAddr, WsError> {
    let authority = endpoint.authority();
    let resolve_error = |source| WsError::Resolve { authority: authority.clone(), source };
    let mut addresses = (endpoint.host(), endpoint.port()).to_socket_addrs().map_err(resolve_error)?;
    addresses.next().ok_or_else(|| resolve_error(io::Error::new(io::ErrorKind::NotFound, "no address")))
}

fn handshake_error(error: tungstenite::Error) -> WsError {
    match error {
        tungstenite::Error::Http(response) => WsError::Rejected { status: response.status().as_u16() },
        tungstenite::Error::Io(error) => WsError::Io(error),
        other => WsError::Handshake(other.to_string()),
    }
}

/// The open connection's buffers: the read buffer frames are parsed in, the reassembly buffer
/// of fragmented messages, and the send queue.
struct Framer {
    /// `buffer[start..end]` holds bytes read and not yet consumed; `end <= buffer.len()`. The
    /// buffer's length is its usable size (it is zero-filled once, when it grows).
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    /// The fragments so far of a fragmented message, and its opcode; `None` between messages.
    message: Vec<u8>,
    message_opcode: Option<u8>,
    /// Masked frames waiting for the socket, from `sent` on.
    outgoing: Vec<u8>,
    sent: usize,
    /// Set once a close frame is queued: nothing may follow it (RFC 6455 §5.5.1).
    close_queued: bool,
    max_message: usize,
    masks: SplitMix64,
    stats: ClientStats,
}

/// Never read into less free space than this; compact the buffer first.
const MIN_READ: usize = 16 * 1024;

impl Framer {
    fn new(options: &ClientOptions) -> Framer {
        let size = options.read_buffer_bytes.max(MIN_READ * 2);
        Framer {
            buffer: vec![0; size],
            start: 0,
            end: 0,
            message: Vec::new(),
            message_opcode: None,
            outgoing: Vec::with_capacity(1024),
            sent: 0,
            close_queued: false,
            max_message: options.max_message_bytes,
            masks: SplitMix64::new(options.mask_seed),
            stats: ClientStats::default(),
        }
    }

    /// Puts the bytes that followed the HTTP response at the front of the read buffer.
    fn seed(&mut self, tail: &[u8]) {
        if tail.len() > self.buffer.len() {
            self.buffer.resize(tail.len(), 0);
        }
        self.buffer[..tail.len()].copy_from_slice(tail);
        self.start = 0;
        self.end = tail.len();
    }

    fn read(
        &mut self,
        transport: &mut Transport,
        mut on_frame: impl FnMut(&mut [u8]),
    ) -> Result<ReadStatus, WsError> {
        loop {
            let delivered_before = self.stats.messages;
            let status = self.parse(&mut on_frame)?;
            if self.stats.messages != delivered_before {
                self.stats.last_message = Some(Instant::now());
            }
            if let ReadStatus::Closed { .. } = status {
                let _ = self.flush(transport);
                return Ok(status);
            }
            self.make_room();
            match transport.read(&mut self.buffer[self.end..]) {
                Ok(0) => return Err(WsError::Eof),
                Ok(count) => self.end += count,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(WsError::Io(error)),
            }
        }
        if self.pending_writes() || transport.wants_write() {
            self.flush(transport)?;
        }
        Ok(ReadStatus::Open)
    }

    /// Ensures at least [`MIN_READ`] free bytes after `end`, moving the unconsumed bytes to the
    /// front when needed.
    fn make_room(&mut self) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.buffer.len() - self.end < MIN_READ && self.start > 0 {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buffer.len() - self.end < MIN_READ {
            let size = (self.end + MIN_READ).next_power_of_two();
            self.buffer.resize(size, 0);
        }
    }

    /// Handles every complete frame in `buffer[start..end]`.
    fn parse(&mut self, on_frame: &mut impl FnMut(&mut [u8])) -> Result<ReadStatus, WsError> {
        loop {
            let Some(FrameHeader { fin, opcode, mask, header_len, payload_len }) =
                frame::parse_header(&self.buffer[self.start..self.end])?
            else {
                return Ok(ReadStatus::Open);
            };
            let message_len = payload_len.saturating_add(self.message.len() as u64);
            if message_len > self.max_message as u64 {
                return Err(WsError::MessageTooLarge { size: message_len });
            }
            let frame_len = header_len + payload_len as usize;
            if self.end - self.start < frame_len {
                // Incomplete: make sure the whole frame will fit, then read more.
                if frame_len > self.buffer.len() - self.start {
                    self.buffer.copy_within(self.start..self.end, 0);
                    self.end -= self.start;
                    self.start = 0;
                    if frame_len > self.buffer.len() {
                        self.buffer.resize(frame_len.next_power_of_two(), 0);
                    }
                }
                return Ok(ReadStatus::Open);
            }
            let payload_start = self.start + header_len;
            let payload_end = self.start + frame_len;
            self.start = payload_end;
            let payload = &mut self.buffer[payload_start..payload_end];
            if let Some(key) = mask {
                frame::apply_mask(payload, key);
            }
            match opcode {
                opcode::TEXT | opcode::BINARY => {
                    if self.message_opcode.is_some() {
                        return Err(WsError::Protocol("a new message began inside a fragmented one"));
                    }
                    if fin {
                        self.stats.messages += 1;
                        self.stats.bytes += payload.len() as u64;
                        on_frame(payload);
                    } else {
                        self.message.clear();
                        self.message.extend_from_slice(payload);
                        self.message_opcode = Some(opcode);
                    }
                }
                opcode::CONTINUATION => {
                    if self.message_opcode.is_none() {
                        return Err(WsError::Protocol("a continuation frame without a message to continue"));
                    }
                    self.message.extend_from_slice(payload);
                    if fin {
                        self.message_opcode = None;
                        self.stats.messages += 1;
                        self.stats.bytes += self.message.len() as u64;
                        on_frame(&mut self.message);
                    }
                }
                opcode::PING => {
                    // §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame
                    // in response … [with] the same Application data".
                    let mut echo = [0u8; 125];
                    let length = payload.len();
                    echo[..length].copy_from_slice(payload);
                    if !self.close_queued {
                        self.queue(opcode::PONG, &echo[..length]);
                        self.stats.pings_answered += 1;
                    }
                }
                opcode::PONG => {}
                _ => {
                    // §5.5.1: close. The body, if any, starts with a 2-byte status code, which
                    // the answering close frame echoes.
                    let code = match *payload {
                        [high, low, ..] => Some(u16::from_be_bytes([high, low])),
                        _ => None,
                    };
                    if !self.close_queued {
                        match code {
                            Some(code) => self.queue(opcode::CLOSE, &code.to_be_bytes()),
                            None => self.queue(opcode::CLOSE, &[]),
                        }
                    }
                    return Ok(ReadStatus::Closed { code });
                }
            }
        }
    }

    fn queue(&mut self, opcode: u8, payload: &[u8]) {
        if self.close_queued {
            return;
        }
        if self.sent == self.outgoing.len() {
            self.outgoing.clear();
            self.sent = 0;
        }
        let key = self.masks.next_u64().to_le_bytes();
        frame::write_client_frame(&mut self.outgoing, opcode, payload, [key[0], key[1], key[2], key[3]]);
        self.close_queued = opcode == opcode::CLOSE;
    }

    fn flush(&mut self, transport: &mut Transport) -> Result<(), WsError> {
        while self.sent < self.outgoing.len() {
            match transport.write(&self.outgoing[self.sent..]) {
                Ok(0) => return Err(WsError::Eof),
                Ok(count) => self.sent += count,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(WsError::Io(error)),
            }
        }
        if self.sent == self.outgoing.len() {
            self.outgoing.clear();
            self.sent = 0;
        }
        transport.flush()?;
        Ok(())
    }

    fn pending_writes(&self) -> bool {
        self.sent < self.outgoing.len()
    }
}
