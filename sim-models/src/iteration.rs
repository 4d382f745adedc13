//! Iteration-level timing of a batch (MODEL.md §5): iteration 0 is the
//! initial stage (cost `β·t^I`, every request's first token), decode iteration
//! `j ≥ 1` costs `β·(L/C)·Σ_{n_i>j}(8·d_m² + 4·(s'+j)·d_m + 4·d_m·d_f)`, and
//! request `i` finishes after iteration `n_i − 1`.
//!
//! The instant an iteration ends is `start + round(β·F/C)` where `F` is the
//! exact integer FLOP count of every iteration so far, so the last one ends at
//! `start + t_batch` to the ns. The simulation uses the cost model's closed
//! forms ([`crate::cost::CostModel::first_token_ns`], `finish_ns`,
//! [`crate::cost::kv_peak_tokens`]), which jump between finishes;
//! [`iterations`] steps one iteration at a time and the tests check that both
//! give the same instants and the same KV peak.

use crate::cost::{FlopsCost, ModelDims};

/// One iteration of a batch, as [`iterations`] steps through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Iteration {
    /// Iteration index `j` (0 = initial stage).
    pub j: u32,
    /// Offset of its end from the compute start, ns.
    pub end_ns: u64,
    /// Requests running in it (`n_i > j`).
    pub running: u32,
    /// KV-cache tokens held during it: `running·(s' + j)`.
    pub kv_tokens: u64,
    /// Requests that finish at its end (`n_i = j + 1`).
    pub finishing: u32,
}

/// Every iteration of a batch, one by one (MODEL.md §5 iteration level).
pub fn iterations(cost: &FlopsCost, s_pad: u32, outputs: &[u32]) -> Vec<Iteration> {
    let model: &ModelDims = &cost.model;
    let max_n = outputs.iter().copied().max().unwrap_or(0).max(1);
    let mut flops = outputs.len() as u128 * model.initial_flops(s_pad);
    let mut out = Vec::with_capacity(max_n as usize);
    for j in 0..max_n {
        let running = outputs.iter().filter(|&&n| n.max(1) > j).count() as u32;
        if j > 0 {
            flops += running as u128 * model.decode_iteration_flops(s_pad, j);
        }
        out.push(Iteration {
            j,
            end_ns: cost.time_ns(flops),
            running,
            kv_tokens: running as u64 * (s_pad as u64 + j as u64),
            finishing: outputs.iter().filter(|&&n| n.max(1) == j + 1).count() as u32,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::{batch_time_ns, kv_peak_tokens, level_counts, CostModel};
    use crate::quant::QuantParams;
    use proptest::prelude::*;

    fn flops_cost(model: ModelDims, beta: f64, flop_rate: f64) -> FlopsCost {
        FlopsCost {
            model,
            quant: QuantParams {
                alpha_w: 1.0,
                alpha_kv: 1.0,
                beta,
            },
            flop_rate,
        }
    }

    /// A tiny model for hand calculation: L = 2, d_m = 4, d_f = 16.
    const TINY: ModelDims = ModelDims {
        layers: 2,
        d_model: 4,
        d_ff: 16,
    };

    #[test]
    fn small_batch_by_hand() {
        // Batch s = {3, 5}, n = {2, 3}, so s' = 5, on C = 1000 FLOP/s, β = 1.
        // t^I = (L·|S|/C)·(8·s'·d² + 4·s'²·d + 4·s'·d·d_f)
        //     = (2·2/1000)·(8·5·16 + 4·25·4 + 4·5·4·16) = 0.004·(640 + 400 + 1280) = 9.28 s.
        let ti = 2 * TINY.initial_flops(5);
        assert_eq!(ti, 9280);
        // t^A = (L/C)·Σ(n_i − 1)·(8d² + 4(s' + n_i/2)d + 4d·d_f)
        //     = (2/1000)·[1·(128 + 4·6·4 + 256) + 2·(128 + 4·6.5·4 + 256)]
        //     = 0.002·[480 + 2·488] = 0.002·1456 = 2.912 s.
        let ta = TINY.decode_flops(5, 2) + TINY.decode_flops(5, 3);
        assert_eq!(ta, 2912);
        // t_batch = β·(t^I + t^A) = 12.192 s; with β = 0.5: 6.096 s.
        assert_eq!(batch_time_ns(ti + ta, 0.5, 1000.0), 6_096_000_000);
        // First token after β·t^I = 4.64 s.
        let cost = flops_cost(TINY, 0.5, 1000.0);
        let levels = level_counts([2, 3]);
        assert_eq!(cost.first_token_ns(5, &levels), 4_640_000_000);
        // Iteration 1: both run, 2·2·(128 + 4·6·4 + 256) = 1920 FLOP, so the n = 2 request
        // finishes at β·(9280 + 1920)/1000 = 5.6 s; iteration 2: one runs, 2·(128 + 112 + 256)
        // = 992 FLOP, the batch ends at 0.5·(11 200 + 992)/1000 = 6.096 s.
        assert_eq!(cost.finish_ns(5, &levels, 2), 5_600_000_000);
        assert_eq!(cost.finish_ns(5, &levels, 3), 6_096_000_000);
        assert_eq!(cost.batch_time_ns(5, &levels), 6_096_000_000);
        // KV: iteration 0 holds 2·5 = 10 tokens, iteration 1 holds 2·6 = 12, iteration 2 holds 1·7 = 7.
        let it = iterations(&cost, 5, &[2, 3]);
        let kv: Vec<u64> = it.iter().map(|i| i.kv_tokens).collect();
        assert_eq!(kv, [10, 12, 7]);
        assert_eq!(kv_peak_tokens(5, &levels), 12);
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 256,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_0005),
            ..ProptestConfig::default()
        })]

        /// The iterations sum to β·(t^I + t^A) — checked against the formulas of MODEL.md §5
        /// evaluated independently in f64 — and step-by-step instants equal the closed forms.
        #[test]
        fn iteration_level_matches_closed_form(
            prompts in prop::collection::vec(1u32..600, 1..12),
            outputs_seed in prop::collection::vec(1u32..600, 12),
            preset in 0usize..3,
            beta in 0.3f64..1.0,
        ) {
            let model = crate::cost::MODEL_PRESETS[preset].dims;
            let outputs: Vec<u32> = outputs_seed[..prompts.len()].to_vec();
            let s_pad = *prompts.iter().max().unwrap();
            let c = 2.66e13;
            let (l, d, f) = (model.layers as f64, model.d_model as f64, model.d_ff as f64);
            let s = s_pad as f64;
            let k = outputs.len() as f64;
            // MODEL.md §5, written out in f64.
            let t_i = (l * k / c) * (8.0 * s * d * d + 4.0 * s * s * d + 4.0 * s * d * f);
            let t_a: f64 = outputs.iter().map(|&n| {
                let n = n as f64;
                (l / c) * (n - 1.0) * (8.0 * d * d + 4.0 * (s + n / 2.0) * d + 4.0 * d * f)
            }).sum();
            let cost = flops_cost(model, beta, c);
            let levels = level_counts(outputs.iter().copied());
            let its = iterations(&cost, s_pad, &outputs);
            let last = its.last().unwrap();
            let expected_ns = beta * (t_i + t_a) * 1e9;
            prop_assert!((last.end_ns as f64 - expected_ns).abs() <= 1.0 + expected_ns * 1e-12,
                "{} vs {}", last.end_ns, expected_ns);
            // Same to the ns as the batch cost used by the feasibility check.
            let flops: u128 = outputs.iter().map(|&n| model.request_flops(s_pad, n)).sum();
            prop_assert_eq!(last.end_ns, batch_time_ns(flops, beta, c));
            prop_assert_eq!(last.end_ns, cost.batch_time_ns(s_pad, &levels));
            prop_assert_eq!(its[0].end_ns, cost.first_token_ns(s_pad, &levels));
            for &n in &outputs {
                prop_assert_eq!(its[n as usize - 1].end_ns, cost.finish_ns(s_pad, &levels, n));
            }
            let finished: u32 = its.iter().map(|i| i.finishing).sum();
            prop_assert_eq!(finished as usize, outputs.len());
            // KV: the closed-form peak is the iteration-level peak, and never above the (1c) charge.
            let peak = its.iter().map(|i| i.kv_tokens).max().unwrap();
            prop_assert_eq!(peak, kv_peak_tokens(s_pad, &levels));
            let bound: u64 = outputs.iter().map(|&n| (s_pad + n) as u64).sum();
            prop_assert!(peak < bound);
        }
    }
}
