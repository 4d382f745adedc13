//! Every instance the paper sweeps schedule, against the implementation before
//! the issue-12 speed-ups (commit `bb14834`), to the bit (issue 12's last
//! target).
//!
//! **What is covered.** Every run of `scenarios/paper/*.ron` (fig5a,
//! fig5a-bandwidth, fig5b, fig6a, fig6b, table3) whose scheduler is dftsp,
//! tree-search (either `z_start`) or exact: each sweep's full grid × its
//! replications × its full horizon, expanded by `tools::sweep_grid::Grid` and
//! run with seed `seed + r` exactly as `edgesim sweep` runs them (static,
//! nobatch and greedy points are left out: they do not search). That is 1 045
//! runs of 200 epochs, 209 000 instances. Each run is simulated in-process
//! with today's code; every instance it hands its scheduler (the `on_instance`
//! hook of `--dump-instances`) is re-solved by a fresh scheduler of the run's
//! configuration, and the run's own epoch record (nodes, leaves, selected ids)
//! must equal that fresh answer. Per run, in epoch order, the instances'
//! `(epoch, nodes, leaves, selected ids ascending)` are folded into a 64-bit
//! FNV-1a digest ([`Digest`]); for exact only `(epoch, selected ids)` (its
//! nodes and leaves measure its own search, which may change: see
//! `reference.rs`). The row of each run — instance count, Σnodes, Σleaves,
//! digest — must equal the row of `tests/data/schedulers/paper-sweeps.csv`
//! (columns `sweep,point,replication,seed,scheduler,instances,nodes,leaves,digest,overrides`;
//! exact's nodes and leaves are `-`; the point's overrides, last, as
//! `path=value` joined by spaces).
//!
//! **How the reference was made** (bb14834's searches on today's instances:
//! today's channel draws were re-baselined after bb14834, per-user streams,
//! so bb14834 cannot reproduce today's runs; only its schedulers are used):
//!
//! 1. With today's code, write every instance of those runs as RON
//!    (`Instance::to_ron_string`, as `--dump-instances` does; ≈ 2 GB):
//!    `EDGESIM_PAPER_SWEEPS_DUMP=/tmp/ps cargo test --release -p tests --test integration paper_sweeps`
//!    writes `/tmp/ps/<sweep>/p<point>-r<rep>/epoch-NNNNNN.ron` and a
//!    `run.txt` per run (its row's key and overrides), checking that each
//!    file reads back to the very instance the scheduler saw.
//! 2. `git worktree add --detach /tmp/bb bb14834`; copy
//!    `tests/data/schedulers/paper_sweeps_bb14834.rs` to
//!    `/tmp/bb/sim-schedulers/examples/paper_sweeps_bb14834.rs`;
//!    `cd /tmp/bb && cargo run --release -p sim-schedulers --example paper_sweeps_bb14834 -- /tmp/ps > paper-sweeps.csv`.
//!    It reads each file with bb14834's `Instance::from_ron_str` after
//!    deleting the one line bb14834 does not know (`cost: Flops,`, the cost
//!    model's name, added with issue 11's cost seam in `2775c90`; the paper's
//!    runs all use the FLOP model, whose fields are bb14834's), checks that
//!    bb14834 writes the instance back to the same text, solves it with
//!    bb14834's `Dftsp` / `TreeSearch` / `Exact` in the run's `z_start`, and
//!    writes the rows with the same digest.
//! 3. Copy the CSV here; delete `/tmp/ps` and the worktree.
//!
//! **Finding a difference.** A failing row names the run (`fig5a/p012-r3`)
//! and which of count, Σnodes, Σleaves, digest differ.
//! `EDGESIM_REFERENCE_DETAIL=fig5a/p012-r3` prints that run's per-instance
//! rows (`epoch,nodes,leaves,ids`) on stderr (run with `--nocapture`); the
//! generator of step 2 prints bb14834's with the same variable.
//!
//! The dump of step 1 also writes today's rows to `/tmp/ps/current.csv`;
//! when the reference was recorded (on `a1f104d`) it was byte-identical to
//! bb14834's 1 045 rows.
//!
//! Cost: 1 045 runs of ≈ 20–30 ms each plus the re-solves, spread over the
//! rayon pool by run (rows are collected in run order, so the result does not
//! depend on the thread count): ≈ 20 s wall in release on the 2-core machine
//! (`cargo test --release -p tests --test integration paper_sweeps`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sim_models::instance::Instance;
use sim_models::metrics::EpochRecord;
use sim_models::scheduler::Work;
use sim_models::simulation::{EpochHook, InstanceHook, RunOptions};
use sim_schedulers::dftsp::Dftsp;
use sim_schedulers::exact::Exact;
use sim_schedulers::options::{SearchOptions, ZStart};
use sim_schedulers::tree_search::TreeSearch;
use tools::sweep_grid::Grid;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// 64-bit FNV-1a over the little-endian bytes of `u64`s (offset basis
/// 0xcbf29ce484222325, prime 0x100000001b3). The generator of the reference
/// (`tests/data/schedulers/paper_sweeps_bb14834.rs`) holds the same lines.
struct Digest(u64);

impl Digest {
    fn new() -> Digest {
        Digest(0xcbf2_9ce4_8422_2325)
    }

    fn word(&mut self, x: u64) {
        for b in x.to_le_bytes() {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// A searching scheduler in one configuration, as labelled in the CSV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Label {
    Dftsp(ZStart),
    TreeSearch(ZStart),
    Exact,
}

impl Label {
    /// The label of a point's scheduler, or `None` for one that does not search.
    fn of(spec: &sim_models::scheduler::SchedulerSpec) -> Option<Label> {
        let z = || spec.options::<SearchOptions>().unwrap().z_start;
        match spec.name.as_str() {
            "dftsp" => Some(Label::Dftsp(z())),
            "tree-search" => Some(Label::TreeSearch(z())),
            "exact" => Some(Label::Exact),
            _ => None,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Label::Dftsp(ZStart::Bound) => "dftsp",
            Label::Dftsp(ZStart::All) => "dftsp-all",
            Label::TreeSearch(ZStart::Bound) => "tree-search",
            Label::TreeSearch(ZStart::All) => "tree-search-all",
            Label::Exact => "exact",
        }
    }

    /// A fresh scheduler's answer.
    fn solve(self, inst: &Instance) -> (Vec<usize>, Work) {
        match self {
            Label::Dftsp(z) => Dftsp::new(z).solve(inst),
            Label::TreeSearch(z) => TreeSearch::new(z).solve(inst),
            Label::Exact => Exact::new().solve(inst),
        }
    }
}

/// One sweep run: a point of a paper sweep and a replication.
struct Run {
    sweep: String,
    point: usize,
    rep: u32,
    overrides: String,
    label: Label,
    scenario: sim_models::Scenario,
}

impl Run {
    fn id(&self) -> String {
        format!("{}/p{:03}-r{}", self.sweep, self.point, self.rep)
    }

    /// The CSV row's first five columns.
    fn key(&self) -> String {
        format!(
            "{},{},{},{},{}",
            self.sweep,
            self.point,
            self.rep,
            self.scenario.seed,
            self.label.text()
        )
    }
}

/// Every searching run of the paper sweeps, in order: sweep files by name,
/// points in grid order, replications ascending.
fn runs() -> Vec<Run> {
    let dir = repo().join("scenarios/paper");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort_by_key(|p| p.file_stem().unwrap().to_owned());
    let mut out = vec![];
    for f in files {
        let sweep = f.file_stem().unwrap().to_string_lossy().into_owned();
        let base = tools::scenario_file::scenario(Some(&f), &[], None).unwrap();
        let grid = Grid::new(&base, &sweep).unwrap();
        for p in &grid.points {
            let Some(label) = Label::of(&p.scenario.scheduler) else {
                continue;
            };
            for rep in 0..grid.replications {
                // As `edgesim sweep`: replication r runs with seed + r.
                let mut scenario = p.scenario.clone();
                scenario.seed += u64::from(rep);
                out.push(Run {
                    sweep: sweep.clone(),
                    point: p.index,
                    rep,
                    overrides: p.label(" "),
                    label,
                    scenario,
                });
            }
        }
    }
    out
}

/// What one run gave: its CSV row, and the epochs where the run's own
/// scheduler disagreed with a fresh one.
struct Outcome {
    row: String,
    disagreements: Vec<String>,
}

/// Runs `run` as `edgesim sweep` does, re-solving each instance; with
/// `dump`, writes each instance under `dump/<run id>/`.
fn simulate(run: &Run, dump: Option<&Path>, detail: bool) -> Outcome {
    let label = run.label;
    let dump_dir = dump.map(|d| d.join(run.id()));
    if let Some(d) = &dump_dir {
        fs::create_dir_all(d).unwrap();
        fs::write(
            d.join("run.txt"),
            format!("{}\n{}\n", run.key(), run.overrides),
        )
        .unwrap();
    }
    // (epoch, nodes, leaves, selected ids ascending) of each fresh solve.
    let mut fresh: Vec<(u64, Work, Vec<u64>)> = vec![];
    let mut recorded: Vec<(u64, Work, Vec<u64>)> = vec![];
    let mut on_instance = |k: u64, inst: &Instance| {
        let (sel, work) = label.solve(inst);
        let mut ids: Vec<u64> = sel.iter().map(|&i| inst.requests[i].id).collect();
        ids.sort_unstable();
        fresh.push((k, work, ids));
        if let Some(d) = &dump_dir {
            let text = inst.to_ron_string();
            let back = Instance::from_ron_str(&text).unwrap();
            assert!(back == *inst, "{} epoch {k}: RON round trip", run.id());
            fs::write(d.join(format!("epoch-{k:06}.ron")), text).unwrap();
        }
    };
    let mut on_epoch = |r: &EpochRecord| {
        let mut ids = r.selected.clone();
        ids.sort_unstable();
        let work = Work {
            nodes: r.nodes,
            leaves: r.leaves,
        };
        recorded.push((r.epoch, work, ids));
    };
    let mut scheduler = tools::scenario_file::scheduler(&run.scenario, &run.id()).unwrap();
    let opts = RunOptions {
        on_instance: Some(&mut on_instance as &mut InstanceHook<'_>),
        on_epoch: Some(&mut on_epoch as &mut EpochHook<'_>),
        ..RunOptions::default()
    };
    let out = sim_models::run(&run.scenario, scheduler.as_mut(), opts).unwrap();
    assert!(!out.partial, "{}", run.id());
    let mut disagreements = vec![];
    if fresh != recorded {
        disagreements.push(format!(
            "{}: the run's own scheduler and a fresh one differ ({} vs {} epochs; first at {:?})",
            run.id(),
            recorded.len(),
            fresh.len(),
            fresh.iter().zip(&recorded).find(|(a, b)| a != b)
        ));
    }
    let exact = label == Label::Exact;
    let mut digest = Digest::new();
    let (mut nodes, mut leaves) = (0u128, 0u128);
    for (k, work, ids) in &fresh {
        digest.word(*k);
        if !exact {
            digest.word(work.nodes);
            digest.word(work.leaves);
        }
        digest.word(ids.len() as u64);
        for &id in ids {
            digest.word(id);
        }
        nodes += u128::from(work.nodes);
        leaves += u128::from(work.leaves);
        if detail {
            let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
            eprintln!("{k},{},{},{}", work.nodes, work.leaves, ids.join(" "));
        }
    }
    let (nodes, leaves) = match exact {
        true => ("-".to_string(), "-".to_string()),
        false => (nodes.to_string(), leaves.to_string()),
    };
    Outcome {
        row: format!(
            "{},{},{nodes},{leaves},{:016x},{}",
            run.key(),
            fresh.len(),
            digest.0,
            run.overrides
        ),
        disagreements,
    }
}

const HEADER: &str =
    "sweep,point,replication,seed,scheduler,instances,nodes,leaves,digest,overrides";

/// Splits a row into (key = first five columns, counts = next four, overrides).
fn split(row: &str) -> (String, Vec<&str>, &str) {
    let f: Vec<&str> = row.splitn(10, ',').collect();
    assert_eq!(f.len(), 10, "row `{row}`");
    (f[..5].join(","), f[5..9].to_vec(), f[9])
}

#[test]
fn paper_sweeps_match_the_bb14834_reference() {
    let runs = runs();
    let dump = std::env::var_os("EDGESIM_PAPER_SWEEPS_DUMP").map(PathBuf::from);
    let detail = std::env::var("EDGESIM_REFERENCE_DETAIL").ok();
    let outcomes: Vec<Outcome> = runs
        .par_iter()
        .map(|r| simulate(r, dump.as_deref(), detail.as_deref() == Some(&r.id())))
        .collect();
    let disagreements: Vec<&String> = outcomes.iter().flat_map(|o| &o.disagreements).collect();
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    if let Some(d) = &dump {
        let mut csv = format!("{HEADER}\n");
        for o in &outcomes {
            writeln!(csv, "{}", o.row).unwrap();
        }
        fs::write(d.join("current.csv"), csv).unwrap();
    }

    let path = repo().join("tests/data/schedulers/paper-sweeps.csv");
    let text = fs::read_to_string(&path).expect("tests/data/schedulers/paper-sweeps.csv");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(HEADER));
    let mut want: BTreeMap<String, (Vec<&str>, &str)> = BTreeMap::new();
    for l in lines {
        let (key, counts, over) = split(l);
        assert!(
            want.insert(key.clone(), (counts, over)).is_none(),
            "{key} twice"
        );
    }
    let names = ["instances", "nodes", "leaves", "digest"];
    let mut errors = vec![];
    for (run, o) in runs.iter().zip(&outcomes) {
        let (key, got, over) = split(&o.row);
        let Some((w, w_over)) = want.remove(&key) else {
            errors.push(format!("{}: no reference row for `{key}`", run.id()));
            continue;
        };
        let differ: Vec<String> = names
            .iter()
            .zip(w.iter().zip(&got))
            .filter(|(_, (a, b))| a != b)
            .map(|(n, (a, b))| format!("{n} want {a} got {b}"))
            .collect();
        if !differ.is_empty() || *w_over != *over {
            errors.push(format!(
                "{} ({}; {over}): {}{} (per-instance rows: EDGESIM_REFERENCE_DETAIL={})",
                run.id(),
                run.label.text(),
                differ.join(", "),
                if *w_over != *over {
                    format!("; overrides want `{w_over}`")
                } else {
                    String::new()
                },
                run.id()
            ));
        }
    }
    for key in want.keys() {
        errors.push(format!("reference row `{key}` has no run"));
    }
    let instances: usize = outcomes
        .iter()
        .map(|o| split(&o.row).1[0].parse::<usize>().unwrap())
        .sum();
    assert!(
        errors.is_empty(),
        "{} of {} runs differ from bb14834:\n{}",
        errors.len(),
        runs.len(),
        errors.join("\n")
    );
    // The coverage the header promises (a guard against a grid that silently shrank).
    assert_eq!((runs.len(), instances), (1045, 209_000));
}
