//! A renewal process with gamma-distributed gaps (MODEL.md §12).

use rand_distr::{Distribution, Gamma};
use sim_core::StreamRng;

use super::aggregate::{Instants, Next};
use super::round_ns;
use crate::trace::TraceError;

/// Arrivals whose gaps are i.i.d. gamma with mean `1/λ` and coefficient of
/// variation `cv`: shape `k = 1/cv²`, scale `θ = cv²/λ` (mean `kθ = 1/λ`,
/// std `√k·θ = cv/λ`). `cv = 1` is a Poisson process; `cv > 1` is burstier
/// (more short gaps and a few long ones). The instant of arrival `j` is the
/// `f64` sum of the first `j` gaps, s, rounded once to the ns.
pub struct GammaRenewal {
    gaps: Option<Gamma<f64>>,
    rng: StreamRng,
    last_s: f64,
}

impl GammaRenewal {
    /// Rate `λ` requests/s (≥ 0; 0 = no arrival), `cv > 0` (checked by the
    /// scenario), gaps drawn from `rng`.
    pub fn new(rate: f64, cv: f64, rng: StreamRng) -> GammaRenewal {
        let shape = 1.0 / (cv * cv);
        let scale = cv * cv / rate;
        GammaRenewal {
            gaps: Gamma::new(shape, scale).ok().filter(|_| rate > 0.0),
            rng,
            last_s: 0.0,
        }
    }
}

impl Instants for GammaRenewal {
    fn next(&mut self) -> Result<Next, TraceError> {
        let Some(g) = &self.gaps else { return Ok(None) };
        self.last_s += g.sample(&mut self.rng);
        Ok(Some((round_ns(self.last_s * 1e9), None)))
    }
}
