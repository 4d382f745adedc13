// Temporary (not committed): ns per RooflineCost::batch_time_ns call on the
// general bench's 64 count vectors.
use sim_models::cost::{gpu_preset, model_preset, CostModel, CostSpec, RooflineCost};
use sim_models::quant::quant_preset;
use std::time::Instant;
fn main() {
    let q = quant_preset("W8A16").unwrap().params();
    let m = model_preset("BLOOM-3B").unwrap();
    let mut gpu = gpu_preset("Jetson-TX2").unwrap().params;
    let sp = 458.5;
    gpu.flops *= sp;
    gpu.int8_ops *= sp;
    gpu.bandwidth *= sp;
    gpu.link_bandwidth *= sp;
    gpu.link_latency /= sp;
    gpu.t_0 /= sp;
    let roof = RooflineCost {
        arch: m.arch(),
        quant: q,
        gpu,
        tp: 20,
    };
    let built = CostSpec::Roofline(roof).build();
    let vectors: Vec<[(u32, u64); 3]> = (0..64u64)
        .map(|i| [(128, i % 7), (256, (i / 7) % 5 + 1), (512, i % 3)])
        .collect();
    let iters: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(2000);
    for (label, mm) in [("direct", &roof as &dyn CostModel), ("built", &*built)] {
        let mut best = f64::INFINITY;
        let mut acc = 0u64;
        for _ in 0..7 {
            let t = Instant::now();
            for _ in 0..iters {
                for v in &vectors {
                    acc = acc.wrapping_add(mm.batch_time_ns(512, std::hint::black_box(v)));
                }
            }
            best = best.min(t.elapsed().as_nanos() as f64 / (iters * vectors.len()) as f64);
        }
        println!("{label}: {best:.1} ns per batch_time_ns (checksum {acc})");
    }
}
