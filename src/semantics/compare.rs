//! How two groups or documents differ: the [`Difference`]s between their packet sets and
//! the [`Verdict`] they amount to.

use serde::Serialize;

use super::allowed::{allowed_set, allowed_set_bounded, allowed_set_is};
use super::boxes::{PacketBox, subtract};
use super::display::describe;
use super::minus::{impossible, set_minus_limited};
use super::verdict::Verdict;
use super::walk::{Decisions, box_count, labels, same_allow_boxes, same_boxes};
use crate::model::{Document, Evaluation, SecurityGroup};

/// One box of packets that two groups treat differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Difference {
    /// Index of the group in the documents.
    pub group: usize,
    /// `narrowed`: allowed by the first group (the source), denied by the second (the
    /// target); `widened`: the other way round.
    pub change: Verdict,
    /// The packets, readable (`ingress tcp 22 from 0.0.0.0/0`).
    pub packets: String,
    /// The same packets as a box, for programs (not serialised).
    #[serde(skip)]
    pub packet_box: Option<PacketBox>,
}

impl Difference {
    /// The packets and what happened to them, in one line.
    pub fn sentence(&self) -> String {
        match self.change {
            Verdict::Widened => format!("{} — denied before, allowed now", self.packets),
            _ => format!("{} — allowed before, denied now", self.packets),
        }
    }
}

/// The packets `a` allows and `b` does not (`narrowed`), and those `b` allows and `a` does
/// not (`widened`), for group `index`.
pub fn compare(index: usize, a: &SecurityGroup, b: &SecurityGroup) -> Vec<Difference> {
    let mut out = Vec::new();
    compare_sets_into(
        index,
        &allowed_set(a),
        &allowed_set(b),
        true,
        usize::MAX,
        &mut out,
    );
    out
}

/// [`compare_sets`], appending to `out` while it holds fewer than `limit` differences
/// (describing a box costs more than finding it); returns the verdict of all of them.
/// `sorted`: both sets are known to be sorted (as [`allowed_set`]s are).
pub(super) fn compare_sets_into(
    index: usize,
    a: &[PacketBox],
    b: &[PacketBox],
    sorted: bool,
    limit: usize,
    out: &mut Vec<Difference>,
) -> Verdict {
    let mut verdict = Verdict::Exact;
    for (change, (from, to)) in [(Verdict::Narrowed, (a, b)), (Verdict::Widened, (b, a))] {
        let room = limit.saturating_sub(out.len());
        let (any, only) = set_minus_limited(from, to, sorted, room);
        if any {
            verdict = verdict.max(change);
        }
        out.extend(only.into_iter().map(|packet_box| Difference {
            group: index,
            change,
            packets: describe(&packet_box),
            packet_box: Some(packet_box),
        }));
    }
    verdict
}

/// [`compare_documents`] keeping (and describing) only the first `limit` differences; the
/// verdict counts them all. `compared(done, groups)` is called after each pair of groups.
pub fn compare_documents_limited(
    a: &Document,
    b: &Document,
    limit: usize,
    mut compared: impl FnMut(usize, usize),
) -> (Verdict, Vec<Difference>) {
    let empty = SecurityGroup::empty();
    let n = a.groups.len().max(b.groups.len());
    let mut out = Vec::new();
    let mut verdict = Verdict::Exact;
    for i in 0..n {
        let a = a.groups.get(i).unwrap_or(&empty);
        let b = b.groups.get(i).unwrap_or(&empty);
        verdict = verdict.max(compare_groups_limited(i, a, b, limit, &mut out));
        compared(i.saturating_add(1), n);
    }
    (verdict, out)
}

/// How many rule boxes (both groups) make [`compare_groups_limited`] walk rather than build
/// the allowed sets of groups that name different remote groups.
const WALK_FROM: usize = 4_000;

/// One pair of groups for [`compare_documents_limited`]. Groups that decide alike rule box
/// by rule box, or only by allow boxes that are the same set ([`same_allow_boxes`]), are
/// equal without more. Otherwise their allowed sets are compared, unless
/// large groups name different remote groups, or either set would hold more than a few
/// pieces per rule box (deny rules naming remote groups cut later allow rules into many
/// pieces): then each allow box of one is walked through the
/// other's rules ([`Decisions::minus`]), stopping once `limit` differences are listed and
/// the verdict is known. The two ways find the same packets, cut into other boxes.
fn compare_groups_limited(
    index: usize,
    a: &SecurityGroup,
    b: &SecurityGroup,
    limit: usize,
    out: &mut Vec<Difference>,
) -> Verdict {
    if same_allow_boxes(a, b) || same_boxes(a, b) {
        return Verdict::Exact;
    }
    let (na, nb) = (box_count(a), box_count(b));
    // A large group naming remote groups the other does not (a target without them leaves
    // those rules out): describing what was lost cuts each such box by every rule the
    // other has on its ports, and the walk stops once the list is full.
    if na.saturating_add(nb) > WALK_FROM && labels(a) != labels(b) {
        return walk_into(index, &Decisions::new(a), &Decisions::new(b), limit, out);
    }
    let budget = na.max(nb).saturating_mul(4).saturating_add(10_000);
    // An allow-only group (most targets) is held to the other's set box by box first: the
    // same boxes (a group written without repeats, or its ports split) are the same set,
    // without building the second set. The rule boxes are built (both as large as the
    // groups) only for the walk, in the rare case that a set outgrows its budget.
    let (first, second) = if b.evaluation == Evaluation::AllowOnly {
        (a, b)
    } else {
        (b, a)
    };
    if let Some(set) = allowed_set_bounded(first, budget) {
        if allowed_set_is(second, &set) {
            return Verdict::Exact;
        }
        if let Some(other) = allowed_set_bounded(second, budget) {
            let (sa, sb) = if std::ptr::eq(first, a) {
                (set, other)
            } else {
                (other, set)
            };
            return compare_sets_into(index, &sa, &sb, true, limit, out);
        }
    }
    walk_into(index, &Decisions::new(a), &Decisions::new(b), limit, out)
}

/// [`compare`] the way verification compares groups whose allowed sets are too large to
/// build (see [`compare_documents_limited`]): the same packets, in other boxes. For tests
/// that hold the two ways to the same answer.
#[doc(hidden)]
pub fn compare_walking(index: usize, a: &SecurityGroup, b: &SecurityGroup) -> Vec<Difference> {
    let mut out = Vec::new();
    walk_into(
        index,
        &Decisions::new(a),
        &Decisions::new(b),
        usize::MAX,
        &mut out,
    );
    out
}

/// The walk of [`compare_groups_limited`].
fn walk_into(
    index: usize,
    da: &Decisions,
    db: &Decisions,
    limit: usize,
    out: &mut Vec<Difference>,
) -> Verdict {
    let impossible = impossible();
    let mut verdict = Verdict::Exact;
    for (change, (from, to)) in [(Verdict::Narrowed, (da, db)), (Verdict::Widened, (db, da))] {
        let room = limit.saturating_sub(out.len());
        let mut any = false;
        let mut listed = 0usize;
        from.minus(to, |piece| {
            for packet_box in subtract([piece], &impossible) {
                any = true;
                if listed < room {
                    listed = listed.saturating_add(1);
                    out.push(Difference {
                        group: index,
                        change,
                        packets: describe(&packet_box),
                        packet_box: Some(packet_box),
                    });
                }
            }
            !(any && listed >= room)
        });
        if any {
            verdict = verdict.max(change);
        }
    }
    verdict
}

/// Compare two documents group by group (a group missing on one side allows nothing).
pub fn compare_documents(a: &Document, b: &Document) -> Vec<Difference> {
    let empty = SecurityGroup::empty();
    let n = a.groups.len().max(b.groups.len());
    (0..n)
        .flat_map(|i| {
            compare(
                i,
                a.groups.get(i).unwrap_or(&empty),
                b.groups.get(i).unwrap_or(&empty),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, Direction, Family, PortRange, PortSet, Protocol, Remote};
    use crate::model::{Rule, RuleSpec};

    fn rule(ports: &[u64], cidr: &str, action: Action) -> Rule {
        let mut spec = RuleSpec::new(Direction::Ingress, Family::V4);
        spec.protocol = Protocol::TCP;
        spec.ports = PortSet::from_ranges(ports.iter().map(|&p| PortRange::single(p).unwrap()));
        spec.remote = Remote::Cidr(cidr.parse().unwrap());
        spec.action = action;
        spec.priority = Some(1);
        Rule::new(spec).unwrap()
    }

    fn written(rules: &[(&[u64], &str)]) -> SecurityGroup {
        let rules = rules
            .iter()
            .map(|(ports, cidr)| {
                let mut spec = rule(ports, cidr, Action::Allow).spec().clone();
                spec.priority = None;
                Rule::new(spec).unwrap()
            })
            .collect();
        SecurityGroup::allow_only(rules).unwrap()
    }

    /// A list read in priority order and written allow-only in its own order, its ports
    /// split in place and a repeat left out (at most a quarter of the boxes may be), allows
    /// the same (the one-pass check says so);
    /// a list without a rule that is no repeat, or with one more, does not, and a source
    /// with a deny rule is not that check's to answer.
    #[test]
    fn allow_lists_in_written_order_compare_as_sets() {
        let (a, b) = ("10.0.0.0/8", "192.168.0.0/16");
        let source = SecurityGroup::priority(vec![
            rule(&[22, 80], a, Action::Allow),
            rule(&[443], b, Action::Allow),
            rule(&[22], a, Action::Allow),
        ])
        .unwrap();
        let same = written(&[(&[22], a), (&[80], a), (&[443], b)]);
        assert!(same_allow_boxes(&source, &same));
        assert_eq!(
            compare_groups_limited(0, &source, &same, 10, &mut Vec::new()),
            Verdict::Exact
        );
        let cases = [
            (written(&[(&[22], a), (&[80], a)]), Verdict::Narrowed),
            (
                written(&[(&[22], a), (&[80], a), (&[443], a)]),
                Verdict::Widened,
            ),
            (
                written(&[(&[22], a), (&[80], a), (&[443], b), (&[8080], b)]),
                Verdict::Widened,
            ),
        ];
        for (other, verdict) in cases {
            assert!(!same_allow_boxes(&source, &other));
            let mut out = Vec::new();
            assert!(compare_groups_limited(0, &source, &other, 10, &mut out) >= verdict);
            assert!(out.iter().any(|d| d.change == verdict));
        }
        let with_deny = SecurityGroup::priority(vec![
            rule(&[22], a, Action::Deny),
            rule(&[22, 80], a, Action::Allow),
        ])
        .unwrap();
        assert!(!same_allow_boxes(&with_deny, &same));
    }
}
