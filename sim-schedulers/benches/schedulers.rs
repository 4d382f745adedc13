//! Solve time and nodes per scheduler and arrival rate on paper-default
//! epochs (`sim_schedulers::bench_support::paper_epoch`): λ = 10, 50, 100,
//! 200, 250 req/s, BLOOM-3B W8A16 on 20 × 1.33 TFLOP/s, 20 × 32 GB.
//!
//! Before the criterion runs it prints, per scheduler and rate, over
//! `SEEDS` epochs: the median solve time, the median nodes, and nodes per
//! second (total nodes / total solve time) — the search speed target is
//! 10⁸ nodes/s for dftsp and tree-search.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use sim_models::instance::Instance;
use sim_models::scheduler::SchedulerSpec;
use sim_schedulers::bench_support::{paper_epoch, paper_system};
use sim_schedulers::build;
use sim_schedulers::options::ZStart;

const RATES: [f64; 5] = [10.0, 50.0, 100.0, 200.0, 250.0];
const SEEDS: u64 = 12;
const SCHEDULERS: [&str; 4] = ["dftsp", "tree-search", "greedy", "exact"];

fn instances(lambda: f64) -> Vec<Instance> {
    (0..SEEDS).map(|s| paper_epoch(lambda, s)).collect()
}

/// A bandwidth-binding variant of [`paper_epoch`]: the same queue, but a
/// 3 kHz band (as `scenarios/paper/fig5a-bandwidth.ron`) and a gain per user
/// (50 users, request id mod 50), so `ρ` differs between users and `Σρ ≤ 1`
/// admits only a handful of uploads: exact has to search there.
fn binding_epoch(lambda: f64, seed: u64) -> Instance {
    sim_schedulers::bench_support::banded_epoch(lambda, seed, 3e3)
}

/// Median solve time (best of 3 calls per epoch), ns, and median batch size of
/// scheduler `name` over `SEEDS` epochs made by `make`.
fn median_solve(name: &str, lambda: f64, make: fn(f64, u64) -> Instance) -> (f64, f64) {
    let mut s = build(&SchedulerSpec::named(name), &paper_system()).unwrap();
    let (mut times, mut batch) = (vec![], vec![]);
    for seed in 0..SEEDS {
        let inst = make(lambda, seed);
        let holder = sim_models_view(&inst);
        let mut best = f64::INFINITY;
        let mut n = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let p = s.schedule(&holder.view()).unwrap();
            best = best.min(t.elapsed().as_nanos() as f64);
            n = p.selected().len();
        }
        times.push(best);
        batch.push(n as f64);
    }
    (median(&mut times), median(&mut batch))
}

/// exact beside dftsp on the same epochs: paper defaults (bandwidth slack) and binding.
fn exact_vs_dftsp() {
    for (label, make) in [
        ("paper", paper_epoch as fn(f64, u64) -> Instance),
        ("binding", binding_epoch),
    ] {
        for lambda in RATES {
            let (d, db) = median_solve("dftsp", lambda, make);
            let (e, eb) = median_solve("exact", lambda, make);
            println!(
                "exact vs dftsp, {label:<7} λ={lambda:>3}: median solve exact {:>9.2} µs, dftsp {:>10.2} µs, ratio {:>8.1}× | median batch exact {eb} dftsp {db}",
                e / 1e3,
                d / 1e3,
                d / e
            );
        }
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Prints one line per rate; returns the total nodes per rate.
fn summary(spec: &SchedulerSpec) -> Vec<f64> {
    let sys = paper_system();
    let mut totals = vec![];
    for lambda in RATES {
        let insts = instances(lambda);
        let mut s = build(spec, &sys).expect("paper system builds");
        let (mut times, mut nodes, mut queue, mut batch) = (vec![], vec![], vec![], vec![]);
        let (mut total_ns, mut total_nodes) = (0f64, 0f64);
        for inst in &insts {
            let view = sim_models_view(inst);
            // Best of 3 calls, to keep scheduling noise out of a 2-core machine's figures.
            let mut best = f64::INFINITY;
            let mut plan = None;
            for _ in 0..3 {
                let t = Instant::now();
                let p = s.schedule(&view.view()).expect("schedules");
                best = best.min(t.elapsed().as_nanos() as f64);
                plan = Some(p);
            }
            let plan = plan.unwrap();
            times.push(best);
            nodes.push(plan.work.nodes as f64);
            queue.push(inst.requests.len() as f64);
            batch.push(plan.selected().len() as f64);
            total_ns += best;
            total_nodes += plan.work.nodes as f64;
        }
        println!(
            "{:<12} z_start={:<5} λ={:>3}: queue {:>4} batch {:>3} | median solve {:>10.1} µs | median nodes {:>11} | {:>8.2e} nodes/s",
            spec.name,
            spec.options.get("z_start").and_then(|v| v.as_str()).unwrap_or("Bound"),
            lambda,
            median(&mut queue),
            median(&mut batch),
            median(&mut times) / 1e3,
            median(&mut nodes),
            if total_ns > 0.0 { total_nodes / (total_ns * 1e-9) } else { 0.0 },
        );
        totals.push(total_nodes);
    }
    totals
}

/// Table III: the node reduction of dftsp against tree-search, same epochs.
fn reduction(z_start: ZStart) {
    let d = SchedulerSpec::named("dftsp").with_option("z_start", z_start);
    let t = SchedulerSpec::named("tree-search").with_option("z_start", z_start);
    let (dn, tn) = (summary(&d), summary(&t));
    for (k, lambda) in RATES.iter().enumerate() {
        println!(
            "node reduction dftsp vs tree-search, z_start={z_start:?}, λ={lambda:>3}: {:.2} % (paper Table III: 10 → 45.52 %, 50 → 71.18 %, 100 → 79.07 %, 200 → 97.92 %)",
            100.0 * (1.0 - dn[k] / tn[k])
        );
    }
}

/// An epoch view over an instance with every GPU free (t_k = 0).
struct ViewHolder<'a> {
    inst: &'a Instance,
    busy: Vec<u64>,
    sys: sim_models::scheduler::SystemInfo,
}

impl ViewHolder<'_> {
    fn view(&self) -> sim_models::scheduler::EpochView<'_> {
        let sys = &self.sys;
        sim_models::scheduler::EpochView {
            epoch: 0,
            t_k_ns: 0,
            instance: self.inst,
            gpus: sim_models::scheduler::GpuView {
                count: sys.gpu_count,
                single_gpu_cost: &*sys.single_gpu_cost,
                memory_per_gpu: sys.memory_per_gpu,
                busy_until_ns: &self.busy,
                compute_start_ns: self.inst.t_u_ns,
            },
        }
    }
}

fn sim_models_view(inst: &Instance) -> ViewHolder<'_> {
    ViewHolder {
        inst,
        busy: vec![0; paper_system().gpu_count],
        sys: paper_system(),
    }
}

fn bench(c: &mut Criterion) {
    summary(&SchedulerSpec::named("greedy"));
    summary(&SchedulerSpec::named("exact"));
    exact_vs_dftsp();
    reduction(ZStart::Bound);
    reduction(ZStart::All);
    let sys = paper_system();
    let mut group = c.benchmark_group("solve");
    group
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    for name in SCHEDULERS {
        for lambda in RATES {
            let insts = instances(lambda);
            let holders: Vec<_> = insts.iter().map(sim_models_view).collect();
            let mut s = build(&SchedulerSpec::named(name), &sys).unwrap();
            group.bench_function(format!("{name}/λ={lambda}"), |b| {
                let mut k = 0;
                b.iter(|| {
                    k = (k + 1) % holders.len();
                    black_box(s.schedule(&holders[k].view()).unwrap())
                })
            });
        }
    }
    for name in ["dftsp", "exact"] {
        for lambda in RATES {
            let insts: Vec<_> = (0..SEEDS).map(|s| binding_epoch(lambda, s)).collect();
            let holders: Vec<_> = insts.iter().map(sim_models_view).collect();
            let mut s = build(&SchedulerSpec::named(name), &sys).unwrap();
            group.bench_function(format!("{name}/binding/λ={lambda}"), |b| {
                let mut k = 0;
                b.iter(|| {
                    k = (k + 1) % holders.len();
                    black_box(s.schedule(&holders[k].view()).unwrap())
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
