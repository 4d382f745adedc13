//! `edgesim plot`: a chart (SVG or PNG) of CSV columns, drawn by
//! `tools::chart` (which documents the grouping, error bars, axes and
//! styles); or, given a run's output directory, that run's CDFs and its
//! course over time (`tools::run_plots`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use tools::chart::{chart_data, render, render_panels, ChartSpec, Format, Legend};
use tools::failure::bad_input;
use tools::run_plots;
use tools::table::Table;

/// Options of `plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The CSV file (e.g. a sweep's results.csv), or a run's output directory.
    pub input: PathBuf,
    /// Column for the x axis (CSV input).
    #[arg(long)]
    pub x: Option<String>,
    /// Take x from the number after `FIELD:` in the x cells, e.g. `--x requests_latency
    /// --x-field hi` reads 1.25 from `Uniform(lo: 0.5, hi: 1.25)`.
    #[arg(long, value_name = "FIELD")]
    pub x_field: Option<String>,
    /// Column(s) for the y axis (CSV input; repeat for several lines per series).
    #[arg(long)]
    pub y: Vec<String>,
    /// Column(s) whose values split the rows into series (repeatable).
    #[arg(long)]
    pub series: Vec<String>,
    /// Draw dotted every line whose legend label contains this text, the others solid (repeatable).
    #[arg(long)]
    pub dotted: Vec<String>,
    /// Chart title (default: from the columns' meaning, `Y vs X`).
    #[arg(long)]
    pub title: Option<String>,
    /// x-axis label (default: the x column's meaning and unit).
    #[arg(long)]
    pub x_label: Option<String>,
    /// y-axis label (default: the y columns' meaning and unit).
    #[arg(long)]
    pub y_label: Option<String>,
    /// Output file, `.svg` or `.png` (CSV input); output directory (run directory input)
    /// [default for a run: RUN_DIR/plots/].
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// Image format of a run's charts.
    #[arg(long, value_enum, default_value_t = FormatArg::Svg)]
    pub format: FormatArg,
    /// Where the legend goes.
    #[arg(long, value_enum, default_value_t = LegendPos::Right)]
    pub legend: LegendPos,
    /// Width × height in pixels.
    #[arg(long, default_value = "960x600", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Logarithmic x axis (base 10; every x value must be positive).
    #[arg(long)]
    pub log_x: bool,
    /// Logarithmic y axis (base 10; every y value must be positive).
    #[arg(long)]
    pub log_y: bool,
}

/// Image format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// SVG.
    Svg,
    /// PNG.
    Png,
}

/// Legend position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LegendPos {
    /// Outside the plotting area, right of it.
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

impl From<LegendPos> for Legend {
    fn from(p: LegendPos) -> Legend {
        match p {
            LegendPos::Right => Legend::Right,
            LegendPos::None => Legend::None,
            LegendPos::UpperLeft => Legend::UpperLeft,
            LegendPos::UpperRight => Legend::UpperRight,
            LegendPos::LowerLeft => Legend::LowerLeft,
            LegendPos::LowerRight => Legend::LowerRight,
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

/// The format an output file's extension asks for.
fn format_of(path: &Path) -> anyhow::Result<Format> {
    match path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .as_deref()
    {
        Some("svg") => Ok(Format::Svg),
        Some("png") => Ok(Format::Png),
        _ => Err(bad_input(format!(
            "-o {}: the output must end in .svg or .png",
            path.display()
        ))),
    }
}

/// Draws the chart(s); returns the files written.
pub fn run(a: &PlotArgs) -> anyhow::Result<Vec<PathBuf>> {
    if run_plots::is_run_dir(&a.input) {
        return run_dir(a);
    }
    if a.input.is_dir() {
        return Err(bad_input(format!(
            "{} is a directory without epochs.csv or latency.hlog (not a run's output directory); give a CSV file or a run directory",
            a.input.display()
        )));
    }
    let x =
        a.x.clone()
            .ok_or_else(|| bad_input("--x COLUMN is needed to plot a CSV file"))?;
    if a.y.is_empty() {
        return Err(bad_input("--y COLUMN is needed to plot a CSV file"));
    }
    let output = a
        .output
        .clone()
        .ok_or_else(|| bad_input("-o FILE.svg or -o FILE.png is needed to plot a CSV file"))?;
    let spec = ChartSpec {
        x,
        x_field: a.x_field.clone(),
        y: a.y.clone(),
        series: a.series.clone(),
        dotted: a.dotted.clone(),
        title: a.title.clone(),
        x_label: a.x_label.clone(),
        y_label: a.y_label.clone(),
        legend: a.legend.into(),
        size: a.size,
        log_x: a.log_x,
        log_y: a.log_y,
        format: format_of(&output)?,
    };
    let text = tools::files::read_input(&a.input)?;
    let table =
        Table::parse(&text).map_err(|e| bad_input(format!("{}: {e}", a.input.display())))?;
    let at = || format!("plotting {}", a.input.display());
    let data = chart_data(&table, &spec).with_context(at)?;
    let bytes = render(&data, &spec).with_context(at)?;
    tools::files::write_atomic(&output, &bytes)?;
    Ok(vec![output])
}

/// `plot RUN_DIR`: `cdf.EXT` and `over-time.EXT` in the output directory.
fn run_dir(a: &PlotArgs) -> anyhow::Result<Vec<PathBuf>> {
    let dir = &a.input;
    // The run charts are fixed; flags that shape a CSV chart would be ignored.
    let csv_only: Vec<&str> = [
        ("--x", a.x.is_some()),
        ("--x-field", a.x_field.is_some()),
        ("--y", !a.y.is_empty()),
        ("--series", !a.series.is_empty()),
        ("--dotted", !a.dotted.is_empty()),
        ("--title", a.title.is_some()),
        ("--x-label", a.x_label.is_some()),
        ("--y-label", a.y_label.is_some()),
        ("--log-y", a.log_y),
    ]
    .into_iter()
    .filter_map(|(flag, set)| set.then_some(flag))
    .collect();
    if !csv_only.is_empty() {
        return Err(bad_input(format!(
            "{}: a run directory draws its fixed charts; {} appl{} to CSV input only",
            dir.display(),
            csv_only.join(", "),
            if csv_only.len() == 1 { "ies" } else { "y" }
        )));
    }
    if let Some(o) = &a.output {
        if matches!(o.extension().and_then(|e| e.to_str()), Some("svg" | "png")) {
            return Err(bad_input(format!(
                "-o {}: with a run directory -o names the directory the charts go to \
                 (cdf.EXT, over-time.EXT; the format from --format)",
                o.display()
            )));
        }
    }
    let out = a.output.clone().unwrap_or_else(|| dir.join("plots"));
    let (format, ext) = match a.format {
        FormatArg::Svg => (Format::Svg, "svg"),
        FormatArg::Png => (Format::Png, "png"),
    };
    let at = || format!("plotting {}", dir.display());
    let (data, mut spec) = run_plots::cdf_chart(dir, format, a.log_x).with_context(at)?;
    spec.size = a.size;
    let cdf = render(&data, &spec).with_context(at)?;
    let panels = run_plots::over_time_charts(dir, format).with_context(at)?;
    let size = (a.size.0, 300 * panels.len() as u32);
    let over_time = render_panels(&panels, size, format).with_context(at)?;
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let files = [
        (out.join(format!("cdf.{ext}")), cdf),
        (out.join(format!("over-time.{ext}")), over_time),
    ];
    for (p, bytes) in &files {
        tools::files::write_atomic(p, bytes)?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}
