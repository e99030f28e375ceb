//! Tests of the estimator as a whole: construction, sweep depth, sampling, ranking,
//! smoothing, and properties over arbitrary inputs.

use super::test_support::{MS, SEC, burst, only, raw, top, trade};
use super::*;
use proptest::prelude::*;

#[test]
#[should_panic(expected = "Toxicity::new: invalid config")]
fn an_invalid_config_is_a_construction_bug() {
    let _ =
        Toxicity::new(&ToxicityConfig { history_samples: 0, ..ToxicityConfig::default() }, Scale::default());
}

#[test]
fn components_are_named_in_order() {
    let names: Vec<&str> = ToxicityComponent::ALL.iter().map(|c| c.name()).collect();
    assert_eq!(names, ["crossing", "sweep_depth", "order_flow_imbalance", "vpin", "markout", "intensity"]);
    for (index, component) in ToxicityComponent::ALL.into_iter().enumerate() {
        assert_eq!(component.index(), index);
    }
    // Undefined readings are equal to each other, so a default `Signals` equals itself.
    assert_eq!(ToxicityReading::default(), ToxicityReading::default());
    assert!(ToxicityReading::default().components.iter().all(|c| c.raw.is_nan() && c.percentile.is_none()));
}

#[test]
fn sweep_depth_is_a_notional_weighted_decayed_mean() {
    let mut toxicity = Toxicity::new(&only(ToxicityComponent::SweepDepth), Scale::default());
    toxicity.on_time(Nanos(SEC));
    assert!(raw(&toxicity, ToxicityComponent::SweepDepth).is_nan());
    // $900k eating one level, $100k eating eleven: (0.9 × 1 + 0.1 × 11) = 2 levels.
    toxicity.on_burst(&burst(SEC, 1, 9e5));
    toxicity.on_burst(&burst(SEC, 11, 1e5));
    // A burst with no notional carries no weight.
    toxicity.on_burst(&burst(SEC, 50, 0.0));
    toxicity.on_time(Nanos(1_100 * MS));
    assert!((raw(&toxicity, ToxicityComponent::SweepDepth) - 2.0).abs() < 1e-12);
}

// -----------------------------------------------------------------------------------------
// Sampling, ranking, smoothing

#[test]
fn a_value_is_never_ranked_against_itself() {
    let mut toxicity = Toxicity::new(&only(ToxicityComponent::SweepDepth), Scale::default());
    // Each 100 ms a deeper burst: the mean rises at every sample. Ranked against the
    // samples before it, each is above all of them: percentile exactly 1. (Ranked with
    // itself included it would be (n − ½)/n.)
    let mut percentiles = Vec::new();
    for n in 1..=20_i64 {
        let time = n * 100 * MS;
        toxicity.on_time(Nanos(time));
        percentiles.push(toxicity.reading().component(ToxicityComponent::SweepDepth).percentile);
        toxicity.on_burst(&burst(time + MS, n as u32, 1e6));
    }
    // The first sample has no burst yet; the second has no history before it.
    assert_eq!(percentiles[..2], [None, None]);
    assert!(percentiles[2..].iter().all(|&p| p == Some(1.0)), "{percentiles:?}");
    assert_eq!(toxicity.reading().raw, 1.0);
}

#[test]
fn samples_fall_on_the_grid_and_a_long_gap_is_one_sample() {
    let mut toxicity = Toxicity::new(&ToxicityConfig::default(), Scale::default());
    toxicity.on_time(Nanos(1_050 * MS));
    toxicity.on_trade(Nanos(1_060 * MS), &trade(100, 1, Side::Bid));
    assert_eq!(toxicity.histories[5].len(), 0, "no grid point crossed yet");
    toxicity.on_time(Nanos(1_099 * MS));
    assert_eq!(toxicity.histories[5].len(), 0);
    toxicity.on_time(Nanos(1_100 * MS));
    assert_eq!(toxicity.histories[5].len(), 1, "the 1.1 s grid point");
    // A day of silence: one sample, not 864 000.
    toxicity.on_time(Nanos(86_400 * SEC));
    assert_eq!(toxicity.histories[5].len(), 2);
    // Time going backwards is no time at all.
    toxicity.on_time(Nanos(SEC));
    toxicity.on_trade(Nanos(0), &trade(100, 1, Side::Bid));
    toxicity.on_time(Nanos(86_400 * SEC + 99 * MS));
    assert_eq!(toxicity.histories[5].len(), 2);
    assert_eq!(toxicity.clock, Some(86_400 * SEC + 99 * MS));
}

#[test]
fn the_score_renormalises_over_the_components_it_has() {
    let mut components = [ComponentReading::UNDEFINED; 6];
    let weights = ToxicityConfig::default().weights();
    assert_eq!(weighted_score(&components, &weights, 0.0), 0.0);
    components[0].percentile = Some(0.8); // crossing, weight 0.25
    components[3].percentile = Some(0.2); // vpin, weight 0.15
    let expected = (0.25 * 0.8 + 0.15 * 0.2) / 0.4;
    assert!((weighted_score(&components, &weights, 0.0) - expected).abs() < 1e-12);
    // With p₀ = 0.75 only the crossing counts: (0.8 − 0.75) / 0.25 = 0.2, vpin adds 0.
    let expected = (0.25 * 0.2 + 0.15 * 0.0) / 0.4;
    assert!((weighted_score(&components, &weights, 0.75) - expected).abs() < 1e-12);
    components[0].percentile = Some(1.0);
    components[3].percentile = Some(1.0);
    assert!((weighted_score(&components, &weights, 0.75) - 1.0).abs() < 1e-12);
}

#[test]
fn the_score_rises_fast_and_falls_slowly() {
    // Intensity only: two minutes of a jittery tape of about 20 prints a second, one
    // second of a cluster at 2 000 a second, then the calm tape again for a minute.
    let config = only(ToxicityComponent::Intensity);
    let mut toxicity = Toxicity::new(&config, Scale::default());
    let mut seed: u64 = 7;
    let mut jitter = || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as i64 % (90 * MS)
    };
    // One print at `time`; a grid sample it triggers is recorded as (τ, raw).
    let print = |toxicity: &mut Toxicity, time: i64, samples: &mut Vec<(f64, f64)>| {
        let before = toxicity.histories[5].len();
        toxicity.on_time(Nanos(time));
        if toxicity.histories[5].len() > before {
            samples.push((toxicity.reading().value, toxicity.reading().raw));
        }
        toxicity.on_trade(Nanos(time), &trade(100, 1, Side::Bid));
    };
    let mut samples = Vec::new();
    let mut time = 0;
    while time < 120 * SEC {
        time += 5 * MS + jitter();
        print(&mut toxicity, time, &mut samples);
    }
    let calm = toxicity.reading().value;
    let cluster_end = time + SEC;
    while time < cluster_end {
        time += MS / 2;
        print(&mut toxicity, time, &mut samples);
    }
    let alarmed = toxicity.reading().value;
    // One second at raw ≈ 1 closes about half the gap (rise half-life 1 s).
    assert!(alarmed - calm > 0.4 * (1.0 - calm), "calm {calm} alarmed {alarmed}");
    while time < 180 * SEC {
        time += 5 * MS + jitter();
        print(&mut toxicity, time, &mut samples);
    }
    // Every sample follows the smoother's law from the one before (100 ms apart), and no
    // fall in one step comes near the largest rise.
    let (rise, fall) = (Decay::half_life(1.0).factor(100 * MS), Decay::half_life(30.0).factor(100 * MS));
    let (mut largest_rise, mut largest_fall) = (0.0_f64, 0.0_f64);
    for pair in samples.windows(2) {
        let ((before, _), (after, raw)) = (pair[0], pair[1]);
        let factor = if raw > before { rise } else { fall };
        assert!((after - (raw + (before - raw) * factor)).abs() < 1e-12);
        largest_rise = largest_rise.max(after - before);
        largest_fall = largest_fall.max(before - after);
    }
    assert!(largest_fall < largest_rise / 5.0, "rise {largest_rise} fall {largest_fall}");
}

#[test]
fn readings_stay_in_range_on_nonsense_inputs() {
    let mut toxicity =
        Toxicity::new(&ToxicityConfig { min_history: 1, ..ToxicityConfig::default() }, Scale::default());
    let extremes = [i64::MIN, -1, 0, 1, i64::MAX];
    for (n, &x) in extremes.iter().cycle().take(200).enumerate() {
        let time = Nanos(if n % 7 == 0 { x } else { n as i64 * 37 * MS });
        toxicity.on_time(time);
        toxicity.on_trade(time, &trade(x, x, if n % 2 == 0 { Side::Bid } else { Side::Ask }));
        toxicity.on_top(
            time,
            &top(x, x, x.saturating_add(1), x.saturating_neg()),
            [f64::NAN, f64::INFINITY, 1e308, -1.0, 0.5][n % 5],
        );
        toxicity.on_burst(&TakerBurst { levels: u32::MAX, notional: f64::MAX, ..burst(time.0, 1, 1.0) });
        toxicity.on_own_fill(time, Side::Ask, Ticks(x), Lots(x), [f64::NAN, 1e-300, 1.0][n % 3]);
        let reading = toxicity.reading();
        assert!((0.0..=1.0).contains(&reading.value) && (0.0..=1.0).contains(&reading.raw), "{reading:?}");
        for component in &reading.components {
            assert!(component.percentile.is_none_or(|p| (0.0..=1.0).contains(&p)));
            assert!(!component.raw.is_infinite());
        }
    }
}

// -----------------------------------------------------------------------------------------
// Properties

#[derive(Clone, Debug)]
enum Input {
    Time(i64),
    Trade(i64, i64, i64, bool),
    Burst(i64, u32, f64),
    Top(i64, i64, i64, i64, i64, f64),
    Fill(i64, bool, i64, i64, f64),
}

/// A time step: mostly small and forward, sometimes backwards, sometimes absurd.
fn step() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => 0..300 * MS,
        1 => -2 * SEC..0,
        1 => 0..100 * SEC,
        1 => prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0), any::<i64>()],
    ]
}

fn extreme() -> impl Strategy<Value = i64> {
    prop_oneof![8 => 1..100_000_i64, 1 => any::<i64>(), 1 => prop_oneof![Just(0), Just(i64::MAX), Just(i64::MIN)]]
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![8 => 0.0..1e7, 1 => -1e300..1e300, 1 => prop_oneof![Just(0.0), Just(f64::MAX), Just(f64::MIN_POSITIVE)]]
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        3 => step().prop_map(Input::Time),
        4 => (step(), extreme(), extreme(), any::<bool>()).prop_map(|(t, p, q, b)| Input::Trade(t, p, q, b)),
        1 => (step(), 0..50_u32, finite()).prop_map(|(t, l, n)| Input::Burst(t, l, n)),
        3 => (step(), extreme(), extreme(), 1..20_i64, extreme(), finite())
            .prop_map(|(t, b, bq, spread, aq, m)| Input::Top(t, b, bq, spread, aq, m)),
        1 => (step(), any::<bool>(), extreme(), extreme(), finite()).prop_map(|(t, s, p, q, h)| Input::Fill(t, s, p, q, h)),
    ]
}

fn small_config() -> impl Strategy<Value = ToxicityConfig> {
    (1..500_u64, 1..200_usize, 1..20_usize, 1..10_usize).prop_map(|(interval, history, min, buckets)| {
        ToxicityConfig {
            sample_interval_ms: interval,
            history_samples: history,
            min_history: min.min(history),
            vpin_buckets: buckets,
            vpin_bucket_notional: 1e5,
            crossing_window_s: 5.0_f64.max(interval as f64 / 1e3),
            ofi_window_s: 10.0_f64.max(interval as f64 / 1e3),
            markout_capacity: 4,
            ..ToxicityConfig::default()
        }
    })
}

proptest! {
    #[test]
    fn any_input_keeps_every_reading_in_range(config in small_config(), inputs in prop::collection::vec(input(), 1..400)) {
        let mut toxicity = Toxicity::new(&config, Scale { tick: 0.1, lot: 0.001 });
        let mut time: i64 = 1_700_000_000 * SEC;
        for input in inputs {
            let at = |time: &mut i64, step: i64| {
                *time = time.saturating_add(step);
                Nanos(*time)
            };
            match input {
                Input::Time(step) => toxicity.on_time(at(&mut time, step)),
                Input::Trade(step, price, qty, buy) => {
                    let now = at(&mut time, step);
                    toxicity.on_time(now);
                    toxicity.on_trade(now, &trade(price, qty, if buy { Side::Bid } else { Side::Ask }));
                }
                Input::Burst(step, levels, notional) => {
                    toxicity.on_burst(&burst(at(&mut time, step).0, levels, notional));
                }
                Input::Top(step, bid, bid_qty, spread, ask_qty, microprice) => {
                    let now = at(&mut time, step);
                    toxicity.on_time(now);
                    toxicity.on_top(now, &top(bid, bid_qty, bid.saturating_add(spread), ask_qty), microprice);
                }
                Input::Fill(step, buy, price, qty, half_spread) => {
                    let side = if buy { Side::Bid } else { Side::Ask };
                    toxicity.on_own_fill(at(&mut time, step), side, Ticks(price), Lots(qty), half_spread);
                }
            }
            let reading = toxicity.reading();
            prop_assert!((0.0..=1.0).contains(&reading.value), "{reading:?}");
            prop_assert!((0.0..=1.0).contains(&reading.raw), "{reading:?}");
            for component in &reading.components {
                prop_assert!(component.percentile.is_none_or(|p| (0.0..=1.0).contains(&p)), "{reading:?}");
                prop_assert!(component.raw.is_nan() || component.raw.is_finite());
            }
        }
    }

    #[test]
    fn a_step_up_moves_tau_further_in_a_second_than_the_same_step_down(
        low in 0.0..0.9_f64,
        step in 0.05..1.0_f64,
        rise in 0.05..5.0_f64,
        slower in 1.5..50.0_f64,
        interval in 1..1_000_u64,
    ) {
        let high = (low + step).min(1.0);
        let config = ToxicityConfig {
            sample_interval_ms: interval,
            rise_half_life_s: rise,
            fall_half_life_s: rise * slower,
            ..ToxicityConfig::default()
        };
        let interval = interval as i64 * MS;
        // Steady state at `from` (long enough to settle), then one second at `to`; how far
        // did τ move?
        let moved = |from: f64, to: f64| {
            let mut toxicity = Toxicity::new(&config, Scale::default());
            let mut grid = 0;
            toxicity.smooth(grid, from);
            for _ in 0..200 {
                grid += 5 * SEC;
                toxicity.smooth(grid, from);
            }
            let settled = toxicity.smooth(grid, from);
            let mut value = settled;
            while grid < 1_000 * SEC + SEC {
                grid += interval;
                value = toxicity.smooth(grid.min(1_000 * SEC + SEC), to);
            }
            (value - settled).abs()
        };
        let up = moved(low, high);
        let down = moved(high, low);
        prop_assert!(up > down, "up {up} down {down}");
    }
}
