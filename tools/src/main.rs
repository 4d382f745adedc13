//! `edgesim`: the command-line program around the edgesim libraries.
//!
//! Glue only: it parses arguments, reads scenario and instance files, builds
//! the pieces from `sim-models` and `sim-schedulers`, runs them, and writes
//! the results (JSON, CSV, HdrHistogram logs, SVG). No model logic lives
//! here. docs/cli.md documents every command, flag and output file.
//!
//! Exit status: 0 on success, 2 for bad input or usage (a file that does not
//! parse, a meaningless value, an unknown flag), 1 for any other failure.

mod bench;
mod failure;
mod files;
#[allow(dead_code)] // used by run/sweep/merge, which land with the simulation API
mod histograms;
mod list;
mod plot;
mod solve;
#[allow(dead_code)] // used by sweep/merge
mod stats;
#[allow(dead_code)] // writing is used by run/sweep
mod table;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// edgesim: a discrete-event simulator of LLM inference at a wireless edge node.
#[derive(Debug, Parser)]
#[command(name = "edgesim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Solve one scheduling instance (MODEL.md §10) and print the answer as JSON.
    Solve(solve::SolveArgs),
    /// List the schedulers, model presets and quantization presets.
    List,
    /// Draw a line chart (SVG) of CSV columns, with error bars.
    Plot(plot::PlotArgs),
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

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Solve(a) => {
            for line in solve::run(&a)? {
                print_line(&line)?;
            }
            Ok(())
        }
        Command::List => print_line(list::text().trim_end()),
        Command::Plot(a) => plot::run(&a),
        Command::Bench { target } => print_line(&bench::run(&target)?.to_string()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(failure::exit_code(&e))
        }
    }
}
