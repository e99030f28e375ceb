//! [`Reason`]: why the risk gate said no (or why it was killed), one variant per check and per
//! kill trigger.

/// Why an order intent was rejected, or why the kill switch was thrown.
///
/// The variants up to [`PriceBand`](Reason::PriceBand) are listed in the order
/// [`RiskGate::check`](crate::RiskGate::check) tests them; the first that applies is the one
/// reported. The ones after it ([`Manual`](Reason::Manual) onwards) are never a check's answer,
/// only a [`KillEvent`](crate::KillEvent)'s reason. An automatic kill for stale data carries the
/// data reason that lasted ([`FeedGap`](Reason::FeedGap), [`BookStale`](Reason::BookStale),
/// [`FeedLag`](Reason::FeedLag) or [`FeedSilent`](Reason::FeedSilent)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Reason {
    /// The kill switch is latched.
    Killed = 0,
    /// The feed reported a gap (or a reconnect) and the book has not been rebuilt from a
    /// snapshot since.
    FeedGap = 1,
    /// The book is not trusted (before its first snapshot, after an error or an abandonment).
    BookUntrusted = 2,
    /// The book has not been updated for longer than `max_book_age`.
    BookStale = 3,
    /// The feed's latency has risen more than `max_lag` above its baseline.
    FeedLag = 4,
    /// No event at all for longer than `max_silence`, by local time (a missed heartbeat).
    FeedSilent = 5,
    /// The order's size is not positive or exceeds `max_order_qty`.
    OrderSize = 6,
    /// `max_open_orders` of our orders are already open.
    OpenOrders = 7,
    /// A full fill would take the position beyond `max_position` (or, for an exit, the order
    /// would not reduce the position).
    PositionLimit = 8,
    /// The price is not positive, or further than `price_band_bps` from the fair value (or
    /// the fair value is not usable).
    PriceBand = 9,
    /// A full fill would take the position's notional at the fair value beyond
    /// `max_position_notional`.
    NotionalLimit = 10,
    /// Kill only: thrown by hand (an operator, the control API).
    Manual = 11,
    /// Kill only: the session's PnL fell below `−max_loss` (or was not a number).
    MaxLoss = 12,
    /// Kill only: the session's PnL fell more than `max_drawdown` below its peak.
    Drawdown = 13,
    /// Kill only: the cascade detector entered CASCADE with its kill option on.
    Cascade = 14,
}

impl Reason {
    /// How many reasons there are.
    pub const COUNT: usize = 15;

    /// Every reason: the checks in check order, then the kill-only ones; `ALL[r.index()] == r`.
    pub const ALL: [Reason; Reason::COUNT] = [
        Reason::Killed,
        Reason::FeedGap,
        Reason::BookUntrusted,
        Reason::BookStale,
        Reason::FeedLag,
        Reason::FeedSilent,
        Reason::OrderSize,
        Reason::OpenOrders,
        Reason::PositionLimit,
        Reason::PriceBand,
        Reason::NotionalLimit,
        Reason::Manual,
        Reason::MaxLoss,
        Reason::Drawdown,
        Reason::Cascade,
    ];

    /// Dense index, for per-reason tables.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// True for the reasons only a kill carries, never a check ([`Manual`](Reason::Manual)
    /// onwards).
    #[inline]
    pub const fn is_kill_only(self) -> bool {
        self as u8 >= Reason::Manual as u8
    }

    /// True for the reasons that say the market data cannot be trusted right now (a gap, an
    /// untrusted or stale book, lag, silence): quotes are pulled until they clear.
    #[inline]
    pub const fn is_data_fault(self) -> bool {
        matches!(
            self,
            Reason::FeedGap
                | Reason::BookUntrusted
                | Reason::BookStale
                | Reason::FeedLag
                | Reason::FeedSilent
        )
    }

    /// Snake-case name for reports and metrics (`"book_untrusted"`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Reason::Killed => "killed",
            Reason::FeedGap => "feed_gap",
            Reason::BookUntrusted => "book_untrusted",
            Reason::BookStale => "book_stale",
            Reason::FeedLag => "feed_lag",
            Reason::FeedSilent => "feed_silent",
            Reason::OrderSize => "order_size",
            Reason::OpenOrders => "open_orders",
            Reason::PositionLimit => "position_limit",
            Reason::PriceBand => "price_band",
            Reason::NotionalLimit => "notional_limit",
            Reason::Manual => "manual",
            Reason::MaxLoss => "max_loss",
            Reason::Drawdown => "drawdown",
            Reason::Cascade => "cascade",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reports_spell_each_reason_by_its_name() {
        for reason in Reason::ALL {
            assert_eq!(toml::Value::try_from(reason).unwrap().as_str(), Some(reason.name()));
        }
    }

    use super::*;

    #[test]
    fn the_table_is_dense_and_the_names_unique() {
        for (index, reason) in Reason::ALL.into_iter().enumerate() {
            assert_eq!(reason.index(), index);
        }
        let mut names: Vec<_> = Reason::ALL.iter().map(|reason| reason.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Reason::COUNT);
        assert_eq!(Reason::BookUntrusted.to_string(), "book_untrusted");
    }

    #[test]
    fn kill_only_reasons_come_last_and_data_faults_are_the_feed_checks() {
        let kill_only: Vec<_> = Reason::ALL.into_iter().filter(|reason| reason.is_kill_only()).collect();
        assert_eq!(kill_only, [Reason::Manual, Reason::MaxLoss, Reason::Drawdown, Reason::Cascade]);
        assert!(Reason::ALL[..Reason::COUNT - kill_only.len()].iter().all(|reason| !reason.is_kill_only()));
        let faults: Vec<_> = Reason::ALL.into_iter().filter(|reason| reason.is_data_fault()).collect();
        assert_eq!(faults, Reason::ALL[1..6]);
    }
}
