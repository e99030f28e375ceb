//! [`Metrics`]: the registry, its families, and the handles it hands out.

use super::{Counter, FeedMetrics, FloatGauge, InstrumentMetrics, IntGauge, LaneMetrics, OrderAction};
use crate::latency::{Metric, Percentiles};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use risk::cascade::CascadeState;
use std::time::Instant;

/// A label set: `(name, value)` pairs.
type Labels = Vec<(&'static str, String)>;

/// The slow lanes whose children exist from the start (so their series exist before the first
/// event): Binance open-interest polling, REST depth snapshots, Bybit and Deribit. Others are
/// created by [`Metrics::lane`].
pub const LANES: [&str; 4] = ["open_interest", "snapshot", "bybit", "deribit"];

/// The `quantile` label values of `halcyon_stage_latency_ns`, in the order
/// [`Metrics::publish_latency`] takes them.
pub const QUANTILES: [&str; 5] = ["0.5", "0.9", "0.99", "0.999", "max"];

/// Every metric name as it appears on sample lines (counters with `_total`, the info metric
/// with `_info`).
pub const NAMES: [&str; 38] = [
    "halcyon_feed_frames_total",
    "halcyon_feed_events_total",
    "halcyon_feed_decode_errors_total",
    "halcyon_feed_gaps_total",
    "halcyon_feed_resyncs_total",
    "halcyon_feed_reconnects_total",
    "halcyon_feed_rollovers_total",
    "halcyon_feed_stale_total",
    "halcyon_feed_disconnects_total",
    "halcyon_feed_snapshot_requests_total",
    "halcyon_feed_stale_diffs_total",
    "halcyon_feed_lag_ms",
    "halcyon_lane_events_total",
    "halcyon_lane_dropped_total",
    "halcyon_quote_decisions_total",
    "halcyon_orders_total",
    "halcyon_fills_total",
    "halcyon_rejects_total",
    "halcyon_position_lots",
    "halcyon_position_base",
    "halcyon_pnl_quote",
    "halcyon_fees_quote",
    "halcyon_risk_state",
    "halcyon_risk_condition",
    "halcyon_cascade_score",
    "halcyon_toxicity",
    "halcyon_volatility_fast_bps",
    "halcyon_half_spread_bps",
    "halcyon_book_trusted",
    "halcyon_quoting",
    "halcyon_killed",
    "halcyon_paused",
    "halcyon_stage_latency_ns",
    "halcyon_uptime_seconds",
    "halcyon_build_info",
    "halcyon_control_requests_total",
    "halcyon_control_unanswered_total",
    "halcyon_instruments",
];

/// The process's metrics: the registry and the families behind every handle.
///
/// Built once at start ([`Metrics::new`]); handles ([`Metrics::feed`], [`Metrics::instrument`],
/// [`Metrics::lane`]) are taken before the hot threads start. [`Metrics::encode`] is for the
/// HTTP server (slow path).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    started: Instant,
    uptime_seconds: FloatGauge,
    feed: FeedMetrics,
    instruments: Vec<InstrumentMetrics>,
    symbols: Vec<String>,
    lane_events: Family<Labels, Counter>,
    lane_dropped: Family<Labels, Counter>,
    /// `[stage][quantile]`, stages in `latency::Metric::ALL` order.
    stage_latency: Vec<[IntGauge; 5]>,
    control_requests: Family<Labels, Counter>,
    control_unanswered: Counter,
}

/// Registers an unlabelled metric and returns a handle to it.
fn single<M: Clone + Default + prometheus_client::registry::Metric>(
    registry: &mut Registry,
    name: &str,
    help: &str,
) -> M {
    let metric = M::default();
    registry.register(name, help, metric.clone());
    metric
}

/// Registers a labelled family and returns it (it shares its children with the registry).
fn family<M>(registry: &mut Registry, name: &str, help: &str) -> Family<Labels, M>
where
    M: Clone + Default + prometheus_client::registry::Metric,
    Family<Labels, M>: prometheus_client::registry::Metric,
{
    let family = Family::<Labels, M>::default();
    registry.register(name, help, family.clone());
    family
}

/// The child of `family` for `labels`, created if needed (start-up only: takes the family's lock).
fn child<M: Clone + Default>(family: &Family<Labels, M>, labels: &[(&'static str, &str)]) -> M {
    let labels: Labels = labels.iter().map(|(name, value)| (*name, (*value).to_owned())).collect();
    family.get_or_create_owned(&labels)
}

impl Metrics {
    /// Creates every metric, with children for each of `instrument_symbols` (label
    /// `instrument`), each slow lane of [`LANES`], each latency stage and quantile.
    pub fn new(instrument_symbols: &[&str]) -> Metrics {
        let mut registry = Registry::default();
        let r = &mut registry;

        let frames = single(r, "halcyon_feed_frames", "Frames received from the exchange.");
        let events = single(r, "halcyon_feed_events", "Normalized events published into the ring.");
        let decode_errors =
            single(r, "halcyon_feed_decode_errors", "Frames that did not decode (parse errors).");
        let gaps = single(r, "halcyon_feed_gaps", "Gaps in a sequenced stream (the book must resync).");
        let resyncs = single(r, "halcyon_feed_resyncs", "Order book resyncs completed.");
        let reconnects = single(r, "halcyon_feed_reconnects", "Reconnect attempts after a disconnect.");
        let rollovers = single(r, "halcyon_feed_rollovers", "Planned connection rollovers.");
        let stale = single(
            r,
            "halcyon_feed_stale",
            "Times a connected stream went quiet past live.silence_warn_ms (a stall; past stale_after_ms it is also dropped).",
        );
        let disconnects = single(r, "halcyon_feed_disconnects", "Connections closed or failed.");
        let snapshot_requests =
            single(r, "halcyon_feed_snapshot_requests", "REST depth snapshots requested.");
        let stale_diffs = single(
            r,
            "halcyon_feed_stale_diffs",
            "Depth diffs dropped as older than the book (duplicates, replays, before the snapshot).",
        );
        let lag = family::<IntGauge>(
            r,
            "halcyon_feed_lag_ms",
            "Receive time minus exchange time of the latest event, milliseconds.",
        );

        let lane_events =
            family::<Counter>(r, "halcyon_lane_events", "Slow-lane events delivered to the feed thread.");
        let lane_dropped =
            family::<Counter>(r, "halcyon_lane_dropped", "Slow-lane events dropped (queue full).");

        let quote_decisions =
            family::<Counter>(r, "halcyon_quote_decisions", "Quote decisions made by the core.");
        let orders =
            family::<Counter>(r, "halcyon_orders", "Order actions sent, by action (new, amend, cancel).");
        let fills = family::<Counter>(r, "halcyon_fills", "Fills received.");
        let rejects =
            family::<Counter>(r, "halcyon_rejects", "Orders rejected by the venue or the risk gate.");
        let position_lots =
            family::<IntGauge>(r, "halcyon_position_lots", "Position in the instrument's lots.");
        let position_base = family::<FloatGauge>(r, "halcyon_position_base", "Position in base units.");
        let pnl = family::<FloatGauge>(r, "halcyon_pnl_quote", "Profit and loss, quote currency.");
        let fees = family::<FloatGauge>(r, "halcyon_fees_quote", "Fees paid, quote currency.");
        let risk_state = family::<IntGauge>(
            r,
            "halcyon_risk_state",
            "Risk state: 0 NORMAL, 1 WARNING, 2 CASCADE, 3 COOLDOWN.",
        );
        let risk_condition = family::<IntGauge>(
            r,
            "halcyon_risk_condition",
            "1 for the current risk state (label condition), 0 for the others.",
        );
        let cascade_score = family::<FloatGauge>(r, "halcyon_cascade_score", "Cascade detector score.");
        let toxicity = family::<FloatGauge>(r, "halcyon_toxicity", "Flow toxicity (unitless).");
        let volatility =
            family::<FloatGauge>(r, "halcyon_volatility_fast_bps", "Fast realised volatility, basis points.");
        let half_spread =
            family::<FloatGauge>(r, "halcyon_half_spread_bps", "Quoted half-spread, basis points.");
        let book_trusted = family::<IntGauge>(r, "halcyon_book_trusted", "1 when the order book is in sync.");
        let quoting = family::<IntGauge>(r, "halcyon_quoting", "1 when quotes are out.");
        let killed = family::<IntGauge>(r, "halcyon_killed", "1 when the kill switch is latched.");
        let paused = family::<IntGauge>(r, "halcyon_paused", "1 when quoting is paused by the operator.");
        let instruments_gauge =
            family::<IntGauge>(r, "halcyon_instruments", "Quoted instruments (1 per instrument label).");

        let stage_latency_family = family::<IntGauge>(
            r,
            "halcyon_stage_latency_ns",
            "Latency percentiles per stage since start, nanoseconds.",
        );
        let uptime_seconds = single(r, "halcyon_uptime_seconds", "Seconds since the metrics were created.");
        r.register(
            "halcyon_build",
            "Build information.",
            Info::new(vec![
                ("version", env!("CARGO_PKG_VERSION").to_owned()),
                ("profile", if cfg!(debug_assertions) { "debug" } else { "release" }.to_owned()),
            ]),
        );
        let control_requests =
            family::<Counter>(r, "halcyon_control_requests", "Control API requests, by command.");
        let control_unanswered =
            single(r, "halcyon_control_unanswered", "Control commands the engine did not answer in time.");

        let feed = FeedMetrics {
            frames,
            events,
            decode_errors,
            gaps,
            resyncs,
            reconnects,
            rollovers,
            stale,
            disconnects,
            snapshot_requests,
            stale_diffs,
            lag_ms: instrument_symbols.iter().map(|symbol| child(&lag, &[("instrument", symbol)])).collect(),
        };
        let instruments = instrument_symbols
            .iter()
            .map(|symbol| {
                let of = |family: &Family<Labels, Counter>| child(family, &[("instrument", symbol)]);
                let int = |family: &Family<Labels, IntGauge>| child(family, &[("instrument", symbol)]);
                let float = |family: &Family<Labels, FloatGauge>| child(family, &[("instrument", symbol)]);
                int(&instruments_gauge).set(1);
                InstrumentMetrics {
                    quote_decisions: of(&quote_decisions),
                    orders: OrderAction::ALL
                        .map(|action| child(&orders, &[("instrument", symbol), ("action", action.name())])),
                    fills: of(&fills),
                    rejects: of(&rejects),
                    position_lots: int(&position_lots),
                    position_base: float(&position_base),
                    pnl_quote: float(&pnl),
                    fees_quote: float(&fees),
                    risk_state: int(&risk_state),
                    risk_condition: CascadeState::ALL.map(|state| {
                        let gauge: IntGauge =
                            child(&risk_condition, &[("instrument", symbol), ("condition", state.name())]);
                        gauge.set(i64::from(state == CascadeState::Normal));
                        gauge
                    }),
                    cascade_score: float(&cascade_score),
                    toxicity: float(&toxicity),
                    volatility_fast_bps: float(&volatility),
                    half_spread_bps: float(&half_spread),
                    book_trusted: int(&book_trusted),
                    quoting: int(&quoting),
                    killed: int(&killed),
                    paused: int(&paused),
                }
            })
            .collect();
        let stage_latency = Metric::ALL
            .iter()
            .map(|metric| {
                QUANTILES.map(|quantile| {
                    child(&stage_latency_family, &[("stage", metric.name()), ("quantile", quantile)])
                })
            })
            .collect();
        for lane in LANES {
            child(&lane_events, &[("lane", lane)]);
            child(&lane_dropped, &[("lane", lane)]);
        }
        for command in crate::control::Command::ALL {
            child(&control_requests, &[("command", command.name())]);
        }

        Metrics {
            registry,
            started: Instant::now(),
            uptime_seconds,
            feed,
            instruments,
            symbols: instrument_symbols.iter().map(|symbol| (*symbol).to_owned()).collect(),
            lane_events,
            lane_dropped,
            stage_latency,
            control_requests,
            control_unanswered,
        }
    }

    /// The feed thread's handles.
    pub fn feed(&self) -> FeedMetrics {
        self.feed.clone()
    }

    /// The quoting core's handles for the instrument at `index` in the symbols given to
    /// [`Metrics::new`]; `None` past the end.
    pub fn instrument(&self, index: usize) -> Option<InstrumentMetrics> {
        self.instruments.get(index).cloned()
    }

    /// The quoting core's handles for `symbol`, if it was given to [`Metrics::new`].
    pub fn instrument_by_symbol(&self, symbol: &str) -> Option<InstrumentMetrics> {
        self.symbols.iter().position(|known| known == symbol).and_then(|index| self.instrument(index))
    }

    /// The handles of slow lane `lane` (label `lane`); created on first use (start-up only).
    pub fn lane(&self, lane: &str) -> LaneMetrics {
        LaneMetrics {
            events: child(&self.lane_events, &[("lane", lane)]),
            dropped: child(&self.lane_dropped, &[("lane", lane)]),
        }
    }

    /// Sets the latency percentiles of the stage at `stage_index` in
    /// [`latency::Metric::ALL`](crate::latency::Metric::ALL) (stages, then end-to-end and
    /// tick-to-order); `values_ns` are p50, p90, p99, p99.9 and max ([`QUANTILES`]). An unknown
    /// index is ignored. Called by whoever owns the histograms (telemetry), not per event.
    pub fn publish_latency(&self, stage_index: usize, values_ns: [u64; 5]) {
        if let Some(gauges) = self.stage_latency.get(stage_index) {
            for (gauge, value) in gauges.iter().zip(values_ns) {
                gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
            }
        }
    }

    /// [`publish_latency`](Self::publish_latency) from a histogram summary.
    pub fn publish_percentiles(&self, metric: Metric, percentiles: &Percentiles) {
        if let Some(index) = Metric::ALL.iter().position(|known| *known == metric) {
            self.publish_latency(
                index,
                [
                    percentiles.p50_ns,
                    percentiles.p90_ns,
                    percentiles.p99_ns,
                    percentiles.p999_ns,
                    percentiles.max_ns,
                ],
            );
        }
    }

    /// Counts a control request for `command` (the server calls this).
    pub(crate) fn count_control_request(&self, command: crate::control::Command) {
        if let Some(counter) = self.control_requests.get(&vec![("command", command.name().to_owned())]) {
            counter.inc();
        }
    }

    /// Counts a control command the engine did not answer in time.
    pub(crate) fn count_control_unanswered(&self) {
        self.control_unanswered.inc();
    }

    /// The OpenMetrics text exposition of every metric (ends with `# EOF`). Updates the uptime
    /// first.
    pub fn encode(&self) -> String {
        self.uptime_seconds.set(self.started.elapsed().as_secs_f64());
        let mut text = String::with_capacity(16 * 1024);
        // Writing into a String cannot fail; an encoder error would leave a partial text,
        // which is still better than no answer on the slow path.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
