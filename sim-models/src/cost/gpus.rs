//! GPUs and the GPU presets (MODEL.md §11): peak dense rates, memory,
//! bandwidth, the interconnect used by tensor parallelism, and the
//! calibration constants `η_F, η_B, t_0` of the roofline.
//!
//! Every rate is the datasheet's *dense* figure: where a datasheet prints
//! the structured-sparsity figure (marked "with sparsity"), the preset holds
//! half of it. Each preset names its datasheet; numbers that no datasheet
//! gives (link latencies, and the calibration constants of GPUs without
//! measurements) are documented defaults and say so in `notes`.

use serde::{Deserialize, Serialize};

/// `η_F` of a preset with no measurements: a dense fp16 GEMM reaches about
/// 70 % of peak (an assumed default, not fitted; docs/cost-model.md).
pub const DEFAULT_ETA_F: f64 = 0.7;
/// `η_B` of a preset with no measurements: a streaming read reaches about
/// 80 % of peak bandwidth (an assumed default, not fitted).
pub const DEFAULT_ETA_B: f64 = 0.8;
/// `t_0` of a preset with no measurements, s (an assumed default: no overhead).
pub const DEFAULT_T_0: f64 = 0.0;

/// One GPU as the roofline sees it (MODEL.md §11). SI units throughout.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuParams {
    /// `F`, peak dense fp16/bf16 tensor FLOP/s.
    pub flops: f64,
    /// `F8`, peak dense int8 tensor OP/s (used when activations are 8-bit).
    pub int8_ops: f64,
    /// `m`, memory, bytes.
    pub memory: f64,
    /// `BW`, memory bandwidth, bytes/s.
    pub bandwidth: f64,
    /// `BW_link`, interconnect bandwidth per GPU and direction, bytes/s.
    pub link_bandwidth: f64,
    /// `λ_link`, latency of one interconnect transfer, s.
    pub link_latency: f64,
    /// `η_F ∈ (0, 1]`, achieved fraction of `F` (calibration).
    pub eta_f: f64,
    /// `η_B ∈ (0, 1]`, achieved fraction of `BW` (calibration).
    pub eta_b: f64,
    /// `t_0 ≥ 0`, fixed overhead per iteration, s (calibration).
    pub t_0: f64,
}

impl GpuParams {
    /// Checks every field: rates, memory and bandwidths finite and > 0,
    /// `λ_link ≥ 0`, `η_F, η_B ∈ (0, 1]`, `0 ≤ t_0 ≤ 10 s`.
    ///
    /// # Errors
    /// The name of the offending field and why.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for (field, v) in [
            ("flops", self.flops),
            ("int8_ops", self.int8_ops),
            ("memory", self.memory),
            ("bandwidth", self.bandwidth),
            ("link_bandwidth", self.link_bandwidth),
        ] {
            if !(v.is_finite() && v > 0.0 && v < 1e30) {
                return Err((
                    field,
                    format!("must be a finite number > 0 (and < 1e30), got {v}"),
                ));
            }
        }
        for (field, v) in [("eta_f", self.eta_f), ("eta_b", self.eta_b)] {
            if !(v > 0.0 && v <= 1.0) {
                return Err((field, format!("must be in (0, 1], got {v}")));
            }
        }
        for (field, v) in [("link_latency", self.link_latency), ("t_0", self.t_0)] {
            if !(v.is_finite() && (0.0..=10.0).contains(&v)) {
                return Err((field, format!("must be a time in [0, 10] s, got {v}")));
            }
        }
        Ok(())
    }
}

/// A named GPU preset with its sources.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GpuPreset {
    /// Name used in scenario files and on the command line.
    pub name: &'static str,
    /// Its numbers.
    pub params: GpuParams,
    /// Whether `η_F, η_B, t_0` were fitted on measurements (`edgesim calibrate`).
    pub fitted: bool,
    /// The datasheet the rates, memory and bandwidth come from.
    pub source: &'static str,
    /// What the datasheet does not give, and how each such number was chosen.
    pub notes: &'static str,
}

/// The GPU presets (MODEL.md §11). Rates are dense (no structured sparsity).
/// No NVIDIA datasheet itself could be retrieved here; the comment above each
/// preset names the retrieved copies its numbers were checked against
/// (docs/cost-model.md, "GPU presets").
pub const GPU_PRESETS: [GpuPreset; 7] = [
    // NVIDIA's page and datasheet were not retrieved. Checked against
    // huggingface.co/hardware/jetson-tx2 (8 GB, 1.33 TFLOPS) and, by
    // independent arithmetic, deviceQuery in gist r7vme/d9a3f297 (2 SMs × 128
    // = 256 CUDA cores, 128-bit memory bus) with tegrastats in gist
    // TerryTsao/fa30ba54 (GPU 1300 MHz, memory EMC 1866 MHz):
    // 256 · 1.3 GHz · 2 (FMA) · 2 (fp16×2) = 1.33 TFLOP/s and
    // 16 B · 1866 MHz · 2 (DDR) = 59.7 GB/s. (hardwareluxx.de's launch news
    // says 58.4 GB/s; the arithmetic, and MODEL.md §11's figure for the
    // paper's TX2, give 59.7.)
    GpuPreset {
        name: "Jetson-TX2",
        params: GpuParams {
            flops: 1.33e12,
            int8_ops: 1.33e12,
            memory: 8e9,
            bandwidth: 59.7e9,
            link_bandwidth: 125e6,
            link_latency: 50e-6,
            eta_f: DEFAULT_ETA_F,
            eta_b: DEFAULT_ETA_B,
            t_0: DEFAULT_T_0,
        },
        fitted: false,
        source: "https://developer.nvidia.com/embedded/jetson-tx2 (Jetson TX2 module: 256-core Pascal GPU, 8 GB 128-bit LPDDR4 at 59.7 GB/s, 10/100/1000 Ethernet); 1.33 TFLOP/s fp16 as in the paper (arXiv 2405.07140 §IV)",
        notes: "Pascal has no int8 tensor cores: F8 = F. Several TX2s serve one model over 1 Gb Ethernet (125 MB/s); its 50 µs latency is an assumed default. eta_f, eta_b, t_0: defaults, not fitted (no measurements).",
    },
    // The technical brief PDF was not retrieved. Checked against a summary of
    // it (mzph.cn/web/30785.shtml: 16 SMs, 2048 CUDA cores, 64 tensor cores,
    // 170 sparse INT8 TOPS) and copies of the Jetson module table ("64GB
    // 256-bit LPDDR5 204.8GB/s"). The fp16 42.5 is derived, not printed by a
    // retrieved source: Ampere tensor cores run fp16 at half the int8 rate
    // (A100: 312 vs 624), so 85/2; unverified as a datasheet figure.
    GpuPreset {
        name: "Jetson-AGX-Orin-64GB",
        params: GpuParams {
            flops: 42.5e12,
            int8_ops: 85e12,
            memory: 64e9,
            bandwidth: 204.8e9,
            link_bandwidth: 1.25e9,
            link_latency: 20e-6,
            eta_f: DEFAULT_ETA_F,
            eta_b: DEFAULT_ETA_B,
            t_0: DEFAULT_T_0,
        },
        fitted: false,
        source: "https://www.nvidia.com/content/dam/en-zz/Solutions/gtcf21/jetson-orin/nvidia-jetson-agx-orin-technical-brief.pdf (GPU: 170 sparse INT8 TOPS; 64 GB LPDDR5, 204.8 GB/s; 10 GbE)",
        notes: "Dense int8 = 170/2 = 85 TOPS; dense fp16 = 85/2 = 42.5 TFLOP/s [derived: int8/2, unverified] (Ampere tensor cores run fp16 at half the int8 rate); the DLAs are not counted. Link: 10 Gb Ethernet (1.25 GB/s), 20 µs latency assumed. eta_f, eta_b, t_0: defaults, not fitted.",
    },
    // The Ada whitepaper PDF was not retrieved. Checked against
    // waredb.com/processor/nvidia-geforce-rtx-4090 (fp16 tensor 165.15 dense
    // / 330.30 sparse, int8 660.60 dense, 24 GB, 1008 GB/s) and
    // holynerdvana.blogspot.com (1008 GB/s, "FP16 with sparsity 661" = the
    // fp16-accumulate sparse figure, 4 × 165.2).
    GpuPreset {
        name: "RTX-4090",
        params: GpuParams {
            flops: 165.2e12,
            int8_ops: 660.6e12,
            memory: 24e9,
            bandwidth: 1008e9,
            link_bandwidth: 32e9,
            link_latency: 10e-6,
            eta_f: DEFAULT_ETA_F,
            eta_b: DEFAULT_ETA_B,
            t_0: DEFAULT_T_0,
        },
        fitted: false,
        source: "https://images.nvidia.com/aem-dam/Solutions/geforce/ada/nvidia-ada-gpu-architecture.pdf (Appendix A, RTX 4090: fp16 tensor with fp32 accumulate 165.2 dense TFLOP/s, int8 tensor 660.6 dense TOPS, 24 GB GDDR6X, 1008 GB/s)",
        notes: "fp16 with fp32 accumulate (what inference GEMMs use; fp16 accumulate is 330.3). No NVLink: PCIe 4.0 x16, 32 GB/s per direction, 10 µs latency assumed. eta_f, eta_b, t_0: defaults, not fitted.",
    },
    // The product brief PDF was not retrieved. Checked against
    // store.sourcecode.com (L4: "INT8 Tensor Core 485 TOPS | Sparsity",
    // 24 GB, 300 GB/s, PCIe 4.0 x16) and fpsbench.com (24 GB GDDR6, 300.1
    // GB/s, PCIe 4.0 x16). fp16 242 sparse is not printed by a retrieved
    // source; it is int8/2 as on every Ada part (RTX 4090: 330.3 vs 660.6).
    GpuPreset {
        name: "L4",
        params: GpuParams {
            flops: 121e12,
            int8_ops: 242.5e12,
            memory: 24e9,
            bandwidth: 300e9,
            link_bandwidth: 32e9,
            link_latency: 10e-6,
            eta_f: DEFAULT_ETA_F,
            eta_b: DEFAULT_ETA_B,
            t_0: DEFAULT_T_0,
        },
        fitted: false,
        source: "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/l4/PB-11316-001_v01.pdf (L4 product brief, not retrieved; int8 485 TOPS with sparsity, 24 GB GDDR6, 300 GB/s, PCIe Gen4 x16 64 GB/s checked against store.sourcecode.com and fpsbench.com; fp16 [derived: int8/2, unverified])",
        notes: "Dense = half the sparsity figures: 121 TFLOP/s, 242.5 TOPS. Link: PCIe Gen4 x16, 64 GB/s both ways = 32 GB/s per direction; 10 µs latency assumed. eta_f, eta_b, t_0: defaults, not fitted.",
    },
    // The datasheet PDF was not retrieved. Checked against
    // glennklockwood.com/garden/processors/A100 (citing that datasheet:
    // fp16 312 matrix / 624 sparse, int8 624 / 1248 sparse, 80 GB HBM2e,
    // 2.039 TB/s, NVLink 300+300 GB/s) and thundercompute.com (2,039 GB/s).
    GpuPreset {
        name: "A100-80GB-SXM",
        params: GpuParams {
            flops: 312e12,
            int8_ops: 624e12,
            memory: 80e9,
            bandwidth: 2039e9,
            link_bandwidth: 300e9,
            link_latency: 2e-6,
            // `edgesim calibrate --hardware a100-80gb --fit-tp 2,4 --fit-model llama2-70b`
            // (Splitwise measurements, data/measured/splitwise_perf_model.csv).
            eta_f: 0.6794249676204845,
            eta_b: 1.0,
            t_0: 0.025885955070065397,
        },
        fitted: true,
        source: "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf (A100 80GB SXM: fp16 tensor 312 TFLOP/s dense, int8 624 TOPS dense, 80 GB HBM2e, 2039 GB/s, NVLink 600 GB/s)",
        notes: "NVLink 600 GB/s is both directions: 300 GB/s per direction; 2 µs latency assumed. eta_f, eta_b, t_0 fitted on Splitwise's Llama-2-70B TP 2 and 4 rows (docs/cost-model.md).",
    },
    // The datasheet was not retrieved. Checked against
    // glennklockwood.com/garden/processors/h100 (80 GB HBM3, 3.35 TB/s,
    // 900 GB/s NVLink, fp16 989.4 matrix / 1978.9 sparse, int8 3957.8
    // sparse), codesota.com/hardware/h100 (989 dense fp16 "from the NVIDIA
    // datasheet", 3,350 GB/s) and NVIDIA/nccl issue 1264 (NVLink4 450 GB/s
    // per direction).
    GpuPreset {
        name: "H100-SXM",
        params: GpuParams {
            flops: 989.5e12,
            int8_ops: 1979e12,
            memory: 80e9,
            bandwidth: 3.35e12,
            link_bandwidth: 450e9,
            link_latency: 2e-6,
            // `edgesim calibrate --hardware h100-80gb --fit-tp 2,4 --fit-model llama2-70b`.
            eta_f: 0.5393134954226004,
            eta_b: 1.0,
            t_0: 0.01724566052941285,
        },
        fitted: true,
        source: "https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet (H100 SXM: fp16 tensor 1979 TFLOP/s and int8 3958 TOPS with sparsity, 80 GB HBM3, 3.35 TB/s, NVLink 900 GB/s)",
        notes: "Dense = half the sparsity figures: 989.5 TFLOP/s, 1979 TOPS. NVLink 900 GB/s both ways = 450 GB/s per direction; 2 µs latency assumed. eta_f, eta_b, t_0 fitted on Splitwise's Llama-2-70B TP 2 and 4 rows on h100-80gb (docs/cost-model.md).",
    },
    // The product page was not retrieved. Checked against aiwiki.ai/wiki/
    // nvidia_h200 and gentic.news (141 GB HBM3e, 4.8 TB/s, same GH100
    // compute as H100), MLCommons inference v4.1 NVIDIA system file
    // H200-SXM-141GBx8 ("141 GB", "18x 4th Gen NVLink, 900GB/s").
    GpuPreset {
        name: "H200",
        params: GpuParams {
            flops: 989.5e12,
            int8_ops: 1979e12,
            memory: 141e9,
            bandwidth: 4.8e12,
            link_bandwidth: 450e9,
            link_latency: 2e-6,
            eta_f: DEFAULT_ETA_F,
            eta_b: DEFAULT_ETA_B,
            t_0: DEFAULT_T_0,
        },
        fitted: false,
        source: "https://www.nvidia.com/en-us/data-center/h200/ (H200 SXM: fp16 tensor 1979 TFLOP/s and int8 3958 TOPS with sparsity, 141 GB HBM3e, 4.8 TB/s, NVLink 900 GB/s)",
        notes: "Dense = half the sparsity figures. NVLink 450 GB/s per direction; 2 µs latency assumed. eta_f, eta_b, t_0: defaults, not fitted (no measurements).",
    },
];

/// Looks a GPU preset up by its name (case-sensitive).
pub fn gpu_preset(name: &str) -> Option<&'static GpuPreset> {
    GPU_PRESETS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid_and_sourced() {
        for p in &GPU_PRESETS {
            p.params
                .check()
                .unwrap_or_else(|e| panic!("{}: {e:?}", p.name));
            assert!(p.source.starts_with("https://"), "{}", p.name);
            assert!(p.params.int8_ops >= p.params.flops, "{}", p.name);
        }
    }

    #[test]
    fn bad_fields_are_named() {
        let mut g = GPU_PRESETS[0].params;
        g.eta_b = 1.5;
        assert_eq!(g.check().unwrap_err().0, "eta_b");
        g.eta_b = 0.8;
        g.bandwidth = f64::NAN;
        assert_eq!(g.check().unwrap_err().0, "bandwidth");
    }
}
