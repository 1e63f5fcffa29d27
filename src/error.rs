//! The library's errors: bad input, and bugs. A refusal is not an error: it is a value
//! beside the report ([`crate::Converted::outcome`]).

use std::fmt;

use crate::id::ProviderId;

/// Where in an input document something went wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Location {
    /// The JSON path of the value (`security_group_rules[3].protocol`; `.` for the root).
    pub path: String,
    /// 1-based line (0 when the reader could not place the error).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            // The YAML reader could not place the error (it happens at the document root).
            return f.write_str(&self.path);
        }
        write!(
            f,
            "{} (line {}, column {})",
            self.path, self.line, self.column
        )
    }
}

/// What stops a conversion before it has a result: the input cannot be read, or sgconv has
/// a bug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not valid JSON/YAML, or a value in it is not what the provider accepts.
    #[error("{provider} input: {location}: {message}")]
    Input {
        /// The provider whose document was being read.
        provider: ProviderId,
        /// Where.
        location: Location,
        /// What was found and what was expected.
        message: String,
    },
    /// The input is well-formed but not a document shape the provider's importer knows, or
    /// it is ambiguous (two shapes at once) or known to be incomplete.
    #[error("{provider} input: {message}")]
    Shape {
        /// The provider whose document was being read.
        provider: ProviderId,
        /// What was found and what was expected.
        message: String,
    },
    /// The options do not fit the document (one target group id for a document of several
    /// groups, a map of target ids without one of its groups).
    #[error("options: {0}")]
    Options(String),
    /// A lint configuration file (`sgconv lint --config`) is not valid: an unknown key, a
    /// bad value.
    #[error("lint config: {location}: {message}")]
    Config {
        /// Where.
        location: Location,
        /// What was found and what was expected.
        message: String,
    },
    /// A document built in code breaks a model invariant.
    #[error("invalid document: {0}")]
    Model(#[from] crate::model::ModelError),
    /// A bug: sgconv produced something it cannot read back.
    #[error("internal error (please report): {0}")]
    Internal(String),
}
