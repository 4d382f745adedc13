//! Requests and the users that send them (MODEL.md §2).
//!
//! Each user is a Poisson source at rate `λ/U` with random streams of its
//! own, stream `u` of the counter-based families ([`sim_core::CounterStreams`])
//! `user/arrivals` (inter-arrival gaps), `user/requests` (the attributes) and
//! `user/class` (the service class, MODEL.md §12, drawn only when the
//! scenario lists two classes or more), so adding a user, changing one
//! distribution or adding classes does not change another stream's numbers:
//! with classes, arrival instants are those without, and each request's
//! attributes are the same draws from its class's distributions. Arrival
//! instants are accumulated in
//! integer ns, each gap rounded once to the nearest ns; `τ_i` is rounded to
//! the nearest ns, so the deadline `D_i = a_i + τ_i` is an exact instant.

use std::sync::Arc;

use rand::distr::weighted::WeightedIndex;
use rand::distr::Uniform;
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Exp};
use sim_core::{CounterRng, CounterStreams, RngStreams};

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
    /// Its service class, an index into `System::classes` (0 without classes).
    pub class: u16,
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
    /// Service class, an index into `System::classes` (0 without classes).
    pub class: u16,
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
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
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
    arrivals: CounterRng,
    attributes: CounterRng,
    class: CounterRng,
}

/// The attribute distributions of one class (or of every request, without classes).
#[derive(Clone, Debug)]
struct ClassSamplers {
    prompt: Sampler,
    output: Sampler,
    latency: Sampler,
    accuracy: Sampler,
}

impl ClassSamplers {
    /// The samplers of `[prompt, output, latency, accuracy]` (`Empirical`
    /// columns from `sys`).
    fn new([prompt, output, latency, accuracy]: [&Dist; 4], sys: &System) -> ClassSamplers {
        ClassSamplers {
            prompt: Sampler::in_system(prompt, true, sys),
            output: Sampler::in_system(output, true, sys),
            latency: Sampler::in_system(latency, false, sys),
            accuracy: Sampler::in_system(accuracy, false, sys),
        }
    }
}

/// The attribute distributions shared by every user: one set per service
/// class, and the class shares (MODEL.md §12).
#[derive(Clone, Debug)]
pub struct Profile {
    classes: Vec<ClassSamplers>,
    /// The class draw, by share; `None` with fewer than two classes (nothing is drawn).
    pick: Option<WeightedIndex<f64>>,
}

impl Profile {
    /// The samplers of the system's request distributions: one per class,
    /// or the `requests` distributions when the system has no classes.
    ///
    /// # Panics
    /// On shares that validation refuses (a bug in the caller).
    pub fn new(sys: &System) -> Profile {
        if sys.classes.is_empty() {
            return Profile {
                classes: vec![ClassSamplers::new(
                    [&sys.prompt, &sys.output, &sys.latency, &sys.accuracy],
                    sys,
                )],
                pick: None,
            };
        }
        let classes = sys
            .classes
            .iter()
            .map(|c| ClassSamplers::new([&c.prompt, &c.output, &c.latency, &c.accuracy], sys))
            .collect();
        let pick = (sys.classes.len() > 1).then(|| {
            WeightedIndex::new(sys.classes.iter().map(|c| c.share))
                .expect("validated: shares > 0, summing to 1")
        });
        Profile { classes, pick }
    }

    /// Whether a new request draws its class (two classes or more).
    pub fn draws_class(&self) -> bool {
        self.pick.is_some()
    }

    /// The class of a new request, drawn from `rng` (the user's
    /// `user/class` stream) by share; 0, with nothing drawn, when
    /// [`Profile::draws_class`] is false.
    pub fn draw_class<R: Rng + ?Sized>(&self, rng: &mut R) -> u16 {
        // At most MAX_CLASSES (64) classes.
        self.pick.as_ref().map_or(0, |w| w.sample(rng)) as u16
    }

    /// Draws the attributes of a request of class `class` from `rng` (the
    /// user's `user/requests` stream), always in the order `s, n, τ, ε`
    /// (`ε` is drawn even when accuracy is ignored, so both variants see
    /// the same requests).
    ///
    /// With `lengths = Some((s, n))` (a replayed trace's, MODEL.md §12) `s`
    /// and `n` are those and only `τ, ε` are drawn. The one place where a
    /// request's attributes are made.
    pub fn draw<R: Rng + ?Sized>(
        &self,
        class: u16,
        rng: &mut R,
        lengths: Option<(u32, u32)>,
    ) -> Attributes {
        let p = &self.classes[class as usize];
        let (prompt, output) = match lengths {
            Some(given) => given,
            None => (p.prompt.draw(rng) as u32, p.output.draw(rng) as u32),
        };
        let latency_ns = secs_to_ns_saturating(p.latency.draw(rng));
        let tolerance = p.accuracy.draw(rng);
        Attributes {
            prompt,
            output,
            latency_ns,
            tolerance,
            class,
        }
    }
}

impl User {
    /// User `u` of a run with the given streams and per-user rate.
    pub fn new(streams: &RngStreams, u: u32, rate: f64) -> User {
        User {
            gaps: Exp::new(rate).ok().filter(|_| rate > 0.0),
            last_s: 0.0,
            arrivals: CounterStreams::new(streams, "user/arrivals").at_buffered(u, 0),
            attributes: CounterStreams::new(streams, "user/requests").at_buffered(u, 0),
            class: CounterStreams::new(streams, "user/class").at_buffered(u, 0),
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

    /// Draws a request's class from the `user/class` stream (only with
    /// two classes or more), then its attributes from that class's
    /// distributions, always in the order `s, n, τ, ε` on the
    /// `user/requests` stream (`ε` is drawn even when accuracy is
    /// ignored, so both variants see the same requests).
    pub fn draw(&mut self, p: &Profile) -> Attributes {
        let class = p.draw_class(&mut self.class);
        p.draw(class, &mut self.attributes, None)
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

    /// The paper's system with three classes of shares 0.2, 0.3, 0.5; class
    /// `k` has a fixed prompt of `k + 1` tokens, so a draw shows its class.
    fn three_classes() -> System {
        use crate::scenario::{Scenario, ServiceClass};
        let mut sc = Scenario::default();
        sc.requests.classes = [("a", 0.2), ("b", 0.3), ("c", 0.5)]
            .iter()
            .enumerate()
            .map(|(k, (name, share))| ServiceClass {
                prompt: Some(Dist::Fixed(k as f64 + 1.0)),
                ..ServiceClass::new(name, *share)
            })
            .collect();
        sc.resolve().unwrap()
    }

    #[test]
    fn classes_follow_their_shares() {
        let sys = three_classes();
        let profile = Profile::new(&sys);
        let mut u = User::new(&RngStreams::new(11), 0, 1.0);
        let n = 100_000u32;
        let mut counts = [0u32; 3];
        for _ in 0..n {
            let a = u.draw(&profile);
            // Each class draws from its own distributions.
            assert_eq!(a.prompt, a.class as u32 + 1);
            counts[a.class as usize] += 1;
        }
        // Binomial(n, p): sd = √(n·p·(1−p)) = 126.5, 144.9, 158.1 for p = 0.2, 0.3, 0.5;
        // 4 sd: 506, 580, 632.
        for (k, (p, tol)) in [(0.2, 506.0), (0.3, 580.0), (0.5, 632.0)]
            .iter()
            .enumerate()
        {
            let dev = (counts[k] as f64 - p * n as f64).abs();
            assert!(dev < *tol, "class {k}: {} of {n}", counts[k]);
        }
    }

    #[test]
    fn classes_draw_from_their_own_stream() {
        // Arrival instants and the attribute stream do not move when classes are
        // added: every class here inherits the `requests` distributions, so each
        // request gets exactly the attributes it gets without classes.
        let mut with = three_classes();
        for c in &mut with.classes {
            c.prompt = with.prompt.clone();
        }
        let without = System {
            classes: Vec::new(),
            ..with.clone()
        };
        let streams = RngStreams::new(3);
        let (p_with, p_without) = (Profile::new(&with), Profile::new(&without));
        let (mut a, mut b) = (User::new(&streams, 7, 2.0), User::new(&streams, 7, 2.0));
        let mut classes_seen = [false; 3];
        for _ in 0..1000 {
            assert_eq!(a.next_arrival_ns(), b.next_arrival_ns());
            let (x, y) = (a.draw(&p_with), b.draw(&p_without));
            classes_seen[x.class as usize] = true;
            assert_eq!(y.class, 0);
            assert_eq!(Attributes { class: 0, ..x }, y);
        }
        assert_eq!(classes_seen, [true; 3]);
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
