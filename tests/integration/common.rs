//! Helpers shared by the integration tests.

use sim_models::metrics::RunOutput;
use sim_models::scenario::Scenario;
use sim_models::simulation::{run, RunOptions};

/// The paper's default scenario with a short horizon and the given overrides.
pub fn scenario(horizon_s: f64, sets: &[&str]) -> Scenario {
    let mut s = Scenario::default_paper();
    s.set("horizon", &horizon_s.to_string()).unwrap();
    for a in sets {
        s.apply_assignment(a).unwrap();
    }
    s.validate().unwrap();
    s
}

/// Runs `s` with its own scheduler, keeping the epoch records.
pub fn run_kept(s: &Scenario) -> RunOutput {
    let info = s.system_info().unwrap();
    let mut sched = sim_schedulers::build(&s.scheduler, &info).unwrap();
    let opts = RunOptions {
        keep_epoch_records: true,
        ..RunOptions::default()
    };
    run(s, sched.as_mut(), opts).unwrap()
}

/// Runs `s` with the scheduler named `name` (other options as in `s`).
pub fn run_with(s: &Scenario, name: &str) -> RunOutput {
    let mut s = s.clone();
    s.set("scheduler.name", name).unwrap();
    run_kept(&s)
}
