//! `edgesim resolve`: every dumped scheduling instance (MODEL.md §10) of one
//! or more directories re-solved by several schedulers — one CSV row per
//! instance, and a JSON summary: per scheduler its solve times, and for
//! dftsp against tree-search Table III's node reduction (MODEL.md §7, §9).
//!
//! Glue: the solving is `sim_schedulers::solve_instance` (through
//! `tools::instance_file::solve_one`); the statistics are `tools::stats::spread`.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;
use sim_schedulers::batching;
use sim_schedulers::options::ZStart;

use crate::solve::ZStartArg;
use tools::failure::bad_input;
use tools::instance_file::{read_instance, solve_one};
use tools::stats::spread;
use tools::table::Table;

/// Options of `resolve`.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// Directories of instance files (`*.ron`, as `run --dump-instances` writes in OUT/instances/).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// A batching scheduler to run on every instance (repeatable; see `edgesim list`).
    #[arg(long, short = 's', required = true)]
    pub scheduler: Vec<String>,
    /// Where dftsp and tree-search start z.
    #[arg(long, value_enum, default_value_t = ZStartArg::Bound)]
    pub z_start: ZStartArg,
    /// Write the per-instance CSV here.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
}

/// One scheduler's answer on one instance, `None` if it refused.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Cell {
    count: usize,
    nodes: u64,
    solve_ns: u64,
}

/// The `*.ron` files of `dir`, sorted by file name.
fn instance_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| bad_input(format!("cannot read directory {}: {e}", dir.display())))?;
    let mut files = Vec::new();
    for e in entries {
        let e =
            e.map_err(|e| bad_input(format!("cannot read directory {}: {e}", dir.display())))?;
        let p = e.path();
        if p.extension().is_some_and(|x| x == "ron") && p.is_file() {
            files.push(p);
        }
    }
    if files.is_empty() {
        return Err(bad_input(format!(
            "{}: no *.ron instance files (write them with `edgesim run --dump-instances`)",
            dir.display()
        )));
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// Checks the scheduler names: known, batching, no repeats.
fn check_names(names: &[String]) -> anyhow::Result<()> {
    for (i, n) in names.iter().enumerate() {
        if !sim_schedulers::names().contains(&n.as_str()) {
            return Err(bad_input(format!(
                "--scheduler: unknown scheduler `{n}`; valid: {}",
                batching().join(", ")
            )));
        }
        if !batching().contains(&n.as_str()) {
            return Err(bad_input(format!(
                "--scheduler: `{n}` does not return one pooled batch, so it cannot solve a standalone instance; batching schedulers: {}",
                batching().join(", ")
            )));
        }
        if names[..i].contains(n) {
            return Err(bad_input(format!("--scheduler: `{n}` given twice")));
        }
    }
    Ok(())
}

/// Table III's per-epoch reduction `1 − nodes(a)/nodes(b)` over the rows
/// where `b` (tree-search) visited nodes, and the ratio of the totals
/// `1 − Σnodes(a)/Σnodes(b)` over those same rows. Rows where either refused
/// are left out.
fn reduction(a: &[Option<Cell>], b: &[Option<Cell>]) -> (Vec<f64>, u128, u128) {
    let (mut per, mut sa, mut sb) = (Vec::new(), 0u128, 0u128);
    for (x, y) in a.iter().zip(b) {
        if let (Some(x), Some(y)) = (x, y) {
            if y.nodes > 0 {
                per.push(1.0 - x.nodes as f64 / y.nodes as f64);
                sa += u128::from(x.nodes);
                sb += u128::from(y.nodes);
            }
        }
    }
    (per, sa, sb)
}

/// A sample's moments and order statistics, as the summary prints them.
#[derive(Debug, Serialize)]
struct SpreadOut {
    mean: f64,
    std: f64,
    min: f64,
    median: f64,
    max: f64,
}

/// The summary line of one scheduler.
#[derive(Debug, Serialize)]
struct SchedulerLine<'a> {
    scheduler: &'a str,
    z_start: &'a str,
    instances: usize,
    solved: usize,
    refused: usize,
    first_refusal: Option<&'a str>,
    count_total: u64,
    nodes_total: u128,
    solve_ns_median: Option<f64>,
    solve_ns_mean: Option<f64>,
    solve_ns_p99: Option<f64>,
    solve_ns_max: Option<f64>,
}

/// The summary line of Table III's node reduction.
#[derive(Debug, Serialize)]
struct ReductionLine<'a> {
    reduction: &'a str,
    z_start: &'a str,
    epochs: usize,
    per_epoch: Option<SpreadOut>,
    total_ratio: Option<f64>,
    nodes_dftsp: u128,
    nodes_tree_search: u128,
    count_mismatches: usize,
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("a summary line always serializes")
}

/// Runs `resolve`: writes the CSV (with `-o`) and returns the summary lines
/// to print, one JSON object each: one per scheduler, then the node
/// reduction when both dftsp and tree-search were run.
pub fn run(a: &ResolveArgs) -> anyhow::Result<Vec<String>> {
    check_names(&a.scheduler)?;
    let mut files = Vec::new();
    for d in &a.dirs {
        files.extend(instance_files(d)?);
    }
    let z = ZStart::from(a.z_start);
    let z_name = match a.z_start {
        ZStartArg::Bound => "bound",
        ZStartArg::All => "all",
    };
    let mut header = vec!["file".to_string(), "candidates".to_string()];
    for n in &a.scheduler {
        for col in ["count", "nodes", "solve_ns"] {
            header.push(format!("{n}_{col}"));
        }
    }
    let mut table = Table::new(header);
    // cells[s][i]: scheduler s on file i.
    let mut cells: Vec<Vec<Option<Cell>>> =
        vec![Vec::with_capacity(files.len()); a.scheduler.len()];
    let mut refusals: Vec<Option<String>> = vec![None; a.scheduler.len()];
    for f in &files {
        let inst = read_instance(f)?;
        let mut row = vec![f.display().to_string(), inst.requests.len().to_string()];
        for (s, name) in a.scheduler.iter().enumerate() {
            match solve_one(&inst, name, z) {
                Ok(ans) => {
                    let c = Cell {
                        count: ans.count,
                        nodes: ans.nodes,
                        solve_ns: ans.solve_ns,
                    };
                    row.extend([
                        c.count.to_string(),
                        c.nodes.to_string(),
                        c.solve_ns.to_string(),
                    ]);
                    cells[s].push(Some(c));
                }
                Err(e) => {
                    // A refusal (exhaustive on a large instance, a scheduler not in
                    // this build) leaves the cells empty; the summary counts it.
                    row.extend([String::new(), String::new(), String::new()]);
                    cells[s].push(None);
                    refusals[s].get_or_insert_with(|| format!("{}: {e}", f.display()));
                }
            }
        }
        table.rows.push(row);
    }
    if let Some(out) = &a.output {
        tools::files::write_atomic(out, table.to_csv().as_bytes())?;
    }

    let mut lines = Vec::new();
    for (s, name) in a.scheduler.iter().enumerate() {
        let ok: Vec<Cell> = cells[s].iter().flatten().copied().collect();
        let times: Vec<f64> = ok.iter().map(|c| c.solve_ns as f64).collect();
        let t = spread(&times);
        lines.push(to_json(&SchedulerLine {
            scheduler: name,
            z_start: z_name,
            instances: files.len(),
            solved: ok.len(),
            refused: files.len() - ok.len(),
            first_refusal: refusals[s].as_deref(),
            count_total: ok.iter().map(|c| c.count as u64).sum(),
            nodes_total: ok.iter().map(|c| u128::from(c.nodes)).sum(),
            solve_ns_median: t.map(|t| t.median),
            solve_ns_mean: t.map(|t| t.mean),
            solve_ns_p99: t.map(|t| t.p99),
            solve_ns_max: t.map(|t| t.max),
        }));
    }
    let pos = |n: &str| a.scheduler.iter().position(|x| x == n);
    if let (Some(d), Some(t)) = (pos("dftsp"), pos("tree-search")) {
        let (per, sd, st) = reduction(&cells[d], &cells[t]);
        let count_mismatches = cells[d]
            .iter()
            .zip(&cells[t])
            .filter(|(x, y)| matches!((x, y), (Some(x), Some(y)) if x.count != y.count))
            .count();
        lines.push(to_json(&ReductionLine {
            reduction: "1 - nodes(dftsp)/nodes(tree-search)",
            z_start: z_name,
            epochs: per.len(),
            per_epoch: spread(&per).map(|s| SpreadOut {
                mean: s.mean,
                std: s.std,
                min: s.min,
                median: s.median,
                max: s.max,
            }),
            total_ratio: (st > 0).then(|| 1.0 - sd as f64 / st as f64),
            nodes_dftsp: sd,
            nodes_tree_search: st,
            count_mismatches,
        }));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduction_skips_empty_and_refused_epochs() {
        let c = |nodes| {
            Some(Cell {
                count: 1,
                nodes,
                solve_ns: 0,
            })
        };
        // Epochs: (5 vs 16), (0 vs 0: left out), (1 vs 4), (refused vs 8: left out).
        let d = [c(5), c(0), c(1), None];
        let t = [c(16), c(0), c(4), c(8)];
        let (per, sd, st) = reduction(&d, &t);
        assert_eq!(per, vec![1.0 - 5.0 / 16.0, 1.0 - 1.0 / 4.0]);
        assert_eq!((sd, st), (6, 20));
    }

    #[test]
    fn names_are_checked() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_names(&v(&["dftsp", "tree-search"])).is_ok());
        for bad in [&["nope"][..], &["nobatch"], &["dftsp", "dftsp"]] {
            let e = check_names(&v(bad)).unwrap_err();
            assert_eq!(tools::failure::exit_code(&e), 2, "{e}");
        }
    }
}
