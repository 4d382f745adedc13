//! Reading a scenario from RON text (or bytes) and writing it back.
//!
//! Every error is one line and says where: line and column, the dotted
//! field when there is one, and what was expected. A UTF-8 byte-order mark
//! is skipped; invalid UTF-8 is reported at its first bad byte; control
//! characters in messages are escaped.

use serde::Deserialize;

use super::error::{dotted, line_column, locate, ScenarioError};
use super::schema::Scenario;
use super::DEFAULT_SCENARIO_RON;

/// The UTF-8 byte-order mark.
const BOM: char = '\u{feff}';

impl Scenario {
    /// The paper's setting, from the compiled-in `scenarios/default.ron`.
    pub fn default_paper() -> Scenario {
        Scenario::from_ron_str(DEFAULT_SCENARIO_RON)
            .expect("scenarios/default.ron is valid (checked by a test)")
    }

    /// Parses the bytes of a file without range checks: they must be UTF-8
    /// (else the error gives the line and column of the first bad byte).
    pub fn parse_ron_bytes(bytes: &[u8]) -> Result<Scenario, ScenarioError> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Scenario::parse_ron_str(text),
            Err(e) => {
                let good = e.valid_up_to();
                let text = std::str::from_utf8(&bytes[..good]).expect("valid up to here");
                let (line, column) = line_column(text, good);
                Err(ScenarioError::Parse {
                    line,
                    column,
                    field: None,
                    message: format!(
                        "the file is not UTF-8 text: invalid byte 0x{:02x}",
                        bytes[good]
                    ),
                })
            }
        }
    }

    /// Parses RON text without range checks (for applying overrides before
    /// [`Scenario::validate`]). A leading byte-order mark is skipped.
    pub fn parse_ron_str(text: &str) -> Result<Scenario, ScenarioError> {
        // The mark is one character wide: columns on line 1 stay those an editor shows.
        let body = text.strip_prefix(BOM).unwrap_or(text);
        let shift = usize::from(body.len() != text.len());
        let fail = |e: ron::error::SpannedError, field: String| {
            let (line, column, field, message) = locate(body, &e, field);
            ScenarioError::Parse {
                line,
                column: if line == 1 { column + shift } else { column },
                field,
                message,
            }
        };
        let mut de = ron::Deserializer::from_str(body).map_err(|e| fail(e, String::new()))?;
        let mut track = serde_path_to_error::Track::new();
        let value =
            Scenario::deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track));
        let s = value.map_err(|e| fail(de.span_error(e), dotted(&track.path())))?;
        de.end()
            .map_err(|e| fail(de.span_error(e), String::new()))?;
        Ok(s)
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
