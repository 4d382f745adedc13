//! The base station (edge node) and its epoch pipeline (MODEL.md §4), as a
//! `sim-core` [`Model`].
//!
//! Events:
//! - `Arrival(u)`: user `u`'s next request arrives; admission (1e); the user's
//!   next arrival is scheduled;
//! - `Epoch(k)`: the scheduling instant `t_k`: expiry, channel draw, the
//!   scheduler's plan, the plan check, the start of every accepted job;
//! - `ComputeDone(j)`: job `j`'s compute ends (first-token times recorded, GPU busy time);
//! - `Delivered(j)`: job `j`'s outputs have gone down (on time or late).
//!
//! A request arriving exactly at `t_k` is pending in epoch `k`: the epoch
//! handler first runs every arrival still due at `t_k`. Every per-request
//! record lives only from arrival to delivery.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sim_core::{Context, EventKey, Model, RngStreams, SimTime};

use crate::channel::Channel;
use crate::feasibility::check_plan;
use crate::gpu_pool::GpuPool;
use crate::instance::{Candidate, Instance, RHO_ONE};
use crate::iteration;
use crate::metrics::{Counts, EpochRecord, Histograms};
use crate::request::{Attributes, Profile, Request, User};
use crate::scenario::{QueuePolicy, System};
use crate::scheduler::{schedule_timed, EpochView, Placement, Scheduler, SchedulerError};

/// The events of the simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// User `u`'s next Poisson arrival.
    Arrival(u32),
    /// Scheduling instant of epoch `k`.
    Epoch(u64),
    /// A job's compute ends (slab index).
    ComputeDone(u32),
    /// A job's outputs are delivered (slab index).
    Delivered(u32),
}

/// An arrival given in advance instead of drawn (tests).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScriptedArrival {
    pub at_ns: u64,
    pub user: u32,
    pub attrs: Attributes,
}

/// Inputs that replace random draws (tests): scripted arrivals (no Poisson
/// arrivals then; each user's scripted arrivals are chained one event at a
/// time, as its Poisson arrivals would be) and a fixed channel gain for every user.
#[derive(Clone, Debug, Default)]
pub(crate) struct Script {
    pub arrivals: Vec<ScriptedArrival>,
    pub gain: Option<f64>,
}

/// Records `v` in an auto-resizing histogram (it grows to hold any `u64`).
fn record(h: &mut hdrhistogram::Histogram<u64>, v: u64) {
    if h.record(v).is_err() {
        h.saturating_record(v);
    }
}

/// A job from start to delivery.
#[derive(Clone, Debug)]
struct JobState {
    active: bool,
    computed: bool,
    placement: Placement,
    start_ns: u64,
    first_token_ns: u64,
    requests: Vec<Request>,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The scenario is invalid.
    #[error(transparent)]
    Scenario(#[from] crate::scenario::ScenarioError),
    /// The scheduler could not answer in epoch `epoch`.
    #[error("epoch {epoch}: {source}")]
    Scheduler {
        /// Epoch index.
        epoch: u64,
        /// The scheduler's error.
        source: SchedulerError,
    },
    /// A job would have overflowed its memory (a bug: the plan check enforces (1c)).
    #[error("epoch {epoch}: {source}")]
    Kv {
        /// Epoch index.
        epoch: u64,
        /// The overflow.
        source: crate::kv_cache::KvOverflow,
    },
    /// An instant beyond `u64::MAX` ns.
    #[error("time overflow: {0}")]
    Time(String),
    /// The accounting identity of MODEL.md §8 failed (a bug).
    #[error("accounting identity failed: arrived {} ≠ {} accounted ({counts:?})", counts.arrived, counts.accounted())]
    Accounting {
        /// The counts at the end of the run.
        counts: Counts,
    },
}

/// The per-run callbacks (see [`crate::simulation::RunOptions`]).
pub(crate) struct Hooks<'a> {
    pub on_instance: Option<&'a mut crate::simulation::InstanceHook<'a>>,
    pub on_epoch: Option<&'a mut crate::simulation::EpochHook<'a>>,
    pub keep_epoch_records: bool,
    pub stop: Option<Arc<AtomicBool>>,
}

/// The base station with everything it drives: users, channel, GPU pool,
/// scheduler and measurements.
pub(crate) struct BaseStation<'a> {
    pub sys: System,
    profile: Profile,
    users: Vec<User>,
    next_arrival: Vec<Option<(SimTime, EventKey)>>,
    // Per user, the scripted arrivals still to come (time order), if scripted.
    scripted: Option<Vec<std::collections::VecDeque<ScriptedArrival>>>,
    fixed_gain: Option<f64>,
    next_id: u64,
    pending: Vec<Request>,
    channel: Channel,
    pub pool: GpuPool,
    instance: Instance,
    jobs: Vec<JobState>,
    free_jobs: Vec<u32>,
    scheduler: &'a mut dyn Scheduler,
    hooks: Hooks<'a>,
    pub error: Option<SimError>,
    pub stopped: bool,
    // Measurements.
    pub counts: Counts,
    pub arrived_total: u64,
    pub hist: Histograms,
    pub epochs: u64,
    pub measured_epochs: u64,
    pub batch_sum: u64,
    pub rho_up_sum: f64,
    pub rho_down_sum: f64,
    pub kv_peak_bytes: f64,
    pub nodes_total: u64,
    pub records: Vec<EpochRecord>,
    taken: Vec<bool>,
}

impl<'a> BaseStation<'a> {
    pub fn new(
        sys: System,
        scheduler: &'a mut dyn Scheduler,
        hooks: Hooks<'a>,
        script: Option<Script>,
    ) -> BaseStation<'a> {
        let streams = RngStreams::new(sys.seed);
        let scripted = script.as_ref().map(|s| {
            let mut per_user = vec![std::collections::VecDeque::new(); sys.users as usize];
            let mut all = s.arrivals.clone();
            all.sort_by_key(|a| a.at_ns); // stable: equal instants keep script order
            for a in all {
                per_user[a.user as usize].push_back(a);
            }
            per_user
        });
        let fixed_gain = script.and_then(|s| s.gain);
        let users = (0..sys.users)
            .map(|u| {
                let rate = if scripted.is_some() {
                    0.0
                } else {
                    sys.rate_per_user
                };
                User::new(&streams, u, rate)
            })
            .collect();
        BaseStation {
            profile: Profile::new(&sys),
            users,
            next_arrival: vec![None; sys.users as usize],
            scripted,
            fixed_gain,
            next_id: 0,
            pending: Vec::new(),
            channel: Channel::new(&sys, &streams),
            pool: GpuPool::new(&sys),
            instance: sys.template(),
            jobs: Vec::new(),
            free_jobs: Vec::new(),
            scheduler,
            hooks,
            error: None,
            stopped: false,
            counts: Counts::default(),
            arrived_total: 0,
            hist: Histograms::default(),
            epochs: 0,
            measured_epochs: 0,
            batch_sum: 0,
            rho_up_sum: 0.0,
            rho_down_sum: 0.0,
            kv_peak_bytes: 0.0,
            nodes_total: 0,
            records: Vec::new(),
            taken: Vec::new(),
            sys,
        }
    }

    /// The instant of user `u`'s next arrival after one at `now_ns`, if any.
    fn next_arrival_ns(&mut self, u: usize, now_ns: u64) -> Option<u64> {
        match &self.scripted {
            Some(s) => s[u].front().map(|a| a.at_ns.max(now_ns)),
            None => self.users[u]
                .next_gap_ns()
                .map(|g| now_ns.saturating_add(g)),
        }
    }

    /// Schedules the first events: each user's first arrival, then epoch 0.
    pub fn prime(&mut self, engine: &mut sim_core::Engine<Event>) -> Result<(), SimError> {
        let time_err = |e: sim_core::ScheduleError| SimError::Time(e.to_string());
        for u in 0..self.users.len() {
            if let Some(at) = self.next_arrival_ns(u, 0) {
                if at <= self.sys.horizon_ns {
                    let t = SimTime::from_nanos(at);
                    let key = engine
                        .schedule_at(t, Event::Arrival(u as u32))
                        .map_err(time_err)?;
                    self.next_arrival[u] = Some((t, key));
                }
            }
        }
        engine
            .schedule_at(SimTime::ZERO, Event::Epoch(0))
            .map_err(time_err)?;
        Ok(())
    }

    fn fail(&mut self, e: SimError, ctx: &mut Context<'_, Event>) {
        if self.error.is_none() {
            self.error = Some(e);
        }
        ctx.request_stop();
    }

    // ---- arrivals (MODEL.md §2) ----

    fn arrive(&mut self, now: u64, user: u32, a: Attributes) {
        let id = self.next_id;
        self.next_id += 1;
        self.arrived_total += 1;
        let counted = now >= self.sys.warmup_ns;
        if counted {
            self.counts.arrived += 1;
        }
        // (1e), MODEL.md §2: eligible iff ΔPPL ≤ ε_i.
        if self.sys.accuracy_admission && self.sys.delta_ppl.is_some_and(|d| d > a.tolerance) {
            if counted {
                self.counts.rejected_accuracy += 1;
            }
            return;
        }
        self.pending.push(Request {
            id,
            user,
            arrival_ns: now,
            prompt: a.prompt,
            output: a.output,
            deadline_ns: now.saturating_add(a.latency_ns),
            counted,
        });
    }

    fn user_arrival(&mut self, now: SimTime, u: u32, ctx: &mut Context<'_, Event>) {
        let attrs = match &mut self.scripted {
            Some(s) => {
                s[u as usize]
                    .pop_front()
                    .expect("a scripted arrival event has its script entry")
                    .attrs
            }
            None => self.users[u as usize].draw(&self.profile),
        };
        self.next_arrival[u as usize] = None;
        if let Some(t) = self.next_arrival_ns(u as usize, now.as_nanos()) {
            if t <= self.sys.horizon_ns {
                let t = SimTime::from_nanos(t);
                match ctx.schedule_at(t, Event::Arrival(u)) {
                    Ok(key) => self.next_arrival[u as usize] = Some((t, key)),
                    Err(e) => return self.fail(SimError::Time(e.to_string()), ctx),
                }
            }
        }
        self.arrive(now.as_nanos(), u, attrs);
    }

    /// Runs every user arrival still due at `now`, in event order, before the epoch.
    fn flush_arrivals(&mut self, now: SimTime, ctx: &mut Context<'_, Event>) {
        loop {
            let due = self
                .next_arrival
                .iter()
                .enumerate()
                .filter_map(|(u, n)| n.filter(|(t, _)| *t == now).map(|(_, k)| (k.seq(), u, k)))
                .min();
            let Some((_, u, key)) = due else { break };
            ctx.cancel(key);
            self.user_arrival(now, u as u32, ctx);
        }
    }

    // ---- the epoch (MODEL.md §4) ----

    fn epoch(&mut self, now: SimTime, k: u64, ctx: &mut Context<'_, Event>) {
        self.flush_arrivals(now, ctx);
        if self
            .hooks
            .stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
        {
            self.stopped = true;
            ctx.request_stop();
            return;
        }
        let sys = &self.sys;
        let t_k = now.as_nanos();
        let measured = t_k >= sys.warmup_ns;
        let mut rec = EpochRecord {
            epoch: k,
            t_k_ns: t_k,
            ..EpochRecord::default()
        };

        // 1. Expiry: t_k + T_U + T_D ≥ D_i (any job takes some compute).
        let limit = t_k + sys.t_u_ns + sys.t_d_ns;
        let mut expired_cohort = 0;
        self.pending.retain(|r| {
            let keep = r.deadline_ns > limit;
            if !keep {
                rec.expired += 1;
                expired_cohort += r.counted as u64;
            }
            keep
        });
        self.counts.expired += expired_cohort;

        // 2. The epoch's channel gains and each request's ρU, ρD.
        match self.fixed_gain {
            Some(g) => (0..sys.users as usize).for_each(|u| self.channel.set_gain(u, g)),
            None => self.channel.draw_epoch(),
        }
        self.instance.requests.clear();
        for r in &self.pending {
            let u = r.user as usize;
            self.instance.requests.push(Candidate::new(
                r.id,
                r.prompt,
                r.output,
                r.deadline_ns as i64 - t_k as i64,
                self.channel.rho_up(u, r.prompt),
                self.channel.rho_down(u, r.output),
            ));
        }
        rec.queue_len = self.pending.len() as u64;
        if let Some(f) = self.hooks.on_instance.as_mut() {
            f(k, &self.instance);
        }

        // 3. The scheduler's plan; 4. the plan check.
        let compute_start = t_k + sys.t_u_ns;
        let view = EpochView {
            epoch: k,
            t_k_ns: t_k,
            instance: &self.instance,
            gpus: self.pool.view(compute_start),
        };
        let (plan, solve_ns) = match schedule_timed(&mut *self.scheduler, &view) {
            Ok(p) => p,
            Err(source) => return self.fail(SimError::Scheduler { epoch: k, source }, ctx),
        };
        let verdicts = check_plan(&view, &plan);
        rec.nodes = plan.work.nodes;
        rec.leaves = plan.work.leaves;
        rec.solve_ns = solve_ns;

        // 5. Start every accepted job.
        self.taken.clear();
        self.taken.resize(self.pending.len(), false);
        let (mut up, mut down) = (0u64, 0u64);
        for (job, verdict) in plan.jobs.iter().zip(&verdicts.jobs) {
            let cost = match verdict {
                Ok(c) => c,
                Err(_) => {
                    rec.violations += 1;
                    continue;
                }
            };
            let (flop_rate, s_pad) = match job.placement {
                Placement::Pooled => (self.instance.flops, cost.s_pad),
                Placement::Gpu(_) => (self.sys.flops_per_gpu, cost.s_pad),
            };
            let finish = compute_start.checked_add(cost.t_batch_ns);
            let delivery = finish.and_then(|f| f.checked_add(self.sys.t_d_ns));
            let (Some(finish), Some(delivery)) = (finish, delivery) else {
                return self.fail(
                    SimError::Time(format!("job of epoch {k} ends after u64::MAX ns")),
                    ctx,
                );
            };
            let slot = self.free_jobs.pop().unwrap_or_else(|| {
                self.jobs.push(JobState {
                    active: false,
                    computed: false,
                    placement: Placement::Pooled,
                    start_ns: 0,
                    first_token_ns: 0,
                    requests: Vec::new(),
                });
                (self.jobs.len() - 1) as u32
            });
            let state = &mut self.jobs[slot as usize];
            state.requests.clear();
            for &i in &job.requests {
                self.taken[i] = true;
                let r = self.pending[i];
                if r.counted {
                    record(&mut self.hist.waiting, t_k - r.arrival_ns);
                }
                rec.selected.push(r.id);
                state.requests.push(r);
            }
            let outputs: Vec<u32> = state.requests.iter().map(|r| r.output).collect();
            let peak_tokens = iteration::kv_peak_tokens(s_pad, &outputs);
            let first = iteration::first_token_ns(
                &self.sys.model,
                s_pad,
                outputs.len(),
                self.sys.quant.beta,
                flop_rate,
            );
            state.active = true;
            state.computed = false;
            state.placement = job.placement;
            state.start_ns = compute_start;
            state.first_token_ns = compute_start + first;
            match self
                .pool
                .start(job.placement, compute_start, finish, peak_tokens)
            {
                Ok(occ) => {
                    rec.kv_peak_bytes = rec.kv_peak_bytes.max(occ);
                    self.kv_peak_bytes = self.kv_peak_bytes.max(occ);
                }
                Err(source) => return self.fail(SimError::Kv { epoch: k, source }, ctx),
            }
            for (at, ev) in [
                (finish, Event::ComputeDone(slot)),
                (delivery, Event::Delivered(slot)),
            ] {
                if let Err(e) = ctx.schedule_at(SimTime::from_nanos(at), ev) {
                    return self.fail(SimError::Time(e.to_string()), ctx);
                }
            }
            rec.jobs += 1;
            rec.batch_size += job.requests.len() as u64;
            rec.s_pad = rec.s_pad.max(s_pad);
            rec.t_batch_ns = rec.t_batch_ns.max(cost.t_batch_ns);
            up += cost.rho_up_fx;
            down += cost.rho_down_fx;
        }
        rec.rho_up = up as f64 / RHO_ONE as f64;
        rec.rho_down = down as f64 / RHO_ONE as f64;
        rec.selected.sort_unstable();

        // Unscheduled requests stay pending (carry-over) or are dropped (MODEL.md §4).
        let drop_rest = self.sys.queue == QueuePolicy::DropUnscheduled;
        let mut i = 0;
        let taken = &self.taken;
        let mut dropped_cohort = 0;
        self.pending.retain(|r| {
            let scheduled = taken[i];
            i += 1;
            if !scheduled && drop_rest {
                rec.dropped += 1;
                dropped_cohort += r.counted as u64;
            }
            !scheduled && !drop_rest
        });
        self.counts.expired += dropped_cohort;

        // Measurements.
        self.epochs += 1;
        self.counts.plan_violations += rec.violations;
        self.nodes_total += rec.nodes;
        if measured {
            self.measured_epochs += 1;
            self.batch_sum += rec.batch_size;
            self.rho_up_sum += rec.rho_up;
            self.rho_down_sum += rec.rho_down;
            record(&mut self.hist.batch_size, rec.batch_size);
            record(&mut self.hist.solve_ns, solve_ns);
        }
        rec.on_time_so_far = self.counts.on_time;
        if let Some(f) = self.hooks.on_epoch.as_mut() {
            f(&rec);
        }
        if self.hooks.keep_epoch_records {
            self.records.push(rec);
        }

        // The next scheduling instant, t_{k+1} = (k+1)·T_C, if before the horizon.
        let next = (k + 1).checked_mul(self.sys.t_c_ns);
        if let Some(t) = next.filter(|&t| t < self.sys.horizon_ns) {
            if let Err(e) = ctx.schedule_at(SimTime::from_nanos(t), Event::Epoch(k + 1)) {
                self.fail(SimError::Time(e.to_string()), ctx);
            }
        }
    }

    fn compute_done(&mut self, now: SimTime, slot: u32) {
        let job = &mut self.jobs[slot as usize];
        job.computed = true;
        for r in job.requests.iter().filter(|r| r.counted) {
            record(
                &mut self.hist.first_token,
                job.first_token_ns - r.arrival_ns,
            );
        }
        self.pool
            .add_busy(job.placement, job.start_ns, now.as_nanos());
    }

    fn delivered(&mut self, now: SimTime, slot: u32) {
        let t = now.as_nanos();
        let job = &mut self.jobs[slot as usize];
        for r in job.requests.iter().filter(|r| r.counted) {
            record(&mut self.hist.latency, t - r.arrival_ns);
            if t <= r.deadline_ns {
                self.counts.on_time += 1;
                record(&mut self.hist.slack, r.deadline_ns - t);
            } else {
                self.counts.late += 1;
                record(&mut self.hist.lateness, t - r.deadline_ns);
            }
        }
        job.active = false;
        job.requests.clear();
        self.free_jobs.push(slot);
    }

    /// Closes the books at `end_ns`: pending and in-flight counts, busy time of
    /// jobs still computing. Called once, after the run.
    pub fn finish(&mut self, end_ns: u64) {
        self.counts.pending = self.pending.iter().filter(|r| r.counted).count() as u64;
        let mut in_flight = 0;
        for job in self.jobs.iter().filter(|j| j.active) {
            in_flight += job.requests.iter().filter(|r| r.counted).count() as u64;
            if !job.computed && job.start_ns < end_ns {
                self.pool.add_busy(job.placement, job.start_ns, end_ns);
            }
        }
        self.counts.in_flight = in_flight;
    }
}

impl Model for BaseStation<'_> {
    type Event = Event;

    fn handle(&mut self, now: SimTime, event: Event, ctx: &mut Context<'_, Event>) {
        match event {
            Event::Arrival(u) => self.user_arrival(now, u, ctx),
            Event::Epoch(k) => self.epoch(now, k, ctx),
            Event::ComputeDone(j) => self.compute_done(now, j),
            Event::Delivered(j) => self.delivered(now, j),
        }
    }
}
