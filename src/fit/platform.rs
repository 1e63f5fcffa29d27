//! What the platforms do around a group: blocks outside every group's rules, and the rules a
//! new group is born with. Both come from declared data (the source group's
//! `platform_blocks`, the target's [`Capabilities`]); this is the one place that compares
//! them and writes the notes, whichever providers are on either side.

use super::Capabilities;
use crate::model::{Action, PlatformBlock, Rule, SecurityGroup};
use crate::report::{Field, Kind, Report};

/// The blocks the target applies to the fitted group: every block the target declares,
/// except optional ones when the source says no block applies (`Some` of an empty list).
pub(super) fn target_blocks(source: &SecurityGroup, caps: &Capabilities) -> Vec<PlatformBlock> {
    let says_none = source.platform_blocks.as_ref().is_some_and(Vec::is_empty);
    caps.platform_blocks
        .iter()
        .filter(|b| !(b.optional && says_none))
        .cloned()
        .collect()
}

/// Note each block that traffic the group allows crosses on one side only: dropped by the
/// target's platform and not the source's, or the other way round.
pub(super) fn block_notes(
    source: &SecurityGroup,
    fitted: &SecurityGroup,
    target: &[PlatformBlock],
    gi: usize,
    report: &mut Report,
) {
    let before: &[PlatformBlock] = source.platform_blocks.as_deref().unwrap_or_default();
    let has = |list: &[PlatformBlock], b: &PlatformBlock| list.iter().any(|x| x.name == b.name);
    let source_says = if source.platform_blocks.is_some() {
        "the source platform had no such block"
    } else {
        "the source does not say whether its platform had one"
    };
    for block in target.iter().filter(|b| !has(before, b)) {
        if let Some(rules) = crossing(fitted, block) {
            report.group(gi).push(
                Field::Group,
                Kind::Note,
                Some(block.name.to_string()),
                format!(
                    "{}; {source_says}, so traffic this group allows there will not pass{rules}",
                    block.about
                ),
            );
        }
    }
    for block in before.iter().filter(|b| !has(target, b)) {
        if let Some(rules) = crossing(source, block) {
            report.group(gi).push(
                Field::Group,
                Kind::Note,
                Some(block.name.to_string()),
                format!(
                    "{}; the target has no such block, so traffic the rules allow through it will \
                     pass on the target{rules}",
                    block.about
                ),
            );
        }
    }
}

/// Whether the group lets traffic through `block`: `Some` of the rules that do (as text), or
/// of an empty text when the default policy does.
fn crossing(group: &SecurityGroup, block: &PlatformBlock) -> Option<String> {
    let rules: Vec<String> = group
        .rules
        .iter()
        .filter(|r| allows(r) && block.crosses(r.direction(), r.protocol(), r.ports()))
        .filter_map(|r| r.origin().index.map(|i| i.to_string()))
        .collect();
    if group
        .rules
        .iter()
        .any(|r| allows(r) && block.crosses(r.direction(), r.protocol(), r.ports()))
    {
        let mut indexes = rules;
        indexes.dedup();
        return Some(if indexes.is_empty() {
            String::new()
        } else {
            format!(" (input rules {})", indexes.join(", "))
        });
    }
    (group.default_action(block.direction) == Action::Allow).then(String::new)
}

fn allows(rule: &Rule) -> bool {
    rule.enabled() && rule.action() == Action::Allow
}

/// Note the rules a new group is born with on the target, in each direction where the group
/// does not already allow everything those rules allow.
pub(super) fn born_with_notes(
    fitted: &SecurityGroup,
    caps: &Capabilities,
    gi: usize,
    report: &mut Report,
) {
    for born in caps.born_with {
        let allows_all = fitted.default_action(born.direction) == Action::Allow
            || fitted.rules.iter().any(|r| {
                allows(r)
                    && r.direction() == born.direction
                    && born.family.is_none_or(|f| r.family() == f)
                    && r.spec().is_match_all()
            });
        if !allows_all {
            report.group(gi).push(
                Field::Group,
                Kind::Note,
                Some(born.direction.name().to_owned()),
                format!(
                    "a new group on the target is born with {}; delete those rules after creating it, or \
                     the group allows more than these rules",
                    born.about
                ),
            );
        }
    }
}
