//! The rustls client configuration every lane uses: the `ring` provider and the webpki roots.

use rustls::ClientConfig;
use std::sync::Arc;

/// A client config with the ring provider explicitly (never the process default, so no
/// aws-lc-rs is ever needed) and Mozilla's roots from `webpki-roots`.
pub(crate) fn client_config() -> Result<Arc<ClientConfig>, rustls::Error> {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let config = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
