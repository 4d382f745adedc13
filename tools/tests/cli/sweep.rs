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
        read(&t.join("j1/replications.csv")),
        read(&t.join("m/replications.csv"))
    );
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
        ["point", "arrivals_rate", "scheduler_name", "replications"]
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
        "arrivals_rate",
        "--y",
        "throughput_per_epoch_mean",
        "--series",
        "scheduler_name",
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

/// Every file under `dir` (relative path → bytes), the lock file aside.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, read(&path));
            }
        }
    }
    out
}

#[test]
fn resume_after_sigkill_equals_the_uninterrupted_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // About a second per point on one job: long enough to be killed midway.
    let args = |dir: &Path| -> Vec<String> {
        [
            "sweep",
            SMALL,
            "--set",
            "horizon=1e4",
            "--jobs",
            "1",
            "-q",
            "--out",
            p(dir),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let whole = t.join("whole");
    ok(&args(&whole).iter().map(|s| s.as_str()).collect::<Vec<_>>());
    let dir = t.join("killed");
    let child = common::edgesim()
        .args(args(&dir))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while !dir.join("points/p0000.json").exists() {
        assert!(
            t0.elapsed().as_secs() < 60,
            "the first point did not finish"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let out = common::kill_and_wait(child);
    assert_eq!(out.status.code(), None, "killed by a signal");
    let m: serde_json::Value = serde_json::from_slice(&read(&dir.join("sweep.json"))).unwrap();
    assert_eq!(m["complete"], false, "killed before the end");
    assert!(!dir.join("results.csv").exists());
    // What a kill can leave besides: a point's .hlog without its .json (the
    // marker), a truncated .json, a writer's temporary file.
    let pts = dir.join("points");
    std::fs::write(pts.join("p0003.hlog"), "half a log").unwrap();
    std::fs::write(pts.join("p0002.json"), "{\"index\": 2, \"par").unwrap();
    std::fs::write(pts.join(".p0001.json.AbC123.tmp"), "half").unwrap();
    let kept_p0 = read(&pts.join("p0000.json"));
    let mut resume = args(&dir);
    resume.push("--resume".into());
    let text = ok(&resume.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    assert!(text.contains("kept from the earlier run"), "{text}");
    assert_eq!(read(&pts.join("p0000.json")), kept_p0);
    // Byte for byte what the uninterrupted sweep wrote.
    assert_eq!(tree(&dir), tree(&whole));
    // Resuming a finished sweep changes nothing.
    ok(&resume.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    assert_eq!(tree(&dir), tree(&whole));
}

#[test]
fn resume_refuses_another_sweep_and_a_fresh_sweep_leaves_nothing_stale() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    ok(&["sweep", SMALL, "-q", "--out", p(&dir)]);
    // Another scenario text (a --set) in the same directory: refused, named.
    let out = edgesim(&[
        "sweep",
        SMALL,
        "--set",
        "horizon=20",
        "--resume",
        "-q",
        "--out",
        p(&dir),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("another sweep") && err.contains("scenario"),
        "{err}"
    );
    // Left as it was.
    assert!(dir.join("results.csv").exists());
    // A shard is another slice of the grid.
    let out = edgesim(&[
        "sweep",
        SMALL,
        "--shard",
        "1/2",
        "--resume",
        "-q",
        "--out",
        p(&dir),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("shard"));
    // Without --resume, a smaller sweep in the same directory leaves none
    // of the earlier points or tables.
    std::fs::write(dir.join("points/p0009.json"), "stale").unwrap();
    let small = tmp.path().join("one.ron");
    std::fs::write(
        &small,
        "(seed: 7, horizon: 30.0, sweep: Some((replications: 1, grid: [(path: \"arrivals.rate\", values: [20.0])])))",
    )
    .unwrap();
    ok(&["sweep", p(&small), "-q", "--out", p(&dir)]);
    let names: Vec<String> = tree(&dir).into_keys().collect();
    assert_eq!(
        names,
        [
            "points/p0000.hlog",
            "points/p0000.json",
            "replications.csv",
            "results.csv",
            "sweep.json"
        ]
    );
    let reps = String::from_utf8(read(&dir.join("replications.csv"))).unwrap();
    assert_eq!(reps.lines().count(), 2, "{reps}");
}

#[test]
fn replications_csv_has_one_plain_row_per_point_and_replication() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    ok(&["sweep", SMALL, "-q", "--out", p(&dir)]);
    let text = String::from_utf8(read(&dir.join("replications.csv"))).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        &rows[0][..5],
        [
            "point",
            "arrivals_rate",
            "scheduler_name",
            "replication",
            "seed"
        ]
    );
    // Every column name is a Python identifier (pandas' query needs no backticks).
    for c in &rows[0] {
        assert!(
            c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                && !c.starts_with(|ch: char| ch.is_ascii_digit()),
            "{c}"
        );
    }
    // 4 points × 3 replications, grid order then replication order, no quotes.
    assert_eq!(rows.len(), 1 + 12);
    assert!(!text.contains('"'), "{text}");
    let col = |n: &str| rows[0].iter().position(|c| *c == n).unwrap();
    for (i, r) in rows[1..].iter().enumerate() {
        assert_eq!(r[0], (i / 3).to_string());
        assert_eq!(r[col("replication")], (i % 3).to_string());
        assert_eq!(r[col("seed")], (7 + i % 3).to_string());
        // The same value as the point file's summary of that replication.
        let point: serde_json::Value =
            serde_json::from_slice(&read(&dir.join(format!("points/p{:04}.json", i / 3)))).unwrap();
        let s = &point["replications"][i % 3];
        assert_eq!(r[col("arrived")], s["arrived"].to_string());
        let first: f64 = r[col("first_token_p99_hdr_s")].parse().unwrap();
        assert_eq!(first, s["first_token_s"]["p99_hdr"].as_f64().unwrap());
        let ttft: f64 = r[col("ttft_p99_hdr_s")].parse().unwrap();
        assert_eq!(ttft, s["ttft_s"]["p99_hdr"].as_f64().unwrap());
        let up: f64 = r[col("uplink_utilisation")].parse().unwrap();
        assert_eq!(up, s["uplink_utilisation"].as_f64().unwrap());
    }
    assert_eq!(rows[1][1], "20.0");
    assert_eq!(rows[1][2], "dftsp");
}
