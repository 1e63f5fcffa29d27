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
    // hash, containment only against boxes with every address (the costly ones), keyed by
    // their label constraints: a box covers another only if its constraints are a subset of
    // the other's.
    let mut seen: std::collections::HashSet<PacketBox> =
        std::collections::HashSet::with_capacity(group.rules.len());
    let mut wide = Wide::default();
    for (i, rule) in evaluation_order(group) {
        let boxes = rule_boxes(rule);
        match rule.action() {
            Action::Deny => denies.extend(boxes),
            Action::Allow => {
                let fresh: Vec<PacketBox> = boxes
                    .into_iter()
                    .filter(|b| !seen.contains(b) && !wide.covers(b))
                    .collect();
                for b in &fresh {
                    seen.insert(b.clone());
                    if b.addresses == all_addresses(b.family) {
                        wide.insert(b.clone());
                    }
                }
                if denies.is_empty() {
                    out.extend(fresh.into_iter().map(|packets| Piece {
                        source: Source::Rule(i),
                        packets,
                    }));
                } else {
                    out.extend(subtract(fresh, &denies).into_iter().map(|packets| Piece {
                        source: Source::Rule(i),
                        packets,
                    }));
                }
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

/// Boxes with every address, by their label constraints, for "is this box inside an
/// earlier one" (see [`allowed_bounded`]).
#[derive(Default)]
struct Wide {
    by_labels: std::collections::HashMap<Vec<(Label, bool)>, Vec<PacketBox>>,
}

impl Wide {
    fn insert(&mut self, b: PacketBox) {
        self.by_labels.entry(b.labels.clone()).or_default().push(b);
    }

    /// Whether an inserted box covers `b`: only boxes whose constraints are a subset of
    /// `b`'s can (all subsets are tried for up to 4 labels, every box past that).
    fn covers(&self, b: &PacketBox) -> bool {
        if self.by_labels.is_empty() {
            return false;
        }
        let n = b.labels.len();
        if n > 4 {
            return self.by_labels.values().flatten().any(|w| w.covers(b));
        }
        let subsets = u32::try_from(n)
            .ok()
            .and_then(|n| 1u32.checked_shl(n))
            .unwrap_or(1);
        (0u32..subsets).any(|mask| {
            let key: Vec<(Label, bool)> = b
                .labels
                .iter()
                .zip(0u32..)
                .filter(|(_, i)| mask.checked_shr(*i).is_some_and(|m| m & 1 == 1))
                .map(|(l, _)| l.clone())
                .collect();
            self.by_labels
                .get(&key)
                .is_some_and(|ws| ws.iter().any(|w| w.covers(b)))
        })
    }
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
    let mut out = Vec::new();
    subtract_indexed(a, &cut, b, &mut |piece| out.push(piece));
    out.sort();
    out.dedup();
    out
}

/// The first `limit` boxes of [`set_minus`] and whether there are any, keeping no more than
/// `limit` of them at a time (a heavily narrowed conversion has millions).
fn set_minus_limited(a: &[PacketBox], b: &[PacketBox], limit: usize) -> (bool, Vec<PacketBox>) {
    let mut cut: Vec<PacketBox> = b.to_vec();
    cut.extend(impossible());
    let mut any = false;
    let mut first: std::collections::BTreeSet<PacketBox> = std::collections::BTreeSet::new();
    subtract_indexed(a, &cut, b, &mut |piece| {
        any = true;
        if first.len() < limit || first.last().is_some_and(|last| piece < *last) {
            first.insert(piece);
            if first.len() > limit {
                first.pop_last();
            }
        }
    });
    (any, first.into_iter().collect())
}

/// Cut boxes indexed for "which of them can overlap this box": bucketed by direction,
/// family and protocol interval, then by the bit length of their address interval's size
/// (class `k` holds intervals shorter than 2^k), each class sorted by first address. A box
/// `x` can only meet boxes of class `k` whose first address lies in `x.lo − 2^k ..= x.hi`:
/// two binary searches per class instead of a scan of the bucket.
struct CutIndex<'a> {
    buckets: std::collections::BTreeMap<(Direction, Family, Span<u8>), Vec<Class<'a>>>,
}

/// Cut boxes of one size class with their positions in the cut list, by first address.
type Class<'a> = Vec<(usize, &'a PacketBox)>;

impl<'a> CutIndex<'a> {
    fn new(cut: &'a [PacketBox]) -> CutIndex<'a> {
        let mut buckets: std::collections::BTreeMap<_, Vec<Class<'a>>> =
            std::collections::BTreeMap::new();
        for (i, c) in cut.iter().enumerate() {
            let classes = buckets
                .entry((c.direction, c.family, c.protocols))
                .or_insert_with(|| vec![Vec::new(); 129]);
            if let Some(class) = classes.get_mut(size_class(c.addresses)) {
                class.push((i, c));
            }
        }
        for classes in buckets.values_mut() {
            for class in classes {
                class.sort_by_key(|(_, c)| c.addresses.lo);
            }
        }
        CutIndex { buckets }
    }

    /// Every cut box that overlaps `x`, by first address (then position in the cut list).
    fn near(&self, x: &PacketBox) -> Vec<&'a PacketBox> {
        let mut out = Vec::new();
        let lo_key = (x.direction, x.family, ALL_PROTOCOLS_MIN);
        for ((direction, family, protocols), classes) in self.buckets.range(lo_key..) {
            if (*direction, *family) != (x.direction, x.family) {
                break;
            }
            if !protocols.overlaps(x.protocols) {
                continue;
            }
            for (k, class) in classes.iter().enumerate() {
                if class.is_empty() {
                    continue;
                }
                let reach = u32::try_from(k)
                    .ok()
                    .and_then(|k| 1u128.checked_shl(k))
                    .unwrap_or(u128::MAX);
                let from = x.addresses.lo.saturating_sub(reach);
                let start = class.partition_point(|(_, c)| c.addresses.lo < from);
                let end = class.partition_point(|(_, c)| c.addresses.lo <= x.addresses.hi);
                out.extend(
                    class
                        .get(start..end)
                        .unwrap_or_default()
                        .iter()
                        .filter(|(_, c)| c.overlaps(x))
                        .copied(),
                );
            }
        }
        out.sort_by_key(|(i, c)| (c.addresses.lo, *i));
        out.into_iter().map(|(_, c)| c).collect()
    }
}

/// The smallest protocol interval, for range queries over the index's keys.
const ALL_PROTOCOLS_MIN: Span<u8> = Span::new(0, 0);

/// The bit length of an interval's size minus one: 0 for one address, 128 for every IPv6
/// address.
fn size_class(span: Span<u128>) -> usize {
    let size = span.hi.saturating_sub(span.lo);
    usize::try_from(u128::BITS.saturating_sub(size.leading_zeros())).unwrap_or(128)
}

/// [`subtract`] through a [`CutIndex`]; boxes of `a` also in `exact` (boxes of `cut`, found
/// by binary search when sorted, as the compared sets are) are empty differences.
fn subtract_indexed(
    a: &[PacketBox],
    cut: &[PacketBox],
    exact: &[PacketBox],
    out: &mut dyn FnMut(PacketBox),
) {
    let sorted = exact.is_sorted();
    let mut index: Option<CutIndex<'_>> = None;
    for x in a {
        if sorted && exact.binary_search(x).is_ok() {
            continue;
        }
        let index = index.get_or_insert_with(|| CutIndex::new(cut));
        let near = index.near(x);
        if near.iter().any(|c| c.covers(x)) {
            continue;
        }
        let near: Vec<PacketBox> = near.into_iter().cloned().collect();
        for piece in subtract([x.clone()], &near) {
            out(piece);
        }
    }
}

/// The packets `a` allows and `b` does not (`narrowed`), and those `b` allows and `a` does
/// not (`widened`), for group `index`.
pub fn compare(index: usize, a: &SecurityGroup, b: &SecurityGroup) -> Vec<Difference> {
    compare_sets(index, &allowed_set(a), &allowed_set(b))
}

/// What a group allows as sorted, distinct boxes.
fn allowed_set(g: &SecurityGroup) -> Vec<PacketBox> {
    let mut s: Vec<PacketBox> = allowed(g).into_iter().map(|p| p.packets).collect();
    // Equal boxes are identical: an unstable sort gives the same list.
    s.sort_unstable();
    s.dedup();
    s
}

/// [`compare`] on two allowed sets.
pub fn compare_sets(index: usize, a: &[PacketBox], b: &[PacketBox]) -> Vec<Difference> {
    let mut out = Vec::new();
    compare_sets_into(index, a, b, usize::MAX, &mut out);
    out
}

/// [`compare_sets`], appending to `out` while it holds fewer than `limit` differences
/// (describing a box costs more than finding it); returns the verdict of all of them.
fn compare_sets_into(
    index: usize,
    a: &[PacketBox],
    b: &[PacketBox],
    limit: usize,
    out: &mut Vec<Difference>,
) -> Verdict {
    let mut verdict = Verdict::Exact;
    for (change, (from, to)) in [(Verdict::Narrowed, (a, b)), (Verdict::Widened, (b, a))] {
        let room = limit.saturating_sub(out.len());
        let (any, only) = set_minus_limited(from, to, room);
        if any {
            verdict = verdict.max(change);
        }
        out.extend(only.into_iter().map(|packet_box| Difference {
            group: index,
            change,
            packets: describe(&packet_box),
            packet_box,
        }));
    }
    verdict
}

/// [`compare_documents`] keeping (and describing) only the first `limit` differences; the
/// verdict counts them all.
pub fn compare_documents_limited(
    a: &Document,
    b: &Document,
    limit: usize,
) -> (Verdict, Vec<Difference>) {
    let empty = SecurityGroup::allow_only();
    let n = a.groups.len().max(b.groups.len());
    let mut out = Vec::new();
    let mut verdict = Verdict::Exact;
    for i in 0..n {
        let a = allowed_set(a.groups.get(i).unwrap_or(&empty));
        let b = allowed_set(b.groups.get(i).unwrap_or(&empty));
        verdict = verdict.max(compare_sets_into(i, &a, &b, limit, &mut out));
    }
    (verdict, out)
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
