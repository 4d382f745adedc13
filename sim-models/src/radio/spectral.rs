//! From SINR to spectral efficiency (MODEL.md §14): Shannon with a gap and a
//! cap, or the 4-bit CQI table of 3GPP TS 38.214 (256-QAM).
//!
//! **Thresholds [decision].** TS 38.214 §5.2.2.1 defines a CQI index by the
//! highest entry whose transport block would be received with a block error
//! rate ≤ 0.1; it gives no SINR thresholds — they depend on the receiver and
//! come from link-level simulation, and no 3GPP document fixes them. So by
//! default a CQI entry of efficiency `SE_k` is usable at `SINR ≥ Γ·(2^{SE_k} − 1)`:
//! the Shannon bound with the scenario's gap `Γ` (0 dB = the bound itself).
//! A scenario may instead list the 15 thresholds (dB) from a link-level
//! study of its choice.

use serde::{Deserialize, Serialize};

/// One row of TS 38.214 Table 5.2.2.1-3: modulation order `Q_m` and code
/// rate × 1024. Its efficiency is `Q_m·rate/1024` b/s/Hz (per layer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CqiEntry {
    /// CQI index, 1…15.
    pub index: u8,
    /// Modulation name.
    pub modulation: &'static str,
    /// Bits per symbol `Q_m`.
    pub qm: u32,
    /// Code rate × 1024.
    pub rate_x1024: u32,
}

impl CqiEntry {
    /// `Q_m · rate / 1024`, b/s/Hz.
    pub fn efficiency(&self) -> f64 {
        self.qm as f64 * self.rate_x1024 as f64 / 1024.0
    }
}

/// 3GPP TS 38.214 V17 Table 5.2.2.1-3, "4-bit CQI Table 2" (up to 256-QAM);
/// CQI 0 is "out of range" (no transmission) and is not listed.
pub const CQI_TABLE_256QAM: [CqiEntry; 15] = [
    cqi(1, "QPSK", 2, 78),
    cqi(2, "QPSK", 2, 193),
    cqi(3, "QPSK", 2, 449),
    cqi(4, "16QAM", 4, 378),
    cqi(5, "16QAM", 4, 490),
    cqi(6, "16QAM", 4, 616),
    cqi(7, "64QAM", 6, 466),
    cqi(8, "64QAM", 6, 567),
    cqi(9, "64QAM", 6, 666),
    cqi(10, "64QAM", 6, 772),
    cqi(11, "64QAM", 6, 873),
    cqi(12, "256QAM", 8, 711),
    cqi(13, "256QAM", 8, 797),
    cqi(14, "256QAM", 8, 885),
    cqi(15, "256QAM", 8, 948),
];

const fn cqi(index: u8, modulation: &'static str, qm: u32, rate_x1024: u32) -> CqiEntry {
    CqiEntry {
        index,
        modulation,
        qm,
        rate_x1024,
    }
}

/// The largest efficiency of [`CQI_TABLE_256QAM`], `8·948/1024 = 7.406 25` b/s/Hz:
/// the default cap of the Shannon mapping.
pub const SE_MAX_256QAM: f64 = 8.0 * 948.0 / 1024.0;

/// How SINR becomes spectral efficiency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SpectralEfficiency {
    /// `SE = min(log2(1 + SINR/Γ), se_max)`.
    Shannon {
        /// The gap `Γ`, dB (≥ 0; 0 = the Shannon bound).
        #[serde(default)]
        gap_db: f64,
        /// The cap `SE_max`, b/s/Hz (> 0); default 7.406 25, the top of TS 38.214 Table 5.2.2.1-3.
        #[serde(default = "se_max_default")]
        se_max: f64,
    },
    /// The efficiency of the highest CQI of TS 38.214 Table 5.2.2.1-3 whose
    /// SINR threshold is met; 0 below CQI 1 (no transmission).
    Cqi {
        /// The gap `Γ`, dB, of the derived thresholds `Γ·(2^{SE_k} − 1)` (≥ 0).
        #[serde(default)]
        gap_db: f64,
        /// The 15 SINR thresholds of CQI 1…15, dB, ascending, instead of the
        /// derived ones (`None` = derive).
        #[serde(default)]
        thresholds_db: Option<Vec<f64>>,
    },
}

fn se_max_default() -> f64 {
    SE_MAX_256QAM
}

impl Default for SpectralEfficiency {
    fn default() -> Self {
        SpectralEfficiency::Shannon {
            gap_db: 0.0,
            se_max: SE_MAX_256QAM,
        }
    }
}

/// `10^(db/10)`.
pub fn db_to_linear(db: f64) -> f64 {
    10f64.powf(db / 10.0)
}

/// `10·log10(x)`.
pub fn linear_to_db(x: f64) -> f64 {
    10.0 * x.log10()
}

/// A [`SpectralEfficiency`] made ready to evaluate: gaps and thresholds linear.
#[derive(Clone, Debug, PartialEq)]
pub enum SeMap {
    /// Shannon with gap `gap` (linear) and cap `se_max`.
    Shannon {
        /// `Γ`, linear.
        gap: f64,
        /// `SE_max`, b/s/Hz.
        se_max: f64,
    },
    /// CQI with linear SINR thresholds of CQI 1…15.
    Cqi {
        /// Thresholds, linear, ascending.
        thresholds: [f64; 15],
    },
}

impl SeMap {
    /// The map of a (checked) [`SpectralEfficiency`].
    pub fn new(spec: &SpectralEfficiency) -> SeMap {
        match spec {
            SpectralEfficiency::Shannon { gap_db, se_max } => SeMap::Shannon {
                gap: db_to_linear(*gap_db),
                se_max: *se_max,
            },
            SpectralEfficiency::Cqi {
                gap_db,
                thresholds_db,
            } => SeMap::Cqi {
                thresholds: match thresholds_db {
                    Some(t) => std::array::from_fn(|k| db_to_linear(t[k])),
                    None => derived_thresholds(db_to_linear(*gap_db)),
                },
            },
        }
    }

    /// Spectral efficiency at linear SINR `sinr`, b/s/Hz (0 = cannot transmit).
    pub fn se(&self, sinr: f64) -> f64 {
        match self {
            SeMap::Shannon { gap, se_max } => shannon(sinr, *gap, *se_max),
            SeMap::Cqi { thresholds } => {
                cqi_index(sinr, thresholds).map_or(0.0, |k| CQI_TABLE_256QAM[k - 1].efficiency())
            }
        }
    }

    /// The CQI index (1…15) at linear SINR `sinr`, `None` below CQI 1; for
    /// a Shannon map, `None`.
    pub fn cqi(&self, sinr: f64) -> Option<usize> {
        match self {
            SeMap::Shannon { .. } => None,
            SeMap::Cqi { thresholds } => cqi_index(sinr, thresholds),
        }
    }
}

/// `min(log2(1 + sinr/gap), se_max)`, b/s/Hz.
pub fn shannon(sinr: f64, gap: f64, se_max: f64) -> f64 {
    (1.0 + sinr / gap).log2().min(se_max)
}

/// The SINR (linear) at which Shannon with gap `gap` reaches each CQI's
/// efficiency: `gap·(2^{SE_k} − 1)`, k = 1…15.
pub fn derived_thresholds(gap: f64) -> [f64; 15] {
    std::array::from_fn(|k| gap * (CQI_TABLE_256QAM[k].efficiency().exp2() - 1.0))
}

/// The highest CQI `k` (1…15) with `sinr ≥ thresholds[k−1]`; `None` below CQI 1.
pub fn cqi_index(sinr: f64, thresholds: &[f64; 15]) -> Option<usize> {
    // thresholds ascend: the count of those met is the index.
    let k = thresholds.partition_point(|t| *t <= sinr);
    (k > 0).then_some(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_efficiencies_match_the_printed_column() {
        // The "efficiency" column of TS 38.214 Table 5.2.2.1-3, as printed (4 decimals).
        let printed = [
            0.1523, 0.3770, 0.8770, 1.4766, 1.9141, 2.4063, 2.7305, 3.3223, 3.9023, 4.5234, 5.1152,
            5.5547, 6.2266, 6.9141, 7.4063,
        ];
        for (e, p) in CQI_TABLE_256QAM.iter().zip(printed) {
            assert!((e.efficiency() - p).abs() < 5e-5, "CQI {}", e.index);
        }
        assert_eq!(SE_MAX_256QAM, 7.40625);
    }

    #[test]
    fn shannon_gap_and_cap() {
        // SINR 15 (11.76 dB), Γ = 0 dB: log2(16) = 4.
        assert_eq!(shannon(15.0, 1.0, 7.40625), 4.0);
        // Γ = 3 (4.77 dB): log2(1 + 5) = 2.584 963.
        assert!((shannon(15.0, 3.0, 7.40625) - 2.584_963).abs() < 1e-6);
        // SINR 10⁴ (40 dB): log2(10 001) = 13.29 > cap 7.406 25.
        assert_eq!(shannon(1e4, 1.0, 7.40625), 7.40625);
        assert_eq!(shannon(0.0, 1.0, 7.40625), 0.0);
    }

    #[test]
    fn cqi_boundaries_with_derived_thresholds() {
        let map = SeMap::new(&SpectralEfficiency::Cqi {
            gap_db: 0.0,
            thresholds_db: None,
        });
        // CQI 1: SE 78·2/1024 = 0.152 343 75, threshold 2^0.152 343 75 − 1 = 0.111 373 5
        // (−9.532 dB; checked in Python). Just below: no transmission; at it: CQI 1.
        let t1 = 0.152_343_75f64.exp2() - 1.0;
        assert!((t1 - 0.111_373_5).abs() < 1e-7);
        assert_eq!(map.cqi(t1 * (1.0 - 1e-9)), None);
        assert_eq!(map.se(t1 * (1.0 - 1e-9)), 0.0);
        assert_eq!(map.cqi(t1 * (1.0 + 1e-9)), Some(1));
        assert_eq!(map.se(t1 * (1.0 + 1e-9)), 0.152_343_75);
        // CQI 15: SE 7.406 25, threshold 2^7.406 25 − 1 = 168.630 (22.27 dB; Python).
        let t15 = 7.40625f64.exp2() - 1.0;
        assert!((t15 - 168.630).abs() < 1e-3, "{t15}");
        assert_eq!(map.cqi(t15 * (1.0 - 1e-9)), Some(14));
        assert_eq!(map.se(t15 * (1.0 - 1e-9)), 8.0 * 885.0 / 1024.0);
        assert_eq!(map.cqi(t15 * (1.0 + 1e-9)), Some(15));
        assert_eq!(map.cqi(1e9), Some(15));
        // SINR 15: Shannon gives log2(16) = 4 b/s/Hz; the highest efficiency ≤ 4 is
        // CQI 9 (64QAM 666/1024: 3.9023; CQI 10 is 4.5234).
        assert_eq!(map.cqi(15.0), Some(9));
        // A 3 dB gap doubles every threshold: at SINR 2·t1(1 + 10⁻⁹) CQI 1, just below it none.
        let gapped = SeMap::new(&SpectralEfficiency::Cqi {
            gap_db: 10.0 * 2f64.log10(),
            thresholds_db: None,
        });
        assert_eq!(gapped.cqi(2.0 * t1 * (1.0 + 1e-9)), Some(1));
        assert_eq!(gapped.cqi(2.0 * t1 * (1.0 - 1e-9)), None);
    }

    #[test]
    fn cqi_with_listed_thresholds() {
        let t: Vec<f64> = (0..15).map(|k| -6.0 + 2.0 * k as f64).collect();
        let map = SeMap::new(&SpectralEfficiency::Cqi {
            gap_db: 0.0,
            thresholds_db: Some(t),
        });
        // 0 dB = linear 1 is the threshold of CQI 4 (−6 + 2·3 = 0).
        assert_eq!(map.cqi(1.0), Some(4));
        assert_eq!(map.cqi(0.999), Some(3));
        assert_eq!(map.cqi(db_to_linear(-6.01)), None);
    }
}
