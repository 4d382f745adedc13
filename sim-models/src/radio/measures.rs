//! What a run reports about its radio (issue 16, item 5; MODEL.md §14): the
//! spectral efficiency of the served requests (mean and distribution, up and
//! down) and the uploads that could not start because the user's SE was 0
//! (below CQI 1). Independent of how the epoch pipeline asks the channel:
//! the pipeline calls [`RadioTally::served`] for every request it starts and
//! [`RadioTally::blocked`] for every pending request whose uplink SE is 0 in
//! an epoch; the bandwidth utilisation is already in the run's metrics (§8).

use serde::Serialize;

/// Quantiles reported for the SE distributions.
pub const SE_QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// The accumulator of a run's radio measures.
#[derive(Clone, Debug, Default)]
pub struct RadioTally {
    se_up: Vec<f64>,
    se_down: Vec<f64>,
    blocked: u64,
}

/// Summary of one direction's SE over served requests, b/s/Hz.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeSummary {
    /// Mean.
    pub mean: f64,
    /// `(q, value)` for each `q` of [`SE_QUANTILES`] (nearest rank).
    pub quantiles: Vec<(f64, f64)>,
}

/// A run's radio measures (for summary.json).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RadioSummary {
    /// Requests served (started).
    pub served: u64,
    /// Uplink SE of the served requests; `None` if none was served.
    pub se_up: Option<SeSummary>,
    /// Downlink SE of the served requests; `None` if none was served.
    pub se_down: Option<SeSummary>,
    /// (request, epoch) pairs where a pending request could not upload (SE^U = 0).
    pub blocked_uploads: u64,
}

impl RadioTally {
    /// Records a request started with spectral efficiencies `se_up`, `se_down` (b/s/Hz).
    pub fn served(&mut self, se_up: f64, se_down: f64) {
        self.se_up.push(se_up);
        self.se_down.push(se_down);
    }

    /// Records a pending request that could not upload in an epoch (its SE^U was 0).
    pub fn blocked(&mut self) {
        self.blocked += 1;
    }

    /// The summary so far.
    pub fn summary(&self) -> RadioSummary {
        RadioSummary {
            served: self.se_up.len() as u64,
            se_up: summarise(&self.se_up),
            se_down: summarise(&self.se_down),
            blocked_uploads: self.blocked,
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
    let rank = |q: f64| ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
    Some(SeSummary {
        mean: xs.iter().sum::<f64>() / n as f64,
        quantiles: SE_QUANTILES.iter().map(|&q| (q, sorted[rank(q)])).collect(),
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
            t.served(k as f64, 7.40625);
        }
        t.blocked();
        t.blocked();
        let s = t.summary();
        assert_eq!(s.served, 20);
        assert_eq!(s.blocked_uploads, 2);
        let up = s.se_up.unwrap();
        // Mean (1 + … + 20)/20 = 210/20 = 10.5; nearest rank ⌈q·20⌉: q 0.05 → 1st = 1,
        // 0.25 → 5th = 5, 0.5 → 10th = 10, 0.75 → 15th = 15, 0.95 → 19th = 19.
        assert_eq!(up.mean, 10.5);
        assert_eq!(
            up.quantiles.iter().map(|q| q.1).collect::<Vec<_>>(),
            [1.0, 5.0, 10.0, 15.0, 19.0]
        );
        assert_eq!(s.se_down.unwrap().mean, 7.40625);
    }
}
