//! The Binance USD-M BTCUSDT recording through the feed's own decoder, sequencer and book.

use feeds::recording::{FrameReader, open_frames};
use feeds::venue::binance::{Decoder, DepthSequencer, Message};
use feeds::{Event, InstrumentId, Instruments, OrderBook, Step};

use crate::data_dir;

/// The workspace's instrument table; BTCUSDT is its first instrument.
pub fn instruments() -> Instruments {
    Instruments::from_toml(include_str!("../../configs/instruments.toml")).expect("configs/instruments.toml")
}

/// BTCUSDT's id in [`instruments`].
pub const BTCUSDT: InstrumentId = InstrumentId(0);

/// One pass over `binance-usdm/btcusdt_20240808.gz`: each frame is decoded, sequenced into
/// book events, and each event applied to the book before the caller sees it.
pub struct Replay {
    reader: Box<dyn FrameReader + Send>,
    decoder: Decoder,
    sequencer: DepthSequencer,
    /// The book, with every event seen so far applied.
    pub book: OrderBook,
    events: Vec<Event>,
    /// Frames read so far.
    pub frames: u64,
}

impl Replay {
    /// Opens the recording.
    pub fn open() -> Replay {
        let path = data_dir().join("binance-usdm/btcusdt_20240808.gz");
        let reader = open_frames(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        Replay {
            reader,
            decoder: Decoder::new(instruments()),
            sequencer: DepthSequencer::new(BTCUSDT),
            book: OrderBook::with_capacity(8192),
            events: Vec::with_capacity(4096),
            frames: 0,
        }
    }

    /// BTCUSDT's tick size.
    pub fn tick(&self) -> Step {
        self.decoder.instruments().get(BTCUSDT).expect("BTCUSDT").tick
    }

    /// BTCUSDT's lot size.
    pub fn lot(&self) -> Step {
        self.decoder.instruments().get(BTCUSDT).expect("BTCUSDT").lot
    }

    /// Reads the next frame and hands each of its events to `visit`, after applying it to the
    /// book. False at the end of the recording. Panics on a read or decode error: the
    /// recording has none.
    pub fn next_frame(&mut self, mut visit: impl FnMut(&Event, &OrderBook)) -> bool {
        let Some(frame) = self.reader.next_frame() else { return false };
        let frame = frame.expect("the recording reads cleanly");
        self.frames += 1;
        self.events.clear();
        match self.decoder.decode(frame.payload, frame.receive_time, frame.channel).expect("decodes") {
            Message::Depth(diff) => {
                self.sequencer.on_diff(&diff, &mut self.events);
            }
            Message::Snapshot(snapshot) => {
                self.sequencer.on_snapshot(&snapshot, &mut self.events);
            }
            Message::Event(_, event) => self.events.push(event),
            Message::Ignored(_) => {}
        }
        for event in &self.events {
            let _ = self.book.apply(event);
            visit(event, &self.book);
        }
        true
    }

    /// Applies an event that is not in the recording (a synthetic defect) and hands it to
    /// `visit`, as [`Replay::next_frame`] does.
    pub fn inject(&mut self, event: Event, mut visit: impl FnMut(&Event, &OrderBook)) {
        let _ = self.book.apply(&event);
        visit(&event, &self.book);
    }
}
