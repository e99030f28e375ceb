//! Bybit v5 public linear frames from the real capture `cryptofeed/BYBIT.jsonl.zst` (linear
//! connection `BYBIT.ws.2`), and the documented `allLiquidation` payload (none arrived in the
//! capture; see `fixtures/bybit/README.md`).

use feeds::recording::cryptofeed::parse_epoch_seconds;
use feeds::venue::bybit::{BybitDecoder, BybitMessage, IgnoredTopic, OpReply, VENUE};
use feeds::{
    Event, EventKind, Instruments, Liquidation, Lots, MarkPrice, Nanos, OpenInterest, PriceE8, RateE8, Seq,
    Side, Ticks, Trade,
};
use std::io::{BufRead, BufReader};

fn instruments() -> Instruments {
    let text = std::fs::read_to_string(testkit::workspace_root().join("configs/instruments.toml")).unwrap();
    Instruments::from_toml(&text).unwrap()
}

/// A received frame of the capture: connection, receive time, raw payload.
struct Received {
    conn: String,
    receive_time: Nanos,
    payload: Vec<u8>,
}

fn capture() -> Vec<Received> {
    let file = std::fs::File::open(testkit::data_dir().join("cryptofeed/BYBIT.jsonl.zst")).unwrap();
    let reader = BufReader::new(zstd::stream::read::Decoder::new(file).unwrap());
    let mut frames = Vec::new();
    for line in reader.lines() {
        let line: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        if line["t"] != "recv" {
            continue;
        }
        let ts = line["ts"].as_number().unwrap().to_string();
        frames.push(Received {
            conn: line["conn"].as_str().unwrap().to_owned(),
            receive_time: parse_epoch_seconds(ts.as_bytes()).unwrap(),
            payload: line["data"].as_str().unwrap().as_bytes().to_vec(),
        });
    }
    frames
}

#[test]
fn every_linear_frame_decodes_or_is_classified() {
    let instruments = instruments();
    let btc = instruments.find(VENUE, "BTCUSDT").unwrap();
    let mut decoder = BybitDecoder::new(instruments);
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let mut events = Vec::new();
    let mut first_btc_events: Vec<Event> = Vec::new();
    let frames = capture();
    // `BYBIT.ws.3` is Bybit *spot* (the same symbols, other contracts): not this decoder's.
    for mut frame in frames.into_iter().filter(|frame| frame.conn == "BYBIT.ws.2") {
        let before = events.len();
        let message = decoder
            .decode(&mut frame.payload, frame.receive_time, &mut events)
            .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&frame.payload)));
        let name = match message {
            BybitMessage::Ticker { snapshot: true, .. } => "ticker snapshot",
            BybitMessage::Ticker { snapshot: false, .. } => "ticker delta",
            BybitMessage::Trades(_) => "trades",
            BybitMessage::Liquidations(_) => "liquidations",
            BybitMessage::Ignored(IgnoredTopic::OrderBook) => "orderbook",
            BybitMessage::Ignored(IgnoredTopic::Kline) => "kline",
            BybitMessage::Reply(OpReply::Subscribe { success: true }) => "subscribed",
            BybitMessage::Reply(other) => panic!("unexpected reply {other:?}"),
        };
        *counts.entry(name).or_default() += 1;
        if first_btc_events.len() < 6 {
            first_btc_events.extend(events[before..].iter().filter(|event| event.instrument == btc));
        }
    }
    // Counted independently from the capture (python over the JSON lines).
    assert_eq!(counts["ticker snapshot"], 4);
    assert_eq!(counts["ticker delta"], 754);
    assert_eq!(counts["trades"], 102);
    assert_eq!(counts["orderbook"], 1598);
    assert_eq!(counts["kline"], 71);
    assert_eq!(counts["subscribed"], 17);
    assert!(!counts.contains_key("liquidations"));

    // TC0: the BTCUSDT snapshot (capture line 22): markPrice "65117.44", indexPrice
    // "65137.76", fundingRate "0.0001", nextFundingTime "1786320000000", openInterest
    // "59891.732", cs 753843900397, ts 1786310817583.
    let received = parse_epoch_seconds(b"1786310819.526357").unwrap();
    let snapshot_time = Nanos::from_millis(1_786_310_817_583).unwrap();
    let mark = |mark: i64, index: i64| MarkPrice {
        mark: PriceE8(mark),
        index: PriceE8(index),
        funding_rate: RateE8(10_000),
        next_funding_time: Nanos::from_millis(1_786_320_000_000).unwrap(),
    };
    assert_eq!(
        first_btc_events[0],
        Event::new(
            snapshot_time,
            received,
            Seq(753_843_900_397),
            btc,
            EventKind::MarkPrice(mark(6_511_744_000_000, 6_513_776_000_000))
        )
    );
    assert_eq!(
        first_btc_events[1],
        Event::new(
            snapshot_time,
            received,
            Seq(753_843_900_397),
            btc,
            EventKind::OpenInterest(OpenInterest { qty: Lots(59_891_732) })
        )
    );
    // TC1: the next delta changes only markPrice to "65117.43": merged with the snapshot's
    // index and funding; open interest did not change, so no open interest event.
    assert_eq!(first_btc_events[2].kind(), EventKind::MarkPrice(mark(6_511_743_000_000, 6_513_776_000_000)));
    assert_eq!(first_btc_events[2].seq, Seq(753_843_915_209));
    // TC2: then markPrice "65118.03" and indexPrice "65138.36" together.
    assert_eq!(first_btc_events[3].kind(), EventKind::MarkPrice(mark(6_511_803_000_000, 6_513_836_000_000)));
}

#[test]
fn trades_parse_on_the_instrument_grid() {
    let instruments = instruments();
    let btc = instruments.find(VENUE, "BTCUSDT").unwrap();
    let mut decoder = BybitDecoder::new(instruments);
    // TC0: the first BTCUSDT trade of the capture (line 132), byte for byte.
    let mut frame = br#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1786310819681,"data":[{"T":1786310819680,"s":"BTCUSDT","S":"Sell","v":"0.004","p":"65114.20","L":"MinusTick","i":"a9188a0a-82bc-50de-be60-03eedbe3cdd7","BT":false,"RPI":false,"seq":753843954913}]}"#.to_vec();
    let found = capture().into_iter().any(|received| received.payload == frame);
    assert!(found, "the frame is copied from the capture");
    let mut events = Vec::new();
    assert_eq!(decoder.decode(&mut frame, Nanos(7), &mut events), Ok(BybitMessage::Trades(1)));
    assert_eq!(
        events,
        vec![Event::new(
            Nanos::from_millis(1_786_310_819_680).unwrap(),
            Nanos(7),
            Seq(753_843_954_913),
            btc,
            EventKind::Trade(Trade {
                price: Ticks(651_142),
                qty: Lots(4),
                aggressor: Side::Ask,
                aggregated: false,
                forced: false
            })
        )]
    );
}

#[test]
fn documented_all_liquidation_payload() {
    let instruments = instruments();
    let btc = instruments.find(VENUE, "BTCUSDT").unwrap();
    let mut decoder = BybitDecoder::new(instruments);
    let mut frame =
        std::fs::read(testkit::workspace_root().join("feeds/tests/fixtures/bybit/all_liquidation.json"))
            .unwrap();
    let mut events = Vec::new();
    assert_eq!(decoder.decode(&mut frame, Nanos(9), &mut events), Ok(BybitMessage::Liquidations(2)));
    // "Buy": a long was liquidated, so the forced order sells (Ask); "Sell" the reverse.
    assert_eq!(
        events[0],
        Event::new(
            Nanos::from_millis(1_786_310_829_929).unwrap(),
            Nanos(9),
            Seq(0),
            btc,
            EventKind::Liquidation(Liquidation {
                side: Side::Ask,
                price: PriceE8(6_487_012_000_000),
                average_price: PriceE8(6_487_012_000_000),
                qty: Lots(431)
            })
        )
    );
    assert_eq!(
        events[1].kind(),
        EventKind::Liquidation(Liquidation {
            side: Side::Bid,
            price: PriceE8(6_540_250_000_000),
            average_price: PriceE8(6_540_250_000_000),
            qty: Lots(1_200)
        })
    );
}

#[test]
fn replies_and_bad_frames() {
    let mut decoder = BybitDecoder::new(instruments());
    let mut events = Vec::new();
    // TC0: the capture's subscribe reply (line 40).
    let mut frame = br#"{"success":true,"ret_msg":"","conn_id":"d8bu1olkndm7crnfs1e0-j6akw","req_id":"","op":"subscribe"}"#.to_vec();
    assert_eq!(
        decoder.decode(&mut frame, Nanos(1), &mut events),
        Ok(BybitMessage::Reply(OpReply::Subscribe { success: true }))
    );
    // TC1: the documented pong of the linear stream ("How to Send the Heartbeat Packet").
    let mut frame =
        br#"{"success":true,"ret_msg":"pong","conn_id":"0970e817-426e-429a-a679-ff7f55e0b16a","op":"pong"}"#
            .to_vec();
    assert_eq!(decoder.decode(&mut frame, Nanos(1), &mut events), Ok(BybitMessage::Reply(OpReply::Pong)));
    // Synthetic defects (real data has none): each is an error, never a panic, never an event.
    for bad in [
        &br#"{"topic":"tickers.BTCUSDT","type":"snapshot","ts":1,"data":{"symbol":"BTCUSDT","openInterest":"1.0005"}}"#[..],
        br#"{"topic":"tickers.XRPUSDT","type":"snapshot","ts":1,"data":{"symbol":"XRPUSDT"}}"#,
        br#"{"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":1,"s":"BTCUSDT","S":"Up","v":"1","p":"1"}]}"#,
        br#"{"topic":"publicTrade.BTCUSDT","data":{}}"#,
        br#"{"topic":"somethingNew.BTCUSDT","data":{}}"#,
        br#"{"topic":"#,
        br#"[1,2]"#,
    ] {
        let mut frame = bad.to_vec();
        assert!(decoder.decode(&mut frame, Nanos(1), &mut events).is_err(), "{}", String::from_utf8_lossy(bad));
    }
    assert!(events.is_empty());
}
