//! `results.csv` of a sweep: one row per grid point, computed only from the
//! point files (`points/pNNNN.json`, `points/pNNNN.hlog`), so that `sweep`
//! and `merge` write the same bytes.
//!
//! Columns: `point`; one column per axis, named by its path with every run
//! of other characters than letters, digits and `_` made one `_`
//! (`arrivals.rate` → `arrivals_rate`, [`column_name`]), holding the
//! value as written in the scenario (a quoted string is unquoted);
//! `replications`; for each metric `M` below, `M_mean`, `M_ci_lo`,
//! `M_ci_hi` — the mean over replications and its 95 % Student-t
//! confidence interval (empty cells when undefined: one replication, or a
//! replication with no value, e.g. no delivered request); then
//! `latency_pooled_*`: HdrHistogram's percentiles of the latency histogram pooled over
//! the replications (their HdrHistograms added, not their percentiles averaged);
//! then, with service classes (MODEL.md §12), for each class `C` (in order of
//! first appearance over the points) and each metric `M` of
//! [`CLASS_METRICS`], `M_mean__C`, `M_ci_lo__C`, `M_ci_hi__C`: the same
//! estimates over the class's requests (empty cells at a point without that
//! class). Splitting a column name at its last `__` gives the total's column
//! and the class. Without classes there are no such columns. The
//! continuous-serving class metrics (`kv_block_utilisation`, MODEL.md §13)
//! have columns only in a table where some replication measured them, so
//! an epoch sweep's table is as it was before they existed.

use std::path::Path;

use anyhow::Context;

use crate::failure::bad_input;
use hdrhistogram::Histogram;

use crate::stats::estimate;
use crate::summary::{ClassSummary, Quantiles, Summary};
use crate::sweep_dir::{read_point, tag, Manifest};
use crate::sweep_grid::column_name;
use crate::table::Num;

/// A metric of one replication.
pub struct Metric {
    /// Column stem.
    pub name: &'static str,
    /// Its value in one replication (NaN when undefined).
    pub of: fn(&Summary) -> f64,
}

fn opt(x: Option<f64>) -> f64 {
    x.unwrap_or(f64::NAN)
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

/// The metrics of `results.csv`, in column order.
pub const METRICS: &[Metric] = &[
    Metric {
        name: "throughput_rps",
        of: |s| opt(s.throughput_rps),
    },
    Metric {
        name: "throughput_per_epoch",
        of: |s| opt(s.throughput_per_epoch),
    },
    Metric {
        name: "on_time_fraction",
        of: |s| ratio(s.on_time, s.arrived),
    },
    Metric {
        name: "latency_mean_hdr_s",
        of: |s| opt(s.latency_s.as_ref().map(|q| q.mean_hdr)),
    },
    Metric {
        name: "latency_p50_hdr_s",
        of: |s| opt(s.latency_s.as_ref().map(|q| q.p50_hdr)),
    },
    Metric {
        name: "latency_p90_hdr_s",
        of: |s| opt(s.latency_s.as_ref().map(|q| q.p90_hdr)),
    },
    Metric {
        name: "latency_p99_hdr_s",
        of: |s| opt(s.latency_s.as_ref().map(|q| q.p99_hdr)),
    },
    Metric {
        name: "waiting_mean_hdr_s",
        of: |s| opt(s.waiting_s.as_ref().map(|q| q.mean_hdr)),
    },
    Metric {
        name: "first_token_mean_hdr_s",
        of: |s| opt(s.first_token_s.as_ref().map(|q| q.mean_hdr)),
    },
    Metric {
        name: "first_token_p50_hdr_s",
        of: |s| opt(s.first_token_s.as_ref().map(|q| q.p50_hdr)),
    },
    Metric {
        name: "first_token_p90_hdr_s",
        of: |s| opt(s.first_token_s.as_ref().map(|q| q.p90_hdr)),
    },
    Metric {
        name: "first_token_p99_hdr_s",
        of: |s| opt(s.first_token_s.as_ref().map(|q| q.p99_hdr)),
    },
    Metric {
        name: "mean_batch_size",
        of: |s| opt(s.mean_batch_size),
    },
    Metric {
        name: "nodes_per_epoch",
        of: |s| ratio(s.nodes_total, s.epochs),
    },
    Metric {
        name: "kv_peak_bytes",
        of: |s| s.kv_peak_bytes,
    },
    Metric {
        name: "gpu_utilisation",
        of: |s| opt(s.gpu_utilisation),
    },
    Metric {
        name: "uplink_utilisation",
        of: |s| opt(s.uplink_utilisation),
    },
    Metric {
        name: "downlink_utilisation",
        of: |s| opt(s.downlink_utilisation),
    },
    Metric {
        name: "arrived",
        of: |s| s.arrived as f64,
    },
    Metric {
        name: "on_time",
        of: |s| s.on_time as f64,
    },
    Metric {
        name: "late",
        of: |s| s.late as f64,
    },
    Metric {
        name: "expired",
        of: |s| s.expired as f64,
    },
    Metric {
        name: "rejected_accuracy",
        of: |s| s.rejected_accuracy as f64,
    },
    Metric {
        name: "plan_violations",
        of: |s| s.plan_violations as f64,
    },
    Metric {
        name: "ttft_p50_hdr_s",
        of: |s| opt(s.ttft_s.as_ref().map(|q| q.p50_hdr)),
    },
    Metric {
        name: "ttft_p90_hdr_s",
        of: |s| opt(s.ttft_s.as_ref().map(|q| q.p90_hdr)),
    },
    Metric {
        name: "ttft_p99_hdr_s",
        of: |s| opt(s.ttft_s.as_ref().map(|q| q.p99_hdr)),
    },
    Metric {
        name: "tpot_p50_hdr_s",
        of: |s| opt(s.tpot_s.as_ref().map(|q| q.p50_hdr)),
    },
    Metric {
        name: "tpot_p90_hdr_s",
        of: |s| opt(s.tpot_s.as_ref().map(|q| q.p90_hdr)),
    },
    Metric {
        name: "tpot_p99_hdr_s",
        of: |s| opt(s.tpot_s.as_ref().map(|q| q.p99_hdr)),
    },
    Metric {
        name: "rejected_capacity",
        of: |s| s.rejected_capacity as f64,
    },
    Metric {
        name: "preemptions",
        of: |s| s.preemptions as f64,
    },
    Metric {
        name: "kv_block_utilisation",
        of: |s| opt(s.kv_block_utilisation),
    },
    Metric {
        name: "se_up",
        of: |s| opt(s.radio.se_up.as_ref().map(|q| q.mean)),
    },
    Metric {
        name: "se_up_p5_hdr",
        of: |s| opt(s.radio.se_up.as_ref().map(|q| q.p5_hdr)),
    },
    Metric {
        name: "se_up_p50_hdr",
        of: |s| opt(s.radio.se_up.as_ref().map(|q| q.p50_hdr)),
    },
    Metric {
        name: "se_up_p95_hdr",
        of: |s| opt(s.radio.se_up.as_ref().map(|q| q.p95_hdr)),
    },
    Metric {
        name: "se_down",
        of: |s| opt(s.radio.se_down.as_ref().map(|q| q.mean)),
    },
    Metric {
        name: "se_down_p5_hdr",
        of: |s| opt(s.radio.se_down.as_ref().map(|q| q.p5_hdr)),
    },
    Metric {
        name: "se_down_p50_hdr",
        of: |s| opt(s.radio.se_down.as_ref().map(|q| q.p50_hdr)),
    },
    Metric {
        name: "se_down_p95_hdr",
        of: |s| opt(s.radio.se_down.as_ref().map(|q| q.p95_hdr)),
    },
    Metric {
        name: "no_rate",
        of: |s| s.radio.no_rate as f64,
    },
];

/// A metric of one class in one replication.
pub struct ClassMetric {
    /// Column stem (that of the total's [`Metric`]).
    pub name: &'static str,
    /// Its value for one class in one replication (NaN when undefined).
    pub of: fn(&ClassSummary) -> f64,
    /// Whether it is continuous serving's only (absent from the epoch
    /// pipeline's summaries): its columns are in a table only if some
    /// replication of it has the value ([`ResultsRow::class_continuous`]).
    pub continuous: bool,
}

/// The per-class metrics of a table, in column order: [`CLASS_METRICS`],
/// the continuous-serving ones only if `continuous`.
pub fn class_metrics(continuous: bool) -> impl Iterator<Item = &'static ClassMetric> {
    CLASS_METRICS
        .iter()
        .filter(move |m| continuous || !m.continuous)
}

/// The per-class metrics of `results.csv`, in column order: those of
/// [`METRICS`] that belong to requests.
pub const CLASS_METRICS: &[ClassMetric] = &[
    ClassMetric {
        name: "throughput_rps",
        of: |c| opt(c.throughput_rps),
        continuous: false,
    },
    ClassMetric {
        name: "throughput_per_epoch",
        of: |c| opt(c.throughput_per_epoch),
        continuous: false,
    },
    ClassMetric {
        name: "on_time_fraction",
        of: |c| ratio(c.on_time, c.arrived),
        continuous: false,
    },
    ClassMetric {
        name: "latency_mean_hdr_s",
        of: |c| opt(c.latency_s.as_ref().map(|q| q.mean_hdr)),
        continuous: false,
    },
    ClassMetric {
        name: "latency_p50_hdr_s",
        of: |c| opt(c.latency_s.as_ref().map(|q| q.p50_hdr)),
        continuous: false,
    },
    ClassMetric {
        name: "latency_p90_hdr_s",
        of: |c| opt(c.latency_s.as_ref().map(|q| q.p90_hdr)),
        continuous: false,
    },
    ClassMetric {
        name: "latency_p99_hdr_s",
        of: |c| opt(c.latency_s.as_ref().map(|q| q.p99_hdr)),
        continuous: false,
    },
    ClassMetric {
        name: "waiting_mean_hdr_s",
        of: |c| opt(c.waiting_s.as_ref().map(|q| q.mean_hdr)),
        continuous: false,
    },
    ClassMetric {
        name: "first_token_mean_hdr_s",
        of: |c| opt(c.first_token_s.as_ref().map(|q| q.mean_hdr)),
        continuous: false,
    },
    ClassMetric {
        name: "first_token_p50_hdr_s",
        of: |c| opt(c.first_token_s.as_ref().map(|q| q.p50_hdr)),
        continuous: false,
    },
    ClassMetric {
        name: "first_token_p90_hdr_s",
        of: |c| opt(c.first_token_s.as_ref().map(|q| q.p90_hdr)),
        continuous: false,
    },
    ClassMetric {
        name: "first_token_p99_hdr_s",
        of: |c| opt(c.first_token_s.as_ref().map(|q| q.p99_hdr)),
        continuous: false,
    },
    ClassMetric {
        name: "mean_batch_size",
        of: |c| opt(c.mean_batch_size),
        continuous: false,
    },
    ClassMetric {
        name: "arrived",
        of: |c| c.arrived as f64,
        continuous: false,
    },
    ClassMetric {
        name: "on_time",
        of: |c| c.on_time as f64,
        continuous: false,
    },
    ClassMetric {
        name: "late",
        of: |c| c.late as f64,
        continuous: false,
    },
    ClassMetric {
        name: "expired",
        of: |c| c.expired as f64,
        continuous: false,
    },
    ClassMetric {
        name: "rejected_accuracy",
        of: |c| c.rejected_accuracy as f64,
        continuous: false,
    },
    ClassMetric {
        name: "kv_block_utilisation",
        of: |c| opt(c.kv_block_utilisation),
        continuous: true,
    },
];

/// Pooled-latency columns.
pub const POOLED: &[&str] = &[
    "latency_pooled_count",
    "latency_pooled_mean_hdr_s",
    "latency_pooled_p50_hdr_s",
    "latency_pooled_p90_hdr_s",
    "latency_pooled_p99_hdr_s",
    "latency_pooled_max_hdr_s",
];

/// A parameter value as a CSV cell: the RON text, with a plain quoted
/// string unquoted (`"dftsp"` → `dftsp`) and a preset shown by its name
/// (`Preset("BLOOM-3B")` → `BLOOM-3B`).
pub fn param_cell(value: &str) -> String {
    let v = value.trim();
    let inner = v
        .strip_prefix("Preset(")
        .and_then(|x| x.strip_suffix(')'))
        .map(str::trim)
        .unwrap_or(v);
    match inner.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
        Some(s) if !s.contains(['"', '\\']) => s.to_string(),
        _ => v.to_string(),
    }
}

/// One row of `results.csv`, serialized as a CSV record in column order.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultsRow {
    /// Point index.
    pub point: usize,
    /// One cell per axis ([`param_cell`]).
    pub params: Vec<String>,
    /// Replications of the point.
    pub replications: usize,
    /// One estimate per [`METRICS`] entry, in that order.
    pub estimates: Vec<crate::stats::Estimate>,
    /// Values in the pooled latency histogram, count.
    pub pooled_count: u64,
    /// Its mean, p50, p90, p99 and max, s (NaN when empty).
    pub pooled: [f64; 5],
    /// Per service class of the whole table, in column order: its name and
    /// one estimate per [`class_metrics`] entry (NaN where the point has no such class).
    pub classes: Vec<(String, Vec<crate::stats::Estimate>)>,
    /// Whether the table has the continuous-serving class columns (some
    /// replication of some point has a class `kv_block_utilisation`); the
    /// same in every row.
    pub class_continuous: bool,
}

impl serde::Serialize for ResultsRow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(None)?;
        seq.serialize_element(&self.point)?;
        for p in &self.params {
            seq.serialize_element(p)?;
        }
        seq.serialize_element(&self.replications)?;
        for e in &self.estimates {
            for x in [e.mean, e.ci_lo, e.ci_hi] {
                seq.serialize_element(&Num(x))?;
            }
        }
        seq.serialize_element(&self.pooled_count)?;
        for x in self.pooled {
            seq.serialize_element(&Num(x))?;
        }
        for (_, estimates) in &self.classes {
            for e in estimates {
                for x in [e.mean, e.ci_lo, e.ci_hi] {
                    seq.serialize_element(&Num(x))?;
                }
            }
        }
        seq.end()
    }
}

/// The class names of a table's rows (every row lists the same).
pub fn class_names(rows: &[ResultsRow]) -> Vec<String> {
    rows.first()
        .map(|r| r.classes.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default()
}

/// Whether a table's rows have the continuous-serving class columns.
pub fn class_continuous(rows: &[ResultsRow]) -> bool {
    rows.first().is_some_and(|r| r.class_continuous)
}

/// The header of `results.csv` for a sweep with these axes and service
/// classes; `continuous`: with the continuous-serving class columns.
pub fn header(axes: &[String], classes: &[String], continuous: bool) -> Vec<String> {
    let mut header = vec!["point".to_string()];
    header.extend(axes.iter().map(|a| column_name(a)));
    header.push("replications".into());
    for metric in METRICS {
        for suffix in ["mean", "ci_lo", "ci_hi"] {
            header.push(format!("{}_{suffix}", metric.name));
        }
    }
    header.extend(POOLED.iter().map(|s| s.to_string()));
    for class in classes {
        for metric in class_metrics(continuous) {
            for suffix in ["mean", "ci_lo", "ci_hi"] {
                header.push(format!("{}_{suffix}__{class}", metric.name));
            }
        }
    }
    header
}

/// The rows for the points in `dir` described by `m` (every point of the grid must be there).
///
/// # Errors
///
/// A point file that is missing or malformed (bad input), or that does not
/// match the manifest (replication count, axes, histograms).
pub fn rows(dir: &Path, m: &Manifest) -> anyhow::Result<Vec<ResultsRow>> {
    rows_from(m, |_| dir)
}

/// The rows for the points described by `m`, point `i` read from the
/// directory `dir_of(i)` (`merge` reads each from its shard).
///
/// # Errors
///
/// Bad input naming the point file: one that is missing or malformed, or
/// that does not match the manifest (replication count, axes, histograms).
pub fn rows_from<'a>(
    m: &Manifest,
    dir_of: impl Fn(usize) -> &'a Path,
) -> anyhow::Result<Vec<ResultsRow>> {
    let mut rows = Vec::with_capacity(m.points);
    let mut points = Vec::with_capacity(m.points);
    for index in 0..m.points {
        let dir = dir_of(index);
        let (file, hists) = read_point(dir, index)?;
        let (json_path, hlog_path) = crate::sweep_dir::point_paths(dir, index);
        let (at, hlog_at) = (json_path.display(), hlog_path.display());
        let reps = &file.replications;
        if reps.len() != m.replications as usize {
            return Err(bad_input(format!(
                "{at}: point {index} has {} replications, the sweep {}",
                reps.len(),
                m.replications
            )));
        }
        let mut params = Vec::with_capacity(m.axes.len());
        for axis in &m.axes {
            let p = file
                .params
                .iter()
                .find(|p| &p.path == axis)
                .ok_or_else(|| bad_input(format!("{at}: no value for axis `{axis}`")))?;
            params.push(param_cell(&p.value));
        }
        let estimates = METRICS
            .iter()
            .map(|metric| estimate(&reps.iter().map(metric.of).collect::<Vec<f64>>()))
            .collect();
        // Pool the replications' latency histograms into one that resizes to
        // cover them all (a histogram read back from a log has a fixed range).
        let mut pooled = Histogram::<u64>::new(3).expect("3 significant digits is valid");
        for r in 0..reps.len() {
            let want = tag("latency", r);
            let (_, h) = hists
                .iter()
                .find(|(t, _)| t.as_deref() == Some(want.as_str()))
                .ok_or_else(|| bad_input(format!("{hlog_at}: no `{want}` histogram")))?;
            pooled
                .add(h)
                .map_err(|e| bad_input(format!("{hlog_at}: cannot pool `{want}`: {e:?}")))?;
        }
        let q = Quantiles::of_ns(&pooled);
        let pooled_count = q.as_ref().map_or(0, |q| q.count);
        let pooled = q.map_or([f64::NAN; 5], |q| {
            [q.mean_hdr, q.p50_hdr, q.p90_hdr, q.p99_hdr, q.max_hdr]
        });
        rows.push(ResultsRow {
            point: index,
            params,
            replications: reps.len(),
            estimates,
            pooled_count,
            pooled,
            classes: Vec::new(),
            class_continuous: false,
        });
        points.push(file);
    }
    // The classes of the whole table, in order of first appearance.
    let mut names: Vec<String> = Vec::new();
    for file in &points {
        for rep in &file.replications {
            for (n, _) in &rep.classes.0 {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
        }
    }
    let continuous = points.iter().any(|f| {
        f.replications.iter().any(|r| {
            r.classes
                .0
                .iter()
                .any(|(_, c)| c.kv_block_utilisation.is_some())
        })
    });
    for (row, file) in rows.iter_mut().zip(&points) {
        let reps = &file.replications;
        row.class_continuous = continuous;
        row.classes = names
            .iter()
            .map(|n| {
                let estimates = class_metrics(continuous)
                    .map(|metric| {
                        let values: Vec<f64> = reps
                            .iter()
                            .map(|r| r.classes.get(n).map_or(f64::NAN, metric.of))
                            .collect();
                        estimate(&values)
                    })
                    .collect();
                (n.clone(), estimates)
            })
            .collect();
    }
    Ok(rows)
}

/// The CSV text of `results.csv` for the points in `dir` described by `m`.
///
/// # Errors
///
/// Those of [`rows`].
pub fn csv_text(dir: &Path, m: &Manifest) -> anyhow::Result<String> {
    let rows = rows(dir, m)?;
    Ok(crate::table::to_csv(
        &header(&m.axes, &class_names(&rows), class_continuous(&rows)),
        &rows,
    )?)
}

/// Writes `rows` (of the sweep `m`) as `dir/results.csv`.
///
/// # Errors
///
/// The file cannot be written.
pub fn write_rows(dir: &Path, m: &Manifest, rows: &[ResultsRow]) -> anyhow::Result<()> {
    let header = header(&m.axes, &class_names(rows), class_continuous(rows));
    let text = crate::table::to_csv(&header, rows)?;
    crate::files::write_atomic(&dir.join("results.csv"), text.as_bytes())
}

/// Writes `dir/results.csv`.
///
/// # Errors
///
/// Those of [`rows`], and a file that cannot be written.
pub fn write(dir: &Path, m: &Manifest) -> anyhow::Result<()> {
    let text = csv_text(dir, m)
        .with_context(|| format!("computing {}", dir.join("results.csv").display()))?;
    crate::files::write_atomic(&dir.join("results.csv"), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_cells() {
        assert_eq!(param_cell("\"dftsp\""), "dftsp");
        assert_eq!(param_cell("static"), "static");
        assert_eq!(param_cell("Preset(\"BLOOM-7.1B\")"), "BLOOM-7.1B");
        assert_eq!(param_cell("100.0"), "100.0");
        assert_eq!(
            param_cell("Uniform(lo: 0.5, hi: 1.0)"),
            "Uniform(lo: 0.5, hi: 1.0)"
        );
        assert_eq!(param_cell("\"a\\\"b\""), "\"a\\\"b\"");
    }
}
