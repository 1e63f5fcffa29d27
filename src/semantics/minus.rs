//! The difference of two packet sets ([`set_minus`]), ignoring the packets the model cannot
//! hold ([`impossible`]): the boxes cut out are found through an index ([`CutIndex`]) rather
//! than by a scan.

use super::boxes::{self, PacketBox, Span};
use crate::model::{Direction, Family};

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
pub(super) fn set_minus_limited(
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
///
/// [`subtract`]: super::subtract
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
