//! Deribit options from the real captures `cryptofeed/DERIBIT.ws.1.0` (ticker and book
//! notifications of 10 BTC/ETH options, 2021-07-22) and `cryptofeed/DERIBIT.0`
//! (`public/get_instruments` responses), through the decoder and the options board.

use feeds::options_board::{AtmMethod, BoardSettings, OptionsBoard};
use feeds::recording::open_frames;
use feeds::venue::deribit::{DeribitMessage, OptionKind, OptionName, OptionTicker, decode_frame};
use feeds::{Nanos, RateE8};

/// Every option ticker of the WebSocket capture, in order, and the last receive time.
fn tickers() -> (Vec<OptionTicker>, Nanos) {
    let mut reader = open_frames(&testkit::data_dir().join("cryptofeed/DERIBIT.ws.1.0")).unwrap();
    let (mut tickers, mut last) = (Vec::new(), Nanos(0));
    while let Some(frame) = reader.next_frame() {
        let frame = frame.unwrap();
        last = frame.receive_time;
        if let Ok(DeribitMessage::Ticker(ticker)) = decode_frame(frame.payload) {
            tickers.push(ticker);
        }
    }
    (tickers, last)
}

#[test]
fn every_websocket_frame_decodes() {
    let mut reader = open_frames(&testkit::data_dir().join("cryptofeed/DERIBIT.ws.1.0")).unwrap();
    let (mut tickers, mut other, mut replies) = (Vec::new(), 0, 0);
    while let Some(frame) = reader.next_frame() {
        let frame = frame.unwrap();
        match decode_frame(frame.payload) {
            Ok(DeribitMessage::Ticker(ticker)) => tickers.push(ticker),
            Ok(DeribitMessage::OtherChannel) => other += 1,
            Ok(DeribitMessage::Reply { id: 0 }) => replies += 1,
            unexpected => panic!("{unexpected:?}"),
        }
    }
    // Counted independently (python over the capture): 89 tickers, 46 book notifications,
    // the subscribe result.
    assert_eq!((tickers.len(), other, replies), (89, 46, 1));
    // TC0: the first ticker, as printed: ETH-30JUL21-2800-C, timestamp 1626993723632,
    // mark_iv 120.74, bid_iv 115.62, ask_iv 125.63, open_interest 12685.0,
    // underlying_price 2003.61, index_price 2006.72.
    let first = &tickers[0];
    assert_eq!(first.name, OptionName::parse("ETH-30JUL21-2800-C").unwrap());
    assert_eq!(first.name.expiry, Nanos(1_627_632_000 * Nanos::PER_SECOND));
    assert_eq!(first.name.kind, OptionKind::Call);
    assert_eq!(first.timestamp, Nanos::from_millis(1_626_993_723_632).unwrap());
    assert_eq!((first.mark_iv, first.bid_iv, first.ask_iv), (120.74, Some(115.62), Some(125.63)));
    assert_eq!(
        (first.open_interest, first.underlying_price, first.index_price),
        (12_685.0, 2_003.61, 2_006.72)
    );
}

#[test]
fn get_instruments_names_agree_with_their_fields() {
    let mut reader = open_frames(&testkit::data_dir().join("cryptofeed/DERIBIT.0")).unwrap();
    let (mut responses, mut options) = (0, 0);
    while let Some(frame) = reader.next_frame() {
        let frame = frame.unwrap();
        assert!(frame.channel.contains("public/get_instruments"), "{}", frame.channel);
        let list = match decode_frame(frame.payload) {
            Ok(DeribitMessage::Instruments { list, server_time }) => {
                // usOut: the server's clock. BTC and ETH were answered within a second of our
                // receive time; the SOL and USDC bodies in this file come from 2022 (usOut says
                // so), stamped with 2021 receive times.
                let lag = (frame.receive_time.get() - server_time.unwrap().get()).abs();
                if frame.channel.contains("=BTC&") || frame.channel.contains("=ETH&") {
                    assert!(lag < 1_000_000_000, "{lag}");
                }
                list
            }
            other => panic!("{}: {other:?}", frame.channel),
        };
        responses += 1;
        for info in list.iter().filter(|info| info.kind == "option") {
            // Every option's name says what its fields say: expiry at 08:00 UTC, strike, type.
            let name = OptionName::parse(&info.instrument_name).unwrap();
            assert_eq!(name.expiry, info.expiration, "{}", info.instrument_name);
            assert_eq!(Some(name.strike), info.strike, "{}", info.instrument_name);
            assert_eq!(Some(name.kind), info.option_type, "{}", info.instrument_name);
            assert_eq!(name.underlying, info.base_currency);
            options += 1;
        }
    }
    assert_eq!(responses, 4, "BTC, ETH, SOL and USDC (SOL and USDC had no instruments)");
    assert!(options > 500, "{options} options");
}

#[test]
fn term_structure_of_the_capture() {
    let (tickers, now) = tickers();
    let mut btc = OptionsBoard::new("BTC", BoardSettings::default());
    let mut eth = OptionsBoard::new("ETH", BoardSettings::default());
    for ticker in &tickers {
        btc.update(ticker.clone());
        eth.update(ticker.clone());
    }
    assert_eq!((btc.len(), eth.len()), (7, 3));
    let structure = btc.term_structure(now);
    println!("{structure}");
    println!("{}", eth.term_structure(now));
    let labels: Vec<&str> = structure.expiries.iter().map(|point| point.label.as_str()).collect();
    assert_eq!(labels, ["30JUL21", "24SEP21", "31DEC21", "25MAR22", "24JUN22"]);
    assert!((32_000.0..32_500.0).contains(&structure.spot), "{}", structure.spot);
    let last_iv = |name: &str| {
        let name = OptionName::parse(name).unwrap();
        tickers.iter().rev().find(|ticker| ticker.name == name).unwrap().mark_iv / 100.0
    };
    for point in &structure.expiries {
        assert!((0.3..2.0).contains(&point.atm_iv), "{}: {}", point.label, point.atm_iv);
        assert!(point.years > 0.0 && point.forward > 30_000.0 && point.forward < 35_000.0);
    }
    // One strike per expiry: the ATM volatility is that option's last mark_iv, flat.
    let [jul, sep, dec, mar, jun] = &structure.expiries[..] else { unreachable!() };
    assert_eq!((jul.atm_iv, jul.atm_method), (last_iv("BTC-30JUL21-24000-P"), AtmMethod::Nearest));
    assert_eq!((mar.atm_iv, jun.atm_iv), (last_iv("BTC-25MAR22-30000-C"), last_iv("BTC-24JUN22-15000-C")));
    // Two strikes above the December forward: the nearer one (34000), not the 300000 call.
    assert_eq!((dec.atm_iv, dec.atm_method), (last_iv("BTC-31DEC21-34000-P"), AtmMethod::Nearest));
    // September: 8000 and 34000 bracket the forward; interpolated in log-moneyness.
    let (k0, k1) = ((8_000.0 / sep.forward).ln(), (34_000.0 / sep.forward).ln());
    let (iv0, iv1) = (last_iv("BTC-24SEP21-8000-P"), last_iv("BTC-24SEP21-34000-P"));
    assert_eq!(sep.atm_method, AtmMethod::Interpolated);
    assert!((sep.atm_iv - (iv0 + (iv1 - iv0) * -k0 / (k1 - k0))).abs() < 1e-12);
    assert!(sep.atm_iv > iv1 && sep.atm_iv < iv0);
    assert_eq!(jul.open_interest, 572.5);
    // BTC has no expiry within 48 h of the capture: no reading.
    assert_eq!(btc.reading(now), None);

    // ETH-23JUL21 expires 9 h after the capture: short-dated; 30JUL21 is the next.
    let reading = eth.reading(now).unwrap();
    let rate = |iv: f64| RateE8((iv * 1e8).round() as i64);
    assert_eq!(reading.short_iv, rate(last_iv("ETH-23JUL21-2300-C")));
    assert_eq!(reading.long_iv, rate(last_iv("ETH-30JUL21-2800-C")));
    // The short-dated open interest is all at 2300, 14.6 % above spot 2007.6: none within 5 %,
    // all within 15 %.
    assert_eq!(reading.oi_near_spot_share, RateE8(0));
    let mut wide =
        OptionsBoard::new("ETH", BoardSettings { near_spot_pct: 15.0, ..BoardSettings::default() });
    for ticker in &tickers {
        wide.update(ticker.clone());
    }
    assert_eq!(wide.reading(now).unwrap().oi_near_spot_share, RateE8(100_000_000));
}

#[test]
fn heartbeat_and_errors() {
    // Documented shapes ("public/set_heartbeat", "Notifications > heartbeat", JSON-RPC error);
    // the capture holds none.
    let mut frame = br#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}"#.to_vec();
    assert_eq!(decode_frame(&mut frame), Ok(DeribitMessage::TestRequest));
    let mut frame = br#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"heartbeat"}}"#.to_vec();
    assert_eq!(decode_frame(&mut frame), Ok(DeribitMessage::Heartbeat));
    let mut frame =
        br#"{"jsonrpc":"2.0","id":7,"error":{"message":"Invalid params","code":-32602}}"#.to_vec();
    assert_eq!(
        decode_frame(&mut frame),
        Ok(DeribitMessage::RpcError { id: 7, code: -32602, message: "Invalid params".to_owned() })
    );
    for bad in [&b"{"[..], b"[]", br#"{"method":"subscription","params":{"channel":"ticker.BTC-X.raw","data":{"instrument_name":"BTC-X","mark_iv":1}}}"#] {
        assert!(decode_frame(&mut bad.to_vec()).is_err(), "{}", String::from_utf8_lossy(bad));
    }
}
