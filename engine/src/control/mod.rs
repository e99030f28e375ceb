//! The control API: operator commands into the quoting core, and the HTTP server that serves
//! them with the Prometheus metrics.
//!
//! - [`Command`] and [`Reply`]: what an operator asks (`status`, `kill`, `reset`, `pause`,
//!   `resume`) and what the core answers.
//! - [`ControlInbox`] (core side) and [`ControlSender`] (server side): a lock-free bounded queue
//!   of [`Request`]s. The core polls [`ControlInbox::try_next`] between events (one atomic load
//!   when empty) and answers each request with [`Request::answer`].
//! - [`ControlConfig`]: the `[control]` table. [`ControlToken`]: the bearer token and where it
//!   came from.
//! - [`ControlServer`]: `GET /metrics`, `GET /status`, `POST /kill|reset|pause|resume` on a
//!   tokio runtime the caller owns; [`ControlServerHandle::shutdown`] stops it.
//! - [`client`]: the small blocking HTTP client behind `halcyon ctl`.
//!
//! The server never touches the core's state: it only enqueues a request and waits (up to
//! `answer_timeout_ms`) for the answer, so a wedged core shows up as `503 engine did not
//! answer`, never as a hung operator.

pub mod client;
mod command;
mod config;
mod inbox;
mod server;
mod token;

pub use command::{Command, Reply};
pub use config::ControlConfig;
pub use inbox::{ControlInbox, ControlSender, Request, SubmitError};
pub use server::{ControlError, ControlServer, ControlServerHandle};
pub use token::{ControlToken, TOKEN_ENV, TokenError, TokenSource, constant_time_eq, default_token_path};
