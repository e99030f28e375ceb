//! [`OptionsBoard`]: the latest ticker of every option of one underlying, summarised as a
//! [`TermStructure`] and an [`OptionsReading`] for the quoting core.
//!
//! - [`OptionsBoard::update`] keeps the newest [`OptionTicker`] per option.
//! - [`OptionsBoard::term_structure`] groups the options by expiry: time to expiry, forward,
//!   at-the-money implied volatility, open interest in total and near spot.
//! - [`OptionsBoard::reading`] folds that into the short-dated/long-dated view the cascade
//!   detector uses.
//!
//! **ATM method.** Per expiry, each strike's implied volatility is the mean `mark_iv` of the
//! options at that strike (Deribit marks a call and a put of one strike at one volatility, so
//! this is usually one number). Strikes are placed in log-moneyness `k = ln(K / F)` around the
//! expiry's forward `F` (the `underlying_price` of its newest ticker), and the ATM volatility is
//! the linear interpolation in `k` between the nearest strike at or below `k = 0` and the
//! nearest at or above it. When all strikes lie on one side, the nearest strike's volatility is
//! used flat, and [`AtmMethod::Nearest`] says so.
//!
//! **Short and long.** An expiry is short-dated if it expires within `short_dated_hours` of
//! `now`. `short_iv` is the ATM volatility of the *nearest* short-dated expiry and `long_iv` that
//! of the nearest later one: the two ends of the front of the curve, with no interpolation
//! across expiries (a variance-time interpolation would smear a one-day event over the week).
//! `oi_near_spot_share` is the open interest at strikes within `near_spot_pct` % of the spot
//! index, over all the open interest of the short-dated expiries.
//!
//! IV maths are `f64`: signal maths, never prices on the wire.

use crate::event::OptionsReading;
use crate::units::{E8, Nanos, RateE8};
use crate::venue::deribit::{OptionName, OptionTicker};
use std::collections::BTreeMap;
use std::fmt;

/// Seconds in the year used for time to expiry (365 days, as Deribit's own greeks use).
const SECONDS_PER_YEAR: f64 = 365.0 * 86_400.0;

/// How the board summarises.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoardSettings {
    /// Expiries within this many hours of now are short-dated. Default 48.
    pub short_dated_hours: f64,
    /// Strikes within this many percent of the spot index count as near spot. Default 5.
    pub near_spot_pct: f64,
}

impl Default for BoardSettings {
    fn default() -> BoardSettings {
        BoardSettings { short_dated_hours: 48.0, near_spot_pct: 5.0 }
    }
}

/// How an expiry's ATM volatility was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtmMethod {
    /// Interpolated in log-moneyness between strikes either side of the forward (or a strike
    /// exactly at it).
    Interpolated,
    /// Every strike is on one side of the forward: the nearest one's volatility, flat.
    Nearest,
}

/// One expiry of a [`TermStructure`].
#[derive(Clone, Debug, PartialEq)]
pub struct ExpiryPoint {
    /// Expiry label as in the names (`30JUL21`).
    pub label: String,
    /// Expiry time.
    pub expiry: Nanos,
    /// Time to expiry in years (365-day), from the structure's `now`.
    pub years: f64,
    /// Forward: the `underlying_price` of the expiry's newest ticker.
    pub forward: f64,
    /// At-the-money implied volatility as a fraction (0.8 is 80 %).
    pub atm_iv: f64,
    /// How `atm_iv` was found.
    pub atm_method: AtmMethod,
    /// Distinct strikes with a ticker.
    pub strikes: usize,
    /// Options (calls and puts) with a ticker.
    pub options: usize,
    /// Open interest of all the expiry's options, in contracts.
    pub open_interest: f64,
    /// Open interest at strikes within `near_spot_pct` of spot.
    pub open_interest_near_spot: f64,
}

/// ATM implied volatility and open interest by expiry, nearest first.
#[derive(Clone, Debug, PartialEq)]
pub struct TermStructure {
    /// The underlying (`BTC`).
    pub underlying: String,
    /// When it was built.
    pub now: Nanos,
    /// Spot index: the `index_price` of the newest ticker.
    pub spot: f64,
    /// Unexpired expiries, nearest first.
    pub expiries: Vec<ExpiryPoint>,
}

/// The latest ticker of every option of one underlying.
#[derive(Clone, Debug)]
pub struct OptionsBoard {
    underlying: String,
    settings: BoardSettings,
    /// By instrument name; each the newest by `timestamp`.
    tickers: BTreeMap<String, OptionTicker>,
}

impl OptionsBoard {
    /// An empty board for options on `underlying` (`BTC`).
    pub fn new(underlying: &str, settings: BoardSettings) -> OptionsBoard {
        OptionsBoard { underlying: underlying.to_owned(), settings, tickers: BTreeMap::new() }
    }

    /// The settings.
    pub fn settings(&self) -> BoardSettings {
        self.settings
    }

    /// Keeps `ticker` if it is for this underlying and not older than the one held; returns
    /// whether it was kept.
    pub fn update(&mut self, ticker: OptionTicker) -> bool {
        if ticker.name.underlying != self.underlying || !ticker.mark_iv.is_finite() || ticker.mark_iv <= 0.0 {
            return false;
        }
        let key = ticker.name.to_string();
        match self.tickers.get(&key) {
            Some(held) if held.timestamp > ticker.timestamp => false,
            _ => {
                self.tickers.insert(key, ticker);
                true
            }
        }
    }

    /// The newest ticker's `timestamp`: the board's own clock.
    pub fn newest_timestamp(&self) -> Option<Nanos> {
        self.tickers.values().map(|ticker| ticker.timestamp).max()
    }

    /// Options held.
    pub fn len(&self) -> usize {
        self.tickers.len()
    }

    /// True when no option is held.
    pub fn is_empty(&self) -> bool {
        self.tickers.is_empty()
    }

    /// The newest ticker of the option named `name` (as [`OptionName`]'s `Display` prints it).
    pub fn ticker(&self, name: &OptionName) -> Option<&OptionTicker> {
        self.tickers.get(&name.to_string())
    }

    /// Keeps only the options whose names `keep` accepts (the ones still watched).
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.tickers.retain(|name, _| keep(name));
    }

    /// Drops options that expired at or before `now`.
    pub fn remove_expired(&mut self, now: Nanos) {
        self.tickers.retain(|_, ticker| ticker.name.expiry > now);
    }

    /// The term structure at `now` (expired expiries left out).
    pub fn term_structure(&self, now: Nanos) -> TermStructure {
        let spot =
            self.tickers.values().max_by_key(|ticker| ticker.timestamp).map_or(f64::NAN, |t| t.index_price);
        let mut by_expiry: BTreeMap<Nanos, Vec<&OptionTicker>> = BTreeMap::new();
        for ticker in self.tickers.values().filter(|ticker| ticker.name.expiry > now) {
            by_expiry.entry(ticker.name.expiry).or_default().push(ticker);
        }
        let expiries = by_expiry
            .into_iter()
            .filter_map(|(expiry, options)| self.expiry_point(expiry, &options, now, spot))
            .collect();
        TermStructure { underlying: self.underlying.clone(), now, spot, expiries }
    }

    fn expiry_point(
        &self,
        expiry: Nanos,
        options: &[&OptionTicker],
        now: Nanos,
        spot: f64,
    ) -> Option<ExpiryPoint> {
        let newest = options.iter().max_by_key(|ticker| ticker.timestamp)?;
        let forward = newest.underlying_price;
        if !(forward.is_finite() && forward > 0.0) {
            return None;
        }
        // Mean mark_iv per strike, strikes ascending (BTreeMap over the strike's bits is
        // ordered for positive floats).
        let mut per_strike: BTreeMap<u64, (f64, f64, usize)> = BTreeMap::new();
        for ticker in options {
            let entry =
                per_strike.entry(ticker.name.strike.to_bits()).or_insert((ticker.name.strike, 0.0, 0));
            entry.1 += ticker.mark_iv;
            entry.2 += 1;
        }
        let smile: Vec<(f64, f64)> = per_strike
            .values()
            .map(|&(strike, iv_sum, count)| ((strike / forward).ln(), iv_sum / count as f64 / 100.0))
            .collect();
        let (atm_iv, atm_method) = atm_from_smile(&smile)?;
        let near = self.settings.near_spot_pct / 100.0;
        let open_interest = options.iter().map(|ticker| ticker.open_interest).fold(0.0, |sum, oi| sum + oi);
        let open_interest_near_spot = options
            .iter()
            .filter(|ticker| (ticker.name.strike / spot - 1.0).abs() <= near)
            .map(|ticker| ticker.open_interest)
            .fold(0.0, |sum, oi| sum + oi);
        Some(ExpiryPoint {
            label: newest.name.expiry_label.clone(),
            expiry,
            years: expiry.saturating_since(now) as f64 / Nanos::PER_SECOND as f64 / SECONDS_PER_YEAR,
            forward,
            atm_iv,
            atm_method,
            strikes: smile.len(),
            options: options.len(),
            open_interest,
            open_interest_near_spot,
        })
    }

    /// The options reading at `now`; `None` unless there is both a short-dated expiry and a
    /// later one (see the [module docs](self) for the rule).
    pub fn reading(&self, now: Nanos) -> Option<OptionsReading> {
        let structure = self.term_structure(now);
        let horizon = self.settings.short_dated_hours * 3_600.0 / SECONDS_PER_YEAR;
        let (short, long): (Vec<&ExpiryPoint>, Vec<&ExpiryPoint>) =
            structure.expiries.iter().partition(|point| point.years <= horizon);
        let short_iv = short.first()?.atm_iv;
        let long_iv = long.first()?.atm_iv;
        let total = short.iter().map(|point| point.open_interest).fold(0.0, |sum, oi| sum + oi);
        let near = short.iter().map(|point| point.open_interest_near_spot).fold(0.0, |sum, oi| sum + oi);
        let share = if total > 0.0 { near / total } else { 0.0 };
        Some(OptionsReading {
            short_iv: fraction_to_rate(short_iv)?,
            long_iv: fraction_to_rate(long_iv)?,
            oi_near_spot_share: fraction_to_rate(share)?,
        })
    }
}

/// ATM volatility from `(log-moneyness, iv)` points sorted by strike (see the module docs).
fn atm_from_smile(smile: &[(f64, f64)]) -> Option<(f64, AtmMethod)> {
    let below = smile.iter().rev().find(|(k, _)| *k <= 0.0);
    let above = smile.iter().find(|(k, _)| *k >= 0.0);
    match (below, above) {
        (Some(&(k0, iv0)), Some(&(k1, iv1))) if k1 > k0 => {
            Some((iv0 + (iv1 - iv0) * (0.0 - k0) / (k1 - k0), AtmMethod::Interpolated))
        }
        (Some(&(_, iv)), Some(_)) => Some((iv, AtmMethod::Interpolated)),
        (Some(&(_, iv)), None) | (None, Some(&(_, iv))) => Some((iv, AtmMethod::Nearest)),
        (None, None) => None,
    }
}

/// A fraction as [`RateE8`], rounded to the nearest 10⁻⁸; `None` if not finite.
fn fraction_to_rate(value: f64) -> Option<RateE8> {
    let scaled = (value * E8 as f64).round();
    (scaled.is_finite() && scaled.abs() < i64::MAX as f64).then_some(RateE8(scaled as i64))
}

impl fmt::Display for TermStructure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} options term structure, spot {:.2}", self.underlying, self.spot)?;
        writeln!(
            f,
            "{:<9} {:>8} {:>11} {:>8} {:>6} {:>7} {:>8} {:>10} {:>13}",
            "expiry", "days", "forward", "atm_iv%", "method", "strikes", "options", "oi", "oi_near_spot"
        )?;
        for point in &self.expiries {
            writeln!(
                f,
                "{:<9} {:>8.3} {:>11.2} {:>8.2} {:>6} {:>7} {:>8} {:>10.1} {:>13.1}",
                point.label,
                point.years * 365.0,
                point.forward,
                point.atm_iv * 100.0,
                match point.atm_method {
                    AtmMethod::Interpolated => "interp",
                    AtmMethod::Nearest => "near",
                },
                point.strikes,
                point.options,
                point.open_interest,
                point.open_interest_near_spot,
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atm_interpolates_in_log_moneyness() {
        // Synthetic smile (real captures hold one strike per expiry): strikes at k = -0.1 and
        // k = +0.1 with 60 % and 80 %: the forward is half-way in k, so 70 %.
        let smile = [(-0.1, 0.6), (0.1, 0.8)];
        let (iv, method) = atm_from_smile(&smile).unwrap();
        assert!((iv - 0.7).abs() < 1e-12);
        assert_eq!(method, AtmMethod::Interpolated);
        // A quarter of the way: 65 %.
        let (iv, _) = atm_from_smile(&[(-0.05, 0.6), (0.15, 0.8)]).unwrap();
        assert!((iv - 0.65).abs() < 1e-12);
        // One side only: the nearest strike, flagged.
        assert_eq!(atm_from_smile(&[(0.2, 0.9), (0.3, 1.0)]), Some((0.9, AtmMethod::Nearest)));
        assert_eq!(atm_from_smile(&[]), None);
    }

    #[test]
    fn rates_round_to_e8() {
        assert_eq!(fraction_to_rate(0.8), Some(RateE8(80_000_000)));
        assert_eq!(fraction_to_rate(f64::NAN), None);
    }
}
