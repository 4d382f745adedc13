//! HOLD benchmark: the engine against a bare `BinaryHeap` loop doing the
//! same work (see `sim_core::hold`), at N = 1000 and N = 100 000 pending
//! events. Only the event loop is timed. After the criterion groups it
//! prints the engine / bare-heap throughput ratio measured in this run.
//!
//! `cargo bench -p sim-core --bench hold`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sim_core::hold::{compare, run_bare_heap, run_engine, HoldResult};

/// Events processed per measured run: small enough that the whole bench
/// takes well under a minute.
const EVENTS: u64 = 200_000;
const POPULATIONS: [usize; 2] = [1_000, 100_000];
const SEED: u64 = 1;

/// Times `iters` runs by the wall time each run reports for its event loop.
fn timed(iters: u64, run: impl Fn() -> HoldResult) -> Duration {
    (0..iters)
        .map(|_| Duration::from_secs_f64(black_box(run()).wall_s))
        .sum()
}

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(EVENTS));
    for n in POPULATIONS {
        group.bench_function(BenchmarkId::new("bare_heap", n), |b| {
            b.iter_custom(|iters| timed(iters, || run_bare_heap(n, EVENTS, SEED)))
        });
        group.bench_function(BenchmarkId::new("engine", n), |b| {
            b.iter_custom(|iters| timed(iters, || run_engine(n, EVENTS, SEED)))
        });
    }
    group.finish();

    for n in POPULATIONS {
        let r = compare(n, 10 * EVENTS, SEED);
        println!(
            "hold N = {n}, E = {}: engine {:.3e} ev/s, bare heap {:.3e} ev/s, ratio {:.3}",
            r.events, r.engine_events_per_s, r.bare_heap_events_per_s, r.ratio
        );
    }
}

criterion_group!(benches, hold);
criterion_main!(benches);
