//! The base station (edge node) as a `sim-core` [`Model`]: the requests it
//! holds, its channel, GPU pool, scheduler and measurements, and the events
//! that drive it (MODEL.md §1, §4).
//!
//! Events, each naming the station it belongs to ([`StationId`]):
//! - `Arrival`: a stream of the arrival source fires; admission (1e); the
//!   stream's next arrival is scheduled;
//! - `Epoch`: the scheduling instant `t_k`, the pipeline of [`crate::epoch`];
//! - `ComputeDone`: a job's compute ends (first-token times, GPU busy time);
//! - `Delivered`: a job's outputs have gone down (on time or late).
//!
//! A request arriving exactly at `t_k` is pending in epoch `k`: the epoch
//! handler first runs every arrival still due at `t_k`. Every per-request
//! record lives only from arrival to delivery.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use sim_core::{Context, EventKey, Model, SimTime};

use crate::arrivals::ArrivalSource;
use crate::channel::Channel;
use crate::gpu_pool::GpuPool;
use crate::instance::Instance;
use crate::metrics::{Counts, EpochRecord, Metrics};
use crate::request::Request;
use crate::scenario::System;
use crate::scheduler::{Placement, Scheduler, SchedulerError};

/// Which base station an event belongs to (0 for the only one today).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StationId(pub u16);

/// The events of the simulation, each naming its station.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Stream `stream` of the station's arrival source fires.
    Arrival {
        /// The station.
        station: StationId,
        /// The arrival stream (a user, for Poisson users).
        stream: u32,
    },
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

/// The per-run callbacks and controls of a station.
pub(crate) struct Hooks<'a> {
    pub on_instance: Option<&'a mut InstanceHook<'a>>,
    pub on_epoch: Option<&'a mut EpochHook<'a>>,
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
    pub requests: Vec<Request>,
}

/// The base station with everything it drives: arrivals, channel, GPU pool,
/// scheduler and measurements.
pub(crate) struct BaseStation<'a> {
    pub id: StationId,
    pub sys: System,
    pub arrivals: Box<dyn ArrivalSource + 'a>,
    /// Per arrival stream, its scheduled next arrival.
    pub next_arrival: Vec<Option<(SimTime, EventKey)>>,
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
}

impl<'a> BaseStation<'a> {
    /// A station of `sys` fed by `arrivals`, on `channel`.
    pub fn new(
        sys: System,
        arrivals: Box<dyn ArrivalSource + 'a>,
        channel: Channel,
        scheduler: &'a mut dyn Scheduler,
        hooks: Hooks<'a>,
        keep_epoch_records: bool,
    ) -> BaseStation<'a> {
        BaseStation {
            id: StationId(0),
            next_arrival: vec![None; arrivals.streams() as usize],
            arrivals,
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
            metrics: Metrics::new(keep_epoch_records),
            taken: Vec::new(),
            sys,
        }
    }

    /// Schedules the first events: each stream's first arrival, then epoch 0.
    ///
    /// # Errors
    /// [`SimError::Time`] if an instant cannot be scheduled.
    pub fn prime(&mut self, engine: &mut sim_core::Engine<Event>) -> Result<(), SimError> {
        let time_err = |e: sim_core::ScheduleError| SimError::Time(e.to_string());
        for s in 0..self.arrivals.streams() {
            if let Some(at) = self.arrivals.first_ns(s) {
                if at <= self.sys.horizon_ns {
                    let t = SimTime::from_nanos(at);
                    let key = engine
                        .schedule_at(
                            t,
                            Event::Arrival {
                                station: self.id,
                                stream: s,
                            },
                        )
                        .map_err(time_err)?;
                    self.next_arrival[s as usize] = Some((t, key));
                }
            }
        }
        engine
            .schedule_at(
                SimTime::ZERO,
                Event::Epoch {
                    station: self.id,
                    k: 0,
                },
            )
            .map_err(time_err)?;
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

    fn arrival(&mut self, now: SimTime, s: u32, ctx: &mut Context<'_, Event>) {
        let now_ns = now.as_nanos();
        let (a, next) = self.arrivals.arrive(s, now_ns);
        self.next_arrival[s as usize] = None;
        if let Some(t) = next.filter(|&t| t <= self.sys.horizon_ns) {
            let t = SimTime::from_nanos(t);
            let ev = Event::Arrival {
                station: self.id,
                stream: s,
            };
            match ctx.schedule_at(t, ev) {
                Ok(key) => self.next_arrival[s as usize] = Some((t, key)),
                Err(e) => return self.fail(SimError::Time(e.to_string()), ctx),
            }
        }
        let id = self.next_id;
        self.next_id += 1;
        let counted = now_ns >= self.sys.warmup_ns;
        self.metrics.arrival(counted);
        // (1e), MODEL.md §2: eligible iff ΔPPL ≤ ε_i.
        if self.sys.accuracy_admission && self.sys.delta_ppl.is_some_and(|d| d > a.attrs.tolerance)
        {
            if counted {
                self.metrics.rejected_accuracy();
            }
            return;
        }
        self.pending.push(Request {
            id,
            user: a.user,
            arrival_ns: now_ns,
            prompt: a.attrs.prompt,
            output: a.attrs.output,
            deadline_ns: now_ns.saturating_add(a.attrs.latency_ns),
            counted,
        });
    }

    /// Runs every arrival still due at `now`, in event order, before the epoch.
    pub fn flush_arrivals(&mut self, now: SimTime, ctx: &mut Context<'_, Event>) {
        loop {
            let due = self
                .next_arrival
                .iter()
                .enumerate()
                .filter_map(|(s, n)| n.filter(|(t, _)| *t == now).map(|(_, k)| (k.seq(), s, k)))
                .min();
            let Some((_, s, key)) = due else { break };
            ctx.cancel(key);
            self.arrival(now, s as u32, ctx);
        }
    }

    // ---- job ends ----

    fn compute_done(&mut self, now: SimTime, slot: u32) {
        let job = &mut self.jobs[slot as usize];
        job.computed = true;
        for r in job.requests.iter().filter(|r| r.counted) {
            self.metrics.first_token(job.first_token_ns - r.arrival_ns);
        }
        self.pool
            .add_busy(job.placement, job.start_ns, now.as_nanos());
    }

    fn delivered(&mut self, now: SimTime, slot: u32) {
        let t = now.as_nanos();
        let job = &mut self.jobs[slot as usize];
        for r in job.requests.iter().filter(|r| r.counted) {
            self.metrics.delivered(t, r.arrival_ns, r.deadline_ns);
            // Outputs go down together (MODEL.md §4): every token reaches the
            // user at delivery, so TTFT is the delivery instant and TPOT is 0.
            self.metrics.ttft(t - r.arrival_ns);
            self.metrics.tpot(t, t, r.output);
        }
        job.active = false;
        job.requests.clear();
        self.free_jobs.push(slot);
    }

    /// Closes the books at `end_ns`: pending and in-flight counts, busy time of
    /// jobs still computing. Called once, after the run.
    pub fn finish(&mut self, end_ns: u64) {
        let counts = &mut self.metrics.counts;
        counts.pending = self.pending.iter().filter(|r| r.counted).count() as u64;
        let mut in_flight = 0;
        for job in self.jobs.iter().filter(|j| j.active) {
            in_flight += job.requests.iter().filter(|r| r.counted).count() as u64;
            if !job.computed && job.start_ns < end_ns {
                self.pool.add_busy(job.placement, job.start_ns, end_ns);
            }
        }
        counts.in_flight = in_flight;
    }
}

impl Model for BaseStation<'_> {
    type Event = Event;

    fn handle(&mut self, now: SimTime, event: Event, ctx: &mut Context<'_, Event>) {
        match event {
            Event::Arrival { stream, .. } => self.arrival(now, stream, ctx),
            Event::Epoch { k, .. } => self.epoch(now, k, ctx),
            Event::ComputeDone { job, .. } => self.compute_done(now, job),
            Event::Delivered { job, .. } => self.delivered(now, job),
        }
    }
}
