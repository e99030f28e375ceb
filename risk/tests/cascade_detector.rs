//! Properties of the cascade detector over random valid configs and random input sequences
//! (noisy stresses around a jumping level, unknown and non-finite readings, random priming, time
//! steps that sometimes go backwards): it moves only along legal transitions, NORMAL reaches
//! CASCADE only on a hard trigger, no calmer state is left before its dwell ("no flapping"),
//! time is fully accounted for, and its states are those of an independent model of the rules.

use feeds::Nanos;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use risk::cascade::config::{CascadeConfig, CascadeWeights};
use risk::cascade::detector::{CascadeDetector, is_legal_transition};
use risk::cascade::{CascadeInputs, CascadeSignal, CascadeState, HardTrigger, SignalReading};

/// One update: how far the clock moves (may be negative), the stress level the signals scatter
/// around, each signal's offset from it (or `None`: unknown), the priming and a hard trigger.
#[derive(Clone, Debug)]
struct Step {
    step_ms: i64,
    level: f64,
    offsets: [Option<f64>; CascadeSignal::COUNT],
    priming: f64,
    hard: Option<HardTrigger>,
}

fn config() -> impl Strategy<Value = CascadeConfig> {
    (
        (0.0_f64..1.0, 0.0_f64..1.0, 0.0_f64..1.0, 0.0_f64..1.0, 0.0_f64..0.5),
        prop::array::uniform8(prop_oneof![Just(0.0), 0.0_f64..1.0]),
        prop::array::uniform4(prop_oneof![Just(0.0), 0.0_f64..40.0]),
        (
            1.0_f64..5.0,
            0.0_f64..=1.0,
            1.0_f64..5.0,
            0.0_f64..=1.0,
            any::<bool>(),
            prop_oneof![Just(0.0), 0.0_f64..=1.0],
        ),
    )
        .prop_map(|((a, b, c, d, priming_discount), weights, dwell, multipliers)| {
            let cascade_on = 0.3 + 0.7 * a;
            let warn_on = cascade_on * (0.1 + 0.85 * b);
            let [liquidations, open_interest, funding, basis, depth, spread, volatility, toxicity] = weights;
            CascadeConfig {
                weights: CascadeWeights {
                    // At least one positive weight.
                    liquidations: liquidations + 0.01,
                    open_interest,
                    funding,
                    basis,
                    depth,
                    spread,
                    volatility,
                    toxicity,
                },
                signals: Default::default(),
                peak_weight: multipliers.5,
                warn_on,
                warn_off: warn_on * (0.05 + 0.9 * c),
                cascade_on,
                cascade_off: cascade_on * (0.05 + 0.9 * d),
                priming_discount,
                min_warning_s: dwell[0],
                min_cascade_s: dwell[1],
                cooldown_s: dwell[2],
                min_normal_s: dwell[3],
                warning_spread_multiplier: multipliers.0,
                warning_size_multiplier: multipliers.1,
                cooldown_spread_multiplier: multipliers.2,
                cooldown_size_multiplier: multipliers.3,
                kill_on_cascade: multipliers.4,
                evaluation_interval_ms: 100,
            }
        })
}

fn hard_trigger() -> impl Strategy<Value = HardTrigger> {
    prop_oneof![
        Just(HardTrigger::LiquidationSpike),
        Just(HardTrigger::DepthCollapse),
        Just(HardTrigger::Infrastructure)
    ]
}

/// Steps; hard triggers come with probability `hard_chance` (0: never).
fn steps(hard_chance: f64) -> impl Strategy<Value = Vec<Step>> {
    let step = (
        prop_oneof![4 => 0_i64..5_000, 1 => Just(0_i64), 1 => -3_000_i64..0],
        prop_oneof![0.0_f64..=1.0, Just(0.0), Just(1.0)],
        prop::array::uniform8(prop_oneof![
            6 => (-0.25_f64..0.25).prop_map(Some),
            1 => Just(None),
            1 => Just(Some(f64::NAN)),
            1 => Just(Some(5.0)),
        ]),
        prop_oneof![3 => Just(0.0), 3 => 0.0_f64..=1.0, 1 => Just(f64::NAN), 1 => Just(4.0)],
        if hard_chance > 0.0 {
            prop::option::weighted(hard_chance, hard_trigger()).boxed()
        } else {
            Just(None).boxed()
        },
    )
        .prop_map(|(step_ms, level, offsets, priming, hard)| Step {
            step_ms,
            level,
            offsets,
            priming,
            hard,
        });
    prop::collection::vec(step, 1..300)
}

fn inputs(time: Nanos, step: &Step) -> CascadeInputs {
    let mut inputs = CascadeInputs::unknown(time);
    for (reading, offset) in inputs.readings.iter_mut().zip(step.offsets) {
        if let Some(offset) = offset {
            // A NaN or out-of-range stress on purpose: the detector must cope.
            let stress = if offset.is_finite() && offset.abs() < 1.0 { step.level + offset } else { offset };
            *reading = SignalReading { value: stress, stress, known: true };
        }
    }
    inputs.priming = step.priming;
    inputs.hard = step.hard;
    inputs
}

/// The rules of `risk::cascade::detector`'s docs, written out again independently.
struct Model {
    state: CascadeState,
    entered: i64,
    clock: Option<i64>,
    initial: bool,
}

impl Model {
    fn step(&mut self, config: &CascadeConfig, inputs: &CascadeInputs) -> CascadeState {
        use CascadeState::{Cascade, Cooldown, Normal, Warning};
        let now = self.clock.map_or(inputs.time.0, |clock| clock.max(inputs.time.0));
        if self.clock.is_none() {
            self.entered = now;
        }
        self.clock = Some(now);
        let weights = config.weights.to_array();
        let (mut weighted, mut total, mut peak) = (0.0, 0.0, 0.0_f64);
        for signal in CascadeSignal::ALL {
            let reading = inputs.reading(signal);
            let weight = weights[signal.index()];
            if reading.known && reading.stress.is_finite() && weight > 0.0 {
                weighted += weight * reading.stress.clamp(0.0, 1.0);
                total += weight;
                peak = peak.max(reading.stress.clamp(0.0, 1.0));
            }
        }
        let beta = config.peak_weight;
        let score =
            if total > 0.0 { ((1.0 - beta) * weighted / total + beta * peak).clamp(0.0, 1.0) } else { 0.0 };
        let priming = if inputs.priming.is_finite() { inputs.priming.clamp(0.0, 1.0) } else { 0.0 };
        let warn_on = (config.warn_on - priming * config.priming_discount).max(config.warn_off);
        let cascade_on = (config.cascade_on - priming * config.priming_discount).max(config.cascade_off);
        let dwelt = now - self.entered >= config.dwell(self.state).0;
        let hard = inputs.hard.is_some();
        let next = match self.state {
            Normal if hard => Cascade,
            Normal if score >= warn_on && (dwelt || self.initial) => Warning,
            Warning if hard || score >= cascade_on => Cascade,
            Warning if score < config.warn_off && dwelt => Normal,
            Cascade if !hard && score < config.cascade_off && dwelt => Cooldown,
            Cooldown if hard || score >= cascade_on => Cascade,
            Cooldown if dwelt && score < config.warn_off => Normal,
            Cooldown if dwelt => Warning,
            same => same,
        };
        if next != self.state {
            self.state = next;
            self.entered = now;
            self.initial = false;
        }
        next
    }
}

/// Runs `steps` through a detector and the model, checking every property on the way.
fn check(config: CascadeConfig, steps: &[Step]) -> Result<(), TestCaseError> {
    let mut detector = CascadeDetector::new(config);
    let mut model = Model { state: CascadeState::Normal, entered: 0, clock: None, initial: true };
    let start = Nanos(1_700_000_000 * Nanos::PER_SECOND);
    let (mut time, mut clock) = (start, start);
    let mut entered = start;
    let mut made = 0_u64;
    for (index, step) in steps.iter().enumerate() {
        if index > 0 {
            time = Nanos(time.0 + step.step_ms * Nanos::PER_MILLI);
        }
        clock = clock.max(time);
        let inputs = inputs(time, step);
        let from = detector.state();
        let transition = detector.update(&inputs);
        prop_assert_eq!(detector.state(), model.step(&config, &inputs), "step {}", index);

        if let Some(transition) = transition {
            made += 1;
            let (from_, to) = (transition.from, transition.to);
            prop_assert_eq!(from_, from);
            prop_assert_eq!(to, detector.state());
            prop_assert!(is_legal_transition(from, to), "{:?} → {:?}", from, to);
            prop_assert_eq!(transition.time, clock, "stamped with the clock, never earlier");
            prop_assert_eq!(transition.score.to_bits(), detector.score().to_bits());
            // NORMAL → CASCADE only on a hard trigger, and then it names it.
            if from == CascadeState::Normal && to == CascadeState::Cascade {
                prop_assert!(inputs.hard.is_some());
                prop_assert_eq!(transition.trigger, inputs.hard);
            }
            prop_assert!(transition.trigger.is_none() || to == CascadeState::Cascade);
            // No flapping: only escalation to CASCADE leaves a state before its dwell (and the
            // NORMAL the detector starts in has none).
            let initial = made == 1 && from == CascadeState::Normal;
            if to != CascadeState::Cascade && !initial {
                let dwell = config.dwell(from).0;
                prop_assert!(
                    clock.0 - entered.0 >= dwell,
                    "{:?} → {:?} after {} ns, dwell {} ns",
                    from,
                    to,
                    clock.0 - entered.0,
                    dwell
                );
            }
            entered = clock;
        }
        if inputs.hard.is_some() {
            prop_assert_eq!(detector.state(), CascadeState::Cascade);
        }
        prop_assert_eq!(detector.entered(), entered);
        prop_assert_eq!(detector.transitions(), made);
        prop_assert!((0.0..=1.0).contains(&detector.score()));
        prop_assert_eq!(detector.time_in_state().iter().sum::<i64>(), clock.0 - start.0);

        let adjust = detector.adjust(Nanos(clock.0 + step.step_ms * Nanos::PER_MILLI));
        prop_assert!(adjust.spread_multiplier >= 1.0 && adjust.spread_multiplier.is_finite());
        prop_assert!((0.0..=1.0).contains(&adjust.size_multiplier));
        prop_assert_eq!(adjust.quoting, detector.state() != CascadeState::Cascade);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn without_hard_triggers_normal_never_goes_straight_to_cascade(config in config(), steps in steps(0.0)) {
        prop_assert_eq!(config.validate(), Ok(()));
        check(config, &steps)?;
        // And so the detector never reached CASCADE from NORMAL: replay and look.
        let mut detector = CascadeDetector::new(config);
        let mut time = 0_i64;
        for step in &steps {
            time += step.step_ms * Nanos::PER_MILLI;
            if let Some(transition) = detector.update(&inputs(Nanos(time), step)) {
                prop_assert!(
                    !(transition.from == CascadeState::Normal && transition.to == CascadeState::Cascade),
                    "{:?}",
                    transition
                );
            }
        }
    }

    #[test]
    fn with_hard_triggers_every_move_is_legal_and_unhurried(config in config(), steps in steps(0.05)) {
        prop_assert_eq!(config.validate(), Ok(()));
        check(config, &steps)?;
    }

    #[test]
    fn the_default_config_follows_the_rules(steps in steps(0.02)) {
        check(CascadeConfig::default(), &steps)?;
    }
}

/// The generated sequences do exercise the whole loop (a guard against a vacuous property).
#[test]
fn random_sequences_visit_every_state() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut visited = [0_u64; CascadeState::COUNT];
    for _ in 0..64 {
        let steps = steps(0.0).new_tree(&mut runner).unwrap().current();
        let mut detector = CascadeDetector::new(CascadeConfig::default());
        let mut time = 0_i64;
        for step in &steps {
            time += step.step_ms * Nanos::PER_MILLI;
            detector.update(&inputs(Nanos(time), step));
            visited[detector.state().index()] += 1;
        }
    }
    assert!(visited.iter().all(|&count| count > 0), "{visited:?}");
}
