//! A small CSV table (RFC 4180 quoting), written for `results.csv` and
//! `epochs.csv` and read back by `plot`.
//!
//! Numbers are written with Rust's shortest round-trip formatting (so the
//! same value always gives the same bytes); a non-finite value is written as
//! an empty cell.

use std::fmt::Write as _;

/// A table: a header and rows of the same width.
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

fn quote(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
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
        let mut s = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let cells: Vec<String> = row.iter().map(|c| quote(c)).collect();
            let _ = writeln!(s, "{}", cells.join(","));
        }
        s
    }

    /// Parses CSV text whose first record is the header.
    pub fn parse(text: &str) -> Result<Table, String> {
        let mut records = Vec::new();
        let mut record = Vec::new();
        let mut cell = String::new();
        let mut chars = text.chars().peekable();
        let mut in_quotes = false;
        let mut line = 1;
        while let Some(c) = chars.next() {
            if in_quotes {
                match c {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        cell.push('"');
                    }
                    '"' => in_quotes = false,
                    '\n' => {
                        line += 1;
                        cell.push(c)
                    }
                    _ => cell.push(c),
                }
                continue;
            }
            match c {
                '"' if cell.is_empty() => in_quotes = true,
                ',' => record.push(std::mem::take(&mut cell)),
                '\r' => {}
                '\n' => {
                    record.push(std::mem::take(&mut cell));
                    records.push(std::mem::take(&mut record));
                    line += 1;
                }
                _ => cell.push(c),
            }
        }
        if in_quotes {
            return Err(format!("line {line}: unterminated quoted cell"));
        }
        if !cell.is_empty() || !record.is_empty() {
            record.push(cell);
            records.push(record);
        }
        let mut it = records.into_iter();
        let header = it.next().ok_or("empty file: no header line")?;
        let rows: Vec<Vec<String>> = it.collect();
        for (i, r) in rows.iter().enumerate() {
            if r.len() != header.len() {
                return Err(format!(
                    "row {} has {} cells, the header has {}",
                    i + 2,
                    r.len(),
                    header.len()
                ));
            }
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
