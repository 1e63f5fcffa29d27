//! Azure's wire shapes (the `SecurityRule` and `NetworkSecurityGroup` models of the Network
//! REST API, <https://learn.microsoft.com/en-us/rest/api/virtualnetwork/security-rules/get>,
//! <https://learn.microsoft.com/en-us/rest/api/virtualnetwork/network-security-groups/get>),
//! and reading one rule into the canonical model.

use serde::Serialize;

use crate::model::{
    Action, Direction, Family, Origin, PortRange, PortSet, Protocol, Remote, Rule, RuleSpec,
};
use crate::providers::read::{self, ReadRule};
use crate::report::{Change, Field, Kind};

crate::providers::wire_struct::wire_struct! {
    /// An application security group named in a rule: its resource id.
    pub(super) struct AsgRef {
        id: Option<String>,
        location: Option<serde_json::Value>,
        properties: Option<serde_json::Value>,
    }
}

crate::providers::wire_struct::wire_struct! {
    /// One security rule, in the REST shape (`{name, id, etag, type, properties: {...}}`) or
    /// as the Azure CLI prints it (the properties beside `name`, plus `resourceGroup`). The
    /// rule's fields in `properties` are read by the same struct.
    #[serde(rename_all = "camelCase")]
    pub(super) struct WireRule {
        pub(super) name: Option<String>,
        pub(super) id: Option<String>,
        etag: Option<String>,
        #[serde(default, rename = "type")]
        kind: Option<String>,
        resource_group: Option<String>,
        properties: Option<Box<WireRule>>,
        description: Option<String>,
        protocol: Option<String>,
        source_port_range: Option<String>,
        source_port_ranges: Option<Vec<String>>,
        destination_port_range: Option<String>,
        destination_port_ranges: Option<Vec<String>>,
        source_address_prefix: Option<String>,
        source_address_prefixes: Option<Vec<String>>,
        #[serde(default, rename = "sourceApplicationSecurityGroups")]
        source_asgs: Option<Vec<AsgRef>>,
        destination_address_prefix: Option<String>,
        destination_address_prefixes: Option<Vec<String>>,
        #[serde(default, rename = "destinationApplicationSecurityGroups")]
        destination_asgs: Option<Vec<AsgRef>>,
        access: Option<String>,
        pub(super) priority: Option<i64>,
        direction: Option<String>,
        provisioning_state: Option<String>,
    }
}

/// What one Azure rule reads as.
pub(super) struct Reading {
    /// Canonical rules (one per family, remote and port protocol).
    pub(super) rules: Vec<ReadRule>,
    /// Set when (part of) an allow rule restricted in a way the model cannot hold was left
    /// out (narrowed): why.
    pub(super) dropped: Option<String>,
}

/// The parts of a rule the group reader needs before the rules themselves.
pub(super) struct Head {
    pub(super) name: Option<String>,
    pub(super) direction: Direction,
    pub(super) priority: u16,
}

/// A rule's name, id and etag, and the struct holding its other fields.
type Fields = (Option<String>, Option<String>, Option<String>, WireRule);

impl WireRule {
    /// The rule's fields: `properties` when given (REST), else the rule itself (CLI).
    fn fields(self) -> Result<Fields, String> {
        let (name, id, etag) = (self.name.clone(), self.id.clone(), self.etag.clone());
        match self.properties {
            Some(p) if p.properties.is_some() => Err("`properties` inside `properties`".into()),
            Some(p) => {
                if self.access.is_some() || self.direction.is_some() || self.priority.is_some() {
                    return Err("rule fields both beside and inside `properties`".into());
                }
                Ok((name, id, etag, *p))
            }
            None => Ok((name, id, etag, self)),
        }
    }
}

/// One address of a rule: `*`, a CIDR or address, or a service tag.
fn addresses(
    text: &str,
    side: &str,
    changes: &mut Vec<Change>,
) -> Result<Vec<(Family, Remote)>, String> {
    let text = text.trim();
    if text == "*" {
        return Ok(Family::BOTH.iter().map(|&f| (f, Remote::Any)).collect());
    }
    if text.contains('/')
        || text.contains(':')
        || text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        let parsed = crate::model::parse_cidr(text).map_err(|e| format!("{side}: {e}"))?;
        let remote = read::cidr(text, parsed.family, "the address", changes)?;
        return Ok(vec![(parsed.family, remote)]);
    }
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    {
        // A service tag (`Internet`, `VirtualNetwork`, `Storage.WestEurope`, ...): a named
        // address set whose members sgconv does not know, of both families.
        return Ok(Family::BOTH
            .iter()
            .map(|&f| (f, Remote::AddressGroup(text.to_owned())))
            .collect());
    }
    Err(format!(
        "{side} {text:?} is neither *, an IPv4/IPv6 network nor a service tag"
    ))
}

/// The texts of a singular field (`field`) or its plural (`field` + `es`/`s`): Azure takes
/// one or the other; a document giving both (neither empty) has no documented reading.
fn one_or_many(
    one: Option<String>,
    many: Option<Vec<String>>,
    field: &str,
) -> Result<Vec<String>, String> {
    let one = one.filter(|p| !p.is_empty());
    let many = many.unwrap_or_default();
    match one {
        Some(_) if !many.is_empty() => Err(format!(
            "both {field} and its plural are given; Azure takes one or the other"
        )),
        Some(one) => Ok(vec![one]),
        None => Ok(many),
    }
}

/// The addresses of one side: prefix or prefixes, and application security groups.
fn side(
    prefix: Option<String>,
    prefixes: Option<Vec<String>>,
    asgs: Option<Vec<AsgRef>>,
    name: &str,
    changes: &mut Vec<Change>,
) -> Result<Vec<(Family, Remote)>, String> {
    let mut out = Vec::new();
    for t in one_or_many(prefix, prefixes, &format!("{name}AddressPrefix"))? {
        out.extend(addresses(&t, name, changes)?);
    }
    for asg in asgs.unwrap_or_default() {
        let _ = (&asg.location, &asg.properties);
        let id = asg
            .id
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("an application security group of the {name} has no id"))?;
        out.extend(
            Family::BOTH
                .iter()
                .map(|&f| (f, Remote::AddressGroup(id.clone()))),
        );
    }
    if out.is_empty() {
        return Err(format!(
            "the rule gives no {name} address (expected *, a prefix, a service tag or an application security group)"
        ));
    }
    Ok(out)
}

/// Ports of one side: `*`, `N`, `N-M`, from the singular and the plural field.
fn ports(one: Option<String>, many: Option<Vec<String>>, name: &str) -> Result<PortSet, String> {
    let mut ranges = Vec::new();
    let field = if name.starts_with("source") {
        "sourcePortRange"
    } else {
        "destinationPortRange"
    };
    let texts = one_or_many(one, many, field)?;
    if texts.is_empty() {
        return Err(format!(
            "the rule gives no {name} (expected *, a port or a range such as 1000-2000)"
        ));
    }
    for t in texts {
        let t = t.trim();
        if t == "*" || t == "0-65535" {
            return Ok(PortSet::any());
        }
        let (a, b) = t.split_once('-').unwrap_or((t, t));
        let num = |s: &str| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| format!("{name} {t:?} is not *, a port or a range a-b"))
        };
        let r = PortRange::new(num(a)?, num(b)?).map_err(|e| format!("{name} {t:?}: {e}"))?;
        ranges.push(r);
    }
    Ok(PortSet::from_ranges(ranges))
}

/// A text field for a message: quoted, or `missing`.
fn shown(value: Option<&str>) -> String {
    value.map_or_else(|| "missing".to_owned(), |v| format!("{v:?}"))
}

/// Read one rule. `defaults`: it is one of `defaultSecurityRules` (priorities 65000-65500).
pub(super) fn read_rule(w: WireRule, defaults: bool) -> Result<(Head, Reading), String> {
    let (name, id, etag, w) = w.fields()?;
    let mut changes = Vec::new();
    // Read-only state of the resource: nothing about traffic.
    let _ = (&w.kind, &w.provisioning_state, &w.resource_group);
    let direction = match w.direction.as_deref() {
        Some(d) if d.eq_ignore_ascii_case("Inbound") => Direction::Ingress,
        Some(d) if d.eq_ignore_ascii_case("Outbound") => Direction::Egress,
        other => {
            return Err(format!(
                "direction is {}; expected \"Inbound\" or \"Outbound\"",
                shown(other)
            ));
        }
    };
    let action = match w.access.as_deref() {
        Some(a) if a.eq_ignore_ascii_case("Allow") => Action::Allow,
        Some(a) if a.eq_ignore_ascii_case("Deny") => Action::Deny,
        other => {
            return Err(format!(
                "access is {}; expected \"Allow\" or \"Deny\"",
                shown(other)
            ));
        }
    };
    let range = if defaults { 100..=65500 } else { 100..=4096 };
    let priority = w
        .priority
        .filter(|p| range.contains(p))
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| {
            format!(
                "priority is {}; expected {}-{}",
                w.priority
                    .map_or_else(|| "missing".to_owned(), |p| p.to_string()),
                range.start(),
                range.end()
            )
        })?;
    let protocols: Vec<(Protocol, Protocol)> = match w
        .protocol
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("*") => vec![(Protocol::Any, Protocol::Any)],
        Some("tcp") => vec![(Protocol::TCP, Protocol::TCP)],
        Some("udp") => vec![(Protocol::UDP, Protocol::UDP)],
        Some("icmp") => vec![(Protocol::ICMP, Protocol::ICMPV6)],
        Some("esp") => vec![(Protocol::Number(50), Protocol::Number(50))],
        Some("ah") => vec![(Protocol::Number(51), Protocol::Number(51))],
        _ => {
            return Err(format!(
                "protocol is {}; expected Tcp, Udp, Icmp, Esp, Ah or *",
                shown(w.protocol.as_deref())
            ));
        }
    };
    let dst_ports = ports(
        w.destination_port_range,
        w.destination_port_ranges,
        "destination port range",
    )?;
    let src_ports = ports(
        w.source_port_range,
        w.source_port_ranges,
        "source port range",
    )?;
    let src = side(
        w.source_address_prefix,
        w.source_address_prefixes,
        w.source_asgs,
        "source",
        &mut changes,
    )?;
    let dst = side(
        w.destination_address_prefix,
        w.destination_address_prefixes,
        w.destination_asgs,
        "destination",
        &mut changes,
    )?;
    let (remote, local) = match direction {
        Direction::Ingress => (src, dst),
        Direction::Egress => (dst, src),
    };
    // Protocol `*` with destination ports matches TCP and UDP on those ports (ports exist
    // only for TCP and UDP among Azure's protocols).
    let protocols = match (protocols.as_slice(), dst_ports.is_any()) {
        ([(Protocol::Any, _)], false) => vec![
            (Protocol::TCP, Protocol::TCP),
            (Protocol::UDP, Protocol::UDP),
        ],
        (_, true) => protocols,
        ([(Protocol::TCP | Protocol::UDP, _)], false) => protocols,
        _ => {
            return Err(format!(
                "destination ports {dst_ports} on protocol {:?}, which has no ports",
                w.protocol.unwrap_or_default()
            ));
        }
    };
    // Restrictions the model cannot hold: source ports, and the local side's addresses
    // (per family: the local side is unrestricted in a family where it is `*` or
    // VirtualNetwork). A rule so restricted matches a subset of the same rule without them.
    let which = match direction {
        Direction::Ingress => "destination",
        Direction::Egress => "source",
    };
    let limits = |family: Family| -> Option<String> {
        let mut out = Vec::new();
        if !src_ports.is_any() {
            out.push(format!("source ports {src_ports}"));
        }
        let local_any = local.iter().any(|(f, r)| {
            *f == family
                && (*r == Remote::Any
                    || matches!(r, Remote::AddressGroup(t) if t == "VirtualNetwork"))
        });
        if !local_any {
            out.push(format!(
                "a {which} address set on the local side ({})",
                family.name()
            ));
        }
        (!out.is_empty()).then(|| out.join(" and "))
    };
    let head = Head {
        name: name.clone(),
        direction,
        priority,
    };
    if let Some(i) = id {
        changes.push(Change::new(
            Field::Id,
            Kind::Metadata,
            Some(i),
            "the rule's resource id is not carried",
        ));
    }
    if let Some(e) = etag {
        changes.push(Change::new(
            Field::Wire("etag".into()),
            Kind::Metadata,
            Some(e),
            "etag is not carried",
        ));
    }
    let origin_id = name.map(std::sync::Arc::<str>::from);
    let mut rules = Vec::new();
    let mut dropped = None;
    // Protocols outside, families inside: the IPv4 and IPv6 rules of one address are
    // neighbours, which the exporter writes back as one rule.
    for (v4, v6) in &protocols {
        for (family, remote) in &remote {
            let mut changes = changes.clone();
            if let Some(what) = limits(*family) {
                match action {
                    // Without the restriction the allow would match more (widen); left out,
                    // it narrows.
                    Action::Allow => {
                        dropped = Some(format!(
                            "the allow rule is restricted to {what}, which sgconv's model cannot \
                             hold; read without the restriction it would allow more, so it is left \
                             out (narrowed)"
                        ));
                        continue;
                    }
                    // Without the restriction the deny matches more: narrows, never widens.
                    Action::Deny => changes.push(Change::new(
                        Field::Rule,
                        Kind::Narrowed,
                        Some(what.clone()),
                        format!(
                            "the deny rule is restricted to {what}, which sgconv's model cannot \
                             hold; read as denying without the restriction (narrowed)"
                        ),
                    )),
                }
            }
            let mut spec = RuleSpec::new(direction, *family);
            spec.protocol = match family {
                Family::V4 => *v4,
                Family::V6 => *v6,
            };
            spec.ports = dst_ports.clone();
            spec.remote = remote.clone();
            spec.action = action;
            spec.priority = Some(priority);
            spec.description = w.description.clone().filter(|d| !d.is_empty());
            spec.origin = Origin::with_id(origin_id.clone());
            rules.push(ReadRule {
                rule: Rule::new(spec).map_err(|e| e.to_string())?,
                changes,
            });
        }
    }
    Ok((head, Reading { rules, dropped }))
}

/// One rule as written (the REST shape).
#[derive(Serialize)]
pub(super) struct OutRule {
    pub(super) name: String,
    pub(super) properties: OutProps,
}

/// An application security group reference, as written.
#[derive(Serialize)]
pub(super) struct OutAsg {
    pub(super) id: String,
}

/// A rule's properties, as written.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OutProps {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<String>,
    pub(super) protocol: &'static str,
    pub(super) source_port_range: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) destination_port_range: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) destination_port_ranges: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) source_address_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) source_application_security_groups: Option<Vec<OutAsg>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) destination_address_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) destination_application_security_groups: Option<Vec<OutAsg>>,
    pub(super) access: &'static str,
    pub(super) priority: u16,
    pub(super) direction: &'static str,
}
