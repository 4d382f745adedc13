//! The checks shared by the scenario and instance readers: range checks,
//! each returning the value or the message that the caller attaches to its
//! field; and [`read_ron`], which reads RON text (or bytes) into any serde
//! type with an error that is one line and says where — line, column, the
//! dotted field, what was expected.

/// `v` must be finite.
pub(crate) fn finite(v: f64) -> Result<f64, String> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("must be a finite number, got {v}"))
    }
}

/// `v` must be finite and > 0.
pub(crate) fn positive(v: f64) -> Result<f64, String> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(format!("must be a finite number > 0, got {v}"))
    }
}

/// `v` must be finite and ≥ 0.
pub(crate) fn non_negative(v: f64) -> Result<f64, String> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("must be a finite number in [0, ∞), got {v}"))
    }
}

/// Why RON text could not be read: where, the dotted field being read (if
/// any), and what was expected; every part one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TextError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters (a leading byte-order mark counts as one).
    pub column: usize,
    /// Dotted path of the field, e.g. `gpus.count` or `requests[2].budget`.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// Longest time a scenario or instance file may write, s (horizon, warm-up,
/// slots, latency, budgets): 10⁹ s = 10¹⁸ ns, so that `H + τ ≤ 2·10¹⁸ ns` and
/// `t_k + T_U + T_C + T_D ≤ 4·10¹⁸ ns` fit the u64 clock and the i64 budgets
/// `D_i − t_k` (< 9.2·10¹⁸).
pub const MAX_SECONDS: f64 = 1e9;

/// The UTF-8 byte-order mark.
const BOM: char = '\u{feff}';

/// Reads the bytes of a file as RON of type `T`: they must be UTF-8 (else
/// the error is at the first invalid byte); see [`read_ron`].
pub(crate) fn read_ron_bytes<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    options: &ron::Options,
) -> Result<T, TextError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => read_ron(text, options),
        Err(e) => {
            let good = e.valid_up_to();
            let text = std::str::from_utf8(&bytes[..good]).expect("valid up to here");
            let (line, column) = line_column(text, good);
            Err(TextError {
                line,
                column,
                field: None,
                message: format!(
                    "the file is not UTF-8 text: invalid byte 0x{:02x}",
                    bytes[good]
                ),
            })
        }
    }
}

/// Reads RON text as type `T`, skipping a leading byte-order mark. An
/// error names the field (tracked by `serde_path_to_error`, enum variants
/// left out), says when a number with a fraction or exponent was written
/// for an integer field, and escapes control characters.
pub(crate) fn read_ron<T: serde::de::DeserializeOwned>(
    text: &str,
    options: &ron::Options,
) -> Result<T, TextError> {
    // The mark is one character wide: columns on line 1 stay those an editor shows.
    let body = text.strip_prefix(BOM).unwrap_or(text);
    let shift = usize::from(body.len() != text.len());
    let fail = |e: ron::error::SpannedError, field: String| {
        let (line, column, field, message) = locate(body, &e, field);
        TextError {
            line,
            column: if line == 1 { column + shift } else { column },
            field,
            message,
        }
    };
    let mut de = ron::Deserializer::from_str_with_options(body, options)
        .map_err(|e| fail(e, String::new()))?;
    let mut track = serde_path_to_error::Track::new();
    let value = T::deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track));
    let value = value.map_err(|e| fail(de.span_error(e), dotted(&track.path())))?;
    de.end()
        .map_err(|e| fail(de.span_error(e), String::new()))?;
    Ok(value)
}

/// `s` with every control character (and every bidirectional-text control)
/// escaped as in Rust source (`\n`, `\u{7}`), so that a message is one line
/// and shows what the file holds.
pub(crate) fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The dotted field path of a `serde_path_to_error` path, without enum
/// variants (`requests.latency.lo`, `sweep.grid[0].path`).
fn dotted(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// Byte offset of 1-based `line` and `column` (in characters) in `text`, if inside it.
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum();
    let rest = text.get(start..)?;
    let col = column.checked_sub(1)?;
    rest.char_indices()
        .map(|(i, _)| start + i)
        .chain(std::iter::once(text.len()))
        .nth(col)
}

/// If the parser stopped at the `.`, `e` or `E` of a number written for an
/// integer field (`count: 20.0`: it read `20` and expected a comma), the
/// name of that field.
fn integer_field_at(text: &str, offset: usize) -> Option<&str> {
    let here = text[offset..].chars().next()?;
    if !matches!(here, '.' | 'e' | 'E') {
        return None;
    }
    let before = text[..offset].trim_end_matches(|c: char| c.is_ascii_digit() || c == '_');
    if before.len() == offset {
        return None; // no digit just before
    }
    let before = before
        .trim_end_matches(['+', '-'])
        .trim_end()
        .strip_suffix(':')?
        .trim_end();
    let name_start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let name = &before[name_start..];
    (!name.is_empty()).then_some(name)
}

/// Where a RON error is and what it says: line, column, the dotted field
/// (`field` as tracked, refined when the parser stopped inside a number
/// written for an integer field), and the message, all one line.
fn locate(
    text: &str,
    e: &ron::error::SpannedError,
    field: String,
) -> (usize, usize, Option<String>, String) {
    let (line, column) = (e.span.start.line, e.span.start.col);
    let (field, message) = match offset_of(text, line, column)
        .and_then(|o| integer_field_at(text, o))
    {
        Some(name) => {
            let f = if field.is_empty() {
                name.to_string()
            } else if field == name || field.ends_with(&format!(".{name}")) {
                field
            } else {
                format!("{field}.{name}")
            };
            (
                f,
                "expected an integer, found a number with a fraction or an exponent".to_string(),
            )
        }
        None => (field, e.code.to_string()),
    };
    let field = (!field.is_empty()).then(|| one_line(&field));
    (line, column, field, one_line(&message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_non_finite_values() {
        assert_eq!(positive(1e-300), Ok(1e-300));
        assert!(positive(0.0).is_err() && positive(f64::INFINITY).is_err());
        assert_eq!(non_negative(0.0), Ok(0.0));
        assert!(non_negative(-1e-300).is_err() && non_negative(f64::NAN).is_err());
        assert!(finite(-5.0).is_ok() && finite(f64::NEG_INFINITY).is_err());
    }

    #[test]
    fn messages_are_one_line() {
        assert_eq!(
            one_line("a\nb\u{7}c\u{202e}d µ"),
            "a\\nb\\u{7}c\\u{202e}d µ"
        );
    }

    #[test]
    fn any_type_reads_with_the_field_named() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Inner {
            n: u32,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            list: Vec<Inner>,
        }
        let opts = ron::Options::default();
        // `(list: [(n: 1), (n: 2.5)])`: the parser stops at the `.` (column 22).
        let e = read_ron::<Outer>("(list: [(n: 1), (n: 2.5)])", &opts).unwrap_err();
        assert_eq!((e.line, e.column), (1, 22));
        assert_eq!(e.field.as_deref(), Some("list[1].n"));
        assert!(e.message.contains("expected an integer"), "{}", e.message);
        let e = read_ron_bytes::<Outer>(b"(list: [\n(n: \xc0)])", &opts).unwrap_err();
        assert_eq!((e.line, e.column), (2, 5));
        assert!(read_ron_bytes::<Outer>(b"\xef\xbb\xbf(list: [])", &opts).is_ok());
    }
}
