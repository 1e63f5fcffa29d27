//! Boxes indexed for "which of them can overlap this box": bucketed by direction, family and
//! protocol interval, then twice: by first address and by first port, each by the bit
//! length of the interval's size (class `k` holds intervals shorter than 2^k), each class
//! sorted by first value. A box `x` can only meet boxes of class `k` whose first value lies
//! in `x.lo − 2^k ..= x.hi`: two binary searches per class instead of a scan of the bucket.
//! A query from some addresses looks the boxes up by address; a query from every address
//! (a rule from anywhere or from a remote group) by port, where the bucket has boxes of
//! fewer than all ports.

use std::collections::BTreeMap;

use super::boxes::{PacketBox, Span, all_addresses};
use crate::model::{Direction, Family};

/// One size class of a bucket: (first value, position of the box), sorted.
type Class = Vec<(u128, usize)>;

/// A bucket's key: direction, family, protocols.
type Key = (Direction, Family, Span<u8>);

/// The classes of a bucket that hold boxes, with their size class.
type Classes = Vec<(usize, Class)>;

/// An index over a list of boxes, by their positions in it: per bucket, its classes by
/// address and, where some box has fewer than all ports, by port.
pub(crate) struct OverlapIndex {
    buckets: BTreeMap<Key, (Classes, Option<Classes>)>,
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
/// it.
fn reach(k: usize) -> u128 {
    u32::try_from(k)
        .ok()
        .and_then(|k| 1u128.checked_shl(k))
        .unwrap_or(u128::MAX)
}

/// The positions in `class` (of size class `k`) of the boxes whose first value is in reach
/// of `span`.
fn in_reach(class: &Class, k: usize, span: Span<u128>) -> std::ops::Range<usize> {
    let from = span.lo.saturating_sub(reach(k));
    let start = class.partition_point(|(lo, _)| *lo < from);
    let end = class.partition_point(|(lo, _)| *lo <= span.hi);
    start..end.max(start)
}

impl OverlapIndex {
    /// The index of `boxes`, positions counted in their order.
    pub(crate) fn new<'b>(boxes: impl IntoIterator<Item = &'b PacketBox>) -> OverlapIndex {
        let mut buckets: BTreeMap<Key, [Vec<Class>; 2]> = BTreeMap::new();
        for (i, b) in boxes.into_iter().enumerate() {
            let dims = buckets
                .entry((b.direction, b.family, b.protocols))
                .or_insert_with(|| [vec![Vec::new(); 129], vec![Vec::new(); 129]]);
            for (by_ports, classes) in [false, true].into_iter().zip(dims.iter_mut()) {
                let span = keyed(b, by_ports);
                if let Some(class) = classes.get_mut(size_class(span)) {
                    class.push((span.lo, i));
                }
            }
        }
        let held = |classes: Vec<Class>| -> Classes {
            classes
                .into_iter()
                .enumerate()
                .filter(|(_, class)| !class.is_empty())
                .map(|(k, mut class)| {
                    class.sort_unstable();
                    (k, class)
                })
                .collect()
        };
        let buckets = buckets
            .into_iter()
            .map(|(key, [by_address, by_ports])| {
                let by_ports = held(by_ports);
                // Every box of all ports (class 16): a port says nothing.
                let useful = by_ports.iter().any(|(k, _)| *k < 16);
                (key, (held(by_address), useful.then_some(by_ports)))
            })
            .collect();
        OverlapIndex { buckets }
    }

    /// The positions of the indexed boxes that may overlap `x` (same direction and family,
    /// overlapping protocols, first address or first port in reach): a superset; callers
    /// check the overlap.
    pub(crate) fn candidates(&self, x: &PacketBox, mut f: impl FnMut(usize)) {
        let from_key = (x.direction, x.family, Span::new(0u8, 0u8));
        for ((direction, family, protocols), dims) in self.buckets.range(from_key..) {
            if (*direction, *family) != (x.direction, x.family) {
                break;
            }
            if !protocols.overlaps(x.protocols) {
                continue;
            }
            let (by_address, by_ports) = dims;
            let (classes, span) = match by_ports {
                Some(by_ports) if x.addresses == all_addresses(x.family) => {
                    (by_ports, keyed(x, true))
                }
                _ => (by_address, x.addresses),
            };
            for (k, class) in classes {
                for (_, i) in class.get(in_reach(class, *k, span)).unwrap_or_default() {
                    f(*i);
                }
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
