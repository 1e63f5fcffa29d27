//! Neutron's security-group rule semantics, shared by the dialects that speak Neutron's rule
//! shape (Gcore v1/v2 and OpenStack): the `ethertype` values, how `port_range_min` and
//! `port_range_max` carry a port range or an ICMP type and code, and how a canonical rule
//! writes them back. Neutron API reference:
//! <https://docs.openstack.org/api-ref/network/v2/#security-group-rules-security-group-rules>.

use crate::caps::{Capabilities, TextLimit};
use crate::error::Error;
use crate::model::{Family, Icmp, PortRange, PortSet, Protocol, Rule};
use crate::report::{Change, Field, Kind};

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

/// `port_range_min` and `port_range_max` of a rule the target can express (one range, or an
/// ICMP type and code); `exporter` names the caller in the internal error for anything else.
pub(crate) fn write_ports(
    rule: &Rule,
    exporter: &str,
) -> Result<(Option<u16>, Option<u16>), Error> {
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
