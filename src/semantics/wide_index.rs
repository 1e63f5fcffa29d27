//! The allow boxes of an ordered group that have every address, indexed for "is this box
//! inside one of an earlier rule" (see [`allowed`](super::allowed)'s walk).

use foldhash::fast::FixedState;

use super::boxes::{Label, PacketBox, all_addresses};
use crate::model::Action;

/// The allow boxes with every address, each with its rule's place in evaluation order, for
/// "is this box inside one of an earlier rule" (see [`Walk`]). A box inside one that is
/// itself inside an earlier one is inside that one too: testing against all of them, skipped
/// or not, gives the same answer as testing against those kept.
///
/// Only a box whose label constraints are a subset of `b`'s can cover `b`: the boxes are
/// grouped by their constraints and every subset of `b`'s is looked up (up to 4 labels; all
/// boxes past that).
pub(super) struct WideIndex<'a> {
    by_labels: std::collections::HashMap<&'a [(Label, bool)], Vec<WideBox<'a>>, FixedState>,
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
    pub(super) fn new(
        spans: &[(usize, Action)],
        rank: &[usize],
        boxes: &'a [PacketBox],
        count: usize,
    ) -> WideIndex<'a> {
        let mut by_labels: std::collections::HashMap<_, Vec<WideBox<'a>>, FixedState> =
            std::collections::HashMap::with_capacity_and_hasher(count, FixedState::default());
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
    pub(super) fn covers(&self, b: &PacketBox, before: usize) -> bool {
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
