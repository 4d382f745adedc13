//! `edgesim`: the command-line program around the edgesim libraries.
//!
//! Glue only: it parses arguments, reads scenario and instance files, builds
//! the pieces from `sim-models` and `sim-schedulers`, runs them, and writes
//! the results (JSON, CSV, HdrHistogram logs, SVG). No model logic lives
//! here, and no logic of files or statistics either: that is the `tools`
//! library (`tools/src/lib.rs`). docs/cli.md documents every command, flag and output file.
//!
//! Exit status: 0 on success, 2 for bad input or usage (a file that does not
//! parse, a meaningless value, an unknown flag), 1 for any other failure.

mod bench;
mod calibrate;
mod cost;
mod interrupt;
mod link;
mod list;
mod merge;
mod plot;
mod progress;
mod resolve;
mod run;
mod solve;
mod sweep;
mod validate;
mod workload;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// edgesim: a discrete-event simulator of LLM inference at a wireless edge node.
#[derive(Debug, Parser)]
#[command(
    name = "edgesim",
    version,
    about = "edgesim: a discrete-event simulator of LLM inference at a wireless edge node (arXiv 2405.07140)",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one simulation (the built-in default without a scenario file).
    Run(run::RunArgs),
    /// Parse and check a scenario file (and every point of its sweep) without running.
    Validate(validate::ValidateArgs),
    /// Solve one scheduling instance (MODEL.md §10) and print the answer as JSON.
    Solve(solve::SolveArgs),
    /// Re-solve every dumped instance of directories with several schedulers; CSV and node reduction.
    Resolve(resolve::ResolveArgs),
    /// List the schedulers, model, GPU and quantization presets.
    List,
    /// Roofline time (MODEL.md §11) of one iteration or one epoch batch, as JSON.
    Cost(cost::CostArgs),
    /// Fit the roofline's η_F, η_B, t_0 for one GPU on measured times; print the fit and its error.
    Calibrate(calibrate::CalibrateArgs),
    /// Print the link budget (path loss, SNR, SE, send time) at given distances (MODEL.md §14).
    Link(link::LinkArgs),
    /// Run every point × replication of a scenario's sweep grid; write results.csv.
    Sweep(sweep::SweepArgs),
    /// Combine the directories of a sharded sweep into one (same results.csv as unsharded).
    Merge(merge::MergeArgs),
    /// Draw a chart (SVG, PNG) of CSV columns with error bars, or a run directory's CDFs and course over time.
    Plot(plot::PlotArgs),
    /// What a trace or a scenario's arrival process sends: rate over time, inter-arrival CV, length quantiles.
    Workload(workload::WorkloadArgs),
    /// Micro-benchmarks.
    Bench {
        #[command(subcommand)]
        target: bench::BenchTarget,
    },
}

fn print_line(s: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{s}").and_then(|_| out.flush()) {
        // A closed pipe (`edgesim … | head`) is not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

/// How a successful command ended.
enum Done {
    /// Normally (exit status 0).
    Ok,
    /// Stopped by Ctrl-C / SIGTERM with partial results written (exit status 130).
    Interrupted,
}

fn dispatch(cli: Cli) -> anyhow::Result<Done> {
    match cli.command {
        Command::Run(a) => {
            let o = run::run(&a)?;
            print_line(&o.summary.human())?;
            print_line(&format!("written to {}", o.dir.display()))?;
            Ok(if o.summary.partial {
                Done::Interrupted
            } else {
                Done::Ok
            })
        }
        Command::Validate(a) => {
            print_line(&validate::run(&a)?)?;
            Ok(Done::Ok)
        }
        Command::Sweep(a) => {
            let o = sweep::run(&a)?;
            print_line(&format!(
                "{} points ({} runs{}) written to {}{}",
                o.points,
                o.runs,
                if o.resumed > 0 {
                    format!("; {} points kept from the earlier run", o.resumed)
                } else {
                    String::new()
                },
                o.dir.display(),
                if o.results {
                    "; results.csv written"
                } else if o.interrupted {
                    " — INTERRUPTED: unfinished points were not written"
                } else {
                    " (one shard: combine the shards with `edgesim merge`)"
                }
            ))?;
            Ok(if o.interrupted {
                Done::Interrupted
            } else {
                Done::Ok
            })
        }
        Command::Merge(a) => {
            let (dir, points) = merge::run(&a)?;
            print_line(&format!(
                "{points} points merged into {}; results.csv written",
                dir.display()
            ))?;
            Ok(Done::Ok)
        }
        Command::Solve(a) => {
            for line in solve::run(&a)? {
                print_line(&line)?;
            }
            Ok(Done::Ok)
        }
        Command::Resolve(a) => {
            for line in resolve::run(&a)? {
                print_line(&line)?;
            }
            Ok(Done::Ok)
        }
        Command::Workload(a) => print_line(&workload::run(&a)?).map(|_| Done::Ok),
        Command::List => print_line(list::text().trim_end()).map(|_| Done::Ok),
        Command::Link(a) => print_line(&link::run(&a)?).map(|_| Done::Ok),
        Command::Cost(a) => print_line(&cost::run(&a)?).map(|_| Done::Ok),
        Command::Calibrate(a) => print_line(&calibrate::run(&a)?).map(|_| Done::Ok),
        Command::Plot(a) => {
            let files = plot::run(&a)?;
            // One file: silent, as before; a run's charts: say where they are.
            if files.len() > 1 {
                for f in files {
                    print_line(&format!("written {}", f.display()))?;
                }
            }
            Ok(Done::Ok)
        }
        Command::Bench { target } => {
            print_line(&bench::run(&target)?.to_string()).map(|_| Done::Ok)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(Done::Ok) => ExitCode::SUCCESS,
        Ok(Done::Interrupted) => ExitCode::from(interrupt::INTERRUPTED),
        Err(e) => {
            eprintln!("error: {}", tools::failure::message(&e));
            ExitCode::from(tools::failure::exit_code(&e))
        }
    }
}
