//! `tree-search` — the DFTSP search with the pruning rule switched off: the
//! paper's brute-force benchmark of Table III (MODEL.md §7). Same trees, same
//! order, same answer as `dftsp`; more nodes (dead leaves included).

use crate::entry::{BuildError, Entry};
use sim_models::instance::Instance;
use sim_models::scheduler::{EpochView, Plan, Scheduler, SchedulerError, Work};

use crate::options::ZStart;

use crate::search::SearchCore;

/// The unpruned tree search (MODEL.md §7).
#[derive(Clone, Debug)]
pub struct TreeSearch {
    core: SearchCore,
}

impl TreeSearch {
    /// A tree search whose `z` starts at `z_start` (default [`ZStart::Bound`]).
    pub fn new(z_start: ZStart) -> TreeSearch {
        TreeSearch {
            core: SearchCore::new(false, z_start),
        }
    }

    /// Solves one instance: selected indices (ascending) and the nodes/leaves visited.
    pub fn solve(&mut self, inst: &Instance) -> (Vec<usize>, Work) {
        self.core.solve(inst)
    }
}

impl Scheduler for TreeSearch {
    fn name(&self) -> &str {
        "tree-search"
    }

    fn schedule(&mut self, view: &EpochView<'_>) -> Result<Plan, SchedulerError> {
        let (sel, work) = self.core.solve(view.instance);
        Ok(Plan::pooled(sel, work))
    }
}

/// This scheduler's row in [`crate::registry::REGISTRY`].
pub const ENTRY: Entry = Entry {
    name: "tree-search",
    description: "the same search without pruning: the paper's brute-force benchmark for Table III",
    batches: true,
    options: &["z_start"],
    build: |spec, _| {
        let o: crate::options::SearchOptions = spec.options().map_err(BuildError::Options)?;
        Ok(Box::new(TreeSearch::new(o.z_start)))
    },
};
