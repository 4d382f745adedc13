//! The registry: the name a scenario file or the command line gives
//! (`dftsp`, `static`, …) mapped to a constructor (MODEL.md §7).
//!
//! Adding a scheduler means one file and one line in [`build`] (plus its name
//! in [`NAMES`] and a line in [`DESCRIPTIONS`]).

use sim_models::instance::Instance;
use sim_models::scheduler::{
    schedule_timed, EpochView, GpuView, Plan, Scheduler, SchedulerError, SchedulerSpec, SystemInfo,
};

use crate::{dftsp, exact, exhaustive, greedy, nobatch, static_batch, tree_search};

/// Every scheduler name, in the order `edgesim list` shows them.
pub const NAMES: &[&str] = &[
    "dftsp",
    "tree-search",
    "exhaustive",
    "exact",
    "greedy",
    "static",
    "nobatch",
];

/// The schedulers that return one pooled batch and so can solve a standalone
/// instance (`edgesim solve --scheduler all` runs them in this order).
pub const BATCHING: &[&str] = &[
    "dftsp",
    "tree-search",
    "exhaustive",
    "exact",
    "greedy",
    "static",
];

/// One line per name in [`NAMES`], for `edgesim list`.
pub const DESCRIPTIONS: &[(&str, &str)] = &[
    ("dftsp", "the paper's Algorithm 1 (DFTSP): depth-first tree search with pruning over the padding cap; optimal when all users share one channel gain"),
    ("tree-search", "the same search without pruning: the paper's brute-force benchmark for Table III"),
    ("exhaustive", "every subset of the candidates; exact ground truth, at most 24 selectable candidates"),
    ("exact", "the optimum of P1 in every case (per-user gains, binding bandwidth), fast enough for every epoch"),
    ("greedy", "candidates by earliest deadline, each added if the batch stays feasible; a cheap heuristic"),
    ("static", "static batching (StB): a fixed batch size b from a worst-case batch, filled in arrival order"),
    ("nobatch", "no batching (NoB): each free GPU runs the first pending request that fits, one at a time"),
];

/// The description of a scheduler name, if it is one.
pub fn description(name: &str) -> Option<&'static str> {
    DESCRIPTIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| *d)
}

/// Why a scheduler could not be built from a spec (refused "at load").
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BuildError {
    /// `scheduler.name` is not a known scheduler.
    #[error("scheduler.name: unknown scheduler `{name}`; valid names: {}", NAMES.join(", "))]
    UnknownName {
        /// The name given.
        name: String,
    },
    /// Static batching with `b = 0` (MODEL.md §7 StB).
    #[error(
        "scheduler `static`: batch size b = 0 — not even one worst-case request (prompt {max_prompt} tokens, output {max_output} tokens) fits the pooled GPUs under (1c) memory and (1g) the compute slot"
    )]
    StaticBatchZero {
        /// The largest prompt length the scenario can draw, tokens.
        max_prompt: u32,
        /// The longest output level, tokens.
        max_output: u32,
    },
    /// No batching on a GPU too small for the model (MODEL.md §7 NoB).
    #[error(
        "scheduler `nobatch`: the model does not fit one GPU — resident weights α_w·m1 = {weights} bytes > memory per GPU {memory_per_gpu} bytes"
    )]
    NoBatchModelTooLarge {
        /// `α_w·m1`, bytes.
        weights: f64,
        /// One GPU's memory, bytes.
        memory_per_gpu: f64,
    },
}

/// Builds the scheduler `spec.name` names, with its options, for the system `sys`.
pub fn build(spec: &SchedulerSpec, sys: &SystemInfo) -> Result<Box<dyn Scheduler>, BuildError> {
    Ok(match spec.name.as_str() {
        "dftsp" => Box::new(dftsp::Dftsp::new(spec.z_start)),
        "tree-search" => Box::new(tree_search::TreeSearch::new(spec.z_start)),
        "exhaustive" => Box::new(exhaustive::Exhaustive::new()),
        "greedy" => Box::new(greedy::Greedy::new()),
        "static" => Box::new(static_batch::StaticBatch::from_system(
            sys,
            spec.deadline_aware,
        )?),
        "nobatch" => Box::new(nobatch::NoBatch::from_system(sys, spec.deadline_aware)?),
        "exact" => Box::new(exact::Exact::new()),
        name => {
            return Err(BuildError::UnknownName {
                name: name.to_string(),
            })
        }
    })
}

/// The system a standalone instance implies when no scenario is known: one
/// "GPU" holding the instance's pooled `C` and `M`, and — for `static`'s
/// batch size — the instance's own longest prompt and longest output as the
/// worst case (0 if it has no requests, so `b` is then unbounded).
pub fn system_for_instance(inst: &Instance) -> SystemInfo {
    SystemInfo {
        template: Instance {
            requests: vec![],
            ..inst.clone()
        },
        gpu_count: 1,
        flops_per_gpu: inst.flops,
        memory_per_gpu: inst.memory,
        max_prompt: inst.requests.iter().map(|c| c.prompt).max().unwrap_or(0),
        max_output: inst.requests.iter().map(|c| c.output).max().unwrap_or(0),
    }
}

/// Why [`solve_instance`] failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SolveError {
    /// The scheduler could not be built.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The scheduler could not answer.
    #[error(transparent)]
    Schedule(#[from] SchedulerError),
}

/// Solves one standalone instance (MODEL.md §10) with the scheduler `spec`
/// names: builds it for `sys` (or [`system_for_instance`]), hands it an epoch
/// view at `t_k = 0` with every GPU free, and returns its plan and the wall
/// time of the call in ns (measured by `schedule_timed`).
pub fn solve_instance(
    spec: &SchedulerSpec,
    inst: &Instance,
    sys: Option<&SystemInfo>,
) -> Result<(Plan, u64), SolveError> {
    let derived;
    let sys = match sys {
        Some(s) => s,
        None => {
            derived = system_for_instance(inst);
            &derived
        }
    };
    let mut s = build(spec, sys)?;
    let busy = vec![0u64; sys.gpu_count];
    let view = EpochView {
        epoch: 0,
        t_k_ns: 0,
        instance: inst,
        gpus: GpuView {
            count: sys.gpu_count,
            flops_per_gpu: sys.flops_per_gpu,
            memory_per_gpu: sys.memory_per_gpu,
            busy_until_ns: &busy,
            compute_start_ns: inst.t_u_ns,
        },
    };
    Ok(schedule_timed(s.as_mut(), &view)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench_support::paper_system;

    #[test]
    fn every_name_has_a_description_and_batching_is_a_subset() {
        let described: Vec<&str> = DESCRIPTIONS.iter().map(|(n, _)| *n).collect();
        assert_eq!(described, NAMES);
        for b in BATCHING {
            assert!(NAMES.contains(b), "{b}");
        }
        assert!(!BATCHING.contains(&"nobatch"));
    }

    #[test]
    fn every_name_builds_on_the_paper_system() {
        let sys = paper_system();
        for &name in NAMES {
            match build(&SchedulerSpec::named(name), &sys) {
                Ok(s) => assert_eq!(s.name(), name),
                Err(e) => panic!("{name}: {e}"),
            }
        }
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let e = build(&SchedulerSpec::named("dfstp"), &paper_system())
            .err()
            .unwrap();
        let msg = e.to_string();
        assert!(msg.contains("unknown scheduler `dfstp`"), "{msg}");
        assert!(msg.contains("dftsp, tree-search"), "{msg}");
    }
}
