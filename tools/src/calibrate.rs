//! `edgesim calibrate`: fits the roofline's `η_F, η_B, t_0` for one GPU on
//! measured iteration times (MODEL.md §11) and prints, as JSON, the fit and
//! the mean and worst absolute relative error per phase, on the rows fitted
//! on and on the rest of that hardware's rows, per (model, TP) group.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use sim_models::cost::gpu_preset;
use tools::calibration::{errors, fit, gpu_of, read_measurements, Measurement};
use tools::failure::bad_input;

/// Options of `calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Measured times (CSV with the columns of Splitwise's perf_model.csv).
    #[arg(long, default_value = "data/measured/splitwise_perf_model.csv")]
    pub data: PathBuf,
    /// The file's hardware name whose rows are used (`a100-80gb`, `h100-80gb`, `h100-80gb-pcap`).
    #[arg(long)]
    pub hardware: String,
    /// The GPU preset whose rates are calibrated (default: the hardware's).
    #[arg(long)]
    pub gpu: Option<String>,
    /// Fit only on rows with these TP degrees (comma-separated); the others are held out.
    #[arg(long, value_delimiter = ',')]
    pub fit_tp: Vec<u32>,
    /// Fit only on rows of these models (file names, comma-separated); the others are held out.
    #[arg(long, value_delimiter = ',')]
    pub fit_model: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Constants {
    eta_f: f64,
    eta_b: f64,
    t_0: f64,
}

#[derive(Debug, Serialize)]
struct Group {
    set: &'static str,
    model: String,
    tp: u32,
    phase: &'static str,
    rows: usize,
    mean: f64,
    worst: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    hardware: String,
    gpu: String,
    fit_rows: usize,
    held_out_rows: usize,
    fit: Constants,
    objective: f64,
    groups: Vec<Group>,
}

/// The JSON `calibrate` prints.
///
/// # Errors
/// Bad input: the file cannot be read or parsed, the hardware has no rows or
/// no GPU preset, or the fit set is empty.
pub fn run(a: &CalibrateArgs) -> anyhow::Result<String> {
    let all = read_measurements(&a.data)?;
    let rows: Vec<Measurement> = all
        .into_iter()
        .filter(|m| m.hardware == a.hardware)
        .collect();
    if rows.is_empty() {
        return Err(bad_input(format!(
            "--hardware: no rows of {:?} in {}",
            a.hardware,
            a.data.display()
        )));
    }
    let gpu_name = match &a.gpu {
        Some(g) => g.clone(),
        None => gpu_of(&a.hardware)
            .ok_or_else(|| {
                bad_input(format!(
                    "--gpu: {:?} maps to no GPU preset; name one",
                    a.hardware
                ))
            })?
            .to_string(),
    };
    let gpu = gpu_preset(&gpu_name)
        .ok_or_else(|| bad_input(format!("--gpu: unknown preset {gpu_name:?} (edgesim list)")))?
        .params;
    let in_fit = |m: &Measurement| {
        (a.fit_tp.is_empty() || a.fit_tp.contains(&m.tp))
            && (a.fit_model.is_empty() || a.fit_model.contains(&m.model))
    };
    let (fit_rows, held): (Vec<Measurement>, Vec<Measurement>) = rows.into_iter().partition(in_fit);
    let f = fit(&fit_rows, gpu)?;
    let mut groups = Vec::new();
    for (set, rows) in [("fit", &fit_rows), ("held_out", &held)] {
        let mut keys: Vec<(String, u32)> = rows.iter().map(|m| (m.model.clone(), m.tp)).collect();
        keys.sort();
        keys.dedup();
        for (model, tp) in keys {
            let sub: Vec<Measurement> = rows
                .iter()
                .filter(|m| m.model == model && m.tp == tp)
                .cloned()
                .collect();
            let e = errors(&sub, f.gpu);
            for (phase, pick) in [("prompt", 0usize), ("token", 1)] {
                let v: Vec<f64> = e
                    .iter()
                    .map(|p| if pick == 0 { p.0 } else { p.1 })
                    .collect();
                groups.push(Group {
                    set,
                    model: model.clone(),
                    tp,
                    phase,
                    rows: v.len(),
                    mean: v.iter().sum::<f64>() / v.len() as f64,
                    worst: v.iter().copied().fold(0.0, f64::max),
                });
            }
        }
    }
    let report = Report {
        hardware: a.hardware.clone(),
        gpu: gpu_name,
        fit_rows: fit_rows.len(),
        held_out_rows: held.len(),
        fit: Constants {
            eta_f: f.gpu.eta_f,
            eta_b: f.gpu.eta_b,
            t_0: f.gpu.t_0,
        },
        objective: f.objective,
        groups,
    };
    Ok(serde_json::to_string_pretty(&report)?)
}
