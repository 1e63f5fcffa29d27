//! Gcore's Terraform resources (<https://github.com/G-Core/terraform-provider-gcore>).
//!
//! - v1: `gcore_securitygroup` (the provider's v0 line, `docs/resources/securitygroup.md`),
//!   rules inline as a set of `security_group_rules` blocks. `protocol` is required (`"any"`:
//!   all), `port_range_min`/`port_range_max` 0 and `""` strings mean unset, and at least one
//!   egress rule is required.
//! - v2: `gcore_cloud_security_group` plus one `gcore_cloud_security_group_rule` per rule
//!   (`docs/resources/cloud_security_group{,_rule}.md`, v2.0.0-alpha.11): `protocol` left out
//!   for all protocols, ports and remote left out for all. The group's read-only
//!   `security_group_rules` (in a state) lists every rule of the group, so the ones no rule
//!   resource manages are read from it. A new group is created with `rules: []`, so Gcore's
//!   default egress rules are not added.

use serde_json::{Map, Value};

use super::wire::{Checked, V1, V2};
use super::{Gcore, SMTP_BLOCK};
use crate::codec::hcl::{Block, Value as Hcl};
use crate::error::Error;
use crate::model::{Direction, Document, Icmp, Remote, SecurityGroup};
use crate::providers::read::{self, ReadRule};
use crate::providers::terraform::names::{group_names, rule_stem};
use crate::providers::terraform::{
    Attributes, GroupAttributes, Resource, Terraform, api_object, group_rules, required_name,
    resource, tag_map,
};
use crate::report::{Change, Field, Kind, Report};

/// v1's resources.
pub(super) const V1_TERRAFORM: Terraform = Terraform {
    types: &[V1_GROUP],
    read: |resources, _, report| read_v1(resources, report),
    blocks: |doc, report| blocks(Gcore::V1, doc, report),
};
/// v2's resources.
pub(super) const V2_TERRAFORM: Terraform = Terraform {
    types: &[V2_GROUP, V2_RULE],
    read: |resources, _, report| read_v2(resources, report),
    blocks: |doc, report| blocks(Gcore::V2, doc, report),
};
const V1_GROUP: &str = "gcore_securitygroup";
const V2_GROUP: &str = "gcore_cloud_security_group";
const V2_RULE: &str = "gcore_cloud_security_group_rule";

const V1_GROUP_ATTRIBUTES: GroupAttributes = GroupAttributes {
    known: &[
        "name",
        "description",
        "metadata_map",
        "metadata_read_only",
        "security_group_rules",
        "last_updated",
    ],
    metadata: &["project_id", "project_name", "region_id", "region_name"],
};
const V2_GROUP_ATTRIBUTES: GroupAttributes = GroupAttributes {
    known: &[
        "name",
        "description",
        "tags",
        "tags_v2",
        "rules",
        "security_group_rules",
        "revision_number",
        "created_at",
        "updated_at",
    ],
    metadata: &["project_id", "region_id", "region"],
};
/// A rule resource's attributes, and a rule block's.
const RULE: Attributes = Attributes {
    meaning: &[
        "group_id",
        "direction",
        "ethertype",
        "protocol",
        "port_range_min",
        "port_range_max",
        "remote_group_id",
        "remote_ip_prefix",
    ],
    other: &[
        "id",
        "security_group_id",
        "description",
        "project_id",
        "region_id",
        "created_at",
        "updated_at",
        "revision_number",
        "timeouts",
    ],
};
/// The API's names are Terraform's.
const API: &[(&str, &str)] = &[
    ("direction", "direction"),
    ("ethertype", "ethertype"),
    ("protocol", "protocol"),
    ("port_range_min", "port_range_min"),
    ("port_range_max", "port_range_max"),
    ("remote_group_id", "remote_group_id"),
    ("remote_ip_prefix", "remote_ip_prefix"),
    ("description", "description"),
];

/// One rule as the API's rule object: v1's blocks write 0 for an unset port.
fn rule(r: &Resource, values: &Map<String, Value>, id: &str, v2: bool) -> Result<ReadRule, Error> {
    let mut api = api_object(values, API);
    if !v2 {
        api.retain(|k, v| !(k.starts_with("port_range") && v.as_u64() == Some(0)));
    }
    api.insert("id".into(), Value::String(id.to_owned()));
    let read = if v2 {
        serde_json::from_value::<Checked<V2>>(Value::Object(api)).map(|c| c.read)
    } else {
        serde_json::from_value::<Checked<V1>>(Value::Object(api)).map(|c| c.read)
    };
    read.map_err(|e| r.error("", &e.to_string()))
}

fn group_fields(g: &Resource, tag_key: &str) -> Result<SecurityGroup, Error> {
    let mut group = SecurityGroup::empty();
    group.id = Some(g.id());
    group.name = g.str("name")?.map(str::to_owned);
    group.description = g
        .str("description")?
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    group.tags = g.tags(tag_key)?;
    group.platform_blocks = Some(vec![SMTP_BLOCK]);
    Ok(group)
}

/// The rule blocks of `key` (`security_group_rules`, `rules`) of a group, except those
/// `managed` by rule resources (by id), each with `note`.
fn listed(
    g: &Resource,
    key: &str,
    v2: bool,
    managed: &[String],
    note: Option<&'static str>,
    gi: usize,
    report: &mut Report,
) -> Result<Vec<ReadRule>, Error> {
    let is_managed = |item: &Map<String, Value>| {
        let rule_id = item.get("id").and_then(Value::as_str).unwrap_or_default();
        !rule_id.is_empty() && managed.iter().any(|m| m == rule_id)
    };
    let mut out = Vec::new();
    for (at, item) in g.rule_blocks(key, &RULE, is_managed, gi, report)? {
        let mut read = rule(g, item, &format!("{}.{at}", g.address), v2)?;
        if let Some(note) = note {
            let rule_id = item.get("id").and_then(Value::as_str).unwrap_or_default();
            read.changes.push(Change::new(
                Field::Rule,
                Kind::Note,
                Some(rule_id.to_owned()),
                note,
            ));
        }
        out.push(read);
    }
    Ok(out)
}

/// Read v1's groups, rules inline.
fn read_v1(resources: Vec<Resource>, report: &mut Report) -> Result<Document, Error> {
    let mut groups = Vec::with_capacity(resources.len());
    for (gi, g) in resources.iter().enumerate() {
        g.group_attributes(&V1_GROUP_ATTRIBUTES, gi, report);
        let mut group = group_fields(g, "metadata_map")?;
        let reads = listed(g, "security_group_rules", false, &[], None, gi, report)?;
        group.rules = read::place(reads, gi, report);
        groups.push(group);
    }
    Ok(Document { groups })
}

/// Read v2's groups in order with their rule resources and the rules of their
/// `security_group_rules` (else `rules`) no rule resource manages; rule resources of a group
/// not in the document make a group per `group_id`.
fn read_v2(resources: Vec<Resource>, report: &mut Report) -> Result<Document, Error> {
    let placed = group_rules(&resources, V2_GROUP, "group_id", &RULE, report)?;
    let mut groups = Vec::with_capacity(placed.len());
    for (gi, p) in placed.iter().enumerate() {
        let mut list = (p.rules.iter())
            .map(|r| rule(r, &r.values, &r.address, true))
            .collect::<Result<Vec<_>, _>>()?;
        let managed = p.managed.as_slice();
        let mut group = match p.group {
            Some(g) => {
                g.group_attributes(&V2_GROUP_ATTRIBUTES, gi, report);
                if g.values.contains_key("security_group_rules")
                    || g.is_unknown("security_group_rules")
                {
                    let note = "a rule of the group's security_group_rules that no \
                                gcore_cloud_security_group_rule manages (made outside this configuration)";
                    // The read-only list is the API's response: `"any"` allowed.
                    list.extend(listed(
                        g,
                        "security_group_rules",
                        false,
                        managed,
                        Some(note),
                        gi,
                        report,
                    )?);
                } else {
                    list.extend(listed(g, "rules", true, managed, None, gi, report)?);
                }
                group_fields(g, "tags")?
            }
            None => {
                let mut group = SecurityGroup::empty();
                group.id = Some(p.id.clone()).filter(|id| !id.is_empty());
                group.platform_blocks = Some(vec![SMTP_BLOCK]);
                group
            }
        };
        group.rules = read::place(list, gi, report);
        groups.push(group);
    }
    Ok(Document { groups })
}

/// A fitted document as `gcore_securitygroup` (v1) or `gcore_cloud_security_group` and its
/// rule resources (v2).
fn blocks(gcore: Gcore, doc: &Document, report: &mut Report) -> Result<Vec<Block>, Error> {
    let kind = match gcore {
        Gcore::V1 => V1_GROUP,
        Gcore::V2 => V2_GROUP,
    };
    let (group_names, mut names, refs) = group_names(doc, kind);
    let mut out = Vec::new();
    for (gi, (group, name)) in doc.groups.iter().zip(&group_names).enumerate() {
        let mut g = resource(kind, name);
        g.attribute("name", required_name(group, name, kind, gi, report))
            .optional("description", group.description.clone().map(Hcl::from))
            .optional(
                if gcore == Gcore::V1 {
                    "metadata_map"
                } else {
                    "tags"
                },
                tag_map(group),
            );
        let own = Hcl::Reference(vec![kind.into(), name.clone(), "id".into()]);
        let mut egress = false;
        let mut rule_blocks = Vec::new();
        for rule in &group.rules {
            let w = gcore.body(rule)?;
            let mut b = match gcore {
                Gcore::V1 => {
                    if let Some(why) = v1_cannot(group, rule) {
                        report
                            .rule(gi, rule.origin())
                            .push(Field::Rule, Kind::Narrowed, None, why);
                        continue;
                    }
                    Block::new("security_group_rules", &[])
                }
                Gcore::V2 => {
                    let mut b = resource(V2_RULE, &names.unique(V2_RULE, &rule_stem(name, rule)));
                    b.attribute("group_id", own.clone());
                    b
                }
            };
            egress |= rule.direction() == Direction::Egress;
            b.attribute("direction", rule.direction().name().into())
                .attribute("ethertype", w.ethertype.into())
                .optional("protocol", w.protocol.map(|p| Hcl::from(p.as_ref())))
                .optional("port_range_min", w.port_range_min.map(Hcl::from))
                .optional("port_range_max", w.port_range_max.map(Hcl::from));
            refs.remote_attributes(&mut b, rule.remote());
            b.optional("description", w.description.map(Hcl::from));
            match gcore {
                Gcore::V1 => {
                    g.block(b);
                }
                Gcore::V2 => rule_blocks.push(b),
            }
        }
        if gcore == Gcore::V1 && !egress {
            report.group(gi).push(
                Field::Group,
                Kind::Note,
                None,
                "gcore_securitygroup requires at least one egress rule and this group allows no egress: \
                 Terraform will refuse it (gcore-v2's gcore_cloud_security_group has no such rule)",
            );
        }
        out.push(g);
        out.extend(rule_blocks);
    }
    Ok(out)
}

/// Why a fitted rule cannot be written in a `gcore_securitygroup` block: a rule naming its
/// own group (a resource cannot refer to itself), or ICMP type or code 0 (0 means unset).
fn v1_cannot(group: &SecurityGroup, rule: &crate::model::Rule) -> Option<&'static str> {
    if matches!(rule.remote(), Remote::Group(id) if group.id.as_deref() == Some(id.as_str())) {
        return Some(
            "the rule names its own group, and gcore_securitygroup's rules are inside the group, \
             which cannot refer to itself: left out (gcore-v2's rule resources can)",
        );
    }
    if matches!(
        rule.icmp(),
        Icmp::Type(0) | Icmp::TypeCode(0, _) | Icmp::TypeCode(_, 0)
    ) {
        return Some(
            "ICMP type or code 0: gcore_securitygroup reads port_range_min/max 0 as unset (all \
             types or codes), so the rule is left out rather than widened",
        );
    }
    None
}
