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
}
