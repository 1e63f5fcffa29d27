//! A plan's end state: every step applied in order to an empty account, read with the
//! target's own importer, and compared with the source.
//!
//! A new group holds what the target's capabilities say it is born with
//! ([`crate::caps::Capabilities::born_with`]) unless the dialect's create request asks for
//! none or its steps delete them: the same declaration `fit` notes them from.

use crate::codec::Format;
use crate::error::Error;
use crate::model::{Document, SecurityGroup};
use crate::providers::plan::{Born, GroupRequests, born_count, born_rules};
use crate::providers::{ImportOptions, Provider};
use crate::report::{Kind, Report};

/// The groups the plan leaves behind: each as the target holds it once created (with what
/// it is born with and keeps), then every rule request's document added, in order. `ids` are
/// the bound ids, the names by which rules refer to the groups.
pub(super) fn end_state(
    target: &dyn Provider,
    groups: &[GroupRequests],
    ids: &[String],
) -> Result<Document, Error> {
    let caps = target.capabilities();
    let internal = |e: &str| Error::Internal(format!("plan simulation: {} {e}", target.id()));
    let mut out = Vec::with_capacity(groups.len());
    for (requests, id) in groups.iter().zip(ids) {
        let created = read(target, &requests.created, &ImportOptions::default())?;
        let mut group = created
            .groups
            .into_iter()
            .next()
            .unwrap_or_else(SecurityGroup::empty);
        let born = born_rules(caps, id)?;
        match &requests.born {
            Born::Nothing if born.is_empty() => {}
            Born::Avoided => {}
            Born::Deleted(deletes) if deletes.len() == born_count(caps) => {}
            Born::Nothing | Born::Deleted(_) => {
                // The dialect's requests and its declared born-with rules disagree.
                return Err(internal(
                    "deletes other rules than its groups are born with",
                ));
            }
        }
        // A rule request adds to the group it names: its rules are read with that group's
        // policies.
        let into = ImportOptions::default()
            .with_defaults(Some(group.default_inbound), Some(group.default_outbound))
            .with_stateful(Some(group.stateful));
        for step in &requests.rules {
            let Some(body) = step.reads.as_ref().or(step.body.as_ref()) else {
                continue;
            };
            for added in read(target, body, &into)?.groups {
                group.rules.extend(added.rules);
            }
        }
        group.id = Some(id.clone());
        group.number_rules();
        out.push(group);
    }
    Ok(Document::new(out))
}

/// One body, read by the target's importer: a body the target does not read whole is a bug.
fn read(
    target: &dyn Provider,
    body: &serde_json::Value,
    options: &ImportOptions,
) -> Result<Document, Error> {
    let id = target.id();
    let internal = |e: String| Error::Internal(format!("plan simulation: {id} {e}"));
    let text = serde_json::to_string(body).map_err(|e| internal(e.to_string()))?;
    let mut scratch = Report::new(id, id);
    let doc = target
        .import(&text, Format::Json, options, &mut scratch)
        .map_err(|e| internal(format!("cannot read a body of its plan: {e}")))?;
    if let Some(unread) = scratch.entries.iter().find(|e| e.kind == Kind::Unread) {
        return Err(internal(format!(
            "does not read a body of its plan: {}",
            unread.message
        )));
    }
    Ok(doc)
}
