//! The channel seam (MODEL.md §3; docs/model.md §3): each user's gain and
//! spectral efficiencies in an epoch, and the minimum bandwidth fractions
//! `ρU_i`, `ρD_i` of its requests.
//!
//! A [`ChannelModel`] answers two questions: user `u`'s power gain in epoch
//! `k`, a pure function of the run's seed, `u` and `k` (no state carried
//! between calls, so a gain does not depend on which other users or epochs
//! were drawn), and the spectral efficiencies up and down at a gain. The
//! [`Channel`] around it draws a gain only for users with a candidate request
//! in the epoch (once per user and epoch, kept for that epoch only), so idle
//! users cost nothing. Implementations, one file each, one row in
//! [`Channel::new`]:
//! - [`rayleigh::Rayleigh`], the paper's channel (§3): block Rayleigh fading,
//!   `g = PL·X`, `X ~ Exp(1)`, Shannon spectral efficiency over `N0·B`;
//! - [`link_budget::LinkBudgetChannel`], the 3GPP link budget (MODEL.md §14,
//!   docs/radio.md): path loss, shadowing, fading, CQI or capped Shannon.

pub mod link_budget;
pub mod rayleigh;

use std::fmt::Debug;

use sim_core::RngStreams;

use crate::scenario::System;

pub use link_budget::LinkBudgetChannel;
pub use rayleigh::Rayleigh;

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

/// A radio channel model: per-user, per-epoch gains and the spectral
/// efficiency they give (docs/model.md §3).
pub trait ChannelModel: Debug + Send {
    /// The model's name (`"Rayleigh"`).
    fn name(&self) -> &'static str;

    /// User `user`'s power gain (linear, dimensionless) in epoch `epoch`.
    /// A pure function of the run's seed, `user` and `epoch`: the same
    /// whichever users and epochs were drawn before, or whether they were.
    fn gain(&self, user: u32, epoch: u64) -> f64;

    /// `(SE^U, SE^D)`, b/s/Hz, of a user whose gain is `gain`.
    fn spectral_efficiency(&self, gain: f64) -> (f64, f64);

    /// User `user`'s link in epoch (coherence block) `epoch`: its gain and
    /// spectral efficiencies. By default `spectral_efficiency(gain(..))`; a
    /// model whose SE is not one function of the gain (the link budget: each
    /// user's SNR has its own noise and fading) answers it directly. SE 0 =
    /// no rate in that block (`ρ` infinite). Pure, like [`ChannelModel::gain`].
    fn link(&self, user: u32, epoch: u64) -> Link {
        let gain = self.gain(user, epoch);
        let (se_up, se_down) = self.spectral_efficiency(gain);
        Link {
            gain,
            se_up,
            se_down,
        }
    }
}

/// One user's link in one epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Link {
    /// Power gain `g`, dimensionless.
    pub gain: f64,
    /// Uplink spectral efficiency `SE^U`, b/s/Hz.
    pub se_up: f64,
    /// Downlink spectral efficiency `SE^D`, b/s/Hz.
    pub se_down: f64,
}

/// The channel of a run: its [`ChannelModel`], the slot capacities, and the
/// links drawn in the current epoch.
///
/// Memory is by activity: only the users asked for in the current epoch
/// ([`Channel::link`]) have a link stored, and the store is emptied at each
/// [`Channel::begin_epoch`]; finding a user's stored link takes a 4-byte
/// index per user up to the largest user asked for (a sparse set: no
/// hashing, nothing to clear).
#[derive(Debug)]
pub struct Channel {
    model: Box<dyn ChannelModel>,
    // T_U·B^U and T_D·B^D, s·Hz.
    up_capacity: f64,
    down_capacity: f64,
    token_bits: u32,
    // A gain every user gets in every epoch instead of a draw (tests), if set.
    fixed_gain: Option<f64>,
    epoch: u64,
    /// The links of the current epoch, with their users, in the order asked.
    links: Vec<(u32, Link)>,
    /// `slot[u]`: where user `u`'s link is in `links`, valid only if the
    /// entry there is `u`'s (so nothing needs clearing between epochs).
    slot: Vec<u32>,
    /// The links of the last [`Channel::rhos_of`], and its answer.
    batch: Vec<Link>,
    rhos: Vec<(f64, f64)>,
}

impl Channel {
    /// The channel `sys` names, its random numbers from `streams`. One row
    /// per channel model.
    pub fn new(sys: &System, streams: &RngStreams) -> Channel {
        let model: Box<dyn ChannelModel> = match sys.link_budget(streams) {
            None => Box::new(Rayleigh::new(sys, streams)),
            Some(lb) => Box::new(LinkBudgetChannel::new(sys, lb)),
        };
        Channel::with_model(sys, model)
    }

    /// The channel of `sys`'s slots and bands around `model`.
    pub fn with_model(sys: &System, model: Box<dyn ChannelModel>) -> Channel {
        Channel {
            model,
            up_capacity: sys.t_u_ns as f64 / 1e9 * sys.bandwidth_up,
            down_capacity: sys.t_d_ns as f64 / 1e9 * sys.bandwidth_down,
            token_bits: sys.token_bits,
            fixed_gain: None,
            epoch: 0,
            links: Vec::new(),
            slot: Vec::new(),
            batch: Vec::new(),
            rhos: Vec::new(),
        }
    }

    /// The same channel with every user's gain fixed at `gain` in every epoch
    /// (no fading, nothing drawn): for hand-built timelines in tests.
    pub fn with_fixed_gain(mut self, gain: f64) -> Channel {
        self.fixed_gain = Some(gain);
        self
    }

    /// The model's name.
    pub fn model_name(&self) -> &'static str {
        self.model.name()
    }

    /// Starts epoch `k`: forgets the links of the previous epoch.
    pub fn begin_epoch(&mut self, k: u64) {
        self.epoch = k;
        self.links.clear();
    }

    /// User `u`'s link in the current epoch, drawn at the first call of the
    /// epoch for `u` and kept until the next [`Channel::begin_epoch`].
    pub fn link(&mut self, u: u32) -> Link {
        let at = self
            .slot
            .get(u as usize)
            .map_or(usize::MAX, |&i| i as usize);
        if let Some(&(v, link)) = self.links.get(at) {
            if v == u {
                return link;
            }
        }
        let link = match self.fixed_gain {
            None => self.model.link(u, self.epoch),
            Some(gain) => {
                let (se_up, se_down) = self.model.spectral_efficiency(gain);
                Link {
                    gain,
                    se_up,
                    se_down,
                }
            }
        };
        if self.slot.len() <= u as usize {
            self.slot.resize(u as usize + 1, u32::MAX);
        }
        // At most one link per user per epoch, and users are u32: fits.
        self.slot[u as usize] = self.links.len() as u32;
        self.links.push((u, link));
        link
    }

    /// `(ρU, ρD)` of each request `(user, prompt, output)` of `requests` in
    /// the current epoch, in order: [`Channel::rho_up`] and
    /// [`Channel::rho_down`] on the user's [`Channel::link`] (the same draws,
    /// in the same order), in a buffer the channel keeps. All the look-ups
    /// first, then the arithmetic: interleaved, the same work took 4.4 µs
    /// per epoch against 3.0 µs (184 requests of 50 users, the 24-hour run's
    /// queue; a scratch timing loop on the 2-core development machine).
    pub fn rhos_of(
        &mut self,
        requests: impl Iterator<Item = (u32, u32, u32)> + Clone,
    ) -> &[(f64, f64)] {
        let mut batch = std::mem::take(&mut self.batch);
        batch.clear();
        batch.extend(requests.clone().map(|(u, _, _)| self.link(u)));
        let mut rhos = std::mem::take(&mut self.rhos);
        rhos.clear();
        rhos.extend(
            requests
                .zip(&batch)
                .map(|((_, s, n), link)| (self.rho_up(link, s), self.rho_down(link, n))),
        );
        self.batch = batch;
        self.rhos = rhos;
        &self.rhos
    }

    /// Users asked for in the current epoch whose uplink has no rate
    /// (`SE^U = 0`, MODEL.md §14), count.
    pub fn no_rate_users(&self) -> u64 {
        self.links.iter().filter(|(_, l)| l.se_up <= 0.0).count() as u64
    }

    /// User `u`'s spectral efficiencies `(SE^U, SE^D)`, b/s/Hz, in coherence
    /// block `block` (MODEL.md §3, §13): continuous serving's one question to
    /// the channel. With a coherence time of `T_C`, block `k` is epoch `k`'s
    /// gain, the one the epoch pipeline draws ([`ChannelModel::gain`] is a pure
    /// function of the seed, the user and the block, so blocks may be asked
    /// in any order).
    pub fn se_at(&self, u: u32, block: u64) -> (f64, f64) {
        match self.fixed_gain {
            None => {
                let l = self.model.link(u, block);
                (l.se_up, l.se_down)
            }
            Some(gain) => self.model.spectral_efficiency(gain),
        }
    }

    /// `ρU = s·bits/(T_U·B^U·SE^U)` for a prompt of `prompt` tokens on `link` (MODEL.md §3).
    pub fn rho_up(&self, link: &Link, prompt: u32) -> f64 {
        (prompt as f64 * self.token_bits as f64) / (self.up_capacity * link.se_up)
    }

    /// `ρD = n·bits/(T_D·B^D·SE^D)` for an output of `output` tokens on `link` (MODEL.md §3).
    pub fn rho_down(&self, link: &Link, output: u32) -> f64 {
        (output as f64 * self.token_bits as f64) / (self.down_capacity * link.se_down)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn se_at_block_k_is_epoch_ks_link() {
        let sys = crate::scenario::Scenario::default().resolve().unwrap();
        let mut by_epoch = Channel::new(&sys, &RngStreams::new(5));
        let by_block = Channel::new(&sys, &RngStreams::new(5));
        let mut epochs = Vec::new();
        for k in 0..6 {
            by_epoch.begin_epoch(k);
            let l = by_epoch.link(3);
            epochs.push((l.se_up, l.se_down));
        }
        // Any order, repeats included: block k is epoch k's link.
        for k in [5u64, 0, 2, 2, 1] {
            assert_eq!(by_block.se_at(3, k), epochs[k as usize]);
        }
    }

    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn rho_for_a_known_gain() {
        let sys = Scenario::default().resolve().unwrap();
        let mut ch = Channel::new(&sys, &RngStreams::new(1)).with_fixed_gain(1e-3);
        ch.begin_epoch(0);
        let link = ch.link(0);
        assert_eq!(link.gain, 1e-3);
        // σ² = 10^(−204/10)·2e7 = 3.981 071 7e-21·2e7 = 7.962 143 41e-14 W.
        // p^U·g/σ² = 0.1·1e-3/7.962 143 41e-14 = 1.255 943 22e9; SE^U = log2(1 + that) = 30.226 124.
        // ρU(512) = 512·16/(0.25·2e7·30.226 124) = 8192/1.511 306 2e8 = 5.420 477e-5.
        let r = ch.rho_up(&link, 512);
        assert!((r / 5.420_477e-5 - 1.0).abs() < 1e-6, "{r}");
        // p^D = 10^1.3 W = 19.952 623; p^D·g/σ² = 2.505 936 17e11; SE^D = 37.866 559.
        // ρD(128) = 128·16/(0.25·2e7·37.866 559) = 2048/1.893 328 0e8 = 1.081 693e-5.
        let r = ch.rho_down(&link, 128);
        assert!((r / 1.081_693e-5 - 1.0).abs() < 1e-6, "{r}");
        // Zero gain: no rate at all.
        let mut ch = Channel::new(&sys, &RngStreams::new(1)).with_fixed_gain(0.0);
        ch.begin_epoch(3);
        let link = ch.link(7);
        assert!(ch.rho_up(&link, 1).is_infinite());
    }

    #[test]
    fn rhos_of_is_rho_up_and_rho_down_of_each_requests_link() {
        let sys = Scenario::default().resolve().unwrap();
        let streams = RngStreams::new(9);
        let (mut batched, mut single) =
            (Channel::new(&sys, &streams), Channel::new(&sys, &streams));
        // Repeated users, users first seen mid-list, varied lengths.
        let reqs: Vec<(u32, u32, u32)> = (0..40u32)
            .map(|i| ((i * 7) % 13, 64 + (i * 37) % 500, 1 + (i * 53) % 700))
            .collect();
        for k in [0u64, 3, 4] {
            batched.begin_epoch(k);
            single.begin_epoch(k);
            let got = batched.rhos_of(reqs.iter().copied()).to_vec();
            let want: Vec<(f64, f64)> = reqs
                .iter()
                .map(|&(u, s, n)| {
                    let link = single.link(u);
                    (single.rho_up(&link, s), single.rho_down(&link, n))
                })
                .collect();
            assert_eq!(got, want, "epoch {k}");
            // The same links drawn, in the same order.
            assert_eq!(batched.links, single.links);
        }
        // Nothing asked: nothing answered.
        assert!(batched.rhos_of(std::iter::empty()).is_empty());
    }

    #[test]
    fn a_link_is_drawn_once_per_epoch_and_matches_the_model() {
        let sys = Scenario::default().resolve().unwrap();
        let streams = RngStreams::new(2);
        let model = Rayleigh::new(&sys, &streams);
        let mut ch = Channel::new(&sys, &streams);
        for k in [0u64, 1, 17] {
            ch.begin_epoch(k);
            for u in [0u32, 5, 0, 49] {
                let link = ch.link(u);
                assert_eq!(link.gain, model.gain(u, k));
                assert_eq!(
                    (link.se_up, link.se_down),
                    model.spectral_efficiency(link.gain)
                );
            }
            assert_eq!(ch.links.len(), 3, "one stored link per user asked for");
        }
    }
}
