//! `edgesim sweep`: every point of a scenario's `sweep` grid × every
//! replication, in parallel, with per-point files that `merge` can combine.
//!
//! Semantics (docs/cli.md has the full description):
//! - the grid is the Cartesian product of the `sweep.grid` axes, the first
//!   axis outermost; points are numbered from 0 in that order;
//! - replication `r` of every point runs with master seed `seed + r` (the
//!   point's scenario seed, wrapping), so points share random numbers
//!   (common random numbers) and nothing depends on `--jobs` or `--shard`;
//! - `--shard K/N` runs the points whose index `i` has `i mod N = K − 1`
//!   (round robin, which spreads slow and fast points evenly);
//! - each point gets `points/pNNNN.json` (its parameters and one summary per
//!   replication) and `points/pNNNN.hlog` (its latency, waiting, first-token,
//!   slack and lateness histograms, one interval per replication, tagged
//!   `KIND.repR`); `results.csv` is computed from those files only, so a
//!   merged set of shards gives the same bytes as an unsharded sweep.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use hdrhistogram::Histogram;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sim_models::{RunOptions, Scenario};

use crate::failure::bad_input;
use crate::histograms::{self, Interval, KINDS};
use crate::progress::CountBar;
use crate::summary::Summary;
use crate::{files, interrupt, load, results};

/// Options of `sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file with a `sweep` section.
    pub scenario: PathBuf,
    /// Output directory [default: out/<scenario name>/, or out/<name>/shard-K-of-N/ with --shard].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Parallel runs [default: the number of CPUs].
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Run only the K-th of N slices of the grid (points i with i mod N = K − 1), e.g. `--shard 2/8`.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Override a field of the base scenario (before the grid is applied; repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// A slice of the grid: the `k`-th (1-based) of `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which slice, 1 ≤ k ≤ n.
    pub k: usize,
    /// How many slices.
    pub n: usize,
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("expected K/N (e.g. 1/4), got `{s}`"))?;
    let k: usize = k.trim().parse().map_err(|_| format!("bad K in `{s}`"))?;
    let n: usize = n.trim().parse().map_err(|_| format!("bad N in `{s}`"))?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("need 1 ≤ K ≤ N, got {k}/{n}"));
    }
    Ok(Shard { k, n })
}

impl Shard {
    /// Whether point `index` belongs to this shard.
    pub fn holds(&self, index: usize) -> bool {
        index % self.n == self.k - 1
    }
}

/// One grid parameter: a field path and its value's RON text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// Dotted field path (`arrivals.rate`).
    pub path: String,
    /// The value as written in the scenario's sweep section.
    pub value: String,
}

/// One grid point.
#[derive(Clone, Debug)]
pub struct Point {
    /// Index in grid order (first axis outermost).
    pub index: usize,
    /// Its parameter values, one per axis.
    pub params: Vec<Param>,
    /// The base scenario with those values applied (and no sweep section).
    pub scenario: Scenario,
}

/// The expanded, checked grid of a scenario's sweep.
#[derive(Clone, Debug)]
pub struct Grid {
    /// Axis paths, outermost first.
    pub axes: Vec<String>,
    /// Every point, in grid order.
    pub points: Vec<Point>,
    /// Replications per point.
    pub replications: u32,
}

impl Grid {
    /// Expands `base.sweep` and checks every point (the range checks of
    /// [`Scenario::sweep_points`] and the scheduler's load-time checks), so
    /// that a sweep never fails midway on bad input.
    pub fn new(base: &Scenario, origin: &str) -> anyhow::Result<Grid> {
        let spec = base
            .sweep
            .as_ref()
            .ok_or_else(|| bad_input(format!("{origin}: the scenario has no `sweep` section")))?;
        let axes: Vec<String> = spec.grid.iter().map(|a| a.path.clone()).collect();
        let mut points = Vec::new();
        for p in base
            .sweep_points()
            .map_err(|e| load::scenario_error(origin, e))?
        {
            let at = format!("{origin} (sweep point {}: {})", p.index, p.label());
            load::scheduler(&p.scenario, &at)?;
            points.push(Point {
                index: p.index,
                params: p
                    .params
                    .into_iter()
                    .map(|(path, value)| Param { path, value })
                    .collect(),
                scenario: p.scenario,
            });
        }
        Ok(Grid {
            axes,
            points,
            replications: spec.replications,
        })
    }
}

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

/// File names of point `index`.
pub fn point_paths(dir: &Path, index: usize) -> (PathBuf, PathBuf) {
    let d = dir.join("points");
    (
        d.join(format!("p{index:04}.json")),
        d.join(format!("p{index:04}.hlog")),
    )
}

/// The histograms kept per replication (deterministic ones in ns).
pub fn kept_kinds() -> impl Iterator<Item = &'static histograms::Kind> {
    KINDS
        .iter()
        .filter(|k| !k.host_dependent && k.unit == histograms::MILLISECONDS)
}

/// The tag of kind `name`, replication `rep` in a point's hlog.
pub fn tag(name: &str, rep: usize) -> String {
    format!("{name}.rep{rep}")
}

struct RepResult {
    summary: Summary,
    hists: Vec<Histogram<u64>>,
    warmup_ns: u64,
    end_ns: u64,
}

fn run_rep(point: &Point, rep: u32, origin: &str) -> anyhow::Result<Option<RepResult>> {
    let mut s = point.scenario.clone();
    s.seed = s.seed.wrapping_add(rep as u64);
    let mut scheduler = load::scheduler(&s, origin)?;
    let opts = RunOptions {
        stop: Some(interrupt::stop_flag()),
        ..RunOptions::default()
    };
    let out = sim_models::run(&s, scheduler.as_mut(), opts).with_context(|| {
        format!(
            "{origin}: sweep point {}, replication {rep} (seed {})",
            point.index, s.seed
        )
    })?;
    if out.partial {
        return Ok(None);
    }
    Ok(Some(RepResult {
        summary: Summary::new(&out, s.seed, None),
        hists: kept_kinds().map(|k| (k.get)(&out.hist).clone()).collect(),
        warmup_ns: out.warmup_ns,
        end_ns: out.end_ns,
    }))
}

fn write_point(dir: &Path, point: &Point, reps: &[RepResult]) -> anyhow::Result<()> {
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
    let title = format!(
        "edgesim sweep point {}: {}",
        point.index,
        point
            .params
            .iter()
            .map(|p| format!("{}={}", p.path, p.value))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let log = histograms::hlog(&title, histograms::MILLISECONDS, &intervals)?;
    files::write_atomic(&hlog_path, &log)?;
    let file = PointFile {
        index: point.index,
        params: point.params.clone(),
        replications: reps.iter().map(|r| r.summary.clone()).collect(),
    };
    let mut json = serde_json::to_string_pretty(&file).expect("a point always serializes");
    json.push('\n');
    files::write_atomic(&json_path, json.as_bytes())
}

/// Writes `sweep.json`.
pub fn write_manifest(dir: &Path, m: &Manifest) -> anyhow::Result<()> {
    let mut json = serde_json::to_string_pretty(m).expect("a manifest always serializes");
    json.push('\n');
    files::write_atomic(&dir.join("sweep.json"), json.as_bytes())
}

/// What `sweep` did.
pub struct Outcome {
    /// Output directory.
    pub dir: PathBuf,
    /// Points run (in this shard).
    pub points: usize,
    /// Runs done.
    pub runs: usize,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
    /// Whether results.csv was written (a whole grid).
    pub results: bool,
}

/// Runs the sweep.
pub fn run(a: &SweepArgs) -> anyhow::Result<Outcome> {
    let origin = load::origin(Some(&a.scenario));
    let base = load::scenario(Some(&a.scenario), &a.set, None)?;
    let grid = Grid::new(&base, &origin)?;
    let dir = a.out.clone().unwrap_or_else(|| {
        let d = crate::run::default_out(&base.name);
        match a.shard {
            Some(s) => d.join(format!("shard-{}-of-{}", s.k, s.n)),
            None => d,
        }
    });
    let jobs = match a.jobs {
        Some(0) => return Err(bad_input("--jobs must be ≥ 1")),
        Some(j) => j,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .context("starting the worker threads")?;
    let mine: Vec<&Point> = grid
        .points
        .iter()
        .filter(|p| a.shard.is_none_or(|s| s.holds(p.index)))
        .collect();
    // The handler is installed before anything is written.
    let stop = interrupt::stop_flag();
    std::fs::create_dir_all(dir.join("points"))
        .with_context(|| format!("creating {}", dir.join("points").display()))?;
    let reps = grid.replications;
    let bar = CountBar::new(
        mine.len() as u64 * reps as u64,
        crate::progress::wanted(a.quiet),
        "runs",
    );
    let mut done = Vec::new();
    let mut runs = 0;
    // Waves of `jobs` points bound the memory held (every replication's
    // histograms) while keeping all workers busy.
    for wave in mine.chunks(jobs.max(1)) {
        let tasks: Vec<(usize, u32)> = (0..wave.len())
            .flat_map(|i| (0..reps).map(move |r| (i, r)))
            .collect();
        let results: Vec<anyhow::Result<Option<RepResult>>> = pool.install(|| {
            tasks
                .par_iter()
                .map(|&(i, r)| {
                    let res = run_rep(wave[i], r, &origin);
                    bar.inc();
                    res
                })
                .collect()
        });
        let mut it = results.into_iter();
        for p in wave {
            let mut point_reps = Vec::with_capacity(reps as usize);
            for _ in 0..reps {
                if let Some(rep) = it.next().expect("one result per task")? {
                    point_reps.push(rep);
                }
            }
            if point_reps.len() == reps as usize {
                write_point(&dir, p, &point_reps)?;
                done.push(p.index);
                runs += point_reps.len();
            }
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
    }
    bar.finish();
    let interrupted = stop.load(Ordering::SeqCst) && done.len() < mine.len();
    let manifest = Manifest {
        scenario_name: base.name.clone(),
        scenario: base.to_ron_string(),
        axes: grid.axes.clone(),
        replications: reps,
        points: grid.points.len(),
        shard: a.shard,
        complete: !interrupted,
        point_indices: done.clone(),
    };
    write_manifest(&dir, &manifest)?;
    let whole = !interrupted && done.len() == grid.points.len();
    if whole {
        results::write(&dir, &manifest)?;
    }
    Ok(Outcome {
        dir,
        points: done.len(),
        runs,
        interrupted,
        results: whole,
    })
}
