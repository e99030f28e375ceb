//! Binance USD-M futures: stream and REST decoding, and the local order book sync procedure.
//!
//! - [`Decoder`] turns one frame into a [`Message`]: the [`scan`] fast path for the hot kinds
//!   (`depthUpdate`, `bookTicker`, `trade`), the validating simd-json [`tape`] decoder for the
//!   rest and as the reference.
//! - [`DepthSequencer`] applies Binance's "how to manage a local order book correctly" procedure
//!   to depth diffs and snapshots and emits book [`Event`](crate::Event)s, or a gap.
//! - [`rest`] reads `exchangeInfo` into instruments.

pub mod decode;
pub mod rest;
pub mod scan;
pub mod sequencer;
pub mod symbols;
pub mod tape;
pub mod wire;

pub use decode::{DecodeError, DecodeErrorKind, DecodeStats, Decoder, Field, Levels};
pub use sequencer::{DepthSequencer, SyncOutcome};
pub use symbols::Symbols;
pub use wire::{DepthSnapshot, DepthUpdate, Message, MessageKind, PriceLevel, VENUE};
