//! IP protocols: IANA numbers inside, names only at the edges.
//!
//! There is one name table, [`NAMES`]. Providers choose which of its names they accept and
//! write (Gcore: the 23 names of its enum; Huawei: `tcp`, `udp`, `icmp`, `icmpv6`), but the
//! name ↔ number mapping is never re-done per provider.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An IP protocol: all of them, or one IANA protocol number.
///
/// ```
/// use sgconv::model::Protocol;
/// assert_eq!(Protocol::from_name("tcp"), Some(Protocol::TCP));
/// assert_eq!(Protocol::TCP.to_string(), "tcp");
/// assert_eq!(Protocol::Number(94).to_string(), "94");
/// assert!(Protocol::UDP.has_ports());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// Every IP protocol.
    Any,
    /// One protocol by its IANA number (0..=255).
    Number(u8),
}

/// One entry of the protocol name table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolName {
    /// The lower-case name as providers spell it.
    pub name: &'static str,
    /// The IANA number the name stands for.
    pub number: u8,
    /// Set when providers disagree on the number: see [`Protocol::from_name_with_note`].
    pub ambiguity: Option<&'static str>,
}

const fn n(name: &'static str, number: u8) -> ProtocolName {
    ProtocolName {
        name,
        number,
        ambiguity: None,
    }
}

/// The one protocol name table: the names of Gcore's protocol enum (`SecurityGroupProtocolEnum`
/// in Gcore's OpenAPI description of its cloud API, `cloud_api.yaml` in
/// <https://github.com/G-Core/product-documentation>), numbered as in IANA's Assigned
/// Internet Protocol Numbers (<https://www.iana.org/assignments/protocol-numbers/>), plus the
/// aliases Neutron reads.
///
/// The first entry for a number is the name written for it; later entries for the same
/// number are read-only aliases (`icmpv6` for 58, `ipip` for 4).
pub const NAMES: &[ProtocolName] = &[
    n("icmp", 1),
    n("igmp", 2),
    n("ipencap", 4),
    n("tcp", 6),
    n("egp", 8),
    n("udp", 17),
    n("dccp", 33),
    n("ipv6-encap", 41),
    n("ipv6-route", 43),
    n("ipv6-frag", 44),
    n("rsvp", 46),
    n("gre", 47),
    n("esp", 50),
    n("ah", 51),
    n("ipv6-icmp", 58),
    n("ipv6-nonxt", 59),
    n("ipv6-opts", 60),
    n("ospf", 89),
    n("vrrp", 112),
    n("pgm", 113),
    n("sctp", 132),
    n("udplite", 136),
    // Aliases: read, never written.
    n("icmpv6", 58),
    ProtocolName {
        name: "ipip",
        number: 4,
        ambiguity: Some(
            "`ipip` is protocol 4 in Neutron (which Gcore runs) but 94 in IANA's table; \
             read as 4 (IP-in-IP encapsulation, IANA `ipencap`)",
        ),
    },
];

impl Protocol {
    /// TCP (6).
    pub const TCP: Protocol = Protocol::Number(6);
    /// UDP (17).
    pub const UDP: Protocol = Protocol::Number(17);
    /// ICMP for IPv4 (1).
    pub const ICMP: Protocol = Protocol::Number(1);
    /// ICMP for IPv6 (58).
    pub const ICMPV6: Protocol = Protocol::Number(58);

    /// Protocols whose rules can name destination ports (tcp, udp, dccp, sctp, udplite).
    pub const PORT_PROTOCOLS: [u8; 5] = [6, 17, 33, 132, 136];

    /// The protocol a table name stands for (exact, lower-case).
    pub fn from_name(name: &str) -> Option<Protocol> {
        Self::from_name_with_note(name).map(|(p, _)| p)
    }

    /// Like [`Protocol::from_name`], with the ambiguity note of names that providers read
    /// differently (`ipip`).
    pub fn from_name_with_note(name: &str) -> Option<(Protocol, Option<&'static str>)> {
        NAMES
            .iter()
            .find(|e| e.name == name)
            .map(|e| (Protocol::Number(e.number), e.ambiguity))
    }

    /// The name written for this protocol, if the table has one (`None` for `Any`).
    pub fn name(self) -> Option<&'static str> {
        match self {
            Protocol::Any => None,
            Protocol::Number(num) => NAMES.iter().find(|e| e.number == num).map(|e| e.name),
        }
    }

    /// Whether rules of this protocol can carry destination ports.
    pub fn has_ports(self) -> bool {
        matches!(self, Protocol::Number(p) if Self::PORT_PROTOCOLS.contains(&p))
    }

    /// Whether rules of this protocol can carry an ICMP type and code (1 or 58).
    pub fn is_icmp(self) -> bool {
        matches!(self, Protocol::Number(1 | 58))
    }

    /// Parse a canonical spelling: `any`, a table name, or a decimal number `0`..`255`.
    pub fn parse(text: &str) -> Option<Protocol> {
        if text == "any" {
            return Some(Protocol::Any);
        }
        if let Some(p) = Protocol::from_name(text) {
            return Some(p);
        }
        if !text.is_empty() && text.len() <= 3 && text.bytes().all(|b| b.is_ascii_digit()) {
            return text.parse::<u8>().ok().map(Protocol::Number);
        }
        None
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, self.name()) {
            (Protocol::Any, _) => f.write_str("any"),
            (_, Some(name)) => f.write_str(name),
            (Protocol::Number(num), None) => write!(f, "{num}"),
        }
    }
}

impl Serialize for Protocol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Protocol::Number(num) if self.name().is_none() => s.serialize_u8(*num),
            _ => s.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Protocol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Num(u8),
            Text(String),
        }
        match Repr::deserialize(d)? {
            Repr::Num(num) => Ok(Protocol::Number(num)),
            Repr::Text(t) => Protocol::parse(&t).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown protocol {t:?}: expected `any`, a protocol name such as `tcp`, or a number 0-255"
                ))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_number_has_one_written_name() {
        for e in NAMES {
            let p = Protocol::Number(e.number);
            assert_eq!(Protocol::parse(&p.to_string()), Some(p));
        }
    }

    #[test]
    fn ipip_is_ambiguous_and_reads_as_4() {
        let (p, note) = Protocol::from_name_with_note("ipip").unwrap();
        assert_eq!(p, Protocol::Number(4));
        assert!(note.is_some());
        assert_eq!(p.to_string(), "ipencap");
        assert_eq!(Protocol::parse("94"), Some(Protocol::Number(94)));
        assert_eq!(Protocol::parse("256"), None);
        assert_eq!(Protocol::parse("TCP"), None);
    }
}
