//! Iteration-level timing of a batch (MODEL.md §5): iteration 0 is the
//! initial stage (cost `β·t^I`, every request's first token), decode iteration
//! `j ≥ 1` costs `β·(L/C)·Σ_{n_i>j}(8·d_m² + 4·(s'+j)·d_m + 4·d_m·d_f)`, and
//! request `i` finishes after iteration `n_i − 1`.
//!
//! The instant an iteration ends is `start + round(β·F/C)` where `F` is the
//! exact integer FLOP count of every iteration so far, so the last one ends at
//! `start + t_batch` to the ns. The simulation uses the closed forms here
//! ([`first_token_ns`], [`finish_ns`], [`kv_peak_tokens`]), which jump between
//! finishes; [`iterations`] steps one iteration at a time and the tests check
//! that both give the same instants and the same KV peak.

use crate::cost::{batch_time_ns, ModelDims};

/// The offset from the compute start at which a batch's initial stage ends
/// (every request's first token), ns: `round(β·|S|·L·(8s'd² + 4s'²d + 4s'd·d_f)/C)`.
pub fn first_token_ns(
    model: &ModelDims,
    s_pad: u32,
    batch_len: usize,
    beta: f64,
    flop_rate: f64,
) -> u64 {
    batch_time_ns(
        batch_len as u128 * model.initial_flops(s_pad),
        beta,
        flop_rate,
    )
}

/// The offset from the compute start at which a request with output `n`
/// finishes (after iteration `n − 1`), ns. Request `i` runs decode iterations
/// `1 … min(n_i, n) − 1` by then, which is `decode_flops(s', min(n_i, n))`.
pub fn finish_ns(
    model: &ModelDims,
    s_pad: u32,
    outputs: &[u32],
    n: u32,
    beta: f64,
    flop_rate: f64,
) -> u64 {
    let flops: u128 = outputs
        .iter()
        .map(|&ni| model.initial_flops(s_pad) + model.decode_flops(s_pad, ni.min(n)))
        .sum();
    batch_time_ns(flops, beta, flop_rate)
}

/// The most KV-cache tokens the batch holds at once: at iteration `j` every
/// request with `n_i > j` holds `s' + j` tokens (MODEL.md §5), so the peak is
/// at some `j = N − 1` for an output length `N` of the batch: `max_N #{n_i ≥ N}·(s' + N − 1)`.
pub fn kv_peak_tokens(s_pad: u32, outputs: &[u32]) -> u64 {
    let mut sorted: Vec<u32> = outputs.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    // After sorting descending, position i has at least i + 1 requests with n ≥ sorted[i];
    // the last of equal values has exactly #{n ≥ N}, the others give smaller products.
    sorted
        .iter()
        .enumerate()
        .map(|(i, &n)| (i as u64 + 1) * (s_pad as u64 + n.max(1) as u64 - 1))
        .max()
        .unwrap_or(0)
}

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
pub fn iterations(
    model: &ModelDims,
    s_pad: u32,
    outputs: &[u32],
    beta: f64,
    flop_rate: f64,
) -> Vec<Iteration> {
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
            end_ns: batch_time_ns(flops, beta, flop_rate),
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
    use proptest::prelude::*;

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
        assert_eq!(first_token_ns(&TINY, 5, 2, 0.5, 1000.0), 4_640_000_000);
        // Iteration 1: both run, 2·2·(128 + 4·6·4 + 256) = 1920 FLOP, so the n = 2 request
        // finishes at β·(9280 + 1920)/1000 = 5.6 s; iteration 2: one runs, 2·(128 + 112 + 256)
        // = 992 FLOP, the batch ends at 0.5·(11 200 + 992)/1000 = 6.096 s.
        assert_eq!(finish_ns(&TINY, 5, &[2, 3], 2, 0.5, 1000.0), 5_600_000_000);
        assert_eq!(finish_ns(&TINY, 5, &[2, 3], 3, 0.5, 1000.0), 6_096_000_000);
        // KV: iteration 0 holds 2·5 = 10 tokens, iteration 1 holds 2·6 = 12, iteration 2 holds 1·7 = 7.
        let it = iterations(&TINY, 5, &[2, 3], 0.5, 1000.0);
        let kv: Vec<u64> = it.iter().map(|i| i.kv_tokens).collect();
        assert_eq!(kv, [10, 12, 7]);
        assert_eq!(kv_peak_tokens(5, &[2, 3]), 12);
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
            let its = iterations(&model, s_pad, &outputs, beta, c);
            let last = its.last().unwrap();
            let expected_ns = beta * (t_i + t_a) * 1e9;
            prop_assert!((last.end_ns as f64 - expected_ns).abs() <= 1.0 + expected_ns * 1e-12,
                "{} vs {}", last.end_ns, expected_ns);
            // Same to the ns as the batch cost used by the feasibility check.
            let flops: u128 = outputs.iter().map(|&n| model.request_flops(s_pad, n)).sum();
            prop_assert_eq!(last.end_ns, batch_time_ns(flops, beta, c));
            prop_assert_eq!(its[0].end_ns, first_token_ns(&model, s_pad, outputs.len(), beta, c));
            for &n in &outputs {
                prop_assert_eq!(its[n as usize - 1].end_ns, finish_ns(&model, s_pad, &outputs, n, beta, c));
            }
            let finished: u32 = its.iter().map(|i| i.finishing).sum();
            prop_assert_eq!(finished as usize, outputs.len());
            // KV: the closed-form peak is the iteration-level peak, and never above the (1c) charge.
            let peak = its.iter().map(|i| i.kv_tokens).max().unwrap();
            prop_assert_eq!(peak, kv_peak_tokens(s_pad, &outputs));
            let bound: u64 = outputs.iter().map(|&n| (s_pad + n) as u64).sum();
            prop_assert!(peak < bound);
        }
    }
}
