//! The scheduler interface (MODEL.md §7): an epoch view in, a plan of jobs out.
//!
//! Defined here so that `sim-schedulers` depends on `sim-models` and not the
//! other way round. A scheduler never mutates simulation state; the base
//! station checks its plan ([`crate::feasibility::check_plan`]) before running it.

use std::sync::Arc;

use crate::cost::CostModel;
use crate::instance::Instance;

/// The GPU pool as a scheduler sees it at `t_k`.
#[derive(Clone, Copy, Debug)]
pub struct GpuView<'a> {
    /// Number of GPUs `G`.
    pub count: usize,
    /// The cost model of one GPU on its own (no batching's single-request jobs).
    pub single_gpu_cost: &'a dyn CostModel,
    /// Memory of one GPU, bytes, `m`.
    pub memory_per_gpu: f64,
    /// Per GPU, the absolute instant (ns) its current compute finishes (0 if idle).
    pub busy_until_ns: &'a [u64],
    /// The instant a job started this epoch begins computing, `t_k + T_U`, ns.
    pub compute_start_ns: u64,
}

impl GpuView<'_> {
    /// Whether GPU `g` has finished its previous compute by `t_k + T_U` (MODEL.md §7 nobatch).
    pub fn is_free(&self, g: usize) -> bool {
        self.busy_until_ns
            .get(g)
            .is_some_and(|&t| t <= self.compute_start_ns)
    }
}

/// Everything a scheduler may read in epoch `k`.
#[derive(Clone, Copy, Debug)]
pub struct EpochView<'a> {
    /// Epoch index `k`.
    pub epoch: u64,
    /// Scheduling instant `t_k`, ns.
    pub t_k_ns: u64,
    /// The pooled problem: resources, slots, eligible candidates in ascending id order.
    pub instance: &'a Instance,
    /// Per-GPU state, for per-GPU schedulers.
    pub gpus: GpuView<'a>,
}

/// Where a job runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// On all GPUs pooled (`C = G·c`, `M = G·m`), padded, within the compute slot.
    Pooled,
    /// On one GPU, one request, unpadded, with no compute-slot limit (no batching).
    Gpu(u32),
}

/// A set of requests run together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Where it runs.
    pub placement: Placement,
    /// Indices into `EpochView::instance.requests`.
    pub requests: Vec<usize>,
}

/// The work a scheduler did in one call (MODEL.md §7).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Work {
    /// Search nodes visited, as MODEL.md §7 counts them (0 for non-search schedulers).
    pub nodes: u64,
    /// Leaves (complete candidate batches) checked against the constraints.
    pub leaves: u64,
}

/// A scheduler's answer for one epoch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Jobs to start, in order; empty means nothing runs.
    pub jobs: Vec<Job>,
    /// The work done to find them.
    pub work: Work,
}

impl Plan {
    /// A plan of one pooled batch (or nothing, if `requests` is empty).
    pub fn pooled(mut requests: Vec<usize>, work: Work) -> Plan {
        requests.sort_unstable();
        let jobs = if requests.is_empty() {
            vec![]
        } else {
            vec![Job {
                placement: Placement::Pooled,
                requests,
            }]
        };
        Plan { jobs, work }
    }

    /// Every request index the plan schedules, ascending.
    pub fn selected(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .jobs
            .iter()
            .flat_map(|j| j.requests.iter().copied())
            .collect();
        v.sort_unstable();
        v
    }
}

/// A scheduler that cannot answer (e.g. exhaustive on too many candidates).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("scheduler {scheduler}: {message}")]
pub struct SchedulerError {
    /// The scheduler's name.
    pub scheduler: String,
    /// What went wrong.
    pub message: String,
}

/// A scheduling policy (MODEL.md §7). One implementation per file in `sim-schedulers`.
pub trait Scheduler: Send {
    /// The name used in scenario files and on the command line.
    fn name(&self) -> &str;

    /// Decides which requests run this epoch. Must be deterministic.
    fn schedule(&mut self, view: &EpochView<'_>) -> Result<Plan, SchedulerError>;
}

/// Calls `s.schedule(view)` and measures its wall time in ns.
pub fn schedule_timed(
    s: &mut dyn Scheduler,
    view: &EpochView<'_>,
) -> Result<(Plan, u64), SchedulerError> {
    let start = std::time::Instant::now();
    let plan = s.schedule(view)?;
    Ok((plan, start.elapsed().as_nanos() as u64))
}

/// Where dftsp and tree-search start `z` (MODEL.md §7).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ZStart {
    /// At `z_max`, the per-cap upper bound (the default **[decision]**).
    #[default]
    Bound,
    /// At the cap's candidate count, as the paper's Algorithm 1 line 2.
    All,
}

/// Which scheduler a scenario uses, with its options (MODEL.md §7).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerSpec {
    /// Registry name: `dftsp`, `tree-search`, `exhaustive`, `exact`, `greedy`, `static`, `nobatch`.
    pub name: String,
    /// dftsp / tree-search: where `z` starts.
    #[serde(default)]
    pub z_start: ZStart,
    /// static / nobatch: admit only requests that can meet their deadline (1d).
    #[serde(default = "default_true")]
    pub deadline_aware: bool,
}

fn default_true() -> bool {
    true
}

impl SchedulerSpec {
    /// A spec with the given name and default options.
    pub fn named(name: &str) -> SchedulerSpec {
        SchedulerSpec {
            name: name.to_string(),
            z_start: ZStart::Bound,
            deadline_aware: true,
        }
    }
}

/// What a scheduler may know of the system when it is built (before any epoch).
#[derive(Clone, Debug)]
pub struct SystemInfo {
    /// The pooled resources, model, quantization and slots, with no requests.
    pub template: Instance,
    /// Number of GPUs `G`.
    pub gpu_count: usize,
    /// The cost model of one GPU on its own.
    pub single_gpu_cost: Arc<dyn CostModel>,
    /// Memory of one GPU, bytes.
    pub memory_per_gpu: f64,
    /// The largest prompt length the scenario can draw, tokens.
    pub max_prompt: u32,
    /// The longest output level `N_K`, tokens.
    pub max_output: u32,
}
