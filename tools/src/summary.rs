//! `summary.json`: what one run measured, in seconds and counts, built from
//! the model's `RunOutput` (MODEL.md §8). The same record, without the
//! host-dependent `wall_s`, is kept per replication by `sweep`.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use sim_models::RunOutput;

/// Summary statistics of one time histogram, in seconds (`null` if empty).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quantiles {
    /// Recorded values, count.
    pub count: u64,
    /// Mean, s.
    pub mean: Option<f64>,
    /// Median, s.
    pub p50: Option<f64>,
    /// 90th percentile, s.
    pub p90: Option<f64>,
    /// 99th percentile, s.
    pub p99: Option<f64>,
    /// Largest value, s.
    pub max: Option<f64>,
}

impl Quantiles {
    /// From a histogram recorded in ns. Percentiles are HdrHistogram's
    /// `value_at_quantile` (the highest value equivalent to the recorded one,
    /// 3 significant digits); the mean is HdrHistogram's (median-equivalent values).
    pub fn of_ns(h: &Histogram<u64>) -> Quantiles {
        let s = |ns: u64| Some(ns as f64 / 1e9);
        if h.is_empty() {
            return Quantiles {
                count: 0,
                mean: None,
                p50: None,
                p90: None,
                p99: None,
                max: None,
            };
        }
        Quantiles {
            count: h.len(),
            mean: Some(h.mean() / 1e9),
            p50: s(h.value_at_quantile(0.5)),
            p90: s(h.value_at_quantile(0.9)),
            p99: s(h.value_at_quantile(0.99)),
            max: s(h.max()),
        }
    }
}

/// One run's results (`summary.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Scheduler name.
    pub scheduler: String,
    /// Master seed.
    pub seed: u64,
    /// Stopped before the horizon (Ctrl-C): the results cover `[0, end_s]`.
    pub partial: bool,
    /// Horizon `H`, s.
    pub horizon_s: f64,
    /// Warm-up `W`, s.
    pub warmup_s: f64,
    /// Simulated time reached, s.
    pub end_s: f64,
    /// Cohort requests (arrived at `≥ W`), count.
    pub arrived: u64,
    /// Rejected at arrival for accuracy (1e), count.
    pub rejected_accuracy: u64,
    /// Dropped as unable to meet their deadline, count.
    pub expired: u64,
    /// Delivered by their deadline, count.
    pub on_time: u64,
    /// Delivered after their deadline, count.
    pub late: u64,
    /// Still waiting at the end, count.
    pub pending: u64,
    /// Scheduled, not delivered by the end, count.
    pub in_flight: u64,
    /// Jobs refused by the base station's plan check (whole run), count.
    pub plan_violations: u64,
    /// Every request that arrived, warm-up included, count.
    pub arrived_total: u64,
    /// On-time cohort requests per second of `[W, end]`.
    pub throughput_rps: f64,
    /// The same per epoch (`× T_C`), the paper's metric.
    pub throughput_per_epoch: f64,
    /// End-to-end latency (delivery − arrival) of delivered cohort requests, s.
    pub latency_s: Quantiles,
    /// Waiting time `t_k − a_i`, s.
    pub waiting_s: Quantiles,
    /// First-token time (end of the initial stage − arrival), s.
    pub first_token_s: Quantiles,
    /// Mean requests started per measured epoch (empty epochs included).
    pub mean_batch_size: f64,
    /// Highest KV-cache occupancy of any job (weights included), bytes.
    pub kv_peak_bytes: f64,
    /// Epochs run, count.
    pub epochs: u64,
    /// Epochs with `t_k ≥ W`, count.
    pub measured_epochs: u64,
    /// Scheduler search nodes over all epochs (MODEL.md §7), count.
    pub nodes_total: u64,
    /// Mean GPU utilisation over `[W, end]`, fraction.
    pub gpu_utilisation: f64,
    /// Mean `Σ ρU` per measured epoch, fraction of the band.
    pub uplink_utilisation: f64,
    /// Mean `Σ ρD` per measured epoch, fraction of the band.
    pub downlink_utilisation: f64,
    /// Events the engine processed, count.
    pub events: u64,
    /// Wall-clock time of the run, s (host-dependent; absent in sweep records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_s: Option<f64>,
}

impl Summary {
    /// The summary of `out`, for master seed `seed`; `wall_s` only for `run`.
    pub fn new(out: &RunOutput, seed: u64, wall_s: Option<f64>) -> Summary {
        let c = &out.counts;
        let s = |ns: u64| ns as f64 / 1e9;
        Summary {
            scenario: out.scenario.clone(),
            scheduler: out.scheduler.clone(),
            seed,
            partial: out.partial,
            horizon_s: s(out.horizon_ns),
            warmup_s: s(out.warmup_ns),
            end_s: s(out.end_ns),
            arrived: c.arrived,
            rejected_accuracy: c.rejected_accuracy,
            expired: c.expired,
            on_time: c.on_time,
            late: c.late,
            pending: c.pending,
            in_flight: c.in_flight,
            plan_violations: c.plan_violations,
            arrived_total: out.arrived_total,
            throughput_rps: out.throughput_rps,
            throughput_per_epoch: out.throughput_per_epoch,
            latency_s: Quantiles::of_ns(&out.hist.latency),
            waiting_s: Quantiles::of_ns(&out.hist.waiting),
            first_token_s: Quantiles::of_ns(&out.hist.first_token),
            mean_batch_size: out.mean_batch_size,
            kv_peak_bytes: out.kv_peak_bytes,
            epochs: out.epochs,
            measured_epochs: out.measured_epochs,
            nodes_total: out.nodes_total,
            gpu_utilisation: out.gpu_utilisation,
            uplink_utilisation: out.uplink_utilisation,
            downlink_utilisation: out.downlink_utilisation,
            events: out.events_processed,
            wall_s,
        }
    }

    /// The short human summary `run` prints.
    pub fn human(&self) -> String {
        let q = |x: Option<f64>| x.map(|v| format!("{v:.3} s")).unwrap_or_else(|| "–".into());
        let l = &self.latency_s;
        format!(
            "{} ({}), seed {}: {:.0} s simulated (warm-up {:.0} s){}{}\n\
             arrived {}: on time {}, late {}, expired {}, rejected (accuracy) {}, pending {}, in flight {}; plan violations {}\n\
             throughput {:.3} req/s = {:.2} req/epoch; mean batch {:.2}; KV peak {:.3} GB\n\
             latency mean {}, p50 {}, p90 {}, p99 {}, max {}",
            self.scenario,
            self.scheduler,
            self.seed,
            self.end_s,
            self.warmup_s,
            self.wall_s
                .map(|w| format!(" in {w:.2} s wall, {} events", self.events))
                .unwrap_or_default(),
            if self.partial { " — PARTIAL (interrupted)" } else { "" },
            self.arrived,
            self.on_time,
            self.late,
            self.expired,
            self.rejected_accuracy,
            self.pending,
            self.in_flight,
            self.plan_violations,
            self.throughput_rps,
            self.throughput_per_epoch,
            self.mean_batch_size,
            self.kv_peak_bytes / 1e9,
            q(l.mean),
            q(l.p50),
            q(l.p90),
            q(l.p99),
            q(l.max),
        )
    }
}
