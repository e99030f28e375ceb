//! CSV rows and the reading loop the row readers ([`TardisReader`](super::TardisReader),
//! [`VisionDepthReader`](super::VisionDepthReader)) share.
//!
//! - [`CsvRows`]: comma-separated rows of a text file with a header line, split without
//!   allocation, with typed field accessors whose errors name the line and column.
//! - [`RowReader`]: the loop over those rows for one instrument. It checks each row's symbol,
//!   hands the row to the reader's conversion, and holds book rows ([`PendingLevel`]) one row
//!   until the next shows whether they end their update. A reader supplies only the
//!   conversion of one row ([`Converted`]).

use std::path::Path;

use super::lines::{TextLine, TextSource, parse_decimal_i64};
use super::{RecordingError, RecordingErrorKind, excerpt};
use crate::event::{BookClear, BookLevel, ClearReason, Event, EventKind, EventSink};
use crate::fixed::Step;
use crate::instrument::Instrument;
use crate::units::{InstrumentId, Lots, Nanos, Seq, Side, Ticks};

/// Comma-separated rows of a text file with a header line, split without allocation.
pub(super) struct CsvRows {
    source: TextSource,
    header: Vec<String>,
    /// Field ranges of the current row within `source.buffer`.
    fields: Vec<(usize, usize)>,
    len: usize,
}

impl CsvRows {
    /// Opens the file and reads its header (the first non-blank line).
    pub(super) fn open(path: &Path) -> Result<CsvRows, RecordingError> {
        let mut source = TextSource::open(path)?;
        let header = loop {
            match source.next_line() {
                None => {
                    return Err(source.error(RecordingErrorKind::Format, "no header line: the file is empty"));
                }
                Some(Err(error)) => return Err(error),
                Some(Ok(TextLine::TooLong)) => {
                    return Err(source.error(RecordingErrorKind::Format, "header line too long"));
                }
                Some(Ok(TextLine::Line(0))) => continue,
                Some(Ok(TextLine::Line(len))) => {
                    let text = String::from_utf8_lossy(&source.buffer[..len]).into_owned();
                    break text.split(',').map(|name| name.trim().to_owned()).collect::<Vec<_>>();
                }
            }
        };
        let columns = header.len();
        Ok(CsvRows { source, header, fields: Vec::with_capacity(columns), len: 0 })
    }

    /// The header's column names.
    pub(super) fn header(&self) -> &[String] {
        &self.header
    }

    /// The index of a column, or a [`RecordingErrorKind::Format`] error naming it.
    pub(super) fn column(&self, name: &str) -> Result<usize, RecordingError> {
        self.header.iter().position(|column| column == name).ok_or_else(|| {
            self.error(
                RecordingErrorKind::Format,
                format!("missing column {name:?} in header {:?}", self.header.join(",")),
            )
        })
    }

    /// Reads and splits the next non-blank row; `None` at end of data. Fields are then read
    /// with [`field`](Self::field).
    pub(super) fn next_row(&mut self) -> Option<Result<(), RecordingError>> {
        let len = match self.source.next_non_blank_line()? {
            Ok(len) => len,
            Err(error) => return Some(Err(error)),
        };
        let line = &self.source.buffer[..len];
        if line.contains(&b'"') {
            return Some(Err(self.error(RecordingErrorKind::Syntax, "quoted CSV fields are not supported")));
        }
        self.fields.clear();
        let mut start = 0;
        for (index, &byte) in line.iter().enumerate() {
            if byte == b',' {
                self.fields.push((start, index));
                start = index + 1;
            }
        }
        self.fields.push((start, len));
        self.len = len;
        if self.fields.len() != self.header.len() {
            let message = format!(
                "expected {} columns as in the header, found {}",
                self.header.len(),
                self.fields.len()
            );
            return Some(Err(self.error(RecordingErrorKind::Syntax, message)));
        }
        Some(Ok(()))
    }

    /// Field `column` of the current row (empty if out of range).
    pub(super) fn field(&self, column: usize) -> &[u8] {
        match self.fields.get(column) {
            Some(&(start, end)) => self.source.buffer.get(start..end).unwrap_or_default(),
            None => &[],
        }
    }

    /// An error about the current row.
    pub(super) fn error(
        &self,
        kind: RecordingErrorKind,
        message: impl Into<std::borrow::Cow<'static, str>>,
    ) -> RecordingError {
        self.source.error(kind, message)
    }

    /// An error about field `column` of the current row.
    pub(super) fn field_error(&self, column: usize, problem: &str) -> RecordingError {
        let name = self.header.get(column).map_or("?", String::as_str);
        self.error(
            RecordingErrorKind::Field,
            format!("column {name} = {:?}: {problem}", excerpt(self.field(column))),
        )
    }

    /// Field `column` on a step grid.
    pub(super) fn stepped(&self, column: usize, step: Step) -> Result<i64, RecordingError> {
        step.parse(self.field(column)).map_err(|error| {
            let name = self.header.get(column).map_or("?", String::as_str);
            self.error(
                RecordingErrorKind::Field,
                format!("column {name} = {:?} on step {step}", excerpt(self.field(column))),
            )
            .with_fixed(error)
        })
    }

    /// Field `column` on a step grid, `None` if the cell is empty.
    pub(super) fn optional_stepped(&self, column: usize, step: Step) -> Result<Option<i64>, RecordingError> {
        if self.field(column).is_empty() { Ok(None) } else { self.stepped(column, step).map(Some) }
    }

    /// Field `column` as a time in `unit_nanos` units since the epoch.
    pub(super) fn time(&self, column: usize, unit_nanos: i64) -> Result<Nanos, RecordingError> {
        parse_decimal_i64(self.field(column))
            .and_then(|value| value.checked_mul(unit_nanos))
            .map(Nanos)
            .ok_or_else(|| self.field_error(column, "not a timestamp"))
    }

    /// Field `column` as an unsigned integer.
    pub(super) fn integer(&self, column: usize) -> Result<u64, RecordingError> {
        parse_decimal_i64(self.field(column))
            .map(|value| value as u64)
            .ok_or_else(|| self.field_error(column, "not an unsigned integer"))
    }

    /// Checks the symbol column against the instrument's symbol (ASCII case ignored).
    pub(super) fn check_symbol(&self, column: usize, symbol: &str) -> Result<(), RecordingError> {
        if self.field(column).eq_ignore_ascii_case(symbol.as_bytes()) {
            Ok(())
        } else {
            Err(self.field_error(column, &format!("not the instrument's symbol {symbol}")))
        }
    }
}

/// A parsed book row waiting for the next row to say whether it ends its update.
#[derive(Clone, Copy)]
pub(super) struct PendingLevel {
    /// Rows with equal keys belong to one update.
    pub(super) key: (u64, bool),
    pub(super) exchange_time: Nanos,
    pub(super) receive_time: Nanos,
    pub(super) seq: Seq,
    pub(super) side: Side,
    pub(super) price: Ticks,
    pub(super) qty: Lots,
    pub(super) snapshot: bool,
    /// First row of a snapshot update: a [`BookClear`] goes before it.
    pub(super) opens_snapshot: bool,
}

impl PendingLevel {
    /// Pushes the row's events; returns how many.
    fn emit(self, last: bool, instrument: InstrumentId, sink: &mut impl EventSink) -> usize {
        let mut pushed = 0;
        if self.opens_snapshot {
            let clear = EventKind::BookClear(BookClear { reason: ClearReason::Snapshot, last: false });
            sink.push(Event::new(self.exchange_time, self.receive_time, self.seq, instrument, clear));
            pushed += 1;
        }
        let level = EventKind::BookLevel(BookLevel {
            side: self.side,
            price: self.price,
            qty: self.qty,
            last,
            snapshot: self.snapshot,
        });
        sink.push(Event::new(self.exchange_time, self.receive_time, self.seq, instrument, level));
        pushed + 1
    }
}

/// One-row lookahead over book rows: holds the last row until the next one shows whether it
/// ends its update.
#[derive(Default)]
struct Regrouper {
    pending: Option<PendingLevel>,
    previous_key: Option<(u64, bool)>,
}

impl Regrouper {
    /// Takes a parsed row (its `opens_snapshot` is computed here); returns the previous row,
    /// now complete, with its `last` flag.
    fn push(&mut self, mut row: PendingLevel) -> Option<(PendingLevel, bool)> {
        row.opens_snapshot = row.snapshot && self.previous_key != Some(row.key);
        self.previous_key = Some(row.key);
        self.pending.replace(row).map(|previous| {
            let last = previous.key != row.key;
            (previous, last)
        })
    }

    /// At end of data: the held row, which ends its update.
    fn finish(&mut self) -> Option<PendingLevel> {
        self.pending.take()
    }

    /// Forgets the held row (after a fatal error).
    fn abandon(&mut self) {
        self.pending = None;
    }
}

/// Where a row-reader is in its file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RowState {
    Reading,
    /// End of data reached; a held row may remain to emit.
    Draining,
    Done,
}

/// What a reader's conversion made of one row.
pub(super) enum Converted {
    /// Events were pushed to the sink: this many (0 for a row with nothing to say).
    Pushed(usize),
    /// A book row, held until the next row shows whether it ends its update.
    Level(PendingLevel),
}

/// Reads the rows of one instrument and drives a reader's per-row conversion (see the
/// [module docs](self)).
pub(super) struct RowReader {
    rows: CsvRows,
    symbol_column: usize,
    symbol: Box<str>,
    instrument: InstrumentId,
    regrouper: Regrouper,
    state: RowState,
}

impl RowReader {
    /// Reads `rows` for `instrument`, whose symbol every row must carry in its `symbol`
    /// column; events are tagged with `id`.
    pub(super) fn new(
        rows: CsvRows,
        instrument: &Instrument,
        id: InstrumentId,
    ) -> Result<RowReader, RecordingError> {
        Ok(RowReader {
            symbol_column: rows.column("symbol")?,
            rows,
            symbol: instrument.symbol.as_str().into(),
            instrument: id,
            regrouper: Regrouper::default(),
            state: RowState::Reading,
        })
    }

    /// The rows, for looking up columns.
    pub(super) fn rows(&self) -> &CsvRows {
        &self.rows
    }

    /// Reads rows, converting each (after its symbol is checked) with `convert`, until events
    /// are pushed to `sink` or a conversion reports [`Converted::Pushed`] (even of 0); returns
    /// how many. A [`Converted::Level`] is held
    /// until the next row shows whether it ends its update, and released then (or at end of
    /// data) with its `last` flag. `None` at end of data. A bad row is a non-fatal
    /// `Some(Err(..))`, and `convert` must have pushed nothing for it; after a fatal error the
    /// held row is dropped and `None` follows.
    pub(super) fn next_events<Sink: EventSink>(
        &mut self,
        sink: &mut Sink,
        mut convert: impl FnMut(&CsvRows, &mut Sink) -> Result<Converted, RecordingError>,
    ) -> Option<Result<usize, RecordingError>> {
        loop {
            match self.state {
                RowState::Done => return None,
                RowState::Draining => {
                    self.state = RowState::Done;
                    return self.regrouper.finish().map(|row| Ok(row.emit(true, self.instrument, sink)));
                }
                RowState::Reading => {}
            }
            match self.rows.next_row() {
                None => {
                    self.state = RowState::Draining;
                    continue;
                }
                Some(Err(error)) => {
                    if error.is_fatal() {
                        self.state = RowState::Done;
                        self.regrouper.abandon();
                    }
                    return Some(Err(error));
                }
                Some(Ok(())) => {}
            }
            let converted = self
                .rows
                .check_symbol(self.symbol_column, &self.symbol)
                .and_then(|()| convert(&self.rows, sink));
            match converted {
                Ok(Converted::Pushed(pushed)) => return Some(Ok(pushed)),
                Ok(Converted::Level(row)) => {
                    if let Some((previous, last)) = self.regrouper.push(row) {
                        return Some(Ok(previous.emit(last, self.instrument, sink)));
                    }
                }
                Err(error) => return Some(Err(error)),
            }
        }
    }
}
