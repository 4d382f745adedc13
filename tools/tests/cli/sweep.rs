//! `edgesim sweep` and `merge` end to end: independence of `--jobs`,
//! shards merged equal to the unsharded sweep, results.csv's shape, and
//! `plot` on the result.

use super::common;

use std::path::Path;
use std::process::{Command, Output};

const SMALL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/small-sweep.ron");

fn edgesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgesim"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = edgesim(args);
    assert!(
        out.status.success(),
        "edgesim {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn jobs_and_shards_do_not_change_results() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    ok(&[
        "sweep",
        SMALL,
        "--jobs",
        "1",
        "-q",
        "--out",
        p(&t.join("j1")),
    ]);
    ok(&[
        "sweep",
        SMALL,
        "--jobs",
        "2",
        "-q",
        "--out",
        p(&t.join("j2")),
    ]);
    let r1 = read(&t.join("j1/results.csv"));
    assert_eq!(r1, read(&t.join("j2/results.csv")));
    // Shards write no results.csv of their own; merged they give the same bytes.
    let s1 = ok(&[
        "sweep",
        SMALL,
        "--shard",
        "1/2",
        "--jobs",
        "2",
        "-q",
        "--out",
        p(&t.join("s1")),
    ]);
    assert!(s1.contains("merge"), "{s1}");
    ok(&[
        "sweep",
        SMALL,
        "--shard",
        "2/2",
        "-q",
        "--out",
        p(&t.join("s2")),
    ]);
    assert!(!t.join("s1/results.csv").exists());
    // Round robin: shard 1 of 2 holds points 0 and 2.
    assert!(t.join("s1/points/p0000.json").exists() && t.join("s1/points/p0002.json").exists());
    assert!(!t.join("s1/points/p0001.json").exists());
    ok(&[
        "merge",
        p(&t.join("s2")),
        p(&t.join("s1")),
        "--out",
        p(&t.join("m")),
    ]);
    assert_eq!(r1, read(&t.join("m/results.csv")));
    assert_eq!(
        read(&t.join("j1/sweep.json")),
        read(&t.join("m/sweep.json"))
    );
    // A missing shard is named as such, exit 2.
    let out = edgesim(&["merge", p(&t.join("s1")), "--out", p(&t.join("m2"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing"));
}

#[test]
fn results_csv_has_one_row_per_point_with_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    ok(&["sweep", SMALL, "-q", "--out", p(&dir)]);
    let text = String::from_utf8(read(&dir.join("results.csv"))).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    let h = &rows[0];
    let col = |n: &str| {
        h.iter()
            .position(|c| *c == n)
            .unwrap_or_else(|| panic!("no {n}"))
    };
    assert_eq!(
        &h[..4],
        ["point", "arrivals.rate", "scheduler.name", "replications"]
    );
    for c in [
        "throughput_rps_mean",
        "throughput_rps_ci_lo",
        "throughput_rps_ci_hi",
        "latency_p99_hdr_s_mean",
        "latency_pooled_p99_hdr_s",
        "nodes_per_epoch_mean",
    ] {
        col(c);
    }
    // Grid order: first axis outermost.
    let grid: Vec<(&str, &str)> = rows[1..].iter().map(|r| (r[1], r[2])).collect();
    assert_eq!(
        grid,
        [
            ("20.0", "dftsp"),
            ("20.0", "greedy"),
            ("80.0", "dftsp"),
            ("80.0", "greedy")
        ]
    );
    for r in &rows[1..] {
        assert_eq!(r[col("replications")], "3");
        let f = |n: &str| r[col(n)].parse::<f64>().unwrap();
        let (m, lo, hi) = (
            f("throughput_rps_mean"),
            f("throughput_rps_ci_lo"),
            f("throughput_rps_ci_hi"),
        );
        assert!(lo <= m && m <= hi, "{lo} {m} {hi}");
        // The mean of the three per-replication summaries in the point file.
        let point: serde_json::Value = serde_json::from_slice(&read(&dir.join(format!(
            "points/p{:04}.json",
            r[0].parse::<usize>().unwrap()
        ))))
        .unwrap();
        let reps = point["replications"].as_array().unwrap();
        assert_eq!(reps.len(), 3);
        let mean = reps
            .iter()
            .map(|s| s["throughput_rps"].as_f64().unwrap())
            .sum::<f64>()
            / 3.0;
        assert!((mean - m).abs() < 1e-12 * m.max(1.0), "{mean} vs {m}");
        // Replication r runs with seed 7 + r, whatever the point.
        let seeds: Vec<u64> = reps.iter().map(|s| s["seed"].as_u64().unwrap()).collect();
        assert_eq!(seeds, [7, 8, 9]);
        // The pooled histogram holds every replication's deliveries.
        let delivered: u64 = reps
            .iter()
            .map(|s| s["on_time"].as_u64().unwrap() + s["late"].as_u64().unwrap())
            .sum();
        assert_eq!(r[col("latency_pooled_count")], delivered.to_string());
    }
    // And it plots.
    let svg = dir.join("tp.svg");
    ok(&[
        "plot",
        p(&dir.join("results.csv")),
        "--x",
        "arrivals.rate",
        "--y",
        "throughput_per_epoch_mean",
        "--series",
        "scheduler.name",
        "-o",
        p(&svg),
    ]);
    let text = String::from_utf8(read(&svg)).unwrap();
    assert!(text.starts_with("<svg") && text.contains("dftsp") && text.contains("greedy"));
    let out = edgesim(&[
        "plot",
        p(&dir.join("results.csv")),
        "--x",
        "nope",
        "--y",
        "x",
        "-o",
        p(&svg),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sweep_needs_a_sweep_section() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("plain.ron");
    std::fs::write(&f, "(horizon: 10.0)").unwrap();
    let out = edgesim(&["sweep", p(&f), "--out", p(&tmp.path().join("o"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no `sweep` section"));
    let out = edgesim(&["sweep", SMALL, "--shard", "3/2"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn ctrl_c_stops_a_sweep_without_results() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("long");
    // Runs far longer than the test waits (about 12 simulated days each).
    let child = Command::new(env!("CARGO_BIN_EXE_edgesim"))
        .args([
            "sweep",
            SMALL,
            "--set",
            "horizon=1e6",
            "--jobs",
            "2",
            "-q",
            "--out",
            p(&dir),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while !dir.join("points").exists() {
        assert!(t0.elapsed().as_secs() < 20, "the sweep did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = common::interrupt_and_wait(child);
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m: serde_json::Value = serde_json::from_slice(&read(&dir.join("sweep.json"))).unwrap();
    assert_eq!(m["complete"], false);
    assert!(!dir.join("results.csv").exists());
    // Only whole points are written (none finished here), and merge refuses the directory.
    assert_eq!(m["point_indices"], serde_json::json!([]));
    let out = edgesim(&["merge", p(&dir), "--out", p(&tmp.path().join("m"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("incomplete"));
}
