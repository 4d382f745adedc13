//! Whole runs under the link-budget channel (MODEL.md §14; docs/radio.md):
//! the dumped `ρU` against the link budget, users beyond coverage, and
//! continuous serving over it.

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
    let mut on_request = |r: &RequestRecord| records.push(*r);
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
    let (out, instances, _) = run_dumped(&s, "dftsp");
    let t_u = sys.t_u_ns as f64 / 1e9;
    let mut checked = 0;
    for (k, inst) in &instances {
        // Every user at 1000 m, no fading: every user, every block has this SE.
        for u in 0..sys.users as usize {
            assert_eq!(lb.se(u, *k).up, se);
        }
        for c in &inst.requests {
            let expected =
                (c.prompt as f64 * sys.token_bits as f64) / (t_u * sys.bandwidth_up * se);
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
        &[
            "channel.model=LinkBudget(placement: Distances([100.0, 1000.0]), los: Nlos, \
           shadowing: false, fading: None, spectral: Cqi())",
        ],
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
                matches!(
                    r.outcome,
                    Outcome::Expired
                        | Outcome::Dropped
                        | Outcome::Pending
                        | Outcome::RejectedAccuracy
                ),
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

/// The paper's continuous scenario (scenarios/continuous/paper.ron) at a
/// light load (5 req/s: the paper's 100 req/s is past its compute capacity,
/// nothing is on time) for `horizon` s, with `channel.model = model`.
fn continuous(horizon: f64, model: &str) -> Scenario {
    let mut s = Scenario::from_ron_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scenarios/continuous/paper.ron"
        ))
        .unwrap(),
    )
    .unwrap();
    s.set("horizon", &horizon.to_string()).unwrap();
    s.set("arrivals.rate", "5").unwrap();
    s.apply_assignment(&format!("channel.model={model}"))
        .unwrap();
    s
}

fn run_plain(s: &Scenario) -> RunOutput {
    let info = s.system_info().unwrap();
    let mut sched = sim_schedulers::build(&s.scheduler, &info).unwrap();
    run(s, sched.as_mut(), RunOptions::default()).unwrap()
}

/// Every user at 1000 m NLOS under the CQI table: uplink SE 0 (−25.7 dB < −9.53 dB).
const ALL_FAR: &str = "LinkBudget(placement: Distances([1000.0]), los: Nlos, shadowing: false, \
                       fading: None, spectral: Cqi())";

#[test]
fn nobody_in_coverage_nobody_scheduled_and_the_run_ends() {
    // Epochs: every instance holds only infinite ρU, nothing starts, every
    // pending user is counted as without a rate.
    let s = scenario(9.0, &[&format!("channel.model={ALL_FAR}")]);
    for name in ["dftsp", "exact", "greedy"] {
        let (out, instances, records) = run_dumped(&s, name);
        assert!(!out.partial && out.end_ns == out.horizon_ns, "{name}");
        assert!(instances.iter().any(|(_, i)| !i.requests.is_empty()));
        for (_, inst) in &instances {
            assert!(inst.requests.iter().all(|c| c.rho_up.is_infinite()));
        }
        assert!(records.iter().all(|r| r.epoch.is_none()), "{name}");
        assert_eq!(
            out.counts.on_time + out.counts.late + out.counts.in_flight,
            0
        );
        assert!(out.counts.identity_holds(), "{name}: {:?}", out.counts);
        assert_eq!(out.radio.se_up, None);
        for r in &out.epoch_records {
            assert_eq!((r.batch_size, r.se_up_mean), (0, None));
            // Users with a pending request ≤ U; here every pending request's user is blocked.
            assert!(r.no_rate_users <= u64::from(s.users.count));
            assert_eq!(r.no_rate_users == 0, r.queue_len == 0, "epoch {}", r.epoch);
        }
        assert!(out.radio.no_rate > 0);
    }
    // Continuous: every upload starts stalled and stays so; the run ends at its horizon.
    let out = run_plain(&continuous(20.0, ALL_FAR));
    assert!(!out.partial && out.end_ns == out.horizon_ns);
    let c = out.counts;
    assert!(c.arrived > 50, "{c:?}");
    assert_eq!(c.on_time + c.late + c.in_flight + c.expired, 0, "{c:?}");
    assert_eq!(c.pending, c.arrived - c.rejected_accuracy, "{c:?}");
    assert_eq!(out.radio.no_rate, c.pending);
    assert_eq!((out.iterations, &out.radio.se_up), (0, &None));
    assert_eq!(out.uplink_utilisation, 0.0, "stalled uploads use no band");
}

#[test]
fn continuous_serving_serves_only_the_covered_users() {
    // Users alternately at 100 m and 1000 m, NLOS, no shadowing or fading,
    // CQI table: each user's SE is one number for the whole run, and a far
    // user's uplink has none (−25.7 dB, see above), so only the near users'
    // SEs may appear among the served requests'.
    let model = "LinkBudget(placement: Distances([100.0, 1000.0]), los: Nlos, \
                 shadowing: false, fading: None, spectral: Cqi())";
    let s = continuous(30.0, model);
    let sys = s.resolve().unwrap();
    let lb = sys.link_budget(&RngStreams::new(sys.seed)).unwrap();
    let (near, far) = (lb.se(0, 0), lb.se(1, 0));
    assert_eq!(far.up, 0.0);
    assert!(near.up > 0.0 && far.down > 0.0 && far.down != near.down);
    let out = run_plain(&s);
    let c = out.counts;
    assert!(c.on_time > 10, "{c:?}");
    assert!(c.identity_holds(), "{c:?}");
    let (up, down) = (out.radio.se_up.unwrap(), out.radio.se_down.unwrap());
    // Every served upload and download is a near user's (a far user's
    // downlink would show `far.down`).
    // (The mean is exact; the percentiles are HdrHistogram's, within 10⁻³ above.)
    let within = |x: f64, v: f64| x >= v && x <= v * (1.0 + 1e-3);
    assert_eq!((up.mean, down.mean), (near.up, near.down));
    assert!(
        within(up.p5_hdr, near.up) && within(up.p95_hdr, near.up),
        "{up:?}"
    );
    assert!(
        within(down.p5_hdr, near.down) && within(down.p95_hdr, near.down),
        "{down:?}"
    );
    // The far users' uploads wait to the end: pending, counted as without a rate.
    assert!(out.radio.no_rate > 10);
    assert!(c.pending >= out.radio.no_rate, "{c:?}");
    assert!(out.uplink_utilisation > 0.0 && out.uplink_utilisation < 1.0);
}

#[test]
fn continuous_uploads_without_a_rate_wait_for_one() {
    // NLOS users at 350 m with Rayleigh fading per block (T_C = 1.5 s):
    // PL ≈ 13.54 + 39.08·log10(350.8) + 20·log10(3.5) = 124.0 dB, so the mean
    // uplink SNR is 20 − 124.0 + 101.0 − 5 ≈ −8 dB, about 1.4 dB above CQI 1's
    // −9.53 dB: a block has no rate with probability 1 − e^(−10^(−0.14)) ≈ 0.5.
    let model = "LinkBudget(placement: Distances([350.0]), los: Nlos, shadowing: false, \
                 fading: Rayleigh, spectral: Cqi())";
    let out = run_plain(&continuous(60.0, model));
    let c = out.counts;
    assert!(c.identity_holds(), "{c:?}");
    let admitted = c.arrived - c.rejected_accuracy;
    let up = out.radio.se_up.unwrap();
    assert!(up.p5_hdr > 0.0, "a served upload had a rate when it ended");
    // Uploads that ended + uploads without a rate > admitted: some stalled
    // uploads got a rate in a later block and were served.
    assert!(out.radio.no_rate > 10, "{}", out.radio.no_rate);
    assert!(up.count + out.radio.no_rate > admitted, "{up:?} {c:?}");
    assert!(c.on_time > 0, "{c:?}");
}
