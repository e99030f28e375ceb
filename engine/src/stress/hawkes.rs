//! The synthetic order flow's arrival times and sizes: [`hawkes_times`] for the self-exciting
//! liquidations, [`poisson_times`] for the toxic taker flow, [`lognormal`] for notionals.
//!
//! **Liquidations** arrive as a Hawkes process with intensity
//! `λ(t) = μ(t) + Σ_{tᵢ < t} α e^(−β (t − tᵢ))`: a base rate `μ(t)` that follows the
//! scenario's stress, and a kernel by which every liquidation raises the chance of more (the
//! price it pushes through is where the next positions are liquidated). The branching ratio
//! `n = α/β` is the mean number of liquidations one directly triggers, so a constant base rate
//! `μ` gives `μ/(1 − n)` a second on average.
//!
//! Simulated by Ogata's thinning (Y. Ogata, "On Lewis' simulation method for point processes",
//! *IEEE Transactions on Information Theory* 27(1), 1981): between events the intensity is at
//! most `μ_max + excitation now` (the excitation only decays), so candidates are drawn at that
//! rate and each kept with probability `λ(candidate) / bound`. Thinning rather than the exact
//! inversion of the exponential kernel because `μ(t)` is an arbitrary curve (the schedule's).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::path::standard_normal;

/// Draws an exponential waiting time with rate `rate` (> 0).
fn exponential(rng: &mut ChaCha8Rng, rate: f64) -> f64 {
    // `1 − u` is in (0, 1]: the log is finite.
    -(1.0 - rng.random::<f64>()).ln() / rate
}

/// Arrival times in `[start, end)` of a Hawkes process with base rate `base(t) ≤ base_max`,
/// branching ratio `branching` (`α/β`, in `[0, 1)`) and kernel decay `decay` (`β` > 0), in
/// increasing order. Empty when `base_max` is not positive.
pub fn hawkes_times(
    rng: &mut ChaCha8Rng,
    start: f64,
    end: f64,
    base_max: f64,
    base: impl Fn(f64) -> f64,
    branching: f64,
    decay: f64,
) -> Vec<f64> {
    let mut times = Vec::new();
    if !(base_max > 0.0 && base_max.is_finite() && decay > 0.0) {
        return times;
    }
    let jump = branching * decay;
    // The excitation `Σ α e^(−β (t − tᵢ))` at `t`.
    let mut excitation = 0.0;
    let mut t = start;
    loop {
        let bound = base_max + excitation;
        let wait = exponential(rng, bound);
        t += wait;
        if t >= end {
            return times;
        }
        excitation *= (-decay * wait).exp();
        let intensity = base(t).clamp(0.0, base_max) + excitation;
        if rng.random::<f64>() * bound <= intensity {
            times.push(t);
            excitation += jump;
        }
    }
}

/// Arrival times in `[start, end)` of a Poisson process with rate `rate(t) ≤ rate_max`, in
/// increasing order (thinning, as [`hawkes_times`] without the excitation).
pub fn poisson_times(
    rng: &mut ChaCha8Rng,
    start: f64,
    end: f64,
    rate_max: f64,
    rate: impl Fn(f64) -> f64,
) -> Vec<f64> {
    hawkes_times(rng, start, end, rate_max, rate, 0.0, 1.0)
}

/// A lognormal draw with median `median` and log standard deviation `sigma`, capped at `cap`.
pub fn lognormal(rng: &mut ChaCha8Rng, median: f64, sigma: f64, cap: f64) -> f64 {
    (median * (sigma * standard_normal(rng)).exp()).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_constant_base_rate_gives_mu_over_one_minus_n() {
        // μ = 2/s, n = 0.6, β = 0.5/s over 20 000 s: 2 / 0.4 = 5 a second on average. The
        // count's standard deviation is about √(μT)/(1 − n)^1.5 ≈ 790, 0.8 % of 100 000.
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let times = hawkes_times(&mut rng, 0.0, 20_000.0, 2.0, |_| 2.0, 0.6, 0.5);
        let rate = times.len() as f64 / 20_000.0;
        assert!((rate - 5.0).abs() < 0.15, "{rate}");
        assert!(times.windows(2).all(|pair| pair[0] <= pair[1]));
        assert!(times.iter().all(|&t| (0.0..20_000.0).contains(&t)));
    }

    #[test]
    fn clustering_shows_in_the_dispersion_of_counts() {
        // Counts in 10 s windows: Poisson has a Fano factor of 1; the Hawkes process with
        // n = 0.6 and β = 0.5 tends to 1/(1 − n)² = 6.25 for windows long against 1/β, and is
        // about 4.0 at 10 s (1 + (6.25 − 1)(1 − (1 − e^(−κΔ))/(κΔ)), κ = β(1 − n) = 0.2,
        // κΔ = 2).
        let fano = |times: &[f64]| {
            let mut counts = vec![0.0_f64; 2000];
            for &t in times {
                counts[(t / 10.0) as usize] += 1.0;
            }
            let mean = counts.iter().sum::<f64>() / counts.len() as f64;
            let variance = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / counts.len() as f64;
            variance / mean
        };
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let hawkes = hawkes_times(&mut rng, 0.0, 20_000.0, 1.0, |_| 1.0, 0.6, 0.5);
        let poisson = poisson_times(&mut rng, 0.0, 20_000.0, 1.0, |_| 1.0);
        assert!((fano(&poisson) - 1.0).abs() < 0.15, "{}", fano(&poisson));
        assert!((fano(&hawkes) - 4.0).abs() < 0.8, "{}", fano(&hawkes));
    }

    #[test]
    fn a_varying_rate_is_followed_and_zero_gives_nothing() {
        // Rate 3/s in the first half, 0 in the second.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let times = poisson_times(&mut rng, 0.0, 2000.0, 3.0, |t| if t < 1000.0 { 3.0 } else { 0.0 });
        assert!(times.iter().all(|&t| t < 1000.0));
        assert!((times.len() as f64 / 3000.0 - 1.0).abs() < 0.05, "{}", times.len());
        assert!(poisson_times(&mut rng, 0.0, 100.0, 0.0, |_| 1.0).is_empty());
        assert!(hawkes_times(&mut rng, 0.0, 100.0, f64::NAN, |_| 1.0, 0.5, 1.0).is_empty());
    }

    #[test]
    fn lognormal_sizes_have_their_median_and_cap() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut sizes: Vec<f64> = (0..20_001).map(|_| lognormal(&mut rng, 15_000.0, 1.0, 1e6)).collect();
        sizes.sort_by(f64::total_cmp);
        let median = sizes[10_000];
        assert!((median / 15_000.0 - 1.0).abs() < 0.05, "{median}");
        assert!(sizes.iter().all(|&size| size > 0.0 && size <= 1e6));
        assert_eq!(lognormal(&mut rng, 15_000.0, 0.0, 1e6), 15_000.0);
    }

    #[test]
    fn the_same_seed_gives_the_same_times() {
        let draw = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            hawkes_times(&mut rng, 0.0, 100.0, 2.0, |t| t / 50.0, 0.5, 1.0)
        };
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
    }
}
