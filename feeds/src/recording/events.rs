//! halcyon's normalized event file: events already decoded, so a replay skips parsing.
//!
//! A frame recording has to go through the venue decoder and the depth sequencer on every
//! replay; an event file holds what they produced (each frame's [`Event`]s, then its
//! `FrameEnd`), so a backtest or a parameter sweep reads it once and runs at memory speed.
//!
//! - [`EventFileWriter`] writes one: [`create`](EventFileWriter::create) it with the instrument
//!   table the events' ids refer to and a description of where they came from,
//!   [`write`](EventFileWriter::write) the events in order, then
//!   [`finish`](EventFileWriter::finish) it (which writes the checksums and the count).
//! - [`EventFile`] reads one whole: [`open`](EventFile::open) decodes and validates every
//!   record once, and [`events`](EventFile::events) is then a plain `&[Event]`.
//!
//! ```
//! use feeds::recording::events::{EventFile, EventFileWriter};
//! use feeds::{Event, EventKind, InstrumentId, Instruments, Nanos, OpenInterest, Lots, Seq};
//! # let path = std::env::temp_dir().join(format!("halcyon-doc-{}.hev", std::process::id()));
//! # let _ = std::fs::remove_file(&path);
//! let instruments = Instruments::from_toml(
//!     "[[instrument]]\nvenue = \"binance-usdm\"\nsymbol = \"BTCUSDT\"\n\
//!      tick_size = \"0.10\"\nlot_size = \"0.001\"\nbase = \"BTC\"\nquote = \"USDT\"\n",
//! )?;
//! let event = Event::new(
//!     Nanos(1_723_161_255_000_000_000),
//!     Nanos(1_723_161_255_088_176_367),
//!     Seq(0),
//!     InstrumentId(0),
//!     EventKind::OpenInterest(OpenInterest { qty: Lots(81_234_567) }),
//! );
//!
//! let mut writer = EventFileWriter::create(&path, &instruments, "btcusdt_20240808.gz")?;
//! writer.write(&event)?;
//! writer.finish()?;
//!
//! let file = EventFile::open(&path)?;
//! assert_eq!(file.events(), &[event]);
//! assert_eq!(file.source(), "btcusdt_20240808.gz");
//! assert_eq!(file.instruments().find("binance-usdm", "BTCUSDT"), Some(InstrumentId(0)));
//! assert!(file.is_finished());
//! # std::fs::remove_file(&path).unwrap();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # File layout (version 1)
//!
//! All integers are little-endian. A file is a header, the records, and a trailer:
//!
//! ```text
//! header, header_len bytes (a multiple of 64)
//!   0  [u8; 8]  magic   89 'H' 'A' 'L' 'E' 'V' 'T' 0a          (MAGIC)
//!   8  u16      version = 1                                    (VERSION)
//!  10  u16      flags   = 0 (none are defined; a reader refuses any set)
//!  12  u32      header_len: bytes before the first record
//!  16  u64      count of events; u64::MAX ("unfinished") until finish patches it
//!  24  u32      instruments_len
//!  28  u32      source_len
//!  32  u32      CRC-32 of bytes 0..header_len, the count and this field read as zeros
//!  36  [u8; instruments_len]  the instrument table, TOML (Instruments::from_toml reads it)
//!  ..  [u8; source_len]       where the events came from, UTF-8 (a recording's file name)
//!  ..  zeros up to header_len (fewer than 64)
//!
//! record, 64 bytes, repeated count times: Event::to_bytes, nothing else
//!
//! trailer, written by finish
//!   [u32; ceil(count / events_per_block)]  CRC-32 of each block of events_per_block records
//!                                          (the last block may be shorter); zeros up to a
//!                                          multiple of 64
//!   trailer end, 64 bytes
//!    0  [u8; 8]  magic   89 'H' 'A' 'L' 'E' 'N' 'D' 0a         (TRAILER_MAGIC)
//!    8  u64      count of events (the header's, again)
//!   16  u32      events_per_block = 1024                       (EVENTS_PER_BLOCK)
//!   20  [u8; 8]  zeros
//!   28  [u8; 4]  ff ff ff ff
//!   32  [u8; 28] zeros
//!   60  u32      CRC-32 of the block table and bytes 0..60 of the trailer end
//! ```
//!
//! Why this shape:
//! - **Fixed-size records at a 64-byte-aligned offset:** record `i` is at
//!   `header_len + 64 × i`, so the file can be memory-mapped or read in any slice without a
//!   scan, and a record never straddles a cache line of an aligned mapping.
//! - **No per-record framing:** [`Event::from_bytes`] already refuses any byte pattern an event
//!   cannot have (tag, code, flags, padding), and the trailer's checksums catch the rest. A
//!   CRC per *block* of 1024 records (64 KiB) rather than one for the whole file says where
//!   damage is, to within 64 KiB, for a few kilobytes of trailer per million events.
//! - **Self-describing:** the header carries the instrument table the records' ids index, so a
//!   file never replays against the wrong table, and what it was made from.
//! - **The magic** has its first byte's high bit set and ends in a newline, so a 7-bit or
//!   newline-translating copy is caught at once (the PNG trick); it differs from the capture's
//!   ([`capture::MAGIC`](super::capture::MAGIC)) in its last letters.
//! - **The trailer end** has `ff` at byte 28, where a record has its tag, so no trailer reads
//!   as an event. It sits at the very end of the file, where a reader finds it without knowing
//!   the count.
//! - **The count is outside the header's CRC** because [`EventFileWriter::finish`] patches it
//!   in place after everything else is written: that 8-byte write is the commit, and it is
//!   checked against the file's length and the trailer's own count instead.
//!
//! # Crashes and corruption
//!
//! The writer appends records and writes the trailer, then the count, only in `finish`. A file
//! whose writer stopped before (a crash, or a writer dropped unfinished) still has its header
//! count at `u64::MAX` and no trailer. [`EventFile::open`] reads such a file, with a warning
//! rather than an error: the whole records present, in order, up to the first that is not a
//! valid event; what follows is the torn tail ([`EventFile::torn_tail_bytes`]).
//! [`EventFile::is_finished`] is false and [`EventFile::warning`] says all of this. Those
//! records are checked only by [`Event::from_bytes`]; an all-zero record also ends them (a
//! power loss leaves zero-filled blocks, so the writer refuses to write an all-zero event).
//! Records start at multiples of 64 bytes in the file, so damage by whole sectors or pages
//! covers whole records, never half of one. An
//! invalid record *followed by a valid one* is not a crash: it is a fatal
//! [`RecordingErrorKind::Corrupt`] error naming the record's index and byte offset.
//!
//! A finished file must be whole: its length must be exactly what the count says, every record
//! valid and every block's CRC right. Anything else (a byte flipped anywhere, a copy cut short,
//! bytes appended) is a fatal error naming the byte offset of the damage: the record's for an
//! invalid record, the block's for a checksum mismatch. A file that does not start with the
//! magic is refused with [`RecordingErrorKind::Format`]; another version with
//! [`RecordingErrorKind::UnsupportedVersion`]. No input makes the reader panic.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use super::{Position, RecordingError, RecordingErrorKind, read_full};
use crate::event::Event;
use crate::instrument::Instruments;

/// The first eight bytes of every event file.
pub const MAGIC: [u8; 8] = *b"\x89HALEVT\n";
/// The first eight bytes of an event file's trailer end.
pub const TRAILER_MAGIC: [u8; 8] = *b"\x89HALEND\n";
/// The format version this build writes and reads.
pub const VERSION: u16 = 1;
/// Bytes per record: one [`Event::to_bytes`].
pub const RECORD_LEN: usize = 64;
/// Records per checksummed block, as this build writes them (a reader takes the trailer's).
pub const EVENTS_PER_BLOCK: u32 = 1024;
/// The longest source description, in bytes.
pub const MAX_SOURCE_LEN: usize = 64 << 10;

/// The header's count until [`EventFileWriter::finish`] patches it.
pub(super) const UNFINISHED: u64 = u64::MAX;
/// The fixed part of the header, before the instrument table.
const FIXED_HEADER_LEN: usize = 36;
const COUNT_AT: usize = 16;
const HEADER_CRC_AT: usize = 32;
const TRAILER_END_LEN: usize = 64;
/// The largest block a reader accepts (4 MiB of records): bounds its buffer.
const MAX_EVENTS_PER_BLOCK: u32 = 1 << 16;

/// `len` rounded up to a multiple of 64.
fn pad64(len: u64) -> u64 {
    len.div_ceil(64).saturating_mul(64)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0_u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0_u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

/// The CRC of a whole header, with the count and the CRC field read as zeros.
fn header_crc(header: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&header[..COUNT_AT]);
    hasher.update(&[0; 8]);
    hasher.update(&header[COUNT_AT + 8..HEADER_CRC_AT]);
    hasher.update(&[0; 4]);
    hasher.update(&header[HEADER_CRC_AT + 4..]);
    hasher.finalize()
}

/// The bytes of the block table for `blocks` blocks: their CRCs, zero-padded to 64.
fn table_len(blocks: u64) -> u64 {
    pad64(blocks.saturating_mul(4))
}

/// The trailer end for `count` events, its CRC taken over `table` too.
fn trailer_end(count: u64, table: &[u8]) -> [u8; TRAILER_END_LEN] {
    let mut end = [0_u8; TRAILER_END_LEN];
    end[..8].copy_from_slice(&TRAILER_MAGIC);
    end[8..16].copy_from_slice(&count.to_le_bytes());
    end[16..20].copy_from_slice(&EVENTS_PER_BLOCK.to_le_bytes());
    end[28..32].copy_from_slice(&[0xff; 4]);
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(table);
    hasher.update(&end[..60]);
    end[60..].copy_from_slice(&hasher.finalize().to_le_bytes());
    end
}

/// Appends events to a new event file (see the [module docs](self)).
///
/// Records are buffered one block (64 KiB) at a time; [`flush`](Self::flush) hands them to the
/// operating system, [`finish`](Self::finish) completes the file. Dropping an unfinished writer
/// flushes (ignoring errors) and leaves an unfinished file, which reads with a warning. After
/// an I/O error the writer refuses further writes.
pub struct EventFileWriter {
    file: File,
    path: Arc<Path>,
    /// Record bytes not yet written to the file; never more than one block's.
    buffer: Vec<u8>,
    /// CRC of the current block's records already written to the file.
    block: crc32fast::Hasher,
    /// Records in the current block, buffered ones included (`< EVENTS_PER_BLOCK`).
    block_events: u32,
    /// CRCs of the completed blocks.
    block_crcs: Vec<u32>,
    /// Events written, buffered ones included.
    events: u64,
    header_len: u64,
    failed: bool,
    finished: bool,
}

impl EventFileWriter {
    /// Creates a new event file for events whose ids index `instruments`, made from `source`
    /// (a recording's file name, say; at most [`MAX_SOURCE_LEN`] bytes), and writes its header.
    /// Fails if the file exists, as [`CaptureWriter::create`](super::CaptureWriter::create)
    /// does: a finished file is never overwritten by accident.
    pub fn create(
        path: impl AsRef<Path>,
        instruments: &Instruments,
        source: &str,
    ) -> Result<EventFileWriter, RecordingError> {
        let path: Arc<Path> = Arc::from(path.as_ref());
        if source.len() > MAX_SOURCE_LEN {
            return Err(RecordingError::new(
                RecordingErrorKind::InvalidArgument,
                &path,
                Position::File,
                format!("source description of {} bytes exceeds {MAX_SOURCE_LEN}", source.len()),
            ));
        }
        let table = instruments.to_toml();
        let too_long = |what: &str| {
            RecordingError::new(
                RecordingErrorKind::InvalidArgument,
                &path,
                Position::File,
                format!("{what} does not fit an event file header"),
            )
        };
        let table_len = u32::try_from(table.len()).map_err(|_| too_long("the instrument table"))?;
        let used = FIXED_HEADER_LEN + table.len() + source.len();
        let header_len = u32::try_from(pad64(used as u64)).map_err(|_| too_long("the header"))?;

        let mut header = vec![0_u8; header_len as usize];
        header[..8].copy_from_slice(&MAGIC);
        header[8..10].copy_from_slice(&VERSION.to_le_bytes());
        header[12..16].copy_from_slice(&header_len.to_le_bytes());
        header[24..28].copy_from_slice(&table_len.to_le_bytes());
        header[28..32].copy_from_slice(&(source.len() as u32).to_le_bytes());
        header[FIXED_HEADER_LEN..FIXED_HEADER_LEN + table.len()].copy_from_slice(table.as_bytes());
        header[FIXED_HEADER_LEN + table.len()..used].copy_from_slice(source.as_bytes());
        let crc = header_crc(&header);
        header[HEADER_CRC_AT..HEADER_CRC_AT + 4].copy_from_slice(&crc.to_le_bytes());
        header[COUNT_AT..COUNT_AT + 8].copy_from_slice(&UNFINISHED.to_le_bytes());

        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|error| RecordingError::io(&path, Position::File, "cannot create", error))?;
        file.write_all(&header)
            .map_err(|error| RecordingError::io(&path, Position::Offset(0), "write failed", error))?;
        Ok(EventFileWriter {
            file,
            path,
            buffer: Vec::with_capacity(EVENTS_PER_BLOCK as usize * RECORD_LEN),
            block: crc32fast::Hasher::new(),
            block_events: 0,
            block_crcs: Vec::new(),
            events: 0,
            header_len: u64::from(header_len),
            failed: false,
            finished: false,
        })
    }

    /// Appends one event. Allocation-free but for the list of block CRCs, which grows by 4
    /// bytes per 1024 events. Refuses an event whose bytes are all zero (see the
    /// [module docs](self#crashes-and-corruption)), writing nothing.
    #[inline]
    pub fn write(&mut self, event: &Event) -> Result<(), RecordingError> {
        self.check_usable()?;
        let bytes = event.to_bytes();
        if bytes == [0; RECORD_LEN] {
            return Err(RecordingError::new(
                RecordingErrorKind::InvalidArgument,
                &self.path,
                Position::Offset(self.offset()),
                "an event whose bytes are all zero cannot be written (it reads as a zero-filled hole)",
            ));
        }
        self.buffer.extend_from_slice(&bytes);
        self.events += 1;
        self.block_events += 1;
        if self.block_events == EVENTS_PER_BLOCK {
            self.write_buffer()?;
            self.block_crcs.push(std::mem::take(&mut self.block).finalize());
            self.block_events = 0;
        }
        Ok(())
    }

    /// Appends events in order; stops at the first error.
    pub fn write_all(&mut self, events: &[Event]) -> Result<(), RecordingError> {
        events.iter().try_for_each(|event| self.write(event))
    }

    /// Hands buffered records to the operating system (the file stays unfinished).
    pub fn flush(&mut self) -> Result<(), RecordingError> {
        self.check_usable()?;
        self.write_buffer()
    }

    /// Completes the file: writes the buffered records and the trailer, makes them durable,
    /// then patches the count into the header (the commit) and makes that durable. Returns the
    /// number of events in the file.
    pub fn finish(mut self) -> Result<u64, RecordingError> {
        self.check_usable()?;
        self.write_buffer()?;
        if self.block_events > 0 {
            self.block_crcs.push(std::mem::take(&mut self.block).finalize());
            self.block_events = 0;
        }
        let mut trailer = Vec::with_capacity(table_len(self.block_crcs.len() as u64) as usize + 64);
        for crc in &self.block_crcs {
            trailer.extend_from_slice(&crc.to_le_bytes());
        }
        trailer.resize(table_len(self.block_crcs.len() as u64) as usize, 0);
        let end = trailer_end(self.events, &trailer);
        trailer.extend_from_slice(&end);
        let at = self.offset();
        self.io(at, "cannot write the trailer", |file| file.write_all(&trailer))?;
        self.io(at, "sync failed", |file| file.sync_data())?;
        let count = self.events.to_le_bytes();
        self.io(COUNT_AT as u64, "cannot patch the count", |file| {
            file.seek(SeekFrom::Start(COUNT_AT as u64))?;
            file.write_all(&count)
        })?;
        self.io(COUNT_AT as u64, "sync failed", |file| file.sync_data())?;
        self.finished = true;
        Ok(self.events)
    }

    /// Events written so far, buffered ones included.
    pub fn events_written(&self) -> u64 {
        self.events
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Byte offset of the next record, once the buffer is written.
    fn offset(&self) -> u64 {
        self.header_len + self.events * RECORD_LEN as u64
    }

    /// Writes the buffered records to the file, folding them into the block's CRC.
    fn write_buffer(&mut self) -> Result<(), RecordingError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let at = self.offset() - self.buffer.len() as u64;
        let buffer = std::mem::take(&mut self.buffer);
        let written = self.io(at, "write failed", |file| file.write_all(&buffer));
        self.block.update(&buffer);
        self.buffer = buffer;
        self.buffer.clear();
        written
    }

    /// Runs one I/O step on the file; a failure stops the writer.
    fn io(
        &mut self,
        at: u64,
        message: &'static str,
        step: impl FnOnce(&mut File) -> io::Result<()>,
    ) -> Result<(), RecordingError> {
        step(&mut self.file).map_err(|error| {
            self.failed = true;
            RecordingError::io(&self.path, Position::Offset(at), message, error)
        })
    }

    fn check_usable(&self) -> Result<(), RecordingError> {
        if self.failed {
            return Err(RecordingError::new(
                RecordingErrorKind::Io,
                &self.path,
                Position::Offset(self.offset()),
                "writer stopped after an earlier I/O error",
            ));
        }
        Ok(())
    }
}

impl Drop for EventFileWriter {
    fn drop(&mut self) {
        if !self.finished && !self.failed {
            let _ = self.write_buffer();
        }
    }
}

/// A whole event file, read and validated (see the [module docs](self)).
///
/// Why a decoded `Vec<Event>` rather than an iterator over the bytes: a replay (and a sweep
/// runs many over the same market) then walks a contiguous, 64-aligned slice with no per-event
/// decode or check, and every record is known good before the first event is replayed, so a
/// corrupt file fails at open, not halfway through a run. The cost is one pass at open and
/// 64 bytes of memory per event (40 MB for the 6-minute BTCUSDT recording's 627k events).
/// Records are read block by block, never the whole file at once, so the peak is the events
/// plus one block.
///
/// NB: opening that file takes about 22 ms (release build, file in the page cache), of which
/// about 19 ms is what a bare `std::fs::read` of it takes; the block CRCs cost 1.4 ms and
/// [`Event::from_bytes`] 2.2 ms (measured once on a 2-core VM against a bare `fs::read`,
/// `crc32fast::hash` and `from_bytes` of the same file;
/// `the_btcusdt_recording_round_trips_through_an_event_file` in `feeds/tests/events_file.rs`
/// prints the open time on every run).
/// Validation is not worth skipping, and a memory map would need `unsafe` for little gain.
pub struct EventFile {
    path: Arc<Path>,
    instruments: Instruments,
    source: String,
    events: Vec<Event>,
    finished: bool,
    torn_tail: u64,
}

/// What the header says.
pub(super) struct Header {
    pub(super) len: u64,
    pub(super) count: u64,
    pub(super) instruments: Instruments,
    pub(super) source: String,
}

/// The checksums of a finished file.
pub(super) struct Trailer {
    /// Events in the file; the records fill exactly the bytes before the block table.
    pub(super) count: u64,
    pub(super) events_per_block: u32,
    pub(super) block_crcs: Vec<u32>,
}

impl EventFile {
    /// Opens an event file, reads every record and validates it. Fails on a file that is not
    /// an event file, of another version, or damaged; reads an unfinished file up to its last
    /// whole valid record (see [`is_finished`](Self::is_finished)).
    pub fn open(path: impl AsRef<Path>) -> Result<EventFile, RecordingError> {
        let path: Arc<Path> = Arc::from(path.as_ref());
        let open_error = |error| RecordingError::io(&path, Position::File, "cannot open", error);
        let mut file = File::open(&path).map_err(open_error)?;
        let file_len = file.metadata().map_err(open_error)?.len();
        let mut reader = Reader { file: &mut file, path: &path, file_len };
        let header = reader.header()?;
        let (events, finished, torn_tail) = if header.count != UNFINISHED {
            let trailer = reader.trailer(&header, Some(header.count))?.ok_or_else(|| {
                let expected = header.count.checked_mul(RECORD_LEN as u64).map(|records| {
                    let blocks = header.count.div_ceil(u64::from(EVENTS_PER_BLOCK));
                    header.len.saturating_add(records).saturating_add(table_len(blocks) + 64)
                });
                reader.corrupt(
                    file_len.saturating_sub(TRAILER_END_LEN as u64),
                    format!(
                        "the header says the file is finished with {} events ({} bytes with its \
                         trailer), but the file has {file_len} bytes and does not end in a valid \
                         trailer: cut short, appended to or damaged",
                        header.count,
                        expected.map_or_else(|| "more than 2^64".to_owned(), |bytes| bytes.to_string()),
                    ),
                )
            })?;
            (reader.finished_records(&header, &trailer)?, true, 0)
        } else if let Some(trailer) = reader.trailer(&header, None)? {
            // `finish` wrote the trailer but stopped before patching the count: the file is
            // whole and checksummed all the same.
            (reader.finished_records(&header, &trailer)?, true, 0)
        } else {
            let (events, torn_tail) = reader.unfinished_records(&header)?;
            (events, false, torn_tail)
        };
        Ok(EventFile {
            path,
            instruments: header.instruments,
            source: header.source,
            events,
            finished,
            torn_tail,
        })
    }

    /// The instrument table the events' [`InstrumentId`](crate::InstrumentId)s index.
    pub fn instruments(&self) -> &Instruments {
        &self.instruments
    }

    /// Where the events came from, as the writer described it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True if the file holds no events.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The events, in the order they were written, each already validated.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The events, without copying them.
    pub fn into_events(self) -> Vec<Event> {
        self.events
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True if the writer finished the file: every record was checked against its checksum.
    /// False if it stopped before ([`warning`](Self::warning) says so).
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Bytes after the last whole valid record of an unfinished file that were ignored (a
    /// record cut short by a crash, zero-filled blocks). Always zero for a finished file.
    pub fn torn_tail_bytes(&self) -> u64 {
        self.torn_tail
    }

    /// For an unfinished file, what to tell the user: the file is usable but incomplete and
    /// unchecksummed. `None` for a finished file.
    pub fn warning(&self) -> Option<String> {
        (!self.finished).then(|| {
            format!(
                "{}: the event file was not finished (its writer stopped early): read its {} whole \
                 events, checked one by one but not against a checksum, and ignored {} bytes of torn tail",
                self.path.display(),
                self.events.len(),
                self.torn_tail
            )
        })
    }
}

/// A summary: a file's events are too many to print.
impl fmt::Debug for EventFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventFile")
            .field("path", &self.path)
            .field("source", &self.source)
            .field("instruments", &self.instruments.len())
            .field("events", &self.events.len())
            .field("finished", &self.finished)
            .field("torn_tail", &self.torn_tail)
            .finish()
    }
}

/// Reading one file: its handle, path and length.
pub(super) struct Reader<'a> {
    pub(super) file: &'a mut File,
    pub(super) path: &'a Arc<Path>,
    pub(super) file_len: u64,
}

impl Reader<'_> {
    fn error(&self, kind: RecordingErrorKind, at: u64, message: impl Into<String>) -> RecordingError {
        RecordingError::new(kind, self.path, Position::Offset(at), message.into())
    }

    pub(super) fn corrupt(&self, at: u64, message: impl Into<String>) -> RecordingError {
        self.error(RecordingErrorKind::Corrupt, at, message)
    }

    /// Reads exactly `buffer.len()` bytes at `at` (the caller checked they are in the file).
    fn read_at(&mut self, at: u64, buffer: &mut [u8]) -> Result<(), RecordingError> {
        self.seek(at)?;
        self.file
            .read_exact(buffer)
            .map_err(|error| RecordingError::io(self.path, Position::Offset(at), "read failed", error))
    }

    pub(super) fn header(&mut self) -> Result<Header, RecordingError> {
        let mut fixed = [0_u8; FIXED_HEADER_LEN];
        let read = read_full(self.file, &mut fixed)
            .map_err(|error| RecordingError::io(self.path, Position::File, "read failed", error))?;
        let fixed = &fixed[..read];
        if read == 0 {
            return Err(self.error(
                RecordingErrorKind::Format,
                0,
                "empty file (0 bytes): not a halcyon event file",
            ));
        }
        if !fixed.starts_with(&MAGIC) {
            if MAGIC.starts_with(fixed) {
                return Err(self.corrupt(0, format!("event file header cut short ({read} bytes)")));
            }
            let hint = if fixed.starts_with(&super::capture::MAGIC) {
                "; this is a halcyon capture of raw frames: read it with CaptureReader or open_frames"
            } else {
                ""
            };
            return Err(self.error(
                RecordingErrorKind::Format,
                0,
                format!("not a halcyon event file (bad magic){hint}"),
            ));
        }
        if read < 10 {
            return Err(self.corrupt(0, format!("event file header cut short ({read} bytes)")));
        }
        let version = u16::from_le_bytes([fixed[8], fixed[9]]);
        if version != VERSION {
            return Err(self.error(
                RecordingErrorKind::UnsupportedVersion,
                8,
                format!("event file version {version} is not supported (this build reads version {VERSION})"),
            ));
        }
        if read < FIXED_HEADER_LEN {
            return Err(self.corrupt(0, format!("event file header cut short ({read} bytes)")));
        }
        let header_len = u64::from(u32_at(fixed, 12));
        let instruments_len = u64::from(u32_at(fixed, 24));
        let source_len = u64::from(u32_at(fixed, 28));
        let used = FIXED_HEADER_LEN as u64 + instruments_len + source_len;
        if !header_len.is_multiple_of(64) || header_len < used || header_len - used >= 64 {
            return Err(self.corrupt(
                12,
                format!(
                    "impossible header length {header_len} (table {instruments_len} and source \
                     {source_len} bytes, padded to a multiple of 64)"
                ),
            ));
        }
        if header_len > self.file_len {
            return Err(self.corrupt(
                0,
                format!("header of {header_len} bytes, but the file has {}: cut short", self.file_len),
            ));
        }
        let mut header = vec![0_u8; header_len as usize];
        self.read_at(0, &mut header)?;
        if header_crc(&header) != u32_at(&header, HEADER_CRC_AT) {
            return Err(self.corrupt(0, "event file header checksum mismatch"));
        }
        let flags = u16::from_le_bytes([header[10], header[11]]);
        if flags != 0 {
            return Err(self.error(
                RecordingErrorKind::UnsupportedVersion,
                10,
                format!("event file flags {flags:#06x} are not supported (version {VERSION} defines none)"),
            ));
        }
        let table_end = FIXED_HEADER_LEN + instruments_len as usize;
        let source_end = table_end + source_len as usize;
        if header[source_end..].iter().any(|&byte| byte != 0) {
            return Err(self.corrupt(source_end as u64, "header padding is not zeros"));
        }
        let table = std::str::from_utf8(&header[FIXED_HEADER_LEN..table_end])
            .map_err(|_| self.corrupt(FIXED_HEADER_LEN as u64, "instrument table is not UTF-8"))?;
        let instruments = Instruments::from_toml(table).map_err(|error| {
            self.error(
                RecordingErrorKind::Format,
                FIXED_HEADER_LEN as u64,
                format!("instrument table does not read: {error}"),
            )
        })?;
        let source = std::str::from_utf8(&header[table_end..source_end])
            .map_err(|_| self.corrupt(table_end as u64, "source description is not UTF-8"))?;
        Ok(Header {
            len: header_len,
            count: u64_at(&header, COUNT_AT),
            instruments,
            source: source.to_owned(),
        })
    }

    /// The trailer at the end of the file, checked: its CRC, its count against `expected` (the
    /// header's, if patched) and the file's length. `None` if the file does not end in a valid
    /// trailer end.
    pub(super) fn trailer(
        &mut self,
        header: &Header,
        expected: Option<u64>,
    ) -> Result<Option<Trailer>, RecordingError> {
        let end_len = TRAILER_END_LEN as u64;
        if self.file_len < header.len + end_len || !(self.file_len - header.len).is_multiple_of(64) {
            return Ok(None);
        }
        let end_at = self.file_len - end_len;
        let mut end = [0_u8; TRAILER_END_LEN];
        self.read_at(end_at, &mut end)?;
        if end[..8] != TRAILER_MAGIC || end[28..32] != [0xff; 4] {
            return Ok(None);
        }
        let count = u64_at(&end, 8);
        let events_per_block = u32_at(&end, 16);
        let body = end_at - header.len;
        let blocks = if events_per_block == 0 { 0 } else { count.div_ceil(u64::from(events_per_block)) };
        let fits = count
            .checked_mul(RECORD_LEN as u64)
            .is_some_and(|records| records.checked_add(table_len(blocks)) == Some(body));
        let mut table = vec![0_u8; if fits { table_len(blocks) as usize } else { 0 }];
        self.read_at(end_at - table.len() as u64, &mut table)?;
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&table);
        hasher.update(&end[..60]);
        if hasher.finalize() != u32_at(&end, 60) {
            if expected.is_none() {
                return Ok(None);
            }
            return Err(self.corrupt(end_at, "trailer checksum mismatch"));
        }
        if events_per_block == 0 || events_per_block > MAX_EVENTS_PER_BLOCK {
            return Err(self.corrupt(end_at + 16, format!("impossible block size {events_per_block}")));
        }
        if let Some(expected) = expected
            && expected != count
        {
            return Err(self.corrupt(
                COUNT_AT as u64,
                format!("the header counts {expected} events, the trailer {count}"),
            ));
        }
        if !fits {
            return Err(self.corrupt(
                header.len,
                format!("{count} events and their checksums do not fill the {body} bytes between header and trailer"),
            ));
        }
        let block_crcs =
            table.as_chunks::<4>().0.iter().take(blocks as usize).map(|crc| u32::from_le_bytes(*crc));
        Ok(Some(Trailer { count, events_per_block, block_crcs: block_crcs.collect() }))
    }

    /// Every record of a finished file, each valid and every block matching its CRC.
    fn finished_records(&mut self, header: &Header, trailer: &Trailer) -> Result<Vec<Event>, RecordingError> {
        let per_block = trailer.events_per_block as usize;
        let mut events = Vec::with_capacity(trailer.count as usize);
        let mut buffer = vec![0_u8; per_block * RECORD_LEN];
        self.seek(header.len)?;
        for (block, &crc) in trailer.block_crcs.iter().enumerate() {
            let first = block * per_block;
            let at = header.len + (first * RECORD_LEN) as u64;
            let records = (trailer.count as usize - first).min(per_block);
            self.read_block(at, first, crc, &mut buffer[..records * RECORD_LEN], &mut events)?;
        }
        Ok(events)
    }

    /// Reads the block of records starting with event `first` at byte `at` (where the file
    /// stands) into `bytes`, checks every record and the block's CRC, and appends the events to
    /// `out`.
    pub(super) fn read_block(
        &mut self,
        at: u64,
        first: usize,
        crc: u32,
        bytes: &mut [u8],
        out: &mut Vec<Event>,
    ) -> Result<(), RecordingError> {
        self.file
            .read_exact(bytes)
            .map_err(|error| RecordingError::io(self.path, Position::Offset(at), "read failed", error))?;
        for (offset, record) in bytes.as_chunks::<RECORD_LEN>().0.iter().enumerate() {
            let Some(event) = Event::from_bytes(record) else {
                let index = first + offset;
                return Err(self.corrupt(
                    at + (offset * RECORD_LEN) as u64,
                    format!("event {index} (from 0) is not a valid event record"),
                ));
            };
            out.push(event);
        }
        if crc32fast::hash(bytes) != crc {
            let records = bytes.len() / RECORD_LEN;
            return Err(self.corrupt(
                at,
                format!(
                    "events {first}..={} (bytes {at}..{}) fail their block checksum",
                    first + records - 1,
                    at + bytes.len() as u64
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn seek(&mut self, at: u64) -> Result<(), RecordingError> {
        self.file
            .seek(SeekFrom::Start(at))
            .map(|_| ())
            .map_err(|error| RecordingError::io(self.path, Position::Offset(at), "seek failed", error))
    }

    /// The whole valid records of an unfinished file, and the bytes of its torn tail.
    fn unfinished_records(&mut self, header: &Header) -> Result<(Vec<Event>, u64), RecordingError> {
        let whole = (self.file_len - header.len) / RECORD_LEN as u64;
        let mut events = Vec::with_capacity(whole as usize);
        let mut buffer = vec![0_u8; EVENTS_PER_BLOCK as usize * RECORD_LEN];
        self.seek(header.len)?;
        let offset_of = |index: u64| header.len + index * RECORD_LEN as u64;
        let mut first_bad: Option<u64> = None;
        let mut index = 0_u64;
        while index < whole {
            let chunk = (whole - index).min(u64::from(EVENTS_PER_BLOCK)) as usize;
            let bytes = &mut buffer[..chunk * RECORD_LEN];
            self.file.read_exact(bytes).map_err(|error| {
                RecordingError::io(self.path, Position::Offset(offset_of(index)), "read failed", error)
            })?;
            for record in bytes.as_chunks::<RECORD_LEN>().0 {
                let event = if *record == [0; RECORD_LEN] { None } else { Event::from_bytes(record) };
                match (event, first_bad) {
                    (Some(event), None) => events.push(event),
                    (None, None) => first_bad = Some(index),
                    (Some(_), Some(bad)) => {
                        return Err(self.corrupt(
                            offset_of(bad),
                            format!(
                                "event {bad} (from 0) is not a valid event record, and a valid one \
                                 follows at event {index} (byte {}): the file is damaged mid-file, \
                                 not torn by a crash",
                                offset_of(index)
                            ),
                        ));
                    }
                    (None, Some(_)) => {}
                }
                index += 1;
            }
        }
        let torn_tail = self.file_len - offset_of(events.len() as u64);
        Ok((events, torn_tail))
    }
}
