//! Every feed fault of the local venue, survived by a paper run (whose connection also rolls
//! over every few seconds, as Binance's 24-hour limit forces): after each, the engine's
//! book equals the venue's at a sync point (the venue paused, the engine caught up to its
//! last update id), quotes were pulled while the book was untrusted and came back once it was
//! healthy, nothing panicked, and the fault shows in the metrics and the logs. Then the
//! operator's `kill` stops quoting and only `reset` brings it back.
//!
//! One paper run serves every step (bounded: a few seconds each), driven through the engine's
//! own control endpoint. The faults are the venue's (synthetic by construction: the recording
//! itself has none); the market data is the real BTCUSDT recording.

mod support;

use engine::control::Command;
use engine::control::client::{ControlClient, Endpoint};
use engine::live::paper::{PaperOptions, run_paper};
use engine::local_venue::{Fault, VenueHandle};
use feeds::Step;
use rust_decimal::Decimal;
use std::io::Write;
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{instruments, paper_config, recording, venue};

const TOKEN: &str = "paper-faults-test-token";
/// Levels per side compared at each sync point (the engine's status shows 20).
const LEVELS: usize = 20;

/// Log lines of every thread, for the "visible in the logs" checks.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

struct Engine {
    client: ControlClient,
}

impl Engine {
    fn status(&self) -> serde_json::Value {
        let answer = self.client.send(Command::Status).expect("status answers");
        assert_eq!(answer.status, 200, "{}", answer.body);
        let json: serde_json::Value = serde_json::from_str(&answer.body).expect("status is JSON");
        json["body"].clone()
    }

    fn command(&self, command: Command) -> serde_json::Value {
        let answer = self.client.send(command).expect("command answers");
        assert_eq!(answer.status, 200, "{command:?}: {}", answer.body);
        serde_json::from_str(&answer.body).expect("JSON")
    }

    fn metrics(&self) -> String {
        let answer = self.client.metrics().expect("metrics answer");
        assert_eq!(answer.status, 200);
        answer.body
    }

    fn book(&self) -> serde_json::Value {
        self.status()["instruments"][0].clone()
    }

    /// Waits until `done` holds for the instrument's status.
    fn wait(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let start = Instant::now();
        loop {
            let status = self.book();
            if done(&status) {
                return status;
            }
            assert!(start.elapsed() < timeout, "timed out waiting for {what}: {status}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The venue's top levels as (price ticks, qty lots).
fn venue_levels(levels: &[[String; 2]], tick: Step, lot: Step) -> Vec<[i64; 2]> {
    let ticks = |text: &str, step: Step| {
        let value = Decimal::from_str(text).expect("decimal");
        let step = Decimal::from_str(&step.to_string()).expect("step");
        i64::try_from((value / step).round().mantissa()).expect("fits")
    };
    levels.iter().take(LEVELS).map(|[price, qty]| [ticks(price, tick), ticks(qty, lot)]).collect()
}

fn engine_levels(levels: &serde_json::Value) -> Vec<[i64; 2]> {
    levels
        .as_array()
        .expect("levels")
        .iter()
        .map(|level| [level[0].as_i64().expect("price"), level[1].as_i64().expect("qty")])
        .collect()
}

/// Pauses the venue, waits for the engine to reach the venue's last update id with a trusted
/// book, compares the top levels, resumes.
fn sync_point(venue: &VenueHandle, engine: &Engine, label: &str) {
    let spec = instruments().get(feeds::InstrumentId(0)).expect("BTCUSDT").clone();
    venue.pause();
    std::thread::sleep(Duration::from_millis(100));
    let venue_book = venue.book("BTCUSDT", LEVELS).expect("venue book");
    let status =
        engine.wait(&format!("{label}: the engine at the venue's update id"), Duration::from_secs(20), |s| {
            s["book"]["trusted"] == true
                && s["book"]["last_update_id"].as_u64() == Some(venue_book.last_update_id)
        });
    assert_eq!(
        engine_levels(&status["book"]["bid_ticks"]),
        venue_levels(&venue_book.bids, spec.tick, spec.lot),
        "{label}: bids differ at update id {}",
        venue_book.last_update_id
    );
    assert_eq!(
        engine_levels(&status["book"]["ask_ticks"]),
        venue_levels(&venue_book.asks, spec.tick, spec.lot),
        "{label}: asks differ at update id {}",
        venue_book.last_update_id
    );
    venue.resume();
}

fn quoting(status: &serde_json::Value) -> bool {
    !status["bid"].is_null() || !status["ask"].is_null()
}

#[test]
fn every_feed_fault_is_survived_and_kill_needs_reset() {
    let logs = Logs::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_env_filter("info")
        .try_init()
        .expect("the test's subscriber");

    let venue = venue(&recording(300.0), 4.0);
    let mut config = paper_config(&venue, "");
    config.live.stop_when_idle_ms = 0;
    // Binance's 24-hour rollover, every 4 s here: make-before-break while the faults go on.
    config.live.rollover_after_s = 4.0;
    config.lanes.open_interest_interval_s = 1;
    config.control.enabled = true;
    config.control.bind = "127.0.0.1:0".into();
    config.control.token = Some(TOKEN.into());
    let (ready, address) = crossbeam_channel::bounded(1);
    let options = PaperOptions { no_signal_handler: true, ready: Some(ready), ..PaperOptions::default() };
    let stop = options.stop.clone();
    let runner = std::thread::spawn(move || run_paper(&config, &instruments(), options));
    let addr = address.recv_timeout(Duration::from_secs(20)).expect("the control endpoint listens");
    let endpoint = Endpoint::parse(&format!("http://{addr}")).expect("url");
    let engine =
        Engine { client: ControlClient::new(endpoint, Some(TOKEN.to_owned()), Duration::from_secs(5)) };

    engine.wait("first quotes", Duration::from_secs(20), |s| s["book"]["trusted"] == true && quoting(s));
    sync_point(&venue, &engine, "start");

    // Each fault, the metric that must count it and the log line that must name it.
    let faults = [
        ("gap", Fault::Gap { diffs: 3 }, &["halcyon_feed_gaps_total"][..], "gap, resyncing"),
        (
            "duplicate",
            Fault::Duplicate { frames: 300 },
            &["halcyon_feed_stale_diffs_total"],
            "older than the book",
        ),
        (
            "reorder",
            Fault::Reorder { frames: 300 },
            &["halcyon_feed_gaps_total", "halcyon_feed_stale_diffs_total"],
            "",
        ),
        ("garbage", Fault::Garbage { frames: 5 }, &["halcyon_feed_decode_errors_total"], "did not decode"),
        (
            "delay",
            Fault::Delay { ms: 1200, frames: 2 },
            &["halcyon_feed_stale_total"],
            "market stream silent",
        ),
        ("stall", Fault::Stall { seconds: 1.5 }, &["halcyon_feed_stale_total"], "market stream silent"),
        ("drop", Fault::Drop, &["halcyon_feed_disconnects_total"], "market stream lost"),
        (
            "refuse",
            Fault::Refuse { seconds: 1.5 },
            &["halcyon_feed_disconnects_total"],
            "connection attempt failed",
        ),
    ];
    for (label, fault, counters, log_line) in faults {
        let metrics_before = engine.metrics();
        let logs_before = logs.text().len();
        venue.inject(fault).unwrap_or_else(|error| panic!("{label}: {error}"));
        std::thread::sleep(Duration::from_millis(1500));
        sync_point(&venue, &engine, label);
        engine.wait(&format!("{label}: quoting again"), Duration::from_secs(20), quoting);
        let metrics_after = engine.metrics();
        let counted =
            counters.iter().any(|name| sample(&metrics_after, name) > sample(&metrics_before, name));
        assert!(counted, "{label}: none of {counters:?} counted it");
        let new_logs = logs.text()[logs_before..].to_owned();
        assert!(log_line.is_empty() || new_logs.contains(log_line), "{label}: no log line with {log_line:?}");
    }

    // The operator's kill: quotes go and stay gone until reset.
    let killed = engine.command(Command::Kill);
    assert_eq!(killed["body"]["killed"], true, "{killed}");
    engine.wait("quotes pulled after kill", Duration::from_secs(10), |s| !quoting(s) && s["killed"] == true);
    std::thread::sleep(Duration::from_millis(500));
    let still = engine.book();
    assert!(!quoting(&still) && still["killed"] == true, "quoting resumed without reset: {still}");
    let resumed = engine.client.send(Command::Resume).expect("resume answers");
    assert_eq!(resumed.status, 409, "resume must be refused while killed: {}", resumed.body);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!quoting(&engine.book()), "resume alone must not undo a kill");
    engine.command(Command::Reset);
    engine.command(Command::Resume);
    engine.wait("quoting after reset", Duration::from_secs(20), |s| quoting(s) && s["killed"] == false);

    stop.store(true, Ordering::Relaxed);
    let paper = runner.join().expect("the paper run did not panic").expect("the paper run ended cleanly");
    venue.shutdown();

    let checks = paper.checks;
    let feed = &paper.run.summary.feed;
    eprintln!("checks {checks:?}\nlive {:?}\nfeed {feed:?}", paper.feed);
    assert_eq!(checks.orders_while_untrusted, 0, "an order was placed while the book was untrusted");
    assert!(checks.trust_lost >= 4, "gap, reorder, drop and refuse each make the book untrusted: {checks:?}");
    assert!(feed.gaps >= 2, "{feed:?}");
    assert!(feed.decode_errors >= 5, "{feed:?}");
    assert!(feed.stale_diffs >= 1, "duplicates are dropped as stale: {feed:?}");
    assert!(paper.feed.stats.disconnects >= 2, "drop and refuse: {:?}", paper.feed);
    assert!(paper.feed.stats.connects >= 3, "{:?}", paper.feed);

    let metrics = paper.metrics.expect("metrics");
    assert!(sample(&metrics, "halcyon_feed_reconnects_total") >= 2.0);
    assert!(sample(&metrics, "halcyon_feed_resyncs_total") >= 3.0);
    assert!(sample(&metrics, "halcyon_lane_events_total") >= 1.0, "open interest reached the core");
    assert!(paper.feed.stats.lane_events >= 1, "{:?}", paper.feed);
    assert!(paper.feed.stats.rollovers >= 1, "connections rolled over: {:?}", paper.feed);
    assert!(sample(&metrics, "halcyon_feed_rollovers_total") >= 1.0);
    let logs = logs.text();
    for needle in ["depth snapshot requested", "operator command"] {
        assert!(logs.contains(needle), "no log line with {needle:?}");
    }
}

/// The sum of the samples of `name` (every label set) in a Prometheus exposition.
fn sample(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .filter(|line| !line.starts_with('#') && line.split([' ', '{']).next() == Some(name))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
