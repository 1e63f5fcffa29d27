//! Huawei's Terraform resources (the `huaweicloud/huaweicloud` provider,
//! <https://github.com/huaweicloud/terraform-provider-huaweicloud>:
//! `docs/resources/networking_secgroup.md`, `docs/resources/networking_secgroup_rule.md`):
//! `huaweicloud_networking_secgroup` and one `huaweicloud_networking_secgroup_rule` per rule.
//!
//! The provider's conventions: `ports` is the API's `multiport` (`"80,500,600-800"`), the
//! deprecated `port_range_min`/`port_range_max` a TCP/UDP range (0: none); an empty
//! `protocol`, `ports` or `remote_ip_prefix` means all; `action` defaults to allow and
//! `priority` to 1 ("default value is 1", the rule's documentation). A group is created
//! with Huawei's four default rules unless `delete_default_rules = true`; its computed `rules`
//! list (in a state) holds every rule of the group, so the ones no rule resource manages are
//! read from it. Written groups say `delete_default_rules = true`, and rules always carry
//! `action` and `priority`.

use serde_json::{Map, Value, json};

use super::wire::Checked;
use super::{PRIORITIES, priority_group};
use crate::codec::hcl::{Block, Value as Hcl};
use crate::error::Error;
use crate::model::{Document, SecurityGroup};
use crate::providers::read::{self, ReadRule};
use crate::providers::terraform::names::{group_names, rule_stem};
use crate::providers::terraform::{
    Attributes, GroupAttributes, Resource, Terraform, api_object, group_rules, required_name,
    resource, tag_map,
};
use crate::report::{Change, Field, Kind, Report};

/// The resources read and written.
pub(super) const TERRAFORM: Terraform = Terraform {
    types: &[GROUP, RULE_KIND],
    read: |resources, _, report| read(resources, report),
    blocks,
};
const GROUP: &str = "huaweicloud_networking_secgroup";
const RULE_KIND: &str = "huaweicloud_networking_secgroup_rule";

const GROUP_ATTRIBUTES: GroupAttributes = GroupAttributes {
    known: &[
        "name",
        "description",
        "delete_default_rules",
        "tags",
        "rules",
        "created_at",
        "updated_at",
    ],
    metadata: &["region", "enterprise_project_id"],
};
/// A rule resource's attributes.
const RULE: Attributes = Attributes {
    meaning: &[
        "security_group_id",
        "direction",
        "ethertype",
        "protocol",
        "ports",
        "port_range_min",
        "port_range_max",
        "remote_ip_prefix",
        "remote_group_id",
        "remote_address_group_id",
        "action",
        "priority",
    ],
    other: &["id", "description", "region", "timeouts"],
};
/// Terraform name → API name.
const API: &[(&str, &str)] = &[
    ("direction", "direction"),
    ("ethertype", "ethertype"),
    ("protocol", "protocol"),
    ("ports", "multiport"),
    ("remote_ip_prefix", "remote_ip_prefix"),
    ("remote_group_id", "remote_group_id"),
    ("remote_address_group_id", "remote_address_group_id"),
    ("action", "action"),
    ("priority", "priority"),
    ("description", "description"),
];

/// Read the groups in order, each with its rule resources and the rules of its own `rules`
/// list that no rule resource manages; rule resources of a group not in the document make a
/// group per `security_group_id`, in order of appearance.
fn read(resources: Vec<Resource>, report: &mut Report) -> Result<Document, Error> {
    let placed = group_rules(&resources, GROUP, "security_group_id", &RULE, report)?;
    let mut out = Vec::with_capacity(placed.len());
    for (gi, p) in placed.iter().enumerate() {
        let mut reads = (p.rules.iter())
            .map(|r| rule(r, &r.values, &r.address))
            .collect::<Result<Vec<_>, _>>()?;
        let mut group = priority_group();
        if let Some(g) = p.group {
            g.group_attributes(&GROUP_ATTRIBUTES, gi, report);
            group.name = g.str("name")?.map(str::to_owned);
            group.description = g
                .str("description")?
                .filter(|d| !d.is_empty())
                .map(str::to_owned);
            group.tags = g.tags("tags")?;
            reads.extend(unmanaged(g, &p.id, &p.managed, gi, report)?);
        }
        group.id = Some(p.id.clone()).filter(|id| !id.is_empty());
        group.rules = read::place(reads, gi, report);
        out.push(group);
    }
    Ok(Document { groups: out })
}

/// One rule resource, or an item of a group's `rules` list, read as the API's rule object.
fn rule(r: &Resource, values: &Map<String, Value>, address: &str) -> Result<ReadRule, Error> {
    let mut api = api_object(values, API);
    let number = |key: &str| values.get(key).and_then(Value::as_u64).filter(|n| *n != 0);
    match (number("port_range_min"), number("port_range_max")) {
        (None, None) => {}
        (Some(a), b) if !api.contains_key("multiport") => {
            let b = b.unwrap_or(a);
            api.insert("multiport".into(), Value::String(format!("{a}-{b}")));
        }
        _ => {
            return Err(r.error(
                "port_range_min",
                "port_range_min/port_range_max and ports together, or a maximum without a minimum",
            ));
        }
    }
    let mut changes = Vec::new();
    if !api.contains_key("priority") {
        api.insert("priority".into(), json!(PRIORITIES.0));
        changes.push(Change::new(
            Field::Priority,
            Kind::Note,
            None,
            "no priority: read as 1, the default the Terraform provider documents",
        ));
    }
    api.insert("id".into(), Value::String(address.to_owned()));
    let checked: Checked =
        serde_json::from_value(Value::Object(api)).map_err(|e| r.error("", &e.to_string()))?;
    let mut read = checked.read;
    read.changes.extend(changes);
    Ok(read)
}

/// The rules of a group no rule resource manages: from its `rules` list where the document
/// has it (a state), else Huawei's default rules unless `delete_default_rules` is set.
fn unmanaged(
    g: &Resource,
    id: &str,
    managed: &[String],
    gi: usize,
    report: &mut Report,
) -> Result<Vec<ReadRule>, Error> {
    let mut out = Vec::new();
    if g.values.contains_key("rules") && !g.is_unknown("rules") {
        for (i, item) in g.blocks("rules")?.into_iter().enumerate() {
            let rule_id = item.get("id").and_then(Value::as_str).unwrap_or_default();
            if !rule_id.is_empty() && managed.iter().any(|m| m == rule_id) {
                continue;
            }
            let mut read = rule(g, item, &format!("{}.rules[{i}]", g.address))?;
            read.changes.push(Change::new(
                Field::Rule,
                Kind::Note,
                Some(rule_id.to_owned()),
                "a rule of the group's `rules` that no huaweicloud_networking_secgroup_rule manages \
                 (a default rule, or one made outside this configuration)",
            ));
            out.push(read);
        }
        return Ok(out);
    }
    if g.is_unknown("delete_default_rules") {
        g.unknown_entry(
            gi,
            "delete_default_rules",
            "read as false, the default",
            report,
        );
    }
    if !g.is_unknown("delete_default_rules") && g.bool("delete_default_rules")? == Some(true) {
        return Ok(out);
    }
    // The four rules of a new group (Huawei's API reference, CreateSecurityGroup).
    for (direction, ethertype, own) in [
        ("ingress", "IPv4", true),
        ("ingress", "IPv6", true),
        ("egress", "IPv4", false),
        ("egress", "IPv6", false),
    ] {
        let mut api = json!({
            "id": format!("{}.default_{direction}_{ethertype}", g.address),
            "direction": direction, "ethertype": ethertype, "action": "allow", "priority": PRIORITIES.1,
        });
        if let (true, Some(map)) = (own, api.as_object_mut()) {
            map.insert("remote_group_id".into(), Value::String(id.to_owned()));
        }
        let checked: Checked =
            serde_json::from_value(api).map_err(|e| g.error("", &e.to_string()))?;
        let mut read = checked.read;
        read.changes.push(Change::new(
            Field::Rule,
            Kind::Note,
            None,
            "one of the default rules Huawei gives a new group (delete_default_rules is not true)",
        ));
        out.push(read);
    }
    Ok(out)
}

/// A fitted document as groups (`delete_default_rules = true`) and one rule resource each.
fn blocks(doc: &Document, report: &mut Report) -> Result<Vec<Block>, Error> {
    let (group_names, mut names, refs) = group_names(doc, GROUP);
    let mut out = Vec::new();
    for (gi, (group, name)) in doc.groups.iter().zip(&group_names).enumerate() {
        out.push(group_block(group, name, gi, report));
        let own = Hcl::Reference(vec![GROUP.into(), name.clone(), "id".into()]);
        for rule in &group.rules {
            if !rule.enabled() {
                // The fit pass leaves disabled rules out (no schema has the flag).
                return Err(Error::Internal(
                    "a disabled rule reached the Huawei Terraform exporter".into(),
                ));
            }
            let w = super::body(rule, "")?;
            let mut b = resource(RULE_KIND, &names.unique(RULE_KIND, &rule_stem(name, rule)));
            b.attribute("security_group_id", own.clone())
                .attribute("direction", w.direction.name().into())
                .attribute("ethertype", w.ethertype.into())
                .optional("protocol", w.protocol.map(Hcl::from))
                .optional("ports", w.multiport.map(Hcl::from));
            refs.remote_attributes(&mut b, rule.remote());
            b.attribute("action", w.action.into())
                .attribute("priority", w.priority.into())
                .optional("description", w.description.map(Hcl::from));
            out.push(b);
        }
    }
    Ok(out)
}

fn group_block(group: &SecurityGroup, name: &str, gi: usize, report: &mut Report) -> Block {
    let mut b = resource(GROUP, name);
    b.attribute("name", required_name(group, name, GROUP, gi, report))
        .optional("description", group.description.clone().map(Hcl::from))
        .attribute("delete_default_rules", true.into())
        .optional("tags", tag_map(group));
    b
}
