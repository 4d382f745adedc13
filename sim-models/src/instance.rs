//! One epoch's scheduling problem (MODEL.md §10): the pooled resources, the
//! model and quantization, the slot lengths and the eligible candidates.
//!
//! Schedulers read an [`Instance`]; the simulation builds one each epoch and
//! can write it out in the RON format of MODEL.md §10 so that `edgesim solve`
//! re-solves it. Times are integer ns inside (the file gives seconds, rounded
//! once to the nearest ns); bandwidth fractions are also kept as exact fixed
//! point ([`RHO_ONE`]) so that sums do not depend on summation order.

use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::cost::{
    CostModel, CostSpec, FlopsCost, GpuParams, ModelArch, ModelDims, RooflineCost, MAX_TOKENS,
};
use crate::quant::QuantParams;
use crate::range::MAX_SECONDS;

/// Fixed-point unit of a bandwidth fraction: `ρ = 1` is `2^48`.
///
/// Every `ρ` is rounded *up* to a multiple of `2^-48` (≈ 3.6·10⁻¹⁵) once, so
/// (1a)/(1b) sums are exact integers, identical in any order; a `ρ > 1` is
/// stored as `RHO_ONE + 1` (never selectable, and sums cannot overflow).
pub const RHO_ONE: u64 = 1 << 48;

/// Converts a bandwidth fraction to fixed point (see [`RHO_ONE`]).
pub fn rho_fixed(rho: f64) -> u64 {
    if rho > 1.0 || rho.is_nan() {
        RHO_ONE + 1
    } else if rho <= 0.0 {
        0
    } else {
        // Exact: scaling by a power of two, then ceil, is exact in f64.
        // `ceil` without the libm call (hot: once per candidate per epoch):
        // here 0 < x ≤ 2⁴⁸ < 2⁵³, so the truncating cast `t = ⌊x⌋` is exact,
        // `t as f64` is exact, and ⌈x⌉ is `t` when `x` is an integer, else
        // `t + 1` — the same integer as `x.ceil() as u64` (a test checks it).
        // The casts go through `i64` (one instruction each on x86-64; the
        // `u64` ones are a sequence): `x < 2⁶³`, so the same integers.
        let x = rho * RHO_ONE as f64;
        let t = x as i64;
        t as u64 + u64::from((t as f64) < x)
    }
}

/// One eligible pending request as a scheduler sees it in one epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    /// Request id (ids are given in arrival order; ties break by ascending id).
    pub id: u64,
    /// Prompt length `s_i`, tokens.
    pub prompt: u32,
    /// Maximum output length `n_i`, tokens (one of the output levels).
    pub output: u32,
    /// Remaining budget `D_i − t_k`, ns (negative once the deadline has passed).
    pub budget_ns: i64,
    /// Minimum uplink bandwidth fraction `ρU_i` (MODEL.md §3).
    pub rho_up: f64,
    /// Minimum downlink bandwidth fraction `ρD_i` (MODEL.md §3).
    pub rho_down: f64,
    /// `ρU_i` in fixed point ([`rho_fixed`]).
    pub rho_up_fx: u64,
    /// `ρD_i` in fixed point ([`rho_fixed`]).
    pub rho_down_fx: u64,
}

impl Candidate {
    /// A candidate, with its fixed-point fractions derived from `rho_up`, `rho_down`.
    pub fn new(
        id: u64,
        prompt: u32,
        output: u32,
        budget_ns: i64,
        rho_up: f64,
        rho_down: f64,
    ) -> Self {
        Candidate {
            id,
            prompt,
            output,
            budget_ns,
            rho_up,
            rho_down,
            rho_up_fx: rho_fixed(rho_up),
            rho_down_fx: rho_fixed(rho_down),
        }
    }
}

/// One epoch's scheduling problem on the pooled GPUs (MODEL.md §10).
#[derive(Clone, Debug)]
pub struct Instance {
    /// The cost model of the pooled GPUs: weights, KV cache, batch time (the cost seam).
    pub cost: Arc<dyn CostModel>,
    /// `M`, pooled memory, bytes.
    pub memory: f64,
    /// Uplink slot `T_U`, ns.
    pub t_u_ns: u64,
    /// Compute slot `T_C`, ns.
    pub t_c_ns: u64,
    /// Downlink slot `T_D`, ns.
    pub t_d_ns: u64,
    /// The eligible candidates, in ascending id order.
    pub requests: Vec<Candidate>,
}

impl PartialEq for Instance {
    fn eq(&self, other: &Self) -> bool {
        self.cost.spec() == other.cost.spec()
            && self.memory == other.memory
            && (self.t_u_ns, self.t_c_ns, self.t_d_ns) == (other.t_u_ns, other.t_c_ns, other.t_d_ns)
            && self.requests == other.requests
    }
}

impl Instance {
    /// The paper's FLOP-count fast path, when the cost model is additive in FLOPs.
    #[inline]
    pub fn flops_cost(&self) -> Option<&FlopsCost> {
        self.cost.flops()
    }

    /// Resident weight bytes `α_w·m1` (MODEL.md §5, (1c)).
    pub fn resident_bytes(&self) -> f64 {
        self.cost.weight_bytes()
    }

    /// Memory a batch holding `kv_tokens = Σ(s' + n_i)` tokens needs:
    /// `α_w·m1 + α_kv·4·L·d_m·Σ(s' + n_i)` bytes, the left side of (1c).
    pub fn memory_bytes(&self, kv_tokens: u64) -> f64 {
        self.resident_bytes() + self.cost.kv_bytes_per_token() * kv_tokens as f64
    }

    /// (1c): whether a batch of `kv_tokens` tokens fits the pooled memory.
    pub fn memory_fits(&self, kv_tokens: u64) -> bool {
        self.memory_bytes(kv_tokens) <= self.memory
    }

    /// The largest token count that satisfies (1c), or `None` if not even the
    /// weights fit. `memory_fits(t) ⇔ t ≤ kv_token_capacity()`; searches use it
    /// as an O(1) integer test. Capped at 10¹⁸ tokens (more than any batch can
    /// hold: at most 10⁶ tokens per request).
    pub fn kv_token_capacity(&self) -> Option<u64> {
        const CAP: u64 = 1_000_000_000_000_000_000;
        if !self.memory_fits(0) {
            return None;
        }
        let per = self.cost.kv_bytes_per_token();
        if per <= 0.0 || self.memory_fits(CAP) {
            return Some(CAP);
        }
        // memory_fits is monotone in the token count: bisect on the exact test
        // (at most 60 steps, whatever the numbers).
        let (mut lo, mut hi) = (0u64, CAP); // fits(lo), !fits(hi)
        let guess = ((self.memory - self.resident_bytes()) / per).floor();
        if guess.is_finite() && guess >= 0.0 && guess < CAP as f64 {
            let g = guess as u64;
            // The f64 guess is off by a few at most: narrow the bracket around it.
            let (a, b) = (g.saturating_sub(2), g.saturating_add(2).min(CAP));
            if self.memory_fits(a) {
                lo = a;
            }
            if !self.memory_fits(b) {
                hi = b;
            }
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.memory_fits(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(lo)
    }

    /// `T_U + t + T_D` in ns: the delivery offset from `t_k` of a batch that computes for `t` ns.
    pub fn delivery_offset_ns(&self, t_batch_ns: u64) -> i128 {
        self.t_u_ns as i128 + t_batch_ns as i128 + self.t_d_ns as i128
    }

    /// Whether candidate `i` can ever be selected in this epoch: its budget exceeds
    /// `T_U + T_D` (any job takes some compute) and its bandwidth fractions are ≤ 1.
    pub fn selectable(&self, c: &Candidate) -> bool {
        (c.budget_ns as i128) > self.t_u_ns as i128 + self.t_d_ns as i128
            && c.rho_up_fx <= RHO_ONE
            && c.rho_down_fx <= RHO_ONE
    }

    /// Parses and validates an instance file (MODEL.md §10).
    ///
    /// # Errors
    /// [`InstanceError::Parse`] with the line and column for text that is not
    /// an instance; [`InstanceError::Invalid`] naming the field for a value out of range.
    pub fn from_ron_str(text: &str) -> Result<Instance, InstanceError> {
        let file: InstanceFile =
            crate::range::read_ron(text, &ron::Options::default()).map_err(parse_error)?;
        file.validate()
    }

    /// Parses and validates the bytes of an instance file: they must be
    /// UTF-8 (else the error is at the first invalid byte); a leading
    /// byte-order mark is skipped.
    ///
    /// # Errors
    /// As [`Instance::from_ron_str`].
    pub fn from_ron_bytes(bytes: &[u8]) -> Result<Instance, InstanceError> {
        let file: InstanceFile =
            crate::range::read_ron_bytes(bytes, &ron::Options::default()).map_err(parse_error)?;
        file.validate()
    }

    /// Writes this instance in the RON format of MODEL.md §10 (seconds from `t_k`).
    pub fn to_ron_string(&self) -> String {
        let (cost, flops, model, quant) = match self.cost.spec() {
            CostSpec::Flops(f) => (CostName::Flops, f.flop_rate, f.model, f.quant),
            CostSpec::Roofline(r) => (
                CostName::Roofline(RooflineFile {
                    heads: r.arch.heads,
                    kv_heads: r.arch.kv_heads,
                    head_dim: r.arch.head_dim,
                    gated: r.arch.gated,
                    vocab: r.arch.vocab,
                    tied: r.arch.tied,
                    tp: r.tp,
                    gpu: r.gpu,
                }),
                r.tp as f64 * r.gpu.flops,
                r.arch.dims,
                r.quant,
            ),
        };
        let file = InstanceFile {
            cost,
            flops,
            memory: self.memory,
            model,
            quant,
            t_u: ns_to_secs(self.t_u_ns as i64),
            t_c: ns_to_secs(self.t_c_ns as i64),
            t_d: ns_to_secs(self.t_d_ns as i64),
            requests: self
                .requests
                .iter()
                .map(|c| RequestFile {
                    id: c.id,
                    prompt: c.prompt,
                    output: c.output,
                    budget: ns_to_secs(c.budget_ns),
                    rho_up: c.rho_up,
                    rho_down: c.rho_down,
                })
                .collect(),
        };
        let cfg = ron::ser::PrettyConfig::new()
            .depth_limit(1)
            .struct_names(false);
        let mut s = ron::ser::to_string_pretty(&file, cfg).expect("an instance always serializes");
        s.push('\n');
        s
    }
}

/// Errors reading an instance file.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum InstanceError {
    /// The text is not RON of the instance's shape.
    #[error("line {line}, column {column}: {}{message}", field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
    Parse {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// Dotted path of the field being read, if the error is inside one.
        field: Option<String>,
        /// What the parser found.
        message: String,
    },
    /// A well-formed value that means nothing (ρ < 0, a NaN, zero FLOP/s, …).
    #[error("field `{field}`: {message}")]
    Invalid {
        /// The offending field's path, e.g. `requests[2].rho_up`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

/// The on-disk form of an instance (MODEL.md §10): seconds from `t_k`, bytes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceFile {
    /// The cost model (MODEL.md §5; `Flops` when left out, as in files written before it was named).
    #[serde(default)]
    pub cost: CostName,
    /// `C`, pooled FLOP/s.
    pub flops: f64,
    /// `M`, pooled bytes.
    pub memory: f64,
    /// Model dimensions.
    pub model: ModelDims,
    /// Quantization factors.
    pub quant: QuantParams,
    /// `T_U`, s.
    pub t_u: f64,
    /// `T_C`, s.
    pub t_c: f64,
    /// `T_D`, s.
    pub t_d: f64,
    /// Eligible requests.
    pub requests: Vec<RequestFile>,
}

/// The cost model an instance file names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum CostName {
    /// The paper's FLOP-count model (MODEL.md §5), with the file's `flops`, `model`, `quant`.
    #[default]
    Flops,
    /// The roofline (MODEL.md §11): the file's `model` (`L`, `d`, `d_ff`) and
    /// `quant` (`α_w`, `α_kv`), plus these; `flops` must be `tp·gpu.flops`.
    Roofline(RooflineFile),
}

/// What `cost: Roofline(…)` adds to an instance file (MODEL.md §11).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RooflineFile {
    /// Query heads `n_h`.
    pub heads: u32,
    /// Key/value heads `n_kv`.
    pub kv_heads: u32,
    /// Head size `d_h`.
    pub head_dim: u32,
    /// Gated (SwiGLU) FFN.
    pub gated: bool,
    /// Vocabulary `V`.
    pub vocab: u32,
    /// Tied embeddings.
    pub tied: bool,
    /// Tensor-parallel degree `T` (the pooled GPUs).
    pub tp: u32,
    /// One GPU.
    pub gpu: GpuParams,
}

/// One request in an instance file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestFile {
    /// Request id (unique).
    pub id: u64,
    /// Prompt length, tokens.
    pub prompt: u32,
    /// Output length, tokens.
    pub output: u32,
    /// `D_i − t_k`, s (may be negative).
    pub budget: f64,
    /// `ρU_i`.
    pub rho_up: f64,
    /// `ρD_i`.
    pub rho_down: f64,
}

fn parse_error(e: crate::range::TextError) -> InstanceError {
    InstanceError::Parse {
        line: e.line,
        column: e.column,
        field: e.field,
        message: e.message,
    }
}

fn ns_to_secs(ns: i64) -> f64 {
    ns as f64 / 1e9
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> InstanceError {
    InstanceError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

fn positive(field: &str, v: f64) -> Result<f64, InstanceError> {
    crate::range::positive(v).map_err(|m| invalid(field, m))
}

fn non_negative(field: &str, v: f64) -> Result<f64, InstanceError> {
    crate::range::non_negative(v).map_err(|m| invalid(field, m))
}

/// Seconds to ns, rounding to nearest; `None` outside ±292 years.
pub fn secs_to_ns_i64(secs: f64) -> Option<i64> {
    let ns = (secs * 1e9).round();
    (ns.is_finite() && ns.abs() < 9.2e18).then_some(ns as i64)
}

impl InstanceFile {
    /// Checks every field and converts to the in-memory [`Instance`].
    ///
    /// # Errors
    /// [`InstanceError::Invalid`] naming the first field out of range.
    pub fn validate(self) -> Result<Instance, InstanceError> {
        positive("flops", self.flops)?;
        positive("memory", self.memory)?;
        self.model
            .check()
            .map_err(|(field, m)| invalid(format!("model.{field}"), m))?;
        non_negative("quant.alpha_w", self.quant.alpha_w)?;
        non_negative("quant.alpha_kv", self.quant.alpha_kv)?;
        positive("quant.beta", self.quant.beta)?;
        let slot = |name: &str, v: f64| -> Result<u64, InstanceError> {
            non_negative(name, v)?;
            if v > MAX_SECONDS {
                return Err(invalid(name, format!("{v} s is above {MAX_SECONDS:e} s")));
            }
            secs_to_ns_i64(v)
                .map(|n| n as u64)
                .ok_or_else(|| invalid(name, format!("{v} s is out of range")))
        };
        let (t_u_ns, t_c_ns, t_d_ns) = (
            slot("t_u", self.t_u)?,
            slot("t_c", self.t_c)?,
            slot("t_d", self.t_d)?,
        );
        if t_c_ns == 0 {
            return Err(invalid("t_c", "the compute slot must be at least 1 ns"));
        }
        let mut requests = Vec::with_capacity(self.requests.len());
        let mut ids = std::collections::BTreeSet::new();
        for (i, r) in self.requests.iter().enumerate() {
            let f = |name: &str| format!("requests[{i}].{name}");
            if !ids.insert(r.id) {
                return Err(invalid(f("id"), format!("duplicate id {}", r.id)));
            }
            for (name, v) in [("prompt", r.prompt), ("output", r.output)] {
                if v == 0 || v > MAX_TOKENS {
                    return Err(invalid(
                        f(name),
                        format!("{v} tokens: must be in 1 ..= {MAX_TOKENS}"),
                    ));
                }
            }
            let budget_ns = secs_to_ns_i64(r.budget)
                .filter(|_| r.budget.abs() <= MAX_SECONDS)
                .ok_or_else(|| {
                    invalid(
                        f("budget"),
                        format!(
                            "must be a finite number of seconds in ±{MAX_SECONDS:e}, got {}",
                            r.budget
                        ),
                    )
                })?;
            non_negative(&f("rho_up"), r.rho_up)?;
            non_negative(&f("rho_down"), r.rho_down)?;
            requests.push(Candidate::new(
                r.id, r.prompt, r.output, budget_ns, r.rho_up, r.rho_down,
            ));
        }
        requests.sort_by_key(|c| c.id);
        let cost = match self.cost {
            CostName::Flops => CostSpec::Flops(FlopsCost {
                model: self.model,
                quant: self.quant,
                flop_rate: self.flops,
            }),
            CostName::Roofline(r) => {
                let arch = ModelArch {
                    dims: self.model,
                    heads: r.heads,
                    kv_heads: r.kv_heads,
                    head_dim: r.head_dim,
                    gated: r.gated,
                    vocab: r.vocab,
                    tied: r.tied,
                };
                arch.check()
                    .map_err(|(field, m)| invalid(format!("cost.{field}"), m))?;
                r.gpu
                    .check()
                    .map_err(|(field, m)| invalid(format!("cost.gpu.{field}"), m))?;
                if !(1..=crate::cost::roofline::MAX_TP).contains(&r.tp) {
                    return Err(invalid(
                        "cost.tp",
                        format!(
                            "must be in [1, {}], got {}",
                            crate::cost::roofline::MAX_TP,
                            r.tp
                        ),
                    ));
                }
                let pooled = r.tp as f64 * r.gpu.flops;
                if (self.flops - pooled).abs() > 1e-9 * pooled {
                    return Err(invalid(
                        "flops",
                        format!(
                            "must be the pooled peak tp·gpu.flops = {pooled:e} under cost: Roofline, got {:e}",
                            self.flops
                        ),
                    ));
                }
                CostSpec::Roofline(RooflineCost {
                    arch,
                    quant: self.quant,
                    gpu: r.gpu,
                    tp: r.tp,
                })
            }
        };
        Ok(Instance {
            cost: cost.build(),
            memory: self.memory,
            t_u_ns,
            t_c_ns,
            t_d_ns,
            requests,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../scenarios/examples/dftsp-nodes.ron");

    #[test]
    fn parses_the_worked_example() {
        let inst = Instance::from_ron_str(EXAMPLE).unwrap();
        assert_eq!(inst.requests.len(), 3);
        assert_eq!(inst.t_u_ns, 250_000_000);
        assert_eq!(inst.requests[1].budget_ns, 580_000_000);
        assert_eq!(inst.flops_cost().unwrap().model.d_model, 2560);
    }

    #[test]
    fn roofline_instances_round_trip_and_check_flops() {
        let mut inst = Instance::from_ron_str(EXAMPLE).unwrap();
        let roof = RooflineCost {
            arch: crate::cost::model_preset("Llama-3.2-3B").unwrap().arch(),
            quant: QuantParams {
                alpha_w: 1.0,
                alpha_kv: 1.0,
                beta: 1.0,
            },
            gpu: crate::cost::gpu_preset("L4").unwrap().params,
            tp: 2,
        };
        inst.cost = CostSpec::Roofline(roof).build();
        let text = inst.to_ron_string();
        assert!(text.contains("Roofline("), "{text}");
        let again = Instance::from_ron_str(&text).unwrap();
        assert_eq!(again, inst);
        // `flops` must be tp·gpu.flops = 2·121e12.
        let wrong = text.replace("flops: 242000000000000.0", "flops: 1e12");
        assert_ne!(wrong, text);
        let e = Instance::from_ron_str(&wrong).unwrap_err();
        assert!(
            matches!(&e, InstanceError::Invalid { field, .. } if field == "flops"),
            "{e}"
        );
    }

    #[test]
    fn round_trips_exactly() {
        let mut inst = Instance::from_ron_str(EXAMPLE).unwrap();
        inst.requests[2] = Candidate::new(9, 300, 128, 1_234_567_891, 3.3e-5, 1.7e-7);
        let again = Instance::from_ron_str(&inst.to_ron_string()).unwrap();
        assert_eq!(again, inst);
    }

    #[test]
    fn errors_name_line_and_field() {
        let e = Instance::from_ron_str("(\n  flops: 2.0,\n  bogus: 1,\n)").unwrap_err();
        assert!(matches!(e, InstanceError::Parse { line: 3, .. }), "{e}");
        // A byte-order mark is skipped; invalid UTF-8 is located; a float for an
        // integer names the field and says what it wants.
        let with_bom = format!("\u{feff}{EXAMPLE}");
        assert_eq!(
            Instance::from_ron_bytes(with_bom.as_bytes()).unwrap(),
            Instance::from_ron_str(EXAMPLE).unwrap()
        );
        let e = Instance::from_ron_bytes(b"(\n  flops: 2.0,\n  me\xffmory: 1.0)").unwrap_err();
        assert!(
            matches!(
                e,
                InstanceError::Parse {
                    line: 3,
                    column: 5,
                    ..
                }
            ),
            "{e}"
        );
        let e = Instance::from_ron_str(&EXAMPLE.replace("layers: 30", "layers: 30.0")).unwrap_err();
        assert!(e.to_string().contains("field `model.layers`"), "{e}");
        let e = Instance::from_ron_str(&EXAMPLE.replace("budget: 2.0", "budget: 2e9")).unwrap_err();
        assert!(
            e.to_string().starts_with("field `requests[0].budget`"),
            "{e}"
        );
        let e = Instance::from_ron_str(&EXAMPLE.replace("t_c: 1.5", "t_c: 0.0")).unwrap_err();
        assert!(e.to_string().starts_with("field `t_c`"), "{e}");
        let bad = EXAMPLE.replace(
            "rho_up: 1e-5, rho_down: 1e-5),\n    (id: 2",
            "rho_up: -1e-5, rho_down: 1e-5),\n    (id: 2",
        );
        let e = Instance::from_ron_str(&bad).unwrap_err();
        assert_eq!(
            e.to_string().split(':').next().unwrap(),
            "field `requests[0].rho_up`"
        );
        let e =
            Instance::from_ron_str(&EXAMPLE.replace("flops: 2.66e13", "flops: 0.0")).unwrap_err();
        assert!(e.to_string().starts_with("field `flops`"), "{e}");
        let e = Instance::from_ron_str(&EXAMPLE.replace("(id: 3", "(id: 2")).unwrap_err();
        assert!(e.to_string().contains("duplicate id 2"), "{e}");
        let e = Instance::from_ron_str(&EXAMPLE.replace("budget: 2.0", "budget: NaN")).unwrap_err();
        assert!(
            e.to_string().starts_with("field `requests[0].budget`"),
            "{e}"
        );
    }

    #[test]
    fn rho_fixed_point() {
        assert_eq!(rho_fixed(1.0), RHO_ONE);
        assert_eq!(rho_fixed(0.5), RHO_ONE / 2);
        assert_eq!(rho_fixed(1.0000001), RHO_ONE + 1);
        assert_eq!(rho_fixed(0.0), 0);
        // 1e-5·2^48 = 2 814 749 767.1… → ceil 2 814 749 768
        assert_eq!(rho_fixed(1e-5), 2_814_749_768);
    }

    #[test]
    fn rho_fixed_is_the_libm_ceil() {
        // Against `f64::ceil` itself: the smallest positive values, every
        // multiple of 2⁻⁴⁸ near a few points and its neighbours one ulp
        // either side, and a deterministic spread over (0, 1].
        let libm = |rho: f64| (rho * RHO_ONE as f64).ceil() as u64;
        let mut xs = vec![f64::MIN_POSITIVE, 5e-324, 1e-300, 1e-15, 1.0];
        for k in [1u64, 2, 3, 1 << 20, (1 << 47) + 1, RHO_ONE - 1, RHO_ONE] {
            let x = k as f64 / RHO_ONE as f64;
            xs.extend([
                x,
                f64::from_bits(x.to_bits() - 1),
                f64::from_bits(x.to_bits() + 1),
            ]);
        }
        let mut z = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..100_000 {
            z ^= z << 13;
            z ^= z >> 7;
            z ^= z << 17;
            // Uniform in (0, 1], and a log-spread copy down to 2⁻⁶⁰.
            let u = ((z >> 11) + 1) as f64 / (1u64 << 53) as f64;
            xs.extend([u, u * f64::powi(2.0, -((z % 60) as i32))]);
        }
        for x in xs.into_iter().filter(|&x| x > 0.0 && x <= 1.0) {
            assert_eq!(rho_fixed(x), libm(x), "ρ = {x:e}");
        }
    }

    #[test]
    fn token_capacity_agrees_with_the_exact_test() {
        let inst = Instance::from_ron_str(EXAMPLE).unwrap();
        let cap = inst.kv_token_capacity().unwrap();
        assert!(inst.memory_fits(cap) && !inst.memory_fits(cap + 1));
        // (6.4e11 − 0.5·4 718 592 000)/(4·30·2560) = 637 640 704 000/307 200 = 2 075 653.33 → 2 075 653
        assert_eq!(cap, 2_075_653);
    }
}
