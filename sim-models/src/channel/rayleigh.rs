//! The paper's channel (MODEL.md §3, paper §II-A): block Rayleigh fading per
//! user per epoch, `g = PL·X` with `X ~ Exp(1)`, the same gain up and down,
//! and Shannon spectral efficiency over the whole band's noise `N0·B`.
//!
//! # Drawing a gain by (user, epoch)
//!
//! Gains come from the counter-based stream family `user/channel`
//! ([`sim_core::CounterStreams`], Philox4x32-10 keyed from the run's seed):
//! user `u`'s stream is stream `u` of the family, and the gain of epoch `k`
//! is made from that stream's `k`-th 64-bit number `Y_k` (words `2k`,
//! `2k + 1`) as `X = −ln U` with `U = (⌊Y_k / 2¹¹⌋ + 1)·2⁻⁵³ ∈ (0, 1]`
//! (`rand`'s `OpenClosed01`): inversion of the Exp(1) distribution function,
//! one number per draw and never more, so the number is computed directly
//! from `(u, k)` without drawing epochs `0 … k−1`. The gain is therefore a
//! function of (seed, `u`, `k`) only: it does not depend on which users had a
//! request in which epochs, and drawing it only for users with a candidate
//! request gives the gains that drawing every user in every epoch would.
//! Users are independent (distinct counters of a pseudo-random function) and
//! so are a user's epochs.

use rand::distr::OpenClosed01;
use rand::RngExt;
use sim_core::{CounterStreams, RngStreams};

use super::{spectral_efficiency, ChannelModel};
use crate::scenario::System;

/// The paper's block Rayleigh channel (MODEL.md §3).
#[derive(Clone, Debug)]
pub struct Rayleigh {
    streams: CounterStreams,
    path_loss: f64,
    tx_power_w: f64,
    bs_power_w: f64,
    noise_up_w: f64,
    noise_down_w: f64,
}

impl Rayleigh {
    /// The channel of `sys`'s users, drawing from `streams`.
    pub fn new(sys: &System, streams: &RngStreams) -> Rayleigh {
        Rayleigh {
            streams: CounterStreams::new(streams, "user/channel"),
            path_loss: sys.path_loss,
            tx_power_w: sys.tx_power_w,
            bs_power_w: sys.bs_power_w,
            noise_up_w: sys.noise_up_w,
            noise_down_w: sys.noise_down_w,
        }
    }
}

impl ChannelModel for Rayleigh {
    fn name(&self) -> &'static str {
        "Rayleigh"
    }

    /// `g = PL·X`, `X = −ln U ~ Exp(1)`, `U` from the `epoch`-th 64-bit
    /// number of stream `user` of the family `user/channel` (module docs).
    fn gain(&self, user: u32, epoch: u64) -> f64 {
        let u: f64 = self.streams.at(user, 2 * epoch).sample(OpenClosed01);
        self.path_loss * -u.ln()
    }

    fn spectral_efficiency(&self, gain: f64) -> (f64, f64) {
        (
            spectral_efficiency(self.tx_power_w, gain, self.noise_up_w),
            spectral_efficiency(self.bs_power_w, gain, self.noise_down_w),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use rand::Rng;

    fn model(seed: u64) -> Rayleigh {
        Rayleigh::new(
            &Scenario::default().resolve().unwrap(),
            &RngStreams::new(seed),
        )
    }

    #[test]
    fn the_gain_of_epoch_k_is_the_kth_number_of_the_users_stream() {
        // Independent method: the stream drawn sequentially, number after number.
        let m = model(5);
        let mut seq = CounterStreams::new(&RngStreams::new(5), "user/channel").at(7, 0);
        for k in 0..100u64 {
            let y = seq.next_u64();
            let u = ((y >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64);
            assert_eq!(m.gain(7, k), 1e-3 * -u.ln(), "epoch {k}");
        }
    }

    #[test]
    fn gains_do_not_depend_on_what_else_was_drawn() {
        let m = model(4);
        let forward: Vec<f64> = (0..20).map(|k| m.gain(2, k)).collect();
        // Other users, other epochs, in another order; then user 2 backwards.
        let _ = (0..50).map(|u| m.gain(u, 1000 - u as u64)).sum::<f64>();
        let backward: Vec<f64> = (0..20).rev().map(|k| m.gain(2, k)).collect();
        assert!(forward.iter().eq(backward.iter().rev()));
        // The user count is no input at all: a run with 3 users and one with
        // 500 000 give user 2 the same gains (same seed, same name).
        let mut big = Scenario::default();
        big.users.count = 500_000;
        let big = Rayleigh::new(&big.resolve().unwrap(), &RngStreams::new(4));
        assert!((0..20).all(|k| big.gain(2, k) == forward[k as usize]));
    }

    #[test]
    fn gains_are_exponential_with_mean_path_loss() {
        let m = model(3);
        let (users, epochs) = (50u32, 2000u64);
        let n = (users as u64 * epochs) as f64;
        let (mut sum, mut above) = (0.0, 0u64);
        for k in 0..epochs {
            for u in 0..users {
                let g = m.gain(u, k);
                sum += g;
                above += (g > 1e-3) as u64;
            }
        }
        // E[g] = PL = 1e-3; 100 000 draws, standard error 1e-3/√1e5 ≈ 3.2e-6.
        let mean = sum / n;
        assert!((mean - 1e-3).abs() < 4.0 * 3.2e-6, "{mean}");
        // P(X > 1) = e^-1 = 0.367 879; binomial standard error √(p(1−p)/n) = 1.52e-3.
        let p = above as f64 / n;
        assert!((p - (-1.0f64).exp()).abs() < 4.0 * 1.52e-3, "{p}");
    }

    #[test]
    fn users_and_epochs_are_uncorrelated() {
        // Sample correlation of X between users 0 and 1 (same epoch) and between
        // epochs k and k+1 (same user) over 20 000 pairs: |r| < 4/√20 000 = 0.028
        // if independent.
        let m = model(8);
        let n = 20_000u64;
        let corr = |pairs: &[(f64, f64)]| {
            let k = pairs.len() as f64;
            let (ma, mb) = pairs
                .iter()
                .fold((0.0, 0.0), |(a, b), p| (a + p.0 / k, b + p.1 / k));
            let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
            for (a, b) in pairs {
                sab += (a - ma) * (b - mb);
                saa += (a - ma) * (a - ma);
                sbb += (b - mb) * (b - mb);
            }
            sab / (saa * sbb).sqrt()
        };
        let users: Vec<_> = (0..n).map(|k| (m.gain(0, k), m.gain(1, k))).collect();
        let epochs: Vec<_> = (0..n).map(|k| (m.gain(9, k), m.gain(9, k + 1))).collect();
        assert!(corr(&users).abs() < 0.028, "{}", corr(&users));
        assert!(corr(&epochs).abs() < 0.028, "{}", corr(&epochs));
    }
}
