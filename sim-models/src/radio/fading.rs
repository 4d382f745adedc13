//! Small-scale (fast) fading of the link-budget channel (MODEL.md §14): the
//! power gain `|h|²` by which a coherence block scales the mean received
//! power. Every model has `E|h|² = 1`, so the path loss and shadowing fix
//! the mean and the fading only spreads it.

use rand::Rng;
use rand_distr::{Distribution, Exp1, StandardNormal};
use serde::{Deserialize, Serialize};

/// Fast fading, redrawn once per coherence block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Fading {
    /// No fast fading: `|h|² = 1` (the channel is deterministic given the
    /// user's path loss and shadowing).
    None,
    /// Rayleigh: `h ~ CN(0, 1)`, so `|h|² ~ Exp(1)` (as in MODEL.md §3).
    #[default]
    Rayleigh,
    /// Rician with K factor `k_db` dB (ratio of the line-of-sight power to the
    /// scattered power): `h = √(K/(K+1)) + √(1/(K+1))·CN(0, 1)`, so
    /// `E|h|² = 1` and `Var|h|² = (1 + 2K)/(1 + K)²`.
    Rician {
        /// `K` in dB (e.g. 9 dB, the mean K of UMa LOS in TR 38.901 Table 7.5-6).
        k_db: f64,
    },
}

impl Fading {
    /// One draw of the power gain `|h|²` (dimensionless, mean 1) from `rng`.
    pub fn power_gain<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            Fading::None => 1.0,
            Fading::Rayleigh => Exp1.sample(rng),
            Fading::Rician { k_db } => {
                let k = super::db_to_linear(k_db);
                // The scattered part CN(0, 1/(K+1)): real and imaginary parts
                // each N(0, 1/(2(K+1))).
                let s = (0.5 / (k + 1.0)).sqrt();
                let x: f64 = StandardNormal.sample(rng);
                let y: f64 = StandardNormal.sample(rng);
                let re = (k / (k + 1.0)).sqrt() + s * x;
                let im = s * y;
                re * re + im * im
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::RngStreams;

    /// Mean and variance of `n` draws.
    fn moments(f: Fading, n: usize, seed: u64) -> (f64, f64) {
        let mut rng = RngStreams::new(seed).stream("fading-test");
        let xs: Vec<f64> = (0..n).map(|_| f.power_gain(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
        (mean, var)
    }

    #[test]
    fn rayleigh_power_has_mean_one_over_a_million_draws() {
        // |h|² ~ Exp(1): mean 1, variance 1, so over n = 10⁶ draws the
        // standard error of the mean is 1/√10⁶ = 10⁻³; we allow 4 standard
        // errors (a false failure has probability ≈ 6·10⁻⁵), and the
        // variance within 1 % (its standard error is √(E[X⁴]−1)/√n = √23·10⁻³ ≈ 0.005).
        let (mean, var) = moments(Fading::Rayleigh, 1_000_000, 11);
        assert!((mean - 1.0).abs() < 4e-3, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
    }

    #[test]
    fn rician_power_has_mean_one_and_shrinking_spread() {
        for (k_db, seed) in [(0.0, 1), (9.0, 2), (20.0, 3)] {
            let k = 10f64.powf(k_db / 10.0);
            let (mean, var) = moments(Fading::Rician { k_db }, 200_000, seed);
            // Var|h|² = (1 + 2K)/(1 + K)² (noncentral χ² with 2 degrees of
            // freedom, scaled): K = 1 → 0.75, K = 7.943 → 0.2111, K = 100 → 0.0197.
            let want_var = (1.0 + 2.0 * k) / (1.0 + k).powi(2);
            // Standard error of the mean √(var/n) ≤ √(0.75/2·10⁵) ≈ 1.9·10⁻³.
            assert!((mean - 1.0).abs() < 8e-3, "K {k_db} dB: mean {mean}");
            assert!(
                (var / want_var - 1.0).abs() < 0.03,
                "K {k_db} dB: variance {var}, want {want_var}"
            );
        }
    }

    #[test]
    fn no_fading_is_one() {
        let mut rng = RngStreams::new(1).stream("x");
        assert_eq!(Fading::None.power_gain(&mut rng), 1.0);
    }
}
