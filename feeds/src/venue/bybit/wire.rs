//! What Bybit's v5 public linear stream sends, and what a decoded frame was.
//!
//! Every data frame is `{"topic":"<name>.<symbol>","type":"snapshot"|"delta","ts":<ms>,
//! "data":..}`; operation replies are `{"op":"subscribe"|"pong"|..,"success":..,"ret_msg":..}`.
//! Prices and sizes are decimal strings; they are parsed exactly (never through `f64`).

/// Venue name of Bybit's linear (USDT-margined) contracts in the instrument registry.
pub const VENUE: &str = "bybit-linear";

/// A topic the decoder recognises and does not turn into events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IgnoredTopic {
    /// `orderbook.{depth}.{symbol}`: Bybit's book; halcyon quotes on Binance's.
    OrderBook,
    /// `kline.{interval}.{symbol}`: candles.
    Kline,
}

/// An operation reply (`"op"` frames): the answer to our subscribe or ping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpReply {
    /// `{"op":"subscribe","success":..}`.
    Subscribe {
        /// Bybit's `success` flag: false when a topic was refused (`ret_msg` says why).
        success: bool,
    },
    /// `{"op":"pong",..}` (linear) or `{"op":"ping","ret_msg":"pong",..}` (spot), the answer to
    /// our `{"op":"ping"}`.
    Pong,
    /// `{"op":"unsubscribe",..}`.
    Unsubscribe,
    /// Another operation reply (`auth`, ...).
    Other,
}

/// What one frame was, after its events were pushed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BybitMessage {
    /// `allLiquidation.{symbol}`: this many liquidation events.
    Liquidations(usize),
    /// `tickers.{symbol}` snapshot or delta, merged into the symbol's state; `mark` and
    /// `open_interest` say whether a [`MarkPrice`](crate::MarkPrice) and an
    /// [`OpenInterest`](crate::OpenInterest) event were pushed.
    Ticker {
        /// True for a snapshot (state replaced), false for a delta (state merged).
        snapshot: bool,
        /// A mark price event was pushed (mark, index, funding rate or next funding time
        /// changed, and all four are known).
        mark: bool,
        /// An open interest event was pushed (open interest changed).
        open_interest: bool,
    },
    /// `publicTrade.{symbol}`: this many trades.
    Trades(usize),
    /// A recognised topic that carries nothing halcyon uses.
    Ignored(IgnoredTopic),
    /// An operation reply.
    Reply(OpReply),
}
