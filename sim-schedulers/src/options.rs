//! Option types shared by several schedulers, read from a scenario's
//! `scheduler: (name: …, <option>: …)` by each scheduler's own options type
//! ([`sim_models::scheduler::SchedulerSpec::options`]).

use serde::{Deserialize, Serialize};

/// Where dftsp and tree-search start `z` (MODEL.md §7).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ZStart {
    /// At `z_max`, the per-cap upper bound (the default **[decision]**).
    #[default]
    Bound,
    /// At the cap's candidate count, as the paper's Algorithm 1 line 2.
    All,
}

/// The options of dftsp and tree-search.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchOptions {
    /// Where `z` starts. Default [`ZStart::Bound`].
    #[serde(default)]
    pub z_start: ZStart,
}

/// The options of static and nobatch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdmissionOptions {
    /// Admit only requests that can meet their deadline (1d). Default `true`.
    #[serde(default = "yes")]
    pub deadline_aware: bool,
}

fn yes() -> bool {
    true
}

/// The options of a scheduler that has none: any option is refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoOptions {}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_models::scheduler::SchedulerSpec;

    #[test]
    fn options_read_from_ron_with_enum_names_and_refuse_unknown_ones() {
        let mut spec = SchedulerSpec::named("dftsp");
        spec.set_option_ron("z_start", "All").unwrap();
        assert_eq!(
            spec.options::<SearchOptions>().unwrap().z_start,
            ZStart::All
        );
        let spec = SchedulerSpec::named("dftsp").with_option("z_start", ZStart::Bound);
        assert_eq!(
            spec.options::<SearchOptions>().unwrap().z_start,
            ZStart::Bound
        );
        assert_eq!(
            SchedulerSpec::named("dftsp")
                .options::<SearchOptions>()
                .unwrap(),
            SearchOptions::default()
        );
        let bad = SchedulerSpec::named("dftsp").with_option("z_start", "Al");
        let e = bad.options::<SearchOptions>().unwrap_err();
        assert!(
            e.starts_with("scheduler.z_start: unknown variant `Al`"),
            "{e}"
        );
        let extra = SchedulerSpec::named("exact").with_option("z_start", "All");
        let e = extra.options::<NoOptions>().unwrap_err();
        assert_eq!(e, "scheduler.z_start: `exact` takes no options");
        let s = SchedulerSpec::named("static");
        assert!(s.options::<AdmissionOptions>().unwrap().deadline_aware);
    }

    #[test]
    fn a_scenario_style_spec_keeps_variant_names() {
        let spec: SchedulerSpec = ron::from_str("(name: \"tree-search\", z_start: All, )").unwrap();
        assert_eq!(spec.name, "tree-search");
        assert_eq!(
            spec.options::<SearchOptions>().unwrap().z_start,
            ZStart::All
        );
        // And back: the written form reads again to the same spec.
        let again: SchedulerSpec = ron::from_str(&ron::to_string(&spec).unwrap()).unwrap();
        assert_eq!(again, spec);
    }
}
