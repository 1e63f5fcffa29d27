//! Gcore's wire shapes (Neutron's rule shape, Gcore's group and list documents) and reading
//! one rule into the canonical model, with every check Gcore's API makes.

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use super::{IPV6_ONLY, NAMES};
use crate::model::{
    CidrText, Direction, Family, Icmp, Origin, PortRange, PortSet, Protocol, Remote, Rule, RuleSpec,
};
use crate::providers::read::{self, ReadRule};
use crate::report::{Change, Field, Kind};

pub(super) enum Ethertype {
    IPv4,
    IPv6,
}

crate::text_enum::text_enum!(Ethertype { "IPv4" => Ethertype::IPv4, "IPv6" => Ethertype::IPv6 });

crate::providers::wire_struct::wire_struct! {
    /// One rule as Gcore writes it in bodies and responses.
    pub(super) struct WireRule<'a> {
        pub(super) direction: Direction,
        #[serde(default)]
        pub(super) ethertype: Option<Ethertype>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) protocol: Option<Cow<'a, str>>,
        #[serde(default)]
        pub(super) port_range_min: Option<i64>,
        #[serde(default)]
        pub(super) port_range_max: Option<i64>,
        #[serde(default, borrow, deserialize_with = "read::opt_cidr")]
        pub(super) remote_ip_prefix: Option<read::Address<'a>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) remote_group_id: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) description: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) id: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) security_group_id: Option<Cow<'a, str>>,
        #[serde(default)]
        pub(super) revision_number: Option<i64>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) created_at: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "read::opt_str")]
        pub(super) updated_at: Option<Cow<'a, str>>,
    }
}

/// Which API a document is read as.
pub(super) trait Version {
    const V2: bool;
}
pub(super) struct V1;
pub(super) struct V2;
impl Version for V1 {
    const V2: bool = false;
}
impl Version for V2 {
    const V2: bool = true;
}

/// A rule checked while it is read, so errors carry its path and line:column.
pub(super) struct Checked<V: Version> {
    pub(super) read: ReadRule,
    pub(super) group_id: Option<String>,
    pub(super) _v: PhantomData<V>,
}

impl<'de, V: Version> Deserialize<'de> for Checked<V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Checked::try_from(WireRule::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl<V: Version> TryFrom<WireRule<'_>> for Checked<V> {
    type Error = String;
    fn try_from(w: WireRule<'_>) -> Result<Self, String> {
        let group_id = w.security_group_id.as_deref().map(str::to_owned);
        Ok(Checked {
            read: read_rule(w, V::V2)?,
            group_id,
            _v: PhantomData,
        })
    }
}

crate::providers::wire_struct::wire_struct! {
    pub(super) struct WireTag {
        pub(super) key: String,
        #[serde(default)]
        pub(super) value: Option<String>,
        #[serde(default)]
        pub(super) read_only: Option<bool>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// The v1 group object (GET, list items).
    pub(super) struct WireGroup {
        #[serde(default)]
        pub(super) id: Option<String>,
        #[serde(default)]
        pub(super) name: Option<String>,
        #[serde(default)]
        pub(super) description: Option<String>,
        #[serde(default)]
        pub(super) tags_v2: Option<Vec<WireTag>>,
        #[serde(default)]
        pub(super) metadata: Option<Vec<WireTag>>,
        #[serde(default)]
        pub(super) security_group_rules: Option<Vec<Checked<V1>>>,
        #[serde(default)]
        pub(super) project_id: Option<serde_json::Value>,
        #[serde(default)]
        pub(super) region_id: Option<serde_json::Value>,
        #[serde(default)]
        pub(super) region: Option<serde_json::Value>,
        #[serde(default)]
        pub(super) revision_number: Option<serde_json::Value>,
        #[serde(default)]
        pub(super) created_at: Option<serde_json::Value>,
        #[serde(default)]
        pub(super) updated_at: Option<serde_json::Value>,
    }
}

crate::providers::wire_struct::wire_struct! {
    pub(super) struct WireList {
        /// How many groups the account holds; more than `results` means a page.
        pub(super) count: u64,
        pub(super) results: Vec<WireGroup>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// The v2 group create / PATCH body.
    pub(super) struct WireV2Group {
        #[serde(default)]
        pub(super) name: Option<String>,
        #[serde(default)]
        pub(super) description: Option<String>,
        pub(super) rules: Vec<Checked<V2>>,
        #[serde(default)]
        pub(super) tags: Option<BTreeMap<String, Option<String>>>,
    }
}

/// One create-rule body as written.
#[derive(Serialize)]
pub(super) struct WireBody<'a> {
    pub(super) direction: Direction,
    pub(super) ethertype: &'static str,
    pub(super) protocol: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) port_range_min: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) port_range_max: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) remote_ip_prefix: Option<CidrText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) remote_group_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<&'a str>,
}

// ---------------------------------------------------------------------------------------
// Reading one rule

pub(super) fn read_rule(w: WireRule<'_>, v2: bool) -> Result<ReadRule, String> {
    let mut changes = Vec::new();
    let family = match w.ethertype {
        None | Some(Ethertype::IPv4) => Family::V4,
        Some(Ethertype::IPv6) => Family::V6,
    };
    let mut protocol = read_protocol(w.protocol.as_deref(), v2, &mut changes)?;
    if let Protocol::Number(p) = protocol
        && family == Family::V4
        && IPV6_ONLY.contains(&p)
    {
        return Err(format!(
            "protocol {protocol} needs ethertype IPv6 (an omitted ethertype means IPv4)"
        ));
    }
    if protocol == Protocol::ICMP && family == Family::V6 {
        changes.push(Change::new(
            Field::Protocol,
            Kind::Rewritten,
            Some("icmp".into()),
            "icmp with ethertype IPv6 means ipv6-icmp (Neutron rewrites it so)",
        ));
        protocol = Protocol::ICMPV6;
    }
    let (ports, icmp) = read_ports(protocol, w.port_range_min, w.port_range_max)?;
    let remote = match (w.remote_ip_prefix.as_ref(), w.remote_group_id) {
        (Some(_), Some(_)) => {
            return Err(
                "remote_ip_prefix and remote_group_id are mutually exclusive; give one".into(),
            );
        }
        (Some(prefix), None) => read::address(prefix, family, "ethertype", &mut changes)?,
        (None, Some(group)) if group.is_empty() => return Err("remote_group_id is empty".into()),
        (None, Some(group)) => Remote::Group(group.into_owned()),
        (None, None) => Remote::Any,
    };
    if let Some(d) = &w.description
        && d.chars().count() > 255
    {
        return Err(format!(
            "description is {} characters long; Gcore allows 255",
            d.chars().count()
        ));
    }
    read::timestamps(
        w.created_at.as_deref(),
        w.updated_at.as_deref(),
        &mut changes,
    );
    if let Some(rev) = w.revision_number {
        changes.push(Change::new(
            Field::Revision,
            Kind::Metadata,
            Some(rev.to_string()),
            "rule revision_number is not carried",
        ));
    }
    let spec = RuleSpec {
        protocol,
        ports,
        icmp,
        remote,
        description: w.description.map(Cow::into_owned),
        origin: Origin::with_id(w.id.as_deref().map(std::sync::Arc::from)),
        ..RuleSpec::new(w.direction, family)
    };
    let rule = Rule::new(spec).map_err(|e| e.to_string())?;
    Ok(ReadRule { rule, changes })
}

pub(super) fn read_protocol(
    text: Option<&str>,
    v2: bool,
    changes: &mut Vec<Change>,
) -> Result<Protocol, String> {
    let Some(text) = text else {
        return Ok(Protocol::Any);
    };
    if text == "any" {
        return if v2 {
            Err("protocol \"any\" is not valid in Gcore v2; use null or leave protocol out for all protocols".into())
        } else {
            Ok(Protocol::Any)
        };
    }
    if NAMES.contains(&text)
        && let Some((p, note)) = Protocol::from_name_with_note(text)
    {
        if let Some(note) = note {
            changes.push(Change::new(
                Field::Protocol,
                Kind::Note,
                Some(text.into()),
                note,
            ));
        }
        return Ok(p);
    }
    // Responses carry protocol numbers as strings ("50", "112"); bodies never do.
    if !v2
        && text.bytes().all(|b| b.is_ascii_digit())
        && let Some(p) = Protocol::parse(text)
    {
        return Ok(p);
    }
    let numbers = if v2 {
        ""
    } else {
        ", \"any\", or a number \"0\"-\"255\""
    };
    Err(format!(
        "unknown protocol {text:?}: expected null, a lower-case Gcore protocol name ({}){numbers}",
        NAMES.join(", ")
    ))
}

pub(super) fn port_value(v: i64, what: &str) -> Result<u64, String> {
    u64::try_from(v).map_err(|_| format!("{what} {v} is negative"))
}

/// Neutron's port rules: ranges on port protocols, type/code on ICMP, nothing otherwise.
pub(super) fn read_ports(
    protocol: Protocol,
    min: Option<i64>,
    max: Option<i64>,
) -> Result<(PortSet, Icmp), String> {
    if protocol.has_ports() {
        return match (min, max) {
            (None, None) => Ok((PortSet::any(), Icmp::Any)),
            (Some(a), Some(b)) => {
                let r = PortRange::new(
                    port_value(a, "port_range_min")?,
                    port_value(b, "port_range_max")?,
                )
                .map_err(|e| format!("{e} (port_range_min {a}, port_range_max {b})"))?;
                Ok((PortSet::from_ranges([r]), Icmp::Any))
            }
            _ => Err(format!(
                "port_range_min and port_range_max must both be given or both be null for protocol {protocol}"
            )),
        };
    }
    if protocol.is_icmp() {
        let byte = |v: i64, what: &str| {
            u8::try_from(v).map_err(|_| format!("ICMP {what} {v} is out of range (0-255)"))
        };
        let icmp = match (min, max) {
            (None, None) => Icmp::Any,
            (Some(t), None) => Icmp::Type(byte(t, "type (port_range_min)")?),
            (Some(t), Some(c)) => Icmp::TypeCode(
                byte(t, "type (port_range_min)")?,
                byte(c, "code (port_range_max)")?,
            ),
            (None, Some(c)) => {
                return Err(format!(
                    "ICMP code (port_range_max) {c} is given but ICMP type (port_range_min) is missing"
                ));
            }
        };
        return Ok((PortSet::any(), icmp));
    }
    if min.is_some() || max.is_some() {
        return Err(format!(
            "ports cannot be given for protocol {protocol}; only dccp, sctp, tcp, udp and udplite have ports \
             (and icmp/ipv6-icmp a type and code)"
        ));
    }
    Ok((PortSet::any(), Icmp::Any))
}
