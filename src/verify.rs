//! Verification: re-import a conversion's output with the target's own importer and compare
//! its packet set with the source's. The report's verdict is the semantic result, never less
//! severe than the field-level entries.

use crate::codec::Format;
use crate::error::Error;
use crate::model::Document;
use crate::output::Output;
use crate::progress::{self, Event, Progress};
use crate::providers::{ImportOptions, Provider};
use crate::report::{Kind, Report};
use crate::semantics;

/// How many differing boxes a report lists (the verdict counts them all).
pub const MAX_DIFFERENCES: usize = 1000;

/// Re-import `output` (a document of `target`, as written) and compare it with `source`,
/// group by group; record the differences and raise the verdict in `report`. `progress` hears
/// of the read-back and of each group compared.
///
/// Fails with [`Error::Internal`] when the target's importer rejects the exporter's output
/// or does not read all of it.
pub(crate) fn verify(
    source: &Document,
    output: &Output,
    target: &dyn Provider,
    report: &mut Report,
    progress: Option<&Progress>,
) -> Result<(), Error> {
    let id = target.id();
    let mut scratch = Report::new(id, id);
    let internal = |e: String| Error::Internal(format!("verification: {id} {e}"));
    let read_back = target
        .import(
            output.as_json(),
            Format::Json,
            &ImportOptions::default(),
            &mut scratch,
        )
        .map_err(|e| internal(format!("cannot re-import its own export: {e}")))?;
    if let Some(unread) = scratch.entries.iter().find(|e| e.kind == Kind::Unread) {
        return Err(internal(format!(
            "does not read its own export: {}",
            unread.message
        )));
    }
    drop(scratch);
    let groups = source.groups.len().max(read_back.groups.len());
    progress::send(progress, || Event::ReadBack { groups });
    // One more than the list holds, to know whether it was cut.
    let (verdict, mut differences) = semantics::compare_documents_limited(
        source,
        &read_back,
        MAX_DIFFERENCES.saturating_add(1),
        |done, groups| progress::send(progress, || Event::Verified { done, groups }),
    );
    report.differences_truncated = differences.len() > MAX_DIFFERENCES;
    differences.truncate(MAX_DIFFERENCES);
    report.verdict = report.verdict.max(verdict);
    report.differences = differences;
    Ok(())
}
