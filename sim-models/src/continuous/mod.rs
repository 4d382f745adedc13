//! Continuous serving (`serving: Continuous`, MODEL.md §13; docs/continuous.md):
//! no epochs; every GPU instance runs iteration after iteration as vLLM does.
//!
//! The concepts, one file each, from the bottom:
//! - [`fluid`]: a radio link as a processor-sharing fluid with block fading;
//! - [`kv_blocks`]: an instance's paged KV cache (block counts);
//! - [`router`]: least outstanding requests, ties to the lowest index;
//! - [`instance`]: one instance of `T` GPUs: its requests, running and
//!   waiting, and its blocks;
//! - [`scheduler`]: the iteration scheduler with vLLM v1's semantics;
//! - `station`: the `sim-core` model tying them together, one event per
//!   iteration (not per token), the uplink's next completion only, and a
//!   downlink advanced lazily.
//!
//! [`run`] is the entry point; `simulation::run_with` calls it when the
//! scenario's `serving` is `Continuous`.

pub mod fluid;
pub mod instance;
pub mod kv_blocks;
pub mod router;
pub mod scheduler;
mod station;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use sim_core::{Engine, ProgressObserver, SimTime, StopReason};

pub use station::Event;

use crate::arrivals::ArrivalSource;
use crate::base_station::SimError;
use crate::channel::Channel;
use crate::metrics::{ClassOutput, PeriodHook, RequestHook, RunOutput};
use crate::scenario::{System, WaitingOrder};
use station::Station;

/// The name a continuous run reports as its scheduler: `continuous-fcfs` or `continuous-edf`.
pub fn scheduler_name(order: WaitingOrder) -> &'static str {
    match order {
        WaitingOrder::Fcfs => "continuous-fcfs",
        WaitingOrder::Edf => "continuous-edf",
    }
}

/// The callbacks of a continuous run (the fields of `RunOptions` that apply).
#[derive(Default)]
pub struct Hooks<'a> {
    /// Called once per cohort request when its fate is settled: the per-request log.
    pub on_request: Option<&'a mut RequestHook<'a>>,
    /// A period `P` (ns, > 0) and the callback called at every cut
    /// `W + j·P < end` with the histograms as they stood there.
    pub on_period_histograms: Option<(u64, &'a mut PeriodHook<'a>)>,
}

/// Runs a resolved system whose `serving` is continuous, with the given
/// arrival source and channel, to its horizon (MODEL.md §13), with its
/// callbacks, an optional progress observer and stop flag as in the epoch
/// pipeline (`simulation::run_with` calls it; there are no epochs, so no
/// epoch callbacks).
///
/// # Errors
/// [`SimError::Invariant`] if `sys.serving` is `None` or a histogram period
/// is 0; [`SimError::Arrivals`] if the arrival source failed; an instant
/// beyond `u64::MAX` ns; a broken invariant (accounting identity) — a bug.
pub fn run<'a>(
    name: &str,
    sys: System,
    arrivals: Box<dyn ArrivalSource + 'a>,
    channel: Channel,
    hooks: Hooks<'a>,
    progress: Option<&mut dyn ProgressObserver>,
    stop: Option<Arc<AtomicBool>>,
) -> Result<RunOutput, SimError> {
    let Some(cfg) = sys.serving else {
        return Err(SimError::Invariant("the scenario serves in epochs".into()));
    };
    let horizon_ns = sys.horizon_ns;
    let warmup_ns = sys.warmup_ns;
    let gpu_count = sys.gpu_count;
    let t_c_ns = sys.t_c_ns;
    let t = cfg.tensor_parallel as usize;
    let class_specs: Vec<(String, f64)> = sys
        .classes
        .iter()
        .map(|c| (c.name.clone(), c.share))
        .collect();
    if hooks
        .on_period_histograms
        .as_ref()
        .is_some_and(|(p, _)| *p == 0)
    {
        return Err(SimError::Invariant("a histogram period of 0 ns".into()));
    }
    let mut model = Station::new(sys, cfg, arrivals, channel, hooks);
    let mut engine = Engine::with_capacity(model.arrivals.streams() as usize + 64);
    engine.set_stop_flag(stop);
    model.prime(&mut engine)?;
    let summary = engine.run_until_observed(&mut model, SimTime::from_nanos(horizon_ns), progress);
    if let Some(e) = model.error.take() {
        return Err(e);
    }
    // A replayed trace that became unreadable mid-run fails the run, as in
    // the epoch pipeline (its arrivals stopped early: the results would lie).
    if let Some(m) = model.arrivals.failure() {
        return Err(SimError::Arrivals(m));
    }
    let end_ns = summary.now.as_nanos();
    // The cuts after the last event: nothing was measured between it and them.
    model.cut_before(end_ns);
    model.finish(end_ns);
    let counts = model.metrics.counts;
    if !counts.identity_holds() {
        return Err(SimError::Accounting { counts });
    }
    let window_ns = end_ns.saturating_sub(warmup_ns);
    let window_s = window_ns as f64 / 1e9;
    let throughput_rps = if window_s > 0.0 {
        counts.on_time as f64 / window_s
    } else {
        0.0
    };
    let gpu_busy_ns: Vec<u64> = model
        .instances
        .iter()
        .flat_map(|inst| std::iter::repeat_n(inst.busy_ns, t))
        .collect();
    let busy: u64 = gpu_busy_ns.iter().sum();
    let peak_blocks = model.instances.iter().map(|i| i.peak_blocks).max();
    let kv_peak_bytes = model.cost.weight_bytes()
        + peak_blocks.unwrap_or(0) as f64 * cfg.block_size as f64 * model.cost.kv_bytes_per_token();
    let pool_block_ns = cfg.num_blocks as f64 * cfg.instances as f64 * window_ns as f64;
    // The share of `[W, end]` each link spent sending (MODEL.md §13: the
    // sending flows share all of B); NaN without a radio (ideal links: no
    // band to measure) or without a measured window.
    let link_share = |busy: u64| {
        if model.radio() && window_ns > 0 {
            busy as f64 / window_ns as f64
        } else {
            f64::NAN
        }
    };
    let up_utilisation = link_share(model.up.busy_ns(end_ns));
    let down_utilisation = link_share(model.down.busy_ns(end_ns));
    let m = &mut model.metrics;
    // Per class as in the epoch pipeline, without batches (MODEL.md §12, §13).
    let class_block_ns = std::mem::take(&mut model.class_block_ns);
    let classes = class_specs
        .into_iter()
        .zip(std::mem::take(&mut m.classes))
        .zip(class_block_ns)
        .map(|(((name, share), c), block_ns)| ClassOutput {
            // Over the total's denominator: the classes add up to it.
            kv_block_utilisation: (pool_block_ns > 0.0).then(|| block_ns / pool_block_ns),
            ..ClassOutput::from_measures(name, share, c, window_s, t_c_ns)
        })
        .collect();
    Ok(RunOutput {
        scenario: name.to_string(),
        scheduler: scheduler_name(cfg.policy).to_string(),
        partial: summary.reason != StopReason::Horizon,
        end_ns,
        horizon_ns,
        warmup_ns,
        counts,
        arrived_total: m.arrived_total,
        throughput_rps,
        // The paper's unit, for comparisons with the epoch pipeline: on time per T_C.
        throughput_per_epoch: throughput_rps * t_c_ns as f64 / 1e9,
        epochs: 0,
        measured_epochs: 0,
        mean_batch_size: 0.0,
        kv_peak_bytes,
        gpu_busy_ns,
        gpu_utilisation: if window_s > 0.0 {
            busy as f64 / 1e9 / window_s / gpu_count as f64
        } else {
            0.0
        },
        uplink_utilisation: up_utilisation,
        downlink_utilisation: down_utilisation,
        radio: m.radio.summary(),
        nodes_total: 0,
        iterations: model.iterations,
        kv_block_utilisation: (pool_block_ns > 0.0).then(|| model.block_ns / pool_block_ns),
        events_processed: summary.counters.processed,
        hist: std::mem::take(&mut m.hist),
        epoch_records: Vec::new(),
        classes,
    })
}
