//! Deribit options over JSON-RPC: ticker notifications, `public/get_instruments` responses and
//! the heartbeat protocol.
//!
//! - [`OptionName`] parses instrument names such as `BTC-30JUL21-40000-C`.
//! - [`decode_frame`] turns one JSON-RPC frame into a [`DeribitMessage`]: an
//!   [`OptionTicker`], a list of [`InstrumentInfo`], a heartbeat `test_request`, or a reply.
//!
//! Implied volatility and open interest are signal inputs, read as `f64`: Deribit prints them
//! as JSON numbers, not decimal strings, and nothing here touches a book. This is a slow lane.
//!
//! Source: Deribit API v2 documentation: "Subscriptions > ticker.{instrument_name}.{interval}",
//! "public/get_instruments", "public/set_heartbeat" and "Notifications > heartbeat"
//! (`{"method":"heartbeat","params":{"type":"test_request"}}`, answered with `public/test`),
//! and "Naming" (instrument names: `BTC-25MAR16-420-C`, expiry at 08:00 UTC).

pub mod decode;
pub mod wire;

pub use decode::{DeribitError, decode_frame};
pub use wire::{DeribitMessage, InstrumentInfo, OptionKind, OptionName, OptionTicker};
