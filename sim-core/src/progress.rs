//! Progress reporting: an observer the caller supplies (the CLI draws a
//! progress bar with it; `sim-core` does not depend on `indicatif`).
//!
//! The engine checks the wall clock only every [`CHECK_EVERY_EVENTS`]
//! events and calls the observer at most once per reporting interval
//! (default [`DEFAULT_INTERVAL`], 100 ms of wall time), plus once when the
//! run ends. The observer may ask the run to stop (Ctrl-C): the engine then
//! stops cleanly between two events.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use crate::time::SimTime;

/// How many events the engine processes between two looks at the wall
/// clock and the stop flag (a power of two). A look costs tens of ns; with
/// arrivals taken in by the epoch pipeline's intake, a run of the paper's
/// setting has about 4 engine events per epoch, so this is every ≈ 64
/// epochs (4 096, before the intake, was ≈ 1 300).
pub const CHECK_EVERY_EVENTS: u64 = 256;

/// Default least wall time between two progress reports: 100 ms.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(100);

/// A snapshot of a run in progress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProgressReport {
    /// Simulated time reached (the instant of the last event run, or the
    /// horizon once reached).
    pub now: SimTime,
    /// The horizon of this run, if it has one (for a percentage).
    pub horizon: Option<SimTime>,
    /// Events processed by the engine so far (all runs), count.
    pub processed: u64,
    /// Events pending in the queue, count.
    pub pending: usize,
    /// Wall time since this run started.
    pub wall: Duration,
    /// `true` for the single final report of the run.
    pub finished: bool,
}

/// Receives progress reports. Return [`ControlFlow::Break`] to stop the run
/// between two events (ignored on the final report).
///
/// Any `FnMut(&ProgressReport) -> ControlFlow<()>` is an observer.
pub trait ProgressObserver {
    /// Called with the run's progress, at a bounded rate.
    fn report(&mut self, report: &ProgressReport) -> ControlFlow<()>;

    /// Whether this observer wants reports at all; the engine does not read
    /// the wall clock for one that returns `false`.
    fn wants_reports(&self) -> bool {
        true
    }
}

impl<F: FnMut(&ProgressReport) -> ControlFlow<()>> ProgressObserver for F {
    fn report(&mut self, report: &ProgressReport) -> ControlFlow<()> {
        self(report)
    }
}

/// The observer that ignores progress and never stops a run.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl ProgressObserver for NoProgress {
    fn report(&mut self, _report: &ProgressReport) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }

    fn wants_reports(&self) -> bool {
        false
    }
}

/// Rate limiter: decides, when asked every [`CHECK_EVERY_EVENTS`] events,
/// whether a report is due.
#[derive(Debug)]
pub(crate) struct Throttle {
    started: Instant,
    last_report: Instant,
    interval: Duration,
}

impl Throttle {
    pub(crate) fn new(interval: Duration) -> Throttle {
        let now = Instant::now();
        Throttle {
            started: now,
            last_report: now,
            interval,
        }
    }

    /// Wall time since the run started.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// `Some(elapsed)` if at least one interval has passed since the last
    /// report (and marks a report as made), else `None`.
    pub(crate) fn due(&mut self) -> Option<Duration> {
        let now = Instant::now();
        if now.duration_since(self.last_report) >= self.interval {
            self.last_report = now;
            Some(now.duration_since(self.started))
        } else {
            None
        }
    }
}
