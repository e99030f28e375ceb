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

/// A response: status and body.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

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
    parse_response(&raw).map_err(|reason| HttpError::Malformed { url: url.to_owned(), reason })
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

/// Status line, headers, then the body by its framing.
fn parse_response(raw: &[u8]) -> Result<Response, &'static str> {
    let end = raw.windows(4).position(|window| window == b"\r\n\r\n").ok_or("no end of headers")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "headers are not UTF-8")?;
    let body = &raw[end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("no status line")?;
    let mut parts = status_line.split(' ');
    if !parts.next().is_some_and(|version| version.starts_with("HTTP/1.")) {
        return Err("not HTTP/1.x");
    }
    let status: u16 = parts.next().and_then(|code| code.parse().ok()).ok_or("no status code")?;
    let (mut chunked, mut length) = (false, None);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
            chunked = true;
        } else if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().map_err(|_| "bad Content-Length")?);
        }
    }
    let body = if chunked {
        dechunk(body)?
    } else if let Some(length) = length {
        body.get(..length).ok_or("body shorter than Content-Length")?.to_vec()
    } else {
        body.to_vec()
    };
    Ok(Response { status, body })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut body = Vec::with_capacity(data.len());
    loop {
        let line_end = data.windows(2).position(|window| window == b"\r\n").ok_or("truncated chunk size")?;
        let size_text = std::str::from_utf8(&data[..line_end]).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(data.get(..size).ok_or("truncated chunk")?);
        data = data.get(size + 2..).ok_or("truncated chunk")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_by_their_framing() {
        let plain = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}xx").unwrap();
        assert_eq!((plain.status, plain.body.as_slice()), (200, &b"{}"[..]));
        let chunked =
            parse_response(b"HTTP/1.1 429 Too Many\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n2;x=1\r\n\"}\r\n0\r\n\r\n").unwrap();
        assert_eq!((chunked.status, chunked.body.as_slice()), (429, &b"{\"a\"}"[..]));
        assert!(parse_response(b"garbage").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err());
        let target = parse_url("http://127.0.0.1:8080/fapi/v1/depth?symbol=BTCUSDT").unwrap();
        assert_eq!(
            (target.host, target.port, target.path, target.tls),
            ("127.0.0.1", 8080, "/fapi/v1/depth?symbol=BTCUSDT", false)
        );
        assert_eq!(parse_url("https://fapi.binance.com").map(|t| (t.port, t.path)), Some((443, "/")));
        assert!(parse_url("ftp://x").is_none());
    }
}
