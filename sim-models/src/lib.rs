//! sim-models
