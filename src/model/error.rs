//! [`ModelError`]: the model invariant a rule or group breaks.

use super::{Family, Protocol};

/// Why a rule cannot be built: a model invariant it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// Ports given on a protocol that has none.
    #[error(
        "ports {ports} given for protocol {protocol}, which has no ports (only tcp, udp, dccp, sctp and udplite do)"
    )]
    PortsWithoutPortProtocol {
        /// The protocol.
        protocol: Protocol,
        /// The ports.
        ports: String,
    },
    /// ICMP type/code given on a protocol other than ICMP/ICMPv6.
    #[error("an ICMP type/code given for protocol {0}, which is not icmp or ipv6-icmp")]
    IcmpWithoutIcmp(Protocol),
    /// Protocol and family disagree (icmp on IPv6, ipv6-icmp on IPv4).
    #[error("protocol {protocol} cannot be used with {family:?}")]
    ProtocolFamily {
        /// The protocol.
        protocol: Protocol,
        /// The rule's family.
        family: Family,
    },
    /// A CIDR of the other family.
    #[error("remote {cidr} is not an {family} network", family = match family { Family::V4 => "IPv4", Family::V6 => "IPv6" })]
    CidrFamily {
        /// The CIDR.
        cidr: ipnet::IpNet,
        /// The rule's family.
        family: Family,
    },
    /// A CIDR with host bits set.
    #[error("remote {0} has host bits set (expected {net})", net = .0.trunc())]
    HostBits(ipnet::IpNet),
    /// An empty group or address-group id.
    #[error("an empty remote group id")]
    EmptyGroupId,
    /// A deny rule in an allow-only group.
    #[error("rules[{0}] is a deny rule, but the group's evaluation is allow_only")]
    DenyInAllowOnly(usize),
    /// An allow-only group whose default policy allows.
    #[error(
        "an allow_only group denies by default (default_inbound/default_outbound must be deny)"
    )]
    AllowOnlyDefaultAllow,
}
