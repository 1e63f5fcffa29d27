//! Accept-by-default policies for targets that deny by default but have ordered deny rules
//! (Huawei): see [`default_rules`].

use super::{Capabilities, Ordering};
use crate::model::{Action, Direction, Family, Origin, Rule, RuleSpec, SecurityGroup};
use crate::report::{Field, Kind, Report};

/// Whether the target can hold an accept default as a final allow-all rule: it has deny
/// rules and an order, but no accept default of its own.
pub(super) fn lowerable(caps: &Capabilities) -> bool {
    caps.deny && !caps.default_allow && caps.ordering != Ordering::None
}

/// The rules that stand for the group's accept defaults in such a target: for each direction
/// whose default is accept, one allow-all rule per family, evaluated after every rule of the
/// group. A packet reaches them exactly when no rule of the group matched it, which is when
/// the source's default decided — so the meaning is the same. (In a priority target they take
/// the last level of their class; a deny of that level still comes first, as it did in the
/// source.) Their origin index is one past the group's last rule: "the group's default".
pub(super) fn default_rules(
    group: &SecurityGroup,
    gi: usize,
    caps: &Capabilities,
    report: &mut Report,
) -> Vec<Rule> {
    if caps.default_allow {
        return Vec::new();
    }
    let mut rules = Vec::new();
    for direction in [Direction::Ingress, Direction::Egress] {
        if group.default_action(direction) != Action::Allow {
            continue;
        }
        let name = match direction {
            Direction::Ingress => "inbound",
            Direction::Egress => "outbound",
        };
        report.group(gi).push(
            Field::DefaultPolicy,
            Kind::Rewritten,
            Some(format!("{name} accept")),
            format!(
                "the {name} accept default is written as a final allow-all rule for IPv4 and IPv6 \
                 (the target denies by default); same meaning"
            ),
        );
        for family in Family::BOTH {
            let mut spec = RuleSpec::new(direction, family);
            spec.origin = Origin::unset();
            if let Ok(rule) = Rule::new(spec) {
                rules.push(rule);
            }
        }
    }
    rules
}
