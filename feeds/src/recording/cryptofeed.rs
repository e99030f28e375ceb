//! cryptofeed raw-data captures (`cryptofeed.raw_data_collection.AsyncFileCallback`).
//!
//! [`CryptofeedReader`] reads the text files cryptofeed writes, one entry a line. Its writer
//! (`AsyncFileCallback.__call__`) produces exactly four shapes, and the first token of a line
//! tells them apart:
//!
//! | line | meaning | reader |
//! |---|---|---|
//! | `<ts>: <frame>` | a received websocket frame | a [`Frame`], channel `""` |
//! | `<url> -> <ts>: <body>` | an HTTP response (REST snapshot) | a [`Frame`], channel = `<url>` |
//! | `<url> <- <ts>: <msg>` | a message we sent (subscription) | skipped |
//! | `<url> <-> <ts>` | a connection was opened | skipped |
//!
//! plus a `configuration: <json>` header line (skipped) and blank lines (skipped). `<ts>` is
//! Python's `str(time.time())`: epoch seconds with a decimal fraction such as
//! `1626992741.06217`. It is converted to [`Nanos`] exactly from its decimal digits
//! ([`parse_epoch_seconds`]), never through `f64`.
//!
//! Binance USD-M, Deribit and OKX captures all use this framing. (Some older OKX/Huobi
//! captures wrote frames as Python bytes literals `b'…'`; those are passed through as they
//! are: unquoting them is the venue parser's business.)

use std::path::Path;

use super::lines::{TextSource, parse_decimal_i64};
use super::{Frame, FrameReader, RecordingError, RecordingErrorKind, excerpt};
use crate::units::Nanos;

/// Converts epoch seconds written as decimal text (`1626992741.06217`) to [`Nanos`] exactly.
///
/// Accepts `digits` or `digits.digits`. Fraction digits past the ninth must be zeros (a
/// sub-nanosecond value cannot be represented, and is refused rather than rounded). `None` for
/// anything else or on overflow.
pub fn parse_epoch_seconds(text: &[u8]) -> Option<Nanos> {
    let (whole, fraction) = match text.iter().position(|&byte| byte == b'.') {
        Some(dot) => (&text[..dot], Some(&text[dot + 1..])),
        None => (text, None),
    };
    let seconds = parse_decimal_i64(whole)?;
    let mut nanos: i64 = 0;
    if let Some(fraction) = fraction {
        if fraction.is_empty() {
            return None;
        }
        let mut scale = Nanos::PER_SECOND;
        for &byte in fraction {
            let digit = byte.wrapping_sub(b'0');
            if digit > 9 {
                return None;
            }
            scale /= 10;
            if scale == 0 {
                if digit != 0 {
                    return None;
                }
            } else {
                nanos += i64::from(digit) * scale;
            }
        }
    }
    seconds.checked_mul(Nanos::PER_SECOND)?.checked_add(nanos).map(Nanos)
}

/// Reads cryptofeed raw-data captures (see the [module docs](self)).
pub struct CryptofeedReader {
    source: TextSource,
    skipped: u64,
}

/// What one line turned out to be.
enum Entry {
    /// A frame: receive time, channel range, payload range within the line.
    Frame { receive_time: Nanos, channel_end: usize, payload_start: usize },
    /// A line that carries no received data.
    Skip,
}

impl CryptofeedReader {
    /// Opens a cryptofeed capture (plain or gzip).
    pub fn open(path: impl AsRef<Path>) -> Result<CryptofeedReader, RecordingError> {
        Ok(CryptofeedReader { source: TextSource::open(path.as_ref())?, skipped: 0 })
    }

    /// Number of the line last read, from 1.
    pub fn line_number(&self) -> u64 {
        self.source.line_number()
    }

    /// How many non-blank lines were skipped because they carry no received data (connection
    /// lines, sent messages, the configuration header).
    pub fn skipped_lines(&self) -> u64 {
        self.skipped
    }

    fn classify(&self, line: &[u8]) -> Result<Entry, RecordingError> {
        if line.first().is_some_and(u8::is_ascii_digit) {
            let (receive_time, payload_start) = self.timestamped(line, 0)?;
            return Ok(Entry::Frame { receive_time, channel_end: 0, payload_start });
        }
        if line.starts_with(b"configuration: ") {
            return Ok(Entry::Skip);
        }
        let Some(space) = line.iter().position(|&byte| byte == b' ') else {
            return Err(self.unrecognised(line));
        };
        let rest = &line[space + 1..];
        if rest.starts_with(b"-> ") {
            if std::str::from_utf8(&line[..space]).is_err() {
                return Err(self.source.error(RecordingErrorKind::Syntax, "HTTP capture URL is not UTF-8"));
            }
            let (receive_time, payload_start) = self.timestamped(line, space + 4)?;
            return Ok(Entry::Frame { receive_time, channel_end: space, payload_start });
        }
        if rest.starts_with(b"<- ") || rest.starts_with(b"<-> ") {
            return Ok(Entry::Skip);
        }
        Err(self.unrecognised(line))
    }

    /// Parses `<ts>: ` at `line[start..]`; returns the time and where the payload starts.
    fn timestamped(&self, line: &[u8], start: usize) -> Result<(Nanos, usize), RecordingError> {
        let tail = line.get(start..).unwrap_or_default();
        let end = tail.iter().take_while(|&&byte| byte.is_ascii_digit() || byte == b'.').count();
        if !tail[end..].starts_with(b": ") {
            return Err(self.source.error(
                RecordingErrorKind::Syntax,
                format!("no ': ' after the receive time in {:?}", excerpt(tail)),
            ));
        }
        let Some(receive_time) = parse_epoch_seconds(&tail[..end]) else {
            return Err(self.source.error(
                RecordingErrorKind::Timestamp,
                format!("receive time {:?} is not epoch seconds", excerpt(&tail[..end])),
            ));
        };
        Ok((receive_time, start + end + 2))
    }

    fn unrecognised(&self, line: &[u8]) -> RecordingError {
        self.source
            .error(RecordingErrorKind::Syntax, format!("not a cryptofeed capture line: {:?}", excerpt(line)))
    }
}

impl FrameReader for CryptofeedReader {
    fn next_frame(&mut self) -> Option<Result<Frame<'_>, RecordingError>> {
        let (receive_time, channel_end, payload_start, end) = loop {
            let len = match self.source.next_non_blank_line()? {
                Ok(len) => len,
                Err(error) => return Some(Err(error)),
            };
            match self.classify(&self.source.buffer[..len]) {
                Ok(Entry::Frame { receive_time, channel_end, payload_start }) => {
                    break (receive_time, channel_end, payload_start, len);
                }
                Ok(Entry::Skip) => self.skipped += 1,
                Err(error) => return Some(Err(error)),
            }
        };
        let (head, tail) = self.source.buffer.split_at_mut(payload_start);
        // Checked to be UTF-8 in `classify`; the fallback is never taken.
        let channel = std::str::from_utf8(&head[..channel_end]).unwrap_or("");
        Some(Ok(Frame { receive_time, channel, payload: &mut tail[..end - payload_start] }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_convert_from_their_digits() {
        // TC0: the first frame of BINANCE_FUTURES.ws.1.0. Through f64 this is
        // 1626992741062169900 or so; from the digits it is exact.
        assert_eq!(parse_epoch_seconds(b"1626992741.06217"), Some(Nanos(1_626_992_741_062_170_000)));
        // TC1: seven fraction digits (DERIBIT.ws.1.0).
        assert_eq!(parse_epoch_seconds(b"1626993723.7145221"), Some(Nanos(1_626_993_723_714_522_100)));
        // TC2: whole seconds, nine digits, trailing zeros past nine.
        assert_eq!(parse_epoch_seconds(b"1626993723"), Some(Nanos(1_626_993_723_000_000_000)));
        assert_eq!(parse_epoch_seconds(b"1.123456789"), Some(Nanos(1_123_456_789)));
        assert_eq!(parse_epoch_seconds(b"1.1234567890"), Some(Nanos(1_123_456_789)));
        // TC3: refused, never rounded.
        assert_eq!(parse_epoch_seconds(b"1.1234567891"), None);
        assert_eq!(parse_epoch_seconds(b"1."), None);
        assert_eq!(parse_epoch_seconds(b".5"), None);
        assert_eq!(parse_epoch_seconds(b"1e9"), None);
        assert_eq!(parse_epoch_seconds(b"99999999999.0"), None);
    }
}
