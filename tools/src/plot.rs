//! `edgesim plot`: a line chart (SVG) of CSV columns, drawn by
//! `tools::chart` (which documents the grouping, error bars and axes).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use tools::chart::{chart_data, render, ChartSpec, Legend};
use tools::failure::bad_input;
use tools::table::Table;

/// Options of `plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The CSV file (e.g. a sweep's results.csv).
    pub csv: PathBuf,
    /// Column for the x axis.
    #[arg(long)]
    pub x: String,
    /// Take x from the number after `FIELD:` in the x cells, e.g. `--x requests.latency
    /// --x-field hi` reads 1.25 from `Uniform(lo: 0.5, hi: 1.25)`.
    #[arg(long, value_name = "FIELD")]
    pub x_field: Option<String>,
    /// Column(s) for the y axis (repeat for several lines per series).
    #[arg(long, required = true)]
    pub y: Vec<String>,
    /// Column(s) whose values split the rows into series (repeatable).
    #[arg(long)]
    pub series: Vec<String>,
    /// Draw dashed every line whose legend label contains this text (repeatable).
    #[arg(long)]
    pub dotted: Vec<String>,
    /// Chart title (default: the CSV file name).
    #[arg(long)]
    pub title: Option<String>,
    /// x-axis label (default: the x column).
    #[arg(long)]
    pub x_label: Option<String>,
    /// y-axis label (default: the y column(s)).
    #[arg(long)]
    pub y_label: Option<String>,
    /// Output SVG file.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Where the legend goes.
    #[arg(long, value_enum, default_value_t = LegendPos::UpperLeft)]
    pub legend: LegendPos,
    /// Width × height in pixels.
    #[arg(long, default_value = "960x600", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Logarithmic y axis (base 10; every y value must be positive).
    #[arg(long)]
    pub log_y: bool,
}

/// Legend position inside the plotting area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LegendPos {
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

impl From<LegendPos> for Legend {
    fn from(p: LegendPos) -> Legend {
        match p {
            LegendPos::UpperLeft => Legend::UpperLeft,
            LegendPos::UpperRight => Legend::UpperRight,
            LegendPos::LowerLeft => Legend::LowerLeft,
            LegendPos::LowerRight => Legend::LowerRight,
            LegendPos::MiddleRight => Legend::MiddleRight,
        }
    }
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once('x')
        .ok_or_else(|| format!("expected WIDTHxHEIGHT, got `{s}`"))?;
    let w: u32 = w.parse().map_err(|_| format!("bad width `{w}`"))?;
    let h: u32 = h.parse().map_err(|_| format!("bad height `{h}`"))?;
    if !(100..=10_000).contains(&w) || !(100..=10_000).contains(&h) {
        return Err("width and height must be within 100..=10000".into());
    }
    Ok((w, h))
}

impl PlotArgs {
    /// The chart these options ask for (title defaulting to the CSV's file name).
    fn spec(&self) -> ChartSpec {
        ChartSpec {
            x: self.x.clone(),
            x_field: self.x_field.clone(),
            y: self.y.clone(),
            series: self.series.clone(),
            dotted: self.dotted.clone(),
            title: self.title.clone().unwrap_or_else(|| {
                self.csv
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            }),
            x_label: self.x_label.clone(),
            y_label: self.y_label.clone(),
            legend: self.legend.into(),
            size: self.size,
            log_y: self.log_y,
        }
    }
}

/// Draws the chart to `a.output` (written atomically).
pub fn run(a: &PlotArgs) -> anyhow::Result<()> {
    let text = tools::files::read_input(&a.csv)?;
    let table = Table::parse(&text).map_err(|e| bad_input(format!("{}: {e}", a.csv.display())))?;
    let spec = a.spec();
    let data =
        chart_data(&table, &spec).with_context(|| format!("plotting {}", a.csv.display()))?;
    if data.lines.iter().all(|l| l.points.is_empty()) {
        return Err(bad_input(format!(
            "{}: no row has numbers in both `{}` and the --y column(s)",
            a.csv.display(),
            a.x
        )));
    }
    let svg = render(&data, &spec).with_context(|| format!("plotting {}", a.csv.display()))?;
    tools::files::write_atomic(&a.output, svg.as_bytes())
}
