//! What `edgesim workload` prints about a stream of arrivals: the arrival
//! rate over time in bins, the inter-arrival coefficient of variation, and
//! the quantiles of the prompt and output lengths (MODEL.md §12).
//!
//! Memory is bounded whatever the number of arrivals: a count per bin (at
//! most [`MAX_BINS`]) and a count per distinct token length (at most
//! `MAX_TOKENS` of each); the gaps' mean and variance are accumulated
//! (Welford's method).

use std::collections::BTreeMap;

use serde::Serialize;

/// Most rate bins (`span / bin` must stay below).
pub const MAX_BINS: usize = 1_000_000;

/// Quantiles of a token length, nearest rank (the smallest value with at
/// least `⌈q·n⌉` values at or below it), exact.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LengthQuantiles {
    /// Smallest, tokens.
    pub min: u32,
    /// Median (nearest rank), tokens.
    pub p50: u32,
    /// 90th percentile, tokens.
    pub p90: u32,
    /// 99th percentile, tokens.
    pub p99: u32,
    /// Largest, tokens.
    pub max: u32,
    /// Mean, tokens.
    pub mean: f64,
}

/// The report (`edgesim workload --json` prints it).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkloadReport {
    /// What was read: a trace file or a scenario.
    pub source: String,
    /// Arrivals, count.
    pub requests: u64,
    /// First arrival, s (from the trace's first row, or the run's start).
    pub first_s: f64,
    /// Last arrival, s.
    pub last_s: f64,
    /// Mean rate `(n − 1)/(last − first)`, requests/s (0 with fewer than two arrivals).
    pub mean_rate: f64,
    /// Mean inter-arrival gap, s.
    pub gap_mean_s: f64,
    /// Coefficient of variation of the gaps (population std / mean; 1 for Poisson).
    pub gap_cv: f64,
    /// Prompt lengths, tokens.
    pub prompt: Option<LengthQuantiles>,
    /// Output lengths, tokens.
    pub output: Option<LengthQuantiles>,
    /// Bin width of `rate`, s.
    pub bin_s: f64,
    /// Arrivals per second in each bin `[k·bin, (k+1)·bin)` from 0.
    pub rate: Vec<f64>,
}

/// Accumulates arrivals (in time order) into a [`WorkloadReport`].
#[derive(Clone, Debug)]
pub struct WorkloadStats {
    bin_s: f64,
    bins: Vec<u64>,
    n: u64,
    first_s: f64,
    prev_s: f64,
    gap_mean: f64,
    gap_m2: f64,
    prompt: BTreeMap<u32, u64>,
    output: BTreeMap<u32, u64>,
}

impl WorkloadStats {
    /// Bins of `bin_s` seconds (> 0).
    pub fn new(bin_s: f64) -> WorkloadStats {
        WorkloadStats {
            bin_s,
            bins: Vec::new(),
            n: 0,
            first_s: 0.0,
            prev_s: 0.0,
            gap_mean: 0.0,
            gap_m2: 0.0,
            prompt: BTreeMap::new(),
            output: BTreeMap::new(),
        }
    }

    /// One arrival at `t_s` (≥ 0, not before the previous one) with its lengths.
    ///
    /// # Errors
    /// A message if `t_s` falls beyond [`MAX_BINS`] bins.
    pub fn push(&mut self, t_s: f64, prompt: u32, output: u32) -> Result<(), String> {
        let bin = (t_s / self.bin_s).floor();
        if !(bin >= 0.0 && bin < MAX_BINS as f64) {
            return Err(format!(
                "an arrival at {t_s} s is beyond {MAX_BINS} bins of {} s: use a wider --bin",
                self.bin_s
            ));
        }
        let bin = bin as usize;
        if self.bins.len() <= bin {
            self.bins.resize(bin + 1, 0);
        }
        self.bins[bin] += 1;
        if self.n == 0 {
            self.first_s = t_s;
        } else {
            // Welford: mean and sum of squared deviations of the gaps.
            let g = t_s - self.prev_s;
            let k = self.n as f64; // gaps so far, this one included
            let d = g - self.gap_mean;
            self.gap_mean += d / k;
            self.gap_m2 += d * (g - self.gap_mean);
        }
        self.prev_s = t_s;
        self.n += 1;
        *self.prompt.entry(prompt).or_default() += 1;
        *self.output.entry(output).or_default() += 1;
        Ok(())
    }

    /// The report of what was pushed, naming `source`.
    pub fn report(&self, source: &str) -> WorkloadReport {
        let gaps = self.n.saturating_sub(1) as f64;
        let span = self.prev_s - self.first_s;
        let gap_cv = if gaps > 0.0 && self.gap_mean > 0.0 {
            (self.gap_m2 / gaps).sqrt() / self.gap_mean
        } else {
            0.0
        };
        WorkloadReport {
            source: source.to_string(),
            requests: self.n,
            first_s: self.first_s,
            last_s: self.prev_s,
            mean_rate: if span > 0.0 { gaps / span } else { 0.0 },
            gap_mean_s: self.gap_mean,
            gap_cv,
            prompt: quantiles(&self.prompt, self.n),
            output: quantiles(&self.output, self.n),
            bin_s: self.bin_s,
            rate: self.bins.iter().map(|&c| c as f64 / self.bin_s).collect(),
        }
    }
}

/// Nearest-rank quantiles of the counted values.
fn quantiles(counts: &BTreeMap<u32, u64>, n: u64) -> Option<LengthQuantiles> {
    if n == 0 {
        return None;
    }
    let at = |q: f64| {
        let rank = ((q * n as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (&v, &c) in counts {
            seen += c;
            if seen >= rank {
                return v;
            }
        }
        *counts.keys().next_back().expect("n > 0")
    };
    let sum: f64 = counts.iter().map(|(&v, &c)| v as f64 * c as f64).sum();
    Some(LengthQuantiles {
        min: *counts.keys().next().expect("n > 0"),
        p50: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
        max: *counts.keys().next_back().expect("n > 0"),
        mean: sum / n as f64,
    })
}

impl WorkloadReport {
    /// The report as a table for people.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{}\nrequests      {}\ntime          {:.3} s … {:.3} s\nmean rate     {:.3} req/s\ninter-arrival mean {:.4} s, CV {:.3}\n",
            self.source, self.requests, self.first_s, self.last_s, self.mean_rate, self.gap_mean_s, self.gap_cv
        );
        s.push_str("tokens        min      p50      p90      p99      max     mean\n");
        for (name, q) in [("prompt", &self.prompt), ("output", &self.output)] {
            if let Some(q) = q {
                s.push_str(&format!(
                    "{name:<10}{:>7}  {:>7}  {:>7}  {:>7}  {:>7}  {:>7.1}\n",
                    q.min, q.p50, q.p90, q.p99, q.max, q.mean
                ));
            }
        }
        s.push_str(&format!("rate per {} s bin, req/s:\n", self.bin_s));
        for (k, r) in self.rate.iter().enumerate() {
            s.push_str(&format!(
                "  [{:>10.1}, {:>10.1})  {r:>10.3}\n",
                k as f64 * self.bin_s,
                (k + 1) as f64 * self.bin_s
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        let mut w = WorkloadStats::new(1.0);
        // Gaps 0.5, 1.0, 1.5: mean 1, population std √(1/6) = 0.408 248…
        for (t, p) in [(0.0, 10), (0.5, 20), (1.5, 30), (3.0, 40)] {
            w.push(t, p, 1).unwrap();
        }
        let r = w.report("x");
        assert_eq!(r.requests, 4);
        assert!((r.gap_mean_s - 1.0).abs() < 1e-12);
        assert!((r.gap_cv - (1.0f64 / 6.0).sqrt()).abs() < 1e-12);
        assert!((r.mean_rate - 1.0).abs() < 1e-12); // 3 gaps over 3 s
        assert_eq!(r.rate, [2.0, 1.0, 0.0, 1.0]);
        // Nearest rank of 4 values: p50 the 2nd, p90 and p99 the 4th.
        let q = r.prompt.unwrap();
        assert_eq!(
            (q.min, q.p50, q.p90, q.p99, q.max, q.mean),
            (10, 20, 40, 40, 40, 25.0)
        );
        assert!(WorkloadStats::new(1e-9).push(1.0, 1, 1).is_err());
    }
}
