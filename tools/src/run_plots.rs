//! The charts of one run's output directory (`edgesim plot RUN_DIR`):
//!
//! - the CDFs of end-to-end latency, first-token time (TTFT) and waiting
//!   time, from the run's `latency.hlog`, `first_token.hlog` and
//!   `waiting.hlog` (every interval of a log added together): a step at
//!   every recorded HdrHistogram bucket, x its highest equivalent value in
//!   s, y the fraction of the values at or below it;
//! - the run over time, from `epochs.csv`, one panel per quantity, against
//!   `t_k` (s): queue length, batch size, on-time requests (when the table
//!   has an `on_time` column), KV-cache occupancy and the radio's uplink and
//!   downlink shares — those of these columns the file has.

use std::path::Path;

use hdrhistogram::Histogram;

use crate::chart::{ChartData, ChartSpec, Format, Legend, Line, Point};
use crate::failure::bad_input;
use crate::histograms::read_hlog;
use crate::labels::describe;
use crate::table::Table;

/// Whether `dir` is a run's output directory (it has `epochs.csv` or `latency.hlog`).
pub fn is_run_dir(dir: &Path) -> bool {
    dir.is_dir() && (dir.join("epochs.csv").exists() || dir.join("latency.hlog").exists())
}

fn spec(x: &str, y: &[&str], size: (u32, u32), format: Format, log_x: bool) -> ChartSpec {
    ChartSpec {
        x: x.into(),
        x_field: None,
        y: y.iter().map(|s| s.to_string()).collect(),
        series: Vec::new(),
        dotted: Vec::new(),
        title: None,
        x_label: None,
        y_label: None,
        legend: Legend::Right,
        size,
        log_x,
        log_y: false,
        format,
    }
}

/// The CDF points of a histogram recorded in ns: `(value s, fraction ≤ it)`.
fn cdf(h: &Histogram<u64>) -> Vec<Point> {
    let total = h.len() as f64;
    let mut below = 0u64;
    h.iter_recorded()
        .map(|v| {
            below += v.count_at_value();
            (
                h.highest_equivalent(v.value_iterated_to()) as f64 / 1e9,
                below as f64 / total,
                None,
            )
        })
        .collect()
}

/// The CDF chart of the run in `dir`.
///
/// # Errors
///
/// Bad input naming the file: a histogram log that cannot be read, or none
/// with any value.
pub fn cdf_chart(
    dir: &Path,
    format: Format,
    log_x: bool,
) -> anyhow::Result<(ChartData, ChartSpec)> {
    let mut lines = Vec::new();
    for (file, label) in [
        ("latency.hlog", "latency"),
        ("first_token.hlog", "TTFT"),
        ("waiting.hlog", "waiting time"),
    ] {
        let path = dir.join(file);
        if !path.exists() {
            continue;
        }
        let bytes = crate::files::read_input_bytes(&path)?;
        let logs =
            read_hlog(&bytes).map_err(|e| bad_input(format!("{}: {e:#}", path.display())))?;
        let mut sum = Histogram::<u64>::new(3).expect("3 significant digits is valid");
        for (_, h) in &logs {
            sum.add(h)
                .map_err(|e| bad_input(format!("{}: {e:?}", path.display())))?;
        }
        if !sum.is_empty() {
            lines.push(Line {
                label: label.into(),
                points: cdf(&sum),
                dashed: false,
            });
        }
    }
    if lines.is_empty() {
        return Err(bad_input(format!(
            "{}: no latency, first-token or waiting time recorded (no latency.hlog, first_token.hlog, waiting.hlog with values)",
            dir.display()
        )));
    }
    let data = ChartData {
        lines,
        categories: None,
        title: "Latency, TTFT and waiting time: CDFs".into(),
        x_label: "time (s)".into(),
        y_label: "fraction of requests ≤ x".into(),
    };
    Ok((data, spec("time_s", &["cdf"], (960, 600), format, log_x)))
}

/// The panels of the run over time, from `dir/epochs.csv`.
///
/// # Errors
///
/// Bad input naming the file: it cannot be read or parsed, or has no
/// `t_k_s` column or no row.
pub fn over_time_charts(dir: &Path, format: Format) -> anyhow::Result<Vec<(ChartData, ChartSpec)>> {
    let path = dir.join("epochs.csv");
    let text = crate::files::read_input(&path)?;
    let t = Table::parse(&text).map_err(|e| bad_input(format!("{}: {e}", path.display())))?;
    let xi = t
        .column("t_k_s")
        .ok_or_else(|| bad_input(format!("{}: no column `t_k_s`", path.display())))?;
    if t.rows.is_empty() {
        return Err(bad_input(format!("{}: no epoch", path.display())));
    }
    let panels: [&[&str]; 5] = [
        &["queue_len"],
        &["batch_size"],
        &["on_time"],
        &["kv_peak_bytes"],
        &["rho_up", "rho_down"],
    ];
    let mut out = Vec::new();
    for cols in panels {
        let present: Vec<(&str, usize)> = cols
            .iter()
            .filter_map(|c| Some((*c, t.column(c)?)))
            .collect();
        if present.is_empty() {
            continue;
        }
        let lines: Vec<Line> = present
            .iter()
            .map(|&(c, ci)| Line {
                label: describe(c).name,
                points: t
                    .rows
                    .iter()
                    .filter_map(|r| {
                        Some((r[xi].trim().parse().ok()?, r[ci].trim().parse().ok()?, None))
                    })
                    .collect(),
                dashed: false,
            })
            .collect();
        let m = describe(cols[0]);
        let data = ChartData {
            lines,
            categories: None,
            title: if cols.len() > 1 {
                "radio: uplink and downlink shares per epoch".into()
            } else {
                format!("{} per epoch", m.name)
            },
            x_label: describe("t_k_s").label(),
            y_label: if cols.len() > 1 {
                "share (fraction of the band)".into()
            } else {
                m.label()
            },
        };
        let mut s = spec("t_k_s", cols, (960, 300), format, false);
        if cols.len() == 1 {
            s.legend = Legend::None;
        }
        out.push((data, s));
    }
    Ok(out)
}
