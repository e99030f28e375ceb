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
use super::tardis::{CsvRows, PendingLevel, Regrouper, RowState};
use crate::event::EventSink;
use crate::fixed::Step;
use crate::instrument::Instrument;
use crate::units::{InstrumentId, Lots, Nanos, Seq, Side, Ticks};

/// Reads a Binance Vision depth CSV as book events (see the [module docs](self)).
pub struct VisionDepthReader {
    rows: CsvRows,
    symbol_column: usize,
    timestamp_column: usize,
    last_update_id_column: usize,
    side_column: usize,
    update_type_column: usize,
    price_column: usize,
    qty_column: usize,
    symbol: Box<str>,
    tick: Step,
    lot: Step,
    instrument: InstrumentId,
    regrouper: Regrouper,
    state: RowState,
}

impl VisionDepthReader {
    /// Opens a Binance Vision depth CSV (plain or gzip). Rows are read for `instrument`, whose
    /// symbol they must carry, and tagged with `id`.
    pub fn open(
        path: impl AsRef<Path>,
        instrument: &Instrument,
        id: InstrumentId,
    ) -> Result<VisionDepthReader, RecordingError> {
        let rows = CsvRows::open(path.as_ref())?;
        Ok(VisionDepthReader {
            symbol_column: rows.column("symbol")?,
            timestamp_column: rows.column("timestamp")?,
            last_update_id_column: rows.column("last_update_id")?,
            side_column: rows.column("side")?,
            update_type_column: rows.column("update_type")?,
            price_column: rows.column("price")?,
            qty_column: rows.column("qty")?,
            rows,
            symbol: instrument.symbol.as_str().into(),
            tick: instrument.tick,
            lot: instrument.lot,
            instrument: id,
            regrouper: Regrouper::default(),
            state: RowState::Reading,
        })
    }

    /// Pushes the events of the next row to `sink` and returns how many: a row is held until
    /// the next one shows whether it ends its update, so the first call reads two rows.
    /// `None` at end of data. A bad row is a non-fatal `Some(Err(..))` naming its line; no
    /// event of it is pushed and reading goes on.
    pub fn next_events(&mut self, sink: &mut impl EventSink) -> Option<Result<usize, RecordingError>> {
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
            let row = match self.parse_row() {
                Ok(row) => row,
                Err(error) => return Some(Err(error)),
            };
            if let Some((previous, last)) = self.regrouper.push(row) {
                return Some(Ok(previous.emit(last, self.instrument, sink)));
            }
        }
    }

    fn parse_row(&self) -> Result<PendingLevel, RecordingError> {
        let rows = &self.rows;
        rows.check_symbol(self.symbol_column, &self.symbol)?;
        let exchange_time = rows.time(self.timestamp_column, Nanos::PER_MILLI)?;
        let last_update_id = rows.integer(self.last_update_id_column)?;
        let snapshot = match rows.field(self.update_type_column) {
            b"snap" => true,
            b"set" => false,
            _ => return Err(rows.field_error(self.update_type_column, "update type is not snap or set")),
        };
        let side = match rows.field(self.side_column) {
            b"b" => Side::Bid,
            b"a" => Side::Ask,
            _ => return Err(rows.field_error(self.side_column, "side is not b or a")),
        };
        Ok(PendingLevel {
            key: (last_update_id, snapshot),
            exchange_time,
            receive_time: exchange_time,
            seq: Seq(last_update_id),
            side,
            price: Ticks(rows.stepped(self.price_column, self.tick)?),
            qty: Lots(rows.stepped(self.qty_column, self.lot)?),
            snapshot,
            opens_snapshot: false,
        })
    }
}
