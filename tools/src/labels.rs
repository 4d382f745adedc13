//! What a column of edgesim's tables means, for chart titles, axis labels
//! and legends: a table from known column names (`results.csv`,
//! `replications.csv`, `epochs.csv`, the benchmark tables) to a name and a
//! unit, read by [`describe`]. A `results.csv` statistic suffix (`_mean`,
//! `_ci_lo`, `_ci_hi`) is looked through (the chart's error bars show it); a dotted axis path (`arrivals.rate`)
//! is read as its column name (`arrivals_rate`). An unknown column falls back
//! to its own name with `_` as spaces, its unit guessed from a suffix
//! (`_s` seconds, `_ms` milliseconds, `_ns` nanoseconds, `_bytes` bytes).
//! A service class's column `M__C` reads as `M`'s meaning for class `C`.

use crate::sweep_grid::column_name;

/// A column's meaning: a short name and its unit (empty: none, a fraction
/// or a count of nothing in particular).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meaning {
    /// Short name, e.g. `arrival rate λ`.
    pub name: String,
    /// Unit, e.g. `req/s`.
    pub unit: String,
}

impl Meaning {
    /// `name (unit)`, or `name` without a unit.
    pub fn label(&self) -> String {
        if self.unit.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, self.unit)
        }
    }
}

/// Known columns: name → (meaning, unit).
const KNOWN: &[(&str, &str, &str)] = &[
    // Sweep axes of the paper's scenarios.
    ("arrivals_rate", "arrival rate λ", "req/s"),
    ("scheduler_name", "scheduler", ""),
    ("scheduler_z_start", "z start", ""),
    ("model", "model", ""),
    ("quant", "quantization", ""),
    ("requests_latency", "latency requirement τ", "s"),
    ("requests_accuracy", "accuracy requirement ε", "ΔPPL"),
    ("seed", "seed", ""),
    ("replication", "replication", ""),
    // results.csv / replications.csv metrics.
    ("throughput_rps", "throughput", "req/s"),
    ("throughput_per_epoch", "throughput", "req/epoch"),
    ("on_time_fraction", "on-time fraction", ""),
    ("latency_mean_hdr_s", "mean latency", "s"),
    ("latency_p50_hdr_s", "median latency", "s"),
    ("latency_p90_hdr_s", "p90 latency", "s"),
    ("latency_p99_hdr_s", "p99 latency", "s"),
    (
        "latency_pooled_count",
        "delivered requests (pooled)",
        "requests",
    ),
    ("latency_pooled_mean_hdr_s", "mean latency (pooled)", "s"),
    ("latency_pooled_p50_hdr_s", "median latency (pooled)", "s"),
    ("latency_pooled_p90_hdr_s", "p90 latency (pooled)", "s"),
    ("latency_pooled_p99_hdr_s", "p99 latency (pooled)", "s"),
    ("latency_pooled_max_hdr_s", "max latency (pooled)", "s"),
    ("waiting_mean_hdr_s", "mean waiting time", "s"),
    (
        "first_token_mean_hdr_s",
        "mean time to first token computed",
        "s",
    ),
    (
        "first_token_p50_hdr_s",
        "median time to first token computed",
        "s",
    ),
    (
        "first_token_p90_hdr_s",
        "p90 time to first token computed",
        "s",
    ),
    (
        "first_token_p99_hdr_s",
        "p99 time to first token computed",
        "s",
    ),
    ("ttft_p50_hdr_s", "median TTFT at the user", "s"),
    ("ttft_p90_hdr_s", "p90 TTFT at the user", "s"),
    ("ttft_p99_hdr_s", "p99 TTFT at the user", "s"),
    ("tpot_p50_hdr_s", "median TPOT", "s"),
    ("tpot_p90_hdr_s", "p90 TPOT", "s"),
    ("tpot_p99_hdr_s", "p99 TPOT", "s"),
    ("goodput_rps", "goodput (on time)", "req/s"),
    ("mean_batch_size", "mean batch size", "requests"),
    ("nodes_per_epoch", "search nodes per epoch", "nodes"),
    ("kv_peak_bytes", "peak KV-cache occupancy", "bytes"),
    ("gpu_utilisation", "GPU utilisation", "fraction"),
    (
        "uplink_utilisation",
        "uplink utilisation",
        "fraction of band",
    ),
    (
        "downlink_utilisation",
        "downlink utilisation",
        "fraction of band",
    ),
    ("arrived", "arrived", "requests"),
    ("on_time", "on time", "requests"),
    ("late", "late", "requests"),
    ("expired", "expired", "requests"),
    ("rejected_accuracy", "rejected for accuracy", "requests"),
    ("plan_violations", "plan violations", "jobs"),
    // epochs.csv.
    ("epoch", "epoch", ""),
    ("t_k_s", "time", "s"),
    ("queue_len", "queue length", "requests"),
    ("batch_size", "batch size", "requests"),
    ("jobs", "jobs started", "jobs"),
    ("s_pad", "padded prompt length", "tokens"),
    ("t_batch_s", "batch compute time", "s"),
    ("rho_up", "uplink share Σρ_U", "fraction of band"),
    ("rho_down", "downlink share Σρ_D", "fraction of band"),
    ("nodes", "search nodes", "nodes"),
    ("leaves", "leaves checked", "leaves"),
    ("solve_ns", "scheduler wall time", "ns"),
    ("dropped", "dropped", "requests"),
    ("violations", "plan violations", "jobs"),
    // Benchmark tables (tools/bench).
    ("rate", "arrival rate λ", "req/s"),
    ("solve_ms_median", "median solve time", "ms"),
    ("solve_ms_p99", "p99 solve time", "ms"),
    ("solve_ms_mean", "mean solve time", "ms"),
    ("solve_ms_max", "max solve time", "ms"),
    ("reduction_mean", "node reduction", "fraction"),
];

/// The meaning of column `col` (see the module documentation).
pub fn describe(col: &str) -> Meaning {
    // A service class's column, `M__C` (results.csv; docs/cli.md): the
    // total's meaning, for class `C`.
    if let Some((total, class)) = col
        .rsplit_once("__")
        .filter(|(t, c)| !t.is_empty() && !c.is_empty())
    {
        let m = describe(total);
        return Meaning {
            name: format!("{}, class {class}", m.name),
            unit: m.unit,
        };
    }
    let key = column_name(col);
    let stem = ["_mean", "_ci_lo", "_ci_hi"]
        .iter()
        .find_map(|s| key.strip_suffix(s))
        .filter(|s| !s.is_empty())
        .unwrap_or(&key);
    if let Some(&(_, name, unit)) = KNOWN.iter().find(|k| k.0 == stem) {
        return Meaning {
            name: name.into(),
            unit: unit.into(),
        };
    }
    let (base, unit) = [
        ("_s", "s"),
        ("_ms", "ms"),
        ("_ns", "ns"),
        ("_bytes", "bytes"),
    ]
    .iter()
    .find_map(|(suffix, unit)| Some((stem.strip_suffix(suffix)?, *unit)))
    .unwrap_or((stem, ""));
    Meaning {
        name: base.replace('_', " "),
        unit: unit.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_columns_read_as_the_total_for_the_class() {
        assert_eq!(
            describe("throughput_per_epoch_mean__interactive").label(),
            "throughput, class interactive (req/epoch)"
        );
        assert_eq!(
            describe("latency_p99_hdr_s_ci_hi__batch_jobs").label(),
            "p99 latency, class batch_jobs (s)"
        );
        // Not a class column: a name with no text on one side of `__`.
        assert_eq!(describe("__x").label(), "  x");
    }

    #[test]
    fn known_columns_statistics_and_fallbacks() {
        assert_eq!(
            describe("throughput_per_epoch_mean").label(),
            "throughput (req/epoch)"
        );
        assert_eq!(describe("arrivals.rate").label(), "arrival rate λ (req/s)");
        assert_eq!(describe("arrivals_rate").label(), "arrival rate λ (req/s)");
        assert_eq!(
            describe("latency_p99_hdr_s_ci_hi").label(),
            "p99 latency (s)"
        );
        assert_eq!(describe("scheduler.name").label(), "scheduler");
        // Unknown: the name, a unit from its suffix.
        assert_eq!(describe("decode_time_s").label(), "decode time (s)");
        assert_eq!(describe("foo_bytes").label(), "foo (bytes)");
        assert_eq!(describe("paper").label(), "paper");
    }
}
