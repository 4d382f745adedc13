//! `static` (StB) — static batching, the paper's first benchmark (MODEL.md §7).
//!
//! A fixed batch size `b`, derived once from the system: the largest `b` for
//! which a worst-case batch — every prompt the longest the scenario can draw
//! (`SystemInfo::max_prompt`), every output `N_K` (`SystemInfo::max_output`) —
//! satisfies (1c) and (1g) on the pooled GPUs (`C`, `M` of the template).
//! Each epoch it scans the pending requests in arrival order and adds each one
//! whose addition keeps the batch feasible under (1a)–(1d) and (1g), until the
//! batch holds `b`. With `deadline_aware: false` it admits regardless of (1d)
//! (still checking (1a)–(1c) and (1g)). Both `b` and each admission take
//! `t_batch` from the instance's cost model, whichever it is.

use crate::entry::{BuildError, Entry};
use sim_models::instance::Instance;
use sim_models::scheduler::{EpochView, Plan, Scheduler, SchedulerError, SystemInfo, Work};

use crate::batch::Batch;

/// Static batching cannot serve the system: not even one worst-case request fits (`b = 0`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "batch size b = 0 — not even one worst-case request (prompt {max_prompt} tokens, output {max_output} tokens) fits the pooled GPUs under (1c) memory and (1g) the compute slot"
)]
pub struct StaticBatchZero {
    /// The largest prompt length the scenario can draw, tokens.
    pub max_prompt: u32,
    /// The longest output level, tokens.
    pub max_output: u32,
}

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
    // (1g): t_batch of b worst-case requests ≤ T_C, from the cost model. The
    // time is non-decreasing in b, so bisect for the largest b ≤ b_mem.
    let fits =
        |b: u64| template.cost.batch_time_ns(max_prompt, &[(max_output, b)]) <= template.t_c_ns;
    if fits(b_mem) {
        return b_mem;
    }
    let (mut lo, mut hi) = (0u64, b_mem); // fits(lo): the empty batch takes 0 ns
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

impl StaticBatch {
    /// A static batcher with batch size `b` (≥ 1).
    pub fn new(b: u64, deadline_aware: bool) -> StaticBatch {
        StaticBatch { b, deadline_aware }
    }

    /// Derives `b` from the system ([`batch_size`]); refuses `b = 0` (MODEL.md §7).
    ///
    /// # Errors
    /// [`StaticBatchZero`] when `b = 0`.
    pub fn from_system(
        sys: &SystemInfo,
        deadline_aware: bool,
    ) -> Result<StaticBatch, StaticBatchZero> {
        let b = batch_size(&sys.template, sys.max_prompt, sys.max_output);
        if b == 0 {
            return Err(StaticBatchZero {
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
        let mut batch = Batch::new(inst);
        let mut sel = vec![];
        let mut work = Work::default();
        // `requests` is in ascending id order = arrival order (MODEL.md §2).
        for (i, c) in inst.requests.iter().enumerate() {
            if batch.len() >= self.b {
                break;
            }
            work.leaves += 1;
            if batch.try_add(c, self.deadline_aware) {
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

/// This scheduler's row in [`crate::registry::REGISTRY`].
pub const ENTRY: Entry = Entry {
    name: "static",
    description: "static batching (StB): a fixed batch size b from a worst-case batch, filled in arrival order",
    batches: true,
    options: &["deadline_aware"],
    build: |spec, sys| {
        let o: crate::options::AdmissionOptions = spec.options().map_err(BuildError::Options)?;
        StaticBatch::from_system(sys, o.deadline_aware)
            .map(|s| Box::new(s) as Box<dyn Scheduler>)
            .map_err(|e| BuildError::refused("static", e))
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench_support::paper_system;
    use sim_models::instance::Candidate;

    #[test]
    fn paper_default_batch_size_is_10() {
        // BLOOM-3B, W8A16 (β = 0.75), C = 20 × 1.33e12 = 2.66e13, M = 20 × 32e9 = 6.4e11,
        // T_C = 1.5 s, worst case s = 512, n = N_K = 512.
        // One request: t^I FLOPs = 30·(8·512·2560² + 4·512²·2560 + 4·512·2560·10240)
        //            = 2 496 449 740 800;
        // t^A FLOPs = 30·511·(8·2560² + 4·512·2560 + 2·512·2560 + 4·2560·10240)
        //            = 15 330 · 165 150 720 = 2 531 760 537 600;
        // total 5 028 210 278 400 → 0.75 · 5.0282e12 / 2.66e13 = 0.141773 s.
        // (1g): 10 × 0.141773 = 1.4177 s ≤ 1.5 < 11 × 0.141773 = 1.5595 → 10.
        // (1c): (6.4e11 − 0.5·4.718592e9)/(4·30·2560) = 2 075 653 tokens / 1024 = 2026.
        // b = min(10, 2026) = 10.
        let sys = paper_system();
        assert_eq!(
            sys.template
                .flops_cost()
                .unwrap()
                .model
                .request_flops(512, 512),
            5_028_210_278_400
        );
        assert_eq!(batch_size(&sys.template, 512, 512), 10);
        assert_eq!(StaticBatch::from_system(&sys, true).unwrap().b(), 10);
    }

    #[test]
    fn b_zero_is_refused_at_load() {
        // T_C = 0.1 s < one worst-case request (0.1418 s): b = 0.
        let mut sys = paper_system();
        sys.template.t_c_ns = 100_000_000;
        let e = StaticBatch::from_system(&sys, true).unwrap_err();
        assert!(
            e.to_string().contains("not even one worst-case request"),
            "{e}"
        );
        // Memory for the weights only: b = 0 as well.
        let mut sys = paper_system();
        sys.template.memory = sys.template.resident_bytes();
        assert!(StaticBatch::from_system(&sys, true).is_err());
    }

    /// Toy model: 1 FLOP = 1 ns; (s=1, n=1) costs 16 ns, (s=1, n=2) 36 ns
    /// (see tests/integration/schedulers/hand_built.rs); T_U = T_D = 100 ns, T_C = 100 ns.
    fn toy(requests: Vec<Candidate>) -> Instance {
        Instance {
            cost: crate::bench_support::toy_cost(0.0, 1e9).shared(),
            memory: 1e9,
            t_u_ns: 100,
            t_c_ns: 100,
            t_d_ns: 100,
            requests,
        }
    }

    #[test]
    fn fills_in_arrival_order_up_to_b() {
        // Worst case (s=1, n=2) = 36 ns: b = ⌊100/36⌋ = 2.
        let t = toy(vec![]);
        assert_eq!(batch_size(&t, 1, 2), 2);
        // id 0 leaves 10 ns of compute (budget 210): it can never meet (1d).
        let reqs = vec![
            Candidate::new(0, 1, 1, 210, 1e-6, 1e-6),
            Candidate::new(1, 1, 1, 10_000, 1e-6, 1e-6),
            Candidate::new(2, 1, 1, 10_000, 1e-6, 1e-6),
            Candidate::new(3, 1, 1, 10_000, 1e-6, 1e-6),
        ];
        let inst = toy(reqs);
        // Deadline-aware: skips id 0, takes 1 and 2, stops at b = 2.
        let (sel, _) = StaticBatch::new(2, true).solve(&inst);
        assert_eq!(sel, vec![1, 2]);
        // Not deadline-aware: the two oldest, although id 0 will be late.
        let (sel, _) = StaticBatch::new(2, false).solve(&inst);
        assert_eq!(sel, vec![0, 1]);
        // b = 3 but 3 × 16 = 48 ns fits 100: the first three feasible.
        let (sel, _) = StaticBatch::new(3, true).solve(&inst);
        assert_eq!(sel, vec![1, 2, 3]);
    }

    #[test]
    fn skips_a_request_that_breaks_the_slot_or_the_band() {
        // id 0: (1, 2) 36 ns; id 1: ρU 0.9 with id 0's 0.2 → 1.1 ✗; id 2: (1, 2) → 72 ns ✓;
        // id 3: (1, 2) → 108 > 100 ✗ (1g); id 4: (1, 1) → 88 ns ✓.
        let reqs = vec![
            Candidate::new(0, 1, 2, 10_000, 0.2, 1e-6),
            Candidate::new(1, 1, 1, 10_000, 0.9, 1e-6),
            Candidate::new(2, 1, 2, 10_000, 1e-6, 1e-6),
            Candidate::new(3, 1, 2, 10_000, 1e-6, 1e-6),
            Candidate::new(4, 1, 1, 10_000, 1e-6, 1e-6),
        ];
        let inst = toy(reqs);
        let (sel, _) = StaticBatch::new(10, true).solve(&inst);
        assert_eq!(sel, vec![0, 2, 4]);
    }
}
