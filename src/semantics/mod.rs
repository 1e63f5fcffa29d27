//! The packet-set semantics: what a group allows, as a union of [`PacketBox`]es (one
//! direction and family, an interval per protocol, port, ICMP type, ICMP code and remote
//! address, and membership constraints on remote groups), and the exact difference of two
//! groups.
//!
//! Used in three places: lowering ordered groups with deny rules into allow-only targets (the
//! fit pass's set subtraction), verifying every conversion (the output is read back and its
//! packet set compared with the source's, [`crate::convert()`]) and [`crate::diff()`].
//!
//! Packets the model cannot hold are "don't care": ICMP (protocol 1) over IPv6 and ICMPv6
//! (58) over IPv4 ([`impossible`]); differences inside them are ignored.

mod boxes;
mod display;
mod replies;

use serde::Serialize;

pub use boxes::{
    ALL_ICMP, ALL_PORTS, ALL_PROTOCOLS, Label, LabelKind, PacketBox, Span, all_addresses, subtract,
};
pub use display::{cidrs, describe};
pub use replies::added_by_statefulness;

use crate::model::{
    Action, Direction, Document, Evaluation, Family, Icmp, Protocol, Remote, Rule, SecurityGroup,
};

/// The semantic summary of a conversion: how the target's packet set compares with the
/// source's. Ordered by severity; a report keeps the most severe it met.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// The target allows exactly the packets the source allowed.
    Exact,
    /// The target denies some packets the source allowed.
    Narrowed,
    /// Part of the input was not read (an unknown key), so what the source allows is not
    /// known and no comparison can prove anything.
    Unverified,
    /// The target allows some packets the source denied.
    Widened,
}

impl Verdict {
    /// The name reports use (`exact`, `narrowed`, `unverified`, `widened`).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Exact => "exact",
            Verdict::Narrowed => "narrowed",
            Verdict::Unverified => "unverified",
            Verdict::Widened => "widened",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

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
fn for_each_rule_box(rule: &Rule, mut f: impl FnMut(PacketBox)) {
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
    allowed_with(group, max_pieces, Dedup::Always, |source, packets| Piece {
        source,
        packets,
    })
}

/// Whether [`allowed_with`] drops exact duplicates of earlier allow boxes from the start or
/// only once there are deny rules to subtract.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dedup {
    /// From the first rule: every piece is listed once ([`allowed_bounded`]'s list).
    Always,
    /// From the first deny rule on. Before it a duplicate is an exact copy of an earlier
    /// piece (nothing is subtracted yet), so the set of pieces is the same: for callers that
    /// sort and deduplicate anyway. Such callers also get the pieces in no particular order.
    FromFirstDeny,
}

/// What [`allowed_with`] lists: a piece with or without its source.
trait Listed {
    fn packets(&self) -> &PacketBox;
}

impl Listed for Piece {
    fn packets(&self) -> &PacketBox {
        &self.packets
    }
}

impl Listed for PacketBox {
    fn packets(&self) -> &PacketBox {
        self
    }
}

/// One rule of an ordered group, for [`allowed_with`]: its place in evaluation order and
/// where its boxes are.
#[derive(Clone, Copy)]
struct Ranked {
    /// Sort key for [`Evaluation::Priority`]: priority (none last), then deny first.
    key: (u16, bool),
    /// Index in the group's rules (the tie-break, as in a stable sort).
    index: usize,
    action: Action,
    /// The rule's boxes: `boxes[start..end]`.
    start: usize,
    end: usize,
}

/// [`allowed_bounded`], each piece made by `make`.
fn allowed_with<P: Listed>(
    group: &SecurityGroup,
    max_pieces: usize,
    dedup: Dedup,
    make: impl Fn(Source, PacketBox) -> P,
) -> Option<Vec<P>> {
    // Room for one box per rule and a quarter more (rules with several port ranges): growing
    // a list this long copies it.
    let room = group
        .rules
        .len()
        .saturating_add(group.rules.len().checked_div(4).unwrap_or(0));
    let mut out: Vec<P> = Vec::new();
    if group.evaluation == Evaluation::AllowOnly {
        out.reserve(room);
        for (i, rule) in group.rules.iter().enumerate() {
            if rule.action() == Action::Allow {
                for_each_rule_box(rule, |packets| out.push(make(Source::Rule(i), packets)));
            }
            if out.len() > max_pieces {
                return None;
            }
        }
        return Some(out);
    }
    // Every rule's boxes, read in list order: the rules themselves are read once, in the
    // order they lie in memory (in evaluation order, reading them would jump about a large
    // list).
    let mut boxes: Vec<PacketBox> = Vec::with_capacity(room);
    let mut rules: Vec<Ranked> = Vec::with_capacity(group.rules.len());
    // In list order: where each rule's boxes end, and its action.
    let mut spans: Vec<(usize, Action)> = Vec::with_capacity(group.rules.len());
    let mut any_deny = false;
    let mut wide = 0usize;
    for (index, rule) in group.rules.iter().enumerate() {
        let action = rule.action();
        let start = boxes.len();
        for_each_rule_box(rule, |b| {
            match action {
                Action::Deny => any_deny = true,
                Action::Allow => {
                    if b.addresses == all_addresses(b.family) {
                        wide = wide.saturating_add(1);
                    }
                }
            }
            boxes.push(b);
        });
        rules.push(Ranked {
            key: (rule.priority().unwrap_or(u16::MAX), action != Action::Deny),
            index,
            action,
            start,
            end: boxes.len(),
        });
        spans.push((boxes.len(), action));
    }
    if group.evaluation == Evaluation::Priority {
        // The same order as [`evaluation_order`]'s stable sort.
        rules.sort_unstable_by_key(|r| (r.key, r.index));
    }
    // Each rule's place in evaluation order, by index (only wanted with wide boxes).
    let mut rank: Vec<usize> = Vec::new();
    if wide > 0 {
        rank.resize(rules.len(), 0);
        for (place, r) in rules.iter().enumerate() {
            if let Some(slot) = rank.get_mut(r.index) {
                *slot = place;
            }
        }
    }
    let mut denies: Vec<PacketBox> = Vec::new();
    out.reserve(boxes.len());
    if dedup == Dedup::FromFirstDeny && !any_deny {
        allowed_unordered(&spans, &rank, boxes, wide, &make, &mut out);
    } else {
        let wide = WideIndex::new(&spans, &rank, &boxes, wide);
        let order = Walk {
            rules: &rules,
            boxes: &boxes,
            wide: &wide,
            dedup,
            max_pieces,
        };
        order.run(&make, &mut denies, &mut out);
    }
    if out.len() > max_pieces {
        return None;
    }
    for direction in [Direction::Ingress, Direction::Egress] {
        if group.default_action(direction) == Action::Allow {
            let all = Family::BOTH.map(|f| PacketBox::universe(direction, f));
            out.extend(
                subtract(all, &denies)
                    .into_iter()
                    .map(|packets| make(Source::Default(direction), packets)),
            );
        }
    }
    (out.len() <= max_pieces).then_some(out)
}

/// The allow pieces of an ordered group without deny rules, for [`Dedup::FromFirstDeny`]:
/// every allow box but those inside a box with every address of a rule evaluated earlier
/// (the ones [`Walk`] skips). `spans`: where each rule's boxes end, in list order; `rank`:
/// each rule's place in evaluation order, when `wide` of the boxes have every address.
/// Nothing is subtracted, so the boxes are taken in list order.
fn allowed_unordered<P>(
    spans: &[(usize, Action)],
    rank: &[usize],
    boxes: Vec<PacketBox>,
    wide: usize,
    make: &impl Fn(Source, PacketBox) -> P,
    out: &mut Vec<P>,
) {
    // The positions of the boxes an earlier wide box covers, ascending.
    let mut covered: Vec<usize> = Vec::new();
    if wide > 0 {
        let index = WideIndex::new(spans, rank, &boxes, wide);
        let mut start = 0usize;
        for (i, &(end, _)) in spans.iter().enumerate() {
            let place = rank.get(i).copied().unwrap_or(usize::MAX);
            for (at, b) in boxes.get(start..end).unwrap_or_default().iter().enumerate() {
                if index.covers(b, place) {
                    covered.push(start.saturating_add(at));
                }
            }
            start = end;
        }
    }
    let mut covered = covered.into_iter().peekable();
    let mut boxes = boxes.into_iter().enumerate();
    let mut start = 0usize;
    for (i, &(end, _)) in spans.iter().enumerate() {
        for (at, b) in boxes.by_ref().take(end.saturating_sub(start)) {
            if covered.next_if_eq(&at).is_none() {
                out.push(make(Source::Rule(i), b));
            }
        }
        start = end;
    }
}

/// The ordered walk of [`allowed_with`]: each allow rule's boxes, but those already
/// allowed, minus the deny boxes before it.
struct Walk<'a> {
    /// The rules, in evaluation order.
    rules: &'a [Ranked],
    /// Their boxes.
    boxes: &'a [PacketBox],
    /// Their allow boxes with every address.
    wide: &'a WideIndex<'a>,
    dedup: Dedup,
    /// Stop once there are more pieces.
    max_pieces: usize,
}

impl Walk<'_> {
    /// Append the pieces to `out`, leaving the deny boxes in `denies`.
    fn run<P: Listed>(
        &self,
        make: &impl Fn(Source, PacketBox) -> P,
        denies: &mut Vec<PacketBox>,
        out: &mut Vec<P>,
    ) {
        // Earlier allow boxes: a box inside one of them adds nothing (R_i ⊆ R_j with j < i
        // implies R_i − D_<i ⊆ R_j − D_<j), so it is skipped. Exact duplicates are found by
        // hash, containment only against boxes with every address (the costly ones, see
        // [`WideIndex`]).
        let mut seen: Option<std::collections::HashSet<PacketBox, FxBuild>> = match self.dedup {
            Dedup::Always => Some(std::collections::HashSet::with_capacity_and_hasher(
                self.boxes.len(),
                FxBuild,
            )),
            Dedup::FromFirstDeny => None,
        };
        let mut fresh: Vec<PacketBox> = Vec::new();
        for (place, r) in self.rules.iter().enumerate() {
            let rule = self.boxes.get(r.start..r.end).unwrap_or_default();
            match r.action {
                Action::Deny => {
                    if seen.is_none() {
                        // No deny so far: every piece is an allow box as it was, and those
                        // are the boxes `seen` would hold.
                        let mut set =
                            std::collections::HashSet::with_capacity_and_hasher(out.len(), FxBuild);
                        set.extend(out.iter().map(|p| p.packets().clone()));
                        seen = Some(set);
                    }
                    denies.extend(rule.iter().cloned());
                }
                Action::Allow => {
                    fresh.clear();
                    fresh.extend(
                        rule.iter()
                            .filter(|b| {
                                !seen.as_ref().is_some_and(|s| s.contains(*b))
                                    && !self.wide.covers(b, place)
                            })
                            .cloned(),
                    );
                    if let Some(seen) = seen.as_mut() {
                        seen.extend(fresh.iter().cloned());
                    }
                    let i = r.index;
                    if denies.is_empty() {
                        out.extend(
                            fresh
                                .drain(..)
                                .map(|packets| make(Source::Rule(i), packets)),
                        );
                    } else {
                        out.extend(
                            subtract(fresh.drain(..), denies)
                                .into_iter()
                                .map(|packets| make(Source::Rule(i), packets)),
                        );
                    }
                }
            }
            if out.len() > self.max_pieces {
                return;
            }
        }
    }
}

/// The allow boxes with every address, each with its rule's place in evaluation order, for
/// "is this box inside one of an earlier rule" (see [`Walk`]). A box inside one that is
/// itself inside an earlier one is inside that one too: testing against all of them, skipped
/// or not, gives the same answer as testing against those kept.
///
/// Only a box whose label constraints are a subset of `b`'s can cover `b`: the boxes are
/// grouped by their constraints and every subset of `b`'s is looked up (up to 4 labels; all
/// boxes past that).
struct WideIndex<'a> {
    by_labels: std::collections::HashMap<&'a [(Label, bool)], Vec<WideBox<'a>>, FxBuild>,
}

/// A box of a [`WideIndex`].
struct WideBox<'a> {
    /// Its rule's place in evaluation order.
    place: usize,
    packets: &'a PacketBox,
}

impl<'a> WideIndex<'a> {
    /// The `count` allow boxes with every address out of `boxes`: rule `i`'s end where
    /// `spans[i]` says, its place in evaluation order at `rank[i]`.
    fn new(
        spans: &[(usize, Action)],
        rank: &[usize],
        boxes: &'a [PacketBox],
        count: usize,
    ) -> WideIndex<'a> {
        let mut by_labels: std::collections::HashMap<_, Vec<WideBox<'a>>, FxBuild> =
            std::collections::HashMap::with_capacity_and_hasher(count, FxBuild);
        if count > 0 {
            let mut start = 0usize;
            for (i, &(end, action)) in spans.iter().enumerate() {
                let rule = boxes.get(start..end).unwrap_or_default();
                start = end;
                let Some(&place) = rank.get(i) else {
                    continue;
                };
                if action != Action::Allow {
                    continue;
                }
                for b in rule {
                    if b.addresses == all_addresses(b.family) {
                        by_labels
                            .entry(b.labels.as_slice())
                            .or_default()
                            .push(WideBox { place, packets: b });
                    }
                }
            }
        }
        WideIndex { by_labels }
    }

    /// Whether a box of a rule at a place before `before` covers `b`.
    fn covers(&self, b: &PacketBox, before: usize) -> bool {
        if self.by_labels.is_empty() {
            return false;
        }
        let covered = |entries: &Vec<WideBox<'_>>| {
            entries
                .iter()
                .any(|w| w.place < before && w.packets.covers(b))
        };
        let n = b.labels.len();
        if n > 4 {
            return self.by_labels.values().any(covered);
        }
        let covered_by = |key: &[(Label, bool)]| self.by_labels.get(key).is_some_and(covered);
        let subsets = u32::try_from(n)
            .ok()
            .and_then(|n| 1u32.checked_shl(n))
            .unwrap_or(1);
        (0u32..subsets).any(|mask| {
            // No label or all of them: a slice of `b`'s own (no copy of the labels).
            if mask == 0 {
                return covered_by(&[]);
            }
            if usize::try_from(mask.count_ones()) == Ok(n) {
                return covered_by(&b.labels);
            }
            let key: Vec<(Label, bool)> = b
                .labels
                .iter()
                .zip(0u32..)
                .filter(|(_, i)| mask.checked_shr(*i).is_some_and(|m| m & 1 == 1))
                .map(|(l, _)| l.clone())
                .collect();
            covered_by(&key)
        })
    }
}

/// An FxHash-style hasher (one rotate, xor and multiply per word) for sets of boxes: std's
/// SipHash resists flooding, which boxes hashed during one comparison do not need, at several
/// times the cost.
#[derive(Clone, Copy, Default)]
struct FxBuild;

impl std::hash::BuildHasher for FxBuild {
    type Hasher = FxHasher;
    fn build_hasher(&self) -> FxHasher {
        FxHasher(0)
    }
}

/// The hasher of [`FxBuild`].
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let word = chunk
                .iter()
                .fold(0u64, |w, b| w.rotate_left(8) | u64::from(*b));
            self.add(word);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_u128(&mut self, i: u128) {
        // The low and the high word.
        self.add(u64::try_from(i & u128::from(u64::MAX)).unwrap_or(0));
        self.add(u64::try_from(i.checked_shr(64).unwrap_or(0)).unwrap_or(0));
    }
    fn write_usize(&mut self, i: usize) {
        self.add(u64::try_from(i).unwrap_or(u64::MAX));
    }
    fn finish(&self) -> u64 {
        // The words' differences sit in their high bits (network addresses end in zeros) and
        // multiplying moves them only upwards; the table indexes by the low bits: fold the
        // high half down (murmur3's finaliser, shortened).
        let h = self.0;
        let h = (h ^ h.checked_shr(32).unwrap_or(0)).wrapping_mul(0xd6_e8_fe_b8_66_59_fd_93);
        h ^ h.checked_shr(32).unwrap_or(0)
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Difference {
    /// Index of the group in the documents.
    pub group: usize,
    /// `narrowed`: allowed by the first group (the source), denied by the second (the
    /// target); `widened`: the other way round.
    pub change: Verdict,
    /// The packets, readable (`ingress tcp 22 from 0.0.0.0/0`).
    pub packets: String,
    /// The same packets as a box, for programs (not serialised).
    #[serde(skip)]
    pub packet_box: Option<PacketBox>,
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
    let mut out = Vec::new();
    subtract_indexed(a, b, false, &mut out);
    out.sort();
    out.dedup();
    out
}

/// The first `limit` boxes of [`set_minus`] and whether there are any, keeping no more than
/// `limit` of them at a time (a heavily narrowed conversion has millions).
/// `sorted`: both are known to be sorted.
fn set_minus_limited(
    a: &[PacketBox],
    b: &[PacketBox],
    sorted: bool,
    limit: usize,
) -> (bool, Vec<PacketBox>) {
    let mut first = Smallest {
        any: false,
        limit,
        kept: std::collections::BTreeSet::new(),
    };
    subtract_indexed(a, b, sorted, &mut first);
    (first.any, first.kept.into_iter().collect())
}

/// Where [`subtract_indexed`] puts the pieces of a difference.
trait Pieces {
    /// Whether no part of `x` can change anything here: `x − b` need not be cut out then,
    /// nor any piece of it that is useless.
    fn useless(&self, _x: &PacketBox) -> bool {
        false
    }
    /// One piece.
    fn piece(&mut self, piece: PacketBox);
}

impl Pieces for Vec<PacketBox> {
    fn piece(&mut self, piece: PacketBox) {
        self.push(piece);
    }
}

/// Whether there is any piece, and the `limit` smallest.
struct Smallest {
    any: bool,
    limit: usize,
    kept: std::collections::BTreeSet<PacketBox>,
}

impl Pieces for Smallest {
    /// Once there is a piece and `limit` are kept, a box whose parts cannot come below the
    /// largest kept one changes nothing: every part of `x` is at least [`PacketBox::floor`]
    /// of `x` (a heavily narrowed conversion would otherwise cut every box to pieces only to
    /// throw them away).
    fn useless(&self, x: &PacketBox) -> bool {
        self.any
            && self.kept.len() >= self.limit
            && self.kept.last().is_none_or(|last| x.floor() >= *last)
    }
    fn piece(&mut self, piece: PacketBox) {
        self.any = true;
        if self.kept.len() < self.limit || self.kept.last().is_some_and(|last| piece < *last) {
            self.kept.insert(piece);
            if self.kept.len() > self.limit {
                self.kept.pop_last();
            }
        }
    }
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
    /// The index of the boxes of `cut`, positions counted in its order.
    fn new(cut: impl IntoIterator<Item = &'a PacketBox>) -> CutIndex<'a> {
        let mut buckets: std::collections::BTreeMap<_, Vec<Class<'a>>> =
            std::collections::BTreeMap::new();
        for (i, c) in cut.into_iter().enumerate() {
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

/// `a − (b ∪ impossible)` through a [`CutIndex`], each piece handed to `out` (in the order of
/// `a`, then of [`subtract`]). Boxes of `a` also in `b` (found by a merge walk when both are
/// sorted, as the compared sets are, by binary search when only `b` is) are empty
/// differences; the index is built only for a box that is not. `sorted`: both are known to
/// be sorted.
fn subtract_indexed(a: &[PacketBox], b: &[PacketBox], sorted: bool, out: &mut dyn Pieces) {
    let impossible = impossible();
    let b_sorted = sorted || b.is_sorted();
    let a_sorted = sorted || (b_sorted && a.is_sorted());
    // Merge walk: every box of `b` before `rest` is below the current box of `a`.
    let mut rest = b;
    let mut index: Option<CutIndex<'_>> = None;
    for x in a {
        if a_sorted {
            let found = match rest.first().map(|y| y.cmp(x)) {
                Some(std::cmp::Ordering::Equal) => true,
                Some(std::cmp::Ordering::Less) => {
                    rest = rest.get(gallop(rest, x)..).unwrap_or_default();
                    rest.first() == Some(x)
                }
                Some(std::cmp::Ordering::Greater) | None => false,
            };
            if found {
                continue;
            }
        } else if b_sorted && b.binary_search(x).is_ok() {
            continue;
        }
        if out.useless(x) {
            continue;
        }
        let index = index.get_or_insert_with(|| CutIndex::new(b.iter().chain(&impossible)));
        let near = index.near(x);
        if near.iter().any(|c| c.covers(x)) {
            continue;
        }
        let pieces = boxes::subtract_pruned([x.clone()], &near, &|p| out.useless(p));
        for piece in pieces {
            out.piece(piece);
        }
    }
}

/// The number of boxes of sorted `b` below `x`, found by galloping from the front (cheap
/// when it is small, as in a merge walk of two similar lists; a binary search's cost at
/// worst).
fn gallop(b: &[PacketBox], x: &PacketBox) -> usize {
    // Every box below `lo` is below `x`; `hi` is the next probe.
    let mut lo = 0usize;
    let mut hi = 0usize;
    let mut step = 1usize;
    while b.get(hi).is_some_and(|y| y < x) {
        lo = hi.saturating_add(1);
        hi = hi.saturating_add(step);
        step = step.saturating_mul(2);
    }
    let hi = hi.min(b.len());
    lo.saturating_add(b.get(lo..hi).unwrap_or_default().partition_point(|y| y < x))
}

/// The packets `a` allows and `b` does not (`narrowed`), and those `b` allows and `a` does
/// not (`widened`), for group `index`.
pub fn compare(index: usize, a: &SecurityGroup, b: &SecurityGroup) -> Vec<Difference> {
    let mut out = Vec::new();
    compare_sets_into(
        index,
        &allowed_set(a),
        &allowed_set(b),
        true,
        usize::MAX,
        &mut out,
    );
    out
}

/// What a group allows as sorted, distinct boxes.
fn allowed_set(g: &SecurityGroup) -> Vec<PacketBox> {
    // The boxes of `allowed` without their sources (duplicates go with the dedup below).
    let mut s: Vec<PacketBox> =
        allowed_with(g, usize::MAX, Dedup::FromFirstDeny, |_, packets| packets).unwrap_or_default();
    // Equal boxes are identical: an unstable sort gives the same list.
    boxes::sort_boxes(&mut s);
    s.dedup();
    s
}

/// [`compare`] on two allowed sets.
pub fn compare_sets(index: usize, a: &[PacketBox], b: &[PacketBox]) -> Vec<Difference> {
    let mut out = Vec::new();
    compare_sets_into(index, a, b, false, usize::MAX, &mut out);
    out
}

/// [`compare_sets`], appending to `out` while it holds fewer than `limit` differences
/// (describing a box costs more than finding it); returns the verdict of all of them.
/// `sorted`: both sets are known to be sorted (as [`allowed_set`]s are).
fn compare_sets_into(
    index: usize,
    a: &[PacketBox],
    b: &[PacketBox],
    sorted: bool,
    limit: usize,
    out: &mut Vec<Difference>,
) -> Verdict {
    let mut verdict = Verdict::Exact;
    for (change, (from, to)) in [(Verdict::Narrowed, (a, b)), (Verdict::Widened, (b, a))] {
        let room = limit.saturating_sub(out.len());
        let (any, only) = set_minus_limited(from, to, sorted, room);
        if any {
            verdict = verdict.max(change);
        }
        out.extend(only.into_iter().map(|packet_box| Difference {
            group: index,
            change,
            packets: describe(&packet_box),
            packet_box: Some(packet_box),
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
    let empty = SecurityGroup::empty();
    let n = a.groups.len().max(b.groups.len());
    let mut out = Vec::new();
    let mut verdict = Verdict::Exact;
    for i in 0..n {
        let a = allowed_set(a.groups.get(i).unwrap_or(&empty));
        let b = allowed_set(b.groups.get(i).unwrap_or(&empty));
        verdict = verdict.max(compare_sets_into(i, &a, &b, true, limit, &mut out));
    }
    (verdict, out)
}

/// Compare two documents group by group (a group missing on one side allows nothing).
pub fn compare_documents(a: &Document, b: &Document) -> Vec<Difference> {
    let empty = SecurityGroup::empty();
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
