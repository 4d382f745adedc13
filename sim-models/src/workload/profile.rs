//! A piecewise-constant rate profile: a non-homogeneous Poisson process
//! (MODEL.md §12).

use rand_distr::{Distribution, Exp1};
use sim_core::StreamRng;

use super::aggregate::{Instants, Next};
use super::round_ns;
use crate::trace::TraceError;

/// A Poisson process whose rate is `r_j` during segment `j` of duration
/// `d_j`, the segments repeated end to end (period `D = Σ d_j`).
///
/// Exact, by time rescaling: with the cumulative intensity
/// `Λ(t) = ∫₀ᵗ λ(u) du`, the points `Λ(t_i)` of a Poisson process are a
/// unit-rate Poisson process, so `t_i = Λ⁻¹(E_1 + … + E_i)` with `E ~ Exp(1)`.
/// `Λ` is piecewise linear, and `Λ⁻¹` is found per cycle (`Λ(D) = L`) and
/// segment. The sum of the `E` and the inversion are in `f64`, each instant
/// rounded once to the ns. A rate of 0 gives a segment with no arrival.
pub struct RateProfile {
    /// Segment start times within the cycle, s, and `Λ` at them: `(T_j, Λ_j)`.
    starts: Vec<(f64, f64)>,
    rates: Vec<f64>,
    cycle_s: f64,
    cycle_mass: f64,
    rng: StreamRng,
    mass: f64,
}

impl RateProfile {
    /// The profile of `(duration s > 0, rate ≥ 0)` segments (checked by the
    /// scenario), unit exponentials drawn from `rng`.
    pub fn new(segments: &[(f64, f64)], rng: StreamRng) -> RateProfile {
        let (mut t, mut m) = (0.0, 0.0);
        let mut starts = Vec::with_capacity(segments.len());
        for &(d, r) in segments {
            starts.push((t, m));
            t += d;
            m += d * r;
        }
        RateProfile {
            starts,
            rates: segments.iter().map(|s| s.1).collect(),
            cycle_s: t,
            cycle_mass: m,
            rng,
            mass: 0.0,
        }
    }

    /// `Λ⁻¹(mass)`, s.
    fn invert(&self, mass: f64) -> f64 {
        let cycle = (mass / self.cycle_mass).floor();
        let e = (mass - cycle * self.cycle_mass).max(0.0);
        // The last segment whose Λ_j ≤ e and whose rate is > 0 (a zero-rate
        // segment has Λ_{j+1} = Λ_j: no point falls in it).
        let j = self.starts.partition_point(|&(_, m)| m <= e).max(1) - 1;
        let j = (0..=j).rev().find(|&j| self.rates[j] > 0.0).unwrap_or(j);
        let (t_j, m_j) = self.starts[j];
        cycle * self.cycle_s + t_j + (e - m_j) / self.rates[j]
    }
}

impl Instants for RateProfile {
    fn next(&mut self) -> Result<Next, TraceError> {
        if self.cycle_mass <= 0.0 {
            return Ok(None);
        }
        let e: f64 = Exp1.sample(&mut self.rng);
        self.mass += e;
        Ok(Some((round_ns(self.invert(self.mass) * 1e9), None)))
    }
}
