//! [`Encoder`]: the synthetic market's events as the bytes Binance USD-M sends.
//!
//! Each function appends one frame to a buffer, with the keys in the order the exchange writes
//! them (so the decoder's fast scanner takes the hot kinds, as it does on real frames):
//!
//! - websocket frames in the combined-stream wrapper `{"stream":"<name>","data":{…}}`:
//!   `depthUpdate` (`<symbol>@depth@0ms`), `bookTicker`, `trade`, `forceOrder` and
//!   `markPriceUpdate` (`<symbol>@markPrice@1s`), as in Binance's "Websocket Market Streams";
//! - REST bodies: the order book snapshot (`GET /fapi/v1/depth`: `lastUpdateId`, `E`, `T`,
//!   `bids`, `asks`, best first) and open interest (`GET /fapi/v1/openInterest`).
//!
//! Times are exchange milliseconds; prices and quantities are decimal strings on the
//! instrument's [`Grid`]s; mark, index and funding have Binance's eight decimals.

use super::book::Level;
use super::config::Grid;
use feeds::Side;

/// A liquidation order as the `forceOrder` stream reports it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct ForceOrder {
    /// Side of the liquidation order (`Ask`: SELL, a long liquidated).
    pub side: Side,
    /// Original quantity, lots.
    pub qty: i64,
    /// Limit price, ticks.
    pub price: i64,
    /// Average fill price, cents of the quote (two decimals, off the tick grid).
    pub average_cents: i64,
    /// Quantity of the last fill, lots.
    pub last_qty: i64,
    /// Filled quantity, lots.
    pub filled: i64,
    /// Time of the last fill, exchange ms.
    pub trade_ms: i64,
}

/// One `trade` print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Print {
    /// Trade id.
    pub id: u64,
    /// Price, ticks.
    pub price: i64,
    /// Quantity, lots.
    pub qty: i64,
    /// Binance's `m`: the buyer was the maker (a seller took liquidity).
    pub buyer_is_maker: bool,
    /// A liquidation's fill (`"X":"LIQUIDATION"`), else a market order's (`"MARKET"`).
    pub forced: bool,
}

/// Mark price, index and funding of one `markPriceUpdate`, each as a count of 10⁻⁸.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct MarkPrice {
    /// Mark price.
    pub mark: i64,
    /// Index price.
    pub index: i64,
    /// Estimated settle price.
    pub settle: i64,
    /// Funding rate.
    pub funding: i64,
    /// Next funding time, exchange ms.
    pub next_funding_ms: i64,
}

/// Writes the frames of one symbol.
pub(super) struct Encoder {
    symbol: String,
    /// Lowercase symbol, the stream names' prefix.
    stream: String,
    tick: Grid,
    lot: Grid,
}

fn number(out: &mut Vec<u8>, value: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

impl Encoder {
    /// An encoder for `symbol` on the `tick` and `lot` grids.
    pub fn new(symbol: &str, tick: Grid, lot: Grid) -> Encoder {
        Encoder { symbol: symbol.to_owned(), stream: symbol.to_ascii_lowercase(), tick, lot }
    }

    /// The combined-stream names the frames are published on, joined as in a subscription
    /// URL.
    pub fn stream_names(&self) -> String {
        let stream = &self.stream;
        format!(
            "{stream}@depth@0ms/{stream}@bookTicker/{stream}@trade/{stream}@forceOrder/{stream}@markPrice@1s"
        )
    }

    /// The URL of the REST depth snapshot (its `symbol=` tells the decoder the instrument).
    pub fn depth_url(&self) -> String {
        format!("https://fapi.binance.com/fapi/v1/depth?symbol={}&limit=1000", self.symbol)
    }

    /// The URL of the REST open interest.
    pub fn open_interest_url(&self) -> String {
        format!("https://fapi.binance.com/fapi/v1/openInterest?symbol={}", self.symbol)
    }

    fn open(&self, out: &mut Vec<u8>, stream: &str, event: &str, event_ms: i64) {
        out.extend_from_slice(b"{\"stream\":\"");
        out.extend_from_slice(self.stream.as_bytes());
        out.extend_from_slice(stream.as_bytes());
        out.extend_from_slice(b"\",\"data\":{\"e\":\"");
        out.extend_from_slice(event.as_bytes());
        out.extend_from_slice(b"\",\"E\":");
        number(out, event_ms);
    }

    fn symbol(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b",\"s\":\"");
        out.extend_from_slice(self.symbol.as_bytes());
        out.push(b'"');
    }

    fn quoted(out: &mut Vec<u8>, key: &str, grid: Grid, count: i64) {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":\"");
        grid.write(count, out);
        out.push(b'"');
    }

    fn integer(out: &mut Vec<u8>, key: &str, value: impl itoa::Integer) {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        number(out, value);
    }

    fn levels(&self, out: &mut Vec<u8>, levels: impl Iterator<Item = Level>) {
        out.push(b'[');
        for (index, level) in levels.enumerate() {
            if index > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"[\"");
            self.tick.write(level.price, out);
            out.extend_from_slice(b"\",\"");
            self.lot.write(level.qty, out);
            out.extend_from_slice(b"\"]");
        }
        out.push(b']');
    }

    /// A `depthUpdate`: `U..=u` chained to `pu`; levels in ascending price.
    pub fn depth_update(
        &self,
        out: &mut Vec<u8>,
        event_ms: i64,
        transaction_ms: i64,
        (first, last, previous): (u64, u64, u64),
        bids: &[Level],
        asks: &[Level],
    ) {
        self.open(out, "@depth@0ms", "depthUpdate", event_ms);
        Self::integer(out, "T", transaction_ms);
        self.symbol(out);
        Self::integer(out, "U", first);
        Self::integer(out, "u", last);
        Self::integer(out, "pu", previous);
        out.extend_from_slice(b",\"b\":");
        self.levels(out, bids.iter().copied());
        out.extend_from_slice(b",\"a\":");
        self.levels(out, asks.iter().copied());
        out.extend_from_slice(b"}}");
    }

    /// A `bookTicker` stamped with the update id `u` of the book update that produced it.
    pub fn book_ticker(
        &self,
        out: &mut Vec<u8>,
        update_id: u64,
        bid: (i64, i64),
        ask: (i64, i64),
        time_ms: i64,
    ) {
        out.extend_from_slice(b"{\"stream\":\"");
        out.extend_from_slice(self.stream.as_bytes());
        out.extend_from_slice(b"@bookTicker\",\"data\":{\"e\":\"bookTicker\"");
        Self::integer(out, "u", update_id);
        self.symbol(out);
        Self::quoted(out, "b", self.tick, bid.0);
        Self::quoted(out, "B", self.lot, bid.1);
        Self::quoted(out, "a", self.tick, ask.0);
        Self::quoted(out, "A", self.lot, ask.1);
        Self::integer(out, "T", time_ms);
        Self::integer(out, "E", time_ms);
        out.extend_from_slice(b"}}");
    }

    /// A `trade`: one fill.
    pub fn trade(&self, out: &mut Vec<u8>, event_ms: i64, trade_ms: i64, print: &Print) {
        self.open(out, "@trade", "trade", event_ms);
        Self::integer(out, "T", trade_ms);
        self.symbol(out);
        Self::integer(out, "t", print.id);
        Self::quoted(out, "p", self.tick, print.price);
        Self::quoted(out, "q", self.lot, print.qty);
        out.extend_from_slice(if print.forced { b",\"X\":\"LIQUIDATION\"" } else { b",\"X\":\"MARKET\"" });
        out.extend_from_slice(if print.buyer_is_maker { b",\"m\":true}}" } else { b",\"m\":false}}" });
    }

    /// A `forceOrder`: a liquidation order, `FILLED` or (partly filled IOC) `EXPIRED`.
    pub fn force_order(&self, out: &mut Vec<u8>, event_ms: i64, order: &ForceOrder) {
        self.open(out, "@forceOrder", "forceOrder", event_ms);
        out.extend_from_slice(b",\"o\":{\"s\":\"");
        out.extend_from_slice(self.symbol.as_bytes());
        out.extend_from_slice(match order.side {
            Side::Ask => b"\",\"S\":\"SELL\"",
            Side::Bid => b"\",\"S\":\"BUY\"",
        });
        out.extend_from_slice(b",\"o\":\"LIMIT\",\"f\":\"IOC\"");
        Self::quoted(out, "q", self.lot, order.qty);
        Self::quoted(out, "p", self.tick, order.price);
        Self::quoted(out, "ap", Grid::CENTS, order.average_cents);
        out.extend_from_slice(if order.filled == order.qty {
            b",\"X\":\"FILLED\""
        } else {
            b",\"X\":\"EXPIRED\""
        });
        Self::quoted(out, "l", self.lot, order.last_qty);
        Self::quoted(out, "z", self.lot, order.filled);
        Self::integer(out, "T", order.trade_ms);
        out.extend_from_slice(b"}}}");
    }

    /// A `markPriceUpdate` (`T` is the next funding time).
    pub fn mark_price(&self, out: &mut Vec<u8>, event_ms: i64, mark: &MarkPrice) {
        self.open(out, "@markPrice@1s", "markPriceUpdate", event_ms);
        self.symbol(out);
        Self::quoted(out, "p", Grid::E8, mark.mark);
        Self::quoted(out, "i", Grid::E8, mark.index);
        Self::quoted(out, "P", Grid::E8, mark.settle);
        Self::quoted(out, "r", Grid::E8, mark.funding);
        Self::integer(out, "T", mark.next_funding_ms);
        out.extend_from_slice(b"}}");
    }

    /// The REST depth snapshot body: both sides best first.
    pub fn snapshot(
        &self,
        out: &mut Vec<u8>,
        last_update_id: u64,
        (event_ms, transaction_ms): (i64, i64),
        bids: impl Iterator<Item = Level>,
        asks: impl Iterator<Item = Level>,
    ) {
        out.extend_from_slice(b"{\"lastUpdateId\":");
        number(out, last_update_id);
        Self::integer(out, "E", event_ms);
        Self::integer(out, "T", transaction_ms);
        out.extend_from_slice(b",\"bids\":");
        self.levels(out, bids);
        out.extend_from_slice(b",\"asks\":");
        self.levels(out, asks);
        out.push(b'}');
    }

    /// The REST open interest body.
    pub fn open_interest(&self, out: &mut Vec<u8>, qty: i64, time_ms: i64) {
        out.extend_from_slice(b"{\"openInterest\":\"");
        self.lot.write(qty, out);
        out.extend_from_slice(b"\",\"symbol\":\"");
        out.extend_from_slice(self.symbol.as_bytes());
        out.extend_from_slice(b"\",\"time\":");
        number(out, time_ms);
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use feeds::venue::binance::{Decoder, Message, MessageKind};
    use feeds::{EventKind, Nanos};

    fn encoder() -> Encoder {
        Encoder::new("BTCUSDT", Grid::parse("0.10").unwrap(), Grid::parse("0.001").unwrap())
    }

    fn decoder() -> Decoder {
        Decoder::new(testkit::replay::instruments())
    }

    #[test]
    fn frames_read_like_the_recorded_ones() {
        // TC0: a trade, byte for byte the layout of the 2024-08-08 recording's first trade.
        let mut out = Vec::new();
        let print = Print { id: 5_266_583_935, price: 618_003, qty: 6, buyer_is_maker: false, forced: false };
        encoder().trade(&mut out, 1_723_161_256_322, 1_723_161_256_322, &print);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}}"#
        );
        // TC1: a book ticker, the recording's key order.
        let mut out = Vec::new();
        encoder().book_ticker(
            &mut out,
            5_123_107_839_020,
            (618_002, 2_507),
            (618_003, 2_510),
            1_723_161_256_313,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5123107839020,"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510","T":1723161256313,"E":1723161256313}}"#
        );
    }

    #[test]
    fn every_frame_decodes_through_the_feed_decoder() {
        let encoder = encoder();
        let mut decoder = decoder();
        let level = |price, qty| Level { price, qty };
        let time = Nanos(1);
        // TC0: depth diff, through the fast scanner.
        let mut out = Vec::new();
        encoder.depth_update(
            &mut out,
            1_000,
            999,
            (10, 12, 9),
            &[level(99, 0), level(100, 5)],
            &[level(101, 7)],
        );
        match decoder.decode(&mut out, time, "").unwrap() {
            Message::Depth(diff) => {
                assert_eq!(
                    (diff.first_update_id.0, diff.last_update_id.0, diff.prev_last_update_id.0),
                    (10, 12, 9)
                );
                assert_eq!((diff.bids.len(), diff.asks.len(), diff.asks[0].qty.0), (2, 1, 7));
            }
            other => panic!("{other:?}"),
        }
        // TC1: liquidation, a long sold out, partly filled.
        let mut out = Vec::new();
        let order = ForceOrder {
            side: Side::Ask,
            qty: 500,
            price: 590_000,
            average_cents: 5_950_012,
            last_qty: 100,
            filled: 400,
            trade_ms: 2_000,
        };
        encoder.force_order(&mut out, 2_001, &order);
        assert!(String::from_utf8_lossy(&out).contains(r#""X":"EXPIRED","l":"0.100","z":"0.400""#));
        match decoder.decode(&mut out, time, "").unwrap() {
            Message::Event(MessageKind::ForceOrder, event) => match event.kind() {
                EventKind::Liquidation(liquidation) => {
                    assert_eq!((liquidation.side, liquidation.qty.0), (Side::Ask, 400));
                    assert_eq!(liquidation.average_price.0, 5_950_012_000_000);
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        // TC2: mark price with a negative funding rate.
        let mut out = Vec::new();
        let mark = MarkPrice {
            mark: 5_900_012_345_678,
            index: 5_901_000_000_000,
            settle: 5_901_000_000_000,
            funding: -38_167,
            next_funding_ms: 1_723_161_600_000,
        };
        encoder.mark_price(&mut out, 3_000, &mark);
        match decoder.decode(&mut out, time, "").unwrap() {
            Message::Event(MessageKind::MarkPrice, event) => match event.kind() {
                EventKind::MarkPrice(decoded) => assert_eq!(decoded.funding_rate.0, -38_167),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        // TC3: the REST bodies, the snapshot named by its URL.
        let mut out = Vec::new();
        let bids = [level(100, 5), level(99, 3)];
        encoder.snapshot(&mut out, 77, (4_000, 3_999), bids.into_iter(), [level(101, 1)].into_iter());
        match decoder.decode(&mut out, time, &encoder.depth_url()).unwrap() {
            Message::Snapshot(snapshot) => {
                assert_eq!((snapshot.last_update_id.0, snapshot.bids.len()), (77, 2))
            }
            other => panic!("{other:?}"),
        }
        let mut out = Vec::new();
        encoder.open_interest(&mut out, 80_000_123, 5_000);
        assert_eq!(
            String::from_utf8_lossy(&out),
            r#"{"openInterest":"80000.123","symbol":"BTCUSDT","time":5000}"#
        );
        assert!(matches!(
            decoder.decode(&mut out, time, "").unwrap(),
            Message::Event(MessageKind::OpenInterest, _)
        ));
    }
}
