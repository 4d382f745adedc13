//! How big a run is, before running it: epochs, expected arrivals and
//! events, and warnings about runs that are valid but likely a mistake.

use super::error::ScenarioError;
use super::schema::{Arrivals, Process, Scenario};
use super::system::System;

/// Expected events above which [`RunSize::warnings`] calls a run large.
pub const LARGE_RUN_EVENTS: f64 = 1e8;

/// The size of one run of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSize {
    /// Epochs, `⌈H/T_C⌉`.
    pub epochs: u64,
    /// Expected arrivals, `λ·H`.
    pub expected_arrivals: f64,
    /// Expected arrivals after the warm-up, `λ·(H − W)` (the measured cohort).
    pub expected_counted: f64,
    /// An upper estimate of the engine's events: one per arrival and per
    /// epoch, and two (compute done, delivered) per job, with at most one
    /// job per request and `G` jobs per epoch.
    pub expected_events: f64,
    /// Valid, but likely not what was meant (one sentence each).
    pub warnings: Vec<String>,
}

impl System {
    /// The run's size and warnings.
    pub fn size(&self) -> RunSize {
        let epochs = self.epochs();
        let rate = match self.process {
            Process::Poisson => self.rate_per_user * self.users as f64,
            _ => self.arrival_rate,
        };
        let expected_arrivals = rate * self.horizon_ns as f64 / 1e9;
        let expected_counted = rate * (self.horizon_ns - self.warmup_ns) as f64 / 1e9;
        let jobs = expected_arrivals.min(epochs as f64 * self.gpu_count as f64);
        let expected_events = expected_arrivals + epochs as f64 + 2.0 * jobs;
        let mut warnings = Vec::new();
        if expected_events > LARGE_RUN_EVENTS {
            warnings.push(format!(
                "a large run: about {expected_events:.1e} events ({expected_arrivals:.1e} arrivals, {epochs} epochs)"
            ));
        }
        if matches!(self.process, Process::Profile { .. } | Process::Trace(_))
            && self.rate != Arrivals::default().rate
        {
            warnings.push(format!(
                "arrivals.rate = {} is not read: the process sets its own rates",
                self.rate
            ));
        }
        if let Some(t) = self.trace.as_ref().filter(|t| t.skipped > 0) {
            warnings.push(format!(
                "{} malformed trace rows skipped (skip_malformed)",
                t.skipped
            ));
        }
        if rate == 0.0 {
            warnings.push(match self.process {
                Process::Poisson | Process::Gamma { .. } => {
                    "no request arrives: arrivals.rate is 0".into()
                }
                _ => "no request arrives: the process's mean rate is 0".into(),
            });
        } else if expected_counted < 1.0 {
            warnings.push(format!(
                "fewer than one request is expected after the warm-up (λ·(H − W) = {expected_counted:.2})"
            ));
        }
        // A request is delivered no sooner than T_U + (compute > 0) + T_D after
        // the epoch that schedules it, which is at or after its arrival.
        // (Epoch pipeline only: continuous serving has no slots, §13.)
        let tau_max_ns = (self.latency.max_value() * 1e9).round();
        let floor_ns = self.t_u_ns + self.t_d_ns;
        if self.serving.is_none() && tau_max_ns <= floor_ns as f64 {
            warnings.push(format!(
                "no request can be on time: every latency τ ≤ T_U + T_D = {} s",
                floor_ns as f64 / 1e9
            ));
        }
        RunSize {
            epochs,
            expected_arrivals,
            expected_counted,
            expected_events,
            warnings,
        }
    }
}

impl Scenario {
    /// The size of one run ([`System::size`]), after the range checks.
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] naming the first field out of range.
    pub fn size(&self) -> Result<RunSize, ScenarioError> {
        Ok(self.resolve()?.size())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paper_setting() {
        let z = Scenario::default().size().unwrap();
        assert_eq!(z.epochs, 400); // 600 s / 1.5 s
        assert_eq!(z.expected_arrivals, 60_000.0); // 100 /s · 600 s
        assert!((z.expected_counted - 54_000.0).abs() < 1e-6); // 100 /s · 540 s
                                                               // 60 000 + 400 + 2·min(60 000, 400·20 = 8 000) = 76 400
        assert!((z.expected_events - 76_400.0).abs() < 1e-6);
        assert!(z.warnings.is_empty(), "{:?}", z.warnings);
    }

    #[test]
    fn warnings() {
        let mut s = Scenario::default();
        // τ = 0.5 s = T_U + T_D: never on time; τ = 0.500000001 s may be.
        s.set("requests.latency", "Fixed(0.5)").unwrap();
        let w = s.size().unwrap().warnings;
        assert!(w.iter().any(|w| w.contains("on time")), "{w:?}");
        s.set("requests.latency", "Fixed(0.500000001)").unwrap();
        assert!(s.size().unwrap().warnings.is_empty());
        s.set("arrivals.rate", "0").unwrap();
        assert!(s.size().unwrap().warnings[0].contains("rate is 0"));
        // 1e-3 /s · 540 s = 0.54 expected counted arrivals.
        s.set("arrivals.rate", "1e-3").unwrap();
        assert!(s.size().unwrap().warnings[0].contains("fewer than one"));
        // 1e6 s at 200 /s: 2e8 arrivals, above 1e8 events.
        s.set("arrivals.rate", "200").unwrap();
        s.set("horizon", "1e6").unwrap();
        assert!(s.size().unwrap().warnings[0].contains("large run"));
    }
}
