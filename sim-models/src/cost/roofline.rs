//! The roofline cost model (MODEL.md §11, `cost: Roofline`): an iteration
//! takes the longer of its arithmetic at the achieved FLOP rate and its
//! memory traffic at the achieved bandwidth, plus a fixed overhead and, with
//! tensor parallelism, the all-reduces.
//!
//! For one iteration in which sequence `j` adds `q_j` tokens and holds `c_j`
//! after the pass, and `e` sequences emit a token, on `T` GPUs:
//!
//! ```text
//! FLOPs  = 2·L·P_layer·Σq + 2·d·V·e + 4·L·n_h·d_h·Σ(q·c − q(q−1)/2)
//! bytes  = α_w·2·(L·P_layer + d·V) + α_kv·kv_tok·Σc
//! t_iter = max(FLOPs/(T·F_eff·η_F), bytes/(T·BW·η_B)) + t_0 + t_comm
//! t_comm = 2·L·(2(T−1)/T · 2·d·Σq/BW_link + 2(T−1)·λ_link)     (T > 1)
//! ```
//!
//! An epoch batch (§11) is iteration 0, the prefill of every request padded
//! to `s'`, then decode iterations `j = 1, 2, …` over the requests with
//! `n_i > j` at context `s' + j`. Within a run of iterations where the
//! running count is constant (between two output levels) both the compute
//! and the memory time are linear in `j`, so their maximum is linear on each
//! side of one crossover: the sum over the run is two arithmetic series.
//! A batch's time therefore costs O(K log K) for K output levels, whatever
//! the output lengths (`batch_time_ns` is called by every scheduler).

use super::gpus::GpuParams;
use super::models::ModelArch;
use super::{secs_to_ns_saturating, CostModel, CostSpec, LevelCounts};
use crate::quant::QuantParams;

/// Largest tensor-parallel degree (the pool holds at most 1024 GPUs).
pub const MAX_TP: u32 = 1024;

/// Largest count or token number `edgesim cost` accepts in a flag (10⁹:
/// every sum stays exact in `f64`).
pub const MAX_TOKENS_FLAG: u64 = 1_000_000_000;

/// The roofline on one hardware instance: a model, its quantization, a GPU
/// and the tensor-parallel degree `T` (the GPUs serving one model instance).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RooflineCost {
    /// The model's architecture.
    pub arch: ModelArch,
    /// `α_w`, `α_kv` scale bytes; `α_kv ≤ 1/2` (8-bit activations) selects
    /// `F8`. `β` is not used (MODEL.md §11).
    pub quant: QuantParams,
    /// One GPU (rates, bandwidths, calibration constants).
    pub gpu: GpuParams,
    /// Tensor-parallel degree `T ≥ 1`.
    pub tp: u32,
}

/// What one iteration computes (MODEL.md §11), summed over its sequences.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct IterationLoad {
    /// `Σq_j`, new tokens.
    pub tokens: f64,
    /// `Σ(q_j·c_j − q_j(q_j−1)/2)`, query–key pairs of the attention.
    pub attention: f64,
    /// `Σc_j`, tokens of context held after the pass (KV cache read).
    pub context: f64,
    /// `e`, sequences that emit a token.
    pub emitted: f64,
}

impl IterationLoad {
    /// `count` prompts of `s` tokens prefilled whole (`q = c = s`), each
    /// emitting its first token: `Σq = count·s`, attention `count·s(s+1)/2`.
    pub fn prefill(count: u64, s: u64) -> Self {
        let (n, s) = (count as f64, s as f64);
        IterationLoad {
            tokens: n * s,
            attention: n * s * (s + 1.0) / 2.0,
            context: n * s,
            emitted: n,
        }
    }

    /// `count` sequences decoding one token each at context `c` (after the pass).
    pub fn decode(count: u64, c: u64) -> Self {
        let (n, c) = (count as f64, c as f64);
        IterationLoad {
            tokens: n,
            attention: n * c,
            context: n * c,
            emitted: n,
        }
    }

    /// Both loads in one iteration (a mixed prefill + decode batch).
    pub fn plus(self, o: IterationLoad) -> Self {
        IterationLoad {
            tokens: self.tokens + o.tokens,
            attention: self.attention + o.attention,
            context: self.context + o.context,
            emitted: self.emitted + o.emitted,
        }
    }
}

/// Which roof an iteration is under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bound {
    /// `FLOPs/(T·F_eff·η_F) ≥ bytes/(T·BW·η_B)`.
    Compute,
    /// The memory time is the longer.
    Memory,
}

/// One iteration's figures (MODEL.md §11), seconds and SI units.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct IterationTime {
    /// FLOPs of the iteration (all `T` GPUs together).
    pub flops: f64,
    /// Bytes read from memory (all `T` GPUs together).
    pub bytes: f64,
    /// `FLOPs/(T·F_eff·η_F)`, s.
    pub t_compute: f64,
    /// `bytes/(T·BW·η_B)`, s.
    pub t_memory: f64,
    /// The larger of the two.
    pub bound: Bound,
    /// The ring all-reduces, s (0 when `T = 1`).
    pub t_comm: f64,
    /// The per-iteration overhead `t_0`, s.
    pub t_0: f64,
    /// `max(t_compute, t_memory) + t_0 + t_comm`, s.
    pub total: f64,
}

impl RooflineCost {
    /// `T·F_eff·η_F`, the achieved FLOP rate of the instance.
    fn flop_rate(&self) -> f64 {
        let f = if self.quant.alpha_kv <= 0.5 {
            self.gpu.int8_ops
        } else {
            self.gpu.flops
        };
        self.tp as f64 * f * self.gpu.eta_f
    }

    /// `T·BW·η_B`, the achieved bandwidth of the instance.
    fn byte_rate(&self) -> f64 {
        self.tp as f64 * self.gpu.bandwidth * self.gpu.eta_b
    }

    /// `α_w·2·(L·P_layer + d·V)`: the weight bytes every iteration reads.
    fn weight_read_bytes(&self) -> f64 {
        self.quant.alpha_w * 2.0 * self.arch.read_params()
    }

    /// `α_kv·kv_tok`: KV bytes read per token of context.
    fn kv_per_token(&self) -> f64 {
        self.quant.alpha_kv * self.arch.kv_bytes_per_token_fp16()
    }

    /// `t_comm` of an iteration with `tokens = Σq` new tokens, s (MODEL.md §11).
    pub fn comm_secs(&self, tokens: f64) -> f64 {
        if self.tp <= 1 {
            return 0.0;
        }
        let t = self.tp as f64;
        let l = self.arch.dims.layers as f64;
        let d = self.arch.dims.d_model as f64;
        2.0 * l
            * (2.0 * (t - 1.0) / t * 2.0 * d * tokens / self.gpu.link_bandwidth
                + 2.0 * (t - 1.0) * self.gpu.link_latency)
    }

    /// The time and the figures of one iteration (MODEL.md §11).
    pub fn iteration(&self, load: &IterationLoad) -> IterationTime {
        let l = self.arch.dims.layers as f64;
        let flops = 2.0 * l * self.arch.layer_params() * load.tokens
            + 2.0 * self.arch.head_params() * load.emitted
            + 4.0 * l * self.arch.heads as f64 * self.arch.head_dim as f64 * load.attention;
        let bytes = self.weight_read_bytes() + self.kv_per_token() * load.context;
        let t_compute = flops / self.flop_rate();
        let t_memory = bytes / self.byte_rate();
        let t_comm = self.comm_secs(load.tokens);
        let bound = if t_compute >= t_memory {
            Bound::Compute
        } else {
            Bound::Memory
        };
        IterationTime {
            flops,
            bytes,
            t_compute,
            t_memory,
            bound,
            t_comm,
            t_0: self.gpu.t_0,
            total: t_compute.max(t_memory) + self.gpu.t_0 + t_comm,
        }
    }

    /// This model with the constants of its closed form computed once, for
    /// evaluating many batches (every scheduler does): the same figures, bit
    /// for bit, as `self` (MODEL.md §11). [`CostSpec::build`] returns it.
    pub fn prepared(&self) -> PreparedRoofline {
        PreparedRoofline {
            cost: *self,
            coeffs: Coeffs::new(self),
        }
    }

    /// Sum, s, of the decode iterations of `count` sequences at contexts
    /// `c_first ..= c_last` (one token each; 0 if the range is empty), in
    /// closed form: two arithmetic series split at the compute/memory crossover.
    pub fn decode_run_secs(&self, count: u64, c_first: u64, c_last: u64) -> f64 {
        let k = Coeffs::new(self);
        if c_last < SMALL_CONTEXT {
            k.decode_run::<true>(count, c_first, c_last)
        } else {
            k.decode_run::<false>(count, c_first, c_last)
        }
    }

    /// Seconds from the batch's start to the end of iteration `upto − 1`
    /// (`upto ≥ 1`): the prefill of every request padded to `s_pad`, then
    /// decode iterations `1 … upto − 1` over the requests with `n_i > j`.
    pub fn elapsed_secs(&self, s_pad: u32, levels: &LevelCounts, upto: u32) -> f64 {
        Coeffs::new(self).elapsed_secs(s_pad, levels, upto)
    }
}

/// A [`RooflineCost`] with the constants of its closed form computed once
/// (MODEL.md §11): what [`CostSpec::build`] hands to the schedulers and the
/// pipeline, which ask for thousands of batch times per run. Every figure is
/// the `RooflineCost`'s own, bit for bit (the same code on the same
/// constants); only the per-call derivation of the constants is saved.
/// Built by [`RooflineCost::prepared`]; its `Debug` is the `RooflineCost`'s.
#[derive(Clone, Copy)]
pub struct PreparedRoofline {
    cost: RooflineCost,
    coeffs: Coeffs,
}

impl PreparedRoofline {
    /// The model this was prepared from.
    pub fn cost(&self) -> &RooflineCost {
        &self.cost
    }
}

impl std::fmt::Debug for PreparedRoofline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.cost.fmt(f)
    }
}

/// Contexts below this are converted to `f64` through `i64` (exact either
/// way; the signed conversion is one x86-64 instruction, the unsigned one a
/// sequence): 2⁵³, far above any context a batch reaches (`s' + n < 2³³`).
const SMALL_CONTEXT: u64 = 1 << 53;

/// The context (or count of contexts) `x` as `f64`, exactly: through `i64`
/// when `SMALL` (the caller's promise that `x < 2⁵³`), else as `x as f64`.
#[inline(always)]
fn ctx<const SMALL: bool>(x: u64) -> f64 {
    if SMALL {
        debug_assert!(x < SMALL_CONTEXT);
        x as i64 as f64
    } else {
        x as f64
    }
}

/// The constants of the closed form of one instance (MODEL.md §11): decode
/// FLOPs per sequence `a + b·c`, bytes `w + r·k·c`, rates, overheads, and the
/// pieces of the prefill iteration and of `t_comm`. Each is computed with the
/// same operations, in the same order, as [`RooflineCost::iteration`],
/// [`RooflineCost::comm_secs`] and the decode series use them, so a batch
/// time from these is bit-identical to evaluating those one by one.
#[derive(Clone, Copy, Debug)]
struct Coeffs {
    /// `2·L·P_layer + 2·d·V`.
    a: f64,
    /// `2·L·P_layer`, FLOPs per new token outside attention.
    a_layer: f64,
    /// `2·d·V`, FLOPs of the LM head per emitted token.
    a_head: f64,
    /// `4·L·n_h·d_h`, FLOPs per query–key pair.
    b: f64,
    /// Weight bytes read per iteration.
    w: f64,
    /// KV bytes read per token of context.
    k: f64,
    /// `T·F_eff·η_F`, FLOP/s.
    rf: f64,
    /// `T·BW·η_B`, B/s.
    rb: f64,
    /// `w/rb`, s: the weights' read time.
    q0: f64,
    t_0: f64,
    comm_per_token: f64,
    comm_fixed: f64,
    /// `2·L`.
    two_l: f64,
    /// `2(T−1)/T·2·d`, bytes all-reduced per new token (times `2·L`).
    comm_tok_num: f64,
    /// `2(T−1)·λ_link`, s.
    comm_lat: f64,
    link_bandwidth: f64,
    tp: u32,
}

impl Coeffs {
    fn new(c: &RooflineCost) -> Self {
        let l = c.arch.dims.layers as f64;
        let layer = c.arch.layer_params();
        let head = c.arch.head_params();
        let a_layer = 2.0 * l * layer;
        let a_head = 2.0 * head;
        let b = 4.0 * l * c.arch.heads as f64 * c.arch.head_dim as f64;
        let (comm_per_token, comm_fixed, comm_tok_num, comm_lat) = if c.tp <= 1 {
            (0.0, 0.0, 0.0, 0.0)
        } else {
            let t = c.tp as f64;
            let d = c.arch.dims.d_model as f64;
            (
                2.0 * l * 2.0 * (t - 1.0) / t * 2.0 * d / c.gpu.link_bandwidth,
                2.0 * l * 2.0 * (t - 1.0) * c.gpu.link_latency,
                2.0 * (t - 1.0) / t * 2.0 * d,
                2.0 * (t - 1.0) * c.gpu.link_latency,
            )
        };
        // `weight_read_bytes` = α_w·2·(L·P_layer + d·V), from the same `layer`, `head`.
        let w = c.quant.alpha_w * 2.0 * (l * layer + head);
        let rb = c.byte_rate();
        Coeffs {
            a: a_layer + a_head,
            a_layer,
            a_head,
            b,
            w,
            k: c.kv_per_token(),
            rf: c.flop_rate(),
            rb,
            q0: w / rb,
            t_0: c.gpu.t_0,
            comm_per_token,
            comm_fixed,
            two_l: 2.0 * l,
            comm_tok_num,
            comm_lat,
            link_bandwidth: c.gpu.link_bandwidth,
            tp: c.tp,
        }
    }

    /// [`RooflineCost::elapsed_secs`] on these constants.
    fn elapsed_secs(&self, s_pad: u32, levels: &LevelCounts, upto: u32) -> f64 {
        // Levels sorted by n; on the stack for the usual handful of levels.
        let mut stack = [(0u32, 0u64); 16];
        let mut heap = Vec::new();
        let sorted: &[(u32, u64)] = if levels.iter().all(|l| l.0 > 0 && l.1 > 0)
            && levels.windows(2).all(|w| w[0].0 < w[1].0)
        {
            // Already what the filter and the sort below would make (the
            // schedulers' memo asks in this form): used as it is.
            levels
        } else if levels.len() <= stack.len() {
            // Insertion sort: the levels usually arrive sorted (one
            // comparison each), and any sort gives the same sequence.
            let mut k = 0;
            for &(n, c) in levels.iter().filter(|l| l.1 > 0) {
                let v = (n.max(1), c);
                let mut i = k;
                while i > 0 && stack[i - 1] > v {
                    stack[i] = stack[i - 1];
                    i -= 1;
                }
                stack[i] = v;
                k += 1;
            }
            &stack[..k]
        } else {
            heap.extend(
                levels
                    .iter()
                    .filter(|l| l.1 > 0)
                    .map(|&(n, c)| (n.max(1), c)),
            );
            heap.sort_unstable();
            &heap
        };
        if sorted.is_empty() {
            return 0.0;
        }
        let total: u64 = sorted.iter().map(|l| l.1).sum();
        let s = s_pad as u64;
        let mut secs = self.prefill_secs(total, s);
        let last = upto.saturating_sub(1) as u64; // last decode iteration counted
        let mut running = total;
        let mut from = 1u64; // first decode iteration of the current run
        for &(n, count) in sorted.iter() {
            let to = (n as u64 - 1).min(last);
            if to >= from {
                // Contexts below 2³³: `s`, `to` < 2³².
                secs += self.decode_run::<true>(running, s + from, s + to);
            }
            from = from.max(n as u64);
            running -= count;
            if from > last {
                break;
            }
        }
        secs
    }

    /// `RooflineCost::iteration(&IterationLoad::prefill(count, s)).total`, s,
    /// with the same operations in the same order (bit-identical).
    fn prefill_secs(&self, count: u64, s: u64) -> f64 {
        let load = IterationLoad::prefill(count, s);
        let flops =
            self.a_layer * load.tokens + self.a_head * load.emitted + self.b * load.attention;
        let bytes = self.w + self.k * load.context;
        let t_compute = flops / self.rf;
        let t_memory = bytes / self.rb;
        let t_comm = if self.tp <= 1 {
            0.0
        } else {
            self.two_l * (self.comm_tok_num * load.tokens / self.link_bandwidth + self.comm_lat)
        };
        t_compute.max(t_memory) + self.t_0 + t_comm
    }

    /// Σ over contexts `c_first ..= c_last` of `max(t_compute, t_memory) + t_0 + t_comm`
    /// for `count` decoding sequences: two arithmetic series split at the crossover.
    /// `SMALL`: every context is below 2⁵³ (then converted through `i64`).
    fn decode_run<const SMALL: bool>(&self, count: u64, c_first: u64, c_last: u64) -> f64 {
        if count == 0 || c_last < c_first {
            return 0.0;
        }
        let r = count as f64;
        // t_compute(c) = p0 + p1·c, t_memory(c) = q0 + q1·c.
        let (p0, p1) = (r * self.a / self.rf, r * self.b / self.rf);
        let (q0, q1) = (self.q0, r * self.k / self.rb);
        let line = Line { p0, p1, q0, q1 };
        let series = |u: f64, v: f64, lo: u64, hi: u64| -> f64 {
            let n = ctx::<SMALL>(hi - lo + 1);
            n * u + v * (ctx::<SMALL>(lo) + ctx::<SMALL>(hi)) * n / 2.0
        };
        // g(c) = t_compute − t_memory is linear: one sign change at most.
        let crossing = if p1 == q1 {
            f64::INFINITY
        } else {
            (q0 - p0) / (p1 - q1)
        };
        // `split` = first c of the second part (where the other roof wins),
        // first estimated as ⌈crossing⌉ clamped to [c_first, c_last + 1].
        let (mut split, first_part_compute) = if crossing.is_finite() {
            // Clamping to integer bounds commutes with ⌈·⌉, and on
            // [0, 2⁵³] ⌈x⌉ is the truncation, plus one if that is below x.
            let x = crossing.clamp(ctx::<SMALL>(c_first), ctx::<SMALL>(c_last) + 1.0);
            let t = x as i64 as u64;
            (if ctx::<SMALL>(t) < x { t + 1 } else { t }, p1 < q1)
        } else {
            (c_last + 1, line.compute_wins::<SMALL>(c_first))
        };
        // Correct the f64 estimate against the exact test: step down while
        // the context before `split` is on the wrong side, else up while
        // `split` itself is (after a step down it is on the right side).
        if split > c_first && line.compute_wins::<SMALL>(split - 1) != first_part_compute {
            split = line.step_down::<SMALL>(split - 1, c_first, first_part_compute);
        } else if split <= c_last && line.compute_wins::<SMALL>(split) == first_part_compute {
            split = line.step_up::<SMALL>(split + 1, c_last, first_part_compute);
        }
        let (first, second) = if first_part_compute {
            ((p0, p1), (q0, q1))
        } else {
            ((q0, q1), (p0, p1))
        };
        let head = if split > c_first {
            series(first.0, first.1, c_first, split - 1)
        } else {
            0.0
        };
        let tail = if split <= c_last {
            series(second.0, second.1, split, c_last)
        } else {
            0.0
        };
        let n = ctx::<SMALL>(c_last - c_first + 1);
        head + tail + n * (self.t_0 + self.comm_per_token * r + self.comm_fixed)
    }
}

/// `t_compute(c) = p0 + p1·c` and `t_memory(c) = q0 + q1·c` of one decode run, s.
#[derive(Clone, Copy)]
struct Line {
    p0: f64,
    p1: f64,
    q0: f64,
    q1: f64,
}

impl Line {
    /// Whether compute is the longer (or equal) roof at context `c`.
    #[inline(always)]
    fn compute_wins<const SMALL: bool>(&self, c: u64) -> bool {
        let c = ctx::<SMALL>(c);
        self.p0 + self.p1 * c >= self.q0 + self.q1 * c
    }

    /// The lowest `split ∈ [c_first, from]` with every context in
    /// `split ..= from` on the wrong side (`compute_wins ≠ first`), walking
    /// down from `from` (which is on the wrong side).
    #[cold]
    #[inline(never)]
    fn step_down<const SMALL: bool>(&self, from: u64, c_first: u64, first: bool) -> u64 {
        let mut split = from;
        while split > c_first && self.compute_wins::<SMALL>(split - 1) != first {
            split -= 1;
        }
        split
    }

    /// The first context in `from ..= c_last` on the other side
    /// (`compute_wins ≠ first`), or `c_last + 1`, walking up from `from`.
    #[cold]
    #[inline(never)]
    fn step_up<const SMALL: bool>(&self, from: u64, c_last: u64, first: bool) -> u64 {
        let mut split = from;
        while split <= c_last && self.compute_wins::<SMALL>(split) == first {
            split += 1;
        }
        split
    }
}

impl CostModel for PreparedRoofline {
    fn name(&self) -> &'static str {
        "Roofline"
    }

    /// `α_w·2·(L·P_layer + d·V·(1 if tied else 2))`, MODEL.md §11.
    fn weight_bytes(&self) -> f64 {
        self.cost.quant.alpha_w * 2.0 * self.cost.arch.stored_params()
    }

    /// `α_kv·kv_tok = α_kv·2·L·n_kv·d_h·2`, MODEL.md §11.
    fn kv_bytes_per_token(&self) -> f64 {
        self.coeffs.k
    }

    /// One iteration of any shape (MODEL.md §11): the load's `Σq`,
    /// `Σ(q·c − q(q−1)/2)`, `Σc` and `e` through [`RooflineCost::iteration`],
    /// rounded once to the ns; the empty iteration takes 0 ns.
    fn iteration_ns(&self, seqs: &[(u32, u32)], emitting: u32) -> u64 {
        if seqs.is_empty() {
            return 0;
        }
        let mut load = IterationLoad {
            tokens: 0.0,
            attention: 0.0,
            context: 0.0,
            emitted: emitting as f64,
        };
        for &(q, c) in seqs {
            let (q, c) = (q as f64, c as f64);
            load.tokens += q;
            load.attention += q * c - q * (q - 1.0) / 2.0;
            load.context += c;
        }
        secs_to_ns_saturating(self.cost.iteration(&load).total)
    }

    /// Every level run to its end (`upto` past the longest output: the
    /// same sum as `upto` = the longest `n`).
    fn batch_time_ns(&self, s_pad: u32, levels: &LevelCounts) -> u64 {
        secs_to_ns_saturating(self.coeffs.elapsed_secs(s_pad, levels, u32::MAX))
    }

    fn first_token_ns(&self, s_pad: u32, levels: &LevelCounts) -> u64 {
        secs_to_ns_saturating(self.coeffs.elapsed_secs(s_pad, levels, 1))
    }

    fn finish_ns(&self, s_pad: u32, levels: &LevelCounts, n: u32) -> u64 {
        secs_to_ns_saturating(self.coeffs.elapsed_secs(s_pad, levels, n.max(1)))
    }

    fn spec(&self) -> CostSpec {
        CostSpec::Roofline(self.cost)
    }
}

/// The same model, deriving its constants on each call (for one-off
/// evaluations; [`CostSpec::build`] gives the [`PreparedRoofline`]).
impl CostModel for RooflineCost {
    fn name(&self) -> &'static str {
        "Roofline"
    }

    fn weight_bytes(&self) -> f64 {
        self.prepared().weight_bytes()
    }

    fn kv_bytes_per_token(&self) -> f64 {
        self.kv_per_token()
    }

    fn iteration_ns(&self, seqs: &[(u32, u32)], emitting: u32) -> u64 {
        self.prepared().iteration_ns(seqs, emitting)
    }

    fn batch_time_ns(&self, s_pad: u32, levels: &LevelCounts) -> u64 {
        self.prepared().batch_time_ns(s_pad, levels)
    }

    fn first_token_ns(&self, s_pad: u32, levels: &LevelCounts) -> u64 {
        self.prepared().first_token_ns(s_pad, levels)
    }

    fn finish_ns(&self, s_pad: u32, levels: &LevelCounts, n: u32) -> u64 {
        self.prepared().finish_ns(s_pad, levels, n)
    }

    fn spec(&self) -> CostSpec {
        CostSpec::Roofline(*self)
    }
}

#[cfg(test)]
#[path = "roofline_tests.rs"]
mod tests;
