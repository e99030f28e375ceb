//! The byte pipe under a WebSocket: a non-blocking mio [`TcpStream`], plain or wrapped in a
//! rustls [`ClientConnection`] that we drive ourselves (no `rustls::Stream`: its `complete_io`
//! loops are written for blocking sockets).
//!
//! Every call returns `ErrorKind::WouldBlock` instead of waiting.

use std::io::{self, Read, Write};

use mio::net::TcpStream;
use rustls::ClientConnection;

use super::error::WsError;

/// A connected (or connecting) socket with optional TLS.
pub(crate) struct Transport {
    /// The socket, registered with the owner's `mio::Poll`.
    pub socket: TcpStream,
    /// The TLS session for `wss://`; `None` for `ws://`.
    tls: Option<ClientConnection>,
}

impl Transport {
    /// Wraps a socket; `tls` is the session to run over it, if any.
    pub fn new(socket: TcpStream, tls: Option<ClientConnection>) -> Transport {
        Transport { socket, tls }
    }

    /// Advances the TLS handshake as far as the socket allows. True once it is complete (at
    /// once for plain TCP).
    pub fn drive_tls_handshake(&mut self) -> Result<bool, WsError> {
        let Some(tls) = &mut self.tls else { return Ok(true) };
        loop {
            while tls.wants_write() {
                match tls.write_tls(&mut self.socket) {
                    Ok(_) => {}
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(error) => return Err(WsError::Io(error)),
                }
            }
            if !tls.is_handshaking() {
                return Ok(true);
            }
            match tls.read_tls(&mut self.socket) {
                Ok(0) => return Err(WsError::Eof),
                Ok(_) => {
                    if let Err(error) = tls.process_new_packets() {
                        // Best effort: tell the server why (the alert is queued by rustls).
                        let _ = tls.write_tls(&mut self.socket);
                        return Err(WsError::Tls(error));
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(WsError::Io(error)),
            }
        }
    }

    /// Reads application bytes into `buffer`. `Ok(0)` is the end of the stream (TCP FIN or TLS
    /// close_notify); `WouldBlock` means nothing is available now.
    pub fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let Some(tls) = &mut self.tls else { return self.socket.read(buffer) };
        loop {
            match tls.reader().read(buffer) {
                Ok(count) => return Ok(count),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                // The peer closed TCP without close_notify: the stream simply ended.
                Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(error) => return Err(error),
            }
            match tls.read_tls(&mut self.socket) {
                Ok(0) => return Ok(0),
                Ok(_) => {
                    tls.process_new_packets().map_err(io::Error::other)?;
                }
                Err(error) => return Err(error),
            }
            // Key updates and alerts produced while reading go out now, best effort.
            if tls.wants_write() {
                Self::flush_tls(tls, &mut self.socket)?;
            }
        }
    }

    /// Writes application bytes: straight to the socket, or into the TLS session's buffer and
    /// then as far towards the socket as it takes. Returns how many bytes were taken.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let Some(tls) = &mut self.tls else { return self.socket.write(bytes) };
        let taken = tls.writer().write(bytes)?;
        Self::flush_tls(tls, &mut self.socket)?;
        if taken == 0 && !bytes.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(taken)
    }

    /// Pushes encrypted records still held by the TLS session to the socket. True when
    /// nothing is left (always true for plain TCP).
    pub fn flush(&mut self) -> io::Result<bool> {
        match &mut self.tls {
            Some(tls) => Self::flush_tls(tls, &mut self.socket),
            None => Ok(true),
        }
    }

    /// True while the TLS session holds records not yet written to the socket.
    pub fn wants_write(&self) -> bool {
        self.tls.as_ref().is_some_and(|tls| tls.wants_write())
    }

    fn flush_tls(tls: &mut ClientConnection, socket: &mut TcpStream) -> io::Result<bool> {
        while tls.wants_write() {
            match tls.write_tls(socket) {
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(true)
    }

    /// Queues a TLS close_notify (if TLS) and pushes what it can; never waits.
    pub fn shutdown(&mut self) {
        if let Some(tls) = &mut self.tls {
            tls.send_close_notify();
            let _ = Self::flush_tls(tls, &mut self.socket);
        }
        let _ = self.socket.shutdown(std::net::Shutdown::Write);
    }
}

/// The stream tungstenite's client handshake runs over: the transport, plus a record of every
/// byte it read, so that bytes past the HTTP response (the first frames, when the server sends
/// them in the same segment) are handed back to our framer instead of being lost inside
/// tungstenite's own buffer.
pub(crate) struct HandshakeIo {
    /// The transport being upgraded.
    pub transport: Transport,
    /// Every byte read during the handshake, in order.
    pub read: Vec<u8>,
}

impl HandshakeIo {
    /// The transport and the bytes read after the end of the HTTP response header.
    pub fn finish(self) -> (Transport, Vec<u8>) {
        let tail = match self.read.windows(4).position(|window| window == b"\r\n\r\n") {
            Some(end) => self.read[end + 4..].to_vec(),
            None => Vec::new(),
        };
        (self.transport, tail)
    }
}

impl Read for HandshakeIo {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        self.transport.flush()?;
        let count = self.transport.read(buffer)?;
        self.read.extend_from_slice(&buffer[..count]);
        Ok(count)
    }
}

impl Write for HandshakeIo {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.transport.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.transport.flush()? {
            true => Ok(()),
            false => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}
