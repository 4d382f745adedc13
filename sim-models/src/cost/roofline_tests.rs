use super::*;
use crate::cost::{gpu_preset, kv_peak_tokens, model_preset, MODEL_PRESETS};
use proptest::prelude::*;

const FP16: QuantParams = QuantParams {
    alpha_w: 1.0,
    alpha_kv: 1.0,
    beta: 1.0,
};

/// Llama-3.1-8B on one A100-80GB SXM at its datasheet rates (312 TFLOP/s,
/// 2039 GB/s), with `η_F = η_B = 1` and `t_0 = 0` so that the hand
/// calculations below are the formula alone.
fn llama8b_a100() -> RooflineCost {
    let mut gpu = gpu_preset("A100-80GB-SXM").unwrap().params;
    gpu.eta_f = 1.0;
    gpu.eta_b = 1.0;
    gpu.t_0 = 0.0;
    RooflineCost {
        arch: model_preset("Llama-3.1-8B").unwrap().arch(),
        quant: FP16,
        gpu,
        tp: 1,
    }
}

#[test]
fn llama8b_prefill_512_on_a100_by_hand() {
    let c = llama8b_a100();
    let it = c.iteration(&IterationLoad::prefill(1, 512));
    // P_layer = 218 103 808 (models.rs), L·P = 32·218 103 808 = 6 979 321 856.
    // FLOPs = 2·L·P·512 + 2·d·V·1 + 4·L·n_h·d_h·(512·513/2)
    //       = 7 146 825 580 544 + 2·4096·128 256 + 4·32·32·128·131 328
    //       = 7 146 825 580 544 + 1 050 673 152 + 68 853 694 464 = 7 216 729 948 160
    assert_eq!(it.flops, 7_216_729_948_160.0);
    // bytes = 2·(L·P + d·V) + kv_tok·512 = 2·(6 979 321 856 + 525 336 576) + 131 072·512
    //       = 15 009 316 864 + 67 108 864 = 15 076 425 728
    assert_eq!(it.bytes, 15_076_425_728.0);
    // t_compute = 7.216 729 948 16e12 / 312e12 = 0.023 130 544 7 s
    // t_memory  = 15 076 425 728 / 2.039e12   = 0.007 394 029 3 s  → compute-bound.
    assert_eq!(it.bound, Bound::Compute);
    assert!((it.t_memory - 0.007_394_029_3).abs() < 1e-10);
    assert_eq!(it.t_comm, 0.0);
    // One request, output 1: the batch is the prefill alone: 23 130 545 ns.
    assert_eq!(c.batch_time_ns(512, &[(1, 1)]), 23_130_545);
    assert_eq!(c.first_token_ns(512, &[(1, 1)]), 23_130_545);
}

#[test]
fn llama8b_decode_batch_32_at_1024_on_a100_by_hand() {
    let c = llama8b_a100();
    let it = c.iteration(&IterationLoad::decode(32, 1024));
    // FLOPs = 32·(2·L·P + 2·d·V + 4·L·n_h·d_h·1024)
    //       = 32·(13 958 643 712 + 1 050 673 152 + 536 870 912) = 32·15 546 187 776
    //       = 497 478 008 832
    assert_eq!(it.flops, 497_478_008_832.0);
    // bytes = 2·(L·P + d·V) + kv_tok·32·1024 = 15 009 316 864 + 4 294 967 296 = 19 304 284 160
    assert_eq!(it.bytes, 19_304_284_160.0);
    // t_compute = 4.974 780 088 32e11 / 312e12 = 0.001 594 480 8 s
    // t_memory  = 19 304 284 160 / 2.039e12    = 0.009 467 525 3 s → memory-bound.
    assert_eq!(it.bound, Bound::Memory);
    assert!((it.t_compute - 0.001_594_480_8).abs() < 1e-10);
    assert!((it.total - 0.009_467_525_3).abs() < 1e-10);
}

#[test]
fn tensor_parallel_comm_by_hand() {
    // Llama-3.1-8B on 4 A100s, decode of 32 sequences: Σq = 32.
    // t_comm = 2·32·(2·3/4·2·4096·32/300e9 + 2·3·2e-6)
    //        = 64·(393 216/300e9 + 12e-6) = 64·(1.310 72e-6 + 12e-6) = 8.518 86e-4 s
    let mut c = llama8b_a100();
    c.tp = 4;
    let it = c.iteration(&IterationLoad::decode(32, 1024));
    assert!((it.t_comm - 8.518_860_8e-4).abs() < 1e-12, "{}", it.t_comm);
    // Rates are 4×: t_memory = 19 304 284 160 / (4·2.039e12) = 0.002 366 881 3 s.
    assert!((it.t_memory - 0.002_366_881_3).abs() < 1e-10);
}

#[test]
fn int8_activations_use_f8() {
    let mut c = llama8b_a100();
    let fp16 = c.iteration(&IterationLoad::prefill(1, 512));
    c.quant = QuantParams {
        alpha_w: 0.5,
        alpha_kv: 0.5,
        beta: 1.0,
    };
    let w8a8 = c.iteration(&IterationLoad::prefill(1, 512));
    // Same FLOPs at 624 instead of 312 TOP/s: half the compute time.
    assert_eq!(w8a8.flops, fp16.flops);
    assert!((w8a8.t_compute * 2.0 - fp16.t_compute).abs() < 1e-15);
}

#[test]
fn memory_figures_by_hand() {
    let c = llama8b_a100();
    // Untied: 2·(L·P + 2·d·V) = 2·(6 979 321 856 + 1 050 673 152) = 16 059 990 016 B.
    assert_eq!(c.weight_bytes(), 16_059_990_016.0);
    assert_eq!(c.kv_bytes_per_token(), 131_072.0);
}

/// Every iteration's time, one by one (the definition the closed form must match).
fn stepwise_secs(c: &RooflineCost, s_pad: u32, outputs: &[u32]) -> Vec<f64> {
    let max_n = outputs.iter().copied().max().unwrap_or(1).max(1);
    let mut t = c
        .iteration(&IterationLoad::prefill(outputs.len() as u64, s_pad as u64))
        .total;
    let mut out = vec![t];
    for j in 1..max_n {
        let running = outputs.iter().filter(|&&n| n.max(1) > j).count() as u64;
        t += c
            .iteration(&IterationLoad::decode(running, s_pad as u64 + j as u64))
            .total;
        out.push(t);
    }
    out
}

fn arb_cost() -> impl Strategy<Value = RooflineCost> {
    (
        0..MODEL_PRESETS.len(),
        0..GPU_PRESETS_LEN,
        1u32..9,
        prop::sample::select(vec![(1.0, 1.0), (0.5, 1.0), (0.25, 1.0), (0.5, 0.5)]),
        0.0f64..0.01,
    )
        .prop_map(|(m, g, tp, (aw, akv), t0)| {
            let mut gpu = crate::cost::GPU_PRESETS[g].params;
            gpu.t_0 = t0;
            RooflineCost {
                arch: MODEL_PRESETS[m].arch(),
                quant: QuantParams {
                    alpha_w: aw,
                    alpha_kv: akv,
                    beta: 1.0,
                },
                gpu,
                tp,
            }
        })
}

const GPU_PRESETS_LEN: usize = crate::cost::GPU_PRESETS.len();

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The closed form (two arithmetic series per level segment) equals the
    /// sum of the iterations stepped one by one, at every request's finish.
    #[test]
    fn closed_form_matches_stepping(
        c in arb_cost(),
        s_pad in 1u32..3000,
        outputs in prop::collection::vec(1u32..700, 1..12),
    ) {
        let steps = stepwise_secs(&c, s_pad, &outputs);
        let levels = crate::cost::level_counts(outputs.iter().copied());
        for &(n, _) in &levels {
            let closed = c.elapsed_secs(s_pad, &levels, n);
            let step = steps[n as usize - 1];
            prop_assert!((closed - step).abs() <= 1e-9 * step, "n = {}: {} vs {}", n, closed, step);
        }
    }

    /// first token ≤ every finish ≤ t_batch.
    #[test]
    fn first_token_le_finish_le_batch(
        c in arb_cost(),
        s_pad in 1u32..3000,
        outputs in prop::collection::vec(1u32..2000, 1..12),
    ) {
        let levels = crate::cost::level_counts(outputs.iter().copied());
        let first = c.first_token_ns(s_pad, &levels);
        let batch = c.batch_time_ns(s_pad, &levels);
        for &(n, _) in &levels {
            let f = c.finish_ns(s_pad, &levels, n);
            prop_assert!(first <= f && f <= batch, "{} {} {}", first, f, batch);
        }
        prop_assert_eq!(c.finish_ns(s_pad, &levels, levels.last().unwrap().0), batch);
    }

    /// t_batch does not fall when a request is added, or moved to a longer level
    /// (MODEL.md §11: the exact and search schedulers rely on it).
    #[test]
    fn batch_time_monotone(
        c in arb_cost(),
        s_pad in 1u32..3000,
        outputs in prop::collection::vec(1u32..2000, 1..12),
        extra in 1u32..2000,
        which in 0usize..12,
        longer in 1u32..500,
    ) {
        let base = c.batch_time_ns(s_pad, &crate::cost::level_counts(outputs.iter().copied()));
        let mut added = outputs.clone();
        added.push(extra);
        prop_assert!(c.batch_time_ns(s_pad, &crate::cost::level_counts(added)) >= base);
        let mut moved = outputs.clone();
        let i = which % moved.len();
        moved[i] += longer;
        prop_assert!(c.batch_time_ns(s_pad, &crate::cost::level_counts(moved)) >= base);
        // And padding to a longer prompt.
        prop_assert!(c.batch_time_ns(s_pad + longer, &crate::cost::level_counts(outputs.iter().copied())) >= base);
    }

    /// A decode iteration: time falls as bandwidth rises; when memory-bound
    /// (at both FLOP rates) it does not depend on FLOP/s.
    #[test]
    fn decode_falls_with_bandwidth_flat_in_flops(
        c in arb_cost(),
        batch in 1u64..64,
        ctx in 1u64..4096,
        bw_up in 1.0f64..10.0,
        f_up in 1.0f64..10.0,
    ) {
        let load = IterationLoad::decode(batch, ctx);
        let t = c.iteration(&load);
        let mut faster_mem = c;
        faster_mem.gpu.bandwidth *= bw_up;
        prop_assert!(faster_mem.iteration(&load).total <= t.total);
        let mut faster_alu = c;
        faster_alu.gpu.flops *= f_up;
        faster_alu.gpu.int8_ops *= f_up;
        let t2 = faster_alu.iteration(&load);
        prop_assert!(t2.total <= t.total);
        if t.bound == Bound::Memory {
            prop_assert_eq!(t2.total, t.total);
        }
    }

    /// A prefill: time falls as FLOP/s rises; when compute-bound it does not
    /// depend on bandwidth.
    #[test]
    fn prefill_falls_with_flops_flat_in_bandwidth(
        c in arb_cost(),
        batch in 1u64..16,
        prompt in 1u64..4096,
        bw_up in 1.0f64..10.0,
        f_up in 1.0f64..10.0,
    ) {
        let load = IterationLoad::prefill(batch, prompt);
        let t = c.iteration(&load);
        let mut faster_alu = c;
        faster_alu.gpu.flops *= f_up;
        faster_alu.gpu.int8_ops *= f_up;
        prop_assert!(faster_alu.iteration(&load).total <= t.total);
        let mut faster_mem = c;
        faster_mem.gpu.bandwidth *= bw_up;
        let t2 = faster_mem.iteration(&load);
        prop_assert!(t2.total <= t.total);
        if t.bound == Bound::Compute {
            prop_assert_eq!(t2.total, t.total);
        }
    }
}

#[test]
fn decode_is_memory_bound_and_prefill_compute_bound_where_expected() {
    let c = llama8b_a100();
    // Batch 1 decode reads 16 GB for 16 GFLOPs: memory-bound; a 2048-token
    // prefill does 2048× the FLOPs on the same bytes: compute-bound.
    assert_eq!(
        c.iteration(&IterationLoad::decode(1, 512)).bound,
        Bound::Memory
    );
    assert_eq!(
        c.iteration(&IterationLoad::prefill(1, 2048)).bound,
        Bound::Compute
    );
}

#[test]
fn kv_peak_is_the_schedule_not_the_timing() {
    // The same kv_peak_tokens serves both cost models; (1c) with the
    // roofline's bytes: weights + kv_tok·peak.
    let c = llama8b_a100();
    let levels = [(128u32, 2u64), (512, 1)];
    let peak = kv_peak_tokens(512, &levels);
    // max(3·(512+127), 1·(512+511)) = max(1917, 1023) = 1917.
    assert_eq!(peak, 1917);
    assert_eq!(
        c.weight_bytes() + c.kv_bytes_per_token() * peak as f64,
        16_059_990_016.0 + 131_072.0 * 1917.0
    );
}

#[test]
fn epoch_shaped_iterations_sum_to_the_batch_time() {
    // The contract of CostModel::iteration_ns: one iteration with (s', s') per
    // request (all emitting), then for j = 1, 2, … one with (1, s' + j) per request
    // with n_i > j, each rounded on its own, sums to batch_time_ns (the closed form,
    // rounded once) within ½ ns per iteration. Llama-3.1-8B on 4 A100s with the
    // shipped constants (t_comm > 0), s' = 512, outputs {128, 256, 256, 512}.
    let mut c = llama8b_a100();
    c.gpu = gpu_preset("A100-80GB-SXM").unwrap().params;
    c.tp = 4;
    let outputs = [128u32, 256, 256, 512];
    let s = 512u32;
    let mut sum = c.iteration_ns(&[(s, s); 4], 4);
    let mut iterations = 1u64;
    for j in 1..512u32 {
        let seqs: Vec<(u32, u32)> = outputs
            .iter()
            .filter(|&&n| n > j)
            .map(|_| (1, s + j))
            .collect();
        sum += c.iteration_ns(&seqs, seqs.len() as u32);
        iterations += 1;
    }
    let batch = c.batch_time_ns(s, &crate::cost::level_counts(outputs));
    let diff = sum.abs_diff(batch);
    assert!(2 * diff <= iterations, "{sum} vs {batch}: {diff} ns");
    assert_eq!(c.iteration_ns(&[], 0), 0);
    // One prefill chunk of q = 3 at c = 5 is (3·5 − 3) = 12 query–key pairs, as the
    // IterationLoad sum Σ(q·c − q(q−1)/2) defines: the same as the iteration figure.
    let load = IterationLoad {
        tokens: 3.0,
        attention: 12.0,
        context: 5.0,
        emitted: 1.0,
    };
    assert_eq!(
        c.iteration_ns(&[(3, 5)], 1),
        secs_to_ns_saturating(c.iteration(&load).total)
    );
}

/// The batch time as it was computed before the constants were hoisted
/// (commit b6349f9): every constant derived from the fields on each call,
/// the prefill through [`RooflineCost::iteration`], the decode runs through
/// the closed form below. The test oracle of the faster path: both must give
/// the same `f64`, bit for bit.
fn reference_elapsed_secs(c: &RooflineCost, s_pad: u32, levels: &[(u32, u64)], upto: u32) -> f64 {
    let mut sorted: Vec<(u32, u64)> = levels
        .iter()
        .filter(|l| l.1 > 0)
        .map(|&(n, k)| (n.max(1), k))
        .collect();
    if sorted.is_empty() {
        return 0.0;
    }
    sorted.sort_unstable();
    let l = c.arch.dims.layers as f64;
    let a = 2.0 * l * c.arch.layer_params() + 2.0 * c.arch.head_params();
    let b = 4.0 * l * c.arch.heads as f64 * c.arch.head_dim as f64;
    let (comm_per_token, comm_fixed) = if c.tp <= 1 {
        (0.0, 0.0)
    } else {
        let t = c.tp as f64;
        let d = c.arch.dims.d_model as f64;
        (
            2.0 * l * 2.0 * (t - 1.0) / t * 2.0 * d / c.gpu.link_bandwidth,
            2.0 * l * 2.0 * (t - 1.0) * c.gpu.link_latency,
        )
    };
    let w = c.quant.alpha_w * 2.0 * c.arch.read_params();
    let k = c.quant.alpha_kv * c.arch.kv_bytes_per_token_fp16();
    let f = if c.quant.alpha_kv <= 0.5 {
        c.gpu.int8_ops
    } else {
        c.gpu.flops
    };
    let rf = c.tp as f64 * f * c.gpu.eta_f;
    let rb = c.tp as f64 * c.gpu.bandwidth * c.gpu.eta_b;
    let decode_run = |count: u64, c_first: u64, c_last: u64| -> f64 {
        if count == 0 || c_last < c_first {
            return 0.0;
        }
        let r = count as f64;
        let (p0, p1) = (r * a / rf, r * b / rf);
        let (q0, q1) = (w / rb, r * k / rb);
        let compute_wins = |c: u64| p0 + p1 * c as f64 >= q0 + q1 * c as f64;
        let series = |u: f64, v: f64, lo: u64, hi: u64| -> f64 {
            let n = (hi - lo + 1) as f64;
            n * u + v * (lo as f64 + hi as f64) * n / 2.0
        };
        let crossing = if p1 == q1 {
            f64::INFINITY
        } else {
            (q0 - p0) / (p1 - q1)
        };
        let (mut split, first_part_compute) = if crossing.is_finite() {
            (
                crossing.ceil().clamp(c_first as f64, c_last as f64 + 1.0) as u64,
                p1 < q1,
            )
        } else {
            (c_last + 1, compute_wins(c_first))
        };
        while split > c_first && compute_wins(split - 1) != first_part_compute {
            split -= 1;
        }
        while split <= c_last && compute_wins(split) == first_part_compute {
            split += 1;
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
        let n = (c_last - c_first + 1) as f64;
        head + tail + n * (c.gpu.t_0 + comm_per_token * r + comm_fixed)
    };
    let total: u64 = sorted.iter().map(|l| l.1).sum();
    let s = s_pad as u64;
    let mut secs = c.iteration(&IterationLoad::prefill(total, s)).total;
    let last = upto.saturating_sub(1) as u64;
    let mut running = total;
    let mut from = 1u64;
    for &(n, count) in sorted.iter() {
        let to = (n as u64 - 1).min(last);
        if to >= from {
            secs += decode_run(running, s + from, s + to);
        }
        from = from.max(n as u64);
        running -= count;
        if from > last {
            break;
        }
    }
    secs
}

/// [`arb_cost`] with the FLOP and byte rates scaled independently by
/// 10^[−3, 3] and a tensor-parallel degree up to 64: the compute/memory
/// crossover of the decode runs then falls anywhere (before, inside or after
/// a run), which is where the closed form's split is estimated and corrected.
fn arb_cost_scaled() -> impl Strategy<Value = RooflineCost> {
    (arb_cost(), -3.0f64..3.0, -3.0f64..3.0, 1u32..65).prop_map(|(mut c, f, b, tp)| {
        c.gpu.flops *= 10f64.powf(f);
        c.gpu.int8_ops *= 10f64.powf(f);
        c.gpu.bandwidth *= 10f64.powf(b);
        c.tp = tp;
        c
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    /// The fast path changes no bit: `elapsed_secs` (constants per call) and
    /// the [`PreparedRoofline`] that `CostSpec::build` returns (constants once)
    /// equal the pre-hoisting formula exactly in `batch_time_ns`,
    /// `first_token_ns` and `finish_ns`, on random instances, rates, paddings
    /// and level lists (any order, zero counts and `n = 0` included, more
    /// levels than the stack holds).
    #[test]
    fn fast_path_is_bit_identical_to_the_per_iteration_formula(
        c in prop_oneof![arb_cost(), arb_cost_scaled()],
        s_pad in 1u32..4096,
        levels in prop::collection::vec((0u32..2048, 0u64..200), 0..24),
        upto in 0u32..2100,
    ) {
        // As given, and in the schedulers' form (n ≥ 1 ascending, distinct,
        // counts > 0), which the fast path uses without copying or sorting.
        let canonical: Vec<(u32, u64)> = levels
            .iter()
            .filter(|l| l.1 > 0)
            .map(|&(n, k)| (n.max(1), k))
            .collect::<std::collections::BTreeMap<u32, u64>>()
            .into_iter()
            .collect();
        let built = CostSpec::Roofline(c).build();
        for levels in [&levels, &canonical] {
            let old = |upto: u32| reference_elapsed_secs(&c, s_pad, levels, upto);
            prop_assert_eq!(c.elapsed_secs(s_pad, levels, upto).to_bits(), old(upto).to_bits());
            let longest = levels.iter().filter(|l| l.1 > 0).map(|l| l.0.max(1)).max().unwrap_or(0);
            for m in [&c as &dyn CostModel, &c.prepared(), &*built] {
                prop_assert_eq!(m.batch_time_ns(s_pad, levels), secs_to_ns_saturating(old(longest)));
                prop_assert_eq!(m.first_token_ns(s_pad, levels), secs_to_ns_saturating(old(1)));
                prop_assert_eq!(
                    m.finish_ns(s_pad, levels, upto),
                    secs_to_ns_saturating(old(upto.max(1)))
                );
            }
        }
        // `decode_run_secs` (public, any contexts) against the reference's
        // decode run: the first level's run from context s' + 1.
        if let Some(&(n, _)) = canonical.first() {
            let total: u64 = canonical.iter().map(|l| l.1).sum();
            let s = s_pad as u64;
            let run = c.decode_run_secs(total, s + 1, s + n as u64 - 1);
            let prefill = c.iteration(&IterationLoad::prefill(total, s)).total;
            let whole = reference_elapsed_secs(&c, s_pad, &canonical, n);
            prop_assert_eq!((prefill + run).to_bits(), whole.to_bits());
        }
    }
}

/// The model runs use (`CostSpec::build`, the prepared roofline) answers
/// with the plain formulas, not with itself: memory figures by hand (see
/// `memory_figures_by_hand`), an iteration's time against
/// `RooflineCost::iteration` on the load written out here, and the spec and
/// `Debug` text of the plain model.
#[test]
fn built_roofline_answers_with_the_plain_formulas() {
    for tp in [1, 2, 8] {
        let c = RooflineCost {
            tp,
            ..llama8b_a100()
        };
        let p = CostSpec::Roofline(c).build();
        assert_eq!(p.name(), "Roofline");
        // 2·(L·P + 2·d·V) = 16 059 990 016 B of weights; KV per token
        // 2·L·n_kv·d_h·2 B = 2·32·8·128·2 = 131 072 B (whatever T: pool totals).
        assert_eq!(p.weight_bytes(), 16_059_990_016.0);
        assert_eq!(p.kv_bytes_per_token(), 131_072.0);
        // One prompt of 512 prefilled whole (q = c = 512) and two sequences
        // decoding at contexts 700 and 1 030: Σq = 514, attention
        // 512·512 − 512·511/2 + 700 + 1 030 = 131 328 + 1 730 = 133 058,
        // context 512 + 700 + 1 030 = 2 242, 3 emitting.
        let load = IterationLoad {
            tokens: 514.0,
            attention: 133_058.0,
            context: 2_242.0,
            emitted: 3.0,
        };
        let seqs = [(512, 512), (1, 700), (1, 1030)];
        assert_eq!(
            p.iteration_ns(&seqs, 3),
            secs_to_ns_saturating(c.iteration(&load).total)
        );
        assert_eq!(p.spec(), CostSpec::Roofline(c));
        assert_eq!(format!("{p:?}"), format!("{c:?}"));
    }
}
