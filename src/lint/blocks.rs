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

use super::walk::{Entry, Near};
use crate::semantics::{Label, OverlapIndex, PacketBox, Pieces};

/// Entries per block of the finest level: a walk that ends early lists the overlapping
/// entries of at most one such block past its end, beyond what it passed.
const BLOCK: usize = 4096;

/// The sets of labels a group's entries have, each by its place (the order first met), with
/// how many entries have it.
#[derive(Default)]
pub(super) struct LabelSets {
    sets: foldhash::HashMap<Vec<(Label, bool)>, (usize, usize)>,
    /// How many entries have labels.
    all: usize,
}

impl LabelSets {
    /// Count an entry of `labels`; the place of its set (`None` without labels).
    pub(super) fn add(&mut self, labels: &[(Label, bool)]) -> Option<usize> {
        if labels.is_empty() {
            return None;
        }
        self.all = self.all.saturating_add(1);
        let next = self.sets.len();
        let set = match self.sets.get_mut(labels) {
            Some(set) => set,
            None => self.sets.entry(labels.to_vec()).or_insert((next, 0)),
        };
        set.1 = set.1.saturating_add(1);
        Some(set.0)
    }

    /// The place of the set `labels` (`None` without labels or for a set no entry has).
    pub(super) fn set(&self, labels: &[(Label, bool)]) -> Option<usize> {
        self.sets.get(labels).map(|(set, _)| *set)
    }

    /// Whether some entry has labels other than `own`.
    pub(super) fn others(&self, own: &[(Label, bool)]) -> bool {
        self.all > self.sets.get(own).map_or(0, |(_, n)| *n)
    }
}

/// Up to this many entries, a [`Sub`] is scanned, not indexed (a rule's remote group is
/// often named by that rule alone).
const SCAN: usize = 16;

/// Some entries, indexed (semantics' overlap index over their boxes) unless they are few.
pub(super) struct Sub {
    /// The entries' ids, ascending (so in rank order).
    pub(super) ids: Vec<usize>,
    index: Option<OverlapIndex>,
}

impl Sub {
    fn new(entries: &[Entry], ids: Vec<usize>) -> Sub {
        let index = (ids.len() > SCAN)
            .then(|| OverlapIndex::new(ids.iter().filter_map(|i| entries.get(*i)).map(|e| &e.bx)));
        Sub { ids, index }
    }

    /// How many entries a [`Sub::near`] of `x` looks at (the index's candidates).
    pub(super) fn count(&self, x: &PacketBox) -> usize {
        self.index
            .as_ref()
            .map_or(self.ids.len(), |index| index.count(x))
    }

    /// The ids of the entries overlapping `x` that `keep` keeps, pushed onto `out`.
    pub(super) fn near(
        &self,
        entries: &[Entry],
        x: &PacketBox,
        keep: &dyn Fn(&Entry) -> bool,
        out: &mut Vec<usize>,
    ) {
        let mut meets = |id: usize| {
            if entries.get(id).is_some_and(|e| keep(e) && e.bx.overlaps(x)) {
                out.push(id);
            }
        };
        match &self.index {
            Some(index) => index.candidates(x, |at| {
                if let Some(&id) = self.ids.get(at) {
                    meets(id);
                }
            }),
            None => self.ids.iter().for_each(|id| meets(*id)),
        }
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
    /// Entries with labels, by their set of labels (`Entry::labels`).
    pub(super) by_labels: foldhash::HashMap<usize, Sub>,
    /// Every entry with labels.
    pub(super) labelled: Sub,
}

impl Block {
    fn new(entries: &[Entry], ids: Range<usize>) -> Block {
        let mut plain = Vec::new();
        let mut labelled = Vec::new();
        let mut by_labels: foldhash::HashMap<usize, Vec<usize>> = foldhash::HashMap::default();
        // Entries are in rank order: the first and last give the ranks.
        let rank = |id: usize| entries.get(id).map(|e| e.rank);
        let first = rank(ids.start).unwrap_or(0);
        let last = ids.end.checked_sub(1).and_then(rank).unwrap_or(first);
        let ranks = first..last.saturating_add(1);
        for id in ids {
            let Some(e) = entries.get(id) else { continue };
            match e.labels {
                None => plain.push(id),
                Some(set) => {
                    labelled.push(id);
                    by_labels.entry(set).or_default().push(id);
                }
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

/// How many candidates of the rule's boxes one lookup of a piece is worth: a lookup is a
/// few binary searches per size class, a candidate that meets the rule is an overlap test
/// and a cut.
const PIECE_COST: usize = 4;

impl Block {
    /// The subs a walk of `near` asks: the entries without a label, and those of the rule's
    /// own labels (or, with `near.others`, every labelled entry).
    fn subs(&self, near: &Near<'_>) -> [Option<&Sub>; 2] {
        let labelled = if near.others {
            Some(&self.labelled)
        } else {
            near.own_set.and_then(|set| self.by_labels.get(&set))
        };
        [Some(&self.plain), labelled]
    }

    /// The entries (of `entries`) that `near` meets here, that overlap one of `boxes` (the
    /// rule's boxes or a part of them) and that `keep` keeps: their ids, ascending (so in
    /// rank order), into `ids`.
    pub(super) fn list<'x>(
        &self,
        entries: &[Entry],
        near: &Near<'_>,
        boxes: impl Iterator<Item = &'x PacketBox>,
        keep: &dyn Fn(&Entry) -> bool,
        ids: &mut Vec<usize>,
    ) {
        ids.clear();
        let subs = self.subs(near);
        for b in boxes {
            for sub in subs.iter().flatten() {
                sub.near(entries, b, keep, ids);
            }
        }
        ids.sort_unstable();
        ids.dedup();
    }

    /// Whether a walk lists the entries here by what is left of the rule (`pieces`) rather
    /// than by its boxes: when there are no more pieces than boxes, or when the boxes'
    /// candidates here outnumber the lookups of the pieces.
    pub(super) fn by_pieces(&self, near: &Near<'_>, pieces: &Pieces) -> bool {
        let n = pieces.len();
        if n <= near.boxes.len() {
            return true;
        }
        let subs = self.subs(near);
        let cost = n.saturating_mul(PIECE_COST);
        let size = subs
            .iter()
            .flatten()
            .fold(0usize, |n, sub| n.saturating_add(sub.ids.len()));
        if cost >= size {
            return false;
        }
        let count = near.boxes.iter().fold(0usize, |n, b| {
            subs.iter()
                .flatten()
                .fold(n, |n, sub| n.saturating_add(sub.count(b)))
        });
        cost < count
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
                labels: None,
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

#[cfg(test)]
mod by_pieces_tests {
    use proptest::prelude::*;

    use super::super::walk::{Decision, Named, Rules};
    use crate::model::*;
    use crate::semantics::PacketBox;

    /// Nested networks (a /8, /16s and /24s in it, and one beside it), so that rules cut
    /// each other into many pieces.
    const NETS: &[&str] = &[
        "10.0.0.0/8",
        "10.1.0.0/16",
        "10.2.0.0/16",
        "10.1.1.0/24",
        "10.1.2.0/24",
        "10.2.3.0/24",
        "11.0.0.0/8",
    ];
    const PORTS: &[(u64, u64)] = &[(22, 22), (80, 80), (1, 1024), (443, 443), (8000, 9000)];

    fn rule() -> impl Strategy<Value = Rule> {
        (
            any::<(bool, bool)>(),
            0..5usize,
            0..PORTS.len(),
            0..10usize,
            0..3u16,
        )
            .prop_map(|((ingress, deny), proto, port, remote, priority)| {
                let direction = if ingress {
                    Direction::Ingress
                } else {
                    Direction::Egress
                };
                let mut spec = RuleSpec::new(direction, Family::V4);
                spec.protocol = match proto {
                    0 => Protocol::Any,
                    1 | 2 => Protocol::TCP,
                    3 => Protocol::UDP,
                    _ => Protocol::ICMP,
                };
                if spec.protocol.has_ports()
                    && let Some((from, to)) = PORTS.get(port)
                    && let Ok(range) = PortRange::new(*from, *to)
                {
                    spec.ports = PortSet::from_ranges([range]);
                }
                spec.remote = match remote {
                    0 => Remote::Any,
                    1 => Remote::Group("g1".into()),
                    2 => Remote::Group("g2".into()),
                    n => NETS
                        .get(n % NETS.len())
                        .and_then(|net| net.parse().ok())
                        .map_or(Remote::Any, Remote::Cidr),
                };
                if deny {
                    spec.action = Action::Deny;
                }
                spec.priority = Some(priority.saturating_add(1));
                Rule::new(spec).expect("generated rule is valid")
            })
    }

    fn named(n: &Named) -> (Vec<usize>, usize) {
        (n.first.clone(), n.total)
    }

    /// What a decision says, comparable.
    fn said(d: Option<Decision>) -> String {
        match d {
            None => "over".to_owned(),
            Some(Decision::Needed) => "needed".to_owned(),
            Some(Decision::Shadowed { blockers, clash }) => {
                format!("shadowed {:?} {clash:?}", named(&blockers))
            }
            Some(Decision::Redundant {
                same,
                to_default,
                witness,
            }) => format!("redundant {:?} {to_default} {witness:?}", named(&same)),
            Some(Decision::DenyException { opposite, witness }) => {
                format!("exception {:?} {witness:?}", named(&opposite))
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// A walk decides every rule alike whether it lists entries by the rule's boxes or by
        /// what is left of them, with or without rules taken out, within a budget of pieces
        /// some walks go over.
        #[test]
        fn listing_by_pieces_decides_alike(
            rules in proptest::collection::vec(rule(), 1..120),
            gone_every in 0..4usize,
            max in prop_oneof![Just(8usize), Just(4096usize)],
        ) {
            let mut group = SecurityGroup::empty();
            group.evaluation = Evaluation::Priority;
            group.rules = rules;
            let mut rules = Rules::new(&group);
            let gone = |rank: usize| gone_every > 0 && rank % 4 < gone_every.saturating_sub(1);
            let ranks = rules.order.len();
            let decide = |rules: &Rules<'_>, rank: usize| {
                let mine: Vec<PacketBox> = rules.boxes(rank).iter().map(|e| e.bx.clone()).collect();
                if mine.is_empty() {
                    return String::new();
                }
                said(rules.decide(&group, rank, &mine, max, &gone))
            };
            let by_pieces: Vec<String> = (0..ranks).map(|rank| decide(&rules, rank)).collect();
            rules.by_pieces = false;
            let by_boxes: Vec<String> = (0..ranks).map(|rank| decide(&rules, rank)).collect();
            prop_assert_eq!(by_pieces, by_boxes);
        }
    }
}
