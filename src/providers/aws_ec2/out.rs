//! Writing fitted groups as EC2 permissions: rules with the same protocol and ports merge into
//! one `IpPermission` with several peers (a permission is the union of its peers, so merging
//! is exact), and the IPv4 and IPv6 rules naming one group or prefix list become one peer.

use super::wire::{OutPair, OutPermission, OutPrefixList, OutRange, OutRange6};
use crate::error::Error;
use crate::model::{CidrText, Family, Icmp, PortSet, Protocol, Remote, Rule};
use crate::report::{Field, Kind, Report};

/// The permissions of `rules` (one direction of one group), in order of first appearance.
pub(super) fn permissions<'a>(
    rules: impl Iterator<Item = &'a Rule>,
    gi: usize,
    report: &mut Report,
) -> Result<Vec<OutPermission<'a>>, Error> {
    let mut out: Vec<OutPermission<'a>> = Vec::new();
    // The permission of each match, and the groups and prefix lists each permission names.
    let mut index: foldhash::HashMap<(Protocol, &'a PortSet, Icmp), usize> =
        foldhash::HashMap::default();
    let mut named: Vec<foldhash::HashMap<(bool, &'a str), Option<&'a str>>> = Vec::new();
    for rule in rules {
        if rule.action() != crate::model::Action::Allow {
            return Err(Error::Internal(
                "a deny rule reached the AWS EC2 exporter".into(),
            ));
        }
        let key = (rule.protocol(), rule.ports(), rule.icmp());
        let at = match index.get(&key) {
            Some(&at) => at,
            None => {
                out.push(empty(rule)?);
                named.push(foldhash::HashMap::default());
                let at = out.len().saturating_sub(1);
                index.insert(key, at);
                at
            }
        };
        let (Some(permission), Some(names)) = (out.get_mut(at), named.get_mut(at)) else {
            return Err(Error::Internal("AWS EC2 exporter lost a permission".into()));
        };
        let description = rule.description();
        match rule.remote() {
            Remote::Any | Remote::Cidr(_) => {
                let cidr = match (rule.remote(), rule.family()) {
                    (Remote::Cidr(net), _) => CidrText(*net).to_string(),
                    (_, Family::V4) => "0.0.0.0/0".to_owned(),
                    (_, Family::V6) => "::/0".to_owned(),
                };
                match rule.family() {
                    Family::V4 => permission.ip_ranges.push(OutRange {
                        cidr_ip: cidr,
                        description,
                    }),
                    Family::V6 => permission.ipv6_ranges.push(OutRange6 {
                        cidr_ipv6: cidr,
                        description,
                    }),
                }
            }
            Remote::Group(id) | Remote::AddressGroup(id) => {
                let set = matches!(rule.remote(), Remote::AddressGroup(_));
                if let Some(first) = names.get(&(set, id.as_str())) {
                    // The other family's rule of the same peer: written once.
                    if *first != description {
                        report.rule(gi, rule.origin()).push(
                            Field::Description,
                            Kind::Metadata,
                            description.map(str::to_owned),
                            "the IPv4 and IPv6 rules of this peer are one entry on AWS, which \
                             keeps the first rule's description",
                        );
                    }
                    continue;
                }
                names.insert((set, id.as_str()), description);
                if set {
                    permission.prefix_list_ids.push(OutPrefixList {
                        prefix_list_id: id,
                        description,
                    });
                } else {
                    let (user_id, group_id) = match id.split_once('/') {
                        Some((account, group)) => (Some(account), group),
                        None => (None, id.as_str()),
                    };
                    permission.user_id_group_pairs.push(OutPair {
                        user_id,
                        group_id,
                        description,
                    });
                }
            }
        }
    }
    Ok(out)
}

/// A permission for `rule`'s protocol, ports and ICMP match, without peers.
fn empty<'a>(rule: &Rule) -> Result<OutPermission<'a>, Error> {
    let port = |p: u16| i32::from(p);
    let icmp_byte = |b: Option<u8>| b.map_or(-1, i32::from);
    let (ip_protocol, from_port, to_port) = match rule.protocol() {
        Protocol::Any => ("-1".to_owned(), None, None),
        p @ (Protocol::TCP | Protocol::UDP) => {
            let (from, to) = match rule.ports().ranges() {
                _ if rule.ports().is_any() => (0, 65535),
                [r] => (port(r.from()), port(r.to())),
                _ => {
                    return Err(Error::Internal(
                        "several port ranges reached the AWS EC2 exporter".into(),
                    ));
                }
            };
            let name = if p == Protocol::TCP { "tcp" } else { "udp" };
            (name.to_owned(), Some(from), Some(to))
        }
        p @ (Protocol::ICMP | Protocol::ICMPV6) => {
            let (t, c) = match rule.icmp() {
                Icmp::Type(t) => (Some(t), None),
                Icmp::TypeCode(t, c) => (Some(t), Some(c)),
                _ => (None, None),
            };
            let name = if p == Protocol::ICMP {
                "icmp"
            } else {
                "icmpv6"
            };
            (name.to_owned(), Some(icmp_byte(t)), Some(icmp_byte(c)))
        }
        Protocol::Number(n) => {
            if !rule.ports().is_any() {
                return Err(Error::Internal(format!(
                    "ports on protocol {n} reached the AWS EC2 exporter"
                )));
            }
            (n.to_string(), None, None)
        }
    };
    Ok(OutPermission {
        ip_protocol,
        from_port,
        to_port,
        ip_ranges: Vec::new(),
        ipv6_ranges: Vec::new(),
        user_id_group_pairs: Vec::new(),
        prefix_list_ids: Vec::new(),
    })
}
