//! Range checks of every field, and the conversion of each checked value
//! into simulation units (integer ns, watts, model dimensions, quantization
//! factors). [`Scenario::validate`] also checks every point of the sweep.

use super::error::{invalid, ScenarioError};
use super::schema::{
    CostKind, Dist, GpuSpec, ModelSpec, Process, QuantSpec, Scenario, Serving, MAX_CLASSES,
};
use super::serving::ContinuousSystem;
use super::sweep::{SweepPoint, MAX_REPLICATIONS};
use crate::cost::{self, GpuParams, ModelArch, ModelDims};
use crate::quant::{self, QuantParams};
use crate::radio::ChannelModel;
use crate::trace::{Columns, TraceSummary};

pub use crate::cost::MAX_TOKENS;

// The bounds below keep every accepted scenario within what the code
// represents exactly and runs in bounded time and memory; each is
// documented, with its reason, in docs/scenario.md ("Bounds").

pub use crate::range::MAX_SECONDS;

/// Most epochs a run may have, `⌈H/T_C⌉` (one record of each is kept in memory).
pub const MAX_EPOCHS: u64 = 10_000_000;

/// Largest expected number of arrivals, `λ·H` (each is several events and,
/// while pending, memory).
pub const MAX_EXPECTED_ARRIVALS: f64 = 1e9;

/// Largest arrival rate of one user, `λ/U`, requests/s: its mean gap is then
/// ≥ 1 µs = 1000 ns, so rounding gaps to the ns cannot stop time (a gap
/// rounds to 0 with probability ≤ 1 − e^(−0.5·10⁻³) ≈ 5·10⁻⁴).
pub const MAX_RATE_PER_USER: f64 = 1e6;

/// Most users. An idle user costs about 56 bytes (its two arrival streams
/// kept as word positions, its last arrival instant and its pending arrival
/// event) and no time per epoch (gains are drawn only for users with a
/// candidate request), so 10⁶ users take about 60 MB.
pub const MAX_USERS: u32 = 1_000_000;

/// Most GPUs in the pool.
pub const MAX_GPUS: u32 = 1024;

/// The checked values of a scenario, in simulation units.
pub(super) struct Checked {
    pub horizon_ns: u64,
    pub warmup_ns: u64,
    pub t_u_ns: u64,
    pub t_c_ns: u64,
    pub t_d_ns: u64,
    /// `N0`, W/Hz.
    pub noise_w_hz: f64,
    /// The link budget's coherence time, ns (`T_C` for the paper's channel).
    pub coherence_ns: u64,
    pub model_name: String,
    pub model: ModelDims,
    pub quant_name: String,
    pub quant: QuantParams,
    pub delta_ppl: Option<f64>,
    /// Mean total arrival rate over the run, requests/s.
    pub arrival_rate: f64,
    /// The replayed trace's summary (`Process::Trace`).
    pub trace: Option<TraceSummary>,
    /// The columns of the `Empirical` distributions.
    pub empirical: Columns,
    pub cost: CostKind,
    pub arch: Option<ModelArch>,
    pub gpu: Option<(String, GpuParams)>,
    pub flops_per_gpu: f64,
    pub memory_per_gpu: f64,
    pub serving: Option<ContinuousSystem>,
}

/// Largest coefficient of variation of `Gamma` gaps (shape `1/cv² ≥ 10⁻⁶`).
pub const MAX_GAMMA_CV: f64 = 1000.0;

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

/// A time written in the file, s → ns: finite, in `[0, MAX_SECONDS]`, and
/// (unless `zero_ok`) at least 1 ns once rounded.
pub(super) fn seconds(field: &str, secs: f64, zero_ok: bool) -> Result<u64, ScenarioError> {
    let low = if zero_ok { "0" } else { "1 ns" };
    if !(secs.is_finite() && (0.0..=MAX_SECONDS).contains(&secs)) {
        return Err(invalid(
            field,
            format!("must be a time in [{low}, {MAX_SECONDS:e} s], got {secs}"),
        ));
    }
    let ns = secs_to_ns(field, secs)?;
    if ns == 0 && !zero_ok {
        return Err(invalid(
            field,
            format!("must be a time in [1 ns, {MAX_SECONDS:e} s] (it is rounded to the ns), got {secs} s"),
        ));
    }
    Ok(ns)
}

/// A count in `[1, max]`.
fn count(field: &str, v: u32, max: u32) -> Result<u32, ScenarioError> {
    if (1..=max).contains(&v) {
        Ok(v)
    } else {
        Err(invalid(field, format!("must be in [1, {max}], got {v}")))
    }
}

/// A power in dBm (or dBm/Hz) whose value in W (W/Hz), times `scale`, is finite and > 0.
fn power(field: &str, dbm: f64, scale: f64, what: &str) -> Result<f64, ScenarioError> {
    finite(field, dbm)?;
    let w = dbm_to_watts(dbm) * scale;
    if w.is_finite() && w > 0.0 {
        Ok(w)
    } else {
        Err(invalid(
            field,
            format!("{dbm} dBm gives {what} = {w} W, which is not a finite power > 0"),
        ))
    }
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

/// A whole number of tokens in `[1, MAX_TOKENS]`, or the message saying it is not.
fn tokens(v: f64) -> Result<(), String> {
    if v.is_finite() && v >= 1.0 && v <= MAX_TOKENS as f64 && v.fract() == 0.0 {
        Ok(())
    } else {
        Err(format!(
            "must be a whole number of tokens in [1, {MAX_TOKENS}], got {v}"
        ))
    }
}

impl Dist {
    /// Range-checks the distribution; an `Empirical` one (token counts only)
    /// has its column read into `columns`, every value checked.
    fn validate(
        &self,
        field: &str,
        kind: DistKind,
        columns: &mut Columns,
    ) -> Result<(), ScenarioError> {
        let check = |f: &str, v: f64| -> Result<(), ScenarioError> {
            match kind {
                DistKind::Tokens => tokens(v).map_err(|m| invalid(f, m))?,
                DistKind::Seconds => {
                    seconds(f, v, false)?;
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
            Dist::Empirical { path, column } => {
                if kind != DistKind::Tokens {
                    return Err(invalid(
                        field,
                        "Empirical is a distribution of token counts (prompt, output_levels) only",
                    ));
                }
                columns
                    .load(path, column, tokens)
                    .map_err(|e| invalid(field, e.to_string()))?;
            }
        }
        Ok(())
    }
}

impl ModelSpec {
    /// The model's name and dimensions, or an error naming `model`.
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] naming `model` (unknown preset, dimension out of range).
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
                ..
            } => {
                let dims = ModelDims {
                    layers: *layers,
                    d_model: *d_model,
                    d_ff: *d_ff,
                };
                // The same bounds as instance files: FLOP counts stay exact in u128.
                dims.check()
                    .map_err(|(f, m)| invalid(format!("model.{f}"), m))?;
                Ok((
                    name.clone(),
                    dims,
                ))
            }
        }
    }
}

impl ModelSpec {
    /// The architecture the roofline reads (MODEL.md §11): a preset's, or a
    /// custom model's when it gives `heads` and `vocab`; `None` otherwise.
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] naming `model.<field>` for a value out of range.
    pub fn resolve_arch(&self) -> Result<Option<ModelArch>, ScenarioError> {
        let (_, dims) = self.resolve()?;
        match self {
            ModelSpec::Preset(name) => Ok(cost::model_preset(name).map(|p| p.arch())),
            ModelSpec::Custom {
                heads,
                kv_heads,
                head_dim,
                gated,
                vocab,
                tied,
                ..
            } => {
                let (Some(heads), Some(vocab)) = (*heads, *vocab) else {
                    return Ok(None);
                };
                if heads == 0 {
                    return Err(invalid("model.heads", "must be ≥ 1"));
                }
                // The default d_h = d_model/n_h (MODEL.md §11) only when it is whole.
                if head_dim.is_none() && dims.d_model % heads != 0 {
                    return Err(invalid(
                        "model.head_dim",
                        format!(
                            "not given, and d_model {} is not a multiple of heads {heads}: \
                             give head_dim",
                            dims.d_model
                        ),
                    ));
                }
                let arch = ModelArch {
                    dims,
                    heads,
                    kv_heads: kv_heads.unwrap_or(heads),
                    head_dim: head_dim.unwrap_or(dims.d_model / heads),
                    gated: *gated,
                    vocab,
                    tied: *tied,
                };
                arch.check()
                    .map_err(|(f, m)| invalid(format!("model.{f}"), m))?;
                Ok(Some(arch))
            }
        }
    }
}

impl GpuSpec {
    /// The GPU's name and numbers, or an error naming `gpus.gpu` (unknown
    /// preset) or `gpus.gpu.<field>` (value out of range).
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] as above.
    pub fn resolve(&self) -> Result<(String, GpuParams), ScenarioError> {
        match self {
            GpuSpec::Preset(name) => cost::gpu_preset(name)
                .map(|p| (p.name.to_string(), p.params))
                .ok_or_else(|| {
                    let known: Vec<&str> = cost::GPU_PRESETS.iter().map(|p| p.name).collect();
                    invalid(
                        "gpus.gpu",
                        format!(
                            "unknown preset {name:?}; presets: {}; or Custom(name, flops, int8_ops, memory, bandwidth, link_bandwidth, link_latency)",
                            known.join(", ")
                        ),
                    )
                }),
            GpuSpec::Custom {
                name,
                flops,
                int8_ops,
                memory,
                bandwidth,
                link_bandwidth,
                link_latency,
                eta_f,
                eta_b,
                t_0,
            } => {
                let g = GpuParams {
                    flops: *flops,
                    int8_ops: *int8_ops,
                    memory: *memory,
                    bandwidth: *bandwidth,
                    link_bandwidth: *link_bandwidth,
                    link_latency: *link_latency,
                    eta_f: *eta_f,
                    eta_b: *eta_b,
                    t_0: *t_0,
                };
                g.check()
                    .map_err(|(f, m)| invalid(format!("gpus.gpu.{f}"), m))?;
                Ok((name.clone(), g))
            }
        }
    }
}

impl QuantSpec {
    /// The method's name, factors and ΔPPL on `model` (`None` if unknown), or an error naming `quant`.
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] naming `quant` (unknown preset, bits or factors out of range).
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

/// Largest `|Σ shares − 1|` accepted: the shares are probabilities, written
/// in the file; they are not normalised, so a typo is an error, not a silent
/// rescaling (docs/scenario.md, `requests.classes`).
pub const SHARE_SUM_TOLERANCE: f64 = 1e-9;

/// Longest class name, characters.
const MAX_CLASS_NAME: usize = 32;

/// Why `name` cannot name a class, if it cannot: it becomes a JSON key, a
/// CSV column suffix (`…__name`) and a directory name, so it is 1–32
/// characters of `A–Z a–z 0–9 _ -`, starts with a letter or digit, holds no
/// `__` (the column separator) and is no reserved device name of Windows.
fn class_name_problem(name: &str) -> Option<String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if name.is_empty() || name.chars().count() > MAX_CLASS_NAME {
        return Some(format!(
            "must be 1–{MAX_CLASS_NAME} characters long, got {name:?}"
        ));
    }
    if !name.chars().all(ok_char) || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Some(format!(
            "must be letters, digits, `_` and `-`, starting with a letter or digit \
             (it names files and CSV columns), got {name:?}"
        ));
    }
    if name.contains("__") {
        return Some(format!(
            "must not contain `__` (it separates a CSV column from its class), got {name:?}"
        ));
    }
    let lower = name.to_ascii_lowercase();
    let device = matches!(lower.as_str(), "con" | "prn" | "aux" | "nul")
        || ((lower.starts_with("com") || lower.starts_with("lpt"))
            && lower.len() == 4
            && lower.as_bytes()[3].is_ascii_digit());
    device.then(|| format!("{name:?} is a reserved device name on Windows (it names a directory)"))
}

impl Scenario {
    /// Checks `requests.classes` (MODEL.md §12): at most [`MAX_CLASSES`],
    /// names safe and unique (ignoring case), shares > 0 summing to 1
    /// within [`SHARE_SUM_TOLERANCE`], each distribution within the bounds
    /// of the `requests` field it replaces.
    fn check_classes(&self, empirical: &mut Columns) -> Result<(), ScenarioError> {
        let classes = &self.requests.classes;
        if classes.len() > MAX_CLASSES {
            return Err(invalid(
                "requests.classes",
                format!("at most {MAX_CLASSES} classes, got {}", classes.len()),
            ));
        }
        for (i, c) in classes.iter().enumerate() {
            let field = |f: &str| format!("requests.classes[{i}].{f}");
            if let Some(m) = class_name_problem(&c.name) {
                return Err(invalid(field("name"), m));
            }
            if let Some(j) = classes[..i]
                .iter()
                .position(|o| o.name.eq_ignore_ascii_case(&c.name))
            {
                return Err(invalid(
                    field("name"),
                    format!(
                        "{:?} is already the name of requests.classes[{j}] (names are unique, ignoring case)",
                        c.name
                    ),
                ));
            }
            positive(&field("share"), c.share)?;
            let dists = [
                ("prompt", &c.prompt, DistKind::Tokens),
                ("output_levels", &c.output_levels, DistKind::Tokens),
                ("latency", &c.latency, DistKind::Seconds),
                ("accuracy", &c.accuracy, DistKind::Tolerance),
            ];
            for (f, d, kind) in dists {
                if let Some(d) = d {
                    d.validate(&field(f), kind, empirical)?;
                }
            }
        }
        if !classes.is_empty() {
            let sum: f64 = classes.iter().map(|c| c.share).sum();
            // Each share is finite and > 0, so the sum is not NaN (it may be +inf: refused).
            if (sum - 1.0).abs() > SHARE_SUM_TOLERANCE {
                return Err(invalid(
                    "requests.classes",
                    format!("the shares must sum to 1 (within {SHARE_SUM_TOLERANCE:e}), got {sum}"),
                ));
            }
        }
        Ok(())
    }

    /// Range-checks every field and every point of the sweep; the error
    /// names the first offending field (and the sweep point).
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] naming the first field out of range.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.check()?;
        self.sweep_points()?;
        Ok(())
    }

    /// Every point of the sweep (none without one), each range-checked as
    /// a scenario of its own: the one check that `run`, `validate` and
    /// `sweep` share. An error names the field and the point.
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] naming the field and the point.
    pub fn sweep_points(&self) -> Result<Vec<SweepPoint>, ScenarioError> {
        let Some(spec) = &self.sweep else {
            return Ok(Vec::new());
        };
        let points = spec.expand(self)?;
        for p in &points {
            p.scenario.check().map_err(|e| match e {
                ScenarioError::Invalid { field, message } => invalid(
                    field,
                    format!("{message} (sweep point {}: {})", p.index, p.label()),
                ),
                other => other,
            })?;
        }
        Ok(points)
    }

    /// Range-checks every field except the sweep, and converts to simulation units.
    pub(super) fn check(&self) -> Result<Checked, ScenarioError> {
        let horizon_ns = seconds("horizon", self.horizon, false)?;
        let warmup_ns = match self.warmup {
            None => horizon_ns / 10,
            Some(w) => seconds("warmup", w, true)?,
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
        let users = count("users.count", self.users.count, MAX_USERS)?;
        power("users.tx_power_dbm", self.users.tx_power_dbm, 1.0, "p^U")?;
        positive("users.path_loss", self.users.path_loss)?;
        let rate = non_negative("arrivals.rate", self.arrivals.rate)?;
        let (arrival_rate, trace) = self.check_process(horizon_ns)?;
        // λ·H in requests; H ≤ 10⁹ s and λ finite, so the product is finite.
        let expected = arrival_rate * (horizon_ns as f64 / 1e9);
        if expected > MAX_EXPECTED_ARRIVALS {
            let field = match self.arrivals.process {
                Process::Poisson | Process::Gamma { .. } => "arrivals.rate",
                _ => "arrivals.process",
            };
            return Err(invalid(
                field,
                format!(
                    "λ·H = {arrival_rate:e} /s × {} s = {expected:e} expected arrivals, more than the \
                     {MAX_EXPECTED_ARRIVALS:e} a run may have",
                    self.horizon
                ),
            ));
        }
        let per_user = rate / users as f64;
        if self.arrivals.process == Process::Poisson && per_user > MAX_RATE_PER_USER {
            return Err(invalid(
                "arrivals.rate",
                format!(
                    "λ/U = {rate:e}/{users} = {per_user:e} /s per user, more than {MAX_RATE_PER_USER:e} /s \
                     (a user's mean gap must be ≥ 1 µs, or rounding gaps to the ns stops time)"
                ),
            ));
        }

        let mut empirical = Columns::default();
        for (field, dist, kind) in [
            ("requests.prompt", &self.requests.prompt, DistKind::Tokens),
            (
                "requests.output_levels",
                &self.requests.output_levels,
                DistKind::Tokens,
            ),
            (
                "requests.latency",
                &self.requests.latency,
                DistKind::Seconds,
            ),
            (
                "requests.accuracy",
                &self.requests.accuracy,
                DistKind::Tolerance,
            ),
        ] {
            dist.validate(field, kind, &mut empirical)?;
        }
        self.check_classes(&mut empirical)?;

        positive("channel.bandwidth_up", self.channel.bandwidth_up)?;
        positive("channel.bandwidth_down", self.channel.bandwidth_down)?;
        power(
            "channel.bs_power_dbm",
            self.channel.bs_power_dbm,
            1.0,
            "p^D",
        )?;
        let widest = self.channel.bandwidth_up.max(self.channel.bandwidth_down);
        power(
            "channel.noise_dbm_per_hz",
            self.channel.noise_dbm_per_hz,
            widest,
            "σ² = N0·B",
        )?;
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

        let t_c_ns = seconds("slots.t_c", self.slots.t_c, false)?;
        let coherence_ns = match &self.channel.model {
            ChannelModel::Paper => t_c_ns,
            ChannelModel::LinkBudget(lb) => {
                lb.validate()
                    .map_err(|e| invalid(format!("channel.model.{}", e.field), e.message))?;
                match lb.coherence_time {
                    Some(t) => seconds("channel.model.coherence_time", t, false)?,
                    None => t_c_ns,
                }
            }
        };
        let t_u_ns = seconds("slots.t_u", self.slots.t_u, false)?;
        let t_d_ns = seconds("slots.t_d", self.slots.t_d, false)?;
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

        let epochs = horizon_ns.div_ceil(t_c_ns);
        if epochs > MAX_EPOCHS {
            return Err(invalid(
                "horizon",
                format!(
                    "⌈H/T_C⌉ = ⌈{} s / {} s⌉ = {epochs} epochs, more than the {MAX_EPOCHS} a run may have",
                    self.horizon, self.slots.t_c
                ),
            ));
        }

        let gpus = count("gpus.count", self.gpus.count, MAX_GPUS)?;
        let gpu = self.gpus.gpu.as_ref().map(GpuSpec::resolve).transpose()?;
        let (flops_per_gpu, memory_per_gpu) = match &gpu {
            None => (self.gpus.flops, self.gpus.memory),
            Some((name, g)) => {
                let part1 = super::schema::Gpus::default();
                for (f, v, d) in [
                    ("gpus.flops", self.gpus.flops, part1.flops),
                    ("gpus.memory", self.gpus.memory, part1.memory),
                ] {
                    if v != d {
                        return Err(invalid(
                            f,
                            format!("is set by gpus.gpu ({name}); leave it out when naming a GPU"),
                        ));
                    }
                }
                (g.flops, g.memory)
            }
        };
        for (f, v) in [
            ("gpus.flops", flops_per_gpu),
            ("gpus.memory", memory_per_gpu),
        ] {
            positive(f, v)?;
            if !(gpus as f64 * v).is_finite() {
                return Err(invalid(f, format!("the pooled G·{v} is not finite")));
            }
        }

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
        let arch = self.model.resolve_arch()?;
        let pooled = self.gpus.count as f64 * memory_per_gpu;
        let resident = match self.cost {
            CostKind::Flops => quant.alpha_w * model.weight_bytes(),
            CostKind::Roofline => {
                if gpu.is_none() {
                    return Err(invalid(
                        "gpus.gpu",
                        "cost: Roofline needs a GPU model: gpus: (gpu: Some(Preset(\"L4\")), …) or Custom(…)",
                    ));
                }
                let Some(a) = &arch else {
                    return Err(invalid(
                        "model",
                        format!(
                            "cost: Roofline needs the architecture of {model_name:?}: give Custom(…, heads: …, vocab: …) (and kv_heads, head_dim, gated, tied as they apply)"
                        ),
                    ));
                };
                quant.alpha_w * 2.0 * a.stored_params()
            }
        };
        if resident > pooled {
            return Err(invalid(
                if gpu.is_some() { "gpus.gpu" } else { "gpus.memory" },
                format!(
                    "the pooled memory G·m = {pooled} B cannot hold the weights {resident} B (α_w × fp16 weights)"
                ),
            ));
        }

        let serving = match &self.serving {
            Serving::Epochs => None,
            Serving::Continuous(c) => {
                // The cost model of one instance of T GPUs, as
                // System::instance_cost builds it: the roofline's weight and
                // KV bytes (grouped-query attention) and the GPU preset's
                // memory when they apply, not the Part I fields' defaults.
                let t = c.tensor_parallel.max(1);
                let cost: Box<dyn cost::CostModel> = match (self.cost, &arch, &gpu) {
                    (CostKind::Roofline, Some(a), Some((_, g))) => Box::new(cost::RooflineCost {
                        arch: *a,
                        quant,
                        gpu: *g,
                        tp: t,
                    }),
                    _ => Box::new(cost::FlopsCost {
                        model,
                        quant,
                        flop_rate: t as f64 * flops_per_gpu,
                    }),
                };
                // The serving's coherence blocks default to the channel's
                // (T_C, or a link budget's own coherence time), so that the
                // fluid links see every fading block (MODEL.md §13, §14).
                let cs = c.resolve(self.gpus.count, memory_per_gpu, &*cost, coherence_ns)?;
                if c.coherence_time.is_some() && cs.coherence_ns != coherence_ns {
                    if let ChannelModel::LinkBudget(lb) = &self.channel.model {
                        if lb.coherence_time.is_some() {
                            return Err(invalid(
                                "serving.coherence_time",
                                format!(
                                    "must equal channel.model.coherence_time ({} s) under \
                                     LinkBudget(..): continuous serving redraws the link \
                                     budget's fading once per block (docs/radio.md §7)",
                                    coherence_ns as f64 / 1e9
                                ),
                            ));
                        }
                    }
                }
                Some(cs)
            }
        };

        if self.scheduler.name.trim().is_empty() {
            return Err(invalid("scheduler.name", "must name a scheduler"));
        }
        if let Some(sweep) = &self.sweep {
            count("sweep.replications", sweep.replications, MAX_REPLICATIONS)?;
        }
        Ok(Checked {
            horizon_ns,
            warmup_ns,
            t_u_ns,
            t_c_ns,
            t_d_ns,
            noise_w_hz,
            coherence_ns,
            model_name,
            model,
            quant_name,
            quant,
            delta_ppl,
            arrival_rate,
            trace,
            empirical,
            cost: self.cost,
            arch,
            gpu,
            flops_per_gpu,
            memory_per_gpu,
            serving,
        })
    }

    /// Checks `arrivals.process` (reading a replayed trace through once):
    /// the mean total arrival rate over `[0, H]`, requests/s, and the trace's summary.
    fn check_process(&self, horizon_ns: u64) -> Result<(f64, Option<TraceSummary>), ScenarioError> {
        let rate = self.arrivals.rate;
        match &self.arrivals.process {
            Process::Poisson => Ok((rate, None)),
            Process::Gamma { cv } => {
                let cv = positive("arrivals.process.cv", *cv)?;
                if cv > MAX_GAMMA_CV {
                    return Err(invalid(
                        "arrivals.process.cv",
                        format!("must be at most {MAX_GAMMA_CV}, got {cv}"),
                    ));
                }
                Ok((rate, None))
            }
            Process::Profile { segments } => {
                if segments.is_empty() {
                    return Err(invalid(
                        "arrivals.process.segments",
                        "must hold at least one (duration, rate)",
                    ));
                }
                let (mut cycle_s, mut cycle_n) = (0.0, 0.0);
                for (i, (d, r)) in segments.iter().enumerate() {
                    seconds(&format!("arrivals.process.segments[{i}].0"), *d, false)?;
                    non_negative(&format!("arrivals.process.segments[{i}].1"), *r)?;
                    cycle_s += d;
                    cycle_n += d * r;
                }
                if !cycle_n.is_finite() {
                    return Err(invalid(
                        "arrivals.process.segments",
                        "the requests of one cycle, Σ duration·rate, are not finite",
                    ));
                }
                Ok((cycle_n / cycle_s, None))
            }
            Process::Trace(spec) => {
                let f = |x: &str| format!("arrivals.process.{x}");
                positive(&f("time_scale"), spec.time_scale)?;
                seconds(&f("start"), spec.start, true)?;
                if spec.limit == Some(0) {
                    return Err(invalid(f("limit"), "must be ≥ 1 (or None: no limit)"));
                }
                let sum = TraceSummary::of(spec).map_err(|e| invalid(f("path"), e.to_string()))?;
                let h_s = horizon_ns as f64 / 1e9;
                let mut n = match (spec.repeat, sum.period_ns()) {
                    (false, _) => sum.rows as f64,
                    (true, Some(p)) => sum.rows as f64 * h_s / (p * spec.time_scale / 1e9),
                    (true, None) => {
                        return Err(invalid(
                            f("repeat"),
                            format!(
                                "{}: a trace needs two rows at distinct times to be looped",
                                spec.path
                            ),
                        ))
                    }
                };
                if let Some(l) = spec.limit {
                    n = n.min(l as f64);
                }
                Ok((n / h_s, Some(sum)))
            }
        }
    }
}
