//! Verification: re-import a conversion's output with the target's own importer and compare
//! its packet set with the source's (DESIGN.md §2). The report's verdict is the semantic
//! result, never less severe than the field-level entries.

use crate::error::Error;
use crate::format::Format;
use crate::model::Document;
use crate::providers::ProviderId;
use crate::report::Report;
use crate::semantics;

/// How many differing boxes a report lists (the verdict counts them all).
pub const MAX_DIFFERENCES: usize = 1000;

/// Re-import `output` (a document of provider `to`) and compare it with `source`, group by
/// group; record the differences and raise the verdict in `report`.
///
/// Fails with [`Error::Internal`] when the target's importer rejects the exporter's output.
pub fn verify(
    source: &Document,
    output: &serde_json::Value,
    to: ProviderId,
    report: &mut Report,
) -> Result<(), Error> {
    let target = reimport(source, output, to)?;
    // One more than the list holds, to know whether it was cut.
    let (verdict, mut differences) =
        semantics::compare_documents_limited(source, &target, MAX_DIFFERENCES.saturating_add(1));
    report.differences_truncated = differences.len() > MAX_DIFFERENCES;
    differences.truncate(MAX_DIFFERENCES);
    report.verdict = report.verdict.max(verdict);
    report.differences = differences;
    Ok(())
}

/// Read the output back: as one document, or — for a multi-group export in the
/// `{"groups": [{"document": ...}]}` wrapper — one group per wrapped document.
fn reimport(
    source: &Document,
    output: &serde_json::Value,
    to: ProviderId,
) -> Result<Document, Error> {
    let read = |value: &serde_json::Value| -> Result<Document, Error> {
        let text = serde_json::to_string(value).map_err(|e| Error::Internal(e.to_string()))?;
        let mut scratch = Report::new(to, to);
        crate::import(&text, to, Some(Format::Json), &mut scratch).map_err(|e| {
            Error::Internal(format!(
                "verification: {to} cannot re-import its own export: {e}"
            ))
        })
    };
    let wrapped = output
        .get("groups")
        .and_then(|g| g.as_array())
        .filter(|g| g.iter().all(|item| item.get("document").is_some()));
    if source.groups.len() != 1
        && let Some(items) = wrapped
    {
        let mut groups = Vec::with_capacity(items.len());
        for item in items {
            if let Some(doc) = item.get("document") {
                groups.extend(read(doc)?.groups);
            }
        }
        return Ok(Document { groups });
    }
    read(output)
}
