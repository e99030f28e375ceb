//! Tardis.dev CSV exports, turned into [`Event`]s for one instrument.
//!
//! [`TardisReader`] reads the "downloadable CSV files" Tardis publishes per exchange, data type,
//! day and symbol (plain or `.csv.gz`). Tardis documents the format: comma delimiter, LF line
//! ends, `.` decimal mark, times in microseconds since the epoch (UTC); `timestamp` is the
//! exchange's time and becomes [`Event::exchange_time`], `local_timestamp` is Tardis' receive
//! time and becomes [`Event::receive_time`]. Prices are parsed on the instrument's tick grid
//! and amounts on its lot grid, exactly; a value off the grid is an error for that row, never a
//! rounding. The data type is recognised from the header line ([`TardisKind`]):
//!
//! | data type | columns after `exchange,symbol,timestamp,local_timestamp` | events per row |
//! |---|---|---|
//! | `trades` | `id,side,price,amount` | [`Trade`], aggressor from `side` (`buy` ⇒ [`Side::Bid`]), `seq` = numeric `id` |
//! | `quotes` | `ask_amount,ask_price,bid_price,bid_amount` | [`Bbo`]; an empty side reads as price 0, qty 0 |
//! | `incremental_book_L2` | `is_snapshot,side,price,amount` | [`BookLevel`]; see below |
//! | `book_snapshot_N` | `asks[i].price,asks[i].amount,bids[i].price,bids[i].amount`… | [`BookClear`] then its levels, bids best-first, then asks |
//! | `liquidations` | `id,side,price,amount` | [`Liquidation`] (`sell` ⇒ a long was liquidated ⇒ [`Side::Ask`]) |
//! | `derivative_ticker` | `funding_timestamp,funding_rate,predicted_funding_rate,open_interest,last_price,index_price,mark_price` | [`MarkPrice`] if `mark_price` is set, [`OpenInterest`] if `open_interest` is set |
//!
//! **`trades` and `liquidations` have identical headers**, so the header alone cannot tell them
//! apart: [`TardisReader::open`] takes a path whose file name contains `liquidations` (as
//! Tardis names its files, e.g. `binance-futures_liquidations_2020-09-01_BTCUSDT.csv.gz`) as
//! liquidations and anything else as trades; [`TardisReader::open_as`] says it explicitly.
//!
//! `incremental_book_L2`: an exchange message becomes several rows sharing `local_timestamp`
//! (Tardis' own advice for regrouping them). A group of rows sharing `(local_timestamp,
//! is_snapshot)` is one update: its final row carries `last: true` (found by looking one row
//! ahead), and a snapshot group starts with a [`BookClear`] (reason
//! [`ClearReason::Snapshot`]) and has `snapshot: true` levels. Tardis files may open with diff
//! rows from before the first snapshot; they are passed through, and the book's sync rules
//! ignore diffs until a snapshot made it trustworthy.
//!
//! `derivative_ticker`: Tardis leaves a cell empty when the exchange has not (yet) provided the
//! value; an empty cell is never an error. In a [`MarkPrice`] an empty `index_price`,
//! `funding_rate` or `funding_timestamp` reads as 0. The funding rate is `funding_rate` (the
//! rate for the funding at `funding_timestamp`, Binance's `r`); `predicted_funding_rate` and
//! `last_price` are not carried. Mark, index and liquidation prices are [`PriceE8`], exact to
//! eight decimals, since exchanges compute them off the tick grid; funding rates are
//! [`RateE8`], and a rate with more than eight significant decimals is refused, not rounded.
//!
//! Why a plain split on `,` and not a CSV crate: Tardis' numeric exports contain exchange
//! names, symbols, integers, decimals, `true`/`false`, `buy`/`sell`/`bid`/`ask` and trade ids
//! (integers or UUIDs) — none of which can contain a comma or a quote, and Tardis documents no
//! quoting. A row that does contain `"` is reported as an error instead of being misread, and a
//! row whose column count differs from the header's is an error too. The split is
//! allocation-free (field ranges in a reused vector).
//!
//! [`Trade`]: crate::Trade
//! [`Bbo`]: crate::Bbo
//! [`BookLevel`]: crate::BookLevel
//! [`BookClear`]: crate::BookClear
//! [`Liquidation`]: crate::Liquidation
//! [`MarkPrice`]: crate::MarkPrice
//! [`OpenInterest`]: crate::OpenInterest
//! [`PriceE8`]: crate::PriceE8
//! [`RateE8`]: crate::RateE8
//! [`ClearReason::Snapshot`]: crate::ClearReason::Snapshot

use std::path::Path;

use super::lines::parse_decimal_i64;
use super::rows::{Converted, CsvRows, PendingLevel, RowReader};
use super::{RecordingError, RecordingErrorKind};
use crate::event::{
    Bbo, BookClear, BookLevel, ClearReason, Event, EventKind, EventSink, Liquidation, MarkPrice,
    OpenInterest, Trade,
};
use crate::fixed::Step;
use crate::instrument::Instrument;
use crate::units::{InstrumentId, Lots, Nanos, PriceE8, RateE8, Seq, Side, Ticks};

/// The Tardis data type of a CSV file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TardisKind {
    /// `trades`: one print a row.
    Trades,
    /// `quotes`: best bid and offer.
    Quotes,
    /// `incremental_book_L2`: book level updates and snapshots.
    IncrementalBookL2,
    /// `book_snapshot_N`: the top `depth` levels of each side, one snapshot a row.
    BookSnapshot {
        /// Levels per side (the N of `book_snapshot_N`), read from the header.
        depth: usize,
    },
    /// `liquidations`: forced orders.
    Liquidations,
    /// `derivative_ticker`: mark and index price, funding, open interest.
    DerivativeTicker,
}

impl TardisKind {
    /// Recognises the data type from the header's column names. `trades` and `liquidations`
    /// share a header: `liquidations` is chosen only when `file_name_hint` contains
    /// `liquidations`.
    pub fn detect(header: &[&str], file_name_hint: &str) -> Option<TardisKind> {
        let has = |name: &str| header.contains(&name);
        if has("is_snapshot") {
            return Some(TardisKind::IncrementalBookL2);
        }
        let depth =
            header.iter().filter_map(|name| parse_level_column(name)).map(|(_, index, _)| index + 1).max();
        if let Some(depth) = depth {
            return Some(TardisKind::BookSnapshot { depth });
        }
        if has("ask_price") && has("bid_price") {
            return Some(TardisKind::Quotes);
        }
        if has("mark_price") || has("funding_rate") {
            return Some(TardisKind::DerivativeTicker);
        }
        if has("id") && has("side") && has("price") && has("amount") {
            return Some(if file_name_hint.contains("liquidations") {
                TardisKind::Liquidations
            } else {
                TardisKind::Trades
            });
        }
        None
    }
}

/// Parses `asks[3].price` into `(Side::Ask, 3, true)`; `amount` columns give `false`.
fn parse_level_column(name: &str) -> Option<(Side, usize, bool)> {
    let (side, rest) = if let Some(rest) = name.strip_prefix("asks[") {
        (Side::Ask, rest)
    } else {
        (Side::Bid, name.strip_prefix("bids[")?)
    };
    let (index, field) = rest.split_once("].")?;
    let index: usize = index.parse().ok()?;
    match field {
        "price" => Some((side, index, true)),
        "amount" => Some((side, index, false)),
        _ => None,
    }
}

/// Column indices for one data type.
enum Layout {
    Trades {
        id: usize,
        side: usize,
        price: usize,
        amount: usize,
    },
    Quotes {
        ask_amount: usize,
        ask_price: usize,
        bid_price: usize,
        bid_amount: usize,
    },
    Incremental {
        is_snapshot: usize,
        side: usize,
        price: usize,
        amount: usize,
    },
    /// Level columns, bids best-first then asks best-first: `(side, price, amount)`.
    Snapshot {
        levels: Vec<(Side, usize, usize)>,
    },
    Liquidations {
        id: usize,
        side: usize,
        price: usize,
        amount: usize,
    },
    Ticker {
        funding_timestamp: usize,
        funding_rate: usize,
        open_interest: usize,
        index_price: usize,
        mark_price: usize,
    },
}

/// Reads a Tardis CSV export as [`Event`]s of one instrument (see the [module docs](self)).
pub struct TardisReader {
    rows: RowReader,
    kind: TardisKind,
    conversion: Conversion,
}

/// How a row of the file's data type becomes events.
struct Conversion {
    layout: Layout,
    timestamp_column: usize,
    local_timestamp_column: usize,
    tick: Step,
    lot: Step,
    instrument: InstrumentId,
    /// Parsed snapshot levels of the current row, reused.
    levels: Vec<(Side, Ticks, Lots)>,
}

const E8_STEP: Step = Step::decimal_places(8);

impl TardisReader {
    /// Opens a Tardis CSV (plain or gzip) and recognises its data type from the header (and,
    /// for `trades`/`liquidations`, from the file name; see the [module docs](self)). Rows are
    /// read for `instrument`, whose symbol they must carry, and tagged with `id`.
    pub fn open(
        path: impl AsRef<Path>,
        instrument: &Instrument,
        id: InstrumentId,
    ) -> Result<TardisReader, RecordingError> {
        TardisReader::open_with(path.as_ref(), None, instrument, id)
    }

    /// Like [`open`](Self::open) with the data type given; the header must still have its
    /// columns.
    pub fn open_as(
        path: impl AsRef<Path>,
        kind: TardisKind,
        instrument: &Instrument,
        id: InstrumentId,
    ) -> Result<TardisReader, RecordingError> {
        TardisReader::open_with(path.as_ref(), Some(kind), instrument, id)
    }

    fn open_with(
        path: &Path,
        kind: Option<TardisKind>,
        instrument: &Instrument,
        id: InstrumentId,
    ) -> Result<TardisReader, RecordingError> {
        let rows = CsvRows::open(path)?;
        let names: Vec<&str> = rows.header().iter().map(String::as_str).collect();
        let file_name = path.file_name().map(|name| name.to_string_lossy()).unwrap_or_default();
        let detected = TardisKind::detect(&names, &file_name);
        let kind = match (kind, detected) {
            (Some(kind), _) | (None, Some(kind)) => kind,
            (None, None) => {
                return Err(rows.error(
                    RecordingErrorKind::Format,
                    format!("header {:?} is not a supported Tardis data type", rows.header().join(",")),
                ));
            }
        };
        let layout = match kind {
            TardisKind::Trades => Layout::Trades {
                id: rows.column("id")?,
                side: rows.column("side")?,
                price: rows.column("price")?,
                amount: rows.column("amount")?,
            },
            TardisKind::Liquidations => Layout::Liquidations {
                id: rows.column("id")?,
                side: rows.column("side")?,
                price: rows.column("price")?,
                amount: rows.column("amount")?,
            },
            TardisKind::Quotes => Layout::Quotes {
                ask_amount: rows.column("ask_amount")?,
                ask_price: rows.column("ask_price")?,
                bid_price: rows.column("bid_price")?,
                bid_amount: rows.column("bid_amount")?,
            },
            TardisKind::IncrementalBookL2 => Layout::Incremental {
                is_snapshot: rows.column("is_snapshot")?,
                side: rows.column("side")?,
                price: rows.column("price")?,
                amount: rows.column("amount")?,
            },
            TardisKind::BookSnapshot { depth } => {
                let mut levels = Vec::with_capacity(depth * 2);
                for (side, prefix) in [(Side::Bid, "bids"), (Side::Ask, "asks")] {
                    for index in 0..depth {
                        levels.push((
                            side,
                            rows.column(&format!("{prefix}[{index}].price"))?,
                            rows.column(&format!("{prefix}[{index}].amount"))?,
                        ));
                    }
                }
                Layout::Snapshot { levels }
            }
            TardisKind::DerivativeTicker => Layout::Ticker {
                funding_timestamp: rows.column("funding_timestamp")?,
                funding_rate: rows.column("funding_rate")?,
                open_interest: rows.column("open_interest")?,
                index_price: rows.column("index_price")?,
                mark_price: rows.column("mark_price")?,
            },
        };
        let depth = match kind {
            TardisKind::BookSnapshot { depth } => depth,
            _ => 0,
        };
        let rows = RowReader::new(rows, instrument, id)?;
        let conversion = Conversion {
            layout,
            timestamp_column: rows.rows().column("timestamp")?,
            local_timestamp_column: rows.rows().column("local_timestamp")?,
            tick: instrument.tick,
            lot: instrument.lot,
            instrument: id,
            levels: Vec::with_capacity(depth * 2),
        };
        Ok(TardisReader { rows, kind, conversion })
    }

    /// The data type being read.
    pub fn kind(&self) -> TardisKind {
        self.kind
    }

    /// Converts the next row (or, for `incremental_book_L2`, releases the previous row once the
    /// next one shows whether it ends its update) into events pushed to `sink`; returns how
    /// many. `Some(Ok(0))` for a row with nothing to say (a `derivative_ticker` row with only
    /// empty cells). `None` at end of data. A bad row is a non-fatal `Some(Err(..))` naming
    /// its line, and no event of it is pushed; reading goes on with the next row.
    pub fn next_events(&mut self, sink: &mut impl EventSink) -> Option<Result<usize, RecordingError>> {
        let conversion = &mut self.conversion;
        self.rows.next_events(sink, |rows, sink| conversion.convert(rows, sink))
    }
}

impl Conversion {
    /// Converts the current row of `rows` (its symbol already checked). A bad row pushes
    /// nothing.
    fn convert(&mut self, rows: &CsvRows, sink: &mut impl EventSink) -> Result<Converted, RecordingError> {
        let exchange_time = rows.time(self.timestamp_column, Nanos::PER_MICRO)?;
        let receive_time = rows.time(self.local_timestamp_column, Nanos::PER_MICRO)?;
        let instrument = self.instrument;
        let event =
            |seq: Seq, kind: EventKind| Event::new(exchange_time, receive_time, seq, instrument, kind);
        match &self.layout {
            &Layout::Trades { id, side, price, amount } => {
                let aggressor = match rows.field(side) {
                    b"buy" => Side::Bid,
                    b"sell" => Side::Ask,
                    _ => return Err(rows.field_error(side, "aggressor side is not buy or sell")),
                };
                let trade = Trade {
                    price: Ticks(rows.stepped(price, self.tick)?),
                    qty: Lots(rows.stepped(amount, self.lot)?),
                    aggressor,
                    aggregated: false,
                    forced: false,
                };
                sink.push(event(numeric_id(rows.field(id)), EventKind::Trade(trade)));
                Ok(Converted::Pushed(1))
            }
            &Layout::Liquidations { id, side, price, amount } => {
                let side = match rows.field(side) {
                    b"buy" => Side::Bid,
                    b"sell" => Side::Ask,
                    _ => return Err(rows.field_error(side, "liquidation side is not buy or sell")),
                };
                let price = PriceE8(rows.stepped(price, E8_STEP)?);
                let liquidation = Liquidation {
                    side,
                    price,
                    average_price: price,
                    qty: Lots(rows.stepped(amount, self.lot)?),
                };
                sink.push(event(numeric_id(rows.field(id)), EventKind::Liquidation(liquidation)));
                Ok(Converted::Pushed(1))
            }
            &Layout::Quotes { ask_amount, ask_price, bid_price, bid_amount } => {
                let bbo = Bbo {
                    bid: Ticks(rows.optional_stepped(bid_price, self.tick)?.unwrap_or(0)),
                    bid_qty: Lots(rows.optional_stepped(bid_amount, self.lot)?.unwrap_or(0)),
                    ask: Ticks(rows.optional_stepped(ask_price, self.tick)?.unwrap_or(0)),
                    ask_qty: Lots(rows.optional_stepped(ask_amount, self.lot)?.unwrap_or(0)),
                };
                sink.push(event(Seq(0), EventKind::Bbo(bbo)));
                Ok(Converted::Pushed(1))
            }
            &Layout::Incremental { is_snapshot, side, price, amount } => {
                let snapshot = match rows.field(is_snapshot) {
                    b"true" => true,
                    b"false" => false,
                    _ => return Err(rows.field_error(is_snapshot, "not true or false")),
                };
                let side = match rows.field(side) {
                    b"bid" => Side::Bid,
                    b"ask" => Side::Ask,
                    _ => return Err(rows.field_error(side, "book side is not bid or ask")),
                };
                let row = PendingLevel {
                    key: (receive_time.0 as u64, snapshot),
                    exchange_time,
                    receive_time,
                    seq: Seq(0),
                    side,
                    price: Ticks(rows.stepped(price, self.tick)?),
                    qty: Lots(rows.stepped(amount, self.lot)?),
                    snapshot,
                    opens_snapshot: false,
                };
                Ok(Converted::Level(row))
            }
            Layout::Snapshot { levels } => {
                self.levels.clear();
                for &(side, price, amount) in levels {
                    let price_cell = rows.field(price);
                    let amount_cell = rows.field(amount);
                    match (price_cell.is_empty(), amount_cell.is_empty()) {
                        (true, true) => continue,
                        (false, false) => {}
                        (true, false) => {
                            return Err(rows.field_error(price, "empty price for a non-empty amount"));
                        }
                        (false, true) => {
                            return Err(rows.field_error(amount, "empty amount for a non-empty price"));
                        }
                    }
                    self.levels.push((
                        side,
                        Ticks(rows.stepped(price, self.tick)?),
                        Lots(rows.stepped(amount, self.lot)?),
                    ));
                }
                let clear = BookClear { reason: ClearReason::Snapshot, last: self.levels.is_empty() };
                sink.push(event(Seq(0), EventKind::BookClear(clear)));
                let count = self.levels.len();
                for (index, &(side, price, qty)) in self.levels.iter().enumerate() {
                    let level = BookLevel { side, price, qty, last: index + 1 == count, snapshot: true };
                    sink.push(event(Seq(0), EventKind::BookLevel(level)));
                }
                Ok(Converted::Pushed(count + 1))
            }
            &Layout::Ticker { funding_timestamp, funding_rate, open_interest, index_price, mark_price } => {
                let mut pushed = 0;
                if let Some(mark) = rows.optional_stepped(mark_price, E8_STEP)? {
                    let index = rows.optional_stepped(index_price, E8_STEP)?.unwrap_or(0);
                    let rate = rows.optional_stepped(funding_rate, E8_STEP)?.unwrap_or(0);
                    let next_funding_time = if rows.field(funding_timestamp).is_empty() {
                        Nanos(0)
                    } else {
                        rows.time(funding_timestamp, Nanos::PER_MICRO)?
                    };
                    // Parse everything before pushing anything: a bad row pushes nothing.
                    let open_interest = rows.optional_stepped(open_interest, self.lot)?;
                    let mark = MarkPrice {
                        mark: PriceE8(mark),
                        index: PriceE8(index),
                        funding_rate: RateE8(rate),
                        next_funding_time,
                    };
                    sink.push(event(Seq(0), EventKind::MarkPrice(mark)));
                    pushed += 1;
                    if let Some(qty) = open_interest {
                        sink.push(event(Seq(0), EventKind::OpenInterest(OpenInterest { qty: Lots(qty) })));
                        pushed += 1;
                    }
                } else if let Some(qty) = rows.optional_stepped(open_interest, self.lot)? {
                    sink.push(event(Seq(0), EventKind::OpenInterest(OpenInterest { qty: Lots(qty) })));
                    pushed += 1;
                }
                Ok(Converted::Pushed(pushed))
            }
        }
    }
}

/// A trade or liquidation id as a sequence number when it is numeric; `Seq(0)` for ids that
/// are not (BitMEX UUIDs) or empty.
fn numeric_id(field: &[u8]) -> Seq {
    parse_decimal_i64(field).map_or(Seq(0), |id| Seq(id as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_recognised_from_headers() {
        let trades = ["exchange", "symbol", "timestamp", "local_timestamp", "id", "side", "price", "amount"];
        assert_eq!(TardisKind::detect(&trades, "trades.csv"), Some(TardisKind::Trades));
        assert_eq!(
            TardisKind::detect(&trades, "binance-futures_liquidations_2020-09-01_BTCUSDT.csv.gz"),
            Some(TardisKind::Liquidations)
        );
        let snapshot =
            ["exchange", "symbol", "timestamp", "local_timestamp", "asks[0].price", "asks[0].amount"];
        assert_eq!(TardisKind::detect(&snapshot, ""), Some(TardisKind::BookSnapshot { depth: 1 }));
        assert_eq!(parse_level_column("bids[24].amount"), Some((Side::Bid, 24, false)));
        assert_eq!(parse_level_column("bids[x].amount"), None);
        assert_eq!(parse_level_column("asks[1].size"), None);
        assert_eq!(TardisKind::detect(&["exchange", "symbol"], ""), None);
    }
}
