//! The registry: one table, [`REGISTRY`], with a row per scheduler — the
//! name a scenario file or the command line gives (`dftsp`, `static`, …), a
//! description, whether it returns one pooled batch, and its constructor
//! (MODEL.md §7).
//!
//! Adding a scheduler is one file (the scheduler, its build errors, and an
//! [`Entry`] named `ENTRY`) and one row in [`REGISTRY`].

use sim_models::instance::Instance;
use sim_models::scheduler::{
    schedule_timed, EpochView, GpuView, Plan, Scheduler, SchedulerError, SchedulerSpec, SystemInfo,
};

pub use crate::entry::{Build, BuildError, Entry};
use crate::{dftsp, exact, exhaustive, greedy, nobatch, static_batch, tree_search};

/// Every scheduler, in the order `edgesim list` shows them.
pub const REGISTRY: &[Entry] = &[
    dftsp::ENTRY,
    tree_search::ENTRY,
    exhaustive::ENTRY,
    exact::ENTRY,
    greedy::ENTRY,
    static_batch::ENTRY,
    nobatch::ENTRY,
];

/// The registry row of `name`, if it is a scheduler.
pub fn entry(name: &str) -> Option<&'static Entry> {
    REGISTRY.iter().find(|e| e.name == name)
}

/// Every scheduler name, in table order.
pub fn names() -> Vec<&'static str> {
    REGISTRY.iter().map(|e| e.name).collect()
}

/// The names of the schedulers that return one pooled batch, in table order.
pub fn batching() -> Vec<&'static str> {
    REGISTRY
        .iter()
        .filter(|e| e.batches)
        .map(|e| e.name)
        .collect()
}

/// The description of a scheduler name, if it is one.
pub fn description(name: &str) -> Option<&'static str> {
    entry(name).map(|e| e.description)
}

/// Builds the scheduler `spec.name` names, with its options, for the system `sys`.
///
/// # Errors
/// [`BuildError::UnknownName`] for a name not in [`REGISTRY`]; the scheduler's
/// own refusal otherwise.
pub fn build(spec: &SchedulerSpec, sys: &SystemInfo) -> Result<Box<dyn Scheduler>, BuildError> {
    let e = entry(&spec.name).ok_or_else(|| BuildError::UnknownName {
        name: spec.name.clone(),
        valid: names(),
    })?;
    (e.build)(spec, sys)
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
        single_gpu_cost: inst.cost.clone(),
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
///
/// # Errors
/// [`SolveError::Build`] if the scheduler cannot be built (unknown name, bad
/// option, refused system); [`SolveError::Schedule`] if it cannot answer.
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
            single_gpu_cost: &*sys.single_gpu_cost,
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
    fn names_are_unique_and_only_nobatch_does_not_batch() {
        let mut n = names();
        n.sort_unstable();
        n.dedup();
        assert_eq!(n.len(), REGISTRY.len());
        assert_eq!(batching().len(), REGISTRY.len() - 1);
        assert!(!batching().contains(&"nobatch"));
    }

    #[test]
    fn every_name_builds_on_the_paper_system() {
        let sys = paper_system();
        for name in names() {
            match build(&SchedulerSpec::named(name), &sys) {
                Ok(s) => assert_eq!(s.name(), name),
                Err(e) => panic!("{name}: {e}"),
            }
        }
    }

    #[test]
    fn every_listed_option_is_accepted_and_others_refused() {
        // A value per option name; an option without one here fails the test.
        let sample = |o: &str| match o {
            "z_start" => "All",
            "deadline_aware" => "false",
            other => panic!("no sample value for option `{other}`"),
        };
        let sys = paper_system();
        for e in REGISTRY {
            for o in e.options {
                let mut spec = SchedulerSpec::named(e.name);
                spec.set_option_ron(o, sample(o)).unwrap();
                assert!(build(&spec, &sys).is_ok(), "{}: {o}", e.name);
            }
            let mut spec = SchedulerSpec::named(e.name);
            spec.set_option_ron("no_such_option", "1").unwrap();
            assert!(
                matches!(build(&spec, &sys), Err(BuildError::Options(_))),
                "{}",
                e.name
            );
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
