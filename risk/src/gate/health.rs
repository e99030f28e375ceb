//! The stale-data guard: the feed's health (an outstanding gap, until a snapshot has loaded),
//! the gate's two clocks (exchange time and local time, see the module docs of
//! [`gate`](super)), book age and silence, and the kill it throws when the data stays unhealthy
//! for longer than `kill_after_stale`.

use super::RiskGate;
use crate::reason::Reason;
use feeds::{ClearReason, Event, EventKind, FeedCondition, Nanos};

/// The feed's health as the gate follows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FeedHealth {
    /// No gap outstanding.
    Healthy,
    /// A gap or reconnect was reported; waiting for a snapshot.
    Gap,
    /// A snapshot is loading after a gap: its clear has been seen, its last level not yet.
    Reloading,
}

impl RiskGate {
    /// Follows one event of the instrument.
    ///
    /// - Any event: its receive time is the latest sign of life (for silence) and moves the
    ///   local clock.
    /// - A market-data event (book, best bid/offer, trade, liquidation, mark price, open
    ///   interest): its exchange time moves the gate's exchange clock (the latest seen: the
    ///   venue's streams arrive slightly out of time order).
    /// - A book level, clear or best bid/offer: its exchange time is the latest book update.
    /// - A pushed event (a diff level, best bid/offer, trade, liquidation, mark price): its
    ///   latency `receive − exchange` is a lag sample. Snapshots (requested, and late by their
    ///   request's round trip), open interest (polled), feed statuses and frame ends are not.
    /// - A [`FeedCondition::Gap`] or [`FeedCondition::Reconnected`]: a gap is outstanding, and
    ///   stays so until a snapshot has loaded (a snapshot clear, then a snapshot level marked
    ///   last), the same rule that makes the book trusted again. An abandoned book while
    ///   reloading puts the gap back.
    ///
    /// Then, if the data is unhealthy (see [`RiskGate::data_fault`]) and has been so for more
    /// than `kill_after_stale` of local time, the kill switch is thrown with that fault.
    #[inline]
    pub fn on_event(&mut self, event: &Event) {
        let receive = event.receive_time;
        self.last_receive = Some(self.last_receive.map_or(receive, |last| last.max(receive)));
        let local_now = self.advance_local(receive);
        let (market_data, pushed) = match event.kind() {
            EventKind::BookLevel(level) => {
                self.note_book_update(event.exchange_time);
                if level.last && level.snapshot && self.feed == FeedHealth::Reloading {
                    self.feed = FeedHealth::Healthy;
                }
                (true, !level.snapshot)
            }
            EventKind::BookClear(clear) => {
                self.note_book_update(event.exchange_time);
                if self.feed != FeedHealth::Healthy {
                    self.feed = match (clear.reason, clear.last) {
                        (ClearReason::Snapshot, true) => FeedHealth::Healthy,
                        (ClearReason::Snapshot, false) => FeedHealth::Reloading,
                        (ClearReason::Abandoned, _) => FeedHealth::Gap,
                    };
                }
                (true, false)
            }
            EventKind::Bbo(_) => {
                self.note_book_update(event.exchange_time);
                (true, true)
            }
            EventKind::Trade(_) | EventKind::Liquidation(_) | EventKind::MarkPrice(_) => (true, true),
            EventKind::OpenInterest(_) | EventKind::Options(_) => (true, false),
            EventKind::FeedStatus(status) => {
                match status.condition {
                    FeedCondition::Gap | FeedCondition::Reconnected => self.feed = FeedHealth::Gap,
                    // A resync follows a gap already noted; staleness is measured here, by time.
                    FeedCondition::Resync | FeedCondition::Stale => {}
                }
                (false, false)
            }
            EventKind::FrameEnd(_) => (false, false),
        };
        if market_data {
            let time = event.exchange_time;
            self.exchange_now = Some(self.exchange_now.map_or(time, |now| now.max(time)));
        }
        if pushed {
            let latency = receive.saturating_since(event.exchange_time);
            self.lag_excess = Some(self.lag.sample(local_now, latency));
        }
        self.watch_staleness();
    }

    /// Moves the local clock to `local_now` (a timer's tick, from the clock that stamps the
    /// feed's receive times; an earlier time than the latest seen changes nothing), then
    /// checks for staleness as [`RiskGate::on_event`] does. Without events this is what
    /// notices a silent feed: call it from the engine's idle loop or a timer, more often than
    /// `max_silence`.
    #[inline]
    pub fn on_time(&mut self, local_now: Nanos) {
        self.advance_local(local_now);
        self.watch_staleness();
    }

    #[inline]
    fn note_book_update(&mut self, time: Nanos) {
        if self.last_book_update.is_none_or(|last| time > last) {
            self.last_book_update = Some(time);
        }
    }

    #[inline]
    fn advance_local(&mut self, time: Nanos) -> Nanos {
        let now = self.local_now.map_or(time, |now| now.max(time));
        self.local_now = Some(now);
        now
    }

    /// Starts, keeps or stops the unhealthy timer at the local clock, and kills when it has run
    /// for more than `kill_after_stale`.
    #[inline]
    fn watch_staleness(&mut self) {
        let Some(now) = self.local_now else { return };
        if self.kill.is_some() {
            self.unhealthy_since = None;
            return;
        }
        match self.data_fault() {
            None => self.unhealthy_since = None,
            Some(fault) => {
                let since = *self.unhealthy_since.get_or_insert(now);
                if now.saturating_since(since) > self.limits.kill_after_stale.0 {
                    self.trigger(now, fault);
                }
            }
        }
    }

    /// What the gate itself sees wrong with the market data right now, by its own clocks, in
    /// check order: a gap outstanding ([`Reason::FeedGap`]), a book older than
    /// `max_book_age` by the latest exchange time seen ([`Reason::BookStale`]), lag
    /// ([`Reason::FeedLag`]), silence ([`Reason::FeedSilent`]). `None` when healthy, and before
    /// the first book update and the first event (a feed that never started is not stale; the
    /// checks refuse it anyway).
    ///
    /// For the engine's timer: when this is `Some`, pull the quotes; no intent would pass.
    pub fn data_fault(&self) -> Option<Reason> {
        let limits = &self.limits;
        if self.feed != FeedHealth::Healthy {
            return Some(Reason::FeedGap);
        }
        if let (Some(last), Some(now)) = (self.last_book_update, self.exchange_now)
            && now.saturating_since(last) > limits.max_book_age.0
        {
            return Some(Reason::BookStale);
        }
        if self.lag_excess.is_some_and(|excess| excess > limits.max_lag.0) {
            return Some(Reason::FeedLag);
        }
        if let (Some(last), Some(now)) = (self.last_receive, self.local_now)
            && now.saturating_since(last) > limits.max_silence.0
        {
            return Some(Reason::FeedSilent);
        }
        None
    }

    /// True while a feed gap is outstanding (reported and not yet healed by a snapshot).
    #[inline]
    pub fn gap_outstanding(&self) -> bool {
        self.feed != FeedHealth::Healthy
    }

    /// Exchange time of the latest book update seen; `None` before the first.
    #[inline]
    pub fn last_book_update(&self) -> Option<Nanos> {
        self.last_book_update
    }

    /// The local clock: the latest receive time or [`on_time`](RiskGate::on_time); `None`
    /// before either.
    #[inline]
    pub fn local_now(&self) -> Option<Nanos> {
        self.local_now
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::gate::{KillEvent, MarketContext};
    use crate::limits::RiskLimits;
    use crate::reason::Reason;

    #[test]
    fn a_stale_book_is_refused() {
        let mut gate = gate();
        // Last update at 0 ms; 1000 ms later is still fresh (the limit is inclusive), 1001 not.
        let at = |ms| MarketContext { now: Nanos(ms * MS), ..market() };
        assert!(gate.check(buy(999, 1), &at(1000)).is_approved());
        assert_eq!(gate.check(buy(999, 1), &at(1001)).reason(), Some(Reason::BookStale));
        // A ticker at 900 ms refreshes it.
        gate.on_event(&bbo(900));
        assert!(gate.check(buy(999, 1), &at(1001)).is_approved());
        // An older ticker arriving late does not move the time back.
        gate.on_event(&bbo(100));
        assert_eq!(gate.last_book_update(), Some(Nanos(900 * MS)));
        // Before any book update at all, the book is stale.
        let mut fresh = RiskGate::new(RiskLimits::default());
        assert_eq!(fresh.check(buy(999, 1), &market()).reason(), Some(Reason::BookStale));
    }

    #[test]
    fn a_gap_is_refused_until_a_snapshot_has_loaded() {
        let mut gate = gate();
        gate.on_event(&status(10, FeedCondition::Gap));
        assert!(gate.gap_outstanding());
        assert_eq!(gate.data_fault(), Some(Reason::FeedGap));
        // Even with the engine's book still reporting trusted, the gap comes first.
        assert_eq!(gate.check(buy(999, 1), &market()).reason(), Some(Reason::FeedGap));
        // Diffs keep coming (complete updates, not snapshots): still a gap.
        gate.on_event(&level(20, true, false));
        assert_eq!(gate.check(buy(999, 1), &market()).reason(), Some(Reason::FeedGap));
        // A snapshot starts loading: still a gap until its last level.
        gate.on_event(&clear(30, ClearReason::Snapshot, false));
        gate.on_event(&level(30, false, true));
        assert_eq!(gate.check(buy(999, 1), &market()).reason(), Some(Reason::FeedGap));
        gate.on_event(&level(30, true, true));
        assert!(!gate.gap_outstanding());
        assert_eq!(gate.data_fault(), None);
        assert!(gate.check(buy(999, 1), &market()).is_approved());
    }

    #[test]
    fn a_reconnect_counts_as_a_gap_and_an_abandoned_reload_keeps_it() {
        let mut gate = gate();
        gate.on_event(&status(10, FeedCondition::Reconnected));
        gate.on_event(&clear(20, ClearReason::Snapshot, false));
        gate.on_event(&clear(30, ClearReason::Abandoned, true));
        // A stray last snapshot level without a fresh snapshot clear does not heal it.
        gate.on_event(&level(40, true, true));
        assert_eq!(gate.check(buy(999, 1), &market()).reason(), Some(Reason::FeedGap));
        // An empty snapshot (a clear carrying `last`) does.
        gate.on_event(&clear(50, ClearReason::Snapshot, true));
        assert!(gate.check(buy(999, 1), &market()).is_approved());
        // Stale and resync notices alone change nothing.
        gate.on_event(&status(60, FeedCondition::Stale));
        gate.on_event(&status(60, FeedCondition::Resync));
        assert!(!gate.gap_outstanding());
    }

    #[test]
    fn silence_is_noticed_by_the_timer() {
        let mut gate = gate();
        // 1 s after the last event is still fine (inclusive), 1 ms more is a missed heartbeat.
        gate.on_time(Nanos(1_000 * MS));
        assert_eq!(gate.data_fault(), None);
        assert!(gate.check(buy(999, 1), &market()).is_approved());
        gate.on_time(Nanos(1_001 * MS));
        assert_eq!(gate.data_fault(), Some(Reason::FeedSilent));
        assert_eq!(gate.check(buy(999, 1), &market()).reason(), Some(Reason::FeedSilent));
        // A timer running late (an earlier time) does not move the clock back.
        gate.on_time(Nanos(10 * MS));
        assert_eq!(gate.local_now(), Some(Nanos(1_001 * MS)));
        // Any event is a sign of life, even one that changes nothing.
        gate.on_event(&status(1_002, FeedCondition::Resync));
        assert_eq!(gate.check(buy(999, 1), &market()).reason(), None);
    }

    #[test]
    fn data_stale_for_longer_than_the_limit_kills() {
        let mut gate = gate_with(RiskLimits { kill_after_stale: Nanos(2_000 * MS), ..limits() });
        // Silent from 1 001 ms on (first seen at the 1 100 ms tick); the timer starts there and
        // kills when more than 2 s have passed.
        for ms in (100..=3_100).step_by(100) {
            gate.on_time(Nanos(ms * MS));
            assert!(!gate.is_killed(), "{ms}");
        }
        gate.on_time(Nanos(3_101 * MS));
        assert_eq!(
            gate.kill_event(),
            Some(KillEvent { time: Nanos(3_101 * MS), reason: Reason::FeedSilent })
        );
        assert_eq!(gate.kill_count(), 1);
        assert_eq!(gate.check(buy(999, 1), &market()).reason(), Some(Reason::Killed));
        // Once killed, further staleness is not counted again; the feed coming back does not
        // reopen the switch.
        gate.on_time(Nanos(9_000 * MS));
        gate.on_event(&bbo(9_001));
        assert_eq!(gate.kill_count(), 1);
        assert!(gate.is_killed());
        gate.reset();
        assert!(gate.check(buy(999, 1), &MarketContext { now: Nanos(9_001 * MS), ..market() }).is_approved());
    }

    #[test]
    fn a_healthy_moment_restarts_the_stale_timer() {
        let mut gate = gate_with(RiskLimits { kill_after_stale: Nanos(2_000 * MS), ..limits() });
        // Silences of 1.5 s between events, each over the 1 s limit, but the data is healthy
        // again at each event: 20 s of it never kills.
        for second in 1..=20 {
            let ms = second * 1_500;
            gate.on_time(Nanos((ms - 1) * MS));
            assert_eq!(gate.data_fault(), Some(Reason::FeedSilent));
            gate.on_event(&bbo(ms));
            assert_eq!(gate.data_fault(), None);
        }
        assert!(!gate.is_killed());
    }

    #[test]
    fn a_book_that_stops_while_trades_flow_is_stale_and_then_killed() {
        let mut gate = gate_with(RiskLimits { kill_after_stale: Nanos(3_000 * MS), ..limits() });
        // Trades every 100 ms, no book update after 0 ms: stale from the trade at 1 100 ms
        // (1 000 ms after it is still fresh), killed more than 3 s later.
        let mut killed_at = None;
        for ms in (100..=6_000).step_by(100) {
            gate.on_event(&trade(ms, ms));
            if ms == 1_000 {
                assert_eq!(gate.data_fault(), None);
            }
            if ms == 1_100 {
                assert_eq!(gate.data_fault(), Some(Reason::BookStale));
            }
            if gate.is_killed() && killed_at.is_none() {
                killed_at = Some(ms);
            }
        }
        assert_eq!(killed_at, Some(4_200));
        assert_eq!(gate.kill_reason(), Some(Reason::BookStale));
    }

    #[test]
    fn a_gap_that_does_not_heal_kills() {
        let mut gate = gate();
        gate.on_event(&status(10, FeedCondition::Gap));
        for ms in (20..=10_010).step_by(10) {
            gate.on_event(&level(ms, true, false));
        }
        assert!(!gate.is_killed());
        gate.on_event(&level(10_011, true, false));
        assert_eq!(gate.kill_event(), Some(KillEvent { time: Nanos(10_011 * MS), reason: Reason::FeedGap }));
    }
}
