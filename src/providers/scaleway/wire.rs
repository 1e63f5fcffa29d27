//! Scaleway's wire shapes, and reading one rule into the model.
//!
//! Every value is checked while it is deserialized (field newtypes, and
//! `#[serde(try_from)]` for checks that span fields), so every rejection carries the JSON
//! path and line:column of the offending value.

use serde::{Deserialize, Deserializer, Serialize};

use super::super::read::{self, ReadRule};
use crate::model::{
    Action, Direction, Family, Origin, PortRange, PortSet, Protocol, Remote, Rule, RuleSpec,
    parse_cidr,
};
use crate::report::{Change, Field, Kind};

/// `protocol`: `TCP`, `UDP`, `ICMP`, `ANY`, read case-insensitively (the Python SDK ≥ 2.0
/// sends lower case; the API returns upper case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WireProtocol {
    Tcp,
    Udp,
    Icmp,
    Any,
}

/// A protocol as read, with whether it was written in lower case.
pub(super) struct ReadProtocol {
    pub protocol: WireProtocol,
    pub written: String,
}

impl<'de> Deserialize<'de> for ReadProtocol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let written = String::deserialize(d)?;
        let protocol = match written.to_ascii_uppercase().as_str() {
            "TCP" => WireProtocol::Tcp,
            "UDP" => WireProtocol::Udp,
            "ICMP" => WireProtocol::Icmp,
            "ANY" => WireProtocol::Any,
            _ => {
                return Err(serde::de::Error::custom(format!(
                    "unknown protocol {written:?}: expected TCP, UDP, ICMP or ANY (Scaleway has no other protocols)"
                )));
            }
        };
        Ok(ReadProtocol { protocol, written })
    }
}

impl WireProtocol {
    /// The name the API returns and sgconv writes.
    pub(super) fn name(self) -> &'static str {
        match self {
            WireProtocol::Tcp => "TCP",
            WireProtocol::Udp => "UDP",
            WireProtocol::Icmp => "ICMP",
            WireProtocol::Any => "ANY",
        }
    }
}

/// `direction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum WireDirection {
    Inbound,
    Outbound,
}

crate::text_enum::text_enum!(WireDirection { "inbound" => WireDirection::Inbound, "outbound" => WireDirection::Outbound });

/// `From` both ways between a wire enum and the model's enum it names, variant by variant.
macro_rules! both_ways {
    ($wire:ident <=> $model:ident { $($w:ident <=> $m:ident),+ $(,)? }) => {
        impl From<$wire> for $model {
            fn from(v: $wire) -> $model {
                match v {
                    $($wire::$w => $model::$m),+
                }
            }
        }

        impl From<$model> for $wire {
            fn from(v: $model) -> $wire {
                match v {
                    $($model::$m => $wire::$w),+
                }
            }
        }
    };
}

both_ways!(WireDirection <=> Direction { Inbound <=> Ingress, Outbound <=> Egress });

/// `action`, `inbound_default_policy`, `outbound_default_policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum WireAction {
    Accept,
    Drop,
}

crate::text_enum::text_enum!(WireAction { "accept" => WireAction::Accept, "drop" => WireAction::Drop });

both_ways!(WireAction <=> Action { Accept <=> Allow, Drop <=> Deny });

/// `dest_port_from` / `dest_port_to`: 0-65535, where 0 means "unset" (PATCH semantics, and
/// what the Python SDK's request defaults send).
#[derive(Debug, Clone, Copy)]
pub(super) struct WirePort(u16);

impl<'de> Deserialize<'de> for WirePort {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = i64::deserialize(d)?;
        u16::try_from(v).map(WirePort).map_err(|_| {
            serde::de::Error::custom(format!(
                "port {v} out of range (ports are 1-65535; 0 means unset)"
            ))
        })
    }
}

/// `ip_range`: one IPv4 or IPv6 network; a bare address is a /32 or /128 (the API echoes
/// host prefixes without their length).
pub(super) struct WireCidr {
    written: String,
}

impl<'de> Deserialize<'de> for WireCidr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let written = String::deserialize(d)?;
        parse_cidr(&written).map_err(serde::de::Error::custom)?;
        Ok(WireCidr { written })
    }
}

/// `dest_ip_range`: undocumented, always `null` in recorded responses. A value would be a
/// destination match sgconv does not know the meaning of, so it is refused, not ignored.
pub(super) struct NullOnly;

impl<'de> Deserialize<'de> for NullOnly {
    fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom(
            "dest_ip_range is undocumented and always null in Scaleway's responses; sgconv cannot read a value here",
        ))
    }
}

crate::providers::wire_struct::wire_struct! {
    /// One rule object, in any of its shapes (response, create body, set-rules item).
    #[allow(dead_code)] // zone: the group's, each rule echoes it; dest_ip_range: only null is accepted
    pub(super) struct WireRule {
        protocol: ReadProtocol,
        direction: WireDirection,
        action: WireAction,
        ip_range: WireCidr,
        dest_port_from: Option<WirePort>,
        dest_port_to: Option<WirePort>,
        position: Option<u32>,
        editable: Option<bool>,
        id: Option<String>,
        zone: Option<serde_json::Value>,
        dest_ip_range: Option<NullOnly>,
    }
}

/// A rule read and checked: a user rule with its position, or one of the platform's SMTP
/// drops (`editable: false`; any other non-editable rule is refused).
#[derive(Deserialize)]
#[serde(try_from = "WireRule")]
pub(super) struct Checked {
    pub read: ReadRule,
    /// `position`; 0 or absent means "not given".
    pub position: u32,
    /// `editable: false`: a platform rule, not the user's.
    pub platform: bool,
}

impl TryFrom<WireRule> for Checked {
    type Error = String;
    fn try_from(w: WireRule) -> Result<Self, String> {
        let position = w.position.unwrap_or(0);
        let platform = w.editable == Some(false);
        let read = read_rule(w)?;
        if platform && !is_smtp_drop(&read.rule) {
            // Responses list only the platform's SMTP drops as non-editable. Elsewhere
            // `editable: false` is what the Python SDK's request defaults send, and whether the
            // API then ignores the rule or only the flag is not documented: dropping a drop
            // rule could widen, keeping an ignored accept rule could too. Do not guess.
            return Err(
                "editable: false on a rule that is not one of the platform's SMTP drops (outbound TCP \
                 25/465/587 to every address): the API may ignore the whole rule on write; remove \
                 `editable` to read it as a user rule, or remove the rule"
                    .into(),
            );
        }
        Ok(Checked {
            position,
            platform,
            read,
        })
    }
}

fn read_rule(w: WireRule) -> Result<ReadRule, String> {
    let mut changes = Vec::new();
    let cidr = parse_cidr(&w.ip_range.written)?;
    let family = cidr.family;
    let remote = read::cidr(&w.ip_range.written, family, "ip_range", &mut changes)?;
    let written = &w.protocol.written;
    if written.as_str() != w.protocol.protocol.name() {
        changes.push(Change::new(
            Field::Protocol,
            Kind::Note,
            Some(written.clone()),
            format!(
                "protocol {written:?} read as {}: the API returns upper case (the Python SDK >= 2.0 sends lower case)",
                w.protocol.protocol.name()
            ),
        ));
    }
    let protocol = match (w.protocol.protocol, family) {
        (WireProtocol::Tcp, _) => Protocol::TCP,
        (WireProtocol::Udp, _) => Protocol::UDP,
        (WireProtocol::Icmp, Family::V4) => Protocol::ICMP,
        (WireProtocol::Icmp, Family::V6) => {
            changes.push(Change::new(
                Field::Protocol,
                Kind::Note,
                Some("ICMP".into()),
                "ICMP on an IPv6 ip_range read as ipv6-icmp (58); whether Scaleway filters ICMPv6 with it is unverified",
            ));
            Protocol::ICMPV6
        }
        (WireProtocol::Any, _) => Protocol::Any,
    };
    let set = |p: Option<WirePort>| p.map(|WirePort(v)| v).filter(|v| *v != 0);
    let (from, to) = (set(w.dest_port_from), set(w.dest_port_to));
    let ports = if protocol.has_ports() {
        match (from, to) {
            (None, None) => PortSet::any(),
            (Some(p), None) => {
                PortSet::from_ranges([PortRange::single(u64::from(p)).map_err(|e| e.to_string())?])
            }
            (Some(a), Some(b)) => {
                PortSet::from_ranges([PortRange::new(u64::from(a), u64::from(b))
                    .map_err(|e| format!("{e} (dest_port_from {a}, dest_port_to {b})"))?])
            }
            (None, Some(b)) => {
                return Err(format!(
                    "dest_port_to {b} is given without dest_port_from; give dest_port_from (alone for one port)"
                ));
            }
        }
    } else {
        if from.is_some() || to.is_some() {
            changes.push(Change::new(
                Field::Ports,
                Kind::Note,
                Some(format!("{}-{}", from.unwrap_or(0), to.unwrap_or(0))),
                format!(
                    "the API sets ports to null for protocol {}; the rule matches every port and is read so",
                    w.protocol.protocol.name()
                ),
            ));
        }
        PortSet::any()
    };
    let spec = RuleSpec {
        protocol,
        ports,
        remote,
        action: w.action.into(),
        origin: Origin::with_id(w.id.map(std::sync::Arc::from)),
        ..RuleSpec::new(w.direction.into(), family)
    };
    let rule = Rule::new(spec).map_err(|e| e.to_string())?;
    Ok(ReadRule { rule, changes })
}

/// The outbound SMTP ports the platform drops under `enable_default_security`.
pub(super) const SMTP_PORTS: [u16; 3] = [25, 465, 587];

/// Whether a rule is one of the platform's SMTP drops: outbound TCP drop of 25, 465 or 587
/// to every address.
fn is_smtp_drop(rule: &Rule) -> bool {
    rule.direction() == Direction::Egress
        && rule.protocol() == Protocol::TCP
        && rule.action() == Action::Deny
        && *rule.remote() == Remote::Any
        && matches!(rule.ports().ranges(), [r] if r.is_single() && SMTP_PORTS.contains(&r.from()))
}

crate::providers::wire_struct::wire_struct! {
    /// The group object (GET/create responses, create body, sgconv's export).
    #[derive(Default)]
    pub(super) struct WireGroup {
        pub id: Option<String>,
        pub name: Option<String>,
        pub description: Option<String>,
        pub tags: Option<Vec<String>>,
        pub stateful: Option<bool>,
        pub inbound_default_policy: Option<WireAction>,
        pub outbound_default_policy: Option<WireAction>,
        pub enable_default_security: Option<bool>,
        pub creation_date: Option<serde_json::Value>,
        pub modification_date: Option<serde_json::Value>,
        pub organization: Option<serde_json::Value>,
        pub project: Option<serde_json::Value>,
        pub servers: Option<serde_json::Value>,
        pub organization_default: Option<serde_json::Value>,
        pub project_default: Option<serde_json::Value>,
        pub state: Option<serde_json::Value>,
        pub zone: Option<serde_json::Value>,
    }
}

impl WireGroup {
    /// The fields the model has no place for, by wire name, as the report shows them.
    pub(super) fn uncarried(&self) -> [(&'static str, Option<String>); 9] {
        read::uncarried!(
            self.creation_date,
            self.modification_date,
            self.organization,
            self.project,
            self.servers,
            self.organization_default,
            self.project_default,
            self.state,
            self.zone,
        )
    }
}

crate::providers::wire_struct::wire_struct! {
    /// `{security_group, rules}` (sgconv's export, or a GET response without rules), or
    /// `{rules, total_count}` (list-rules response, set-rules body).
    pub(super) struct WireDoc {
        pub security_group: Option<WireGroup>,
        pub rules: Option<Vec<Checked>>,
        pub total_count: Option<serde_json::Value>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// `{rule}`: a create/get/update rule response.
    pub(super) struct WireRuleResponse {
        pub rule: Checked,
    }
}

/// One rule as written: a set-rules item, positions 1..N.
#[derive(Serialize)]
pub(super) struct OutRule {
    pub action: WireAction,
    pub protocol: &'static str,
    pub direction: WireDirection,
    pub ip_range: crate::model::CidrText,
    pub dest_port_from: Option<u16>,
    pub dest_port_to: Option<u16>,
    pub position: usize,
}

/// The group settings as written.
#[derive(Serialize)]
pub(super) struct OutGroup<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    pub stateful: bool,
    pub inbound_default_policy: WireAction,
    pub outbound_default_policy: WireAction,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_default_security: Option<bool>,
}

/// The export document: the group settings and the set-rules body.
#[derive(Serialize)]
pub(super) struct OutDoc<'a> {
    pub security_group: OutGroup<'a>,
    pub rules: Vec<OutRule>,
}
