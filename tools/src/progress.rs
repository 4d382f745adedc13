//! Progress bars (indicatif), drawn on stderr only when it is a terminal and
//! `--quiet` is not given.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sim_core::ProgressReport;

/// Whether bars should be drawn.
pub fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// The bar of one run: simulated time out of the horizon, epochs, events/s,
/// cohort requests delivered on time so far (from the latest epoch record), ETA.
pub struct RunBar {
    bar: Option<ProgressBar>,
    horizon_s: f64,
}

impl RunBar {
    /// A bar for a run of `horizon_ns`, or an inert one if `!draw`.
    pub fn new(horizon_ns: u64, draw: bool) -> RunBar {
        let bar = draw.then(|| {
            let b = ProgressBar::with_draw_target(
                Some(horizon_ns / 1_000_000),
                ProgressDrawTarget::stderr_with_hz(10),
            );
            b.set_style(
                ProgressStyle::with_template(
                    "{bar:30} {percent:>3}% {msg} [{elapsed_precise}, ETA {eta}]",
                )
                .expect("a valid template"),
            );
            b
        });
        RunBar {
            bar,
            horizon_s: horizon_ns as f64 / 1e9,
        }
    }

    /// Shows a progress report; `epochs` and `on_time` come from the latest epoch record.
    pub fn update(&self, r: &ProgressReport, epochs: u64, on_time: u64) {
        let Some(b) = &self.bar else { return };
        let now_s = r.now.as_nanos() as f64 / 1e9;
        let wall = r.wall.as_secs_f64();
        let rate = if wall > 0.0 {
            r.processed as f64 / wall
        } else {
            0.0
        };
        b.set_position(r.now.as_nanos() / 1_000_000);
        b.set_message(format!(
            "t {now_s:.1}/{:.0} s · epoch {epochs} · {:.2} M ev/s · on time {on_time}",
            self.horizon_s,
            rate / 1e6
        ));
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// The bar of a sweep: runs done out of the total.
pub struct CountBar {
    bar: Option<ProgressBar>,
}

impl CountBar {
    /// A bar over `total` runs, or an inert one if `!draw`.
    pub fn new(total: u64, draw: bool, what: &str) -> CountBar {
        let bar = draw.then(|| {
            let b =
                ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(4));
            b.set_style(
                ProgressStyle::with_template(&format!(
                    "{{bar:30}} {{pos}}/{{len}} {what} [{{elapsed_precise}}, ETA {{eta}}] {{msg}}"
                ))
                .expect("a valid template"),
            );
            b.enable_steady_tick(Duration::from_millis(500));
            b
        });
        CountBar { bar }
    }

    /// One more done.
    pub fn inc(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
