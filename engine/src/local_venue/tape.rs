//! [`Tape`]: a recording made ready to serve: its frames from the first REST depth snapshot
//! on (and the diffs recorded just before it that reach past its `lastUpdateId`), each with its stream name, its verbatim bytes and, for depth diffs, the decoded levels
//! the venue's own book needs.
//!
//! Frames are classified with feeds' Binance decoder ([`Decoder`]), so any recording halcyon
//! reads ([`feeds::recording::open_frames`]) can be served. A combined-stream frame
//! `{"stream":..,"data":..}` is kept as recorded; the `data` member is its exact byte range, not
//! a re-serialisation. A bare payload (no wrapper) gets the stream name Binance would give it
//! (`<symbol>@depth`, `@bookTicker`, `@trade`, `@aggTrade`, `@forceOrder`, `@markPrice`) and a
//! synthesized wrapper around its verbatim bytes.
//!
//! Stream names are matched as recorded (`btcusdt@depth@0ms`). Aliases: a subscription to
//! `<symbol>@depth`, `<symbol>@depth@100ms`, `@250ms`, `@500ms` or `@0ms` that was not
//! recorded under that name gets the recorded diff stream of the symbol; its frames keep the
//! recorded `stream` name (they are sent verbatim). Other unknown names are accepted and
//! deliver nothing, as a Binance subscription to a quiet stream would.

use super::VenueError;
use axum::body::Bytes;
use axum::extract::ws::Utf8Bytes;
use feeds::recording::open_frames;
use feeds::venue::binance::{Decoder, Message, MessageKind};
use feeds::{InstrumentId, Instruments, Nanos, Step};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::path::Path;

/// Index of a stream name in [`Tape::streams`].
pub type StreamIndex = u16;

/// A depth diff as the venue's book applies it (prices in ticks, sizes in lots).
#[derive(Clone, Debug)]
pub struct TapeDiff {
    /// Index of the symbol in [`Tape::symbols`].
    pub symbol: usize,
    /// `U`.
    pub first_update_id: u64,
    /// `u`.
    pub last_update_id: u64,
    /// `pu`.
    pub prev_last_update_id: u64,
    /// `T` (or `E`) in milliseconds.
    pub exchange_ms: i64,
    /// Bid levels `(ticks, lots)` as sent.
    pub bids: Vec<(i64, i64)>,
    /// Ask levels `(ticks, lots)` as sent.
    pub asks: Vec<(i64, i64)>,
}

/// A depth snapshot: a symbol's book at `lastUpdateId`.
#[derive(Clone, Debug)]
pub struct TapeSnapshot {
    /// Index of the symbol in [`Tape::symbols`].
    pub symbol: usize,
    /// `lastUpdateId`.
    pub last_update_id: u64,
    /// `T` (or `E`) in milliseconds.
    pub exchange_ms: i64,
    /// Bids `(ticks, lots)`.
    pub bids: Vec<(i64, i64)>,
    /// Asks `(ticks, lots)`.
    pub asks: Vec<(i64, i64)>,
}

/// What a tape frame is.
#[derive(Clone, Debug)]
pub enum TapeItem {
    /// A WebSocket frame to broadcast.
    Stream {
        /// Its stream.
        stream: StreamIndex,
        /// The combined-stream message, as recorded.
        combined: Utf8Bytes,
        /// The raw-stream payload: the `data` member's bytes.
        raw: Utf8Bytes,
        /// The decoded diff, if it is one.
        diff: Option<Box<TapeDiff>>,
    },
    /// A later REST snapshot: initialises the book of a symbol that has none yet; never sent.
    Snapshot(Box<TapeSnapshot>),
}

/// One frame of the tape.
#[derive(Clone, Debug)]
pub struct TapeFrame {
    /// Position of the frame in the recording (0 = the first frame read).
    pub index: u64,
    /// Local receive time recorded with it.
    pub receive_time: Nanos,
    /// What it is.
    pub item: TapeItem,
}

/// A symbol the tape carries, with its grid and how Binance prints it.
#[derive(Clone, Debug)]
pub struct TapeSymbol {
    /// Upper-case symbol (`BTCUSDT`).
    pub name: String,
    /// Instrument id in the configured instruments.
    pub instrument: InstrumentId,
    /// Price step.
    pub tick: Step,
    /// Quantity step.
    pub lot: Step,
    /// Decimals prices are printed with: those of the recording's snapshot (`61800.20`), at
    /// least the tick's.
    pub price_decimals: u32,
    /// Decimals quantities are printed with.
    pub qty_decimals: u32,
    /// The book before the first frame: the starting snapshot, for its symbol.
    pub initial: Option<TapeSnapshot>,
}

/// Counters of the load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TapeStats {
    /// Frames read from the recording.
    pub frames_read: u64,
    /// Frames before the first snapshot that are not served (older than it).
    pub before_snapshot: u64,
    /// Frames the decoder rejected (sent anyway when they carry a stream name).
    pub undecodable: u64,
    /// Lines the reader reported as malformed (skipped).
    pub read_errors: u64,
}

/// The recording, ready to serve. Shared read-only by every connection (`Arc<Tape>`).
#[derive(Debug)]
pub struct Tape {
    /// Frames from the first REST snapshot on (the snapshot itself is
    /// [`TapeSymbol::initial`]), starting with the earlier-received diffs whose `u` reaches the
    /// snapshot's `lastUpdateId` and the frames between them (Binance's sync steps 3–4: those
    /// diffs come after the snapshot in exchange terms).
    pub frames: Vec<TapeFrame>,
    /// Stream names, as recorded.
    pub streams: Vec<String>,
    /// Symbols seen.
    pub symbols: Vec<TapeSymbol>,
    /// Receive time of the first frame served (or of the snapshot if none precedes it):
    /// replay time 0.
    pub start_time: Nanos,
    /// Load counters.
    pub stats: TapeStats,
}

impl Tape {
    /// Reads a recording (any frame format halcyon reads) and classifies its frames.
    pub fn load(path: &Path, instruments: &Instruments) -> Result<Tape, VenueError> {
        let mut reader = open_frames(path).map_err(VenueError::Recording)?;
        let mut builder = TapeBuilder::new(instruments);
        while let Some(frame) = reader.next_frame() {
            match frame {
                Ok(frame) => builder.push(frame.receive_time, frame.channel, frame.payload),
                Err(error) if error.is_fatal() => return Err(VenueError::Recording(error)),
                Err(_) => builder.stats.read_errors += 1,
            }
        }
        builder.finish(&path.display().to_string())
    }

    /// Builds a tape from frames in memory `(receive time, channel, bytes)`: for tests that
    /// need a defect the real recordings do not have.
    pub fn from_frames<'a>(
        frames: impl IntoIterator<Item = (Nanos, &'a str, Vec<u8>)>,
        instruments: &Instruments,
    ) -> Result<Tape, VenueError> {
        let mut builder = TapeBuilder::new(instruments);
        for (time, channel, bytes) in frames {
            builder.push(time, channel, &bytes);
        }
        builder.finish("frames in memory")
    }

    /// The stream a subscription name delivers, by exact name or depth alias (see the module
    /// docs); `None` for a stream the recording does not have.
    pub fn resolve(&self, name: &str) -> Option<StreamIndex> {
        if let Some(index) = self.streams.iter().position(|stream| stream == name) {
            return StreamIndex::try_from(index).ok();
        }
        let (symbol, rest) = name.split_once('@')?;
        let is_diff_alias = |rest: &str| {
            matches!(rest, "depth" | "depth@0ms" | "depth@100ms" | "depth@250ms" | "depth@500ms")
        };
        if !is_diff_alias(rest) {
            return None;
        }
        let index = self.streams.iter().position(|stream| {
            stream.split_once('@').is_some_and(|(s, r)| s == symbol && is_diff_alias(r))
        })?;
        StreamIndex::try_from(index).ok()
    }

    /// The symbol index of an upper- or lower-case symbol.
    pub fn symbol(&self, name: &str) -> Option<usize> {
        self.symbols.iter().position(|symbol| symbol.name.eq_ignore_ascii_case(name))
    }

    /// Number of frames that go out on the WebSocket.
    pub fn stream_frames(&self) -> usize {
        self.frames.iter().filter(|frame| matches!(frame.item, TapeItem::Stream { .. })).count()
    }
}

#[derive(Deserialize)]
struct Wrapper<'a> {
    #[serde(borrow)]
    stream: &'a str,
    #[serde(borrow)]
    data: &'a RawValue,
}

#[derive(Deserialize)]
struct SnapshotText {
    #[serde(default)]
    bids: Vec<(String, String)>,
    #[serde(default)]
    asks: Vec<(String, String)>,
}

struct TapeBuilder<'i> {
    instruments: &'i Instruments,
    decoder: Decoder,
    scratch: Vec<u8>,
    frames: Vec<TapeFrame>,
    /// Frames before the first snapshot, until it is found.
    pending: Vec<TapeFrame>,
    streams: Vec<String>,
    stream_index: HashMap<String, StreamIndex>,
    symbols: Vec<TapeSymbol>,
    symbol_index: HashMap<InstrumentId, usize>,
    start_time: Option<Nanos>,
    index: u64,
    stats: TapeStats,
}

impl<'i> TapeBuilder<'i> {
    fn new(instruments: &'i Instruments) -> TapeBuilder<'i> {
        TapeBuilder {
            instruments,
            decoder: Decoder::new(instruments.clone()),
            scratch: Vec::with_capacity(64 * 1024),
            frames: Vec::new(),
            pending: Vec::new(),
            streams: Vec::new(),
            stream_index: HashMap::new(),
            symbols: Vec::new(),
            symbol_index: HashMap::new(),
            start_time: None,
            index: 0,
            stats: TapeStats::default(),
        }
    }

    fn push(&mut self, receive_time: Nanos, channel: &str, payload: &[u8]) {
        let index = self.index;
        self.index += 1;
        self.stats.frames_read += 1;
        // The decoder works in place (simd-json): decode a copy, keep the bytes verbatim.
        self.scratch.clear();
        self.scratch.extend_from_slice(payload);
        let decoded = match self.decoder.decode(&mut self.scratch, receive_time, channel) {
            Ok(message) => Some(Decoded::from(message)),
            Err(_) => None,
        };
        if decoded.is_none() {
            self.stats.undecodable += 1;
        }
        let decoded = decoded.unwrap_or(Decoded::Other(None));
        if let Decoded::Snapshot(snapshot) = decoded {
            let symbol = match self.symbol_of(snapshot.instrument) {
                Some(symbol) => symbol,
                None => return,
            };
            let (price_decimals, qty_decimals) = printed_decimals(payload);
            let entry = &mut self.symbols[symbol];
            entry.price_decimals = entry.price_decimals.max(price_decimals);
            entry.qty_decimals = entry.qty_decimals.max(qty_decimals);
            let snapshot = TapeSnapshot { symbol, ..snapshot.book };
            if self.start_time.is_none() {
                // Binance's steps 3–4: diffs received before the snapshot whose `u` reaches its
                // `lastUpdateId` are after it in exchange terms (the first straddles it). They
                // are served, with the frames between them, so the first diff a client gets
                // chains to the snapshot.
                let first = self.pending.iter().position(|frame| match &frame.item {
                    TapeItem::Stream { diff: Some(diff), .. } => {
                        diff.symbol == symbol && diff.last_update_id >= snapshot.last_update_id
                    }
                    _ => false,
                });
                let kept = first.map_or(Vec::new(), |first| self.pending.split_off(first));
                self.stats.before_snapshot = self.pending.len() as u64;
                self.pending = Vec::new();
                self.start_time = Some(kept.first().map_or(receive_time, |frame| frame.receive_time));
                self.frames = kept;
                self.symbols[symbol].initial = Some(snapshot);
            } else {
                self.frames.push(TapeFrame {
                    index,
                    receive_time,
                    item: TapeItem::Snapshot(Box::new(snapshot)),
                });
            }
            return;
        }
        let (diff, kind_symbol) = match decoded {
            Decoded::Diff(instrument, diff) => match self.symbol_of(instrument) {
                Some(symbol) => (Some(Box::new(TapeDiff { symbol, ..*diff })), Some(instrument)),
                None => (None, Some(instrument)),
            },
            Decoded::Other(instrument) => (None, instrument),
            Decoded::Snapshot(_) => (None, None),
        };
        let bytes = Bytes::copy_from_slice(payload);
        let (name, combined, raw) = match serde_json::from_slice::<Wrapper<'_>>(&bytes) {
            Ok(wrapper) => {
                let start = wrapper.data.get().as_ptr() as usize - bytes.as_ptr() as usize;
                let range = start..start + wrapper.data.get().len();
                (wrapper.stream.to_owned(), bytes.clone(), bytes.slice(range))
            }
            Err(_) => {
                let Some(name) = bare_stream_name(&self.scratch_kind(payload), kind_symbol, self.instruments)
                else {
                    return;
                };
                let mut wrapped = Vec::with_capacity(payload.len() + name.len() + 24);
                wrapped.extend_from_slice(b"{\"stream\":\"");
                wrapped.extend_from_slice(name.as_bytes());
                wrapped.extend_from_slice(b"\",\"data\":");
                wrapped.extend_from_slice(payload);
                wrapped.push(b'}');
                (name, Bytes::from(wrapped), bytes)
            }
        };
        let (Ok(combined), Ok(raw)) = (Utf8Bytes::try_from(combined), Utf8Bytes::try_from(raw)) else {
            self.stats.undecodable += 1;
            return;
        };
        let stream = match self.stream_index.get(&name) {
            Some(&stream) => stream,
            None => {
                let Ok(stream) = StreamIndex::try_from(self.streams.len()) else { return };
                self.streams.push(name.clone());
                self.stream_index.insert(name, stream);
                stream
            }
        };
        let frame = TapeFrame { index, receive_time, item: TapeItem::Stream { stream, combined, raw, diff } };
        if self.start_time.is_none() {
            self.pending.push(frame);
        } else {
            self.frames.push(frame);
        }
    }

    /// The `"e"` event type of a bare payload.
    fn scratch_kind(&self, payload: &[u8]) -> Option<MessageKind> {
        #[derive(Deserialize)]
        struct Event<'a> {
            #[serde(borrow)]
            e: &'a str,
        }
        let event: Event<'_> = serde_json::from_slice(payload).ok()?;
        MessageKind::from_event_type(event.e.as_bytes())
    }

    fn symbol_of(&mut self, instrument: InstrumentId) -> Option<usize> {
        if let Some(&index) = self.symbol_index.get(&instrument) {
            return Some(index);
        }
        let definition = self.instruments.get(instrument)?;
        let index = self.symbols.len();
        self.symbols.push(TapeSymbol {
            name: definition.symbol.clone(),
            instrument,
            tick: definition.tick,
            lot: definition.lot,
            price_decimals: definition.tick.decimals(),
            qty_decimals: definition.lot.decimals(),
            initial: None,
        });
        self.symbol_index.insert(instrument, index);
        Some(index)
    }

    fn finish(self, what: &str) -> Result<Tape, VenueError> {
        let Some(start_time) = self.start_time else {
            return Err(VenueError::NoSnapshot(what.to_owned()));
        };
        Ok(Tape {
            frames: self.frames,
            streams: self.streams,
            symbols: self.symbols,
            start_time,
            stats: self.stats,
        })
    }
}

/// What the decoder said, detached from its buffers.
enum Decoded {
    Diff(InstrumentId, Box<TapeDiff>),
    Snapshot(SnapshotOf),
    Other(Option<InstrumentId>),
}

struct SnapshotOf {
    instrument: InstrumentId,
    book: TapeSnapshot,
}

impl From<Message<'_>> for Decoded {
    fn from(message: Message<'_>) -> Decoded {
        let levels = |levels: &[feeds::venue::binance::PriceLevel]| {
            levels.iter().map(|level| (level.price.get(), level.qty.get())).collect::<Vec<_>>()
        };
        match message {
            Message::Depth(diff) => Decoded::Diff(
                diff.instrument,
                Box::new(TapeDiff {
                    symbol: 0,
                    first_update_id: diff.first_update_id.get(),
                    last_update_id: diff.last_update_id.get(),
                    prev_last_update_id: diff.prev_last_update_id.get(),
                    exchange_ms: diff.exchange_time.get() / 1_000_000,
                    bids: levels(diff.bids),
                    asks: levels(diff.asks),
                }),
            ),
            Message::Snapshot(snapshot) => Decoded::Snapshot(SnapshotOf {
                instrument: snapshot.instrument,
                book: TapeSnapshot {
                    symbol: 0,
                    last_update_id: snapshot.last_update_id.get(),
                    exchange_ms: snapshot.exchange_time.get() / 1_000_000,
                    bids: levels(snapshot.bids),
                    asks: levels(snapshot.asks),
                },
            }),
            Message::Event(_, event) => Decoded::Other(Some(event.instrument)),
            Message::Ignored(_) => Decoded::Other(None),
        }
    }
}

/// The stream name Binance gives a bare payload of `kind` for `instrument`.
fn bare_stream_name(
    kind: &Option<MessageKind>,
    instrument: Option<InstrumentId>,
    instruments: &Instruments,
) -> Option<String> {
    let symbol = instruments.get(instrument?)?.symbol.to_ascii_lowercase();
    let suffix = match (*kind)? {
        MessageKind::DepthUpdate => "depth",
        MessageKind::BookTicker => "bookTicker",
        MessageKind::Trade => "trade",
        MessageKind::AggTrade => "aggTrade",
        MessageKind::ForceOrder => "forceOrder",
        MessageKind::MarkPrice => "markPrice",
        _ => return None,
    };
    Some(format!("{symbol}@{suffix}"))
}

/// Decimals of the first bid or ask of a snapshot's text (`"61800.20"` → 2, `"2.909"` → 3).
fn printed_decimals(payload: &[u8]) -> (u32, u32) {
    let decimals = |text: &str| text.split_once('.').map_or(0, |(_, fraction)| fraction.len() as u32);
    match serde_json::from_slice::<SnapshotText>(payload) {
        Ok(text) => text
            .bids
            .first()
            .or(text.asks.first())
            .map_or((0, 0), |(price, qty)| (decimals(price), decimals(qty))),
        Err(_) => (0, 0),
    }
}
