//! Whole runs under the link-budget channel (MODEL.md §14; docs/radio.md):
//! the dumped `ρU` against the link budget, users beyond coverage, and
//! continuous serving over it.

use std::collections::HashMap;

use sim_core::RngStreams;
use sim_models::instance::Instance;
use sim_models::metrics::{Outcome, RequestRecord, RunOutput};
use sim_models::scenario::Scenario;
use sim_models::simulation::{run, RunOptions};

use crate::common::scenario;

/// UMa at 3.5 GHz, NLOS forced, no shadowing, no fading: a deterministic link.
const FIXED: &str = "channel.model=LinkBudget(placement: Distances([1000.0]), los: Nlos, \
                     shadowing: false, fading: None)";

/// Runs `s` with scheduler `name`, returning the output, every dumped
/// instance (epoch, instance) and every request record.
fn run_dumped(s: &Scenario, name: &str) -> (RunOutput, Vec<(u64, Instance)>, Vec<RequestRecord>) {
    let mut s = s.clone();
    s.set("scheduler.name", name).unwrap();
    let info = s.system_info().unwrap();
    let mut sched = sim_schedulers::build(&s.scheduler, &info).unwrap();
    let mut instances = Vec::new();
    let mut records = Vec::new();
    let mut on_instance = |k: u64, inst: &Instance| instances.push((k, inst.clone()));
    let mut on_request = |r: &RequestRecord| records.push(r.clone());
    let opts = RunOptions {
        on_instance: Some(&mut on_instance),
        on_request: Some(&mut on_request),
        keep_epoch_records: true,
        ..RunOptions::default()
    };
    let out = run(&s, sched.as_mut(), opts).unwrap();
    (out, instances, records)
}

#[test]
fn a_deterministic_link_gives_rho_up_to_the_last_digit() {
    let s = scenario(9.0, &[FIXED]);
    let sys = s.resolve().unwrap();
    let lb = sys.link_budget(&RngStreams::new(sys.seed)).unwrap();
    // Hand calculation (paper powers: p^U = 20 dBm): PL = 141.666 046 dB at
    // 1000 m NLOS (radio/tests.rs), N0·B = −100.989 700 dBm, NF_BS = 5 dB:
    // SNR^U = 20 − 141.666 046 + 100.989 700 − 5 = −25.676 346 dB = 0.002 706 234;
    // SE^U = log2(1.002 706 234) = 0.003 898 997 (Shannon, Γ = 0 dB).
    let se = lb.se(0, 0).up;
    assert!((se / 0.003_898_997 - 1.0).abs() < 1e-6, "{se}");
    let (out, instances, records) = run_dumped(&s, "dftsp");
    let user: HashMap<u64, u32> = records.iter().map(|r| (r.id, r.user)).collect();
    let mut checked = 0;
    for (k, inst) in &instances {
        for c in &inst.requests {
            let u = user[&c.id];
            // No fading: every user, every block has the same SE.
            assert_eq!(lb.se(u as usize, *k).up, se);
            let t_u = sys.t_u_ns as f64 / 1e9;
            let expected = (c.prompt as f64 * sys.token_bits as f64) / (t_u * sys.bandwidth_up * se);
            assert_eq!(c.rho_up, expected, "request {} epoch {k}", c.id);
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
    assert!(out.counts.identity_holds());
}

#[test]
fn users_beyond_coverage_are_never_scheduled() {
    // Even users at 100 m, odd ones at 1000 m. Under the CQI table the
    // 1000 m uplink (−25.7 dB, see above) is below CQI 1 (−9.53 dB): SE 0.
    let s = scenario(
        12.0,
        &["channel.model=LinkBudget(placement: Distances([100.0, 1000.0]), los: Nlos, \
           shadowing: false, fading: None, spectral: Cqi())"],
    );
    let sys = s.resolve().unwrap();
    let lb = sys.link_budget(&RngStreams::new(sys.seed)).unwrap();
    assert_eq!(lb.se(1, 0).up, 0.0);
    assert!(lb.se(0, 0).up > 0.0);
    for name in ["dftsp", "exact", "greedy", "tree-search", "nobatch"] {
        let (out, instances, records) = run_dumped(&s, name);
        let far: Vec<&RequestRecord> = records.iter().filter(|r| r.user % 2 == 1).collect();
        assert!(!far.is_empty());
        for r in &far {
            assert_eq!(r.epoch, None, "{name}: far request {} scheduled", r.id);
            assert!(
                matches!(r.outcome, Outcome::Expired | Outcome::Dropped | Outcome::Pending),
                "{name}: {:?}",
                r.outcome
            );
        }
        // Their ρU is infinite in every instance they appear in.
        let far_ids: std::collections::HashSet<u64> = far.iter().map(|r| r.id).collect();
        for (_, inst) in &instances {
            for c in inst.requests.iter().filter(|c| far_ids.contains(&c.id)) {
                assert!(c.rho_up.is_infinite(), "{name}");
            }
        }
        assert!(out.counts.on_time > 0, "{name}: the near users are served");
        assert!(out.counts.identity_holds(), "{name}: {:?}", out.counts);
        assert_eq!(out.counts.arrived, records.len() as u64);
    }
}

#[test]
fn continuous_serving_over_a_link_budget_conserves_requests() {
    let mut s = Scenario::from_ron_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scenarios/continuous/paper.ron"
        ))
        .unwrap(),
    )
    .unwrap();
    s.set("horizon", "20").unwrap();
    // Users at 100 m and at 1000 m under the CQI table (the far uplinks at SE 0:
    // their uploads wait for a block that never comes, and expire), with fading.
    s.apply_assignment(
        "channel.model=LinkBudget(placement: Distances([100.0, 1000.0]), spectral: Cqi())",
    )
    .unwrap();
    let info = s.system_info().unwrap();
    let mut sched = sim_schedulers::build(&s.scheduler, &info).unwrap();
    let out = run(&s, sched.as_mut(), RunOptions::default()).unwrap();
    assert!(out.counts.on_time > 0, "{:?}", out.counts);
    assert!(out.counts.identity_holds(), "{:?}", out.counts);
}
