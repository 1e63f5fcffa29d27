//! Scaleway's Terraform resources (the `scaleway/scaleway` provider,
//! <https://github.com/scaleway/terraform-provider-scaleway>: `docs/resources/instance_security_group.md`,
//! `internal/services/instance/security_group.go`): `scaleway_instance_security_group` with
//! ordered inline `inbound_rule`/`outbound_rule` blocks, or `external_rules = true` and one
//! `scaleway_instance_security_group_rules` holding the group's lists.
//!
//! The provider's defaults are not the API's: a rule without `protocol` is TCP only; without
//! `ip_range` (nor the deprecated `ip`, a `/32`) it is `0.0.0.0/0` only, never `::/0`;
//! `port_range` (`"22-23"`, state writes `"0-0"` for all ports) wins over `port`, and 0 is
//! all ports (`securityGroupRuleExpand`); a group is stateful, accepts by default both ways
//! and keeps the SMTP block (`enable_default_security`) unless it says otherwise. Written
//! rules therefore always carry `protocol` and `ip_range`, and groups every setting.

use serde_json::{Map, Value, json};

use super::ImportOptions;
use super::export::{default_security, out_rules, tags};
use super::wire::{Checked, WireGroup};
use crate::codec::hcl::{Block, Value as Hcl};
use crate::error::Error;
use crate::model::Document;
use crate::providers::terraform::names::{Names, group_stem};
use crate::providers::terraform::{Attributes, GroupAttributes, Resource, Terraform, resource};
use crate::report::Report;

/// The resources read and written.
pub(super) const TERRAFORM: Terraform = Terraform {
    types: &[GROUP, RULES],
    read,
    blocks,
};
const GROUP: &str = "scaleway_instance_security_group";
const RULES: &str = "scaleway_instance_security_group_rules";

const GROUP_ATTRIBUTES: GroupAttributes = GroupAttributes {
    known: &[
        "name",
        "description",
        "tags",
        "stateful",
        "inbound_default_policy",
        "outbound_default_policy",
        "enable_default_security",
        "external_rules",
        "inbound_rule",
        "outbound_rule",
    ],
    metadata: &["zone", "project_id", "organization_id"],
};
const RULES_KEYS: &[&str] = &["security_group_id", "inbound_rule", "outbound_rule"];
/// A rule block's attributes.
const RULE: Attributes = Attributes {
    meaning: &["action", "protocol", "port", "port_range", "ip", "ip_range"],
    other: &["id"],
};
const DIRECTIONS: [(&str, &str); 2] = [("inbound_rule", "inbound"), ("outbound_rule", "outbound")];

/// Read the groups (in order) with their inline rules or their rules resource; a rules
/// resource of a group not in the document makes a group of its own, whose settings come
/// from the import options as for an API rule list.
fn read(
    resources: Vec<Resource>,
    options: &ImportOptions,
    report: &mut Report,
) -> Result<Document, Error> {
    let (groups, sets): (Vec<Resource>, Vec<Resource>) =
        resources.into_iter().partition(|r| r.kind == GROUP);
    let ids: Vec<String> = groups.iter().map(Resource::id).collect();
    let mut out = Vec::with_capacity(groups.len());
    let mut used = vec![false; sets.len()];
    for (gi, g) in groups.iter().enumerate() {
        g.group_attributes(&GROUP_ATTRIBUTES, gi, report);
        let external = setting(g, "external_rules", false, gi, report)?;
        let mut rules = Vec::new();
        if external {
            for (si, set) in sets.iter().enumerate() {
                let named = set.str("security_group_id")?;
                if named.is_some_and(|id| Some(id) == ids.get(gi).map(String::as_str)) {
                    set.unread_keys(RULES_KEYS, gi, report);
                    rules.extend(rule_lists(set, gi, report)?);
                    if let Some(u) = used.get_mut(si) {
                        *u = true;
                    }
                }
            }
        } else {
            rules = rule_lists(g, gi, report)?;
        }
        let wire = WireGroup {
            id: Some(g.id()),
            name: g.str("name")?.map(str::to_owned),
            description: g.str("description")?.map(str::to_owned),
            tags: tag_list(g)?,
            stateful: Some(setting(g, "stateful", true, gi, report)?),
            inbound_default_policy: Some(policy(g, "inbound_default_policy", gi, report)?),
            outbound_default_policy: Some(policy(g, "outbound_default_policy", gi, report)?),
            enable_default_security: Some(setting(g, "enable_default_security", true, gi, report)?),
            ..WireGroup::default()
        };
        out.push(super::group(Some(wire), rules, gi, options, report)?);
    }
    for (set, _) in sets.iter().zip(&used).filter(|(_, used)| !**used) {
        let gi = out.len();
        set.unread_keys(RULES_KEYS, gi, report);
        let rules = rule_lists(set, gi, report)?;
        let mut group = super::group(None, rules, gi, options, report)?;
        group.id = set.str("security_group_id")?.map(str::to_owned);
        out.push(group);
    }
    Ok(Document { groups: out })
}

/// A boolean group setting, its Terraform default when absent or unknown.
fn setting(
    g: &Resource,
    key: &str,
    default: bool,
    gi: usize,
    report: &mut Report,
) -> Result<bool, Error> {
    if g.is_unknown(key) {
        g.unknown_entry(
            gi,
            key,
            &format!("read as {default}, the provider's default"),
            report,
        );
        return Ok(default);
    }
    Ok(g.bool(key)?.unwrap_or(default))
}

fn policy(
    g: &Resource,
    key: &str,
    gi: usize,
    report: &mut Report,
) -> Result<super::wire::WireAction, Error> {
    if g.is_unknown(key) {
        g.unknown_entry(gi, key, "read as accept, the provider's default", report);
    }
    let text = if g.is_unknown(key) { None } else { g.str(key)? };
    serde_json::from_value(Value::String(text.unwrap_or("accept").to_owned()))
        .map_err(|e| g.error(key, &e.to_string()))
}

fn tag_list(g: &Resource) -> Result<Option<Vec<String>>, Error> {
    match g.values.get("tags") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| g.error("tags", &format!("expected a list of strings: {e}"))),
    }
}

/// The rules of `inbound_rule` then `outbound_rule` of a group or rules resource, in list
/// order; a rule with an unknown value is left out and reported.
fn rule_lists(r: &Resource, gi: usize, report: &mut Report) -> Result<Vec<Checked>, Error> {
    let mut out = Vec::new();
    for (key, direction) in DIRECTIONS {
        for (at, block) in r.rule_blocks(key, &RULE, |_| false, gi, report)? {
            let api = api_rule(block, direction, &format!("{}.{at}", r.address))
                .map_err(|m| r.error(&at, &m))?;
            out.push(serde_json::from_value(api).map_err(|e| r.error(&at, &e.to_string()))?);
        }
    }
    Ok(out)
}

/// A rule block as the API's rule object, with the provider's defaults applied.
fn api_rule(block: &Map<String, Value>, direction: &str, id: &str) -> Result<Value, String> {
    let text = |key: &str| -> Result<Option<&str>, String> {
        match block.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(format!("{key}: expected a string, found {other}")),
        }
    };
    let action = text("action")?.ok_or("a rule needs an action (accept or drop)")?;
    let protocol = text("protocol")?.unwrap_or("TCP");
    let ip_range = match (text("ip_range")?, text("ip")?) {
        (Some(range), _) => range.to_owned(),
        (None, Some(ip)) => format!("{ip}/32"),
        (None, None) => "0.0.0.0/0".to_owned(),
    };
    let (from, to) = match text("port_range")? {
        Some(range) => port_range(range)?,
        None => match block.get("port") {
            None | Some(Value::Null) => (0, 0),
            Some(v) => {
                let p = v
                    .as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    .ok_or_else(|| format!("port: expected a number, found {v}"))?;
                (p, p)
            }
        },
    };
    let (from, to) = match (from, to) {
        (0, 0) => (Value::Null, Value::Null),
        (a, b) if a == b => (json!(a), Value::Null),
        (a, b) => (json!(a), json!(b)),
    };
    Ok(json!({
        "id": id,
        "direction": direction,
        "action": action,
        "protocol": protocol,
        "ip_range": ip_range,
        "dest_port_from": from,
        "dest_port_to": to,
    }))
}

/// `"22-23"`, `"22"` (a single port) or `"0-0"` (all ports).
fn port_range(text: &str) -> Result<(u64, u64), String> {
    let number = |s: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| format!("port_range {text:?}: expected \"FROM-TO\""))
    };
    match text.split_once('-') {
        Some((a, b)) => Ok((number(a)?, number(b)?)),
        None => number(text).map(|p| (p, p)),
    }
}

/// A fitted document as `scaleway_instance_security_group` resources with inline rules.
fn blocks(doc: &Document, report: &mut Report) -> Result<Vec<Block>, Error> {
    let mut names = Names::default();
    let mut out = Vec::with_capacity(doc.groups.len());
    for (gi, group) in doc.groups.iter().enumerate() {
        let name = names.unique(GROUP, &group_stem(group));
        let mut b = resource(GROUP, &name);
        b.optional("name", group.name.clone().map(Hcl::from))
            .optional("description", group.description.clone().map(Hcl::from));
        let tags = tags(group, gi, report);
        if !tags.is_empty() {
            b.attribute("tags", Hcl::List(tags.into_iter().map(Hcl::from).collect()));
        }
        b.attribute("stateful", group.stateful.into())
            .attribute("inbound_default_policy", policy_name(group.default_inbound))
            .attribute(
                "outbound_default_policy",
                policy_name(group.default_outbound),
            )
            .attribute(
                "enable_default_security",
                default_security(group).unwrap_or(true).into(),
            );
        for rule in out_rules(group, gi, report)? {
            let key = match rule.direction {
                super::wire::WireDirection::Inbound => "inbound_rule",
                super::wire::WireDirection::Outbound => "outbound_rule",
            };
            let mut r = Block::new(key, &[]);
            r.attribute("action", policy_name(rule.action.into()))
                .attribute("protocol", rule.protocol.into());
            match (rule.dest_port_from, rule.dest_port_to) {
                (Some(p), None) => {
                    r.attribute("port", p.into());
                }
                (Some(a), Some(b)) => {
                    r.attribute("port_range", format!("{a}-{b}").into());
                }
                _ => {}
            }
            r.attribute("ip_range", rule.ip_range.0.to_string().into());
            b.block(r);
        }
        out.push(b);
    }
    Ok(out)
}

fn policy_name(action: crate::model::Action) -> Hcl {
    match action {
        crate::model::Action::Allow => "accept".into(),
        crate::model::Action::Deny => "drop".into(),
    }
}
