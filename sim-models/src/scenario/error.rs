//! The one error type of scenario reading, checking and overriding.

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

use crate::range::one_line;

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
