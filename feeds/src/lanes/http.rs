//! A minimal HTTP/1.1 `GET` for the REST lanes.
//!
//! Why not hyper or reqwest: the lanes make one small GET every few seconds to one host, and
//! `Connection: close` with a body read to the end (plain, `Content-Length` or chunked) is all
//! that takes; TLS comes from `tokio-rustls`, already in the build for the WebSocket lanes. Two
//! more dependency trees for that were not worth their build time on our 2-core machines.

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Why a GET failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The URL is not `http(s)://host[:port]/path`.
    #[error("bad URL {0:?}")]
    Url(String),
    /// Connecting, TLS, writing or reading failed.
    #[error("{url}: {message}")]
    Io {
        /// The URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// No complete answer within the timeout.
    #[error("{0}: timed out")]
    Timeout(String),
    /// The answer is not HTTP/1.x.
    #[error("{url}: malformed response: {reason}")]
    Malformed {
        /// The URL.
        url: String,
        /// What is wrong.
        reason: &'static str,
    },
}

pub(crate) use crate::http_response::HttpResponse as Response;

struct Target<'a> {
    tls: bool,
    host: &'a str,
    port: u16,
    path: &'a str,
}

fn parse_url(url: &str) -> Option<Target<'_>> {
    let (tls, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else {
        (false, url.strip_prefix("http://")?)
    };
    let (authority, path) = rest.find('/').map_or((rest, "/"), |slash| (&rest[..slash], &rest[slash..]));
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().ok()?),
        None => (authority, if tls { 443 } else { 80 }),
    };
    (!host.is_empty()).then_some(Target { tls, host, port, path })
}

/// `GET url` within `timeout`.
pub(crate) async fn get(
    url: &str,
    timeout: Duration,
    tls: &Arc<ClientConfig>,
) -> Result<Response, HttpError> {
    match tokio::time::timeout(timeout, get_unbounded(url, tls)).await {
        Ok(result) => result,
        Err(_) => Err(HttpError::Timeout(url.to_owned())),
    }
}

async fn get_unbounded(url: &str, tls: &Arc<ClientConfig>) -> Result<Response, HttpError> {
    let target = parse_url(url).ok_or_else(|| HttpError::Url(url.to_owned()))?;
    let io = |error: std::io::Error| HttpError::Io { url: url.to_owned(), message: error.to_string() };
    let stream = TcpStream::connect((target.host, target.port)).await.map_err(io)?;
    stream.set_nodelay(true).map_err(io)?;
    let raw = if target.tls {
        let name =
            ServerName::try_from(target.host.to_owned()).map_err(|_| HttpError::Url(url.to_owned()))?;
        let stream =
            tokio_rustls::TlsConnector::from(Arc::clone(tls)).connect(name, stream).await.map_err(io)?;
        exchange(stream, &target).await.map_err(io)?
    } else {
        exchange(stream, &target).await.map_err(io)?
    };
    crate::http_response::parse(&raw).map_err(|reason| HttpError::Malformed { url: url.to_owned(), reason })
}

async fn exchange(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    target: &Target<'_>,
) -> std::io::Result<Vec<u8>> {
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: halcyon\r\nAccept: application/json\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n",
        target.path, target.host
    );
    stream.write_all(request.as_bytes()).await?;
    stream.flush().await?;
    let mut raw = Vec::with_capacity(64 * 1024);
    match stream.read_to_end(&mut raw).await {
        Ok(_) => Ok(raw),
        // A TLS peer that closes without close_notify: the body is judged by its framing.
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => Ok(raw),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let target = parse_url("http://127.0.0.1:8080/fapi/v1/depth?symbol=BTCUSDT").unwrap();
        assert_eq!(
            (target.host, target.port, target.path, target.tls),
            ("127.0.0.1", 8080, "/fapi/v1/depth?symbol=BTCUSDT", false)
        );
        assert_eq!(parse_url("https://fapi.binance.com").map(|t| (t.port, t.path)), Some((443, "/")));
        assert!(parse_url("ftp://x").is_none());
    }
}
