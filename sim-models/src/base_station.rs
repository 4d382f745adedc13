//! The base station (edge node) as a `sim-core` [`Model`]: the requests it
//! holds, its channel, GPU pool, scheduler and measurements, and the events
//! that drive it (MODEL.md §1, §4).
//!
//! Events, each naming the station it belongs to ([`StationId`]):
//! - `Epoch`: the scheduling instant `t_k`, the pipeline of [`crate::epoch`];
//! - `ComputeDone`: a job's compute ends (first-token times, GPU busy time);
//! - `Delivered`: a job's outputs have gone down (on time or late).
//!
//! Arrivals are events of the model too, but they do not go through the
//! event queue: the station takes them in from its [`Intake`], in event
//! order, at each epoch instant, before each delivery and at the end of the
//! run (admission (1e) then). A request arriving exactly at `t_k` is pending
//! in epoch `k`. Every per-request record lives only from arrival to
//! delivery.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use sim_core::{Context, Model, SimTime};

use crate::arrivals::Arrival;
use crate::channel::Channel;
use crate::gpu_pool::GpuPool;
use crate::instance::Instance;
use crate::intake::Intake;
use crate::metrics::{Counts, EpochRecord, Metrics, Outcome, RequestHook, RequestRecord};
use crate::request::Request;
use crate::scenario::System;
use crate::scheduler::{Placement, Scheduler, SchedulerError};

/// Which base station an event belongs to (0 for the only one today).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StationId(pub u16);

/// The events of the simulation, each naming its station.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Scheduling instant of epoch `k`.
    Epoch {
        /// The station.
        station: StationId,
        /// Epoch index.
        k: u64,
    },
    /// A job's compute ends.
    ComputeDone {
        /// The station.
        station: StationId,
        /// The job's slot.
        job: u32,
    },
    /// A job's outputs are delivered.
    Delivered {
        /// The station.
        station: StationId,
        /// The job's slot.
        job: u32,
    },
}

/// The instance-dump callback: epoch index and the instance the scheduler sees.
pub type InstanceHook<'a> = dyn FnMut(u64, &Instance) + 'a;

/// The per-epoch record callback.
pub type EpochHook<'a> = dyn FnMut(&EpochRecord) + 'a;

/// The per-epoch histogram callback: the epoch's record and the run's
/// histograms so far (cumulative since the warm-up, MODEL.md §8).
pub type HistogramHook<'a> = dyn FnMut(&EpochRecord, &crate::metrics::Histograms) + 'a;

/// The per-run callbacks and controls of a station.
pub(crate) struct Hooks<'a> {
    pub on_instance: Option<&'a mut InstanceHook<'a>>,
    pub on_epoch: Option<&'a mut EpochHook<'a>>,
    pub on_request: Option<&'a mut RequestHook<'a>>,
    pub on_epoch_histograms: Option<&'a mut HistogramHook<'a>>,
    pub stop: Option<Arc<AtomicBool>>,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The scenario is invalid.
    #[error(transparent)]
    Scenario(#[from] crate::scenario::ScenarioError),
    /// The scheduler could not answer in epoch `epoch`. (The cause is part of
    /// the message, not an error source, so that a printed chain says it once.)
    #[error("epoch {epoch}: {error}")]
    Scheduler {
        /// Epoch index.
        epoch: u64,
        /// The scheduler's error.
        error: SchedulerError,
    },
    /// A job would have overflowed its memory (a bug: the plan check enforces (1c)).
    #[error("epoch {epoch}: {error}")]
    Kv {
        /// Epoch index.
        epoch: u64,
        /// The overflow.
        error: crate::kv_cache::KvOverflow,
    },
    /// The arrival source failed (a replayed trace that cannot be read).
    #[error("arrivals: {0}")]
    Arrivals(String),
    /// An instant beyond `u64::MAX` ns.
    #[error("time overflow: {0}")]
    Time(String),
    /// A broken invariant of continuous serving (a bug), MODEL.md §13.
    #[error("continuous serving: {0}")]
    Invariant(String),
    /// The accounting identity of MODEL.md §8 failed (a bug).
    #[error("accounting identity failed: arrived {} ≠ {} accounted ({counts:?})", counts.arrived, counts.accounted())]
    Accounting {
        /// The counts at the end of the run.
        counts: Counts,
    },
}

/// A job from start to delivery.
#[derive(Clone, Debug)]
pub(crate) struct JobState {
    pub active: bool,
    pub computed: bool,
    pub placement: Placement,
    pub start_ns: u64,
    pub first_token_ns: u64,
    /// The epoch that started it.
    pub epoch: u64,
    pub requests: Vec<Request>,
}

/// The base station with everything it drives: arrivals, channel, GPU pool,
/// scheduler and measurements.
pub(crate) struct BaseStation<'a> {
    pub id: StationId,
    pub sys: System,
    /// The arrival source, taken in by batches in event order.
    pub intake: Intake<'a>,
    /// Scratch: the arrivals of one take-in, in order.
    pub arrived: Vec<(u64, Arrival)>,
    pub next_id: u64,
    pub pending: Vec<Request>,
    pub channel: Channel,
    pub pool: GpuPool,
    pub instance: Instance,
    pub jobs: Vec<JobState>,
    pub free_jobs: Vec<u32>,
    pub scheduler: &'a mut dyn Scheduler,
    pub hooks: Hooks<'a>,
    pub error: Option<SimError>,
    pub stopped: bool,
    pub metrics: Metrics,
    /// Scratch: which pending requests the current epoch's jobs took.
    pub taken: Vec<bool>,
    /// Scratch: the pending requests the current epoch expires (indices).
    pub expiring: Vec<u32>,
}

impl<'a> BaseStation<'a> {
    /// A station of `sys` fed by `intake`, on `channel`.
    pub fn new(
        sys: System,
        intake: Intake<'a>,
        channel: Channel,
        scheduler: &'a mut dyn Scheduler,
        hooks: Hooks<'a>,
        keep_epoch_records: bool,
    ) -> BaseStation<'a> {
        BaseStation {
            id: StationId(0),
            intake,
            arrived: Vec::new(),
            next_id: 0,
            pending: Vec::new(),
            channel,
            pool: GpuPool::new(&sys),
            instance: sys.template(),
            jobs: Vec::new(),
            free_jobs: Vec::new(),
            scheduler,
            hooks,
            error: None,
            stopped: false,
            metrics: Metrics::new(keep_epoch_records, sys.classes.len()),
            taken: Vec::new(),
            expiring: Vec::new(),
            sys,
        }
    }

    /// Schedules the first event, epoch 0 (the intake holds the arrivals).
    ///
    /// # Errors
    /// [`SimError::Time`] if it cannot be scheduled.
    pub fn prime(&mut self, engine: &mut sim_core::Engine<Event>) -> Result<(), SimError> {
        engine
            .schedule_at(
                SimTime::ZERO,
                Event::Epoch {
                    station: self.id,
                    k: 0,
                },
            )
            .map_err(|e| SimError::Time(e.to_string()))?;
        Ok(())
    }

    /// Records the first error and stops the run.
    pub fn fail(&mut self, e: SimError, ctx: &mut Context<'_, Event>) {
        if self.error.is_none() {
            self.error = Some(e);
        }
        ctx.request_stop();
    }

    // ---- arrivals (MODEL.md §2) ----

    /// Takes in every arrival at or before `now_ns` not yet taken in, in
    /// event order.
    pub fn take_in(&mut self, now_ns: u64) {
        let mut arrived = std::mem::take(&mut self.arrived);
        arrived.clear();
        self.intake.take_in(now_ns, &mut arrived);
        for &(at_ns, a) in &arrived {
            self.arrival(at_ns, a);
        }
        self.arrived = arrived;
    }

    /// Arrival `a` at `now_ns`: a new request, its admission (1e), pending.
    fn arrival(&mut self, now_ns: u64, a: Arrival) {
        let id = self.next_id;
        self.next_id += 1;
        let r = a.request(id, now_ns, self.sys.warmup_ns);
        self.metrics.arrival(r.counted, r.class);
        // (1e), MODEL.md §2.
        if self.sys.rejects_accuracy(a.attrs.tolerance) {
            if r.counted {
                self.metrics.rejected_accuracy(r.class);
                self.log(&r, Outcome::RejectedAccuracy, None, None, None);
            }
            return;
        }
        self.pending.push(r);
    }

    /// Hands the fate of cohort request `r` to the per-request hook, if there is one.
    pub fn log(
        &mut self,
        r: &Request,
        outcome: Outcome,
        epoch: Option<u64>,
        first_token_ns: Option<u64>,
        delivery_ns: Option<u64>,
    ) {
        if let Some(f) = self.hooks.on_request.as_mut() {
            f(&RequestRecord {
                epoch,
                first_token_ns,
                delivery_ns,
                ..RequestRecord::of(r, outcome)
            });
        }
    }

    // ---- job ends ----

    fn compute_done(&mut self, now: SimTime, slot: u32) {
        let job = &mut self.jobs[slot as usize];
        job.computed = true;
        for r in job.requests.iter().filter(|r| r.counted) {
            self.metrics
                .first_token(job.first_token_ns - r.arrival_ns, r.class);
        }
        self.pool
            .add_busy(job.placement, job.start_ns, now.as_nanos());
    }

    fn delivered(&mut self, now: SimTime, slot: u32) {
        let t = now.as_nanos();
        // Arrivals up to now first, so that the per-request log keeps the
        // order in which fates are settled.
        self.take_in(t);
        let mut requests = std::mem::take(&mut self.jobs[slot as usize].requests);
        let (epoch, first) = {
            let job = &self.jobs[slot as usize];
            (job.epoch, job.first_token_ns)
        };
        for r in requests.iter().filter(|r| r.counted) {
            let outcome = self
                .metrics
                .delivered(t, r.arrival_ns, r.deadline_ns, r.class);
            // Outputs go down together (MODEL.md §4): every token reaches the
            // user at delivery, so TTFT is the delivery instant and TPOT is 0.
            self.metrics.ttft(t - r.arrival_ns, r.class);
            self.metrics.tpot(t, t, r.output, r.class);
            self.log(r, outcome, Some(epoch), Some(first), Some(t));
        }
        requests.clear();
        let job = &mut self.jobs[slot as usize];
        job.active = false;
        job.requests = requests; // keeps its allocation for the next job
        self.free_jobs.push(slot);
    }

    /// Closes the books at `end_ns`: pending and in-flight counts, busy time of
    /// jobs still computing. Called once, after the run.
    pub fn finish(&mut self, end_ns: u64) {
        self.take_in(end_ns);
        let pending = std::mem::take(&mut self.pending);
        for r in pending.iter().filter(|r| r.counted) {
            self.metrics.pending(r.class);
            self.log(r, Outcome::Pending, None, None, None);
        }
        let jobs = std::mem::take(&mut self.jobs);
        for job in jobs.iter().filter(|j| j.active) {
            // Its first token counts only once its compute has ended (as in the histogram).
            let first = job.computed.then_some(job.first_token_ns);
            for r in job.requests.iter().filter(|r| r.counted) {
                self.metrics.in_flight(r.class);
                self.log(r, Outcome::InFlight, Some(job.epoch), first, None);
            }
            if !job.computed && job.start_ns < end_ns {
                self.pool.add_busy(job.placement, job.start_ns, end_ns);
            }
        }
        self.pending = pending;
        self.jobs = jobs;
    }
}

impl Model for BaseStation<'_> {
    type Event = Event;

    fn handle(&mut self, now: SimTime, event: Event, ctx: &mut Context<'_, Event>) {
        match event {
            Event::Epoch { k, .. } => self.epoch(now, k, ctx),
            Event::ComputeDone { job, .. } => self.compute_done(now, job),
            Event::Delivered { job, .. } => self.delivered(now, job),
        }
    }
}
