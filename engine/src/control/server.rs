//! [`ControlServer`]: the HTTP face of the engine — Prometheus metrics and operator commands.
//!
//! | route | auth | answer |
//! |---|---|---|
//! | `GET /metrics` | none (unless `metrics_require_token`) | OpenMetrics text |
//! | `GET /status` | bearer | the core's status object |
//! | `POST /kill`, `/reset`, `/pause`, `/resume` | bearer | what the core did |
//!
//! Command answers are JSON: `{"ok": true, "command": "kill", "body": {..}}` with status 200
//! when the core carried the command out, 409 when it refused; 401 `{"ok": false, "error":
//! ..}` without the right `Authorization: Bearer <token>`; 503 when the inbox is full or the
//! core did not answer within `answer_timeout_ms`.
//!
//! The server is axum on the caller's tokio runtime: it is a slow path and allocates freely.
//! It binds synchronously in [`ControlServer::start`], so a busy port or a refused address is
//! an error there, not a log line later.

use super::{Command, ControlConfig, ControlSender, ControlToken, Reply, SubmitError, TokenError};
use crate::metrics::Metrics;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The OpenMetrics text content type `GET /metrics` answers with.
const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How long [`ControlServerHandle::shutdown`] waits for open connections before aborting.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// `bind` is not `ip:port`.
    #[error("[control].bind {bind:?} is not an ip:port address: {reason}")]
    BadAddress {
        /// The configured value.
        bind: String,
        /// Why it did not parse.
        reason: String,
    },
    /// A non-loopback address without `allow_remote = true`.
    #[error(
        "[control].bind {0} is not a loopback address; the control API can kill the engine, so set [control].allow_remote = true to serve it beyond this machine"
    )]
    RemoteRefused(SocketAddr),
    /// The address could not be bound.
    #[error("control server cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// No token.
    #[error("{0}")]
    Token(#[from] TokenError),
}

/// Starts the control server (see the module docs).
#[derive(Debug)]
pub struct ControlServer;

/// A running server: its address, and [`shutdown`](Self::shutdown). Dropping it also asks the
/// server to stop (without waiting).
#[derive(Debug)]
pub struct ControlServerHandle {
    addr: SocketAddr,
    token: ControlToken,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    stopped: crossbeam_channel::Receiver<()>,
    task: tokio::task::JoinHandle<()>,
}

/// What every handler shares.
struct Shared {
    metrics: Arc<Metrics>,
    inbox: ControlSender,
    token: ControlToken,
    metrics_require_token: bool,
    answer_timeout: Duration,
}

impl ControlServer {
    /// Resolves the token ([`ControlToken::resolve`]: environment, file, inline, or generated
    /// and written to a 0600 file), binds `config.bind` and serves on `runtime`. Whether to
    /// call this at all is the caller's reading of `config.enabled`.
    pub fn start(
        config: &ControlConfig,
        metrics: Arc<Metrics>,
        inbox: ControlSender,
        runtime: &tokio::runtime::Handle,
    ) -> Result<ControlServerHandle, ControlError> {
        let token = ControlToken::resolve(config)?;
        ControlServer::start_with_token(config, token, metrics, inbox, runtime)
    }

    /// [`start`](Self::start) with the token already resolved (`config.token*` are ignored).
    pub fn start_with_token(
        config: &ControlConfig,
        token: ControlToken,
        metrics: Arc<Metrics>,
        inbox: ControlSender,
        runtime: &tokio::runtime::Handle,
    ) -> Result<ControlServerHandle, ControlError> {
        let requested: SocketAddr = config.bind.parse().map_err(|error: std::net::AddrParseError| {
            ControlError::BadAddress { bind: config.bind.clone(), reason: error.to_string() }
        })?;
        if !requested.ip().is_loopback() && !config.allow_remote {
            return Err(ControlError::RemoteRefused(requested));
        }
        let listener = std::net::TcpListener::bind(requested)
            .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
            .map_err(|source| ControlError::Bind { addr: requested, source })?;
        let addr = listener.local_addr().map_err(|source| ControlError::Bind { addr: requested, source })?;
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(listener)
                .map_err(|source| ControlError::Bind { addr, source })?
        };

        let shared = Arc::new(Shared {
            metrics,
            inbox,
            token: token.clone(),
            metrics_require_token: config.metrics_require_token,
            answer_timeout: Duration::from_millis(config.answer_timeout_ms),
        });
        let router = Router::new()
            .route("/metrics", get(serve_metrics))
            .route("/status", command_route(Command::Status))
            .route("/kill", command_route(Command::Kill))
            .route("/reset", command_route(Command::Reset))
            .route("/pause", command_route(Command::Pause))
            .route("/resume", command_route(Command::Resume))
            .with_state(shared);

        let (stop, stop_signal) = tokio::sync::oneshot::channel::<()>();
        let (stopped_sender, stopped) = crossbeam_channel::bounded(1);
        let task = runtime.spawn(async move {
            let served = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = stop_signal.await;
            });
            if let Err(error) = served.await {
                tracing::error!(%addr, %error, "control server stopped");
            }
            let _ = stopped_sender.try_send(());
        });
        tracing::info!(%addr, token = %token.source(), "control server listening (GET /metrics, /status; POST /kill, /reset, /pause, /resume)");
        Ok(ControlServerHandle { addr, token, stop: Some(stop), stopped, task })
    }
}

impl ControlServerHandle {
    /// The address the server listens on (with the real port when `bind` asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The token the server accepts (its source is safe to log; its secret is for clients).
    pub fn token(&self) -> &ControlToken {
        &self.token
    }

    /// Stops accepting, lets open requests finish for up to 2 s, then aborts what is left.
    /// Blocks the calling thread for at most that long (call it from outside the runtime's
    /// worker threads).
    pub fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if self.stopped.recv_timeout(SHUTDOWN_GRACE).is_err() {
            tracing::warn!(addr = %self.addr, "control server did not stop within {SHUTDOWN_GRACE:?}; aborting it");
            self.task.abort();
        }
    }
}

impl Drop for ControlServerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The route for `command`: `GET` for status, `POST` for the others.
fn command_route(command: Command) -> MethodRouter<Arc<Shared>> {
    let handler = move |State(shared): State<Arc<Shared>>, headers: HeaderMap| async move {
        run_command(shared, headers, command).await
    };
    if command.mutates() { post(handler) } else { get(handler) }
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    shared.token.accepts(headers.get(header::AUTHORIZATION).map(HeaderValue::as_bytes))
}

fn unauthorized() -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        axum::Json(
            json!({ "ok": false, "error": "missing or wrong bearer token (Authorization: Bearer <token>)" }),
        ),
    )
        .into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

async fn serve_metrics(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if shared.metrics_require_token && !authorized(&shared, &headers) {
        return unauthorized();
    }
    ([(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)], shared.metrics.encode()).into_response()
}

async fn run_command(shared: Arc<Shared>, headers: HeaderMap, command: Command) -> Response {
    if !authorized(&shared, &headers) {
        return unauthorized();
    }
    shared.metrics.count_control_request(command);
    let unavailable = |error: String| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "ok": false, "command": command.name(), "error": error })),
        )
            .into_response()
    };
    let answer = match shared.inbox.submit(command) {
        Ok(answer) => answer,
        Err(SubmitError::Full) => return unavailable(SubmitError::Full.to_string()),
    };
    let timeout = shared.answer_timeout;
    // The answer arrives on a crossbeam channel (the core never touches tokio); wait for it on
    // the blocking pool so a slow core does not hold a runtime worker.
    let waited = tokio::task::spawn_blocking(move || answer.recv_timeout(timeout)).await;
    match waited {
        Ok(Ok(Reply { ok, body })) => {
            let status = if ok { StatusCode::OK } else { StatusCode::CONFLICT };
            (status, axum::Json(json!({ "ok": ok, "command": command.name(), "body": body }))).into_response()
        }
        Ok(Err(crossbeam_channel::RecvTimeoutError::Timeout)) => {
            shared.metrics.count_control_unanswered();
            unavailable(format!("engine did not answer within {} ms", timeout.as_millis()))
        }
        Ok(Err(crossbeam_channel::RecvTimeoutError::Disconnected)) => {
            unavailable("engine dropped the request without answering".to_owned())
        }
        Err(error) => unavailable(format!("waiting for the engine failed: {error}")),
    }
}
