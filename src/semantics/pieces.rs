//! [`Pieces`]: disjoint boxes cut down by one box at a time, each cut touching only the
//! pieces it overlaps. A few pieces are scanned; past [`SCAN`] they are indexed as
//! [`super::overlap`] indexes boxes (by protocol interval, then by first address or first
//! port per size class), so a cut costs a few lookups, not a pass over thousands of pieces.

use std::collections::{BTreeMap, BTreeSet};

use super::boxes::{Label, PacketBox, Span};
use super::overlap::{keyed, reach, size_class};

/// Up to this many pieces, a cut scans them all.
const SCAN: usize = 64;

/// A class of pieces: keyed by ports or not, protocols, size class.
type Class = (bool, Span<u8>, usize);

/// Disjoint boxes, cut down in place.
pub(crate) struct Pieces {
    slots: Vec<Option<PacketBox>>,
    free: Vec<usize>,
    len: usize,
    /// The extent of the boxes cut.
    whole: Extent,
    /// Once there are more than [`SCAN`] pieces: (first value, slot) of each, by class
    /// (none empty).
    index: Option<BTreeMap<Class, BTreeSet<(u128, usize)>>>,
    /// Room for a cut's work (the slots it hits, the pieces it makes), kept between cuts.
    scratch: (Vec<usize>, Vec<PacketBox>),
}

/// The size classes (bits) of the boxes' port and address intervals: of the boxes cut, the
/// pieces are a part of.
#[derive(Clone, Copy)]
struct Extent {
    ports: usize,
    addresses: usize,
}

impl Extent {
    fn of(b: &PacketBox) -> Extent {
        Extent {
            ports: size_class(keyed(b, true)),
            addresses: size_class(b.addresses),
        }
    }

    /// Whether a piece of this extent is keyed by ports: whether its ports are the smaller
    /// share of the whole's (pieces that all have the whole's one port are keyed by address).
    fn by_ports(self, piece: Extent) -> bool {
        match (self.ports, self.addresses) {
            (0, _) => false,
            (_, 0) => true,
            (whole_ports, whole_addresses) => {
                piece.ports.saturating_mul(whole_addresses)
                    < piece.addresses.saturating_mul(whole_ports)
            }
        }
    }

    /// A piece's class and first value.
    fn key(self, b: &PacketBox) -> (Class, u128) {
        let by_ports = self.by_ports(Extent::of(b));
        let span = keyed(b, by_ports);
        ((by_ports, b.protocols, size_class(span)), span.lo)
    }
}

impl Pieces {
    /// The pieces `boxes` (disjoint).
    pub(crate) fn new(boxes: Vec<PacketBox>) -> Pieces {
        let whole = boxes
            .iter()
            .map(Extent::of)
            .reduce(|a, b| Extent {
                ports: a.ports.max(b.ports),
                addresses: a.addresses.max(b.addresses),
            })
            .unwrap_or(Extent {
                ports: 0,
                addresses: 0,
            });
        let mut pieces = Pieces {
            slots: Vec::with_capacity(boxes.len()),
            free: Vec::new(),
            len: 0,
            whole,
            index: None,
            scratch: (Vec::new(), Vec::new()),
        };
        for b in boxes {
            pieces.insert(b);
        }
        pieces
    }

    /// How many pieces there are.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The pieces, in no order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &PacketBox> {
        self.slots.iter().flatten()
    }

    /// Whether no piece is left.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn insert(&mut self, b: PacketBox) {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                self.slots.len().saturating_sub(1)
            }
        };
        if let Some(index) = &mut self.index {
            let (class, lo) = self.whole.key(&b);
            index.entry(class).or_default().insert((lo, slot));
        }
        if let Some(s) = self.slots.get_mut(slot) {
            *s = Some(b);
        }
        self.len = self.len.saturating_add(1);
        if self.index.is_none() && self.len > SCAN {
            self.build_index();
        }
    }

    fn build_index(&mut self) {
        let mut index: BTreeMap<Class, BTreeSet<(u128, usize)>> = BTreeMap::new();
        for (slot, b) in self.slots.iter().enumerate() {
            if let Some(b) = b {
                let (class, lo) = self.whole.key(b);
                index.entry(class).or_default().insert((lo, slot));
            }
        }
        self.index = Some(index);
    }

    fn take(&mut self, slot: usize) -> Option<PacketBox> {
        let b = self.slots.get_mut(slot)?.take()?;
        if let Some(index) = &mut self.index {
            let (class, lo) = self.whole.key(&b);
            if let Some(set) = index.get_mut(&class) {
                set.remove(&(lo, slot));
                if set.is_empty() {
                    index.remove(&class);
                }
            }
        }
        self.free.push(slot);
        self.len = self.len.saturating_sub(1);
        Some(b)
    }

    /// The slots of the pieces that overlap `c`, into `out` (emptied first).
    fn overlapping(&self, c: &PacketBox, out: &mut Vec<usize>) {
        out.clear();
        let hits = |slot: &usize| {
            self.slots
                .get(*slot)
                .and_then(Option::as_ref)
                .is_some_and(|p| p.overlaps(c))
        };
        let Some(index) = &self.index else {
            out.extend((0..self.slots.len()).filter(hits));
            return;
        };
        for ((by_ports, protocols, class), set) in index {
            if !protocols.overlaps(c.protocols) {
                continue;
            }
            let span = keyed(c, *by_ports);
            let from = (span.lo.saturating_sub(reach(*class)), 0);
            out.extend(
                set.range(from..=(span.hi, usize::MAX))
                    .map(|k| k.1)
                    .filter(hits),
            );
        }
    }

    /// Take `c` away from the pieces; whether it took anything. With `labels` false, `c`'s
    /// labels are ignored (as if it had none: pieces without labels, cut by boxes that have
    /// none or only those every packet of the walk has). Each piece `c` takes is handed to
    /// `taken`.
    fn cut_with(&mut self, c: &PacketBox, labels: bool, mut taken: impl FnMut(&PacketBox)) -> bool {
        let (mut hit, mut made) = std::mem::take(&mut self.scratch);
        self.overlapping(c, &mut hit);
        made.clear();
        for slot in &hit {
            if let Some(p) = self.take(*slot) {
                taken(&p);
                p.minus_split(c, labels, &mut made);
            }
        }
        for p in made.drain(..) {
            self.insert(p);
        }
        let any = !hit.is_empty();
        self.scratch = (hit, made);
        any
    }

    /// Take `c` away from the pieces; whether it took anything. With `labels` false, `c`'s
    /// labels are ignored (as if it had none: pieces without labels, cut by boxes that have
    /// none or only those every packet of the walk has).
    pub(crate) fn cut(&mut self, c: &PacketBox, labels: bool) -> bool {
        self.cut_with(c, labels, |_| {})
    }

    /// [`Pieces::cut`] (with labels), appending to `taken` the packets of the pieces `c` takes.
    pub(crate) fn cut_keeping(&mut self, c: &PacketBox, taken: &mut Vec<PacketBox>) {
        self.cut_with(c, true, |p| taken.extend(p.intersect(c)));
    }

    /// The pieces, each given `labels` if it has none, in [`super::boxes::sort_boxes`]
    /// order (the same whatever order the cuts left them in).
    pub(crate) fn into_sorted(self, labels: &[(Label, bool)]) -> Vec<PacketBox> {
        let mut out: Vec<PacketBox> = self.slots.into_iter().flatten().collect();
        if !labels.is_empty() {
            for b in &mut out {
                if b.labels.is_empty() {
                    b.labels = labels.to_vec();
                }
            }
        }
        super::boxes::sort_boxes(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Direction, Family};
    use crate::semantics::boxes::{Span, subtract};

    /// Cutting many boxes out of one gives the pieces `subtract` gives, indexed or not.
    #[test]
    fn cuts_match_subtract() {
        let whole = PacketBox::universe(Direction::Ingress, Family::V4);
        let cuts: Vec<PacketBox> = (0u16..200)
            .map(|i| PacketBox {
                protocols: Span::one(if i % 3 == 0 { 17 } else { 6 }),
                ports: Span::new(
                    i.saturating_mul(7),
                    i.saturating_mul(7).saturating_add(i % 5),
                ),
                addresses: Span::new(u128::from(i) << 20, (u128::from(i) << 20) | 0xfff),
                ..whole.clone()
            })
            .collect();
        let mut pieces = Pieces::new(vec![whole.clone()]);
        for c in &cuts {
            assert!(pieces.cut(c, true));
        }
        let mut want = subtract([whole], &cuts);
        crate::semantics::boxes::sort_boxes(&mut want);
        assert_eq!(pieces.into_sorted(&[]), want);
    }
}
