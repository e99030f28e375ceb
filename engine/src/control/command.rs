//! [`Command`]: what an operator can ask the engine; [`Reply`]: what the core answers.

use serde::Serialize;

/// An operator command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Report the engine's state (a JSON object built by the core). Changes nothing.
    Status,
    /// Latch the risk gate's kill switch: cancel every order and stop quoting until `reset`.
    Kill,
    /// Clear a latched kill switch (required before quoting resumes after a kill).
    Reset,
    /// Pull the quotes and stop quoting until `resume`.
    Pause,
    /// Quote again after `pause`.
    Resume,
}

impl Command {
    /// Every command.
    pub const ALL: [Command; 5] =
        [Command::Status, Command::Kill, Command::Reset, Command::Pause, Command::Resume];

    /// The name in URLs (`/kill`), on the `halcyon ctl` command line and in metrics labels.
    pub const fn name(self) -> &'static str {
        match self {
            Command::Status => "status",
            Command::Kill => "kill",
            Command::Reset => "reset",
            Command::Pause => "pause",
            Command::Resume => "resume",
        }
    }

    /// The command named `name` (as [`Command::name`] spells it).
    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|command| command.name() == name)
    }

    /// Whether the command changes the engine (HTTP `POST`) rather than reading it (`GET`).
    pub const fn mutates(self) -> bool {
        !matches!(self, Command::Status)
    }
}

/// The core's answer to a [`Command`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reply {
    /// Whether the command was carried out (`false`: refused, with the reason in `body`).
    pub ok: bool,
    /// What the core says: the status object, or what the command did or why it was refused.
    pub body: serde_json::Value,
}

impl Reply {
    /// The command was carried out.
    pub fn ok(body: serde_json::Value) -> Reply {
        Reply { ok: true, body }
    }

    /// The command was refused, for `reason`.
    pub fn refused(reason: impl Into<String>) -> Reply {
        Reply { ok: false, body: serde_json::json!({ "error": reason.into() }) }
    }
}
