//! Streaming readers of recorded market data, and halcyon's own capture format.
//!
//! Two families of recordings exist, and each has its reader:
//!
//! - **Frame recordings** hold the exchange's raw bytes with the local receive time, exactly as
//!   the feed thread saw them. They replay through the same parsers as the live feed. Every
//!   reader implements [`FrameReader`], a lending iterator of [`Frame`]s:
//!   - [`LinesReader`]: `<receive_ns> <frame>` one per line, plain or gzip (hftbacktest's
//!     format; our Binance USD-M recording).
//!   - [`CryptofeedReader`]: cryptofeed's raw-data captures, `<epoch_seconds>: <frame>`, with
//!     HTTP responses as `<url> -> <epoch_seconds>: <body>`.
//!   - [`CaptureReader`] / [`CaptureWriter`]: halcyon's binary capture, checksummed per record
//!     and readable after a crash up to the last whole record. This is what the recorder
//!     writes; see [`capture`] for the file layout.
//!
//!   [`open_frames`] sniffs the format from the content ([`detect_format`]) and opens the right
//!   reader.
//! - **Row recordings** are vendors' normalized CSV exports. They carry no frames, so their
//!   readers turn rows straight into [`Event`](crate::Event)s for one instrument:
//!   - [`TardisReader`]: Tardis.dev `trades`, `quotes`, `incremental_book_L2`,
//!     `book_snapshot_N`, `liquidations` and `derivative_ticker`.
//!   - [`VisionDepthReader`]: Binance Vision historical depth (`snap` and `set` rows).
//!
//! ## Guarantees
//! - Readers stream: memory is bounded by the longest line or record, never by the file.
//! - Once buffers are warm, reading a well-formed frame or row allocates nothing. (Building an
//!   error allocates its message; errors are not the hot path.)
//! - No input makes a reader panic. A malformed line or row is a non-fatal error that names
//!   the file, the line and its byte offset, and the reader goes on with the next line. A fatal
//!   error (I/O failure, corruption in the middle of a capture) is reported once, after which
//!   the reader returns `None`. [`RecordingError::is_fatal`] tells which.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

use crate::fixed::FixedError;
use crate::units::Nanos;

pub mod capture;
pub mod cryptofeed;
pub mod event_stream;
pub mod events;
pub mod lines;
mod rows;
pub mod tardis;
pub mod vision;

pub use capture::{CaptureReader, CaptureWriter, StreamId};
pub use cryptofeed::CryptofeedReader;
pub use event_stream::EventStream;
pub use events::{EventFile, EventFileWriter};
pub use lines::LinesReader;
pub use tardis::{TardisKind, TardisReader};
pub use vision::VisionDepthReader;

/// One recorded frame: raw bytes as received, with the local receive time.
#[derive(Debug)]
pub struct Frame<'a> {
    /// When the frame was in the recorder's hands (local clock).
    pub receive_time: Nanos,
    /// Where the frame came from when the recording says it: the URL of an HTTP capture line,
    /// the stream name of a capture record; `""` otherwise.
    pub channel: &'a str,
    /// The raw frame bytes, mutable so a parser may decode them in place (simd-json does).
    /// Excludes the line terminator.
    pub payload: &'a mut [u8],
}

/// A streaming, lending reader of frames. Reuses its buffers: no allocation per frame once
/// warm.
pub trait FrameReader {
    /// The next frame; `None` at end of data. A malformed line is `Some(Err(..))` with the
    /// line/record number, and the reader continues with the next line on the next call; after
    /// a fatal error (I/O, corruption mid-file) it returns `None`.
    fn next_frame(&mut self) -> Option<Result<Frame<'_>, RecordingError>>;
}

/// What went wrong while reading or writing a recording. See [`RecordingError::kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordingErrorKind {
    /// Reading or writing the file failed. Fatal.
    Io,
    /// The file is not in the format asked for: bad magic, unknown CSV header, missing column.
    /// Fatal.
    Format,
    /// The file's format version is one this build does not read. Fatal.
    UnsupportedVersion,
    /// A record failed its checksum (or had an impossible header) and whole records follow it:
    /// the file is damaged in the middle, not merely torn at the end. Fatal.
    Corrupt,
    /// A line's receive time is missing or not a valid time. The line is skipped.
    Timestamp,
    /// A line, row or record is not in its format's syntax (missing separator, wrong number
    /// of columns, malformed declaration). It is skipped.
    Syntax,
    /// A field of a row could not be converted: a price off the tick grid, an unknown side, a
    /// symbol of another instrument. The row is skipped.
    Field,
    /// A line or payload is longer than the sanity bound. It is skipped.
    TooLong,
    /// A writer was called with an argument it cannot record (an undeclared stream, an empty
    /// stream name). Nothing was written.
    InvalidArgument,
}

impl RecordingErrorKind {
    fn is_fatal(self) -> bool {
        matches!(
            self,
            RecordingErrorKind::Io
                | RecordingErrorKind::Format
                | RecordingErrorKind::UnsupportedVersion
                | RecordingErrorKind::Corrupt
        )
    }
}

/// Where in a file an error happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Position {
    /// The file as a whole (opening it).
    File,
    /// A text line, numbered from 1, starting at this byte offset (of the decompressed text
    /// for gzip files).
    Line { line: u64, offset: u64 },
    /// A capture record, numbered from 1 (declarations included), at this byte offset.
    Record { record: u64, offset: u64 },
    /// A byte offset.
    Offset(u64),
}

#[derive(Debug)]
enum Source {
    Io(io::Error),
    Fixed(FixedError),
}

/// An error reading or writing a recording: what went wrong ([`kind`](Self::kind)), in which
/// file, and where (line or record number and byte offset). `Display` says all of it.
#[derive(Debug)]
pub struct RecordingError {
    kind: RecordingErrorKind,
    path: Arc<Path>,
    position: Position,
    message: Cow<'static, str>,
    source: Option<Source>,
}

impl RecordingError {
    fn new(
        kind: RecordingErrorKind,
        path: &Arc<Path>,
        position: Position,
        message: impl Into<Cow<'static, str>>,
    ) -> RecordingError {
        RecordingError { kind, path: Arc::clone(path), position, message: message.into(), source: None }
    }

    fn io(path: &Arc<Path>, position: Position, message: &'static str, error: io::Error) -> RecordingError {
        RecordingError {
            kind: RecordingErrorKind::Io,
            path: Arc::clone(path),
            position,
            message: Cow::Borrowed(message),
            source: Some(Source::Io(error)),
        }
    }

    fn with_fixed(mut self, error: FixedError) -> RecordingError {
        self.source = Some(Source::Fixed(error));
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> RecordingErrorKind {
        self.kind
    }

    /// True if the reader cannot go on: it returns `None` from now on. False for a malformed
    /// line, row or record that was skipped.
    pub fn is_fatal(&self) -> bool {
        self.kind.is_fatal()
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The line number (from 1) for text recordings.
    pub fn line(&self) -> Option<u64> {
        match self.position {
            Position::Line { line, .. } => Some(line),
            _ => None,
        }
    }

    /// The record number (from 1, stream declarations included) for captures.
    pub fn record(&self) -> Option<u64> {
        match self.position {
            Position::Record { record, .. } => Some(record),
            _ => None,
        }
    }

    /// The byte offset of the offending line or record (in the decompressed text for gzip).
    pub fn byte_offset(&self) -> Option<u64> {
        match self.position {
            Position::Line { offset, .. } | Position::Record { offset, .. } | Position::Offset(offset) => {
                Some(offset)
            }
            Position::File => None,
        }
    }
}

impl fmt::Display for RecordingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        match self.position {
            Position::File => {}
            Position::Line { line, offset } => write!(f, ": line {line} (byte {offset})")?,
            Position::Record { record, offset } => write!(f, ": record {record} (byte {offset})")?,
            Position::Offset(offset) => write!(f, ": byte {offset}")?,
        }
        write!(f, ": {}", self.message)?;
        match &self.source {
            Some(Source::Io(error)) => write!(f, ": {error}"),
            Some(Source::Fixed(error)) => write!(f, ": {error}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for RecordingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.source {
            Some(Source::Io(error)) => Some(error),
            Some(Source::Fixed(error)) => Some(error),
            None => None,
        }
    }
}

/// A frame recording format, as [`detect_format`] recognises it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordingFormat {
    /// `<receive_ns> <frame>` lines, plain or gzip: [`LinesReader`].
    Lines,
    /// cryptofeed raw-data capture: [`CryptofeedReader`].
    Cryptofeed,
    /// halcyon's binary capture: [`CaptureReader`].
    Capture,
    /// halcyon's normalized event file: decoded events, not frames ([`EventFile`]).
    Events,
}

/// How many bytes of the (decompressed) start of a file [`detect_format`] looks at.
const SNIFF_BYTES: usize = 4096;

/// Recognises a frame recording by its content, never its name:
///
/// - the capture magic ([`capture::MAGIC`]) ⇒ [`RecordingFormat::Capture`];
/// - the event file magic ([`events::MAGIC`]) ⇒ [`RecordingFormat::Events`] (decoded events,
///   opened with [`EventFile::open`], not as frames);
/// - otherwise the first line of the text (decompressed first if the file starts with the gzip
///   magic `1f 8b`) decides: `^\d+ ` ⇒ [`RecordingFormat::Lines`]; `^\d+(\.\d+)?: `, a
///   `configuration: ` header, or a cryptofeed connection/request marker (` <-> `, ` <- `,
///   ` -> `) ⇒ [`RecordingFormat::Cryptofeed`].
///
/// Anything else is an [`io::ErrorKind::InvalidData`] error saying so.
pub fn detect_format(path: impl AsRef<Path>) -> io::Result<RecordingFormat> {
    let path = path.as_ref();
    sniff(path)?.map_err(|why| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: not a recognised frame recording ({why})", path.display()),
        )
    })
}

/// The format, or why none was recognised.
fn sniff(path: &Path) -> io::Result<Result<RecordingFormat, &'static str>> {
    let mut file = File::open(path)?;
    let mut head = [0_u8; SNIFF_BYTES];
    let read = read_full(&mut file, &mut head)?;
    let head = &head[..read];
    if head.starts_with(&capture::MAGIC) {
        return Ok(Ok(RecordingFormat::Capture));
    }
    if head.starts_with(&events::MAGIC) {
        return Ok(Ok(RecordingFormat::Events));
    }
    let mut text = [0_u8; SNIFF_BYTES];
    let text: &[u8] = if head.starts_with(&lines::GZIP_MAGIC) {
        let file = File::open(path)?;
        let mut decoder = flate2::read::MultiGzDecoder::new(io::BufReader::new(file));
        let read = read_full(&mut decoder, &mut text)?;
        &text[..read]
    } else {
        head
    };
    let first_line = match text.iter().position(|&byte| byte == b'\n') {
        Some(end) => &text[..end],
        None => text,
    };
    if first_line.is_empty() {
        return Ok(Err("empty first line"));
    }
    Ok(classify_first_line(first_line).ok_or("first line matches no known format"))
}

fn classify_first_line(line: &[u8]) -> Option<RecordingFormat> {
    let digits = line.iter().take_while(|byte| byte.is_ascii_digit()).count();
    if digits > 0 {
        let rest = &line[digits..];
        if rest.first() == Some(&b' ') {
            return Some(RecordingFormat::Lines);
        }
        let rest = match rest.strip_prefix(b".") {
            Some(fraction) => {
                let fraction_digits = fraction.iter().take_while(|byte| byte.is_ascii_digit()).count();
                if fraction_digits == 0 {
                    return None;
                }
                &fraction[fraction_digits..]
            }
            None => rest,
        };
        return rest.starts_with(b": ").then_some(RecordingFormat::Cryptofeed);
    }
    let cryptofeed = line.starts_with(b"configuration: ")
        || contains(line, b" <-> ")
        || contains(line, b" <- ")
        || contains(line, b" -> ");
    cryptofeed.then_some(RecordingFormat::Cryptofeed)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Detects the format of a frame recording ([`detect_format`]) and opens its reader.
pub fn open_frames(path: &Path) -> Result<Box<dyn FrameReader + Send>, RecordingError> {
    let shared: Arc<Path> = Arc::from(path);
    let format = sniff(path)
        .map_err(|error| RecordingError::io(&shared, Position::File, "cannot read", error))?
        .map_err(|why| {
            RecordingError::new(
                RecordingErrorKind::Format,
                &shared,
                Position::File,
                format!(
                    "not a recognised frame recording ({why}); frame recordings are `<receive_ns> <frame>` \
                     lines, cryptofeed captures or halcyon captures (Tardis and Binance Vision CSV \
                     exports are row recordings, read with the library's row readers)"
                ),
            )
        })?;
    Ok(match format {
        RecordingFormat::Lines => Box::new(LinesReader::open(path)?),
        RecordingFormat::Cryptofeed => Box::new(CryptofeedReader::open(path)?),
        RecordingFormat::Capture => Box::new(CaptureReader::open(path)?),
        RecordingFormat::Events => {
            return Err(RecordingError::new(
                RecordingErrorKind::Format,
                &shared,
                Position::File,
                "a normalized event file holds decoded events, not frames: open it with EventFile::open",
            ));
        }
    })
}

/// Reads until `buffer` is full or the reader is exhausted; returns how many bytes were read.
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// A short, printable excerpt of input for an error message.
fn excerpt(bytes: &[u8]) -> String {
    const MAX: usize = 40;
    let cut = &bytes[..bytes.len().min(MAX)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if bytes.len() > MAX {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_lines_classify_as_their_formats() {
        // TC0: hftbacktest line.
        assert_eq!(classify_first_line(b"1723161255030314667 {\"stream\":1}"), Some(RecordingFormat::Lines));
        // TC1: cryptofeed received frame, with and without a fraction.
        assert_eq!(classify_first_line(b"1626992741.06217: {}"), Some(RecordingFormat::Cryptofeed));
        assert_eq!(classify_first_line(b"1626992741: {}"), Some(RecordingFormat::Cryptofeed));
        // TC2: cryptofeed connection and HTTP lines.
        assert_eq!(
            classify_first_line(b"wss://www.deribit.com/ws/api/v2 <-> 1626993723.424371"),
            Some(RecordingFormat::Cryptofeed)
        );
        assert_eq!(
            classify_first_line(b"https://fapi.binance.com/fapi/v1/depth -> 1626992741.301402: {}"),
            Some(RecordingFormat::Cryptofeed)
        );
        // TC3: neither.
        assert_eq!(classify_first_line(b"exchange,symbol,timestamp"), None);
        assert_eq!(classify_first_line(b"1626992741.: {}"), None);
        assert_eq!(classify_first_line(b"12x"), None);
    }
}
