//! A sweep's grid: the points of a scenario's `sweep` section, checked, and
//! the slice of them a shard runs.
//!
//! - the grid is the Cartesian product of the `sweep.grid` axes, the first
//!   axis outermost; points are numbered from 0 in that order;
//! - replication `r` of a point runs with seed `seed + r`, which must not
//!   overflow (checked here, at load);
//! - `--shard K/N` holds the points whose index `i` has `i mod N = K − 1`
//!   (round robin, which spreads slow and fast points evenly).

use serde::{Deserialize, Serialize};
use sim_models::Scenario;

use crate::failure::bad_input;
use crate::scenario_file;

/// A slice of the grid: the `k`-th (1-based) of `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which slice, 1 ≤ k ≤ n.
    pub k: usize,
    /// How many slices.
    pub n: usize,
}

impl Shard {
    /// Parses `K/N` (e.g. `2/8`).
    ///
    /// # Errors
    ///
    /// A message saying what is wrong when `s` is not `K/N` with `1 ≤ K ≤ N`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("expected K/N (e.g. 1/4), got `{s}`"))?;
        let k: usize = k.trim().parse().map_err(|_| format!("bad K in `{s}`"))?;
        let n: usize = n.trim().parse().map_err(|_| format!("bad N in `{s}`"))?;
        if n == 0 || k == 0 || k > n {
            return Err(format!("need 1 ≤ K ≤ N, got {k}/{n}"));
        }
        Ok(Shard { k, n })
    }

    /// Whether point `index` belongs to this shard.
    pub fn holds(&self, index: usize) -> bool {
        index % self.n == self.k - 1
    }
}

/// The `results.csv` column of axis `path`: every run of characters other
/// than ASCII letters, digits and `_` replaced by one `_`, none at either
/// end (`arrivals.rate` → `arrivals_rate`, `gpus[0].name` → `gpus_0_name`),
/// so that pandas' `DataFrame.query` takes it without backticks.
pub fn column_name(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// One grid parameter: a field path and its value's RON text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// Dotted field path (`arrivals.rate`).
    pub path: String,
    /// The value as written in the scenario's sweep section.
    pub value: String,
}

/// One grid point.
#[derive(Clone, Debug)]
pub struct Point {
    /// Index in grid order (first axis outermost).
    pub index: usize,
    /// Its parameter values, one per axis.
    pub params: Vec<Param>,
    /// The base scenario with those values applied (and no sweep section).
    pub scenario: Scenario,
}

impl Point {
    /// `path=value` of every parameter, joined by `sep`.
    pub fn label(&self, sep: &str) -> String {
        self.params
            .iter()
            .map(|p| format!("{}={}", p.path, p.value))
            .collect::<Vec<_>>()
            .join(sep)
    }
}

/// The expanded, checked grid of a scenario's sweep.
#[derive(Clone, Debug)]
pub struct Grid {
    /// Axis paths, outermost first.
    pub axes: Vec<String>,
    /// Every point, in grid order.
    pub points: Vec<Point>,
    /// Replications per point.
    pub replications: u32,
}

impl Grid {
    /// Expands `base.sweep` and checks every point (range checks and the
    /// scheduler's load-time checks), so that a sweep never fails midway on
    /// bad input.
    ///
    /// # Errors
    ///
    /// Bad input (exit status 2) naming `origin` and the field: no `sweep`
    /// section, an axis given twice, a value that does not apply or is out
    /// of range at some point, a scheduler that refuses some point, a seed
    /// for which `seed + replications − 1` overflows `u64`.
    pub fn new(base: &Scenario, origin: &str) -> anyhow::Result<Grid> {
        let spec = base
            .sweep
            .as_ref()
            .ok_or_else(|| bad_input(format!("{origin}: the scenario has no `sweep` section")))?;
        let axes: Vec<String> = spec.grid.iter().map(|a| a.path.clone()).collect();
        for (i, a) in axes.iter().enumerate() {
            let col = column_name(a);
            if let Some(b) = axes[..i].iter().find(|b| column_name(b) == col) {
                return Err(bad_input(format!(
                    "{origin}: field `sweep.grid`: the axes `{b}` and `{a}` would both be the results.csv column `{col}`"
                )));
            }
        }
        let mut points = Vec::new();
        for p in base
            .sweep_points()
            .map_err(|e| scenario_file::scenario_error(origin, e))?
        {
            let point = Point {
                index: p.index,
                params: p
                    .params
                    .into_iter()
                    .map(|(path, value)| Param { path, value })
                    .collect(),
                scenario: p.scenario,
            };
            let at = format!(
                "{origin} (sweep point {}: {})",
                point.index,
                point.label(", ")
            );
            scenario_file::scheduler(&point.scenario, &at)?;
            let seed = point.scenario.seed;
            if seed
                .checked_add(u64::from(spec.replications.saturating_sub(1)))
                .is_none()
            {
                return Err(bad_input(format!(
                    "{at}: field `seed`: {seed} + sweep.replications ({}) − 1 overflows u64 \
                     (replication r runs with seed + r)",
                    spec.replications
                )));
            }
            points.push(point);
        }
        Ok(Grid {
            axes,
            points,
            replications: spec.replications,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_split_round_robin() {
        let s = Shard::parse("2/3").unwrap();
        assert_eq!(s, Shard { k: 2, n: 3 });
        let held: Vec<usize> = (0..7).filter(|&i| s.holds(i)).collect();
        assert_eq!(held, [1, 4]);
        for bad in ["3/2", "0/1", "1/0", "x/2", "1"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn column_names_are_python_identifiers() {
        assert_eq!(column_name("arrivals.rate"), "arrivals_rate");
        assert_eq!(column_name("scheduler.name"), "scheduler_name");
        assert_eq!(column_name("gpus[0].name"), "gpus_0_name");
        assert_eq!(column_name("seed"), "seed");
        assert_eq!(column_name("a-b..c_d"), "a_b_c_d");
    }
}
