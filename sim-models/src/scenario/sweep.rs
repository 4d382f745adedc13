//! Sweeps: the grid of a scenario's `sweep` section expanded into points,
//! each the base scenario with one value of every axis set (by
//! [`Scenario::with_values`], so any field path can be an axis).
//!
//! Points are numbered in grid order, the first axis outermost. Expansion
//! checks the shape of the grid and that every value parses at its path;
//! the range checks of each point are [`Scenario::sweep_points`]'s.

use super::error::{invalid, ScenarioError};
use super::schema::{Scenario, SweepSpec};

/// Most replications of a sweep point.
pub const MAX_REPLICATIONS: u32 = 10_000;

/// Most points of a sweep grid (the product of the axes' lengths, computed
/// with checked multiplication).
pub const MAX_SWEEP_POINTS: usize = 10_000;

/// Most runs of a sweep, points × replications.
pub const MAX_SWEEP_RUNS: u64 = 1_000_000;

/// One point of a sweep grid.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    /// Index in grid order (first axis outermost), from 0.
    pub index: usize,
    /// One `(path, value)` per axis, the value as written in the sweep section.
    pub params: Vec<(String, String)>,
    /// The base scenario with those values set, and no sweep section.
    pub scenario: Scenario,
}

impl SweepPoint {
    /// `path=value, …` of the point's parameters, for messages.
    pub fn label(&self) -> String {
        self.params
            .iter()
            .map(|(p, v)| format!("{p}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl SweepSpec {
    /// Every point of the grid over `base` (whose own `sweep` is dropped),
    /// in grid order. Errors name `sweep.grid[i]…`: a path that names no
    /// field, a path equal to or inside another axis's, an empty axis, a
    /// value that does not parse at its path.
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] naming the axis (`sweep.grid[i]`) and why.
    pub fn expand(&self, base: &Scenario) -> Result<Vec<SweepPoint>, ScenarioError> {
        let mut total: usize = 1;
        for (i, axis) in self.grid.iter().enumerate() {
            total = total
                .checked_mul(axis.values.len())
                .filter(|&t| t <= MAX_SWEEP_POINTS)
                .ok_or_else(|| {
                    invalid(
                        format!("sweep.grid[{i}].values"),
                        format!("the grid up to this axis has more than {MAX_SWEEP_POINTS} points"),
                    )
                })?;
        }
        let runs = total as u64 * u64::from(self.replications);
        if runs > MAX_SWEEP_RUNS {
            return Err(invalid(
                "sweep.replications",
                format!(
                    "{total} points × {} replications = {runs} runs, more than {MAX_SWEEP_RUNS}",
                    self.replications
                ),
            ));
        }
        let mut base = base.clone();
        base.sweep = None;
        // Each value in the form it is set with (a bare word may stand for a string).
        let mut forms: Vec<Vec<String>> = Vec::with_capacity(self.grid.len());
        for (i, axis) in self.grid.iter().enumerate() {
            let path = axis.path.as_str();
            if let Some(j) = self.grid[..i].iter().position(|a| overlaps(&a.path, path)) {
                return Err(invalid(
                    format!("sweep.grid[{i}].path"),
                    format!(
                        "`{path}` is, or lies inside or around, the path `{}` of axis {j}",
                        self.grid[j].path
                    ),
                ));
            }
            if axis.values.is_empty() {
                return Err(invalid(
                    format!("sweep.grid[{i}].values"),
                    "must hold at least one value",
                ));
            }
            let mut axis_forms = Vec::with_capacity(axis.values.len());
            for (j, v) in axis.values.iter().enumerate() {
                let form = base.resolve_value(path, v.as_str()).map_err(|e| match e {
                    ScenarioError::Override { message, .. }
                        if message.starts_with("no such field") =>
                    {
                        invalid(
                            format!("sweep.grid[{i}].path"),
                            format!("`{path}`: {message}"),
                        )
                    }
                    ScenarioError::Override { message, .. } => {
                        invalid(format!("sweep.grid[{i}].values[{j}]"), message)
                    }
                    other => other,
                })?;
                axis_forms.push(form);
            }
            forms.push(axis_forms);
        }
        let sizes: Vec<usize> = forms.iter().map(Vec::len).collect();
        let mut points = Vec::with_capacity(total);
        for index in 0..total {
            // Mixed-radix digits of `index`, last axis fastest.
            let mut rest = index;
            let mut digits = vec![0; sizes.len()];
            for (d, &n) in digits.iter_mut().zip(&sizes).rev() {
                *d = rest % n;
                rest /= n;
            }
            let values: Vec<(&str, &str)> = self
                .grid
                .iter()
                .zip(&forms)
                .zip(&digits)
                .map(|((axis, f), &d)| (axis.path.as_str(), f[d].as_str()))
                .collect();
            let params: Vec<(String, String)> = self
                .grid
                .iter()
                .zip(&digits)
                .map(|(axis, &d)| (axis.path.clone(), axis.values[d].as_str().to_string()))
                .collect();
            let scenario = base.with_values(&values)?;
            points.push(SweepPoint {
                index,
                params,
                scenario,
            });
        }
        Ok(points)
    }
}

/// Whether one of two dotted paths is the other or lies inside it.
fn overlaps(a: &str, b: &str) -> bool {
    let inside = |outer: &str, inner: &str| {
        inner == outer
            || inner
                .strip_prefix(outer)
                .is_some_and(|r| r.starts_with('.'))
    };
    inside(a, b) || inside(b, a)
}
