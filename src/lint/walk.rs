//! The engine under the reachability findings and the minimiser: a group's rules as boxes in
//! evaluation order ([`Rules`]), and for one rule, what the rules before it leave of it and
//! what the rules after it do with that ([`Rules::decide`]): Batfish's union walk, with an
//! index so that a rule meets only the rules that overlap it.
//!
//! Cost. The boxes are indexed in blocks of consecutive ranks (at doubling sizes,
//! `super::blocks`), and a walk asks the blocks in rank order, so a walk that ends early (the
//! pieces are gone, a later rule of each action was met, or the pieces went over the budget)
//! lists few overlapping rules past that point; a rule's pieces are held in [`Pieces`], so a cut touches only the pieces it meets.
//! A rule from a remote group (every address) overlaps nearly every rule before it; with
//! the budget on pieces, its walk costs a bounded number of cuts whatever the group's size.

use std::ops::Range;

use super::MAX_RELATED;
use super::blocks::{LabelSets, Levels};
use crate::model::{Action, Evaluation, Rule, SecurityGroup};
use crate::semantics::{self, Label, PacketBox, Pieces, Span};

/// One box of one rule, in evaluation order.
pub(super) struct Entry {
    /// The rule's place in evaluation order.
    pub(super) rank: usize,
    /// The rule's action.
    pub(super) action: Action,
    /// The box.
    pub(super) bx: PacketBox,
    /// Its labels' place among the group's sets of labels ([`Rules::labels`]); `None`
    /// without labels.
    pub(super) labels: Option<usize>,
}

/// Where a rule's boxes are.
pub(super) enum Boxes {
    /// A disabled rule.
    Disabled,
    /// Matches only packets that cannot exist.
    Impossible,
    /// Not judged (a deny rule of an allow-only group: no such group passes the model's
    /// checks).
    Ignored,
    /// `entries[start..end]`.
    At(usize, usize),
}

/// Which entries a walk meets: those overlapping `boxes` (one rule's), without a label or
/// with exactly `own` labels (the rule's), and with `others` those of other labels too.
pub(super) struct Near<'q> {
    /// The boxes met.
    pub(super) boxes: &'q [PacketBox],
    /// The labels of the rule's boxes.
    pub(super) own: &'q [(Label, bool)],
    /// Their place among the group's sets of labels (`None` without labels, or for a set
    /// no entry has).
    pub(super) own_set: Option<usize>,
    /// Whether entries of other labels are met too.
    pub(super) others: bool,
}

/// A group's rules as boxes, in evaluation order, indexed.
pub(super) struct Rules<'g> {
    /// The rules in evaluation order, with their indexes in the group.
    pub(super) order: Vec<(usize, &'g Rule)>,
    /// Every rule's boxes, in evaluation order.
    pub(super) entries: Vec<Entry>,
    /// Where each rule's boxes are, by rank.
    pub(super) at: Vec<Boxes>,
    /// The entries in blocks, indexed.
    levels: Levels,
    /// The sets of labels the entries have.
    labels: LabelSets,
    /// Whether a walk may list a block's entries by what is left of the rule
    /// ([`super::blocks::Block::by_pieces`]); only tests turn it off, to compare.
    pub(super) by_pieces: bool,
}

impl<'g> Rules<'g> {
    /// The rules of `group`, indexed.
    pub(super) fn new(group: &'g SecurityGroup) -> Rules<'g> {
        let order = semantics::evaluation_order(group);
        let impossible = semantics::impossible();
        let mut labels = LabelSets::default();
        let mut entries: Vec<Entry> = Vec::with_capacity(order.len());
        let mut at: Vec<Boxes> = Vec::with_capacity(order.len());
        for (rank, (_, rule)) in order.iter().enumerate() {
            if group.evaluation == Evaluation::AllowOnly && rule.action() == Action::Deny {
                at.push(Boxes::Ignored);
                continue;
            }
            let boxes = semantics::rule_boxes(rule);
            if boxes.is_empty() {
                at.push(Boxes::Disabled);
                continue;
            }
            let real = if boxes
                .iter()
                .any(|b| impossible.iter().any(|i| b.overlaps(i)))
            {
                semantics::subtract(boxes, &impossible)
            } else {
                boxes
            };
            if real.is_empty() {
                at.push(Boxes::Impossible);
                continue;
            }
            let start = entries.len();
            for bx in real {
                let labels = labels.add(&bx.labels);
                entries.push(Entry {
                    rank,
                    action: rule.action(),
                    bx,
                    labels,
                });
            }
            at.push(Boxes::At(start, entries.len()));
        }
        let levels = Levels::new(&entries);
        Rules {
            order,
            entries,
            at,
            levels,
            labels,
            by_pieces: true,
        }
    }

    /// The boxes of the rule at `rank` (none for a rule without any).
    pub(super) fn boxes(&self, rank: usize) -> &[Entry] {
        match self.at.get(rank) {
            Some(Boxes::At(start, end)) => self.entries.get(*start..*end).unwrap_or_default(),
            _ => &[],
        }
    }

    /// Whether some entry has labels other than `own`.
    fn has_others(&self, own: &[(Label, bool)]) -> bool {
        self.labels.others(own)
    }

    /// What a walk of a rule's boxes `mine` meets: the entries without labels and those of
    /// the rule's own labels (the labels of its boxes).
    fn near<'q>(&self, mine: &'q [PacketBox], own: &'q [(Label, bool)]) -> Near<'q> {
        Near {
            boxes: mine,
            own,
            own_set: self.labels.set(own),
            others: false,
        }
    }

    /// The entries `near` meets whose ranks are in `ranks` and that `keep` keeps, handed to
    /// `f` a block at a time in rank order, until `f` says stop.
    fn each(
        &self,
        near: &Near<'_>,
        ranks: &Range<usize>,
        keep: &dyn Fn(&Entry) -> bool,
        f: &mut dyn FnMut(&[usize]) -> bool,
    ) {
        let keep = |e: &Entry| ranks.contains(&e.rank) && keep(e);
        let mut ids = Vec::new();
        for block in self.levels.blocks(&self.entries, ranks) {
            if block.ranks.end <= ranks.start || ranks.end <= block.ranks.start {
                continue;
            }
            block.list(&self.entries, near, near.boxes.iter(), &keep, &mut ids);
            if f(&ids) {
                return;
            }
        }
    }

    /// `pieces` (with `near.own` labels) cut by the entries `near` meets in `ranks` that
    /// `keep` keeps, in rank order; `touch` is told of each entry that takes something and
    /// stops the walk by returning `true`. The pieces left come sorted.
    pub(super) fn walk(
        &self,
        pieces: Vec<PacketBox>,
        near: &Near<'_>,
        ranks: Range<usize>,
        keep: &dyn Fn(&Entry) -> bool,
        limits: Limits,
        touch: impl FnMut(&Entry) -> bool,
    ) -> Walked {
        self.walk_with(pieces, near, ranks, keep, limits, touch)
    }

    fn walk_with(
        &self,
        mut pieces: Vec<PacketBox>,
        near: &Near<'_>,
        ranks: Range<usize>,
        keep: &dyn Fn(&Entry) -> bool,
        limits: Limits,
        mut touch: impl FnMut(&Entry) -> bool,
    ) -> Walked {
        // Without entries of other labels, every piece keeps the rule's labels and every
        // entry met has those or none: the walk leaves the labels out (no copies of them in
        // every piece) and puts them back at the end.
        let labels = near.others;
        if !labels {
            for p in &mut pieces {
                p.labels.clear();
            }
        }
        let mut pieces = Pieces::new(pieces);
        let mut stopped = None;
        let mut cuts = 0usize;
        let keep = |e: &Entry| ranks.contains(&e.rank) && keep(e);
        let mut ids = Vec::new();
        'blocks: for block in self.levels.blocks(&self.entries, &ranks) {
            if pieces.is_empty() {
                break;
            }
            if block.ranks.end <= ranks.start || ranks.end <= block.ranks.start {
                continue;
            }
            // An entry that takes something meets what is left: past the first cuts, what
            // is left is often a few small pieces that meet few of the entries the rule's
            // boxes meet (a rule from every address meets nearly all). Same ids taking
            // something, in the same order, either way.
            if self.by_pieces && block.by_pieces(near, &pieces) {
                block.list(&self.entries, near, pieces.iter(), &keep, &mut ids);
            } else {
                block.list(&self.entries, near, near.boxes.iter(), &keep, &mut ids);
            }
            for id in &ids {
                if pieces.is_empty() {
                    break 'blocks;
                }
                let Some(e) = self.entries.get(*id) else {
                    continue;
                };
                if !pieces.cut(&e.bx, labels) {
                    continue;
                }
                if pieces.len() > limits.pieces {
                    stopped = Some(Walked::Over);
                    break 'blocks;
                }
                cuts = cuts.saturating_add(1);
                if cuts > limits.cuts {
                    stopped = Some(Walked::Spent);
                    break 'blocks;
                }
                if touch(e) {
                    break 'blocks;
                }
            }
        }
        let own = if labels { &[][..] } else { near.own };
        stopped.unwrap_or_else(|| Walked::Left(pieces.into_sorted(own)))
    }

    /// The first entry (in rank order) in `ranks` that `near` meets, `keep` keeps and that
    /// holds the packet `point`.
    fn first_holding(
        &self,
        point: &PacketBox,
        near: &Near<'_>,
        ranks: &Range<usize>,
        keep: &dyn Fn(&Entry) -> bool,
    ) -> Option<&Entry> {
        let mut found = None;
        let one = [point.clone()];
        let at = Near {
            boxes: &one,
            ..*near
        };
        self.each(&at, ranks, keep, &mut |ids| {
            found = ids.first().and_then(|id| self.entries.get(*id));
            found.is_some()
        });
        found
    }

    /// Whether a few packets of the rule at `rank` (its boxes `near.boxes`) show that it
    /// decides some packets no other rule decides alike, without cutting its boxes: a packet
    /// no earlier rule holds that a later rule of the other action (or the other default)
    /// decides, and for a deny rule also one that a later deny rule or the default decides.
    /// `false` says nothing.
    fn needed_by_probes(
        &self,
        near: &Near<'_>,
        rank: usize,
        action: Action,
        default: Action,
        keep_earlier: &dyn Fn(&Entry) -> bool,
        keep_later: &dyn Fn(&Entry) -> bool,
    ) -> bool {
        let earlier = 0..rank;
        let later = rank.saturating_add(1)..usize::MAX;
        let mut other = false;
        let mut alike = false;
        for b in near.boxes {
            for point in corners(b) {
                if self
                    .first_holding(&point, near, &earlier, keep_earlier)
                    .is_some()
                {
                    continue;
                }
                match self.first_holding(&point, near, &later, keep_later) {
                    Some(e) if e.action != action => other = true,
                    Some(_) => alike = true,
                    None if default != action => return true,
                    None => alike = true,
                }
                if other && (alike || action == Action::Allow) {
                    return true;
                }
            }
        }
        false
    }

    /// Which later entries decide the packets of a rule of `action` at `rank` (with `gone`
    /// ranks taken out): for an allow rule, later allow rules from a remote group only ever
    /// mark packets "same" where a rule without a group must too (the packets from addresses
    /// in no group decide redundancy); leaving them out can only turn a redundant rule into
    /// a missed finding.
    fn keep_later<'a>(
        &self,
        rank: usize,
        action: Action,
        gone: &'a dyn Fn(usize) -> bool,
    ) -> impl Fn(&Entry) -> bool + 'a {
        move |e: &Entry| {
            e.rank > rank
                && !gone(e.rank)
                && (action == Action::Deny || e.bx.labels.is_empty() || e.action != action)
        }
    }

    /// The first entry (in rank order) before `rank` that `near` meets with an action other
    /// than `action`, and where it meets the rule's boxes.
    pub(super) fn first_clash(
        &self,
        near: &Near<'_>,
        rank: usize,
        action: Action,
    ) -> Option<PacketBox> {
        let mut found = None;
        self.each(near, &(0..rank), &|e| e.action != action, &mut |ids| {
            found = ids
                .iter()
                .filter_map(|id| self.entries.get(*id))
                .find_map(|e| near.boxes.iter().find_map(|b| b.intersect(&e.bx)));
            found.is_some()
        });
        found
    }

    /// What the rule at `rank` does, its boxes `mine` (and `gone` tells which later ranks are
    /// taken out of the group). `None` when a walk went over `max` pieces.
    pub(super) fn decide(
        &self,
        group: &SecurityGroup,
        rank: usize,
        mine: &[PacketBox],
        max: usize,
        gone: &dyn Fn(usize) -> bool,
    ) -> Option<Decision> {
        let limits = Limits {
            pieces: max,
            cuts: PROBE_AFTER,
        };
        match self.decide_within(group, rank, mine, limits, gone) {
            Err(Walked::Spent) => {}
            Err(_) => return None,
            Ok(decision) => return Some(decision),
        }
        let (_, rule) = self.order.get(rank)?;
        let own = mine.first().map(|b| b.labels.clone()).unwrap_or_default();
        let near = self.near(mine, &own);
        let action = rule.action();
        let default = group.default_action(rule.direction());
        let keep_later = self.keep_later(rank, action, gone);
        if self.needed_by_probes(
            &near,
            rank,
            action,
            default,
            &|e| !gone(e.rank),
            &keep_later,
        ) {
            return Some(Decision::Needed);
        }
        let unlimited = Limits {
            pieces: max,
            cuts: usize::MAX,
        };
        self.decide_within(group, rank, mine, unlimited, gone).ok()
    }

    /// [`Rules::decide`] within `limits`: a walk past them is the error. [`Rules::decide`]
    /// probes a rule whose walks go past the cuts allowed (a few of its packets followed
    /// through the group, [`Rules::needed_by_probes`]) before it walks without that limit.
    fn decide_within(
        &self,
        group: &SecurityGroup,
        rank: usize,
        mine: &[PacketBox],
        limits: Limits,
        gone: &dyn Fn(usize) -> bool,
    ) -> Result<Decision, Walked> {
        let Some((_, rule)) = self.order.get(rank) else {
            return Ok(Decision::Needed);
        };
        let action = rule.action();
        // Only earlier boxes whose groups are among the rule's can cover it: a box "from
        // members of G" leaves the packets from addresses in no group, and those are in
        // every box of the rule (its only labels are its own remote group). Leaving the
        // others out keeps the test exact and makes `rest` a superset of what the rule
        // decides, which keeps the redundancy test below sound (it may miss, never invent).
        let own = mine.first().map(|b| b.labels.clone()).unwrap_or_default();
        let near = self.near(mine, &own);
        let keep_earlier = |e: &Entry| !gone(e.rank);
        let mut blockers = Named::default();
        let rest = match self.walk(mine.to_vec(), &near, 0..rank, &keep_earlier, limits, |e| {
            blockers.add(e.rank);
            false
        }) {
            Walked::Left(rest) => rest,
            stopped => return Err(stopped),
        };
        if rest.is_empty() {
            return Ok(Decision::Shadowed {
                blockers,
                clash: self.first_clash(&near, rank, action),
            });
        }
        // The packets this rule decides: without it, the later rules or the default would.
        let keep = self.keep_later(rank, action, gone);
        let later = rank.saturating_add(1)..usize::MAX;
        let default = group.default_action(rule.direction());
        let decide = |near: &Near<'_>| -> Result<Decision, Walked> {
            let mut same = Named::default();
            let mut opposite = Named::default();
            let walked = self.walk(rest.clone(), near, later.clone(), &keep, limits, |e| {
                if e.action == action {
                    same.add(e.rank);
                } else {
                    opposite.add(e.rank);
                }
                !same.is_empty() && !opposite.is_empty()
            });
            let Walked::Left(left) = walked else {
                return Err(walked);
            };
            let to_default = !left.is_empty();
            let witness = rest.first().cloned();
            Ok(if !same.is_empty() && !opposite.is_empty() {
                Decision::Needed
            } else if opposite.is_empty() && !(to_default && default != action) {
                Decision::Redundant {
                    same,
                    to_default,
                    witness,
                }
            } else if action == Action::Deny && same.is_empty() && !to_default {
                Decision::DenyException { opposite, witness }
            } else {
                Decision::Needed
            })
        };
        // First without the rules of other groups than the rule's: they only decide packets
        // from their members, so whatever the rule's packets from addresses in no such group
        // show (both actions among the later rules, or a default of the other action) holds
        // with them too, and only a finding needs the walk with them.
        let first = decide(&near)?;
        if matches!(first, Decision::Needed) || !self.has_others(&own) {
            return Ok(first);
        }
        decide(&Near {
            others: true,
            ..near
        })
    }
}

/// How far a walk may go.
#[derive(Clone, Copy)]
pub(super) struct Limits {
    /// The most pieces.
    pub(super) pieces: usize,
    /// The most cuts (entries that take something).
    pub(super) cuts: usize,
}

/// How a walk ended.
pub(super) enum Walked {
    /// The pieces left, sorted.
    Left(Vec<PacketBox>),
    /// The pieces went over [`Limits::pieces`].
    Over,
    /// The cuts went over [`Limits::cuts`].
    Spent,
}

/// Cuts after which a rule is probed ([`Rules::needed_by_probes`]) before its walks go on.
const PROBE_AFTER: usize = 32;

/// Packets of `b` at its corners: every interval at its start, every interval at its end,
/// and the two mixes of the address's ends with the other intervals' (one packet each).
fn corners(b: &PacketBox) -> [PacketBox; 4] {
    let at = |lo: bool, address_lo: bool| PacketBox {
        direction: b.direction,
        family: b.family,
        protocols: Span::one(if lo { b.protocols.lo } else { b.protocols.hi }),
        ports: Span::one(if lo { b.ports.lo } else { b.ports.hi }),
        icmp_type: Span::one(if lo { b.icmp_type.lo } else { b.icmp_type.hi }),
        icmp_code: Span::one(if lo { b.icmp_code.lo } else { b.icmp_code.hi }),
        addresses: Span::one(if address_lo {
            b.addresses.lo
        } else {
            b.addresses.hi
        }),
        labels: b.labels.clone(),
    };
    [
        at(true, true),
        at(false, false),
        at(true, false),
        at(false, true),
    ]
}

/// The ranks of the rules a decision names: the first [`MAX_RELATED`] met (a walk meets
/// them in rank order) and how many were met in all. Past the first few a walk only counts.
#[derive(Default)]
pub(super) struct Named {
    /// The first ranks met, ascending.
    pub(super) first: Vec<usize>,
    /// How many ranks were met.
    pub(super) total: usize,
    /// The last rank met (a rule of several boxes is met once per box, in a row).
    last: Option<usize>,
}

impl Named {
    /// Count `rank` (once, however many of its boxes a walk meets in a row).
    fn add(&mut self, rank: usize) {
        if self.last == Some(rank) {
            return;
        }
        self.last = Some(rank);
        self.total = self.total.saturating_add(1);
        if self.first.len() < MAX_RELATED {
            self.first.push(rank);
        }
    }

    /// Whether none was met.
    pub(super) fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// What one rule does in its group.
pub(super) enum Decision {
    /// Rules before it decide all its packets: the ranks of those that take some, and where
    /// the first of the other action meets it (if one does).
    Shadowed {
        blockers: Named,
        clash: Option<PacketBox>,
    },
    /// Without it, the ranks `same` (and the default, `to_default`) decide its packets
    /// alike; `witness` is some of them.
    Redundant {
        same: Named,
        to_default: bool,
        witness: Option<PacketBox>,
    },
    /// A deny whose packets all go to the later allow rules `opposite`.
    DenyException {
        opposite: Named,
        witness: Option<PacketBox>,
    },
    /// It decides some packets no other rule decides alike.
    Needed,
}
