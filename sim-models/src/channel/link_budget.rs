//! The link-budget channel (MODEL.md §14; docs/radio.md) behind the channel
//! seam: [`crate::radio::LinkBudget`] answering [`ChannelModel`]'s questions.
//!
//! A user's spectral efficiency comes from its own SNR (path loss,
//! shadowing, noise figure, fading) through the scenario's SINR → SE map, so
//! this model answers [`ChannelModel::link`] directly from
//! [`LinkBudget::se`] instead of through one gain → SE map. Its gain is the
//! total power gain `G_BS·G_UE·10^(−(PL+S)/10)·|h|²` (dimensionless), the
//! number the paper's channel calls `g`.
//!
//! **Blocks.** The caller's block `k` is an interval of `unit_ns` (the epoch
//! `T_C` for the epoch pipeline, `serving.coherence_time` for continuous
//! serving); it reads the link budget's coherence block holding that
//! interval's start, `⌊k·unit/T_coh⌋`. With the default coherence time
//! (`T_coh = T_C`) block `k` is epoch `k`.
//!
//! **SE 0.** Below CQI 1 (or a zero SNR) a user's `SE` is 0: its `ρ` is
//! infinite ([`crate::instance::rho_fixed`] stores it above 1, never
//! selectable) and, in continuous serving, its upload holds until a later
//! coherence block gives it a rate (docs/radio.md).

use crate::radio::{db_to_linear, LinkBudget, SeMap};
use crate::scenario::System;

use super::{ChannelModel, Link};

/// The link-budget channel of a run (see the module doc).
#[derive(Debug)]
pub struct LinkBudgetChannel {
    lb: LinkBudget,
    se_map: SeMap,
    // Length of the caller's block, ns.
    unit_ns: u64,
    // Antenna gains G_BS·G_UE, linear.
    antenna_gain: f64,
    // p^U/(N0·B^U·NF_BS) and p^D/(N0·B^D·NF_UE), 1/(dimensionless gain).
    snr_per_gain_up: f64,
    snr_per_gain_down: f64,
}

impl LinkBudgetChannel {
    /// The channel of `sys` around its link budget `lb` (from
    /// [`System::link_budget`]).
    pub fn new(sys: &System, lb: LinkBudget) -> LinkBudgetChannel {
        let spec = lb.spec();
        let unit_ns = sys.serving.as_ref().map_or(sys.t_c_ns, |c| c.coherence_ns);
        LinkBudgetChannel {
            se_map: SeMap::new(&spec.spectral),
            antenna_gain: db_to_linear(spec.bs_antenna_gain_dbi + spec.ue_antenna_gain_dbi),
            snr_per_gain_up: sys.tx_power_w
                / (sys.noise_w_hz * sys.bandwidth_up * db_to_linear(spec.bs_noise_figure_db)),
            snr_per_gain_down: sys.bs_power_w
                / (sys.noise_w_hz * sys.bandwidth_down * db_to_linear(spec.ue_noise_figure_db)),
            unit_ns,
            lb,
        }
    }

    /// User `user`'s total power gain with fading power gain `h2`:
    /// `G_BS·G_UE·10^(−(PL+S)/10)·h2`.
    fn gain_with_fading(&self, user: u32, h2: f64) -> f64 {
        let u = &self.lb.users()[user as usize];
        self.antenna_gain * db_to_linear(-u.path_loss_db - u.shadowing_db) * h2
    }

    /// The link budget's coherence block for the caller's block `k`.
    fn block(&self, k: u64) -> u64 {
        self.lb.block_at(k.saturating_mul(self.unit_ns))
    }
}

impl ChannelModel for LinkBudgetChannel {
    fn name(&self) -> &'static str {
        "LinkBudget"
    }

    fn gain(&self, user: u32, epoch: u64) -> f64 {
        let h2 = self.lb.fading_power(user as usize, self.block(epoch));
        self.gain_with_fading(user, h2)
    }

    fn spectral_efficiency(&self, gain: f64) -> (f64, f64) {
        (
            self.se_map.se(self.snr_per_gain_up * gain),
            self.se_map.se(self.snr_per_gain_down * gain),
        )
    }

    fn link(&self, user: u32, epoch: u64) -> Link {
        // One fading draw for both the gain and the SE.
        let h2 = self.lb.fading_power(user as usize, self.block(epoch));
        let se = self.lb.se_with_fading(user as usize, h2);
        Link {
            gain: self.gain_with_fading(user, h2),
            se_up: se.up,
            se_down: se.down,
        }
    }
}
