//! Boxes indexed for "which of them can overlap this box": bucketed by direction, family and
//! protocol interval, then twice: by first address and by first port, each by the bit
//! length of the interval's size (class `k` holds intervals shorter than 2^k), each class
//! sorted by first value. A box `x` can only meet boxes of class `k` whose first value lies
//! in `x.lo − (2^k − 1) ..= x.hi`: two binary searches per class instead of a scan of the
//! bucket. Each box's other intervals are held beside its first value, so a box of that
//! run that misses `x` on one of them is passed over without reading the box: the boxes
//! listed are those that meet `x` on every interval.
//! A query from some addresses looks the boxes up by address; a query from every address
//! (a rule from anywhere or from a remote group) by port, where the bucket has boxes of
//! fewer than all ports.

use std::collections::BTreeMap;
use std::ops::Range;

use super::boxes::{PacketBox, Span, all_addresses};
use crate::model::{Direction, Family};

/// A box as a class holds it besides its first value: what the overlap test needs of its
/// intervals beyond its bucket (protocols) and that value, and its position.
#[derive(Clone, Copy)]
struct Held {
    /// Its last address.
    addresses_hi: u128,
    /// Its ports.
    ports: Span<u16>,
    /// Its ICMP types and codes.
    icmp: (Span<u8>, Span<u8>),
    /// Its position in the indexed list.
    at: usize,
}

impl Held {
    /// Whether the box meets `x` on every interval, given that it is in a bucket of `x`'s
    /// direction and family whose protocols meet `x`'s and that its first value (address or
    /// port) is in reach of `x`'s: its last address is not below `x`'s first (a query by
    /// port is from every address), and the ports and ICMP types and codes meet.
    fn meets(&self, x: &PacketBox) -> bool {
        self.addresses_hi >= x.addresses.lo
            && self.ports.overlaps(x.ports)
            && self.icmp.0.overlaps(x.icmp_type)
            && self.icmp.1.overlaps(x.icmp_code)
    }
}

/// One size class of a bucket: the size class, the first values (sorted), and the boxes in
/// that order (then by position).
struct Class {
    k: usize,
    lo: Vec<u128>,
    held: Vec<Held>,
}

/// A bucket's key: direction, family, protocols.
type Key = (Direction, Family, Span<u8>);

/// An index over a list of boxes, by their positions in it: per bucket, its classes by
/// address and, where some box has fewer than all ports, by port.
pub(crate) struct OverlapIndex {
    buckets: BTreeMap<Key, (Vec<Class>, Option<Vec<Class>>)>,
}

/// The interval a box is keyed by: its ports (`by_ports`) or its addresses.
pub(crate) fn keyed(b: &PacketBox, by_ports: bool) -> Span<u128> {
    if by_ports {
        Span::new(u128::from(b.ports.lo), u128::from(b.ports.hi))
    } else {
        b.addresses
    }
}

/// How far before a query's first value a box of size class `k` may start and still meet
/// it: its last value is at most `2^k − 1` past its first.
pub(crate) fn reach(k: usize) -> u128 {
    u32::try_from(k)
        .ok()
        .and_then(|k| 1u128.checked_shl(k))
        .map_or(u128::MAX, |size| size.saturating_sub(1))
}

impl Class {
    /// The positions in the class of the boxes whose first value is in reach of `span`.
    fn in_reach(&self, span: Span<u128>) -> Range<usize> {
        let from = span.lo.saturating_sub(reach(self.k));
        let start = self.lo.partition_point(|lo| *lo < from);
        let end = self.lo.partition_point(|lo| *lo <= span.hi);
        start..end.max(start)
    }

    /// The classes of `items` (size class, first value, box), none empty.
    fn all(mut items: Vec<(usize, u128, Held)>) -> Vec<Class> {
        items.sort_unstable_by_key(|(k, lo, held)| (*k, *lo, held.at));
        let mut classes: Vec<Class> = Vec::new();
        for (k, lo, held) in items {
            match classes.last_mut() {
                Some(class) if class.k == k => {
                    class.lo.push(lo);
                    class.held.push(held);
                }
                _ => classes.push(Class {
                    k,
                    lo: vec![lo],
                    held: vec![held],
                }),
            }
        }
        classes
    }
}

impl OverlapIndex {
    /// The index of `boxes`, positions counted in their order.
    pub(crate) fn new<'b>(boxes: impl IntoIterator<Item = &'b PacketBox>) -> OverlapIndex {
        type Items = Vec<(usize, u128, Held)>;
        let mut buckets: BTreeMap<Key, [Items; 2]> = BTreeMap::new();
        for (at, b) in boxes.into_iter().enumerate() {
            let dims = buckets
                .entry((b.direction, b.family, b.protocols))
                .or_default();
            let held = Held {
                addresses_hi: b.addresses.hi,
                ports: b.ports,
                icmp: (b.icmp_type, b.icmp_code),
                at,
            };
            for (by_ports, items) in [false, true].into_iter().zip(dims.iter_mut()) {
                let span = keyed(b, by_ports);
                items.push((size_class(span), span.lo, held));
            }
        }
        let buckets = buckets
            .into_iter()
            .map(|(key, [by_address, by_ports])| {
                let by_ports = Class::all(by_ports);
                // Every box of all ports (class 16): a port says nothing.
                let useful = by_ports.iter().any(|class| class.k < 16);
                (key, (Class::all(by_address), useful.then_some(by_ports)))
            })
            .collect();
        OverlapIndex { buckets }
    }

    /// The positions of the indexed boxes that meet `x` on every interval (same direction
    /// and family, overlapping protocols, ports, ICMP types and codes, and addresses): the
    /// boxes that overlap `x` and others that only differ from it in group membership;
    /// callers check the labels (or the whole overlap).
    pub(crate) fn candidates(&self, x: &PacketBox, mut f: impl FnMut(usize)) {
        self.in_reach(x, |class, range| {
            for held in class.held.get(range).unwrap_or_default() {
                if held.meets(x) {
                    f(held.at);
                }
            }
        });
    }

    /// How many boxes [`OverlapIndex::candidates`] looks at for `x` (two binary searches a
    /// class, no box touched): at least as many as it lists.
    pub(crate) fn count(&self, x: &PacketBox) -> usize {
        let mut n = 0usize;
        self.in_reach(x, |_, range| n = n.saturating_add(range.len()));
        n
    }

    /// The classes that may hold boxes overlapping `x`, each with the positions in it of the
    /// boxes whose first value is in reach.
    fn in_reach(&self, x: &PacketBox, mut f: impl FnMut(&Class, Range<usize>)) {
        let from_key = (x.direction, x.family, Span::new(0u8, 0u8));
        for ((direction, family, protocols), (by_address, by_ports)) in
            self.buckets.range(from_key..)
        {
            if (*direction, *family) != (x.direction, x.family) {
                break;
            }
            if !protocols.overlaps(x.protocols) {
                continue;
            }
            let (classes, span) = match by_ports {
                Some(by_ports) if x.addresses == all_addresses(x.family) => {
                    (by_ports, keyed(x, true))
                }
                _ => (by_address, x.addresses),
            };
            for class in classes {
                f(class, class.in_reach(span));
            }
        }
    }
}

/// The bit length of an interval's size minus one: 0 for one value, 128 for every IPv6
/// address.
pub(crate) fn size_class(span: Span<u128>) -> usize {
    let size = span.hi.saturating_sub(span.lo);
    usize::try_from(u128::BITS.saturating_sub(size.leading_zeros())).unwrap_or(128)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn span<T: Copy + Ord>(a: T, b: T) -> Span<T> {
        Span::new(a.min(b), a.max(b))
    }

    prop_compose! {
        // Few values per interval, each sometimes whole, so that boxes often meet, miss by
        // one, or come from every address (looked up by port).
        fn packet_box()(d: bool, v4: bool, p in (0u8..4, 0u8..4, any::<bool>()),
                        ports in (0u16..40, 0u16..40, any::<bool>()),
                        t in (0u8..3, 0u8..3), c in (0u8..3, 0u8..3),
                        a in (0u128..300, 0u128..300, 0u8..3)) -> PacketBox {
            let family = if v4 { Family::V4 } else { Family::V6 };
            PacketBox {
                direction: if d { Direction::Ingress } else { Direction::Egress },
                family,
                protocols: if p.2 { Span::new(0, 255) } else { span(p.0, p.1) },
                ports: if ports.2 { Span::new(0, u16::MAX) } else { span(ports.0, ports.1) },
                icmp_type: span(t.0, t.1),
                icmp_code: span(c.0, c.1),
                addresses: match a.2 {
                    0 => all_addresses(family),
                    // A prefix's size, as rules have.
                    1 => Span::new(a.0 & !63, (a.0 & !63) | 63),
                    _ => span(a.0, a.1),
                },
                labels: Vec::new(),
            }
        }
    }

    proptest! {
        /// The candidates are exactly the boxes that overlap the query, each once.
        #[test]
        fn candidates_are_the_overlapping_boxes(
            boxes in proptest::collection::vec(packet_box(), 0..60),
            queries in proptest::collection::vec(packet_box(), 1..8),
        ) {
            let index = OverlapIndex::new(&boxes);
            for x in &queries {
                let mut listed = Vec::new();
                index.candidates(x, |i| listed.push(i));
                let mut sorted = listed.clone();
                sorted.sort_unstable();
                sorted.dedup();
                prop_assert_eq!(sorted.len(), listed.len());
                let want: Vec<usize> = (0..boxes.len())
                    .filter(|i| boxes.get(*i).is_some_and(|b| b.overlaps(x)))
                    .collect();
                prop_assert_eq!(sorted, want);
                prop_assert!(index.count(x) >= listed.len());
            }
        }
    }
}
