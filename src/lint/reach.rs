//! Which rules take effect: Batfish's union walk (unmatched = everything; each rule in
//! evaluation order is matched against what the rules before it left), with an index so that
//! a rule meets only the rules that overlap it, and a walk over the later rules for
//! redundancy.

use super::{Finding, FindingKind, Severity, origins, rule_list, rule_name};
use crate::model::{Action, Evaluation, Rule, SecurityGroup};
use crate::semantics::{self, OverlapIndex, PacketBox};

/// One box of one rule, in evaluation order.
struct Entry {
    /// The rule's place in evaluation order.
    rank: usize,
    action: Action,
    bx: PacketBox,
}

/// The boxes of every rule, for "which boxes overlap this one" (semantics' overlap index
/// over the entries' boxes).
struct Index<'a> {
    entries: &'a [Entry],
    index: OverlapIndex,
}

impl<'a> Index<'a> {
    fn new(entries: &'a [Entry]) -> Index<'a> {
        let index = OverlapIndex::new(entries.iter().map(|e| &e.bx));
        Index { entries, index }
    }

    /// The ids of the entries whose boxes overlap `x`, pushed onto `out`.
    fn near(&self, x: &PacketBox, out: &mut Vec<usize>) {
        self.index.candidates(x, |id| {
            if self.entries.get(id).is_some_and(|e| e.bx.overlaps(x)) {
                out.push(id);
            }
        });
    }

    /// The entries overlapping any of `boxes` whose rank passes `keep`, by rank.
    fn near_all(&self, boxes: &[PacketBox], keep: impl Fn(usize) -> bool) -> Vec<usize> {
        let mut out = Vec::new();
        for b in boxes {
            self.near(b, &mut out);
        }
        out.retain(|id| self.entries.get(*id).is_some_and(|e| keep(e.rank)));
        // Entries are in rank order, so their ids are too.
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// `pieces` cut by the entries `ids` in turn; `touch` is told of each entry that takes
/// something and stops the walk by returning `true`. `None` when the pieces go over `max`.
fn walk(
    mut pieces: Vec<PacketBox>,
    ids: &[usize],
    entries: &[Entry],
    max: usize,
    mut touch: impl FnMut(&Entry) -> bool,
) -> Option<Vec<PacketBox>> {
    for id in ids {
        if pieces.is_empty() {
            break;
        }
        let Some(e) = entries.get(*id) else {
            continue;
        };
        // Cut in place: pieces the entry misses stay where they are.
        let mut hit = false;
        let mut i = 0usize;
        let mut cut: Vec<PacketBox> = Vec::new();
        while let Some(p) = pieces.get(i) {
            if p.overlaps(&e.bx) {
                hit = true;
                let p = pieces.swap_remove(i);
                cut.extend(p.minus(&e.bx));
            } else {
                i = i.saturating_add(1);
            }
        }
        if !hit {
            continue;
        }
        pieces.append(&mut cut);
        if pieces.len() > max {
            return None;
        }
        if touch(e) {
            break;
        }
    }
    Some(pieces)
}

/// What [`judge`] found.
pub(super) struct Judged {
    pub(super) findings: Vec<Finding>,
    pub(super) skipped: usize,
}

/// Where each rule's boxes are, in evaluation order.
enum Boxes {
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

/// Shadowed, conflicting, unmatchable and redundant rules of group `gi`.
pub(super) fn judge(gi: usize, group: &SecurityGroup, max_pieces: usize) -> Judged {
    let order = semantics::evaluation_order(group);
    let impossible = semantics::impossible();
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
        let real = semantics::subtract(boxes, &impossible);
        if real.is_empty() {
            at.push(Boxes::Impossible);
            continue;
        }
        let start = entries.len();
        entries.extend(real.into_iter().map(|bx| Entry {
            rank,
            action: rule.action(),
            bx,
        }));
        at.push(Boxes::At(start, entries.len()));
    }
    let index = Index::new(&entries);
    let rule_of = |rank: usize| order.get(rank).map(|(i, _)| *i);
    let mut findings = Vec::new();
    let mut skipped = 0usize;
    for (rank, ((index_in_group, rule), boxes)) in order.iter().zip(&at).enumerate() {
        let me = origins(group, [*index_in_group]);
        let name = me.first().map(rule_name).unwrap_or_default();
        let finding = |check, kind, severity, message: String| {
            let mut f = Finding::new(check, kind, severity, gi, message);
            f.rules.clone_from(&me);
            f
        };
        let (start, end) = match boxes {
            Boxes::Ignored => continue,
            Boxes::Disabled => {
                let mut f = finding(
                    "unmatchable",
                    FindingKind::Unmatchable,
                    Severity::Info,
                    format!("{name} is disabled: it matches nothing (enable it or delete it)"),
                );
                f.alias = Some("INDEPENDENTLY_UNMATCHABLE");
                findings.push(f);
                continue;
            }
            Boxes::Impossible => {
                let mut f = finding(
                    "unmatchable",
                    FindingKind::Unmatchable,
                    Severity::Low,
                    format!(
                        "{name} matches no packet: {} does not travel over {}",
                        protocol_word(rule),
                        rule.family().name()
                    ),
                );
                f.alias = Some("INDEPENDENTLY_UNMATCHABLE");
                findings.push(f);
                continue;
            }
            Boxes::At(start, end) => (*start, *end),
        };
        let mine: Vec<PacketBox> = entries
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|e| e.bx.clone())
            .collect();
        let action = rule.action();
        // Only earlier boxes whose groups are among the rule's can cover it: a box "from
        // members of G" leaves the packets from addresses in no group, and those are in
        // every box of the rule (its only labels are its own remote group). Leaving the
        // others out keeps the test exact and makes `rest` a superset of what the rule
        // decides, which keeps the redundancy test below sound (it may miss, never invent).
        let own = mine.first().map(|b| b.labels.clone()).unwrap_or_default();
        let mut earlier = index.near_all(&mine, |r| r < rank);
        earlier.retain(|id| {
            entries
                .get(*id)
                .is_some_and(|e| e.bx.labels.iter().all(|l| own.contains(l)))
        });
        let mut blockers: Vec<usize> = Vec::new();
        let Some(rest) = walk(mine.clone(), &earlier, &entries, max_pieces, |e| {
            blockers.push(e.rank);
            false
        }) else {
            skipped = skipped.saturating_add(1);
            continue;
        };
        if rest.is_empty() {
            findings.push(shadowed(
                finding, &name, &mine, &blockers, &entries, &earlier, action, group, &rule_of,
            ));
            continue;
        }
        // The packets this rule decides: without it, the later rules or the default would.
        // For an allow rule, later allow rules from a remote group only ever mark packets
        // "same" where a rule without a group must too (the packets from addresses in no
        // group decide redundancy); leaving them out can only turn a redundant rule into a
        // missed finding.
        let mut later = index.near_all(&rest, |r| r > rank);
        if action == Action::Allow {
            later.retain(|id| {
                entries
                    .get(*id)
                    .is_some_and(|e| e.bx.labels.is_empty() || e.action != action)
            });
        }
        let mut same: Vec<usize> = Vec::new();
        let mut opposite: Vec<usize> = Vec::new();
        let Some(left) = walk(rest.clone(), &later, &entries, max_pieces, |e| {
            let to = if e.action == action {
                &mut same
            } else {
                &mut opposite
            };
            to.push(e.rank);
            !same.is_empty() && !opposite.is_empty()
        }) else {
            skipped = skipped.saturating_add(1);
            continue;
        };
        if !same.is_empty() && !opposite.is_empty() {
            continue;
        }
        let default = group.default_action(rule.direction());
        let to_default = !left.is_empty();
        let witness = rest.first().cloned();
        let ranks = |ranks: &[usize]| -> Vec<usize> {
            let mut v: Vec<usize> = ranks.iter().filter_map(|r| rule_of(*r)).collect();
            v.dedup();
            v
        };
        if opposite.is_empty() && !(to_default && default != action) {
            let related = origins(group, ranks(&same));
            let by = match (related.is_empty(), to_default) {
                (false, false) => rule_list(&related),
                (false, true) => format!("{} and the default policy", rule_list(&related)),
                _ => "the default policy".to_owned(),
            };
            let mut f = finding(
                "redundant",
                FindingKind::Redundant,
                Severity::Low,
                format!(
                    "{name} is redundant: without it {by} would {} the same packets",
                    verb(action)
                ),
            );
            f.related = related;
            if let Some(w) = witness {
                f = f.witness(w);
            }
            findings.push(f);
        } else if action == Action::Deny && same.is_empty() && !to_default {
            let related = origins(group, ranks(&opposite));
            let mut f = finding(
                "deny-exception",
                FindingKind::Conflicting,
                Severity::Info,
                format!(
                    "{name} only denies packets that {} (evaluated after it) would allow: it carves \
                     an exception out of {}, so its meaning rests on the order",
                    rule_list(&related),
                    agree(&related, "it", "them")
                ),
            );
            f.related = related;
            if let Some(w) = witness {
                f = f.witness(w);
            }
            findings.push(f);
        }
    }
    Judged { findings, skipped }
}

/// The finding for a rule whose every packet earlier rules decide: shadowed, or conflicting
/// when a blocker has the other action (then the witness is where they meet).
#[allow(clippy::too_many_arguments)]
fn shadowed(
    finding: impl Fn(&'static str, FindingKind, Severity, String) -> Finding,
    name: &str,
    mine: &[PacketBox],
    blockers: &[usize],
    entries: &[Entry],
    earlier: &[usize],
    action: Action,
    group: &SecurityGroup,
    rule_of: &impl Fn(usize) -> Option<usize>,
) -> Finding {
    let mut ranks: Vec<usize> = blockers.to_vec();
    ranks.dedup();
    let related = origins(group, ranks.iter().filter_map(|r| rule_of(*r)));
    let clash = earlier
        .iter()
        .filter_map(|id| entries.get(*id))
        .find_map(|e| {
            if e.action == action {
                return None;
            }
            mine.iter().find_map(|b| b.intersect(&e.bx))
        });
    let mut f = match &clash {
        Some(_) => finding(
            "conflicting",
            FindingKind::Conflicting,
            Severity::Medium,
            format!(
                "{name} never takes effect: {} (evaluated before it) {} every packet it matches, \
                 some with the other action ({})",
                rule_list(&related),
                agree(&related, "decides", "decide"),
                verb(other(action))
            ),
        ),
        None => finding(
            "shadowed",
            FindingKind::Shadowed,
            Severity::Low,
            format!(
                "{name} never takes effect: {} (evaluated before it) already {} every packet it matches",
                rule_list(&related),
                agree(&related, verbs(action), verb(action))
            ),
        ),
    };
    f.alias = Some("BLOCKING_LINES");
    f.related = related;
    if let Some(w) = clash.or_else(|| mine.first().cloned()) {
        f = f.witness(w);
    }
    f
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Allow => "allow",
        Action::Deny => "deny",
    }
}

/// The third person singular of [`verb`].
fn verbs(action: Action) -> &'static str {
    match action {
        Action::Allow => "allows",
        Action::Deny => "denies",
    }
}

/// `one` for one rule, `many` otherwise.
fn agree(rules: &[crate::model::Origin], one: &'static str, many: &'static str) -> &'static str {
    if rules.len() == 1 { one } else { many }
}

fn other(action: Action) -> Action {
    match action {
        Action::Allow => Action::Deny,
        Action::Deny => Action::Allow,
    }
}

fn protocol_word(rule: &Rule) -> String {
    rule.protocol()
        .name()
        .map_or_else(|| "this protocol".to_owned(), str::to_owned)
}
