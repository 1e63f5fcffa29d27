//! Neutron's wire shapes as OpenStack returns them (openstacksdk's
//! `openstack/network/v2/security_group_rule.py` and `security_group.py` field lists), and
//! reading one rule into the canonical model with the checks Neutron's API makes.

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::{Protocol, Remote};
use crate::providers::neutron;
use crate::providers::read::{self, Items, ReadRule};
use crate::report::{Change, Field, Kind};

neutron::wire!(rule [
    /// One rule: a create body, a response, or an item of a list; Neutron's rule fields and
    /// the ones openstacksdk adds.
    pub(super) struct WireRule<'a> {
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) normalized_cidr: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) remote_address_group_id: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) project_id: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) tenant_id: Option<Cow<'a, str>>,
        pub(super) tags: Option<Vec<String>>,
        pub(super) belongs_to_default_sg: Option<bool>,
        pub(super) standard_attr_id: Option<i64>,
    }
]);

/// A rule checked while it is read, so errors carry its path and line:column.
pub(super) struct Checked {
    pub(super) read: ReadRule,
    pub(super) group_id: Option<Arc<str>>,
}

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = WireRule::deserialize(d)?;
        let group_id = w.neutron.security_group_id.as_deref().map(Arc::from);
        let read = read_rule(w).map_err(serde::de::Error::custom)?;
        Ok(Checked { read, group_id })
    }
}

crate::providers::items::rule_item!(impl read::Item for Checked);

neutron::wire!(group [
    /// A group: a response, a create body, or `openstack security group show -f json`
    /// (which names the rules `rules`); Neutron's group fields and the ones openstacksdk adds.
    pub(super) struct WireGroup {
        pub(super) stateful: Option<bool>,
        pub(super) security_group_rules: Option<Items<Checked>>,
        pub(super) rules: Option<Items<Checked>>,
        pub(super) tags: Option<Vec<String>>,
        pub(super) tenant_id: Option<serde_json::Value>,
        pub(super) shared: Option<serde_json::Value>,
    }
]);

crate::providers::wire_struct::wire_struct! {
    /// `{"security_group": {...}}`, alone or with the rules' bulk create body (sgconv's export).
    pub(super) struct OneGroup {
        pub(super) security_group: WireGroup,
        pub(super) security_group_rules: Option<Items<Checked>>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// `GET /v2.0/security-groups`.
    pub(super) struct Groups {
        pub(super) security_groups: Vec<WireGroup>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// `GET /v2.0/security-group-rules`, or a bulk create body.
    pub(super) struct Rules {
        pub(super) security_group_rules: Items<Checked>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// `{"security_group_rule": {...}}`: one create body or response.
    pub(super) struct OneRule {
        pub(super) security_group_rule: Checked,
    }
}

/// The group create body written.
#[derive(Serialize)]
pub(super) struct OutGroup<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<&'a str>,
    pub(super) stateful: bool,
}

/// The whole export: both create bodies.
#[derive(Serialize)]
pub(super) struct OutDocument<'a> {
    pub(super) security_group: OutGroup<'a>,
    pub(super) security_group_rules: Vec<neutron::Body<'a>>,
}

// ---------------------------------------------------------------------------------------
// Reading one rule

fn note(changes: &mut Vec<Change>, field: &'static str, value: String) {
    changes.push(Change::new(
        Field::Wire(field.into()),
        Kind::Metadata,
        Some(value),
        format!("rule {field} is not carried"),
    ));
}

fn read_rule(w: WireRule<'_>) -> Result<ReadRule, String> {
    let mut n = w.neutron;
    let mut changes = Vec::new();
    let protocol = read_protocol(n.protocol.as_deref(), &mut changes)?;
    let mut spec = n.read_match(protocol, &mut changes)?;
    spec.remote = match (
        n.remote_ip_prefix.as_ref(),
        n.remote_group_id.as_deref(),
        w.remote_address_group_id.as_deref(),
    ) {
        (Some(prefix), None, None) => {
            read::address(prefix, spec.family, "ethertype", &mut changes)?
        }
        (None, Some(group), None) if !group.is_empty() => Remote::Group(group.to_owned()),
        (None, None, Some(set)) if !set.is_empty() => Remote::AddressGroup(set.to_owned()),
        (None, None, None) => Remote::Any,
        (None, Some(_), None) => return Err("remote_group_id is empty".into()),
        (None, None, Some(_)) => return Err("remote_address_group_id is empty".into()),
        _ => {
            return Err(
                "remote_ip_prefix, remote_group_id and remote_address_group_id are \
                        mutually exclusive; give one"
                    .into(),
            );
        }
    };
    n.description = n.description.filter(|d| !d.is_empty());
    let mut read = n.finish(spec, "Neutron", changes)?;
    for (field, value) in [
        ("normalized_cidr", w.normalized_cidr.map(Cow::into_owned)),
        ("project_id", w.project_id.map(Cow::into_owned)),
        ("tenant_id", w.tenant_id.map(Cow::into_owned)),
        (
            "tags",
            w.tags.filter(|t| !t.is_empty()).map(|t| t.join(",")),
        ),
        (
            "belongs_to_default_sg",
            w.belongs_to_default_sg.map(|b| b.to_string()),
        ),
        (
            "standard_attr_id",
            w.standard_attr_id.map(|n| n.to_string()),
        ),
    ] {
        if let Some(value) = value {
            note(&mut read.changes, field, value);
        }
    }
    Ok(read)
}

/// Neutron's protocol: null, `any`, a name of its table, or a number `"0"`-`"255"`
/// (`neutron_lib.constants.IP_PROTOCOL_MAP`, and `icmpv6` as the legacy alias of `ipv6-icmp`).
pub(super) fn read_protocol(
    text: Option<&str>,
    changes: &mut Vec<Change>,
) -> Result<Protocol, String> {
    let Some(text) = text else {
        return Ok(Protocol::Any);
    };
    if text == "any" {
        return Ok(Protocol::Any);
    }
    if (neutron::NAMES.contains(&text) || text == "icmpv6")
        && let Some(p) = neutron::named_protocol(text, changes)
    {
        return Ok(p);
    }
    if !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && let Some(p) = Protocol::parse(text)
    {
        return Ok(p);
    }
    Err(format!(
        "unknown protocol {text:?}: expected null, \"any\", a Neutron protocol name ({}) or a \
         number \"0\"-\"255\"",
        neutron::NAMES.join(", ")
    ))
}
