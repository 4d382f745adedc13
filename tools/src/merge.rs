//! `edgesim merge`: combines the directories of a sharded sweep into one
//! directory identical to what an unsharded sweep writes (the same point
//! files, `sweep.json` and `results.csv`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use tools::failure::bad_input;
use tools::sweep_dir::{point_paths, read_manifest, write_manifest, Manifest};
use tools::{files, results};

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

/// Merges; returns the output directory and the number of points.
pub fn run(a: &MergeArgs) -> anyhow::Result<(PathBuf, usize)> {
    let mut manifests = Vec::new();
    for d in &a.dirs {
        manifests.push((d, read_manifest(d)?));
    }
    let (first_dir, first) = &manifests[0];
    let mut owner: BTreeMap<usize, &PathBuf> = BTreeMap::new();
    for (d, m) in &manifests {
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
                "{} is incomplete (the sweep was interrupted); run that shard again",
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
            if let Some(other) = owner.insert(i, d) {
                if other != *d {
                    return Err(bad_input(format!(
                        "point {i} is in both {} and {}",
                        other.display(),
                        d.display()
                    )));
                }
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
        .unwrap_or_else(|| files::default_out(&first.scenario_name));
    for (&i, src) in &owner {
        let (sj, sh) = point_paths(src, i);
        let (dj, dh) = point_paths(&out, i);
        for (s, d) in [(sj, dj), (sh, dh)] {
            let bytes = std::fs::read(&s)
                .map_err(|e| bad_input(format!("cannot read {}: {e}", s.display())))?;
            files::write_atomic(&d, &bytes)?;
        }
    }
    let manifest = Manifest {
        shard: None,
        complete: true,
        point_indices: (0..first.points).collect(),
        ..first.clone()
    };
    write_manifest(&out, &manifest)?;
    results::write(&out, &manifest).with_context(|| format!("merging into {}", out.display()))?;
    Ok((out, first.points))
}
