//! `requests.csv`, the per-request log of a run (`edgesim run
//! --request-log`): one row per request of the cohort (arrived at `≥ W`,
//! the requests `summary.json` counts), written when the request's fate is
//! settled — rejected at arrival, expired or dropped at an epoch, delivered,
//! or pending / in flight at the end of the run. Rows are therefore in the
//! order fates are settled, not in arrival order (sort by `id` or
//! `arrival_s`).
//!
//! Columns ([`REQUEST_COLUMNS`]):
//!
//! | column | meaning |
//! |---|---|
//! | `id` | request id (arrival order) |
//! | `arrival_s` | arrival instant `a_i`, s |
//! | `user` | sending user |
//! | `class` | service class name (empty without classes) |
//! | `prompt_tokens` | `s_i` |
//! | `output_tokens` | `n_i` |
//! | `deadline_s` | `D_i = a_i + τ_i`, s |
//! | `outcome` | `on_time`, `late`, `expired`, `dropped`, `rejected_accuracy`, `pending`, `in_flight` |
//! | `epoch` | the epoch `k` that scheduled it (empty if none did) |
//! | `first_token_s` | instant its first token was computed, s (empty if its compute had not ended) |
//! | `delivery_s` | delivery instant, s (empty if not delivered) |
//!
//! Outcomes are the counts of `summary.json`, except that `expired` there
//! is `expired + dropped` here (`dropped`: left unscheduled under
//! `DropUnscheduled`). Instants are written exactly: integer ns as seconds
//! with 9 decimals (`12.345678901`), so the latency `delivery_s −
//! arrival_s` of each row is the value the histograms recorded.
//!
//! Memory stays flat: rows are streamed (the `csv` crate's buffer) to a
//! temporary file renamed to `requests.csv` only when the run completes;
//! a run that fails or is killed leaves no `requests.csv`.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use sim_models::RequestRecord;

use crate::files::AtomicFile;
use crate::table;

/// File name of the per-request log in a run's directory.
pub const REQUEST_LOG_FILE: &str = "requests.csv";

/// Header of `requests.csv`.
pub const REQUEST_COLUMNS: &[&str] = &[
    "id",
    "arrival_s",
    "user",
    "class",
    "prompt_tokens",
    "output_tokens",
    "deadline_s",
    "outcome",
    "epoch",
    "first_token_s",
    "delivery_s",
];

/// An instant in ns written exactly as seconds with 9 decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instant(pub u64);

impl Serialize for Instant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!(
            "{}.{:09}",
            self.0 / 1_000_000_000,
            self.0 % 1_000_000_000
        ))
    }
}

/// One row of `requests.csv`, in [`REQUEST_COLUMNS`] order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestRow<'a> {
    /// Request id.
    pub id: u64,
    /// Arrival instant.
    pub arrival_s: Instant,
    /// Sending user.
    pub user: u32,
    /// Class name (empty without classes).
    pub class: &'a str,
    /// Prompt length, tokens.
    pub prompt_tokens: u32,
    /// Output length, tokens.
    pub output_tokens: u32,
    /// Deadline.
    pub deadline_s: Instant,
    /// Outcome name.
    pub outcome: &'static str,
    /// Scheduling epoch.
    pub epoch: Option<u64>,
    /// First-token instant.
    pub first_token_s: Option<Instant>,
    /// Delivery instant.
    pub delivery_s: Option<Instant>,
}

/// `requests.csv` being streamed under a temporary name until
/// [`RequestLog::commit`]; dropped uncommitted, it leaves nothing.
pub struct RequestLog {
    csv: csv::Writer<AtomicFile>,
    /// Class names by index (empty without classes).
    classes: Vec<String>,
}

impl RequestLog {
    /// Starts `dir/requests.csv` with its header; `classes` are the names of
    /// the run's service classes by index (empty without classes).
    ///
    /// # Errors
    ///
    /// The temporary file cannot be created or written.
    pub fn create(dir: &Path, classes: Vec<String>) -> anyhow::Result<RequestLog> {
        let path = dir.join(REQUEST_LOG_FILE);
        let mut csv = table::writer(AtomicFile::create(&path)?);
        csv.write_record(REQUEST_COLUMNS)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(RequestLog { csv, classes })
    }

    /// Appends the row of `r`.
    ///
    /// # Errors
    ///
    /// The file cannot be written.
    pub fn push(&mut self, r: &RequestRecord) -> anyhow::Result<()> {
        let class = self
            .classes
            .get(r.class as usize)
            .map_or("", String::as_str);
        self.csv
            .serialize(RequestRow {
                id: r.id,
                arrival_s: Instant(r.arrival_ns),
                user: r.user,
                class,
                prompt_tokens: r.prompt,
                output_tokens: r.output,
                deadline_s: Instant(r.deadline_ns),
                outcome: r.outcome.as_str(),
                epoch: r.epoch,
                first_token_s: r.first_token_ns.map(Instant),
                delivery_s: r.delivery_ns.map(Instant),
            })
            .context("writing requests.csv")
    }

    /// Flushes, fsyncs and renames the file into place.
    ///
    /// # Errors
    ///
    /// The file cannot be written.
    pub fn commit(self) -> anyhow::Result<()> {
        let file = self
            .csv
            .into_inner()
            .map_err(|e| e.into_error())
            .context("writing requests.csv")?;
        file.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_exact() {
        let cell = |ns| {
            let mut w = table::writer(Vec::new());
            w.serialize([Instant(ns)]).unwrap();
            String::from_utf8(w.into_inner().unwrap()).unwrap()
        };
        assert_eq!(cell(0), "0.000000000\n");
        assert_eq!(cell(1), "0.000000001\n");
        assert_eq!(cell(12_345_678_901), "12.345678901\n");
        // u64::MAX ns = 18 446 744 073.709 551 615 s, every digit kept (an f64 would not).
        assert_eq!(cell(u64::MAX), "18446744073.709551615\n");
    }
}
