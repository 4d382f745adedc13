//! sim-schedulers
