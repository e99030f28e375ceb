//! Faults the venue can inject into its streams and its server: what each does, and the record
//! of those applied.
//!
//! A [`Fault`] comes from a `[[fault]]` table of the venue config (scheduled by frame count or
//! replay time, see [`ScheduledFault`](super::config::ScheduledFault)), from
//! `POST /venue/fault`, or from [`VenueHandle::inject`](super::VenueHandle::inject). The replay
//! applies it before the next frame it sends; every application is counted, logged
//! (`tracing`, target `engine::local_venue`) and listed in `/venue/status` as an
//! [`AppliedFault`].

use serde::{Deserialize, Serialize};

/// One fault. JSON and TOML spell it with a `kind` tag: `{"kind":"gap","diffs":3}`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Close every WebSocket connection abruptly: the TCP connection is dropped without a
    /// close frame.
    Drop,
    /// Send nothing for `seconds`, then the backlog: the replay clock keeps running, so the
    /// frames due meanwhile go out in a burst.
    Stall {
        /// How long to send nothing.
        seconds: f64,
    },
    /// Hold each of the next `frames` frames `ms` milliseconds longer before sending it.
    Delay {
        /// Extra hold per frame.
        ms: u64,
        /// How many frames.
        frames: u64,
    },
    /// Send each of the next `frames` frames twice.
    Duplicate {
        /// How many frames.
        frames: u64,
    },
    /// Swap each pair of the next `frames` frames (frames 1,2,3,4 go out as 2,1,4,3).
    Reorder {
        /// How many frames (an odd count leaves the last one in place).
        frames: u64,
    },
    /// Skip the next `diffs` depth diffs: they still update the venue's book, so the next diff
    /// a client sees has a `pu` that does not chain to the last `u` it saw.
    Gap {
        /// How many depth diffs to withhold.
        diffs: u64,
    },
    /// Send `frames` text frames that are not JSON or are truncated JSON, to every client
    /// whatever it subscribed.
    Garbage {
        /// How many bad frames.
        frames: u64,
    },
    /// Drop every connection and answer WebSocket upgrades and REST requests with HTTP 503 for
    /// `seconds` (the `/venue/*` control endpoints stay up).
    Refuse {
        /// How long to refuse.
        seconds: f64,
    },
}

impl Fault {
    /// The fault's `kind` name, as in JSON and TOML.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Drop => "drop",
            Fault::Stall { .. } => "stall",
            Fault::Delay { .. } => "delay",
            Fault::Duplicate { .. } => "duplicate",
            Fault::Reorder { .. } => "reorder",
            Fault::Gap { .. } => "gap",
            Fault::Garbage { .. } => "garbage",
            Fault::Refuse { .. } => "refuse",
        }
    }

    /// Checks the parameters: durations finite and not negative, counts and durations not
    /// absurd (at most a day, at most 10⁹ frames).
    pub fn validate(&self) -> Result<(), String> {
        const MAX_SECONDS: f64 = 86_400.0;
        const MAX_FRAMES: u64 = 1_000_000_000;
        let seconds_ok = |seconds: f64| seconds.is_finite() && (0.0..=MAX_SECONDS).contains(&seconds);
        let ok = match *self {
            Fault::Drop => true,
            Fault::Stall { seconds } | Fault::Refuse { seconds } => seconds_ok(seconds),
            Fault::Delay { ms, frames } => ms <= 86_400_000 && frames <= MAX_FRAMES,
            Fault::Duplicate { frames }
            | Fault::Reorder { frames }
            | Fault::Garbage { frames }
            | Fault::Gap { diffs: frames } => frames <= MAX_FRAMES,
        };
        if ok {
            Ok(())
        } else {
            Err(format!("{self:?}: durations must be 0..=86400 s and counts at most 10^9"))
        }
    }
}

/// A fault the replay applied.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppliedFault {
    /// The fault.
    pub fault: Fault,
    /// Recording frames the venue had sent when it was applied.
    pub at_frame: u64,
    /// Where it came from: `config`, `control` (HTTP) or `api` (in-process).
    pub source: String,
}

/// The faults still in effect, as counters the replay decrements frame by frame.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ActiveFaults {
    /// Extra hold per frame and the frames left to hold.
    pub delay_ms: u64,
    pub delay_left: u64,
    pub duplicate_left: u64,
    pub reorder_left: u64,
    pub gap_left: u64,
}

/// The `index`-th garbage frame: alternately text that is not JSON at all and a truncated
/// prefix of a real frame (`sample`), so a client sees both kinds of parse failure.
pub(crate) fn garbage_frame(index: u64, sample: &str) -> String {
    if index.is_multiple_of(2) {
        format!("halcyon venue garbage frame {index}: this is not JSON")
    } else {
        // Cut at a char boundary, somewhere in the middle: a valid JSON prefix that never closes.
        let mut cut = (sample.len() / 2).max(1).min(sample.len());
        while cut > 0 && !sample.is_char_boundary(cut) {
            cut -= 1;
        }
        let prefix = &sample[..cut];
        if prefix.is_empty() { "{\"stream\":".to_owned() } else { prefix.to_owned() }
    }
}
