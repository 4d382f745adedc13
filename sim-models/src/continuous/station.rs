//! The base station in continuous serving as a `sim-core` [`Model`]
//! (MODEL.md §13): arrivals, the uplink and downlink fluids, the router and
//! the instances, and what they measure.
//!
//! Events:
//! - `Arrival`: a stream of the arrival source fires; admission (1e); the
//!   prompt starts uploading (or, on ideal links, is uploaded at once);
//! - `Uplink`: the uplink's next completion (one pending at a time,
//!   rescheduled whenever the uplink changes);
//! - `Coherence`: a multiple of the coherence time while a link is sending:
//!   every active flow gets its user's new spectral efficiency;
//! - `Iteration`: an instance's iteration ends (one event per iteration, not
//!   per token).
//!
//! The downlink raises no event of its own: nothing else depends on when a
//! token reaches its user, so the fluid is advanced lazily — to the present
//! whenever tokens join it, at coherence boundaries and at the end of the
//! run — and every delivery is measured at its own exact instant.
//!
//! Optional callbacks ([`super::Hooks`]): each cohort request's fate, once
//! settled, to the per-request log (with its upload, first-admission,
//! first-token and delivery instants and its preemptions); and the
//! histograms at every cut `W + j·P`, taken before the first event after
//! the cut (no event of their own, so a run is the same with or without them).

use std::sync::Arc;

use sim_core::{Context, EventKey, Model, SimTime};

use super::fluid::{FluidLink, Reached};
use super::instance::{Instance, Seq};
use super::kv_blocks::BlockPool;
use super::router::least_outstanding;
use super::scheduler::{self, Emitted, Limits, StepReport};
use crate::arrivals::ArrivalSource;
use crate::base_station::SimError;
use crate::channel::Channel;
use crate::cost::CostModel;
use crate::metrics::{Metrics, Outcome, RequestRecord};
use crate::request::Request;
use crate::scenario::{ContinuousSystem, Delivery, Links, System};

/// The events of continuous serving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Stream `stream` of the arrival source fires.
    Arrival {
        /// The arrival stream.
        stream: u32,
    },
    /// The uplink's next completion is due.
    Uplink,
    /// A coherence-block boundary.
    Coherence,
    /// Instance `instance`'s iteration ends.
    Iteration {
        /// The instance.
        instance: u32,
    },
}

/// A request's output on the downlink.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Down {
    /// The request.
    pub req: Request,
    /// What the per-request log needs of its time on the instance.
    pub trail: Trail,
    /// When its first token reached the user.
    pub first_ns: Option<u64>,
    /// Every token is queued (the request has finished on its GPU).
    pub done: bool,
    /// The request was dropped: its bits drain, nothing is measured.
    pub abandoned: bool,
}

/// A request's instants on its instance, for the per-request log.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Trail {
    pub uploaded_ns: Option<u64>,
    pub admitted_ns: Option<u64>,
    /// Its first output token's iteration end on the GPU.
    pub first_token_ns: Option<u64>,
    pub preemptions: u32,
}

impl Trail {
    fn of(s: &Seq) -> Trail {
        Trail {
            uploaded_ns: Some(s.uploaded_ns),
            admitted_ns: s.admitted_ns,
            first_token_ns: s.first_token_ns,
            preemptions: s.preemptions,
        }
    }
}

/// The histogram cuts of a continuous run: the next cut instant, the
/// period and the callback.
struct Cuts<'a> {
    next_ns: u64,
    period_ns: u64,
    hook: &'a mut crate::metrics::PeriodHook<'a>,
}

/// Continuous serving's station.
pub(crate) struct Station<'a> {
    pub sys: System,
    pub cfg: ContinuousSystem,
    pub cost: Arc<dyn CostModel>,
    pub arrivals: Box<dyn ArrivalSource + 'a>,
    pub next_id: u64,
    pub channel: Channel,
    pub up: FluidLink<Request>,
    pub down: FluidLink<Down>,
    /// The uplink's pending completion event and its instant.
    up_key: Option<(EventKey, u64)>,
    coherence_pending: bool,
    pub instances: Vec<Instance>,
    /// Per instance, its current iteration's start and blocks in use.
    iter_start: Vec<(u64, u64)>,
    /// Per instance, the blocks each service class held at its current
    /// iteration's start: `classes` entries from `i·classes` (empty without classes).
    iter_class: Vec<u64>,
    limits: Limits,
    pub metrics: Metrics,
    pub iterations: u64,
    /// `Σ` blocks in use × ns over `[W, end]`, all instances.
    pub block_ns: f64,
    /// The same per service class: blocks held by the class's requests × ns
    /// (the classes add up to `block_ns`; empty without classes).
    pub class_block_ns: Vec<f64>,
    pub error: Option<SimError>,
    /// The per-request log's callback.
    on_request: Option<&'a mut crate::metrics::RequestHook<'a>>,
    /// The histogram cuts, if asked for.
    cuts: Option<Cuts<'a>>,
    // Scratch buffers, reused.
    reached: Vec<Reached>,
    report: StepReport,
    shape: Vec<(u32, u32)>,
    emitted: Vec<Emitted>,
}

impl<'a> Station<'a> {
    /// The station of `sys` (whose `serving` is `cfg`), fed by `arrivals`, on `channel`.
    pub fn new(
        sys: System,
        cfg: ContinuousSystem,
        arrivals: Box<dyn ArrivalSource + 'a>,
        channel: Channel,
        hooks: super::Hooks<'a>,
    ) -> Station<'a> {
        let cost = sys.instance_cost(cfg.tensor_parallel);
        let k = sys.classes.len();
        let instances = (0..cfg.instances)
            .map(|_| {
                Instance::new(BlockPool::new(cfg.block_size, cfg.num_blocks), cfg.policy)
                    .with_classes(k)
            })
            .collect();
        Station {
            cost,
            arrivals,
            next_id: 0,
            channel,
            up: {
                let mut l = FluidLink::new(sys.bandwidth_up);
                l.count_busy_from(sys.warmup_ns);
                l
            },
            down: {
                let mut l = FluidLink::new(sys.bandwidth_down);
                l.count_busy_from(sys.warmup_ns);
                l
            },
            up_key: None,
            coherence_pending: false,
            instances,
            iter_start: vec![(0, 0); cfg.instances as usize],
            iter_class: vec![0; cfg.instances as usize * k],
            limits: Limits {
                max_num_seqs: cfg.max_num_seqs,
                max_num_batched_tokens: cfg.max_num_batched_tokens,
                drop_expired: cfg.drop_expired,
            },
            metrics: Metrics::new(false, sys.classes.len()),
            iterations: 0,
            block_ns: 0.0,
            class_block_ns: vec![0.0; k],
            error: None,
            on_request: hooks.on_request,
            cuts: hooks.on_period_histograms.map(|(period_ns, hook)| Cuts {
                next_ns: sys.warmup_ns.saturating_add(period_ns),
                period_ns,
                hook,
            }),
            reached: Vec::new(),
            report: StepReport::default(),
            shape: Vec::new(),
            emitted: Vec::new(),
            cfg,
            sys,
        }
    }

    /// Schedules each stream's first arrival.
    ///
    /// # Errors
    /// [`SimError::Time`] if an instant cannot be scheduled.
    pub fn prime(&mut self, engine: &mut sim_core::Engine<Event>) -> Result<(), SimError> {
        for s in 0..self.arrivals.streams() {
            if let Some(at) = self.arrivals.first_ns(s) {
                if at <= self.sys.horizon_ns {
                    engine
                        .schedule_at(SimTime::from_nanos(at), Event::Arrival { stream: s })
                        .map_err(|e| SimError::Time(e.to_string()))?;
                }
            }
        }
        Ok(())
    }

    fn fail(&mut self, e: SimError, ctx: &mut Context<'_, Event>) {
        if self.error.is_none() {
            self.error = Some(e);
        }
        ctx.request_stop();
    }

    fn schedule(&mut self, at: u64, ev: Event, ctx: &mut Context<'_, Event>) -> Option<EventKey> {
        match ctx.schedule_at(SimTime::from_nanos(at), ev) {
            Ok(k) => Some(k),
            Err(e) => {
                self.fail(SimError::Time(e.to_string()), ctx);
                None
            }
        }
    }

    fn block(&self, now_ns: u64) -> u64 {
        now_ns / self.cfg.coherence_ns
    }

    pub(crate) fn radio(&self) -> bool {
        self.cfg.links == Links::Radio
    }

    /// Hands the fate of cohort request `r` to the per-request hook, if any.
    fn log(
        &mut self,
        r: &Request,
        outcome: Outcome,
        trail: Trail,
        user_first: Option<u64>,
        delivery: Option<u64>,
    ) {
        if let Some(f) = self.on_request.as_mut() {
            f(&RequestRecord {
                first_token_ns: trail.first_token_ns,
                delivery_ns: delivery,
                uploaded_ns: trail.uploaded_ns,
                admitted_ns: trail.admitted_ns,
                user_first_token_ns: user_first,
                preemptions: trail.preemptions,
                ..RequestRecord::of(r, outcome)
            });
        }
    }

    /// The instant `s`'s first output token reached its user, if it has.
    fn user_first(&self, s: &Seq) -> Option<u64> {
        if self.radio() {
            s.down.and_then(|f| self.down.payload(f).first_ns)
        } else {
            s.first_token_ns // on ideal links, at the user when emitted
        }
    }

    /// Takes every histogram cut `< now_ns` not yet taken: each sees what
    /// was measured at instants up to it (every event before `now_ns` has
    /// been handled, and none fell between the cut and `now_ns`).
    pub fn cut_before(&mut self, now_ns: u64) {
        let Some(c) = self.cuts.as_mut() else {
            return;
        };
        while c.next_ns < now_ns {
            (c.hook)(c.next_ns, &self.metrics.hist);
            c.next_ns = c.next_ns.saturating_add(c.period_ns);
        }
    }

    // ---- arrivals and the uplink ----

    fn arrival(&mut self, now_ns: u64, s: u32, ctx: &mut Context<'_, Event>) {
        let (a, next) = self.arrivals.arrive(s, now_ns);
        if let Some(t) = next.filter(|&t| t <= self.sys.horizon_ns) {
            self.schedule(t, Event::Arrival { stream: s }, ctx);
        }
        let id = self.next_id;
        self.next_id += 1;
        let req = a.request(id, now_ns, self.sys.warmup_ns);
        let counted = req.counted;
        self.metrics.arrival(counted, req.class);
        // (1e), MODEL.md §2.
        if self.sys.rejects_accuracy(a.attrs.tolerance) {
            if counted {
                self.metrics.rejected_accuracy(req.class);
                self.log(
                    &req,
                    Outcome::RejectedAccuracy,
                    Trail::default(),
                    None,
                    None,
                );
            }
            return;
        }
        if !self.radio() {
            return self.uploaded(req, now_ns, ctx);
        }
        self.advance_up(now_ns, ctx);
        let (se, _) = self.channel.se_at(req.user, self.block(now_ns));
        if req.counted {
            // Radio measures (MODEL.md §14): an upload starting without a
            // rate waits, stalled, for a block with one.
            self.metrics.radio.no_rate(u64::from(se <= 0.0));
        }
        let bits = req.prompt as u64 * self.sys.token_bits as u64;
        let flow = self.up.open(req.user, se, None, req);
        self.up.push(flow, bits, se);
        self.after_link_change(now_ns, ctx);
    }

    /// Runs the uplink to `now_ns`, handing every completed upload on.
    fn advance_up(&mut self, now_ns: u64, ctx: &mut Context<'_, Event>) {
        let mut reached = std::mem::take(&mut self.reached);
        reached.clear();
        self.up.advance(now_ns, &mut reached);
        for r in &reached {
            if let Reached::Drained { flow, .. } = *r {
                let req = self.up.close(flow);
                self.uploaded(req, now_ns, ctx);
            }
        }
        self.reached = reached;
    }

    /// Reschedules the uplink's next completion and, if a link is sending,
    /// the next coherence boundary.
    fn after_link_change(&mut self, now_ns: u64, ctx: &mut Context<'_, Event>) {
        let next = self.up.next_ns();
        if self.up_key.map(|(_, at)| at) != next {
            if let Some((k, _)) = self.up_key.take() {
                ctx.cancel(k);
            }
            if let Some(at) = next {
                self.up_key = self.schedule(at, Event::Uplink, ctx).map(|k| (k, at));
            }
        }
        if !self.coherence_pending && (self.up.active() > 0 || self.down.active() > 0) {
            let next = (self.block(now_ns) + 1).saturating_mul(self.cfg.coherence_ns);
            if next <= self.sys.horizon_ns {
                self.coherence_pending = true;
                self.schedule(next, Event::Coherence, ctx);
            }
        }
    }

    fn coherence(&mut self, now_ns: u64, ctx: &mut Context<'_, Event>) {
        self.coherence_pending = false;
        self.advance_up(now_ns, ctx);
        self.advance_down(now_ns);
        let block = self.block(now_ns);
        let ch = &mut self.channel;
        self.up.rebase(|u| ch.se_at(u, block).0);
        self.down.rebase(|u| ch.se_at(u, block).1);
        self.after_link_change(now_ns, ctx);
    }

    /// A prompt has reached the base station: rejected for capacity, or routed.
    fn uploaded(&mut self, req: Request, now_ns: u64, ctx: &mut Context<'_, Event>) {
        if req.counted && self.radio() {
            // The served upload's SE: that of the block it completed in (MODEL.md §14).
            let se = self.channel.se_at(req.user, self.block(now_ns)).0;
            self.metrics.radio.uplink(se);
        }
        // The most KV a request ever holds: prompt + n − 1 tokens (the last is
        // never fed back; MODEL.md §13), against one instance's pool.
        let pool = &self.instances[0].blocks;
        if pool.blocks_for(req.prompt as u64 + req.output as u64 - 1) > pool.total() {
            if req.counted {
                self.metrics.rejected_capacity(req.class);
                let trail = Trail {
                    uploaded_ns: Some(now_ns),
                    ..Trail::default()
                };
                self.log(&req, Outcome::RejectedCapacity, trail, None, None);
            }
            return;
        }
        let i = least_outstanding(self.instances.iter().map(Instance::outstanding))
            .expect("at least one instance");
        self.instances[i].join(Seq::new(req, now_ns));
        if !self.instances[i].busy {
            self.start_iteration(i, now_ns, ctx);
        }
    }

    // ---- iterations ----

    fn start_iteration(&mut self, i: usize, now_ns: u64, ctx: &mut Context<'_, Event>) {
        let mut report = std::mem::take(&mut self.report);
        report.clear();
        let inst = &mut self.instances[i];
        scheduler::schedule(inst, now_ns, &self.limits, &mut report);
        for s in &report.admitted_first {
            let seq = inst.seq_mut(*s);
            seq.admitted_ns = Some(now_ns);
            let r = seq.req;
            if r.counted {
                self.metrics.waiting(now_ns - r.arrival_ns, r.class);
            }
        }
        for s in &report.preempted {
            self.metrics.counts.preemptions += inst.seq(*s).req.counted as u64;
        }
        let expired = std::mem::take(&mut report.expired);
        for s in &expired {
            if s.req.counted {
                self.metrics.expired(s.req.class);
                // A preempted request may have streamed tokens before it expired.
                let user_first = self.user_first(s);
                self.log(&s.req, Outcome::Expired, Trail::of(s), user_first, None);
            }
            if let Some(f) = s.down {
                self.abandon(f);
            }
        }
        report.expired = expired;
        self.report = report;
        let inst = &mut self.instances[i];
        if inst.batch.is_empty() {
            if inst.outstanding() > 0 {
                let e = SimError::Invariant(format!(
                    "instance {i} has {} requests but scheduled nothing at {now_ns} ns (a bug)",
                    inst.outstanding()
                ));
                self.fail(e, ctx);
            }
            return;
        }
        let emitting = scheduler::shape(inst, &mut self.shape);
        let t = self.cost.iteration_ns(&self.shape, emitting);
        // KV-block utilisation: the idle gap since the last iteration at 0.
        let w = self.sys.warmup_ns;
        let idle_from = inst.last_end_ns.max(w);
        if now_ns > idle_from {
            self.metrics.kv_idle((now_ns - idle_from) / 1000);
        }
        inst.busy = true;
        self.iter_start[i] = (now_ns, inst.blocks.used());
        let k = inst.class_blocks.len();
        self.iter_class[i * k..(i + 1) * k].copy_from_slice(&inst.class_blocks);
        let Some(end) = now_ns.checked_add(t) else {
            return self.fail(
                SimError::Time(format!("iteration at {now_ns} ns + {t} ns")),
                ctx,
            );
        };
        self.schedule(end, Event::Iteration { instance: i as u32 }, ctx);
    }

    /// Books instance `i`'s current iteration's busy time and blocks over `[start, to_ns]`.
    fn book(&mut self, i: usize, to_ns: u64) {
        let (start, used) = self.iter_start[i];
        let from = start.max(self.sys.warmup_ns);
        if to_ns > from {
            let d = to_ns - from;
            self.instances[i].busy_ns += d;
            self.block_ns += used as f64 * d as f64;
            let (pool, us) = (self.cfg.num_blocks, (d / 1000).max(1));
            self.metrics
                .hist
                .kv_blocks
                .saturating_record_n(used * 1000 / pool, us);
            // Per class, by the same rule: the blocks its requests held (MODEL.md §12).
            let k = self.class_block_ns.len();
            let held = &self.iter_class[i * k..(i + 1) * k];
            for ((ns, &b), m) in self
                .class_block_ns
                .iter_mut()
                .zip(held)
                .zip(&mut self.metrics.classes)
            {
                *ns += b as f64 * d as f64;
                m.hist.kv_blocks.saturating_record_n(b * 1000 / pool, us);
            }
        }
    }

    fn iteration_done(&mut self, i: usize, now_ns: u64, ctx: &mut Context<'_, Event>) {
        self.book(i, now_ns);
        self.iterations += 1;
        let mut emitted = std::mem::take(&mut self.emitted);
        emitted.clear();
        scheduler::complete(&mut self.instances[i], &mut emitted);
        let streamed = self.radio() && self.cfg.delivery == Delivery::Streamed;
        if self.radio() && !emitted.is_empty() {
            self.advance_down(now_ns);
        }
        let bits = self.sys.token_bits as u64;
        let radio = self.radio();
        for e in &emitted {
            let seq = self.instances[i].seq_mut(e.slot);
            let r = seq.req;
            if e.first {
                seq.first_token_ns = Some(now_ns);
                if r.counted {
                    self.metrics.first_token(now_ns - r.arrival_ns, r.class);
                }
            }
            if !radio {
                if e.first && r.counted {
                    self.metrics.ttft(now_ns - r.arrival_ns, r.class);
                }
                if e.finished && r.counted {
                    let outcome =
                        self.metrics
                            .delivered(now_ns, r.arrival_ns, r.deadline_ns, r.class);
                    let first = seq.first_token_ns.unwrap_or(now_ns);
                    self.metrics.tpot(first, now_ns, r.output, r.class);
                    // On ideal links a token is at the user when it is emitted.
                    let trail = Trail::of(seq);
                    self.log(&r, outcome, trail, trail.first_token_ns, Some(now_ns));
                }
            } else if streamed || e.finished {
                let block = self.block(now_ns);
                let seq = self.instances[i].seq_mut(e.slot);
                // A flow still sending keeps its block's SE (`FluidLink::push`
                // reads `se` only for an idle flow): draw it only when used.
                let needs_se = seq.down.is_none_or(|f| self.down.is_idle(f));
                let se = if needs_se {
                    self.channel.se_at(r.user, block).1
                } else {
                    f64::NAN
                };
                let flow = match seq.down {
                    Some(f) => f,
                    None => {
                        let d = Down {
                            req: r,
                            trail: Trail::of(seq),
                            first_ns: None,
                            done: false,
                            abandoned: false,
                        };
                        let mark = streamed.then_some(bits);
                        if r.counted {
                            // The SE its output starts going down at (MODEL.md §14).
                            self.metrics.radio.downlink(se);
                        }
                        let f = self.down.open(r.user, se, mark, d);
                        seq.down = Some(f);
                        f
                    }
                };
                let n = if streamed { 1 } else { r.output as u64 };
                self.down.push(flow, n * bits, se);
                if e.finished {
                    let preemptions = self.instances[i].seq(e.slot).preemptions;
                    let d = self.down.payload_mut(flow);
                    d.done = true;
                    // Preemptions after its first token (streamed) count too.
                    d.trail.preemptions = preemptions;
                }
            }
            if e.finished {
                self.instances[i].remove(e.slot);
            }
        }
        self.emitted = emitted;
        self.instances[i].busy = false;
        self.instances[i].last_end_ns = now_ns;
        self.start_iteration(i, now_ns, ctx);
        if self.radio() {
            self.after_link_change(now_ns, ctx);
        }
    }

    // ---- the downlink ----

    /// Runs the downlink to `now_ns`, measuring every first token and delivery on the way.
    fn advance_down(&mut self, now_ns: u64) {
        let mut reached = std::mem::take(&mut self.reached);
        reached.clear();
        self.down.advance(now_ns, &mut reached);
        for r in &reached {
            match *r {
                Reached::Mark { flow, at_ns } => {
                    let d = self.down.payload_mut(flow);
                    d.first_ns = Some(at_ns);
                    if d.req.counted && !d.abandoned {
                        let a = d.req.arrival_ns;
                        let class = d.req.class;
                        self.metrics.ttft(at_ns - a, class);
                    }
                }
                Reached::Drained { flow, at_ns } => {
                    let d = *self.down.payload_mut(flow);
                    if d.abandoned {
                        self.down.close(flow);
                    } else if d.done {
                        self.down.close(flow);
                        let r = d.req;
                        if r.counted {
                            let outcome =
                                self.metrics
                                    .delivered(at_ns, r.arrival_ns, r.deadline_ns, r.class);
                            let first = d.first_ns.unwrap_or(at_ns);
                            if d.first_ns.is_none() {
                                self.metrics.ttft(at_ns - r.arrival_ns, r.class);
                                // AtEnd: whole output
                            }
                            self.metrics.tpot(first, at_ns, r.output, r.class);
                            self.log(&r, outcome, d.trail, Some(first), Some(at_ns));
                        }
                    }
                }
            }
        }
        self.reached = reached;
    }

    /// A dropped request's downlink flow: closed now if idle, else when drained.
    fn abandon(&mut self, flow: u32) {
        if self.down.is_idle(flow) {
            self.down.close(flow);
        } else {
            self.down.payload_mut(flow).abandoned = true;
        }
    }

    /// Closes the books at `end_ns`: deliveries up to then, pending and
    /// in-flight counts, busy time of iterations still running.
    pub fn finish(&mut self, end_ns: u64) {
        if self.radio() {
            self.advance_down(end_ns.max(self.down.now_ns()));
        }
        let w = self.sys.warmup_ns;
        for i in 0..self.instances.len() {
            if self.instances[i].busy {
                self.book(i, end_ns);
            } else {
                // The idle tail, at 0 blocks in use.
                let from = self.instances[i].last_end_ns.max(w);
                if end_ns > from {
                    self.metrics.kv_idle((end_ns - from) / 1000);
                }
            }
        }
        // (request, outcome, trail, first token at the user), in a fixed order:
        // uploads, outputs on the downlink, then the instances' requests by slot.
        let mut open: Vec<(Request, Outcome, Trail, Option<u64>)> = Vec::new();
        open.extend(
            self.up
                .payloads()
                .filter(|r| r.counted)
                .map(|r| (*r, Outcome::Pending, Trail::default(), None)),
        );
        open.extend(
            self.down
                .payloads()
                .filter(|d| d.done && !d.abandoned && d.req.counted)
                .map(|d| (d.req, Outcome::InFlight, d.trail, d.first_ns)),
        );
        for s in self.instances.iter().flat_map(Instance::seqs) {
            if s.req.counted {
                // Waiting (preempted ones too) never started or lost their progress.
                let outcome = if s.is_waiting() {
                    Outcome::Pending
                } else {
                    Outcome::InFlight
                };
                open.push((s.req, outcome, Trail::of(s), self.user_first(s)));
            }
        }
        for (r, outcome, trail, user_first) in open {
            if outcome == Outcome::Pending {
                self.metrics.pending(r.class);
            } else {
                self.metrics.in_flight(r.class);
            }
            self.log(&r, outcome, trail, user_first, None);
        }
    }
}

impl Model for Station<'_> {
    type Event = Event;

    fn handle(&mut self, now: SimTime, event: Event, ctx: &mut Context<'_, Event>) {
        let now_ns = now.as_nanos();
        self.cut_before(now_ns);
        match event {
            Event::Arrival { stream } => self.arrival(now_ns, stream, ctx),
            Event::Uplink => {
                self.up_key = None;
                self.advance_up(now_ns, ctx);
                self.after_link_change(now_ns, ctx);
            }
            Event::Coherence => self.coherence(now_ns, ctx),
            Event::Iteration { instance } => self.iteration_done(instance as usize, now_ns, ctx),
        }
    }
}
