//! References between groups, resolved for a plan: a group of the input is named by the id
//! the plan binds when it creates it; a group outside the input by what the group map says
//! (an existing target group, or a list of CIDRs the user asserts is its membership); an
//! unmapped one is left out, and reported.

use std::collections::BTreeMap;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::{Action, Document, Remote, Rule, parse_cidr};
use crate::report::{Field, Kind, Report};

/// What a group outside the input becomes on the target: a group map's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Mapped {
    /// An existing target group, by its id.
    Group(String),
    /// The addresses the user asserts are the group's members.
    Cidrs(Vec<String>),
}

/// Source group id → what it becomes on the target (`--group-map FILE`).
pub type GroupMap = BTreeMap<String, Mapped>;

/// The input made ready for conversion (`prepared`) and what its end state is compared with
/// (`baseline`: the source, with asserted memberships in place of their groups).
pub(super) struct Resolved {
    pub(super) prepared: Document,
    pub(super) baseline: Document,
    /// Ids of existing target groups that rules name, by source id.
    pub(super) existing: BTreeMap<String, String>,
}

/// Resolve the remote groups of `doc`'s rules; `inside` holds the ids of the input's groups.
pub(super) fn resolve(
    doc: &Document,
    map: &GroupMap,
    report: &mut Report,
) -> Result<Resolved, Error> {
    let inside: Vec<&str> = doc.groups.iter().filter_map(|g| g.id.as_deref()).collect();
    let mut cidrs: BTreeMap<&str, Vec<IpNet>> = BTreeMap::new();
    let mut existing = BTreeMap::new();
    for (id, mapped) in map {
        match mapped {
            Mapped::Group(target) => {
                existing.insert(id.clone(), target.clone());
            }
            Mapped::Cidrs(list) => {
                let mut nets = Vec::with_capacity(list.len());
                for text in list {
                    let net = parse_cidr(text)
                        .map_err(|e| Error::Options(format!("group map, {id}: {e}")))?;
                    nets.push(match net.remote {
                        Remote::Cidr(n) => n,
                        _ => match net.family {
                            crate::model::Family::V4 => IpNet::V4(Default::default()),
                            crate::model::Family::V6 => IpNet::V6(Default::default()),
                        },
                    });
                }
                cidrs.insert(id.as_str(), nets);
            }
        }
    }
    let mut prepared = doc.clone();
    let mut baseline = doc.clone();
    for (gi, (group, base)) in prepared
        .groups
        .iter_mut()
        .zip(baseline.groups.iter_mut())
        .enumerate()
    {
        let mut kept = Vec::with_capacity(group.rules.len());
        let mut based = Vec::with_capacity(base.rules.len());
        for rule in group.rules.drain(..) {
            let Remote::Group(id) = rule.remote() else {
                based.push(rule.clone());
                kept.push(rule);
                continue;
            };
            if inside.contains(&id.as_str()) || existing.contains_key(id) {
                based.push(rule.clone());
                kept.push(rule);
            } else if let Some(nets) = cidrs.get(id.as_str()) {
                let family = rule.family();
                for net in nets
                    .iter()
                    .filter(|n| crate::model::Family::of_net(n) == family)
                {
                    let mut spec = rule.spec().clone();
                    spec.remote = if net.prefix_len() == 0 {
                        Remote::Any
                    } else {
                        Remote::Cidr(*net)
                    };
                    let asserted = Rule::new(spec)?;
                    based.push(asserted.clone());
                    kept.push(asserted);
                }
                report.rule(gi, rule.origin()).push(
                    Field::Remote,
                    Kind::Note,
                    Some(id.clone()),
                    "a group outside the input, written as the addresses the group map gives for \
                     it: the verdict takes them as its members, as the user asserted",
                );
            } else {
                let (kind, effect) = if rule.action() == Action::Allow {
                    (Kind::Narrowed, "the allow rule is left out")
                } else {
                    (Kind::Widened, "the deny rule is left out")
                };
                report.rule(gi, rule.origin()).push(
                    Field::Remote,
                    kind,
                    Some(id.clone()),
                    format!(
                        "a group outside the input that the group map does not name; {effect} \
                         (map it to a target group id or to its members' CIDRs)"
                    ),
                );
                based.push(rule);
            }
        }
        group.rules = kept;
        base.rules = based;
    }
    Ok(Resolved {
        prepared,
        baseline,
        existing,
    })
}

/// `doc` with group ids (of groups and of the groups rules name) renamed by `names`.
pub(super) fn rename(doc: &mut Document, names: &BTreeMap<String, String>) -> Result<(), Error> {
    for group in &mut doc.groups {
        if let Some(new) = group.id.as_ref().and_then(|id| names.get(id)) {
            group.id = Some(new.clone());
        }
        for rule in &mut group.rules {
            let Remote::Group(id) = rule.remote() else {
                continue;
            };
            let Some(new) = names.get(id) else {
                continue;
            };
            let mut spec = rule.spec().clone();
            spec.remote = Remote::Group(new.clone());
            let origin = rule.origin().clone();
            *rule = Rule::new(spec)?;
            rule.set_origin(origin);
        }
    }
    Ok(())
}
