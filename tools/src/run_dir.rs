//! The files of one run's output directory (docs/cli.md, `run`): the rows
//! of `epochs.csv`, the histograms (`.hlog`, `.hgrm`) and `summary.json`.
//! With service classes (MODEL.md §12), each class's histograms go to
//! `classes/<name>/` under the same file names (all but the host-dependent
//! solve time, which belongs to epochs, not requests).

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use sim_models::{EpochRecord, RunOutput};

use crate::files::{self, AtomicFile};
use crate::histograms::{self, Interval, KINDS};
use crate::summary::Summary;
use crate::table::{self, Num};

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

/// One row of `epochs.csv`, in [`EPOCH_COLUMNS`] order (times in s).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EpochRow {
    /// `k`.
    pub epoch: u64,
    /// `t_k`, s.
    pub t_k_s: Num,
    /// Requests handed to the scheduler.
    pub queue_len: u64,
    /// Requests started.
    pub batch_size: u64,
    /// Jobs started.
    pub jobs: u64,
    /// Padded prompt length, tokens.
    pub s_pad: u32,
    /// Compute time, s.
    pub t_batch_s: Num,
    /// Highest KV occupancy brought by a job started, bytes.
    pub kv_peak_bytes: Num,
    /// `Σ ρU`, fraction.
    pub rho_up: Num,
    /// `Σ ρD`, fraction.
    pub rho_down: Num,
    /// Search nodes visited.
    pub nodes: u64,
    /// Leaves checked.
    pub leaves: u64,
    /// Scheduler wall time, ns.
    pub solve_ns: u64,
    /// Requests dropped as unable to meet their deadline.
    pub expired: u64,
    /// Requests dropped unscheduled.
    pub dropped: u64,
    /// Jobs refused by the plan check.
    pub violations: u64,
    /// Ids started, ascending, separated by spaces.
    pub selected: String,
}

impl From<&EpochRecord> for EpochRow {
    fn from(r: &EpochRecord) -> EpochRow {
        let ids: Vec<String> = r.selected.iter().map(|i| i.to_string()).collect();
        EpochRow {
            epoch: r.epoch,
            t_k_s: Num(r.t_k_ns as f64 / 1e9),
            queue_len: r.queue_len,
            batch_size: r.batch_size,
            jobs: r.jobs,
            s_pad: r.s_pad,
            t_batch_s: Num(r.t_batch_ns as f64 / 1e9),
            kv_peak_bytes: Num(r.kv_peak_bytes),
            rho_up: Num(r.rho_up),
            rho_down: Num(r.rho_down),
            nodes: r.nodes,
            leaves: r.leaves,
            solve_ns: r.solve_ns,
            expired: r.expired,
            dropped: r.dropped,
            violations: r.violations,
            selected: ids.join(" "),
        }
    }
}

/// `epochs.csv` being streamed, one row per epoch, under a temporary name
/// until [`EpochsFile::commit`]; dropped uncommitted, it leaves nothing.
pub struct EpochsFile {
    csv: csv::Writer<AtomicFile>,
}

impl EpochsFile {
    /// Starts `dir/epochs.csv` with its header.
    ///
    /// # Errors
    ///
    /// The temporary file cannot be created or written.
    pub fn create(dir: &Path) -> anyhow::Result<EpochsFile> {
        let path = dir.join("epochs.csv");
        let mut csv = table::writer(AtomicFile::create(&path)?);
        csv.write_record(EPOCH_COLUMNS)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(EpochsFile { csv })
    }

    /// Appends the row of `r`.
    ///
    /// # Errors
    ///
    /// The file cannot be written.
    pub fn push(&mut self, r: &EpochRecord) -> anyhow::Result<()> {
        self.csv
            .serialize(EpochRow::from(r))
            .context("writing epochs.csv")
    }

    /// Flushes, fsyncs and renames the file into place.
    ///
    /// # Errors
    ///
    /// The file cannot be written.
    pub fn commit(self) -> anyhow::Result<()> {
        let file = self
            .csv
            .into_inner()
            .map_err(|e| e.into_error())
            .context("writing epochs.csv")?;
        file.commit()
    }
}

/// The files and directories a run owns in its output directory, in the
/// order to remove them (`summary.json`, which says a run finished, first).
pub fn owned_names() -> Vec<&'static str> {
    let mut names = vec![
        "summary.json",
        "epochs.csv",
        crate::request_log::REQUEST_LOG_FILE,
        "instances",
        CLASSES_DIR,
    ];
    for k in &KINDS {
        names.push(k.hlog_file);
        names.push(k.hgrm_file);
    }
    names
}

/// The directory of per-class histograms in a run's directory.
pub const CLASSES_DIR: &str = "classes";

/// The directory of class `name`'s histograms in the run directory `dir`.
pub fn class_dir(dir: &Path, name: &str) -> std::path::PathBuf {
    dir.join(CLASSES_DIR).join(name)
}

/// Writes `h`'s `.hlog` and `.hgrm` of kind `k` into `dir`.
fn write_histogram(
    dir: &Path,
    k: &histograms::Kind,
    h: &hdrhistogram::Histogram<u64>,
    title: &str,
    start: Duration,
    length: Duration,
) -> anyhow::Result<()> {
    let log = histograms::hlog(
        title,
        k.unit,
        &[Interval {
            tag: None,
            start,
            length,
            histogram: h,
        }],
    )?;
    files::write_atomic(&dir.join(k.hlog_file), &log)?;
    let text = histograms::hgrm(h, title, k.unit);
    files::write_atomic(&dir.join(k.hgrm_file), text.as_bytes())
}

/// Writes the histograms (`.hlog`, `.hgrm`) of `out` into `dir` (and of
/// each service class into `classes/<name>/`) and, last, `summary.json`;
/// returns the summary.
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
        write_histogram(dir, k, (k.get)(&out.hist), k.title, start, length)?;
    }
    for c in &out.classes {
        let cdir = class_dir(dir, &c.name);
        std::fs::create_dir_all(&cdir).with_context(|| format!("creating {}", cdir.display()))?;
        for k in KINDS.iter().filter(|k| !k.host_dependent) {
            let title = format!("{}, class {}", k.title, c.name);
            write_histogram(&cdir, k, (k.get)(&c.hist), &title, start, length)?;
        }
    }
    let summary = Summary::new(out, seed, Some(wall.as_secs_f64()));
    files::write_json(&dir.join("summary.json"), &summary)?;
    Ok(summary)
}
