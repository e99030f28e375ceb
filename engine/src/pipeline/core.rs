//! The quoting core: book → signals → fair value → spread policy → quotes → risk gate → order
//! actions → order bytes, once per frame.
//!
//! [`QuotingCore::on_event`] takes the ring's events in order. Book events update the
//! instrument's [`OrderBook`]; every event updates the strategy's signals and the risk gate's
//! view. A [`FrameEnd`] closes the frame: the core asks the strategy for quotes, puts each side
//! through the [`RiskGate`] (only an [`Approved`](risk::Approved) intent can rest an order),
//! diffs the approved quotes against our resting orders ([`OrderManager`]), encodes each action
//! as a signed Binance order message and hands it to the [`Gateway`].
//!
//! The core's time is event time (the exchange's timestamps): order messages carry the frame's
//! exchange time, so a replay of the same frames produces the same bytes. The [`TscClock`] is
//! read only for the latency stamps, which never influence a decision.
//!
//! Instruments the configuration does not quote are passed over (no book is kept for them).

use crate::clock::TscClock;
use crate::gateway::Gateway;
use crate::latency::{FrameClass, LatencyHistograms, Metric, Stage};
use crate::order::{ActionBuffer, BinanceOrderEncoder, OrderManager};
use feeds::{Event, EventKind, FrameEnd, InstrumentId, Instruments, Lots, Nanos, OrderBook, Side};
use risk::{MarketContext, OrderIntent, RiskGate, RiskLimits, Verdict};
use strategy::{ConfiguredQuoter, QuoteLevel, RiskAdjust, StrategyConfig};

/// What the quoting core needs to know, validated.
#[derive(Clone, Debug)]
pub struct CoreConfig {
    /// Instruments to quote (ids in the registry).
    pub quote: Vec<InstrumentId>,
    /// Strategy parameters.
    pub strategy: StrategyConfig,
    /// Risk limits.
    pub risk: RiskLimits,
    /// Re-quote a side only when its price moves by at least this many ticks (or its size
    /// changes).
    pub min_reprice_ticks: i64,
    /// Prefix of our client order ids, so a restarted engine recognises its own orders.
    pub client_id_prefix: u32,
    /// Frames handled before latencies are recorded.
    pub warmup_frames: u64,
}

/// Counters of the quoting core.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CoreStats {
    /// Events taken from the ring, `FrameEnd`s included.
    pub events: u64,
    /// Frames closed (one `FrameEnd` each).
    pub frames: u64,
    /// Quote decisions made (frames of quoted instruments).
    pub decisions: u64,
    /// Decisions that changed our resting orders.
    pub decisions_with_orders: u64,
    /// Order actions: new orders.
    pub new_orders: u64,
    /// Order actions: cancels.
    pub cancels: u64,
    /// Order actions: replaces.
    pub replaces: u64,
    /// Intents the risk gate rejected.
    pub rejected: u64,
    /// Book events the book refused (each makes it untrusted until the next snapshot).
    pub book_errors: u64,
    /// Actions that could not be encoded (never sent).
    pub encode_errors: u64,
}

/// One quoted instrument's state.
struct Quoted {
    instrument: InstrumentId,
    book: OrderBook,
    quoter: ConfiguredQuoter,
    position: Lots,
}

/// The quoting core. Owns its books, strategy, risk gate, orders and gateway; runs on one
/// thread.
pub struct QuotingCore<Venue: Gateway> {
    /// Index into `quoted` by instrument id; `usize::MAX` for instruments not quoted.
    slot_of: Vec<usize>,
    quoted: Vec<Quoted>,
    risk: RiskGate,
    orders: OrderManager,
    actions: ActionBuffer,
    encoder: BinanceOrderEncoder,
    gateway: Venue,
    clock: TscClock,
    histograms: LatencyHistograms,
    stats: CoreStats,
    /// When the current frame's first event was consumed; `None` between frames.
    consumed: Option<Nanos>,
    next_request_id: u64,
    warmup: u64,
}

/// Book capacity per side beyond the dense window (levels).
const BOOK_LEVELS: usize = 8192;

impl<Venue: Gateway> QuotingCore<Venue> {
    /// A core quoting `config.quote` from the instruments of `instruments`, signing with
    /// `encoder`, sending to `gateway`. Allocates everything it will ever need.
    pub fn new(
        config: &CoreConfig,
        instruments: &Instruments,
        encoder: BinanceOrderEncoder,
        gateway: Venue,
        clock: TscClock,
    ) -> QuotingCore<Venue> {
        let mut slot_of = vec![usize::MAX; instruments.len()];
        let mut quoted = Vec::with_capacity(config.quote.len());
        for &instrument in &config.quote {
            let Some(spec) = instruments.get(instrument) else { continue };
            if slot_of[instrument.index()] != usize::MAX {
                continue;
            }
            slot_of[instrument.index()] = quoted.len();
            quoted.push(Quoted {
                instrument,
                book: OrderBook::with_capacity(BOOK_LEVELS),
                quoter: ConfiguredQuoter::from_config(config.strategy, spec.tick, spec.lot),
                position: Lots(0),
            });
        }
        QuotingCore {
            slot_of,
            quoted,
            risk: RiskGate::new(config.risk),
            orders: OrderManager::new(instruments.len(), config.client_id_prefix)
                .with_min_reprice_ticks(feeds::Ticks(config.min_reprice_ticks)),
            actions: ActionBuffer::new(),
            encoder,
            gateway,
            clock,
            histograms: LatencyHistograms::new(&[
                Metric::Stage(Stage::Hop),
                Metric::Stage(Stage::Apply),
                Metric::Stage(Stage::Decide),
                Metric::Stage(Stage::Encode),
                Metric::EndToEnd,
                Metric::TickToOrder,
            ]),
            stats: CoreStats::default(),
            consumed: None,
            next_request_id: 1,
            warmup: config.warmup_frames,
        }
    }

    /// Takes one event from the ring.
    #[inline]
    pub fn on_event(&mut self, event: &Event) {
        if self.consumed.is_none() {
            self.consumed = Some(self.clock.now());
        }
        self.stats.events += 1;
        let kind = event.kind();
        if let EventKind::FrameEnd(end) = kind {
            self.close_frame(event, end);
            return;
        }
        self.risk.on_event(event);
        let Some(&slot) = self.slot_of.get(event.instrument.index()) else { return };
        let Some(quoted) = self.quoted.get_mut(slot) else { return };
        if matches!(kind, EventKind::BookLevel(_) | EventKind::BookClear(_) | EventKind::FeedStatus(_))
            && quoted.book.apply(event).is_err()
        {
            self.stats.book_errors += 1;
        }
        quoted.quoter.on_event(event, &quoted.book);
    }

    /// A frame is complete: decide, diff, encode, send; record its latencies.
    fn close_frame(&mut self, event: &Event, end: FrameEnd) {
        self.stats.frames += 1;
        let consumed = self.consumed.take().unwrap_or(end.published);
        let applied = self.clock.now();
        let mut decided = applied;
        let mut sent = false;
        let slot = self.slot_of.get(event.instrument.index()).copied().unwrap_or(usize::MAX);
        // A frame that produced no event (ignored kind, buffered or stale diff, undecodable)
        // changed nothing to decide on; its FrameEnd still carries the quoted instrument's id 0
        // by default, so it must not be taken for one of its frames.
        if slot < self.quoted.len() && end.events > 0 {
            self.decide(slot, event.exchange_time);
            decided = self.clock.now();
            sent = self.send(event.exchange_time);
        }
        let done = if sent { self.clock.now() } else { decided };
        if self.warmup > 0 {
            self.warmup -= 1;
            return;
        }
        let class = FrameClass::of_binance(end.frame_kind);
        let histograms = &mut self.histograms;
        histograms.record(Metric::Stage(Stage::Hop), class, consumed.0 - end.published.0);
        histograms.record(Metric::Stage(Stage::Apply), class, applied.0 - consumed.0);
        histograms.record(Metric::Stage(Stage::Decide), class, decided.0 - applied.0);
        if sent {
            histograms.record(Metric::Stage(Stage::Encode), class, done.0 - decided.0);
            histograms.record(Metric::TickToOrder, class, done.0 - end.in_hand.0);
        }
        histograms.record(Metric::EndToEnd, class, done.0 - end.in_hand.0);
    }

    /// Quotes → risk → order diff for one instrument; leaves the actions in `self.actions`.
    fn decide(&mut self, slot: usize, now: Nanos) {
        self.stats.decisions += 1;
        let quoted = &mut self.quoted[slot];
        // The risk gate's state machine (cascade detector) does not yet ask for wider or smaller
        // quotes; until it does, every decision is made in the calm state.
        let quotes = quoted.quoter.quote(&quoted.book, quoted.position, RiskAdjust::CALM);
        let market = MarketContext {
            book_trusted: quoted.book.is_trusted(),
            now,
            fair_value: quoted.quoter.last_fair_value().unwrap_or(f64::NAN),
            position: quoted.position,
        };
        let instrument = quoted.instrument;
        let mut approve = |side: Side, level: Option<QuoteLevel>| {
            let level = level?;
            let intent = OrderIntent { instrument, side, price: level.price, qty: level.qty };
            match self.risk.check(intent, &market) {
                Verdict::Approve(approved) => Some(approved),
                Verdict::Reject(_) => {
                    self.stats.rejected += 1;
                    None
                }
            }
        };
        let bid = approve(Side::Bid, quotes.bid);
        let ask = approve(Side::Ask, quotes.ask);
        self.actions.clear();
        self.orders.reconcile(instrument, bid, ask, &mut self.actions);
    }

    /// Encodes and sends the pending actions; true if any was sent.
    fn send(&mut self, now: Nanos) -> bool {
        if self.actions.is_empty() {
            return false;
        }
        self.stats.decisions_with_orders += 1;
        let timestamp_ms = now.0 / 1_000_000;
        let mut sent = false;
        for action in self.actions.iter() {
            match action {
                crate::order::OrderAction::New(_) => self.stats.new_orders += 1,
                crate::order::OrderAction::Cancel(_) => self.stats.cancels += 1,
                crate::order::OrderAction::Replace { .. } => self.stats.replaces += 1,
            }
            let request_id = self.next_request_id;
            self.next_request_id += 1;
            match self.encoder.encode(action, request_id, timestamp_ms) {
                Ok(message) => {
                    self.gateway.send(action, message);
                    sent = true;
                }
                Err(_) => self.stats.encode_errors += 1,
            }
        }
        sent
    }

    /// Counters so far.
    pub fn stats(&self) -> CoreStats {
        self.stats
    }

    /// The gateway (to read its counters).
    pub fn gateway(&self) -> &Venue {
        &self.gateway
    }

    /// Ends the core, keeping what a report needs.
    pub fn finish(self) -> CoreOutcome<Venue> {
        CoreOutcome { stats: self.stats, histograms: self.histograms, gateway: self.gateway }
    }
}

/// What a finished core leaves behind.
pub struct CoreOutcome<Venue> {
    /// Counters.
    pub stats: CoreStats,
    /// Hop, apply, decide, encode, end-to-end and tick-to-order histograms.
    pub histograms: LatencyHistograms,
    /// The gateway, with whatever it counted.
    pub gateway: Venue,
}
