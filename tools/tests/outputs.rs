//! Issue 10 on the tools side, end to end: sweeps that pool histograms of
//! different ranges, seeds that would overflow, and error messages.

use std::path::Path;
use std::process::{Command, Output};

fn edgesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgesim"))
        .args(args)
        .output()
        .unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `text` to `dir/name` and returns its path.
fn file(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let f = dir.join(name);
    std::fs::write(&f, text).unwrap();
    f
}

#[test]
fn pooling_histograms_of_different_ranges_succeeds() {
    // Two short replications whose latency histograms, read back from the
    // point's hlog, have different ranges: adding them used to fail with
    // OtherAddendValueExceedsRange after every run had finished.
    let tmp = tempfile::tempdir().unwrap();
    let f = file(
        tmp.path(),
        "pool.ron",
        r#"(seed: 3, horizon: 4.0, arrivals: (rate: 5.0), scheduler: (name: "greedy"), sweep: Some((replications: 2, grid: [(path: "arrivals.rate", values: [5.0])])))"#,
    );
    let out = tmp.path().join("o");
    let o = edgesim(&["sweep", p(&f), "-q", "--out", p(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
}

#[test]
fn a_seed_that_would_wrap_is_refused_at_load() {
    let tmp = tempfile::tempdir().unwrap();
    let f = file(
        tmp.path(),
        "wrap.ron",
        r#"(seed: 18446744073709551615, horizon: 4.0, sweep: Some((replications: 2, grid: [(path: "arrivals.rate", values: [5.0])])))"#,
    );
    let out = tmp.path().join("o");
    let o = edgesim(&["sweep", p(&f), "-q", "--out", p(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("wrap.ron") && e.contains("field `seed`"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(!out.exists(), "nothing is written on bad input");
    // One replication from u64::MAX does not overflow.
    let f = file(
        tmp.path(),
        "max.ron",
        r#"(seed: 18446744073709551615, horizon: 4.0, sweep: Some((replications: 1, grid: [(path: "arrivals.rate", values: [5.0])])))"#,
    );
    let o = edgesim(&["validate", p(&f)]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_scheduler_refusal_is_said_once() {
    let tmp = tempfile::tempdir().unwrap();
    let f = file(
        tmp.path(),
        "ex.ron",
        r#"(horizon: 10.0, arrivals: (rate: 300.0), scheduler: (name: "exhaustive"))"#,
    );
    let o = edgesim(&["run", p(&f), "-q", "--out", p(&tmp.path().join("o"))]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert_eq!(e.matches("scheduler exhaustive").count(), 1, "{e}");
}
