//! Packet boxes: products of intervals over the packet dimensions, with exact intersection
//! and difference. A group's meaning is the union of the boxes it allows; two groups mean the
//! same when those unions are equal.
//!
//! A [`PacketBox`] fixes one direction and one family and holds an inclusive interval per
//! numeric dimension (protocol, destination port, ICMP type, ICMP code, remote address) plus a
//! tri-state constraint per remote-group label (must be a member, must not be, free: free
//! labels are simply absent from [`PacketBox::labels`]).
//!
//! Dimensions that do not apply to a protocol keep their full value: the port interval is
//! only narrowed on boxes whose protocol interval is one port protocol, the ICMP intervals
//! only on boxes whose protocol is ICMP or ICMPv6. Boxes built from rules satisfy this by
//! the model's invariants, and intersection and difference preserve it (a piece narrowed on a
//! dimension takes the other box's protocol interval, see [`PacketBox::minus`]).

use std::borrow::Borrow;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::model::{Direction, Family, MAX_PORT};

/// An inclusive interval `lo..=hi` (never empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span<T> {
    /// The first value.
    pub lo: T,
    /// The last value (inclusive).
    pub hi: T,
}

impl<T: Copy + Ord> Span<T> {
    /// The interval `lo..=hi`.
    pub const fn new(lo: T, hi: T) -> Span<T> {
        Span { lo, hi }
    }

    /// One value.
    pub const fn one(v: T) -> Span<T> {
        Span { lo: v, hi: v }
    }

    /// Whether the two intervals share a value.
    pub fn overlaps(self, other: Span<T>) -> bool {
        self.lo <= other.hi && other.lo <= self.hi
    }

    /// The common part (callers check [`Span::overlaps`] first).
    fn meet(self, other: Span<T>) -> Span<T> {
        Span {
            lo: self.lo.max(other.lo),
            hi: self.hi.min(other.hi),
        }
    }

    /// Whether `v` lies inside.
    pub fn contains(self, v: T) -> bool {
        self.lo <= v && v <= self.hi
    }

    /// Whether `other` lies inside.
    pub fn covers(self, other: Span<T>) -> bool {
        self.lo <= other.lo && other.hi <= self.hi
    }
}

/// Integer steps for splitting intervals.
trait Step: Copy + Ord {
    fn dec(self) -> Self;
    fn inc(self) -> Self;
}

macro_rules! step {
    ($($t:ty),*) => {$(
        impl Step for $t {
            // Callers step only inside a span (below `b.lo > a.lo`, above `b.hi < a.hi`), so
            // these never meet the type's bounds; saturating keeps that a non-panic anyway.
            fn dec(self) -> Self { self.saturating_sub(1) }
            fn inc(self) -> Self { self.saturating_add(1) }
        }
    )*};
}
step!(u8, u16, u128);

/// The parts of `a` outside `b`, below and above (callers check that they overlap).
fn outside<T: Step>(a: Span<T>, b: Span<T>) -> (Option<Span<T>>, Option<Span<T>>) {
    let below = (a.lo < b.lo).then(|| Span::new(a.lo, b.lo.dec()));
    let above = (b.hi < a.hi).then(|| Span::new(b.hi.inc(), a.hi));
    (below, above)
}

/// What a remote-group label names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LabelKind {
    /// A security group (`Remote::Group`).
    Group,
    /// An address group (`Remote::AddressGroup`).
    AddressGroup,
}

/// A remote group or address group, by id: an opaque set of addresses.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Label {
    /// Security group or address group.
    pub kind: LabelKind,
    /// The provider's id.
    pub id: String,
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            LabelKind::Group => write!(f, "group {}", self.id),
            LabelKind::AddressGroup => write!(f, "address group {}", self.id),
        }
    }
}

/// Every protocol number.
pub const ALL_PROTOCOLS: Span<u8> = Span::new(0, 255);
/// Every destination port, 0 included (no provider names port 0 in a range; "all ports"
/// includes it).
pub const ALL_PORTS: Span<u16> = Span::new(0, MAX_PORT);
/// Every ICMP type, or every ICMP code.
pub const ALL_ICMP: Span<u8> = Span::new(0, 255);

/// Every address of a family, as integers.
pub fn all_addresses(family: Family) -> Span<u128> {
    match family {
        Family::V4 => Span::new(0, u128::from(u32::MAX)),
        Family::V6 => Span::new(0, u128::MAX),
    }
}

/// A box of packets: one direction, one family, an interval per numeric dimension and a
/// constraint per mentioned group label.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PacketBox {
    /// Direction.
    pub direction: Direction,
    /// Family.
    pub family: Family,
    /// IP protocol numbers.
    pub protocols: Span<u8>,
    /// Destination ports (full unless the protocol is one port protocol).
    pub ports: Span<u16>,
    /// ICMP types (full unless the protocol is ICMP/ICMPv6).
    pub icmp_type: Span<u8>,
    /// ICMP codes (full unless the protocol is ICMP/ICMPv6).
    pub icmp_code: Span<u8>,
    /// Remote addresses, as integers of the family.
    pub addresses: Span<u128>,
    /// Group-membership constraints, sorted by label: `true` = the remote address must be a
    /// member, `false` = it must not be. Labels not listed are free.
    pub labels: Vec<(Label, bool)>,
}

/// Sort boxes into their `Ord` order, cheaper than comparing them field by field: each box's
/// fields but its labels are packed into a key, the keys compared, and the rare runs of boxes
/// with the same key (differing in labels only) are put in order after. The keys are made
/// at each comparison, not cached: a cache held 64 bytes a box.
pub fn sort_boxes(boxes: &mut [PacketBox]) {
    boxes.sort_unstable_by_key(PacketBox::key);
    for run in boxes.chunk_by_mut(|a, b| a.key() == b.key()) {
        if run.len() > 1 {
            run.sort_unstable();
        }
    }
}

impl PacketBox {
    /// The smallest box (in `Ord`) that a part of this one can be: the same direction and
    /// family, each interval shrunk to its first value, no labels. Every sub-box of `self`
    /// is at least this.
    pub(crate) fn floor(&self) -> PacketBox {
        PacketBox {
            direction: self.direction,
            family: self.family,
            protocols: Span::one(self.protocols.lo),
            ports: Span::one(self.ports.lo),
            icmp_type: Span::one(self.icmp_type.lo),
            icmp_code: Span::one(self.icmp_code.lo),
            addresses: Span::one(self.addresses.lo),
            labels: Vec::new(),
        }
    }

    /// Every field but the labels, in declaration order, as numbers that compare as the
    /// fields do one after another.
    fn key(&self) -> (u128, u128, u128) {
        let [p0, p1] = self.ports.lo.to_be_bytes();
        let [q0, q1] = self.ports.hi.to_be_bytes();
        let head = u128::from_be_bytes([
            0,
            0,
            0,
            0,
            self.direction as u8,
            self.family as u8,
            self.protocols.lo,
            self.protocols.hi,
            p0,
            p1,
            q0,
            q1,
            self.icmp_type.lo,
            self.icmp_type.hi,
            self.icmp_code.lo,
            self.icmp_code.hi,
        ]);
        (head, self.addresses.lo, self.addresses.hi)
    }

    /// Every packet of a direction and family.
    pub fn universe(direction: Direction, family: Family) -> PacketBox {
        PacketBox {
            direction,
            family,
            protocols: ALL_PROTOCOLS,
            ports: ALL_PORTS,
            icmp_type: ALL_ICMP,
            icmp_code: ALL_ICMP,
            addresses: all_addresses(family),
            labels: Vec::new(),
        }
    }

    /// The label constraint on `label`, if any.
    pub fn label(&self, label: &Label) -> Option<bool> {
        self.labels
            .binary_search_by(|(l, _)| l.cmp(label))
            .ok()
            .and_then(|i| self.labels.get(i))
            .map(|(_, member)| *member)
    }

    fn set_label(&mut self, label: &Label, member: bool) {
        match self.labels.binary_search_by(|(l, _)| l.cmp(label)) {
            Ok(i) => {
                if let Some((_, m)) = self.labels.get_mut(i) {
                    *m = member;
                }
            }
            Err(i) => self.labels.insert(i, (label.clone(), member)),
        }
    }

    /// Whether the two boxes share a packet.
    pub fn overlaps(&self, other: &PacketBox) -> bool {
        self.direction == other.direction
            && self.family == other.family
            && self.protocols.overlaps(other.protocols)
            && self.ports.overlaps(other.ports)
            && self.addresses.overlaps(other.addresses)
            && self.icmp_type.overlaps(other.icmp_type)
            && self.icmp_code.overlaps(other.icmp_code)
            && other
                .labels
                .iter()
                .all(|(l, m)| self.label(l).is_none_or(|mine| mine == *m))
    }

    /// Whether every packet of `other` is in `self`.
    pub fn covers(&self, other: &PacketBox) -> bool {
        self.direction == other.direction
            && self.family == other.family
            && self.protocols.covers(other.protocols)
            && self.ports.covers(other.ports)
            && self.addresses.covers(other.addresses)
            && self.icmp_type.covers(other.icmp_type)
            && self.icmp_code.covers(other.icmp_code)
            && self.labels.iter().all(|(l, m)| other.label(l) == Some(*m))
    }

    /// The common packets, if any.
    pub fn intersect(&self, other: &PacketBox) -> Option<PacketBox> {
        if !self.overlaps(other) {
            return None;
        }
        let mut out = PacketBox {
            protocols: self.protocols.meet(other.protocols),
            ports: self.ports.meet(other.ports),
            icmp_type: self.icmp_type.meet(other.icmp_type),
            icmp_code: self.icmp_code.meet(other.icmp_code),
            addresses: self.addresses.meet(other.addresses),
            ..self.clone()
        };
        for (l, m) in &other.labels {
            out.set_label(l, *m);
        }
        Some(out)
    }

    /// The packets of `self` not in `other`, as at most 2 per numeric dimension plus one per
    /// label of `other` disjoint boxes (the standard box difference).
    ///
    /// Dimensions are split in the order protocol, port, ICMP type, ICMP code, address,
    /// labels: each piece takes `self ∩ other` on the dimensions before its own, so a piece
    /// narrowed on ports or ICMP has the other box's (single) protocol, and a "not a member
    /// of G" constraint only lands on the last, smallest pieces.
    pub fn minus(&self, other: &PacketBox) -> Vec<PacketBox> {
        let mut out = Vec::new();
        if self.overlaps(other) {
            self.clone().minus_into(other, &mut out);
        } else {
            out.push(self.clone());
        }
        out
    }

    /// [`PacketBox::minus`] for a box that overlaps `other`, consuming it and appending the
    /// pieces to `out` (no allocation beyond the pieces themselves).
    pub(super) fn minus_into(self, other: &PacketBox, out: &mut Vec<PacketBox>) {
        self.minus_split(other, true, out);
    }

    /// [`PacketBox::minus_into`], with `labels` false ignoring `other`'s labels (as if it had
    /// none: for boxes that all hold the same labels, cut by boxes of those labels or none).
    pub(super) fn minus_split(self, other: &PacketBox, labels: bool, out: &mut Vec<PacketBox>) {
        let mut rest = self;
        macro_rules! split {
            ($dim:ident) => {{
                let (below, above) = outside(rest.$dim, other.$dim);
                for piece in [below, above].into_iter().flatten() {
                    out.push(PacketBox {
                        $dim: piece,
                        ..rest.clone()
                    });
                }
                rest.$dim = rest.$dim.meet(other.$dim);
            }};
        }
        split!(protocols);
        split!(ports);
        split!(icmp_type);
        split!(icmp_code);
        split!(addresses);
        if !labels {
            return;
        }
        for (label, member) in &other.labels {
            if rest.label(label).is_none() {
                let mut piece = rest.clone();
                piece.set_label(label, !member);
                out.push(piece);
                rest.set_label(label, *member);
            }
        }
    }
}

/// `boxes` minus every box of `cut`: a list of disjoint pieces per input box.
///
/// Cost: each input box is cut by each box of `cut` that overlaps one of its pieces; a cut
/// multiplies pieces by at most 12 + labels, so the worst case is exponential in the number of
/// overlapping cuts, and linear in practice (cuts that overlap a piece mostly remove it or
/// trim one side). Pieces a cut does not touch are moved, never copied; those before the first
/// piece it touches are not moved at all.
pub fn subtract(boxes: impl IntoIterator<Item = PacketBox>, cut: &[PacketBox]) -> Vec<PacketBox> {
    subtract_each(boxes, cut)
}

/// [`subtract`] with the cut boxes held any way (`&[PacketBox]`, `&[&PacketBox]`).
pub(super) fn subtract_each<C: Borrow<PacketBox>>(
    boxes: impl IntoIterator<Item = PacketBox>,
    cut: &[C],
) -> Vec<PacketBox> {
    subtract_pruned(boxes, cut, &mut |_| false)
}

/// [`subtract_each`], dropping along the way every piece `useless` says nothing of it can
/// matter to the caller (its parts are parts of it). `useless` sees each piece a cut makes
/// once, and may keep what it drops.
pub(super) fn subtract_pruned<C: Borrow<PacketBox>>(
    boxes: impl IntoIterator<Item = PacketBox>,
    cut: &[C],
    useless: &mut dyn FnMut(&PacketBox) -> bool,
) -> Vec<PacketBox> {
    let mut out = Vec::new();
    let mut pieces: Vec<PacketBox> = Vec::new();
    let mut next: Vec<PacketBox> = Vec::new();
    for b in boxes {
        // Pieces lie inside `b`: a cut that misses `b` misses them all (one test, not one
        // per piece).
        let whole = b.clone();
        pieces.clear();
        pieces.push(b);
        for c in cut {
            let c = c.borrow();
            if !whole.overlaps(c) {
                continue;
            }
            // The pieces before the first one `c` touches stay where they are.
            let Some(first) = pieces.iter().position(|p| p.overlaps(c)) else {
                continue;
            };
            next.clear();
            for p in pieces.drain(first..) {
                if p.overlaps(c) {
                    let from = next.len();
                    p.minus_into(c, &mut next);
                    // Pieces are cut independently, so their order does not change the result.
                    let mut at = from;
                    while at < next.len() {
                        if next.get(at).is_some_and(&mut *useless) {
                            next.swap_remove(at);
                        } else {
                            at = at.saturating_add(1);
                        }
                    }
                } else {
                    next.push(p);
                }
            }
            pieces.append(&mut next);
            if pieces.is_empty() {
                break;
            }
        }
        out.append(&mut pieces);
    }
    out
}

/// A part of `p` that no box of `cut` holds, found depth first (the first piece that
/// survives every cut, without cutting the rest), or `None` when `cut` covers `p`.
pub(crate) fn first_left(p: PacketBox, cut: &[PacketBox]) -> Option<PacketBox> {
    let mut stack = vec![(p, 0usize)];
    let mut made = Vec::new();
    while let Some((piece, from)) = stack.pop() {
        let rest = cut.get(from..).unwrap_or_default();
        let Some(k) = rest.iter().position(|c| piece.overlaps(c)) else {
            return Some(piece);
        };
        let at = from.saturating_add(k);
        if let Some(c) = cut.get(at) {
            made.clear();
            piece.minus_into(c, &mut made);
            stack.extend(made.drain(..).rev().map(|m| (m, at.saturating_add(1))));
        }
    }
    None
}

impl Serialize for PacketBox {
    /// As a readable phrase (see the `Display` impl in `display.rs`).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod sort_tests {
    use super::*;
    use proptest::prelude::*;

    fn span<T: Copy + Ord>(a: T, b: T) -> Span<T> {
        Span::new(a.min(b), a.max(b))
    }

    prop_compose! {
        // Few values per field, so that boxes often tie on the first fields.
        fn packet_box()(d: bool, f: bool, p in (0u8..3, 0u8..3), ports in (0u16..3, 65533u16..=65535),
                        t in (0u8..2, 0u8..2), c in (0u8..2, 0u8..2),
                        a in (0u128..3, (u128::MAX - 2)..=u128::MAX),
                        labels in proptest::collection::vec(("[ab]", any::<bool>(), any::<bool>()), 0..3))
                       -> PacketBox {
            PacketBox {
                direction: if d { Direction::Ingress } else { Direction::Egress },
                family: if f { Family::V4 } else { Family::V6 },
                protocols: span(p.0, p.1),
                ports: span(ports.0, ports.1),
                icmp_type: span(t.0, t.1),
                icmp_code: span(c.0, c.1),
                addresses: span(a.0, a.1),
                labels: labels
                    .into_iter()
                    .map(|(id, g, member)| {
                        let kind = if g { LabelKind::Group } else { LabelKind::AddressGroup };
                        (Label { kind, id }, member)
                    })
                    .collect(),
            }
        }
    }

    proptest! {
        /// The same order as sorting by the derived `Ord`.
        #[test]
        fn sort_boxes_is_ord_order(boxes in proptest::collection::vec(packet_box(), 0..40)) {
            let mut ours = boxes.clone();
            sort_boxes(&mut ours);
            let mut derived = boxes;
            derived.sort();
            prop_assert_eq!(ours, derived);
        }
    }
}

#[cfg(test)]
mod floor_tests {
    use super::*;
    use proptest::prelude::*;

    fn inside<T: Copy + Ord>(s: Span<T>, a: T, b: T) -> Span<T> {
        let clamp = |v: T| v.max(s.lo).min(s.hi);
        Span::new(clamp(a).min(clamp(b)), clamp(a).max(clamp(b)))
    }

    proptest! {
        /// Every part of a box (each interval narrowed, labels added) is at least its floor:
        /// what lets the search for the smallest differences skip a box.
        #[test]
        fn parts_are_at_least_the_floor(
            p in (0u8..=255, 0u8..=255), ports in (any::<u16>(), any::<u16>()),
            t in (any::<u8>(), any::<u8>()), c in (any::<u8>(), any::<u8>()),
            a in (any::<u128>(), any::<u128>()),
            cut in ((any::<u8>(), any::<u8>()), (any::<u16>(), any::<u16>()),
                    (any::<u8>(), any::<u8>()), (any::<u8>(), any::<u8>()), (any::<u128>(), any::<u128>())),
            labels in proptest::collection::vec(("[ab]", any::<bool>()), 0..2),
        ) {
            let x = PacketBox {
                direction: Direction::Ingress,
                family: Family::V6,
                protocols: Span::new(p.0.min(p.1), p.0.max(p.1)),
                ports: Span::new(ports.0.min(ports.1), ports.0.max(ports.1)),
                icmp_type: Span::new(t.0.min(t.1), t.0.max(t.1)),
                icmp_code: Span::new(c.0.min(c.1), c.0.max(c.1)),
                addresses: Span::new(a.0.min(a.1), a.0.max(a.1)),
                labels: Vec::new(),
            };
            let part = PacketBox {
                protocols: inside(x.protocols, cut.0.0, cut.0.1),
                ports: inside(x.ports, cut.1.0, cut.1.1),
                icmp_type: inside(x.icmp_type, cut.2.0, cut.2.1),
                icmp_code: inside(x.icmp_code, cut.3.0, cut.3.1),
                addresses: inside(x.addresses, cut.4.0, cut.4.1),
                labels: labels
                    .into_iter()
                    .map(|(id, member)| (Label { kind: LabelKind::Group, id }, member))
                    .collect(),
                ..x.clone()
            };
            prop_assert!(part >= x.floor());
            prop_assert!(x >= x.floor());
        }
    }
}
