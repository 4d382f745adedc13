//! Golden runs: whole runs of the `edgesim` binary compared byte for byte
//! with snapshot files under `tools/tests/snapshots/`, reviewed like code.
//!
//! A 60 s default run per scheduler (dftsp, exact, greedy, static, nobatch):
//! `summary.json` without its wall-clock field (`wall_s`) and `epochs.csv`
//! without its wall-clock column (`solve_ns`); and the `results.csv` of the
//! small sweep in `tools/tests/data/small-sweep.ron`; and `plot`'s SVG and
//! PNG of the fixed table `tools/tests/data/plot-small.csv` (dftsp and
//! exact coincide there, as in Fig. 5(a): both must stay visible), compared
//! byte for byte — the font is compiled in and the rasteriser and PNG
//! encoder are deterministic, so the bytes do not depend on the machine.
//!
//! A change that moves a number must re-baseline in a commit of its own that
//! says why: run the tests with `EDGESIM_BLESS=1` to rewrite the snapshots,
//! then review the diff. These tests are the `golden` module of the `cli`
//! test binary: `cargo test --release -p tools --test cli golden`
//! (`EDGESIM_BLESS=1 cargo test --release -p tools --test cli golden` to bless).

use super::common::{edgesim, succeed};
use std::path::{Path, PathBuf};

fn snapshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// Compares `actual` with the snapshot `name`, or rewrites the snapshot when
/// `EDGESIM_BLESS` is set.
fn check(name: &str, actual: &str) {
    let path = snapshots().join(name);
    if std::env::var_os("EDGESIM_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with EDGESIM_BLESS=1)", path.display()));
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from its snapshot at line {}:\n  snapshot: {:?}\n  this run: {:?}",
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

/// Compares the bytes of a binary output with its snapshot (or blesses it).
fn check_bytes(name: &str, actual: &[u8]) {
    let path = snapshots().join(name);
    if std::env::var_os("EDGESIM_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with EDGESIM_BLESS=1)", path.display()));
    assert!(
        expected == actual,
        "{name} differs from its snapshot ({} vs {} bytes)",
        expected.len(),
        actual.len()
    );
}

#[test]
fn golden_plots() {
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plot-small.csv");
    let tmp = tempfile::tempdir().unwrap();
    for (ext, extra) in [("svg", &[][..]), ("png", &["--log-x"][..])] {
        let out = tmp.path().join(format!("small.{ext}"));
        succeed(
            edgesim()
                .arg("plot")
                .arg(&csv)
                .args(["--x", "arrivals_rate", "--y", "throughput_per_epoch_mean"])
                .args(["--series", "scheduler_name", "--size", "640x400", "-o"])
                .arg(&out)
                .args(extra),
        );
        let bytes = std::fs::read(&out).unwrap();
        if ext == "svg" {
            let text = String::from_utf8(bytes.clone()).unwrap();
            // The title and labels from the columns' meaning, the legend naming its column.
            for s in [
                "Throughput vs arrival rate λ",
                "arrival rate λ (req/s)",
                "throughput (req/epoch)",
                "scheduler = exact",
            ] {
                assert!(text.contains(s), "no {s:?} in the SVG");
            }
        }
        check_bytes(&format!("plot/small.{ext}"), &bytes);
    }
}

/// summary.json with the wall-clock field removed.
fn summary_without_wall(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let obj = v.as_object_mut().unwrap();
    assert!(obj.remove("wall_s").is_some(), "summary.json has no wall_s");
    serde_json::to_string_pretty(&v).unwrap() + "\n"
}

/// epochs.csv with the `solve_ns` column removed.
fn epochs_without_solve_ns(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("epochs.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|c| *c == "solve_ns").unwrap();
    let mut out = String::new();
    for line in std::iter::once(header.join(",")).chain(lines.map(str::to_string)) {
        let mut cells: Vec<&str> = line.split(',').collect();
        cells.remove(col);
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// The golden run of `scheduler`, with its arrivals drawn ahead on a second
/// thread (the default) and on one thread (`--one-thread`): both must match
/// the snapshot.
fn golden_run(scheduler: &str) {
    let tmp = tempfile::tempdir().unwrap();
    for one_thread in [false, true] {
        let dir = tmp.path().join(format!("{scheduler}-{one_thread}"));
        succeed(
            edgesim()
                .args(["run", "--quiet", "--set", "horizon=60"])
                .args(["--set", &format!("scheduler.name=\"{scheduler}\"")])
                .args(one_thread.then_some("--one-thread"))
                .arg("--out")
                .arg(&dir),
        );
        check(
            &format!("run-{scheduler}/summary.json"),
            &summary_without_wall(&dir),
        );
        check(
            &format!("run-{scheduler}/epochs.csv"),
            &epochs_without_solve_ns(&dir),
        );
    }
}

#[test]
fn golden_dftsp() {
    golden_run("dftsp");
}

#[test]
fn golden_exact() {
    golden_run("exact");
}

#[test]
fn golden_greedy() {
    golden_run("greedy");
}

#[test]
fn golden_static() {
    golden_run("static");
}

#[test]
fn golden_nobatch() {
    golden_run("nobatch");
}

#[test]
fn golden_small_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sweep");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/small-sweep.ron");
    succeed(
        edgesim()
            .args(["sweep", "--quiet"])
            .arg(&scenario)
            .arg("--out")
            .arg(&dir),
    );
    let results = std::fs::read_to_string(dir.join("results.csv")).unwrap();
    check("small-sweep/results.csv", &results);
}
