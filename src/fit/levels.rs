//! Priorities for targets ordered by numeric priority: see [`priority_levels`].

use super::{Capabilities, Ordering};
use crate::model::{Action, Direction, Evaluation, Family, Rule, SecurityGroup};
use crate::report::{Field, Kind, Refusal, Report};

/// The priorities of a group's rules in the target (see [`priority_levels`]).
pub(super) struct Levels {
    /// Per rule, in evaluation order; `None` keeps the rule's own priority.
    pub(super) levels: Vec<Option<u16>>,
    /// How many distinct levels the group needs.
    needed: usize,
}

/// More priority levels needed than the target has.
#[derive(Debug)]
pub(super) struct LevelsExceeded {
    needed: usize,
    min: u16,
    max: u16,
}

impl std::fmt::Display for LevelsExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let span = usize::from(self.max.saturating_sub(self.min)).saturating_add(1);
        write!(
            f,
            "the group needs {} priority levels to keep its meaning; the target has {span} ({}-{})",
            self.needed, self.min, self.max
        )
    }
}

/// The priority each rule of `rules` (already in evaluation order) gets in a target ordered
/// by numeric priority (`Ordering::Priority { min, max }`: ascending, deny before allow at
/// equal priority, first match decides); `None` keeps the rule's own priority. Empty for
/// other targets.
///
/// - **Allow-only source**: one level, `min`, for every rule. A union of allow rules does
///   not depend on order, and with no deny rule the deny-first tie break never applies.
/// - **Priority source**: priorities already inside `min..=max` are kept. Otherwise the
///   distinct priorities (a missing one sorts last) are renumbered `min, min+1, ...` in
///   order: the relative order and the ties — hence the deny-first tie breaks — are the
///   same, so the meaning is too.
/// - **First-match source** (positions): within one (direction, family) class, rules keep
///   the current level, and a new, larger level starts exactly where a deny follows an
///   allow. Why this keeps first-match meaning: the target evaluates a level's denies, then
///   its allows, so a level must hold a stretch of the source of the form `deny* allow*` to
///   be evaluated in source order up to reordering *inside runs of one action* — and such a
///   reordering never changes a verdict, because whichever rule of the run matches first,
///   the run's action decides, and every earlier run comes first in both orders. A deny
///   after an allow cannot share the allow's level (the target would try it before the
///   allow; sharing is sound only when the two match no common packet, which needs the
///   semantic engine), so it opens a new level. An allow after a deny can share the deny's
///   level: deny-first puts it after the deny anyway. Rules of different directions or
///   families never match the same packet, so each class counts its levels from `min`.
///   Disabled rules match nothing: they take the current level and start none.
///
/// More levels than `max - min + 1` are [`LevelsExceeded`]; the caller (`fit_group`) then
/// lowers the group to an allow-only set by set subtraction, which needs one level.
pub(super) fn priority_levels(
    group: &SecurityGroup,
    rules: &[&Rule],
    caps: &Capabilities,
) -> Result<Levels, LevelsExceeded> {
    let Ordering::Priority { min, max } = caps.ordering else {
        return Ok(Levels {
            levels: Vec::new(),
            needed: 0,
        });
    };
    let span = usize::from(max.saturating_sub(min)) + 1;
    let level = |rank: usize| u16::try_from(rank).ok().and_then(|r| min.checked_add(r));
    let (levels, needed): (Vec<Option<u16>>, usize) = match group.evaluation {
        Evaluation::AllowOnly => (vec![Some(min); rules.len()], 1),
        Evaluation::Priority => {
            if rules
                .iter()
                .all(|r| r.priority().is_some_and(|p| (min..=max).contains(&p)))
            {
                return Ok(Levels {
                    levels: vec![None; rules.len()],
                    needed: 0,
                });
            }
            // Rules are sorted by priority (missing last), so ranks are a running count.
            let mut ranks = Vec::with_capacity(rules.len());
            let mut rank: usize = 0;
            let mut previous = None;
            for r in rules {
                if previous.is_some_and(|p| p != r.priority()) {
                    rank = rank.saturating_add(1);
                }
                previous = Some(r.priority());
                ranks.push(rank);
            }
            let levels: Vec<Option<u16>> = ranks.iter().map(|&k| level(k)).collect();
            (levels, rank.saturating_add(1))
        }
        Evaluation::FirstMatch => {
            let mut classes: Vec<((Direction, Family), usize, Action)> = Vec::new();
            let mut levels = Vec::with_capacity(rules.len());
            let mut needed = 0;
            for r in rules {
                let class = (r.direction(), r.family());
                if !classes.iter().any(|(c, ..)| *c == class) {
                    classes.push((class, 0, Action::Deny));
                }
                let Some((_, rank, last)) = classes.iter_mut().find(|(c, ..)| *c == class) else {
                    levels.push(None); // unreachable: pushed above; a None level is refused below
                    continue;
                };
                if r.enabled() {
                    if *last == Action::Allow && r.action() == Action::Deny {
                        *rank = rank.saturating_add(1);
                    }
                    *last = r.action();
                }
                needed = needed.max(rank.saturating_add(1));
                levels.push(level(*rank));
            }
            (levels, needed)
        }
    };
    if needed > span || levels.iter().any(Option::is_none) {
        return Err(LevelsExceeded { needed, min, max });
    }
    Ok(Levels { levels, needed })
}

/// Record what [`priority_levels`] did to group `gi`: each renumbered priority of a priority
/// group, or how a first-match order was written.
pub(super) fn report(
    group: &SecurityGroup,
    rules: &[&Rule],
    levels: &Levels,
    gi: usize,
    caps: &Capabilities,
    report: &mut Report,
) {
    let Ordering::Priority { min, max } = caps.ordering else {
        return;
    };
    match group.evaluation {
        Evaluation::AllowOnly => {}
        Evaluation::Priority => {
            for (r, p) in rules.iter().zip(&levels.levels) {
                if let Some(p) = p
                    && r.priority() != Some(*p)
                {
                    report.rule(gi, r.origin()).push(
                        Field::Priority,
                        Kind::Rewritten,
                        r.priority().map(|p| p.to_string()),
                        format!(
                            "priority renumbered to {p} to fit the target's range {min}-{max} (same order)"
                        ),
                    );
                }
            }
        }
        Evaluation::FirstMatch => {
            let message = match levels.needed {
                0 => return,
                1 => format!(
                    "first-match order written as priority {min} for every rule (no deny follows an \
                     allow; same meaning)"
                ),
                n => format!(
                    "first-match order written as priorities {min}-{} (a new level wherever a deny \
                     follows an allow; same meaning)",
                    usize::from(min).saturating_add(n).saturating_sub(1)
                ),
            };
            report
                .group(gi)
                .push(Field::Priority, Kind::Rewritten, None, message);
        }
    }
}

/// For a target whose priorities are unique per direction (`Capabilities::unique_priorities`):
/// give the rules of each direction (`rules` in evaluation order, as the fit pass leaves
/// them) priorities that rise one rule at a time. Priorities that already rise strictly
/// inside the target's range are kept; otherwise the direction is numbered `min, min+1, ...`
/// in order. First match in that order is the meaning the rules had: a level shared by a deny
/// and an allow was already ordered deny first, and a split rule's parts match the same
/// packets with the same action. A direction with more rules than the range has levels is
/// refused: no document of the target can hold it.
pub(super) fn unique(
    rules: &mut [Rule],
    gi: usize,
    caps: &Capabilities,
    report: &mut Report,
) -> Result<(), Refusal> {
    let Ordering::Priority { min, max } = caps.ordering else {
        return Ok(());
    };
    if !caps.unique_priorities {
        return Ok(());
    }
    for direction in [Direction::Ingress, Direction::Egress] {
        let mut previous: Option<u16> = None;
        let rising = rules
            .iter()
            .filter(|r| r.direction() == direction)
            .all(|r| {
                let ok = r
                    .priority()
                    .is_some_and(|p| (min..=max).contains(&p) && previous.is_none_or(|q| p > q));
                previous = r.priority();
                ok
            });
        if rising {
            continue;
        }
        let count = rules.iter().filter(|r| r.direction() == direction).count();
        let span = usize::from(max.saturating_sub(min)).saturating_add(1);
        if count > span {
            let refusal = Refusal::Priorities {
                group: gi,
                direction: direction.name().into(),
                rules: count,
                levels: span,
            };
            report.group(gi).push(
                Field::Priority,
                Kind::Note,
                Some(count.to_string()),
                refusal.to_string(),
            );
            return Err(refusal);
        }
        let mut next = min;
        for rule in rules.iter_mut().filter(|r| r.direction() == direction) {
            if rule.priority() != Some(next) {
                let mut spec = rule.spec().clone();
                spec.priority = Some(next);
                if let Ok(r) = Rule::new(spec) {
                    *rule = r;
                }
            }
            next = next.saturating_add(1);
        }
        report.group(gi).push(
            Field::Priority,
            Kind::Rewritten,
            None,
            format!(
                "{} rules numbered {min}-{} in evaluation order: the target needs a unique priority \
                 per rule and direction (same meaning)",
                direction.name(),
                usize::from(min).saturating_add(count).saturating_sub(1)
            ),
        );
    }
    Ok(())
}
