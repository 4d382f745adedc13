//! `edgesim cost`: the roofline's time (MODEL.md §11) of one iteration, or of
//! a whole epoch batch, for a model, GPU, quantization and tensor-parallel
//! degree, printed as JSON — to hold the model against a measurement.

use clap::Args;
use serde::Serialize;
use sim_models::cost::roofline::{IterationLoad, IterationTime, RooflineCost, MAX_TOKENS_FLAG};
use sim_models::cost::{
    gpu_preset, kv_peak_tokens, model_preset, CostModel, GPU_PRESETS, MODEL_PRESETS,
};
use sim_models::quant::{quant_preset, QUANT_PRESETS};
use tools::failure::bad_input;

/// Options of `cost`.
#[derive(Debug, Args)]
pub struct CostArgs {
    /// Model preset (`edgesim list`).
    #[arg(long)]
    pub model: String,
    /// GPU preset (`edgesim list`).
    #[arg(long)]
    pub gpu: String,
    /// Quantization preset (`edgesim list`).
    #[arg(long, default_value = "FP16")]
    pub quant: String,
    /// Tensor-parallel degree T (GPUs serving one model instance).
    #[arg(long, default_value_t = 1)]
    pub tp: u32,
    /// Prefill part of one iteration: COUNTxTOKENS (COUNT prompts of TOKENS
    /// tokens each, prefilled whole), e.g. `8x512`; repeatable.
    #[arg(long)]
    pub prefill: Vec<String>,
    /// Decode part of one iteration: COUNT@CONTEXT (COUNT sequences decoding
    /// one token, holding CONTEXT tokens after it), e.g. `32@1024`; repeatable.
    #[arg(long)]
    pub decode: Vec<String>,
    /// Instead of one iteration, a whole epoch batch (MODEL.md §11) padded to
    /// this prompt length s'; needs `--outputs`.
    #[arg(long, conflicts_with_all = ["prefill", "decode"])]
    pub epoch: Option<u32>,
    /// The epoch batch's requests per output length: COUNTxN,…, e.g. `4x128,2x256`.
    #[arg(long, requires = "epoch")]
    pub outputs: Option<String>,
}

/// What `cost` prints for one iteration.
#[derive(Debug, Serialize)]
struct IterationOut<'a> {
    model: &'a str,
    gpu: &'a str,
    quant: &'a str,
    tp: u32,
    kind: &'static str,
    #[serde(flatten)]
    time: IterationTime,
}

/// One output level of an epoch batch.
#[derive(Debug, Serialize)]
struct LevelOut {
    output: u32,
    count: u64,
    /// Seconds from the batch's start to these requests' last token.
    finish: f64,
}

/// What `cost --epoch` prints.
#[derive(Debug, Serialize)]
struct EpochOut<'a> {
    model: &'a str,
    gpu: &'a str,
    quant: &'a str,
    tp: u32,
    kind: &'static str,
    s_pad: u32,
    requests: u64,
    prefill: IterationTime,
    first_token: f64,
    levels: Vec<LevelOut>,
    t_batch: f64,
    iterations: u32,
    weight_bytes: f64,
    kv_peak_bytes: f64,
    memory_needed: f64,
    memory_pooled: f64,
    fits: bool,
}

fn parse_pair(flag: &str, text: &str, sep: char, shape: &str) -> anyhow::Result<(u64, u64)> {
    let bad = || {
        bad_input(format!(
            "--{flag}: expected {shape}, two whole numbers ≥ 1 (at most {MAX_TOKENS_FLAG}), got `{text}`"
        ))
    };
    let (a, b) = text.trim().split_once(sep).ok_or_else(bad)?;
    let num = |s: &str| -> anyhow::Result<u64> {
        s.trim()
            .parse::<u64>()
            .ok()
            .filter(|v| (1..=MAX_TOKENS_FLAG).contains(v))
            .ok_or_else(bad)
    };
    Ok((num(a)?, num(b)?))
}

/// The roofline of `--model`, `--gpu`, `--quant`, `--tp`; errors name the flag.
///
/// # Errors
/// Bad input: an unknown preset or a TP degree out of range.
pub fn build(model: &str, gpu: &str, quant: &str, tp: u32) -> anyhow::Result<RooflineCost> {
    let names = |v: Vec<&str>| v.join(", ");
    let m = model_preset(model).ok_or_else(|| {
        bad_input(format!(
            "--model: unknown preset {model:?}; presets: {}",
            names(MODEL_PRESETS.iter().map(|p| p.name).collect())
        ))
    })?;
    let g = gpu_preset(gpu).ok_or_else(|| {
        bad_input(format!(
            "--gpu: unknown preset {gpu:?}; presets: {}",
            names(GPU_PRESETS.iter().map(|p| p.name).collect())
        ))
    })?;
    let q = quant_preset(quant).ok_or_else(|| {
        bad_input(format!(
            "--quant: unknown preset {quant:?}; presets: {}",
            names(QUANT_PRESETS.iter().map(|p| p.name).collect())
        ))
    })?;
    let max = sim_models::cost::roofline::MAX_TP;
    if !(1..=max).contains(&tp) {
        return Err(bad_input(format!("--tp: must be in [1, {max}], got {tp}")));
    }
    Ok(RooflineCost {
        arch: m.arch(),
        quant: q.params(),
        gpu: g.params,
        tp,
    })
}

/// The JSON line `cost` prints.
///
/// # Errors
/// Bad input: an unknown preset, a malformed `--prefill`/`--decode`/`--outputs`,
/// or neither an iteration nor an epoch given.
pub fn run(a: &CostArgs) -> anyhow::Result<String> {
    let c = build(&a.model, &a.gpu, &a.quant, a.tp)?;
    if let Some(s_pad) = a.epoch {
        if s_pad == 0 || s_pad as u64 > MAX_TOKENS_FLAG {
            return Err(bad_input(format!(
                "--epoch: the padded prompt length must be in [1, {MAX_TOKENS_FLAG}], got {s_pad}"
            )));
        }
        let text = a
            .outputs
            .as_deref()
            .ok_or_else(|| bad_input("--outputs: needed with --epoch (e.g. 4x128,2x256)"))?;
        let mut levels: Vec<(u32, u64)> = Vec::new();
        for part in text.split(',') {
            let (count, n) = parse_pair("outputs", part, 'x', "COUNTxN")?;
            match levels.iter_mut().find(|l| l.0 as u64 == n) {
                Some(l) => l.1 += count,
                None => levels.push((n as u32, count)),
            }
        }
        levels.sort_unstable();
        let requests: u64 = levels.iter().map(|l| l.1).sum();
        let longest = levels.last().map(|l| l.0).unwrap_or(1);
        let kv_peak = kv_peak_tokens(s_pad, &levels) as f64 * c.kv_bytes_per_token();
        let weights = c.weight_bytes();
        let pooled = c.tp as f64 * c.gpu.memory;
        let out = EpochOut {
            model: &a.model,
            gpu: &a.gpu,
            quant: &a.quant,
            tp: a.tp,
            kind: "epoch",
            s_pad,
            requests,
            prefill: c.iteration(&IterationLoad::prefill(requests, s_pad as u64)),
            first_token: c.elapsed_secs(s_pad, &levels, 1),
            levels: levels
                .iter()
                .map(|&(n, count)| LevelOut {
                    output: n,
                    count,
                    finish: c.elapsed_secs(s_pad, &levels, n),
                })
                .collect(),
            t_batch: c.elapsed_secs(s_pad, &levels, longest),
            iterations: longest,
            weight_bytes: weights,
            kv_peak_bytes: kv_peak,
            memory_needed: weights + kv_peak,
            memory_pooled: pooled,
            fits: weights + kv_peak <= pooled,
        };
        return Ok(serde_json::to_string(&out)?);
    }
    if a.prefill.is_empty() && a.decode.is_empty() {
        return Err(bad_input(
            "give the iteration (--prefill COUNTxTOKENS and/or --decode COUNT@CONTEXT) or an epoch batch (--epoch S_PAD --outputs COUNTxN,…)",
        ));
    }
    let mut load = IterationLoad::default();
    for p in &a.prefill {
        let (count, tokens) = parse_pair("prefill", p, 'x', "COUNTxTOKENS")?;
        load = load.plus(IterationLoad::prefill(count, tokens));
    }
    for d in &a.decode {
        let (count, ctx) = parse_pair("decode", d, '@', "COUNT@CONTEXT")?;
        load = load.plus(IterationLoad::decode(count, ctx));
    }
    let out = IterationOut {
        model: &a.model,
        gpu: &a.gpu,
        quant: &a.quant,
        tp: a.tp,
        kind: "iteration",
        time: c.iteration(&load),
    };
    Ok(serde_json::to_string(&out)?)
}
