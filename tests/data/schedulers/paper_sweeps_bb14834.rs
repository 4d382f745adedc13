//! Generator of `tests/data/schedulers/paper-sweeps.csv`, for commit `bb14834`
//! (the code before the issue-12 speed-ups): it is not built in this
//! workspace. Steps (see `tests/integration/schedulers/paper_sweeps.rs`):
//!
//!     EDGESIM_PAPER_SWEEPS_DUMP=/tmp/ps cargo test --release -p tests --test integration paper_sweeps
//!     git worktree add --detach /tmp/bb bb14834
//!     mkdir -p /tmp/bb/sim-schedulers/examples
//!     cp tests/data/schedulers/paper_sweeps_bb14834.rs /tmp/bb/sim-schedulers/examples/
//!     (cd /tmp/bb && cargo run --release -p sim-schedulers --example paper_sweeps_bb14834 -- /tmp/ps) \
//!         > tests/data/schedulers/paper-sweeps.csv
//!
//! For every run directory `DUMP/<sweep>/p<point>-r<rep>/` (sorted by name:
//! the test's run order) it reads `run.txt` (the row's first five columns,
//! then the overrides) and every `epoch-NNNNNN.ron` in epoch order; deletes
//! the line `cost: Flops,` (the cost model's name, added after bb14834 with
//! issue 11's cost seam; any other `cost:` is refused); reads the rest with bb14834's
//! `Instance::from_ron_str` and checks that bb14834 writes it back to the same
//! text (so it solved exactly the numbers written); solves it with a fresh
//! bb14834 `Dftsp` / `TreeSearch` / `Exact` of the run's label; and folds
//! `(epoch, nodes, leaves, selected ids ascending)` — for exact `(epoch,
//! selected ids)` — into the test's 64-bit FNV-1a digest. Rows go to stdout
//! in run order; two threads, each run's row computed by one thread.
//! `EDGESIM_REFERENCE_DETAIL=<sweep>/p<point>-r<rep>` prints that run's
//! per-instance rows (`epoch,nodes,leaves,ids`) on stderr.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sim_models::instance::Instance;
use sim_models::scheduler::{Work, ZStart};
use sim_schedulers::dftsp::Dftsp;
use sim_schedulers::exact::Exact;
use sim_schedulers::tree_search::TreeSearch;

/// 64-bit FNV-1a over the little-endian bytes of `u64`s, as in the test.
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

fn solve(label: &str, inst: &Instance) -> (Vec<usize>, Work) {
    match label {
        "dftsp" => Dftsp::new(ZStart::Bound).solve(inst),
        "dftsp-all" => Dftsp::new(ZStart::All).solve(inst),
        "tree-search" => TreeSearch::new(ZStart::Bound).solve(inst),
        "tree-search-all" => TreeSearch::new(ZStart::All).solve(inst),
        "exact" => Exact::new().solve(inst),
        other => panic!("unknown label {other}"),
    }
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn row(run_dir: &Path, detail: Option<&str>) -> String {
    let meta = fs::read_to_string(run_dir.join("run.txt")).unwrap();
    let mut meta = meta.lines();
    let (key, overrides) = (meta.next().unwrap(), meta.next().unwrap());
    let label = key.split(',').nth(4).unwrap();
    let sweep = run_dir
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy();
    let id = format!("{sweep}/{}", run_dir.file_name().unwrap().to_string_lossy());
    let detail = detail == Some(id.as_str());
    let mut files: Vec<PathBuf> = fs::read_dir(run_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    let exact = label == "exact";
    let mut digest = Digest::new();
    let (mut nodes, mut leaves) = (0u128, 0u128);
    for f in &files {
        let name = f.file_stem().unwrap().to_string_lossy();
        let k: u64 = name.strip_prefix("epoch-").unwrap().parse().unwrap();
        let text = fs::read_to_string(f).unwrap();
        let mut kept = String::with_capacity(text.len());
        for l in text.lines() {
            if l.trim_start().starts_with("cost:") {
                assert_eq!(l.trim(), "cost: Flops,", "{}", f.display());
                continue;
            }
            kept.push_str(l);
            kept.push('\n');
        }
        let inst = Instance::from_ron_str(&kept).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(
            inst.to_ron_string().trim_end(),
            kept.trim_end(),
            "{}: not written back the same",
            f.display()
        );
        let (sel, work) = solve(label, &inst);
        let mut ids: Vec<u64> = sel.iter().map(|&i| inst.requests[i].id).collect();
        ids.sort_unstable();
        digest.word(k);
        if !exact {
            digest.word(work.nodes);
            digest.word(work.leaves);
        }
        digest.word(ids.len() as u64);
        for &i in &ids {
            digest.word(i);
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
    format!(
        "{key},{},{nodes},{leaves},{:016x},{overrides}",
        files.len(),
        digest.0
    )
}

fn main() {
    let dump = PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: paper_sweeps_bb14834 DUMP_DIR"),
    );
    let detail = std::env::var("EDGESIM_REFERENCE_DETAIL").ok();
    let runs: Vec<PathBuf> = sorted_dirs(&dump)
        .iter()
        .flat_map(|s| sorted_dirs(s))
        .collect();
    let rows: Mutex<Vec<Option<String>>> = Mutex::new(vec![None; runs.len()]);
    let threads = 2;
    std::thread::scope(|sc| {
        for t in 0..threads {
            let (runs, rows, detail) = (&runs, &rows, detail.as_deref());
            sc.spawn(move || {
                for i in (t..runs.len()).step_by(threads) {
                    let r = row(&runs[i], detail);
                    rows.lock().unwrap()[i] = Some(r);
                }
            });
        }
    });
    println!("sweep,point,replication,seed,scheduler,instances,nodes,leaves,digest,overrides");
    for r in rows.into_inner().unwrap() {
        println!("{}", r.unwrap());
    }
}
