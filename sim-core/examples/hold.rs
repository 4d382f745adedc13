//! Prints the HOLD comparison (engine vs bare heap) for one population.
//!
//! `cargo run --release -p sim-core --example hold -- [N] [E] [SEED]`
//! (defaults: N = 1000, E = 10 000 000, seed 1).

fn main() {
    let mut args = std::env::args().skip(1);
    let mut next = |default: u64| -> u64 {
        args.next()
            .map(|a| {
                a.parse()
                    .expect("arguments are unsigned integers: N E SEED")
            })
            .unwrap_or(default)
    };
    let population = next(1_000) as usize;
    let events = next(sim_core::hold::DEFAULT_EVENTS);
    let seed = next(1);
    let r = sim_core::hold::compare(population, events, seed);
    println!(
        "N = {population}, E = {events}: engine {:.3e} ev/s, bare heap {:.3e} ev/s, ratio {:.3}",
        r.engine_events_per_s, r.bare_heap_events_per_s, r.ratio
    );
}
