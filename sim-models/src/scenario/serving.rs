//! Continuous serving's settings checked and resolved (MODEL.md §13): the
//! instance count `G/T`, the KV blocks per instance and the coherence time in ns.

use super::error::{invalid, ScenarioError};
use super::schema::{Continuous, Delivery, Links, WaitingOrder};
use crate::cost::{CostModel, MAX_TOKENS};

/// Most KV blocks an instance may have (each is a counter, not memory, but a
/// count this large means a unit error in the scenario).
pub const MAX_BLOCKS: u64 = 1 << 40;

/// Continuous serving in simulation units (MODEL.md §13), built by
/// `Scenario::resolve` from [`Continuous`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ContinuousSystem {
    /// Waiting-queue order.
    pub policy: WaitingOrder,
    /// GPUs per instance `T`.
    pub tensor_parallel: u32,
    /// Instances `G/T`.
    pub instances: u32,
    /// Tokens per KV block.
    pub block_size: u32,
    /// KV blocks per instance (given, or `⌊(u·T·m − weights)/(block_size·kv bytes per token)⌋`).
    pub num_blocks: u64,
    /// `max_num_seqs`.
    pub max_num_seqs: u32,
    /// `max_num_batched_tokens`.
    pub max_num_batched_tokens: u32,
    /// Drop waiting requests past their deadline.
    pub drop_expired: bool,
    /// How outputs go down.
    pub delivery: Delivery,
    /// Radio or ideal links.
    pub links: Links,
    /// Coherence time, ns (≥ 1).
    pub coherence_ns: u64,
}

impl Continuous {
    /// Checks the settings and resolves them for a pool of `gpus` GPUs of
    /// `memory_per_gpu` bytes each; `instance_cost` is the cost model of one
    /// instance of `T` GPUs (its weight and KV bytes), `t_c_ns` the default
    /// coherence time.
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] naming the `serving.…` field out of range:
    /// `T` not dividing `G`, a zero count, `u ∉ (0, 1]`, an instance whose
    /// memory cannot hold the weights and one block.
    pub fn resolve(
        &self,
        gpus: u32,
        memory_per_gpu: f64,
        instance_cost: &dyn CostModel,
        t_c_ns: u64,
    ) -> Result<ContinuousSystem, ScenarioError> {
        let t = self.tensor_parallel;
        if t == 0 || !gpus.is_multiple_of(t) {
            return Err(invalid(
                "serving.tensor_parallel",
                format!(
                    "must divide the GPU count G = {gpus} (the pool holds G/T instances), got {t}"
                ),
            ));
        }
        for (f, v) in [
            ("serving.block_size", self.block_size),
            ("serving.max_num_seqs", self.max_num_seqs),
            (
                "serving.max_num_batched_tokens",
                self.max_num_batched_tokens,
            ),
        ] {
            if v == 0 || v > MAX_TOKENS {
                return Err(invalid(f, format!("must be in [1, {MAX_TOKENS}], got {v}")));
            }
        }
        let u = self.memory_utilisation;
        if !(u > 0.0 && u <= 1.0) {
            return Err(invalid(
                "serving.memory_utilisation",
                format!("must be in (0, 1], got {u}"),
            ));
        }
        let num_blocks = match self.num_blocks {
            Some(b) if (1..=MAX_BLOCKS).contains(&b) => b,
            Some(b) => {
                return Err(invalid(
                    "serving.num_blocks",
                    format!("must be in [1, {MAX_BLOCKS}], got {b}"),
                ))
            }
            None => {
                // MODEL.md §13: ⌊(u·T·m − weights) / (block_size·α_kv·kv_tok)⌋.
                let free = u * t as f64 * memory_per_gpu - instance_cost.weight_bytes();
                let per_block = self.block_size as f64 * instance_cost.kv_bytes_per_token();
                let blocks = (free / per_block).floor();
                if blocks.is_nan() || blocks < 1.0 {
                    return Err(invalid(
                        "serving.memory_utilisation",
                        format!(
                            "u·T·m = {u}·{t}·{memory_per_gpu} B leaves {free} B beside the weights \
                             ({} B), less than one KV block of {per_block} B",
                            instance_cost.weight_bytes()
                        ),
                    ));
                }
                blocks.min(MAX_BLOCKS as f64) as u64
            }
        };
        let coherence_ns = match self.coherence_time {
            None => t_c_ns,
            Some(s) => super::validate::seconds("serving.coherence_time", s, false)?,
        };
        Ok(ContinuousSystem {
            policy: self.policy,
            tensor_parallel: t,
            instances: gpus / t,
            block_size: self.block_size,
            num_blocks,
            max_num_seqs: self.max_num_seqs,
            max_num_batched_tokens: self.max_num_batched_tokens,
            drop_expired: self.drop_expired,
            delivery: self.delivery,
            links: self.channel,
            coherence_ns,
        })
    }
}
