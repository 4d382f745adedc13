//! The scenario file's schema: the serde types of every section, and their
//! `Default` impls — the one place where each default value is written
//! (`scenarios/default.ron` and the tables of docs/scenario.md are checked
//! against them by tests).

use serde::{Deserialize, Serialize};

use crate::radio::ChannelModel;
use crate::scheduler::SchedulerSpec;

/// A complete simulation scenario. Every field is optional in the file; the
/// default is the paper's setting (MODEL.md §2–6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Free-form name, used in output file names.
    pub name: String,
    /// Master seed of every random stream.
    pub seed: u64,
    /// Horizon `H`, s: epochs start at `t_k < H`, deliveries at `≤ H` count.
    pub horizon: f64,
    /// Warm-up `W`, s: only requests arriving at `≥ W` are counted (MODEL.md §8);
    /// `None` = 10 % of the horizon.
    pub warmup: Option<f64>,
    /// The users (MODEL.md §2–3).
    pub users: Users,
    /// The arrival process (MODEL.md §2).
    pub arrivals: Arrivals,
    /// Distributions of the request attributes (MODEL.md §2).
    pub requests: Requests,
    /// The radio channel (MODEL.md §3).
    pub channel: Channel,
    /// Slot lengths of the epoch pipeline (MODEL.md §4).
    pub slots: Slots,
    /// What happens to requests left unscheduled (MODEL.md §4).
    pub queue: QueuePolicy,
    /// The GPU pool (MODEL.md §5).
    pub gpus: Gpus,
    /// The LLM (MODEL.md §5).
    pub model: ModelSpec,
    /// The quantization method (MODEL.md §6).
    pub quant: QuantSpec,
    /// Whether requests with `ΔPPL > ε_i` are rejected at arrival (MODEL.md §2, (1e)).
    /// `false` ignores accuracy (paper Fig. 6(a)).
    pub accuracy_admission: bool,
    /// The scheduler and its options (MODEL.md §7).
    pub scheduler: SchedulerSpec,
    /// A parameter sweep, read by `edgesim sweep`; ignored by a single run.
    pub sweep: Option<SweepSpec>,
}

/// The users (MODEL.md §2–3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Users {
    /// Number of users `U` (≥ 1); the arrival rate is spread evenly over them.
    pub count: u32,
    /// Uplink transmit power `p^U`, dBm.
    pub tx_power_dbm: f64,
    /// Path loss `PL` (linear power gain, > 0); the channel gain is `PL·X`, `X ~ Exp(1)`.
    pub path_loss: f64,
}

/// The arrival process (MODEL.md §2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Arrivals {
    /// Total Poisson arrival rate `λ`, requests/s (≥ 0); each user arrives at `λ/U`.
    pub rate: f64,
}

/// Distributions of the request attributes (MODEL.md §2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Requests {
    /// Prompt length `s_i`, tokens (positive integers).
    pub prompt: Dist,
    /// Output length `n_i`, tokens: the output levels `N_1 < … < N_K` (positive integers;
    /// a `Uniform` range means every integer in it).
    pub output_levels: Dist,
    /// Latency requirement `τ_i`, s (> 0).
    pub latency: Dist,
    /// Accuracy tolerance `ε_i`, the largest tolerated ΔPPL (≥ 0).
    pub accuracy: Dist,
}

/// A distribution of one request attribute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Dist {
    /// One of `values`, with probabilities proportional to `weights`
    /// (empty `weights`: all equally likely).
    Choice {
        /// The values (at least one).
        values: Vec<f64>,
        /// Non-negative weights, one per value, not all zero; `[]` = uniform.
        #[serde(default)]
        weights: Vec<f64>,
    },
    /// Uniform on `[lo, hi]`: continuous for times and tolerances, every integer
    /// in the range equally likely for token counts.
    Uniform {
        /// Lower end.
        lo: f64,
        /// Upper end (`≥ lo`).
        hi: f64,
    },
    /// Always this value.
    Fixed(f64),
}

/// The radio channel (MODEL.md §3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Channel {
    /// Uplink bandwidth `B^U`, Hz (> 0).
    pub bandwidth_up: f64,
    /// Downlink bandwidth `B^D`, Hz (> 0).
    pub bandwidth_down: f64,
    /// Base-station transmit power `p^D`, dBm.
    pub bs_power_dbm: f64,
    /// Noise power spectral density `N0`, dBm/Hz; `σ² = N0·B` **[decision]**.
    pub noise_dbm_per_hz: f64,
    /// Bits per token on the air (≥ 1).
    pub token_bits: u32,
    /// What gives each user's spectral efficiency: `Paper`, the paper's
    /// channel (MODEL.md §3, the default), or `LinkBudget(..)`, the 3GPP link
    /// budget (MODEL.md §14, docs/radio.md).
    pub model: ChannelModel,
}

/// Slot lengths of the epoch pipeline (MODEL.md §4, paper Fig. 2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Slots {
    /// Uplink slot `T_U`, s (`0 < T_U ≤ T_C`).
    pub t_u: f64,
    /// Compute slot `T_C`, s (> 0); also the epoch period.
    pub t_c: f64,
    /// Downlink slot `T_D`, s (`0 < T_D ≤ T_C`).
    pub t_d: f64,
}

/// What happens to pending requests the scheduler did not pick (MODEL.md §4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueuePolicy {
    /// They stay pending for later epochs until they expire **[decision: default]**.
    #[default]
    CarryOver,
    /// They are dropped and counted as `expired` (paper-literal: only the
    /// previous epoch's arrivals compete).
    DropUnscheduled,
}

/// The GPU pool (MODEL.md §5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Gpus {
    /// Number of GPUs `G` (≥ 1).
    pub count: u32,
    /// FLOP/s of one GPU, `c` (> 0).
    pub flops: f64,
    /// Memory of one GPU, bytes, `m` (> 0).
    pub memory: f64,
}

/// The LLM (MODEL.md §5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ModelSpec {
    /// A preset of MODEL.md §5: `"BLOOM-3B"`, `"BLOOM-7.1B"` or `"OPT-13B"`.
    Preset(String),
    /// Custom dimensions.
    Custom {
        /// Name (for outputs, and to look up preset ΔPPL values).
        name: String,
        /// Decoder layers `L` (≥ 1).
        layers: u32,
        /// Model dimension `d_m` (≥ 1).
        d_model: u32,
        /// Feed-forward dimension `d_f` (≥ 1; `4·d_m` in the paper's models).
        d_ff: u32,
    },
}

/// The quantization method (MODEL.md §6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum QuantSpec {
    /// A preset of MODEL.md §6: `"FP16"`, `"W8A16"`, `"GPTQ"` or `"ZQ-Local"`.
    Preset(String),
    /// A custom method.
    Custom {
        /// Name (for outputs).
        name: String,
        /// Weight bits (1…64); `α_w = weight_bits/16`.
        weight_bits: u32,
        /// Activation and KV-cache bits (1…64); `α_kv = activation_bits/16`.
        activation_bits: u32,
        /// Compute-time factor `β` (> 0).
        beta: f64,
        /// ΔPPL of this method on the scenario's model (≥ 0).
        delta_ppl: f64,
    },
}

/// A parameter sweep (read by `edgesim sweep`): the Cartesian product of the
/// axes, each point run `replications` times with seeds `seed, seed+1, …`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// Runs per grid point (≥ 1).
    #[serde(default = "one")]
    pub replications: u32,
    /// The axes, outermost first.
    pub grid: Vec<SweepAxis>,
}

fn one() -> u32 {
    1
}

/// One sweep axis: a dotted field path and the values it takes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepAxis {
    /// Dotted path of a scenario field, as for [`Scenario::set`] (e.g. `arrivals.rate`).
    pub path: String,
    /// The values, as RON (any value [`Scenario::set`] accepts at `path`).
    pub values: Vec<RonText>,
}

/// A RON value kept as its source text (e.g. `100.0`, `"static"`,
/// `Uniform(lo: 0.5, hi: 1.0)`), to be applied with [`Scenario::set`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RonText(pub String);

impl RonText {
    /// The RON source text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for RonText {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match ron::value::RawValue::from_ron(&self.0) {
            Ok(raw) => raw.serialize(s),
            Err(e) => Err(serde::ser::Error::custom(e)),
        }
    }
}

impl<'de> Deserialize<'de> for RonText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<ron::value::RawValue>::deserialize(d)?;
        Ok(RonText(raw.get_ron().trim().to_string()))
    }
}

impl Dist {
    /// The largest value the distribution can draw (values of zero weight are never drawn).
    pub fn max_value(&self) -> f64 {
        self.drawable().fold(f64::NEG_INFINITY, f64::max)
    }

    /// The smallest value the distribution can draw.
    pub fn min_value(&self) -> f64 {
        self.drawable().fold(f64::INFINITY, f64::min)
    }

    /// The values that bound what can be drawn: a `Choice`'s values of
    /// positive weight, a `Uniform`'s ends, the `Fixed` value.
    fn drawable(&self) -> Box<dyn Iterator<Item = f64> + '_> {
        match self {
            Dist::Choice { values, weights } => Box::new(
                values
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| {
                        weights.is_empty() || weights.get(*i).is_some_and(|w| *w > 0.0)
                    })
                    .map(|(_, v)| *v),
            ),
            Dist::Uniform { lo, hi } => Box::new([*lo, *hi].into_iter()),
            Dist::Fixed(v) => Box::new(std::iter::once(*v)),
        }
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "default".into(),
            seed: 1,
            horizon: 600.0,
            warmup: None,
            users: Users::default(),
            arrivals: Arrivals::default(),
            requests: Requests::default(),
            channel: Channel::default(),
            slots: Slots::default(),
            queue: QueuePolicy::default(),
            gpus: Gpus::default(),
            model: ModelSpec::default(),
            quant: QuantSpec::default(),
            accuracy_admission: true,
            scheduler: SchedulerSpec::named("dftsp"),
            sweep: None,
        }
    }
}

impl Default for Users {
    fn default() -> Self {
        Users {
            count: 50,
            tx_power_dbm: 20.0,
            path_loss: 1e-3,
        }
    }
}

impl Default for Arrivals {
    fn default() -> Self {
        Arrivals { rate: 100.0 }
    }
}

impl Default for Requests {
    fn default() -> Self {
        let levels = || Dist::Choice {
            values: vec![128.0, 256.0, 512.0],
            weights: vec![],
        };
        Requests {
            prompt: levels(),
            output_levels: levels(),
            latency: Dist::Uniform { lo: 0.5, hi: 2.0 },
            accuracy: Dist::Uniform { lo: 0.0, hi: 1.0 },
        }
    }
}

impl Default for Channel {
    fn default() -> Self {
        Channel {
            bandwidth_up: 20e6,
            bandwidth_down: 20e6,
            bs_power_dbm: 43.0,
            noise_dbm_per_hz: -174.0,
            token_bits: 16,
            model: ChannelModel::Paper,
        }
    }
}

impl Default for Slots {
    fn default() -> Self {
        Slots {
            t_u: 0.25,
            t_c: 1.5,
            t_d: 0.25,
        }
    }
}

impl Default for Gpus {
    fn default() -> Self {
        Gpus {
            count: 20,
            flops: 1.33e12,
            memory: 32e9,
        }
    }
}

impl Default for ModelSpec {
    fn default() -> Self {
        ModelSpec::Preset("BLOOM-3B".into())
    }
}

impl Default for QuantSpec {
    fn default() -> Self {
        QuantSpec::Preset("W8A16".into())
    }
}
