//! Core pinning with `core_affinity`, planned once at start-up.
//!
//! [`CorePlan::detect`] enumerates the cores this process may run on *before any thread is
//! pinned*: `core_affinity::get_core_ids()` reports the calling thread's affinity mask, so asking
//! from an already-pinned thread would see one core. [`CorePlan::place`] then decides, for the
//! threads that asked for a core, whether pinning is possible: every requested core must exist,
//! be distinct, and there must be at least as many cores as pinned threads. If not, *every* hot
//! thread runs unpinned with yielding waits (a pinned busy-spinning thread next to unpinned ones
//! on too few cores starves them), and [`Placement::reason`] says why, for the log.

use core_affinity::CoreId;

/// The cores available at start-up.
#[derive(Clone, Debug)]
pub struct CorePlan {
    cores: Vec<usize>,
}

/// Where the hot threads run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Core per requested thread, in request order; all `None` when unpinned.
    pub cores: Vec<Option<usize>>,
    /// Why the threads run unpinned, when they do although pinning was asked for.
    pub reason: Option<String>,
}

impl Placement {
    /// True when the hot threads are pinned.
    pub fn pinned(&self) -> bool {
        self.cores.iter().any(Option::is_some)
    }
}

impl CorePlan {
    /// Enumerates the cores. Call once, on the main thread, before pinning anything.
    pub fn detect() -> CorePlan {
        let mut cores: Vec<usize> =
            core_affinity::get_core_ids().unwrap_or_default().into_iter().map(|core| core.id).collect();
        cores.sort_unstable();
        CorePlan { cores }
    }

    /// A plan over a given set of cores (tests).
    pub fn with_cores(cores: Vec<usize>) -> CorePlan {
        CorePlan { cores }
    }

    /// Core ids available.
    pub fn cores(&self) -> &[usize] {
        &self.cores
    }

    /// Decides where threads that request `requested[i]` run (`None`: the thread did not ask).
    pub fn place(&self, requested: &[(&str, Option<usize>)]) -> Placement {
        let unpinned = |reason: Option<String>| Placement { cores: vec![None; requested.len()], reason };
        let asked: Vec<(&str, usize)> =
            requested.iter().filter_map(|(name, core)| core.map(|core| (*name, core))).collect();
        if asked.is_empty() {
            return unpinned(None);
        }
        if self.cores.is_empty() {
            return unpinned(Some("the operating system reported no cores to pin to".to_owned()));
        }
        if asked.len() > self.cores.len() {
            return unpinned(Some(format!(
                "{} threads asked to be pinned but only {} core(s) are available ({:?})",
                asked.len(),
                self.cores.len(),
                self.cores
            )));
        }
        for (index, (name, core)) in asked.iter().enumerate() {
            if !self.cores.contains(core) {
                return unpinned(Some(format!(
                    "the {name} thread asked for core {core}, which is not available (cores: {:?})",
                    self.cores
                )));
            }
            if let Some((other, _)) = asked[..index].iter().find(|(_, c)| c == core) {
                return unpinned(Some(format!(
                    "the {name} and {other} threads both asked for core {core}; pinned threads need a core each"
                )));
            }
        }
        Placement { cores: requested.iter().map(|(_, core)| *core).collect(), reason: None }
    }
}

/// Pins the calling thread to `core`; false if the operating system refused.
pub fn pin_current_thread(core: usize) -> bool {
    core_affinity::set_for_current(CoreId { id: core })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_when_every_thread_gets_its_own_core() {
        let plan = CorePlan::with_cores(vec![0, 1]);
        let placement = plan.place(&[("feed", Some(0)), ("core", Some(1)), ("recorder", None)]);
        assert_eq!(placement.cores, vec![Some(0), Some(1), None]);
        assert!(placement.pinned() && placement.reason.is_none());
    }

    #[test]
    fn falls_back_to_unpinned_and_says_why() {
        let plan = CorePlan::with_cores(vec![0]);
        let too_few = plan.place(&[("feed", Some(0)), ("core", Some(1))]);
        assert!(!too_few.pinned());
        assert!(too_few.reason.unwrap().contains("only 1 core"));

        let plan = CorePlan::with_cores(vec![0, 1, 2]);
        let missing = plan.place(&[("feed", Some(0)), ("core", Some(7))]);
        assert!(missing.reason.unwrap().contains("core 7, which is not available"));
        let shared = plan.place(&[("feed", Some(1)), ("core", Some(1))]);
        assert!(shared.reason.unwrap().contains("both asked for core 1"));
    }

    #[test]
    fn nobody_asking_is_not_a_fallback() {
        let placement = CorePlan::with_cores(vec![0, 1]).place(&[("feed", None), ("core", None)]);
        assert!(!placement.pinned());
        assert!(placement.reason.is_none());
    }

    #[test]
    fn detects_this_machines_cores() {
        assert!(!CorePlan::detect().cores().is_empty());
    }
}
