//! Trace files (MODEL.md §12, docs/workloads.md): what a trace is in a
//! scenario ([`TraceSpec`], [`TraceFormat`]), reading its rows one at a time
//! ([`RowReader`]: the Azure LLM inference CSV and JSON lines), the pass
//! over a whole file that checks it and sums it up ([`TraceSummary`]), and
//! one column read into memory for an `Empirical` distribution ([`Columns`]).
//!
//! This module reads files only: it knows nothing of scenarios, users or
//! the simulation (the arrival sources of `crate::workload` replay what it
//! reads). Memory: a [`RowReader`] holds one row at a time, so reading a
//! trace of any length takes a fixed amount of memory.

mod columns;
mod reader;
mod spec;
mod summary;
mod timestamp;

pub use columns::{read_column, Columns};
pub use reader::{Row, RowReader, Stamp};
pub use spec::{TraceFormat, TraceSpec};
pub use summary::TraceSummary;
pub use timestamp::parse_timestamp_ns;

/// A CSV reader's error as a message without its position (the caller
/// names the line): the field count of a short or long row, or the parser's text.
pub(crate) fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields, where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { err, .. } => format!("not UTF-8: {err}"),
        _ => e.to_string(),
    }
}

/// A JSON parse error as a message without serde_json's own position (its
/// "line 1" is the row's; the caller names the file's line and the column).
pub(crate) fn json_message(e: &serde_json::Error) -> String {
    let m = e.to_string();
    match m.rfind(" at line ") {
        Some(i) => m[..i].to_string(),
        None => m,
    }
}

/// Why a trace file cannot be used: its path and, for a row, its 1-based
/// line and the column (CSV: number and header name; JSON lines: the field).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TraceError {
    /// The file cannot be opened or read.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The file as a whole is unusable (no header, no rows, …).
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A row is malformed.
    #[error("{path}:{line}: {}{message}", column.as_ref().map(|c| format!("{c}: ")).unwrap_or_default())]
    Row {
        /// The file.
        path: String,
        /// 1-based line.
        line: u64,
        /// The column, e.g. ``column 2 (`ContextTokens`)`` or ``field `time` ``.
        column: Option<String>,
        /// What is wrong.
        message: String,
    },
}
