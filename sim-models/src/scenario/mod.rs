//! Scenario files: everything a run needs, in RON (MODEL.md §1–8).
//!
//! A scenario is read with [`Scenario::from_ron_str`], which parses (unknown
//! fields are rejected, with the line and column) and range-checks every value
//! ([`Scenario::validate`], with the dotted path of the offending field).
//! Every field has a default — the paper's setting — so `()` is a complete
//! scenario.
//!
//! Units in the file: seconds, Hz, dBm, dBm/Hz, bytes, FLOP/s, tokens. They
//! are converted once, by [`Scenario::resolve`], into a [`System`]: integer
//! ns, watts, `σ² = N0·B`, the model dimensions and the quantization factors.
//!
//! The module, from the bottom (each file uses only those above it):
//! - `schema`: the serde types and their `Default` impls, the one source of
//!   every default value;
//! - `error`: [`ScenarioError`];
//! - `overrides`: [`Scenario::set`], a generic `path=value` setter (the CLI's
//!   `--set`, the sweep axes);
//! - `sweep`: the sweep grid expanded into points ([`SweepSpec::expand`]);
//! - `validate`: range checks and unit conversion of every field, and of
//!   every sweep point ([`Scenario::validate`], [`Scenario::sweep_points`]);
//! - `serving`: continuous serving's settings resolved ([`ContinuousSystem`]);
//! - `system`: the resolved [`System`] ([`Scenario::resolve`]);
//! - `size`: how big a run is, and warnings ([`Scenario::size`]);
//! - `read`: reading and writing the text ([`Scenario::from_ron_str`]).

mod error;
mod overrides;
mod read;
mod schema;
mod serving;
mod size;
mod sweep;
mod system;
mod validate;

#[cfg(test)]
mod bounds_tests;
#[cfg(test)]
mod tests;

pub use error::ScenarioError;
pub use schema::MAX_CLASSES;
pub use schema::{
    Arrivals, Channel, Continuous, CostKind, Delivery, Dist, GpuSpec, Gpus, Links, ModelSpec,
    Process, QuantSpec, QueuePolicy, Requests, RonText, Scenario, ServiceClass, Serving, Slots,
    SweepAxis, SweepSpec, TraceFormat, TraceSpec, UserAssign, Users, WaitingOrder, VLLM_BLOCK_SIZE,
    VLLM_MAX_NUM_BATCHED_TOKENS, VLLM_MAX_NUM_SEQS, VLLM_MEMORY_UTILISATION,
};
pub use serving::{ContinuousSystem, MAX_BLOCKS};
pub use size::{RunSize, LARGE_RUN_EVENTS};
pub use sweep::{SweepPoint, MAX_REPLICATIONS, MAX_SWEEP_POINTS, MAX_SWEEP_RUNS};
pub use system::{ClassSpec, System};
pub use validate::{
    dbm_to_watts, MAX_EPOCHS, MAX_EXPECTED_ARRIVALS, MAX_GPUS, MAX_RATE_PER_USER, MAX_SECONDS,
    MAX_TOKENS, MAX_USERS,
};

/// The paper's setting (MODEL.md §2–6) as a commented file: the text of
/// `scenarios/default.ron`, which a test checks equal to `Scenario::default()`.
pub const DEFAULT_SCENARIO_RON: &str = include_str!("../../../scenarios/default.ron");
