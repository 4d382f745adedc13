//! Service classes and the per-request log end to end (MODEL.md §12):
//! `requests.csv` agrees with `summary.json` (counts per outcome and per
//! class; the histograms rebuilt from the log's exact instants are the
//! summary's), the classes add up to the total (counts and `.hlog`
//! histograms), a scenario without classes keeps its outputs, and bad class
//! specs are refused naming the field.

use super::common::{edgesim, succeed};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use hdrhistogram::Histogram;
use tools::histograms::read_hlog;
use tools::summary::{Quantiles, Summary};

fn two_classes() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/examples/two-classes.ron")
}

fn run(dir: &Path, args: &[&str]) -> Output {
    let out = edgesim()
        .arg("run")
        .arg("-q")
        .args(args)
        .arg("--out")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "edgesim run {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn summary(dir: &Path) -> Summary {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// A `requests.csv` cell `S.NNNNNNNNN` back to integer ns (exact).
fn ns(cell: &str) -> Option<u64> {
    if cell.is_empty() {
        return None;
    }
    let (s, frac) = cell.split_once('.').unwrap();
    assert_eq!(frac.len(), 9, "{cell}");
    Some(s.parse::<u64>().unwrap() * 1_000_000_000 + frac.parse::<u64>().unwrap())
}

/// One row of `requests.csv`.
#[derive(Debug)]
struct Row {
    id: u64,
    arrival: u64,
    class: String,
    deadline: u64,
    outcome: String,
    epoch: Option<u64>,
    first_token: Option<u64>,
    delivery: Option<u64>,
}

fn request_log(dir: &Path) -> Vec<Row> {
    let mut r = csv::Reader::from_path(dir.join("requests.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        tools::request_log::REQUEST_COLUMNS,
        "requests.csv header"
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            Row {
                id: rec[0].parse().unwrap(),
                arrival: ns(&rec[1]).unwrap(),
                class: rec[3].to_string(),
                deadline: ns(&rec[6]).unwrap(),
                outcome: rec[7].to_string(),
                epoch: (!rec[8].is_empty()).then(|| rec[8].parse().unwrap()),
                first_token: ns(&rec[9]),
                delivery: ns(&rec[10]),
            }
        })
        .collect()
}

fn hist(values: impl Iterator<Item = u64>) -> Histogram<u64> {
    let mut h = Histogram::<u64>::new(3).unwrap();
    for v in values {
        h.record(v).unwrap();
    }
    h
}

/// The counts of `summary.json` (a class's or the total's) recomputed from `rows`:
/// (arrived, rejected_accuracy, expired, on_time, late, pending, in_flight).
fn tally(rows: &[&Row]) -> [u64; 7] {
    let n = |o: &str| rows.iter().filter(|r| r.outcome == o).count() as u64;
    [
        rows.len() as u64,
        n("rejected_accuracy"),
        n("expired") + n("dropped"),
        n("on_time"),
        n("late"),
        n("pending"),
        n("in_flight"),
    ]
}

/// Checks `rows` against one set of measures of `summary.json`: the counts,
/// and the latency, waiting and first-token histograms rebuilt from the
/// rows' exact instants (the same HdrHistogram, so the same quantiles to
/// the last bit), and the exact mean latency against HdrHistogram's.
#[allow(clippy::too_many_arguments)]
fn agree(
    what: &str,
    rows: &[&Row],
    counts: [u64; 7],
    latency: &Option<Quantiles>,
    waiting: &Option<Quantiles>,
    first_token: &Option<Quantiles>,
    t_c_ns: u64,
) {
    assert_eq!(tally(rows), counts, "{what}: counts");
    let delivered: Vec<&&Row> = rows.iter().filter(|r| r.delivery.is_some()).collect();
    let lat = hist(delivered.iter().map(|r| r.delivery.unwrap() - r.arrival));
    assert_eq!(&Quantiles::of_ns(&lat), latency, "{what}: latency");
    // Waiting t_k − a_i with t_k = k·T_C, of every request an epoch scheduled.
    let wait = hist(
        rows.iter()
            .filter_map(|r| r.epoch.map(|k| k * t_c_ns - r.arrival)),
    );
    assert_eq!(&Quantiles::of_ns(&wait), waiting, "{what}: waiting");
    let first = hist(
        rows.iter()
            .filter_map(|r| r.first_token.map(|t| t - r.arrival)),
    );
    assert_eq!(
        &Quantiles::of_ns(&first),
        first_token,
        "{what}: first token"
    );
    if let Some(q) = latency {
        // The exact mean from the log vs HdrHistogram's mean over
        // median-equivalent values: within its resolution, 10⁻³ relative.
        let exact = delivered
            .iter()
            .map(|r| (r.delivery.unwrap() - r.arrival) as f64)
            .sum::<f64>()
            / delivered.len() as f64
            / 1e9;
        assert!(
            (exact / q.mean_hdr - 1.0).abs() < 1e-3,
            "{what}: exact mean {exact} s vs {}",
            q.mean_hdr
        );
    }
}

fn counts_of(s: &Summary) -> [u64; 7] {
    [
        s.arrived,
        s.rejected_accuracy,
        s.expired,
        s.on_time,
        s.late,
        s.pending,
        s.in_flight,
    ]
}

fn check_log_against_summary(dir: &Path, t_c_ns: u64) -> (Vec<Row>, Summary) {
    let rows = request_log(dir);
    let s = summary(dir);
    let all: Vec<&Row> = rows.iter().collect();
    agree(
        "total",
        &all,
        counts_of(&s),
        &s.latency_s,
        &s.waiting_s,
        &s.first_token_s,
        t_c_ns,
    );
    // One row per cohort request: distinct ids, all arrived at ≥ W.
    let mut ids: Vec<u64> = rows.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), rows.len());
    let w = (s.warmup_s * 1e9).round() as u64;
    assert!(rows.iter().all(|r| r.arrival >= w));
    for r in &rows {
        match r.outcome.as_str() {
            "on_time" => assert!(r.delivery.unwrap() <= r.deadline, "{r:?}"),
            "late" => assert!(r.delivery.unwrap() > r.deadline, "{r:?}"),
            "in_flight" => assert!(r.epoch.is_some() && r.delivery.is_none(), "{r:?}"),
            _ => assert!(r.epoch.is_none() && r.delivery.is_none(), "{r:?}"),
        }
    }
    for (name, c) in &s.classes.0 {
        let mine: Vec<&Row> = rows.iter().filter(|r| &r.class == name).collect();
        let counts = [
            c.arrived,
            c.rejected_accuracy,
            c.expired,
            c.on_time,
            c.late,
            c.pending,
            c.in_flight,
        ];
        agree(
            name,
            &mine,
            counts,
            &c.latency_s,
            &c.waiting_s,
            &c.first_token_s,
            t_c_ns,
        );
    }
    (rows, s)
}

#[test]
fn the_request_log_agrees_with_the_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = two_classes();
    let sc = sc.to_str().unwrap();
    // 60 s at λ = 100 /s with the paper's T_C = 1.5 s: every outcome but
    // `late` and `dropped` occurs (the paper's batches end inside the slot).
    let dir = tmp.path().join("carry");
    run(&dir, &[sc, "--request-log", "--set", "horizon=60"]);
    let (rows, s) = check_log_against_summary(&dir, 1_500_000_000);
    for o in ["on_time", "expired", "rejected_accuracy", "pending"] {
        assert!(rows.iter().any(|r| r.outcome == o), "no {o} row");
    }
    assert_eq!(s.classes.0.len(), 2);
    assert!(rows
        .iter()
        .all(|r| r.class == "interactive" || r.class == "batch"));
    // Paper-literal queue: unscheduled requests are `dropped`, counted as expired.
    let dir = tmp.path().join("drop");
    run(
        &dir,
        &[
            sc,
            "--request-log",
            "--set",
            "horizon=30",
            "--set",
            "queue=DropUnscheduled",
        ],
    );
    let (rows, _) = check_log_against_summary(&dir, 1_500_000_000);
    assert!(rows.iter().any(|r| r.outcome == "dropped"));
    // Late deliveries and requests in flight at the end: a deadline shorter
    // than the pipeline for some requests, and a horizon inside a job.
    let dir = tmp.path().join("late");
    run(
        &dir,
        &[
            "--request-log",
            "--set",
            "horizon=31",
            "--set",
            "scheduler.name=static",
            "--set",
            "scheduler.deadline_aware=false",
        ],
    );
    let (rows, s) = check_log_against_summary(&dir, 1_500_000_000);
    assert!(s.classes.is_empty());
    assert!(rows.iter().all(|r| r.class.is_empty()));
    for o in ["late", "in_flight"] {
        assert!(rows.iter().any(|r| r.outcome == o), "no {o} row");
    }
}

#[test]
fn classes_add_up_to_the_total() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let sc = two_classes();
    // λ = 20: at the file's λ = 100 dftsp starves the batch class (no
    // on-time request), and a sum over a class that served nothing proves less.
    let args = [sc.to_str().unwrap(), "--set", "horizon=60"];
    run(&dir, &[&args[..], &["--set", "arrivals.rate=20"]].concat());
    let s = summary(&dir);
    let names: Vec<&str> = s.classes.0.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["interactive", "batch"]); // the scenario's order
    let mut sum = [0u64; 7];
    let (mut rps, mut batch) = (0.0, 0.0);
    for (_, c) in &s.classes.0 {
        let counts = [
            c.arrived,
            c.rejected_accuracy,
            c.expired,
            c.on_time,
            c.late,
            c.pending,
            c.in_flight,
        ];
        for (t, x) in sum.iter_mut().zip(counts) {
            *t += x;
        }
        rps += c.throughput_rps.unwrap();
        batch += c.mean_batch_size.unwrap();
    }
    assert_eq!(sum, counts_of(&s));
    assert!(s
        .classes
        .0
        .iter()
        .all(|(_, c)| c.arrived > 0 && c.on_time > 0));
    // Sums of per-class ratios of the same denominator: equal up to rounding.
    assert!((rps / s.throughput_rps.unwrap() - 1.0).abs() < 1e-12);
    assert!((batch / s.mean_batch_size.unwrap() - 1.0).abs() < 1e-12);
    // Each per-request histogram: the classes' .hlog histograms add up to
    // the total's (solve time belongs to epochs, and the epoch pipeline
    // measures no KV blocks in use: they have no class file).
    for kind in tools::histograms::KINDS
        .iter()
        .filter(|k| !k.host_dependent && k.name != "kv_blocks")
    {
        let read = |d: &Path| {
            let bytes = std::fs::read(d.join(kind.hlog_file)).unwrap();
            read_hlog(&bytes).unwrap().remove(0).1
        };
        let total = read(&dir);
        let mut added = Histogram::<u64>::new(3).unwrap();
        let mut mean_sum = 0.0;
        for n in &names {
            let d = dir.join("classes").join(n);
            let h = read(&d);
            assert!(d.join(kind.hgrm_file).is_file());
            if kind.name == "batch_size" {
                // One value per measured epoch and class: the class's requests
                // started. The epochs' totals are sums over the classes, so the
                // means add up (counts below 2048 are exact at 3 digits).
                assert_eq!(h.len(), total.len());
                mean_sum += h.mean();
            } else {
                added.add(h).unwrap();
            }
        }
        if kind.name == "batch_size" {
            assert!((mean_sum / total.mean() - 1.0).abs() < 1e-12);
            continue;
        }
        let buckets = |h: &Histogram<u64>| -> Vec<(u64, u64)> {
            h.iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect()
        };
        assert_eq!(buckets(&added), buckets(&total), "{}", kind.name);
        // Nothing is late in this run (batches end inside their slot, 1g).
        if kind.name != "lateness" {
            assert!(!total.is_empty(), "{}", kind.name);
        }
    }
    assert!(!dir.join("classes/interactive/solve_time.hlog").exists());
    // The epoch pipeline measures no KV blocks in use: no class file, no class key
    // (the total's key is there, `null`).
    assert!(!dir.join("classes/interactive/kv_blocks.hlog").exists());
    assert!(s
        .classes
        .0
        .iter()
        .all(|(_, c)| c.kv_block_utilisation.is_none()));
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    assert_eq!(
        text.matches("\"kv_block_utilisation\"").count(),
        1,
        "{text}"
    );
    assert!(!dir.join("requests.csv").exists(), "the log is opt-in");
}

/// Two classes for `requests.classes`: a tight and a loose deadline.
const SHORT_LONG: &str = r#"[(name: "short", share: 0.5, latency: Fixed(1.8)), (name: "long", share: 0.5, latency: Fixed(3.0))]"#;

#[test]
fn continuous_classes_split_the_kv_blocks() {
    // scenarios/continuous/paper.ron at 8 req/s for 20 s with two classes: each class's
    // share of the KV blocks, the classes adding up to the total (same pool-time
    // denominator), and its kv_blocks histogram written with the total's weight.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/continuous/paper.ron");
    let classes = format!("requests.classes={SHORT_LONG}");
    run(
        &dir,
        &[
            scenario.to_str().unwrap(),
            "--set",
            "horizon=20",
            "--set",
            "arrivals.rate=8",
            "--set",
            &classes,
        ],
    );
    let s = summary(&dir);
    let total = s.kv_block_utilisation.unwrap();
    assert!(total > 0.0);
    let mut sum = 0.0;
    for (_, c) in &s.classes.0 {
        let u = c.kv_block_utilisation.unwrap();
        assert!(u > 0.0 && u <= total);
        sum += u;
    }
    assert!((sum / total - 1.0).abs() < 1e-12, "{sum} vs {total}");
    let read = |d: &Path| {
        let bytes = std::fs::read(d.join("kv_blocks.hlog")).unwrap();
        read_hlog(&bytes).unwrap().remove(0).1
    };
    let t = read(&dir);
    let mut weighted = 0.0;
    for n in ["short", "long"] {
        let d = dir.join("classes").join(n);
        assert!(d.join("kv_blocks.hgrm").is_file());
        let h = read(&d);
        // Every µs the total weighs, each class weighs too (at its own per-mille).
        assert_eq!(h.len(), t.len(), "{n}");
        weighted += h.mean() * h.len() as f64;
    }
    // Floored per class: the classes' per-mille·µs at most the total's, short of it by
    // less than one per-mille per class (values ≤ 1000 are exact at 3 digits).
    let whole = t.mean() * t.len() as f64;
    assert!(weighted <= whole * (1.0 + 1e-12) && weighted >= whole - 2.0 * t.len() as f64);
}

#[test]
fn a_continuous_sweep_has_per_class_kv_columns() {
    // Two points of the continuous paper setting with two classes, 2 replications: the
    // results.csv columns kv_block_utilisation_*__<class>, the classes' means adding up
    // to the total's mean (a mean of sums is the sum of means).
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("s.ron");
    std::fs::write(
        &f,
        format!(
            r#"(horizon: 10.0, serving: Continuous((tensor_parallel: 20)),
            sweep: Some((replications: 2, grid: [(path: "arrivals.rate", values: [4.0, 8.0]),
            (path: "requests.classes", values: [{SHORT_LONG}])])))"#
        ),
    )
    .unwrap();
    let out = tmp.path().join("o");
    succeed(
        edgesim()
            .args(["sweep", "-q", "--jobs", "2"])
            .arg(&f)
            .arg("--out")
            .arg(&out),
    );
    let table =
        tools::table::Table::parse(&std::fs::read_to_string(out.join("results.csv")).unwrap())
            .unwrap();
    let col = |name: &str| -> Vec<f64> {
        let i = table
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}: {:?}", table.header));
        table.rows.iter().map(|r| r[i].parse().unwrap()).collect()
    };
    let (short, long) = (
        col("kv_block_utilisation_mean__short"),
        col("kv_block_utilisation_mean__long"),
    );
    let total = col("kv_block_utilisation_mean");
    for p in 0..2 {
        assert!(total[p] > 0.0);
        assert!(
            ((short[p] + long[p]) / total[p] - 1.0).abs() < 1e-9,
            "point {p}"
        );
    }
    assert_eq!(
        table.header.last().unwrap(),
        "kv_block_utilisation_ci_hi__long"
    );
}

#[test]
fn without_classes_nothing_per_class_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    run(&dir, &["--set", "horizon=30"]);
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    assert!(!text.contains("\"classes\""), "{text}");
    assert!(!dir.join("classes").exists());
    // One class inheriting everything: the same requests, hence the same
    // counts and histograms as without classes (the class stream is apart).
    let one = tmp.path().join("one");
    run(
        &one,
        &[
            "--set",
            "horizon=30",
            "--set",
            r#"requests.classes=[(name: "all", share: 1.0)]"#,
        ],
    );
    let (a, b) = (summary(&dir), summary(&one));
    assert_eq!(counts_of(&a), counts_of(&b));
    assert_eq!(a.latency_s, b.latency_s);
    let all = b.classes.get("all").unwrap();
    assert_eq!(all.latency_s, a.latency_s);
    assert_eq!(all.on_time, a.on_time);
}

#[test]
fn a_rerun_removes_the_earlier_per_class_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let sc = two_classes();
    run(
        &dir,
        &[sc.to_str().unwrap(), "--set", "horizon=10", "--request-log"],
    );
    assert!(dir.join("classes/batch").is_dir() && dir.join("requests.csv").is_file());
    run(&dir, &["--set", "horizon=10"]);
    assert!(!dir.join("classes").exists());
    assert!(!dir.join("requests.csv").exists());
}

#[test]
fn bad_class_specs_name_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: HashMap<&str, &str> = HashMap::from([
        (
            r#"[(name: "a", share: 0.5), (name: "a", share: 0.5)]"#,
            "requests.classes[1].name",
        ),
        (
            r#"[(name: "a", share: 0.5), (name: "b", share: 0.6)]"#,
            "requests.classes",
        ),
        (r#"[(name: "a/b", share: 1.0)]"#, "requests.classes[0].name"),
        (
            r#"[(name: "a", share: 1.0, latency: Uniform(lo: 2, hi: 1))]"#,
            "requests.classes[0].latency.hi",
        ),
    ]);
    for (classes, field) in cases {
        let f = tmp.path().join("bad.ron");
        std::fs::write(&f, format!("(requests: (classes: {classes}))")).unwrap();
        let o = edgesim()
            .args(["run", "-q"])
            .arg(&f)
            .arg("--out")
            .arg(tmp.path().join("out"))
            .output()
            .unwrap();
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{classes}: {e}");
        assert!(e.contains(&format!("`{field}`")), "{classes}: {e}");
        assert!(e.contains("bad.ron"), "{classes}: {e}");
    }
}

#[test]
fn sweep_results_have_per_class_columns() {
    let tmp = tempfile::tempdir().unwrap();
    // Point 0 without classes, point 1 with two; 2 replications each.
    let f = tmp.path().join("s.ron");
    std::fs::write(
        &f,
        r#"(horizon: 15.0, sweep: Some((replications: 2, grid: [(path: "requests.classes",
            values: [[], [(name: "short", share: 0.5, latency: Fixed(1.8)), (name: "long", share: 0.5, latency: Fixed(3.0))]])])))"#,
    )
    .unwrap();
    let out = tmp.path().join("o");
    succeed(
        edgesim()
            .args(["sweep", "-q", "--jobs", "2"])
            .arg(&f)
            .arg("--out")
            .arg(&out),
    );
    let table =
        tools::table::Table::parse(&std::fs::read_to_string(out.join("results.csv")).unwrap())
            .unwrap();
    let col = |name: &str| {
        let i = table
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}: {:?}", table.header));
        table
            .rows
            .iter()
            .map(|r| r[i].clone())
            .collect::<Vec<String>>()
    };
    let num = |c: &str| c.parse::<f64>().unwrap();
    // The per-class columns follow the total's, named `<total column>__<class>`.
    let short = col("arrived_mean__short");
    let long = col("arrived_mean__long");
    let total = col("arrived_mean");
    assert_eq!(
        (short[0].as_str(), long[0].as_str()),
        ("", ""),
        "no classes at point 0"
    );
    assert_eq!(num(&short[1]) + num(&long[1]), num(&total[1]));
    assert!(num(&col("on_time_fraction_mean__short")[1]) > 0.0);
    assert!(!col("latency_p99_hdr_s_ci_hi__long")[1].is_empty());
    let last = table.header.last().unwrap();
    assert_eq!(last, "rejected_accuracy_ci_hi__long");
}
