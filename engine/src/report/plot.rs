//! The report's five SVG plots, drawn with `plotters` into strings.
//!
//! Every plot has the same width, the same left and right label areas and the same
//! [`TimeAxis`], so their time axes line up when stacked. From the top:
//!
//! 1. **price**: mid, fair value, our bid and ask, fills (buys ▲, sells ▼), risk-state bands
//!    behind, regime windows as a strip along the top;
//! 2. **inventory**: position;
//! 3. **PnL**: net PnL;
//! 4. **signals**: toxicity (left axis) and volatility (right axis);
//! 5. **risk state**: state bands labelled by name, regime strip, cascade score.
//!
//! Lines are thinned with [`downsample::min_max`] to one pixel column's extremes, fills to the
//! lowest and highest of each side per column, and state runs to the most severe state per
//! column, so a plot's size depends on its width, not on the length of the replay. Legends
//! are returned as [`LegendEntry`]s for the page to lay out in HTML, where text is measured
//! by the browser (plotters' SVG backend can only guess text widths).

use super::axis::{TimeAxis, ValueAxis};
use super::downsample::{self, GAP};
use super::runs::{StateRun, column_states};
use crate::replay::series::{Regime, Sample, Series};
use feeds::Side;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use risk::cascade::CascadeState;
use std::error::Error;

/// Width of every plot, pixels.
pub(crate) const WIDTH: u32 = 1320;
const MARGIN: u32 = 8;
const LEFT_AREA: u32 = 84;
const RIGHT_AREA: u32 = 72;
const X_LABEL_AREA: u32 = 26;
const X_LABEL_AREA_LAST: u32 = 46;
/// Pixel columns of every plot's drawing area: the resolution of the thinning.
pub(crate) const COLUMNS: usize = (WIDTH - 2 * MARGIN - LEFT_AREA - RIGHT_AREA) as usize;
/// Fraction of a plot's height the regime strip takes at its top.
const REGIME_STRIP: f64 = 0.05;
const FONT: &str = "sans-serif";

/// A colour with opacity, usable both in the SVG and in the page's CSS legend.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Ink {
    rgb: (u8, u8, u8),
    alpha: f64,
}

impl Ink {
    const fn solid(r: u8, g: u8, b: u8) -> Self {
        Ink { rgb: (r, g, b), alpha: 1.0 }
    }

    const fn faint(r: u8, g: u8, b: u8, alpha: f64) -> Self {
        Ink { rgb: (r, g, b), alpha }
    }

    fn color(self) -> RGBAColor {
        RGBColor(self.rgb.0, self.rgb.1, self.rgb.2).mix(self.alpha)
    }

    /// `rgba(r,g,b,a)`.
    pub(crate) fn css(self) -> String {
        format!("rgba({},{},{},{})", self.rgb.0, self.rgb.1, self.rgb.2, self.alpha)
    }
}

const MID: Ink = Ink::solid(45, 45, 45);
const FAIR_VALUE: Ink = Ink::solid(142, 68, 173);
const BID: Ink = Ink::solid(67, 160, 71);
const ASK: Ink = Ink::solid(229, 115, 115);
const BUY: Ink = Ink::solid(0, 150, 50);
const SELL: Ink = Ink::solid(211, 23, 23);
const POSITION: Ink = Ink::solid(21, 101, 192);
const PNL: Ink = Ink::solid(0, 121, 107);
const TOXICITY: Ink = Ink::solid(94, 53, 177);
const VOLATILITY: Ink = Ink::solid(239, 108, 0);
const SCORE: Ink = Ink::solid(33, 33, 33);
const ZERO: Ink = Ink::solid(150, 150, 150);
const GRID: Ink = Ink::solid(228, 228, 228);

/// The band colour of a risk state; none for NORMAL.
fn state_ink(state: CascadeState) -> Option<Ink> {
    match state {
        CascadeState::Normal => None,
        CascadeState::Warning => Some(Ink::faint(255, 179, 0, 0.30)),
        CascadeState::Cascade => Some(Ink::faint(229, 57, 53, 0.25)),
        CascadeState::Cooldown => Some(Ink::faint(30, 136, 229, 0.18)),
    }
}

/// The strip colour of a regime; none for calm.
fn regime_ink(regime: Regime) -> Option<Ink> {
    match regime {
        Regime::Calm => None,
        Regime::Stressed => Some(Ink::faint(251, 140, 0, 0.85)),
        Regime::Cascade => Some(Ink::faint(106, 27, 154, 0.85)),
    }
}

/// What one legend entry shows next to its label.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Swatch {
    /// A line in this colour.
    Line(Ink),
    /// A shaded band.
    Band(Ink),
    /// A marker glyph (`▲`, `▼`) in this colour.
    Marker(char, Ink),
}

/// One legend entry of a plot.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LegendEntry {
    /// What it looks like.
    pub(crate) swatch: Swatch,
    /// What it is.
    pub(crate) label: String,
}

fn entry(swatch: Swatch, label: &str) -> LegendEntry {
    LegendEntry { swatch, label: label.to_owned() }
}

/// One rendered plot.
#[derive(Clone, Debug)]
pub(crate) struct Plot {
    /// Heading above the plot.
    pub(crate) title: &'static str,
    /// The `<svg>` element.
    pub(crate) svg: String,
    /// Legend entries, in drawing order.
    pub(crate) legend: Vec<LegendEntry>,
}

type DrawError = Box<dyn Error + Send + Sync>;
/// A plot's SVG and legend.
type Drawn = (String, Vec<LegendEntry>);
/// Draws one plot.
type Draw = fn(&Canvas<'_>) -> Result<Drawn, DrawError>;
/// Lowest and highest fill of one side in one pixel column, each as (x, price).
type Extremes = Option<((f64, f64), (f64, f64))>;
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<ClockRange, RangedCoordf64>>;

/// The x coordinate of the plots: seconds on the [`TimeAxis`], with its round-clock ticks.
///
/// Not `plotters`' `WithKeyPoints` over an `f64` range: that drops the `f64` range's value
/// formatter, which the mesh requires even when given its own label formatter.
#[derive(Clone)]
struct ClockRange {
    range: (f64, f64),
    ticks: Vec<f64>,
}

impl ClockRange {
    fn new(axis: &TimeAxis) -> Self {
        ClockRange { range: axis.range(), ticks: axis.ticks() }
    }
}

impl Ranged for ClockRange {
    // Labels come from `TimeAxis::label` through the mesh's formatter; the default is unused.
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let (start, end) = self.range;
        let fraction = ((value - start) / (end - start)).clamp(-1.0, 2.0);
        let fraction = if fraction.is_finite() { fraction } else { 0.0 };
        limit.0 + ((limit.1 - limit.0) as f64 * fraction + 1e-3).floor() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.0..self.range.1
    }
}

/// What every plot draws from: the series, its time axis and its state runs.
pub(crate) struct Canvas<'s> {
    /// The replay's series.
    pub(crate) series: &'s Series,
    /// The shared time axis.
    pub(crate) axis: &'s TimeAxis,
    /// The series' state runs.
    pub(crate) runs: &'s [StateRun],
}

/// The five plots, top to bottom; on failure, the failing plot's title and the error.
pub(crate) fn render_all(canvas: &Canvas<'_>) -> Result<Vec<Plot>, (&'static str, DrawError)> {
    let plots: [(&'static str, Draw); 5] = [
        ("Price, quotes and fills", price),
        ("Inventory", inventory),
        ("PnL", pnl),
        ("Toxicity and volatility", signals),
        ("Risk state and cascade score", risk_state),
    ];
    plots
        .into_iter()
        .map(|(title, draw)| {
            draw(canvas).map(|(svg, legend)| Plot { title, svg, legend }).map_err(|error| (title, error))
        })
        .collect()
}

/// Draws into a fresh SVG string of `height` pixels.
fn svg(
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), DrawError>,
) -> Result<String, DrawError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    Ok(out)
}

/// Which side of the plot a chart's y axis is on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum YAxisSide {
    /// The plot's main chart: left y axis, time axis, grid.
    Left,
    /// A second scale drawn over the main chart (same drawing area): right y axis only.
    Right,
}

/// A chart with the shared layout, its mesh drawn.
///
/// `plotters` labels the primary y axis on both sides when a chart has a right label area, so a
/// second scale is a second chart over the same pixels: the main one keeps the right area as
/// margin, the overlay keeps the left area as margin.
fn chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    axis: &TimeAxis,
    y: ValueAxis,
    y_title: &str,
    last: bool,
    side: YAxisSide,
) -> Result<Chart<'a, 'b>, DrawError> {
    let mut builder = ChartBuilder::on(root);
    builder.margin(MARGIN).x_label_area_size(if last { X_LABEL_AREA_LAST } else { X_LABEL_AREA });
    match side {
        YAxisSide::Left => builder.y_label_area_size(LEFT_AREA).margin_right(MARGIN + RIGHT_AREA),
        YAxisSide::Right => builder.right_y_label_area_size(RIGHT_AREA).margin_left(MARGIN + LEFT_AREA),
    };
    let mut chart = builder.build_cartesian_2d(ClockRange::new(axis), y.low..y.high)?;
    let x_title =
        if last && side == YAxisSide::Left { format!("time, UTC ({})", axis.date()) } else { String::new() };
    let x_label = |x: &f64| if side == YAxisSide::Left { axis.label(*x) } else { String::new() };
    let y_label = |value: &f64| y.label(*value);
    let mut mesh = chart.configure_mesh();
    mesh.x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .y_labels(6)
        .x_desc(x_title)
        .y_desc(y_title)
        .bold_line_style(GRID.color())
        .light_line_style(TRANSPARENT)
        .axis_style(MID.color())
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 13));
    if side == YAxisSide::Right {
        mesh.disable_mesh();
    }
    mesh.draw()?;
    Ok(chart)
}

fn price(canvas: &Canvas<'_>) -> Result<Drawn, DrawError> {
    let Canvas { series, axis, .. } = *canvas;
    let samples = &series.samples;
    let values = samples
        .iter()
        .flat_map(|s| [s.mid, s.fair_value, s.bid.unwrap_or(GAP), s.ask.unwrap_or(GAP)])
        .chain(series.fills.iter().map(|fill| fill.price));
    let y = ValueAxis::around(values, &[]);
    let svg = svg(380, |root| {
        let mut chart = chart(root, axis, y, "price", false, YAxisSide::Left)?;
        state_bands(&mut chart, canvas, y)?;
        regime_strip(&mut chart, canvas, y)?;
        let line = |value: fn(&Sample) -> f64| -> Vec<(f64, f64)> {
            samples.iter().map(|s| (axis.x(s.time), value(s))).collect()
        };
        draw_line(&mut chart, axis, y, &line(|s| s.bid.unwrap_or(GAP)), BID)?;
        draw_line(&mut chart, axis, y, &line(|s| s.ask.unwrap_or(GAP)), ASK)?;
        draw_line(&mut chart, axis, y, &line(|s| s.fair_value), FAIR_VALUE)?;
        draw_line(&mut chart, axis, y, &line(|s| s.mid), MID)?;
        fill_markers(&mut chart, canvas, y)
    })?;
    let mut legend = vec![
        entry(Swatch::Line(MID), "mid"),
        entry(Swatch::Line(FAIR_VALUE), "fair value"),
        entry(Swatch::Line(BID), "our bid"),
        entry(Swatch::Line(ASK), "our ask"),
        entry(Swatch::Marker('▲', BUY), "buy fill"),
        entry(Swatch::Marker('▼', SELL), "sell fill"),
    ];
    legend.extend(state_legend());
    legend.extend(regime_legend());
    Ok((svg, legend))
}

fn inventory(canvas: &Canvas<'_>) -> Result<Drawn, DrawError> {
    let points: Vec<(f64, f64)> =
        canvas.series.samples.iter().map(|s| (canvas.axis.x(s.time), s.position)).collect();
    let svg = single_line(canvas, &points, "position", POSITION)?;
    Ok((
        svg,
        vec![
            entry(Swatch::Line(POSITION), "position, base units (+ long)"),
            entry(Swatch::Line(ZERO), "flat"),
        ],
    ))
}

fn pnl(canvas: &Canvas<'_>) -> Result<Drawn, DrawError> {
    let points: Vec<(f64, f64)> =
        canvas.series.samples.iter().map(|s| (canvas.axis.x(s.time), s.pnl)).collect();
    let svg = single_line(canvas, &points, "PnL", PNL)?;
    Ok((
        svg,
        vec![
            entry(Swatch::Line(PNL), "net PnL, quote currency (fees in, position marked at mid)"),
            entry(Swatch::Line(ZERO), "zero"),
        ],
    ))
}

/// A plot of one line around zero.
fn single_line(
    canvas: &Canvas<'_>,
    points: &[(f64, f64)],
    y_title: &str,
    ink: Ink,
) -> Result<String, DrawError> {
    let y = ValueAxis::around(points.iter().map(|point| point.1), &[0.0]);
    svg(180, |root| {
        let mut chart = chart(root, canvas.axis, y, y_title, false, YAxisSide::Left)?;
        state_bands(&mut chart, canvas, y)?;
        let (x0, x1) = canvas.axis.range();
        chart.draw_series(std::iter::once(PathElement::new([(x0, 0.0), (x1, 0.0)], ZERO.color())))?;
        draw_line(&mut chart, canvas.axis, y, points, ink)
    })
}

fn signals(canvas: &Canvas<'_>) -> Result<Drawn, DrawError> {
    let Canvas { series, axis, .. } = *canvas;
    let toxicity: Vec<(f64, f64)> = series.samples.iter().map(|s| (axis.x(s.time), s.toxicity)).collect();
    let volatility: Vec<(f64, f64)> =
        series.samples.iter().map(|s| (axis.x(s.time), s.volatility_bps)).collect();
    let toxicity_axis = ValueAxis::fixed(0.0, 1.0);
    let volatility_axis = ValueAxis::around(volatility.iter().map(|point| point.1), &[0.0]);
    let svg = svg(200, |root| {
        let mut main = chart(root, axis, toxicity_axis, "toxicity τ", false, YAxisSide::Left)?;
        state_bands(&mut main, canvas, toxicity_axis)?;
        draw_line(&mut main, axis, toxicity_axis, &toxicity, TOXICITY)?;
        let mut overlay = chart(root, axis, volatility_axis, "volatility, bps/√s", false, YAxisSide::Right)?;
        draw_line(&mut overlay, axis, volatility_axis, &volatility, VOLATILITY)?;
        Ok(())
    })?;
    Ok((
        svg,
        vec![
            entry(Swatch::Line(TOXICITY), "toxicity τ (left axis, 0–1)"),
            entry(Swatch::Line(VOLATILITY), "volatility, bps/√s (right axis)"),
        ],
    ))
}

fn risk_state(canvas: &Canvas<'_>) -> Result<Drawn, DrawError> {
    let Canvas { series, axis, .. } = *canvas;
    let score: Vec<(f64, f64)> = series.samples.iter().map(|s| (axis.x(s.time), s.cascade_score)).collect();
    let y = ValueAxis::fixed(0.0, 1.0);
    let svg = svg(170, |root| {
        let mut chart = chart(root, axis, y, "cascade score", true, YAxisSide::Left)?;
        let bands = state_bands(&mut chart, canvas, y)?;
        // Name each band wide enough to hold its name, just under the regime strip.
        let (x0, x1) = axis.range();
        let per_column = (x1 - x0) / COLUMNS as f64;
        let labels =
            bands.iter().filter(|band| band.2 >= 8 * band.0.name().len()).map(|&(state, start, width)| {
                let centre = x0 + (start as f64 + width as f64 / 2.0) * per_column;
                Text::new(
                    state.name(),
                    (centre, 0.9),
                    (FONT, 11).into_font().color(&MID.color()).pos(centred()),
                )
            });
        chart.draw_series(labels)?;
        regime_strip(&mut chart, canvas, y)?;
        draw_line(&mut chart, axis, y, &score, SCORE)
    })?;
    let mut legend = state_legend();
    legend.push(entry(Swatch::Line(SCORE), "cascade score (0–1)"));
    legend.extend(regime_legend());
    Ok((svg, legend))
}

fn centred() -> Pos {
    Pos::new(HPos::Center, VPos::Center)
}

fn state_legend() -> Vec<LegendEntry> {
    [CascadeState::Warning, CascadeState::Cascade, CascadeState::Cooldown]
        .into_iter()
        .filter_map(|state| Some(entry(Swatch::Band(state_ink(state)?), state.name())))
        .collect()
}

fn regime_legend() -> Vec<LegendEntry> {
    [Regime::Stressed, Regime::Cascade]
        .into_iter()
        .filter_map(|regime| {
            Some(entry(Swatch::Band(regime_ink(regime)?), &format!("{} regime (top strip)", regime.name())))
        })
        .collect()
}

fn line_style(ink: Ink) -> ShapeStyle {
    ShapeStyle { color: ink.color(), filled: false, stroke_width: 1 }
}

/// Draws a line of `points` (x order, non-finite y = gap), thinned to the plot's columns and
/// clamped into `y`; an isolated point becomes a dot.
fn draw_line(
    chart: &mut Chart<'_, '_>,
    axis: &TimeAxis,
    y: ValueAxis,
    points: &[(f64, f64)],
    ink: Ink,
) -> Result<(), DrawError> {
    let thinned = downsample::min_max(points, axis.range(), COLUMNS);
    for run in downsample::segments(&thinned) {
        let clamped = run.iter().map(|&(x, value)| (x, y.clamp(value)));
        if run.len() == 1 {
            chart.draw_series(clamped.map(|point| Circle::new(point, 1, ink.color().filled())))?;
        } else {
            chart.draw_series(std::iter::once(PathElement::new(
                clamped.collect::<Vec<_>>(),
                line_style(ink),
            )))?;
        }
    }
    Ok(())
}

/// Shades the non-NORMAL risk states over the full height of the plot, one rectangle per run
/// of equal column states; returns the bands drawn as (state, first column, width in columns).
fn state_bands(
    chart: &mut Chart<'_, '_>,
    canvas: &Canvas<'_>,
    y: ValueAxis,
) -> Result<Vec<(CascadeState, usize, usize)>, DrawError> {
    let axis = canvas.axis;
    let columns = column_states(canvas.runs, |time| axis.x_ns(time), axis.range(), COLUMNS);
    let mut bands = Vec::new();
    let mut start = 0;
    for index in 1..=columns.len() {
        if index == columns.len() || columns[index] != columns[start] {
            if columns[start] != CascadeState::Normal {
                bands.push((columns[start], start, index - start));
            }
            start = index;
        }
    }
    let (x0, x1) = axis.range();
    let per_column = (x1 - x0) / COLUMNS as f64;
    chart.draw_series(bands.iter().filter_map(|&(state, first, width)| {
        let ink = state_ink(state)?;
        let left = x0 + first as f64 * per_column;
        let right = (x0 + (first + width) as f64 * per_column).min(x1);
        Some(Rectangle::new([(left, y.low), (right, y.high)], ink.color().filled()))
    }))?;
    Ok(bands)
}

/// Marks the non-calm regime windows as a strip along the top of the plot.
fn regime_strip(chart: &mut Chart<'_, '_>, canvas: &Canvas<'_>, y: ValueAxis) -> Result<(), DrawError> {
    let (x0, x1) = canvas.axis.range();
    let bottom = y.high - (y.high - y.low) * REGIME_STRIP;
    chart.draw_series(canvas.series.regimes.iter().filter_map(|span| {
        let ink = regime_ink(span.regime)?;
        let left = canvas.axis.x(span.start).clamp(x0, x1);
        let right = canvas.axis.x(span.end).clamp(x0, x1);
        (right > left).then(|| Rectangle::new([(left, bottom), (right, y.high)], ink.color().filled()))
    }))?;
    Ok(())
}

/// Draws fills as triangles at their prices, thinned to the lowest and highest fill of each
/// side in each pixel column.
fn fill_markers(chart: &mut Chart<'_, '_>, canvas: &Canvas<'_>, y: ValueAxis) -> Result<(), DrawError> {
    let axis = canvas.axis;
    let (x0, x1) = axis.range();
    let width = x1 - x0;
    let mut kept: Vec<[Extremes; 2]> = vec![[None, None]; COLUMNS];
    for fill in canvas.series.fills.iter().filter(|fill| fill.price.is_finite()) {
        let x = axis.x(fill.time);
        let column = (((x - x0) / width * COLUMNS as f64).floor().max(0.0) as usize).min(COLUMNS - 1);
        let slot = &mut kept[column][fill.side as usize];
        let point = (x, fill.price);
        *slot = Some(match *slot {
            None => (point, point),
            Some((low, high)) => {
                (if point.1 < low.1 { point } else { low }, if point.1 > high.1 { point } else { high })
            }
        });
    }
    let mut markers: [Vec<(f64, f64)>; 2] = [Vec::new(), Vec::new()];
    for column in &kept {
        for (side, slot) in column.iter().enumerate() {
            if let Some((low, high)) = *slot {
                markers[side].push(low);
                if high != low {
                    markers[side].push(high);
                }
            }
        }
    }
    let size = 4;
    let up = move |point: (f64, f64)| {
        EmptyElement::at((point.0, y.clamp(point.1)))
            + Polygon::new(
                vec![(0, -size), (-size, size - 1), (size, size - 1)],
                BUY.color().mix(0.8).filled(),
            )
    };
    let down = move |point: (f64, f64)| {
        EmptyElement::at((point.0, y.clamp(point.1)))
            + Polygon::new(
                vec![(0, size), (-size, 1 - size), (size, 1 - size)],
                SELL.color().mix(0.8).filled(),
            )
    };
    chart.draw_series(markers[Side::Bid as usize].iter().map(|&point| up(point)))?;
    chart.draw_series(markers[Side::Ask as usize].iter().map(|&point| down(point)))?;
    Ok(())
}
