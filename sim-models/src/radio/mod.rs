//! The link-budget channel (MODEL.md §14): users placed in the cell, 3GPP
//! TR 38.901 path loss (UMa, UMi street canyon) with its LOS probability and
//! log-normal shadowing, Rayleigh or Rician block fading, a receiver noise
//! figure, and spectral efficiency from Shannon (gap, cap) or the TS 38.214
//! 256-QAM CQI table. docs/radio.md gives every formula with its source.
//!
//! The files, from the bottom (none imports another except `spec`, which
//! names the types of the others, and this one):
//! - `path_loss`: TR 38.901 Tables 7.4.1-1 and 7.4.2-1;
//! - `placement`: the users' distances;
//! - `fading`: `|h|²` per coherence block;
//! - `spectral`: SINR → spectral efficiency, the CQI table;
//! - `spec`: the scenario's `LinkBudget(..)` and its checks;
//! - `measures`: the radio's measures of a run (SE of served requests,
//!   blocked uploads), for the pipeline to feed;
//! - here: [`LinkBudget`], the model of a run, and [`LinkBudget::budget_at`],
//!   the link budget at one distance (`edgesim link`).
//!
//! **Randomness.** Each user's geometry (distance, LOS state, shadowing) is
//! drawn once from its own stream `radio/user/{u}`, always in the order
//! `U[0,1)` radius, `U[0,1)` LOS, `N(0,1)` shadowing, whatever the options,
//! so one option does not shift another's numbers. The fading of user `u` in
//! coherence block `b` is drawn on demand from stream `radio/fading/{u}`
//! started at word `b·2¹⁶`: a counter-based draw, the same whichever blocks
//! were asked before and in what order.
//!
//! Single cell, no interference: SINR = SNR. The same fading draw serves
//! uplink and downlink of a block (as MODEL.md §3 uses one gain for both).

mod fading;
mod measures;
mod path_loss;
mod placement;
mod spec;
mod spectral;

pub use fading::Fading;
pub use measures::{RadioSummary, RadioTally, SeSummary, SE_QUANTILES, SE_UNITS_PER_BPSHZ};
pub use path_loss::{
    breakpoint_m, distance_3d, Environment, H_E, MAX_D2D, MAX_FC_GHZ, MAX_UT_HEIGHT,
    MAX_UT_HEIGHT_UMA, MIN_D2D, MIN_FC_GHZ, MIN_UT_HEIGHT, SPEED_OF_LIGHT,
};
pub use placement::Placement;
pub use spec::{ChannelModel, LinkBudgetSpec, LosMode, SpecError, MAX_DISTANCES};
pub use spectral::{
    cqi_index, db_to_linear, derived_thresholds, linear_to_db, shannon, CqiEntry, SeMap,
    SpectralEfficiency, CQI_TABLE_256QAM, SE_MAX_256QAM,
};

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;
use sim_core::rng::indexed_stream_id;
use sim_core::RngStreams;

/// Words of the fading stream reserved for one coherence block (2¹⁶: a draw
/// takes one to a few; the ChaCha word counter has 68 bits, so 2⁵² blocks fit).
const WORDS_PER_BLOCK: u32 = 16;

/// The numbers a link budget takes from the rest of the scenario.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkParams {
    /// Number of users `U`.
    pub users: u32,
    /// UE transmit power `p^U`, W.
    pub ue_power_w: f64,
    /// BS transmit power `p^D`, W.
    pub bs_power_w: f64,
    /// Noise power spectral density `N0`, W/Hz.
    pub noise_w_hz: f64,
    /// Uplink bandwidth `B^U`, Hz.
    pub bandwidth_up: f64,
    /// Downlink bandwidth `B^D`, Hz.
    pub bandwidth_down: f64,
    /// Coherence time, ns (≥ 1): block `b` is `[b·T_coh, (b+1)·T_coh)`.
    pub coherence_ns: u64,
}

/// One user's large-scale link: fixed for the run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct UserLink {
    /// 2D distance to the BS, m.
    pub d2d: f64,
    /// 3D distance, m.
    pub d3d: f64,
    /// LOS probability at `d2d` (TR 38.901 Table 7.4.2-1).
    pub los_probability: f64,
    /// Whether the link is LOS.
    pub los: bool,
    /// Path loss, dB (TR 38.901 Table 7.4.1-1).
    pub path_loss_db: f64,
    /// Shadowing, dB, added to the path loss (`N(0, σ_SF²)`, or 0).
    pub shadowing_db: f64,
    /// Uplink SNR before fading (`|h|² = 1`), linear.
    pub snr_up: f64,
    /// Downlink SNR before fading, linear.
    pub snr_down: f64,
}

/// A user's spectral efficiency in one coherence block, b/s/Hz; 0 = the
/// link cannot carry anything then (below CQI 1): its `ρ` is infinite.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LinkSe {
    /// Uplink `SE^U`.
    pub up: f64,
    /// Downlink `SE^D`.
    pub down: f64,
}

/// The link-budget channel of a run.
#[derive(Clone, Debug)]
pub struct LinkBudget {
    spec: LinkBudgetSpec,
    params: LinkParams,
    se_map: SeMap,
    users: Vec<UserLink>,
    streams: RngStreams,
    fading_ids: Vec<u64>,
}

impl LinkBudget {
    /// The channel of `params.users` users: places them and draws their LOS
    /// states and shadowing (from `streams`, see the module doc). `spec` must
    /// have passed [`LinkBudgetSpec::validate`].
    pub fn new(spec: &LinkBudgetSpec, params: &LinkParams, streams: &RngStreams) -> LinkBudget {
        let mut lb = LinkBudget {
            spec: spec.clone(),
            params: *params,
            se_map: SeMap::new(&spec.spectral),
            users: Vec::with_capacity(params.users as usize),
            streams: streams.clone(),
            fading_ids: (0..params.users as u64)
                .map(|u| indexed_stream_id("radio/fading", u))
                .collect(),
        };
        for u in 0..params.users as usize {
            let mut rng = streams.stream_indexed("radio/user", u as u64);
            let r: f64 = rng.random();
            let l: f64 = rng.random();
            let z: f64 = StandardNormal.sample(&mut rng);
            let d2d = spec.placement.distance(u, r);
            let p_los = spec.environment.los_probability(d2d);
            let los = match spec.los {
                LosMode::Probability => l < p_los,
                LosMode::Los => true,
                LosMode::Nlos => false,
            };
            let shadowing_db = if spec.shadowing {
                z * spec.environment.shadow_sigma_db(los)
            } else {
                0.0
            };
            let user = lb.link(d2d, los, shadowing_db);
            lb.users.push(user);
        }
        lb
    }

    /// The large-scale link at distance `d2d` in the given LOS state with
    /// `shadowing_db` of shadowing: path loss and the SNRs before fading,
    /// `SNR^U = p^U·G_UE·G_BS·10^(−(PL+S)/10) / (N0·B^U·NF_BS)` and
    /// `SNR^D = p^D·G_BS·G_UE·10^(−(PL+S)/10) / (N0·B^D·NF_UE)`.
    fn link(&self, d2d: f64, los: bool, shadowing_db: f64) -> UserLink {
        let s = &self.spec;
        let p = &self.params;
        let h_bs = s.bs_height();
        let path_loss_db = s
            .environment
            .path_loss_db(los, d2d, h_bs, s.ut_height, s.carrier_ghz);
        let gain = db_to_linear(
            s.bs_antenna_gain_dbi + s.ue_antenna_gain_dbi - path_loss_db - shadowing_db,
        );
        UserLink {
            d2d,
            d3d: distance_3d(d2d, h_bs, s.ut_height),
            los_probability: s.environment.los_probability(d2d),
            los,
            path_loss_db,
            shadowing_db,
            snr_up: p.ue_power_w * gain
                / (p.noise_w_hz * p.bandwidth_up * db_to_linear(s.bs_noise_figure_db)),
            snr_down: p.bs_power_w * gain
                / (p.noise_w_hz * p.bandwidth_down * db_to_linear(s.ue_noise_figure_db)),
        }
    }

    /// The spec this channel was built from.
    pub fn spec(&self) -> &LinkBudgetSpec {
        &self.spec
    }

    /// Every user's large-scale link, by user index.
    pub fn users(&self) -> &[UserLink] {
        &self.users
    }

    /// The coherence block holding instant `t_ns` (ns): `⌊t/T_coh⌋`.
    pub fn block_at(&self, t_ns: u64) -> u64 {
        t_ns / self.params.coherence_ns
    }

    /// User `u`'s fading power gain `|h|²` in coherence block `block`, drawn
    /// on demand (the same value every time it is asked).
    pub fn fading_power(&self, u: usize, block: u64) -> f64 {
        let mut rng = self.streams.stream_with_id(self.fading_ids[u]);
        rng.set_word_pos(u128::from(block) << WORDS_PER_BLOCK);
        self.spec.fading.power_gain(&mut rng)
    }

    /// User `u`'s spectral efficiency up and down in coherence block `block`
    /// (MODEL.md §14): `SE(SNR·|h|²)` with the scenario's mapping. With epochs
    /// whose length is the coherence time, `block` is the epoch index `k`.
    pub fn se(&self, u: usize, block: u64) -> LinkSe {
        self.se_with_fading(u, self.fading_power(u, block))
    }

    /// User `u`'s spectral efficiency up and down with fading power gain
    /// `h2` (`|h|²`, dimensionless: [`LinkBudget::fading_power`] of a block).
    pub fn se_with_fading(&self, u: usize, h2: f64) -> LinkSe {
        let user = &self.users[u];
        LinkSe {
            up: self.se_map.se(user.snr_up * h2),
            down: self.se_map.se(user.snr_down * h2),
        }
    }

    /// The link budget at 2D distance `d2d` (m), without shadowing or
    /// fading, in LOS and in NLOS (for `edgesim link`).
    pub fn budget_at(&self, d2d: f64) -> DistanceBudget {
        let s = &self.spec;
        let shannon_map = match &s.spectral {
            SpectralEfficiency::Shannon { .. } => self.se_map.clone(),
            SpectralEfficiency::Cqi { gap_db, .. } => SeMap::Shannon {
                gap: db_to_linear(*gap_db),
                se_max: SE_MAX_256QAM,
            },
        };
        let cqi_map = match &s.spectral {
            SpectralEfficiency::Cqi { .. } => self.se_map.clone(),
            SpectralEfficiency::Shannon { gap_db, .. } => SeMap::Cqi {
                thresholds: derived_thresholds(db_to_linear(*gap_db)),
            },
        };
        let path = |los: bool| {
            let l = self.link(d2d, los, 0.0);
            let dir = |snr: f64, bandwidth: f64| Direction {
                snr_db: linear_to_db(snr),
                se_shannon: shannon_map.se(snr),
                cqi: cqi_map.cqi(snr).map_or(0, |k| k as u8),
                se_cqi: cqi_map.se(snr),
                se: self.se_map.se(snr),
                bandwidth_hz: bandwidth,
            };
            PathBudget {
                path_loss_db: l.path_loss_db,
                up: dir(l.snr_up, self.params.bandwidth_up),
                down: dir(l.snr_down, self.params.bandwidth_down),
            }
        };
        let h_bs = s.bs_height();
        DistanceBudget {
            d2d,
            d3d: distance_3d(d2d, h_bs, s.ut_height),
            breakpoint_m: breakpoint_m(h_bs, s.ut_height, s.carrier_ghz),
            los_probability: s.environment.los_probability(d2d),
            shadow_sigma_los_db: s.environment.shadow_sigma_db(true),
            shadow_sigma_nlos_db: s.environment.shadow_sigma_db(false),
            los: path(true),
            nlos: path(false),
        }
    }
}

/// Time to send `bits` bits over the whole bandwidth `bandwidth_hz` at
/// spectral efficiency `se`, s: `bits/(B·SE)`; infinite at `SE = 0`.
pub fn send_time_s(bits: f64, bandwidth_hz: f64, se: f64) -> f64 {
    bits / (bandwidth_hz * se)
}

/// The link budget at one distance (without shadowing or fading).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DistanceBudget {
    /// 2D distance, m.
    pub d2d: f64,
    /// 3D distance, m.
    pub d3d: f64,
    /// Breakpoint distance `d'_BP`, m.
    pub breakpoint_m: f64,
    /// LOS probability (TR 38.901 Table 7.4.2-1).
    pub los_probability: f64,
    /// Shadowing standard deviation in LOS, dB.
    pub shadow_sigma_los_db: f64,
    /// Shadowing standard deviation in NLOS, dB.
    pub shadow_sigma_nlos_db: f64,
    /// The link in LOS.
    pub los: PathBudget,
    /// The link in NLOS.
    pub nlos: PathBudget,
}

/// One propagation condition's link budget.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PathBudget {
    /// Path loss, dB.
    pub path_loss_db: f64,
    /// Uplink.
    pub up: Direction,
    /// Downlink.
    pub down: Direction,
}

/// One direction of a link at one distance.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Direction {
    /// SNR, dB (no fading).
    pub snr_db: f64,
    /// Shannon spectral efficiency with the gap and cap, b/s/Hz.
    pub se_shannon: f64,
    /// CQI index (0 = out of range).
    pub cqi: u8,
    /// Efficiency of that CQI, b/s/Hz (0 below CQI 1).
    pub se_cqi: f64,
    /// The scenario's mapping, b/s/Hz.
    pub se: f64,
    /// Bandwidth, Hz.
    pub bandwidth_hz: f64,
}

#[cfg(test)]
mod tests;
