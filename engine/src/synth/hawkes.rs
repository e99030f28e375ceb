//! [`Hawkes`]: the cascade's liquidations, a self-exciting point process sampled by Ogata's
//! thinning.
//!
//! The intensity is `λ(t) = μ + Σ n·β·e^(−β(t − tᵢ))` over past liquidations `tᵢ`: a baseline
//! `μ` per second, and each liquidation raising the intensity by `n·β`, decaying at rate `β`.
//! The branching ratio `n` (< 1) is the mean number of liquidations one triggers, so the mean
//! rate is `μ / (1 − n)` and the counts are over-dispersed (Fano factor → `1/(1 − n)²`), the
//! fingerprint the risk crate's liquidation signal reads.
//!
//! Ogata's thinning: between events the intensity only decays, so its value now bounds it
//! until the next event. Draw a candidate after an exponential wait at that bound, and accept
//! it with probability `λ(candidate) / bound`. The generator keeps the pending candidate as a
//! timer among its others; when the baseline changes (the cascade's start and end), it draws a
//! new candidate, which the memorylessness of the exponential wait makes exact.
//!
//! Reference: Y. Ogata, "On Lewis' simulation method for point processes", *IEEE Transactions
//! on Information Theory* 27(1), 1981, 23–31.

use super::random::Random;

/// The state of the process: the excitation at a time, and the pending candidate.
pub(super) struct Hawkes {
    branching: f64,
    decay_per_s: f64,
    /// `Σ n·β·e^(−β(at − tᵢ))`, per second, as of `at`.
    excitation: f64,
    /// Seconds; when `excitation` was last brought up to date.
    at: f64,
    /// The next candidate's time (s) and the intensity bound it was drawn under.
    candidate: Option<(f64, f64)>,
}

impl Hawkes {
    /// A process with branching ratio `branching` (< 1) and kernel decay `decay_per_s`,
    /// unexcited.
    pub fn new(branching: f64, decay_per_s: f64) -> Hawkes {
        Hawkes { branching, decay_per_s, excitation: 0.0, at: 0.0, candidate: None }
    }

    fn decay_to(&mut self, time: f64) {
        if time > self.at {
            self.excitation *= (-self.decay_per_s * (time - self.at)).exp();
            self.at = time;
        }
    }

    /// The intensity at `time` (s) with baseline `baseline`.
    pub fn intensity(&mut self, time: f64, baseline: f64) -> f64 {
        self.decay_to(time);
        baseline + self.excitation
    }

    /// Draws the next candidate after `now` under baseline `baseline` and returns its time, or
    /// `None` if the intensity is zero (no baseline, no excitation).
    pub fn draw_candidate(&mut self, now: f64, baseline: f64, random: &mut Random) -> Option<f64> {
        let bound = self.intensity(now, baseline);
        self.candidate = (bound > 0.0).then(|| (now + random.exponential(1.0 / bound), bound));
        self.candidate.map(|(time, _)| time)
    }

    /// The pending candidate's time.
    pub fn candidate(&self) -> Option<f64> {
        self.candidate.map(|(time, _)| time)
    }

    /// At the pending candidate's time: accepts it with probability `λ / bound` (a liquidation;
    /// the excitation jumps by `n·β`) and draws the next candidate. Returns whether it was
    /// accepted.
    pub fn on_candidate(&mut self, baseline: f64, random: &mut Random) -> bool {
        let Some((time, bound)) = self.candidate else { return false };
        let accepted = random.unit() * bound < self.intensity(time, baseline);
        if accepted {
            self.excitation += self.branching * self.decay_per_s;
        }
        self.draw_candidate(time, baseline, random);
        accepted
    }

    /// Ends the excitation (the cascade exhausted itself) and drops the candidate.
    pub fn reset(&mut self, now: f64) {
        self.excitation = 0.0;
        self.at = now;
        self.candidate = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Event times on `[0, horizon)`.
    fn sample(baseline: f64, branching: f64, decay: f64, horizon: f64, seed: u64) -> Vec<f64> {
        let mut random = Random::new(seed, 0);
        let mut hawkes = Hawkes::new(branching, decay);
        let mut times = Vec::new();
        hawkes.draw_candidate(0.0, baseline, &mut random);
        while let Some(time) = hawkes.candidate().filter(|&time| time < horizon) {
            if hawkes.on_candidate(baseline, &mut random) {
                times.push(time);
            }
        }
        times
    }

    #[test]
    fn the_mean_rate_is_the_baseline_over_one_minus_the_branching_ratio() {
        // μ = 1/s, n = 0.5, β = 2/s over 20 000 s: 40 000 expected; the count's standard
        // deviation is about √(40 000)/(1 − n) = 400, so 3 % is over 3σ.
        let times = sample(1.0, 0.5, 2.0, 20_000.0, 3);
        let rate = times.len() as f64 / 20_000.0;
        assert!((rate - 2.0).abs() < 0.06, "rate {rate}");
        assert!(times.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn excitation_clusters_the_counts() {
        // Counts in 5 s windows (long against 1/(β(1 − n)) = 1.7 s): Poisson has a Fano factor
        // of 1; n = 0.7 gives towards 1/(1 − n)² ≈ 11 (about 6 at this window length).
        let fano = |times: &[f64]| {
            let mut counts = vec![0.0_f64; 4_000];
            for &time in times {
                counts[(time / 5.0) as usize] += 1.0;
            }
            let mean = counts.iter().sum::<f64>() / counts.len() as f64;
            let variance =
                counts.iter().map(|count| (count - mean).powi(2)).sum::<f64>() / counts.len() as f64;
            variance / mean
        };
        let poisson = fano(&sample(1.0, 0.0, 2.0, 20_000.0, 5));
        let hawkes = fano(&sample(0.3, 0.7, 2.0, 20_000.0, 5));
        assert!((poisson - 1.0).abs() < 0.1, "Poisson Fano {poisson}");
        assert!(hawkes > 4.0, "Hawkes Fano {hawkes}");
    }

    #[test]
    fn no_baseline_and_no_excitation_is_no_candidate() {
        let mut hawkes = Hawkes::new(0.7, 2.0);
        assert_eq!(hawkes.draw_candidate(1.0, 0.0, &mut Random::new(1, 0)), None);
        assert!(!hawkes.on_candidate(0.0, &mut Random::new(1, 0)));
    }
}
