//! `edgesim run`: one simulation, its summary on stdout and its files in the
//! output directory (docs/cli.md lists them).

use std::cell::{Cell, RefCell};
use std::fs;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use sim_core::ProgressReport;
use sim_models::instance::Instance;
use sim_models::simulation::{EpochHook, HistogramHook, InstanceHook, PeriodHook, RequestHook};
use sim_models::{EpochRecord, Histograms, RequestRecord, RunOptions, Scenario};
use tools::out_dir::{self, DirLock};
use tools::request_log::RequestLog;
use tools::run_dir::{write_outputs, EpochsFile, Snapshots};
use tools::summary::Summary;
use tools::{files, run_dir, scenario_file as load};

use crate::interrupt;
use crate::progress::RunBar;

/// Options of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (RON); without it, the built-in default (the paper's setting).
    pub scenario: Option<PathBuf>,
    /// Output directory [default: out/<scenario name>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Master seed (overrides the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override a scenario field by its dotted path, e.g. `--set arrivals.rate=250` (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Write each epoch's scheduling instance to DIR/instances/epoch-NNNNNN.ron (MODEL.md §10; epoch pipeline only).
    #[arg(long)]
    pub dump_instances: bool,
    /// Write the per-request log DIR/requests.csv: one row per cohort request with its outcome and instants.
    #[arg(long)]
    pub request_log: bool,
    /// Cut each .hlog into one interval per PERIOD of simulated time after the
    /// warm-up (e.g. `60s`, `500ms`, `2m`) [default: one interval, the whole run].
    #[arg(long, value_name = "PERIOD", value_parser = run_dir::parse_period)]
    pub hlog_interval: Option<u64>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Run on one thread. By default the epoch pipeline draws its arrivals on
    /// a second thread, a few epochs ahead (docs/model.md §1); the results
    /// are the same either way. Use it when runs are already side by side.
    #[arg(long)]
    pub one_thread: bool,
}

/// What `run` did.
pub struct Outcome {
    /// The printed summary.
    pub summary: Summary,
    /// Where the files are.
    pub dir: PathBuf,
}

/// Runs `a` and writes its files; the summary is returned for printing.
pub fn run(a: &RunArgs) -> anyhow::Result<Outcome> {
    let origin = load::origin(a.scenario.as_deref());
    let scenario = load::scenario(a.scenario.as_ref(), &a.set, a.seed)?;
    let dir = a
        .out
        .clone()
        .unwrap_or_else(|| load::default_out(a.scenario.as_deref(), &scenario));
    simulate(&scenario, &origin, &dir, a)
}

fn simulate(scenario: &Scenario, origin: &str, dir: &Path, a: &RunArgs) -> anyhow::Result<Outcome> {
    let (dump_instances, quiet) = (a.dump_instances, a.quiet);
    let mut scheduler = load::scheduler(scenario, origin)?;
    let sys = scenario
        .resolve()
        .map_err(|e| load::scenario_error(origin, e))?;
    let continuous = sys.serving.is_some();
    if continuous && a.dump_instances {
        // Continuous serving schedules each instance's iterations itself
        // (MODEL.md §13): there is no epoch instance to write.
        return Err(tools::failure::bad_input(
            "--dump-instances: continuous serving (serving: Continuous) has no scheduling \
             epochs, hence no instances to dump; drop the flag or use serving: Epochs"
                .to_string(),
        ));
    }
    if let Some(t) = sys.trace.as_ref().filter(|t| t.skipped > 0) {
        eprintln!(
            "{origin}: warning: {} malformed trace rows skipped (skip_malformed)",
            t.skipped
        );
    }
    let horizon_ns = sys.horizon_ns;
    let snapshots = a
        .hlog_interval
        .map(|p| RefCell::new(Snapshots::new(p, sys.warmup_ns)));
    let mut on_histograms = |r: &EpochRecord, h: &Histograms| {
        if let Some(s) = &snapshots {
            s.borrow_mut().observe(r, h);
        }
    };
    // Continuous serving cuts at exactly W + j·P (it has no epochs).
    let mut on_period = |t_ns: u64, h: &Histograms| {
        if let Some(s) = &snapshots {
            s.borrow_mut().cut(t_ns, h);
        }
    };
    let stop = interrupt::stop_flag();
    // Every input is checked: hold the directory, then clear what an earlier
    // run left there (summary.json first), so that no file of it can be taken
    // for this run's.
    let _lock = DirLock::acquire(dir)?;
    out_dir::remove_outputs(dir, &run_dir::owned_names())?;

    // epochs.csv is streamed to a temporary file and renamed once complete.
    let writer = RefCell::new(EpochsFile::create(dir)?);
    // requests.csv likewise, when asked for.
    let log = match a.request_log {
        true => {
            let names = sys.classes.iter().map(|c| c.name.clone()).collect();
            Some(RefCell::new(RequestLog::create(dir, names, continuous)?))
        }
        false => None,
    };
    let failure: RefCell<Option<anyhow::Error>> = RefCell::new(None);
    let fail = |e: anyhow::Error| {
        failure.borrow_mut().get_or_insert(e);
    };
    let instances_dir = dir.join("instances");
    if dump_instances {
        fs::create_dir_all(&instances_dir)
            .with_context(|| format!("creating {}", instances_dir.display()))?;
    }

    let epochs = Cell::new(0u64);
    let on_time = Cell::new(0u64);
    let mut on_epoch = |r: &EpochRecord| {
        epochs.set(epochs.get() + 1);
        on_time.set(r.on_time_so_far);
        if let Err(e) = writer.borrow_mut().push(r) {
            fail(e);
        }
    };
    let mut on_instance = |k: u64, inst: &Instance| {
        let p = instances_dir.join(format!("epoch-{k:06}.ron"));
        if let Err(e) = files::write_atomic(&p, inst.to_ron_string().as_bytes()) {
            fail(e);
        }
    };
    let mut on_request = |r: &RequestRecord| {
        if let Some(log) = &log {
            if let Err(e) = log.borrow_mut().push(r) {
                fail(e);
            }
        }
    };
    let bar = RunBar::new(horizon_ns, crate::progress::wanted(quiet));
    let mut observer = |r: &ProgressReport| -> ControlFlow<()> {
        bar.update(r, epochs.get(), on_time.get());
        ControlFlow::Continue(())
    };
    let opts = RunOptions {
        on_instance: if dump_instances {
            Some(&mut on_instance as &mut InstanceHook<'_>)
        } else {
            None
        },
        on_epoch: Some(&mut on_epoch as &mut EpochHook<'_>),
        on_request: if a.request_log {
            Some(&mut on_request as &mut RequestHook<'_>)
        } else {
            None
        },
        on_epoch_histograms: if snapshots.is_some() {
            Some(&mut on_histograms as &mut HistogramHook<'_>)
        } else {
            None
        },
        on_period_histograms: match (continuous, a.hlog_interval) {
            (true, Some(p)) => Some((p, &mut on_period as &mut PeriodHook<'_>)),
            _ => None,
        },
        keep_epoch_records: false,
        progress: if crate::progress::wanted(quiet) {
            Some(&mut observer)
        } else {
            None
        },
        stop: Some(stop),
        // A run alone: its arrivals are drawn on a second thread (same results).
        arrivals_ahead: !a.one_thread,
    };
    let t0 = Instant::now();
    let result = sim_models::run(scenario, scheduler.as_mut(), opts);
    let wall = t0.elapsed();
    bar.finish();
    let out = result.with_context(|| format!("simulating {origin}"))?;
    if let Some(e) = failure.into_inner() {
        return Err(e);
    }
    writer.into_inner().commit()?;
    if let Some(log) = log {
        log.into_inner().commit()?;
    }
    let snapshots = snapshots.map(RefCell::into_inner);
    let summary = write_outputs(&out, scenario.seed, wall, dir, snapshots.as_ref())?;
    Ok(Outcome {
        summary,
        dir: dir.to_path_buf(),
    })
}
