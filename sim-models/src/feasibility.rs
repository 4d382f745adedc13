//! The one feasibility check of MODEL.md §4 step 4 and §5: whether a batch (or
//! a plan of jobs) respects (1a)–(1d) and (1g). The base station checks every
//! plan with it, and the scheduler tests use it as the independent judge, so
//! it is written plainly, request by request, with no search-specific state.

use crate::cost::level_counts;
use crate::instance::{Candidate, Instance, RHO_ONE};
use crate::scheduler::{EpochView, Placement, Plan};

/// The resources a batch takes, as MODEL.md §5 defines them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchCost {
    /// Padded prompt length `s'`, tokens.
    pub s_pad: u32,
    /// Exact FLOP total `Σ L·(…)` of `t^I + t^A` (before `β`), summed request
    /// by request, when the cost model is the paper's FLOP count (else `None`).
    pub flops: Option<u128>,
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
    let mut kv_tokens = 0u64;
    let (mut up, mut down) = (0u64, 0u64);
    for &i in sel {
        let c = &inst.requests[i];
        kv_tokens += s_pad as u64 + c.output as u64;
        up += c.rho_up_fx;
        down += c.rho_down_fx;
    }
    let levels = level_counts(sel.iter().map(|&i| inst.requests[i].output));
    let flops = inst.flops_cost().map(|f| {
        sel.iter()
            .map(|&i| f.model.request_flops(s_pad, inst.requests[i].output))
            .sum()
    });
    BatchCost {
        s_pad,
        flops,
        t_batch_ns: inst.cost.batch_time_ns(s_pad, &levels),
        kv_tokens,
        memory_bytes: inst.memory_bytes(kv_tokens),
        rho_up_fx: up,
        rho_down_fx: down,
    }
}

/// Checks a batch on the pooled GPUs against (1a)–(1d) and (1g) on its own.
///
/// # Errors
/// The first [`Violation`] found: a bad or repeated index, an empty batch,
/// memory (1c), the compute slot (1g), a deadline (1d), bandwidth (1a)/(1b).
pub fn check_batch(inst: &Instance, sel: &[usize]) -> Result<BatchCost, Violation> {
    check_distinct(inst, sel)?;
    if sel.is_empty() {
        return Err(Violation::Empty);
    }
    let cost = batch_cost(inst, sel);
    check_pooled_capacity(inst, &cost)?;
    check_deadlines(
        inst,
        sel.iter().map(|&i| &inst.requests[i]),
        cost.t_batch_ns,
    )?;
    check_bandwidth(cost.rho_up_fx, cost.rho_down_fx)?;
    Ok(cost)
}

/// (1c) and (1g) for a pooled batch: the capacity half of the check.
fn check_pooled_capacity(inst: &Instance, cost: &BatchCost) -> Result<(), Violation> {
    if cost.memory_bytes > inst.memory {
        return Err(Violation::Memory);
    }
    if cost.t_batch_ns > inst.t_c_ns {
        return Err(Violation::ComputeSlot);
    }
    Ok(())
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
    let single = view.gpus.single_gpu_cost;
    let kv_tokens = c.prompt as u64 + c.output as u64;
    BatchCost {
        s_pad: c.prompt,
        flops: single
            .flops()
            .map(|f| f.model.request_flops(c.prompt, c.output)),
        t_batch_ns: single.batch_time_ns(c.prompt, &[(c.output, 1)]),
        kv_tokens,
        // (1c) on one GPU; compared with one GPU's memory.
        memory_bytes: single.weight_bytes() + single.kv_bytes_per_token() * kv_tokens as f64,
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
/// GPU's memory, and has no compute-slot limit.
///
/// Deadlines (1d) are *not* capacity: a job that will deliver late is
/// accepted, and its requests are counted late (MODEL.md §4: "capacity is
/// never exceeded silently; deadlines may be missed and are counted"). This
/// is what lets `deadline_aware: false` run as MODEL.md §7 describes.
/// [`check_batch`] checks (1d) too, for judging schedulers.
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
                    check_pooled_capacity(inst, &cost)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::{GpuView, Job, Work};

    const EXAMPLE: &str = include_str!("../../scenarios/examples/dftsp-nodes.ron");

    fn view<'a>(
        inst: &'a Instance,
        busy: &'a [u64],
        single: &'a crate::cost::FlopsCost,
    ) -> EpochView<'a> {
        EpochView {
            epoch: 0,
            t_k_ns: 0,
            instance: inst,
            gpus: GpuView {
                count: busy.len(),
                single_gpu_cost: single,
                memory_per_gpu: inst.memory / busy.len() as f64,
                busy_until_ns: busy,
                compute_start_ns: inst.t_u_ns,
            },
        }
    }

    /// The cost model of one of `g` GPUs pooled in `inst`.
    fn one_gpu(inst: &Instance, g: usize) -> crate::cost::FlopsCost {
        let f = *inst.flops_cost().unwrap();
        crate::cost::FlopsCost {
            flop_rate: f.flop_rate / g as f64,
            ..f
        }
    }

    #[test]
    fn the_worked_example_batches() {
        let inst = Instance::from_ron_str(EXAMPLE).unwrap();
        // Ids 2, 3 (indices 1, 2): two requests s = n = 128 at s' = 128.
        // Per request: t^I = 30·(8·128·2560² + 4·128²·2560 + 4·128·2560·10240) = 609 012 940 800 FLOPs,
        // t^A = 30·127·(8·2560² + 4·128·2560 + 2·128·2560 + 4·2560·10240) = 30·127·159 252 480
        //     = 606 751 948 800 FLOPs; sum 1 215 764 889 600. Two of them, β = 0.75, C = 2.66e13:
        // 0.75·2 431 529 779 200/2.66e13 = 0.068558170 s (the example file's 0.0686 s).
        let cost = check_batch(&inst, &[1, 2]).unwrap();
        assert_eq!(cost.flops, Some(2 * 1_215_764_889_600));
        assert_eq!(cost.t_batch_ns, 68_558_170);
        assert_eq!(cost.kv_tokens, 2 * 256);
        // All three at s' = 128: 0.1201 s > 0.58 − 0.5 = 0.08 s of budget for ids 2, 3.
        assert_eq!(
            check_batch(&inst, &[0, 1, 2]).unwrap_err(),
            Violation::Deadline { id: 2 }
        );
        assert_eq!(
            check_batch(&inst, &[1, 1]).unwrap_err(),
            Violation::BadRequest(1)
        );
        assert_eq!(check_batch(&inst, &[]).unwrap_err(), Violation::Empty);
    }

    #[test]
    fn plan_check_refuses_capacity_but_not_lateness() {
        let inst = Instance::from_ron_str(EXAMPLE).unwrap();
        let busy = [0u64; 20];
        let single = one_gpu(&inst, 20);
        let late = Plan::pooled(vec![0, 1, 2], Work::default());
        let verdict = check_plan(&view(&inst, &busy, &single), &late);
        assert_eq!(
            verdict.violations(),
            0,
            "a late batch is accepted and counted late later"
        );

        let mut tight = inst.clone();
        tight.t_c_ns = 100_000_000; // 0.1 s < the 0.1201 s the three need: (1g)
        let verdict = check_plan(&view(&tight, &busy, &single), &late);
        assert_eq!(verdict.jobs, vec![Err(Violation::ComputeSlot)]);

        let mut wide = inst.clone();
        wide.requests[0] = Candidate::new(1, 128, 256, 2_000_000_000, 0.6, 1e-5);
        wide.requests[1] = Candidate::new(2, 128, 128, 580_000_000, 0.5, 1e-5);
        let verdict = check_plan(&view(&wide, &busy, &single), &late);
        assert_eq!(
            verdict.jobs,
            vec![Err(Violation::Uplink)],
            "0.6 + 0.5 + 1e-5 > 1"
        );
    }

    #[test]
    fn single_gpu_jobs_share_the_band_and_need_a_free_gpu() {
        let mut inst = Instance::from_ron_str(EXAMPLE).unwrap();
        inst.requests[0] = Candidate::new(1, 128, 256, 2_000_000_000, 0.7, 0.1);
        inst.requests[1] = Candidate::new(2, 128, 128, 580_000_000, 0.7, 0.1);
        let busy = [0, u64::MAX, 0];
        let single = one_gpu(&inst, 3);
        let job = |g, i| Job {
            placement: Placement::Gpu(g),
            requests: vec![i],
        };
        let plan = Plan {
            jobs: vec![job(0, 0), job(1, 2), job(2, 1), job(0, 2)],
            work: Work::default(),
        };
        let verdict = check_plan(&view(&inst, &busy, &single), &plan);
        assert!(verdict.jobs[0].is_ok());
        assert!(
            matches!(verdict.jobs[1], Err(Violation::Placement(_))),
            "GPU 1 is busy"
        );
        assert_eq!(verdict.jobs[2], Err(Violation::Uplink), "0.7 + 0.7 > 1");
        assert!(
            matches!(verdict.jobs[3], Err(Violation::Placement(_))),
            "GPU 0 already taken"
        );
        assert_eq!(verdict.violations(), 3);
    }
}
