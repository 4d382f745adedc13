//! Charts of the columns of a CSV table such as a sweep's `results.csv`
//! (plotters), as SVG or PNG, with 95 % error bars where the table has them.
//!
//! Rows are grouped into series by the `series` columns; each `y` column
//! gives one line per series. Points are sorted by x. Error bars: for a
//! `y` column `M_mean` the columns `M_ci_lo`/`M_ci_hi` are used, for any
//! other `y` column `Y` the columns `Y_ci_lo`/`Y_ci_hi`, if present. An
//! empty cell (a value that was not finite) is skipped. An x column whose
//! cells are not all numbers is drawn as categories, in order of first
//! appearance, each series a marker beside the others in the category
//! (grouped points, no connecting lines).
//!
//! Readable in print: the title and axis labels come from the columns'
//! meaning ([`crate::labels`]) unless given; a legend entry names its series
//! columns (`scheduler = dftsp`); the legend sits outside the plotting area
//! (right of it) by default; line `i` differs from the others by colour,
//! marker and dash pattern (each cycling through its own list), so lines
//! that coincide stay visible. A series with two rows at one x (a missing
//! `--series` column would draw a zig-zag), a line without any point, and
//! a table without rows are errors that say so.
//!
//! Output: SVG (text as `<text>` elements) or PNG (plotters' bitmap
//! backend, encoded by the `png` crate). Text is laid out, and in PNG
//! drawn, with the DejaVu Sans font compiled into the program
//! (`tools/assets/fonts/`, Bitstream Vera licence beside it): no system
//! font is needed, and the same chart gives the same bytes on any machine.
//! Nothing here can hang: an axis range that cannot be drawn is refused.

use std::collections::BTreeMap;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use crate::failure::bad_input;
use crate::labels::describe;
use crate::sweep_grid::column_name;
use crate::table::Table;

/// The font charts are drawn with (DejaVu Sans 2.37, Bitstream Vera licence:
/// `tools/assets/fonts/DejaVuSans-LICENSE.txt`).
const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// Registers [`FONT`] as plotters' `sans-serif` (once per process).
fn register_font() -> anyhow::Result<()> {
    static ONCE: Once = Once::new();
    let mut result = Ok(());
    ONCE.call_once(|| {
        result = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .map_err(|_| anyhow::anyhow!("the built-in font does not load"));
    });
    result
}

/// The output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// SVG text.
    Svg,
    /// PNG image (8-bit RGB).
    Png,
}

/// What to draw and how.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartSpec {
    /// Column for the x axis.
    pub x: String,
    /// Take x from the number after `FIELD:` in the x cells.
    pub x_field: Option<String>,
    /// Column(s) for the y axis.
    pub y: Vec<String>,
    /// Column(s) whose values split the rows into series.
    pub series: Vec<String>,
    /// When not empty: lines whose legend label contains one of these are
    /// drawn dotted, the others solid (instead of cycling dash patterns).
    pub dotted: Vec<String>,
    /// Chart title (default: from the columns' meaning, `Y vs X`).
    pub title: Option<String>,
    /// x-axis label (default: the x column's meaning and unit).
    pub x_label: Option<String>,
    /// y-axis label (default: the y columns' meaning and unit).
    pub y_label: Option<String>,
    /// Where the legend goes.
    pub legend: Legend,
    /// Width × height, pixels.
    pub size: (u32, u32),
    /// Logarithmic x axis (base 10).
    pub log_x: bool,
    /// Logarithmic y axis (base 10).
    pub log_y: bool,
    /// SVG or PNG.
    pub format: Format,
}

/// Where the legend goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Legend {
    /// Outside the plotting area, right of it (the default).
    Right,
    /// No legend.
    None,
    /// Upper left corner, inside.
    UpperLeft,
    /// Upper right corner, inside.
    UpperRight,
    /// Lower left corner, inside.
    LowerLeft,
    /// Lower right corner, inside.
    LowerRight,
}

/// One point of a line: x, y and the optional 95 % interval `(lo, hi)` of y.
pub type Point = (f64, f64, Option<(f64, f64)>);

/// One drawn line: its label, points sorted by x.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Legend label.
    pub label: String,
    /// `(x, y, optional (lo, hi))`.
    pub points: Vec<Point>,
    /// Drawn dotted (`ChartSpec::dotted`).
    pub dashed: bool,
}

/// The chart's data, extracted from the table (separate from drawing, for tests).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    /// Lines in legend order.
    pub lines: Vec<Line>,
    /// Category names if the x column is categorical (x = index).
    pub categories: Option<Vec<String>>,
    /// Default title.
    pub title: String,
    /// Default x-axis label.
    pub x_label: String,
    /// Default y-axis label.
    pub y_label: String,
}

/// Column `name` of `t`; a dotted axis path is also found as its
/// `results.csv` name (`arrivals.rate` → `arrivals_rate`).
fn column(t: &Table, name: &str) -> anyhow::Result<usize> {
    t.column(name)
        .or_else(|| t.column(&column_name(name)))
        .ok_or_else(|| {
            bad_input(format!(
                "no column `{name}`; columns: {}",
                t.header.join(", ")
            ))
        })
}

fn cell_num(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The number after `field:` in a RON-like cell (`hi` in `Uniform(lo: 0.5, hi: 1.25)`).
fn field_num(cell: &str, field: &str) -> Option<f64> {
    let mut rest = cell;
    while let Some(i) = rest.find(field) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + field.len()..].trim_start();
        rest = &rest[i + field.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(v) = after.strip_prefix(':') {
            let v = v.trim_start();
            let end = v
                .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
                .unwrap_or(v.len());
            return v[..end].parse::<f64>().ok().filter(|x| x.is_finite());
        }
    }
    None
}

/// The default labels: x axis, y axis, title.
fn default_labels(a: &ChartSpec) -> (String, String, String) {
    let xm = describe(&a.x);
    let x_label = match &a.x_field {
        None => xm.label(),
        Some(f) if xm.unit.is_empty() => format!("{}: {f}", xm.name),
        Some(f) => format!("{}: {f} ({})", xm.name, xm.unit),
    };
    let ys: Vec<_> = a.y.iter().map(|y| describe(y)).collect();
    let mut names: Vec<String> = Vec::new();
    for m in &ys {
        if !names.contains(&m.name) {
            names.push(m.name.clone());
        }
    }
    let units: Vec<&str> = ys.iter().map(|m| m.unit.as_str()).collect();
    let y_label = if units.iter().all(|u| *u == units[0]) && !units[0].is_empty() {
        format!("{} ({})", names.join(", "), units[0])
    } else {
        names.join(", ")
    };
    let title = format!("{} vs {}", names.join(", "), xm.name);
    let mut title_chars = title.chars();
    let title = match title_chars.next() {
        Some(c) => c.to_uppercase().chain(title_chars).collect(),
        None => title,
    };
    (x_label, y_label, title)
}

/// Groups and extracts the lines to draw.
///
/// # Errors
///
/// Bad input: a table without rows; a column that is not in the table; an
/// empty `x_field`, or an x cell without a number after `x_field:`; a line
/// without any row that has numbers in both x and y; a series with two rows
/// at one x (the message names the columns that tell them apart, for `--series`).
pub fn chart_data(t: &Table, a: &ChartSpec) -> anyhow::Result<ChartData> {
    if t.rows.is_empty() {
        return Err(bad_input("the table has no rows: nothing to draw"));
    }
    let xi = column(t, &a.x)?;
    let series: Vec<usize> = a
        .series
        .iter()
        .map(|s| column(t, s))
        .collect::<anyhow::Result<_>>()?;
    let ys: Vec<usize> =
        a.y.iter()
            .map(|y| column(t, y))
            .collect::<anyhow::Result<_>>()?;
    let first_y = ys.iter().copied().min().unwrap_or(0);
    let x_cell = |r: &Vec<String>| -> Option<f64> {
        match &a.x_field {
            None => cell_num(&r[xi]),
            Some(f) => field_num(&r[xi], f),
        }
    };
    if let Some(f) = &a.x_field {
        if f.trim().is_empty() {
            return Err(bad_input(
                "--x-field: empty field name (give the name before `:` in the x cells, e.g. `hi`)",
            ));
        }
        if let Some(r) = t.rows.iter().find(|r| field_num(&r[xi], f).is_none()) {
            return Err(bad_input(format!(
                "--x-field {f}: no number after `{f}:` in `{}`",
                r[xi]
            )));
        }
    }
    let numeric_x = t
        .rows
        .iter()
        .all(|r| r[xi].trim().is_empty() || x_cell(r).is_some());
    let mut categories: Vec<String> = Vec::new();
    if !numeric_x {
        for r in &t.rows {
            if !categories.contains(&r[xi]) {
                categories.push(r[xi].clone());
            }
        }
    }
    let x_of = |r: &Vec<String>| -> Option<f64> {
        if numeric_x {
            x_cell(r)
        } else {
            categories
                .iter()
                .position(|c| c == &r[xi])
                .map(|p| p as f64)
        }
    };
    // Series in order of first appearance (the CSV's grid order).
    let mut groups: Vec<(String, Vec<&Vec<String>>)> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for r in &t.rows {
        let key: Vec<String> = a
            .series
            .iter()
            .zip(&series)
            .map(|(name, &c)| format!("{} = {}", describe(name).name, r[c]))
            .collect();
        let key = key.join(", ");
        let slot = *index.entry(key.clone()).or_insert_with(|| {
            groups.push((key.clone(), Vec::new()));
            groups.len() - 1
        });
        groups[slot].1.push(r);
    }
    let mut lines = Vec::new();
    for (y, &yi) in a.y.iter().zip(&ys) {
        let base = y.strip_suffix("_mean").unwrap_or(y);
        let ci = match (
            t.column(&format!("{base}_ci_lo")),
            t.column(&format!("{base}_ci_hi")),
        ) {
            (Some(lo), Some(hi)) => Some((lo, hi)),
            _ => None,
        };
        for (key, rows) in &groups {
            let y_name = describe(y).name;
            let label = match (key.is_empty(), a.y.len() > 1) {
                (true, _) => y_name,
                (false, true) => format!("{y_name}, {key}"),
                (false, false) => key.clone(),
            };
            let mut pts: Vec<(Point, &Vec<String>)> = rows
                .iter()
                .filter_map(|r| {
                    let x = x_of(r)?;
                    let v = cell_num(&r[yi])?;
                    let band = ci.and_then(|(lo, hi)| Some((cell_num(&r[lo])?, cell_num(&r[hi])?)));
                    Some(((x, v, band), *r))
                })
                .collect();
            let what = if key.is_empty() {
                format!("`{y}`")
            } else {
                format!("`{y}` of the series {key}")
            };
            if pts.is_empty() {
                return Err(bad_input(format!(
                    "{what}: no row has numbers in both `{}` and `{y}`",
                    a.x
                )));
            }
            pts.sort_by(|p, q| p.0 .0.total_cmp(&q.0 .0));
            if let Some(w) = pts.windows(2).find(|w| w[0].0 .0 == w[1].0 .0) {
                let differ: Vec<&str> = t
                    .header
                    .iter()
                    .enumerate()
                    // Parameters come before the measurements in edgesim's tables.
                    .filter(|&(c, _)| c != xi && c < first_y && w[0].1[c] != w[1].1[c])
                    .map(|(_, h)| h.as_str())
                    .filter(|h| {
                        *h != "point"
                            && !["_mean", "_ci_lo", "_ci_hi"].iter().any(|s| h.ends_with(s))
                    })
                    .take(3)
                    .collect();
                let at = if numeric_x {
                    crate::table::num(w[0].0 .0)
                } else {
                    categories[w[0].0 .0 as usize].clone()
                };
                return Err(bad_input(format!(
                    "{what} has several rows at {} = {at}{}: a line through them would zig-zag; \
                     split them into series with --series",
                    a.x,
                    if differ.is_empty() {
                        String::new()
                    } else {
                        format!(" (they differ in {})", differ.join(", "))
                    }
                )));
            }
            let dashed = a.dotted.iter().any(|d| label.contains(d.as_str()));
            lines.push(Line {
                label,
                points: pts.into_iter().map(|(p, _)| p).collect(),
                dashed,
            });
        }
    }
    let (x_label, y_label, title) = default_labels(a);
    Ok(ChartData {
        lines,
        categories: (!numeric_x).then_some(categories),
        title,
        x_label,
        y_label,
    })
}

/// A tick value without float noise: up to 6 significant digits, trailing zeros dropped.
fn tick_label(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let mag = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&mag) {
        return format!("{v:.3e}");
    }
    let decimals = (5 - mag).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

const COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Marker shapes, in the order lines take them: filled and hollow
/// alternate, so a hollow marker drawn over a filled one leaves both visible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Marker {
    Circle,
    HollowSquare,
    Triangle,
    HollowDiamond,
    Cross,
    HollowCircle,
    Square,
    HollowTriangle,
}

const MARKERS: [Marker; 8] = [
    Marker::Circle,
    Marker::HollowSquare,
    Marker::Triangle,
    Marker::HollowDiamond,
    Marker::Cross,
    Marker::HollowCircle,
    Marker::Square,
    Marker::HollowTriangle,
];

/// Dash patterns `(dash, gap)` in pixels, in the order lines take them
/// (`None`: solid).
const DASHES: [Option<(u32, u32)>; 4] = [None, Some((9, 5)), Some((2, 4)), Some((16, 5))];
const DOTTED: (u32, u32) = (2, 4);

/// How line `i` is drawn.
#[derive(Clone, Copy, Debug)]
struct Look {
    color: RGBColor,
    marker: Marker,
    dash: Option<(u32, u32)>,
}

fn look(i: usize, line: &Line, any_dotted: bool) -> Look {
    let dash = if any_dotted {
        line.dashed.then_some(DOTTED)
    } else {
        DASHES[i % DASHES.len()]
    };
    Look {
        color: COLORS[i % COLORS.len()],
        marker: MARKERS[i % MARKERS.len()],
        dash,
    }
}

fn draw_err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing: {e}")
}

/// Draws `marker` at `at` (any coordinate system) on `area`.
fn draw_marker<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    at: CT::From,
    marker: Marker,
    color: RGBColor,
) -> anyhow::Result<()> {
    let fill = color.filled();
    let line = color.stroke_width(2);
    let r = 4;
    let e = EmptyElement::at(at);
    match marker {
        Marker::Circle => area.draw(&(e + Circle::new((0, 0), r, fill))),
        Marker::HollowCircle => area.draw(&(e + Circle::new((0, 0), r + 1, line))),
        Marker::Square => area.draw(&(e + Rectangle::new([(-r, -r), (r, r)], fill))),
        Marker::HollowSquare => {
            area.draw(&(e + Rectangle::new([(-r - 1, -r - 1), (r + 1, r + 1)], line)))
        }
        Marker::Triangle => {
            area.draw(&(e + Polygon::new(vec![(0, -r - 1), (r + 1, r), (-r - 1, r)], fill)))
        }
        Marker::HollowTriangle => area.draw(
            &(e + PathElement::new(
                vec![(0, -r - 2), (r + 2, r + 1), (-r - 2, r + 1), (0, -r - 2)],
                line,
            )),
        ),
        Marker::HollowDiamond => area.draw(
            &(e + PathElement::new(
                vec![
                    (0, -r - 2),
                    (r + 2, 0),
                    (0, r + 2),
                    (-r - 2, 0),
                    (0, -r - 2),
                ],
                line,
            )),
        ),
        Marker::Cross => area.draw(
            &(e + PathElement::new(vec![(-r, -r), (r, r)], line)
                + PathElement::new(vec![(-r, r), (r, -r)], line)),
        ),
    }
    .map_err(draw_err)
}

/// Pixel offsets.
type Pixels = Vec<(i32, i32)>;

/// A marker's shape around (0, 0) in pixels, for plotters' own (inside)
/// legend: the polygon to fill (filled markers) and the outline to stroke
/// (hollow ones, the cross), `r` its half size. A circle is a 16-gon.
fn marker_shape(marker: Marker, r: i32) -> (Pixels, Pixels) {
    let circle = |r: i32| -> Vec<(i32, i32)> {
        (0..=16)
            .map(|i| {
                let a = f64::from(i) * std::f64::consts::PI / 8.0;
                (
                    (f64::from(r) * a.cos()).round() as i32,
                    (f64::from(r) * a.sin()).round() as i32,
                )
            })
            .collect()
    };
    let square = |r: i32| vec![(-r, -r), (r, -r), (r, r), (-r, r), (-r, -r)];
    let triangle = |r: i32| vec![(0, -r - 1), (r + 1, r), (-r - 1, r), (0, -r - 1)];
    let diamond = |r: i32| vec![(0, -r), (r, 0), (0, r), (-r, 0), (0, -r)];
    match marker {
        Marker::Circle => (circle(r), vec![]),
        Marker::HollowCircle => (vec![], circle(r + 1)),
        Marker::Square => (square(r), vec![]),
        Marker::HollowSquare => (vec![], square(r + 1)),
        Marker::Triangle => (triangle(r), vec![]),
        Marker::HollowTriangle => (vec![], triangle(r + 1)),
        Marker::HollowDiamond => (vec![], diamond(r + 2)),
        Marker::Cross => (vec![], vec![(-r, -r), (r, r), (0, 0), (-r, r), (r, -r)]),
    }
}

fn padded_range(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    let pad = if span > 0.0 {
        0.05 * span
    } else {
        0.5 * lo.abs().max(1.0)
    };
    (lo - pad, hi + pad)
}

/// The chart with every x (`log_x`) and y (`log_y`, error-bar ends
/// included) replaced by its `log10`; a value ≤ 0 is an error, an error bar
/// reaching 0 or below is dropped.
fn log10_data(data: &ChartData, log_x: bool, log_y: bool) -> anyhow::Result<ChartData> {
    let mut d = data.clone();
    for l in &mut d.lines {
        for p in &mut l.points {
            if log_x {
                if p.0 <= 0.0 {
                    return Err(bad_input(format!(
                        "--log-x: `{}` has the x value {} ≤ 0",
                        l.label, p.0
                    )));
                }
                p.0 = p.0.log10();
            }
            if log_y {
                if p.1 <= 0.0 {
                    return Err(bad_input(format!(
                        "--log-y: `{}` has the value {} ≤ 0 at x = {}",
                        l.label, p.1, p.0
                    )));
                }
                p.1 = p.1.log10();
                p.2 =
                    p.2.filter(|b| b.0 > 0.0)
                        .map(|b| (b.0.log10(), b.1.log10()));
            }
        }
    }
    Ok(d)
}

/// The ranges of the axes `(x0, x1, y0, y1)` (in log10 for a log axis:
/// whole decades).
fn ranges(data: &ChartData, a: &ChartSpec) -> anyhow::Result<(f64, f64, f64, f64)> {
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y, ci) in data.lines.iter().flat_map(|l| l.points.iter()) {
        x0 = x0.min(x);
        x1 = x1.max(x);
        let (lo, hi) = ci.unwrap_or((y, y));
        y0 = y0.min(y.min(lo));
        y1 = y1.max(y.max(hi));
    }
    let decades = |lo: f64, hi: f64| (lo.floor(), hi.ceil().max(lo.floor() + 1.0));
    let (x0, x1) = if data.categories.is_some() {
        (-0.5, x1 + 0.5)
    } else if a.log_x {
        decades(x0, x1)
    } else {
        padded_range(x0, x1)
    };
    // Non-negative data (throughputs, latencies) get an axis from 0.
    let (y0, y1) = if a.log_y {
        decades(y0, y1)
    } else if y0 >= 0.0 && y1 > 0.0 {
        (0.0, padded_range(y0, y1).1)
    } else {
        padded_range(y0, y1)
    };
    // An axis whose padded range overflows (values near ±f64::MAX) cannot be
    // drawn: plotters would loop forever looking for its ticks.
    for (axis, lo, hi) in [("x", x0, x1), ("y", y0, y1)] {
        if !(lo.is_finite() && hi.is_finite() && (hi - lo).is_finite() && hi > lo) {
            return Err(bad_input(format!(
                "the {axis} values are too large to draw: the {axis} axis would span [{lo}, {hi}]"
            )));
        }
    }
    Ok((x0, x1, y0, y1))
}

/// A log axis' tick label: the value a whole decade stands for, nothing between.
fn decade_label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        tick_label(10f64.powf(v.round()))
    } else {
        String::new()
    }
}

/// The width in pixels the legend needs right of the plot.
fn legend_width(data: &ChartData, size: (u32, u32)) -> u32 {
    let font: FontDesc = (FAMILY, 15).into();
    let widest = data
        .lines
        .iter()
        .map(|l| {
            font.box_size(&l.label)
                .map_or(8 * l.label.len() as u32, |b| b.0)
        })
        .max()
        .unwrap_or(0);
    (widest + 60).min(size.0 / 2)
}

/// Draws the legend in `area` (pixel coordinates), one entry per line from the top.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &ChartData,
    looks: &[Look],
    connect: bool,
    markers: bool,
) -> anyhow::Result<()> {
    let font = (FAMILY, 15).into_font().color(&BLACK);
    for (i, (line, lk)) in data.lines.iter().zip(looks).enumerate() {
        let y = 20 + 24 * i as i32;
        let style = lk.color.stroke_width(2);
        if connect {
            let pts = vec![(6, y), (40, y)];
            match lk.dash {
                None => area.draw(&PathElement::new(pts, style)),
                Some((d, g)) => area.draw(&DashedPathElement::new(pts, d, g, style)),
            }
            .map_err(draw_err)?;
        }
        if markers {
            draw_marker(area, (23, y), lk.marker, lk.color)?;
        }
        area.draw(&Text::new(
            line.label.clone(),
            (48, y),
            font.pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Left,
                plotters::style::text_anchor::VPos::Center,
            )),
        ))
        .map_err(draw_err)?;
    }
    Ok(())
}

/// Draws the chart (`data` already in log10 where an axis is logarithmic)
/// on `root`.
fn draw<'c, DB: DrawingBackend + 'c>(
    root: &'c DrawingArea<DB, Shift>,
    data: &ChartData,
    a: &ChartSpec,
    (x0, x1, y0, y1): (f64, f64, f64, f64),
) -> anyhow::Result<()> {
    root.fill(&WHITE).map_err(draw_err)?;
    let title = a.title.clone().unwrap_or_else(|| data.title.clone());
    let x_label = a.x_label.clone().unwrap_or_else(|| data.x_label.clone());
    let y_label = a.y_label.clone().unwrap_or_else(|| data.y_label.clone());
    let body = root
        .titled(&title, (FAMILY, 22).into_font().color(&BLACK))
        .map_err(draw_err)?;
    let (plot_area, legend_area) = if a.legend == Legend::Right {
        let w = body.dim_in_pixel().0;
        let (p, l) = body.split_horizontally(w.saturating_sub(legend_width(data, a.size)));
        (p, Some(l))
    } else {
        (body, None)
    };
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(75)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(draw_err)?;
    let cats = data.categories.clone();
    let log_x = a.log_x;
    let fmt_x = move |v: &f64| -> String {
        match &cats {
            None if log_x => decade_label(*v),
            None => tick_label(*v),
            Some(c) => {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < c.len() {
                    c[i as usize].clone()
                } else {
                    String::new()
                }
            }
        }
    };
    let fmt_y = |v: &f64| -> String {
        if a.log_y {
            decade_label(*v)
        } else {
            tick_label(*v)
        }
    };
    let n_x_labels = match (&data.categories, a.log_x) {
        (Some(c), _) => (c.len() * 4).max(2),
        (None, true) => (x1 - x0) as usize + 1,
        (None, false) => 10,
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_label)
        .y_desc(y_label)
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 16))
        .x_labels(n_x_labels)
        .x_label_formatter(&fmt_x)
        .y_label_formatter(&fmt_y);
    if a.log_y {
        mesh.y_labels((y1 - y0) as usize + 1);
    }
    mesh.draw().map_err(draw_err)?;
    let any_dotted = !a.dotted.is_empty();
    let looks: Vec<Look> = data
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| look(i, l, any_dotted))
        .collect();
    // Categories: the lines' markers side by side within each category.
    let n = data.lines.len() as f64;
    let step = if data.categories.is_some() {
        (0.8 / n).min(0.15)
    } else {
        0.0
    };
    let many = data.lines.iter().map(|l| l.points.len()).max().unwrap_or(0) > 60;
    for (i, (line, lk)) in data.lines.iter().zip(&looks).enumerate() {
        let dx = (i as f64 - (n - 1.0) / 2.0) * step;
        let pts: Vec<(f64, f64)> = line.points.iter().map(|p| (p.0 + dx, p.1)).collect();
        let style = lk.color.stroke_width(2);
        if data.categories.is_none() {
            match lk.dash {
                None => chart.draw_series(LineSeries::new(pts.clone(), style)),
                Some((d, g)) => chart.draw_series(DashedLineSeries::new(pts.clone(), d, g, style)),
            }
            .map_err(draw_err)?;
        }
        chart
            .draw_series(line.points.iter().filter_map(|&(x, y, ci)| {
                ci.map(|(lo, hi)| {
                    ErrorBar::new_vertical(x + dx, lo, y, hi, lk.color.stroke_width(1), 8)
                })
            }))
            .map_err(draw_err)?;
        // Long lines (a run over time) are drawn without markers.
        if !many || data.categories.is_some() {
            for &p in &pts {
                draw_marker(chart.plotting_area(), p, lk.marker, lk.color)?;
            }
        }
    }
    match (a.legend, legend_area) {
        (Legend::None, _) => {}
        (Legend::Right, Some(area)) => draw_legend(
            &area,
            data,
            &looks,
            data.categories.is_none(),
            !many || data.categories.is_some(),
        )?,
        (inside, _) => {
            let pos = match inside {
                Legend::UpperLeft => SeriesLabelPosition::UpperLeft,
                Legend::UpperRight => SeriesLabelPosition::UpperRight,
                Legend::LowerLeft => SeriesLabelPosition::LowerLeft,
                _ => SeriesLabelPosition::LowerRight,
            };
            for (line, lk) in data.lines.iter().zip(&looks) {
                let lk = *lk;
                let connect = data.categories.is_none();
                chart
                    .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                    .map_err(draw_err)?
                    .label(line.label.clone())
                    .legend(move |(x, y)| {
                        let line = lk.color.stroke_width(2);
                        let pts: Vec<(i32, i32)> = if connect {
                            vec![(0, 0), (20, 0)]
                        } else {
                            vec![]
                        };
                        let (dash, gap) = lk.dash.unwrap_or((20, 0));
                        let (fill, outline) = marker_shape(lk.marker, 4);
                        let shift = |v: Vec<(i32, i32)>| -> Vec<(i32, i32)> {
                            v.into_iter().map(|(px, py)| (px + 10, py)).collect()
                        };
                        EmptyElement::at((x, y))
                            + DashedPathElement::new(pts, dash, gap, line)
                            + Polygon::new(shift(fill), lk.color.filled())
                            + PathElement::new(shift(outline), line)
                    });
            }
            chart
                .configure_series_labels()
                .label_font((FAMILY, 15))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(pos)
                .draw()
                .map_err(draw_err)?;
        }
    }
    Ok(())
}

/// The chart as SVG text or PNG bytes (`a.format`).
///
/// # Errors
///
/// Bad input: with `log_x`/`log_y`, a value ≤ 0; an axis range that
/// overflows (values near ±`f64::MAX`). Another failure if plotters cannot
/// draw or the PNG cannot be encoded.
pub fn render(data: &ChartData, a: &ChartSpec) -> anyhow::Result<Vec<u8>> {
    render_panels(&[(data.clone(), a.clone())], a.size, a.format)
}

type Prepared<'a> = (ChartData, &'a ChartSpec, (f64, f64, f64, f64));

fn draw_all<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    prepared: &[Prepared<'_>],
) -> anyhow::Result<()> {
    let areas = root.split_evenly((prepared.len(), 1));
    for (area, (data, a, r)) in areas.iter().zip(prepared) {
        draw(area, data, a, *r)?;
    }
    root.present().map_err(draw_err)
}

/// Several charts stacked top to bottom in one image of `size` pixels (each
/// panel's own `size` and `format` are not used), as SVG text or PNG bytes.
///
/// # Errors
///
/// Those of [`render`], for any panel; bad input for no panel.
pub fn render_panels(
    panels: &[(ChartData, ChartSpec)],
    size: (u32, u32),
    format: Format,
) -> anyhow::Result<Vec<u8>> {
    if panels.is_empty() {
        return Err(bad_input("nothing to draw"));
    }
    register_font()?;
    let mut prepared = Vec::with_capacity(panels.len());
    for (data, a) in panels {
        let data = if a.log_x || a.log_y {
            log10_data(data, a.log_x && data.categories.is_none(), a.log_y)?
        } else {
            data.clone()
        };
        let r = ranges(&data, a)?;
        prepared.push((data, a, r));
    }
    match format {
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                draw_all(&root, &prepared)?;
            }
            Ok(svg.into_bytes())
        }
        Format::Png => {
            let (w, h) = size;
            let mut rgb = vec![0u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
                draw_all(&root, &prepared)?;
            }
            let mut out = Vec::new();
            {
                let mut enc = png::Encoder::new(&mut out, w, h);
                enc.set_color(png::ColorType::Rgb);
                enc.set_depth(png::BitDepth::Eight);
                let mut writer = enc
                    .write_header()
                    .map_err(|e| anyhow::anyhow!("PNG: {e}"))?;
                writer
                    .write_image_data(&rgb)
                    .map_err(|e| anyhow::anyhow!("PNG: {e}"))?;
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(x: &str, y: &[&str], series: &[&str]) -> ChartSpec {
        ChartSpec {
            x: x.into(),
            x_field: None,
            y: y.iter().map(|s| s.to_string()).collect(),
            series: series.iter().map(|s| s.to_string()).collect(),
            dotted: vec!["W8A16".into()],
            title: Some("r.csv".into()),
            x_label: None,
            y_label: None,
            legend: Legend::Right,
            size: (640, 400),
            log_x: false,
            log_y: false,
            format: Format::Svg,
        }
    }

    const CSV: &str = "quant,rate,tp_mean,tp_ci_lo,tp_ci_hi\n\
        W8A16,50,10,9,11\nGPTQ,50,12,11,13\nW8A16,5,2,,\nGPTQ,5,3,2.5,3.5\n";

    #[test]
    fn groups_sorts_and_finds_error_bars() {
        let t = Table::parse(CSV).unwrap();
        let d = chart_data(&t, &args("rate", &["tp_mean"], &["quant"])).unwrap();
        assert_eq!(d.categories, None);
        assert_eq!(d.lines.len(), 2);
        assert_eq!(d.lines[0].label, "quantization = W8A16");
        assert!(d.lines[0].dashed && !d.lines[1].dashed);
        assert_eq!(
            d.lines[0].points,
            vec![(5.0, 2.0, None), (50.0, 10.0, Some((9.0, 11.0)))]
        );
        assert_eq!(d.lines[1].points[0], (5.0, 3.0, Some((2.5, 3.5))));
        let e = chart_data(&t, &args("nope", &["tp_mean"], &[])).unwrap_err();
        assert!(e.to_string().contains("no column `nope`"), "{e}");
    }

    #[test]
    fn refuses_what_it_cannot_draw_instead_of_hanging() {
        // y up to f64::MAX: the padded axis overflows.
        let t = Table::parse("x,y\n1,1\n2,1.79e308\n").unwrap();
        let a = args("x", &["y"], &[]);
        let e = render(&chart_data(&t, &a).unwrap(), &a).unwrap_err();
        assert_eq!(crate::failure::exit_code(&e), 2);
        assert!(e.to_string().contains("too large"), "{e}");
        // x from −MAX to MAX: the span overflows.
        let t = Table::parse("x,y\n-1.7e308,1\n1.7e308,2\n").unwrap();
        assert!(render(&chart_data(&t, &a).unwrap(), &a).is_err());
        // Large but drawable values still give a chart.
        let t = Table::parse("x,y\n1,1.7e308\n2,1.79e308\n").unwrap();
        assert!(render(&chart_data(&t, &a).unwrap(), &a).is_ok());
        // An empty --x-field is refused, not searched for.
        let t = Table::parse("x,y\n\"Uniform(lo: 1, hi: 2)\",1\n").unwrap();
        let mut a = args("x", &["y"], &[]);
        for f in ["", " "] {
            a.x_field = Some(f.into());
            let e = chart_data(&t, &a).unwrap_err();
            assert_eq!(crate::failure::exit_code(&e), 2, "{e}");
        }
    }

    #[test]
    fn a_zig_zag_an_empty_line_or_table_is_an_error() {
        // Two rows of one series at x = 50: a --series column is missing.
        let t = Table::parse(CSV).unwrap();
        let e = chart_data(&t, &args("rate", &["tp_mean"], &[])).unwrap_err();
        assert_eq!(crate::failure::exit_code(&e), 2);
        let m = e.to_string();
        assert!(
            m.contains("several rows at rate = 5 ") && m.contains("differ in quant"),
            "{m}"
        );
        // A series whose y cells are all empty.
        let t = Table::parse("s,x,y\na,1,2\nb,1,\n").unwrap();
        let e = chart_data(&t, &args("x", &["y"], &["s"])).unwrap_err();
        assert!(e.to_string().contains("series s = b"), "{e}");
        let t = Table::parse("x,y\n").unwrap();
        let e = chart_data(&t, &args("x", &["y"], &[])).unwrap_err();
        assert!(e.to_string().contains("no rows"), "{e}");
    }

    #[test]
    fn labels_from_meaning_and_a_dotted_axis_name() {
        let t = Table::parse("arrivals_rate,throughput_per_epoch_mean\n5,1\n50,3\n").unwrap();
        let mut a = args("arrivals.rate", &["throughput_per_epoch_mean"], &[]);
        a.title = None;
        let d = chart_data(&t, &a).unwrap();
        assert_eq!(d.x_label, "arrival rate λ (req/s)");
        assert_eq!(d.y_label, "throughput (req/epoch)");
        assert_eq!(d.title, "Throughput vs arrival rate λ");
    }

    #[test]
    fn log_x_refuses_non_positive_and_png_is_a_png() {
        let t = Table::parse("x,y\n0,1\n2,3\n").unwrap();
        let mut a = args("x", &["y"], &[]);
        a.log_x = true;
        let e = render(&chart_data(&t, &a).unwrap(), &a).unwrap_err();
        assert!(e.to_string().contains("--log-x"), "{e}");
        let t = Table::parse("x,y\n1,1\n2000,3\n").unwrap();
        a.format = Format::Png;
        let png = render(&chart_data(&t, &a).unwrap(), &a).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }

    #[test]
    fn tick_labels_drop_float_noise() {
        assert_eq!(tick_label(1.2000000000000002), "1.2");
        assert_eq!(tick_label(250.0), "250");
        assert_eq!(tick_label(0.75), "0.75");
        assert_eq!(tick_label(0.0), "0");
        assert_eq!(tick_label(-12.5), "-12.5");
        assert_eq!(tick_label(2.5e9), "2.500e9");
    }

    #[test]
    fn x_from_a_field_of_the_cell() {
        assert_eq!(field_num("Uniform(lo: 0.5, hi: 1.25)", "hi"), Some(1.25));
        assert_eq!(field_num("Uniform(lo: 0.5, hi: 1.25)", "lo"), Some(0.5));
        assert_eq!(field_num("Uniform(xhi: 3, hi: 2e-1)", "hi"), Some(0.2));
        assert_eq!(field_num("Uniform(lo: 0.5)", "hi"), None);
        let t = Table::parse(
            "requests.latency,tp_mean\n\"Uniform(lo: 0.5, hi: 2.0)\",3\n\"Uniform(lo: 0.5, hi: 0.75)\",1\n",
        )
        .unwrap();
        let mut a = args("requests.latency", &["tp_mean"], &[]);
        a.x_field = Some("hi".into());
        let d = chart_data(&t, &a).unwrap();
        assert_eq!(d.categories, None);
        assert_eq!(d.lines[0].points, vec![(0.75, 1.0, None), (2.0, 3.0, None)]);
        a.x_field = Some("mid".into());
        assert!(chart_data(&t, &a).is_err());
    }

    #[test]
    fn log_y_labels_decades_and_refuses_non_positive() {
        // y = 0.02 and 3 → log10 in [−1.70, 0.48]: axis from 10^−2 to 10^1.
        let t = Table::parse("x,y\n1,0.02\n2,3\n").unwrap();
        let mut a = args("x", &["y"], &[]);
        a.log_y = true;
        let d = chart_data(&t, &a).unwrap();
        let svg = String::from_utf8(render(&d, &a).unwrap()).unwrap();
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim()))
            .collect();
        for s in ["0.01", "0.1", "1", "10"] {
            assert!(texts.contains(&s), "missing {s} in {texts:?}");
        }
        let t = Table::parse("x,y\n1,0\n2,3\n").unwrap();
        let e = render(&chart_data(&t, &a).unwrap(), &a).unwrap_err();
        assert_eq!(crate::failure::exit_code(&e), 2);
        assert!(e.to_string().contains("--log-y"), "{e}");
    }

    #[test]
    fn renders_svg_with_text_elements() {
        let t = Table::parse(CSV).unwrap();
        let a = args("quant", &["tp_mean"], &["rate"]);
        let d = chart_data(&t, &a).unwrap();
        assert_eq!(d.categories, Some(vec!["W8A16".into(), "GPTQ".into()]));
        let svg = String::from_utf8(render(&d, &a).unwrap()).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..50]);
        // The contents of the <text> elements.
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim()))
            .collect();
        // Title, axis labels (meaning: `quant` is the quantization), both
        // category tick labels and the legend are SVG text.
        for s in [
            "r.csv",
            "quantization",
            "W8A16",
            "GPTQ",
            "tp",
            "arrival rate λ = 50",
        ] {
            assert!(texts.contains(&s), "missing {s} in {texts:?}");
        }
    }
}
