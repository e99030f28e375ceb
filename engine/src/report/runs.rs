//! Runs of equal cascade-detector states, for `state.csv` and the shaded bands of the plots.
//!
//! - [`state_runs`]: one [`StateRun`] per maximal stretch of consecutive samples in one state.
//! - [`column_states`]: the same runs quantised to pixel columns, each column taking the most
//!   severe state that touched it, so a one-sample CASCADE still shows as a one-pixel band.

use crate::replay::series::Sample;
use risk::cascade::CascadeState;

/// A stretch of event time in one cascade state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StateRun {
    /// Time of the run's first sample, ns since the epoch.
    pub(crate) start: i64,
    /// Time of the next run's first sample (exclusive); for the last run, the time of the last
    /// sample (the recording says nothing after it).
    pub(crate) end: i64,
    /// The state throughout.
    pub(crate) state: CascadeState,
}

/// The runs of equal states in `samples` (time order), in time order; none for no samples.
pub(crate) fn state_runs(samples: &[Sample]) -> Vec<StateRun> {
    let mut runs: Vec<StateRun> = Vec::new();
    for sample in samples {
        match runs.last_mut() {
            Some(run) if run.state == sample.state => run.end = sample.time.0,
            Some(run) => {
                run.end = sample.time.0;
                runs.push(StateRun { start: sample.time.0, end: sample.time.0, state: sample.state });
            }
            None => runs.push(StateRun { start: sample.time.0, end: sample.time.0, state: sample.state }),
        }
    }
    runs
}

/// How alarming a state is, for choosing what one pixel shows: a CASCADE outranks a WARNING,
/// which outranks a COOLDOWN, which outranks NORMAL.
pub(crate) const fn severity(state: CascadeState) -> u8 {
    match state {
        CascadeState::Normal => 0,
        CascadeState::Cooldown => 1,
        CascadeState::Warning => 2,
        CascadeState::Cascade => 3,
    }
}

/// For each of `columns` equal pixel columns over `x_range`, the most severe state of any run
/// overlapping it (NORMAL where no run does). `x_of` maps a time (ns) to the x axis.
pub(crate) fn column_states(
    runs: &[StateRun],
    x_of: impl Fn(i64) -> f64,
    x_range: (f64, f64),
    columns: usize,
) -> Vec<CascadeState> {
    let mut out = vec![CascadeState::Normal; columns];
    let (x0, x1) = x_range;
    let width = x1 - x0;
    if columns == 0 || width.is_nan() || width <= 0.0 {
        return out;
    }
    let position = |time: i64| (x_of(time) - x0) / width * columns as f64;
    for run in runs.iter().filter(|run| run.state != CascadeState::Normal) {
        let first = position(run.start).floor().clamp(0.0, (columns - 1) as f64) as usize;
        // A run ending exactly on a column edge does not touch the next column; a zero-length
        // run still marks the column it sits in.
        let last = (position(run.end).ceil() - 1.0).clamp(first as f64, (columns - 1) as f64) as usize;
        for column in &mut out[first..=last] {
            if severity(run.state) > severity(*column) {
                *column = run.state;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use feeds::Nanos;

    fn sample(time: i64, state: CascadeState) -> Sample {
        Sample {
            time: Nanos(time),
            mid: 100.0,
            bid: None,
            ask: None,
            fair_value: f64::NAN,
            position: 0.0,
            pnl: 0.0,
            toxicity: 0.0,
            volatility_bps: 0.0,
            half_spread_bps: f64::NAN,
            state,
            cascade_score: 0.0,
        }
    }

    #[test]
    fn one_run_per_stretch_of_equal_states() {
        use CascadeState::*;
        let samples: Vec<Sample> = [Normal, Normal, Warning, Cascade, Cascade, Cooldown, Normal]
            .iter()
            .enumerate()
            .map(|(i, &state)| sample(i as i64 * 10, state))
            .collect();
        let runs = state_runs(&samples);
        let expected =
            [(0, 20, Normal), (20, 30, Warning), (30, 50, Cascade), (50, 60, Cooldown), (60, 60, Normal)];
        assert_eq!(runs.len(), expected.len());
        for (run, &(start, end, state)) in runs.iter().zip(&expected) {
            assert_eq!(*run, StateRun { start, end, state });
        }
        assert!(state_runs(&[]).is_empty());
    }

    #[test]
    fn columns_show_the_most_severe_state() {
        use CascadeState::*;
        // Ten columns over 0..100: a WARNING over 0..35, a one-instant CASCADE at 33 and a
        // COOLDOWN over 35..60. Column 3 (30..40) saw all three and shows the CASCADE.
        let runs = [
            StateRun { start: 0, end: 35, state: Warning },
            StateRun { start: 33, end: 33, state: Cascade },
            StateRun { start: 35, end: 60, state: Cooldown },
            StateRun { start: 60, end: 100, state: Normal },
        ];
        let columns = column_states(&runs, |t| t as f64, (0.0, 100.0), 10);
        assert_eq!(
            columns,
            [Warning, Warning, Warning, Cascade, Cooldown, Cooldown, Normal, Normal, Normal, Normal]
        );
    }
}
