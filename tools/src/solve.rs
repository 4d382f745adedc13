//! `edgesim solve`: one scheduling instance (MODEL.md §10) solved by one
//! scheduler, or by every batching scheduler, printed as JSON.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Serialize;
use sim_schedulers::options::ZStart;
use sim_schedulers::{batching, names};
use tools::failure::bad_input;
use tools::instance_file::{read_instance, solve_one, Answer};

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
        return Ok(batching()
            .into_iter()
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
    if !names().contains(&a.scheduler.as_str()) {
        return Err(bad_input(format!(
            "--scheduler: unknown scheduler `{}`; valid: all, {}",
            a.scheduler,
            names().join(", ")
        )));
    }
    if !batching().contains(&a.scheduler.as_str()) {
        return Err(bad_input(format!(
            "--scheduler: `{}` does not return one pooled batch, so it cannot solve a standalone instance; batching schedulers: {}",
            a.scheduler,
            batching().join(", ")
        )));
    }
    let v = solve_one(&inst, &a.scheduler, z)
        .map_err(|e| anyhow::anyhow!(e).context(format!("solving {}", a.instance.display())))?;
    Ok(vec![to_json(&v)])
}
