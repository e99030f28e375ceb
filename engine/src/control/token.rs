//! The control API's bearer token: where it comes from, how it is generated and stored, and
//! how it is compared.
//!
//! Resolution order ([`ControlToken::resolve`]): the `HALCYON_CONTROL_TOKEN` environment
//! variable, then `token_file` (read; generated and written there if it does not exist), then
//! the inline `token`, and otherwise a fresh random token written to
//! [`default_token_path`] — `$XDG_RUNTIME_DIR/halcyon/control.token` when `XDG_RUNTIME_DIR` is
//! set, else `./.halcyon/control.token` — with mode 0600 in a 0700 directory, so `halcyon ctl`
//! on the same machine finds it.

use super::ControlConfig;
use std::fmt;
use std::path::{Path, PathBuf};

/// The environment variable that overrides every other token source.
pub const TOKEN_ENV: &str = "HALCYON_CONTROL_TOKEN";

/// Bytes of OS entropy in a generated token (hex-encoded: 64 characters).
const GENERATED_BYTES: usize = 32;

/// Where the token came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// The `HALCYON_CONTROL_TOKEN` environment variable.
    Environment,
    /// Read from this file.
    File(PathBuf),
    /// The inline `token` of the configuration.
    Inline,
    /// Generated at start and written to this file.
    Generated(PathBuf),
}

impl fmt::Display for TokenSource {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Environment => write!(formatter, "${TOKEN_ENV}"),
            TokenSource::File(path) => write!(formatter, "file {}", path.display()),
            TokenSource::Inline => write!(formatter, "inline [control].token"),
            TokenSource::Generated(path) => write!(formatter, "generated, written to {}", path.display()),
        }
    }
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The token file could not be read, created or written.
    #[error("control token file {path}: {source}")]
    Io {
        /// Which file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A token that is empty (or only whitespace).
    #[error("control token from {0} is empty")]
    Empty(TokenSource),
    /// The operating system gave no entropy.
    #[error("no OS entropy for the control token: {0}")]
    Entropy(String),
}

/// The bearer token (its `Debug` does not print the secret).
#[derive(Clone, PartialEq, Eq)]
pub struct ControlToken {
    secret: String,
    source: TokenSource,
}

impl fmt::Debug for ControlToken {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_struct("ControlToken").field("source", &self.source).finish_non_exhaustive()
    }
}

impl ControlToken {
    /// Resolves the token of `config` (order in the module docs), reading the environment.
    pub fn resolve(config: &ControlConfig) -> Result<ControlToken, TokenError> {
        ControlToken::resolve_with(config, std::env::var(TOKEN_ENV).ok(), &default_token_path())
    }

    /// [`resolve`](Self::resolve) with the environment value and the default path given.
    pub fn resolve_with(
        config: &ControlConfig,
        environment: Option<String>,
        default_path: &Path,
    ) -> Result<ControlToken, TokenError> {
        if let Some(secret) = environment {
            return ControlToken::checked(secret, TokenSource::Environment);
        }
        if let Some(path) = &config.token_file {
            return match std::fs::read_to_string(path) {
                Ok(text) => ControlToken::checked(
                    text.lines().next().unwrap_or("").to_owned(),
                    TokenSource::File(path.clone()),
                ),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => ControlToken::generate(path),
                Err(source) => Err(TokenError::Io { path: path.clone(), source }),
            };
        }
        if let Some(secret) = &config.token {
            return ControlToken::checked(secret.clone(), TokenSource::Inline);
        }
        ControlToken::generate(default_path)
    }

    /// A token from an inline value (tests, and callers that resolve tokens themselves).
    pub fn inline(secret: impl Into<String>) -> Result<ControlToken, TokenError> {
        ControlToken::checked(secret.into(), TokenSource::Inline)
    }

    /// A fresh random token, written to `path` (mode 0600; parent directories created 0700).
    pub fn generate(path: &Path) -> Result<ControlToken, TokenError> {
        let mut bytes = [0u8; GENERATED_BYTES];
        getrandom::fill(&mut bytes).map_err(|error| TokenError::Entropy(error.to_string()))?;
        let mut secret = String::with_capacity(2 * GENERATED_BYTES);
        for byte in bytes {
            secret.push_str(&format!("{byte:02x}"));
        }
        write_private(path, &secret).map_err(|source| TokenError::Io { path: path.to_path_buf(), source })?;
        Ok(ControlToken { secret, source: TokenSource::Generated(path.to_path_buf()) })
    }

    fn checked(secret: String, source: TokenSource) -> Result<ControlToken, TokenError> {
        let secret = secret.trim().to_owned();
        if secret.is_empty() { Err(TokenError::Empty(source)) } else { Ok(ControlToken { secret, source }) }
    }

    /// Where the token came from (log this, never the token).
    pub fn source(&self) -> &TokenSource {
        &self.source
    }

    /// The secret, for clients that must send it.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// Whether an `Authorization` header value is `Bearer <this token>` (constant time in the
    /// token's content).
    pub fn accepts(&self, authorization: Option<&[u8]>) -> bool {
        let Some(value) = authorization else { return false };
        let Some(presented) = value.strip_prefix(b"Bearer ") else { return false };
        constant_time_eq(presented, self.secret.as_bytes())
    }
}

/// Compares two byte strings in time that depends only on their lengths, not on where they
/// differ (so a network attacker cannot find the token byte by byte). Hand-written rather
/// than a crate: it is one loop, and `std::hint::black_box` keeps the optimiser from
/// short-circuiting it.
pub fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    if left.len() != right.len() {
        return false;
    }
    let mut difference = 0u8;
    for (a, b) in left.iter().zip(right) {
        difference |= std::hint::black_box(a ^ b);
    }
    std::hint::black_box(difference) == 0
}

/// Where a generated token goes: `$XDG_RUNTIME_DIR/halcyon/control.token` when
/// `XDG_RUNTIME_DIR` is set (a per-user tmpfs), else `./.halcyon/control.token`.
pub fn default_token_path() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(runtime) if !runtime.is_empty() => PathBuf::from(runtime).join("halcyon").join("control.token"),
        _ => PathBuf::from(".halcyon").join("control.token"),
    }
}

/// Writes `contents` and a newline to `path`, readable by the owner only.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    // An existing file keeps its mode on open: tighten it before the secret goes in.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    writeln!(file, "{contents}")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn bearer_header_must_match_exactly() {
        let token = ControlToken::inline("s3cret").expect("non-empty");
        assert!(token.accepts(Some(b"Bearer s3cret")));
        assert!(!token.accepts(Some(b"Bearer s3cre")));
        assert!(!token.accepts(Some(b"bearer s3cret")));
        assert!(!token.accepts(Some(b"s3cret")));
        assert!(!token.accepts(None));
    }

    #[test]
    fn environment_beats_file_beats_inline() {
        let directory = std::env::temp_dir().join(format!("halcyon-token-order-{}", std::process::id()));
        let file = directory.join("token");
        let config = ControlConfig {
            token: Some("inline".into()),
            token_file: Some(file.clone()),
            ..ControlConfig::default()
        };
        let default_path = directory.join("default.token");
        let from_env =
            ControlToken::resolve_with(&config, Some("from-env".into()), &default_path).expect("env token");
        assert_eq!((from_env.secret(), from_env.source()), ("from-env", &TokenSource::Environment));
        // The file does not exist yet: generated there.
        let generated =
            ControlToken::resolve_with(&config, None, &default_path).expect("generated into token_file");
        assert_eq!(generated.source(), &TokenSource::Generated(file.clone()));
        assert_eq!(generated.secret().len(), 64);
        // Now it exists: read back.
        let read = ControlToken::resolve_with(&config, None, &default_path).expect("read token_file");
        assert_eq!((read.secret(), read.source()), (generated.secret(), &TokenSource::File(file.clone())));
        let inline_only = ControlConfig { token: Some("inline".into()), ..ControlConfig::default() };
        assert_eq!(
            ControlToken::resolve_with(&inline_only, None, &default_path).expect("inline").secret(),
            "inline"
        );
        let empty = ControlConfig { token: Some("  ".into()), ..ControlConfig::default() };
        assert!(matches!(ControlToken::resolve_with(&empty, None, &default_path), Err(TokenError::Empty(_))));
        let _ = std::fs::remove_dir_all(&directory);
    }
}
