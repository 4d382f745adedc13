//! `edgesim resolve` end to end: a short run's dumped instances re-solved by
//! dftsp and tree-search (one row per epoch, equal counts, the run's own
//! batch sizes, Table III's reduction recomputed from the CSV), and bad input.

use super::common::edgesim;
use std::path::Path;
use std::process::Output;

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

/// A CSV without quoted cells as rows of cells, header first.
fn csv(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(|c| c.to_string()).collect())
        .collect()
}

fn col(rows: &[Vec<String>], name: &str) -> usize {
    rows[0]
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", rows[0]))
}

fn nums(rows: &[Vec<String>], name: &str) -> Vec<u64> {
    let c = col(rows, name);
    rows[1..].iter().map(|r| r[c].parse().unwrap()).collect()
}

#[test]
fn dumped_run_resolved_by_dftsp_and_tree_search() {
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("run");
    ok(
        edgesim()
            .args(["run", "--set", "horizon=30", "--set", "arrivals.rate=50"])
            .args(["--dump-instances", "--quiet", "--out"])
            .arg(&run_dir)
            .output()
            .unwrap(),
        "run",
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("summary.json")).unwrap())
            .unwrap();
    let epochs = summary["epochs"].as_u64().unwrap() as usize;
    assert_eq!(epochs, 20); // 30 s / T_C = 1.5 s per epoch (MODEL.md §4)

    for z in ["bound", "all"] {
        let csv_path = tmp.path().join(format!("resolve-{z}.csv"));
        let out = ok(
            edgesim()
                .arg("resolve")
                .arg(run_dir.join("instances"))
                .args(["--scheduler", "dftsp", "--scheduler", "tree-search"])
                .args(["--z-start", z, "-o"])
                .arg(&csv_path)
                .output()
                .unwrap(),
            "resolve",
        );
        let lines: Vec<serde_json::Value> = out.lines().map(json).collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert_eq!(lines[0]["scheduler"], "dftsp");
        assert_eq!(lines[1]["scheduler"], "tree-search");

        let rows = csv(&csv_path);
        assert_eq!(rows.len() - 1, epochs, "one row per epoch");
        assert_eq!(
            rows[0][..5],
            [
                "file",
                "candidates",
                "dftsp_count",
                "dftsp_nodes",
                "dftsp_solve_ns"
            ]
        );
        // Rows in file-name order, i.e. epoch order.
        for (k, r) in rows[1..].iter().enumerate() {
            assert!(r[0].ends_with(&format!("epoch-{k:06}.ron")), "{}", r[0]);
        }
        let (dc, tc) = (nums(&rows, "dftsp_count"), nums(&rows, "tree-search_count"));
        let (dn, tn) = (nums(&rows, "dftsp_nodes"), nums(&rows, "tree-search_nodes"));
        assert_eq!(dc, tc, "both searches are exact: same count every epoch");
        // The run itself scheduled with dftsp (z_start: bound, the default): the
        // batch size it recorded per epoch is what dftsp finds again.
        let ep = csv(&run_dir.join("epochs.csv"));
        assert_eq!(dc, nums(&ep, "batch_size"));
        if z == "bound" {
            assert_eq!(dn, nums(&ep, "nodes"));
        }
        assert!(
            dn.iter().zip(&tn).all(|(d, t)| d <= t),
            "pruning never adds nodes"
        );
        assert!(
            dc.iter().sum::<u64>() > 0,
            "a run at 50 req/s schedules something"
        );

        // The reduction summary, recomputed here from the CSV.
        let red = &lines[2];
        let per: Vec<f64> = dn
            .iter()
            .zip(&tn)
            .filter(|(_, &t)| t > 0)
            .map(|(&d, &t)| 1.0 - d as f64 / t as f64)
            .collect();
        assert_eq!(red["epochs"].as_u64().unwrap() as usize, per.len());
        assert!(per.len() >= epochs - 1, "only epoch 0 may be empty");
        let mean = per.iter().sum::<f64>() / per.len() as f64;
        let pe = &red["per_epoch"];
        assert!((pe["mean"].as_f64().unwrap() - mean).abs() < 1e-12);
        let (sd, st): (u64, u64) = (dn.iter().sum(), tn.iter().sum());
        let total = red["total_ratio"].as_f64().unwrap();
        assert!((total - (1.0 - sd as f64 / st as f64)).abs() < 1e-12);
        assert_eq!(red["nodes_dftsp"].as_u64().unwrap(), sd);
        assert_eq!(red["count_mismatches"], 0);
        // (total and mean are tied to 1 − d/t above; the per-epoch extremes are not.)
        for v in [
            pe["min"].as_f64().unwrap(),
            pe["median"].as_f64().unwrap(),
            pe["max"].as_f64().unwrap(),
        ] {
            assert!((0.0..=1.0).contains(&v), "{red}");
        }
        for l in &lines[..2] {
            assert_eq!(l["instances"].as_u64().unwrap() as usize, epochs);
            assert_eq!(l["refused"], 0);
            assert!(l["solve_ns_p99"].as_f64().unwrap() >= l["solve_ns_median"].as_f64().unwrap());
        }
    }
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let resolve = |dir: &Path, sched: &str| {
        let out = edgesim()
            .arg("resolve")
            .arg(dir)
            .args(["--scheduler", sched])
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    let missing = tmp.path().join("nope");
    let (code, err) = resolve(&missing, "dftsp");
    assert_eq!(code, Some(2));
    assert!(err.contains("nope"), "{err}");

    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (code, err) = resolve(&empty, "dftsp");
    assert_eq!(code, Some(2));
    assert!(err.contains("no *.ron"), "{err}");

    let bad = tmp.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    std::fs::write(
        bad.join("epoch-000000.ron"),
        "(\n  flops: 1e12,\n  memory: ]\n)\n",
    )
    .unwrap();
    let (code, err) = resolve(&bad, "dftsp");
    assert_eq!(code, Some(2));
    assert!(err.contains("epoch-000000.ron:3:"), "{err}");

    let (code, err) = resolve(&bad, "nobatch");
    assert_eq!(code, Some(2));
    assert!(err.contains("nobatch"), "{err}");
}
