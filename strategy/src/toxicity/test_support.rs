//! Helpers shared by the unit tests of every file of this module.

use super::{Toxicity, ToxicityComponent, ToxicityConfig};
use crate::signals::TopOfBook;
use crate::taker::TakerBurst;
use feeds::{Lots, Nanos, Side, Ticks, Trade};

pub(super) const SEC: i64 = 1_000_000_000;
pub(super) const MS: i64 = 1_000_000;

pub(super) fn top(bid: i64, bid_qty: i64, ask: i64, ask_qty: i64) -> TopOfBook {
    TopOfBook { bid: Ticks(bid), bid_qty: Lots(bid_qty), ask: Ticks(ask), ask_qty: Lots(ask_qty) }
}

pub(super) fn trade(price: i64, qty: i64, aggressor: Side) -> Trade {
    Trade { price: Ticks(price), qty: Lots(qty), aggressor, aggregated: false, forced: false }
}

pub(super) fn burst(time: i64, levels: u32, notional: f64) -> TakerBurst {
    TakerBurst {
        time: Nanos(time),
        side: Side::Bid,
        first_price: Ticks(100),
        last_price: Ticks(100 + i64::from(levels) - 1),
        levels,
        trades: levels,
        qty: Lots(1),
        price_qty: 100.0,
        notional,
        mid_before: Some(99.5),
        forced: false,
    }
}

/// Only `component` weighs; short history so tests warm up quickly.
pub(super) fn only(component: ToxicityComponent) -> ToxicityConfig {
    let mut config = ToxicityConfig {
        crossing_weight: 0.0,
        sweep_depth_weight: 0.0,
        order_flow_imbalance_weight: 0.0,
        vpin_weight: 0.0,
        markout_weight: 0.0,
        intensity_weight: 0.0,
        min_history: 1,
        ..ToxicityConfig::default()
    };
    match component {
        ToxicityComponent::Crossing => config.crossing_weight = 1.0,
        ToxicityComponent::SweepDepth => config.sweep_depth_weight = 1.0,
        ToxicityComponent::OrderFlowImbalance => config.order_flow_imbalance_weight = 1.0,
        ToxicityComponent::Vpin => config.vpin_weight = 1.0,
        ToxicityComponent::Markout => config.markout_weight = 1.0,
        ToxicityComponent::Intensity => config.intensity_weight = 1.0,
    }
    config
}

pub(super) fn raw(toxicity: &Toxicity, component: ToxicityComponent) -> f64 {
    toxicity.reading().component(component).raw
}
