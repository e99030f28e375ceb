//! What the WebSocket lanes share: one connection attempt (TLS, timeout, shutdown), the wait
//! before the next with the hot feed's jittered backoff ([`Backoff`]), and what a received
//! message means.

use super::rest::pause;
use super::stats::LaneStats;
use super::wall_clock;
use crate::net::Backoff;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

/// Connect (TCP + TLS + WebSocket handshake) must finish within this.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An open lane connection.
pub(crate) type LaneSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The backoff of a lane: full jitter between 0 and a cap doubling from `min_ms` to `max_ms`,
/// seeded from the wall clock (jitter needs no more).
pub(crate) fn backoff(min_ms: u64, max_ms: u64) -> Backoff {
    let seed = u64::try_from(wall_clock().0).unwrap_or(1);
    Backoff::new(Duration::from_millis(min_ms), Duration::from_millis(max_ms), seed)
}

/// One connection attempt to `url`: `None` if shut down meanwhile, else the socket or why there
/// is none (the URL named).
pub(crate) async fn connect(
    url: &str,
    tls: &Arc<rustls::ClientConfig>,
    shutdown: &mut watch::Receiver<bool>,
) -> Option<Result<LaneSocket, String>> {
    let connect = tokio_tungstenite::connect_async_tls_with_config(
        url,
        None,
        true,
        Some(Connector::Rustls(Arc::clone(tls))),
    );
    let connected = tokio::select! {
        result = tokio::time::timeout(CONNECT_TIMEOUT, connect) => result,
        _ = shutdown.changed() => return None,
    };
    Some(match connected {
        Ok(Ok((socket, _))) => Ok(socket),
        Ok(Err(error)) => Err(format!("{url}: connect: {error}")),
        Err(_) => Err(format!("{url}: connect timed out")),
    })
}

/// After a session ended (or an attempt failed): counts the reconnect and waits the next
/// backoff delay; false if shut down.
pub(crate) async fn before_reconnect(
    stats: &LaneStats,
    backoff: &mut Backoff,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    if *shutdown.borrow() {
        return false;
    }
    stats.reconnecting();
    let (_, delay) = backoff.next_delay();
    pause(delay, shutdown).await
}

/// What a message read from a lane's socket means: its payload (copied, to be decoded in
/// place), nothing to handle (a ping, a pong), or the end of the session, with why.
pub(crate) fn payload(message: Option<Result<Message, Error>>) -> Result<Option<Vec<u8>>, String> {
    match message {
        None => Err("connection closed".to_owned()),
        Some(Err(error)) => Err(error.to_string()),
        Some(Ok(Message::Text(text))) => Ok(Some(text.as_bytes().to_vec())),
        Some(Ok(Message::Binary(bytes))) => Ok(Some(bytes.to_vec())),
        Some(Ok(Message::Close(_))) => Err("closed by the server".to_owned()),
        Some(Ok(_)) => Ok(None),
    }
}
