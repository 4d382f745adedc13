//! `greedy` — a cheap heuristic (MODEL.md §7): candidates in order of deadline
//! (smallest budget `D_i − t_k` first, ties by ascending id), each added if the
//! batch stays feasible under (1a)–(1d) and (1g).

use crate::batch::flops_of;
use crate::entry::{BuildError, Entry};
use sim_models::instance::Instance;
use sim_models::scheduler::{EpochView, Plan, Scheduler, SchedulerError, Work};

use crate::batch::BatchSums;

/// The earliest-deadline-first greedy scheduler. Stateless.
#[derive(Clone, Debug, Default)]
pub struct Greedy;

impl Greedy {
    /// A new greedy scheduler.
    pub fn new() -> Greedy {
        Greedy
    }
}

/// The greedy batch of `inst` (indices, ascending) and the work (`leaves` = batches tried).
pub fn solve(inst: &Instance) -> (Vec<usize>, Work) {
    let kv = inst.kv_token_capacity();
    let fc = flops_of(inst);
    let mut order: Vec<usize> = (0..inst.requests.len())
        .filter(|&i| inst.selectable(&inst.requests[i]))
        .collect();
    order.sort_by_key(|&i| (inst.requests[i].budget_ns, i));
    let mut sums = BatchSums::empty();
    let mut sel = vec![];
    let mut work = Work::default();
    for i in order {
        let trial = sums.with(&fc.model, &inst.requests[i]);
        work.leaves += 1;
        if trial.fits(inst, fc, kv, true) {
            sums = trial;
            sel.push(i);
        }
    }
    sel.sort_unstable();
    (sel, work)
}

impl Scheduler for Greedy {
    fn name(&self) -> &str {
        "greedy"
    }

    fn schedule(&mut self, view: &EpochView<'_>) -> Result<Plan, SchedulerError> {
        crate::batch::require_flops(view.instance, self.name())?;
        let (sel, work) = solve(view.instance);
        Ok(Plan::pooled(sel, work))
    }
}

/// This scheduler's row in [`crate::registry::REGISTRY`].
pub const ENTRY: Entry = Entry {
    name: "greedy",
    description:
        "candidates by earliest deadline, each added if the batch stays feasible; a cheap heuristic",
    batches: true,
    options: &[],
    build: |spec, _| {
        let _: crate::options::NoOptions = spec.options().map_err(BuildError::Options)?;
        Ok(Box::new(Greedy::new()))
    },
};
