//! `edgesim solve` end to end: the worked node-count example of MODEL.md §7
//! and bad instance files.

use super::common::edgesim;

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../scenarios/examples/dftsp-nodes.ron"
);

fn solve(args: &[&str]) -> (i32, String, String) {
    let out = edgesim().arg("solve").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

#[test]
fn worked_example_dftsp_and_tree_search() {
    // Hand count in the file's header: selected [2, 3]; dftsp 2 + 2 + 1 = 5 nodes,
    // tree-search 9 + 6 + 1 = 16.
    for (name, nodes) in [("dftsp", 5), ("tree-search", 16)] {
        let (code, out, err) = solve(&[EXAMPLE, "--scheduler", name]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(out.lines().count(), 1);
        let v = json(out.trim());
        assert_eq!(v["scheduler"], name);
        assert_eq!(v["selected"], serde_json::json!([2, 3]));
        assert_eq!(v["count"], 2);
        assert_eq!(v["nodes"], nodes);
        // Two requests, s' = 128, n = 128 each: 2 × 0.034279 s (the file's per-request
        // time, which already includes β) = 0.068558 s, delivered at 0.25 + 0.0686 + 0.25
        // = 0.5686 ≤ 0.58.
        let t = v["t_batch"].as_f64().unwrap();
        assert!((t - 0.068558).abs() < 2e-6, "{t}");
        assert!(v["solve_ns"].as_u64().is_some());
        // Keys in the order MODEL.md §10 writes them.
        let keys: Vec<&str> = out
            .trim()
            .trim_matches(['{', '}'])
            .split(',')
            .filter_map(|kv| kv.split_once(':').map(|(k, _)| k.trim_matches('"')))
            .filter(|k| !k.chars().all(|c| c.is_ascii_digit() || c == ']'))
            .collect();
        assert_eq!(
            keys,
            [
                "scheduler",
                "selected",
                "count",
                "t_batch",
                "nodes",
                "solve_ns"
            ]
        );
    }
    // z_start all: same answer, at least as many nodes.
    let (code, out, _) = solve(&[EXAMPLE, "--scheduler", "dftsp", "--z-start", "all"]);
    assert_eq!(code, 0);
    let v = json(out.trim());
    assert_eq!(v["selected"], serde_json::json!([2, 3]));
    assert!(v["nodes"].as_u64().unwrap() >= 5);
}

#[test]
fn all_prints_one_object_per_batching_scheduler() {
    let (code, out, err) = solve(&[EXAMPLE, "--scheduler", "all"]);
    assert_eq!(code, 0, "{err}");
    let names: Vec<String> = out
        .lines()
        .map(|l| json(l)["scheduler"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, sim_schedulers::batching());
    for l in out.lines() {
        let v = json(l);
        // Every scheduler either answers or says why not; the optimal ones agree.
        assert!(v.get("count").is_some() != v.get("error").is_some(), "{l}");
        if ["dftsp", "tree-search", "exhaustive"].contains(&v["scheduler"].as_str().unwrap()) {
            assert_eq!(v["count"], 2, "{l}");
        }
    }
}

#[test]
fn bad_instances_exit_2_with_position_or_field() {
    let good = std::fs::read_to_string(EXAMPLE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        // (name, text, what stderr must contain)
        (
            "syntax",
            "(\n  flops: 2.66e13,\n  memory: 6.4e11\n  model: (layers: 30),\n)".into(),
            ":4:3:",
        ),
        (
            "unknown-field",
            good.replace("t_u: 0.25,", "t_u: 0.25, t_x: 1.0,"),
            "t_x",
        ),
        (
            "negative-rho",
            good.replace(
                "(id: 1, prompt: 128, output: 256, budget: 2.0, rho_up: 1e-5",
                "(id: 1, prompt: 128, output: 256, budget: 2.0, rho_up: -1e-5",
            ),
            "field `requests[0].rho_up`",
        ),
        (
            "zero-flops",
            good.replace("flops: 2.66e13", "flops: 0.0"),
            "field `flops`",
        ),
        (
            "duplicate-id",
            good.replace("(id: 3", "(id: 2"),
            "duplicate id 2",
        ),
        ("empty", String::new(), ":1:1:"),
    ];
    for (name, text, needle) in cases {
        let p = dir.path().join(format!("{name}.ron"));
        std::fs::write(&p, text).unwrap();
        let (code, out, err) = solve(&[p.to_str().unwrap()]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(out.is_empty(), "{name}: {out}");
        assert!(err.contains(needle), "{name}: {err}");
        assert!(err.contains(&format!("{name}.ron")), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    let (code, _, err) = solve(&["/nonexistent/instance.ron"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = solve(&[EXAMPLE, "--scheduler", "bogus"]);
    assert_eq!(code, 2);
    assert!(err.contains("dftsp"), "{err}");
    let (code, _, _) = solve(&[EXAMPLE, "--z-start", "sometimes"]);
    assert_eq!(code, 2);
}
