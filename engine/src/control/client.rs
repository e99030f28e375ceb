//! A small blocking HTTP/1.1 client for the control API (`halcyon ctl`).
//!
//! Hand-written over `std::net::TcpStream` rather than a crate such as `ureq`: the control API
//! is plain HTTP on loopback (no TLS to negotiate), `ctl` sends one request per process with
//! `Connection: close`, and the answers are small JSON bodies with a `Content-Length` (chunked
//! bodies are decoded too). That is ~150 lines against another dependency tree in the build.

use super::Command;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The largest response read (the metrics text of a few instruments is ~20 KB).
const MAX_RESPONSE_BYTES: usize = 8 << 20;

/// Why a request did not get an HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL is not `http://host[:port][/prefix]`.
    #[error("bad control URL {url:?}: {reason}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Nothing answered at the address.
    #[error("cannot reach the engine at {url}: {source} (is it running with [control] enabled?)")]
    Unreachable {
        /// The URL.
        url: String,
        /// Why.
        source: std::io::Error,
    },
    /// The connection broke or timed out mid-request.
    #[error("talking to the engine at {url}: {source}")]
    Io {
        /// The URL.
        url: String,
        /// Why.
        source: std::io::Error,
    },
    /// The answer was not HTTP/1.x.
    #[error("the engine at {url} answered something that is not HTTP: {reason}")]
    Malformed {
        /// The URL.
        url: String,
        /// What was wrong.
        reason: &'static str,
    },
}

/// Where the control API is: `http://host:port` plus an optional path prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The URL as given (for messages).
    pub url: String,
    /// Host name or address.
    pub host: String,
    /// Port (80 when the URL has none).
    pub port: u16,
    /// Path prefix without a trailing slash (`""` for none).
    pub prefix: String,
}

impl Endpoint {
    /// Parses `http://host[:port][/prefix]` (IPv6 hosts in brackets).
    pub fn parse(url: &str) -> Result<Endpoint, ClientError> {
        let bad = |reason| ClientError::BadUrl { url: url.to_owned(), reason };
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| bad("only http:// is supported (the control API is plain HTTP on loopback)"))?;
        let (authority, prefix) = match rest.find('/') {
            Some(slash) => (&rest[..slash], rest[slash..].trim_end_matches('/')),
            None => (rest, ""),
        };
        if authority.is_empty() {
            return Err(bad("no host"));
        }
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let close = bracketed.find(']').ok_or_else(|| bad("unclosed [ in the host"))?;
            let host = &bracketed[..close];
            match &bracketed[close + 1..] {
                "" => (host, 80),
                port => (
                    host,
                    port.strip_prefix(':')
                        .and_then(|port| port.parse().ok())
                        .ok_or_else(|| bad("bad port"))?,
                ),
            }
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, port.parse().map_err(|_| bad("bad port"))?),
                None => (authority, 80),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        Ok(Endpoint { url: url.to_owned(), host: host.to_owned(), port, prefix: prefix.to_owned() })
    }
}

/// An HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Body, as text (lossy UTF-8).
    pub body: String,
}

/// A blocking client for one control endpoint.
#[derive(Clone, Debug)]
pub struct ControlClient {
    endpoint: Endpoint,
    token: Option<String>,
    timeout: Duration,
}

impl ControlClient {
    /// A client for `endpoint`, sending `token` as a bearer token when given; `timeout`
    /// bounds connecting and each read and write.
    pub fn new(endpoint: Endpoint, token: Option<String>, timeout: Duration) -> ControlClient {
        ControlClient { endpoint, token, timeout }
    }

    /// Sends `command` (`GET /status`, `POST /<command>`) and returns the answer.
    pub fn send(&self, command: Command) -> Result<HttpResponse, ClientError> {
        let method = if command.mutates() { "POST" } else { "GET" };
        self.request(method, &format!("/{}", command.name()))
    }

    /// `GET /metrics`.
    pub fn metrics(&self) -> Result<HttpResponse, ClientError> {
        self.request("GET", "/metrics")
    }

    /// One request on a fresh connection.
    pub fn request(&self, method: &str, path: &str) -> Result<HttpResponse, ClientError> {
        let endpoint = &self.endpoint;
        let url = format!("{}{path}", endpoint.url.trim_end_matches('/'));
        let io = |source| ClientError::Io { url: url.clone(), source };
        let mut stream = self.connect(&url)?;
        stream.set_read_timeout(Some(self.timeout)).map_err(io)?;
        stream.set_write_timeout(Some(self.timeout)).map_err(io)?;

        let host =
            if endpoint.host.contains(':') { format!("[{}]", endpoint.host) } else { endpoint.host.clone() };
        let mut head = format!(
            "{method} {}{path} HTTP/1.1\r\nHost: {host}:{}\r\nUser-Agent: halcyon-ctl\r\nAccept: */*\r\nConnection: close\r\nContent-Length: 0\r\n",
            endpoint.prefix, endpoint.port
        );
        if let Some(token) = &self.token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).map_err(io)?;

        let mut raw = Vec::with_capacity(4096);
        stream.take(MAX_RESPONSE_BYTES as u64).read_to_end(&mut raw).map_err(io)?;
        parse_response(&raw).map_err(|reason| ClientError::Malformed { url, reason })
    }

    fn connect(&self, url: &str) -> Result<TcpStream, ClientError> {
        let unreachable = |source| ClientError::Unreachable { url: url.to_owned(), source };
        let addresses =
            (self.endpoint.host.as_str(), self.endpoint.port).to_socket_addrs().map_err(unreachable)?;
        let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "the host resolves to no address");
        for address in addresses {
            match TcpStream::connect_timeout(&address, self.timeout) {
                Ok(stream) => return Ok(stream),
                Err(error) => last = error,
            }
        }
        Err(unreachable(last))
    }
}

/// The response of `raw`, its body as text.
fn parse_response(raw: &[u8]) -> Result<HttpResponse, &'static str> {
    let response = feeds::http_response::parse(raw)?;
    Ok(HttpResponse { status: response.status, body: String::from_utf8_lossy(&response.body).into_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        // TC0: host and port.
        let endpoint = Endpoint::parse("http://127.0.0.1:9464").expect("valid");
        assert_eq!(
            (endpoint.host.as_str(), endpoint.port, endpoint.prefix.as_str()),
            ("127.0.0.1", 9464, "")
        );
        // TC1: a path prefix (behind a reverse proxy), trailing slash dropped.
        let endpoint = Endpoint::parse("http://localhost/halcyon/").expect("valid");
        assert_eq!(
            (endpoint.host.as_str(), endpoint.port, endpoint.prefix.as_str()),
            ("localhost", 80, "/halcyon")
        );
        // TC2: IPv6.
        let endpoint = Endpoint::parse("http://[::1]:9464").expect("valid");
        assert_eq!((endpoint.host.as_str(), endpoint.port), ("::1", 9464));
        // TC3..: refused.
        for bad in ["https://127.0.0.1:9464", "127.0.0.1:9464", "http://", "http://host:port", "http://[::1"]
        {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn responses_as_text() {
        let plain = parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}").expect("parses");
        assert_eq!((plain.status, plain.body.as_str()), (200, "{}"));
        assert!(parse_response(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
    }
}
