//! The packet-set semantics of DESIGN.md §2: what a group allows, as a union of
//! [`PacketBox`]es, and the exact difference of two groups.
//!
//! Used in three places: lowering ordered groups with deny rules into allow-only targets
//! ([`crate::lower`]), verifying every conversion ([`crate::verify`]) and `sgconv diff`.
//!
//! Packets the model cannot hold are "don't care": ICMP (protocol 1) over IPv6 and ICMPv6
//! (58) over IPv4 ([`impossible`]); differences inside them are ignored.

mod boxes;
mod display;

use serde::Serialize;

pub use boxes::{
    ALL_ICMP, ALL_PORTS, ALL_PROTOCOLS, Label, LabelKind, PacketBox, Span, all_addresses, subtract,
};
pub use display::{cidrs, describe};

use crate::model::{
    Action, Direction, Document, Evaluation, Family, Icmp, Protocol, Remote, Rule, SecurityGroup,
};
use crate::report::Verdict;

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
    if !rule.enabled() {
        return Vec::new();
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
        return vec![base];
    }
    rule.ports()
        .ranges()
        .iter()
        .map(|r| PacketBox {
            ports: Span::new(r.from(), r.to()),
            ..base.clone()
        })
        .collect()
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

/// Where an allowed piece comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The allow rule at this index of the group's `rules`.
    Rule(usize),
    /// The group's accept-by-default policy for a direction.
    Default(Direction),
}

/// A piece of a group's allowed set and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// Where it comes from.
    pub source: Source,
    /// The packets.
    pub packets: PacketBox,
}

/// The rules of a group in evaluation order, with their indices: priority ascending, deny
/// before allow at equal priority (stable) for [`Evaluation::Priority`]; list order
/// otherwise. A rule without priority in a priority group goes last.
pub fn evaluation_order(group: &SecurityGroup) -> Vec<(usize, &Rule)> {
    let mut rules: Vec<(usize, &Rule)> = group.rules.iter().enumerate().collect();
    if group.evaluation == Evaluation::Priority {
        rules.sort_by_key(|(_, r)| (r.priority().unwrap_or(u16::MAX), r.action() != Action::Deny));
    }
    rules
}

/// What a group allows, as pieces that may overlap (their union is the set).
///
/// - AllowOnly: the union of the allow rules (default deny, deny rules ignored);
/// - Priority / FirstMatch: each allow rule minus the deny rules evaluated before it, plus,
///   for a direction whose default is allow, every packet minus all deny rules.
///
/// Disabled rules match nothing.
pub fn allowed(group: &SecurityGroup) -> Vec<Piece> {
    allowed_bounded(group, usize::MAX).unwrap_or_default()
}

/// [`allowed`], giving up (`None`) as soon as there are more than `max_pieces` pieces, so a
/// caller with a budget never builds a huge set.
pub fn allowed_bounded(group: &SecurityGroup, max_pieces: usize) -> Option<Vec<Piece>> {
    let mut out = Vec::new();
    if group.evaluation == Evaluation::AllowOnly {
        for (i, rule) in group.rules.iter().enumerate() {
            if rule.action() == Action::Allow {
                out.extend(rule_boxes(rule).into_iter().map(|packets| Piece {
                    source: Source::Rule(i),
                    packets,
                }));
            }
            if out.len() > max_pieces {
                return None;
            }
        }
        return Some(out);
    }
    let mut denies: Vec<PacketBox> = Vec::new();
    // Earlier allow boxes: a box inside one of them adds nothing (R_i ⊆ R_j with j < i
    // implies R_i − D_<i ⊆ R_j − D_<j), so it is skipped. Exact duplicates are found by
    // hash, containment only against boxes with every address (few, and the costly ones).
    let mut seen: std::collections::HashSet<PacketBox> = std::collections::HashSet::new();
    let mut wide: Vec<PacketBox> = Vec::new();
    for (i, rule) in evaluation_order(group) {
        let boxes = rule_boxes(rule);
        match rule.action() {
            Action::Deny => denies.extend(boxes),
            Action::Allow => {
                let fresh: Vec<PacketBox> = boxes
                    .into_iter()
                    .filter(|b| !seen.contains(b) && !wide.iter().any(|w| w.covers(b)))
                    .collect();
                for b in &fresh {
                    seen.insert(b.clone());
                    if b.addresses == all_addresses(b.family) {
                        wide.push(b.clone());
                    }
                }
                out.extend(subtract(fresh, &denies).into_iter().map(|packets| Piece {
                    source: Source::Rule(i),
                    packets,
                }))
            }
        }
        if out.len() > max_pieces {
            return None;
        }
    }
    for direction in [Direction::Ingress, Direction::Egress] {
        if group.default_action(direction) == Action::Allow {
            let all = Family::BOTH.map(|f| PacketBox::universe(direction, f));
            out.extend(subtract(all, &denies).into_iter().map(|packets| Piece {
                source: Source::Default(direction),
                packets,
            }));
        }
    }
    (out.len() <= max_pieces).then_some(out)
}

/// The boxes of packets the model cannot hold (ICMP over IPv6, ICMPv6 over IPv4), per
/// direction: ignored when comparing.
pub fn impossible() -> Vec<PacketBox> {
    let mut out = Vec::new();
    for direction in [Direction::Ingress, Direction::Egress] {
        for (family, p) in [(Family::V4, 58), (Family::V6, 1)] {
            out.push(PacketBox {
                protocols: Span::one(p),
                ..PacketBox::universe(direction, family)
            });
        }
    }
    out
}

/// One box of packets that two groups treat differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// Index of the group in the documents.
    pub group: usize,
    /// `narrowed`: allowed by the first group (the source), denied by the second (the
    /// target); `widened`: the other way round.
    pub change: Verdict,
    /// The packets, readable (`ingress tcp 22 from 0.0.0.0/0`).
    pub packets: String,
    /// The same packets as a box, for programs.
    #[serde(skip)]
    pub packet_box: PacketBox,
}

impl Difference {
    /// The packets and what happened to them, in one line.
    pub fn sentence(&self) -> String {
        match self.change {
            Verdict::Widened => format!("{} — denied before, allowed now", self.packets),
            _ => format!("{} — allowed before, denied now", self.packets),
        }
    }
}

/// `a − b`, ignoring the [`impossible`] packets, merged for reading.
pub fn set_minus(a: &[PacketBox], b: &[PacketBox]) -> Vec<PacketBox> {
    let mut cut: Vec<PacketBox> = b.to_vec();
    cut.extend(impossible());
    let mut out = subtract_indexed(a, &cut);
    out.sort();
    out.dedup();
    out
}

/// [`subtract`] with the cut boxes bucketed by direction and family, and within a bucket
/// sorted by address so only boxes whose address interval can overlap are tried.
fn subtract_indexed(a: &[PacketBox], cut: &[PacketBox]) -> Vec<PacketBox> {
    let mut buckets: [Vec<PacketBox>; 4] = Default::default();
    let slot = |b: &PacketBox| match (b.direction, b.family) {
        (Direction::Ingress, Family::V4) => 0,
        (Direction::Ingress, Family::V6) => 1,
        (Direction::Egress, Family::V4) => 2,
        (Direction::Egress, Family::V6) => 3,
    };
    for c in cut {
        if let Some(bucket) = buckets.get_mut(slot(c)) {
            bucket.push(c.clone());
        }
    }
    for bucket in &mut buckets {
        bucket.sort_by_key(|b| b.addresses.lo);
    }
    let mut out = Vec::new();
    for x in a {
        let bucket = buckets.get(slot(x)).map_or(&[][..], Vec::as_slice);
        // Cut boxes starting after x's last address cannot overlap it.
        let end = bucket.partition_point(|c| c.addresses.lo <= x.addresses.hi);
        let near: Vec<&PacketBox> = bucket
            .iter()
            .take(end)
            .filter(|c| c.addresses.hi >= x.addresses.lo && c.overlaps(x))
            .collect();
        if near.iter().any(|c| c.covers(x)) {
            continue;
        }
        let near: Vec<PacketBox> = near.into_iter().cloned().collect();
        out.extend(subtract([x.clone()], &near));
    }
    out
}

/// The packets `a` allows and `b` does not (`narrowed`), and those `b` allows and `a` does
/// not (`widened`), for group `index`.
pub fn compare(index: usize, a: &SecurityGroup, b: &SecurityGroup) -> Vec<Difference> {
    let set = |g: &SecurityGroup| {
        let mut s: Vec<PacketBox> = allowed(g).into_iter().map(|p| p.packets).collect();
        s.sort();
        s.dedup();
        s
    };
    compare_sets(index, &set(a), &set(b))
}

/// [`compare`] on two allowed sets.
pub fn compare_sets(index: usize, a: &[PacketBox], b: &[PacketBox]) -> Vec<Difference> {
    let mut out = Vec::new();
    for (change, only) in [
        (Verdict::Narrowed, set_minus(a, b)),
        (Verdict::Widened, set_minus(b, a)),
    ] {
        out.extend(only.into_iter().map(|packet_box| Difference {
            group: index,
            change,
            packets: describe(&packet_box),
            packet_box,
        }));
    }
    out
}

/// Compare two documents group by group (a group missing on one side allows nothing).
pub fn compare_documents(a: &Document, b: &Document) -> Vec<Difference> {
    let empty = SecurityGroup::allow_only();
    let n = a.groups.len().max(b.groups.len());
    (0..n)
        .flat_map(|i| {
            compare(
                i,
                a.groups.get(i).unwrap_or(&empty),
                b.groups.get(i).unwrap_or(&empty),
            )
        })
        .collect()
}

/// The verdict the differences amount to.
pub fn verdict(differences: &[Difference]) -> Verdict {
    differences
        .iter()
        .map(|d| d.change)
        .max()
        .unwrap_or(Verdict::Exact)
}
