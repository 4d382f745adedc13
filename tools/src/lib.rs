//! The library behind the `edgesim` program: everything that is not argument
//! parsing or printing.
//!
//! From the input to the output files:
//!
//! - [`failure`]: bad input (exit status 2) against any other failure;
//! - [`scenario_file`]: reading a scenario file (or the built-in default),
//!   its overrides and checks, and building its scheduler;
//! - [`calibration`]: measured iteration times and the fit of the
//!   roofline's calibration constants (`edgesim calibrate`);
//! - [`instance_file`]: reading a standalone scheduling instance and one
//!   scheduler's answer on it;
//! - [`sweep_grid`]: the points of a scenario's `sweep` section and the
//!   shards that split them;
//! - [`arrival_stats`]: a workload's rate over time, inter-arrival CV and
//!   length quantiles, for `workload`;
//! - [`summary`]: what one run measured (`summary.json`);
//! - [`histograms`]: HdrHistogram export (`.hgrm` as Java prints it,
//!   `.hlog` interval logs) and reading `.hlog` back;
//! - [`run_dir`]: the files of a run's output directory;
//! - [`request_log`]: a run's per-request log (`requests.csv`);
//! - [`sweep_dir`]: the files of a sweep's output directory;
//! - [`stats`]: means and Student-t confidence intervals over replications;
//! - [`results`]: a sweep's `results.csv`, from its point files only;
//! - [`replications`]: a sweep's `replications.csv` (one row per point and
//!   replication), from its point files only;
//! - [`table`]: CSV tables (written for `results.csv`, read by `plot`);
//! - [`chart`]: charts (SVG, PNG) of CSV columns, for `plot`;
//! - [`labels`]: what a column means (name, unit), for chart labels;
//! - [`run_plots`]: the charts of a run directory (CDFs, the run over time);
//! - [`files`]: atomic file writes and input reads;
//! - [`out_dir`]: one process per output directory, and no stale outputs.
//!
//! It owns no model logic: that is `sim-models` and `sim-schedulers`. It
//! does not print, parse arguments or handle signals: that is the binary.
#![deny(missing_docs, clippy::missing_errors_doc)]

pub mod arrival_stats;
pub mod calibration;
pub mod chart;
pub mod failure;
pub mod files;
pub mod histograms;
pub mod instance_file;
pub mod labels;
pub mod out_dir;
pub mod replications;
pub mod request_log;
pub mod results;
pub mod run_dir;
pub mod run_plots;
pub mod scenario_file;
pub mod stats;
pub mod summary;
pub mod sweep_dir;
pub mod sweep_grid;
pub mod table;
