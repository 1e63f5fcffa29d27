//! Two groups compared without building either's allowed set, for groups whose sets would be
//! too large to build (a long list of deny rules naming remote groups cuts every later allow
//! rule into many pieces, most of them the same few packets "not in group G").
//!
//! A box's packets that a group does not allow are found by walking the box through the
//! group's rules that overlap it, in evaluation order ([`Decisions::not_allowed`]): an allow
//! rule takes its part away, a deny rule takes its part away and keeps it, and what is left
//! at the end goes by the default. Then `a − b` is the union, over the allow boxes `x` of
//! `a`, of `(x − allowed(b)) − (the deny boxes of a before x)`: the two subtractions
//! commute, and taking `allowed(b)` first leaves only the few packets the groups disagree
//! on to cut by `a`'s deny rules.

use super::allowed::evaluation_order;
use super::boxes::{Label, PacketBox, subtract_each};
use super::overlap::OverlapIndex;
use super::pieces::Pieces;
use super::rule::for_each_rule_box;
use crate::model::{Action, Direction, Evaluation, Family, SecurityGroup};

/// A group's boxes in evaluation order, indexed.
pub(super) struct Decisions {
    /// (action, box), in evaluation order (deny rules of an allow-only group left out: they
    /// decide nothing).
    boxes: Vec<(Action, PacketBox)>,
    /// Built on the first walk (most comparisons never walk).
    index: std::cell::OnceCell<OverlapIndex>,
    /// The default action, ingress then egress.
    defaults: [Action; 2],
}

/// A group's (action, box) pairs in evaluation order, made one rule at a time.
struct Boxes<'a> {
    /// The rules left, in evaluation order.
    order: std::vec::IntoIter<(usize, &'a crate::model::Rule)>,
    allow_only: bool,
    /// The boxes of the rule at hand, last first.
    pending: Vec<(Action, PacketBox)>,
}

impl<'a> Boxes<'a> {
    fn new(group: &'a SecurityGroup) -> Boxes<'a> {
        Boxes::in_order(group, evaluation_order(group))
    }

    /// The boxes in the order the group lists its rules.
    fn listed(group: &'a SecurityGroup) -> Boxes<'a> {
        Boxes::in_order(group, group.rules.iter().enumerate().collect())
    }

    fn in_order(
        group: &'a SecurityGroup,
        order: Vec<(usize, &'a crate::model::Rule)>,
    ) -> Boxes<'a> {
        Boxes {
            order: order.into_iter(),
            allow_only: group.evaluation == Evaluation::AllowOnly,
            pending: Vec::new(),
        }
    }
}

impl Iterator for Boxes<'_> {
    type Item = (Action, PacketBox);

    fn next(&mut self) -> Option<(Action, PacketBox)> {
        loop {
            if let Some(next) = self.pending.pop() {
                return Some(next);
            }
            let (_, rule) = self.order.next()?;
            if !(self.allow_only && rule.action() == Action::Deny) {
                let action = rule.action();
                for_each_rule_box(rule, |b| self.pending.push((action, b)));
                self.pending.reverse();
            }
        }
    }
}

/// How many boxes [`for_each_rule_box`] makes of `rule`: one per port range.
fn rule_box_count(rule: &crate::model::Rule) -> usize {
    if !rule.enabled() {
        0
    } else if rule.ports().is_any() {
        1
    } else {
        rule.ports().ranges().len()
    }
}

/// The default actions of a group, ingress then egress.
fn defaults(group: &SecurityGroup) -> [Action; 2] {
    [
        group.default_action(Direction::Ingress),
        group.default_action(Direction::Egress),
    ]
}

/// Whether two groups decide every packet alike rule box by rule box: the same boxes with
/// the same actions in the same evaluation order, and the same defaults (then they allow
/// the same packets, whatever the boxes). The boxes are made and compared a rule at a time,
/// not built as [`Decisions`] (a group read back as it was written ends here, and both
/// groups' lists of boxes were a sixth of the memory of a million-rule conversion).
pub(super) fn same_boxes(a: &SecurityGroup, b: &SecurityGroup) -> bool {
    defaults(a) == defaults(b) && Boxes::new(a).eq(Boxes::new(b))
}

/// Whether two groups in which no deny rule decides anything allow the same packets because
/// they have the same allow boxes, as sets: with the same defaults, each group allows the
/// union of its allow boxes (and what a default allows), whatever their order. Answered in one
/// pass over both lists in the order they are written, without sorting: a target that
/// keeps the source's order (an allow-only one) writes the same boxes in the same order, a
/// rule split into one rule per port range still in place, and leaves out a repeated
/// rule. So the boxes of `b` must be those of `a`, in order, some of `a`'s left out (a few:
/// past a quarter, the groups are compared another way); each left out must then be one of
/// `b`'s boxes. `false` says nothing: the groups may still be the same.
pub(super) fn same_allow_boxes(a: &SecurityGroup, b: &SecurityGroup) -> bool {
    let deny = |g: &SecurityGroup| deciding(g).any(|r| r.action() == Action::Deny);
    if defaults(a) != defaults(b) || deny(a) || deny(b) {
        return false;
    }
    let most_left_out = box_count(a) / 4;
    let mut left_out: foldhash::HashSet<PacketBox> = foldhash::HashSet::default();
    let mut theirs = Boxes::listed(b).peekable();
    for (_, x) in Boxes::listed(a) {
        if theirs.next_if(|(_, y)| *y == x).is_none() {
            if left_out.len() >= most_left_out {
                return false;
            }
            left_out.insert(x);
        }
    }
    if theirs.next().is_some() {
        return false;
    }
    // Most of `b`'s boxes start on a port no left-out box starts on: a bit each says so,
    // without hashing the box.
    let mut starts = vec![0u64; 1024];
    let at = |port: u16| {
        (
            usize::from(port / 64),
            1u64.wrapping_shl(u32::from(port % 64)),
        )
    };
    for x in &left_out {
        let (word, bit) = at(x.ports.lo);
        if let Some(w) = starts.get_mut(word) {
            *w |= bit;
        }
    }
    for (_, y) in Boxes::listed(b) {
        if left_out.is_empty() {
            break;
        }
        let (word, bit) = at(y.ports.lo);
        if starts.get(word).is_some_and(|w| w & bit != 0) {
            left_out.remove(&y);
        }
    }
    left_out.is_empty()
}

/// The rules of a group that make [`Decisions`] boxes.
fn deciding(group: &SecurityGroup) -> impl Iterator<Item = &crate::model::Rule> {
    let allow_only = group.evaluation == Evaluation::AllowOnly;
    group
        .rules
        .iter()
        .filter(move |r| !(allow_only && r.action() == Action::Deny) && rule_box_count(r) > 0)
}

/// How many boxes a group's [`Decisions`] hold.
pub(super) fn box_count(group: &SecurityGroup) -> usize {
    deciding(group)
        .map(rule_box_count)
        .fold(0, usize::saturating_add)
}

/// The remote groups and address groups a group's [`Decisions`] boxes name.
pub(super) fn labels(group: &SecurityGroup) -> std::collections::BTreeSet<Label> {
    deciding(group)
        .filter_map(|r| super::rule::label_of(r.remote()))
        .collect()
}

impl Decisions {
    pub(super) fn new(group: &SecurityGroup) -> Decisions {
        // As many as the rules have: no list grown by doubling.
        let mut boxes = Vec::with_capacity(box_count(group));
        boxes.extend(Boxes::new(group));
        Decisions {
            boxes,
            index: std::cell::OnceCell::new(),
            defaults: defaults(group),
        }
    }

    fn default(&self, direction: Direction) -> Action {
        match direction {
            Direction::Ingress => self.defaults[0],
            Direction::Egress => self.defaults[1],
        }
    }

    /// The boxes overlapping `x`, by place in evaluation order, before place `before`.
    fn near(&self, x: &PacketBox, before: usize) -> Vec<usize> {
        let mut near = Vec::new();
        let index = self
            .index
            .get_or_init(|| OverlapIndex::new(self.boxes.iter().map(|(_, b)| b)));
        index.candidates(x, |i| {
            if i < before && self.boxes.get(i).is_some_and(|(_, b)| b.overlaps(x)) {
                near.push(i);
            }
        });
        near.sort_unstable();
        near.dedup();
        near
    }

    /// The packets of `x` this group does not allow, appended to `out`. What is left of `x`
    /// is held in [`Pieces`], so that each rule cuts only the pieces it meets (a box from a
    /// remote group meets nearly every rule).
    ///
    /// Not `exact`: a rule naming a group `x` says nothing of is taken as if the group were
    /// empty (an allow rule) or held every address (a deny rule), which can only add packets
    /// to `out`; the pieces are then never split by membership, which is what makes the
    /// exact walk costly. An empty answer is then exact too.
    fn not_allowed(&self, x: &PacketBox, exact: bool, out: &mut Vec<PacketBox>) {
        let near = self.near(x, usize::MAX);
        // An allow box before every deny box that meets `x` and holding all of it decides
        // it (a rule read back as it was written holds its own packets).
        let first_deny = near
            .iter()
            .position(|&i| self.boxes.get(i).is_some_and(|(a, _)| *a == Action::Deny))
            .unwrap_or(near.len());
        if near
            .get(..first_deny)
            .unwrap_or_default()
            .iter()
            .any(|&i| self.boxes.get(i).is_some_and(|(_, b)| b.covers(x)))
        {
            return;
        }
        let mut rest = Pieces::new(vec![x.clone()]);
        for i in near {
            let Some((action, b)) = self.boxes.get(i) else {
                continue;
            };
            let free = !exact && b.labels.iter().any(|(l, _)| x.label(l).is_none());
            match (action, free) {
                (Action::Deny, false) => rest.cut_keeping(b, out),
                (Action::Deny, true) => {
                    let mut all = b.clone();
                    all.labels.retain(|(l, _)| x.label(l).is_some());
                    rest.cut_keeping(&all, out);
                }
                (Action::Allow, false) => {
                    rest.cut(b, true);
                }
                (Action::Allow, true) => {}
            }
            if rest.is_empty() {
                return;
            }
        }
        if self.default(x.direction) == Action::Deny {
            out.extend(rest.into_sorted(&[]));
        }
    }

    /// The packets of `x` this group does not allow less `keep`'s deny boxes before
    /// `before`: first without splitting by membership (see [`Decisions::not_allowed`]),
    /// and only when that leaves something, exactly.
    fn not_allowed_less(
        &self,
        x: &PacketBox,
        keep: &Decisions,
        before: usize,
        scratch: &mut Vec<PacketBox>,
    ) -> Vec<PacketBox> {
        scratch.clear();
        self.not_allowed(x, false, scratch);
        if scratch.is_empty()
            || keep
                .less_before(std::mem::take(scratch), before, Action::Deny)
                .is_empty()
        {
            return Vec::new();
        }
        scratch.clear();
        self.not_allowed(x, true, scratch);
        keep.less_before(std::mem::take(scratch), before, Action::Deny)
    }

    /// Whether one box evaluated before place `before` holds all of `x`.
    fn held_before(&self, x: &PacketBox, before: usize) -> bool {
        self.near(x, before)
            .into_iter()
            .any(|i| self.boxes.get(i).is_some_and(|(_, b)| b.covers(x)))
    }

    /// Whether this group allows every packet of `x` that `keep` does not deny before place
    /// `before`: an allow box here holds all of `x`, and of the part of `x` each deny box
    /// before it takes, nothing is left once the deny boxes `keep` evaluates before `before`
    /// and the allow boxes here before that deny are taken out. A packet `keep` lets through
    /// to `before` then meets an allow here before any deny. (Groups that differ
    /// in a few rules, as a minimised group and its input, pass this for most boxes; the
    /// walk cuts each box by every rule it meets, which on a broad box is costly.)
    fn allows_what_reaches(&self, x: &PacketBox, keep: &Decisions, before: usize) -> bool {
        for i in self.near(x, usize::MAX) {
            let Some((action, b)) = self.boxes.get(i) else {
                return false;
            };
            match action {
                Action::Allow if b.covers(x) => return true,
                Action::Allow => {}
                Action::Deny => {
                    let Some(taken) = b.intersect(x) else {
                        continue;
                    };
                    let left = keep.less_before(vec![taken], before, Action::Deny);
                    if !left.is_empty() && !self.less_before(left, i, Action::Allow).is_empty() {
                        return false;
                    }
                }
            }
        }
        false
    }

    /// `pieces` less the `action` boxes evaluated before place `before`: each piece less the
    /// boxes that overlap it.
    fn less_before(&self, pieces: Vec<PacketBox>, before: usize, action: Action) -> Vec<PacketBox> {
        let mut out = Vec::new();
        for p in pieces {
            let cuts: Vec<&PacketBox> = self
                .near(&p, before)
                .into_iter()
                .filter_map(|j| self.boxes.get(j))
                .filter(|(a, _)| *a == action)
                .map(|(_, b)| b)
                .collect();
            if cuts.is_empty() {
                out.push(p);
            } else {
                out.extend(subtract_each([p], &cuts));
            }
        }
        out
    }

    /// Call `found` with the packets `self` allows and `other` does not, allow box by allow
    /// box in evaluation order (an accept default last), until it returns false.
    pub(super) fn minus(&self, other: &Decisions, mut found: impl FnMut(PacketBox) -> bool) {
        let mut scratch = Vec::new();
        for (place, (action, x)) in self.boxes.iter().enumerate() {
            // A box one earlier box holds decides no packet of its own: each packet it
            // allows is first allowed by an earlier box, and met there.
            if *action != Action::Allow
                || self.held_before(x, place)
                || other.allows_what_reaches(x, self, place)
            {
                continue;
            }
            for piece in other.not_allowed_less(x, self, place, &mut scratch) {
                if !found(piece) {
                    return;
                }
            }
        }
        for direction in [Direction::Ingress, Direction::Egress] {
            if self.default(direction) != Action::Allow {
                continue;
            }
            for family in Family::BOTH {
                let all = PacketBox::universe(direction, family);
                for piece in other.not_allowed_less(&all, self, usize::MAX, &mut scratch) {
                    if !found(piece) {
                        return;
                    }
                }
            }
        }
    }
}
