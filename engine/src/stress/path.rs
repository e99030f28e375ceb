//! The scenario's schedule: [`Schedule`] says, at each moment of the window, how stressed the
//! market is, how far the price has been displaced, how far funding has flipped; [`PathNoise`]
//! adds the chop.
//!
//! Times are seconds after the recording's first event. The window is
//! `start = onset − ramp`, `onset`, `cascade_end = onset + duration`, `end = cascade_end + tail`,
//! and `u = (t − onset) / duration` is the share of the cascade elapsed.
//!
//! - **Stress level** `ℓ(t) ∈ [0, 1]` ([`Schedule::level`]): 0 outside the window; over the ramp
//!   `ramp_level · x²` (`x` the share of the ramp elapsed: slow at first); in the cascade it rises
//!   to 1 over its first tenth (or until the extreme, if sooner), holds 1 until the extreme of
//!   the move (`trough_at`), then eases linearly to [`CASCADE_END_LEVEL`] at the cascade's end
//!   (unless the extreme is at the very end); over the tail it fades to 0 (smoothstep).
//! - **Move share** `m(t) ∈ [0, 1]` ([`Schedule::move_share`]) of `price_move_bps`: over the ramp
//!   `ramp_move · x²`; in the cascade from `ramp_move` to 1 along the [`PathShape`] until
//!   `trough_at`, then back by `recovery` (smoothstep) to the cascade's end; over the tail to 0
//!   (smoothstep), so the recording passes through unchanged after the window.
//! - **Funding progress** ([`Schedule::funding_progress`]): 0 before the onset, smoothstep over
//!   the cascade, 1 after: funding moves from `funding_before` to `funding_after` and stays.
//! - **Options level** ([`Schedule::options_level`]): the stress level until the cascade's end,
//!   then held at its value there: implied vol stays bid after a crash.
//!
//! Every curve is continuous; the stress level and the move share are 0 at both ends of the
//! window.

use super::config::{PathShape, StressConfig};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The stress level at the end of the cascade (and the options level held after it): half the
/// peak, fading to 0 over the tail.
pub const CASCADE_END_LEVEL: f64 = 0.5;

/// The share of the cascade over which the stress level rises from `ramp_level` to 1.
const ATTACK_SHARE: f64 = 0.1;

/// Time constant of the path noise's mean reversion, seconds.
pub const NOISE_TIME_CONSTANT_S: f64 = 5.0;

/// `3x² − 2x³` on `[0, 1]`, clamped: 0 and 1 with zero slope at the ends.
#[inline]
pub fn smoothstep(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

/// The scenario's curves (see the [module](self) docs), from a validated [`StressConfig`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Schedule {
    start: f64,
    onset: f64,
    cascade_end: f64,
    end: f64,
    ramp_level: f64,
    ramp_move: f64,
    trough_at: f64,
    recovery: f64,
    shape: PathShape,
}

impl Schedule {
    /// The curves of `config` (which should [validate](StressConfig::validate)).
    pub fn new(config: &StressConfig) -> Schedule {
        Schedule {
            start: config.start_s(),
            onset: config.onset_s,
            cascade_end: config.cascade_end_s(),
            end: config.end_s(),
            ramp_level: config.ramp_level,
            ramp_move: config.ramp_move,
            trough_at: config.trough_at,
            recovery: config.recovery,
            shape: config.path_shape,
        }
    }

    /// Share of the ramp elapsed at `t` (in the ramp).
    fn ramp_share(&self, t: f64) -> f64 {
        let ramp = self.onset - self.start;
        if ramp > 0.0 { ((t - self.start) / ramp).clamp(0.0, 1.0) } else { 1.0 }
    }

    /// Share of the cascade elapsed at `t` (in the cascade).
    fn cascade_share(&self, t: f64) -> f64 {
        ((t - self.onset) / (self.cascade_end - self.onset)).clamp(0.0, 1.0)
    }

    /// Share of the tail elapsed at `t` (in the tail).
    fn tail_share(&self, t: f64) -> f64 {
        let tail = self.end - self.cascade_end;
        if tail > 0.0 { ((t - self.cascade_end) / tail).clamp(0.0, 1.0) } else { 1.0 }
    }

    /// The stress level `ℓ(t) ∈ [0, 1]`.
    pub fn level(&self, t: f64) -> f64 {
        if !(self.start..self.end).contains(&t) {
            return 0.0;
        }
        if t < self.onset {
            let x = self.ramp_share(t);
            return self.ramp_level * x * x;
        }
        if t < self.cascade_end {
            let u = self.cascade_share(t);
            let attack = ATTACK_SHARE.min(self.trough_at);
            return if u < attack {
                self.ramp_level + (1.0 - self.ramp_level) * smoothstep(u / attack)
            } else if u <= self.trough_at {
                1.0
            } else {
                1.0 - (1.0 - CASCADE_END_LEVEL) * (u - self.trough_at) / (1.0 - self.trough_at)
            };
        }
        self.cascade_end_level() * (1.0 - smoothstep(self.tail_share(t)))
    }

    /// The stress level at the end of the cascade: [`CASCADE_END_LEVEL`], or 1 when the
    /// extreme is at the very end (no easing leg).
    fn cascade_end_level(&self) -> f64 {
        if self.trough_at < 1.0 { CASCADE_END_LEVEL } else { 1.0 }
    }

    /// The move share `m(t) ∈ [0, 1]` of `price_move_bps` (unsigned; the direction gives the
    /// sign).
    pub fn move_share(&self, t: f64) -> f64 {
        if !(self.start..self.end).contains(&t) {
            return 0.0;
        }
        if t < self.onset {
            let x = self.ramp_share(t);
            return self.ramp_move * x * x;
        }
        if t < self.cascade_end {
            let u = self.cascade_share(t);
            return if u <= self.trough_at {
                self.ramp_move + (1.0 - self.ramp_move) * self.shape.at(u / self.trough_at)
            } else {
                1.0 - self.recovery * smoothstep((u - self.trough_at) / (1.0 - self.trough_at))
            };
        }
        self.cascade_end_share() * (1.0 - smoothstep(self.tail_share(t)))
    }

    /// The move share at the end of the cascade: `1 − recovery`, or 1 when the extreme is at
    /// the very end (no recovery leg).
    fn cascade_end_share(&self) -> f64 {
        if self.trough_at < 1.0 { 1.0 - self.recovery } else { 1.0 }
    }

    /// How far funding has moved from `funding_before` to `funding_after`, in `[0, 1]`.
    pub fn funding_progress(&self, t: f64) -> f64 {
        if t < self.onset {
            0.0
        } else if t < self.cascade_end {
            smoothstep(self.cascade_share(t))
        } else {
            1.0
        }
    }

    /// The level of the options readings (short-dated vol, open interest near spot) in
    /// `[0, 1]`: the stress level until the cascade's end, then held at its value there.
    pub fn options_level(&self, t: f64) -> f64 {
        if t < self.cascade_end { self.level(t) } else { self.cascade_end_level() }
    }
}

/// Mean-reverting noise on the path, basis points: an Ornstein–Uhlenbeck process with time
/// constant [`NOISE_TIME_CONSTANT_S`], advanced exactly over each step.
#[derive(Clone, Debug)]
pub struct PathNoise {
    value: f64,
    rng: ChaCha8Rng,
}

impl PathNoise {
    /// Noise starting at 0, drawing from `rng`.
    pub fn new(rng: ChaCha8Rng) -> PathNoise {
        PathNoise { value: 0.0, rng }
    }

    /// Advances by `dt` seconds with volatility `sigma` (basis points per √s) and returns the
    /// new value: `x ← x·e^(−dt/τ) + σ·√(τ/2·(1 − e^(−2dt/τ)))·z`, `z` standard normal.
    pub fn advance(&mut self, dt: f64, sigma: f64) -> f64 {
        let decay = (-dt.max(0.0) / NOISE_TIME_CONSTANT_S).exp();
        let spread = sigma * (NOISE_TIME_CONSTANT_S / 2.0 * (1.0 - decay * decay)).sqrt();
        self.value = self.value * decay + spread * standard_normal(&mut self.rng);
        self.value
    }
}

/// A standard normal draw (Box–Muller; `rand` without `rand_distr`).
pub fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    // `1 − u` is in (0, 1], so the log is finite.
    let radius = (-2.0 * (1.0 - rng.random::<f64>()).ln()).sqrt();
    radius * (std::f64::consts::TAU * rng.random::<f64>()).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn schedule() -> Schedule {
        // Ramp 90–150 s, cascade 150–225 s (extreme at 0.6 → 195 s), tail to 300 s.
        Schedule::new(&StressConfig::default())
    }

    #[test]
    fn the_curves_start_and_end_at_calm() {
        let schedule = schedule();
        for t in [0.0, 89.999, 300.0, 1e6] {
            assert_eq!((schedule.level(t), schedule.move_share(t)), (0.0, 0.0), "{t}");
        }
        assert_eq!(schedule.level(90.0), 0.0);
        assert!(schedule.level(299.99) < 1e-6);
        assert!(schedule.move_share(299.99) < 1e-6);
        assert_eq!(schedule.funding_progress(149.0), 0.0);
        assert_eq!(schedule.funding_progress(400.0), 1.0);
        assert_eq!(schedule.options_level(400.0), CASCADE_END_LEVEL);
    }

    #[test]
    fn the_curves_by_hand() {
        let schedule = schedule();
        // Halfway through the ramp: 0.3 × 0.5² = 0.075 of the stress, 0.1 × 0.25 of the move.
        assert!((schedule.level(120.0) - 0.075).abs() < 1e-12);
        assert!((schedule.move_share(120.0) - 0.025).abs() < 1e-12);
        // The onset: the ramp's levels exactly.
        assert!((schedule.level(150.0) - 0.3).abs() < 1e-12);
        assert!((schedule.move_share(150.0) - 0.1).abs() < 1e-12);
        // Peak stress from a tenth of the cascade (157.5 s) to the extreme (195 s), which is
        // the whole move.
        assert_eq!(schedule.level(160.0), 1.0);
        assert_eq!(schedule.level(195.0), 1.0);
        assert!((schedule.move_share(195.0) - 1.0).abs() < 1e-12);
        // The end of the cascade: half the stress, 65 % of the move left after the recovery.
        assert!((schedule.level(224.999_999) - 0.5).abs() < 1e-6);
        assert!((schedule.move_share(224.999_999) - 0.65).abs() < 1e-6);
        assert!((schedule.level(225.0) - 0.5).abs() < 1e-12);
        assert!((schedule.move_share(225.0) - 0.65).abs() < 1e-12);
        // Funding is halfway at the middle of the cascade.
        assert!((schedule.funding_progress(187.5) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn the_curves_are_continuous() {
        for shape in [PathShape::Accelerating, PathShape::Linear, PathShape::Flash] {
            for trough_at in [0.1, 0.6, 1.0] {
                let config = StressConfig { path_shape: shape, trough_at, ..StressConfig::default() };
                let schedule = Schedule::new(&config);
                let mut previous = (0.0, 0.0);
                // Steps of 10 ms: no curve jumps by more than a few thousandths.
                for k in 0..35_000 {
                    let t = 85.0 + f64::from(k) * 0.01;
                    let now = (schedule.level(t), schedule.move_share(t));
                    assert!((now.0 - previous.0).abs() < 0.01, "{shape:?} {trough_at} level at {t}");
                    assert!((now.1 - previous.1).abs() < 0.01, "{shape:?} {trough_at} move at {t}");
                    assert!((0.0..=1.0).contains(&now.0) && (0.0..=1.0).contains(&now.1));
                    previous = now;
                }
            }
        }
    }

    #[test]
    fn the_noise_reverts_and_has_its_stationary_spread() {
        let mut noise = PathNoise::new(ChaCha8Rng::seed_from_u64(7));
        // σ = 2 bp/√s, τ = 5 s: the stationary standard deviation is σ·√(τ/2) = 3.16 bp.
        let values: Vec<f64> = (0..200_000).map(|_| noise.advance(0.2, 2.0)).collect();
        let variance = values.iter().map(|x| x * x).sum::<f64>() / values.len() as f64;
        assert!((variance.sqrt() - 3.162).abs() < 0.15, "{}", variance.sqrt());
        // With no volatility it decays by e^(−dt/τ) a step.
        let before = noise.advance(0.0, 0.0);
        assert!((noise.advance(5.0, 0.0) - before * (-1.0_f64).exp()).abs() < 1e-12);
    }
}
