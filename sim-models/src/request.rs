//! Requests and the users that send them (MODEL.md §2).
//!
//! Each user is a Poisson source at rate `λ/U` with two random streams of its
//! own, `user/{u}/arrivals` (inter-arrival gaps) and `user/{u}/requests` (the
//! attributes), so adding a user or changing one distribution does not change
//! another user's arrival instants. Arrival instants are accumulated in
//! integer ns, each gap rounded once to the nearest ns; `τ_i` is rounded to
//! the nearest ns, so the deadline `D_i = a_i + τ_i` is an exact instant.

use std::sync::Arc;

use rand::distr::weighted::WeightedIndex;
use rand::distr::Uniform;
use rand::RngExt;
use rand_distr::{Distribution, Exp};
use sim_core::{RngStreams, StreamRng};

use crate::cost::secs_to_ns_saturating;
use crate::scenario::{Dist, System};

/// One request, from arrival until delivery (MODEL.md §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// Request id, in arrival order (ties: the engine's event order).
    pub id: u64,
    /// The user that sent it.
    pub user: u32,
    /// Arrival instant `a_i`, ns.
    pub arrival_ns: u64,
    /// Prompt length `s_i`, tokens.
    pub prompt: u32,
    /// Maximum output length `n_i`, tokens.
    pub output: u32,
    /// Deadline `D_i = a_i + τ_i`, ns.
    pub deadline_ns: u64,
    /// Whether it belongs to the measured cohort (`a_i ≥ W`, MODEL.md §8).
    pub counted: bool,
}

/// The attributes drawn for one request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Attributes {
    /// `s_i`, tokens.
    pub prompt: u32,
    /// `n_i`, tokens.
    pub output: u32,
    /// `τ_i`, ns.
    pub latency_ns: u64,
    /// `ε_i`, ΔPPL.
    pub tolerance: f64,
}

/// A [`Dist`] ready to draw from, with `rand`'s distributions.
#[derive(Clone, Debug, PartialEq)]
pub enum Sampler {
    /// Equally likely values.
    Uniform(Vec<f64>),
    /// Values with probabilities proportional to their weights.
    Weighted(Vec<f64>, WeightedIndex<f64>),
    /// A continuous range `[lo, hi]`.
    Range(Uniform<f64>),
    /// Every integer in `[lo, hi]`.
    IntRange(Uniform<u32>),
    /// A constant (draws nothing).
    Fixed(f64),
    /// One of the values of a file's column, each row equally likely
    /// (`Dist::Empirical`, read once by `Scenario::resolve`).
    Empirical(Arc<[f64]>),
}

impl Sampler {
    /// A sampler for `dist` (checked by `Scenario::validate`: weights
    /// non-negative and not all zero, `lo ≤ hi`, finite); `integer` selects
    /// integer draws for a `Uniform` range.
    ///
    /// # Panics
    /// On a distribution that validation refuses, or an `Empirical` one,
    /// whose column only a resolved system holds: use [`Sampler::in_system`]
    /// (a bug in the caller).
    pub fn new(dist: &Dist, integer: bool) -> Sampler {
        match dist {
            Dist::Choice { values, weights } if weights.is_empty() => {
                Sampler::Uniform(values.clone())
            }
            Dist::Choice { values, weights } => {
                // Scaled by the largest weight so that their sum cannot overflow.
                let top = weights.iter().copied().fold(0.0, f64::max);
                let scaled = weights.iter().map(|w| w / top);
                let index = WeightedIndex::new(scaled).expect("validated: weights ≥ 0, not all 0");
                Sampler::Weighted(values.clone(), index)
            }
            Dist::Uniform { lo, hi } if integer => Sampler::IntRange(
                Uniform::new_inclusive(*lo as u32, *hi as u32).expect("validated: lo ≤ hi"),
            ),
            Dist::Uniform { lo, hi } => {
                Sampler::Range(Uniform::new_inclusive(*lo, *hi).expect("validated: lo ≤ hi"))
            }
            Dist::Fixed(v) => Sampler::Fixed(*v),
            Dist::Empirical { .. } => {
                panic!("an Empirical distribution needs its column: Sampler::in_system")
            }
        }
    }

    /// A sampler for `dist` of the resolved system `sys`, whose columns
    /// `Empirical` distributions read (see [`Sampler::new`]).
    ///
    /// # Panics
    /// On a distribution that validation refuses (a bug in the caller).
    pub fn in_system(dist: &Dist, integer: bool, sys: &System) -> Sampler {
        match dist {
            Dist::Empirical { path, column } => Sampler::Empirical(
                sys.empirical
                    .column(path, column)
                    .expect("Scenario::resolve reads every Empirical column"),
            ),
            other => Sampler::new(other, integer),
        }
    }

    /// One draw.
    pub fn draw(&self, rng: &mut StreamRng) -> f64 {
        match self {
            Sampler::Uniform(v) => v[rng.random_range(0..v.len())],
            Sampler::Weighted(v, index) => v[index.sample(rng)],
            Sampler::Range(u) => u.sample(rng),
            Sampler::IntRange(u) => u.sample(rng) as f64,
            Sampler::Fixed(v) => *v,
            Sampler::Empirical(v) => v[rng.random_range(0..v.len())],
        }
    }
}

/// One user as a request source (MODEL.md §2).
#[derive(Clone, Debug)]
pub struct User {
    /// Inter-arrival gaps `Exp(λ/U)`, s; `None` when the rate is 0 (never arrives).
    gaps: Option<Exp<f64>>,
    /// The instant of the last arrival drawn: the exact `f64` sum of the
    /// gaps since 0, s (rounded to ns only when an instant is given out).
    last_s: f64,
    arrivals: StreamRng,
    attributes: StreamRng,
}

/// The attribute distributions shared by every user.
#[derive(Clone, Debug)]
pub struct Profile {
    prompt: Sampler,
    output: Sampler,
    latency: Sampler,
    accuracy: Sampler,
}

impl Profile {
    /// The samplers of the system's request distributions.
    pub fn new(sys: &System) -> Profile {
        Profile {
            prompt: Sampler::in_system(&sys.prompt, true, sys),
            output: Sampler::in_system(&sys.output, true, sys),
            latency: Sampler::in_system(&sys.latency, false, sys),
            accuracy: Sampler::in_system(&sys.accuracy, false, sys),
        }
    }

    /// Draws a request's attributes from `rng`, always in the order `s, n, τ, ε`
    /// (`ε` is drawn even when accuracy is ignored, so both variants see the
    /// same requests). With `lengths = Some((s, n))` (a replayed trace's,
    /// MODEL.md §12) `s` and `n` are those and only `τ, ε` are drawn. The one
    /// place where a request's attributes are made.
    pub fn draw(&self, rng: &mut StreamRng, lengths: Option<(u32, u32)>) -> Attributes {
        let (prompt, output) = match lengths {
            Some(given) => given,
            None => (self.prompt.draw(rng) as u32, self.output.draw(rng) as u32),
        };
        let latency_ns = secs_to_ns_saturating(self.latency.draw(rng));
        let tolerance = self.accuracy.draw(rng);
        Attributes {
            prompt,
            output,
            latency_ns,
            tolerance,
        }
    }
}

impl User {
    /// User `u` of a run with the given streams and per-user rate.
    pub fn new(streams: &RngStreams, u: u32, rate: f64) -> User {
        User {
            gaps: Exp::new(rate).ok().filter(|_| rate > 0.0),
            last_s: 0.0,
            arrivals: streams.stream(&format!("user/{u}/arrivals")),
            attributes: streams.stream(&format!("user/{u}/requests")),
        }
    }

    /// The next inter-arrival gap, s (`Exp(λ/U)`), or `None` if the rate is 0.
    fn next_gap_s(&mut self) -> Option<f64> {
        Some(self.gaps?.sample(&mut self.arrivals))
    }

    /// The instant of this user's next arrival, ns, or `None` if the rate is 0.
    ///
    /// The instant is the sum of the `f64` gaps since 0, rounded once to the
    /// nearest ns (MODEL.md §2, §12) — never a sum of rounded gaps, which
    /// would bias the rate when gaps are a few ns.
    pub fn next_arrival_ns(&mut self) -> Option<u64> {
        self.last_s += self.next_gap_s()?;
        Some(secs_to_ns_saturating(self.last_s))
    }

    /// Draws a request's attributes, always in the order `s, n, τ, ε`
    /// (`ε` is drawn even when accuracy is ignored, so both variants see the same requests).
    pub fn draw(&mut self, p: &Profile) -> Attributes {
        p.draw(&mut self.attributes, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_choice_follows_weights() {
        let s = Sampler::new(
            &Dist::Choice {
                values: vec![1.0, 2.0, 3.0],
                weights: vec![1.0, 0.0, 3.0],
            },
            true,
        );
        let mut rng = RngStreams::new(5).stream("t");
        let mut counts = [0u32; 3];
        for _ in 0..40_000 {
            counts[s.draw(&mut rng) as usize - 1] += 1;
        }
        // Expected 10 000 / 0 / 30 000; 4 standard deviations of a binomial(40 000, ¼) ≈ 350.
        assert_eq!(counts[1], 0);
        assert!((counts[0] as i64 - 10_000).abs() < 350, "{counts:?}");
    }

    #[test]
    fn integer_range_covers_its_ends() {
        let s = Sampler::new(&Dist::Uniform { lo: 3.0, hi: 5.0 }, true);
        let mut rng = RngStreams::new(5).stream("t");
        let mut seen = [false; 3];
        for _ in 0..1000 {
            let v = s.draw(&mut rng);
            assert!((3.0..=5.0).contains(&v) && v.fract() == 0.0);
            seen[v as usize - 3] = true;
        }
        assert_eq!(seen, [true; 3]);
    }

    #[test]
    fn poisson_gaps_have_the_right_mean() {
        let streams = RngStreams::new(9);
        let mut u = User::new(&streams, 3, 2.0);
        let n = 100_000;
        let last = (0..n).map(|_| u.next_arrival_ns().unwrap()).last().unwrap();
        // Mean gap 1/2 s = 5e8 ns; the standard error of the mean is 5e8/√n ≈ 1.6e6 ns.
        let mean = last as f64 / n as f64;
        assert!((mean - 5e8).abs() < 4.0 * 1.6e6, "{mean}");
        assert_eq!(User::new(&streams, 0, 0.0).next_arrival_ns(), None);
    }

    #[test]
    fn a_very_high_rate_keeps_its_mean_count() {
        // λ = 10⁹ req/s: gaps are ~1 ns, so rounding each gap would bias the
        // count (a gap below 0.5 ns rounds to 0, one of 1.4 ns to 1). Rounding
        // the instant once keeps the count of arrivals in [0, T] Poisson(λT):
        // T = 10⁻³ s → mean 10⁶, standard deviation 10³.
        let streams = RngStreams::new(4);
        let mut u = User::new(&streams, 0, 1e9);
        let horizon_ns = 1_000_000;
        let mut count = 0u64;
        let mut prev = 0;
        while let Some(t) = u.next_arrival_ns().filter(|&t| t <= horizon_ns) {
            assert!(t >= prev, "instants never go back");
            prev = t;
            count += 1;
        }
        assert!((count as f64 - 1e6).abs() < 5e3, "{count}");
    }
}
