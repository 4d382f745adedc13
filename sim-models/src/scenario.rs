//! Scenario files: everything a run needs, in RON (MODEL.md §1–8).
//!
//! A scenario is read with [`Scenario::from_ron_str`], which parses (unknown
//! fields are rejected, with the line and column) and range-checks every value
//! ([`Scenario::validate`], with the dotted path of the offending field).
//! Every field has a default — the paper's setting, the compiled-in
//! `scenarios/default.ron` — so `()` is a complete scenario.
//!
//! Units in the file: seconds, Hz, dBm, dBm/Hz, bytes, FLOP/s, tokens. They
//! are converted once, by [`Scenario::resolve`], into a [`System`]: integer
//! ns, watts, `σ² = N0·B`, the model dimensions and the quantization factors.
//!
//! [`Scenario::set`] applies one `path=value` override (the CLI's `--set` and
//! `sweep` axes): `value` is RON text parsed as the type of the field at
//! `path` (strings may be written bare; a model or quantization may be written
//! as a bare preset name).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::cost::{self, CostModel, CostSpec, FlopsCost, ModelDims};
use crate::instance::Instance;
use crate::quant::{self, QuantParams};
use crate::scheduler::{SchedulerSpec, SystemInfo};

/// The paper's setting (MODEL.md §2–6): the text of `scenarios/default.ron`.
pub const DEFAULT_SCENARIO_RON: &str = include_str!("../../scenarios/default.ron");

/// Largest token count a prompt or output may have (keeps every time finite in ns).
pub const MAX_TOKENS: u32 = 1_000_000;

/// A complete simulation scenario. Every field is optional in the file; the
/// default is the paper's setting (MODEL.md §2–6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Free-form name, used in output file names. Default `"default"`.
    pub name: String,
    /// Master seed of every random stream. Default `1`.
    pub seed: u64,
    /// Horizon `H`, s: epochs start at `t_k < H`, deliveries at `≤ H` count. Default `600`.
    pub horizon: f64,
    /// Warm-up `W`, s: only requests arriving at `≥ W` are counted (MODEL.md §8).
    /// Default `None` = 10 % of the horizon.
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
    /// What happens to requests left unscheduled (MODEL.md §4). Default `CarryOver`.
    pub queue: QueuePolicy,
    /// The GPU pool (MODEL.md §5).
    pub gpus: Gpus,
    /// The LLM (MODEL.md §5). Default `Preset("BLOOM-3B")`.
    pub model: ModelSpec,
    /// The quantization method (MODEL.md §6). Default `Preset("W8A16")`.
    pub quant: QuantSpec,
    /// Whether requests with `ΔPPL > ε_i` are rejected at arrival (MODEL.md §2, (1e)).
    /// `false` ignores accuracy (paper Fig. 6(a)). Default `true`.
    pub accuracy_admission: bool,
    /// The scheduler and its options (MODEL.md §7). Default `(name: "dftsp")`.
    pub scheduler: SchedulerSpec,
    /// A parameter sweep, read by `edgesim sweep`; ignored by a single run. Default `None`.
    pub sweep: Option<SweepSpec>,
}

/// The users (MODEL.md §2–3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Users {
    /// Number of users `U` (≥ 1); the arrival rate is spread evenly over them. Default `50`.
    pub count: u32,
    /// Uplink transmit power `p^U`, dBm. Default `20`.
    pub tx_power_dbm: f64,
    /// Path loss `PL` (linear power gain, > 0); the channel gain is `PL·X`, `X ~ Exp(1)`. Default `1e-3`.
    pub path_loss: f64,
}

/// The arrival process (MODEL.md §2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Arrivals {
    /// Total Poisson arrival rate `λ`, requests/s (≥ 0); each user arrives at `λ/U`. Default `100`.
    pub rate: f64,
}

/// Distributions of the request attributes (MODEL.md §2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Requests {
    /// Prompt length `s_i`, tokens (positive integers). Default `Choice(values: [128, 256, 512])`.
    pub prompt: Dist,
    /// Output length `n_i`, tokens: the output levels `N_1 < … < N_K` (positive integers;
    /// a `Uniform` range means every integer in it). Default `Choice(values: [128, 256, 512])`.
    pub output_levels: Dist,
    /// Latency requirement `τ_i`, s (> 0). Default `Uniform(lo: 0.5, hi: 2.0)`.
    pub latency: Dist,
    /// Accuracy tolerance `ε_i`, the largest tolerated ΔPPL (≥ 0). Default `Uniform(lo: 0.0, hi: 1.0)`.
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
        /// Non-negative weights, one per value, not all zero; `[]` = uniform. Default `[]`.
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
    /// Uplink bandwidth `B^U`, Hz (> 0). Default `20e6`.
    pub bandwidth_up: f64,
    /// Downlink bandwidth `B^D`, Hz (> 0). Default `20e6`.
    pub bandwidth_down: f64,
    /// Base-station transmit power `p^D`, dBm. Default `43`.
    pub bs_power_dbm: f64,
    /// Noise power spectral density `N0`, dBm/Hz; `σ² = N0·B` **[decision]**. Default `-174`.
    pub noise_dbm_per_hz: f64,
    /// Bits per token on the air (≥ 1). Default `16`.
    pub token_bits: u32,
}

/// Slot lengths of the epoch pipeline (MODEL.md §4, paper Fig. 2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Slots {
    /// Uplink slot `T_U`, s (`0 < T_U ≤ T_C`). Default `0.25`.
    pub t_u: f64,
    /// Compute slot `T_C`, s (> 0); also the epoch period. Default `1.5`.
    pub t_c: f64,
    /// Downlink slot `T_D`, s (`0 < T_D ≤ T_C`). Default `0.25`.
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
    /// Number of GPUs `G` (≥ 1). Default `20`.
    pub count: u32,
    /// FLOP/s of one GPU, `c` (> 0). Default `1.33e12`.
    pub flops: f64,
    /// Memory of one GPU, bytes, `m` (> 0). Default `32e9`.
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
    /// Runs per grid point (≥ 1). Default `1`.
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
            queue: QueuePolicy::CarryOver,
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

/// Errors reading, checking or overriding a scenario.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScenarioError {
    /// The text is not RON of the scenario's shape (an unknown field, a wrong type, …).
    #[error("line {line}, column {column}: {message}")]
    Parse {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message (for an unknown field it names the field and the expected ones).
        message: String,
    },
    /// A well-formed value outside its range.
    #[error("field `{field}`: {message}")]
    Invalid {
        /// Dotted path of the field, e.g. `slots.t_u` or `requests.prompt.values[2]`.
        field: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A `path=value` override that names no field or whose value does not parse.
    #[error("override `{path}`: {message}")]
    Override {
        /// The dotted path given.
        path: String,
        /// What is wrong.
        message: String,
    },
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Everything of a scenario converted to simulation units (integer ns, watts,
/// model dimensions, quantization factors), built by [`Scenario::resolve`].
#[derive(Clone, Debug, PartialEq)]
pub struct System {
    /// Master seed.
    pub seed: u64,
    /// Horizon `H`, ns.
    pub horizon_ns: u64,
    /// Warm-up `W`, ns.
    pub warmup_ns: u64,
    /// Number of users `U`.
    pub users: u32,
    /// Arrival rate of one user, `λ/U`, requests/s.
    pub rate_per_user: f64,
    /// Path loss `PL`.
    pub path_loss: f64,
    /// Uplink transmit power `p^U`, W.
    pub tx_power_w: f64,
    /// Downlink transmit power `p^D`, W.
    pub bs_power_w: f64,
    /// Uplink noise power `σ²_U = N0·B^U`, W.
    pub noise_up_w: f64,
    /// Downlink noise power `σ²_D = N0·B^D`, W.
    pub noise_down_w: f64,
    /// `B^U`, Hz.
    pub bandwidth_up: f64,
    /// `B^D`, Hz.
    pub bandwidth_down: f64,
    /// Bits per token.
    pub token_bits: u32,
    /// Prompt length distribution, tokens.
    pub prompt: Dist,
    /// Output length distribution, tokens.
    pub output: Dist,
    /// Latency requirement distribution, s.
    pub latency: Dist,
    /// Accuracy tolerance distribution, ΔPPL.
    pub accuracy: Dist,
    /// `T_U`, ns.
    pub t_u_ns: u64,
    /// `T_C`, ns (the epoch period).
    pub t_c_ns: u64,
    /// `T_D`, ns.
    pub t_d_ns: u64,
    /// Queue policy.
    pub queue: QueuePolicy,
    /// `G`.
    pub gpu_count: u32,
    /// `c`, FLOP/s per GPU.
    pub flops_per_gpu: f64,
    /// `m`, bytes per GPU.
    pub memory_per_gpu: f64,
    /// Model name.
    pub model_name: String,
    /// Model dimensions.
    pub model: ModelDims,
    /// Quantization name.
    pub quant_name: String,
    /// `α_w`, `α_kv`, `β`.
    pub quant: QuantParams,
    /// ΔPPL of the quantization on the model (`None` if unknown and accuracy is ignored).
    pub delta_ppl: Option<f64>,
    /// Whether accuracy admission (1e) is on.
    pub accuracy_admission: bool,
    /// Largest prompt the scenario can draw, tokens.
    pub max_prompt: u32,
    /// Longest output level `N_K`, tokens.
    pub max_output: u32,
}

impl System {
    /// The epoch's problem with no requests: pooled resources (`C = G·c`, `M = G·m`), model, slots.
    pub fn template(&self) -> Instance {
        Instance {
            cost: self.pooled_cost(),
            memory: self.gpu_count as f64 * self.memory_per_gpu,
            t_u_ns: self.t_u_ns,
            t_c_ns: self.t_c_ns,
            t_d_ns: self.t_d_ns,
            requests: Vec::new(),
        }
    }

    /// The cost model of the pooled GPUs (MODEL.md §5: `C = G·c`).
    pub fn pooled_cost(&self) -> Arc<dyn CostModel> {
        self.cost_on(self.gpu_count)
    }

    /// The cost model of one GPU on its own (no batching, MODEL.md §7).
    pub fn single_gpu_cost(&self) -> Arc<dyn CostModel> {
        self.cost_on(1)
    }

    /// The cost model of `gpus` GPUs serving one batch.
    fn cost_on(&self, gpus: u32) -> Arc<dyn CostModel> {
        CostSpec::Flops(FlopsCost {
            model: self.model,
            quant: self.quant,
            flop_rate: gpus as f64 * self.flops_per_gpu,
        })
        .build()
    }

    /// What a scheduler may know before the run (for building schedulers).
    pub fn system_info(&self) -> SystemInfo {
        SystemInfo {
            template: self.template(),
            gpu_count: self.gpu_count as usize,
            single_gpu_cost: self.single_gpu_cost(),
            memory_per_gpu: self.memory_per_gpu,
            max_prompt: self.max_prompt,
            max_output: self.max_output,
        }
    }

    /// Number of epochs: every `k` with `t_k = k·T_C < H`.
    pub fn epochs(&self) -> u64 {
        self.horizon_ns.div_ceil(self.t_c_ns)
    }
}

/// dBm (or dBm/Hz) to W (or W/Hz): `10^((x − 30)/10)`.
pub fn dbm_to_watts(dbm: f64) -> f64 {
    10f64.powf((dbm - 30.0) / 10.0)
}

fn finite(field: &str, v: f64) -> Result<f64, ScenarioError> {
    crate::range::finite(v).map_err(|m| invalid(field, m))
}

fn positive(field: &str, v: f64) -> Result<f64, ScenarioError> {
    crate::range::positive(v).map_err(|m| invalid(field, m))
}

fn non_negative(field: &str, v: f64) -> Result<f64, ScenarioError> {
    crate::range::non_negative(v).map_err(|m| invalid(field, m))
}

fn secs_to_ns(field: &str, secs: f64) -> Result<u64, ScenarioError> {
    sim_core::SimTime::from_secs_f64(secs)
        .map(|t| t.as_nanos())
        .map_err(|e| invalid(field, format!("{secs} s is not a valid time: {e}")))
}

/// What a distribution's values mean, for range checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DistKind {
    /// Positive integers ≤ [`MAX_TOKENS`].
    Tokens,
    /// Seconds, > 0.
    Seconds,
    /// ΔPPL, ≥ 0.
    Tolerance,
}

impl Dist {
    /// The largest value the distribution can draw.
    pub fn max_value(&self) -> f64 {
        match self {
            Dist::Choice { values, weights } => values
                .iter()
                .enumerate()
                .filter(|(i, _)| weights.is_empty() || weights[*i] > 0.0)
                .map(|(_, v)| *v)
                .fold(f64::NEG_INFINITY, f64::max),
            Dist::Uniform { hi, .. } => *hi,
            Dist::Fixed(v) => *v,
        }
    }

    /// The smallest value the distribution can draw.
    pub fn min_value(&self) -> f64 {
        match self {
            Dist::Choice { values, weights } => values
                .iter()
                .enumerate()
                .filter(|(i, _)| weights.is_empty() || weights[*i] > 0.0)
                .map(|(_, v)| *v)
                .fold(f64::INFINITY, f64::min),
            Dist::Uniform { lo, .. } => *lo,
            Dist::Fixed(v) => *v,
        }
    }

    fn validate(&self, field: &str, kind: DistKind) -> Result<(), ScenarioError> {
        let check = |f: &str, v: f64| -> Result<(), ScenarioError> {
            match kind {
                DistKind::Tokens => {
                    if !(v.is_finite() && v >= 1.0 && v <= MAX_TOKENS as f64 && v.fract() == 0.0) {
                        return Err(invalid(
                            f,
                            format!(
                                "must be a whole number of tokens in [1, {MAX_TOKENS}], got {v}"
                            ),
                        ));
                    }
                }
                DistKind::Seconds => {
                    positive(f, v)?;
                    secs_to_ns(f, v)?;
                }
                DistKind::Tolerance => {
                    non_negative(f, v)?;
                }
            }
            Ok(())
        };
        match self {
            Dist::Choice { values, weights } => {
                if values.is_empty() {
                    return Err(invalid(
                        format!("{field}.values"),
                        "must hold at least one value",
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    check(&format!("{field}.values[{i}]"), *v)?;
                }
                if !weights.is_empty() {
                    if weights.len() != values.len() {
                        return Err(invalid(
                            format!("{field}.weights"),
                            format!(
                                "must hold one weight per value ({}), got {}",
                                values.len(),
                                weights.len()
                            ),
                        ));
                    }
                    for (i, w) in weights.iter().enumerate() {
                        non_negative(&format!("{field}.weights[{i}]"), *w)?;
                    }
                    let sum: f64 = weights.iter().sum();
                    if !(sum > 0.0 && sum.is_finite()) {
                        return Err(invalid(
                            format!("{field}.weights"),
                            "must not all be zero (and must have a finite sum)",
                        ));
                    }
                }
            }
            Dist::Uniform { lo, hi } => {
                check(&format!("{field}.lo"), *lo)?;
                check(&format!("{field}.hi"), *hi)?;
                if hi < lo {
                    return Err(invalid(
                        format!("{field}.hi"),
                        format!("must be ≥ lo = {lo}, got {hi}"),
                    ));
                }
            }
            Dist::Fixed(v) => check(field, *v)?,
        }
        Ok(())
    }
}

impl ModelSpec {
    /// The model's name and dimensions, or an error naming `model`.
    pub fn resolve(&self) -> Result<(String, ModelDims), ScenarioError> {
        match self {
            ModelSpec::Preset(name) => cost::model_preset(name)
                .map(|p| (p.name.to_string(), p.dims))
                .ok_or_else(|| {
                    let known: Vec<&str> = cost::MODEL_PRESETS.iter().map(|p| p.name).collect();
                    invalid(
                        "model",
                        format!(
                            "unknown preset {name:?}; presets: {}; or Custom(name, layers, d_model, d_ff)",
                            known.join(", ")
                        ),
                    )
                }),
            ModelSpec::Custom {
                name,
                layers,
                d_model,
                d_ff,
            } => {
                for (f, v) in [
                    ("model.layers", *layers),
                    ("model.d_model", *d_model),
                    ("model.d_ff", *d_ff),
                ] {
                    if v == 0 {
                        return Err(invalid(f, "must be ≥ 1"));
                    }
                }
                Ok((
                    name.clone(),
                    ModelDims {
                        layers: *layers,
                        d_model: *d_model,
                        d_ff: *d_ff,
                    },
                ))
            }
        }
    }
}

impl QuantSpec {
    /// The method's name, factors and ΔPPL on `model` (`None` if unknown), or an error naming `quant`.
    pub fn resolve(
        &self,
        model: &str,
    ) -> Result<(String, QuantParams, Option<f64>), ScenarioError> {
        match self {
            QuantSpec::Preset(name) => {
                let p = quant::quant_preset(name).ok_or_else(|| {
                    let known: Vec<&str> = quant::QUANT_PRESETS.iter().map(|p| p.name).collect();
                    invalid(
                        "quant",
                        format!(
                            "unknown preset {name:?}; presets: {}; or Custom(name, weight_bits, activation_bits, beta, delta_ppl)",
                            known.join(", ")
                        ),
                    )
                })?;
                Ok((p.name.to_string(), p.params(), p.delta_ppl_for(model)))
            }
            QuantSpec::Custom {
                name,
                weight_bits,
                activation_bits,
                beta,
                delta_ppl,
            } => {
                for (f, v) in [
                    ("quant.weight_bits", *weight_bits),
                    ("quant.activation_bits", *activation_bits),
                ] {
                    if !(1..=64).contains(&v) {
                        return Err(invalid(f, format!("must be in 1…64 bits, got {v}")));
                    }
                }
                positive("quant.beta", *beta)?;
                non_negative("quant.delta_ppl", *delta_ppl)?;
                Ok((
                    name.clone(),
                    QuantParams {
                        alpha_w: *weight_bits as f64 / 16.0,
                        alpha_kv: *activation_bits as f64 / 16.0,
                        beta: *beta,
                    },
                    Some(*delta_ppl),
                ))
            }
        }
    }
}

impl Scenario {
    /// The paper's setting, from the compiled-in `scenarios/default.ron`.
    pub fn default_paper() -> Scenario {
        Scenario::from_ron_str(DEFAULT_SCENARIO_RON)
            .expect("scenarios/default.ron is valid (checked by a test)")
    }

    /// Parses RON text without range checks (for applying overrides before [`Scenario::validate`]).
    pub fn parse_ron_str(text: &str) -> Result<Scenario, ScenarioError> {
        ron::from_str(text).map_err(|e| ScenarioError::Parse {
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        })
    }

    /// Parses RON text and range-checks every field.
    pub fn from_ron_str(text: &str) -> Result<Scenario, ScenarioError> {
        let s = Scenario::parse_ron_str(text)?;
        s.validate()?;
        Ok(s)
    }

    /// Writes the scenario as RON that [`Scenario::from_ron_str`] reads back to the same value.
    pub fn to_ron_string(&self) -> String {
        let cfg = ron::ser::PrettyConfig::new().struct_names(false);
        let mut s = ron::ser::to_string_pretty(self, cfg).expect("a scenario always serializes");
        s.push('\n');
        s
    }

    /// Range-checks every field; the error names the first offending one.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.resolve().map(|_| ())
    }

    /// Range-checks and converts to simulation units.
    pub fn resolve(&self) -> Result<System, ScenarioError> {
        let horizon_ns = secs_to_ns("horizon", positive("horizon", self.horizon)?)?;
        if horizon_ns == 0 {
            return Err(invalid("horizon", "must be at least 1 ns"));
        }
        let warmup_ns = match self.warmup {
            None => horizon_ns / 10,
            Some(w) => secs_to_ns("warmup", non_negative("warmup", w)?)?,
        };
        if warmup_ns >= horizon_ns {
            return Err(invalid(
                "warmup",
                format!(
                    "must be shorter than the horizon ({} s), got {} s",
                    self.horizon,
                    self.warmup.unwrap_or_default()
                ),
            ));
        }
        if self.users.count == 0 {
            return Err(invalid("users.count", "must be ≥ 1"));
        }
        finite("users.tx_power_dbm", self.users.tx_power_dbm)?;
        positive("users.path_loss", self.users.path_loss)?;
        non_negative("arrivals.rate", self.arrivals.rate)?;

        self.requests
            .prompt
            .validate("requests.prompt", DistKind::Tokens)?;
        self.requests
            .output_levels
            .validate("requests.output_levels", DistKind::Tokens)?;
        self.requests
            .latency
            .validate("requests.latency", DistKind::Seconds)?;
        self.requests
            .accuracy
            .validate("requests.accuracy", DistKind::Tolerance)?;

        positive("channel.bandwidth_up", self.channel.bandwidth_up)?;
        positive("channel.bandwidth_down", self.channel.bandwidth_down)?;
        finite("channel.bs_power_dbm", self.channel.bs_power_dbm)?;
        finite("channel.noise_dbm_per_hz", self.channel.noise_dbm_per_hz)?;
        if self.channel.token_bits == 0 {
            return Err(invalid("channel.token_bits", "must be ≥ 1"));
        }
        let noise_w_hz = dbm_to_watts(self.channel.noise_dbm_per_hz);
        if !(noise_w_hz > 0.0 && noise_w_hz.is_finite()) {
            return Err(invalid(
                "channel.noise_dbm_per_hz",
                format!(
                    "{} dBm/Hz is not a positive finite power density",
                    self.channel.noise_dbm_per_hz
                ),
            ));
        }

        let t_c_ns = secs_to_ns("slots.t_c", positive("slots.t_c", self.slots.t_c)?)?;
        let t_u_ns = secs_to_ns("slots.t_u", positive("slots.t_u", self.slots.t_u)?)?;
        let t_d_ns = secs_to_ns("slots.t_d", positive("slots.t_d", self.slots.t_d)?)?;
        if t_c_ns == 0 {
            return Err(invalid("slots.t_c", "must be at least 1 ns"));
        }
        for (f, v, ns) in [
            ("slots.t_u", self.slots.t_u, t_u_ns),
            ("slots.t_d", self.slots.t_d, t_d_ns),
        ] {
            if ns == 0 || ns > t_c_ns {
                return Err(invalid(
                    f,
                    format!(
                        "must be in (0, T_C = {} s] (MODEL.md §4), got {v} s",
                        self.slots.t_c
                    ),
                ));
            }
        }

        if self.gpus.count == 0 {
            return Err(invalid("gpus.count", "must be ≥ 1"));
        }
        positive("gpus.flops", self.gpus.flops)?;
        positive("gpus.memory", self.gpus.memory)?;

        let (model_name, model) = self.model.resolve()?;
        let (quant_name, quant, delta_ppl) = self.quant.resolve(&model_name)?;
        if self.accuracy_admission && delta_ppl.is_none() {
            return Err(invalid(
                "quant",
                format!(
                    "the ΔPPL of preset {quant_name} on model {model_name:?} is unknown; \
                     use quant: Custom(…, delta_ppl: …) or accuracy_admission: false"
                ),
            ));
        }
        let pooled = self.gpus.count as f64 * self.gpus.memory;
        let resident = quant.alpha_w * model.weight_bytes();
        if resident > pooled {
            return Err(invalid(
                "gpus.memory",
                format!(
                    "the pooled memory G·m = {pooled} B cannot hold the weights α_w·m1 = {resident} B"
                ),
            ));
        }

        if self.scheduler.name.trim().is_empty() {
            return Err(invalid("scheduler.name", "must name a scheduler"));
        }
        if let Some(sweep) = &self.sweep {
            if sweep.replications == 0 {
                return Err(invalid("sweep.replications", "must be ≥ 1"));
            }
            for (i, axis) in sweep.grid.iter().enumerate() {
                if !OVERRIDE_PATHS.contains(&axis.path.as_str()) {
                    return Err(invalid(
                        format!("sweep.grid[{i}].path"),
                        format!(
                            "`{}` is not a field path; paths: {}",
                            axis.path,
                            OVERRIDE_PATHS.join(", ")
                        ),
                    ));
                }
                if axis.values.is_empty() {
                    return Err(invalid(
                        format!("sweep.grid[{i}].values"),
                        "must hold at least one value",
                    ));
                }
                for (j, v) in axis.values.iter().enumerate() {
                    let mut probe = self.clone();
                    probe.sweep = None;
                    probe.set(&axis.path, v.as_str()).map_err(|e| {
                        invalid(format!("sweep.grid[{i}].values[{j}]"), e.to_string())
                    })?;
                }
            }
        }

        Ok(System {
            seed: self.seed,
            horizon_ns,
            warmup_ns,
            users: self.users.count,
            rate_per_user: self.arrivals.rate / self.users.count as f64,
            path_loss: self.users.path_loss,
            tx_power_w: dbm_to_watts(self.users.tx_power_dbm),
            bs_power_w: dbm_to_watts(self.channel.bs_power_dbm),
            noise_up_w: noise_w_hz * self.channel.bandwidth_up,
            noise_down_w: noise_w_hz * self.channel.bandwidth_down,
            bandwidth_up: self.channel.bandwidth_up,
            bandwidth_down: self.channel.bandwidth_down,
            token_bits: self.channel.token_bits,
            prompt: self.requests.prompt.clone(),
            output: self.requests.output_levels.clone(),
            latency: self.requests.latency.clone(),
            accuracy: self.requests.accuracy.clone(),
            t_u_ns,
            t_c_ns,
            t_d_ns,
            queue: self.queue,
            gpu_count: self.gpus.count,
            flops_per_gpu: self.gpus.flops,
            memory_per_gpu: self.gpus.memory,
            model_name,
            model,
            quant_name,
            quant,
            delta_ppl,
            accuracy_admission: self.accuracy_admission,
            max_prompt: self.requests.prompt.max_value() as u32,
            max_output: self.requests.output_levels.max_value() as u32,
        })
    }

    /// What a scheduler may know before the run (for building schedulers).
    pub fn system_info(&self) -> Result<SystemInfo, ScenarioError> {
        Ok(self.resolve()?.system_info())
    }

    /// Sets the field at the dotted `path` (one of [`OVERRIDE_PATHS`]) to
    /// `value`, RON text of that field's type: `arrivals.rate` = `250`,
    /// `requests.latency` = `Uniform(lo: 0.5, hi: 1.0)`, `warmup` = `30` or
    /// `None`, `scheduler.name` = `static` (strings may be bare), `model` =
    /// `BLOOM-7.1B` (a bare preset name). Setting a whole struct (`slots`)
    /// takes a RON struct whose missing fields get their defaults, not
    /// their current values. No range check: call [`Scenario::validate`] after.
    pub fn set(&mut self, path: &str, value: &str) -> Result<(), ScenarioError> {
        let err = |message: String| ScenarioError::Override {
            path: path.to_string(),
            message,
        };
        if let Some(key) = path.strip_prefix("scheduler.").filter(|k| *k != "name") {
            return self.scheduler.set_option_ron(key, value).map_err(err);
        }
        macro_rules! table {
            ($($p:literal => $($f:ident).+ ;)*) => {
                match path {
                    $($p => self.$($f).+ = OverrideValue::parse_override(value).map_err(err)?,)*
                    _ => {
                        return Err(err(format!(
                            "no such field; paths: {}",
                            OVERRIDE_PATHS.join(", ")
                        )))
                    }
                }
            };
        }
        table! {
            "name" => name;
            "seed" => seed;
            "horizon" => horizon;
            "warmup" => warmup;
            "users" => users;
            "users.count" => users.count;
            "users.tx_power_dbm" => users.tx_power_dbm;
            "users.path_loss" => users.path_loss;
            "arrivals" => arrivals;
            "arrivals.rate" => arrivals.rate;
            "requests" => requests;
            "requests.prompt" => requests.prompt;
            "requests.output_levels" => requests.output_levels;
            "requests.latency" => requests.latency;
            "requests.accuracy" => requests.accuracy;
            "channel" => channel;
            "channel.bandwidth_up" => channel.bandwidth_up;
            "channel.bandwidth_down" => channel.bandwidth_down;
            "channel.bs_power_dbm" => channel.bs_power_dbm;
            "channel.noise_dbm_per_hz" => channel.noise_dbm_per_hz;
            "channel.token_bits" => channel.token_bits;
            "slots" => slots;
            "slots.t_u" => slots.t_u;
            "slots.t_c" => slots.t_c;
            "slots.t_d" => slots.t_d;
            "queue" => queue;
            "gpus" => gpus;
            "gpus.count" => gpus.count;
            "gpus.flops" => gpus.flops;
            "gpus.memory" => gpus.memory;
            "model" => model;
            "quant" => quant;
            "accuracy_admission" => accuracy_admission;
            "scheduler" => scheduler;
            "scheduler.name" => scheduler.name;
        }
        Ok(())
    }

    /// Parses `path=value` (the CLI's `--set` syntax) and applies it with [`Scenario::set`].
    pub fn apply_assignment(&mut self, assignment: &str) -> Result<(), ScenarioError> {
        let Some((path, value)) = assignment.split_once('=') else {
            return Err(ScenarioError::Override {
                path: assignment.to_string(),
                message: "expected path=value".into(),
            });
        };
        self.set(path.trim(), value.trim())
    }
}

/// Every dotted path [`Scenario::set`] accepts (in file order).
pub const OVERRIDE_PATHS: &[&str] = &[
    "name",
    "seed",
    "horizon",
    "warmup",
    "users",
    "users.count",
    "users.tx_power_dbm",
    "users.path_loss",
    "arrivals",
    "arrivals.rate",
    "requests",
    "requests.prompt",
    "requests.output_levels",
    "requests.latency",
    "requests.accuracy",
    "channel",
    "channel.bandwidth_up",
    "channel.bandwidth_down",
    "channel.bs_power_dbm",
    "channel.noise_dbm_per_hz",
    "channel.token_bits",
    "slots",
    "slots.t_u",
    "slots.t_c",
    "slots.t_d",
    "queue",
    "gpus",
    "gpus.count",
    "gpus.flops",
    "gpus.memory",
    "model",
    "quant",
    "accuracy_admission",
    "scheduler",
    "scheduler.name",
    "scheduler.z_start",
    "scheduler.deadline_aware",
];

/// A field type that [`Scenario::set`] can parse from RON text.
trait OverrideValue: Sized {
    fn parse_override(text: &str) -> Result<Self, String>;
}

fn ron_value<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    ron::from_str(text).map_err(|e| format!("`{text}`: {}", e.code))
}

macro_rules! plain_override {
    ($($t:ty),*) => {$(
        impl OverrideValue for $t {
            fn parse_override(text: &str) -> Result<Self, String> {
                ron_value(text)
            }
        }
    )*};
}

plain_override!(
    f64,
    u64,
    u32,
    bool,
    Users,
    Arrivals,
    Requests,
    Dist,
    Channel,
    Slots,
    QueuePolicy,
    Gpus,
    SchedulerSpec
);

impl OverrideValue for String {
    fn parse_override(text: &str) -> Result<Self, String> {
        Ok(ron_value::<String>(text).unwrap_or_else(|_| text.to_string()))
    }
}

impl OverrideValue for Option<f64> {
    fn parse_override(text: &str) -> Result<Self, String> {
        ron_value::<f64>(text)
            .map(Some)
            .or_else(|_| ron_value::<Option<f64>>(text))
    }
}

fn bare_name(text: &str) -> Option<String> {
    let t = text.trim();
    let ok = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    ok.then(|| t.to_string())
}

impl OverrideValue for ModelSpec {
    fn parse_override(text: &str) -> Result<Self, String> {
        ron_value(text).or_else(|e| bare_name(text).map(ModelSpec::Preset).ok_or(e))
    }
}

impl OverrideValue for QuantSpec {
    fn parse_override(text: &str) -> Result<Self, String> {
        ron_value(text).or_else(|e| bare_name(text).map(QuantSpec::Preset).ok_or(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: &ScenarioError) -> String {
        match e {
            ScenarioError::Invalid { field, .. } => field.clone(),
            other => panic!("expected Invalid, got {other}"),
        }
    }

    #[test]
    fn default_file_is_the_paper_setting() {
        let s = Scenario::default_paper();
        // Every value of the file equals the built-in default (MODEL.md §2–6).
        assert_eq!(s, Scenario::default());
        let sys = s.resolve().unwrap();
        assert_eq!(sys.horizon_ns, 600_000_000_000);
        assert_eq!(sys.warmup_ns, 60_000_000_000); // 10 % of 600 s
        assert_eq!(sys.epochs(), 400); // 600/1.5
        assert_eq!(sys.rate_per_user, 2.0); // 100/50
        assert_eq!((sys.max_prompt, sys.max_output), (512, 512));
        assert_eq!(sys.delta_ppl, Some(0.02));
        // 20 dBm = 0.1 W; 43 dBm = 10^1.3 = 19.95 W; N0·B = 10^-20.4·2e7 = 7.96e-14 W.
        assert!((sys.tx_power_w - 0.1).abs() < 1e-15);
        assert!((sys.bs_power_w - 19.952_623_149_688_8).abs() < 1e-9);
        assert!((sys.noise_up_w / 7.962_143_411_069_9e-14 - 1.0).abs() < 1e-12);
        let info = sys.system_info();
        assert_eq!(info.template.flops_cost().unwrap().flop_rate, 2.66e13); // 20 · 1.33e12
        assert_eq!(info.template.memory, 6.4e11); // 20 · 32e9
    }

    #[test]
    fn minimal_file_gets_defaults() {
        assert_eq!(Scenario::from_ron_str("()").unwrap(), Scenario::default());
        let s = Scenario::from_ron_str("(arrivals: (rate: 5), slots: (t_c: 1.0))").unwrap();
        assert_eq!(s.arrivals.rate, 5.0);
        assert_eq!(s.slots.t_u, 0.25);
        assert_eq!(s.users.count, 50);
    }

    #[test]
    fn round_trips_through_ron() {
        let mut s = Scenario {
            model: ModelSpec::Custom {
                name: "tiny".into(),
                layers: 2,
                d_model: 64,
                d_ff: 256,
            },
            quant: QuantSpec::Custom {
                name: "W4".into(),
                weight_bits: 4,
                activation_bits: 16,
                beta: 0.5,
                delta_ppl: 0.3,
            },
            ..Default::default()
        };
        s.requests.prompt = Dist::Choice {
            values: vec![10.0, 20.0],
            weights: vec![1.0, 3.0],
        };
        s.queue = QueuePolicy::DropUnscheduled;
        s.warmup = Some(3.0);
        s.sweep = Some(SweepSpec {
            replications: 2,
            grid: vec![SweepAxis {
                path: "requests.latency".into(),
                values: vec![
                    RonText("Uniform(lo: 0.5, hi: 1.0)".into()),
                    RonText("Fixed(2.0)".into()),
                ],
            }],
        });
        let text = s.to_ron_string();
        assert_eq!(Scenario::from_ron_str(&text).unwrap(), s, "{text}");
    }

    #[test]
    fn unknown_field_is_a_parse_error_with_position() {
        let e = Scenario::from_ron_str("(\n  users: (count: 5, colour: 3),\n)").unwrap_err();
        match &e {
            ScenarioError::Parse { line, message, .. } => {
                assert_eq!(*line, 2);
                assert!(message.contains("colour"), "{message}");
                assert!(
                    message.contains("path_loss"),
                    "lists expected fields: {message}"
                );
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn range_errors_name_the_field() {
        let cases = [
            ("(arrivals: (rate: -1))", "arrivals.rate"),
            ("(gpus: (count: 0))", "gpus.count"),
            ("(slots: (t_u: 2.0))", "slots.t_u"),
            ("(slots: (t_d: 1.6))", "slots.t_d"),
            ("(slots: (t_c: NaN))", "slots.t_c"),
            ("(horizon: inf)", "horizon"),
            ("(warmup: Some(600))", "warmup"),
            (
                "(requests: (output_levels: Choice(values: [])))",
                "requests.output_levels.values",
            ),
            (
                "(requests: (prompt: Choice(values: [128, 256.5])))",
                "requests.prompt.values[1]",
            ),
            (
                "(requests: (prompt: Choice(values: [1, 2], weights: [1])))",
                "requests.prompt.weights",
            ),
            (
                "(requests: (prompt: Choice(values: [1, 2], weights: [0, 0])))",
                "requests.prompt.weights",
            ),
            (
                "(requests: (accuracy: Uniform(lo: -0.1, hi: 1.0)))",
                "requests.accuracy.lo",
            ),
            (
                "(requests: (accuracy: Uniform(lo: 0, hi: inf)))",
                "requests.accuracy.hi",
            ),
            (
                "(requests: (latency: Uniform(lo: 2.0, hi: 1.0)))",
                "requests.latency.hi",
            ),
            ("(requests: (latency: Fixed(0)))", "requests.latency"),
            ("(users: (path_loss: 0))", "users.path_loss"),
            ("(channel: (token_bits: 0))", "channel.token_bits"),
            ("(channel: (bandwidth_down: -2e6))", "channel.bandwidth_down"),
            ("(model: Preset(\"GPT-5\"))", "model"),
            (
                "(model: Custom(name: \"x\", layers: 0, d_model: 8, d_ff: 32))",
                "model.layers",
            ),
            ("(quant: Preset(\"W2\"))", "quant"),
            (
                "(quant: Custom(name: \"q\", weight_bits: 4, activation_bits: 16, beta: 0, delta_ppl: 0))",
                "quant.beta",
            ),
            // A custom model has no preset ΔPPL; with accuracy admission that is an error.
            (
                "(model: Custom(name: \"x\", layers: 1, d_model: 8, d_ff: 32))",
                "quant",
            ),
            // 1 GPU of 1 GB cannot hold BLOOM-3B's 2.36 GB of W8 weights.
            ("(gpus: (count: 1, memory: 1e9))", "gpus.memory"),
            (
                "(sweep: Some((grid: [(path: \"arrivals.speed\", values: [1])])))",
                "sweep.grid[0].path",
            ),
            (
                "(sweep: Some((grid: [(path: \"arrivals.rate\", values: [\"fast\"])])))",
                "sweep.grid[0].values[0]",
            ),
        ];
        for (text, field) in cases {
            let e = Scenario::from_ron_str(text).expect_err(text);
            assert_eq!(field_of(&e), field, "{text}: {e}");
        }
        // The custom model is fine once accuracy is ignored.
        Scenario::from_ron_str(
            "(model: Custom(name: \"x\", layers: 1, d_model: 8, d_ff: 32), accuracy_admission: false)",
        )
        .unwrap();
    }

    #[test]
    fn overrides_set_typed_fields() {
        let mut s = Scenario::default();
        s.apply_assignment("arrivals.rate=250").unwrap();
        assert_eq!(s.arrivals.rate, 250.0);
        s.set("scheduler.name", "static").unwrap();
        s.set("scheduler.deadline_aware", "false").unwrap();
        assert_eq!(s.scheduler.name, "static");
        assert_eq!(
            s.scheduler.options["deadline_aware"],
            serde_json::json!(false)
        );
        s.set("scheduler.name", "\"nobatch\"").unwrap();
        assert_eq!(s.scheduler.name, "nobatch");
        s.set("requests.latency", "Uniform(lo: 0.5, hi: 0.75)")
            .unwrap();
        assert_eq!(s.requests.latency, Dist::Uniform { lo: 0.5, hi: 0.75 });
        s.set("model", "BLOOM-7.1B").unwrap();
        assert_eq!(s.model, ModelSpec::Preset("BLOOM-7.1B".into()));
        s.set("quant", "Preset(\"GPTQ\")").unwrap();
        assert_eq!(s.quant, QuantSpec::Preset("GPTQ".into()));
        s.set("warmup", "30").unwrap();
        assert_eq!(s.warmup, Some(30.0));
        s.set("warmup", "None").unwrap();
        assert_eq!(s.warmup, None);
        s.set("queue", "DropUnscheduled").unwrap();
        assert_eq!(s.queue, QueuePolicy::DropUnscheduled);
        s.set("scheduler.z_start", "All").unwrap();
        assert_eq!(s.scheduler.options["z_start"], serde_json::json!("All"));
        s.set("slots", "(t_c: 1.0)").unwrap();
        assert_eq!((s.slots.t_u, s.slots.t_c), (0.25, 1.0));
        s.validate().unwrap();
        // Out-of-range values pass `set` and fail `validate`, naming the field.
        s.set("gpus.count", "0").unwrap();
        assert_eq!(field_of(&s.validate().unwrap_err()), "gpus.count");
        let e = s.set("arrivals.speed", "3").unwrap_err();
        assert!(e.to_string().contains("no such field"), "{e}");
        let e = s.set("arrivals.rate", "fast").unwrap_err();
        assert!(matches!(e, ScenarioError::Override { .. }), "{e}");
        assert!(s.apply_assignment("arrivals.rate").is_err());
    }

    #[test]
    fn every_override_path_is_settable() {
        // Each path, set to a value other than its default, changes the scenario and stays valid.
        let base = Scenario::default();
        let samples = [
            ("name", "\"x\""),
            ("seed", "3"),
            ("horizon", "10"),
            ("warmup", "1"),
            ("users", "(count: 3)"),
            ("users.count", "3"),
            ("users.tx_power_dbm", "10"),
            ("users.path_loss", "1e-4"),
            ("arrivals", "(rate: 3)"),
            ("arrivals.rate", "3"),
            ("requests", "(latency: Fixed(1.0))"),
            ("requests.prompt", "Fixed(64)"),
            ("requests.output_levels", "Choice(values: [64, 128])"),
            ("requests.latency", "Fixed(1.0)"),
            ("requests.accuracy", "Fixed(1.0)"),
            ("channel", "(token_bits: 8)"),
            ("channel.bandwidth_up", "1e6"),
            ("channel.bandwidth_down", "1e6"),
            ("channel.bs_power_dbm", "40"),
            ("channel.noise_dbm_per_hz", "-170"),
            ("channel.token_bits", "32"),
            ("slots", "(t_c: 1.0)"),
            ("slots.t_u", "0.1"),
            ("slots.t_c", "1.0"),
            ("slots.t_d", "0.1"),
            ("queue", "DropUnscheduled"),
            ("gpus", "(count: 4)"),
            ("gpus.count", "4"),
            ("gpus.flops", "1e12"),
            ("gpus.memory", "40e9"),
            ("model", "OPT-13B"),
            ("quant", "FP16"),
            ("accuracy_admission", "false"),
            ("scheduler", "(name: \"greedy\")"),
            ("scheduler.name", "greedy"),
            ("scheduler.z_start", "All"),
            ("scheduler.deadline_aware", "false"),
        ];
        assert_eq!(samples.len(), OVERRIDE_PATHS.len());
        for ((path, v), listed) in samples.iter().zip(OVERRIDE_PATHS) {
            assert_eq!(path, listed);
            let mut s = base.clone();
            s.set(path, v).unwrap_or_else(|e| panic!("{e}"));
            assert_ne!(s, base, "{path} changed nothing");
            s.validate().unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }

    #[test]
    fn sweep_values_keep_their_text() {
        let s = Scenario::from_ron_str(
            "(sweep: Some((replications: 3, grid: [\
               (path: \"arrivals.rate\", values: [5, 10.5]),\
               (path: \"requests.latency\", values: [Uniform(lo: 0.5, hi: 1.0), Fixed(2)]),\
               (path: \"scheduler.name\", values: [\"dftsp\", \"static\"]),\
             ])))",
        )
        .unwrap();
        let sweep = s.sweep.clone().unwrap();
        assert_eq!(sweep.replications, 3);
        let texts: Vec<&str> = sweep.grid[1].values.iter().map(|v| v.as_str()).collect();
        assert_eq!(texts, ["Uniform(lo: 0.5, hi: 1.0)", "Fixed(2)"]);
        let mut p = s.clone();
        p.set(&sweep.grid[1].path, sweep.grid[1].values[0].as_str())
            .unwrap();
        assert_eq!(p.requests.latency, Dist::Uniform { lo: 0.5, hi: 1.0 });
        p.set(&sweep.grid[2].path, sweep.grid[2].values[1].as_str())
            .unwrap();
        assert_eq!(p.scheduler.name, "static");
    }
}
