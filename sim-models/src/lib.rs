//! The edge-LLM system model of MODEL.md, driven by the `sim-core` engine.
//!
//! Layers, from the bottom:
//! - [`cost`] and [`quant`]: the cost seam — what a batch costs in memory and
//!   time on its hardware — with the paper's FLOP model as its first
//!   implementation (MODEL.md §5–6);
//! - [`iteration`]: the FLOP model stepped iteration by iteration (§5), the
//!   check of the cost model's closed forms;
//! - [`instance`]: one epoch's scheduling problem, and its file format (§10);
//! - [`feasibility`]: the one check of (1a)–(1d), (1g) used by the base station and the tests;
//! - [`scheduler`]: the interface schedulers implement (§7);
//! - [`radio`]: the link-budget channel — 3GPP path loss, shadowing, fading,
//!   CQI — giving a user's spectral efficiency per coherence block (§14);
//! - [`scenario`]: scenario files (RON), their range checks and overrides;
//! - [`request`]: users as Poisson sources and the requests they send, by service class (§2, §12);
//! - [`arrivals`]: the arrival seam — Poisson users, scripted arrivals (§2);
//! - [`trace`]: trace files read row by row, and columns for `Empirical` lengths (§12);
//! - [`workload`]: the other arrival sources — gamma renewal, rate profile, trace replay (§12);
//! - [`channel`]: block Rayleigh fading and the bandwidth fractions `ρU`, `ρD` (§3);
//! - [`kv_cache`] and [`gpu_pool`]: GPU memory over time and GPU state (§5);
//! - [`base_station`]: the base station as a `sim-core` model, its events and state (§1);
//! - [`epoch`]: the epoch pipeline's named steps (§4);
//! - [`metrics`]: counts, histograms, per-epoch records and their accumulator (§8);
//! - [`continuous`]: continuous, iteration-level serving (`serving: Continuous`, §13),
//!   beside the epoch pipeline;
//! - [`simulation`]: [`simulation::run`], the entry point for a whole run.
//!
//! This crate owns no scheduling policy (see `sim-schedulers`) and no command line.

#![deny(missing_docs)]
#![deny(clippy::missing_errors_doc)]

pub mod arrivals;
pub mod base_station;
pub mod channel;
pub mod continuous;
pub mod cost;
pub mod epoch;
pub mod feasibility;
pub mod gpu_pool;
pub mod hist;
pub mod instance;
pub mod intake;
pub mod iteration;
pub mod kv_cache;
pub mod metrics;
pub mod quant;
pub mod radio;
mod range;
pub mod request;
pub mod scenario;
pub mod scheduler;
pub mod simulation;
pub mod trace;
pub mod workload;

pub use metrics::{
    ClassOutput, Counts, EpochRecord, Histograms, Outcome, RequestRecord, RunOutput,
};
pub use scenario::{Scenario, ScenarioError, System};
pub use simulation::{run, run_with, RunOptions, SimError};
