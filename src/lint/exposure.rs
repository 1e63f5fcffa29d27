//! Exposure: sensitive packets a group allows inbound from public addresses, judged on the
//! group's allowed set ([`semantics::allowed`]: order, priorities, deny rules and default
//! policies applied).

use std::borrow::Cow;

use super::{Finding, FindingKind, LintConfig, MAX_RELATED, Severity, origins, rule_list};
use crate::model::{Direction, Family, SecurityGroup};
use crate::semantics::{self, ALL_ICMP, ALL_PORTS, PacketBox, Piece, Source, Span};

/// A sensitive service: inbound packets to any of `ports` over `protocol` from a public
/// address are a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PortCheck {
    /// The check's id (`exposed-ssh`).
    pub id: Cow<'static, str>,
    /// The service, for people (`SSH`).
    pub name: Cow<'static, str>,
    /// The IP protocol number.
    pub protocol: u8,
    /// The ports.
    pub ports: Vec<u16>,
    /// How bad an exposure is.
    pub severity: Severity,
    /// The Prowler check of the same service.
    pub alias: Option<&'static str>,
}

/// The most ports one [`PortCheck::parse`] range may hold (each port is looked up).
pub const MAX_PORTS_PER_CHECK: usize = 1024;

impl PortCheck {
    /// A check of one's own from `PROTOCOL/PORT` or `PROTOCOL/FROM-TO` (`tcp/8080`,
    /// `udp/53`, `tcp/9000-9100`; a protocol that has ports, by name or number), with id
    /// `exposed-tcp-8080` and severity high.
    ///
    /// ```
    /// use sgconv::lint::PortCheck;
    /// let check = PortCheck::parse("udp/53").unwrap();
    /// assert_eq!((check.id.as_ref(), check.protocol, check.ports.as_slice()), ("exposed-udp-53", 17, &[53][..]));
    /// assert!(PortCheck::parse("gre/1").is_err());
    /// ```
    pub fn parse(spec: &str) -> Result<PortCheck, String> {
        let expected = "expected PROTOCOL/PORT or PROTOCOL/FROM-TO, like tcp/8080 or udp/5000-5010";
        let Some((protocol, ports)) = spec.split_once('/') else {
            return Err(format!("{spec:?}: {expected}"));
        };
        let number = match crate::model::Protocol::parse(protocol) {
            Some(p @ crate::model::Protocol::Number(n)) if p.has_ports() => n,
            _ => {
                return Err(format!(
                    "{spec:?}: {protocol:?} is not a protocol with ports (tcp, udp, dccp, sctp, \
                     udplite, or their numbers)"
                ));
            }
        };
        let range: crate::model::PortRange = ports
            .parse()
            .map_err(|e| format!("{spec:?}: {e}; {expected}"))?;
        let count = usize::from(range.to()).saturating_sub(usize::from(range.from()));
        if count >= MAX_PORTS_PER_CHECK {
            return Err(format!(
                "{spec:?}: more than {MAX_PORTS_PER_CHECK} ports in one check (each is looked \
                 up); split the range"
            ));
        }
        // The table's name, however the protocol was written (`6` is `tcp`).
        let protocol = crate::model::Protocol::Number(number)
            .name()
            .map_or_else(|| number.to_string(), str::to_owned);
        Ok(PortCheck::new(
            format!("exposed-{protocol}-{range}"),
            "Sensitive port",
            number,
            (range.from()..=range.to()).collect(),
        ))
    }

    /// A check of one's own: `id`, a service name, a protocol and ports; severity high.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        protocol: u8,
        ports: Vec<u16>,
    ) -> PortCheck {
        PortCheck {
            id: Cow::Owned(id.into()),
            name: Cow::Owned(name.into()),
            protocol,
            ports,
            severity: Severity::High,
            alias: None,
        }
    }
}

const TCP: u8 = 6;
const UDP: u8 = 17;

/// The services Prowler checks on security groups (`ec2_securitygroup_allow_ingress_from_
/// internet_to_*`), all TCP, severity high.
pub fn default_checks() -> Vec<PortCheck> {
    const LIST: [(&str, &str, &[u16], &str); 13] = [
        (
            "exposed-ssh",
            "SSH",
            &[22],
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
        ),
        (
            "exposed-rdp",
            "RDP",
            &[3389],
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389",
        ),
        (
            "exposed-telnet",
            "telnet",
            &[23],
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_telnet_23",
        ),
        (
            "exposed-ftp",
            "FTP",
            &[20, 21],
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_ftp_port_20_21",
        ),
        (
            "exposed-mysql",
            "MySQL",
            &[3306],
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_mysql_3306",
        ),
        (
            "exposed-postgres",
            "PostgreSQL",
            &[5432],
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_postgres_5432",
        ),
        (
            "exposed-oracle",
            "Oracle",
            &[1521, 2483],
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_oracle_1521_2483",
        ),
        (
            "exposed-sql-server",
            "SQL Server",
            &[1433, 1434],
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_sql_server_1433_1434",
        ),
        (
            "exposed-mongodb",
            "MongoDB",
            &[27017, 27018],
            "ec2_securitygroup_allow_ingress_from_internet_to_port_mongodb_27017_27018",
        ),
        (
            "exposed-cassandra",
            "Cassandra",
            &[7199, 9160, 8888],
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_cassandra_7199_9160_8888",
        ),
        (
            "exposed-redis",
            "Redis",
            &[6379],
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_redis_6379",
        ),
        (
            "exposed-memcached",
            "Memcached",
            &[11211],
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_memcached_11211",
        ),
        (
            "exposed-kafka",
            "Kafka",
            &[9092],
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_kafka_9092",
        ),
    ];
    LIST.into_iter()
        .map(|(id, name, ports, alias)| PortCheck {
            id: Cow::Borrowed(id),
            name: Cow::Borrowed(name),
            protocol: TCP,
            ports: ports.to_vec(),
            severity: Severity::High,
            alias: Some(alias),
        })
        .collect()
}

/// Addresses that are not the internet's: RFC 1918, loopback and link-local for IPv4;
/// RFC 4193, loopback and link-local for IPv6.
fn private(family: Family) -> Vec<ipnet::IpNet> {
    let nets: &[&str] = match family {
        Family::V4 => &[
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "127.0.0.0/8",
            "169.254.0.0/16",
        ],
        Family::V6 => &["fc00::/7", "::1/128", "fe80::/10"],
    };
    nets.iter().filter_map(|n| n.parse().ok()).collect()
}

/// The public addresses of `family`: every address but the private and trusted ones, as
/// ascending disjoint intervals.
fn public(family: Family, trusted: &[ipnet::IpNet]) -> Vec<Span<u128>> {
    let mut out_of: Vec<Span<u128>> = private(family)
        .iter()
        .chain(trusted)
        .filter(|n| Family::of_net(n) == family)
        .map(semantics::net_span)
        .collect();
    out_of.sort_unstable();
    let all = semantics::all_addresses(family);
    let mut spans = Vec::new();
    let mut from = Some(all.lo);
    for s in merge(out_of) {
        let Some(f) = from else { break };
        if s.lo > f {
            spans.push(Span::new(f, s.lo.saturating_sub(1)));
        }
        from = s.hi.checked_add(1).map(|n| n.max(f));
    }
    if let Some(f) = from
        && f <= all.hi
    {
        spans.push(Span::new(f, all.hi));
    }
    spans
}

/// Sorted intervals merged where they overlap or touch.
fn merge(sorted: Vec<Span<u128>>) -> Vec<Span<u128>> {
    let mut out: Vec<Span<u128>> = Vec::new();
    for s in sorted {
        match out.last_mut() {
            Some(last) if s.lo <= last.hi.saturating_add(1) => last.hi = last.hi.max(s.hi),
            _ => out.push(s),
        }
    }
    out
}

/// How many public addresses `span` holds (saturating).
fn public_size(span: Span<u128>, public: &[Span<u128>]) -> u128 {
    public
        .iter()
        .filter(|p| p.overlaps(span))
        .map(|p| {
            p.hi.min(span.hi)
                .saturating_sub(p.lo.max(span.lo))
                .saturating_add(1)
        })
        .fold(0u128, u128::saturating_add)
}

/// Of merged address intervals, the one with the most public addresses (none without any).
fn widest(spans: Vec<Span<u128>>, public: &[Span<u128>]) -> Option<Span<u128>> {
    spans
        .into_iter()
        .map(|s| (public_size(s, public), s))
        .filter(|(n, _)| *n > 0)
        .max_by_key(|(n, s)| (*n, std::cmp::Reverse(s.lo)))
        .map(|(_, s)| s)
}

/// Exposure findings of group `gi`.
pub(super) fn check(gi: usize, group: &SecurityGroup, config: &LintConfig) -> Vec<Finding> {
    let mut out = Vec::new();
    // Packets from a public address that is in no remote group: rules naming a group match
    // none of them, so the set is the one of the group without those rules (and computing
    // it never cuts "not a member of G" pieces, which a list of many group rules multiplies).
    // Outbound rules never decide an inbound packet: they are left out too.
    let kept: Vec<usize> = (0..group.rules.len())
        .filter(|i| {
            group.rules.get(*i).is_some_and(|r| {
                r.direction() == Direction::Ingress && semantics::label_of(r.remote()).is_none()
            })
        })
        .collect();
    let pieces = if kept.len() == group.rules.len() {
        semantics::allowed(group)
    } else {
        let plain = kept.iter().filter_map(|i| group.rules.get(*i)).cloned();
        semantics::allowed(&group.with_rules(plain.collect()))
    };
    for family in Family::BOTH {
        // Inbound pieces of the family from addresses (a remote group is not the internet).
        let mine: Vec<&Piece> = pieces
            .iter()
            .filter(|p| {
                p.packets.direction == Direction::Ingress
                    && p.packets.family == family
                    && p.packets.labels.iter().all(|(_, member)| !member)
            })
            .collect();
        if mine.is_empty() {
            continue;
        }
        let public = public(family, &config.trusted);
        let mut all_tcp = false;
        if config.all_ports {
            for protocol in [TCP, UDP] {
                let Some(span) = all_ports(&mine, protocol, &public) else {
                    continue;
                };
                all_tcp = protocol == TCP;
                let witness = query(family, protocol, ALL_PORTS, span);
                let mut f = Finding::new(
                    "exposed-all-ports",
                    FindingKind::Exposed,
                    Severity::Critical,
                    gi,
                    String::new(),
                );
                let by = sources(&kept, group, &mine, &witness, &mut f);
                f.message = format!(
                    "every {} port is reachable from public addresses ({by})",
                    name(protocol)
                );
                f.alias = Some("ec2_securitygroup_allow_ingress_from_internet_to_all_ports");
                out.push(f.witness(witness));
                break;
            }
        }
        for check in &config.checks {
            if all_tcp && check.protocol == TCP {
                continue;
            }
            // The pieces that hold any of the check's ports (a range of many ports is then
            // looked up in these only).
            let (lo, hi) = (
                check.ports.iter().min().copied().unwrap_or(0),
                check.ports.iter().max().copied().unwrap_or(0),
            );
            let near: Vec<&Piece> = mine
                .iter()
                .filter(|p| {
                    p.packets.protocols.contains(check.protocol)
                        && p.packets.ports.overlaps(Span::new(lo, hi))
                })
                .copied()
                .collect();
            for port in &check.ports {
                let Some(span) = open_port(&near, check.protocol, *port, &public) else {
                    continue;
                };
                let witness = query(family, check.protocol, Span::one(*port), span);
                let mut f =
                    Finding::new("", FindingKind::Exposed, check.severity, gi, String::new());
                let by = sources(&kept, group, &mine, &witness, &mut f);
                f.message = format!(
                    "{} ({} {port}) is reachable from public addresses ({by})",
                    check.name,
                    name(check.protocol)
                );
                f.check = check.id.clone();
                f.alias = check.alias;
                out.push(f.witness(witness));
                break;
            }
        }
    }
    out
}

/// Inbound packets of one protocol and port span from `addresses`.
fn query(family: Family, protocol: u8, ports: Span<u16>, addresses: Span<u128>) -> PacketBox {
    PacketBox {
        direction: Direction::Ingress,
        family,
        protocols: Span::one(protocol),
        ports,
        icmp_type: ALL_ICMP,
        icmp_code: ALL_ICMP,
        addresses,
        labels: Vec::new(),
    }
}

fn name(protocol: u8) -> String {
    crate::model::Protocol::Number(protocol)
        .name()
        .map_or_else(|| format!("protocol {protocol}"), str::to_owned)
}

/// Fill `f.rules` with the rules whose pieces meet `witness` (a piece's rule is `kept[i]` of
/// the group): the first [`MAX_RELATED`], and `f.rules_total` where there are more. Say who
/// allows it.
fn sources(
    kept: &[usize],
    group: &SecurityGroup,
    pieces: &[&Piece],
    witness: &PacketBox,
    f: &mut Finding,
) -> String {
    let mut rules: Vec<usize> = Vec::new();
    let mut default = false;
    for p in pieces {
        if !p.packets.overlaps(witness) {
            continue;
        }
        match p.source {
            Source::Rule(i) => rules.extend(kept.get(i)),
            Source::Default(_) => default = true,
        }
    }
    rules.sort_unstable();
    rules.dedup();
    let total = rules.len();
    rules.truncate(MAX_RELATED);
    f.rules_total = (total > rules.len()).then_some(total);
    f.rules = origins(group, rules);
    match (f.rules.is_empty(), default) {
        (false, false) => format!("allowed by {}", rule_list(&f.rules, total)),
        (false, true) => format!(
            "allowed by {} and the inbound accept-by-default policy",
            rule_list(&f.rules, total)
        ),
        _ => "allowed by the inbound accept-by-default policy".to_owned(),
    }
}

/// The widest public address interval from which `protocol`/`port` is allowed.
fn open_port(
    pieces: &[&Piece],
    protocol: u8,
    port: u16,
    public: &[Span<u128>],
) -> Option<Span<u128>> {
    let mut hits: Vec<Span<u128>> = pieces
        .iter()
        .filter(|p| p.packets.protocols.contains(protocol) && p.packets.ports.contains(port))
        .map(|p| p.packets.addresses)
        .collect();
    hits.sort_unstable();
    widest(merge(hits), public)
}

/// The widest public address interval from which every port (1-65535) of `protocol` is
/// allowed: a sweep over addresses keeping the union of the ports allowed there.
fn all_ports(pieces: &[&Piece], protocol: u8, public: &[Span<u128>]) -> Option<Span<u128>> {
    // (address, +1 / -1, ports)
    let mut events: Vec<(u128, bool, Span<u16>)> = Vec::new();
    for p in pieces {
        let b = &p.packets;
        if !b.protocols.contains(protocol) || public_size(b.addresses, public) == 0 {
            continue;
        }
        events.push((b.addresses.lo, true, b.ports));
        if let Some(end) = b.addresses.hi.checked_add(1) {
            events.push((end, false, b.ports));
        }
    }
    if events.is_empty() {
        return None;
    }
    events.sort_unstable_by_key(|(at, add, _)| (*at, *add));
    let mut cover = Cover::new();
    // Port 0 counts as covered: "every port" means every port a service listens on.
    cover.add(Span::one(0), true);
    let mut open: Vec<Span<u128>> = Vec::new();
    let mut start: Option<u128> = None;
    let mut i = 0usize;
    while let Some(&(at, _, _)) = events.get(i) {
        while let Some(&(a, add, ports)) = events.get(i) {
            if a != at {
                break;
            }
            cover.add(ports, add);
            i = i.saturating_add(1);
        }
        match (cover.full(), start) {
            (true, None) => start = Some(at),
            (false, Some(s)) => {
                open.push(Span::new(s, at.saturating_sub(1)));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        open.push(Span::new(s, u128::MAX));
    }
    widest(open, public)
}

/// A union of port intervals with multiplicity: a segment tree over the 65,536 ports that
/// keeps, per node, how many intervals cover it whole and how many of its ports are covered.
struct Cover {
    /// (intervals covering the node whole, ports covered below it).
    nodes: Vec<(u32, u32)>,
}

const LEAVES: u32 = 1 << 16;
/// Nodes of the tree: two per leaf (node 0 unused).
const NODES: usize = 1 << 17;

impl Cover {
    fn new() -> Cover {
        Cover {
            nodes: vec![(0, 0); NODES],
        }
    }

    /// Add (or take away) one interval.
    fn add(&mut self, ports: Span<u16>, add: bool) {
        self.update(
            1,
            0,
            LEAVES - 1,
            u32::from(ports.lo),
            u32::from(ports.hi),
            add,
        );
    }

    /// Whether every port is covered.
    fn full(&self) -> bool {
        self.nodes.get(1).is_some_and(|n| n.1 == LEAVES)
    }

    fn update(&mut self, node: usize, lo: u32, hi: u32, from: u32, to: u32, add: bool) {
        if to < lo || hi < from {
            return;
        }
        let left = node.saturating_mul(2);
        if from <= lo && hi <= to {
            if let Some(n) = self.nodes.get_mut(node) {
                n.0 = if add {
                    n.0.saturating_add(1)
                } else {
                    n.0.saturating_sub(1)
                };
            }
        } else {
            let mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
            self.update(left, lo, mid, from, to, add);
            self.update(
                left.saturating_add(1),
                mid.saturating_add(1),
                hi,
                from,
                to,
                add,
            );
        }
        let below = if lo == hi {
            0
        } else {
            let l = self.nodes.get(left).map_or(0, |n| n.1);
            let r = self.nodes.get(left.saturating_add(1)).map_or(0, |n| n.1);
            l.saturating_add(r)
        };
        if let Some(n) = self.nodes.get_mut(node) {
            n.1 = if n.0 > 0 {
                hi.saturating_sub(lo).saturating_add(1)
            } else {
                below
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_v4_leaves_out_private_ranges() {
        let spans = public(Family::V4, &[]);
        let ten = semantics::net_span(&"10.0.0.0/8".parse().unwrap());
        assert!(spans.iter().all(|s| !s.overlaps(ten)));
        assert_eq!(spans.first().map(|s| s.lo), Some(0));
        assert_eq!(spans.last().map(|s| s.hi), Some(u128::from(u32::MAX)));
    }

    #[test]
    fn cover_counts_split_ranges() {
        let mut c = Cover::new();
        c.add(Span::new(0, 32767), true);
        assert!(!c.full());
        c.add(Span::new(32768, 65535), true);
        assert!(c.full());
        c.add(Span::new(0, 32767), false);
        assert!(!c.full());
    }
}
