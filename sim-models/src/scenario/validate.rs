//! Range checks of every field, and the conversion of each checked value
//! into simulation units (integer ns, watts, model dimensions, quantization
//! factors). [`Scenario::validate`] also checks every point of the sweep.

use super::error::{invalid, ScenarioError};
use super::schema::{Dist, ModelSpec, QuantSpec, Scenario};
use super::sweep::{SweepPoint, MAX_REPLICATIONS};
use crate::cost::{self, ModelDims};
use crate::quant::{self, QuantParams};
use crate::radio::ChannelModel;

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

/// Most users (each holds three random streams and a channel gain).
pub const MAX_USERS: u32 = 100_000;

/// Most GPUs in the pool.
pub const MAX_GPUS: u32 = 1024;

/// Largest `U·epochs`: channel gains drawn in a run (one per user and epoch).
pub const MAX_CHANNEL_DRAWS: f64 = 1e10;

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

/// A time written in the file, s → ns: finite, in `[0, MAX_SECONDS]`, and
/// (unless `zero_ok`) at least 1 ns once rounded.
fn seconds(field: &str, secs: f64, zero_ok: bool) -> Result<u64, ScenarioError> {
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

impl Dist {
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

impl Scenario {
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
        // λ·H in requests; H ≤ 10⁹ s and λ finite, so the product is finite.
        let expected = rate * (horizon_ns as f64 / 1e9);
        if expected > MAX_EXPECTED_ARRIVALS {
            return Err(invalid(
                "arrivals.rate",
                format!(
                    "λ·H = {rate:e} /s × {} s = {expected:e} expected arrivals, more than the \
                     {MAX_EXPECTED_ARRIVALS:e} a run may have",
                    self.horizon
                ),
            ));
        }
        let per_user = rate / users as f64;
        if per_user > MAX_RATE_PER_USER {
            return Err(invalid(
                "arrivals.rate",
                format!(
                    "λ/U = {rate:e}/{users} = {per_user:e} /s per user, more than {MAX_RATE_PER_USER:e} /s \
                     (a user's mean gap must be ≥ 1 µs, or rounding gaps to the ns stops time)"
                ),
            ));
        }

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
        let draws = users as f64 * epochs as f64;
        if draws > MAX_CHANNEL_DRAWS {
            return Err(invalid(
                "users.count",
                format!(
                    "U·epochs = {users}·{epochs} = {draws:e} channel gains to draw, more than {MAX_CHANNEL_DRAWS:e}"
                ),
            ));
        }

        let gpus = count("gpus.count", self.gpus.count, MAX_GPUS)?;
        for (f, v) in [
            ("gpus.flops", self.gpus.flops),
            ("gpus.memory", self.gpus.memory),
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
        })
    }
}
