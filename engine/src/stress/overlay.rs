//! The overlay's one pass over the stream: the scenario's actions, drawn up front in time order,
//! run between the recording's frames; the recording's frames are mapped through the current
//! view (displacement, withdrawal, spread gap) while the window is open.
//!
//! Two books are kept: `real`, the recording's own book (unshifted, every real book event), and
//! `shadow`, the book a consumer of the output holds: every book event the pass emits, real or
//! synthetic, is applied to it as it is emitted, so it is the consumer's book by construction.
//! Walks consume the shadow; re-publications rebuild it from the real book.

use super::config::StressConfig;
use super::hawkes::{hawkes_times, lognormal, poisson_times};
use super::path::{PathNoise, Schedule, standard_normal};
use super::{
    LIQUIDATION_LIMIT_BPS, MAX_SYNTHETIC_EVENTS, MAX_SYNTHETIC_ORDERS, OPTIONS_FRAME_KIND, Overlay,
    OverlayStats, StressError,
};
use crate::replay::series::{Regime, RegimeSpan};
use feeds::venue::binance::MessageKind;
use feeds::{
    Bbo, BookClear, BookLevel, ClearReason, Event, EventKind, FrameEnd, InstrumentId, Liquidation, Lots,
    MarkPrice, Nanos, OpenInterest, OptionsReading, OrderBook, PriceE8, RateE8, Seq, Side, Step, Ticks,
    Trade,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Seconds between mark-price readings (Binance `markPrice@1s`), nanoseconds.
const MARK_INTERVAL: i64 = Nanos::PER_SECOND;

/// Binance USD-M funds every 8 hours, at 00:00, 08:00 and 16:00 UTC.
const FUNDING_PERIOD: i64 = 8 * 3600 * Nanos::PER_SECOND;

/// The most levels one synthetic order walks; the rest of it goes unfilled (a book that thin
/// is the scenario's extreme, and a frame of thousands of prints helps nobody).
const MAX_WALK_LEVELS: usize = 256;

/// The depth withdrawal is rounded to this, so that it re-publishes the book only when it has
/// moved by a visible amount.
const WITHDRAWAL_QUANTUM: f64 = 0.01;

/// Levels per side the shadow and real books have room for past their dense windows.
const BOOK_LEVELS: usize = 8192;

/// Basis points in one.
const BPS: f64 = 10_000.0;

/// The most periodic readings (mark price, open interest, options) one overlay adds: a week of
/// the three at one a second. A longer recording is overlaid in pieces (and a recording whose
/// last exchange time is garbage is refused rather than filled with readings).
const MAX_READINGS: f64 = 3.0 * 7.0 * 86_400.0;

/// The ChaCha8 stream of each random draw, so that changing one part of a scenario leaves the
/// others' draws as they were.
mod stream {
    pub const LIQUIDATION_TIMES: u64 = 1;
    pub const LIQUIDATION_SIZES: u64 = 2;
    pub const TOXIC_TIMES: u64 = 3;
    pub const TOXIC_SIZES: u64 = 4;
    pub const PATH_NOISE: u64 = 5;
    pub const INDEX_NOISE: u64 = 6;
}

fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// One thing the scenario does at a moment.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Action {
    /// Move the view (displacement, withdrawal, gap); re-publish the book if it changed.
    Step,
    /// The window closes: re-publish the real book unshifted.
    Restore,
    /// A mark-price reading.
    Mark,
    /// An open-interest reading.
    OpenInterest,
    /// An options reading.
    Options,
    /// A liquidation of this notional (quote currency).
    Liquidation(f64),
    /// A toxic taker order of this notional.
    Toxic(f64),
}

impl Action {
    /// Order among actions at the same time: the view first, then the readings, then the flow.
    fn rank(self) -> u8 {
        match self {
            Action::Step | Action::Restore => 0,
            Action::Mark => 1,
            Action::OpenInterest => 2,
            Action::Options => 3,
            Action::Liquidation(_) => 4,
            Action::Toxic(_) => 5,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Scheduled {
    time: Nanos,
    action: Action,
}

/// How real book levels are shown while the window is open.
#[derive(Clone, Copy, Debug, Default)]
struct View {
    /// Displacement, ticks.
    delta: i64,
    /// Fraction of the quantity withdrawn within the band.
    withdrawal: f64,
    /// Levels closer than this to `anchor` are pulled, ticks.
    gap_half: f64,
    /// Half-width of the withdrawal band, ticks.
    band: f64,
    /// The real mid the band and the gap are measured from, ticks (unshifted).
    anchor: f64,
}

impl View {
    /// The quantity shown for a real level of `qty` at `price` (unshifted).
    fn display(&self, side: Side, price: Ticks, qty: Lots) -> Lots {
        if qty.0 <= 0 {
            return qty;
        }
        let distance = match side {
            Side::Bid => self.anchor - price.0 as f64,
            Side::Ask => price.0 as f64 - self.anchor,
        };
        if self.gap_half > 0.0 && distance < self.gap_half {
            Lots(0)
        } else if distance <= self.band && self.withdrawal > 0.0 {
            Lots(((qty.0 as f64 * (1.0 - self.withdrawal)).round() as i64).max(1))
        } else {
            qty
        }
    }

    /// `price` shifted by the displacement.
    fn shift(&self, price: Ticks) -> Ticks {
        Ticks(price.0.saturating_add(self.delta))
    }
}

/// One fill of a walk: the level's price, the quantity taken, the quantity left.
#[derive(Clone, Copy, Debug)]
struct Fill {
    price: Ticks,
    taken: Lots,
    left: Lots,
}

struct Pass<'a> {
    config: &'a StressConfig,
    schedule: Schedule,
    instrument: InstrumentId,
    /// One tick in 10⁻⁸ of the quote currency.
    tick_e8: i64,
    /// One tick and one lot as `f64` (quote and base currency).
    tick: f64,
    lot: f64,
    first: Nanos,
    out: Vec<Event>,
    /// Where the synthetic frame being built starts in `out`.
    frame_start: usize,
    shadow: OrderBook,
    real: OrderBook,
    /// The window is open: real events are mapped through `view`.
    active: bool,
    view: View,
    /// The real mid at the first step, ticks; 0 before it.
    reference: f64,
    /// Receive − exchange time of the latest real event.
    offset: i64,
    /// The largest exchange time emitted.
    clock: Nanos,
    /// The local stamps (in hand, parsed, published) of the latest real frame.
    stamps: (Nanos, Nanos, Nanos),
    last_step: Option<Nanos>,
    noise: PathNoise,
    /// The displacement as the index has absorbed it, ticks, as of `index_time`.
    index_lag: f64,
    index_time: Option<Nanos>,
    index_rng: ChaCha8Rng,
    /// Scheduled liquidation notional so far, and in all.
    liquidated: f64,
    liquidation_total: f64,
    levels: Vec<(Side, Ticks, Lots)>,
    fills: Vec<Fill>,
    stats: OverlayStats,
    observer: &'a mut dyn FnMut(usize, &OrderBook),
}

/// See [`overlay()`](super::overlay()).
pub(super) fn run(
    events: &[Event],
    instrument: InstrumentId,
    tick: Step,
    lot: Step,
    config: &StressConfig,
    observer: &mut dyn FnMut(usize, &OrderBook),
) -> Result<Overlay, StressError> {
    config.validate()?;
    let first = events.first().ok_or(StressError::NoEvents)?.exchange_time;
    let last = events.iter().map(|event| event.exchange_time).max().unwrap_or(first);
    let at =
        |seconds: f64| Nanos(first.0.saturating_add((seconds * Nanos::PER_SECOND as f64).round() as i64));
    let (start, onset, cascade_end, end) =
        (at(config.start_s()), at(config.onset_s), at(config.cascade_end_s()), at(config.end_s()));
    if end > last {
        return Err(StressError::PastRecording {
            end_s: config.end_s(),
            recording_s: last.saturating_since(first) as f64 / Nanos::PER_SECOND as f64,
        });
    }
    let tick_e8 = Step::decimal_places(8)
        .decimal_to_count(tick.to_decimal())
        .ok()
        .filter(|&units| units > 0)
        .ok_or_else(|| StressError::Step { what: "tick", step: tick.to_decimal().to_string() })?;
    // A `Step` is positive by construction; a lot too small for an `f64` is not.
    if lot.to_f64().is_nan() || lot.to_f64() <= 0.0 {
        return Err(StressError::Step { what: "lot", step: lot.to_decimal().to_string() });
    }

    let window_s = config.end_s() - config.start_s();
    let steps = window_s * 1000.0 / f64::from(config.step_ms);
    let book_events = steps * (2.0 * f64::from(config.book_levels) + 2.0);
    if book_events > MAX_SYNTHETIC_EVENTS {
        return Err(StressError::TooLarge {
            what: "book events",
            estimate: book_events,
            limit: MAX_SYNTHETIC_EVENTS,
            advice: "raise stress.step_ms, or lower stress.book_levels or the window",
        });
    }
    let orders =
        (config.liquidation_rate / (1.0 - config.liquidation_branching) + config.toxic_rate) * window_s;
    if orders > MAX_SYNTHETIC_ORDERS {
        return Err(StressError::TooLarge {
            what: "orders",
            estimate: orders,
            limit: MAX_SYNTHETIC_ORDERS,
            advice: "lower stress.liquidation_rate, liquidation_branching or toxic_rate, or the window",
        });
    }
    let span_s = last.saturating_since(first) as f64 / Nanos::PER_SECOND as f64;
    let readings = span_s * (1.0 + 1.0 / config.open_interest_interval_s + 1.0 / config.options_interval_s);
    if readings > MAX_READINGS {
        return Err(StressError::TooLarge {
            what: "readings",
            estimate: readings,
            limit: MAX_READINGS,
            advice: "raise stress.open_interest_interval_s or options_interval_s, or overlay a shorter recording",
        });
    }
    let schedule = Schedule::new(config);
    let actions = draw_actions(config, &schedule, first, last, (start, end));
    let liquidation_total = actions
        .iter()
        .map(|scheduled| if let Action::Liquidation(n) = scheduled.action { n } else { 0.0 })
        .sum();
    let mut pass = Pass {
        config,
        schedule,
        instrument,
        tick_e8,
        tick: tick.to_f64(),
        lot: lot.to_f64(),
        first,
        out: Vec::with_capacity(events.len() + events.len() / 2),
        frame_start: 0,
        shadow: OrderBook::with_capacity(BOOK_LEVELS),
        real: OrderBook::with_capacity(BOOK_LEVELS),
        active: false,
        view: View::default(),
        reference: 0.0,
        offset: 0,
        clock: Nanos(i64::MIN),
        stamps: (Nanos(0), Nanos(0), Nanos(0)),
        last_step: None,
        noise: PathNoise::new(rng(config.seed, stream::PATH_NOISE)),
        index_lag: 0.0,
        index_time: None,
        index_rng: rng(config.seed, stream::INDEX_NOISE),
        liquidated: 0.0,
        liquidation_total,
        levels: Vec::new(),
        fills: Vec::with_capacity(MAX_WALK_LEVELS),
        stats: OverlayStats { first_event: first, start, onset, cascade_end, end, ..OverlayStats::default() },
        observer,
    };

    let mut next = 0;
    let mut index = 0;
    while index < events.len() {
        let frame_end = events[index..]
            .iter()
            .position(|event| matches!(event.kind(), EventKind::FrameEnd(_)))
            .map_or(events.len(), |offset| index + offset + 1);
        let frame = &events[index..frame_end];
        let frame_time = frame.iter().map(|event| event.exchange_time).max().unwrap_or(first);
        while let Some(scheduled) = actions.get(next).filter(|scheduled| scheduled.time <= frame_time) {
            pass.perform(*scheduled)?;
            next += 1;
        }
        for event in frame {
            pass.real_event(event);
        }
        index = frame_end;
    }
    for scheduled in &actions[next..] {
        pass.perform(*scheduled)?;
    }

    let mut regimes = Vec::with_capacity(3);
    for (from, to, regime) in [
        (start, onset, Regime::Stressed),
        (onset, cascade_end, Regime::Cascade),
        (cascade_end, end, Regime::Stressed),
    ] {
        if to > from {
            regimes.push(RegimeSpan { start: from, end: to, regime });
        }
    }
    Ok(Overlay { events: pass.out, regimes, stats: pass.stats })
}

/// Every action of the scenario, in time order: the steps of the view over the window, the
/// periodic readings over the whole recording (from the first whole second), the liquidations
/// and the toxic orders.
fn draw_actions(
    config: &StressConfig,
    schedule: &Schedule,
    first: Nanos,
    last: Nanos,
    (start, end): (Nanos, Nanos),
) -> Vec<Scheduled> {
    let seconds = |time: Nanos| time.saturating_since(first) as f64 / Nanos::PER_SECOND as f64;
    let at =
        |seconds: f64| Nanos(first.0.saturating_add((seconds * Nanos::PER_SECOND as f64).round() as i64));
    let mut actions = Vec::new();
    let step = i64::from(config.step_ms) * Nanos::PER_MILLI;
    let mut time = start;
    while time < end {
        actions.push(Scheduled { time, action: Action::Step });
        time = Nanos(time.0 + step);
    }
    actions.push(Scheduled { time: end, action: Action::Restore });

    let whole_second = Nanos(first.0.div_euclid(Nanos::PER_SECOND) * Nanos::PER_SECOND);
    let whole_second =
        if whole_second < first { Nanos(whole_second.0 + Nanos::PER_SECOND) } else { whole_second };
    let periodic = [
        (MARK_INTERVAL, Action::Mark),
        (interval(config.open_interest_interval_s), Action::OpenInterest),
        (interval(config.options_interval_s), Action::Options),
    ];
    for (every, action) in periodic {
        let mut time = whole_second;
        while time <= last {
            actions.push(Scheduled { time, action });
            time = Nanos(time.0 + every);
        }
    }

    let (from, to) = (seconds(start), seconds(end));
    let liquidation_rate = |t: f64| config.liquidation_rate * schedule.level(t).powi(2);
    let mut times = rng(config.seed, stream::LIQUIDATION_TIMES);
    let mut sizes = rng(config.seed, stream::LIQUIDATION_SIZES);
    for t in hawkes_times(
        &mut times,
        from,
        to,
        config.liquidation_rate,
        liquidation_rate,
        config.liquidation_branching,
        config.liquidation_decay,
    ) {
        let notional = lognormal(
            &mut sizes,
            config.liquidation_median_usdt,
            config.liquidation_sigma,
            config.max_order_usdt,
        );
        actions.push(Scheduled { time: at(t), action: Action::Liquidation(notional) });
    }
    let mut times = rng(config.seed, stream::TOXIC_TIMES);
    let mut sizes = rng(config.seed, stream::TOXIC_SIZES);
    for t in poisson_times(&mut times, from, to, config.toxic_rate, |t| config.toxic_rate * schedule.level(t))
    {
        let notional =
            lognormal(&mut sizes, config.toxic_median_usdt, config.toxic_sigma, config.max_order_usdt);
        actions.push(Scheduled { time: at(t), action: Action::Toxic(notional) });
    }
    // Stable: same-time actions of one rank keep the order they were drawn in.
    actions.sort_by_key(|scheduled| (scheduled.time, scheduled.action.rank()));
    actions
}

/// A validated interval in seconds as nanoseconds.
fn interval(seconds: f64) -> i64 {
    ((seconds * Nanos::PER_SECOND as f64).round() as i64).max(1)
}

impl Pass<'_> {
    fn seconds(&self, time: Nanos) -> f64 {
        time.saturating_since(self.first) as f64 / Nanos::PER_SECOND as f64
    }

    fn perform(&mut self, scheduled: Scheduled) -> Result<(), StressError> {
        let time = scheduled.time;
        match scheduled.action {
            Action::Step => return self.step(time),
            Action::Restore => self.restore(time),
            Action::Mark => self.mark(time),
            Action::OpenInterest => self.open_interest(time),
            Action::Options => self.options(time),
            Action::Liquidation(notional) => {
                self.liquidated += notional;
                self.walk(time, notional, true);
            }
            Action::Toxic(notional) => self.walk(time, notional, false),
        }
        Ok(())
    }

    // --- Emitting ---

    /// Pushes `event` to the output; a book event of the instrument goes to the shadow too.
    fn emit(&mut self, event: Event) {
        let kind = event.kind();
        if event.instrument == self.instrument
            && matches!(kind, EventKind::BookLevel(_) | EventKind::BookClear(_) | EventKind::FeedStatus(_))
            && self.shadow.apply(&event).is_err()
        {
            self.stats.book_errors += 1;
        }
        self.clock = self.clock.max(event.exchange_time);
        self.out.push(event);
        if matches!(kind, EventKind::FrameEnd(_)) {
            (self.observer)(self.out.len() - 1, &self.shadow);
        }
    }

    fn begin_frame(&mut self) {
        self.frame_start = self.out.len();
    }

    /// Emits one synthetic event at `time`.
    fn synthetic(&mut self, time: Nanos, seq: Seq, kind: EventKind) {
        debug_assert!(time >= self.clock, "a synthetic event never moves the clock back");
        self.stats.synthetic_events += 1;
        self.emit(Event::new(time, Nanos(time.0.saturating_add(self.offset)), seq, self.instrument, kind));
    }

    /// Closes the synthetic frame begun by [`begin_frame`](Pass::begin_frame).
    fn end_frame(&mut self, time: Nanos, frame_kind: u8) {
        let events = u32::try_from(self.out.len() - self.frame_start).unwrap_or(u32::MAX);
        let (in_hand, parsed, published) = self.stamps;
        let end = FrameEnd { frame_kind, events, in_hand, parsed, published };
        self.stats.synthetic_frames += 1;
        self.synthetic(time, Seq(0), EventKind::FrameEnd(end));
    }

    // --- The recording's events ---

    fn real_event(&mut self, event: &Event) {
        self.offset = event.receive_time.0.saturating_sub(event.exchange_time.0);
        let kind = event.kind();
        if let EventKind::FrameEnd(end) = kind {
            self.stamps = (end.in_hand, end.parsed, end.published);
        }
        if event.instrument != self.instrument {
            self.emit(*event);
            return;
        }
        if matches!(kind, EventKind::BookLevel(_) | EventKind::BookClear(_) | EventKind::FeedStatus(_)) {
            // The recording's own errors show in the consumer's book (and the shadow) too.
            let _ = self.real.apply(event);
        }
        let mapped = if self.active { self.map(event, kind) } else { *event };
        self.emit(mapped);
    }

    /// A real event of the instrument through the view.
    fn map(&self, event: &Event, kind: EventKind) -> Event {
        let with =
            |kind| Event::new(event.exchange_time, event.receive_time, event.seq, event.instrument, kind);
        let shift_e8 =
            |price: PriceE8| PriceE8(price.0.saturating_add(self.view.delta.saturating_mul(self.tick_e8)));
        match kind {
            EventKind::BookLevel(level) => {
                let price = self.view.shift(level.price);
                with(EventKind::BookLevel(if price.0 > 0 {
                    BookLevel { price, qty: self.view.display(level.side, level.price, level.qty), ..level }
                } else {
                    // Shifted off the grid's bottom: a removal of a level that cannot exist
                    // keeps the update's shape (and its `last`).
                    BookLevel { price: Ticks(1), qty: Lots(0), ..level }
                }))
            }
            EventKind::Bbo(bbo) => with(EventKind::Bbo(self.map_bbo(bbo))),
            EventKind::Trade(trade) => {
                with(EventKind::Trade(Trade { price: self.map_trade(&trade), ..trade }))
            }
            EventKind::Liquidation(liquidation) => with(EventKind::Liquidation(Liquidation {
                price: shift_e8(liquidation.price),
                average_price: shift_e8(liquidation.average_price),
                ..liquidation
            })),
            EventKind::MarkPrice(mark) => with(EventKind::MarkPrice(MarkPrice {
                mark: shift_e8(mark.mark),
                index: shift_e8(mark.index),
                ..mark
            })),
            _ => *event,
        }
    }

    /// The best bid and offer, shifted, never better than the book the consumer holds (a walk
    /// or the pulled gap may have taken the real touch away).
    fn map_bbo(&self, bbo: Bbo) -> Bbo {
        let mut mapped = Bbo {
            bid: self.view.shift(bbo.bid),
            bid_qty: self.view.display(Side::Bid, bbo.bid, bbo.bid_qty),
            ask: self.view.shift(bbo.ask),
            ask_qty: self.view.display(Side::Ask, bbo.ask, bbo.ask_qty),
        };
        if !self.shadow.is_trusted() {
            return mapped;
        }
        if let Some((bid, qty)) = self.shadow.best_bid()
            && (mapped.bid >= bid || mapped.bid_qty.0 == 0)
        {
            (mapped.bid, mapped.bid_qty) = (bid, qty);
        }
        if let Some((ask, qty)) = self.shadow.best_ask()
            && (mapped.ask <= ask || mapped.ask_qty.0 == 0)
        {
            (mapped.ask, mapped.ask_qty) = (ask, qty);
        }
        mapped
    }

    /// A real print's price, shifted, and at or beyond the touch of the book the consumer holds.
    fn map_trade(&self, trade: &Trade) -> Ticks {
        let price = self.view.shift(trade.price);
        if !self.shadow.is_trusted() {
            return price;
        }
        match (trade.aggressor, self.shadow.best_ask(), self.shadow.best_bid()) {
            (Side::Bid, Some((ask, _)), _) => price.max(ask),
            (Side::Ask, _, Some((bid, _))) => price.min(bid),
            _ => price,
        }
    }

    // --- The view ---

    /// The real mid, ticks, while the real book is trusted and two-sided.
    fn real_mid(&self) -> Option<f64> {
        match (self.real.is_trusted(), self.real.best_bid(), self.real.best_ask()) {
            (true, Some((bid, _)), Some((ask, _))) => Some((bid.0 as f64 + ask.0 as f64) / 2.0),
            _ => None,
        }
    }

    /// Brings the index's absorbed displacement up to `time` (the displacement is constant
    /// since the last call).
    fn advance_index(&mut self, time: Nanos) {
        let elapsed =
            self.index_time.map_or(0.0, |before| self.seconds(time) - self.seconds(before)).max(0.0);
        let lag = self.config.index_lag_s;
        let weight = if lag > 0.0 { -(-elapsed / lag).exp_m1() } else { 1.0 };
        self.index_lag += (self.view.delta as f64 - self.index_lag) * weight;
        self.index_time = Some(time);
    }

    fn step(&mut self, time: Nanos) -> Result<(), StressError> {
        let Some(real_mid) = self.real_mid() else {
            if self.reference == 0.0 {
                return Err(StressError::NoBook { start_s: self.config.start_s() });
            }
            // The real book is broken: hold the view until a snapshot repairs it.
            return Ok(());
        };
        if self.reference == 0.0 {
            self.reference = real_mid;
            self.stats.reference_mid = real_mid;
            self.active = true;
        }
        let t = self.seconds(time);
        let elapsed = self.last_step.map_or(0.0, |before| self.seconds(time) - self.seconds(before));
        self.last_step = Some(time);
        self.advance_index(time);
        let level = self.schedule.level(t);
        let config = self.config;
        let noise = self.noise.advance(elapsed, config.path_noise_bps * level);
        let target_bps =
            config.direction.sign() as f64 * config.price_move_bps * self.schedule.move_share(t) + noise;
        let delta = (target_bps * self.reference / BPS).round() as i64;
        let withdrawal = (config.depth_withdrawal * level / WITHDRAWAL_QUANTUM).round() * WITHDRAWAL_QUANTUM;
        let gap_half = (config.spread_bps * level / 2.0 * self.reference / BPS).floor();
        if delta.abs() > self.stats.extreme_displacement.0.abs() {
            self.stats.extreme_displacement = Ticks(delta);
        }
        let view = &self.view;
        if delta != view.delta || withdrawal != view.withdrawal || gap_half != view.gap_half {
            self.view = View {
                delta,
                withdrawal,
                gap_half,
                band: config.depth_band_bps * real_mid / BPS,
                anchor: real_mid,
            };
            self.republish(time, config.book_levels as usize);
        }
        Ok(())
    }

    fn restore(&mut self, time: Nanos) {
        self.advance_index(time);
        self.view = View::default();
        if self.active && self.real.is_trusted() {
            self.republish(time, usize::MAX);
        }
        self.active = false;
    }

    /// A `DepthSnapshot` frame: the `limit` best real levels per side through the view.
    fn republish(&mut self, time: Nanos, limit: usize) {
        self.levels.clear();
        let view = self.view;
        for side in [Side::Bid, Side::Ask] {
            let before = self.levels.len();
            for (price, qty) in self.real.top(side, usize::MAX) {
                if self.levels.len() - before >= limit {
                    break;
                }
                let (shown, shifted) = (view.display(side, price, qty), view.shift(price));
                if shown.0 > 0 && shifted.0 > 0 {
                    self.levels.push((side, shifted, shown));
                }
            }
        }
        let seq = self.real.last_update_id();
        let levels = std::mem::take(&mut self.levels);
        self.begin_frame();
        let clear = BookClear { reason: ClearReason::Snapshot, last: levels.is_empty() };
        self.synthetic(time, seq, EventKind::BookClear(clear));
        for (index, &(side, price, qty)) in levels.iter().enumerate() {
            let last = index + 1 == levels.len();
            self.synthetic(
                time,
                seq,
                EventKind::BookLevel(BookLevel { side, price, qty, last, snapshot: true }),
            );
        }
        self.end_frame(time, MessageKind::DepthSnapshot.code());
        self.levels = levels;
        self.stats.republications += 1;
    }

    // --- The flow ---

    /// A market order of `notional` in the cascade's direction walks the consumer's book: its
    /// prints, the book's update, and for a liquidation the `forceOrder`.
    fn walk(&mut self, time: Nanos, notional: f64, forced: bool) {
        let top =
            match (self.active, self.shadow.is_trusted(), self.shadow.best_bid(), self.shadow.best_ask()) {
                (true, true, Some((bid, _)), Some((ask, _))) => (bid, ask),
                _ => {
                    self.stats.skipped_orders += 1;
                    return;
                }
            };
        let mid = (top.0.0 as f64 + top.1.0 as f64) / 2.0 * self.tick;
        let qty = ((notional / (mid * self.lot)).round() as i64).max(1);
        let taker = self.config.direction.taker_side();
        let resting = taker.opposite();
        self.fills.clear();
        let mut remaining = qty;
        for (price, level) in self.shadow.top(resting, MAX_WALK_LEVELS) {
            let taken = remaining.min(level.0);
            self.fills.push(Fill { price, taken: Lots(taken), left: Lots(level.0 - taken) });
            remaining -= taken;
            if remaining == 0 {
                break;
            }
        }
        let fills = std::mem::take(&mut self.fills);
        for fill in &fills {
            self.begin_frame();
            let trade =
                Trade { price: fill.price, qty: fill.taken, aggressor: taker, aggregated: false, forced };
            self.synthetic(time, Seq(0), EventKind::Trade(trade));
            self.end_frame(time, MessageKind::Trade.code());
        }
        let seq = self.real.last_update_id();
        self.begin_frame();
        for (index, fill) in fills.iter().enumerate() {
            let last = index + 1 == fills.len();
            let level = BookLevel { side: resting, price: fill.price, qty: fill.left, last, snapshot: false };
            self.synthetic(time, seq, EventKind::BookLevel(level));
        }
        self.end_frame(time, MessageKind::DepthUpdate.code());

        let filled: i64 = fills.iter().map(|fill| fill.taken.0).sum();
        let traded: i128 = fills.iter().map(|fill| i128::from(fill.price.0) * i128::from(fill.taken.0)).sum();
        if forced {
            let tick_e8 = i128::from(self.tick_e8);
            let average = traded * tick_e8 / i128::from(filled.max(1));
            let worst = i128::from(fills.last().map_or(top.0.0, |fill| fill.price.0)) * tick_e8;
            let limit = worst * (10_000 + i128::from(taker.sign() * LIQUIDATION_LIMIT_BPS)) / 10_000;
            let liquidation = Liquidation {
                side: taker,
                price: PriceE8(i64::try_from(limit).unwrap_or(i64::MAX)),
                average_price: PriceE8(i64::try_from(average).unwrap_or(i64::MAX)),
                qty: Lots(filled),
            };
            self.begin_frame();
            self.synthetic(time, Seq(0), EventKind::Liquidation(liquidation));
            self.end_frame(time, MessageKind::ForceOrder.code());
            self.stats.liquidations += 1;
            self.stats.liquidated_qty = Lots(self.stats.liquidated_qty.0 + filled);
            self.stats.liquidated_notional += traded as f64 * self.tick * self.lot;
            self.stats.forced_trades += fills.len() as u64;
        } else {
            self.stats.toxic_orders += 1;
            self.stats.toxic_trades += fills.len() as u64;
        }
        self.fills = fills;
    }

    // --- The readings ---

    fn mark(&mut self, time: Nanos) {
        self.advance_index(time);
        let (true, Some((bid, _)), Some((ask, _))) =
            (self.shadow.is_trusted(), self.shadow.best_bid(), self.shadow.best_ask())
        else {
            return;
        };
        let twice_mid = i128::from(bid.0) + i128::from(ask.0);
        let mark = twice_mid * i128::from(self.tick_e8) / 2;
        let real_mid = self.real_mid().unwrap_or(twice_mid as f64 / 2.0 - self.view.delta as f64);
        let config = self.config;
        let noise = config.basis_noise_bps * standard_normal(&mut self.index_rng) / BPS;
        let index = (real_mid + self.index_lag) * self.tick_e8 as f64 / (1.0 + config.basis_before_bps / BPS)
            * (1.0 + noise);
        let t = self.seconds(time);
        let funding = config.funding_before
            + (config.funding_after - config.funding_before) * self.schedule.funding_progress(t);
        let reading = MarkPrice {
            mark: PriceE8(i64::try_from(mark).unwrap_or(i64::MAX)),
            index: PriceE8(index.round() as i64),
            funding_rate: rate(funding),
            next_funding_time: Nanos((time.0.div_euclid(FUNDING_PERIOD) + 1) * FUNDING_PERIOD),
        };
        self.begin_frame();
        self.synthetic(time, Seq(0), EventKind::MarkPrice(reading));
        self.end_frame(time, MessageKind::MarkPrice.code());
        self.stats.readings += 1;
    }

    fn open_interest(&mut self, time: Nanos) {
        let share = if self.liquidation_total > 0.0 {
            (self.liquidated / self.liquidation_total).min(1.0)
        } else {
            self.schedule.funding_progress(self.seconds(time))
        };
        let config = self.config;
        let qty = Lots((config.open_interest * (1.0 - config.oi_drop * share) / self.lot).round() as i64);
        if self.stats.open_interest.0 == Lots(0) {
            self.stats.open_interest.0 = qty;
        }
        self.stats.open_interest.1 = qty;
        self.begin_frame();
        self.synthetic(time, Seq(0), EventKind::OpenInterest(OpenInterest { qty }));
        self.end_frame(time, MessageKind::OpenInterest.code());
        self.stats.readings += 1;
    }

    fn options(&mut self, time: Nanos) {
        let level = self.schedule.options_level(self.seconds(time));
        let config = self.config;
        let between = |before: f64, peak: f64| before + (peak - before) * level;
        let reading = OptionsReading {
            short_iv: rate(between(config.iv_short_before, config.iv_short_peak)),
            long_iv: rate(config.iv_long),
            oi_near_spot_share: rate(between(config.oi_near_spot_before, config.oi_near_spot_peak)),
        };
        self.begin_frame();
        self.synthetic(time, Seq(0), EventKind::Options(reading));
        self.end_frame(time, OPTIONS_FRAME_KIND);
        self.stats.readings += 1;
    }
}

/// A fraction as [`RateE8`].
fn rate(fraction: f64) -> RateE8 {
    RateE8((fraction * feeds::E8 as f64).round() as i64)
}
