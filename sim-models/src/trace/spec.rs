//! A trace as a scenario names it (the `Trace(…)` arrival process and its options).

use serde::{Deserialize, Serialize};

/// A trace to replay (MODEL.md §12, docs/workloads.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceSpec {
    /// The file; in a scenario file, a relative path is relative to the
    /// scenario file's directory.
    pub path: String,
    /// Its format.
    #[serde(default)]
    pub format: TraceFormat,
    /// Factor on the trace's times, hence on its gaps (> 0): `0.5` replays twice as fast.
    #[serde(default = "one")]
    pub time_scale: f64,
    /// Trace time skipped before replay starts, s after the first row (≥ 0):
    /// simulation time 0 is trace time `t_first + start`.
    #[serde(default)]
    pub start: f64,
    /// Most requests replayed, over every loop; `None`: no limit.
    #[serde(default)]
    pub limit: Option<u64>,
    /// Loop the trace end to end until the horizon, with period
    /// `P = span·n/(n − 1)` (docs/workloads.md).
    #[serde(default)]
    pub repeat: bool,
    /// Skip malformed rows (their count is reported) instead of failing on the first.
    #[serde(default)]
    pub skip_malformed: bool,
    /// Clamp token counts into `[1, MAX_TOKENS]` instead of failing on them.
    #[serde(default)]
    pub clamp: bool,
}

fn one() -> f64 {
    1.0
}

impl TraceSpec {
    /// A spec of `path` in `format` with every option at its default.
    pub fn new(path: impl Into<String>, format: TraceFormat) -> TraceSpec {
        TraceSpec {
            path: path.into(),
            format,
            time_scale: 1.0,
            start: 0.0,
            limit: None,
            repeat: false,
            skip_malformed: false,
            clamp: false,
        }
    }
}

/// The format of a trace file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum TraceFormat {
    /// The Azure LLM inference trace 2023: CSV whose header names
    /// `TIMESTAMP`, `ContextTokens` and `GeneratedTokens` (any order),
    /// timestamps `YYYY-MM-DD hh:mm:ss[.f…]` (up to 9 fractional digits).
    #[default]
    AzureCsv,
    /// One JSON object per line, with the named fields (blank lines are skipped).
    JsonLines {
        /// Field of the arrival time, s (a number).
        time: String,
        /// Field of the prompt length, tokens (a whole number).
        prompt: String,
        /// Field of the output length, tokens (a whole number).
        output: String,
    },
}
