//! A replay's summary: what the run made and lost, how it quoted, in which market, how fast.
//!
//! [`summarize`] turns the samples, the fills and the run's counters into a [`ReplaySummary`](super::run::ReplaySummary)
//! (printed and written as JSON) and the fills' markouts. Conventions:
//! - PnL is net of fees unless named gross; the position is marked at the mid.
//! - Markouts are signed for us: `side · (mid(t + h) − price) / price` in basis points,
//!   averaged over fills weighted by quantity; `h` is 1 s, 5 s and 30 s of event time, the
//!   mid read from the first sample at or after `t + h` (samples are `sample_interval` apart).
//! - Uptime and inventory are time-weighted over event time, from every frame end.
//! - Percentiles are nearest-rank over the samples (quoted spread: samples with a quote).

use super::sampler::Exposure;
use super::series::{FillRecord, MARKOUT_HORIZONS_S, Regime, Sample, Series};
use crate::account::Account;
use crate::gateway::Fill;
use feeds::{Nanos, Side, Step};
use risk::cascade::CascadeState;
use serde::Serialize;
use std::collections::BTreeMap;

/// Percentiles of one quantity (nearest rank).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Percentiles {
    /// 10th percentile.
    pub p10: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl Percentiles {
    /// Of `values` (sorted in place; NaNs are dropped first); `None` without a number.
    pub fn of(values: &mut Vec<f64>) -> Option<Percentiles> {
        values.retain(|value| value.is_finite());
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let at = |p: f64| values[((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1];
        Some(Percentiles { p10: at(0.1), p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1.0) })
    }
}

/// Profit and loss, quote currency.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Pnl {
    /// Before fees.
    pub gross: f64,
    /// Fees paid (negative: rebates received).
    pub fees: f64,
    /// After fees: `gross − fees`.
    pub net: f64,
}

/// Position over the run, base units.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Inventory {
    /// Time-weighted mean of |position|.
    pub mean_abs: f64,
    /// Largest |position|.
    pub max_abs: f64,
    /// Position at the end.
    pub last: f64,
}

/// Share of event time with quotes resting.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Uptime {
    /// Both sides resting.
    pub two_sided: f64,
    /// At least one side resting.
    pub any_side: f64,
}

/// Time in one risk state.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StateTime {
    /// Seconds of event time.
    pub seconds: f64,
    /// Share of the run.
    pub fraction: f64,
}

/// Results within one market regime.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct RegimeResult {
    /// Seconds of event time in the regime.
    pub seconds: f64,
    /// Net PnL change over the regime's time, quote currency.
    pub pnl: f64,
    /// Fills in the regime.
    pub fills: u64,
    /// Base units traded in the regime.
    pub volume: f64,
    /// Quantity-weighted markouts of the regime's fills, bps: 1 s, 5 s, 30 s.
    pub markouts_bps: Markouts,
}

/// Markouts at the three horizons, basis points; `None` without a fill that has one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Markouts {
    /// One second.
    #[serde(rename = "1s")]
    pub s1: Option<f64>,
    /// Five seconds.
    #[serde(rename = "5s")]
    pub s5: Option<f64>,
    /// Thirty seconds.
    #[serde(rename = "30s")]
    pub s30: Option<f64>,
}

/// The trading results of a replay (the part a sweep ranks on).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TradingSummary {
    /// Our executions.
    pub fills: u64,
    /// Base units bought and sold as maker.
    pub maker_volume: f64,
    /// Quote-currency notional traded as maker.
    pub maker_notional: f64,
    /// Base units taken as taker.
    pub taker_volume: f64,
    /// PnL at the end, position marked at the last mid.
    pub pnl: Pnl,
    /// Largest fall of net PnL from a running peak (samples and fills), quote currency.
    pub max_drawdown: f64,
    /// Position.
    pub inventory: Inventory,
    /// Quantity-weighted markouts, bps.
    pub markouts_bps: Markouts,
    /// Share of time quoted.
    pub quote_uptime: Uptime,
    /// Time per risk state (cascade detector), by lower-case state name.
    pub state_time: BTreeMap<String, StateTime>,
    /// Quoted spread (bid to ask), bps of the mid, over samples with a quote.
    pub spread_bps: Option<Percentiles>,
    /// Toxicity τ over samples.
    pub toxicity: Option<Percentiles>,
    /// Results per market regime (calm / stressed / cascade).
    pub regimes: BTreeMap<&'static str, RegimeResult>,
}

/// Everything [`summarize`] needs.
pub struct SummaryInput<'a> {
    /// The samples, in time order.
    pub samples: &'a [Sample],
    /// Our fills, in order.
    pub fills: &'a [Fill],
    /// The final account.
    pub account: Account,
    /// Event-time accumulators.
    pub exposure: Exposure,
    /// Nanoseconds per cascade state, by [`CascadeState::index`].
    pub time_in_state: [i64; CascadeState::COUNT],
    /// The instrument's tick and lot.
    pub tick: Step,
    /// Lot step.
    pub lot: Step,
    /// Regime windows of the market.
    pub regimes: &'a [super::series::RegimeSpan],
}

/// The trading summary and the fills with their markouts.
pub fn summarize(input: &SummaryInput<'_>) -> (TradingSummary, Vec<FillRecord>) {
    let (tick, lot) = (input.tick.to_f64(), input.lot.to_f64());
    let series = Series { regimes: input.regimes.to_vec(), ..Series::default() };
    let fills: Vec<FillRecord> = input.fills.iter().map(|fill| fill_record(fill, input, tick, lot)).collect();

    let last_mid = input.samples.iter().rev().find(|sample| sample.mid.is_finite()).map(|sample| sample.mid);
    let account = &input.account;
    let net = last_mid.map_or_else(|| decimal_f64(account.cash()), |mid| account.pnl_f64(mid / tick));
    let fees = decimal_f64(account.fees());
    let (maker_lots, taker_lots) = account.volume_lots();
    let (maker_notional, _) = account.volume_notional();

    let mut peak = 0.0_f64;
    let mut max_drawdown = 0.0_f64;
    for pnl in input.samples.iter().map(|sample| sample.pnl).filter(|pnl| pnl.is_finite()) {
        peak = peak.max(pnl);
        max_drawdown = max_drawdown.max(peak - pnl);
    }

    let exposure = input.exposure;
    let share = |part: i64| if exposure.total_ns > 0 { part as f64 / exposure.total_ns as f64 } else { 0.0 };
    let total_state: i64 = input.time_in_state.iter().sum();
    let state_time = CascadeState::ALL
        .iter()
        .map(|state| {
            let ns = input.time_in_state[state.index()];
            let fraction = if total_state > 0 { ns as f64 / total_state as f64 } else { 0.0 };
            (state.name().to_lowercase(), StateTime { seconds: ns as f64 / 1e9, fraction })
        })
        .collect();

    let mut spreads: Vec<f64> = input.samples.iter().map(|sample| 2.0 * sample.half_spread_bps).collect();
    let mut toxicity: Vec<f64> = input.samples.iter().map(|sample| sample.toxicity).collect();

    let summary = TradingSummary {
        fills: account.fills(),
        maker_volume: maker_lots as f64 * lot,
        maker_notional: decimal_f64(maker_notional),
        taker_volume: taker_lots as f64 * lot,
        pnl: Pnl { gross: net + fees, fees, net },
        max_drawdown,
        inventory: Inventory {
            mean_abs: if exposure.total_ns > 0 {
                exposure.abs_position_lot_ns / exposure.total_ns as f64 * lot
            } else {
                0.0
            },
            max_abs: exposure.max_abs_position as f64 * lot,
            last: account.position().0 as f64 * lot,
        },
        markouts_bps: markouts(fills.iter()),
        quote_uptime: Uptime {
            two_sided: share(exposure.two_sided_ns),
            any_side: share(exposure.any_side_ns),
        },
        state_time,
        spread_bps: Percentiles::of(&mut spreads),
        toxicity: Percentiles::of(&mut toxicity),
        regimes: regime_results(input.samples, &fills, &series),
    };
    (summary, fills)
}

fn decimal_f64(value: rust_decimal::Decimal) -> f64 {
    value.try_into().unwrap_or(f64::NAN)
}

fn fill_record(fill: &Fill, input: &SummaryInput<'_>, tick: f64, lot: f64) -> FillRecord {
    let price = fill.price.0 as f64 * tick;
    let sign = match fill.side {
        Side::Bid => 1.0,
        Side::Ask => -1.0,
    };
    let markout = |horizon_s: u64| {
        let at = Nanos(fill.time.0 + horizon_s as i64 * Nanos::PER_SECOND);
        let index = input.samples.partition_point(|sample| sample.time < at);
        let mid = input.samples[index..].iter().find(|sample| sample.mid.is_finite())?.mid;
        Some(sign * (mid - price) / price * 1e4)
    };
    // The position right after this fill: the last sample at the fill's frame carries it.
    let position_after = input
        .samples
        .iter()
        .find(|sample| sample.time >= fill.time)
        .map_or(f64::NAN, |sample| sample.position);
    FillRecord {
        time: fill.time,
        side: fill.side,
        price,
        qty: fill.qty.0 as f64 * lot,
        liquidity: fill.liquidity,
        fee: decimal_f64(fill.fee),
        position: position_after,
        markouts_bps: MARKOUT_HORIZONS_S.map(markout),
    }
}

fn markouts<'a>(fills: impl Iterator<Item = &'a FillRecord> + Clone) -> Markouts {
    let at = |horizon: usize| {
        let (mut weighted, mut weight) = (0.0, 0.0);
        for fill in fills.clone() {
            if let Some(markout) = fill.markouts_bps[horizon] {
                weighted += markout * fill.qty;
                weight += fill.qty;
            }
        }
        (weight > 0.0).then(|| weighted / weight)
    };
    Markouts { s1: at(0), s5: at(1), s30: at(2) }
}

fn regime_results(
    samples: &[Sample],
    fills: &[FillRecord],
    series: &Series,
) -> BTreeMap<&'static str, RegimeResult> {
    let mut results: BTreeMap<&'static str, RegimeResult> =
        Regime::ALL.iter().map(|regime| (regime.name(), RegimeResult::default())).collect();
    let mut previous: Option<&Sample> = None;
    for sample in samples {
        if let Some(before) = previous {
            let regime = series.regime_at(before.time);
            if let Some(result) = results.get_mut(regime.name()) {
                result.seconds += (sample.time.0 - before.time.0) as f64 / 1e9;
                if sample.pnl.is_finite() && before.pnl.is_finite() {
                    result.pnl += sample.pnl - before.pnl;
                }
            }
        }
        previous = Some(sample);
    }
    for regime in Regime::ALL {
        let in_regime = fills.iter().filter(|fill| series.regime_at(fill.time) == regime);
        if let Some(result) = results.get_mut(regime.name()) {
            result.fills = in_regime.clone().count() as u64;
            result.volume = in_regime.clone().map(|fill| fill.qty).sum();
            result.markouts_bps = markouts(in_regime);
        }
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank_drop_nan() {
        let mut values: Vec<f64> = (1..=10).map(f64::from).chain([f64::NAN]).collect();
        let percentiles = Percentiles::of(&mut values).unwrap();
        assert_eq!(
            (percentiles.p10, percentiles.p50, percentiles.p90, percentiles.max),
            (1.0, 5.0, 9.0, 10.0)
        );
        assert_eq!(Percentiles::of(&mut vec![f64::NAN]), None);
    }
}
