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

use crate::entry::{BuildError, Entry};
use sim_models::feasibility::single_cost;
use sim_models::instance::RHO_ONE;
use sim_models::scheduler::{
    EpochView, Job, Placement, Plan, Scheduler, SchedulerError, SystemInfo, Work,
};

/// No batching cannot serve the system: the model's weights do not fit one GPU.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error(
    "the model does not fit one GPU — resident weights α_w·m1 = {weights} bytes > memory per GPU {memory_per_gpu} bytes"
)]
pub struct ModelTooLarge {
    /// `α_w·m1`, bytes.
    pub weights: f64,
    /// One GPU's memory, bytes.
    pub memory_per_gpu: f64,
}

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
    ///
    /// # Errors
    /// [`ModelTooLarge`] when the weights do not fit one GPU.
    pub fn from_system(sys: &SystemInfo, deadline_aware: bool) -> Result<NoBatch, ModelTooLarge> {
        let weights = sys.single_gpu_cost.weight_bytes();
        if weights > sys.memory_per_gpu {
            return Err(ModelTooLarge {
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

/// This scheduler's row in [`crate::registry::REGISTRY`].
pub const ENTRY: Entry = Entry {
    name: "nobatch",
    description:
        "no batching (NoB): each free GPU runs the first pending request that fits, one at a time",
    batches: false,
    options: &["deadline_aware"],
    build: |spec, sys| {
        let o: crate::options::AdmissionOptions = spec.options().map_err(BuildError::Options)?;
        NoBatch::from_system(sys, o.deadline_aware)
            .map(|s| Box::new(s) as Box<dyn Scheduler>)
            .map_err(|e| BuildError::refused("nobatch", e))
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench_support::toy_cost;
    use sim_models::feasibility::check_plan;
    use sim_models::instance::{Candidate, Instance};
    use sim_models::scheduler::GpuView;

    /// Toy model on GPUs of 10⁹ FLOP/s: 1 FLOP = 1 ns; (s=1, n=1) takes 16 ns,
    /// (s=1, n=2) 36 ns; each GPU holds 20 bytes = 5 KV tokens (α_w = 0).
    fn toy(requests: Vec<Candidate>) -> Instance {
        Instance {
            cost: toy_cost(0.0, 3e9).shared(),
            memory: 60.0,
            t_u_ns: 100,
            t_c_ns: 1000,
            t_d_ns: 100,
            requests,
        }
    }

    fn run(inst: &Instance, busy: &[u64], aware: bool) -> Plan {
        let one_gpu = toy_cost(0.0, 1e9);
        let view = EpochView {
            epoch: 3,
            t_k_ns: 0,
            instance: inst,
            gpus: GpuView {
                count: busy.len(),
                single_gpu_cost: &one_gpu,
                memory_per_gpu: 20.0,
                busy_until_ns: busy,
                compute_start_ns: 100,
            },
        };
        let plan = NoBatch::new(aware).schedule(&view).unwrap();
        if aware {
            assert_eq!(check_plan(&view, &plan).violations(), 0);
        }
        plan
    }

    fn gpus_and_requests(plan: &Plan) -> Vec<(Placement, usize)> {
        plan.jobs
            .iter()
            .map(|j| (j.placement, j.requests[0]))
            .collect()
    }

    #[test]
    fn admission_by_memory_bandwidth_and_deadline() {
        let plenty = 10_000;
        let reqs = vec![
            // 0: s=4, n=2 → 6 tokens > 5: does not fit one GPU's memory.
            Candidate::new(0, 4, 2, plenty, 0.01, 0.01),
            // 1: fits → GPU 0; takes ρU 0.7.
            Candidate::new(1, 1, 1, plenty, 0.7, 0.01),
            // 2: ρU 0.5, 0.7 + 0.5 > 1: no bandwidth left.
            Candidate::new(2, 1, 1, plenty, 0.5, 0.01),
            // 3: budget 210 → 100 + 16 + 100 = 216 > 210: late alone.
            Candidate::new(3, 1, 1, 210, 0.1, 0.01),
            // 4: (1, 2), 36 ns, on time → the next free GPU, 2 (GPU 1 is busy).
            Candidate::new(4, 1, 2, plenty, 0.1, 0.01),
            // 5: would fit, but no free GPU is left.
            Candidate::new(5, 1, 1, plenty, 0.1, 0.01),
        ];
        let inst = toy(reqs);
        // GPU 1 computes until 101 > t_k + T_U = 100; GPU 2 until exactly 100: free.
        let busy = [0, 101, 100];
        let plan = run(&inst, &busy, true);
        assert_eq!(
            gpus_and_requests(&plan),
            vec![(Placement::Gpu(0), 1), (Placement::Gpu(2), 4)]
        );
        // Without deadline awareness request 3 (late alone) goes to GPU 2 instead.
        let plan = run(&inst, &busy, false);
        assert_eq!(
            gpus_and_requests(&plan),
            vec![(Placement::Gpu(0), 1), (Placement::Gpu(2), 3)]
        );
    }

    #[test]
    fn gpu_index_order_and_arrival_order() {
        // Four free GPUs, three requests: GPUs 0, 1, 2 take ids 0, 1, 2 in order.
        let reqs = (0..3)
            .map(|i| Candidate::new(i, 1, 1, 10_000, 0.1, 0.1))
            .collect();
        let inst = toy(reqs);
        let plan = run(&inst, &[0, 0, 0, 0], true);
        assert_eq!(
            gpus_and_requests(&plan),
            vec![
                (Placement::Gpu(0), 0),
                (Placement::Gpu(1), 1),
                (Placement::Gpu(2), 2)
            ]
        );
        // All GPUs busy: nothing.
        assert!(run(&inst, &[500, 500], true).jobs.is_empty());
    }

    #[test]
    fn refuses_a_model_larger_than_one_gpu() {
        let sys = SystemInfo {
            template: toy(vec![]),
            gpu_count: 2,
            single_gpu_cost: toy_cost(0.0, 1e9).shared(),
            memory_per_gpu: 20.0,
            max_prompt: 1,
            max_output: 1,
        };
        assert!(NoBatch::from_system(&sys, true).is_ok());
        let mut big = sys.clone();
        // Weights α_w·m1 = 1 × 12 bytes (m1 = 8 + 4 for L = d = d_f = 1) > 10 bytes.
        big.single_gpu_cost = toy_cost(1.0, 1e9).shared();
        big.memory_per_gpu = 10.0;
        let e = NoBatch::from_system(&big, true).unwrap_err();
        assert!(e.to_string().contains("does not fit one GPU"), "{e}");
    }
}
