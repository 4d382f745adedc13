//! The cost seam: what a batch costs in memory and time on the hardware it
//! runs on (docs/model.md §5, §11).
//!
//! A [`CostModel`] is one model on one hardware instance (the pooled GPUs of
//! the epoch pipeline, or one GPU for a single-request job). It owns the
//! weights and KV-cache memory, a batch's compute time from its padding cap and
//! its count per output level, the iteration instants (first token, finish)
//! and the KV peak. Everything that needs a time or a memory figure — the
//! feasibility check, the epoch pipeline, instances and every scheduler — asks
//! it, never a formula of its own.
//!
//! Implementations, one file each, one row in [`CostSpec`]:
//! - [`flops::FlopsCost`], the paper's model (§5): `t = β·FLOPs/C` with exact
//!   integer FLOP counts. Its time is additive in per-request FLOPs, which the
//!   search schedulers exploit through [`CostModel::flops`] (the fast path).
//! - [`roofline::RooflineCost`], MODEL.md §11: each iteration bound by
//!   compute or by memory bandwidth, with tensor parallelism over the pool.
//!
//! The presets they read are here too: [`models`] (architectures, with
//! sources) and [`gpus`] (datasheet rates and calibration constants).

pub mod flops;
pub mod gpus;
pub mod models;
pub mod roofline;

use std::fmt::Debug;
use std::sync::Arc;

pub use flops::{
    batch_time_ns, flops_to_secs, secs_to_ns_saturating, FlopsCost, ModelDims, MAX_TOKENS,
};
pub use gpus::{gpu_preset, GpuParams, GpuPreset, GPU_PRESETS};
pub use models::{model_preset, ModelArch, ModelPreset, MODEL_PRESETS};
pub use roofline::{IterationLoad, IterationTime, PreparedRoofline, RooflineCost};

/// A batch's requests grouped by output length: `(n, count)` pairs, each `n`
/// (tokens) at most once, in any order. The time of a batch depends only on
/// its padding cap and these counts (docs/model.md §5, §11).
pub type LevelCounts = [(u32, u64)];

/// One LLM on one hardware instance: memory and time of a batch (docs/model.md §5).
///
/// Every time is in integer ns, an offset from the instant the batch starts
/// computing, rounded once from the model's exact figure so that every check
/// and every event uses the same value.
pub trait CostModel: Debug + Send + Sync {
    /// The name written in instance files and shown to users (`"Flops"`).
    fn name(&self) -> &'static str;

    /// Resident weight bytes on the memory the job runs on (`α_w·m1` in §5).
    fn weight_bytes(&self) -> f64;

    /// KV-cache bytes one running request holds per token (`α_kv·4·L·d_m` in §5).
    fn kv_bytes_per_token(&self) -> f64;

    /// `t_batch` in ns of a batch padded to `s_pad` tokens with `levels`
    /// requests per output length, run to completion (every request's last
    /// iteration), §5. The empty batch takes 0 ns. Non-decreasing when a
    /// request is added or moved to a longer output level.
    fn batch_time_ns(&self, s_pad: u32, levels: &LevelCounts) -> u64;

    /// Offset in ns at which the batch's initial stage ends (every request's
    /// first token), §5 iteration level.
    fn first_token_ns(&self, s_pad: u32, levels: &LevelCounts) -> u64;

    /// Offset in ns at which a request with output `n` (one of `levels`)
    /// finishes, i.e. the end of iteration `n − 1`, §5 iteration level.
    fn finish_ns(&self, s_pad: u32, levels: &LevelCounts, n: u32) -> u64;

    /// Time in ns of one *iteration* — one forward pass of the instance this
    /// model describes — of arbitrary shape (MODEL.md §11 "one iteration",
    /// §13): `seqs[j] = (q_j, c_j)` where sequence `j` contributes `q_j ≥ 1`
    /// new tokens (a prefill chunk, or 1 when decoding) and holds `c_j ≥ q_j`
    /// tokens of context after the pass; `emitting` of them emit a token at
    /// its end (those whose prefill completes, and every decode).
    ///
    /// The hardware is the one this model was built for: for continuous
    /// serving, one instance of `T` tensor-parallel GPUs
    /// (`System::instance_cost(T)`), so any communication between the `T` GPUs
    /// belongs in the figure. The exact figure is rounded once to the nearest
    /// ns; the empty iteration takes 0 ns. Non-decreasing when a token is added
    /// to `q_j` or `c_j`, or a sequence is added. The order of `seqs` does not
    /// matter. Consistency with the batch methods: the epoch-shaped schedule —
    /// one iteration with `(s', s')` per request (all emitting), then for
    /// `j = 1, 2, …` one with `(1, s' + j)` per request with `n_i > j` — sums
    /// to [`CostModel::batch_time_ns`] within the per-iteration rounding
    /// (½ ns per iteration).
    fn iteration_ns(&self, seqs: &[(u32, u32)], emitting: u32) -> u64;

    /// The fast path: `Some` when time is `β·FLOPs/C` with FLOPs additive over
    /// the requests of a batch (the paper's model), so that a search may sum
    /// integer FLOPs instead of asking for a time per batch.
    fn flops(&self) -> Option<&FlopsCost> {
        None
    }

    /// The serializable description of this model (for instance files).
    fn spec(&self) -> CostSpec;
}

/// The cost models a file can name, one row per implementation.
#[derive(Clone, Debug, PartialEq)]
pub enum CostSpec {
    /// The paper's FLOP-count model (§5).
    Flops(FlopsCost),
    /// The roofline (§11).
    Roofline(RooflineCost),
}

impl CostSpec {
    /// The cost model this spec describes (a roofline with its constants
    /// computed once: [`roofline::PreparedRoofline`]).
    pub fn build(&self) -> Arc<dyn CostModel> {
        match self {
            CostSpec::Flops(f) => Arc::new(*f),
            CostSpec::Roofline(r) => Arc::new(r.prepared()),
        }
    }
}

/// The most KV-cache tokens a batch holds at once (docs/model.md §5): at
/// iteration `j` every request with `n_i > j` holds `s' + j` tokens, so the
/// peak is at some `j = N − 1` for an output length `N` of the batch:
/// `max_N #{n_i ≥ N}·(s' + N − 1)`. The same for every cost model: it is the
/// iteration schedule, not its timing.
pub fn kv_peak_tokens(s_pad: u32, levels: &LevelCounts) -> u64 {
    let mut sorted: Vec<(u32, u64)> = levels.iter().copied().filter(|l| l.1 > 0).collect();
    sorted.sort_unstable_by_key(|l| std::cmp::Reverse(l.0));
    let mut at_least = 0u64;
    sorted
        .iter()
        .map(|&(n, count)| {
            at_least += count;
            at_least.saturating_mul(s_pad as u64 + n.max(1) as u64 - 1)
        })
        .max()
        .unwrap_or(0)
}

/// The `(n, count)` pairs of a list of output lengths, ascending in `n`.
pub fn level_counts(outputs: impl IntoIterator<Item = u32>) -> Vec<(u32, u64)> {
    let mut v: Vec<u32> = outputs.into_iter().collect();
    v.sort_unstable();
    let mut out: Vec<(u32, u64)> = Vec::new();
    for n in v {
        match out.last_mut() {
            Some((m, c)) if *m == n => *c += 1,
            _ => out.push((n, 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_counts_group_and_sort() {
        assert_eq!(
            level_counts([256, 128, 256, 512]),
            vec![(128, 1), (256, 2), (512, 1)]
        );
        assert!(level_counts([]).is_empty());
    }

    #[test]
    fn kv_peak_by_hand() {
        // s' = 5, outputs {2, 3}: iteration 1 holds 2·(5+1) = 12, iteration 2 holds 1·(5+2) = 7,
        // iteration 0 holds 2·5 = 10, so the peak is 12 = max(2·(5+2−1), 1·(5+3−1)).
        assert_eq!(kv_peak_tokens(5, &[(2, 1), (3, 1)]), 12);
        // Three requests of n = 1 hold s' tokens each at iteration 0: 3·4 = 12.
        assert_eq!(kv_peak_tokens(4, &[(1, 3)]), 12);
        assert_eq!(kv_peak_tokens(4, &[]), 0);
    }
}
