//! Reading a scenario from RON text (or bytes) and writing it back.
//!
//! Every error is one line and says where: line and column, the dotted
//! field when there is one, and what was expected. A UTF-8 byte-order mark
//! is skipped; invalid UTF-8 is reported at its first bad byte; control
//! characters in messages are escaped.

use super::error::ScenarioError;
use super::schema::Scenario;
use super::DEFAULT_SCENARIO_RON;
use crate::range::{read_ron, read_ron_bytes, TextError};

fn parse_error(e: TextError) -> ScenarioError {
    ScenarioError::Parse {
        line: e.line,
        column: e.column,
        field: e.field,
        message: e.message,
    }
}

impl Scenario {
    /// The paper's setting, from the compiled-in `scenarios/default.ron`.
    pub fn default_paper() -> Scenario {
        Scenario::from_ron_str(DEFAULT_SCENARIO_RON)
            .expect("scenarios/default.ron is valid (checked by a test)")
    }

    /// Parses the bytes of a file without range checks: they must be UTF-8
    /// (else the error gives the line and column of the first bad byte).
    ///
    /// # Errors
    /// [`ScenarioError::Parse`] with the line, column and field.
    pub fn parse_ron_bytes(bytes: &[u8]) -> Result<Scenario, ScenarioError> {
        read_ron_bytes(bytes, &ron::Options::default()).map_err(parse_error)
    }

    /// Parses RON text without range checks (for applying overrides before
    /// [`Scenario::validate`]). A leading byte-order mark is skipped.
    ///
    /// # Errors
    /// [`ScenarioError::Parse`] with the line, column and field.
    pub fn parse_ron_str(text: &str) -> Result<Scenario, ScenarioError> {
        read_ron(text, &ron::Options::default()).map_err(parse_error)
    }

    /// Parses RON text and range-checks every field.
    ///
    /// # Errors
    /// [`ScenarioError::Parse`] for text that is not a scenario;
    /// [`ScenarioError::Invalid`] naming the first field out of range.
    pub fn from_ron_str(text: &str) -> Result<Scenario, ScenarioError> {
        let s = Scenario::parse_ron_str(text)?;
        s.validate()?;
        Ok(s)
    }

    /// Makes the relative data-file paths of the scenario (a replayed
    /// trace's, `Empirical` distributions') relative to `dir` — the scenario
    /// file's directory — by joining them to it; absolute paths are kept.
    pub fn rebase_paths(&mut self, dir: &std::path::Path) {
        let rebase = |p: &mut String| {
            if !std::path::Path::new(p.as_str()).is_absolute() && !dir.as_os_str().is_empty() {
                *p = dir.join(p.as_str()).to_string_lossy().into_owned();
            }
        };
        if let super::schema::Process::Trace(t) = &mut self.arrivals.process {
            rebase(&mut t.path);
        }
        for d in [&mut self.requests.prompt, &mut self.requests.output_levels] {
            if let super::schema::Dist::Empirical { path, .. } = d {
                rebase(path);
            }
        }
    }

    /// Writes the scenario as RON that [`Scenario::from_ron_str`] reads back to the same value.
    pub fn to_ron_string(&self) -> String {
        let cfg = ron::ser::PrettyConfig::new().struct_names(false);
        let mut s = ron::ser::to_string_pretty(self, cfg).expect("a scenario always serializes");
        s.push('\n');
        s
    }
}
