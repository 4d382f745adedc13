//! Reading a scenario for `run`, `validate` and `sweep`: the file (or the
//! built-in default), then the `--set` overrides and `--seed`, then the range
//! checks. Every error is bad input (exit status 2) and names the file and
//! the line and column (syntax, unknown field) or the field (out of range).

use std::path::{Path, PathBuf};

use sim_models::scenario::{Scenario, ScenarioError, DEFAULT_SCENARIO_RON};
use sim_models::scheduler::SystemInfo;

use crate::failure::bad_input;

/// Where the scenario text came from, for messages.
pub fn origin(path: Option<&Path>) -> String {
    match path {
        Some(p) => p.display().to_string(),
        None => "scenarios/default.ron (built in)".to_string(),
    }
}

/// The default output directory of scenario `s` read from `path`:
/// `out/<name>/` ([`crate::files::default_out`]), except that a scenario
/// that keeps the default name `default` (it sets none) read from a file
/// goes to `out/<file stem>/`, so unnamed scenarios of different files do
/// not overwrite each other. The built-in default keeps `out/default/`.
pub fn default_out(path: Option<&Path>, s: &Scenario) -> PathBuf {
    let stem = path
        .filter(|_| s.name == Scenario::default().name)
        .and_then(|p| p.file_stem())
        .map(|x| x.to_string_lossy().into_owned());
    crate::files::default_out(stem.as_deref().unwrap_or(&s.name))
}

/// A scenario error as bad input, with the file (and line/column or field).
pub fn scenario_error(origin: &str, e: ScenarioError) -> anyhow::Error {
    match e {
        ScenarioError::Parse {
            line,
            column,
            field,
            message,
        } => {
            let at = field.map(|f| format!("field `{f}`: ")).unwrap_or_default();
            bad_input(format!("{origin}:{line}:{column}: {at}{message}"))
        }
        ScenarioError::Invalid { field, message } => {
            bad_input(format!("{origin}: field `{field}`: {message}"))
        }
        ScenarioError::Override { path, message } => bad_input(format!("--set {path}: {message}")),
    }
}

/// Reads `path` (or the built-in default), applies `sets` (`path=value`) and
/// `seed`, and checks the result and every point of its sweep (the same
/// checks for `run`, `validate` and `sweep`).
///
/// # Errors
///
/// Bad input (exit status 2): the file cannot be read, does not parse (with
/// its line and column), an override names no field or does not parse, or a
/// value is out of range (naming the field).
pub fn scenario(
    path: Option<&PathBuf>,
    sets: &[String],
    seed: Option<u64>,
) -> anyhow::Result<Scenario> {
    let origin = origin(path.map(|p| p.as_path()));
    // Bytes, not a String: invalid UTF-8 is then reported at its line and column.
    let parsed = match path {
        Some(p) => Scenario::parse_ron_bytes(&crate::files::read_input_bytes(p)?),
        None => Scenario::parse_ron_str(DEFAULT_SCENARIO_RON),
    };
    let mut s = parsed.map_err(|e| scenario_error(&origin, e))?;
    // Data files named in a scenario file are relative to it (docs/scenario.md);
    // those of `--set` are relative to the working directory.
    if let Some(dir) = path.and_then(|p| p.parent()) {
        s.rebase_paths(dir);
    }
    for a in sets {
        s.apply_assignment(a)
            .map_err(|e| scenario_error(&origin, e))?;
    }
    if let Some(seed) = seed {
        s.seed = seed;
    }
    s.validate().map_err(|e| scenario_error(&origin, e))?;
    // The sweep's points get the scheduler's load-time checks too, so that
    // `run`, `validate` and `sweep` accept the same files.
    if s.sweep.is_some() {
        for p in s.sweep_points().map_err(|e| scenario_error(&origin, e))? {
            let at = format!("{origin} (sweep point {}: {})", p.index, p.label());
            scheduler(&p.scenario, &at)?;
        }
    }
    Ok(s)
}

/// What a scheduler may know of the scenario's system (already validated).
///
/// # Errors
///
/// Bad input naming the field when the system cannot be resolved.
pub fn system_info(s: &Scenario, origin: &str) -> anyhow::Result<SystemInfo> {
    s.system_info().map_err(|e| scenario_error(origin, e))
}

/// Builds the scenario's scheduler; a refusal at load (unknown name, static
/// with b = 0, nobatch with a model too large for one GPU) is bad input.
///
/// # Errors
///
/// Bad input (exit status 2) naming `origin` when the scheduler refuses the scenario.
pub fn scheduler(
    s: &Scenario,
    origin: &str,
) -> anyhow::Result<Box<dyn sim_models::scheduler::Scheduler>> {
    let info = system_info(s, origin)?;
    sim_schedulers::build(&s.scheduler, &info).map_err(|e| bad_input(format!("{origin}: {e}")))
}
