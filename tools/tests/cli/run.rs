//! `edgesim run` end to end: the default scenario, `--set`, determinism,
//! dumped instances re-solved by `edgesim solve`, and Ctrl-C.

use super::common::{self, edgesim, succeed};

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};

fn run(dir: &Path, args: &[&str]) -> Output {
    let out = edgesim()
        .arg("run")
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

fn summary(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn u(v: &serde_json::Value, k: &str) -> u64 {
    v[k].as_u64()
        .unwrap_or_else(|| panic!("{k} missing in {v}"))
}

/// epochs.csv as rows of cells, header first.
fn epochs(dir: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(dir.join("epochs.csv")).unwrap();
    assert!(text.ends_with('\n'));
    text.lines()
        .map(|l| l.split(',').map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn default_run_writes_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("default");
    // The built-in default (paper setting) with a shorter horizon.
    let out = run(&dir, &["--set", "horizon=60", "--quiet"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("default (dftsp)"), "{stdout}");
    assert!(stdout.contains("throughput"), "{stdout}");
    let s = summary(&dir);
    for k in [
        "scenario",
        "seed",
        "horizon_s",
        "warmup_s",
        "arrived",
        "rejected_accuracy",
        "expired",
        "on_time",
        "late",
        "pending",
        "in_flight",
        "plan_violations",
        "throughput_rps",
        "throughput_per_epoch",
        "latency_s",
        "mean_batch_size",
        "kv_peak_bytes",
        "events",
        "wall_s",
        "partial",
    ] {
        assert!(s.get(k).is_some(), "summary.json lacks {k}: {s}");
    }
    for k in [
        "count", "mean_hdr", "p50_hdr", "p90_hdr", "p99_hdr", "max_hdr",
    ] {
        assert!(s["latency_s"][k].is_number(), "latency_s.{k}: {s}");
    }
    assert_eq!(s["scenario"], "default");
    assert_eq!(s["partial"], false);
    assert_eq!(s["horizon_s"], 60.0);
    // Warm-up defaults to 10 % of the horizon (MODEL.md §8).
    assert_eq!(s["warmup_s"], 6.0);
    // The accounting identity of MODEL.md §8.
    let parts: u64 = [
        "rejected_accuracy",
        "expired",
        "on_time",
        "late",
        "pending",
        "in_flight",
    ]
    .iter()
    .map(|k| u(&s, k))
    .sum();
    assert_eq!(u(&s, "arrived"), parts);
    // λ = 100 req/s over the 54 s after warm-up: about 5400 arrivals (±5σ ≈ ±370).
    let arrived = u(&s, "arrived") as f64;
    assert!((arrived - 5400.0).abs() < 370.0, "{arrived}");
    // Throughput is on-time requests over H − W.
    let tp = s["throughput_rps"].as_f64().unwrap();
    assert!((tp - u(&s, "on_time") as f64 / 54.0).abs() < 1e-9);
    // epochs.csv: one row per epoch t_k = k·1.5 s < 60 s → 40 epochs.
    let rows = epochs(&dir);
    assert_eq!(rows[0][0], "epoch");
    assert_eq!(rows.len() - 1, 40);
    assert_eq!(u(&s, "epochs"), 40);
    assert_eq!(rows[2][1], "1.5");
    // Histograms: an interval log and a percentile distribution each.
    for name in [
        "latency",
        "waiting",
        "first_token",
        "slack",
        "lateness",
        "batch_size",
        "solve_time",
    ] {
        let hgrm = std::fs::read_to_string(dir.join(format!("{name}.hgrm"))).unwrap();
        assert!(hgrm.contains("Value     Percentile TotalCount 1/(1-Percentile)"));
        assert!(hgrm.contains("#[Buckets ="), "{name}");
        let log = std::fs::read(dir.join(format!("{name}.hlog"))).unwrap();
        let intervals: Vec<_> = IntervalLogIterator::new(&log)
            .filter_map(|e| match e.unwrap() {
                LogEntry::Interval(i) => Some(i.duration()),
                _ => None,
            })
            .collect();
        assert_eq!(intervals, vec![Duration::from_secs(54)], "{name}");
    }
    // The latency histogram holds every delivered cohort request.
    let hgrm = std::fs::read_to_string(dir.join("latency.hgrm")).unwrap();
    let delivered = u(&s, "on_time") + u(&s, "late");
    assert!(
        hgrm.contains(&format!("Total count    = {delivered:>12}]")),
        "{delivered}: {hgrm}"
    );
    // No temporary file is left behind.
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(!name.starts_with('.'), "{name}");
    }
}

#[test]
fn set_and_seed_change_the_run_and_runs_repeat() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    let args = [
        "--set",
        "horizon=30",
        "--set",
        "arrivals.rate=20",
        "--set",
        "scheduler.name=greedy",
        "-q",
    ];
    run(&a, &args);
    run(&b, &args);
    let mut with_seed = args.to_vec();
    with_seed.extend(["--seed", "99"]);
    run(&c, &with_seed);
    let (sa, sb, sc) = (summary(&a), summary(&b), summary(&c));
    assert_eq!(sa["scheduler"], "greedy");
    assert_eq!(sa["horizon_s"], 30.0);
    assert_eq!(sc["seed"], 99);
    // 20 req/s over 27 s: about 540 arrivals (±5σ ≈ ±116).
    let arrived = u(&sa, "arrived") as f64;
    assert!((arrived - 540.0).abs() < 116.0, "{arrived}");
    // Same seed, same results (wall-clock fields aside); another seed, other arrivals.
    let strip = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("wall_s");
        v
    };
    assert_eq!(strip(sa.clone()), strip(sb));
    assert_ne!(u(&sa, "arrived"), u(&sc, "arrived"));
    let solve_ns = epochs(&a)[0].iter().position(|c| c == "solve_ns").unwrap();
    let no_wall = |rows: Vec<Vec<String>>| -> Vec<Vec<String>> {
        rows.into_iter()
            .map(|mut r| {
                r.remove(solve_ns);
                r
            })
            .collect()
    };
    assert_eq!(no_wall(epochs(&a)), no_wall(epochs(&b)));
}

#[test]
fn dumped_instances_resolve_to_the_batch_the_run_chose() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    run(&dir, &["--set", "horizon=24", "--dump-instances", "-q"]);
    let rows = epochs(&dir);
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
    let (epoch, batch, selected) = (col("epoch"), col("batch_size"), col("selected"));
    let mut checked = 0;
    for r in &rows[1..] {
        let k: u64 = r[epoch].parse().unwrap();
        let inst = dir.join("instances").join(format!("epoch-{k:06}.ron"));
        assert!(inst.exists(), "{}", inst.display());
        let out =
            succeed(edgesim().args(["solve", inst.to_str().unwrap(), "--scheduler", "dftsp"]));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let chosen: Vec<u64> = r[selected]
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        let solved: Vec<u64> = v["selected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        assert_eq!(solved, chosen, "epoch {k}");
        assert_eq!(r[batch], chosen.len().to_string());
        checked += usize::from(!chosen.is_empty());
    }
    assert!(checked >= 10, "only {checked} non-empty epochs");
}

fn temp_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| {
                let p = e.ok()?.path();
                p.file_name()?.to_str()?.starts_with('.').then_some(p)
            })
            .collect()
        })
        .unwrap_or_default()
}

#[test]
fn ctrl_c_writes_complete_partial_results() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("long");
    // Far longer than the test waits: about 12 simulated days.
    let child = edgesim()
        .args(["run", "--set", "horizon=1e6", "--quiet", "--out"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The streamed epochs.csv exists once the handler is installed and the run started.
    let t0 = Instant::now();
    while temp_files(&dir).is_empty() {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the run did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let out = common::interrupt_and_wait(child);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let s = summary(&dir);
    assert_eq!(s["partial"], true);
    let end = s["end_s"].as_f64().unwrap();
    assert!(end > 0.0 && end < 1e6, "{end}");
    // The identity holds for the partial run too.
    let parts: u64 = [
        "rejected_accuracy",
        "expired",
        "on_time",
        "late",
        "pending",
        "in_flight",
    ]
    .iter()
    .map(|k| u(&s, k))
    .sum();
    assert_eq!(u(&s, "arrived"), parts);
    // epochs.csv is complete: one whole row per epoch run.
    assert_eq!(epochs(&dir).len() as u64 - 1, u(&s, "epochs"));
    assert!(temp_files(&dir).is_empty(), "{:?}", temp_files(&dir));
    for name in ["latency.hlog", "latency.hgrm"] {
        assert!(dir.join(name).exists(), "{name}");
    }
}

#[test]
fn hlog_interval_cuts_the_logs_into_periods_that_add_up_to_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    let cut = tmp.path().join("cut");
    run(&whole, &["--set", "horizon=120", "-q"]);
    run(
        &cut,
        &["--set", "horizon=120", "-q", "--hlog-interval", "30s"],
    );
    let s = summary(&cut);
    // Warm-up W = 12 s (10 % of the horizon) to the end at 120 s, cut every
    // 30 s after W: [12, 42], [42, 72], [72, 102], [102, 120] (epochs fall on
    // whole seconds, T_C = 1 s, so every cut lands on its boundary).
    assert_eq!(s["warmup_s"].as_f64(), Some(12.0));
    for kind in ["latency", "waiting", "first_token", "batch_size"] {
        let bytes = std::fs::read(cut.join(format!("{kind}.hlog"))).unwrap();
        let mut spans = Vec::new();
        let mut sum = hdrhistogram::Histogram::<u64>::new(3).unwrap();
        let mut de = hdrhistogram::serialization::Deserializer::new();
        for e in IntervalLogIterator::new(&bytes) {
            if let LogEntry::Interval(iv) = e.unwrap() {
                spans.push((
                    iv.start_timestamp().as_secs_f64(),
                    iv.duration().as_secs_f64(),
                ));
                let decoded = base64::Engine::decode(
                    &base64::engine::general_purpose::STANDARD,
                    iv.encoded_histogram(),
                )
                .unwrap();
                let h: hdrhistogram::Histogram<u64> =
                    de.deserialize(&mut decoded.as_slice()).unwrap();
                sum.add(&h).unwrap();
            }
        }
        assert_eq!(
            spans,
            [(12.0, 30.0), (42.0, 30.0), (72.0, 30.0), (102.0, 18.0)],
            "{kind}"
        );
        // The periods add up to the run's single interval, value for value.
        let whole_bytes = std::fs::read(whole.join(format!("{kind}.hlog"))).unwrap();
        let one = tools::histograms::read_hlog(&whole_bytes).unwrap();
        assert_eq!(one.len(), 1);
        let w = &one[0].1;
        assert_eq!(sum.len(), w.len(), "{kind}");
        for v in w.iter_recorded() {
            assert_eq!(
                sum.count_at(v.value_iterated_to()),
                v.count_at_value(),
                "{kind}"
            );
        }
        // The .hgrm covers the whole run either way.
        assert_eq!(
            std::fs::read(cut.join(format!("{kind}.hgrm"))).unwrap(),
            std::fs::read(whole.join(format!("{kind}.hgrm"))).unwrap()
        );
    }
    assert_eq!(
        u(&summary(&whole)["latency_s"], "count"),
        u(&s["latency_s"], "count")
    );
    let o = edgesim()
        .args(["run", "--hlog-interval", "0s", "--out"])
        .arg(tmp.path().join("bad"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--hlog-interval"));
}

#[test]
fn plot_of_a_run_directory_draws_its_cdfs_and_course() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    run(&dir, &["--set", "horizon=60", "-q"]);
    for fmt in ["svg", "png"] {
        succeed(edgesim().arg("plot").arg(&dir).args(["--format", fmt]));
        for name in ["cdf", "over-time"] {
            let f = dir.join(format!("plots/{name}.{fmt}"));
            let bytes = std::fs::read(&f).unwrap();
            if fmt == "png" {
                assert_eq!(&bytes[..4], b"\x89PNG");
            } else {
                let text = String::from_utf8(bytes).unwrap();
                let want: &[&str] = if name == "cdf" {
                    &["latency", "TTFT", "waiting time", "fraction of requests"]
                } else {
                    &["queue length", "batch size", "KV-cache", "uplink share"]
                };
                for w in want {
                    assert!(text.contains(w), "{name}.svg lacks {w}");
                }
            }
        }
    }
    // Flags that shape a CSV chart, and an -o naming a file, are refused
    // (exit 2) instead of being silently ignored; nothing is written.
    for args in [vec!["--title", "t", "--log-y"], vec!["-o", "x.svg"]] {
        let o = edgesim()
            .arg("plot")
            .arg(&dir)
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(args[0]), "{args:?}: {err}");
    }
    assert!(!std::path::Path::new("x.svg").exists());
}

#[test]
fn a_continuous_run_from_the_shipped_scenario() {
    // scenarios/continuous/paper.ron at λ = 5 req/s for 60 s: iteration-level serving, its own
    // summary line and keys, TTFT and TPOT histograms written, the identity holding with
    // rejected_capacity, and the same bytes from the same seed.
    let tmp = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/continuous/paper.ron");
    let args = [
        scenario.to_str().unwrap(),
        "--set",
        "horizon=60",
        "--set",
        "arrivals.rate=5",
        "--quiet",
    ];
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let out = run(&a, &args);
    run(&b, &args);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("paper-continuous (continuous-fcfs)"),
        "{stdout}"
    );
    assert!(stdout.contains("iterations; preemptions"), "{stdout}");
    let s = summary(&a);
    assert!(u(&s, "iterations") > 0 && u(&s, "on_time") > 0, "{s}");
    assert_eq!(u(&s, "epochs"), 0);
    let accounted: u64 = [
        "rejected_accuracy",
        "rejected_capacity",
        "expired",
        "on_time",
        "late",
        "pending",
        "in_flight",
    ]
    .iter()
    .map(|k| u(&s, k))
    .sum();
    assert_eq!(u(&s, "arrived"), accounted);
    assert_eq!(
        s["ttft_s"]["count"].as_u64(),
        Some(u(&s, "on_time") + u(&s, "late"))
    );
    assert!(s["kv_block_utilisation"].as_f64().is_some());
    for f in ["ttft.hgrm", "tpot.hlog", "kv_blocks.hgrm", "summary.json"] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        if f == "summary.json" {
            let strip = |v: Vec<u8>| {
                let mut j: serde_json::Value = serde_json::from_slice(&v).unwrap();
                j.as_object_mut().unwrap().remove("wall_s");
                j
            };
            assert_eq!(strip(x), strip(y));
        } else {
            assert_eq!(x, y, "{f}");
        }
    }
}

/// The intervals of a `.hlog`: `(start s, length s, histogram)`.
fn intervals(path: &Path) -> Vec<(f64, f64, hdrhistogram::Histogram<u64>)> {
    let bytes = std::fs::read(path).unwrap();
    let mut de = hdrhistogram::serialization::Deserializer::new();
    let mut out = Vec::new();
    for e in IntervalLogIterator::new(&bytes) {
        if let LogEntry::Interval(iv) = e.unwrap() {
            let decoded = base64::Engine::decode(
                &base64::engine::general_purpose::STANDARD,
                iv.encoded_histogram(),
            )
            .unwrap();
            out.push((
                iv.start_timestamp().as_secs_f64(),
                iv.duration().as_secs_f64(),
                de.deserialize(&mut decoded.as_slice()).unwrap(),
            ));
        }
    }
    out
}

#[test]
fn a_continuous_run_writes_its_request_log_and_cut_hlogs() {
    // scenarios/continuous/paper.ron (radio links, T_coh = T_C = 1.5 s) at λ = 20 req/s for
    // 120 s: W = 12 s, cuts every 30 s at 42, 72 and 102 s (multiples of the coherence time, so
    // downlink deliveries fall in their own interval). The run with both flags gives the same
    // summary and .hgrm files as the run without.
    let tmp = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/continuous/paper.ron");
    let base = [
        scenario.to_str().unwrap(),
        "--set",
        "horizon=120",
        "--set",
        "arrivals.rate=20",
        "-q",
    ];
    let (plain, logged) = (tmp.path().join("plain"), tmp.path().join("logged"));
    run(&plain, &base);
    let mut args = base.to_vec();
    args.extend(["--request-log", "--hlog-interval", "30s"]);
    run(&logged, &args);
    assert!(!plain.join("requests.csv").exists());
    let strip = |dir: &Path| {
        let mut j = summary(dir);
        j.as_object_mut().unwrap().remove("wall_s");
        j
    };
    assert_eq!(strip(&plain), strip(&logged));

    // requests.csv: the epoch columns then the continuous ones; one row per cohort request,
    // the outcomes adding up to summary.json's counts, preemptions too.
    let s = summary(&logged);
    let mut r = csv::Reader::from_path(logged.join("requests.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let want: Vec<&str> = tools::request_log::REQUEST_COLUMNS
        .iter()
        .chain(tools::request_log::CONTINUOUS_COLUMNS)
        .copied()
        .collect();
    assert_eq!(header, want);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (id, outcome, epoch, pre) = (col("id"), col("outcome"), col("epoch"), col("preemptions"));
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let mut ids: Vec<u64> = rows.iter().map(|r| r[id].parse().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), rows.len());
    assert_eq!(rows.len() as u64, u(&s, "arrived"));
    for k in [
        "rejected_accuracy",
        "rejected_capacity",
        "expired",
        "on_time",
        "late",
        "pending",
        "in_flight",
    ] {
        let n = rows.iter().filter(|r| &r[outcome] == k).count() as u64;
        assert_eq!(n, u(&s, k), "{k}");
    }
    assert!(rows.iter().all(|r| r[epoch].is_empty()));
    let preempted: u64 = rows.iter().map(|r| r[pre].parse::<u64>().unwrap()).sum();
    assert_eq!(preempted, u(&s, "preemptions"));
    assert!(u(&s, "late") + u(&s, "on_time") > 0, "{s}");
    // The instants are exact ns: the histograms rebuilt from the rows are the run's, value
    // for value (latency: delivery; waiting: first admission; first_token: on the GPU;
    // ttft: at the user).
    let ns = |cell: &str| -> Option<u64> {
        let (a, b) = cell.split_once('.')?;
        assert_eq!(b.len(), 9, "{cell}");
        Some(a.parse::<u64>().unwrap() * 1_000_000_000 + b.parse::<u64>().unwrap())
    };
    let arrival = col("arrival_s");
    for (kind, end) in [
        ("latency", "delivery_s"),
        ("waiting", "admitted_s"),
        ("first_token", "first_token_s"),
        ("ttft", "user_first_token_s"),
    ] {
        let mut rebuilt = hdrhistogram::Histogram::<u64>::new(3).unwrap();
        for r in &rows {
            if let Some(t) = ns(&r[col(end)]) {
                rebuilt.record(t - ns(&r[arrival]).unwrap()).unwrap();
            }
        }
        let whole = intervals(&plain.join(format!("{kind}.hlog")));
        let w = &whole[0].2;
        assert_eq!(rebuilt.len(), w.len(), "{kind}");
        for v in w.iter_recorded() {
            assert_eq!(
                rebuilt.count_at(v.value_iterated_to()),
                v.count_at_value(),
                "{kind}"
            );
        }
    }

    // Each .hlog: four intervals [12, 42], [42, 72], [72, 102], [102, 120] whose values add
    // up, value for value, to the run's single interval.
    for kind in [
        "latency",
        "ttft",
        "tpot",
        "waiting",
        "first_token",
        "kv_blocks",
    ] {
        let cut = intervals(&logged.join(format!("{kind}.hlog")));
        let spans: Vec<(f64, f64)> = cut.iter().map(|c| (c.0, c.1)).collect();
        assert_eq!(
            spans,
            [(12.0, 30.0), (42.0, 30.0), (72.0, 30.0), (102.0, 18.0)],
            "{kind}"
        );
        let mut sum = hdrhistogram::Histogram::<u64>::new(3).unwrap();
        for c in &cut {
            sum.add(&c.2).unwrap();
        }
        let whole = intervals(&plain.join(format!("{kind}.hlog")));
        assert_eq!(whole.len(), 1);
        let w = &whole[0].2;
        assert_eq!(sum.len(), w.len(), "{kind}");
        assert!(!w.is_empty(), "{kind}");
        for v in w.iter_recorded() {
            assert_eq!(
                sum.count_at(v.value_iterated_to()),
                v.count_at_value(),
                "{kind}"
            );
        }
        assert_eq!(
            std::fs::read(logged.join(format!("{kind}.hgrm"))).unwrap(),
            std::fs::read(plain.join(format!("{kind}.hgrm"))).unwrap()
        );
    }
    // Deliveries spread over the run: more than one interval holds latencies.
    let lat = intervals(&logged.join("latency.hlog"));
    assert!(lat.iter().filter(|c| !c.2.is_empty()).count() > 1);

    // --dump-instances has nothing to dump: refused, naming the flag, nothing written.
    let o = edgesim()
        .arg("run")
        .arg(&scenario)
        .args(["--dump-instances", "-q", "--out"])
        .arg(tmp.path().join("dump"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--dump-instances") && err.contains("no scheduling"),
        "{err}"
    );
    assert!(!tmp.path().join("dump/summary.json").exists());
}

#[test]
fn the_measured_replay_example_serves_every_request_of_its_trace() {
    // scenarios/continuous/measured-replay.ron (docs/continuous.md, "Replaying a
    // measured serving run"): the run sees exactly the trace's requests — counted
    // here from the file itself, one JSON object a line — and every one of them
    // ends in exactly one outcome; with 1 h deadlines, no expiry and a horizon
    // long past the last send, all of them complete and have a TTFT and a latency.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let trace = std::fs::read_to_string(root.join("data/traces/replay-example.jsonl")).unwrap();
    let rows = trace.lines().filter(|l| !l.trim().is_empty()).count() as u64;
    assert_eq!(rows, 400, "the generator's REQUESTS");
    let tmp = tempfile::tempdir().unwrap();
    let scenario = root.join("scenarios/continuous/measured-replay.ron");
    run(tmp.path(), &[scenario.to_str().unwrap(), "--quiet"]);
    let s = summary(tmp.path());
    assert_eq!(u(&s, "arrived_total"), rows, "{s}");
    assert_eq!(u(&s, "arrived"), rows, "warm-up 0: every request counts");
    let accounted: u64 = [
        "rejected_accuracy",
        "rejected_capacity",
        "expired",
        "on_time",
        "late",
        "pending",
        "in_flight",
    ]
    .iter()
    .map(|k| u(&s, k))
    .sum();
    assert_eq!(accounted, rows, "{s}");
    assert_eq!(u(&s, "on_time"), rows, "{s}");
    for h in ["ttft_s", "tpot_s", "latency_s"] {
        assert_eq!(s[h]["count"].as_u64(), Some(rows), "{h}: {s}");
    }
    assert!(u(&s, "iterations") > 0);
}
