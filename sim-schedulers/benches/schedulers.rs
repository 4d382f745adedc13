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
use sim_models::scheduler::{SchedulerSpec, ZStart};
use sim_schedulers::bench_support::{paper_epoch, paper_system};
use sim_schedulers::build;

const RATES: [f64; 5] = [10.0, 50.0, 100.0, 200.0, 250.0];
const SEEDS: u64 = 12;
const SCHEDULERS: [&str; 3] = ["dftsp", "tree-search", "greedy"];

fn instances(lambda: f64) -> Vec<Instance> {
    (0..SEEDS).map(|s| paper_epoch(lambda, s)).collect()
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
            format!("{:?}", spec.z_start),
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
    let mut d = SchedulerSpec::named("dftsp");
    d.z_start = z_start;
    let mut t = SchedulerSpec::named("tree-search");
    t.z_start = z_start;
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
}

impl ViewHolder<'_> {
    fn view(&self) -> sim_models::scheduler::EpochView<'_> {
        let sys = paper_system();
        sim_models::scheduler::EpochView {
            epoch: 0,
            t_k_ns: 0,
            instance: self.inst,
            gpus: sim_models::scheduler::GpuView {
                count: sys.gpu_count,
                flops_per_gpu: sys.flops_per_gpu,
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
    }
}

fn bench(c: &mut Criterion) {
    summary(&SchedulerSpec::named("greedy"));
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
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
