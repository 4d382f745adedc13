//! `dftsp` — the paper's Algorithm 1 (DFTSP) with the padding-cap loop, the
//! `z_max` start and the strict pruning rule of MODEL.md §7. The search itself
//! is [`crate::search`], shared with `tree-search`.
//!
//! Optimal for problem P1 whenever all users share one channel gain (then the
//! lowest-`ρU` requests of a level are also the shortest prompts, and `ρD` is
//! equal within a level); with per-user gains it still returns a feasible batch,
//! since every leaf is checked against every constraint at the cap `s'` and the
//! batch then runs padded to its own longest prompt, which only costs less.

use crate::entry::{BuildError, Entry};
use sim_models::instance::Instance;
use sim_models::scheduler::{EpochView, Plan, Scheduler, SchedulerError, Work};

use crate::options::ZStart;

use crate::search::SearchCore;

/// The DFTSP scheduler (MODEL.md §7). Keeps its search buffers between epochs.
#[derive(Clone, Debug)]
pub struct Dftsp {
    core: SearchCore,
}

impl Dftsp {
    /// A DFTSP scheduler whose `z` starts at `z_start` (default [`ZStart::Bound`]).
    pub fn new(z_start: ZStart) -> Dftsp {
        Dftsp {
            core: SearchCore::new(true, z_start),
        }
    }

    /// Solves one instance: selected indices (ascending) and the nodes/leaves visited.
    pub fn solve(&mut self, inst: &Instance) -> (Vec<usize>, Work) {
        self.core.solve(inst)
    }
}

impl Scheduler for Dftsp {
    fn name(&self) -> &str {
        "dftsp"
    }

    fn schedule(&mut self, view: &EpochView<'_>) -> Result<Plan, SchedulerError> {
        let (sel, work) = self.core.solve(view.instance);
        Ok(Plan::pooled(sel, work))
    }
}

/// This scheduler's row in [`crate::registry::REGISTRY`].
pub const ENTRY: Entry = Entry {
    name: "dftsp",
    description: "the paper's Algorithm 1 (DFTSP): depth-first tree search with pruning over the padding cap; optimal when all users share one channel gain",
    batches: true,
    options: &["z_start"],
    build: |spec, _| {
        let o: crate::options::SearchOptions = spec.options().map_err(BuildError::Options)?;
        Ok(Box::new(Dftsp::new(o.z_start)))
    },
};
