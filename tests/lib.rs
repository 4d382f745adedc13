//! Cross-crate integration tests live in `integration/`, gathered into one binary.
