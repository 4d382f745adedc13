//! dftsp, tree-search (both `z` starts) and exact against a reference recorded
//! with the implementation before the issue-12 speed-ups (commit `bb14834`):
//! every instance under `tests/data/schedulers/instances/` re-solved, and each
//! scheduler's nodes, leaves and selection compared with
//! `tests/data/schedulers/reference.csv`, to the bit. For exact only the selection is
//! compared: its nodes and leaves measure its own search, which may change
//! (MODEL.md §7 leaves exact's work and its choice among equal sets its own);
//! the recorded selection is kept so that golden runs do not move.
//!
//! The instances are epochs of short paper runs (`edgesim run … --set horizon=12
//! --dump-instances`, a few epochs each, seed 1):
//!
//! | directory | scenario and overrides |
//! |---|---|
//! | `a10`, `a50`, `a100`, `a200`, `a250` | `scenarios/paper/fig5a.ron`, `arrivals.rate` = 10 … 250 |
//! | `b7-100` | `fig5a.ron`, rate 100, `model=BLOOM-7.1B` |
//! | `bw3k-100`, `bw3k-250` | `scenarios/paper/fig5a-bandwidth.ron` (3 kHz bands), rate 100, 250 |
//! | `bw1k-100`, `bw1k-250` | `fig5a.ron`, rate 100, 250, `channel.bandwidth_up=1e3`, `channel.bandwidth_down=1e3` |
//!
//! The reference CSV has one row per instance and scheduler:
//! `instance,scheduler,nodes,leaves,selected` (selected request ids,
//! ascending, separated by spaces). It was written by this test with
//! `EDGESIM_WRITE_REFERENCE=1` on the pre-change code; it is a record of that
//! code, not something to rewrite when a search changes.
//!
//! These few instances are kept on disk so that a difference can be read
//! instance by instance; every instance of the paper sweeps (209 000, from
//! all 1 045 dftsp, tree-search and exact runs at full horizon) is checked
//! against bb14834 by `paper_sweeps.rs`, one digest per run.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use sim_models::instance::Instance;
use sim_models::scheduler::Work;
use sim_schedulers::bench_support::paper_epoch;
use sim_schedulers::dftsp::Dftsp;
use sim_schedulers::exact::Exact;
use sim_schedulers::options::ZStart;
use sim_schedulers::tree_search::TreeSearch;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/schedulers")
}

/// Every instance file, as (`set/file` name, instance), sorted by name.
pub(super) fn instances() -> Vec<(String, Instance)> {
    let root = data_dir().join("instances");
    let mut sets: Vec<PathBuf> = fs::read_dir(&root)
        .expect("tests/data/schedulers/instances")
        .map(|e| e.unwrap().path())
        .collect();
    sets.sort();
    let mut out = vec![];
    for set in sets {
        let mut files: Vec<PathBuf> = fs::read_dir(&set)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "ron"))
            .collect();
        files.sort();
        for f in files {
            let name = format!(
                "{}/{}",
                set.file_name().unwrap().to_string_lossy(),
                f.file_name().unwrap().to_string_lossy()
            );
            let inst = Instance::from_ron_str(&fs::read_to_string(&f).unwrap())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            out.push((name, inst));
        }
    }
    out
}

/// The scheduler labels of the reference, in row order.
const LABELS: [&str; 5] = [
    "dftsp",
    "dftsp-all",
    "tree-search",
    "tree-search-all",
    "exact",
];

fn solve(label: &str, inst: &Instance) -> (Vec<usize>, Work) {
    match label {
        "dftsp" => Dftsp::new(ZStart::Bound).solve(inst),
        "dftsp-all" => Dftsp::new(ZStart::All).solve(inst),
        "tree-search" => TreeSearch::new(ZStart::Bound).solve(inst),
        "tree-search-all" => TreeSearch::new(ZStart::All).solve(inst),
        "exact" => Exact::new().solve(inst),
        _ => unreachable!(),
    }
}

fn row(name: &str, label: &str, inst: &Instance, sel: &[usize], work: Work) -> String {
    let ids: Vec<String> = sel
        .iter()
        .map(|&i| inst.requests[i].id.to_string())
        .collect();
    format!(
        "{name},{label},{},{},{}",
        work.nodes,
        work.leaves,
        ids.join(" ")
    )
}

/// Whether two CSV rows agree: every field, or for exact the instance and selection.
fn same_row(want: &str, got: &str) -> bool {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.split(',').collect(), got.split(',').collect());
    if w.len() != 5 || g.len() != 5 || w[1] != "exact" {
        return want == got;
    }
    w[0] == g[0] && w[1] == g[1] && w[4] == g[4]
}

#[test]
fn nodes_leaves_and_selections_match_the_reference() {
    let insts = instances();
    assert!(insts.len() >= 20, "instances present: {}", insts.len());
    let path = data_dir().join("reference.csv");
    let mut got = String::from("instance,scheduler,nodes,leaves,selected\n");
    for (name, inst) in &insts {
        for label in LABELS {
            let (sel, work) = solve(label, inst);
            writeln!(got, "{}", row(name, label, inst, &sel, work)).unwrap();
        }
    }
    if std::env::var_os("EDGESIM_WRITE_REFERENCE").is_some() {
        fs::write(&path, &got).unwrap();
        return;
    }
    let want = fs::read_to_string(&path).expect("tests/data/schedulers/reference.csv");
    let (want, got): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    assert_eq!(want.len(), got.len(), "row count");
    let diffs: Vec<String> = want
        .iter()
        .zip(&got)
        .filter(|(w, g)| !same_row(w, g))
        .map(|(w, g)| format!("want {w}\n got {g}"))
        .collect();
    assert!(
        diffs.is_empty(),
        "{} of {} rows differ:\n{}",
        diffs.len(),
        want.len() - 1,
        diffs.join("\n")
    );
}

/// The same searches keep their buffers between calls: solving every instance
/// in turn with one scheduler object must give the rows of fresh objects.
#[test]
fn reused_schedulers_match_fresh_ones() {
    let insts = instances();
    let mut d = Dftsp::new(ZStart::Bound);
    let mut t = TreeSearch::new(ZStart::All);
    let mut e = Exact::new();
    for (name, inst) in &insts {
        assert_eq!(d.solve(inst), solve("dftsp", inst), "{name} dftsp");
        assert_eq!(
            t.solve(inst),
            solve("tree-search-all", inst),
            "{name} tree-search-all"
        );
        assert_eq!(e.solve(inst), solve("exact", inst), "{name} exact");
    }
}

/// A queue of [`paper_epoch`] with 1 kHz bands and a gain per user (50 users,
/// request id mod 50): most requests need a fifth or more of a band, so
/// (1a)/(1b) bind and exact has to search (as `sim-schedulers/benches/schedulers.rs`'s
/// binding epochs, with a narrower band).
fn band_1k_epoch(lambda: f64, seed: u64) -> Instance {
    sim_schedulers::bench_support::banded_epoch(lambda, seed, 1e3)
}

/// Larger queues than the dumped ones, drawn by `bench_support` (deterministic
/// in rate and seed): (name, instance, scheduler labels).
fn synthetic() -> Vec<(String, Instance, Vec<&'static str>)> {
    vec![
        (
            "paper-l600-s0".into(),
            paper_epoch(600.0, 0),
            LABELS.to_vec(),
        ),
        (
            "paper-l2000-s1".into(),
            paper_epoch(2000.0, 1),
            LABELS.to_vec(),
        ),
        (
            "band1k-l3000-s2".into(),
            band_1k_epoch(3000.0, 2),
            vec!["dftsp", "tree-search", "exact"],
        ),
    ]
}

/// As [`nodes_leaves_and_selections_match_the_reference`], on the queues of
/// [`synthetic`] (600 to 3 000 requests), against `tests/data/schedulers/reference-synth.csv`.
#[test]
fn synthetic_queues_match_the_reference() {
    let path = data_dir().join("reference-synth.csv");
    let mut got = String::from("instance,scheduler,nodes,leaves,selected\n");
    for (name, inst, labels) in synthetic() {
        for label in labels {
            let (sel, work) = solve(label, &inst);
            writeln!(got, "{}", row(&name, label, &inst, &sel, work)).unwrap();
        }
    }
    if std::env::var_os("EDGESIM_WRITE_REFERENCE").is_some() {
        fs::write(&path, &got).unwrap();
        return;
    }
    let want = fs::read_to_string(&path).expect("tests/data/schedulers/reference-synth.csv");
    let (want, got): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    assert_eq!(want.len(), got.len(), "row count");
    for (w, g) in want.iter().zip(&got) {
        assert!(same_row(w, g), "want {w}\n got {g}");
    }
}
