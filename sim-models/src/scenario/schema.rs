//! The scenario file's schema: the serde types of every section, and their
//! `Default` impls — the one place where each default value is written
//! (`scenarios/default.ron` and the tables of docs/scenario.md are checked
//! against them by tests).

use serde::{Deserialize, Serialize};

use crate::radio::ChannelModel;
use crate::scheduler::SchedulerSpec;
pub use crate::trace::{TraceFormat, TraceSpec};

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
    /// The cost model (MODEL.md §5, §11): `Flops` (the paper's) or `Roofline`.
    pub cost: CostKind,
    /// Whether requests with `ΔPPL > ε_i` are rejected at arrival (MODEL.md §2, (1e)).
    /// `false` ignores accuracy (paper Fig. 6(a)).
    pub accuracy_admission: bool,
    /// The scheduler and its options (MODEL.md §7); used by `serving: Epochs` only.
    pub scheduler: SchedulerSpec,
    /// How the GPUs serve requests: the epoch pipeline (MODEL.md §4, the
    /// default) or continuous, iteration-level serving (MODEL.md §13).
    pub serving: Serving,
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

/// The arrival process (MODEL.md §2, §12).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Arrivals {
    /// Total arrival rate `λ`, requests/s (≥ 0), of `Poisson` (each user
    /// arrives at `λ/U`) and `Gamma`; not read by `Profile` and `Trace`,
    /// which carry their own rates.
    pub rate: f64,
    /// The process: `Poisson` (the default, MODEL.md §2), `Gamma`,
    /// `Profile` or `Trace` (MODEL.md §12).
    pub process: Process,
    /// How a request of an aggregate process (`Gamma`, `Profile`, `Trace`)
    /// gets its user; `Poisson` users are each their own source.
    pub assign: UserAssign,
}

/// An arrival process (MODEL.md §12).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Process {
    /// Every user a Poisson source at `λ/U` (MODEL.md §2).
    #[default]
    Poisson,
    /// One renewal process of total rate `λ` whose gaps are gamma
    /// distributed with mean `1/λ` and coefficient of variation `cv`
    /// (`cv = 1`: exponential gaps; `cv > 1`: bursty).
    Gamma {
        /// Coefficient of variation of the gaps, std/mean (> 0).
        cv: f64,
    },
    /// A non-homogeneous Poisson process whose rate is piecewise constant:
    /// `segments` in order, then again from the first, until the horizon.
    Profile {
        /// `(duration s > 0, rate requests/s ≥ 0)` pairs; at least one, some rate > 0.
        segments: Vec<(f64, f64)>,
    },
    /// Replay of a trace file (docs/workloads.md).
    Trace(TraceSpec),
}

/// How requests of an aggregate arrival process are given to users.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserAssign {
    /// Uniformly at random, from the stream `arrivals/users`.
    #[default]
    Random,
    /// Request `j` (in arrival order, from 0) to user `j mod U`.
    RoundRobin,
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
    /// Service classes (MODEL.md §12): each request belongs to one, drawn
    /// with probability its `share`. Empty (the default): every request
    /// draws from the four distributions above, as in Part I. A class's
    /// distribution left out is the one above.
    pub classes: Vec<ServiceClass>,
}

/// Most service classes a scenario may list (each holds its own counts,
/// histograms and output files).
pub const MAX_CLASSES: usize = 64;

/// One service class (MODEL.md §12): a share of the arrivals with its own
/// request distributions. Each distribution is written bare (`latency:
/// Fixed(0.5)`); one left out is the scenario's `requests.<field>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceClass {
    /// Name, used in `summary.json`, CSV column names and file names:
    /// 1–32 characters of `A–Z a–z 0–9 _ -`, starting with a letter or a
    /// digit, no `__`; unique (ignoring case).
    pub name: String,
    /// Probability that a new request belongs to this class (> 0; the
    /// shares sum to 1 within 1e-9).
    pub share: f64,
    /// Prompt length `s_i`, tokens (default: `requests.prompt`).
    #[serde(default, with = "bare_dist", skip_serializing_if = "Option::is_none")]
    pub prompt: Option<Dist>,
    /// Output levels `n_i`, tokens (default: `requests.output_levels`).
    #[serde(default, with = "bare_dist", skip_serializing_if = "Option::is_none")]
    pub output_levels: Option<Dist>,
    /// Latency requirement `τ_i`, s (default: `requests.latency`).
    #[serde(default, with = "bare_dist", skip_serializing_if = "Option::is_none")]
    pub latency: Option<Dist>,
    /// Accuracy tolerance `ε_i`, ΔPPL (default: `requests.accuracy`).
    #[serde(default, with = "bare_dist", skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<Dist>,
}

/// An optional [`Dist`] written without `Some(…)` (absent when `None`).
mod bare_dist {
    use super::Dist;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Dist>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => d.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Dist>, D::Error> {
        Dist::deserialize(d).map(Some)
    }
}

impl ServiceClass {
    /// A class named `name` with share `share` and every distribution inherited.
    pub fn new(name: &str, share: f64) -> ServiceClass {
        ServiceClass {
            name: name.to_string(),
            share,
            prompt: None,
            output_levels: None,
            latency: None,
            accuracy: None,
        }
    }
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
    /// A value of column `column` of the file at `path`, each row equally
    /// likely (the column is read once, 8 bytes per row; docs/workloads.md).
    /// CSV with a header row, or JSON lines (`.jsonl`, `.ndjson`) with
    /// `column` a field name. A relative path is relative to the scenario file.
    Empirical {
        /// The file.
        path: String,
        /// The column (CSV header) or field (JSON lines).
        column: String,
    },
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

/// How the GPUs serve requests (MODEL.md §4, §13).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Serving {
    /// The paper's epoch pipeline: one batch per epoch, outputs sent down
    /// together (MODEL.md §4) **[default]**.
    #[default]
    Epochs,
    /// Iteration-level serving as vLLM does it (MODEL.md §13).
    Continuous(Continuous),
}

/// Continuous serving's settings (MODEL.md §13; docs/continuous.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Continuous {
    /// Order of the waiting queue: `Fcfs` (by upload completion) or `Edf` (by deadline).
    pub policy: WaitingOrder,
    /// GPUs per instance `T` (tensor parallel); the pool holds `G/T` instances (`T` divides `G`).
    pub tensor_parallel: u32,
    /// Tokens per KV block (vLLM's `block_size`, default 16).
    pub block_size: u32,
    /// KV blocks per instance; `None` derives them from `memory_utilisation`.
    pub num_blocks: Option<u64>,
    /// Share `u` of an instance's memory vLLM may use (weights + KV cache), in (0, 1].
    pub memory_utilisation: f64,
    /// Most requests running on an instance at once (vLLM's `max_num_seqs`).
    pub max_num_seqs: u32,
    /// Token budget of one iteration (vLLM's `max_num_batched_tokens`).
    pub max_num_batched_tokens: u32,
    /// Whether a waiting request whose deadline has passed is dropped (`expired`).
    pub drop_expired: bool,
    /// How outputs go down: token by token (`Streamed`) or whole at the end (`AtEnd`).
    pub delivery: Delivery,
    /// The links: the scenario's radio (`Radio`) or instantaneous (`Ideal`, a wired client).
    pub channel: Links,
    /// Coherence time, s: spectral efficiencies are redrawn at its multiples; `None` = `T_C`.
    pub coherence_time: Option<f64>,
}

/// Order of an instance's waiting queue (MODEL.md §13).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum WaitingOrder {
    /// First come, first served: by upload completion (ties: request id).
    #[default]
    Fcfs,
    /// Earliest deadline first (ties: request id).
    Edf,
}

/// How a request's output goes down (MODEL.md §13).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delivery {
    /// Each token is queued on the downlink as it is produced.
    #[default]
    Streamed,
    /// The whole output is sent when the request finishes (the paper's assumption).
    AtEnd,
}

/// The links of continuous serving (MODEL.md §13).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Links {
    /// Processor-sharing uplink and downlink over the scenario's channel (MODEL.md §3).
    #[default]
    Radio,
    /// Instantaneous links: a wired data-centre client.
    Ideal,
}

/// vLLM's default `max_num_seqs`, `SchedulerConfig.DEFAULT_MAX_NUM_SEQS = 128`
/// (vllm/config/scheduler.py, <https://docs.vllm.ai/en/stable/api/vllm/config/scheduler/>).
pub const VLLM_MAX_NUM_SEQS: u32 = 128;
/// vLLM's default `max_num_batched_tokens`, `SchedulerConfig.DEFAULT_MAX_NUM_BATCHED_TOKENS = 2048`
/// (same source; MODEL.md §13).
pub const VLLM_MAX_NUM_BATCHED_TOKENS: u32 = 2048;
/// vLLM's default `block_size`, 16 tokens (vllm/config/cache.py `CacheConfig.block_size`,
/// <https://docs.vllm.ai/en/stable/api/vllm/config/cache/>; MODEL.md §13).
pub const VLLM_BLOCK_SIZE: u32 = 16;
/// vLLM's default `gpu_memory_utilization`, 0.9 (<https://docs.vllm.ai/en/stable/configuration/optimization/>;
/// MODEL.md §13).
pub const VLLM_MEMORY_UTILISATION: f64 = 0.9;

impl Default for Continuous {
    fn default() -> Self {
        Continuous {
            policy: WaitingOrder::default(),
            tensor_parallel: 1,
            block_size: VLLM_BLOCK_SIZE,
            num_blocks: None,
            memory_utilisation: VLLM_MEMORY_UTILISATION,
            max_num_seqs: VLLM_MAX_NUM_SEQS,
            max_num_batched_tokens: VLLM_MAX_NUM_BATCHED_TOKENS,
            drop_expired: true,
            delivery: Delivery::default(),
            channel: Links::default(),
            coherence_time: None,
        }
    }
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
    /// The GPU model (MODEL.md §11): when given, its peak fp16 rate and memory
    /// replace `flops` and `memory` (which must then be left out), and
    /// `cost: Roofline` reads its bandwidth, interconnect and calibration.
    pub gpu: Option<GpuSpec>,
}

/// The cost model of a scenario (MODEL.md §5, §11).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CostKind {
    /// The paper's: `t = β·FLOPs/(G·c)` (MODEL.md §5).
    #[default]
    Flops,
    /// Memory-bandwidth-aware: a batch runs on the pool as one tensor-parallel
    /// instance (`T = G`), each iteration bound by compute or memory (MODEL.md §11).
    /// Needs `gpus.gpu`.
    Roofline,
}

/// A GPU model (MODEL.md §11).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum GpuSpec {
    /// A preset: `"Jetson-TX2"`, `"L4"`, `"A100-80GB-SXM"`, … (`edgesim list`).
    Preset(String),
    /// A custom GPU, with the preset fields.
    Custom {
        /// Name (for outputs).
        name: String,
        /// `F`, peak dense fp16 FLOP/s.
        flops: f64,
        /// `F8`, peak dense int8 OP/s.
        int8_ops: f64,
        /// `m`, bytes.
        memory: f64,
        /// `BW`, bytes/s.
        bandwidth: f64,
        /// `BW_link`, bytes/s per direction.
        link_bandwidth: f64,
        /// `λ_link`, s.
        link_latency: f64,
        /// `η_F ∈ (0, 1]` (default 0.7, not fitted).
        #[serde(default = "default_eta_f")]
        eta_f: f64,
        /// `η_B ∈ (0, 1]` (default 0.8, not fitted).
        #[serde(default = "default_eta_b")]
        eta_b: f64,
        /// `t_0 ≥ 0`, s (default 0).
        #[serde(default)]
        t_0: f64,
    },
}

fn default_eta_f() -> f64 {
    crate::cost::gpus::DEFAULT_ETA_F
}

fn default_eta_b() -> f64 {
    crate::cost::gpus::DEFAULT_ETA_B
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
        /// Query heads `n_h` (needed by `cost: Roofline` only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        heads: Option<u32>,
        /// Key/value heads `n_kv` (default `n_h`: no grouped-query attention).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kv_heads: Option<u32>,
        /// Head size `d_h` (default `d_model/heads`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        head_dim: Option<u32>,
        /// Gated (SwiGLU) FFN (default `false`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        gated: bool,
        /// Vocabulary `V` (needed by `cost: Roofline` only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vocab: Option<u32>,
        /// Tied input/output embeddings (default `false`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        tied: bool,
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
            // Its values are in a file: the resolved system knows them.
            Dist::Empirical { .. } => Box::new(std::iter::empty()),
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
            cost: CostKind::default(),
            accuracy_admission: true,
            scheduler: SchedulerSpec::named("dftsp"),
            serving: Serving::default(),
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
        Arrivals {
            rate: 100.0,
            process: Process::Poisson,
            assign: UserAssign::Random,
        }
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
            classes: Vec::new(),
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
            gpu: None,
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
