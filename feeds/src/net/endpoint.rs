//! Where a WebSocket connection goes: [`Endpoint`], parsed from a `ws://` or `wss://` URL.
//!
//! Only what the client needs is kept: whether TLS is used, the host (for DNS, SNI and the
//! `Host` header), the port (80/443 when absent) and the request target (path and query).
//! User info, fragments and anything but the two WebSocket schemes are errors
//! (RFC 6455 §3: "Fragment identifiers are meaningless in the context of WebSocket URIs").

use std::fmt;

/// A parsed WebSocket URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    secure: bool,
    host: String,
    port: u16,
    target: String,
}

/// Why a URL is not a usable WebSocket endpoint. The message names the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid WebSocket URL {url:?}: {kind}")]
pub struct EndpointError {
    url: String,
    kind: EndpointErrorKind,
}

impl EndpointError {
    /// What is wrong with the URL.
    pub fn kind(&self) -> &EndpointErrorKind {
        &self.kind
    }
}

/// The ways a URL can fail to be a WebSocket endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointErrorKind {
    /// The scheme is neither `ws` nor `wss` (or missing).
    #[error("the scheme must be ws:// or wss://")]
    Scheme,
    /// Nothing between the scheme and the path.
    #[error("the host is empty")]
    EmptyHost,
    /// `user:password@` is not supported.
    #[error("user info (user@host) is not supported")]
    UserInfo,
    /// The port is not a number in 1..=65535.
    #[error("the port is not a number in 1..=65535")]
    Port,
    /// A `[` IPv6 literal without its `]`.
    #[error("an IPv6 host must be written [address]")]
    Ipv6Brackets,
    /// A `#fragment` (RFC 6455 §3 forbids them).
    #[error("fragments (#...) are not allowed in WebSocket URLs")]
    Fragment,
    /// Whitespace or control characters.
    #[error("the URL contains whitespace or control characters")]
    Characters,
}

impl Endpoint {
    /// Parses `ws://host[:port][/path][?query]` or `wss://...`.
    ///
    /// ```
    /// # use feeds::net::Endpoint;
    /// let endpoint = Endpoint::parse("wss://fstream.binance.com/stream?streams=btcusdt@bookTicker").unwrap();
    /// assert!(endpoint.is_secure());
    /// assert_eq!(endpoint.host(), "fstream.binance.com");
    /// assert_eq!(endpoint.port(), 443);
    /// assert_eq!(endpoint.target(), "/stream?streams=btcusdt@bookTicker");
    /// ```
    pub fn parse(url: &str) -> Result<Endpoint, EndpointError> {
        let fail = |kind| EndpointError { url: url.to_owned(), kind };
        if url.bytes().any(|byte| byte.is_ascii_whitespace() || byte.is_ascii_control()) {
            return Err(fail(EndpointErrorKind::Characters));
        }
        if url.contains('#') {
            return Err(fail(EndpointErrorKind::Fragment));
        }
        let (secure, rest) = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("ws") => (false, rest),
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("wss") => (true, rest),
            _ => return Err(fail(EndpointErrorKind::Scheme)),
        };
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(authority_end);
        if authority.contains('@') {
            return Err(fail(EndpointErrorKind::UserInfo));
        }
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (host, after) =
                bracketed.split_once(']').ok_or_else(|| fail(EndpointErrorKind::Ipv6Brackets))?;
            match after {
                "" => (host, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return Err(fail(EndpointErrorKind::Ipv6Brackets)),
                },
            }
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(fail(EndpointErrorKind::EmptyHost));
        }
        let port = match port {
            None => {
                if secure {
                    443
                } else {
                    80
                }
            }
            Some(text) => match text.parse::<u16>() {
                Ok(port) if port != 0 && text.bytes().all(|byte| byte.is_ascii_digit()) => port,
                _ => return Err(fail(EndpointErrorKind::Port)),
            },
        };
        let target = match target {
            "" => "/".to_owned(),
            query if query.starts_with('?') => format!("/{query}"),
            path => path.to_owned(),
        };
        Ok(Endpoint { secure, host: host.to_owned(), port, target })
    }

    /// True for `wss://` (TLS).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The host name or IP address, without IPv6 brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The TCP port (default 80 for `ws`, 443 for `wss`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The request target: path and query, always starting with `/`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// `host:port` as a socket address string (IPv6 hosts bracketed), for DNS resolution.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.secure { "wss" } else { "ws" };
        write!(formatter, "{scheme}://{}{}", self.authority(), self.target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Synthetic URLs: the parser's cases, table-driven.
    #[test]
    fn parses_the_forms_a_config_may_hold() {
        // TC0: Binance combined stream, default TLS port.
        let endpoint =
            Endpoint::parse("wss://fstream.binance.com/stream?streams=btcusdt@depth@0ms/btcusdt@trade")
                .unwrap();
        assert_eq!(
            (endpoint.is_secure(), endpoint.host(), endpoint.port()),
            (true, "fstream.binance.com", 443)
        );
        assert_eq!(endpoint.target(), "/stream?streams=btcusdt@depth@0ms/btcusdt@trade");
        // TC1: loopback with a port and no path.
        let endpoint = Endpoint::parse("ws://127.0.0.1:9443").unwrap();
        assert_eq!(
            (endpoint.is_secure(), endpoint.host(), endpoint.port(), endpoint.target()),
            (false, "127.0.0.1", 9443, "/")
        );
        // TC2: query without a path.
        assert_eq!(Endpoint::parse("ws://h?x=1").unwrap().target(), "/?x=1");
        // TC3: IPv6 literal.
        let endpoint = Endpoint::parse("ws://[::1]:8080/ws").unwrap();
        assert_eq!(
            (endpoint.host(), endpoint.port(), endpoint.authority()),
            ("::1", 8080, "[::1]:8080".to_owned())
        );
        // TC4: scheme case is ignored.
        assert!(Endpoint::parse("WSS://h/").unwrap().is_secure());
        assert_eq!(Endpoint::parse("ws://h:1/a").unwrap().to_string(), "ws://h:1/a");
    }

    #[test]
    fn rejects_what_is_not_a_websocket_url() {
        let cases = [
            ("https://h/", EndpointErrorKind::Scheme),
            ("h:80/x", EndpointErrorKind::Scheme),
            ("ws:///x", EndpointErrorKind::EmptyHost),
            ("ws://:80/x", EndpointErrorKind::EmptyHost),
            ("ws://u:p@h/", EndpointErrorKind::UserInfo),
            ("ws://h:0/", EndpointErrorKind::Port),
            ("ws://h:65536/", EndpointErrorKind::Port),
            ("ws://h:+80/", EndpointErrorKind::Port),
            ("ws://h:/", EndpointErrorKind::Port),
            ("ws://[::1/", EndpointErrorKind::Ipv6Brackets),
            ("ws://[::1]x/", EndpointErrorKind::Ipv6Brackets),
            ("ws://h/#top", EndpointErrorKind::Fragment),
            ("ws://h/a b", EndpointErrorKind::Characters),
        ];
        for (url, kind) in cases {
            let error = Endpoint::parse(url).unwrap_err();
            assert_eq!(error.kind(), &kind, "{url}");
            assert!(error.to_string().contains(url), "{error}");
        }
    }
}
