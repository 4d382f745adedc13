//! A long run to measure the simulation's own speed and memory:
//! `cargo run --release -p sim-models --example day_run -- [hours] [rate]`
//! (default 24 h at λ = 250 req/s, ≈ 21.6 M requests, 57 600 epochs).
//!
//! It uses a fast greedy scheduler written here (most budget first, each request
//! added if the pooled batch stays feasible, O(1) per candidate from running
//! sums), so the time measured is the simulation's, not a search's.

use std::time::Instant;

use sim_models::instance::RHO_ONE;
use sim_models::scheduler::{EpochView, Plan, Scheduler, SchedulerError, Work};
use sim_models::{run, RunOptions, Scenario};

/// Greedy by remaining budget (largest first) with O(1) incremental feasibility.
struct FastGreedy;

impl Scheduler for FastGreedy {
    fn name(&self) -> &str {
        "fast-greedy"
    }

    fn schedule(&mut self, view: &EpochView<'_>) -> Result<Plan, SchedulerError> {
        let inst = view.instance;
        let fc = *inst.flops_cost().ok_or_else(|| SchedulerError {
            scheduler: "fast-greedy".into(),
            message: "needs the FLOP-count cost model".into(),
        })?;
        let m = fc.model;
        let (l, d, f) = (m.layers as u128, m.d_model as u128, m.d_ff as u128);
        let cap = inst.kv_token_capacity().unwrap_or(0);
        // Σ request_flops(s, n_i) = |S|·initial(s) + L·[(8d² + 4d·d_f)·A + 4s·d·A + 2d·B],
        // A = Σ(n_i − 1), B = Σ n_i(n_i − 1) (cost.rs, decode_flops).
        let flops = |k: u128, s: u128, a: u128, b: u128| {
            k * m.initial_flops(s as u32)
                + l * ((8 * d * d + 4 * d * f) * a + 4 * s * d * a + 2 * d * b)
        };
        let (mut k, mut s, mut a, mut b, mut nsum) = (0u128, 0u128, 0u128, 0u128, 0u64);
        let (mut up, mut down, mut min_budget) = (0u64, 0u64, i64::MAX);
        let mut sel = Vec::new();
        // Most remaining budget first: large batches, so delivery work is exercised too.
        let mut order: Vec<usize> = (0..inst.requests.len()).collect();
        order.sort_by_key(|&i| (std::cmp::Reverse(inst.requests[i].budget_ns), i));
        for i in order {
            let c = &inst.requests[i];
            if !inst.selectable(c) {
                continue;
            }
            let n = c.output as u128;
            let (k2, s2, a2, b2) = (k + 1, s.max(c.prompt as u128), a + n - 1, b + n * (n - 1));
            let t = fc.time_ns(flops(k2, s2, a2, b2));
            let kv = k2 as u64 * s2 as u64 + nsum + c.output as u64;
            let mb = min_budget.min(c.budget_ns);
            if t <= inst.t_c_ns
                && kv <= cap
                && up + c.rho_up_fx <= RHO_ONE
                && down + c.rho_down_fx <= RHO_ONE
                && inst.delivery_offset_ns(t) <= mb as i128
            {
                (k, s, a, b) = (k2, s2, a2, b2);
                nsum += c.output as u64;
                up += c.rho_up_fx;
                down += c.rho_down_fx;
                min_budget = mb;
                sel.push(i);
            }
        }
        Ok(Plan::pooled(sel, Work::default()))
    }
}

fn main() {
    let args: Vec<f64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a number"))
        .collect();
    let hours = args.first().copied().unwrap_or(24.0);
    let rate = args.get(1).copied().unwrap_or(250.0);
    let mut sc = Scenario::default_paper();
    sc.horizon = hours * 3600.0;
    sc.arrivals.rate = rate;
    let mut epochs = 0u64;
    let mut on_epoch = |_: &sim_models::EpochRecord| epochs += 1;
    let start = Instant::now();
    let out = run(
        &sc,
        &mut FastGreedy,
        RunOptions {
            on_epoch: Some(&mut on_epoch),
            ..Default::default()
        },
    )
    .expect("run");
    let wall = start.elapsed().as_secs_f64();
    println!(
        "{hours} h at λ = {rate}: {} requests, {} epochs, {} events in {wall:.2} s ({:.0} ns/event); \
         throughput {:.2} req/s, mean batch {:.1}, counts {:?}",
        out.arrived_total,
        epochs,
        out.events_processed,
        wall * 1e9 / out.events_processed as f64,
        out.throughput_rps,
        out.mean_batch_size,
        out.counts
    );
}
