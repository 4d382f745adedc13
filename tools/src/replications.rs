//! `replications.csv` of a sweep: one row per grid point and replication,
//! computed from the point files' summaries only (`points/pNNNN.json`), so
//! that `sweep`, `sweep --resume` and `merge` write the same bytes.
//!
//! Columns: `point`; one column per axis ([`column_name`], the cell as in
//! `results.csv`: [`param_cell`]); `replication` (0-based); `seed` (the
//! replication's master seed, `seed + replication`); then one column per
//! [`METRICS`] entry, named by it, holding that replication's value (an
//! empty cell when undefined). Plain values only: numbers in Rust's
//! shortest round-trip form, strings unquoted — the long ("tidy") form of
//! the data behind `results.csv`, one observation per row.

use std::path::Path;

use crate::failure::bad_input;
use crate::results::{param_cell, METRICS};
use crate::sweep_dir::{point_paths, read_point_file, Manifest};
use crate::sweep_grid::column_name;
use crate::table::Num;

/// One row of `replications.csv`, serialized in column order.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicationRow {
    /// Point index.
    pub point: usize,
    /// One cell per axis ([`param_cell`]).
    pub params: Vec<String>,
    /// Replication index, from 0.
    pub replication: usize,
    /// Its master seed.
    pub seed: u64,
    /// One value per [`METRICS`] entry, in that order (NaN: undefined).
    pub values: Vec<f64>,
}

impl serde::Serialize for ReplicationRow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(None)?;
        seq.serialize_element(&self.point)?;
        for p in &self.params {
            seq.serialize_element(p)?;
        }
        seq.serialize_element(&self.replication)?;
        seq.serialize_element(&self.seed)?;
        for &v in &self.values {
            seq.serialize_element(&Num(v))?;
        }
        seq.end()
    }
}

/// The header of `replications.csv` for a sweep with these axes.
pub fn header(axes: &[String]) -> Vec<String> {
    let mut h = vec!["point".to_string()];
    h.extend(axes.iter().map(|a| column_name(a)));
    h.push("replication".into());
    h.push("seed".into());
    h.extend(METRICS.iter().map(|m| m.name.to_string()));
    h
}

/// The rows for the points described by `m`, point `i` read from the
/// directory `dir_of(i)`.
///
/// # Errors
///
/// Bad input naming the point file: one that is missing or malformed, or
/// that does not match the manifest (replication count, axes).
pub fn rows_from<'a>(
    m: &Manifest,
    dir_of: impl Fn(usize) -> &'a Path,
) -> anyhow::Result<Vec<ReplicationRow>> {
    let mut rows = Vec::with_capacity(m.points * m.replications as usize);
    for index in 0..m.points {
        let dir = dir_of(index);
        let file = read_point_file(dir, index)?;
        let at = point_paths(dir, index).0;
        if file.replications.len() != m.replications as usize {
            return Err(bad_input(format!(
                "{}: point {index} has {} replications, the sweep {}",
                at.display(),
                file.replications.len(),
                m.replications
            )));
        }
        let mut params = Vec::with_capacity(m.axes.len());
        for axis in &m.axes {
            let p = file
                .params
                .iter()
                .find(|p| &p.path == axis)
                .ok_or_else(|| {
                    bad_input(format!("{}: no value for axis `{axis}`", at.display()))
                })?;
            params.push(param_cell(&p.value));
        }
        for (r, s) in file.replications.iter().enumerate() {
            rows.push(ReplicationRow {
                point: index,
                params: params.clone(),
                replication: r,
                seed: s.seed,
                values: METRICS.iter().map(|metric| (metric.of)(s)).collect(),
            });
        }
    }
    Ok(rows)
}

/// Writes `rows` (of the sweep `m`) as `dir/replications.csv`, atomically.
///
/// # Errors
///
/// The file cannot be written.
pub fn write_rows(dir: &Path, m: &Manifest, rows: &[ReplicationRow]) -> anyhow::Result<()> {
    let text = crate::table::to_csv(&header(&m.axes), rows)?;
    crate::files::write_atomic(&dir.join("replications.csv"), text.as_bytes())
}
