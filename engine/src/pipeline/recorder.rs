//! The recorder consumer: journals the market events and digests them.
//!
//! Every event except [`FrameEnd`](feeds::FrameEnd) (whose local stamps differ run to run) is
//! folded into an FNV-1a digest of its [`Event::to_bytes`] form, and, when a journal path is
//! configured, appended to it as 64-byte records. The digest is the run's proof of
//! determinism: the same recording and configuration give the same digest, and it equals the
//! digest of the same events decoded single-threaded. A journal write error stops the journal
//! (reported once, with the path) but never the recorder, which keeps consuming so the
//! producer is never blocked by a full disk.

use crate::gateway::{FNV_OFFSET, fnv1a};
use feeds::{Event, EventKind};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// What the recorder saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecorderReport {
    /// Market events (frame ends excluded).
    pub events: u64,
    /// Frame ends.
    pub frames: u64,
    /// FNV-1a of the market events' bytes, hex.
    pub digest: String,
    /// Journal written, if any.
    pub journal: Option<PathBuf>,
    /// First journal write error, if any.
    pub journal_error: Option<String>,
}

/// Digests and optionally journals events.
pub struct Recorder {
    digest: u64,
    events: u64,
    frames: u64,
    journal: Option<(PathBuf, BufWriter<File>)>,
    journal_error: Option<String>,
}

impl Recorder {
    /// A recorder that only digests.
    pub fn new() -> Recorder {
        Recorder { digest: FNV_OFFSET, events: 0, frames: 0, journal: None, journal_error: None }
    }

    /// A recorder that also journals to `path` (created or truncated now).
    pub fn with_journal(path: &Path) -> std::io::Result<Recorder> {
        let file = File::create(path)?;
        let mut recorder = Recorder::new();
        recorder.journal = Some((path.to_path_buf(), BufWriter::with_capacity(1 << 20, file)));
        Ok(recorder)
    }

    /// Takes one event.
    #[inline]
    pub fn on_event(&mut self, event: &Event) {
        if let EventKind::FrameEnd(_) = event.kind() {
            self.frames += 1;
            return;
        }
        self.events += 1;
        let bytes = event.to_bytes();
        self.digest = fnv1a(self.digest, &bytes);
        if let Some((path, writer)) = &mut self.journal
            && let Err(error) = writer.write_all(&bytes)
        {
            self.journal_error = Some(format!("writing {}: {error}", path.display()));
            self.journal = None;
        }
    }

    /// Flushes the journal and reports.
    pub fn finish(mut self) -> RecorderReport {
        let mut journal = None;
        if let Some((path, mut writer)) = self.journal.take() {
            if let Err(error) = writer.flush() {
                self.journal_error = Some(format!("writing {}: {error}", path.display()));
            }
            journal = Some(path);
        }
        RecorderReport {
            events: self.events,
            frames: self.frames,
            digest: format!("{:016x}", self.digest),
            journal,
            journal_error: self.journal_error,
        }
    }
}

impl Default for Recorder {
    fn default() -> Recorder {
        Recorder::new()
    }
}
