//! The synthetic open interest series (the recordings have none): `base`, then one seeded step
//! per minute of replay time. See [`OpenInterestConfig`].

use super::config::OpenInterestConfig;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

/// Open interest at `minute` of replay (minute 0 is `base`), rounded to `decimals` places.
/// Deterministic: the same config gives the same series.
pub fn open_interest(config: &OpenInterestConfig, minute: u64, decimals: u32) -> Decimal {
    let mut generator = ChaCha8Rng::seed_from_u64(config.seed);
    let mut value = Decimal::from_f64(1.0).unwrap_or(Decimal::ONE) * config.base;
    for _ in 0..minute.min(1_000_000) {
        let step: f64 = generator.random_range(-1.0..=1.0) * config.step_bps / 10_000.0;
        let factor = Decimal::from_f64(1.0 + step).unwrap_or(Decimal::ONE);
        value = (value * factor).max(Decimal::ZERO);
    }
    value.round_dp(decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_series_and_it_moves() {
        let config = OpenInterestConfig::default();
        assert_eq!(open_interest(&config, 0, 3), config.base.round_dp(3));
        let series: Vec<_> = (0..5).map(|minute| open_interest(&config, minute, 3)).collect();
        let again: Vec<_> = (0..5).map(|minute| open_interest(&config, minute, 3)).collect();
        assert_eq!(series, again);
        assert!(series.windows(2).any(|pair| pair[0] != pair[1]));
    }
}
