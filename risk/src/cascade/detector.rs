//! [`CascadeDetector`]: the state machine NORMAL → WARNING → CASCADE → COOLDOWN → NORMAL that
//! fuses the cascade signals into one score and decides how the quotes must change.
//!
//! Build one per instrument from a validated [`CascadeConfig`]; feed it
//! [`CascadeInputs`] with [`update`](CascadeDetector::update) (it returns the
//! [`Transition`], if the state changed); ask [`adjust`](CascadeDetector::adjust) what the
//! current state asks of the quotes. [`state`](CascadeDetector::state),
//! [`score`](CascadeDetector::score), [`entered`](CascadeDetector::entered),
//! [`time_in_state`](CascadeDetector::time_in_state) and
//! [`transitions`](CascadeDetector::transitions) are for reports.
//!
//! ```
//! # use feeds::Nanos;
//! # use risk::cascade::{CascadeInputs, CascadeSignal, CascadeState, SignalReading, HardTrigger};
//! # use risk::cascade::{config::CascadeConfig, detector::CascadeDetector};
//! let mut detector = CascadeDetector::new(CascadeConfig::default());
//! let mut inputs = CascadeInputs::unknown(Nanos(0));
//! inputs.readings[CascadeSignal::Depth.index()] = SignalReading { value: 0.2, stress: 0.9, known: true };
//! // Only depth is known, so the score is its stress, 0.9: past `warn_on` (0.45), and past
//! // `cascade_on` (0.75) too, but NORMAL goes to CASCADE only on a hard trigger.
//! let transition = detector.update(&inputs).unwrap();
//! assert_eq!((transition.from, transition.to), (CascadeState::Normal, CascadeState::Warning));
//! assert_eq!(detector.adjust(Nanos(0)).size_multiplier, 0.5);
//! // The next update goes on to CASCADE (0.9 ≥ `cascade_on`, 0.75): one step per update.
//! inputs.time = Nanos(1);
//! assert_eq!(detector.update(&inputs).unwrap().to, CascadeState::Cascade);
//! assert!(!detector.adjust(Nanos(1)).quoting);
//! ```
//!
//! # The score
//! `score = (1 − β)·Σ wᵢ·stressᵢ / Σ wᵢ + β·maxᵢ stressᵢ` over the *known* signals (`known`
//! set, a finite stress and a positive weight), each stress first clamped to `[0, 1]`, with the
//! weights of [`CascadeConfig::weights`] and `β` = [`CascadeConfig::peak_weight`] (0.5): the
//! weighted mean alone lets calm signals dilute one at full stress. An unknown signal is left out and the others' weights are
//! renormalised, so a missing feed neither raises nor dilutes the score. With no known signal
//! (or only zero-weight ones) the score is 0. The score is in `[0, 1]`.
//!
//! # The thresholds
//! The options priming `p` of the inputs (clamped to `[0, 1]`, 0 if not finite) lowers the *on*
//! thresholds, never below their *off* ones:
//! - `warn_on′ = max(warn_on − p·priming_discount, warn_off)`
//! - `cascade_on′ = max(cascade_on − p·priming_discount, cascade_off)`
//!
//! The *off* thresholds are not moved: priming makes the detector quicker to worry, not slower
//! to calm down.
//!
//! # The rules
//! Each [`update`](CascadeDetector::update) at time `t` computes the score, then makes **at
//! most one** transition, the first rule of the current state that holds. `dwell` is
//! `t − entered()`, the time spent in the current state.
//!
//! | from     | to       | when                                                                 |
//! |----------|----------|----------------------------------------------------------------------|
//! | NORMAL   | CASCADE  | a hard trigger, at any time                                          |
//! | NORMAL   | WARNING  | `score ≥ warn_on′` and `dwell ≥ min_normal_s` (the first NORMAL, the one the detector starts in, is exempt from the dwell) |
//! | WARNING  | CASCADE  | `score ≥ cascade_on′` or a hard trigger, at any time                 |
//! | WARNING  | NORMAL   | `score < warn_off` and `dwell ≥ min_warning_s`                       |
//! | CASCADE  | COOLDOWN | `score < cascade_off`, no hard trigger, and `dwell ≥ min_cascade_s`  |
//! | COOLDOWN | CASCADE  | `score ≥ cascade_on′` or a hard trigger, at any time                 |
//! | COOLDOWN | NORMAL   | `dwell ≥ cooldown_s` and `score < warn_off`                          |
//! | COOLDOWN | WARNING  | `dwell ≥ cooldown_s` and `score ≥ warn_off`                          |
//!
//! Consequences the tests check:
//! - NORMAL reaches CASCADE on a hard trigger only; on the score alone it passes through
//!   WARNING, for at least one update.
//! - Escalation to CASCADE never waits; every other transition leaves a state only after its
//!   dwell (`min_normal_s`, `min_warning_s`, `min_cascade_s`, `cooldown_s`), so calmer states
//!   cannot flap.
//! - A score between an *off* and an *on* threshold changes nothing (hysteresis).
//! - After an update with a hard trigger the state is CASCADE.
//!
//! A transition's [`trigger`](Transition::trigger) is the hard trigger only when the score alone
//! would not have made the jump (always, from NORMAL); its [`priming`](Transition::priming) is
//! the clamped priming that was applied; its readings are the inputs' as given.
//!
//! # Time
//! The detector's clock is the largest input time seen so far. Time going backwards counts as no
//! time elapsed: the dwell does not shrink, nothing is added to
//! [`time_in_state`](CascadeDetector::time_in_state), and a transition made then is stamped
//! with the clock, so transition times never decrease. The first update starts the clock: the
//! initial NORMAL is entered at its time, and `time_in_state` always sums to the clock minus
//! that time.
//!
//! # What each state asks
//! See [`adjust`](CascadeDetector::adjust): NORMAL quotes as is; WARNING widens and cuts size
//! by the `warning_*` multipliers; CASCADE quotes nothing; COOLDOWN starts at the `cooldown_*`
//! multipliers and ramps them linearly to 1 over `cooldown_s`. If
//! [`kill_on_cascade`](CascadeConfig::kill_on_cascade) is set, a transition into CASCADE also
//! asks the engine to throw the gate's latched kill switch
//! ([`throws_kill_switch`](CascadeDetector::throws_kill_switch)).
//!
//! # Guarantees
//! No allocation (fixed arrays only), no clock, no I/O; the same inputs give the same
//! transitions, bit for bit. Bad readings (NaN, infinite or out-of-range stresses and priming)
//! never panic; only an invalid config passed to [`CascadeDetector::new`] does.

use feeds::Nanos;

use super::config::CascadeConfig;
use super::{
    CascadeAdjust, CascadeInputs, CascadeSignal, CascadeState, HardTrigger, SignalReading, Transition,
};

/// Whether the detector may ever go from `from` to `to` in one step: NORMAL → WARNING or
/// CASCADE; WARNING → CASCADE or NORMAL; CASCADE → COOLDOWN; COOLDOWN → CASCADE, NORMAL or
/// WARNING.
pub const fn is_legal_transition(from: CascadeState, to: CascadeState) -> bool {
    use CascadeState::{Cascade, Cooldown, Normal, Warning};
    matches!(
        (from, to),
        (Normal, Warning)
            | (Normal, Cascade)
            | (Warning, Cascade)
            | (Warning, Normal)
            | (Cascade, Cooldown)
            | (Cooldown, Cascade)
            | (Cooldown, Normal)
            | (Cooldown, Warning)
    )
}

/// The cascade state machine. See the [module docs](self) for its rules.
#[derive(Clone, Debug)]
pub struct CascadeDetector {
    /// Validated at construction.
    config: CascadeConfig,
    /// The config's weights, by [`CascadeSignal::index`].
    weights: [f64; CascadeSignal::COUNT],
    /// The config's dwell times in nanoseconds, by [`CascadeState::index`].
    dwell: [i64; CascadeState::COUNT],
    /// The current state.
    state: CascadeState,
    /// When `state` was entered; `≤ clock`. The first update's time for the initial NORMAL,
    /// zero before it.
    entered: Nanos,
    /// The largest input time seen; `None` before the first update.
    clock: Option<Nanos>,
    /// True until the first transition: the initial NORMAL does not wait `min_normal_s`.
    initial: bool,
    /// The score of the last update, in `[0, 1]`.
    score: f64,
    /// Nanoseconds spent in each state, by [`CascadeState::index`], up to `clock`.
    time_in_state: [i64; CascadeState::COUNT],
    /// Transitions made.
    transitions: u64,
}

impl CascadeDetector {
    /// A detector in NORMAL, its clock not started, following `config`.
    ///
    /// # Panics
    /// If `config` does not [validate](CascadeConfig::validate): validate it when the config is
    /// read, and report the error there.
    pub fn new(config: CascadeConfig) -> CascadeDetector {
        if let Err(error) = config.validate() {
            panic!("CascadeDetector::new: {error}");
        }
        CascadeDetector {
            config,
            weights: config.weights.to_array(),
            dwell: CascadeState::ALL.map(|state| config.dwell(state).0),
            state: CascadeState::Normal,
            entered: Nanos::ZERO,
            clock: None,
            initial: true,
            score: 0.0,
            time_in_state: [0; CascadeState::COUNT],
            transitions: 0,
        }
    }

    /// Takes in the readings at `inputs.time` and makes at most one transition, returned if
    /// made. See the [module docs](self) for the rules.
    pub fn update(&mut self, inputs: &CascadeInputs) -> Option<Transition> {
        let now = match self.clock {
            None => {
                self.entered = inputs.time;
                inputs.time
            }
            Some(last) => {
                let now = last.max(inputs.time);
                let spent = &mut self.time_in_state[self.state.index()];
                *spent = spent.saturating_add(now.saturating_since(last));
                now
            }
        };
        self.clock = Some(now);
        self.score = weighted_score(&self.weights, &inputs.readings, self.config.peak_weight);
        let priming = if inputs.priming.is_finite() { inputs.priming.clamp(0.0, 1.0) } else { 0.0 };

        let (to, trigger) = self.next(now, priming, inputs.hard)?;
        let from = self.state;
        debug_assert!(is_legal_transition(from, to), "{from:?} → {to:?}");
        self.state = to;
        self.entered = now;
        self.initial = false;
        self.transitions += 1;
        Some(Transition {
            time: now,
            from,
            to,
            score: self.score,
            trigger,
            readings: inputs.readings,
            priming,
        })
    }

    /// The state to go to from the current one at `now`, with the trigger to report, or `None`
    /// to stay. `self.score` is the current score.
    fn next(
        &self,
        now: Nanos,
        priming: f64,
        hard: Option<HardTrigger>,
    ) -> Option<(CascadeState, Option<HardTrigger>)> {
        let config = &self.config;
        let lowered = priming * config.priming_discount;
        let warn_on = (config.warn_on - lowered).max(config.warn_off);
        let cascade_on = (config.cascade_on - lowered).max(config.cascade_off);
        let score = self.score;
        let dwelt = now.saturating_since(self.entered) >= self.dwell[self.state.index()];
        let escalate = score >= cascade_on;
        // Name the hard trigger only where the score alone would not have made the jump.
        let jump = || (CascadeState::Cascade, if escalate { None } else { hard });
        match self.state {
            CascadeState::Normal => {
                if hard.is_some() {
                    Some((CascadeState::Cascade, hard))
                } else if score >= warn_on && (dwelt || self.initial) {
                    Some((CascadeState::Warning, None))
                } else {
                    None
                }
            }
            CascadeState::Warning => {
                if escalate || hard.is_some() {
                    Some(jump())
                } else if score < config.warn_off && dwelt {
                    Some((CascadeState::Normal, None))
                } else {
                    None
                }
            }
            CascadeState::Cascade => (score < config.cascade_off && hard.is_none() && dwelt)
                .then_some((CascadeState::Cooldown, None)),
            CascadeState::Cooldown => {
                if escalate || hard.is_some() {
                    Some(jump())
                } else if dwelt {
                    let calm = score < config.warn_off;
                    Some((if calm { CascadeState::Normal } else { CascadeState::Warning }, None))
                } else {
                    None
                }
            }
        }
    }

    /// What the current state asks of the quotes at `now`:
    /// - NORMAL: [`CascadeAdjust::NORMAL`] (1, 1, quoting).
    /// - WARNING: `warning_spread_multiplier`, `warning_size_multiplier`, quoting.
    /// - CASCADE: not quoting (spread multiplier 1, size multiplier 0).
    /// - COOLDOWN: quoting, each multiplier `m₀ + (1 − m₀)·f` where `m₀` is its `cooldown_*`
    ///   value and `f = clamp((now − entered()) / cooldown_s, 0, 1)`: the start values at entry
    ///   (or for a `now` before it), exactly 1 from `cooldown_s` on (1 at once if `cooldown_s`
    ///   is 0).
    pub fn adjust(&self, now: Nanos) -> CascadeAdjust {
        let config = &self.config;
        match self.state {
            CascadeState::Normal => CascadeAdjust::NORMAL,
            CascadeState::Warning => CascadeAdjust {
                spread_multiplier: config.warning_spread_multiplier,
                size_multiplier: config.warning_size_multiplier,
                quoting: true,
            },
            CascadeState::Cascade => {
                CascadeAdjust { spread_multiplier: 1.0, size_multiplier: 0.0, quoting: false }
            }
            CascadeState::Cooldown => {
                let cooldown = self.dwell[CascadeState::Cooldown.index()];
                let elapsed = now.saturating_since(self.entered);
                if cooldown <= 0 || elapsed >= cooldown {
                    return CascadeAdjust::NORMAL;
                }
                let progress = elapsed.max(0) as f64 / cooldown as f64;
                let ramp = |start: f64| start + (1.0 - start) * progress;
                CascadeAdjust {
                    spread_multiplier: ramp(config.cooldown_spread_multiplier).max(1.0),
                    size_multiplier: ramp(config.cooldown_size_multiplier).clamp(0.0, 1.0),
                    quoting: true,
                }
            }
        }
    }

    /// Whether `transition` should also throw the risk gate's latched kill switch: it enters
    /// CASCADE and [`kill_on_cascade`](CascadeConfig::kill_on_cascade) is set.
    #[inline]
    pub fn throws_kill_switch(&self, transition: &Transition) -> bool {
        self.config.kill_on_cascade && transition.to == CascadeState::Cascade
    }

    /// The current state.
    #[inline]
    pub fn state(&self) -> CascadeState {
        self.state
    }

    /// The score of the last update (see the [module docs](self)), 0 when no signal is
    /// known (and before the first update).
    #[inline]
    pub fn score(&self) -> f64 {
        self.score
    }

    /// When the current state was entered (by the detector's clock); for the initial NORMAL,
    /// the first update's time ([`Nanos::ZERO`] before it).
    #[inline]
    pub fn entered(&self) -> Nanos {
        self.entered
    }

    /// Nanoseconds spent in each state so far, by [`CascadeState::index`], up to the last
    /// update. Sums to the time from the first update to the latest input time seen.
    #[inline]
    pub fn time_in_state(&self) -> [i64; CascadeState::COUNT] {
        self.time_in_state
    }

    /// How many transitions have been made.
    #[inline]
    pub fn transitions(&self) -> u64 {
        self.transitions
    }

    /// The config the detector follows.
    #[inline]
    pub fn config(&self) -> &CascadeConfig {
        &self.config
    }
}

/// `(1 − β)·Σ w·stress / Σ w + β·max stress` over the known readings with a finite stress and
/// a positive weight, each stress clamped to `[0, 1]`; 0 if their weights sum to 0.
fn weighted_score(
    weights: &[f64; CascadeSignal::COUNT],
    readings: &[SignalReading; CascadeSignal::COUNT],
    peak_weight: f64,
) -> f64 {
    let (mut weighted, mut total, mut peak) = (0.0, 0.0, 0.0_f64);
    for (reading, &weight) in readings.iter().zip(weights) {
        if reading.known && reading.stress.is_finite() && weight > 0.0 {
            let stress = reading.stress.clamp(0.0, 1.0);
            weighted += weight * stress;
            total += weight;
            peak = peak.max(stress);
        }
    }
    if total > 0.0 {
        ((1.0 - peak_weight) * weighted / total + peak_weight * peak).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cascade::config::CascadeWeights;
    use CascadeState::{Cascade, Cooldown, Normal, Warning};

    const SECOND: i64 = Nanos::PER_SECOND;

    /// Every signal known at `stress` at `seconds`: the score is `stress` (exactly, for the
    /// dyadic stresses the threshold tests use).
    fn at(seconds: i64, stress: f64) -> CascadeInputs {
        let mut inputs = CascadeInputs::unknown(Nanos(seconds * SECOND));
        inputs.readings = [SignalReading { value: stress, stress, known: true }; CascadeSignal::COUNT];
        inputs
    }

    fn hard(mut inputs: CascadeInputs, trigger: HardTrigger) -> CascadeInputs {
        inputs.hard = Some(trigger);
        inputs
    }

    fn primed(mut inputs: CascadeInputs, priming: f64) -> CascadeInputs {
        inputs.priming = priming;
        inputs
    }

    /// Feeds `steps` and lists the transitions as `(seconds, from, to)`.
    fn run(
        detector: &mut CascadeDetector,
        steps: &[CascadeInputs],
    ) -> Vec<(f64, CascadeState, CascadeState)> {
        steps
            .iter()
            .filter_map(|inputs| detector.update(inputs))
            .map(|t| (t.time.0 as f64 / SECOND as f64, t.from, t.to))
            .collect()
    }

    fn default_detector() -> CascadeDetector {
        CascadeDetector::new(CascadeConfig::default())
    }

    #[test]
    #[should_panic(expected = "CascadeDetector::new: cascade config: cascade.warn_on = 0.9")]
    fn an_invalid_config_is_a_construction_bug() {
        CascadeDetector::new(CascadeConfig { warn_on: 0.9, ..CascadeConfig::default() });
    }

    #[test]
    fn the_only_legal_moves_are_the_loop_and_its_shortcuts() {
        let legal: Vec<_> = CascadeState::ALL
            .iter()
            .flat_map(|&from| CascadeState::ALL.iter().map(move |&to| (from, to)))
            .filter(|&(from, to)| is_legal_transition(from, to))
            .collect();
        assert_eq!(
            legal,
            [
                (Normal, Warning),
                (Normal, Cascade),
                (Warning, Normal),
                (Warning, Cascade),
                (Cascade, Cooldown),
                (Cooldown, Normal),
                (Cooldown, Warning),
                (Cooldown, Cascade),
            ]
        );
    }

    #[test]
    fn a_full_cycle_with_exact_times() {
        // Defaults: warn 0.45/0.30, cascade 0.75/0.55; dwell normal 5 s, warning 10 s, cascade
        // 30 s, cooldown 60 s.
        let mut detector = default_detector();
        let transitions = run(
            &mut detector,
            &[
                at(0, 0.1),  // starts the clock in NORMAL
                at(1, 0.5),  // ≥ 0.45: WARNING at once (the first NORMAL has no dwell)
                at(2, 0.8),  // ≥ 0.75: CASCADE at once (escalation never waits)
                at(10, 0.2), // calm, but CASCADE has lasted 8 s of its 30
                at(31, 0.2), // 29 s: still CASCADE
                at(32, 0.2), // 30 s, < 0.55, no trigger: COOLDOWN
                at(91, 0.2), // 59 s of the 60
                at(92, 0.2), // cooldown over and < 0.30: NORMAL
                at(93, 0.5), // ≥ 0.45, but NORMAL has lasted 1 s of its 5
                at(96, 0.5), // 4 s
                at(97, 0.5), // 5 s: WARNING
            ],
        );
        assert_eq!(
            transitions,
            [
                (1.0, Normal, Warning),
                (2.0, Warning, Cascade),
                (32.0, Cascade, Cooldown),
                (92.0, Cooldown, Normal),
                (97.0, Normal, Warning),
            ]
        );
        assert_eq!(detector.transitions(), 5);
        assert_eq!(detector.state(), Warning);
        assert_eq!(detector.entered(), Nanos(97 * SECOND));
        // NORMAL 0–1 and 92–97, WARNING 1–2, CASCADE 2–32, COOLDOWN 32–92: 97 s in all.
        assert_eq!(detector.time_in_state(), [6 * SECOND, SECOND, 30 * SECOND, 60 * SECOND]);
    }

    #[test]
    fn a_score_between_warn_off_and_warn_on_does_not_leave_warning() {
        let mut detector = default_detector();
        assert_eq!(run(&mut detector, &[at(0, 0.5)]), [(0.0, Normal, Warning)]);
        // 200 s swinging between 0.31 and 0.74: above warn_off, below cascade_on.
        let swings: Vec<_> = (1..=200).map(|s| at(s, if s % 2 == 0 { 0.31 } else { 0.74 })).collect();
        assert_eq!(run(&mut detector, &swings), []);
        assert_eq!(detector.state(), Warning);
        assert_eq!(run(&mut detector, &[at(201, 0.29)]), [(201.0, Warning, Normal)]);
    }

    #[test]
    fn a_score_between_warn_off_and_warn_on_does_not_enter_warning() {
        let mut detector = default_detector();
        let swings: Vec<_> = (0..100).map(|s| at(s, if s % 2 == 0 { 0.44 } else { 0.31 })).collect();
        assert_eq!(run(&mut detector, &swings), []);
        assert_eq!(detector.state(), Normal);
    }

    #[test]
    fn warning_lasts_its_dwell_before_falling_back() {
        let mut detector = default_detector();
        let transitions = run(
            &mut detector,
            &[
                at(0, 0.5),
                at(1, 0.1), // calm after 1 s: WARNING holds for min_warning_s
                at(9, 0.1),
                at(10, 0.1), // 10 s: NORMAL
            ],
        );
        assert_eq!(transitions, [(0.0, Normal, Warning), (10.0, Warning, Normal)]);
        // Back in NORMAL, a fresh rise waits min_normal_s (5 s); calm readings do not reset it.
        assert_eq!(run(&mut detector, &[at(12, 0.6), at(14, 0.1), at(15, 0.6)]), [(15.0, Normal, Warning)]);
        // And the score must still be up when the dwell is over.
        let mut detector = detector_at_normal_after_warning();
        assert_eq!(run(&mut detector, &[at(11, 0.6), at(15, 0.1), at(16, 0.1)]), []);
    }

    /// A detector back in NORMAL at 10 s, after WARNING from 0 s.
    fn detector_at_normal_after_warning() -> CascadeDetector {
        let mut detector = default_detector();
        run(&mut detector, &[at(0, 0.5), at(10, 0.1)]);
        assert_eq!((detector.state(), detector.entered()), (Normal, Nanos(10 * SECOND)));
        detector
    }

    #[test]
    fn normal_never_goes_to_cascade_on_the_score_alone() {
        let mut detector = default_detector();
        // A maximal score from the very first update: WARNING first, CASCADE on the next one.
        assert_eq!(run(&mut detector, &[at(0, 1.0)]), [(0.0, Normal, Warning)]);
        assert_eq!(run(&mut detector, &[at(0, 1.0)]), [(0.0, Warning, Cascade)]);
        // Back in NORMAL within min_normal_s, a maximal score does nothing at all.
        let mut detector = detector_at_normal_after_warning();
        assert_eq!(run(&mut detector, &[at(11, 1.0), at(14, 1.0)]), []);
        assert_eq!(run(&mut detector, &[at(15, 1.0)]), [(15.0, Normal, Warning)]);
    }

    #[test]
    fn a_hard_trigger_goes_from_normal_to_cascade_at_once() {
        let mut detector = default_detector();
        let transition = detector.update(&hard(at(0, 0.0), HardTrigger::DepthCollapse)).unwrap();
        assert_eq!((transition.from, transition.to), (Normal, Cascade));
        assert_eq!(transition.trigger, Some(HardTrigger::DepthCollapse));
        assert_eq!(transition.score, 0.0);
        // Even within min_normal_s of returning to NORMAL.
        let mut detector = detector_at_normal_after_warning();
        let transition = detector.update(&hard(at(10, 0.0), HardTrigger::Infrastructure)).unwrap();
        assert_eq!((transition.time, transition.to), (Nanos(10 * SECOND), Cascade));
        assert_eq!(transition.trigger, Some(HardTrigger::Infrastructure));
    }

    #[test]
    fn the_trigger_is_named_only_when_the_score_would_not_have_done() {
        let mut detector = default_detector();
        detector.update(&at(0, 0.5));
        let by_score = detector.update(&hard(at(1, 0.9), HardTrigger::LiquidationSpike)).unwrap();
        assert_eq!((by_score.to, by_score.trigger), (Cascade, None));
        let mut detector = default_detector();
        detector.update(&at(0, 0.5));
        let by_trigger = detector.update(&hard(at(1, 0.5), HardTrigger::LiquidationSpike)).unwrap();
        assert_eq!((by_trigger.to, by_trigger.trigger), (Cascade, Some(HardTrigger::LiquidationSpike)));
    }

    /// A detector that entered COOLDOWN at 30 s (CASCADE by hard trigger at 0 s).
    fn detector_in_cooldown() -> CascadeDetector {
        let mut detector = default_detector();
        let transitions = run(&mut detector, &[hard(at(0, 0.0), HardTrigger::DepthCollapse), at(30, 0.0)]);
        assert_eq!(transitions, [(0.0, Normal, Cascade), (30.0, Cascade, Cooldown)]);
        detector
    }

    #[test]
    fn cascade_holds_while_a_hard_trigger_does_or_the_score_is_high() {
        let mut detector = default_detector();
        let transitions = run(
            &mut detector,
            &[
                hard(at(0, 0.0), HardTrigger::LiquidationSpike),
                hard(at(40, 0.0), HardTrigger::LiquidationSpike), // dwell over, trigger holds
                at(41, 0.5625),                                   // not below cascade_off
                at(42, 0.5),                                      // COOLDOWN
            ],
        );
        assert_eq!(transitions, [(0.0, Normal, Cascade), (42.0, Cascade, Cooldown)]);
    }

    #[test]
    fn cooldown_ramps_linearly_from_its_start_values_to_one() {
        let detector = detector_in_cooldown();
        let adjust = |seconds: i64| {
            let adjust = detector.adjust(Nanos(seconds * SECOND));
            assert!(adjust.quoting);
            (adjust.spread_multiplier, adjust.size_multiplier)
        };
        // Start values 3 and 0.25; 60 s to 1 and 1.
        assert_eq!(adjust(30), (3.0, 0.25));
        assert_eq!(adjust(45), (2.5, 0.4375)); // a quarter of the way
        assert_eq!(adjust(60), (2.0, 0.625)); // half
        assert_eq!(adjust(90), (1.0, 1.0)); // done
        assert_eq!(adjust(1_000), (1.0, 1.0));
        assert_eq!(adjust(10), (3.0, 0.25)); // a time before entry: the start values
    }

    #[test]
    fn a_zero_cooldown_ramps_at_once() {
        let config = CascadeConfig { cooldown_s: 0.0, min_cascade_s: 0.0, ..CascadeConfig::default() };
        let mut detector = CascadeDetector::new(config);
        detector.update(&hard(at(0, 0.0), HardTrigger::DepthCollapse));
        assert_eq!(detector.update(&at(0, 0.0)).unwrap().to, Cooldown);
        assert_eq!(detector.adjust(Nanos::ZERO), CascadeAdjust::NORMAL);
        assert_eq!(detector.adjust(Nanos(-SECOND)), CascadeAdjust::NORMAL); // even "before" it
        assert_eq!(detector.update(&at(0, 0.0)).unwrap().to, Normal);
    }

    #[test]
    fn each_state_asks_its_adjustment() {
        let mut detector = default_detector();
        assert_eq!(detector.adjust(Nanos::ZERO), CascadeAdjust::NORMAL);
        detector.update(&at(0, 0.5));
        assert_eq!(
            detector.adjust(Nanos::ZERO),
            CascadeAdjust { spread_multiplier: 2.0, size_multiplier: 0.5, quoting: true }
        );
        detector.update(&at(1, 0.8));
        assert_eq!(
            detector.adjust(Nanos(SECOND)),
            CascadeAdjust { spread_multiplier: 1.0, size_multiplier: 0.0, quoting: false }
        );
    }

    #[test]
    fn cooldown_goes_back_to_cascade_at_any_time() {
        // On the score, one second in.
        let mut detector = detector_in_cooldown();
        assert_eq!(run(&mut detector, &[at(31, 0.8)]), [(31.0, Cooldown, Cascade)]);
        // On a hard trigger, with a calm score, at the very moment of entry.
        let mut detector = detector_in_cooldown();
        let transition = detector.update(&hard(at(30, 0.0), HardTrigger::Infrastructure)).unwrap();
        assert_eq!((transition.from, transition.to), (Cooldown, Cascade));
        assert_eq!(transition.trigger, Some(HardTrigger::Infrastructure));
        // Back in CASCADE, the dwell starts again.
        assert_eq!(run(&mut detector, &[at(59, 0.0), at(60, 0.0)]), [(60.0, Cascade, Cooldown)]);
    }

    #[test]
    fn cooldown_ends_in_normal_or_warning_by_warn_off() {
        let mut detector = detector_in_cooldown();
        // Stress returning mid-cooldown, between warn_off and cascade_on, waits for its end.
        assert_eq!(
            run(&mut detector, &[at(50, 0.6), at(89, 0.6), at(90, 0.35)]),
            [(90.0, Cooldown, Warning)]
        );
        assert_eq!(detector.adjust(Nanos(90 * SECOND)).size_multiplier, 0.5);
        let mut detector = detector_in_cooldown();
        assert_eq!(run(&mut detector, &[at(90, 0.29)]), [(90.0, Cooldown, Normal)]);
        assert_eq!(detector.adjust(Nanos(90 * SECOND)), CascadeAdjust::NORMAL);
    }

    #[test]
    fn priming_lowers_the_on_thresholds() {
        // 0.40 is short of warn_on (0.45), but not of 0.45 − 0.5 × 0.15 = 0.375.
        let mut detector = default_detector();
        assert_eq!(detector.update(&at(0, 0.40)), None);
        let transition = detector.update(&primed(at(1, 0.40), 0.5)).unwrap();
        assert_eq!((transition.to, transition.priming), (Warning, 0.5));
        // 0.65 is short of cascade_on (0.75), but not of 0.75 − 1 × 0.15 = 0.60.
        assert_eq!(detector.update(&at(2, 0.65)), None);
        assert_eq!(run(&mut detector, &[primed(at(3, 0.65), 1.0)]), [(3.0, Warning, Cascade)]);
        // The off thresholds do not move: full priming does not hold CASCADE once the score
        // is below cascade_off.
        assert_eq!(run(&mut detector, &[primed(at(33, 0.5), 1.0)]), [(33.0, Cascade, Cooldown)]);
        // Priming is clamped to [0, 1]; NaN counts as none.
        let mut detector = default_detector();
        assert_eq!(detector.update(&primed(at(0, 0.40), f64::NAN)), None);
        assert_eq!(detector.update(&primed(at(1, 0.40), -3.0)), None);
        let transition = detector.update(&primed(at(2, 0.35), 7.0)).unwrap();
        assert_eq!((transition.to, transition.priming), (Warning, 1.0));
    }

    #[test]
    fn priming_never_lowers_an_on_threshold_below_its_off() {
        // A discount of 1 would take warn_on to -0.55; it stops at warn_off (0.30).
        let config = CascadeConfig { priming_discount: 1.0, ..CascadeConfig::default() };
        let mut detector = CascadeDetector::new(config);
        assert_eq!(detector.update(&primed(at(0, 0.25), 1.0)), None);
        assert_eq!(detector.update(&primed(at(1, 0.3125), 1.0)).unwrap().to, Warning);
        // And cascade_on stops at cascade_off (0.55).
        assert_eq!(detector.update(&primed(at(2, 0.5), 1.0)), None);
        assert_eq!(detector.update(&primed(at(3, 0.5625), 1.0)).unwrap().to, Cascade);
    }

    #[test]
    fn one_signal_at_full_stress_is_not_diluted_by_the_calm_ones() {
        // Liquidations (0.25) at 1 and open interest (0.15) at 0: the mean is 0.25 / 0.40 =
        // 0.625; with the default β = 0.5 the score is 0.5·0.625 + 0.5·1 = 0.8125.
        let mut detector = default_detector();
        let mut inputs = CascadeInputs::unknown(Nanos::ZERO);
        inputs.readings[CascadeSignal::Liquidations.index()] =
            SignalReading { value: 9.0, stress: 1.0, known: true };
        inputs.readings[CascadeSignal::OpenInterest.index()] =
            SignalReading { value: 0.0, stress: 0.0, known: true };
        detector.update(&inputs);
        assert!((detector.score() - 0.8125).abs() < 1e-12, "{}", detector.score());
        // Every known signal calm but one at warn (0.5), with all eight known: the mean is
        // 0.25 × 0.5 = 0.125, the score 0.0625 + 0.25 = 0.3125, under warn_on (0.45).
        let mut inputs = CascadeInputs::unknown(Nanos(1));
        inputs.readings = [SignalReading { value: 0.0, stress: 0.0, known: true }; CascadeSignal::COUNT];
        inputs.readings[CascadeSignal::Liquidations.index()].stress = 0.5;
        detector.update(&inputs);
        assert!((detector.score() - 0.3125).abs() < 1e-12, "{}", detector.score());
    }

    #[test]
    fn unknown_signals_are_left_out_and_the_weights_renormalised() {
        // β = 0: the plain weighted mean, to see the renormalisation alone.
        let mut detector =
            CascadeDetector::new(CascadeConfig { peak_weight: 0.0, ..CascadeConfig::default() });
        let mut inputs = CascadeInputs::unknown(Nanos::ZERO);
        detector.update(&inputs);
        assert_eq!(detector.score(), 0.0); // nothing known
        // Liquidations (0.25) at 1 and open interest (0.15) at 0: 0.25 / 0.40.
        inputs.readings[CascadeSignal::Liquidations.index()] =
            SignalReading { value: 9.0, stress: 1.0, known: true };
        inputs.readings[CascadeSignal::OpenInterest.index()] =
            SignalReading { value: 0.0, stress: 0.0, known: true };
        detector.update(&inputs);
        assert!((detector.score() - 0.625).abs() < 1e-12, "{}", detector.score());
        // A non-finite stress is unknown, even when flagged known; a stress marked unknown is
        // ignored whatever it says.
        inputs.readings[CascadeSignal::Depth.index()] =
            SignalReading { value: 0.0, stress: f64::NAN, known: true };
        inputs.readings[CascadeSignal::Spread.index()] =
            SignalReading { value: 0.0, stress: f64::INFINITY, known: true };
        inputs.readings[CascadeSignal::Funding.index()] =
            SignalReading { value: 0.0, stress: 1.0, known: false };
        detector.update(&inputs);
        assert!((detector.score() - 0.625).abs() < 1e-12, "{}", detector.score());
        // Stresses are clamped to [0, 1].
        inputs.readings[CascadeSignal::Liquidations.index()].stress = 40.0;
        inputs.readings[CascadeSignal::OpenInterest.index()].stress = -3.0;
        detector.update(&inputs);
        assert!((detector.score() - 0.625).abs() < 1e-12, "{}", detector.score());
    }

    #[test]
    fn a_signal_known_alone_is_the_score() {
        // One known signal scores its own stress, however small its weight.
        let mut detector = default_detector();
        let mut inputs = CascadeInputs::unknown(Nanos::ZERO);
        inputs.readings[CascadeSignal::Spread.index()] =
            SignalReading { value: 3.0, stress: 0.5, known: true };
        assert_eq!(detector.update(&inputs).unwrap().to, Warning);
        assert_eq!(detector.score(), 0.5);
        // Zero-weight signals known alone score 0.
        let weights = CascadeWeights { spread: 0.0, ..Default::default() };
        let mut detector = CascadeDetector::new(CascadeConfig { weights, ..CascadeConfig::default() });
        assert_eq!(detector.update(&inputs), None);
        assert_eq!(detector.score(), 0.0);
    }

    #[test]
    fn time_going_backwards_is_no_time_elapsed() {
        let mut detector = default_detector();
        run(&mut detector, &[at(100, 0.5)]); // WARNING at 100 s
        // Back to 50 s, then 105 s: only 5 s of WARNING, not enough to leave.
        assert_eq!(run(&mut detector, &[at(50, 0.1), at(105, 0.1)]), []);
        // At 110 s the dwell is over, but a reading stamped 20 s is handled at the clock, 110 s.
        let transitions = run(&mut detector, &[at(110, 0.4), at(20, 0.1)]);
        assert_eq!(transitions, [(110.0, Warning, Normal)]);
        assert_eq!(detector.entered(), Nanos(110 * SECOND));
        assert_eq!(detector.time_in_state(), [0, 10 * SECOND, 0, 0]);
    }

    #[test]
    fn time_in_state_sums_to_the_elapsed_time() {
        let mut detector = default_detector();
        let mut seconds = 1_000;
        let mut stress = 0.1_f64;
        for step in 0..500_i64 {
            seconds += step % 7;
            stress = (stress + 0.173).fract();
            detector.update(&at(seconds, stress));
            assert_eq!(detector.time_in_state().iter().sum::<i64>(), (seconds - 1_000) * SECOND);
        }
        assert!(detector.transitions() > 4, "{}", detector.transitions());
    }

    #[test]
    fn kill_on_cascade_is_reported_for_entries_into_cascade() {
        let config = CascadeConfig { kill_on_cascade: true, ..CascadeConfig::default() };
        let mut detector = CascadeDetector::new(config);
        let warning = detector.update(&at(0, 0.5)).unwrap();
        assert!(!detector.throws_kill_switch(&warning));
        let cascade = detector.update(&at(1, 0.9)).unwrap();
        assert!(detector.throws_kill_switch(&cascade));
        let mut detector = default_detector();
        let cascade = detector.update(&hard(at(0, 0.0), HardTrigger::DepthCollapse)).unwrap();
        assert!(!detector.throws_kill_switch(&cascade));
    }
}
