//! `sim-core`: the generic discrete-event engine of edgesim.
//!
//! # What it owns
//!
//! The layers, bottom up:
//!
//! - [`time`] — simulated time as integer nanoseconds ([`SimTime`],
//!   [`SimDuration`]); seconds given as `f64` are rounded once to the
//!   nearest ns, and overflow, negative or non-finite values are errors.
//! - [`queue`] — the pending events, a binary heap ordered by
//!   `(time, scheduling order)` with lazy cancellation by [`EventKey`].
//! - [`engine`] — the loop: a [`Model`] handles its own typed events and
//!   schedules or cancels others through a [`Context`]; runs stop at a
//!   horizon (events at `t ≤ horizon` run), when the queue is empty, after a
//!   number of events, or when asked; [`Counters`] count what happened.
//! - [`rng`] — one ChaCha12 random stream per name, derived from the run's
//!   master seed by a stable function ([`RngStreams`]).
//! - [`progress`] — the observer through which a caller (the CLI's
//!   progress bar, Ctrl-C) watches and stops a run.
//! - [`hold`] — the HOLD benchmark: the engine against a bare heap.
//!
//! # What it does not own
//!
//! Nothing here knows about LLMs, GPUs, radios, requests or schedulers
//! (those are `sim-models` and `sim-schedulers`), nor about terminals,
//! files or progress bars (the `tools` CLI). `sim-core` depends on no crate
//! of this workspace.
//!
//! # Example
//!
//! ```
//! use sim_core::{Context, Engine, Model, SimDuration, SimTime};
//!
//! /// Ticks every 250 ms.
//! struct Clock { ticks: u32 }
//!
//! impl Model for Clock {
//!     type Event = ();
//!     fn handle(&mut self, _now: SimTime, _ev: (), ctx: &mut Context<'_, ()>) {
//!         self.ticks += 1;
//!         ctx.schedule_after(SimDuration::from_millis(250), ()).unwrap();
//!     }
//! }
//!
//! let mut engine = Engine::new();
//! engine.schedule_at(SimTime::ZERO, ()).unwrap();
//! let mut clock = Clock { ticks: 0 };
//! let summary = engine.run_until(&mut clock, SimTime::from_secs_f64(1.0).unwrap());
//! // Ticks at 0, 0.25, 0.5, 0.75 and 1.0 s (the horizon is inclusive).
//! assert_eq!(clock.ticks, 5);
//! // The tick at 1.25 s is left pending.
//! assert_eq!(summary.counters.pending, 1);
//! ```

#![warn(missing_docs)]
#![deny(missing_docs)]
#![deny(clippy::missing_errors_doc)]

pub mod counter;
pub mod engine;
pub mod hold;
pub mod progress;
pub mod queue;
pub mod rng;
pub mod time;

pub use counter::{CounterRng, CounterStreams};
pub use engine::{Context, Counters, Engine, Limits, Model, RunSummary, StopReason};
pub use progress::{NoProgress, ProgressObserver, ProgressReport};
pub use queue::{EventKey, EventQueue, ScheduleError, SeqHasher};
pub use rng::{RngStreams, StreamRng};
pub use time::{SimDuration, SimTime, TimeError};
