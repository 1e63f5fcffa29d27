//! Boxes indexed for "which of them can overlap this box": bucketed by direction, family and
//! protocol interval, then by the bit length of their address interval's size (class `k`
//! holds intervals shorter than 2^k), each class sorted by first address. A box `x` can only
//! meet boxes of class `k` whose first address lies in `x.lo − 2^k ..= x.hi`: two binary
//! searches per class instead of a scan of the bucket.

use std::collections::BTreeMap;

use super::boxes::{PacketBox, Span};
use crate::model::{Direction, Family};

/// One size class of a bucket: (first address, position of the box), sorted.
type Class = Vec<(u128, usize)>;

/// An index over a list of boxes, by their positions in it.
pub(crate) struct OverlapIndex {
    buckets: BTreeMap<(Direction, Family, Span<u8>), Vec<Class>>,
}

impl OverlapIndex {
    /// The index of `boxes`, positions counted in their order.
    pub(crate) fn new<'b>(boxes: impl IntoIterator<Item = &'b PacketBox>) -> OverlapIndex {
        let mut buckets: BTreeMap<_, Vec<Class>> = BTreeMap::new();
        for (i, b) in boxes.into_iter().enumerate() {
            let classes = buckets
                .entry((b.direction, b.family, b.protocols))
                .or_insert_with(|| vec![Vec::new(); 129]);
            if let Some(class) = classes.get_mut(size_class(b.addresses)) {
                class.push((b.addresses.lo, i));
            }
        }
        for classes in buckets.values_mut() {
            for class in classes {
                class.sort_unstable();
            }
        }
        OverlapIndex { buckets }
    }

    /// The positions of the indexed boxes that may overlap `x` (same direction and family,
    /// overlapping protocols, first address in reach): a superset; callers check the overlap.
    pub(crate) fn candidates(&self, x: &PacketBox, mut f: impl FnMut(usize)) {
        let from_key = (x.direction, x.family, Span::new(0u8, 0u8));
        for ((direction, family, protocols), classes) in self.buckets.range(from_key..) {
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
                let start = class.partition_point(|(lo, _)| *lo < from);
                let end = class.partition_point(|(lo, _)| *lo <= x.addresses.hi);
                for (_, i) in class.get(start..end).unwrap_or_default() {
                    f(*i);
                }
            }
        }
    }
}

/// The bit length of an interval's size minus one: 0 for one address, 128 for every IPv6
/// address.
pub(crate) fn size_class(span: Span<u128>) -> usize {
    let size = span.hi.saturating_sub(span.lo);
    usize::try_from(u128::BITS.saturating_sub(size.leading_zeros())).unwrap_or(128)
}
