//! One standalone scheduling instance (MODEL.md §10): reading its file and
//! one scheduler's answer on it, as `solve` prints and `resolve` tabulates.

use std::path::Path;

use serde::Serialize;
use sim_models::feasibility::batch_cost;
use sim_models::instance::{Instance, InstanceError};
use sim_models::scheduler::SchedulerSpec;
use sim_schedulers::options::ZStart;
use sim_schedulers::SolveError;

use crate::failure::bad_input;

/// Reads and validates an instance file; errors name the file and the line
/// and column (syntax) or the field (meaning), and are bad input (exit 2).
///
/// # Errors
///
/// Bad input: the file cannot be read, does not parse, or holds a
/// meaningless value.
pub fn read_instance(path: &Path) -> anyhow::Result<Instance> {
    // Bytes, not a String: invalid UTF-8 is then reported at its line and column.
    let bytes = crate::files::read_input_bytes(path)?;
    Instance::from_ron_bytes(&bytes).map_err(|e| match e {
        InstanceError::Parse {
            line,
            column,
            field,
            message,
        } => {
            let at = field.map(|f| format!("field `{f}`: ")).unwrap_or_default();
            bad_input(format!("{}:{line}:{column}: {at}{message}", path.display()))
        }
        InstanceError::Invalid { field, message } => {
            bad_input(format!("{}: field `{field}`: {message}", path.display()))
        }
    })
}

/// The answer of one scheduler on one instance, in the key order of MODEL.md §10.
#[derive(Debug, Serialize)]
pub struct Answer {
    /// Scheduler name.
    pub scheduler: String,
    /// Selected request ids, ascending.
    pub selected: Vec<u64>,
    /// `selected.len()`.
    pub count: usize,
    /// `t_batch` of the selected batch padded to its own longest prompt, s (0 if empty).
    pub t_batch: f64,
    /// Search nodes visited (MODEL.md §7; 0 for non-search schedulers).
    pub nodes: u64,
    /// Wall time of the scheduler call, ns.
    pub solve_ns: u64,
}

/// The answer of one scheduler on `inst` (MODEL.md §10), or the error.
///
/// # Errors
///
/// The scheduler cannot be built for the instance or refuses it.
pub fn solve_one(inst: &Instance, name: &str, z_start: ZStart) -> Result<Answer, SolveError> {
    // Only schedulers that take the option get it; the others refuse unknown options.
    let takes_z_start = sim_schedulers::entry(name).is_some_and(|e| e.options.contains(&"z_start"));
    let spec = if takes_z_start {
        SchedulerSpec::named(name).with_option("z_start", z_start)
    } else {
        SchedulerSpec::named(name)
    };
    let (plan, solve_ns) = sim_schedulers::solve_instance(&spec, inst, None)?;
    let sel = plan.selected();
    let mut ids: Vec<u64> = sel.iter().map(|&i| inst.requests[i].id).collect();
    ids.sort_unstable();
    // `batch_cost` pads to the batch's own longest prompt (MODEL.md §5).
    let t_batch = if sel.is_empty() {
        0.0
    } else {
        batch_cost(inst, &sel).t_batch_ns as f64 / 1e9
    };
    Ok(Answer {
        scheduler: name.to_string(),
        count: ids.len(),
        selected: ids,
        t_batch,
        nodes: plan.work.nodes,
        solve_ns,
    })
}
