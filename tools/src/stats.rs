//! Sweep statistics: the mean of a metric over replications and its 95 %
//! confidence interval, `mean ± t_{0.975, n−1} · s / √n` with `s` the sample
//! standard deviation (n − 1 in the denominator) and `t` the Student-t
//! quantile for n − 1 degrees of freedom (`statrs`).

use statrs::distribution::{ContinuousCDF, StudentsT};

/// A metric's mean over replications and its 95 % confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Number of replications, count.
    pub n: usize,
    /// Sample mean (NaN if `n = 0` or any value is NaN).
    pub mean: f64,
    /// Lower end of the 95 % CI (NaN if `n < 2`).
    pub ci_lo: f64,
    /// Upper end of the 95 % CI (NaN if `n < 2`).
    pub ci_hi: f64,
}

/// Confidence level of every interval this program reports.
pub const CONFIDENCE: f64 = 0.95;

/// Mean and 95 % Student-t confidence interval of `xs` (one value per replication).
pub fn estimate(xs: &[f64]) -> Estimate {
    let n = xs.len();
    if n == 0 {
        return Estimate {
            n,
            mean: f64::NAN,
            ci_lo: f64::NAN,
            ci_hi: f64::NAN,
        };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Estimate {
            n,
            mean,
            ci_lo: f64::NAN,
            ci_hi: f64::NAN,
        };
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    let t = student_t_quantile(0.5 + CONFIDENCE / 2.0, (n - 1) as f64);
    let half = t * (var / n as f64).sqrt();
    Estimate {
        n,
        mean,
        ci_lo: mean - half,
        ci_hi: mean + half,
    }
}

/// The `p`-quantile of Student's t distribution with `dof > 0` degrees of
/// freedom (NaN for a `dof` that is not positive and finite or a `p` outside [0, 1]).
pub fn student_t_quantile(p: f64, dof: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    match StudentsT::new(0.0, 1.0, dof) {
        Ok(t) => t.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// Order statistics and moments of a sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    /// Sample size.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (divisor n − 1; 0 when n = 1).
    pub std: f64,
    /// Smallest value.
    pub min: f64,
    /// Median (mean of the two middle values when n is even).
    pub median: f64,
    /// 99th percentile, nearest rank: the ⌈0.99·n⌉-th smallest value.
    pub p99: f64,
    /// Largest value.
    pub max: f64,
}

/// The [`Spread`] of `xs`, `None` if it is empty.
pub fn spread(xs: &[f64]) -> Option<Spread> {
    let n = xs.len();
    if n == 0 {
        return None;
    }
    let mut s = xs.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let mean = s.iter().sum::<f64>() / n as f64;
    let std = if n > 1 {
        (s.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let median = if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    };
    // Nearest rank ⌈0.99·n⌉ (1-based), in integers: ⌈99n/100⌉.
    let rank = (99 * n).div_ceil(100).max(1);
    Some(Spread {
        n,
        mean,
        std,
        min: s[0],
        median,
        p99: s[rank - 1],
        max: s[n - 1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    #[test]
    fn t_quantile_matches_closed_forms() {
        // ν = 1 is the Cauchy distribution: t_p = tan(π(p − ½)).
        // ν = 2: t_p = (2p − 1)/√(2p(1 − p)).
        for p in [0.6, 0.9, 0.975, 0.995] {
            let cauchy = (std::f64::consts::PI * (p - 0.5)).tan();
            assert!(close(student_t_quantile(p, 1.0), cauchy, 1e-10), "p={p}");
            let two = (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt();
            assert!(close(student_t_quantile(p, 2.0), two, 1e-10), "p={p}");
        }
    }

    #[test]
    fn t_quantile_matches_published_tables() {
        // Two-sided 95 % critical values (e.g. NIST/SEMATECH e-Handbook, Table 1.3.6.7.2).
        for (dof, t) in [
            (1.0, 12.706),
            (2.0, 4.303),
            (4.0, 2.776),
            (9.0, 2.262),
            (29.0, 2.045),
            (100.0, 1.984),
        ] {
            let got = student_t_quantile(0.975, dof);
            assert!((got - t).abs() < 5e-4, "dof {dof}: {got} vs {t}");
        }
        // Large ν tends to the normal quantile 1.959964: t_{0.975, 10⁴} = 1.960201
        // (z + (z³ + z)/(4ν), the first term of the Cornish-Fisher expansion).
        assert!((student_t_quantile(0.975, 1e4) - 1.960201).abs() < 1e-5);
        assert!(student_t_quantile(1.5, 3.0).is_nan() && student_t_quantile(0.9, 0.0).is_nan());
        assert!(close(student_t_quantile(0.025, 4.0), -2.776445, 1e-6));
    }

    #[test]
    fn estimate_of_a_small_sample() {
        // xs = 1, 2, 3, 4, 5: mean 3, s² = 10/4 = 2.5, s/√5 = 0.707107,
        // t_{0.975,4} = 2.776445 → half width 1.963243.
        let e = estimate(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(e.n, 5);
        assert_eq!(e.mean, 3.0);
        assert!(close(e.ci_hi - 3.0, 1.963243, 1e-6), "{e:?}");
        assert!(close(3.0 - e.ci_lo, 1.963243, 1e-6), "{e:?}");
        let one = estimate(&[7.0]);
        assert_eq!(one.mean, 7.0);
        assert!(one.ci_lo.is_nan() && one.ci_hi.is_nan());
        assert!(estimate(&[]).mean.is_nan());
        // Identical values: zero-width interval.
        let flat = estimate(&[2.5; 4]);
        assert_eq!((flat.ci_lo, flat.ci_hi), (2.5, 2.5));
    }

    #[test]
    fn spread_of_small_samples() {
        // 1..=4: mean 2.5, s² = (2.25 + 0.25 + 0.25 + 2.25)/3 = 5/3, median (2+3)/2,
        // p99 rank ⌈3.96⌉ = 4 → 4.
        let s = spread(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!(
            (s.n, s.mean, s.median, s.min, s.max, s.p99),
            (4, 2.5, 2.5, 1.0, 4.0, 4.0)
        );
        assert!((s.std - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        // 1..=200: p99 rank ⌈198⌉ = 198 → 198; median (100+101)/2.
        let xs: Vec<f64> = (1..=200).map(f64::from).collect();
        let s = spread(&xs).unwrap();
        assert_eq!((s.p99, s.median), (198.0, 100.5));
        // 1..=101: p99 rank ⌈99.99⌉ = 100.
        let xs: Vec<f64> = (1..=101).map(f64::from).collect();
        assert_eq!(spread(&xs).unwrap().p99, 100.0);
        let one = spread(&[7.0]).unwrap();
        assert_eq!((one.std, one.p99, one.median), (0.0, 7.0, 7.0));
        assert!(spread(&[]).is_none());
    }
}
