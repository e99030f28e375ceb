//! The baseline pipeline: what a typical trading bot does, feeding the same quoting core.
//!
//! - **Parse**: `serde_json` into typed, owning structs (`String` prices, `Vec<[String; 2]>`
//!   levels, an internally tagged enum on `"e"`), then each decimal string to ticks and lots
//!   (exactly, with the instrument's [`Step`](feeds::Step): the core must see the same
//!   numbers), depth diffs through the same [`DepthSequencer`] into a fresh `Vec<Event>`.
//! - **Publish**: the frame's events, closed by the same [`FrameEnd`], sent as one message
//!   through a `crossbeam_channel::bounded` channel.
//! - **Core**: the same [`QuotingCore`] on a thread blocked in `recv()`.
//!
//! It produces the same events as halcyon's feed, so the two cores make the same decisions and
//! send the same order bytes: the benchmark checks that the two order digests are equal before
//! it compares a single latency.

use crate::clock::TscClock;
use crate::gateway::CountingGateway;
use crate::latency::{FrameClass, LatencyHistograms, Metric, Stage};
use crate::order::BinanceOrderEncoder;
use crate::pipeline::core::{CoreConfig, CoreOutcome, QuotingCore};
use crate::pipeline::pacing::Schedule;
use crate::pipeline::{GatewayReport, PipelineError, wait_until};
use crate::sys::affinity::{Placement, pin_current_thread};
use feeds::inspect::OwnedFrame;
use feeds::venue::binance::{DepthSequencer, DepthUpdate, MessageKind, PriceLevel, VENUE};
use feeds::{
    Bbo, Event, EventKind, FrameEnd, InstrumentId, Instruments, Lots, Nanos, Seq, Side, Ticks, Trade,
};
use serde::Deserialize;

/// Channel capacity (messages), as a bot would size it.
const CHANNEL_CAPACITY: usize = 4096;

#[derive(Deserialize)]
struct Envelope {
    #[allow(dead_code)]
    stream: String,
    data: Payload,
}

#[derive(Deserialize)]
#[serde(tag = "e")]
enum Payload {
    #[serde(rename = "depthUpdate")]
    Depth(DepthMessage),
    #[serde(rename = "bookTicker")]
    Ticker(TickerMessage),
    #[serde(rename = "trade")]
    Trade(TradeMessage),
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct DepthMessage {
    #[serde(rename = "T")]
    transaction_time: u64,
    s: String,
    #[serde(rename = "U")]
    first_update_id: u64,
    u: u64,
    pu: u64,
    b: Vec<[String; 2]>,
    a: Vec<[String; 2]>,
}

#[derive(Deserialize)]
struct TickerMessage {
    u: u64,
    s: String,
    b: String,
    #[serde(rename = "B")]
    bid_qty: String,
    a: String,
    #[serde(rename = "A")]
    ask_qty: String,
    #[serde(rename = "T")]
    transaction_time: u64,
}

#[derive(Deserialize)]
struct TradeMessage {
    #[serde(rename = "T")]
    transaction_time: u64,
    s: String,
    t: u64,
    p: String,
    q: String,
    m: bool,
    #[serde(rename = "X")]
    order_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotMessage {
    last_update_id: u64,
    #[serde(rename = "T")]
    transaction_time: Option<u64>,
    bids: Vec<[String; 2]>,
    asks: Vec<[String; 2]>,
}

/// One frame's events on the channel.
struct ChannelFrame {
    events: Vec<Event>,
}

/// The baseline's feed side: typed parse and conversion.
struct BaselineFeed {
    instruments: Instruments,
    sequencers: Vec<DepthSequencer>,
    last_depth_instrument: Option<InstrumentId>,
}

/// Why a frame did not convert (counted, not fatal).
struct Unparsed;

impl BaselineFeed {
    fn new(instruments: Instruments) -> BaselineFeed {
        let sequencers = instruments.iter().map(|(id, _)| DepthSequencer::new(id)).collect();
        BaselineFeed { instruments, sequencers, last_depth_instrument: None }
    }

    /// Parses one frame into `events`; returns the frame kind code, instrument and time.
    fn frame(
        &mut self,
        payload: &[u8],
        receive_time: Nanos,
        events: &mut Vec<Event>,
    ) -> Result<(u8, InstrumentId, Nanos), Unparsed> {
        if let Ok(envelope) = serde_json::from_slice::<Envelope>(payload) {
            return self.payload(envelope.data, receive_time, events);
        }
        let snapshot: SnapshotMessage = serde_json::from_slice(payload).map_err(|_| Unparsed)?;
        let instrument = self.last_depth_instrument.or(self.only_instrument()).ok_or(Unparsed)?;
        let (tick, lot) = self.steps(instrument)?;
        let bids = levels(&snapshot.bids, tick, lot)?;
        let asks = levels(&snapshot.asks, tick, lot)?;
        let exchange_time = snapshot.transaction_time.map(millis).unwrap_or(Nanos(0));
        let snapshot = feeds::venue::binance::DepthSnapshot {
            instrument,
            exchange_time,
            receive_time,
            last_update_id: Seq(snapshot.last_update_id),
            bids: &bids,
            asks: &asks,
        };
        self.sequencers[instrument.index()].on_snapshot(&snapshot, events);
        Ok((MessageKind::DepthSnapshot.code(), instrument, exchange_time))
    }

    fn payload(
        &mut self,
        payload: Payload,
        receive_time: Nanos,
        events: &mut Vec<Event>,
    ) -> Result<(u8, InstrumentId, Nanos), Unparsed> {
        match payload {
            Payload::Depth(depth) => {
                let instrument = self.instrument(&depth.s)?;
                let (tick, lot) = self.steps(instrument)?;
                let bids = levels(&depth.b, tick, lot)?;
                let asks = levels(&depth.a, tick, lot)?;
                let exchange_time = millis(depth.transaction_time);
                let diff = DepthUpdate {
                    instrument,
                    exchange_time,
                    receive_time,
                    first_update_id: Seq(depth.first_update_id),
                    last_update_id: Seq(depth.u),
                    prev_last_update_id: Seq(depth.pu),
                    bids: &bids,
                    asks: &asks,
                };
                self.last_depth_instrument = Some(instrument);
                self.sequencers[instrument.index()].on_diff(&diff, events);
                Ok((MessageKind::DepthUpdate.code(), instrument, exchange_time))
            }
            Payload::Ticker(ticker) => {
                let instrument = self.instrument(&ticker.s)?;
                let (tick, lot) = self.steps(instrument)?;
                let bbo = Bbo {
                    bid: Ticks(number(&ticker.b, tick)?),
                    bid_qty: Lots(number(&ticker.bid_qty, lot)?),
                    ask: Ticks(number(&ticker.a, tick)?),
                    ask_qty: Lots(number(&ticker.ask_qty, lot)?),
                };
                let exchange_time = millis(ticker.transaction_time);
                events.push(Event::new(
                    exchange_time,
                    receive_time,
                    Seq(ticker.u),
                    instrument,
                    EventKind::Bbo(bbo),
                ));
                Ok((MessageKind::BookTicker.code(), instrument, exchange_time))
            }
            Payload::Trade(trade) => {
                let instrument = self.instrument(&trade.s)?;
                let (tick, lot) = self.steps(instrument)?;
                let forced =
                    matches!(trade.order_type.as_deref(), Some("LIQUIDATION" | "INSURANCE_FUND" | "ADL"));
                let body = Trade {
                    price: Ticks(number(&trade.p, tick)?),
                    qty: Lots(number(&trade.q, lot)?),
                    aggressor: if trade.m { Side::Ask } else { Side::Bid },
                    aggregated: false,
                    forced,
                };
                let exchange_time = millis(trade.transaction_time);
                events.push(Event::new(
                    exchange_time,
                    receive_time,
                    Seq(trade.t),
                    instrument,
                    EventKind::Trade(body),
                ));
                Ok((MessageKind::Trade.code(), instrument, exchange_time))
            }
            Payload::Other => Err(Unparsed),
        }
    }

    fn instrument(&self, symbol: &str) -> Result<InstrumentId, Unparsed> {
        self.instruments.find(VENUE, symbol).ok_or(Unparsed)
    }

    fn only_instrument(&self) -> Option<InstrumentId> {
        let mut ids = self.instruments.iter().filter(|(_, spec)| spec.venue == VENUE).map(|(id, _)| id);
        match (ids.next(), ids.next()) {
            (Some(id), None) => Some(id),
            _ => None,
        }
    }

    fn steps(&self, instrument: InstrumentId) -> Result<(feeds::Step, feeds::Step), Unparsed> {
        let spec = self.instruments.get(instrument).ok_or(Unparsed)?;
        Ok((spec.tick, spec.lot))
    }
}

fn millis(value: u64) -> Nanos {
    Nanos(value as i64 * 1_000_000)
}

fn number(text: &str, step: feeds::Step) -> Result<i64, Unparsed> {
    step.parse(text.as_bytes()).map_err(|_| Unparsed)
}

fn levels(raw: &[[String; 2]], tick: feeds::Step, lot: feeds::Step) -> Result<Vec<PriceLevel>, Unparsed> {
    raw.iter()
        .map(|[price, qty]| {
            Ok(PriceLevel { price: Ticks(number(price, tick)?), qty: Lots(number(qty, lot)?) })
        })
        .collect()
}

/// What the baseline run produced.
pub struct BaselineOutcome {
    /// Frames sent.
    pub frames: u64,
    /// Frames the typed parse rejected.
    pub unparsed: u64,
    /// Latency histograms (feed and core merged).
    pub histograms: LatencyHistograms,
    /// Core counters.
    pub core: crate::pipeline::core::CoreStats,
    /// Order messages.
    pub orders: GatewayReport,
}

/// Runs the baseline over `frames` with the same schedule, placement and core configuration as
/// halcyon's run.
pub fn run_baseline(
    frames: &[OwnedFrame],
    schedule: &Schedule,
    instruments: &Instruments,
    core_config: &CoreConfig,
    encoder: BinanceOrderEncoder,
    placement: &Placement,
    clock: &TscClock,
) -> Result<BaselineOutcome, PipelineError> {
    let (sender, receiver) = crossbeam_channel::bounded::<ChannelFrame>(CHANNEL_CAPACITY);
    let core = QuotingCore::new(core_config, instruments, encoder, CountingGateway::new(), clock.clone());
    let (feed_core, quoting_core) = (placement.cores[0], placement.cores[1]);
    let warmup = core_config.warmup_frames;
    std::thread::scope(|scope| {
        let core_thread = std::thread::Builder::new()
            .name("baseline-core".into())
            .spawn_scoped(scope, move || {
                if let Some(cpu) = quoting_core {
                    pin_current_thread(cpu);
                }
                let mut core = core;
                for message in receiver {
                    for event in &message.events {
                        core.on_event(event);
                    }
                }
                core.finish()
            })
            .map_err(|source| PipelineError::Spawn { name: "baseline core", source })?;
        let feed_clock = clock.clone();
        let feed_thread = std::thread::Builder::new()
            .name("baseline-feed".into())
            .spawn_scoped(scope, move || {
                if let Some(cpu) = feed_core {
                    pin_current_thread(cpu);
                }
                let spin = feed_core.is_some();
                let mut feed = BaselineFeed::new(instruments.clone());
                let mut histograms =
                    LatencyHistograms::new(&[Metric::Stage(Stage::Parse), Metric::Stage(Stage::Publish)]);
                let mut unparsed = 0;
                let start = feed_clock.now().0;
                for (index, frame) in frames.iter().enumerate() {
                    // The same pacing as halcyon's feed.
                    wait_until(&feed_clock, start + schedule.offset(index), spin);
                    // The same copy halcyon's feed makes (the socket read).
                    let bytes = frame.payload.clone();
                    let in_hand = feed_clock.now();
                    let mut events = Vec::new();
                    let (frame_kind, instrument, exchange_time) =
                        match feed.frame(&bytes, frame.receive_time, &mut events) {
                            Ok(parsed) => parsed,
                            Err(Unparsed) => {
                                unparsed += 1;
                                (FrameEnd::UNDECODED, InstrumentId(0), Nanos(0))
                            }
                        };
                    let parsed = feed_clock.now();
                    let count = events.len() as u32;
                    let published = feed_clock.now();
                    let end = FrameEnd { frame_kind, events: count, in_hand, parsed, published };
                    events.push(Event::new(
                        exchange_time,
                        frame.receive_time,
                        Seq(0),
                        instrument,
                        EventKind::FrameEnd(end),
                    ));
                    if sender.send(ChannelFrame { events }).is_err() {
                        break;
                    }
                    if index as u64 >= warmup {
                        let class = FrameClass::of_binance(frame_kind);
                        histograms.record(Metric::Stage(Stage::Parse), class, parsed.0 - in_hand.0);
                        histograms.record(Metric::Stage(Stage::Publish), class, published.0 - parsed.0);
                    }
                }
                drop(sender);
                (frames.len() as u64, unparsed, histograms)
            })
            .map_err(|source| PipelineError::Spawn { name: "baseline feed", source })?;
        let (sent, unparsed, feed_histograms) =
            feed_thread.join().map_err(|_| PipelineError::Panicked("baseline feed"))?;
        let CoreOutcome { stats, mut histograms, gateway, .. } =
            core_thread.join().map_err(|_| PipelineError::Panicked("baseline core"))?;
        histograms.merge(&feed_histograms);
        Ok(BaselineOutcome { frames: sent, unparsed, histograms, core: stats, orders: gateway.into() })
    })
}
