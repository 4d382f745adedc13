//! `edgesim sweep`: every point of a scenario's `sweep` grid × every
//! replication, in parallel on a private rayon pool, written as per-point
//! files that `merge` can combine (docs/cli.md has the full description).
//!
//! Glue: the grid and its checks are `tools::sweep_grid`, the directory
//! format `tools::sweep_dir`, `results.csv` `tools::results`. Here: the
//! flags, the waves of runs, Ctrl-C and the progress bar. Replication `r`
//! of every point runs with master seed `seed + r` (common random numbers),
//! so nothing depends on `--jobs` or `--shard`.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use anyhow::Context;
use clap::Args;
use rayon::prelude::*;
use sim_models::RunOptions;
use tools::failure::bad_input;
use tools::out_dir::DirLock;
use tools::summary::Summary;
use tools::sweep_dir::{self, kept_kinds, write_manifest, write_point, Manifest, Replication};
use tools::sweep_grid::{Grid, Point, Shard};
use tools::{replications, results, scenario_file as load};

use crate::interrupt;
use crate::progress::CountBar;

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
    /// Complete a stopped sweep in --out: keep its finished points, run the others.
    #[arg(long)]
    pub resume: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    Shard::parse(s)
}

fn run_rep(point: &Point, rep: u32, origin: &str) -> anyhow::Result<Option<Replication>> {
    let mut s = point.scenario.clone();
    // `Grid::new` checked that seed + replications − 1 fits in a u64.
    s.seed += u64::from(rep);
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
    Ok(Some(Replication {
        summary: Summary::new(&out, s.seed, None),
        hists: kept_kinds().map(|k| (k.get)(&out.hist).clone()).collect(),
        warmup_ns: out.warmup_ns,
        end_ns: out.end_ns,
    }))
}

/// What `sweep` did.
pub struct Outcome {
    /// Output directory.
    pub dir: PathBuf,
    /// Points present (in this shard), those kept by `--resume` included.
    pub points: usize,
    /// Points kept from the earlier run by `--resume`.
    pub resumed: usize,
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
        let d = load::default_out(Some(&a.scenario), &base);
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
    let reps = grid.replications;
    let mut manifest = Manifest {
        scenario_name: base.name.clone(),
        scenario: base.to_ron_string(),
        axes: grid.axes.clone(),
        replications: reps,
        points: grid.points.len(),
        shard: a.shard,
        complete: false,
        point_indices: Vec::new(),
    };
    // Every input is checked: hold the directory and mark it incomplete
    // before anything else is written or removed.
    let _lock = DirLock::acquire(&dir)?;
    let mut done = if a.resume {
        sweep_dir::resume(&dir, &manifest, &mine)?
    } else {
        sweep_dir::start(&dir, &manifest)?;
        Vec::new()
    };
    let resumed = done.len();
    let mine: Vec<&Point> = mine
        .into_iter()
        .filter(|p| done.binary_search(&p.index).is_err())
        .collect();
    let bar = CountBar::new(
        mine.len() as u64 * reps as u64,
        crate::progress::wanted(a.quiet),
        "runs",
    );
    let mut runs = 0;
    // Waves of `jobs` points bound the memory held (every replication's
    // histograms) while keeping all workers busy.
    for wave in mine.chunks(jobs.max(1)) {
        let tasks: Vec<(usize, u32)> = (0..wave.len())
            .flat_map(|i| (0..reps).map(move |r| (i, r)))
            .collect();
        let results: Vec<anyhow::Result<Option<Replication>>> = pool.install(|| {
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
    let interrupted = stop.load(Ordering::SeqCst) && done.len() < mine.len() + resumed;
    done.sort_unstable();
    manifest.point_indices = done.clone();
    let whole = !interrupted && done.len() == grid.points.len();
    if whole {
        results::write(&dir, &manifest)?;
        let rows = replications::rows_from(&manifest, |_| dir.as_path())?;
        replications::write_rows(&dir, &manifest, &rows)?;
    }
    // Last: the manifest says complete only once everything is written.
    manifest.complete = !interrupted;
    write_manifest(&dir, &manifest)?;
    Ok(Outcome {
        dir,
        points: done.len(),
        resumed,
        runs,
        interrupted,
        results: whole,
    })
}
