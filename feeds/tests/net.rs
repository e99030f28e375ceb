//! The hot WebSocket client and its connection manager against loopback servers written here
//! (std threads, tungstenite, rustls with an rcgen CA), serving REAL frames: the first frames of
//! `binance-usdm/btcusdt_20240808.gz`, read with `feeds::recording::open_frames`.
//!
//! Every server binds 127.0.0.1 port 0; every wait has a deadline; clients poll in epoll mode
//! (1 ms) so the tests do not spin the machine's two cores.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use feeds::net::{
    Backoff, ClientOptions, ConnectionId, DisconnectReason, Endpoint, FrameTap, MarketStream, PollMode,
    StreamConfig, StreamEvent, StreamHandler, TapOptions, TlsRoots, WsClient, WsError,
};
use feeds::recording::open_frames;
use testkit::{data_dir, thread_allocations};
use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tungstenite::{Message, WebSocket};

#[global_allocator]
static ALLOCATOR: testkit::CountingAllocator = testkit::CountingAllocator;

/// No test waits longer than this for anything.
const DEADLINE: Duration = Duration::from_secs(20);

/// The first 20,000 frames of the real recording (depth diffs, book tickers, trades, and the
/// REST snapshot line), payload bytes only.
fn frames() -> &'static [Vec<u8>] {
    static FRAMES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FRAMES.get_or_init(|| {
        let mut reader = open_frames(&data_dir().join("binance-usdm/btcusdt_20240808.gz")).unwrap();
        let mut frames = Vec::with_capacity(20_000);
        while frames.len() < 20_000 {
            let frame = reader.next_frame().expect("20,000 frames").unwrap();
            frames.push(frame.payload.to_vec());
        }
        frames
    })
}

fn text(frame: &[u8]) -> Message {
    Message::text(String::from_utf8(frame.to_vec()).unwrap())
}

/// A loopback listener whose accepted sockets each run `script(index, socket)` on their own
/// thread; accepts until `connections` have been served or the deadline passes.
fn serve(connections: usize, script: impl Fn(usize, TcpStream) + Send + Sync + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let script = Arc::new(script);
    thread::spawn(move || {
        let until = Instant::now() + DEADLINE;
        let mut index = 0;
        while index < connections && Instant::now() < until {
            match listener.accept() {
                Ok((socket, _)) => {
                    socket.set_nonblocking(false).unwrap();
                    socket.set_read_timeout(Some(DEADLINE)).unwrap();
                    let script = Arc::clone(&script);
                    thread::spawn(move || script(index, socket));
                    index += 1;
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    thread::sleep(Duration::from_millis(1))
                }
                Err(error) => panic!("accept: {error}"),
            }
        }
    });
    port
}

/// Sends `frames` as Text messages, flushing every 64.
fn send_all<S: io::Read + io::Write>(socket: &mut WebSocket<S>, frames: &[Vec<u8>]) {
    for (index, frame) in frames.iter().enumerate() {
        socket.write(text(frame)).unwrap();
        if index % 64 == 63 {
            socket.flush().unwrap();
        }
    }
    socket.flush().unwrap();
}

/// Blocks until the client closes or drops the connection (bounded by the read timeout).
fn wait_for_client_close<S: io::Read + io::Write>(socket: &mut WebSocket<S>) {
    loop {
        match socket.read() {
            Ok(Message::Close(_)) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// What a handler saw, in order.
#[derive(Debug)]
enum Seen {
    Frame(ConnectionId, Vec<u8>),
    Event(StreamEvent),
}

#[derive(Default)]
struct Recorder {
    seen: Vec<Seen>,
}

impl StreamHandler for Recorder {
    fn on_frame(&mut self, payload: &mut [u8], connection: ConnectionId) {
        self.seen.push(Seen::Frame(connection, payload.to_vec()));
    }

    fn on_event(&mut self, event: StreamEvent) {
        self.seen.push(Seen::Event(event));
    }
}

impl Recorder {
    fn frames(&self) -> impl Iterator<Item = (ConnectionId, &[u8])> {
        self.seen.iter().filter_map(|seen| match seen {
            Seen::Frame(connection, bytes) => Some((*connection, bytes.as_slice())),
            Seen::Event(_) => None,
        })
    }

    fn frame_count(&self) -> usize {
        self.frames().count()
    }

    fn events(&self) -> impl Iterator<Item = &StreamEvent> {
        self.seen.iter().filter_map(|seen| match seen {
            Seen::Event(event) => Some(event),
            Seen::Frame(..) => None,
        })
    }

    fn count_events(&self, matches: impl Fn(&StreamEvent) -> bool) -> usize {
        self.events().filter(|event| matches(event)).count()
    }
}

fn config(url: String) -> StreamConfig {
    let mut config = StreamConfig::new(url);
    config.poll = PollMode::Epoll;
    config.epoll_timeout_ms = 1;
    config.connect_timeout_ms = 2_000;
    config.initial_backoff_ms = 20;
    config.max_backoff_ms = 80;
    config.backoff_seed = 42;
    config
}

/// Polls until `done` or the deadline (then panics with what was seen).
fn run_until(stream: &mut MarketStream, recorder: &mut Recorder, done: impl Fn(&Recorder) -> bool) {
    let until = Instant::now() + DEADLINE;
    while !done(recorder) {
        assert!(Instant::now() < until, "timed out; events: {:#?}", recorder.events().collect::<Vec<_>>());
        stream.poll(recorder).unwrap();
    }
}

#[test]
fn plain_stream_delivers_real_frames_byte_identical_in_order() {
    let frames = &frames()[..5_000];
    let port = serve(1, move |_, socket| {
        let mut socket = tungstenite::accept(socket).unwrap();
        send_all(&mut socket, frames);
        wait_for_client_close(&mut socket);
    });
    // Busy mode here (bounded: the test ends when the 5,000 frames are in).
    let mut config = config(format!("ws://127.0.0.1:{port}/stream?streams=btcusdt@depth@0ms"));
    config.poll = PollMode::Busy;
    let mut stream = MarketStream::new(&config).unwrap();
    let mut recorder = Recorder::default();
    run_until(&mut stream, &mut recorder, |recorder| recorder.frame_count() == frames.len());
    assert!(matches!(recorder.seen[0], Seen::Event(StreamEvent::Connected { connection: ConnectionId(1) })));
    let received: Vec<&[u8]> = recorder
        .frames()
        .map(|(connection, bytes)| {
            assert_eq!(connection, ConnectionId(1));
            bytes
        })
        .collect();
    assert!(received.iter().zip(frames).all(|(got, sent)| *got == sent.as_slice()), "a frame differs");
    let stats = stream.stats();
    assert_eq!((stats.connects, stats.messages, stats.disconnects), (1, 5_000, 0));
    assert_eq!(stats.bytes, frames.iter().map(|frame| frame.len() as u64).sum::<u64>());
}

// The recording has no fragmented messages; the server splits real frames into three
// fragments (and slips a ping between them, as RFC 6455 §5.4 allows) to show reassembly.
#[test]
fn fragmented_messages_are_reassembled() {
    let frames = &frames()[..200];
    let port = serve(1, move |_, socket| {
        let mut socket = tungstenite::accept(socket).unwrap();
        for frame in frames {
            let third = frame.len() / 3;
            socket
                .write(Message::Frame(Frame::message(
                    frame[..third].to_vec(),
                    OpCode::Data(Data::Text),
                    false,
                )))
                .unwrap();
            socket
                .write(Message::Frame(Frame::message(
                    frame[third..2 * third].to_vec(),
                    OpCode::Data(Data::Continue),
                    false,
                )))
                .unwrap();
            socket.write(Message::Ping(b"mid".to_vec().into())).unwrap();
            socket
                .write(Message::Frame(Frame::message(
                    frame[2 * third..].to_vec(),
                    OpCode::Data(Data::Continue),
                    true,
                )))
                .unwrap();
        }
        socket.flush().unwrap();
        wait_for_client_close(&mut socket);
    });
    let mut stream = MarketStream::new(&config(format!("ws://127.0.0.1:{port}/"))).unwrap();
    let mut recorder = Recorder::default();
    run_until(&mut stream, &mut recorder, |recorder| recorder.frame_count() == frames.len());
    assert!(recorder.frames().map(|(_, bytes)| bytes).eq(frames.iter().map(Vec::as_slice)));
}

#[test]
fn server_ping_gets_a_pong_with_the_same_payload() {
    let (pong_sender, pong_receiver) = mpsc::channel();
    let frames = &frames()[..10];
    let port = serve(1, move |_, socket| {
        let mut socket = tungstenite::accept(socket).unwrap();
        send_all(&mut socket, &frames[..5]);
        socket.send(Message::Ping(b"heartbeat-7".to_vec().into())).unwrap();
        loop {
            match socket.read() {
                Ok(Message::Pong(payload)) => {
                    pong_sender.send(payload.to_vec()).unwrap();
                    break;
                }
                Ok(_) => {}
                Err(error) => panic!("no pong: {error}"),
            }
        }
        send_all(&mut socket, &frames[5..]);
        wait_for_client_close(&mut socket);
    });
    let mut stream = MarketStream::new(&config(format!("ws://127.0.0.1:{port}/"))).unwrap();
    let mut recorder = Recorder::default();
    run_until(&mut stream, &mut recorder, |recorder| recorder.frame_count() == 10);
    assert_eq!(pong_receiver.recv_timeout(DEADLINE).unwrap(), b"heartbeat-7");
}

// Connection 1 sends 10 frames and drops TCP without a close frame; connection 2 sends 10
// and closes with 1001 (going away); connection 3 sends 10 and stays.
#[test]
fn dropped_and_closed_connections_reconnect() {
    let frames = &frames()[..30];
    let port = serve(3, move |index, socket| {
        let mut socket = tungstenite::accept(socket).unwrap();
        send_all(&mut socket, &frames[index * 10..index * 10 + 10]);
        match index {
            0 => drop(socket),
            1 => {
                socket.close(Some(CloseFrame { code: CloseCode::Away, reason: "rotating".into() })).unwrap();
                let _ = socket.flush();
                wait_for_client_close(&mut socket);
            }
            _ => wait_for_client_close(&mut socket),
        }
    });
    let mut stream = MarketStream::new(&config(format!("ws://127.0.0.1:{port}/"))).unwrap();
    let mut recorder = Recorder::default();
    run_until(&mut stream, &mut recorder, |recorder| recorder.frame_count() == 30);
    assert!(recorder.frames().map(|(_, bytes)| bytes).eq(frames.iter().map(Vec::as_slice)));
    let events: Vec<&StreamEvent> = recorder.events().collect();
    assert!(matches!(events[0], StreamEvent::Connected { connection: ConnectionId(1) }), "{events:#?}");
    assert!(
        matches!(
            events[1],
            StreamEvent::Disconnected {
                connection: ConnectionId(1),
                reason: DisconnectReason::Failed(WsError::Eof)
            }
        ),
        "{events:#?}"
    );
    assert!(matches!(events[2], StreamEvent::BackingOff { attempt: 1, .. }), "{events:#?}");
    assert!(matches!(events[3], StreamEvent::Connected { connection: ConnectionId(2) }), "{events:#?}");
    assert!(
        matches!(
            events[4],
            StreamEvent::Disconnected {
                connection: ConnectionId(2),
                reason: DisconnectReason::Closed { code: Some(1001) }
            }
        ),
        "{events:#?}"
    );
    // The second failure in a row: the backoff was not reset (healthy_after is 60 s).
    assert!(matches!(events[5], StreamEvent::BackingOff { attempt: 2, .. }), "{events:#?}");
    assert!(matches!(events[6], StreamEvent::Connected { connection: ConnectionId(3) }), "{events:#?}");
    let stats = stream.stats();
    assert_eq!((stats.connects, stats.disconnects, stats.reconnects, stats.failed_attempts), (3, 2, 2, 0));
}

/// The delays a stream configured by [`config`] draws: same parameters, same seed.
fn expected_delays(count: usize) -> Vec<(u32, Duration)> {
    let mut backoff = Backoff::new(Duration::from_millis(20), Duration::from_millis(80), 42);
    (0..count).map(|_| backoff.next_delay()).collect()
}

/// Every BackingOff is within its cap (20 ms doubling to 80 ms) and equals the seeded draw.
fn assert_backoffs(recorder: &Recorder, count: usize) {
    let backoffs: Vec<(u32, Duration)> = recorder
        .events()
        .filter_map(|event| match event {
            StreamEvent::BackingOff { attempt, delay } => Some((*attempt, *delay)),
            _ => None,
        })
        .collect();
    assert_eq!(backoffs.len(), count);
    for (index, (attempt, delay)) in backoffs.iter().enumerate() {
        assert_eq!(*attempt as usize, index + 1);
        let cap = Duration::from_millis((20u64 << index).min(80));
        assert!(*delay <= cap, "attempt {attempt}: {delay:?} > {cap:?}");
    }
    assert_eq!(backoffs, expected_delays(count));
}

#[test]
fn refused_connections_back_off_with_growing_caps() {
    // A port nobody listens on: bind, note the port, close.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut stream = MarketStream::new(&config(format!("ws://127.0.0.1:{port}/"))).unwrap();
    let mut recorder = Recorder::default();
    run_until(&mut stream, &mut recorder, |recorder| {
        recorder.count_events(|event| matches!(event, StreamEvent::BackingOff { .. })) == 5
    });
    for event in recorder.events() {
        match event {
            StreamEvent::ConnectFailed { reason: WsError::Connect(error), .. } => {
                assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused)
            }
            StreamEvent::BackingOff { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_backoffs(&recorder, 5);
    assert_eq!(stream.stats().failed_attempts, 5);
}

// The first three upgrades are answered "503 Service Unavailable"; the fourth succeeds.
#[test]
fn rejected_upgrades_back_off_then_connect() {
    let frames = &frames()[..20];
    let port = serve(4, move |index, mut socket| {
        if index < 3 {
            let mut request = [0u8; 4096];
            let _ = io::Read::read(&mut socket, &mut request);
            socket
                .write_all(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .unwrap();
            return;
        }
        let mut socket = tungstenite::accept(socket).unwrap();
        send_all(&mut socket, frames);
        wait_for_client_close(&mut socket);
    });
    let mut stream = MarketStream::new(&config(format!("ws://127.0.0.1:{port}/"))).unwrap();
    let mut recorder = Recorder::default();
    run_until(&mut stream, &mut recorder, |recorder| recorder.frame_count() == 20);
    let failures: Vec<(ConnectionId, u16)> = recorder
        .events()
        .filter_map(|event| match event {
            StreamEvent::ConnectFailed { connection, reason: WsError::Rejected { status } } => {
                Some((*connection, *status))
            }
            StreamEvent::ConnectFailed { reason, .. } => panic!("unexpected failure {reason}"),
            _ => None,
        })
        .collect();
    assert_eq!(failures, [(ConnectionId(1), 503), (ConnectionId(2), 503), (ConnectionId(3), 503)]);
    assert_backoffs(&recorder, 3);
    assert_eq!(
        recorder
            .count_events(|event| matches!(event, StreamEvent::Connected { connection: ConnectionId(4) })),
        1
    );
    assert!(recorder.frames().all(|(connection, _)| connection == ConnectionId(4)));
    let stats = stream.stats();
    assert_eq!((stats.failed_attempts, stats.connects, stats.reconnects), (3, 1, 1));
}

// A server that accepts TCP and never answers the upgrade: the attempt times out.
#[test]
fn a_silent_handshake_times_out() {
    let port = serve(1, |_, socket| {
        thread::sleep(Duration::from_millis(1_500));
        drop(socket);
    });
    let mut config = config(format!("ws://127.0.0.1:{port}/"));
    config.connect_timeout_ms = 200;
    let mut stream = MarketStream::new(&config).unwrap();
    let mut recorder = Recorder::default();
    let started = Instant::now();
    run_until(&mut stream, &mut recorder, |recorder| {
        recorder.count_events(|event| matches!(event, StreamEvent::ConnectFailed { .. })) == 1
    });
    assert!(matches!(
        recorder.events().next(),
        Some(StreamEvent::ConnectFailed { reason: WsError::Timeout, .. })
    ));
    assert!(started.elapsed() >= Duration::from_millis(200));
}

// Three frames, then silence with the socket open: after stale_after_ms the stream drops it.
#[test]
fn a_silent_connection_goes_stale() {
    let frames = &frames()[..3];
    let port = serve(2, move |_, socket| {
        let mut socket = tungstenite::accept(socket).unwrap();
        send_all(&mut socket, frames);
        wait_for_client_close(&mut socket);
    });
    let mut config = config(format!("ws://127.0.0.1:{port}/"));
    config.stale_after_ms = 150;
    let mut stream = MarketStream::new(&config).unwrap();
    let mut recorder = Recorder::default();
    run_until(&mut stream, &mut recorder, |recorder| {
        recorder.count_events(|event| matches!(event, StreamEvent::Disconnected { .. })) == 1
    });
    let stale = recorder.events().find_map(|event| match event {
        StreamEvent::Disconnected {
            connection: ConnectionId(1),
            reason: DisconnectReason::Stale { silent_for },
        } => Some(*silent_for),
        _ => None,
    });
    assert!(stale.is_some_and(|silent| silent >= Duration::from_millis(150)), "{:#?}", recorder.seen);
    assert_eq!(recorder.frame_count(), 3);
}

/// What the rollover server recorded about each connection.
#[derive(Debug, Default, Clone)]
struct ServerSide {
    /// Indices (into `frames()`) sent, in order.
    sent: Vec<usize>,
    opened: Option<Instant>,
    closed: Option<Instant>,
}

// The server plays a market: frame i is "published" at t0 + i·0.5 ms, and every connection is
// sent each frame published since it opened, as an exchange would. With rollover_after 0.3 s
// the stream opens connection 2 while 1 still delivers. Asserted:
// - the server saw connection 2's upgrade complete before connection 1 closed;
// - events: Connected(1), Connected(2), RolledOver{1 → 2}, in that order;
// - every frame from connection 1 precedes RolledOver, every frame from 2 follows it;
// - the frames delivered from each connection are exactly a prefix of what the server sent on
//   that connection (in order, none twice, none skipped).
// Market events sent on both connections in the overlap may be delivered once from each: the
// venue's sequencer drops the repeats (reported below, not asserted).
#[test]
fn rollover_is_make_before_break() {
    let frames = frames();
    let market_start = Instant::now();
    let published = move || ((market_start.elapsed().as_micros() / 500) as usize).min(frames.len());
    let sides: Arc<Mutex<Vec<ServerSide>>> = Arc::new(Mutex::new(vec![ServerSide::default(); 2]));
    let server_sides = Arc::clone(&sides);
    let port = serve(2, move |index, socket| {
        socket.set_read_timeout(Some(Duration::from_micros(500))).unwrap();
        let mut socket = tungstenite::accept(socket).unwrap();
        let mut next = published();
        server_sides.lock().unwrap()[index].opened = Some(Instant::now());
        let until = Instant::now() + DEADLINE;
        while Instant::now() < until {
            let now = published();
            let batch = next..now;
            for frame in batch.clone() {
                socket.write(text(&frames[frame])).unwrap();
            }
            if socket.flush().is_err() {
                break;
            }
            server_sides.lock().unwrap()[index].sent.extend(batch);
            next = now;
            match socket.read() {
                Ok(Message::Close(_)) => break,
                Ok(_) => {}
                Err(tungstenite::Error::Io(error))
                    if matches!(error.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
                Err(_) => break,
            }
        }
        server_sides.lock().unwrap()[index].closed = Some(Instant::now());
    });
    let mut config = config(format!("ws://127.0.0.1:{port}/"));
    config.rollover_after_s = 0.3;
    let mut stream = MarketStream::new(&config).unwrap();
    let mut recorder = Recorder::default();
    run_until(&mut stream, &mut recorder, |recorder| {
        recorder.frames().filter(|(connection, _)| *connection == ConnectionId(2)).count() >= 200
    });
    drop(stream);
    let until = Instant::now() + DEADLINE;
    while sides.lock().unwrap().iter().any(|side| side.closed.is_none()) {
        assert!(Instant::now() < until, "server threads did not finish");
        thread::sleep(Duration::from_millis(5));
    }
    let sides = sides.lock().unwrap().clone();
    assert!(
        sides[1].opened.unwrap() < sides[0].closed.unwrap(),
        "connection 2 must open before connection 1 closes"
    );

    let events: Vec<&StreamEvent> = recorder.events().collect();
    assert!(
        matches!(
            events[..],
            [
                StreamEvent::Connected { connection: ConnectionId(1) },
                StreamEvent::Connected { connection: ConnectionId(2) },
                StreamEvent::RolledOver { from: ConnectionId(1), to: ConnectionId(2) },
            ]
        ),
        "{events:#?}"
    );
    let switch = recorder
        .seen
        .iter()
        .position(|seen| matches!(seen, Seen::Event(StreamEvent::RolledOver { .. })))
        .unwrap();
    let mut delivered = [Vec::new(), Vec::new()];
    for (position, seen) in recorder.seen.iter().enumerate() {
        if let Seen::Frame(connection, bytes) = seen {
            let side = connection.0 as usize - 1;
            assert_eq!(
                side == 0,
                position < switch,
                "frame from {connection:?} on the wrong side of the switch"
            );
            delivered[side].push(bytes.as_slice());
        }
    }
    for side in 0..2 {
        let sent = &sides[side].sent;
        assert!(delivered[side].len() <= sent.len());
        for (got, index) in delivered[side].iter().zip(sent) {
            assert_eq!(*got, frames[*index].as_slice(), "connection {}", side + 1);
        }
    }
    let overlap =
        (sides[1].sent[0]..).take_while(|index| sides[0].sent[..delivered[0].len()].contains(index)).count();
    eprintln!(
        "rollover: connection 1 sent {} delivered {}; connection 2 started at market frame {} (overlap delivered from both: {overlap})",
        sides[0].sent.len(),
        delivered[0].len(),
        sides[1].sent[0],
    );
    assert_eq!(rollover_events(&recorder), 1);
}

fn rollover_events(recorder: &Recorder) -> usize {
    recorder.count_events(|event| matches!(event, StreamEvent::RolledOver { .. }))
}

/// A self-signed CA and a server certificate for 127.0.0.1 it signed; the CA's PEM is written
/// to a temp file for `tls_roots = { pem = .. }`.
struct TestPki {
    ca_pem_path: std::path::PathBuf,
    server: Arc<rustls::ServerConfig>,
}

fn test_pki(name: &str) -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_cert =
        CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap().signed_by(&server_key, &ca).unwrap();
    let ca_pem_path = std::env::temp_dir().join(format!("halcyon-net-{name}-{}.pem", std::process::id()));
    std::fs::write(&ca_pem_path, ca.pem()).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into());
    let server =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![server_cert.der().clone()], key)
            .unwrap();
    TestPki { ca_pem_path, server: Arc::new(server) }
}

fn serve_tls(pki: &TestPki, frames: &'static [Vec<u8>]) -> u16 {
    let server = Arc::clone(&pki.server);
    serve(1, move |_, socket| {
        let tls =
            rustls::StreamOwned::new(rustls::ServerConnection::new(Arc::clone(&server)).unwrap(), socket);
        // A client that distrusts our CA aborts the handshake: nothing to serve then.
        let Ok(mut socket) = tungstenite::accept(tls) else { return };
        send_all(&mut socket, frames);
        wait_for_client_close(&mut socket);
    })
}

#[test]
fn tls_stream_with_a_private_ca_delivers_real_frames() {
    let pki = test_pki("stream");
    let frames = &frames()[..3_000];
    let port = serve_tls(&pki, frames);
    let mut config = config(format!("wss://127.0.0.1:{port}/stream"));
    config.tls_roots = TlsRoots::Pem(pki.ca_pem_path.clone());
    let mut stream = MarketStream::new(&config).unwrap();
    let mut recorder = Recorder::default();
    run_until(&mut stream, &mut recorder, |recorder| recorder.frame_count() == frames.len());
    assert!(recorder.frames().map(|(_, bytes)| bytes).eq(frames.iter().map(Vec::as_slice)));

    // The same server is not trusted under the public roots: the handshake fails on the
    // certificate, and that is an attempt like any other.
    let port = serve_tls(&pki, &frames[..1]);
    let mut config = config.clone();
    config.url = format!("wss://127.0.0.1:{port}/stream");
    config.tls_roots = TlsRoots::Webpki;
    let mut stream = MarketStream::new(&config).unwrap();
    let mut recorder = Recorder::default();
    run_until(&mut stream, &mut recorder, |recorder| {
        recorder.count_events(|event| matches!(event, StreamEvent::BackingOff { .. })) == 1
    });
    assert!(
        matches!(recorder.events().next(), Some(StreamEvent::ConnectFailed { reason: WsError::Tls(_), .. })),
        "{:#?}",
        recorder.seen
    );
    let _ = std::fs::remove_file(&pki.ca_pem_path);
}

/// Reads `frames.len()` messages with a bare [`WsClient`] on this thread and returns the
/// allocations made after the first `warmup` messages. The handler folds each payload into a
/// checksum (no allocation) that must match the sent frames'.
fn allocations_reading(
    url: &str,
    tls: Option<Arc<rustls::ClientConfig>>,
    frames: &[Vec<u8>],
    warmup: usize,
) -> u64 {
    let endpoint = Endpoint::parse(url).unwrap();
    let mut poll = mio::Poll::new().unwrap();
    let mut events = mio::Events::with_capacity(16);
    let options = ClientOptions { tls, ..ClientOptions::new() };
    let mut client = WsClient::connect(&endpoint, &options, poll.registry(), mio::Token(1)).unwrap();
    let until = Instant::now() + DEADLINE;
    while !client.advance().unwrap() {
        assert!(Instant::now() < until);
        poll.poll(&mut events, Some(Duration::from_millis(1))).unwrap();
    }
    let mut received = 0usize;
    let mut checksum = 0u64;
    let mut warm_count = None;
    while received < frames.len() {
        assert!(Instant::now() < until, "received {received}");
        poll.poll(&mut events, Some(Duration::from_millis(1))).unwrap();
        client
            .read_frames(|payload| {
                checksum = checksum.wrapping_mul(31).wrapping_add(u64::from(crc32(payload)));
                received += 1;
                if received == warmup {
                    warm_count = Some(thread_allocations());
                }
            })
            .unwrap();
    }
    let allocated = thread_allocations() - warm_count.unwrap();
    let expected =
        frames.iter().fold(0u64, |sum, frame| sum.wrapping_mul(31).wrapping_add(u64::from(crc32(frame))));
    assert_eq!(checksum, expected, "payloads differ");
    assert_eq!(client.stats().messages, frames.len() as u64);
    client.close();
    allocated
}

/// CRC-32 (IEEE), bitwise: a checksum that needs no table and no allocation.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn steady_state_reading_allocates_nothing_on_plain_and_per_record_on_tls() {
    let frames = frames();
    let warmup = 2_000;
    let counted = (frames.len() - warmup) as f64;

    let port = serve(1, move |_, socket| {
        let mut socket = tungstenite::accept(socket).unwrap();
        send_all(&mut socket, frames);
        wait_for_client_close(&mut socket);
    });
    let plain = allocations_reading(&format!("ws://127.0.0.1:{port}/"), None, frames, warmup);
    eprintln!(
        "plain ws: {plain} allocations over {counted} messages ({:.4} per message)",
        plain as f64 / counted
    );
    assert_eq!(plain, 0, "reading plain frames once warm must not allocate");

    let pki = test_pki("alloc");
    let port = serve_tls(&pki, frames);
    let mut config = StreamConfig::new(format!("wss://127.0.0.1:{port}/"));
    config.tls_roots = TlsRoots::Pem(pki.ca_pem_path.clone());
    let tls = config.tls_client_config().unwrap();
    let secure = allocations_reading(&config.url, Some(tls), frames, warmup);
    eprintln!(
        "wss: {secure} allocations over {counted} messages ({:.4} per message)",
        secure as f64 / counted
    );
    // rustls 0.23's buffered connection allocates one plaintext buffer per TLS record it
    // decrypts; a record carries at most 16 KiB, often several messages.
    assert!(secure as f64 <= counted * 0.5, "{secure} allocations for {counted} messages");
    let _ = std::fs::remove_file(&pki.ca_pem_path);
}

#[test]
fn send_text_reaches_the_server_masked_and_whole() {
    let (sender, receiver) = mpsc::channel();
    let port = serve(1, move |_, socket| {
        let mut socket = tungstenite::accept(socket).unwrap();
        // tungstenite's server rejects unmasked client frames, so arrival proves masking.
        for _ in 0..2 {
            match socket.read() {
                Ok(Message::Text(text)) => sender.send(text.to_string()).unwrap(),
                other => panic!("expected text, got {other:?}"),
            }
        }
        send_all(&mut socket, &frames()[..1]);
        wait_for_client_close(&mut socket);
    });
    let mut config = config(format!("ws://127.0.0.1:{port}/ws"));
    let long = format!(
        "{{\"method\":\"SUBSCRIBE\",\"params\":[{}],\"id\":1}}",
        vec!["\"btcusdt@aggTrade\""; 20].join(",")
    );
    config.subscribe = vec![long.clone(), "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":2}".to_owned()];
    let mut stream = MarketStream::new(&config).unwrap();
    let mut recorder = Recorder::default();
    run_until(&mut stream, &mut recorder, |recorder| recorder.frame_count() == 1);
    assert_eq!(receiver.recv_timeout(DEADLINE).unwrap(), long);
    assert_eq!(receiver.recv_timeout(DEADLINE).unwrap(), "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":2}");
}

// Every frame of the first 20,000 goes through the tap with its recorded receive time; the
// file reads back through `open_frames` identical, time and bytes. A small pool (64 buffers)
// makes the writer fall behind at times: those frames are allocated, counted, never lost,
// and the feed side allocates nothing the counters do not account for.
#[test]
fn frame_tap_writes_what_the_recording_reader_reads_back() {
    let source = data_dir().join("binance-usdm/btcusdt_20240808.gz");
    let path = std::env::temp_dir().join(format!("halcyon-tap-{}.txt", std::process::id()));
    let mut tap = FrameTap::create(&path, TapOptions { pool_buffers: 64, buffer_bytes: 4096 }).unwrap();
    let mut reader = open_frames(&source).unwrap();
    let mut allocated = 0;
    for _ in 0..20_000 {
        let frame = reader.next_frame().unwrap().unwrap();
        let before = thread_allocations();
        tap.record(frame.receive_time, frame.payload);
        allocated += thread_allocations() - before;
    }
    let stats = *tap.stats();
    assert!(allocated <= stats.pool_misses + stats.backlogged, "{allocated} allocations, {stats:?}");
    eprintln!("tap: {stats:?}, {allocated} allocations on the feed side");
    let stats = tap.finish().unwrap();
    assert_eq!(stats.frames, 20_000);
    assert_eq!(stats.bytes, std::fs::metadata(&path).unwrap().len());

    let mut original = open_frames(&source).unwrap();
    let mut tapped = open_frames(&path).unwrap();
    for index in 0..20_000 {
        let expected = original.next_frame().unwrap().unwrap();
        let (time, payload) = (expected.receive_time, expected.payload.to_vec());
        let got = tapped.next_frame().unwrap().unwrap();
        assert_eq!((got.receive_time, &*got.payload), (time, payload.as_slice()), "frame {index}");
    }
    assert!(tapped.next_frame().is_none());
    let _ = std::fs::remove_file(&path);
}
