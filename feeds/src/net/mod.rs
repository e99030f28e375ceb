//! The hot network path (feature `net`): a WebSocket client for the pinned feed thread and the
//! connection manager around it.
//!
//! - [`Endpoint`]: a parsed `ws://` / `wss://` URL.
//! - [`WsClient`]: one non-blocking connection as an explicit state machine (TCP connect →
//!   TLS handshake → WebSocket upgrade → open), mio + rustls (ring) + tungstenite for the
//!   upgrade only. Lends each message as a mutable slice of its own read buffer.
//! - [`MarketStream`]: what the feed thread drives. Owns the `mio::Poll`, reconnects with
//!   [`Backoff`], replaces connections before the venue's 24 h cut (make-before-break), and
//!   reports through a [`StreamHandler`]. Configured by [`StreamConfig`].
//! - [`FrameTap`]: raw frames to a `<receive_ns> <frame>` file from a writer thread, fed
//!   through a lock-free queue of recycled buffers so the feed thread never waits on disk.
//!
//! ## Guarantees
//! - Nothing here blocks once connecting has started: every socket is non-blocking and every
//!   wait is bounded by the [`PollMode`]. Name resolution is the exception, and it is kept
//!   off the data path: [`MarketStream::new`] resolves the host on the caller's thread and
//!   reuses the address for reconnects and rollovers; only after a failed attempt (when
//!   nothing flows) does the next one resolve again, on the feed thread.
//! - Reading frames from an open plain connection allocates nothing once the buffers are warm;
//!   over TLS, rustls allocates per TLS record (see `tests/net.rs` for the measured counts).
//! - Connection trouble never panics and never ends the stream: it is an event, and the
//!   manager reconnects.

pub mod backoff;
pub mod client;
pub mod config;
pub mod endpoint;
pub mod error;
mod frame;
pub mod stream;
pub mod tap;
mod transport;

pub use backoff::Backoff;
pub use client::{ClientOptions, ClientPhase, ClientStats, ReadStatus, WsClient};
pub use config::{PollMode, StreamConfig, TlsRoots};
pub use endpoint::{Endpoint, EndpointError, EndpointErrorKind};
pub use error::{ConfigError, StreamError, WsError};
pub use stream::{ConnectionId, DisconnectReason, MarketStream, StreamEvent, StreamHandler, StreamStats};
pub use tap::{FrameTap, TapOptions, TapStats};
