//! End-to-end tests of the `edgesim` binary, gathered into one test binary
//! with a module per subject: `cargo test --release -p tools --test cli`
//! (add a name filter such as `golden` to run one subject).

mod classes;
mod common;
mod cost;
mod golden;
mod link;
mod outputs;
mod resolve;
mod run;
mod scenarios;
mod solve;
mod sweep;
mod workload;
