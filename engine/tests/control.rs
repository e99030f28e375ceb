//! The metrics registry, the control server and `halcyon ctl`, end to end over loopback.
//!
//! Every server binds 127.0.0.1 port 0, so the tests run in parallel. Where a test needs the
//! quoting core, a thread plays it: it polls the inbox (sleeping 1 ms between polls, never
//! spinning) and answers like the core would. Every wait has a timeout.

use engine::cli::args::{CtlArgs, CtlCommand};
use engine::control::{
    Command, ControlConfig, ControlError, ControlInbox, ControlSender, ControlServer, ControlServerHandle,
    ControlToken, Reply, TokenSource,
};
use engine::latency::{Metric, Stage};
use engine::metrics::{Metrics, NAMES, OrderAction};
use risk::cascade::CascadeState;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use testkit::replay::Replay;

#[global_allocator]
static ALLOCATOR: testkit::CountingAllocator = testkit::CountingAllocator;

const TOKEN: &str = "test-token-0123456789";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn loopback_config() -> ControlConfig {
    ControlConfig { bind: "127.0.0.1:0".to_owned(), ..ControlConfig::default() }
}

/// A server on an ephemeral loopback port with the inline test token.
fn start(
    runtime: &tokio::runtime::Runtime,
    metrics: Arc<Metrics>,
    config: ControlConfig,
) -> (ControlServerHandle, ControlInbox) {
    let (inbox, sender): (ControlInbox, ControlSender) = ControlInbox::with_capacity(config.inbox_capacity);
    let token = ControlToken::inline(TOKEN).expect("non-empty token");
    let handle = ControlServer::start_with_token(&config, token, metrics, sender, runtime.handle())
        .expect("the server starts");
    (handle, inbox)
}

/// A raw HTTP/1.1 request; returns (status, headers lower-cased, body).
fn http(addr: SocketAddr, method: &str, path: &str, authorization: Option<&str>) -> (u16, String, String) {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n");
    if let Some(value) = authorization {
        request.push_str(&format!("Authorization: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("sends");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("reads the answer");
    let (head, body) = raw.split_once("\r\n\r\n").expect("headers end");
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).expect("status code");
    (status, head.to_ascii_lowercase(), body.to_owned())
}

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

/// A thread that plays the quoting core: a killed latch that only `reset` clears, and a pause
/// flag; `resume` is refused while killed. Stops when `stop` is set.
fn fake_core(inbox: ControlInbox, stop: Arc<AtomicBool>) -> JoinHandle<Vec<Command>> {
    std::thread::spawn(move || {
        let (mut killed, mut paused, mut seen) = (false, false, Vec::new());
        while !stop.load(Ordering::Relaxed) {
            let Some(request) = inbox.try_next() else {
                std::thread::sleep(Duration::from_millis(1));
                continue;
            };
            let command = request.command();
            seen.push(command);
            let reply = match command {
                Command::Status => {
                    Reply::ok(json!({ "killed": killed, "paused": paused, "instruments": ["BTCUSDT"] }))
                }
                Command::Kill => {
                    killed = true;
                    Reply::ok(json!({ "killed": true, "cancelled_orders": 2 }))
                }
                Command::Reset => {
                    killed = false;
                    Reply::ok(json!({ "killed": false }))
                }
                Command::Pause => {
                    paused = true;
                    Reply::ok(json!({ "paused": true }))
                }
                Command::Resume if killed => Reply::refused("the kill switch is latched; reset first"),
                Command::Resume => {
                    paused = false;
                    Reply::ok(json!({ "paused": false }))
                }
            };
            assert!(request.answer(reply), "the server is waiting for the answer");
        }
        seen
    })
}

/// One parsed exposition sample.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses OpenMetrics text strictly enough to catch malformed output: every line is `# HELP`,
/// `# TYPE`, `# UNIT`, the final `# EOF`, or `name{k="v",...} value`; samples belong to a
/// declared family. Returns the samples and the declared family names.
fn parse_exposition(text: &str) -> (Vec<Sample>, BTreeSet<String>) {
    let mut samples = Vec::new();
    let mut families = BTreeSet::new();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.last(), Some(&"# EOF"), "OpenMetrics text ends with # EOF");
    for line in &lines[..lines.len() - 1] {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kind, name) = (parts.next().expect("kind"), parts.next().expect("name"));
            assert!(matches!(kind, "HELP" | "TYPE" | "UNIT"), "bad comment line {line:?}");
            if kind == "TYPE" {
                let metric_type = parts.next().expect("type");
                assert!(
                    matches!(metric_type, "counter" | "gauge" | "info" | "histogram" | "unknown"),
                    "{line}"
                );
                families.insert(name.to_owned());
            }
            continue;
        }
        let (series, value) =
            line.rsplit_once(' ').unwrap_or_else(|| panic!("sample without value: {line:?}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value in {line:?}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, labels)) => {
                let labels = labels.strip_suffix('}').unwrap_or_else(|| panic!("unclosed labels: {line:?}"));
                let mut map = BTreeMap::new();
                for pair in labels.split(',').filter(|pair| !pair.is_empty()) {
                    let (key, quoted) = pair.split_once('=').unwrap_or_else(|| panic!("bad label {pair:?}"));
                    let value = quoted
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .unwrap_or_else(|| panic!("unquoted label {pair:?}"));
                    map.insert(key.to_owned(), value.to_owned());
                }
                (name, map)
            }
            None => (series, BTreeMap::new()),
        };
        assert!(
            name.starts_with("halcyon_") && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "bad name {name:?}"
        );
        let family_declared = families.iter().any(|family| {
            name == family
                || name
                    .strip_prefix(family.as_str())
                    .is_some_and(|suffix| matches!(suffix, "_total" | "_info" | "_created"))
        });
        assert!(family_declared, "sample {name} before its # TYPE");
        samples.push(Sample { name: name.to_owned(), labels, value });
    }
    (samples, families)
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|sample| {
            sample.name == name
                && labels
                    .iter()
                    .all(|(key, value)| sample.labels.get(*key).map(String::as_str) == Some(*value))
        })
        .collect();
    assert_eq!(found.len(), 1, "exactly one {name}{labels:?}, found {found:?}");
    found[0].value
}

#[test]
fn metrics_text_is_valid_exposition_and_carries_the_handles_values() {
    let metrics = Metrics::new(&["BTCUSDT", "ETHUSDT"]);
    let feed = metrics.feed();
    // The real recording through the feed's decoder: count frames and events and track the
    // feed lag as the feed thread would.
    let mut replay = Replay::open();
    let (mut events, mut last_lag_ms) = (0u64, 0i64);
    while replay.next_frame(|event, _| {
        events += 1;
        last_lag_ms = (event.receive_time.0 - event.exchange_time.0) / 1_000_000;
    }) {
        feed.inc_frames();
    }
    feed.add_events(events);
    feed.set_lag_ms(0, last_lag_ms);
    assert!(
        replay.frames > 1000 && events > replay.frames,
        "the recording has frames ({}) and events ({events})",
        replay.frames
    );

    let btc = metrics.instrument_by_symbol("BTCUSDT").expect("BTCUSDT handles");
    let eth = metrics.instrument(1).expect("ETHUSDT handles");
    assert!(metrics.instrument(2).is_none());
    // The handles never allocate: each call is atomic stores on preallocated children.
    let before = testkit::thread_allocations();
    for _ in 0..1000 {
        feed.inc_decode_errors();
        btc.inc_quote_decisions();
        btc.inc_orders(OrderAction::Amend);
        btc.set_position(-5, -0.005);
        btc.set_pnl(12.5, 0.75);
        btc.set_risk(CascadeState::Cascade, 0.82);
        btc.set_signals(0.4, 35.5, 4.25);
        btc.set_flags(true, false);
        btc.set_control(true, false);
    }
    assert_eq!(testkit::thread_allocations() - before, 0, "hot-thread handles allocate nothing");
    btc.inc_orders(OrderAction::New);
    eth.inc_fills();
    metrics.lane("bybit").add_dropped(3);
    metrics.publish_latency(Stage::Parse as usize, [150, 400, 900, 2_500, 10_000]);
    let tick_to_order = engine::latency::Percentiles {
        count: 10,
        p50_ns: 5_000,
        p90_ns: 9_000,
        p99_ns: 20_000,
        p999_ns: 40_000,
        max_ns: 50_000,
        mean_ns: 6_000.0,
    };
    metrics.publish_percentiles(Metric::TickToOrder, &tick_to_order);

    let text = metrics.encode();
    let (samples, families) = parse_exposition(&text);
    let frames = replay.frames as f64;
    assert_eq!(value(&samples, "halcyon_feed_frames_total", &[]), frames);
    assert_eq!(value(&samples, "halcyon_feed_events_total", &[]), events as f64);
    assert_eq!(value(&samples, "halcyon_feed_decode_errors_total", &[]), 1000.0);
    assert_eq!(value(&samples, "halcyon_feed_lag_ms", &[("instrument", "BTCUSDT")]), last_lag_ms as f64);
    assert_eq!(
        value(&samples, "halcyon_orders_total", &[("instrument", "BTCUSDT"), ("action", "amend")]),
        1000.0
    );
    assert_eq!(value(&samples, "halcyon_orders_total", &[("instrument", "BTCUSDT"), ("action", "new")]), 1.0);
    assert_eq!(
        value(&samples, "halcyon_orders_total", &[("instrument", "ETHUSDT"), ("action", "cancel")]),
        0.0
    );
    assert_eq!(value(&samples, "halcyon_fills_total", &[("instrument", "ETHUSDT")]), 1.0);
    assert_eq!(value(&samples, "halcyon_position_lots", &[("instrument", "BTCUSDT")]), -5.0);
    assert_eq!(value(&samples, "halcyon_position_base", &[("instrument", "BTCUSDT")]), -0.005);
    assert_eq!(value(&samples, "halcyon_pnl_quote", &[("instrument", "BTCUSDT")]), 12.5);
    assert_eq!(value(&samples, "halcyon_fees_quote", &[("instrument", "BTCUSDT")]), 0.75);
    assert_eq!(value(&samples, "halcyon_risk_state", &[("instrument", "BTCUSDT")]), 2.0);
    assert_eq!(
        value(&samples, "halcyon_risk_condition", &[("instrument", "BTCUSDT"), ("condition", "CASCADE")]),
        1.0
    );
    assert_eq!(
        value(&samples, "halcyon_risk_condition", &[("instrument", "BTCUSDT"), ("condition", "NORMAL")]),
        0.0
    );
    assert_eq!(
        value(&samples, "halcyon_risk_condition", &[("instrument", "ETHUSDT"), ("condition", "NORMAL")]),
        1.0
    );
    assert_eq!(value(&samples, "halcyon_cascade_score", &[("instrument", "BTCUSDT")]), 0.82);
    assert_eq!(value(&samples, "halcyon_volatility_fast_bps", &[("instrument", "BTCUSDT")]), 35.5);
    assert_eq!(value(&samples, "halcyon_half_spread_bps", &[("instrument", "BTCUSDT")]), 4.25);
    assert_eq!(value(&samples, "halcyon_book_trusted", &[("instrument", "BTCUSDT")]), 1.0);
    assert_eq!(value(&samples, "halcyon_quoting", &[("instrument", "BTCUSDT")]), 0.0);
    assert_eq!(value(&samples, "halcyon_killed", &[("instrument", "BTCUSDT")]), 1.0);
    assert_eq!(value(&samples, "halcyon_lane_dropped_total", &[("lane", "bybit")]), 3.0);
    assert_eq!(value(&samples, "halcyon_lane_events_total", &[("lane", "deribit")]), 0.0);
    assert_eq!(
        value(&samples, "halcyon_stage_latency_ns", &[("stage", "parse"), ("quantile", "0.99")]),
        900.0
    );
    assert_eq!(
        value(&samples, "halcyon_stage_latency_ns", &[("stage", "tick_to_order"), ("quantile", "max")]),
        50_000.0
    );
    assert!(value(&samples, "halcyon_uptime_seconds", &[]) >= 0.0);
    assert_eq!(value(&samples, "halcyon_build_info", &[("version", env!("CARGO_PKG_VERSION"))]), 1.0);
    // Every documented name is exported.
    let exported: BTreeSet<&str> = samples.iter().map(|sample| sample.name.as_str()).collect();
    for name in NAMES {
        assert!(exported.contains(name), "{name} is exported");
    }
    assert!(families.contains("halcyon_stage_latency_ns"));
}

#[test]
fn metrics_are_served_without_a_token_and_commands_need_one() {
    let runtime = runtime();
    let metrics = Arc::new(Metrics::new(&["BTCUSDT"]));
    metrics.feed().inc_frames();
    let (server, inbox) = start(&runtime, Arc::clone(&metrics), loopback_config());
    let addr = server.addr();
    assert!(addr.ip().is_loopback() && addr.port() != 0);

    let (status, headers, body) = http(addr, "GET", "/metrics", None);
    assert_eq!(status, 200);
    assert!(headers.contains("content-type: application/openmetrics-text"), "{headers}");
    let (samples, _) = parse_exposition(&body);
    assert_eq!(value(&samples, "halcyon_feed_frames_total", &[]), 1.0);

    for (authorization, why) in [
        (None, "no header"),
        (Some("Bearer wrong-token-0123456789"), "wrong token"),
        (Some(TOKEN), "no Bearer scheme"),
        (Some("Bearer test-token-012345678"), "a prefix of the token"),
    ] {
        for (method, path) in [
            ("GET", "/status"),
            ("POST", "/kill"),
            ("POST", "/reset"),
            ("POST", "/pause"),
            ("POST", "/resume"),
        ] {
            let (status, headers, body) = http(addr, method, path, authorization);
            assert_eq!(status, 401, "{method} {path} with {why}");
            assert!(headers.contains("www-authenticate: bearer"), "{headers}");
            let json: serde_json::Value = serde_json::from_str(&body).expect("401 body is JSON");
            assert_eq!(json["ok"], false);
        }
    }
    assert!(inbox.try_next().is_none(), "unauthorized requests never reach the core");
    // Commands have one method each.
    assert_eq!(http(addr, "GET", "/kill", Some(&bearer())).0, 405);

    // An idle keep-alive connection (as a Prometheus scraper keeps) does not hold up shutdown.
    let mut idle = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).expect("connects");
    idle.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    idle.write_all(format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes()).expect("sends");
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).expect("an answer on the kept-alive connection");
    assert_eq!(&first, b"HTTP/1.1 200");
    let started = Instant::now();
    server.shutdown();
    assert!(started.elapsed() < Duration::from_millis(2500), "shutdown took {:?}", started.elapsed());
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
        "nothing listens after shutdown"
    );
}

#[test]
fn each_command_reaches_the_core_and_its_reply_comes_back() {
    let runtime = runtime();
    let metrics = Arc::new(Metrics::new(&["BTCUSDT"]));
    let (server, inbox) = start(&runtime, Arc::clone(&metrics), loopback_config());
    let stop = Arc::new(AtomicBool::new(false));
    let core = fake_core(inbox, Arc::clone(&stop));
    let addr = server.addr();
    let token = bearer();

    let script = [
        ("GET", "/status", 200, json!({ "killed": false, "paused": false, "instruments": ["BTCUSDT"] })),
        ("POST", "/kill", 200, json!({ "killed": true, "cancelled_orders": 2 })),
        ("POST", "/resume", 409, json!({ "error": "the kill switch is latched; reset first" })),
        ("POST", "/reset", 200, json!({ "killed": false })),
        ("POST", "/pause", 200, json!({ "paused": true })),
        ("POST", "/resume", 200, json!({ "paused": false })),
    ];
    for (method, path, expected_status, expected_body) in script {
        let (status, _, body) = http(addr, method, path, Some(&token));
        let json: serde_json::Value = serde_json::from_str(&body).expect("JSON answer");
        assert_eq!(status, expected_status, "{method} {path}: {body}");
        assert_eq!(json["ok"], expected_status == 200);
        assert_eq!(json["command"], &path[1..]);
        assert_eq!(json["body"], expected_body, "{path}");
    }
    stop.store(true, Ordering::Relaxed);
    let seen = core.join().expect("the core thread ends");
    assert_eq!(
        seen,
        [Command::Status, Command::Kill, Command::Resume, Command::Reset, Command::Pause, Command::Resume]
    );
    let (samples, _) = parse_exposition(&metrics.encode());
    assert_eq!(value(&samples, "halcyon_control_requests_total", &[("command", "resume")]), 2.0);
    server.shutdown();
}

#[test]
fn a_core_that_does_not_answer_gets_503_within_the_timeout() {
    let runtime = runtime();
    let metrics = Arc::new(Metrics::new(&["BTCUSDT"]));
    let config = ControlConfig { inbox_capacity: 1, ..loopback_config() };
    let (server, inbox) = start(&runtime, Arc::clone(&metrics), config);
    let started = Instant::now();
    let (status, _, body) = http(server.addr(), "POST", "/kill", Some(&bearer()));
    let waited = started.elapsed();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("engine did not answer within 1000 ms"), "{body}");
    assert!(
        waited >= Duration::from_millis(950) && waited < Duration::from_millis(2500),
        "answered after {waited:?}"
    );
    // The request is still queued (the core never took it), so the one-slot inbox is full:
    // the next command is turned away at once.
    let started = Instant::now();
    let (status, _, body) = http(server.addr(), "GET", "/status", Some(&bearer()));
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("inbox is full"), "{body}");
    assert!(started.elapsed() < Duration::from_millis(900));
    // A late answer goes nowhere and does not hurt.
    let late = inbox.try_next().expect("the kill is still queued");
    assert_eq!(late.command(), Command::Kill);
    assert!(!late.answer(Reply::ok(json!({}))), "nobody waits any more");
    let (samples, _) = parse_exposition(&metrics.encode());
    assert_eq!(value(&samples, "halcyon_control_unanswered_total", &[]), 1.0);
    server.shutdown();
}

#[test]
fn a_non_loopback_bind_is_refused_unless_allowed() {
    let runtime = runtime();
    let metrics = Arc::new(Metrics::new(&["BTCUSDT"]));
    let token = ControlToken::inline(TOKEN).expect("token");
    for bind in ["0.0.0.0:0", "[::]:0", "192.0.2.1:9464"] {
        let (_inbox, sender) = ControlInbox::with_capacity(4);
        let config = ControlConfig { bind: bind.to_owned(), ..ControlConfig::default() };
        let refused = ControlServer::start_with_token(
            &config,
            token.clone(),
            Arc::clone(&metrics),
            sender,
            runtime.handle(),
        );
        assert!(matches!(refused, Err(ControlError::RemoteRefused(_))), "{bind}: {refused:?}");
    }
    let (_inbox, sender) = ControlInbox::with_capacity(4);
    let config = ControlConfig { bind: "localhost:9464".to_owned(), ..ControlConfig::default() };
    let bad = ControlServer::start_with_token(
        &config,
        token.clone(),
        Arc::clone(&metrics),
        sender.clone(),
        runtime.handle(),
    );
    assert!(matches!(bad, Err(ControlError::BadAddress { .. })), "{bad:?}");
    let config =
        ControlConfig { bind: "0.0.0.0:0".to_owned(), allow_remote: true, ..ControlConfig::default() };
    let allowed = ControlServer::start_with_token(&config, token, metrics, sender, runtime.handle())
        .expect("allowed explicitly");
    assert!(allowed.addr().ip().is_unspecified());
    allowed.shutdown();
}

fn ctl_args(command: CtlCommand, url: String, token: Option<&str>) -> CtlArgs {
    CtlArgs { command, url, token: token.map(str::to_owned), token_file: None, timeout_ms: 3000 }
}

fn ctl(arguments: &CtlArgs) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = engine::cli::ctl::run_to(arguments, &mut out, &mut err);
    (status, String::from_utf8(out).expect("utf-8"), String::from_utf8(err).expect("utf-8"))
}

#[test]
fn ctl_prints_the_answer_and_exits_by_the_outcome() {
    let runtime = runtime();
    let (server, inbox) = start(&runtime, Arc::new(Metrics::new(&["BTCUSDT"])), loopback_config());
    let stop = Arc::new(AtomicBool::new(false));
    let core = fake_core(inbox, Arc::clone(&stop));
    let url = format!("http://{}", server.addr());

    let (status, out, err) = ctl(&ctl_args(CtlCommand::Status, url.clone(), Some(TOKEN)));
    assert_eq!(status, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("prints JSON");
    assert_eq!(
        json,
        json!({ "ok": true, "command": "status", "body": { "killed": false, "paused": false, "instruments": ["BTCUSDT"] } })
    );

    assert_eq!(ctl(&ctl_args(CtlCommand::Kill, url.clone(), Some(TOKEN))).0, 0);
    // Refused by the core: exit 1, the answer still printed.
    let (status, out, err) = ctl(&ctl_args(CtlCommand::Resume, url.clone(), Some(TOKEN)));
    assert_eq!(status, 1);
    assert!(out.contains("reset first") && err.contains("refused the command (HTTP 409)"), "{out} / {err}");
    assert_eq!(ctl(&ctl_args(CtlCommand::Reset, url.clone(), Some(TOKEN))).0, 0);
    assert_eq!(ctl(&ctl_args(CtlCommand::Resume, url.clone(), Some(TOKEN))).0, 0);
    // Wrong token: exit 1 with a hint.
    let (status, _, err) = ctl(&ctl_args(CtlCommand::Pause, url.clone(), Some("nope")));
    assert_eq!(status, 1);
    assert!(err.contains("HTTP 401"), "{err}");
    // Metrics need no token.
    let (status, out, _) = ctl(&ctl_args(CtlCommand::Metrics, url.clone(), None));
    assert_eq!(status, 0);
    assert!(out.contains("halcyon_control_requests_total{command=\"kill\"} 1"), "{out}");
    // Through the whole command line, as `halcyon ctl status --url .. --token ..`.
    assert_eq!(engine::cli::run(["halcyon", "ctl", "status", "--url", &url, "--token", TOKEN]), 0);
    stop.store(true, Ordering::Relaxed);
    core.join().expect("the core thread ends");
    server.shutdown();

    // Nothing listens there any more: exit 1, naming the URL.
    let (status, _, err) = ctl(&ctl_args(CtlCommand::Status, url.clone(), Some(TOKEN)));
    assert_eq!(status, 1);
    assert!(err.contains(&format!("cannot reach the engine at {url}/status")), "{err}");
    // Bad arguments: exit 2.
    assert_eq!(ctl(&ctl_args(CtlCommand::Status, "https://127.0.0.1:9464".into(), Some(TOKEN))).0, 2);
    assert_eq!(engine::cli::run(["halcyon", "ctl", "explode"]), 2);
    let missing_file = CtlArgs {
        token_file: Some("/nonexistent/halcyon/control.token".into()),
        ..ctl_args(CtlCommand::Status, url, None)
    };
    assert_eq!(ctl(&missing_file).0, 2);
}

#[cfg(unix)]
#[test]
fn a_generated_token_is_written_0600_and_ctl_reads_it() {
    use std::os::unix::fs::PermissionsExt;
    let directory = std::env::temp_dir().join(format!("halcyon-control-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    let token_file = directory.join("run").join("control.token");
    let runtime = runtime();
    let (inbox, sender) = ControlInbox::with_capacity(4);
    let config = ControlConfig { token_file: Some(token_file.clone()), ..loopback_config() };
    // `start` resolves the token itself; HALCYON_CONTROL_TOKEN must not be set for this test.
    assert!(
        std::env::var_os(engine::control::TOKEN_ENV).is_none(),
        "unset HALCYON_CONTROL_TOKEN to run this test"
    );
    let server =
        ControlServer::start(&config, Arc::new(Metrics::new(&["BTCUSDT"])), sender, runtime.handle())
            .expect("starts");
    assert_eq!(server.token().source(), &TokenSource::Generated(token_file.clone()));
    let mode = std::fs::metadata(&token_file).expect("token file exists").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "token file mode {mode:o}");
    let directory_mode =
        std::fs::metadata(token_file.parent().expect("parent")).expect("dir").permissions().mode();
    assert_eq!(directory_mode & 0o077, 0, "token directory mode {directory_mode:o}");
    let secret = std::fs::read_to_string(&token_file).expect("readable by us");
    assert_eq!(secret.trim(), server.token().secret());
    assert_eq!(secret.trim().len(), 64);

    let stop = Arc::new(AtomicBool::new(false));
    let core = fake_core(inbox, Arc::clone(&stop));
    let arguments = CtlArgs {
        token_file: Some(token_file.clone()),
        ..ctl_args(CtlCommand::Pause, format!("http://{}", server.addr()), None)
    };
    let (status, out, err) = ctl(&arguments);
    assert_eq!(status, 0, "{out} {err}");
    stop.store(true, Ordering::Relaxed);
    core.join().expect("the core thread ends");
    server.shutdown();
    let _ = std::fs::remove_dir_all(&directory);
}

#[test]
fn the_grafana_dashboard_uses_only_exported_metrics() {
    let path = testkit::workspace_root().join("configs/grafana/halcyon.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    assert!(text.contains("${DS_PROMETHEUS}"), "panels use the datasource variable");
    assert!(dashboard["schemaVersion"].as_u64().is_some_and(|version| version >= 36), "Grafana 10+ schema");

    let metrics = Metrics::new(&["BTCUSDT"]);
    let (samples, _) = parse_exposition(&metrics.encode());
    let exported: BTreeSet<&str> = samples.iter().map(|sample| sample.name.as_str()).collect();

    let mut expressions = Vec::new();
    collect_exprs(&dashboard, &mut expressions);
    assert!(expressions.len() >= 12, "the dashboard has panels with queries ({})", expressions.len());
    let mut used = BTreeSet::new();
    for expression in &expressions {
        let mut rest = expression.as_str();
        while let Some(start) = rest.find("halcyon_") {
            let name: String =
                rest[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            rest = &rest[start + name.len()..];
            assert!(
                exported.contains(name.as_str()),
                "{name} (in `{expression}`) is not exported by Metrics::encode"
            );
            used.insert(name);
        }
    }
    for needed in [
        "halcyon_quote_decisions_total",
        "halcyon_orders_total",
        "halcyon_fills_total",
        "halcyon_position_lots",
        "halcyon_pnl_quote",
        "halcyon_risk_state",
        "halcyon_cascade_score",
        "halcyon_toxicity",
        "halcyon_volatility_fast_bps",
        "halcyon_half_spread_bps",
        "halcyon_feed_lag_ms",
        "halcyon_stage_latency_ns",
        "halcyon_feed_reconnects_total",
        "halcyon_feed_gaps_total",
        "halcyon_feed_decode_errors_total",
    ] {
        assert!(used.contains(needed), "the dashboard shows {needed}");
    }
}

fn collect_exprs(value: &serde_json::Value, into: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("expr" | "query", serde_json::Value::String(text)) => into.push(text.clone()),
                    _ => collect_exprs(value, into),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| collect_exprs(item, into)),
        _ => {}
    }
}
