//! [`Random`]: the seeded draws of the generator, from `rand`'s ChaCha8 (the same stream on
//! every platform and `rand` release), with the few distributions the model needs written out
//! (no `rand_distr`).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded source of uniform, exponential, normal and log-normal draws.
pub(super) struct Random(ChaCha8Rng);

impl Random {
    /// The draws of `seed` on ChaCha stream `stream` (independent streams of one seed).
    pub fn new(seed: u64, stream: u64) -> Random {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        Random(rng)
    }

    /// Uniform in `[0, 1)`.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        self.0.random::<f64>()
    }

    /// Uniform in `(0, 1]`: safe to take the logarithm of.
    #[inline]
    pub fn positive_unit(&mut self) -> f64 {
        1.0 - self.unit()
    }

    /// True with probability `p`.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in `[low, high)`.
    #[inline]
    pub fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// Uniform index in `0..len` (`len > 0`).
    #[inline]
    pub fn index(&mut self, len: usize) -> usize {
        self.0.random_range(0..len.max(1))
    }

    /// Exponential with mean `mean`.
    #[inline]
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * self.positive_unit().ln()
    }

    /// Standard normal, by Box–Muller (one of the pair; two uniforms a draw keeps the stream
    /// simple to reason about).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        let radius = (-2.0 * self.positive_unit().ln()).sqrt();
        radius * (std::f64::consts::TAU * self.unit()).cos()
    }

    /// Log-normal with median `median` and log-standard deviation `sigma`.
    #[inline]
    pub fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_have_their_moments() {
        // 200 000 draws: means within a few standard errors.
        let mut random = Random::new(7, 0);
        let n = 200_000;
        let (mut exponential, mut normal, mut square, mut below) = (0.0, 0.0, 0.0, 0);
        for _ in 0..n {
            exponential += random.exponential(2.0);
            let z = random.normal();
            normal += z;
            square += z * z;
            if random.log_normal(3.0, 1.0) < 3.0 {
                below += 1;
            }
        }
        let n = f64::from(n);
        assert!((exponential / n - 2.0).abs() < 0.03);
        assert!((normal / n).abs() < 0.01);
        assert!((square / n - 1.0).abs() < 0.02);
        // The median of the log-normal is its `median`.
        assert!((f64::from(below) / n - 0.5).abs() < 0.01);
    }

    #[test]
    fn streams_of_one_seed_differ_and_repeat() {
        let draw = |seed, stream| {
            let mut random = Random::new(seed, stream);
            (0..4).map(|_| random.unit()).collect::<Vec<_>>()
        };
        assert_eq!(draw(1, 0), draw(1, 0));
        assert_ne!(draw(1, 0), draw(1, 1));
        assert_ne!(draw(1, 0), draw(2, 0));
    }
}
