//! The deny boxes of an ordered group indexed once, in evaluation order, so that cutting an
//! allow box by "the deny boxes before it" meets only those that can overlap it
//! ([`DenyIndex::before`]) rather than every one: the walk of
//! [`allowed`](super::allowed) was allow boxes × deny boxes.
//!
//! Cutting by the overlapping deny boxes, in their order, gives the very pieces cutting by
//! all of them gives: [`subtract`](super::subtract) passes over a cut box that misses the
//! box it cuts.

use super::boxes::PacketBox;
use super::overlap::OverlapIndex;

/// Deny boxes below this many are cut by a scan: the index would cost more than it saves.
pub(super) const INDEX_FROM: usize = 64;

/// Deny boxes in evaluation order, indexed by [`OverlapIndex`].
pub(super) struct DenyIndex<'a> {
    boxes: Vec<&'a PacketBox>,
    index: OverlapIndex,
}

impl<'a> DenyIndex<'a> {
    /// The index of `denies`, in evaluation order.
    pub(super) fn new(denies: Vec<&'a PacketBox>) -> DenyIndex<'a> {
        let index = OverlapIndex::new(denies.iter().copied());
        DenyIndex {
            boxes: denies,
            index,
        }
    }

    /// Among the first `count` deny boxes, those that may overlap `x` (all that do, and
    /// some that only differ from it in group membership), in evaluation order.
    pub(super) fn before(&self, x: &PacketBox, count: usize) -> Vec<&'a PacketBox> {
        let mut at: Vec<usize> = Vec::new();
        self.index.candidates(x, |i| {
            if i < count {
                at.push(i);
            }
        });
        at.sort_unstable();
        at.dedup();
        at.into_iter()
            .filter_map(|i| self.boxes.get(i).copied())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Direction, Family};
    use crate::semantics::boxes::{Label, LabelKind, Span, subtract, subtract_each};
    use proptest::prelude::*;

    fn span<T: Copy + Ord>(a: T, b: T) -> Span<T> {
        Span::new(a.min(b), a.max(b))
    }

    prop_compose! {
        // Few values per field, so that boxes often overlap, meet at an edge or nest.
        fn packet_box()(d in 0u8..4, p in (0u8..4, 0u8..4), ports in (0u16..6, 0u16..6),
                        t in (0u8..3, 0u8..3), a in (0u128..8, 0u128..8),
                        labels in proptest::collection::btree_map("[ab]", any::<bool>(), 0..3))
                       -> PacketBox {
            PacketBox {
                direction: if d == 0 { Direction::Egress } else { Direction::Ingress },
                family: Family::V4,
                protocols: span(p.0, p.1),
                ports: span(ports.0, ports.1),
                icmp_type: span(t.0, t.1),
                icmp_code: span(0, 255),
                addresses: span(a.0, a.1),
                labels: labels
                    .into_iter()
                    .map(|(id, member)| (Label { kind: LabelKind::Group, id }, member))
                    .collect(),
            }
        }
    }

    proptest! {
        /// A box less the indexed deny boxes before a place is the box less all of them:
        /// the same pieces, in the same order.
        #[test]
        fn indexed_cut_is_the_full_cut(
            denies in proptest::collection::vec(packet_box(), 0..40),
            xs in proptest::collection::vec(packet_box(), 1..8),
            count in 0usize..45,
        ) {
            let index = DenyIndex::new(denies.iter().collect());
            let count = count.min(denies.len());
            let first = denies.get(..count).unwrap_or_default();
            for x in xs {
                let near = index.before(&x, count);
                prop_assert_eq!(subtract_each([x.clone()], &near), subtract([x], first));
            }
        }
    }
}
