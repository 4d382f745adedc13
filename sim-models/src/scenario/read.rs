//! Reading a scenario from RON text and writing it back.

use super::error::ScenarioError;
use super::schema::Scenario;
use super::DEFAULT_SCENARIO_RON;

impl Scenario {
    /// The paper's setting, from the compiled-in `scenarios/default.ron`.
    pub fn default_paper() -> Scenario {
        Scenario::from_ron_str(DEFAULT_SCENARIO_RON)
            .expect("scenarios/default.ron is valid (checked by a test)")
    }

    /// Parses RON text without range checks (for applying overrides before [`Scenario::validate`]).
    pub fn parse_ron_str(text: &str) -> Result<Scenario, ScenarioError> {
        ron::from_str(text).map_err(|e| ScenarioError::Parse {
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        })
    }

    /// Parses RON text and range-checks every field.
    pub fn from_ron_str(text: &str) -> Result<Scenario, ScenarioError> {
        let s = Scenario::parse_ron_str(text)?;
        s.validate()?;
        Ok(s)
    }

    /// Writes the scenario as RON that [`Scenario::from_ron_str`] reads back to the same value.
    pub fn to_ron_string(&self) -> String {
        let cfg = ron::ser::PrettyConfig::new().struct_names(false);
        let mut s = ron::ser::to_string_pretty(self, cfg).expect("a scenario always serializes");
        s.push('\n');
        s
    }
}
