//! The one feasibility check of MODEL.md §4 step 4 and §5: whether a batch (or
//! a plan of jobs) respects (1a)–(1d) and (1g). The base station checks every
//! plan with it, and the scheduler tests use it as the independent judge, so
//! it is written plainly, request by request, with no search-specific state.

use crate::instance::{Candidate, Instance, RHO_ONE};
use crate::scheduler::{EpochView, Placement, Plan};

/// The resources a batch takes, as MODEL.md §5 defines them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchCost {
    /// Padded prompt length `s'`, tokens.
    pub s_pad: u32,
    /// Exact FLOP total `Σ L·(…)` of `t^I + t^A` (before `β`).
    pub flops: u128,
    /// `t_batch` on the job's FLOP rate, ns.
    pub t_batch_ns: u64,
    /// `Σ (s' + n_i)`, the tokens the KV cache holds at its bound.
    pub kv_tokens: u64,
    /// Left side of (1c), bytes.
    pub memory_bytes: f64,
    /// `Σ ρU`, fixed point.
    pub rho_up_fx: u64,
    /// `Σ ρD`, fixed point.
    pub rho_down_fx: u64,
}

/// Why a job is infeasible.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// A job with no request.
    #[error("empty job")]
    Empty,
    /// A request index outside the epoch's candidates, or one used twice.
    #[error("request index {0} is unknown or scheduled twice")]
    BadRequest(usize),
    /// (1a): `Σ ρU > 1` over the epoch's jobs.
    #[error("uplink bandwidth exceeded (1a)")]
    Uplink,
    /// (1b): `Σ ρD > 1` over the epoch's jobs.
    #[error("downlink bandwidth exceeded (1b)")]
    Downlink,
    /// (1c): the KV cache and weights exceed the memory.
    #[error("memory exceeded (1c)")]
    Memory,
    /// (1d): request `id` cannot be delivered by its deadline.
    #[error("request {id} misses its deadline (1d)")]
    Deadline {
        /// The request's id.
        id: u64,
    },
    /// (1g): the batch does not fit its compute slot.
    #[error("batch longer than the compute slot (1g)")]
    ComputeSlot,
    /// A GPU that is still busy, out of range, or given two jobs; or a pooled job beside others.
    #[error("GPU placement invalid: {0}")]
    Placement(String),
}

/// Resources of the batch `sel` (indices into `inst.requests`) on the pooled
/// GPUs, padded to its longest prompt (MODEL.md §5). No constraint is checked.
pub fn batch_cost(inst: &Instance, sel: &[usize]) -> BatchCost {
    let s_pad = sel
        .iter()
        .map(|&i| inst.requests[i].prompt)
        .max()
        .unwrap_or(0);
    let mut flops = 0u128;
    let mut kv_tokens = 0u64;
    let (mut up, mut down) = (0u64, 0u64);
    for &i in sel {
        let c = &inst.requests[i];
        flops += inst.model.request_flops(s_pad, c.output);
        kv_tokens += s_pad as u64 + c.output as u64;
        up += c.rho_up_fx;
        down += c.rho_down_fx;
    }
    BatchCost {
        s_pad,
        flops,
        t_batch_ns: inst.batch_time_ns(flops),
        kv_tokens,
        memory_bytes: inst.memory_bytes(kv_tokens),
        rho_up_fx: up,
        rho_down_fx: down,
    }
}

/// Checks a batch on the pooled GPUs against (1a)–(1d) and (1g) on its own.
pub fn check_batch(inst: &Instance, sel: &[usize]) -> Result<BatchCost, Violation> {
    check_distinct(inst, sel)?;
    if sel.is_empty() {
        return Err(Violation::Empty);
    }
    let cost = batch_cost(inst, sel);
    check_pooled_cost(inst, sel, &cost)?;
    check_bandwidth(cost.rho_up_fx, cost.rho_down_fx)?;
    Ok(cost)
}

fn check_pooled_cost(inst: &Instance, sel: &[usize], cost: &BatchCost) -> Result<(), Violation> {
    if cost.memory_bytes > inst.memory {
        return Err(Violation::Memory);
    }
    if cost.t_batch_ns > inst.t_c_ns {
        return Err(Violation::ComputeSlot);
    }
    check_deadlines(
        inst,
        sel.iter().map(|&i| &inst.requests[i]),
        cost.t_batch_ns,
    )
}

fn check_deadlines<'a>(
    inst: &Instance,
    reqs: impl Iterator<Item = &'a Candidate>,
    t_batch_ns: u64,
) -> Result<(), Violation> {
    let offset = inst.delivery_offset_ns(t_batch_ns);
    for c in reqs {
        // (1d): T_U + t_batch + T_D ≤ D_i − t_k, in ns (MODEL.md §4).
        if offset > c.budget_ns as i128 {
            return Err(Violation::Deadline { id: c.id });
        }
    }
    Ok(())
}

fn check_bandwidth(up: u64, down: u64) -> Result<(), Violation> {
    if up > RHO_ONE {
        return Err(Violation::Uplink);
    }
    if down > RHO_ONE {
        return Err(Violation::Downlink);
    }
    Ok(())
}

fn check_distinct(inst: &Instance, sel: &[usize]) -> Result<(), Violation> {
    let mut seen = vec![false; inst.requests.len()];
    for &i in sel {
        if i >= seen.len() || std::mem::replace(&mut seen[i], true) {
            return Err(Violation::BadRequest(i));
        }
    }
    Ok(())
}

/// Cost of one request alone on one GPU, unpadded (`s' = s_i`), for no batching (MODEL.md §7 nobatch).
pub fn single_cost(view: &EpochView<'_>, c: &Candidate) -> BatchCost {
    let inst = view.instance;
    let flops = inst.model.request_flops(c.prompt, c.output);
    let kv_tokens = c.prompt as u64 + c.output as u64;
    BatchCost {
        s_pad: c.prompt,
        flops,
        t_batch_ns: crate::cost::batch_time_ns(flops, inst.quant.beta, view.gpus.flops_per_gpu),
        kv_tokens,
        memory_bytes: inst.memory_bytes(kv_tokens), // (1c) formula; compared with one GPU's memory
        rho_up_fx: c.rho_up_fx,
        rho_down_fx: c.rho_down_fx,
    }
}

/// The verdict on each job of a plan, in plan order.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanCheck {
    /// For each job: its cost if accepted, or why it was refused.
    pub jobs: Vec<Result<BatchCost, Violation>>,
}

impl PlanCheck {
    /// Number of refused jobs (`plan_violations`, MODEL.md §8).
    pub fn violations(&self) -> usize {
        self.jobs.iter().filter(|j| j.is_err()).count()
    }
}

/// Checks a whole plan the way the base station does (MODEL.md §4 step 4):
/// jobs in plan order, each against every capacity constraint given the
/// bandwidth already taken by the accepted jobs before it; a violating job is
/// refused and takes nothing. A pooled job takes every GPU and must be the
/// only job; a single-GPU job needs that GPU free by `t_k + T_U`, fits the
/// GPU's memory, meets its deadline alone, and has no compute-slot limit.
pub fn check_plan(view: &EpochView<'_>, plan: &Plan) -> PlanCheck {
    let inst = view.instance;
    let mut used = vec![false; inst.requests.len()];
    let mut gpu_taken = vec![false; view.gpus.count];
    let (mut up, mut down) = (0u64, 0u64);
    let pooled_jobs = plan
        .jobs
        .iter()
        .filter(|j| j.placement == Placement::Pooled)
        .count();
    let mut jobs = Vec::with_capacity(plan.jobs.len());
    for job in &plan.jobs {
        let verdict = (|| {
            if job.requests.is_empty() {
                return Err(Violation::Empty);
            }
            let mut mine = used.clone();
            for &i in &job.requests {
                if i >= mine.len() || std::mem::replace(&mut mine[i], true) {
                    return Err(Violation::BadRequest(i));
                }
            }
            let cost = match job.placement {
                Placement::Pooled => {
                    if plan.jobs.len() != 1 || pooled_jobs != 1 {
                        return Err(Violation::Placement(
                            "a pooled job must be the epoch's only job".into(),
                        ));
                    }
                    if (0..view.gpus.count).any(|g| !view.gpus.is_free(g)) {
                        return Err(Violation::Placement(
                            "a pooled job needs every GPU free".into(),
                        ));
                    }
                    let cost = batch_cost(inst, &job.requests);
                    check_pooled_cost(inst, &job.requests, &cost)?;
                    cost
                }
                Placement::Gpu(g) => {
                    let g = g as usize;
                    if g >= view.gpus.count || gpu_taken[g] || !view.gpus.is_free(g) {
                        return Err(Violation::Placement(format!("GPU {g} is not free")));
                    }
                    if job.requests.len() != 1 {
                        return Err(Violation::Placement(
                            "a single-GPU job holds one request".into(),
                        ));
                    }
                    let c = &inst.requests[job.requests[0]];
                    let cost = single_cost(view, c);
                    if cost.memory_bytes > view.gpus.memory_per_gpu {
                        return Err(Violation::Memory);
                    }
                    check_deadlines(inst, std::iter::once(c), cost.t_batch_ns)?;
                    gpu_taken[g] = true;
                    cost
                }
            };
            check_bandwidth(up + cost.rho_up_fx, down + cost.rho_down_fx)?;
            used = mine;
            up += cost.rho_up_fx;
            down += cost.rho_down_fx;
            Ok(cost)
        })();
        jobs.push(verdict);
    }
    PlanCheck { jobs }
}
