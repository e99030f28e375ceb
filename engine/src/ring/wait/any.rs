//! [`WaitKind`] (which strategy, as configured) and [`AnyWait`] (that strategy, as a value).

use std::fmt;
use std::str::FromStr;

use super::{Blocking, BusySpin, SpinThenYield, WaitStrategy};
use crate::ring::park::Parking;

/// Which wait strategy to use, as named in configuration: `"busy-spin"`, `"spin-then-yield"` or
/// `"blocking"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitKind {
    /// [`BusySpin`].
    BusySpin,
    /// [`SpinThenYield`] with its default spins.
    SpinThenYield,
    /// [`Blocking`] with its defaults (wake on every publish, 10 ms timeout).
    Blocking,
}

impl WaitKind {
    /// Every kind, in the order of increasing latency and decreasing CPU use.
    pub const ALL: [WaitKind; 3] = [WaitKind::BusySpin, WaitKind::SpinThenYield, WaitKind::Blocking];

    /// The configuration name.
    pub const fn name(self) -> &'static str {
        match self {
            WaitKind::BusySpin => "busy-spin",
            WaitKind::SpinThenYield => "spin-then-yield",
            WaitKind::Blocking => "blocking",
        }
    }
}

impl fmt::Display for WaitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A wait strategy name that is none of `busy-spin`, `spin-then-yield`, `blocking`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown wait strategy {0:?}: expected \"busy-spin\", \"spin-then-yield\" or \"blocking\"")]
pub struct ParseWaitKindError(String);

impl FromStr for WaitKind {
    type Err = ParseWaitKindError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        WaitKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| ParseWaitKindError(name.to_owned()))
    }
}

/// One of the three strategies, chosen at run time. Each call is a `match` over three
/// statically known types, which the compiler inlines: no `dyn`, no allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnyWait {
    /// See [`BusySpin`].
    BusySpin(BusySpin),
    /// See [`SpinThenYield`].
    SpinThenYield(SpinThenYield),
    /// See [`Blocking`].
    Blocking(Blocking),
}

impl AnyWait {
    /// The strategy `kind` names, with its defaults.
    pub fn new(kind: WaitKind) -> Self {
        match kind {
            WaitKind::BusySpin => AnyWait::BusySpin(BusySpin),
            WaitKind::SpinThenYield => AnyWait::SpinThenYield(SpinThenYield::default()),
            WaitKind::Blocking => AnyWait::Blocking(Blocking::new()),
        }
    }

    /// Which kind this is.
    pub fn kind(&self) -> WaitKind {
        match self {
            AnyWait::BusySpin(_) => WaitKind::BusySpin,
            AnyWait::SpinThenYield(_) => WaitKind::SpinThenYield,
            AnyWait::Blocking(_) => WaitKind::Blocking,
        }
    }
}

impl From<WaitKind> for AnyWait {
    fn from(kind: WaitKind) -> Self {
        AnyWait::new(kind)
    }
}

impl From<BusySpin> for AnyWait {
    fn from(wait: BusySpin) -> Self {
        AnyWait::BusySpin(wait)
    }
}

impl From<SpinThenYield> for AnyWait {
    fn from(wait: SpinThenYield) -> Self {
        AnyWait::SpinThenYield(wait)
    }
}

impl From<Blocking> for AnyWait {
    fn from(wait: Blocking) -> Self {
        AnyWait::Blocking(wait)
    }
}

impl WaitStrategy for AnyWait {
    #[inline]
    fn reset(&mut self) {
        match self {
            AnyWait::BusySpin(wait) => wait.reset(),
            AnyWait::SpinThenYield(wait) => wait.reset(),
            AnyWait::Blocking(wait) => wait.reset(),
        }
    }

    #[inline]
    fn idle(&mut self, parking: Parking<'_>) {
        match self {
            AnyWait::BusySpin(wait) => wait.idle(parking),
            AnyWait::SpinThenYield(wait) => wait.idle(parking),
            AnyWait::Blocking(wait) => wait.idle(parking),
        }
    }
}

#[cfg(all(test, not(halcyon_loom)))]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_from_their_names() {
        // TC0-2: every name round-trips, and AnyWait picks the matching strategy.
        for kind in WaitKind::ALL {
            assert_eq!(kind.name().parse::<WaitKind>(), Ok(kind));
            assert_eq!(kind.to_string(), kind.name());
            assert_eq!(AnyWait::from(kind).kind(), kind);
        }
        // TC3: spelling matters, and the error lists what is accepted.
        for bad in ["BusySpin", "busy_spin", "", " blocking", "yield"] {
            let error = bad.parse::<WaitKind>().unwrap_err();
            assert!(error.to_string().contains("\"spin-then-yield\""), "{error}");
        }
    }

    #[test]
    fn defaults() {
        assert_eq!(AnyWait::new(WaitKind::SpinThenYield), AnyWait::SpinThenYield(SpinThenYield::new(256)));
        assert_eq!(Blocking::new().slots_per_wake(), 1);
        assert_eq!(Blocking::new().wake_after(0).slots_per_wake(), 1, "0 means the next publish");
        assert_eq!(Blocking::new().wake_after(512).slots_per_wake(), 512);
    }
}
