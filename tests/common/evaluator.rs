//! An independent evaluator of canonical groups on concrete packets (it does not use
//! `sgconv::semantics`), with generated groups and boundary-biased packet sampling.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::TestRng;
use sgconv::ProviderId;
use sgconv::model::{
    Action, Direction, Document, Evaluation, Family, Icmp, PortRange, PortSet, Protocol, Remote,
    Rule, RuleSpec, SecurityGroup,
};
use sgconv::semantics::{LabelKind, PacketBox};

// ---------------------------------------------------------------------------------------
// The independent evaluator

/// One concrete packet, with the groups its remote address belongs to.
#[derive(Debug, Clone)]
pub struct Packet {
    pub direction: Direction,
    pub family: Family,
    pub protocol: u8,
    pub port: u16,
    pub icmp_type: u8,
    pub icmp_code: u8,
    pub address: u128,
    /// (is an address group, id)
    pub members: BTreeSet<(bool, String)>,
}

pub fn net_contains(net: &ipnet::IpNet, a: u128) -> bool {
    match net {
        ipnet::IpNet::V4(n) => {
            u32::try_from(a).is_ok_and(|a| n.contains(&std::net::Ipv4Addr::from(a)))
        }
        ipnet::IpNet::V6(n) => n.contains(&std::net::Ipv6Addr::from(a)),
    }
}

pub fn matches(rule: &Rule, p: &Packet) -> bool {
    if !rule.enabled() || rule.direction() != p.direction || rule.family() != p.family {
        return false;
    }
    let proto_ok = match rule.protocol() {
        Protocol::Any => true,
        Protocol::Number(n) => n == p.protocol,
    };
    let ports_ok = !rule.protocol().has_ports() || rule.ports().contains(p.port);
    let icmp_ok = !rule.protocol().is_icmp()
        || match rule.icmp() {
            Icmp::Any => true,
            Icmp::Type(t) => t == p.icmp_type,
            Icmp::TypeCode(t, c) => t == p.icmp_type && c == p.icmp_code,
        };
    let remote_ok = match rule.remote() {
        Remote::Any => true,
        Remote::Cidr(net) => net_contains(net, p.address),
        Remote::Group(id) => p.members.contains(&(false, id.clone())),
        Remote::AddressGroup(id) => p.members.contains(&(true, id.clone())),
        other => panic!("the evaluator does not know the remote {other:?}"),
    };
    proto_ok && ports_ok && icmp_ok && remote_ok
}

/// Whether `group` lets `p` through.
pub fn allows(group: &SecurityGroup, p: &Packet) -> bool {
    match group.evaluation {
        Evaluation::AllowOnly => group
            .rules
            .iter()
            .any(|r| r.action() == Action::Allow && matches(r, p)),
        Evaluation::Priority | Evaluation::FirstMatch => {
            let mut rules: Vec<&Rule> = group.rules.iter().collect();
            if group.evaluation == Evaluation::Priority {
                rules.sort_by_key(|r| {
                    (
                        r.priority().unwrap_or(u16::MAX),
                        r.action() == Action::Allow,
                    )
                });
            }
            match rules.into_iter().find(|r| matches(r, p)) {
                Some(r) => r.action() == Action::Allow,
                None => group.default_action(p.direction) == Action::Allow,
            }
        }
        other => panic!("the evaluator does not know the evaluation {other:?}"),
    }
}

/// Whether a reported box holds the packet.
pub fn in_box(b: &PacketBox, p: &Packet) -> bool {
    b.direction == p.direction
        && b.family == p.family
        && b.protocols.contains(p.protocol)
        && b.ports.contains(p.port)
        && b.icmp_type.contains(p.icmp_type)
        && b.icmp_code.contains(p.icmp_code)
        && b.addresses.contains(p.address)
        && b.labels.iter().all(|(l, m)| {
            let key = (l.kind == LabelKind::AddressGroup, l.id.clone());
            p.members.contains(&key) == *m
        })
}

// ---------------------------------------------------------------------------------------
// Generated groups

pub const V4_NETS: &[&str] = &["10.0.0.0/8", "10.1.0.0/16", "192.168.1.0/24", "10.1.2.3/32"];
pub const V6_NETS: &[&str] = &["2001:db8::/32", "2001:db8:1::/48", "fe80::/10"];
pub const GROUPS: &[&str] = &["g1", "g2"];
pub const ADDRESS_GROUPS: &[&str] = &["a1"];
pub const PORTS: &[(u64, u64)] = &[(22, 22), (80, 80), (20, 30), (1000, 2000), (1, 1024)];

pub fn arb_rule(evaluation: Evaluation) -> impl Strategy<Value = Rule> {
    (
        any::<bool>(),
        any::<bool>(),
        0..7usize,
        proptest::collection::vec(0..PORTS.len(), 0..3),
        0..4usize,
        0..10usize,
        0..4u8,
        1..5u16,
        0..12u8,
    )
        .prop_map(
            move |(ingress, v6, proto, ports, icmp, remote, action, priority, enabled)| {
                let family = if v6 { Family::V6 } else { Family::V4 };
                let direction = if ingress {
                    Direction::Ingress
                } else {
                    Direction::Egress
                };
                let mut spec = RuleSpec::new(direction, family);
                spec.protocol = match proto {
                    0 => Protocol::Any,
                    1 => Protocol::TCP,
                    2 => Protocol::UDP,
                    3 if v6 => Protocol::ICMPV6,
                    3 => Protocol::ICMP,
                    4 => Protocol::Number(47),
                    5 => Protocol::Number(94),
                    _ => Protocol::TCP,
                };
                if spec.protocol.has_ports() && !ports.is_empty() {
                    spec.ports = PortSet::from_ranges(
                        ports
                            .iter()
                            .map(|&i| PortRange::new(PORTS[i].0, PORTS[i].1).expect("port")),
                    );
                }
                if spec.protocol.is_icmp() {
                    spec.icmp = match icmp {
                        0 => Icmp::Any,
                        1 => Icmp::Type(8),
                        2 => Icmp::TypeCode(8, 0),
                        _ => Icmp::Type(3),
                    };
                }
                spec.remote = match remote {
                    0..=2 => Remote::Any,
                    3..=5 => {
                        let nets = if v6 { V6_NETS } else { V4_NETS };
                        Remote::Cidr(nets[remote % nets.len()].parse().expect("net"))
                    }
                    6 | 7 => Remote::Group(GROUPS[remote % 2].into()),
                    8 => Remote::AddressGroup(ADDRESS_GROUPS[0].into()),
                    _ => Remote::Any,
                };
                if evaluation != Evaluation::AllowOnly && action < 2 {
                    spec.action = Action::Deny;
                }
                if evaluation == Evaluation::Priority {
                    spec.priority = Some(priority);
                }
                spec.enabled = enabled != 0;
                Rule::new(spec).expect("generated rule is valid")
            },
        )
}

pub fn arb_group() -> impl Strategy<Value = SecurityGroup> {
    prop_oneof![
        Just(Evaluation::AllowOnly),
        Just(Evaluation::Priority),
        Just(Evaluation::FirstMatch)
    ]
    .prop_flat_map(|evaluation| {
        (
            proptest::collection::vec(arb_rule(evaluation), 0..8),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(move |(rules, accept_in, accept_out)| {
                let mut g = SecurityGroup::empty();
                g.evaluation = evaluation;
                if evaluation != Evaluation::AllowOnly {
                    g.default_inbound = if accept_in {
                        Action::Allow
                    } else {
                        Action::Deny
                    };
                    g.default_outbound = if accept_out {
                        Action::Allow
                    } else {
                        Action::Deny
                    };
                }
                g.rules = rules;
                g
            })
    })
}

// ---------------------------------------------------------------------------------------
// Sampling

pub fn max_address(family: Family) -> u128 {
    match family {
        Family::V4 => u128::from(u32::MAX),
        Family::V6 => u128::MAX,
    }
}

/// Interesting values of every dimension, taken from both groups' rules.
pub struct Candidates {
    pub ports: Vec<u16>,
    pub addresses: [Vec<u128>; 2],
    pub protocols: Vec<u8>,
    pub icmp: Vec<u8>,
}

pub fn candidates(groups: &[&SecurityGroup]) -> Candidates {
    let mut c = Candidates {
        ports: vec![0, 1, 2, 21, 22, 23, 65534, 65535],
        addresses: [
            vec![0, 1, max_address(Family::V4)],
            vec![0, 1, max_address(Family::V6)],
        ],
        protocols: vec![0, 1, 2, 5, 6, 7, 16, 17, 18, 47, 58, 94, 132, 255],
        icmp: vec![0, 1, 3, 7, 8, 9, 255],
    };
    for g in groups {
        for r in &g.rules {
            for range in r.ports().ranges() {
                for p in [
                    u32::from(range.from()) - 1,
                    u32::from(range.from()),
                    u32::from(range.to()),
                    u32::from(range.to()) + 1,
                ] {
                    if let Ok(p) = u16::try_from(p) {
                        c.ports.push(p);
                    }
                }
            }
            if let Remote::Cidr(net) = r.remote() {
                let (slot, lo, hi) = match net {
                    ipnet::IpNet::V4(n) => (
                        0,
                        u128::from(u32::from(n.network())),
                        u128::from(u32::from(n.broadcast())),
                    ),
                    ipnet::IpNet::V6(n) => (1, u128::from(n.network()), u128::from(n.broadcast())),
                };
                let list = &mut c.addresses[slot];
                list.extend([lo, hi, lo.wrapping_sub(1), hi.wrapping_add(1)]);
                list.retain(|a| *a <= max_address(if slot == 0 { Family::V4 } else { Family::V6 }));
            }
            if let Protocol::Number(n) = r.protocol() {
                c.protocols
                    .extend([n.wrapping_sub(1), n, n.wrapping_add(1)]);
            }
        }
    }
    c
}

pub fn sample(c: &Candidates, rng: &mut TestRng) -> Packet {
    let pick = |v: &[u8], rng: &mut TestRng| -> u8 {
        if rng.random_bool(0.2) {
            rng.random()
        } else {
            v[rng.random_range(0..v.len())]
        }
    };
    let family = if rng.random_bool(0.5) {
        Family::V4
    } else {
        Family::V6
    };
    let mut protocol = pick(&c.protocols, rng);
    // The model has no ICMPv6 over IPv4 or ICMP over IPv6 (a "don't care" set).
    if (family, protocol) == (Family::V4, 58) {
        protocol = 1;
    }
    if (family, protocol) == (Family::V6, 1) {
        protocol = 58;
    }
    let slot = usize::from(family == Family::V6);
    let addresses = &c.addresses[slot];
    let address = if rng.random_bool(0.2) {
        rng.random::<u128>() & max_address(family)
    } else {
        addresses[rng.random_range(0..addresses.len())]
    };
    let port = if rng.random_bool(0.2) {
        rng.random_range(1..=65535)
    } else {
        c.ports[rng.random_range(0..c.ports.len())]
    };
    let mut members = BTreeSet::new();
    for g in GROUPS {
        if rng.random_bool(0.5) {
            members.insert((false, (*g).to_string()));
        }
    }
    for g in ADDRESS_GROUPS {
        if rng.random_bool(0.5) {
            members.insert((true, (*g).to_string()));
        }
    }
    Packet {
        direction: if rng.random_bool(0.5) {
            Direction::Ingress
        } else {
            Direction::Egress
        },
        family,
        protocol,
        port,
        icmp_type: pick(&c.icmp, rng),
        icmp_code: pick(&c.icmp, rng),
        address,
        members,
    }
}

pub fn canonical_text(group: &SecurityGroup) -> String {
    let doc = Document {
        groups: vec![group.clone()],
    };
    sgconv::convert_document(&doc, ProviderId::Canonical, &sgconv::Options::default())
        .expect("a valid group")
        .output()
        .expect("canonical holds every group")
        .clone()
        .into_json()
}

/// A deterministic packet sampler for a proptest-chosen seed.
pub fn seeded_rng(seed: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&seed.wrapping_add(i as u64).to_le_bytes());
    }
    TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &bytes)
}
