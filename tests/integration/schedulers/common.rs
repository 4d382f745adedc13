//! Shared helpers for the scheduler tests: random instance generators and an
//! independent exact oracle (a MILP of problem P1 solved by `good_lp`'s pure-Rust
//! `microlp`). Used by the `optimality` and `exact` modules.
//!
//! Nothing here calls the schedulers' code: the oracle rebuilds P1 from
//! MODEL.md §5 with its own FLOP bound, and every answer is judged by
//! `sim_models::feasibility::check_batch`.

use good_lp::{microlp, variable, Expression, ProblemVariables, Solution, SolverModel};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim_models::cost::{FlopsCost, MODEL_PRESETS};
use sim_models::feasibility::check_batch;
use sim_models::instance::{Candidate, Instance, RHO_ONE};
use sim_models::quant::QuantParams;

/// How a random instance draws its bandwidth fractions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gains {
    /// One channel gain for every user (the paper's assumption): `ρU ∝ s_i`
    /// with one factor, `ρD ∝ n_i` with one factor. dftsp is exact here.
    Shared,
    /// An independent gain per request: `ρU`, `ρD` scaled by independent factors.
    PerUser,
}

/// Knobs of [`random_instance`].
#[derive(Clone, Copy, Debug)]
pub struct GenParams {
    /// Smallest number of requests.
    pub n_min: usize,
    /// Largest number of requests.
    pub n_max: usize,
    /// Shared or per-user gains.
    pub gains: Gains,
}

/// A random instance built so that the constraints bind: a compute slot that
/// holds ~2–12 typical requests, budgets around the batch times (some
/// unselectable), memory tight in ~40 % of instances, bandwidth binding in
/// ~40 %, and a few `ρ > 1`. BLOOM-3B dimensions, W8A16 factors; `C`, `M`,
/// slots, prompt and output levels are drawn. Deterministic in `seed`.
pub fn random_instance(seed: u64, p: GenParams) -> Instance {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let model = MODEL_PRESETS[0].dims;
    let quant = QuantParams {
        alpha_w: 0.5,
        alpha_kv: 1.0,
        beta: 0.75,
    };
    let n = rng.random_range(p.n_min..=p.n_max);
    let prompt_pool = [64u32, 128, 192, 256, 384, 512];
    let output_pool = [16u32, 32, 64, 128, 256, 512];
    let prompts = pick_some(&mut rng, &prompt_pool, 3);
    let outputs = pick_some(&mut rng, &output_pool, 4);

    let t_c_ns: u64 = rng.random_range(200_000_000..=1_500_000_000);
    let t_u_ns: u64 = rng.random_range(0..=300_000_000);
    let t_d_ns: u64 = rng.random_range(0..=300_000_000);
    // A typical request: s = 256, n = 128; the slot holds `per_slot` of them.
    let f_ref = model.request_flops(256, 128) as f64;
    let per_slot: f64 = rng.random_range(2.0..12.0);
    let flops = quant.beta * f_ref * per_slot / (t_c_ns as f64 * 1e-9);

    let resident = quant.alpha_w * model.weight_bytes();
    let per_token = quant.alpha_kv * model.kv_bytes_per_token();
    let memory = if rng.random_bool(0.4) {
        // Room for a few typical requests' KV cache (~400 tokens each).
        resident + per_token * rng.random_range(300.0..4000.0)
    } else {
        resident + per_token * 1e7
    };

    let avg_prompt = prompts.iter().sum::<u32>() as f64 / prompts.len() as f64;
    let avg_output = outputs.iter().sum::<u32>() as f64 / outputs.len() as f64;
    // Per-token fractions: binding (≈ 1–n requests fill the band) or negligible.
    let factor = |rng: &mut ChaCha8Rng, avg: f64| {
        if rng.random_bool(0.4) {
            1.0 / (avg * rng.random_range(1.5..(n.max(2) as f64)))
        } else {
            1e-7
        }
    };
    let gu = factor(&mut rng, avg_prompt);
    let gd = factor(&mut rng, avg_output);

    let mut requests = Vec::with_capacity(n);
    for id in 0..n as u64 {
        let s = prompts[rng.random_range(0..prompts.len())];
        let o = outputs[rng.random_range(0..outputs.len())];
        // Budget: T_U + T_D plus up to ~1.2 slots, a few below T_U + T_D.
        let extra = rng.random_range(-0.1..1.2) * t_c_ns as f64;
        let budget_ns = (t_u_ns + t_d_ns) as i64 + extra as i64;
        let (mut xu, mut xd) = (1.0, 1.0);
        if p.gains == Gains::PerUser {
            xu = rng.random_range(0.2..3.0);
            xd = rng.random_range(0.2..3.0);
        }
        let mut rho_up = s as f64 * gu * xu;
        let rho_down = o as f64 * gd * xd;
        if p.gains == Gains::PerUser && rng.random_bool(0.03) {
            rho_up = 1.5; // never selectable
        }
        requests.push(Candidate::new(id, s, o, budget_ns, rho_up, rho_down));
    }
    Instance {
        cost: FlopsCost {
            model,
            quant,
            flop_rate: flops,
        }
        .shared(),
        memory,
        t_u_ns,
        t_c_ns,
        t_d_ns,
        requests,
    }
}

fn pick_some(rng: &mut ChaCha8Rng, pool: &[u32], most: usize) -> Vec<u32> {
    let k = rng.random_range(1..=most);
    let mut v: Vec<u32> = pool.to_vec();
    // Partial Fisher–Yates.
    for i in 0..k {
        let j = rng.random_range(i..v.len());
        v.swap(i, j);
    }
    v.truncate(k);
    v.sort_unstable();
    v
}

/// Panics unless `sel` (indices) is a feasible batch of `inst`, judged by `check_batch`.
pub fn assert_feasible(inst: &Instance, sel: &[usize], who: &str) {
    if sel.is_empty() {
        return;
    }
    if let Err(v) = check_batch(inst, sel) {
        panic!(
            "{who}: selection {sel:?} infeasible: {v}\n{}",
            inst.to_ron_string()
        );
    }
}

/// The largest FLOP total whose `t_batch` (rounded to ns the way the model does,
/// `Instance::batch_time_ns`) is at most `x_ns`: plain bisection on the
/// monotone rounding, independent of the schedulers' own bound.
pub fn flops_within(inst: &Instance, x_ns: u64) -> u128 {
    let (mut lo, mut hi) = (0u128, 1u128 << 100); // t(lo) ≤ x < t(hi)
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if inst.flops_cost().unwrap().time_ns(mid) <= x_ns {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// An optimum of problem P1 found by MILP, and the selection achieving it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MilpAnswer {
    /// Maximum number of requests in one feasible batch.
    pub count: usize,
    /// A batch of that size (indices, ascending), verified by `check_batch`.
    pub selection: Vec<usize>,
}

/// The optimum of P1 by MILP (MODEL.md §7, P1): for each padding cap `s'` (each
/// distinct prompt length of the selectable requests) one MILP over the requests
/// with `s_i ≤ s'`, padded to `s'`:
///
/// ```text
/// max Σ x_i,  x_i ∈ {0,1}
///   Σ x_j f_j ≤ F(T_C)                                  (1g)
///   Σ x_j f_j ≤ F(b_i − T_U − T_D) + M_i (1 − x_i)  ∀i  (1d), big-M
///   Σ x_j (s' + n_j) ≤ kv capacity                      (1c)
///   Σ x_j ρU_j ≤ 1,  Σ x_j ρD_j ≤ 1                     (1a), (1b)
/// ```
///
/// with `f_j` the exact FLOPs of request `j` at `s'` and `F(x)` = [`flops_within`],
/// so time is compared as integers. FLOP rows are scaled by `1/F(T_C)`, ρ rows
/// are the fixed-point values divided by `2^48`. The best cap wins. The answer's
/// selection is re-checked with `check_batch` (a failure means MILP numerics).
pub fn milp_optimum(inst: &Instance) -> MilpAnswer {
    let sel_ok: Vec<usize> = (0..inst.requests.len())
        .filter(|&i| inst.selectable(&inst.requests[i]))
        .collect();
    let Some(kv_cap) = inst.kv_token_capacity() else {
        return MilpAnswer {
            count: 0,
            selection: vec![],
        };
    };
    let mut caps: Vec<u32> = sel_ok.iter().map(|&i| inst.requests[i].prompt).collect();
    caps.sort_unstable();
    caps.dedup();
    let f_tc = flops_within(inst, inst.t_c_ns);
    let scale = (f_tc as f64).max(1.0);
    let mut best = MilpAnswer {
        count: 0,
        selection: vec![],
    };
    for &cap in &caps {
        let members: Vec<usize> = sel_ok
            .iter()
            .copied()
            .filter(|&i| inst.requests[i].prompt <= cap)
            .collect();
        // Requests that cannot meet their own deadline alone at this cap can never be chosen.
        let limit_of = |i: usize| {
            let c = &inst.requests[i];
            let room = c.budget_ns as i128 - inst.t_u_ns as i128 - inst.t_d_ns as i128;
            flops_within(inst, room.min(inst.t_c_ns as i128) as u64)
        };
        let members: Vec<usize> = members
            .into_iter()
            .filter(|&i| {
                inst.flops_cost()
                    .unwrap()
                    .model
                    .request_flops(cap, inst.requests[i].output)
                    <= limit_of(i)
            })
            .collect();
        let f: Vec<u128> = members
            .iter()
            .map(|&i| {
                inst.flops_cost()
                    .unwrap()
                    .model
                    .request_flops(cap, inst.requests[i].output)
            })
            .collect();
        let f_all: u128 = f.iter().sum();
        let mut vars = ProblemVariables::new();
        let x: Vec<_> = members
            .iter()
            .map(|_| vars.add(variable().binary()))
            .collect();
        let objective: Expression = x.iter().sum();
        let flops_expr = |x: &[good_lp::Variable]| -> Expression {
            x.iter()
                .zip(&f)
                .map(|(&v, &fj)| (fj as f64 / scale) * v)
                .sum()
        };
        let mut model = vars.maximise(objective).using(microlp);
        model = model.with(flops_expr(&x).leq(f_tc as f64 / scale));
        for (k, &i) in members.iter().enumerate() {
            let limit = limit_of(i);
            if f_all <= limit {
                continue; // never binds
            }
            // (A smaller M, min(f_all − f_i, F(T_C)) − F_i, is also valid but made
            // microlp's branch and bound 8× slower on these instances.)
            let big_m = (f_all - limit) as f64 / scale;
            // (1d) big-M: Σ f x + M·x_i ≤ F_i + M
            model = model.with((flops_expr(&x) + big_m * x[k]).leq(limit as f64 / scale + big_m));
        }
        let tokens: Expression = x
            .iter()
            .zip(&members)
            .map(|(&v, &i)| ((cap + inst.requests[i].output) as f64) * v)
            .sum();
        model = model.with(tokens.leq(kv_cap as f64));
        let up: Expression = x
            .iter()
            .zip(&members)
            .map(|(&v, &i)| (inst.requests[i].rho_up_fx as f64 / RHO_ONE as f64) * v)
            .sum();
        let down: Expression = x
            .iter()
            .zip(&members)
            .map(|(&v, &i)| (inst.requests[i].rho_down_fx as f64 / RHO_ONE as f64) * v)
            .sum();
        model = model.with(up.leq(1.0)).with(down.leq(1.0));
        let sol = model.solve().expect("P1 with x = 0 is always feasible");
        let chosen: Vec<usize> = x
            .iter()
            .zip(&members)
            .filter(|(&v, _)| sol.value(v) > 0.5)
            .map(|(_, &i)| i)
            .collect();
        if chosen.len() > best.count {
            best = MilpAnswer {
                count: chosen.len(),
                selection: chosen,
            };
        }
    }
    assert_feasible(inst, &best.selection, "MILP oracle");
    best
}
