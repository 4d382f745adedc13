//! Instance generators for the benchmarks (`benches/schedulers.rs`), public so
//! that other benches and tests can draw the same instances. Not part of the
//! scheduling API.
//!
//! [`paper_epoch`] draws the pending queue at one scheduling instant of the
//! paper's default setting (MODEL.md §2–4, paper §IV): BLOOM-3B, W8A16, 20 GPUs
//! × 1.33 TFLOP/s × 32 GB pooled, `T_U = T_D = 0.25` s, `T_C = 1.5` s. With
//! `τ ≤ 2` s, a request still alive at `t_k` (budget `> T_U + T_D`) arrived
//! within the last epoch period `T_C`, after the previous scheduling instant,
//! so the queue is exactly the Poisson arrivals of the last `T_C`: waiting
//! time `w`, `τ ~ U[0.5, 2]`, budget `τ − w`, kept if `> T_U + T_D` and
//! eligible (`ε ~ U[0, 1] ≥ ΔPPL = 0.02`); prompts and outputs uniform over
//! {128, 256, 512}; one shared channel gain `g = 10⁻³·Exp(1)` per epoch.

use sim_models::cost::{FlopsCost, MODEL_PRESETS};
use sim_models::instance::{Candidate, Instance};
use sim_models::quant::QuantParams;
use sim_models::scheduler::SystemInfo;

/// A small deterministic generator (SplitMix64), so the crate needs no RNG dependency.
#[derive(Clone, Debug)]
pub struct SplitMix(u64);

impl SplitMix {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Exponential with rate 1.
    pub fn exp1(&mut self) -> f64 {
        -(1.0 - self.unit()).ln()
    }
}

/// The paper's cost model (BLOOM-3B, W8A16) on `gpus` pooled Jetson TX2s (1.33 TFLOP/s each).
pub fn paper_cost(gpus: u32) -> std::sync::Arc<dyn sim_models::cost::CostModel> {
    FlopsCost {
        model: MODEL_PRESETS[0].dims,
        quant: QuantParams {
            alpha_w: 0.5,
            alpha_kv: 1.0,
            beta: 0.75,
        },
        flop_rate: gpus as f64 * 1.33e12,
    }
    .shared()
}

/// The toy model of the hand-built tests: `L = d_m = d_f = 1`, `β = 1`,
/// `α_kv = 1`, so one FLOP takes `1/flop_rate` s; a request with `s = 1`,
/// `n = 1` costs 16 FLOPs and one with `s = 1`, `n = 2` 36 (MODEL.md §5:
/// `8·s·d² + 4·s²·d + 4·s·d·d_f = 8 + 4 + 4 = 16` for the initial stage, and
/// `(n−1)·(8·d² + 4·(s + n/2)·d + 4·d·d_f) = 8 + 8 + 4 = 20` for one decode step).
pub fn toy_cost(alpha_w: f64, flop_rate: f64) -> FlopsCost {
    FlopsCost {
        model: sim_models::cost::ModelDims {
            layers: 1,
            d_model: 1,
            d_ff: 1,
        },
        quant: QuantParams {
            alpha_w,
            alpha_kv: 1.0,
            beta: 1.0,
        },
        flop_rate,
    }
}

/// The paper's pooled system (MODEL.md §2–6 defaults) with no requests.
pub fn paper_template() -> Instance {
    Instance {
        cost: paper_cost(20),
        memory: 20.0 * 32e9,
        t_u_ns: 250_000_000,
        t_c_ns: 1_500_000_000,
        t_d_ns: 250_000_000,
        requests: vec![],
    }
}

/// The paper's system as a scheduler sees it at build time (max prompt 512, `N_K = 512`).
pub fn paper_system() -> SystemInfo {
    SystemInfo {
        template: paper_template(),
        gpu_count: 20,
        single_gpu_cost: paper_cost(1),
        memory_per_gpu: 32e9,
        max_prompt: 512,
        max_output: 512,
    }
}

/// One epoch's pending queue at arrival rate `lambda` (req/s), as described in
/// the module docs. Deterministic in `(lambda, seed)`.
pub fn paper_epoch(lambda: f64, seed: u64) -> Instance {
    let mut rng = SplitMix::new(seed ^ lambda.to_bits().rotate_left(17));
    let mut inst = paper_template();
    let window = inst.t_c_ns as f64 * 1e-9;
    let slots = (inst.t_u_ns + inst.t_d_ns) as i64;
    // One shared gain (MODEL.md §3): SE = log2(1 + p·g/(N0·B)).
    let g = 1e-3 * rng.exp1();
    let band = 20e6;
    let noise = 10f64.powf(-174.0 / 10.0) * 1e-3 * band;
    let se_up = (1.0 + 0.1 * g / noise).log2();
    let se_down = (1.0 + 10f64.powf(4.3) * 1e-3 * g / noise).log2();
    // Arrivals going back in time from t_k: waiting times w.
    let mut waits = vec![];
    let mut w = rng.exp1() / lambda;
    while w < window {
        waits.push(w);
        w += rng.exp1() / lambda;
    }
    waits.reverse(); // arrival order: longest wait first
    let lengths = [128u32, 256, 512];
    for (id, &w) in waits.iter().enumerate() {
        let s = lengths[(rng.next_u64() % 3) as usize];
        let n = lengths[(rng.next_u64() % 3) as usize];
        let tau = 0.5 + 1.5 * rng.unit();
        let eps = rng.unit();
        let budget_ns = ((tau - w) * 1e9).round() as i64;
        if budget_ns <= slots || eps < 0.02 {
            continue; // expired, or rejected for accuracy (W8A16 ΔPPL 0.02)
        }
        let rho_up = s as f64 * 16.0 / (0.25 * band * se_up);
        let rho_down = n as f64 * 16.0 / (0.25 * band * se_down);
        inst.requests
            .push(Candidate::new(id as u64, s, n, budget_ns, rho_up, rho_down));
    }
    inst
}

/// [`paper_epoch`] with a band of `band_hz` for both links and a gain per
/// user (50 users, request id mod 50, `Exp(1)·10⁻³` from `seed`), so `ρ`
/// differs between users and (1a)/(1b) can bind: with 3 kHz only a handful of
/// uploads fit (as `scenarios/paper/fig5a-bandwidth.ron`), with 1 kHz most
/// requests need a fifth of a band or more. `ρ = s·16/(T_U·B·SE)` with
/// `SE = log2(1 + p·g/(N0·B))`, 20 dBm up and 43 dBm down (MODEL.md §3).
pub fn banded_epoch(lambda: f64, seed: u64, band_hz: f64) -> Instance {
    let mut inst = paper_epoch(lambda, seed);
    let mut rng = SplitMix::new(seed ^ 0xba4d_b14d);
    let noise = 10f64.powf(-174.0 / 10.0) * 1e-3 * band_hz;
    let gains: Vec<f64> = (0..50).map(|_| 1e-3 * rng.exp1()).collect();
    for c in inst.requests.iter_mut() {
        let g = gains[(c.id % 50) as usize];
        let se_up = (1.0 + 0.1 * g / noise).log2();
        let se_down = (1.0 + 10f64.powf(4.3) * 1e-3 * g / noise).log2();
        let up = c.prompt as f64 * 16.0 / (0.25 * band_hz * se_up);
        let down = c.output as f64 * 16.0 / (0.25 * band_hz * se_down);
        *c = Candidate::new(c.id, c.prompt, c.output, c.budget_ns, up, down);
    }
    inst
}
