//! Cross-crate integration tests, one module per subject.
