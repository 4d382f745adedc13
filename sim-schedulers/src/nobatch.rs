//! `nobatch` (NoB) — no batching, the paper's second benchmark (MODEL.md §7).
//!
//! Each GPU runs one request at a time at its own `c` and `m`, unpadded
//! (`s' = s_i`), with no compute-slot limit. At `t_k`, each GPU that is free by
//! `t_k + T_U` ([`GpuView::is_free`]), in GPU index order, takes the first
//! pending request in arrival order that fits its memory
//! (`α_w·m1 + α_kv·4·L·d_m·(s_i + n_i) ≤ m`), fits the epoch's remaining
//! bandwidth, and — with `deadline_aware` (the default) — can be delivered on
//! time alone: `t_k + T_U + t_single + T_D ≤ D_i`.
//!
//! [`GpuView::is_free`]: sim_models::scheduler::GpuView::is_free

use sim_models::feasibility::single_cost;
use sim_models::instance::RHO_ONE;
use sim_models::scheduler::{
    EpochView, Job, Placement, Plan, Scheduler, SchedulerError, SystemInfo, Work,
};

use crate::registry::BuildError;

/// The no-batching scheduler (MODEL.md §7 NoB). Returns one `Placement::Gpu(g)` job per request.
#[derive(Clone, Debug)]
pub struct NoBatch {
    deadline_aware: bool,
}

impl NoBatch {
    /// A no-batching scheduler.
    pub fn new(deadline_aware: bool) -> NoBatch {
        NoBatch { deadline_aware }
    }

    /// Refuses a system whose model weights (`α_w·m1`) do not fit one GPU (MODEL.md §7).
    pub fn from_system(sys: &SystemInfo, deadline_aware: bool) -> Result<NoBatch, BuildError> {
        let weights = sys.template.resident_bytes();
        if weights > sys.memory_per_gpu {
            return Err(BuildError::NoBatchModelTooLarge {
                weights,
                memory_per_gpu: sys.memory_per_gpu,
            });
        }
        Ok(NoBatch::new(deadline_aware))
    }
}

impl Scheduler for NoBatch {
    fn name(&self) -> &str {
        "nobatch"
    }

    fn schedule(&mut self, view: &EpochView<'_>) -> Result<Plan, SchedulerError> {
        let inst = view.instance;
        let gpus = &view.gpus;
        // Memory and deadline do not depend on which (identical) GPU runs the
        // request; bandwidth only shrinks as GPUs take requests, so a request
        // passed over once is passed over for every later GPU: one scan.
        let mut jobs = vec![];
        let (mut up, mut down) = (0u64, 0u64);
        let mut next = 0usize;
        let mut work = Work::default();
        for g in 0..gpus.count {
            if !gpus.is_free(g) {
                continue;
            }
            while next < inst.requests.len() {
                let i = next;
                next += 1;
                let c = &inst.requests[i];
                work.leaves += 1;
                let cost = single_cost(view, c);
                let fits_memory = cost.memory_bytes <= gpus.memory_per_gpu;
                let fits_band = up.saturating_add(c.rho_up_fx) <= RHO_ONE
                    && down.saturating_add(c.rho_down_fx) <= RHO_ONE;
                // t_k + T_U + t_single + T_D ≤ D_i, i.e. T_U + t + T_D ≤ budget (MODEL.md §7).
                let on_time = !self.deadline_aware
                    || inst.delivery_offset_ns(cost.t_batch_ns) <= c.budget_ns as i128;
                if fits_memory && fits_band && on_time {
                    up += c.rho_up_fx;
                    down += c.rho_down_fx;
                    jobs.push(Job {
                        placement: Placement::Gpu(g as u32),
                        requests: vec![i],
                    });
                    break;
                }
            }
        }
        Ok(Plan { jobs, work })
    }
}
