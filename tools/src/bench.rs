//! `edgesim bench engine`: the HOLD benchmark of `sim_core::hold`, printed as
//! one JSON object.

use clap::{Args, Subcommand};
use serde::Serialize;

/// What `bench` measures.
#[derive(Debug, Subcommand)]
pub enum BenchTarget {
    /// HOLD benchmark: the engine against a bare binary heap, same events.
    Engine(EngineArgs),
}

/// Options of `bench engine`.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// Pending-event population N.
    #[arg(long, default_value_t = 1000)]
    pub population: usize,
    /// Events processed per run E.
    #[arg(long, default_value_t = sim_core::hold::DEFAULT_EVENTS)]
    pub events: u64,
    /// Seed of the delay stream.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// The line `bench engine` prints, keys in the order docs/cli.md shows.
#[derive(Debug, Serialize)]
pub struct HoldLine {
    benchmark: &'static str,
    population: usize,
    events: u64,
    seed: u64,
    engine_events_per_s: f64,
    bare_heap_events_per_s: f64,
    ratio: f64,
    rounds: u32,
    engine_wall_s: f64,
    bare_heap_wall_s: f64,
    checksum: u64,
}

impl std::fmt::Display for HoldLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let json = serde_json::to_string(self).map_err(|_| std::fmt::Error)?;
        f.write_str(&json)
    }
}

/// Runs the benchmark and returns the line to print.
pub fn run(target: &BenchTarget) -> anyhow::Result<HoldLine> {
    match target {
        BenchTarget::Engine(a) => {
            if a.population == 0 {
                return Err(tools::failure::bad_input(
                    "--population must be ≥ 1 (HOLD keeps N events pending)",
                ));
            }
            let r = sim_core::hold::compare(a.population, a.events, a.seed);
            Ok(HoldLine {
                benchmark: "hold",
                population: r.population,
                events: r.events,
                seed: a.seed,
                engine_events_per_s: r.engine_events_per_s,
                bare_heap_events_per_s: r.bare_heap_events_per_s,
                ratio: r.ratio,
                rounds: sim_core::hold::COMPARE_ROUNDS,
                engine_wall_s: r.engine.wall_s,
                bare_heap_wall_s: r.bare_heap.wall_s,
                checksum: r.engine.checksum,
            })
        }
    }
}
