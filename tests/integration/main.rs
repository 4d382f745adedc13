//! Cross-crate integration tests, one module per subject (the engine, the
//! model and the schedulers together).

mod common;
mod continuous;
mod link_budget;
mod paper_runs;
mod schedulers;
