//! [`ControlConfig`]: the `[control]` table.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The control server's settings (`[control]` in the engine configuration).
///
/// ```toml
/// [control]
/// enabled = true
/// bind = "127.0.0.1:9464"
/// # token = "inline-secret"          # or
/// # token_file = "/run/halcyon/control.token"
/// allow_remote = false
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ControlConfig {
    /// Serve the metrics and the control API (default true: the kill switch must be reachable).
    pub enabled: bool,
    /// Address to listen on (default `127.0.0.1:9464`; port 0 picks a free port).
    pub bind: String,
    /// The bearer token, inline. Overridden by `token_file` and the `HALCYON_CONTROL_TOKEN`
    /// environment variable. Never written into reports.
    #[serde(skip_serializing)]
    pub token: Option<String>,
    /// A file holding the token (first line, trimmed). Created with a generated token (mode
    /// 0600) if it does not exist.
    pub token_file: Option<PathBuf>,
    /// Allow a non-loopback `bind` (default false: the API can kill the engine).
    pub allow_remote: bool,
    /// Require the token for `GET /metrics` too (default false, so Prometheus scrapes freely).
    pub metrics_require_token: bool,
    /// How long the server waits for the core's answer before `503` (default 1000 ms).
    pub answer_timeout_ms: u64,
    /// Unanswered requests the inbox holds (default 16).
    pub inbox_capacity: usize,
}

impl Default for ControlConfig {
    fn default() -> ControlConfig {
        ControlConfig {
            enabled: true,
            bind: "127.0.0.1:9464".to_owned(),
            token: None,
            token_file: None,
            allow_remote: false,
            metrics_require_token: false,
            answer_timeout_ms: 1000,
            inbox_capacity: 16,
        }
    }
}
