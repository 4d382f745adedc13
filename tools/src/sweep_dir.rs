//! The sweep directory format, which `sweep` writes and `merge` reads:
//!
//! - `sweep.json` ([`Manifest`]): what the directory holds;
//! - `points/pNNNN.json` ([`PointFile`]): a point's parameters and one
//!   summary per replication;
//! - `points/pNNNN.hlog`: its latency, waiting, first-token, slack and
//!   lateness histograms, one interval per replication, tagged `KIND.repR`.
//!
//! `results.csv` is computed from the point files only (the `results` module),
//! so a merged set of shards gives the same bytes as an unsharded sweep.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::failure::bad_input;
use crate::files;
use crate::histograms::{self, Interval, Tagged, KINDS};
use crate::summary::Summary;
use crate::sweep_grid::{Param, Point, Shard};

/// `sweep.json`: what a sweep (or shard) directory holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Scenario name.
    pub scenario_name: String,
    /// The base scenario (after `--set`), sweep section included, as RON.
    pub scenario: String,
    /// Axis paths, outermost first.
    pub axes: Vec<String>,
    /// Replications per point.
    pub replications: u32,
    /// Points in the whole grid.
    pub points: usize,
    /// The slice this directory holds (`null`: the whole grid).
    pub shard: Option<Shard>,
    /// Whether every point of the slice finished (false after Ctrl-C).
    pub complete: bool,
    /// Indices of the points present in `points/`, ascending.
    pub point_indices: Vec<usize>,
}

/// `points/pNNNN.json`: one point's parameters and per-replication summaries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointFile {
    /// Point index in grid order.
    pub index: usize,
    /// Its parameter values.
    pub params: Vec<Param>,
    /// One summary per replication, in replication order (no `wall_s`).
    pub replications: Vec<Summary>,
}

/// One finished replication of a point, as kept in its files.
pub struct Replication {
    /// Its summary (no `wall_s`).
    pub summary: Summary,
    /// Its histograms, one per [`kept_kinds`], in that order (ns).
    pub hists: Vec<Histogram<u64>>,
    /// Warm-up end, simulated ns.
    pub warmup_ns: u64,
    /// Simulated time reached, ns.
    pub end_ns: u64,
}

/// File names of point `index`: its `.json` and its `.hlog`.
pub fn point_paths(dir: &Path, index: usize) -> (PathBuf, PathBuf) {
    let d = dir.join("points");
    (
        d.join(format!("p{index:04}.json")),
        d.join(format!("p{index:04}.hlog")),
    )
}

/// The path of the manifest in `dir`.
pub fn manifest_path(dir: &Path) -> PathBuf {
    dir.join("sweep.json")
}

/// The histograms kept per replication (the deterministic ones in ns).
pub fn kept_kinds() -> impl Iterator<Item = &'static histograms::Kind> {
    KINDS
        .iter()
        .filter(|k| !k.host_dependent && k.unit == histograms::MILLISECONDS)
}

/// The tag of kind `name`, replication `rep` in a point's hlog.
pub fn tag(name: &str, rep: usize) -> String {
    format!("{name}.rep{rep}")
}

/// Writes point `point`'s files (`.hlog` first, then `.json`) into `dir/points/`.
///
/// # Errors
///
/// A histogram that cannot be serialized, or a file that cannot be written.
pub fn write_point(dir: &Path, point: &Point, reps: &[Replication]) -> anyhow::Result<()> {
    let (json_path, hlog_path) = point_paths(dir, point.index);
    let tags: Vec<Vec<String>> = kept_kinds()
        .map(|k| (0..reps.len()).map(|r| tag(k.name, r)).collect())
        .collect();
    let mut intervals = Vec::new();
    for (ki, _) in kept_kinds().enumerate() {
        for (r, rep) in reps.iter().enumerate() {
            intervals.push(Interval {
                tag: Some(&tags[ki][r]),
                start: Duration::from_nanos(rep.warmup_ns),
                length: Duration::from_nanos(rep.end_ns.saturating_sub(rep.warmup_ns)),
                histogram: &rep.hists[ki],
            });
        }
    }
    let title = format!("edgesim sweep point {}: {}", point.index, point.label(" "));
    let log = histograms::hlog(&title, histograms::MILLISECONDS, &intervals)?;
    files::write_atomic(&hlog_path, &log)?;
    let file = PointFile {
        index: point.index,
        params: point.params.clone(),
        replications: reps.iter().map(|r| r.summary.clone()).collect(),
    };
    files::write_json(&json_path, &file)
}

/// The tables computed from the point files, removed before the points change.
pub const TABLES: [&str; 2] = ["results.csv", "replications.csv"];

/// Makes `dir` honest before a sweep or merge writes into it: removes the
/// `results.csv` an earlier sweep left, writes the manifest `m` (which must
/// say `complete: false` and list no point), then removes the earlier
/// `points/` and creates it empty. Stopped at any step, the directory holds
/// either the earlier sweep (whole, without its `results.csv`) or one
/// marked incomplete: nothing of the earlier sweep can be mistaken for this
/// one's, and no `results.csv` sits beside point files it was not computed from.
///
/// # Errors
///
/// A file that cannot be written or removed.
pub fn start(dir: &Path, m: &Manifest) -> anyhow::Result<()> {
    debug_assert!(!m.complete && m.point_indices.is_empty());
    crate::out_dir::remove_outputs(dir, &TABLES)?;
    write_manifest(dir, m)?;
    crate::out_dir::remove_outputs(dir, &["points"])?;
    let points = dir.join("points");
    std::fs::create_dir_all(&points)
        .map_err(anyhow::Error::new)
        .map_err(|e| e.context(format!("creating {}", points.display())))
}

/// Prepares `dir` for `sweep --resume` of the sweep `m` (which must say
/// `complete: false` and list no point), whose points to run here are
/// `mine`; returns the indices of `mine` whose files an earlier run of the
/// same sweep finished, ascending, which need not run again.
///
/// A point is finished when its `.json` (written last, atomically, after
/// its `.hlog`: the point's completion marker) and its `.hlog` read back
/// and hold the point's index, parameters and replication count. Every
/// other file in `points/` — a lone `.hlog` of a point stopped midway, a
/// temporary file of a killed writer, a file of a point not in `mine` — is
/// removed, as are `results.csv` and `replications.csv` (before anything
/// else, with the manifest then marked incomplete). A directory without
/// `sweep.json` is started afresh ([`start`]).
///
/// # Errors
///
/// Bad input (exit status 2) when `dir/sweep.json` does not read back or
/// describes another sweep (scenario text after `--set`, axes,
/// replications, grid size or shard differ); a file that cannot be written
/// or removed.
pub fn resume(dir: &Path, m: &Manifest, mine: &[&Point]) -> anyhow::Result<Vec<usize>> {
    debug_assert!(!m.complete && m.point_indices.is_empty());
    if !manifest_path(dir).exists() {
        start(dir, m)?;
        return Ok(Vec::new());
    }
    let old = read_manifest(dir)?;
    let differs: Vec<&str> = [
        ("scenario", old.scenario != m.scenario),
        ("axes", old.axes != m.axes),
        ("replications", old.replications != m.replications),
        ("grid size", old.points != m.points),
        ("shard", old.shard != m.shard),
    ]
    .iter()
    .filter(|(_, d)| *d)
    .map(|(n, _)| *n)
    .collect();
    if !differs.is_empty() {
        return Err(bad_input(format!(
            "--resume: {} holds another sweep (its {} differ{} from this one's); run without --resume to start it over, or choose another --out",
            manifest_path(dir).display(),
            differs.join(", "),
            if differs.len() == 1 { "s" } else { "" }
        )));
    }
    crate::out_dir::remove_outputs(dir, &TABLES)?;
    write_manifest(dir, m)?;
    let points = dir.join("points");
    std::fs::create_dir_all(&points)
        .map_err(anyhow::Error::new)
        .map_err(|e| e.context(format!("creating {}", points.display())))?;
    let mut kept = Vec::new();
    let mut keep_names = std::collections::BTreeSet::new();
    for p in mine {
        let finished = read_point(dir, p.index).is_ok_and(|(f, _)| {
            f.params == p.params && f.replications.len() == m.replications as usize
        });
        if finished {
            kept.push(p.index);
            let (j, h) = point_paths(dir, p.index);
            keep_names.extend([j, h]);
        }
    }
    let entries = std::fs::read_dir(&points)
        .map_err(anyhow::Error::new)
        .map_err(|e| e.context(format!("reading {}", points.display())))?;
    for e in entries {
        let path = e
            .map_err(anyhow::Error::new)
            .map_err(|e| e.context(format!("reading {}", points.display())))?
            .path();
        if !keep_names.contains(&path) {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            crate::out_dir::remove_outputs(&points, &[name.as_deref().unwrap_or_default()])?;
        }
    }
    kept.sort_unstable();
    Ok(kept)
}

/// Writes `dir/sweep.json`.
///
/// # Errors
///
/// The file cannot be written.
pub fn write_manifest(dir: &Path, m: &Manifest) -> anyhow::Result<()> {
    files::write_json(&manifest_path(dir), m)
}

/// Reads `dir/sweep.json`.
///
/// # Errors
///
/// Bad input (exit status 2) naming the file: it cannot be read (not a
/// sweep directory) or is not a manifest.
pub fn read_manifest(dir: &Path) -> anyhow::Result<Manifest> {
    let p = manifest_path(dir);
    let text = std::fs::read_to_string(&p).map_err(|e| {
        bad_input(format!(
            "cannot read {}: {e} (not a sweep directory?)",
            p.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| bad_input(format!("{}: {e}", p.display())))
}

/// Reads point `index`'s `.json` file only.
///
/// # Errors
///
/// Bad input (exit status 2) naming the file: it cannot be read or parsed,
/// or holds another index.
pub fn read_point_file(dir: &Path, index: usize) -> anyhow::Result<PointFile> {
    let jp = point_paths(dir, index).0;
    let text = std::fs::read_to_string(&jp)
        .map_err(|e| bad_input(format!("cannot read {}: {e}", jp.display())))?;
    let file: PointFile =
        serde_json::from_str(&text).map_err(|e| bad_input(format!("{}: {e}", jp.display())))?;
    if file.index != index {
        return Err(bad_input(format!(
            "{}: holds point {}, expected {index}",
            jp.display(),
            file.index
        )));
    }
    Ok(file)
}

/// Reads one point's files.
///
/// # Errors
///
/// Bad input (exit status 2) naming the file: a file that cannot be read or
/// parsed, or a point file holding another index.
pub fn read_point(dir: &Path, index: usize) -> anyhow::Result<(PointFile, Tagged)> {
    let file = read_point_file(dir, index)?;
    let hp = point_paths(dir, index).1;
    let bytes =
        std::fs::read(&hp).map_err(|e| bad_input(format!("cannot read {}: {e}", hp.display())))?;
    let hists =
        histograms::read_hlog(&bytes).map_err(|e| bad_input(format!("{}: {e:#}", hp.display())))?;
    Ok((file, hists))
}
