//! `halcyon ctl`: send one command to a running engine's control API and print the answer.
//!
//! [`run`] is what the command line calls; [`run_to`] writes to the given streams instead of
//! stdout/stderr (tests call it in-process). Exit status: [`EXIT_OK`] when the engine carried
//! the command out (HTTP 2xx and `"ok": true`), [`EXIT_ERROR`] when it refused, failed, or
//! could not be reached, [`EXIT_USAGE`] for a bad URL or an unreadable `--token-file`.

use super::args::{CtlArgs, CtlCommand};
use super::{EXIT_ERROR, EXIT_OK, EXIT_USAGE};
use crate::control::client::{ClientError, ControlClient, Endpoint, HttpResponse};
use crate::control::{Command, TOKEN_ENV, default_token_path};
use std::io::Write;
use std::time::Duration;

/// Runs `halcyon ctl` on stdout and stderr; returns the exit status.
pub fn run(arguments: &CtlArgs) -> u8 {
    run_to(arguments, &mut std::io::stdout().lock(), &mut std::io::stderr().lock())
}

/// Runs `halcyon ctl`, printing the answer to `out` and problems to `err`; returns the exit
/// status.
pub fn run_to(arguments: &CtlArgs, out: &mut impl Write, err: &mut impl Write) -> u8 {
    let endpoint = match Endpoint::parse(&arguments.url) {
        Ok(endpoint) => endpoint,
        Err(error) => {
            let _ = writeln!(err, "halcyon ctl: {error}");
            return EXIT_USAGE;
        }
    };
    let token = match token(arguments) {
        Ok(token) => token,
        Err(message) => {
            let _ = writeln!(err, "halcyon ctl: {message}");
            return EXIT_USAGE;
        }
    };
    let client = ControlClient::new(endpoint, token, Duration::from_millis(arguments.timeout_ms.max(1)));
    let answer = match arguments.command {
        CtlCommand::Metrics => client.metrics(),
        CtlCommand::Status => client.send(Command::Status),
        CtlCommand::Kill => client.send(Command::Kill),
        CtlCommand::Reset => client.send(Command::Reset),
        CtlCommand::Pause => client.send(Command::Pause),
        CtlCommand::Resume => client.send(Command::Resume),
    };
    match answer {
        Ok(response) => report(arguments, &response, out, err),
        Err(
            error
            @ (ClientError::Unreachable { .. } | ClientError::Io { .. } | ClientError::Malformed { .. }),
        ) => {
            let _ = writeln!(err, "halcyon ctl: {error}");
            EXIT_ERROR
        }
        Err(error @ ClientError::BadUrl { .. }) => {
            let _ = writeln!(err, "halcyon ctl: {error}");
            EXIT_USAGE
        }
    }
}

/// Prints the answer and decides the exit status.
fn report(arguments: &CtlArgs, response: &HttpResponse, out: &mut impl Write, err: &mut impl Write) -> u8 {
    let success = (200..300).contains(&response.status);
    if arguments.command == CtlCommand::Metrics {
        let _ = out.write_all(response.body.as_bytes());
        if !success {
            let _ = writeln!(err, "halcyon ctl: {} answered HTTP {}", arguments.url, response.status);
        }
        return if success { EXIT_OK } else { EXIT_ERROR };
    }
    let parsed: Option<serde_json::Value> = serde_json::from_str(&response.body).ok();
    match &parsed {
        Some(json) => {
            let text = serde_json::to_string_pretty(json).unwrap_or_else(|_| response.body.clone());
            let _ = writeln!(out, "{text}");
        }
        None => {
            let _ = writeln!(out, "{}", response.body.trim_end());
        }
    }
    let ok = success
        && parsed
            .as_ref()
            .and_then(|json| json.get("ok"))
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(true);
    if !ok {
        let reason = match response.status {
            401 => format!(
                "the engine at {} refused the token (HTTP 401); pass --token or --token-file, or set {TOKEN_ENV}",
                arguments.url
            ),
            503 => format!("the engine at {} did not take the command (HTTP 503)", arguments.url),
            status => format!("the engine at {} refused the command (HTTP {status})", arguments.url),
        };
        let _ = writeln!(err, "halcyon ctl: {reason}");
        return EXIT_ERROR;
    }
    EXIT_OK
}

/// `--token`, else `--token-file`, else the environment, else the default token file if it
/// exists, else none (the server will answer 401 for commands; metrics may still work).
fn token(arguments: &CtlArgs) -> Result<Option<String>, String> {
    if let Some(token) = &arguments.token {
        return Ok(Some(token.trim().to_owned()));
    }
    if let Some(path) = &arguments.token_file {
        return read_token(path)
            .map(Some)
            .map_err(|error| format!("--token-file {}: {error}", path.display()));
    }
    if let Ok(token) = std::env::var(TOKEN_ENV)
        && !token.trim().is_empty()
    {
        return Ok(Some(token.trim().to_owned()));
    }
    Ok(read_token(&default_token_path()).ok())
}

fn read_token(path: &std::path::Path) -> std::io::Result<String> {
    let text = std::fs::read_to_string(path)?;
    let token = text.lines().next().unwrap_or("").trim();
    if token.is_empty() {
        Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "the file is empty"))
    } else {
        Ok(token.to_owned())
    }
}
