//! `edgesim workload` and trace replay end to end (MODEL.md §12).

use std::path::Path;

use crate::common::{edgesim, succeed};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn the_conversation_trace_as_data_stats_py_sees_it() {
    let trace = root().join("data/traces/AzureLLMInferenceTrace_conv.csv");
    let out = succeed(edgesim().args([
        "workload",
        trace.to_str().unwrap(),
        "--json",
        "--bin",
        "600",
    ]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Expected values: `python3 data/stats.py` (standard library, nearest-rank
    // percentiles, CV = pstdev/mean of the gaps), quoted in data/README.md.
    assert_eq!(v["requests"], 19_366);
    let p = &v["prompt"];
    assert_eq!(
        (
            p["min"].as_u64(),
            p["p90"].as_u64(),
            p["p99"].as_u64(),
            p["max"].as_u64()
        ),
        (Some(2), Some(2735), Some(4142), Some(14_050))
    );
    assert!((p["mean"].as_f64().unwrap() - 1154.7).abs() < 0.05);
    let o = &v["output"];
    assert_eq!(
        (
            o["min"].as_u64(),
            o["p90"].as_u64(),
            o["p99"].as_u64(),
            o["max"].as_u64()
        ),
        (Some(7), Some(424), Some(601), Some(1000))
    );
    assert!((v["gap_cv"].as_f64().unwrap() - 1.09).abs() < 0.005);
    assert!((v["last_s"].as_f64().unwrap() - 3501.7).abs() < 0.05);
    // 6 bins of 600 s over 3 501.7 s; their counts add up to the requests.
    let rate = v["rate"].as_array().unwrap();
    assert_eq!(rate.len(), 6);
    let total: f64 = rate.iter().map(|r| r.as_f64().unwrap() * 600.0).sum();
    assert!((total - 19_366.0).abs() < 1e-6);
}

#[test]
fn a_scenario_replaying_a_trace_from_another_directory() {
    // scenarios/workloads/azure-conv.ron names its trace relative to itself;
    // the test runs from tools/, not the repository root.
    let tmp = tempfile::tempdir().unwrap();
    let f = root().join("scenarios/workloads/azure-conv.ron");
    succeed(edgesim().current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "run",
        f.to_str().unwrap(),
        "--quiet",
        "--set",
        "horizon=30",
        "--set",
        "scheduler.name=exact",
        "--out",
        tmp.path().to_str().unwrap(),
    ]));
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("summary.json")).unwrap()).unwrap();
    // 30 s at time_scale 0.0553 is 542.5 s of trace time: about 5.53·542.5 ≈ 3 000 requests.
    let n = s["arrived_total"].as_u64().unwrap();
    assert!((2_500..3_500).contains(&n), "{n}");
    // The same count from `workload` on the same scenario (the same source, the same seed).
    let out = succeed(edgesim().args([
        "workload",
        f.to_str().unwrap(),
        "--json",
        "--set",
        "horizon=30",
    ]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["requests"].as_u64(), Some(n));
}

#[test]
fn bad_traces_exit_2_naming_line_and_column() {
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad-trace.csv");
    let out = edgesim()
        .args(["workload", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad-trace.csv:3: column 2 (`ContextTokens`): `abc` is not a whole number"),
        "{err}"
    );
    // Skipped with --skip-malformed, and counted.
    let out = edgesim()
        .args([
            "workload",
            bad.to_str().unwrap(),
            "--skip-malformed",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 malformed rows skipped"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["requests"], 1);
    let out = edgesim()
        .args(["workload", "no-such.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
