//! Group ids across clouds. A group id means something only in the cloud (and account) that
//! made it: a rule's remote group is rewritten where the user gave the target's id for it
//! (one target id for a document of one group, or a map from source ids), its own group
//! included (a self-reference follows the group); any other remote group id carried into
//! another cloud is reported as one the user must map. Address sets named in rules (Huawei
//! address groups, AWS prefix lists) are ids of their cloud too: mapped the same way, from the
//! same map, and reported when carried across clouds unmapped.

use std::collections::BTreeMap;

use crate::model::{Document, Remote, Rule};
use crate::report::{Field, Kind, Report};

/// The target ids the user gave: one for a document of one group, and/or a map from source
/// group ids (the document's groups and the groups its rules name).
pub(crate) struct TargetIds<'a> {
    /// The id of the target group of a one-group document.
    pub(crate) one: Option<&'a str>,
    /// Target ids by source id.
    pub(crate) map: &'a BTreeMap<String, String>,
    /// Whether source and target group ids live in different clouds (each unknown to the
    /// other).
    pub(crate) foreign: bool,
    /// Whether source and target address-set ids live in different clouds.
    pub(crate) foreign_sets: bool,
    /// Whether the output names the document's own groups by reference, not by id (a
    /// Terraform configuration): only ids of groups outside the document are then foreign.
    pub(crate) by_reference: bool,
}

/// Why the ids given do not fit the document.
#[derive(Debug)]
pub(crate) struct IdsMismatch(pub(crate) String);

/// `doc` with its remote group ids in the target's id space, or `None` when no rule changes;
/// each rewrite and each foreign id left as it was is reported.
pub(crate) fn map_ids(
    doc: &Document,
    ids: &TargetIds<'_>,
    report: &mut Report,
) -> Result<Option<Document>, IdsMismatch> {
    if ids.one.is_some() && doc.groups.len() > 1 {
        return Err(IdsMismatch(format!(
            "one target group id was given for a document of {} groups, which would put their \
             rules in one group; give each group's target id by its source id instead \
             (ExportOptions::target_groups)",
            doc.groups.len()
        )));
    }
    // The target id of each group of the document.
    let mut targets: Vec<Option<&str>> = Vec::with_capacity(doc.groups.len());
    for (gi, group) in doc.groups.iter().enumerate() {
        let mapped = group
            .id
            .as_deref()
            .and_then(|id| ids.map.get(id))
            .map(String::as_str);
        let target = ids.one.or(mapped);
        if target.is_none() && !ids.map.is_empty() {
            return Err(IdsMismatch(format!(
                "group {gi} ({}) has no target id in the map of target group ids; give one for \
                 every group of the document",
                group.id.as_deref().unwrap_or("no id")
            )));
        }
        targets.push(target);
    }
    let mut out: Option<Document> = None;
    for (gi, group) in doc.groups.iter().enumerate() {
        for (ri, rule) in group.rules.iter().enumerate() {
            let (source, set) = match rule.remote() {
                Remote::Group(id) => (id, false),
                Remote::AddressGroup(id) => (id, true),
                Remote::Any | Remote::Cidr(_) => continue,
            };
            let own = !set && group.id.as_deref() == Some(source.as_str());
            let target = match (own, targets.get(gi).copied().flatten()) {
                (true, Some(t)) => Some(t),
                _ => ids.map.get(source).map(String::as_str),
            };
            let Some(target) = target else {
                let inside = !set
                    && ids.by_reference
                    && doc
                        .groups
                        .iter()
                        .any(|g| g.id.as_deref() == Some(source.as_str()));
                if (if set { ids.foreign_sets } else { ids.foreign }) && !inside {
                    let message = if set {
                        "an address group id of the source cloud, which means nothing on the \
                         target; map it to an address group of the target (its members are not \
                         known to sgconv)"
                    } else if own {
                        "the rule names its own group by its source id, which means nothing on the \
                         target; give the target group's id so the rule names the new group"
                    } else {
                        "a group id of the source cloud, which means nothing on the target (or \
                         names another group there); map it to a target group id"
                    };
                    report.rule(gi, rule.origin()).push(
                        Field::Remote,
                        Kind::Note,
                        Some(source.clone()),
                        message,
                    );
                }
                continue;
            };
            if target == source {
                continue;
            }
            let mut spec = rule.spec().clone();
            spec.remote = if set {
                Remote::AddressGroup(target.to_owned())
            } else {
                Remote::Group(target.to_owned())
            };
            let rewritten = Rule::new(spec)
                .map_err(|e| IdsMismatch(format!("target group id {target:?}: {e}")))?;
            report.rule(gi, rule.origin()).push(
                Field::Remote,
                Kind::Rewritten,
                Some(source.clone()),
                if own {
                    format!("the rule names its own group: written as the target group, {target}")
                } else if set {
                    format!("address group written as its target id, {target}")
                } else {
                    format!("remote group written as its target id, {target}")
                },
            );
            let doc = out.get_or_insert_with(|| doc.clone());
            if let Some(slot) = doc.groups.get_mut(gi).and_then(|g| g.rules.get_mut(ri)) {
                *slot = rewritten;
            }
        }
    }
    Ok(out)
}
