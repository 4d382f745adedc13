//! Reading a trace's rows one at a time, each checked, with errors that name
//! the file, the line and the column.

use std::fs::File;
use std::io::{BufRead, BufReader};

use super::spec::{TraceFormat, TraceSpec};
use super::timestamp::parse_timestamp_ns;
use super::TraceError;
use crate::cost::MAX_TOKENS;

/// Largest offset of a row from the trace's first row, s: the ns clock's
/// range check of MODEL.md §2 (`MAX_SECONDS` of scenario files).
const MAX_TRACE_SECONDS: f64 = crate::range::MAX_SECONDS;

/// A row's arrival time, as the file writes it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stamp {
    /// Integer ns since 1970-01-01 (an Azure timestamp, exact).
    Ns(i64),
    /// Seconds (a JSON number).
    Secs(f64),
}

impl Stamp {
    /// `self − first`, ns, as `f64`: exact for an Azure trace up to 2⁵³ ns
    /// (104 days), one rounding of the `f64` product for JSON seconds.
    pub fn ns_since(self, first: Stamp) -> f64 {
        match (self, first) {
            (Stamp::Ns(a), Stamp::Ns(b)) => (a - b) as f64,
            (Stamp::Secs(a), Stamp::Secs(b)) => (a - b) * 1e9,
            _ => unreachable!("one file has one kind of stamp"),
        }
    }

    fn before(self, other: Stamp) -> bool {
        match (self, other) {
            (Stamp::Ns(a), Stamp::Ns(b)) => a < b,
            (Stamp::Secs(a), Stamp::Secs(b)) => a < b,
            _ => false,
        }
    }
}

/// One request of a trace.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row {
    /// 1-based line of the file.
    pub line: u64,
    /// Arrival time.
    pub at: Stamp,
    /// Prompt length `s_i`, tokens, in `[1, MAX_TOKENS]`.
    pub prompt: u32,
    /// Output length `n_i`, tokens, in `[1, MAX_TOKENS]`.
    pub output: u32,
}

enum Source {
    Csv {
        reader: csv::Reader<BufReader<File>>,
        record: csv::StringRecord,
        /// Column indices of the time, prompt and output.
        cols: [usize; 3],
        names: [String; 3],
    },
    Json {
        lines: BufReader<File>,
        buf: String,
        line: u64,
        fields: [String; 3],
    },
}

/// The rows of a trace file, read one at a time (fixed memory), each
/// checked: a time that parses, never before the previous row's, at most
/// 10⁹ s after the first row; token counts whole numbers in
/// `[1, MAX_TOKENS]` (or clamped into it, `clamp`). With `skip_malformed`,
/// a malformed row is skipped and counted ([`RowReader::skipped`]);
/// otherwise it is an error.
pub struct RowReader {
    path: String,
    source: Source,
    skip_malformed: bool,
    clamp: bool,
    skipped: u64,
    first: Option<Stamp>,
    prev: Option<Stamp>,
}

fn io(path: &str, e: impl std::fmt::Display) -> TraceError {
    TraceError::Io {
        path: path.to_string(),
        message: e.to_string(),
    }
}

impl RowReader {
    /// Opens the trace of `spec` (its path, format, `skip_malformed`, `clamp`).
    ///
    /// # Errors
    /// [`TraceError::Io`] if the file cannot be opened; [`TraceError::File`]
    /// if a CSV header lacks a column.
    pub fn open(spec: &TraceSpec) -> Result<RowReader, TraceError> {
        let path = spec.path.clone();
        let file = File::open(&path).map_err(|e| io(&path, e))?;
        let source = match &spec.format {
            TraceFormat::AzureCsv => {
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(true)
                    .from_reader(BufReader::new(file));
                let header = reader.headers().map_err(|e| io(&path, e))?.clone();
                let names = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"].map(String::from);
                let mut cols = [0; 3];
                for (c, name) in cols.iter_mut().zip(&names) {
                    *c = header
                        .iter()
                        .position(|h| h.trim() == name)
                        .ok_or_else(|| TraceError::File {
                            path: path.clone(),
                            message: format!(
                                "the header has no column `{name}` (an Azure trace has \
                                 TIMESTAMP,ContextTokens,GeneratedTokens); it has: {}",
                                header.iter().collect::<Vec<_>>().join(",")
                            ),
                        })?;
                }
                Source::Csv {
                    reader,
                    record: csv::StringRecord::new(),
                    cols,
                    names,
                }
            }
            TraceFormat::JsonLines {
                time,
                prompt,
                output,
            } => Source::Json {
                lines: BufReader::new(file),
                buf: String::new(),
                line: 0,
                fields: [time.clone(), prompt.clone(), output.clone()],
            },
        };
        Ok(RowReader {
            path,
            source,
            skip_malformed: spec.skip_malformed,
            clamp: spec.clamp,
            skipped: 0,
            first: None,
            prev: None,
        })
    }

    /// Malformed rows skipped so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The next good row, or `None` at the end of the file.
    ///
    /// # Errors
    /// [`TraceError::Row`] naming the line and column of a malformed row
    /// (unless `skip_malformed`); [`TraceError::Io`] on a read error.
    pub fn next_row(&mut self) -> Result<Option<Row>, TraceError> {
        loop {
            // A `Row` error is a malformed row (skippable); any other, a read error.
            let checked = match self.raw_row() {
                Ok(None) => return Ok(None),
                Ok(Some(r)) => self.check_order(r),
                Err(e @ TraceError::Row { .. }) => Err(e),
                Err(e) => return Err(e),
            };
            match checked {
                Ok(row) => return Ok(Some(row)),
                Err(_) if self.skip_malformed => self.skipped += 1,
                Err(e) => return Err(e),
            }
        }
    }

    fn row_error(&self, line: u64, column: Option<String>, message: String) -> TraceError {
        TraceError::Row {
            path: self.path.clone(),
            line,
            column,
            message,
        }
    }

    /// A row's time in order and within range of the first row.
    fn check_order(&mut self, row: Row) -> Result<Row, TraceError> {
        let column = self.time_column();
        let col = || Some(column.clone());
        if let Some(prev) = self.prev {
            if row.at.before(prev) {
                return Err(self.row_error(
                    row.line,
                    col(),
                    "the time is before the previous row's: a trace must be sorted by time".into(),
                ));
            }
        }
        let first = *self.first.get_or_insert(row.at);
        let off_s = row.at.ns_since(first) / 1e9;
        if off_s > MAX_TRACE_SECONDS {
            return Err(self.row_error(
                row.line,
                col(),
                format!(
                    "{off_s:e} s after the first row, more than the {MAX_TRACE_SECONDS:e} s \
                     the ns clock of a run holds"
                ),
            ));
        }
        self.prev = Some(row.at);
        Ok(row)
    }

    fn time_column(&self) -> String {
        match &self.source {
            Source::Csv { cols, names, .. } => format!("column {} (`{}`)", cols[0] + 1, names[0]),
            Source::Json { fields, .. } => format!("field `{}`", fields[0]),
        }
    }

    /// The next row parsed (not yet checked for order): a
    /// [`TraceError::Row`] is a malformed row, any other error a read error.
    fn raw_row(&mut self) -> Result<Option<Row>, TraceError> {
        let clamp = self.clamp;
        let path = self.path.clone();
        let row_err = |line: u64, column: Option<String>, message: String| TraceError::Row {
            path: path.clone(),
            line,
            column,
            message,
        };
        match &mut self.source {
            Source::Csv {
                reader,
                record,
                cols,
                names,
            } => {
                let more = match reader.read_record(record) {
                    Ok(more) => more,
                    Err(e) => {
                        let line = e.position().map(|p| p.line()).unwrap_or(0);
                        return match e.kind() {
                            csv::ErrorKind::Io(_) => Err(io(&path, e)),
                            _ => Err(row_err(line, None, super::csv_message(&e))),
                        };
                    }
                };
                if !more {
                    return Ok(None);
                }
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                let col = |i: usize| Some(format!("column {} (`{}`)", cols[i] + 1, names[i]));
                let field = |i: usize| record.get(cols[i]).unwrap_or("").trim();
                let at = parse_timestamp_ns(field(0)).map_err(|m| row_err(line, col(0), m))?;
                let mut tokens = [0u32; 2];
                for (k, t) in tokens.iter_mut().enumerate() {
                    let text = field(k + 1);
                    let v: f64 = match text.parse::<u64>() {
                        Ok(v) => v as f64,
                        Err(_) => {
                            return Err(row_err(
                                line,
                                col(k + 1),
                                format!("`{text}` is not a whole number of tokens"),
                            ))
                        }
                    };
                    *t = tokens_in_range(v, clamp).map_err(|m| row_err(line, col(k + 1), m))?;
                }
                Ok(Some(Row {
                    line,
                    at: Stamp::Ns(at),
                    prompt: tokens[0],
                    output: tokens[1],
                }))
            }
            Source::Json {
                lines,
                buf,
                line,
                fields,
            } => loop {
                buf.clear();
                let n = lines.read_line(buf).map_err(|e| io(&path, e))?;
                if n == 0 {
                    return Ok(None);
                }
                *line += 1;
                let l = *line;
                if buf.trim().is_empty() {
                    continue;
                }
                let obj: serde_json::Map<String, serde_json::Value> =
                    match serde_json::from_str(buf.trim_end_matches(['\n', '\r'])) {
                        Ok(o) => o,
                        Err(e) => {
                            return Err(row_err(
                                l,
                                Some(format!("column {}", e.column())),
                                format!("not a JSON object: {}", super::json_message(&e)),
                            ))
                        }
                    };
                let get = |i: usize| -> Result<f64, TraceError> {
                    let f = &fields[i];
                    let at = || Some(format!("field `{f}`"));
                    match obj.get(f.as_str()) {
                        None => Err(row_err(l, at(), "missing".into())),
                        Some(v) => v
                            .as_f64()
                            .ok_or_else(|| row_err(l, at(), format!("`{v}` is not a number"))),
                    }
                };
                let t = get(0)?;
                if !t.is_finite() {
                    let at = Some(format!("field `{}`", fields[0]));
                    return Err(row_err(l, at, format!("{t} is not a finite time")));
                }
                let mut tokens = [0u32; 2];
                for (k, tk) in tokens.iter_mut().enumerate() {
                    let v = get(k + 1)?;
                    let at = || Some(format!("field `{}`", fields[k + 1]));
                    if v.fract() != 0.0 {
                        return Err(row_err(
                            l,
                            at(),
                            format!("{v} is not a whole number of tokens"),
                        ));
                    }
                    *tk = tokens_in_range(v, clamp).map_err(|m| row_err(l, at(), m))?;
                }
                return Ok(Some(Row {
                    line: l,
                    at: Stamp::Secs(t),
                    prompt: tokens[0],
                    output: tokens[1],
                }));
            },
        }
    }
}

/// A token count in `[1, MAX_TOKENS]`, or clamped into it.
fn tokens_in_range(v: f64, clamp: bool) -> Result<u32, String> {
    if (1.0..=MAX_TOKENS as f64).contains(&v) {
        Ok(v as u32)
    } else if clamp && v.is_finite() {
        Ok(v.clamp(1.0, MAX_TOKENS as f64) as u32)
    } else {
        Err(format!(
            "{v} tokens is outside [1, {MAX_TOKENS}] (MAX_TOKENS); `clamp: true` clamps it"
        ))
    }
}
