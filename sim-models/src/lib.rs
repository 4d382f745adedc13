//! The edge-LLM system model of MODEL.md, driven by the `sim-core` engine.
//!
//! Layers, from the bottom:
//! - [`cost`] and [`quant`]: what a batch costs in memory and FLOPs (MODEL.md §5–6);
//! - [`instance`]: one epoch's scheduling problem, and its file format (§10);
//! - [`feasibility`]: the one check of (1a)–(1d), (1g) used by the base station and the tests;
//! - [`scheduler`]: the interface schedulers implement (§7).
//!
//! This crate owns no scheduling policy (see `sim-schedulers`) and no command line.

pub mod cost;
pub mod feasibility;
pub mod instance;
pub mod quant;
pub mod scenario;
pub mod scheduler;
