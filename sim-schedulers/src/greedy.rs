//! `greedy` — a cheap heuristic (MODEL.md §7): candidates in order of deadline
//! (smallest budget `D_i − t_k` first, ties by ascending id), each added if the
//! batch stays feasible under (1a)–(1d) and (1g), with `t_batch` from the
//! instance's cost model (FLOP sums on the paper's, `batch_time_ns` on any other).

use crate::entry::{BuildError, Entry};
use sim_models::instance::Instance;
use sim_models::scheduler::{EpochView, Plan, Scheduler, SchedulerError, Work};

use crate::batch::Batch;

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
    let mut order: Vec<usize> = (0..inst.requests.len())
        .filter(|&i| inst.selectable(&inst.requests[i]))
        .collect();
    order.sort_by_key(|&i| (inst.requests[i].budget_ns, i));
    let mut batch = Batch::new(inst);
    let mut sel = vec![];
    let mut work = Work::default();
    for i in order {
        work.leaves += 1;
        if batch.try_add(&inst.requests[i], true) {
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
