//! `edgesim validate`: parse and range-check a scenario, build its scheduler,
//! and do the same for every point of its sweep, without running anything.

use std::path::PathBuf;

use clap::Args;

use tools::scenario_file as load;

/// Options of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario file (RON).
    pub scenario: PathBuf,
    /// Override a scenario field by its dotted path (repeatable), as for `run`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

/// Checks the scenario; returns the line to print.
pub fn run(a: &ValidateArgs) -> anyhow::Result<String> {
    let origin = load::origin(Some(&a.scenario));
    let s = load::scenario(Some(&a.scenario), &a.set, None)?;
    load::scheduler(&s, &origin)?;
    let sys = s.resolve().map_err(|e| load::scenario_error(&origin, e))?;
    let size = sys.size();
    let mut line = format!(
        "{origin}: ok — scenario `{}`, scheduler {}, horizon {} s, {} epochs, ~{:.3e} arrivals, ≤ ~{:.3e} events",
        s.name,
        s.scheduler.name,
        s.horizon,
        size.epochs,
        size.expected_arrivals,
        size.expected_events
    );
    if s.sweep.is_some() {
        let grid = tools::sweep_grid::Grid::new(&s, &origin)?;
        line.push_str(&format!(
            "; sweep: {} points × {} replications = {} runs",
            grid.points.len(),
            grid.replications,
            grid.points.len() as u64 * grid.replications as u64
        ));
    }
    for w in &size.warnings {
        line.push_str(&format!("\n{origin}: warning: {w}"));
    }
    Ok(line)
}
