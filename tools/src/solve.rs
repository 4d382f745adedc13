//! `edgesim solve`: one scheduling instance (MODEL.md §10) solved by one
//! scheduler, or by every batching scheduler, printed as JSON.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::Serialize;
use sim_models::feasibility::batch_cost;
use sim_models::instance::{Instance, InstanceError};
use sim_models::scheduler::{SchedulerSpec, ZStart};
use sim_schedulers::{SolveError, BATCHING, NAMES};

use tools::failure::bad_input;

/// Where dftsp and tree-search start `z` (MODEL.md §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ZStartArg {
    /// At the per-cap upper bound `z_max` (the default).
    Bound,
    /// At the cap's candidate count, as the paper's Algorithm 1 line 2.
    All,
}

impl From<ZStartArg> for ZStart {
    fn from(z: ZStartArg) -> ZStart {
        match z {
            ZStartArg::Bound => ZStart::Bound,
            ZStartArg::All => ZStart::All,
        }
    }
}

/// Options of `solve`.
#[derive(Debug, Args)]
pub struct SolveArgs {
    /// The instance file (RON, MODEL.md §10).
    pub instance: PathBuf,
    /// A scheduler name (see `edgesim list`), or `all` for every batching scheduler.
    #[arg(long, short = 's', default_value = "dftsp")]
    pub scheduler: String,
    /// Where dftsp and tree-search start z.
    #[arg(long, value_enum, default_value_t = ZStartArg::Bound)]
    pub z_start: ZStartArg,
}

/// Reads and validates an instance file; errors name the file and the line
/// and column (syntax) or the field (meaning), and are bad input (exit 2).
pub fn read_instance(path: &Path) -> anyhow::Result<Instance> {
    let text = tools::files::read_input(path)?;
    Instance::from_ron_str(&text).map_err(|e| match e {
        InstanceError::Parse {
            line,
            column,
            message,
        } => bad_input(format!("{}:{line}:{column}: {message}", path.display())),
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
pub fn solve_one(inst: &Instance, name: &str, z_start: ZStart) -> Result<Answer, SolveError> {
    let spec = SchedulerSpec {
        z_start,
        ..SchedulerSpec::named(name)
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

/// What `solve --scheduler all` prints for a scheduler that cannot answer.
#[derive(Debug, Serialize)]
struct Refusal<'a> {
    scheduler: &'a str,
    error: String,
}

fn to_json(a: &Answer) -> String {
    serde_json::to_string(a).expect("an answer always serializes")
}

/// Runs `solve` and returns the lines to print (one JSON object each).
pub fn run(a: &SolveArgs) -> anyhow::Result<Vec<String>> {
    let inst = read_instance(&a.instance)?;
    let z = ZStart::from(a.z_start);
    if a.scheduler == "all" {
        return Ok(BATCHING
            .iter()
            .map(|name| match solve_one(&inst, name, z) {
                Ok(v) => to_json(&v),
                Err(e) => serde_json::to_string(&Refusal {
                    scheduler: name,
                    error: e.to_string(),
                })
                .expect("a refusal always serializes"),
            })
            .collect());
    }
    if !NAMES.contains(&a.scheduler.as_str()) {
        return Err(bad_input(format!(
            "--scheduler: unknown scheduler `{}`; valid: all, {}",
            a.scheduler,
            NAMES.join(", ")
        )));
    }
    if !BATCHING.contains(&a.scheduler.as_str()) {
        return Err(bad_input(format!(
            "--scheduler: `{}` does not return one pooled batch, so it cannot solve a standalone instance; batching schedulers: {}",
            a.scheduler,
            BATCHING.join(", ")
        )));
    }
    let v = solve_one(&inst, &a.scheduler, z)
        .map_err(|e| anyhow::anyhow!(e).context(format!("solving {}", a.instance.display())))?;
    Ok(vec![to_json(&v)])
}
