//! The schedulers of MODEL.md §7, one file each, behind the
//! [`sim_models::scheduler::Scheduler`] trait, and the [`registry`] that maps a
//! scenario's or the command line's name to a constructor.
//!
//! - [`dftsp`] and [`tree_search`]: the paper's Algorithm 1 with and without
//!   pruning, over one shared search core ([`search`], private);
//! - [`exhaustive`]: every subset, the ground truth on small instances;
//! - [`greedy`]: earliest deadline first, a cheap heuristic;
//! - [`static_batch`] (`static`, StB) and [`nobatch`] (NoB): the paper's benchmarks.
//!
//! This crate decides which requests run; it never mutates simulation state
//! and owns no feasibility rule of its own beyond what each search needs: the
//! base station (and every test) judges plans with
//! `sim_models::feasibility::check_plan` / `check_batch`.

#![deny(missing_docs)]
#![deny(clippy::missing_errors_doc)]

mod batch;
pub mod dftsp;
pub mod entry;
pub mod exact;
pub mod exhaustive;
pub mod greedy;
pub mod nobatch;
pub mod options;
pub mod registry;
mod search;
pub mod static_batch;
mod timing;
pub mod tree_search;

#[doc(hidden)]
pub mod bench_support;

pub use registry::{
    batching, build, description, entry, names, solve_instance, system_for_instance, BuildError,
    Entry, SolveError, REGISTRY,
};
