//! Tests of the arrival sources of MODEL.md §12 and of trace reading.

use std::io::Write;

use sim_core::RngStreams;

use super::*;
use crate::arrivals::ArrivalSource;
use crate::scenario::{Scenario, TraceFormat, TraceSpec, UserAssign};
use crate::trace::{RowReader, TraceError, TraceSummary};

/// A temporary file holding `text`, with the given suffix.
fn file(text: &str, suffix: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(suffix).tempfile().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

fn path(f: &tempfile::NamedTempFile) -> String {
    f.path().to_str().unwrap().to_string()
}

/// Every arrival of `src` up to `horizon_ns`: (instant, user, prompt, output).
fn drain(src: &mut dyn ArrivalSource, horizon_ns: u64) -> Vec<(u64, u32, u32, u32)> {
    let mut out = Vec::new();
    let mut next: Vec<Option<u64>> = (0..src.streams()).map(|s| src.first_ns(s)).collect();
    while let Some((s, t)) = next
        .iter()
        .enumerate()
        .filter_map(|(s, t)| t.map(|t| (s, t)))
        .min_by_key(|&(s, t)| (t, s))
    {
        if t > horizon_ns {
            break;
        }
        let (a, n) = src.arrive(s as u32, t);
        next[s] = n;
        out.push((t, a.user, a.attrs.prompt, a.attrs.output));
    }
    assert_eq!(src.failure(), None);
    out
}

/// A scenario's resolved system with `arrivals` and `horizon`, no warm-up.
fn system(arrivals: &str, horizon: f64, users: u32) -> crate::System {
    let sc = Scenario::from_ron_str(&format!(
        "(horizon: {horizon}, warmup: Some(0.0), users: (count: {users}), arrivals: {arrivals})"
    ))
    .unwrap();
    sc.resolve().unwrap()
}

const CSV: &str = "TIMESTAMP,ContextTokens,GeneratedTokens
2023-11-16 18:00:00.0000000,100,10
2023-11-16 18:00:00.5000000,200,20
2023-11-16 18:00:01.2500001,300,30
";

#[test]
fn replay_delivers_the_trace_at_its_instants() {
    let f = file(CSV, ".csv");
    let sys = system(
        &format!(
            "(process: Trace((path: {:?})), assign: RoundRobin)",
            path(&f)
        ),
        10.0,
        2,
    );
    let mut src = source(&sys, &RngStreams::new(1)).unwrap();
    // Offsets from the first row: 0, 0.5 s, 1.2500001 s (the 7th decimal is 100 ns).
    assert_eq!(
        drain(src.as_mut(), sys.horizon_ns),
        [
            (0, 0, 100, 10),
            (500_000_000, 1, 200, 20),
            (1_250_000_100, 0, 300, 30)
        ]
    );
}

#[test]
fn scale_start_repeat_and_limit_by_hand() {
    let f = file(CSV, ".csv");
    let sys = system(
        &format!(
            "(process: Trace((path: {:?}, time_scale: 2.0, start: 0.25, repeat: true, limit: Some(5))), assign: RoundRobin)",
            path(&f)
        ),
        100.0,
        3,
    );
    let mut src = source(&sys, &RngStreams::new(1)).unwrap();
    // n = 3, span = 1.2500001 s, period P = span·3/2 = 1.87500015 s.
    // Trace offsets T ≥ start = 0.25 s, at (T − 0.25)·2:
    //   loop 0: 0.5 → 0.5 s; 1.2500001 → 2.0000002 s (0 is before the start);
    //   loop 1: 1.87500015 → 3.2500003 s; 2.37500015 → 4.2500003 s; 3.12500025 → 5.7500005 s;
    // then the limit of 5.
    let got = drain(src.as_mut(), sys.horizon_ns);
    let want = [
        (500_000_000, 0, 200, 20),
        (2_000_000_200, 1, 300, 30),
        (3_250_000_300, 2, 100, 10),
        (4_250_000_300, 0, 200, 20),
        (5_750_000_500, 1, 300, 30),
    ];
    assert_eq!(got, want);
}

#[test]
fn a_long_repeat_without_the_cache_gives_the_same_instants() {
    // The cached loops and the re-read ones are the same: compare a looped
    // replay against the same instants computed from the summary by hand.
    let f = file(CSV, ".csv");
    let spec = TraceSpec {
        repeat: true,
        ..TraceSpec::new(path(&f), TraceFormat::AzureCsv)
    };
    let sum = TraceSummary::of(&spec).unwrap();
    let p = sum.period_ns().unwrap();
    let mut r = Replay::open(&spec, sum).unwrap();
    let offs = [0.0, 5e8, 1_250_000_100.0];
    for k in 0..1000u64 {
        for off in offs {
            let want = round_ns(k as f64 * p + off);
            assert_eq!(r.next().unwrap().unwrap().0, want, "loop {k}");
        }
    }
}

#[test]
fn the_conversation_trace_is_replayed_whole() {
    // Every row of the Azure conversation trace, with its lengths: counted
    // and summed here by plain string splitting, independently of the reader.
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/traces/AzureLLMInferenceTrace_conv.csv"
    );
    let text = std::fs::read_to_string(p).unwrap();
    let (mut n, mut sp, mut so) = (0u64, 0u64, 0u64);
    for line in text.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        n += 1;
        sp += c[1].parse::<u64>().unwrap();
        so += c[2].parse::<u64>().unwrap();
    }
    assert_eq!(n, 19_366); // data/README.md
    let sys = system(&format!("(process: Trace((path: {p:?})))"), 3600.0, 50);
    let got = drain(
        source(&sys, &RngStreams::new(1)).unwrap().as_mut(),
        sys.horizon_ns,
    );
    assert_eq!(got.len() as u64, n);
    assert_eq!(got.iter().map(|a| a.2 as u64).sum::<u64>(), sp);
    assert_eq!(got.iter().map(|a| a.3 as u64).sum::<u64>(), so);
    // Last row 19:14:08.40… − first 18:15:46.68… = 3 501.7 s (data/README.md).
    let last = got.last().unwrap().0 as f64 / 1e9;
    assert!((last - 3501.7).abs() < 0.05, "{last}");
    assert!(got.windows(2).all(|w| w[0].0 <= w[1].0));
    assert!(got.iter().all(|a| a.1 < 50));
}

#[test]
fn json_lines_with_named_fields() {
    let f = file(
        "{\"t\": 10.0, \"in\": 5, \"out\": 7}\n\n{\"t\": 10.25, \"in\": 6, \"out\": 8, \"x\": null}\n",
        ".jsonl",
    );
    let sys = system(
        &format!(
            "(process: Trace((path: {:?}, format: JsonLines(time: \"t\", prompt: \"in\", output: \"out\"))))",
            path(&f)
        ),
        10.0,
        1,
    );
    let got = drain(
        source(&sys, &RngStreams::new(1)).unwrap().as_mut(),
        sys.horizon_ns,
    );
    assert_eq!(got, [(0, 0, 5, 7), (250_000_000, 0, 6, 8)]);
}

fn row_error(text: &str, suffix: &str, format: TraceFormat) -> String {
    let f = file(text, suffix);
    let spec = TraceSpec::new(path(&f), format);
    let e = TraceSummary::of(&spec).unwrap_err();
    e.to_string().replace(&path(&f), "F")
}

fn jsonl() -> TraceFormat {
    TraceFormat::JsonLines {
        time: "t".into(),
        prompt: "p".into(),
        output: "o".into(),
    }
}

#[test]
fn bad_rows_name_file_line_and_column() {
    let h = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
    let ok = "2023-11-16 18:00:00.0,1,1\n";
    let cases = [
        (
            format!("{h}{ok}2023-11-16 18:00:0x,1,1\n"),
            "F:3: column 1 (`TIMESTAMP`): second `0x` is not a number",
        ),
        (
            format!("{h}{ok}{ok}2023-11-16 18:00:01,abc,1\n"),
            "F:4: column 2 (`ContextTokens`): `abc` is not a whole number of tokens",
        ),
        (
            format!("{h}{ok}2023-11-16 18:00:01,1,0\n"),
            "F:3: column 3 (`GeneratedTokens`): 0 tokens is outside [1, 1000000]",
        ),
        (
            format!("{h}2023-11-16 18:00:01,1,1\n{ok}"),
            "F:3: column 1 (`TIMESTAMP`): the time is before the previous row's",
        ),
        (
            format!("{h}{ok}2023-11-16 18:00:01,1\n"),
            "F:3: 2 fields, where the header has 3",
        ),
        (
            "TIMESTAMP,Context,GeneratedTokens\n".to_string(),
            "F: the header has no column `ContextTokens`",
        ),
        (h.to_string(), "F: no request in the file"),
    ];
    for (text, want) in cases {
        let e = row_error(&text, ".csv", TraceFormat::AzureCsv);
        assert!(e.starts_with(want), "{e}\n  wanted {want}");
    }
    let cases = [
        (
            "{\"t\": 0, \"p\": 1, \"o\": 1}\n{\"t\": 1, \"p\": 1}\n",
            "F:2: field `o`: missing",
        ),
        (
            "{\"t\": 0, \"p\": 1, \"o\": 1}\n{\"t\": \"x\", \"p\": 1, \"o\": 1}\n",
            "F:2: field `t`: `\"x\"` is not a number",
        ),
        (
            "{\"t\": 0, \"p\": 1.5, \"o\": 1}\n",
            "F:1: field `p`: 1.5 is not a whole number",
        ),
        (
            "{\"t\": 0, \"p\": 1, \"o\": 1}\n{\"t\": 1, \"p\": 1,\n",
            "F:2: column 16: not a JSON object: EOF while parsing a value",
        ),
        // 2·10⁹ s after the first row: beyond the 10⁹ s the ns clock of a run holds.
        (
            "{\"t\": 0, \"p\": 1, \"o\": 1}\n{\"t\": 2e9, \"p\": 1, \"o\": 1}\n",
            "F:2: field `t`: 2e9 s after the first row",
        ),
    ];
    for (text, want) in cases {
        let e = row_error(text, ".jsonl", jsonl());
        assert!(e.starts_with(want), "{e}\n  wanted {want}");
    }
    // Through a scenario: the field, then the file, line and column.
    let f = file(&format!("{h}{ok}2023-11-16 18:00:01,1,x\n"), ".csv");
    let sc = Scenario::from_ron_str(&format!(
        "(arrivals: (process: Trace((path: {:?}))))",
        path(&f)
    ));
    let e = sc.unwrap_err().to_string().replace(&path(&f), "F");
    assert_eq!(
        e,
        "field `arrivals.process.path`: F:3: column 3 (`GeneratedTokens`): `x` is not a whole number of tokens"
    );
}

#[test]
fn skipped_rows_are_counted_and_clamp_clamps() {
    let f = file(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:00:00,5,5\nbad,1,1\n2023-11-16 18:00:01,0,2000000\n2023-11-16 18:00:02,7,7\n",
        ".csv",
    );
    let mut spec = TraceSpec {
        skip_malformed: true,
        ..TraceSpec::new(path(&f), TraceFormat::AzureCsv)
    };
    let s = TraceSummary::of(&spec).unwrap();
    assert_eq!((s.rows, s.skipped), (2, 2));
    spec.clamp = true;
    let s = TraceSummary::of(&spec).unwrap();
    assert_eq!((s.rows, s.skipped, s.max_output), (3, 1, 1_000_000));
    let mut r = RowReader::open(&spec).unwrap();
    r.next_row().unwrap();
    let row = r.next_row().unwrap().unwrap();
    assert_eq!((row.line, row.prompt, row.output), (4, 1, 1_000_000));
    // The warning of the run's size says how many were skipped.
    spec.clamp = false;
    let sc = Scenario {
        arrivals: crate::scenario::Arrivals {
            process: crate::scenario::Process::Trace(spec),
            ..Default::default()
        },
        ..Default::default()
    };
    let w = sc.size().unwrap().warnings;
    assert!(
        w.iter()
            .any(|w| w.contains("2 malformed trace rows skipped")),
        "{w:?}"
    );
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let e = Scenario::from_ron_str("(arrivals: (process: Trace((path: \"/nonexistent/x.csv\"))))")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("field `arrivals.process.path`: /nonexistent/x.csv: "),
        "{e}"
    );
    let e = Scenario::from_ron_str(
        "(requests: (prompt: Empirical(path: \"/nonexistent/x.csv\", column: \"a\")))",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("field `requests.prompt`: /nonexistent/x.csv: "),
        "{e}"
    );
}

/// Mean and coefficient of variation of the gaps of `n` instants of `src`.
fn gap_stats(src: &mut dyn Instants, n: usize) -> (f64, f64) {
    let mut prev = 0u64;
    let (mut sum, mut sum2) = (0.0, 0.0);
    for _ in 0..n {
        let t = src.next().unwrap().unwrap().0;
        let g = (t - prev) as f64;
        prev = t;
        sum += g;
        sum2 += g * g;
    }
    let mean = sum / n as f64;
    let var = sum2 / n as f64 - mean * mean;
    (mean, var.sqrt() / mean)
}

#[test]
fn gamma_gaps_have_their_mean_and_cv() {
    // 10⁶ gaps at λ = 100 /s (mean gap 10⁷ ns). Standard errors, for shape
    // k = 1/cv²: mean cv/√n; std (relative) ≈ √((2 + 6/k)/n)/2 (the gamma's
    // excess kurtosis is 6/k). cv = 2: 0.2 % and 0.26 %; cv = 0.5: 0.05 % and
    // 0.09 %. Tolerance 1.5 % on both: over 5 standard errors.
    let streams = RngStreams::new(11);
    for cv in [2.0, 0.5, 1.0] {
        let mut g = GammaRenewal::new(100.0, cv, streams.stream("g"));
        let (mean, got_cv) = gap_stats(&mut g, 1_000_000);
        assert!((mean / 1e7 - 1.0).abs() < 0.015, "cv {cv}: mean {mean}");
        assert!((got_cv / cv - 1.0).abs() < 0.015, "cv {cv}: cv {got_cv}");
    }
}

#[test]
fn a_very_high_rate_keeps_its_mean_count() {
    // λ = 10⁹ /s over 10⁻³ s: Poisson(10⁶) arrivals, sd 10³; gaps of ~1 ns
    // would be biased if rounded one by one. Gamma(cv = 1) is that Poisson
    // process; so is a Profile of one segment. Tolerance 5 sd.
    let streams = RngStreams::new(4);
    let count = |src: &mut dyn Instants| {
        let mut n = 0u64;
        while src.next().unwrap().unwrap().0 <= 1_000_000 {
            n += 1;
        }
        n
    };
    let g = count(&mut GammaRenewal::new(1e9, 1.0, streams.stream("a")));
    let p = count(&mut RateProfile::new(&[(1.0, 1e9)], streams.stream("b")));
    for n in [g, p] {
        assert!((n as f64 - 1e6).abs() < 5e3, "{n}");
    }
    // A whole run's cohort too: Poisson users at λ = 10⁶ /s, 50 users, 1 s.
    let sys = system("(rate: 1e6)", 1.0, 50);
    let n = drain(
        source(&sys, &RngStreams::new(2)).unwrap().as_mut(),
        sys.horizon_ns,
    )
    .len();
    assert!((n as f64 - 1e6).abs() < 5e3, "{n}");
}

#[test]
fn profile_rate_per_segment() {
    // Segments 10 s at 50 /s, 5 s at 0, 20 s at 200 /s; 40 cycles of 35 s.
    // Expected counts 40·500 = 20 000 (sd 141), 0, 40·4000 = 160 000 (sd 400).
    let mut p = RateProfile::new(
        &[(10.0, 50.0), (5.0, 0.0), (20.0, 200.0)],
        RngStreams::new(3).stream("p"),
    );
    let mut counts = [0u64; 3];
    loop {
        let t = p.next().unwrap().unwrap().0 as f64 / 1e9;
        if t >= 40.0 * 35.0 {
            break;
        }
        let x = t % 35.0;
        counts[if x < 10.0 {
            0
        } else if x < 15.0 {
            1
        } else {
            2
        }] += 1;
    }
    assert!(
        (counts[0] as f64 - 20_000.0).abs() < 5.0 * 141.0,
        "{counts:?}"
    );
    assert_eq!(counts[1], 0);
    assert!(
        (counts[2] as f64 - 160_000.0).abs() < 5.0 * 400.0,
        "{counts:?}"
    );
    // The scenario's expected arrivals: mean rate (500 + 4000)/35 /s.
    let sys = system(
        "(process: Profile(segments: [(10, 50), (5, 0), (20, 200)]))",
        350.0,
        5,
    );
    assert!((sys.size().expected_arrivals - 45_000.0).abs() < 1e-6);
}

#[test]
fn round_robin_and_random_users() {
    let sys = system(
        "(rate: 100, process: Gamma(cv: 3.0), assign: RoundRobin)",
        10.0,
        7,
    );
    let got = drain(
        source(&sys, &RngStreams::new(1)).unwrap().as_mut(),
        sys.horizon_ns,
    );
    assert!(got.iter().enumerate().all(|(j, a)| a.1 == (j % 7) as u32));
    let sys = system("(rate: 1000, process: Gamma(cv: 3.0))", 100.0, 4);
    let got = drain(
        source(&sys, &RngStreams::new(1)).unwrap().as_mut(),
        sys.horizon_ns,
    );
    // ~10⁵ requests over 4 users: each ~25 000 (sd ≈ 137).
    let mut per = [0u64; 4];
    got.iter().for_each(|a| per[a.1 as usize] += 1);
    let n = got.len() as f64;
    assert!(
        per.iter()
            .all(|&c| (c as f64 - n / 4.0).abs() < 5.0 * (n * 0.1875).sqrt()),
        "{per:?}"
    );
    assert_eq!(sys.assign, UserAssign::Random);
}

#[test]
fn empirical_lengths_sample_a_column() {
    let f = file("a,b\n1,10\n2,20\n3,30\n", ".csv");
    let sc = Scenario::from_ron_str(&format!(
        "(horizon: 100, requests: (prompt: Empirical(path: {p:?}, column: \"b\"), output_levels: Empirical(path: {p:?}, column: \"a\")))",
        p = path(&f)
    ))
    .unwrap();
    let sys = sc.resolve().unwrap();
    assert_eq!((sys.max_prompt, sys.max_output), (30, 3));
    let got = drain(
        source(&sys, &RngStreams::new(1)).unwrap().as_mut(),
        sys.horizon_ns,
    );
    let mut seen = [0u32; 3];
    for a in &got {
        assert!(
            [10, 20, 30].contains(&a.2) && (1..=3).contains(&a.3),
            "{a:?}"
        );
        seen[a.2 as usize / 10 - 1] += 1;
    }
    assert!(seen.iter().all(|&c| c > 0), "{seen:?}");
    // A bad value names the line and the column.
    let f = file("a\n1\n1.5\n", ".csv");
    let e = Scenario::from_ron_str(&format!(
        "(requests: (prompt: Empirical(path: {:?}, column: \"a\")))",
        path(&f)
    ))
    .unwrap_err()
    .to_string()
    .replace(&path(&f), "F");
    assert_eq!(e, "field `requests.prompt`: F:3: column 1 (`a`): must be a whole number of tokens in [1, 1000000], got 1.5");
    let e = Scenario::from_ron_str(&format!(
        "(requests: (latency: Empirical(path: {:?}, column: \"a\")))",
        path(&f)
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("token counts"), "{e}");
}

#[test]
fn errors_are_trace_errors() {
    // A file that disappears after the check fails the run at its next open.
    let f = file(CSV, ".csv");
    let spec = TraceSpec::new(path(&f), TraceFormat::AzureCsv);
    let sum = TraceSummary::of(&spec).unwrap();
    drop(f);
    assert!(matches!(
        Replay::open(&spec, sum),
        Err(TraceError::Io { .. })
    ));
}
