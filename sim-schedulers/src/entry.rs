//! What a scheduler brings to the registry: its [`Entry`] (name,
//! description, whether it batches, constructor) and the [`BuildError`] its
//! constructor may return. Each scheduler file defines its `ENTRY`;
//! [`crate::registry::REGISTRY`] lists them.

use sim_models::scheduler::{Scheduler, SchedulerSpec, SystemInfo};

/// A scheduler's constructor: its spec (name and options) and the system it serves.
pub type Build = fn(&SchedulerSpec, &SystemInfo) -> Result<Box<dyn Scheduler>, BuildError>;

/// One row of the registry.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The name used in scenario files and on the command line.
    pub name: &'static str,
    /// One line for `edgesim list`.
    pub description: &'static str,
    /// Whether it returns one pooled batch (and so can solve a standalone
    /// instance: `edgesim solve --scheduler all` runs these, in table order).
    pub batches: bool,
    /// The options it takes (`scheduler.<option>`), as its options type reads them.
    pub options: &'static [&'static str],
    /// Its constructor.
    pub build: Build,
}

/// Why a scheduler could not be built from a spec (refused "at load").
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BuildError {
    /// `scheduler.name` is not a known scheduler.
    #[error("scheduler.name: unknown scheduler `{name}`; valid names: {}", valid.join(", "))]
    UnknownName {
        /// The name given.
        name: String,
        /// The registry's names.
        valid: Vec<&'static str>,
    },
    /// An option the scheduler does not have, or a value of the wrong type.
    #[error("{0}")]
    Options(String),
    /// The scheduler refuses the system (its own reason, e.g. static's `b = 0`).
    #[error("scheduler `{scheduler}`: {message}")]
    Refused {
        /// The scheduler's name.
        scheduler: &'static str,
        /// Why, from the scheduler's own error.
        message: String,
    },
}

impl BuildError {
    /// The refusal of scheduler `scheduler` for the reason `e`.
    pub fn refused(scheduler: &'static str, e: impl std::fmt::Display) -> BuildError {
        BuildError::Refused {
            scheduler,
            message: e.to_string(),
        }
    }
}
