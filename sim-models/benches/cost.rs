//! Speed of a batch's time under each cost model (MODEL.md §5, §11): the
//! schedulers ask `batch_time_ns` for every candidate batch, so the roofline's
//! closed form (two arithmetic series per output level) is measured against
//! the paper's FLOP sum and against stepping the roofline iteration by iteration.
//!
//! `cargo bench -p sim-models --bench cost`; compare the medians.

use criterion::{criterion_group, criterion_main, Criterion};
use sim_models::cost::{
    gpu_preset, model_preset, CostModel, CostSpec, FlopsCost, IterationLoad, RooflineCost,
};
use sim_models::quant::quant_preset;
use std::hint::black_box;

fn costs() -> (FlopsCost, RooflineCost) {
    let q = quant_preset("W8A16").unwrap().params();
    let m = model_preset("BLOOM-3B").unwrap();
    let flops = FlopsCost {
        model: m.dims,
        quant: q,
        flop_rate: 20.0 * 1.33e12,
    };
    let roof = RooflineCost {
        arch: m.arch(),
        quant: q,
        gpu: gpu_preset("Jetson-TX2").unwrap().params,
        tp: 20,
    };
    (flops, roof)
}

/// The roofline's batch time summed one iteration at a time (the definition).
fn stepwise(c: &RooflineCost, s_pad: u32, levels: &[(u32, u64)]) -> f64 {
    let total: u64 = levels.iter().map(|l| l.1).sum();
    let max_n = levels.iter().map(|l| l.0).max().unwrap_or(1);
    let mut t = c
        .iteration(&IterationLoad::prefill(total, s_pad as u64))
        .total;
    for j in 1..max_n {
        let running: u64 = levels.iter().filter(|l| l.0 > j).map(|l| l.1).sum();
        t += c
            .iteration(&IterationLoad::decode(running, s_pad as u64 + j as u64))
            .total;
    }
    t
}

fn bench(cr: &mut Criterion) {
    let (flops, roof) = costs();
    // The paper's three levels, 40 requests, padded to 512.
    let levels = [(128u32, 10u64), (256, 20), (512, 10)];
    cr.bench_function("flops batch_time_ns", |b| {
        b.iter(|| flops.batch_time_ns(black_box(512), black_box(&levels)))
    });
    cr.bench_function("roofline batch_time_ns (closed form)", |b| {
        b.iter(|| roof.batch_time_ns(black_box(512), black_box(&levels)))
    });
    // As runs and schedulers hold it (`CostSpec::build`: constants computed once).
    let prepared = CostSpec::Roofline(roof).build();
    cr.bench_function("roofline batch_time_ns (prepared, as built)", |b| {
        b.iter(|| prepared.batch_time_ns(black_box(512), black_box(&levels)))
    });
    cr.bench_function("roofline stepwise (per iteration)", |b| {
        b.iter(|| stepwise(&roof, black_box(512), black_box(&levels)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
