//! The network errors: [`ConfigError`] (bad settings, at start-up), [`WsError`] (one
//! connection failed; the manager reconnects) and [`StreamError`] (the manager itself cannot go
//! on).

use std::io;
use std::path::PathBuf;

use super::endpoint::EndpointError;

/// A [`StreamConfig`](super::StreamConfig) that cannot be used. Fix the config; retrying will
/// not help.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The TOML does not parse or has unknown fields.
    #[error("stream config: {0}")]
    Toml(String),
    /// A value out of range.
    #[error("stream config: {field} {why}")]
    Invalid {
        /// The offending field.
        field: &'static str,
        /// What it must be.
        why: &'static str,
    },
    /// The URL is not a WebSocket URL.
    #[error("stream config: {0}")]
    Endpoint(#[from] EndpointError),
    /// The PEM root file cannot be read or holds no usable certificate.
    #[error("stream config: TLS roots {path}: {why}", path = path.display())]
    Pem {
        /// The file named by `tls_roots`.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
    /// rustls refused the configuration.
    #[error("stream config: TLS: {0}")]
    Tls(String),
}

/// Why one WebSocket connection failed. Every variant ends the connection; the
/// [`MarketStream`](super::MarketStream) counts it as a failed attempt or a disconnect and
/// reconnects.
#[derive(Debug, thiserror::Error)]
pub enum WsError {
    /// The host name did not resolve.
    #[error("resolving {authority}: {source}")]
    Resolve {
        /// `host:port`.
        authority: String,
        /// The resolver's error.
        source: io::Error,
    },
    /// The TCP connection failed (refused, unreachable).
    #[error("connecting: {0}")]
    Connect(io::Error),
    /// TCP + TLS + WebSocket handshake took longer than `connect_timeout_ms`.
    #[error("connect and handshake timed out")]
    Timeout,
    /// The TLS layer failed (certificate, alert, protocol).
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// The server answered the upgrade with another status than 101 (e.g. 503).
    #[error("upgrade rejected with HTTP {status}")]
    Rejected {
        /// The HTTP status code.
        status: u16,
    },
    /// The WebSocket upgrade failed otherwise (bad response, bad accept key).
    #[error("WebSocket handshake: {0}")]
    Handshake(String),
    /// Reading or writing the socket failed.
    #[error("socket: {0}")]
    Io(#[from] io::Error),
    /// The peer closed the TCP connection without a close frame.
    #[error("connection closed by the peer without a close frame")]
    Eof,
    /// The peer broke RFC 6455 framing.
    #[error("WebSocket protocol: {0}")]
    Protocol(&'static str),
    /// A message larger than `max_message_bytes`.
    #[error("message of {size} bytes exceeds the limit")]
    MessageTooLarge {
        /// Its announced or reassembled size.
        size: u64,
    },
    /// `send_text` before the connection is open, or after it closed.
    #[error("the connection is not open")]
    NotOpen,
}

/// The connection manager cannot go on (the poller itself failed). Connection failures are
/// not [`StreamError`]s: they are reported as [`StreamEvent`](super::StreamEvent)s and retried.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `epoll` (mio `Poll`) failed.
    #[error("polling the sockets: {0}")]
    Poll(io::Error),
}
