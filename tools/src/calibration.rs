//! Calibration of the roofline (MODEL.md §11): measured iteration times
//! (the columns of the Splitwise `perf_model.csv`), the roofline's
//! predictions of them, and the fit of `η_F, η_B, t_0` that minimises the
//! mean absolute relative error.
//!
//! A row is one measured run: a prefill of `batch_size` prompts of
//! `prompt_size` tokens (`prompt_time`, ms), then `token_size − 1` decode
//! iterations of the same batch whose mean is `token_time` (ms); the
//! roofline predicts the first as one iteration and the second as the mean
//! of the decode iterations at contexts `prompt_size + 1 … prompt_size + token_size − 1`.
//!
//! The fit is Nelder–Mead on `(η_F, η_B, t_0)` kept inside `(0, 1]² × [0, 1 s]`,
//! started from every point of a small grid (the objective is piecewise
//! smooth: each row switches roof as the constants move), deterministic.

use std::path::Path;

use serde::Deserialize;
use sim_models::cost::{model_preset, GpuParams, IterationLoad, RooflineCost};
use sim_models::quant::QuantParams;

use crate::failure::bad_input;

/// One measured run (one CSV row), times in seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    /// The file's model name (`llama2-70b`).
    pub model: String,
    /// The model preset it maps to.
    pub preset: &'static str,
    /// The file's hardware name (`a100-80gb`).
    pub hardware: String,
    /// Prompt tokens of every request.
    pub prompt: u64,
    /// Requests in the batch.
    pub batch: u64,
    /// Output tokens per request.
    pub tokens: u64,
    /// Measured prefill time, s.
    pub prompt_time: f64,
    /// Measured mean decode iteration, s.
    pub token_time: f64,
    /// Tensor-parallel degree.
    pub tp: u32,
}

#[derive(Deserialize)]
struct Row {
    model: String,
    hardware: String,
    prompt_size: u64,
    batch_size: u64,
    token_size: u64,
    prompt_time: f64,
    token_time: f64,
    tensor_parallel: u32,
}

/// The model preset a measurement file's model name stands for.
pub fn preset_of(model: &str) -> Option<&'static str> {
    match model {
        "llama2-70b" => Some("Llama-2-70B"),
        "bloom-176b" => Some("BLOOM-176B"),
        _ => model_preset(model).map(|p| p.name),
    }
}

/// The GPU preset a measurement file's hardware name stands for
/// (`h100-80gb-pcap` is an H100 SXM under a power cap).
pub fn gpu_of(hardware: &str) -> Option<&'static str> {
    match hardware {
        "a100-80gb" => Some("A100-80GB-SXM"),
        "h100-80gb" | "h100-80gb-pcap" => Some("H100-SXM"),
        _ => None,
    }
}

/// Reads a measurement CSV (at least the columns of Splitwise's `perf_model.csv`).
///
/// # Errors
/// Bad input naming the file, the line and the column: unreadable, a
/// missing column, a value that is not a number, a count of 0, a time ≤ 0,
/// `token_size < 2`, or a model with no preset.
pub fn read_measurements(path: &Path) -> anyhow::Result<Vec<Measurement>> {
    let bytes = crate::files::read_input_bytes(path)?;
    let mut rd = csv::Reader::from_reader(bytes.as_slice());
    let csv_err = |e: csv::Error| {
        let at = e
            .position()
            .map(|p| format!(":{}", p.line()))
            .unwrap_or_default();
        bad_input(format!("{}{at}: {e}", path.display()))
    };
    let headers = rd.headers().map_err(csv_err)?.clone();
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    while rd.read_record(&mut record).map_err(csv_err)? {
        // The record's own first line (a quoted field may span lines).
        let line = record.position().map_or(0, |p| p.line());
        let r: Row = record
            .deserialize(Some(&headers))
            .map_err(|e| bad_input(format!("{}:{line}: {e}", path.display())))?;
        let bad = |col: &str, why: String| {
            bad_input(format!("{}:{line}: column `{col}`: {why}", path.display()))
        };
        for (col, v) in [
            ("prompt_size", r.prompt_size),
            ("batch_size", r.batch_size),
            ("tensor_parallel", r.tensor_parallel as u64),
        ] {
            if v == 0 || v > 1_000_000_000 {
                return Err(bad(col, format!("must be in [1, 10⁹], got {v}")));
            }
        }
        if !(2..=1_000_000_000).contains(&r.token_size) {
            return Err(bad(
                "token_size",
                format!(
                    "must be in [2, 10⁹] (a decode iteration needs a second token), got {}",
                    r.token_size
                ),
            ));
        }
        for (col, v) in [("prompt_time", r.prompt_time), ("token_time", r.token_time)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(bad(col, format!("must be a time > 0 ms, got {v}")));
            }
        }
        let preset = preset_of(&r.model).ok_or_else(|| {
            bad(
                "model",
                format!(
                    "{:?} names no model preset (llama2-70b, bloom-176b, or a preset name)",
                    r.model
                ),
            )
        })?;
        out.push(Measurement {
            model: r.model,
            preset,
            hardware: r.hardware,
            prompt: r.prompt_size,
            batch: r.batch_size,
            tokens: r.token_size,
            prompt_time: r.prompt_time / 1e3,
            token_time: r.token_time / 1e3,
            tp: r.tensor_parallel,
        });
    }
    Ok(out)
}

/// The roofline of a measurement's model on `gpu` at its TP degree, fp16.
pub fn cost_for(m: &Measurement, gpu: GpuParams) -> RooflineCost {
    RooflineCost {
        arch: model_preset(m.preset)
            .expect("preset_of returns preset names")
            .arch(),
        quant: QuantParams {
            alpha_w: 1.0,
            alpha_kv: 1.0,
            beta: 1.0,
        },
        gpu,
        tp: m.tp,
    }
}

/// The roofline's `(prompt_time, token_time)` for a measurement, s.
pub fn predict(m: &Measurement, gpu: GpuParams) -> (f64, f64) {
    let c = cost_for(m, gpu);
    let prompt = c
        .iteration(&IterationLoad::prefill(m.batch, m.prompt))
        .total;
    let decode =
        c.decode_run_secs(m.batch, m.prompt + 1, m.prompt + m.tokens - 1) / (m.tokens - 1) as f64;
    (prompt, decode)
}

/// `|predicted − measured| / measured` of both phases of every row.
pub fn errors(rows: &[Measurement], gpu: GpuParams) -> Vec<(f64, f64)> {
    rows.iter()
        .map(|m| {
            let (p, t) = predict(m, gpu);
            (
                (p - m.prompt_time).abs() / m.prompt_time,
                (t - m.token_time).abs() / m.token_time,
            )
        })
        .collect()
}

/// Mean absolute relative error over both phases of every row (the fit's objective).
pub fn objective(rows: &[Measurement], gpu: GpuParams) -> f64 {
    if rows.is_empty() {
        return 0.0;
    }
    let e = errors(rows, gpu);
    e.iter().map(|(p, t)| p + t).sum::<f64>() / (2 * e.len()) as f64
}

/// Keeps `(η_F, η_B, t_0)` in `[10⁻³, 1]² × [0, 1 s]`.
fn clamp(x: [f64; 3]) -> [f64; 3] {
    [
        x[0].clamp(1e-3, 1.0),
        x[1].clamp(1e-3, 1.0),
        x[2].clamp(0.0, 1.0),
    ]
}

fn with(gpu: GpuParams, x: [f64; 3]) -> GpuParams {
    let x = clamp(x);
    GpuParams {
        eta_f: x[0],
        eta_b: x[1],
        t_0: x[2],
        ..gpu
    }
}

/// Nelder–Mead (reflection 1, expansion 2, contraction ½, shrink ½) from `x0`
/// with initial steps `step`, for `iters` iterations.
fn nelder_mead(
    f: &dyn Fn([f64; 3]) -> f64,
    x0: [f64; 3],
    step: [f64; 3],
    iters: u32,
) -> ([f64; 3], f64) {
    let mut simplex: Vec<([f64; 3], f64)> = (0..4)
        .map(|i| {
            let mut x = x0;
            if i > 0 {
                x[i - 1] += step[i - 1];
            }
            let x = clamp(x);
            (x, f(x))
        })
        .collect();
    let lerp = |a: [f64; 3], b: [f64; 3], t: f64| -> [f64; 3] {
        clamp([
            a[0] + t * (b[0] - a[0]),
            a[1] + t * (b[1] - a[1]),
            a[2] + t * (b[2] - a[2]),
        ])
    };
    for _ in 0..iters {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let mut c = [0.0; 3];
        for (x, _) in &simplex[..3] {
            for k in 0..3 {
                c[k] += x[k] / 3.0;
            }
        }
        let worst = simplex[3];
        let xr = lerp(c, worst.0, -1.0);
        let fr = f(xr);
        if fr < simplex[0].1 {
            let xe = lerp(c, worst.0, -2.0);
            let fe = f(xe);
            simplex[3] = if fe < fr { (xe, fe) } else { (xr, fr) };
        } else if fr < simplex[2].1 {
            simplex[3] = (xr, fr);
        } else {
            let xc = lerp(c, worst.0, 0.5);
            let fc = f(xc);
            if fc < worst.1 {
                simplex[3] = (xc, fc);
            } else {
                let best = simplex[0].0;
                for s in simplex.iter_mut().skip(1) {
                    let x = lerp(best, s.0, 0.5);
                    *s = (x, f(x));
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex[0]
}

/// The fitted constants and the objective they reach.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    /// `gpu` with the fitted `η_F, η_B, t_0`.
    pub gpu: GpuParams,
    /// Mean absolute relative error on the rows fitted on.
    pub objective: f64,
}

/// Fits `η_F, η_B, t_0` of `gpu` on `rows` (MODEL.md §11).
///
/// # Errors
/// Bad input if there are no rows to fit on.
pub fn fit(rows: &[Measurement], gpu: GpuParams) -> anyhow::Result<Fit> {
    if rows.is_empty() {
        return Err(bad_input(
            "no measurement rows to fit on (check --hardware, --fit-tp, --fit-model)",
        ));
    }
    let f = |x: [f64; 3]| objective(rows, with(gpu, x));
    let mut best: Option<([f64; 3], f64)> = None;
    for ef in [0.3, 0.6, 0.9] {
        for eb in [0.3, 0.6, 0.9] {
            for t0 in [0.0, 0.005, 0.02] {
                let r = nelder_mead(&f, [ef, eb, t0], [0.1, 0.1, 0.005], 200);
                if best.is_none_or(|b| r.1 < b.1) {
                    best = Some(r);
                }
            }
        }
    }
    let (x, obj) = best.expect("the grid is not empty");
    // Polish the best start.
    let (x, obj) = {
        let r = nelder_mead(&f, x, [0.02, 0.02, 0.001], 400);
        if r.1 < obj {
            r
        } else {
            (x, obj)
        }
    };
    Ok(Fit {
        gpu: with(gpu, x),
        objective: obj,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_models::cost::gpu_preset;

    #[test]
    fn recovers_constants_from_its_own_predictions() {
        // Synthetic "measurements" made by the roofline itself with known
        // constants: the fit must find constants that reproduce them.
        let mut truth = gpu_preset("A100-80GB-SXM").unwrap().params;
        truth.eta_f = 0.55;
        truth.eta_b = 0.7;
        truth.t_0 = 0.004;
        let mut rows = Vec::new();
        for (prompt, batch, tokens, tp) in [
            (512, 1, 128, 2),
            (2048, 1, 128, 4),
            (512, 16, 128, 2),
            (8192, 1, 128, 4),
            (512, 64, 256, 2),
        ] {
            let mut m = Measurement {
                model: "llama2-70b".into(),
                preset: "Llama-2-70B",
                hardware: "a100-80gb".into(),
                prompt,
                batch,
                tokens,
                prompt_time: 1.0,
                token_time: 1.0,
                tp,
            };
            let (p, t) = predict(&m, truth);
            m.prompt_time = p;
            m.token_time = t;
            rows.push(m);
        }
        let f = fit(&rows, gpu_preset("A100-80GB-SXM").unwrap().params).unwrap();
        assert!(f.objective < 1e-3, "{f:?}");
    }
}
