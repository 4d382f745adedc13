//! The HOLD benchmark: the engine against a bare binary-heap loop.
//!
//! HOLD (Vaucher & Duval 1975; Jones 1986) keeps a fixed population of `N`
//! pending events; each processed event schedules one new event at
//! `now + Exp(mean)`. Both variants here do exactly the same work: the
//! same `N` initial instants and the same delays, drawn in the same order
//! from the same [`StreamRng`] (stream `"hold"` of the given seed), the
//! same `(time, seq)` order, the same checksum. The bare variant is a plain
//! `BinaryHeap<Reverse<(u64, u64)>>` loop; the engine variant is an
//! [`Engine`] driving a [`Model`]. Their ratio is the cost of the engine's
//! generality (typed events, cancellation support, counters, limits).
//!
//! Only the event loop is timed; filling the initial population is not.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use rand::RngExt;
use rand_distr::Exp1;

use crate::engine::{Context, Engine, Model};
use crate::rng::{RngStreams, StreamRng};
use crate::time::{SimDuration, SimTime};

/// Mean of the exponential delay between an event and the one it
/// schedules: 1 s, in ns.
pub const MEAN_DELAY_NS: f64 = 1e9;

/// Default number of processed events, `E`.
pub const DEFAULT_EVENTS: u64 = 10_000_000;

/// Name of the random stream both variants draw from.
pub const STREAM: &str = "hold";

/// How many alternating rounds [`compare`] runs; it keeps each variant's
/// fastest round, which damps noise from other processes.
pub const COMPARE_ROUNDS: u32 = 3;

/// The outcome of one HOLD run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoldResult {
    /// Events processed, count (the initial population is not counted).
    pub events: u64,
    /// Wall time of the event loop, s.
    pub wall_s: f64,
    /// Throughput: `events / wall_s`, events per wall-clock second.
    pub events_per_s: f64,
    /// Wrapping sum of the instants (ns) of all processed events: the same
    /// for both variants, and keeps the optimiser from eliding work.
    pub checksum: u64,
    /// Simulated time of the last processed event, ns.
    pub final_time_ns: u64,
}

/// The engine measured against the bare heap, in the same process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoldReport {
    /// Pending population `N`, count.
    pub population: usize,
    /// Events processed per run, count.
    pub events: u64,
    /// The engine's fastest run.
    pub engine: HoldResult,
    /// The bare heap's fastest run.
    pub bare_heap: HoldResult,
    /// The engine's throughput, events per wall-clock second.
    pub engine_events_per_s: f64,
    /// The bare heap's throughput, events per wall-clock second.
    pub bare_heap_events_per_s: f64,
    /// `engine_events_per_s / bare_heap_events_per_s` (1.0 = no overhead).
    pub ratio: f64,
}

/// One exponential delay with mean [`MEAN_DELAY_NS`], rounded to ns.
#[inline(always)]
fn draw_delay_ns(rng: &mut StreamRng) -> u64 {
    let x: f64 = rng.sample(Exp1);
    // Non-negative and far below 2⁶⁴, so +0.5 and truncation round to nearest.
    (x * MEAN_DELAY_NS + 0.5) as u64
}

fn finish(events: u64, started: Instant, checksum: u64, final_time_ns: u64) -> HoldResult {
    let wall_s = started.elapsed().as_secs_f64();
    HoldResult {
        events,
        wall_s,
        events_per_s: events as f64 / wall_s,
        checksum,
        final_time_ns,
    }
}

/// The HOLD model for the engine.
struct Hold {
    rng: StreamRng,
    checksum: u64,
    last: u64,
}

impl Model for Hold {
    type Event = ();

    #[inline]
    fn handle(&mut self, now: SimTime, _event: (), ctx: &mut Context<'_, ()>) {
        let now = now.as_nanos();
        self.checksum = self.checksum.wrapping_add(now);
        self.last = now;
        let delay = SimDuration::from_nanos(draw_delay_ns(&mut self.rng));
        ctx.schedule_after(delay, ())
            .expect("a HOLD delay cannot overflow u64 ns within 2^64 ns of simulated time");
    }
}

/// Runs HOLD on the [`Engine`]: `population` pending events, `events`
/// processed, delays from stream [`STREAM`] of `seed`.
pub fn run_engine(population: usize, events: u64, seed: u64) -> HoldResult {
    let mut rng = RngStreams::new(seed).stream(STREAM);
    let mut engine = Engine::with_capacity(population + 1);
    for _ in 0..population {
        let at = SimTime::from_nanos(draw_delay_ns(&mut rng));
        engine
            .schedule_at(at, ())
            .expect("initial HOLD events are at t ≥ 0");
    }
    let mut model = Hold {
        rng,
        checksum: 0,
        last: 0,
    };
    let started = Instant::now();
    let summary = engine.run_events(&mut model, events);
    finish(
        summary.processed_in_run,
        started,
        model.checksum,
        model.last,
    )
}

/// Runs HOLD on a bare `BinaryHeap<Reverse<(time ns, seq)>>`: the same
/// work as [`run_engine`], without the engine.
pub fn run_bare_heap(population: usize, events: u64, seed: u64) -> HoldResult {
    let mut rng = RngStreams::new(seed).stream(STREAM);
    let mut heap: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::with_capacity(population + 1);
    let mut seq = 0u64;
    for _ in 0..population {
        heap.push(Reverse((draw_delay_ns(&mut rng), seq)));
        seq += 1;
    }
    let mut checksum = 0u64;
    let mut last = 0u64;
    let mut processed = 0u64;
    let started = Instant::now();
    while processed < events {
        let Some(Reverse((now, _))) = heap.pop() else {
            break;
        };
        processed += 1;
        checksum = checksum.wrapping_add(now);
        last = now;
        let at = now
            .checked_add(draw_delay_ns(&mut rng))
            .expect("a HOLD delay cannot overflow u64 ns within 2^64 ns of simulated time");
        heap.push(Reverse((at, seq)));
        seq += 1;
    }
    finish(processed, started, checksum, last)
}

/// Runs both variants [`COMPARE_ROUNDS`] times, alternating (bare heap
/// first), and reports each one's fastest run and the throughput ratio.
///
/// # Panics
/// If the two variants disagree on the checksum: that is a bug in the
/// engine.
pub fn compare(population: usize, events: u64, seed: u64) -> HoldReport {
    let mut best_bare: Option<HoldResult> = None;
    let mut best_engine: Option<HoldResult> = None;
    for _ in 0..COMPARE_ROUNDS {
        let bare = run_bare_heap(population, events, seed);
        let engine = run_engine(population, events, seed);
        assert_eq!(
            (engine.events, engine.checksum),
            (bare.events, bare.checksum),
            "engine and bare heap processed different events"
        );
        if best_bare.is_none_or(|b| bare.events_per_s > b.events_per_s) {
            best_bare = Some(bare);
        }
        if best_engine.is_none_or(|b| engine.events_per_s > b.events_per_s) {
            best_engine = Some(engine);
        }
    }
    let (bare_heap, engine) = match (best_bare, best_engine) {
        (Some(b), Some(e)) => (b, e),
        _ => unreachable!("COMPARE_ROUNDS ≥ 1"),
    };
    HoldReport {
        population,
        events,
        engine,
        bare_heap,
        engine_events_per_s: engine.events_per_s,
        bare_heap_events_per_s: bare_heap.events_per_s,
        ratio: engine.events_per_s / bare_heap.events_per_s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_and_bare_heap_do_the_same_work() {
        for (n, e) in [(1, 1_000), (10, 5_000), (1_000, 20_000)] {
            let a = run_engine(n, e, 9);
            let b = run_bare_heap(n, e, 9);
            assert_eq!(a.events, e);
            assert_eq!((a.checksum, a.final_time_ns), (b.checksum, b.final_time_ns));
        }
    }

    #[test]
    fn population_of_one_is_a_renewal_process() {
        // With N = 1 each event schedules the next: instants are partial
        // sums of the delays, so the checksum is Σ_k Σ_{j≤k} d_j; recompute
        // it from the same stream directly.
        let mut rng = RngStreams::new(5).stream(STREAM);
        let mut t = 0u64;
        let mut sum = 0u64;
        for _ in 0..100 {
            t += draw_delay_ns(&mut rng);
            sum = sum.wrapping_add(t);
        }
        let r = run_engine(1, 100, 5);
        assert_eq!((r.checksum, r.final_time_ns), (sum, t));
    }

    #[test]
    fn zero_events_and_empty_population() {
        assert_eq!(run_engine(100, 0, 1).events, 0);
        assert_eq!(run_engine(0, 10, 1).events, 0);
        assert_eq!(run_bare_heap(0, 10, 1).events, 0);
    }
}
