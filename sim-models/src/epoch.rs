//! The epoch pipeline (MODEL.md §4), as named steps run at each scheduling
//! instant `t_k`:
//!
//! 1. [`expire`](BaseStation::expire) what can no longer meet its deadline;
//! 2. [`build_instance`](BaseStation::build_instance): the epoch's channel
//!    gains and the scheduling problem (MODEL.md §3, §10);
//! 3. [`plan_and_check`](BaseStation::plan_and_check): the scheduler's plan and
//!    the capacity check of every job (§4 step 4);
//! 4. [`start_jobs`](BaseStation::start_jobs): uploads, compute and delivery
//!    instants from the cost model, KV memory (§4 step 5, §5);
//! 5. [`carry_over`](BaseStation::carry_over): what was not scheduled stays
//!    pending or is dropped (§4).

use std::sync::atomic::Ordering;

use sim_core::{Context, SimTime};

use crate::base_station::{BaseStation, Event, JobState, SimError};
use crate::cost::{kv_peak_tokens, level_counts};
use crate::feasibility::{check_plan, PlanCheck};
use crate::instance::{Candidate, RHO_ONE};
use crate::metrics::{EpochRecord, Outcome};
use crate::request::Request;
use crate::scenario::QueuePolicy;
use crate::scheduler::{schedule_timed, EpochView, Placement, Plan};

impl BaseStation<'_> {
    /// Epoch `k` at `t_k = now`: the whole pipeline, then the next epoch's event.
    pub(crate) fn epoch(&mut self, now: SimTime, k: u64, ctx: &mut Context<'_, Event>) {
        self.take_in(now.as_nanos());
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
        let t_k = now.as_nanos();
        let mut rec = EpochRecord {
            epoch: k,
            t_k_ns: t_k,
            ..EpochRecord::default()
        };
        self.expire(t_k, &mut rec);
        self.build_instance(k, t_k, &mut rec);
        let Some((plan, verdicts)) = self.plan_and_check(k, t_k, &mut rec, ctx) else {
            return;
        };
        if let Err(e) = self.start_jobs(k, t_k, &plan, &verdicts, &mut rec, ctx) {
            return self.fail(e, ctx);
        }
        self.carry_over(&mut rec);

        let measured = t_k >= self.sys.warmup_ns;
        let rec = self.metrics.epoch_done(rec, measured);
        if let Some(f) = self.hooks.on_epoch.as_mut() {
            f(&rec);
        }
        if let Some(f) = self.hooks.on_epoch_histograms.as_mut() {
            f(&rec, &self.metrics.hist);
        }

        // The next scheduling instant, t_{k+1} = (k+1)·T_C, if before the horizon.
        let next = (k + 1).checked_mul(self.sys.t_c_ns);
        if let Some(t) = next.filter(|&t| t < self.sys.horizon_ns) {
            let ev = Event::Epoch {
                station: self.id,
                k: k + 1,
            };
            if let Err(e) = ctx.schedule_at(SimTime::from_nanos(t), ev) {
                self.fail(SimError::Time(e.to_string()), ctx);
            }
        }
    }

    /// Step 1: drops every pending request with `t_k + T_U + T_D ≥ D_i` (any
    /// job takes some compute), counted as expired (MODEL.md §4).
    fn expire(&mut self, t_k: u64, rec: &mut EpochRecord) {
        let limit = t_k
            .saturating_add(self.sys.t_u_ns)
            .saturating_add(self.sys.t_d_ns);
        // Deadlines come in random order, so a branch per request on
        // expiry mispredicts about as often as not: the expired are listed,
        // and the queue compacted, without one (the same requests settled in
        // the same order as a `retain`; 1.05 µs per epoch against 1.84 µs
        // on a synthetic queue shaped like the 24-hour run's, ≈ 375 arrivals
        // and ≈ 320 expiries per epoch).
        let mut pending = std::mem::take(&mut self.pending);
        let n = pending.len();
        let mut gone = std::mem::take(&mut self.expiring);
        gone.clear();
        gone.resize(n, 0);
        let mut d = 0;
        for (i, r) in pending.iter().enumerate() {
            gone[d] = i as u32; // d ≤ i < n
            d += usize::from(r.deadline_ns <= limit);
        }
        for &i in &gone[..d] {
            rec.expired += 1;
            self.settle_dropped(&pending[i as usize], Outcome::Expired);
        }
        let mut kept = 0;
        for i in 0..n {
            let r = pending[i];
            pending[kept] = r; // kept ≤ i
            kept += usize::from(r.deadline_ns > limit);
        }
        pending.truncate(kept);
        self.pending = pending;
        self.expiring = gone;
    }

    /// Counts cohort request `r`, dropped at an epoch, as expired and logs its `outcome`.
    fn settle_dropped(&mut self, r: &Request, outcome: Outcome) {
        if r.counted {
            self.metrics.expired(r.class);
            self.log(r, outcome, None, None, None);
        }
    }

    /// Step 2: the epoch's channel gains and each pending request's `ρU`,
    /// `ρD` and budget `D_i − t_k` (MODEL.md §3, §10); hands the instance to
    /// the dump hook.
    fn build_instance(&mut self, k: u64, t_k: u64, rec: &mut EpochRecord) {
        // Links only for the users with a candidate request (docs/model.md §3).
        self.channel.begin_epoch(k);
        self.instance.requests.clear();
        let rhos = self
            .channel
            .rhos_of(self.pending.iter().map(|r| (r.user, r.prompt, r.output)));
        for (r, &(rho_up, rho_down)) in self.pending.iter().zip(rhos) {
            // Deadlines and t_k are below 2^63 ns (the scenario's bounds), so
            // the budget cannot wrap.
            let budget = r.deadline_ns as i128 - t_k as i128;
            self.instance.requests.push(Candidate::new(
                r.id,
                r.prompt,
                r.output,
                budget.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
                rho_up,
                rho_down,
            ));
        }
        rec.queue_len = self.pending.len() as u64;
        rec.no_rate_users = self.channel.no_rate_users();
        if let Some(f) = self.hooks.on_instance.as_mut() {
            f(k, &self.instance);
        }
    }

    /// Step 3: the scheduler's plan for the epoch, timed, and the capacity
    /// check of each job (MODEL.md §4 step 4). `None` if the scheduler failed
    /// (the run stops with its error).
    fn plan_and_check(
        &mut self,
        k: u64,
        t_k: u64,
        rec: &mut EpochRecord,
        ctx: &mut Context<'_, Event>,
    ) -> Option<(Plan, PlanCheck)> {
        let view = EpochView {
            epoch: k,
            t_k_ns: t_k,
            instance: &self.instance,
            gpus: self.pool.view(t_k + self.sys.t_u_ns),
        };
        let (plan, solve_ns) = match schedule_timed(&mut *self.scheduler, &view) {
            Ok(p) => p,
            Err(error) => {
                self.fail(SimError::Scheduler { epoch: k, error }, ctx);
                return None;
            }
        };
        let verdicts = check_plan(&view, &plan);
        rec.nodes = plan.work.nodes;
        rec.leaves = plan.work.leaves;
        rec.solve_ns = solve_ns;
        Some((plan, verdicts))
    }

    /// Step 4: starts every accepted job at `t_k + T_U`: its compute, first-token
    /// and delivery instants from the cost model of the GPUs it runs on, its KV
    /// memory on the pool, its events (MODEL.md §4 step 5, §5).
    fn start_jobs(
        &mut self,
        k: u64,
        t_k: u64,
        plan: &Plan,
        verdicts: &PlanCheck,
        rec: &mut EpochRecord,
        ctx: &mut Context<'_, Event>,
    ) -> Result<(), SimError> {
        let compute_start = t_k + self.sys.t_u_ns;
        self.taken.clear();
        self.taken.resize(self.pending.len(), false);
        let (mut up, mut down) = (0u64, 0u64);
        let (mut se_up, mut se_down) = (0.0, 0.0);
        let measured = t_k >= self.sys.warmup_ns;
        for (job, verdict) in plan.jobs.iter().zip(&verdicts.jobs) {
            let Ok(cost) = verdict else {
                rec.violations += 1;
                continue;
            };
            let s_pad = cost.s_pad;
            let time_err = || SimError::Time(format!("job of epoch {k} ends after u64::MAX ns"));
            let finish = compute_start
                .checked_add(cost.t_batch_ns)
                .ok_or_else(time_err)?;
            let delivery = finish.checked_add(self.sys.t_d_ns).ok_or_else(time_err)?;
            let slot = self.free_jobs.pop().unwrap_or_else(|| {
                self.jobs.push(JobState {
                    active: false,
                    computed: false,
                    placement: Placement::Pooled,
                    start_ns: 0,
                    first_token_ns: 0,
                    epoch: 0,
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
                    self.metrics.waiting(t_k - r.arrival_ns, r.class);
                }
                self.metrics.started(r.class);
                // The link drawn for the instance (kept for the epoch).
                let link = self.channel.link(r.user);
                se_up += link.se_up;
                se_down += link.se_down;
                if measured {
                    self.metrics.radio.uplink(link.se_up);
                    self.metrics.radio.downlink(link.se_down);
                }
                rec.selected.push(r.id);
                state.requests.push(r);
            }
            let levels = level_counts(state.requests.iter().map(|r| r.output));
            let cost_model = match job.placement {
                Placement::Pooled => &*self.instance.cost,
                Placement::Gpu(_) => self.pool.single_gpu_cost(),
            };
            let first = cost_model.first_token_ns(s_pad, &levels);
            state.active = true;
            state.computed = false;
            state.placement = job.placement;
            state.start_ns = compute_start;
            state.first_token_ns = compute_start + first;
            state.epoch = k;
            let occ = self
                .pool
                .start(
                    job.placement,
                    compute_start,
                    finish,
                    kv_peak_tokens(s_pad, &levels),
                )
                .map_err(|error| SimError::Kv { epoch: k, error })?;
            rec.kv_peak_bytes = rec.kv_peak_bytes.max(occ);
            self.metrics.kv_occupancy(occ);
            for (at, ev) in [
                (
                    finish,
                    Event::ComputeDone {
                        station: self.id,
                        job: slot,
                    },
                ),
                (
                    delivery,
                    Event::Delivered {
                        station: self.id,
                        job: slot,
                    },
                ),
            ] {
                ctx.schedule_at(SimTime::from_nanos(at), ev)
                    .map_err(|e| SimError::Time(e.to_string()))?;
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
        if rec.batch_size > 0 {
            rec.se_up_mean = Some(se_up / rec.batch_size as f64);
            rec.se_down_mean = Some(se_down / rec.batch_size as f64);
        }
        rec.selected.sort_unstable();
        Ok(())
    }

    /// Step 5: unscheduled requests stay pending (carry-over) or are dropped
    /// and counted expired (`DropUnscheduled`), MODEL.md §4.
    fn carry_over(&mut self, rec: &mut EpochRecord) {
        let drop_rest = self.sys.queue == QueuePolicy::DropUnscheduled;
        let mut i = 0;
        let taken = std::mem::take(&mut self.taken);
        let mut pending = std::mem::take(&mut self.pending);
        pending.retain(|r| {
            let scheduled = taken[i];
            i += 1;
            if !scheduled && drop_rest {
                rec.dropped += 1;
                self.settle_dropped(r, Outcome::Dropped);
            }
            !scheduled && !drop_rest
        });
        self.pending = pending;
        self.taken = taken;
    }
}
