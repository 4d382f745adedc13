//! The GPU pool (MODEL.md §5, §7): `G` GPUs of `c` FLOP/s and `m` bytes each.
//! A batch runs on all of them pooled (`C = G·c`, `M = G·m`); a single-request
//! job runs on one. The pool keeps, per GPU, the instant its compute finishes
//! (what schedulers see), its busy time inside the measurement window, and the
//! KV-cache trackers: one for the pooled memory, one per GPU.

use std::sync::Arc;

use crate::cost::CostModel;
use crate::kv_cache::{KvOverflow, KvTracker};
use crate::scenario::System;
use crate::scheduler::{GpuView, Placement};

/// The GPUs, their state and their memory.
#[derive(Clone, Debug)]
pub struct GpuPool {
    single_gpu_cost: Arc<dyn CostModel>,
    memory_per_gpu: f64,
    busy_until: Vec<u64>,
    busy_ns: Vec<u64>,
    window_start_ns: u64,
    pooled_kv: KvTracker,
    gpu_kv: Vec<KvTracker>,
}

impl GpuPool {
    /// The pool of `sys`; busy time is counted from `sys.warmup_ns` on.
    pub fn new(sys: &System) -> GpuPool {
        let g = sys.gpu_count as usize;
        let pooled = sys.pooled_cost();
        let single_gpu_cost = sys.single_gpu_cost();
        let kv = |memory: f64, c: &dyn CostModel| {
            KvTracker::new(memory, c.weight_bytes(), c.kv_bytes_per_token())
        };
        GpuPool {
            pooled_kv: kv(g as f64 * sys.memory_per_gpu, &*pooled),
            gpu_kv: (0..g)
                .map(|_| kv(sys.memory_per_gpu, &*single_gpu_cost))
                .collect(),
            single_gpu_cost,
            memory_per_gpu: sys.memory_per_gpu,
            busy_until: vec![0; g],
            busy_ns: vec![0; g],
            window_start_ns: sys.warmup_ns,
        }
    }

    /// Number of GPUs `G`.
    pub fn count(&self) -> usize {
        self.busy_until.len()
    }

    /// The cost model of one GPU on its own (single-request jobs).
    pub fn single_gpu_cost(&self) -> &dyn CostModel {
        &*self.single_gpu_cost
    }

    /// What a scheduler sees at `t_k`: jobs started now compute from `compute_start_ns = t_k + T_U`.
    pub fn view(&self, compute_start_ns: u64) -> GpuView<'_> {
        GpuView {
            count: self.count(),
            single_gpu_cost: &*self.single_gpu_cost,
            memory_per_gpu: self.memory_per_gpu,
            busy_until_ns: &self.busy_until,
            compute_start_ns,
        }
    }

    /// Starts a job computing on `[start_ns, finish_ns)` with KV peak `peak_tokens`;
    /// returns the occupancy of the memory it runs on, bytes.
    ///
    /// # Errors
    /// [`KvOverflow`] if its memory would overflow (the job is not started).
    pub fn start(
        &mut self,
        placement: Placement,
        start_ns: u64,
        finish_ns: u64,
        peak_tokens: u64,
    ) -> Result<f64, KvOverflow> {
        match placement {
            Placement::Pooled => {
                let occ = self.pooled_kv.admit(start_ns, finish_ns, peak_tokens)?;
                for b in &mut self.busy_until {
                    *b = (*b).max(finish_ns);
                }
                Ok(occ)
            }
            Placement::Gpu(g) => {
                let g = g as usize;
                let occ = self.gpu_kv[g].admit(start_ns, finish_ns, peak_tokens)?;
                self.busy_until[g] = self.busy_until[g].max(finish_ns);
                Ok(occ)
            }
        }
    }

    /// Adds the part of `[start_ns, end_ns)` after the window start to the busy time of
    /// the GPUs of `placement` (call when a job's compute ends, or at the end of a run
    /// with `end_ns` = the run's end for a job still computing).
    pub fn add_busy(&mut self, placement: Placement, start_ns: u64, end_ns: u64) {
        let d = end_ns.saturating_sub(start_ns.max(self.window_start_ns));
        match placement {
            Placement::Pooled => self.busy_ns.iter_mut().for_each(|b| *b += d),
            Placement::Gpu(g) => self.busy_ns[g as usize] += d,
        }
    }

    /// Per-GPU busy time inside the window so far, ns.
    pub fn busy_ns(&self) -> &[u64] {
        &self.busy_ns
    }

    /// The highest KV-cache occupancy so far, bytes: of the pooled memory, and
    /// the highest of any one GPU.
    pub fn kv_peaks(&self) -> (f64, f64) {
        let per_gpu = self.gpu_kv.iter().map(KvTracker::peak).fold(0.0, f64::max);
        (self.pooled_kv.peak(), per_gpu)
    }
}
