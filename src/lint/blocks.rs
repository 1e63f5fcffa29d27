//! A group's entries (its rules' boxes in evaluation order) in blocks of consecutive
//! entries, each block indexed by overlap, at several sizes: a walk in rank order asks the
//! blocks of its ranks in order and stops asking when it ends.
//!
//! Cost. A query costs a few binary searches per block asked, whether or not the block holds
//! a box it meets, so blocks of one size would make every query of a group of n rules cost
//! n / [`BLOCK`] of them (n² / [`BLOCK`] over the group). Level `l` holds blocks of
//! [`BLOCK`] << `l` entries, and a walk takes the largest block that the entries it has
//! passed allow ([`Levels::blocks`]): O(log n) blocks a walk, and a walk that ends early has
//! listed at most as many entries past its end as it passed before it, plus one block.

use std::ops::Range;

use super::walk::Entry;
use crate::semantics::{Label, OverlapIndex, PacketBox};

/// Entries per block of the finest level: a walk that ends early lists the overlapping
/// entries of at most one such block past its end, beyond what it passed.
const BLOCK: usize = 4096;

/// Some entries, indexed (semantics' overlap index over their boxes).
pub(super) struct Sub {
    /// The entries' ids, ascending (so in rank order).
    pub(super) ids: Vec<usize>,
    index: OverlapIndex,
}

impl Sub {
    fn new(entries: &[Entry], ids: Vec<usize>) -> Sub {
        let index = OverlapIndex::new(ids.iter().filter_map(|i| entries.get(*i)).map(|e| &e.bx));
        Sub { ids, index }
    }

    /// The ids of the entries overlapping `x` that `keep` keeps, pushed onto `out`.
    pub(super) fn near(
        &self,
        entries: &[Entry],
        x: &PacketBox,
        keep: &dyn Fn(&Entry) -> bool,
        out: &mut Vec<usize>,
    ) {
        self.index.candidates(x, |at| {
            if let Some(&id) = self.ids.get(at)
                && entries.get(id).is_some_and(|e| keep(e) && e.bx.overlaps(x))
            {
                out.push(id);
            }
        });
    }
}

/// The entries of a range of ranks. A rule's boxes carry the label of its remote group if
/// it names one, and no other (`semantics::rule_boxes`), so the entries split into those
/// without a label and those of each label.
pub(super) struct Block {
    /// The ranks of its entries (a superset).
    pub(super) ranks: Range<usize>,
    /// Entries without a label.
    pub(super) plain: Sub,
    /// Entries with labels, by their labels.
    pub(super) by_labels: foldhash::HashMap<Vec<(Label, bool)>, Sub>,
    /// Every entry with labels.
    pub(super) labelled: Sub,
}

impl Block {
    fn new(entries: &[Entry], ids: Range<usize>) -> Block {
        let mut plain = Vec::new();
        let mut labelled = Vec::new();
        let mut by_labels: foldhash::HashMap<Vec<(Label, bool)>, Vec<usize>> =
            foldhash::HashMap::default();
        // Entries are in rank order: the first and last give the ranks.
        let rank = |id: usize| entries.get(id).map(|e| e.rank);
        let first = rank(ids.start).unwrap_or(0);
        let last = ids.end.checked_sub(1).and_then(rank).unwrap_or(first);
        let ranks = first..last.saturating_add(1);
        for id in ids {
            let Some(e) = entries.get(id) else { continue };
            if e.bx.labels.is_empty() {
                plain.push(id);
            } else {
                labelled.push(id);
                by_labels.entry(e.bx.labels.clone()).or_default().push(id);
            }
        }
        Block {
            ranks,
            plain: Sub::new(entries, plain),
            by_labels: by_labels
                .into_iter()
                .map(|(k, ids)| (k, Sub::new(entries, ids)))
                .collect(),
            labelled: Sub::new(entries, labelled),
        }
    }
}

/// The entries in blocks of [`BLOCK`] << `level` consecutive entries, by level, up to the
/// level of one block.
pub(super) struct Levels {
    levels: Vec<Vec<Block>>,
}

impl Levels {
    /// The blocks of `entries` (in rank order), at every level.
    pub(super) fn new(entries: &[Entry]) -> Levels {
        let mut levels = Vec::new();
        let mut size = BLOCK;
        loop {
            let mut blocks = Vec::new();
            let mut from = 0usize;
            while from < entries.len() {
                let to = from.saturating_add(size).min(entries.len());
                blocks.push(Block::new(entries, from..to));
                from = to;
            }
            let whole = blocks.len() <= 1;
            levels.push(blocks);
            match size.checked_mul(2) {
                Some(next) if !whole => size = next,
                _ => break,
            }
        }
        Levels { levels }
    }

    /// The blocks a walk over the entries of `ranks` asks, in order: from the finest block
    /// holding the first, each the largest that starts where the last ended, is no larger
    /// than the entries passed since the first block's start (so a walk that ends early
    /// lists at most as many entries past its end as before it, plus one finest block) and
    /// ends by the end of the finest block holding the last.
    pub(super) fn blocks<'a>(
        &'a self,
        entries: &[Entry],
        ranks: &Range<usize>,
    ) -> impl Iterator<Item = &'a Block> + 'a {
        let first = entries.partition_point(|e| e.rank < ranks.start);
        let last = entries.partition_point(|e| e.rank < ranks.end);
        let len = entries.len();
        let start = first.checked_div(BLOCK).unwrap_or(0).saturating_mul(BLOCK);
        let end = last.div_ceil(BLOCK).saturating_mul(BLOCK).min(len);
        let mut at = start;
        std::iter::from_fn(move || {
            if at >= end {
                return None;
            }
            let passed = at.saturating_sub(start).max(BLOCK);
            let mut level = 0usize;
            while let Some(size) = BLOCK.checked_shl(u32::try_from(level.saturating_add(1)).ok()?)
                && size <= passed
                && at.checked_rem(size) == Some(0)
                && at.saturating_add(size).min(len) <= end
                && level.saturating_add(1) < self.levels.len()
            {
                level = level.saturating_add(1);
            }
            let size = BLOCK.checked_shl(u32::try_from(level).ok()?)?;
            let block = self.levels.get(level)?.get(at.checked_div(size)?)?;
            at = at.saturating_add(size);
            Some(block)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, Direction, Family};

    /// The blocks a walk asks cover its entries in order, each right after the last, from
    /// the finest block holding the first to no further than the finest holding the last,
    /// and are few.
    #[test]
    fn walks_ask_few_blocks_in_order() {
        let n = 50_000usize;
        let bx = PacketBox::universe(Direction::Ingress, Family::V4);
        let entries: Vec<Entry> = (0..n)
            .map(|id| Entry {
                rank: id / 2,
                action: Action::Allow,
                bx: bx.clone(),
            })
            .collect();
        let levels = Levels::new(&entries);
        assert!(levels.levels.len() >= 4);
        for ranks in [
            0..1,
            0..n,
            3..9000,
            2047..2049,
            5000..usize::MAX,
            24_999..25_000,
        ] {
            let ids: Vec<(usize, usize)> = levels
                .blocks(&entries, &ranks)
                .map(|b| {
                    let first = b.plain.ids.first().copied().unwrap_or(usize::MAX);
                    let last = b.plain.ids.last().copied().unwrap_or(usize::MAX);
                    (first, last)
                })
                .collect();
            let first = ranks.start.saturating_mul(2);
            let last = ranks.end.saturating_mul(2).min(n).saturating_sub(1);
            let (Some(start), Some(end)) = (ids.first(), ids.last()) else {
                panic!("no block for {ranks:?}");
            };
            assert_eq!(start.0, first / BLOCK * BLOCK, "{ranks:?}");
            assert!(end.1 >= last, "{ranks:?}: {ids:?}");
            assert!(end.1 < (last / BLOCK + 1) * BLOCK, "{ranks:?}: {ids:?}");
            for pair in ids.windows(2) {
                if let [a, b] = pair {
                    assert_eq!(b.0, a.1 + 1, "{ranks:?}: {ids:?}");
                }
            }
            // Each block after the first at most as large as the entries passed before it.
            for b in ids.iter().skip(1) {
                assert!(b.1 - b.0 < (b.0 - start.0).max(BLOCK), "{ranks:?}: {ids:?}");
            }
            assert!(ids.len() <= 2 * 5 + 2, "{ranks:?}: {} blocks", ids.len());
        }
    }
}
