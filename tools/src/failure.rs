//! Exit statuses: 2 for bad input or usage, 1 for any other failure.
//!
//! Errors travel as `anyhow::Error` with context; an error caused by what the
//! user gave (a scenario or instance file that does not parse or holds a
//! meaningless value, a bad flag value, a file that cannot be read) carries a
//! [`BadInput`] somewhere in its chain, and [`exit_code`] looks for it.

use std::fmt::Display;

/// Marks an error as the user's input being wrong (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// An error that means "the input is wrong", with its message.
pub fn bad_input(message: impl Display) -> anyhow::Error {
    anyhow::Error::new(BadInput(message.to_string()))
}

/// The process exit status for an error: 2 if any cause is [`BadInput`], else 1.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.chain().any(|c| c.is::<BadInput>()) {
        2
    } else {
        1
    }
}

/// The one-line message of `e`: its causes joined by `: `, as anyhow's
/// `{:#}` prints them, except that a cause whose text the message already
/// ends with is not repeated (an error type that both writes its source into
/// its own message and returns it as `source()` would otherwise print it twice).
pub fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn bad_input_survives_context() {
        let e: anyhow::Result<()> = Err(bad_input("no such field"));
        let e = e.context("while reading x.ron").unwrap_err();
        assert_eq!(exit_code(&e), 2);
        assert_eq!(format!("{e:#}"), "while reading x.ron: no such field");
        let other = anyhow::anyhow!("disk full").context("writing out/x");
        assert_eq!(exit_code(&other), 1);
    }

    #[derive(Debug, thiserror::Error)]
    #[error("epoch 1: {0}")]
    struct Wrapping(#[source] BadInput);

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let e = anyhow::Error::new(Wrapping(BadInput("scheduler x: too many".into())))
            .context("simulating a.ron");
        assert_eq!(
            message(&e),
            "simulating a.ron: epoch 1: scheduler x: too many"
        );
    }
}
