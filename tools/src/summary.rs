//! `summary.json`: what one run measured, in seconds and counts, built from
//! the model's `RunOutput` (MODEL.md §8). The same record, without the
//! host-dependent `wall_s`, is kept per replication by `sweep`. With service
//! classes (MODEL.md §12) it has a `classes` object, keyed by class name in
//! the scenario's order, holding the per-request measures of each class
//! ([`ClassSummary`]); without classes the key is absent.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use sim_models::{ClassOutput, RunOutput};

/// Summary statistics of one time histogram, in seconds. Every value but
/// `count` is HdrHistogram's, not a recorded value (hence `_hdr`): a
/// percentile or the max is the highest value equivalent to the recorded
/// one at 3 significant digits, the mean is over median-equivalent values.
/// Absent (`null`) when nothing was recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quantiles {
    /// Recorded values, count (exact).
    pub count: u64,
    /// Mean, s (HdrHistogram's).
    pub mean_hdr: f64,
    /// Median, s (HdrHistogram's).
    pub p50_hdr: f64,
    /// 90th percentile, s (HdrHistogram's).
    pub p90_hdr: f64,
    /// 99th percentile, s (HdrHistogram's).
    pub p99_hdr: f64,
    /// Largest value, s (HdrHistogram's: the top of the recorded max's bucket).
    pub max_hdr: f64,
}

impl Quantiles {
    /// From a histogram recorded in ns; `None` if it is empty.
    pub fn of_ns(h: &Histogram<u64>) -> Option<Quantiles> {
        if h.is_empty() {
            return None;
        }
        let s = |ns: u64| ns as f64 / 1e9;
        Some(Quantiles {
            count: h.len(),
            mean_hdr: h.mean() / 1e9,
            p50_hdr: s(h.value_at_quantile(0.5)),
            p90_hdr: s(h.value_at_quantile(0.9)),
            p99_hdr: s(h.value_at_quantile(0.99)),
            max_hdr: s(h.max()),
        })
    }
}

/// One direction's spectral efficiency over the served requests, b/s/Hz:
/// the exact mean and HdrHistogram's percentiles (`_hdr`, 3 significant
/// digits, as the latency's) (`summary.json`'s `radio.se_up`,
/// `radio.se_down`; docs/radio.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeQuantiles {
    /// Requests, count.
    pub count: u64,
    /// Mean, b/s/Hz (exact).
    pub mean: f64,
    /// 5th percentile, b/s/Hz (HdrHistogram's).
    pub p5_hdr: f64,
    /// 25th percentile, b/s/Hz (HdrHistogram's).
    pub p25_hdr: f64,
    /// Median, b/s/Hz (HdrHistogram's).
    pub p50_hdr: f64,
    /// 75th percentile, b/s/Hz (HdrHistogram's).
    pub p75_hdr: f64,
    /// 95th percentile, b/s/Hz (HdrHistogram's).
    pub p95_hdr: f64,
}

/// `summary.json`'s `radio` object (MODEL.md §14).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Radio {
    /// Uplink `SE^U` of the measured requests served (`null`: none).
    pub se_up: Option<SeQuantiles>,
    /// Downlink `SE^D` of the measured requests served (`null`: none).
    pub se_down: Option<SeQuantiles>,
    /// Uploads that had no rate (`SE^U = 0`): in epochs, user-epochs (per
    /// measured epoch, the users with a pending request and `SE^U = 0`);
    /// in continuous serving, cohort uploads that started without a rate.
    pub no_rate: u64,
}

impl Radio {
    /// From the model's summary.
    pub fn new(r: &sim_models::radio::RadioSummary) -> Radio {
        let q = |s: &Option<sim_models::radio::SeSummary>| {
            s.as_ref().map(|s| SeQuantiles {
                count: s.count,
                mean: s.mean,
                p5_hdr: s.p5_hdr,
                p25_hdr: s.p25_hdr,
                p50_hdr: s.p50_hdr,
                p75_hdr: s.p75_hdr,
                p95_hdr: s.p95_hdr,
            })
        };
        Radio {
            se_up: q(&r.se_up),
            se_down: q(&r.se_down),
            no_rate: r.no_rate,
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
    /// On-time cohort requests per second of `[W, end]` (`null`: the run
    /// stopped before `W`, nothing was measured).
    pub throughput_rps: Option<f64>,
    /// The same per epoch (`× T_C`), the paper's metric (`null` as above).
    pub throughput_per_epoch: Option<f64>,
    /// End-to-end latency (delivery − arrival) of delivered cohort requests, s
    /// (`null`: none delivered).
    pub latency_s: Option<Quantiles>,
    /// Waiting time `t_k − a_i`, s (`null`: none scheduled).
    pub waiting_s: Option<Quantiles>,
    /// First-token time (end of the initial stage − arrival), s (`null`: none).
    pub first_token_s: Option<Quantiles>,
    /// Time to first token at the user, s (`null`: none). In the epoch
    /// pipeline (and with `delivery: AtEnd`) outputs go down whole, so this
    /// is the delivery instant − arrival (MODEL.md §13).
    #[serde(default)]
    pub ttft_s: Option<Quantiles>,
    /// Time per output token at the user, `(last − first)/(n − 1)`, s, over
    /// delivered requests with `n > 1` (`null`: none; 0 when outputs go down whole).
    #[serde(default)]
    pub tpot_s: Option<Quantiles>,
    /// Rejected at upload for KV capacity (continuous serving), count.
    #[serde(default)]
    pub rejected_capacity: u64,
    /// Preemptions of cohort requests (continuous serving), count.
    #[serde(default)]
    pub preemptions: u64,
    /// On-time cohort requests per second of `[W, end]` — goodput, the same
    /// number as `throughput_rps` under the serving literature's name.
    #[serde(default)]
    pub goodput_rps: Option<f64>,
    /// Instance iterations run (continuous serving; 0 in the epoch pipeline), count.
    #[serde(default)]
    pub iterations: u64,
    /// Time-weighted mean share of KV blocks in use over `[W, end]` and every
    /// instance (continuous serving; `null` in the epoch pipeline).
    #[serde(default)]
    pub kv_block_utilisation: Option<f64>,
    /// Mean requests started per measured epoch, empty epochs included
    /// (`null`: no measured epoch).
    pub mean_batch_size: Option<f64>,
    /// Highest KV-cache occupancy of any job (weights included), bytes.
    pub kv_peak_bytes: f64,
    /// Epochs run, count.
    pub epochs: u64,
    /// Epochs with `t_k ≥ W`, count.
    pub measured_epochs: u64,
    /// Scheduler search nodes over all epochs (MODEL.md §7), count.
    pub nodes_total: u64,
    /// Mean GPU utilisation over `[W, end]`, fraction (`null`: the run
    /// stopped before `W`).
    pub gpu_utilisation: Option<f64>,
    /// Mean `Σ ρU` per measured epoch, fraction of the band (`null`: no
    /// measured epoch).
    pub uplink_utilisation: Option<f64>,
    /// Mean `Σ ρD` per measured epoch, fraction of the band (`null`: no
    /// measured epoch).
    pub downlink_utilisation: Option<f64>,
    /// The radio (MODEL.md §14; docs/radio.md): SE of the served requests,
    /// uploads without a rate. Absent in summaries written before it existed.
    #[serde(default)]
    pub radio: Radio,
    /// Events the engine processed, count.
    pub events: u64,
    /// Per service class, keyed by name in the scenario's order (absent without classes).
    #[serde(default, skip_serializing_if = "Classes::is_empty")]
    pub classes: Classes,
    /// Wall-clock time of the run, s (host-dependent; absent in sweep records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_s: Option<f64>,
}

impl Summary {
    /// The summary of `out`, for master seed `seed`; `wall_s` only for `run`.
    pub fn new(out: &RunOutput, seed: u64, wall_s: Option<f64>) -> Summary {
        let c = &out.counts;
        // Nothing is measured before the warm-up ends: report `null`, not 0.
        let measured_time = out.end_ns > out.warmup_ns;
        let measured_epochs = out.measured_epochs > 0;
        let when = |measured: bool, x: f64| measured.then_some(x);
        let s = |ns: u64| ns as f64 / 1e9;
        // Epochs: per measured epoch; continuous serving (no epochs): over
        // the measured window, NaN (`null`) without a radio (ideal links).
        let link_share = |x: f64| {
            if out.epochs > 0 {
                when(measured_epochs, x)
            } else {
                when(measured_time, x).filter(|x| x.is_finite())
            }
        };
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
            throughput_rps: when(measured_time, out.throughput_rps),
            throughput_per_epoch: when(measured_time, out.throughput_per_epoch),
            latency_s: Quantiles::of_ns(&out.hist.latency),
            waiting_s: Quantiles::of_ns(&out.hist.waiting),
            first_token_s: Quantiles::of_ns(&out.hist.first_token),
            ttft_s: Quantiles::of_ns(&out.hist.ttft),
            tpot_s: Quantiles::of_ns(&out.hist.tpot),
            rejected_capacity: c.rejected_capacity,
            preemptions: c.preemptions,
            goodput_rps: when(measured_time, out.throughput_rps),
            iterations: out.iterations,
            kv_block_utilisation: out.kv_block_utilisation,
            mean_batch_size: when(measured_epochs, out.mean_batch_size),
            kv_peak_bytes: out.kv_peak_bytes,
            epochs: out.epochs,
            measured_epochs: out.measured_epochs,
            nodes_total: out.nodes_total,
            gpu_utilisation: when(measured_time, out.gpu_utilisation),
            uplink_utilisation: link_share(out.uplink_utilisation),
            downlink_utilisation: link_share(out.downlink_utilisation),
            radio: Radio::new(&out.radio),
            events: out.events_processed,
            classes: Classes(
                out.classes
                    .iter()
                    .map(|c| {
                        (
                            c.name.clone(),
                            ClassSummary::new(c, measured_time, measured_epochs),
                        )
                    })
                    .collect(),
            ),
            wall_s,
        }
    }

    /// The short human summary `run` prints ("not measured" for what the
    /// run did not measure).
    pub fn human(&self) -> String {
        const NOT: &str = "not measured";
        let throughput = match (self.throughput_rps, self.throughput_per_epoch) {
            (Some(r), Some(e)) => format!("throughput {r:.3} req/s = {e:.2} req/epoch"),
            _ => format!("throughput {NOT} (stopped before the warm-up ended)"),
        };
        let batch = self
            .mean_batch_size
            .map_or_else(|| NOT.to_string(), |b| format!("{b:.2}"));
        let latency = match &self.latency_s {
            Some(l) => format!(
                "latency (HdrHistogram, 3 digits) mean {:.3} s, p50 {:.3} s, p90 {:.3} s, p99 {:.3} s, max {:.3} s",
                l.mean_hdr, l.p50_hdr, l.p90_hdr, l.p99_hdr, l.max_hdr
            ),
            None => format!("latency {NOT} (no request delivered)"),
        };
        // Continuous serving (MODEL.md §13): its own line, absent in the epoch pipeline.
        let continuous = if self.iterations > 0 {
            let q = |x: &Option<Quantiles>| {
                x.as_ref().map_or_else(
                    || NOT.to_string(),
                    |q| format!("p50 {:.4} s, p99 {:.4} s", q.p50_hdr, q.p99_hdr),
                )
            };
            format!(
                "\n{} iterations; preemptions {}, rejected (capacity) {}; KV blocks in use {}; TTFT {}; TPOT {}",
                self.iterations,
                self.preemptions,
                self.rejected_capacity,
                self.kv_block_utilisation
                    .map_or_else(|| NOT.to_string(), |u| format!("{:.1} %", 100.0 * u)),
                q(&self.ttft_s),
                q(&self.tpot_s),
            )
        } else {
            String::new()
        };
        format!(
            "{} ({}), seed {}: {:.0} s simulated (warm-up {:.0} s){}{}\n\
             arrived {}: on time {}, late {}, expired {}, rejected (accuracy) {}, pending {}, in flight {}; plan violations {}\n\
             {throughput}; mean batch {batch}; KV peak {:.3} GB\n\
             {latency}{continuous}",
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
            self.kv_peak_bytes / 1e9,
        ) + &self.human_classes()
    }

    /// One line per service class (nothing without classes).
    fn human_classes(&self) -> String {
        let mut s = String::new();
        for (name, c) in &self.classes.0 {
            let latency = c.latency_s.as_ref().map_or_else(
                || "latency not measured".to_string(),
                |l| format!("latency mean {:.3} s, p99 {:.3} s", l.mean_hdr, l.p99_hdr),
            );
            let kv = c.kv_block_utilisation.map_or_else(String::new, |u| {
                format!("; KV blocks held {:.1} %", 100.0 * u)
            });
            s += &format!(
                "\nclass {name} (share {}): arrived {}, on time {}, late {}, expired {}, rejected {}, pending {}, in flight {}; {latency}{kv}",
                c.share, c.arrived, c.on_time, c.late, c.expired, c.rejected_accuracy, c.pending, c.in_flight
            );
        }
        s
    }
}

/// The measures of one service class in `summary.json` (MODEL.md §12):
/// those of [`Summary`] that belong to requests, over the class's requests
/// of the cohort, and in continuous serving the KV blocks its requests
/// hold. Job and epoch measures (KV peak, plan violations, nodes, GPU and
/// band utilisations) are in the total only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassSummary {
    /// Its share of the arrivals (from the scenario).
    pub share: f64,
    /// Cohort requests of the class, count.
    pub arrived: u64,
    /// Rejected at arrival for accuracy (1e), count.
    pub rejected_accuracy: u64,
    /// Dropped as unable to meet their deadline (or unscheduled under `DropUnscheduled`), count.
    pub expired: u64,
    /// Delivered by their deadline, count.
    pub on_time: u64,
    /// Delivered after their deadline, count.
    pub late: u64,
    /// Still waiting at the end, count.
    pub pending: u64,
    /// Scheduled, not delivered by the end, count.
    pub in_flight: u64,
    /// On-time requests of the class per second of `[W, end]` (`null` as in [`Summary`]).
    pub throughput_rps: Option<f64>,
    /// The same per epoch (`× T_C`).
    pub throughput_per_epoch: Option<f64>,
    /// End-to-end latency of its delivered requests, s.
    pub latency_s: Option<Quantiles>,
    /// Waiting time `t_k − a_i` of its scheduled requests, s.
    pub waiting_s: Option<Quantiles>,
    /// First-token time of its requests, s.
    pub first_token_s: Option<Quantiles>,
    /// Mean requests of the class started per measured epoch (the classes' sum is the total's).
    pub mean_batch_size: Option<f64>,
    /// Continuous serving (MODEL.md §12–13): time-weighted mean share of the
    /// KV blocks held by the class's requests over `[W, end]` and every
    /// instance, over the same pool-time as the total's, so the classes add
    /// up to [`Summary::kv_block_utilisation`]. Absent where the total is
    /// `null` (the epoch pipeline; no measured window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kv_block_utilisation: Option<f64>,
}

impl ClassSummary {
    /// The summary of class `c`; `measured_time` and `measured_epochs` as for the total.
    pub fn new(c: &ClassOutput, measured_time: bool, measured_epochs: bool) -> ClassSummary {
        let n = &c.counts;
        ClassSummary {
            share: c.share,
            arrived: n.arrived,
            rejected_accuracy: n.rejected_accuracy,
            expired: n.expired,
            on_time: n.on_time,
            late: n.late,
            pending: n.pending,
            in_flight: n.in_flight,
            throughput_rps: measured_time.then_some(c.throughput_rps),
            throughput_per_epoch: measured_time.then_some(c.throughput_per_epoch),
            latency_s: Quantiles::of_ns(&c.hist.latency),
            waiting_s: Quantiles::of_ns(&c.hist.waiting),
            first_token_s: Quantiles::of_ns(&c.hist.first_token),
            mean_batch_size: measured_epochs.then_some(c.mean_batch_size),
            kv_block_utilisation: c.kv_block_utilisation,
        }
    }
}

/// The per-class summaries, in the scenario's order; a JSON object keyed
/// by class name (the order of the keys is kept when read back).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Classes(pub Vec<(String, ClassSummary)>);

impl Classes {
    /// Whether there is no class.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The summary of class `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<&ClassSummary> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }
}

impl Serialize for Classes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, c) in &self.0 {
            map.serialize_entry(name, c)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Classes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Classes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of class summaries keyed by class name")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Classes, A::Error> {
                let mut v: Vec<(String, ClassSummary)> = Vec::new();
                while let Some((name, c)) = a.next_entry::<String, ClassSummary>()? {
                    if v.iter().any(|(n, _)| *n == name) {
                        return Err(serde::de::Error::custom(format!("class {name:?} twice")));
                    }
                    v.push((name, c));
                }
                Ok(Classes(v))
            }
        }
        d.deserialize_map(Visit)
    }
}
