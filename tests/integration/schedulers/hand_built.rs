//! Hand-built instances with answers computed by hand.
//!
//! A toy model makes the arithmetic visible: `L = d_m = d_f = 1`, `β = 1`,
//! `C = 10⁹` FLOP/s, so one FLOP is one ns, and (MODEL.md §5)
//!
//! ```text
//! request FLOPs at s' = 4s'² + 12s'  +  (n−1)(12 + 4s' + 2n)
//!   (s'=1, n=1): 16     (s'=1, n=2): 16 + 20 = 36     (s'=4, n=1): 64 + 48 = 112
//! ```
//!
//! `α_w = 0`, `α_kv = 1`, 4 bytes per KV token, so memory `M` holds `M/4`
//! tokens. `T_U = T_D = 100` ns; "plenty" of budget is `T_U + T_D + 10⁶` ns.

use sim_models::cost::ModelDims;
use sim_models::instance::{Candidate, Instance};
use sim_models::quant::QuantParams;
use sim_models::scheduler::SchedulerSpec;
use sim_schedulers::dftsp::Dftsp;
use sim_schedulers::options::ZStart;
use sim_schedulers::tree_search::TreeSearch;
use sim_schedulers::{batching, exhaustive, greedy, solve_instance};

const PLENTY: i64 = 200 + 1_000_000;
const RHO: f64 = 1e-6;

fn toy(t_c_ns: u64, memory: f64, requests: Vec<Candidate>) -> Instance {
    Instance {
        cost: sim_models::cost::FlopsCost {
            model: ModelDims {
                layers: 1,
                d_model: 1,
                d_ff: 1,
            },
            quant: QuantParams {
                alpha_w: 0.0,
                alpha_kv: 1.0,
                beta: 1.0,
            },
            flop_rate: 1e9,
        }
        .shared(),
        memory,
        t_u_ns: 100,
        t_c_ns,
        t_d_ns: 100,
        requests,
    }
}

fn req(id: u64, s: u32, n: u32, budget: i64, up: f64, down: f64) -> Candidate {
    Candidate::new(id, s, n, budget, up, down)
}

/// Runs dftsp, tree-search, exhaustive and greedy; checks counts and selections.
fn expect(inst: &Instance, dftsp: &[usize], exhaustive_sel: &[usize], greedy_sel: &[usize]) {
    let (d, _) = Dftsp::new(ZStart::Bound).solve(inst);
    assert_eq!(d, dftsp, "dftsp");
    let (t, _) = TreeSearch::new(ZStart::Bound).solve(inst);
    assert_eq!(t, dftsp, "tree-search");
    let (d_all, _) = Dftsp::new(ZStart::All).solve(inst);
    assert_eq!(d_all, dftsp, "dftsp, z_start all");
    let (e, _) = exhaustive::solve(inst).unwrap();
    assert_eq!(e, exhaustive_sel, "exhaustive");
    let (g, _) = greedy::solve(inst);
    assert_eq!(g, greedy_sel, "greedy");
}

#[test]
fn uplink_bandwidth_binds() {
    // ρU by id: 0.55, 0.15, 0.45, 0.25, 0.35; everything else is loose
    // (5 × 16 ns ≪ 1000 ns). Any 4 sum to ≥ 0.15+0.25+0.35+0.45 = 1.2 > 1, so
    // the optimum is 3. dftsp (one level, equal budgets so ranked by id): z = 5, 4
    // fail (lowest four sum to 1.2); z = 3, d = 3: F = {0,1,2}, all three = 1.15 ✗;
    // d = 4: F = {0,1,2,3}, lowest three ρU = ids 1, 3, 2 = 0.85 ✓ → {1, 2, 3}.
    // exhaustive's first 3-set in index order: {0,1,2} = 1.15 ✗,
    // {0,1,3} = 0.95 ✓. greedy (equal budgets, so id order): 0 (.55), 1 (.70),
    // 2 (1.15 ✗), 3 (.95), 4 (1.30 ✗) → {0, 1, 3}.
    let ups = [0.55, 0.15, 0.45, 0.25, 0.35];
    let reqs = (0..5)
        .map(|i| req(i, 1, 1, PLENTY, ups[i as usize], RHO))
        .collect();
    let inst = toy(1000, 1e9, reqs);
    expect(&inst, &[1, 2, 3], &[0, 1, 3], &[0, 1, 3]);
}

#[test]
fn downlink_bandwidth_binds() {
    // ρD = 0.3 each: 3 × 0.3 = 0.9 ≤ 1 (fixed point: 3·⌈0.3·2⁴⁸⌉ < 2⁴⁸), 4 → 1.2 > 1.
    let reqs = (0..4).map(|i| req(i, 1, 1, PLENTY, RHO, 0.3)).collect();
    let inst = toy(1000, 1e9, reqs);
    expect(&inst, &[0, 1, 2], &[0, 1, 2], &[0, 1, 2]);
}

#[test]
fn memory_binds() {
    // M = 40 bytes → 10 tokens. ids 1, 3 are (s=1, n=1): 2 tokens; ids 0, 2, 4 are
    // (s=1, n=2): 3 tokens. Best: both short ones + two long = 2·2 + 2·3 = 10 tokens
    // → 4; all five need 13. Time: 2·16 + 2·36 = 104 ns ≤ 1000.
    // dftsp: level n=1 {1, 3} then n=2 by id {0, 2} → {0,1,2,3}; exhaustive's first
    // feasible 4-set in index order is {0,1,2,3} (3+2+3+2 = 10). greedy (id order):
    // 0 (3), 1 (5), 2 (8), 3 (10), 4 (13 ✗) → {0,1,2,3}.
    let outs = [2, 1, 2, 1, 2];
    let reqs = (0..5)
        .map(|i| req(i, 1, outs[i as usize], PLENTY, RHO, RHO))
        .collect();
    let inst = toy(1000, 40.0, reqs);
    assert_eq!(inst.kv_token_capacity(), Some(10));
    expect(&inst, &[0, 1, 2, 3], &[0, 1, 2, 3], &[0, 1, 2, 3]);
}

#[test]
fn the_padding_cap_decides() {
    // T_C = 130 ns. id 0 has a 4-token prompt: alone 112 ns ✓, but with any other
    // request the batch pads to s' = 4: 2 × 112 = 224 > 130. ids 1–5 have s = 1:
    // 5 × 16 = 80 ns ✓. So the short prompts only: 5 requests. id 0 has the largest
    // budget, so it ranks first; dftsp's cap 4 finds only z = 1, cap 1 finds 5.
    // greedy (earliest budget first: 1..5, then 0): 1..5 fit (80 ns), 0 would pad to 224 ✗.
    let mut reqs = vec![req(0, 4, 1, PLENTY + 5, RHO, RHO)];
    reqs.extend((1..6).map(|i| req(i, 1, 1, PLENTY, RHO, RHO)));
    let inst = toy(130, 1e9, reqs);
    expect(&inst, &[1, 2, 3, 4, 5], &[1, 2, 3, 4, 5], &[1, 2, 3, 4, 5]);
}

#[test]
fn the_smallest_budget_decides() {
    // (1d): id 0 leaves 40 ns of compute (budget T_U + T_D + 40); ids 1–3 leave 10⁶.
    // All are (1, 1): 16 ns. With id 0 at most 2 (32 ≤ 40, 48 > 40); without it
    // 3 (48 ns). Optimum {1, 2, 3}. greedy takes id 0 first (earliest deadline), then
    // 1 (32 ns), and 2 would need 48 > 40: {0, 1} — a heuristic's loss.
    let mut reqs = vec![req(0, 1, 1, 240, RHO, RHO)];
    reqs.extend((1..4).map(|i| req(i, 1, 1, PLENTY, RHO, RHO)));
    let inst = toy(1000, 1e9, reqs);
    expect(&inst, &[1, 2, 3], &[1, 2, 3], &[0, 1]);
}

#[test]
fn the_optimum_is_zero() {
    // ids 0, 1 leave 10 ns of compute (< 16 ns, the cheapest request); id 2's budget
    // is exactly T_U + T_D (never selectable); id 3 has ρU = 2 (never selectable).
    let reqs = vec![
        req(0, 1, 1, 210, RHO, RHO),
        req(1, 1, 1, 210, RHO, RHO),
        req(2, 1, 1, 200, RHO, RHO),
        req(3, 1, 1, PLENTY, 2.0, RHO),
    ];
    let inst = toy(1000, 1e9, reqs);
    expect(&inst, &[], &[], &[]);
    for name in batching().into_iter().chain(["nobatch"]) {
        // Every scheduler answers (an error would skip the check, so it fails).
        let (plan, _) = solve_instance(&SchedulerSpec::named(name), &inst, None)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(plan.jobs.is_empty(), "{name}: {plan:?}");
    }
}

#[test]
fn the_empty_instance() {
    // No requests: every scheduler returns no job and enters no node.
    let inst = toy(1000, 1e9, vec![]);
    expect(&inst, &[], &[], &[]);
    for name in batching().into_iter().chain(["nobatch"]) {
        let (plan, _) = solve_instance(&SchedulerSpec::named(name), &inst, None)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(plan.jobs.is_empty(), "{name}");
        assert_eq!(plan.work.nodes, 0, "{name}");
    }
}

#[test]
fn exhaustive_refuses_more_than_24_candidates() {
    let reqs = (0..25).map(|i| req(i, 1, 1, PLENTY, RHO, RHO)).collect();
    let inst = toy(1000, 1e9, reqs);
    let e = exhaustive::solve(&inst).unwrap_err();
    assert!(e.to_string().contains("25 selectable candidates"), "{e}");
    // Unselectable requests do not count toward the limit: 24 + 1 expired is fine.
    let mut reqs: Vec<_> = (0..24).map(|i| req(i, 1, 1, PLENTY, RHO, RHO)).collect();
    reqs.push(req(24, 1, 1, 100, RHO, RHO));
    let inst = toy(10_000, 1e9, reqs);
    // 24 × 16 = 384 ns ≤ 10 000: all 24 selectable ones.
    assert_eq!(
        exhaustive::solve(&inst).unwrap().0,
        (0..24).collect::<Vec<_>>()
    );
}
