//! The live run's watcher on the core's thread: operator commands and metrics, between frames.
//!
//! [`LiveObserver`] wraps the replay's sampler (paper mode reports exactly what a replay
//! reports) and, after each frame end:
//! - takes at most one operator command from the control inbox (a lock-free queue) and applies
//!   it to the core: `kill` latches every kill switch and cancels now, `reset` opens them again,
//!   `pause` cancels and stops quoting, `resume` quotes again, `status` answers with the core's
//!   state as JSON;
//! - every `METRICS_INTERVAL` of engine time, stores the core's readings in the metrics'
//!   atomics, and every `LATENCY_INTERVAL` the latency percentiles.
//!
//! No lock, no allocation on the way for frames that carry no command; a `status` answer
//! allocates its JSON (an operator's request, not a market event).

use crate::clock::TscClock;
use crate::control::{Command, ControlInbox, Reply};
use crate::gateway::Gateway;
use crate::metrics::{InstrumentMetrics, Metrics};
use crate::pipeline::CoreObserver;
use crate::pipeline::core::QuotingCore;
use feeds::{Event, EventKind, FrameEnd, Instruments, Nanos, Side};
use risk::Reason;
use std::sync::Arc;

/// Engine time between two metric publications, nanoseconds.
const METRICS_INTERVAL: i64 = 100_000_000;
/// Engine time between two latency-percentile publications, nanoseconds.
const LATENCY_INTERVAL: i64 = 1_000_000_000;
/// Book levels per side in a `status` answer.
const STATUS_LEVELS: usize = 20;

/// Applies operator commands and publishes metrics around an inner observer.
pub struct LiveObserver<Inner> {
    inner: Inner,
    inbox: Option<ControlInbox>,
    metrics: Option<(Arc<Metrics>, Vec<Published>)>,
    instruments: Instruments,
    clock: TscClock,
    next_metrics: i64,
    next_latency: i64,
    /// The market time of the last frame with events (commands act at it).
    market_now: Nanos,
    commands: u64,
    checks: QuotingChecks,
    /// New orders and replaces sent so far, as of the last frame.
    placed: u64,
    /// Whether every quoted book was trusted at the last frame.
    trusted: bool,
    /// Wire-to-quote measurement: the update id of the frame's depth levels, and when its
    /// quote decision was done.
    stamps: Option<DecisionStamps>,
    /// Pause the core at the first event.
    pause_at_start: bool,
    /// Feed lag gauges, and the last frame's lag (receive − exchange time, ms) per quoted
    /// instrument.
    feed_metrics: Option<crate::metrics::FeedMetrics>,
    lag_ms: Vec<i64>,
}

/// When each depth frame's quote decision was done, by the frame's final update id `u` (the
/// venue keeps when it wrote the frame, by the same id).
#[derive(Debug, Default)]
pub struct DecisionStamps {
    /// `(u, instant)`, in order; preallocated, never grown past its capacity.
    pub decided: Vec<(u64, std::time::Instant)>,
    /// The update id of the current frame's book levels (0: none yet).
    current: u64,
}

/// What the live run proves about quoting and book trust, frame by frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct QuotingChecks {
    /// Frames closed while a quoted book was not trusted (before its first snapshot, after a
    /// gap or a lost connection, until resynced).
    pub untrusted_frames: u64,
    /// Times a quoted book went from trusted to untrusted.
    pub trust_lost: u64,
    /// Frames where a new order or a replace was sent while a quoted book was untrusted:
    /// must stay 0 (quotes are pulled while the book cannot be trusted).
    pub orders_while_untrusted: u64,
    /// Frames closed with a quoted book untrusted and one of our orders still resting, by the
    /// order manager's view (cancels in flight included).
    pub resting_while_untrusted: u64,
}

impl<Inner> LiveObserver<Inner> {
    /// Wraps `inner`; `inbox` and `metrics` are optional (a run without a control server).
    pub fn new(
        inner: Inner,
        inbox: Option<ControlInbox>,
        metrics: Option<Arc<Metrics>>,
        instruments: &Instruments,
        clock: TscClock,
    ) -> LiveObserver<Inner> {
        let feed_metrics = metrics.as_ref().map(|metrics| metrics.feed());
        let metrics = metrics.map(|metrics| {
            let handles = instruments
                .iter()
                .map(|(_, instrument)| Published {
                    metrics: metrics.instrument_by_symbol(&instrument.symbol.to_string()),
                    lot: instrument.lot.to_f64(),
                    fills: 0,
                    published: Default::default(),
                })
                .collect();
            (metrics, handles)
        });
        LiveObserver {
            inner,
            inbox,
            metrics,
            instruments: instruments.clone(),
            clock,
            next_metrics: 0,
            next_latency: 0,
            market_now: Nanos(0),
            commands: 0,
            checks: QuotingChecks::default(),
            placed: 0,
            trusted: false,
            stamps: None,
            pause_at_start: false,
            feed_metrics,
            lag_ms: vec![0; instruments.len()],
        }
    }

    /// Keeps when each of up to `capacity` depth frames' decisions was done (for measuring
    /// wire-to-quote latency against a local venue's write stamps).
    pub fn with_decision_stamps(mut self, capacity: usize) -> LiveObserver<Inner> {
        self.stamps = Some(DecisionStamps { decided: Vec::with_capacity(capacity), current: 0 });
        self
    }

    /// Pauses the core at its first event: the books are kept, nothing is quoted until an
    /// operator's `resume`.
    pub fn start_paused(mut self) -> LiveObserver<Inner> {
        self.pause_at_start = true;
        self
    }

    /// The inner observer back, and the decision stamps if kept.
    pub fn into_parts(self) -> (Inner, Option<DecisionStamps>) {
        (self.inner, self.stamps)
    }

    /// Operator commands applied.
    pub fn commands(&self) -> u64 {
        self.commands
    }

    /// The quoting-versus-trust record so far.
    pub fn checks(&self) -> QuotingChecks {
        self.checks
    }

    fn check<Venue: Gateway>(&mut self, core: &QuotingCore<Venue>) {
        let stats = core.stats();
        let placed = stats.new_orders + stats.replaces;
        let trusted = core
            .quoted_instruments()
            .all(|instrument| core.book(instrument).is_some_and(feeds::OrderBook::is_trusted));
        if !trusted {
            self.checks.untrusted_frames += 1;
            self.checks.trust_lost += u64::from(self.trusted);
            self.checks.orders_while_untrusted += u64::from(placed > self.placed);
            self.checks.resting_while_untrusted += u64::from(resting(core) > 0);
        }
        self.trusted = trusted;
        self.placed = placed;
    }

    fn apply<Venue: Gateway>(&mut self, core: &mut QuotingCore<Venue>) {
        let Some(request) = self.inbox.as_ref().and_then(ControlInbox::try_next) else { return };
        self.commands += 1;
        let now = self.market_now;
        let command = request.command();
        tracing::info!(?command, "operator command");
        let reply = match command {
            Command::Kill => {
                core.kill(now, Reason::Manual);
                Reply::ok(serde_json::json!({ "killed": true, "resting_orders": resting(core) }))
            }
            Command::Reset => {
                core.reset_kill();
                Reply::ok(serde_json::json!({ "killed": core.is_killed() }))
            }
            Command::Pause => {
                core.pause(now);
                Reply::ok(serde_json::json!({ "paused": true, "resting_orders": resting(core) }))
            }
            Command::Resume if core.is_killed() => {
                Reply::refused("the kill switch is latched: reset first, then resume")
            }
            Command::Resume => {
                core.resume();
                Reply::ok(serde_json::json!({ "paused": false, "killed": false }))
            }
            Command::Status => Reply::ok(status(core, &self.instruments)),
        };
        request.answer(reply);
    }

    fn publish<Venue: Gateway>(&mut self, core: &QuotingCore<Venue>) {
        let Some((metrics, handles)) = &mut self.metrics else { return };
        let now = self.clock.now().0;
        if now < self.next_metrics {
            return;
        }
        self.next_metrics = now + METRICS_INTERVAL;
        let stats = core.stats();
        let paused = core.is_paused();
        for (index, instrument) in core.quoted_instruments().enumerate() {
            let (Some(handle), Some(snapshot)) =
                (handles.get_mut(instrument.index()), core.snapshot(instrument))
            else {
                continue;
            };
            let Some(metric) = &handle.metrics else { continue };
            // The core counts decisions and orders for all instruments together; they are
            // published on the first quoted instrument (one is quoted today).
            if index == 0 {
                let previous = handle.published;
                metric.add_counts(
                    stats.decisions - previous.decisions,
                    [
                        stats.new_orders - previous.new_orders,
                        stats.replaces - previous.replaces,
                        stats.cancels - previous.cancels,
                    ],
                    (stats.rejected + stats.venue_rejects) - (previous.rejected + previous.venue_rejects),
                );
                handle.published = stats;
            }
            let fills = snapshot.account.fills();
            metric.add_fills(fills - handle.fills);
            handle.fills = fills;
            let position = snapshot.account.position().0;
            metric.set_position(position, position as f64 * handle.lot);
            let mid = snapshot.mid.unwrap_or(f64::NAN);
            if mid.is_finite() {
                let fees =
                    rust_decimal::prelude::ToPrimitive::to_f64(&snapshot.account.fees()).unwrap_or(f64::NAN);
                metric.set_pnl(snapshot.account.pnl_f64(mid), fees);
                metric.set_signals(
                    snapshot.toxicity,
                    snapshot.volatility * 1e4,
                    snapshot.half_spread_ticks / mid * 1e4,
                );
            }
            metric.set_risk(snapshot.state, snapshot.cascade_score);
            let trusted = core.book(instrument).is_some_and(feeds::OrderBook::is_trusted);
            metric.set_flags(trusted, snapshot.bid.is_some() || snapshot.ask.is_some());
            metric.set_control(snapshot.killed, paused);
            if let (Some(feed), Some(&lag)) = (&self.feed_metrics, self.lag_ms.get(instrument.index())) {
                feed.set_lag_ms(index, lag);
            }
        }
        if now >= self.next_latency {
            self.next_latency = now + LATENCY_INTERVAL;
            // Once a second: the report is built afresh (a few small allocations).
            let report = core.latency_report();
            for metric in crate::latency::Metric::ALL {
                if let Some(measured) = report.get(metric) {
                    metrics.publish_percentiles(metric, &measured.all);
                }
            }
        }
    }
}

/// One instrument's metric handles and what was last published of it.
struct Published {
    metrics: Option<InstrumentMetrics>,
    lot: f64,
    fills: u64,
    published: crate::pipeline::core::CoreStats,
}

fn resting<Venue: Gateway>(core: &QuotingCore<Venue>) -> usize {
    core.quoted_instruments().map(|instrument| core.resting_orders(instrument)).sum()
}

/// The core's state as JSON: per quoted instrument its book (top levels, update id, trust),
/// position, PnL, risk state, our resting quotes; the counters.
pub fn status<Venue: Gateway>(core: &QuotingCore<Venue>, instruments: &Instruments) -> serde_json::Value {
    let mut quoted = Vec::new();
    for instrument in core.quoted_instruments() {
        let Some(spec) = instruments.get(instrument) else { continue };
        let Some(snapshot) = core.snapshot(instrument) else { continue };
        let book = core.book(instrument).map(|book| {
            let levels = |side| {
                book.top(side, STATUS_LEVELS)
                    .map(|(price, qty)| {
                        [spec.tick.to_f64() * price.0 as f64, spec.lot.to_f64() * qty.0 as f64]
                    })
                    .collect::<Vec<_>>()
            };
            serde_json::json!({
                "trusted": book.is_trusted(),
                "last_update_id": book.last_update_id().0,
                "bids": levels(Side::Bid),
                "asks": levels(Side::Ask),
                "bid_ticks": book.top(Side::Bid, STATUS_LEVELS).map(|(p, q)| [p.0, q.0]).collect::<Vec<_>>(),
                "ask_ticks": book.top(Side::Ask, STATUS_LEVELS).map(|(p, q)| [p.0, q.0]).collect::<Vec<_>>(),
            })
        });
        let mark = snapshot.mid.unwrap_or(f64::NAN);
        quoted.push(serde_json::json!({
            "symbol": spec.symbol.to_string(),
            "book": book,
            "bid": snapshot.bid.map(|price| price.0),
            "ask": snapshot.ask.map(|price| price.0),
            "position_lots": snapshot.account.position().0,
            "fills": snapshot.account.fills(),
            "pnl": if mark.is_finite() { Some(snapshot.account.pnl_f64(mark)) } else { None },
            "risk_state": snapshot.state.name(),
            "cascade_score": snapshot.cascade_score,
            "toxicity": snapshot.toxicity,
            "killed": snapshot.killed,
        }));
    }
    serde_json::json!({
        "paused": core.is_paused(),
        "killed": core.is_killed(),
        "instruments": quoted,
        "core": core.stats(),
    })
}

impl<Venue: Gateway, Inner: CoreObserver<Venue>> CoreObserver<Venue> for LiveObserver<Inner> {
    #[inline]
    fn after_event(&mut self, core: &mut QuotingCore<Venue>, event: &Event) {
        if self.pause_at_start {
            self.pause_at_start = false;
            core.pause(event.exchange_time);
        }
        self.inner.after_event(core, event);
        let kind = event.kind();
        if let Some(stamps) = &mut self.stamps {
            match kind {
                EventKind::BookLevel(level) if !level.snapshot => stamps.current = event.seq.0,
                EventKind::FrameEnd(_) if stamps.current != 0 => {
                    if stamps.decided.len() < stamps.decided.capacity() {
                        stamps.decided.push((stamps.current, std::time::Instant::now()));
                    }
                    stamps.current = 0;
                }
                _ => {}
            }
        }
        let EventKind::FrameEnd(end) = kind else { return };
        if end.events > 0 && end.frame_kind != FrameEnd::HEARTBEAT {
            self.market_now = self.market_now.max(event.exchange_time);
            if end.frame_kind != FrameEnd::SLOW_LANE
                && let Some(lag) = self.lag_ms.get_mut(event.instrument.index())
            {
                *lag = (event.receive_time.0 - event.exchange_time.0) / 1_000_000;
            }
            self.check(core);
        }
        if self.inbox.is_some() {
            self.apply(core);
        }
        self.publish(core);
    }
}
