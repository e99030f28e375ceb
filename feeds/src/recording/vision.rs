//! Binance Vision historical depth CSV, turned into book [`Event`](crate::Event)s for one instrument.
//!
//! [`VisionDepthReader`] reads Binance's historical L2 depth files for USD-M futures (the
//! `T_DEPTH` data type: one snapshot file, `update_type` `snap`, and diff files, `set`), with
//! the header `symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu`:
//!
//! - one row per price level; the rows of one exchange update share `last_update_id` (its
//!   final update id `u`; `first_update_id` is `U`, `pu` the previous update's `u`, `-1` in a
//!   snapshot);
//! - `update_type` is `snap` for the levels of a snapshot and `set` for a diff level (set the
//!   level to `qty`; `0` removes it);
//! - `side` is `b` or `a`; `timestamp` is the exchange time in milliseconds.
//!
//! Rows are regrouped by `(last_update_id, update_type)`: a `snap` group becomes a
//! [`BookClear`](crate::BookClear) (reason `Snapshot`) followed by `snapshot: true` levels, a
//! `set` group plain levels; the final row of each group carries `last: true` (one row of
//! lookahead). Every event's `seq` is the row's `last_update_id`, so the book's sequencing
//! rules apply as to the live feed. The file has no receive time: `receive_time` is set to the
//! exchange time.

use std::path::Path;

use super::RecordingError;
use super::rows::{Converted, CsvRows, PendingLevel, RowReader};
use crate::event::EventSink;
use crate::fixed::Step;
use crate::instrument::Instrument;
use crate::units::{InstrumentId, Lots, Nanos, Seq, Side, Ticks};

/// Reads a Binance Vision depth CSV as book events (see the [module docs](self)).
pub struct VisionDepthReader {
    rows: RowReader,
    columns: Columns,
}

/// Where a row's fields are, and the instrument's grids to read them on.
struct Columns {
    timestamp: usize,
    last_update_id: usize,
    side: usize,
    update_type: usize,
    price: usize,
    qty: usize,
    tick: Step,
    lot: Step,
}

impl VisionDepthReader {
    /// Opens a Binance Vision depth CSV (plain or gzip). Rows are read for `instrument`, whose
    /// symbol they must carry, and tagged with `id`.
    pub fn open(
        path: impl AsRef<Path>,
        instrument: &Instrument,
        id: InstrumentId,
    ) -> Result<VisionDepthReader, RecordingError> {
        let rows = RowReader::new(CsvRows::open(path.as_ref())?, instrument, id)?;
        let header = rows.rows();
        let columns = Columns {
            timestamp: header.column("timestamp")?,
            last_update_id: header.column("last_update_id")?,
            side: header.column("side")?,
            update_type: header.column("update_type")?,
            price: header.column("price")?,
            qty: header.column("qty")?,
            tick: instrument.tick,
            lot: instrument.lot,
        };
        Ok(VisionDepthReader { rows, columns })
    }

    /// Pushes the events of the next row to `sink` and returns how many: a row is held until
    /// the next one shows whether it ends its update, so the first call reads two rows.
    /// `None` at end of data. A bad row is a non-fatal `Some(Err(..))` naming its line; no
    /// event of it is pushed and reading goes on.
    pub fn next_events(&mut self, sink: &mut impl EventSink) -> Option<Result<usize, RecordingError>> {
        let columns = &self.columns;
        self.rows.next_events(sink, |rows, _| columns.parse_row(rows).map(Converted::Level))
    }
}

impl Columns {
    /// Parses the current row of `rows` (its symbol already checked).
    fn parse_row(&self, rows: &CsvRows) -> Result<PendingLevel, RecordingError> {
        let exchange_time = rows.time(self.timestamp, Nanos::PER_MILLI)?;
        let last_update_id = rows.integer(self.last_update_id)?;
        let snapshot = match rows.field(self.update_type) {
            b"snap" => true,
            b"set" => false,
            _ => return Err(rows.field_error(self.update_type, "update type is not snap or set")),
        };
        let side = match rows.field(self.side) {
            b"b" => Side::Bid,
            b"a" => Side::Ask,
            _ => return Err(rows.field_error(self.side, "side is not b or a")),
        };
        Ok(PendingLevel {
            key: (last_update_id, snapshot),
            exchange_time,
            receive_time: exchange_time,
            seq: Seq(last_update_id),
            side,
            price: Ticks(rows.stepped(self.price, self.tick)?),
            qty: Lots(rows.stepped(self.qty, self.lot)?),
            snapshot,
            opens_snapshot: false,
        })
    }
}
