//! `edgesim workload`: what a trace file or a scenario's arrival process
//! sends — arrival rate over time, inter-arrival CV, length quantiles
//! (MODEL.md §12) — as a table or JSON.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use sim_core::RngStreams;
use sim_models::trace::{RowReader, TraceFormat, TraceSpec};
use tools::arrival_stats::WorkloadStats;
use tools::failure::bad_input;
use tools::scenario_file as load;

/// The format of a trace file given to `workload`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// The Azure LLM inference trace CSV (`TIMESTAMP,ContextTokens,GeneratedTokens`).
    Azure,
    /// JSON lines, with the fields named by `--time`, `--prompt`, `--output`.
    Jsonl,
}

/// Options of `workload`.
#[derive(Debug, Args)]
pub struct WorkloadArgs {
    /// A trace file (`.csv`: Azure; `.jsonl`/`.ndjson`: JSON lines) or a scenario (`.ron`).
    pub input: PathBuf,
    /// The trace's format [default: from the file name].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// JSON lines: the field of the arrival time, s.
    #[arg(long, default_value = "time")]
    pub time: String,
    /// JSON lines: the field of the prompt length, tokens.
    #[arg(long, default_value = "prompt")]
    pub prompt: String,
    /// JSON lines: the field of the output length, tokens.
    #[arg(long, default_value = "output")]
    pub output: String,
    /// Skip malformed trace rows (their count is printed on stderr).
    #[arg(long)]
    pub skip_malformed: bool,
    /// Width of the rate bins, s.
    #[arg(long, default_value_t = 60.0)]
    pub bin: f64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Scenario: override a field (repeatable), as for `run`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Scenario: the master seed.
    #[arg(long)]
    pub seed: Option<u64>,
}

fn is_scenario(p: &Path) -> bool {
    p.extension().is_some_and(|x| x == "ron")
}

/// Reads the input and returns the text to print.
pub fn run(a: &WorkloadArgs) -> anyhow::Result<String> {
    if !(a.bin.is_finite() && a.bin > 0.0) {
        return Err(bad_input(format!(
            "--bin must be a number of seconds > 0, got {}",
            a.bin
        )));
    }
    let mut stats = WorkloadStats::new(a.bin);
    let source = if is_scenario(&a.input) {
        scenario(a, &mut stats)?
    } else {
        trace(a, &mut stats)?
    };
    let report = stats.report(&source);
    Ok(if a.json {
        serde_json::to_string_pretty(&report)?
    } else {
        report.table().trim_end().to_string()
    })
}

/// A trace file's rows, times from its first row.
fn trace(a: &WorkloadArgs, stats: &mut WorkloadStats) -> anyhow::Result<String> {
    let name = a.input.to_string_lossy();
    let jsonl = [".jsonl", ".ndjson"].iter().any(|x| name.ends_with(x));
    let format = match a
        .format
        .unwrap_or(if jsonl { Format::Jsonl } else { Format::Azure })
    {
        Format::Azure => TraceFormat::AzureCsv,
        Format::Jsonl => TraceFormat::JsonLines {
            time: a.time.clone(),
            prompt: a.prompt.clone(),
            output: a.output.clone(),
        },
    };
    let spec = TraceSpec {
        skip_malformed: a.skip_malformed,
        ..TraceSpec::new(name.clone(), format)
    };
    let mut rows = RowReader::open(&spec).map_err(bad_input)?;
    let mut first = None;
    while let Some(r) = rows.next_row().map_err(bad_input)? {
        let t0 = *first.get_or_insert(r.at);
        stats
            .push(r.at.ns_since(t0) / 1e9, r.prompt, r.output)
            .map_err(bad_input)?;
    }
    if rows.skipped() > 0 {
        eprintln!("{name}: warning: {} malformed rows skipped", rows.skipped());
    }
    Ok(format!("trace {name}"))
}

/// A scenario's arrivals over `[0, H]`, from its own arrival source.
fn scenario(a: &WorkloadArgs, stats: &mut WorkloadStats) -> anyhow::Result<String> {
    let origin = load::origin(Some(&a.input));
    let s = load::scenario(Some(&a.input), &a.set, a.seed)?;
    let sys = s.resolve().map_err(|e| load::scenario_error(&origin, e))?;
    let horizon_ns = sys.horizon_ns;
    let mut src = sim_models::workload::source(&sys, &RngStreams::new(sys.seed))
        .map_err(|e| bad_input(format!("{origin}: {e}")))?;
    let mut due: BinaryHeap<Reverse<(u64, u32)>> = (0..src.streams())
        .filter_map(|k| src.first_ns(k).map(|t| Reverse((t, k))))
        .collect();
    while let Some(Reverse((t, k))) = due.pop() {
        if t > horizon_ns {
            break;
        }
        let (arrival, next) = src.arrive(k, t);
        if let Some(n) = next {
            due.push(Reverse((n, k)));
        }
        stats
            .push(t as f64 / 1e9, arrival.attrs.prompt, arrival.attrs.output)
            .map_err(bad_input)?;
    }
    if let Some(m) = src.failure() {
        return Err(bad_input(format!("{origin}: arrivals: {m}")));
    }
    Ok(format!(
        "scenario {origin} (`{}`, seed {}, [0, {} s])",
        s.name, s.seed, s.horizon
    ))
}
