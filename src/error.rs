//! The library's errors. Exit codes are the CLI's business: see [`Error::exit_code`].

use std::fmt;

use crate::providers::ProviderId;
use crate::report::Report;

/// Where in an input document something went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Everything that can stop a conversion.
#[derive(Debug, thiserror::Error)]
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
    /// The input is well-formed but not a document shape the provider's importer knows.
    #[error("{provider} input: {message}")]
    Shape {
        /// The provider whose document was being read.
        provider: ProviderId,
        /// What was found and what was expected.
        message: String,
    },
    /// The conversion would change traffic in a way the options forbid (widening without
    /// `allow_widen`, narrowing with `strict`), or needs lowering that is not available.
    #[error("refused: {reason}")]
    Refused {
        /// Why.
        reason: String,
        /// The report up to the refusal, to show what would have changed.
        report: Box<Report>,
    },
    /// A bug: an exporter met a rule the lowering pass should have fitted.
    #[error("internal error (please report): {0}")]
    Internal(String),
}

impl Error {
    /// The CLI exit code for this error: 1 bad input, 3 refused, 70 internal.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input { .. } | Error::Shape { .. } => 1,
            Error::Refused { .. } => 3,
            Error::Internal(_) => 70,
        }
    }
}
