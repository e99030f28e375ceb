//! The slow lanes against loopback servers written in this test: a WebSocket server that plays
//! frames from the real Bybit and Deribit captures (and answers subscribe, ping,
//! get_index_price, get_instruments and heartbeats as the venues document), and an HTTP server
//! that serves the real Binance BTCUSDT depth snapshot and the documented open interest answer.
//! Every wait is bounded.

use feeds::lanes::{Lane, LaneQueue, LanesConfig, SlowLanes, SnapshotRequest};
use feeds::venue::binance;
use feeds::{Event, EventKind, Instruments, Liquidation, Lots, OpenInterest, PriceE8, RateE8, Side};
use futures_util::{SinkExt, StreamExt};
use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

fn instruments() -> Instruments {
    let text = std::fs::read_to_string(testkit::workspace_root().join("configs/instruments.toml")).unwrap();
    Instruments::from_toml(&text).unwrap()
}

/// A config with every lane off; tests turn on what they test.
fn quiet_config() -> LanesConfig {
    let mut config = LanesConfig { open_interest_interval_s: 0, ..LanesConfig::default() };
    config.bybit.enabled = false;
    config.deribit.enabled = false;
    config
}

/// Pops until `want` events arrived or 10 s passed.
fn drain(queue: &LaneQueue, want: usize) -> Vec<Event> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut events = Vec::new();
    while events.len() < want && Instant::now() < deadline {
        match queue.pop() {
            Some(event) => events.push(event),
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    events
}

fn server_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap()
}

/// The real REST snapshot of btcusdt_20240808.gz (line 55).
fn real_snapshot() -> Vec<u8> {
    let file = std::fs::File::open(testkit::data_dir().join("binance-usdm/btcusdt_20240808.gz")).unwrap();
    let line = BufReader::new(flate2::read::GzDecoder::new(file)).lines().nth(54).unwrap().unwrap();
    let frame = line.split_once(' ').unwrap().1;
    assert!(frame.starts_with("{\"lastUpdateId\""), "line 55 is the snapshot");
    frame.as_bytes().to_vec()
}

/// A tiny HTTP/1.1 server: answers by path, then closes.
async fn http_server(listener: TcpListener, snapshot: Arc<Vec<u8>>) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else { return };
        let snapshot = Arc::clone(&snapshot);
        tokio::spawn(async move {
            let mut request = vec![0_u8; 4096];
            let Ok(read) = socket.read(&mut request).await else { return };
            let request = String::from_utf8_lossy(&request[..read]).into_owned();
            let path = request.split(' ').nth(1).unwrap_or("").to_owned();
            let (status, body): (&str, Vec<u8>) = if path.starts_with("/fapi/v1/openInterest?symbol=BTCUSDT")
            {
                // Documented answer (Binance USD-M "Open Interest"): fixtures/binance/open_interest.json.
                (
                    "200 OK",
                    br#"{"openInterest":"10659.509","symbol":"BTCUSDT","time":1589437530011}"#.to_vec(),
                )
            } else if path.starts_with("/fapi/v1/depth?symbol=BTCUSDT&limit=1000") {
                ("200 OK", snapshot.to_vec())
            } else if path.contains("symbol=RATE") {
                ("429 Too Many Requests", br#"{"code":-1003,"msg":"Too many requests; current limit is 2400 request weight per 1 MINUTE."}"#.to_vec())
            } else {
                ("500 Internal Server Error", b"\x00\xffnot json<html>".to_vec())
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(&body).await;
            let _ = socket.shutdown().await;
        });
    }
}

#[test]
fn rest_lanes_poll_open_interest_and_fetch_snapshots() {
    let runtime = server_runtime();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap();
    runtime.spawn(http_server(listener, Arc::new(real_snapshot())));

    let instruments = instruments();
    let btc = instruments.find(binance::VENUE, "BTCUSDT").unwrap();
    let config =
        LanesConfig { rest_url: format!("http://{address}"), open_interest_interval_s: 1, ..quiet_config() };
    let queue = LaneQueue::new(64);
    let lanes = SlowLanes::start(&config, &instruments, queue.clone()).unwrap();

    // Lane 1: the documented answer, decoded by the Binance decoder: 10659.509 BTC = 10659509
    // lots of 0.001, tagged BTCUSDT, exchange time = `time`.
    let events = drain(&queue, 1);
    assert_eq!(events.len(), 1, "{:?}", lanes.stats(Lane::OpenInterest));
    assert_eq!(events[0].instrument, btc);
    assert_eq!(events[0].kind(), EventKind::OpenInterest(OpenInterest { qty: Lots(10_659_509) }));
    assert_eq!(events[0].exchange_time.get(), 1_589_437_530_011 * 1_000_000);
    assert!(events[0].receive_time.get() > 1_700_000_000_000_000_000, "wall clock");

    // Lane 2: the real snapshot body, byte for byte; then a 429 and a garbage 500 as errors.
    let requests = lanes.snapshot_requests();
    let responses = lanes.snapshot_responses();
    for symbol in ["BTCUSDT", "RATE", "GARBAGE"] {
        requests
            .try_send(SnapshotRequest { instrument: btc, symbol: symbol.to_owned(), limit: 1000 })
            .unwrap();
    }
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(responses.recv_timeout(Duration::from_secs(10)).unwrap());
    }
    assert_eq!(answers[0].result.as_deref(), Ok(&real_snapshot()[..]));
    assert!(answers[0].url.ends_with("/fapi/v1/depth?symbol=BTCUSDT&limit=1000"));
    let rate = answers[1].result.as_ref().unwrap_err();
    assert!(rate.contains("429") && rate.contains("-1003") && rate.contains("rate limited"), "{rate}");
    assert!(answers[2].result.as_ref().unwrap_err().contains("HTTP 500"));
    assert_eq!(lanes.stats(Lane::Snapshot).errors, 2);

    let started = Instant::now();
    assert!(lanes.shutdown(), "every task stopped");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn unreachable_rest_is_an_error_response_not_a_hang() {
    // A port nothing listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config =
        LanesConfig { rest_url: format!("http://127.0.0.1:{port}"), http_timeout_ms: 500, ..quiet_config() };
    let lanes = SlowLanes::start(&config, &instruments(), LaneQueue::new(4)).unwrap();
    lanes
        .snapshot_requests()
        .try_send(SnapshotRequest { instrument: feeds::InstrumentId(0), symbol: "BTCUSDT".into(), limit: 5 })
        .unwrap();
    let answer = lanes.snapshot_responses().recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(answer.result.is_err());
    assert!(lanes.shutdown());
}

/// Frames of the Bybit capture's linear connection.
fn bybit_frames() -> Vec<String> {
    let file = std::fs::File::open(testkit::data_dir().join("cryptofeed/BYBIT.jsonl.zst")).unwrap();
    let mut text = String::new();
    zstd::stream::read::Decoder::new(file).unwrap().read_to_string(&mut text).unwrap();
    text.lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|line| line["t"] == "recv" && line["conn"] == "BYBIT.ws.2")
        .map(|line| line["data"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn bybit_lane_forwards_liquidations_and_reconnects() {
    let runtime = server_runtime();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap();
    let frames = bybit_frames();
    let subscribed = frames.iter().find(|frame| frame.contains("\"op\":\"subscribe\"")).unwrap().clone();
    let ticker = frames
        .iter()
        .find(|frame| frame.starts_with("{\"topic\":\"tickers.BTCUSDT\",\"type\":\"snapshot\""))
        .unwrap()
        .clone();
    let liquidation = std::fs::read_to_string(
        testkit::workspace_root().join("feeds/tests/fixtures/bybit/all_liquidation.json"),
    )
    .unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&connections);
    runtime.spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else { return };
            let connection = seen.fetch_add(1, Ordering::SeqCst);
            let (subscribed, ticker, liquidation) = (subscribed.clone(), ticker.clone(), liquidation.clone());
            tokio::spawn(async move {
                let Ok(mut socket) = tokio_tungstenite::accept_async(socket).await else { return };
                // Wait for the subscription, answer as the capture did, then play frames.
                while let Some(Ok(message)) = socket.next().await {
                    let text = message.to_text().unwrap_or("").to_owned();
                    if text.contains("\"op\":\"subscribe\"") {
                        assert!(
                            text.contains("allLiquidation.BTCUSDT") && text.contains("tickers.BTCUSDT"),
                            "{text}"
                        );
                        let _ = socket.send(Message::text(subscribed.clone())).await;
                        let _ = socket.send(Message::text(ticker.clone())).await;
                        let _ = socket.send(Message::text(liquidation.clone())).await;
                        if connection == 0 {
                            // The first connection drops without a close frame.
                            return;
                        }
                    } else if text.contains("\"op\":\"ping\"") {
                        let _ = socket
                            .send(Message::text(r#"{"success":true,"ret_msg":"pong","op":"pong"}"#))
                            .await;
                    }
                }
            });
        }
    });

    let instruments = instruments();
    let btc = instruments.find(binance::VENUE, "BTCUSDT").unwrap();
    let mut config = quiet_config();
    config.bybit.enabled = true;
    config.bybit.url = format!("ws://{address}");
    config.bybit.mark_price = true;
    config.bybit.reconnect_min_ms = 50;
    let queue = LaneQueue::new(64);
    let lanes = SlowLanes::start(&config, &instruments, queue.clone()).unwrap();
    // Per connection: the ticker's mark price (open interest off), two liquidations.
    let events = drain(&queue, 6);
    assert_eq!(events.len(), 6, "{:?}", lanes.stats(Lane::Bybit));
    assert!(events.iter().all(|event| event.instrument == btc), "tagged with the quoted instrument");
    let kinds: Vec<EventKind> = events.iter().map(Event::kind).collect();
    let EventKind::MarkPrice(mark) = kinds[0] else { panic!("{kinds:?}") };
    assert_eq!((mark.mark, mark.funding_rate), (PriceE8(6_511_744_000_000), RateE8(10_000)));
    assert_eq!(
        kinds[1],
        EventKind::Liquidation(Liquidation {
            side: Side::Ask,
            price: PriceE8(6_487_012_000_000),
            average_price: PriceE8(6_487_012_000_000),
            qty: Lots(431)
        })
    );
    assert_eq!(kinds[3..], kinds[..3], "the same after the reconnect");
    let stats = lanes.stats(Lane::Bybit);
    assert!(stats.connects >= 2 && stats.reconnects >= 1, "{stats:?}");
    assert!(connections.load(Ordering::SeqCst) >= 2);
    assert!(lanes.shutdown());
}

/// The Deribit capture's frames: ETH ticker notifications.
fn deribit_eth_tickers() -> Vec<String> {
    let text = std::fs::read_to_string(testkit::data_dir().join("cryptofeed/DERIBIT.ws.1.0")).unwrap();
    text.lines()
        .filter_map(|line| line.split_once(": ").map(|(_, frame)| frame))
        .filter(|frame| frame.contains("\"channel\":\"ticker.ETH-"))
        .map(str::to_owned)
        .collect()
}

/// The real `get_instruments?currency=ETH` answer of DERIBIT.0.
fn deribit_eth_instruments() -> String {
    let text = std::fs::read_to_string(testkit::data_dir().join("cryptofeed/DERIBIT.0")).unwrap();
    let line = text.lines().find(|line| line.contains("currency=ETH&")).unwrap();
    line.split_once(": ").unwrap().1.to_owned()
}

#[test]
fn deribit_lane_pushes_options_readings_and_answers_heartbeats() {
    let runtime = server_runtime();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap();
    let tickers = deribit_eth_tickers();
    let instruments_answer = deribit_eth_instruments();
    let tests_answered = Arc::new(AtomicUsize::new(0));
    let subscribed_channels = Arc::new(std::sync::Mutex::new(String::new()));
    let (answered, channels) = (Arc::clone(&tests_answered), Arc::clone(&subscribed_channels));
    // Requests of each kind, to see the hourly re-choice (every second here).
    let listed = Arc::new(AtomicUsize::new(0));
    let subscribes = Arc::new(AtomicUsize::new(0));
    let unsubscribes = Arc::new(AtomicUsize::new(0));
    let (listed_seen, subscribes_seen, unsubscribes_seen) =
        (Arc::clone(&listed), Arc::clone(&subscribes), Arc::clone(&unsubscribes));
    runtime.spawn(async move {
        let Ok((socket, _)) = listener.accept().await else { return };
        let Ok(mut socket) = tokio_tungstenite::accept_async(socket).await else { return };
        while let Some(Ok(message)) = socket.next().await {
            let request: serde_json::Value = match serde_json::from_str(message.to_text().unwrap_or("")) {
                Ok(request) => request,
                Err(_) => continue,
            };
            let id = request["id"].clone();
            let answer =
                |result: &str| Message::text(format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{result}}}"#));
            match request["method"].as_str().unwrap_or("") {
                "public/set_heartbeat" => {
                    assert!(request["params"]["interval"].as_u64().unwrap() >= 10);
                    let _ = socket.send(answer("\"ok\"")).await;
                    let _ = socket
                        .send(Message::text(
                            r#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}"#,
                        ))
                        .await;
                }
                "public/test" => {
                    answered.fetch_add(1, Ordering::SeqCst);
                    let _ = socket.send(answer(r#"{"version":"1.2.26"}"#)).await;
                }
                "public/get_index_price" => {
                    assert_eq!(request["params"]["index_name"], "eth_usd");
                    // The ETH index of the capture.
                    let _ = socket
                        .send(answer(r#"{"index_price":2006.72,"estimated_delivery_price":2006.72}"#))
                        .await;
                }
                "public/get_instruments" => {
                    assert_eq!(request["params"]["kind"], "option");
                    listed_seen.fetch_add(1, Ordering::SeqCst);
                    let _ = socket.send(Message::text(instruments_answer.clone())).await;
                }
                "public/unsubscribe" => {
                    unsubscribes_seen.fetch_add(1, Ordering::SeqCst);
                }
                "public/subscribe" => {
                    subscribes_seen.fetch_add(1, Ordering::SeqCst);
                    let list = request["params"]["channels"].to_string();
                    *channels.lock().unwrap() = list.clone();
                    let _ = socket.send(answer(&list)).await;
                    for ticker in &tickers {
                        let _ = socket.send(Message::text(ticker.clone())).await;
                    }
                }
                _ => {}
            }
        }
    });

    let instruments = instruments();
    let btc = instruments.find(binance::VENUE, "BTCUSDT").unwrap();
    let mut config = quiet_config();
    config.deribit.enabled = true;
    config.deribit.url = format!("ws://{address}");
    config.deribit.currency = "ETH".to_owned();
    config.deribit.interval_s = 1;
    config.deribit.reselect_s = 1;
    let queue = LaneQueue::new(64);
    let lanes = SlowLanes::start(&config, &instruments, queue.clone()).unwrap();
    let events = drain(&queue, 1);
    assert_eq!(events.len(), 1, "{:?}", lanes.stats(Lane::Deribit));
    assert_eq!(events[0].instrument, btc);
    // The reading of the capture's ETH options (see tests/deribit.rs): short = 23JUL21's
    // last mark_iv 111.39 %, long = 30JUL21's 120.73 %, no short-dated OI within 5 % of spot.
    let EventKind::Options(reading) = events[0].kind() else { panic!("{:?}", events[0]) };
    assert_eq!(reading.short_iv, RateE8(111_390_000));
    assert_eq!(reading.long_iv, RateE8(120_730_000));
    assert_eq!(reading.oi_near_spot_share, RateE8(0));
    assert_eq!(events[0].exchange_time.get(), 1_626_993_752_839 * 1_000_000, "the board's newest ticker");
    assert_eq!(tests_answered.load(Ordering::SeqCst), 1, "test_request answered with public/test");
    // The rule: nearest 4 expiries alive at the server's time, strikes within 10 % of 2006.72.
    let channels = subscribed_channels.lock().unwrap().clone();
    assert!(channels.contains("ticker.ETH-23JUL21-2000-C.100ms"), "{channels}");
    assert!(!channels.contains("-3000-"), "3000 is 50 % away: {channels}");
    // Re-choosing asks for the index and the list again; the same answer changes nothing.
    let deadline = Instant::now() + Duration::from_secs(10);
    while listed.load(Ordering::SeqCst) < 2 {
        assert!(Instant::now() < deadline, "the options were not re-chosen");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(subscribes.load(Ordering::SeqCst), 1, "nothing new to subscribe");
    assert_eq!(unsubscribes.load(Ordering::SeqCst), 0, "nothing to drop");
    assert!(lanes.shutdown());
}

#[test]
fn bad_configs_start_nothing() {
    let mut config = quiet_config();
    config.deribit.enabled = true;
    config.deribit.instrument = "NOPE".to_owned();
    let error = SlowLanes::start(&config, &instruments(), LaneQueue::new(1)).err().unwrap().to_string();
    assert!(error.contains("deribit.instrument") && error.contains("NOPE"), "{error}");
    let queue = LaneQueue::new(1);
    let event = Event::new(
        feeds::Nanos(1),
        feeds::Nanos(2),
        feeds::Seq(0),
        feeds::InstrumentId(0),
        EventKind::OpenInterest(OpenInterest { qty: Lots(1) }),
    );
    assert!(queue.push(event));
    assert!(!queue.push(event), "full: dropped");
    assert_eq!(queue.dropped(), 1);
}
