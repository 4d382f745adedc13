//! `edgesim list`: the schedulers, model, GPU and quantization presets.

use std::fmt::Write as _;

use sim_models::cost::{GPU_PRESETS, MODEL_PRESETS};
use sim_models::quant::{DELTA_PPL, QUANT_PRESETS};
use sim_schedulers::REGISTRY;

/// The text `edgesim list` prints.
pub fn text() -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Schedulers (scheduler.name; * = can solve a standalone instance):"
    );
    for e in REGISTRY {
        let star = if e.batches { "*" } else { " " };
        let options = if e.options.is_empty() {
            String::new()
        } else {
            format!(" [options: {}]", e.options.join(", "))
        };
        let _ = writeln!(s, "  {star}{:<12} {}{options}", e.name, e.description);
    }
    let _ = writeln!(
        s,
        "\nModel presets (model: Preset(\"NAME\")); cost: Flops reads layers, d_model, d_ff only:"
    );
    let _ = writeln!(
        s,
        "  {:<13} {:>6} {:>7} {:>6} {:>5} {:>8} {:>5} {:>5} {:>7} {:>5} {:>11}",
        "name",
        "layers",
        "d_model",
        "d_ff",
        "heads",
        "kv_heads",
        "d_h",
        "gated",
        "vocab",
        "tied",
        "params (B)"
    );
    for m in &MODEL_PRESETS {
        let a = m.arch();
        let _ = writeln!(
            s,
            "  {:<13} {:>6} {:>7} {:>6} {:>5} {:>8} {:>5} {:>5} {:>7} {:>5} {:>11.2}",
            m.name,
            m.dims.layers,
            m.dims.d_model,
            m.dims.d_ff,
            m.heads,
            m.kv_heads,
            m.head_dim,
            m.gated,
            m.vocab,
            m.tied,
            a.stored_params() / 1e9
        );
    }
    let _ = writeln!(
        s,
        "\nGPU presets (gpus: (gpu: Some(Preset(\"NAME\")))); dense rates; * = eta/t_0 fitted on measurements:"
    );
    let _ = writeln!(
        s,
        "  {:<21} {:>9} {:>9} {:>7} {:>9} {:>9} {:>8} {:>5} {:>5} {:>8}",
        "name",
        "fp16 TF/s",
        "int8 TO/s",
        "mem GB",
        "BW GB/s",
        "link GB/s",
        "link µs",
        "eta_F",
        "eta_B",
        "t_0 ms"
    );
    for g in &GPU_PRESETS {
        let p = g.params;
        let star = if g.fitted { "*" } else { " " };
        let _ = writeln!(
            s,
            " {star}{:<21} {:>9.1} {:>9.1} {:>7.0} {:>9.1} {:>9.3} {:>8.1} {:>5.3} {:>5.3} {:>8.3}",
            g.name,
            p.flops / 1e12,
            p.int8_ops / 1e12,
            p.memory / 1e9,
            p.bandwidth / 1e9,
            p.link_bandwidth / 1e9,
            p.link_latency * 1e6,
            p.eta_f,
            p.eta_b,
            p.t_0 * 1e3
        );
    }
    let _ = writeln!(
        s,
        "\nQuantization presets (quant: Preset(\"NAME\")); beta is used by cost: Flops only:"
    );
    for q in &QUANT_PRESETS {
        let _ = writeln!(
            s,
            "  {:<12} W{}A{:<3} beta {:<5}{}",
            q.name,
            q.weight_bits,
            q.activation_bits,
            q.beta,
            if q.reference {
                "  ΔPPL 0 on every model (the reference)"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(
        s,
        "\nΔPPL per (method, model); a pair not listed is unknown:"
    );
    for r in &DELTA_PPL {
        let _ = writeln!(
            s,
            "  {:<12} {:<12} {:>5}  {}",
            r.method, r.model, r.delta_ppl, r.source
        );
    }
    s
}
