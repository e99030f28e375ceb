//! Binance USD-M futures.
