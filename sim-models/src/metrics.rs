//! Measurements (MODEL.md §8): the cohort counts and their accounting
//! identity, the histograms, and the per-epoch records.
//!
//! Counts and histograms cover the *cohort*: requests that arrive at or after
//! the warm-up `W`. Per-epoch aggregates (mean batch size, bandwidth use)
//! cover the epochs with `t_k ≥ W`. Nothing is kept per request after its
//! delivery, so memory stays flat however long the run.
//!
//! With service classes (MODEL.md §12) every per-request measure is also
//! kept per class ([`ClassMeasures`]): the counts, the latency, waiting,
//! first-token, slack and lateness histograms, and the requests started
//! per measured epoch. Each request adds to its class exactly what it adds
//! to the total, so the classes add up to the total. In continuous serving
//! (MODEL.md §13) the KV blocks in use are split by the class of the
//! request holding them (the `kv_blocks` histogram and
//! [`ClassOutput::kv_block_utilisation`]), so the classes' utilisations add
//! up to the total's too. What belongs to jobs or epochs, not to requests
//! (KV peak, plan violations, search nodes, solve time, GPU and band use),
//! is reported in total only.
//!
//! The fate of each cohort request can also be streamed, as it is settled,
//! to a [`RequestHook`] ([`RequestRecord`], the per-request log).

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::request::Request;

pub use crate::hist::{record, HIST_SIGFIG};

/// The cohort counts of MODEL.md §8.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Requests that arrived at `a_i ≥ W` (rejected ones included).
    pub arrived: u64,
    /// Rejected at arrival: `ΔPPL > ε_i` (1e).
    pub rejected_accuracy: u64,
    /// Dropped because they could no longer meet their deadline, or left
    /// unscheduled under `DropUnscheduled` (MODEL.md §4).
    pub expired: u64,
    /// Delivered by their deadline (at `≤ H`).
    pub on_time: u64,
    /// Delivered after their deadline (at `≤ H`).
    pub late: u64,
    /// Still waiting at the end of the run.
    pub pending: u64,
    /// Scheduled but not delivered by the end of the run.
    pub in_flight: u64,
    /// Jobs the base station refused because they violated a capacity
    /// constraint (whole run, warm-up included: any violation is a scheduler bug).
    pub plan_violations: u64,
    /// Rejected at upload because they need more KV blocks than an instance
    /// has (continuous serving, MODEL.md §13; 0 in the epoch pipeline).
    pub rejected_capacity: u64,
    /// Preemptions of cohort requests (continuous serving, MODEL.md §13; a
    /// request may be preempted several times; not an outcome).
    pub preemptions: u64,
}

impl Counts {
    /// `rejected_accuracy + rejected_capacity + expired + on_time + late + pending + in_flight`,
    /// which must equal `arrived`.
    pub fn accounted(&self) -> u64 {
        self.rejected_accuracy
            + self.rejected_capacity
            + self.expired
            + self.on_time
            + self.late
            + self.pending
            + self.in_flight
    }

    /// Whether the accounting identity of MODEL.md §8 holds.
    pub fn identity_holds(&self) -> bool {
        self.arrived == self.accounted()
    }
}

/// The histograms of MODEL.md §8 (HdrHistogram, 3 significant digits).
#[derive(Clone, Debug)]
pub struct Histograms {
    /// End-to-end latency (delivery − arrival) of every delivered cohort request, ns.
    pub latency: Histogram<u64>,
    /// Waiting time `t_k − a_i` of the epoch that scheduled it, ns.
    pub waiting: Histogram<u64>,
    /// First token: end of the initial stage on the GPU − arrival, ns.
    pub first_token: Histogram<u64>,
    /// Slack `D_i − delivery` of on-time requests, ns.
    pub slack: Histogram<u64>,
    /// Lateness `delivery − D_i` of late requests, ns.
    pub lateness: Histogram<u64>,
    /// Requests started per epoch (`t_k ≥ W`, empty epochs included), count.
    pub batch_size: Histogram<u64>,
    /// Scheduler wall time per call (`t_k ≥ W`), ns. Host-dependent.
    pub solve_ns: Histogram<u64>,
    /// Time to first token at the user (MODEL.md §13): arrival to the instant
    /// the first output token has reached the user, ns. In the epoch pipeline
    /// and with `delivery: AtEnd` the output arrives whole, so this is the delivery instant.
    pub ttft: Histogram<u64>,
    /// Time per output token at the user, `(last − first)/(n_i − 1)` for
    /// delivered requests with `n_i > 1`, ns (0 when the output arrives whole).
    pub tpot: Histogram<u64>,
    /// KV-block utilisation over time (continuous serving): blocks in use as
    /// per-mille of the pool, each value weighted by the µs an instance spent
    /// at it within `[W, end]` (idle time at 0).
    pub kv_blocks: Histogram<u64>,
}

impl Default for Histograms {
    fn default() -> Self {
        let h = || Histogram::new(HIST_SIGFIG).expect("3 significant digits is valid");
        Histograms {
            latency: h(),
            waiting: h(),
            first_token: h(),
            slack: h(),
            lateness: h(),
            batch_size: h(),
            solve_ns: h(),
            ttft: h(),
            tpot: h(),
            kv_blocks: h(),
        }
    }
}

/// What happened in one epoch (MODEL.md §8).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EpochRecord {
    /// Epoch index `k`.
    pub epoch: u64,
    /// Scheduling instant `t_k`, ns.
    pub t_k_ns: u64,
    /// Requests dropped at `t_k` because they could no longer meet their deadline (all, not only the cohort).
    pub expired: u64,
    /// Pending requests handed to the scheduler (after expiry), count.
    pub queue_len: u64,
    /// Requests started, count.
    pub batch_size: u64,
    /// Jobs started, count.
    pub jobs: u64,
    /// Padded prompt length `s'` (largest over the jobs started), tokens; 0 if none.
    pub s_pad: u32,
    /// Compute time `t_batch` (longest over the jobs started), ns; 0 if none.
    pub t_batch_ns: u64,
    /// Highest KV-cache occupancy brought by a job started (weights included), bytes; 0 if none.
    pub kv_peak_bytes: f64,
    /// `Σ ρU` of the jobs started.
    pub rho_up: f64,
    /// `Σ ρD` of the jobs started.
    pub rho_down: f64,
    /// Search nodes the scheduler visited (MODEL.md §7).
    pub nodes: u64,
    /// Leaves the scheduler checked.
    pub leaves: u64,
    /// Scheduler wall time, ns (host-dependent: the only non-deterministic field).
    pub solve_ns: u64,
    /// Jobs refused by the plan check, count.
    pub violations: u64,
    /// Ids of the requests started, ascending.
    pub selected: Vec<u64>,
    /// Requests left unscheduled and dropped under `DropUnscheduled` (all, not only the cohort).
    pub dropped: u64,
    /// Cohort requests delivered on time so far in the run (running total, for progress displays).
    pub on_time_so_far: u64,
    /// Mean uplink spectral efficiency `SE^U` of the requests started, b/s/Hz
    /// (`None`: none started; MODEL.md §3, §14).
    pub se_up_mean: Option<f64>,
    /// Mean downlink spectral efficiency `SE^D` of the requests started, b/s/Hz.
    pub se_down_mean: Option<f64>,
    /// Users with a pending request whose `SE^U` is 0 in the epoch (below
    /// CQI 1, MODEL.md §14: `ρU` infinite, they cannot upload), count.
    pub no_rate_users: u64,
}

/// Everything a run measured (MODEL.md §8).
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// Scenario name.
    pub scenario: String,
    /// Scheduler name.
    pub scheduler: String,
    /// Whether the run was stopped before its horizon (Ctrl-C): results cover `[0, end_ns]`.
    pub partial: bool,
    /// Simulated time reached, ns (the horizon unless partial).
    pub end_ns: u64,
    /// Horizon `H`, ns.
    pub horizon_ns: u64,
    /// Warm-up `W`, ns.
    pub warmup_ns: u64,
    /// The cohort counts.
    pub counts: Counts,
    /// Every request that arrived, warm-up included, count.
    pub arrived_total: u64,
    /// On-time cohort requests per second: `on_time / (end − W)`.
    pub throughput_rps: f64,
    /// The same per epoch: `throughput_rps · T_C`.
    pub throughput_per_epoch: f64,
    /// Epochs run, count.
    pub epochs: u64,
    /// Epochs with `t_k ≥ W`, count.
    pub measured_epochs: u64,
    /// Mean requests started per measured epoch (empty epochs included).
    pub mean_batch_size: f64,
    /// Highest KV-cache occupancy of any job (pooled for batches, per GPU for single jobs), bytes.
    pub kv_peak_bytes: f64,
    /// Per-GPU busy time inside `[W, end]`, ns.
    pub gpu_busy_ns: Vec<u64>,
    /// Mean GPU utilisation: `Σ busy / (G·(end − W))`.
    pub gpu_utilisation: f64,
    /// Mean `Σ ρU` per measured epoch (the share of the uplink slot's band
    /// used); in continuous serving, the share of `[W, end]` the uplink spent
    /// sending (NaN without a radio).
    pub uplink_utilisation: f64,
    /// Mean `Σ ρD` per measured epoch; in continuous serving as `uplink_utilisation`.
    pub downlink_utilisation: f64,
    /// The radio's measures (MODEL.md §14): SE of the served requests, uploads without a rate.
    pub radio: crate::radio::RadioSummary,
    /// Search nodes over all epochs.
    pub nodes_total: u64,
    /// Instance iterations run (continuous serving; 0 in the epoch pipeline).
    pub iterations: u64,
    /// Time-weighted mean share of KV blocks in use over `[W, end]` and every
    /// instance (continuous serving; `None` in the epoch pipeline).
    pub kv_block_utilisation: Option<f64>,
    /// Events the engine processed.
    pub events_processed: u64,
    /// The histograms.
    pub hist: Histograms,
    /// Per-epoch records, if the run was asked to keep them (`RunOptions::keep_epoch_records`).
    pub epoch_records: Vec<EpochRecord>,
    /// Per service class, in the scenario's order (empty without classes).
    pub classes: Vec<ClassOutput>,
}

/// What finally happened to a cohort request (the per-request log; MODEL.md §8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Rejected at arrival: `ΔPPL > ε_i` (1e).
    RejectedAccuracy,
    /// Dropped at an epoch because it could no longer meet its deadline.
    Expired,
    /// Left unscheduled and dropped under `DropUnscheduled` (counted in `expired`).
    Dropped,
    /// Delivered by its deadline.
    OnTime,
    /// Delivered after its deadline.
    Late,
    /// Still waiting at the end of the run.
    Pending,
    /// Scheduled, not delivered by the end of the run.
    InFlight,
    /// Rejected at upload: it needs more KV blocks than an instance has
    /// (continuous serving only, MODEL.md §13).
    RejectedCapacity,
}

impl Outcome {
    /// Every outcome, in the order of the counts.
    pub const ALL: [Outcome; 8] = [
        Outcome::RejectedAccuracy,
        Outcome::Expired,
        Outcome::Dropped,
        Outcome::OnTime,
        Outcome::Late,
        Outcome::Pending,
        Outcome::InFlight,
        Outcome::RejectedCapacity,
    ];

    /// Its name in the per-request log: the [`Counts`] field it adds to
    /// (`dropped` adds to `expired`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::RejectedAccuracy => "rejected_accuracy",
            Outcome::Expired => "expired",
            Outcome::Dropped => "dropped",
            Outcome::OnTime => "on_time",
            Outcome::Late => "late",
            Outcome::Pending => "pending",
            Outcome::InFlight => "in_flight",
            Outcome::RejectedCapacity => "rejected_capacity",
        }
    }
}

/// One cohort request and its fate: a row of the per-request log.
///
/// The epoch pipeline fills `epoch` and leaves the continuous-serving
/// fields (`uploaded_ns`, `admitted_ns`, `user_first_token_ns`,
/// `preemptions`) at `None`/0; continuous serving (MODEL.md §13) leaves
/// `epoch` at `None` and fills them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RequestRecord {
    /// Request id (arrival order).
    pub id: u64,
    /// Arrival instant `a_i`, ns.
    pub arrival_ns: u64,
    /// The sending user.
    pub user: u32,
    /// Service class index (0 without classes).
    pub class: u16,
    /// Prompt length `s_i`, tokens.
    pub prompt: u32,
    /// Output length `n_i`, tokens.
    pub output: u32,
    /// Deadline `D_i`, ns.
    pub deadline_ns: u64,
    /// What happened to it.
    pub outcome: Outcome,
    /// The epoch `k` that scheduled it, if one did.
    pub epoch: Option<u64>,
    /// The instant its first token was computed (end of the initial
    /// stage; in continuous serving, the end of the iteration that emitted
    /// its first output token), ns, if that happened by the end of the run.
    pub first_token_ns: Option<u64>,
    /// Its delivery instant (continuous serving: its last token at the
    /// user), ns, if delivered.
    pub delivery_ns: Option<u64>,
    /// Continuous serving: the instant its prompt had reached the base
    /// station and it joined an instance's waiting queue, ns, if it did.
    pub uploaded_ns: Option<u64>,
    /// Continuous serving: the instant it was first admitted to a running
    /// batch (the start of that iteration), ns, if it was.
    pub admitted_ns: Option<u64>,
    /// Continuous serving: the instant its first output token reached the
    /// user (TTFT = this − arrival), ns, if it did.
    pub user_first_token_ns: Option<u64>,
    /// Continuous serving: times it was preempted (0 in the epoch pipeline).
    pub preemptions: u32,
}

impl RequestRecord {
    /// The row of request `r` with fate `outcome`: its own fields copied,
    /// every instant of its fate `None`, no preemption (each pipeline sets
    /// what it has).
    pub fn of(r: &Request, outcome: Outcome) -> RequestRecord {
        RequestRecord {
            id: r.id,
            arrival_ns: r.arrival_ns,
            user: r.user,
            class: r.class,
            prompt: r.prompt,
            output: r.output,
            deadline_ns: r.deadline_ns,
            outcome,
            epoch: None,
            first_token_ns: None,
            delivery_ns: None,
            uploaded_ns: None,
            admitted_ns: None,
            user_first_token_ns: None,
            preemptions: 0,
        }
    }
}

/// The per-request callback: called once per cohort request, when its fate is settled.
pub type RequestHook<'a> = dyn FnMut(&RequestRecord) + 'a;

/// The per-period histogram callback of continuous serving: a cut instant
/// `W + j·P` (ns) and the run's histograms as they stood there (cumulative
/// since the warm-up, MODEL.md §8), for `.hlog` files with one interval per
/// period.
pub type PeriodHook<'a> = dyn FnMut(u64, &Histograms) + 'a;

/// The per-request measures of one service class (MODEL.md §12): what
/// [`Metrics`] keeps in total, for the requests of that class.
#[derive(Clone, Debug, Default)]
pub struct ClassMeasures {
    /// The cohort counts of the class (`plan_violations` is always 0: a
    /// refused job is no request's).
    pub counts: Counts,
    /// Its histograms: `batch_size` counts the class's requests started
    /// per measured epoch; `solve_ns` stays empty; `kv_blocks` (continuous
    /// serving) holds the per-mille of an instance's blocks held by the
    /// class's requests, weighted by µs as the total's (idle time at 0).
    pub hist: Histograms,
    /// Requests of the class started over the measured epochs.
    pub batch_sum: u64,
    /// Requests of the class started in the current epoch.
    started_now: u64,
}

/// What a run measured for one service class (MODEL.md §12).
#[derive(Clone, Debug)]
pub struct ClassOutput {
    /// Class name.
    pub name: String,
    /// Its share of the arrivals (from the scenario).
    pub share: f64,
    /// The cohort counts of its requests.
    pub counts: Counts,
    /// Its on-time requests per second: `on_time / (end − W)`.
    pub throughput_rps: f64,
    /// The same per epoch: `throughput_rps · T_C`.
    pub throughput_per_epoch: f64,
    /// Mean requests of the class started per measured epoch.
    pub mean_batch_size: f64,
    /// Time-weighted mean share of the KV blocks held by the class's
    /// requests over `[W, end]` and every instance: `Σ blocks held × time`
    /// over the pool's `num_blocks × instances × (end − W)`, the total's
    /// denominator, so the classes add up to [`RunOutput::kv_block_utilisation`]
    /// (continuous serving, MODEL.md §12–13; `None` exactly when the total is).
    pub kv_block_utilisation: Option<f64>,
    /// Its histograms (see [`ClassMeasures::hist`]).
    pub hist: Histograms,
}

impl ClassOutput {
    /// Class `name` (arrival share `share`) from its measurements `c` over a
    /// measured window of `window_s` s (≤ 0: no window, rates 0) with epochs
    /// of `t_c_ns` ns (MODEL.md §8, §12): `throughput_rps = on_time /
    /// window`, `throughput_per_epoch` that times `T_C`. `mean_batch_size`
    /// is 0 and `kv_block_utilisation` `None`: the pipeline that has them
    /// sets them.
    pub fn from_measures(
        name: String,
        share: f64,
        c: ClassMeasures,
        window_s: f64,
        t_c_ns: u64,
    ) -> ClassOutput {
        let rps = if window_s > 0.0 {
            c.counts.on_time as f64 / window_s
        } else {
            0.0
        };
        ClassOutput {
            name,
            share,
            counts: c.counts,
            throughput_rps: rps,
            throughput_per_epoch: rps * t_c_ns as f64 / 1e9,
            mean_batch_size: 0.0,
            kv_block_utilisation: None,
            hist: c.hist,
        }
    }
}

/// The running measurements of one base station (MODEL.md §8): the pipeline
/// reports what happens, this accumulates it.
#[derive(Debug, Default)]
pub struct Metrics {
    /// The cohort counts.
    pub counts: Counts,
    /// Every request that arrived, warm-up included.
    pub arrived_total: u64,
    /// The histograms.
    pub hist: Histograms,
    /// Epochs run.
    pub epochs: u64,
    /// Epochs with `t_k ≥ W`.
    pub measured_epochs: u64,
    /// Requests started over the measured epochs.
    pub batch_sum: u64,
    /// `Σ ρU` over the measured epochs.
    pub rho_up_sum: f64,
    /// `Σ ρD` over the measured epochs.
    pub rho_down_sum: f64,
    /// Highest KV-cache occupancy of any job, bytes.
    pub kv_peak_bytes: f64,
    /// Search nodes over all epochs.
    pub nodes_total: u64,
    /// Per-epoch records, if kept.
    pub records: Vec<EpochRecord>,
    /// The radio's measures (MODEL.md §14).
    pub radio: crate::radio::RadioTally,
    /// Per service class (empty without classes).
    pub classes: Vec<ClassMeasures>,
    keep_records: bool,
}

impl Metrics {
    /// Empty measurements; `keep_records` keeps every [`EpochRecord`];
    /// `classes` service classes are measured apart (0: none).
    pub fn new(keep_records: bool, classes: usize) -> Metrics {
        Metrics {
            keep_records,
            classes: vec![ClassMeasures::default(); classes],
            ..Metrics::default()
        }
    }

    /// The measures of class `class`, if classes are measured.
    fn class(&mut self, class: u16) -> Option<&mut ClassMeasures> {
        self.classes.get_mut(class as usize)
    }

    /// Books `f` in the total and, if classes are measured, in class `class`:
    /// every per-class measure is also the total's (MODEL.md §12).
    fn book(&mut self, class: u16, f: impl Fn(&mut Counts, &mut Histograms)) {
        f(&mut self.counts, &mut self.hist);
        if let Some(c) = self.classes.get_mut(class as usize) {
            f(&mut c.counts, &mut c.hist);
        }
    }

    /// A request of class `class` arrived; `counted` if it belongs to the cohort.
    pub fn arrival(&mut self, counted: bool, class: u16) {
        self.arrived_total += 1;
        self.counts.arrived += counted as u64;
        if let Some(c) = self.class(class) {
            c.counts.arrived += counted as u64;
        }
    }

    /// A cohort request of class `class` was rejected at arrival (1e).
    pub fn rejected_accuracy(&mut self, class: u16) {
        self.book(class, |c, _| c.rejected_accuracy += 1);
    }

    /// A cohort request of class `class` expired or was dropped unscheduled.
    pub fn expired(&mut self, class: u16) {
        self.book(class, |c, _| c.expired += 1);
    }

    /// An idle instance spent `us` µs of `[W, end]` at 0 KV blocks in use:
    /// booked at 0 in the total's `kv_blocks` and in every class's (continuous serving).
    pub fn kv_idle(&mut self, us: u64) {
        self.hist.kv_blocks.saturating_record_n(0, us);
        for c in &mut self.classes {
            c.hist.kv_blocks.saturating_record_n(0, us);
        }
    }

    /// A cohort request of class `class` was still pending at the end.
    pub fn pending(&mut self, class: u16) {
        self.book(class, |c, _| c.pending += 1);
    }

    /// A cohort request of class `class` was in flight at the end.
    pub fn in_flight(&mut self, class: u16) {
        self.book(class, |c, _| c.in_flight += 1);
    }

    /// A request of class `class` (cohort or not) was started in the current epoch.
    pub fn started(&mut self, class: u16) {
        if let Some(c) = self.class(class) {
            c.started_now += 1;
        }
    }

    /// A cohort request of class `class` was scheduled after waiting `ns`.
    pub fn waiting(&mut self, ns: u64, class: u16) {
        self.book(class, |_, h| record(&mut h.waiting, ns));
    }

    /// A job's KV occupancy, bytes (for the run's peak).
    pub fn kv_occupancy(&mut self, bytes: f64) {
        self.kv_peak_bytes = self.kv_peak_bytes.max(bytes);
    }

    /// A cohort request of class `class` had its first token `ns` after its arrival.
    pub fn first_token(&mut self, ns: u64, class: u16) {
        self.book(class, |_, h| record(&mut h.first_token, ns));
    }

    /// A cohort request of class `class` was rejected at upload: it needs
    /// more KV blocks than an instance has (MODEL.md §13).
    pub fn rejected_capacity(&mut self, class: u16) {
        self.book(class, |c, _| c.rejected_capacity += 1);
    }

    /// A cohort request of class `class` had its first output token at the
    /// user `ns` after its arrival (TTFT).
    pub fn ttft(&mut self, ns: u64, class: u16) {
        self.book(class, |_, h| record(&mut h.ttft, ns));
    }

    /// A delivered cohort request of class `class` with `n` output tokens got
    /// its first token at the user at `first_ns` and its last at `last_ns`:
    /// TPOT `(last − first)/(n − 1)`, rounded down to the ns, if `n > 1`.
    pub fn tpot(&mut self, first_ns: u64, last_ns: u64, n: u32, class: u16) {
        if n > 1 {
            let v = (last_ns - first_ns) / (n as u64 - 1);
            self.book(class, |_, h| record(&mut h.tpot, v));
        }
    }

    /// A cohort request of class `class` was delivered at `t_ns`, having
    /// arrived at `arrival_ns` with deadline `deadline_ns`: on time iff
    /// `t ≤ D_i` (MODEL.md §4). Returns its outcome.
    pub fn delivered(
        &mut self,
        t_ns: u64,
        arrival_ns: u64,
        deadline_ns: u64,
        class: u16,
    ) -> Outcome {
        let on_time = t_ns <= deadline_ns;
        let add = |counts: &mut Counts, hist: &mut Histograms| {
            record(&mut hist.latency, t_ns - arrival_ns);
            if on_time {
                counts.on_time += 1;
                record(&mut hist.slack, deadline_ns - t_ns);
            } else {
                counts.late += 1;
                record(&mut hist.lateness, t_ns - deadline_ns);
            }
        };
        self.book(class, add);
        if on_time {
            Outcome::OnTime
        } else {
            Outcome::Late
        }
    }

    /// Closes epoch `rec` (measured if `t_k ≥ W`); returns the record with its
    /// running on-time total filled in, for the caller's sink.
    pub fn epoch_done(&mut self, mut rec: EpochRecord, measured: bool) -> EpochRecord {
        self.epochs += 1;
        self.counts.plan_violations += rec.violations;
        self.nodes_total += rec.nodes;
        if measured {
            self.measured_epochs += 1;
            self.batch_sum += rec.batch_size;
            self.rho_up_sum += rec.rho_up;
            self.rho_down_sum += rec.rho_down;
            self.radio.no_rate(rec.no_rate_users);
            record(&mut self.hist.batch_size, rec.batch_size);
            record(&mut self.hist.solve_ns, rec.solve_ns);
        }
        for c in &mut self.classes {
            if measured {
                c.batch_sum += c.started_now;
                record(&mut c.hist.batch_size, c.started_now);
            }
            c.started_now = 0;
        }
        rec.on_time_so_far = self.counts.on_time;
        if self.keep_records {
            self.records.push(rec.clone());
        }
        rec
    }
}
