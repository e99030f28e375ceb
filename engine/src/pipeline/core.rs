//! The quoting core: book → signals → cascade state → fair value → spread policy → quotes →
//! risk gate → order actions (within the order-rate budget) → order bytes, once per frame.
//!
//! [`QuotingCore::on_event`] takes the ring's events in order. Book events update the
//! instrument's [`OrderBook`]; every event updates the strategy's signals, the risk gate's view
//! (feed health, lag, staleness) and the cascade detector's signals. A [`FrameEnd`] closes the
//! frame: the cascade detector takes one step (book depth and spread, the strategy's volatility
//! and toxicity, liquidations, open interest, funding and basis) and says how wide and how big
//! to quote, or not at all (CASCADE); the strategy builds the quotes; each side goes through
//! the [`RiskGate`] (only an [`Approved`](risk::Approved) intent can rest an order); the
//! approved quotes are diffed against our resting orders ([`OrderManager`]), each new order or
//! replace asking the account's [`OrderRateBudget`] first (cancels are never held back); each
//! action is encoded as a signed Binance order message and handed to the [`Gateway`].
//!
//! A kill switch thrown by anything a frame carried (a stale feed beyond its limit, a loss, a
//! cascade with `kill_on_cascade`) makes every check fail in the same pass, so whatever rests
//! is cancelled in the pass that saw the trigger; [`QuotingCore::kill`] cancels before it
//! returns.
//!
//! The core's time is event time (the exchange's timestamps): order messages carry the frame's
//! exchange time, so a replay of the same frames produces the same bytes. The [`TscClock`] is
//! read only for the latency stamps, which never influence a decision.
//!
//! Instruments the configuration does not quote are passed over (no book is kept for them).

use crate::account::Account;
use crate::clock::TscClock;
use crate::gateway::{ExecutionReport, Fill, Gateway};
use crate::latency::{FrameClass, LatencyHistograms, Metric, Stage};
use crate::order::{ActionBuffer, BinanceOrderEncoder, OrderManager};
use feeds::{Event, EventKind, FrameEnd, InstrumentId, Instruments, Nanos, OrderBook, Side};
use risk::cascade::config::CascadeConfig;
use risk::cascade::detector::CascadeDetector;
use risk::cascade::signals::CascadeSignals;
use risk::cascade::{CascadeState, Transition};
use risk::{ActionKind, MarketContext, OrderIntent, OrderRateBudget, Reason, RiskGate, RiskLimits, Verdict};
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
    /// The cascade detector and its signals.
    pub cascade: CascadeConfig,
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
    /// Actions the order-rate budget held back (retried at the next decision).
    pub rate_limited: u64,
    /// Decisions made with the cascade detector in CASCADE (nothing quoted).
    pub cascade_decisions: u64,
    /// Steps of the cascade detectors.
    pub cascade_evaluations: u64,
    /// State changes of the cascade detectors.
    pub cascade_transitions: u64,
    /// Times a kill switch was thrown (manual or automatic).
    pub kills: u64,
    /// Book events the book refused (each makes it untrusted until the next snapshot).
    pub book_errors: u64,
    /// Actions that could not be encoded (never sent).
    pub encode_errors: u64,
    /// Executions of our orders the venue reported.
    pub fills: u64,
    /// Actions the venue confirmed.
    pub venue_acks: u64,
    /// Actions the venue refused (a post-only order that would cross, a cancel that raced a
    /// fill).
    pub venue_rejects: u64,
    /// Reports for an instrument this core does not quote (ignored).
    pub stray_reports: u64,
}

/// One quoted instrument's state.
struct Quoted {
    instrument: InstrumentId,
    book: OrderBook,
    quoter: ConfiguredQuoter,
    /// Pre-trade checks, data guards and the kill switch, for this instrument.
    risk: RiskGate,
    /// The cascade loop's signals and state machine.
    signals: CascadeSignals,
    detector: CascadeDetector,
    /// The last state change, for reports.
    last_transition: Option<Transition>,
    /// The instrument's lot step (the tick is the quoter's).
    lot: feeds::Step,
    /// Event time of the next scheduled cascade-detector step.
    next_evaluation: Nanos,
    /// A frame carried an event the cascade signals react to: step the detector now.
    cascade_event: bool,
    /// Position, cash and fees from the venue's fills.
    account: Account,
}

/// Depth band of the cascade detector's book-withdrawal signal, basis points each side of the
/// mid.
const DEPTH_BAND_BPS: u32 = 10;

/// The quoting core. Owns its books, strategy, risk gate, orders and gateway; runs on one
/// thread.
pub struct QuotingCore<Venue: Gateway> {
    /// Index into `quoted` by instrument id; `usize::MAX` for instruments not quoted.
    slot_of: Vec<usize>,
    quoted: Vec<Quoted>,
    /// The account's order-rate budget (the venue counts orders per account).
    budget: OrderRateBudget,
    /// Event time between scheduled cascade-detector steps, nanoseconds.
    evaluation_interval: i64,
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
    /// Whether frames are timed (latency stamps and histograms).
    timed: bool,
    /// Quoting paused by the operator: nothing is quoted until resumed (not latched like a
    /// kill).
    paused: bool,
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
                risk: RiskGate::for_instrument(config.risk, spec),
                signals: CascadeSignals::new(&config.cascade.signals, spec.tick.to_f64(), spec.lot.to_f64()),
                detector: CascadeDetector::new(config.cascade),
                last_transition: None,
                lot: spec.lot,
                next_evaluation: Nanos(i64::MIN),
                cascade_event: false,
                account: Account::new(spec.tick, spec.lot),
            });
        }
        QuotingCore {
            slot_of,
            quoted,
            budget: OrderRateBudget::new(config.risk.rate),
            evaluation_interval: i64::from(config.cascade.evaluation_interval_ms) * Nanos::PER_MILLI,
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
            timed: true,
            paused: false,
        }
    }

    /// The same core without latency stamps: no clock read and no histogram per frame, the
    /// same decisions, orders and digest. For backtests, where throughput is what is measured
    /// and a thread hand-off latency does not exist.
    pub fn untimed(mut self) -> QuotingCore<Venue> {
        self.timed = false;
        self
    }

    /// Takes one event from the ring.
    #[inline]
    pub fn on_event(&mut self, event: &Event) {
        if let EventKind::FrameEnd(end) = event.kind()
            && end.frame_kind == FrameEnd::HEARTBEAT
        {
            return;
        }
        if self.timed && self.consumed.is_none() {
            self.consumed = Some(self.clock.now());
        }
        self.stats.events += 1;
        self.gateway.on_market(event);
        while let Some(report) = self.gateway.poll_report() {
            self.on_report(report, event.exchange_time);
        }
        let kind = event.kind();
        if let EventKind::FrameEnd(end) = kind {
            self.close_frame(event, end);
            return;
        }
        let Some(&slot) = self.slot_of.get(event.instrument.index()) else { return };
        let Some(quoted) = self.quoted.get_mut(slot) else { return };
        quoted.risk.on_event(event);
        quoted.signals.on_event(event);
        quoted.cascade_event |= matches!(
            kind,
            EventKind::Liquidation(_)
                | EventKind::OpenInterest(_)
                | EventKind::MarkPrice(_)
                | EventKind::Options(_)
                | EventKind::FeedStatus(_)
        );
        if matches!(kind, EventKind::BookLevel(_) | EventKind::BookClear(_) | EventKind::FeedStatus(_))
            && quoted.book.apply(event).is_err()
        {
            self.stats.book_errors += 1;
        }
        quoted.quoter.on_event(event, &quoted.book);
    }

    /// One answer of the venue: a fill moves the position, the account and the strategy's
    /// markout view, and the order manager's open quantity; an ack marks the order; a refusal
    /// makes the order manager forget the order (and cancel what a refused amendment may have
    /// left), so the next decision places afresh.
    fn on_report(&mut self, report: ExecutionReport, now: Nanos) {
        match report {
            ExecutionReport::Filled(fill) => self.on_fill(&fill),
            ExecutionReport::Accepted { action, .. } => {
                self.stats.venue_acks += 1;
                self.orders.on_ack(&action);
            }
            ExecutionReport::Rejected { action, .. } => {
                self.stats.venue_rejects += 1;
                self.actions.clear();
                if self.orders.on_reject(&action, &mut self.actions).is_ok() {
                    self.send(now);
                }
            }
        }
    }

    fn on_fill(&mut self, fill: &Fill) {
        let Some(quoted) =
            self.slot_of.get(fill.instrument.index()).and_then(|&slot| self.quoted.get_mut(slot))
        else {
            self.stats.stray_reports += 1;
            return;
        };
        self.stats.fills += 1;
        self.orders.on_fill(fill.client_id, fill.qty);
        quoted.account.apply(fill);
        quoted.quoter.on_own_fill(fill.time, fill.side, fill.price, fill.qty);
    }

    /// A frame is complete: decide, diff, encode, send; record its latencies.
    fn close_frame(&mut self, event: &Event, end: FrameEnd) {
        self.stats.frames += 1;
        if !self.timed {
            self.close_frame_untimed(event, end);
            return;
        }
        let consumed = self.consumed.take().unwrap_or(end.published);
        let applied = self.clock.now();
        let mut decided = applied;
        let mut sent = false;
        let slot = self.slot_of.get(event.instrument.index()).copied().unwrap_or(usize::MAX);
        // A frame that produced no event (ignored kind, buffered or stale diff, undecodable)
        // changed nothing to decide on; its FrameEnd still carries the quoted instrument's id 0
        // by default, so it must not be taken for one of its frames.
        let decides = slot < self.quoted.len() && end.events > 0;
        if decides {
            self.decide(slot, event.exchange_time);
            decided = self.clock.now();
            sent = self.send(event.exchange_time);
        }
        let done = if sent { self.clock.now() } else { decided };
        if decides {
            // Off the frame's critical path: its orders are out.
            self.scheduled_cascade_step(slot, event.exchange_time);
        }
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

    /// [`close_frame`](Self::close_frame) without the clock: the same decisions and orders.
    fn close_frame_untimed(&mut self, event: &Event, end: FrameEnd) {
        let slot = self.slot_of.get(event.instrument.index()).copied().unwrap_or(usize::MAX);
        if slot < self.quoted.len() && end.events > 0 {
            self.decide(slot, event.exchange_time);
            self.send(event.exchange_time);
            self.scheduled_cascade_step(slot, event.exchange_time);
        }
    }

    /// Signals → cascade state → quotes → risk → order diff (within the rate budget) for one
    /// instrument; leaves the actions in `self.actions`.
    ///
    /// A kill switch thrown by anything this frame carried (a loss, a stale feed, a cascade
    /// with `kill_on_cascade`) makes every check fail with [`Reason::Killed`], so the diff in
    /// this same pass cancels whatever rests: cancel-all is one pass of the core loop away from
    /// the event that triggered it.
    fn decide(&mut self, slot: usize, now: Nanos) {
        self.stats.decisions += 1;
        let quoted = &mut self.quoted[slot];
        let instrument = quoted.instrument;

        // A frame that carried a liquidation, open interest, a mark price or a feed status
        // steps the cascade detector before deciding: hard triggers are never delayed. The
        // scheduled steps (every `evaluation_interval` of event time, for the book's depth and
        // spread and the strategy's volatility and toxicity) run after the frame's orders are
        // sent, in `scheduled_cascade_step`.
        if quoted.cascade_event {
            quoted.cascade_event = false;
            self.stats.cascade_evaluations += 1;
            Self::evaluate_cascade(quoted, now, &mut self.stats);
        }
        let position = quoted.account.position();
        if quoted.account.fills() > 0
            && let Some(top) = quoted.quoter.signals().top
        {
            quoted.risk.on_pnl(now, quoted.account.pnl_f64(top.mid()));
        }
        let adjust = quoted.detector.adjust(now);
        let risk = RiskAdjust {
            spread_multiplier: adjust.spread_multiplier,
            size_multiplier: adjust.size_multiplier,
        };
        let quotes = if self.paused {
            strategy::Quotes::NONE
        } else if adjust.quoting {
            quoted.quoter.quote(&quoted.book, position, risk)
        } else {
            self.stats.cascade_decisions += 1;
            strategy::Quotes::NONE
        };
        quoted.risk.on_open_orders(self.orders.open_orders(instrument));
        let market = MarketContext {
            book_trusted: quoted.book.is_trusted(),
            now,
            fair_value: quoted.quoter.last_fair_value().unwrap_or(f64::NAN),
            position,
        };
        let gate = &mut quoted.risk;
        let stats = &mut self.stats;
        let mut approve = |side: Side, level: Option<QuoteLevel>| {
            let level = level?;
            let intent = OrderIntent { instrument, side, price: level.price, qty: level.qty };
            match gate.check(intent, &market) {
                Verdict::Approve(approved) => Some(approved),
                Verdict::Reject(_) => {
                    stats.rejected += 1;
                    None
                }
            }
        };
        let bid = approve(Side::Bid, quotes.bid);
        let ask = approve(Side::Ask, quotes.ask);
        self.actions.clear();
        let budget = &mut self.budget;
        let rate_limited = &mut self.stats.rate_limited;
        self.orders.reconcile_within(instrument, bid, ask, &mut self.actions, |kind: ActionKind| {
            let granted = budget.try_acquire(now, kind);
            *rate_limited += u64::from(!granted);
            granted
        });
    }

    /// The cascade detector's scheduled step for the instrument in `slot`, if one is due at
    /// `now`: every `evaluation_interval` of event time. Entering CASCADE cancels whatever rests
    /// at once (no quote lives in CASCADE); WARNING's and COOLDOWN's wider, smaller quotes show
    /// from the next decision on.
    fn scheduled_cascade_step(&mut self, slot: usize, now: Nanos) {
        let quoted = &mut self.quoted[slot];
        if now < quoted.next_evaluation {
            return;
        }
        let interval = self.evaluation_interval;
        quoted.next_evaluation = Nanos(now.0 - now.0.rem_euclid(interval) + interval);
        self.stats.cascade_evaluations += 1;
        let before = quoted.detector.state();
        Self::evaluate_cascade(quoted, now, &mut self.stats);
        if before != CascadeState::Cascade && quoted.detector.state() == CascadeState::Cascade {
            let instrument = quoted.instrument;
            self.stats.cascade_decisions += 1;
            self.actions.clear();
            self.orders.cancel_all(instrument, &mut self.actions);
            self.send(now);
        }
    }

    /// One step of `quoted`'s cascade detector at `now`, from the book and the strategy's
    /// signals; a transition into CASCADE with `kill_on_cascade` throws the kill switch.
    fn evaluate_cascade(quoted: &mut Quoted, now: Nanos, stats: &mut CoreStats) {
        let instrument = quoted.instrument;
        let signals = quoted.quoter.signals();
        if let (true, Some(top)) = (quoted.book.is_trusted(), signals.top) {
            let depth = quoted.book.depth_within_bps(DEPTH_BAND_BPS);
            let mid = top.mid();
            let (tick, lot) = (quoted.quoter.tick(), quoted.lot);
            let notional =
                depth.bid.notional.to_quote_f64(tick, lot) + depth.ask.notional.to_quote_f64(tick, lot);
            let spread_bps = (top.ask.0 - top.bid.0) as f64 / mid * 1e4;
            quoted.signals.on_book(now, notional, spread_bps, mid);
        }
        quoted.signals.on_strategy(now, signals.volatility.ratio, signals.toxicity.value);
        if let Some(transition) = quoted.detector.update(&quoted.signals.inputs(now)) {
            stats.cascade_transitions += 1;
            if quoted.detector.throws_kill_switch(&transition) && !quoted.risk.is_killed() {
                quoted.risk.kill_at(now, Reason::Cascade);
                stats.kills += 1;
            }
            tracing::info!(
                instrument = instrument.index(),
                from = transition.from.name(),
                to = transition.to.name(),
                score = transition.score,
                "cascade detector"
            );
            quoted.last_transition = Some(transition);
        }
    }

    /// Throws the kill switch of every quoted instrument (manual kill: the API, a signal) and
    /// cancels everything resting, now: the cancels are encoded and sent before this returns.
    /// Latched until [`QuotingCore::reset_kill`].
    pub fn kill(&mut self, now: Nanos, reason: Reason) {
        for quoted in &mut self.quoted {
            if !quoted.risk.is_killed() {
                quoted.risk.kill_at(now, reason);
                self.stats.kills += 1;
            }
        }
        self.actions.clear();
        for quoted in &self.quoted {
            self.orders.cancel_all(quoted.instrument, &mut self.actions);
        }
        self.send(now);
    }

    /// Pauses quoting (the operator's `pause`): everything resting is cancelled now and
    /// nothing is quoted until [`resume`](Self::resume). Unlike a kill it is not a risk event
    /// and needs no reset.
    pub fn pause(&mut self, now: Nanos) {
        self.paused = true;
        self.actions.clear();
        for quoted in &self.quoted {
            self.orders.cancel_all(quoted.instrument, &mut self.actions);
        }
        self.send(now);
    }

    /// Resumes quoting after [`pause`](Self::pause), from the next decision (a latched kill
    /// still holds until reset).
    pub fn resume(&mut self) {
        self.paused = false;
    }

    /// Whether quoting is paused.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Whether any quoted instrument's kill switch is latched.
    pub fn is_killed(&self) -> bool {
        self.quoted.iter().any(|quoted| quoted.risk.is_killed())
    }

    /// The book the core keeps for `instrument` (`None` if not quoted).
    pub fn book(&self, instrument: InstrumentId) -> Option<&OrderBook> {
        let slot = *self.slot_of.get(instrument.index())?;
        Some(&self.quoted.get(slot)?.book)
    }

    /// The quoted instruments, in configuration order.
    pub fn quoted_instruments(&self) -> impl Iterator<Item = InstrumentId> + '_ {
        self.quoted.iter().map(|quoted| quoted.instrument)
    }

    /// Latency percentiles so far (a live run publishes them as metrics now and then).
    pub fn latency_report(&self) -> crate::latency::LatencyReport {
        self.histograms.report()
    }

    /// The cheap part of [`snapshot`](Self::snapshot), read at every frame by a replay's
    /// sampler: whether our bid and ask rest, the position and the fills so far.
    #[inline]
    pub fn exposure(&self, instrument: InstrumentId) -> Option<Exposure> {
        let slot = *self.slot_of.get(instrument.index())?;
        let quoted = self.quoted.get(slot)?;
        Some(Exposure {
            bid: self.orders.resting(instrument, Side::Bid).is_some(),
            ask: self.orders.resting(instrument, Side::Ask).is_some(),
            position: quoted.account.position(),
            fills: quoted.account.fills(),
        })
    }

    /// What a replay samples of `instrument` now; `None` for an instrument not quoted.
    pub fn snapshot(&self, instrument: InstrumentId) -> Option<CoreSnapshot> {
        let slot = *self.slot_of.get(instrument.index())?;
        let quoted = self.quoted.get(slot)?;
        let signals = quoted.quoter.signals();
        let decision = quoted.quoter.decision();
        let resting = |side| self.orders.resting(instrument, side).map(|order| order.order.price);
        let mid = signals.top.map(|top| top.mid());
        Some(CoreSnapshot {
            mid,
            bid: resting(Side::Bid),
            ask: resting(Side::Ask),
            fair_value: quoted.quoter.last_fair_value(),
            half_spread_ticks: (decision.spread.bid + decision.spread.ask) / 2.0,
            account: quoted.account,
            toxicity: signals.toxicity.value,
            volatility: signals.volatility.sigma,
            state: quoted.detector.state(),
            cascade_score: quoted.detector.score(),
            killed: quoted.risk.is_killed(),
        })
    }

    /// Orders of ours resting on `instrument`, as the order manager believes (0, 1 or 2).
    pub fn resting_orders(&self, instrument: InstrumentId) -> usize {
        self.orders.open_orders(instrument)
    }

    /// The latched kill of `instrument`'s gate: when and why it was thrown; `None` while open
    /// (or for an instrument not quoted).
    pub fn kill_event(&self, instrument: InstrumentId) -> Option<risk::KillEvent> {
        let slot = *self.slot_of.get(instrument.index())?;
        self.quoted.get(slot)?.risk.kill_event()
    }

    /// Opens every kill switch again (an explicit operator decision).
    pub fn reset_kill(&mut self) {
        for quoted in &mut self.quoted {
            quoted.risk.reset();
        }
    }

    /// Per quoted instrument: the cascade detector's state, time spent per state, and its last
    /// transition.
    pub fn cascade_report(&self) -> Vec<CascadeSummary> {
        self.quoted
            .iter()
            .map(|quoted| CascadeSummary {
                instrument: quoted.instrument,
                state: quoted.detector.state(),
                time_in_state: quoted.detector.time_in_state(),
                transitions: quoted.detector.transitions(),
                last_transition: quoted.last_transition,
                kill: quoted.risk.kill_event(),
            })
            .collect()
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

    /// The gateway, to drive or inspect it (tests, control commands).
    pub fn gateway_mut(&mut self) -> &mut Venue {
        &mut self.gateway
    }

    /// Ends the core, keeping what a report needs.
    pub fn finish(self) -> CoreOutcome<Venue> {
        let cascade = self.cascade_report();
        CoreOutcome { stats: self.stats, histograms: self.histograms, gateway: self.gateway, cascade }
    }
}

/// Whether we are quoting and what we hold, as [`QuotingCore::exposure`] reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exposure {
    /// Our bid rests (as the order manager believes).
    pub bid: bool,
    /// Our ask rests.
    pub ask: bool,
    /// Position, lots.
    pub position: feeds::Lots,
    /// Executions so far.
    pub fills: u64,
}

/// One quoted instrument's state at an instant, as [`QuotingCore::snapshot`] reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CoreSnapshot {
    /// Mid of the top of book, ticks (fractional); `None` without two sides.
    pub mid: Option<f64>,
    /// Our bid as the order manager believes it rests.
    pub bid: Option<feeds::Ticks>,
    /// Our ask as the order manager believes it rests.
    pub ask: Option<feeds::Ticks>,
    /// The strategy's last fair value, ticks.
    pub fair_value: Option<f64>,
    /// The last decision's mean half-spread, ticks (NaN before one).
    pub half_spread_ticks: f64,
    /// Position, cash and fees.
    pub account: Account,
    /// Toxicity τ.
    pub toxicity: f64,
    /// The volatility the policies use: microprice log-return per √second.
    pub volatility: f64,
    /// The cascade detector's state.
    pub state: CascadeState,
    /// The cascade detector's stress score.
    pub cascade_score: f64,
    /// Whether the kill switch is latched.
    pub killed: bool,
}

/// One instrument's cascade detector and kill switch at the end of a run.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct CascadeSummary {
    /// Which instrument.
    pub instrument: InstrumentId,
    /// The detector's state now.
    pub state: CascadeState,
    /// Nanoseconds of event time spent in each state, by [`CascadeState::index`].
    pub time_in_state: [i64; CascadeState::COUNT],
    /// State changes so far.
    pub transitions: u64,
    /// The last state change, with the score and readings that drove it.
    pub last_transition: Option<Transition>,
    /// The kill switch, if latched: when and why.
    pub kill: Option<risk::KillEvent>,
}

impl CascadeSummary {
    /// Share of event time spent in `state`, in `[0, 1]` (0 before any time has passed).
    pub fn fraction(&self, state: CascadeState) -> f64 {
        let total: i64 = self.time_in_state.iter().sum();
        if total > 0 { self.time_in_state[state.index()] as f64 / total as f64 } else { 0.0 }
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
    /// Each quoted instrument's cascade detector and kill switch.
    pub cascade: Vec<CascadeSummary>,
}
