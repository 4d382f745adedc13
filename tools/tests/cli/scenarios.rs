//! Scenario files end to end: every bad scenario in tools/tests/bad_scenarios/
//! exits 2 with the message its `// expect:` lines give (line and column, or
//! the field), and every shipped scenario validates.

use std::path::{Path, PathBuf};
use std::process::Command;

fn edgesim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_edgesim"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn ron_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    v.sort();
    v
}

#[test]
fn bad_scenarios_exit_2_with_position_or_field() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_scenarios");
    let files = ron_files(&dir);
    assert!(files.len() >= 10, "{files:?}");
    for f in files {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        let expect: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("// expect: "))
            .collect();
        assert!(
            !expect.is_empty(),
            "{} has no `// expect:` line",
            f.display()
        );
        let tmp = tempfile::tempdir().unwrap();
        let out_dir = tmp.path().join("out");
        let name = f.file_name().unwrap().to_str().unwrap();
        // A sweep's points matter to `sweep` only; everything else to `run` too.
        let second = if name.starts_with("sweep-") {
            "sweep"
        } else {
            "run"
        };
        for cmd in ["validate", second] {
            let mut args = vec![cmd, f.to_str().unwrap()];
            if cmd != "validate" {
                args.extend(["--quiet", "--out", out_dir.to_str().unwrap()]);
            }
            let (code, out, err) = edgesim(&args);
            assert_eq!(code, 2, "{cmd} {}: {err}", f.display());
            assert!(out.is_empty(), "{out}");
            assert!(!err.contains("panicked"), "{err}");
            for e in &expect {
                assert!(
                    err.contains(e),
                    "{cmd} {}: `{e}` not in: {err}",
                    f.display()
                );
            }
        }
    }
}

#[test]
fn bad_overrides_exit_2() {
    for (set, needle) in [
        ("arrivals.speed=3", "--set arrivals.speed: no such field"),
        ("arrivals.rate=fast", "--set arrivals.rate"),
        ("horizon", "expected path=value"),
        ("arrivals.rate=-1", "field `arrivals.rate`"),
    ] {
        let (code, _, err) = edgesim(&["run", "--set", set, "--quiet"]);
        assert_eq!(code, 2, "{set}: {err}");
        assert!(err.contains(needle), "{set}: {err}");
    }
}

#[test]
fn shipped_scenarios_validate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = vec![root.join("scenarios/default.ron")];
    files.extend(ron_files(&root.join("scenarios/paper")));
    files.extend(ron_files(&root.join("scenarios/workloads")));
    files.extend(ron_files(&root.join("scenarios/roofline")));
    files.extend(ron_files(&root.join("scenarios/continuous")));
    files.extend(ron_files(&root.join("scenarios/radio")));
    assert!(files.len() >= 21, "{files:?}");
    for f in files {
        let (code, out, err) = edgesim(&["validate", f.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {err}", f.display());
        assert!(out.contains("ok"), "{out}");
    }
}

#[test]
fn list_and_bench() {
    let (code, out, _) = edgesim(&["list"]);
    assert_eq!(code, 0);
    for name in sim_schedulers::names() {
        assert!(out.contains(name), "{name}");
    }
    for name in [
        "BLOOM-3B",
        "BLOOM-7.1B",
        "OPT-13B",
        "W8A16",
        "GPTQ",
        "ZQ-Local",
        "Llama-3.1-8B",
        "Qwen2.5-7B",
        "Jetson-AGX-Orin-64GB",
        "H200",
        "SmoothQuant",
        "AWQ",
    ] {
        assert!(out.contains(name), "{name}");
    }
    let (code, out, err) = edgesim(&[
        "bench",
        "engine",
        "--population",
        "100",
        "--events",
        "20000",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    for k in ["engine_events_per_s", "bare_heap_events_per_s", "ratio"] {
        assert!(v[k].as_f64().is_some_and(|x| x > 0.0), "{k}: {v}");
    }
    let ratio =
        v["engine_events_per_s"].as_f64().unwrap() / v["bare_heap_events_per_s"].as_f64().unwrap();
    assert!((ratio - v["ratio"].as_f64().unwrap()).abs() < 1e-9);
    assert_eq!(v["population"], 100);
    assert_eq!(v["events"], 20000);
    let (code, _, _) = edgesim(&["bench", "engine", "--population", "0"]);
    assert_eq!(code, 2);
    let (code, _, _) = edgesim(&["frobnicate"]);
    assert_eq!(code, 2);
}
