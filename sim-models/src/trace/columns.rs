//! One column of a file read into memory, for an `Empirical` distribution.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::sync::Arc;

use super::TraceError;

/// The columns the `Empirical` distributions of a scenario sample, read
/// once (8 bytes per row each), keyed by `(path, column)`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Columns(BTreeMap<(String, String), Arc<[f64]>>);

impl Columns {
    /// The values of `column` of `path`, if read.
    pub fn column(&self, path: &str, column: &str) -> Option<Arc<[f64]>> {
        self.0.get(&(path.to_string(), column.to_string())).cloned()
    }

    /// Reads `column` of `path` (once: a second call is free), checking
    /// each value with `check`.
    ///
    /// # Errors
    /// As [`read_column`].
    pub fn load(
        &mut self,
        path: &str,
        column: &str,
        check: impl Fn(f64) -> Result<(), String>,
    ) -> Result<Arc<[f64]>, TraceError> {
        let key = (path.to_string(), column.to_string());
        if let Some(v) = self.0.get(&key) {
            return Ok(v.clone());
        }
        let v: Arc<[f64]> = read_column(path, column, check)?.into();
        self.0.insert(key, v.clone());
        Ok(v)
    }
}

/// The values of `column` of the file at `path`, in file order: a CSV file
/// with a header row naming `column`, or JSON lines (`.jsonl`, `.ndjson`)
/// whose objects have the field `column` (blank lines skipped). Each value
/// must be a number that `check` accepts.
///
/// # Errors
/// [`TraceError`] naming the file, and for a bad value its line and column.
pub fn read_column(
    path: &str,
    column: &str,
    check: impl Fn(f64) -> Result<(), String>,
) -> Result<Vec<f64>, TraceError> {
    let io = |e: &dyn std::fmt::Display| TraceError::Io {
        path: path.to_string(),
        message: e.to_string(),
    };
    let row = |line: u64, col: String, message: String| TraceError::Row {
        path: path.to_string(),
        line,
        column: Some(col),
        message,
    };
    let file = File::open(path).map_err(|e| io(&e))?;
    let mut out = Vec::new();
    let json = [".jsonl", ".ndjson"].iter().any(|x| path.ends_with(x));
    if json {
        let mut lines = BufReader::new(file);
        let mut buf = String::new();
        let mut line = 0;
        loop {
            buf.clear();
            if lines.read_line(&mut buf).map_err(|e| io(&e))? == 0 {
                break;
            }
            line += 1;
            if buf.trim().is_empty() {
                continue;
            }
            let at = || format!("field `{column}`");
            let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(buf.trim())
                .map_err(|e| {
                    row(
                        line,
                        format!("column {}", e.column()),
                        format!("not a JSON object: {}", super::json_message(&e)),
                    )
                })?;
            let v = obj
                .get(column)
                .ok_or_else(|| row(line, at(), "missing".into()))?;
            let x = v
                .as_f64()
                .ok_or_else(|| row(line, at(), format!("`{v}` is not a number")))?;
            check(x).map_err(|m| row(line, at(), m))?;
            out.push(x);
        }
    } else {
        let mut reader = csv::Reader::from_reader(BufReader::new(file));
        let header = reader.headers().map_err(|e| io(&e))?.clone();
        let c = header
            .iter()
            .position(|h| h.trim() == column)
            .ok_or_else(|| TraceError::File {
                path: path.to_string(),
                message: format!(
                    "the header has no column `{column}`; it has: {}",
                    header.iter().collect::<Vec<_>>().join(",")
                ),
            })?;
        let at = format!("column {} (`{column}`)", c + 1);
        let mut record = csv::StringRecord::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    return Err(TraceError::Row {
                        path: path.to_string(),
                        line,
                        column: None,
                        message: super::csv_message(&e),
                    });
                }
            }
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            let text = record.get(c).unwrap_or("").trim();
            let x: f64 = text
                .parse()
                .map_err(|_| row(line, at.clone(), format!("`{text}` is not a number")))?;
            check(x).map_err(|m| row(line, at.clone(), m))?;
            out.push(x);
        }
    }
    if out.is_empty() {
        return Err(TraceError::File {
            path: path.to_string(),
            message: format!("no value in column `{column}`"),
        });
    }
    Ok(out)
}
