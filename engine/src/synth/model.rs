//! [`Market`]: the synthetic exchange, run event by event from a seed (see the
//! [module docs](super) for the model).
//!
//! The clock is event-driven. Poisson processes (maker adds and cancels per side, takers, calm
//! liquidations, the cascade's depth withdrawal) compete through one exponential wait at their
//! total rate; timers (depth diff windows, the one-second mark price, open interest polls, the
//! snapshot, the cascade's start and end, the Hawkes candidate, the end of the tape) interrupt
//! it. Rates change only at events and timers, and an exponential wait is memoryless, so
//! redrawing after a timer is exact. Time runs from `-WARM_UP_NS`: the warm-up brings the book
//! to its stationary shape and prints nothing.
//!
//! Every change to the book is a *batch* (one maker add or cancel, one taker order with its
//! fills, one liquidation): it gets the next update id, its trades are printed, and a
//! `bookTicker` follows if the top of the book changed. The diff of a window lists the levels
//! its batches touched, from `U` (its first batch's id) to `u` (its last), chained by `pu`.

use super::book::{Level, LevelBook};
use super::config::{Grid, MarketConfig, Resolved};
use super::frames::{Encoder, ForceOrder, Print};
use super::funding::Funding;
use super::hawkes::Hawkes;
use super::output::{Network, Output, Rest};
use super::random::Random;
use feeds::Side;
use feeds::recording::RecordingError;
use feeds::venue::binance::MessageKind;
use std::path::Path;

const NS: i64 = 1_000_000_000;
const MS: i64 = 1_000_000;
/// Simulated time before the tape starts.
const WARM_UP_NS: i64 = 30 * NS;
/// The depth snapshot is served this long after the stream opens (diffs are buffered first,
/// as Binance's procedure has it).
const SNAPSHOT_DELAY_NS: i64 = 250 * MS;
/// The first open interest poll.
const FIRST_POLL_NS: i64 = 500 * MS;
/// Update ids advance by 1..=this per batch (other symbols' updates share the counter).
const UPDATE_ID_GAP: usize = 40;
/// First ids: the magnitudes of the 2024 recording.
const FIRST_UPDATE_ID: u64 = 5_123_000_000_000;
const FIRST_TRADE_ID: u64 = 5_266_000_000;

/// Maker adds per second per side, per level the book is to keep.
const ADD_RATE_PER_LEVEL: f64 = 0.25;
/// Share of adds placed near the touch (the rest spread out over the depth range).
const NEAR_SHARE: f64 = 0.5;
/// Mean distance of a near add behind the quote, ticks.
const NEAR_MEAN_TICKS: f64 = 3.0;
/// Mean distance of a far add, bps of the fair price.
const FAR_MEAN_BPS: f64 = 8.0;
/// How deep the makers quote, bps of the fair price.
const MAX_DEPTH_BPS: f64 = 40.0;
/// Levels beyond this multiple of the depth range are cancelled (the price moved away).
const PRUNE_BEYOND: f64 = 1.25;
/// A maker order's median size grows by its own value every this many bps from fair.
const SIZE_GROWTH_BPS: f64 = 5.0;
/// Median maker order over median taker order.
const MAKER_OVER_TAKER: f64 = 5.0;
const MAKER_SIZE_SIGMA: f64 = 1.0;
/// Occasional walls.
const WALL_PROBABILITY: f64 = 0.02;
const WALL_MULTIPLE: f64 = 10.0;
/// Cancels run at this share of the add rate when the book holds its target level count.
const CANCEL_BALANCE: f64 = 0.75;
/// Share of cancels that take the whole level.
const FULL_CANCEL_SHARE: f64 = 0.5;
/// No taker, cancel or withdrawal empties a side below this many levels.
const MIN_LEVELS: usize = 10;
/// A quote this many ticks through the fair price is stale: taken by an arbitrageur or
/// cancelled by its maker.
const STALE_TICKS: f64 = 1.0;
const ARBITRAGE_SHARE: f64 = 0.2;
const MAX_REPAIRS: usize = 16;
/// A touch more than this many ticks behind the quote is joined by a maker at the quote
/// (makers follow the fair price), with a mean distance behind it of `JOIN_MEAN_TICKS`.
const FOLLOW_TICKS: f64 = 1.0;
const JOIN_MEAN_TICKS: f64 = 0.5;

const TAKER_SIZE_SIGMA: f64 = 1.3;
/// Market orders do not trade further than this from the touch (price protection).
const PROTECTION_BPS: f64 = 100.0;
/// Chances of a second and a third print per level (several maker orders at one price).
const EXTRA_PRINTS: [f64; 2] = [0.35, 0.15];

const LIQUIDATION_SIZE_SIGMA: f64 = 1.0;
/// A liquidation's IOC limit, beyond the touch.
const LIQUIDATION_SLIPPAGE_BPS: f64 = 150.0;
/// Share of the cascade's liquidations on the other side (a few shorts caught in the chop).
const AGAINST_SHARE: f64 = 0.05;
/// Near-touch cancels per second in the cascade at full withdrawal.
const WITHDRAWAL_RATE_PER_S: f64 = 40.0;

/// Open interest noise, per √s.
const OPEN_INTEREST_VOL: f64 = 3e-5;

/// The cascade's window and path.
#[derive(Clone, Copy, Debug)]
struct Cascade {
    onset: i64,
    end: i64,
    /// −1 down, +1 up.
    sign: f64,
    /// `ln(1 ± move)`: the trend at the end.
    log_move: f64,
}

impl Cascade {
    /// How much of the move is done at `t`: `1 − (1 − x)²` of the elapsed share `x`, fast
    /// at the onset and slowing, as a cascade exhausts itself.
    fn shape(&self, t: i64) -> f64 {
        let x = ((t - self.onset) as f64 / (self.end - self.onset) as f64).clamp(0.0, 1.0);
        1.0 - (1.0 - x) * (1.0 - x)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Before,
    During,
    After,
}

/// What the run counted, for the summary. Prices in ticks, quantities in lots.
#[derive(Clone, Debug, Default)]
pub(super) struct Tally {
    pub taker_orders: u64,
    pub trades: u64,
    pub liquidations: u64,
    pub liquidations_in_cascade: u64,
    pub liquidated_lots: i64,
    pub first_trade: Option<i64>,
    pub last_trade: i64,
    pub low_trade: i64,
    pub high_trade: i64,
    pub mid_at_onset: f64,
    pub mid_at_end: f64,
    pub open_interest_first: f64,
    pub open_interest_last: f64,
    pub open_interest_at_onset: f64,
    pub open_interest_at_end: f64,
    pub funding_before_onset: f64,
    /// Lowest funding rate from the onset on (highest for an up cascade).
    pub funding_extreme: f64,
    pub level_samples: u64,
    pub level_sum: u64,
}

/// The running market.
pub(super) struct Market<'a> {
    config: &'a MarketConfig,
    start_ns: i64,
    end: i64,
    tick: Grid,
    lot_value: f64,
    random: Random,
    encoder: Encoder,
    out: Output,
    /// ns since the start of the tape; negative in the warm-up.
    now: i64,
    /// Frames are printed (from the start of the tape).
    live: bool,
    /// Fair price, ticks.
    fair: f64,
    /// The cascade's trend already in `fair`, log.
    trend: f64,
    book: LevelBook,
    update_id: u64,
    trade_id: u64,
    /// Id of the first batch since the last diff.
    window_first: Option<u64>,
    last_batch_ns: i64,
    /// `u` of the last diff sent.
    last_diff_id: u64,
    diffs_sent: u64,
    next_diff: i64,
    next_second: i64,
    next_poll: i64,
    snapshot_at: Option<i64>,
    cascade: Option<Cascade>,
    phase: Phase,
    hawkes: Hawkes,
    next_hawkes: Option<i64>,
    pending_force: Option<ForceOrder>,
    /// Top of book of the last `bookTicker`.
    top: Option<[i64; 4]>,
    /// Lots.
    open_interest: f64,
    funding: Funding,
    last_trade: f64,
    fills: Vec<Level>,
    diff_bids: Vec<Level>,
    diff_asks: Vec<Level>,
    tally: Tally,
}

impl<'a> Market<'a> {
    /// A market ready to run, writing to a new capture at `path`.
    pub fn new(
        config: &'a MarketConfig,
        resolved: &Resolved,
        path: &Path,
    ) -> Result<Market<'a>, RecordingError> {
        let encoder = Encoder::new(&config.symbol, resolved.tick, resolved.lot);
        let network = Network {
            seed: config.seed,
            latency_min_ms: config.latency_min_ms,
            latency_max_ms: config.latency_max_ms,
            spike_probability: config.latency_spike_probability,
        };
        let out = Output::create(
            path,
            &encoder.stream_names(),
            [&encoder.depth_url(), &encoder.open_interest_url()],
            &network,
        )?;
        let cascade = config.cascade.then(|| {
            let sign = config.cascade_direction.sign();
            Cascade {
                onset: (config.cascade_onset_s * 1e9) as i64,
                end: ((config.cascade_onset_s + config.cascade_duration_s) * 1e9) as i64,
                sign,
                log_move: (1.0 + sign * config.cascade_move_bps * 1e-4).max(1e-3).ln(),
            }
        });
        let fair = config.initial_price / resolved.tick.to_f64();
        let sign = config.cascade_direction.sign();
        let funding = Funding::new(
            fair,
            -sign * config.calm_premium_bps * 1e-4,
            sign * config.cascade_premium_bps * 1e-4,
        );
        let lot_value = resolved.lot.to_f64();
        let open_interest = config.initial_open_interest / lot_value;
        Ok(Market {
            config,
            start_ns: resolved.start_ns,
            end: (config.duration_s * 1e9) as i64,
            tick: resolved.tick,
            lot_value,
            random: Random::new(config.seed, 0),
            encoder,
            out,
            now: -WARM_UP_NS,
            live: false,
            fair,
            trend: 0.0,
            book: LevelBook::default(),
            update_id: FIRST_UPDATE_ID,
            trade_id: FIRST_TRADE_ID,
            window_first: None,
            last_batch_ns: -WARM_UP_NS,
            last_diff_id: FIRST_UPDATE_ID,
            diffs_sent: 0,
            next_diff: -WARM_UP_NS,
            next_second: -WARM_UP_NS,
            next_poll: FIRST_POLL_NS,
            snapshot_at: Some(SNAPSHOT_DELAY_NS),
            phase: if cascade.is_some() { Phase::Before } else { Phase::After },
            cascade,
            hawkes: Hawkes::new(config.hawkes_branching_ratio, config.hawkes_decay_per_s),
            next_hawkes: None,
            pending_force: None,
            top: None,
            open_interest,
            funding,
            last_trade: fair,
            fills: Vec::new(),
            diff_bids: Vec::new(),
            diff_asks: Vec::new(),
            tally: Tally {
                open_interest_first: open_interest,
                open_interest_last: open_interest,
                open_interest_at_onset: open_interest,
                open_interest_at_end: open_interest,
                ..Tally::default()
            },
        })
    }

    /// Runs to the end of the tape; returns the tally, the file's size and the frames per kind.
    pub fn run(mut self) -> Result<(Tally, u64, [u64; MessageKind::ALL.len()]), RecordingError> {
        self.seed_book();
        while self.step()? {}
        if self.phase == Phase::During {
            self.on_cascade_end();
        }
        self.flush_diff()?;
        let (bytes, counts) = self.out.finish()?;
        self.tally.open_interest_last = self.open_interest;
        Ok((self.tally, bytes, counts))
    }

    /// One Poisson event or one round of timers; false at the end of the tape.
    fn step(&mut self) -> Result<bool, RecordingError> {
        let timer = self.next_timer();
        let wait = (self.random.exponential(1e9 / self.total_rate()).ceil() as i64).max(1);
        if self.now.saturating_add(wait) < timer {
            self.advance(self.now + wait)?;
            self.poisson_event()?;
        } else {
            self.advance(timer)?;
            if timer >= self.end {
                return Ok(false);
            }
            self.fire_timers(timer)?;
        }
        Ok(true)
    }

    // ---- time -------------------------------------------------------------------------------

    fn in_cascade(&self) -> bool {
        self.phase == Phase::During
    }

    fn absolute(&self, t: i64) -> i64 {
        self.start_ns + t
    }

    fn millis(&self, t: i64) -> i64 {
        self.absolute(t).div_euclid(MS)
    }

    fn seconds(t: i64) -> f64 {
        t as f64 / 1e9
    }

    fn next_timer(&self) -> i64 {
        let boundary = match (self.phase, self.cascade) {
            (Phase::Before, Some(cascade)) => cascade.onset,
            (Phase::During, Some(cascade)) => cascade.end,
            _ => i64::MAX,
        };
        let mut timer = self.end.min(self.next_diff).min(self.next_second).min(boundary);
        if self.live {
            timer = timer.min(self.next_poll);
        }
        for optional in [self.snapshot_at, self.next_hawkes] {
            timer = timer.min(optional.unwrap_or(i64::MAX));
        }
        timer
    }

    /// Moves the clock to `to`: the fair price diffuses (and trends in the cascade), the
    /// cascade closes open interest, and stale quotes are dealt with.
    fn advance(&mut self, to: i64) -> Result<(), RecordingError> {
        let dt = Self::seconds(to - self.now);
        if dt > 0.0 {
            let multiplier = if self.in_cascade() { self.config.cascade_vol_multiplier } else { 1.0 };
            let sigma = self.config.calm_vol_bps_per_sqrt_s * 1e-4 * multiplier;
            let mut step = sigma * dt.sqrt() * self.random.normal();
            if let Some(cascade) = self.cascade {
                let trend = cascade.log_move * cascade.shape(to);
                step += trend - self.trend;
                self.trend = trend;
                let closed = cascade.shape(to) - cascade.shape(self.now);
                self.open_interest -= self.config.cascade_open_interest_drop_pct
                    * 1e-2
                    * self.tally.open_interest_at_onset
                    * closed;
            }
            self.fair *= step.exp();
            self.now = to;
        }
        self.repair_stale()
    }

    fn fire_timers(&mut self, t: i64) -> Result<(), RecordingError> {
        if let Some(cascade) = self.cascade {
            match self.phase {
                Phase::Before if t == cascade.onset => self.on_onset(),
                Phase::During if t == cascade.end => self.on_cascade_end(),
                _ => {}
            }
        }
        if self.next_hawkes == Some(t) {
            let baseline = self.config.liquidation_rate_per_s;
            let accepted = self.hawkes.on_candidate(baseline, &mut self.random);
            self.next_hawkes = self.hawkes.candidate().map(|time| ((time * 1e9).ceil() as i64).max(t));
            if accepted {
                let order_side = self.cascade_liquidation_side();
                self.liquidation(order_side)?;
            }
        }
        if self.next_diff == t {
            self.on_diff_timer(t)?;
        }
        if self.next_second == t {
            self.on_second(t)?;
        }
        if self.live && self.next_poll == t {
            self.on_poll(t);
        }
        if self.snapshot_at == Some(t) {
            self.on_snapshot(t);
        }
        Ok(())
    }

    fn on_onset(&mut self) {
        self.phase = Phase::During;
        self.tally.open_interest_at_onset = self.open_interest;
        self.tally.mid_at_onset = self.mid();
        self.tally.funding_before_onset = self.funding.rate();
        self.tally.funding_extreme = self.funding.rate();
        let now = Self::seconds(self.now);
        self.hawkes.reset(now);
        let candidate = self.hawkes.draw_candidate(now, self.config.liquidation_rate_per_s, &mut self.random);
        self.next_hawkes = candidate.map(|time| ((time * 1e9).ceil() as i64).max(self.now));
    }

    fn on_cascade_end(&mut self) {
        self.phase = Phase::After;
        self.tally.open_interest_at_end = self.open_interest;
        self.tally.mid_at_end = self.mid();
        // The cascade has exhausted itself: its excitation ends with it.
        self.hawkes.reset(Self::seconds(self.now));
        self.next_hawkes = None;
    }

    // ---- Poisson events ---------------------------------------------------------------------

    fn target_levels(&self) -> f64 {
        f64::from(self.config.levels_per_side)
    }

    fn add_rate(&self) -> f64 {
        ADD_RATE_PER_LEVEL * self.target_levels()
    }

    /// Cancels per second on `side`: rising with the square of the level count against its
    /// target, which holds the book near `levels_per_side` levels.
    fn cancel_rate(&self, side: Side) -> f64 {
        let fill = self.book.levels(side) as f64 / self.target_levels();
        CANCEL_BALANCE * self.add_rate() * fill * fill
    }

    fn taker_rate(&self) -> f64 {
        let multiplier = if self.in_cascade() { self.config.cascade_taker_rate_multiplier } else { 1.0 };
        self.config.taker_rate_per_s * multiplier
    }

    fn calm_liquidation_rate(&self) -> f64 {
        if self.live && !self.in_cascade() { self.config.calm_liquidation_rate_per_s } else { 0.0 }
    }

    fn withdrawal_rate(&self) -> f64 {
        if self.in_cascade() { WITHDRAWAL_RATE_PER_S * self.config.depth_withdrawal } else { 0.0 }
    }

    fn rates(&self) -> [f64; 7] {
        [
            self.add_rate(),
            self.add_rate(),
            self.cancel_rate(Side::Bid),
            self.cancel_rate(Side::Ask),
            self.taker_rate(),
            self.calm_liquidation_rate(),
            self.withdrawal_rate(),
        ]
    }

    fn total_rate(&self) -> f64 {
        self.rates().iter().sum()
    }

    fn poisson_event(&mut self) -> Result<(), RecordingError> {
        let rates = self.rates();
        let mut pick = self.random.unit() * rates.iter().sum::<f64>();
        let mut which = rates.len() - 1;
        for (index, rate) in rates.iter().enumerate() {
            if pick < *rate {
                which = index;
                break;
            }
            pick -= rate;
        }
        match which {
            0 => self.maker_add(Side::Bid),
            1 => self.maker_add(Side::Ask),
            2 => self.maker_cancel(Side::Bid),
            3 => self.maker_cancel(Side::Ask),
            4 => self.taker(),
            5 => {
                let side = if self.random.chance(0.5) { Side::Ask } else { Side::Bid };
                self.liquidation(side)
            }
            _ => self.withdraw(),
        }
    }

    /// Half the spread the makers leave around the fair price, ticks.
    fn half_spread(&self) -> f64 {
        if self.in_cascade() { (self.fair * self.config.cascade_spread_bps * 0.5e-4).max(0.5) } else { 0.5 }
    }

    fn bps(&self, bps: f64) -> f64 {
        self.fair * bps * 1e-4
    }

    /// How far behind the quote a new order goes, ticks.
    fn placement_distance(&mut self) -> f64 {
        if self.random.chance(NEAR_SHARE) {
            return self.random.exponential(NEAR_MEAN_TICKS);
        }
        let (far, max) = (self.bps(FAR_MEAN_BPS), self.bps(MAX_DEPTH_BPS));
        let distance = self.random.exponential(far);
        if distance > max { self.random.unit() * max } else { distance }
    }

    /// A maker order's size, lots, `distance` ticks from fair.
    fn maker_size(&mut self, distance: f64) -> i64 {
        let median = self.config.taker_median_qty * MAKER_OVER_TAKER / self.lot_value
            * (1.0 + distance / self.bps(SIZE_GROWTH_BPS));
        let mut size = self.random.log_normal(median, MAKER_SIZE_SIGMA);
        if self.random.chance(WALL_PROBABILITY) {
            size *= WALL_MULTIPLE;
        }
        (size.round() as i64).max(1)
    }

    fn maker_add(&mut self, side: Side) -> Result<(), RecordingError> {
        let distance = self.half_spread() + self.placement_distance();
        if self.in_cascade()
            && distance < self.bps(self.config.withdrawal_band_bps)
            && self.random.chance(self.config.depth_withdrawal)
        {
            return Ok(());
        }
        self.place(side, distance)
    }

    /// A maker order `distance` ticks from fair on `side`, never crossing the book.
    fn place(&mut self, side: Side, distance: f64) -> Result<(), RecordingError> {
        let price = match side {
            Side::Bid => {
                let price = (self.fair - distance).floor() as i64;
                self.book.best_ask().map_or(price, |(ask, _)| price.min(ask - 1))
            }
            Side::Ask => {
                let price = (self.fair + distance).ceil() as i64;
                self.book.best_bid().map_or(price, |(bid, _)| price.max(bid + 1))
            }
        };
        if price <= 0 {
            return Ok(());
        }
        let qty = self.maker_size(distance);
        self.book.add(side, price, qty);
        self.end_batch()
    }

    fn maker_cancel(&mut self, side: Side) -> Result<(), RecordingError> {
        let levels = self.book.levels(side);
        if levels <= MIN_LEVELS {
            return Ok(());
        }
        let Some(price) = self.book.nth_price(side, self.random.index(levels)) else { return Ok(()) };
        let qty = self.book.qty_at(side, price);
        let left =
            if self.random.chance(FULL_CANCEL_SHARE) { 0 } else { (qty as f64 * self.random.unit()) as i64 };
        if left == qty {
            return Ok(());
        }
        self.book.set(side, price, left);
        self.end_batch()
    }

    /// The cascade's depth withdrawal: a level near the touch is cancelled outright.
    fn withdraw(&mut self) -> Result<(), RecordingError> {
        let side = if self.random.chance(0.5) { Side::Bid } else { Side::Ask };
        if self.book.levels(side) <= MIN_LEVELS {
            return Ok(());
        }
        let (fair, band) = (self.fair, self.bps(self.config.withdrawal_band_bps));
        let near =
            self.book.best_first(side).take_while(|level| (level.price as f64 - fair).abs() < band).count();
        if near == 0 {
            return Ok(());
        }
        let Some(price) = self.book.nth_price(side, self.random.index(near)) else { return Ok(()) };
        self.book.set(side, price, 0);
        self.end_batch()
    }

    fn taker(&mut self) -> Result<(), RecordingError> {
        let buy_share = match self.cascade {
            Some(cascade) if self.in_cascade() => {
                let bias = self.config.cascade_taker_bias;
                if cascade.sign > 0.0 { bias } else { 1.0 - bias }
            }
            _ => 0.5,
        };
        let book_side = if self.random.chance(buy_share) { Side::Ask } else { Side::Bid };
        let multiplier = if self.in_cascade() { self.config.cascade_taker_size_multiplier } else { 1.0 };
        let median = self.config.taker_median_qty * multiplier / self.lot_value;
        let qty = (self.random.log_normal(median, TAKER_SIZE_SIGMA).round() as i64).max(1);
        let Some((touch, _)) = self.book.best(book_side) else { return Ok(()) };
        let reach = (touch as f64 * PROTECTION_BPS * 1e-4).ceil() as i64;
        let limit = match book_side {
            Side::Ask => touch + reach,
            Side::Bid => touch - reach,
        };
        if self.sweep(book_side, qty, limit, false)?.0 > 0 && self.live {
            self.tally.taker_orders += 1;
        }
        Ok(())
    }

    /// Quotes through the fair price (after it moved) are taken by an arbitrageur or pulled by
    /// their makers, and a touch left behind is joined by a maker at the quote, so the book
    /// follows the fair price. In the cascade a maker joins only with probability
    /// `1 − depth_withdrawal`.
    fn repair_stale(&mut self) -> Result<(), RecordingError> {
        self.remove_stale()?;
        let join = if self.in_cascade() { 1.0 - self.config.depth_withdrawal } else { 1.0 };
        let quote = self.half_spread();
        for side in [Side::Bid, Side::Ask] {
            let behind = match self.book.best(side) {
                Some((price, _)) => (price as f64 - self.fair).abs() - quote,
                None => f64::MAX,
            };
            if behind > FOLLOW_TICKS && self.random.chance(join) {
                let distance = quote + self.random.exponential(JOIN_MEAN_TICKS);
                self.place(side, distance)?;
            }
        }
        Ok(())
    }

    fn remove_stale(&mut self) -> Result<(), RecordingError> {
        for _ in 0..MAX_REPAIRS {
            let stale_bid = self.book.best_bid().filter(|&(bid, _)| bid as f64 > self.fair + STALE_TICKS);
            let stale_ask = self.book.best_ask().filter(|&(ask, _)| (ask as f64) < self.fair - STALE_TICKS);
            let (side, (price, qty)) = match (stale_bid, stale_ask) {
                (Some(bid), _) => (Side::Bid, bid),
                (None, Some(ask)) => (Side::Ask, ask),
                (None, None) => return Ok(()),
            };
            if self.book.levels(side) <= MIN_LEVELS {
                return Ok(());
            }
            if self.random.chance(ARBITRAGE_SHARE) {
                self.sweep(side, qty, price, false)?;
            } else {
                self.book.set(side, price, 0);
                self.end_batch()?;
            }
        }
        Ok(())
    }

    // ---- batches, trades, liquidations ------------------------------------------------------

    /// Ends a batch: the next update id, and a `bookTicker` if the top changed.
    fn end_batch(&mut self) -> Result<(), RecordingError> {
        self.update_id += 1 + self.random.index(UPDATE_ID_GAP) as u64;
        self.window_first.get_or_insert(self.update_id);
        self.last_batch_ns = self.now;
        if !self.live {
            return Ok(());
        }
        let (Some(bid), Some(ask)) = (self.book.best_bid(), self.book.best_ask()) else { return Ok(()) };
        let top = [bid.0, bid.1, ask.0, ask.1];
        if self.top == Some(top) {
            return Ok(());
        }
        self.top = Some(top);
        let time_ms = self.millis(self.now);
        self.encoder.book_ticker(self.out.frame(), self.update_id, bid, ask, time_ms);
        self.out.send_websocket(MessageKind::BookTicker, self.absolute(self.now))
    }

    /// Takes up to `qty` lots from `book_side`, not beyond `limit`: prints a trade per maker
    /// order filled (one to three per level) and ends the batch. Returns the lots filled and
    /// the last print's size; `self.fills` holds the levels.
    fn sweep(
        &mut self,
        book_side: Side,
        qty: i64,
        limit: i64,
        forced: bool,
    ) -> Result<(i64, i64), RecordingError> {
        self.fills.clear();
        let filled = self.book.take(book_side, qty, Some(limit), MIN_LEVELS, &mut self.fills);
        if filled == 0 {
            return Ok((0, 0));
        }
        let time_ms = self.millis(self.now);
        let mut last_print = 0;
        for index in 0..self.fills.len() {
            let Level { price, qty } = self.fills[index];
            let extra = EXTRA_PRINTS.iter().filter(|&&chance| self.random.chance(chance)).count() as i64;
            let prints = (1 + extra).min(qty);
            let mut left = qty;
            for print in 0..prints {
                let size = if print + 1 == prints {
                    left
                } else {
                    let share = (left as f64 * self.random.between(0.2, 0.8)).round() as i64;
                    share.clamp(1, left - (prints - print - 1))
                };
                left -= size;
                last_print = size;
                self.trade_id += 1;
                if self.live {
                    self.tally.trades += 1;
                    let print = Print {
                        id: self.trade_id,
                        price,
                        qty: size,
                        buyer_is_maker: book_side == Side::Bid,
                        forced,
                    };
                    self.encoder.trade(self.out.frame(), time_ms, time_ms, &print);
                    self.out.send_websocket(MessageKind::Trade, self.absolute(self.now))?;
                }
            }
            self.note_trade(price);
        }
        self.end_batch()?;
        Ok((filled, last_print))
    }

    fn note_trade(&mut self, price: i64) {
        self.last_trade = price as f64;
        if !self.live {
            return;
        }
        let tally = &mut self.tally;
        if tally.first_trade.is_none() {
            tally.first_trade = Some(price);
            (tally.low_trade, tally.high_trade) = (price, price);
        }
        tally.last_trade = price;
        tally.low_trade = tally.low_trade.min(price);
        tally.high_trade = tally.high_trade.max(price);
    }

    /// The side of the cascade's next liquidation order: mostly against the crowded side
    /// (SELL in a down cascade, longs liquidated).
    fn cascade_liquidation_side(&mut self) -> Side {
        let down = self.cascade.is_none_or(|cascade| cascade.sign < 0.0);
        let against = self.random.chance(AGAINST_SHARE);
        if down != against { Side::Ask } else { Side::Bid }
    }

    /// A liquidation order on `order_side` (`Ask`: SELL): an IOC limit order well through the
    /// touch, walking the book; then its `forceOrder`.
    fn liquidation(&mut self, order_side: Side) -> Result<(), RecordingError> {
        if !self.live {
            return Ok(());
        }
        let book_side = order_side.opposite();
        let median = self.config.liquidation_median_qty / self.lot_value;
        let qty = (self.random.log_normal(median, LIQUIDATION_SIZE_SIGMA).round() as i64).max(1);
        let Some((touch, _)) = self.book.best(book_side) else { return Ok(()) };
        let slip = touch as f64 * LIQUIDATION_SLIPPAGE_BPS * 1e-4;
        let limit = match order_side {
            Side::Ask => (touch as f64 - slip).floor() as i64,
            Side::Bid => (touch as f64 + slip).ceil() as i64,
        }
        .max(1);
        let (filled, last_qty) = self.sweep(book_side, qty, limit, true)?;
        if filled == 0 {
            return Ok(());
        }
        let notional: f64 = self.fills.iter().map(|fill| fill.price as f64 * fill.qty as f64).sum();
        let average_quote = notional / filled as f64 * self.tick.to_f64();
        let order = ForceOrder {
            side: order_side,
            qty,
            price: limit,
            average_cents: (average_quote * 100.0).round() as i64,
            last_qty,
            filled,
            trade_ms: self.millis(self.now),
        };
        self.open_interest = (self.open_interest - filled as f64).max(0.0);
        self.tally.liquidations += 1;
        self.tally.liquidated_lots += filled;
        if self.in_cascade() {
            self.tally.liquidations_in_cascade += 1;
        }
        if self.config.force_order_snapshots {
            self.pending_force = Some(order);
            return Ok(());
        }
        self.send_force_order(&order, self.now)
    }

    fn send_force_order(&mut self, order: &ForceOrder, t: i64) -> Result<(), RecordingError> {
        let event_ms = self.millis(t);
        self.encoder.force_order(self.out.frame(), event_ms, order);
        self.out.send_websocket(MessageKind::ForceOrder, self.absolute(t))
    }

    // ---- timers -----------------------------------------------------------------------------

    fn on_diff_timer(&mut self, t: i64) -> Result<(), RecordingError> {
        self.prune()?;
        if self.live {
            self.flush_diff()?;
        } else if t >= 0 {
            // The stream opens: what happened before is in no diff (the snapshot has it).
            self.live = true;
            self.book.forget_changes();
            self.window_first = None;
            self.last_diff_id = self.update_id;
        } else {
            self.book.forget_changes();
        }
        let interval =
            self.random.between(self.config.diff_min_interval_ms, self.config.diff_max_interval_ms);
        let next = t + ((interval * 1e6) as i64).max(1);
        self.next_diff = if t < 0 { next.min(0) } else { next };
        Ok(())
    }

    /// Sends the diff of the window, if anything changed.
    fn flush_diff(&mut self) -> Result<(), RecordingError> {
        let Some(first) = self.window_first.filter(|_| self.book.has_changes() && self.live) else {
            return Ok(());
        };
        self.book.drain_changes(&mut self.diff_bids, &mut self.diff_asks);
        let ids = (first, self.update_id, self.last_diff_id);
        let times = (self.millis(self.now), self.millis(self.last_batch_ns));
        self.encoder.depth_update(self.out.frame(), times.0, times.1, ids, &self.diff_bids, &self.diff_asks);
        self.out.send_websocket(MessageKind::DepthUpdate, self.absolute(self.now))?;
        self.last_diff_id = self.update_id;
        self.window_first = None;
        self.diffs_sent += 1;
        Ok(())
    }

    /// Cancels the levels the price has moved far away from (one batch).
    fn prune(&mut self) -> Result<(), RecordingError> {
        let reach = self.bps(MAX_DEPTH_BPS) * PRUNE_BEYOND;
        let mut pruned = false;
        for side in [Side::Bid, Side::Ask] {
            while self.book.levels(side) > MIN_LEVELS {
                let worst = self.book.nth_price(side, self.book.levels(side) - 1);
                match worst {
                    Some(price) if (price as f64 - self.fair).abs() > reach => {
                        self.book.set(side, price, 0);
                        pruned = true;
                    }
                    _ => break,
                }
            }
        }
        if pruned { self.end_batch() } else { Ok(()) }
    }

    fn mid(&self) -> f64 {
        match (self.book.best_bid(), self.book.best_ask()) {
            (Some((bid, _)), Some((ask, _))) => (bid + ask) as f64 / 2.0,
            _ => self.fair,
        }
    }

    /// Each second: index, premium, funding and mark move on; open interest drifts; the mark
    /// price update (and a held liquidation snapshot) is pushed.
    fn on_second(&mut self, t: i64) -> Result<(), RecordingError> {
        let mid = self.mid();
        self.funding.on_second(self.fair, mid, self.in_cascade());
        self.open_interest *= (OPEN_INTEREST_VOL * self.random.normal()).exp();
        self.next_second = t + NS;
        if !self.live {
            return Ok(());
        }
        if self.phase != Phase::Before {
            let extreme = if self.config.cascade_direction.sign() < 0.0 { f64::min } else { f64::max };
            self.tally.funding_extreme = extreme(self.tally.funding_extreme, self.funding.rate());
        }
        self.tally.level_samples += 1;
        self.tally.level_sum += (self.book.levels(Side::Bid) + self.book.levels(Side::Ask)) as u64;
        let event_ms = self.millis(t);
        let mark = self.funding.mark_price(event_ms, self.last_trade, self.tick.to_f64());
        self.encoder.mark_price(self.out.frame(), event_ms, &mark);
        self.out.send_websocket(MessageKind::MarkPrice, self.absolute(t))?;
        if let Some(order) = self.pending_force.take() {
            self.send_force_order(&order, t)?;
        }
        Ok(())
    }

    /// An open interest poll, served now.
    fn on_poll(&mut self, t: i64) {
        let qty = self.open_interest.round() as i64;
        let time_ms = self.millis(t);
        self.encoder.open_interest(self.out.frame(), qty, time_ms);
        self.out.send_rest(Rest::OpenInterest, self.absolute(t));
        self.tally.open_interest_last = self.open_interest;
        self.next_poll = t + (self.config.open_interest_poll_s * 1e9) as i64;
    }

    /// The depth snapshot, served now with the book as of the last update id, once a diff has
    /// been sent (so a diff with `U <= lastUpdateId <= u` exists or follows).
    fn on_snapshot(&mut self, t: i64) {
        if self.diffs_sent == 0 {
            self.snapshot_at = Some(t + 50 * MS);
            return;
        }
        self.snapshot_at = None;
        let times = (self.millis(t), self.millis(self.last_batch_ns));
        let buffer = self.out.frame();
        let (bids, asks) =
            (self.book.best_first(Side::Bid).take(1000), self.book.best_first(Side::Ask).take(1000));
        self.encoder.snapshot(buffer, self.update_id, times, bids, asks);
        self.out.send_rest(Rest::Depth, self.absolute(t));
    }

    /// The book before the tape: each side filled to half its target, the warm-up does the rest.
    fn seed_book(&mut self) {
        let half = self.config.levels_per_side as usize / 2;
        for side in [Side::Bid, Side::Ask] {
            let mut attempts = 0;
            while self.book.levels(side) < half && attempts < 100_000 {
                attempts += 1;
                let distance = 0.5 + self.placement_distance();
                let price = match side {
                    Side::Bid => (self.fair - distance).floor() as i64,
                    Side::Ask => (self.fair + distance).ceil() as i64,
                };
                if price > 0 {
                    let qty = self.maker_size(distance);
                    self.book.add(side, price, qty);
                }
            }
        }
        self.book.forget_changes();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cascade_trend_is_front_loaded() {
        // 1 − (1 − x)²: nothing before the onset, three quarters of the move at half time, all
        // of it at the end and after.
        let cascade = Cascade { onset: 100, end: 300, sign: -1.0, log_move: (0.975_f64).ln() };
        let shapes = [0, 100, 200, 300, 400].map(|t| cascade.shape(t));
        assert_eq!(shapes, [0.0, 0.0, 0.75, 1.0, 1.0]);
    }

    #[test]
    fn a_calm_tape_keeps_its_levels_and_a_tight_spread() {
        let path = std::env::temp_dir().join(format!("halcyon-synth-model-{}.hcap", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let config = MarketConfig {
            duration_s: 60.0,
            cascade: false,
            calm_liquidation_rate_per_s: 0.0,
            ..MarketConfig::default()
        };
        let resolved = config.resolve().unwrap();
        let mut market = Market::new(&config, &resolved, &path).unwrap();
        market.seed_book();
        let mut spreads = Vec::new();
        let mut second = market.next_second;
        while market.step().unwrap() {
            if market.next_second != second && market.live {
                second = market.next_second;
                let (bid, ask) = (market.book.best_bid().unwrap().0, market.book.best_ask().unwrap().0);
                spreads.push(ask - bid);
                // The book straddles the fair price.
                assert!(
                    (bid as f64) <= market.fair + STALE_TICKS && (ask as f64) >= market.fair - STALE_TICKS
                );
            }
        }
        // Levels per side near the target of 200; the spread a few ticks at most, mostly one
        // or two.
        let levels = market.tally.level_sum as f64 / (2 * market.tally.level_samples) as f64;
        assert!((150.0..250.0).contains(&levels), "{levels} levels per side");
        assert!(spreads.len() >= 59);
        assert!(spreads.iter().all(|&spread| (1..=12).contains(&spread)), "{spreads:?}");
        let tight = spreads.iter().filter(|&&spread| spread <= 2).count();
        assert!(tight * 2 > spreads.len(), "{spreads:?}");
        assert_eq!((market.tally.liquidations, market.phase), (0, Phase::After));
        drop(market);
        std::fs::remove_file(&path).unwrap();
    }
}
