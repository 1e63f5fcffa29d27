//! proptest strategies for canonical rules and groups, valid by construction.

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use proptest::prelude::*;
use sgconv::model::*;

/// What generated rules may use.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deny rules, priorities and disabled rules.
    pub ordered: bool,
    /// Protocols outside Gcore's names, address groups, several port ranges.
    pub exotic: bool,
}

pub fn family() -> impl Strategy<Value = Family> {
    prop_oneof![Just(Family::V4), Just(Family::V6)]
}

pub fn cidr(family: Family) -> BoxedStrategy<Remote> {
    match family {
        Family::V4 => (any::<u32>(), 1u8..=32)
            .prop_map(|(a, p)| {
                Remote::Cidr(IpNet::V4(
                    Ipv4Net::new(Ipv4Addr::from(a), p)
                        .expect("prefix ok")
                        .trunc(),
                ))
            })
            .boxed(),
        Family::V6 => (any::<u128>(), 1u8..=128)
            .prop_map(|(a, p)| {
                Remote::Cidr(IpNet::V6(
                    Ipv6Net::new(Ipv6Addr::from(a), p)
                        .expect("prefix ok")
                        .trunc(),
                ))
            })
            .boxed(),
    }
}

fn ports(exotic: bool) -> BoxedStrategy<PortSet> {
    let range = (1u64..=65535, 0u64..2000)
        .prop_map(|(a, len)| PortRange::new(a, (a + len).min(65535)).expect("valid"));
    let count = if exotic { 1..4usize } else { 1..2usize };
    prop_oneof![
        1 => Just(PortSet::any()),
        3 => proptest::collection::vec(range, count).prop_map(PortSet::from_ranges),
    ]
    .boxed()
}

pub fn rule(limits: Limits) -> impl Strategy<Value = Rule> {
    (family(), any::<bool>()).prop_flat_map(move |(family, ingress)| {
        let icmp = if family == Family::V4 {
            Protocol::ICMP
        } else {
            Protocol::ICMPV6
        };
        let mut protocols: Vec<BoxedStrategy<Protocol>> = vec![
            Just(Protocol::Any).boxed(),
            Just(Protocol::TCP).boxed(),
            Just(Protocol::UDP).boxed(),
            Just(icmp).boxed(),
            Just(Protocol::Number(47)).boxed(),
        ];
        if limits.exotic {
            protocols.push(
                any::<u8>()
                    .prop_filter("family-consistent", move |p| {
                        !matches!((family, *p), (Family::V4, 58) | (Family::V6, 1))
                    })
                    .prop_map(Protocol::Number)
                    .boxed(),
            );
        }
        let protocol = proptest::strategy::Union::new(protocols);
        let remote = {
            let mut choices = vec![
                Just(Remote::Any).boxed(),
                cidr(family),
                (0u8..4)
                    .prop_map(|g| Remote::Group(format!("sg-{g}")))
                    .boxed(),
            ];
            if limits.exotic {
                choices.push(
                    (0u8..3)
                        .prop_map(|g| Remote::AddressGroup(format!("ag-{g}")))
                        .boxed(),
                );
            }
            proptest::strategy::Union::new(choices)
        };
        (
            protocol,
            ports(limits.exotic),
            prop_oneof![
                Just(Icmp::Any),
                any::<u8>().prop_map(Icmp::Type),
                (any::<u8>(), any::<u8>()).prop_map(|(t, c)| Icmp::TypeCode(t, c))
            ],
            remote,
            any::<bool>(),
            proptest::option::of(1u16..=100),
            any::<bool>(),
            proptest::option::of(prop_oneof![
                Just("web".to_string()),
                Just("ssh from office".to_string())
            ]),
        )
            .prop_map(
                move |(protocol, ports, icmp, remote, deny, priority, disabled, description)| {
                    let mut spec = RuleSpec::new(
                        if ingress {
                            Direction::Ingress
                        } else {
                            Direction::Egress
                        },
                        family,
                    );
                    spec.protocol = protocol;
                    spec.ports = if protocol.has_ports() {
                        ports
                    } else {
                        PortSet::any()
                    };
                    spec.icmp = if protocol.is_icmp() { icmp } else { Icmp::Any };
                    spec.remote = remote;
                    spec.description = description;
                    if limits.ordered {
                        spec.action = if deny { Action::Deny } else { Action::Allow };
                        spec.priority = priority;
                        spec.enabled = !disabled;
                    }
                    Rule::new(spec).expect("generated rules are valid")
                },
            )
    })
}

/// A group of generated rules; ordered groups get an evaluation with order and random defaults.
pub fn group(limits: Limits, max_rules: usize) -> impl Strategy<Value = SecurityGroup> {
    (
        proptest::collection::vec(rule(limits), 0..max_rules),
        prop_oneof![Just(Evaluation::Priority), Just(Evaluation::FirstMatch)],
        any::<(bool, bool, bool)>(),
        proptest::option::of("[a-z][a-z0-9-]{2,12}"),
    )
        .prop_map(
            move |(rules, ordered_eval, (accept_in, accept_out, stateless), name)| {
                let mut g = SecurityGroup::empty();
                g.name = name;
                g.rules = rules
                    .into_iter()
                    .enumerate()
                    .map(|(i, mut r)| {
                        r.set_origin(Origin::new(i, Some(format!("r-{i}").into())));
                        r
                    })
                    .collect();
                if limits.ordered {
                    g.evaluation = ordered_eval;
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
                    g.stateful = !stateless;
                }
                g
            },
        )
}
