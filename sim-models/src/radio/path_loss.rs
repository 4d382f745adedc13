//! Path loss, LOS probability and shadow-fading spread of 3GPP TR 38.901
//! V17.0.0 (2022-03), "Study on channel model for frequencies from 0.5 to
//! 100 GHz", for the two outdoor scenarios we model: urban macro (UMa) and
//! urban micro street canyon (UMi), MODEL.md §14.
//!
//! - path loss: Table 7.4.1-1 (§7.4.1), with its Note 1 (breakpoint
//!   distance `d'_BP` from the effective antenna heights) and the 3D distance
//!   of Figure 7.4.1-2;
//! - LOS probability: Table 7.4.2-1 (§7.4.2), outdoor users;
//! - shadow fading: the `σ_SF` column of Table 7.4.1-1.
//!
//! Units: distances and heights in m, the carrier `f_c` in GHz (the tables'
//! normalisation, Table 7.4.1-1 Note 2), path loss and `σ_SF` in dB.
//!
//! Validity (the tables' applicability columns): `10 m ≤ d_2D ≤ 5 km`,
//! `1.5 m ≤ h_UT ≤ 22.5 m`, `0.5 GHz ≤ f_c ≤ 100 GHz` (§7.1, the range the
//! whole model covers). **[decision]** Nothing outside these ranges is
//! extrapolated: the scenario check refuses it (see `spec.rs`). For UMa we
//! further require `h_UT ≤ 13 m`, where the effective environment height is
//! `h_E = 1 m` with probability 1 (Note 1: `C(d_2D, h_UT) = 0` for
//! `h_UT < 13 m`, and `0` again at 13 m), so the breakpoint is deterministic.

use serde::{Deserialize, Serialize};

/// Speed of light used by TR 38.901 Table 7.4.1-1 Note 1: `c = 3.0·10⁸ m/s`.
pub const SPEED_OF_LIGHT: f64 = 3.0e8;

/// Effective environment height `h_E`, m (TR 38.901 Table 7.4.1-1 Note 1):
/// 1 m for UMi; for UMa with `h_UT ≤ 13 m` (where `C(d_2D, h_UT) = 0`).
pub const H_E: f64 = 1.0;

/// Shortest 2D distance of Table 7.4.1-1, m.
pub const MIN_D2D: f64 = 10.0;
/// Longest 2D distance of Table 7.4.1-1 (5 km), m.
pub const MAX_D2D: f64 = 5000.0;
/// Lowest carrier frequency of TR 38.901 (§1 scope, §7.1), GHz.
pub const MIN_FC_GHZ: f64 = 0.5;
/// Highest carrier frequency of TR 38.901 (§1 scope, §7.1), GHz.
pub const MAX_FC_GHZ: f64 = 100.0;
/// Lowest UT height of Table 7.4.1-1, m.
pub const MIN_UT_HEIGHT: f64 = 1.5;
/// Highest UT height of Table 7.4.1-1 (UMi), m.
pub const MAX_UT_HEIGHT: f64 = 22.5;
/// Highest UT height we accept for UMa, m: up to 13 m, `h_E = 1 m` exactly
/// (Table 7.4.1-1 Note 1, `C = 0`).
pub const MAX_UT_HEIGHT_UMA: f64 = 13.0;

/// The propagation scenario of TR 38.901 Table 7.4.1-1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Environment {
    /// Urban macro: BS above the rooftops (`h_BS = 25 m` in the table).
    #[default]
    UMa,
    /// Urban micro, street canyon: BS below the rooftops (`h_BS = 10 m`).
    UMi,
}

impl Environment {
    /// The BS height of Table 7.4.1-1's applicability column, m: 25 (UMa), 10 (UMi).
    pub fn default_bs_height(self) -> f64 {
        match self {
            Environment::UMa => 25.0,
            Environment::UMi => 10.0,
        }
    }

    /// The highest UT height accepted, m (see the module's validity note).
    pub fn max_ut_height(self) -> f64 {
        match self {
            Environment::UMa => MAX_UT_HEIGHT_UMA,
            Environment::UMi => MAX_UT_HEIGHT,
        }
    }

    /// Shadow-fading standard deviation `σ_SF`, dB (Table 7.4.1-1):
    /// UMa LOS 4, UMa NLOS 6, UMi LOS 4, UMi NLOS 7.82.
    pub fn shadow_sigma_db(self, los: bool) -> f64 {
        match (self, los) {
            (_, true) => 4.0,
            (Environment::UMa, false) => 6.0,
            (Environment::UMi, false) => 7.82,
        }
    }

    /// LOS probability of an outdoor user at 2D distance `d2d` m
    /// (Table 7.4.2-1): 1 for `d_2D ≤ 18 m`, else
    /// - UMi: `18/d + e^(−d/36)·(1 − 18/d)`;
    /// - UMa: `[18/d + e^(−d/63)·(1 − 18/d)]·[1 + C'(h_UT)·(5/4)(d/100)³·e^(−d/150)]`
    ///   with `C'(h_UT) = 0` for `h_UT ≤ 13 m`, the only UMa heights we accept,
    ///   so the second factor is 1.
    pub fn los_probability(self, d2d: f64) -> f64 {
        if d2d <= 18.0 {
            return 1.0;
        }
        let scale = match self {
            Environment::UMa => 63.0,
            Environment::UMi => 36.0,
        };
        18.0 / d2d + (-d2d / scale).exp() * (1.0 - 18.0 / d2d)
    }

    /// Path loss, dB, of a link at 2D distance `d2d` m between a BS at
    /// `h_bs` m and a UT at `h_ut` m on carrier `fc_ghz` GHz, in LOS or
    /// NLOS (Table 7.4.1-1; NLOS is `max(PL_LOS, PL'_NLOS)`). Inputs are
    /// assumed inside the validity ranges (the scenario check enforces them).
    pub fn path_loss_db(self, los: bool, d2d: f64, h_bs: f64, h_ut: f64, fc_ghz: f64) -> f64 {
        let pl_los = self.path_loss_los_db(d2d, h_bs, h_ut, fc_ghz);
        if los {
            return pl_los;
        }
        let d3d = distance_3d(d2d, h_bs, h_ut);
        let nlos_prime = match self {
            // PL'_UMa-NLOS = 13.54 + 39.08 log10(d_3D) + 20 log10(f_c) − 0.6 (h_UT − 1.5)
            Environment::UMa => {
                13.54 + 39.08 * d3d.log10() + 20.0 * fc_ghz.log10() - 0.6 * (h_ut - 1.5)
            }
            // PL'_UMi-NLOS = 35.3 log10(d_3D) + 22.4 + 21.3 log10(f_c) − 0.3 (h_UT − 1.5)
            Environment::UMi => {
                35.3 * d3d.log10() + 22.4 + 21.3 * fc_ghz.log10() - 0.3 * (h_ut - 1.5)
            }
        };
        pl_los.max(nlos_prime)
    }

    /// LOS path loss, dB (Table 7.4.1-1): `PL1` for `d_2D ≤ d'_BP`, `PL2` beyond.
    fn path_loss_los_db(self, d2d: f64, h_bs: f64, h_ut: f64, fc_ghz: f64) -> f64 {
        let d3d = distance_3d(d2d, h_bs, h_ut);
        let d_bp = breakpoint_m(h_bs, h_ut, fc_ghz);
        let f = 20.0 * fc_ghz.log10();
        let dh2 = (h_bs - h_ut).powi(2);
        match self {
            // PL1 = 28.0 + 22 log10(d_3D) + 20 log10(f_c)
            // PL2 = 28.0 + 40 log10(d_3D) + 20 log10(f_c) − 9 log10(d'_BP² + (h_BS − h_UT)²)
            Environment::UMa if d2d <= d_bp => 28.0 + 22.0 * d3d.log10() + f,
            Environment::UMa => 28.0 + 40.0 * d3d.log10() + f - 9.0 * (d_bp * d_bp + dh2).log10(),
            // PL1 = 32.4 + 21 log10(d_3D) + 20 log10(f_c)
            // PL2 = 32.4 + 40 log10(d_3D) + 20 log10(f_c) − 9.5 log10(d'_BP² + (h_BS − h_UT)²)
            Environment::UMi if d2d <= d_bp => 32.4 + 21.0 * d3d.log10() + f,
            Environment::UMi => 32.4 + 40.0 * d3d.log10() + f - 9.5 * (d_bp * d_bp + dh2).log10(),
        }
    }
}

/// `d_3D = √(d_2D² + (h_BS − h_UT)²)`, m (TR 38.901 Figure 7.4.1-2).
pub fn distance_3d(d2d: f64, h_bs: f64, h_ut: f64) -> f64 {
    d2d.hypot(h_bs - h_ut)
}

/// Breakpoint distance `d'_BP = 4·h'_BS·h'_UT·f_c/c`, m, with the effective
/// heights `h' = h − h_E`, `h_E = 1 m` and `f_c` in Hz (TR 38.901 Table
/// 7.4.1-1 Note 1).
pub fn breakpoint_m(h_bs: f64, h_ut: f64, fc_ghz: f64) -> f64 {
    4.0 * (h_bs - H_E) * (h_ut - H_E) * fc_ghz * 1e9 / SPEED_OF_LIGHT
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64, tol: f64) {
        assert!((got - want).abs() <= tol, "got {got}, want {want}");
    }

    // Every expected value below is worked from the Table 7.4.1-1 formulas by
    // hand, each step checked with Python's math module (an independent method).

    #[test]
    fn breakpoints() {
        // UMa, h_BS 25, h_UT 1.5, 3.5 GHz: 4·24·0.5·3.5e9/3e8 = 48·11.666… = 560 m.
        close(breakpoint_m(25.0, 1.5, 3.5), 560.0, 1e-9);
        // UMi, h_BS 10, h_UT 1.5, 28 GHz: 4·9·0.5·28e9/3e8 = 18·93.333… = 1680 m.
        close(breakpoint_m(10.0, 1.5, 28.0), 1680.0, 1e-9);
    }

    #[test]
    fn uma_los_both_sides_of_the_breakpoint() {
        // f_c = 3.5 GHz: 20 log10(3.5) = 10.881 360 9.
        // d_2D = 100 m (< d'_BP = 560): d_3D = √(100² + 23.5²) = √10 552.25 = 102.724 145;
        // log10 = 2.011 672 5; PL1 = 28 + 22·2.011 672 5 + 10.881 361 = 83.138 157.
        close(
            Environment::UMa.path_loss_db(true, 100.0, 25.0, 1.5, 3.5),
            83.138_157,
            1e-5,
        );
        // d_2D = 1000 m (> 560): d_3D = √(10⁶ + 552.25) = 1000.276 09, log10 = 3.000 119 9;
        // 9 log10(560² + 23.5²) = 9 log10(314 152.25) = 9·5.497 140 2 = 49.474 262;
        // PL2 = 28 + 40·3.000 119 9 + 10.881 361 − 49.474 262 = 109.411 895.
        close(
            Environment::UMa.path_loss_db(true, 1000.0, 25.0, 1.5, 3.5),
            109.411_895,
            1e-5,
        );
    }

    #[test]
    fn uma_nlos_is_the_larger_of_los_and_nlos_prime() {
        // d_2D = 100 m, 3.5 GHz: PL' = 13.54 + 39.08·2.011 672 5 + 10.881 361 − 0
        // = 13.54 + 78.616 163 + 10.881 361 = 103.037 524 > PL_LOS = 83.138 → 103.037 524.
        close(
            Environment::UMa.path_loss_db(false, 100.0, 25.0, 1.5, 3.5),
            103.037_524,
            1e-5,
        );
        // h_UT = 10 m changes the last term: −0.6·8.5 = −5.1, and d_3D = √(100² + 15²)
        // = 101.118 742, log10 = 2.004 831 7: PL' = 13.54 + 39.08·2.004 831 7 + 10.881 361 − 5.1
        // = 13.54 + 78.348 821 + 10.881 361 − 5.1 = 97.670 182; PL_LOS (d'_BP = 4·24·9·3.5e9/3e8
        // = 10 080 m, PL1) = 28 + 22·2.004 831 7 + 10.881 361 = 82.987 657 → 97.670 182.
        close(
            Environment::UMa.path_loss_db(false, 100.0, 25.0, 10.0, 3.5),
            97.670_182,
            1e-5,
        );
    }

    #[test]
    fn umi_los_and_nlos() {
        // f_c = 28 GHz: 20 log10(28) = 28.943 161 3, 21.3 log10(28) = 30.824 466 8.
        // d_2D = 200 m (< d'_BP = 1680): d_3D = √(40 000 + 72.25) = 200.180 544, log10 = 2.301 421 9;
        // PL1 = 32.4 + 21·2.301 421 9 + 28.943 161 = 109.673 020.
        close(
            Environment::UMi.path_loss_db(true, 200.0, 10.0, 1.5, 28.0),
            109.673_020,
            1e-5,
        );
        // NLOS: PL' = 35.3·2.301 421 9 + 22.4 + 30.824 466 = 81.240 192 + 53.224 466 = 134.464 658.
        close(
            Environment::UMi.path_loss_db(false, 200.0, 10.0, 1.5, 28.0),
            134.464_658,
            1e-5,
        );
        // d_2D = 3000 m at 3.5 GHz (d'_BP = 4·9·0.5·3.5e9/3e8 = 210 m, so PL2):
        // d_3D = √(9·10⁶ + 72.25) = 3000.012 04, log10 = 3.477 122 9;
        // 9.5 log10(210² + 8.5²) = 9.5 log10(44 172.25) = 9.5·4.645 149 4 = 44.128 920;
        // PL2 = 32.4 + 40·3.477 123 0 + 10.881 361 − 44.128 920 = 138.237 360.
        close(
            Environment::UMi.path_loss_db(true, 3000.0, 10.0, 1.5, 3.5),
            138.237_360,
            1e-5,
        );
    }

    #[test]
    fn los_path_loss_is_continuous_at_the_breakpoint_and_grows_with_distance() {
        // At d_2D = d'_BP, PL2 − PL1 = (40 − 22)·log10(d_3D) − 9·log10(d'_BP² + Δh²)
        // = 9·log10(d_3D²/(d'_BP² + Δh²)) = 0 for UMa (and 19·log10(d_3D) − 9.5·log10(d_3D²)
        // = 0 for UMi): the two pieces meet.
        for (env, fc) in [
            (Environment::UMa, 3.5),
            (Environment::UMi, 3.5),
            (Environment::UMi, 28.0),
        ] {
            let h_bs = env.default_bs_height();
            let d_bp = breakpoint_m(h_bs, 1.5, fc);
            let below = env.path_loss_db(true, d_bp, h_bs, 1.5, fc);
            let above = env.path_loss_db(true, d_bp * (1.0 + 1e-12), h_bs, 1.5, fc);
            assert!(
                (above - below).abs() < 1e-6,
                "{env:?} {fc} GHz: {below} vs {above}"
            );
            let mut d = 10.0;
            let mut last = f64::NEG_INFINITY;
            while d <= 5000.0 {
                for los in [true, false] {
                    let pl = env.path_loss_db(los, d, h_bs, 1.5, fc);
                    assert!(pl.is_finite());
                    if los {
                        assert!(pl > last, "{env:?} at {d} m");
                        last = pl;
                    }
                }
                d *= 1.05;
            }
        }
    }

    #[test]
    fn nlos_never_below_los() {
        for env in [Environment::UMa, Environment::UMi] {
            let mut d = 10.0;
            while d <= 5000.0 {
                let h_bs = env.default_bs_height();
                let los = env.path_loss_db(true, d, h_bs, 1.5, 3.5);
                let nlos = env.path_loss_db(false, d, h_bs, 1.5, 3.5);
                assert!(nlos >= los, "{env:?} at {d} m: NLOS {nlos} < LOS {los}");
                d *= 1.1;
            }
        }
    }

    #[test]
    fn los_probabilities() {
        assert_eq!(Environment::UMa.los_probability(18.0), 1.0);
        // UMi at 100 m: 0.18 + e^(−100/36)·0.82 = 0.18 + 0.062 177·0.82 = 0.230 985 (checked in Python: 0.230 984 75).
        close(Environment::UMi.los_probability(100.0), 0.230_985, 1e-6);
        // UMa at 100 m: 0.18 + e^(−100/63)·0.82 = 0.18 + 0.204 477·0.82 = 0.347 671.
        close(Environment::UMa.los_probability(100.0), 0.347_671, 1e-6);
    }
}
