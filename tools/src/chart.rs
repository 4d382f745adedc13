//! Line charts (SVG, plotters) of the columns of a CSV table such as a
//! sweep's `results.csv`, with 95 % error bars where the table has them.
//!
//! Rows are grouped into series by the `series` columns; each `y` column
//! gives one line per series. Points are sorted by x. Error bars: for a
//! `y` column `M_mean` the columns `M_ci_lo`/`M_ci_hi` are used, for any
//! other `y` column `Y` the columns `Y_ci_lo`/`Y_ci_hi`, if present. An
//! empty cell (a value that was not finite) is skipped. An x column whose
//! cells are not all numbers is drawn as categories, in order of first
//! appearance. Series whose legend label contains a `dotted` text are drawn
//! dashed (the paper's Fig. 6(b) draws W8A16 dotted).
//!
//! Text is written as SVG `<text>` elements; the SVG backend needs no font
//! files (plotters only estimates the text's size for layout). Nothing here
//! can hang: an axis range that cannot be drawn is refused.

use std::collections::BTreeMap;

use plotters::prelude::*;

use crate::failure::bad_input;
use crate::table::Table;

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
    /// Lines whose legend label contains one of these are drawn dashed.
    pub dotted: Vec<String>,
    /// Chart title.
    pub title: String,
    /// x-axis label (default: the x column).
    pub x_label: Option<String>,
    /// y-axis label (default: the y column(s)).
    pub y_label: Option<String>,
    /// Where the legend goes.
    pub legend: Legend,
    /// Width × height, pixels.
    pub size: (u32, u32),
    /// Logarithmic y axis (base 10).
    pub log_y: bool,
}

/// Legend position inside the plotting area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Legend {
    /// Upper left corner.
    UpperLeft,
    /// Upper right corner.
    UpperRight,
    /// Lower left corner.
    LowerLeft,
    /// Lower right corner.
    LowerRight,
    /// Middle of the right side.
    MiddleRight,
}

impl From<Legend> for SeriesLabelPosition {
    fn from(p: Legend) -> SeriesLabelPosition {
        match p {
            Legend::UpperLeft => SeriesLabelPosition::UpperLeft,
            Legend::UpperRight => SeriesLabelPosition::UpperRight,
            Legend::LowerLeft => SeriesLabelPosition::LowerLeft,
            Legend::LowerRight => SeriesLabelPosition::LowerRight,
            Legend::MiddleRight => SeriesLabelPosition::MiddleRight,
        }
    }
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
    /// Drawn dashed.
    pub dashed: bool,
}

/// The chart's data, extracted from the table (separate from drawing, for tests).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    /// Lines in legend order.
    pub lines: Vec<Line>,
    /// Category names if the x column is categorical (x = index).
    pub categories: Option<Vec<String>>,
}

fn column(t: &Table, name: &str) -> anyhow::Result<usize> {
    t.column(name).ok_or_else(|| {
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

/// Groups and extracts the lines to draw.
///
/// # Errors
///
/// Bad input: a column that is not in the table, an empty `x_field`, or an
/// x cell without a number after `x_field:`.
pub fn chart_data(t: &Table, a: &ChartSpec) -> anyhow::Result<ChartData> {
    let xi = column(t, &a.x)?;
    let series: Vec<usize> = a
        .series
        .iter()
        .map(|s| column(t, s))
        .collect::<anyhow::Result<_>>()?;
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
    let mut lines = Vec::new();
    for y in &a.y {
        let yi = column(t, y)?;
        let base = y.strip_suffix("_mean").unwrap_or(y);
        let ci = match (
            t.column(&format!("{base}_ci_lo")),
            t.column(&format!("{base}_ci_hi")),
        ) {
            (Some(lo), Some(hi)) => Some((lo, hi)),
            _ => None,
        };
        // Series in order of first appearance (the CSV's grid order).
        let mut groups: Vec<(String, Vec<&Vec<String>>)> = Vec::new();
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        for r in &t.rows {
            let key: Vec<&str> = series.iter().map(|&c| r[c].as_str()).collect();
            let key = key.join(", ");
            let slot = *index.entry(key.clone()).or_insert_with(|| {
                groups.push((key.clone(), Vec::new()));
                groups.len() - 1
            });
            groups[slot].1.push(r);
        }
        for (key, rows) in groups {
            let mut label = match (key.is_empty(), a.y.len() > 1) {
                (true, _) => y.clone(),
                (false, true) => format!("{key}: {y}"),
                (false, false) => key,
            };
            if label.is_empty() {
                label = "(empty)".into();
            }
            let mut points: Vec<Point> = rows
                .iter()
                .filter_map(|r| {
                    let x = x_of(r)?;
                    let v = cell_num(&r[yi])?;
                    let band = ci.and_then(|(lo, hi)| Some((cell_num(&r[lo])?, cell_num(&r[hi])?)));
                    Some((x, v, band))
                })
                .collect();
            points.sort_by(|p, q| p.0.total_cmp(&q.0));
            let dashed = a.dotted.iter().any(|d| label.contains(d.as_str()));
            lines.push(Line {
                label,
                points,
                dashed,
            });
        }
    }
    Ok(ChartData {
        lines,
        categories: (!numeric_x).then_some(categories),
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

/// The chart with every y (and error-bar end) replaced by its `log10`, for
/// `--log-y`; a y ≤ 0 is an error, an error bar reaching 0 or below is dropped.
fn log10_data(data: &ChartData) -> anyhow::Result<ChartData> {
    let mut d = data.clone();
    for l in &mut d.lines {
        for p in &mut l.points {
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
    Ok(d)
}

/// The SVG text of the chart.
///
/// # Errors
///
/// Bad input: with `log_y`, a y value ≤ 0; an axis range that overflows
/// (values near ±`f64::MAX`). Another failure if plotters cannot draw.
pub fn render(data: &ChartData, a: &ChartSpec) -> anyhow::Result<String> {
    let logged;
    let data = if a.log_y {
        logged = log10_data(data)?;
        &logged
    } else {
        data
    };
    let all = data.lines.iter().flat_map(|l| l.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y, ci) in all {
        x0 = x0.min(x);
        x1 = x1.max(x);
        let (lo, hi) = ci.unwrap_or((y, y));
        y0 = y0.min(y.min(lo));
        y1 = y1.max(y.max(hi));
    }
    let (x0, x1) = padded_range(x0, x1);
    // Non-negative data (throughputs, latencies) get an axis from 0.
    // A log axis spans whole decades.
    let (y0, y1) = if a.log_y {
        (y0.floor(), y1.ceil().max(y0.floor() + 1.0))
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
    let title = a.title.clone();
    let x_label = a.x_label.clone().unwrap_or_else(|| a.x.clone());
    let y_label = a.y_label.clone().unwrap_or_else(|| a.y.join(", "));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, a.size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| anyhow::anyhow!("drawing: {e}"))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&title, ("sans-serif", 22))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| anyhow::anyhow!("drawing: {e}"))?;
        let cats = data.categories.clone();
        let fmt_x = move |v: &f64| -> String {
            match &cats {
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
        let n_x_labels = match &data.categories {
            Some(c) => (c.len() * 4).max(2),
            None => 10,
        };
        // On a log axis, labels at the decades only, as the values they stand for.
        let fmt_log_y = |v: &f64| -> String {
            if (v - v.round()).abs() < 1e-9 {
                tick_label(10f64.powf(v.round()))
            } else {
                String::new()
            }
        };
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(x_label)
            .y_desc(y_label)
            .x_labels(n_x_labels)
            .x_label_formatter(&fmt_x);
        if a.log_y {
            mesh.y_labels((y1 - y0) as usize + 1)
                .y_label_formatter(&fmt_log_y);
        }
        mesh.draw().map_err(|e| anyhow::anyhow!("drawing: {e}"))?;
        for (i, line) in data.lines.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            let style = color.stroke_width(2);
            let pts: Vec<(f64, f64)> = line.points.iter().map(|p| (p.0, p.1)).collect();
            let anno = if line.dashed {
                chart.draw_series(DashedLineSeries::new(pts.clone(), 6, 4, style))
            } else {
                chart.draw_series(LineSeries::new(pts.clone(), style))
            }
            .map_err(|e| anyhow::anyhow!("drawing: {e}"))?;
            let dashed = line.dashed;
            anno.label(line.label.clone()).legend(move |(x, y)| {
                let s = color.stroke_width(2);
                // Three short dashes, or one line, 21 px long.
                let (a, b) = if dashed { (5, 8) } else { (21, 21) };
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (a, 0)], s)
                    + PathElement::new(vec![(b, 0), (b + a.min(21 - b), 0)], s)
                    + PathElement::new(vec![(2 * b, 0), (2 * b + a.min(21 - b), 0)], s)
            });
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(|e| anyhow::anyhow!("drawing: {e}"))?;
            chart
                .draw_series(line.points.iter().filter_map(|&(x, y, ci)| {
                    ci.map(|(lo, hi)| {
                        ErrorBar::new_vertical(x, lo, y, hi, color.stroke_width(1), 8)
                    })
                }))
                .map_err(|e| anyhow::anyhow!("drawing: {e}"))?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(a.legend.into())
            .draw()
            .map_err(|e| anyhow::anyhow!("drawing: {e}"))?;
        root.present()
            .map_err(|e| anyhow::anyhow!("drawing: {e}"))?;
    }
    Ok(svg)
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
            title: "r.csv".into(),
            x_label: None,
            y_label: None,
            legend: Legend::UpperLeft,
            size: (640, 400),
            log_y: false,
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
        assert_eq!(d.lines[0].label, "W8A16");
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
        let svg = render(&d, &a).unwrap();
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
        let a = args("quant", &["tp_mean"], &[]);
        let d = chart_data(&t, &a).unwrap();
        assert_eq!(d.categories, Some(vec!["W8A16".into(), "GPTQ".into()]));
        let svg = render(&d, &a).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..50]);
        // The contents of the <text> elements.
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim()))
            .collect();
        // Title, axis labels, both category tick labels and the legend are SVG text.
        for s in ["r.csv", "quant", "W8A16", "GPTQ", "tp_mean"] {
            assert!(texts.contains(&s), "missing {s} in {texts:?}");
        }
    }
}
