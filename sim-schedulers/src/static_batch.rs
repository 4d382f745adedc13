//! `static` (StB) — static batching, the paper's first benchmark (MODEL.md §7).
//!
//! A fixed batch size `b`, derived once from the system: the largest `b` for
//! which a worst-case batch — every prompt the longest the scenario can draw
//! (`SystemInfo::max_prompt`), every output `N_K` (`SystemInfo::max_output`) —
//! satisfies (1c) and (1g) on the pooled GPUs (`C`, `M` of the template).
//! Each epoch it scans the pending requests in arrival order and adds each one
//! whose addition keeps the batch feasible under (1a)–(1d) and (1g), until the
//! batch holds `b`. With `deadline_aware: false` it admits regardless of (1d)
//! (still checking (1a)–(1c) and (1g)).

use sim_models::instance::Instance;
use sim_models::scheduler::{EpochView, Plan, Scheduler, SchedulerError, SystemInfo, Work};

use crate::batch::{flop_limit, BatchSums};
use crate::registry::BuildError;

/// The static-batching scheduler (MODEL.md §7 StB).
#[derive(Clone, Debug)]
pub struct StaticBatch {
    b: u64,
    deadline_aware: bool,
}

/// The largest `b` for which `b` worst-case requests (prompt `max_prompt`,
/// output `max_output`) fit the pooled memory (1c) and the compute slot (1g)
/// of `template`; `u64::MAX` if a worst-case request costs nothing.
pub fn batch_size(template: &Instance, max_prompt: u32, max_output: u32) -> u64 {
    let Some(kv_cap) = template.kv_token_capacity() else {
        return 0;
    };
    // (1c): b·(s + N_K) ≤ token capacity.
    let tokens = max_prompt as u64 + max_output as u64;
    let b_mem = kv_cap.checked_div(tokens).unwrap_or(u64::MAX);
    // (1g): t_batch(b·f) ≤ T_C ⇔ b·f ≤ F(T_C), FLOPs exact (MODEL.md §5).
    let f = template.model.request_flops(max_prompt, max_output);
    let b_time = flop_limit(template, template.t_c_ns)
        .checked_div(f)
        .unwrap_or(u128::MAX)
        .min(u64::MAX as u128) as u64;
    b_mem.min(b_time)
}

impl StaticBatch {
    /// A static batcher with batch size `b` (≥ 1).
    pub fn new(b: u64, deadline_aware: bool) -> StaticBatch {
        StaticBatch { b, deadline_aware }
    }

    /// Derives `b` from the system ([`batch_size`]); refuses `b = 0` (MODEL.md §7).
    pub fn from_system(sys: &SystemInfo, deadline_aware: bool) -> Result<StaticBatch, BuildError> {
        let b = batch_size(&sys.template, sys.max_prompt, sys.max_output);
        if b == 0 {
            return Err(BuildError::StaticBatchZero {
                max_prompt: sys.max_prompt,
                max_output: sys.max_output,
            });
        }
        Ok(StaticBatch::new(b, deadline_aware))
    }

    /// The batch size `b`.
    pub fn b(&self) -> u64 {
        self.b
    }

    /// The batch for `inst` (indices, ascending) and the work (`leaves` = admissions tried).
    pub fn solve(&self, inst: &Instance) -> (Vec<usize>, Work) {
        let kv = inst.kv_token_capacity();
        let mut sums = BatchSums::empty();
        let mut sel = vec![];
        let mut work = Work::default();
        // `requests` is in ascending id order = arrival order (MODEL.md §2).
        for (i, c) in inst.requests.iter().enumerate() {
            if sums.count >= self.b {
                break;
            }
            let trial = sums.with(&inst.model, c);
            work.leaves += 1;
            if trial.fits(inst, kv, self.deadline_aware) {
                sums = trial;
                sel.push(i);
            }
        }
        (sel, work)
    }
}

impl Scheduler for StaticBatch {
    fn name(&self) -> &str {
        "static"
    }

    fn schedule(&mut self, view: &EpochView<'_>) -> Result<Plan, SchedulerError> {
        let (sel, work) = self.solve(view.instance);
        Ok(Plan::pooled(sel, work))
    }
}
