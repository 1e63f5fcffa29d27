//! Verification: re-import a conversion's output with the target's own importer and compare
//! its packet set with the source's. The report's verdict is the semantic result, never less
//! severe than the field-level entries.

use crate::codec::{self, Format};
use crate::error::Error;
use crate::model::{Document, Remote, Rule};
use crate::output::Output;
use crate::progress::{self, Event, Progress};
use crate::providers::{ImportOptions, Provider};
use crate::report::{Kind, Report};
use crate::semantics;

/// How many differing boxes a report lists (the verdict counts them all).
pub const MAX_DIFFERENCES: usize = 1000;

/// A conversion's output, as [`verify`] reads it back.
pub(crate) struct Written<'a> {
    /// The document of the target, as written.
    pub(crate) output: &'a Output,
    /// The number of rules, when the document is one group's list of them (read back into
    /// one block of that size).
    pub(crate) one_list: Option<usize>,
}

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
    let written = Written {
        output,
        one_list: None,
    };
    verify_written(source, written, target, report, progress)
}

/// [`verify`] of an output whose shape is known.
pub(crate) fn verify_written(
    source: &Document,
    written: Written<'_>,
    target: &dyn Provider,
    report: &mut Report,
    progress: Option<&Progress>,
) -> Result<(), Error> {
    let id = target.id();
    let output = written.output;
    let mut scratch = Report::new(id, id);
    let internal = |e: String| Error::Internal(format!("verification: {id} {e}"));
    let expected = written.one_list.map(codec::Expected::enter);
    let mut read_back = target
        .import(
            output.as_json(),
            output.format(),
            &ImportOptions::default(),
            &mut scratch,
        )
        .map_err(|e| internal(format!("cannot re-import its own export: {e}")))?;
    drop(expected);
    if output.format() == Format::Terraform {
        same_ids(source, &mut read_back)?;
    }
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

/// A configuration names its groups by resource address (`gcore_cloud_security_group.web`),
/// and its rules name groups of the file by reference to them, which the reader turns into
/// that address: give each group read back the id of the source group at its place, in the
/// group and in every rule that names it, so that the packet sets compare.
fn same_ids(source: &Document, read_back: &mut Document) -> Result<(), Error> {
    let renames: Vec<(String, String)> = read_back
        .groups
        .iter()
        .zip(&source.groups)
        .filter_map(|(back, src)| Some((back.id.clone()?, src.id.clone()?)))
        .collect();
    if renames.is_empty() {
        return Ok(());
    }
    for (group, src) in read_back.groups.iter_mut().zip(&source.groups) {
        group.id.clone_from(&src.id);
        for rule in &mut group.rules {
            let Remote::Group(id) = rule.remote() else {
                continue;
            };
            let Some((_, to)) = renames.iter().find(|(from, _)| from == id) else {
                continue;
            };
            let mut spec = rule.spec().clone();
            spec.remote = Remote::Group(to.clone());
            *rule = Rule::new(spec)?;
        }
    }
    Ok(())
}
