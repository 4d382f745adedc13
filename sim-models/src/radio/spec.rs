//! The scenario's description of the link-budget channel (`channel.model:
//! LinkBudget(..)`, MODEL.md §14), its defaults and its range checks.

use serde::de::value::MapAccessDeserializer;
use serde::de::{EnumAccess, MapAccess, VariantAccess, Visitor};
use serde::ser::SerializeStructVariant;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::fading::Fading;
use super::path_loss::{Environment, MAX_D2D, MAX_FC_GHZ, MIN_D2D, MIN_FC_GHZ, MIN_UT_HEIGHT};
use super::placement::Placement;
use super::spectral::SpectralEfficiency;

/// Which channel model gives the users' spectral efficiency.
///
/// In RON: `Paper` or `LinkBudget(carrier_ghz: 28.0, …)` — a struct variant,
/// every field optional. (Serde would write a variant holding a struct as
/// `LinkBudget((…))`; the impls below read and write the one-parenthesis
/// form, as for `model: Custom(..)`, keeping the fields in one struct.)
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ChannelModel {
    /// The paper's channel (MODEL.md §3): gain `PL·X`, `X ~ Exp(1)` per user
    /// per epoch, `SE = log2(1 + p·g/(N0·B))` (the default).
    #[default]
    Paper,
    /// The link budget of MODEL.md §14.
    LinkBudget(LinkBudgetSpec),
}

/// The link-budget channel (MODEL.md §14). Powers, bandwidths and `N0` are
/// the channel's and users' fields (`users.tx_power_dbm`,
/// `channel.bs_power_dbm`, `channel.bandwidth_up/down`,
/// `channel.noise_dbm_per_hz`); `users.path_loss` is not used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LinkBudgetSpec {
    /// TR 38.901 scenario: `UMa` or `UMi` (street canyon).
    pub environment: Environment,
    /// Carrier frequency `f_c`, GHz, in [0.5, 100] (TR 38.901). Default 3.5
    /// GHz, the middle of NR band n78 (3.3–3.8 GHz, TS 38.101-1 Table 5.2-1).
    pub carrier_ghz: f64,
    /// BS antenna height `h_BS`, m; `None` = the table's 25 m (UMa) or 10 m (UMi).
    pub bs_height: Option<f64>,
    /// UT antenna height `h_UT`, m, in [1.5, 22.5] (UMi) or [1.5, 13] (UMa). Default 1.5.
    pub ut_height: f64,
    /// Where the users are.
    pub placement: Placement,
    /// LOS or NLOS: by TR 38.901's probability (per user, drawn once) or forced.
    pub los: LosMode,
    /// Log-normal shadowing, per user and fixed, with the table's `σ_SF`
    /// (`false` = none).
    pub shadowing: bool,
    /// Fast fading, per coherence block.
    pub fading: Fading,
    /// Coherence time, s: the fading is redrawn at every multiple of it;
    /// `None` = the epoch length `T_C`.
    pub coherence_time: Option<f64>,
    /// BS receiver noise figure (uplink), dB, in [0, 30]. Default 5 dB (3GPP
    /// TR 36.814 V9.2.0 Annex A.2.1.1, BS noise figure).
    pub bs_noise_figure_db: f64,
    /// UE receiver noise figure (downlink), dB, in [0, 30]. Default 9 dB (3GPP
    /// TR 36.814 V9.2.0 Annex A.2.1.1, UE noise figure).
    pub ue_noise_figure_db: f64,
    /// BS antenna gain, dBi, in [−30, 50] (default 0).
    pub bs_antenna_gain_dbi: f64,
    /// UE antenna gain, dBi, in [−30, 50] (default 0).
    pub ue_antenna_gain_dbi: f64,
    /// SINR → spectral efficiency.
    pub spectral: SpectralEfficiency,
}

/// How each user's LOS state is chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LosMode {
    /// LOS with TR 38.901 Table 7.4.2-1's probability at the user's distance,
    /// drawn once per user.
    #[default]
    Probability,
    /// Every user in LOS.
    Los,
    /// Every user in NLOS.
    Nlos,
}

impl Default for LinkBudgetSpec {
    fn default() -> Self {
        LinkBudgetSpec {
            environment: Environment::UMa,
            carrier_ghz: 3.5,
            bs_height: None,
            ut_height: 1.5,
            placement: Placement::default(),
            los: LosMode::Probability,
            shadowing: true,
            fading: Fading::Rayleigh,
            coherence_time: None,
            bs_noise_figure_db: 5.0,
            ue_noise_figure_db: 9.0,
            bs_antenna_gain_dbi: 0.0,
            ue_antenna_gain_dbi: 0.0,
            spectral: SpectralEfficiency::default(),
        }
    }
}

/// A field of a [`LinkBudgetSpec`] out of range: the field's path below the
/// spec (e.g. `placement.r_max`) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {message}")]
pub struct SpecError {
    /// Dotted path below the spec.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

fn err(field: &str, message: String) -> SpecError {
    SpecError {
        field: field.into(),
        message,
    }
}

/// `v` must be finite and in `[lo, hi]`.
fn within(field: &str, v: f64, lo: f64, hi: f64, unit: &str) -> Result<f64, SpecError> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(err(
            field,
            format!("must be a number in [{lo}, {hi}] {unit}, got {v}"),
        ))
    }
}

/// Most listed distances.
pub const MAX_DISTANCES: usize = 100_000;

impl LinkBudgetSpec {
    /// The BS height, m: the given one or the table's default.
    pub fn bs_height(&self) -> f64 {
        self.bs_height
            .unwrap_or(self.environment.default_bs_height())
    }

    /// Range-checks every field.
    ///
    /// # Errors
    /// [`SpecError`] naming the first field out of range. The bounds are the
    /// validity ranges of TR 38.901 Table 7.4.1-1 (distances 10 m–5 km, UT
    /// height, carrier 0.5–100 GHz) — nothing is extrapolated — and, for the
    /// other fields, the ranges in their docs.
    pub fn validate(&self) -> Result<(), SpecError> {
        within(
            "carrier_ghz",
            self.carrier_ghz,
            MIN_FC_GHZ,
            MAX_FC_GHZ,
            "GHz",
        )?;
        let max_ut = self.environment.max_ut_height();
        within("ut_height", self.ut_height, MIN_UT_HEIGHT, max_ut, "m").map_err(|e| {
            err(
                "ut_height",
                format!(
                    "{} ({:?}; TR 38.901 Table 7.4.1-1{})",
                    e.message,
                    self.environment,
                    if self.environment == Environment::UMa {
                        ", and h_E = 1 m needs h_UT ≤ 13 m"
                    } else {
                        ""
                    }
                ),
            )
        })?;
        if let Some(h) = self.bs_height {
            within("bs_height", h, self.ut_height, 150.0, "m").map_err(|e| {
                err(
                    "bs_height",
                    format!("{} (at least h_UT = {} m)", e.message, self.ut_height),
                )
            })?;
            if h <= self.ut_height {
                return Err(err(
                    "bs_height",
                    format!("must be above h_UT = {} m, got {h}", self.ut_height),
                ));
            }
        }
        match &self.placement {
            Placement::Annulus { r_min, r_max } => {
                within(
                    "placement.r_min",
                    *r_min,
                    MIN_D2D,
                    MAX_D2D,
                    "m (TR 38.901 Table 7.4.1-1)",
                )?;
                within(
                    "placement.r_max",
                    *r_max,
                    *r_min,
                    MAX_D2D,
                    "m (r_min … 5 km)",
                )?;
            }
            Placement::Distances(d) => {
                if d.is_empty() || d.len() > MAX_DISTANCES {
                    return Err(err(
                        "placement",
                        format!(
                            "Distances must list 1 to {MAX_DISTANCES} distances, got {}",
                            d.len()
                        ),
                    ));
                }
                for (i, x) in d.iter().enumerate() {
                    within(
                        &format!("placement[{i}]"),
                        *x,
                        MIN_D2D,
                        MAX_D2D,
                        "m (TR 38.901 Table 7.4.1-1)",
                    )?;
                }
            }
        }
        if let Fading::Rician { k_db } = self.fading {
            within("fading.k_db", k_db, -30.0, 40.0, "dB")?;
        }
        if let Some(t) = self.coherence_time {
            within("coherence_time", t, 1e-6, crate::range::MAX_SECONDS, "s")?;
        }
        within(
            "bs_noise_figure_db",
            self.bs_noise_figure_db,
            0.0,
            30.0,
            "dB",
        )?;
        within(
            "ue_noise_figure_db",
            self.ue_noise_figure_db,
            0.0,
            30.0,
            "dB",
        )?;
        within(
            "bs_antenna_gain_dbi",
            self.bs_antenna_gain_dbi,
            -30.0,
            50.0,
            "dBi",
        )?;
        within(
            "ue_antenna_gain_dbi",
            self.ue_antenna_gain_dbi,
            -30.0,
            50.0,
            "dBi",
        )?;
        match &self.spectral {
            SpectralEfficiency::Shannon { gap_db, se_max } => {
                within("spectral.gap_db", *gap_db, 0.0, 30.0, "dB")?;
                within("spectral.se_max", *se_max, 1e-3, 100.0, "b/s/Hz")?;
            }
            SpectralEfficiency::Cqi {
                gap_db,
                thresholds_db,
            } => {
                within("spectral.gap_db", *gap_db, 0.0, 30.0, "dB")?;
                if let Some(t) = thresholds_db {
                    if t.len() != 15 {
                        return Err(err(
                            "spectral.thresholds_db",
                            format!("must list 15 thresholds (CQI 1…15), got {}", t.len()),
                        ));
                    }
                    for (i, x) in t.iter().enumerate() {
                        let f = format!("spectral.thresholds_db[{i}]");
                        within(&f, *x, -50.0, 60.0, "dB")?;
                        if i > 0 && *x <= t[i - 1] {
                            return Err(err(
                                &f,
                                format!(
                                    "thresholds must ascend: {x} dB is not above CQI {}'s {} dB",
                                    i,
                                    t[i - 1]
                                ),
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

impl Serialize for ChannelModel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let spec = match self {
            ChannelModel::Paper => return s.serialize_unit_variant("ChannelModel", 0, "Paper"),
            ChannelModel::LinkBudget(spec) => spec,
        };
        // Every field of LinkBudgetSpec (a round-trip test sets each to a
        // non-default value, so a field left out here fails it).
        let mut v = s.serialize_struct_variant("ChannelModel", 1, "LinkBudget", 14)?;
        v.serialize_field("environment", &spec.environment)?;
        v.serialize_field("carrier_ghz", &spec.carrier_ghz)?;
        v.serialize_field("bs_height", &spec.bs_height)?;
        v.serialize_field("ut_height", &spec.ut_height)?;
        v.serialize_field("placement", &spec.placement)?;
        v.serialize_field("los", &spec.los)?;
        v.serialize_field("shadowing", &spec.shadowing)?;
        v.serialize_field("fading", &spec.fading)?;
        v.serialize_field("coherence_time", &spec.coherence_time)?;
        v.serialize_field("bs_noise_figure_db", &spec.bs_noise_figure_db)?;
        v.serialize_field("ue_noise_figure_db", &spec.ue_noise_figure_db)?;
        v.serialize_field("bs_antenna_gain_dbi", &spec.bs_antenna_gain_dbi)?;
        v.serialize_field("ue_antenna_gain_dbi", &spec.ue_antenna_gain_dbi)?;
        v.serialize_field("spectral", &spec.spectral)?;
        v.end()
    }
}

impl<'de> Deserialize<'de> for ChannelModel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(variant_identifier)]
        enum Tag {
            Paper,
            LinkBudget,
        }

        struct ModelVisitor;
        impl<'de> Visitor<'de> for ModelVisitor {
            type Value = ChannelModel;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("`Paper` or `LinkBudget(..)`")
            }
            fn visit_enum<A: EnumAccess<'de>>(self, a: A) -> Result<ChannelModel, A::Error> {
                match a.variant::<Tag>()? {
                    (Tag::Paper, v) => v.unit_variant().map(|_| ChannelModel::Paper),
                    // The field list only serves the format's own checks (RON's
                    // for ranges); LinkBudgetSpec's derived reader checks the names.
                    (Tag::LinkBudget, v) => v
                        .struct_variant(&[], SpecVisitor)
                        .map(ChannelModel::LinkBudget),
                }
            }
        }

        /// Reads the variant's fields with LinkBudgetSpec's derived reader.
        struct SpecVisitor;
        impl<'de> Visitor<'de> for SpecVisitor {
            type Value = LinkBudgetSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("the fields of LinkBudget")
            }
            fn visit_map<M: MapAccess<'de>>(self, m: M) -> Result<LinkBudgetSpec, M::Error> {
                LinkBudgetSpec::deserialize(MapAccessDeserializer::new(m))
            }
        }

        d.deserialize_enum("ChannelModel", &["Paper", "LinkBudget"], ModelVisitor)
    }
}
