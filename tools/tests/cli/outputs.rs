//! Issue 10 on the tools side, end to end: sweeps that pool histograms of
//! different ranges, seeds that would overflow, and error messages.

use super::common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

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

const SMALL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/small-sweep.ron");

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_sweep_clears_what_an_earlier_sweep_left() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s");
    // What an interrupted larger sweep would leave: a results.csv, point files
    // beyond the new grid, a manifest saying complete.
    std::fs::create_dir_all(out.join("points")).unwrap();
    for f in [
        "results.csv",
        "replications.csv",
        "points/p0007.json",
        "points/p0007.hlog",
        "sweep.json",
    ] {
        std::fs::write(out.join(f), "stale").unwrap();
    }
    let f = file(
        tmp.path(),
        "one.ron",
        r#"(horizon: 4.0, arrivals: (rate: 5.0), sweep: Some((replications: 1, grid: [(path: "arrivals.rate", values: [5.0])])))"#,
    );
    let o = edgesim(&["sweep", p(&f), "-q", "--out", p(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(names(&out.join("points")), ["p0000.hlog", "p0000.json"]);
    assert_eq!(
        names(&out),
        ["points", "replications.csv", "results.csv", "sweep.json"]
    );
    for t in ["results.csv", "replications.csv"] {
        let csv = std::fs::read_to_string(out.join(t)).unwrap();
        assert_eq!(csv.lines().count(), 2, "{t}: {csv}");
    }
}

#[test]
fn a_killed_sweep_leaves_an_incomplete_manifest_that_merge_refuses() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let o = edgesim(&["sweep", SMALL, "-q", "--out", p(&dir)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Sweep again, far longer, into the same directory, and SIGKILL it.
    let mut child = Command::new(env!("CARGO_BIN_EXE_edgesim"))
        .args([
            "sweep",
            SMALL,
            "--set",
            "horizon=1e6",
            "--jobs",
            "1",
            "-q",
            "--out",
        ])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let m = dir.join("sweep.json");
    loop {
        let text = std::fs::read_to_string(&m).unwrap_or_default();
        if text.contains("\"complete\": false") {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "the sweep ended");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!dir.join("results.csv").exists());
    let o = edgesim(&["merge", p(&dir), "--out", p(&tmp.path().join("m"))]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("incomplete"), "{}", stderr(&o));
    assert!(!tmp.path().join("m").exists(), "nothing written");
    // Its lock is stale (the holder is dead): the next sweep takes it over.
    let o = edgesim(&["sweep", SMALL, "-q", "--out", p(&dir)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!dir.join("edgesim.lock").exists());
}

#[test]
fn a_directory_held_by_a_live_process_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("summary.json"), "earlier").unwrap();
    // This test process is alive and "holds" the directory.
    std::fs::write(
        out.join("edgesim.lock"),
        format!("{}\n", std::process::id()),
    )
    .unwrap();
    for args in [
        vec!["run", "--set", "horizon=2", "-q", "--out", p(&out)],
        vec!["sweep", SMALL, "-q", "--out", p(&out)],
    ] {
        let o = edgesim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("in use") && e.contains(&std::process::id().to_string()),
            "{e}"
        );
    }
    // Nothing of the directory was touched.
    assert_eq!(names(&out), ["edgesim.lock", "summary.json"]);
    // A lock of a dead process is taken over and removed at the end.
    std::fs::write(out.join("edgesim.lock"), "4294967295\n").unwrap();
    let o = edgesim(&["run", "--set", "horizon=2", "-q", "--out", p(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!out.join("edgesim.lock").exists());
}

#[test]
fn a_failing_run_leaves_no_temporary_and_no_earlier_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("summary.json"), "earlier").unwrap();
    let f = file(
        tmp.path(),
        "ex.ron",
        r#"(horizon: 10.0, arrivals: (rate: 300.0), scheduler: (name: "exhaustive"))"#,
    );
    let o = edgesim(&["run", p(&f), "-q", "--out", p(&out)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(names(&out).is_empty(), "{:?}", names(&out));
}

#[test]
fn merge_refuses_other_sweeps_and_repeated_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let shard = |k: &str, out: &str, set: &[&str]| {
        let mut args = vec!["sweep", SMALL, "--shard", k, "-q", "--out"];
        let o = p(&t.join(out)).to_string();
        args.push(&o);
        args.extend_from_slice(set);
        let r = edgesim(&args);
        assert!(r.status.success(), "{}", stderr(&r));
    };
    shard("1/2", "s1", &[]);
    shard("2/2", "s2", &[]);
    shard("2/2", "other", &["--set", "horizon=9"]);
    let m = p(&t.join("m")).to_string();
    let o = edgesim(&["merge", p(&t.join("s1")), p(&t.join("other")), "--out", &m]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("different sweeps"), "{}", stderr(&o));
    let s1 = p(&t.join("s1")).to_string();
    let dot = format!("{}/./s1", t.display());
    for dup in [[s1.as_str(), s1.as_str()], [s1.as_str(), dot.as_str()]] {
        let o = edgesim(&["merge", dup[0], dup[1], "--out", &m]);
        assert_eq!(o.status.code(), Some(2), "{dup:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("same directory"), "{}", stderr(&o));
    }
    // A merge into one of its inputs is refused too.
    let o = edgesim(&["merge", &s1, p(&t.join("s2")), "--out", &s1]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!t.join("m").exists());
    // A corrupt point file is bad input, found before anything is written.
    std::fs::write(t.join("s2/points/p0001.json"), "{").unwrap();
    let o = edgesim(&["merge", &s1, p(&t.join("s2")), "--out", &m]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("p0001.json"), "{}", stderr(&o));
    assert!(!t.join("m").exists());
}

#[test]
fn an_unnamed_scenario_writes_to_its_file_stem() {
    let tmp = tempfile::tempdir().unwrap();
    let f = file(tmp.path(), "short-one.ron", "(horizon: 2.0)");
    let o = Command::new(env!("CARGO_BIN_EXE_edgesim"))
        .args(["run", "-q"])
        .arg(&f)
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(tmp.path().join("out/short-one/summary.json").exists());
    assert!(!tmp.path().join("out/default").exists());
}

#[test]
fn a_run_stopped_in_its_warm_up_measured_nothing_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("w");
    // A warm-up far longer than the test waits.
    let child = Command::new(env!("CARGO_BIN_EXE_edgesim"))
        .args([
            "run",
            "--set",
            "horizon=1e6",
            "--set",
            "warmup=9e5",
            "-q",
            "--out",
        ])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while !dir.join("edgesim.lock").exists() {
        assert!(t0.elapsed().as_secs() < 20, "the run did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let out = common::interrupt_and_wait(child);
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert!(s["end_s"].as_f64().unwrap() < 9e5);
    for k in [
        "throughput_rps",
        "throughput_per_epoch",
        "mean_batch_size",
        "gpu_utilisation",
        "uplink_utilisation",
        "downlink_utilisation",
        "latency_s",
        "waiting_s",
        "first_token_s",
    ] {
        assert!(s[k].is_null(), "{k}: {}", s[k]);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("throughput not measured"), "{text}");
    assert!(!text.contains("0.000 req/s"), "{text}");
}

#[test]
fn bench_engine_prints_its_keys_in_the_documented_order() {
    let o = edgesim(&["bench", "engine", "--events", "2000", "--population", "10"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let line = String::from_utf8(o.stdout).unwrap();
    // The order docs/cli.md shows.
    let keys = [
        "benchmark",
        "population",
        "events",
        "seed",
        "engine_events_per_s",
        "bare_heap_events_per_s",
        "ratio",
        "rounds",
        "engine_wall_s",
        "bare_heap_wall_s",
        "checksum",
    ];
    let at: Vec<usize> = keys
        .iter()
        .map(|k| {
            line.find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k}: {line}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{line}");
}

#[test]
fn a_second_run_into_a_live_run_s_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("busy");
    let child = Command::new(env!("CARGO_BIN_EXE_edgesim"))
        .args(["run", "--set", "horizon=1e6", "-q", "--out"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while !dir.join("edgesim.lock").exists() {
        assert!(t0.elapsed().as_secs() < 20, "the run did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pid = child.id().to_string();
    let o = edgesim(&["run", "--set", "horizon=2", "-q", "--out", p(&dir)]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains(&pid) && e.contains("in use"), "{e}");
    let out = common::interrupt_and_wait(child);
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    // The first run's files are its own, and its lock is gone.
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["partial"], true);
    assert!(!dir.join("edgesim.lock").exists());
}

#[test]
fn merge_without_out_lands_where_the_unsharded_sweep_would() {
    // An unnamed scenario's shards go to out/<file stem>/shard-K-of-N/; merged
    // without --out they land in out/<file stem>/, not out/default/.
    let tmp = tempfile::tempdir().unwrap();
    let f = file(
        tmp.path(),
        "two-points.ron",
        r#"(horizon: 4.0, sweep: Some((replications: 1, grid: [(path: "arrivals.rate", values: [5.0, 6.0])])))"#,
    );
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_edgesim"))
            .args(args)
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    };
    run(&["sweep", p(&f), "-q", "--shard", "1/2"]);
    run(&["sweep", p(&f), "-q", "--shard", "2/2"]);
    run(&[
        "merge",
        "out/two-points/shard-1-of-2",
        "out/two-points/shard-2-of-2",
    ]);
    assert!(tmp.path().join("out/two-points/results.csv").exists());
    assert!(!tmp.path().join("out/default").exists());
}
