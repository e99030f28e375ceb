//! [`Reason`]: why the risk gate said no (or why it was killed), one variant per check.

/// Why an order intent was rejected, or why the kill switch was thrown.
///
/// The variants are listed in the order [`RiskGate::check`](crate::RiskGate::check) tests
/// them; the first that applies is the one reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
    /// The order's size is not positive or exceeds `max_order_qty`.
    OrderSize = 4,
    /// A full fill would take the position beyond `max_position`.
    PositionLimit = 5,
    /// The price is not positive, or further than `price_band_bps` from the fair value (or
    /// the fair value is not usable).
    PriceBand = 6,
}

impl Reason {
    /// How many reasons there are.
    pub const COUNT: usize = 7;

    /// Every reason, in check order; `ALL[r.index()] == r`.
    pub const ALL: [Reason; Reason::COUNT] = [
        Reason::Killed,
        Reason::FeedGap,
        Reason::BookUntrusted,
        Reason::BookStale,
        Reason::OrderSize,
        Reason::PositionLimit,
        Reason::PriceBand,
    ];

    /// Dense index, for per-reason tables.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Snake-case name for reports and metrics (`"book_untrusted"`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Reason::Killed => "killed",
            Reason::FeedGap => "feed_gap",
            Reason::BookUntrusted => "book_untrusted",
            Reason::BookStale => "book_stale",
            Reason::OrderSize => "order_size",
            Reason::PositionLimit => "position_limit",
            Reason::PriceBand => "price_band",
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
}
