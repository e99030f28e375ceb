//! halcyon's own capture format: raw frames, append-only, checksummed, crash-tolerant.
//!
//! - [`CaptureWriter`] is what the recorder uses: [`create`](CaptureWriter::create) a new file
//!   or [`open_append`](CaptureWriter::open_append) to an existing one,
//!   [`declare_stream`](CaptureWriter::declare_stream) once per source (say
//!   `binance-usdm/ws/btcusdt`), then [`write`](CaptureWriter::write) each frame as it
//!   arrives.
//! - [`CaptureReader`] replays a capture as a [`FrameReader`], giving each frame its stream
//!   name as [`Frame::channel`].
//!
//! ```
//! use feeds::Nanos;
//! use feeds::recording::{CaptureReader, CaptureWriter, FrameReader};
//! # let path = std::env::temp_dir().join(format!("halcyon-doc-{}.hcap", std::process::id()));
//! # let _ = std::fs::remove_file(&path);
//!
//! let mut writer = CaptureWriter::create(&path)?;
//! let trades = writer.declare_stream("binance-usdm/btcusdt@trade")?;
//! writer.write(Nanos(1_723_161_255_088_176_367), trades, br#"{"e":"trade"}"#)?;
//! writer.flush()?;
//!
//! let mut reader = CaptureReader::open(&path)?;
//! let frame = reader.next_frame().expect("one frame")?;
//! assert_eq!(frame.channel, "binance-usdm/btcusdt@trade");
//! assert_eq!(&*frame.payload, br#"{"e":"trade"}"#);
//! assert!(reader.next_frame().is_none());
//! # std::fs::remove_file(&path).unwrap();
//! # Ok::<(), feeds::recording::RecordingError>(())
//! ```
//!
//! # File layout (version 1)
//!
//! All integers are little-endian. A file is a 16-byte header followed by records, nothing
//! else:
//!
//! ```text
//! file header, 16 bytes
//!   0  [u8; 8]  magic   89 'H' 'A' 'L' 'C' 'A' 'P' 0a   (MAGIC)
//!   8  u16      version = 1                             (VERSION)
//!  10  u16      flags   = 0 (no flags are defined; a reader refuses any set)
//!  12  u32      CRC-32 of bytes 0..12
//!
//! record, 24 + len bytes, repeated
//!   0  [u8; 4]  sync    ff 'h' 'r' fe                   (marks a record start)
//!   4  u32      CRC-32 of bytes 8..24 and the payload   (covers len, stream, time, payload)
//!   8  u32      len     payload length, ≤ MAX_PAYLOAD
//!  12  u32      stream  stream id; 0 = stream declaration
//!  16  i64      receive_ns: local receive time, ns since the Unix epoch (0 for declarations)
//!  24  [u8; len] payload: the frame bytes exactly as received
//! ```
//!
//! A **stream declaration** is a record on the reserved stream 0 whose payload is the new
//! stream's id (`u32`) followed by its name (UTF-8, 1..=[`MAX_STREAM_NAME`] bytes). The writer
//! declares a stream before its first frame, numbering streams densely from 1.
//!
//! Why this shape: the magic's first byte has the high bit set and its last is a newline, so a
//! 7-bit or newline-translating copy is detected at once (the PNG trick). The CRC covers the
//! length, so a torn or flipped length is caught, and the length is bounded so that a corrupt
//! one can never make a reader allocate more than [`MAX_PAYLOAD`]. The sync marker contains
//! bytes (`ff`, `fe`) that never occur in UTF-8, so text payloads cannot imitate a record
//! start; it makes finding the next whole record after a damaged one a cheap scan.
//!
//! # Crashes and corruption
//!
//! Records are only ever appended, so a crash can damage only the end of the file: a record
//! cut short, or (after a power loss) a tail of garbage or zeros. A reader therefore reads up
//! to the last whole record and stops cleanly at a damaged tail, reporting its size
//! ([`CaptureReader::torn_tail_bytes`]); [`CaptureWriter::open_append`] cuts such a tail off
//! before appending. A damaged record *followed by whole records* cannot come from a crash:
//! that is corruption in the middle of the file, a fatal [`RecordingErrorKind::Corrupt`] error
//! naming the record's byte offset, and `open_append` refuses to touch such a file.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use super::{Frame, FrameReader, Position, RecordingError, RecordingErrorKind, read_full};
use crate::units::Nanos;

/// The first eight bytes of every capture file.
pub const MAGIC: [u8; 8] = *b"\x89HALCAP\n";
/// The format version this build writes and reads.
pub const VERSION: u16 = 1;
/// The largest payload a record may carry (16 MiB). Larger frames are refused by the writer;
/// a larger length in a file is damage.
pub const MAX_PAYLOAD: usize = 16 << 20;
/// The longest stream name, in bytes.
pub const MAX_STREAM_NAME: usize = 1024;
/// The largest stream id (streams are numbered densely from 1).
pub const MAX_STREAMS: u32 = 65_535;

const FILE_HEADER_LEN: usize = 16;
const RECORD_SYNC: [u8; 4] = [0xff, b'h', b'r', 0xfe];
const RECORD_HEADER_LEN: usize = 24;
const DECLARATION: u32 = 0;
const BUFFER_BYTES: usize = 256 << 10;
const SCAN_CHUNK_BYTES: usize = 64 << 10;

/// The one valid version-1 file header.
fn file_header() -> [u8; FILE_HEADER_LEN] {
    let mut header = [0_u8; FILE_HEADER_LEN];
    header[..8].copy_from_slice(&MAGIC);
    header[8..10].copy_from_slice(&VERSION.to_le_bytes());
    header[10..12].copy_from_slice(&0_u16.to_le_bytes());
    let crc = crc32fast::hash(&header[..12]);
    header[12..16].copy_from_slice(&crc.to_le_bytes());
    header
}

/// A stream of a capture: one source of frames (a websocket connection, a REST endpoint).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId(u32);

impl StreamId {
    /// The id as stored in the file (1..=[`MAX_STREAMS`]).
    pub const fn get(self) -> u32 {
        self.0
    }
}

/// A record header as stored.
#[derive(Clone, Copy)]
struct RecordHeader {
    len: u32,
    stream: u32,
    receive_ns: i64,
}

impl RecordHeader {
    fn encode(self, payload: &[u8]) -> [u8; RECORD_HEADER_LEN] {
        self.encode_parts(&[payload])
    }

    fn encode_parts(self, parts: &[&[u8]]) -> [u8; RECORD_HEADER_LEN] {
        let mut bytes = [0_u8; RECORD_HEADER_LEN];
        bytes[..4].copy_from_slice(&RECORD_SYNC);
        bytes[8..12].copy_from_slice(&self.len.to_le_bytes());
        bytes[12..16].copy_from_slice(&self.stream.to_le_bytes());
        bytes[16..24].copy_from_slice(&self.receive_ns.to_le_bytes());
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&bytes[8..]);
        for part in parts {
            hasher.update(part);
        }
        bytes[4..8].copy_from_slice(&hasher.finalize().to_le_bytes());
        bytes
    }
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0_u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

/// What [`read_record`] found at the current position.
enum ReadOutcome {
    /// A whole, checksummed record; its payload is in the buffer.
    Record(RecordHeader),
    /// Clean end of file, exactly at a record boundary.
    End,
    /// No whole valid record here; why.
    Bad(&'static str),
}

/// Reads one record into `payload`, checking everything that can be checked.
fn read_record(reader: &mut impl io::Read, payload: &mut Vec<u8>) -> io::Result<ReadOutcome> {
    let mut header = [0_u8; RECORD_HEADER_LEN];
    let read = read_full(reader, &mut header)?;
    if read == 0 {
        return Ok(ReadOutcome::End);
    }
    if read < RECORD_HEADER_LEN {
        return Ok(ReadOutcome::Bad("record header cut short"));
    }
    if header[..4] != RECORD_SYNC {
        return Ok(ReadOutcome::Bad("no record sync marker"));
    }
    let len = u32_at(&header, 8);
    if len as usize > MAX_PAYLOAD {
        return Ok(ReadOutcome::Bad("record length beyond the format's bound"));
    }
    payload.clear();
    payload.resize(len as usize, 0);
    if read_full(reader, payload)? < len as usize {
        return Ok(ReadOutcome::Bad("record payload cut short"));
    }
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&header[8..]);
    hasher.update(payload);
    if hasher.finalize() != u32_at(&header, 4) {
        return Ok(ReadOutcome::Bad("record checksum mismatch"));
    }
    let mut time = [0_u8; 8];
    time.copy_from_slice(&header[16..24]);
    Ok(ReadOutcome::Record(RecordHeader {
        len,
        stream: u32_at(&header, 12),
        receive_ns: i64::from_le_bytes(time),
    }))
}

/// The offset of the first whole, valid record starting after `from`, if any: tells a torn
/// tail (none) from corruption in the middle (some). Reads the rest of the file once.
fn next_valid_record(file: &mut File, from: u64) -> io::Result<Option<u64>> {
    let file_len = file.metadata()?.len();
    let mut chunk = vec![0_u8; SCAN_CHUNK_BYTES];
    let mut scratch = Vec::new();
    let mut position = from;
    while position + RECORD_HEADER_LEN as u64 <= file_len {
        file.seek(SeekFrom::Start(position))?;
        let read = read_full(file, &mut chunk)?;
        if read < RECORD_SYNC.len() {
            break;
        }
        for index in 0..=read - RECORD_SYNC.len() {
            if chunk[index..index + RECORD_SYNC.len()] != RECORD_SYNC {
                continue;
            }
            let candidate = position + index as u64;
            file.seek(SeekFrom::Start(candidate))?;
            if let ReadOutcome::Record(_) = read_record(file, &mut scratch)? {
                return Ok(Some(candidate));
            }
        }
        if read < chunk.len() {
            break;
        }
        // Overlap so that a marker straddling two chunks is seen.
        position += (read - (RECORD_SYNC.len() - 1)) as u64;
    }
    Ok(None)
}

/// Checks a file header; `Ok(None)` for a torn header (a strict prefix of the valid one, as a
/// crash right after creation leaves), `Ok(Some(()))` for a valid one.
fn check_file_header(bytes: &[u8], path: &Arc<Path>) -> Result<Option<()>, RecordingError> {
    let expected = file_header();
    let error = |kind, message: String| RecordingError::new(kind, path, Position::Offset(0), message);
    if bytes.len() < FILE_HEADER_LEN {
        if expected.starts_with(bytes) {
            return Ok(None);
        }
        if bytes.len() < MAGIC.len() || !bytes.starts_with(&MAGIC) {
            return Err(error(RecordingErrorKind::Format, "not a halcyon capture (bad magic)".to_owned()));
        }
    }
    if !bytes.starts_with(&MAGIC) {
        return Err(error(RecordingErrorKind::Format, "not a halcyon capture (bad magic)".to_owned()));
    }
    if bytes.len() < 10 {
        return Err(error(RecordingErrorKind::Format, "capture header cut short".to_owned()));
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version != VERSION {
        return Err(error(
            RecordingErrorKind::UnsupportedVersion,
            format!("capture format version {version} is not supported (this build reads version {VERSION})"),
        ));
    }
    if bytes.len() < FILE_HEADER_LEN {
        return Err(error(RecordingErrorKind::Format, "capture header cut short".to_owned()));
    }
    let flags = u16::from_le_bytes([bytes[10], bytes[11]]);
    if crc32fast::hash(&bytes[..12]) != u32_at(bytes, 12) {
        return Err(error(RecordingErrorKind::Corrupt, "capture header checksum mismatch".to_owned()));
    }
    if flags != 0 {
        return Err(error(
            RecordingErrorKind::UnsupportedVersion,
            format!("capture header flags {flags:#06x} are not supported (version {VERSION} defines none)"),
        ));
    }
    Ok(Some(()))
}

/// Decodes a declaration payload into `(id, name)`.
fn parse_declaration(payload: &[u8]) -> Result<(u32, &str), &'static str> {
    if payload.len() < 5 {
        return Err("stream declaration too short");
    }
    let id = u32_at(payload, 0);
    if id == DECLARATION || id > MAX_STREAMS {
        return Err("stream declaration with an invalid id");
    }
    let name = &payload[4..];
    if name.len() > MAX_STREAM_NAME {
        return Err("stream declaration with an over-long name");
    }
    std::str::from_utf8(name).map(|name| (id, name)).map_err(|_| "stream declaration name is not UTF-8")
}

/// The reader's and writer's view of the damaged tail found at `offset`: a torn tail if no
/// whole record follows, else a fatal corruption error.
fn classify_damage(
    file: &mut File,
    path: &Arc<Path>,
    record: u64,
    offset: u64,
    why: &'static str,
) -> Result<u64, RecordingError> {
    let position = Position::Record { record, offset };
    let next = next_valid_record(file, offset + 1).map_err(|error| {
        RecordingError::io(path, position, "read failed while checking a damaged record", error)
    })?;
    match next {
        Some(next) => Err(RecordingError::new(
            RecordingErrorKind::Corrupt,
            path,
            position,
            format!("{why}, and a whole record follows at byte {next}: the capture is corrupt mid-file"),
        )),
        None => {
            let file_len = file
                .metadata()
                .map_err(|error| RecordingError::io(path, position, "cannot read file length", error))?
                .len();
            Ok(file_len.saturating_sub(offset))
        }
    }
}

/// Reads a capture file as frames (see the [module docs](self)).
pub struct CaptureReader {
    reader: BufReader<File>,
    path: Arc<Path>,
    payload: Vec<u8>,
    /// Stream names by id; `None` for ids never declared.
    streams: Vec<Option<Box<str>>>,
    /// Byte offset of the next record.
    offset: u64,
    /// Records read so far (declarations included).
    records: u64,
    torn_tail: u64,
    finished: bool,
}

impl CaptureReader {
    /// Opens a capture and checks its header: a bad magic is a [`RecordingErrorKind::Format`]
    /// error, another version [`RecordingErrorKind::UnsupportedVersion`]. A file shorter than
    /// the header that is a prefix of a valid one (a crash right after creation) reads as an
    /// empty capture with a torn tail.
    pub fn open(path: impl AsRef<Path>) -> Result<CaptureReader, RecordingError> {
        let path: Arc<Path> = Arc::from(path.as_ref());
        let open_error = |error| RecordingError::io(&path, Position::File, "cannot open", error);
        let mut file = File::open(&path).map_err(open_error)?;
        let mut header = [0_u8; FILE_HEADER_LEN];
        let read = read_full(&mut file, &mut header).map_err(open_error)?;
        let valid = check_file_header(&header[..read], &path)?;
        Ok(CaptureReader {
            reader: BufReader::with_capacity(BUFFER_BYTES, file),
            path,
            payload: Vec::new(),
            streams: Vec::new(),
            offset: read as u64,
            records: 0,
            torn_tail: if valid.is_some() { 0 } else { read as u64 },
            finished: valid.is_none(),
        })
    }

    /// Bytes after the last whole record that were ignored as a torn tail (a record cut short
    /// by a crash, or garbage after it). Zero for a cleanly closed file; meaningful once the
    /// reader returned `None`.
    pub fn torn_tail_bytes(&self) -> u64 {
        self.torn_tail
    }

    /// The name a stream was declared with, if it was declared so far.
    pub fn stream_name(&self, stream: StreamId) -> Option<&str> {
        self.streams.get(stream.0 as usize).and_then(|name| name.as_deref())
    }

    /// Records read so far, stream declarations included.
    pub fn records_read(&self) -> u64 {
        self.records
    }

    fn declare(&mut self, record: u64, offset: u64) -> Result<(), RecordingError> {
        let (id, name) = parse_declaration(&self.payload).map_err(|why| {
            RecordingError::new(
                RecordingErrorKind::Syntax,
                &self.path,
                Position::Record { record, offset },
                why,
            )
        })?;
        let index = id as usize;
        if self.streams.len() <= index {
            self.streams.resize(index + 1, None);
        }
        self.streams[index] = Some(name.into());
        Ok(())
    }
}

impl FrameReader for CaptureReader {
    fn next_frame(&mut self) -> Option<Result<Frame<'_>, RecordingError>> {
        let header = loop {
            if self.finished {
                return None;
            }
            let offset = self.offset;
            let record = self.records + 1;
            let position = Position::Record { record, offset };
            match read_record(&mut self.reader, &mut self.payload) {
                Err(error) => {
                    self.finished = true;
                    return Some(Err(RecordingError::io(&self.path, position, "read failed", error)));
                }
                Ok(ReadOutcome::End) => {
                    self.finished = true;
                    return None;
                }
                Ok(ReadOutcome::Bad(why)) => {
                    self.finished = true;
                    return match classify_damage(self.reader.get_mut(), &self.path, record, offset, why) {
                        Ok(torn) => {
                            self.torn_tail = torn;
                            None
                        }
                        Err(error) => Some(Err(error)),
                    };
                }
                Ok(ReadOutcome::Record(header)) => {
                    self.offset += (RECORD_HEADER_LEN + header.len as usize) as u64;
                    self.records = record;
                    if header.stream == DECLARATION {
                        if let Err(error) = self.declare(record, offset) {
                            return Some(Err(error));
                        }
                        continue;
                    }
                    break header;
                }
            }
        };
        let channel = self.streams.get(header.stream as usize).and_then(|name| name.as_deref()).unwrap_or("");
        Some(Ok(Frame {
            receive_time: Nanos(header.receive_ns),
            channel,
            payload: &mut self.payload[..header.len as usize],
        }))
    }
}

/// Appends frames to a capture file (see the [module docs](self)).
///
/// Writes go through a 256 KiB buffer: [`flush`](Self::flush) hands them to the OS,
/// [`sync`](Self::sync) also makes them durable. Dropping the writer flushes (ignoring
/// errors; call `flush` to see them). After an I/O error the writer refuses further writes,
/// since a half-written record followed by more records would read as corruption; reopen the
/// file with [`open_append`](Self::open_append), which cuts the torn record off.
pub struct CaptureWriter {
    file: BufWriter<File>,
    path: Arc<Path>,
    /// Declared stream names; id `n` is `streams[n - 1]`.
    streams: Vec<Box<str>>,
    /// Bytes in the file, buffered ones included.
    offset: u64,
    /// Records in the file, declarations included.
    records: u64,
    truncated: u64,
    failed: bool,
}

impl CaptureWriter {
    /// Creates a new capture file and writes its header. Fails if the file exists: to continue
    /// a capture use [`open_append`](Self::open_append).
    pub fn create(path: impl AsRef<Path>) -> Result<CaptureWriter, RecordingError> {
        let path: Arc<Path> = Arc::from(path.as_ref());
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|error| RecordingError::io(&path, Position::File, "cannot create", error))?;
        CaptureWriter::start(file, path, 0)
    }

    /// Opens an existing capture to append to it. Checks the header (version included), reads
    /// every record to learn the declared streams and find the end of the last whole record,
    /// and cuts off a torn tail there ([`truncated_bytes`](Self::truncated_bytes) says how
    /// much). A file damaged in the middle is refused with [`RecordingErrorKind::Corrupt`] and
    /// left untouched. A file shorter than a header that is a prefix of one gets a fresh header.
    pub fn open_append(path: impl AsRef<Path>) -> Result<CaptureWriter, RecordingError> {
        let path: Arc<Path> = Arc::from(path.as_ref());
        let io_error = |message, position, error| RecordingError::io(&path, position, message, error);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|error| io_error("cannot open", Position::File, error))?;
        let mut header = [0_u8; FILE_HEADER_LEN];
        let read = read_full(&mut file, &mut header)
            .map_err(|error| io_error("read failed", Position::File, error))?;
        if check_file_header(&header[..read], &path)?.is_none() {
            file.set_len(0).map_err(|error| io_error("cannot truncate", Position::File, error))?;
            file.seek(SeekFrom::Start(0)).map_err(|error| io_error("seek failed", Position::File, error))?;
            return CaptureWriter::start(file, path, read as u64);
        }

        let mut streams: Vec<Box<str>> = Vec::new();
        let mut offset = FILE_HEADER_LEN as u64;
        let mut records = 0_u64;
        let mut truncated = 0_u64;
        let mut payload = Vec::new();
        let mut reader = BufReader::with_capacity(BUFFER_BYTES, &mut file);
        loop {
            let record = records + 1;
            let position = Position::Record { record, offset };
            match read_record(&mut reader, &mut payload)
                .map_err(|error| io_error("read failed", position, error))?
            {
                ReadOutcome::End => break,
                ReadOutcome::Bad(why) => {
                    drop(reader);
                    truncated = classify_damage(&mut file, &path, record, offset, why)?;
                    file.set_len(offset)
                        .map_err(|error| io_error("cannot cut the torn tail", position, error))?;
                    break;
                }
                ReadOutcome::Record(header) => {
                    if header.stream == DECLARATION {
                        let (id, name) = parse_declaration(&payload).map_err(|why| {
                            RecordingError::new(RecordingErrorKind::Corrupt, &path, position, why)
                        })?;
                        if id as usize != streams.len() + 1 {
                            return Err(RecordingError::new(
                                RecordingErrorKind::Corrupt,
                                &path,
                                position,
                                format!("stream {id} declared out of order (expected {})", streams.len() + 1),
                            ));
                        }
                        streams.push(name.into());
                    }
                    offset += (RECORD_HEADER_LEN + header.len as usize) as u64;
                    records = record;
                }
            }
        }
        file.seek(SeekFrom::Start(offset))
            .map_err(|error| io_error("seek failed", Position::Offset(offset), error))?;
        Ok(CaptureWriter {
            file: BufWriter::with_capacity(BUFFER_BYTES, file),
            path,
            streams,
            offset,
            records,
            truncated,
            failed: false,
        })
    }

    /// A writer of a new capture in `file`, empty and positioned at its start: writes the file
    /// header and flushes it. `truncated` is what [`truncated_bytes`](Self::truncated_bytes)
    /// will report.
    fn start(file: File, path: Arc<Path>, truncated: u64) -> Result<CaptureWriter, RecordingError> {
        let mut writer = CaptureWriter {
            file: BufWriter::with_capacity(BUFFER_BYTES, file),
            path,
            streams: Vec::new(),
            offset: 0,
            records: 0,
            truncated,
            failed: false,
        };
        let header = file_header();
        writer.write_bytes(&[&header], false)?;
        writer.flush()?;
        Ok(writer)
    }

    /// Declares a stream and returns its id; declaring a name again returns the id it already
    /// has. Names are 1..=[`MAX_STREAM_NAME`] bytes; at most [`MAX_STREAMS`] streams.
    pub fn declare_stream(&mut self, name: &str) -> Result<StreamId, RecordingError> {
        if let Some(index) = self.streams.iter().position(|known| &**known == name) {
            return Ok(StreamId(index as u32 + 1));
        }
        if name.is_empty() || name.len() > MAX_STREAM_NAME {
            return Err(
                self.invalid(format!("stream name must be 1..={MAX_STREAM_NAME} bytes, got {}", name.len()))
            );
        }
        let id = self.streams.len() as u32 + 1;
        if id > MAX_STREAMS {
            return Err(self.invalid(format!("more than {MAX_STREAMS} streams")));
        }
        let id_bytes = id.to_le_bytes();
        let header = RecordHeader { len: (4 + name.len()) as u32, stream: DECLARATION, receive_ns: 0 };
        let encoded = header.encode_parts(&[&id_bytes, name.as_bytes()]);
        self.write_bytes(&[&encoded, &id_bytes, name.as_bytes()], true)?;
        self.streams.push(name.into());
        Ok(StreamId(id))
    }

    /// Appends one frame of `stream`, received at `receive_time`. Allocation-free. Refuses an
    /// undeclared stream and payloads over [`MAX_PAYLOAD`] (writing nothing).
    pub fn write(
        &mut self,
        receive_time: Nanos,
        stream: StreamId,
        bytes: &[u8],
    ) -> Result<(), RecordingError> {
        if stream.0 == DECLARATION || stream.0 as usize > self.streams.len() {
            return Err(self.invalid(format!("stream {} was not declared", stream.0)));
        }
        if bytes.len() > MAX_PAYLOAD {
            return Err(RecordingError::new(
                RecordingErrorKind::TooLong,
                &self.path,
                self.position(),
                format!("frame of {} bytes exceeds the capture bound of {MAX_PAYLOAD}", bytes.len()),
            ));
        }
        let header = RecordHeader { len: bytes.len() as u32, stream: stream.0, receive_ns: receive_time.0 };
        let encoded = header.encode(bytes);
        self.write_bytes(&[&encoded, bytes], true)
    }

    /// Hands buffered records to the operating system.
    pub fn flush(&mut self) -> Result<(), RecordingError> {
        self.check_usable()?;
        if let Err(error) = self.file.flush() {
            self.failed = true;
            return Err(RecordingError::io(&self.path, Position::Offset(self.offset), "flush failed", error));
        }
        Ok(())
    }

    /// Flushes, then waits until the records are on stable storage (`fdatasync`).
    pub fn sync(&mut self) -> Result<(), RecordingError> {
        self.flush()?;
        if let Err(error) = self.file.get_ref().sync_data() {
            self.failed = true;
            return Err(RecordingError::io(&self.path, Position::Offset(self.offset), "sync failed", error));
        }
        Ok(())
    }

    /// Bytes of torn tail that [`open_append`](Self::open_append) cut off (0 if none).
    pub fn truncated_bytes(&self) -> u64 {
        self.truncated
    }

    /// Records in the file so far, stream declarations included.
    pub fn records_written(&self) -> u64 {
        self.records
    }

    /// Size of the file once flushed, in bytes.
    pub fn len_bytes(&self) -> u64 {
        self.offset
    }

    /// Writes `parts` back to back: one record (`is_record`) or the file header.
    fn write_bytes(&mut self, parts: &[&[u8]], is_record: bool) -> Result<(), RecordingError> {
        self.check_usable()?;
        for part in parts {
            if let Err(error) = self.file.write_all(part) {
                self.failed = true;
                return Err(RecordingError::io(&self.path, self.position(), "write failed", error));
            }
        }
        let written: usize = parts.iter().map(|part| part.len()).sum();
        self.offset += written as u64;
        if is_record {
            self.records += 1;
        }
        Ok(())
    }

    fn check_usable(&self) -> Result<(), RecordingError> {
        if self.failed {
            return Err(RecordingError::new(
                RecordingErrorKind::Io,
                &self.path,
                Position::Offset(self.offset),
                "writer stopped after an earlier I/O error; reopen the file with open_append",
            ));
        }
        Ok(())
    }

    fn position(&self) -> Position {
        Position::Record { record: self.records + 1, offset: self.offset }
    }

    fn invalid(&self, message: String) -> RecordingError {
        RecordingError::new(RecordingErrorKind::InvalidArgument, &self.path, self.position(), message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_sixteen_bytes_and_self_checking() {
        let header = file_header();
        assert_eq!(&header[..8], b"\x89HALCAP\n");
        assert_eq!(&header[8..12], &[1, 0, 0, 0]);
        let path: Arc<Path> = Arc::from(Path::new("test.cap"));
        assert_eq!(check_file_header(&header, &path).unwrap(), Some(()));
        // Every strict prefix is a torn header, not an error.
        for len in 0..FILE_HEADER_LEN {
            assert_eq!(check_file_header(&header[..len], &path).unwrap(), None, "prefix {len}");
        }
        let mut flipped = header;
        flipped[13] ^= 1;
        assert_eq!(check_file_header(&flipped, &path).unwrap_err().kind(), RecordingErrorKind::Corrupt);
    }

    #[test]
    fn a_record_round_trips_and_any_flipped_bit_is_caught() {
        let payload = br#"{"stream":"btcusdt@trade"}"#;
        let header =
            RecordHeader { len: payload.len() as u32, stream: 3, receive_ns: 1_723_161_255_088_176_367 };
        let mut bytes = header.encode(payload).to_vec();
        bytes.extend_from_slice(payload);
        let mut buffer = Vec::new();
        match read_record(&mut &bytes[..], &mut buffer).unwrap() {
            ReadOutcome::Record(read) => {
                assert_eq!((read.len, read.stream, read.receive_ns), (26, 3, 1_723_161_255_088_176_367));
                assert_eq!(buffer, payload);
            }
            _ => panic!("record not read back"),
        }
        // Flip each bit after the sync marker: the record must never read as valid.
        for bit in 32..bytes.len() * 8 {
            let mut damaged = bytes.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert!(
                !matches!(read_record(&mut &damaged[..], &mut buffer).unwrap(), ReadOutcome::Record(_)),
                "bit {bit}"
            );
        }
    }

    #[test]
    fn declarations_are_validated() {
        assert_eq!(parse_declaration(b"\x01\x00\x00\x00ws"), Ok((1, "ws")));
        assert!(parse_declaration(b"\x00\x00\x00\x00ws").is_err());
        assert!(parse_declaration(b"\x01\x00\x00\x00").is_err());
        assert!(parse_declaration(b"\x01\x00\x00\x00\xff").is_err());
    }
}
