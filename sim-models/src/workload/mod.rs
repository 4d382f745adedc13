//! The arrival sources of MODEL.md §12 behind the arrival seam
//! ([`crate::arrivals::ArrivalSource`]), and [`source`], the registry that
//! builds a scenario's source from its `arrivals.process`:
//!
//! | `process` | source | file |
//! |---|---|---|
//! | `Poisson` | [`crate::arrivals::PoissonUsers`] (MODEL.md §2) | `arrivals.rs` |
//! | `Gamma(cv)` | [`GammaRenewal`] | `gamma.rs` |
//! | `Profile(segments)` | [`RateProfile`] | `profile.rs` |
//! | `Trace(…)` | [`Replay`] | `replay.rs` |
//!
//! `Gamma`, `Profile` and `Trace` are *aggregate* processes: one sequence of
//! instants for the whole cell, each request given a user by
//! `arrivals.assign` ([`Aggregate`], `aggregate.rs`), its attributes drawn by
//! the one [`Profile`](crate::request::Profile) (a trace's lengths replacing
//! the drawn ones). Every instant is computed in `f64` from the start and
//! rounded once to the ns (MODEL.md §2), never summed from rounded gaps.

mod aggregate;
mod gamma;
mod profile;
mod replay;

pub use aggregate::{Aggregate, Instants, Next};
pub use gamma::GammaRenewal;
pub use profile::RateProfile;
pub use replay::{Replay, REPLAY_CACHE_ROWS};

use sim_core::RngStreams;

use crate::arrivals::{ArrivalSource, PoissonUsers};
use crate::scenario::{Process, System};
use crate::trace::TraceError;

/// `ns` (an `f64`, ≥ 0) rounded to the nearest integer ns, saturating at
/// `u64::MAX` (beyond any horizon: such an instant is never scheduled).
pub(crate) fn round_ns(ns: f64) -> u64 {
    let r = ns.round();
    if r.is_nan() || r <= 0.0 {
        0
    } else if r >= u64::MAX as f64 {
        u64::MAX
    } else {
        r as u64
    }
}

/// The arrival source of `sys`'s `arrivals.process`, with its random
/// streams from `streams` (one registry row per process).
///
/// # Errors
/// [`TraceError`] if a replayed trace cannot be opened.
pub fn source(
    sys: &System,
    streams: &RngStreams,
) -> Result<Box<dyn ArrivalSource + 'static>, TraceError> {
    Ok(match &sys.process {
        Process::Poisson => Box::new(PoissonUsers::new(sys, streams)),
        Process::Gamma { cv } => Box::new(Aggregate::new(
            sys,
            streams,
            GammaRenewal::new(sys.rate, *cv, streams.stream("arrivals/gaps")),
        )?),
        Process::Profile { segments } => Box::new(Aggregate::new(
            sys,
            streams,
            RateProfile::new(segments, streams.stream("arrivals/gaps")),
        )?),
        Process::Trace(spec) => {
            let summary = sys
                .trace
                .clone()
                .expect("Scenario::resolve reads a replayed trace");
            Box::new(Aggregate::new(sys, streams, Replay::open(spec, summary)?)?)
        }
    })
}

#[cfg(test)]
mod tests;
