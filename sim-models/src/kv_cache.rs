//! The KV-cache tracker (MODEL.md §5): the resident weights `α_w·m1` plus the
//! KV cache of every running job, on one memory (the pooled memory `M` for
//! batches, one GPU's `m` for single-request jobs).
//!
//! A job is admitted with its start and finish instants and its peak token
//! count ([`crate::iteration::kv_peak_tokens`], equal to the iteration-level
//! peak); it holds memory until it finishes. The tracker records the peak
//! occupancy and refuses — with an error — a job that would exceed the
//! capacity. Jobs that overlap in time are charged their peaks together (a
//! conservative bound; with the plan check of MODEL.md §4 jobs on the same
//! memory never overlap).

/// The occupancy would exceed the capacity.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("KV cache overflow: {needed} B needed at t = {at_ns} ns, capacity {capacity} B")]
pub struct KvOverflow {
    /// Bytes the job would bring the occupancy to.
    pub needed: f64,
    /// Capacity, bytes.
    pub capacity: f64,
    /// Start instant of the job, ns.
    pub at_ns: u64,
}

/// Occupancy of one memory (pooled or one GPU), over time.
#[derive(Clone, Debug)]
pub struct KvTracker {
    capacity: f64,
    resident: f64,
    bytes_per_token: f64,
    // (finish instant ns, peak tokens) of jobs admitted and not yet known to be finished.
    running: Vec<(u64, u64)>,
    peak: f64,
}

impl KvTracker {
    /// A memory of `capacity` bytes holding `resident` bytes of weights, where one
    /// KV-cache token takes `bytes_per_token = α_kv·4·L·d_m` bytes.
    pub fn new(capacity: f64, resident: f64, bytes_per_token: f64) -> KvTracker {
        KvTracker {
            capacity,
            resident,
            bytes_per_token,
            running: Vec::new(),
            peak: resident,
        }
    }

    /// Bytes held at instant `t_ns` (a job holds memory on `[start, finish)`),
    /// counting each running job at its peak.
    pub fn occupancy_at(&self, t_ns: u64) -> f64 {
        let tokens: u64 = self
            .running
            .iter()
            .filter(|(finish, _)| *finish > t_ns)
            .map(|(_, t)| t)
            .sum();
        self.resident + self.bytes_per_token * tokens as f64
    }

    /// Admits a job computing on `[start_ns, finish_ns)` whose KV cache peaks
    /// at `peak_tokens`; returns the occupancy it brings the memory to, bytes.
    ///
    /// # Errors
    /// [`KvOverflow`] if that exceeds the capacity (the job is not admitted).
    pub fn admit(
        &mut self,
        start_ns: u64,
        finish_ns: u64,
        peak_tokens: u64,
    ) -> Result<f64, KvOverflow> {
        self.running.retain(|(finish, _)| *finish > start_ns);
        let needed = self.occupancy_at(start_ns) + self.bytes_per_token * peak_tokens as f64;
        if needed > self.capacity {
            return Err(KvOverflow {
                needed,
                capacity: self.capacity,
                at_ns: start_ns,
            });
        }
        self.running.push((finish_ns, peak_tokens));
        self.peak = self.peak.max(needed);
        Ok(needed)
    }

    /// The highest occupancy so far, bytes (the resident weights if nothing ran).
    pub fn peak(&self) -> f64 {
        self.peak
    }

    /// Capacity, bytes.
    pub fn capacity(&self) -> f64 {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_frees_and_refuses() {
        // 100 B, 20 resident, 2 B/token.
        let mut kv = KvTracker::new(100.0, 20.0, 2.0);
        assert_eq!(kv.admit(0, 10, 30), Ok(80.0)); // 20 + 2·30
                                                   // Overlapping: 80 + 2·11 = 102 > 100.
        assert!(kv.admit(5, 15, 11).is_err());
        // At t = 10 the first job has finished: 20 + 2·40 = 100 fits exactly.
        assert_eq!(kv.admit(10, 20, 40), Ok(100.0));
        assert_eq!(kv.peak(), 100.0);
        assert_eq!(kv.occupancy_at(19), 100.0);
        assert_eq!(kv.occupancy_at(20), 20.0);
    }
}
