//! # halcyon-feeds: what the market says
//!
//! Everything between an exchange's bytes and the engine's normalized events:
//!
//! - [`units`]: the integer units of the hot path ([`Ticks`], [`Lots`], [`Nanos`], [`Seq`], …).
//! - [`fixed`]: exact decimal-string ⇄ integer conversion on a [`Step`] grid.
//! - [`instrument`]: instrument metadata and the [`Instruments`] registry.
//! - [`event`]: the 64-byte [`Event`] every consumer reads.
//! - [`venue`]: exchange protocol decoders (Binance USD-M; Bybit v5 linear
//!   and Deribit options for signals) and their book sync procedures.
//! - [`options_board`]: the [`OptionsBoard`] of option tickers, its term structure and the
//!   [`OptionsReading`] it gives the core.
//! - [`book`]: the L2 [`OrderBook`] keyed by integer ticks.
//! - `lanes` (feature `net`): tokio slow lanes (REST polling, Bybit and Deribit WebSockets)
//!   feeding a lock-free queue the feed thread drains.
//! - [`inspect`]: the recording inspection behind `halcyon inspect` (counts, gaps, book check).
//! - [`recording`]: streaming readers of recorded market data and halcyon's own capture format.
//! - `net` (feature `net`): the hot WebSocket client and its connection manager.
//!
//! ## Guarantees
//! - Prices and sizes are parsed from the exchange's decimal strings straight into integers;
//!   never through `f64`, never rounded. Off-grid or oversized values are errors.
//! - Decoding a frame and applying an event allocate nothing once buffers are warm.
//! - Bad input is an error value, never a panic.
//! - Without the `net` feature nothing here reads a clock, spawns a thread or touches the
//!   network: time comes from the frames and their recorded receive times. `net` (the hot
//!   WebSocket client) and `lanes` (the tokio slow lanes), both behind the `net` feature, are
//!   the modules that read clocks, spawn threads and open sockets.

pub mod book;
pub mod event;
pub mod fixed;
pub mod http_response;
pub mod inspect;
pub mod instrument;
#[cfg(feature = "net")]
pub mod lanes;
#[cfg(feature = "net")]
pub mod net;
pub mod options_board;
pub mod recording;
pub mod units;
pub mod venue;

pub use book::OrderBook;
pub use event::{
    Bbo, BookClear, BookLevel, ClearReason, Event, EventKind, EventSink, FeedCondition, FeedStatus, FrameEnd,
    Liquidation, MarkPrice, OpenInterest, OptionsReading, Trade,
};
pub use fixed::{FixedError, Step};
pub use instrument::{ContractKind, Instrument, InstrumentError, Instruments};
pub use options_board::{OptionsBoard, TermStructure};
pub use units::{E8, InstrumentId, Lots, Nanos, PriceE8, RateE8, Seq, Side, Ticks};
