//! The packets one rule matches, as boxes ([`rule_boxes`]), and what they are built from:
//! the label a remote names ([`label_of`]) and a network's address interval ([`net_span`]).

use super::boxes::{Label, LabelKind, PacketBox, Span};
use crate::model::{Icmp, Protocol, Remote, Rule};

/// The label a remote names, if it is a group or address group.
pub fn label_of(remote: &Remote) -> Option<Label> {
    match remote {
        Remote::Group(id) => Some(Label {
            kind: LabelKind::Group,
            id: id.clone(),
        }),
        Remote::AddressGroup(id) => Some(Label {
            kind: LabelKind::AddressGroup,
            id: id.clone(),
        }),
        Remote::Any | Remote::Cidr(_) => None,
    }
}

/// The packets a rule matches, as disjoint boxes (one per port range); none when disabled.
pub fn rule_boxes(rule: &Rule) -> Vec<PacketBox> {
    let mut out = Vec::new();
    for_each_rule_box(rule, |b| out.push(b));
    out
}

/// [`rule_boxes`] without the list: each box is handed to `f`, in the same order.
pub(super) fn for_each_rule_box(rule: &Rule, mut f: impl FnMut(PacketBox)) {
    if !rule.enabled() {
        return;
    }
    let mut base = PacketBox::universe(rule.direction(), rule.family());
    if let Protocol::Number(p) = rule.protocol() {
        base.protocols = Span::one(p);
    }
    match rule.icmp() {
        Icmp::Any => {}
        Icmp::Type(t) => base.icmp_type = Span::one(t),
        Icmp::TypeCode(t, c) => {
            base.icmp_type = Span::one(t);
            base.icmp_code = Span::one(c);
        }
    }
    match rule.remote() {
        Remote::Any => {}
        Remote::Cidr(net) => base.addresses = net_span(net),
        remote => {
            if let Some(label) = label_of(remote) {
                base.labels.push((label, true));
            }
        }
    }
    if rule.ports().is_any() {
        f(base);
        return;
    }
    // The last range takes `base` itself (one clone fewer, and none for a single range).
    let Some((last, rest)) = rule.ports().ranges().split_last() else {
        return;
    };
    for r in rest {
        f(PacketBox {
            ports: Span::new(r.from(), r.to()),
            ..base.clone()
        });
    }
    base.ports = Span::new(last.from(), last.to());
    f(base);
}

/// A network as an address interval.
pub fn net_span(net: &ipnet::IpNet) -> Span<u128> {
    match net {
        ipnet::IpNet::V4(n) => Span::new(
            u128::from(u32::from(n.network())),
            u128::from(u32::from(n.broadcast())),
        ),
        ipnet::IpNet::V6(n) => Span::new(u128::from(n.network()), u128::from(n.broadcast())),
    }
}
