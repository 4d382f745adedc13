//! The scheduler interface (MODEL.md §7): an epoch view in, a plan of jobs out.
//!
//! Defined here so that `sim-schedulers` depends on `sim-models` and not the
//! other way round. A scheduler never mutates simulation state; the base
//! station checks its plan ([`crate::feasibility::check_plan`]) before running it.

use std::sync::Arc;

use crate::cost::CostModel;
use crate::instance::Instance;

/// The GPU pool as a scheduler sees it at `t_k`.
#[derive(Clone, Copy, Debug)]
pub struct GpuView<'a> {
    /// Number of GPUs `G`.
    pub count: usize,
    /// The cost model of one GPU on its own (no batching's single-request jobs).
    pub single_gpu_cost: &'a dyn CostModel,
    /// Memory of one GPU, bytes, `m`.
    pub memory_per_gpu: f64,
    /// Per GPU, the absolute instant (ns) its current compute finishes (0 if idle).
    pub busy_until_ns: &'a [u64],
    /// The instant a job started this epoch begins computing, `t_k + T_U`, ns.
    pub compute_start_ns: u64,
}

impl GpuView<'_> {
    /// Whether GPU `g` has finished its previous compute by `t_k + T_U` (MODEL.md §7 nobatch).
    pub fn is_free(&self, g: usize) -> bool {
        self.busy_until_ns
            .get(g)
            .is_some_and(|&t| t <= self.compute_start_ns)
    }
}

/// Everything a scheduler may read in epoch `k`.
#[derive(Clone, Copy, Debug)]
pub struct EpochView<'a> {
    /// Epoch index `k`.
    pub epoch: u64,
    /// Scheduling instant `t_k`, ns.
    pub t_k_ns: u64,
    /// The pooled problem: resources, slots, eligible candidates in ascending id order.
    pub instance: &'a Instance,
    /// Per-GPU state, for per-GPU schedulers.
    pub gpus: GpuView<'a>,
}

/// Where a job runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// On all GPUs pooled (`C = G·c`, `M = G·m`), padded, within the compute slot.
    Pooled,
    /// On one GPU, one request, unpadded, with no compute-slot limit (no batching).
    Gpu(u32),
}

/// A set of requests run together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Where it runs.
    pub placement: Placement,
    /// Indices into `EpochView::instance.requests`.
    pub requests: Vec<usize>,
}

/// The work a scheduler did in one call (MODEL.md §7).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Work {
    /// Search nodes visited, as MODEL.md §7 counts them (0 for non-search schedulers).
    pub nodes: u64,
    /// Leaves (complete candidate batches) checked against the constraints.
    pub leaves: u64,
}

/// A scheduler's answer for one epoch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Jobs to start, in order; empty means nothing runs.
    pub jobs: Vec<Job>,
    /// The work done to find them.
    pub work: Work,
}

impl Plan {
    /// A plan of one pooled batch (or nothing, if `requests` is empty).
    pub fn pooled(mut requests: Vec<usize>, work: Work) -> Plan {
        requests.sort_unstable();
        let jobs = if requests.is_empty() {
            vec![]
        } else {
            vec![Job {
                placement: Placement::Pooled,
                requests,
            }]
        };
        Plan { jobs, work }
    }

    /// Every request index the plan schedules, ascending.
    pub fn selected(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .jobs
            .iter()
            .flat_map(|j| j.requests.iter().copied())
            .collect();
        v.sort_unstable();
        v
    }
}

/// A scheduler that cannot answer (e.g. exhaustive on too many candidates).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("scheduler {scheduler}: {message}")]
pub struct SchedulerError {
    /// The scheduler's name.
    pub scheduler: String,
    /// What went wrong.
    pub message: String,
}

/// A scheduling policy (MODEL.md §7). One implementation per file in `sim-schedulers`.
pub trait Scheduler: Send {
    /// The name used in scenario files and on the command line.
    fn name(&self) -> &str;

    /// Decides which requests run this epoch. Must be deterministic.
    ///
    /// # Errors
    /// A [`SchedulerError`] when it cannot answer (e.g. exhaustive on too many
    /// candidates); the run stops with it.
    fn schedule(&mut self, view: &EpochView<'_>) -> Result<Plan, SchedulerError>;
}

/// Calls `s.schedule(view)` and measures its wall time in ns.
///
/// # Errors
/// The scheduler's own error.
pub fn schedule_timed(
    s: &mut dyn Scheduler,
    view: &EpochView<'_>,
) -> Result<(Plan, u64), SchedulerError> {
    let start = std::time::Instant::now();
    let plan = s.schedule(view)?;
    Ok((plan, start.elapsed().as_nanos() as u64))
}

/// Which scheduler a scenario uses, with its options (MODEL.md §7).
///
/// In a file: `(name: "dftsp", z_start: All)` — the name, then the
/// scheduler's own options, which this crate does not know: each scheduler
/// (in `sim-schedulers`) reads them into its own options type with
/// [`SchedulerSpec::options`], refusing unknown ones. Enum values keep their
/// variant names (`All` is kept as `"All"`), so they read back either way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedulerSpec {
    /// Registry name: `dftsp`, `tree-search`, `exhaustive`, `exact`, `greedy`, `static`, `nobatch`.
    pub name: String,
    /// The scheduler's options, by name (e.g. `z_start`, `deadline_aware`).
    pub options: serde_json::Map<String, serde_json::Value>,
}

impl SchedulerSpec {
    /// A spec with the given name and default options.
    pub fn named(name: &str) -> SchedulerSpec {
        SchedulerSpec {
            name: name.to_string(),
            options: serde_json::Map::new(),
        }
    }

    /// This spec with option `key` set to `value` (any serializable value:
    /// `true`, `3.5`, an enum variant).
    ///
    /// # Panics
    /// If `value` does not serialize to JSON (a bug in the caller's type).
    pub fn with_option(mut self, key: &str, value: impl serde::Serialize) -> SchedulerSpec {
        let v = serde_json::to_value(value).expect("an option value serializes");
        self.options.insert(key.to_string(), v);
        self
    }

    /// Sets option `key` from RON text (`All`, `false`, `0.5`, `Uniform(lo: 1, hi: 2)`;
    /// a bare word that is not RON is taken as a string).
    ///
    /// # Errors
    /// The text is not a RON value.
    pub fn set_option_ron(&mut self, key: &str, text: &str) -> Result<(), String> {
        let v = ron_option_value(text)?;
        self.options.insert(key.to_string(), v);
        Ok(())
    }

    /// The options read into the scheduler's own type `T` (which should deny
    /// unknown fields).
    ///
    /// # Errors
    /// One line naming the option's path (`scheduler.z_start: unknown variant …`).
    pub fn options<T: serde::de::DeserializeOwned>(&self) -> Result<T, String> {
        let v = serde_json::Value::Object(self.options.clone());
        serde_path_to_error::deserialize(v).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            if inner.ends_with("there are no fields") {
                format!("scheduler.{path}: `{}` takes no options", self.name)
            } else if path == "." {
                format!("scheduler: {inner}")
            } else {
                format!("scheduler.{path}: {inner}")
            }
        })
    }
}

/// An option value as read from any format: serde first buffers an untagged
/// value, and `ron` answers that buffer with enum variants by name (`All` is
/// kept as `"All"`, `Uniform(lo: 1, hi: 2)` as `{"Uniform": {…}}`), so the
/// scheduler's own types read them back.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum OptionValue {
    Any(serde_json::Value),
}

impl<'de> serde::Deserialize<'de> for SchedulerSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = SchedulerSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a scheduler: (name: \"dftsp\", <option>: <value>, …)")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut name = None;
                let mut options = serde_json::Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "name" {
                        if name.is_some() {
                            return Err(serde::de::Error::duplicate_field("name"));
                        }
                        name = Some(map.next_value::<String>()?);
                    } else {
                        let OptionValue::Any(v) = map.next_value()?;
                        if options.insert(key.clone(), v).is_some() {
                            return Err(serde::de::Error::custom(format!(
                                "duplicate option `{key}`"
                            )));
                        }
                    }
                }
                let name = name.ok_or_else(|| serde::de::Error::missing_field("name"))?;
                Ok(SchedulerSpec { name, options })
            }
        }
        // A struct with no fixed fields beyond `name`: RON's `( … )` syntax.
        d.deserialize_struct("SchedulerSpec", &["name"], Fields)
    }
}

impl serde::Serialize for SchedulerSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // RON's `( … )` form needs static field names: option names are
        // interned once each (a handful per run, never freed).
        let mut st = s.serialize_struct("SchedulerSpec", 1 + self.options.len())?;
        st.serialize_field("name", &self.name)?;
        for (k, v) in &self.options {
            st.serialize_field(intern(k), v)?;
        }
        st.end()
    }
}

/// A `'static` copy of an option name, made once per distinct name.
fn intern(key: &str) -> &'static str {
    static NAMES: std::sync::Mutex<std::collections::BTreeSet<&'static str>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(k) = names.get(key) {
        return k;
    }
    let k: &'static str = Box::leak(key.to_string().into_boxed_str());
    names.insert(k);
    k
}

/// One option value from RON text, enum variants kept by name.
fn ron_option_value(text: &str) -> Result<serde_json::Value, String> {
    match ron::from_str::<OptionValue>(text) {
        Ok(OptionValue::Any(v)) => Ok(v),
        Err(e) => {
            let t = text.trim();
            let word = !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
            if word {
                Ok(serde_json::Value::String(t.to_string()))
            } else {
                Err(format!("`{text}`: {}", e.code))
            }
        }
    }
}

/// What a scheduler may know of the system when it is built (before any epoch).
#[derive(Clone, Debug)]
pub struct SystemInfo {
    /// The pooled resources, model, quantization and slots, with no requests.
    pub template: Instance,
    /// Number of GPUs `G`.
    pub gpu_count: usize,
    /// The cost model of one GPU on its own.
    pub single_gpu_cost: Arc<dyn CostModel>,
    /// Memory of one GPU, bytes.
    pub memory_per_gpu: f64,
    /// The largest prompt length the scenario can draw, tokens.
    pub max_prompt: u32,
    /// The longest output level `N_K`, tokens.
    pub max_output: u32,
}
