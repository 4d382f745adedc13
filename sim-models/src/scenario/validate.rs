//! Range checks of every field, and the conversion of each checked value
//! into simulation units (integer ns, watts, model dimensions, quantization
//! factors). [`Scenario::validate`] also checks every point of the sweep.

use super::error::{invalid, ScenarioError};
use super::schema::{Dist, ModelSpec, QuantSpec, Scenario};
use super::sweep::SweepPoint;
use crate::cost::{self, ModelDims};
use crate::quant::{self, QuantParams};

/// Largest token count a prompt or output may have (keeps every time finite in ns).
pub const MAX_TOKENS: u32 = 1_000_000;

/// The checked values of a scenario, in simulation units.
pub(super) struct Checked {
    pub horizon_ns: u64,
    pub warmup_ns: u64,
    pub t_u_ns: u64,
    pub t_c_ns: u64,
    pub t_d_ns: u64,
    /// `N0`, W/Hz.
    pub noise_w_hz: f64,
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
    /// Range-checks every field and every point of the sweep; the error
    /// names the first offending field (and the sweep point).
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.check()?;
        self.sweep_points()?;
        Ok(())
    }

    /// Every point of the sweep (none without one), each range-checked as
    /// a scenario of its own: the one check that `run`, `validate` and
    /// `sweep` share. An error names the field and the point.
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
        }
        Ok(Checked {
            horizon_ns,
            warmup_ns,
            t_u_ns,
            t_c_ns,
            t_d_ns,
            noise_w_hz,
            model_name,
            model,
            quant_name,
            quant,
            delta_ppl,
        })
    }
}
