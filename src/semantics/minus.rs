//! The difference of two packet sets ([`set_minus`]), ignoring the packets the model cannot
//! hold ([`impossible`]): the boxes cut out are found through an index ([`CutIndex`]) rather
//! than by a scan.

use super::boxes::{self, PacketBox, Span};
use super::overlap::OverlapIndex;
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

/// Cut boxes indexed for "which of them can overlap this box" ([`OverlapIndex`]).
struct CutIndex<'a> {
    cut: Vec<&'a PacketBox>,
    index: OverlapIndex,
}

impl<'a> CutIndex<'a> {
    /// The index of the boxes of `cut`, positions counted in its order.
    fn new(cut: impl IntoIterator<Item = &'a PacketBox>) -> CutIndex<'a> {
        let cut: Vec<&'a PacketBox> = cut.into_iter().collect();
        let index = OverlapIndex::new(cut.iter().copied());
        CutIndex { cut, index }
    }

    /// Every cut box that overlaps `x`: first those whose labels `x` already decides (they
    /// cut it as a box without labels would), then those that would split it into members
    /// and non-members of a group; each by first address, then position in the cut list.
    /// Cutting by the first kind first leaves the second fewer pieces to split, or none.
    fn near(&self, x: &PacketBox) -> Vec<&'a PacketBox> {
        let mut out: Vec<(bool, usize, &'a PacketBox)> = Vec::new();
        self.index.candidates(x, |i| {
            if let Some(c) = self.cut.get(i).copied().filter(|c| c.overlaps(x)) {
                let splits = c.labels.iter().any(|(l, _)| x.label(l).is_none());
                out.push((splits, i, c));
            }
        });
        out.sort_by_key(|(splits, i, c)| (*splits, c.addresses.lo, *i));
        out.into_iter().map(|(_, _, c)| c).collect()
    }
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
        let pieces = boxes::subtract_pruned([x.clone()], &near, &mut |p| out.useless(p));
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
