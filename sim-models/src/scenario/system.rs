//! The resolved system: a scenario in simulation units, as the model reads it.

use super::error::ScenarioError;
use super::schema::{CostKind, Dist, Process, QueuePolicy, Scenario, UserAssign};
use super::serving::ContinuousSystem;
use super::validate::dbm_to_watts;
use std::sync::Arc;

use crate::cost::{CostModel, CostSpec, FlopsCost, GpuParams, ModelArch, ModelDims, RooflineCost};
use crate::instance::Instance;
use crate::quant::QuantParams;
use crate::radio::{ChannelModel, LinkBudget, LinkParams};
use crate::scheduler::SystemInfo;
use crate::trace::{Columns, TraceSummary};
use sim_core::RngStreams;

/// Everything of a scenario converted to simulation units (integer ns, watts,
/// model dimensions, quantization factors), built by [`Scenario::resolve`].
#[derive(Clone, Debug, PartialEq)]
pub struct System {
    /// Master seed.
    pub seed: u64,
    /// Horizon `H`, ns.
    pub horizon_ns: u64,
    /// Warm-up `W`, ns.
    pub warmup_ns: u64,
    /// Number of users `U`.
    pub users: u32,
    /// Arrival rate of one user, `λ/U`, requests/s (`Poisson`).
    pub rate_per_user: f64,
    /// Total arrival rate `λ`, requests/s (`Poisson`, `Gamma`).
    pub rate: f64,
    /// The arrival process (MODEL.md §2, §12).
    pub process: Process,
    /// How an aggregate process's requests get their users.
    pub assign: UserAssign,
    /// Mean total arrival rate over `[0, H]`, requests/s (for the run's size).
    pub arrival_rate: f64,
    /// The replayed trace's summary (`Process::Trace`).
    pub trace: Option<TraceSummary>,
    /// The columns `Empirical` distributions sample.
    pub empirical: Columns,
    /// Path loss `PL`.
    pub path_loss: f64,
    /// Uplink transmit power `p^U`, W.
    pub tx_power_w: f64,
    /// Downlink transmit power `p^D`, W.
    pub bs_power_w: f64,
    /// Uplink noise power `σ²_U = N0·B^U`, W.
    pub noise_up_w: f64,
    /// Downlink noise power `σ²_D = N0·B^D`, W.
    pub noise_down_w: f64,
    /// `B^U`, Hz.
    pub bandwidth_up: f64,
    /// `B^D`, Hz.
    pub bandwidth_down: f64,
    /// Bits per token.
    pub token_bits: u32,
    /// Prompt length distribution, tokens.
    pub prompt: Dist,
    /// Output length distribution, tokens.
    pub output: Dist,
    /// Latency requirement distribution, s.
    pub latency: Dist,
    /// Accuracy tolerance distribution, ΔPPL.
    pub accuracy: Dist,
    /// `T_U`, ns.
    pub t_u_ns: u64,
    /// `T_C`, ns (the epoch period).
    pub t_c_ns: u64,
    /// `T_D`, ns.
    pub t_d_ns: u64,
    /// Queue policy.
    pub queue: QueuePolicy,
    /// `G`.
    pub gpu_count: u32,
    /// `c`, FLOP/s per GPU.
    pub flops_per_gpu: f64,
    /// `m`, bytes per GPU.
    pub memory_per_gpu: f64,
    /// Model name.
    pub model_name: String,
    /// Model dimensions.
    pub model: ModelDims,
    /// Quantization name.
    pub quant_name: String,
    /// `α_w`, `α_kv`, `β`.
    pub quant: QuantParams,
    /// ΔPPL of the quantization on the model (`None` if unknown and accuracy is ignored).
    pub delta_ppl: Option<f64>,
    /// The cost model (MODEL.md §5, §11).
    pub cost: CostKind,
    /// The model's architecture, when known (presets; custom models with heads and vocab).
    pub arch: Option<ModelArch>,
    /// The GPU model's name and numbers, when `gpus.gpu` names one.
    pub gpu: Option<(String, GpuParams)>,
    /// Whether accuracy admission (1e) is on.
    pub accuracy_admission: bool,
    /// Largest prompt the scenario can draw (or the trace holds), tokens.
    pub max_prompt: u32,
    /// Longest output level `N_K` (or the trace's longest output), tokens.
    pub max_output: u32,
    /// The service classes with every distribution filled in (MODEL.md
    /// §12); empty when the scenario lists none (then every request draws
    /// from `prompt`, `output`, `latency`, `accuracy` and nothing is
    /// reported per class).
    pub classes: Vec<ClassSpec>,
    /// Continuous serving (MODEL.md §13); `None` = the epoch pipeline (§4).
    pub serving: Option<ContinuousSystem>,
    /// The channel model (MODEL.md §3 or §14).
    pub channel_model: ChannelModel,
    /// The link budget's coherence time, ns (`T_C` unless the scenario sets one).
    pub coherence_ns: u64,
    /// `N0`, W/Hz.
    pub noise_w_hz: f64,
}

/// A service class in simulation form: its share and its four
/// distributions, inherited ones filled in from `requests` (MODEL.md §12).
#[derive(Clone, Debug, PartialEq)]
pub struct ClassSpec {
    /// Name (checked safe for file names and CSV columns).
    pub name: String,
    /// Probability that a new request belongs to the class.
    pub share: f64,
    /// Prompt length distribution, tokens.
    pub prompt: Dist,
    /// Output length distribution, tokens.
    pub output: Dist,
    /// Latency requirement distribution, s.
    pub latency: Dist,
    /// Accuracy tolerance distribution, ΔPPL.
    pub accuracy: Dist,
}

impl System {
    /// Whether admission (1e) refuses a request that tolerates a ΔPPL of
    /// `tolerance` (MODEL.md §2): eligible iff ΔPPL ≤ ε_i, when accuracy is
    /// enforced and the ΔPPL is known.
    pub fn rejects_accuracy(&self, tolerance: f64) -> bool {
        self.accuracy_admission && self.delta_ppl.is_some_and(|d| d > tolerance)
    }

    /// The epoch's problem with no requests: pooled resources (`C = G·c`, `M = G·m`), model, slots.
    pub fn template(&self) -> Instance {
        Instance {
            cost: self.pooled_cost(),
            memory: self.gpu_count as f64 * self.memory_per_gpu,
            t_u_ns: self.t_u_ns,
            t_c_ns: self.t_c_ns,
            t_d_ns: self.t_d_ns,
            requests: Vec::new(),
        }
    }

    /// The cost model of the pooled GPUs (MODEL.md §5: `C = G·c`; §11: one
    /// tensor-parallel instance, `T = G`).
    pub fn pooled_cost(&self) -> Arc<dyn CostModel> {
        self.cost_on(self.gpu_count)
    }

    /// The cost model of one GPU on its own (no batching, MODEL.md §7; `T = 1`).
    pub fn single_gpu_cost(&self) -> Arc<dyn CostModel> {
        self.cost_on(1)
    }

    /// The cost model of one instance of `t` GPUs serving one model
    /// (continuous serving, MODEL.md §13: tensor parallel over `T` GPUs).
    /// Under `cost: Flops` this is the FLOP rate `C = T·c`, exactly the pooled
    /// model's rule (`pooled_cost` is `instance_cost(G)`).
    pub fn instance_cost(&self, t: u32) -> Arc<dyn CostModel> {
        self.cost_on(t)
    }

    /// The cost model of `gpus` GPUs serving one batch.
    fn cost_on(&self, gpus: u32) -> Arc<dyn CostModel> {
        match (self.cost, self.arch, &self.gpu) {
            (CostKind::Roofline, Some(arch), Some((_, gpu))) => CostSpec::Roofline(RooflineCost {
                arch,
                quant: self.quant,
                gpu: *gpu,
                tp: gpus,
            }),
            // Flops (a Roofline scenario without its architecture or GPU does
            // not resolve: Scenario::check refuses it).
            _ => CostSpec::Flops(FlopsCost {
                model: self.model,
                quant: self.quant,
                flop_rate: gpus as f64 * self.flops_per_gpu,
            }),
        }
        .build()
    }

    /// What a scheduler may know before the run (for building schedulers).
    pub fn system_info(&self) -> SystemInfo {
        SystemInfo {
            template: self.template(),
            gpu_count: self.gpu_count as usize,
            single_gpu_cost: self.single_gpu_cost(),
            memory_per_gpu: self.memory_per_gpu,
            max_prompt: self.max_prompt,
            max_output: self.max_output,
        }
    }

    /// The link-budget channel of this system (MODEL.md §14), its users
    /// placed from `streams`; `None` under the paper's channel.
    pub fn link_budget(&self, streams: &RngStreams) -> Option<LinkBudget> {
        match &self.channel_model {
            ChannelModel::Paper => None,
            ChannelModel::LinkBudget(spec) => Some(LinkBudget::new(
                spec,
                &LinkParams {
                    users: self.users,
                    ue_power_w: self.tx_power_w,
                    bs_power_w: self.bs_power_w,
                    noise_w_hz: self.noise_w_hz,
                    bandwidth_up: self.bandwidth_up,
                    bandwidth_down: self.bandwidth_down,
                    coherence_ns: self.coherence_ns,
                },
                streams,
            )),
        }
    }

    /// Number of epochs: every `k` with `t_k = k·T_C < H`.
    pub fn epochs(&self) -> u64 {
        self.horizon_ns.div_ceil(self.t_c_ns)
    }
}

impl Scenario {
    /// Range-checks every field (not the sweep) and converts to simulation units.
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] naming the first field out of range.
    pub fn resolve(&self) -> Result<System, ScenarioError> {
        let c = self.check()?;
        let noise_w_hz = c.noise_w_hz;
        let r = &self.requests;
        let classes: Vec<ClassSpec> = r
            .classes
            .iter()
            .map(|k| ClassSpec {
                name: k.name.clone(),
                share: k.share,
                prompt: k.prompt.clone().unwrap_or_else(|| r.prompt.clone()),
                output: k
                    .output_levels
                    .clone()
                    .unwrap_or_else(|| r.output_levels.clone()),
                latency: k.latency.clone().unwrap_or_else(|| r.latency.clone()),
                accuracy: k.accuracy.clone().unwrap_or_else(|| r.accuracy.clone()),
            })
            .collect();
        let dist_max = |d: &Dist| match d {
            Dist::Empirical { path, column } => c
                .empirical
                .column(path, column)
                .map_or(0.0, |v| v.iter().copied().fold(0.0, f64::max)),
            other => other.max_value(),
        };
        // The largest lengths any request can have: over the classes when there are some.
        let largest = |top: &Dist, of: fn(&ClassSpec) -> &Dist| {
            if classes.is_empty() {
                dist_max(top)
            } else {
                classes
                    .iter()
                    .map(|k| dist_max(of(k)))
                    .fold(f64::NEG_INFINITY, f64::max)
            }
        };
        let (max_prompt, max_output) = match &c.trace {
            // Lengths from a trace replace the distributions (MODEL.md §12).
            Some(t) => (t.max_prompt, t.max_output),
            None => (
                largest(&r.prompt, |k| &k.prompt) as u32,
                largest(&r.output_levels, |k| &k.output) as u32,
            ),
        };
        Ok(System {
            seed: self.seed,
            horizon_ns: c.horizon_ns,
            warmup_ns: c.warmup_ns,
            users: self.users.count,
            rate_per_user: self.arrivals.rate / self.users.count as f64,
            rate: self.arrivals.rate,
            process: self.arrivals.process.clone(),
            assign: self.arrivals.assign,
            arrival_rate: c.arrival_rate,
            trace: c.trace,
            empirical: c.empirical,
            path_loss: self.users.path_loss,
            tx_power_w: dbm_to_watts(self.users.tx_power_dbm),
            bs_power_w: dbm_to_watts(self.channel.bs_power_dbm),
            noise_up_w: noise_w_hz * self.channel.bandwidth_up,
            noise_down_w: noise_w_hz * self.channel.bandwidth_down,
            bandwidth_up: self.channel.bandwidth_up,
            bandwidth_down: self.channel.bandwidth_down,
            token_bits: self.channel.token_bits,
            prompt: self.requests.prompt.clone(),
            output: self.requests.output_levels.clone(),
            latency: self.requests.latency.clone(),
            accuracy: self.requests.accuracy.clone(),
            t_u_ns: c.t_u_ns,
            t_c_ns: c.t_c_ns,
            t_d_ns: c.t_d_ns,
            queue: self.queue,
            gpu_count: self.gpus.count,
            flops_per_gpu: c.flops_per_gpu,
            memory_per_gpu: c.memory_per_gpu,
            model_name: c.model_name,
            model: c.model,
            quant_name: c.quant_name,
            quant: c.quant,
            delta_ppl: c.delta_ppl,
            cost: c.cost,
            arch: c.arch,
            gpu: c.gpu,
            accuracy_admission: self.accuracy_admission,
            max_prompt,
            max_output,
            classes,
            serving: c.serving,
            channel_model: self.channel.model.clone(),
            coherence_ns: c.coherence_ns,
            noise_w_hz,
        })
    }

    /// What a scheduler may know before the run (for building schedulers).
    ///
    /// # Errors
    /// As [`Scenario::resolve`].
    pub fn system_info(&self) -> Result<SystemInfo, ScenarioError> {
        Ok(self.resolve()?.system_info())
    }
}
