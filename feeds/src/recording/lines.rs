//! `<receive_ns> <frame>` line recordings, and the line machinery every text reader shares.
//!
//! - [`LinesReader`]: one frame a line, `<receive_ns> <raw frame>\n`, where `receive_ns` is the
//!   local receive time in nanoseconds since the Unix epoch. This is hftbacktest's recording
//!   format (our Binance USD-M BTCUSDT file). Plain text or gzip; gzip is recognised by its
//!   magic bytes (`1f 8b`), never by the file name, and concatenated gzip members are read as
//!   one stream.
//!
//! The crate-private `TextSource` underneath reads lines into one reused buffer with
//! `read_until`, counts line numbers and byte offsets for error messages, and bounds a line at
//! [`MAX_LINE_BYTES`] so that a corrupt or hostile file cannot make it allocate without limit.
//! [`CryptofeedReader`](super::CryptofeedReader), [`TardisReader`](super::TardisReader) and
//! [`VisionDepthReader`](super::VisionDepthReader) are built on it too.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use super::{Frame, FrameReader, Position, RecordingError, RecordingErrorKind, excerpt, read_full};
use crate::units::Nanos;

/// The first two bytes of every gzip member.
pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The longest line a text reader accepts (64 MiB); longer lines are skipped with a
/// [`RecordingErrorKind::TooLong`] error. The longest real line we hold (a Deribit
/// `get_instruments` response) is 171 kB.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// Read-buffer size of the file and of the decompressor.
const READ_BUFFER_BYTES: usize = 256 << 10;

/// A line as [`TextSource::next_line`] delivers it.
pub(crate) enum TextLine {
    /// The line is `source.buffer[..len]`, terminator (`\n` or `\r\n`) removed.
    Line(usize),
    /// The line was longer than [`MAX_LINE_BYTES`] and was skipped.
    TooLong,
}

/// Lines of a plain or gzip text file, one reused buffer, with positions for errors.
pub(crate) struct TextSource {
    reader: Box<dyn BufRead + Send>,
    path: Arc<Path>,
    /// The current line (after [`next_line`](Self::next_line) returned `Line(len)`, its bytes
    /// are `buffer[..len]`).
    pub(crate) buffer: Vec<u8>,
    /// Number of the current line, from 1; 0 before the first.
    line: u64,
    /// Byte offset of the current line's first byte.
    line_offset: u64,
    /// Byte offset of the next line's first byte.
    next_offset: u64,
    /// Set after end of data or an I/O error: nothing more is read.
    finished: bool,
}

impl TextSource {
    /// Opens `path`, recognising gzip by its magic bytes.
    pub(crate) fn open(path: &Path) -> Result<TextSource, RecordingError> {
        let shared: Arc<Path> = Arc::from(path);
        let open_error = |error| RecordingError::io(&shared, Position::File, "cannot open", error);
        let mut file = File::open(path).map_err(open_error)?;
        let mut magic = [0_u8; 2];
        let read = read_full(&mut file, &mut magic).map_err(open_error)?;
        file.seek(SeekFrom::Start(0)).map_err(open_error)?;
        let file = BufReader::with_capacity(READ_BUFFER_BYTES, file);
        let reader: Box<dyn BufRead + Send> = if read == 2 && magic == GZIP_MAGIC {
            Box::new(BufReader::with_capacity(READ_BUFFER_BYTES, flate2::read::MultiGzDecoder::new(file)))
        } else {
            Box::new(file)
        };
        Ok(TextSource {
            reader,
            path: shared,
            buffer: Vec::with_capacity(4096),
            line: 0,
            line_offset: 0,
            next_offset: 0,
            finished: false,
        })
    }

    /// The next line, `None` at end of data. An I/O error (including a corrupt gzip stream) is
    /// fatal: it is returned once and the source is finished.
    pub(crate) fn next_line(&mut self) -> Option<Result<TextLine, RecordingError>> {
        if self.finished {
            return None;
        }
        self.buffer.clear();
        self.line += 1;
        self.line_offset = self.next_offset;
        let limit = MAX_LINE_BYTES as u64 + 1;
        let read = match (&mut self.reader).take(limit).read_until(b'\n', &mut self.buffer) {
            Ok(read) => read,
            Err(error) => return Some(Err(self.fail(error))),
        };
        if read == 0 {
            self.finished = true;
            return None;
        }
        self.next_offset += read as u64;
        let mut len = self.buffer.len();
        if self.buffer.last() == Some(&b'\n') {
            len -= 1;
            if len > 0 && self.buffer[len - 1] == b'\r' {
                len -= 1;
            }
            return Some(Ok(TextLine::Line(len)));
        }
        if read as u64 == limit {
            return Some(match self.skip_rest_of_line() {
                Ok(()) => Ok(TextLine::TooLong),
                Err(error) => Err(self.fail(error)),
            });
        }
        // The last line of a file without a final newline.
        if len > 0 && self.buffer[len - 1] == b'\r' {
            len -= 1;
        }
        Some(Ok(TextLine::Line(len)))
    }

    /// The length of the next non-blank line (its bytes are `buffer[..len]`), `None` at end of
    /// data. Blank lines are skipped; a line longer than [`MAX_LINE_BYTES`] is skipped and
    /// reported as the [`too_long`](Self::too_long) error, and reading goes on after it.
    pub(crate) fn next_non_blank_line(&mut self) -> Option<Result<usize, RecordingError>> {
        loop {
            match self.next_line()? {
                Ok(TextLine::Line(0)) => continue,
                Ok(TextLine::Line(len)) => return Some(Ok(len)),
                Ok(TextLine::TooLong) => return Some(Err(self.too_long())),
                Err(error) => return Some(Err(error)),
            }
        }
    }

    fn skip_rest_of_line(&mut self) -> io::Result<()> {
        self.buffer.clear();
        loop {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if available.is_empty() {
                return Ok(());
            }
            let (consumed, done) = match available.iter().position(|&byte| byte == b'\n') {
                Some(end) => (end + 1, true),
                None => (available.len(), false),
            };
            self.reader.consume(consumed);
            self.next_offset += consumed as u64;
            if done {
                return Ok(());
            }
        }
    }

    fn fail(&mut self, error: io::Error) -> RecordingError {
        self.finished = true;
        RecordingError::io(&self.path, self.position(), "read failed", error)
    }

    /// The current line's position.
    pub(crate) fn position(&self) -> Position {
        Position::Line { line: self.line, offset: self.line_offset }
    }

    /// Number of the current line, from 1 (0 before the first).
    pub(crate) fn line_number(&self) -> u64 {
        self.line
    }

    /// An error about the current line.
    pub(crate) fn error(
        &self,
        kind: RecordingErrorKind,
        message: impl Into<std::borrow::Cow<'static, str>>,
    ) -> RecordingError {
        RecordingError::new(kind, &self.path, self.position(), message)
    }

    /// The error for a line longer than [`MAX_LINE_BYTES`].
    pub(crate) fn too_long(&self) -> RecordingError {
        self.error(RecordingErrorKind::TooLong, format!("line longer than {MAX_LINE_BYTES} bytes skipped"))
    }
}

/// Parses an unsigned decimal integer with no sign, no spaces and no leading `+`; `None` if
/// empty, not all digits, or past `i64::MAX`.
pub(crate) fn parse_decimal_i64(text: &[u8]) -> Option<i64> {
    if text.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for &byte in text {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(i64::from(digit))?;
    }
    Some(value)
}

/// Reads `<receive_ns> <frame>` lines (see the [module docs](self)).
pub struct LinesReader {
    source: TextSource,
}

impl LinesReader {
    /// Opens a line recording, plain or gzip.
    pub fn open(path: impl AsRef<Path>) -> Result<LinesReader, RecordingError> {
        Ok(LinesReader { source: TextSource::open(path.as_ref())? })
    }

    /// Number of the line last read, from 1 (blank lines count).
    pub fn line_number(&self) -> u64 {
        self.source.line_number()
    }
}

impl FrameReader for LinesReader {
    fn next_frame(&mut self) -> Option<Result<Frame<'_>, RecordingError>> {
        let len = match self.source.next_non_blank_line()? {
            Ok(len) => len,
            Err(error) => return Some(Err(error)),
        };
        let line = &self.source.buffer[..len];
        let Some(space) = line.iter().position(|&byte| byte == b' ') else {
            return Some(Err(self.source.error(
                RecordingErrorKind::Syntax,
                format!("no space between receive time and frame in {:?}", excerpt(line)),
            )));
        };
        let Some(nanos) = parse_decimal_i64(&line[..space]) else {
            return Some(Err(self.source.error(
                RecordingErrorKind::Timestamp,
                format!("receive time {:?} is not a whole number of nanoseconds", excerpt(&line[..space])),
            )));
        };
        Some(Ok(Frame {
            receive_time: Nanos(nanos),
            channel: "",
            payload: &mut self.source.buffer[space + 1..len],
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receive_times_parse_exactly_or_not_at_all() {
        assert_eq!(parse_decimal_i64(b"1723161255030314667"), Some(1_723_161_255_030_314_667));
        assert_eq!(parse_decimal_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_decimal_i64(b"9223372036854775808"), None);
        assert_eq!(parse_decimal_i64(b""), None);
        assert_eq!(parse_decimal_i64(b"-1"), None);
        assert_eq!(parse_decimal_i64(b"17231612550x"), None);
    }
}
