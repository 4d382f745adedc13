//! The files of one run's output directory (docs/cli.md, `run`): the rows
//! of `epochs.csv`, the histograms (`.hlog`, `.hgrm`) and `summary.json`.
//! With service classes (MODEL.md §12), each class's histograms go to
//! `classes/<name>/` under the same file names (all but the host-dependent
//! solve time, which belongs to epochs, not requests).

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use sim_models::{EpochRecord, Histograms, RunOutput};

use crate::files::{self, AtomicFile};
use crate::histograms::{self, KINDS};
use crate::summary::Summary;
use crate::table::{self, Num};
use hdrhistogram::serialization::Serializer as _;

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
    "se_up_mean",
    "se_down_mean",
    "no_rate_users",
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
    /// Mean `SE^U` of the requests started, b/s/Hz (empty: none started).
    pub se_up_mean: Option<Num>,
    /// Mean `SE^D` of the requests started, b/s/Hz (empty: none started).
    pub se_down_mean: Option<Num>,
    /// Users with a pending request and `SE^U = 0` (cannot upload), count.
    pub no_rate_users: u64,
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
            se_up_mean: r.se_up_mean.map(Num),
            se_down_mean: r.se_down_mean.map(Num),
            no_rate_users: r.no_rate_users,
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
        "plots",
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

/// Writes `h`'s `.hlog` and `.hgrm` of kind `k` into `dir`. The `.hlog`
/// holds one interval per cut: `cuts` are the instants (ns) that close
/// each period, ascending, with the cumulative histograms there, V2-encoded
/// (decoded one at a time); the intervals are `[W, t₁]`, `[t₁, t₂]`, …,
/// `[t_last, end]`, each the values recorded in it (a snapshot minus the one
/// before). No cuts: one interval `[W, end]`.
fn write_histogram(
    dir: &Path,
    k: &histograms::Kind,
    h: &hdrhistogram::Histogram<u64>,
    title: &str,
    cuts: &[(u64, &[u8])],
    (warmup_ns, end_ns): (u64, u64),
) -> anyhow::Result<()> {
    let mut decoder = hdrhistogram::serialization::Deserializer::new();
    let mut cuts = cuts.iter().filter(|(t, _)| *t < end_ns);
    let mut prev: Option<hdrhistogram::Histogram<u64>> = None;
    let mut prev_t = warmup_ns;
    let mut done = false;
    let mut next =
        || -> anyhow::Result<Option<(Duration, Duration, hdrhistogram::Histogram<u64>)>> {
            if done {
                return Ok(None);
            }
            let (t, cum) = match cuts.next() {
                Some((t, bytes)) => {
                    let cum: hdrhistogram::Histogram<u64> = decoder
                        .deserialize(&mut &bytes[..])
                        .map_err(|e| anyhow::anyhow!("{}: decoding a snapshot: {e:?}", k.name))?;
                    (*t, cum)
                }
                None => {
                    done = true;
                    (end_ns.max(warmup_ns), h.clone())
                }
            };
            let mut part = cum.clone();
            if let Some(p) = &prev {
                part.subtract(p)
                    .map_err(|e| anyhow::anyhow!("{}: cutting intervals: {e:?}", k.name))?;
            }
            let interval = (
                Duration::from_nanos(prev_t),
                Duration::from_nanos(t.saturating_sub(prev_t)),
                part,
            );
            prev = Some(cum);
            prev_t = t;
            Ok(Some(interval))
        };
    let log = histograms::hlog_each(title, k.unit, &mut next)?;
    files::write_atomic(&dir.join(k.hlog_file), &log)?;
    let text = histograms::hgrm(h, title, k.unit);
    files::write_atomic(&dir.join(k.hgrm_file), text.as_bytes())
}

/// Parses an `--hlog-interval` period: a positive number of seconds,
/// optionally with a unit `ms`, `s`, `m` or `h` (`60s`, `0.5`, `2m`), to ns.
///
/// # Errors
///
/// A message saying what is wrong: no number, an unknown unit, a period
/// that is not positive or is shorter than 1 ms or longer than a year.
pub fn parse_period(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (num, scale) = [("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        .iter()
        .find_map(|(u, f)| Some((t.strip_suffix(u)?, *f)))
        .unwrap_or((t, 1e9));
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("expected a period such as `60s`, `500ms` or `2m`, got `{text}`"))?;
    let ns = v * scale;
    if !(1e6..=365.0 * 86400e9).contains(&ns) {
        return Err(format!(
            "the period must be within 1 ms and a year, got `{text}`"
        ));
    }
    Ok(ns.round() as u64)
}

/// The run's histograms as they stood at the end of the epochs that closed
/// each period: with period `P` and warm-up `W`, the first epoch with
/// `t_k ≥ W + P`, then the first with `t_k ≥ W + 2P`, … (fed by the
/// simulation's per-epoch histogram hook). In continuous serving, which has
/// no epochs, at exactly `W + P`, `W + 2P`, … (fed by the per-period hook).
/// Each snapshot is kept V2-encoded (its non-empty buckets only, a few kB),
/// not as histograms (each the size of its whole value range, up to ~0.4 MB),
/// so a run of many periods stays small. [`write_outputs`] writes the
/// differences between consecutive snapshots as the intervals of each `.hlog`.
pub struct Snapshots {
    period_ns: u64,
    next_ns: u64,
    /// Per cut: its instant and each of [`KINDS`]' cumulative histograms, V2-encoded.
    taken: Vec<(u64, Vec<Vec<u8>>)>,
    /// The first snapshot that could not be encoded (reported by [`write_outputs`]).
    failure: Option<String>,
}

impl Snapshots {
    /// Snapshots every `period_ns` after the warm-up `warmup_ns`.
    pub fn new(period_ns: u64, warmup_ns: u64) -> Snapshots {
        Snapshots {
            period_ns,
            next_ns: warmup_ns.saturating_add(period_ns),
            taken: Vec::new(),
            failure: None,
        }
    }

    fn take(&mut self, t_ns: u64, hist: &Histograms) {
        let mut encoder = hdrhistogram::serialization::V2Serializer::new();
        let mut per_kind = Vec::with_capacity(KINDS.len());
        for k in &KINDS {
            let mut bytes = Vec::new();
            if let Err(e) = encoder.serialize((k.get)(hist), &mut bytes) {
                self.failure
                    .get_or_insert_with(|| format!("{}: encoding a snapshot: {e:?}", k.name));
            }
            per_kind.push(bytes);
        }
        self.taken.push((t_ns, per_kind));
    }

    /// Takes the snapshot of a cut at exactly `t_ns` (continuous serving,
    /// whose simulation calls back at every `W + j·P`, MODEL.md §13).
    pub fn cut(&mut self, t_ns: u64, hist: &Histograms) {
        self.take(t_ns, hist);
    }

    /// Takes a snapshot if epoch `rec` closes a period.
    pub fn observe(&mut self, rec: &EpochRecord, hist: &Histograms) {
        if rec.t_k_ns >= self.next_ns {
            self.take(rec.t_k_ns, hist);
            while self.next_ns <= rec.t_k_ns {
                self.next_ns = self.next_ns.saturating_add(self.period_ns);
            }
        }
    }
}

/// Writes the histograms (`.hlog`, `.hgrm`) of `out` into `dir` and, last,
/// `summary.json`; returns the summary. Each `.hlog` holds one interval,
/// `[W, end]`, or with `snapshots` one per period: `[W, t₁]`, `[t₁, t₂]`,
/// …, `[t_last, end]`, each holding the values recorded in it (a snapshot
/// minus the one before); the `.hgrm` files cover the whole run.
///
/// # Errors
///
/// A histogram that cannot be serialized, or a file that cannot be written.
pub fn write_outputs(
    out: &RunOutput,
    seed: u64,
    wall: Duration,
    dir: &Path,
    snapshots: Option<&Snapshots>,
) -> anyhow::Result<Summary> {
    if let Some(m) = snapshots.and_then(|s| s.failure.as_ref()) {
        anyhow::bail!("--hlog-interval: {m}");
    }
    let taken: &[(u64, Vec<Vec<u8>>)] = snapshots.map_or(&[], |s| &s.taken);
    for (i, k) in KINDS.iter().enumerate() {
        let cuts: Vec<(u64, &[u8])> = taken.iter().map(|(t, s)| (*t, &s[i][..])).collect();
        let span = (out.warmup_ns, out.end_ns);
        write_histogram(dir, k, (k.get)(&out.hist), k.title, &cuts, span)?;
    }
    for c in &out.classes {
        let cdir = class_dir(dir, &c.name);
        std::fs::create_dir_all(&cdir).with_context(|| format!("creating {}", cdir.display()))?;
        // Request measures, and in continuous serving the KV blocks the
        // class's requests hold (only where the run reports the share: the
        // epoch pipeline has none); not solve time, the host's.
        let kv = c.kv_block_utilisation.is_some();
        for k in KINDS
            .iter()
            .filter(|k| !k.host_dependent && (kv || k.name != "kv_blocks"))
        {
            let title = if k.name == "kv_blocks" {
                format!(
                    "KV blocks held by requests of class {} over time, per instance (continuous serving)",
                    c.name
                )
            } else {
                format!("{}, class {}", k.title, c.name)
            };
            // Per-class logs hold one interval (the snapshots keep totals only).
            let span = (out.warmup_ns, out.end_ns);
            write_histogram(&cdir, k, (k.get)(&c.hist), &title, &[], span)?;
        }
    }
    let summary = Summary::new(out, seed, Some(wall.as_secs_f64()));
    files::write_json(&dir.join("summary.json"), &summary)?;
    Ok(summary)
}
