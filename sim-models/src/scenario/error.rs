//! The one error type of scenario reading, checking and overriding, and
//! the helpers that make each message one line that says where.

/// Errors reading, checking or overriding a scenario.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScenarioError {
    /// The text is not RON of the scenario's shape (an unknown field, a wrong type, …).
    #[error("line {line}, column {column}: {}{message}", field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
    Parse {
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// Dotted path of the field being read, if the error is inside one.
        field: Option<String>,
        /// The parser's message (for an unknown field it names the field and the expected ones).
        message: String,
    },
    /// A well-formed value outside its range.
    #[error("field `{field}`: {message}")]
    Invalid {
        /// Dotted path of the field, e.g. `slots.t_u` or `requests.prompt.values[2]`.
        field: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A `path=value` override that names no field or whose value does not parse.
    #[error("override `{path}`: {message}")]
    Override {
        /// The dotted path given.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// An [`ScenarioError::Invalid`] for `field`.
pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        field: one_line(&field.into()),
        message: one_line(&message.into()),
    }
}

/// An [`ScenarioError::Override`] for `path`.
pub(crate) fn bad_override(path: &str, message: impl Into<String>) -> ScenarioError {
    ScenarioError::Override {
        path: one_line(path),
        message: one_line(&message.into()),
    }
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
pub(crate) fn dotted(path: &serde_path_to_error::Path) -> String {
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
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
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
pub(crate) fn locate(
    text: &str,
    e: &ron::error::SpannedError,
    field: String,
) -> (usize, usize, Option<String>, String) {
    let (line, column) = (e.span.start.line, e.span.start.col);
    let (field, message) = match offset_of(text, line, column)
        .and_then(|o| integer_field_at(text, o))
    {
        Some(name) => {
            let f = if field.is_empty() || field == name || field.ends_with(&format!(".{name}")) {
                name.to_string()
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
