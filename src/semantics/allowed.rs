//! What a group allows: its rules in evaluation order and the pieces of its allowed set
//! ([`allowed`]: each allow rule minus the deny rules evaluated before it, plus the default
//! policy), with the indexes that keep this fast on large groups.

// The sets of boxes below hash with foldhash, fixed seed: std's SipHash resists flooding,
// which boxes hashed during one comparison do not need, at several times the cost.
use foldhash::fast::FixedState;

use super::boxes::{self, PacketBox, all_addresses, subtract, subtract_pruned};
use super::deny_index::{DenyIndex, INDEX_FROM};
use super::rule::for_each_rule_box;
pub(super) use super::set_is::allowed_set_is;
use super::wide_index::WideIndex;
use crate::model::{Action, Direction, Evaluation, Family, Rule, SecurityGroup};

/// Where an allowed piece comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// The allow rule at this index of the group's `rules`.
    Rule(usize),
    /// The group's accept-by-default policy for a direction.
    Default(Direction),
}

/// A piece of a group's allowed set and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// Where it comes from.
    pub source: Source,
    /// The packets.
    pub packets: PacketBox,
}

/// The rules of a group in evaluation order, with their indices: priority ascending, deny
/// before allow at equal priority (stable) for [`Evaluation::Priority`]; list order
/// otherwise. A rule without priority in a priority group goes last.
pub fn evaluation_order(group: &SecurityGroup) -> Vec<(usize, &Rule)> {
    let rules: Vec<(usize, &Rule)> = group.rules.iter().enumerate().collect();
    if group.evaluation != Evaluation::Priority {
        return rules;
    }
    // Each rule as one number, (priority, allow after deny, index): all differ, so sorting
    // them unstably gives the stable order, at a third of the instructions of a stable sort
    // by key on 20,000 rules.
    let mut keys: Vec<u128> = rules
        .iter()
        .map(|(i, r)| {
            let priority = u128::from(r.priority().unwrap_or(u16::MAX));
            let allow = u128::from(r.action() != Action::Deny);
            // A `usize` index fits in 64 bits.
            let index = u64::try_from(*i).map_or(u128::from(u64::MAX), u128::from);
            priority.wrapping_shl(65) | allow.wrapping_shl(64) | index
        })
        .collect();
    keys.sort_unstable();
    keys.iter()
        .filter_map(|k| {
            let i = usize::try_from(k & u128::from(u64::MAX)).ok()?;
            Some((i, group.rules.get(i)?))
        })
        .collect()
}

/// What a group allows, as pieces that may overlap (their union is the set).
///
/// - AllowOnly: the union of the allow rules (default deny, deny rules ignored);
/// - Priority / FirstMatch: each allow rule minus the deny rules evaluated before it, plus,
///   for a direction whose default is allow, every packet minus all deny rules.
///
/// Disabled rules match nothing.
pub fn allowed(group: &SecurityGroup) -> Vec<Piece> {
    allowed_bounded(group, usize::MAX).unwrap_or_default()
}

/// [`allowed`], giving up (`None`) as soon as there are more than `max_pieces` pieces, so a
/// caller with a budget never builds a huge set.
pub fn allowed_bounded(group: &SecurityGroup, max_pieces: usize) -> Option<Vec<Piece>> {
    let mut dropped = Vec::new();
    allowed_with(
        group,
        Budget::kept(max_pieces),
        Dedup::Always,
        None,
        &mut dropped,
        piece,
    )
}

/// [`allowed_bounded`] for a target that can write only some boxes: a piece a deny rule's
/// cut makes that `writable` refuses is set aside as soon as it is made (every part of it
/// would be refused too: cuts only add label constraints and narrow intervals), rather than
/// cut further by every later deny rule. Returns the pieces, and for each piece set aside
/// that the deny rules do not cover, one part of it they leave (a witness), with its source.
pub(crate) fn allowed_writable(
    group: &SecurityGroup,
    max_pieces: usize,
    writable: &dyn Fn(&PacketBox) -> bool,
) -> Option<(Vec<Piece>, Vec<Piece>)> {
    let mut dropped = Vec::new();
    let pieces = allowed_with(
        group,
        Budget::kept(max_pieces),
        Dedup::Always,
        Some(writable),
        &mut dropped,
        piece,
    )?;
    Some((pieces, dropped))
}

fn piece(source: Source, packets: PacketBox) -> Piece {
    Piece { source, packets }
}

/// Whether [`allowed_with`] drops exact duplicates of earlier allow boxes from the start or
/// only once there are deny rules to subtract.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dedup {
    /// From the first rule: every piece is listed once ([`allowed_bounded`]'s list).
    Always,
    /// From the first deny rule on. Before it a duplicate is an exact copy of an earlier
    /// piece (nothing is subtracted yet), so the set of pieces is the same: for callers that
    /// sort and deduplicate anyway. Such callers also get the pieces in no particular order.
    FromFirstDeny,
}

/// What [`allowed_with`] lists: a piece with or without its source.
trait Listed {
    fn packets(&self) -> &PacketBox;
}

impl Listed for Piece {
    fn packets(&self) -> &PacketBox {
        &self.packets
    }
}

impl Listed for PacketBox {
    fn packets(&self) -> &PacketBox {
        self
    }
}

/// One rule of an ordered group, for [`allowed_with`]: its place in evaluation order and
/// where its boxes are.
#[derive(Clone, Copy)]
struct Ranked {
    /// Sort key for [`Evaluation::Priority`]: priority (none last), then deny first.
    key: (u16, bool),
    /// Index in the group's rules (the tie-break, as in a stable sort).
    index: usize,
    action: Action,
    /// The rule's boxes: `boxes[start..end]`.
    start: usize,
    end: usize,
}

/// Pieces a strict [`Budget`]'s cuts may make per piece the set may hold.
const CUT_PIECES_PER_KEPT: usize = 4;

/// How many pieces [`allowed_with`] may make before it gives up.
#[derive(Clone, Copy)]
struct Budget {
    /// Pieces in the set.
    max_pieces: usize,
    /// Also count the pieces each cut makes on its way (see [`allowed_set_strict`]).
    strict: bool,
}

impl Budget {
    /// At most `max_pieces` in the set.
    fn kept(max_pieces: usize) -> Budget {
        Budget {
            max_pieces,
            strict: false,
        }
    }

    /// How many pieces the cuts of the walk (and those of the default policy) may make in
    /// all, when strict: a few times the set's bound, as most are cut again or covered.
    fn cut_limit(self) -> usize {
        self.max_pieces.saturating_mul(CUT_PIECES_PER_KEPT)
    }
}

/// [`allowed_bounded`], each piece made by `make`; with `writable`, the pieces a cut makes
/// that it refuses go to `dropped` instead (see [`allowed_writable`]).
fn allowed_with<P: Listed>(
    group: &SecurityGroup,
    budget: Budget,
    dedup: Dedup,
    writable: Option<&dyn Fn(&PacketBox) -> bool>,
    dropped: &mut Vec<P>,
    make: impl Fn(Source, PacketBox) -> P,
) -> Option<Vec<P>> {
    let max_pieces = budget.max_pieces;
    // Room for one box per rule and a quarter more (rules with several port ranges): growing
    // a list this long copies it.
    let room = group
        .rules
        .len()
        .saturating_add(group.rules.len().checked_div(4).unwrap_or(0));
    let mut out: Vec<P> = Vec::new();
    if group.evaluation == Evaluation::AllowOnly {
        out.reserve(room);
        for (i, rule) in group.rules.iter().enumerate() {
            if rule.action() == Action::Allow {
                for_each_rule_box(rule, |packets| out.push(make(Source::Rule(i), packets)));
            }
            if out.len() > max_pieces {
                return None;
            }
        }
        return Some(out);
    }
    // Every rule's boxes, read in list order: the rules themselves are read once, in the
    // order they lie in memory (in evaluation order, reading them would jump about a large
    // list).
    let mut boxes: Vec<PacketBox> = Vec::with_capacity(room);
    let mut rules: Vec<Ranked> = Vec::with_capacity(group.rules.len());
    // In list order: where each rule's boxes end, and its action.
    let mut spans: Vec<(usize, Action)> = Vec::with_capacity(group.rules.len());
    let mut any_deny = false;
    let mut wide = 0usize;
    for (index, rule) in group.rules.iter().enumerate() {
        let action = rule.action();
        let start = boxes.len();
        for_each_rule_box(rule, |b| {
            match action {
                Action::Deny => any_deny = true,
                Action::Allow => {
                    if b.addresses == all_addresses(b.family) {
                        wide = wide.saturating_add(1);
                    }
                }
            }
            boxes.push(b);
        });
        rules.push(Ranked {
            key: (rule.priority().unwrap_or(u16::MAX), action != Action::Deny),
            index,
            action,
            start,
            end: boxes.len(),
        });
        spans.push((boxes.len(), action));
    }
    if group.evaluation == Evaluation::Priority {
        // The same order as [`evaluation_order`]'s stable sort.
        rules.sort_unstable_by_key(|r| (r.key, r.index));
    }
    // Each rule's place in evaluation order, by index (only wanted with wide boxes).
    let mut rank: Vec<usize> = Vec::new();
    if wide > 0 {
        rank.resize(rules.len(), 0);
        for (place, r) in rules.iter().enumerate() {
            if let Some(slot) = rank.get_mut(r.index) {
                *slot = place;
            }
        }
    }
    let mut denies: Vec<PacketBox> = Vec::new();
    if dedup == Dedup::FromFirstDeny && !any_deny {
        out = allowed_unordered(&spans, &rank, boxes, wide, &make);
    } else {
        out.reserve(boxes.len());
        let wide = WideIndex::new(&spans, &rank, &boxes, wide);
        // The deny boxes, in evaluation order, indexed when there are many (a lowering's
        // `writable` cut keeps the scan).
        let deny_index = writable
            .is_none()
            .then(|| {
                rules
                    .iter()
                    .filter(|r| r.action == Action::Deny)
                    .flat_map(|r| boxes.get(r.start..r.end).unwrap_or_default())
                    .collect::<Vec<&PacketBox>>()
            })
            .filter(|d| d.len() >= INDEX_FROM)
            .map(DenyIndex::new);
        let order = Walk {
            rules: &rules,
            boxes: &boxes,
            wide: &wide,
            deny_index: deny_index.as_ref(),
            dedup,
            budget,
            writable,
        };
        if !order.run(&make, &mut denies, &mut out, dropped) {
            return None;
        }
    }
    if out.len() > max_pieces {
        return None;
    }
    for direction in [Direction::Ingress, Direction::Egress] {
        if group.default_action(direction) == Action::Allow {
            let all = Family::BOTH.map(|f| PacketBox::universe(direction, f));
            let source = Source::Default(direction);
            if budget.strict && writable.is_none() {
                // Every deny box cuts the universe: count what the cuts make.
                let limit = budget.cut_limit();
                let mut made = 0usize;
                let pieces = subtract_pruned(all, &denies, &mut |_| {
                    made = made.saturating_add(1);
                    made > limit
                });
                if made > limit {
                    return None;
                }
                out.extend(pieces.into_iter().map(|packets| make(source, packets)));
                continue;
            }
            out.extend(
                cut(all, &denies, writable, &mut |p| {
                    dropped.push(make(source, p))
                })
                .into_iter()
                .map(|packets| make(source, packets)),
            );
        }
    }
    (out.len() <= max_pieces).then_some(out)
}

/// The allow pieces of an ordered group without deny rules, for [`Dedup::FromFirstDeny`]:
/// every allow box but those inside a box with every address of a rule evaluated earlier
/// (the ones [`Walk`] skips). `spans`: where each rule's boxes end, in list order; `rank`:
/// each rule's place in evaluation order, when `wide` of the boxes have every address.
/// Nothing is subtracted, so the boxes are taken in list order, and the pieces made where
/// they lie (the list of a piece no larger than a box is the list of the boxes).
fn allowed_unordered<P>(
    spans: &[(usize, Action)],
    rank: &[usize],
    boxes: Vec<PacketBox>,
    wide: usize,
    make: &impl Fn(Source, PacketBox) -> P,
) -> Vec<P> {
    // The positions of the boxes an earlier wide box covers, ascending.
    let mut covered: Vec<usize> = Vec::new();
    if wide > 0 {
        let index = WideIndex::new(spans, rank, &boxes, wide);
        let mut start = 0usize;
        for (i, &(end, _)) in spans.iter().enumerate() {
            let place = rank.get(i).copied().unwrap_or(usize::MAX);
            for (at, b) in boxes.get(start..end).unwrap_or_default().iter().enumerate() {
                if index.covers(b, place) {
                    covered.push(start.saturating_add(at));
                }
            }
            start = end;
        }
    }
    let mut covered = covered.into_iter().peekable();
    // The rule whose boxes are at hand, by its place in `spans`.
    let mut rule = 0usize;
    boxes
        .into_iter()
        .enumerate()
        .filter_map(|(at, b)| {
            while spans.get(rule).is_some_and(|&(end, _)| at >= end) {
                rule = rule.saturating_add(1);
            }
            covered
                .next_if_eq(&at)
                .is_none()
                .then(|| make(Source::Rule(rule), b))
        })
        .collect()
}

/// The ordered walk of [`allowed_with`]: each allow rule's boxes, but those already
/// allowed, minus the deny boxes before it.
struct Walk<'a> {
    /// The rules, in evaluation order.
    rules: &'a [Ranked],
    /// Their boxes.
    boxes: &'a [PacketBox],
    /// Their allow boxes with every address.
    wide: &'a WideIndex<'a>,
    /// Their deny boxes, indexed (see [`DenyIndex`]).
    deny_index: Option<&'a DenyIndex<'a>>,
    dedup: Dedup,
    /// Stop once there are more pieces.
    budget: Budget,
    /// The pieces a lowering can write (see [`allowed_writable`]).
    writable: Option<&'a dyn Fn(&PacketBox) -> bool>,
}

impl Walk<'_> {
    /// Append the pieces to `out` (those `writable` refuses to `dropped`), leaving the deny
    /// boxes in `denies`. False when a strict budget ran out (what is in `out` then is not
    /// the set).
    fn run<P: Listed>(
        &self,
        make: &impl Fn(Source, PacketBox) -> P,
        denies: &mut Vec<PacketBox>,
        out: &mut Vec<P>,
        dropped: &mut Vec<P>,
    ) -> bool {
        // Earlier allow boxes: a box inside one of them adds nothing (R_i ⊆ R_j with j < i
        // implies R_i − D_<i ⊆ R_j − D_<j), so it is skipped. Exact duplicates are found by
        // hash, containment only against boxes with every address (the costly ones, see
        // [`WideIndex`]).
        let mut seen: Option<std::collections::HashSet<PacketBox, FixedState>> = match self.dedup {
            Dedup::Always => Some(std::collections::HashSet::with_capacity_and_hasher(
                self.boxes.len(),
                FixedState::default(),
            )),
            Dedup::FromFirstDeny => None,
        };
        let mut fresh: Vec<PacketBox> = Vec::new();
        // Pieces the cuts have made, in all (counted for a strict budget).
        let mut made = 0usize;
        let limit = self.budget.cut_limit();
        for (place, r) in self.rules.iter().enumerate() {
            let rule = self.boxes.get(r.start..r.end).unwrap_or_default();
            match r.action {
                Action::Deny => {
                    if seen.is_none() {
                        // No deny so far: every piece is an allow box as it was, and those
                        // are the boxes `seen` would hold.
                        let mut set = std::collections::HashSet::with_capacity_and_hasher(
                            out.len(),
                            FixedState::default(),
                        );
                        set.extend(out.iter().map(|p| p.packets().clone()));
                        seen = Some(set);
                    }
                    denies.extend(rule.iter().cloned());
                }
                Action::Allow => {
                    fresh.clear();
                    fresh.extend(
                        rule.iter()
                            .filter(|b| {
                                !seen.as_ref().is_some_and(|s| s.contains(*b))
                                    && !self.wide.covers(b, place)
                            })
                            .cloned(),
                    );
                    if let Some(seen) = seen.as_mut() {
                        seen.extend(fresh.iter().cloned());
                    }
                    let i = r.index;
                    if denies.is_empty() {
                        out.extend(
                            fresh
                                .drain(..)
                                .map(|packets| make(Source::Rule(i), packets)),
                        );
                    } else if self.writable.is_none() {
                        // Each box less the deny boxes so far that overlap it (all of them
                        // without an index): the pieces of the cut by all of them.
                        let source = Source::Rule(i);
                        let mut count = |_: &PacketBox| {
                            made = made.saturating_add(usize::from(self.budget.strict));
                            made > limit
                        };
                        for x in fresh.drain(..) {
                            let pieces = match self.deny_index {
                                Some(index) => {
                                    let near = index.before(&x, denies.len());
                                    subtract_pruned([x], &near, &mut count)
                                }
                                None => subtract_pruned([x], denies, &mut count),
                            };
                            out.extend(pieces.into_iter().map(|packets| make(source, packets)));
                        }
                        if made > limit {
                            return false;
                        }
                    } else {
                        let source = Source::Rule(i);
                        out.extend(
                            cut(fresh.drain(..), denies, self.writable, &mut |p| {
                                dropped.push(make(source, p));
                            })
                            .into_iter()
                            .map(|packets| make(source, packets)),
                        );
                    }
                }
            }
            if out.len() > self.budget.max_pieces {
                return true;
            }
        }
        true
    }
}

/// `boxes` minus `denies`; with `writable`, each piece a cut makes that it refuses goes to
/// `drop` rather than on.
fn cut(
    boxes: impl IntoIterator<Item = PacketBox>,
    denies: &[PacketBox],
    writable: Option<&dyn Fn(&PacketBox) -> bool>,
    drop: &mut dyn FnMut(PacketBox),
) -> Vec<PacketBox> {
    match writable {
        None => subtract(boxes, denies),
        // A piece set aside may still lie inside later deny rules: only what none of them
        // holds is left out (one such part, as its witness).
        Some(writable) => boxes::subtract_pruned(boxes, denies, &mut |p| {
            if writable(p) {
                return false;
            }
            if let Some(left) = boxes::first_left(p.clone(), denies) {
                drop(left);
            }
            true
        }),
    }
}

/// What a group allows as sorted, distinct boxes.
pub(super) fn allowed_set(g: &SecurityGroup) -> Vec<PacketBox> {
    allowed_set_bounded(g, usize::MAX).unwrap_or_default()
}

/// [`allowed_set`], or `None` past `max_pieces` pieces (before deduplication).
pub(super) fn allowed_set_bounded(g: &SecurityGroup, max_pieces: usize) -> Option<Vec<PacketBox>> {
    allowed_set_within(g, Budget::kept(max_pieces))
}

/// [`allowed_set_bounded`], also giving up once the deny rules' cuts have made a few times
/// `max_pieces` pieces in all (later cuts may cover most of them): a bound on the work as
/// well as on the set.
pub(super) fn allowed_set_strict(g: &SecurityGroup, max_pieces: usize) -> Option<Vec<PacketBox>> {
    allowed_set_within(
        g,
        Budget {
            max_pieces,
            strict: true,
        },
    )
}

/// [`allowed_set_bounded`] within `budget`.
fn allowed_set_within(g: &SecurityGroup, budget: Budget) -> Option<Vec<PacketBox>> {
    // The boxes of `allowed` without their sources (duplicates go with the dedup below).
    let mut s: Vec<PacketBox> = allowed_with(
        g,
        budget,
        Dedup::FromFirstDeny,
        None,
        &mut Vec::new(),
        |_, packets| packets,
    )?;
    // Equal boxes are identical: an unstable sort gives the same list.
    boxes::sort_boxes(&mut s);
    s.dedup();
    Some(s)
}

#[cfg(test)]
mod order_tests {
    use super::*;
    use crate::model::RuleSpec;
    use proptest::prelude::*;

    proptest! {
        /// The packed sort gives the stable sort by (priority, allow after deny).
        #[test]
        fn evaluation_order_is_the_stable_order(
            rules in proptest::collection::vec((1u16..=4, any::<bool>()), 0..60)
        ) {
            let rules: Vec<Rule> = rules
                .into_iter()
                .map(|(priority, deny)| {
                    Rule::new(RuleSpec {
                        priority: Some(priority),
                        action: if deny { Action::Deny } else { Action::Allow },
                        ..RuleSpec::new(Direction::Ingress, Family::V4)
                    })
                    .unwrap()
                })
                .collect();
            let group = SecurityGroup::priority(rules).unwrap();
            let mut want: Vec<(usize, &Rule)> = group.rules.iter().enumerate().collect();
            want.sort_by_key(|(_, r)| (r.priority().unwrap_or(u16::MAX), r.action() != Action::Deny));
            let got: Vec<usize> = evaluation_order(&group).into_iter().map(|(i, _)| i).collect();
            let want: Vec<usize> = want.into_iter().map(|(i, _)| i).collect();
            prop_assert_eq!(got, want);
        }
    }
}
