//! What a run reports about its radio (issue 16, item 5; MODEL.md §14): the
//! spectral efficiency of the served requests (mean and distribution, up and
//! down) and the uploads that could not start because the user's SE was 0
//! (below CQI 1). The pipelines feed it ([`RadioTally::uplink`],
//! [`RadioTally::downlink`] for every measured request served,
//! [`RadioTally::no_rate`]); the bandwidth utilisation is in the run's
//! metrics (§8). Any channel: the paper's reports its SEs too. Memory is
//! bounded: HdrHistograms (3 significant digits) and exact sums.

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::hist::{record, HIST_SIGFIG};

/// Quantiles reported for the SE distributions (the fields `p5_hdr` …
/// `p95_hdr` of [`SeSummary`]).
pub const SE_QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// Histogram units per b/s/Hz (10⁶: an SE is recorded as `round(SE·10⁶)`,
/// far below the histograms' 3-digit resolution, and reported as `v/10⁶`).
pub const SE_UNITS_PER_BPSHZ: f64 = 1e6;

/// One direction's served SEs: an HdrHistogram (3 significant digits,
/// bounded memory whatever the run's length) and the exact sum.
#[derive(Clone, Debug)]
struct SeHist {
    h: Histogram<u64>,
    sum: f64,
}

impl Default for SeHist {
    fn default() -> Self {
        SeHist {
            h: Histogram::new(HIST_SIGFIG).expect("3 significant digits is valid"),
            sum: 0.0,
        }
    }
}

impl SeHist {
    fn add(&mut self, se: f64) {
        self.sum += se;
        record(&mut self.h, (se * SE_UNITS_PER_BPSHZ).round() as u64);
    }

    fn summary(&self) -> Option<SeSummary> {
        if self.h.is_empty() {
            return None;
        }
        let q = |q: f64| self.h.value_at_quantile(q) as f64 / SE_UNITS_PER_BPSHZ;
        let [p5, p25, p50, p75, p95] = SE_QUANTILES;
        Some(SeSummary {
            count: self.h.len(),
            mean: self.sum / self.h.len() as f64,
            p5_hdr: q(p5),
            p25_hdr: q(p25),
            p50_hdr: q(p50),
            p75_hdr: q(p75),
            p95_hdr: q(p95),
        })
    }
}

/// The accumulator of a run's radio measures; its memory does not grow
/// with the run (HdrHistograms, as the latency's).
#[derive(Clone, Debug, Default)]
pub struct RadioTally {
    up: SeHist,
    down: SeHist,
    no_rate: u64,
}

/// One direction's SE over the served requests, b/s/Hz: the exact mean and
/// HdrHistogram's percentiles (`_hdr`: the highest value equivalent to the
/// recorded one at 3 significant digits, as the latency's in summary.json).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeSummary {
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

/// A run's radio measures (summary.json's `radio`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RadioSummary {
    /// Uplink SE of the served requests (`None`: none served).
    pub se_up: Option<SeSummary>,
    /// Downlink SE of the served requests (`None`: none served).
    pub se_down: Option<SeSummary>,
    /// Could not upload for want of a rate (`SE^U = 0`): in the epoch
    /// pipeline, Σ over measured epochs of the users with a pending request
    /// and `SE^U = 0` (user-epochs); in continuous serving, cohort uploads
    /// that started in a block with `SE^U = 0` (they wait for a rate).
    pub no_rate: u64,
}

impl RadioTally {
    /// Records a served request's uplink spectral efficiency, b/s/Hz (≥ 0).
    pub fn uplink(&mut self, se: f64) {
        self.up.add(se);
    }

    /// Records a served request's downlink spectral efficiency, b/s/Hz (≥ 0).
    pub fn downlink(&mut self, se: f64) {
        self.down.add(se);
    }

    /// Adds `n` to the count of uploads without a rate (see [`RadioSummary::no_rate`]).
    pub fn no_rate(&mut self, n: u64) {
        self.no_rate += n;
    }

    /// The summary so far.
    pub fn summary(&self) -> RadioSummary {
        RadioSummary {
            se_up: self.up.summary(),
            se_down: self.down.summary(),
            no_rate: self.no_rate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_by_hand() {
        let mut t = RadioTally::default();
        assert_eq!(t.summary().se_up, None);
        // Up 1, 2, …, 20 b/s/Hz; down 7.40625 each.
        for k in 1..=20 {
            t.uplink(k as f64);
            t.downlink(7.40625);
        }
        t.no_rate(2);
        let s = t.summary();
        assert_eq!(s.no_rate, 2);
        let up = s.se_up.unwrap();
        assert_eq!(up.count, 20);
        // Mean (1 + … + 20)/20 = 210/20 = 10.5, exact. Percentiles: the
        // nearest rank ⌈q·20⌉ gives q 0.05 → 1st = 1, 0.25 → 5th = 5,
        // 0.5 → 10th = 10, 0.75 → 15th = 15, 0.95 → 19th = 19; HdrHistogram
        // reports the top of that value's bucket, within 10⁻³ above it.
        assert_eq!(up.mean, 10.5);
        let got = [up.p5_hdr, up.p25_hdr, up.p50_hdr, up.p75_hdr, up.p95_hdr];
        for (g, want) in got.iter().zip([1.0, 5.0, 10.0, 15.0, 19.0]) {
            assert!(*g >= want && *g <= want * (1.0 + 1e-3), "{g} vs {want}");
        }
        let down = s.se_down.unwrap();
        assert_eq!(down.mean, 7.40625);
        assert!(down.p5_hdr >= 7.40625 && down.p95_hdr <= 7.40625 * (1.0 + 1e-3));
        // An SE of 0 (no rate) is a value like any other.
        let mut z = RadioTally::default();
        z.uplink(0.0);
        assert_eq!(z.summary().se_up.unwrap().p50_hdr, 0.0);
    }
}
