//! The paper's cost model (MODEL.md §5, paper §II-B): memory and compute
//! time of a batch from exact FLOP counts, `t = β·FLOPs/C`.
//!
//! Every FLOP count here is an exact integer (`u128`), so that the sum over a
//! batch does not depend on the order in which requests are added: a search
//! that accumulates per-level counts and the independent feasibility check
//! that sums request by request get the same `t_batch` to the nanosecond.
//! The integer FLOP total is converted to `f64` seconds once and rounded to
//! the nearest ns once (MODEL.md §4).

use serde::{Deserialize, Serialize};

use super::{CostModel, CostSpec, LevelCounts};
use crate::quant::QuantParams;

/// Largest token count a prompt or output may have (keeps every FLOP count exact
/// in `u128` and every time finite in ns; see [`ModelDims::check`]).
pub const MAX_TOKENS: u32 = 1_000_000;
/// Largest layer count a model may have (see [`ModelDims::check`]).
pub const MAX_LAYERS: u32 = 10_000;
/// Largest hidden size `d_m` a model may have (see [`ModelDims::check`]).
pub const MAX_D_MODEL: u32 = 1_000_000;
/// Largest FFN size `d_f` a model may have (see [`ModelDims::check`]).
pub const MAX_D_FF: u32 = 10_000_000;

/// Transformer dimensions of a decoder-only LLM (MODEL.md §5, paper Table I).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelDims {
    /// Number of decoder layers `L`.
    pub layers: u32,
    /// Model (hidden) dimension `d_m`.
    pub d_model: u32,
    /// Feed-forward dimension `d_f` (4·`d_m` for the paper's models).
    pub d_ff: u32,
}

impl ModelDims {
    /// Checks the dimensions against the bounds that keep every FLOP count of
    /// a batch exact in `u128`: with `L ≤ 10⁴`, `d_m ≤ 10⁶`, `d_f ≤ 10⁷` and
    /// prompts and outputs of at most 10⁶ tokens, one request's FLOPs are at most
    /// `L·(8·s·d_m² + 4·s²·d_m + 4·s·d_m·d_f) + L·n·(8·d_m² + 4·(s+n)·d_m + 4·d_m·d_f)
    /// < 10⁴·(8·10¹⁸ + 4·10¹⁸ + 4·10¹⁹) + 10⁴·10⁶·(8·10¹² + 8·10¹² + 4·10¹³) < 10²⁴`,
    /// so 10¹⁴ requests still sum below `u128::MAX ≈ 3.4·10³⁸`.
    ///
    /// # Errors
    /// The name of the offending field (`layers`, `d_model`, `d_ff`) and why.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for (field, v, max) in [
            ("layers", self.layers, MAX_LAYERS),
            ("d_model", self.d_model, MAX_D_MODEL),
            ("d_ff", self.d_ff, MAX_D_FF),
        ] {
            if v > max {
                return Err((field, format!("{v} is above the largest supported, {max}")));
            }
        }
        for (field, v) in [
            ("layers", self.layers),
            ("d_model", self.d_model),
            ("d_ff", self.d_ff),
        ] {
            if v == 0 {
                return Err((field, "must be ≥ 1".to_string()));
            }
        }
        Ok(())
    }

    /// `m1 = L·(8·d_m² + 4·d_m·d_f)`, the fp16 weight bytes (MODEL.md §5).
    pub fn weight_bytes(&self) -> f64 {
        let (l, d, f) = self.wide();
        (l * (8 * d * d + 4 * d * f)) as f64
    }

    /// `4·L·d_m`: KV-cache bytes per token held by one request (keys and values, fp16).
    pub fn kv_bytes_per_token(&self) -> f64 {
        let (l, d, _) = self.wide();
        (4 * l * d) as f64
    }

    /// FLOPs of the initial stage for one request padded to `s_pad` tokens:
    /// `L·(8·s'·d_m² + 4·s'²·d_m + 4·s'·d_m·d_f)` (the summand of `t^I`, MODEL.md §5).
    pub fn initial_flops(&self, s_pad: u32) -> u128 {
        let (l, d, f) = self.wide();
        let s = s_pad as u128;
        l * (8 * s * d * d + 4 * s * s * d + 4 * s * d * f)
    }

    /// FLOPs of decode iteration `j ≥ 1` for one request padded to `s_pad`:
    /// `L·(8·d_m² + 4·(s'+j)·d_m + 4·d_m·d_f)` (MODEL.md §5, iteration level).
    pub fn decode_iteration_flops(&self, s_pad: u32, j: u32) -> u128 {
        let (l, d, f) = self.wide();
        l * (8 * d * d + 4 * (s_pad as u128 + j as u128) * d + 4 * d * f)
    }

    /// FLOPs of all decode iterations of one request with output length `n`,
    /// padded to `s_pad`: `L·(n−1)·(8·d_m² + 4·(s' + n/2)·d_m + 4·d_m·d_f)`
    /// (the summand of `t^A`, MODEL.md §5). `4·(n/2)·d_m = 2·n·d_m` keeps it integral.
    pub fn decode_flops(&self, s_pad: u32, n: u32) -> u128 {
        if n == 0 {
            return 0;
        }
        let (l, d, f) = self.wide();
        let (s, n) = (s_pad as u128, n as u128);
        l * (n - 1) * (8 * d * d + 4 * s * d + 2 * n * d + 4 * d * f)
    }

    /// FLOPs of one sequence in one iteration of any shape: `q` new tokens with
    /// `c` tokens of context after the pass,
    /// `L·(q·(8·d_m² + 4·d_m·d_f) + 4·q·c·d_m)` — §5's initial stage is
    /// `q = c = s'`, its decode iteration `j` is `q = 1`, `c = s' + j`; each new
    /// token attends to the whole context after the pass, as §5 charges a
    /// full prefill `4·s'²·d_m` (MODEL.md §5, §13).
    pub fn iteration_flops(&self, q: u32, c: u32) -> u128 {
        let (l, d, f) = self.wide();
        let (q, c) = (q as u128, c as u128);
        l * (q * (8 * d * d + 4 * d * f) + 4 * q * c * d)
    }

    /// All FLOPs one request contributes to a batch padded to `s_pad`:
    /// its initial-stage share plus its decode iterations.
    pub fn request_flops(&self, s_pad: u32, n: u32) -> u128 {
        self.initial_flops(s_pad) + self.decode_flops(s_pad, n)
    }

    fn wide(&self) -> (u128, u128, u128) {
        (self.layers as u128, self.d_model as u128, self.d_ff as u128)
    }
}

/// The paper's cost model on one hardware instance: a model, its
/// quantization and a FLOP rate `C` (MODEL.md §5). Time is additive in FLOPs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlopsCost {
    /// Model dimensions.
    pub model: ModelDims,
    /// Quantization factors `α_w`, `α_kv`, `β`.
    pub quant: QuantParams,
    /// `C`, FLOP/s of the hardware the batch runs on (pooled: `G·c`).
    pub flop_rate: f64,
}

impl FlopsCost {
    /// This model as the shared cost model of an instance or a system.
    pub fn shared(self) -> std::sync::Arc<dyn CostModel> {
        std::sync::Arc::new(self)
    }

    /// `round(β·flops/C)` ns, for an exact FLOP total (MODEL.md §4–5).
    pub fn time_ns(&self, flops: u128) -> u64 {
        batch_time_ns(flops, self.quant.beta, self.flop_rate)
    }

    /// Exact FLOP total of a batch padded to `s_pad` with `levels` requests per output length.
    pub fn batch_flops(&self, s_pad: u32, levels: &LevelCounts) -> u128 {
        // Saturating: a count so large that its FLOPs leave u128 takes "forever".
        levels.iter().fold(0u128, |acc, &(n, c)| {
            acc.saturating_add((c as u128).saturating_mul(self.model.request_flops(s_pad, n)))
        })
    }
}

impl CostModel for FlopsCost {
    fn name(&self) -> &'static str {
        "Flops"
    }

    fn weight_bytes(&self) -> f64 {
        self.quant.alpha_w * self.model.weight_bytes()
    }

    fn kv_bytes_per_token(&self) -> f64 {
        self.quant.alpha_kv * self.model.kv_bytes_per_token()
    }

    fn batch_time_ns(&self, s_pad: u32, levels: &LevelCounts) -> u64 {
        self.time_ns(self.batch_flops(s_pad, levels))
    }

    fn first_token_ns(&self, s_pad: u32, levels: &LevelCounts) -> u64 {
        let count: u128 = levels.iter().map(|l| l.1 as u128).sum();
        self.time_ns(count.saturating_mul(self.model.initial_flops(s_pad)))
    }

    fn finish_ns(&self, s_pad: u32, levels: &LevelCounts, n: u32) -> u64 {
        // Request i runs decode iterations 1 … min(n_i, n) − 1 by then.
        let flops = levels.iter().fold(0u128, |acc, &(ni, c)| {
            let one = self.model.initial_flops(s_pad) + self.model.decode_flops(s_pad, ni.min(n));
            acc.saturating_add((c as u128).saturating_mul(one))
        });
        self.time_ns(flops)
    }

    /// `round(β·Σ_j iteration_flops(q_j, c_j)/C)` (MODEL.md §13 under
    /// `cost: Flops`); `emitting` costs nothing here (§5 has no LM-head term).
    fn iteration_ns(&self, seqs: &[(u32, u32)], _emitting: u32) -> u64 {
        let flops = seqs.iter().fold(0u128, |acc, &(q, c)| {
            acc.saturating_add(self.model.iteration_flops(q, c))
        });
        self.time_ns(flops)
    }

    fn flops(&self) -> Option<&FlopsCost> {
        Some(self)
    }

    fn spec(&self) -> CostSpec {
        CostSpec::Flops(*self)
    }
}

/// Converts an exact FLOP total to `β·flops/C` seconds (`f64`), MODEL.md §5.
pub fn flops_to_secs(flops: u128, beta: f64, flop_rate: f64) -> f64 {
    beta * (flops as f64) / flop_rate
}

/// Rounds non-negative `f64` seconds to the nearest ns, saturating at `u64::MAX`
/// (a time that large can never meet a deadline or fit a slot).
#[inline]
pub fn secs_to_ns_saturating(secs: f64) -> u64 {
    nearest_u64_saturating(secs * 1e9)
}

/// `x` rounded to the nearest integer, ties away from zero (as [`f64::round`]),
/// as a `u64`: 0 for NaN and for anything that rounds to 0 or below,
/// `u64::MAX` for anything that rounds to 2⁶⁴ or above.
///
/// Equal to `f64::round` then the saturating cast (a proptest checks it), without
/// the libm call on the simulator's hot path: for `0 < x < 2⁶⁴` the
/// truncating cast `t = ⌊x⌋` is exact, and so is `x − t` (below 2⁵³ both are
/// within a factor two of each other or `t = 0`; from 2⁵² up every `f64` is an
/// integer and the difference is 0), so `x − t ≥ 0.5` is exactly the tie-or-above
/// test of rounding half away from zero. `round(x) ≥ 2⁶⁴` iff `x ≥ 2⁶⁴`, since
/// every `f64` from 2⁵³ up is an integer.
#[inline]
pub(crate) fn nearest_u64_saturating(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    if x >= 18_446_744_073_709_551_616.0 {
        return u64::MAX;
    }
    if x < 9_223_372_036_854_775_808.0 {
        // Below 2⁶³ (every instant of a run): the same casts through `i64`,
        // one instruction each on x86-64 (the `u64` ones are a sequence).
        // The same integers: `⌊x⌋` fits, and either cast of it to `f64` is
        // the correctly rounded one.
        let t = x as i64;
        return t as u64 + u64::from(x - t as f64 >= 0.5);
    }
    let t = x as u64;
    t + u64::from(x - t as f64 >= 0.5)
}

/// `t_batch = β·(t^I + t^A)` in ns, from the batch's exact FLOP total (MODEL.md §4–5).
pub fn batch_time_ns(flops: u128, beta: f64, flop_rate: f64) -> u64 {
    secs_to_ns_saturating(flops_to_secs(flops, beta, flop_rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::cost::MODEL_PRESETS;

    const BLOOM3B: ModelDims = MODEL_PRESETS[0].dims;

    #[test]
    fn weight_bytes_of_each_preset() {
        // 30·(8·2560² + 4·2560·10240) = 30·(52 428 800 + 104 857 600) = 4 718 592 000
        assert_eq!(BLOOM3B.weight_bytes(), 4_718_592_000.0);
        // 30·(8·4096² + 4·4096·16384) = 30·(134 217 728 + 268 435 456) = 12 079 595 520
        assert_eq!(MODEL_PRESETS[1].dims.weight_bytes(), 12_079_595_520.0);
        // 40·(8·5120² + 4·5120·20480) = 40·(209 715 200 + 419 430 400) = 25 165 824 000
        assert_eq!(MODEL_PRESETS[2].dims.weight_bytes(), 25_165_824_000.0);
    }

    #[test]
    fn heads_times_head_dim_is_d_model() {
        // Table I: 32·80 = 2560, 32·128 = 4096, 40·128 = 5120.
        for (p, head_dim) in MODEL_PRESETS.iter().zip([80, 128, 128]) {
            assert_eq!(p.heads * head_dim, p.dims.d_model);
            assert_eq!(p.dims.d_ff, 4 * p.dims.d_model);
        }
    }

    #[test]
    fn model10_example_times() {
        // MODEL.md §10: BLOOM-3B, one request s = 512, n = 256, C = 2.66e13.
        // t^I = 30·(8·512·2560² + 4·512²·2560 + 4·512·2560·10240)/C
        //     = 30·(26 843 545 600 + 2 684 354 560 + 53 687 091 200)/2.66e13
        //     = 2 496 449 740 800/2.66e13 = 0.093851494…
        let ti = BLOOM3B.initial_flops(512);
        assert_eq!(ti, 2_496_449_740_800);
        // t^A = 30·255·(8·2560² + 4·(512+128)·2560 + 4·2560·10240)/C
        //     = 7650·(52 428 800 + 6 553 600 + 104 857 600)/2.66e13
        //     = 1 253 376 000 000/2.66e13 = 0.047119398…
        let ta = BLOOM3B.decode_flops(512, 256);
        assert_eq!(ta, 1_253_376_000_000);
        // t_batch = 0.75·(0.093851494 + 0.047119398) = 0.105728169 s (the value in §10).
        assert_eq!(batch_time_ns(ti + ta, 0.75, 2.66e13), 105_728_169);
    }

    #[test]
    fn iterations_sum_to_decode_flops() {
        // Σ_{j=1}^{n−1} (8d² + 4(s'+j)d + 4d·d_f) = (n−1)(8d² + 4s'd + 4d·d_f) + 4d·n(n−1)/2.
        for n in [1u32, 2, 3, 128, 257] {
            let sum: u128 = (1..n).map(|j| BLOOM3B.decode_iteration_flops(300, j)).sum();
            assert_eq!(sum, BLOOM3B.decode_flops(300, n), "n = {n}");
        }
    }

    #[test]
    fn iteration_flops_generalise_the_stages() {
        // q = c = s' is the initial stage; q = 1, c = s' + j is decode iteration j (§5).
        for s in [1u32, 7, 512] {
            assert_eq!(BLOOM3B.iteration_flops(s, s), BLOOM3B.initial_flops(s));
            for j in [1u32, 5, 300] {
                assert_eq!(
                    BLOOM3B.iteration_flops(1, s + j),
                    BLOOM3B.decode_iteration_flops(s, j)
                );
            }
        }
        // By hand, L = 2, d = 4, d_f = 16, q = 3, c = 5: 2·(3·(128 + 256) + 4·3·5·4) = 2·(1152 + 240) = 2784.
        let tiny = ModelDims {
            layers: 2,
            d_model: 4,
            d_ff: 16,
        };
        assert_eq!(tiny.iteration_flops(3, 5), 2784);
    }

    #[test]
    fn epoch_shaped_iterations_sum_to_the_batch_time() {
        // BLOOM-3B, W8A16 (β = 0.75), pooled C = 20·1.33e12; a batch padded to s' = 512
        // with outputs {128, 256, 256, 512}: the iterations of MODEL.md §5, each timed by
        // iteration_ns and rounded on its own, sum to batch_time_ns within ½ ns per iteration.
        let cost = FlopsCost {
            model: BLOOM3B,
            quant: QuantParams {
                alpha_w: 0.5,
                alpha_kv: 1.0,
                beta: 0.75,
            },
            flop_rate: 20.0 * 1.33e12,
        };
        let outputs = [128u32, 256, 256, 512];
        let s = 512u32;
        let mut sum = cost.iteration_ns(&[(s, s); 4], 4);
        let mut iterations = 1u64;
        for j in 1..512u32 {
            let seqs: Vec<(u32, u32)> = outputs
                .iter()
                .filter(|&&n| n > j)
                .map(|_| (1, s + j))
                .collect();
            sum += cost.iteration_ns(&seqs, seqs.len() as u32);
            iterations += 1;
        }
        let levels = crate::cost::level_counts(outputs);
        let batch = cost.batch_time_ns(s, &levels);
        let diff = sum.abs_diff(batch);
        assert!(
            2 * diff <= iterations,
            "{sum} vs {batch}: {diff} ns over {iterations} iterations"
        );
        assert_eq!(cost.iteration_ns(&[], 0), 0);
    }

    #[test]
    fn rounding_to_ns() {
        assert_eq!(secs_to_ns_saturating(1.5e-9), 2); // nearest, half away from zero
        assert_eq!(secs_to_ns_saturating(-3.0), 0);
        assert_eq!(secs_to_ns_saturating(1e30), u64::MAX);
    }

    /// The rounding as it was written before `nearest_u64_saturating`: libm's
    /// `round` (half away from zero), then the saturating cast.
    fn nearest_by_round(x: f64) -> u64 {
        let r = x.round();
        if r.is_nan() || r <= 0.0 {
            0
        } else if r >= u64::MAX as f64 {
            u64::MAX
        } else {
            r as u64
        }
    }

    #[test]
    fn nearest_matches_round_at_the_edges() {
        let two64 = 18_446_744_073_709_551_616.0_f64;
        let mut xs = vec![
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            5e-324,
            0.5,
            0.49999999999999994, // the largest f64 below ½: rounds to 0
            1.5,
            2.5,
            -0.5,
            -1.5,
            two64,
            two64 * 2.0,
        ];
        // Around 2⁵¹ … 2⁵⁴ (where ½ stops being representable) and below 2⁶⁴.
        for e in [51, 52, 53, 54, 63] {
            let p = 2f64.powi(e);
            for x in [p - 1.5, p - 1.0, p - 0.5, p, p + 0.5, p + 1.0, p + 1.5] {
                xs.extend([x, x.next_up(), x.next_down()]);
            }
        }
        xs.extend([two64.next_down(), two64.next_up()]);
        for x in xs {
            assert_eq!(nearest_u64_saturating(x), nearest_by_round(x), "{x:e}");
        }
        // Ties: k + ½ goes up.
        assert_eq!(nearest_u64_saturating(2.5), 3);
        assert_eq!(
            nearest_u64_saturating(4_503_599_627_370_495.5),
            4_503_599_627_370_496
        );
    }

    proptest::proptest! {
        #[test]
        fn nearest_matches_round_on_any_f64(bits in proptest::num::u64::ANY) {
            let x = f64::from_bits(bits);
            proptest::prop_assert_eq!(nearest_u64_saturating(x), nearest_by_round(x));
        }

        #[test]
        fn nearest_matches_round_on_ties_and_neighbours(k in 0u64..(1 << 52), shift in 0i32..12) {
            // k + ½ scaled down by 2^shift (exact): ties at every scale below 2⁵², and their neighbours.
            let tie = (k as f64 + 0.5) / 2f64.powi(shift);
            for x in [tie, tie.next_up(), tie.next_down(), k as f64] {
                proptest::prop_assert_eq!(nearest_u64_saturating(x), nearest_by_round(x));
            }
        }

        #[test]
        fn nearest_matches_round_on_large_values(x in 4.0e15f64..2.0e19) {
            proptest::prop_assert_eq!(nearest_u64_saturating(x), nearest_by_round(x));
        }

        #[test]
        fn secs_to_ns_matches_round(secs in 0.0f64..1.0e6) {
            proptest::prop_assert_eq!(secs_to_ns_saturating(secs), nearest_by_round(secs * 1e9));
        }
    }
}
