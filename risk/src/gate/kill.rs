//! The kill switch: [`KillEvent`], when and why it was thrown, and the gate's latch. Thrown by
//! hand ([`RiskGate::kill`], also the cascade detector's kill), by the session's loss or
//! drawdown ([`RiskGate::on_pnl`]), or by data stale for too long (the stale-data guard);
//! opened again only by [`RiskGate::reset`].

use super::RiskGate;
use crate::reason::Reason;
use feeds::Nanos;

/// When and why the kill switch was thrown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KillEvent {
    /// When: the time given to [`RiskGate::kill_at`] or [`RiskGate::on_pnl`]; for a stale-data
    /// kill, and for [`RiskGate::kill`], the gate's local clock (the latest receive time or
    /// [`on_time`](RiskGate::on_time); zero before either).
    pub time: Nanos,
    /// Why: [`Reason::Manual`], [`Reason::MaxLoss`], [`Reason::Drawdown`],
    /// [`Reason::Cascade`], or the data fault that lasted (see [`Reason`]).
    pub reason: Reason,
}

impl RiskGate {
    /// Throws the kill switch by hand, at the gate's local clock: every [`check`](RiskGate::check)
    /// is rejected with [`Reason::Killed`] until [`RiskGate::reset`]. Latched: a second kill
    /// keeps the first event (and is counted). Use [`Reason::Manual`] for an operator's kill
    /// and [`Reason::Cascade`] for the cascade detector's.
    pub fn kill(&mut self, reason: Reason) {
        let now = self.local_now.unwrap_or(Nanos::ZERO);
        self.kill_at(now, reason);
    }

    /// [`RiskGate::kill`] at a given time.
    pub fn kill_at(&mut self, time: Nanos, reason: Reason) {
        self.kills += 1;
        if self.kill.is_none() {
            self.kill = Some(KillEvent { time, reason });
            self.unhealthy_since = None;
        }
    }

    /// An automatic trigger: throws the switch if it is open. Once latched, automatic
    /// conditions are not counted again (they would count on every event).
    #[inline]
    pub(super) fn trigger(&mut self, time: Nanos, reason: Reason) {
        if self.kill.is_none() {
            self.kill_at(time, reason);
        }
    }

    /// Opens the kill switch again and restarts the unhealthy timer. Feed health, clocks, the
    /// PnL peak and the counters are untouched, so a condition that still holds throws it again
    /// at its next evaluation (a loss at the next PnL, stale data after `kill_after_stale`).
    pub fn reset(&mut self) {
        self.kill = None;
        self.unhealthy_since = None;
    }

    /// Follows the session's PnL, in quote currency (realised plus marked-to-market, fees
    /// included, zero at the session's start), computed at `now`. Throws the kill switch, at
    /// `now`, with [`Reason::MaxLoss`] if the PnL is below `−max_loss` or is not a number (the
    /// book keeping is broken: we cannot see our loss), else with [`Reason::Drawdown`] if it is
    /// more than `max_drawdown` below the session's peak (the highest PnL reported, never below
    /// zero). The peak is kept across [`RiskGate::reset`]: a reset while still beyond a limit
    /// is killed again at the next report.
    pub fn on_pnl(&mut self, now: Nanos, pnl: f64) {
        self.pnl = Some(pnl);
        if !pnl.is_finite() {
            self.trigger(now, Reason::MaxLoss);
            return;
        }
        self.peak_pnl = self.peak_pnl.max(pnl);
        if pnl < -self.limits.max_loss {
            self.trigger(now, Reason::MaxLoss);
        } else if self.peak_pnl - pnl > self.limits.max_drawdown {
            self.trigger(now, Reason::Drawdown);
        }
    }

    /// True while the kill switch is latched.
    #[inline]
    pub fn is_killed(&self) -> bool {
        self.kill.is_some()
    }

    /// Why the kill switch was thrown, while it is latched.
    #[inline]
    pub fn kill_reason(&self) -> Option<Reason> {
        self.kill.map(|kill| kill.reason)
    }

    /// The event that latched the kill switch (the first trigger since the last reset), while it
    /// is latched.
    #[inline]
    pub fn kill_event(&self) -> Option<KillEvent> {
        self.kill
    }

    /// Kill triggers since construction: every [`kill`](RiskGate::kill) and
    /// [`kill_at`](RiskGate::kill_at), latched or not, and every automatic trigger (loss,
    /// drawdown, stale data) that threw an open switch.
    #[inline]
    pub fn kill_count(&self) -> u64 {
        self.kills
    }

    /// True while the switch is latched and the limits ask to flatten: the engine should, after
    /// cancelling everything, work the position down with exits checked by
    /// [`RiskGate::check_exit`].
    #[inline]
    pub fn should_flatten(&self) -> bool {
        self.kill.is_some() && self.limits.flatten
    }

    /// The latest session PnL reported, and the session's peak (never below zero).
    #[inline]
    pub fn pnl(&self) -> (Option<f64>, f64) {
        (self.pnl, self.peak_pnl)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::gate::Verdict;
    use crate::limits::RiskLimits;
    use feeds::ClearReason;

    #[test]
    fn the_kill_switch_latches_until_reset() {
        let mut gate = gate();
        gate.kill(Reason::Manual);
        gate.kill(Reason::Cascade);
        assert!(gate.is_killed());
        assert_eq!(gate.kill_reason(), Some(Reason::Manual));
        // A manual kill is stamped with the gate's local clock (the best bid/offer at 0 ms).
        assert_eq!(gate.kill_event(), Some(KillEvent { time: Nanos(0), reason: Reason::Manual }));
        assert_eq!(gate.kill_count(), 2);
        // Killed outranks everything, even a sound intent in a sound market, and stays.
        for _ in 0..3 {
            assert_eq!(gate.check(buy(999, 1), &market()), Verdict::Reject(Reason::Killed));
        }
        // Events do not reopen it; only reset does.
        gate.on_event(&clear(10, ClearReason::Snapshot, true));
        assert!(gate.is_killed());
        gate.reset();
        assert!(!gate.is_killed());
        assert_eq!(gate.kill_event(), None);
        assert!(gate.check(buy(999, 1), &market()).is_approved());
        // The next kill is latched afresh, at the time given.
        gate.kill_at(Nanos(77), Reason::Cascade);
        assert_eq!(gate.kill_event(), Some(KillEvent { time: Nanos(77), reason: Reason::Cascade }));
        assert_eq!(gate.kill_count(), 3);
    }

    #[test]
    fn a_session_loss_or_drawdown_kills() {
        // Limits: lose at most 100, give back at most 150 from the peak.
        let mut gate = self::gate();
        gate.on_pnl(Nanos(1), -100.0);
        assert!(!gate.is_killed());
        gate.on_pnl(Nanos(2), -100.5);
        assert_eq!(gate.kill_event(), Some(KillEvent { time: Nanos(2), reason: Reason::MaxLoss }));
        // Still beyond the limit after a reset: killed again at the next report.
        gate.reset();
        gate.on_pnl(Nanos(3), -101.0);
        assert_eq!(gate.kill_event(), Some(KillEvent { time: Nanos(3), reason: Reason::MaxLoss }));
        assert_eq!(gate.kill_count(), 2);

        // Up 300, then back to 150 (a drawdown of exactly 150): fine; to 149.9: killed, though
        // the session is still in profit.
        let mut gate = self::gate();
        for (time, pnl) in [(1, 50.0), (2, 300.0), (3, 200.0), (4, 150.0)] {
            gate.on_pnl(Nanos(time), pnl);
        }
        assert!(!gate.is_killed());
        assert_eq!(gate.pnl(), (Some(150.0), 300.0));
        gate.on_pnl(Nanos(5), 149.9);
        assert_eq!(gate.kill_reason(), Some(Reason::Drawdown));

        // A PnL that is not a number: the book keeping is broken, kill.
        let mut gate = self::gate();
        gate.on_pnl(Nanos(1), f64::NAN);
        assert_eq!(gate.kill_reason(), Some(Reason::MaxLoss));
        // The peak never starts below zero: a session that only lost is judged by max_loss
        // first, then by the drawdown from zero.
        let mut gate = gate_with(RiskLimits { max_loss: 500.0, max_drawdown: 150.0, ..limits() });
        gate.on_pnl(Nanos(1), -150.0);
        assert!(!gate.is_killed());
        gate.on_pnl(Nanos(2), -151.0);
        assert_eq!(gate.kill_reason(), Some(Reason::Drawdown));
    }
}
