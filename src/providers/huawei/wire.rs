//! Huawei's wire shapes, and reading one rule into the canonical model (every check that
//! makes the importer reject what Huawei would reject: the create-rule request and rule
//! object of the VPC v3 API, as its OpenAPI description states them,
//! <https://docs.rs/crate/huawei-cloud-api-definitions-VPC/latest/source/src/CreateSecurityGroupRule.json>).

use std::borrow::Cow;
use std::sync::Arc;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use super::{PRIORITIES, multiport};
use crate::model::{Action, Direction, Family, Origin, PortSet, Protocol, Remote, Rule, RuleSpec};
use crate::providers::read::{self, Item, Items, ReadRule};
use crate::report::{Change, Field, Kind};

#[derive(Clone, Copy)]
pub(super) enum Ethertype {
    IPv4,
    IPv6,
}

crate::text_enum::text_enum!(Ethertype {
    "IPv4" => Ethertype::IPv4,
    "ipv4" => Ethertype::IPv4,
    "IPv6" => Ethertype::IPv6,
    "ipv6" => Ethertype::IPv6,
});

#[derive(Clone, Copy)]
pub(super) enum WireAction {
    Allow,
    Deny,
}

crate::text_enum::text_enum!(WireAction { "allow" => WireAction::Allow, "deny" => WireAction::Deny });

crate::providers::wire_struct::wire_struct! {
    /// One rule as Huawei writes it in request options and responses: every documented field.
    /// A key not listed here is recorded as unread (a misspelt `multiport` would mean all
    /// ports), and the conversion is unverified.
    pub(super) struct WireRule<'a> {
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        id: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        project_id: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        security_group_id: Option<Cow<'a, str>>,
        direction: Direction,
        ethertype: Option<Ethertype>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        protocol: Option<Cow<'a, str>>,
        #[serde(default, deserialize_with = "de_multiport")]
        multiport: Option<PortSet>,
        #[serde(default, borrow, deserialize_with = "read::opt_cidr")]
        remote_ip_prefix: Option<read::Address<'a>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        remote_group_id: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        remote_address_group_id: Option<Cow<'a, str>>,
        action: Option<WireAction>,
        priority: Option<i64>,
        enabled: Option<bool>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        description: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        created_at: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        updated_at: Option<Cow<'a, str>>,
    }
}

/// `multiport`: a string in the grammar of [`multiport`], `null`, or a JSON number (the
/// schema and every recorded response have a string, but examples in Huawei's own API
/// reference show `"multiport": 33`, so a number is read too, and never written).
fn de_multiport<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PortSet>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<PortSet>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a multiport string such as \"22,80-90\", a port number, or null")
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            multiport::parse(s).map(Some).map_err(E::custom)
        }
        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
            self.visit_str(&n.to_string())
        }
        fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
            self.visit_str(&n.to_string())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(V)
        }
    }
    d.deserialize_option(V)
}

/// A rule checked while it is read, so errors carry its path and line:column.
pub(super) struct Checked {
    pub(super) read: ReadRule,
    pub(super) group_id: Option<Arc<str>>,
    /// The rule gave no priority.
    pub(super) no_priority: bool,
}

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Checked::try_from(WireRule::deserialize(d)?).map_err(de::Error::custom)
    }
}

impl TryFrom<WireRule<'_>> for Checked {
    type Error = String;
    fn try_from(w: WireRule<'_>) -> Result<Self, String> {
        let group_id = w
            .security_group_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(Arc::from);
        let (read, no_priority) = read_rule(w)?;
        Ok(Checked {
            read,
            group_id,
            no_priority,
        })
    }
}

crate::providers::items::rule_item!(impl read::Item for Checked);

crate::providers::wire_struct::wire_struct! {
    /// `{security_group_rule}`: a create body (with `dry_run`), a 201 create or show response.
    pub(super) struct OneRule {
        pub(super) dry_run: Option<bool>,
        pub(super) request_id: Option<String>,
        pub(super) security_group_rule: Checked,
    }
}

impl Item for OneRule {
    fn share(&mut self, previous: &OneRule) {
        self.security_group_rule
            .share(&previous.security_group_rule);
    }

    fn changes(&mut self) -> Option<&mut Vec<Change>> {
        self.security_group_rule.changes()
    }
}

crate::providers::wire_struct::wire_struct! {
    /// `{security_group_rules}`: a batch-create body or response, or a list response.
    pub(super) struct RuleList {
        pub(super) security_group_rules: Items<Checked>,
        pub(super) request_id: Option<String>,
        pub(super) page_info: Option<PageInfo>,
        pub(super) ignore_duplicate: Option<bool>,
        pub(super) dry_run: Option<bool>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// A list response's `page_info`.
    #[allow(dead_code)] // previous_marker and current_count: documented; say nothing about the rules
    pub(super) struct PageInfo {
        previous_marker: Option<String>,
        current_count: Option<u64>,
        pub(super) next_marker: Option<String>,
    }
}

crate::providers::wire_struct::wire_struct! {
    pub(super) struct ShowGroup {
        pub(super) security_group: WireGroup,
        pub(super) request_id: Option<String>,
    }
}

crate::providers::wire_struct::wire_struct! {
    pub(super) struct WireTag {
        pub(super) key: String,
        pub(super) value: Option<String>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// `SecurityGroupInfo` (show / create group).
    pub(super) struct WireGroup {
        pub(super) id: Option<String>,
        pub(super) name: Option<String>,
        pub(super) description: Option<String>,
        pub(super) project_id: Option<String>,
        pub(super) enterprise_project_id: Option<String>,
        pub(super) tags: Option<Vec<WireTag>>,
        pub(super) created_at: Option<String>,
        pub(super) updated_at: Option<String>,
        pub(super) security_group_rules: Option<Items<Checked>>,
    }
}

/// An array item: a create body or a bare rule (told apart by its keys).
pub(super) struct ItemKind {
    pub(super) body: bool,
}

impl<'de> Deserialize<'de> for ItemKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ItemKind;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a rule object or a {\"security_group_rule\": ...} create body")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<ItemKind, A::Error> {
                let mut body = false;
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<de::IgnoredAny>()?;
                    body |= key == "security_group_rule";
                }
                Ok(ItemKind { body })
            }
        }
        d.deserialize_map(V)
    }
}

/// One create body as written.
#[derive(Serialize)]
pub(super) struct Body<'a> {
    pub(super) security_group_rule: WireOut<'a>,
}

/// A `CreateSecurityGroupRuleOption`, fields in the SDK's order.
#[derive(Serialize)]
pub(super) struct WireOut<'a> {
    pub(super) security_group_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<&'a str>,
    pub(super) direction: Direction,
    pub(super) ethertype: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) multiport: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) remote_ip_prefix: Option<crate::model::CidrText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) remote_group_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) remote_address_group_id: Option<&'a str>,
    pub(super) action: &'static str,
    pub(super) priority: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) enabled: Option<bool>,
}

/// Read one rule; the flag says it had no priority (read as 1 for now).
pub(super) fn read_rule(w: WireRule<'_>) -> Result<(ReadRule, bool), String> {
    let mut changes = Vec::new();
    let family = match w.ethertype {
        None | Some(Ethertype::IPv4) => Family::V4,
        Some(Ethertype::IPv6) => Family::V6,
    };
    let protocol = read_protocol(w.protocol.as_deref(), family)?;
    let ports = w.multiport.unwrap_or_default();
    if !ports.is_any() && !protocol.has_ports() {
        return Err(match protocol {
            Protocol::Any => format!(
                "multiport {ports} is given without a protocol; ports need protocol tcp or udp"
            ),
            p if p.is_icmp() => format!(
                "multiport {ports} on protocol {p}: v3 has no ICMP type/code and documents no meaning \
                 for ports on ICMP rules"
            ),
            p => format!("multiport {ports} on protocol {p}, which has no ports (use tcp or udp)"),
        });
    }
    let present = |s: &Option<Cow<'_, str>>| s.as_deref().is_some_and(|s| !s.is_empty());
    let remote = match (
        w.remote_ip_prefix.as_deref().is_some_and(|s| !s.is_empty()),
        present(&w.remote_group_id),
        present(&w.remote_address_group_id),
    ) {
        (false, false, false) => Remote::Any,
        (true, false, false) => match &w.remote_ip_prefix {
            Some(prefix) => read::address(prefix, family, "ethertype", &mut changes)?,
            None => Remote::Any,
        },
        (false, true, false) => Remote::Group(w.remote_group_id.unwrap_or_default().into_owned()),
        (false, false, true) => {
            Remote::AddressGroup(w.remote_address_group_id.unwrap_or_default().into_owned())
        }
        _ => {
            return Err(
                "remote_ip_prefix, remote_group_id and remote_address_group_id are mutually \
                        exclusive; give at most one"
                    .into(),
            );
        }
    };
    // No priority: Huawei documents both 1 and 100 as the default. Read as 1 here; the
    // importer settles the readings for the whole group (see `super::settle_priorities`).
    let no_priority = w.priority.is_none();
    let priority = match w.priority {
        None => PRIORITIES.0,
        Some(p) => u16::try_from(p)
            .ok()
            .filter(|p| (PRIORITIES.0..=PRIORITIES.1).contains(p))
            .ok_or_else(|| format!("priority {p} is out of range (1-100, 1 is the highest)"))?,
    };
    if let Some(d) = &w.description {
        // No more characters than bytes: counted only when it may be too long.
        let n = if d.len() > 255 { d.chars().count() } else { 0 };
        if n > 255 {
            return Err(format!(
                "description is {n} characters long; Huawei allows 255"
            ));
        }
        if d.contains(['<', '>']) {
            return Err("description must not contain `<` or `>`".into());
        }
    }
    let enabled = w.enabled.unwrap_or(true);
    if !enabled {
        changes.push(Change::new(
            Field::Enabled,
            Kind::Note,
            Some("false".into()),
            "the rule is disabled (enabled: false) and matches no traffic; carried as disabled",
        ));
    }
    if let Some(project) = w.project_id {
        changes.push(Change::new(
            Field::Wire("project_id".into()),
            Kind::Metadata,
            Some(project.into_owned()),
            "rule project_id is not carried",
        ));
    }
    read::timestamps(
        w.created_at.as_deref(),
        w.updated_at.as_deref(),
        &mut changes,
    );
    let spec = RuleSpec {
        protocol,
        ports,
        remote,
        action: match w.action {
            None | Some(WireAction::Allow) => Action::Allow,
            Some(WireAction::Deny) => Action::Deny,
        },
        priority: Some(priority),
        enabled,
        description: w.description.map(Cow::into_owned),
        origin: Origin::with_id(w.id.as_deref().map(std::sync::Arc::from)),
        ..RuleSpec::new(w.direction, family)
    };
    let rule = Rule::new(spec).map_err(|e| e.to_string())?;
    Ok((ReadRule { rule, changes }, no_priority))
}

/// `protocol`: `tcp`, `udp`, `icmp`, `icmpv6`, a number `"0"`-`"255"`, or null/`""` for all.
fn read_protocol(text: Option<&str>, family: Family) -> Result<Protocol, String> {
    let protocol = match text {
        None | Some("") => return Ok(Protocol::Any),
        Some(name @ ("tcp" | "udp" | "icmp" | "icmpv6")) => Protocol::from_name(name),
        Some(num) if num.len() <= 3 && num.bytes().all(|b| b.is_ascii_digit()) => {
            num.parse::<u8>().ok().map(Protocol::Number)
        }
        Some(_) => None,
    };
    let Some(protocol) = protocol else {
        return Err(format!(
            "unknown protocol {:?}: expected tcp, udp, icmp, icmpv6, a number \"0\"-\"255\", or null for all",
            text.unwrap_or_default()
        ));
    };
    match (protocol, family) {
        (Protocol::ICMP, Family::V6) => {
            Err("protocol icmp needs ethertype IPv4; use icmpv6 for IPv6".into())
        }
        (Protocol::ICMPV6, Family::V4) => {
            Err("protocol icmpv6 needs ethertype IPv6 (an omitted ethertype means IPv4)".into())
        }
        _ => Ok(protocol),
    }
}
