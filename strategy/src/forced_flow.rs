//! Forced flow and the liquidation-flow-weighted mid (LFWM).
//!
//! In a perpetual, the flow that moves price in a cascade is forced: liquidation orders, and
//! toxic sweeps (takers who walk the book regardless of price). [`ForcedFlow`] keeps a decayed
//! record of it and leans the fair value toward where it is trading.
//!
//! ## What counts as forced
//! - every liquidation print ([`Liquidation`]), its notional multiplied by the venue's
//!   `liquidation_scale` (Binance pushes at most one liquidation per symbol per second, so its
//!   prints are a lower bound of the true flow);
//! - every taker burst ([`TakerBurst`]) that ate at least `sweep_levels` price levels, or whose
//!   notional is above the `sweep_size_percentile` of the bursts before it (a causal quantile
//!   of the trailing `sweep_history` bursts; not used until `sweep_min_history` are held).
//!
//! ## Formulas (event time; `t` is now, `t_i` the time of forced print `i`)
//! - weight `w_i = e^(−(t − t_i)/τ_L)`, `τ_L` = `tau_s` (20 s; half-life `τ_L·ln 2` ≈ 13.9 s);
//! - forced mean price `L = Σ w_i N_i p_i / Σ w_i N_i` (`N` notional in quote currency, `p` the
//!   print's average price in ticks);
//! - intensity `Λ = Σ w_i N_i / τ_L` (quote currency per second), against a slow baseline
//!   `Λ̄ = max(Σ w̄_i N_i / τ_eff, min_baseline)` with `w̄` decaying with `τ_B` =
//!   `baseline_tau_s` (30 min) and `τ_eff = max(τ_B·(1 − e^(−T/τ_B)), 10·τ_L)`, `T` the time
//!   since the signal started watching: the baseline is the mean forced rate over what has been
//!   seen, not diluted by 30 minutes nobody watched (dividing by `τ_B` alone would make every
//!   forced print of the first half hour look unusual), and never over less than ten
//!   intensity time constants (so the first prints after a start are not judged against
//!   themselves alone). The floor keeps a first print after a quiet spell from reading as an
//!   infinitely unusual one;
//! - `ρ = Λ / Λ̄`, lean weight `ω = ω_max · ρ / (ρ + ρ_half)` (`omega_max` 0.5, `rho_half` 5);
//! - lean `ω · (L − microprice)`, in ticks; the fair value is
//!   `LFWM = microprice + clip(lean, ±cap)` with `cap = min(cap_bps of the microprice, one
//!   half-spread)` — the half-spread is the policy's, so [`ForcedFlowReading::lfwm`] takes it.
//!
//! With no forced flow (`Σ w N = 0`) the lean is zero and the LFWM is the microprice exactly.
//!
//! ## Which side it hits
//! Forced selling (long liquidations, sell sweeps) hits bids; forced buying lifts offers. The
//! decayed notional of each gives `sell_share`, and the side pressures
//! `bid_pressure = (ω/ω_max) · sell_share`, `ask_pressure = (ω/ω_max) · (1 − sell_share)` in
//! `[0, 1)`, which the toxicity-aware policy turns into extra width on the side being hit.

use crate::config::StrategyConfigError;
#[cfg(test)]
use crate::decay::NANOS_PER_SEC;
use crate::decay::{Decay, DecayedSum};
use crate::scale::Scale;
use crate::taker::TakerBurst;
use crate::window::TrailingWindow;
use feeds::{E8, Liquidation, Nanos, Side};
use serde::{Deserialize, Serialize};

/// Parameters of the forced-flow signal and the LFWM (`[strategy.lfwm]`).
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LfwmConfig {
    /// `τ_L`: time constant of the forced-flow weights, seconds. Default 20.
    pub tau_s: f64,
    /// `τ_B`: time constant of the intensity baseline, seconds. Default 1800.
    pub baseline_tau_s: f64,
    /// Floor of the baseline intensity, quote currency per second. Default 20 000 (for
    /// BTCUSDT: of the order of the sweep notional per second on a calm tape).
    pub min_baseline: f64,
    /// `ω_max`: the largest lean weight. Default 0.5. In `[0, 1]`.
    pub omega_max: f64,
    /// `ρ_half`: the intensity ratio at which the lean weight is half of `ω_max`. Default 5.
    pub rho_half: f64,
    /// Cap of the lean in basis points of the microprice (it is also capped at one
    /// half-spread). Default 25.
    pub cap_bps: f64,
    /// A taker burst that eats at least this many price levels is a sweep. Default 3.
    pub sweep_levels: u32,
    /// A taker burst above this quantile of recent burst notionals is a sweep. Default 0.99.
    pub sweep_size_percentile: f64,
    /// Bursts kept for that quantile. Default 2000.
    pub sweep_history: usize,
    /// Bursts needed before the size rule applies. Default 200.
    pub sweep_min_history: usize,
    /// Multiplier of liquidation notional from this venue's feed (Binance: at most one print
    /// per symbol per second, a lower bound). Default 1.
    pub liquidation_scale: f64,
}

impl Default for LfwmConfig {
    fn default() -> LfwmConfig {
        LfwmConfig {
            tau_s: 20.0,
            baseline_tau_s: 1800.0,
            min_baseline: 20_000.0,
            omega_max: 0.5,
            rho_half: 5.0,
            cap_bps: 25.0,
            sweep_levels: 3,
            sweep_size_percentile: 0.99,
            sweep_history: 2000,
            sweep_min_history: 200,
            liquidation_scale: 1.0,
        }
    }
}

impl LfwmConfig {
    /// Checks every field; the first bad one is named.
    pub fn validate(&self) -> Result<(), StrategyConfigError> {
        let positive = |value: f64| value > 0.0 && value.is_finite();
        let checks = [
            (positive(self.tau_s), "lfwm.tau_s", self.tau_s, "must be a positive number of seconds"),
            (
                positive(self.baseline_tau_s) && self.baseline_tau_s >= self.tau_s,
                "lfwm.baseline_tau_s",
                self.baseline_tau_s,
                "must be positive and at least lfwm.tau_s",
            ),
            (positive(self.min_baseline), "lfwm.min_baseline", self.min_baseline, "must be positive"),
            (
                (0.0..=1.0).contains(&self.omega_max),
                "lfwm.omega_max",
                self.omega_max,
                "must be between 0 and 1",
            ),
            (positive(self.rho_half), "lfwm.rho_half", self.rho_half, "must be positive"),
            (
                (0.0..=10_000.0).contains(&self.cap_bps),
                "lfwm.cap_bps",
                self.cap_bps,
                "must be between 0 and 10000",
            ),
            (
                self.sweep_levels >= 2,
                "lfwm.sweep_levels",
                f64::from(self.sweep_levels),
                "must be at least 2 (one level is any trade)",
            ),
            (
                self.sweep_size_percentile > 0.5 && self.sweep_size_percentile <= 1.0,
                "lfwm.sweep_size_percentile",
                self.sweep_size_percentile,
                "must be in (0.5, 1]",
            ),
            (
                (1..=1_000_000).contains(&self.sweep_history),
                "lfwm.sweep_history",
                self.sweep_history as f64,
                "must be between 1 and 1000000",
            ),
            (
                self.sweep_min_history >= 1 && self.sweep_min_history <= self.sweep_history,
                "lfwm.sweep_min_history",
                self.sweep_min_history as f64,
                "must be between 1 and lfwm.sweep_history",
            ),
            (
                self.liquidation_scale >= 0.0 && self.liquidation_scale.is_finite(),
                "lfwm.liquidation_scale",
                self.liquidation_scale,
                "must be a finite number of at least 0",
            ),
        ];
        for (ok, field, value, requirement) in checks {
            if !ok {
                return Err(StrategyConfigError::new(field, value, requirement));
            }
        }
        Ok(())
    }
}

/// The forced-flow signal at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ForcedFlowReading {
    /// `L`, the decayed notional-weighted mean price of forced flow, in ticks; `None` with none.
    pub mean_price: Option<f64>,
    /// `Λ`, decayed forced notional per second (quote currency).
    pub intensity: f64,
    /// `Λ̄`, the slow baseline (floored), same units.
    pub baseline: f64,
    /// `ρ = Λ / Λ̄`.
    pub rho: f64,
    /// `ω = ω_max · ρ / (ρ + ρ_half)`, in `[0, ω_max)`.
    pub omega: f64,
    /// Uncapped lean `ω · (L − microprice)`, ticks (0 without forced flow or microprice).
    pub lean: f64,
    /// Cap of the lean from `cap_bps` alone, ticks (the half-spread cap is applied by
    /// [`ForcedFlowReading::lfwm`]).
    pub cap: f64,
    /// Share of decayed forced notional that sold (hit bids), in `[0, 1]`; 0.5 with none.
    pub sell_share: f64,
    /// `(ω/ω_max) · sell_share`: how hard forced flow is hitting our bid, `[0, 1)`.
    pub bid_pressure: f64,
    /// `(ω/ω_max) · (1 − sell_share)`: how hard it is lifting our ask, `[0, 1)`.
    pub ask_pressure: f64,
    /// Forced prints seen: liquidations.
    pub liquidations: u64,
    /// Forced prints seen: sweeps.
    pub sweeps: u64,
}

impl ForcedFlowReading {
    /// The LFWM for `microprice` (ticks) with the lean also capped at `half_spread` ticks:
    /// `microprice + clip(lean, ±min(cap, half_spread))`. The microprice itself when the lean
    /// is zero.
    #[inline]
    pub fn lfwm(&self, microprice: f64, half_spread: f64) -> f64 {
        let cap = self.cap.min(half_spread.max(0.0));
        if self.lean == 0.0 || cap.is_nan() || cap <= 0.0 {
            return microprice;
        }
        microprice + self.lean.clamp(-cap, cap)
    }
}

/// Keeps the forced-flow record and computes [`ForcedFlowReading`].
#[derive(Clone, Debug)]
pub struct ForcedFlow {
    config: LfwmConfig,
    scale: Scale,
    /// `Σ w N p` (p in ticks).
    notional_price: DecayedSum,
    /// `Σ w N`.
    notional: DecayedSum,
    /// `Σ w̄ N` with the baseline's time constant.
    baseline: DecayedSum,
    /// `Σ w N` of forced selling.
    sold: DecayedSum,
    /// Recent burst notionals, for the size rule.
    burst_sizes: TrailingWindow,
    /// The size threshold as of the last burst; refreshed every `SIZE_REFRESH` bursts.
    size_threshold: Option<f64>,
    bursts: u64,
    /// When the signal started watching (first update or print).
    start: Option<Nanos>,
    reading: ForcedFlowReading,
}

/// The baseline's window is at least this many intensity time constants.
const MIN_BASELINE_WINDOWS: f64 = 10.0;

/// Bursts between refreshes of the size quantile (an `O(N)` selection).
const SIZE_REFRESH: u64 = 32;

impl ForcedFlow {
    /// An empty record. `config` must validate.
    pub fn new(config: &LfwmConfig, scale: Scale) -> ForcedFlow {
        let decay = Decay::time_constant(config.tau_s);
        ForcedFlow {
            config: *config,
            scale,
            notional_price: DecayedSum::new(decay),
            notional: DecayedSum::new(decay),
            baseline: DecayedSum::new(Decay::time_constant(config.baseline_tau_s)),
            sold: DecayedSum::new(decay),
            burst_sizes: TrailingWindow::new(config.sweep_history),
            size_threshold: None,
            bursts: 0,
            start: None,
            reading: ForcedFlowReading {
                sell_share: 0.5,
                baseline: config.min_baseline,
                ..Default::default()
            },
        }
    }

    /// A liquidation print of this instrument's own venue at `time`. Its notional (average
    /// price × filled quantity, scaled by `liquidation_scale`) enters the record at its average
    /// price.
    #[inline]
    pub fn on_liquidation(&mut self, time: Nanos, liquidation: &Liquidation) {
        let price_e8 =
            if liquidation.average_price.0 > 0 { liquidation.average_price.0 } else { liquidation.price.0 };
        let price = price_e8 as f64 / E8 as f64;
        let quantity = liquidation.qty.0 as f64 * self.scale.lot;
        self.on_venue_liquidation(time, liquidation.side, price, quantity, self.config.liquidation_scale);
    }

    /// A liquidation of the same underlying printed by any venue (cross-venue aggregation):
    /// `side` of the forced order, `price` and `quantity` in quote and base units, and that
    /// venue's `scale` (a venue that pushes only a sample of its liquidations, like Binance's
    /// one per symbol per second, gets a scale above 1; one that pushes all, like Bybit's
    /// `allLiquidation`, 1).
    #[inline]
    pub fn on_venue_liquidation(&mut self, time: Nanos, side: Side, price: f64, quantity: f64, scale: f64) {
        let ticks = price / self.scale.tick;
        let notional = price * quantity * scale;
        if self.add(time, ticks, notional, side) {
            self.reading.liquidations += 1;
        }
    }

    /// A completed taker burst: recorded if it is a sweep; its size joins the history after
    /// being judged (causal).
    #[inline]
    pub fn on_burst(&mut self, burst: &TakerBurst) {
        let by_levels = burst.levels >= self.config.sweep_levels;
        let by_size = self.size_threshold.is_some_and(|threshold| burst.notional > threshold);
        if (by_levels || by_size) && self.add(burst.time, burst.vwap(), burst.notional, burst.side) {
            self.reading.sweeps += 1;
        }
        self.burst_sizes.push(burst.notional);
        self.bursts += 1;
        if self.bursts.is_multiple_of(SIZE_REFRESH) && self.burst_sizes.len() >= self.config.sweep_min_history
        {
            self.size_threshold = self.burst_sizes.quantile(self.config.sweep_size_percentile);
        }
    }

    fn add(&mut self, time: Nanos, price_ticks: f64, notional: f64, side: Side) -> bool {
        self.start.get_or_insert(time);
        if !(price_ticks > 0.0 && price_ticks.is_finite() && notional > 0.0 && notional.is_finite()) {
            return false;
        }
        self.notional_price.add(time, notional * price_ticks);
        self.notional.add(time, notional);
        self.baseline.add(time, notional);
        let sold = if side == Side::Ask { notional } else { 0.0 };
        self.sold.add(time, sold);
        true
    }

    /// Recomputes the reading at `now` for this `microprice` (ticks; `None` while the book is
    /// unknown, which leaves the lean at zero).
    #[inline]
    pub fn update(&mut self, now: Nanos, microprice: Option<f64>) -> &ForcedFlowReading {
        let start = *self.start.get_or_insert(now);
        let config = &self.config;
        let notional = self.notional.value_at(now);
        let reading = &mut self.reading;
        reading.intensity = notional / config.tau_s;
        // The baseline's effective window: τ_B·(1 − e^(−T/τ_B)), at least ten τ_L.
        let watched = now.0.saturating_sub(start.0);
        let window = (config.baseline_tau_s * (1.0 - self.baseline.decay().factor(watched)))
            .max(MIN_BASELINE_WINDOWS * config.tau_s);
        reading.baseline = (self.baseline.value_at(now) / window).max(config.min_baseline);
        reading.rho = reading.intensity / reading.baseline;
        reading.omega = config.omega_max * reading.rho / (reading.rho + config.rho_half);
        // Below ~1e-300 of notional the ratio is noise; treat it as no flow.
        let flowing = notional > f64::MIN_POSITIVE * 1e8;
        reading.mean_price = flowing.then(|| self.notional_price.value_at(now) / notional);
        reading.sell_share = if flowing { (self.sold.value_at(now) / notional).clamp(0.0, 1.0) } else { 0.5 };
        let strength = if config.omega_max > 0.0 { reading.omega / config.omega_max } else { 0.0 };
        reading.bid_pressure = strength * reading.sell_share;
        reading.ask_pressure = strength * (1.0 - reading.sell_share);
        match (reading.mean_price, microprice) {
            (Some(mean), Some(micro)) => {
                reading.lean = reading.omega * (mean - micro);
                reading.cap = micro.abs() * config.cap_bps / 1e4;
            }
            _ => {
                reading.lean = 0.0;
                reading.cap = microprice.map_or(0.0, |micro| micro.abs() * config.cap_bps / 1e4);
            }
        }
        reading
    }

    /// The reading as of the last [`ForcedFlow::update`].
    #[inline]
    pub fn reading(&self) -> &ForcedFlowReading {
        &self.reading
    }

    /// The configuration.
    pub fn config(&self) -> &LfwmConfig {
        &self.config
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use feeds::{Lots, PriceE8, Ticks};

    fn secs(seconds: f64) -> Nanos {
        Nanos((seconds * NANOS_PER_SEC) as i64)
    }

    /// BTCUSDT-like scale: 0.1 tick, 0.001 lot.
    fn scale() -> Scale {
        Scale { tick: 0.1, lot: 0.001 }
    }

    fn liquidation(side: Side, price: f64, qty_lots: i64) -> Liquidation {
        let e8 = PriceE8((price * E8 as f64).round() as i64);
        Liquidation { side, price: e8, average_price: e8, qty: Lots(qty_lots) }
    }

    fn burst(time: f64, side: Side, levels: u32, vwap_ticks: i64, notional: f64) -> TakerBurst {
        TakerBurst {
            time: secs(time),
            side,
            first_price: Ticks(vwap_ticks),
            last_price: Ticks(vwap_ticks),
            levels,
            trades: levels,
            qty: Lots(1),
            price_qty: vwap_ticks as f64,
            notional,
            mid_before: None,
            forced: false,
        }
    }

    #[test]
    fn without_forced_flow_the_lfwm_is_the_microprice() {
        let mut flow = ForcedFlow::new(&LfwmConfig::default(), scale());
        let reading = *flow.update(secs(100.0), Some(617_000.4));
        assert_eq!(reading.mean_price, None);
        assert_eq!((reading.lean, reading.omega, reading.rho), (0.0, 0.0, 0.0));
        assert_eq!(reading.lfwm(617_000.4, 5.0), 617_000.4);
        // Small bursts that are not sweeps change nothing.
        flow.on_burst(&burst(100.0, Side::Ask, 1, 616_990, 5_000.0));
        assert_eq!(flow.update(secs(100.0), Some(617_000.4)).lfwm(617_000.4, 5.0), 617_000.4);
    }

    #[test]
    fn a_liquidation_sets_the_mean_intensity_and_lean() {
        let config = LfwmConfig::default();
        let mut flow = ForcedFlow::new(&config, scale());
        // A long liquidated: sells 2 BTC (2000 lots) at 61 600.0 = 616 000 ticks.
        flow.on_liquidation(secs(10.0), &liquidation(Side::Ask, 61_600.0, 2_000));
        let reading = *flow.update(secs(10.0), Some(617_000.0));
        assert_eq!(reading.mean_price, Some(616_000.0));
        let notional = 123_200.0;
        assert!((reading.intensity - notional / 20.0).abs() < 1e-6);
        assert_eq!(reading.baseline, config.min_baseline, "one print: the floor rules");
        let rho = notional / 20.0 / 20_000.0;
        assert!((reading.omega - 0.5 * rho / (rho + 5.0)).abs() < 1e-12);
        assert!((reading.lean - reading.omega * -1_000.0).abs() < 1e-9);
        assert_eq!((reading.sell_share, reading.liquidations), (1.0, 1));
        assert!(reading.bid_pressure > 0.0 && reading.ask_pressure == 0.0);
        // Capped at the half-spread (3 ticks) here, since 25 bps is 1542.5 ticks.
        assert_eq!(reading.lfwm(617_000.0, 3.0), 616_997.0);
        assert!((reading.cap - 1_542.5).abs() < 1e-9);
    }

    #[test]
    fn liquidations_from_several_venues_aggregate() {
        let mut flow = ForcedFlow::new(&LfwmConfig::default(), scale());
        // Our venue: 1 BTC at 61 600; another venue (scale 1): 3 BTC at 61 500.
        flow.on_liquidation(secs(5.0), &liquidation(Side::Ask, 61_600.0, 1_000));
        flow.on_venue_liquidation(secs(5.0), Side::Ask, 61_500.0, 3.0, 1.0);
        let reading = *flow.update(secs(5.0), Some(617_000.0));
        let (first, second) = (61_600.0, 3.0 * 61_500.0);
        let mean = (first * 616_000.0 + second * 615_000.0) / (first + second);
        assert!((reading.mean_price.unwrap() - mean).abs() < 1e-6);
        assert!((reading.intensity - (first + second) / 20.0).abs() < 1e-6);
        assert_eq!(reading.liquidations, 2);
        // A venue's scale multiplies its notional (not its price).
        let mut scaled = ForcedFlow::new(&LfwmConfig::default(), scale());
        scaled.on_venue_liquidation(secs(5.0), Side::Bid, 61_500.0, 1.0, 4.0);
        assert!((scaled.update(secs(5.0), None).intensity - 4.0 * 61_500.0 / 20.0).abs() < 1e-6);
    }

    #[test]
    fn the_weights_decay_with_the_time_constant() {
        let mut flow = ForcedFlow::new(&LfwmConfig::default(), scale());
        flow.on_liquidation(secs(0.0), &liquidation(Side::Bid, 61_800.0, 1_000));
        let at = |flow: &mut ForcedFlow, t: f64| flow.update(secs(t), Some(617_000.0)).intensity;
        let start = at(&mut flow, 0.0);
        let later = at(&mut flow, 20.0);
        assert!((later / start - (-1.0_f64).exp()).abs() < 1e-12);
        // The mean price does not decay: it is a ratio of equally decayed sums.
        assert_eq!(flow.update(secs(60.0), Some(617_000.0)).mean_price, Some(618_000.0));
    }

    #[test]
    fn sweeps_count_by_levels_and_by_size() {
        let config = LfwmConfig { sweep_min_history: 64, sweep_history: 256, ..LfwmConfig::default() };
        let mut flow = ForcedFlow::new(&config, scale());
        flow.on_burst(&burst(1.0, Side::Bid, 3, 617_010, 10_000.0));
        assert_eq!(flow.reading().sweeps, 1);
        // 100 ordinary one-level bursts of 1 000..=1 099 USDT: the threshold becomes ~1 098.
        for i in 0..100 {
            flow.on_burst(&burst(2.0, Side::Ask, 1, 617_000, 1_000.0 + f64::from(i)));
        }
        assert_eq!(flow.reading().sweeps, 1);
        flow.on_burst(&burst(3.0, Side::Ask, 1, 616_990, 50_000.0));
        assert_eq!(flow.reading().sweeps, 2);
    }

    #[test]
    fn nonsense_prints_are_ignored() {
        let mut flow = ForcedFlow::new(&LfwmConfig::default(), scale());
        flow.on_liquidation(secs(1.0), &liquidation(Side::Ask, 0.0, 1_000));
        flow.on_liquidation(secs(1.0), &liquidation(Side::Ask, 61_000.0, 0));
        flow.on_burst(&burst(1.0, Side::Ask, 5, 0, 1e6));
        flow.on_burst(&burst(1.0, Side::Ask, 5, 617_000, f64::NAN));
        let reading = flow.update(secs(1.0), Some(617_000.0));
        assert_eq!((reading.liquidations, reading.sweeps, reading.mean_price), (0, 0, None));
    }
}
