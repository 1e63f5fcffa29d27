//! A Scaleway account as its API returns it: group objects without rules (a GET or create
//! response `{security_group}`, or a list-groups response `{security_groups}`), and each
//! group's rule list from its own call (`GET .../security_groups/{id}/rules`) in a file whose
//! name holds the group's id (<https://www.scaleway.com/en/developers/api/instance/#path-security-groups-list-rules>).

use std::path::Path;

use super::wire::{Checked, WireDoc, WireGroup};
use super::{Scaleway, group, total_count};
use crate::error::Error;
use crate::id::ProviderId;
use crate::model::Document;
use crate::providers::plan::Part;
use crate::providers::{ImportOptions, Provider, read};
use crate::report::Report;

crate::providers::wire_struct::wire_struct! {
    /// A list-groups response.
    struct WireGroups {
        security_groups: Vec<WireGroup>,
        total_count: Option<serde_json::Value>,
    }
}

/// What one document of an account holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    /// Group objects without their rules.
    Groups,
    /// One group's rules without the group.
    Rules,
    /// Whole groups (sgconv's export, an envelope).
    Whole,
}

fn shape_error(message: String) -> Error {
    Error::Shape {
        provider: ProviderId::Scaleway,
        message,
    }
}

fn holds(part: &Part<'_>) -> Result<Holds, Error> {
    let top = read::probe(part.text, part.format, ProviderId::Scaleway)?;
    Ok(
        if top.has("security_groups") || (top.has("security_group") && !top.has("rules")) {
            Holds::Groups
        } else if top.has("rules") && !top.has("security_group") {
            Holds::Rules
        } else {
            Holds::Whole
        },
    )
}

/// The account of `parts`, when one of them holds group objects without rules.
pub(super) fn import(
    parts: &[Part<'_>],
    options: &ImportOptions,
    report: &mut Report,
) -> Option<Result<Document, Error>> {
    let shapes = match parts.iter().map(holds).collect::<Result<Vec<_>, _>>() {
        Ok(shapes) => shapes,
        Err(e) => return Some(Err(e)),
    };
    if !shapes.contains(&Holds::Groups) {
        return None;
    }
    Some(join(parts, &shapes, options, report))
}

/// Move `scratch`'s entries into `report`, as entries of group `gi` on.
fn adopt(scratch: Report, gi: usize, report: &mut Report) {
    for mut entry in scratch.entries {
        entry.group = entry.group.saturating_add(gi);
        report.push(entry);
    }
}

fn join(
    parts: &[Part<'_>],
    shapes: &[Holds],
    options: &ImportOptions,
    report: &mut Report,
) -> Result<Document, Error> {
    let id = ProviderId::Scaleway;
    let mut wires: Vec<WireGroup> = Vec::new();
    let mut read_report = Report::new(id, id);
    for (part, _) in parts
        .iter()
        .zip(shapes)
        .filter(|(_, s)| **s == Holds::Groups)
    {
        let mut scratch = Report::new(id, id);
        let top = read::probe(part.text, part.format, id)?;
        if top.has("security_groups") {
            let list: WireGroups = read::decode(part.text, part.format, id, &mut scratch)?;
            if let Some(total) = list.total_count.as_ref().and_then(total_count)
                && total > list.security_groups.len()
            {
                return Err(shape_error(format!(
                    "found one page of a group list: {} groups of total_count {total}; fetch \
                     every page (per_page=100) and join them",
                    list.security_groups.len()
                )));
            }
            adopt(scratch, wires.len(), &mut read_report);
            wires.extend(list.security_groups);
        } else {
            let doc: WireDoc = read::decode(part.text, part.format, id, &mut scratch)?;
            adopt(scratch, wires.len(), &mut read_report);
            wires.extend(doc.security_group);
        }
    }
    let mut rules: Vec<Option<Vec<Checked>>> = wires.iter().map(|_| None).collect();
    for (part, _) in parts
        .iter()
        .zip(shapes)
        .filter(|(_, s)| **s == Holds::Rules)
    {
        let gi = owner(part, &wires)?;
        let mut scratch = Report::new(id, id);
        let doc: WireDoc = read::decode(part.text, part.format, id, &mut scratch)?;
        let list = doc.rules.unwrap_or_default();
        if let Some(total) = doc.total_count.as_ref().and_then(total_count)
            && total > list.len()
        {
            return Err(shape_error(format!(
                "found one page of a rule list: {} rules of total_count {total}; fetch every page \
                 (per_page=100) and join them, since a missing drop rule would widen",
                list.len()
            )));
        }
        match rules.get_mut(gi) {
            Some(slot @ None) => *slot = Some(list),
            _ => {
                return Err(shape_error(format!(
                    "two rule lists name group {}; give each group's rules once",
                    wires.get(gi).and_then(|w| w.id.as_deref()).unwrap_or("?")
                )));
            }
        }
        adopt(scratch, gi, &mut read_report);
    }
    let mut groups = Vec::with_capacity(wires.len());
    for (gi, (wire, list)) in wires.into_iter().zip(rules).enumerate() {
        let Some(list) = list else {
            return Err(shape_error(format!(
                "group {} ({}) has no rule list among the inputs: give its rules \
                 (GET /instance/v1/zones/{{zone}}/security_groups/{{id}}/rules) in a file whose \
                 name holds the group's id",
                gi,
                wire.id.as_deref().unwrap_or("without an id")
            )));
        };
        groups.push(group(Some(wire), list, gi, options, report)?);
    }
    for entry in read_report.entries {
        report.push(entry);
    }
    for (part, _) in parts
        .iter()
        .zip(shapes)
        .filter(|(_, s)| **s == Holds::Whole)
    {
        let mut scratch = Report::new(id, id);
        let doc = Scaleway.import(part.text, part.format, options, &mut scratch)?;
        adopt(scratch, groups.len(), report);
        groups.extend(doc.groups);
    }
    Ok(Document { groups })
}

/// The group whose id the name of `part` (a file's name, its directory left out) holds.
fn owner(part: &Part<'_>, wires: &[WireGroup]) -> Result<usize, Error> {
    let Some(name) = part.name else {
        return Err(shape_error(
            "found a rule list without a name to pair it with its group by: give it as a file \
             whose name holds the group's id"
                .into(),
        ));
    };
    let file = Path::new(name)
        .file_name()
        .map_or_else(|| name.into(), |f| f.to_string_lossy());
    let found: Vec<usize> = wires
        .iter()
        .enumerate()
        .filter(|(_, w)| {
            w.id.as_deref()
                .is_some_and(|id| !id.is_empty() && file.contains(id))
        })
        .map(|(gi, _)| gi)
        .collect();
    match found.as_slice() {
        [gi] => Ok(*gi),
        [] => Err(shape_error(format!(
            "the rule list {name} names none of the groups' ids: a rule list is paired with its \
             group by the group's id in its file name"
        ))),
        _ => Err(shape_error(format!(
            "the rule list {name} names the ids of several groups; give each group's rules in a \
             file whose name holds one group's id"
        ))),
    }
}
