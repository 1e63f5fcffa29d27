//! Reading one EC2 permission (an `IpPermission`, or the one peer of a `SecurityGroupRule`)
//! into canonical rules: one per IPv4 range, IPv6 range, group pair and prefix list, every
//! check the EC2 API makes on the way (botocore's `IpPermission` documentation,
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html>).
//!
//! - `IpProtocol` is `tcp`, `udp`, `icmp`, `icmpv6`, a protocol number, or `-1` (all
//!   protocols). "Specifying -1 or a protocol number other than tcp, udp, icmp, or icmpv6
//!   allows traffic on all ports, regardless of any port range you specify": such ports are
//!   read as every port, with a note. The numbers 6, 17, 1 and 58 are read as the names.
//! - tcp and udp: `FromPort`-`ToPort` is a port range, required; 0-65535 is every port.
//! - icmp and icmpv6: `FromPort` is the ICMP type and `ToPort` the code, -1 = any; a type of
//!   -1 needs a code of -1. icmp needs both; for icmpv6 leaving them out means every type.
//! - A group pair or prefix list carries no family: it is read as two rules, IPv4 and IPv6
//!   (a referenced group names network interfaces, a prefix list holds one family, unknown
//!   here), except under icmp (IPv4 only) and icmpv6 (IPv6 only).

use super::wire::Pair;
use crate::model::{Direction, Family, Icmp, PortRange, PortSet, Protocol, Remote, Rule, RuleSpec};
use crate::providers::read::{self, ReadRule};
use crate::report::{Change, Field, Kind};

/// The characters AWS allows in a rule description besides ASCII letters and digits: the set
/// botocore documents for `UserIdGroupPair` and `PrefixListId` (`IpRange` and `Ipv6Range`
/// also allow `&`, which is read but never written).
pub(super) const DESCRIPTION_CHARS: &str = " ._-:/()#,@[]+=;{}!$*";

/// The longest description AWS takes.
pub(super) const DESCRIPTION_MAX: usize = 255;

/// What a permission matches, before its peers: `IpProtocol`, `FromPort`, `ToPort`.
pub(super) struct Permission<'a> {
    pub(super) ip_protocol: Option<&'a str>,
    pub(super) from_port: Option<i64>,
    pub(super) to_port: Option<i64>,
}

/// One peer of a permission, with its description.
pub(super) enum Peer<'p> {
    /// An `IpRanges` entry or `CidrIpv4`.
    V4(&'p read::Address<'p>, Option<&'p str>),
    /// An `Ipv6Ranges` entry or `CidrIpv6`.
    V6(&'p read::Address<'p>, Option<&'p str>),
    /// A `UserIdGroupPairs` entry or `ReferencedGroupInfo`.
    Group(&'p Pair, Option<&'p str>),
    /// A `PrefixListIds` entry or `PrefixListId`.
    PrefixList(&'p str, Option<&'p str>),
}

/// The protocol, ports and ICMP match of a permission, and what reading them changed.
struct Match {
    protocol: Protocol,
    ports: PortSet,
    icmp: Icmp,
    changes: Vec<Change>,
}

/// Read a permission and its peers into ingress rules (the caller turns them to egress).
pub(super) fn read_permission(
    p: &Permission<'_>,
    peers: &[Peer<'_>],
) -> Result<Vec<ReadRule>, String> {
    let m = read_match(p)?;
    if peers.is_empty() {
        return Err(
            "the permission names no peer: give IpRanges, Ipv6Ranges, UserIdGroupPairs or \
             PrefixListIds (AWS rejects it)"
                .into(),
        );
    }
    let mut out = Vec::with_capacity(peers.len().saturating_mul(2));
    for peer in peers {
        let mut changes = m.changes.clone();
        let (families, remote, description) = match peer {
            Peer::V4(address, d) => {
                let remote = read::address(address, Family::V4, "IpRanges/CidrIpv4", &mut changes)?;
                (one_family(m.protocol, Family::V4, address)?, remote, *d)
            }
            Peer::V6(address, d) => {
                let remote =
                    read::address(address, Family::V6, "Ipv6Ranges/CidrIpv6", &mut changes)?;
                (one_family(m.protocol, Family::V6, address)?, remote, *d)
            }
            Peer::Group(pair, d) => (
                by_protocol(m.protocol),
                Remote::Group(pair_id(pair, &mut changes)?),
                *d,
            ),
            Peer::PrefixList(id, d) => {
                if id.is_empty() {
                    return Err("PrefixListId is empty".into());
                }
                (
                    by_protocol(m.protocol),
                    Remote::AddressGroup((*id).to_owned()),
                    *d,
                )
            }
        };
        if let Some(d) = description {
            check_description(d)?;
        }
        for &family in families {
            let spec = RuleSpec {
                protocol: m.protocol,
                ports: m.ports.clone(),
                icmp: m.icmp,
                remote: remote.clone(),
                description: description.map(str::to_owned),
                ..RuleSpec::new(Direction::Ingress, family)
            };
            let rule = Rule::new(spec).map_err(|e| e.to_string())?;
            out.push(ReadRule {
                rule,
                changes: changes.clone(),
            });
        }
    }
    Ok(out)
}

/// The family of a range, checked against the protocol (ICMP is IPv4's, ICMPv6 IPv6's).
fn one_family(protocol: Protocol, family: Family, cidr: &str) -> Result<&'static [Family], String> {
    match (protocol, family) {
        (Protocol::ICMP, Family::V6) => Err(format!(
            "protocol icmp with the IPv6 range {cidr}: ICMP for IPv6 is icmpv6 (58)"
        )),
        (Protocol::ICMPV6, Family::V4) => Err(format!(
            "protocol icmpv6 with the IPv4 range {cidr}: ICMP for IPv4 is icmp (1)"
        )),
        (_, Family::V4) => Ok(&[Family::V4]),
        (_, Family::V6) => Ok(&[Family::V6]),
    }
}

/// The families a group pair or prefix list is read in.
fn by_protocol(protocol: Protocol) -> &'static [Family] {
    match protocol {
        Protocol::ICMP => &[Family::V4],
        Protocol::ICMPV6 => &[Family::V6],
        _ => &Family::BOTH,
    }
}

/// The remote group a pair names: its `GroupId` (or, in a default VPC, its `GroupName`),
/// after `UserId/` where the pair names an account (the form the EC2 console shows; the
/// group's own account is taken off once known, see [`own_account`]).
fn pair_id(pair: &Pair, changes: &mut Vec<Change>) -> Result<String, String> {
    let group = match (pair.group_id.as_deref(), pair.group_name.as_deref()) {
        (Some(id), name) if !id.is_empty() => {
            if let Some(name) = name {
                changes.push(meta(
                    "GroupName",
                    name,
                    "the referenced group's name is not carried",
                ));
            }
            id
        }
        (_, Some(name)) if !name.is_empty() => {
            changes.push(Change::new(
                Field::Remote,
                Kind::Note,
                Some(name.to_owned()),
                "the referenced group is named by GroupName only (a default VPC's group); the \
                 name is carried as its id",
            ));
            name
        }
        _ => return Err("a group pair names no group: give GroupId".into()),
    };
    for (name, value) in [
        ("VpcId", &pair.vpc_id),
        ("VpcPeeringConnectionId", &pair.vpc_peering_connection_id),
        ("PeeringStatus", &pair.peering_status),
    ] {
        if let Some(v) = value {
            changes.push(meta(name, v, "a group pair's VPC details are not carried"));
        }
    }
    Ok(match pair.user_id.as_deref().filter(|u| !u.is_empty()) {
        Some(account) => [account, "/", group].concat(),
        None => group.to_owned(),
    })
}

fn meta(name: &'static str, value: &str, message: &'static str) -> Change {
    Change::new(
        Field::Wire(name.into()),
        Kind::Metadata,
        Some(value.to_owned()),
        message,
    )
}

/// Take the group's own account (`owner`) off the group pairs of `rules` that name it: only
/// another account's pairs keep theirs.
pub(super) fn own_account(rules: &mut [ReadRule], owner: &str) {
    for r in rules {
        let Remote::Group(id) = r.rule.remote() else {
            continue;
        };
        let Some(group) = id
            .strip_prefix(owner)
            .and_then(|rest| rest.strip_prefix('/'))
        else {
            continue;
        };
        let mut spec = r.rule.spec().clone();
        spec.remote = Remote::Group(group.to_owned());
        if let Ok(rule) = Rule::new(spec) {
            r.rule = rule;
        }
    }
}

/// Turn a rule read as ingress into one of `direction` (the same fields otherwise).
pub(super) fn set_direction(r: &mut ReadRule, direction: Direction) {
    let origin = r.rule.origin().clone();
    let mut spec = r.rule.spec().clone();
    spec.direction = direction;
    if let Ok(mut rule) = Rule::new(spec) {
        rule.set_origin(origin);
        r.rule = rule;
    }
}

/// A rule description AWS accepts: 255 characters of its documented set.
fn check_description(d: &str) -> Result<(), String> {
    let n = d.chars().count();
    if n > DESCRIPTION_MAX {
        return Err(format!(
            "description is {n} characters long; AWS allows {DESCRIPTION_MAX}"
        ));
    }
    match d
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || DESCRIPTION_CHARS.contains(*c) || *c == '&'))
    {
        Some(c) => Err(format!(
            "description holds {c:?}; AWS allows a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{{}}!$*"
        )),
        None => Ok(()),
    }
}

/// `IpProtocol`: a name, a number `"0"`-`"255"` without leading zeros, or `-1`.
fn read_protocol(text: Option<&str>) -> Result<Protocol, String> {
    let expected = "expected tcp, udp, icmp, icmpv6, a protocol number 0-255, or -1 for all";
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Err(format!("the permission has no IpProtocol; {expected}"));
    };
    match text {
        "-1" => return Ok(Protocol::Any),
        "tcp" => return Ok(Protocol::TCP),
        "udp" => return Ok(Protocol::UDP),
        "icmp" => return Ok(Protocol::ICMP),
        "icmpv6" => return Ok(Protocol::ICMPV6),
        _ => {}
    }
    let plain = !text.is_empty()
        && text.len() <= 3
        && text.bytes().all(|b| b.is_ascii_digit())
        && !(text.len() > 1 && text.starts_with('0'));
    match text.parse::<u8>() {
        Ok(n) if plain => Ok(Protocol::Number(n)),
        _ => Err(format!("unknown IpProtocol {text:?}; {expected}")),
    }
}

fn read_match(p: &Permission<'_>) -> Result<Match, String> {
    let protocol = read_protocol(p.ip_protocol)?;
    let mut changes = Vec::new();
    let (from, to) = (p.from_port, p.to_port);
    let (ports, icmp) = match protocol {
        Protocol::TCP | Protocol::UDP => {
            (tcp_udp_ports(protocol, from, to, &mut changes)?, Icmp::Any)
        }
        Protocol::ICMP | Protocol::ICMPV6 => (PortSet::any(), icmp(protocol, from, to)?),
        _ => {
            if [from, to].iter().flatten().any(|p| *p != -1) {
                let name = match protocol {
                    Protocol::Any => "-1 (all protocols)".to_owned(),
                    p => format!("protocol {p}"),
                };
                changes.push(Change::new(
                    Field::Ports,
                    Kind::Note,
                    Some(format!("{}-{}", show(from), show(to))),
                    format!(
                        "AWS allows every port for {name}, regardless of FromPort/ToPort; read as \
                         every port"
                    ),
                ));
            }
            (PortSet::any(), Icmp::Any)
        }
    };
    Ok(Match {
        protocol,
        ports,
        icmp,
        changes,
    })
}

fn show(port: Option<i64>) -> String {
    port.map_or_else(|| "none".to_owned(), |p| p.to_string())
}

fn tcp_udp_ports(
    protocol: Protocol,
    from: Option<i64>,
    to: Option<i64>,
    changes: &mut Vec<Change>,
) -> Result<PortSet, String> {
    let (Some(from), Some(to)) = (from, to) else {
        return Err(format!(
            "protocol {protocol} needs FromPort and ToPort (AWS requires a port range for tcp, \
             udp and icmp; 0-65535 is every port)"
        ));
    };
    for (key, port) in [("FromPort", from), ("ToPort", to)] {
        if !(0..=65535).contains(&port) {
            return Err(format!(
                "{key} {port} is not a port; {protocol} ports are 0-65535"
            ));
        }
    }
    if from > to {
        return Err(format!("FromPort {from} is above ToPort {to}"));
    }
    match (from, to) {
        (0, 65535) => Ok(PortSet::any()),
        (0, 0) => Err(
            "the port range 0-0 names port 0 alone, which sgconv's model cannot hold (it names \
             port 0 only within every port)"
                .into(),
        ),
        (0, to) => {
            changes.push(Change::new(
                Field::Ports,
                Kind::Narrowed,
                Some(format!("0-{to}")),
                format!(
                    "port range 0-{to}: sgconv's model names port 0 only within every port; read \
                     as 1-{to}, packets to port 0 are left out"
                ),
            ));
            range(1, to)
        }
        (from, to) => range(from, to),
    }
}

fn range(from: i64, to: i64) -> Result<PortSet, String> {
    let (from, to) = (u64::try_from(from), u64::try_from(to));
    let r = PortRange::new(from.unwrap_or(0), to.unwrap_or(0)).map_err(|e| e.to_string())?;
    Ok(PortSet::from_ranges([r]))
}

fn icmp(protocol: Protocol, from: Option<i64>, to: Option<i64>) -> Result<Icmp, String> {
    let (t, c) = match (from, to) {
        (None, None) if protocol == Protocol::ICMPV6 => return Ok(Icmp::Any),
        (Some(t), Some(c)) => (t, c),
        _ => {
            return Err(format!(
                "protocol {protocol} needs FromPort (the ICMP type, -1 for all) and ToPort (the \
                 code, -1 for all){}",
                if protocol == Protocol::ICMP {
                    ""
                } else {
                    ", or neither for every type"
                }
            ));
        }
    };
    let byte = |key: &str, v: i64| -> Result<Option<u8>, String> {
        match v {
            -1 => Ok(None),
            v => u8::try_from(v).map(Some).map_err(|_| {
                format!(
                    "{key} {v} is not an ICMP {}: 0-255, or -1 for all",
                    if key == "FromPort" { "type" } else { "code" }
                )
            }),
        }
    };
    match (byte("FromPort", t)?, byte("ToPort", c)?) {
        (None, None) => Ok(Icmp::Any),
        (Some(t), None) => Ok(Icmp::Type(t)),
        (Some(t), Some(c)) => Ok(Icmp::TypeCode(t, c)),
        (None, Some(c)) => Err(format!(
            "ICMP type -1 (all types) with code {c}: the code must be -1 when the type is"
        )),
    }
}
