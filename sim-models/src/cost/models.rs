//! Model architectures and the model presets (MODEL.md §5, §11): the
//! dimensions the paper's FLOP model reads (`L, d, d_ff`) and the rest the
//! roofline reads — query and key/value heads (grouped-query attention), head
//! size, gated FFN, vocabulary and tied embeddings.
//!
//! Every preset carries its source: the model's published `config.json`.

use serde::{Deserialize, Serialize};

use super::flops::ModelDims;

/// Largest vocabulary a model may have (keeps `d·V` exact in `f64`).
pub const MAX_VOCAB: u32 = 10_000_000;
/// Most attention heads a model may have.
pub const MAX_HEADS: u32 = 100_000;

/// A decoder-only transformer as the roofline sees it (MODEL.md §11).
///
/// Per-layer weights `P_layer = d·n_h·d_h + 2·d·n_kv·d_h + n_h·d_h·d + (3|2)·d·d_ff`
/// parameters; LM head `d·V`; KV cache `2·L·n_kv·d_h` values per token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelArch {
    /// `L`, `d`, `d_ff` (all the paper's FLOP model reads, MODEL.md §5).
    pub dims: ModelDims,
    /// Query heads `n_h`.
    pub heads: u32,
    /// Key/value heads `n_kv` (`= n_h` without grouped-query attention).
    pub kv_heads: u32,
    /// Head size `d_h` (usually `d/n_h`).
    pub head_dim: u32,
    /// Gated FFN (SwiGLU: three `d×d_ff` matrices) or not (two).
    pub gated: bool,
    /// Vocabulary `V`.
    pub vocab: u32,
    /// Whether the LM head shares the input embedding's weights.
    pub tied: bool,
}

impl ModelArch {
    /// `P_layer`, parameters of one decoder layer (attention projections and
    /// FFN; norms and biases are left out, MODEL.md §11).
    pub fn layer_params(&self) -> f64 {
        let d = self.dims.d_model as f64;
        let attn = (self.heads as f64) * (self.head_dim as f64);
        let kv = (self.kv_heads as f64) * (self.head_dim as f64);
        let ffn_mats = if self.gated { 3.0 } else { 2.0 };
        d * attn + 2.0 * d * kv + attn * d + ffn_mats * d * self.dims.d_ff as f64
    }

    /// `d·V`, parameters of the LM head (and of the input embedding).
    pub fn head_params(&self) -> f64 {
        self.dims.d_model as f64 * self.vocab as f64
    }

    /// Parameters held in memory: `L·P_layer + d·V·(1 if tied else 2)`.
    pub fn stored_params(&self) -> f64 {
        let copies = if self.tied { 1.0 } else { 2.0 };
        self.dims.layers as f64 * self.layer_params() + copies * self.head_params()
    }

    /// Parameters read by one forward pass: `L·P_layer + d·V` (the input
    /// embedding is a gather of a few rows, not a full read).
    pub fn read_params(&self) -> f64 {
        self.dims.layers as f64 * self.layer_params() + self.head_params()
    }

    /// `kv_tok = 2·L·n_kv·d_h·2`, fp16 KV-cache bytes per token held (MODEL.md §11).
    pub fn kv_bytes_per_token_fp16(&self) -> f64 {
        4.0 * self.dims.layers as f64 * self.kv_heads as f64 * self.head_dim as f64
    }

    /// Checks every field: the dimensions as [`ModelDims::check`], heads
    /// `1 ≤ n_kv ≤ n_h ≤ 10⁵` with `n_kv` dividing `n_h`, `1 ≤ d_h ≤ 10⁶`,
    /// `1 ≤ V ≤ 10⁷`.
    ///
    /// # Errors
    /// The name of the offending field (`heads`, `kv_heads`, `head_dim`, `vocab`, …) and why.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        self.dims.check()?;
        for (field, v, max) in [
            ("heads", self.heads, MAX_HEADS),
            ("kv_heads", self.kv_heads, MAX_HEADS),
            ("head_dim", self.head_dim, super::flops::MAX_D_MODEL),
            ("vocab", self.vocab, MAX_VOCAB),
        ] {
            if v == 0 || v > max {
                return Err((field, format!("must be in [1, {max}], got {v}")));
            }
        }
        if self.kv_heads > self.heads || !self.heads.is_multiple_of(self.kv_heads) {
            return Err((
                "kv_heads",
                format!(
                    "must divide the query heads ({}) (grouped-query attention), got {}",
                    self.heads, self.kv_heads
                ),
            ));
        }
        Ok(())
    }
}

/// A named model preset (MODEL.md §5, §11), with its published source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelPreset {
    /// Name used in scenario files (`"BLOOM-3B"`, `"Llama-3.1-8B"`, …).
    pub name: &'static str,
    /// `L`, `d`, `d_ff`: all that `cost: Flops` reads (MODEL.md §5).
    pub dims: ModelDims,
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
    /// Tied input and output embeddings.
    pub tied: bool,
    /// Where the numbers come from (the model's `config.json`).
    pub source: &'static str,
}

impl ModelPreset {
    /// The architecture the roofline reads.
    pub const fn arch(&self) -> ModelArch {
        ModelArch {
            dims: self.dims,
            heads: self.heads,
            kv_heads: self.kv_heads,
            head_dim: self.head_dim,
            gated: self.gated,
            vocab: self.vocab,
            tied: self.tied,
        }
    }
}

const fn dims(layers: u32, d_model: u32, d_ff: u32) -> ModelDims {
    ModelDims {
        layers,
        d_model,
        d_ff,
    }
}

/// The model presets. The first three are the paper's (Table I; FFN = 4·d,
/// `n_kv = n_h`, not gated); the others are real models with grouped-query
/// attention and SwiGLU, and the two the Splitwise measurements cover
/// (Llama-2-70B, BLOOM-176B) for `edgesim calibrate`. Field names in the
/// sources: `num_hidden_layers`/`n_layer`, `hidden_size`, `num_attention_heads`/`n_head`,
/// `num_key_value_heads`, `intermediate_size`/`ffn_dim`, `vocab_size`, `tie_word_embeddings`.
pub const MODEL_PRESETS: [ModelPreset; 10] = [
    // The HF config.json was not retrieved. Checked against BigScience's own
    // training script github.com/bigscience-workshop/bigscience
    // train/tr11-176B-ml/smaller_models/tr11c-2B5-ml.slurm (the run published
    // as bloom-3b): NLAYERS=30, NHIDDEN=2560, NHEADS=32 (d_h = 2560/32 = 80),
    // --pad-vocab-size-to 250880, no --ffn-hidden-size (Megatron's default
    // 4·d = 10240, not gated). Tied: transformers' BloomForCausalLM ("weights
    // tied to the input embeddings", _tied_weights_keys = ["lm_head.weight"]).
    ModelPreset {
        name: "BLOOM-3B",
        dims: dims(30, 2560, 10240),
        heads: 32,
        kv_heads: 32,
        head_dim: 80,
        gated: false,
        vocab: 250_880,
        tied: true,
        source: "https://huggingface.co/bigscience/bloom-3b/blob/main/config.json",
    },
    // The HF config.json was not retrieved. Checked against
    // bigscience-workshop/bigscience train/tr11-176B-ml/smaller_models/
    // tr11f-6B3-ml.slurm (the run published as bloom-7b1): NLAYERS=30,
    // NHIDDEN=4096, NHEADS=32 (d_h = 128), vocabulary padded to 250880, FFN
    // Megatron's default 4·d = 16384. Tied as BLOOM-3B.
    ModelPreset {
        name: "BLOOM-7.1B",
        dims: dims(30, 4096, 16384),
        heads: 32,
        kv_heads: 32,
        head_dim: 128,
        gated: false,
        vocab: 250_880,
        tied: true,
        source: "https://huggingface.co/bigscience/bloom-7b1/blob/main/config.json",
    },
    // The HF config.json was not retrieved. Checked against Meta's
    // facebookresearch/metaseq metaseq/launcher/opt_job_constants.py
    // ("13b": Size(40 layers, 5120, 40 heads, d_head 128), ffn_size = 4·5120
    // = 20480) and a copy of facebook/opt-13b's config.json in EasyDeL 0.0.8
    // (PyPI) configs.py (ffn_dim 20480, hidden_size 5120, 40 heads, 40 layers,
    // vocab_size 50272). Tied: transformers' OPTForCausalLM ("the lm_head
    // weight is automatically tied to the embed tokens weight").
    ModelPreset {
        name: "OPT-13B",
        dims: dims(40, 5120, 20480),
        heads: 40,
        kv_heads: 40,
        head_dim: 128,
        gated: false,
        vocab: 50_272,
        tied: true,
        source: "https://huggingface.co/facebook/opt-13b/blob/main/config.json",
    },
    // Verified against a verbatim copy of the config.json:
    // github.com/citsjtu2020/LLM-Prof sglang/Model_Config.md ("Llama-3.1-8B":
    // 32 layers, 4096, 32 heads, 8 KV heads, 14336, silu, 128256, tie false;
    // no head_dim key, so d_h = 4096/32 = 128).
    ModelPreset {
        name: "Llama-3.1-8B",
        dims: dims(32, 4096, 14336),
        heads: 32,
        kv_heads: 8,
        head_dim: 128,
        gated: true,
        vocab: 128_256,
        tied: false,
        source: "https://huggingface.co/meta-llama/Llama-3.1-8B/blob/main/config.json",
    },
    // Verified against a verbatim copy of the config.json: citsjtu2020/LLM-Prof
    // sglang/Model_Config.md ("Llama-3.2-3B": 28, 3072, 24 heads, 8 KV,
    // head_dim 128, 8192, 128256, tie true).
    ModelPreset {
        name: "Llama-3.2-3B",
        dims: dims(28, 3072, 8192),
        heads: 24,
        kv_heads: 8,
        head_dim: 128,
        gated: true,
        vocab: 128_256,
        tied: true,
        source: "https://huggingface.co/meta-llama/Llama-3.2-3B/blob/main/config.json",
    },
    // Verified against a copy of the Llama-3.2-1B-Instruct config.json (same
    // architecture as the base model): github.com/kevinstephano/
    // thunder_model_blocks hf_llama/llama_config.py (16 layers, 2048, 32
    // heads, 8 KV, head_dim 64, 8192, 128256, tie true); silvaxxx1/MyLLM_101
    // models/LLAMA/Llama3.2/Llama_configs.py agrees.
    ModelPreset {
        name: "Llama-3.2-1B",
        dims: dims(16, 2048, 8192),
        heads: 32,
        kv_heads: 8,
        head_dim: 64,
        gated: true,
        vocab: 128_256,
        tied: true,
        source: "https://huggingface.co/meta-llama/Llama-3.2-1B/blob/main/config.json",
    },
    // Verified against a verbatim copy of the config.json: citsjtu2020/LLM-Prof
    // sglang/Model_Config.md ("Qwen2.5-7B": 28, 3584, 28 heads, 4 KV, 18944,
    // 152064, tie false; d_h = 3584/28 = 128).
    ModelPreset {
        name: "Qwen2.5-7B",
        dims: dims(28, 3584, 18944),
        heads: 28,
        kv_heads: 4,
        head_dim: 128,
        gated: true,
        vocab: 152_064,
        tied: false,
        source: "https://huggingface.co/Qwen/Qwen2.5-7B/blob/main/config.json",
    },
    // Verified against a verbatim copy of the v0.3 config.json:
    // github.com/mlc-ai/mlc-llm python/mlc_llm/model/model_preset.py
    // ("mistral_7b_v03": 32, 4096, 32 heads, 8 KV, 14336, 32768, tie false).
    ModelPreset {
        name: "Mistral-7B",
        dims: dims(32, 4096, 14336),
        heads: 32,
        kv_heads: 8,
        head_dim: 128,
        gated: true,
        vocab: 32_768,
        tied: false,
        source: "https://huggingface.co/mistralai/Mistral-7B-v0.3/blob/main/config.json",
    },
    // Verified against a verbatim copy of the config.json: mlc-ai/mlc-llm
    // python/mlc_llm/model/model_preset.py ("llama2_70b": 80, 8192, 64 heads,
    // 8 KV, 28672, 32000, tie false).
    ModelPreset {
        name: "Llama-2-70B",
        dims: dims(80, 8192, 28672),
        heads: 64,
        kv_heads: 8,
        head_dim: 128,
        gated: true,
        vocab: 32_000,
        tied: false,
        source: "https://huggingface.co/meta-llama/Llama-2-70b-hf/blob/main/config.json",
    },
    // The HF config.json was not retrieved. Checked against
    // bigscience-workshop/bigscience train/tr11-176B-ml/tr11-176B-ml.slurm
    // (NHIDDEN=14336, NLAYERS=70, NHEADS=112, d_h = 128, vocabulary padded
    // to 250880, FFN Megatron's default 4·d = 57344). Tied as BLOOM-3B.
    ModelPreset {
        name: "BLOOM-176B",
        dims: dims(70, 14336, 57344),
        heads: 112,
        kv_heads: 112,
        head_dim: 128,
        gated: false,
        vocab: 250_880,
        tied: true,
        source: "https://huggingface.co/bigscience/bloom/blob/main/config.json",
    },
];

/// Looks a model preset up by its name (case-sensitive).
pub fn model_preset(name: &str) -> Option<&'static ModelPreset> {
    MODEL_PRESETS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid_and_heads_times_head_dim_is_d() {
        for p in &MODEL_PRESETS {
            p.arch()
                .check()
                .unwrap_or_else(|e| panic!("{}: {e:?}", p.name));
            // Every preset here has n_h·d_h = d (true of all ten configs).
            assert_eq!(p.heads * p.head_dim, p.dims.d_model, "{}", p.name);
            assert!(
                p.source.starts_with("https://huggingface.co/"),
                "{}",
                p.name
            );
        }
    }

    #[test]
    fn llama_3_1_8b_parameter_count() {
        let a = model_preset("Llama-3.1-8B").unwrap().arch();
        // P_layer = 4096·4096 + 2·4096·1024 + 4096·4096 + 3·4096·14336
        //         = 16 777 216 + 8 388 608 + 16 777 216 + 176 160 768 = 218 103 808
        assert_eq!(a.layer_params(), 218_103_808.0);
        // 32·218 103 808 + 2·4096·128 256 = 6 979 321 856 + 1 050 673 152 = 8 029 995 008
        // (Meta's "8B"; norms, 266 240 parameters, are left out).
        assert_eq!(a.stored_params(), 8_029_995_008.0);
        // kv_tok = 2·32·8·128·2 = 131 072 bytes per token.
        assert_eq!(a.kv_bytes_per_token_fp16(), 131_072.0);
    }

    #[test]
    fn paper_models_without_gqa_match_the_flops_weights() {
        // Without GQA and gating, L·P_layer = L·(4d² + 2·d·4d)·... = L·(4d² + 8d²)/… :
        // L·(d² + 2d² + d² + 2·d·4d) = 12·L·d², and m1/2 = L·(8d² + 4·d·4d)/2 = 12·L·d².
        for p in &MODEL_PRESETS[..3] {
            let a = p.arch();
            assert_eq!(
                2.0 * p.dims.layers as f64 * a.layer_params(),
                p.dims.weight_bytes()
            );
        }
    }

    #[test]
    fn bad_heads_are_named() {
        let mut a = MODEL_PRESETS[3].arch();
        a.kv_heads = 5;
        assert_eq!(a.check().unwrap_err().0, "kv_heads");
        a.kv_heads = 8;
        a.vocab = 0;
        assert_eq!(a.check().unwrap_err().0, "vocab");
    }
}
