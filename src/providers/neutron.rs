//! Neutron's security-group rule, shared by the dialects that speak Neutron's rule shape
//! (Gcore v1/v2 and OpenStack): its fields ([`WireRule`], read by each dialect's
//! [`wire!`]), its protocol names and `ethertype` values, how `port_range_min` and
//! `port_range_max` carry a port range or an ICMP type and code, the checks Neutron makes,
//! and how a canonical rule writes them back. Neutron API reference:
//! <https://docs.openstack.org/api-ref/network/v2/#security-group-rules-security-group-rules>.

use std::borrow::Cow;

use serde::Serialize;

use crate::caps::{Capabilities, TextLimit};
use crate::error::Error;
use crate::model::{
    CidrText, Direction, Family, Icmp, Origin, PortRange, PortSet, Protocol, Rule, RuleSpec,
};
use crate::output::{FieldSink, SerdeFields};
use crate::providers::read::{self, ReadRule};
use crate::providers::write::RemoteFields;
use crate::report::{Change, Field, Kind};

/// Define a Neutron dialect's wire rule or group with Neutron's fields in its `neutron` part
/// (`wire!(rule [pub(super) struct WireRule<'a> { own fields }])`; `group` likewise), read
/// from the same object as the dialect's own fields. Each part's fields are listed once, here,
/// for both the part's struct ([`WireRule`], [`WireGroup`]) and every dialect's reader.
macro_rules! wire {
    // A rule, as the API names its fields.
    (rule $($use:tt)+) => {
        crate::providers::wire_struct::wire_part! { $($use)+
            neutron: [crate::providers::neutron::] WireRule<'a> {
                direction: crate::model::Direction,
                ethertype: Option<crate::providers::neutron::Ethertype>,
                #[serde(default, borrow, deserialize_with = "crate::providers::read::opt_str")]
                protocol: Option<std::borrow::Cow<'a, str>>,
                port_range_min: Option<i64>,
                port_range_max: Option<i64>,
                #[serde(default, borrow, deserialize_with = "crate::providers::read::opt_cidr")]
                remote_ip_prefix: Option<crate::providers::read::Address<'a>>,
                #[serde(default, borrow, deserialize_with = "crate::providers::read::opt_str")]
                remote_group_id: Option<std::borrow::Cow<'a, str>>,
                #[serde(default, borrow, deserialize_with = "crate::providers::read::opt_str")]
                description: Option<std::borrow::Cow<'a, str>>,
                #[serde(default, borrow, deserialize_with = "crate::providers::read::opt_str")]
                id: Option<std::borrow::Cow<'a, str>>,
                #[serde(default, borrow, deserialize_with = "crate::providers::read::opt_str")]
                security_group_id: Option<std::borrow::Cow<'a, str>>,
                revision_number: Option<i64>,
                #[serde(default, borrow, deserialize_with = "crate::providers::read::opt_str")]
                created_at: Option<std::borrow::Cow<'a, str>>,
                #[serde(default, borrow, deserialize_with = "crate::providers::read::opt_str")]
                updated_at: Option<std::borrow::Cow<'a, str>>,
            }
        }
    };
    // A group, as the API names the fields Gcore's group objects have too.
    (group $($use:tt)+) => {
        crate::providers::wire_struct::wire_part! { $($use)+
            neutron: [crate::providers::neutron::] WireGroup {
                id: Option<String>,
                name: Option<String>,
                description: Option<String>,
                project_id: Option<serde_json::Value>,
                revision_number: Option<serde_json::Value>,
                created_at: Option<serde_json::Value>,
                updated_at: Option<serde_json::Value>,
            }
        }
    };
}

pub(crate) use wire;

wire!(rule define [
    /// The rule fields every Neutron dialect reads, as the API names them (the `neutron` part
    /// of each dialect's wire rule, [`wire!`]).
]);

wire!(group define [
    /// The group fields every Neutron dialect reads, as the API names them (the `neutron` part
    /// of each dialect's wire group, [`wire!`]).
]);

/// Protocols Neutron accepts only with `ethertype: IPv6` (the `ipv6-*` names).
pub(crate) const IPV6_ONLY: &[u8] = &[41, 43, 44, 58, 59, 60];

/// What Neutron's rule shape can express, which each Neutron dialect extends with its own
/// (`Capabilities { cloud: ..., ..neutron::CAPS }`): unordered allow rules, each with one
/// port range or an ICMP type and code, a remote CIDR or group, and a description.
pub(crate) const CAPS: Capabilities = Capabilities {
    port_protocols: &Protocol::PORT_PROTOCOLS,
    icmp_type_code: true,
    // Neutron stores port_range 1-65535 as null/null, all ports (openstack/neutron
    // commit 26b8026cee, 2019).
    full_port_range: false,
    remote_group: true,
    description: Some(TextLimit::chars(255)),
    v6_only_protocols: IPV6_ONLY,
    ..Capabilities::MINIMAL
};

/// The protocol names Neutron reads and writes (`neutron_lib.constants.IP_PROTOCOL_MAP`, as
/// names of [`crate::model::PROTOCOL_NAMES`]; `hopopt` (0) is read and written as `"0"`).
pub(crate) const NAMES: &[&str] = &[
    "ah",
    "dccp",
    "egp",
    "esp",
    "gre",
    "icmp",
    "igmp",
    "ipip",
    "ipv6-encap",
    "ipv6-frag",
    "ipv6-icmp",
    "ipv6-nonxt",
    "ipv6-opts",
    "ipv6-route",
    "ospf",
    "pgm",
    "rsvp",
    "sctp",
    "tcp",
    "udp",
    "udplite",
    "vrrp",
];

/// The protocol a name of the model stands for, its note (an alias read as another name)
/// recorded; `None` for a name the model does not know.
pub(crate) fn named_protocol(text: &str, changes: &mut Vec<Change>) -> Option<Protocol> {
    let (p, note) = Protocol::from_name_with_note(text)?;
    if let Some(note) = note {
        changes.push(Change::new(
            Field::Protocol,
            Kind::Note,
            Some(text.into()),
            note,
        ));
    }
    Some(p)
}

/// Neutron's `ethertype`.
pub(crate) enum Ethertype {
    /// `IPv4` (also what an omitted ethertype means).
    IPv4,
    /// `IPv6`.
    IPv6,
}

crate::text_enum::text_enum!(Ethertype { "IPv4" => Ethertype::IPv4, "IPv6" => Ethertype::IPv6 });

impl Ethertype {
    /// The family an (optional) ethertype stands for; omitted means IPv4.
    pub(crate) fn family(e: Option<&Ethertype>) -> Family {
        match e {
            None | Some(Ethertype::IPv4) => Family::V4,
            Some(Ethertype::IPv6) => Family::V6,
        }
    }

    /// The ethertype written for a family.
    pub(crate) fn name(family: Family) -> &'static str {
        match family {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }
}

/// Neutron's checks of a protocol against the rule's family: the `ipv6-*` protocols need
/// IPv6, and `icmp` with IPv6 is read as `ipv6-icmp` (as Neutron stores it).
pub(crate) fn family_protocol(
    protocol: Protocol,
    family: Family,
    changes: &mut Vec<Change>,
) -> Result<Protocol, String> {
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
        return Ok(Protocol::ICMPV6);
    }
    Ok(protocol)
}

impl WireRule<'_> {
    /// The rule's match, for the dialect to complete with its remote: its direction and
    /// family, and `protocol` (the dialect's reading of the protocol field) with the ports
    /// and ICMP type and code Neutron's checks allow it.
    pub(crate) fn read_match(
        &self,
        protocol: Protocol,
        changes: &mut Vec<Change>,
    ) -> Result<RuleSpec, String> {
        let family = Ethertype::family(self.ethertype.as_ref());
        let protocol = family_protocol(protocol, family, changes)?;
        let (ports, icmp) = read_ports(protocol, self.port_range_min, self.port_range_max)?;
        Ok(RuleSpec {
            protocol,
            ports,
            icmp,
            ..RuleSpec::new(self.direction, family)
        })
    }

    /// The canonical rule: `spec` (the match and remote the dialect read, for the rule's
    /// direction and family) with the rule's description and id, after Neutron's check of the
    /// description (`dialect` names the API in its message); the timestamps and revision,
    /// which the model has no place for, are reported.
    pub(crate) fn finish(
        self,
        mut spec: RuleSpec,
        dialect: &str,
        mut changes: Vec<Change>,
    ) -> Result<ReadRule, String> {
        if let Some(d) = &self.description
            && d.chars().count() > 255
        {
            return Err(format!(
                "description is {} characters long; {dialect} allows 255",
                d.chars().count()
            ));
        }
        read::timestamps(
            self.created_at.as_deref(),
            self.updated_at.as_deref(),
            &mut changes,
        );
        if let Some(rev) = self.revision_number {
            changes.push(Change::new(
                Field::Revision,
                Kind::Metadata,
                Some(rev.to_string()),
                "rule revision_number is not carried",
            ));
        }
        spec.description = self.description.map(Cow::into_owned);
        spec.origin = Origin::with_id(self.id.as_deref().map(std::sync::Arc::from));
        let rule = Rule::new(spec).map_err(|e| e.to_string())?;
        Ok(ReadRule { rule, changes })
    }
}

fn port_value(v: i64, what: &str) -> Result<u64, String> {
    u64::try_from(v).map_err(|_| format!("{what} {v} is negative"))
}

/// Neutron's port rules: ranges on port protocols, type/code on ICMP, nothing otherwise.
pub(crate) fn read_ports(
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

/// A rule's create body, as Neutron's API takes it (`POST /v2.0/security-group-rules`; Gcore's
/// the same without `security_group_id` and address groups). Fields in the API's order;
/// those left out are `None`, and not written ([`Body::fields`] is how it is written).
pub(crate) struct Body<'a> {
    pub(crate) security_group_id: Option<&'a str>,
    pub(crate) direction: Direction,
    pub(crate) ethertype: &'static str,
    pub(crate) protocol: Option<Cow<'static, str>>,
    pub(crate) port_range_min: Option<u16>,
    pub(crate) port_range_max: Option<u16>,
    pub(crate) remote_ip_prefix: Option<CidrText>,
    pub(crate) remote_group_id: Option<&'a str>,
    pub(crate) remote_address_group_id: Option<&'a str>,
    pub(crate) description: Option<&'a str>,
}

impl Serialize for Body<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut fields = SerdeFields(s.serialize_struct("Body", 10)?);
        self.fields(&mut fields)?;
        fields.0.end()
    }
}

impl<'a> Body<'a> {
    /// The body of a rule the target can express, naming no group; `protocol` is the
    /// dialect's name for the rule's protocol, and `exporter` names the dialect in the
    /// internal error for a rule it cannot write.
    pub(crate) fn of(
        rule: &'a Rule,
        protocol: Option<Cow<'static, str>>,
        exporter: &str,
    ) -> Result<Body<'a>, Error> {
        let (port_range_min, port_range_max) = write_ports(rule, exporter)?;
        let remote = RemoteFields::of(rule.remote());
        Ok(Body {
            security_group_id: None,
            direction: rule.direction(),
            ethertype: Ethertype::name(rule.family()),
            protocol,
            port_range_min,
            port_range_max,
            remote_ip_prefix: remote.cidr,
            remote_group_id: remote.group,
            remote_address_group_id: remote.address_group,
            description: rule.description(),
        })
    }
}

impl Body<'_> {
    /// The body's fields in the API's order, each left out when `None` (`protocol` is
    /// `null` instead: "any"): what its `Serialize` writes, and what
    /// [`crate::output::Writer::objects`] writes as text without a serialiser between (a
    /// tenth of a Gcore conversion's instructions went to serde_json's pretty printer).
    pub(crate) fn fields<F: FieldSink>(&self, f: &mut F) -> Result<(), F::Error> {
        if let Some(id) = self.security_group_id {
            f.str("security_group_id", id)?;
        }
        f.str("direction", self.direction.name())?;
        f.str("ethertype", self.ethertype)?;
        match &self.protocol {
            Some(protocol) => f.str("protocol", protocol)?,
            None => f.null("protocol")?,
        }
        if let Some(min) = self.port_range_min {
            f.number("port_range_min", min)?;
        }
        if let Some(max) = self.port_range_max {
            f.number("port_range_max", max)?;
        }
        if let Some(cidr) = &self.remote_ip_prefix {
            cidr.with_text(|text| f.str("remote_ip_prefix", text))?;
        }
        if let Some(group) = self.remote_group_id {
            f.str("remote_group_id", group)?;
        }
        if let Some(group) = self.remote_address_group_id {
            f.str("remote_address_group_id", group)?;
        }
        if let Some(description) = self.description {
            f.str("description", description)?;
        }
        Ok(())
    }
}

/// `port_range_min` and `port_range_max` of a rule the target can express (one range, or an
/// ICMP type and code); `exporter` names the caller in the internal error for anything else.
fn write_ports(rule: &Rule, exporter: &str) -> Result<(Option<u16>, Option<u16>), Error> {
    match (rule.ports().ranges(), rule.icmp()) {
        (_, Icmp::Type(t)) => Ok((Some(u16::from(t)), None)),
        (_, Icmp::TypeCode(t, c)) => Ok((Some(u16::from(t)), Some(u16::from(c)))),
        (_, Icmp::Any) if rule.ports().is_any() => Ok((None, None)),
        ([r], Icmp::Any) => Ok((Some(r.from()), Some(r.to()))),
        _ => Err(Error::Internal(format!(
            "several port ranges reached the {exporter} exporter"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Writer;

    /// Bodies written as text field by field are what serde_json's pretty printer writes of
    /// the same fields (through `Serialize`), at any depth, with every field or none, and
    /// with the characters JSON escapes.
    #[test]
    fn text_fields_are_what_serde_json_writes() {
        let cidr = |t: &str| Some(CidrText(t.parse().unwrap()));
        let full = Body {
            security_group_id: Some("g\"1"),
            direction: Direction::Egress,
            ethertype: "IPv6",
            protocol: Some(Cow::Borrowed("tcp")),
            port_range_min: Some(0),
            port_range_max: Some(65535),
            remote_ip_prefix: cidr("2001:db8::/32"),
            remote_group_id: Some("a\\b"),
            remote_address_group_id: Some("\u{7f}é\u{2028}"),
            description: Some("\u{0}\u{8}\u{c}\n\r\t\u{1f} \"x\" / \\"),
        };
        let bare = Body {
            security_group_id: None,
            direction: Direction::Ingress,
            ethertype: "IPv4",
            protocol: None,
            port_range_min: Some(7),
            port_range_max: None,
            remote_ip_prefix: cidr("10.0.0.0/8"),
            remote_group_id: None,
            remote_address_group_id: None,
            description: None,
        };
        for n in [0, 1, 2, 70, 130] {
            let bodies: Vec<&Body<'_>> = [&full, &bare].into_iter().cycle().take(n).collect();
            for depth in [0, 4] {
                let write = |by_fields: bool| {
                    let mut out = Writer::new();
                    out.raw("{\n    \"rules\": ");
                    out.nested(depth, |out| {
                        if by_fields {
                            out.objects(&bodies, |b, f| {
                                let Ok(()) = b.fields(f);
                                Ok(())
                            })
                        } else {
                            out.list(&bodies)
                        }
                    })
                    .unwrap();
                    out.finish().unwrap().into_json()
                };
                assert_eq!(write(true), write(false), "{n} bodies at depth {depth}");
            }
        }
    }
}
