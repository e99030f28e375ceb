//! Bybit v5 public linear (USDT perpetual) WebSocket frames.
//!
//! - [`BybitDecoder`] turns one frame into [`Event`](crate::Event)s and says what the frame was
//!   ([`BybitMessage`]). It keeps the per-symbol `tickers` state that Bybit's deltas update.
//! - [`wire`] names the topics and the frame shapes; [`decode`] does the work.
//!
//! Source: Bybit v5 API documentation, "WebSocket Stream > Public": "Ticker" (`tickers.{symbol}`,
//! snapshot then deltas that carry only the fields that changed), "Trade"
//! (`publicTrade.{symbol}`), "All Liquidation" (`allLiquidation.{symbol}`), and "Connect >
//! How to Send the Heartbeat Packet" / "How to Subscribe to Topics" for the `op` replies.

pub mod decode;
pub mod wire;

pub use decode::{BybitDecoder, BybitError};
pub use wire::{BybitMessage, IgnoredTopic, OpReply, VENUE};
