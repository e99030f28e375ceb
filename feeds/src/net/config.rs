//! How a [`MarketStream`](super::MarketStream) connects, waits and recovers: [`StreamConfig`].
//!
//! Read from TOML (unknown fields are errors) or built in code from [`StreamConfig::new`].
//! Every field but `url` has a default, documented on the field.
//!
//! ```toml
//! url = "wss://fstream.binance.com/stream?streams=btcusdt@depth@0ms/btcusdt@bookTicker"
//! poll = "busy"
//! tls_roots = "webpki"            # or tls_roots = { pem = "/etc/halcyon/ca.pem" }
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::ClientConfig;
use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde::Deserialize;

use super::error::ConfigError;

/// How [`MarketStream::poll`](super::MarketStream::poll) waits for the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PollMode {
    /// Never sleep: poll the sockets with a zero timeout and return. For a pinned feed thread
    /// that owns its core.
    Busy,
    /// Sleep in `epoll_wait` until a socket is ready or `epoll_timeout_ms` (or the next
    /// deadline) passes. For shared cores.
    Epoll,
}

/// Which certificate authorities a `wss://` connection trusts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsRoots {
    /// The Mozilla root program, compiled in (`webpki-roots`).
    Webpki,
    /// Only the certificates in this PEM file (a private CA, a test CA).
    Pem(PathBuf),
}

/// The connection manager's settings. See the module docs for the TOML form.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamConfig {
    /// `ws://` or `wss://` URL, path and query included (Binance combined streams name their
    /// streams in the query).
    pub url: String,
    /// Busy polling or epoll sleeping. Default `busy`.
    #[serde(default = "defaults::poll")]
    pub poll: PollMode,
    /// Longest sleep of one `poll` call in `epoll` mode, in ms. Default 1.
    #[serde(default = "defaults::epoll_timeout_ms")]
    pub epoll_timeout_ms: u64,
    /// TCP connect + TLS + WebSocket handshake must finish within this, in ms. Default 5000.
    #[serde(default = "defaults::connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Cap of the first reconnect delay, in ms (the delay is drawn in `0..=cap`). Default 100.
    #[serde(default = "defaults::initial_backoff_ms")]
    pub initial_backoff_ms: u64,
    /// The cap doubles per failed attempt up to this, in ms. Default 30000.
    #[serde(default = "defaults::max_backoff_ms")]
    pub max_backoff_ms: u64,
    /// A connection that stayed open this long, in ms, resets the backoff. Default 60000.
    #[serde(default = "defaults::healthy_after_ms")]
    pub healthy_after_ms: u64,
    /// An open connection with no message for this long, in ms, is dropped. Default 10000
    /// (Binance book tickers arrive many times a second).
    #[serde(default = "defaults::stale_after_ms")]
    pub stale_after_ms: u64,
    /// Age, in seconds, at which a connection is replaced make-before-break. Default 84600
    /// (23 h 30 min: Binance closes every connection after 24 h). Fractions are allowed.
    #[serde(default = "defaults::rollover_after_s")]
    pub rollover_after_s: f64,
    /// Trusted roots for `wss://`. Default `webpki`.
    #[serde(default = "defaults::tls_roots")]
    pub tls_roots: TlsRoots,
    /// Seed of the backoff jitter and of the frame masks: the same seed gives the same delays.
    /// Default 0.
    #[serde(default)]
    pub backoff_seed: u64,
    /// Text messages sent on every connection as soon as it is open (subscriptions for venues
    /// that do not take them in the URL). Default none.
    #[serde(default)]
    pub subscribe: Vec<String>,
    /// Initial read buffer per connection, in bytes. Default 262144.
    #[serde(default = "defaults::read_buffer_bytes")]
    pub read_buffer_bytes: usize,
    /// Largest accepted message, in bytes; a larger one drops the connection. Default 16 MiB.
    #[serde(default = "defaults::max_message_bytes")]
    pub max_message_bytes: usize,
}

mod defaults {
    use super::{PollMode, TlsRoots};

    pub fn poll() -> PollMode {
        PollMode::Busy
    }
    pub fn epoll_timeout_ms() -> u64 {
        1
    }
    pub fn connect_timeout_ms() -> u64 {
        5_000
    }
    pub fn initial_backoff_ms() -> u64 {
        100
    }
    pub fn max_backoff_ms() -> u64 {
        30_000
    }
    pub fn healthy_after_ms() -> u64 {
        60_000
    }
    pub fn stale_after_ms() -> u64 {
        10_000
    }
    pub fn rollover_after_s() -> f64 {
        84_600.0
    }
    pub fn tls_roots() -> TlsRoots {
        TlsRoots::Webpki
    }
    pub fn read_buffer_bytes() -> usize {
        256 * 1024
    }
    pub fn max_message_bytes() -> usize {
        16 * 1024 * 1024
    }
}

impl StreamConfig {
    /// The defaults for `url`.
    pub fn new(url: impl Into<String>) -> StreamConfig {
        StreamConfig {
            url: url.into(),
            poll: defaults::poll(),
            epoll_timeout_ms: defaults::epoll_timeout_ms(),
            connect_timeout_ms: defaults::connect_timeout_ms(),
            initial_backoff_ms: defaults::initial_backoff_ms(),
            max_backoff_ms: defaults::max_backoff_ms(),
            healthy_after_ms: defaults::healthy_after_ms(),
            stale_after_ms: defaults::stale_after_ms(),
            rollover_after_s: defaults::rollover_after_s(),
            tls_roots: defaults::tls_roots(),
            backoff_seed: 0,
            subscribe: Vec::new(),
            read_buffer_bytes: defaults::read_buffer_bytes(),
            max_message_bytes: defaults::max_message_bytes(),
        }
    }

    /// Parses a TOML table.
    pub fn from_toml(text: &str) -> Result<StreamConfig, ConfigError> {
        toml::from_str(text).map_err(|error| ConfigError::Toml(error.to_string()))
    }

    /// Checks the values that serde cannot: durations in order, sizes non-zero.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field: &'static str, why: &'static str| Err(ConfigError::Invalid { field, why });
        if self.connect_timeout_ms == 0 {
            return invalid("connect_timeout_ms", "must be positive");
        }
        if self.initial_backoff_ms == 0 {
            return invalid("initial_backoff_ms", "must be positive");
        }
        if self.max_backoff_ms < self.initial_backoff_ms {
            return invalid("max_backoff_ms", "must be at least initial_backoff_ms");
        }
        if self.stale_after_ms == 0 {
            return invalid("stale_after_ms", "must be positive");
        }
        if !(self.rollover_after_s.is_finite() && self.rollover_after_s > 0.0 && self.rollover_after_s < 1e9)
        {
            return invalid("rollover_after_s", "must be a positive number of seconds");
        }
        if self.read_buffer_bytes < 1024 {
            return invalid("read_buffer_bytes", "must be at least 1024");
        }
        if self.max_message_bytes < self.read_buffer_bytes {
            return invalid("max_message_bytes", "must be at least read_buffer_bytes");
        }
        Ok(())
    }

    /// The rollover age as a duration.
    pub fn rollover_after(&self) -> Duration {
        Duration::from_secs_f64(self.rollover_after_s)
    }

    /// The rustls client configuration for `tls_roots` (ring provider, TLS 1.2 and 1.3).
    /// Reads the PEM file if there is one.
    pub fn tls_client_config(&self) -> Result<Arc<ClientConfig>, ConfigError> {
        let mut roots = RootCertStore::empty();
        match &self.tls_roots {
            TlsRoots::Webpki => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            TlsRoots::Pem(path) => {
                let pem_error = |why: String| ConfigError::Pem { path: path.clone(), why };
                let pem = std::fs::read(path).map_err(|error| pem_error(error.to_string()))?;
                for certificate in CertificateDer::pem_slice_iter(&pem) {
                    let certificate = certificate.map_err(|error| pem_error(error.to_string()))?;
                    roots.add(certificate).map_err(|error| pem_error(error.to_string()))?;
                }
                if roots.is_empty() {
                    return Err(pem_error("no certificate in the file".to_owned()));
                }
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| ConfigError::Tls(error.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_defaults_and_unknown_fields() {
        let config = StreamConfig::from_toml("url = \"ws://127.0.0.1:1/\"").unwrap();
        assert_eq!(config, StreamConfig::new("ws://127.0.0.1:1/"));
        assert_eq!(config.rollover_after(), Duration::from_secs(23 * 3600 + 1800));
        config.validate().unwrap();
        let config = StreamConfig::from_toml(
            "url = \"ws://h/\"\npoll = \"epoll\"\ntls_roots = { pem = \"/x.pem\" }\nrollover_after_s = 0.25",
        )
        .unwrap();
        assert_eq!(config.poll, PollMode::Epoll);
        assert_eq!(config.tls_roots, TlsRoots::Pem("/x.pem".into()));
        assert_eq!(config.rollover_after(), Duration::from_millis(250));
        assert!(
            StreamConfig::from_toml("url = \"ws://h/\"\nreconnect = 1")
                .unwrap_err()
                .to_string()
                .contains("reconnect")
        );
        let mut config = StreamConfig::new("ws://h/");
        config.max_backoff_ms = 1;
        assert!(config.validate().unwrap_err().to_string().contains("max_backoff_ms"));
    }

    #[test]
    fn webpki_roots_build_a_client_config() {
        StreamConfig::new("wss://h/").tls_client_config().unwrap();
        let mut config = StreamConfig::new("wss://h/");
        config.tls_roots = TlsRoots::Pem("/nonexistent/ca.pem".into());
        assert!(config.tls_client_config().unwrap_err().to_string().contains("/nonexistent/ca.pem"));
    }
}
