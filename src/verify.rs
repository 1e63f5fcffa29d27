//! Verification: re-import a conversion's output with the target's own importer and compare
//! its packet set with the source's (DESIGN.md §2). The report's verdict is the semantic
//! result, never less severe than the field-level entries.

use crate::error::Error;
use crate::format::Format;
use crate::model::Document;
use crate::output::Output;
use crate::providers::ProviderId;
use crate::report::Report;
use crate::semantics;

/// How many differing boxes a report lists (the verdict counts them all).
pub const MAX_DIFFERENCES: usize = 1000;

/// Re-import `output` (a document of provider `to`, as written) and compare it with
/// `source`, group by group; record the differences and raise the verdict in `report`. A
/// multi-group output is read back through the target's importer like any input.
///
/// Fails with [`Error::Internal`] when the target's importer rejects the exporter's output.
pub fn verify(
    source: &Document,
    output: &Output,
    to: ProviderId,
    report: &mut Report,
) -> Result<(), Error> {
    let mut scratch = Report::scratch(to);
    let target =
        crate::import(output.as_json(), to, Some(Format::Json), &mut scratch).map_err(|e| {
            Error::Internal(format!(
                "verification: {to} cannot re-import its own export: {e}"
            ))
        })?;
    drop(scratch);
    // One more than the list holds, to know whether it was cut.
    let (verdict, mut differences) =
        semantics::compare_documents_limited(source, &target, MAX_DIFFERENCES.saturating_add(1));
    report.differences_truncated = differences.len() > MAX_DIFFERENCES;
    differences.truncate(MAX_DIFFERENCES);
    report.verdict = report.verdict.max(verdict);
    report.differences = differences;
    Ok(())
}
