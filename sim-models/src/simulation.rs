//! Running a scenario: [`run`] builds the base station from a scenario,
//! drives it with the `sim-core` engine up to the horizon and returns what
//! it measured ([`RunOutput`], MODEL.md §8).
//!
//! Memory: per-request state lives from arrival to delivery only; the
//! histograms have a fixed size; per-epoch records go to the caller's sink
//! ([`RunOptions::on_epoch`]) and are kept in the output only if
//! [`RunOptions::keep_epoch_records`] is set (a day at λ = 250 req/s is 57 600
//! records holding ~21 M selected ids: stream them instead).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use sim_core::{Engine, ProgressObserver, RngStreams, SimTime, StopReason};

use crate::arrivals::ArrivalSource;
use crate::base_station::{BaseStation, Hooks};
pub use crate::base_station::{EpochHook, Event, HistogramHook, InstanceHook, SimError};
use crate::channel::Channel;
use crate::intake::Intake;
use crate::metrics::{ClassOutput, RunOutput};
pub use crate::metrics::{PeriodHook, RequestHook};
use crate::scenario::{Scenario, System};
use crate::scheduler::Scheduler;

/// Callbacks and controls of one run. `RunOptions::default()` runs silently to the horizon.
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Called every epoch with its index and exactly the instance the scheduler
    /// is about to see (for `--dump-instances`).
    pub on_instance: Option<&'a mut InstanceHook<'a>>,
    /// Called at the end of every epoch with its record.
    pub on_epoch: Option<&'a mut EpochHook<'a>>,
    /// Called once per cohort request when its fate is settled (rejected,
    /// expired, dropped, delivered; pending or in flight at the end), in
    /// that order of events: the per-request log.
    pub on_request: Option<&'a mut RequestHook<'a>>,
    /// Called at the end of every epoch, after `on_epoch`, with its record
    /// and the histograms so far (e.g. to cut them into intervals of time).
    /// Epoch pipeline only (continuous serving has no epochs: see
    /// `on_period_histograms`).
    pub on_epoch_histograms: Option<&'a mut HistogramHook<'a>>,
    /// Continuous serving only (MODEL.md §13): a period `P` in ns (> 0)
    /// and a callback called at every cut `W + j·P < end` (`j ≥ 1`) with
    /// the cut instant and the histograms holding exactly what was measured
    /// at instants `≤` the cut (see docs/continuous.md for the radio
    /// downlink's and the KV blocks' bookkeeping). The epoch pipeline
    /// ignores it (it cuts at epochs, `on_epoch_histograms`).
    pub on_period_histograms: Option<(u64, &'a mut PeriodHook<'a>)>,
    /// Keep every epoch record in [`RunOutput::epoch_records`] (off by default).
    pub keep_epoch_records: bool,
    /// Progress observer (the CLI's progress bar); it may stop the run.
    pub progress: Option<&'a mut dyn ProgressObserver>,
    /// Set to `true` (e.g. on Ctrl-C) to stop the run at the next epoch, or
    /// within a few hundred events if that comes first; the run then
    /// returns its results so far with `partial = true`.
    pub stop: Option<Arc<AtomicBool>>,
    /// Epoch pipeline: draw the arrivals on a second thread, a few epochs
    /// ahead of the run ([`Intake::ahead`]); the results are the same
    /// either way. For a run alone on a machine with a core to spare (the
    /// CLI's `run`), not for runs already run side by side (a sweep).
    pub arrivals_ahead: bool,
}

/// Runs `scenario` with `scheduler` (validating the scenario first).
///
/// # Errors
/// An invalid scenario, a scheduler error, or a broken invariant (KV
/// overflow, accounting identity) — the latter are bugs, reported rather than hidden.
pub fn run(
    scenario: &Scenario,
    scheduler: &mut dyn Scheduler,
    opts: RunOptions<'_>,
) -> Result<RunOutput, SimError> {
    let sys = scenario.resolve()?;
    run_system(&scenario.name, sys, scheduler, opts)
}

/// Runs an already resolved system ([`Scenario::resolve`]).
///
/// # Errors
/// As [`run`], but for the scenario check.
pub fn run_system(
    name: &str,
    sys: System,
    scheduler: &mut dyn Scheduler,
    opts: RunOptions<'_>,
) -> Result<RunOutput, SimError> {
    let streams = RngStreams::new(sys.seed);
    let arrivals =
        crate::workload::source(&sys, &streams).map_err(|e| SimError::Arrivals(e.to_string()))?;
    let channel = Channel::new(&sys, &streams);
    run_with(name, sys, arrivals, channel, scheduler, opts)
}

/// Runs a resolved system with the given arrival source and channel (the
/// seams a test or a replay replaces).
///
/// # Errors
/// As [`run`].
pub fn run_with<'a>(
    name: &str,
    sys: System,
    arrivals: Box<dyn ArrivalSource + 'a>,
    channel: Channel,
    scheduler: &mut dyn Scheduler,
    opts: RunOptions<'_>,
) -> Result<RunOutput, SimError> {
    if sys.serving.is_some() {
        let RunOptions {
            on_request,
            on_period_histograms,
            progress,
            stop,
            ..
        } = opts;
        let hooks = crate::continuous::Hooks {
            on_request: on_request.map(|f| f as &mut RequestHook<'_>),
            on_period_histograms: on_period_histograms.map(|(p, f)| (p, f as &mut PeriodHook<'_>)),
        };
        return crate::continuous::run(name, sys, arrivals, channel, hooks, progress, stop);
    }
    let RunOptions {
        on_instance,
        on_epoch,
        on_request,
        on_epoch_histograms,
        on_period_histograms: _,
        keep_epoch_records,
        progress,
        stop,
        arrivals_ahead,
    } = opts;
    let scheduler_name = scheduler.name().to_string();
    let engine_stop = stop.clone();
    // Shorten the callbacks' trait-object lifetimes to the run's (an unsizing coercion).
    let hooks = Hooks {
        on_instance: on_instance.map(|f| f as &mut InstanceHook<'_>),
        on_epoch: on_epoch.map(|f| f as &mut EpochHook<'_>),
        on_request: on_request.map(|f| f as &mut RequestHook<'_>),
        on_epoch_histograms: on_epoch_histograms.map(|f| f as &mut HistogramHook<'_>),
        stop,
    };
    let horizon_ns = sys.horizon_ns;
    let warmup_ns = sys.warmup_ns;
    let t_c_ns = sys.t_c_ns;
    let gpu_count = sys.gpu_count;
    let class_specs: Vec<(String, f64)> = sys
        .classes
        .iter()
        .map(|c| (c.name.clone(), c.share))
        .collect();
    std::thread::scope(|scope| {
        let intake = if arrivals_ahead {
            Intake::ahead(scope, arrivals, t_c_ns, horizon_ns)
        } else {
            Intake::new(arrivals, t_c_ns, horizon_ns)
        };
        let mut model =
            BaseStation::new(sys, intake, channel, scheduler, hooks, keep_epoch_records);
        let mut engine = Engine::with_capacity(64);
        // The engine also reads the flag every few hundred events, so a long epoch stops too.
        engine.set_stop_flag(engine_stop);
        model.prime(&mut engine)?;
        let summary =
            engine.run_until_observed(&mut model, SimTime::from_nanos(horizon_ns), progress);
        if let Some(e) = model.error.take() {
            return Err(e);
        }
        let end_ns = summary.now.as_nanos();
        model.finish(end_ns);
        if let Some(m) = model.intake.failure() {
            return Err(SimError::Arrivals(m));
        }
        let m = &mut model.metrics;
        let counts = m.counts;
        if !counts.identity_holds() {
            return Err(SimError::Accounting { counts });
        }
        let window_s = end_ns.saturating_sub(warmup_ns) as f64 / 1e9;
        let per_window = |x: f64| if window_s > 0.0 { x / window_s } else { 0.0 };
        let per_epoch = |x: f64| {
            if m.measured_epochs > 0 {
                x / m.measured_epochs as f64
            } else {
                0.0
            }
        };
        let throughput_rps = per_window(counts.on_time as f64);
        let classes = class_specs
            .into_iter()
            .zip(std::mem::take(&mut m.classes))
            .map(|((name, share), c)| {
                let batch_sum = c.batch_sum;
                ClassOutput {
                    mean_batch_size: per_epoch(batch_sum as f64),
                    ..ClassOutput::from_measures(name, share, c, window_s, t_c_ns)
                }
            })
            .collect();
        let busy: u64 = model.pool.busy_ns().iter().sum();
        Ok(RunOutput {
            scenario: name.to_string(),
            scheduler: scheduler_name,
            partial: summary.reason != StopReason::Horizon || model.stopped,
            end_ns,
            horizon_ns,
            warmup_ns,
            counts,
            arrived_total: m.arrived_total,
            throughput_rps,
            throughput_per_epoch: throughput_rps * t_c_ns as f64 / 1e9,
            epochs: m.epochs,
            measured_epochs: m.measured_epochs,
            mean_batch_size: per_epoch(m.batch_sum as f64),
            kv_peak_bytes: m.kv_peak_bytes,
            gpu_busy_ns: model.pool.busy_ns().to_vec(),
            gpu_utilisation: per_window(busy as f64 / 1e9) / gpu_count as f64,
            uplink_utilisation: per_epoch(m.rho_up_sum),
            downlink_utilisation: per_epoch(m.rho_down_sum),
            radio: m.radio.summary(),
            nodes_total: m.nodes_total,
            iterations: 0,
            kv_block_utilisation: None,
            // Arrivals are events of the model taken in without the queue (crate::intake).
            events_processed: summary.counters.processed + model.intake.taken(),
            hist: std::mem::take(&mut m.hist),
            epoch_records: std::mem::take(&mut m.records),
            classes,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrivals::{Scripted, ScriptedArrival};
    use crate::feasibility::{check_batch, check_plan};
    use crate::instance::Instance;
    use crate::metrics::{Counts, EpochRecord};
    use crate::request::Attributes;
    use crate::scenario::QueuePolicy;
    use crate::scheduler::{EpochView, Job, Placement, Plan, SchedulerError, Work};
    use proptest::prelude::*;

    /// Takes candidates in ascending id order, each if the pooled batch stays feasible.
    struct GreedyById;

    impl Scheduler for GreedyById {
        fn name(&self) -> &str {
            "greedy-by-id"
        }
        fn schedule(&mut self, view: &EpochView<'_>) -> Result<Plan, SchedulerError> {
            let mut sel = Vec::new();
            for i in 0..view.instance.requests.len() {
                sel.push(i);
                if check_batch(view.instance, &sel).is_err() {
                    sel.pop();
                }
            }
            Ok(Plan::pooled(sel, Work::default()))
        }
    }

    /// Takes the first candidate that fits alone, pooled: one request per epoch.
    struct OnePerEpoch;

    impl Scheduler for OnePerEpoch {
        fn name(&self) -> &str {
            "one-per-epoch"
        }
        fn schedule(&mut self, view: &EpochView<'_>) -> Result<Plan, SchedulerError> {
            let first = (0..view.instance.requests.len())
                .find(|&i| check_batch(view.instance, &[i]).is_ok());
            Ok(Plan::pooled(first.into_iter().collect(), Work::default()))
        }
    }

    /// No batching: each free GPU, in index order, takes the first request that passes the plan check.
    struct PerGpu;

    impl Scheduler for PerGpu {
        fn name(&self) -> &str {
            "per-gpu"
        }
        fn schedule(&mut self, view: &EpochView<'_>) -> Result<Plan, SchedulerError> {
            let mut plan = Plan::default();
            let mut used = vec![false; view.instance.requests.len()];
            for g in (0..view.gpus.count).filter(|&g| view.gpus.is_free(g)) {
                for i in (0..used.len()).filter(|&i| !used[i]) {
                    plan.jobs.push(Job {
                        placement: Placement::Gpu(g as u32),
                        requests: vec![i],
                    });
                    if check_plan(view, &plan).violations() == 0 {
                        used[i] = true;
                        break;
                    }
                    plan.jobs.pop();
                }
            }
            Ok(plan)
        }
    }

    /// Proposes every candidate on one GPU that does not exist, then behaves as `GreedyById`.
    struct BadThenGreedy(u32);

    impl Scheduler for BadThenGreedy {
        fn name(&self) -> &str {
            "bad-then-greedy"
        }
        fn schedule(&mut self, view: &EpochView<'_>) -> Result<Plan, SchedulerError> {
            if self.0 > 0 && !view.instance.requests.is_empty() {
                self.0 -= 1;
                let all = (0..view.instance.requests.len()).collect();
                return Ok(Plan {
                    jobs: vec![Job {
                        placement: Placement::Gpu(999),
                        requests: all,
                    }],
                    work: Work::default(),
                });
            }
            GreedyById.schedule(view)
        }
    }

    struct Failing;

    impl Scheduler for Failing {
        fn name(&self) -> &str {
            "failing"
        }
        fn schedule(&mut self, _: &EpochView<'_>) -> Result<Plan, SchedulerError> {
            Err(SchedulerError {
                scheduler: "failing".into(),
                message: "no".into(),
            })
        }
    }

    const S: u64 = 1_000_000_000;

    /// The paper's system with a short horizon, no warm-up.
    fn paper(horizon: f64) -> System {
        let sc = Scenario {
            horizon,
            warmup: Some(0.0),
            ..Default::default()
        };
        sc.resolve().unwrap()
    }

    fn arrival(
        at_ns: u64,
        user: u32,
        prompt: u32,
        output: u32,
        latency_ns: u64,
    ) -> ScriptedArrival {
        ScriptedArrival {
            at_ns,
            user,
            attrs: Attributes {
                prompt,
                output,
                latency_ns,
                tolerance: 1.0,
                class: 0,
            },
        }
    }

    fn scripted(
        sys: System,
        sched: &mut dyn Scheduler,
        arrivals: Vec<ScriptedArrival>,
    ) -> RunOutput {
        let opts = RunOptions {
            keep_epoch_records: true,
            ..Default::default()
        };
        let source = Box::new(Scripted::new(sys.users, &arrivals));
        let channel = Channel::new(&sys, &RngStreams::new(sys.seed)).with_fixed_gain(1e-3);
        run_with("t", sys, source, channel, sched, opts).unwrap()
    }

    fn near(h: &hdrhistogram::Histogram<u64>, v: u64) -> bool {
        h.len() == 1 && h.equivalent(h.max(), v)
    }

    #[test]
    fn single_request_at_an_epoch_instant() {
        // BLOOM-3B, W8A16, 20 GPUs; one request s = 512, n = 256, τ = 2 s, arriving exactly at t_1 = 1.5 s.
        let out = scripted(
            paper(3.0),
            &mut GreedyById,
            vec![arrival(3 * S / 2, 0, 512, 256, 2 * S)],
        );
        let c = out.counts;
        assert_eq!(
            (c.arrived, c.on_time, c.late, c.expired, c.pending),
            (1, 1, 0, 0, 0)
        );
        let e1 = &out.epoch_records[1];
        assert_eq!(
            (e1.queue_len, e1.batch_size, e1.selected.as_slice()),
            (1, 1, &[0u64][..])
        );
        // t_batch = 0.75·(t^I + t^A) = 0.75·(0.093 851 494 + 0.047 119 398) s = 105 728 169 ns (MODEL.md §10).
        assert_eq!(e1.t_batch_ns, 105_728_169);
        // Delivery = t_1 + T_U + t_batch + T_D = 1.5 + 0.25 + 0.105 728 169 + 0.25 = 2.105 728 169 s;
        // latency 0.605 728 169 s, slack D − delivery = 3.5 − 2.105 728 169 = 1.394 271 831 s.
        assert!(near(&out.hist.latency, 605_728_169));
        assert!(near(&out.hist.slack, 1_394_271_831));
        assert!(near(&out.hist.waiting, 0));
        // First token: T_U + β·t^I = 0.25 + 0.75·0.093 851 494 = 0.320 388 621 s after arrival.
        assert!(near(&out.hist.first_token, 320_388_621));
        // ρU at g = 1e-3 for 512 tokens: 5.420 477e-5; ρD for 256 tokens: 2·1.081 693e-5 (channel tests).
        assert!(
            (e1.rho_up / 5.420_477e-5 - 1.0).abs() < 1e-6,
            "{}",
            e1.rho_up
        );
        assert!(
            (e1.rho_down / 2.163_386e-5 - 1.0).abs() < 1e-6,
            "{}",
            e1.rho_down
        );
        // KV peak: α_w·m1 + α_kv·4·L·d_m·(512 + 256 − 1) = 2 359 296 000 + 307 200·767 = 2 594 918 400 B.
        assert_eq!(out.kv_peak_bytes, 2_594_918_400.0);
        // Every GPU computed for t_batch.
        assert_eq!(out.gpu_busy_ns, vec![105_728_169; 20]);
        assert_eq!(out.mean_batch_size, 0.5); // epochs at 0 and 1.5 s, one request
    }

    #[test]
    fn arrival_at_t_k_scheduled_after_the_epoch_event_is_pending() {
        // User 0 arrives at 1.0 s and again exactly at t_1 = 1.5 s; the second arrival's event
        // is scheduled at 1.0 s, after epoch 1's (scheduled at t_0), yet it is pending in epoch 1.
        let out = scripted(
            paper(3.0),
            &mut GreedyById,
            vec![
                arrival(S, 0, 128, 128, 10 * S),
                arrival(3 * S / 2, 0, 128, 128, 10 * S),
            ],
        );
        assert_eq!(out.epoch_records[1].queue_len, 2);
        assert_eq!(out.epoch_records[1].selected, [0, 1]);
    }

    #[test]
    fn expiry_at_the_boundary_instant() {
        // A: arrives 0.1 s, D = 2.0 s exactly = t_1 + T_U + T_D → expired at t_1.
        // B: arrives 0.2 s, D = 2.0 s + 1 ns → pending at t_1, but no batch computes in 1 ns;
        //    carried over and expired at t_2 = 3.0 s.
        let out = scripted(
            paper(4.0),
            &mut GreedyById,
            vec![
                arrival(S / 10, 0, 128, 128, 19 * S / 10),
                arrival(S / 5, 1, 128, 128, 18 * S / 10 + 1),
            ],
        );
        let r = &out.epoch_records;
        assert_eq!((r[1].expired, r[1].queue_len, r[1].batch_size), (1, 1, 0));
        assert_eq!((r[2].expired, r[2].queue_len), (1, 0));
        assert_eq!(out.counts.expired, 2);
    }

    #[test]
    fn carry_over_across_epochs() {
        // Three requests at 0.1 s with τ = 10 s; one is started per epoch.
        let three = || {
            (0..3)
                .map(|u| arrival(S / 10, u, 256, 128, 10 * S))
                .collect::<Vec<_>>()
        };
        let out = scripted(paper(6.0), &mut OnePerEpoch, three());
        let sel: Vec<Vec<u64>> = out
            .epoch_records
            .iter()
            .map(|r| r.selected.clone())
            .collect();
        assert_eq!(sel, [vec![], vec![0], vec![1], vec![2]]);
        assert_eq!(out.counts.on_time, 3);
        // Waiting times t_k − a_i: 1.4, 2.9 and 4.4 s.
        assert_eq!(out.hist.waiting.len(), 3);
        assert!(out
            .hist
            .waiting
            .equivalent(out.hist.waiting.max(), 4_400_000_000));
        // Paper-literal variant: the two left over at t_1 are dropped and counted as expired.
        let mut sys = paper(6.0);
        sys.queue = QueuePolicy::DropUnscheduled;
        let out = scripted(sys, &mut OnePerEpoch, three());
        assert_eq!((out.counts.on_time, out.counts.expired), (1, 2));
        assert_eq!(out.epoch_records[1].dropped, 2);
    }

    #[test]
    fn single_gpu_jobs_deliver_at_their_own_finish() {
        // One request on GPU 0 at c = 1.33e12: t = 0.75·3 749 825 740 800/1.33e12 = 2.114 563 388 s,
        // so GPU 0 is busy until 1.75 + 2.114 563 388 = 3.864 563 388 s > t_2 + T_U = 3.25 s and
        // the second request (arriving at 2 s) goes to GPU 1 at t_2.
        let out = scripted(
            paper(9.0),
            &mut PerGpu,
            vec![
                arrival(S, 0, 512, 256, 10 * S),
                arrival(2 * S, 1, 512, 256, 10 * S),
            ],
        );
        assert_eq!(out.counts.on_time, 2);
        assert_eq!(out.epoch_records[1].t_batch_ns, 2_114_563_388);
        assert_eq!(&out.gpu_busy_ns[..3], &[2_114_563_388, 2_114_563_388, 0]);
        // Delivery = 1.5 + 0.25 + 2.114 563 388 + 0.25 = 4.114 563 388 s; latency from 1 s arrival: 3.114 563 388 s.
        assert!(out
            .hist
            .latency
            .equivalent(out.hist.latency.min(), 3_114_563_388));
        // KV on one GPU: 2 359 296 000 + 307 200·767 = 2 594 918 400 B.
        assert_eq!(out.kv_peak_bytes, 2_594_918_400.0);
    }

    #[test]
    fn refused_jobs_are_counted_and_their_requests_stay_pending() {
        let out = scripted(
            paper(4.0),
            &mut BadThenGreedy(1),
            vec![arrival(S / 10, 0, 128, 128, 10 * S)],
        );
        assert_eq!(out.counts.plan_violations, 1);
        assert_eq!(out.epoch_records[1].violations, 1);
        assert_eq!(out.epoch_records[2].selected, [0]);
        assert_eq!(out.counts.on_time, 1);
    }

    #[test]
    fn scheduler_errors_stop_the_run() {
        let e = run_system("t", paper(3.0), &mut Failing, RunOptions::default()).unwrap_err();
        assert!(matches!(e, SimError::Scheduler { epoch: 0, .. }), "{e}");
    }

    #[test]
    fn a_stopped_run_is_partial_and_still_balances() {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let mut on_epoch = |r: &EpochRecord| {
            if r.epoch == 9 {
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        };
        let opts = RunOptions {
            on_epoch: Some(&mut on_epoch),
            stop: Some(stop),
            ..Default::default()
        };
        let out = run_system("t", paper(60.0), &mut GreedyById, opts).unwrap();
        assert!(out.partial);
        assert_eq!(out.epochs, 10);
        assert_eq!(out.end_ns, 15 * S); // stopped at t_10 = 15 s
        assert!(out.counts.identity_holds());
    }

    fn fingerprint(out: &RunOutput) -> String {
        let q = |h: &hdrhistogram::Histogram<u64>| {
            [0.5, 0.9, 0.99, 1.0]
                .map(|p| h.value_at_quantile(p))
                .to_vec()
        };
        let epochs: Vec<_> = out
            .epoch_records
            .iter()
            .map(|r| EpochRecord {
                solve_ns: 0,
                ..r.clone()
            })
            .collect();
        format!(
            "{:?} {} {} {:?} {:?} {:?} {:?} {:?} {:?}",
            out.counts,
            out.throughput_rps,
            out.kv_peak_bytes,
            out.gpu_busy_ns,
            q(&out.hist.latency),
            q(&out.hist.first_token),
            q(&out.hist.slack),
            out.hist.batch_size.len(),
            epochs
        )
    }

    #[test]
    fn same_seed_same_results() {
        let mut sc = Scenario {
            horizon: 30.0,
            ..Default::default()
        };
        let go = |sc: &Scenario| {
            let opts = RunOptions {
                keep_epoch_records: true,
                ..Default::default()
            };
            run(sc, &mut GreedyById, opts).unwrap()
        };
        let a = go(&sc);
        assert!(a.counts.on_time > 0 && a.counts.rejected_accuracy > 0);
        assert_eq!(fingerprint(&a), fingerprint(&go(&sc)));
        sc.seed = 2;
        assert_ne!(fingerprint(&a), fingerprint(&go(&sc)));
    }

    #[test]
    fn dumped_instances_reproduce_the_choice() {
        let mut sc = Scenario {
            horizon: 15.0,
            ..Default::default()
        };
        sc.arrivals.rate = 200.0;
        let mut dumped = Vec::new();
        let mut hook = |k: u64, inst: &Instance| dumped.push((k, inst.to_ron_string()));
        let opts = RunOptions {
            on_instance: Some(&mut hook),
            keep_epoch_records: true,
            ..Default::default()
        };
        let out = run(&sc, &mut GreedyById, opts).unwrap();
        assert_eq!(dumped.len(), out.epoch_records.len());
        let mut nonempty = 0;
        for ((k, text), rec) in dumped.iter().zip(&out.epoch_records) {
            assert_eq!(*k, rec.epoch);
            let inst = Instance::from_ron_str(text).unwrap();
            let gpus = vec![0u64; 20];
            let single = sc.resolve().unwrap().single_gpu_cost();
            let view = EpochView {
                epoch: *k,
                t_k_ns: rec.t_k_ns,
                instance: &inst,
                gpus: crate::scheduler::GpuView {
                    count: 20,
                    single_gpu_cost: &*single,
                    memory_per_gpu: 32e9,
                    busy_until_ns: &gpus,
                    compute_start_ns: 0,
                },
            };
            let plan = GreedyById.schedule(&view).unwrap();
            let ids: Vec<u64> = plan
                .selected()
                .iter()
                .map(|&i| inst.requests[i].id)
                .collect();
            assert_eq!(ids, rec.selected, "epoch {k}");
            nonempty += !ids.is_empty() as u32;
        }
        assert!(nonempty > 5);
    }

    fn random_scenario() -> impl Strategy<Value = (Scenario, bool)> {
        (
            (
                0.0f64..300.0,
                1.0f64..12.0,
                1u32..8,
                0.3f64..2.0,
                0.01f64..0.3,
                0.01f64..0.3,
            ),
            (
                0.2f64..3.0,
                0.0f64..4.0,
                1u32..4,
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
                any::<u64>(),
            ),
        )
            .prop_map(
                |(
                    (rate, horizon, users, t_c, t_u, t_d),
                    (lat_lo, lat_extra, gpus, drop, acc, nobatch, seed),
                )| {
                    let mut sc = Scenario {
                        seed,
                        horizon,
                        ..Default::default()
                    };
                    sc.arrivals.rate = rate;
                    sc.users.count = users;
                    sc.slots.t_c = t_c;
                    sc.slots.t_u = t_u.min(t_c);
                    sc.slots.t_d = t_d.min(t_c);
                    sc.requests.latency = crate::scenario::Dist::Uniform {
                        lo: lat_lo,
                        hi: lat_lo + lat_extra,
                    };
                    sc.gpus.count = gpus;
                    sc.queue = if drop {
                        QueuePolicy::DropUnscheduled
                    } else {
                        QueuePolicy::CarryOver
                    };
                    sc.accuracy_admission = acc;
                    (sc, nobatch)
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 48,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0xacc0_0001),
            ..ProptestConfig::default()
        })]

        /// The accounting identity of MODEL.md §8 holds on random scenarios (run() returns an
        /// error otherwise), and the independent tallies agree with the counts.
        #[test]
        fn accounting_identity_on_random_scenarios((sc, nobatch) in random_scenario()) {
            let mut started = 0u64;
            let mut kv_ok = true;
            let memory = if nobatch { 32e9 } else { sc.gpus.count as f64 * 32e9 };
            let mut on_epoch = |r: &EpochRecord| {
                started += r.batch_size;
                kv_ok &= r.kv_peak_bytes <= memory;
            };
            let opts = RunOptions { on_epoch: Some(&mut on_epoch), ..Default::default() };
            let out = if nobatch { run(&sc, &mut PerGpu, opts) } else { run(&sc, &mut GreedyById, opts) };
            let out = out.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let c = out.counts;
            prop_assert!(c.identity_holds());
            prop_assert!(!out.partial);
            prop_assert!(kv_ok);
            prop_assert_eq!(c.plan_violations, 0);
            // Every cohort request delivered or in flight was started in some epoch.
            prop_assert!(c.on_time + c.late + c.in_flight <= started);
            prop_assert_eq!(out.hist.latency.len(), c.on_time + c.late);
            prop_assert_eq!(out.hist.slack.len(), c.on_time);
            prop_assert_eq!(out.hist.lateness.len(), c.late);
            if !sc.accuracy_admission {
                prop_assert_eq!(c.rejected_accuracy, 0);
            }
            prop_assert!(out.gpu_utilisation <= 1.0 + 1e-12);
        }

        /// With two service classes (MODEL.md §12) the classes add up to the total:
        /// every count, every per-request histogram's count, throughput and mean
        /// batch size; and the per-request hook sees each cohort request once,
        /// with the outcome the counts give it.
        #[test]
        fn classes_add_up_on_random_scenarios(
            ((mut sc, nobatch), share, tight) in (random_scenario(), 0.05f64..0.95, 0.2f64..1.0)
        ) {
            use crate::metrics::{Outcome, RequestRecord};
            use crate::scenario::{Dist, ServiceClass};
            sc.requests.classes = vec![
                ServiceClass {
                    latency: Some(Dist::Fixed(tight)),
                    output_levels: Some(Dist::Fixed(128.0)),
                    ..ServiceClass::new("tight", share)
                },
                ServiceClass::new("loose", 1.0 - share),
            ];
            let mut seen = [[0u64; Outcome::ALL.len()]; 2];
            let mut ids = Vec::new();
            let mut on_request = |r: &RequestRecord| {
                let k = Outcome::ALL.iter().position(|o| *o == r.outcome).unwrap();
                seen[r.class as usize][k] += 1;
                ids.push(r.id);
            };
            let opts = RunOptions { on_request: Some(&mut on_request), ..Default::default() };
            let out = if nobatch { run(&sc, &mut PerGpu, opts) } else { run(&sc, &mut GreedyById, opts) };
            let out = out.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(out.classes.len(), 2);
            let mut sum = Counts::default();
            let (mut lat, mut wait, mut first, mut rps, mut batch) = (0, 0, 0, 0.0, 0.0);
            for (k, c) in out.classes.iter().enumerate() {
                let n = c.counts;
                prop_assert!(n.identity_holds());
                prop_assert_eq!(n.plan_violations, 0);
                sum.arrived += n.arrived;
                sum.rejected_accuracy += n.rejected_accuracy;
                sum.expired += n.expired;
                sum.on_time += n.on_time;
                sum.late += n.late;
                sum.pending += n.pending;
                sum.in_flight += n.in_flight;
                lat += c.hist.latency.len();
                wait += c.hist.waiting.len();
                first += c.hist.first_token.len();
                rps += c.throughput_rps;
                batch += c.mean_batch_size;
                // The hook's outcomes, in Outcome::ALL order; `dropped` counts as expired.
                let s = seen[k];
                prop_assert_eq!(
                    [s[0], s[1] + s[2], s[3], s[4], s[5], s[6]],
                    [n.rejected_accuracy, n.expired, n.on_time, n.late, n.pending, n.in_flight]
                );
            }
            sum.plan_violations = out.counts.plan_violations;
            prop_assert_eq!(sum, out.counts);
            prop_assert_eq!(lat, out.hist.latency.len());
            prop_assert_eq!(wait, out.hist.waiting.len());
            prop_assert_eq!(first, out.hist.first_token.len());
            prop_assert!((rps - out.throughput_rps).abs() <= 1e-9 * out.throughput_rps.max(1.0));
            prop_assert!((batch - out.mean_batch_size).abs() <= 1e-9 * out.mean_batch_size.max(1.0));
            let n = ids.len();
            ids.sort_unstable();
            ids.dedup();
            prop_assert_eq!(ids.len(), n);
            prop_assert_eq!(n as u64, out.counts.arrived);
        }
    }
}
