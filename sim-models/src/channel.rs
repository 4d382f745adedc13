//! The radio channel (MODEL.md §3, paper §II-A): block Rayleigh fading per
//! user per epoch, the same gain up and down, OFDMA rates linear in the
//! bandwidth fraction, and the minimum fractions `ρU_i`, `ρD_i`.
//!
//! Each user draws its gain from its own stream `user/{u}/channel`, one draw
//! per epoch whether it has a request or not.

use rand_distr::{Distribution, Exp1};
use sim_core::{RngStreams, StreamRng};

use crate::scenario::System;

/// `SE = log2(1 + p·g/σ²)`, b/s/Hz (MODEL.md §3).
pub fn spectral_efficiency(power_w: f64, gain: f64, noise_w: f64) -> f64 {
    (1.0 + power_w * gain / noise_w).log2()
}

/// The minimum bandwidth fraction that carries `tokens` tokens of `bits` bits in
/// a slot of `slot_s` seconds on bandwidth `b_hz` at spectral efficiency `se`:
/// `ρ = tokens·bits / (T·B·SE)` (MODEL.md §3). Infinite if `se = 0`.
pub fn min_fraction(tokens: u32, bits: u32, slot_s: f64, b_hz: f64, se: f64) -> f64 {
    (tokens as f64 * bits as f64) / (slot_s * b_hz * se)
}

/// Every user's channel in the current epoch.
#[derive(Clone, Debug)]
pub struct Channel {
    path_loss: f64,
    tx_power_w: f64,
    bs_power_w: f64,
    noise_up_w: f64,
    noise_down_w: f64,
    // T_U·B^U and T_D·B^D, s·Hz.
    up_capacity: f64,
    down_capacity: f64,
    token_bits: u32,
    streams: Vec<StreamRng>,
    // A gain every user gets every epoch instead of a draw (tests), if set.
    fixed_gain: Option<f64>,
    gain: Vec<f64>,
    se_up: Vec<f64>,
    se_down: Vec<f64>,
    // Per user, the coherence block its current gain belongs to (`se_at`), if any.
    block: Vec<Option<u64>>,
}

impl Channel {
    /// The channel of `sys`'s users; no gain is drawn until [`Channel::draw_epoch`].
    pub fn new(sys: &System, streams: &RngStreams) -> Channel {
        let u = sys.users as usize;
        Channel {
            path_loss: sys.path_loss,
            tx_power_w: sys.tx_power_w,
            bs_power_w: sys.bs_power_w,
            noise_up_w: sys.noise_up_w,
            noise_down_w: sys.noise_down_w,
            up_capacity: sys.t_u_ns as f64 / 1e9 * sys.bandwidth_up,
            down_capacity: sys.t_d_ns as f64 / 1e9 * sys.bandwidth_down,
            token_bits: sys.token_bits,
            streams: (0..sys.users)
                .map(|i| streams.stream(&format!("user/{i}/channel")))
                .collect(),
            fixed_gain: None,
            gain: vec![0.0; u],
            se_up: vec![0.0; u],
            se_down: vec![0.0; u],
            block: vec![None; u],
        }
    }

    /// User `u`'s spectral efficiencies `(SE^U, SE^D)`, b/s/Hz, in coherence
    /// block `block` (the `block`-th draw of the user's gain, MODEL.md §3, §13):
    /// continuous serving's one question to the channel. With a coherence time
    /// of `T_C`, block `k` is epoch `k`'s gain, the same the epoch pipeline
    /// draws. Gains are drawn forward from the user's stream, one per block
    /// (skipped blocks drawn and discarded), so for one user `block` must not
    /// decrease between calls; an earlier block returns the current gain.
    /// Not to be mixed with [`Channel::draw_epoch`] in one run.
    pub fn se_at(&mut self, u: usize, block: u64) -> (f64, f64) {
        let from = match self.block[u] {
            Some(b) if b >= block => return (self.se_up[u], self.se_down[u]),
            Some(b) => b + 1,
            None => 0,
        };
        let g = match self.fixed_gain {
            Some(g) => g,
            None => {
                let mut x: f64 = 0.0;
                for _ in from..=block {
                    x = Exp1.sample(&mut self.streams[u]);
                }
                self.path_loss * x
            }
        };
        self.set_gain(u, g);
        self.block[u] = Some(block);
        (self.se_up[u], self.se_down[u])
    }

    /// The same channel with every user's gain fixed at `gain` in every epoch
    /// (no fading, nothing drawn): for hand-built timelines in tests.
    pub fn with_fixed_gain(mut self, gain: f64) -> Channel {
        self.fixed_gain = Some(gain);
        self
    }

    /// Draws every user's gain for a new epoch: `g = PL·X`, `X ~ Exp(1)` (MODEL.md §3).
    pub fn draw_epoch(&mut self) {
        if let Some(g) = self.fixed_gain {
            (0..self.gain.len()).for_each(|u| self.set_gain(u, g));
            return;
        }
        for u in 0..self.streams.len() {
            let x: f64 = Exp1.sample(&mut self.streams[u]);
            self.set_gain(u, self.path_loss * x);
        }
    }

    /// Sets user `u`'s gain for this epoch (and its spectral efficiencies).
    pub fn set_gain(&mut self, u: usize, gain: f64) {
        self.gain[u] = gain;
        self.se_up[u] = spectral_efficiency(self.tx_power_w, gain, self.noise_up_w);
        self.se_down[u] = spectral_efficiency(self.bs_power_w, gain, self.noise_down_w);
    }

    /// User `u`'s gain this epoch.
    pub fn gain(&self, u: usize) -> f64 {
        self.gain[u]
    }

    /// `ρU = s·bits/(T_U·B^U·SE^U)` for a prompt of `prompt` tokens from user `u` (MODEL.md §3).
    pub fn rho_up(&self, u: usize, prompt: u32) -> f64 {
        (prompt as f64 * self.token_bits as f64) / (self.up_capacity * self.se_up[u])
    }

    /// `ρD = n·bits/(T_D·B^D·SE^D)` for an output of `output` tokens to user `u` (MODEL.md §3).
    pub fn rho_down(&self, u: usize, output: u32) -> f64 {
        (output as f64 * self.token_bits as f64) / (self.down_capacity * self.se_down[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn rho_for_a_known_gain() {
        let sys = Scenario::default().resolve().unwrap();
        let mut ch = Channel::new(&sys, &RngStreams::new(1));
        ch.set_gain(0, 1e-3);
        // σ² = 10^(−204/10)·2e7 = 3.981 071 7e-21·2e7 = 7.962 143 41e-14 W.
        // p^U·g/σ² = 0.1·1e-3/7.962 143 41e-14 = 1.255 943 22e9; SE^U = log2(1 + that) = 30.226 124.
        // ρU(512) = 512·16/(0.25·2e7·30.226 124) = 8192/1.511 306 2e8 = 5.420 477e-5.
        let r = ch.rho_up(0, 512);
        assert!((r / 5.420_477e-5 - 1.0).abs() < 1e-6, "{r}");
        // p^D = 10^1.3 W = 19.952 623; p^D·g/σ² = 2.505 936 17e11; SE^D = 37.866 559.
        // ρD(128) = 128·16/(0.25·2e7·37.866 559) = 2048/1.893 328 0e8 = 1.081 693e-5.
        let r = ch.rho_down(0, 128);
        assert!((r / 1.081_693e-5 - 1.0).abs() < 1e-6, "{r}");
        // Zero gain: no rate at all.
        ch.set_gain(0, 0.0);
        assert!(ch.rho_up(0, 1).is_infinite());
    }

    #[test]
    fn se_at_block_k_is_epoch_ks_draw() {
        let sys = Scenario::default().resolve().unwrap();
        let mut by_epoch = Channel::new(&sys, &RngStreams::new(5));
        let mut by_block = Channel::new(&sys, &RngStreams::new(5));
        let mut epochs = Vec::new();
        for _ in 0..6 {
            by_epoch.draw_epoch();
            epochs.push((by_epoch.se_up[3], by_epoch.se_down[3]));
        }
        // Blocks 0, 2 (1 skipped), 2 again, 5: the epoch pipeline's draws 0, 2, 2, 5.
        for k in [0u64, 2, 2, 5] {
            assert_eq!(by_block.se_at(3, k), epochs[k as usize]);
        }
    }

    #[test]
    fn gains_are_exponential_with_mean_path_loss() {
        let sys = Scenario::default().resolve().unwrap();
        let mut ch = Channel::new(&sys, &RngStreams::new(3));
        let mut sum = 0.0;
        let epochs = 2000;
        for _ in 0..epochs {
            ch.draw_epoch();
            sum += (0..50).map(|u| ch.gain(u)).sum::<f64>();
        }
        // E[g] = PL = 1e-3; 100 000 draws, standard error 1e-3/√1e5 ≈ 3.2e-6.
        let mean = sum / (epochs as f64 * 50.0);
        assert!((mean - 1e-3).abs() < 4.0 * 3.2e-6, "{mean}");
    }

    #[test]
    fn a_users_gains_do_not_depend_on_other_users() {
        let mut a = Scenario::default().resolve().unwrap();
        let mut b = a.clone();
        a.users = 3;
        b.users = 7;
        let (mut ca, mut cb) = (
            Channel::new(&a, &RngStreams::new(4)),
            Channel::new(&b, &RngStreams::new(4)),
        );
        for _ in 0..10 {
            ca.draw_epoch();
            cb.draw_epoch();
            assert_eq!(ca.gain(2), cb.gain(2));
        }
    }
}
