//! The local Binance USD-M venue against the real recording (`binance-usdm/btcusdt_20240808.gz`),
//! with plain tungstenite clients and raw HTTP/1.1 requests: frames verbatim and in order,
//! pacing, Binance's book sync procedure ending on the venue's own book, every fault, REST
//! formats and errors, and the `halcyon venue` command. Speeds are 0 or high and every read
//! has a timeout, so each test takes seconds.

use engine::cli::args::VenueArgs;
use engine::cli::config::load_instruments;
use engine::local_venue::{
    Fault, FaultTrigger, LocalVenue, ScheduledFault, StartMode, Tape, VenueConfig, VenueHandle,
};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket};

const DEPTH: &str = "btcusdt@depth@0ms";
const TRADE: &str = "btcusdt@trade";
const TICKER: &str = "btcusdt@bookTicker";
const TIMEOUT: Duration = Duration::from_secs(20);

fn recording() -> PathBuf {
    testkit::data_dir().join("binance-usdm/btcusdt_20240808.gz")
}

fn tape() -> Arc<Tape> {
    static TAPE: OnceLock<Arc<Tape>> = OnceLock::new();
    Arc::clone(TAPE.get_or_init(|| {
        let (instruments, _) = load_instruments(None, None).unwrap();
        Arc::new(Tape::load(&recording(), &instruments).unwrap())
    }))
}

/// The recording read independently of the venue: `(stream, line)` for every frame the venue
/// must serve: those after the REST snapshot line, preceded by the diffs received before it
/// whose `u` reaches its `lastUpdateId` (and the frames between them).
fn recorded() -> &'static [(String, String)] {
    static LINES: OnceLock<Vec<(String, String)>> = OnceLock::new();
    LINES.get_or_init(|| {
        let mut reader = feeds::recording::open_frames(&recording()).unwrap();
        let mut snapshot_id = None;
        let mut lines = Vec::new();
        let mut before: Vec<(String, String)> = Vec::new();
        while let Some(frame) = reader.next_frame() {
            let frame = frame.unwrap();
            let text = std::str::from_utf8(frame.payload).unwrap().to_owned();
            if snapshot_id.is_none() && text.starts_with("{\"lastUpdateId\"") {
                let id = json(&text)["lastUpdateId"].as_u64().unwrap();
                snapshot_id = Some(id);
                let first = before
                    .iter()
                    .position(|(stream, line)| {
                        stream == DEPTH && json(line)["data"]["u"].as_u64().unwrap() >= id
                    })
                    .unwrap();
                lines.extend(before.drain(first..));
                continue;
            }
            let stream = text.strip_prefix("{\"stream\":\"").unwrap().split('"').next().unwrap().to_owned();
            if snapshot_id.is_some() {
                lines.push((stream, text));
            } else {
                before.push((stream, text));
            }
        }
        assert!(snapshot_id.is_some());
        lines
    })
}

fn config(speed: f64) -> VenueConfig {
    let (instruments, _) = load_instruments(None, None).unwrap();
    let mut config = VenueConfig::new(instruments);
    config.speed = speed;
    config
}

fn start(config: VenueConfig) -> VenueHandle {
    LocalVenue::start_tape(config, tape()).unwrap()
}

fn connect(url: &str) -> Result<WebSocket<TcpStream>, tungstenite::Error> {
    let addr: SocketAddr = url.trim_start_matches("ws://").split('/').next().unwrap().parse().unwrap();
    let stream = TcpStream::connect_timeout(&addr, TIMEOUT).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    match tungstenite::client(url, stream) {
        Ok((socket, _)) => Ok(socket),
        Err(tungstenite::HandshakeError::Failure(error)) => Err(error),
        Err(tungstenite::HandshakeError::Interrupted(_)) => panic!("handshake interrupted"),
    }
}

/// The next text frame (pings are answered by tungstenite).
fn next_text(socket: &mut WebSocket<TcpStream>) -> Result<String, tungstenite::Error> {
    loop {
        match socket.read()? {
            Message::Text(text) => return Ok(text.as_str().to_owned()),
            Message::Close(_) => return Err(tungstenite::Error::ConnectionClosed),
            _ => {}
        }
    }
}

fn read_texts(socket: &mut WebSocket<TcpStream>, count: usize) -> Vec<String> {
    (0..count).map(|_| next_text(socket).unwrap()).collect()
}

/// A raw HTTP/1.1 request: `(status, body)`.
fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).unwrap().parse().unwrap();
    let body = response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    (status, body)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|error| panic!("{error}: {text}"))
}

fn expected(streams: &[&str]) -> Vec<&'static str> {
    recorded()
        .iter()
        .filter(|(stream, _)| streams.contains(&stream.as_str()))
        .map(|(_, line)| line.as_str())
        .collect()
}

#[test]
fn frames_arrive_verbatim_and_in_order_for_the_subscribed_streams() {
    let venue = start(config(0.0));
    let mut client = connect(&venue.ws_url(&[DEPTH, TRADE])).unwrap();
    let want = expected(&[DEPTH, TRADE]);
    assert!(want.len() > 20_000, "depth and trade frames after the snapshot: {}", want.len());
    for (index, line) in want.iter().enumerate() {
        let got = next_text(&mut client).unwrap();
        assert_eq!(&got, line, "frame {index}");
    }
    assert!(venue.wait_finished(TIMEOUT));
    let status = venue.status();
    assert_eq!(status.frames_sent, recorded().len() as u64);
    assert_eq!(status.frames_total, recorded().len() as u64);
    assert_eq!(status.chain_breaks, 0, "the recording's pu chain has no gaps");
    venue.shutdown();
}

#[test]
fn raw_streams_carry_the_data_payload_and_live_subscribe_works() {
    let venue = start(config(0.0));
    let mut raw = connect(&venue.raw_ws_url(&[TICKER])).unwrap();
    for line in expected(&[TICKER]).iter().take(2_000) {
        let data = line.split_once(",\"data\":").unwrap().1;
        assert_eq!(next_text(&mut raw).unwrap(), &data[..data.len() - 1]);
    }
    // A second connection subscribes live; the alias `btcusdt@depth` delivers the recorded
    // `@depth@0ms` stream, frames unchanged.
    let mut live = connect(&format!("ws://{}/stream", venue.addr())).unwrap();
    live.send(Message::text(r#"{"method":"SUBSCRIBE","params":["btcusdt@depth"],"id":1}"#)).unwrap();
    assert_eq!(json(&next_text(&mut live).unwrap()), json(r#"{"result":null,"id":1}"#));
    live.send(Message::text(r#"{"method":"LIST_SUBSCRIPTIONS","id":2}"#)).unwrap();
    loop {
        let text = next_text(&mut live).unwrap();
        let value = json(&text);
        if value.get("id").is_some() {
            assert_eq!(value, json(r#"{"result":["btcusdt@depth"],"id":2}"#));
            break;
        }
        assert_eq!(value["stream"], DEPTH, "only the subscribed stream arrives");
    }
    live.send(Message::text("not json")).unwrap();
    loop {
        let value = json(&next_text(&mut live).unwrap());
        if value.get("code").is_some() {
            assert_eq!(value["code"], 3);
            break;
        }
    }
    venue.shutdown();
}

#[test]
fn speed_scales_the_recorded_pacing() {
    // 345 s of recording at 400x: about 0.86 s. Only lower bounds are asserted: the venue may
    // be late (a loaded machine), never early.
    let speed = 400.0;
    let venue = start(config(speed));
    let mut client = connect(&venue.ws_url(&[TRADE])).unwrap();
    let started = Instant::now();
    let want = expected(&[TRADE]);
    let times: Vec<i64> = tape()
        .frames
        .iter()
        .filter(|frame| matches!(&frame.item, engine::local_venue::tape::TapeItem::Stream { stream, .. } if tape().streams[usize::from(*stream)] == TRADE))
        .map(|frame| frame.receive_time.get() - tape().start_time.get())
        .collect();
    assert_eq!(times.len(), want.len());
    let mut last_trade_id = 0;
    for (index, line) in want.iter().enumerate() {
        let got = next_text(&mut client).unwrap();
        assert_eq!(&got, line);
        let trade_id = json(&got)["data"]["t"].as_u64().unwrap();
        assert!(trade_id > last_trade_id, "trades in order");
        last_trade_id = trade_id;
        if index % 1000 == 0 || index + 1 == want.len() {
            let due = Duration::from_secs_f64(times[index] as f64 / 1e9 / speed);
            // Loopback delivery cannot beat the schedule (5 ms slack for clock reads).
            assert!(started.elapsed() + Duration::from_millis(5) >= due, "frame {index} early");
        }
    }
    venue.shutdown();
}

type Side = BTreeMap<Decimal, Decimal>;

fn apply_levels(side: &mut Side, levels: &Value) {
    for level in levels.as_array().unwrap() {
        let price: Decimal = level[0].as_str().unwrap().parse().unwrap();
        let qty: Decimal = level[1].as_str().unwrap().parse().unwrap();
        if qty.is_zero() {
            side.remove(&price);
        } else {
            side.insert(price, qty);
        }
    }
}

fn top(side: &Side, levels: usize, best_high: bool) -> Vec<(Decimal, Decimal)> {
    let pairs = side.iter().map(|(&p, &q)| (p, q));
    if best_high { pairs.rev().take(levels).collect() } else { pairs.take(levels).collect() }
}

fn parsed(levels: &[[String; 2]]) -> Vec<(Decimal, Decimal)> {
    levels.iter().map(|[p, q]| (p.parse().unwrap(), q.parse().unwrap())).collect()
}

#[test]
fn a_client_following_binance_sync_ends_with_the_venue_book() {
    let venue = start(config(0.0));
    let mut client = connect(&venue.ws_url(&[DEPTH])).unwrap();
    // 1. Open the stream and buffer diffs.
    let mut buffered: Vec<Value> =
        (0..40).map(|_| json(&next_text(&mut client).unwrap())["data"].take()).collect();
    // 2. Get a snapshot.
    let (status, body) = http(venue.addr(), "GET", "/fapi/v1/depth?symbol=BTCUSDT&limit=1000", "");
    assert_eq!(status, 200, "{body}");
    let snapshot = json(&body);
    let snapshot_id = snapshot["lastUpdateId"].as_u64().unwrap();
    let (mut bids, mut asks) = (Side::new(), Side::new());
    apply_levels(&mut bids, &snapshot["bids"]);
    apply_levels(&mut asks, &snapshot["asks"]);
    assert_eq!(bids.len(), 1000);
    let mut last: Option<u64> = None;
    let mut applied = 0;
    let mut apply = |diff: &Value, bids: &mut Side, asks: &mut Side, last: &mut Option<u64>| {
        let (first, final_id, prev) =
            (diff["U"].as_u64().unwrap(), diff["u"].as_u64().unwrap(), diff["pu"].as_u64().unwrap());
        match *last {
            // 3. Drop diffs with u < lastUpdateId.
            None if final_id < snapshot_id => return,
            // 4. The first diff applied has U <= lastUpdateId <= u.
            None => {
                assert!(first <= snapshot_id && snapshot_id <= final_id, "first diff {first}..{final_id}")
            }
            // 5. Then each pu is the previous u.
            Some(previous) => assert_eq!(prev, previous, "pu chain"),
        }
        apply_levels(bids, &diff["b"]);
        apply_levels(asks, &diff["a"]);
        *last = Some(final_id);
        applied += 1;
    };
    for diff in buffered.drain(..) {
        apply(&diff, &mut bids, &mut asks, &mut last);
    }
    for _ in 0..1500 {
        let diff = json(&next_text(&mut client).unwrap())["data"].take();
        apply(&diff, &mut bids, &mut asks, &mut last);
    }
    // Sync point: after `pause` the venue's book is fixed; read until the client has its `u`.
    venue.pause();
    let book = venue.book("BTCUSDT", 100).unwrap();
    while last != Some(book.last_update_id) {
        let diff = json(&next_text(&mut client).unwrap())["data"].take();
        apply(&diff, &mut bids, &mut asks, &mut last);
    }
    assert!(applied > 1500);
    assert_eq!(top(&bids, 100, true), parsed(&book.bids));
    assert_eq!(top(&asks, 100, false), parsed(&book.asks));
    // /venue/book serves the same book.
    let (status, body) = http(venue.addr(), "GET", "/venue/book?symbol=BTCUSDT&levels=100", "");
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<engine::local_venue::VenueBook>(&body).unwrap(), book);
    assert!(venue.status().paused);
    venue.resume();
    venue.shutdown();
}

fn with_fault(fault: Fault, after_frames: u64) -> VenueHandle {
    let mut config = config(0.0);
    config.faults.push(ScheduledFault { fault, trigger: FaultTrigger::AfterFrames(after_frames) });
    start(config)
}

#[test]
fn gap_withholds_diffs_and_the_client_sees_a_pu_break() {
    let venue = with_fault(Fault::Gap { diffs: 3 }, 300);
    let mut client = connect(&venue.ws_url(&[DEPTH])).unwrap();
    let mut breaks = Vec::new();
    let mut previous: Option<u64> = None;
    for _ in 0..600 {
        let diff = json(&next_text(&mut client).unwrap())["data"].take();
        let (pu, u) = (diff["pu"].as_u64().unwrap(), diff["u"].as_u64().unwrap());
        if let Some(previous) = previous
            && pu != previous
        {
            breaks.push((previous, pu));
        }
        previous = Some(u);
    }
    assert_eq!(breaks.len(), 1, "{breaks:?}");
    let status = venue.status();
    assert_eq!(status.diffs_withheld, 3);
    assert_eq!(status.fault_counts.get("gap"), Some(&1));
    assert_eq!(status.faults_applied[0].at_frame, 300);
    venue.shutdown();
}

#[test]
fn duplicate_and_reorder_change_the_sequence_as_said() {
    let all = [DEPTH, TRADE, TICKER];
    let want = expected(&all);
    let venue = with_fault(Fault::Duplicate { frames: 3 }, 100);
    let mut client = connect(&venue.ws_url(&all)).unwrap();
    let got = read_texts(&mut client, 206);
    let mut duplicated: Vec<&str> = want[..100].to_vec();
    for line in &want[100..103] {
        duplicated.extend([*line, *line]);
    }
    duplicated.extend(&want[103..203]);
    assert_eq!(got, duplicated);
    venue.shutdown();

    let venue = with_fault(Fault::Reorder { frames: 4 }, 100);
    let mut client = connect(&venue.ws_url(&all)).unwrap();
    let got = read_texts(&mut client, 200);
    let mut swapped: Vec<&str> = want[..200].to_vec();
    swapped.swap(100, 101);
    swapped.swap(102, 103);
    assert_eq!(got, swapped);
    venue.shutdown();
}

#[test]
fn garbage_frames_are_not_json() {
    let all = [DEPTH, TRADE, TICKER];
    let want = expected(&all);
    let venue = with_fault(Fault::Garbage { frames: 4 }, 50);
    let mut client = connect(&venue.ws_url(&all)).unwrap();
    let got = read_texts(&mut client, 60);
    assert_eq!(got[..50], want[..50]);
    for bad in &got[50..54] {
        assert!(serde_json::from_str::<Value>(bad).is_err(), "{bad}");
    }
    assert_eq!(got[54..60], want[50..56]);
    venue.shutdown();
}

#[test]
fn drop_closes_without_a_close_frame() {
    let venue = with_fault(Fault::Drop, 100);
    let mut client = connect(&venue.ws_url(&[DEPTH, TRADE, TICKER])).unwrap();
    read_texts(&mut client, 100);
    match client.read() {
        Err(tungstenite::Error::Protocol(
            tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
        ))
        | Err(tungstenite::Error::Io(_)) => {}
        other => panic!("expected an abrupt close, got {other:?}"),
    }
    assert_eq!(venue.status().fault_counts.get("drop"), Some(&1));
    venue.shutdown();
}

#[test]
fn refuse_answers_503_then_accepts_again() {
    // 20x: the replay is still running (17 s of it) when the venue accepts again.
    let venue = start(config(20.0));
    let mut client = connect(&venue.ws_url(&[TRADE])).unwrap();
    read_texts(&mut client, 10);
    venue.inject(Fault::Refuse { seconds: 1.0 }).unwrap();
    // The connection is dropped…
    let deadline = Instant::now() + TIMEOUT;
    while next_text(&mut client).is_ok() {
        assert!(Instant::now() < deadline);
    }
    // …REST and upgrades get 503 while refusing (control endpoints stay up)…
    assert_eq!(http(venue.addr(), "GET", "/fapi/v1/ping", "").0, 503);
    match connect(&venue.ws_url(&[TRADE])) {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 503),
        other => panic!("expected 503, got {:?}", other.map(|_| ())),
    }
    assert!(venue.status().refusing);
    // …and then the venue accepts again.
    while http(venue.addr(), "GET", "/fapi/v1/ping", "").0 != 200 {
        assert!(Instant::now() < deadline, "still refusing");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut again = connect(&venue.ws_url(&[TRADE])).unwrap();
    assert!(json(&next_text(&mut again).unwrap())["stream"] == TRADE);
    venue.shutdown();
}

#[test]
fn stall_and_delay_from_the_control_endpoint_hold_frames_back() {
    // Faults queued before the first client are applied before the first frame.
    let mut config = config(0.0);
    config.start = StartMode::FirstClient;
    let venue = start(config);
    let (status, body) = http(venue.addr(), "POST", "/venue/fault", r#"{"kind":"stall","seconds":0.4}"#);
    assert_eq!(status, 200, "{body}");
    let (status, _) = http(venue.addr(), "POST", "/venue/fault", r#"{"kind":"delay","ms":100,"frames":3}"#);
    assert_eq!(status, 200);
    let (status, body) = http(venue.addr(), "POST", "/venue/fault", r#"{"kind":"explode"}"#);
    assert_eq!(status, 400, "{body}");
    let connected = Instant::now();
    let mut client = connect(&venue.ws_url(&[DEPTH, TRADE, TICKER])).unwrap();
    read_texts(&mut client, 3);
    assert!(connected.elapsed() >= Duration::from_millis(400 + 300), "{:?}", connected.elapsed());
    let (_, body) = http(venue.addr(), "GET", "/venue/status", "");
    let status = json(&body);
    assert_eq!(status["fault_counts"]["stall"], 1);
    assert_eq!(status["fault_counts"]["delay"], 1);
    assert_eq!(status["faults_applied"][0]["source"], "control");
    venue.shutdown();
}

#[test]
fn exchange_info_round_trips_and_bad_params_get_binance_errors() {
    let venue = start(config(0.0));
    let (status, body) = http(venue.addr(), "GET", "/fapi/v1/exchangeInfo", "");
    assert_eq!(status, 200);
    let mut bytes = body.into_bytes();
    let parsed = feeds::venue::binance::rest::instruments_from_exchange_info(&mut bytes, |_| true).unwrap();
    let (configured, _) = load_instruments(None, None).unwrap();
    for (_, instrument) in configured.iter().filter(|(_, i)| i.venue == "binance-usdm") {
        let id = parsed.find("binance-usdm", &instrument.symbol).unwrap();
        let back = parsed.get(id).unwrap();
        assert_eq!((back.tick, back.lot), (instrument.tick, instrument.lot), "{}", instrument.symbol);
    }
    let error = |path: &str| {
        let (status, body) = http(venue.addr(), "GET", path, "");
        assert_eq!(status, 400, "{path}");
        json(&body)
    };
    assert_eq!(error("/fapi/v1/depth")["code"], -1102);
    assert_eq!(error("/fapi/v1/depth?symbol=NOPE")["msg"], "Invalid symbol.");
    assert_eq!(error("/fapi/v1/depth?symbol=NOPE")["code"], -1121);
    assert_eq!(error("/fapi/v1/depth?symbol=BTCUSDT&limit=7")["code"], -1130);
    assert_eq!(error("/fapi/v1/openInterest")["code"], -1102);
    // Default limit 500, on the recorded precision.
    let (_, body) = http(venue.addr(), "GET", "/fapi/v1/depth?symbol=BTCUSDT", "");
    let depth = json(&body);
    assert_eq!(depth["bids"].as_array().unwrap().len(), 500);
    assert_eq!(depth["bids"][0][0], "61800.20", "the recording's snapshot best bid, as printed");
    assert_eq!(depth["lastUpdateId"], 5_123_107_852_948_u64);
    let (status, body) = http(venue.addr(), "GET", "/fapi/v1/openInterest?symbol=BTCUSDT", "");
    assert_eq!(status, 200);
    let interest = json(&body);
    assert_eq!(interest["symbol"], "BTCUSDT");
    assert!(interest["openInterest"].as_str().unwrap().parse::<Decimal>().unwrap() > Decimal::ZERO);
    assert_eq!(http(venue.addr(), "GET", "/fapi/v1/ping", "").1, "{}");
    venue.shutdown();
}

#[test]
fn write_stamps_record_each_frame_once_in_order() {
    let mut config = config(0.0);
    config.stamp_writes = true;
    let venue = start(config);
    let mut client = connect(&venue.ws_url(&[DEPTH])).unwrap();
    let got = read_texts(&mut client, 300);
    venue.pause();
    let stamps = venue.write_stamps();
    assert!(stamps.len() >= 300);
    for (stamp, text) in stamps.iter().zip(&got) {
        assert_eq!(stamp.update_id, json(text)["data"]["u"].as_u64().unwrap());
    }
    assert!(
        stamps.windows(2).all(|pair| pair[0].frame_index < pair[1].frame_index && pair[0].at <= pair[1].at)
    );
    venue.shutdown();
}

/// Forwards what `halcyon venue` prints to the test, line by line.
struct Lines(std::sync::mpsc::Sender<String>, Vec<u8>);

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.1.extend_from_slice(bytes);
        while let Some(end) = self.1.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.1.drain(..=end).collect();
            let _ = self.0.send(String::from_utf8_lossy(&line).trim_end().to_owned());
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn halcyon_venue_on_port_zero_prints_its_urls() {
    let arguments = VenueArgs {
        data: recording(),
        port: Some(0),
        bind: None,
        speed: Some(0.0),
        config: Some(testkit::workspace_root().join("configs/venue.toml")),
        start: None,
        exit_at_end: false,
        instruments: None,
    };
    let (sender, lines) = std::sync::mpsc::channel();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let server = std::thread::spawn(move || {
        let mut out = Lines(sender, Vec::new());
        engine::cli::venue::serve(&arguments, &mut out, &|_| flag.load(std::sync::atomic::Ordering::SeqCst))
    });
    let first = lines.recv_timeout(TIMEOUT).unwrap();
    let port: u16 = first.strip_prefix("venue: port ").unwrap().parse().unwrap();
    assert_ne!(port, 0);
    let rest = lines.recv_timeout(TIMEOUT).unwrap();
    assert_eq!(rest, format!("venue: rest http://127.0.0.1:{port}"));
    let ws = lines.recv_timeout(TIMEOUT).unwrap();
    assert!(ws.starts_with(&format!("venue: ws ws://127.0.0.1:{port}/stream?streams=")), "{ws}");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    assert_eq!(http(addr, "GET", "/fapi/v1/ping", ""), (200, "{}".to_owned()));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(server.join().unwrap().unwrap(), 0);
}
