//! The semantic engine checked against an independent evaluator.
//!
//! `Packet` and `allows` below evaluate a canonical group directly on one concrete packet
//! (they do not use `sgconv::semantics`). Generated groups are converted to each target;
//! on sampled packets (every range and CIDR boundary ±1, random values, random group
//! memberships) the source and the re-imported result must agree wherever the verdict is
//! exact, and every disagreement must lie in a reported difference of the right kind. Every
//! registered provider is a target.

mod common;

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::TestRng;
use sgconv::model::{
    Action, Direction, Document, Evaluation, Family, Icmp, PortRange, PortSet, Protocol, Remote,
    Rule, RuleSpec, SecurityGroup,
};
use sgconv::report::Verdict;
use sgconv::semantics::{LabelKind, PacketBox};
use sgconv::{Options, ProviderId};

// ---------------------------------------------------------------------------------------
// The independent evaluator

/// One concrete packet, with the groups its remote address belongs to.
#[derive(Debug, Clone)]
struct Packet {
    direction: Direction,
    family: Family,
    protocol: u8,
    port: u16,
    icmp_type: u8,
    icmp_code: u8,
    address: u128,
    /// (is an address group, id)
    members: BTreeSet<(bool, String)>,
}

fn net_contains(net: &ipnet::IpNet, a: u128) -> bool {
    match net {
        ipnet::IpNet::V4(n) => {
            u32::try_from(a).is_ok_and(|a| n.contains(&std::net::Ipv4Addr::from(a)))
        }
        ipnet::IpNet::V6(n) => n.contains(&std::net::Ipv6Addr::from(a)),
    }
}

fn matches(rule: &Rule, p: &Packet) -> bool {
    if !rule.enabled() || rule.direction() != p.direction || rule.family() != p.family {
        return false;
    }
    let proto_ok = match rule.protocol() {
        Protocol::Any => true,
        Protocol::Number(n) => n == p.protocol,
    };
    let ports_ok = !rule.protocol().has_ports()
        || rule
            .ports()
            .ranges()
            .iter()
            .any(|r| r.from() <= p.port && p.port <= r.to());
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
    };
    proto_ok && ports_ok && icmp_ok && remote_ok
}

/// Whether `group` lets `p` through.
fn allows(group: &SecurityGroup, p: &Packet) -> bool {
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
    }
}

/// Whether a reported box holds the packet.
fn in_box(b: &PacketBox, p: &Packet) -> bool {
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

const V4_NETS: &[&str] = &["10.0.0.0/8", "10.1.0.0/16", "192.168.1.0/24", "10.1.2.3/32"];
const V6_NETS: &[&str] = &["2001:db8::/32", "2001:db8:1::/48", "fe80::/10"];
const GROUPS: &[&str] = &["g1", "g2"];
const ADDRESS_GROUPS: &[&str] = &["a1"];
const PORTS: &[(u64, u64)] = &[(22, 22), (80, 80), (20, 30), (1000, 2000), (1, 1024)];

fn arb_rule(evaluation: Evaluation) -> impl Strategy<Value = Rule> {
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

fn arb_group() -> impl Strategy<Value = SecurityGroup> {
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
                let mut g = SecurityGroup::allow_only();
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

fn max_address(family: Family) -> u128 {
    match family {
        Family::V4 => u128::from(u32::MAX),
        Family::V6 => u128::MAX,
    }
}

/// Interesting values of every dimension, taken from both groups' rules.
struct Candidates {
    ports: Vec<u16>,
    addresses: [Vec<u128>; 2],
    protocols: Vec<u8>,
    icmp: Vec<u8>,
}

fn candidates(groups: &[&SecurityGroup]) -> Candidates {
    let mut c = Candidates {
        ports: vec![1, 2, 21, 22, 23, 65534, 65535],
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
                    if let Ok(p) = u16::try_from(p)
                        && p >= 1
                    {
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

fn sample(c: &Candidates, rng: &mut TestRng) -> Packet {
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

fn canonical_text(group: &SecurityGroup) -> String {
    let doc = Document {
        groups: vec![group.clone()],
    };
    let mut report = sgconv::Report::new(ProviderId::Canonical, ProviderId::Canonical);
    let value = ProviderId::Canonical
        .provider()
        .export(&doc, &Default::default(), &mut report)
        .expect("canonical export");
    serde_json::to_string(&value).expect("json")
}

/// Convert `group` to `to`, re-import, and check sampled packets against the verdict and the
/// reported differences. Returns the verdict (None when the conversion was refused for its
/// rule budget).
fn check(group: &SecurityGroup, to: ProviderId, rng: &mut TestRng) -> Option<Verdict> {
    let text = canonical_text(group);
    let options = Options {
        allow_widen: true,
        rule_budget: Some(20_000),
        ..Options::default()
    };
    let converted = match sgconv::convert(&text, ProviderId::Canonical, to, &options) {
        Ok(c) => c,
        Err(sgconv::Error::Refused { .. }) => return None,
        Err(e) => panic!("{to}: {e}\n{text}"),
    };
    let out = serde_json::to_string(&converted.output).expect("json");
    let mut scratch = sgconv::Report::new(to, to);
    let target = sgconv::import(&out, to, None, &mut scratch).expect("re-import");
    let target = &target.groups[0];
    let report = &converted.report;
    let c = candidates(&[group, target]);
    for _ in 0..400 {
        let p = sample(&c, rng);
        let (before, after) = (allows(group, &p), allows(target, &p));
        if before == after {
            continue;
        }
        let change = if before {
            Verdict::Narrowed
        } else {
            Verdict::Widened
        };
        assert_ne!(
            report.verdict,
            Verdict::Exact,
            "{to}: verdict exact but {p:?} is {}allowed before and {}allowed after\n{text}\n{out}",
            if before { "" } else { "not " },
            if after { "" } else { "not " },
        );
        assert!(
            report
                .differences
                .iter()
                .any(|d| d.change == change && in_box(&d.packet_box, &p)),
            "{to}: {p:?} ({change:?}) is in no reported difference: {:#?}\n{text}\n{out}",
            report.differences
        );
    }
    Some(report.verdict)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn conversions_agree_with_the_independent_evaluator(group in arb_group(), seed in any::<u64>()) {
        let mut rng = TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &seed_bytes(seed));
        for &to in ProviderId::ALL {
            let verdict = check(&group, to, &mut rng);
            if to == ProviderId::Canonical {
                prop_assert_eq!(verdict, Some(Verdict::Exact));
            }
            prop_assert_ne!(verdict, Some(Verdict::Widened), "{} widened", to);
        }
    }

    /// The engine's own set of a group agrees with the evaluator, through `sgconv diff`'s
    /// comparison against an empty group: every allowed packet lies in a reported box and
    /// every denied one in none.
    #[test]
    fn allowed_set_matches_the_evaluator(group in arb_group(), seed in any::<u64>()) {
        let mut rng = TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &seed_bytes(seed));
        let empty = SecurityGroup::allow_only();
        let diffs = sgconv::semantics::compare(0, &group, &empty);
        let c = candidates(&[&group]);
        for _ in 0..400 {
            let p = sample(&c, &mut rng);
            let inside = diffs.iter().any(|d| in_box(&d.packet_box, &p));
            prop_assert_eq!(allows(&group, &p), inside, "{:?}", p);
        }
    }
}

fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&(seed.wrapping_add(i as u64)).to_le_bytes());
    }
    out
}

// ---------------------------------------------------------------------------------------
// Snapshots

fn snapshot(name: &str, yaml: &str, to: ProviderId) {
    let value = common::outcome(yaml, ProviderId::Canonical, to, &Options::default());
    common::settings().bind(|| insta::assert_yaml_snapshot!(format!("semantics@{name}"), value));
}

#[test]
fn deny_ssh_before_allow_all_priority_to_gcore() {
    snapshot(
        "priority_deny_ssh_allow_all__gcore-v2",
        "sgconv: 1
groups:
- evaluation: priority
  default_inbound: deny
  default_outbound: deny
  stateful: true
  rules:
  - {direction: ingress, family: ipv4, protocol: tcp, ports: ['22'], action: deny, priority: 1}
  - {direction: ingress, family: ipv4, priority: 100}
",
        ProviderId::GcoreV2,
    );
}

#[test]
fn first_match_default_accept_two_drops_to_gcore() {
    snapshot(
        "first_match_accept_two_drops__gcore-v1",
        "sgconv: 1
groups:
- evaluation: first_match
  default_inbound: allow
  default_outbound: deny
  stateful: true
  rules:
  - {direction: ingress, family: ipv4, protocol: tcp, ports: ['22'], remote: {cidr: 203.0.113.0/24}, action: deny}
  - {direction: ingress, family: ipv6, protocol: udp, ports: ['53'], action: deny}
  - {direction: egress, family: ipv4, protocol: tcp, ports: ['443']}
",
        ProviderId::GcoreV1,
    );
}

#[test]
fn mixed_ipv4_ipv6_exclusions_to_gcore() {
    snapshot(
        "mixed_family_exclusions__gcore-v2",
        "sgconv: 1
groups:
- evaluation: first_match
  default_inbound: deny
  default_outbound: deny
  stateful: true
  rules:
  - {direction: ingress, family: ipv4, protocol: tcp, ports: ['443'], remote: {cidr: 10.0.0.0/9}, action: deny}
  - {direction: ingress, family: ipv6, protocol: tcp, ports: ['443'], remote: {cidr: '2001:db8::/33'}, action: deny}
  - {direction: ingress, family: ipv4, protocol: tcp, ports: ['443'], remote: {cidr: 10.0.0.0/8}}
  - {direction: ingress, family: ipv6, protocol: tcp, ports: ['443'], remote: {cidr: '2001:db8::/32'}}
",
        ProviderId::GcoreV2,
    );
}

#[test]
fn deny_on_a_remote_group_before_allow_all_narrows() {
    snapshot(
        "deny_group_before_allow_all__gcore-v2",
        "sgconv: 1
groups:
- evaluation: priority
  default_inbound: deny
  default_outbound: deny
  stateful: true
  rules:
  - {direction: ingress, family: ipv4, protocol: tcp, ports: ['22'], remote: {group: quarantine}, action: deny, priority: 1}
  - {direction: ingress, family: ipv4, protocol: tcp, priority: 2}
  - {direction: ingress, family: ipv4, protocol: udp, remote: {group: quarantine}, priority: 3}
",
        ProviderId::GcoreV2,
    );
}

#[test]
fn budget_refuses_large_lowering() {
    let yaml = "sgconv: 1
groups:
- evaluation: first_match
  default_inbound: allow
  default_outbound: deny
  stateful: true
  rules:
  - {direction: ingress, family: ipv4, protocol: tcp, ports: ['22'], action: deny}
";
    let options = Options {
        rule_budget: Some(3),
        ..Options::default()
    };
    match sgconv::convert(yaml, ProviderId::Canonical, ProviderId::GcoreV2, &options) {
        Err(e @ sgconv::Error::Refused { .. }) => {
            assert!(e.to_string().contains("more than 3 rules"), "{e}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}
