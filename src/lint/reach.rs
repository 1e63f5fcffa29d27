//! Which rules take effect, as findings: shadowed and conflicting rules (Batfish's
//! `BLOCKING_LINES`), unmatchable, redundant and deny-exception rules, from what
//! [`Rules::decide`] says of each rule.

use super::decision::{Decision, Named};
use super::walk::{Boxes, Rules};
use super::{Finding, FindingKind, Severity, origins, rule_list, rule_name};
use crate::model::{Action, Origin, Rule, SecurityGroup};
use crate::semantics::PacketBox;

/// What [`judge`] found.
pub(super) struct Judged {
    pub(super) findings: Vec<Finding>,
    pub(super) skipped: usize,
}

/// Shadowed, conflicting, unmatchable and redundant rules of group `gi`.
pub(super) fn judge(gi: usize, group: &SecurityGroup, max_pieces: usize) -> Judged {
    let rules = Rules::new(group);
    // The rules a decision names, as origins, and how many it names in all.
    let named = |named: &Named| -> Related {
        let indices = named
            .first
            .iter()
            .filter_map(|r| rules.order.get(*r).map(|(i, _)| *i));
        Related {
            origins: origins(group, indices),
            total: named.total,
        }
    };
    let mut findings = Vec::new();
    let mut skipped = 0usize;
    for (rank, ((index_in_group, rule), boxes)) in rules.order.iter().zip(&rules.at).enumerate() {
        let me = origins(group, [*index_in_group]);
        let name = me.first().map(rule_name).unwrap_or_default();
        let finding = |check, kind, severity, message: String| {
            let mut f = Finding::new(check, kind, severity, gi, message);
            f.rules.clone_from(&me);
            f
        };
        match boxes {
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
            Boxes::At(..) => {}
        }
        let mine: Vec<PacketBox> = rules.boxes(rank).iter().map(|e| e.bx.clone()).collect();
        let action = rule.action();
        let Some(decision) = rules.decide(group, rank, &mine, max_pieces, &|_| false) else {
            skipped = skipped.saturating_add(1);
            continue;
        };
        match decision {
            Decision::Needed => {}
            Decision::Shadowed { blockers, clash } => {
                let related = named(&blockers);
                findings.push(shadowed(finding, &name, &mine, related, clash, action));
            }
            Decision::Redundant {
                same,
                to_default,
                witness,
            } => {
                let related = named(&same);
                let by = match (related.origins.is_empty(), to_default) {
                    (false, false) => related.list(),
                    (false, true) => format!("{} and the default policy", related.list()),
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
                related.put(&mut f);
                if let Some(w) = witness {
                    f = f.witness(w);
                }
                findings.push(f);
            }
            Decision::DenyException { opposite, witness } => {
                let related = named(&opposite);
                let mut f = finding(
                    "deny-exception",
                    FindingKind::Conflicting,
                    Severity::Info,
                    format!(
                        "{name} only denies packets that {} (evaluated after it) would allow: it \
                         carves an exception out of {}, so its meaning rests on the order",
                        related.list(),
                        related.agree("it", "them")
                    ),
                );
                related.put(&mut f);
                if let Some(w) = witness {
                    f = f.witness(w);
                }
                findings.push(f);
            }
        }
    }
    Judged { findings, skipped }
}

/// The finding for a rule whose every packet earlier rules (`related`) decide: shadowed, or
/// conflicting when one of the other action meets it (at `clash`, then the witness).
fn shadowed(
    finding: impl Fn(&'static str, FindingKind, Severity, String) -> Finding,
    name: &str,
    mine: &[PacketBox],
    related: Related,
    clash: Option<PacketBox>,
    action: Action,
) -> Finding {
    let mut f = match &clash {
        Some(_) => finding(
            "conflicting",
            FindingKind::Conflicting,
            Severity::Medium,
            format!(
                "{name} never takes effect: {} (evaluated before it) {} every packet it matches, \
                 some with the other action ({})",
                related.list(),
                related.agree("decides", "decide"),
                verb(other(action))
            ),
        ),
        None => finding(
            "shadowed",
            FindingKind::Shadowed,
            Severity::Low,
            format!(
                "{name} never takes effect: {} (evaluated before it) already {} every packet it matches",
                related.list(),
                related.agree(verbs(action), verb(action))
            ),
        ),
    };
    f.alias = Some("BLOCKING_LINES");
    related.put(&mut f);
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

/// The rules a finding names: the first few ([`super::MAX_RELATED`]) and how many in all.
struct Related {
    origins: Vec<Origin>,
    total: usize,
}

impl Related {
    /// `rules 1, 2 and 5`, with `and N more` past the first few.
    fn list(&self) -> String {
        rule_list(&self.origins, self.total)
    }

    /// `one` for one rule, `many` otherwise.
    fn agree(&self, one: &'static str, many: &'static str) -> &'static str {
        if self.total == 1 { one } else { many }
    }

    /// Into `f.related` (and `f.related_total` where the list is cut).
    fn put(self, f: &mut Finding) {
        f.related_total = (self.total > self.origins.len()).then_some(self.total);
        f.related = self.origins;
    }
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
