//! The files of one run's output directory (docs/cli.md, `run`): the rows
//! of `epochs.csv`, the histograms (`.hlog`, `.hgrm`) and `summary.json`.

use std::path::Path;
use std::time::Duration;

use sim_models::{EpochRecord, RunOutput};

use crate::files;
use crate::histograms::{self, Interval, KINDS};
use crate::summary::Summary;

/// Header of `epochs.csv` (one row per epoch, MODEL.md §8).
pub const EPOCH_COLUMNS: &[&str] = &[
    "epoch",
    "t_k_s",
    "queue_len",
    "batch_size",
    "jobs",
    "s_pad",
    "t_batch_s",
    "kv_peak_bytes",
    "rho_up",
    "rho_down",
    "nodes",
    "leaves",
    "solve_ns",
    "expired",
    "dropped",
    "violations",
    "selected",
];

/// One line of `epochs.csv` for `r`, newline included.
pub fn epoch_row(r: &EpochRecord) -> String {
    let ids: Vec<String> = r.selected.iter().map(|i| i.to_string()).collect();
    format!(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
        r.epoch,
        r.t_k_ns as f64 / 1e9,
        r.queue_len,
        r.batch_size,
        r.jobs,
        r.s_pad,
        r.t_batch_ns as f64 / 1e9,
        r.kv_peak_bytes,
        r.rho_up,
        r.rho_down,
        r.nodes,
        r.leaves,
        r.solve_ns,
        r.expired,
        r.dropped,
        r.violations,
        ids.join(" "),
    )
}

/// Writes the histograms (`.hlog`, `.hgrm`) of `out` into `dir` and, last,
/// `summary.json`; returns the summary.
///
/// # Errors
///
/// A histogram that cannot be serialized, or a file that cannot be written.
pub fn write_outputs(
    out: &RunOutput,
    seed: u64,
    wall: Duration,
    dir: &Path,
) -> anyhow::Result<Summary> {
    let start = Duration::from_nanos(out.warmup_ns);
    let length = Duration::from_nanos(out.end_ns.saturating_sub(out.warmup_ns));
    for k in &KINDS {
        let h = (k.get)(&out.hist);
        let log = histograms::hlog(
            k.title,
            k.unit,
            &[Interval {
                tag: None,
                start,
                length,
                histogram: h,
            }],
        )?;
        files::write_atomic(&dir.join(format!("{}.hlog", k.name)), &log)?;
        let text = histograms::hgrm(h, k.title, k.unit);
        files::write_atomic(&dir.join(format!("{}.hgrm", k.name)), text.as_bytes())?;
    }
    let summary = Summary::new(out, seed, Some(wall.as_secs_f64()));
    files::write_json(&dir.join("summary.json"), &summary)?;
    Ok(summary)
}
