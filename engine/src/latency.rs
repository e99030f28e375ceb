//! Latency histograms: per stage, end to end, per frame class, recorded without allocation.
//!
//! A frame's life has six stamps on the engine's [`TscClock`](crate::clock::TscClock):
//!
//! ```text
//! in hand ─parse─▶ parsed ─publish─▶ published ─hop─▶ consumed ─apply─▶ applied ─decide─▶ decided ─encode─▶ order bytes ready
//! └────────────── feed thread ─────────────────┘           └──────────────── quoting core ────────────────────────────┘
//! ```
//!
//! - [`Metric::Stage`] histograms hold each arrow's duration.
//! - [`Metric::EndToEnd`] is *in hand → the core is done with the frame*: order bytes ready when
//!   the frame led to order messages, the quote decision otherwise. Every frame has one.
//! - [`Metric::TickToOrder`] is *in hand → order bytes ready*, for the frames that led to order
//!   messages only: the number a latency engineer asks for first.
//!
//! Each thread owns a [`LatencyHistograms`] for the metrics it records (the feed: parse and
//! publish; the core: the rest); they are merged into a [`LatencyReport`] when the run ends.
//! Histograms are `hdrhistogram` with 3 significant digits from 1 ns to 1 s, preallocated;
//! recording is an index computation and an increment, and values beyond a second saturate
//! at the top bucket rather than allocate.

use hdrhistogram::Histogram;
use serde::Serialize;

/// One arrow of the frame's path (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// In hand → parsed: decode and book sequencing, on the feed thread.
    Parse,
    /// Parsed → published: writing the events into ring slots.
    Publish,
    /// Published → consumed: the ring hop to the quoting core.
    Hop,
    /// Consumed → applied: book and signals updated with the frame's events.
    Apply,
    /// Applied → decided: fair value, spreads, quotes, risk gate, order diff.
    Decide,
    /// Decided → order bytes ready: encoding and signing the order messages.
    Encode,
}

impl Stage {
    /// Every stage, in path order.
    pub const ALL: [Stage; 6] =
        [Stage::Parse, Stage::Publish, Stage::Hop, Stage::Apply, Stage::Decide, Stage::Encode];

    /// Name in reports and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Stage::Parse => "parse",
            Stage::Publish => "publish",
            Stage::Hop => "hop",
            Stage::Apply => "apply",
            Stage::Decide => "decide",
            Stage::Encode => "encode",
        }
    }
}

/// What a histogram measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// One stage's duration.
    Stage(Stage),
    /// In hand → done with the frame (order bytes ready, or decided when no orders).
    EndToEnd,
    /// In hand → order bytes ready, frames that led to orders only.
    TickToOrder,
}

impl Metric {
    /// Every metric, stages first.
    pub const ALL: [Metric; 8] = [
        Metric::Stage(Stage::Parse),
        Metric::Stage(Stage::Publish),
        Metric::Stage(Stage::Hop),
        Metric::Stage(Stage::Apply),
        Metric::Stage(Stage::Decide),
        Metric::Stage(Stage::Encode),
        Metric::EndToEnd,
        Metric::TickToOrder,
    ];

    /// Name in reports and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Metric::Stage(stage) => stage.name(),
            Metric::EndToEnd => "end_to_end",
            Metric::TickToOrder => "tick_to_order",
        }
    }

    const fn index(self) -> usize {
        match self {
            Metric::Stage(stage) => stage as usize,
            Metric::EndToEnd => 6,
            Metric::TickToOrder => 7,
        }
    }
}

/// Frames grouped by what they cost: a ~1.6 KB depth diff is far more work than a ~170-byte
/// ticker or trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrameClass {
    /// Book diffs.
    DepthUpdate,
    /// Best bid/offer tickers.
    BookTicker,
    /// Trades and aggregated trades.
    Trade,
    /// Everything else (snapshots, mark prices, liquidations, frames that did not decode).
    Other,
}

impl FrameClass {
    /// Every class.
    pub const ALL: [FrameClass; 4] =
        [FrameClass::DepthUpdate, FrameClass::BookTicker, FrameClass::Trade, FrameClass::Other];

    /// Name in reports and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            FrameClass::DepthUpdate => "depth_update",
            FrameClass::BookTicker => "book_ticker",
            FrameClass::Trade => "trade",
            FrameClass::Other => "other",
        }
    }

    /// The class of a Binance frame kind code (`FrameEnd::frame_kind`).
    #[inline]
    pub fn of_binance(code: u8) -> FrameClass {
        use feeds::venue::binance::MessageKind;
        match MessageKind::from_code(code) {
            Some(MessageKind::DepthUpdate) => FrameClass::DepthUpdate,
            Some(MessageKind::BookTicker) => FrameClass::BookTicker,
            Some(MessageKind::Trade | MessageKind::AggTrade) => FrameClass::Trade,
            _ => FrameClass::Other,
        }
    }
}

const LOWEST_NS: u64 = 1;
const HIGHEST_NS: u64 = 1_000_000_000;
const SIGNIFICANT_DIGITS: u8 = 3;

/// One thread's histograms: a chosen set of metrics, each per [`FrameClass`].
pub struct LatencyHistograms {
    /// `[metric][class]`; `None` for metrics this thread does not record.
    histograms: [Option<[Histogram<u32>; 4]>; 8],
}

impl LatencyHistograms {
    /// Histograms for `metrics`, allocated now (about 90 KB each, four per metric).
    pub fn new(metrics: &[Metric]) -> LatencyHistograms {
        let mut histograms: [Option<[Histogram<u32>; 4]>; 8] = Default::default();
        for metric in metrics {
            histograms[metric.index()] = Some(std::array::from_fn(|_| new_histogram()));
        }
        LatencyHistograms { histograms }
    }

    /// Records `nanos` for `metric` and `class`. Negative values (a clock read out of order
    /// across cores) count as zero. A metric this set was not built with is ignored.
    #[inline]
    pub fn record(&mut self, metric: Metric, class: FrameClass, nanos: i64) {
        if let Some(per_class) = &mut self.histograms[metric.index()] {
            per_class[class as usize].saturating_record(nanos.max(0) as u64);
        }
    }

    /// Adds another thread's histograms into these (allocates: end of run only).
    pub fn merge(&mut self, other: &LatencyHistograms) {
        for (mine, theirs) in self.histograms.iter_mut().zip(&other.histograms) {
            match (mine.as_mut(), theirs) {
                (Some(mine), Some(theirs)) => {
                    for (m, t) in mine.iter_mut().zip(theirs) {
                        // Same bounds on both sides: adding cannot fail.
                        let _ = m.add(t);
                    }
                }
                (None, Some(theirs)) => *mine = Some(theirs.clone()),
                _ => {}
            }
        }
    }

    /// Percentiles of every recorded metric, overall and per class.
    pub fn report(&self) -> LatencyReport {
        let mut metrics = Vec::new();
        for metric in Metric::ALL {
            let Some(per_class) = &self.histograms[metric.index()] else { continue };
            let mut all = new_histogram();
            for histogram in per_class {
                let _ = all.add(histogram);
            }
            metrics.push(MetricReport {
                metric: metric.name(),
                all: Percentiles::of(&all),
                by_class: FrameClass::ALL
                    .iter()
                    .zip(per_class)
                    .filter(|(_, histogram)| !histogram.is_empty())
                    .map(|(class, histogram)| (class.name(), Percentiles::of(histogram)))
                    .collect(),
            });
        }
        LatencyReport { metrics }
    }
}

fn new_histogram() -> Histogram<u32> {
    // Constant, valid bounds: construction cannot fail.
    Histogram::new_with_bounds(LOWEST_NS, HIGHEST_NS, SIGNIFICANT_DIGITS).expect("valid histogram bounds")
}

/// Percentiles of one histogram, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// Values recorded.
    pub count: u64,
    /// Median.
    pub p50_ns: u64,
    /// 90th percentile.
    pub p90_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// 99.9th percentile.
    pub p999_ns: u64,
    /// Largest value (saturates at one second).
    pub max_ns: u64,
    /// Mean.
    pub mean_ns: f64,
}

impl Percentiles {
    /// Reads them off a histogram (zeros when it is empty).
    pub fn of(histogram: &Histogram<u32>) -> Percentiles {
        if histogram.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: histogram.len(),
            p50_ns: histogram.value_at_quantile(0.50),
            p90_ns: histogram.value_at_quantile(0.90),
            p99_ns: histogram.value_at_quantile(0.99),
            p999_ns: histogram.value_at_quantile(0.999),
            max_ns: histogram.max(),
            mean_ns: histogram.mean(),
        }
    }
}

/// One metric's percentiles, overall and per frame class.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricReport {
    /// [`Metric::name`].
    pub metric: &'static str,
    /// Every frame.
    pub all: Percentiles,
    /// Per [`FrameClass::name`], classes with at least one value.
    pub by_class: Vec<(&'static str, Percentiles)>,
}

/// Every metric's percentiles.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LatencyReport {
    /// In [`Metric::ALL`] order, recorded metrics only.
    pub metrics: Vec<MetricReport>,
}

impl LatencyReport {
    /// One metric by name.
    pub fn get(&self, metric: Metric) -> Option<&MetricReport> {
        self.metrics.iter().find(|report| report.metric == metric.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_per_class_and_reports_the_union() {
        let mut feed = LatencyHistograms::new(&[Metric::Stage(Stage::Parse)]);
        let mut core = LatencyHistograms::new(&[Metric::EndToEnd]);
        for nanos in 1..=1000 {
            feed.record(Metric::Stage(Stage::Parse), FrameClass::BookTicker, nanos);
            core.record(Metric::EndToEnd, FrameClass::DepthUpdate, nanos * 10);
        }
        // Not built for it: ignored, not a panic.
        feed.record(Metric::TickToOrder, FrameClass::Trade, 5);
        feed.merge(&core);
        let report = feed.report();
        let parse = report.get(Metric::Stage(Stage::Parse)).unwrap();
        assert_eq!(parse.all.count, 1000);
        // 3 significant digits: the median of 1..=1000 reads back within 0.1 %.
        assert!((499..=501).contains(&parse.all.p50_ns), "{}", parse.all.p50_ns);
        assert_eq!(parse.by_class.len(), 1);
        assert_eq!(parse.by_class[0].0, "book_ticker");
        let end_to_end = report.get(Metric::EndToEnd).unwrap();
        assert!((9_990..=10_010).contains(&end_to_end.all.max_ns), "{}", end_to_end.all.max_ns);
        assert!(report.get(Metric::TickToOrder).is_none());
    }

    #[test]
    fn out_of_range_values_saturate_instead_of_failing() {
        let mut histograms = LatencyHistograms::new(&[Metric::EndToEnd]);
        histograms.record(Metric::EndToEnd, FrameClass::Other, -5);
        histograms.record(Metric::EndToEnd, FrameClass::Other, i64::MAX);
        let report = histograms.report();
        let all = report.get(Metric::EndToEnd).unwrap().all;
        assert_eq!(all.count, 2);
        assert!(all.max_ns >= HIGHEST_NS && all.max_ns < 2 * HIGHEST_NS);
    }

    #[test]
    fn classes_follow_binance_kinds() {
        use feeds::venue::binance::MessageKind;
        assert_eq!(FrameClass::of_binance(MessageKind::DepthUpdate.code()), FrameClass::DepthUpdate);
        assert_eq!(FrameClass::of_binance(MessageKind::AggTrade.code()), FrameClass::Trade);
        assert_eq!(FrameClass::of_binance(MessageKind::DepthSnapshot.code()), FrameClass::Other);
        assert_eq!(FrameClass::of_binance(feeds::FrameEnd::UNDECODED), FrameClass::Other);
    }
}
