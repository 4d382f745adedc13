//! Sweep statistics: the mean of a metric over replications and its 95 %
//! confidence interval, `mean ± t_{0.975, n−1} · s / √n` with `s` the sample
//! standard deviation (n − 1 in the denominator) and `t` the Student-t
//! quantile for n − 1 degrees of freedom.
//!
//! The t quantile is computed, not tabulated: the t CDF is written with the
//! regularized incomplete beta function (continued fraction, as in Numerical
//! Recipes §6.4), and inverted by bisection. The tests check it against the
//! closed forms for 1 and 2 degrees of freedom and against published tables.

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

/// The `p`-quantile of Student's t distribution with `dof > 0` degrees of freedom.
pub fn student_t_quantile(p: f64, dof: f64) -> f64 {
    if p.is_nan() || dof.is_nan() || dof <= 0.0 || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.5 {
        return 0.0;
    }
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, dof);
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let mut hi = 1.0;
    while student_t_cdf(hi, dof) < p {
        hi *= 2.0;
        if hi > 1e300 {
            return f64::INFINITY;
        }
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if student_t_cdf(mid, dof) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The CDF of Student's t with `dof` degrees of freedom at `t`:
/// `1 − ½·I_{ν/(ν+t²)}(ν/2, ½)` for `t ≥ 0`, by symmetry below.
pub fn student_t_cdf(t: f64, dof: f64) -> f64 {
    let x = dof / (dof + t * t);
    let tail = 0.5 * incomplete_beta(dof / 2.0, 0.5, x);
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The regularized incomplete beta function `I_x(a, b)`.
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b
    }
}

/// Modified Lentz evaluation of the continued fraction of `I_x(a, b)`.
fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=1000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, 9 terms; relative error < 1e-15).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEF[0];
    for (i, &c) in COEF.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        // Γ(n) = (n−1)!: Γ(5) = 24, Γ(10) = 362 880; Γ(½) = √π.
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-14));
        assert!(close(ln_gamma(10.0), 362_880f64.ln(), 1e-14));
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-14
        ));
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
        // Large ν tends to the normal quantile 1.959964.
        assert!((student_t_quantile(0.975, 1e7) - 1.959964).abs() < 1e-5);
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
}
