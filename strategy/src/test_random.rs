//! Seeded random numbers for the tests' synthetic data: `rand`'s ChaCha8, the same stream on
//! every platform and `rand` release.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded source of the draws the tests need.
pub(crate) struct Uniforms(ChaCha8Rng);

impl Uniforms {
    /// The stream for `seed`.
    pub(crate) fn seeded(seed: u64) -> Uniforms {
        Uniforms(ChaCha8Rng::seed_from_u64(seed))
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn uniform(&mut self) -> f64 {
        self.0.random::<f64>()
    }

    /// Exponential with this rate.
    pub(crate) fn exponential(&mut self, rate: f64) -> f64 {
        -(1.0 - self.uniform()).ln() / rate
    }

    /// Standard normal (Box–Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let u = 1.0 - self.uniform(); // (0, 1]
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}
