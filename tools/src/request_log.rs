//! `requests.csv`, the per-request log of a run (`edgesim run
//! --request-log`): one row per request of the cohort (arrived at `≥ W`,
//! the requests `summary.json` counts), written when the request's fate is
//! settled — rejected at arrival (or, in continuous serving, at upload),
//! expired or dropped at an epoch (continuous: from a waiting queue),
//! delivered, or pending / in flight at the end of the run. Rows are therefore in the
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
//! | `outcome` | `on_time`, `late`, `expired`, `dropped`, `rejected_accuracy`, `pending`, `in_flight`; in continuous serving also `rejected_capacity` |
//! | `epoch` | the epoch `k` that scheduled it (empty if none did) |
//! | `first_token_s` | instant its first token was computed, s (empty if its compute had not ended) |
//! | `delivery_s` | delivery instant, s (empty if not delivered) |
//!
//! In continuous serving (`serving: Continuous`, MODEL.md §13) there are no
//! epochs: `epoch` is always empty, `first_token_s` is the end of the
//! iteration that emitted the first output token, `delivery_s` the instant
//! the last token reached the user, `expired` a request dropped from a
//! waiting queue past its deadline, `pending` one still uploading or
//! waiting (preempted ones too), `in_flight` one running or whose output is
//! still on the downlink, and the outcome `rejected_capacity` (more KV
//! blocks than an instance has) appears. Four columns follow
//! ([`CONTINUOUS_COLUMNS`]), written in continuous serving only:
//!
//! | column | meaning |
//! |---|---|
//! | `uploaded_s` | instant its prompt reached the base station and it joined an instance's queue, s (empty if still uploading or rejected for accuracy) |
//! | `admitted_s` | instant of its first admission into a running batch (the start of that iteration), s; `admitted_s − arrival_s` is the waiting time |
//! | `user_first_token_s` | instant its first output token reached the user, s; `user_first_token_s − arrival_s` is its TTFT |
//! | `preemptions` | times it was preempted (its KV freed and recomputed) |
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

/// The columns `requests.csv` adds after [`REQUEST_COLUMNS`] in continuous serving.
pub const CONTINUOUS_COLUMNS: &[&str] = &[
    "uploaded_s",
    "admitted_s",
    "user_first_token_s",
    "preemptions",
];

/// `requests.csv` being streamed under a temporary name until
/// [`RequestLog::commit`]; dropped uncommitted, it leaves nothing.
pub struct RequestLog {
    csv: csv::Writer<AtomicFile>,
    /// Class names by index (empty without classes).
    classes: Vec<String>,
    /// One buffer per column, reused.
    cells: Vec<String>,
    /// Whether the continuous-serving columns are written.
    continuous: bool,
}

impl RequestLog {
    /// Starts `dir/requests.csv` with its header; `classes` are the names of
    /// the run's service classes by index (empty without classes);
    /// `continuous` adds the [`CONTINUOUS_COLUMNS`] (continuous serving).
    ///
    /// # Errors
    ///
    /// The temporary file cannot be created or written.
    pub fn create(
        dir: &Path,
        classes: Vec<String>,
        continuous: bool,
    ) -> anyhow::Result<RequestLog> {
        let path = dir.join(REQUEST_LOG_FILE);
        let mut csv = table::writer(AtomicFile::create(&path)?);
        let extra: &[&str] = if continuous { CONTINUOUS_COLUMNS } else { &[] };
        let header: Vec<&str> = REQUEST_COLUMNS.iter().chain(extra).copied().collect();
        csv.write_record(&header)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(RequestLog {
            csv,
            classes,
            cells: vec![String::new(); header.len()],
            continuous,
        })
    }

    /// Appends the row of `r`.
    ///
    /// # Errors
    ///
    /// The file cannot be written.
    pub fn push(&mut self, r: &RequestRecord) -> anyhow::Result<()> {
        use std::fmt::Write as _;
        // The cells are formatted into buffers kept from row to row (the serde
        // path of `csv` costs about twice as much per row).
        let cells = &mut self.cells;
        for c in cells.iter_mut() {
            c.clear();
        }
        let instant = |cell: &mut String, ns: u64| {
            let _ = write!(cell, "{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000);
        };
        let _ = write!(cells[0], "{}", r.id);
        instant(&mut cells[1], r.arrival_ns);
        let _ = write!(cells[2], "{}", r.user);
        if let Some(name) = self.classes.get(r.class as usize) {
            cells[3].push_str(name);
        }
        let _ = write!(cells[4], "{}", r.prompt);
        let _ = write!(cells[5], "{}", r.output);
        instant(&mut cells[6], r.deadline_ns);
        cells[7].push_str(r.outcome.as_str());
        if let Some(k) = r.epoch {
            let _ = write!(cells[8], "{k}");
        }
        if let Some(t) = r.first_token_ns {
            instant(&mut cells[9], t);
        }
        if let Some(t) = r.delivery_ns {
            instant(&mut cells[10], t);
        }
        if self.continuous {
            for (k, t) in [r.uploaded_ns, r.admitted_ns, r.user_first_token_ns]
                .into_iter()
                .enumerate()
            {
                if let Some(t) = t {
                    instant(&mut cells[11 + k], t);
                }
            }
            let _ = write!(cells[14], "{}", r.preemptions);
        }
        self.csv
            .write_record(cells.iter())
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
    use sim_models::Outcome;

    #[test]
    fn rows_are_exact_and_empty_where_nothing_happened() {
        let tmp = tempfile::tempdir().unwrap();
        let mut log =
            RequestLog::create(tmp.path(), vec!["a".into(), "b,c".into()], false).unwrap();
        let r = RequestRecord {
            id: 7,
            arrival_ns: 12_345_678_901,
            user: 3,
            class: 1,
            prompt: 128,
            output: 64,
            deadline_ns: u64::MAX,
            outcome: Outcome::OnTime,
            epoch: Some(9),
            first_token_ns: Some(1),
            delivery_ns: Some(0),
            uploaded_ns: Some(2),
            admitted_ns: Some(3),
            user_first_token_ns: Some(4),
            preemptions: 5,
        };
        log.push(&r).unwrap();
        log.push(&RequestRecord {
            class: 5, // no such class: empty cell
            outcome: Outcome::Pending,
            epoch: None,
            first_token_ns: None,
            delivery_ns: None,
            ..r
        })
        .unwrap();
        assert!(
            !tmp.path().join(REQUEST_LOG_FILE).exists(),
            "only once committed"
        );
        log.commit().unwrap();
        let text = std::fs::read_to_string(tmp.path().join(REQUEST_LOG_FILE)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], REQUEST_COLUMNS.join(","));
        // u64::MAX ns = 18 446 744 073.709 551 615 s, every digit kept (an f64 would not);
        // a class name with a comma is quoted.
        assert_eq!(
            lines[1],
            "7,12.345678901,3,\"b,c\",128,64,18446744073.709551615,on_time,9,0.000000001,0.000000000"
        );
        assert_eq!(
            lines[2],
            "7,12.345678901,3,,128,64,18446744073.709551615,pending,,,"
        );
    }

    #[test]
    fn continuous_rows_add_their_four_columns() {
        let tmp = tempfile::tempdir().unwrap();
        let mut log = RequestLog::create(tmp.path(), Vec::new(), true).unwrap();
        let r = RequestRecord {
            id: 2,
            arrival_ns: 1,
            user: 0,
            class: 0,
            prompt: 8,
            output: 4,
            deadline_ns: 10_000_000_000,
            outcome: Outcome::Late,
            epoch: None,
            first_token_ns: Some(8192),
            delivery_ns: Some(21_632),
            uploaded_ns: Some(1),
            admitted_ns: Some(8192),
            user_first_token_ns: Some(12_832),
            preemptions: 1,
        };
        log.push(&r).unwrap();
        log.push(&RequestRecord {
            outcome: Outcome::RejectedCapacity,
            first_token_ns: None,
            delivery_ns: None,
            admitted_ns: None,
            user_first_token_ns: None,
            preemptions: 0,
            ..r
        })
        .unwrap();
        log.commit().unwrap();
        let text = std::fs::read_to_string(tmp.path().join(REQUEST_LOG_FILE)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let header: Vec<&str> = REQUEST_COLUMNS
            .iter()
            .chain(CONTINUOUS_COLUMNS)
            .copied()
            .collect();
        assert_eq!(lines[0], header.join(","));
        assert_eq!(
            lines[1],
            "2,0.000000001,0,,8,4,10.000000000,late,,0.000008192,0.000021632,\
             0.000000001,0.000008192,0.000012832,1"
        );
        assert_eq!(
            lines[2],
            "2,0.000000001,0,,8,4,10.000000000,rejected_capacity,,,,0.000000001,,,0"
        );
    }

    #[test]
    fn an_uncommitted_log_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let log = RequestLog::create(tmp.path(), Vec::new(), false).unwrap();
        drop(log);
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }
}
