//! `edgesim list`: the schedulers, model presets and quantization presets.

use std::fmt::Write as _;

use sim_models::cost::MODEL_PRESETS;
use sim_models::quant::QUANT_PRESETS;
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
    let _ = writeln!(s, "\nModel presets (model: Preset(\"NAME\")):");
    let _ = writeln!(
        s,
        "  {:<12} {:>6} {:>8} {:>8} {:>6} {:>15}",
        "name", "layers", "d_model", "d_ff", "heads", "weights (fp16)"
    );
    for m in &MODEL_PRESETS {
        let _ = writeln!(
            s,
            "  {:<12} {:>6} {:>8} {:>8} {:>6} {:>13.3} GB",
            m.name,
            m.dims.layers,
            m.dims.d_model,
            m.dims.d_ff,
            m.heads,
            m.dims.weight_bytes() / 1e9
        );
    }
    let _ = writeln!(s, "\nQuantization presets (quant: Preset(\"NAME\")):");
    let mut head = format!("  {:<10} {:>6} {:>5}", "name", "bits", "beta");
    for m in &MODEL_PRESETS {
        let _ = write!(head, " {:>16}", format!("ΔPPL {}", m.name));
    }
    let _ = writeln!(s, "{head}");
    for q in &QUANT_PRESETS {
        let mut line = format!(
            "  {:<10} {:>6} {:>5}",
            q.name,
            format!("W{}A{}", q.weight_bits, q.activation_bits),
            q.beta
        );
        for m in &MODEL_PRESETS {
            let d = q
                .delta_ppl_for(m.name)
                .map(|d| d.to_string())
                .unwrap_or_default();
            let _ = write!(line, " {d:>16}");
        }
        let _ = writeln!(s, "{line}");
    }
    s
}
