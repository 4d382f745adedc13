//! Where the users are (MODEL.md §14): their 2D distances from the base
//! station, drawn uniformly over the area of an annulus or listed.

use serde::{Deserialize, Serialize};

/// How users are placed around the base station.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Placement {
    /// Uniform over the area of the annulus `r_min ≤ d_2D ≤ r_max` (m): the
    /// radius is `√(r_min² + U·(r_max² − r_min²))`, `U ~ U[0, 1)`, so its
    /// density is `2r/(r_max² − r_min²)`. The angle does not matter (one cell,
    /// no interference), so it is not drawn.
    Annulus {
        /// Inner radius, m (≥ 10 m, TR 38.901 Table 7.4.1-1).
        r_min: f64,
        /// Outer radius, m (≤ 5 km, TR 38.901 Table 7.4.1-1; ≥ `r_min`).
        r_max: f64,
    },
    /// User `u` at `d_2D = distances[u mod len]`, m (each in [10 m, 5 km]).
    Distances(Vec<f64>),
}

impl Default for Placement {
    /// Users between 35 m (the minimum BS–UT 2D distance of UMa, TR 38.901
    /// Table 7.2-1) and 250 m (half the UMa inter-site distance of 500 m,
    /// TR 38.901 Table 7.2-1).
    fn default() -> Self {
        Placement::Annulus {
            r_min: 35.0,
            r_max: 250.0,
        }
    }
}

impl Placement {
    /// User `u`'s 2D distance, m, given `uniform`, a draw of `U[0, 1)` from
    /// the user's placement stream (ignored for listed distances).
    pub fn distance(&self, u: usize, uniform: f64) -> f64 {
        match self {
            Placement::Annulus { r_min, r_max } => {
                (r_min * r_min + uniform * (r_max * r_max - r_min * r_min)).sqrt()
            }
            Placement::Distances(d) => d[u % d.len()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;
    use sim_core::RngStreams;

    #[test]
    fn listed_distances_cycle() {
        let p = Placement::Distances(vec![100.0, 200.0]);
        assert_eq!(
            (0..5).map(|u| p.distance(u, 0.5)).collect::<Vec<_>>(),
            [100.0, 200.0, 100.0, 200.0, 100.0]
        );
    }

    #[test]
    fn annulus_radius_is_area_uniform() {
        // P(d ≤ r) = (r² − r_min²)/(r_max² − r_min²). With r_min = 10, r_max = 110:
        // the median is √(10² + 0.5·(110² − 10²)) = √6100 = 78.102; the fraction
        // within 60 m is (3600 − 100)/12 000 = 0.291 67. Over n = 10⁵ draws a
        // fraction's standard error is ≤ 0.5/√10⁵ = 1.6·10⁻³; we allow 5·10⁻³.
        let p = Placement::Annulus {
            r_min: 10.0,
            r_max: 110.0,
        };
        let mut rng = RngStreams::new(5).stream("placement-test");
        let n = 100_000;
        let ds: Vec<f64> = (0..n).map(|u| p.distance(u, rng.random::<f64>())).collect();
        assert!(ds.iter().all(|d| (10.0..=110.0).contains(d)));
        let frac = |r: f64| ds.iter().filter(|d| **d <= r).count() as f64 / n as f64;
        assert!((frac(60.0) - 0.291_667).abs() < 5e-3, "{}", frac(60.0));
        assert!((frac(78.102) - 0.5).abs() < 5e-3, "{}", frac(78.102));
        // The mean radius: ∫ r·2r dr/(r_max² − r_min²) = (2/3)(110³ − 10³)/(110² − 10²)
        // = (2/3)·1 330 000/12 000 = 73.889; its standard error ≈ 24/√10⁵ = 0.076.
        let mean = ds.iter().sum::<f64>() / n as f64;
        assert!((mean - 73.889).abs() < 0.3, "{mean}");
        // Endpoints of the map.
        assert_eq!(p.distance(0, 0.0), 10.0);
        assert!((p.distance(0, 1.0) - 110.0).abs() < 1e-12);
    }
}
