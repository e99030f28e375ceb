//! The L2 order book.

/// Placeholder until the book lands.
pub struct OrderBook;
