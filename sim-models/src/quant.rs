//! Quantization methods (MODEL.md §6, paper §II-B.3 and Table II).

use serde::{Deserialize, Serialize};

/// The factors a quantization method applies to a batch (MODEL.md §6).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantParams {
    /// `α_w = weight_bits/16`, the factor on the weight bytes `m1`.
    pub alpha_w: f64,
    /// `α_kv = activation_bits/16`, the factor on the KV-cache bytes `m2`.
    pub alpha_kv: f64,
    /// `β`, the compute-time factor on `t^I + t^A`.
    pub beta: f64,
}

/// A quantization preset: bits, `β` and ΔPPL per model (MODEL.md §6 table).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantPreset {
    /// Name used in scenario files (`"W8A16"`, `"GPTQ"`, …).
    pub name: &'static str,
    /// Weight bits.
    pub weight_bits: u32,
    /// Activation (and KV-cache) bits.
    pub activation_bits: u32,
    /// Compute-time factor `β` (a **[decision]** of MODEL.md §6).
    pub beta: f64,
    /// ΔPPL per model preset name (MODEL.md §6 table).
    pub delta_ppl: [(&'static str, f64); 3],
}

/// The presets of MODEL.md §6; W4A16 ΔPPL values are the paper's Table II.
pub const QUANT_PRESETS: [QuantPreset; 4] = [
    QuantPreset {
        name: "FP16",
        weight_bits: 16,
        activation_bits: 16,
        beta: 1.0,
        delta_ppl: [("BLOOM-3B", 0.0), ("BLOOM-7.1B", 0.0), ("OPT-13B", 0.0)],
    },
    QuantPreset {
        name: "W8A16",
        weight_bits: 8,
        activation_bits: 16,
        beta: 0.75,
        delta_ppl: [("BLOOM-3B", 0.02), ("BLOOM-7.1B", 0.02), ("OPT-13B", 0.01)],
    },
    QuantPreset {
        name: "GPTQ",
        weight_bits: 4,
        activation_bits: 16,
        beta: 0.55,
        delta_ppl: [("BLOOM-3B", 0.75), ("BLOOM-7.1B", 0.54), ("OPT-13B", 0.20)],
    },
    QuantPreset {
        name: "ZQ-Local",
        weight_bits: 4,
        activation_bits: 16,
        beta: 0.55,
        delta_ppl: [("BLOOM-3B", 0.92), ("BLOOM-7.1B", 0.59), ("OPT-13B", 0.42)],
    },
];

/// Looks a quantization preset up by name (case-sensitive).
pub fn quant_preset(name: &str) -> Option<&'static QuantPreset> {
    QUANT_PRESETS.iter().find(|p| p.name == name)
}

impl QuantPreset {
    /// The memory and time factors of this preset: `α_w = w/16`, `α_kv = a/16`, `β`.
    pub fn params(&self) -> QuantParams {
        QuantParams {
            alpha_w: self.weight_bits as f64 / 16.0,
            alpha_kv: self.activation_bits as f64 / 16.0,
            beta: self.beta,
        }
    }

    /// ΔPPL of this method on the model preset with the given name, if it is one of the three.
    pub fn delta_ppl_for(&self, model: &str) -> Option<f64> {
        self.delta_ppl
            .iter()
            .find(|(m, _)| *m == model)
            .map(|&(_, d)| d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn w8a16_factors() {
        // α_w = 8/16 = 0.5, α_kv = 16/16 = 1, β = 0.75 (MODEL.md §6).
        let q = quant_preset("W8A16").unwrap().params();
        assert_eq!((q.alpha_w, q.alpha_kv, q.beta), (0.5, 1.0, 0.75));
        assert_eq!(quant_preset("GPTQ").unwrap().params().alpha_w, 0.25);
    }

    #[test]
    fn every_delta_ppl_names_a_model_preset() {
        for q in &QUANT_PRESETS {
            for (m, _) in q.delta_ppl {
                assert!(crate::cost::model_preset(m).is_some(), "{}: {m}", q.name);
            }
        }
    }

    #[test]
    fn table_ii_values() {
        assert_eq!(
            quant_preset("GPTQ").unwrap().delta_ppl_for("BLOOM-7.1B"),
            Some(0.54)
        );
        assert_eq!(
            quant_preset("ZQ-Local").unwrap().delta_ppl_for("OPT-13B"),
            Some(0.42)
        );
        assert_eq!(quant_preset("FP16").unwrap().delta_ppl_for("custom"), None);
    }
}
