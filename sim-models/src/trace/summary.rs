//! One pass over a whole trace: every row checked, and what replay and the
//! scenario checks need to know of it.

use super::reader::{RowReader, Stamp};
use super::spec::TraceSpec;
use super::TraceError;

/// What a pass over a trace file found (every row checked on the way).
#[derive(Clone, Debug, PartialEq)]
pub struct TraceSummary {
    /// Good rows, count.
    pub rows: u64,
    /// Malformed rows skipped (`skip_malformed`), count.
    pub skipped: u64,
    /// The first good row's time.
    pub first: Stamp,
    /// Time from the first good row to the last, ns.
    pub span_ns: f64,
    /// Largest prompt, tokens.
    pub max_prompt: u32,
    /// Largest output, tokens.
    pub max_output: u32,
}

impl TraceSummary {
    /// Reads the whole trace of `spec` (fixed memory).
    ///
    /// # Errors
    /// As [`RowReader::next_row`]; [`TraceError::File`] if it has no good row.
    pub fn of(spec: &TraceSpec) -> Result<TraceSummary, TraceError> {
        let mut r = RowReader::open(spec)?;
        let Some(first) = r.next_row()? else {
            return Err(TraceError::File {
                path: spec.path.clone(),
                message: format!(
                    "no request in the file{}",
                    if r.skipped() > 0 {
                        format!(" ({} malformed rows skipped)", r.skipped())
                    } else {
                        String::new()
                    }
                ),
            });
        };
        let mut s = TraceSummary {
            rows: 1,
            skipped: 0,
            first: first.at,
            span_ns: 0.0,
            max_prompt: first.prompt,
            max_output: first.output,
        };
        while let Some(row) = r.next_row()? {
            s.rows += 1;
            s.span_ns = row.at.ns_since(first.at);
            s.max_prompt = s.max_prompt.max(row.prompt);
            s.max_output = s.max_output.max(row.output);
        }
        s.skipped = r.skipped();
        Ok(s)
    }

    /// The period of the trace looped end to end, ns: `P = span·n/(n − 1)`,
    /// the span plus one mean gap, so that the looped trace keeps the
    /// trace's mean rate `(n − 1)/span` and the gap from the last row to the
    /// next loop's first is the mean gap; `None` if the trace has fewer than
    /// two rows or a zero span (it cannot be looped).
    pub fn period_ns(&self) -> Option<f64> {
        (self.rows >= 2 && self.span_ns > 0.0)
            .then(|| self.span_ns * self.rows as f64 / (self.rows - 1) as f64)
    }

    /// The trace's mean arrival rate, requests/s of trace time: `(n − 1)/span`
    /// (`None` for fewer than two rows or a zero span).
    pub fn mean_rate(&self) -> Option<f64> {
        self.period_ns().map(|p| self.rows as f64 / (p / 1e9))
    }
}
