//! [`Sampler`]: the replay's observer on the quoting core's thread. At every frame end it
//! accumulates what the summary needs exactly (time quoted, time-weighted inventory); every
//! `interval` of event time, and after every fill, it records a [`Sample`] for the report.
//!
//! It reads the core only through [`QuotingCore::snapshot`], after the core has handled the
//! event, so it sees what the core decided; it never changes anything.

use super::series::Sample;
use crate::gateway::Gateway;
use crate::pipeline::CoreObserver;
use crate::pipeline::core::{CoreSnapshot, Exposure as CoreExposure, QuotingCore};
use feeds::{Event, EventKind, InstrumentId, Nanos, Step};

/// Event-time accumulators over the whole run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Exposure {
    /// Event time covered, nanoseconds (first to last frame end).
    pub total_ns: i64,
    /// Time with both our bid and ask resting.
    pub two_sided_ns: i64,
    /// Time with at least one side resting.
    pub any_side_ns: i64,
    /// ∫|position| dt, lots × nanoseconds.
    pub abs_position_lot_ns: f64,
    /// Largest |position| seen at a frame end, lots.
    pub max_abs_position: i64,
}

/// Samples the core of one instrument.
pub struct Sampler {
    instrument: InstrumentId,
    tick: f64,
    lot: f64,
    interval: i64,
    next_sample: i64,
    fills_seen: u64,
    last: Option<(Nanos, CoreExposure)>,
    samples: Vec<Sample>,
    exposure: Exposure,
}

/// Samples reserved up front (an hour at 100 ms); a longer run grows the list.
const SAMPLES_RESERVED: usize = 36_000;

impl Sampler {
    /// Samples `instrument` (tick and lot for units) every `interval_ns` of event time.
    pub fn new(instrument: InstrumentId, tick: Step, lot: Step, interval_ns: i64) -> Sampler {
        Sampler {
            instrument,
            tick: tick.to_f64(),
            lot: lot.to_f64(),
            interval: interval_ns.max(1),
            next_sample: i64::MIN,
            fills_seen: 0,
            last: None,
            samples: Vec::with_capacity(SAMPLES_RESERVED),
            exposure: Exposure::default(),
        }
    }

    /// The samples and accumulators.
    pub fn finish(self) -> (Vec<Sample>, Exposure) {
        (self.samples, self.exposure)
    }

    fn sample(&self, time: Nanos, snapshot: &CoreSnapshot) -> Sample {
        let price = |ticks: f64| ticks * self.tick;
        let mid = snapshot.mid.unwrap_or(f64::NAN);
        let quoting = snapshot.bid.is_some() || snapshot.ask.is_some();
        Sample {
            time,
            mid: price(mid),
            bid: snapshot.bid.map(|bid| price(bid.0 as f64)),
            ask: snapshot.ask.map(|ask| price(ask.0 as f64)),
            fair_value: snapshot.fair_value.map_or(f64::NAN, price),
            position: snapshot.account.position().0 as f64 * self.lot,
            pnl: if mid.is_finite() { snapshot.account.pnl_f64(mid) } else { f64::NAN },
            toxicity: snapshot.toxicity,
            volatility_bps: snapshot.volatility * 1e4,
            half_spread_bps: if quoting && mid > 0.0 {
                snapshot.half_spread_ticks / mid * 1e4
            } else {
                f64::NAN
            },
            state: snapshot.state,
            cascade_score: snapshot.cascade_score,
        }
    }
}

impl<Venue: Gateway> CoreObserver<Venue> for Sampler {
    #[inline]
    fn after_event(&mut self, core: &mut QuotingCore<Venue>, event: &Event) {
        // A frame that produced nothing (undecoded, ignored) carries no time of its own.
        if !matches!(event.kind(), EventKind::FrameEnd(end) if end.events > 0) {
            return;
        }
        let Some(exposure) = core.exposure(self.instrument) else { return };
        let now = event.exchange_time;
        if let Some((then, previous)) = &self.last
            && now > *then
        {
            let dt = now.0 - then.0;
            let totals = &mut self.exposure;
            totals.total_ns += dt;
            totals.two_sided_ns += if previous.bid && previous.ask { dt } else { 0 };
            totals.any_side_ns += if previous.bid || previous.ask { dt } else { 0 };
            totals.abs_position_lot_ns += previous.position.0.unsigned_abs() as f64 * dt as f64;
        }
        let position = exposure.position.0.unsigned_abs() as i64;
        self.exposure.max_abs_position = self.exposure.max_abs_position.max(position);
        if (now.0 >= self.next_sample || exposure.fills != self.fills_seen)
            && let Some(snapshot) = core.snapshot(self.instrument)
        {
            self.fills_seen = exposure.fills;
            self.next_sample = now.0 - now.0.rem_euclid(self.interval) + self.interval;
            let sample = self.sample(now, &snapshot);
            self.samples.push(sample);
        }
        if self.last.as_ref().is_none_or(|(then, _)| now >= *then) {
            self.last = Some((now, exposure));
        }
    }
}
