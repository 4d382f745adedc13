//! `edgesim merge`: combines the directories of a sharded sweep into one
//! directory identical to what an unsharded sweep writes (the same point
//! files, `sweep.json` and `results.csv`).
//!
//! Every input is checked, and `results.csv` computed from the shards,
//! before anything is written; the output directory is then held (lock
//! file), marked incomplete, cleared of an earlier sweep's points and
//! results, filled, and marked complete last. On a failure after that, the
//! points and results written are removed and the manifest stays incomplete.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use tools::failure::bad_input;
use tools::out_dir::{self, DirLock};
use tools::sweep_dir::{self, point_paths, read_manifest, write_manifest, Manifest};
use tools::{files, replications, results};

/// Options of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard directories (written by `sweep --shard K/N`).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Output directory [default: out/<scenario name>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `d` made absolute with symbolic links resolved (so `s1`, `./s1` and
/// `s1/` are one directory); bad input if it does not exist.
fn canonical(d: &Path) -> anyhow::Result<PathBuf> {
    d.canonicalize()
        .map_err(|e| bad_input(format!("cannot read directory {}: {e}", d.display())))
}

/// Where `merge` writes without `--out`: the directory that holds the shard
/// `first` when it is a default shard directory (`…/NAME/shard-K-of-N/`, as
/// `sweep --shard` names them, so the merge lands where the unsharded sweep
/// would write), else `out/<scenario name>/`.
fn default_out(first: &Path, m: &Manifest) -> PathBuf {
    let shard_dir = m
        .shard
        .map(|s| format!("shard-{}-of-{}", s.k, s.n))
        .is_some_and(|n| first.file_name().is_some_and(|f| f == n.as_str()));
    match first.parent() {
        Some(p) if shard_dir && !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => files::default_out(&m.scenario_name),
    }
}

/// Merges; returns the output directory and the number of points.
pub fn run(a: &MergeArgs) -> anyhow::Result<(PathBuf, usize)> {
    // Inputs: every directory once, every manifest readable and alike.
    let mut manifests: Vec<(&PathBuf, PathBuf, Manifest)> = Vec::new();
    for d in &a.dirs {
        let c = canonical(d)?;
        if let Some((other, _, _)) = manifests.iter().find(|(_, oc, _)| *oc == c) {
            return Err(bad_input(format!(
                "{} and {} are the same directory; give each shard once",
                other.display(),
                d.display()
            )));
        }
        let m = read_manifest(d)?;
        manifests.push((d, c, m));
    }
    let (first_dir, _, first) = &manifests[0];
    let mut owner: BTreeMap<usize, &Path> = BTreeMap::new();
    for (d, _, m) in &manifests {
        if m.scenario != first.scenario
            || m.axes != first.axes
            || m.replications != first.replications
            || m.points != first.points
        {
            return Err(bad_input(format!(
                "{} and {} hold different sweeps (scenario, axes, replications or grid size differ)",
                first_dir.display(),
                d.display()
            )));
        }
        if !m.complete {
            return Err(bad_input(format!(
                "{} is incomplete (the sweep was interrupted or failed); run that shard again",
                d.display()
            )));
        }
        for &i in &m.point_indices {
            if i >= m.points {
                return Err(bad_input(format!(
                    "{}: point {i} is outside the grid",
                    d.display()
                )));
            }
            if let Some(other) = owner.insert(i, d.as_path()) {
                return Err(bad_input(format!(
                    "point {i} is in both {} and {}",
                    other.display(),
                    d.display()
                )));
            }
        }
    }
    let missing: Vec<usize> = (0..first.points)
        .filter(|i| !owner.contains_key(i))
        .collect();
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(20).map(|i| i.to_string()).collect();
        return Err(bad_input(format!(
            "{} of {} points are missing (e.g. {}); give every shard's directory",
            missing.len(),
            first.points,
            shown.join(", ")
        )));
    }
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| default_out(first_dir, first));
    if let Ok(c) = out.canonicalize() {
        if let Some((d, _, _)) = manifests.iter().find(|(_, dc, _)| *dc == c) {
            return Err(bad_input(format!(
                "the output directory {} is the input {}; choose another --out",
                out.display(),
                d.display()
            )));
        }
    }
    let manifest = Manifest {
        shard: None,
        complete: true,
        point_indices: (0..first.points).collect(),
        ..first.clone()
    };
    // Reads and checks every point file of every shard.
    let rows = results::rows_from(&manifest, |i| owner[&i])?;
    let rep_rows = replications::rows_from(&manifest, |i| owner[&i])?;
    let mut sources = Vec::new();
    for (&i, src) in &owner {
        let (sj, sh) = point_paths(src, i);
        for s in [sj, sh] {
            let bytes = std::fs::read(&s)
                .map_err(|e| bad_input(format!("cannot read {}: {e}", s.display())))?;
            sources.push((i, s, bytes));
        }
    }

    let _lock = DirLock::acquire(&out)?;
    let incomplete = Manifest {
        complete: false,
        point_indices: Vec::new(),
        ..manifest.clone()
    };
    sweep_dir::start(&out, &incomplete)?;
    let written = (|| -> anyhow::Result<()> {
        for (i, s, bytes) in &sources {
            let (dj, dh) = point_paths(&out, *i);
            let d = if s.extension().is_some_and(|x| x == "json") {
                dj
            } else {
                dh
            };
            files::write_atomic(&d, bytes)?;
        }
        results::write_rows(&out, &manifest, &rows)?;
        replications::write_rows(&out, &manifest, &rep_rows)?;
        write_manifest(&out, &manifest)
    })();
    if let Err(e) = written {
        let _ = out_dir::remove_outputs(&out, &sweep_dir::TABLES);
        let _ = out_dir::remove_outputs(&out, &["points"]);
        return Err(e).with_context(|| format!("merging into {}", out.display()));
    }
    Ok((out, first.points))
}
