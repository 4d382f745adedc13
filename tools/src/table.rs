//! CSV tables (the `csv` crate, RFC 4180 quoting where needed, `\n` line
//! ends): `results.csv`, `epochs.csv` and `resolve`'s table are written
//! with it, and `plot` reads any CSV file back into a [`Table`].
//!
//! Rows are serde records. Numbers are written with Rust's `{}` formatting
//! (the shortest form that reads back as the same `f64`, so the same value
//! always gives the same bytes) through [`Num`]; a value that is not finite
//! is written as an empty cell.

use std::io::Write;

use serde::{Serialize, Serializer};

/// A number as a CSV cell: Rust's `{}` (shortest round-trip) form, an empty
/// cell if it is not finite.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Num(pub f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_finite() {
            s.collect_str(&self.0)
        } else {
            s.serialize_str("")
        }
    }
}

/// A table: a header and rows of the same width, every cell a string.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows, each as long as `header`.
    pub rows: Vec<Vec<String>>,
}

/// A number as a CSV cell: shortest round-trip form, empty if not finite.
pub fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// A CSV writer over `out` with this program's settings (`\n` line ends,
/// quoting only where needed, no header taken from the records: the header
/// is written with [`csv::Writer::write_record`]).
pub fn writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out)
}

/// The CSV text of a header and serde records.
///
/// # Errors
///
/// A record that does not serialize as one CSV row.
pub fn to_csv<R: Serialize>(
    header: &[impl AsRef<[u8]>],
    rows: impl IntoIterator<Item = R>,
) -> Result<String, csv::Error> {
    let mut w = writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.serialize(r)?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes).expect("CSV of UTF-8 cells is UTF-8"))
}

impl Table {
    /// An empty table with these columns.
    pub fn new(header: Vec<String>) -> Table {
        Table {
            header,
            rows: Vec::new(),
        }
    }

    /// The index of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The CSV text, `\n` line ends.
    pub fn to_csv(&self) -> String {
        to_csv(&self.header, &self.rows).expect("rows of strings always serialize")
    }

    /// Parses CSV text whose first record is the header.
    ///
    /// # Errors
    ///
    /// A message naming the line: an empty file, a malformed record, or a
    /// row whose width differs from the header's.
    pub fn parse(text: &str) -> Result<Table, String> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut records = r.records();
        let header: Vec<String> = match records.next() {
            None => return Err("empty file: no header line".into()),
            Some(h) => h
                .map_err(|e| e.to_string())?
                .iter()
                .map(String::from)
                .collect(),
        };
        let mut rows = Vec::new();
        for rec in records {
            let rec = rec.map_err(|e| match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    pos,
                    expected_len,
                    len,
                } => format!(
                    "row {} has {len} cells, the header has {expected_len}",
                    pos.as_ref().map_or(0, |p| p.line())
                ),
                _ => e.to_string(),
            })?;
            rows.push(rec.iter().map(String::from).collect());
        }
        Ok(Table { header, rows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_quoted_cells() {
        let mut t = Table::new(vec!["a".into(), "requests.latency".into()]);
        t.rows
            .push(vec!["1.5".into(), "Uniform(lo: 0.5, hi: \"x\")".into()]);
        t.rows.push(vec![num(f64::NAN), num(0.1)]);
        let csv = t.to_csv();
        assert_eq!(
            csv,
            "a,requests.latency\n1.5,\"Uniform(lo: 0.5, hi: \"\"x\"\")\"\n,0.1\n"
        );
        assert_eq!(Table::parse(&csv).unwrap(), t);
    }

    #[test]
    fn rejects_ragged_rows() {
        let e = Table::parse("a,b\n1\n").unwrap_err();
        assert!(e.contains("row 2"), "{e}");
        assert!(Table::parse("").is_err());
    }
}
