//! What a run reports about its radio (issue 16, item 5; MODEL.md §14): the
//! spectral efficiency of the served requests (mean and distribution, up and
//! down) and the uploads that could not start because the user's SE was 0
//! (below CQI 1). The pipelines feed it ([`RadioTally::uplink`],
//! [`RadioTally::downlink`] for every measured request served,
//! [`RadioTally::no_rate`]); the bandwidth utilisation is in the run's
//! metrics (§8). Any channel: the paper's reports its SEs too.

use serde::Serialize;

/// Quantiles reported for the SE distributions (the fields `p5` … `p95` of [`SeSummary`]).
pub const SE_QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// The accumulator of a run's radio measures. Keeps every served SE (8 bytes
/// per request and direction) for exact nearest-rank quantiles.
#[derive(Clone, Debug, Default)]
pub struct RadioTally {
    se_up: Vec<f64>,
    se_down: Vec<f64>,
    no_rate: u64,
}

/// One direction's SE over the served requests, b/s/Hz: the mean and the
/// nearest-rank quantiles of [`SE_QUANTILES`] (the `⌈q·n⌉`-th smallest).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeSummary {
    /// Requests, count.
    pub count: u64,
    /// Mean, b/s/Hz.
    pub mean: f64,
    /// 5th percentile, b/s/Hz.
    pub p5: f64,
    /// 25th percentile, b/s/Hz.
    pub p25: f64,
    /// Median, b/s/Hz.
    pub p50: f64,
    /// 75th percentile, b/s/Hz.
    pub p75: f64,
    /// 95th percentile, b/s/Hz.
    pub p95: f64,
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
    /// Records a served request's uplink spectral efficiency, b/s/Hz.
    pub fn uplink(&mut self, se: f64) {
        self.se_up.push(se);
    }

    /// Records a served request's downlink spectral efficiency, b/s/Hz.
    pub fn downlink(&mut self, se: f64) {
        self.se_down.push(se);
    }

    /// Adds `n` to the count of uploads without a rate (see [`RadioSummary::no_rate`]).
    pub fn no_rate(&mut self, n: u64) {
        self.no_rate += n;
    }

    /// The summary so far.
    pub fn summary(&self) -> RadioSummary {
        RadioSummary {
            se_up: summarise(&self.se_up),
            se_down: summarise(&self.se_down),
            no_rate: self.no_rate,
        }
    }
}

/// Mean and nearest-rank quantiles (the `⌈q·n⌉`-th smallest) of `xs`.
fn summarise(xs: &[f64]) -> Option<SeSummary> {
    if xs.is_empty() {
        return None;
    }
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let q = |q: f64| sorted[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
    let [p5, p25, p50, p75, p95] = SE_QUANTILES;
    Some(SeSummary {
        count: n as u64,
        mean: xs.iter().sum::<f64>() / n as f64,
        p5: q(p5),
        p25: q(p25),
        p50: q(p50),
        p75: q(p75),
        p95: q(p95),
    })
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
        // Mean (1 + … + 20)/20 = 210/20 = 10.5; nearest rank ⌈q·20⌉: q 0.05 → 1st = 1,
        // 0.25 → 5th = 5, 0.5 → 10th = 10, 0.75 → 15th = 15, 0.95 → 19th = 19.
        assert_eq!(up.mean, 10.5);
        assert_eq!(
            [up.p5, up.p25, up.p50, up.p75, up.p95],
            [1.0, 5.0, 10.0, 15.0, 19.0]
        );
        assert_eq!(s.se_down.unwrap().mean, 7.40625);
    }
}
